/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - tables on the control thread: the RIB (every path of
 * every prefix, best metric wins, equal metrics make an ECMP set), the
 * adjacencies the FIB points at, and the neighbour table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "router_fpm_parse.h"
#include "router_rt.h"
#include "router_slab.h"

const char *const rtr_rt_kind_names[] = {"unicast", "blackhole", "reject",
					 "connected", "local", "broadcast"};
const char *const rtr_neigh_state_names[] = {"incomplete", "reachable", "stale", "failed",
					     "static"};

struct rtr_path {
	uint8_t type; /* rtr_route_type or RTR_RT_CONNECTED / LOCAL */
	bool has_via;
	int16_t iface; /* -1: any */
	uint32_t metric;
	uint8_t via[16];
	uint8_t origin; /* enum rtr_origin */
	uint8_t proto;	/* RTR_ORIGIN_FRR: zebra's protocol number */
	bool stale;	/* RTR_ORIGIN_FRR: from a lost FPM session */
	uint8_t pad;
	uint32_t nhid; /* RTR_ORIGIN_FRR: zebra's next-hop id, 0: inline */
};

/* Precedence between paths of one prefix: connected/local/broadcast, then
 * routes of the chain file and nfvctl, then routes from FRR; within a class
 * the lowest metric; equal ones form the ECMP set. */
static uint64_t
rtr_path_rank(const struct rtr_path *p)
{
	uint64_t cls = p->type >= RTR_RT_CONNECTED ? 0 : p->origin == RTR_ORIGIN_FRR ? 2 : 1;

	return cls << 32 | p->metric;
}

/* Paths kept in the entry itself: one (a static or BGP route) or two (an
 * ECMP pair) cost no allocation; more live in a malloc'ed array. */
#define RTR_RIB_INLINE 2

struct rtr_rib_ent {
	struct rtr_rib_ent *next;
	uint32_t hash; /* rtr_rib_hash(addr, len) */
	uint32_t adj;
	uint8_t addr[16];
	uint8_t len;
	uint16_t n_paths;
	uint16_t cap; /* paths' capacity */
	struct rtr_path *paths; /* inl or malloc'ed */
	struct rtr_path inl[RTR_RIB_INLINE];
};

struct rtr_rib {
	int family;
	uint32_t n, mask;
	struct rtr_rib_ent **b;
	struct rtr_slab slab; /* the entries */
};

/* ---------------- RIB (plain hash of prefixes) ---------------- */

static uint32_t
rtr_rib_hash(const uint8_t *addr, uint8_t len)
{
	return rte_hash_crc(addr, 16, len);
}

/* max: the most prefixes it will hold (the FIB's max-routes): the entry
 * slab's cap, and the bucket array is sized for it from the start (calloc
 * of untouched pages: memory only for buckets in use; no rehash of a
 * million entries while they arrive). */
static struct rtr_rib *
rtr_rib_new(int family, uint32_t max)
{
	struct rtr_rib *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->family = family;
	r->mask = 1023;
	while (r->mask < max - 1 && r->mask < (1u << 24) - 1)
		r->mask = r->mask * 2 + 1;
	r->b = calloc(r->mask + 1, sizeof(*r->b));
	if (r->b == NULL || rtr_slab_init(&r->slab, sizeof(struct rtr_rib_ent), max) != 0) {
		free(r->b);
		free(r);
		return NULL;
	}
	return r;
}

static void
rtr_rib_ent_free(struct rtr_rib *r, struct rtr_rib_ent *e)
{
	if (e->paths != e->inl)
		free(e->paths);
	rtr_slab_put(&r->slab, e);
}

static void
rtr_rib_free(struct rtr_rib *r)
{
	if (r == NULL)
		return;
	for (uint32_t i = 0; i <= r->mask; i++)
		for (struct rtr_rib_ent *e = r->b[i]; e != NULL; e = e->next)
			if (e->paths != e->inl)
				free(e->paths);
	rtr_slab_fini(&r->slab);
	free(r->b);
	free(r);
}

static struct rtr_rib_ent *
rtr_rib_find_h(struct rtr_rib *r, uint32_t h, const uint8_t *addr, uint8_t len)
{
	for (struct rtr_rib_ent *e = r->b[h & r->mask]; e; e = e->next)
		if (e->hash == h && e->len == len && memcmp(e->addr, addr, 16) == 0)
			return e;
	return NULL;
}

static struct rtr_rib_ent *
rtr_rib_find(struct rtr_rib *r, const uint8_t *addr, uint8_t len)
{
	return rtr_rib_find_h(r, rtr_rib_hash(addr, len), addr, len);
}

/* room for n paths in e (its paths kept); 0 or -ENOMEM */
static int
rtr_rib_reserve(struct rtr_rib_ent *e, uint16_t n)
{
	struct rtr_path *np;
	uint16_t cap = e->cap;

	if (n <= cap)
		return 0;
	while (cap < n)
		cap = (uint16_t)(cap * 2);
	np = malloc(cap * sizeof(*np));
	if (np == NULL)
		return -ENOMEM;
	memcpy(np, e->paths, e->n_paths * sizeof(*np));
	if (e->paths != e->inl)
		free(e->paths);
	e->paths = np;
	e->cap = cap;
	return 0;
}

static void
rtr_rib_grow(struct rtr_rib *r)
{
	uint32_t nmask = r->mask * 2 + 1;
	struct rtr_rib_ent **nb = calloc(nmask + 1, sizeof(*nb));

	if (nb == NULL)
		return; /* keep the longer chains */
	for (uint32_t i = 0; i <= r->mask; i++)
		for (struct rtr_rib_ent *e = r->b[i], *nx; e != NULL; e = nx) {
			uint32_t h = e->hash & nmask;

			nx = e->next;
			e->next = nb[h];
			nb[h] = e;
		}
	free(r->b);
	r->b = nb;
	r->mask = nmask;
}

/* A new entry (NULL: the slab's cap, max-routes, or no memory). */
static struct rtr_rib_ent *
rtr_rib_insert_h(struct rtr_rib *r, uint32_t hash, const uint8_t *addr, uint8_t len)
{
	struct rtr_rib_ent *e = rtr_slab_get(&r->slab);
	uint32_t h;

	if (e == NULL)
		return NULL;
	memcpy(e->addr, addr, 16);
	e->len = len;
	e->hash = hash;
	e->adj = RTR_ADJ_NOROUTE;
	e->paths = e->inl;
	e->cap = RTR_RIB_INLINE;
	if (r->n > r->mask)
		rtr_rib_grow(r);
	h = hash & r->mask;
	e->next = r->b[h];
	r->b[h] = e;
	r->n++;
	return e;
}

