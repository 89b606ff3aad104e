/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - fast path: Ethernet/802.1Q parse, IPv4/IPv6 header
 * validation, bulk FIB lookups, ECMP, TTL/hop-limit decrement with the
 * RFC 1624 incremental checksum, MAC rewrite and tx. Everything slow (our
 * own addresses, ARP/ND, ICMP errors, unresolved neighbours) is punted to
 * the control thread under a per-lcore token bucket.
 */
#include <string.h>
#include <time.h>

#include <rte_hash_crc.h>

#include "router_rt.h"

#define RTR_PUNT_NID_NONE 0x7ffffu

static inline uint32_t
rtr_punt_code(enum rtr_punt why, uint16_t iface, uint32_t nid)
{
	return (uint32_t)why | ((uint32_t)iface << 8) | (nid << 13);
}

/* Token bucket b of this lcore; true when a packet may be punted. */
static inline bool
rtr_punt_allowed(struct rtr_state *st, struct nfv_worker *w, unsigned int b)
{
	struct rtr_bucket *tb = &st->tb[w->lcore].b[b];

	if (tb->tokens == 0) {
		uint64_t now = w->now_tsc, add;

		if (now <= tb->last)
			return false;
		add = (now - tb->last) / st->punt_tsc_per_token[b];
		if (add == 0)
			return false;
		if (add >= st->punt_burst[b]) {
			tb->tokens = st->punt_burst[b];
			tb->last = now;
		} else {
			tb->tokens = add;
			tb->last += add * st->punt_tsc_per_token[b];
		}
	}
	tb->tokens--;
	return true;
}

/* nfvctl trace: why a traced packet goes to the control thread */
static __rte_noinline __rte_cold void
rtr_trace_punt(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf *m, uint32_t code)
{
	static const char *const why[] = {
		[RTR_PUNT_LOCAL] = "for the router itself: punted (local delivery)",
		[RTR_PUNT_ARP] = "ARP: punted to the neighbour table",
		[RTR_PUNT_ND] = "neighbour discovery: punted",
		[RTR_PUNT_TTL] = "TTL/hop limit expired: punted for ICMP time exceeded",
		[RTR_PUNT_NOROUTE] = "no route: punted for ICMP destination unreachable",
		[RTR_PUNT_REJECT] = "reject route: punted for ICMP destination unreachable",
		[RTR_PUNT_TOOBIG] = "too big for the egress MTU: punted for ICMP (DF set)",
		[RTR_PUNT_RESOLVE] = "next hop not resolved (or fragmenting): punted, sent once "
				     "resolved",
		[RTR_PUNT_PARAM] = "malformed IPv4 option: punted for ICMP parameter problem",
		[RTR_PUNT_SCOPE] = "link-local source to a destination off its link: punted for "
				   "ICMPv6 destination unreachable (beyond scope)",
	};
	uint32_t c = code & 0xff;

	if (c < RTE_DIM(why) && why[c] != NULL)
		nfv_trace_note(w, vnf, m, why[c], NULL, 0, 0, 0);
}

/* nfvctl trace: the route each traced packet of pkts[0..n) (forwarded,
 * family 4 or 6) took: looked up again, for them only */
static __rte_noinline __rte_cold void
rtr_trace_fwd(struct nfv_vnf *vnf, struct nfv_worker *w, const struct rtr_tables *t,
	      struct rte_mbuf **pkts, uint16_t n, int family)
{
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
		uint32_t off = RTE_ETHER_HDR_LEN;
		const struct rtr_adj *adj;
		const struct rtr_if *oif;
		uint8_t dst[16];
		uint64_t a = 0;

		if (!nfv_traced(w, m))
			continue;
		if (d[12] == 0x81 && d[13] == 0x00)
			off += 4;
		if (family == 4) {
			uint32_t da;

			memcpy(dst, d + off + 16, 4);
			memcpy(&da, dst, 4);
			da = rte_be_to_cpu_32(da);
			rte_fib_lookup_bulk(t->fib4, &da, &a, 1);
		} else {
			memcpy(dst, d + off + 24, 16);
			rte_fib6_lookup_bulk(t->fib6, &dst, &a, 1);
		}
		adj = &t->adj[a < RTR_MAX_ADJ ? a : 0];
		if (adj->type == RTR_ADJ_CONNECTED && adj->iface < t->n_if) {
			oif = &t->ifs[adj->iface];
			if (family == 4) {
				uint32_t da = *(const uint32_t *)dst;

				nfv_trace_note(w, vnf, m, "route: %4 on a connected subnet of %s, out port %p",
					       oif->name, da, oif->port, 0);
				for (uint16_t k = 0; k < oif->n4; k++) {
					uint32_t mask = oif->l4[k] ? rte_cpu_to_be_32(~0u << (32 - oif->l4[k]))
								   : 0;

					if ((oif->a4[k] & mask) == (da & mask)) {
						nfv_trace_note(w, vnf, m, "connected route %4/%u (%s), next hop: the destination",
							       oif->name, oif->a4[k] & mask, oif->l4[k], 0);
						break;
					}
				}
			} else
				nfv_trace_note(w, vnf, m, "route: %6 on a connected subnet of %s, out port %p",
					       oif->name, nfv_trace_ip6(dst, 0), nfv_trace_ip6(dst, 1),
					       oif->port);
		} else if (adj->type == RTR_ADJ_GW && adj->n_nh > 0) {
			const struct rtr_neigh *nb = &t->neigh[adj->nh[0]];

			oif = &t->ifs[nb->key.iface < t->n_if ? nb->key.iface : 0];
			if (family == 4) {
				nfv_trace_note(w, vnf, m, "route: %4 via gateway %4 on %s, out port %p",
					       oif->name, *(const uint32_t *)dst,
					       *(const uint32_t *)nb->key.addr, oif->port);
				nfv_trace_note(w, vnf, m, "gateway route %r", NULL, 4 | a << 8,
					       *(const uint32_t *)dst, 0);
			} else {
				nfv_trace_note(w, vnf, m, "route: %6", NULL, nfv_trace_ip6(dst, 0),
					       nfv_trace_ip6(dst, 1), 0);
				nfv_trace_note(w, vnf, m, "gateway route %r", NULL, 6 | a << 8,
					       nfv_trace_ip6(dst, 0), nfv_trace_ip6(dst, 1));
				nfv_trace_note(w, vnf, m, "via gateway %6 on %s, out port %p", oif->name,
					       nfv_trace_ip6(nb->key.addr, 0),
					       nfv_trace_ip6(nb->key.addr, 1), oif->port);
			}
			if (adj->n_nh > 1)
				nfv_trace_note(w, vnf, m, "one of %u equal-cost paths (flow hash)", NULL,
					       adj->n_nh, 0, 0);
		}
		nfv_trace_note(w, vnf, m, "TTL/hop limit decremented, MACs rewritten for port %p",
			       NULL, nfv_meta(m)->out_port, 0, 0);
	}
}

