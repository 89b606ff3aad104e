/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd firewall VNF - unit tests on crafted mbufs: rule order and default
 * policy, port ranges, IPv6, reject replies (TCP RST, ICMP/ICMPv6
 * unreachable), conntrack states, timeouts and table-full, pcap-filter and
 * eBPF rules, odd TCP flags, fragments, truncated L4 headers, bad config.
 *
 * argv[1]: the example eBPF object (bpf/fw_example.o); argv[2]: an eBPF
 * object with maps (bpf/fw_xdp.o), which a rule must refuse.
 * The engine services (dataplane/nfv.h) are nfv_fake's.
 */
#define ALLOW_EXPERIMENTAL_API 1
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "fw_rt.h"
#include "nfv_fake.h"
#include "test_eal.h"

/* ---- harness: engine services are nfv_fake's ---- */
static struct {
	struct rte_ring *punt;
	const char *ebpf_ok, *ebpf_maps;
} T;

/* ---- harness ---- */
struct fx {
	struct nfv_config *cfg;
	struct nfv_vnf vnf;
	struct nfv_worker *w;
	uint64_t chain_ctr[3];
	uint64_t eng_ctr[NFV_DROP_ENGINE_MAX];
	struct fw_conf *conf;
};

static struct nfv_config *
fake_cfg(void)
{
	struct nfv_config *cfg = calloc(1, sizeof(*cfg));
	const char *names[] = {"lan", "wan", "dmz"};

	for (int i = 0; i < 3; i++) {
		snprintf(cfg->ports[i].name, NFV_NAME_MAX, "%s", names[i]);
		cfg->ports[i].driver = NFV_PORT_TAP;
	}
	cfg->n_ports = 3;
	snprintf(cfg->file, sizeof(cfg->file), "fw.yaml");
	snprintf(cfg->dir, sizeof(cfg->dir), ".");
	return cfg;
}

/* Parse yaml as the firewall's vnf mapping. Returns 0 or -EINVAL with the
 * first error text in errbuf. */
static int
parse(struct nfv_config *cfg, const char *yaml, struct fw_conf **conf, char *errbuf, size_t len)
{
	struct cfg_errors err = {.file = "fw.yaml"};
	struct cfg_node *root = NULL;
	int ret;

	errbuf[0] = '\0';
	ret = cfg_load_string("fw.yaml", yaml, strlen(yaml), &root, &err);
	if (ret == 0)
		ret = fw_config_parse(cfg, root, (void **)conf, &err);
	if (err.n > 0)
		snprintf(errbuf, len, "%s", err.msgs[0]);
	cfg_errors_free(&err);
	cfg_free(root);
	return ret;
}

static void
fx_up(struct fx *f, const char *yaml)
{
	const struct vnf_class *cls = vnf_class_find("firewall");
	char err[512];

	assert_non_null(cls);
	memset(f, 0, sizeof(*f));
	f->cfg = fake_cfg();
	if (parse(f->cfg, yaml, &f->conf, err, sizeof(err)) != 0)
		fail_msg("config: %s", err);
	snprintf(f->vnf.name, sizeof(f->vnf.name), "fw0");
	f->vnf.cls = cls;
	f->vnf.ctr_n = cls->n_counters + cls->n_drops;
	f->vnf.ctr_stride = RTE_ALIGN_CEIL(f->vnf.ctr_n, 8u);
	f->vnf.ctr = rte_zmalloc(NULL, (size_t)RTE_MAX_LCORE * f->vnf.ctr_stride * 8, 64);
	f->w = rte_zmalloc(NULL, sizeof(*f->w), 64);
	f->w->lcore = rte_lcore_id();
	f->w->punt = T.punt;
	f->w->chain_ctr = f->chain_ctr;
	f->w->eng_ctr = f->eng_ctr;
	f->w->now_tsc = rte_rdtsc();
	if (cls->create(&f->vnf, f->cfg, f->conf, err, sizeof(err)) != 0)
		fail_msg("create: %s", err);
	f->vnf.conf = f->conf;
	nfv_fake.n_sent = 0;
}

static void
fx_down(struct fx *f)
{
	struct rte_mbuf *m;

	while (rte_ring_dequeue(T.punt, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	for (unsigned int i = 0; i < nfv_fake.n_sent; i++)
		rte_pktmbuf_free(nfv_fake.sent[i]);
	nfv_fake.n_sent = 0;
	nfv_drop_flush(f->w);
	f->vnf.cls->destroy(&f->vnf);
	fw_config_free(f->conf);
	rte_free(f->vnf.ctr);
	rte_free(f->w);
	free(f->cfg);
}

static uint64_t
ctr(struct fx *f, uint16_t idx)
{
	return f->vnf.ctr[(size_t)f->w->lcore * f->vnf.ctr_stride + idx];
}
static uint64_t
drops(struct fx *f, uint16_t reason)
{
	return ctr(f, FW_CTR_MAX + reason);
}

/* ---- packet crafting ---- */
struct pk {
	int family;
	const char *src, *dst;
	uint8_t proto;
	uint16_t sport, dport; /* ICMP: type, code */
	uint8_t flags;
	uint16_t in_port;
	uint16_t vlan;	/* 0 = untagged */
	uint8_t ttl;	/* 0 -> 64 */
	uint16_t frag;	/* IPv4 fragment offset field (host order) */
	int16_t l4_len; /* L4 bytes present: -1 = full header */
	uint16_t icmp_id;
	uint16_t payload;
	uint32_t seq; /* TCP: 0 -> 1000 */
};

static struct rte_mbuf *
mk(const struct pk *p)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(nfv_fake.pool);
	uint8_t *d, *l4;
	uint16_t l2 = p->vlan ? 18 : 14, l3 = p->family == AF_INET6 ? 40 : 20, full;

	assert_non_null(m);
	switch (p->proto) {
	case IPPROTO_TCP:
		full = 20;
		break;
	default:
		full = 8;
		break;
	}
	uint16_t l4len = p->l4_len >= 0 ? (uint16_t)p->l4_len : full + p->payload;
	d = (uint8_t *)rte_pktmbuf_append(m, l2 + l3 + l4len);
	assert_non_null(d);
	memset(d, 0, l2 + l3 + l4len);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)d;
	eh->dst_addr.addr_bytes[0] = 0x02;
	eh->dst_addr.addr_bytes[5] = 0x01;
	eh->src_addr.addr_bytes[0] = 0x02;
	eh->src_addr.addr_bytes[5] = 0x02;
	uint16_t et = p->family == AF_INET6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4;
	if (p->vlan) {
		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		d[14] = p->vlan >> 8;
		d[15] = p->vlan & 0xff;
		d[16] = et >> 8;
		d[17] = et & 0xff;
	} else
		eh->ether_type = rte_cpu_to_be_16(et);
	if (p->family == AF_INET6) {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(d + l2);

		ip->vtc_flow = rte_cpu_to_be_32(0x60000000);
		ip->payload_len = rte_cpu_to_be_16(l4len);
		ip->proto = p->proto;
		ip->hop_limits = p->ttl ? p->ttl : 64;
		inet_pton(AF_INET6, p->src, ip->src_addr);
		inet_pton(AF_INET6, p->dst, ip->dst_addr);
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + l2);

		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16(20 + l4len);
		ip->time_to_live = p->ttl ? p->ttl : 64;
		ip->next_proto_id = p->proto;
		ip->fragment_offset = rte_cpu_to_be_16(p->frag);
		inet_pton(AF_INET, p->src, &ip->src_addr);
		inet_pton(AF_INET, p->dst, &ip->dst_addr);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	l4 = d + l2 + l3;
	if (p->l4_len < 0 || p->l4_len >= 4) {
		if (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP) {
			l4[0] = p->sport >> 8;
			l4[1] = p->sport & 0xff;
			l4[2] = p->dport >> 8;
			l4[3] = p->dport & 0xff;
		} else if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) {
			l4[0] = p->sport;
			l4[1] = p->dport;
		}
	}
	if (p->proto == IPPROTO_TCP && (p->l4_len < 0 || p->l4_len >= 20)) {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)l4;

		t->sent_seq = rte_cpu_to_be_32(p->seq ? p->seq : 1000);
		t->recv_ack = rte_cpu_to_be_32(5000);
		t->data_off = 5 << 4;
		t->tcp_flags = p->flags;
	}
	if ((p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6) && p->l4_len < 0) {
		l4[4] = p->icmp_id >> 8;
		l4[5] = p->icmp_id & 0xff;
	}
	nfv_meta(m)->in_port = p->in_port;
	nfv_meta(m)->out_port = 0;
	return m;
}

