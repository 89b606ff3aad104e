/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - control path: ARP and IPv6 neighbour discovery: the
 * neighbour cache with ageing, pending queues of packets waiting for a
 * resolution (forwarded, or fragmented, once it comes), DAD and
 * gratuitous ARP. Uses router_icmp.c (host unreachable when a resolution
 * fails) and router_frame.c. Control thread only.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_ip_frag.h>

#include "router_frame.h"
#include "router_icmp.h"
#include "router_nd.h"

struct rtr_nd_hdr {
	uint8_t type, code;
	uint16_t cksum;
	uint32_t flags;
	uint8_t target[16];
} __rte_packed;

static void
rtr_arp_send(struct rtr_state *st, const struct rtr_tables *t, uint16_t ifi, uint16_t op,
	     uint32_t sip, uint32_t tip, const uint8_t *dst_mac, const uint8_t *tha)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	const struct rtr_if *f = &t->ifs[ifi];
	struct rte_mbuf *r;
	struct rte_arp_hdr *a = (struct rte_arp_hdr *)rtr_new_frame(
		st, f, dst_mac ? dst_mac : bcast, RTE_ETHER_TYPE_ARP, sizeof(*a), &r);

	if (a == NULL)
		return;
	a->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	a->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	a->arp_hlen = 6;
	a->arp_plen = 4;
	a->arp_opcode = rte_cpu_to_be_16(op);
	a->arp_data.arp_sha = f->mac;
	a->arp_data.arp_sip = sip;
	if (tha != NULL)
		memcpy(&a->arp_data.arp_tha, tha, 6);
	a->arp_data.arp_tip = tip;
	rtr_send(st, f->port, r);
}

/* NS for target (dst_mac NULL: to the solicited-node group); src NULL: DAD */
static void
rtr_ns_send(struct rtr_state *st, const struct rtr_tables *t, uint16_t ifi, const uint8_t *target,
	    const uint8_t *dst_mac, bool dad)
{
	const struct rtr_if *f = &t->ifs[ifi];
	uint8_t mcast_mac[6] = {0x33, 0x33, 0xff, target[13], target[14], target[15]};
	uint16_t plen = sizeof(struct rtr_nd_hdr) + (dad ? 0 : 8);
	struct rte_mbuf *r;
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)rtr_new_frame(
		st, f, dst_mac ? dst_mac : mcast_mac, RTE_ETHER_TYPE_IPV6, 40 + plen, &r);
	struct rtr_nd_hdr *ns;

	if (ip6 == NULL)
		return;
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16(plen);
	ip6->proto = IPPROTO_ICMPV6;
	ip6->hop_limits = 255;
	if (!dad)
		memcpy(ip6->src_addr, rtr_if_src6(f, target), 16);
	if (dst_mac != NULL) {
		memcpy(ip6->dst_addr, target, 16);
	} else {
		static const uint8_t sn[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff};

		memcpy(ip6->dst_addr, sn, 13);
		memcpy(ip6->dst_addr + 13, target + 13, 3);
	}
	ns = (struct rtr_nd_hdr *)(ip6 + 1);
	ns->type = 135;
	memcpy(ns->target, target, 16);
	if (!dad) {
		uint8_t *opt = (uint8_t *)(ns + 1);

		opt[0] = 1; /* source link-layer address */
		opt[1] = 1;
		memcpy(opt + 2, &f->mac, 6);
	}
	rtr_icmp6_cksum(ip6);
	st->cp[RTR_CP_ND_NS_TX]++;
	rtr_send(st, f->port, r);
}

