/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd firewall VNF - NAT44 unit tests on crafted mbufs (docs/nat.md):
 * SNAT of TCP, UDP and ICMP echo with valid checksums, endpoint-independent
 * mapping, filtering behaviours, port preservation and parity, pooled
 * address pairing, port forwards, 1:1, hairpinning, ICMP error (RFC 5508)
 * inner translation, timeouts, port exhaustion and reuse, CGN port blocks,
 * per-subscriber limits and the log, fragments, live apply, incremental
 * checksums against a full recompute on random packets, bad config.
 *
 * Ports of the fake chain file: lan (0, inside), wan (1, outside), dmz (2).
 * The engine services (dataplane/nfv.h) are nfv_fake's.
 */
#define ALLOW_EXPERIMENTAL_API 1
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_mbuf.h>

#include "fw_rt.h"
#include "nfv_fake.h"
#include "test_cfg.h"
#include "test_eal.h"

static struct rte_ring *T_punt;

struct fx {
	struct nfv_config *cfg;
	struct nfv_vnf vnf;
	struct nfv_worker *w;
	uint64_t chain_ctr[3];
	uint64_t eng_ctr[NFV_DROP_ENGINE_MAX];
	struct fw_conf *conf;
	struct fw_state *fw;
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
	f->w->punt = T_punt;
	f->w->chain_ctr = f->chain_ctr;
	f->w->eng_ctr = f->eng_ctr;
	f->w->now_tsc = rte_rdtsc();
	if (cls->create(&f->vnf, f->cfg, f->conf, err, sizeof(err)) != 0)
		fail_msg("create: %s", err);
	f->vnf.conf = f->conf;
	f->fw = f->vnf.priv;
}

static void
fx_down(struct fx *f)
{
	struct rte_mbuf *m;

	while (rte_ring_dequeue(T_punt, (void **)&m) == 0)
		rte_pktmbuf_free(m);
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

/* the control thread's periodic work, now: expiry and the NAT sweep */
static void
fx_sweep(struct fx *f)
{
	fw_ct_expire(&f->fw->ct, f->fw->rs, f->w->now_tsc, f->fw->ct.n_slots);
	/* a tick sweeps a slice: two whole passes (sessions gone, then their
	 * mappings) */
	for (uint32_t i = 0; i < 2 * (f->fw->nat->n_slots / 1024 + 2); i++)
		fw_nat_tick(f->fw, f->fw->rs, f->w->now_tsc);
}

/* ---- IPv4 packets with valid checksums ---- */
struct np {
	const char *src, *dst;
	uint8_t proto;
	uint16_t sport, dport; /* ICMP echo: sport = identifier */
	uint8_t flags;	       /* TCP */
	uint8_t icmp_type;     /* ICMP: 8 request (default), 0 reply */
	uint16_t in_port;
	uint16_t payload;
	uint16_t frag; /* fragment offset field, host order */
	uint16_t ipid;
	uint8_t ttl; /* 0: 64 */
};

#define L3 14
static struct rte_mbuf *
mk(const struct np *p)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(nfv_fake.pool);
	uint16_t l4len = (p->proto == IPPROTO_TCP ? 20 : 8) + p->payload;
	uint8_t *d, *l4;
	struct rte_ipv4_hdr *ip;

	assert_non_null(m);
	d = (uint8_t *)rte_pktmbuf_append(m, L3 + 20 + l4len);
	assert_non_null(d);
	memset(d, 0, L3 + 20 + l4len);
	d[0] = 0x02;
	d[5] = 1;
	d[6] = 0x02;
	d[11] = 2;
	d[12] = 0x08;
	ip = (struct rte_ipv4_hdr *)(d + L3);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(20 + l4len);
	ip->packet_id = rte_cpu_to_be_16(p->ipid);
	ip->time_to_live = p->ttl ? p->ttl : 64;
	ip->next_proto_id = p->proto;
	ip->fragment_offset = rte_cpu_to_be_16(p->frag);
	inet_pton(AF_INET, p->src, &ip->src_addr);
	inet_pton(AF_INET, p->dst, &ip->dst_addr);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	l4 = (uint8_t *)(ip + 1);
	for (uint16_t i = 0; i < p->payload; i++)
		l4[l4len - p->payload + i] = (uint8_t)(i * 7 + p->sport);
	if (p->proto == IPPROTO_ICMP) {
		uint16_t cs;

		l4[0] = p->icmp_type ? p->icmp_type : 8;
		if (p->icmp_type == 255)
			l4[0] = 0;
		l4[4] = p->sport >> 8;
		l4[5] = p->sport & 0xff;
		cs = (uint16_t)~rte_raw_cksum(l4, l4len);
		memcpy(l4 + 2, &cs, 2);
	} else {
		l4[0] = p->sport >> 8;
		l4[1] = p->sport & 0xff;
		l4[2] = p->dport >> 8;
		l4[3] = p->dport & 0xff;
		if (p->proto == IPPROTO_TCP) {
			l4[4] = 0x11;
			l4[12] = 5 << 4;
			l4[13] = p->flags;
			l4[14] = 0xff;
			uint16_t cs = rte_ipv4_udptcp_cksum(ip, l4);
			memcpy(l4 + 16, &cs, 2);
		} else {
			l4[4] = l4len >> 8;
			l4[5] = l4len & 0xff;
			uint16_t cs = rte_ipv4_udptcp_cksum(ip, l4);
			memcpy(l4 + 6, &cs, 2);
		}
	}
	nfv_meta(m)->in_port = p->in_port;
	nfv_meta(m)->out_port = 0;
	return m;
}

#define UDP(s, sp, d, dp, port)                                                               \
	(&(struct np){.src = s, .dst = d, .proto = IPPROTO_UDP, .sport = sp, .dport = dp,     \
		      .in_port = port, .payload = 11})
#define TCP(s, sp, d, dp, fl, port)                                                           \
	(&(struct np){.src = s, .dst = d, .proto = IPPROTO_TCP, .sport = sp, .dport = dp,     \
		      .flags = fl, .in_port = port, .payload = 5})
#define PING(s, d, id, type, port)                                                            \
	(&(struct np){.src = s, .dst = d, .proto = IPPROTO_ICMP, .sport = id, .icmp_type = type, \
		      .in_port = port, .payload = 16})
#define SYN 0x02
#define ACK 0x10
#define SYNACK 0x12
#define PONG 255 /* echo reply (type 0) */

/* Run m through the firewall: m when it continues (caller frees), NULL. */
static struct rte_mbuf *
run(struct fx *f, struct rte_mbuf *m)
{
	uint16_t n = f->vnf.cls->process(&f->vnf, f->w, &m, 1);

	nfv_drop_flush(f->w);
	return n == 1 ? m : NULL;
}

/* every checksum of an IPv4 packet verifies (a full recompute) */
static void
assert_csums(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, L3);
	uint8_t *l4 = (uint8_t *)(ip + 1);
	uint16_t l4len = rte_be_to_cpu_16(ip->total_length) - 20;

	assert_int_equal(rte_raw_cksum(ip, 20), 0xffff);
	if (ip->next_proto_id == IPPROTO_ICMP)
		assert_int_equal(rte_raw_cksum(l4, l4len), 0xffff);
	else
		assert_int_equal(rte_ipv4_udptcp_cksum_verify(ip, l4), 0);
}

struct seen {
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
	uint16_t sport, dport;
};

static struct seen
seen(struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, L3);
	uint8_t *l4 = (uint8_t *)(ip + 1);
	struct seen s;

	inet_ntop(AF_INET, &ip->src_addr, s.src, sizeof(s.src));
	inet_ntop(AF_INET, &ip->dst_addr, s.dst, sizeof(s.dst));
	if (ip->next_proto_id == IPPROTO_ICMP) {
		s.sport = s.dport = (uint16_t)(l4[4] << 8 | l4[5]);
	} else {
		s.sport = (uint16_t)(l4[0] << 8 | l4[1]);
		s.dport = (uint16_t)(l4[2] << 8 | l4[3]);
	}
	return s;
}

/* Run p; it must pass, come out as src:sport -> dst:dport with good
 * checksums. Returns the translated source port. */
