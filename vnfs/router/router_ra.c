/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - control path: IPv6 router advertisements sent by the
 * router itself on the interfaces with `ra:` (RFC 4861 section 6): the
 * advert (flags, router lifetime, reachable and retransmission times,
 * source link-layer address, MTU, prefix information, RDNSS of RFC 8106),
 * unsolicited adverts at random intervals between min- and max-interval
 * (6.2.4, the first RTR_RA_INITIAL at most 16 s apart), answers to router
 * solicitations after a random delay, multicast at most every 3 s (6.2.6)
 * or unicast when configured, a final advert with router lifetime 0 when
 * advertising stops (6.2.5). Source: the interface's link-local address,
 * hop limit 255. Control thread only (frames leave by st->tx, nfv_ctl_tx):
 * nothing here runs on the workers. Above neighbour discovery (a
 * solicitation's source link-layer address goes to its cache): uses
 * router_nd.c and router_frame.c; router_cp.c hands it solicitations.
 */
#include <string.h>

#include <rte_random.h>

#include "router_frame.h"
#include "router_nd.h"
#include "router_ra.h"

static const uint8_t rtr_all_nodes[16] = {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t rtr_all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};

struct rtr_ra_hdr {
	uint8_t type, code;
	uint16_t cksum;
	uint8_t hop_limit;
	uint8_t flags; /* M 0x80, O 0x40 */
	uint16_t lifetime;
	uint32_t reachable;
	uint32_t retrans;
} __rte_packed;

#define RTR_RA_OPT_SLLA 1
#define RTR_RA_OPT_PREFIX 3
#define RTR_RA_OPT_MTU 5
#define RTR_RA_OPT_RDNSS 25

uint16_t
rtr_ra_len(const struct rtr_ra_conf *ra)
{
	return (uint16_t)(sizeof(struct rtr_ra_hdr) + 8 /* SLLA */ + (ra->mtu ? 8 : 0) +
			  32 * ra->n_prefix + (ra->n_rdnss ? 8 + 16 * ra->n_rdnss : 0));
}

static void
rtr_put32(uint8_t *p, uint32_t v)
{
	v = rte_cpu_to_be_32(v);
	memcpy(p, &v, 4);
}

static uint8_t *
rtr_ra_put_prefix(uint8_t *o, const struct rtr_ra_prefix *p, bool withdrawn)
{
	o[0] = RTR_RA_OPT_PREFIX;
	o[1] = 4;
	o[2] = p->prefix.len;
	o[3] = (uint8_t)((p->on_link ? 0x80 : 0) | (p->autonomous ? 0x40 : 0));
	rtr_put32(o + 4, withdrawn ? 0 : p->valid);
	rtr_put32(o + 8, withdrawn ? 0 : p->preferred);
	memcpy(o + 16, &p->prefix.v6, 16);
	return o + 32;
}

static uint8_t *
rtr_ra_put_rdnss(uint8_t *o, uint16_t n, const uint8_t (*a)[16], uint32_t lifetime)
{
	o[0] = RTR_RA_OPT_RDNSS;
	o[1] = (uint8_t)(1 + 2 * n);
	rtr_put32(o + 4, lifetime);
	for (uint16_t i = 0; i < n; i++)
		memcpy(o + 8 + 16 * i, a[i], 16);
	return o + 8 + 16 * n;
}

struct rte_mbuf *
rtr_ra_build(struct rtr_state *st, const struct rtr_if *f, const struct rtr_ra_conf *ra,
	     const struct rtr_ra_gone *gone, const uint8_t *dst, const uint8_t *dst_mac, bool final)
{
	uint16_t len = rtr_ra_len(ra);

	if (gone != NULL && gone->left == 0)
		gone = NULL;
	if (gone != NULL)
		len = (uint16_t)(len + 32 * gone->n_prefix +
				 (gone->n_rdnss ? 8 + 16 * gone->n_rdnss : 0));
	struct rte_mbuf *m;
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)rtr_new_frame(
		st, f, dst_mac != NULL ? dst_mac : rtr_all_nodes_mac, RTE_ETHER_TYPE_IPV6,
		(uint16_t)(sizeof(*ip6) + len), &m);
	struct rtr_ra_hdr *h;
	uint8_t *o;

	if (ip6 == NULL)
		return NULL;
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16(len);
	ip6->proto = IPPROTO_ICMPV6;
	ip6->hop_limits = 255;
	memcpy(ip6->src_addr, f->ll6, 16);
	memcpy(ip6->dst_addr, dst != NULL ? dst : rtr_all_nodes, 16);
	h = (struct rtr_ra_hdr *)(ip6 + 1);
	h->type = 134;
	h->hop_limit = ra->hop_limit;
	h->flags = (uint8_t)((ra->managed ? 0x80 : 0) | (ra->other ? 0x40 : 0));
	h->lifetime = rte_cpu_to_be_16(final ? 0 : ra->router_lifetime);
	h->reachable = rte_cpu_to_be_32(ra->reachable_ms);
	h->retrans = rte_cpu_to_be_32(ra->retrans_ms);
	o = (uint8_t *)(h + 1);
	o[0] = RTR_RA_OPT_SLLA;
	o[1] = 1;
	memcpy(o + 2, &f->mac, 6);
	o += 8;
	if (ra->mtu) {
		o[0] = RTR_RA_OPT_MTU;
		o[1] = 1;
		rtr_put32(o + 4, ra->mtu);
		o += 8;
	}
	for (uint16_t i = 0; i < ra->n_prefix; i++)
		o = rtr_ra_put_prefix(o, &ra->prefix[i], false);
	if (ra->n_rdnss)
		o = rtr_ra_put_rdnss(o, ra->n_rdnss, (const uint8_t(*)[16])ra->rdnss,
				     final ? 0 : ra->rdnss_lifetime);
	if (gone != NULL) {
		for (uint16_t i = 0; i < gone->n_prefix; i++)
			o = rtr_ra_put_prefix(o, &gone->prefix[i], true);
		if (gone->n_rdnss)
			rtr_ra_put_rdnss(o, gone->n_rdnss, (const uint8_t(*)[16])gone->rdnss, 0);
	}
	rtr_icmp6_cksum(ip6);
	return m;
}