static void
rtr_neigh_request(struct rtr_state *st, const struct rtr_tables *t, struct rtr_neigh *n,
		  bool unicast)
{
	uint8_t mac[6];
	uint64_t w = atomic_load_explicit(&n->macw, memory_order_relaxed);

	memcpy(mac, &w, 6);
	n->req_tx++;
	if (n->key.family == 4) {
		uint32_t tip;

		memcpy(&tip, n->key.addr, 4);
		st->cp[RTR_CP_ARP_REQ_TX]++;
		rtr_arp_send(st, t, n->key.iface, RTE_ARP_OP_REQUEST,
			     rtr_if_src4(&t->ifs[n->key.iface], tip), tip, unicast ? mac : NULL,
			     NULL);
	} else {
		rtr_ns_send(st, t, n->key.iface, n->key.addr, unicast ? mac : NULL, false);
	}
}

#define RTR_MAX_FRAGS 64

/* n fragments (rte_ip_frag: a direct mbuf with the header and an indirect
 * one with the payload, made linear when they fit) of a packet to macw on
 * oi: each gets its L2 header (IPv4: its header checksum) and is sent. */
static void
rtr_cp_send_frags(struct rtr_state *st, const struct rtr_if *oi, struct rte_mbuf **frags, int n,
		  uint64_t macw, uint16_t ethertype)
{
	if (n <= 0) {
		st->cp[RTR_CP_FRAG_FAILED]++;
		return;
	}
	st->cp[RTR_CP_FRAGMENTED]++;
	for (int i = 0; i < n; i++) {
		struct rte_mbuf *f = frags[i];

		if (f->nb_segs > 1)
			rte_pktmbuf_linearize(f); /* left segmented when it does not fit */
		if (ethertype == RTE_ETHER_TYPE_IPV4) {
			struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(f, struct rte_ipv4_hdr *);

			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		}
		if (rtr_l2_write(f, 0, oi, macw, rte_cpu_to_be_16(ethertype)) != 0) {
			st->cp[RTR_CP_FRAG_FAILED]++;
			rte_pktmbuf_free(f);
			continue;
		}
		st->cp[RTR_CP_FRAGMENTS_TX]++;
		rtr_send(st, oi->port, f);
	}
}

/* IPv4 m (L2 already stripped, TTL done) larger than oi's MTU and without
 * DF: RFC 791 fragments, sent to the neighbour. */
void
rtr_cp_fragment4(struct rtr_state *st, const struct rtr_if *oi, struct rte_mbuf *m, uint64_t macw)
{
	struct rte_mbuf *frags[RTR_MAX_FRAGS];
	int n = rte_ipv4_fragment_packet(m, frags, RTR_MAX_FRAGS, oi->mtu, nfv_pktmbuf_pool(),
					 nfv_pktmbuf_pool());

	rte_pktmbuf_free(m);
	rtr_cp_send_frags(st, oi, frags, n, macw, RTE_ETHER_TYPE_IPV4);
}

/* IPv6 m (L2 stripped, no extension header) the router itself sends,
 * larger than oi's MTU: fragments (RFC 8200 4.5; a router never fragments
 * what it forwards), sent to macw. */
void
rtr_cp_fragment6(struct rtr_state *st, const struct rtr_if *oi, struct rte_mbuf *m, uint64_t macw)
{
	struct rte_mbuf *frags[RTR_MAX_FRAGS];
	int n = rte_ipv6_fragment_packet(m, frags, RTR_MAX_FRAGS, oi->mtu, nfv_pktmbuf_pool(),
					 nfv_pktmbuf_pool());

	rte_pktmbuf_free(m);
	rtr_cp_send_frags(st, oi, frags, n, macw, RTE_ETHER_TYPE_IPV6);
}

/* Forward a packet the worker punted for resolution (or fragmentation),
 * now that n has a MAC. */
