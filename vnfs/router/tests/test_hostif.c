/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - host interfaces (router_hostif.c) on crafted mbufs:
 * the host-if configuration and its errors, what goes to the kernel twin
 * and what stays nfvd's, the two punt buckets, frames from the twin out by
 * the port (tagged), the filter and the per-pass budget. A twin is one
 * end of a datagram socket pair here (no tap, no root needed); the engine
 * services are nfv_fake's.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cmocka.h>

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_udp.h>

#include "nfv_fake.h"
#include "router_hostif.h"
#include "router_rt.h"
#include "test_eal.h"

/* ---------------- model fakes ---------------- */
int
nfv_config_path(const struct nfv_config *cfg, const char *in, char *out, size_t size)
{
	(void)cfg;
	snprintf(out, size, "%s", in);
	return 0;
}

int
nfv_config_get_port(const struct nfv_config *cfg, const struct cfg_node *map, const char *key,
		    bool required, uint16_t *port, struct cfg_errors *err)
{
	const char *name;
	int rc = cfg_get_str(map, key, required, &name, err);

	if (rc != 0)
		return rc;
	for (uint16_t i = 0; i < cfg->n_ports; i++)
		if (strcmp(cfg->ports[i].name, name) == 0) {
			*port = i;
			return 0;
		}
	cfg_error(err, cfg_map_get(map, key), "no port named \"%s\"", name);
	return -EINVAL;
}

/* ---------------- fixture ---------------- */
static struct rte_mempool *pool;
static struct nfv_config *ncfg;
static struct nfv_vnf vnf;
static struct nfv_worker *wk;
static uint64_t chain_ctr[3];
static const struct vnf_class *cls;
static struct rte_ring *punt_ring;
static int kern[2] = {-1, -1}; /* the kernel's ends of lan's and wan's twins */

static const struct rte_ether_addr mac0 = {{0x02, 0, 0, 0, 0, 0x10}};
static const struct rte_ether_addr mac1 = {{0x02, 0, 0, 0, 0, 0x11}};
static const uint8_t hmac[6] = {0x02, 0, 0, 0, 0x01, 0x07};

static const char *lab_yaml = "name: r1\n"
			      "class: router\n"
			      "interfaces:\n"
			      "  - name: lan\n"
			      "    port: p0\n"
			      "    addresses: [10.0.1.1/24, 2001:db8:1::1/64]\n"
			      "  - name: wan\n"
			      "    port: p1\n"
			      "    vlan: 10\n"
			      "    addresses: [10.0.2.1/24, 2001:db8:2::1/64]\n";

static int
parse(const char *text, struct rtr_conf **out, struct cfg_errors *err)
{
	struct cfg_node *root = NULL;
	void *conf = NULL;
	int rc;

	err->file = "test.yaml";
	rc = cfg_load_string("test.yaml", text, strlen(text), &root, err);
	if (rc != 0)
		return rc;
	rc = rtr_config_parse(ncfg, root, &conf, err);
	cfg_free(root);
	*out = conf;
	return rc;
}

static bool
errors_have(const struct cfg_errors *err, const char *needle)
{
	for (size_t i = 0; i < err->n; i++)
		if (strstr(err->msgs[i], needle) != NULL)
			return true;
	return false;
}

static struct rtr_state *
st_of(void)
{
	return vnf.priv;
}