/* Run one packet through the firewall: 1 if it continues, 0 if not. */
static int
run(struct fx *f, const struct pk *p)
{
	struct rte_mbuf *m = mk(p);
	uint16_t n = f->vnf.cls->process(&f->vnf, f->w, &m, 1);

	if (n == 1)
		rte_pktmbuf_free(m);
	nfv_drop_flush(f->w);
	return n;
}

#define TCP4(s, d, sp, dp, fl, port)                                                      \
	(struct pk)                                                                       \
	{                                                                                 \
		.family = AF_INET, .src = s, .dst = d, .proto = IPPROTO_TCP, .sport = sp, \
		.dport = dp, .flags = fl, .in_port = port, .l4_len = -1                   \
	}
#define UDP4(s, d, sp, dp, port)                                                          \
	(struct pk)                                                                       \
	{                                                                                 \
		.family = AF_INET, .src = s, .dst = d, .proto = IPPROTO_UDP, .sport = sp, \
		.dport = dp, .in_port = port, .l4_len = -1                                \
	}
#define SYN RTE_TCP_SYN_FLAG
#define ACK RTE_TCP_ACK_FLAG
#define SYNACK (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)

/* ---- tests ---- */
static void
test_rule_order_default(void **state)
{
	struct fx f;

	(void)state;
	fx_up(&f, "rules:\n"
		  "  - {name: web, action: allow, proto: tcp, dport: 80}\n"
		  "  - {name: bad-net, action: drop, src: 10.0.0.0/8}\n"
		  "  - {name: rest10, action: allow, src: 10.1.0.0/16}\n"
		  "default: allow\n");
	/* first match wins: web before bad-net */
	assert_int_equal(run(&f, &TCP4("10.1.2.3", "192.0.2.1", 1234, 80, SYN, 0)), 1);
	/* bad-net before rest10 */
	assert_int_equal(run(&f, &TCP4("10.1.2.3", "192.0.2.1", 1234, 81, SYN, 0)), 0);
	assert_int_equal(drops(&f, FW_DROP_RULE), 1);
	/* nothing matches: default allow */
	assert_int_equal(run(&f, &UDP4("192.0.2.9", "192.0.2.1", 53, 53, 0)), 1);
	assert_int_equal(ctr(&f, FW_CTR_DEFAULT), 1);
	struct fw_state *fw = f.vnf.priv;
	assert_int_equal(fw_ruleset_hits(fw->rs, 0), 1);
	assert_int_equal(fw_ruleset_hits(fw->rs, 1), 1);
	assert_int_equal(fw_ruleset_hits(fw->rs, 2), 0);
	assert_int_equal(fw_ruleset_hits(fw->rs, 3), 1); /* default */
	fx_down(&f);

	fx_up(&f, "rules:\n  - {action: allow, proto: udp}\n");
	/* default policy is drop */
	assert_int_equal(run(&f, &TCP4("192.0.2.9", "192.0.2.1", 1, 2, SYN, 0)), 0);
	assert_int_equal(drops(&f, FW_DROP_DEFAULT), 1);
	assert_int_equal(run(&f, &UDP4("192.0.2.9", "192.0.2.1", 1, 2, 0)), 1);
	fx_down(&f);
}

static void
test_ranges_ports_vlan(void **state)
{
	struct fx f;
	struct pk p;

	(void)state;
	fx_up(&f, "rules:\n"
		  "  - {action: allow, proto: tcp, sport: 1024-65535, dport: 1000-2000, "
		  "in-port: wan}\n"
		  "  - {action: allow, proto: udp, vlan: 100}\n"
		  "  - {action: allow, proto: tcp, tcp-flags: 'syn,!ack', dport: 7}\n");
	assert_int_equal(run(&f, &TCP4("1.1.1.1", "2.2.2.2", 1024, 1000, SYN, 1)), 1);
	assert_int_equal(run(&f, &TCP4("1.1.1.1", "2.2.2.2", 65535, 2000, SYN, 1)), 1);
	assert_int_equal(run(&f, &TCP4("1.1.1.1", "2.2.2.2", 1023, 1500, SYN, 1)), 0);
	assert_int_equal(run(&f, &TCP4("1.1.1.1", "2.2.2.2", 2000, 999, SYN, 1)), 0);
	assert_int_equal(run(&f, &TCP4("1.1.1.1", "2.2.2.2", 2000, 2001, SYN, 1)), 0);
	/* in-port wan only */
	assert_int_equal(run(&f, &TCP4("1.1.1.1", "2.2.2.2", 2000, 1500, SYN, 0)), 0);
	p = UDP4("1.1.1.1", "2.2.2.2", 5, 5, 0);
	p.vlan = 100;
	assert_int_equal(run(&f, &p), 1);
	p.vlan = 101;
	assert_int_equal(run(&f, &p), 0);
	/* the same packet under a second (outer 802.1ad) tag: not filtered as
	 * "not IP", dropped */
	{
		struct rte_mbuf *m;
		uint8_t *d;

		p.vlan = 100;
		m = mk(&p);
		/* the frame's start through mtod (gcc 12's array bounds) */
		assert_non_null(rte_pktmbuf_prepend(m, 4));
		d = rte_pktmbuf_mtod(m, uint8_t *);
		memmove(d, d + 4, 12);
		d[12] = 0x88;
		d[13] = 0xa8;
		d[14] = 0;
		d[15] = 200;
		assert_int_equal(f.vnf.cls->process(&f.vnf, f.w, &m, 1), 0);
		nfv_drop_flush(f.w);
		assert_int_equal(drops(&f, FW_DROP_STACKED_VLAN), 1);
		/* a corrupt IPv4 header checksum: dropped as such, whatever
		 * the rules; a NIC's verdict in the mbuf is taken (GOOD: not
		 * summed again, BAD: dropped) */
		p.vlan = 100;
		m = mk(&p);
		d = rte_pktmbuf_mtod(m, uint8_t *);
		d[18 + 10] ^= 0x40;
		assert_int_equal(f.vnf.cls->process(&f.vnf, f.w, &m, 1), 0);
		nfv_drop_flush(f.w);
		assert_int_equal(drops(&f, FW_DROP_BAD_CHECKSUM), 1);
		m = mk(&p);
		m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_BAD;
		assert_int_equal(f.vnf.cls->process(&f.vnf, f.w, &m, 1), 0);
		nfv_drop_flush(f.w);
		assert_int_equal(drops(&f, FW_DROP_BAD_CHECKSUM), 2);
		m = mk(&p);
		m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD;
		assert_int_equal(f.vnf.cls->process(&f.vnf, f.w, &m, 1), 1);
		rte_pktmbuf_free(m);
	}
	assert_int_equal(run(&f, &TCP4("1.1.1.1", "2.2.2.2", 5, 7, SYN, 0)), 1);
	assert_int_equal(run(&f, &TCP4("1.1.1.1", "2.2.2.2", 5, 7, SYNACK, 0)), 0);
	fx_down(&f);
}

static void
test_ipv6(void **state)
{
	struct fx f;
	struct pk p = {.family = AF_INET6,
		       .proto = IPPROTO_TCP,
		       .sport = 4000,
		       .dport = 443,
		       .flags = SYN,
		       .l4_len = -1};

	(void)state;
	fx_up(&f, "rules:\n"
		  "  - {action: drop, src: '2001:db8:0:1::/64'}\n"
		  "  - {action: allow, dst: '2001:db8::/32', proto: tcp, dport: 443}\n"
		  "  - {action: allow, proto: icmp6, icmp-type: 128}\n");
	p.src = "2001:db8:0:2::5";
	p.dst = "2001:db8:ffff::1";
	assert_int_equal(run(&f, &p), 1);
	p.src = "2001:db8:0:1::5";
	assert_int_equal(run(&f, &p), 0);
	p.src = "2001:db8:0:2::5";
	p.dst = "2001:db9::1";
	assert_int_equal(run(&f, &p), 0);
	struct pk e = {.family = AF_INET6,
		       .src = "fe80::1",
		       .dst = "fe80::2",
		       .proto = IPPROTO_ICMPV6,
		       .sport = 128,
		       .l4_len = -1};
	assert_int_equal(run(&f, &e), 1);
	e.sport = 129;
	assert_int_equal(run(&f, &e), 0);
	/* an IPv4 packet never matches IPv6 rules */
	assert_int_equal(run(&f, &TCP4("1.1.1.1", "2.2.2.2", 4000, 443, SYN, 0)), 0);
	fx_down(&f);
}

static struct rte_mbuf *
punt_one(struct fx *f)
{
	struct rte_mbuf *m = NULL;

	assert_int_equal(rte_ring_dequeue(T.punt, (void **)&m), 0);
	f->vnf.cls->punt(&f->vnf, m);
	return nfv_fake.n_sent ? nfv_fake.sent[nfv_fake.n_sent - 1] : NULL;
}