static void
rtr_cp_forward(struct rtr_state *st, const struct rtr_tables *t, struct rte_mbuf *m,
	       const struct rtr_neigh *n)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	const struct rtr_if *oi = &t->ifs[n->key.iface];
	uint64_t macw = atomic_load_explicit(&n->macw, memory_order_relaxed);
	uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, md->l3_off);
	uint16_t et;

	if ((l3[0] >> 4) == 4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;
		uint16_t old = *(uint16_t *)&ip->time_to_live;

		ip->time_to_live--;
		ip->hdr_checksum =
			rtr_csum_update16(ip->hdr_checksum, old, *(uint16_t *)&ip->time_to_live);
		if (rte_be_to_cpu_16(ip->total_length) > oi->mtu &&
		    !(ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG))) {
			rte_pktmbuf_adj(m, md->l3_off);
			rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) -
						    rte_be_to_cpu_16(ip->total_length));
			rtr_cp_fragment4(st, oi, m, macw);
			return;
		}
		et = RTE_ETHER_TYPE_IPV4;
	} else {
		((struct rte_ipv6_hdr *)l3)->hop_limits--;
		et = RTE_ETHER_TYPE_IPV6;
	}
	if (rtr_l2_write(m, md->l3_off, oi, macw, rte_cpu_to_be_16(et)) != 0) {
		rte_pktmbuf_free(m);
		return;
	}
	st->cp[RTR_CP_QUEUE_SENT]++;
	rtr_send(st, oi->port, m);
}

void
rtr_neigh_resolved(struct rtr_state *st, struct rtr_tables *t, uint32_t id,
		   const struct rte_ether_addr *mac, bool confirmed)
{
	struct rtr_neigh *n = &t->neigh[id];
	uint64_t now = nfv_now_ms();

	n->rep_rx++;
	if (n->state == RTR_NS_STATIC)
		return;
	rtr_neigh_set_mac(n, mac);
	/* RFC 4861 7.2.3/7.2.5/6.2.6: an address learnt from a solicitation
	 * or an unsolicited advert is STALE (used, confirmed by a probe when
	 * it is next due), one from an answer to our probe REACHABLE */
	n->state = confirmed ? RTR_NS_REACHABLE : RTR_NS_STALE;
	n->changed_ms = now;
	n->next_ms = now + st->conf->reachable_ms;
	n->probes = 0;
	for (uint16_t i = 0; i < n->qn; i++)
		rtr_cp_forward(st, t, n->q[i], n);
	n->qn = 0;
}

static void
rtr_neigh_fail(struct rtr_state *st, struct rtr_tables *t, struct rtr_neigh *n)
{
	uint64_t now = nfv_now_ms();

	atomic_store_explicit(&n->macw, 0, memory_order_release);
	n->state = RTR_NS_FAILED;
	n->changed_ms = now;
	n->next_ms = now + st->conf->retrans_ms;
	for (uint16_t i = 0; i < n->qn; i++) {
		st->cp[RTR_CP_RESOLVE_TIMEOUT]++;
		n->q_drops++;
		rtr_error(st, t, n->q[i], RTR_ERR_HOST);
	}
	n->qn = 0;
}

/* Remove failed neighbours: out of the hash first (lookups stop finding
 * them), then, after every worker has passed a quiescent point, their
 * slots are freed for reuse (the hash is RW_CONCURRENCY_LF: a deleted key's
 * slot waits for rte_hash_free_key_with_position). */
#define RTR_GC_BATCH 64

static void
rtr_neigh_evict(struct rtr_state *st, struct rtr_tables *t, const uint32_t *ids, uint32_t n)
{
	int32_t pos[RTR_GC_BATCH];
	struct rte_rcu_qsbr *q = nfv_rcu();

	for (uint32_t i = 0; i < n; i++)
		pos[i] = rte_hash_del_key(t->nhash, &t->neigh[ids[i]].key);
	if (q != NULL)
		rte_rcu_qsbr_synchronize(q, RTE_QSBR_THRID_INVALID);
	for (uint32_t i = 0; i < n; i++) {
		struct rtr_neigh *nb = &t->neigh[ids[i]];

		if (pos[i] >= 0)
			rte_hash_free_key_with_position(t->nhash, pos[i]);
		free(nb->q);
		memset(nb, 0, sizeof(*nb));
		t->n_neigh--;
		st->cp[RTR_CP_NEIGH_EVICTED]++;
	}
}