/* The router of yaml; with twins (socket pairs) on lan and wan when asked */
static void
vnf_up(const char *yaml, bool twins)
{
	struct cfg_errors err = {0};
	struct rtr_conf *c = NULL;
	struct rtr_state *st;
	uint16_t ports[2] = {0, 1};
	struct rte_ether_addr macs[2] = {mac0, mac1};
	char e[256] = "";

	if (parse(yaml, &c, &err) != 0) {
		cfg_errors_print(&err, stderr);
		fail();
	}
	cfg_errors_free(&err);
	st = rte_zmalloc(NULL, sizeof(*st), RTE_CACHE_LINE_SIZE);
	assert_non_null(st);
	snprintf(st->name, sizeof(st->name), "h%u", (unsigned)rand());
	st->tx = nfv_ctl_tx;
	st->pool = pool;
	st->vnf = &vnf;
	rtr_state_init(st, c, rte_get_tsc_hz());
	st->tables = rtr_tables_build(st, c, ports, macs, e, sizeof(e));
	if (st->tables == NULL)
		fail_msg("%s", e);
	memset(&vnf, 0, sizeof(vnf));
	snprintf(vnf.name, sizeof(vnf.name), "r1");
	vnf.cls = cls;
	vnf.priv = st;
	vnf.conf = c;
	vnf.ctr_n = RTR_CTR_MAX + RTR_DROP_MAX;
	vnf.ctr_stride = vnf.ctr_n;
	vnf.ctr = calloc((size_t)RTE_MAX_LCORE * vnf.ctr_stride, sizeof(uint64_t));
	memset(wk, 0, sizeof(*wk));
	memset(chain_ctr, 0, sizeof(chain_ctr));
	wk->lcore = 0;
	wk->now_tsc = rte_get_tsc_cycles();
	wk->chain_ctr = chain_ctr;
	wk->punt = punt_ring;
	nfv_fake.n_sent = 0;
	for (uint16_t i = 0; twins && i < 2; i++) {
		int sv[2];

		assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
		assert_int_equal(rtr_hostif_attach_fd(st, st->tables, i, i ? "tw-wan" : "tw-lan",
						      sv[0]),
				 0);
		kern[i] = sv[1];
	}
}

static void
vnf_down(void)
{
	struct rtr_state *st = vnf.priv;
	struct rte_mbuf *m;

	while (rte_ring_dequeue(wk->punt, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	for (uint16_t p = 0; p < 4; p++) {
		rte_pktmbuf_free_bulk(wk->tx[p].pkts, wk->tx[p].n);
		wk->tx[p].n = 0;
	}
	nfv_drop_flush(wk);
	nfv_fake_sent_free();
	rtr_hostif_close_all(st);
	for (int i = 0; i < 2; i++)
		if (kern[i] >= 0) {
			close(kern[i]);
			kern[i] = -1;
		}
	rtr_tables_free(st->tables);
	rtr_config_free((void *)st->conf);
	rte_free(st);
	free(vnf.ctr);
}

static uint64_t
drops(uint16_t reason)
{
	return vnf.ctr[RTR_CTR_MAX + reason];
}

static uint64_t
ctr(uint16_t idx)
{
	return vnf.ctr[idx];
}

/* Ethernet (+VLAN) + IPv4 + proto with payload bytes after an 8-byte L4
 * header (UDP/TCP ports sport, dport) */
static struct rte_mbuf *
mk4(uint16_t port, uint16_t vlan, const struct rte_ether_addr *dmac, const char *src,
    const char *dst, uint8_t proto, uint16_t sport, uint16_t dport, uint16_t payload)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint16_t l2 = vlan ? 18 : 14, len = (uint16_t)(l2 + 28 + payload);
	struct rte_ipv4_hdr *ip;
	uint8_t *d;

	assert_non_null(m);
	/* the frame's start through mtod: gcc 12 at -O3 (a release build)
	 * sees append's pointer as a zero-size object and fails the memset */
	assert_non_null(rte_pktmbuf_append(m, len));
	d = rte_pktmbuf_mtod(m, uint8_t *);
	memset(d, 0, len);
	memcpy(d, dmac, 6);
	memcpy(d + 6, hmac, 6);
	if (vlan) {
		*(uint16_t *)(d + 12) = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		*(uint16_t *)(d + 14) = rte_cpu_to_be_16(vlan);
	}
	*(uint16_t *)(d + l2 - 2) = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(d + l2);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(28 + payload));
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	inet_pton(AF_INET, src, &ip->src_addr);
	inet_pton(AF_INET, dst, &ip->dst_addr);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	d[l2 + 20] = (uint8_t)(sport >> 8);
	d[l2 + 21] = (uint8_t)sport;
	d[l2 + 22] = (uint8_t)(dport >> 8);
	d[l2 + 23] = (uint8_t)dport;
	if (proto == IPPROTO_ICMP) { /* echo request with its checksum */
		d[l2 + 20] = RTE_IP_ICMP_ECHO_REQUEST;
		d[l2 + 21] = d[l2 + 22] = d[l2 + 23] = 0;
		*(uint16_t *)(d + l2 + 22) = (uint16_t)~rte_raw_cksum(d + l2 + 20, 8u + payload);
	}
	m->port = port;
	return m;
}

