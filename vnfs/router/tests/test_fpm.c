/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - zebra's FPM feed: the parser on crafted netlink messages
 * (IPv4, IPv6, ECMP, blackhole, replace, delete, next-hop objects and
 * groups, truncated and garbage input, two streams captured from zebra
 * 8.4), then the feed applied to live tables (next hops by subnet and by
 * host twin ifindex, precedence with the chain file's routes, next-hop
 * changes) and a session over a real socket: stale routes kept while zebra
 * is away and removed only after the next session's resync.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_malloc.h>

#include "nfv_fake.h"
#include "router_fpm.h"
#include "router_fpm_parse.h"
#include "router_rt.h"
#include "test_eal.h"

/* ---------------- model fakes (as test_router.c) ---------------- */
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

/* ---------------- message builder ---------------- */
struct nlb {
	uint8_t b[8192];
	size_t len;   /* bytes written */
	size_t start; /* this frame's first byte */
	size_t nest[4];
	int depth;
};

static void
nlb_put(struct nlb *x, const void *d, size_t n)
{
	assert_true(x->len + n <= sizeof(x->b));
	memcpy(x->b + x->len, d, n);
	x->len += n;
}

static void
nlb_pad(struct nlb *x)
{
	while (x->len % 4)
		x->b[x->len++] = 0;
}

/* FPM header + nlmsghdr + the family header */
static void
nlb_begin(struct nlb *x, uint16_t type, uint16_t flags, const void *hdr, size_t hlen)
{
	struct nlmsghdr nh = {.nlmsg_type = type, .nlmsg_flags = flags};
	uint8_t fpm[4] = {1, 1, 0, 0};

	x->start = x->len;
	nlb_put(x, fpm, 4);
	nlb_put(x, &nh, sizeof(nh));
	nlb_put(x, hdr, hlen);
	nlb_pad(x);
}

static void
nlb_attr(struct nlb *x, uint16_t type, const void *d, size_t n)
{
	struct rtattr a = {.rta_len = (unsigned short)(4 + n), .rta_type = type};

	nlb_put(x, &a, 4);
	if (n)
		nlb_put(x, d, n);
	nlb_pad(x);
}

static void
nlb_u32(struct nlb *x, uint16_t type, uint32_t v)
{
	nlb_attr(x, type, &v, 4);
}

static void
nlb_addr(struct nlb *x, uint16_t type, const char *a)
{
	uint8_t b[16];

	if (strchr(a, ':')) {
		assert_int_equal(inet_pton(AF_INET6, a, b), 1);
		nlb_attr(x, type, b, 16);
	} else {
		assert_int_equal(inet_pton(AF_INET, a, b), 1);
		nlb_attr(x, type, b, 4);
	}
}

/* open a nested attribute or an rtnexthop (hdr_len 4 or 8) */
static void
nlb_open(struct nlb *x, uint16_t type, size_t hdr_len, uint8_t hops, uint32_t ifindex)
{
	x->nest[x->depth++] = x->len;
	if (hdr_len == 4) {
		struct rtattr a = {.rta_type = type};

		nlb_put(x, &a, 4);
	} else {
		struct rtnexthop r = {.rtnh_hops = hops, .rtnh_ifindex = (int)ifindex};

		nlb_put(x, &r, 8);
	}
}

static void
nlb_close(struct nlb *x)
{
	size_t at = x->nest[--x->depth];
	uint16_t n = (uint16_t)(x->len - at);

	memcpy(x->b + at, &n, 2);
}

static size_t
nlb_end(struct nlb *x)
{
	uint32_t nl = (uint32_t)(x->len - x->start - 4);
	uint16_t fl = (uint16_t)(x->len - x->start);

	memcpy(x->b + x->start + 4, &nl, 4);
	x->b[x->start + 2] = (uint8_t)(fl >> 8);
	x->b[x->start + 3] = (uint8_t)fl;
	return fl;
}

static void
route_begin(struct nlb *x, uint16_t type, int family, const char *dst, uint8_t len,
	    uint8_t rtype, uint8_t proto)
{
	struct rtmsg rt = {.rtm_family = family == 4 ? AF_INET : AF_INET6,
			   .rtm_dst_len = len,
			   .rtm_table = RT_TABLE_MAIN,
			   .rtm_protocol = proto,
			   .rtm_type = rtype};

	nlb_begin(x, type, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE, &rt, sizeof(rt));
	nlb_addr(x, RTA_DST, dst);
	nlb_u32(x, RTA_PRIORITY, 20);
}

/* route DST/LEN via GW (NULL: none) out of OIF (0: none) */
static size_t
route_gw(struct nlb *x, uint16_t type, const char *dst, uint8_t len, const char *gw,
	 uint32_t oif)
{
	route_begin(x, type, strchr(dst, ':') ? 6 : 4, dst, len, RTN_UNICAST, 196);
	if (gw)
		nlb_addr(x, RTA_GATEWAY, gw);
	if (oif)
		nlb_u32(x, RTA_OIF, oif);
	return nlb_end(x);
}

static size_t
route_nhid(struct nlb *x, const char *dst, uint8_t len, uint32_t id)
{
	route_begin(x, RTM_NEWROUTE, strchr(dst, ':') ? 6 : 4, dst, len, RTN_UNICAST, 186);
	nlb_u32(x, RTA_NH_ID, id);
	return nlb_end(x);
}

static size_t
nexthop(struct nlb *x, uint32_t id, const char *gw, uint32_t oif)
{
	struct nhmsg nm = {.nh_family = gw == NULL ? AF_INET : strchr(gw, ':') ? AF_INET6 : AF_INET,
			   .nh_protocol = 11};

	nlb_begin(x, RTM_NEWNEXTHOP, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE, &nm,
		  sizeof(nm));
	nlb_u32(x, NHA_ID, id);
	if (gw)
		nlb_addr(x, NHA_GATEWAY, gw);
	else
		nlb_attr(x, NHA_BLACKHOLE, NULL, 0);
	if (oif)
		nlb_u32(x, NHA_OIF, oif);
	return nlb_end(x);
}