static void
test_reject(void **state)
{
	struct fx f;
	struct rte_mbuf *r;
	const uint8_t *d;

	(void)state;
	fx_up(&f, "default: reject\nrules: []\n");
	/* TCP SYN -> RST|ACK, ack = seq + 1 */
	assert_int_equal(run(&f, &TCP4("10.0.0.2", "10.0.1.2", 40000, 22, SYN, 1)), 0);
	assert_int_equal(ctr(&f, FW_CTR_REJECTED), 1);
	r = punt_one(&f);
	assert_non_null(r);
	assert_int_equal(nfv_fake.sent_port[0], 1);
	d = rte_pktmbuf_mtod(r, const uint8_t *);
	const struct rte_ipv4_hdr *ip = (const void *)(d + 14);
	const struct rte_tcp_hdr *t = (const void *)(ip + 1);
	char a[16];
	inet_ntop(AF_INET, &ip->dst_addr, a, sizeof(a));
	assert_string_equal(a, "10.0.0.2");
	assert_int_equal(d[5], 0x02); /* dst MAC = original src */
	assert_int_equal(rte_be_to_cpu_16(t->dst_port), 40000);
	assert_int_equal(rte_be_to_cpu_16(t->src_port), 22);
	assert_int_equal(t->tcp_flags, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG);
	assert_int_equal(rte_be_to_cpu_32(t->recv_ack), 1001);
	assert_int_equal(rte_ipv4_cksum(ip), 0);
	assert_int_equal(rte_ipv4_udptcp_cksum_verify(ip, t), 0);

	/* a RST is never answered */
	nfv_fake.n_sent = 0;
	rte_pktmbuf_free(r);
	assert_int_equal(run(&f, &TCP4("10.0.0.2", "10.0.1.2", 40000, 22, RTE_TCP_RST_FLAG, 1)), 0);
	assert_null(punt_one(&f));

	/* UDP -> ICMP port unreachable quoting the datagram */
	assert_int_equal(run(&f, &UDP4("10.0.0.2", "10.0.1.2", 5000, 53, 1)), 0);
	r = punt_one(&f);
	assert_non_null(r);
	d = rte_pktmbuf_mtod(r, const uint8_t *);
	ip = (const void *)(d + 14);
	assert_int_equal(ip->next_proto_id, IPPROTO_ICMP);
	const uint8_t *ic = (const uint8_t *)(ip + 1);
	assert_int_equal(ic[0], 3);
	assert_int_equal(ic[1], 3);
	assert_int_equal((uint16_t)~rte_raw_cksum(ic, rte_be_to_cpu_16(ip->total_length) - 20), 0);
	assert_int_equal(ic[8 + 9], IPPROTO_UDP); /* quoted IP header */
	nfv_fake.n_sent = 0;
	rte_pktmbuf_free(r);

	/* IPv6 UDP -> ICMPv6 port unreachable */
	struct pk p6 = {.family = AF_INET6,
			.src = "2001:db8::2",
			.dst = "2001:db8::1",
			.proto = IPPROTO_UDP,
			.sport = 1,
			.dport = 2,
			.l4_len = -1};
	assert_int_equal(run(&f, &p6), 0);
	r = punt_one(&f);
	assert_non_null(r);
	d = rte_pktmbuf_mtod(r, const uint8_t *);
	const struct rte_ipv6_hdr *ip6 = (const void *)(d + 14);
	assert_int_equal(ip6->proto, IPPROTO_ICMPV6);
	assert_int_equal(((const uint8_t *)(ip6 + 1))[0], 1);
	assert_int_equal(((const uint8_t *)(ip6 + 1))[1], 4);
	assert_int_equal(rte_ipv6_udptcp_cksum_verify(ip6, ip6 + 1), 0);
	nfv_fake.n_sent = 0;
	rte_pktmbuf_free(r);
	fx_down(&f);
}

/* m through the firewall and every punt through its handler: how many
 * replies were sent */
static unsigned int
replies_to(struct fx *f, struct rte_mbuf *m)
{
	unsigned int before = nfv_fake.n_sent;
	struct rte_mbuf *p;

	if (f->vnf.cls->process(&f->vnf, f->w, &m, 1) == 1)
		rte_pktmbuf_free(m);
	nfv_drop_flush(f->w);
	while (rte_ring_dequeue(T.punt, (void **)&p) == 0)
		f->vnf.cls->punt(&f->vnf, p);
	return nfv_fake.n_sent - before;
}

static struct rte_mbuf *
mk_dmac(const struct pk *p, uint8_t dmac0)
{
	struct rte_mbuf *m = mk(p);

	memset(rte_pktmbuf_mtod(m, uint8_t *), dmac0, dmac0 == 0xff ? 6 : 1);
	return m;
}

/* RFC 1812 4.3.2.7 / RFC 4443 2.4(e): reject never answers a broadcast or
 * multicast (frame or address), a source that is not one host, a
 * non-initial fragment; a unicast packet is answered from its destination's
 * unicast MAC and address. */
static void
test_reject_never_broadcast(void **state)
{
	struct fx f;
	struct pk frag = UDP4("10.0.0.2", "10.0.1.2", 5000, 53, 1);
	struct pk v6 = {.family = AF_INET6, .dst = "2001:db8::1", .proto = IPPROTO_UDP,
			.sport = 1, .dport = 2, .in_port = 1, .l4_len = -1};
	static const char *const bad_src4[] = {"0.0.0.0", "127.0.0.1", "224.0.0.1",
					       "240.0.0.1", "255.255.255.255"};
	static const char *const bad_src6[] = {"::", "::1", "ff02::1"};
	struct rte_mbuf *r;
	const uint8_t *d;

	(void)state;
	fx_up(&f, "default: reject\nrules: []\n");
	/* UDP to a subnet broadcast in a broadcast frame, TCP in a multicast
	 * frame: no answer at all */
	assert_int_equal(replies_to(&f, mk_dmac(&UDP4("10.0.0.2", "10.0.0.255", 5000, 53, 1),
					       0xff)),
			 0);
	assert_int_equal(replies_to(&f, mk_dmac(&TCP4("10.0.0.2", "10.0.1.2", 4000, 22, SYN, 1),
					       0x01)),
			 0);
	assert_int_equal(replies_to(&f, mk(&UDP4("10.0.0.2", "255.255.255.255", 68, 67, 1))), 0);
	assert_int_equal(replies_to(&f, mk(&UDP4("10.0.0.2", "127.0.0.1", 1, 2, 1))), 0);
	for (size_t i = 0; i < RTE_DIM(bad_src4); i++) {
		assert_int_equal(replies_to(&f, mk(&UDP4(bad_src4[i], "10.0.1.2", 1, 2, 1))), 0);
		assert_int_equal(
			replies_to(&f, mk(&TCP4(bad_src4[i], "10.0.1.2", 1, 22, SYN, 1))), 0);
	}
	frag.frag = 100; /* non-initial fragment */
	assert_int_equal(replies_to(&f, mk(&frag)), 0);
	for (size_t i = 0; i < RTE_DIM(bad_src6); i++) {
		v6.src = bad_src6[i];
		assert_int_equal(replies_to(&f, mk(&v6)), 0);
	}
	v6.src = "2001:db8::2";
	assert_int_equal(replies_to(&f, mk_dmac(&v6, 0x33)), 0);
	assert_int_equal(nfv_fake.n_sent, 0);
	/* a unicast packet: answered from its destination's MAC and address */
	assert_int_equal(replies_to(&f, mk(&UDP4("10.0.0.2", "10.0.1.2", 5000, 53, 1))), 1);
	r = nfv_fake.sent[0];
	d = rte_pktmbuf_mtod(r, const uint8_t *);
	assert_int_equal(d[6], 0x02); /* source MAC: the original destination's */
	assert_int_equal(d[11], 0x01);
	assert_int_equal(d[5], 0x02); /* to the original source */
	{
		const struct rte_ipv4_hdr *ip = (const void *)(d + 14);
		char a[16];

		inet_ntop(AF_INET, &ip->src_addr, a, sizeof(a));
		assert_string_equal(a, "10.0.1.2");
	}
	fx_down(&f);
}

