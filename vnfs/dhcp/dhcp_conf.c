/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd DHCP server - configuration parser (no DPDK: nfvctl validates
 * offline with it). Every problem names file:line:col and the field.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dhcp.h"

static const char *const dhcp_keys[] = {
	/* handled by the model loader */
	"name", "class", "runtime", "vm",
	/* ours */
	"interfaces", "subnets", "options", "lease-file", "lease-sync", "relay", "offer-time",
	"decline-time", "compact-records", NULL};
static const char *const dhcp_if_keys[] = {"port", "vlan", "address", "arp", NULL};
static const char *const dhcp_subnet_keys[] = {"subnet", "pools", "reservations", "options", NULL};
static const char *const dhcp_pool_keys[] = {"range", "exclude", NULL};
static const char *const dhcp_resv_keys[] = {"mac", "client-id", "address", NULL};
static const char *const dhcp_custom_keys[] = {"code", "type", "value", NULL};
static const char *const dhcp_route_keys[] = {"destination", "gateway", NULL};

enum dhcp_vtype {
	DHCP_T_IP,
	DHCP_T_IPS,
	DHCP_T_U8,
	DHCP_T_U16,
	DHCP_T_U32,
	DHCP_T_STRING,
	DHCP_T_HEX,
	DHCP_T_ROUTES,
	DHCP_T_TIME
};

static const char *const dhcp_type_names[] = {"ip",  "ips",    "u8",  "u16",
					      "u32", "string", "hex", NULL};

static const struct {
	const char *name;
	uint8_t code;
	enum dhcp_vtype type;
} dhcp_named[] = {
	{"subnet-mask", DHCP_OPT_SUBNET_MASK, DHCP_T_IP},
	{"routers", DHCP_OPT_ROUTERS, DHCP_T_IPS},
	{"dns-servers", DHCP_OPT_DNS, DHCP_T_IPS},
	{"domain-name", DHCP_OPT_DOMAIN, DHCP_T_STRING},
	{"mtu", DHCP_OPT_MTU, DHCP_T_U16},
	{"broadcast", DHCP_OPT_BROADCAST, DHCP_T_IP},
	{"ntp-servers", DHCP_OPT_NTP, DHCP_T_IPS},
	{"classless-routes", DHCP_OPT_CLASSLESS, DHCP_T_ROUTES},
	{"lease-time", DHCP_OPT_LEASE_TIME, DHCP_T_TIME},
	{"renew-time", DHCP_OPT_T1, DHCP_T_TIME},
	{"rebind-time", DHCP_OPT_T2, DHCP_T_TIME},
};

/* Options the server fills in itself: not settable by code. */
static bool
dhcp_code_reserved(uint64_t code)
{
	return code == 0 || code == 255 || code == DHCP_OPT_MSG_TYPE ||
	       code == DHCP_OPT_SERVER_ID || code == DHCP_OPT_OVERLOAD ||
	       code == DHCP_OPT_RELAY_INFO || code == DHCP_OPT_REQ_ADDR ||
	       code == DHCP_OPT_LEASE_TIME || code == DHCP_OPT_T1 || code == DHCP_OPT_T2;
}

static int
dhcp_node_ip(const struct cfg_node *n, uint32_t *out, struct cfg_errors *err)
{
	struct in_addr a;

	if (n == NULL || n->type != CFG_SCALAR || inet_pton(AF_INET, n->scalar, &a) != 1) {
		cfg_error(err, n, "expected an IPv4 address");
		return -EINVAL;
	}
	*out = ntohl(a.s_addr);
	return 0;
}

static int
dhcp_put(struct dhcp_opt *o, const void *p, size_t n, const struct cfg_node *at,
	 struct cfg_errors *err)
{
	if (o->len + n > 255) {
		cfg_error(err, at, "option value longer than 255 bytes");
		return -EINVAL;
	}
	memcpy(o->data + o->len, p, n);
	o->len = (uint8_t)(o->len + n);
	return 0;
}

static int
dhcp_put_ip(struct dhcp_opt *o, const struct cfg_node *n, struct cfg_errors *err)
{
	uint32_t a;

	if (dhcp_node_ip(n, &a, err) != 0)
		return -EINVAL;
	a = htonl(a);
	return dhcp_put(o, &a, 4, n, err);
}

static int
dhcp_parse_hex(const char *s, struct dhcp_opt *o)
{
	o->len = 0;
	while (*s) {
		unsigned int v;

		if (*s == ':' || *s == '-' || *s == ' ') {
			s++;
			continue;
		}
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]) ||
		    sscanf(s, "%2x", &v) != 1 || o->len == 255)
			return -EINVAL;
		o->data[o->len++] = (uint8_t)v;
		s += 2;
	}
	return o->len > 0 ? 0 : -EINVAL;
}

/* RFC 1035 2.3.1 / RFC 1123 2.1 host name syntax: labels of letters,
 * digits and hyphens (not first or last; '_' tolerated, as resolvers do),
 * 1..63 each, one dot between them, an optional final dot, 253 in all */
