/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - unit tests on crafted mbufs: config errors with
 * positions, header validation reasons, TTL/checksum update, FIB and ECMP,
 * the ARP state machine, ICMP generation, one million routes against a
 * reference. The engine services are nfv_fake's.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>

#include <cmocka.h>

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "nfv_fake.h"
#include "router_rt.h"
#include "test_eal.h"

/* ---------------- engine services: nfv_fake; model fakes ---------------- */
static struct rte_mempool *pool;

/* as the model's: relative to the chain file's folder (none here) */
int
nfv_config_path(const struct nfv_config *cfg, const char *in, char *out, size_t size)
{
	int n;

	(void)cfg;
	n = snprintf(out, size, "%s", in);
	if (n < 0 || (size_t)n >= size) {
		out[0] = '\0';
		return -ENAMETOOLONG;
	}
	return n;
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
static struct nfv_config *ncfg;
static struct nfv_vnf vnf;
static struct nfv_worker *wk;
static uint64_t chain_ctr[3];
static const struct vnf_class *cls;
static struct rte_ring *punt_ring;

/* What the control thread sent so far, freed and forgotten */
static void
sent_free(void)
{
	for (unsigned int i = 0; i < nfv_fake.n_sent; i++)
		rte_pktmbuf_free(nfv_fake.sent[i]);
	nfv_fake.n_sent = 0;
}

static const char *good_yaml = "name: r1\n"
			       "class: router\n"
			       "reachable-ms: 1000\n"
			       "retrans-ms: 100\n"
			       "probes: 2\n"
			       "interfaces:\n"
			       "  - name: lan\n"
			       "    port: p0\n"
			       "    addresses: [10.0.1.1/24, 2001:db8:1::1/64]\n"
			       "  - name: wan\n"
			       "    port: p1\n"
			       "    vlan: 10\n"
			       "    mtu: 1280\n"
			       "    addresses: [10.0.2.1/24, 2001:db8:2::1/64]\n"
			       "routes:\n"
			       "  - prefix: 192.168.0.0/16\n"
			       "    via: 10.0.2.2\n"
			       "  - prefix: 172.16.0.0/12\n"
			       "    via: [10.0.2.2, 10.0.2.3]\n"
			       "  - prefix: 10.99.0.0/16\n"
			       "    type: blackhole\n"
			       "  - prefix: 2001:db8:99::/48\n"
			       "    via: 2001:db8:2::2\n"
			       "neighbours:\n"
			       "  - {address: 10.0.2.2, mac: '02:00:00:00:02:02'}\n"
			       "  - {address: 10.0.2.3, mac: '02:00:00:00:02:03'}\n"
			       "  - {address: 2001:db8:2::2, mac: '02:00:00:00:02:22'}\n";

static const struct rte_ether_addr mac0 = {{0x02, 0, 0, 0, 0, 0x10}};
static const struct rte_ether_addr mac1 = {{0x02, 0, 0, 0, 0, 0x11}};

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

static void
vnf_up(const char *yaml)
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
	snprintf(st->name, sizeof(st->name), "t%u", (unsigned)rand());
	st->tx = nfv_ctl_tx;
	st->pool = pool;
	st->vnf = &vnf;
	rtr_state_init(st, c, rte_get_tsc_hz());
	assert_int_equal(rtr_reasm_init(st), 0);
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
	sent_free();
	rtr_tables_free(st->tables);
	rtr_reasm_fini(st);
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

/* Ethernet (+VLAN) + IPv4 + UDP with payload, all valid. */
static struct rte_mbuf *
mk4(uint16_t port, uint16_t vlan, const struct rte_ether_addr *dmac, const char *src,
    const char *dst, uint8_t ttl, uint16_t payload)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint16_t l2 = vlan ? 18 : 14, len = (uint16_t)(l2 + 28 + payload);
	uint8_t *d;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *uh;

	assert_non_null(m);
	d = (uint8_t *)rte_pktmbuf_append(m, len);
	assert_non_null(d);
	ip = (struct rte_ipv4_hdr *)(d + l2);
	uh = (struct rte_udp_hdr *)(ip + 1);

	memset(d, 0, len);
	memcpy(d, dmac, 6);
	d[6] = 0x02;
	d[11] = 0x99;
	if (vlan) {
		*(uint16_t *)(d + 12) = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		*(uint16_t *)(d + 14) = rte_cpu_to_be_16(vlan);
	}
	*(uint16_t *)(d + l2 - 2) = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(28 + payload));
	ip->packet_id = rte_cpu_to_be_16(0x1234);
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = ttl;
	ip->next_proto_id = IPPROTO_UDP;
	inet_pton(AF_INET, src, &ip->src_addr);
	inet_pton(AF_INET, dst, &ip->dst_addr);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	uh->src_port = rte_cpu_to_be_16(1000);
	uh->dst_port = rte_cpu_to_be_16(33434);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)(8 + payload));
	m->port = port;
	nfv_meta(m)->in_port = port;
	return m;
}

/* Ethernet + IPv6 + UDP with payload (untagged) */
static struct rte_mbuf *
mk6(uint16_t port, const struct rte_ether_addr *dmac, const char *src, const char *dst,
    uint8_t hops, uint16_t payload)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint16_t len = (uint16_t)(14 + 40 + 8 + payload);
	struct rte_ipv6_hdr *ip6;
	uint8_t *d;

	assert_non_null(m);
	/* the frame's start through mtod: gcc 12 at -O3 (a release build)
	 * sees append's pointer as a zero-size object and fails the memset */
	assert_non_null(rte_pktmbuf_append(m, len));
	d = rte_pktmbuf_mtod(m, uint8_t *);
	memset(d, 0, len);
	memcpy(d, dmac, 6);
	d[6] = 0x02;
	d[11] = 0x66;
	*(uint16_t *)(d + 12) = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	ip6 = (struct rte_ipv6_hdr *)(d + 14);
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16((uint16_t)(8 + payload));
	ip6->proto = IPPROTO_UDP;
	ip6->hop_limits = hops;
	inet_pton(AF_INET6, src, ip6->src_addr);
	inet_pton(AF_INET6, dst, ip6->dst_addr);
	m->port = port;
	nfv_meta(m)->in_port = port;
	return m;
}

static struct rte_ipv4_hdr *
ip4_of(struct rte_mbuf *m, uint16_t l2)
{
	return rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l2);
}

/* Run the router stage, then do what the engine does after a chain's last
 * stage for a sets_out_port class: queue each returned packet on its
 * out_port. Returns how many came back without an egress (the engine would
 * drop them as no-egress). */
static uint16_t
run(struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t k = rtr_process(&vnf, wk, pkts, n), lost = 0;

	for (uint16_t i = 0; i < k; i++) {
		uint16_t port = nfv_meta(pkts[i])->out_port;

		if (port == NFV_PORT_NONE) {
			rte_pktmbuf_free(pkts[i]);
			lost++;
			continue;
		}
		nfv_tx(wk, port, pkts[i]);
	}
	return lost;
}

static struct rte_mbuf *
take_punt(void)
{
	struct rte_mbuf *m = NULL;

	if (rte_ring_dequeue(wk->punt, (void **)&m) != 0)
		return NULL;
	return m;
}

/* ---------------- tests ---------------- */

static void
test_config_good(void **state)
{
	struct cfg_errors err = {0};
	struct rtr_conf *c = NULL;

	(void)state;
	assert_int_equal(parse(good_yaml, &c, &err), 0);
	assert_int_equal(c->n_if, 2);
	assert_int_equal(c->ifs[1].vlan, 10);
	assert_int_equal(c->ifs[1].mtu, 1280);
	assert_int_equal(c->n_routes, 4);
	assert_int_equal(c->routes[1].n_via, 2);
	assert_int_equal(c->routes[2].type, RTR_RT_BLACKHOLE);
	assert_int_equal(c->n_neigh, 3);
	assert_int_equal(c->neigh[0].iface, 1);
	rtr_config_free(c);
	cfg_errors_free(&err);
}

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
test_config_bad(void **state)
{
	(void)state;
	expect_bad("interfaces:\n  - port: p0\n    vlan: 4095\n", "test.yaml:3:11", "vlan");
	expect_bad("interfaces:\n"
		   "  - {port: p0, addresses: [10.0.1.1/24]}\n"
		   "  - {port: p1, addresses: [10.0.1.2/16]}\n",
		   "test.yaml:3:28", "overlaps 10.0.1.1/24 on interface \"p0\"");
	expect_bad("interfaces:\n"
		   "  - {port: p0, addresses: [10.0.1.1/24]}\n"
		   "routes:\n"
		   "  - {prefix: 0.0.0.0/0, via: 10.9.9.9}\n",
		   "test.yaml:4:30", "not on any connected subnet");
	expect_bad("interfaces:\n"
		   "  - {port: p0, addresses: [10.0.1.1/24]}\n"
		   "routes:\n"
		   "  - {prefix: 10.1.2.3/8, via: 10.0.1.2}\n",
		   "test.yaml:4:14", "host bits");
	expect_bad("interfaces:\n"
		   "  - {port: p0, addresses: [10.0.1.1/33]}\n",
		   "test.yaml:2:28", "prefix length");
	expect_bad("interfaces:\n  - {port: nope}\n", "test.yaml:2:12", "nope");
	expect_bad("interfaces:\n  - {port: p0, colour: red}\n", "test.yaml:2:16", "colour");
}

/* a path too long is refused at its position, never cut; an interface's
 * own MAC and a neighbour's MAC are unicast and not all-zero */
static void
test_config_long_path_and_macs(void **state)
{
	char yaml[512], longp[301];

	(void)state;
	memset(longp, 'r', 300);
	longp[300] = '\0';
	snprintf(yaml, sizeof(yaml),
		 "interfaces:\n  - {port: p0, addresses: [10.0.1.1/24]}\nroutes-file: %s\n",
		 longp);
	expect_bad(yaml, "test.yaml:3:14", "routes-file: path of 300 characters");
	expect_bad("interfaces:\n  - {port: p0, mac: '01:00:5e:00:00:01', addresses: [10.0.1.1/24]}\n",
		   "test.yaml:2:21", "a multicast address cannot be an interface's address");
	expect_bad("interfaces:\n  - {port: p0, mac: '00:00:00:00:00:00', addresses: [10.0.1.1/24]}\n",
		   "test.yaml:2:21", "00:00:00:00:00:00 is not an interface's address");
	expect_bad("interfaces:\n  - {port: p0, addresses: [10.0.1.1/24]}\n"
		   "neighbours:\n  - {address: 10.0.1.2, mac: 'ff:ff:ff:ff:ff:ff'}\n",
		   "test.yaml:4:30", "a multicast address cannot be a neighbour's address");
}

static void
test_forward_v4_vlan_ttl_checksum(void **state)
{
	struct rte_mbuf *m[2];
	struct rte_ipv4_hdr *ip, ref;
	const uint8_t nmac[6] = {0x02, 0, 0, 0, 0x02, 0x02};
	uint8_t *d;

	(void)state;
	vnf_up(good_yaml);
	m[0] = mk4(0, 0, &mac0, "10.0.1.5", "10.0.2.2", 64, 18);
	m[1] = mk4(0, 0, &mac0, "10.0.1.5", "192.168.7.7", 2, 100);
	assert_int_equal(run(m, 2), 0);
	assert_int_equal(wk->tx[1].n, 2);
	assert_int_equal(ctr(RTR_CTR_FWD4), 2);
	for (int i = 0; i < 2; i++) {
		struct rte_mbuf *o = wk->tx[1].pkts[i];

		d = rte_pktmbuf_mtod(o, uint8_t *);
		assert_memory_equal(d, nmac, 6);
		assert_memory_equal(d + 6, &mac1, 6);
		assert_int_equal(rte_be_to_cpu_16(*(uint16_t *)(d + 12)), RTE_ETHER_TYPE_VLAN);
		assert_int_equal(rte_be_to_cpu_16(*(uint16_t *)(d + 14)), 10);
		ip = ip4_of(o, 18);
		assert_int_equal(ip->time_to_live, i == 0 ? 63 : 1);
		ref = *ip;
		ref.hdr_checksum = 0;
		assert_int_equal(ip->hdr_checksum, rte_ipv4_cksum(&ref));
	}
	/* back from the VLAN to the untagged side strips the tag */
	vnf_down();
	vnf_up(good_yaml);
	m[0] = mk4(1, 10, &mac1, "192.168.1.1", "10.0.1.1", 64, 18);
	assert_int_equal(run(m, 1), 0);
	assert_int_equal(ctr(RTR_CTR_PUNT_LOCAL), 1);
	vnf_down();
}

/* Untagged in and out, one next hop: the fast path (rtr_fast4_*). What it
 * does not take falls back to the full path and is counted there. */
