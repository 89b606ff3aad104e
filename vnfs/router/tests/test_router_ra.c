/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - unit tests of the router advertisements (router_ra.c,
 * RFC 4861 section 6, RFC 8106): the `ra:` config and its refusals with
 * positions, the advert's fields, options and checksum, the unsolicited
 * schedule (initial fast adverts, random intervals within bounds), router
 * solicitations answered (delay, 3 s multicast limit, unicast mode, the
 * neighbour cache), invalid solicitations ignored, final adverts. The
 * engine services are nfv_fake's; the tests move nfv_fake.now_ms.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_malloc.h>

#include "nfv_fake.h"
#include "router_ra.h"
#include "router_rt.h"
#include "test_eal.h"

static struct rte_mempool *pool;

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

static struct nfv_config *ncfg;
static struct nfv_vnf vnf;
static struct nfv_worker *wk;
static uint64_t chain_ctr[3];
static const struct vnf_class *cls;
static struct rte_ring *punt_ring;

static const struct rte_ether_addr mac0 = {{0x02, 0, 0, 0, 0, 0x10}};
static const struct rte_ether_addr mac1 = {{0x02, 0, 0, 0, 0, 0x11}};
static const uint8_t hmac[6] = {0x02, 0, 0, 0, 0, 0x99};

static const char *ra_yaml = "interfaces:\n"
			     "  - name: lan\n"
			     "    port: p0\n"
			     "    addresses: [10.0.1.1/24, 2001:db8:1::1/64]\n"
			     "    ra:\n"
			     "      managed: true\n"
			     "      other-config: true\n"
			     "      mtu: true\n"
			     "      max-interval: 60\n"
			     "      router-lifetime: 300\n"
			     "      reachable-time: 30000\n"
			     "      rdnss: [2001:db8:1::53, 2001:db8:1::54]\n"
			     "      prefixes:\n"
			     "        - {prefix: 2001:db8:1::/64, valid-lifetime: 7200, "
			     "preferred-lifetime: 3600}\n"
			     "  - name: wan\n"
			     "    port: p1\n"
			     "    link-local: fe80::1\n"
			     "    addresses: [2001:db8:2::1/64]\n"
			     "    ra: {solicited-unicast: true}\n";

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
	nfv_fake.now_ms = 1000;
	rtr_ra_start(st, st->tables);
	return st;
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
	rtr_tables_free(st->tables);
	rtr_config_free((void *)st->conf);
	rte_free(st);
	free(vnf.ctr);
}

/* The stage, then the punt handler, as the engine runs them */
static void
run_punt(struct rte_mbuf *m)
{
	uint16_t k = rtr_process(&vnf, wk, &m, 1);
	struct rte_mbuf *p;

	for (uint16_t i = 0; i < k; i++)
		rte_pktmbuf_free(m);
	while (rte_ring_dequeue(wk->punt, (void **)&p) == 0)
		rtr_punt(&vnf, p);
}

static void
tick_at(uint64_t now)
{
	nfv_fake.now_ms = now;
	rtr_tick(&vnf, now);
}

/* ---- the advert as a host reads it ---- */
struct ra_seen {
	uint8_t dmac[6], smac[6];
	uint8_t src[16], dst[16];
	uint8_t hops, cur_hop, flags;
	uint16_t lifetime;
	uint32_t reachable, retrans;
	bool slla_ok;
	uint32_t mtu;
	int n_prefix;
	struct {
		uint8_t len, flags;
		uint32_t valid, preferred;
		uint8_t prefix[16];
	} prefix[8];
	int n_rdnss;
	uint32_t rdnss_life;
	uint8_t rdnss[4][16];
};

static uint32_t
get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return rte_be_to_cpu_32(v);
}