/* Ethernet + IPv6 (untagged) + proto: 8 bytes of L4 (first byte type) */
static struct rte_mbuf *
mk6(uint16_t port, const uint8_t *dmac, const char *src, const char *dst, uint8_t proto,
    uint8_t type, uint8_t hops)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ipv6_hdr *ip6;
	uint8_t *d;

	assert_non_null(m);
	d = (uint8_t *)rte_pktmbuf_append(m, 14 + 40 + 8);
	assert_non_null(d);
	memset(d, 0, 14 + 40 + 8);
	memcpy(d, dmac, 6);
	memcpy(d + 6, hmac, 6);
	*(uint16_t *)(d + 12) = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	ip6 = (struct rte_ipv6_hdr *)(d + 14);
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16(8);
	ip6->proto = proto;
	ip6->hop_limits = hops;
	inet_pton(AF_INET6, src, ip6->src_addr);
	inet_pton(AF_INET6, dst, ip6->dst_addr);
	d[54] = type;
	m->port = port;
	return m;
}

static struct rte_mbuf *
mk_arp(uint16_t op, const char *sip, const char *tip, const uint8_t *sha,
       const struct rte_ether_addr *dmac)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_arp_hdr *a;
	uint8_t *d;

	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, 60));
	d = rte_pktmbuf_mtod(m, uint8_t *);
	memset(d, 0, 60);
	if (dmac != NULL)
		memcpy(d, dmac, 6);
	else
		memset(d, 0xff, 6);
	memcpy(d + 6, sha, 6);
	*(uint16_t *)(d + 12) = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	a = (struct rte_arp_hdr *)(d + 14);
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = 6;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	memcpy(&a->arp_data.arp_sha, sha, 6);
	inet_pton(AF_INET, sip, &a->arp_data.arp_sip);
	inet_pton(AF_INET, tip, &a->arp_data.arp_tip);
	m->port = 0;
	return m;
}

/* Through the stage, then what was punted through the punt handler */
static void
run_punt(struct rte_mbuf *m)
{
	struct rte_mbuf *p;
	uint16_t k = rtr_process(&vnf, wk, &m, 1);

	for (uint16_t i = 0; i < k; i++)
		nfv_tx(wk, nfv_meta(m)->out_port, m);
	while (rte_ring_dequeue(wk->punt, (void **)&p) == 0)
		rtr_punt(&vnf, p);
}

/* The next frame the kernel got on twin i, its length; -1: none */
static int
kernel_got(int i, uint8_t *buf, size_t size)
{
	ssize_t n = recv(kern[i], buf, size, 0);

	return n < 0 ? -1 : (int)n;
}

/* ---------------- tests ---------------- */

static void
expect_bad(const char *yaml, const char *where, const char *what)
{
	struct cfg_errors err = {0};
	struct rtr_conf *c = NULL;

	assert_int_not_equal(parse(yaml, &c, &err), 0);
	assert_null(c);
	if (!errors_have(&err, where) || !errors_have(&err, what)) {
		cfg_errors_print(&err, stderr);
		fail_msg("expected an error at %s saying %s", where, what);
	}
	cfg_errors_free(&err);
}