static struct rtr_rib_ent *
rtr_rib_insert(struct rtr_rib *r, const uint8_t *addr, uint8_t len)
{
	return rtr_rib_insert_h(r, rtr_rib_hash(addr, len), addr, len);
}

static void
rtr_rib_remove(struct rtr_rib *r, struct rtr_rib_ent *x)
{
	struct rtr_rib_ent **pp = &r->b[x->hash & r->mask];

	for (; *pp != NULL; pp = &(*pp)->next)
		if (*pp == x) {
			*pp = x->next;
			r->n--;
			rtr_rib_ent_free(r, x);
			return;
		}
}

/* ---------------- adjacencies ---------------- */

static uint32_t
rtr_adj_hash(uint8_t type, uint16_t iface, uint8_t n, const uint32_t *nh)
{
	uint32_t h = rte_hash_crc_4byte((uint32_t)type << 16 | iface, n);

	return rte_hash_crc(nh, n * sizeof(*nh), h) & (RTR_ADJ_HBUCKETS - 1);
}

static int
rtr_u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Find or make the GW adjacency for the neighbour set nh (sorted here).
 * Returns the id (refs not taken) or 0 when out of adjacencies. */
static uint32_t
rtr_adj_get(struct rtr_tables *t, uint8_t n, uint32_t *nh)
{
	uint32_t h, id;
	struct rtr_adj *a;

	qsort(nh, n, sizeof(*nh), rtr_u32_cmp);
	h = rtr_adj_hash(RTR_ADJ_GW, 0, n, nh);
	for (id = t->adj_bucket[h]; id != 0; id = t->adj[id].hnext)
		if (t->adj[id].n_nh == n && memcmp(t->adj[id].nh, nh, n * sizeof(*nh)) == 0)
			return id;
	if (t->adj_free != 0) {
		id = t->adj_free;
		t->adj_free = t->adj[id].next_free;
	} else if (t->adj_top < RTR_MAX_ADJ) {
		id = t->adj_top++;
	} else {
		return 0;
	}
	a = &t->adj[id];
	memset(a, 0, sizeof(*a));
	a->type = RTR_ADJ_GW;
	a->n_nh = n;
	memcpy(a->nh, nh, n * sizeof(*nh));
	for (uint8_t i = 0; i < n; i++)
		t->neigh[nh[i]].refs++;
	if (n == 1 && t->ifs[t->neigh[nh[0]].key.iface].vlan == 0) {
		const struct rtr_if *oi = &t->ifs[t->neigh[nh[0]].key.iface];

		a->fast = true;
		a->out_port = oi->port;
		a->out_mtu = oi->mtu;
		a->out_smac = oi->mac;
	}
	a->hnext = t->adj_bucket[h];
	/* the adjacency is complete before any FIB entry can point at it */
	rte_atomic_thread_fence(__ATOMIC_RELEASE);
	t->adj_bucket[h] = id;
	return id;
}

static void
rtr_adj_put(struct rtr_tables *t, uint32_t id)
{
	struct rtr_adj *a = &t->adj[id];
	uint32_t h, *pp;

	if (id < RTR_ADJ_DYN_BASE || --a->refs > 0)
		return;
	h = rtr_adj_hash(RTR_ADJ_GW, 0, a->n_nh, a->nh);
	for (pp = &t->adj_bucket[h]; *pp != 0; pp = &t->adj[*pp].hnext)
		if (*pp == id) {
			*pp = a->hnext;
			break;
		}
	for (uint8_t i = 0; i < a->n_nh; i++)
		t->neigh[a->nh[i]].refs--;
	/* workers may still read it: reuse only after a grace period */
	a->next_free = t->adj_pending;
	t->adj_pending = id;
}

void
rtr_sync(void)
{
	struct rte_rcu_qsbr *q = nfv_rcu();

	if (q != NULL)
		rte_rcu_qsbr_synchronize(q, RTE_QSBR_THRID_INVALID);
}

void
rtr_tables_reclaim(struct rtr_tables *t)
{
	if (t->adj_pending == 0)
		return;
	rtr_sync();
	while (t->adj_pending != 0) {
		uint32_t id = t->adj_pending;

		t->adj_pending = t->adj[id].next_free;
		t->adj[id].next_free = t->adj_free;
		t->adj_free = id;
	}
}

/* ---------------- neighbours ---------------- */

int
rtr_neigh_get(struct rtr_tables *t, uint16_t iface, int family, const void *addr, bool create)
{
	struct rtr_nkey k;
	int32_t pos;

	memset(&k, 0, sizeof(k));
	memcpy(k.addr, addr, family == 4 ? 4 : 16);
	k.iface = iface;
	k.family = (uint8_t)family;
	pos = rte_hash_lookup(t->nhash, &k);
	if (pos >= 0 || !create)
		return pos;
	pos = rte_hash_add_key(t->nhash, &k);
	if (pos < 0 || (uint32_t)pos >= t->max_neigh)
		return -ENOSPC;
	t->neigh[pos].key = k;
	t->neigh[pos].state = RTR_NS_INCOMPLETE;
	t->n_neigh++;
	if ((uint32_t)pos > t->neigh_hi)
		t->neigh_hi = (uint32_t)pos;
	return pos;
}

void
rtr_neigh_set_mac(struct rtr_neigh *n, const struct rte_ether_addr *mac)
{
	uint64_t w = 0;

	memcpy(&w, mac, 6);
	atomic_store_explicit(&n->macw, w | RTR_MAC_VALID, memory_order_release);
}

/* Interface whose subnet holds addr (longest match), or -1. */
static int
rtr_tbl_iface_for(const struct rtr_tables *t, int family, const uint8_t *addr)
{
	struct cfg_prefix a = {.family = family == 4 ? AF_INET : AF_INET6,
			       .len = family == 4 ? 32 : 128};
	int best = -1, best_len = -1;

	memcpy(family == 4 ? (void *)&a.v4 : (void *)&a.v6, addr, family == 4 ? 4 : 16);
	for (uint16_t i = 0; i < t->n_if; i++) {
		const struct rtr_if *f = &t->ifs[i];
		uint16_t n = family == 4 ? f->n4 : f->n6;

		for (uint16_t k = 0; k < n; k++) {
			struct cfg_prefix p = {.family = a.family};

			if (family == 4) {
				p.len = f->l4[k];
				memcpy(&p.v4, &f->a4[k], 4);
			} else {
				p.len = f->l6[k];
				memcpy(&p.v6, f->a6[k], 16);
			}
			if (rtr_prefix_contains(&p, &a) && p.len > best_len) {
				best = i;
				best_len = p.len;
			}
		}
	}
	return best;
}