static void
test_fast_path_and_fallbacks(void **state)
{
	static const char *yaml = "name: r1\n"
				  "class: router\n"
				  "interfaces:\n"
				  "  - {name: lan, port: p0, addresses: [10.0.1.1/24]}\n"
				  "  - {name: wan, port: p1, mtu: 576, addresses: [10.0.2.1/24]}\n"
				  "routes:\n"
				  "  - {prefix: 192.168.0.0/16, via: 10.0.2.2}\n"
				  "  - {prefix: 172.16.0.0/12, via: 10.0.2.9}\n"
				  "neighbours:\n"
				  "  - {address: 10.0.2.2, mac: '02:00:00:00:02:02'}\n";
	const uint8_t nmac[6] = {0x02, 0, 0, 0, 0x02, 0x02};
	const uint8_t ttl_out[3] = {63, 1, 63};
	struct rte_mbuf *m[6];
	struct rte_ipv4_hdr *ip, ref;

	(void)state;
	vnf_up(yaml);
	m[0] = mk4(0, 0, &mac0, "10.0.1.5", "192.168.7.7", 64, 18);
	m[1] = mk4(0, 0, &mac0, "10.0.1.5", "172.16.1.1", 64, 18);   /* unresolved */
	m[2] = mk4(0, 0, &mac0, "10.0.1.5", "192.168.7.7", 64, 600); /* > MTU, DF */
	m[3] = mk4(0, 0, &mac0, "10.0.1.5", "192.168.7.7", 2, 18);
	m[4] = mk4(0, 0, &mac0, "10.0.1.5", "192.168.7.7", 64, 18);
	ip4_of(m[4], 14)->hdr_checksum ^= 0x0101;
	m[5] = mk4(0, 0, &mac0, "10.0.1.5", "10.0.2.2", 64, 18); /* connected */
	assert_int_equal(run(m, 6), 0);
	assert_int_equal(ctr(RTR_CTR_FWD4), 3);
	assert_int_equal(ctr(RTR_CTR_PUNT_RESOLVE), 1);
	assert_int_equal(ctr(RTR_CTR_PUNT_TOOBIG), 1);
	assert_int_equal(drops(RTR_DROP_BAD_CHECKSUM), 1);
	assert_int_equal(wk->tx[1].n, 3);
	for (int i = 0; i < 3; i++) {
		struct rte_mbuf *o = wk->tx[1].pkts[i];
		uint8_t *d = rte_pktmbuf_mtod(o, uint8_t *);

		assert_int_equal(rte_pktmbuf_data_len(o), 14 + 28 + 18);
		assert_memory_equal(d, nmac, 6);
		assert_memory_equal(d + 6, &mac1, 6);
		assert_int_equal(rte_be_to_cpu_16(*(uint16_t *)(d + 12)), RTE_ETHER_TYPE_IPV4);
		ip = ip4_of(o, 14);
		assert_int_equal(ip->time_to_live, ttl_out[i]);
		ref = *ip;
		ref.hdr_checksum = 0;
		assert_int_equal(ip->hdr_checksum, rte_ipv4_cksum(&ref));
	}
	vnf_down();
}

/* The IPv6 fast path and what it leaves to the full path */
static void
test_fast_path_v6(void **state)
{
	static const char *yaml =
		"name: r1\n"
		"class: router\n"
		"interfaces:\n"
		"  - {name: lan, port: p0, addresses: [2001:db8:1::1/64]}\n"
		"  - {name: wan, port: p1, mtu: 1280, addresses: [2001:db8:2::1/64]}\n"
		"routes:\n"
		"  - {prefix: '2001:db8:99::/48', via: '2001:db8:2::2'}\n"
		"  - {prefix: '2001:db8:98::/48', via: '2001:db8:2::9'}\n"
		"neighbours:\n"
		"  - {address: '2001:db8:2::2', mac: '02:00:00:00:02:22'}\n";
	const uint8_t nmac[6] = {0x02, 0, 0, 0, 0x02, 0x22};
	struct rte_mbuf *m[6];

	(void)state;
	vnf_up(yaml);
	m[0] = mk6(0, &mac0, "2001:db8:1::5", "2001:db8:99::7", 64, 18);
	m[1] = mk6(0, &mac0, "2001:db8:1::5", "2001:db8:98::7", 64, 18);   /* unresolved */
	m[2] = mk6(0, &mac0, "2001:db8:1::5", "2001:db8:99::7", 64, 1300); /* > MTU */
	m[3] = mk6(0, &mac0, "2001:db8:1::5", "2001:db8:99::7", 1, 18);	   /* hop limit */
	m[4] = mk6(0, &mac0, "fe80::5", "2001:db8:99::7", 64, 18);	   /* beyond scope */
	m[5] = mk6(0, &mac0, "2001:db8:1::5", "2001:db8:99::8", 2, 18);
	rte_pktmbuf_trim(m[5], 10); /* payload length beyond the frame */
	assert_int_equal(run(m, 6), 0);
	assert_int_equal(ctr(RTR_CTR_FWD6), 1);
	assert_int_equal(ctr(RTR_CTR_PUNT_RESOLVE), 1);
	assert_int_equal(ctr(RTR_CTR_PUNT_TOOBIG), 1);
	assert_int_equal(ctr(RTR_CTR_PUNT_TTL), 1);
	assert_int_equal(ctr(RTR_CTR_PUNT_UNREACH), 1);
	assert_int_equal(drops(RTR_DROP_BAD_LENGTH), 1);
	assert_int_equal(wk->tx[1].n, 1);
	{
		struct rte_mbuf *o = wk->tx[1].pkts[0];
		uint8_t *d = rte_pktmbuf_mtod(o, uint8_t *);

		assert_memory_equal(d, nmac, 6);
		assert_memory_equal(d + 6, &mac1, 6);
		assert_int_equal(rte_be_to_cpu_16(*(uint16_t *)(d + 12)), RTE_ETHER_TYPE_IPV6);
		assert_int_equal(rte_pktmbuf_mtod_offset(o, struct rte_ipv6_hdr *, 14)->hop_limits,
				 63);
	}
	/* a host on the connected wan subnet (its neighbour static): the
	 * first frame fills the worker's neighbour cache on the full path,
	 * the others take the fast path, all forwarded alike */
	for (int i = 0; i < 3; i++)
		m[i] = mk6(0, &mac0, "2001:db8:1::5", "2001:db8:2::2", 64, 18);
	assert_int_equal(run(m, 3), 0);
	assert_int_equal(ctr(RTR_CTR_FWD6), 4);
	assert_int_equal(wk->tx[1].n, 4);
	for (int i = 1; i < 4; i++) {
		struct rte_mbuf *o = wk->tx[1].pkts[i];

		assert_memory_equal(rte_pktmbuf_mtod(o, uint8_t *), nmac, 6);
		assert_memory_equal(rte_pktmbuf_mtod(o, uint8_t *) + 6, &mac1, 6);
		assert_int_equal(rte_pktmbuf_mtod_offset(o, struct rte_ipv6_hdr *, 14)->hop_limits,
				 63);
	}
	vnf_down();
}

/* nfv_ip4_csum_ok (folds by rotation) against rte_raw_cksum on random
 * headers, each checked as built, with one bit flipped, and with the
 * checksum field zeroed */
static void
test_csum_check_random(void **state)
{
	uint8_t h[20];
	unsigned int ok = 0, bad = 0;

	(void)state;
	srand(1);
	for (unsigned int i = 0; i < 200000; i++) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)h;

		for (int k = 0; k < 20; k++)
			h[k] = (uint8_t)(i % 3 == 0 ? 0xff - rand() % 3 : rand());
		ip->version_ihl = 0x45; /* rte_ipv4_cksum sums IHL words */
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		for (int v = 0; v < 3; v++) {
			bool want;

			if (v == 1)
				h[rand() % 20] ^= (uint8_t)(1u << (rand() % 8));
			if (v == 2)
				ip->hdr_checksum = 0;
			want = rte_raw_cksum(h, 20) == 0xffff;
			assert_int_equal(nfv_ip4_csum_ok(ip), want);
			ok += want;
			bad += !want;
		}
	}
	assert_true(ok >= 200000 && bad >= 200000);
}

static void
test_csum_update_exhaustive(void **state)
{
	struct rte_ipv4_hdr ip;

	(void)state;
	memset(&ip, 0, sizeof(ip));
	ip.version_ihl = 0x45;
	for (unsigned int ttl = 2; ttl < 256; ttl++)
		for (unsigned int v = 0; v < 65536; v += 257) {
			uint16_t old;

			ip.time_to_live = (uint8_t)ttl;
			ip.packet_id = (uint16_t)v;
			ip.next_proto_id = (uint8_t)(v * 7);
			ip.hdr_checksum = 0;
			ip.hdr_checksum = rte_ipv4_cksum(&ip);
			old = *(uint16_t *)&ip.time_to_live;
			ip.time_to_live--;
			ip.hdr_checksum = rtr_csum_update16(ip.hdr_checksum, old,
							    *(uint16_t *)&ip.time_to_live);
			assert_int_equal(rte_raw_cksum(&ip, 20), 0xffff);
		}
}

static void
test_validation_reasons(void **state)
{
	struct rte_mbuf *m[10];
	uint8_t *d;

	(void)state;
	vnf_up(good_yaml);
	m[0] = mk4(0, 0, &mac0, "10.0.1.5", "10.0.2.2", 64, 18);
	ip4_of(m[0], 14)->hdr_checksum ^= 0x0101;
	m[1] = mk4(0, 0, &mac0, "10.0.1.5", "10.0.2.2", 64, 18);
	ip4_of(m[1], 14)->version_ihl = 0x55;
	m[2] = mk4(0, 0, &mac0, "10.0.1.5", "10.0.2.2", 64, 18);
	ip4_of(m[2], 14)->version_ihl = 0x44;
	m[3] = mk4(0, 0, &mac0, "10.0.1.5", "10.0.2.2", 64, 18);
	rte_pktmbuf_trim(m[3], rte_pktmbuf_data_len(m[3]) - 30); /* 16 bytes of IP */
	m[4] = mk4(0, 0, &mac0, "10.0.1.5", "10.0.2.2", 64, 18);
	ip4_of(m[4], 14)->total_length = rte_cpu_to_be_16(400);
	ip4_of(m[4], 14)->hdr_checksum = 0;
	ip4_of(m[4], 14)->hdr_checksum = rte_ipv4_cksum(ip4_of(m[4], 14));
	m[5] = mk4(0, 0, &mac0, "10.0.1.5", "10.0.2.2", 64, 18);
	ip4_of(m[5], 14)->version_ihl = 0x46; /* one option word */
	ip4_of(m[5], 14)->hdr_checksum = 0;
	ip4_of(m[5], 14)->hdr_checksum = rte_raw_cksum(ip4_of(m[5], 14), 24) ^ 0xffff;
	m[6] = mk4(0, 0, &mac0, "10.0.1.5", "10.0.2.2", 1, 18);	  /* TTL 1: punted */
	m[7] = mk4(0, 0, &mac0, "10.0.1.5", "10.99.1.1", 64, 18); /* blackhole */
	m[8] = mk4(0, 0, &mac1, "10.0.1.5", "10.0.2.2", 64, 18);  /* not our MAC */
	m[9] = mk4(0, 0, &mac0, "10.0.1.5", "8.8.8.8", 64, 18);	  /* no route */
	d = rte_pktmbuf_mtod(m[8], uint8_t *);
	d[0] = 0x00;
	assert_int_equal(run(m, 10), 0);
	assert_int_equal(drops(RTR_DROP_BAD_CHECKSUM), 1);
	assert_int_equal(drops(RTR_DROP_BAD_VERSION), 1);
	assert_int_equal(drops(RTR_DROP_BAD_IHL), 1);
	assert_int_equal(drops(RTR_DROP_TRUNCATED), 1);
	assert_int_equal(drops(RTR_DROP_BAD_LENGTH), 1);
	/* the option word (the UDP header's bytes) is malformed */
	assert_int_equal(ctr(RTR_CTR_PUNT_PARAM), 1);
	assert_int_equal(drops(RTR_DROP_BLACKHOLE), 1);
	assert_int_equal(drops(RTR_DROP_OTHER_HOST), 1);
	assert_int_equal(ctr(RTR_CTR_PUNT_TTL), 1);
	assert_int_equal(ctr(RTR_CTR_PUNT_UNREACH), 1);
	assert_int_equal(wk->tx[1].n, 0);
	assert_int_equal(chain_ctr[2], 7);
	vnf_down();
}

/* Valid frames of every kind the router meets (fast path, connected,
 * VLAN in and out, ECMP, IPv6, blackhole, no route), each with random
 * bytes of its first 64 changed or its end cut off, in bursts: nothing
 * crashes (the unit tests run under ASan/UBSan), every frame is accounted
 * for exactly once (sent, punted or dropped), and every IPv4 frame sent
 * has a good header checksum. */