static inline void
rtr_punt_pkt_b(struct rtr_state *st, struct nfv_vnf *vnf, struct nfv_worker *w,
	       struct rte_mbuf *m, uint32_t code, uint16_t ctr, uint16_t limit_reason,
	       unsigned int b)
{
	if (unlikely(!rtr_punt_allowed(st, w, b))) {
		nfv_drop(w, vnf, m, limit_reason);
		return;
	}
	nfv_count(w, vnf, ctr, 1);
	nfv_meta(m)->nh = code;
	if (nfv_traced(w, m))
		rtr_trace_punt(vnf, w, m, code);
	nfv_punt(w, vnf, m);
}

static inline void
rtr_punt_pkt(struct rtr_state *st, struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf *m,
	     uint32_t code, uint16_t ctr, uint16_t limit_reason)
{
	rtr_punt_pkt_b(st, vnf, w, m, code, ctr, limit_reason, RTR_TB_CTL);
}

/* A packet for one of the router's addresses that keeps the router's
 * adjacencies up: neighbour discovery, OSPF, VRRP, PIM, BGP (TCP 179
 * either way), BFD (UDP 3784, 3785, 4784), RIP/RIPng (UDP 520, 521), LDP
 * (646). It takes the control bucket; the rest (echo, ssh, any other
 * service) the host bucket, so a flood to the router's address does not
 * take these down. l4: the transport header, avail bytes of it. */
static inline bool
rtr_local_is_ctl(int family, uint8_t proto, const uint8_t *l4, uint32_t avail)
{
	uint16_t sport, dport;

	switch (proto) {
	case 89:  /* OSPF */
	case 112: /* VRRP */
	case 103: /* PIM */
		return true;
	case IPPROTO_ICMPV6:
		return family == 6 && avail >= 1 && l4[0] >= 133 && l4[0] <= 137;
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		if (avail < 4)
			return false;
		sport = (uint16_t)(l4[0] << 8 | l4[1]);
		dport = (uint16_t)(l4[2] << 8 | l4[3]);
		if (proto == IPPROTO_TCP)
			return sport == 179 || dport == 179 || sport == 646 || dport == 646;
		return dport == 3784 || dport == 3785 || dport == 4784 || dport == 520 ||
		       dport == 521 || dport == 646;
	default:
		return false;
	}
}

/* Punt m (for one of our addresses: why RTR_PUNT_LOCAL, counted as
 * punt-local; or for the twin's link-scope groups: RTR_PUNT_HOST) in its
 * bucket: routing protocols in the control one, the rest (a storm of mDNS
 * or SSDP, a flood to the router's address) in the host one */
static inline void
rtr_punt_local(struct rtr_state *st, struct nfv_vnf *vnf, struct nfv_worker *w,
	       struct rte_mbuf *m, uint16_t ifi, int family, enum rtr_punt why)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, md->l3_off);
	uint32_t avail = rte_pktmbuf_data_len(m) - md->l3_off;
	bool ctl;

	if (family == 4) /* no options here (rtr_parse); a later fragment has no ports */
		ctl = rtr_local_is_ctl(4, l3[9], l3 + 20,
				       ((l3[6] & 0x1f) | l3[7]) != 0 ? 0 : avail - 20);
	else
		ctl = rtr_local_is_ctl(6, l3[6], l3 + 40, avail - 40);
	rtr_punt_pkt_b(st, vnf, w, m, rtr_punt_code(why, ifi, 0),
		       why == RTR_PUNT_HOST ? RTR_CTR_PUNT_HOST : RTR_CTR_PUNT_LOCAL,
		       ctl ? RTR_DROP_PUNT_LIMIT : RTR_DROP_HOST_LIMIT,
		       ctl ? RTR_TB_CTL : RTR_TB_HOST);
}

static inline int
rtr_iface_of(const struct rtr_tables *t, uint16_t port, uint16_t vlan)
{
	if (vlan == 0)
		return t->untagged_if[port & (RTE_MAX_ETHPORTS - 1)];
	if (!t->port_has_vlan[port & (RTE_MAX_ETHPORTS - 1)])
		return -1;
	for (uint16_t i = 0; i < t->n_if; i++)
		if (t->ifs[i].port == port && t->ifs[i].vlan == vlan)
			return i;
	return -1;
}

/* Drop reason for an IPv4 destination that is never routed */
static inline uint16_t
rtr_dst4_drop(uint32_t dst)
{
	if (dst == UINT32_MAX)
		return RTR_DROP_BROADCAST;
	if ((dst >> 28) == 0xe)
		return RTR_DROP_MULTICAST;
	return RTR_DROP_BAD_DST; /* 0/8, 127/8, class E */
}

/* ::, ::1 or IPv4-mapped ::ffff:0:0/96 (RFC 4291 2.5.5.2: not on the
 * wire; RFC 6890). The fast path sends every ::/64 address here. */
static inline bool
rtr_is_martian6(const uint8_t *a)
{
	uint64_t hi, lo;

	memcpy(&hi, a, 8);
	memcpy(&lo, a + 8, 8);
	return hi == 0 && (lo == 0 || lo == rte_cpu_to_be_64(1) ||
			   (rte_be_to_cpu_64(lo) >> 32) == 0xffffu);
}

/* ff02::1, ff02::2 or ff05::2 (all-nodes, all-routers: RFC 4291 2.8) */
static inline bool
rtr_all_nodes_routers(const uint8_t *a)
{
	static const uint8_t g[15] = {0xff, 2};
	static const uint8_t s5[16] = {0xff, 5, [15] = 2};

	return (memcmp(a, g, 15) == 0 && (a[15] == 1 || a[15] == 2)) || memcmp(a, s5, 16) == 0;
}

/* The IPv4 source (host order) is the directed broadcast of an attached
 * subnet: its broadcast route (RTR_ADJ_BCAST). Only for sources whose low
 * bits are all ones (t->bcast4_low), so the lookup is rare. */
static __rte_noinline bool
rtr_src4_is_bcast(const struct rtr_tables *t, uint32_t src)
{
	uint64_t a = 0;

	rte_fib_lookup_bulk(t->fib4, &src, &a, 1);
	return a < RTR_MAX_ADJ && t->adj[a].type == RTR_ADJ_BCAST;
}

/* 169.254.0.0/16 (host order): RFC 3927 section 7, never forwarded */
static inline bool
rtr_is_ll4(uint32_t a)
{
	return (a >> 16) == 0xa9feu;
}

/* The frame was sent to a link-layer broadcast or multicast address */
static inline bool
rtr_frame_mcast(const struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod(m, const uint8_t *)[0] & 1;
}

/* Parse and validate; returns 4 or 6 (l3 offset and iface in the meta) or 0
 * when the packet was consumed (dropped or punted). */