static bool
dhcp_domain_ok(const uint8_t *d, size_t n)
{
	size_t label = 0;

	if (n > 0 && d[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = d[i];

		if (c == '.') {
			if (label == 0 || d[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!(isalnum(c) || c == '_' || (c == '-' && label > 0)) || ++label > 63)
			return false;
	}
	return label > 0 && d[n - 1] != '-';
}

static int
dhcp_opt_value(enum dhcp_vtype t, const struct cfg_node *v, struct dhcp_opt *o,
	       struct cfg_errors *err)
{
	uint64_t x;

	o->len = 0;
	switch (t) {
	case DHCP_T_IP:
		return dhcp_put_ip(o, v, err);
	case DHCP_T_IPS:
		if (v != NULL && v->type == CFG_SCALAR)
			return dhcp_put_ip(o, v, err);
		if (v == NULL || v->type != CFG_SEQ || v->n == 0) {
			cfg_error(err, v, "expected a list of IPv4 addresses");
			return -EINVAL;
		}
		for (size_t i = 0; i < v->n; i++)
			if (dhcp_put_ip(o, v->items[i], err) != 0)
				return -EINVAL;
		return 0;
	case DHCP_T_U8:
	case DHCP_T_U16:
	case DHCP_T_U32:
	case DHCP_T_TIME: {
		uint64_t max = t == DHCP_T_U8 ? 0xff : t == DHCP_T_U16 ? 0xffff : 0xffffffffu;
		uint8_t b[4];
		size_t n = t == DHCP_T_U8 ? 1 : t == DHCP_T_U16 ? 2 : 4;

		if (cfg_node_u64(v, t == DHCP_T_TIME ? 1 : 0, max, &x, err) != 0)
			return -EINVAL;
		for (size_t i = 0; i < n; i++)
			b[i] = (uint8_t)(x >> (8 * (n - 1 - i)));
		return dhcp_put(o, b, n, v, err);
	}
	case DHCP_T_STRING: {
		const char *s;

		if (cfg_node_str(v, &s, err) != 0)
			return -EINVAL;
		if (s[0] == '\0') {
			cfg_error(err, v, "empty string");
			return -EINVAL;
		}
		return dhcp_put(o, s, strlen(s), v, err);
	}
	case DHCP_T_HEX: {
		const char *s;

		if (cfg_node_str(v, &s, err) != 0)
			return -EINVAL;
		if (dhcp_parse_hex(s, o) != 0) {
			cfg_error(err, v, "expected hex bytes like \"01:02:ab\" (1 to 255 bytes)");
			return -EINVAL;
		}
		return 0;
	}
	case DHCP_T_ROUTES:
		if (v == NULL || v->type != CFG_SEQ || v->n == 0) {
			cfg_error(err, v, "expected a list of {destination, gateway}");
			return -EINVAL;
		}
		for (size_t i = 0; i < v->n; i++) {
			const struct cfg_node *r = v->items[i];
			struct cfg_prefix p;
			uint8_t b[5];
			uint32_t gw;

			if (cfg_expect(r, CFG_MAP, err) != 0 ||
			    cfg_check_keys(r, dhcp_route_keys, err) != 0 ||
			    cfg_get_prefix(r, "destination", true, false, &p, err) != 0)
				return -EINVAL;
			if (p.family != AF_INET) {
				cfg_error(err, cfg_map_get(r, "destination"),
					  "expected an IPv4 prefix");
				return -EINVAL;
			}
			if (dhcp_node_ip(cfg_map_get(r, "gateway"), &gw, err) != 0)
				return -EINVAL;
			/* RFC 3442: width, significant octets, router */
			b[0] = p.len;
			if (dhcp_put(o, b, 1, r, err) != 0 ||
			    dhcp_put(o, &p.v4, (p.len + 7u) / 8u, r, err) != 0)
				return -EINVAL;
			gw = htonl(gw);
			if (dhcp_put(o, &gw, 4, r, err) != 0)
				return -EINVAL;
		}
		return 0;
	}
	return -EINVAL;
}

int
dhcp_opt_parse_named(const char *name, const struct cfg_node *v, struct dhcp_opt *o,
		     struct cfg_errors *err)
{
	for (size_t i = 0; i < sizeof(dhcp_named) / sizeof(dhcp_named[0]); i++) {
		if (strcmp(dhcp_named[i].name, name) != 0)
			continue;
		o->code = dhcp_named[i].code;
		if (dhcp_opt_value(dhcp_named[i].type, v, o, err) != 0)
			return -EINVAL;
		if (o->code == DHCP_OPT_DOMAIN && !dhcp_domain_ok(o->data, o->len)) {
			cfg_error(err, v,
				  "not a domain name (RFC 1035: labels of 1 to 63 letters, "
				  "digits or hyphens, separated by single dots, 253 at most)");
			return -EINVAL;
		}
		return 0;
	}
	cfg_error(err, v,
		  "unknown option \"%s\" (known: subnet-mask, routers, dns-servers, "
		  "domain-name, mtu, broadcast, ntp-servers, classless-routes, lease-time, "
		  "renew-time, rebind-time, custom)",
		  name);
	return -EINVAL;
}

static void
dhcp_optset_put(struct dhcp_optset *s, const struct dhcp_opt *o)
{
	for (uint16_t i = 0; i < s->n; i++) {
		if (s->opt[i].code == o->code) {
			s->opt[i] = *o;
			return;
		}
	}
	if (s->n < DHCP_MAX_OPTS)
		s->opt[s->n++] = *o;
}

static uint32_t
dhcp_opt_u32(const struct dhcp_opt *o)
{
	return ((uint32_t)o->data[0] << 24) | ((uint32_t)o->data[1] << 16) |
	       ((uint32_t)o->data[2] << 8) | o->data[3];
}

/* Parse an "options:" mapping into set (on top of what it holds) and the
 * times (0 = not given). */
static int
dhcp_parse_options(const struct cfg_node *map, struct dhcp_optset *set, uint32_t times[3],
		   struct cfg_errors *err)
{
	static struct dhcp_opt o; /* 257 bytes; config parsing is single-threaded */
	int bad = 0;

	if (map == NULL)
		return 0;
	if (cfg_expect(map, CFG_MAP, err) != 0)
		return -EINVAL;
	for (size_t k = 0; k < map->n; k++) {
		const char *name = map->keys[k];
		const struct cfg_node *v = map->items[k];

		if (strcmp(name, "custom") == 0) {
			if (v->type != CFG_SEQ) {
				cfg_error(err, v, "expected a list of {code, type, value}");
				bad = 1;
				continue;
			}
			for (size_t i = 0; i < v->n; i++) {
				const struct cfg_node *c = v->items[i];
				uint32_t code;
				int type;

				if (cfg_expect(c, CFG_MAP, err) != 0 ||
				    cfg_check_keys(c, dhcp_custom_keys, err) != 0 ||
				    cfg_get_u32(c, "code", true, 1, 254, &code, err) != 0 ||
				    cfg_get_enum(c, "type", true, dhcp_type_names, &type, err) !=
					    0) {
					bad = 1;
					continue;
				}
				if (dhcp_code_reserved(code)) {
					cfg_error(err, cfg_map_get(c, "code"),
						  "option %u is set by the server itself", code);
					bad = 1;
					continue;
				}
				if (cfg_map_get(c, "value") == NULL) {
					cfg_error(err, c, "missing field \"value\"");
					bad = 1;
					continue;
				}
				o.code = (uint8_t)code;
				if (dhcp_opt_value((enum dhcp_vtype)type, cfg_map_get(c, "value"),
						   &o, err) != 0) {
					bad = 1;
					continue;
				}
				dhcp_optset_put(set, &o);
			}
			continue;
		}
		if (dhcp_opt_parse_named(name, v, &o, err) != 0) {
			bad = 1;
			continue;
		}
		if (o.code == DHCP_OPT_LEASE_TIME)
			times[0] = dhcp_opt_u32(&o);
		else if (o.code == DHCP_OPT_T1)
			times[1] = dhcp_opt_u32(&o);
		else if (o.code == DHCP_OPT_T2)
			times[2] = dhcp_opt_u32(&o);
		else if (set->n == DHCP_MAX_OPTS) {
			cfg_error(err, v, "more than %d options", DHCP_MAX_OPTS);
			bad = 1;
		} else
			dhcp_optset_put(set, &o);
	}
	return bad ? -EINVAL : 0;
}

/* "a.b.c.d" or "a.b.c.d-e.f.g.h" */
static int
dhcp_node_range(const struct cfg_node *n, struct dhcp_range *r, struct cfg_errors *err)
{
	char buf[64], *dash;
	struct in_addr a, b;

	if (n == NULL || n->type != CFG_SCALAR || strlen(n->scalar) >= sizeof(buf))
		goto bad;
	snprintf(buf, sizeof(buf), "%s", n->scalar);
	dash = strchr(buf, '-');
	if (dash != NULL)
		*dash++ = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1 || inet_pton(AF_INET, dash ? dash : buf, &b) != 1)
		goto bad;
	r->lo = ntohl(a.s_addr);
	r->hi = ntohl(b.s_addr);
	if (r->lo > r->hi) {
		cfg_error(err, n, "range start is above its end");
		return -EINVAL;
	}
	return 0;
bad:
	cfg_error(err, n, "expected an IPv4 address or range \"first-last\"");
	return -EINVAL;
}

static bool
dhcp_in(uint32_t net, uint32_t mask, uint32_t a)
{
	return (a & mask) == net;
}

int
dhcp_conf_subnet(const struct dhcp_conf *c, uint32_t addr)
{
	for (uint16_t i = 0; i < c->n_subnets; i++)
		if (dhcp_in(c->subnets[i].net, c->subnets[i].mask, addr))
			return i;
	return -1;
}

bool
dhcp_subnet_in_pool(const struct dhcp_subnet_conf *s, uint32_t addr)
{
	bool in = false;

	for (uint16_t i = 0; i < s->n_ranges && !in; i++)
		in = addr >= s->ranges[i].lo && addr <= s->ranges[i].hi;
	for (uint16_t i = 0; i < s->n_excl && in; i++)
		in = !(addr >= s->excl[i].lo && addr <= s->excl[i].hi);
	return in;
}

/* usable host address of the subnet */
static bool
dhcp_host_ok(const struct dhcp_subnet_conf *s, uint32_t a)
{
	if (!dhcp_in(s->net, s->mask, a))
		return false;
	if (s->plen >= 31)
		return true;
	return a != s->net && a != (s->net | ~s->mask);
}

/* Where a time option was given: the subnet's options, else the
 * instance's, else the subnet itself. */
static const struct cfg_node *
dhcp_time_node(const struct cfg_node *sub_opts, const struct cfg_node *inst_opts,
	       const struct cfg_node *subnet, const char *name)
{
	const struct cfg_node *n = NULL;

	if (sub_opts != NULL && sub_opts->type == CFG_MAP)
		n = cfg_map_get(sub_opts, name);
	if (n == NULL && inst_opts != NULL && inst_opts->type == CFG_MAP)
		n = cfg_map_get(inst_opts, name);
	return n != NULL ? n : subnet;
}

/* Lease time and T1/T2 of a subnet: RFC 2131 4.4.5 defaults (0.5 and
 * 0.875 of the lease) where they fit; when only one of renew-time /
 * rebind-time is given, the other is derived so that T1 < T2 < lease
 * (rebind halfway between renew and the lease end, or renew at half the
 * rebind time); anything that still breaks T1 < T2 < lease is refused at
 * the option that was given. */
static int
dhcp_subnet_times(struct dhcp_subnet_conf *s, const uint32_t times[3],
		  const struct cfg_node *sub_opts, const struct cfg_node *inst_opts,
		  const struct cfg_node *subnet, struct cfg_errors *err)
{
	uint64_t lt = times[0] ? times[0] : 3600, t1 = times[1], t2 = times[2];
	const char *at = times[1] ? "renew-time" : times[2] ? "rebind-time" : "lease-time";

	if (t1 == 0)
		t1 = lt / 2;
	if (t2 == 0)
		t2 = lt * 7 / 8;
	if (times[1] != 0 && times[2] == 0 && t2 <= t1)
		t2 = t1 + (lt - t1) / 2;
	if (times[1] == 0 && times[2] != 0 && t1 >= t2)
		t1 = t2 / 2;
	if (!(t1 > 0 && t1 < t2 && t2 < lt)) {
		cfg_error(err, dhcp_time_node(sub_opts, inst_opts, subnet, at),
			  "renew-time %llu%s, rebind-time %llu%s, lease-time %llu%s: must be "
			  "0 < renew-time < rebind-time < lease-time",
			  (unsigned long long)t1, times[1] ? "" : " (derived)",
			  (unsigned long long)t2, times[2] ? "" : " (derived)",
			  (unsigned long long)lt, times[0] ? "" : " (default)");
		return -EINVAL;
	}
	s->lease_time = (uint32_t)lt;
	s->t1 = (uint32_t)t1;
	s->t2 = (uint32_t)t2;
	return 0;
}

struct dhcp_pool_at {
	struct dhcp_range r;
	const struct cfg_node *node;
};

static int
dhcp_parse_subnet(const struct nfv_config *cfg, const struct cfg_node *m,
		  struct dhcp_subnet_conf *s, const struct dhcp_optset *gopts,
		  const uint32_t gtimes[3], const struct cfg_node *gopts_node,
		  struct dhcp_pool_at *pools, uint32_t *n_pools, uint64_t *pool_total,
		  struct cfg_errors *err)
{
	const struct cfg_node *seq;
	struct cfg_prefix p;
	uint32_t times[3] = {gtimes[0], gtimes[1], gtimes[2]};
	int bad = 0;

	(void)cfg;
	if (cfg_expect(m, CFG_MAP, err) != 0 || cfg_check_keys(m, dhcp_subnet_keys, err) != 0 ||
	    cfg_get_prefix(m, "subnet", true, false, &p, err) != 0)
		return -EINVAL;
	if (p.family != AF_INET || p.len == 0 || p.len > 32) {
		cfg_error(err, cfg_map_get(m, "subnet"),
			  "expected an IPv4 prefix like 10.0.0.0/24");
		return -EINVAL;
	}
	s->plen = p.len;
	s->mask = p.len == 32 ? 0xffffffffu : ~(0xffffffffu >> p.len);
	s->net = ntohl(p.v4.s_addr) & s->mask;
	s->opts = *gopts;
	if (dhcp_parse_options(cfg_map_get(m, "options"), &s->opts, times, err) != 0)
		bad = 1;
	if (dhcp_subnet_times(s, times, cfg_map_get(m, "options"), gopts_node, m, err) != 0)
		bad = 1;
	/* subnet mask from the prefix unless given */
	{
		struct dhcp_opt o = {.code = DHCP_OPT_SUBNET_MASK, .len = 4};
		bool have = false;
		uint32_t nm = htonl(s->mask);

		for (uint16_t i = 0; i < s->opts.n; i++)
			have |= s->opts.opt[i].code == DHCP_OPT_SUBNET_MASK;
		memcpy(o.data, &nm, 4);
		if (!have && s->opts.n < DHCP_MAX_OPTS) {
			memmove(&s->opts.opt[1], &s->opts.opt[0], s->opts.n * sizeof(o));
			s->opts.opt[0] = o;
			s->opts.n++;
		}
	}

	seq = cfg_map_get(m, "pools");
	if (seq != NULL && cfg_expect(seq, CFG_SEQ, err) != 0)
		return -EINVAL;
	for (size_t i = 0; seq != NULL && i < seq->n; i++) {
		const struct cfg_node *pm = seq->items[i], *ex, *rn;
		struct dhcp_range r;

		if (cfg_expect(pm, CFG_MAP, err) != 0 ||
		    cfg_check_keys(pm, dhcp_pool_keys, err) != 0) {
			bad = 1;
			continue;
		}
		rn = cfg_map_get(pm, "range");
		if (rn == NULL) {
			cfg_error(err, pm, "missing field \"range\"");
			bad = 1;
			continue;
		}
		if (dhcp_node_range(rn, &r, err) != 0) {
			bad = 1;
			continue;
		}
		if (!dhcp_host_ok(s, r.lo) || !dhcp_host_ok(s, r.hi)) {
			cfg_error(err, rn, "pool is outside the subnet %u.%u.%u.%u/%u",
				  s->net >> 24, (s->net >> 16) & 0xff, (s->net >> 8) & 0xff,
				  s->net & 0xff, s->plen);
			bad = 1;
			continue;
		}
		for (uint32_t k = 0; k < *n_pools; k++) {
			if (r.lo <= pools[k].r.hi && pools[k].r.lo <= r.hi) {
				cfg_error(err, rn, "pool overlaps the pool at line %u column %u",
					  pools[k].node->line, pools[k].node->col);
				bad = 1;
				break;
			}
		}
		if (s->n_ranges == DHCP_MAX_RANGES) {
			cfg_error(err, rn, "more than %d pools in a subnet", DHCP_MAX_RANGES);
			bad = 1;
			continue;
		}
		*pool_total += (uint64_t)r.hi - r.lo + 1;
		if (*pool_total > DHCP_MAX_POOL) {
			cfg_error(err, rn, "pools hold more than %u addresses in total",
				  DHCP_MAX_POOL);
			bad = 1;
			continue;
		}
		s->ranges[s->n_ranges++] = r;
		pools[*n_pools].r = r;
		pools[*n_pools].node = rn;
		(*n_pools)++;
		ex = cfg_map_get(pm, "exclude");
		if (ex == NULL)
			continue;
		if (ex->type == CFG_SCALAR) {
			if (s->n_excl < DHCP_MAX_EXCL &&
			    dhcp_node_range(ex, &s->excl[s->n_excl], err) == 0)
				s->n_excl++;
			else
				bad = 1;
			continue;
		}
		if (cfg_expect(ex, CFG_SEQ, err) != 0) {
			bad = 1;
			continue;
		}
		for (size_t k = 0; k < ex->n; k++) {
			if (s->n_excl == DHCP_MAX_EXCL) {
				cfg_error(err, ex->items[k], "more than %d exclusions",
					  DHCP_MAX_EXCL);
				bad = 1;
				break;
			}
			if (dhcp_node_range(ex->items[k], &s->excl[s->n_excl], err) != 0) {
				bad = 1;
				continue;
			}
			if (s->excl[s->n_excl].lo < r.lo || s->excl[s->n_excl].hi > r.hi) {
				cfg_error(err, ex->items[k], "exclusion is outside its pool");
				bad = 1;
				continue;
			}
			s->n_excl++;
		}
	}

	seq = cfg_map_get(m, "reservations");
	if (seq != NULL && cfg_expect(seq, CFG_SEQ, err) != 0)
		return -EINVAL;
	if (seq != NULL && seq->n > 0) {
		s->resv = calloc(seq->n, sizeof(*s->resv));
		if (s->resv == NULL) {
			cfg_error(err, seq, "out of memory");
			return -ENOMEM;
		}
	}
	for (size_t i = 0; seq != NULL && i < seq->n; i++) {
		const struct cfg_node *rm = seq->items[i];
		struct dhcp_resv *r = &s->resv[s->n_resv];
		const struct cfg_node *cid;
		uint8_t mac[6];

		if (cfg_expect(rm, CFG_MAP, err) != 0 ||
		    cfg_check_keys(rm, dhcp_resv_keys, err) != 0) {
			bad = 1;
			continue;
		}
		cid = cfg_map_get(rm, "client-id");
		if ((cid != NULL) == (cfg_map_get(rm, "mac") != NULL)) {
			cfg_error(err, rm,
				  "a reservation needs exactly one of \"mac\" or \"client-id\"");
			bad = 1;
			continue;
		}
		if (cid != NULL) {
			struct dhcp_opt o;

			if (cid->type != CFG_SCALAR || dhcp_parse_hex(cid->scalar, &o) != 0 ||
			    o.len < 2) {
				cfg_error(err, cid,
					  "expected a client id of 2 to %d hex bytes "
					  "(\"01:02:00:00:00:00:01\")",
					  DHCP_CID_MAX);
				bad = 1;
				continue;
			}
			r->key_len = dhcp_cid_key(o.data, o.len, r->key);
		} else {
			if (cfg_get_mac(rm, "mac", true, mac, err) != 0) {
				bad = 1;
				continue;
			}
			/* a client's chaddr is one station's address: a group
			 * (multicast/broadcast) or all-zero MAC is no client */
			if ((mac[0] & 1) || (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0) {
				cfg_error(err, cfg_map_get(rm, "mac"),
					  "reservation mac %02x:%02x:%02x:%02x:%02x:%02x is not a "
					  "unicast station address (multicast, broadcast or zero)",
					  mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
				bad = 1;
				continue;
			}
			r->key[0] = 'h';
			memcpy(r->key + 1, mac, 6);
			r->key_len = 7;
		}
		if (dhcp_node_ip(cfg_map_get(rm, "address"), &r->addr, err) != 0) {
			bad = 1;
			continue;
		}
		if (!dhcp_host_ok(s, r->addr)) {
			cfg_error(err, cfg_map_get(rm, "address"),
				  "reservation is outside its subnet");
			bad = 1;
			continue;
		}
		for (uint32_t k = 0; k < s->n_resv; k++) {
			if (s->resv[k].addr == r->addr ||
			    (s->resv[k].key_len == r->key_len &&
			     memcmp(s->resv[k].key, r->key, r->key_len) == 0)) {
				cfg_error(err, rm,
					  "reservation repeats the address or client of "
					  "reservation %u",
					  k);
				bad = 1;
				break;
			}
		}
		if (!bad)
			s->n_resv++;
	}
	return bad ? -EINVAL : 0;
}

void
dhcp_config_free(void *conf)
{
	struct dhcp_conf *c = conf;

	if (c == NULL)
		return;
	for (uint16_t i = 0; c->subnets != NULL && i < c->n_subnets; i++)
		free(c->subnets[i].resv);
	free(c->subnets);
	free(c);
}

int
dhcp_config_parse(const struct nfv_config *cfg, const struct cfg_node *node, void **conf,
		  struct cfg_errors *err)
{
	const struct cfg_node *seq, *lf;
	struct dhcp_optset *gopts = NULL;
	struct dhcp_pool_at *pools = NULL;
	uint32_t gtimes[3] = {0, 0, 0}, n_pools = 0;
	uint64_t pool_total = 0;
	struct dhcp_conf *c;
	int bad = 0;

	*conf = NULL;
	if (cfg_expect(node, CFG_MAP, err) != 0 || cfg_check_keys(node, dhcp_keys, err) != 0)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	gopts = calloc(1, sizeof(*gopts));
	pools = calloc(DHCP_MAX_SUBNETS * DHCP_MAX_RANGES, sizeof(*pools));
	if (c == NULL || gopts == NULL || pools == NULL) {
		cfg_error(err, node, "out of memory");
		bad = 1;
		goto out;
	}
	lf = cfg_map_get(node, "name");
	if (lf != NULL && lf->type == CFG_SCALAR)
		snprintf(c->name, sizeof(c->name), "%s", lf->scalar);
	c->relay = true;
	c->offer_time = 30;
	c->decline_time = 600;
	c->compact_records = 100000;
	if (cfg_get_bool(node, "relay", false, &c->relay, err) < 0 ||
	    cfg_get_u32(node, "offer-time", false, 1, 3600, &c->offer_time, err) < 0 ||
	    cfg_get_u32(node, "decline-time", false, 0, 86400 * 7, &c->decline_time, err) < 0 ||
	    cfg_get_u32(node, "compact-records", false, 16, 100000000, &c->compact_records, err) <
		    0)
		bad = 1;

	{
		static const char *const syncs[] = {"write", "fdatasync", NULL};
		int sync = 1;

		if (cfg_get_enum(node, "lease-sync", false, syncs, &sync, err) < 0)
			bad = 1;
		c->lease_fsync = sync == 1;
	}
	lf = cfg_map_get(node, "lease-file");
	if (lf != NULL) {
		if (nfv_config_get_path(cfg, node, "lease-file", true, 0, c->lease_file,
					sizeof(c->lease_file), err) != 0) {
			bad = 1;
		} else {
			snprintf(c->lease_file_at, sizeof(c->lease_file_at), "%u:%u: %s", lf->line,
				 lf->col, lf->path);
		}
	}

	/* interfaces */
	seq = cfg_map_get(node, "interfaces");
	if (seq == NULL || seq->type != CFG_SEQ || seq->n == 0 || seq->n > DHCP_MAX_IFS) {
		cfg_error(err, seq ? seq : node,
			  "a DHCP server needs 1 to %d interfaces "
			  "({port, address[, vlan]})",
			  DHCP_MAX_IFS);
		bad = 1;
		seq = NULL;
	}
	for (size_t i = 0; seq != NULL && i < seq->n; i++) {
		const struct cfg_node *im = seq->items[i];
		struct dhcp_if_conf *f = &c->ifs[c->n_ifs];
		struct cfg_prefix p;

		f->arp = true;
		if (cfg_expect(im, CFG_MAP, err) != 0 ||
		    cfg_check_keys(im, dhcp_if_keys, err) != 0 ||
		    nfv_config_get_port(cfg, im, "port", true, &f->port, err) != 0 ||
		    cfg_get_u16(im, "vlan", false, 1, 4094, &f->vlan, err) < 0 ||
		    cfg_get_bool(im, "arp", false, &f->arp, err) < 0 ||
		    cfg_get_prefix(im, "address", true, true, &p, err) != 0) {
			bad = 1;
			continue;
		}
		if (p.family != AF_INET || p.len == 32 || p.len == 0) {
			cfg_error(err, cfg_map_get(im, "address"),
				  "expected an IPv4 interface address like 10.0.0.1/24");
			bad = 1;
			continue;
		}
		f->addr = ntohl(p.v4.s_addr);
		f->plen = p.len;
		/* the replies' source: one host's address (RFC 1812 4.2.2.11),
		 * never a broadcast, loopback or multicast one */
		if (f->addr >= 0xe0000000u || (f->addr >> 24) == 0 || (f->addr >> 24) == 127 ||
		    (p.len <= 30 && (f->addr | (~0u << (32 - p.len))) == ~0u)) {
			cfg_error(err, cfg_map_get(im, "address"),
				  "not a host address (0/8, 127/8, multicast, class E or the "
				  "subnet's broadcast): replies are sent from it");
			bad = 1;
			continue;
		}
		for (uint16_t k = 0; k < c->n_ifs; k++) {
			if (c->ifs[k].port == f->port && c->ifs[k].vlan == f->vlan) {
				cfg_error(err, im, "port and vlan already used by interface %u", k);
				bad = 1;
			}
		}
		c->n_ifs++;
	}

	if (dhcp_parse_options(cfg_map_get(node, "options"), gopts, gtimes, err) != 0)
		bad = 1;

	/* subnets */
	seq = cfg_map_get(node, "subnets");
	if (seq == NULL || seq->type != CFG_SEQ || seq->n == 0 || seq->n > DHCP_MAX_SUBNETS) {
		cfg_error(err, seq ? seq : node, "a DHCP server needs 1 to %d subnets",
			  DHCP_MAX_SUBNETS);
		bad = 1;
		goto out;
	}
	c->subnets = calloc(seq->n, sizeof(*c->subnets));
	if (c->subnets == NULL) {
		cfg_error(err, seq, "out of memory");
		bad = 1;
		goto out;
	}
	for (size_t i = 0; i < seq->n; i++) {
		struct dhcp_subnet_conf *s = &c->subnets[c->n_subnets];
		bool on_if = false;

		if (dhcp_parse_subnet(cfg, seq->items[i], s, gopts, gtimes,
				      cfg_map_get(node, "options"), pools, &n_pools,
				      &pool_total, err) != 0) {
			free(s->resv);
			memset(s, 0, sizeof(*s));
			bad = 1;
			continue;
		}
		for (uint16_t k = 0; k < c->n_subnets; k++) {
			const struct dhcp_subnet_conf *o = &c->subnets[k];
			uint32_t m = s->mask & o->mask;

			if ((s->net & m) == (o->net & m)) {
				cfg_error(err, cfg_map_get(seq->items[i], "subnet"),
					  "subnet overlaps subnets[%u]", k);
				bad = 1;
			}
		}
		for (uint16_t k = 0; k < c->n_ifs; k++) {
			if (!dhcp_in(s->net, s->mask, c->ifs[k].addr))
				continue;
			on_if = true;
			if (dhcp_subnet_in_pool(s, c->ifs[k].addr) || (c->ifs[k].plen != s->plen)) {
				cfg_error(err, cfg_map_get(seq->items[i], "subnet"),
					  "interface %u address is inside a pool or its prefix "
					  "length differs from the subnet's",
					  k);
				bad = 1;
			}
		}
		if (!on_if && !c->relay) {
			cfg_error(err, cfg_map_get(seq->items[i], "subnet"),
				  "subnet is on no interface and relay is off: it can never be "
				  "served");
			bad = 1;
		}
		c->n_subnets++;
	}
out:
	free(gopts);
	free(pools);
	if (bad) {
		dhcp_config_free(c);
		return -EINVAL;
	}
	*conf = c;
	return 0;
}

/* vnf_schema.addresses: the server address of each interface */
static void
dhcp_config_addresses(const void *conf,
		      void (*cb)(void *ctx, uint16_t port, int family, const void *addr,
				 uint8_t plen),
		      void *ctx)
{
	const struct dhcp_conf *c = conf;

	for (uint16_t i = 0; i < c->n_ifs; i++) {
		uint32_t a = htonl(c->ifs[i].addr);

		cb(ctx, c->ifs[i].port, AF_INET, &a, c->ifs[i].plen);
	}
}

/* Where a lease file really is: the real path of the file when it exists,
 * else the real path of its folder and its name (a symlink to a file not
 * made yet followed to where it points); dev/ino when it exists. */
struct dhcp_lf_id {
	char path[PATH_MAX + NAME_MAX + 2];
	bool exists;
	dev_t dev;
	ino_t ino;
};

static void
dhcp_lf_id(const char *file, struct dhcp_lf_id *id)
{
	char cur[PATH_MAX], link[PATH_MAX], dir[PATH_MAX];
	const char *base;
	struct stat sb;
	char *slash;

	memset(id, 0, sizeof(*id));
	if (stat(file, &sb) == 0 && realpath(file, dir) != NULL) {
		snprintf(id->path, sizeof(id->path), "%s", dir);
		id->exists = true;
		id->dev = sb.st_dev;
		id->ino = sb.st_ino;
		return;
	}
	snprintf(cur, sizeof(cur), "%s", file);
	/* a dangling symlink: where it points (at most 40 hops, as the kernel) */
	for (int hops = 0; hops < 40 && lstat(cur, &sb) == 0 && S_ISLNK(sb.st_mode); hops++) {
		ssize_t n = readlink(cur, link, sizeof(link) - 1);

		if (n < 0)
			break;
		link[n] = '\0';
		slash = strrchr(cur, '/');
		if (link[0] == '/' || slash == NULL) {
			snprintf(cur, sizeof(cur), "%s", link);
		} else {
			slash[1] = '\0';
			if (strlen(cur) + strlen(link) >= sizeof(cur))
				break;
			strcat(cur, link);
		}
	}
	slash = strrchr(cur, '/');
	base = slash != NULL ? slash + 1 : cur;
	if (slash == cur)
		snprintf(dir, sizeof(dir), "/");
	else if (slash != NULL)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - cur), cur);
	else
		snprintf(dir, sizeof(dir), ".");
	if (realpath(dir, link) != NULL)
		snprintf(id->path, sizeof(id->path), "%s/%.*s", strcmp(link, "/") ? link : "",
			 (int)NAME_MAX, base); /* (a name is at most NAME_MAX) */
	else
		snprintf(id->path, sizeof(id->path), "%s", cur);
}

static bool
dhcp_lf_same(const struct dhcp_lf_id *a, const struct dhcp_lf_id *b)
{
	return strcmp(a->path, b->path) == 0 ||
	       (a->exists && b->exists && a->dev == b->dev && a->ino == b->ino);
}

/* vnf_schema.config_check: two dhcp instances on one lease file (the same
 * path, the same through ".." or a symlink, a hard link) overwrite each
 * other's journal records, and a restart forgets ACKed leases; a lease file
 * that is another's "<file>.compact" is removed by that one's start. */
static int
dhcp_config_check(const struct nfv_config *cfg, struct cfg_errors *err)
{
	struct dhcp_lf_id *ids;
	int ret = 0;

	ids = calloc(cfg->n_vnfs ? cfg->n_vnfs : 1, sizeof(*ids));
	if (ids == NULL) {
		cfg_error(err, NULL, "out of memory");
		return -ENOMEM;
	}
	for (uint16_t v = 0; v < cfg->n_vnfs; v++) {
		const struct nfv_vnf_conf *vc = &cfg->vnfs[v];
		const struct dhcp_conf *c = vc->conf;

		if (vc->schema != &dhcp_schema || c == NULL || c->lease_file[0] == '\0')
			continue;
		dhcp_lf_id(c->lease_file, &ids[v]);
		for (uint16_t k = 0; k < v; k++) {
			const struct nfv_vnf_conf *ok = &cfg->vnfs[k];
			size_t n = strlen(ids[k].path);

			if (ids[k].path[0] == '\0')
				continue;
			if (dhcp_lf_same(&ids[v], &ids[k])) {
				cfg_error(err, cfg_map_get(vc->node, "lease-file"),
					  "already used by vnfs[%s] (%s)", ok->name, ids[v].path);
				ret = -EINVAL;
				break;
			}
			if (strncmp(ids[v].path, ids[k].path, n) == 0 &&
			    strcmp(ids[v].path + n, ".compact") == 0) {
				cfg_error(err, cfg_map_get(vc->node, "lease-file"),
					  "%s is the compaction file of vnfs[%s]'s lease-file",
					  ids[v].path, ok->name);
				ret = -EINVAL;
				break;
			}
			n = strlen(ids[v].path);
			if (strncmp(ids[k].path, ids[v].path, n) == 0 &&
			    strcmp(ids[k].path + n, ".compact") == 0) {
				cfg_error(err, cfg_map_get(vc->node, "lease-file"),
					  "its compaction file %s.compact is vnfs[%s]'s lease-file",
					  ids[v].path, ok->name);
				ret = -EINVAL;
				break;
			}
		}
	}
	free(ids);
	return ret;
}

struct vnf_schema dhcp_schema = {
	.name = "dhcp",
	.help = "DHCPv4 server (RFC 2131): pools, reservations, options, relay, "
		"crash-safe lease journal",
	.config_parse = dhcp_config_parse,
	.config_free = dhcp_config_free,
	.config_check = dhcp_config_check,
	.addresses = dhcp_config_addresses,
};
VNF_SCHEMA_REGISTER(dhcp_schema)