static uint16_t
expect(struct fx *f, const struct np *p, const char *src, int sport, const char *dst, int dport)
{
	struct rte_mbuf *m = run(f, mk(p));
	struct seen s;

	if (m == NULL)
		fail_msg("%s:%u -> %s:%u dropped", p->src, p->sport, p->dst, p->dport);
	s = seen(m);
	assert_csums(m);
	rte_pktmbuf_free(m);
	if (strcmp(s.src, src) != 0 || strcmp(s.dst, dst) != 0 ||
	    (sport >= 0 && s.sport != sport) || (dport >= 0 && s.dport != dport))
		fail_msg("%s:%u -> %s:%u came out as %s:%u -> %s:%u, expected %s:%d -> %s:%d",
			 p->src, p->sport, p->dst, p->dport, s.src, s.sport, s.dst, s.dport, src,
			 sport, dst, dport);
	return s.sport;
}

static void
expect_drop(struct fx *f, const struct np *p)
{
	struct rte_mbuf *m = run(f, mk(p));

	if (m != NULL) {
		struct seen s = seen(m);

		rte_pktmbuf_free(m);
		fail_msg("%s:%u -> %s:%u passed as %s:%u -> %s:%u", p->src, p->sport, p->dst,
			 p->dport, s.src, s.sport, s.dst, s.dport);
	}
}

#define MASQ                                                                                  \
	"default: drop\n"                                                                     \
	"rules:\n  - {action: allow, in-port: lan}\n"                                         \
	"nat:\n  snat:\n    - {name: masq, from: [10.0.0.0/24], outside-port: wan, "         \
	"masquerade: 203.0.113.1}\n"

/* ---- tests ---- */

/* UDP, TCP and ICMP echo out and back; the port is kept when free */
static void
test_snat_basic(void **state)
{
	struct fx f;

	(void)state;
	fx_up(&f, MASQ);
	expect(&f, UDP("10.0.0.2", 5000, "8.8.8.8", 53, 0), "203.0.113.1", 5000, "8.8.8.8", 53);
	expect(&f, UDP("8.8.8.8", 53, "203.0.113.1", 5000, 1), "8.8.8.8", 53, "10.0.0.2", 5000);
	expect(&f, TCP("10.0.0.2", 40000, "192.0.2.80", 80, SYN, 0), "203.0.113.1", 40000,
	       "192.0.2.80", 80);
	expect(&f, TCP("192.0.2.80", 80, "203.0.113.1", 40000, SYNACK, 1), "192.0.2.80", 80,
	       "10.0.0.2", 40000);
	expect(&f, TCP("10.0.0.2", 40000, "192.0.2.80", 80, ACK, 0), "203.0.113.1", 40000,
	       "192.0.2.80", 80);
	expect(&f, PING("10.0.0.2", "8.8.4.4", 777, 8, 0), "203.0.113.1", 777, "8.8.4.4", 777);
	expect(&f, PING("8.8.4.4", "203.0.113.1", 777, PONG, 1), "8.8.4.4", 777, "10.0.0.2", 777);
	/* RFC 5508 REQ-1: the other queries too (timestamp 13/14, address
	 * mask 17/18), by identifier */
	expect(&f, PING("10.0.0.2", "8.8.4.4", 778, 13, 0), "203.0.113.1", 778, "8.8.4.4", 778);
	expect(&f, PING("8.8.4.4", "203.0.113.1", 778, 14, 1), "8.8.4.4", 778, "10.0.0.2", 778);
	expect(&f, PING("10.0.0.2", "8.8.4.4", 779, 17, 0), "203.0.113.1", 779, "8.8.4.4", 779);
	expect(&f, PING("8.8.4.4", "203.0.113.1", 779, 18, 1), "8.8.4.4", 779, "10.0.0.2", 779);
	assert_int_equal(ctr(&f, FW_CTR_NAT_MAP_NEW), 5);
	assert_int_equal(ctr(&f, FW_CTR_NAT_PRESERVED), 5);
	/* an unsolicited packet to the outside address meets the rules */
	expect_drop(&f, UDP("8.8.8.8", 53, "203.0.113.1", 5001, 1));
	/* TTL 1: left for the router's time exceeded to the inside host */
	struct np t1 = *UDP("10.0.0.2", 5002, "8.8.8.8", 33434, 0);
	t1.ttl = 1;
	expect(&f, &t1, "10.0.0.2", 5002, "8.8.8.8", 33434);
	t1.ttl = 2;
	expect(&f, &t1, "203.0.113.1", 5002, "8.8.8.8", 33434);
	/* traffic to the except prefixes (default: from) is not translated */
	expect(&f, UDP("10.0.0.2", 5000, "10.0.0.9", 53, 0), "10.0.0.2", 5000, "10.0.0.9", 53);
	fx_down(&f);
}

/* Several packets of one new flow in one burst (a UDP stream's start, a
 * burst behind a slow link): the first makes the session, the others are
 * its - all translated alike, none dropped as a race; from outside through
 * a port forward the same */
static void
test_new_flow_packets_in_one_burst(void **state)
{
	struct fx f;
	struct rte_mbuf *b[4];
	struct seen s;
	uint16_t n;

	(void)state;
	fx_up(&f, "default: drop\n"
		  "rules:\n  - {action: allow, in-port: lan}\n"
		  "  - {action: allow, in-port: wan, dst: 10.0.0.5/32, stateful: true}\n"
		  "nat:\n  snat:\n    - {name: masq, from: [10.0.0.0/24], outside-port: wan, "
		  "masquerade: 203.0.113.1}\n"
		  "  dnat:\n    - {outside-port: wan, proto: udp, address: 203.0.113.1, port: 53, "
		  "to: '10.0.0.5:5353'}\n");
	for (int i = 0; i < 4; i++)
		b[i] = mk(UDP("10.0.0.2", 6000, "8.8.8.8", 53, 0));
	n = f.vnf.cls->process(&f.vnf, f.w, b, 4);
	nfv_drop_flush(f.w);
	assert_int_equal(drops(&f, FW_DROP_NAT_RACE), 0);
	assert_int_equal(n, 4);
	for (int i = 0; i < 4; i++) {
		s = seen(b[i]);
		assert_csums(b[i]);
		assert_string_equal(s.src, "203.0.113.1");
		assert_int_equal(s.sport, 6000);
		rte_pktmbuf_free(b[i]);
	}
	assert_int_equal(ctr(&f, FW_CTR_NAT_SNAT_NEW), 1);
	assert_int_equal(f.fw->ct.count, 1);
	for (int i = 0; i < 3; i++)
		b[i] = mk(UDP("198.51.100.7", 7000, "203.0.113.1", 53, 1));
	n = f.vnf.cls->process(&f.vnf, f.w, b, 3);
	nfv_drop_flush(f.w);
	assert_int_equal(drops(&f, FW_DROP_NAT_RACE), 0);
	assert_int_equal(n, 3);
	for (int i = 0; i < 3; i++) {
		s = seen(b[i]);
		assert_csums(b[i]);
		assert_string_equal(s.dst, "10.0.0.5");
		assert_int_equal(s.dport, 5353);
		rte_pktmbuf_free(b[i]);
	}
	assert_int_equal(ctr(&f, FW_CTR_NAT_DNAT_NEW), 1);
	assert_int_equal(f.fw->ct.count, 2);
	/* and the session's mapping holds one reference */
	fx_sweep(&f);
	assert_int_equal(f.fw->nat->count, 1);
	fx_down(&f);
}

/* ---- two workers at once (docs/nat.md "Workers") ---- */
#define TW_HOSTS 4   /* inside hosts per worker */
#define TW_PORTS 256 /* source ports per host: the same on both workers */
#define TW_FLOWS (TW_HOSTS * TW_PORTS)

struct tw {
	struct fx *f;
	struct nfv_worker *w;
	int id;		 /* 0 or 1: its hosts 10.0.0.(2 + 4 id ..) */
	int phase;	 /* 1: first packets out; 2: the other worker's replies */
	uint16_t ext[TW_FLOWS]; /* phase 1: each flow's translated port, 0 dropped */
	const uint16_t *peer_ext; /* phase 2: the other worker's ports */
	uint32_t bad;	 /* packets not as expected */
	char why[160];
};

static volatile int tw_go;