int
rtr_tables_iface_for(const struct rtr_tables *t, int family, const uint8_t *addr)
{
	return rtr_tbl_iface_for(t, family, addr);
}

int
rtr_tables_route_of(const struct rtr_tables *t, int family, const uint8_t *addr, uint32_t *adj)
{
	struct rtr_rib *rib = family == 4 ? t->rib4 : t->rib6;
	struct cfg_prefix a = {.family = family == 4 ? AF_INET : AF_INET6};

	if (family == 4)
		memcpy(&a.v4, addr, 4);
	else
		memcpy(&a.v6, addr, 16);
	for (int len = family == 4 ? 32 : 128; len >= 0 && rib != NULL; len--) {
		struct cfg_prefix p = a;
		const struct rtr_rib_ent *e;

		p.len = (uint8_t)len;
		rtr_prefix_mask(&p);
		e = rtr_rib_find(rib, family == 4 ? (const uint8_t *)&p.v4 : (const uint8_t *)&p.v6,
				 (uint8_t)len);
		if (e != NULL && e->adj != 0) {
			*adj = e->adj;
			return len;
		}
	}
	return -1;
}

/* ---------------- route install ---------------- */

static int
rtr_fib_set(struct rtr_tables *t, int family, const uint8_t *addr, uint8_t len, uint32_t adj)
{
	if (family == 4) {
		uint32_t ip;

		memcpy(&ip, addr, 4);
		return rte_fib_add(t->fib4, rte_be_to_cpu_32(ip), len, adj);
	}
	return rte_fib6_add(t->fib6, addr, len, adj);
}

static int
rtr_fib_del(struct rtr_tables *t, int family, const uint8_t *addr, uint8_t len)
{
	if (family == 4) {
		uint32_t ip;

		memcpy(&ip, addr, 4);
		return rte_fib_delete(t->fib4, rte_be_to_cpu_32(ip), len);
	}
	return rte_fib6_delete(t->fib6, addr, len);
}

/* Compute and publish the adjacency of e from its best paths. */
static int
rtr_rib_install(struct rtr_tables *t, int family, struct rtr_rib_ent *e, char *err, size_t errlen)
{
	uint32_t nh[RTR_MAX_PATHS], adj = 0, old = e->adj;
	uint64_t best = UINT64_MAX;
	uint8_t n = 0;
	int rc;

	for (uint16_t i = 0; i < e->n_paths; i++)
		best = RTE_MIN(best, rtr_path_rank(&e->paths[i]));
	for (uint16_t i = 0; i < e->n_paths && adj == 0; i++) {
		const struct rtr_path *p = &e->paths[i];
		int nid;

		if (rtr_path_rank(p) != best)
			continue;
		switch (p->type) {
		case RTR_RT_LOCAL:
			adj = RTR_ADJ_LOCAL;
			break;
		case RTR_RT_BROADCAST:
			adj = RTR_ADJ_BCAST;
			break;
		case RTR_RT_BLACKHOLE:
			adj = RTR_ADJ_BLACKHOLE;
			break;
		case RTR_RT_REJECT:
			adj = RTR_ADJ_REJECT;
			break;
		case RTR_RT_CONNECTED:
			adj = RTR_ADJ_IF_BASE + p->iface;
			break;
		default:
			if (!p->has_via) {
				adj = RTR_ADJ_IF_BASE + p->iface;
				break;
			}
			if (n == RTR_MAX_PATHS)
				break;
			nid = rtr_neigh_get(
				t,
				p->iface >= 0 ? (uint16_t)p->iface
					      : (uint16_t)rtr_tbl_iface_for(t, family, p->via),
				family, p->via, true);
			if (nid < 0) {
				snprintf(err, errlen, "neighbour table full");
				return -ENOSPC;
			}
			nh[n++] = (uint32_t)nid;
			break;
		}
	}
	if (adj == 0 && n > 0) {
		adj = rtr_adj_get(t, n, nh);
		if (adj == 0) {
			snprintf(err, errlen, "out of next-hop groups (%d)", RTR_MAX_ADJ);
			return -ENOSPC;
		}
	}
	if (adj == old && e->n_paths > 0)
		return 0;
	if (e->n_paths == 0) {
		rc = rtr_fib_del(t, family, e->addr, e->len);
	} else {
		t->adj[adj].refs++;
		rc = rtr_fib_set(t, family, e->addr, e->len, adj);
		if (rc != 0) {
			rtr_adj_put(t, adj);
			snprintf(err, errlen, "FIB full (max-routes)");
			return -ENOSPC;
		}
	}
	e->adj = e->n_paths ? adj : 0;
	if (old != 0)
		rtr_adj_put(t, old);
	return rc < 0 ? rc : 0;
}

static int
rtr_rib_add_path(struct rtr_tables *t, int family, const uint8_t *addr, uint8_t len,
		 const struct rtr_path *p, bool replace_ok, char *err, size_t errlen)
{
	struct rtr_rib *rib = family == 4 ? t->rib4 : t->rib6;
	struct rtr_rib_ent *e = rtr_rib_find(rib, addr, len);
	int rc;

	if (e == NULL) {
		e = rtr_rib_insert(rib, addr, len);
		if (e == NULL) {
			snprintf(err, errlen, "route table full (max-routes)");
			return -ENOSPC;
		}
		if (family == 4)
			t->n_routes4++;
		else
			t->n_routes6++;
	}
	for (uint16_t i = 0; i < e->n_paths; i++) {
		struct rtr_path *q = &e->paths[i];

		if (q->type == p->type && q->has_via == p->has_via && q->iface == p->iface &&
		    q->origin == p->origin && memcmp(q->via, p->via, 16) == 0) {
			if (!replace_ok && q->metric == p->metric) {
				snprintf(err, errlen, "route exists");
				return -EEXIST;
			}
			q->metric = p->metric;
			return rtr_rib_install(t, family, e, err, errlen);
		}
	}
	if (rtr_rib_reserve(e, (uint16_t)(e->n_paths + 1)) != 0)
		return -ENOMEM;
	e->paths[e->n_paths++] = *p;
	rc = rtr_rib_install(t, family, e, err, errlen);
	if (rc != 0) {
		e->n_paths--;
		if (e->n_paths == 0) {
			rtr_rib_remove(rib, e);
			if (family == 4)
				t->n_routes4--;
			else
				t->n_routes6--;
		}
	}
	return rc;
}