static void
test_fuzz_accounting(void **state)
{
	static const char *dst4[] = {"192.168.7.7", "10.0.2.2", "172.16.3.3",
				     "10.99.1.1",   "8.8.8.8",	"10.0.1.1"};
	uint64_t in = 0, out = 0, punted = 0, sent_ok = 0, copies = 0;
	struct rte_mbuf *m[32], *p;

	(void)state;
	vnf_up(good_yaml);
	srand(7);
	for (int burst = 0; burst < 800; burst++) {
		uint16_t lost;

		for (int i = 0; i < 32; i++) {
			int kind = rand() % 10;
			uint8_t *d;

			if (kind < 6)
				m[i] = mk4(kind == 1 ? 1 : 0, kind == 1 ? 10 : 0,
					   kind == 1 ? &mac1 : &mac0, "10.0.1.5", dst4[rand() % 6],
					   (uint8_t)(1 + rand() % 64), (uint16_t)(rand() % 200));
			else if (kind < 8)
				m[i] = mk4(0, 0, &mac0, "10.0.1.5", "192.168.7.7", 64, 18);
			else
				m[i] = mk6(0, &mac0, "2001:db8:1::5",
					   kind == 8 ? "2001:db8:99::7" : "2001:db8:2::2",
					   (uint8_t)(1 + rand() % 64), (uint16_t)(rand() % 200));
			d = rte_pktmbuf_mtod(m[i], uint8_t *);
			if (kind == 7) /* IPv6 ethertype on an IPv4 body */
				d[12] = 0x86, d[13] = 0xdd;
			switch (rand() % 4) {
			case 0: /* a few bytes changed */
				for (int k = rand() % 4; k >= 0; k--)
					d[rand() % RTE_MIN(64, rte_pktmbuf_data_len(m[i]))] =
						(uint8_t)rand();
				break;
			case 1: /* cut short */
				rte_pktmbuf_trim(m[i],
						 (uint16_t)(rand() % rte_pktmbuf_data_len(m[i])));
				break;
			case 2: /* one byte changed, checksum made good again */
				if (rte_pktmbuf_data_len(m[i]) >= 34 && d[12] == 0x08) {
					struct rte_ipv4_hdr *ip = (void *)(d + 14);

					d[14 + rand() % 20] = (uint8_t)rand();
					ip->hdr_checksum = 0;
					ip->hdr_checksum = (uint16_t)~rte_raw_cksum(ip, 20);
				}
				break;
			default: /* left valid */
				break;
			}
		}
		in += 32;
		lost = run(m, 32);
		out += lost;
		for (uint16_t port = 0; port < 4; port++) {
			for (uint16_t i = 0; i < wk->tx[port].n; i++) {
				struct rte_mbuf *o = wk->tx[port].pkts[i];
				uint8_t *d = rte_pktmbuf_mtod(o, uint8_t *);
				uint16_t l2 = d[12] == 0x81 ? 18 : 14;

				if (d[l2 - 2] == 0x08 && d[l2 - 1] == 0x00) {
					const struct rte_ipv4_hdr *ip = (const void *)(d + l2);

					assert_int_equal(
						rte_raw_cksum(ip, (ip->version_ihl & 0xf) * 4u),
						0xffff);
					sent_ok++;
				}
			}
			out += wk->tx[port].n;
			rte_pktmbuf_free_bulk(wk->tx[port].pkts, wk->tx[port].n);
			wk->tx[port].n = 0;
		}
		while ((p = take_punt()) != NULL) {
			/* a redirect's copy is a packet more, not one taken */
			if ((nfv_meta(p)->nh & 0xff) == RTR_PUNT_REDIRECT)
				copies++;
			else
				punted++;
			rte_pktmbuf_free(p);
		}
		nfv_drop_flush(wk);
	}
	print_message("fuzz: %" PRIu64 " in, %" PRIu64 " out (%" PRIu64 " v4 checked), %" PRIu64
		      " punted, %" PRIu64 " dropped\n",
		      in, out, sent_ok, punted, chain_ctr[2]);
	assert_int_equal(in, out + punted + chain_ctr[2]);
	assert_true(sent_ok > 1000 && punted > 100 && chain_ctr[2] > 1000 && copies > 0);
	vnf_down();
}

static void
test_ecmp_spread_and_stable(void **state)
{
	struct rte_mbuf *m[32];
	unsigned int hits[2] = {0, 0};
	uint8_t first_choice[32];

	(void)state;
	vnf_up(good_yaml);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 32; i++) {
			char src[32];

			snprintf(src, sizeof(src), "10.0.1.%d", 10 + i);
			m[i] = mk4(0, 0, &mac0, src, "172.16.5.5", 64, 18);
		}
		assert_int_equal(run(m, 32), 0);
		assert_int_equal(wk->tx[1].n, 32);
		for (int i = 0; i < 32; i++) {
			uint8_t last = rte_pktmbuf_mtod(wk->tx[1].pkts[i], uint8_t *)[5];

			if (round == 0) {
				first_choice[i] = last;
				hits[last - 2]++;
			} else {
				assert_int_equal(last, first_choice[i]);
			}
		}
		rte_pktmbuf_free_bulk(wk->tx[1].pkts, 32);
		wk->tx[1].n = 0;
	}
	assert_true(hits[0] > 4 && hits[1] > 4);
	vnf_down();
}

static struct rte_mbuf *
mk_arp(uint16_t op, const char *sip, const char *tip, const uint8_t *sha)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *d;
	struct rte_arp_hdr *a;

	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, 60));
	d = rte_pktmbuf_mtod(m, uint8_t *);
	a = (struct rte_arp_hdr *)(d + 14);

	memset(d, 0, 60);
	memset(d, 0xff, 6);
	memcpy(d + 6, sha, 6);
	*(uint16_t *)(d + 12) = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = 6;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	memcpy(&a->arp_data.arp_sha, sha, 6);
	inet_pton(AF_INET, sip, &a->arp_data.arp_sip);
	inet_pton(AF_INET, tip, &a->arp_data.arp_tip);
	nfv_meta(m)->in_port = 0;
	m->port = 0;
	return m;
}

static struct rtr_neigh *
neigh_of(const char *addr, uint16_t iface)
{
	struct rtr_state *st = vnf.priv;
	uint32_t a;
	int id;

	inet_pton(AF_INET, addr, &a);
	id = rtr_neigh_get(st->tables, iface, 4, &a, false);
	return id < 0 ? NULL : &st->tables->neigh[id];
}

/* One frame from wan to dst on lan: not forwarded, punted; the punt */
static struct rte_mbuf *
punted_not_forwarded(const char *dst)
{
	struct rte_mbuf *m = mk4(1, 0, &mac1, "10.0.2.2", dst, 64, 18), *p;
	uint16_t before = wk->tx[0].n;

	run(&m, 1);
	assert_int_equal(wk->tx[0].n, before);
	p = take_punt();
	assert_non_null(p);
	return p;
}

/* A host on a connected subnet of an untagged interface: once the full
 * path has looked its neighbour up (the worker's cache), the fast path
 * forwards to it; a neighbour whose MAC the control thread withdrew is
 * never used from that cache, and a new MAC is used at once. */
static void
test_fast_path_connected_hosts(void **state)
{
	static const char *yaml = "name: r1\n"
				  "class: router\n"
				  "reachable-ms: 1000\n"
				  "retrans-ms: 100\n"
				  "probes: 2\n"
				  "interfaces:\n"
				  "  - {name: lan, port: p0, addresses: [10.0.1.1/24]}\n"
				  "  - {name: wan, port: p1, addresses: [10.0.2.1/24]}\n";
	const uint8_t hmac[6] = {0x02, 0, 0, 0, 0x01, 0x07}, hmac2[6] = {0x02, 0, 0, 0, 0x01, 0x08};
	struct rte_mbuf *m[4];
	struct rtr_neigh *n;
	uint16_t before;

	(void)state;
	vnf_up(yaml);
	/* resolve 10.0.1.7 on lan: punt, ARP request, reply, queue flushed */
	m[0] = mk4(1, 0, &mac1, "10.0.2.2", "10.0.1.7", 64, 18);
	assert_int_equal(run(m, 1), 0);
	rtr_punt(&vnf, take_punt());
	m[0] = mk_arp(RTE_ARP_OP_REPLY, "10.0.1.7", "10.0.1.1", hmac);
	run(m, 1);
	rtr_punt(&vnf, take_punt());
	n = neigh_of("10.0.1.7", 0);
	assert_non_null(n);
	assert_int_equal(n->state, RTR_NS_REACHABLE);
	sent_free();
	/* four frames in one burst: the first fills the cache (full path),
	 * the rest take the fast path; all forwarded alike */
	for (int i = 0; i < 4; i++)
		m[i] = mk4(1, 0, &mac1, "10.0.2.2", "10.0.1.7", i == 3 ? 2 : 64, 18);
	before = wk->tx[0].n;
	assert_int_equal(run(m, 4), 0);
	assert_int_equal(wk->tx[0].n, before + 4);
	for (int i = 0; i < 4; i++) {
		struct rte_mbuf *o = wk->tx[0].pkts[before + i];
		uint8_t *d = rte_pktmbuf_mtod(o, uint8_t *);

		assert_memory_equal(d, hmac, 6);
		assert_memory_equal(d + 6, &mac0, 6);
		assert_int_equal(ip4_of(o, 14)->time_to_live, i == 3 ? 1 : 63);
		assert_int_equal(rte_raw_cksum(ip4_of(o, 14), 20), 0xffff);
	}
	/* another host of the subnet, not resolved: punted, not forwarded */
	rte_pktmbuf_free(punted_not_forwarded("10.0.1.8"));
	/* no answer to the probes: the MAC is withdrawn; the cache still
	 * names the neighbour, the frame must go to the full path (punted) */
	nfv_fake.now_ms += 1001;
	rtr_tick(&vnf, nfv_fake.now_ms);
	nfv_fake.now_ms += 101;
	rtr_tick(&vnf, nfv_fake.now_ms);
	nfv_fake.now_ms += 101;
	rtr_tick(&vnf, nfv_fake.now_ms);
	assert_int_equal(n->state, RTR_NS_FAILED);
	rtr_punt(&vnf, punted_not_forwarded("10.0.1.7"));
	/* it answers again from a new MAC: the fast path uses the new one */
	m[0] = mk_arp(RTE_ARP_OP_REPLY, "10.0.1.7", "10.0.1.1", hmac2);
	run(m, 1);
	rtr_punt(&vnf, take_punt());
	assert_int_equal(n->state, RTR_NS_REACHABLE);
	for (int i = 0; i < 2; i++)
		m[i] = mk4(1, 0, &mac1, "10.0.2.2", "10.0.1.7", 64, 18);
	before = wk->tx[0].n;
	run(m, 2);
	assert_int_equal(wk->tx[0].n, before + 2);
	for (int i = 0; i < 2; i++)
		assert_memory_equal(rte_pktmbuf_mtod(wk->tx[0].pkts[before + i], uint8_t *), hmac2, 6);
	sent_free();
	vnf_down();
}

static void
test_arp_state_machine(void **state)
{
	const uint8_t hmac[6] = {0x02, 0, 0, 0, 0x01, 0x07};
	struct rte_mbuf *m, *p;
	struct rte_arp_hdr *a;
	struct rtr_neigh *n;

	(void)state;
	vnf_up(good_yaml);
	/* a packet to an unknown host on lan is punted, queued, and an ARP request sent */
	m = mk4(1, 10, &mac1, "10.0.2.2", "10.0.1.7", 64, 18);
	assert_int_equal(run(&m, 1), 0);
	p = take_punt();
	assert_non_null(p);
	rtr_punt(&vnf, p);
	assert_int_equal(nfv_fake.n_sent, 1);
	assert_int_equal(nfv_fake.sent_port[0], 0);
	a = rte_pktmbuf_mtod_offset(nfv_fake.sent[0], struct rte_arp_hdr *, 14);
	assert_int_equal(rte_be_to_cpu_16(a->arp_opcode), RTE_ARP_OP_REQUEST);
	n = neigh_of("10.0.1.7", 0);
	assert_non_null(n);
	assert_int_equal(n->state, RTR_NS_INCOMPLETE);
	assert_int_equal(n->qn, 1);
	rte_pktmbuf_free(nfv_fake.sent[0]);
	nfv_fake.n_sent = 0;
	/* the reply resolves it and flushes the queue, TTL decremented once */
	m = mk_arp(RTE_ARP_OP_REPLY, "10.0.1.7", "10.0.1.1", hmac);
	assert_int_equal(run(&m, 1), 0);
	rtr_punt(&vnf, take_punt());
	assert_int_equal(n->state, RTR_NS_REACHABLE);
	assert_int_equal(nfv_fake.n_sent, 1);
	assert_memory_equal(rte_pktmbuf_mtod(nfv_fake.sent[0], uint8_t *), hmac, 6);
	assert_int_equal(ip4_of(nfv_fake.sent[0], 14)->time_to_live, 63);
	assert_int_equal(rte_raw_cksum(ip4_of(nfv_fake.sent[0], 14), 20), 0xffff);
	rte_pktmbuf_free(nfv_fake.sent[0]);
	nfv_fake.n_sent = 0;
	/* the worker now forwards directly */
	m = mk4(1, 10, &mac1, "10.0.2.2", "10.0.1.7", 64, 18);
	run(&m, 1);
	assert_int_equal(wk->tx[0].n, 1);
	/* aging: reachable time over -> stale + unicast probe */
	nfv_fake.now_ms += 1001;
	rtr_tick(&vnf, nfv_fake.now_ms);
	assert_int_equal(n->state, RTR_NS_STALE);
	assert_int_equal(nfv_fake.n_sent, 1);
	assert_memory_equal(rte_pktmbuf_mtod(nfv_fake.sent[0], uint8_t *), hmac, 6);
	/* no answer to the probes: failed, MAC withdrawn from the workers */
	nfv_fake.now_ms += 101;
	rtr_tick(&vnf, nfv_fake.now_ms);
	nfv_fake.now_ms += 101;
	rtr_tick(&vnf, nfv_fake.now_ms);
	assert_int_equal(n->state, RTR_NS_FAILED);
	assert_false(atomic_load(&n->macw) & RTR_MAC_VALID);
	/* a fresh reply (new MAC) brings it back */
	m = mk_arp(RTE_ARP_OP_REPLY, "10.0.1.7", "10.0.1.1", hmac);
	run(&m, 1);
	rtr_punt(&vnf, take_punt());
	assert_int_equal(n->state, RTR_NS_REACHABLE);
	/* a host that is gone for good: failed, then removed after
	 * neighbour-gc-ms (60 s default), its slot free for others */
	sent_free();
	for (int i = 0; i < 4; i++) {
		nfv_fake.now_ms += 1001;
		rtr_tick(&vnf, nfv_fake.now_ms);
	}
	assert_int_equal(n->state, RTR_NS_FAILED);
	uint32_t before = ((struct rtr_state *)vnf.priv)->tables->n_neigh;
	nfv_fake.now_ms += 30000;
	rtr_tick(&vnf, nfv_fake.now_ms);
	assert_non_null(neigh_of("10.0.1.7", 0)); /* not yet */
	nfv_fake.now_ms += 31000;
	rtr_tick(&vnf, nfv_fake.now_ms);
	assert_null(neigh_of("10.0.1.7", 0));
	assert_int_equal(((struct rtr_state *)vnf.priv)->tables->n_neigh, before - 1);
	assert_int_equal(((struct rtr_state *)vnf.priv)->cp[RTR_CP_NEIGH_EVICTED], 1);
	/* traffic to it again starts a fresh resolution */
	m = mk4(1, 10, &mac1, "10.0.2.2", "10.0.1.7", 64, 18);
	run(&m, 1);
	rtr_punt(&vnf, take_punt());
	n = neigh_of("10.0.1.7", 0);
	assert_non_null(n);
	assert_int_equal(n->state, RTR_NS_INCOMPLETE);
	sent_free();
	m = mk_arp(RTE_ARP_OP_REPLY, "10.0.1.7", "10.0.1.1", hmac);
	run(&m, 1);
	rtr_punt(&vnf, take_punt());
	assert_int_equal(n->state, RTR_NS_REACHABLE);
	/* a request for our address is answered */
	sent_free();
	m = mk_arp(RTE_ARP_OP_REQUEST, "10.0.1.9", "10.0.1.1", hmac);
	run(&m, 1);
	rtr_punt(&vnf, take_punt());
	assert_int_equal(nfv_fake.n_sent, 1);
	a = rte_pktmbuf_mtod_offset(nfv_fake.sent[0], struct rte_arp_hdr *, 14);
	assert_int_equal(rte_be_to_cpu_16(a->arp_opcode), RTE_ARP_OP_REPLY);
	assert_memory_equal(&a->arp_data.arp_sha, &mac0, 6);
	assert_non_null(neigh_of("10.0.1.9", 0));
	vnf_down();
}