static void
tw_flow(int id, int k, char *host, size_t len, uint16_t *sport)
{
	snprintf(host, len, "10.0.0.%u", (unsigned int)(2 + id * TW_HOSTS + k / TW_PORTS) & 0xff);
	*sport = (uint16_t)(20000 + k % TW_PORTS);
}

static int
tw_main(void *arg)
{
	struct tw *t = arg;
	struct rte_mbuf *b[32];
	char host[INET_ADDRSTRLEN], exp[INET_ADDRSTRLEN];

	__atomic_fetch_add(&tw_go, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&tw_go, __ATOMIC_ACQUIRE) < 2)
		rte_pause();
	for (int base = 0; base < TW_FLOWS; base += 32) {
		uint16_t sport, n;

		for (int k = 0; k < 32; k++) {
			if (t->phase == 1) {
				tw_flow(t->id, base + k, host, sizeof(host), &sport);
				b[k] = mk(UDP(host, sport, "8.8.8.8", 53, 0));
			} else {
				b[k] = mk(UDP("8.8.8.8", 53, "203.0.113.1", t->peer_ext[base + k], 1));
			}
		}
		t->w->now_tsc = rte_rdtsc();
		n = t->f->vnf.cls->process(&t->f->vnf, t->w, b, 32);
		nfv_drop_flush(t->w);
		if (n != 32) {
			t->bad += 32 - n;
			snprintf(t->why, sizeof(t->why), "worker %d phase %d: %u of 32 dropped",
				 t->id, t->phase, 32 - n);
		}
		for (int k = 0; k < n; k++) {
			struct seen sn = seen(b[k]);

			if (t->phase == 1) {
				/* which flow: the source port is kept or not, so
				 * by order (process() keeps the order) */
				if (strcmp(sn.src, "203.0.113.1") != 0 || sn.dport != 53) {
					t->bad++;
					snprintf(t->why, sizeof(t->why), "out as %s:%u", sn.src,
						 sn.sport);
				}
				if (n == 32)
					t->ext[base + k] = sn.sport;
			} else {
				/* the other worker's flow base + k */
				tw_flow(1 - t->id, base + k, exp, sizeof(exp), &sport);
				if (n == 32 && (strcmp(sn.dst, exp) != 0 || sn.dport != sport)) {
					t->bad++;
					snprintf(t->why, sizeof(t->why),
						 "reply to port %u came out to %s:%u, not %s:%u",
						 t->peer_ext[base + k], sn.dst, sn.dport, exp, sport);
				}
			}
			rte_pktmbuf_free(b[k]);
		}
	}
	return 0;
}

/* Two workers translate at once on the one table (lock-free): inside
 * hosts on each worker use the same source ports, so both want the same
 * external ports at the same time; every flow gets a mapping of its own
 * (no external port twice), and each answer, processed by the OTHER worker
 * (RSS does not keep a flow's two directions on one queue), finds its
 * session and reaches the right inside endpoint. */
static void
test_two_workers(void **state)
{
	static struct tw t[2];
	struct fx f;
	static uint8_t used[65536];

	(void)state;
	if (rte_lcore_count() < 2)
		fail_msg("EAL has %u lcores; the test needs 2", rte_lcore_count());
	fx_up(&f, "default: drop\nconntrack: {max: 8192}\n"
		  "rules:\n  - {action: allow, in-port: lan}\n"
		  "nat:\n  snat:\n    - {name: masq, from: [10.0.0.0/24], outside-port: wan, "
		  "masquerade: 203.0.113.1}\n");
	for (int phase = 1; phase <= 2; phase++) {
		unsigned int lc = rte_get_next_lcore(-1, 1, 0);

		tw_go = 0;
		for (int i = 0; i < 2; i++) {
			if (phase == 1) {
				memset(&t[i], 0, sizeof(t[i]));
				t[i].f = &f;
				t[i].id = i;
				t[i].w = rte_zmalloc(NULL, sizeof(*t[i].w), 64);
				assert_non_null(t[i].w);
				*t[i].w = *f.w;
				t[i].w->lcore = i == 0 ? rte_lcore_id() : lc;
			}
			t[i].phase = phase;
			t[i].peer_ext = t[1 - i].ext;
		}
		assert_int_equal(rte_eal_remote_launch(tw_main, &t[1], lc), 0);
		tw_main(&t[0]);
		rte_eal_wait_lcore(lc);
		for (int i = 0; i < 2; i++)
			if (t[i].bad)
				fail_msg("%u packets wrong: %s", t[i].bad, t[i].why);
		if (phase == 1) {
			/* one mapping per flow, no external port twice */
			memset(used, 0, sizeof(used));
			for (int i = 0; i < 2; i++)
				for (int k = 0; k < TW_FLOWS; k++) {
					uint16_t e = t[i].ext[k];

					if (e == 0 || used[e])
						fail_msg("flow %d of worker %d: external port %u %s", k,
							 i, e, e ? "given twice" : "none");
					used[e] = 1;
				}
			assert_int_equal(f.fw->nat->count, 2 * TW_FLOWS);
			assert_int_equal(f.fw->ct.count, 2 * TW_FLOWS);
		}
	}
	for (int i = 0; i < 2; i++) {
		rte_free(t[i].w);
		t[i].w = NULL;
	}
	fx_down(&f);
}

/* RFC 4787 REQ-1: one mapping per inside endpoint for all destinations;
 * another inside host with the same port gets another port of the same
 * parity; filtering per config */
static void
test_eim_and_filtering(void **state)
{
	struct fx f;
	uint16_t p1, p2;

	(void)state;
	fx_up(&f, MASQ);
	p1 = expect(&f, UDP("10.0.0.2", 6000, "198.51.100.7", 3478, 0), "203.0.113.1", 6000,
		    "198.51.100.7", 3478);
	assert_int_equal(expect(&f, UDP("10.0.0.2", 6000, "198.51.100.8", 9999, 0),
				"203.0.113.1", -1, "198.51.100.8", 9999),
			 p1);
	p2 = expect(&f, UDP("10.0.0.3", 6000, "198.51.100.7", 3478, 0), "203.0.113.1", -1,
		    "198.51.100.7", 3478);
	assert_int_not_equal(p1, p2);
	assert_int_equal(p2 & 1, 6000 & 1);
	assert_true(p2 >= 1024);
	/* address-and-port-dependent (default): another port of a known
	 * remote does not get in */
	expect_drop(&f, UDP("198.51.100.7", 3479, "203.0.113.1", p1, 1));
	assert_int_equal(ctr(&f, FW_CTR_NAT_FILTERED), 1);
	fx_down(&f);

	fx_up(&f, "default: drop\nnat:\n  filtering: endpoint-independent\n  snat:\n"
		  "    - {from: [10.0.0.0/24], outside-port: wan, masquerade: 203.0.113.1}\n"
		  "rules:\n  - {action: allow, in-port: lan}\n");
	p1 = expect(&f, UDP("10.0.0.2", 6000, "198.51.100.7", 3478, 0), "203.0.113.1", 6000,
		    "198.51.100.7", 3478);
	/* any remote reaches the mapping, translated to the inside endpoint */
	expect(&f, UDP("192.0.2.200", 777, "203.0.113.1", p1, 1), "192.0.2.200", 777, "10.0.0.2",
	       6000);
	assert_int_equal(ctr(&f, FW_CTR_NAT_INBOUND), 1);
	/* ... and the inside's answer goes out from the same mapping */
	expect(&f, UDP("10.0.0.2", 6000, "192.0.2.200", 777, 0), "203.0.113.1", p1, "192.0.2.200",
	       777);
	fx_down(&f);

	fx_up(&f, "default: drop\nnat:\n  filtering: address-dependent\n  snat:\n"
		  "    - {from: [10.0.0.0/24], outside-port: wan, masquerade: 203.0.113.1}\n"
		  "rules:\n  - {action: allow, in-port: lan}\n");
	p1 = expect(&f, UDP("10.0.0.2", 6000, "198.51.100.7", 3478, 0), "203.0.113.1", 6000,
		    "198.51.100.7", 3478);
	expect(&f, UDP("198.51.100.7", 4000, "203.0.113.1", p1, 1), "198.51.100.7", 4000,
	       "10.0.0.2", 6000);
	expect_drop(&f, UDP("198.51.100.99", 3478, "203.0.113.1", p1, 1));
	assert_int_equal(ctr(&f, FW_CTR_NAT_FILTERED), 1);
	fx_down(&f);
}