static size_t
nhgroup(struct nlb *x, uint32_t id, const uint32_t *ids, int n)
{
	struct nhmsg nm = {.nh_family = AF_UNSPEC, .nh_protocol = 11};
	struct nexthop_grp g[8];

	memset(g, 0, sizeof(g));
	for (int i = 0; i < n; i++)
		g[i].id = ids[i];
	nlb_begin(x, RTM_NEWNEXTHOP, NLM_F_REQUEST | NLM_F_CREATE, &nm, sizeof(nm));
	nlb_u32(x, NHA_ID, id);
	nlb_attr(x, NHA_GROUP, g, (size_t)n * sizeof(g[0]));
	return nlb_end(x);
}

/* parse the frame the builder made last */
static int
parse_last(struct nlb *x, struct rtr_fpm_msg *m)
{
	bool nl = false;
	int fl = rtr_fpm_frame(x->b + x->start, x->len - x->start, &nl);

	assert_int_equal(fl, (int)(x->len - x->start));
	assert_true(nl);
	return rtr_fpm_parse(x->b + x->start + 4, (size_t)fl - 4, m);
}

/* Two streams zebra 8.4 sent (tests/fuzz/fpm_seeds): staticd's
 * 10.99.0.0/24 via 10.91.2.2, 10.97.0.0/24 via .2 and .3 (ECMP), 10.98.0.0/24
 * blackhole, 2001:db8:99::/64 via 2001:db8:91:2::2, and the connected
 * routes of the veth it saw, with next-hop objects (default) and inline
 * (`no fpm use-next-hop-groups`). */
#include "fpm_zebra_capture.h"

static struct rtr_fpm_msg msg;

/* ---------------- parser ---------------- */

static void
test_parse_v4_v6(void **state)
{
	struct nlb x = {0};
	uint8_t a[16];

	(void)state;
	route_gw(&x, RTM_NEWROUTE, "10.1.2.0", 24, "10.0.2.2", 7);
	assert_int_equal(parse_last(&x, &msg), 0);
	assert_int_equal(msg.kind, RTR_FPM_ROUTE_ADD);
	assert_int_equal(msg.family, 4);
	assert_int_equal(msg.dst_len, 24);
	assert_int_equal(msg.proto, 196);
	assert_string_equal(rtr_fpm_proto_name(msg.proto), "static");
	assert_int_equal(msg.table, RT_TABLE_MAIN);
	assert_int_equal(msg.priority, 20);
	assert_int_equal(msg.rtype, RTR_FPM_UNICAST);
	assert_true(msg.nl_flags & NLM_F_REPLACE);
	assert_int_equal(msg.n_nh, 1);
	assert_int_equal(msg.nh[0].oif, 7);
	assert_true(msg.nh[0].has_gw);
	inet_pton(AF_INET, "10.0.2.2", a);
	assert_memory_equal(msg.nh[0].gw, a, 4);
	inet_pton(AF_INET, "10.1.2.0", a);
	assert_memory_equal(msg.dst, a, 4);

	route_gw(&x, RTM_NEWROUTE, "2001:db8:5::", 48, "2001:db8:2::2", 0);
	assert_int_equal(parse_last(&x, &msg), 0);
	assert_int_equal(msg.family, 6);
	assert_int_equal(msg.dst_len, 48);
	inet_pton(AF_INET6, "2001:db8:2::2", a);
	assert_memory_equal(msg.nh[0].gw, a, 16);
	/* an IPv4-sized gateway in an IPv6 route is malformed */
	route_begin(&x, RTM_NEWROUTE, 6, "2001:db8:5::", 48, RTN_UNICAST, 186);
	nlb_addr(&x, RTA_GATEWAY, "10.0.2.2");
	nlb_end(&x);
	assert_int_equal(parse_last(&x, &msg), -EINVAL);
	/* prefix length beyond the family */
	route_begin(&x, RTM_NEWROUTE, 4, "10.0.0.0", 33, RTN_UNICAST, 186);
	nlb_end(&x);
	assert_int_equal(parse_last(&x, &msg), -EINVAL);
	/* delete */
	route_gw(&x, RTM_DELROUTE, "10.1.2.0", 24, NULL, 0);
	assert_int_equal(parse_last(&x, &msg), 0);
	assert_int_equal(msg.kind, RTR_FPM_ROUTE_DEL);
	assert_int_equal(msg.n_nh, 0);
}

static void
test_parse_ecmp_and_types(void **state)
{
	static const uint8_t types[][2] = {{RTN_BLACKHOLE, RTR_FPM_BLACKHOLE},
					   {RTN_UNREACHABLE, RTR_FPM_UNREACHABLE},
					   {RTN_PROHIBIT, RTR_FPM_PROHIBIT}};
	struct nlb x = {0};

	(void)state;
	route_begin(&x, RTM_NEWROUTE, 4, "10.7.0.0", 16, RTN_UNICAST, 188);
	nlb_open(&x, RTA_MULTIPATH, 4, 0, 0);
	for (int i = 0; i < 3; i++) {
		char gw[16];

		snprintf(gw, sizeof(gw), "10.0.2.%d", 2 + i);
		nlb_open(&x, 0, 8, (uint8_t)i, 5);
		nlb_addr(&x, RTA_GATEWAY, gw);
		nlb_close(&x);
	}
	nlb_close(&x);
	nlb_end(&x);
	assert_int_equal(parse_last(&x, &msg), 0);
	assert_string_equal(rtr_fpm_proto_name(msg.proto), "ospf");
	assert_int_equal(msg.n_nh, 3);
	assert_int_equal(msg.nh[2].weight, 3);
	assert_int_equal(msg.nh[1].gw[3], 3);
	assert_int_equal(msg.nh[0].oif, 5);
	for (size_t i = 0; i < RTE_DIM(types); i++) {
		route_begin(&x, RTM_NEWROUTE, 4, "10.8.0.0", 16, types[i][0], 186);
		nlb_end(&x);
		assert_int_equal(parse_last(&x, &msg), 0);
		assert_int_equal(msg.rtype, types[i][1]);
	}
	/* local, multicast, ... are not the router's: skipped */
	route_begin(&x, RTM_NEWROUTE, 4, "10.8.0.1", 32, RTN_LOCAL, 2);
	nlb_end(&x);
	assert_int_equal(parse_last(&x, &msg), 1);
	/* another message type (a neighbour) */
	nlb_begin(&x, RTM_NEWNEIGH, 0, "\0\0\0\0\0\0\0\0\0\0\0\0", 12);
	nlb_end(&x);
	assert_int_equal(parse_last(&x, &msg), 1);
	/* more next hops than a route keeps */
	route_begin(&x, RTM_NEWROUTE, 4, "10.7.0.0", 16, RTN_UNICAST, 188);
	nlb_open(&x, RTA_MULTIPATH, 4, 0, 0);
	for (int i = 0; i < 12; i++) {
		nlb_open(&x, 0, 8, 0, 5);
		nlb_u32(&x, RTA_GATEWAY, htonl(0x0a000202u + (uint32_t)i));
		nlb_close(&x);
	}
	nlb_close(&x);
	nlb_end(&x);
	assert_int_equal(parse_last(&x, &msg), 0);
	assert_int_equal(msg.n_nh, RTR_FPM_MAX_NH);
	assert_int_equal(msg.nh_dropped, 4);
}