static void
rtr_path_from_conf(const struct rtr_route_conf *r, uint16_t i, struct rtr_path *p)
{
	memset(p, 0, sizeof(*p));
	p->type = r->type;
	p->iface = (int16_t)r->iface;
	p->metric = r->metric;
	p->origin = r->origin;
	if (i < r->n_via) {
		p->has_via = true;
		memcpy(p->via,
		       r->prefix.family == AF_INET ? (const void *)&r->via[i].v4
						   : (const void *)&r->via[i].v6,
		       r->prefix.family == AF_INET ? 4 : 16);
	}
}

static void
rtr_prefix_bytes(const struct cfg_prefix *p, uint8_t addr[16])
{
	memset(addr, 0, 16);
	memcpy(addr, p->family == AF_INET ? (const void *)&p->v4 : (const void *)&p->v6,
	       p->family == AF_INET ? 4 : 16);
}

int
rtr_route_add(struct rtr_state *st, struct rtr_tables *t, const struct rtr_route_conf *r, char *err,
	      size_t errlen)
{
	int family = r->prefix.family == AF_INET ? 4 : 6;
	struct cfg_prefix pfx = r->prefix;
	uint8_t addr[16];
	int rc = 0;

	(void)st;
	rtr_prefix_mask(&pfx);
	rtr_prefix_bytes(&pfx, addr);
	for (uint16_t i = 0; i < (r->n_via ? r->n_via : 1) && rc == 0; i++) {
		struct rtr_path p;

		rtr_path_from_conf(r, i, &p);
		if (p.has_via && p.iface < 0 && rtr_tbl_iface_for(t, family, p.via) < 0) {
			snprintf(err, errlen, "next hop is not on any connected subnet");
			return -EINVAL;
		}
		rc = rtr_rib_add_path(t, family, addr, pfx.len, &p, false, err, errlen);
	}
	return rc;
}

int
rtr_route_del(struct rtr_state *st, struct rtr_tables *t, const struct rtr_route_conf *r, char *err,
	      size_t errlen)
{
	int family = r->prefix.family == AF_INET ? 4 : 6;
	struct rtr_rib *rib = family == 4 ? t->rib4 : t->rib6;
	struct cfg_prefix pfx = r->prefix;
	struct rtr_rib_ent *e;
	uint8_t addr[16];
	uint16_t k = 0;
	int rc;

	(void)st;
	rtr_prefix_mask(&pfx);
	rtr_prefix_bytes(&pfx, addr);
	e = rtr_rib_find(rib, addr, pfx.len);
	if (e == NULL) {
		snprintf(err, errlen, "no such route");
		return -ENOENT;
	}
	for (uint16_t i = 0; i < e->n_paths; i++) {
		const struct rtr_path *p = &e->paths[i];
		bool match = p->type != RTR_RT_CONNECTED && p->type != RTR_RT_LOCAL &&
			     p->type != RTR_RT_BROADCAST && p->origin != RTR_ORIGIN_FRR;

		if (match && r->n_via > 0) {
			match = false;
			for (uint16_t v = 0; v < r->n_via; v++) {
				struct rtr_path q;

				rtr_path_from_conf(r, v, &q);
				if (p->has_via && memcmp(p->via, q.via, 16) == 0)
					match = true;
			}
		}
		if (!match)
			e->paths[k++] = *p;
	}
	if (k == e->n_paths) {
		snprintf(err, errlen,
			 e->n_paths ? "no such route (connected routes follow the "
				      "addresses)"
				    : "no such route");
		return -ENOENT;
	}
	e->n_paths = k;
	rc = rtr_rib_install(t, family, e, err, errlen);
	if (e->n_paths == 0) {
		rtr_rib_remove(rib, e);
		if (family == 4)
			t->n_routes4--;
		else
			t->n_routes6--;
	}
	rtr_tables_reclaim(t);
	return rc;
}

static const char *
rtr_path_source(const struct rtr_path *q)
{
	if (q->type >= RTR_RT_CONNECTED)
		return rtr_rt_kind_names[q->type];
	if (q->origin == RTR_ORIGIN_FRR)
		return rtr_fpm_proto_name(q->proto);
	return q->origin == RTR_ORIGIN_CLI ? "cli" : "config";
}

static void
rtr_route_json_add(json_t *arr, int family, const struct rtr_tables *t, const struct rtr_rib_ent *e)
{
	struct cfg_prefix p = {.family = family == 4 ? AF_INET : AF_INET6, .len = e->len};
	char b[64];

	uint64_t best = UINT64_MAX;

	memcpy(family == 4 ? (void *)&p.v4 : (void *)&p.v6, e->addr, family == 4 ? 4 : 16);
	for (uint16_t i = 0; i < e->n_paths; i++)
		best = RTE_MIN(best, rtr_path_rank(&e->paths[i]));
	for (uint16_t i = 0; i < e->n_paths; i++) {
		const struct rtr_path *q = &e->paths[i];
		json_t *o = json_object();

		json_object_set_new(o, "prefix",
				    json_string(rtr_prefix_str(&p, true, b, sizeof(b))));
		json_object_set_new(o, "type", json_string(rtr_rt_kind_names[q->type]));
		json_object_set_new(o, "metric", json_integer(q->metric));
		if (q->has_via) {
			struct cfg_prefix v = {.family = p.family};

			memcpy(family == 4 ? (void *)&v.v4 : (void *)&v.v6, q->via,
			       family == 4 ? 4 : 16);
			json_object_set_new(o, "via",
					    json_string(rtr_prefix_str(&v, false, b, sizeof(b))));
		}
		if (q->iface >= 0)
			json_object_set_new(o, "interface", json_string(t->ifs[q->iface].name));
		json_object_set_new(o, "source", json_string(rtr_path_source(q)));
		if (q->origin == RTR_ORIGIN_FRR) {
			json_object_set_new(o, "origin", json_string("frr"));
			if (q->stale)
				json_object_set_new(o, "stale", json_true());
		}
		json_object_set_new(o, "selected",
				    json_boolean(e->adj != 0 && rtr_path_rank(q) == best));
		json_array_append_new(arr, o);
	}
}