/* An ICMP error quoting packet q (its IP header and first 8 L4 bytes)
 * from `from` to `to`, type/code. */
static struct rte_mbuf *
mk_err(const char *from, const char *to, uint8_t type, uint8_t code, struct rte_mbuf *q,
       uint16_t in_port)
{
	struct np o = {.src = from, .dst = to, .proto = IPPROTO_ICMP, .icmp_type = type,
		       .in_port = in_port, .payload = 28};
	struct rte_mbuf *m = mk(&o);
	uint8_t *icmp = rte_pktmbuf_mtod_offset(m, uint8_t *, L3 + 20);
	uint16_t cs;

	icmp[0] = type;
	icmp[1] = code;
	memset(icmp + 4, 0, 4);
	memcpy(icmp + 8, rte_pktmbuf_mtod_offset(q, uint8_t *, L3), 28);
	icmp[2] = icmp[3] = 0;
	cs = (uint16_t)~rte_raw_cksum(icmp, 36);
	memcpy(icmp + 2, &cs, 2);
	return m;
}

/* RFC 5508: errors about a translated flow come back translated, the quoted
 * packet exactly as the inside host sent it, every checksum right */
static void
test_icmp_errors(void **state)
{
	static const struct {
		uint8_t proto;
		uint8_t type, code;
	} cases[] = {
		{IPPROTO_UDP, 3, 3},  /* port unreachable from the remote host */
		{IPPROTO_TCP, 11, 0}, /* time exceeded from a router on the path */
		{IPPROTO_ICMP, 3, 1}, /* host unreachable about an echo request */
	};
	struct fx f;

	(void)state;
	fx_up(&f, MASQ);
	for (size_t i = 0; i < RTE_DIM(cases); i++) {
		struct np out = {.src = "10.0.0.2", .dst = "8.8.8.8", .proto = cases[i].proto,
				 .sport = (uint16_t)(7000 + i), .dport = 53, .flags = SYN,
				 .payload = 4};
		struct rte_mbuf *sent = mk(&out), *orig = mk(&out), *err, *m;
		const char *from = cases[i].type == 11 ? "192.0.2.1" : "8.8.8.8";
		uint8_t *icmp;

		sent = run(&f, sent);
		assert_non_null(sent);
		err = mk_err(from, "203.0.113.1", cases[i].type, cases[i].code, sent, 1);
		rte_pktmbuf_free(sent);
		m = run(&f, err);
		assert_non_null(m);
		assert_csums(m);
		assert_string_equal(seen(m).dst, "10.0.0.2");
		assert_string_equal(seen(m).src, from);
		icmp = rte_pktmbuf_mtod_offset(m, uint8_t *, L3 + 20);
		/* the quote is the original packet's first 28 bytes */
		assert_memory_equal(icmp + 8, rte_pktmbuf_mtod_offset(orig, uint8_t *, L3), 28);
		rte_pktmbuf_free(m);
		rte_pktmbuf_free(orig);
	}
	assert_int_equal(ctr(&f, FW_CTR_NAT_ICMP_ERR), RTE_DIM(cases));
	/* RFC 5508: an error whose ICMP checksum fails is dropped, not
	 * translated (and so made to look whole) */
	{
		struct np out = {.src = "10.0.0.2", .dst = "8.8.8.8", .proto = IPPROTO_UDP,
				 .sport = 7100, .dport = 53, .payload = 4};
		struct rte_mbuf *sent = run(&f, mk(&out)), *err;
		uint8_t *icmp;

		assert_non_null(sent);
		err = mk_err("8.8.8.8", "203.0.113.1", 3, 3, sent, 1);
		rte_pktmbuf_free(sent);
		icmp = rte_pktmbuf_mtod_offset(err, uint8_t *, L3 + 20);
		icmp[2] ^= 0x5a;
		assert_null(run(&f, err));
		assert_int_equal(drops(&f, FW_DROP_NAT_ICMP_CHECKSUM), 1);
		assert_int_equal(ctr(&f, FW_CTR_NAT_ICMP_ERR), RTE_DIM(cases));
	}
	/* RFC 5508 REQ-4: an error from the inside about no translated
	 * session is dropped, never sent out with the private source */
	{
		struct np in = {.src = "8.8.8.8", .dst = "10.0.0.2", .proto = IPPROTO_UDP,
				.sport = 53, .dport = 7777, .payload = 4};
		struct rte_mbuf *q = mk(&in), *err;

		err = mk_err("10.0.0.2", "8.8.8.8", 3, 3, q, 0);
		rte_pktmbuf_free(q);
		assert_null(run(&f, err));
		assert_int_equal(drops(&f, FW_DROP_NAT_UNSUPPORTED), 1);
	}
	fx_down(&f);
}

/* The first 32 bytes of IPv4 packet m as if it had carried 4 bytes of
 * options (NOP NOP NOP EOL; IHL 6, header checksum over 24 bytes): its
 * header, the options, its first 8 L4 bytes. */
static void
with_options(struct rte_mbuf *m, uint8_t out[32])
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, L3);
	uint16_t tot = (uint16_t)((ip[2] << 8 | ip[3]) + 4), cs;

	memcpy(out, ip, 20);
	out[0] = 0x46;
	out[2] = (uint8_t)(tot >> 8);
	out[3] = (uint8_t)tot;
	out[20] = out[21] = out[22] = 1;
	out[23] = 0;
	memcpy(out + 24, ip + 20, 8);
	out[10] = out[11] = 0;
	cs = (uint16_t)~rte_raw_cksum(out, 24);
	memcpy(out + 10, &cs, 2);
}

/* RFC 5508 with a quoted IPv4 header that has options: the quote's ports
 * are found behind them and the quote is translated back whole (header
 * checksum over its 24 bytes) */