static void
test_parse_nexthops(void **state)
{
	struct nlb x = {0};
	uint32_t ids[3] = {11, 12, 13};

	(void)state;
	nexthop(&x, 11, "10.0.2.2", 3);
	assert_int_equal(parse_last(&x, &msg), 0);
	assert_int_equal(msg.kind, RTR_FPM_NH_ADD);
	assert_int_equal(msg.id, 11);
	assert_int_equal(msg.family, 4);
	assert_int_equal(msg.n_nh, 1);
	assert_int_equal(msg.nh[0].oif, 3);
	nexthop(&x, 12, NULL, 0);
	assert_int_equal(parse_last(&x, &msg), 0);
	assert_true(msg.blackhole);
	nhgroup(&x, 20, ids, 3);
	assert_int_equal(parse_last(&x, &msg), 0);
	assert_int_equal(msg.n_grp, 3);
	assert_int_equal(msg.grp[2].id, 13);
	assert_int_equal(msg.family, 0);
	/* no id, a group of a bad size */
	nlb_begin(&x, RTM_NEWNEXTHOP, 0, "\2\0\0\0\0\0\0\0", 8);
	nlb_u32(&x, NHA_OIF, 3);
	nlb_end(&x);
	assert_int_equal(parse_last(&x, &msg), -EINVAL);
	nlb_begin(&x, RTM_NEWNEXTHOP, 0, "\0\0\0\0\0\0\0\0", 8);
	nlb_u32(&x, NHA_ID, 9);
	nlb_attr(&x, NHA_GROUP, ids, 5);
	nlb_end(&x);
	assert_int_equal(parse_last(&x, &msg), -EINVAL);
	route_nhid(&x, "10.9.0.0", 16, 20);
	assert_int_equal(parse_last(&x, &msg), 0);
	assert_int_equal(msg.nhid, 20);
	assert_int_equal(msg.n_nh, 0);
}

static void
count_stream(const uint8_t *b, size_t n, int kinds[5], int *bad)
{
	size_t off = 0;

	while (off < n) {
		bool nl;
		int fl = rtr_fpm_frame(b + off, n - off, &nl);

		assert_true(fl > 0);
		if (rtr_fpm_parse(b + off + 4, (size_t)fl - 4, &msg) == 0)
			kinds[msg.kind]++;
		else
			(*bad)++;
		off += (size_t)fl;
	}
}

static void
test_parse_zebra_capture(void **state)
{
	int kinds[5] = {0}, bad = 0;

	(void)state;
	count_stream(fpm_zebra_nhg, sizeof(fpm_zebra_nhg), kinds, &bad);
	assert_int_equal(bad, 0);
	assert_int_equal(kinds[RTR_FPM_NH_ADD], 8);
	assert_int_equal(kinds[RTR_FPM_ROUTE_ADD], 7);
	memset(kinds, 0, sizeof(kinds));
	count_stream(fpm_zebra_inline, sizeof(fpm_zebra_inline), kinds, &bad);
	assert_int_equal(bad, 0);
	assert_int_equal(kinds[RTR_FPM_ROUTE_ADD], 7);
	assert_int_equal(kinds[RTR_FPM_NH_ADD], 0);
}

/* Every cut of a valid message, every corrupted length: an error or a
 * message, never a read beyond the input (ASan). */
static void
test_parse_truncated_and_garbage(void **state)
{
	struct nlb x = {0};
	uint8_t *copy;
	uint32_t seed = 12345;

	(void)state;
	route_begin(&x, RTM_NEWROUTE, 4, "10.7.0.0", 16, RTN_UNICAST, 188);
	nlb_open(&x, RTA_MULTIPATH, 4, 0, 0);
	for (int i = 0; i < 2; i++) {
		nlb_open(&x, 0, 8, 0, 5);
		nlb_u32(&x, RTA_GATEWAY, htonl(0x0a000202u + (uint32_t)i));
		nlb_close(&x);
	}
	nlb_close(&x);
	nlb_end(&x);
	for (size_t cut = 0; cut < x.len - 4; cut++) {
		bool nl;

		/* the frame is incomplete: the reader waits for more */
		assert_int_equal(rtr_fpm_frame(x.b, cut + 4 < x.len ? cut + 4 : 0, &nl), 0);
		copy = malloc(cut ? cut : 1);
		memcpy(copy, x.b + 4, cut);
		/* nlmsg_len says more than there is */
		assert_int_equal(rtr_fpm_parse(copy, cut, &msg), -EINVAL);
		if (cut >= 16) {
			uint32_t l = (uint32_t)cut;

			memcpy(copy, &l, 4); /* consistent: attributes cut */
			assert_true(rtr_fpm_parse(copy, cut, &msg) <= 0);
		}
		free(copy);
	}
	/* attribute lengths 0..7 and past the end */
	for (uint16_t bad = 0; bad < 8; bad++) {
		route_gw(&x, RTM_NEWROUTE, "10.1.2.0", 24, "10.0.2.2", 7);
		memcpy(x.b + x.start + 4 + 16 + 12, &bad, 2); /* RTA_DST's rta_len */
		assert_int_equal(parse_last(&x, &msg), -EINVAL);
	}
	/* FPM header: version 2, a length below the header */
	{
		uint8_t h[8] = {2, 1, 0, 8, 0, 0, 0, 0};
		bool nl;

		assert_int_equal(rtr_fpm_frame(h, 8, &nl), -EPROTO);
		h[0] = 1;
		h[3] = 3;
		assert_int_equal(rtr_fpm_frame(h, 8, &nl), -EPROTO);
	}
	/* random bytes, and random flips of a valid stream */
	copy = malloc(2048);
	for (int it = 0; it < 20000; it++) {
		size_t n = (size_t)(seed % 2048);
		const uint8_t *src = it & 1 ? fpm_zebra_nhg : NULL;

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			copy[i] = src && i < sizeof(fpm_zebra_nhg) ? src[i] : (uint8_t)(seed >> 16);
		}
		if (src)
			for (int f = 0; f < 3 && n; f++) {
				seed = seed * 1103515245u + 12345u;
				copy[(seed >> 8) % n] ^= (uint8_t)(1u << (seed % 8));
			}
		for (size_t off = 0; off < n;) {
			bool nl;
			int fl = rtr_fpm_frame(copy + off, n - off, &nl);

			if (fl <= 0)
				break;
			(void)rtr_fpm_parse(copy + off + 4, (size_t)fl - 4, &msg);
			off += (size_t)fl;
		}
		(void)rtr_fpm_parse(copy, n, &msg);
	}
	free(copy);
}