static void
rtr_ra_send(struct rtr_state *st, const struct rtr_tables *t, const struct rtr_ra_conf *ra,
	    uint16_t ifi, const uint8_t *dst, const uint8_t *dst_mac, bool final)
{
	struct rte_mbuf *m;

	/* RFC 4862 5.4.5: a duplicate link-local address: no adverts from it */
	if (t->ifs[ifi].dad_conflict[RTR_MAX_ADDRS])
		return;
	m = rtr_ra_build(st, &t->ifs[ifi], ra, &st->ra[ifi].gone, dst, dst_mac, final);
	if (m == NULL)
		return;
	st->cp[RTR_CP_RA_TX]++;
	st->ra[ifi].tx++;
	rtr_send(st, t->ifs[ifi].port, m);
}

/* uniformly in [lo, hi] ms */
static uint64_t
rtr_ra_rand(uint64_t lo, uint64_t hi)
{
	return lo + (hi > lo ? rte_rand_max(hi - lo + 1) : 0);
}

/* The next unsolicited advert after one sent at now (6.2.4): the first
 * RTR_RA_INITIAL adverts at most RTR_RA_INITIAL_MS apart */
static uint64_t
rtr_ra_next(const struct rtr_ra_if *s, const struct rtr_ra_conf *ra, uint64_t now)
{
	uint64_t ival = rtr_ra_rand(ra->min_interval_ms, ra->max_interval_ms);

	if (s->initial < RTR_RA_INITIAL && ival > RTR_RA_INITIAL_MS)
		ival = RTR_RA_INITIAL_MS;
	return now + ival;
}