static void
test_icmp_error_quote_with_options(void **state)
{
	struct fx f;
	struct np out = {.src = "10.0.0.2", .dst = "8.8.8.8", .proto = IPPROTO_UDP,
			 .sport = 7100, .dport = 53, .payload = 4};
	struct rte_mbuf *sent, *orig = mk(&out), *err, *m;
	uint8_t qs[32], qo[32], *icmp;
	uint16_t cs;

	(void)state;
	fx_up(&f, MASQ);
	sent = run(&f, mk(&out));
	assert_non_null(sent);
	with_options(sent, qs);
	with_options(orig, qo);
	rte_pktmbuf_free(sent);
	rte_pktmbuf_free(orig);
	/* port unreachable from the remote host, quoting 32 bytes */
	err = mk_err("8.8.8.8", "203.0.113.1", 3, 3, orig = mk(&out), 1);
	rte_pktmbuf_free(orig);
	rte_pktmbuf_append(err, 4);
	icmp = rte_pktmbuf_mtod_offset(err, uint8_t *, L3 + 20);
	memcpy(icmp + 8, qs, 32);
	icmp[2] = icmp[3] = 0;
	cs = (uint16_t)~rte_raw_cksum(icmp, 40);
	memcpy(icmp + 2, &cs, 2);
	{
		struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(err, struct rte_ipv4_hdr *, L3);

		ip->total_length = rte_cpu_to_be_16(20 + 40);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	m = run(&f, err);
	assert_non_null(m);
	assert_csums(m);
	assert_string_equal(seen(m).dst, "10.0.0.2");
	icmp = rte_pktmbuf_mtod_offset(m, uint8_t *, L3 + 20);
	assert_memory_equal(icmp + 8, qo, 32);
	assert_int_equal(ctr(&f, FW_CTR_NAT_ICMP_ERR), 1);
	rte_pktmbuf_free(m);
	fx_down(&f);
}

/* MASQ: 10.0.0.2:40000 opens a TCP connection to 192.0.2.80:80 (SYN,
 * SYN-ACK, ACK), translated to 203.0.113.1:40000 */
static void
masq_tcp_open(struct fx *f)
{
	expect(f, TCP("10.0.0.2", 40000, "192.0.2.80", 80, SYN, 0), "203.0.113.1", 40000,
	       "192.0.2.80", 80);
	expect(f, TCP("192.0.2.80", 80, "203.0.113.1", 40000, SYNACK, 1), "192.0.2.80", 80,
	       "10.0.0.2", 40000);
	expect(f, TCP("10.0.0.2", 40000, "192.0.2.80", 80, ACK, 0), "203.0.113.1", 40000,
	       "192.0.2.80", 80);
}

/* RFC 5382 REQ-5 / RFC 4787 REQ-5 defaults: established TCP idles 2 h 4
 * min, UDP 2 min, ICMP 1 min */
static void
test_timeouts(void **state)
{
	struct fx f;
	uint64_t hz = rte_get_tsc_hz();

	(void)state;
	fx_up(&f, MASQ);
	masq_tcp_open(&f);
	expect(&f, UDP("10.0.0.2", 5000, "8.8.8.8", 53, 0), "203.0.113.1", 5000, "8.8.8.8", 53);
	expect(&f, UDP("8.8.8.8", 53, "203.0.113.1", 5000, 1), "8.8.8.8", 53, "10.0.0.2", 5000);
	/* 119 s: both alive */
	f.w->now_tsc += 119 * hz;
	fx_sweep(&f);
	expect(&f, UDP("8.8.8.8", 53, "203.0.113.1", 5000, 1), "8.8.8.8", 53, "10.0.0.2", 5000);
	/* 2 h after: UDP gone, its mapping released; TCP idle 2 h still there */
	f.w->now_tsc += 7200 * hz;
	fx_sweep(&f);
	expect_drop(&f, UDP("8.8.8.8", 53, "203.0.113.1", 5000, 1));
	expect(&f, TCP("192.0.2.80", 80, "203.0.113.1", 40000, ACK, 1), "192.0.2.80", 80,
	       "10.0.0.2", 40000);
	assert_int_equal(f.fw->nat->count, 1);
	/* 2 h 5 min idle: gone */
	f.w->now_tsc += 7500 * hz;
	fx_sweep(&f);
	expect_drop(&f, TCP("192.0.2.80", 80, "203.0.113.1", 40000, ACK, 1));
	assert_int_equal(f.fw->nat->count, 0);
	assert_int_equal(f.fw->ct.count, 0);
	fx_down(&f);
}

/* RFC 7857 2.2: a session closed by a RST is held 4 minutes (delayed
 * segments still find it), then removed with its mapping */
static void
test_rst_holds_the_session_four_minutes(void **state)
{
	struct fx f;
	uint64_t hz = rte_get_tsc_hz();

	(void)state;
	fx_up(&f, MASQ);
	masq_tcp_open(&f);
	expect(&f, TCP("10.0.0.2", 40000, "192.0.2.80", 80, 0x04 | ACK, 0), "203.0.113.1", 40000,
	       "192.0.2.80", 80);
	f.w->now_tsc += 230 * hz;
	fx_sweep(&f);
	assert_int_equal(f.fw->nat->count, 1);
	f.w->now_tsc += 20 * hz;
	fx_sweep(&f);
	assert_int_equal(f.fw->nat->count, 0);
	assert_int_equal(f.fw->ct.count, 0);
	fx_down(&f);
}

/* A range of 2 ports: the third inside endpoint is dropped and counted; a
 * port comes back after its session times out */
static void
test_exhaustion_and_reuse(void **state)
{
	struct fx f;
	uint64_t hz = rte_get_tsc_hz();

	(void)state;
	fx_up(&f, "default: drop\nrules:\n  - {action: allow, in-port: lan}\n"
		  "conntrack: {timeouts: {udp: 10}}\n"
		  "nat:\n  snat:\n    - {from: [10.0.0.0/24], outside-port: wan, "
		  "masquerade: 203.0.113.1, ports: 2000-2001}\n");
	expect(&f, UDP("10.0.0.2", 2000, "8.8.8.8", 53, 0), "203.0.113.1", 2000, "8.8.8.8", 53);
	expect(&f, UDP("10.0.0.3", 2000, "8.8.8.8", 53, 0), "203.0.113.1", 2001, "8.8.8.8", 53);
	expect_drop(&f, UDP("10.0.0.4", 2000, "8.8.8.8", 53, 0));
	assert_int_equal(drops(&f, FW_DROP_NAT_EXHAUSTED), 1);
	/* TCP has its own ports */
	expect(&f, TCP("10.0.0.4", 2000, "8.8.8.8", 53, SYN, 0), "203.0.113.1", 2000, "8.8.8.8",
	       53);
	f.w->now_tsc += 11 * hz;
	fx_sweep(&f);
	expect(&f, UDP("10.0.0.4", 2000, "8.8.8.8", 53, 0), "203.0.113.1", 2000, "8.8.8.8", 53);
	fx_down(&f);
}

/* Port forward and 1:1 from outside, rules see the inside address;
 * hairpinning of a forward from the inside (RFC 5382 REQ-8) */
static void
test_dnat_static_hairpin(void **state)
{
	struct fx f;
	uint16_t p;

	(void)state;
	fx_up(&f, "default: drop\n"
		  "rules:\n  - {action: allow, in-port: lan}\n"
		  "  - {action: allow, in-port: wan, dst: 10.0.0.80, proto: tcp, dport: 80}\n"
		  "  - {action: allow, in-port: wan, dst: 10.0.0.3}\n"
		  "nat:\n  snat:\n    - {from: [10.0.0.0/24], outside-port: wan, "
		  "masquerade: 203.0.113.1}\n"
		  "  dnat:\n    - {name: web, outside-port: wan, proto: tcp, address: 203.0.113.1, "
		  "port: 8080, to: '10.0.0.80:80'}\n"
		  "  static:\n    - {outside-port: wan, external: 198.51.100.10, internal: 10.0.0.3}\n");
	expect(&f, TCP("192.0.2.9", 50000, "203.0.113.1", 8080, SYN, 1), "192.0.2.9", 50000,
	       "10.0.0.80", 80);
	expect(&f, TCP("10.0.0.80", 80, "192.0.2.9", 50000, SYNACK, 0), "203.0.113.1", 8080,
	       "192.0.2.9", 50000);
	/* not forwarded: dropped by the default */
	expect_drop(&f, TCP("192.0.2.9", 50001, "203.0.113.1", 8081, SYN, 1));
	/* 1:1 both ways, ports kept */
	expect(&f, UDP("192.0.2.9", 53, "198.51.100.10", 5353, 1), "192.0.2.9", 53, "10.0.0.3",
	       5353);
	expect(&f, UDP("10.0.0.3", 5353, "192.0.2.9", 53, 0), "198.51.100.10", 5353, "192.0.2.9",
	       53);
	expect(&f, UDP("10.0.0.3", 6000, "192.0.2.7", 53, 0), "198.51.100.10", 6000, "192.0.2.7",
	       53);
	/* hairpin: an inside host to the forward reaches the server from its
	 * own mapping, and the answer returns the same way */
	p = expect(&f, TCP("10.0.0.5", 33000, "203.0.113.1", 8080, SYN, 0), "203.0.113.1", -1,
		   "10.0.0.80", 80);
	expect(&f, TCP("10.0.0.80", 80, "203.0.113.1", p, SYNACK, 0), "203.0.113.1", 8080,
	       "10.0.0.5", 33000);
	assert_int_equal(ctr(&f, FW_CTR_NAT_HAIRPIN), 1);
	/* the forward's port is never a mapping's */
	assert_int_not_equal(expect(&f, TCP("10.0.0.6", 8080, "192.0.2.9", 80, SYN, 0),
				    "203.0.113.1", -1, "192.0.2.9", 80),
			     8080);
	fx_down(&f);
}

/* RFC 4787 REQ-2: an inside address keeps one external address of the
 * pool for all its mappings */
static void
test_pool_pairing(void **state)
{
	struct fx f;
	char ext[8][INET_ADDRSTRLEN];
	int distinct = 0;

	(void)state;
	fx_up(&f, "default: allow\n"
		  "nat:\n  snat:\n    - {from: [10.0.0.0/24], outside-port: wan, "
		  "pool: [198.51.100.1-198.51.100.3, 198.51.100.4]}\n");
	for (int h = 0; h < 8; h++) {
		char in[32];

		snprintf(in, sizeof(in), "10.0.0.%d", 10 + h);
		for (int k = 0; k < 4; k++) {
			struct rte_mbuf *m =
				run(&f, mk(TCP(in, (uint16_t)(30000 + k), "192.0.2.1",
					       (uint16_t)(80 + k), SYN, 0)));
			struct seen sn;

			assert_non_null(m);
			assert_csums(m);
			sn = seen(m);
			rte_pktmbuf_free(m);
			assert_true(strncmp(sn.src, "198.51.100.", 11) == 0);
			if (k == 0)
				strcpy(ext[h], sn.src);
			else
				assert_string_equal(sn.src, ext[h]);
		}
		/* and the same for another protocol */
		expect(&f, UDP(in, 999, "192.0.2.1", 53, 0), ext[h], -1, "192.0.2.1", 53);
	}
	for (int h = 0; h < 8; h++) {
		int k;

		for (k = 0; k < h && strcmp(ext[k], ext[h]) != 0; k++)
			;
		distinct += k == h;
	}
	assert_true(distinct >= 2);
	fx_down(&f);
}

static int
count_lines(const char *path, const char *needle)
{
	FILE *fp = fopen(path, "r");
	char line[512];
	int n = 0;

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		n += strstr(line, needle) != NULL;
	fclose(fp);
	return n;
}

/* RFC 6888: blocks of ports per subscriber, logged once per block; the
 * per-subscriber limit drops and counts */
static void
test_cgn_blocks(void **state)
{
	struct fx f;
	char log[] = "/tmp/nfvd-nat-test-XXXXXX", yaml[1024];
	uint64_t hz = rte_get_tsc_hz();
	int fd = mkstemp(log);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	snprintf(yaml, sizeof(yaml),
		 "default: allow\nconntrack: {timeouts: {udp: 5}}\n"
		 "nat:\n  snat:\n    - {name: cgn, from: [10.0.0.0/24], outside-port: wan, "
		 "pool: [198.51.100.1], ports: 1024-1039, port-block: 4, "
		 "max-per-subscriber: 6, log: '%s'}\n",
		 log);
	fx_up(&f, yaml);
	uint16_t ports[6];
	for (int k = 0; k < 6; k++)
		ports[k] = expect(&f, UDP("10.0.0.2", (uint16_t)(5000 + k), "192.0.2.1", 53, 0),
				  "198.51.100.1", -1, "192.0.2.1", 53);
	/* six ports in two blocks of four */
	uint32_t blocks = 0;
	for (int k = 0; k < 6; k++) {
		assert_true(ports[k] >= 1024 && ports[k] <= 1039);
		blocks |= 1u << ((ports[k] - 1024) / 4);
	}
	assert_int_equal(__builtin_popcount(blocks), 2);
	/* the seventh mapping: over the limit */
	expect_drop(&f, UDP("10.0.0.2", 5100, "192.0.2.1", 53, 0));
	assert_int_equal(drops(&f, FW_DROP_NAT_SUB_LIMIT), 1);
	/* another subscriber gets its own block */
	uint16_t p = expect(&f, UDP("10.0.0.3", 5000, "192.0.2.1", 53, 0), "198.51.100.1", -1,
			    "192.0.2.1", 53);
	assert_false(blocks & (1u << ((p - 1024) / 4)));
	fx_sweep(&f);
	assert_int_equal(count_lines(log, "block-alloc cgn 10.0.0.2 198.51.100.1:"), 2);
	assert_int_equal(count_lines(log, "block-alloc cgn 10.0.0.3 198.51.100.1:"), 1);
	assert_int_equal(count_lines(log, "map-new"), 0); /* not per flow */
	/* all idle: blocks go back, logged */
	f.w->now_tsc += 6 * hz;
	fx_sweep(&f);
	assert_int_equal(count_lines(log, "block-free cgn 10.0.0.2 "), 2);
	assert_int_equal(f.fw->nat->n_subs, 0);
	/* a whole pool of blocks is there again: 4 subscribers, one block each */
	for (int h = 0; h < 4; h++) {
		char in[32];

		snprintf(in, sizeof(in), "10.0.0.%d", 20 + h);
		expect(&f, UDP(in, 5000, "192.0.2.1", 53, 0), "198.51.100.1", -1, "192.0.2.1", 53);
	}
	expect_drop(&f, UDP("10.0.0.30", 5000, "192.0.2.1", 53, 0));
	assert_int_equal(drops(&f, FW_DROP_NAT_EXHAUSTED), 1);
	fx_down(&f);
	unlink(log);
}

/* a mapping log line per mapping without port blocks */
static void
test_mapping_log_and_ctl(void **state)
{
	struct fx f;
	char log[] = "/tmp/nfvd-nat-test-XXXXXX", yaml[1024], err[256];
	uint64_t hz = rte_get_tsc_hz();
	json_t *res = NULL;
	int fd = mkstemp(log);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	snprintf(yaml, sizeof(yaml),
		 "default: allow\nconntrack: {timeouts: {udp: 5}}\n"
		 "nat:\n  snat:\n    - {name: m, from: [10.0.0.0/24], outside-port: wan, "
		 "masquerade: 203.0.113.1, log: '%s'}\n",
		 log);
	fx_up(&f, yaml);
	expect(&f, UDP("10.0.0.2", 5000, "192.0.2.1", 53, 0), "203.0.113.1", 5000, "192.0.2.1",
	       53);
	expect(&f, UDP("10.0.0.2", 5000, "192.0.2.2", 53, 0), "203.0.113.1", 5000, "192.0.2.2",
	       53);
	fx_sweep(&f);
	assert_int_equal(count_lines(log, "map-new m udp 10.0.0.2:5000 203.0.113.1:5000"), 1);
	/* nfvctl nat sessions / stats */
	assert_int_equal(f.vnf.cls->ctl(&f.vnf, "nat-sessions", NULL, &res, err, sizeof(err)), 0);
	assert_int_equal(json_integer_value(json_object_get(res, "count")), 2);
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(res, "sessions"), 0), "nat")),
		"snat");
	json_decref(res);
	json_t *args = json_pack("{s:s}", "limit", "1");
	assert_int_equal(f.vnf.cls->ctl(&f.vnf, "nat-sessions", args, &res, err, sizeof(err)), 0);
	assert_int_equal(json_array_size(json_object_get(res, "sessions")), 1);
	json_decref(res);
	json_decref(args);
	assert_int_equal(f.vnf.cls->ctl(&f.vnf, "nat-stats", NULL, &res, err, sizeof(err)), 0);
	assert_int_equal(json_integer_value(json_object_get(res, "mappings")), 1);
	assert_int_equal(json_integer_value(json_object_get(
				 json_array_get(json_object_get(res, "addresses"), 0), "udp_ports")),
			 1);
	json_decref(res);
	f.w->now_tsc += 6 * hz;
	fx_sweep(&f);
	assert_int_equal(count_lines(log, "map-free m udp 10.0.0.2:5000 203.0.113.1:5000"), 1);
	fx_down(&f);
	unlink(log);
}

