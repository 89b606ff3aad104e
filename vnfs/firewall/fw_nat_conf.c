/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd firewall VNF - the "nat:" section of a firewall (NAT44, docs/nat.md):
 * parser and checks (no DPDK). What one firewall's section says is checked
 * here (port ranges, block sizes, pools overlapping each other, duplicate
 * forwards); what spans VNFs (a masquerade address must be an interface's,
 * a pool must be no interface's, a forward's target must be on an
 * interface's subnet) in fw_nat_check(), through the other classes'
 * vnf_schema.addresses hook.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "fw.h"

const char *const fw_nat_filtering_names[] = {"address-and-port-dependent",
					      "endpoint-independent", "address-dependent", NULL};

static const char *const fw_nat_keys[] = {"filtering", "snat", "dnat", "static", NULL};
static const char *const fw_snat_keys[] = {
	"name",	      "in-port", "from",	 "except",		"outside-port",
	"masquerade", "pool",	 "ports",	 "port-block",		"max-per-subscriber",
	"log",	      NULL};
static const char *const fw_dnat_keys[] = {"name", "outside-port", "proto", "address",
					   "port", "to",	   NULL};
static const char *const fw_static_keys[] = {"outside-port", "external", "internal", NULL};

static void
fw_nat_ntop(uint32_t host, char *buf, size_t len)
{
	uint32_t a = htonl(host);

	inet_ntop(AF_INET, &a, buf, (socklen_t)len);
}

/* a single IPv4 address (no prefix length) into host order */
static int
fw_nat_addr(const struct cfg_node *n, uint32_t *out, struct cfg_errors *err)
{
	const char *s;
	struct in_addr a;

	if (cfg_node_str(n, &s, err) < 0)
		return -EINVAL;
	if (inet_pton(AF_INET, s, &a) != 1) {
		cfg_error(err, n, "'%s' is not an IPv4 address (NAT44)", s);
		return -EINVAL;
	}
	*out = ntohl(a.s_addr);
	return 0;
}

/* A list of IPv4 prefixes (or one as a scalar) into pfx[]. */
static int
fw_nat_prefixes(const struct cfg_node *n, struct cfg_prefix *pfx, uint16_t *count,
		struct cfg_errors *err)
{
	const struct cfg_node *const *items = &n;
	size_t cnt = 1;
	int ret = 0;

	if (n->type == CFG_SEQ) {
		items = (const struct cfg_node *const *)n->items;
		cnt = n->n;
	}
	if (cnt == 0 || cnt > FW_NAT_MAX_PFX) {
		cfg_error(err, n, "%zu prefixes; 1 to %d", cnt, FW_NAT_MAX_PFX);
		return -EINVAL;
	}
	for (size_t i = 0; i < cnt; i++) {
		if (cfg_node_prefix(items[i], false, &pfx[i], err) < 0) {
			ret = -EINVAL;
			continue;
		}
		if (pfx[i].family != AF_INET) {
			cfg_error(err, items[i], "an IPv4 prefix is needed (NAT44)");
			ret = -EINVAL;
		}
	}
	*count = (uint16_t)cnt;
	return ret;
}

/* pool: [A, A-B, P/len, ...] */
static int
fw_nat_pool(const struct cfg_node *n, struct fw_snat_conf *r, struct cfg_errors *err)
{
	if (cfg_expect(n, CFG_SEQ, err) < 0)
		return -EINVAL;
	if (n->n == 0) {
		cfg_error(err, n, "an empty pool");
		return -EINVAL;
	}
	for (size_t i = 0; i < n->n; i++) {
		const struct cfg_node *it = n->items[i];
		const char *s;
		char buf[64], *dash;
		struct in_addr a, b;
		uint32_t lo, hi;

		if (cfg_node_str(it, &s, err) < 0)
			return -EINVAL;
		snprintf(buf, sizeof(buf), "%s", s);
		dash = strchr(buf, '-');
		if (dash != NULL) {
			*dash = '\0';
			if (inet_pton(AF_INET, buf, &a) != 1 || inet_pton(AF_INET, dash + 1, &b) != 1) {
				cfg_error(err, it, "'%s': expected A, A-B or PREFIX/LEN (IPv4)", s);
				return -EINVAL;
			}
			lo = ntohl(a.s_addr);
			hi = ntohl(b.s_addr);
			if (lo > hi) {
				cfg_error(err, it, "'%s': range start is above its end", s);
				return -EINVAL;
			}
		} else {
			struct cfg_prefix p;
			const char *why;

			if (cfg_parse_prefix(buf, false, &p, &why) < 0 || p.family != AF_INET) {
				cfg_error(err, it, "'%s': expected A, A-B or PREFIX/LEN (IPv4)", s);
				return -EINVAL;
			}
			lo = ntohl(p.v4.s_addr);
			hi = p.len == 0 ? UINT32_MAX : lo | (uint32_t)((1ull << (32 - p.len)) - 1);
		}
		if ((uint64_t)hi - lo + 1 + r->n_addrs > FW_NAT_MAX_POOL) {
			cfg_error(err, it, "more than %d addresses in the pool", FW_NAT_MAX_POOL);
			return -EINVAL;
		}
		for (uint64_t x = lo; x <= hi; x++) {
			for (uint16_t k = 0; k < r->n_addrs; k++)
				if (r->addrs[k] == x) {
					char t[INET_ADDRSTRLEN];

					fw_nat_ntop((uint32_t)x, t, sizeof(t));
					cfg_error(err, it, "%s is already in this pool", t);
					return -EINVAL;
				}
			r->addrs[r->n_addrs++] = (uint32_t)x;
		}
	}
	return 0;
}

static int
fw_nat_parse_snat(const struct nfv_config *cfg, const struct cfg_node *m, struct fw_snat_conf *r,
		  struct cfg_errors *err)
{
	const struct cfg_node *n;
	uint32_t lo = 1024, hi = 65535, v;
	int ret = 0, rc;

	r->node = m;
	if (cfg_expect(m, CFG_MAP, err) < 0)
		return -EINVAL;
	if (cfg_check_keys(m, fw_snat_keys, err) > 0)
		ret = -EINVAL;
	if (cfg_get_strbuf(m, "name", false, r->name, sizeof(r->name), err) < 0)
		ret = -EINVAL;
	rc = nfv_config_get_port(cfg, m, "in-port", false, &r->in_port, err);
	if (rc < 0)
		ret = -EINVAL;
	r->has_in_port = rc == 0;
	if (nfv_config_get_port(cfg, m, "outside-port", true, &r->outside_port, err) != 0)
		ret = -EINVAL;
	n = cfg_map_get(m, "from");
	if (n == NULL) {
		cfg_error(err, m, "from: the inside source prefixes are required");
		ret = -EINVAL;
	} else if (fw_nat_prefixes(n, r->from, &r->n_from, err) < 0)
		ret = -EINVAL;
	n = cfg_map_get(m, "except");
	if (n != NULL) {
		if (fw_nat_prefixes(n, r->except, &r->n_except, err) < 0)
			ret = -EINVAL;
	} else {
		memcpy(r->except, r->from, sizeof(r->from));
		r->n_except = r->n_from;
	}
	n = cfg_map_get(m, "masquerade");
	if (n != NULL && cfg_map_get(m, "pool") != NULL) {
		cfg_error(err, cfg_map_get(m, "pool"), "a rule takes masquerade or pool, not both");
		ret = -EINVAL;
	} else if (n != NULL) {
		r->masquerade = true;
		r->addr_node = n;
		if (fw_nat_addr(n, &r->addrs[0], err) < 0)
			ret = -EINVAL;
		r->n_addrs = 1;
	} else if ((n = cfg_map_get(m, "pool")) != NULL) {
		r->addr_node = n;
		if (fw_nat_pool(n, r, err) < 0)
			ret = -EINVAL;
	} else {
		cfg_error(err, m, "masquerade (the outside interface's address) or pool is required");
		ret = -EINVAL;
	}
	if (cfg_get_range(m, "ports", false, 1, 65535, &lo, &hi, err) < 0)
		ret = -EINVAL;
	r->port_lo = (uint16_t)lo;
	r->port_hi = (uint16_t)hi;
	rc = cfg_get_u32(m, "port-block", false, 1, 65535, &v, err);
	if (rc < 0)
		ret = -EINVAL;
	else if (rc == 0) {
		r->port_block = v;
		if ((hi - lo + 1) % v != 0) {
			cfg_error(err, cfg_map_get(m, "port-block"),
				  "a block of %u ports does not divide the range %u-%u (%u ports)",
				  v, lo, hi, hi - lo + 1);
			ret = -EINVAL;
		}
	}
	if (cfg_get_u32(m, "max-per-subscriber", false, 1, 65535 * FW_NAT_MAX_POOL,
			&r->max_per_subscriber, err) < 0)
		ret = -EINVAL;
	if (r->port_block && r->max_per_subscriber &&
	    r->max_per_subscriber > r->port_block * FW_NAT_MAX_BLOCKS) {
		cfg_error(err, cfg_map_get(m, "max-per-subscriber"),
			  "more than %d blocks of %u ports per subscriber", FW_NAT_MAX_BLOCKS,
			  r->port_block);
		ret = -EINVAL;
	}
	if (nfv_config_get_path(cfg, m, "log", false, 0, r->log, sizeof(r->log), err) < 0)
		ret = -EINVAL;
	return ret;
}

/* "A:P" or "A" (same port as the rule's) */
static int
fw_nat_parse_to(const struct cfg_node *n, struct fw_dnat_conf *d, struct cfg_errors *err)
{
	const char *s, *colon;
	char buf[64];
	struct in_addr a;
	unsigned long p = d->port;
	char *end;

	if (cfg_node_str(n, &s, err) < 0)
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", s);
	colon = strchr(buf, ':');
	if (colon != NULL) {
		buf[colon - buf] = '\0';
		p = strtoul(colon + 1, &end, 10);
		if (colon[1] == '\0' || *end != '\0' || p < 1 || p > 65535) {
			cfg_error(err, n, "'%s': the port must be 1-65535", s);
			return -EINVAL;
		}
	}
	if (inet_pton(AF_INET, buf, &a) != 1) {
		cfg_error(err, n, "'%s': expected ADDRESS:PORT (IPv4)", s);
		return -EINVAL;
	}
	d->to_addr = ntohl(a.s_addr);
	d->to_port = (uint16_t)p;
	return 0;
}

static int
fw_nat_parse_dnat(const struct nfv_config *cfg, const struct cfg_node *m, struct fw_dnat_conf *d,
		  struct cfg_errors *err)
{
	const char *proto;
	uint16_t port;
	int ret = 0;

	d->node = m;
	if (cfg_expect(m, CFG_MAP, err) < 0)
		return -EINVAL;
	if (cfg_check_keys(m, fw_dnat_keys, err) > 0)
		ret = -EINVAL;
	if (cfg_get_strbuf(m, "name", false, d->name, sizeof(d->name), err) < 0)
		ret = -EINVAL;
	if (nfv_config_get_port(cfg, m, "outside-port", true, &d->outside_port, err) != 0)
		ret = -EINVAL;
	if (cfg_get_str(m, "proto", true, &proto, err) != 0)
		ret = -EINVAL;
	else if (strcasecmp(proto, "tcp") == 0)
		d->proto = IPPROTO_TCP;
	else if (strcasecmp(proto, "udp") == 0)
		d->proto = IPPROTO_UDP;
	else {
		cfg_error(err, cfg_map_get(m, "proto"), "'%s': a port forward is tcp or udp", proto);
		ret = -EINVAL;
	}
	if (cfg_map_get(m, "address") == NULL) {
		cfg_error(err, m, "address: the external address is required");
		ret = -EINVAL;
	} else if (fw_nat_addr(cfg_map_get(m, "address"), &d->addr, err) < 0)
		ret = -EINVAL;
	if (cfg_get_u16(m, "port", true, 1, 65535, &port, err) != 0)
		ret = -EINVAL;
	d->port = port;
	d->to_node = cfg_map_get(m, "to");
	if (d->to_node == NULL) {
		cfg_error(err, m, "to: the inside ADDRESS:PORT is required");
		ret = -EINVAL;
	} else if (fw_nat_parse_to(d->to_node, d, err) < 0)
		ret = -EINVAL;
	return ret;
}

static int
fw_nat_parse_static(const struct nfv_config *cfg, const struct cfg_node *m,
		    struct fw_static_conf *s, struct cfg_errors *err)
{
	int ret = 0;

	s->node = m;
	if (cfg_expect(m, CFG_MAP, err) < 0)
		return -EINVAL;
	if (cfg_check_keys(m, fw_static_keys, err) > 0)
		ret = -EINVAL;
	if (nfv_config_get_port(cfg, m, "outside-port", true, &s->outside_port, err) != 0)
		ret = -EINVAL;
	if (cfg_map_get(m, "external") == NULL || cfg_map_get(m, "internal") == NULL) {
		cfg_error(err, m, "external and internal addresses are required");
		return -EINVAL;
	}
	if (fw_nat_addr(cfg_map_get(m, "external"), &s->external, err) < 0 ||
	    fw_nat_addr(cfg_map_get(m, "internal"), &s->internal, err) < 0)
		ret = -EINVAL;
	return ret;
}

/* Pools overlap no other pool nor a 1:1 external address; forwards and 1:1
 * entries are unique. */
static int
fw_nat_cross(const struct fw_nat_conf *n, struct cfg_errors *err)
{
	char t[INET_ADDRSTRLEN];
	int ret = 0;

	for (uint16_t i = 0; i < n->n_snat; i++) {
		const struct fw_snat_conf *a = &n->snat[i];

		if (a->masquerade)
			continue;
		for (uint16_t j = 0; j < n->n_snat; j++) {
			const struct fw_snat_conf *b = &n->snat[j];

			if (i == j)
				continue;
			for (uint16_t x = 0; x < a->n_addrs; x++)
				for (uint16_t y = 0; y < b->n_addrs; y++)
					if (a->addrs[x] == b->addrs[y] && (j < i || b->masquerade)) {
						fw_nat_ntop(a->addrs[x], t, sizeof(t));
						cfg_error(err, a->addr_node,
							  "pool address %s overlaps snat[%u]'s %s",
							  t, j, b->masquerade ? "masquerade" : "pool");
						return -EINVAL;
					}
		}
		for (uint16_t j = 0; j < n->n_static; j++)
			for (uint16_t x = 0; x < a->n_addrs; x++)
				if (a->addrs[x] == n->statics[j].external) {
					fw_nat_ntop(a->addrs[x], t, sizeof(t));
					cfg_error(err, a->addr_node,
						  "pool address %s is static[%u]'s external address", t,
						  j);
					return -EINVAL;
				}
	}
	for (uint16_t i = 0; i < n->n_dnat; i++)
		for (uint16_t j = 0; j < i; j++)
			if (n->dnat[i].proto == n->dnat[j].proto &&
			    n->dnat[i].addr == n->dnat[j].addr && n->dnat[i].port == n->dnat[j].port) {
				cfg_error(err, n->dnat[i].node, "the same address and port as dnat[%u]",
					  j);
				ret = -EINVAL;
			}
	for (uint16_t i = 0; i < n->n_static; i++)
		for (uint16_t j = 0; j < i; j++)
			if (n->statics[i].external == n->statics[j].external ||
			    n->statics[i].internal == n->statics[j].internal) {
				cfg_error(err, n->statics[i].node,
					  "the same external or internal address as static[%u]", j);
				ret = -EINVAL;
			}
	return ret;
}

#define FW_NAT_SEQ(key, max, arr, cnt, fn)                                                   \
	do {                                                                                 \
		const struct cfg_node *s_ = cfg_map_get(node, key);                          \
		if (s_ == NULL)                                                              \
			break;                                                               \
		if (cfg_expect(s_, CFG_SEQ, err) < 0) {                                      \
			ret = -EINVAL;                                                       \
			break;                                                               \
		}                                                                            \
		if (s_->n > (max)) {                                                         \
			cfg_error(err, s_, "%zu entries; at most %d", s_->n, (max));         \
			ret = -EINVAL;                                                       \
			break;                                                               \
		}                                                                            \
		if (s_->n == 0)                                                              \
			break;                                                               \
		n->arr = calloc(s_->n, sizeof(*n->arr));                                     \
		if (n->arr == NULL)                                                          \
			return -ENOMEM;                                                      \
		n->cnt = (uint16_t)s_->n;                                                    \
		for (size_t i_ = 0; i_ < s_->n; i_++)                                        \
			if (fn(cfg, s_->items[i_], &n->arr[i_], err) < 0)                    \
				ret = -EINVAL;                                               \
	} while (0)

int
fw_nat_parse(const struct nfv_config *cfg, const struct cfg_node *node, struct fw_conf *c,
	     struct cfg_errors *err)
{
	struct fw_nat_conf *n;
	int ret = 0, v = FW_NAT_FILTER_APD;

	if (cfg_expect(node, CFG_MAP, err) < 0)
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	c->nat = n;
	if (cfg_check_keys(node, fw_nat_keys, err) > 0)
		ret = -EINVAL;
	if (cfg_get_enum(node, "filtering", false, fw_nat_filtering_names, &v, err) < 0)
		ret = -EINVAL;
	n->filtering = v;
	FW_NAT_SEQ("snat", FW_NAT_MAX_SNAT, snat, n_snat, fw_nat_parse_snat);
	FW_NAT_SEQ("dnat", FW_NAT_MAX_DNAT, dnat, n_dnat, fw_nat_parse_dnat);
	FW_NAT_SEQ("static", FW_NAT_MAX_STATIC, statics, n_static, fw_nat_parse_static);
	if (ret == 0)
		ret = fw_nat_cross(n, err);
	return ret;
}

void
fw_nat_free(struct fw_nat_conf *n)
{
	if (n == NULL)
		return;
	free(n->snat);
	free(n->dnat);
	free(n->statics);
	free(n);
}

bool
fw_nat_equal(const struct fw_nat_conf *a, const struct fw_nat_conf *b)
{
	if (a->filtering != b->filtering || a->n_snat != b->n_snat || a->n_dnat != b->n_dnat ||
	    a->n_static != b->n_static)
		return false;
	for (uint16_t i = 0; i < a->n_snat; i++) {
		const struct fw_snat_conf *x = &a->snat[i], *y = &b->snat[i];

		if (memcmp(x, y, offsetof(struct fw_snat_conf, node)) != 0)
			return false;
	}
	for (uint16_t i = 0; i < a->n_dnat; i++)
		if (memcmp(&a->dnat[i], &b->dnat[i], offsetof(struct fw_dnat_conf, node)) != 0)
			return false;
	for (uint16_t i = 0; i < a->n_static; i++)
		if (memcmp(&a->statics[i], &b->statics[i], offsetof(struct fw_static_conf, node)) !=
		    0)
			return false;
	return true;
}

/* ---- checks against the other VNFs' interface addresses ---- */
struct fw_nat_ifaddr {
	uint16_t port;
	uint32_t addr; /* host order */
	uint8_t plen;
	const char *vnf;
};

struct fw_nat_ifaddrs {
	size_t n, cap;
	struct fw_nat_ifaddr *a;
	const char *vnf;
	bool oom;
};

static void
fw_nat_collect(void *ctx, uint16_t port, int family, const void *addr, uint8_t plen)
{
	struct fw_nat_ifaddrs *l = ctx;
	uint32_t a;

	if (family != AF_INET)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		void *p = realloc(l->a, cap * sizeof(*l->a));

		if (p == NULL) {
			l->oom = true;
			return;
		}
		l->a = p;
		l->cap = cap;
	}
	memcpy(&a, addr, 4);
	l->a[l->n++] = (struct fw_nat_ifaddr){
		.port = port, .addr = ntohl(a), .plen = plen, .vnf = l->vnf};
}