/* ---------------- applied to live tables ---------------- */
static struct nfv_config *ncfg;
static struct rte_mempool *pool;

static const char *yaml = "name: r1\n"
			  "class: router\n"
			  "interfaces:\n"
			  "  - {name: lan, port: p0, addresses: [10.0.1.1/24, 2001:db8:1::1/64]}\n"
			  "  - {name: wan, port: p1, addresses: [10.0.2.1/24, 2001:db8:2::1/64]}\n"
			  "routes:\n"
			  "  - {prefix: 192.168.0.0/16, via: 10.0.2.2}\n"
			  "fpm: {listen: '127.0.0.1:2620', resync-ms: 1000}\n";

static struct rtr_state *
rtr_up(const char *listen)
{
	struct cfg_errors err = {.file = "t.yaml"};
	struct cfg_node *root = NULL;
	struct rtr_conf *c = NULL;
	struct rtr_state *st;
	uint16_t ports[2] = {0, 1};
	struct rte_ether_addr macs[2] = {{{2, 0, 0, 0, 0, 0x10}}, {{2, 0, 0, 0, 0, 0x11}}};
	char e[256] = "";

	assert_int_equal(cfg_load_string("t.yaml", yaml, strlen(yaml), &root, &err), 0);
	if (rtr_config_parse(ncfg, root, (void **)&c, &err) != 0) {
		cfg_errors_print(&err, stderr);
		fail();
	}
	cfg_free(root);
	cfg_errors_free(&err);
	snprintf(c->fpm_listen, sizeof(c->fpm_listen), "%s", listen);
	st = rte_zmalloc(NULL, sizeof(*st), RTE_CACHE_LINE_SIZE);
	assert_non_null(st);
	snprintf(st->name, sizeof(st->name), "f%u", (unsigned)rand());
	st->pool = pool;
	rtr_state_init(st, c, rte_get_tsc_hz());
	st->tables = rtr_tables_build(st, c, ports, macs, e, sizeof(e));
	if (st->tables == NULL)
		fail_msg("%s", e);
	assert_int_equal(rtr_fpm_open(st, c, e, sizeof(e)), 0);
	return st;
}

static void
rtr_down(struct rtr_state *st)
{
	rtr_fpm_close(st);
	rtr_tables_free(st->tables);
	rtr_config_free((void *)st->conf);
	rte_free(st);
}

static void
feed(struct rtr_state *st, struct nlb *x)
{
	assert_int_equal(rtr_fpm_feed(st, x->b, x->len), (long)x->len);
	x->len = 0;
}

/* what the workers' FIB gives for addr: the adjacency */
static const struct rtr_adj *
fib(struct rtr_state *st, const char *addr)
{
	struct rtr_tables *t = st->tables;
	uint64_t adj = 0;

	if (strchr(addr, ':')) {
		uint8_t ip6[1][16];

		inet_pton(AF_INET6, addr, ip6[0]);
		rte_fib6_lookup_bulk(t->fib6, ip6, &adj, 1);
	} else {
		uint32_t ip;

		inet_pton(AF_INET, addr, &ip);
		ip = ntohl(ip);
		rte_fib_lookup_bulk(t->fib4, &ip, &adj, 1);
	}
	return &t->adj[adj];
}

/* the gateway of next hop i of adjacency a, as text */
static const char *
gw(struct rtr_state *st, const struct rtr_adj *a, int i, char *buf)
{
	const struct rtr_neigh *n = &st->tables->neigh[a->nh[i]];

	return inet_ntop(n->key.family == 4 ? AF_INET : AF_INET6, n->key.addr, buf, 64);
}

static json_t *
route_json(struct rtr_state *st, const char *prefix)
{
	json_t *all = rtr_routes_json(st->tables, 0, 100000), *e, *out = json_array();
	size_t i;

	json_array_foreach(all, i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "prefix")), prefix) == 0)
			json_array_append(out, e);
	}
	json_decref(all);
	return out;
}

static uint64_t
fpm_ctr(struct rtr_state *st, const char *name)
{
	json_t *o = json_object();
	uint64_t v;

	rtr_fpm_stats(st, o);
	v = (uint64_t)json_integer_value(json_object_get(json_object_get(o, "fpm"), name));
	json_decref(o);
	return v;
}