static inline int
rtr_parse(struct rtr_state *st, const struct rtr_tables *t, struct nfv_vnf *vnf,
	  struct nfv_worker *w, struct rte_mbuf *m)
{
	struct nfv_mbuf_meta *md = nfv_meta(m);
	uint32_t len = rte_pktmbuf_data_len(m);
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)d;
	uint16_t type, l2 = sizeof(*eh), vlan = 0;
	int ifi;

	if (unlikely(len < sizeof(*eh)))
		goto truncated;
	type = eh->ether_type;
	if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN)) {
		if (unlikely(len < sizeof(*eh) + 4))
			goto truncated;
		vlan = rte_be_to_cpu_16(*(uint16_t *)(d + 14)) & 0xfff;
		type = *(uint16_t *)(d + 16);
		l2 += 4;
	}
	ifi = rtr_iface_of(t, m->port, vlan);
	if (unlikely(ifi < 0)) {
		nfv_drop(w, vnf, m, RTR_DROP_NO_IFACE);
		return 0;
	}
	md->vlan = vlan;
	md->l3_off = l2;
	md->nh = (uint32_t)ifi << 8;
	if (unlikely(!rte_is_same_ether_addr(&eh->dst_addr, &t->ifs[ifi].mac) &&
		     !rte_is_multicast_ether_addr(&eh->dst_addr))) {
		nfv_drop(w, vnf, m, RTR_DROP_OTHER_HOST);
		return 0;
	}
	if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + l2);
		uint32_t ihl, tot, src, dst;

		if (unlikely(len < l2 + sizeof(*ip)))
			goto truncated;
		if (unlikely((ip->version_ihl >> 4) != 4)) {
			nfv_drop(w, vnf, m, RTR_DROP_BAD_VERSION);
			return 0;
		}
		ihl = (ip->version_ihl & 0xf) * 4u;
		if (unlikely(ihl < sizeof(*ip))) {
			nfv_drop(w, vnf, m, RTR_DROP_BAD_IHL);
			return 0;
		}
		if (unlikely(len < l2 + ihl))
			goto truncated;
		tot = rte_be_to_cpu_16(ip->total_length);
		if (unlikely(tot < ihl || l2 + tot > rte_pktmbuf_pkt_len(m))) {
			nfv_drop(w, vnf, m, RTR_DROP_BAD_LENGTH);
			return 0;
		}
		/* options: the checksum over the whole header; whether they
		 * are forwarded is rtr_fwd4's (rtr_opts4) */
		if (unlikely(ihl != sizeof(*ip) ? rte_raw_cksum(ip, ihl) != 0xffff
						: !nfv_ip4_csum_ok(ip))) {
			nfv_drop(w, vnf, m, RTR_DROP_BAD_CHECKSUM);
			return 0;
		}
		src = rte_be_to_cpu_32(ip->src_addr);
		dst = rte_be_to_cpu_32(ip->dst_addr);
		/* RFC 1812 5.3.7: 0/8, 127/8, multicast, class E and the
		 * limited broadcast are no host's source address */
		if (unlikely(src >= 0xe0000000u || (src >> 24) == 127 || (src >> 24) == 0)) {
			nfv_drop(w, vnf, m, RTR_DROP_BAD_SRC);
			return 0;
		}
		/* nor the directed broadcast of an attached subnet (5.3.7) */
		if (unlikely((src & t->bcast4_low) == t->bcast4_low) && rtr_src4_is_bcast(t, src)) {
			nfv_drop(w, vnf, m, RTR_DROP_BAD_SRC);
			return 0;
		}
		/* nor destinations to route (multicast and the limited
		 * broadcast are not forwarded, RFC 1812 5.3.5.1) */
		if (unlikely(dst >= 0xe0000000u || (dst >> 24) == 127 || (dst >> 24) == 0)) {
			/* 224.0.0.0/24 (OSPF, VRRP, RIP, IGMP...): the twin's
			 * (without options: IGMP's Router Alert is dropped) */
			if ((dst >> 8) == 0xe00000u && t->ifs[ifi].hostif && ihl == sizeof(*ip)) {
				rtr_punt_local(st, vnf, w, m, (uint16_t)ifi, 4, RTR_PUNT_HOST);
				return 0;
			}
			nfv_drop(w, vnf, m, rtr_dst4_drop(dst));
			return 0;
		}
		return 4;
	}
	if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(d + l2);

		if (unlikely(len < l2 + sizeof(*ip6)))
			goto truncated;
		if (unlikely((rte_be_to_cpu_32(ip6->vtc_flow) >> 28) != 6)) {
			nfv_drop(w, vnf, m, RTR_DROP_BAD_VERSION);
			return 0;
		}
		if (unlikely(l2 + sizeof(*ip6) + rte_be_to_cpu_16(ip6->payload_len) >
			     rte_pktmbuf_pkt_len(m))) {
			nfv_drop(w, vnf, m, RTR_DROP_BAD_LENGTH);
			return 0;
		}
		if (unlikely(ip6->src_addr[0] == 0xff)) {
			nfv_drop(w, vnf, m, RTR_DROP_BAD_SRC);
			return 0;
		}
		if (unlikely(ip6->dst_addr[0] == 0xff)) {
			const uint8_t *l4 = d + l2 + sizeof(*ip6);

			/* neighbour discovery to a multicast group, and MLD
			 * queries (behind an 8-byte hop-by-hop header) for
			 * the control thread's reports (router_mld.c) */
			if ((ip6->proto == IPPROTO_ICMPV6 && len >= l2 + sizeof(*ip6) + 4u &&
			     l4[0] >= 133 && l4[0] <= 137) ||
			    (ip6->proto == 0 && len >= l2 + sizeof(*ip6) + 12u &&
			     l4[0] == IPPROTO_ICMPV6 && l4[1] == 0 && l4[8] == 130 &&
			     !t->ifs[ifi].hostif)) {
				rtr_punt_pkt(st, vnf, w, m,
					     rtr_punt_code(RTR_PUNT_ND, (uint16_t)ifi, 0),
					     RTR_CTR_PUNT_ND, RTR_DROP_PUNT_LIMIT);
				return 0;
			}
			/* link-scope groups (ff02::/16: all-nodes, all-routers,
			 * OSPFv3, MLD...): the twin's; the kernel keeps what
			 * it joined */
			if ((ip6->dst_addr[1] & 0x0f) == 2 && t->ifs[ifi].hostif) {
				rtr_punt_local(st, vnf, w, m, (uint16_t)ifi, 6, RTR_PUNT_HOST);
				return 0;
			}
			/* without a twin, an echo request to all-nodes or
			 * all-routers (ff02::1, ff02::2, ff05::2) is answered
			 * (RFC 4443 4.2) */
			if (ip6->proto == IPPROTO_ICMPV6 && len >= l2 + sizeof(*ip6) + 4u &&
			    l4[0] == 128 && rtr_all_nodes_routers(ip6->dst_addr)) {
				rtr_punt_local(st, vnf, w, m, (uint16_t)ifi, 6, RTR_PUNT_LOCAL);
				return 0;
			}
			nfv_drop(w, vnf, m, RTR_DROP_MULTICAST);
			return 0;
		}
		/* RFC 4291 2.5.2/2.5.3: never forwarded from or to the
		 * unspecified or the loopback address (a DAD solicitation from
		 * :: is multicast, above) */
		if (unlikely(rtr_is_martian6(ip6->src_addr))) {
			nfv_drop(w, vnf, m, RTR_DROP_BAD_SRC);
			return 0;
		}
		if (unlikely(rtr_is_martian6(ip6->dst_addr))) {
			nfv_drop(w, vnf, m, RTR_DROP_BAD_DST);
			return 0;
		}
		return 6;
	}
	if (type == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) {
		rtr_punt_pkt(st, vnf, w, m, rtr_punt_code(RTR_PUNT_ARP, (uint16_t)ifi, 0),
			     RTR_CTR_PUNT_ARP, RTR_DROP_PUNT_LIMIT);
		return 0;
	}
	nfv_drop(w, vnf, m, RTR_DROP_ETHERTYPE);
	return 0;