/* fragments of translated flows are never forwarded untranslated: dropped
 * and counted (no reassembly); other fragments follow `fragments:` */
static void
test_fragments(void **state)
{
	struct fx f;
	struct np p = {.src = "10.0.0.2", .dst = "192.0.2.1", .proto = IPPROTO_UDP, .sport = 5000,
		       .dport = 53, .payload = 16, .frag = 0x2000, .ipid = 7};
	struct rte_mbuf *m;
	struct seen s;

	(void)state;
	fx_up(&f, "default: allow\nfragments: allow\n"
		  "nat:\n  snat:\n    - {name: masq, from: [10.0.0.0/24], outside-port: wan, "
		  "masquerade: 203.0.113.1}\n");
	/* RFC 4787 REQ-14: the first fragment of a new translated flow is
	 * translated (its ports and checksum are in it) ... */
	expect(&f, &p, "203.0.113.1", 5000, "192.0.2.1", 53);
	/* ... and a later fragment of the same datagram follows it, its
	 * addresses translated the same way (the UDP checksum in the first
	 * fragment was updated for the whole datagram) */
	p.frag = 100;
	m = run(&f, mk(&p));
	assert_non_null(m);
	s = seen(m);
	assert_string_equal(s.src, "203.0.113.1");
	assert_string_equal(s.dst, "192.0.2.1");
	assert_int_equal(rte_raw_cksum(rte_pktmbuf_mtod_offset(m, void *, L3), 20), 0xffff);
	rte_pktmbuf_free(m);
	/* a later fragment whose first fragment was not seen: dropped, never
	 * sent on untranslated */
	p.ipid = 8;
	expect_drop(&f, &p);
	assert_int_equal(drops(&f, FW_DROP_NAT_FRAGMENT), 1);
	/* the answer in fragments, translated back */
	p = (struct np){.src = "192.0.2.1", .dst = "203.0.113.1", .proto = IPPROTO_UDP,
			.sport = 53, .dport = 5000, .payload = 16, .frag = 0x2000, .ipid = 9,
			.in_port = 1};
	expect(&f, &p, "192.0.2.1", 53, "10.0.0.2", 5000);
	p.frag = 100;
	m = run(&f, mk(&p));
	assert_non_null(m);
	s = seen(m);
	assert_string_equal(s.src, "192.0.2.1");
	assert_string_equal(s.dst, "10.0.0.2");
	rte_pktmbuf_free(m);
	/* from outside to the NAT address, no first fragment seen: dropped */
	p.src = "203.0.113.7";
	p.ipid = 10;
	expect_drop(&f, &p);
	assert_int_equal(drops(&f, FW_DROP_NAT_FRAGMENT), 2);
	/* fragments NAT has nothing to do with pass (fragments: allow) */
	p.src = "192.168.9.1";
	p.dst = "192.168.8.1";
	p.in_port = 2;
	m = run(&f, mk(&p));
	assert_non_null(m);
	rte_pktmbuf_free(m);
	fx_down(&f);
}