static void
test_config_host_if(void **state)
{
	struct cfg_errors err = {0};
	struct rtr_conf *c = NULL;

	(void)state;
	/* the router's switch names twins after their interfaces; an
	 * interface's own key wins */
	assert_int_equal(parse("host-if: true\n"
			       "host-punt-rate: 777\n"
			       "interfaces:\n"
			       "  - {name: lan, port: p0, addresses: [10.0.1.1/24]}\n"
			       "  - {name: wan, port: p1, vlan: 7, host-if: 'up-1.x_y'}\n"
			       "  - {name: dmz, port: p1, vlan: 8, host-if: false}\n",
			       &c, &err),
			 0);
	assert_string_equal(c->ifs[0].host_if, "lan");
	assert_string_equal(c->ifs[1].host_if, "up-1.x_y");
	assert_string_equal(c->ifs[2].host_if, "");
	assert_int_equal(c->host_punt_rate, 777);
	rtr_config_free(c);
	/* none by default, default rate */
	assert_int_equal(parse(lab_yaml, &c, &err), 0);
	assert_string_equal(c->ifs[0].host_if, "");
	assert_int_equal(c->host_punt_rate, 10000);
	rtr_config_free(c);
	cfg_errors_free(&err);
	/* a name the kernel takes: 1..15 of A-Z a-z 0-9 _ - . */
	assert_null(rtr_hostif_name_check("eth0.100"));
	assert_non_null(rtr_hostif_name_check(""));
	assert_non_null(rtr_hostif_name_check("."));
	assert_non_null(rtr_hostif_name_check(".."));
	assert_non_null(rtr_hostif_name_check("a b"));
	assert_non_null(rtr_hostif_name_check("a:b"));
	assert_null(rtr_hostif_name_check("abcdefghijklmno"));
	assert_non_null(rtr_hostif_name_check("abcdefghijklmnop"));

	expect_bad("interfaces:\n  - {port: p0, host-if: abcdefghijklmnop}\n", "test.yaml:2:25",
		   "longer than 15 characters");
	expect_bad("interfaces:\n  - {port: p0, host-if: 'a/b'}\n", "test.yaml:2:25",
		   "host-if \"a/b\": holds a character other than");
	expect_bad("interfaces:\n  - {port: p0, host-if: [x]}\n", "test.yaml:2:25", "host-if");
	expect_bad("interfaces:\n"
		   "  - {name: lan, port: p0, host-if: tw0}\n"
		   "  - {name: wan, port: p1, host-if: tw0}\n",
		   "test.yaml:3:36", "host-if \"tw0\" is already interface \"lan\"'s");
	/* named after an interface whose name is no kernel name */
	expect_bad("host-if: yes\n"
		   "interfaces:\n"
		   "  - {name: 'my lan', port: p0}\n",
		   "test.yaml:3:5", "interface name \"my lan\" cannot name its host interface");
	expect_bad("host-if: maybe\ninterfaces:\n  - {port: p0}\n", "test.yaml:1:10",
		   "expected true or false");
	expect_bad("host-punt-rate: 0\ninterfaces:\n  - {port: p0}\n", "test.yaml:1:17",
		   "host-punt-rate");
}

static void
test_classify(void **state)
{
	uint8_t p4[64] = {0x45}, p6[64] = {0x60};

	(void)state;
	p4[9] = IPPROTO_ICMP;
	p4[20] = RTE_IP_ICMP_ECHO_REQUEST;
	assert_int_equal(rtr_hostif_classify(4, p4, 28), RTR_TO_NFVD);
	p4[20] = RTE_IP_ICMP_ECHO_REPLY; /* the kernel's own ping */
	assert_int_equal(rtr_hostif_classify(4, p4, 28), RTR_TO_KERNEL);
	p4[20] = 3; /* an error about the kernel's socket */
	assert_int_equal(rtr_hostif_classify(4, p4, 28), RTR_TO_KERNEL);
	p4[20] = RTE_IP_ICMP_ECHO_REQUEST;
	p4[6] = 0x20; /* a fragmented echo: the kernel reassembles */
	assert_int_equal(rtr_hostif_classify(4, p4, 28), RTR_TO_KERNEL);
	p4[6] = 0;
	p4[9] = IPPROTO_TCP;
	assert_int_equal(rtr_hostif_classify(4, p4, 40), RTR_TO_KERNEL);
	p4[9] = IPPROTO_UDP;
	assert_int_equal(rtr_hostif_classify(4, p4, 28), RTR_TO_KERNEL);
	p4[9] = 89; /* OSPF */
	assert_int_equal(rtr_hostif_classify(4, p4, 28), RTR_TO_KERNEL);
	p6[6] = IPPROTO_ICMPV6;
	p6[40] = 128;
	assert_int_equal(rtr_hostif_classify(6, p6, 48), RTR_TO_NFVD);
	p6[40] = 129;
	assert_int_equal(rtr_hostif_classify(6, p6, 48), RTR_TO_KERNEL);
	for (uint8_t t = 133; t <= 137; t++) {
		p6[40] = t;
		assert_int_equal(rtr_hostif_classify(6, p6, 48), RTR_TO_BOTH);
	}
	p6[40] = 143; /* MLDv2 report */
	assert_int_equal(rtr_hostif_classify(6, p6, 48), RTR_TO_KERNEL);
	p6[6] = IPPROTO_TCP;
	assert_int_equal(rtr_hostif_classify(6, p6, 60), RTR_TO_KERNEL);
	p6[6] = 89;
	assert_int_equal(rtr_hostif_classify(6, p6, 60), RTR_TO_KERNEL);
	assert_int_equal(rtr_hostif_classify(6, p6, 20), RTR_TO_NFVD); /* runt */
}