json_t *
rtr_routes_json(struct rtr_tables *t, int family, uint32_t limit)
{
	json_t *arr = json_array();
	uint32_t n = 0;

	for (int f = 4; f <= 6; f += 2) {
		struct rtr_rib *rib = f == 4 ? t->rib4 : t->rib6;

		if (family != 0 && family != f)
			continue;
		for (uint32_t i = 0; i <= rib->mask; i++)
			for (const struct rtr_rib_ent *e = rib->b[i]; e != NULL; e = e->next) {
				if (n++ >= limit)
					return arr;
				rtr_route_json_add(arr, f, t, e);
			}
	}
	return arr;
}

/* The route the data path uses for one address (as `ip route get`): the
 * FIB's answer, and the most specific RIB entry holding that adjacency. */
json_t *
rtr_route_get_json(struct rtr_tables *t, const struct cfg_prefix *a)
{
	static const char *const adj_names[] = {"no-route",  "local",	  "blackhole", "reject",
						"broadcast", "connected", "gateway"};
	int f = a->family == AF_INET ? 4 : 6;
	struct rtr_rib *rib = f == 4 ? t->rib4 : t->rib6;
	json_t *o = json_object(), *paths = json_array();
	uint64_t adj = 0;
	char b[64];

	if (f == 4) {
		uint32_t ip = rte_be_to_cpu_32(a->v4.s_addr);

		rte_fib_lookup_bulk(t->fib4, &ip, &adj, 1);
	} else {
		uint8_t ip6[1][16];

		memcpy(ip6[0], &a->v6, 16);
		rte_fib6_lookup_bulk(t->fib6, ip6, &adj, 1);
	}
	json_object_set_new(o, "address", json_string(rtr_prefix_str(a, false, b, sizeof(b))));
	json_object_set_new(o, "type",
			    json_string(adj < RTR_MAX_ADJ && t->adj[adj].type < RTE_DIM(adj_names)
						? adj_names[t->adj[adj].type]
						: "?"));
	for (int len = f == 4 ? 32 : 128; adj != 0 && len >= 0; len--) {
		struct cfg_prefix p = *a;
		const struct rtr_rib_ent *e;

		p.len = (uint8_t)len;
		rtr_prefix_mask(&p);
		e = rtr_rib_find(rib, f == 4 ? (const uint8_t *)&p.v4 : (const uint8_t *)&p.v6,
				 (uint8_t)len);
		if (e == NULL || e->adj != adj)
			continue;
		json_object_set_new(o, "prefix",
				    json_string(rtr_prefix_str(&p, true, b, sizeof(b))));
		rtr_route_json_add(paths, f, t, e);
		break;
	}
	json_object_set_new(o, "routes", paths);
	return o;
}

/* ---------------- routes from FRR (router_fpm.c) ---------------- */

static void
rtr_ext_count(struct rtr_tables *t, int family, int d)
{
	if (family == 4)
		t->n_routes4 += (uint32_t)d;
	else
		t->n_routes6 += (uint32_t)d;
}

/* The prefix of r as the RIB keys it (masked, zero-padded) and its hash. */
static uint32_t
rtr_ext_key(int family, const uint8_t *addr, uint8_t len, uint8_t key[16], uint8_t *klen)
{
	struct cfg_prefix pfx = {.family = family == 4 ? AF_INET : AF_INET6, .len = len};

	memcpy(family == 4 ? (void *)&pfx.v4 : (void *)&pfx.v6, addr, family == 4 ? 4 : 16);
	rtr_prefix_mask(&pfx);
	rtr_prefix_bytes(&pfx, key);
	*klen = pfx.len;
	return rtr_rib_hash(key, pfx.len);
}

uint32_t
rtr_ext_hash(int family, const uint8_t *addr, uint8_t len)
{
	uint8_t key[16] = {0};

	/* zebra's prefixes come masked: no masking here (a wrong guess costs
	 * only the prefetch) */
	memcpy(key, addr, family == 4 ? 4 : 16);
	return rtr_rib_hash(key, len);
}

void
rtr_ext_prefetch(const struct rtr_tables *t, int family, uint32_t hash, bool entry)
{
	const struct rtr_rib *rib = family == 4 ? t->rib4 : t->rib6;
	struct rtr_rib_ent *const *b = &rib->b[hash & rib->mask];

	if (!entry)
		rte_prefetch0(b);
	else if (*b != NULL)
		rte_prefetch0(*b);
}

#define RTR_EXT_STACK_PATHS 32

int
rtr_ext_set(struct rtr_tables *t, const struct rtr_ext_route *r, char *err, size_t errlen)
{
	struct rtr_rib *rib = r->family == 4 ? t->rib4 : t->rib6;
	uint16_t nn = r->type == RTR_RT_UNICAST ? r->n : 1, k = 0, total = 0, old_n;
	struct rtr_path stack[RTR_EXT_STACK_PATHS], *np = stack, *old_paths;
	struct rtr_rib_ent *e;
	uint8_t addr[16], len;
	bool created = false;
	uint32_t h;
	int rc;

	if (nn == 0 || nn > RTR_MAX_PATHS) {
		snprintf(err, errlen, "no usable next hop");
		return -EINVAL;
	}
	h = rtr_ext_key(r->family, r->addr, r->len, addr, &len);
	e = rtr_rib_find_h(rib, h, addr, len);
	if (e == NULL) {
		e = rtr_rib_insert_h(rib, h, addr, len);
		if (e == NULL) {
			snprintf(err, errlen, "route table full (max-routes)");
			return -ENOSPC;
		}
		rtr_ext_count(t, r->family, 1);
		created = true;
	}
	/* the new path set is built aside (the stack, or malloc for a prefix
	 * with very many paths) and installed; the entry keeps its old set
	 * until the install has succeeded */
	for (uint16_t i = 0; i < e->n_paths; i++)
		total += e->paths[i].origin != RTR_ORIGIN_FRR;
	total = (uint16_t)(total + nn);
	if (total > RTR_EXT_STACK_PATHS) {
		np = malloc(total * sizeof(*np));
		if (np == NULL) {
			rc = -ENOMEM;
			goto undo_insert;
		}
	}
	/* room in the entry first: nothing can fail after the install */
	if (rtr_rib_reserve(e, total) != 0) {
		rc = -ENOMEM;
		goto free_np;
	}
	for (uint16_t i = 0; i < e->n_paths; i++)
		if (e->paths[i].origin != RTR_ORIGIN_FRR)
			np[k++] = e->paths[i];
	for (uint16_t i = 0; i < nn; i++) {
		struct rtr_path *p = &np[k++];

		memset(p, 0, sizeof(*p));
		p->type = r->type;
		p->metric = r->metric;
		p->origin = RTR_ORIGIN_FRR;
		p->proto = r->proto;
		p->stale = r->stale;
		p->nhid = r->nhid;
		p->iface = -1;
		if (r->type == RTR_RT_UNICAST) {
			p->iface = r->nh[i].iface;
			p->has_via = r->nh[i].has_via;
			memcpy(p->via, r->nh[i].via, 16);
		}
	}
	old_paths = e->paths;
	old_n = e->n_paths;
	e->paths = np;
	e->n_paths = k;
	rc = rtr_rib_install(t, r->family, e, err, errlen);
	e->paths = old_paths;
	if (rc != 0) {
		/* the entry's adjacency is unchanged when the install fails */
		e->n_paths = old_n;
		goto free_np;
	}
	memcpy(e->paths, np, k * sizeof(*np));
	e->n_paths = k;
	if (np != stack)
		free(np);
	return 0;
free_np:
	if (np != stack)
		free(np);
undo_insert:
	if (created) {
		rtr_rib_remove(rib, e);
		rtr_ext_count(t, r->family, -1);
	}
	return rc;
}