truncated:
	nfv_drop(w, vnf, m, RTR_DROP_TRUNCATED);
	return 0;
}

/* Non-forwarding adjacencies: shared by both families. Returns true if
 * the packet was consumed. */
static inline bool
rtr_special(struct rtr_state *st, struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf *m,
	    const struct rtr_adj *adj, uint16_t ifi, int family)
{
	switch (adj->type) {
	case RTR_ADJ_LOCAL:
		rtr_punt_local(st, vnf, w, m, ifi, family, RTR_PUNT_LOCAL);
		return true;
	case RTR_ADJ_NOROUTE:
		rtr_punt_pkt(st, vnf, w, m, rtr_punt_code(RTR_PUNT_NOROUTE, ifi, 0),
			     RTR_CTR_PUNT_UNREACH, RTR_DROP_NO_ROUTE);
		return true;
	case RTR_ADJ_REJECT:
		rtr_punt_pkt(st, vnf, w, m, rtr_punt_code(RTR_PUNT_REJECT, ifi, 0),
			     RTR_CTR_PUNT_UNREACH, RTR_DROP_NO_ROUTE);
		return true;
	case RTR_ADJ_BLACKHOLE:
		nfv_drop(w, vnf, m, RTR_DROP_BLACKHOLE);
		return true;
	case RTR_ADJ_BCAST:
		/* directed broadcast of an attached subnet: not forwarded
		 * (RFC 1812 5.3.5.2 default), no ARP for it, no ICMP error
		 * (4.3.2.7), no echo reply (RFC 1122 3.2.2.6 allows that) */
		nfv_drop(w, vnf, m, RTR_DROP_BROADCAST);
		return true;
	default:
		return false;
	}
}

/* The neighbour of address dst (family 4 or 6, network order) on interface
 * iface from the worker's cache, or RTR_PUNT_NID_NONE when the cache does
 * not have it for these tables (rtr_pick_nh then looks it up and fills the
 * cache slot, *slot). IPv6 hashes the interface identifier. */
static inline uint32_t
rtr_nc_get(struct rtr_tb *tb, const struct rtr_tables *t, int family, const uint8_t *dst,
	   uint16_t iface, struct rtr_ncache **slot)
{
	unsigned int len = family == 4 ? 4 : 16;
	struct rtr_ncache *c;
	uint32_t h;

	if (family == 4) {
		memcpy(&h, dst, 4);
	} else {
		uint64_t iid;

		memcpy(&iid, dst + 8, 8);
		h = (uint32_t)(iid ^ (iid >> 32));
	}
	c = &tb->nc[(h ^ (h >> 13) ^ iface) & (RTR_NCACHE - 1)];
	if (slot)
		*slot = c;
	if (likely(c->gen == t->gen && c->family == family && memcmp(c->addr, dst, len) == 0 &&
		   c->iface == iface && memcmp(t->neigh[c->nid].key.addr, dst, len) == 0 &&
		   t->neigh[c->nid].key.iface == iface))
		return c->nid;
	return RTR_PUNT_NID_NONE;
}

/* Pick the neighbour: returns its id, or RTR_PUNT_NID_NONE when the
 * destination has no entry yet (connected routes). */
static inline uint32_t
rtr_pick_nh(struct rtr_tb *tb, const struct rtr_tables *t, const struct rtr_adj *adj, int family,
	    const void *dst, uint32_t flow_hash, uint16_t *oif)
{
	if (adj->type == RTR_ADJ_CONNECTED) {
		struct rtr_ncache *c;
		struct rtr_nkey k;
		int32_t id;

		uint32_t nid = rtr_nc_get(tb, t, family, dst, adj->iface, &c);

		if (likely(nid != RTR_PUNT_NID_NONE)) {
			*oif = adj->iface;
			return nid;
		}
		memset(&k, 0, sizeof(k));
		memcpy(k.addr, dst, family == 4 ? 4 : 16);
		k.iface = adj->iface;
		k.family = (uint8_t)family;
		*oif = adj->iface;
		id = rte_hash_lookup(t->nhash, &k);
		if (id < 0)
			return RTR_PUNT_NID_NONE;
		c->gen = t->gen;
		c->family = (uint8_t)family;
		memcpy(c->addr, dst, family == 4 ? 4 : 16);
		c->iface = adj->iface;
		c->nid = (uint32_t)id;
		return (uint32_t)id;
	}
	uint32_t nid = adj->nh[adj->n_nh > 1 ? flow_hash % adj->n_nh : 0];

	*oif = t->neigh[nid].key.iface;
	return nid;
}

static inline uint32_t
rtr_flow_hash4(const struct rte_ipv4_hdr *ip)
{
	uint64_t addrs;
	uint32_t ports, h;

	memcpy(&addrs, &ip->src_addr, 8);
	h = rte_hash_crc_8byte(addrs, ip->next_proto_id);
	if ((ip->next_proto_id == IPPROTO_TCP || ip->next_proto_id == IPPROTO_UDP) &&
	    (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK)) == 0) {
		memcpy(&ports, ip + 1, 4);
		h = rte_hash_crc_4byte(ports, h);
	}
	return h;
}

static inline uint32_t
rtr_flow_hash6(const struct rte_ipv6_hdr *ip6)
{
	uint32_t ports, h = rte_hash_crc(ip6->src_addr, 32, ip6->proto);

	if (ip6->proto == IPPROTO_TCP || ip6->proto == IPPROTO_UDP) {
		memcpy(&ports, ip6 + 1, 4);
		h = rte_hash_crc_4byte(ports, h);
	}
	return h;
}