static void
test_nd_solicit_answered(void **state)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ipv6_hdr *ip6;
	uint8_t *d, *nd;
	const uint8_t hmac[6] = {0x02, 0, 0, 0, 0, 0x99};

	(void)state;
	vnf_up(good_yaml);
	assert_non_null(rte_pktmbuf_append(m, 14 + 40 + 32));
	d = rte_pktmbuf_mtod(m, uint8_t *);
	memset(d, 0, 14 + 40 + 32);
	memcpy(d, (const uint8_t[]){0x33, 0x33, 0xff, 0, 0, 1}, 6);
	memcpy(d + 6, hmac, 6);
	*(uint16_t *)(d + 12) = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	ip6 = (struct rte_ipv6_hdr *)(d + 14);
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16(32);
	ip6->proto = IPPROTO_ICMPV6;
	ip6->hop_limits = 255;
	inet_pton(AF_INET6, "2001:db8:1::2", ip6->src_addr);
	inet_pton(AF_INET6, "ff02::1:ff00:1", ip6->dst_addr);
	nd = (uint8_t *)(ip6 + 1);
	nd[0] = 135;
	inet_pton(AF_INET6, "2001:db8:1::1", nd + 8);
	nd[24] = 1;
	nd[25] = 1;
	memcpy(nd + 26, hmac, 6);
	*(uint16_t *)(nd + 2) = rte_ipv6_udptcp_cksum(ip6, nd);
	nfv_meta(m)->in_port = 0;
	m->port = 0;
	run(&m, 1);
	assert_int_equal(ctr(RTR_CTR_PUNT_ND), 1);
	rtr_punt(&vnf, take_punt());
	assert_int_equal(nfv_fake.n_sent, 1);
	d = rte_pktmbuf_mtod(nfv_fake.sent[0], uint8_t *);
	assert_memory_equal(d, hmac, 6);
	ip6 = (struct rte_ipv6_hdr *)(d + 14);
	nd = (uint8_t *)(ip6 + 1);
	assert_int_equal(nd[0], 136);
	assert_int_equal(ip6->hop_limits, 255);
	assert_int_equal(rte_ipv6_udptcp_cksum(ip6, nd), 0);
	vnf_down();
}

static void run_punt(struct rte_mbuf *m);

/* An NS (135) or NA (136) on lan from src to dst about target, with flags
 * (NA: R/S/O in the top bits) and, if mac, a link-layer address option
 * (source for NS, target for NA); dst's group MAC for a multicast dst. */
static struct rte_mbuf *
mk_nd(uint8_t type, const char *src, const char *dst, const char *target, uint32_t flags,
      const uint8_t *mac)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint16_t plen = (uint16_t)(24 + (mac ? 8 : 0));
	const uint8_t hmac[6] = {0x02, 0, 0, 0, 0, 0x99};
	struct rte_ipv6_hdr *ip6;
	uint8_t *d, *nd;

	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, (uint16_t)(14 + 40 + plen)));
	d = rte_pktmbuf_mtod(m, uint8_t *);
	memset(d, 0, 14 + 40 + plen);
	ip6 = (struct rte_ipv6_hdr *)(d + 14);
	inet_pton(AF_INET6, src, ip6->src_addr);
	inet_pton(AF_INET6, dst, ip6->dst_addr);
	if (ip6->dst_addr[0] == 0xff) {
		d[0] = d[1] = 0x33;
		memcpy(d + 2, ip6->dst_addr + 12, 4);
	} else {
		memcpy(d, &mac0, 6);
	}
	memcpy(d + 6, hmac, 6);
	*(uint16_t *)(d + 12) = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16(plen);
	ip6->proto = IPPROTO_ICMPV6;
	ip6->hop_limits = 255;
	nd = (uint8_t *)(ip6 + 1);
	nd[0] = type;
	flags = rte_cpu_to_be_32(flags);
	memcpy(nd + 4, &flags, 4);
	inet_pton(AF_INET6, target, nd + 8);
	if (mac) {
		nd[24] = type == 135 ? 1 : 2;
		nd[25] = 1;
		memcpy(nd + 26, mac, 6);
	}
	*(uint16_t *)(nd + 2) = rte_ipv6_udptcp_cksum(ip6, nd);
	nfv_meta(m)->in_port = 0;
	m->port = 0;
	return m;
}

static uint64_t
neigh6_mac(const char *addr)
{
	struct rtr_state *st = vnf.priv;
	uint8_t a[16];
	int id;

	inet_pton(AF_INET6, addr, a);
	id = rtr_neigh_get(st->tables, 0, 6, a, false);
	assert_true(id >= 0);
	return atomic_load(&st->tables->neigh[id].macw);
}

/* RFC 4861 7.1.1 / 7.1.2 / 7.2.5: an NS from :: (DAD) is answered only
 * when sent to the target's solicited-node group without a source
 * link-layer option; an NA to a group with S set is invalid; an NA without
 * O does not replace a known, different link-layer address, one with O
 * does */
static void
test_nd_validation_and_override(void **state)
{
	const uint8_t m1[6] = {0x02, 0, 0, 0, 0, 0x71}, m2[6] = {0x02, 0, 0, 0, 0, 0x72},
		      m3[6] = {0x02, 0, 0, 0, 0, 0x73};
	uint64_t w1 = 0, w2 = 0;
	struct rte_mbuf *m;

	(void)state;
	memcpy(&w1, m1, 6);
	memcpy(&w2, m2, 6);
	vnf_up(good_yaml);
	/* DAD probes for our address */
	m = mk_nd(135, "::", "ff02::1:ff00:1", "2001:db8:1::1", 0, m1);
	run_punt(m);
	assert_int_equal(nfv_fake.n_sent, 0); /* with a source link-layer option */
	m = mk_nd(135, "::", "ff02::1", "2001:db8:1::1", 0, NULL);
	run_punt(m);
	assert_int_equal(nfv_fake.n_sent, 0); /* not the solicited-node group */
	m = mk_nd(135, "::", "ff02::1:ff00:1", "2001:db8:1::1", 0, NULL);
	run_punt(m);
	assert_int_equal(nfv_fake.n_sent, 1); /* defended, to all nodes */
	sent_free();
	/* a neighbour learnt from its solicitation */
	m = mk_nd(135, "2001:db8:1::7", "ff02::1:ff00:1", "2001:db8:1::1", 0, m1);
	run_punt(m);
	sent_free();
	assert_int_equal(neigh6_mac("2001:db8:1::7") & ~RTR_MAC_VALID, w1);
	/* unsolicited advert without override: the known address stays */
	m = mk_nd(136, "2001:db8:1::7", "ff02::1", "2001:db8:1::7", 0, m2);
	run_punt(m);
	assert_int_equal(neigh6_mac("2001:db8:1::7") & ~RTR_MAC_VALID, w1);
	/* to a group with the solicited flag: invalid */
	m = mk_nd(136, "2001:db8:1::7", "ff02::1", "2001:db8:1::7", 0x60000000u, m3);
	run_punt(m);
	assert_int_equal(neigh6_mac("2001:db8:1::7") & ~RTR_MAC_VALID, w1);
	/* with override: replaced */
	m = mk_nd(136, "2001:db8:1::7", "ff02::1", "2001:db8:1::7", 0x20000000u, m2);
	run_punt(m);
	assert_int_equal(neigh6_mac("2001:db8:1::7") & ~RTR_MAC_VALID, w2);
	assert_true(neigh6_mac("2001:db8:1::7") & RTR_MAC_VALID);
	vnf_down();
}

static void
test_icmp_generation(void **state)
{
	struct rte_mbuf *m;
	struct rte_ipv4_hdr *ip;
	uint8_t *icmp;
	uint32_t a;

	(void)state;
	vnf_up(good_yaml);
	/* time exceeded from the ingress interface's address, quoting the header */
	m = mk4(0, 0, &mac0, "10.0.1.5", "192.168.1.1", 1, 18);
	run(&m, 1);
	rtr_punt(&vnf, take_punt());
	assert_int_equal(nfv_fake.n_sent, 1);
	ip = ip4_of(nfv_fake.sent[0], 14);
	icmp = (uint8_t *)(ip + 1);
	assert_int_equal(icmp[0], 11);
	assert_int_equal(icmp[1], 0);
	inet_pton(AF_INET, "10.0.1.1", &a);
	assert_int_equal(ip->src_addr, a);
	inet_pton(AF_INET, "10.0.1.5", &a);
	assert_int_equal(ip->dst_addr, a);
	assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
	assert_int_equal(rte_raw_cksum(icmp, rte_be_to_cpu_16(ip->total_length) - 20), 0xffff);
	assert_int_equal(((struct rte_ipv4_hdr *)(icmp + 8))->time_to_live, 1);
	rte_pktmbuf_free(nfv_fake.sent[0]);
	nfv_fake.n_sent = 0;
	/* frag needed: 1400 bytes with DF towards the 1280-byte wan */
	m = mk4(0, 0, &mac0, "10.0.1.5", "192.168.1.1", 64, 1372);
	run(&m, 1);
	assert_int_equal(ctr(RTR_CTR_PUNT_TOOBIG), 1);
	rtr_punt(&vnf, take_punt());
	icmp = (uint8_t *)(ip4_of(nfv_fake.sent[0], 14) + 1);
	assert_int_equal(icmp[0], 3);
	assert_int_equal(icmp[1], 4);
	assert_int_equal(rte_be_to_cpu_16(*(uint16_t *)(icmp + 6)), 1280);
	assert_true(rte_pktmbuf_data_len(nfv_fake.sent[0]) <= 14 + 576);
	rte_pktmbuf_free(nfv_fake.sent[0]);
	nfv_fake.n_sent = 0;
	/* no route: network unreachable */
	m = mk4(0, 0, &mac0, "10.0.1.5", "8.8.8.8", 64, 18);
	run(&m, 1);
	rtr_punt(&vnf, take_punt());
	icmp = (uint8_t *)(ip4_of(nfv_fake.sent[0], 14) + 1);
	assert_int_equal(icmp[0], 3);
	assert_int_equal(icmp[1], 0);
	rte_pktmbuf_free(nfv_fake.sent[0]);
	nfv_fake.n_sent = 0;
	/* echo request to our address */
	m = mk4(0, 0, &mac0, "10.0.1.5", "10.0.2.1", 64, 18);
	ip = ip4_of(m, 14);
	ip->next_proto_id = IPPROTO_ICMP;
	icmp = (uint8_t *)(ip + 1);
	icmp[0] = 8;
	icmp[2] = icmp[3] = 0;
	*(uint16_t *)(icmp + 2) = (uint16_t)~rte_raw_cksum(icmp, 26);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	run(&m, 1);
	rtr_punt(&vnf, take_punt());
	assert_int_equal(nfv_fake.n_sent, 1);
	ip = ip4_of(nfv_fake.sent[0], 14);
	icmp = (uint8_t *)(ip + 1);
	assert_int_equal(icmp[0], 0);
	inet_pton(AF_INET, "10.0.2.1", &a);
	assert_int_equal(ip->src_addr, a);
	assert_int_equal(rte_raw_cksum(icmp, 26), 0xffff);
	rte_pktmbuf_free(nfv_fake.sent[0]);
	nfv_fake.n_sent = 0;
	/* the error is routed back to its sender: a source behind the wan
	 * gateway whose packet came in on the lan gets it out the wan (VLAN
	 * 10) to the gateway's MAC, from the wan address */
	m = mk4(0, 0, &mac0, "192.168.5.5", "172.16.0.9", 1, 18);
	run(&m, 1);
	rtr_punt(&vnf, take_punt());
	assert_int_equal(nfv_fake.n_sent, 1);
	assert_int_equal(nfv_fake.sent_port[0], 1);
	{
		const uint8_t *d = rte_pktmbuf_mtod(nfv_fake.sent[0], const uint8_t *);
		static const uint8_t gw[6] = {0x02, 0, 0, 0, 0x02, 0x02};

		assert_memory_equal(d, gw, 6);
		assert_int_equal(rte_be_to_cpu_16(*(const uint16_t *)(d + 12)),
				 RTE_ETHER_TYPE_VLAN);
	}
	ip = ip4_of(nfv_fake.sent[0], 18);
	assert_int_equal(((uint8_t *)(ip + 1))[0], 11);
	inet_pton(AF_INET, "10.0.2.1", &a);
	assert_int_equal(ip->src_addr, a);
	rte_pktmbuf_free(nfv_fake.sent[0]);
	nfv_fake.n_sent = 0;
	/* rate limit: a burst of TTL expiries beyond icmp-burst is not answered */
	for (int i = 0; i < 80; i++) {
		m = mk4(0, 0, &mac0, "10.0.1.5", "192.168.1.1", 1, 18);
		run(&m, 1);
		rtr_punt(&vnf, take_punt());
	}
	assert_true(nfv_fake.n_sent <= 50);
	assert_true(((struct rtr_state *)vnf.priv)->cp[RTR_CP_ICMP_RATE_LIMITED] >= 30);
	vnf_down();
}