/* Remove e's FRR paths (only the stale ones when stale_only). Returns 1 when
 * some were removed; e may be freed. */
static int
rtr_ext_strip(struct rtr_tables *t, struct rtr_rib *rib, struct rtr_rib_ent *e, bool stale_only)
{
	uint16_t k = 0;
	char err[128];

	for (uint16_t i = 0; i < e->n_paths; i++) {
		const struct rtr_path *p = &e->paths[i];

		if (p->origin != RTR_ORIGIN_FRR || (stale_only && !p->stale))
			e->paths[k++] = *p;
	}
	if (k == e->n_paths)
		return 0;
	e->n_paths = k;
	rtr_rib_install(t, rib->family, e, err, sizeof(err));
	if (e->n_paths == 0) {
		rtr_rib_remove(rib, e);
		rtr_ext_count(t, rib->family, -1);
	}
	return 1;
}

int
rtr_ext_del(struct rtr_tables *t, int family, const uint8_t *addr, uint8_t len)
{
	struct rtr_rib *rib = family == 4 ? t->rib4 : t->rib6;
	struct rtr_rib_ent *e;
	uint8_t a[16], klen;
	uint32_t h = rtr_ext_key(family, addr, len, a, &klen);

	e = rtr_rib_find_h(rib, h, a, klen);
	if (e == NULL || !rtr_ext_strip(t, rib, e, false))
		return -ENOENT;
	return 0;
}

uint32_t
rtr_ext_mark_stale(struct rtr_tables *t)
{
	uint32_t n = 0;

	for (int f = 0; f < 2; f++) {
		struct rtr_rib *rib = f == 0 ? t->rib4 : t->rib6;

		for (uint32_t i = 0; i <= rib->mask; i++)
			for (struct rtr_rib_ent *e = rib->b[i]; e != NULL; e = e->next) {
				bool any = false;

				for (uint16_t k = 0; k < e->n_paths; k++)
					if (e->paths[k].origin == RTR_ORIGIN_FRR) {
						e->paths[k].stale = true;
						any = true;
					}
				n += any;
			}
	}
	return n;
}

uint32_t
rtr_ext_sweep(struct rtr_tables *t)
{
	uint32_t n = 0;

	for (int f = 0; f < 2; f++) {
		struct rtr_rib *rib = f == 0 ? t->rib4 : t->rib6;

		for (uint32_t i = 0; i <= rib->mask; i++)
			for (struct rtr_rib_ent *e = rib->b[i], *nx; e != NULL; e = nx) {
				nx = e->next;
				n += (uint32_t)rtr_ext_strip(t, rib, e, true);
			}
	}
	rtr_tables_reclaim(t);
	return n;
}

/* The FRR route of e as an rtr_ext_route (false when e has none). */
static bool
rtr_ext_get(const struct rtr_rib *rib, const struct rtr_rib_ent *e, struct rtr_ext_route *r)
{
	memset(r, 0, sizeof(*r));
	for (uint16_t i = 0; i < e->n_paths; i++) {
		const struct rtr_path *p = &e->paths[i];

		if (p->origin != RTR_ORIGIN_FRR)
			continue;
		r->type = p->type;
		r->proto = p->proto;
		r->metric = p->metric;
		r->nhid = p->nhid;
		r->stale = p->stale;
		if (r->n < RTR_MAX_PATHS && p->type == RTR_RT_UNICAST) {
			memcpy(r->nh[r->n].via, p->via, 16);
			r->nh[r->n].has_via = p->has_via;
			r->nh[r->n++].iface = p->iface;
		}
	}
	if (r->type == RTR_RT_UNICAST && r->n == 0)
		return false;
	r->family = rib->family;
	memcpy(r->addr, e->addr, 16);
	r->len = e->len;
	return true;
}

uint32_t
rtr_ext_nhid_update(struct rtr_tables *t, uint32_t nhid,
		    int (*fill)(void *ctx, struct rtr_ext_route *r), void *ctx)
{
	uint32_t n = 0;
	char err[128];

	for (int f = 0; f < 2; f++) {
		struct rtr_rib *rib = f == 0 ? t->rib4 : t->rib6;

		for (uint32_t i = 0; i <= rib->mask; i++)
			for (struct rtr_rib_ent *e = rib->b[i], *nx; e != NULL; e = nx) {
				struct rtr_ext_route r;

				nx = e->next;
				if (!rtr_ext_get(rib, e, &r) || r.nhid != nhid || r.stale)
					continue;
				n++;
				if (fill(ctx, &r) != 0 || rtr_ext_set(t, &r, err, sizeof(err)) != 0)
					rtr_ext_strip(t, rib, e, false);
			}
	}
	return n;
}