static void
test_conntrack_tcp(void **state)
{
	struct fx f;
	struct fw_state *fw;
	json_t *res = NULL;
	char err[128];

	(void)state;
	fx_up(&f, "rules:\n"
		  "  - {name: out, action: allow, in-port: lan, stateful: true}\n");
	fw = f.vnf.priv;
	/* outbound SYN creates the connection */
	assert_int_equal(run(&f, &TCP4("10.0.0.2", "198.51.100.1", 40000, 80, SYN, 0)), 1);
	assert_int_equal(ctr(&f, FW_CTR_CT_NEW), 1);
	assert_int_equal(fw->ct.count, 1);
	/* reply passes before the rules; an unrelated inbound SYN does not */
	assert_int_equal(run(&f, &TCP4("198.51.100.1", "10.0.0.2", 80, 40000, SYNACK, 1)), 1);
	assert_int_equal(run(&f, &TCP4("198.51.100.1", "10.0.0.2", 80, 40001, SYN, 1)), 0);
	assert_int_equal(run(&f, &TCP4("10.0.0.2", "198.51.100.1", 40000, 80, ACK, 0)), 1);
	assert_int_equal(ctr(&f, FW_CTR_CT_HIT), 2);
	assert_int_equal(f.vnf.cls->ctl(&f.vnf, "conns", NULL, &res, err, sizeof(err)), 0);
	json_t *c0 = json_array_get(json_object_get(res, "conns"), 0);
	assert_non_null(c0);
	assert_string_equal(json_string_value(json_object_get(c0, "state")), "established");
	assert_string_equal(json_string_value(json_object_get(c0, "src")), "10.0.0.2");
	assert_int_equal(json_integer_value(json_object_get(c0, "dport")), 80);
	json_decref(res);
	/* FIN both ways -> time-wait; RST -> closed */
	assert_int_equal(
		run(&f, &TCP4("198.51.100.1", "10.0.0.2", 80, 40000, RTE_TCP_FIN_FLAG | ACK, 1)),
		1);
	assert_int_equal(
		run(&f, &TCP4("10.0.0.2", "198.51.100.1", 40000, 80, RTE_TCP_FIN_FLAG | ACK, 0)),
		1);
	struct fw_ct_entry *e = NULL;
	for (uint32_t i = 0; i < fw->ct.n_slots; i++)
		if (fw->ct.entries[i].in_use)
			e = &fw->ct.entries[i];
	assert_non_null(e);
	assert_int_equal(e->state, FW_CT_TIME_WAIT);
	assert_int_equal(run(&f, &TCP4("10.0.0.2", "198.51.100.1", 40000, 80, RTE_TCP_RST_FLAG, 0)),
			 1);
	assert_int_equal(e->state, FW_CT_CLOSED);
	/* closed times out after tcp-closed (10 s by default) */
	f.w->now_tsc += 11 * rte_get_tsc_hz();
	assert_int_equal(run(&f, &TCP4("198.51.100.1", "10.0.0.2", 80, 40000, ACK, 1)), 0);
	assert_int_equal(fw_ct_expire(&fw->ct, fw->rs, f.w->now_tsc, fw->ct.n_slots), 1);
	assert_int_equal(fw->ct.count, 0);
	fx_down(&f);
}

#define TCPS(s, d, sp, dp, fl, port, sq)                                                  \
	(struct pk)                                                                       \
	{                                                                                 \
		.family = AF_INET, .src = s, .dst = d, .proto = IPPROTO_TCP, .sport = sp, \
		.dport = dp, .flags = fl, .in_port = port, .l4_len = -1, .seq = sq        \
	}

/* RFC 5961 3.2 / conntrack: a RST outside the window around what its
 * sender has sent, and a SYN from the responder of an established
 * connection, are dropped as ct-invalid and leave the connection as it
 * was; a SYN from the initiator passes; the in-window RST closes it; a
 * new SYN on the closed entry starts the window over. */
static void
test_conntrack_tcp_invalid(void **state)
{
	const uint8_t RST = RTE_TCP_RST_FLAG;
	struct fw_ct_entry *e = NULL;
	struct fx f;
	struct fw_state *fw;

	(void)state;
	fx_up(&f, "rules:\n"
		  "  - {name: out, action: allow, in-port: lan, stateful: true}\n");
	fw = f.vnf.priv;
	assert_int_equal(run(&f, &TCP4("10.0.0.2", "198.51.100.1", 40000, 80, SYN, 0)), 1);
	assert_int_equal(run(&f, &TCPS("198.51.100.1", "10.0.0.2", 80, 40000, SYNACK, 1, 5000)), 1);
	assert_int_equal(run(&f, &TCPS("10.0.0.2", "198.51.100.1", 40000, 80, ACK, 0, 1001)), 1);
	for (uint32_t i = 0; i < fw->ct.n_slots; i++)
		if (fw->ct.entries[i].in_use)
			e = &fw->ct.entries[i];
	assert_non_null(e);
	assert_int_equal(e->state, FW_CT_ESTABLISHED);
	/* blind resets from the WAN: far ahead, far behind */
	assert_int_equal(
		run(&f, &TCPS("198.51.100.1", "10.0.0.2", 80, 40000, RST, 1, 5001 + 10000000)), 0);
	assert_int_equal(
		run(&f, &TCPS("198.51.100.1", "10.0.0.2", 80, 40000, RST | ACK, 1, 3000000000u)),
		0);
	/* a SYN from the responder */
	assert_int_equal(run(&f, &TCPS("198.51.100.1", "10.0.0.2", 80, 40000, SYN, 1, 9)), 0);
	assert_int_equal(drops(&f, FW_DROP_CT_INVALID), 3);
	assert_int_equal(e->state, FW_CT_ESTABLISHED);
	/* a reset far from what the LAN side sent */
	assert_int_equal(run(&f, &TCPS("10.0.0.2", "198.51.100.1", 40000, 80, RST, 0, 500000)), 0);
	assert_int_equal(drops(&f, FW_DROP_CT_INVALID), 4);
	/* the initiator's SYN on an established connection passes (ignored) */
	assert_int_equal(run(&f, &TCPS("10.0.0.2", "198.51.100.1", 40000, 80, SYN, 0, 1001)), 1);
	assert_int_equal(e->state, FW_CT_ESTABLISHED);
	/* the right reset closes it */
	assert_int_equal(run(&f, &TCPS("198.51.100.1", "10.0.0.2", 80, 40000, RST, 1, 5001)), 1);
	assert_int_equal(e->state, FW_CT_CLOSED);
	/* a new connection on the entry: its own numbers */
	assert_int_equal(run(&f, &TCPS("10.0.0.2", "198.51.100.1", 40000, 80, SYN, 0, 777777)), 1);
	assert_int_equal(e->state, FW_CT_SYN_SENT);
	assert_int_equal(run(&f, &TCPS("10.0.0.2", "198.51.100.1", 40000, 80, RST, 0, 777778)), 1);
	assert_int_equal(e->state, FW_CT_CLOSED);
	assert_int_equal(drops(&f, FW_DROP_CT_INVALID), 4);
	fx_down(&f);
}

static void
test_conntrack_udp_icmp_timeouts(void **state)
{
	struct fx f;
	struct fw_state *fw;
	uint64_t hz = rte_get_tsc_hz();

	(void)state;
	fx_up(&f, "conntrack:\n  timeouts: {udp: 2, udp-stream: 5, icmp: 1}\n"
		  "rules:\n  - {action: allow, in-port: lan, stateful: true}\n");
	fw = f.vnf.priv;
	assert_int_equal(run(&f, &UDP4("10.0.0.2", "8.8.8.8", 5353, 53, 0)), 1);
	/* another worker's burst that started a little earlier still matches */
	f.w->now_tsc -= hz / 1000;
	assert_int_equal(run(&f, &UDP4("8.8.8.8", "10.0.0.2", 53, 5353, 1)), 1);
	f.w->now_tsc += hz / 1000;
	/* one-way flow: the udp timeout (2 s) */
	f.w->now_tsc += 1 * hz;
	assert_int_equal(run(&f, &UDP4("8.8.8.8", "10.0.0.2", 53, 5353, 1)), 1);
	/* a stream: 5 s */
	f.w->now_tsc += 4 * hz;
	assert_int_equal(run(&f, &UDP4("8.8.8.8", "10.0.0.2", 53, 5353, 1)), 1);
	f.w->now_tsc += 6 * hz;
	assert_int_equal(run(&f, &UDP4("8.8.8.8", "10.0.0.2", 53, 5353, 1)), 0);

	/* a one-way flow ends after the udp timeout (2 s) */
	assert_int_equal(run(&f, &UDP4("10.0.0.2", "8.8.8.8", 5354, 53, 0)), 1);
	f.w->now_tsc += 3 * hz;
	assert_int_equal(run(&f, &UDP4("8.8.8.8", "10.0.0.2", 53, 5354, 1)), 0);

	/* ICMP echo tracked by identifier */
	struct pk req = {.family = AF_INET,
			 .src = "10.0.0.2",
			 .dst = "8.8.4.4",
			 .proto = IPPROTO_ICMP,
			 .sport = 8,
			 .icmp_id = 77,
			 .l4_len = -1};
	struct pk rep = {.family = AF_INET,
			 .src = "8.8.4.4",
			 .dst = "10.0.0.2",
			 .proto = IPPROTO_ICMP,
			 .sport = 0,
			 .icmp_id = 77,
			 .in_port = 1,
			 .l4_len = -1};
	assert_int_equal(run(&f, &req), 1);
	assert_int_equal(run(&f, &rep), 1);
	rep.icmp_id = 78;
	assert_int_equal(run(&f, &rep), 0);
	rep.icmp_id = 77;
	f.w->now_tsc += 2 * hz;
	assert_int_equal(run(&f, &rep), 0);
	(void)fw;
	fx_down(&f);
}