static void
test_apply_routes(void **state)
{
	struct rtr_state *st = rtr_up("127.0.0.1:0");
	struct nlb x = {0};
	const struct rtr_adj *a;
	char b[64];
	json_t *j;

	(void)state;
	/* inline next hop, mapped by the gateway's subnet (oif unknown) */
	route_gw(&x, RTM_NEWROUTE, "10.50.0.0", 16, "10.0.2.7", 99);
	feed(st, &x);
	a = fib(st, "10.50.1.1");
	assert_int_equal(a->type, RTR_ADJ_GW);
	assert_int_equal(a->n_nh, 1);
	assert_string_equal(gw(st, a, 0, b), "10.0.2.7");
	assert_int_equal(st->tables->neigh[a->nh[0]].key.iface, 1);
	j = route_json(st, "10.50.0.0/16");
	assert_int_equal(json_array_size(j), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "source")),
			    "static");
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "origin")),
			    "frr");
	json_decref(j);
	/* replace: one route per prefix from zebra */
	route_gw(&x, RTM_NEWROUTE, "10.50.0.0", 16, "10.0.2.8", 0);
	feed(st, &x);
	a = fib(st, "10.50.1.1");
	assert_int_equal(a->n_nh, 1);
	assert_string_equal(gw(st, a, 0, b), "10.0.2.8");
	/* IPv6 */
	route_gw(&x, RTM_NEWROUTE, "2001:db8:50::", 48, "2001:db8:2::9", 0);
	feed(st, &x);
	a = fib(st, "2001:db8:50::1");
	assert_int_equal(a->type, RTR_ADJ_GW);
	assert_string_equal(gw(st, a, 0, b), "2001:db8:2::9");
	/* delete */
	route_gw(&x, RTM_DELROUTE, "10.50.0.0", 16, NULL, 0);
	route_gw(&x, RTM_DELROUTE, "2001:db8:50::", 48, NULL, 0);
	feed(st, &x);
	assert_int_equal(fib(st, "10.50.1.1")->type, RTR_ADJ_NOROUTE);
	assert_int_equal(fib(st, "2001:db8:50::1")->type, RTR_ADJ_NOROUTE);
	/* blackhole, unreachable */
	route_begin(&x, RTM_NEWROUTE, 4, "10.51.0.0", 16, RTN_BLACKHOLE, 196);
	nlb_end(&x);
	route_begin(&x, RTM_NEWROUTE, 4, "10.52.0.0", 16, RTN_UNREACHABLE, 196);
	nlb_end(&x);
	feed(st, &x);
	assert_int_equal(fib(st, "10.51.0.1")->type, RTR_ADJ_BLACKHOLE);
	assert_int_equal(fib(st, "10.52.0.1")->type, RTR_ADJ_REJECT);
	/* a gateway on no subnet of ours: not installed, counted */
	route_gw(&x, RTM_NEWROUTE, "10.53.0.0", 16, "10.9.9.9", 42);
	feed(st, &x);
	assert_int_equal(fib(st, "10.53.0.1")->type, RTR_ADJ_NOROUTE);
	assert_int_equal(fpm_ctr(st, "unresolved-nexthops"), 1);
	assert_int_equal(fpm_ctr(st, "routes-without-nexthop"), 1);
	/* ... unless zebra names the interface by its host twin's ifindex */
	st->host_ifindex[0] = 42;
	route_gw(&x, RTM_NEWROUTE, "10.53.0.0", 16, NULL, 42);
	feed(st, &x);
	a = fib(st, "10.53.0.1");
	assert_int_equal(a->type, RTR_ADJ_CONNECTED);
	assert_int_equal(a->iface, 0);
	/* another table (a VRF): skipped */
	route_begin(&x, RTM_NEWROUTE, 4, "10.54.0.0", 16, RTN_UNICAST, 186);
	nlb_u32(&x, RTA_TABLE, 1000);
	nlb_addr(&x, RTA_GATEWAY, "10.0.2.2");
	nlb_end(&x);
	feed(st, &x);
	assert_int_equal(fib(st, "10.54.0.1")->type, RTR_ADJ_NOROUTE);
	assert_int_equal(fpm_ctr(st, "other-table"), 1);
	/* the chain file's route wins over zebra's for the same prefix */
	route_gw(&x, RTM_NEWROUTE, "192.168.0.0", 16, "10.0.2.3", 0);
	feed(st, &x);
	assert_string_equal(gw(st, fib(st, "192.168.1.1"), 0, b), "10.0.2.2");
	j = route_json(st, "192.168.0.0/16");
	assert_int_equal(json_array_size(j), 2);
	for (size_t i = 0; i < 2; i++) {
		json_t *r = json_array_get(j, i);
		bool frr = json_object_get(r, "origin") != NULL;

		assert_int_equal(json_is_true(json_object_get(r, "selected")), !frr);
		assert_string_equal(json_string_value(json_object_get(r, "source")),
				    frr ? "static" : "config");
	}
	json_decref(j);
	/* a more specific prefix from zebra wins by longest match */
	route_gw(&x, RTM_NEWROUTE, "192.168.5.0", 24, "10.0.2.3", 0);
	feed(st, &x);
	assert_string_equal(gw(st, fib(st, "192.168.5.1"), 0, b), "10.0.2.3");
	/* nfvctl route del removes the file's path only: zebra's takes over */
	{
		struct rtr_route_conf r = {.iface = -1};

		cfg_parse_prefix("192.168.0.0/16", false, &r.prefix, &(const char *){NULL});
		assert_int_equal(rtr_route_del(st, st->tables, &r, b, sizeof(b)), 0);
		assert_string_equal(gw(st, fib(st, "192.168.1.1"), 0, b), "10.0.2.3");
	}
	rtr_down(st);
}

static void
test_apply_nexthop_groups(void **state)
{
	struct rtr_state *st = rtr_up("127.0.0.1:0");
	struct nlb x = {0};
	const struct rtr_adj *a;
	uint32_t ids[2] = {13, 15};
	char b[64], c[64];

	(void)state;
	nexthop(&x, 13, "10.0.2.2", 2);
	nexthop(&x, 15, "10.0.2.3", 2);
	nhgroup(&x, 14, ids, 2);
	nexthop(&x, 12, NULL, 0);
	nexthop(&x, 16, "2001:db8:2::2", 2);
	route_nhid(&x, "10.60.0.0", 16, 14);
	route_nhid(&x, "10.61.0.0", 16, 13);
	route_nhid(&x, "10.62.0.0", 16, 12);
	route_nhid(&x, "2001:db8:60::", 48, 16);
	feed(st, &x);
	a = fib(st, "10.60.0.1");
	assert_int_equal(a->type, RTR_ADJ_GW);
	assert_int_equal(a->n_nh, 2);
	gw(st, a, 0, b);
	gw(st, a, 1, c);
	assert_true((strcmp(b, "10.0.2.2") == 0 && strcmp(c, "10.0.2.3") == 0) ||
		    (strcmp(b, "10.0.2.3") == 0 && strcmp(c, "10.0.2.2") == 0));
	assert_string_equal(gw(st, fib(st, "10.61.0.1"), 0, b), "10.0.2.2");
	assert_int_equal(fib(st, "10.62.0.1")->type, RTR_ADJ_BLACKHOLE);
	assert_string_equal(gw(st, fib(st, "2001:db8:60::1"), 0, b), "2001:db8:2::2");
	/* next hop 13 moves: routes using it and the group holding it follow */
	nexthop(&x, 13, "10.0.2.4", 2);
	feed(st, &x);
	assert_string_equal(gw(st, fib(st, "10.61.0.1"), 0, b), "10.0.2.4");
	a = fib(st, "10.60.0.1");
	assert_int_equal(a->n_nh, 2);
	gw(st, a, 0, b);
	gw(st, a, 1, c);
	assert_true(strcmp(b, "10.0.2.4") == 0 || strcmp(c, "10.0.2.4") == 0);
	assert_true(fpm_ctr(st, "nexthop-route-updates") >= 2);
	/* a route naming an unknown id: not installed, counted */
	route_nhid(&x, "10.63.0.0", 16, 777);
	feed(st, &x);
	assert_int_equal(fib(st, "10.63.0.1")->type, RTR_ADJ_NOROUTE);
	assert_int_equal(fpm_ctr(st, "unknown-nexthop-ids"), 1);
	rtr_down(st);
}