/* TTL and protocol as one word, decremented in a register (a byte store
 * then a word load of the same place would stall store forwarding), with
 * the RFC 1624 checksum update */
static inline void
rtr_ttl_dec4(struct rte_ipv4_hdr *ip)
{
	uint16_t old, nw;

	memcpy(&old, &ip->time_to_live, 2);
	nw = (uint16_t)(old - rte_cpu_to_be_16(0x0100));
	memcpy(&ip->time_to_live, &nw, 2);
	ip->hdr_checksum = rtr_csum_update16(ip->hdr_checksum, old, nw);
}

/* IPv4 options of a packet to forward (RFC 791, RFC 1812 5.2.4, RFC 7126):
 * 0 = forward (record route filled in later, the rest unchanged), -1 =
 * source route (dropped), > 0 = the offset of the malformed octet, the
 * parameter problem pointer. Bounded: at most 40 bytes, no recursion. */
static __rte_noinline int
rtr_opts4(const uint8_t *h, uint32_t ihl)
{
	for (uint32_t i = 20; i < ihl;) {
		uint8_t type = h[i], olen;

		if (type == 0) /* end of option list */
			break;
		if (type == 1) { /* no operation */
			i++;
			continue;
		}
		if (i + 1 >= ihl)
			return (int)i;
		olen = h[i + 1];
		if (olen < 2 || i + olen > ihl)
			return (int)i + 1;
		switch (type) {
		case 131: /* loose source route */
		case 137: /* strict source route */
			return -1;
		case 7: /* record route: pointer >= 4, within or just past */
			if (olen < 3 || h[i + 2] < 4)
				return (int)i + 2;
			break;
		case 68: /* timestamp */
			if (olen < 4 || h[i + 2] < 5)
				return (int)i + 2;
			break;
		default:
			break;
		}
		i += olen;
	}
	return 0;
}

void
rtr_ts_init(struct rtr_state *st, uint64_t tsc_hz)
{
	struct timespec ts;
	uint64_t ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	st->ts_tsc0 = rte_get_tsc_cycles();
	st->ts_hz = tsc_hz ? tsc_hz : 1;
	ms = (uint64_t)(ts.tv_sec % 86400) * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	st->ts_ms0 = (uint32_t)ms;
}

uint32_t
rtr_ts_ms(const struct rtr_state *st)
{
	uint64_t d = rte_get_tsc_cycles() - st->ts_tsc0;
	uint64_t ms = d / st->ts_hz * 1000u + d % st->ts_hz * 1000u / st->ts_hz;

	return (uint32_t)((st->ts_ms0 + ms) % 86400000u);
}

/* RFC 791 record route and internet timestamp, for a packet checked by
 * rtr_opts4: addr (network order) goes where a record route pointer says
 * while there is room; a timestamp option gets ms (flag 0), addr and ms
 * (flag 1), or ms where the next prespecified address is addr (flag 3),
 * its overflow count raised when full (RFC 1812 5.3.13.6 / RFC 1122
 * 3.2.2.6). Header checksum recomputed: a slow path, options are rare. */