/* An ICMP error from a router on the path, quoting packet q (its IP header
 * and first 8 L4 bytes, as RFC 792 requires at least). */
static struct rte_mbuf *
mk_icmp_err(const struct pk *outer, const struct pk *q)
{
	struct rte_mbuf *qm = mk(q), *m;
	uint16_t ql = q->family == AF_INET6 ? 40 + 8 : 20 + 8;
	struct pk o = *outer;
	uint8_t *l4;

	o.l4_len = (int16_t)(8 + ql);
	m = mk(&o);
	l4 = rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + (o.family == AF_INET6 ? 40 : 20));
	memcpy(l4 + 8, rte_pktmbuf_mtod_offset(qm, uint8_t *, 14), ql);
	rte_pktmbuf_free(qm);
	return m;
}

static int
run_m(struct fx *f, struct rte_mbuf *m)
{
	uint16_t n = f->vnf.cls->process(&f->vnf, f->w, &m, 1);

	if (n == 1)
		rte_pktmbuf_free(m);
	nfv_drop_flush(f->w);
	return n;
}

/* ICMP errors about a tracked connection are "related": they pass the
 * stateful rule's way back (port unreachable for a UDP query, packet too
 * big for a TCP connection over IPv6); errors about nothing tracked meet
 * the rules (here: the default drop). The connection's state is kept. */
static void
test_conntrack_related(void **state)
{
	struct fx f;

	(void)state;
	fx_up(&f, "rules:\n  - {action: allow, in-port: lan, stateful: true}\n");
	struct pk q = UDP4("10.0.0.2", "8.8.8.8", 5353, 53, 0);
	struct pk err4 = {.family = AF_INET, .src = "192.0.2.1", .dst = "10.0.0.2",
			  .proto = IPPROTO_ICMP, .sport = 3, .dport = 3, .in_port = 1};
	assert_int_equal(run(&f, &q), 1);
	assert_int_equal(run_m(&f, mk_icmp_err(&err4, &q)), 1);
	assert_int_equal(ctr(&f, FW_CTR_RELATED), 1);
	err4.sport = 11; /* time exceeded */
	err4.dport = 0;
	assert_int_equal(run_m(&f, mk_icmp_err(&err4, &q)), 1);
	assert_int_equal(ctr(&f, FW_CTR_RELATED), 2);
	/* quoting a flow nobody opened: not related, dropped by default */
	struct pk other = UDP4("10.0.0.2", "8.8.8.8", 9999, 53, 0);
	assert_int_equal(run_m(&f, mk_icmp_err(&err4, &other)), 0);
	assert_int_equal(drops(&f, FW_DROP_DEFAULT), 1);
	/* quoting the tracked flow but sent to another inside host (not the
	 * quoted packet's sender): related to nothing, dropped */
	err4.dst = "10.0.0.7";
	assert_int_equal(run_m(&f, mk_icmp_err(&err4, &q)), 0);
	assert_int_equal(drops(&f, FW_DROP_DEFAULT), 2);
	assert_int_equal(ctr(&f, FW_CTR_RELATED), 2);
	err4.dst = "10.0.0.2";
	/* an error is not a reply: an unsolicited one from outside cannot
	 * open the way in */
	struct pk back = UDP4("8.8.8.8", "10.0.0.2", 53, 9999, 1);
	assert_int_equal(run(&f, &back), 0);

	/* IPv6: packet too big for a TCP connection */
	struct pk syn6 = {.family = AF_INET6, .src = "2001:db8::2", .dst = "2001:db8:1::9",
			  .proto = IPPROTO_TCP, .sport = 40000, .dport = 443, .flags = SYN,
			  .l4_len = -1};
	struct pk ptb = {.family = AF_INET6, .src = "2001:db8:ff::1", .dst = "2001:db8::2",
			 .proto = IPPROTO_ICMPV6, .sport = 2, .dport = 0, .in_port = 1};
	assert_int_equal(run(&f, &syn6), 1);
	assert_int_equal(run_m(&f, mk_icmp_err(&ptb, &syn6)), 1);
	assert_int_equal(ctr(&f, FW_CTR_RELATED), 3);
	/* truncated quote (no L4 bytes): not related */
	struct rte_mbuf *m = mk_icmp_err(&err4, &q);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	ip->total_length = rte_cpu_to_be_16(20 + 8 + 20);
	rte_pktmbuf_trim(m, 8);
	assert_int_equal(run_m(&f, m), 0);
	assert_int_equal(ctr(&f, FW_CTR_RELATED), 3);
	fx_down(&f);
}

/* An ICMPv6 error quoting IPv6 packet q with extension headers ext (nx
 * bytes, each header's next-header field already set, the last one's to
 * q->proto; first: the first header's type) between its fixed header and
 * its first 8 L4 bytes (or, with l4 = 0, none: a non-first fragment's
 * quote ends with the fragment header and 8 bytes of the datagram). */
static struct rte_mbuf *
mk_icmp6_err_ext(const struct pk *outer, const struct pk *q, uint8_t first, const uint8_t *ext,
		 uint16_t nx)
{
	struct rte_mbuf *qm = mk(q), *m;
	const uint8_t *qd = rte_pktmbuf_mtod_offset(qm, const uint8_t *, 14);
	uint16_t ql = 40 + nx + 8;
	struct pk o = *outer;
	uint8_t *l4;

	o.l4_len = (int16_t)(8 + ql);
	m = mk(&o);
	l4 = rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + 40);
	memcpy(l4 + 8, qd, 40);
	l4[8 + 6] = first;
	l4[8 + 4] = (uint8_t)((nx + 8u + q->payload) >> 8);
	l4[8 + 5] = (uint8_t)(nx + 8u + q->payload);
	if (nx > 0)
		memcpy(l4 + 8 + 40, ext, nx);
	memcpy(l4 + 8 + 40 + nx, qd + 40, 8);
	rte_pktmbuf_free(qm);
	return m;
}

/* ICMPv6 errors whose quote has extension headers (RFC 8200 4.1): a Packet
 * Too Big about a fragmented UDP datagram (RFC 4890 4.3.1: never dropped)
 * or a packet with destination options is related to its connection, as in
 * Linux conntrack (ipv6_skip_exthdr); a quoted non-first fragment has no
 * ports and relates to no UDP/TCP connection, only to one tracked by
 * addresses; a chain cut short or longer than 8 headers relates to
 * nothing. IPv4: a quote with MF is related, a non-first fragment not. */
