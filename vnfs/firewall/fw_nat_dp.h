/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd firewall VNF - NAT44 fast path (docs/nat.md), included by fw_dp.c
 * after its parser and conntrack helpers.
 *
 * A translated connection is one conntrack entry with two keys in the one
 * table: its original tuple's (the main slot) and its reply tuple's (an
 * alias slot pointing at the main one). A packet's one lookup finds either;
 * its direction is the tuple it equals, and the rewrite is the other
 * tuple, reversed. New mappings are made here, lock-free: ports are claimed
 * in per-address bitmaps with compare-and-swap, mapping and subscriber
 * records are published through rte_hash's lock-free multi-writer add and
 * a build/live state word; everything is released by the control thread.
 */
#ifndef NFV_FW_NAT_DP_H
#define NFV_FW_NAT_DP_H

#include <rte_hash_crc.h>
#include <rte_ip.h>

static inline uint8_t
fw_nat_pc(uint8_t proto)
{
	return proto == IPPROTO_TCP ? 0 : proto == IPPROTO_UDP ? 1 : 2;
}

/* index of external address a_be in n->ext, or -1 */
static inline int32_t
fw_nat_ext_idx(const struct fw_nat_rt *n, uint32_t a_be)
{
	uint32_t a = rte_be_to_cpu_32(a_be), lo = 0, hi = n->n_ext;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (n->ext[mid] == a)
			return (int32_t)mid;
		if (n->ext[mid] < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static inline bool
fw_nat_is_ext(const struct fw_nat_rt *n, uint32_t a_be)
{
	return fw_nat_ext_idx(n, a_be) >= 0;
}

static inline bool
fw_nat_outside(const struct fw_nat_rt *n, uint16_t port)
{
	return port < 64 && (n->outside >> port & 1);
}

/* RFC 1624 eqn. 3 over 16-bit words as they sit in memory (the one's
 * complement sum does not care about byte order). */
static inline uint16_t
fw_csum_upd(uint16_t cs, const void *old, const void *nw, unsigned int words)
{
	const uint8_t *o = old, *n = nw;
	uint32_t s = (uint16_t)~cs;

	for (unsigned int i = 0; i < words; i++) {
		uint16_t a, b;

		memcpy(&a, o + 2 * i, 2);
		memcpy(&b, n + 2 * i, 2);
		s += (uint16_t)~a;
		s += b;
	}
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The packet's tuple; ip: IPv4 header, l4: its L4 header (at least 8
 * bytes, checked by the parser). */
static inline void
fw_nat_tuple_of(const uint8_t *ip, const uint8_t *l4, uint8_t proto, struct fw_nat_tuple *t)
{
	memcpy(&t->src, ip + 12, 4);
	memcpy(&t->dst, ip + 16, 4);
	if (proto == IPPROTO_ICMP) {
		memcpy(&t->sport, l4 + 4, 2);
		t->dport = t->sport;
	} else {
		memcpy(&t->sport, l4, 2);
		memcpy(&t->dport, l4 + 2, 2);
	}
}

static inline bool
fw_nat_tuple_eq(const struct fw_nat_tuple *a, const struct fw_nat_tuple *b)
{
	return a->src == b->src && a->dst == b->dst && a->sport == b->sport &&
	       a->dport == b->dport;
}

/* the tuple of the packets that answer t */
static inline struct fw_nat_tuple
fw_nat_rev(const struct fw_nat_tuple *t)
{
	return (struct fw_nat_tuple){.src = t->dst, .dst = t->src, .sport = t->dport,
				     .dport = t->sport};
}

/* Rewrite the IPv4 packet's addresses and ports to nt, with incremental
 * checksum updates (IP header, TCP/UDP pseudo-header and ports, ICMP echo
 * identifier). l4len: L4 bytes present (a quoted packet may be short: a
 * checksum not present is not touched). */
static inline void
fw_nat_rewrite(uint8_t *ip, uint8_t proto, uint8_t *l4, uint32_t l4len,
	       const struct fw_nat_tuple *nt)
{
	uint8_t oaddr[8], oport[4];
	uint16_t cs;

	memcpy(oaddr, ip + 12, 8);
	memcpy(ip + 12, &nt->src, 4);
	memcpy(ip + 16, &nt->dst, 4);
	memcpy(&cs, ip + 10, 2);
	cs = fw_csum_upd(cs, oaddr, ip + 12, 4);
	memcpy(ip + 10, &cs, 2);
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP: {
		uint32_t at = proto == IPPROTO_TCP ? 16 : 6;

		memcpy(oport, l4, 4);
		memcpy(l4, &nt->sport, 2);
		memcpy(l4 + 2, &nt->dport, 2);
		if (l4len < at + 2)
			break;
		memcpy(&cs, l4 + at, 2);
		if (proto == IPPROTO_UDP && cs == 0)
			break; /* no checksum */
		cs = fw_csum_upd(cs, oaddr, ip + 12, 4);
		cs = fw_csum_upd(cs, oport, l4, 2);
		if (proto == IPPROTO_UDP && cs == 0)
			cs = 0xffff;
		memcpy(l4 + at, &cs, 2);
		break;
	}
	case IPPROTO_ICMP:
		memcpy(oport, l4 + 4, 2);
		memcpy(l4 + 4, &nt->sport, 2);
		if (l4len < 4)
			break;
		memcpy(&cs, l4 + 2, 2);
		cs = fw_csum_upd(cs, oport, l4 + 4, 1);
		memcpy(l4 + 2, &cs, 2);
		break;
	default:
		break;
	}
}

/* Direction of tuple t in a translated entry: 0 original, 1 reply, -1
 * neither (e.g. an untranslated packet that shares the normalized key). */
static inline int
fw_nat_dir(const struct fw_ct_entry *e, const struct fw_nat_tuple *t)
{
	if (fw_nat_tuple_eq(t, &e->orig))
		return 0;
	if (fw_nat_tuple_eq(t, &e->reply))
		return 1;
	return -1;
}

/* What a packet of direction dir becomes: the other direction's tuple,
 * reversed. */
static inline struct fw_nat_tuple
fw_nat_target(const struct fw_ct_entry *e, int dir)
{
	return fw_nat_rev(dir == 0 ? &e->reply : &e->orig);
}

static inline void
fw_nat_xlate(struct rte_mbuf *m, const struct fw_pkt *p, const struct fw_ct_entry *e, int dir)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, p->l3_off);
	struct fw_nat_tuple nt = fw_nat_target(e, dir);

	fw_nat_rewrite(ip, p->proto, ip + p->l4_off, p->l4_len, &nt);
}