void
rtr_opts4_stamp(struct rte_ipv4_hdr *ip, uint32_t addr, uint32_t ms)
{
	uint8_t *h = (uint8_t *)ip;
	uint32_t ihl = (ip->version_ihl & 0xf) * 4u, ms_be = rte_cpu_to_be_32(ms);

	for (uint32_t i = 20; i < ihl;) {
		uint8_t type = h[i], olen, ptr, flag;

		if (type == 0)
			break;
		if (type == 1) {
			i++;
			continue;
		}
		olen = h[i + 1]; /* checked by rtr_opts4 */
		ptr = h[i + 2];
		if (type == 7 && addr != 0 && ptr + 3u <= olen) {
			memcpy(h + i + ptr - 1, &addr, 4);
			h[i + 2] += 4;
		} else if (type == 68) {
			flag = h[i + 3] & 0xf;
			if (ptr + (flag ? 7u : 3u) > olen) {
				if ((h[i + 3] >> 4) < 15)
					h[i + 3] += 0x10; /* overflow */
			} else if (flag == 0) {
				memcpy(h + i + ptr - 1, &ms_be, 4);
				h[i + 2] += 4;
			} else if (flag == 1 && addr != 0) {
				memcpy(h + i + ptr - 1, &addr, 4);
				memcpy(h + i + ptr + 3, &ms_be, 4);
				h[i + 2] += 8;
			} else if (flag == 3 && memcmp(h + i + ptr - 1, &addr, 4) == 0) {
				memcpy(h + i + ptr + 3, &ms_be, 4);
				h[i + 2] += 8;
			}
		}
		i += olen;
	}
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* RFC 1812 5.2.7.2, RFC 4861 8.2: a packet sent back out of the interface
 * it came in on (IPv4: no options): a copy goes to the control thread,
 * which sends the sender a redirect to the next hop nid when the rules
 * allow (rtr_redirect4, rtr_redirect6); the packet itself is forwarded. At most RTR_REDIRECT_PER_S copies a second
 * per worker (a budget of their own: hairpinned traffic does not use up
 * the punt rate ARP/ND need); beyond it, no copy. */
static __rte_noinline void
rtr_redirect_copy(struct rtr_state *st, struct nfv_vnf *vnf, struct nfv_worker *w,
		  struct rte_mbuf *m, uint16_t ifi, uint32_t nid)
{
	struct rtr_tb *tb = &st->tb[w->lcore];
	struct rte_mbuf *c;

	if (w->now_tsc < tb->redirect_next)
		return;
	tb->redirect_next = w->now_tsc + rte_get_tsc_hz() / RTR_REDIRECT_PER_S;
	c = rte_pktmbuf_copy(m, st->pool, 0, UINT32_MAX);
	if (c == NULL)
		return;
	*nfv_meta(c) = *nfv_meta(m);
	nfv_meta(c)->nh = rtr_punt_code(RTR_PUNT_REDIRECT, ifi, nid);
	nfv_count(w, vnf, RTR_CTR_PUNT_REDIRECT, 1);
	nfv_punt(w, vnf, c);
}

static inline bool
rtr_fwd4(struct rtr_state *st, const struct rtr_tables *t, struct nfv_vnf *vnf,
	 struct nfv_worker *w, struct rte_mbuf *m, uint64_t a)
{
	struct nfv_mbuf_meta *md = nfv_meta(m);
	const struct rtr_adj *adj = &t->adj[a < RTR_MAX_ADJ ? a : 0];
	uint16_t ifi = (md->nh >> 8) & 0x1f, oif = 0;
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, md->l3_off);
	uint32_t nid;
	uint64_t macw;

	/* RFC 1812 5.3.4: a unicast packet in a link-layer broadcast or
	 * multicast frame is not forwarded (nor taken as ours, RFC 1122
	 * 3.3.6) */
	if (unlikely(rtr_frame_mcast(m)) && adj->type != RTR_ADJ_BCAST) {
		nfv_drop(w, vnf, m, RTR_DROP_LINK_BCAST);
		return false;
	}
	if (unlikely(ip->version_ihl != 0x45)) {
		int r;

		/* for the router itself: ICMP (an echo request's record
		 * route or timestamp is filled in and returned, RFC 1122
		 * 3.2.2.6); UDP or TCP with options is not taken */
		if (adj->type == RTR_ADJ_LOCAL && ip->next_proto_id != IPPROTO_ICMP) {
			nfv_drop(w, vnf, m, RTR_DROP_IP_OPTIONS);
			return false;
		}
		r = rtr_opts4((const uint8_t *)ip, (ip->version_ihl & 0xf) * 4u);
		if (r < 0) {
			nfv_drop(w, vnf, m, RTR_DROP_SOURCE_ROUTE);
			return false;
		}
		if (r > 0) {
			rtr_punt_pkt(st, vnf, w, m, rtr_punt_code(RTR_PUNT_PARAM, ifi, (uint32_t)r),
				     RTR_CTR_PUNT_PARAM, RTR_DROP_BAD_OPTION);
			return false;
		}
	}
	/* RFC 3927 7: link-local IPv4 is never forwarded, silently (a
	 * router's own 169.254 address is local) */
	if (unlikely(rtr_is_ll4(rte_be_to_cpu_32(ip->src_addr)) ||
		     rtr_is_ll4(rte_be_to_cpu_32(ip->dst_addr))) &&
	    adj->type != RTR_ADJ_LOCAL) {
		nfv_drop(w, vnf, m, RTR_DROP_LINK_LOCAL);
		return false;
	}
	if (rtr_special(st, vnf, w, m, adj, ifi, 4))
		return false;
	if (unlikely(ip->time_to_live <= 1)) {
		rtr_punt_pkt(st, vnf, w, m, rtr_punt_code(RTR_PUNT_TTL, ifi, 0), RTR_CTR_PUNT_TTL,
			     RTR_DROP_TTL);
		return false;
	}
	nid = rtr_pick_nh(&st->tb[w->lcore], t, adj, 4, &ip->dst_addr,
			  adj->n_nh > 1 ? rtr_flow_hash4(ip) : 0, &oif);
	if (unlikely(oif == ifi) && t->redirects && ip->version_ihl == 0x45 &&
	    nid != RTR_PUNT_NID_NONE)
		rtr_redirect_copy(st, vnf, w, m, ifi, nid);
	if (unlikely(ip->version_ihl != 0x45)) /* also when it waits or is fragmented */
		rtr_opts4_stamp(ip, t->ifs[oif].n4 > 0 ? t->ifs[oif].a4[0] : 0, rtr_ts_ms(st));
	if (unlikely(rte_be_to_cpu_16(ip->total_length) > t->ifs[oif].mtu)) {
		if (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG))
			rtr_punt_pkt(st, vnf, w, m, rtr_punt_code(RTR_PUNT_TOOBIG, ifi, oif),
				     RTR_CTR_PUNT_TOOBIG, RTR_DROP_NEEDS_FRAG);
		else /* fragmented on the control thread (slow path), after
		      * resolution like any packet to an unresolved neighbour */
			rtr_punt_pkt(st, vnf, w, m, rtr_punt_code(RTR_PUNT_RESOLVE, oif, nid),
				     RTR_CTR_PUNT_FRAG, RTR_DROP_NEEDS_FRAG);
		return false;
	}
	macw = nid == RTR_PUNT_NID_NONE
		       ? 0
		       : atomic_load_explicit(&t->neigh[nid].macw, memory_order_acquire);
	if (unlikely(!(macw & RTR_MAC_VALID))) {
		rtr_punt_pkt(st, vnf, w, m, rtr_punt_code(RTR_PUNT_RESOLVE, oif, nid),
			     RTR_CTR_PUNT_RESOLVE, RTR_DROP_PUNT_LIMIT);
		return false;
	}
	rtr_ttl_dec4(ip);
	if (unlikely(rtr_l2_write(m, md->l3_off, &t->ifs[oif], macw,
				  rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) != 0)) {
		nfv_drop(w, vnf, m, RTR_DROP_TRUNCATED);
		return false;
	}
	md->out_port = t->ifs[oif].port;
	return true;
}

static inline bool
rtr_is_ll6(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

static inline bool
rtr_fwd6(struct rtr_state *st, const struct rtr_tables *t, struct nfv_vnf *vnf,
	 struct nfv_worker *w, struct rte_mbuf *m, uint64_t a)
{
	struct nfv_mbuf_meta *md = nfv_meta(m);
	const struct rtr_adj *adj = &t->adj[a < RTR_MAX_ADJ ? a : 0];
	uint16_t ifi = (md->nh >> 8) & 0x1f, oif = 0;
	struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, md->l3_off);
	uint32_t nid;
	uint64_t macw;

	if (unlikely(rtr_frame_mcast(m))) { /* as for IPv4 (rtr_fwd4) */
		nfv_drop(w, vnf, m, RTR_DROP_LINK_BCAST);
		return false;
	}
	if (unlikely(rtr_is_ll6(ip6->dst_addr))) {
		/* link-local: only ours, never routed */
		if (memcmp(ip6->dst_addr, t->ifs[ifi].ll6, 16) != 0) {
			nfv_drop(w, vnf, m, RTR_DROP_LINK_LOCAL);
			return false;
		}
		adj = &t->adj[RTR_ADJ_LOCAL];
	}
	if (unlikely(rtr_is_ll6(ip6->src_addr)) && adj->type != RTR_ADJ_LOCAL &&
	    adj->type != RTR_ADJ_BLACKHOLE) {
		/* a link-local source to anywhere but us: never forwarded
		 * (RFC 4291 2.5.6); hop limit expired -> time exceeded, else
		 * destination unreachable code 2, beyond the scope of the
		 * source address (RFC 4443 3.1), both as Linux does */
		if (ip6->hop_limits <= 1)
			rtr_punt_pkt(st, vnf, w, m, rtr_punt_code(RTR_PUNT_TTL, ifi, 0),
				     RTR_CTR_PUNT_TTL, RTR_DROP_TTL);
		else
			rtr_punt_pkt(st, vnf, w, m, rtr_punt_code(RTR_PUNT_SCOPE, ifi, 0),
				     RTR_CTR_PUNT_UNREACH, RTR_DROP_LINK_LOCAL);
		return false;
	}
	if (rtr_special(st, vnf, w, m, adj, ifi, 6))
		return false;
	if (unlikely(ip6->hop_limits <= 1)) {
		rtr_punt_pkt(st, vnf, w, m, rtr_punt_code(RTR_PUNT_TTL, ifi, 0), RTR_CTR_PUNT_TTL,
			     RTR_DROP_TTL);
		return false;
	}
	nid = rtr_pick_nh(&st->tb[w->lcore], t, adj, 6, ip6->dst_addr,
			  adj->n_nh > 1 ? rtr_flow_hash6(ip6) : 0, &oif);
	if (unlikely(oif == ifi) && t->redirects && nid != RTR_PUNT_NID_NONE)
		rtr_redirect_copy(st, vnf, w, m, ifi, nid); /* RFC 4861 8.2 */
	if (unlikely(sizeof(*ip6) + rte_be_to_cpu_16(ip6->payload_len) > t->ifs[oif].mtu)) {
		rtr_punt_pkt(st, vnf, w, m, rtr_punt_code(RTR_PUNT_TOOBIG, ifi, oif),
			     RTR_CTR_PUNT_TOOBIG, RTR_DROP_NEEDS_FRAG);
		return false;
	}
	macw = nid == RTR_PUNT_NID_NONE
		       ? 0
		       : atomic_load_explicit(&t->neigh[nid].macw, memory_order_acquire);
	if (unlikely(!(macw & RTR_MAC_VALID))) {
		rtr_punt_pkt(st, vnf, w, m, rtr_punt_code(RTR_PUNT_RESOLVE, oif, nid),
			     RTR_CTR_PUNT_RESOLVE, RTR_DROP_PUNT_LIMIT);
		return false;
	}
	ip6->hop_limits--;
	if (unlikely(rtr_l2_write(m, md->l3_off, &t->ifs[oif], macw,
				  rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)) != 0)) {
		nfv_drop(w, vnf, m, RTR_DROP_TRUNCATED);
		return false;
	}
	md->out_port = t->ifs[oif].port;
	return true;
}