static void
test_route_add_del_live(void **state)
{
	struct rtr_state *st;
	struct rtr_route_conf r;
	struct rte_mbuf *m;
	char err[128];

	(void)state;
	vnf_up(good_yaml);
	st = vnf.priv;
	memset(&r, 0, sizeof(r));
	r.iface = -1;
	cfg_parse_prefix("8.8.0.0/16", false, &r.prefix, &(const char *){NULL});
	cfg_parse_prefix("10.0.2.3", true, &r.via[0], &(const char *){NULL});
	r.n_via = 1;
	assert_int_equal(rtr_route_add(st, st->tables, &r, err, sizeof(err)), 0);
	m = mk4(0, 0, &mac0, "10.0.1.5", "8.8.8.8", 64, 18);
	run(&m, 1);
	assert_int_equal(wk->tx[1].n, 1);
	assert_int_equal(rte_pktmbuf_mtod(wk->tx[1].pkts[0], uint8_t *)[5], 3);
	assert_int_equal(rtr_route_del(st, st->tables, &r, err, sizeof(err)), 0);
	m = mk4(0, 0, &mac0, "10.0.1.5", "8.8.8.8", 64, 18);
	run(&m, 1);
	assert_int_equal(ctr(RTR_CTR_PUNT_UNREACH), 1);
	assert_int_equal(rtr_route_del(st, st->tables, &r, err, sizeof(err)), -ENOENT);
	vnf_down();
}

static void
test_million_routes(void **state)
{
	const char *yaml = "interfaces:\n"
			   "  - {port: p0, addresses: [10.0.1.1/24]}\n"
			   "  - {port: p1, addresses: [10.0.2.1/24]}\n"
			   "max-routes: 1100000\n"
			   "neighbours:\n"
			   "  - {address: 10.0.2.2, mac: '02:00:00:00:02:02'}\n"
			   "  - {address: 10.0.2.3, mac: '02:00:00:00:02:03'}\n"
			   "  - {address: 10.0.2.4, mac: '02:00:00:00:02:04'}\n"
			   "  - {address: 10.0.2.5, mac: '02:00:00:00:02:05'}\n";
	const uint32_t n_routes = 1000000;
	struct rtr_state *st;
	struct rtr_route_conf r;
	uint8_t *ref; /* per /24 of 11.0.0.0-26.255.255.255: via index + 1 */
	struct timespec t0, t1;
	char err[128];
	double secs;
	uint32_t ips[256];
	uint64_t nh[256];

	(void)state;
	vnf_up(yaml);
	st = vnf.priv;
	ref = calloc(1u << 24, 1);
	assert_non_null(ref);
	memset(&r, 0, sizeof(r));
	r.iface = -1;
	r.n_via = 1;
	r.prefix.family = AF_INET;
	r.via[0].family = AF_INET;
	r.via[0].len = 32;
	srand(7);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint32_t i = 0, added = 0; added < n_routes; i++) {
		uint32_t p24 = (11u << 16) + (uint32_t)(rand() % (16 << 16)); /* 11/8 .. 26/8 */
		uint8_t v = (uint8_t)(rand() % 4);

		if (ref[p24 & 0xffffff])
			continue;
		ref[p24 & 0xffffff] = (uint8_t)(v + 1);
		r.prefix.len = 24;
		r.prefix.v4.s_addr = rte_cpu_to_be_32(p24 << 8);
		r.via[0].v4.s_addr = rte_cpu_to_be_32(0x0a000202u + v);
		assert_int_equal(rtr_route_add(st, st->tables, &r, err, sizeof(err)), 0);
		added++;
		(void)i;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* timing is bench/router_vs_ovs.sh's job; printed for information */
	print_message("1M routes loaded in %.2f s\n", secs);
	/* connected + directed broadcast + local, per interface */
	assert_int_equal(st->tables->n_routes4, n_routes + 6);
	/* sample lookups against the reference */
	for (int round = 0; round < 400; round++) {
		for (int i = 0; i < 256; i++)
			ips[i] = (11u << 24) + (uint32_t)(rand() % (16 << 24));
		rte_fib_lookup_bulk(st->tables->fib4, ips, nh, 256);
		for (int i = 0; i < 256; i++) {
			uint8_t want = ref[(ips[i] >> 8) & 0xffffff];

			if (want == 0) {
				assert_int_equal(nh[i], RTR_ADJ_NOROUTE);
			} else {
				const struct rtr_adj *adj = &st->tables->adj[nh[i]];
				uint32_t ip;

				assert_int_equal(adj->type, RTR_ADJ_GW);
				memcpy(&ip, st->tables->neigh[adj->nh[0]].key.addr, 4);
				assert_int_equal(rte_be_to_cpu_32(ip), 0x0a000202u + want - 1);
			}
		}
	}
	free(ref);
	vnf_down();
}

/* Run frames one at a time through the stage and the punt handler: what
 * the router sends back (ICMP errors, echo replies, ARP) lands in nfv_fake.sent[]. */
static void
run_punt(struct rte_mbuf *m)
{
	struct rte_mbuf *p;

	run(&m, 1);
	while ((p = take_punt()) != NULL)
		rtr_punt(&vnf, p);
}

static void
set_dmac(struct rte_mbuf *m, const char *mac)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);

	assert_int_equal(rte_ether_unformat_addr(mac, (struct rte_ether_addr *)d), 0);
}

/* IPv4 m's header after a change: checksum again */
static void
recsum4(struct rte_mbuf *m, uint16_t l2)
{
	struct rte_ipv4_hdr *ip = ip4_of(m, l2);

	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

static uint64_t
sent_to_wire(void)
{
	uint64_t n = nfv_fake.n_sent;

	for (uint16_t p = 0; p < 4; p++)
		n += wk->tx[p].n;
	return n;
}

/* RFC 1812 5.3.4, 5.3.5, 5.3.7, RFC 4291 2.5.2/2.5.3: never forwarded, each
 * with its own drop reason, and nothing sent back (no ICMP, no ARP). */
static void
test_rfc_not_forwarded(void **state)
{
	static const struct {
		const char *src, *dst, *dmac; /* dmac NULL: the lan MAC */
		uint8_t ttl;
		uint16_t reason;
	} v4[] = {
		/* unicast in a link-layer broadcast / multicast frame */
		{"10.0.1.5", "192.168.1.1", "ff:ff:ff:ff:ff:ff", 64, RTR_DROP_LINK_BCAST},
		{"10.0.1.5", "10.0.2.2", "01:00:5e:00:00:01", 64, RTR_DROP_LINK_BCAST},
		{"10.0.1.5", "10.0.1.1", "ff:ff:ff:ff:ff:ff", 64, RTR_DROP_LINK_BCAST},
		{"10.0.1.5", "192.168.1.1", "ff:ff:ff:ff:ff:ff", 1, RTR_DROP_LINK_BCAST},
		/* martian destinations */
		{"10.0.1.5", "127.0.0.1", NULL, 64, RTR_DROP_BAD_DST},
		{"10.0.1.5", "0.1.2.3", NULL, 64, RTR_DROP_BAD_DST},
		{"10.0.1.5", "240.0.0.1", NULL, 64, RTR_DROP_BAD_DST},
		{"10.0.1.5", "127.0.0.1", NULL, 1, RTR_DROP_BAD_DST},
		{"10.0.1.5", "255.255.255.255", "ff:ff:ff:ff:ff:ff", 64, RTR_DROP_BROADCAST},
		{"10.0.1.5", "224.0.0.5", "01:00:5e:00:00:05", 64, RTR_DROP_MULTICAST},
		/* martian sources */
		{"0.0.0.0", "10.0.2.2", NULL, 64, RTR_DROP_BAD_SRC},
		{"127.0.0.1", "10.0.2.2", NULL, 64, RTR_DROP_BAD_SRC},
		{"240.0.0.1", "10.0.2.2", NULL, 64, RTR_DROP_BAD_SRC},
		{"255.255.255.255", "10.0.2.2", NULL, 64, RTR_DROP_BAD_SRC},
		/* directed broadcast of an attached subnet: own or another,
		 * broadcast or unicast frame, TTL 1 too: no ARP, no ICMP */
		{"10.0.1.5", "10.0.1.255", "ff:ff:ff:ff:ff:ff", 64, RTR_DROP_BROADCAST},
		{"10.0.1.5", "10.0.2.255", NULL, 64, RTR_DROP_BROADCAST},
		{"10.0.1.5", "10.0.2.255", NULL, 1, RTR_DROP_BROADCAST},
		{"10.0.1.5", "10.0.1.255", "ff:ff:ff:ff:ff:ff", 1, RTR_DROP_BROADCAST},
		/* a source that is an attached subnet's directed broadcast
		 * (RFC 1812 5.3.7): the ingress one's or another's */
		{"10.0.1.255", "10.0.2.2", NULL, 64, RTR_DROP_BAD_SRC},
		{"10.0.2.255", "192.168.1.1", NULL, 64, RTR_DROP_BAD_SRC},
		{"10.0.2.255", "192.168.1.1", NULL, 1, RTR_DROP_BAD_SRC},
		{"10.0.2.255", "10.0.1.1", NULL, 64, RTR_DROP_BAD_SRC},
		/* IPv4 link-local (RFC 3927 7): never forwarded */
		{"169.254.7.7", "10.0.2.2", NULL, 64, RTR_DROP_LINK_LOCAL},
		{"10.0.1.5", "169.254.7.7", NULL, 64, RTR_DROP_LINK_LOCAL},
		{"169.254.7.7", "192.168.1.1", NULL, 1, RTR_DROP_LINK_LOCAL},
	};
	static const struct {
		const char *src, *dst, *dmac;
		uint8_t hops;
		uint16_t reason;
	} v6[] = {
		{"::", "2001:db8:2::2", NULL, 64, RTR_DROP_BAD_SRC},
		{"::1", "2001:db8:2::2", NULL, 64, RTR_DROP_BAD_SRC},
		{"::1", "2001:db8:2::2", NULL, 1, RTR_DROP_BAD_SRC},
		{"2001:db8:1::5", "::1", NULL, 64, RTR_DROP_BAD_DST},
		{"2001:db8:1::5", "::", NULL, 64, RTR_DROP_BAD_DST},
		{"2001:db8:1::5", "2001:db8:2::2", "33:33:00:00:00:01", 64, RTR_DROP_LINK_BCAST},
		{"2001:db8:1::5", "2001:db8:1::1", "ff:ff:ff:ff:ff:ff", 64, RTR_DROP_LINK_BCAST},
		{"2001:db8:1::5", "fe80::7", NULL, 64, RTR_DROP_LINK_LOCAL},
		/* IPv4-mapped addresses are not on the wire (RFC 4291 2.5.5.2) */
		{"::ffff:10.0.1.5", "2001:db8:2::2", NULL, 64, RTR_DROP_BAD_SRC},
		{"2001:db8:1::5", "::ffff:10.0.2.2", NULL, 64, RTR_DROP_BAD_DST},
		{"::ffff:10.0.1.5", "2001:db8:77::1", NULL, 1, RTR_DROP_BAD_SRC},
	};
	struct rtr_state *st;

	(void)state;
	vnf_up(good_yaml);
	st = vnf.priv;
	for (size_t i = 0; i < RTE_DIM(v4); i++) {
		struct rte_mbuf *m = mk4(0, 0, &mac0, v4[i].src, v4[i].dst, v4[i].ttl, 18);
		uint64_t before = drops(v4[i].reason);

		if (v4[i].dmac != NULL)
			set_dmac(m, v4[i].dmac);
		run_punt(m);
		if (drops(v4[i].reason) != before + 1 || sent_to_wire() != 0)
			fail_msg("IPv4 %s -> %s ttl %u: %s not counted or something sent",
				 v4[i].src, v4[i].dst, v4[i].ttl,
				 cls->drop_names[v4[i].reason]);
	}
	for (size_t i = 0; i < RTE_DIM(v6); i++) {
		struct rte_mbuf *m = mk6(0, &mac0, v6[i].src, v6[i].dst, v6[i].hops, 18);
		uint64_t before = drops(v6[i].reason);

		if (v6[i].dmac != NULL)
			set_dmac(m, v6[i].dmac);
		run_punt(m);
		if (drops(v6[i].reason) != before + 1 || sent_to_wire() != 0)
			fail_msg("IPv6 %s -> %s: %s not counted or something sent", v6[i].src,
				 v6[i].dst, cls->drop_names[v6[i].reason]);
	}
	assert_int_equal(ctr(RTR_CTR_PUNT_TTL) + ctr(RTR_CTR_PUNT_RESOLVE) +
				 ctr(RTR_CTR_PUNT_UNREACH) + ctr(RTR_CTR_PUNT_LOCAL),
			 0);
	assert_int_equal(st->cp[RTR_CP_ARP_REQ_TX] + st->cp[RTR_CP_ICMP_ERR_TX], 0);
	/* the broadcast routes are listed and looked up as such */
	{
		struct cfg_prefix a = {.family = AF_INET, .len = 32};
		json_t *o;

		inet_pton(AF_INET, "10.0.2.255", &a.v4);
		o = rtr_route_get_json(st->tables, &a);
		assert_string_equal(json_string_value(json_object_get(o, "type")), "broadcast");
		json_decref(o);
	}
	/* the ordinary cases still go: unicast frame, unicast destinations */
	{
		struct rte_mbuf *m = mk4(0, 0, &mac0, "10.0.1.5", "10.0.2.2", 64, 18);

		assert_int_equal(run(&m, 1), 0);
		assert_int_equal(wk->tx[1].n, 1);
		/* a .255 source that is no attached subnet's broadcast */
		m = mk4(0, 0, &mac0, "192.168.7.255", "10.0.2.2", 64, 18);
		assert_int_equal(run(&m, 1), 0);
		assert_int_equal(wk->tx[1].n, 2);
		m = mk4(0, 0, &mac0, "10.0.1.254", "192.168.1.1", 64, 18);
		assert_int_equal(run(&m, 1), 0);
		assert_int_equal(wk->tx[1].n, 3);
	}
	vnf_down();
}

/* Ethernet + IPv4 with options opts (olen, a multiple of 4) + UDP */
static struct rte_mbuf *
mk4_opts(const char *src, const char *dst, uint8_t ttl, const uint8_t *opts, uint8_t olen)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint16_t len = (uint16_t)(14 + 20 + olen + 8 + 10);
	struct rte_ipv4_hdr *ip;
	uint8_t *d;

	assert_non_null(m);
	/* the frame's start through mtod: gcc 12 at -O3 (a release build)
	 * sees append's pointer as a zero-size object and fails the memset */
	assert_non_null(rte_pktmbuf_append(m, len));
	d = rte_pktmbuf_mtod(m, uint8_t *);
	memset(d, 0, len);
	memcpy(d, &mac0, 6);
	d[6] = 0x02;
	d[11] = 0x99;
	*(uint16_t *)(d + 12) = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(d + 14);
	ip->version_ihl = (uint8_t)(0x40 | (5 + olen / 4));
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + olen + 18));
	ip->time_to_live = ttl;
	ip->next_proto_id = IPPROTO_UDP;
	inet_pton(AF_INET, src, &ip->src_addr);
	inet_pton(AF_INET, dst, &ip->dst_addr);
	memcpy(d + 34, opts, olen);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	m->port = 0;
	nfv_meta(m)->in_port = 0;
	return m;
}