/* Advertising begins on ifi: the first advert at once, then the initial
 * ones (6.2.4) */
static void
rtr_ra_begin(struct rtr_ra_if *s, uint64_t now)
{
	s->on = true;
	s->initial = 0;
	s->n_uni = 0;
	s->next_ms = now;
}

void
rtr_ra_start(struct rtr_state *st, const struct rtr_tables *t)
{
	uint64_t now = nfv_now_ms();

	memset(st->ra, 0, sizeof(st->ra));
	for (uint16_t i = 0; i < t->n_if; i++)
		if (st->conf->ifs[i].ra.enabled)
			rtr_ra_begin(&st->ra[i], now);
}

static bool
rtr_ra_same_link(const struct rtr_if *a, const struct rtr_if *b)
{
	return a->port == b->port && a->vlan == b->vlan &&
	       memcmp(&a->mac, &b->mac, sizeof(a->mac)) == 0 && memcmp(a->ll6, b->ll6, 16) == 0;
}

static bool
rtr_ra_has_prefix(const struct rtr_ra_conf *ra, const struct rtr_ra_prefix *p)
{
	for (uint16_t i = 0; i < ra->n_prefix; i++)
		if (ra->prefix[i].prefix.len == p->prefix.len &&
		    memcmp(&ra->prefix[i].prefix.v6, &p->prefix.v6, 16) == 0)
			return true;
	return false;
}

static bool
rtr_ra_has_rdnss(const struct rtr_ra_conf *ra, const uint8_t *a)
{
	for (uint16_t i = 0; i < ra->n_rdnss; i++)
		if (memcmp(ra->rdnss[i], a, 16) == 0)
			return true;
	return false;
}

/* g: the prefixes and DNS servers old advertised and nc does not (and
 * those g still withdrew that nc did not bring back), for the next
 * RTR_RA_INITIAL multicast adverts */
static void
rtr_ra_withdraw(struct rtr_ra_gone *g, const struct rtr_ra_conf *old, const struct rtr_ra_conf *nc)
{
	struct rtr_ra_gone n;

	memset(&n, 0, sizeof(n));
	for (uint16_t i = 0; g->left && i < g->n_prefix; i++)
		if (!rtr_ra_has_prefix(nc, &g->prefix[i]) && n.n_prefix < RTR_RA_MAX_PREFIXES)
			n.prefix[n.n_prefix++] = g->prefix[i];
	for (uint16_t i = 0; i < old->n_prefix; i++)
		if (!rtr_ra_has_prefix(nc, &old->prefix[i]) && n.n_prefix < RTR_RA_MAX_PREFIXES)
			n.prefix[n.n_prefix++] = old->prefix[i];
	for (uint16_t i = 0; g->left && i < g->n_rdnss; i++)
		if (!rtr_ra_has_rdnss(nc, g->rdnss[i]) && n.n_rdnss < RTR_RA_MAX_RDNSS)
			memcpy(n.rdnss[n.n_rdnss++], g->rdnss[i], 16);
	for (uint16_t i = 0; i < old->n_rdnss; i++)
		if (!rtr_ra_has_rdnss(nc, old->rdnss[i]) && n.n_rdnss < RTR_RA_MAX_RDNSS)
			memcpy(n.rdnss[n.n_rdnss++], old->rdnss[i], 16);
	n.left = (n.n_prefix || n.n_rdnss) ? RTR_RA_INITIAL : 0;
	*g = n;
}