/* FRR routes of old into nt (an apply): interfaces by name. */
static void
rtr_ext_carry(const struct rtr_tables *old, struct rtr_tables *nt)
{
	char err[128];

	for (int f = 0; f < 2; f++) {
		const struct rtr_rib *rib = f == 0 ? old->rib4 : old->rib6;

		for (uint32_t i = 0; i <= rib->mask; i++)
			for (const struct rtr_rib_ent *e = rib->b[i]; e != NULL; e = e->next) {
				struct rtr_ext_route r;
				uint16_t k = 0;

				if (!rtr_ext_get(rib, e, &r))
					continue;
				for (uint16_t j = 0; j < r.n; j++) {
					int ni = -1;

					for (uint16_t x = 0; x < nt->n_if; x++)
						if (strcmp(nt->ifs[x].name,
							   old->ifs[r.nh[j].iface].name) == 0)
							ni = x;
					if (ni < 0)
						continue; /* its interface is gone */
					r.nh[k] = r.nh[j];
					r.nh[k++].iface = (int16_t)ni;
				}
				r.n = k;
				rtr_ext_set(nt, &r, err, sizeof(err));
			}
	}
}

/* ---------------- build / free ---------------- */

void
rtr_tables_free(struct rtr_tables *t)
{
	if (t == NULL)
		return;
	if (t->neigh != NULL)
		for (uint32_t i = 0; i < t->max_neigh; i++) {
			for (uint16_t k = 0; k < t->neigh[i].qn; k++)
				rte_pktmbuf_free(t->neigh[i].q[k]);
			free(t->neigh[i].q);
		}
	rte_free(t->neigh);
	rte_hash_free(t->nhash);
	rte_fib_free(t->fib4);
	rte_fib6_free(t->fib6);
	rtr_rib_free(t->rib4);
	rtr_rib_free(t->rib6);
	rte_free(t);
}

static void
rtr_ll6_from_mac(uint8_t ll[16], const struct rte_ether_addr *mac)
{
	memset(ll, 0, 16);
	ll[0] = 0xfe;
	ll[1] = 0x80;
	ll[8] = mac->addr_bytes[0] ^ 0x02;
	ll[9] = mac->addr_bytes[1];
	ll[10] = mac->addr_bytes[2];
	ll[11] = 0xff;
	ll[12] = 0xfe;
	ll[13] = mac->addr_bytes[3];
	ll[14] = mac->addr_bytes[4];
	ll[15] = mac->addr_bytes[5];
}

static int
rtr_tables_alloc(struct rtr_state *st, struct rtr_tables *t, const struct rtr_conf *c, char *err,
		 size_t errlen)
{
	char name[RTE_MEMZONE_NAMESIZE];
	uint32_t max_routes = c->max_routes + RTR_MAX_IF * 2 * RTR_MAX_ADDRS + 16;
	struct rte_fib_conf f4 = {
		.type = RTE_FIB_DIR24_8,
		.default_nh = RTR_ADJ_NOROUTE,
		.max_routes = (int)max_routes,
		.dir24_8 = {.nh_sz = RTE_FIB_DIR24_8_2B,
			    .num_tbl8 = RTE_MIN(RTE_MAX(max_routes / 16, 1024u), 32767u)},
	};
	struct rte_fib6_conf f6 = {
		.type = RTE_FIB6_TRIE,
		.default_nh = RTR_ADJ_NOROUTE,
		.max_routes = (int)max_routes,
		.trie = {.nh_sz = RTE_FIB6_TRIE_2B,
			 .num_tbl8 = RTE_MIN(RTE_MAX(max_routes / 4, 4096u), 32767u)},
	};
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = RTE_MAX(c->max_neighbours, 64u),
		.key_len = sizeof(struct rtr_nkey),
		.hash_func = rte_hash_crc,
		.socket_id = (int)rte_socket_id(),
		.extra_flag =
			RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	t->gen = ++st->gen;
	snprintf(name, sizeof(name), "rtr4_%.12s_%lu", st->name, (unsigned long)t->gen);
	t->fib4 = rte_fib_create(name, (int)rte_socket_id(), &f4);
	if (t->fib4 == NULL)
		goto no_mem;
	snprintf(name, sizeof(name), "rtr6_%.12s_%lu", st->name, (unsigned long)t->gen);
	t->fib6 = rte_fib6_create(name, (int)rte_socket_id(), &f6);
	if (t->fib6 == NULL)
		goto no_mem;
	snprintf(name, sizeof(name), "rtrn_%.12s_%lu", st->name, (unsigned long)t->gen);
	t->nhash = rte_hash_create(&hp);
	if (t->nhash == NULL)
		goto no_mem;
	t->max_neigh = hp.entries;
	t->neigh = rte_zmalloc("rtr_neigh", sizeof(*t->neigh) * t->max_neigh, RTE_CACHE_LINE_SIZE);
	t->rib4 = rtr_rib_new(4, max_routes);
	t->rib6 = rtr_rib_new(6, max_routes);
	if (t->neigh == NULL || t->rib4 == NULL || t->rib6 == NULL)
		goto no_mem;
	return 0;
no_mem:
	snprintf(err, errlen, "router %s: cannot allocate tables (%s, max-routes %u): %s", st->name,
		 name, c->max_routes, rte_strerror(rte_errno));
	return -ENOMEM;
}

static int
rtr_add_addr_routes(struct rtr_tables *t, uint16_t i, const struct cfg_prefix *a, char *err,
		    size_t errlen)
{
	int family = a->family == AF_INET ? 4 : 6;
	struct cfg_prefix net = *a;
	struct rtr_path p = {.type = RTR_RT_CONNECTED, .iface = (int16_t)i};
	uint8_t addr[16];
	int rc;

	rtr_prefix_mask(&net);
	rtr_prefix_bytes(&net, addr);
	if (net.len < (family == 4 ? 32 : 128)) {
		rc = rtr_rib_add_path(t, family, addr, net.len, &p, true, err, errlen);
		if (rc != 0)
			return rc;
	}
	if (family == 4 && net.len <= 30) {
		/* the subnet's directed broadcast: never resolved and routed as
		 * a host (RFC 1812 5.3.5; /31 has none, RFC 3021) */
		uint32_t b;

		memcpy(&b, addr, 4);
		b |= rte_cpu_to_be_32(~0u >> net.len);
		memcpy(addr, &b, 4);
		p.type = RTR_RT_BROADCAST;
		rc = rtr_rib_add_path(t, family, addr, 32, &p, true, err, errlen);
		if (rc != 0)
			return rc;
	}
	p.type = RTR_RT_LOCAL;
	if (family == 6 && net.len < 127) {
		/* the subnet-router anycast address (RFC 4291 2.6.1; none on
		 * a /127, RFC 6164): the prefix with a zero interface id */
		rc = rtr_rib_add_path(t, family, addr, 128, &p, true, err, errlen);
		if (rc != 0)
			return rc;
	}
	rtr_prefix_bytes(a, addr);
	return rtr_rib_add_path(t, family, addr, family == 4 ? 32 : 128, &p, true, err, errlen);
}