void
rtr_resolve(struct rtr_state *st, struct rtr_tables *t, struct rte_mbuf *m, uint16_t oif,
	    uint32_t nid)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, md->l3_off);
	uint64_t now = nfv_now_ms();
	struct rtr_neigh *n;

	if (oif >= t->n_if)
		goto drop;
	if (nid >= t->max_neigh) {
		int fam = (l3[0] >> 4) == 4 ? 4 : 6;
		int id = rtr_neigh_get(t, oif, fam, fam == 4 ? l3 + 16 : l3 + 24, true);

		if (id < 0) {
			st->cp[RTR_CP_NEIGH_FULL]++;
			goto drop;
		}
		nid = (uint32_t)id;
	}
	n = &t->neigh[nid];
	if (atomic_load_explicit(&n->macw, memory_order_relaxed) & RTR_MAC_VALID) {
		rtr_cp_forward(st, t, m, n);
		return;
	}
	if (n->state == RTR_NS_FAILED && now < n->next_ms) {
		/* hold-down after a failed resolution */
		st->cp[RTR_CP_RESOLVE_TIMEOUT]++;
		n->q_drops++;
		rtr_error(st, t, m, RTR_ERR_HOST);
		return;
	}
	if (n->qn >= st->conf->queue_len) {
		st->cp[RTR_CP_QUEUE_FULL]++;
		n->q_drops++;
		goto drop;
	}
	if (n->q == NULL) {
		n->q = calloc(st->conf->queue_len ? st->conf->queue_len : 1, sizeof(*n->q));
		if (n->q == NULL)
			goto drop;
	}
	n->q[n->qn++] = m;
	n->queued++;
	st->cp[RTR_CP_QUEUED]++;
	if (n->state != RTR_NS_INCOMPLETE || n->probes == 0) {
		n->state = RTR_NS_INCOMPLETE;
		n->changed_ms = now;
		n->probes = 1;
		n->next_ms = now + st->conf->retrans_ms;
		rtr_neigh_request(st, t, n, false);
	}
	return;
drop:
	rte_pktmbuf_free(m);
}

void
rtr_arp_input(struct rtr_state *st, struct rtr_tables *t, struct rte_mbuf *m, uint16_t ifi)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	struct rte_arp_hdr *a = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, md->l3_off);
	const struct rtr_if *f = &t->ifs[ifi];
	uint32_t sip, tip;
	uint16_t op;
	bool for_us;
	int id;

	if (rte_pktmbuf_data_len(m) < md->l3_off + sizeof(*a) ||
	    a->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    a->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || a->arp_hlen != 6 ||
	    a->arp_plen != 4)
		goto free_m;
	op = rte_be_to_cpu_16(a->arp_opcode);
	sip = a->arp_data.arp_sip;
	tip = a->arp_data.arp_tip;
	for_us = rtr_is_own4(f, tip);
	if (op == RTE_ARP_OP_REQUEST)
		st->cp[RTR_CP_ARP_REQ_RX]++;
	else if (op == RTE_ARP_OP_REPLY)
		st->cp[RTR_CP_ARP_REP_RX]++;
	else
		goto free_m;
	/* learn from and answer only a unicast sender that is one host (a
	 * probe's 0.0.0.0 is answered, RFC 5227); never answer to a broadcast */
	if (!rte_is_unicast_ether_addr(&a->arp_data.arp_sha) ||
	    !rte_is_unicast_ether_addr(&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr) ||
	    (sip != 0 && !rtr_host4(t, sip)))
		goto free_m;
	if (sip != 0 && !rtr_is_own4(f, sip) && rtr_if_src4(f, sip) != 0) {
		/* RFC 826 merge: update an existing entry; create one when the
		 * sender talks to us (its replies will need it) */
		struct cfg_prefix p = {.family = AF_INET, .len = 32};

		p.v4.s_addr = sip;
		id = rtr_neigh_get(t, ifi, 4, &sip, false);
		if (id < 0 && for_us) {
			bool on_link = false;

			for (uint16_t k = 0; k < f->n4; k++) {
				struct cfg_prefix q = {.family = AF_INET, .len = f->l4[k]};

				q.v4.s_addr = f->a4[k];
				on_link |= rtr_prefix_contains(&q, &p);
			}
			if (on_link)
				id = rtr_neigh_get(t, ifi, 4, &sip, true);
		}
		if (id >= 0) {
			struct rtr_neigh *n = &t->neigh[id];
			uint64_t w = 0;

			memcpy(&w, &a->arp_data.arp_sha, 6);
			/* a request refreshes only what changed or is not yet known */
			if (op == RTE_ARP_OP_REPLY || !(n->macw & RTR_MAC_VALID) ||
			    (n->macw & ~RTR_MAC_VALID) != w)
				rtr_neigh_resolved(st, t, (uint32_t)id, &a->arp_data.arp_sha,
						   op == RTE_ARP_OP_REPLY);
		}
	}
	if (op == RTE_ARP_OP_REQUEST && for_us && sip != tip) {
		struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

		a->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
		a->arp_data.arp_tha = a->arp_data.arp_sha;
		a->arp_data.arp_tip = sip;
		a->arp_data.arp_sha = f->mac;
		a->arp_data.arp_sip = tip;
		eh->dst_addr = a->arp_data.arp_tha;
		eh->src_addr = f->mac;
		st->cp[RTR_CP_ARP_REP_TX]++;
		rtr_send(st, f->port, m);
		return;
	}