/* The fast path: untagged, option-less IPv4 with a good header to the
 * MAC of the port's interface, routed via one resolved next hop on an
 * untagged interface: what a router forwards all day. The frame's tests
 * are folded into one flag (no branch per test); a frame that fails any
 * takes the full path (rtr_parse, rtr_fwd4), which counts its reason. */
static inline uint64_t
rtr_mac48_mask(void)
{
	static const uint8_t b[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0};
	uint64_t mask;

	memcpy(&mask, b, 8);
	return mask;
}

/* the frame is to the MAC of its port's untagged interface */
static inline bool
rtr_fast_dmac_ok(const struct rtr_tables *t, const struct rte_mbuf *m, const uint8_t *d)
{
	uint64_t dmac;

	memcpy(&dmac, d, 8);
	return (dmac & rtr_mac48_mask()) == t->untagged_mac[m->port & (RTE_MAX_ETHPORTS - 1)];
}

/* The adjacency a of a fast-path frame whose L3 packet is l3_len bytes,
 * when it is one resolved next hop on an untagged interface whose MTU the
 * packet fits, or a destination dst (family 4 or 6) on a connected
 * subnet of one whose neighbour the worker's cache (tb) holds (*macw: the
 * next hop's MAC word); NULL: the full path */
static inline const struct rtr_adj *
rtr_fast_adj(const struct rtr_tables *t, struct rtr_tb *tb, uint64_t a, int family,
	     const uint8_t *dst, uint32_t l3_len, uint64_t *macw)
{
	const struct rtr_adj *adj = &t->adj[a < RTR_MAX_ADJ ? a : 0];
	uint32_t nid;

	if (!adj->fast)
		return NULL;
	if (adj->type == RTR_ADJ_CONNECTED) {
		nid = rtr_nc_get(tb, t, family, dst, adj->iface, NULL);
		if (nid == RTR_PUNT_NID_NONE)
			return NULL;
	} else {
		nid = adj->nh[0];
	}
	*macw = atomic_load_explicit(&t->neigh[nid].macw, memory_order_acquire);
	if (unlikely(!(*macw & RTR_MAC_VALID) || l3_len > adj->out_mtu))
		return NULL;
	return adj;
}

/* MACs of a fast-path frame (d: its start) and its egress port. 8 bytes then
 * the source MAC over the last 2: no copy through the stack for a 6-byte
 * piece of a register. */
static inline void
rtr_fast_l2(struct rte_mbuf *m, uint8_t *d, const struct rtr_adj *adj, uint64_t macw)
{
	memcpy(d, &macw, 8);
	memcpy(d + 6, &adj->out_smac, 6);
	nfv_meta(m)->out_port = adj->out_port;
}

/* true (and *dst, host order) when m may take the fast path */
static inline bool
rtr_fast4_ok(const struct rtr_tables *t, const struct rte_mbuf *m, uint32_t *dst)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(d + 14);
	uint32_t w12, tot, src, da;
	bool ok;

	if (unlikely(rte_pktmbuf_data_len(m) < 14 + sizeof(*ip)))
		return false;
	memcpy(&w12, d + 12, 4); /* ethertype, version/IHL */
	tot = rte_be_to_cpu_16(ip->total_length);
	src = rte_be_to_cpu_32(ip->src_addr);
	da = rte_be_to_cpu_32(ip->dst_addr);
	ok = rtr_fast_dmac_ok(t, m, d) &
	     ((w12 & rte_cpu_to_be_32(0xffffff00)) == rte_cpu_to_be_32(0x08004500)) &
	     (tot >= sizeof(*ip)) & (14 + tot <= rte_pktmbuf_pkt_len(m)) & (ip->time_to_live > 1) &
	     (src - 0x01000000u < 0xdf000000u) & ((src >> 24) != 127) &
	     ((src & t->bcast4_low) != t->bcast4_low) & !rtr_is_ll4(src) &
	     (da - 0x01000000u < 0xdf000000u) & ((da >> 24) != 127) & !rtr_is_ll4(da);
	if (!ok || unlikely(!nfv_ip4_csum_ok(ip)))
		return false;
	*dst = da;
	return true;
}

/* Forward a fast-path frame after its lookup; false when it needs the full
 * path (rtr_fwd4) instead: not one resolved next hop on an untagged
 * interface, or too big for it. */
static inline bool
rtr_fast4_fwd(const struct rtr_tables *t, struct rtr_tb *tb, struct rte_mbuf *m, uint64_t a)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + 14);
	const struct rtr_adj *adj;
	uint64_t macw;

	adj = rtr_fast_adj(t, tb, a, 4, (const uint8_t *)&ip->dst_addr,
			   rte_be_to_cpu_16(ip->total_length), &macw);
	/* back out of the port it came in by: the full path (redirect) */
	if (adj == NULL || (unlikely(adj->out_port == m->port) && t->redirects))
		return false;
	rtr_ttl_dec4(ip);
	rtr_fast_l2(m, d, adj, macw);
	return true;
}