/* Check the frame is a well-formed advert (checksum, lengths) and read it */
static void
read_ra(struct rte_mbuf *m, struct ra_seen *r)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(d + 14);
	uint8_t *icmp = (uint8_t *)(ip6 + 1), *o;
	uint32_t len;

	memset(r, 0, sizeof(*r));
	assert_int_equal(rte_be_to_cpu_16(*(uint16_t *)(d + 12)), RTE_ETHER_TYPE_IPV6);
	memcpy(r->dmac, d, 6);
	memcpy(r->smac, d + 6, 6);
	assert_int_equal(ip6->proto, IPPROTO_ICMPV6);
	len = rte_be_to_cpu_16(ip6->payload_len);
	assert_true(rte_pktmbuf_data_len(m) >= 14 + 40 + len);
	assert_int_equal(rte_ipv6_udptcp_cksum(ip6, icmp), 0);
	memcpy(r->src, ip6->src_addr, 16);
	memcpy(r->dst, ip6->dst_addr, 16);
	r->hops = ip6->hop_limits;
	assert_int_equal(icmp[0], 134);
	assert_int_equal(icmp[1], 0);
	r->cur_hop = icmp[4];
	r->flags = icmp[5];
	r->lifetime = (uint16_t)(icmp[6] << 8 | icmp[7]);
	r->reachable = get32(icmp + 8);
	r->retrans = get32(icmp + 12);
	assert_true(len >= 16);
	for (o = icmp + 16, len -= 16; len > 0;) {
		uint32_t olen = o[1] * 8u;

		assert_true(olen > 0 && olen <= len);
		switch (o[0]) {
		case 1:
			assert_int_equal(olen, 8);
			r->slla_ok = memcmp(o + 2, r->smac, 6) == 0;
			break;
		case 5:
			assert_int_equal(olen, 8);
			r->mtu = get32(o + 4);
			break;
		case 3:
			assert_int_equal(olen, 32);
			r->prefix[r->n_prefix].len = o[2];
			r->prefix[r->n_prefix].flags = o[3];
			r->prefix[r->n_prefix].valid = get32(o + 4);
			r->prefix[r->n_prefix].preferred = get32(o + 8);
			memcpy(r->prefix[r->n_prefix].prefix, o + 16, 16);
			r->n_prefix++;
			break;
		case 25:
			assert_true(olen >= 24 && (olen - 8) % 16 == 0);
			r->rdnss_life = get32(o + 4);
			r->n_rdnss = (int)(olen - 8) / 16;
			for (int i = 0; i < r->n_rdnss && i < 4; i++)
				memcpy(r->rdnss[i], o + 8 + 16 * i, 16);
			break;
		default:
			fail_msg("unexpected option %u", o[0]);
		}
		o += olen;
		len -= olen;
	}
}

static void
assert_ip6(const uint8_t *a, const char *want)
{
	uint8_t w[16];

	assert_int_equal(inet_pton(AF_INET6, want, w), 1);
	assert_memory_equal(a, w, 16);
}

/* ---------------- config ---------------- */

static void
test_ra_config_defaults(void **state)
{
	struct cfg_errors err = {0};
	struct rtr_conf *c = NULL;
	const struct rtr_ra_conf *ra;

	(void)state;
	assert_int_equal(parse("interfaces:\n"
			       "  - {port: p0, addresses: [2001:db8:1::1/64, 2001:db8:7::1/56, "
			       "10.0.0.1/24], ra: {}}\n"
			       "  - {port: p1, addresses: [2001:db8:2::1/64]}\n",
			       &c, &err),
			 0);
	ra = &c->ifs[0].ra;
	assert_true(ra->enabled);
	assert_false(c->ifs[1].ra.enabled);
	/* RFC 4861 6.2.1 defaults: Max 600 s, Min 0.33 * Max, lifetime 3 * Max */
	assert_int_equal(ra->max_interval_ms, 600000);
	assert_int_equal(ra->min_interval_ms, 200000);
	assert_int_equal(ra->router_lifetime, 1800);
	assert_int_equal(ra->hop_limit, 64);
	assert_false(ra->managed || ra->other || ra->solicited_unicast);
	assert_int_equal(ra->mtu, 0);
	/* the interface's IPv6 subnets; autonomous only for the /64 */
	assert_int_equal(ra->n_prefix, 2);
	assert_int_equal(ra->prefix[0].prefix.len, 64);
	assert_true(ra->prefix[0].on_link && ra->prefix[0].autonomous);
	assert_int_equal(ra->prefix[0].valid, 2592000);
	assert_int_equal(ra->prefix[0].preferred, 604800);
	assert_int_equal(ra->prefix[1].prefix.len, 56);
	assert_false(ra->prefix[1].autonomous);
	assert_ip6(ra->prefix[1].prefix.v6.s6_addr, "2001:db8:7::");
	rtr_config_free(c);
	cfg_errors_free(&err);

	assert_int_equal(parse(ra_yaml, &c, &err), 0);
	ra = &c->ifs[0].ra;
	assert_int_equal(ra->max_interval_ms, 60000);
	assert_int_equal(ra->min_interval_ms, 20000);
	assert_int_equal(ra->mtu, 1500);
	assert_int_equal(ra->n_rdnss, 2);
	assert_int_equal(ra->rdnss_lifetime, 180); /* RFC 8106 5.1: 3 * Max */
	assert_true(c->ifs[1].has_ll);
	assert_ip6(c->ifs[1].ll6, "fe80::1");
	rtr_config_free(c);
	cfg_errors_free(&err);

	/* max-interval below 9 s: min 0.75 * max; "infinite" lifetimes */
	assert_int_equal(parse("interfaces:\n"
			       "  - port: p0\n"
			       "    addresses: [2001:db8:1::1/64]\n"
			       "    ra:\n"
			       "      max-interval: 4\n"
			       "      rdnss: [2001:db8:1::53]\n"
			       "      rdnss-lifetime: infinite\n"
			       "      prefixes: [{prefix: 2001:db8:1::/64, valid-lifetime: infinite, "
			       "preferred-lifetime: infinite}]\n",
			       &c, &err),
			 0);
	assert_int_equal(c->ifs[0].ra.min_interval_ms, 3000);
	assert_int_equal(c->ifs[0].ra.prefix[0].valid, RTR_RA_INFINITE);
	assert_int_equal(c->ifs[0].ra.rdnss_lifetime, RTR_RA_INFINITE);
	rtr_config_free(c);
	cfg_errors_free(&err);
}