static void
test_conntrack_related_exthdr(void **state)
{
	struct fx f;
	/* fragment header: next header UDP, offset 0, M, id 9 */
	const uint8_t frag_first[8] = {IPPROTO_UDP, 0, 0x00, 0x01, 0, 0, 0, 9};
	/* offset 185 (1480 bytes), M */
	const uint8_t frag_later[8] = {IPPROTO_UDP, 0, 0x05, 0xc9, 0, 0, 0, 9};
	/* destination options, 8 bytes: PadN of 4 */
	const uint8_t dopt[8] = {IPPROTO_UDP, 0, 1, 4, 0, 0, 0, 0};
	/* hop-by-hop (16 bytes: PadN of 12) -> routing (type 4, 8 bytes) ->
	 * destination options -> fragment -> UDP */
	uint8_t chain[40] = {43, 1, 1, 12};
	uint8_t many[72];

	(void)state;
	chain[16] = 60;
	chain[18] = 4;
	chain[24] = 44;
	chain[26] = 1;
	chain[27] = 4;
	memcpy(chain + 32, frag_first, 8);
	/* 9 destination options headers */
	for (int i = 0; i < 9; i++) {
		const uint8_t h[8] = {i < 8 ? 60 : IPPROTO_UDP, 0, 1, 4, 0, 0, 0, 0};

		memcpy(many + 8 * i, h, 8);
	}
	fx_up(&f, "rules:\n  - {action: allow, in-port: lan, stateful: true}\n");
	struct pk q = {.family = AF_INET6, .src = "2001:db8::2", .dst = "2001:db8:1::9",
		       .proto = IPPROTO_UDP, .sport = 5353, .dport = 53, .l4_len = -1,
		       .payload = 1600};
	struct pk ptb = {.family = AF_INET6, .src = "2001:db8:ff::1", .dst = "2001:db8::2",
			 .proto = IPPROTO_ICMPV6, .sport = 2, .dport = 0, .in_port = 1};
	uint64_t rel = 0, def = 0;

	assert_int_equal(run(&f, &q), 1);
	/* plain quote: related (as before) */
	assert_int_equal(run_m(&f, mk_icmp6_err_ext(&ptb, &q, IPPROTO_UDP, NULL, 0)), 1);
	assert_int_equal(ctr(&f, FW_CTR_RELATED), ++rel);
	/* fragment header (first fragment) + UDP */
	assert_int_equal(run_m(&f, mk_icmp6_err_ext(&ptb, &q, 44, frag_first, 8)), 1);
	assert_int_equal(ctr(&f, FW_CTR_RELATED), ++rel);
	/* destination options + UDP */
	assert_int_equal(run_m(&f, mk_icmp6_err_ext(&ptb, &q, 60, dopt, 8)), 1);
	assert_int_equal(ctr(&f, FW_CTR_RELATED), ++rel);
	/* hop-by-hop, routing, destination options, fragment, UDP */
	assert_int_equal(run_m(&f, mk_icmp6_err_ext(&ptb, &q, 0, chain, 40)), 1);
	assert_int_equal(ctr(&f, FW_CTR_RELATED), ++rel);
	/* the other errors too: unreachable, time exceeded, parameter problem */
	for (uint16_t t = 1; t <= 4; t++) {
		struct pk e = ptb;

		e.sport = t;
		assert_int_equal(run_m(&f, mk_icmp6_err_ext(&e, &q, 44, frag_first, 8)), 1);
		assert_int_equal(ctr(&f, FW_CTR_RELATED), ++rel);
	}
	assert_int_equal(drops(&f, FW_DROP_DEFAULT), def);
	/* an untracked flow behind the same headers: not related */
	struct pk other = q;
	other.sport = 9999;
	assert_int_equal(run_m(&f, mk_icmp6_err_ext(&ptb, &other, 44, frag_first, 8)), 0);
	assert_int_equal(drops(&f, FW_DROP_DEFAULT), ++def);
	assert_int_equal(run_m(&f, mk_icmp6_err_ext(&ptb, &other, 60, dopt, 8)), 0);
	assert_int_equal(drops(&f, FW_DROP_DEFAULT), ++def);
	/* the tracked flow, sent to another host than the quoted sender */
	struct pk ptb7 = ptb;
	ptb7.dst = "2001:db8::7";
	assert_int_equal(run_m(&f, mk_icmp6_err_ext(&ptb7, &q, 44, frag_first, 8)), 0);
	assert_int_equal(drops(&f, FW_DROP_DEFAULT), ++def);
	/* a non-first fragment: no ports, not related to the UDP flow */
	assert_int_equal(run_m(&f, mk_icmp6_err_ext(&ptb, &q, 44, frag_later, 8)), 0);
	assert_int_equal(drops(&f, FW_DROP_DEFAULT), ++def);
	/* more than 8 extension headers: not read, not related */
	assert_int_equal(run_m(&f, mk_icmp6_err_ext(&ptb, &q, 60, many, 72)), 0);
	assert_int_equal(drops(&f, FW_DROP_DEFAULT), ++def);
	/* a chain cut short: destination options claiming 64 bytes */
	{
		uint8_t big[8] = {IPPROTO_UDP, 7, 1, 4, 0, 0, 0, 0};

		assert_int_equal(run_m(&f, mk_icmp6_err_ext(&ptb, &q, 60, big, 8)), 0);
		assert_int_equal(drops(&f, FW_DROP_DEFAULT), ++def);
	}
	assert_int_equal(ctr(&f, FW_CTR_RELATED), rel);
	assert_int_equal(drops(&f, FW_DROP_TRUNC_L4), 0);

	/* a protocol tracked by addresses alone (GRE): a quoted non-first
	 * fragment relates by addresses */
	struct pk gre = {.family = AF_INET6, .src = "2001:db8::2", .dst = "2001:db8:1::9",
			 .proto = 47, .l4_len = -1};
	const uint8_t frag_gre[8] = {47, 0, 0x05, 0xc9, 0, 0, 0, 10};
	assert_int_equal(run(&f, &gre), 1);
	assert_int_equal(run_m(&f, mk_icmp6_err_ext(&ptb, &gre, 44, frag_gre, 8)), 1);
	assert_int_equal(ctr(&f, FW_CTR_RELATED), ++rel);

	/* IPv4: a quote with MF is related; a non-first fragment's is not */
	struct pk q4 = UDP4("10.0.0.2", "8.8.8.8", 5353, 53, 0);
	struct pk err4 = {.family = AF_INET, .src = "192.0.2.1", .dst = "10.0.0.2",
			  .proto = IPPROTO_ICMP, .sport = 3, .dport = 4, .in_port = 1};
	assert_int_equal(run(&f, &q4), 1);
	q4.frag = 0x2000;
	assert_int_equal(run_m(&f, mk_icmp_err(&err4, &q4)), 1);
	assert_int_equal(ctr(&f, FW_CTR_RELATED), ++rel);
	q4.frag = 0x2000 | 185;
	assert_int_equal(run_m(&f, mk_icmp_err(&err4, &q4)), 0);
	assert_int_equal(drops(&f, FW_DROP_DEFAULT), ++def);
	assert_int_equal(ctr(&f, FW_CTR_RELATED), rel);
	fx_down(&f);
}

static void
test_conntrack_full(void **state)
{
	struct fx f;
	char src[32];

	(void)state;
	fx_up(&f, "conntrack: {max: 16}\n"
		  "rules:\n  - {action: allow, in-port: lan, stateful: true}\n");
	for (int i = 0; i < 16; i++) {
		snprintf(src, sizeof(src), "10.0.0.%d", i + 1);
		assert_int_equal(run(&f, &UDP4(src, "8.8.8.8", 1000, 53, 0)), 1);
	}
	assert_int_equal(run(&f, &UDP4("10.0.0.99", "8.8.8.8", 1000, 53, 0)), 0);
	assert_int_equal(drops(&f, FW_DROP_CT_FULL), 1);
	/* packets of known flows still pass */
	assert_int_equal(run(&f, &UDP4("8.8.8.8", "10.0.0.3", 53, 1000, 1)), 1);
	fx_down(&f);
}

static void
test_pcap_filter_rule(void **state)
{
	struct fx f;

	(void)state;
	fx_up(&f, "default: allow\nrules:\n"
		  "  - {action: drop, filter: 'tcp port 443 and not net 10.0.0.0/8'}\n"
		  "  - {action: drop, proto: udp, in-port: wan, filter: 'udp dst port 9'}\n");
	assert_int_equal(run(&f, &TCP4("192.0.2.1", "192.0.2.2", 5000, 443, SYN, 0)), 0);
	assert_int_equal(run(&f, &TCP4("10.0.0.1", "192.0.2.2", 5000, 443, SYN, 0)), 1);
	assert_int_equal(run(&f, &TCP4("192.0.2.1", "192.0.2.2", 5000, 444, SYN, 0)), 1);
	/* header fields of a filter rule apply too (in-port wan) */
	assert_int_equal(run(&f, &UDP4("192.0.2.1", "192.0.2.2", 5000, 9, 0)), 1);
	assert_int_equal(run(&f, &UDP4("192.0.2.1", "192.0.2.2", 5000, 9, 1)), 0);
	assert_int_equal(drops(&f, FW_DROP_RULE), 2);
	fx_down(&f);
}

static void
test_ebpf_rule(void **state)
{
	struct fx f;
	char yaml[512];
	struct pk p = TCP4("192.0.2.1", "192.0.2.2", 5000, 8080, SYN, 0);

	(void)state;
	snprintf(yaml, sizeof(yaml),
		 "default: allow\nrules:\n  - {action: drop, bpf: {file: '%s', section: socket}}\n",
		 T.ebpf_ok);
	fx_up(&f, yaml);
	p.ttl = 5;
	assert_int_equal(run(&f, &p), 0); /* dport 8080, ttl 5: matches */
	p.ttl = 64;
	assert_int_equal(run(&f, &p), 1);
	p.ttl = 5;
	p.dport = 8100;
	assert_int_equal(run(&f, &p), 1);
	fx_down(&f);
}