/* The full path's metadata for a fast-path frame (either family) that
 * needs it */
static inline void
rtr_fast_meta(const struct rtr_tables *t, struct rte_mbuf *m)
{
	struct nfv_mbuf_meta *md = nfv_meta(m);

	md->vlan = 0;
	md->l3_off = 14;
	md->nh = (uint32_t)t->untagged_if[m->port & (RTE_MAX_ETHPORTS - 1)] << 8;
}

/* IPv6 on the fast path: untagged, to the port's interface MAC, a payload
 * length within the frame, hop limit > 1, neither address multicast,
 * link-local or in ::/64 (those the full path punts, drops or answers). */
static inline bool
rtr_fast6_ok(const struct rtr_tables *t, const struct rte_mbuf *m, uint8_t *dst)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)(d + 14);
	uint64_t shi, dhi;
	uint32_t w12;
	bool ok;

	if (unlikely(rte_pktmbuf_data_len(m) < 14 + sizeof(*ip6)))
		return false;
	memcpy(&w12, d + 12, 4); /* ethertype, version */
	/* the upper halves of the addresses: :: and ::1 (and the other
	 * ::/64 forms) take the full path, which drops them */
	memcpy(&shi, ip6->src_addr, 8);
	memcpy(&dhi, ip6->dst_addr, 8);
	ok = rtr_fast_dmac_ok(t, m, d) &
	     ((w12 & rte_cpu_to_be_32(0xfffff000)) == rte_cpu_to_be_32(0x86dd6000)) &
	     (14 + sizeof(*ip6) + rte_be_to_cpu_16(ip6->payload_len) <= rte_pktmbuf_pkt_len(m)) &
	     (ip6->hop_limits > 1) & (ip6->src_addr[0] != 0xff) & (ip6->dst_addr[0] != 0xff) &
	     !rtr_is_ll6(ip6->src_addr) & !rtr_is_ll6(ip6->dst_addr) & (shi != 0) & (dhi != 0);
	if (!ok)
		return false;
	memcpy(dst, ip6->dst_addr, 16);
	return true;
}

static inline bool
rtr_fast6_fwd(const struct rtr_tables *t, struct rtr_tb *tb, struct rte_mbuf *m, uint64_t a)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(d + 14);
	const struct rtr_adj *adj;
	uint64_t macw;

	adj = rtr_fast_adj(t, tb, a, 6, ip6->dst_addr,
			   sizeof(*ip6) + rte_be_to_cpu_16(ip6->payload_len), &macw);
	/* back out of the port it came in by: the full path (redirect) */
	if (adj == NULL || (unlikely(adj->out_port == m->port) && t->redirects))
		return false;
	ip6->hop_limits--;
	rtr_fast_l2(m, d, adj, macw);
	return true;
}

#define RTR_PREFETCH 4

uint16_t
rtr_process(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct rtr_state *st = vnf->priv;
	const struct rtr_tables *t = rtr_tables_get(st);
	struct rte_mbuf *p4[NFV_BURST], *p6[NFV_BURST];
	uint32_t ip4[NFV_BURST];
	uint8_t ip6[NFV_BURST][16];
	uint64_t nh4[NFV_BURST], nh6[NFV_BURST];
	bool fast4[NFV_BURST], fast6[NFV_BURST];
	uint16_t out = 0;

	/* Forwarded packets continue with nfv_meta()->out_port set: the engine
	 * sends them there after the chain's last stage (class sets_out_port).
	 * out never passes base, so the compaction overwrites only slots
	 * already read. */
	for (uint16_t base = 0; base < n; base += NFV_BURST) {
		uint16_t cnt = RTE_MIN((uint16_t)(n - base), (uint16_t)NFV_BURST);
		uint16_t n4 = 0, n6 = 0;

		/* packet data a few packets ahead: the MAC check is the first
		 * touch of each packet */
		for (uint16_t i = 0; i < cnt && i < RTR_PREFETCH; i++)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[base + i], void *));
		for (uint16_t i = 0; i < cnt; i++) {
			struct rte_mbuf *m = pkts[base + i];
			uint16_t off;

			if (i + RTR_PREFETCH < cnt)
				rte_prefetch0(
					rte_pktmbuf_mtod(pkts[base + i + RTR_PREFETCH], void *));
			if (rtr_fast4_ok(t, m, &ip4[n4])) {
				fast4[n4] = true;
				p4[n4++] = m;
				continue;
			}
			if (rtr_fast6_ok(t, m, ip6[n6])) {
				fast6[n6] = true;
				p6[n6++] = m;
				continue;
			}
			switch (rtr_parse(st, t, vnf, w, m)) {
			case 4:
				fast4[n4] = false;
				off = nfv_meta(m)->l3_off;
				ip4[n4] = rte_be_to_cpu_32(
					rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, off)
						->dst_addr);
				p4[n4++] = m;
				break;
			case 6:
				fast6[n6] = false;
				off = nfv_meta(m)->l3_off;
				memcpy(ip6[n6],
				       rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, off)
					       ->dst_addr,
				       16);
				p6[n6++] = m;
				break;
			default:
				break;
			}
		}
		/* forwarded: counted once per burst, not per packet */
		if (n4 > 0) {
			uint16_t first = out;

			rte_fib_lookup_bulk(t->fib4, ip4, nh4, n4);
			for (uint16_t i = 0; i < n4; i++) {
				if (fast4[i]) {
					if (likely(rtr_fast4_fwd(t, &st->tb[w->lcore], p4[i],
								 nh4[i]))) {
						pkts[out++] = p4[i];
						continue;
					}
					rtr_fast_meta(t, p4[i]);
				}
				if (rtr_fwd4(st, t, vnf, w, p4[i], nh4[i]))
					pkts[out++] = p4[i];
			}
			nfv_count(w, vnf, RTR_CTR_FWD4, out - first);
			if (nfv_tracing(w)) /* nfvctl trace: once per burst */
				rtr_trace_fwd(vnf, w, t, pkts + first, out - first, 4);
		}
		if (n6 > 0) {
			uint16_t first = out;

			rte_fib6_lookup_bulk(t->fib6, ip6, nh6, n6);
			for (uint16_t i = 0; i < n6; i++) {
				if (fast6[i]) {
					if (likely(rtr_fast6_fwd(t, &st->tb[w->lcore], p6[i],
								 nh6[i]))) {
						pkts[out++] = p6[i];
						continue;
					}
					rtr_fast_meta(t, p6[i]);
				}
				if (rtr_fwd6(st, t, vnf, w, p6[i], nh6[i]))
					pkts[out++] = p6[i];
			}
			nfv_count(w, vnf, RTR_CTR_FWD6, out - first);
			if (nfv_tracing(w))
				rtr_trace_fwd(vnf, w, t, pkts + first, out - first, 6);
		}
	}
	return out;
}