static void
expect_bad(const char *ra, const char *where, const char *what)
{
	char yaml[1024];
	struct cfg_errors err = {0};
	struct rtr_conf *c = NULL;

	snprintf(yaml, sizeof(yaml),
		 "interfaces:\n"
		 "  - port: p0\n"
		 "    addresses: [2001:db8:1::1/64, 2001:db8:9::1/48]\n"
		 "    ra:\n%s",
		 ra);
	assert_int_not_equal(parse(yaml, &c, &err), 0);
	assert_null(c);
	if (!errors_have(&err, where) || !errors_have(&err, what)) {
		cfg_errors_print(&err, stderr);
		fail_msg("expected an error at %s saying %s", where, what);
	}
	cfg_errors_free(&err);
}

static void
test_ra_config_refused(void **state)
{
	(void)state;
	expect_bad("      prefixes:\n"
		   "        - {prefix: 2001:db8:1::/64, valid-lifetime: 600, "
		   "preferred-lifetime: 700}\n",
		   "test.yaml:6:78", "preferred-lifetime 700 exceeds valid-lifetime 600");
	expect_bad("      prefixes:\n"
		   "        - {prefix: 2001:db8:9::/48, autonomous: true}\n",
		   "test.yaml:6:49", "must be a /64");
	expect_bad("      prefixes:\n"
		   "        - {prefix: 2001:db8:5::/64}\n",
		   "test.yaml:6:20", "not a subnet of an address of interface");
	expect_bad("      prefixes:\n"
		   "        - {prefix: 2001:db8:1::1/64}\n",
		   "test.yaml:6:20", "host bits");
	expect_bad("      prefixes:\n"
		   "        - {prefix: 10.0.0.0/8}\n",
		   "test.yaml:6:20", "not an IPv6 unicast prefix");
	expect_bad("      max-interval: 2\n", "test.yaml:5:21", "max-interval");
	expect_bad("      max-interval: 1801\n", "test.yaml:5:21", "max-interval");
	expect_bad("      max-interval: 100\n      min-interval: 80\n", "test.yaml:6:21",
		   "min-interval 80 is out of 3..75 s");
	expect_bad("      min-interval: 2\n", "test.yaml:5:21", "min-interval 2 is out of");
	expect_bad("      router-lifetime: 100\n", "test.yaml:5:24",
		   "router-lifetime 100 must be 0");
	expect_bad("      router-lifetime: 9001\n", "test.yaml:5:24", "9000");
	expect_bad("      rdnss: [ff02::1]\n", "test.yaml:5:15", "not an IPv6 unicast address");
	expect_bad("      rdnss: [10.0.0.53]\n", "test.yaml:5:15", "not an IPv6 unicast address");
	expect_bad("      rdnss: [2001:db8:1::53]\n      rdnss-lifetime: 100\n",
		   "test.yaml:6:23", "below max-interval");
	expect_bad("      mtu: 1200\n", "test.yaml:5:12", "mtu");
	expect_bad("      managed: maybe\n", "test.yaml:5:16", "managed");
	expect_bad("      prefix: []\n", "test.yaml:5:7", "prefix");
	/* the link-local address */
	{
		struct cfg_errors err = {0};
		struct rtr_conf *c = NULL;

		assert_int_not_equal(parse("interfaces:\n"
					   "  - {port: p0, link-local: '2001:db8::1'}\n",
					   &c, &err),
				     0);
		if (!errors_have(&err, "test.yaml:2:28"))
			cfg_errors_print(&err, stderr);
		assert_true(errors_have(&err, "test.yaml:2:28"));
		assert_true(errors_have(&err, "not an fe80::/64 link-local address"));
		cfg_errors_free(&err);
	}
}