static void
reconf(struct fx *f, const char *yaml, struct fw_conf **keep)
{
	struct fw_conf *c;
	char err[512];

	if (parse(f->cfg, yaml, &c, err, sizeof(err)) != 0)
		fail_msg("config: %s", err);
	if (f->vnf.cls->reconfigure(&f->vnf, f->cfg, c, err, sizeof(err)) != 0)
		fail_msg("reconfigure: %s", err);
	*keep = f->conf;
	f->conf = c;
	f->vnf.conf = c;
}

/* live apply keeps established sessions; sessions the new section no
 * longer makes are expired */
static void
test_live_apply(void **state)
{
	struct fx f;
	struct fw_conf *old[3];

	(void)state;
	fx_up(&f, MASQ);
	expect(&f, TCP("10.0.0.2", 40000, "192.0.2.80", 80, SYN, 0), "203.0.113.1", 40000,
	       "192.0.2.80", 80);
	expect(&f, TCP("10.1.0.2", 40000, "192.0.2.80", 80, SYN, 0), "10.1.0.2", 40000,
	       "192.0.2.80", 80);
	/* a second rule and a forward added: the session stays */
	reconf(&f,
	       "default: drop\nrules:\n  - {action: allow, in-port: lan}\n"
	       "  - {action: allow, in-port: wan, proto: udp, dst: 10.0.0.53, dport: 53}\n"
	       "nat:\n  snat:\n    - {name: masq, from: [10.0.0.0/24], outside-port: wan, "
	       "masquerade: 203.0.113.1}\n"
	       "    - {name: two, from: [10.1.0.0/24], outside-port: wan, pool: [198.51.100.9]}\n"
	       "  dnat:\n    - {outside-port: wan, proto: udp, address: 203.0.113.1, port: 53, "
	       "to: 10.0.0.53}\n",
	       &old[0]);
	expect(&f, TCP("192.0.2.80", 80, "203.0.113.1", 40000, SYNACK, 1), "192.0.2.80", 80,
	       "10.0.0.2", 40000);
	expect(&f, TCP("10.1.0.3", 40000, "192.0.2.80", 80, SYN, 0), "198.51.100.9", 40000,
	       "192.0.2.80", 80);
	expect(&f, UDP("192.0.2.80", 1234, "203.0.113.1", 53, 1), "192.0.2.80", 1234, "10.0.0.53",
	       53);
	/* the pool leaves: its session goes, the masquerade's stays */
	reconf(&f, MASQ, &old[1]);
	expect_drop(&f, TCP("192.0.2.80", 80, "198.51.100.9", 40000, SYNACK, 1));
	expect_drop(&f, UDP("192.0.2.80", 1234, "203.0.113.1", 53, 1));
	expect(&f, TCP("192.0.2.80", 80, "203.0.113.1", 40000, SYNACK, 1), "192.0.2.80", 80,
	       "10.0.0.2", 40000);
	fx_sweep(&f);
	assert_int_equal(f.fw->nat->count, 1);
	/* no nat at all: translated sessions go */
	reconf(&f, "default: drop\nrules:\n  - {action: allow, in-port: lan}\nnat: {}\n", &old[2]);
	expect_drop(&f, TCP("192.0.2.80", 80, "203.0.113.1", 40000, SYNACK, 1));
	for (int i = 0; i < 3; i++)
		fw_config_free(old[i]);
	fx_down(&f);
}

/* Incremental checksum updates against a full recompute, random packets:
 * lengths, ports, addresses, UDP with and without a checksum, both ways */