struct rtr_tables *
rtr_tables_build(struct rtr_state *st, const struct rtr_conf *c, const uint16_t *ports,
		 const struct rte_ether_addr *macs, char *err, size_t errlen)
{
	struct rtr_tables *t = rte_zmalloc("rtr_tables", sizeof(*t), RTE_CACHE_LINE_SIZE);
	uint32_t bcast_hb;
	int rc;

	if (t == NULL) {
		snprintf(err, errlen, "router %s: out of memory", st->name);
		return NULL;
	}
	if (rtr_tables_alloc(st, t, c, err, errlen) != 0)
		goto free_tables;
	memset(t->untagged_if, -1, sizeof(t->untagged_if));
	memset(t->untagged_mac, 0xff, sizeof(t->untagged_mac));
	for (uint16_t i = 0; i < RTR_ADJ_DYN_BASE; i++) {
		t->adj[i].type = i < RTR_ADJ_IF_BASE ? (uint8_t)i : RTR_ADJ_CONNECTED;
		t->adj[i].iface = i < RTR_ADJ_IF_BASE ? 0 : (uint16_t)(i - RTR_ADJ_IF_BASE);
		t->adj[i].refs = 1;
	}
	t->adj_top = RTR_ADJ_DYN_BASE;
	t->n_if = c->n_if;
	bcast_hb = 32;
	for (uint16_t i = 0; i < c->n_if; i++) {
		const struct rtr_if_conf *fc = &c->ifs[i];
		struct rtr_if *f = &t->ifs[i];

		snprintf(f->name, sizeof(f->name), "%s", fc->name);
		f->port = ports[i];
		f->vlan = fc->vlan;
		f->mtu = fc->mtu;
		f->mac = macs[i];
		if (fc->vlan == 0) {
			uint64_t mac = 0;

			memcpy(&mac, &f->mac, 6);
			t->untagged_if[ports[i] & (RTE_MAX_ETHPORTS - 1)] = (int8_t)i;
			t->untagged_mac[ports[i] & (RTE_MAX_ETHPORTS - 1)] = mac;
			/* hosts of its connected subnets on the fast path too */
			t->adj[RTR_ADJ_IF_BASE + i].fast = true;
			t->adj[RTR_ADJ_IF_BASE + i].out_port = f->port;
			t->adj[RTR_ADJ_IF_BASE + i].out_mtu = f->mtu;
			t->adj[RTR_ADJ_IF_BASE + i].out_smac = f->mac;
		} else
			t->port_has_vlan[ports[i] & (RTE_MAX_ETHPORTS - 1)] = true;
		if (fc->has_ll)
			memcpy(f->ll6, fc->ll6, 16);
		else
			rtr_ll6_from_mac(f->ll6, &f->mac);
		for (uint16_t k = 0; k < fc->n_addr; k++) {
			const struct cfg_prefix *a = &fc->addr[k];

			if (a->family == AF_INET) {
				f->a4[f->n4] = a->v4.s_addr;
				f->l4[f->n4++] = a->len;
				if (a->len >= 1 && a->len <= 30)
					bcast_hb = RTE_MIN(bcast_hb, 32u - a->len);
			} else {
				memcpy(f->a6[f->n6], &a->v6, 16);
				f->l6[f->n6++] = a->len;
			}
		}
	}
	t->bcast4_low = bcast_hb == 32 ? UINT32_MAX : (1u << bcast_hb) - 1;
	t->redirects = c->redirects;
	for (uint16_t i = 0; i < c->n_if; i++)
		for (uint16_t k = 0; k < c->ifs[i].n_addr; k++) {
			rc = rtr_add_addr_routes(t, i, &c->ifs[i].addr[k], err, errlen);
			if (rc != 0)
				goto free_tables;
		}
	for (uint32_t i = 0; i < c->n_neigh; i++) {
		const struct rtr_neigh_conf *nc = &c->neigh[i];
		int fam = nc->addr.family == AF_INET ? 4 : 6;
		int id = rtr_neigh_get(
			t, (uint16_t)nc->iface, fam,
			fam == 4 ? (const void *)&nc->addr.v4 : (const void *)&nc->addr.v6, true);

		if (id < 0) {
			snprintf(err, errlen, "router %s: neighbour table full", st->name);
			goto free_tables;
		}
		t->neigh[id].state = RTR_NS_STATIC;
		rtr_neigh_set_mac(&t->neigh[id], (const struct rte_ether_addr *)nc->mac);
	}
	for (uint32_t i = 0; i < c->n_routes; i++) {
		rc = rtr_route_add(st, t, &c->routes[i], err, errlen);
		if (rc != 0 && rc != -EEXIST) {
			char b[64], e2[160];

			snprintf(e2, sizeof(e2), "%s", err);
			snprintf(err, errlen, "router %s: route %s: %s", st->name,
				 rtr_prefix_str(&c->routes[i].prefix, true, b, sizeof(b)), e2);
			goto free_tables;
		}
	}
	for (struct rtr_dyn_route *d = st->dyn; d != NULL; d = d->next) {
		struct rtr_route_conf r = d->r;
		char e2[160];

		r.iface = d->iface[0] ? -1 : r.iface;
		if (d->iface[0]) {
			for (uint16_t i = 0; i < t->n_if; i++)
				if (strcmp(t->ifs[i].name, d->iface) == 0)
					r.iface = i;
			if (r.iface < 0)
				continue; /* its interface is gone */
		}
		/* routes added at run time whose next hop left are dropped */
		rtr_route_add(st, t, &r, e2, sizeof(e2));
	}
	/* routes from FRR survive an apply (while the feed is configured) */
	if (rtr_tables_get(st) != NULL && c->fpm_listen[0] != '\0')
		rtr_ext_carry(rtr_tables_get(st), t);
	return t;
free_tables:
	rtr_tables_free(t);
	return NULL;
}