/* RFC 791 / RFC 1812 5.2.4 / RFC 7126: IPv4 options are forwarded, record
 * route filled in with the egress interface's address; source routes are
 * dropped; a malformed option draws a parameter problem pointing at it;
 * and timestamps filled in (RFC 1812 5.3.13.6: overflow counted when
 * full); an echo request to the router gets its record route and timestamp
 * filled in and returned (RFC 1122 3.2.2.6: `ping -R`); UDP with options
 * to the router is not taken (dropped) */
static void
test_ip_options(void **state)
{
	/* record route, room for 2 addresses, then a no-op and end of list */
	static const uint8_t rr[12] = {7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	static const uint8_t lsrr[8] = {131, 7, 4, 10, 0, 2, 2, 0};
	static const uint8_t badts[8] = {1, 68, 40, 5, 0, 0, 0, 0};
	/* timestamp with addresses (flag 1), room for two */
	static const uint8_t ts_addr[20] = {68, 20, 5, 1};
	struct rte_ipv4_hdr *ip;
	struct rte_mbuf *m;
	const uint8_t *d, *o, *icmp;
	uint32_t a;

	(void)state;
	vnf_up(good_yaml);
	m = mk4_opts("10.0.1.5", "192.168.1.1", 64, rr, sizeof(rr));
	assert_int_equal(run(&m, 1), 0);
	assert_int_equal(wk->tx[1].n, 1);
	d = rte_pktmbuf_mtod(wk->tx[1].pkts[0], const uint8_t *);
	ip = (struct rte_ipv4_hdr *)(d + 18); /* wan: VLAN 10 */
	assert_int_equal(ip->version_ihl, 0x48);
	assert_int_equal(ip->time_to_live, 63);
	assert_int_equal(rte_raw_cksum(ip, 32), 0xffff);
	o = (const uint8_t *)(ip + 1);
	assert_int_equal(o[2], 8);
	inet_pton(AF_INET, "10.0.2.1", &a);
	assert_memory_equal(o + 3, &a, 4);
	/* a full record route is forwarded as it is */
	m = mk4_opts("10.0.1.5", "192.168.1.1", 64, (const uint8_t[]){7, 3, 4, 0}, 4);
	assert_int_equal(run(&m, 1), 0);
	assert_int_equal(wk->tx[1].n, 2);
	/* loose source route: dropped */
	m = mk4_opts("10.0.1.5", "192.168.1.1", 64, lsrr, sizeof(lsrr));
	assert_int_equal(run(&m, 1), 0);
	assert_int_equal(drops(RTR_DROP_SOURCE_ROUTE), 1);
	/* timestamp with addresses, room for two: the egress address and a
	 * time of day in ms; a full one counts an overflow */
	m = mk4_opts("10.0.1.5", "192.168.1.1", 64, ts_addr, sizeof(ts_addr));
	assert_int_equal(run(&m, 1), 0);
	assert_int_equal(wk->tx[1].n, 3);
	ip = (struct rte_ipv4_hdr *)(rte_pktmbuf_mtod(wk->tx[1].pkts[2], const uint8_t *) + 18);
	assert_int_equal(rte_raw_cksum(ip, 40), 0xffff);
	o = (const uint8_t *)(ip + 1);
	assert_int_equal(o[2], 13);
	inet_pton(AF_INET, "10.0.2.1", &a);
	assert_memory_equal(o + 4, &a, 4);
	{
		uint32_t ts;

		memcpy(&ts, o + 8, 4); /* unaligned in the frame */
		assert_true(rte_be_to_cpu_32(ts) < 86400000u);
	}
	m = mk4_opts("10.0.1.5", "192.168.1.1", 64, (const uint8_t[]){68, 4, 5, 0}, 4);
	assert_int_equal(run(&m, 1), 0);
	assert_int_equal(wk->tx[1].n, 4);
	ip = (struct rte_ipv4_hdr *)(rte_pktmbuf_mtod(wk->tx[1].pkts[3], const uint8_t *) + 18);
	assert_int_equal(((const uint8_t *)(ip + 1))[3], 0x10);
	assert_int_equal(rte_raw_cksum(ip, 24), 0xffff);
	/* UDP to the router with options: not taken */
	m = mk4_opts("10.0.1.5", "10.0.1.1", 64, rr, sizeof(rr));
	assert_int_equal(run(&m, 1), 0);
	assert_int_equal(drops(RTR_DROP_IP_OPTIONS), 1);
	/* an echo request with record route to the router (ping -R): the
	 * reply carries it with the address pinged recorded */
	m = mk4_opts("10.0.1.5", "10.0.1.1", 64, rr, sizeof(rr));
	ip = ip4_of(m, 14);
	ip->next_proto_id = IPPROTO_ICMP;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	{
		uint8_t *ic = (uint8_t *)ip + 32;

		ic[0] = RTE_IP_ICMP_ECHO_REQUEST;
		ic[4] = 0x12;
		ic[7] = 3;
		*(uint16_t *)(ic + 2) = (uint16_t)~rte_raw_cksum(ic, 18);
	}
	run_punt(m);
	assert_int_equal(nfv_fake.n_sent, 1);
	ip = ip4_of(nfv_fake.sent[0], 14);
	assert_int_equal(ip->version_ihl, 0x48);
	assert_int_equal(rte_raw_cksum(ip, 32), 0xffff);
	o = (const uint8_t *)(ip + 1);
	assert_int_equal(o[0], 7);
	assert_int_equal(o[2], 8);
	inet_pton(AF_INET, "10.0.1.1", &a);
	assert_memory_equal(o + 3, &a, 4);
	assert_int_equal(ip->src_addr, a);
	icmp = (const uint8_t *)ip + 32;
	assert_int_equal(icmp[0], RTE_IP_ICMP_ECHO_REPLY);
	assert_int_equal(icmp[4], 0x12);
	assert_int_equal(icmp[7], 3);
	assert_int_equal(rte_raw_cksum(icmp, 18), 0xffff);
	rte_pktmbuf_free(nfv_fake.sent[0]);
	nfv_fake.n_sent = 0;
	/* timestamp whose length runs past the header: parameter problem
	 * with the pointer at its length octet (20 + 2) */
	m = mk4_opts("10.0.1.5", "192.168.1.1", 64, badts, sizeof(badts));
	assert_int_equal(run(&m, 1), 0);
	assert_int_equal(ctr(RTR_CTR_PUNT_PARAM), 1);
	rtr_punt(&vnf, take_punt());
	assert_int_equal(nfv_fake.n_sent, 1);
	ip = ip4_of(nfv_fake.sent[0], 14);
	icmp = (const uint8_t *)(ip + 1);
	assert_int_equal(icmp[0], 12);
	assert_int_equal(icmp[1], 0);
	assert_int_equal(icmp[4], 22);
	inet_pton(AF_INET, "10.0.1.5", &a);
	assert_int_equal(ip->dst_addr, a);
	assert_int_equal(rte_raw_cksum(icmp, rte_be_to_cpu_16(ip->total_length) - 20), 0xffff);
	assert_int_equal(wk->tx[1].n, 4);
	vnf_down();
}

/* One IPv6 fragment (payload bytes [off, off + len) of ICMPv6 message d,
 * identification 0x77, M as told) from 2001:db8:1::5 to 2001:db8:1::1 */
static struct rte_mbuf *
mk_frag6(const uint8_t *d, uint16_t off, uint16_t len, bool more)
{
	struct rte_mbuf *m = mk6(0, &mac0, "2001:db8:1::5", "2001:db8:1::1", 64, 0);
	struct rte_ipv6_hdr *ip6;
	uint8_t *fh;

	assert_non_null(rte_pktmbuf_append(m, (uint16_t)(8 + len - 8)));
	ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, 14);
	ip6->proto = IPPROTO_FRAGMENT;
	ip6->payload_len = rte_cpu_to_be_16((uint16_t)(8 + len));
	fh = (uint8_t *)(ip6 + 1);
	memset(fh, 0, 8);
	fh[0] = IPPROTO_ICMPV6;
	fh[2] = (uint8_t)((off | (more ? 1 : 0)) >> 8);
	fh[3] = (uint8_t)((off & 0xf8) | (more ? 1 : 0));
	fh[7] = 0x77;
	memcpy(fh + 8, d + off, len);
	return m;
}

/* RFC 8200 4.5: an ICMPv6 echo request to the router in fragments (ping -6
 * -s 2000) is reassembled and answered, the reply in fragments */
