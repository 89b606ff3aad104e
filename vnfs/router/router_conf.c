/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - configuration parser (no DPDK: nfvctl validates
 * offline with it). Every problem names file:line:col and the field.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "router.h"

const char *const rtr_route_type_names[] = {"unicast", "blackhole", "reject", NULL};

static const char *const rtr_keys[] = {
	/* handled by the model loader */
	"name", "class", "runtime", "vm",
	/* ours */
	"interfaces", "routes", "routes-file", "neighbours", "max-routes", "max-neighbours", "reachable-ms",
	"retrans-ms", "probes", "queue-len", "punt-rate", "icmp-rate", "icmp-burst",
	"neighbour-gc-ms", "fpm", "host-if", "host-punt-rate", "send-redirects",
	"reassembly-timeout-ms", NULL};
static const char *const rtr_fpm_keys[] = {"listen", "resync-ms", NULL};
static const char *const rtr_if_keys[] = {"name", "port", "vlan", "addresses", "mtu", "mac",
					  "link-local", "ra", "host-if", NULL};
static const char *const rtr_ra_keys[] = {
	"prefixes", "router-lifetime", "managed", "other-config", "mtu", "rdnss", "rdnss-lifetime",
	"min-interval", "max-interval", "hop-limit", "reachable-time", "retrans-timer",
	"solicited-unicast", NULL};
static const char *const rtr_ra_prefix_keys[] = {"prefix", "valid-lifetime", "preferred-lifetime",
						 "on-link", "autonomous", NULL};
static const char *const rtr_route_keys[] = {"prefix", "via", "interface", "metric", "type", NULL};
static const char *const rtr_neigh_keys[] = {"address", "mac", "interface", NULL};

static size_t
rtr_addr_bytes(int family)
{
	return family == AF_INET ? 4 : 16;
}

static const uint8_t *
rtr_addr_ptr(const struct cfg_prefix *p)
{
	return p->family == AF_INET ? (const uint8_t *)&p->v4 : (const uint8_t *)&p->v6;
}

bool
rtr_prefix_contains(const struct cfg_prefix *p, const struct cfg_prefix *addr)
{
	const uint8_t *a = rtr_addr_ptr(p), *b = rtr_addr_ptr(addr);
	unsigned int bits = p->len, i;

	if (p->family != addr->family)
		return false;
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (a[i] != b[i])
			return false;
	if (bits == 0)
		return true;
	return ((a[i] ^ b[i]) & (uint8_t)(0xff << (8 - bits))) == 0;
}

void
rtr_prefix_mask(struct cfg_prefix *p)
{
	uint8_t *a = p->family == AF_INET ? (uint8_t *)&p->v4 : (uint8_t *)&p->v6;
	unsigned int n = rtr_addr_bytes(p->family), bits = p->len;

	for (unsigned int i = 0; i < n; i++) {
		if (bits >= 8)
			bits -= 8;
		else {
			a[i] &= (uint8_t)(0xff << (8 - bits));
			bits = 0;
		}
	}
}

const char *
rtr_prefix_str(const struct cfg_prefix *p, bool with_len, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(p->family, rtr_addr_ptr(p), a, sizeof(a));
	if (with_len)
		snprintf(buf, size, "%s/%u", a, p->len);
	else
		snprintf(buf, size, "%s", a);
	return buf;
}