/* ---------------- the advert ---------------- */

static void
test_ra_builder(void **state)
{
	struct ra_seen r;

	(void)state;
	vnf_up(ra_yaml);
	/* advertising begins: the first advert at once on both interfaces */
	tick_at(1000);
	assert_int_equal(nfv_fake.n_sent, 2);
	assert_int_equal(nfv_fake.sent_port[0], 0);
	read_ra(nfv_fake.sent[0], &r);
	assert_memory_equal(r.dmac, ((const uint8_t[]){0x33, 0x33, 0, 0, 0, 1}), 6);
	assert_memory_equal(r.smac, mac0.addr_bytes, 6);
	assert_ip6(r.src, "fe80::ff:fe00:10"); /* EUI-64 of 02:00:00:00:00:10 */
	assert_ip6(r.dst, "ff02::1");
	assert_int_equal(r.hops, 255);
	assert_int_equal(r.cur_hop, 64);
	assert_int_equal(r.flags, 0xc0); /* M, O */
	assert_int_equal(r.lifetime, 300);
	assert_int_equal(r.reachable, 30000);
	assert_int_equal(r.retrans, 0);
	assert_true(r.slla_ok);
	assert_int_equal(r.mtu, 1500);
	assert_int_equal(r.n_prefix, 1);
	assert_int_equal(r.prefix[0].len, 64);
	assert_int_equal(r.prefix[0].flags, 0xc0); /* L, A */
	assert_int_equal(r.prefix[0].valid, 7200);
	assert_int_equal(r.prefix[0].preferred, 3600);
	assert_ip6(r.prefix[0].prefix, "2001:db8:1::");
	assert_int_equal(r.n_rdnss, 2);
	assert_int_equal(r.rdnss_life, 180);
	assert_ip6(r.rdnss[0], "2001:db8:1::53");
	assert_ip6(r.rdnss[1], "2001:db8:1::54");
	/* the second interface: its configured link-local, no M/O/MTU/RDNSS */
	assert_int_equal(nfv_fake.sent_port[1], 1);
	read_ra(nfv_fake.sent[1], &r);
	assert_ip6(r.src, "fe80::1");
	assert_int_equal(r.flags, 0);
	assert_int_equal(r.lifetime, 1800);
	assert_int_equal(r.mtu, 0);
	assert_int_equal(r.n_rdnss, 0);
	assert_int_equal(r.n_prefix, 1);
	assert_int_equal(((struct rtr_state *)vnf.priv)->cp[RTR_CP_RA_TX], 2);
	vnf_down();
}

/* 6.2.4: the first RTR_RA_INITIAL adverts at most 16 s apart, then random
 * intervals in [min, max]; never two multicast adverts closer than min */