/* Many routes in one buffer (the reader's batches and prefetch), ECMP
 * wider than the RIB entry's inline paths, replace between one and four
 * paths, the next-hop resolution cache following next-hop object changes
 * and a twin's ifindex, a bad frame after good ones, bulk delete. */
static void
test_apply_batches_and_nh_cache(void **state)
{
	static struct nlb x; /* 8 KiB: ~140 route frames */
	struct rtr_state *st = rtr_up("127.0.0.1:0");
	uint32_t ids[4] = {13, 15, 17, 19}, r0 = st->tables->n_routes4;
	const struct rtr_adj *a;
	char p[32], b[64];
	int n = 0;

	(void)state;
	memset(&x, 0, sizeof(x));
	nexthop(&x, 13, "10.0.2.2", 2);
	nexthop(&x, 15, "10.0.2.3", 2);
	nexthop(&x, 17, "10.0.2.4", 2);
	nexthop(&x, 19, "10.0.2.5", 2);
	nhgroup(&x, 14, ids, 4);
	while (x.len + 64 < sizeof(x.b)) {
		snprintf(p, sizeof(p), "10.100.%d.0", n);
		route_nhid(&x, p, 24, n % 2 ? 14 : 13);
		n++;
	}
	assert_true(n > 2 * 64);
	feed(st, &x);
	assert_int_equal(st->tables->n_routes4, r0 + (uint32_t)n);
	for (int i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "10.100.%d.9", i);
		a = fib(st, p);
		assert_int_equal(a->type, RTR_ADJ_GW);
		assert_int_equal(a->n_nh, i % 2 ? 4 : 1);
	}
	assert_int_equal(fpm_ctr(st, "routes-set"), (uint64_t)n);
	/* replace: four paths to one and back */
	route_nhid(&x, "10.100.1.0", 24, 13);
	feed(st, &x);
	assert_int_equal(fib(st, "10.100.1.9")->n_nh, 1);
	route_nhid(&x, "10.100.1.0", 24, 14);
	feed(st, &x);
	assert_int_equal(fib(st, "10.100.1.9")->n_nh, 4);
	{
		json_t *j = route_json(st, "10.100.1.0/24");

		assert_int_equal(json_array_size(j), 4);
		json_decref(j);
	}
	/* next hop 13 moves: a route named after it now takes the new gateway
	 * (no stale resolution), and so do the routes already using it */
	nexthop(&x, 13, "10.0.2.9", 2);
	route_nhid(&x, "10.101.0.0", 16, 13);
	feed(st, &x);
	assert_string_equal(gw(st, fib(st, "10.101.0.1"), 0, b), "10.0.2.9");
	assert_string_equal(gw(st, fib(st, "10.100.0.9"), 0, b), "10.0.2.9");
	/* a next hop known only by a twin's ifindex: unresolved until the twin
	 * exists, then resolved for the next route naming it */
	nexthop(&x, 21, "10.9.9.9", 77);
	route_nhid(&x, "10.102.0.0", 16, 21);
	feed(st, &x);
	assert_int_equal(fib(st, "10.102.0.1")->type, RTR_ADJ_NOROUTE);
	st->host_ifindex[1] = 77;
	route_nhid(&x, "10.102.0.0", 16, 21);
	feed(st, &x);
	a = fib(st, "10.102.0.1");
	assert_int_equal(a->type, RTR_ADJ_GW);
	assert_string_equal(gw(st, a, 0, b), "10.9.9.9");
	assert_int_equal(st->tables->neigh[a->nh[0]].key.iface, 1);
	st->host_ifindex[1] = 0;
	/* good frames, then a bad header: the good ones are applied */
	for (int i = 0; i < 70; i++) {
		snprintf(p, sizeof(p), "10.103.%d.0", i);
		route_nhid(&x, p, 24, 15);
	}
	{
		size_t good = x.len;

		route_nhid(&x, "10.104.0.0", 16, 15);
		x.b[good] = 2; /* FPM version 2 */
		route_nhid(&x, "10.105.0.0", 16, 15);
		assert_int_equal(rtr_fpm_feed(st, x.b, x.len), -EPROTO);
		x.len = 0;
	}
	assert_string_equal(gw(st, fib(st, "10.103.69.1"), 0, b), "10.0.2.3");
	assert_int_equal(fib(st, "10.104.0.1")->type, RTR_ADJ_NOROUTE);
	assert_int_equal(fib(st, "10.105.0.1")->type, RTR_ADJ_NOROUTE);
	assert_int_equal(fpm_ctr(st, "bad-frames"), 1);
	/* a frame cut at the end of the buffer waits for the rest */
	{
		size_t fl = route_nhid(&x, "10.106.0.0", 16, 15);

		assert_int_equal(rtr_fpm_feed(st, x.b, x.len - 3), 0);
		assert_int_equal(rtr_fpm_feed(st, x.b, x.len), (long)fl);
		x.len = 0;
	}
	assert_int_equal(fib(st, "10.106.0.1")->type, RTR_ADJ_GW);
	/* everything of 10.100/16 deleted in one buffer */
	for (int i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "10.100.%d.0", i);
		route_gw(&x, RTM_DELROUTE, p, 24, NULL, 0);
	}
	feed(st, &x);
	for (int i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "10.100.%d.9", i);
		assert_int_equal(fib(st, p)->type, RTR_ADJ_NOROUTE);
	}
	assert_int_equal(st->tables->n_routes4, r0 + 70 + 3);
	rtr_down(st);
}