/* What the kernel gets, and what it does not */
static void
test_to_the_twin(void **state)
{
	static const uint8_t ospf_mac[6] = {0x01, 0x00, 0x5e, 0, 0, 5};
	static const uint8_t ospf6_mac[6] = {0x33, 0x33, 0, 0, 0, 5};
	uint8_t buf[2048];
	int n;

	(void)state;
	/* without twins: UDP to the router is refused (port unreachable),
	 * 224.0.0.5 and ff02::5 dropped as multicast */
	vnf_up(lab_yaml, false);
	run_punt(mk4(0, 0, &mac0, "10.0.1.2", "10.0.1.1", IPPROTO_UDP, 5000, 7, 10));
	assert_int_equal(nfv_fake.n_sent, 1);
	run_punt(mk4(0, 0, (const struct rte_ether_addr *)ospf_mac, "10.0.1.2", "224.0.0.5", 89, 0,
		     0, 30));
	run_punt(mk6(0, ospf6_mac, "fe80::2", "ff02::5", 89, 1, 1));
	assert_int_equal(drops(RTR_DROP_MULTICAST), 2);
	vnf_down();

	vnf_up(lab_yaml, true);
	/* UDP and TCP to the router's address: the twin's, untagged */
	run_punt(mk4(0, 0, &mac0, "10.0.1.2", "10.0.1.1", IPPROTO_UDP, 5000, 7, 10));
	n = kernel_got(0, buf, sizeof(buf));
	assert_int_equal(n, 14 + 28 + 10);
	assert_memory_equal(buf, &mac0, 6);
	assert_int_equal(buf[12] << 8 | buf[13], RTE_ETHER_TYPE_IPV4);
	run_punt(mk4(1, 10, &mac1, "10.0.2.2", "10.0.2.1", IPPROTO_TCP, 40000, 22, 20));
	n = kernel_got(1, buf, sizeof(buf));
	assert_int_equal(n, 14 + 28 + 20); /* the VLAN tag stays out */
	assert_int_equal(buf[12] << 8 | buf[13], RTE_ETHER_TYPE_IPV4);
	assert_int_equal(buf[14 + 9], IPPROTO_TCP);
	assert_int_equal(nfv_fake.n_sent, 0);
	/* to wan's address in through lan: lan's twin (the kernel's weak
	 * host model takes it) */
	run_punt(mk4(0, 0, &mac0, "10.0.1.2", "10.0.2.1", IPPROTO_TCP, 40000, 179, 20));
	assert_true(kernel_got(0, buf, sizeof(buf)) > 0);
	/* an echo request: nfvd answers, the kernel sees nothing */
	run_punt(mk4(0, 0, &mac0, "10.0.1.2", "10.0.1.1", IPPROTO_ICMP, 0, 0, 16));
	assert_int_equal(nfv_fake.n_sent, 1);
	assert_int_equal(kernel_got(0, buf, sizeof(buf)), -1);
	nfv_fake_sent_free();
	/* OSPF's groups, v4 and v6, go up */
	run_punt(mk4(0, 0, (const struct rte_ether_addr *)ospf_mac, "10.0.1.2", "224.0.0.5", 89, 0,
		     0, 30));
	assert_int_equal(kernel_got(0, buf, sizeof(buf)), 14 + 28 + 30);
	run_punt(mk6(0, ospf6_mac, "fe80::2", "ff02::5", 89, 1, 1));
	assert_int_equal(kernel_got(0, buf, sizeof(buf)), 14 + 48);
	assert_int_equal(ctr(RTR_CTR_PUNT_HOST), 2);
	/* routed multicast is not link-scope: still dropped */
	run_punt(mk4(0, 0, (const struct rte_ether_addr *)ospf_mac, "10.0.1.2", "239.1.1.1",
		     IPPROTO_UDP, 1, 2, 8));
	assert_int_equal(drops(RTR_DROP_MULTICAST), 1);
	assert_int_equal(kernel_got(0, buf, sizeof(buf)), -1);
	/* IPv6 to our link-local, not an echo: the twin's */
	{
		char ll[64];
		uint8_t dst[6];

		inet_ntop(AF_INET6, st_of()->tables->ifs[0].ll6, ll, sizeof(ll));
		memcpy(dst, &mac0, 6);
		run_punt(mk6(0, dst, "fe80::2", ll, IPPROTO_UDP, 0, 64));
		assert_int_equal(kernel_got(0, buf, sizeof(buf)), 14 + 48);
	}
	/* ARP: nfvd answers a request for its address and the kernel gets a
	 * copy (its neighbour table learns the host) */
	run_punt(mk_arp(RTE_ARP_OP_REQUEST, "10.0.1.9", "10.0.1.1", hmac, NULL));
	assert_int_equal(nfv_fake.n_sent, 1);
	assert_int_equal(kernel_got(0, buf, sizeof(buf)), 60);
	assert_int_equal(buf[12] << 8 | buf[13], RTE_ETHER_TYPE_ARP);
	assert_int_equal(st_of()->cp[RTR_CP_HOSTIF_RX], 7);
	assert_int_equal(st_of()->cp[RTR_CP_HOSTIF_RX_FAIL], 0);
	vnf_down();
}