static void
test_ra_schedule(void **state)
{
	struct rtr_state *st;
	uint64_t now = 1000, last = 0, gap_min = UINT64_MAX, gap_max = 0;
	unsigned int sent = 0, initial_gaps = 0;

	(void)state;
	st = vnf_up("interfaces:\n"
		    "  - {port: p0, addresses: [2001:db8:1::1/64], ra: {max-interval: 100}}\n");
	for (; now < 1000 + 3600 * 1000; now += 100) {
		tick_at(now);
		if (nfv_fake.n_sent == 0)
			continue;
		assert_int_equal(nfv_fake.n_sent, 1);
		nfv_fake_sent_free();
		if (sent > 0) {
			uint64_t gap = now - last;

			if (sent < RTR_RA_INITIAL) {
				assert_true(gap <= RTR_RA_INITIAL_MS + 100);
				initial_gaps++;
			} else {
				gap_min = RTE_MIN(gap_min, gap);
				gap_max = RTE_MAX(gap_max, gap);
				assert_true(gap >= 33000);
			}
		} else {
			assert_int_equal(now, 1000); /* the first at once */
		}
		last = now;
		sent++;
	}
	assert_int_equal(initial_gaps, RTR_RA_INITIAL - 1);
	/* min 33 s, max 100 s; 3600 s hold ~55 adverts: spread, within bounds */
	assert_true(sent > 30);
	assert_true(gap_min >= 33000 && gap_max <= 100100);
	assert_true(gap_max - gap_min > 10000);
	assert_int_equal(st->ra[0].tx, sent);
	vnf_down();
}

/* A router solicitation from src (NULL: ::) with an optional source
 * link-layer address option, to ff02::2 (dst NULL) or a unicast address */
static struct rte_mbuf *
mk_rs(const char *src, const char *dst, bool slla, uint8_t hops)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint16_t plen = (uint16_t)(8 + (slla ? 8 : 0));
	struct rte_ipv6_hdr *ip6;
	uint8_t *d, *rs;

	assert_non_null(m);
	assert_non_null(rte_pktmbuf_append(m, (uint16_t)(14 + 40 + plen)));
	d = rte_pktmbuf_mtod(m, uint8_t *);
	memset(d, 0, 14 + 40 + plen);
	if (dst == NULL)
		memcpy(d, (const uint8_t[]){0x33, 0x33, 0, 0, 0, 2}, 6);
	else
		memcpy(d, mac0.addr_bytes, 6);
	memcpy(d + 6, hmac, 6);
	*(uint16_t *)(d + 12) = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
	ip6 = (struct rte_ipv6_hdr *)(d + 14);
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16(plen);
	ip6->proto = IPPROTO_ICMPV6;
	ip6->hop_limits = hops;
	inet_pton(AF_INET6, src ? src : "::", ip6->src_addr);
	inet_pton(AF_INET6, dst ? dst : "ff02::2", ip6->dst_addr);
	rs = (uint8_t *)(ip6 + 1);
	rs[0] = 133;
	if (slla) {
		rs[8] = 1;
		rs[9] = 1;
		memcpy(rs + 10, hmac, 6);
	}
	*(uint16_t *)(rs + 2) = rte_ipv6_udptcp_cksum(ip6, rs);
	m->port = 0;
	nfv_meta(m)->in_port = 0;
	return m;
}

/* 6.2.6: answered after 0..500 ms to all-nodes; a second solicitation
 * right after waits for MIN_DELAY_BETWEEN_RAS since the last multicast
 * advert; the solicitation's source link-layer address is learnt */
static void
test_rs_answered_multicast(void **state)
{
	struct rtr_state *st;
	struct ra_seen r;
	uint64_t t0, when = 0;

	(void)state;
	st = vnf_up(ra_yaml);
	tick_at(1000); /* the first unsolicited adverts */
	nfv_fake_sent_free();
	t0 = 100000; /* long after, before the next unsolicited one (>= 16 s) */
	tick_at(t0 - 90000);
	nfv_fake_sent_free();
	nfv_fake.now_ms = t0;
	st->ra[0].last_mcast_ms = 1000; /* the one of tick_at(1000) */
	st->ra[0].next_ms = t0 + 60000;
	st->ra[1].on = false; /* wan: not in this test */
	run_punt(mk_rs("fe80::99", NULL, true, 255));
	assert_int_equal(st->cp[RTR_CP_RS_RX], 1);
	assert_int_equal(st->cp[RTR_CP_RS_BAD], 0);
	for (uint64_t now = t0; now <= t0 + RTR_RA_DELAY_MS; now += 10) {
		tick_at(now);
		if (nfv_fake.n_sent > 0 && when == 0)
			when = now;
	}
	assert_int_equal(nfv_fake.n_sent, 1);
	assert_true(when >= t0 && when <= t0 + RTR_RA_DELAY_MS);
	read_ra(nfv_fake.sent[0], &r);
	assert_ip6(r.dst, "ff02::1");
	assert_int_equal(r.lifetime, 300);
	nfv_fake_sent_free();
	/* the neighbour cache has the solicitor */
	{
		uint8_t a[16];
		int id;

		inet_pton(AF_INET6, "fe80::99", a);
		id = rtr_neigh_get(st->tables, 0, 6, a, false);
		assert_true(id >= 0);
		assert_true(st->tables->neigh[id].macw & RTR_MAC_VALID);
	}
	/* a second one at once: not before when + 3 s */
	run_punt(mk_rs("fe80::98", NULL, false, 255));
	for (uint64_t now = when + 10; now < when + RTR_RA_MIN_DELAY_MS; now += 10)
		tick_at(now);
	assert_int_equal(nfv_fake.n_sent, 0);
	for (uint64_t now = when + RTR_RA_MIN_DELAY_MS;
	     now <= when + RTR_RA_MIN_DELAY_MS + RTR_RA_DELAY_MS; now += 10)
		tick_at(now);
	assert_int_equal(nfv_fake.n_sent, 1);
	nfv_fake_sent_free();
	/* from the unspecified address (no option): answered too */
	nfv_fake.now_ms = when + 20000;
	run_punt(mk_rs(NULL, NULL, false, 255));
	for (uint64_t now = when + 20000; now <= when + 20000 + RTR_RA_DELAY_MS; now += 10)
		tick_at(now);
	assert_int_equal(nfv_fake.n_sent, 1);
	assert_int_equal(st->ra[0].rs_rx, 3);
	vnf_down();
}