free_m:
	rte_pktmbuf_free(m);
}

static const uint8_t *
rtr_nd_lladdr(const uint8_t *opt, uint32_t len, uint8_t want)
{
	while (len >= 8) {
		uint32_t olen = opt[1] * 8u;

		if (olen == 0 || olen > len)
			return NULL;
		if (opt[0] == want && olen >= 8)
			return opt + 2;
		opt += olen;
		len -= olen;
	}
	return NULL;
}

static void
rtr_na_send(struct rtr_state *st, const struct rtr_tables *t, uint16_t ifi, const uint8_t *target,
	    const uint8_t *dst, const uint8_t *dst_mac, bool solicited, bool anycast)
{
	static const uint8_t all_nodes[16] = {0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
	const struct rtr_if *f = &t->ifs[ifi];
	struct rte_mbuf *r;
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)rtr_new_frame(
		st, f, dst ? dst_mac : all_nodes_mac, RTE_ETHER_TYPE_IPV6, 40 + 32, &r);
	struct rtr_nd_hdr *na;
	uint8_t *opt;

	if (ip6 == NULL)
		return;
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16(32);
	ip6->proto = IPPROTO_ICMPV6;
	ip6->hop_limits = 255;
	/* RFC 4861 7.2.4: for an anycast target, from a unicast address of
	 * the interface and without override (another router's advert for
	 * it may be as good) */
	memcpy(ip6->src_addr, anycast ? rtr_if_src6(f, dst ? dst : target) : target, 16);
	memcpy(ip6->dst_addr, dst ? dst : all_nodes, 16);
	na = (struct rtr_nd_hdr *)(ip6 + 1);
	na->type = 136;
	/* router, solicited, override */
	na->flags = rte_cpu_to_be_32(0x80000000u | (solicited ? 0x40000000u : 0) |
				     (anycast ? 0 : 0x20000000u));
	memcpy(na->target, target, 16);
	opt = (uint8_t *)(na + 1);
	opt[0] = 2; /* target link-layer address */
	opt[1] = 1;
	memcpy(opt + 2, &f->mac, 6);
	rtr_icmp6_cksum(ip6);
	st->cp[RTR_CP_ND_NA_TX]++;
	rtr_send(st, f->port, r);
}

#define RTR_NA_SOLICITED 0x40000000u
#define RTR_NA_OVERRIDE 0x20000000u