/* A frame as the kernel sends it on a twin: from the interface's MAC to
 * dst, EtherType type, len bytes in all */
static size_t
kernel_frame(uint8_t *f, const struct rte_ether_addr *src, uint16_t type, size_t len)
{
	memset(f, 0, len);
	memcpy(f, hmac, 6);
	memcpy(f + 6, src, 6);
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
	for (size_t i = 14; i < len; i++)
		f[i] = (uint8_t)i;
	return len;
}

static void
test_from_the_twin(void **state)
{
	uint8_t f[1600], *d;
	struct rte_arp_hdr *a;

	(void)state;
	vnf_up(lab_yaml, true);
	/* lan: out by port 0 as it is */
	assert_int_equal(send(kern[0], f, kernel_frame(f, &mac0, RTE_ETHER_TYPE_IPV4, 1000), 0),
			 1000);
	/* wan: out by port 1, tagged VLAN 10 */
	assert_int_equal(send(kern[1], f, kernel_frame(f, &mac1, RTE_ETHER_TYPE_IPV4, 1514), 0),
			 1514);
	assert_int_equal(rtr_hostif_poll(st_of()), 2);
	assert_int_equal(nfv_fake.n_sent, 2);
	assert_int_equal(nfv_fake.sent_port[0], 0);
	assert_int_equal(rte_pktmbuf_pkt_len(nfv_fake.sent[0]), 1000);
	assert_int_equal(nfv_fake.sent_port[1], 1);
	assert_int_equal(rte_pktmbuf_pkt_len(nfv_fake.sent[1]), 1518);
	d = rte_pktmbuf_mtod(nfv_fake.sent[1], uint8_t *);
	assert_memory_equal(d, hmac, 6);
	assert_memory_equal(d + 6, &mac1, 6);
	assert_int_equal(d[12] << 8 | d[13], RTE_ETHER_TYPE_VLAN);
	assert_int_equal(d[14] << 8 | d[15], 10);
	assert_int_equal(d[16] << 8 | d[17], RTE_ETHER_TYPE_IPV4);
	kernel_frame(f, &mac1, RTE_ETHER_TYPE_IPV4, 1514);
	for (uint32_t i = 14; i < 1514; i++)
		if (rte_pktmbuf_mtod(nfv_fake.sent[1], uint8_t *)[i + 4] != f[i])
			fail_msg("byte %u", i);
	nfv_fake_sent_free();
	/* not the interface's MAC, too big for its MTU, a runt: dropped */
	send(kern[0], f, kernel_frame(f, &mac1, RTE_ETHER_TYPE_IPV4, 100), 0);
	send(kern[0], f, kernel_frame(f, &mac0, RTE_ETHER_TYPE_IPV4, 1515), 0);
	send(kern[0], f, 10, 0);
	/* the kernel's ARP reply for nfvd's own address (nfvd answered it)
	 * filtered; its ARP request for a host goes out */
	kernel_frame(f, &mac0, RTE_ETHER_TYPE_ARP, 60);
	a = (struct rte_arp_hdr *)(f + 14);
	a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	inet_pton(AF_INET, "10.0.1.1", &a->arp_data.arp_sip);
	send(kern[0], f, 60, 0);
	a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
	send(kern[0], f, 60, 0);
	assert_int_equal(rtr_hostif_poll(st_of()), 5);
	assert_int_equal(nfv_fake.n_sent, 1);
	assert_int_equal(st_of()->cp[RTR_CP_HOSTIF_TX_FILTERED], 2);
	assert_int_equal(st_of()->cp[RTR_CP_HOSTIF_TX_BAD], 2);
	nfv_fake_sent_free();
	/* a chatty kernel: RTR_HOSTIF_BUDGET frames per pass, the rest on the
	 * next ones */
	for (int i = 0; i < RTR_HOSTIF_BUDGET + 10; i++)
		assert_int_equal(send(kern[i & 1], f,
				      kernel_frame(f, i & 1 ? &mac1 : &mac0, RTE_ETHER_TYPE_IPV6, 80),
				      0),
				 80);
	assert_int_equal(rtr_hostif_poll(st_of()), RTR_HOSTIF_BUDGET);
	assert_int_equal(st_of()->cp[RTR_CP_HOSTIF_PASS_FULL], 1);
	assert_int_equal(rtr_hostif_poll(st_of()), 10);
	assert_int_equal(rtr_hostif_poll(st_of()), 0);
	/* nfv_fake keeps up to NFV_FAKE_SENT_MAX */
	assert_int_equal(nfv_fake.n_sent, RTR_HOSTIF_BUDGET + 10);
	vnf_down();
}