/* RFC 5508: an ICMP error about a translated connection. The quoted packet
 * went out translated (it is the reverse of one direction's target): it is
 * put back as it was before translation, with its IP checksum and L4
 * checksum; the outer destination (and the outer source when it is the
 * connection's peer, or an inside router behind a source NAT) follow, and
 * the ICMP checksum, which covers the quote, is recomputed. Returns 0, or
 * -1 when the quote is not one of the connection's translated packets. */
static inline int
fw_nat_icmp_err(struct rte_mbuf *m, const struct fw_pkt *p, const struct fw_ct_entry *e)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, p->l3_off), *icmp = ip + p->l4_off;
	uint8_t *q = icmp + 8, *ql4;
	uint32_t qhl = (q[0] & 0xf) * 4u, qlen = p->l4_len - 8, ql4len;
	struct fw_nat_tuple qt, qn, pre, post, out;
	uint8_t qproto = q[9], oaddr[8];
	uint16_t cs;
	int qdir;

	if (qlen < qhl + 8)
		return -1;
	ql4 = q + qhl;
	ql4len = qlen - qhl;
	fw_nat_tuple_of(q, ql4, qproto, &qt);
	/* the quoted packet is what dir qdir became on the wire */
	pre = fw_nat_target(e, 0);
	post = fw_nat_target(e, 1);
	if (fw_nat_tuple_eq(&qt, &pre)) {
		qdir = 0;
	} else if (fw_nat_tuple_eq(&qt, &post)) {
		qdir = 1;
	} else
		return -1;
	qn = qdir == 0 ? e->orig : e->reply; /* the quote as it was sent */
	fw_nat_rewrite(q, qproto, ql4, ql4len, &qn);
	/* the quote's IP checksum: recomputed (the quote's own; short) */
	q[10] = q[11] = 0;
	cs = (uint16_t)~rte_raw_cksum(q, qhl);
	memcpy(q + 10, &cs, 2);
	/* outer addresses: the error travels against the quoted packet */
	memcpy(&out.src, ip + 12, 4);
	memcpy(&out.dst, ip + 16, 4);
	memcpy(oaddr, ip + 12, 8);
	if (out.dst == qt.src)
		out.dst = qn.src;
	if (out.src == qt.dst)
		out.src = qn.dst;
	else if (qdir == 1 && (e->nat & FW_NAT_SRC))
		out.src = qn.dst; /* an inside router: seen as the NAT address */
	memcpy(ip + 12, &out.src, 4);
	memcpy(ip + 16, &out.dst, 4);
	memcpy(&cs, ip + 10, 2);
	cs = fw_csum_upd(cs, oaddr, ip + 12, 4);
	memcpy(ip + 10, &cs, 2);
	icmp[2] = icmp[3] = 0;
	cs = (uint16_t)~rte_raw_cksum(icmp, p->l4_len);
	memcpy(icmp + 2, &cs, 2);
	return 0;
}