/* More routes than max-routes: the ones that do not fit are counted as
 * route errors and leave nothing behind; deleting some makes room again
 * (route records reused). */
static void
test_apply_table_full(void **state)
{
	const char *saved = yaml;
	static struct nlb x;
	struct rtr_state *st;
	uint32_t r0, fitted;
	uint64_t errs;
	char p[32];

	(void)state;
	yaml = "name: r1\n"
	       "class: router\n"
	       "max-routes: 16\n"
	       "interfaces:\n"
	       "  - {name: lan, port: p0, addresses: [10.0.1.1/24]}\n"
	       "  - {name: wan, port: p1, addresses: [10.0.2.1/24]}\n";
	st = rtr_up("127.0.0.1:0");
	r0 = st->tables->n_routes4;
	memset(&x, 0, sizeof(x));
	nexthop(&x, 13, "10.0.2.2", 2);
	feed(st, &x);
	for (int k = 0; k < 20; k++) { /* 20 x 120 routes: well over the FIB */
		for (int i = 0; i < 120; i++) {
			snprintf(p, sizeof(p), "10.%d.%d.0", 100 + k, i);
			route_nhid(&x, p, 24, 13);
		}
		feed(st, &x);
	}
	errs = fpm_ctr(st, "route-errors");
	fitted = st->tables->n_routes4 - r0;
	assert_true(errs > 0);
	assert_int_equal(fitted + errs, 20 * 120);
	assert_int_equal(fpm_ctr(st, "routes-set"), fitted);
	/* the last one did not fit: no RIB entry left for it */
	{
		json_t *j = route_json(st, "10.119.119.0/24");

		assert_int_equal(json_array_size(j), 0);
		json_decref(j);
	}
	/* delete 100 that fitted, add 100 new ones: they fit */
	for (int i = 0; i < 100; i++) {
		snprintf(p, sizeof(p), "10.100.%d.0", i);
		route_gw(&x, RTM_DELROUTE, p, 24, NULL, 0);
	}
	feed(st, &x);
	assert_int_equal(st->tables->n_routes4, r0 + fitted - 100);
	for (int i = 0; i < 100; i++) {
		snprintf(p, sizeof(p), "10.200.%d.0", i);
		route_nhid(&x, p, 24, 13);
	}
	feed(st, &x);
	assert_int_equal(fpm_ctr(st, "route-errors"), errs);
	assert_int_equal(st->tables->n_routes4, r0 + fitted);
	assert_int_equal(fib(st, "10.200.99.1")->type, RTR_ADJ_GW);
	rtr_down(st);
	yaml = saved;
}

/* the frame at s and the one after it made one frame (two netlink messages) */
static void
join_frames(struct nlb *x, size_t s)
{
	size_t l1 = (size_t)x->b[s + 2] << 8 | x->b[s + 3], s2 = s + l1;
	size_t l2 = (size_t)x->b[s2 + 2] << 8 | x->b[s2 + 3];

	memmove(x->b + s2, x->b + s2 + 4, l2 - 4);
	x->len -= 4;
	x->b[s + 2] = (uint8_t)((l1 + l2 - 4) >> 8);
	x->b[s + 3] = (uint8_t)(l1 + l2 - 4);
}

/* zebra's dplane_fpm_nl sends a route update as RTM_DELROUTE and
 * RTM_NEWROUTE in one frame (seen when a second BGP neighbour made an ECMP
 * set, tests/system/test_frr_lab.py): both are read, the route stays. */
static void
test_frame_with_two_messages(void **state)
{
	struct rtr_state *st = rtr_up("127.0.0.1:0");
	struct nlb x = {0};
	const struct rtr_adj *a;
	uint32_t ids[2] = {22, 29}, bad = 0x7fff;
	size_t s, l1;
	char b[64];

	(void)state;
	nexthop(&x, 22, "10.0.2.2", 2);
	route_nhid(&x, "10.82.30.0", 24, 22);
	feed(st, &x);
	assert_string_equal(gw(st, fib(st, "10.82.30.1"), 0, b), "10.0.2.2");
	nexthop(&x, 29, "10.0.2.3", 2);
	nhgroup(&x, 28, ids, 2);
	s = x.len;
	route_gw(&x, RTM_DELROUTE, "10.82.30.0", 24, NULL, 0);
	route_nhid(&x, "10.82.30.0", 24, 28);
	join_frames(&x, s);
	feed(st, &x);
	a = fib(st, "10.82.30.1");
	assert_int_equal(a->type, RTR_ADJ_GW);
	assert_int_equal(a->n_nh, 2);
	assert_int_equal(fpm_ctr(st, "malformed"), 0);
	/* a message whose length leaves the frame: counted, the frame ends */
	s = x.len;
	l1 = route_nhid(&x, "10.83.0.0", 16, 22);
	route_nhid(&x, "10.84.0.0", 16, 22);
	join_frames(&x, s);
	memcpy(x.b + s + l1, &bad, sizeof(bad)); /* the second nlmsg_len */
	feed(st, &x);
	assert_int_equal(fib(st, "10.83.0.1")->type, RTR_ADJ_GW);
	assert_int_equal(fib(st, "10.84.0.1")->type, RTR_ADJ_NOROUTE);
	assert_true(fpm_ctr(st, "malformed") >= 1);
	rtr_down(st);
}