const char *
rtr_hostif_name_check(const char *name)
{
	size_t n = strlen(name);

	if (n == 0)
		return "empty";
	if (n >= RTR_HOSTIF_NAMESZ)
		return "longer than 15 characters (IFNAMSIZ - 1)";
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return "not a usable interface name";
	for (size_t i = 0; i < n; i++) {
		char ch = name[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.'))
			return "holds a character other than A-Z a-z 0-9 _ - .";
	}
	return NULL;
}

/* One value of a true/false switch, or -1 when it is neither (a name) */
static int
rtr_switch_value(const struct cfg_node *n)
{
	static const char *const yes[] = {"true", "yes", "on", NULL};
	static const char *const no[] = {"false", "no", "off", NULL};

	if (n->type != CFG_SCALAR || n->quoted)
		return -1;
	for (size_t i = 0; yes[i] != NULL; i++) {
		if (strcasecmp(n->scalar, yes[i]) == 0)
			return 1;
		if (strcasecmp(n->scalar, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* host-if of interface f (map m): NAME, true (named after the interface),
 * false; absent: all_hostif (the router's host-if: true) */
static int
rtr_parse_hostif(const struct cfg_node *m, bool all_hostif, struct rtr_if_conf *f,
		 const struct rtr_conf *c, struct cfg_errors *err)
{
	const struct cfg_node *n = cfg_map_get(m, "host-if");
	const char *why, *name;
	int sw = n != NULL ? rtr_switch_value(n) : all_hostif ? 1 : 0;

	memset(f->host_if, 0, sizeof(f->host_if));
	if (sw == 0)
		return 0;
	if (sw == 1) {
		why = rtr_hostif_name_check(f->name);
		if (why != NULL) {
			cfg_error(err, n != NULL ? n : m,
				  "interface name \"%s\" cannot name its host interface (%s): "
				  "give host-if: NAME",
				  f->name, why);
			return -EINVAL;
		}
		name = f->name;
	} else {
		if (cfg_node_str(n, &name, err) != 0)
			return -EINVAL;
		why = rtr_hostif_name_check(name);
		if (why != NULL) {
			cfg_error(err, n, "host-if \"%.64s\": %s", name, why);
			return -EINVAL;
		}
	}
	for (uint16_t k = 0; k < c->n_if; k++)
		if (strcmp(c->ifs[k].host_if, name) == 0) {
			cfg_error(err, n != NULL ? n : m,
				  "host-if \"%s\" is already interface \"%s\"'s host interface",
				  name, c->ifs[k].name);
			return -EINVAL;
		}
	snprintf(f->host_if, sizeof(f->host_if), "%s", name);
	return 0;
}

static bool
rtr_is_link_local6(const struct cfg_prefix *p)
{
	return p->family == AF_INET6 && p->v6.s6_addr[0] == 0xfe &&
	       (p->v6.s6_addr[1] & 0xc0) == 0x80;
}

/* An address the router can send from (RFC 1812 4.2.2.11, RFC 4291
 * 2.5.2/2.5.3): one host's unicast address, not its subnet's broadcast */
static bool
rtr_is_host_addr(const struct cfg_prefix *p)
{
	if (p->family == AF_INET) {
		uint32_t a = ntohl(p->v4.s_addr);

		if (a >= 0xe0000000u || (a >> 24) == 0 || (a >> 24) == 127)
			return false;
		return p->len > 30 || (a | (~0u << (32 - p->len))) != ~0u;
	}
	static const uint8_t zero[15];

	return p->v6.s6_addr[0] != 0xff &&
	       !(memcmp(p->v6.s6_addr, zero, 15) == 0 && p->v6.s6_addr[15] <= 1);
}

int
rtr_conf_iface_for(const struct rtr_conf *c, const struct cfg_prefix *addr)
{
	int best = -1, best_len = -1;

	for (uint16_t i = 0; i < c->n_if; i++)
		for (uint16_t k = 0; k < c->ifs[i].n_addr; k++) {
			const struct cfg_prefix *a = &c->ifs[i].addr[k];

			if (rtr_prefix_contains(a, addr) && a->len > best_len) {
				best = i;
				best_len = a->len;
			}
		}
	return best;
}

int
rtr_conf_iface_by_name(const struct rtr_conf *c, const char *name)
{
	for (uint16_t i = 0; i < c->n_if; i++)
		if (strcmp(c->ifs[i].name, name) == 0)
			return i;
	return -1;
}

static bool
rtr_is_own_address(const struct rtr_conf *c, const struct cfg_prefix *addr)
{
	for (uint16_t i = 0; i < c->n_if; i++)
		for (uint16_t k = 0; k < c->ifs[i].n_addr; k++) {
			const struct cfg_prefix *a = &c->ifs[i].addr[k];

			if (a->family == addr->family && memcmp(rtr_addr_ptr(a), rtr_addr_ptr(addr),
								rtr_addr_bytes(a->family)) == 0)
				return true;
		}
	return false;
}

const char *
rtr_route_check(const struct rtr_conf *c, struct rtr_route_conf *r)
{
	static char why[160];
	char b[64];

	if (r->type != RTR_RT_UNICAST) {
		if (r->n_via > 0 || r->iface >= 0)
			return "a blackhole/reject route takes no via or interface";
		return NULL;
	}
	if (r->n_via == 0 && r->iface < 0)
		return "a route needs a next hop (via) or an interface";
	for (uint16_t i = 0; i < r->n_via; i++) {
		const struct cfg_prefix *v = &r->via[i];
		int ifi;

		if (v->family != r->prefix.family)
			return "next hop is not of the prefix's address family";
		if (rtr_is_own_address(c, v)) {
			snprintf(why, sizeof(why),
				 "next hop %s is one of the router's own addresses",
				 rtr_prefix_str(v, false, b, sizeof(b)));
			return why;
		}
		if (rtr_is_link_local6(v)) {
			if (r->iface < 0)
				return "a link-local next hop needs an interface";
			continue;
		}
		ifi = rtr_conf_iface_for(c, v);
		if (ifi < 0 || (r->iface >= 0 && ifi != r->iface)) {
			snprintf(why, sizeof(why), "next hop %s is not on any connected subnet%s",
				 rtr_prefix_str(v, false, b, sizeof(b)),
				 r->iface >= 0 ? " of that interface" : "");
			return why;
		}
	}
	return NULL;
}

static int
rtr_parse_addr_node(const struct cfg_node *n, struct cfg_prefix *out, bool want_host,
		    struct cfg_errors *err)
{
	if (cfg_node_prefix(n, true, out, err) != 0)
		return -EINVAL;
	if (want_host && out->len != (out->family == AF_INET ? 32 : 128)) {
		cfg_error(err, n, "expected an address without prefix length");
		return -EINVAL;
	}
	return 0;
}

/* ---- ra: IPv6 router advertisements on an interface (RFC 4861 6.2.1) ----
 * Checked here (so nfvctl validate refuses the same): intervals within the
 * RFC's bounds, router lifetime 0 or max-interval..9000 s, preferred <=
 * valid, an autonomous prefix is a /64, each prefix is a subnet of one of
 * the interface's addresses, RDNSS servers are unicast addresses. */
#define RTR_RA_MAX_INTERVAL_MAX 1800 /* s, RFC 4861 6.2.1 */
#define RTR_RA_MAX_INTERVAL_MIN 4
#define RTR_RA_MIN_INTERVAL_MIN 3
#define RTR_RA_ROUTER_LIFETIME_MAX 9000

/* A lifetime in seconds or "infinite"; same convention as cfg_get_u32 */
static int
rtr_get_lifetime(const struct cfg_node *map, const char *key, uint32_t *out,
		 struct cfg_errors *err)
{
	const struct cfg_node *n = cfg_map_get(map, key);

	if (n == NULL)
		return 1;
	if (n->type == CFG_SCALAR && strcmp(n->scalar, "infinite") == 0) {
		*out = RTR_RA_INFINITE;
		return 0;
	}
	return cfg_get_u32(map, key, false, 0, RTR_RA_INFINITE, out, err);
}

static bool
rtr_ra_prefix_on_if(const struct rtr_if_conf *f, const struct cfg_prefix *p)
{
	for (uint16_t k = 0; k < f->n_addr; k++) {
		struct cfg_prefix a = f->addr[k];

		if (a.family != AF_INET6)
			continue;
		rtr_prefix_mask(&a);
		if (a.len <= p->len && rtr_prefix_contains(&a, p))
			return true;
	}
	return false;
}

static int
rtr_parse_ra_prefixes(const struct cfg_node *seq, struct rtr_if_conf *f, struct cfg_errors *err)
{
	struct rtr_ra_conf *ra = &f->ra;
	int rc = 0;

	if (cfg_expect(seq, CFG_SEQ, err) != 0)
		return -EINVAL;
	if (seq->n > RTR_RA_MAX_PREFIXES) {
		cfg_error(err, seq, "at most %d prefixes", RTR_RA_MAX_PREFIXES);
		return -EINVAL;
	}
	for (size_t i = 0; i < seq->n; i++) {
		const struct cfg_node *m = seq->items[i];
		struct rtr_ra_prefix *p = &ra->prefix[ra->n_prefix];
		char b[64];

		if (cfg_expect(m, CFG_MAP, err) != 0) {
			rc = -EINVAL;
			continue;
		}
		if (cfg_check_keys(m, rtr_ra_prefix_keys, err) > 0)
			rc = -EINVAL;
		if (cfg_get_prefix(m, "prefix", true, false, &p->prefix, err) != 0) {
			rc = -EINVAL;
			continue;
		}
		p->valid = 2592000;    /* AdvValidLifetime: 30 days */
		p->preferred = 604800; /* AdvPreferredLifetime: 7 days */
		p->on_link = true;
		p->autonomous = p->prefix.len == 64;
		if (rtr_get_lifetime(m, "valid-lifetime", &p->valid, err) < 0 ||
		    rtr_get_lifetime(m, "preferred-lifetime", &p->preferred, err) < 0 ||
		    cfg_get_bool(m, "on-link", false, &p->on_link, err) < 0 ||
		    cfg_get_bool(m, "autonomous", false, &p->autonomous, err) < 0) {
			rc = -EINVAL;
			continue;
		}
		if (p->prefix.family != AF_INET6 || p->prefix.len == 0 ||
		    p->prefix.v6.s6_addr[0] == 0xff || rtr_is_link_local6(&p->prefix)) {
			cfg_error(err, cfg_map_get(m, "prefix"),
				  "%s is not an IPv6 unicast prefix to advertise",
				  rtr_prefix_str(&p->prefix, true, b, sizeof(b)));
			rc = -EINVAL;
			continue;
		}
		if (!rtr_ra_prefix_on_if(f, &p->prefix)) {
			cfg_error(err, cfg_map_get(m, "prefix"),
				  "%s is not a subnet of an address of interface \"%s\"",
				  rtr_prefix_str(&p->prefix, true, b, sizeof(b)), f->name);
			rc = -EINVAL;
		}
		if (p->preferred > p->valid) {
			cfg_error(err, cfg_map_get(m, "preferred-lifetime"),
				  "preferred-lifetime %u exceeds valid-lifetime %u (RFC 4862 5.5.3)",
				  p->preferred, p->valid);
			rc = -EINVAL;
		}
		if (p->autonomous && p->prefix.len != 64) {
			cfg_error(err,
				  cfg_map_get(m, "autonomous") ? cfg_map_get(m, "autonomous")
							       : cfg_map_get(m, "prefix"),
				  "an autonomous (SLAAC) prefix must be a /64, not /%u (RFC 4862 "
				  "5.5.3, 64-bit interface identifiers); set autonomous: false",
				  p->prefix.len);
			rc = -EINVAL;
		}
		for (uint16_t k = 0; k < ra->n_prefix; k++)
			if (ra->prefix[k].prefix.len == p->prefix.len &&
			    memcmp(&ra->prefix[k].prefix.v6, &p->prefix.v6, 16) == 0) {
				cfg_error(err, cfg_map_get(m, "prefix"), "%s is listed twice",
					  rtr_prefix_str(&p->prefix, true, b, sizeof(b)));
				rc = -EINVAL;
			}
		ra->n_prefix++;
	}
	return rc;
}

/* Without prefixes: each IPv6 address's subnet, on-link, autonomous when /64 */
static void
rtr_ra_default_prefixes(struct rtr_if_conf *f)
{
	struct rtr_ra_conf *ra = &f->ra;

	for (uint16_t k = 0; k < f->n_addr && ra->n_prefix < RTR_RA_MAX_PREFIXES; k++) {
		struct rtr_ra_prefix *p = &ra->prefix[ra->n_prefix];

		if (f->addr[k].family != AF_INET6)
			continue;
		p->prefix = f->addr[k];
		rtr_prefix_mask(&p->prefix);
		p->valid = 2592000;
		p->preferred = 604800;
		p->on_link = true;
		p->autonomous = p->prefix.len == 64;
		ra->n_prefix++;
	}
}

static int
rtr_parse_ra(const struct cfg_node *m, struct rtr_if_conf *f, struct cfg_errors *err)
{
	struct rtr_ra_conf *ra = &f->ra;
	const struct cfg_node *n;
	uint32_t max_s = 600, min_s = 0, life = 0, v;
	bool mtu_on = false;
	int rc = 0;

	if (cfg_expect(m, CFG_MAP, err) != 0)
		return -EINVAL;
	if (cfg_check_keys(m, rtr_ra_keys, err) > 0)
		rc = -EINVAL;
	ra->enabled = true;
	ra->hop_limit = 64; /* AdvCurHopLimit: the Internet's default TTL */
	if (cfg_get_u32(m, "max-interval", false, RTR_RA_MAX_INTERVAL_MIN, RTR_RA_MAX_INTERVAL_MAX,
			&max_s, err) < 0)
		return -EINVAL;
	/* MinRtrAdvInterval: 3 s .. 0.75 * Max; default 0.33 * Max (Max >= 9
	 * s), else 0.75 * Max (the RFC says Max, above its own bound) */
	min_s = max_s >= 9 ? max_s / 3 : max_s * 3 / 4;
	if (min_s < RTR_RA_MIN_INTERVAL_MIN)
		min_s = RTR_RA_MIN_INTERVAL_MIN;
	n = cfg_map_get(m, "min-interval");
	if (n != NULL) {
		if (cfg_get_u32(m, "min-interval", false, 0, UINT32_MAX, &min_s, err) < 0)
			return -EINVAL;
		if (min_s < RTR_RA_MIN_INTERVAL_MIN || min_s * 4 > max_s * 3) {
			cfg_error(err, n,
				  "min-interval %u is out of 3..%u s (0.75 * max-interval %u, RFC "
				  "4861 6.2.1)",
				  min_s, max_s * 3 / 4, max_s);
			rc = -EINVAL;
		}
	}
	ra->max_interval_ms = max_s * 1000;
	ra->min_interval_ms = min_s * 1000;
	life = 3 * max_s; /* AdvDefaultLifetime */
	n = cfg_map_get(m, "router-lifetime");
	if (n != NULL) {
		if (cfg_get_u32(m, "router-lifetime", false, 0, UINT32_MAX, &life, err) < 0)
			return -EINVAL;
		if (life != 0 && (life < max_s || life > RTR_RA_ROUTER_LIFETIME_MAX)) {
			cfg_error(err, n,
				  "router-lifetime %u must be 0 (not a default router) or %u..%u s "
				  "(max-interval..9000, RFC 4861 6.2.1)",
				  life, max_s, RTR_RA_ROUTER_LIFETIME_MAX);
			rc = -EINVAL;
		}
	}
	ra->router_lifetime = (uint16_t)(life > 65535 ? 65535 : life);
	v = ra->hop_limit;
	if (cfg_get_bool(m, "managed", false, &ra->managed, err) < 0 ||
	    cfg_get_bool(m, "other-config", false, &ra->other, err) < 0 ||
	    cfg_get_bool(m, "solicited-unicast", false, &ra->solicited_unicast, err) < 0 ||
	    cfg_get_u32(m, "hop-limit", false, 0, 255, &v, err) < 0 ||
	    cfg_get_u32(m, "reachable-time", false, 0, 3600000, &ra->reachable_ms, err) < 0 ||
	    cfg_get_u32(m, "retrans-timer", false, 0, UINT32_MAX, &ra->retrans_ms, err) < 0)
		rc = -EINVAL;
	ra->hop_limit = (uint8_t)v;
	n = cfg_map_get(m, "mtu");
	if (n != NULL && n->type == CFG_SCALAR &&
	    (strcmp(n->scalar, "true") == 0 || strcmp(n->scalar, "false") == 0)) {
		if (cfg_get_bool(m, "mtu", false, &mtu_on, err) < 0)
			rc = -EINVAL;
		ra->mtu = mtu_on ? f->mtu : 0;
	} else if (n != NULL) {
		if (cfg_get_u32(m, "mtu", false, 1280, f->mtu < 1280 ? 1280 : f->mtu, &ra->mtu,
				err) < 0)
			rc = -EINVAL;
	}
	if (f->mtu < 1280) {
		cfg_error(err, m, "an interface that sends router advertisements needs mtu >= 1280");
		rc = -EINVAL;
	}
	n = cfg_map_get(m, "prefixes");
	if (n != NULL) {
		if (rtr_parse_ra_prefixes(n, f, err) != 0)
			rc = -EINVAL;
	} else {
		rtr_ra_default_prefixes(f);
	}
	n = cfg_map_get(m, "rdnss");
	if (n != NULL && cfg_expect(n, CFG_SEQ, err) != 0) {
		rc = -EINVAL;
		n = NULL;
	}
	if (n != NULL && n->n > RTR_RA_MAX_RDNSS) {
		cfg_error(err, n, "at most %d RDNSS servers", RTR_RA_MAX_RDNSS);
		rc = -EINVAL;
		n = NULL;
	}
	for (size_t k = 0; n != NULL && k < n->n; k++) {
		struct cfg_prefix a;
		char b[64];

		if (rtr_parse_addr_node(n->items[k], &a, true, err) != 0) {
			rc = -EINVAL;
			continue;
		}
		if (a.family != AF_INET6 || !rtr_is_host_addr(&a)) {
			cfg_error(err, n->items[k], "%s is not an IPv6 unicast address",
				  rtr_prefix_str(&a, false, b, sizeof(b)));
			rc = -EINVAL;
			continue;
		}
		memcpy(ra->rdnss[ra->n_rdnss++], &a.v6, 16);
	}
	/* RFC 8106 5.1: by default at least 3 * MaxRtrAdvInterval; below
	 * max-interval the servers would expire between two adverts */
	ra->rdnss_lifetime = 3 * max_s;
	n = cfg_map_get(m, "rdnss-lifetime");
	if (n != NULL) {
		if (rtr_get_lifetime(m, "rdnss-lifetime", &ra->rdnss_lifetime, err) < 0)
			rc = -EINVAL;
		else if (ra->rdnss_lifetime != 0 && ra->rdnss_lifetime < max_s) {
			cfg_error(err, n,
				  "rdnss-lifetime %u is below max-interval %u: the servers would "
				  "expire between adverts (RFC 8106 5.1; 0 withdraws them)",
				  ra->rdnss_lifetime, max_s);
			rc = -EINVAL;
		}
	}
	return rc;
}

static int
rtr_parse_ifaces(const struct nfv_config *cfg, const struct cfg_node *seq, bool all_hostif,
		 struct rtr_conf *c, struct cfg_errors *err)
{
	int rc = 0;

	if (cfg_expect(seq, CFG_SEQ, err) != 0)
		return -EINVAL;
	if (seq->n == 0 || seq->n > RTR_MAX_IF) {
		cfg_error(err, seq, "a router needs 1 to %d interfaces", RTR_MAX_IF);
		return -EINVAL;
	}
	for (size_t i = 0; i < seq->n; i++) {
		const struct cfg_node *m = seq->items[i], *addrs, *n;
		struct rtr_if_conf *f = &c->ifs[c->n_if];
		uint16_t n4 = 0, n6 = 0;
		bool has_v6 = false;
		int ret;

		if (cfg_expect(m, CFG_MAP, err) != 0) {
			rc = -EINVAL;
			continue;
		}
		if (cfg_check_keys(m, rtr_if_keys, err) > 0)
			rc = -EINVAL;
		if (nfv_config_get_port(cfg, m, "port", true, &f->port, err) != 0) {
			rc = -EINVAL;
			continue;
		}
		f->vlan = 0;
		if (cfg_get_u16(m, "vlan", false, 1, 4094, &f->vlan, err) < 0)
			rc = -EINVAL;
		f->mtu = 1500;
		if (cfg_get_u16(m, "mtu", false, 68, 9578, &f->mtu, err) < 0)
			rc = -EINVAL;
		ret = cfg_get_unicast_mac(m, "mac", false, "an interface", f->mac, err);
		if (ret == 0)
			f->has_mac = true;
		else if (ret < 0)
			rc = -EINVAL;
		if (f->vlan != 0)
			snprintf(f->name, sizeof(f->name), "%.20s.%u", cfg->ports[f->port].name,
				 f->vlan);
		else
			snprintf(f->name, sizeof(f->name), "%s", cfg->ports[f->port].name);
		if (cfg_get_strbuf(m, "name", false, f->name, sizeof(f->name), err) < 0)
			rc = -EINVAL;
		if (rtr_parse_hostif(m, all_hostif, f, c, err) != 0)
			rc = -EINVAL;
		for (uint16_t k = 0; k < c->n_if; k++) {
			if (strcmp(c->ifs[k].name, f->name) == 0) {
				cfg_error(err, m, "interface name \"%s\" is used twice", f->name);
				rc = -EINVAL;
			}
			if (c->ifs[k].port == f->port && c->ifs[k].vlan == f->vlan) {
				cfg_error(err, m,
					  "port %s vlan %u already belongs to interface \"%s\"",
					  cfg->ports[f->port].name, f->vlan, c->ifs[k].name);
				rc = -EINVAL;
			}
		}
		addrs = cfg_map_get(m, "addresses");
		if (addrs != NULL && cfg_expect(addrs, CFG_SEQ, err) != 0) {
			rc = -EINVAL;
			addrs = NULL;
		}
		for (size_t k = 0; addrs != NULL && k < addrs->n; k++) {
			struct cfg_prefix a = {0};
			char b[64];

			if (rtr_parse_addr_node(addrs->items[k], &a, false, err) != 0) {
				rc = -EINVAL;
				continue;
			}
			if ((a.family == AF_INET ? n4 : n6) >= RTR_MAX_ADDRS) {
				cfg_error(err, addrs->items[k], "at most %d addresses per family",
					  RTR_MAX_ADDRS);
				rc = -EINVAL;
				continue;
			}
			if (a.len == 0 || rtr_is_link_local6(&a) || !rtr_is_host_addr(&a)) {
				cfg_error(err, addrs->items[k],
					  "%s is not a usable interface address",
					  rtr_prefix_str(&a, true, b, sizeof(b)));
				rc = -EINVAL;
				continue;
			}
			/* overlaps with any address seen so far (this or other interfaces) */
			for (uint16_t j = 0; j <= c->n_if; j++) {
				const struct rtr_if_conf *o = &c->ifs[j];
				uint16_t na = j == c->n_if ? f->n_addr : o->n_addr;

				for (uint16_t q = 0; q < na; q++) {
					const struct cfg_prefix *p = &o->addr[q];
					char b2[64];

					if (p->family != a.family)
						continue;
					if (!rtr_prefix_contains(p, &a) &&
					    !rtr_prefix_contains(&a, p))
						continue;
					cfg_error(err, addrs->items[k],
						  "address %s overlaps %s on interface \"%s\"",
						  rtr_prefix_str(&a, true, b, sizeof(b)),
						  rtr_prefix_str(p, true, b2, sizeof(b2)),
						  j == c->n_if ? f->name : o->name);
					rc = -EINVAL;
				}
			}
			if (a.family == AF_INET)
				n4++;
			else {
				n6++;
				has_v6 = true;
			}
			f->addr[f->n_addr++] = a;
		}
		n = cfg_map_get(m, "link-local");
		if (n != NULL) {
			struct cfg_prefix a;
			char b[64];

			if (rtr_parse_addr_node(n, &a, true, err) != 0) {
				rc = -EINVAL;
			} else if (!rtr_is_link_local6(&a) || a.v6.s6_addr[1] != 0x80 ||
				   memcmp(a.v6.s6_addr + 2, "\0\0\0\0\0\0", 6) != 0 ||
				   !rtr_is_host_addr(&a)) {
				cfg_error(err, n, "%s is not an fe80::/64 link-local address",
					  rtr_prefix_str(&a, false, b, sizeof(b)));
				rc = -EINVAL;
			} else {
				f->has_ll = true;
				memcpy(f->ll6, &a.v6, 16);
			}
		}
		n = cfg_map_get(m, "ra");
		if (n != NULL && rtr_parse_ra(n, f, err) != 0)
			rc = -EINVAL;
		if (has_v6 && f->mtu < 1280) {
			cfg_error(err, cfg_map_get(m, "mtu"),
				  "an interface with IPv6 addresses needs mtu >= 1280");
			rc = -EINVAL;
		}
		c->n_if++;
	}
	return rc;
}

static int
rtr_get_iface(const struct rtr_conf *c, const struct cfg_node *m, int *out, struct cfg_errors *err)
{
	const char *name;
	int rc = cfg_get_str(m, "interface", false, &name, err);

	*out = -1;
	if (rc != 0)
		return rc < 0 ? rc : 0;
	*out = rtr_conf_iface_by_name(c, name);
	if (*out < 0) {
		cfg_error(err, cfg_map_get(m, "interface"), "no interface named \"%s\"", name);
		return -EINVAL;
	}
	return 0;
}

static int
rtr_parse_routes(const struct cfg_node *seq, struct rtr_conf *c, struct cfg_errors *err)
{
	int rc = 0;

	if (cfg_expect(seq, CFG_SEQ, err) != 0)
		return -EINVAL;
	c->routes = calloc(seq->n ? seq->n : 1, sizeof(*c->routes));
	if (c->routes == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < seq->n; i++) {
		const struct cfg_node *m = seq->items[i], *via;
		struct rtr_route_conf *r = &c->routes[c->n_routes];
		const char *why;
		int type = RTR_RT_UNICAST;
		int bad = 0;

		if (cfg_expect(m, CFG_MAP, err) != 0) {
			rc = -EINVAL;
			continue;
		}
		if (cfg_check_keys(m, rtr_route_keys, err) > 0)
			rc = -EINVAL;
		if (cfg_get_prefix(m, "prefix", true, false, &r->prefix, err) != 0) {
			rc = -EINVAL;
			continue;
		}
		if (cfg_get_enum(m, "type", false, rtr_route_type_names, &type, err) < 0)
			rc = -EINVAL;
		r->type = (uint8_t)type;
		r->metric = 0;
		if (cfg_get_u32(m, "metric", false, 0, UINT32_MAX, &r->metric, err) < 0)
			rc = -EINVAL;
		if (rtr_get_iface(c, m, &r->iface, err) != 0) {
			rc = -EINVAL;
			continue;
		}
		via = cfg_map_get(m, "via");
		if (via != NULL && via->type == CFG_SEQ) {
			if (via->n == 0 || via->n > RTR_MAX_PATHS) {
				cfg_error(err, via, "1 to %d next hops", RTR_MAX_PATHS);
				rc = -EINVAL;
				continue;
			}
			for (size_t k = 0; k < via->n; k++)
				if (rtr_parse_addr_node(via->items[k], &r->via[r->n_via++], true,
							err) != 0)
					bad = -EINVAL;
		} else if (via != NULL) {
			if (rtr_parse_addr_node(via, &r->via[r->n_via++], true, err) != 0)
				bad = -EINVAL;
		}
		if (bad != 0) {
			rc = bad;
			memset(r, 0, sizeof(*r));
			continue;
		}
		why = rtr_route_check(c, r);
		if (why != NULL) {
			cfg_error(err, via != NULL ? via : m, "%s", why);
			rc = -EINVAL;
			continue;
		}
		c->n_routes++;
	}
	return rc;
}

/* ---- routes-file: one route per line, for large tables ----
 *   PREFIX [via ADDR]... [interface|dev NAME] [metric N] [blackhole|reject]
 *   # comment
 * The same fields and checks as a YAML route, read with a hand parser (a
 * million lines in well under a second; the YAML tree would take ~1 min).
 * Errors name the routes file's line:column; at most RTR_FILE_MAX_ERRORS
 * are listed. */
#define RTR_FILE_MAX_ERRORS 20

struct rtr_file_ctx {
	const char *file; /* resolved path */
	const char *path; /* YAML field path, e.g. vnfs[0].routes-file */
	unsigned int line;
	unsigned int n_err;
	struct cfg_errors *err;
};

static void __attribute__((format(printf, 3, 4)))
rtr_file_error(struct rtr_file_ctx *x, uintptr_t col, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (x->n_err++ >= RTR_FILE_MAX_ERRORS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cfg_error_at(x->err, x->file, x->line, (unsigned int)col, x->path, "%s", msg);
}

/* Next blank-separated token of line (NUL-terminated in place); NULL at
 * the end or at a comment. *col gets its 1-based column. */
static char *
rtr_file_token(char **cur, char *line, uintptr_t *col)
{
	char *p = *cur, *tok;

	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	if (*p == '\0' || *p == '#')
		return NULL;
	tok = p;
	while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r')
		p++;
	if (*p != '\0')
		*p++ = '\0';
	*cur = p;
	*col = (uintptr_t)(tok - line) + 1;
	return tok;
}

/* One line into *r; 0 (route), 1 (blank or comment) or -EINVAL (reported). */
static int
rtr_file_line(struct rtr_file_ctx *x, const struct rtr_conf *c, char *line,
	      struct rtr_route_conf *r)
{
	char *cur = line, *tok, *val;
	const char *why;
	uintptr_t col, vcol;

	tok = rtr_file_token(&cur, line, &col);
	if (tok == NULL)
		return 1;
	memset(r, 0, sizeof(*r));
	r->iface = -1;
	r->type = RTR_RT_UNICAST;
	if (cfg_parse_prefix(tok, false, &r->prefix, &why) != 0) {
		rtr_file_error(x, col, "prefix \"%s\": %s", tok, why);
		return -EINVAL;
	}
	while ((tok = rtr_file_token(&cur, line, &col)) != NULL) {
		int t;

		for (t = 0; rtr_route_type_names[t] != NULL; t++)
			if (strcmp(tok, rtr_route_type_names[t]) == 0)
				break;
		if (rtr_route_type_names[t] != NULL) {
			r->type = (uint8_t)t;
			continue;
		}
		val = rtr_file_token(&cur, line, &vcol);
		if (val == NULL) {
			rtr_file_error(x, col, "\"%s\" needs a value", tok);
			return -EINVAL;
		}
		if (strcmp(tok, "via") == 0) {
			struct cfg_prefix *v = &r->via[r->n_via];

			if (r->n_via == RTR_MAX_PATHS) {
				rtr_file_error(x, col, "at most %d next hops",
					       RTR_MAX_PATHS);
				return -EINVAL;
			}
			if (cfg_parse_prefix(val, true, v, &why) != 0 ||
			    v->len != (v->family == AF_INET ? 32 : 128)) {
				rtr_file_error(x, vcol, "via \"%s\": %s", val,
					       why != NULL ? why : "expected an address");
				return -EINVAL;
			}
			r->n_via++;
		} else if (strcmp(tok, "interface") == 0 || strcmp(tok, "dev") == 0) {
			r->iface = rtr_conf_iface_by_name(c, val);
			if (r->iface < 0) {
				rtr_file_error(x, vcol, "no interface named \"%s\"",
					       val);
				return -EINVAL;
			}
		} else if (strcmp(tok, "metric") == 0) {
			char *end;
			unsigned long m;

			errno = 0;
			m = strtoul(val, &end, 10);
			if (errno != 0 || *end != '\0' || val[0] == '-' || m > UINT32_MAX) {
				rtr_file_error(x, vcol,
					       "metric \"%s\": expected 0..4294967295", val);
				return -EINVAL;
			}
			r->metric = (uint32_t)m;
		} else {
			rtr_file_error(x, col,
				       "unknown word \"%s\" (expected via, interface, metric, "
				       "blackhole or reject)",
				       tok);
			return -EINVAL;
		}
	}
	why = rtr_route_check(c, r);
	if (why != NULL) {
		rtr_file_error(x, 1, "%s", why);
		return -EINVAL;
	}
	return 0;
}

#define RTR_ROUTES_FILE_MAX (1024L * 1024 * 1024)

/* Open a routes file for reading without blocking on open (a FIFO would),
 * and only if it is a regular file of at most RTR_ROUTES_FILE_MAX bytes;
 * NULL with *why set otherwise. */
static FILE *
rtr_routes_fopen(const char *file, const char **why)
{
	struct stat sb;
	FILE *f;
	int fd;

	fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		*why = strerror(errno);
		return NULL;
	}
	if (fstat(fd, &sb) != 0)
		*why = strerror(errno);
	else if (!S_ISREG(sb.st_mode))
		*why = "not a regular file";
	else if (sb.st_size > RTR_ROUTES_FILE_MAX)
		*why = "larger than 1 GiB";
	else if ((f = fdopen(fd, "r")) != NULL)
		return f;
	else
		*why = strerror(errno);
	close(fd);
	return NULL;
}

static int
rtr_parse_routes_file(const struct nfv_config *cfg, const struct cfg_node *n, struct rtr_conf *c,
		      struct cfg_errors *err)
{
	struct rtr_file_ctx x = {.path = n->path, .err = err};
	struct rtr_route_conf *routes;
	char file[NFV_PATH_MAX], *text = NULL, *line, *next;
	size_t len = 0, lines = 1;
	const char *why = NULL;
	FILE *f;
	int rc = 0;

	if (cfg_expect(n, CFG_SCALAR, err) != 0)
		return -EINVAL;
	if (n->scalar[0] == '\0') {
		cfg_error(err, n, "empty path");
		return -EINVAL;
	}
	if (nfv_config_path(cfg, n->scalar, file, sizeof(file)) < 0) {
		cfg_error(err, n, "path of %zu characters%s (at most %d)",
			  strlen(n->scalar) +
				  (n->scalar[0] == '/' || cfg->dir[0] == '\0' ? 0
									 : strlen(cfg->dir) + 1),
			  n->scalar[0] == '/' ? "" : " once resolved against the chain file's folder",
			  NFV_PATH_MAX - 1);
		return -EINVAL;
	}
	x.file = file;
	f = rtr_routes_fopen(file, &why);
	if (f == NULL) {
		cfg_error(err, n, "cannot read %s: %s", file, why);
		return -EINVAL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (long)(len = (size_t)ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (text = malloc(len + 1)) == NULL ||
	    fread(text, 1, len, f) != len) {
		cfg_error(err, n, "cannot read %s: %s", file, strerror(errno ? errno : EIO));
		rc = -EINVAL;
		goto close_file;
	}
	text[len] = '\0';
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	routes = realloc(c->routes, (c->n_routes + lines) * sizeof(*routes));
	if (routes == NULL) {
		rc = -ENOMEM;
		goto free_text;
	}
	c->routes = routes;
	for (line = text; line != NULL; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		x.line++;
		switch (rtr_file_line(&x, c, line, &c->routes[c->n_routes])) {
		case 0:
			c->n_routes++;
			break;
		case 1:
			break;
		default:
			rc = -EINVAL;
			break;
		}
	}
	if (x.n_err > RTR_FILE_MAX_ERRORS)
		cfg_error_at(err, file, x.line, 1, n->path, "%u more errors not shown",
			     x.n_err - RTR_FILE_MAX_ERRORS);
free_text:
	free(text);
close_file:
	fclose(f);
	return rc;
}

static int
rtr_parse_neigh(const struct cfg_node *seq, struct rtr_conf *c, struct cfg_errors *err)
{
	int rc = 0;

	if (cfg_expect(seq, CFG_SEQ, err) != 0)
		return -EINVAL;
	c->neigh = calloc(seq->n ? seq->n : 1, sizeof(*c->neigh));
	if (c->neigh == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < seq->n; i++) {
		const struct cfg_node *m = seq->items[i], *a;
		struct rtr_neigh_conf *nc = &c->neigh[c->n_neigh];
		char b[64];
		int ifi;

		if (cfg_expect(m, CFG_MAP, err) != 0) {
			rc = -EINVAL;
			continue;
		}
		if (cfg_check_keys(m, rtr_neigh_keys, err) > 0)
			rc = -EINVAL;
		a = cfg_map_get(m, "address");
		if (a == NULL) {
			cfg_error(err, m, "missing required field \"address\"");
			rc = -EINVAL;
			continue;
		}
		if (rtr_parse_addr_node(a, &nc->addr, true, err) != 0 ||
		    cfg_get_unicast_mac(m, "mac", true, "a neighbour", nc->mac, err) != 0 ||
		    rtr_get_iface(c, m, &nc->iface, err) != 0) {
			rc = -EINVAL;
			continue;
		}
		ifi = rtr_conf_iface_for(c, &nc->addr);
		if (nc->iface < 0)
			nc->iface = ifi;
		if (nc->iface < 0 ||
		    (ifi >= 0 && ifi != nc->iface && !rtr_is_link_local6(&nc->addr))) {
			cfg_error(err, a, "neighbour %s is not on a connected subnet%s",
				  rtr_prefix_str(&nc->addr, false, b, sizeof(b)),
				  nc->iface >= 0 ? " of that interface" : "");
			rc = -EINVAL;
			continue;
		}
		c->n_neigh++;
	}
	return rc;
}

/* fpm: {listen: "ADDR:PORT", resync-ms: N}: ADDR an IPv4 address or an
 * IPv6 one in brackets, PORT 1..65535 */
static int
rtr_parse_fpm(const struct cfg_node *n, struct rtr_conf *c, struct cfg_errors *err)
{
	char host[64];
	const char *colon, *port;
	unsigned char tmp[16];
	char *end;
	unsigned long pn;
	int rc = 0;

	if (cfg_expect(n, CFG_MAP, err) != 0)
		return -EINVAL;
	if (cfg_check_keys(n, rtr_fpm_keys, err) > 0)
		rc = -EINVAL;
	c->fpm_resync_ms = 5000;
	if (cfg_get_u32(n, "resync-ms", false, 100, 600000, &c->fpm_resync_ms, err) < 0)
		rc = -EINVAL;
	if (cfg_get_strbuf(n, "listen", true, c->fpm_listen, sizeof(c->fpm_listen), err) != 0)
		return -EINVAL;
	colon = strrchr(c->fpm_listen, ':');
	port = colon ? colon + 1 : "";
	pn = strtoul(port, &end, 10);
	if (colon == NULL || *port == '\0' || *end != '\0' || pn == 0 || pn > 65535) {
		cfg_error(err, cfg_map_get(n, "listen"),
			  "expected ADDRESS:PORT (127.0.0.1:2620, [::1]:2620), got \"%s\"",
			  c->fpm_listen);
		return -EINVAL;
	}
	snprintf(host, sizeof(host), "%.*s", (int)(colon - c->fpm_listen), c->fpm_listen);
	if (host[0] == '[' && strlen(host) > 2 && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host) - 2);
		host[strlen(host) - 2] = '\0';
		if (inet_pton(AF_INET6, host, tmp) == 1)
			return rc;
	} else if (inet_pton(AF_INET, host, tmp) == 1) {
		return rc;
	}
	cfg_error(err, cfg_map_get(n, "listen"), "\"%s\": not an IPv4 address or [IPv6] address",
		  host);
	return -EINVAL;
}

int
rtr_config_parse(const struct nfv_config *cfg, const struct cfg_node *node, void **conf,
		 struct cfg_errors *err)
{
	struct rtr_conf *c;
	const struct cfg_node *n;
	bool all_hostif = false;
	int rc = 0;

	*conf = NULL;
	if (cfg_expect(node, CFG_MAP, err) != 0)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	if (cfg_check_keys(node, rtr_keys, err) > 0)
		rc = -EINVAL;
	c->max_routes = 65536;
	c->max_neighbours = 4096;
	c->reachable_ms = 30000;
	c->retrans_ms = 1000;
	c->probes = 3;
	c->queue_len = 16;
	c->punt_rate = 20000;
	c->host_punt_rate = 10000;
	c->icmp_rate = 1000;
	c->icmp_burst = 50;
	c->gc_ms = 60000;
	c->reasm_ms = 60000;
	c->redirects = true;
	if (cfg_get_bool(node, "send-redirects", false, &c->redirects, err) < 0)
		rc = -EINVAL;
	if (cfg_get_u32(node, "max-routes", false, 16, 16u << 20, &c->max_routes, err) < 0 ||
	    cfg_get_u32(node, "max-neighbours", false, 16, 1u << 18, &c->max_neighbours, err) < 0 ||
	    cfg_get_u32(node, "reachable-ms", false, 100, 3600000, &c->reachable_ms, err) < 0 ||
	    cfg_get_u32(node, "retrans-ms", false, 10, 60000, &c->retrans_ms, err) < 0 ||
	    cfg_get_u32(node, "probes", false, 1, 100, &c->probes, err) < 0 ||
	    cfg_get_u32(node, "queue-len", false, 0, 1024, &c->queue_len, err) < 0 ||
	    cfg_get_u32(node, "punt-rate", false, 1, 100000000, &c->punt_rate, err) < 0 ||
	    cfg_get_u32(node, "host-punt-rate", false, 1, 100000000, &c->host_punt_rate, err) <
		    0 ||
	    cfg_get_bool(node, "host-if", false, &all_hostif, err) < 0 ||
	    cfg_get_u32(node, "icmp-rate", false, 1, 10000000, &c->icmp_rate, err) < 0 ||
	    cfg_get_u32(node, "icmp-burst", false, 1, 100000, &c->icmp_burst, err) < 0 ||
	    cfg_get_u32(node, "neighbour-gc-ms", false, 0, 86400000, &c->gc_ms, err) < 0 ||
	    cfg_get_u32(node, "reassembly-timeout-ms", false, 100, 120000, &c->reasm_ms, err) < 0)
		rc = -EINVAL;
	n = cfg_map_get(node, "interfaces");
	if (n == NULL) {
		cfg_error(err, node, "a router needs \"interfaces\"");
		rc = -EINVAL;
	} else if (rtr_parse_ifaces(cfg, n, all_hostif, c, err) != 0) {
		rc = -EINVAL;
	}
	n = cfg_map_get(node, "routes");
	if (n != NULL && rtr_parse_routes(n, c, err) != 0)
		rc = -EINVAL;
	n = cfg_map_get(node, "routes-file");
	if (n != NULL && rtr_parse_routes_file(cfg, n, c, err) != 0)
		rc = -EINVAL;
	if (c->n_routes > c->max_routes) {
		cfg_error(err, node, "%u routes exceed max-routes %u (raise max-routes)",
			  c->n_routes, c->max_routes);
		rc = -EINVAL;
	}
	n = cfg_map_get(node, "neighbours");
	if (n != NULL && rtr_parse_neigh(n, c, err) != 0)
		rc = -EINVAL;
	n = cfg_map_get(node, "fpm");
	if (n != NULL && rtr_parse_fpm(n, c, err) != 0)
		rc = -EINVAL;
	if (rc != 0) {
		rtr_config_free(c);
		return rc;
	}
	*conf = c;
	return 0;
}

void
rtr_config_free(void *conf)
{
	struct rtr_conf *c = conf;

	if (c == NULL)
		return;
	free(c->routes);
	free(c->neigh);
	free(c);
}

int
rtr_config_equal(const void *a, const void *b)
{
	const struct rtr_conf *x = a, *y = b;

	if (memcmp(x, y, offsetof(struct rtr_conf, n_routes)) != 0 || x->n_routes != y->n_routes ||
	    x->n_neigh != y->n_neigh ||
	    memcmp(&x->max_routes, &y->max_routes,
		   sizeof(*x) - offsetof(struct rtr_conf, max_routes)) != 0)
		return 0;
	if (x->n_routes && memcmp(x->routes, y->routes, x->n_routes * sizeof(*x->routes)) != 0)
		return 0;
	if (x->n_neigh && memcmp(x->neigh, y->neigh, x->n_neigh * sizeof(*x->neigh)) != 0)
		return 0;
	return 1;
}

/* The node that set interface i's host-if (its own key, else the router's
 * host-if: true, else the interface) */
static const struct cfg_node *
rtr_hostif_node(const struct cfg_node *vnf, size_t i)
{
	const struct cfg_node *ifs = cfg_map_get(vnf, "interfaces"), *n = NULL;

	if (ifs != NULL && ifs->type == CFG_SEQ && i < ifs->n) {
		n = cfg_map_get(ifs->items[i], "host-if");
		if (n == NULL)
			n = cfg_map_get(vnf, "host-if");
		if (n == NULL)
			n = ifs->items[i];
	}
	return n != NULL ? n : vnf;
}

/* Host interface names are the kernel's: one name for one twin across all
 * routers of the file, and none a port's kernel interface (tap,
 * af_packet, af_xdp) */
static int
rtr_cross_check(const struct nfv_config *cfg, struct cfg_errors *err)
{
	int rc = 0;

	for (uint16_t v = 0; v < cfg->n_vnfs; v++) {
		const struct rtr_conf *c = cfg->vnfs[v].conf;

		if (cfg->vnfs[v].schema != &rtr_schema || c == NULL)
			continue;
		for (uint16_t i = 0; i < c->n_if; i++) {
			const char *name = c->ifs[i].host_if;
			const struct cfg_node *at = rtr_hostif_node(cfg->vnfs[v].node, i);

			if (name[0] == '\0')
				continue;
			for (uint16_t p = 0; p < cfg->n_ports; p++)
				if ((cfg->ports[p].driver == NFV_PORT_TAP ||
				     cfg->ports[p].driver == NFV_PORT_AF_PACKET ||
				     cfg->ports[p].driver == NFV_PORT_AF_XDP) &&
				    strcmp(cfg->ports[p].iface, name) == 0) {
					cfg_error(err, at,
						  "host-if \"%s\" is the kernel interface of port %s",
						  name, cfg->ports[p].name);
					rc = -EINVAL;
				}
			for (uint16_t w = 0; w < v; w++) {
				const struct rtr_conf *o = cfg->vnfs[w].conf;

				if (cfg->vnfs[w].schema != &rtr_schema || o == NULL)
					continue;
				for (uint16_t k = 0; k < o->n_if; k++)
					if (strcmp(o->ifs[k].host_if, name) == 0) {
						cfg_error(err, at,
							  "host-if \"%s\" is already the host "
							  "interface of router %s's interface %s",
							  name, cfg->vnfs[w].name, o->ifs[k].name);
						rc = -EINVAL;
					}
			}
		}
	}
	return rc;
}

/* vnf_schema.addresses: every interface address */
static void
rtr_config_addresses(const void *conf,
		     void (*cb)(void *ctx, uint16_t port, int family, const void *addr, uint8_t plen),
		     void *ctx)
{
	const struct rtr_conf *c = conf;

	for (uint16_t i = 0; i < c->n_if; i++)
		for (uint16_t j = 0; j < c->ifs[i].n_addr; j++)
			cb(ctx, c->ifs[i].port, c->ifs[i].addr[j].family,
			   rtr_addr_ptr(&c->ifs[i].addr[j]), c->ifs[i].addr[j].len);
}

struct vnf_schema rtr_schema = {
	.name = "router",
	.help = "IPv4/IPv6 router: interfaces, static routes, ECMP, ARP/ND, ICMP",
	.config_parse = rtr_config_parse,
	.config_free = rtr_config_free,
	.config_equal = rtr_config_equal,
	.config_check = rtr_cross_check,
	.addresses = rtr_config_addresses,
};
VNF_SCHEMA_REGISTER(rtr_schema)