static void
test_echo6_reassembled(void **state)
{
	static uint8_t buf[40 + 2008], got[2008];
	struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)buf, *ip6 = NULL;
	uint8_t *d = buf + 40;
	uint32_t gotlen = 0;

	(void)state;
	vnf_up(good_yaml);
	h->vtc_flow = rte_cpu_to_be_32(6u << 28);
	h->payload_len = rte_cpu_to_be_16(2008);
	h->proto = IPPROTO_ICMPV6;
	inet_pton(AF_INET6, "2001:db8:1::5", h->src_addr);
	inet_pton(AF_INET6, "2001:db8:1::1", h->dst_addr);
	d[0] = 128;
	d[5] = 9;
	for (unsigned int i = 8; i < 2008; i++)
		d[i] = (uint8_t)(i * 7);
	*(uint16_t *)(d + 2) = rte_ipv6_udptcp_cksum(h, d);
	run_punt(mk_frag6(d, 0, 1448, true));
	assert_int_equal(nfv_fake.n_sent, 0);
	run_punt(mk_frag6(d, 1448, 560, false));
	assert_true(nfv_fake.n_sent >= 2);
	for (unsigned int k = 0; k < nfv_fake.n_sent; k++) {
		const uint8_t *fh;
		uint16_t plen, fo;

		ip6 = rte_pktmbuf_mtod_offset(nfv_fake.sent[k], struct rte_ipv6_hdr *, 14);
		plen = rte_be_to_cpu_16(ip6->payload_len);
		assert_int_equal(ip6->proto, IPPROTO_FRAGMENT);
		assert_true(40u + plen <= 1500);
		fh = (const uint8_t *)(ip6 + 1);
		fo = (uint16_t)(fh[2] << 8 | fh[3]);
		assert_int_equal(fh[0], IPPROTO_ICMPV6);
		assert_int_equal(fo & 0xfff8, gotlen);
		assert_int_equal(fo & 1, k + 1 < nfv_fake.n_sent);
		memcpy(got + gotlen, fh + 8, plen - 8u);
		gotlen += plen - 8u;
	}
	assert_int_equal(gotlen, 2008);
	assert_int_equal(got[0], 129);
	assert_int_equal(got[5], 9);
	assert_memory_equal(got + 8, d + 8, 2000);
	/* the reply's checksum, router to host */
	assert_non_null(ip6);
	memcpy(h->src_addr, ip6->src_addr, 16);
	memcpy(h->dst_addr, ip6->dst_addr, 16);
	memcpy(d, got, 2008);
	assert_int_equal(rte_ipv6_udptcp_cksum_verify(h, d), 0);
	sent_free();
	vnf_down();
}

/* RFC 1812 5.2.7.2: a packet forwarded back out of the interface it came
 * in on, sender and next hop on that subnet: forwarded, and the sender
 * gets a host redirect to the next hop (fast path or full path alike);
 * from another subnet's host: no redirect; send-redirects: false: none */
static void
test_redirect(void **state)
{
	static const char *yaml = "name: r1\n"
				  "class: router\n"
				  "interfaces:\n"
				  "  - {name: lan, port: p0, addresses: [10.0.1.1/24]}\n"
				  "  - {name: wan, port: p1, addresses: [10.0.2.1/24]}\n"
				  "routes:\n"
				  "  - {prefix: 10.9.0.0/16, via: 10.0.1.7}\n";
	static const char *quiet = "name: r1\n"
				   "class: router\n"
				   "send-redirects: false\n"
				   "interfaces:\n"
				   "  - {name: lan, port: p0, addresses: [10.0.1.1/24]}\n"
				   "  - {name: wan, port: p1, addresses: [10.0.2.1/24]}\n";
	const uint8_t hmac[6] = {0x02, 0, 0, 0, 0x01, 0x07};
	const char *dsts[2] = {"10.0.1.7", "10.9.1.1"};
	struct rte_mbuf *m;
	uint32_t a;

	(void)state;
	for (int v = 0; v < 2; v++) {
		vnf_up(v == 0 ? yaml : quiet);
		m = mk_arp(RTE_ARP_OP_REPLY, "10.0.1.7", "10.0.1.1", hmac);
		run(&m, 1);
		rtr_punt(&vnf, take_punt());
		sent_free();
		for (int k = 0; k < (v == 0 ? 2 : 1); k++) {
			/* twice: the first fills the worker's cache, the second
			 * would take the fast path */
			for (int rep = 0; rep < 2; rep++) {
				uint16_t before = wk->tx[0].n;
				struct rte_mbuf *p;

				/* (a redirect copy at most every 10 ms per worker) */
				wk->now_tsc += rte_get_tsc_hz() / 50;
				m = mk4(0, 0, &mac0, "10.0.1.5", dsts[k], 64, 18);
				assert_int_equal(run(&m, 1), 0);
				assert_int_equal(wk->tx[0].n, before + 1); /* forwarded */
				p = take_punt();
				if (v == 1) {
					assert_null(p);
					continue;
				}
				assert_non_null(p);
				rtr_punt(&vnf, p);
				assert_int_equal(nfv_fake.n_sent, 1);
				{
					struct rte_ipv4_hdr *ip = ip4_of(nfv_fake.sent[0], 14);
					const uint8_t *icmp = (const uint8_t *)(ip + 1);

					assert_int_equal(icmp[0], 5);
					assert_int_equal(icmp[1], 1);
					inet_pton(AF_INET, "10.0.1.7", &a);
					assert_memory_equal(icmp + 4, &a, 4);
					inet_pton(AF_INET, "10.0.1.5", &a);
					assert_int_equal(ip->dst_addr, a);
					inet_pton(AF_INET, "10.0.1.1", &a);
					assert_int_equal(ip->src_addr, a);
					uint16_t len = rte_be_to_cpu_16(ip->total_length) - 20;

					assert_int_equal(rte_raw_cksum(icmp, len), 0xffff);
				}
				sent_free();
			}
		}
		/* a second one within 10 ms: forwarded, no copy */
		if (v == 0) {
			m = mk4(0, 0, &mac0, "10.0.1.5", "10.0.1.7", 64, 18);
			assert_int_equal(run(&m, 1), 0);
			assert_null(take_punt());
		}
		/* from a host of another subnet (wan): no redirect */
		if (v == 0) {
			wk->now_tsc += rte_get_tsc_hz() / 50;
			m = mk4(1, 0, &mac1, "10.0.2.2", "10.0.1.7", 64, 18);
			assert_int_equal(run(&m, 1), 0);
			assert_null(take_punt());
		}
		vnf_down();
	}
}

/* One fragment (IP payload bytes [off, off + len) of datagram d, MF as
 * told) of an ICMP datagram from 10.0.1.5 to the router's 10.0.1.1 */
static struct rte_mbuf *
mk_frag4(const uint8_t *d, uint16_t off, uint16_t len, bool mf)
{
	struct rte_mbuf *m = mk4(0, 0, &mac0, "10.0.1.5", "10.0.1.1", 64, (uint16_t)(len - 8));
	struct rte_ipv4_hdr *ip = ip4_of(m, 14);

	ip->next_proto_id = IPPROTO_ICMP;
	ip->fragment_offset =
		rte_cpu_to_be_16((uint16_t)(off / 8 | (mf ? RTE_IPV4_HDR_MF_FLAG : 0)));
	memcpy(ip + 1, d + off, len);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return m;
}

/* RFC 1122 3.3.2: an echo request to the router in fragments (ping -s
 * 2000 on a 1500-byte link) is reassembled and answered, the reply in
 * fragments; a datagram whose last fragment never comes gets no answer */
static void
test_echo_reassembled(void **state)
{
	static uint8_t d[2008], got[2008];
	uint32_t gotlen = 0;
	uint32_t a;

	(void)state;
	vnf_up(good_yaml);
	d[0] = RTE_IP_ICMP_ECHO_REQUEST;
	d[5] = 7;
	for (unsigned int i = 8; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 13);
	*(uint16_t *)(d + 2) = (uint16_t)~rte_raw_cksum(d, sizeof(d));
	run_punt(mk_frag4(d, 0, 1480, true));
	assert_int_equal(nfv_fake.n_sent, 0); /* held */
	run_punt(mk_frag4(d, 1480, 528, false));
	assert_int_equal(nfv_fake.n_sent, 2);
	for (unsigned int k = 0; k < 2; k++) {
		struct rte_mbuf *f = nfv_fake.sent[k];
		struct rte_ipv4_hdr *ip = ip4_of(f, 14);
		uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);
		uint16_t len = (uint16_t)(rte_be_to_cpu_16(ip->total_length) - 20);

		assert_int_equal(f->nb_segs, 1);
		assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
		inet_pton(AF_INET, "10.0.1.1", &a);
		assert_int_equal(ip->src_addr, a);
		assert_int_equal((fo & RTE_IPV4_HDR_OFFSET_MASK) * 8u, gotlen);
		assert_int_equal(!!(fo & RTE_IPV4_HDR_MF_FLAG), k == 0);
		assert_true(rte_be_to_cpu_16(ip->total_length) <= 1500);
		memcpy(got + gotlen, ip + 1, len);
		gotlen += len;
	}
	assert_int_equal(gotlen, sizeof(d));
	assert_int_equal(got[0], RTE_IP_ICMP_ECHO_REPLY);
	assert_int_equal(got[5], 7);
	assert_memory_equal(got + 8, d + 8, sizeof(d) - 8);
	assert_int_equal(rte_raw_cksum(got, gotlen), 0xffff);
	sent_free();
	/* the first fragment alone: held, never answered, then expired */
	run_punt(mk_frag4(d, 0, 1480, true));
	assert_int_equal(nfv_fake.n_sent, 0);
	assert_int_equal(((struct rtr_state *)vnf.priv)->cp[RTR_CP_REASM_DONE], 1);
	vnf_down(); /* frees what is held */
}

/* What the router answers as a host without a twin (RFC 793 CLOSED, RFC
 * 1122 3.2.2.1, RFC 8200 4): TCP gets a RST (RST+ACK acknowledging a SYN;
 * RST with the segment's ACK as sequence), another protocol protocol
 * unreachable (IPv4) or parameter problem code 1 at offset 6 (IPv6) */
static void
test_local_protocols(void **state)
{
	struct rte_ipv4_hdr *ip;
	struct rte_ipv6_hdr *ip6;
	struct rte_mbuf *m;
	uint8_t *th;
	const uint8_t *d;
	uint32_t v;

	(void)state;
	vnf_up(good_yaml);
	/* SYN to 10.0.1.1:22, seq 1000 */
	m = mk4(0, 0, &mac0, "10.0.1.5", "10.0.1.1", 64, 18);
	ip = ip4_of(m, 14);
	ip->next_proto_id = IPPROTO_TCP;
	recsum4(m, 14);
	th = (uint8_t *)(ip + 1);
	memset(th, 0, 20);
	th[0] = 0x9c; th[1] = 0x40; /* 40000 */
	th[3] = 22;
	v = rte_cpu_to_be_32(1000);
	memcpy(th + 4, &v, 4);
	th[12] = 5 << 4;
	th[13] = RTE_TCP_SYN_FLAG;
	run_punt(m);
	assert_int_equal(nfv_fake.n_sent, 1);
	d = rte_pktmbuf_mtod(nfv_fake.sent[0], const uint8_t *);
	ip = (struct rte_ipv4_hdr *)(d + 14);
	th = (uint8_t *)(ip + 1);
	assert_int_equal(ip->next_proto_id, IPPROTO_TCP);
	assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
	assert_int_equal(rte_ipv4_udptcp_cksum_verify(ip, th), 0);
	assert_int_equal(th[1], 22);
	assert_int_equal(th[2] << 8 | th[3], 40000);
	assert_int_equal(th[13], RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG);
	memcpy(&v, th + 8, 4);
	assert_int_equal(rte_be_to_cpu_32(v), 1000 + 18 + 8 - 20 + 1);
	rte_pktmbuf_free(nfv_fake.sent[0]);
	nfv_fake.n_sent = 0;
	/* GRE to the router: protocol unreachable */
	m = mk4(0, 0, &mac0, "10.0.1.5", "10.0.1.1", 64, 18);
	ip4_of(m, 14)->next_proto_id = 47;
	recsum4(m, 14);
	run_punt(m);
	assert_int_equal(nfv_fake.n_sent, 1);
	d = rte_pktmbuf_mtod(nfv_fake.sent[0], const uint8_t *);
	assert_int_equal(d[14 + 20], 3);
	assert_int_equal(d[14 + 21], 2);
	rte_pktmbuf_free(nfv_fake.sent[0]);
	nfv_fake.n_sent = 0;
	/* IPv6: GRE -> parameter problem code 1, pointer 6; TCP ACK -> RST */
	m = mk6(0, &mac0, "2001:db8:1::5", "2001:db8:1::1", 64, 18);
	rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, 14)->proto = 47;
	run_punt(m);
	assert_int_equal(nfv_fake.n_sent, 1);
	d = rte_pktmbuf_mtod(nfv_fake.sent[0], const uint8_t *);
	assert_int_equal(d[14 + 40], 4);
	assert_int_equal(d[14 + 41], 1);
	assert_int_equal(d[14 + 47], 6);
	rte_pktmbuf_free(nfv_fake.sent[0]);
	nfv_fake.n_sent = 0;
	m = mk6(0, &mac0, "2001:db8:1::5", "2001:db8:1::1", 64, 18);
	ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, 14);
	ip6->proto = IPPROTO_TCP;
	th = (uint8_t *)(ip6 + 1);
	memset(th, 0, 20);
	th[1] = 99;
	th[3] = 179;
	v = rte_cpu_to_be_32(77777);
	memcpy(th + 8, &v, 4);
	th[12] = 5 << 4;
	th[13] = RTE_TCP_ACK_FLAG;
	run_punt(m);
	assert_int_equal(nfv_fake.n_sent, 1);
	d = rte_pktmbuf_mtod(nfv_fake.sent[0], const uint8_t *);
	ip6 = (struct rte_ipv6_hdr *)(d + 14);
	th = (uint8_t *)(ip6 + 1);
	assert_int_equal(ip6->proto, IPPROTO_TCP);
	assert_int_equal(rte_ipv6_udptcp_cksum_verify(ip6, th), 0);
	assert_int_equal(th[13], RTE_TCP_RST_FLAG);
	memcpy(&v, th + 4, 4);
	assert_int_equal(rte_be_to_cpu_32(v), 77777);
	rte_pktmbuf_free(nfv_fake.sent[0]);
	nfv_fake.n_sent = 0;
	/* a RST to the router draws nothing */
	m = mk6(0, &mac0, "2001:db8:1::5", "2001:db8:1::1", 64, 18);
	ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, 14);
	ip6->proto = IPPROTO_TCP;
	th = (uint8_t *)(ip6 + 1);
	th[12] = 5 << 4;
	th[13] = RTE_TCP_RST_FLAG;
	run_punt(m);
	assert_int_equal(nfv_fake.n_sent, 0);
	vnf_down();
}