/* solicited-unicast: the answer goes to the solicitor's address and MAC */
static void
test_rs_answered_unicast(void **state)
{
	struct rtr_state *st;
	struct ra_seen r;
	struct rte_mbuf *m;

	(void)state;
	st = vnf_up(ra_yaml);
	tick_at(1000);
	nfv_fake_sent_free();
	m = mk_rs("fe80::99", NULL, true, 255);
	m->port = 1;
	nfv_meta(m)->in_port = 1;
	nfv_fake.now_ms = 2000;
	run_punt(m);
	for (uint64_t now = 2000; now <= 2000 + RTR_RA_DELAY_MS; now += 10)
		tick_at(now);
	assert_int_equal(nfv_fake.n_sent, 1);
	assert_int_equal(nfv_fake.sent_port[0], 1);
	read_ra(nfv_fake.sent[0], &r);
	assert_memory_equal(r.dmac, hmac, 6);
	assert_ip6(r.dst, "fe80::99");
	assert_ip6(r.src, "fe80::1");
	/* the unsolicited schedule is untouched */
	assert_true(st->ra[1].next_ms > 2000 + RTR_RA_DELAY_MS);
	vnf_down();
}

/* 6.1.1: invalid solicitations are counted and not answered */
static void
test_rs_invalid(void **state)
{
	struct rtr_state *st;
	struct rte_mbuf *m;
	uint8_t *rs;

	(void)state;
	st = vnf_up(ra_yaml);
	tick_at(1000);
	nfv_fake_sent_free();
	nfv_fake.now_ms = 50000;
	st->ra[0].next_ms = 200000;
	st->ra[1].next_ms = 200000;
	run_punt(mk_rs("fe80::99", NULL, true, 64)); /* hop limit not 255 */
	run_punt(mk_rs(NULL, NULL, true, 255));	    /* :: with a link-layer option */
	m = mk_rs("fe80::99", NULL, false, 255);    /* bad checksum */
	rs = rte_pktmbuf_mtod_offset(m, uint8_t *, 54);
	rs[2] ^= 0x55;
	run_punt(m);
	m = mk_rs("fe80::99", NULL, true, 255); /* an option of length 0 */
	rs = rte_pktmbuf_mtod_offset(m, uint8_t *, 54);
	rs[9] = 0;
	*(uint16_t *)(rs + 2) = 0;
	*(uint16_t *)(rs + 2) = rte_ipv6_udptcp_cksum(
		rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, 14), rs);
	run_punt(m);
	assert_int_equal(st->cp[RTR_CP_RS_RX], 4);
	assert_int_equal(st->cp[RTR_CP_RS_BAD], 4);
	for (uint64_t now = 50000; now <= 52000; now += 10)
		tick_at(now);
	assert_int_equal(nfv_fake.n_sent, 0);
	assert_int_equal(st->ra[0].rs_rx, 0);
	vnf_down();
}