static void
test_apply_zebra_capture(void **state)
{
	const char *saved = yaml;
	struct rtr_state *st;
	const uint8_t *streams[2] = {fpm_zebra_nhg, fpm_zebra_inline};
	const size_t lens[2] = {sizeof(fpm_zebra_nhg), sizeof(fpm_zebra_inline)};

	(void)state;
	for (int s = 0; s < 2; s++) {
		char b[64];

		/* the capture's subnets: 10.91.2.0/24 on "wan" */
		yaml = "name: r1\n"
		       "class: router\n"
		       "interfaces:\n"
		       "  - {name: lan, port: p0, addresses: [10.91.1.1/24]}\n"
		       "  - {name: wan, port: p1, addresses: [10.91.2.1/24, "
		       "2001:db8:91:2::1/64]}\n";
		st = rtr_up("127.0.0.1:0");
		assert_int_equal(rtr_fpm_feed(st, streams[s], lens[s]), (long)lens[s]);
		assert_string_equal(gw(st, fib(st, "10.99.0.1"), 0, b), "10.91.2.2");
		assert_int_equal(fib(st, "10.97.0.1")->n_nh, 2);
		assert_int_equal(fib(st, "10.98.0.1")->type, RTR_ADJ_BLACKHOLE);
		assert_string_equal(gw(st, fib(st, "2001:db8:99::1"), 0, b), "2001:db8:91:2::2");
		assert_int_equal(fpm_ctr(st, "malformed"), 0);
		rtr_down(st);
	}
	yaml = saved;
}

/* ---------------- a session over a socket ---------------- */

static int
free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static int
zebra_connect(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void
poll_until(struct rtr_state *st, const char *addr, int type)
{
	for (int i = 0; i < 2000 && fib(st, addr)->type != type; i++) {
		rtr_fpm_poll(st);
		usleep(1000);
	}
	assert_int_equal(fib(st, addr)->type, type);
}

static bool
is_stale(struct rtr_state *st, const char *prefix)
{
	json_t *j = route_json(st, prefix);
	bool s = json_is_true(json_object_get(json_array_get(j, 0), "stale"));

	json_decref(j);
	return s;
}

static void
test_session_stale_and_resync(void **state)
{
	char listen[32];
	struct rtr_state *st;
	struct nlb x = {0};
	int port = free_port(), fd;

	(void)state;
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	st = rtr_up(listen);
	nfv_fake.now_ms = 10000;
	fd = zebra_connect(port);
	route_gw(&x, RTM_NEWROUTE, "10.70.0.0", 16, "10.0.2.2", 0);
	route_gw(&x, RTM_NEWROUTE, "10.71.0.0", 16, "10.0.2.2", 0);
	assert_int_equal(write(fd, x.b, x.len), (ssize_t)x.len);
	x.len = 0;
	poll_until(st, "10.71.0.1", RTR_ADJ_GW);
	/* zebra goes away: its routes stay, marked stale */
	close(fd);
	for (int i = 0; i < 2000 && fpm_ctr(st, "sessions-lost") == 0; i++) {
		rtr_fpm_poll(st);
		usleep(1000);
	}
	assert_int_equal(fpm_ctr(st, "stale-marked"), 2);
	assert_true(is_stale(st, "10.70.0.0/16"));
	assert_int_equal(fib(st, "10.70.0.1")->type, RTR_ADJ_GW);
	/* a long time without zebra: still forwarding */
	nfv_fake.now_ms += 3600 * 1000;
	rtr_fpm_poll(st);
	assert_int_equal(fib(st, "10.70.0.1")->type, RTR_ADJ_GW);
	/* zebra is back and resends only one of them */
	fd = zebra_connect(port);
	route_gw(&x, RTM_NEWROUTE, "10.71.0.0", 16, "10.0.2.3", 0);
	assert_int_equal(write(fd, x.b, x.len), (ssize_t)x.len);
	x.len = 0;
	for (int i = 0; i < 2000 && is_stale(st, "10.71.0.0/16"); i++) {
		rtr_fpm_poll(st);
		usleep(1000);
	}
	assert_false(is_stale(st, "10.71.0.0/16"));
	/* resync not complete yet (resync-ms 1000): the other is kept */
	nfv_fake.now_ms += 500;
	rtr_fpm_poll(st);
	assert_int_equal(fib(st, "10.70.0.1")->type, RTR_ADJ_GW);
	assert_int_equal(fpm_ctr(st, "resyncs"), 0);
	/* complete: up resync-ms and quiet: the stale one goes */
	nfv_fake.now_ms += 1000;
	rtr_fpm_poll(st);
	assert_int_equal(fpm_ctr(st, "resyncs"), 1);
	assert_int_equal(fpm_ctr(st, "stale-removed"), 1);
	assert_int_equal(fib(st, "10.70.0.1")->type, RTR_ADJ_NOROUTE);
	assert_int_equal(fib(st, "10.71.0.1")->type, RTR_ADJ_GW);
	/* garbage: the connection is dropped, nothing crashes */
	assert_int_equal(write(fd, "\x07\x01\x00\x10garbagegarbage", 16), 16);
	for (int i = 0; i < 2000 && fpm_ctr(st, "bad-frames") == 0; i++) {
		rtr_fpm_poll(st);
		usleep(1000);
	}
	assert_int_equal(fpm_ctr(st, "bad-frames"), 1);
	assert_int_equal(fpm_ctr(st, "sessions-lost"), 2);
	close(fd);
	rtr_down(st);
	nfv_fake.now_ms = 0;
}

int
main(int argc, char **argv)
{
	char *eal[] = {argv[0],	      "--no-huge",     "-m", "512", "--no-pci",
		       "--no-shconf", "--log-level=4", "-l", "0"};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_v4_v6),
		cmocka_unit_test(test_parse_ecmp_and_types),
		cmocka_unit_test(test_parse_nexthops),
		cmocka_unit_test(test_parse_zebra_capture),
		cmocka_unit_test(test_parse_truncated_and_garbage),
		cmocka_unit_test(test_apply_routes),
		cmocka_unit_test(test_apply_nexthop_groups),
		cmocka_unit_test(test_apply_zebra_capture),
		cmocka_unit_test(test_apply_batches_and_nh_cache),
		cmocka_unit_test(test_apply_table_full),
		cmocka_unit_test(test_frame_with_two_messages),
		cmocka_unit_test(test_session_stale_and_resync),
	};

	(void)argc;
	if (test_eal_init((int)RTE_DIM(eal), eal) < 0)
		return 1;
	nfv_meta_register();
	pool = rte_pktmbuf_pool_create("fpmtest", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	ncfg = calloc(1, sizeof(*ncfg));
	if (pool == NULL || ncfg == NULL)
		return 1;
	nfv_fake.pool = pool;
	ncfg->n_ports = 2;
	snprintf(ncfg->ports[0].name, NFV_NAME_MAX, "p0");
	snprintf(ncfg->ports[1].name, NFV_NAME_MAX, "p1");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