/* Normalized conntrack key of a tuple (as fw_ct_normalize does). */
static inline void
fw_nat_ct_key(struct fw_ct_key *k, uint8_t proto, const struct fw_nat_tuple *t)
{
	uint16_t sp = rte_be_to_cpu_16(t->sport), dp = rte_be_to_cpu_16(t->dport);
	int c = fw_addr_cmp((const uint8_t *)&t->src, (const uint8_t *)&t->dst, 4);

	memset(k, 0, sizeof(*k));
	k->family = AF_INET;
	k->proto = proto;
	if (c < 0 || (c == 0 && sp <= dp)) {
		memcpy(k->addr_lo, &t->src, 4);
		memcpy(k->addr_hi, &t->dst, 4);
		k->port_lo = sp;
		k->port_hi = dp;
	} else {
		memcpy(k->addr_lo, &t->dst, 4);
		memcpy(k->addr_hi, &t->src, 4);
		k->port_lo = dp;
		k->port_hi = sp;
	}
}

/* Add a translated connection: both keys (kr: the reply tuple's, already
 * made), main slot last published. Returns 0 (*out: the new entry), 1 when
 * the original tuple's session exists already (*out: it; made by a packet
 * of the same flow just before, in the same burst or on another worker),
 * or -(drop reason + 1). */