void
rtr_ra_reconf(struct rtr_state *st, const struct rtr_tables *old, const struct rtr_conf *oc,
	      const struct rtr_tables *nt, const struct rtr_conf *nc)
{
	struct rtr_ra_if next[RTR_MAX_IF];
	uint64_t now = nfv_now_ms();

	memset(next, 0, sizeof(next));
	for (uint16_t i = 0; i < old->n_if; i++) {
		int k = -1;

		if (!st->ra[i].on)
			continue;
		for (uint16_t j = 0; j < nt->n_if; j++)
			if (strcmp(nt->ifs[j].name, old->ifs[i].name) == 0)
				k = j;
		if (k >= 0 && nc->ifs[k].ra.enabled &&
		    rtr_ra_same_link(&old->ifs[i], &nt->ifs[k])) {
			next[k] = st->ra[i];
			if (memcmp(&oc->ifs[i].ra, &nc->ifs[k].ra, sizeof(nc->ifs[k].ra)) != 0) {
				/* new contents: fast adverts again (6.2.4 allows
				 * it), no sooner than MIN_DELAY_BETWEEN_RAS after
				 * the last (6.2.6), withdrawing what went */
				next[k].initial = 0;
				next[k].next_ms = now;
				if (next[k].last_mcast_ms != 0 &&
				    next[k].last_mcast_ms + RTR_RA_MIN_DELAY_MS > now)
					next[k].next_ms =
						next[k].last_mcast_ms + RTR_RA_MIN_DELAY_MS;
				rtr_ra_withdraw(&next[k].gone, &oc->ifs[i].ra, &nc->ifs[k].ra);
			}
			continue;
		}
		/* stops advertising here (or moves): hosts drop the default
		 * route now rather than after the router lifetime (6.2.5) */
		rtr_ra_send(st, old, &oc->ifs[i].ra, i, NULL, NULL, true);
	}
	for (uint16_t j = 0; j < nt->n_if; j++)
		if (nc->ifs[j].ra.enabled && !next[j].on)
			rtr_ra_begin(&next[j], now);
	memcpy(st->ra, next, sizeof(next));
}

void
rtr_ra_stop(struct rtr_state *st, const struct rtr_tables *t)
{
	for (uint16_t i = 0; i < t->n_if; i++)
		if (st->ra[i].on) {
			rtr_ra_send(st, t, &st->conf->ifs[i].ra, i, NULL, NULL, true);
			st->ra[i].on = false;
		}
}

void
rtr_ra_tick(struct rtr_state *st, const struct rtr_tables *t, uint64_t now)
{
	for (uint16_t i = 0; i < t->n_if; i++) {
		struct rtr_ra_if *s = &st->ra[i];
		const struct rtr_ra_conf *ra = &st->conf->ifs[i].ra;
		uint16_t k = 0;

		if (!s->on)
			continue;
		if (now >= s->next_ms) {
			rtr_ra_send(st, t, ra, i, NULL, NULL, false);
			s->last_mcast_ms = now;
			if (s->gone.left > 0)
				s->gone.left--;
			if (s->initial < RTR_RA_INITIAL)
				s->initial++;
			s->next_ms = rtr_ra_next(s, ra, now);
		}
		while (k < s->n_uni) {
			if (now >= s->uni[k].at_ms) {
				rtr_ra_send(st, t, ra, i, s->uni[k].ip, s->uni[k].mac, false);
				s->uni[k] = s->uni[--s->n_uni];
			} else {
				k++;
			}
		}
	}
}

/* A multicast answer to a solicitation (6.2.6): after a random delay of
 * 0..MAX_RA_DELAY_TIME, and no sooner than MIN_DELAY_BETWEEN_RAS after the
 * last multicast advert; an advert already due earlier serves */
static void
rtr_ra_solicited_mcast(struct rtr_ra_if *s, uint64_t now)
{
	uint64_t at = now + rtr_ra_rand(0, RTR_RA_DELAY_MS);

	if (s->last_mcast_ms != 0 && now < s->last_mcast_ms + RTR_RA_MIN_DELAY_MS)
		at = s->last_mcast_ms + RTR_RA_MIN_DELAY_MS + (at - now);
	if (at < s->next_ms)
		s->next_ms = at;
}

static bool
rtr_ra_unspec(const uint8_t *a)
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