/* Ethernet + IPv6 + fragment header (identification id, offset in 8-byte
 * units, MF) + 16 bytes (the first fragment: a UDP header and 8 more) */
static struct rte_mbuf *
mk6frag(const char *src, const char *dst, uint16_t off, bool mf, uint32_t id)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(nfv_fake.pool);
	struct rte_ipv6_hdr *ip;
	uint8_t *d, *fh;
	uint16_t fo = (uint16_t)(off << 3 | (mf ? 1 : 0));

	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, 14 + 40 + 8 + 16));
	d = rte_pktmbuf_mtod(m, uint8_t *);
	memset(d, 0, 14 + 40 + 8 + 16);
	d[0] = 0x02;
	d[5] = 0x01;
	d[6] = 0x02;
	d[11] = 0x02;
	d[12] = 0x86;
	d[13] = 0xdd;
	ip = (struct rte_ipv6_hdr *)(d + 14);
	ip->vtc_flow = rte_cpu_to_be_32(0x60000000);
	ip->payload_len = rte_cpu_to_be_16(8 + 16);
	ip->proto = 44;
	ip->hop_limits = 64;
	inet_pton(AF_INET6, src, ip->src_addr);
	inet_pton(AF_INET6, dst, ip->dst_addr);
	fh = d + 54;
	fh[0] = IPPROTO_UDP;
	fh[2] = (uint8_t)(fo >> 8);
	fh[3] = (uint8_t)fo;
	id = rte_cpu_to_be_32(id);
	memcpy(fh + 4, &id, 4);
	if (off == 0) {
		fh[8] = 0x13; /* sport 5000, dport 53, length 24 */
		fh[9] = 0x88;
		fh[11] = 53;
		fh[13] = 24;
	}
	nfv_meta(m)->in_port = 0;
	return m;
}

static void
test_sanity_drops(void **state)
{
	struct fx f;
	struct pk p;

	(void)state;
	fx_up(&f, "default: allow\nrules: []\n");
	/* odd TCP flags */
	assert_int_equal(run(&f, &TCP4("1.1.1.1", "2.2.2.2", 1, 2, SYN | RTE_TCP_FIN_FLAG, 0)), 0);
	assert_int_equal(run(&f, &TCP4("1.1.1.1", "2.2.2.2", 1, 2, 0, 0)), 0);
	assert_int_equal(run(&f, &TCP4("1.1.1.1", "2.2.2.2", 1, 2,
				       RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG | RTE_TCP_URG_FLAG, 0)),
			 0);
	assert_int_equal(drops(&f, FW_DROP_BAD_TCP_FLAGS), 3);
	/* truncated L4 */
	p = TCP4("1.1.1.1", "2.2.2.2", 1, 2, SYN, 0);
	p.l4_len = 12;
	assert_int_equal(run(&f, &p), 0);
	p = UDP4("1.1.1.1", "2.2.2.2", 1, 2, 0);
	p.l4_len = 4;
	assert_int_equal(run(&f, &p), 0);
	assert_int_equal(drops(&f, FW_DROP_TRUNC_L4), 2);
	/* non-first fragment: dropped by default; first fragment is evaluated */
	p = UDP4("1.1.1.1", "2.2.2.2", 1, 2, 0);
	p.frag = 100;
	assert_int_equal(run(&f, &p), 0);
	assert_int_equal(drops(&f, FW_DROP_FRAGMENT), 1);
	p.frag = 0x2000; /* MF, offset 0 */
	assert_int_equal(run(&f, &p), 1);
	assert_int_equal(ctr(&f, FW_CTR_FRAGMENTS), 2);
	/* the later fragments of a datagram whose first one passed follow it
	 * (ping -s 3000 through the firewall); another datagram's do not */
	p.frag = 100;
	assert_int_equal(run(&f, &p), 1);
	assert_int_equal(ctr(&f, FW_CTR_FRAG_FOLLOWED), 1);
	p = UDP4("1.1.1.3", "2.2.2.2", 1, 2, 0);
	p.frag = 100;
	assert_int_equal(run(&f, &p), 0);
	assert_int_equal(drops(&f, FW_DROP_FRAGMENT), 2);
	/* a datagram's fragments in one burst, in order: the later ones
	 * follow the first one decided in the same burst */
	{
		struct rte_mbuf *b[3];

		p = UDP4("1.1.1.4", "2.2.2.2", 1, 2, 0);
		p.frag = 0x2000;
		b[0] = mk(&p);
		p.frag = 0x2000 | 100;
		b[1] = mk(&p);
		p.frag = 200;
		b[2] = mk(&p);
		assert_int_equal(f.vnf.cls->process(&f.vnf, f.w, b, 3), 3);
		nfv_drop_flush(f.w);
		rte_pktmbuf_free_bulk(b, 3);
		assert_int_equal(ctr(&f, FW_CTR_FRAG_FOLLOWED), 3);
	}
	/* IPv6: the same by the fragment header's identification */
	{
		struct rte_mbuf *m6 = mk6frag("2001:db8::1", "2001:db8::2", 0, true, 77);

		assert_int_equal(f.vnf.cls->process(&f.vnf, f.w, &m6, 1), 1);
		rte_pktmbuf_free(m6);
		m6 = mk6frag("2001:db8::1", "2001:db8::2", 2, false, 77);
		assert_int_equal(f.vnf.cls->process(&f.vnf, f.w, &m6, 1), 1);
		rte_pktmbuf_free(m6);
		assert_int_equal(ctr(&f, FW_CTR_FRAG_FOLLOWED), 4);
		m6 = mk6frag("2001:db8::1", "2001:db8::2", 2, false, 78);
		assert_int_equal(f.vnf.cls->process(&f.vnf, f.w, &m6, 1), 0);
		nfv_drop_flush(f.w);
		assert_int_equal(drops(&f, FW_DROP_FRAGMENT), 3);
	}
	/* non-IP passes */
	struct rte_mbuf *m = mk(&UDP4("1.1.1.1", "2.2.2.2", 1, 2, 0));
	rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->ether_type =
		rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	assert_int_equal(f.vnf.cls->process(&f.vnf, f.w, &m, 1), 1);
	rte_pktmbuf_free(m);
	assert_int_equal(ctr(&f, FW_CTR_NON_IP), 1);
	fx_down(&f);

	fx_up(&f, "default: allow\nfragments: allow\nrules: []\n");
	p = UDP4("1.1.1.1", "2.2.2.2", 1, 2, 0);
	p.frag = 100;
	assert_int_equal(run(&f, &p), 1);
	fx_down(&f);
}

static void
test_reconfigure_keeps_conns(void **state)
{
	struct fx f;
	struct fw_conf *c2;
	char err[256];

	(void)state;
	fx_up(&f, "rules:\n  - {action: allow, in-port: lan, stateful: true}\n");
	assert_int_equal(run(&f, &TCP4("10.0.0.2", "198.51.100.1", 40000, 22, SYN, 0)), 1);
	assert_int_equal(parse(f.cfg,
			       "rules:\n  - {action: drop, in-port: lan, proto: tcp, dport: 22}\n"
			       "  - {action: allow, in-port: lan, stateful: true}\n",
			       &c2, err, sizeof(err)),
			 0);
	assert_int_equal(f.vnf.cls->reconfigure(&f.vnf, f.cfg, c2, err, sizeof(err)), 0);
	fw_config_free(f.conf);
	f.conf = c2;
	/* the tracked connection lives on; a new one to port 22 is dropped */
	assert_int_equal(run(&f, &TCP4("198.51.100.1", "10.0.0.2", 22, 40000, SYNACK, 1)), 1);
	assert_int_equal(run(&f, &TCP4("10.0.0.2", "198.51.100.1", 40000, 22, ACK, 0)), 1);
	assert_int_equal(run(&f, &TCP4("10.0.0.2", "198.51.100.1", 40001, 22, SYN, 0)), 0);
	fx_down(&f);
}