static inline int
fw_nat_session_add(struct fw_ct *ct, const struct fw_pkt *p, const struct fw_nat_tuple *orig,
		   const struct fw_nat_tuple *reply, const struct fw_ct_key *kr, uint8_t nat,
		   uint32_t map, uint16_t rule, uint64_t now, struct fw_ct_entry **out)
{
	struct fw_ct_key ko __rte_aligned(8);
	struct fw_ct_entry *e, *a;
	int32_t po, pr;
	uint8_t exp = FW_SLOT_FREE;

	if (__atomic_load_n(&ct->count, __ATOMIC_RELAXED) >= ct->max)
		return -(FW_DROP_CT_FULL + 1);
	fw_nat_ct_key(&ko, p->proto, orig);
	po = rte_hash_add_key(ct->h, &ko);
	if (po < 0)
		return -(FW_DROP_CT_FULL + 1);
	e = &ct->entries[po];
	if (!__atomic_compare_exchange_n(&e->in_use, &exp, FW_SLOT_BUILD, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_ACQUIRE)) {
		/* taken: the same flow's session (live), another worker
		 * building it, or one not yet swept */
		if (exp == FW_SLOT_LIVE && !e->alias && e->nat && fw_nat_tuple_eq(&e->orig, orig)) {
			*out = e;
			return 1;
		}
		return -(FW_DROP_NAT_RACE + 1);
	}
	pr = rte_hash_add_key(ct->h, kr);
	if (pr < 0 || pr == po) {
		__atomic_store_n(&e->in_use, FW_SLOT_DEAD, __ATOMIC_RELEASE);
		return -(FW_DROP_CT_FULL + 1);
	}
	a = &ct->entries[pr];
	exp = FW_SLOT_FREE;
	if (!__atomic_compare_exchange_n(&a->in_use, &exp, FW_SLOT_BUILD, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED)) {
		__atomic_store_n(&e->in_use, FW_SLOT_DEAD, __ATOMIC_RELEASE);
		return -(FW_DROP_NAT_RACE + 1);
	}
	e->key = ko;
	e->state = fw_ct_initial_state(p);
	e->init_lo = p->dir_lo;
	e->fin = 0;
	e->td_seen = 0; /* TCP window learnt from its packets (fw_ct_update) */
	e->rule = rule;
	e->pkts[0] = 0;
	e->pkts[1] = 0;
	e->last_tsc = now;
	e->nat = nat;
	e->alias = 0;
	e->peer = (uint32_t)pr;
	e->map = map;
	e->orig = *orig;
	e->reply = *reply;
	a->key = *kr;
	a->alias = 1;
	a->nat = nat;
	a->peer = (uint32_t)po;
	a->map = FW_NAT_NONE;
	__atomic_fetch_add(&ct->count, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&a->in_use, FW_SLOT_LIVE, __ATOMIC_RELEASE);
	__atomic_store_n(&e->in_use, FW_SLOT_LIVE, __ATOMIC_RELEASE);
	*out = e;
	return 0;
}