/* 6.2.5: router lifetime 0 (and the RDNSS withdrawn) when advertising
 * stops: at shutdown, and where an apply removes `ra:`; an apply that
 * changes the advert restarts the fast initial adverts */
static void
test_ra_final(void **state)
{
	struct rtr_state *st;
	struct rtr_conf *nc = NULL;
	struct rtr_tables *nt;
	struct cfg_errors err = {0};
	struct ra_seen r;
	uint16_t ports[2] = {0, 1};
	struct rte_ether_addr macs[2] = {mac0, mac1};
	char e[256];

	(void)state;
	st = vnf_up(ra_yaml);
	tick_at(1000);
	nfv_fake_sent_free();
	tick_at(2000);
	assert_int_equal(nfv_fake.n_sent, 0);
	/* apply: lan keeps ra: with a new flag, wan loses it */
	assert_int_equal(parse("interfaces:\n"
			       "  - name: lan\n"
			       "    port: p0\n"
			       "    addresses: [10.0.1.1/24, 2001:db8:1::1/64]\n"
			       "    ra: {managed: false}\n"
			       "  - name: wan\n"
			       "    port: p1\n"
			       "    link-local: fe80::1\n"
			       "    addresses: [2001:db8:2::1/64]\n",
			       &nc, &err),
			 0);
	nt = rtr_tables_build(st, nc, ports, macs, e, sizeof(e));
	assert_non_null(nt);
	rtr_ra_reconf(st, st->tables, st->conf, nt, nc);
	assert_int_equal(nfv_fake.n_sent, 1); /* wan's final advert */
	assert_int_equal(nfv_fake.sent_port[0], 1);
	read_ra(nfv_fake.sent[0], &r);
	assert_int_equal(r.lifetime, 0);
	assert_ip6(r.src, "fe80::1");
	nfv_fake_sent_free();
	rtr_tables_free(st->tables);
	rtr_config_free((void *)st->conf);
	st->tables = nt;
	rtr_state_init(st, nc, rte_get_tsc_hz());
	assert_true(st->ra[0].on);
	assert_false(st->ra[1].on);
	/* lan's contents changed: an advert as soon as 6.2.6 allows, 3 s
	 * after the last multicast one (at 1000) */
	tick_at(2010);
	assert_int_equal(nfv_fake.n_sent, 0);
	tick_at(4000);
	assert_int_equal(nfv_fake.n_sent, 1);
	read_ra(nfv_fake.sent[0], &r);
	assert_int_equal(r.flags, 0);
	assert_int_equal(r.lifetime, 1800);
	nfv_fake_sent_free();
	/* shutdown */
	rtr_ra_stop(st, st->tables);
	assert_int_equal(nfv_fake.n_sent, 1);
	read_ra(nfv_fake.sent[0], &r);
	assert_int_equal(r.lifetime, 0);
	assert_int_equal(r.n_prefix, 1);
	cfg_errors_free(&err);
	vnf_down();
}

int
main(int argc, char **argv)
{
	char *eal[] = {argv[0],	      "--no-huge",     "-m", "1536", "--no-pci",
		       "--no-shconf", "--log-level=4", "-l", "0"};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ra_config_defaults),
		cmocka_unit_test(test_ra_config_refused),
		cmocka_unit_test(test_ra_builder),
		cmocka_unit_test(test_ra_schedule),
		cmocka_unit_test(test_rs_answered_multicast),
		cmocka_unit_test(test_rs_answered_unicast),
		cmocka_unit_test(test_rs_invalid),
		cmocka_unit_test(test_ra_final),
	};

	(void)argc;
	if (test_eal_init((int)RTE_DIM(eal), eal) < 0)
		return 1;
	nfv_meta_register();
	pool = rte_pktmbuf_pool_create("ratest", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	nfv_fake.pool = pool;
	wk = rte_zmalloc(NULL, sizeof(*wk), RTE_CACHE_LINE_SIZE);
	ncfg = calloc(1, sizeof(*ncfg));
	punt_ring = rte_ring_create("rapunt", 256, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (punt_ring == NULL || nfv_meta_offset < 0 || pool == NULL || wk == NULL || ncfg == NULL)
		return 1;
	ncfg->n_ports = 2;
	snprintf(ncfg->ports[0].name, NFV_NAME_MAX, "p0");
	snprintf(ncfg->ports[1].name, NFV_NAME_MAX, "p1");
	cls = vnf_class_find("router");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