static void
test_ctl_stats_and_xdp(void **state)
{
	struct fx f;
	json_t *res = NULL, *st = json_object(), *x;
	char err[128];

	(void)state;
	memset(&f, 0, sizeof(f));
	fx_up(&f, "default: allow\nrules:\n"
		  "  - {name: ok1, action: allow, src: 198.18.1.0/24}\n"
		  "  - {name: big, action: drop, src: 198.18.0.0/15, count: true}\n"
		  "  - {name: lan-only, action: drop, src: 203.0.113.0/24, in-port: lan}\n"
		  "  - {name: udp, action: drop, src: 192.0.2.0/24, proto: udp}\n"
		  "  - {name: v6, action: drop, src: '2001:db8::/32'}\n");
	assert_int_equal(run(&f, &TCP4("198.18.7.1", "10.0.0.1", 1, 2, SYN, 0)), 0);
	assert_int_equal(f.vnf.cls->ctl(&f.vnf, "rules", NULL, &res, err, sizeof(err)), 0);
	x = json_object_get(res, "rules");
	assert_int_equal(json_array_size(x), 6); /* 5 rules + default */
	assert_string_equal(json_string_value(json_object_get(json_array_get(x, 1), "name")),
			    "big");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(x, 1), "hits")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(x, 1), "bytes")),
			 14 + 20 + 20);
	json_decref(res);
	assert_int_not_equal(f.vnf.cls->ctl(&f.vnf, "nope", NULL, &res, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "unknown command"));
	f.vnf.cls->stats(&f.vnf, st);
	/* stats list the rules flagged count, and the default */
	assert_int_equal(json_array_size(json_object_get(st, "rules")), 2);
	json_decref(st);

	/* an af_xdp port whose interface does not exist: said why, no pre-filter;
	 * of the drop rules only lan-only (in-port lan is the xdp port) and v6
	 * are safe in the kernel: ok1 shadows big, udp has a proto */
	struct fw_state *fw = f.vnf.priv;
	f.cfg->ports[0].driver = NFV_PORT_AF_XDP;
	snprintf(f.cfg->ports[0].iface, sizeof(f.cfg->ports[0].iface), "fwnoif0");
	snprintf(f.cfg->ports[0].xdp_prog, sizeof(f.cfg->ports[0].xdp_prog), "fw_xdp.o");
	fw_xdp_free(fw); /* ports are read when the pre-filter state is made */
	assert_int_equal(fw_xdp_sync(fw, f.cfg, f.conf), 0);
	st = json_object();
	f.vnf.cls->stats(&f.vnf, st);
	x = json_object_get(json_object_get(st, "xdp"), "lan");
	assert_non_null(x);
	assert_false(json_boolean_value(json_object_get(x, "attached")));
	assert_non_null(strstr(json_string_value(json_object_get(x, "why")), "fwnoif0"));
	assert_int_equal(json_integer_value(json_object_get(st, "xdp_deny_rules")), 2);
	json_decref(st);
	fx_down(&f);
}

static void
test_log_rules(void **state)
{
	struct fx f;
	struct rte_mbuf *m = NULL;
	unsigned int avail = 0;

	(void)state;
	fx_up(&f, "default: allow\nrules:\n"
		  "  - {name: seen, action: allow, proto: udp, dport: 53, log: true}\n"
		  "  - {name: gone, action: drop, proto: udp, dport: 54, log: true}\n");
	avail = rte_mempool_avail_count(nfv_fake.pool);
	/* allowed and logged: the packet continues, a copy goes to control */
	assert_int_equal(run(&f, &UDP4("1.1.1.1", "2.2.2.2", 9, 53, 0)), 1);
	assert_int_equal(rte_ring_count(T.punt), 1);
	assert_int_equal(ctr(&f, FW_CTR_LOGGED), 1);
	/* dropped and logged */
	assert_int_equal(run(&f, &UDP4("1.1.1.1", "2.2.2.2", 9, 54, 0)), 0);
	assert_int_equal(rte_ring_count(T.punt), 2);
	assert_int_equal(drops(&f, FW_DROP_RULE), 1);
	while (rte_ring_dequeue(T.punt, (void **)&m) == 0) {
		assert_int_equal(nfv_meta(m)->nh >> 24, FW_PUNT_LOG_COPY);
		f.vnf.cls->punt(&f.vnf, m);
	}
	assert_int_equal(nfv_fake.n_sent, 0);
	/* every mbuf came back to the pool */
	assert_int_equal(rte_mempool_avail_count(nfv_fake.pool), avail);
	fx_down(&f);
}

static void
expect_error(const char *yaml, const char *needle)
{
	struct nfv_config *cfg = fake_cfg();
	struct fw_conf *c = NULL;
	char err[512];

	assert_int_not_equal(parse(cfg, yaml, &c, err, sizeof(err)), 0);
	if (strstr(err, needle) == NULL)
		fail_msg("error '%s' lacks '%s'", err, needle);
	free(cfg);
}

static void
test_bad_config(void **state)
{
	char yaml[512], longp[301];

	(void)state;
	expect_error("rules:\n  - {action: allow, colour: red}\n", "fw.yaml:2:");
	expect_error("rules:\n  - {action: allow, colour: red}\n", "colour");
	expect_error("rules:\n  - {action: allow, proto: tcp, dport: 2000-1000}\n", "dport");
	expect_error("rules:\n  - {action: allow, src: 10.0.0.1/8}\n", "src");
	expect_error("rules:\n  - {action: allow, filter: 'tcp port ninety'}\n",
		     "pcap-filter does not compile");
	expect_error("rules:\n  - {action: allow, filter: 'tcp port ninety'}\n", "fw.yaml:2:");
	expect_error("rules:\n  - {action: allow, dport: 80}\n", "needs proto");
	expect_error("rules:\n  - {action: drop, stateful: true}\n", "allow rules only");
	expect_error("rules:\n  - {action: allow, in-port: nowhere}\n", "in-port");
	expect_error("rules:\n  - {action: allow, src: 10.0.0.0/8, dst: '2001:db8::/32'}\n",
		     "family");
	expect_error("default: maybe\n", "default");
	expect_error("rules:\n  - {name: web, action: allow}\n  - {name: web, action: drop}\n",
		     "fw.yaml:3:");
	expect_error("rules:\n  - {name: web, action: allow}\n  - {name: web, action: drop}\n",
		     "rule name 'web' used twice (first at line 2)");
	snprintf(yaml, sizeof(yaml), "rules:\n  - {action: drop, bpf: {file: '%s'}}\n",
		 T.ebpf_maps);
	expect_error(yaml, "map");
	expect_error("rules:\n  - {action: drop, bpf: {file: /nonexistent.o}}\n",
		     "cannot load eBPF object");
	snprintf(yaml, sizeof(yaml),
		 "rules:\n  - {action: drop, bpf: {file: '%s', section: nosuch}}\n", T.ebpf_ok);
	expect_error(yaml, "no program in section nosuch");
	/* a path too long is refused at its position, never cut */
	memset(longp, 'f', 300);
	longp[300] = '\0';
	snprintf(yaml, sizeof(yaml), "rules:\n  - {action: drop, bpf: {file: %s}}\n", longp);
	expect_error(yaml, "fw.yaml:2:");
	expect_error(yaml, "file: path of ");
}

int
main(int argc, char **argv)
{
	char *eal[] = {"test_fw",
		       "--no-huge",
		       "-m",
		       "256",
		       "--no-pci",
		       "--no-shconf",
		       "--log-level=lib.eal:error",
		       "-l",
		       "0"};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_order_default),
		cmocka_unit_test(test_ranges_ports_vlan),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_reject),
		cmocka_unit_test(test_reject_never_broadcast),
		cmocka_unit_test(test_conntrack_tcp),
		cmocka_unit_test(test_conntrack_tcp_invalid),
		cmocka_unit_test(test_conntrack_udp_icmp_timeouts),
		cmocka_unit_test(test_conntrack_related),
		cmocka_unit_test(test_conntrack_related_exthdr),
		cmocka_unit_test(test_conntrack_full),
		cmocka_unit_test(test_pcap_filter_rule),
		cmocka_unit_test(test_ebpf_rule),
		cmocka_unit_test(test_sanity_drops),
		cmocka_unit_test(test_reconfigure_keeps_conns),
		cmocka_unit_test(test_ctl_stats_and_xdp),
		cmocka_unit_test(test_log_rules),
		cmocka_unit_test(test_bad_config),
	};
	size_t sz;

	if (argc < 3) {
		fprintf(stderr, "usage: %s fw_example.o fw_xdp.o\n", argv[0]);
		return 2;
	}
	T.ebpf_ok = argv[1];
	T.ebpf_maps = argv[2];
	if (test_eal_init(RTE_DIM(eal), eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	if (nfv_meta_register() < 0)
		return 1;
	nfv_fake.pool = rte_pktmbuf_pool_create("fwtest", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
						SOCKET_ID_ANY);
	T.punt = rte_ring_create("fwpunt", 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	sz = rte_rcu_qsbr_get_memsize(1);
	nfv_fake.rcu = rte_zmalloc(NULL, sz, RTE_CACHE_LINE_SIZE);
	if (nfv_fake.pool == NULL || T.punt == NULL || nfv_fake.rcu == NULL ||
	    rte_rcu_qsbr_init(nfv_fake.rcu, 1) != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