/* ---- port allocation ---- */
static inline bool
fw_nat_claim(uint64_t *bits, uint32_t bit)
{
	uint64_t *wd = &bits[bit >> 6], b = 1ull << (bit & 63);
	uint64_t old = __atomic_load_n(wd, __ATOMIC_RELAXED);

	do {
		if (old & b)
			return false;
	} while (!__atomic_compare_exchange_n(wd, &old, old | b, true, __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	return true;
}

/* A free port in [lo, hi] claimed in bits: `want` if free (port
 * preservation), else one of want's parity from a spread start, else any.
 * Returns 1 preserved, 0 another, -1 none (bounded work: the range's
 * words once). */
static inline int
fw_nat_port_pick(uint64_t *bits, uint32_t lo, uint32_t hi, uint32_t want, uint32_t seed,
		 uint16_t *out)
{
	uint32_t range = hi - lo + 1, c, w0, w1;

	if (want >= lo && want <= hi && fw_nat_claim(bits, want)) {
		*out = (uint16_t)want;
		return 1;
	}
	c = lo + seed % range;
	if ((c ^ want) & 1)
		c = c < hi ? c + 1 : c - 1;
	for (int i = 0; i < 16 && c >= lo && c <= hi; i++) {
		if (fw_nat_claim(bits, c)) {
			*out = (uint16_t)c;
			return 0;
		}
		c = c + 2 <= hi ? c + 2 : lo + ((c + 2 - lo) & 1);
	}
	w0 = lo >> 6;
	w1 = hi >> 6;
	for (uint32_t k = 0, w = (c >> 6); k <= w1 - w0; k++, w = w == w1 ? w0 : w + 1) {
		uint64_t free = ~__atomic_load_n(&bits[w], __ATOMIC_RELAXED);

		if (w == lo >> 6)
			free &= ~0ull << (lo & 63);
		if (w == hi >> 6 && (hi & 63) != 63)
			free &= (1ull << ((hi & 63) + 1)) - 1;
		while (free) {
			uint32_t b = (uint32_t)__builtin_ctzll(free);

			if (fw_nat_claim(bits, w * 64 + b)) {
				*out = (uint16_t)(w * 64 + b);
				return 0;
			}
			free &= free - 1;
		}
	}
	return -1;
}

static inline uint32_t
fw_nat_hash32(uint32_t a)
{
	return rte_hash_crc_4byte(a, 0x9e3779b9);
}

/* The subscriber record of an inside address (CGN options), made on first
 * use. NULL on a race with another worker or a full table. */
static inline struct fw_nat_sub *
fw_nat_sub_get(struct fw_nat_state *ns, const struct fw_snat_rt *r, uint16_t ridx,
	       uint32_t addr, struct fw_nat_addr *pa)
{
	struct fw_nat_sub *s;
	uint64_t key = (uint64_t)addr << 16 | r->oport;
	int32_t pos = rte_hash_lookup(ns->sh, &key);
	uint8_t exp = FW_SLOT_FREE;

	if (pos >= 0) {
		s = &ns->subs[pos];
		return __atomic_load_n(&s->in_use, __ATOMIC_ACQUIRE) == FW_SLOT_LIVE ? s : NULL;
	}
	pos = rte_hash_add_key(ns->sh, &key);
	if (pos < 0)
		return NULL;
	s = &ns->subs[pos];
	if (!__atomic_compare_exchange_n(&s->in_use, &exp, FW_SLOT_BUILD, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return __atomic_load_n(&s->in_use, __ATOMIC_ACQUIRE) == FW_SLOT_LIVE ? s : NULL;
	s->addr = addr;
	s->oport = r->oport;
	s->maps = 0;
	s->nblocks = 0;
	s->logged = 0;
	s->rule = ridx;
	s->pa = pa;
	for (int i = 0; i < FW_NAT_MAX_BLOCKS; i++)
		s->blocks[i] = 0;
	__atomic_fetch_add(&ns->n_subs, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&s->in_use, FW_SLOT_LIVE, __ATOMIC_RELEASE);
	return s;
}

/* one more mapping for subscriber s, unless at its limit or released */
static inline bool
fw_nat_sub_ref(struct fw_nat_sub *s, uint32_t max)
{
	uint32_t old = __atomic_load_n(&s->maps, __ATOMIC_RELAXED);

	do {
		if ((old & FW_NAT_DEAD) || (max && old >= max))
			return false;
	} while (!__atomic_compare_exchange_n(&s->maps, &old, old + 1, true, __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	return true;
}

/* A port in one of the subscriber's blocks, claiming a new block when they
 * are full. -1: none (limit or exhausted). */
static inline int
fw_nat_block_pick(struct fw_nat_sub *s, const struct fw_snat_rt *r, uint8_t pc, uint32_t want,
		  uint32_t seed, uint16_t *out)
{
	struct fw_nat_addr *pa = s->pa;
	uint32_t nb = __atomic_load_n(&s->nblocks, __ATOMIC_ACQUIRE), range = r->hi - r->lo + 1;
	uint32_t nblk = range / r->block;
	uint32_t maxb = r->max_sub ? (r->max_sub + r->block - 1) / r->block : FW_NAT_MAX_BLOCKS;
	int ret;

	if (maxb > FW_NAT_MAX_BLOCKS)
		maxb = FW_NAT_MAX_BLOCKS;
	for (uint32_t i = 0; i < nb && i < FW_NAT_MAX_BLOCKS; i++) {
		uint32_t b = __atomic_load_n(&s->blocks[i], __ATOMIC_ACQUIRE);

		if (b == 0)
			continue; /* being filled by another worker */
		ret = fw_nat_port_pick(pa->bits[pc], b, b + r->block - 1, want, seed, out);
		if (ret >= 0)
			return ret;
	}
	if (nb >= maxb)
		return -2;
	for (uint32_t k = 0; k < nblk; k++) {
		uint32_t bi = (seed + k) % nblk;
		uint16_t slot;

		if (!fw_nat_claim(pa->blocks, bi))
			continue;
		slot = __atomic_fetch_add(&s->nblocks, 1, __ATOMIC_ACQ_REL);
		if (slot >= maxb) {
			__atomic_fetch_sub(&s->nblocks, 1, __ATOMIC_ACQ_REL);
			__atomic_fetch_and(&pa->blocks[bi >> 6], ~(1ull << (bi & 63)),
					   __ATOMIC_RELEASE);
			return -2;
		}
		__atomic_store_n(&s->blocks[slot], (uint16_t)(r->lo + bi * r->block),
				 __ATOMIC_RELEASE);
		return fw_nat_port_pick(pa->bits[pc], r->lo + bi * r->block,
					r->lo + (bi + 1) * r->block - 1, want, seed, out);
	}
	return -1;
}

/* The endpoint-independent mapping of inside endpoint (addr, port) for
 * rule r, made if missing, with one more session reference. Returns the
 * mapping's slot, or -(drop reason + 1). */
static inline int64_t
fw_nat_map_get(struct fw_nat_state *ns, const struct fw_snat_rt *r, uint16_t ridx, uint8_t pc,
	       uint32_t addr, uint16_t port, uint32_t remote, uint16_t lcore, uint64_t now,
	       bool *made, bool *preserved)
{
	struct fw_nat_mkey ki __rte_aligned(8) = {
		.side = 0, .pc = pc, .port = port, .addr = addr, .oport = r->oport};
	struct fw_nat_map *m;
	struct fw_nat_sub *s = NULL;
	struct fw_nat_addr *pa;
	uint32_t h = fw_nat_hash32(addr), seed, hp = rte_be_to_cpu_16(port);
	uint8_t exp = FW_SLOT_FREE;
	int32_t pi;
	uint16_t eport;
	int ret;

	*made = *preserved = false;
	pi = rte_hash_lookup(ns->mh, &ki);
	if (pi >= 0) {
		m = &ns->maps[pi];
		if (__atomic_load_n(&m->in_use, __ATOMIC_ACQUIRE) == FW_SLOT_LIVE && !m->alias) {
			uint32_t old = __atomic_load_n(&m->refs, __ATOMIC_RELAXED);

			do {
				if (old & FW_NAT_DEAD)
					return -(FW_DROP_NAT_RACE + 1);
			} while (!__atomic_compare_exchange_n(&m->refs, &old, old + 1, true,
							      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
			m->remotes[(old + 1) % FW_NAT_REMOTES] = remote;
			return pi;
		}
		return -(FW_DROP_NAT_RACE + 1);
	}
	/* pooled address pairing (RFC 4787 REQ-2): by the inside address */
	pa = r->addrs[h % r->n_addrs];
	if (r->block || r->max_sub) {
		s = fw_nat_sub_get(ns, r, ridx, addr, pa);
		if (s == NULL)
			return -(FW_DROP_NAT_TABLE_FULL + 1);
		pa = s->pa;
		if (!fw_nat_sub_ref(s, r->max_sub))
			return -(FW_DROP_NAT_SUB_LIMIT + 1);
	}
	pi = rte_hash_add_key(ns->mh, &ki);
	if (pi < 0)
		goto full;
	m = &ns->maps[pi];
	if (!__atomic_compare_exchange_n(&m->in_use, &exp, FW_SLOT_BUILD, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED)) {
		if (s != NULL)
			__atomic_fetch_sub(&s->maps, 1, __ATOMIC_RELEASE);
		return -(FW_DROP_NAT_RACE + 1);
	}
	seed = h ^ (hp * 2654435761u) ^ ((uint32_t)lcore << 24) ^ (uint32_t)now;
	if (r->block)
		ret = fw_nat_block_pick(s, r, pc, hp, seed, &eport);
	else if (pc == 2) /* ICMP identifiers: any but 0 */
		ret = fw_nat_port_pick(pa->bits[pc], 1, 65535, hp, seed, &eport);
	else
		ret = fw_nat_port_pick(pa->bits[pc], r->lo, r->hi, hp, seed, &eport);
	if (ret < 0) {
		__atomic_store_n(&m->in_use, FW_SLOT_DEAD, __ATOMIC_RELEASE);
		if (s != NULL)
			__atomic_fetch_sub(&s->maps, 1, __ATOMIC_RELEASE);
		return ret == -2 ? -(FW_DROP_NAT_SUB_LIMIT + 1) : -(FW_DROP_NAT_EXHAUSTED + 1);
	}
	*preserved = ret == 1;
	m->key = ki;
	m->alias = 0;
	m->rule = ridx;
	m->peer = FW_NAT_NONE;
	m->int_addr = addr;
	m->int_port = port;
	m->ext_addr = pa->addr;
	m->ext_port = rte_cpu_to_be_16(eport);
	m->refs = 1;
	m->sub = s != NULL ? (uint32_t)(s - ns->subs) : FW_NAT_NONE;
	for (int i = 0; i < FW_NAT_REMOTES; i++)
		m->remotes[i] = remote;
	m->pa = pa;
	m->made_tsc = 0; /* not yet logged */
	__atomic_fetch_add(&ns->count, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&m->in_use, FW_SLOT_LIVE, __ATOMIC_RELEASE);
	/* found by its outside endpoint from now on (the port is ours: no
	 * other writer until the control thread releases it) */
	__atomic_store_n(&pa->owner[pc][eport], (uint32_t)pi + 1, __ATOMIC_RELEASE);
	*made = true;
	return pi;
full:
	if (s != NULL)
		__atomic_fetch_sub(&s->maps, 1, __ATOMIC_RELEASE);
	return -(FW_DROP_NAT_TABLE_FULL + 1);
}

/* A mapping's reference taken for a session that was not made. */
static inline void
fw_nat_map_unref(struct fw_nat_state *ns, uint32_t pos)
{
	/* refs reaching 0 is seen by the control thread's sweep */
	__atomic_fetch_sub(&ns->maps[pos].refs, 1, __ATOMIC_RELEASE);
}

/* The live mapping of outside endpoint (addr, port), or NULL. */
static inline struct fw_nat_map *
fw_nat_map_by_ext(struct fw_nat_state *ns, const struct fw_nat_rt *n, uint8_t pc, uint32_t addr,
		  uint16_t port)
{
	int32_t x = fw_nat_ext_idx(n, addr);
	const struct fw_nat_addr *pa = x >= 0 ? n->ext_pa[x] : NULL;
	struct fw_nat_map *m;
	uint32_t o;

	if (pa == NULL)
		return NULL;
	o = __atomic_load_n(&pa->owner[pc][rte_be_to_cpu_16(port)], __ATOMIC_ACQUIRE);
	if (o == 0 || o > ns->n_slots)
		return NULL;
	m = &ns->maps[o - 1];
	if (__atomic_load_n(&m->in_use, __ATOMIC_ACQUIRE) != FW_SLOT_LIVE || m->alias ||
	    m->ext_addr != addr || m->ext_port != port || m->key.pc != pc)
		return NULL;
	return m;
}

/* take a reference on a mapping found by its outside endpoint */
static inline bool
fw_nat_map_ref(struct fw_nat_map *m)
{
	uint32_t old = __atomic_load_n(&m->refs, __ATOMIC_RELAXED);

	do {
		if (old & FW_NAT_DEAD)
			return false;
	} while (!__atomic_compare_exchange_n(&m->refs, &old, old + 1, true, __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	return true;
}

/* The first snat rule for a packet from the inside, or -1. */
static inline int
fw_nat_snat_match(const struct fw_nat_rt *n, uint16_t in_port, uint32_t src_be, uint32_t dst_be)
{
	uint32_t src = rte_be_to_cpu_32(src_be), dst = rte_be_to_cpu_32(dst_be);

	for (uint16_t i = 0; i < n->n_snat; i++) {
		const struct fw_snat_rt *r = &n->snat[i];
		bool in = false;

		if (in_port == r->oport || (r->in_port >= 0 && r->in_port != in_port))
			continue;
		for (uint16_t k = 0; k < r->n_from && !in; k++)
			in = (src & r->from[k][1]) == r->from[k][0];
		if (!in)
			continue;
		for (uint16_t k = 0; k < r->n_except && in; k++)
			in = (dst & r->except[k][1]) != r->except[k][0];
		if (in)
			return i;
	}
	return -1;
}

#endif /* NFV_FW_NAT_DP_H */
