/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd firewall VNF - NAT44, control side (docs/nat.md): the mapping and
 * subscriber tables, the external addresses' port maps (kept across
 * applies), the compiled nat section of a rule set, the sweep that
 * releases mappings no session holds and CGN port blocks no mapping uses,
 * the block/mapping log, revalidation after an apply, stats and the
 * session listing. The fast path is fw_nat_dp.h.
 */
#define ALLOW_EXPERIMENTAL_API 1
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "fw_rt.h"

static const char *const fw_nat_proto_names[FW_NAT_PC] = {"tcp", "udp", "icmp"};

static struct rte_hash *
fw_nat_hash(const char *what, void *id, uint32_t entries, uint32_t key_len, char *err, size_t len)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = RTE_MAX(entries, 64u),
		.key_len = key_len,
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			      RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD,
	};
	struct rte_hash_rcu_config rcu = {.v = nfv_rcu(), .mode = RTE_HASH_QSBR_MODE_DQ};
	struct rte_hash *h;

	snprintf(name, sizeof(name), "%s-%" PRIxPTR, what, (uintptr_t)id);
	h = rte_hash_create(&hp);
	if (h == NULL) {
		snprintf(err, len, "NAT %s table of %u entries: rte_hash_create: %s", what, entries,
			 rte_strerror(rte_errno));
		return NULL;
	}
	if (rcu.v != NULL && rte_hash_rcu_qsbr_add(h, &rcu) < 0) {
		snprintf(err, len, "NAT %s table: rte_hash_rcu_qsbr_add: %s", what,
			 rte_strerror(rte_errno));
		rte_hash_free(h);
		return NULL;
	}
	return h;
}

int
fw_nat_init(struct fw_state *fw, uint32_t max, char *err, size_t len)
{
	struct fw_nat_state *ns;

	ns = rte_zmalloc("fw_nat", sizeof(*ns), RTE_CACHE_LINE_SIZE);
	if (ns == NULL)
		goto no_mem;
	fw->nat = ns;
	/* a mapping has at least one session: at most max; one key each (its
	 * outside endpoint is found through its address's owner array) */
	ns->mh = fw_nat_hash("natm", ns, max + max / 4, sizeof(struct fw_nat_mkey), err, len);
	if (ns->mh == NULL)
		return -ENOMEM;
	ns->n_slots = rte_hash_max_key_id(ns->mh) + 1;
	ns->maps = rte_zmalloc("fw_nat_maps", (size_t)ns->n_slots * sizeof(*ns->maps),
			       RTE_CACHE_LINE_SIZE);
	ns->sh = fw_nat_hash("nats", ns, max + max / 4, sizeof(uint64_t), err, len);
	if (ns->sh == NULL)
		return -ENOMEM;
	ns->n_sub_slots = rte_hash_max_key_id(ns->sh) + 1;
	ns->subs = rte_zmalloc("fw_nat_subs", (size_t)ns->n_sub_slots * sizeof(*ns->subs),
			       RTE_CACHE_LINE_SIZE);
	if (ns->maps == NULL || ns->subs == NULL)
		goto no_mem;
	return 0;
no_mem:
	snprintf(err, len, "NAT tables for %u sessions: out of memory", max);
	return -ENOMEM;
}