static void
test_random_checksums(void **state)
{
	struct fx f;
	uint32_t seed = 12345;

	(void)state;
	fx_up(&f, "default: allow\nnat:\n  snat:\n    - {from: [10.0.0.0/8], outside-port: wan, "
		  "pool: [198.51.100.0/28]}\n");
	for (int i = 0; i < 400; i++) {
		char src[32], dst[32];
		struct np p;
		struct rte_mbuf *m, *r;
		struct seen sn;

		seed = seed * 1103515245 + 12345;
		snprintf(src, sizeof(src), "10.%u.%u.%u", seed >> 24, (seed >> 16) & 0xff,
			 (seed >> 8) & 0xff);
		seed = seed * 1103515245 + 12345;
		snprintf(dst, sizeof(dst), "192.%u.%u.%u", 1 + (seed >> 24) % 200,
			 (seed >> 16) & 0xff, (seed >> 8) & 0xff);
		p = (struct np){.src = src, .dst = dst,
				.proto = i % 3 == 0	? IPPROTO_TCP
					 : i % 3 == 1	? IPPROTO_UDP
							: IPPROTO_ICMP,
				.sport = (uint16_t)(seed * 31), .dport = (uint16_t)(1 + seed % 65535),
				.flags = SYN, .payload = (uint16_t)(seed % 61)};
		m = mk(&p);
		if (p.proto == IPPROTO_UDP && i % 5 == 1) { /* no checksum */
			uint8_t *l4 = rte_pktmbuf_mtod_offset(m, uint8_t *, L3 + 20);

			l4[6] = l4[7] = 0;
		}
		r = run(&f, m);
		assert_non_null(r);
		sn = seen(r);
		if (p.proto == IPPROTO_UDP && i % 5 == 1) {
			uint8_t *l4 = rte_pktmbuf_mtod_offset(r, uint8_t *, L3 + 20);

			assert_int_equal(l4[6] | l4[7], 0); /* stays "none" */
			l4[6] = l4[7] = 0;
			uint16_t cs = rte_ipv4_udptcp_cksum(
				rte_pktmbuf_mtod_offset(r, struct rte_ipv4_hdr *, L3), l4);
			memcpy(l4 + 6, &cs, 2);
		}
		assert_csums(r);
		rte_pktmbuf_free(r);
		/* and the answer */
		p = (struct np){.src = dst, .dst = sn.src, .proto = p.proto, .sport = sn.dport,
				.dport = sn.sport, .flags = SYNACK, .icmp_type = PONG,
				.in_port = 1, .payload = (uint16_t)(seed % 37)};
		r = run(&f, mk(&p));
		assert_non_null(r);
		assert_csums(r);
		assert_string_equal(seen(r).dst, src);
		rte_pktmbuf_free(r);
	}
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

#define SN "nat:\n  snat:\n    - {from: [10.0.0.0/24], outside-port: wan, "
static void
test_bad_config(void **state)
{
	(void)state;
	expect_error(SN "masquerade: 203.0.113.1, ports: 0-100}\n",
		     "fw.yaml:3:80: nat.snat[0].ports: '0-100' is out of range [1, 65535]");
	expect_error(SN "masquerade: 203.0.113.1, ports: 1000-70000}\n", "out of range");
	expect_error(SN "masquerade: 203.0.113.1, port-block: 1000}\n",
		     "port-block: a block of 1000 ports does not divide the range 1024-65535");
	expect_error("nat: {filtering: full-cone}\n", "fw.yaml:1:18: nat.filtering: unknown value");
	expect_error(SN "pool: [198.51.100.1-198.51.100.4]}\n"
			"    - {from: [10.1.0.0/24], outside-port: wan, pool: [198.51.100.4/32]}\n",
		     "pool address 198.51.100.4 overlaps snat[0]'s pool");
	expect_error(SN "pool: [198.51.100.1, 198.51.100.1]}\n", "already in this pool");
	expect_error(SN "masquerade: 203.0.113.1, pool: [198.51.100.1]}\n",
		     "masquerade or pool, not both");
	expect_error(SN "masquerade: 203.0.113.1, colour: red}\n", "colour");
	expect_error("nat:\n  snat:\n    - {from: [10.0.0.0/24], masquerade: 1.2.3.4}\n",
		     "outside-port");
	expect_error("nat:\n  dnat:\n    - {outside-port: wan, proto: icmp, address: 1.2.3.4, "
		     "port: 80, to: '10.0.0.1:80'}\n",
		     "a port forward is tcp or udp");
	expect_error("nat:\n  dnat:\n    - {outside-port: wan, proto: tcp, address: 1.2.3.4, "
		     "port: 80, to: '10.0.0.1:0'}\n",
		     "the port must be 1-65535");
	expect_error("nat:\n  static:\n    - {outside-port: wan, external: 1.2.3.4, internal: "
		     "10.0.0.1}\n    - {outside-port: wan, external: 1.2.3.4, internal: 10.0.0.2}\n",
		     "the same external or internal address");
	expect_error("nat: {}\nconntrack: {timeouts: {tcp-transient: 5}}\n", "tcp-transient");
}

/* the cross-VNF checks: a stand-in class owns interface addresses through
 * the vnf_schema.addresses hook, as router and dhcp do */
struct ifs_conf {
	int n;
	uint16_t port[4];
	struct cfg_prefix a[4];
};

static int
ifs_parse(const struct nfv_config *cfg, const struct cfg_node *node, void **conf,
	  struct cfg_errors *err)
{
	const struct cfg_node *l = cfg_map_get(node, "ifs");
	struct ifs_conf *c = calloc(1, sizeof(*c));

	for (size_t i = 0; l != NULL && i < l->n && i < 4; i++) {
		nfv_config_get_port(cfg, l->items[i], "port", true, &c->port[i], err);
		cfg_get_prefix(l->items[i], "address", true, true, &c->a[i], err);
		c->n++;
	}
	*conf = c;
	return 0;
}

static void
ifs_addresses(const void *conf,
	      void (*cb)(void *ctx, uint16_t port, int family, const void *addr, uint8_t plen),
	      void *ctx)
{
	const struct ifs_conf *c = conf;

	for (int i = 0; i < c->n; i++)
		cb(ctx, c->port[i], AF_INET, &c->a[i].v4, c->a[i].len);
}

static struct vnf_schema ifs_schema = {
	.name = "test-ifs",
	.config_parse = ifs_parse,
	.config_free = free,
	.addresses = ifs_addresses,
};

static void
expect_file_error(const char *nat, const char *needle)
{
	char path[] = "/tmp/nfvd-nat-cfg-XXXXXX";
	int fd = mkstemp(path);
	FILE *fp = fdopen(fd, "w");

	fprintf(fp, "version: 1\nports:\n  - {name: lan, driver: tap, iface: t0}\n"
		    "  - {name: wan, driver: tap, iface: t1}\n"
		    "vnfs:\n  - name: r\n    class: test-ifs\n"
		    "    ifs: [{port: lan, address: 10.0.0.1/24}, {port: wan, address: "
		    "203.0.113.1/24}]\n"
		    "  - name: fw\n    class: firewall\n    nat:\n%s"
		    "chains:\n  - {name: c, ingress: [lan], vnfs: [fw, r], egress: wan}\n",
		nat);
	fclose(fp);
	test_cfg_load_expect(path, needle);
}

static void
test_bad_config_interfaces(void **state)
{
	(void)state;
	vnf_schema_register(&ifs_schema);
	expect_file_error("      snat: [{from: [10.0.0.0/24], outside-port: wan, "
			  "masquerade: 203.0.113.1}]\n"
			  "      dnat: [{outside-port: wan, proto: tcp, address: 203.0.113.1, "
			  "port: 80, to: 10.0.0.2}]\n",
			  NULL);
	expect_file_error("      snat: [{from: [10.0.0.0/24], outside-port: wan, "
			  "masquerade: 203.0.113.9}]\n",
			  ":12:67: vnfs[fw].nat.snat[0].masquerade: 203.0.113.9 is not an address "
			  "of an interface (router or dhcp) on outside-port 'wan'");
	/* an address of the inside interface is not the outside's */
	expect_file_error("      snat: [{from: [10.0.0.0/24], outside-port: wan, "
			  "masquerade: 10.0.0.1}]\n",
			  "is not an address of an interface");
	expect_file_error("      snat: [{from: [10.0.0.0/24], outside-port: wan, "
			  "pool: [203.0.113.0/30]}]\n",
			  "pool address 203.0.113.1 is the address of an interface of 'r' on port "
			  "'wan'");
	expect_file_error("      dnat: [{outside-port: wan, proto: tcp, address: 203.0.113.1, "
			  "port: 80, to: '10.9.0.2:80'}]\n",
			  "to: 10.9.0.2 is on no interface's subnet");
}

int
main(void)
{
	/* two lcores (test_two_workers) on whatever CPUs this process may use:
	 * with one CPU they take turns, still at once for the table */
	char lcores[512], cpus[240] = "";
	char *eal[] = {"test_nat",     "--no-huge",		   "-m", "512", "--no-pci",
		       "--no-shconf", "--log-level=lib.eal:error", "--lcores", lcores};
	cpu_set_t set;
	int nc = 0;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_snat_basic),
		cmocka_unit_test(test_new_flow_packets_in_one_burst),
		cmocka_unit_test(test_two_workers),
		cmocka_unit_test(test_eim_and_filtering),
		cmocka_unit_test(test_icmp_errors),
		cmocka_unit_test(test_icmp_error_quote_with_options),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_rst_holds_the_session_four_minutes),
		cmocka_unit_test(test_exhaustion_and_reuse),
		cmocka_unit_test(test_dnat_static_hairpin),
		cmocka_unit_test(test_pool_pairing),
		cmocka_unit_test(test_cgn_blocks),
		cmocka_unit_test(test_mapping_log_and_ctl),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_live_apply),
		cmocka_unit_test(test_random_checksums),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_bad_config_interfaces),
	};
	size_t sz;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 1;
	for (int c = 0; c < CPU_SETSIZE && nc < (int)sizeof(cpus) - 8; c++)
		if (CPU_ISSET(c, &set))
			nc += snprintf(cpus + nc, sizeof(cpus) - nc, "%s%d", nc ? "," : "", c);
	snprintf(lcores, sizeof(lcores), "0@(%s),1@(%s)", cpus, cpus);
	if (test_eal_init(RTE_DIM(eal), eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	if (nfv_meta_register() < 0)
		return 1;
	nfv_fake.pool = rte_pktmbuf_pool_create("nattest", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
						SOCKET_ID_ANY);
	T_punt = rte_ring_create("natpunt", 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	sz = rte_rcu_qsbr_get_memsize(1);
	nfv_fake.rcu = rte_zmalloc(NULL, sz, RTE_CACHE_LINE_SIZE);
	if (nfv_fake.pool == NULL || T_punt == NULL || nfv_fake.rcu == NULL ||
	    rte_rcu_qsbr_init(nfv_fake.rcu, 1) != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