/* A flood to the router's address empties the host bucket only: routing
 * protocols, ARP and ND keep theirs */
static void
test_punt_buckets(void **state)
{
	uint64_t limit;

	(void)state;
	vnf_up("name: r1\n"
	       "class: router\n"
	       "host-punt-rate: 1\n" /* a burst of 64, then (almost) nothing */
	       "interfaces:\n"
	       "  - {name: lan, port: p0, addresses: [10.0.1.1/24, 2001:db8:1::1/64]}\n"
	       "  - {name: wan, port: p1, vlan: 10, addresses: [10.0.2.1/24]}\n",
	       true);
	limit = st_of()->punt_burst[RTR_TB_HOST];
	assert_int_equal(limit, 64);
	for (int i = 0; i < 200; i++) {
		struct rte_mbuf *m =
			mk4(0, 0, &mac0, "10.0.1.2", "10.0.1.1", IPPROTO_UDP, 5000, 9999, 10);

		assert_int_equal(rtr_process(&vnf, wk, &m, 1), 0);
	}
	assert_int_equal(ctr(RTR_CTR_PUNT_LOCAL), limit);
	assert_int_equal(drops(RTR_DROP_HOST_LIMIT), 200 - limit);
	assert_int_equal(drops(RTR_DROP_PUNT_LIMIT), 0);
	/* BGP (either port), OSPF, BFD, ND to our address and ARP still go */
	{
		struct rte_mbuf *m[6] = {
			mk4(0, 0, &mac0, "10.0.1.2", "10.0.1.1", IPPROTO_TCP, 40000, 179, 20),
			mk4(0, 0, &mac0, "10.0.1.2", "10.0.1.1", IPPROTO_TCP, 179, 40000, 20),
			mk4(0, 0, &mac0, "10.0.1.2", "10.0.1.1", 89, 0, 0, 20),
			mk4(0, 0, &mac0, "10.0.1.2", "10.0.1.1", IPPROTO_UDP, 49152, 3784, 20),
			mk6(0, (const uint8_t *)&mac0, "2001:db8:1::2", "2001:db8:1::1",
			    IPPROTO_ICMPV6, 136, 255),
			mk_arp(RTE_ARP_OP_REQUEST, "10.0.1.9", "10.0.1.1", hmac, NULL),
		};

		assert_int_equal(rtr_process(&vnf, wk, m, 6), 0);
	}
	assert_int_equal(ctr(RTR_CTR_PUNT_LOCAL), limit + 5);
	assert_int_equal(ctr(RTR_CTR_PUNT_ARP), 1);
	assert_int_equal(drops(RTR_DROP_HOST_LIMIT), 200 - limit);
	/* ... and a plain TCP service does not */
	{
		struct rte_mbuf *m =
			mk4(0, 0, &mac0, "10.0.1.2", "10.0.1.1", IPPROTO_TCP, 40000, 22, 20);

		assert_int_equal(rtr_process(&vnf, wk, &m, 1), 0);
	}
	assert_int_equal(drops(RTR_DROP_HOST_LIMIT), 200 - limit + 1);
	/* link-scope multicast for the twin: OSPF's hellos in the control
	 * bucket, an mDNS storm in the host one */
	{
		static const uint8_t ospf_mac[6] = {0x01, 0x00, 0x5e, 0, 0, 5};
		static const uint8_t mdns_mac[6] = {0x01, 0x00, 0x5e, 0, 0, 0xfb};
		struct rte_mbuf *m[2] = {
			mk4(0, 0, (const struct rte_ether_addr *)ospf_mac, "10.0.1.2", "224.0.0.5",
			    89, 0, 0, 30),
			mk4(0, 0, (const struct rte_ether_addr *)mdns_mac, "10.0.1.2",
			    "224.0.0.251", IPPROTO_UDP, 5353, 5353, 30),
		};

		assert_int_equal(rtr_process(&vnf, wk, m, 2), 0);
	}
	assert_int_equal(ctr(RTR_CTR_PUNT_HOST), 1);
	assert_int_equal(drops(RTR_DROP_HOST_LIMIT), 200 - limit + 2);
	assert_int_equal(drops(RTR_DROP_PUNT_LIMIT), 0);
	vnf_down();
}

int
main(int argc, char **argv)
{
	char *eal[] = {argv[0],	      "--no-huge",     "-m", "512", "--no-pci",
		       "--no-shconf", "--log-level=4", "-l", "0"};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_host_if),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_to_the_twin),
		cmocka_unit_test(test_from_the_twin),
		cmocka_unit_test(test_punt_buckets),
	};

	(void)argc;
	if (test_eal_init((int)RTE_DIM(eal), eal) < 0)
		return 1;
	nfv_meta_register();
	pool = rte_pktmbuf_pool_create("hiftest", 2047, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	nfv_fake.pool = pool;
	nfv_fake.now_ms = 1000;
	wk = rte_zmalloc(NULL, sizeof(*wk), RTE_CACHE_LINE_SIZE);
	ncfg = calloc(1, sizeof(*ncfg));
	punt_ring = rte_ring_create("hifpunt", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (punt_ring == NULL || nfv_meta_offset < 0 || pool == NULL || wk == NULL || ncfg == NULL)
		return 1;
	ncfg->n_ports = 2;
	snprintf(ncfg->ports[0].name, NFV_NAME_MAX, "p0");
	snprintf(ncfg->ports[1].name, NFV_NAME_MAX, "p1");
	cls = vnf_class_find("router");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