/* dst is target's solicited-node group ff02::1:ffXX:XXXX (RFC 4291 2.7.1) */
static bool
rtr_nd_solicited_node(const uint8_t *dst, const uint8_t *target)
{
	static const uint8_t pfx[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};

	return memcmp(dst, pfx, 13) == 0 && memcmp(dst + 13, target + 13, 3) == 0;
}

void
rtr_nd_input(struct rtr_state *st, struct rtr_tables *t, struct rte_mbuf *m, uint16_t ifi)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, md->l3_off);
	struct rtr_nd_hdr *nd = (struct rtr_nd_hdr *)(ip6 + 1);
	struct rtr_if *f = &t->ifs[ifi];
	uint32_t plen = rte_be_to_cpu_16(ip6->payload_len);
	static const uint8_t unspec[16];
	const uint8_t *ll;
	bool anycast;
	int own, id;

	/* RFC 4861 7.1.1/7.1.2: hop limit 255, code 0, length */
	if (ip6->hop_limits != 255 || nd->code != 0 || plen < sizeof(*nd) ||
	    rte_pktmbuf_data_len(m) < md->l3_off + 40u + plen || nd->target[0] == 0xff ||
	    !rtr_icmp6_ok(ip6, nd))
		goto free_m;
	own = rtr_own6_index(f, nd->target);
	if (nd->type == 135) {
		st->cp[RTR_CP_ND_NS_RX]++;
		anycast = own < 0 && rtr_anycast6(f, nd->target);
		if ((own < 0 && !anycast) || (own >= 0 && f->dad_conflict[own]))
			goto free_m;
		ll = rtr_nd_lladdr((const uint8_t *)(nd + 1), plen - sizeof(*nd), 1);
		if (memcmp(ip6->src_addr, unspec, 16) == 0) {
			/* someone's DAD for our address: defend it; RFC 4861
			 * 7.1.1: from :: only to a solicited-node group and
			 * with no source link-layer address */
			if (ll != NULL || !rtr_nd_solicited_node(ip6->dst_addr, nd->target) ||
			    anycast)
				goto free_m;
			rtr_na_send(st, t, ifi, nd->target, NULL, NULL, false, false);
			goto free_m;
		}
		/* the advert goes to ll or the frame's source: never to a group */
		if ((ll != NULL && (ll[0] & 1)) ||
		    !rte_is_unicast_ether_addr(
			    &rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr))
			goto free_m;
		if (ll != NULL) {
			id = rtr_neigh_get(t, ifi, 6, ip6->src_addr, true);
			if (id >= 0) {
				uint64_t w = 0;

				memcpy(&w, ll, 6);
				if (!(t->neigh[id].macw & RTR_MAC_VALID) ||
				    (t->neigh[id].macw & ~RTR_MAC_VALID) != w)
					rtr_neigh_resolved(st, t, (uint32_t)id,
							   (const struct rte_ether_addr *)ll, false);
			}
		}
		rtr_na_send(st, t, ifi, nd->target, ip6->src_addr,
			    ll ? ll
			       : rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr.addr_bytes,
			    true, anycast);
	} else if (nd->type == 136) {
		st->cp[RTR_CP_ND_NA_RX]++;
		if (own >= 0) {
			/* another node claims our address: an answer to our
			 * detection (RFC 4862 5.4.4) takes it out of use;
			 * later, only counted (an advert anyone can send must
			 * not take the router's address away) */
			st->cp[RTR_CP_DAD_CONFLICT]++;
			if (nfv_now_ms() < f->dad_until_ms && !f->dad_conflict[own]) {
				f->dad_conflict[own] = true;
				rte_log(RTE_LOG_WARNING, RTE_LOGTYPE_USER1,
					"router: %s: %s: duplicate address detected, not used\n",
					st->name, f->name);
			}
			goto free_m;
		}
		/* RFC 4861 7.1.2: an advert to a group is not solicited */
		if (ip6->dst_addr[0] == 0xff && (nd->flags & rte_cpu_to_be_32(RTR_NA_SOLICITED)))
			goto free_m;
		ll = rtr_nd_lladdr((const uint8_t *)(nd + 1), plen - sizeof(*nd), 2);
		id = rtr_neigh_get(t, ifi, 6, nd->target, false);
		if (id >= 0 && ll != NULL) {
			uint64_t w = 0, cur = t->neigh[id].macw;

			memcpy(&w, ll, 6);
			/* RFC 4861 7.2.5: without the override flag an advert
			 * does not replace a known, different address */
			if (!(nd->flags & rte_cpu_to_be_32(RTR_NA_OVERRIDE)) &&
			    (cur & RTR_MAC_VALID) && (cur & ~RTR_MAC_VALID) != w)
				goto free_m;
			rtr_neigh_resolved(st, t, (uint32_t)id, (const struct rte_ether_addr *)ll,
					   (nd->flags & rte_cpu_to_be_32(RTR_NA_SOLICITED)) != 0);
		}
	}