static bool
fw_nat_in_subnet(const struct fw_nat_ifaddr *i, uint32_t a)
{
	uint32_t mask = i->plen == 0 ? 0 : ~0u << (32 - i->plen);

	return (a & mask) == (i->addr & mask);
}

static int
fw_nat_check_one(const struct nfv_config *cfg, const struct fw_nat_conf *n,
		 const struct fw_nat_ifaddrs *l, struct cfg_errors *err)
{
	char t[INET_ADDRSTRLEN];
	int ret = 0;

	for (uint16_t i = 0; i < n->n_snat; i++) {
		const struct fw_snat_conf *r = &n->snat[i];

		if (r->masquerade) {
			size_t k;

			for (k = 0; k < l->n; k++)
				if (l->a[k].addr == r->addrs[0] && l->a[k].port == r->outside_port)
					break;
			if (k == l->n) {
				fw_nat_ntop(r->addrs[0], t, sizeof(t));
				cfg_error(err, r->addr_node,
					  "%s is not an address of an interface (router or dhcp) on "
					  "outside-port '%s'",
					  t, cfg->ports[r->outside_port].name);
				ret = -EINVAL;
			}
			continue;
		}
		for (uint16_t x = 0; x < r->n_addrs; x++)
			for (size_t k = 0; k < l->n; k++)
				if (l->a[k].addr == r->addrs[x]) {
					fw_nat_ntop(r->addrs[x], t, sizeof(t));
					cfg_error(err, r->addr_node,
						  "pool address %s is the address of an interface of "
						  "'%s' on port '%s' (a pool takes addresses no "
						  "interface has; use masquerade for an interface's)",
						  t, l->a[k].vnf, cfg->ports[l->a[k].port].name);
					ret = -EINVAL;
					x = r->n_addrs - 1;
					break;
				}
	}
	for (uint16_t i = 0; i < n->n_dnat; i++) {
		const struct fw_dnat_conf *d = &n->dnat[i];
		size_t k;

		for (k = 0; k < l->n; k++)
			if (fw_nat_in_subnet(&l->a[k], d->to_addr))
				break;
		if (k == l->n) {
			fw_nat_ntop(d->to_addr, t, sizeof(t));
			cfg_error(err, d->to_node, "%s is on no interface's subnet", t);
			ret = -EINVAL;
		}
	}
	return ret;
}

int
fw_nat_check(const struct nfv_config *cfg, struct cfg_errors *err)
{
	struct fw_nat_ifaddrs l = {0};
	int ret = 0;

	for (uint16_t v = 0; v < cfg->n_vnfs; v++) {
		const struct nfv_vnf_conf *vc = &cfg->vnfs[v];

		if (vc->schema == NULL || vc->schema->addresses == NULL || vc->conf == NULL)
			continue;
		l.vnf = vc->name;
		vc->schema->addresses(vc->conf, fw_nat_collect, &l);
	}
	if (l.oom) {
		free(l.a);
		return -ENOMEM;
	}
	for (uint16_t v = 0; v < cfg->n_vnfs; v++) {
		const struct nfv_vnf_conf *vc = &cfg->vnfs[v];
		const struct fw_conf *c = vc->conf;

		if (vc->schema != &fw_schema || c == NULL || c->nat == NULL)
			continue;
		if (fw_nat_check_one(cfg, c->nat, &l, err) < 0)
			ret = -EINVAL;
	}
	free(l.a);
	return ret;
}