static void
fw_nat_addr_put(struct fw_nat_state *ns, struct fw_nat_addr *a)
{
	struct fw_nat_addr **pp;

	if (--a->refs > 0)
		return;
	for (pp = &ns->addrs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	rte_free(a);
}

void
fw_nat_fini(struct fw_state *fw)
{
	struct fw_nat_state *ns = fw->nat;

	if (ns == NULL)
		return;
	while (ns->addrs != NULL) {
		struct fw_nat_addr *a = ns->addrs;

		ns->addrs = a->next;
		rte_free(a);
	}
	for (uint32_t i = 0; i < ns->n_logs; i++)
		if (ns->logs[i].f != NULL)
			fclose(ns->logs[i].f);
	rte_hash_free(ns->mh);
	rte_hash_free(ns->sh);
	rte_free(ns->maps);
	rte_free(ns->subs);
	rte_free(ns);
	fw->nat = NULL;
}

/* the address object of a (network order), made on first use */
static struct fw_nat_addr *
fw_nat_addr_get(struct fw_nat_state *ns, uint32_t a)
{
	struct fw_nat_addr *x;

	for (x = ns->addrs; x != NULL; x = x->next)
		if (x->addr == a) {
			x->refs++;
			return x;
		}
	x = rte_zmalloc("fw_nat_addr", sizeof(*x), RTE_CACHE_LINE_SIZE);
	if (x == NULL)
		return NULL;
	x->addr = a;
	x->refs = 1;
	x->bits[0][0] = x->bits[1][0] = x->bits[2][0] = 1; /* port 0 is never handed out */
	x->next = ns->addrs;
	ns->addrs = x;
	return x;
}

static int
fw_nat_log_open(struct fw_nat_state *ns, const char *path, char *err, size_t len)
{
	for (uint32_t i = 0; i < ns->n_logs; i++)
		if (strcmp(ns->logs[i].path, path) == 0)
			return (int)i;
	if (ns->n_logs == FW_NAT_MAX_LOGS) {
		snprintf(err, len, "more than %d NAT log files", FW_NAT_MAX_LOGS);
		return -ENOSPC;
	}
	FILE *f = fopen(path, "a");
	if (f == NULL) {
		int e = errno;

		snprintf(err, len, "NAT log %s: %s", path, strerror(e));
		return -e;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	snprintf(ns->logs[ns->n_logs].path, sizeof(ns->logs[0].path), "%s", path);
	ns->logs[ns->n_logs].f = f;
	return (int)ns->n_logs++;
}

static int
fw_nat_u32cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

void
fw_nat_rt_free(struct fw_state *fw, struct fw_nat_rt *n)
{
	if (n == NULL)
		return;
	for (uint16_t i = 0; n->snat != NULL && i < n->n_snat; i++)
		for (uint16_t k = 0; k < n->snat[i].n_addrs; k++)
			if (n->snat[i].addrs[k] != NULL)
				fw_nat_addr_put(fw->nat, n->snat[i].addrs[k]);
	rte_free(n->snat);
	rte_free(n->dnat);
	rte_free(n->statics);
	rte_free(n->ext);
	rte_free(n->ext_pa);
	rte_free(n);
}

static int
fw_nat_port(const struct nfv_config *cfg, uint16_t idx, const char *what, char *err, size_t len)
{
	int id = nfv_port_id(cfg, idx);

	if (id < 0)
		snprintf(err, len, "nat %s: port '%s' has no DPDK port", what,
			 cfg->ports[idx].name);
	else if (id >= 64)
		snprintf(err, len, "nat %s: port '%s' has DPDK id %d; outside ports need ids below 64",
			 what, cfg->ports[idx].name, id);
	return id >= 64 ? -ERANGE : id;
}

int
fw_nat_build(struct fw_state *fw, const struct nfv_config *cfg, const struct fw_conf *c,
	     struct fw_nat_rt **out, char *err, size_t len)
{
	const struct fw_nat_conf *nc = c->nat;
	struct fw_nat_state *ns = fw->nat;
	struct fw_nat_rt *n;
	uint32_t n_ext = 0;
	int ret;

	*out = NULL;
	if (nc == NULL)
		return 0;
	if (ns == NULL) {
		snprintf(err, len, "nat: the instance was made without NAT tables");
		return -EINVAL;
	}
	n = rte_zmalloc("fw_nat_rt", sizeof(*n), RTE_CACHE_LINE_SIZE);
	if (n == NULL)
		goto no_mem;
	n->filtering = (uint8_t)nc->filtering;
	n->snat = rte_zmalloc("fw_snat", (nc->n_snat + 1u) * sizeof(*n->snat), 0);
	n->dnat = rte_zmalloc("fw_dnat", (nc->n_dnat + 1u) * sizeof(*n->dnat), 0);
	n->statics = rte_zmalloc("fw_static", (nc->n_static + 1u) * sizeof(*n->statics), 0);
	for (uint16_t i = 0; i < nc->n_snat; i++)
		n_ext += nc->snat[i].n_addrs;
	n_ext += nc->n_dnat + nc->n_static;
	n->ext = rte_zmalloc("fw_nat_ext", (n_ext + 1u) * sizeof(uint32_t), 0);
	if (n->snat == NULL || n->dnat == NULL || n->statics == NULL || n->ext == NULL)
		goto no_mem;
	for (uint16_t i = 0; i < nc->n_snat; i++) {
		const struct fw_snat_conf *sc = &nc->snat[i];
		struct fw_snat_rt *r = &n->snat[i];

		n->n_snat = i + 1;
		snprintf(r->name, sizeof(r->name), "%s", sc->name[0] ? sc->name : "");
		if (r->name[0] == '\0')
			snprintf(r->name, sizeof(r->name), "snat%u", i);
		r->in_port = -1;
		if (sc->has_in_port) {
			ret = fw_nat_port(cfg, sc->in_port, "in-port", err, len);
			if (ret < 0)
				goto fail;
			r->in_port = ret;
		}
		ret = fw_nat_port(cfg, sc->outside_port, "outside-port", err, len);
		if (ret < 0)
			goto fail;
		r->oport = (uint16_t)ret;
		n->outside |= 1ull << ret;
		r->n_from = sc->n_from;
		for (uint16_t k = 0; k < sc->n_from; k++) {
			uint32_t mask = sc->from[k].len ? ~0u << (32 - sc->from[k].len) : 0;

			r->from[k][0] = ntohl(sc->from[k].v4.s_addr) & mask;
			r->from[k][1] = mask;
		}
		r->n_except = sc->n_except;
		for (uint16_t k = 0; k < sc->n_except; k++) {
			uint32_t mask = sc->except[k].len ? ~0u << (32 - sc->except[k].len) : 0;

			r->except[k][0] = ntohl(sc->except[k].v4.s_addr) & mask;
			r->except[k][1] = mask;
		}
		for (uint16_t k = 0; k < sc->n_addrs; k++) {
			r->addrs[k] = fw_nat_addr_get(ns, htonl(sc->addrs[k]));
			if (r->addrs[k] == NULL)
				goto no_mem;
			r->n_addrs = k + 1;
			n->ext[n->n_ext++] = sc->addrs[k];
		}
		r->lo = sc->port_lo;
		r->hi = sc->port_hi;
		r->block = sc->port_block;
		r->max_sub = sc->max_per_subscriber;
		r->log = -1;
		if (sc->log[0]) {
			ret = fw_nat_log_open(ns, sc->log, err, len);
			if (ret < 0)
				goto fail;
			r->log = ret;
		}
	}
	for (uint16_t i = 0; i < nc->n_dnat; i++) {
		const struct fw_dnat_conf *dc = &nc->dnat[i];
		struct fw_dnat_rt *d = &n->dnat[i];

		ret = fw_nat_port(cfg, dc->outside_port, "dnat outside-port", err, len);
		if (ret < 0)
			goto fail;
		d->oport = (uint16_t)ret;
		n->outside |= 1ull << ret;
		d->proto = dc->proto;
		d->addr = htonl(dc->addr);
		d->port = htons(dc->port);
		d->to = htonl(dc->to_addr);
		d->to_port = htons(dc->to_port);
		n->ext[n->n_ext++] = dc->addr;
		/* a forward's port on a snat address is never handed out */
		for (struct fw_nat_addr *a = ns->addrs; a != NULL; a = a->next)
			if (a->addr == d->addr)
				__atomic_fetch_or(&a->bits[dc->proto == IPPROTO_TCP ? 0 : 1]
						       [dc->port >> 6],
						  1ull << (dc->port & 63), __ATOMIC_RELEASE);
		n->n_dnat = i + 1;
	}
	for (uint16_t i = 0; i < nc->n_static; i++) {
		const struct fw_static_conf *sc = &nc->statics[i];
		struct fw_static_rt *st = &n->statics[i];

		ret = fw_nat_port(cfg, sc->outside_port, "static outside-port", err, len);
		if (ret < 0)
			goto fail;
		st->oport = (uint16_t)ret;
		n->outside |= 1ull << ret;
		st->ext = htonl(sc->external);
		st->in = htonl(sc->internal);
		n->ext[n->n_ext++] = sc->external;
		n->n_static = i + 1;
	}
	qsort(n->ext, n->n_ext, sizeof(uint32_t), fw_nat_u32cmp);
	/* each external address's snat address object (this rule set holds
	 * a reference on it), for finding mappings by outside endpoint */
	n->ext_pa = rte_zmalloc("fw_nat_ext_pa", (n->n_ext + 1u) * sizeof(*n->ext_pa), 0);
	if (n->ext_pa == NULL)
		goto no_mem;
	for (uint32_t e = 0; e < n->n_ext; e++)
		for (uint16_t i = 0; i < n->n_snat && n->ext_pa[e] == NULL; i++)
			for (uint16_t k = 0; k < n->snat[i].n_addrs; k++)
				if (n->snat[i].addrs[k]->addr == htonl(n->ext[e])) {
					n->ext_pa[e] = n->snat[i].addrs[k];
					break;
				}
	*out = n;
	return 0;
no_mem:
	snprintf(err, len, "nat: out of memory");
	ret = -ENOMEM;
fail:
	fw_nat_rt_free(fw, n);
	return ret;
}

/* ---- log (docs/nat.md "Log format") ---- */
static void
fw_nat_fmt_ep(char *buf, size_t len, uint32_t a, uint16_t port_be)
{
	char s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, s, sizeof(s));
	snprintf(buf, len, "%s:%u", s, ntohs(port_be));
}

static void
fw_nat_log(struct fw_state *fw, int log, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
fw_nat_log(struct fw_state *fw, int log, const char *fmt, ...)
{
	struct fw_nat_state *ns = fw->nat;
	char ts[32];
	struct timespec now;
	struct tm tm;
	va_list ap;
	FILE *f;

	if (log < 0 || (uint32_t)log >= ns->n_logs || (f = ns->logs[log].f) == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	if (fprintf(f, "%s.%03ldZ %s ", ts, now.tv_nsec / 1000000, fw->name) < 0) {
		ns->log_errors++;
		return;
	}
	va_start(ap, fmt);
	if (vfprintf(f, fmt, ap) < 0)
		ns->log_errors++;
	va_end(ap);
	fputc('\n', f);
	ns->log_lines++;
}

static const struct fw_snat_rt *
fw_nat_rule(const struct fw_ruleset *rs, uint16_t idx)
{
	return rs != NULL && rs->nat != NULL && idx < rs->nat->n_snat ? &rs->nat->snat[idx] : NULL;
}

/* ---- release (control thread) ---- */
static void
fw_nat_del_slot(struct rte_hash *h, uint32_t pos)
{
	void *key;

	if (rte_hash_get_key_with_position(h, (int32_t)pos, &key) == 0)
		rte_hash_del_key(h, key);
}

static void
fw_nat_sub_release(struct fw_state *fw, const struct fw_ruleset *rs, struct fw_nat_sub *s)
{
	struct fw_nat_state *ns = fw->nat;
	const struct fw_snat_rt *r = fw_nat_rule(rs, s->rule);
	char a[INET_ADDRSTRLEN], e[INET_ADDRSTRLEN];
	uint32_t exp = 0;
	uint16_t nb;

	if (!__atomic_compare_exchange_n(&s->maps, &exp, FW_NAT_DEAD, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED))
		return;
	nb = __atomic_load_n(&s->nblocks, __ATOMIC_ACQUIRE);
	inet_ntop(AF_INET, &s->addr, a, sizeof(a));
	inet_ntop(AF_INET, &s->pa->addr, e, sizeof(e));
	for (uint16_t i = 0; i < nb && i < FW_NAT_MAX_BLOCKS; i++) {
		uint32_t b = s->blocks[i], bs = r != NULL && r->block ? r->block : 1;
		uint32_t bi = r != NULL ? (b - r->lo) / bs : 0;

		if (b == 0 || r == NULL)
			continue;
		if (i < s->logged)
			fw_nat_log(fw, r->log, "block-free %s %s %s:%u-%u", r->name, a, e, b,
				   b + bs - 1);
		__atomic_fetch_and(&s->pa->blocks[bi >> 6], ~(1ull << (bi & 63)),
				   __ATOMIC_RELEASE);
	}
	__atomic_store_n(&s->in_use, FW_SLOT_FREE, __ATOMIC_RELEASE);
	__atomic_fetch_sub(&ns->n_subs, 1, __ATOMIC_RELAXED);
	fw_nat_del_slot(ns->sh, (uint32_t)(s - ns->subs));
}

/* A mapping with no session left: its port goes back, its keys leave the
 * table. Returns 1 if released. */
static int
fw_nat_map_release(struct fw_state *fw, const struct fw_ruleset *rs, struct fw_nat_map *m)
{
	struct fw_nat_state *ns = fw->nat;
	const struct fw_snat_rt *r = fw_nat_rule(rs, m->rule);
	uint32_t exp = 0, port = ntohs(m->ext_port), me = (uint32_t)(m - ns->maps) + 1;

	if (!__atomic_compare_exchange_n(&m->refs, &exp, FW_NAT_DEAD, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED))
		return 0;
	if (r != NULL && r->log >= 0 && !r->block && m->made_tsc != 0) {
		char i[64], e[64];

		fw_nat_fmt_ep(i, sizeof(i), m->int_addr, m->int_port);
		fw_nat_fmt_ep(e, sizeof(e), m->ext_addr, m->ext_port);
		fw_nat_log(fw, r->log, "map-free %s %s %s %s", r->name,
			   fw_nat_proto_names[m->key.pc], i, e);
	}
	/* the owner entry before the port bit: the port's next claimer
	 * writes its own */
	__atomic_compare_exchange_n(&m->pa->owner[m->key.pc][port], &me, 0, false,
				    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
	__atomic_fetch_and(&m->pa->bits[m->key.pc][port >> 6], ~(1ull << (port & 63)),
			   __ATOMIC_RELEASE);
	__atomic_store_n(&m->in_use, FW_SLOT_FREE, __ATOMIC_RELEASE);
	fw_nat_del_slot(ns->mh, (uint32_t)(m - ns->maps));
	__atomic_fetch_sub(&ns->count, 1, __ATOMIC_RELAXED);
	ns->expired_maps++;
	if (m->sub != FW_NAT_NONE) {
		struct fw_nat_sub *s = &ns->subs[m->sub];

		if (__atomic_sub_fetch(&s->maps, 1, __ATOMIC_ACQ_REL) == 0)
			fw_nat_sub_release(fw, rs, s);
	}
	return 1;
}

void
fw_nat_session_gone(struct fw_state *fw, struct fw_ct_entry *e)
{
	if (fw->nat == NULL || e->map == FW_NAT_NONE)
		return;
	/* the sweep releases the mapping once no session holds it */
	__atomic_fetch_sub(&fw->nat->maps[e->map].refs, 1, __ATOMIC_RELEASE);
	e->map = FW_NAT_NONE;
}

void
fw_nat_tick(struct fw_state *fw, const struct fw_ruleset *rs, uint64_t now_tsc)
{
	struct fw_nat_state *ns = fw->nat;
	uint32_t budget;

	if (ns == NULL)
		return;
	budget = RTE_MAX(1024u, ns->n_slots / 200);
	for (uint32_t k = 0; k < budget && k < ns->n_slots; k++) {
		struct fw_nat_map *m = &ns->maps[ns->cursor];
		uint8_t st;

		if (++ns->cursor >= ns->n_slots)
			ns->cursor = 0;
		st = __atomic_load_n(&m->in_use, __ATOMIC_ACQUIRE);
		if (st == FW_SLOT_DEAD) {
			m->in_use = FW_SLOT_FREE;
			fw_nat_del_slot(ns->mh, (uint32_t)(m - ns->maps));
			continue;
		}
		if (st != FW_SLOT_LIVE || m->alias)
			continue;
		if (__atomic_load_n(&m->refs, __ATOMIC_ACQUIRE) == 0 && fw_nat_map_release(fw, rs, m))
			continue;
		if (m->made_tsc == 0) {
			const struct fw_snat_rt *r = fw_nat_rule(rs, m->rule);

			m->made_tsc = now_tsc;
			if (r != NULL && r->log >= 0 && !r->block) {
				char i[64], e[64];

				fw_nat_fmt_ep(i, sizeof(i), m->int_addr, m->int_port);
				fw_nat_fmt_ep(e, sizeof(e), m->ext_addr, m->ext_port);
				fw_nat_log(fw, r->log, "map-new %s %s %s %s", r->name,
					   fw_nat_proto_names[m->key.pc], i, e);
			}
		}
	}
	budget = RTE_MAX(1024u, ns->n_sub_slots / 200);
	for (uint32_t k = 0; k < budget && k < ns->n_sub_slots; k++) {
		struct fw_nat_sub *s = &ns->subs[ns->sub_cursor];
		const struct fw_snat_rt *r;
		uint16_t nb;
		uint8_t st;

		if (++ns->sub_cursor >= ns->n_sub_slots)
			ns->sub_cursor = 0;
		st = __atomic_load_n(&s->in_use, __ATOMIC_ACQUIRE);
		if (st != FW_SLOT_LIVE)
			continue;
		if (__atomic_load_n(&s->maps, __ATOMIC_ACQUIRE) == 0) {
			fw_nat_sub_release(fw, rs, s);
			continue;
		}
		nb = __atomic_load_n(&s->nblocks, __ATOMIC_ACQUIRE);
		r = fw_nat_rule(rs, s->rule);
		while (s->logged < nb && s->logged < FW_NAT_MAX_BLOCKS) {
			uint16_t b = __atomic_load_n(&s->blocks[s->logged], __ATOMIC_ACQUIRE);
			char a[INET_ADDRSTRLEN], e[INET_ADDRSTRLEN];

			if (b == 0)
				break; /* being filled */
			if (r != NULL && r->block) {
				inet_ntop(AF_INET, &s->addr, a, sizeof(a));
				inet_ntop(AF_INET, &s->pa->addr, e, sizeof(e));
				fw_nat_log(fw, r->log, "block-alloc %s %s %s:%u-%u", r->name, a, e,
					   b, b + r->block - 1);
			}
			s->logged++;
		}
	}
}

/* Is translated session e still what the rule set says? */
static bool
fw_nat_session_valid(const struct fw_state *fw, const struct fw_nat_rt *n,
		     const struct fw_ct_entry *e)
{
	bool src_ok = !(e->nat & FW_NAT_SRC), dst_ok = !(e->nat & FW_NAT_DST);

	if (n == NULL)
		return false;
	if (e->map != FW_NAT_NONE) {
		const struct fw_nat_map *m = &fw->nat->maps[e->map];
		uint32_t ia = ntohl(m->int_addr);
		uint16_t ep = ntohs(m->ext_port);

		for (uint16_t i = 0; i < n->n_snat && !(src_ok && dst_ok); i++) {
			const struct fw_snat_rt *r = &n->snat[i];
			bool addr = false, from = false;

			if (r->oport != m->key.oport || ep < r->lo || ep > r->hi)
				continue;
			for (uint16_t k = 0; k < r->n_addrs; k++)
				addr |= r->addrs[k] == m->pa;
			for (uint16_t k = 0; k < r->n_from; k++)
				from |= (ia & r->from[k][1]) == r->from[k][0];
			if (addr && from) {
				/* a mapping from outside (filtering) translated the
				 * destination; one from the inside the source */
				if (e->nat & FW_NAT_SRC)
					src_ok = true;
				else
					dst_ok = true;
			}
		}
	}
	if (!src_ok && e->map == FW_NAT_NONE)
		for (uint16_t i = 0; i < n->n_static && !src_ok; i++)
			src_ok = n->statics[i].in == e->orig.src && n->statics[i].ext == e->reply.dst;
	for (uint16_t i = 0; i < n->n_dnat && !dst_ok; i++) {
		const struct fw_dnat_rt *d = &n->dnat[i];

		dst_ok = d->addr == e->orig.dst && d->port == e->orig.dport &&
			 d->to == e->reply.src && d->to_port == e->reply.sport &&
			 d->proto == e->key.proto;
	}
	for (uint16_t i = 0; i < n->n_static && !dst_ok; i++)
		dst_ok = n->statics[i].ext == e->orig.dst && n->statics[i].in == e->reply.src;
	if (!dst_ok && (e->nat & FW_NAT_DST) && (e->nat & FW_NAT_SRC) && e->map != FW_NAT_NONE)
		dst_ok = true; /* hairpin to another mapping: kept while its own mapping is */
	return src_ok && dst_ok;
}

/* forward: fw_cp.c */
void fw_ct_remove(struct fw_state *fw, struct fw_ct_entry *e);

uint32_t
fw_nat_revalidate(struct fw_state *fw, const struct fw_ruleset *rs)
{
	uint32_t n = 0;

	if (fw->nat == NULL)
		return 0;
	for (uint32_t i = 0; i < fw->ct.n_slots; i++) {
		struct fw_ct_entry *e = &fw->ct.entries[i];

		if (__atomic_load_n(&e->in_use, __ATOMIC_ACQUIRE) != FW_SLOT_LIVE || e->alias ||
		    !e->nat)
			continue;
		if (fw_nat_session_valid(fw, rs->nat, e))
			continue;
		fw_ct_remove(fw, e);
		n++;
	}
	/* mappings left without a session go now: their addresses may leave */
	for (uint32_t i = 0; i < fw->nat->n_slots; i++) {
		struct fw_nat_map *m = &fw->nat->maps[i];

		if (__atomic_load_n(&m->in_use, __ATOMIC_ACQUIRE) == FW_SLOT_LIVE && !m->alias &&
		    __atomic_load_n(&m->refs, __ATOMIC_ACQUIRE) == 0)
			fw_nat_map_release(fw, rs, m);
	}
	return n;
}

json_t *
fw_nat_stats_json(struct fw_state *fw)
{
	struct fw_nat_state *ns = fw->nat;
	const struct fw_nat_rt *n = fw->rs->nat;
	json_t *addrs = json_array(), *rules = json_array();

	if (ns == NULL || n == NULL) {
		json_decref(addrs);
		json_decref(rules);
		return json_pack("{s:b}", "enabled", 0);
	}
	for (struct fw_nat_addr *a = ns->addrs; a != NULL; a = a->next) {
		char s[INET_ADDRSTRLEN];
		json_int_t used[FW_NAT_PC] = {0}, blocks = 0;

		inet_ntop(AF_INET, &a->addr, s, sizeof(s));
		for (int pc = 0; pc < FW_NAT_PC; pc++)
			for (int w = 0; w < FW_NAT_WORDS; w++)
				used[pc] += __builtin_popcountll(
					__atomic_load_n(&a->bits[pc][w], __ATOMIC_RELAXED));
		for (int w = 0; w < FW_NAT_WORDS; w++)
			blocks += __builtin_popcountll(__atomic_load_n(&a->blocks[w], __ATOMIC_RELAXED));
		/* port 0 is marked taken from the start */
		json_array_append_new(addrs, json_pack("{s:s, s:I, s:I, s:I, s:I}", "address", s,
						       "tcp_ports", used[0] - 1, "udp_ports",
						       used[1] - 1, "icmp_ids", used[2] - 1,
						       "blocks", blocks));
	}
	for (uint16_t i = 0; i < n->n_snat; i++)
		json_array_append_new(rules, json_pack("{s:s, s:i, s:i, s:i, s:i}", "name",
						       n->snat[i].name, "ports_lo", n->snat[i].lo,
						       "ports_hi", n->snat[i].hi, "port_block",
						       (int)n->snat[i].block, "max_per_subscriber",
						       (int)n->snat[i].max_sub));
	return json_pack("{s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "enabled", 1,
			 "filtering", fw_nat_filtering_names[n->filtering], "mappings",
			 (json_int_t)__atomic_load_n(&ns->count, __ATOMIC_RELAXED), "mappings_max",
			 (json_int_t)fw->ct.max, "subscribers",
			 (json_int_t)__atomic_load_n(&ns->n_subs, __ATOMIC_RELAXED),
			 "mappings_expired", (json_int_t)ns->expired_maps, "log_lines",
			 (json_int_t)ns->log_lines, "log_errors", (json_int_t)ns->log_errors,
			 "addresses", addrs, "snat", rules);
}

json_t *
fw_nat_session_json(const struct fw_ct_entry *e)
{
	char o1[64], o2[64], r1[64], r2[64];

	fw_nat_fmt_ep(o1, sizeof(o1), e->orig.src, e->orig.sport);
	fw_nat_fmt_ep(o2, sizeof(o2), e->orig.dst, e->orig.dport);
	fw_nat_fmt_ep(r1, sizeof(r1), e->reply.src, e->reply.sport);
	fw_nat_fmt_ep(r2, sizeof(r2), e->reply.dst, e->reply.dport);
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "nat",
			 e->nat == (FW_NAT_SRC | FW_NAT_DST) ? "snat+dnat"
			 : e->nat == FW_NAT_SRC		    ? "snat"
							    : "dnat",
			 "orig_src", o1, "orig_dst", o2, "reply_src", r1, "reply_dst", r2);
}