free_m:
	rte_pktmbuf_free(m);
}

void
rtr_announce(struct rtr_state *st, struct rtr_tables *t)
{
	uint64_t now = nfv_now_ms();

	for (uint16_t i = 0; i < t->n_if; i++) {
		struct rtr_if *f = &t->ifs[i];

		for (uint16_t k = 0; k < f->n4; k++) {
			st->cp[RTR_CP_GARP_TX]++;
			rtr_arp_send(st, t, i, RTE_ARP_OP_REQUEST, f->a4[k], f->a4[k], NULL, NULL);
		}
		/* duplicate address detection (RFC 4862 5.4), the link-local
		 * address's too: an advert for one of them within
		 * RetransTimer is another node's */
		f->dad_until_ms = now + st->conf->retrans_ms;
		rtr_ns_send(st, t, i, f->ll6, NULL, true);
		for (uint16_t k = 0; k < f->n6; k++)
			rtr_ns_send(st, t, i, f->a6[k], NULL, true);
	}
}

/* Neighbour timers: retries of unanswered requests, reachable -> stale
 * with unicast probes, failed entries given up, unused failed ones
 * evicted after gc-ms. */
void
rtr_neigh_tick(struct rtr_state *st, struct rtr_tables *t, uint64_t now_ms)
{
	const struct rtr_conf *c = st->conf;
	uint32_t evict[RTR_GC_BATCH], n_evict = 0;

	for (uint32_t i = 0; i < t->max_neigh && i <= t->neigh_hi; i++) {
		struct rtr_neigh *n = &t->neigh[i];

		if (n->key.family == 0 || now_ms < n->next_ms)
			continue;
		switch (n->state) {
		case RTR_NS_FAILED:
			/* a host that stopped answering and no route uses */
			if (c->gc_ms && n->refs == 0 && n->qn == 0 &&
			    now_ms >= n->changed_ms + c->gc_ms && n_evict < RTR_GC_BATCH)
				evict[n_evict++] = i;
			break;
		case RTR_NS_INCOMPLETE:
			if (n->probes == 0)
				break;
			if (n->probes < c->probes) {
				n->probes++;
				n->next_ms = now_ms + c->retrans_ms;
				rtr_neigh_request(st, t, n, false);
			} else {
				rtr_neigh_fail(st, t, n);
			}
			break;
		case RTR_NS_REACHABLE:
			/* reachable time over: keep using the MAC, confirm it */
			n->state = RTR_NS_STALE;
			n->changed_ms = now_ms;
			n->probes = 1;
			n->next_ms = now_ms + c->retrans_ms;
			rtr_neigh_request(st, t, n, true);
			break;
		case RTR_NS_STALE:
			if (n->probes < c->probes) {
				n->probes++;
				n->next_ms = now_ms + c->retrans_ms;
				rtr_neigh_request(st, t, n, n->probes < c->probes);
			} else {
				rtr_neigh_fail(st, t, n);
			}
			break;
		default:
			break;
		}
	}
	if (n_evict > 0)
		rtr_neigh_evict(st, t, evict, n_evict);
}