void
rtr_ra_rs_input(struct rtr_state *st, struct rtr_tables *t, struct rte_mbuf *m, uint16_t ifi)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	const struct rte_ipv6_hdr *ip6 =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, md->l3_off);
	const uint8_t *o = (const uint8_t *)(ip6 + 1) + 8, *slla = NULL;
	uint32_t len = rte_be_to_cpu_16(ip6->payload_len);
	const uint8_t *src_mac = rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr.addr_bytes;
	struct rtr_ra_if *s = &st->ra[ifi];
	bool unspec = rtr_ra_unspec(ip6->src_addr);
	uint64_t now = nfv_now_ms();

	st->cp[RTR_CP_RS_RX]++;
	/* 6.1.1: hop limit 255, a valid checksum, code 0, ICMP length >= 8,
	 * every option of a non-zero length, no source link-layer address
	 * option from the unspecified address */
	if (len < 8 || rte_pktmbuf_data_len(m) < md->l3_off + sizeof(*ip6) + len ||
	    ip6->hop_limits != 255 || ((const uint8_t *)(ip6 + 1))[1] != 0 ||
	    !rtr_icmp6_ok(ip6, ip6 + 1))
		goto bad;
	for (len -= 8; len > 0;) {
		uint32_t olen;

		if (len < 2 || o[1] == 0 || (olen = o[1] * 8u) > len)
			goto bad;
		if (o[0] == RTR_RA_OPT_SLLA) {
			if (unspec)
				goto bad;
			slla = o + 2;
		}
		o += olen;
		len -= olen;
	}
	if (!s->on)
		goto free_m;
	s->rs_rx++;
	/* 6.2.6: a solicitation with a source link-layer address updates the
	 * neighbour cache (never from ::) */
	if (slla != NULL && rte_is_unicast_ether_addr((const struct rte_ether_addr *)slla) &&
	    rtr_host6(ip6->src_addr)) {
		int id = rtr_neigh_get(t, ifi, 6, ip6->src_addr, true);

		if (id >= 0) {
			uint64_t w = 0;

			memcpy(&w, slla, 6);
			if (!(t->neigh[id].macw & RTR_MAC_VALID) ||
			    (t->neigh[id].macw & ~RTR_MAC_VALID) != w)
				rtr_neigh_resolved(st, t, (uint32_t)id,
						   (const struct rte_ether_addr *)slla, false);
		}
	}
	if (st->conf->ifs[ifi].ra.solicited_unicast && !unspec && rtr_host6(ip6->src_addr) &&
	    s->n_uni < RTR_RA_MAX_UNI) {
		const uint8_t *mac = slla != NULL ? slla : src_mac;
		struct rtr_ra_uni *u = &s->uni[s->n_uni];

		if (rte_is_unicast_ether_addr((const struct rte_ether_addr *)mac)) {
			for (uint16_t k = 0; k < s->n_uni; k++)
				if (memcmp(s->uni[k].ip, ip6->src_addr, 16) == 0)
					goto free_m; /* already answering it */
			memcpy(u->ip, ip6->src_addr, 16);
			memcpy(u->mac, mac, 6);
			u->at_ms = now + rtr_ra_rand(0, RTR_RA_DELAY_MS);
			s->n_uni++;
			goto free_m;
		}
	}
	rtr_ra_solicited_mcast(s, now);
	goto free_m;
bad:
	st->cp[RTR_CP_RS_BAD]++;
free_m:
	rte_pktmbuf_free(m);
}

json_t *
rtr_ra_json(const struct rtr_state *st, uint16_t ifi, uint64_t now_ms)
{
	const struct rtr_ra_if *s = &st->ra[ifi];

	return json_pack("{s:I,s:I,s:I}", "sent", (json_int_t)s->tx, "solicits",
			 (json_int_t)s->rs_rx, "next_ms",
			 (json_int_t)(s->next_ms > now_ms ? s->next_ms - now_ms : 0));
}