/* RFC 4443 3.1 / RFC 4291 2.5.6: a link-local source to anywhere but the
 * router is not forwarded; the sender learns why: destination unreachable
 * code 2 (beyond scope of source address), from the router's link-local
 * address, back out of the link it came from; time exceeded first when the
 * hop limit is spent (as Linux) */
static void
test_rfc_link_local_scope(void **state)
{
	static const char *const dsts[] = {"2001:db8:2::2", "2001:db8:99::5", "2001:db8:77::1"};
	uint8_t ll[16], peer[16];
	struct rte_mbuf *m;

	(void)state;
	vnf_up(good_yaml);
	inet_pton(AF_INET6, "fe80::5", peer);
	for (size_t i = 0; i < RTE_DIM(dsts); i++) {
		const struct rte_ipv6_hdr *ip6;
		const uint8_t *d, *icmp;

		m = mk6(0, &mac0, "fe80::5", dsts[i], i == 2 ? 1 : 64, 18);
		run(&m, 1);
		assert_int_equal(wk->tx[0].n + wk->tx[1].n, 0);
		rtr_punt(&vnf, take_punt());
		assert_int_equal(nfv_fake.n_sent, 1);
		assert_int_equal(nfv_fake.sent_port[0], 0);
		d = rte_pktmbuf_mtod(nfv_fake.sent[0], const uint8_t *);
		assert_memory_equal(d, "\x02\x00\x00\x00\x00\x66", 6);
		ip6 = (const struct rte_ipv6_hdr *)(d + 14);
		icmp = (const uint8_t *)(ip6 + 1);
		memcpy(ll, ((struct rtr_state *)vnf.priv)->tables->ifs[0].ll6, 16);
		assert_memory_equal(ip6->src_addr, ll, 16);
		assert_memory_equal(ip6->dst_addr, peer, 16);
		assert_int_equal(icmp[0], i == 2 ? 3 : 1);
		assert_int_equal(icmp[1], i == 2 ? 0 : 2);
		assert_int_equal(rte_ipv6_udptcp_cksum(ip6, icmp), 0);
		rte_pktmbuf_free(nfv_fake.sent[0]);
		nfv_fake.n_sent = 0;
	}
	vnf_down();
}

/* RFC 1812 4.3.2.7 / RFC 4443 2.4(e) in the control path (whatever the
 * data path lets through): no ICMP error, echo reply or ARP reply about a
 * packet from a source that is not one host, to a broadcast, in a
 * link-layer broadcast, or a non-initial fragment, or an ICMP error. */
static void
test_rfc_no_answer_to_broadcast(void **state)
{
	const uint8_t hmac[6] = {0x02, 0, 0, 0, 0x01, 0x07};
	const uint8_t bmac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	struct rtr_state *st;
	struct rte_mbuf *m;
	struct rte_ipv4_hdr *ip;
	uint8_t *icmp;

	(void)state;
	vnf_up(good_yaml);
	st = vnf.priv;
	/* TTL expiry of a packet from the wan subnet's directed broadcast */
	run_punt(mk4(0, 0, &mac0, "10.0.2.255", "192.168.1.1", 1, 18));
	/* a non-initial fragment, TTL 1 */
	m = mk4(0, 0, &mac0, "10.0.1.5", "192.168.1.1", 1, 18);
	ip4_of(m, 14)->fragment_offset = rte_cpu_to_be_16(100);
	recsum4(m, 14);
	run_punt(m);
	/* an ICMP error (unreachable), TTL 1 */
	m = mk4(0, 0, &mac0, "10.0.1.5", "192.168.1.1", 1, 18);
	ip4_of(m, 14)->next_proto_id = IPPROTO_ICMP;
	((uint8_t *)(ip4_of(m, 14) + 1))[0] = 3;
	recsum4(m, 14);
	run_punt(m);
	/* a redirect (an error too) and an unknown type, TTL 1 */
	for (int k = 0; k < 2; k++) {
		m = mk4(0, 0, &mac0, "10.0.1.5", "192.168.1.1", 1, 18);
		ip4_of(m, 14)->next_proto_id = IPPROTO_ICMP;
		((uint8_t *)(ip4_of(m, 14) + 1))[0] = k == 0 ? 5 : 99;
		recsum4(m, 14);
		run_punt(m);
	}
	/* UDP to our address from a directed broadcast: no port unreachable */
	run_punt(mk4(0, 0, &mac0, "10.0.1.255", "10.0.1.1", 64, 18));
	assert_int_equal(sent_to_wire(), 0);
	/* (the directed broadcast sources stop in the data path, bad-source) */
	assert_int_equal(st->cp[RTR_CP_ICMP_SUPPRESSED], 4);
	/* an informational message (a timestamp request, 13) is no error: its
	 * TTL expiry is answered */
	m = mk4(0, 0, &mac0, "10.0.1.5", "192.168.1.1", 1, 18);
	ip4_of(m, 14)->next_proto_id = IPPROTO_ICMP;
	((uint8_t *)(ip4_of(m, 14) + 1))[0] = 13;
	recsum4(m, 14);
	run_punt(m);
	assert_int_equal(sent_to_wire(), 1);
	sent_free();
	assert_int_equal(drops(RTR_DROP_BAD_SRC), 2);
	/* echo request to our address from a directed broadcast: no reply */
	m = mk4(0, 0, &mac0, "10.0.2.255", "10.0.1.1", 64, 18);
	ip = ip4_of(m, 14);
	ip->next_proto_id = IPPROTO_ICMP;
	icmp = (uint8_t *)(ip + 1);
	icmp[0] = 8;
	*(uint16_t *)(icmp + 2) = (uint16_t)~rte_raw_cksum(icmp, 26);
	recsum4(m, 14);
	run_punt(m);
	assert_int_equal(sent_to_wire(), 0);
	assert_int_equal(st->cp[RTR_CP_ECHO_REPLY], 0);
	/* IPv6: a TTL punt of a packet from :: or to a multicast group in a
	 * multicast frame (as the data path never makes one) draws nothing;
	 * a Packet Too Big about a multicast-destined packet is allowed */
	m = mk6(0, &mac0, "::", "2001:db8:99::1", 1, 18);
	nfv_meta(m)->l3_off = 14;
	nfv_meta(m)->vlan = 0;
	nfv_meta(m)->nh = RTR_PUNT_TTL;
	rtr_punt(&vnf, m);
	m = mk6(0, &mac0, "2001:db8:1::5", "ff0e::1", 1, 18);
	set_dmac(m, "33:33:00:00:00:01");
	nfv_meta(m)->l3_off = 14;
	nfv_meta(m)->vlan = 0;
	nfv_meta(m)->nh = RTR_PUNT_TTL;
	rtr_punt(&vnf, m);
	assert_int_equal(sent_to_wire(), 0);
	m = mk6(0, &mac0, "2001:db8:1::5", "ff0e::1", 64, 1300);
	set_dmac(m, "33:33:00:00:00:01");
	nfv_meta(m)->l3_off = 14;
	nfv_meta(m)->vlan = 0;
	nfv_meta(m)->nh = RTR_PUNT_TOOBIG | (1u << 13);
	rtr_punt(&vnf, m);
	assert_int_equal(nfv_fake.n_sent, 1);
	assert_int_equal(((uint8_t *)(rte_pktmbuf_mtod_offset(nfv_fake.sent[0], struct rte_ipv6_hdr *,
								14) +
				      1))[0],
			 2);
	rte_pktmbuf_free(nfv_fake.sent[0]);
	nfv_fake.n_sent = 0;
	/* ARP: a request from a broadcast hardware address or from a directed
	 * broadcast IP address is not answered (nor learnt) */
	m = mk_arp(RTE_ARP_OP_REQUEST, "10.0.1.7", "10.0.1.1", bmac);
	run_punt(m);
	m = mk_arp(RTE_ARP_OP_REQUEST, "10.0.1.255", "10.0.1.1", hmac);
	run_punt(m);
	assert_int_equal(sent_to_wire(), 0);
	assert_int_equal(st->cp[RTR_CP_ARP_REP_TX], 0);
	/* ... while an ordinary request is */
	run_punt(mk_arp(RTE_ARP_OP_REQUEST, "10.0.1.7", "10.0.1.1", hmac));
	assert_int_equal(nfv_fake.n_sent, 1);
	assert_memory_equal(rte_pktmbuf_mtod(nfv_fake.sent[0], uint8_t *), hmac, 6);
	vnf_down();
}

/* an interface address must be one host's: the router sends from it */
static void
test_config_bad_addresses(void **state)
{
	static const char *const bad[] = {"10.0.1.255/24", "127.0.0.1/8", "0.0.0.1/8",
					  "224.0.0.1/4",   "240.0.0.1/8", "::1/128",
					  "ff02::1/16"};

	(void)state;
	for (size_t i = 0; i < RTE_DIM(bad); i++) {
		char yaml[256];
		struct cfg_errors err = {0};
		struct rtr_conf *c = NULL;

		snprintf(yaml, sizeof(yaml),
			 "interfaces:\n  - {name: lan, port: p0, addresses: ['%s']}\n", bad[i]);
		assert_int_not_equal(parse(yaml, &c, &err), 0);
		if (!errors_have(&err, "not a usable interface address"))
			fail_msg("%s accepted", bad[i]);
		cfg_errors_free(&err);
		rtr_config_free(c);
	}
}

int
main(int argc, char **argv)
{
	char *eal[] = {argv[0],	      "--no-huge",     "-m", "1536", "--no-pci",
		       "--no-shconf", "--log-level=4", "-l", "0"};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_good),
		cmocka_unit_test(test_config_bad),
		cmocka_unit_test(test_config_long_path_and_macs),
		cmocka_unit_test(test_csum_update_exhaustive),
		cmocka_unit_test(test_csum_check_random),
		cmocka_unit_test(test_forward_v4_vlan_ttl_checksum),
		cmocka_unit_test(test_fast_path_and_fallbacks),
		cmocka_unit_test(test_fast_path_v6),
		cmocka_unit_test(test_validation_reasons),
		cmocka_unit_test(test_fuzz_accounting),
		cmocka_unit_test(test_ecmp_spread_and_stable),
		cmocka_unit_test(test_fast_path_connected_hosts),
		cmocka_unit_test(test_arp_state_machine),
		cmocka_unit_test(test_nd_solicit_answered),
		cmocka_unit_test(test_icmp_generation),
		cmocka_unit_test(test_route_add_del_live),
		cmocka_unit_test(test_million_routes),
		cmocka_unit_test(test_rfc_not_forwarded),
		cmocka_unit_test(test_rfc_link_local_scope),
		cmocka_unit_test(test_ip_options),
		cmocka_unit_test(test_echo_reassembled),
		cmocka_unit_test(test_echo6_reassembled),
		cmocka_unit_test(test_redirect),
		cmocka_unit_test(test_nd_validation_and_override),
		cmocka_unit_test(test_local_protocols),
		cmocka_unit_test(test_rfc_no_answer_to_broadcast),
		cmocka_unit_test(test_config_bad_addresses),
	};

	(void)argc;
	if (test_eal_init((int)RTE_DIM(eal), eal) < 0)
		return 1;
	nfv_meta_register();
	pool = rte_pktmbuf_pool_create("rtrtest", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	nfv_fake.pool = pool;
	nfv_fake.now_ms = 1000; /* the tests move the clock */
	wk = rte_zmalloc(NULL, sizeof(*wk), RTE_CACHE_LINE_SIZE);
	ncfg = calloc(1, sizeof(*ncfg));
	punt_ring = rte_ring_create("rtrpunt", 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (punt_ring == NULL || nfv_meta_offset < 0 || pool == NULL || wk == NULL || ncfg == NULL)
		return 1;
	ncfg->n_ports = 2;
	snprintf(ncfg->ports[0].name, NFV_NAME_MAX, "p0");
	snprintf(ncfg->ports[1].name, NFV_NAME_MAX, "p1");
	cls = vnf_class_find("router");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
