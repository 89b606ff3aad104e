/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - control path: ICMP and ICMPv6 the router generates:
 * errors (time exceeded, unreachable, frag-needed / packet too big) routed
 * back to the sender, rate limited per RFC 1812 / RFC 4443 and never about
 * what RFC 1812 4.3.2.7 / RFC 4443 2.4(e) exclude, and echo replies.
 * Uses router_frame.c only. Control thread only.
 */
#include <string.h>

#include <rte_icmp.h>

#include "router_frame.h"
#include "router_icmp.h"

#define RTR_ICMP4_MAX 576  /* RFC 1812 4.3.2.3: error datagram up to 576 bytes */
#define RTR_ICMP6_MAX 1280 /* RFC 4443 2.4(c): not exceeding the minimum MTU */

/* RFC 4443 2.4(f) / RFC 1812 4.3.2.8 token bucket for ICMP errors */
static bool
rtr_icmp_allowed(struct rtr_state *st)
{
	uint64_t now = nfv_now_ms();

	st->icmp_tokens += (double)(now - st->icmp_last_ms) * st->conf->icmp_rate / 1000.0;
	st->icmp_last_ms = now;
	if (st->icmp_tokens > st->conf->icmp_burst)
		st->icmp_tokens = st->conf->icmp_burst;
	if (st->icmp_tokens < 1.0) {
		st->cp[RTR_CP_ICMP_RATE_LIMITED]++;
		return false;
	}
	st->icmp_tokens -= 1.0;
	return true;
}

/* Where a reply to the sender src of m leaves: the interface and next-hop
 * MAC of the route back to src (RFC 1812 5.2.7: errors are routed like any
 * packet, so asymmetric paths work), when that next hop is resolved; else
 * the interface m came in on and the sender's MAC (the previous hop).
 * Returns the interface index or -1. */
static int
rtr_reply_path(const struct rtr_tables *t, struct rte_mbuf *m, int family, const uint8_t *src,
	       uint8_t mac[6])
{
	const struct rte_ether_hdr *oeh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	int ifi = rtr_in_iface(t, m);
	const struct rtr_adj *a;
	uint64_t adj = 0, macw;
	int32_t nid = -1;

	memcpy(mac, oeh->src_addr.addr_bytes, 6);
	/* a link-local source is on the link the packet came from: its
	 * route is no route of the FIB's */
	if (family == 6 && src[0] == 0xfe && (src[1] & 0xc0) == 0x80)
		return ifi;
	if (family == 4) {
		uint32_t ip;

		memcpy(&ip, src, 4);
		ip = rte_be_to_cpu_32(ip);
		rte_fib_lookup_bulk(t->fib4, &ip, &adj, 1);
	} else {
		uint8_t ip6[1][16];

		memcpy(ip6[0], src, 16);
		rte_fib6_lookup_bulk(t->fib6, ip6, &adj, 1);
	}
	if (adj >= RTR_MAX_ADJ)
		return ifi;
	a = &t->adj[adj];
	if (a->type == RTR_ADJ_CONNECTED) {
		struct rtr_nkey k;

		memset(&k, 0, sizeof(k));
		memcpy(k.addr, src, family == 4 ? 4 : 16);
		k.iface = a->iface;
		k.family = (uint8_t)family;
		nid = rte_hash_lookup(t->nhash, &k);
	} else if (a->type == RTR_ADJ_GW && a->n_nh > 0) {
		nid = (int32_t)a->nh[0];
	}
	if (nid < 0 || (uint32_t)nid >= t->max_neigh)
		return ifi;
	macw = atomic_load_explicit(&t->neigh[nid].macw, memory_order_acquire);
	if (!(macw & RTR_MAC_VALID))
		return ifi;
	memcpy(mac, &macw, 6);
	return t->neigh[nid].key.iface;
}

/* RFC 1812 4.3.2.7: no ICMP error about an ICMP error, a packet to an IP
 * broadcast or multicast address, one sent as a link-layer broadcast or
 * multicast, a non-initial fragment, or one whose source is not a unique
 * host (0/8, 127/8, broadcast, multicast, class E). avail: bytes of oip in
 * the first segment. */
static bool
rtr_icmp4_may_answer(const struct rtr_tables *t, struct rte_mbuf *m, const struct rte_ipv4_hdr *oip,
		     uint32_t avail)
{
	if (rtr_frame_is_mcast(m) || !rtr_host4(t, oip->dst_addr) || !rtr_host4(t, oip->src_addr) ||
	    (oip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK)))
		return false;
	if (oip->next_proto_id == IPPROTO_ICMP && avail >= 21) {
		uint8_t ot = ((const uint8_t *)oip)[(oip->version_ihl & 0xf) * 4];

		/* RFC 1812 4.3.2.7: never about an ICMP error (3, 4, 5, 11,
		 * 12) or a type not known; about an informational message
		 * (echo 0/8, router advert/solicit 9/10, timestamp 13/14,
		 * information 15/16, address mask 17/18, extended echo 42/43),
		 * as about any packet */
		static const uint64_t info = 1ull << 0 | 1ull << 8 | 1ull << 9 | 1ull << 10 |
					     1ull << 13 | 1ull << 14 | 1ull << 15 | 1ull << 16 |
					     1ull << 17 | 1ull << 18 | 1ull << 42 | 1ull << 43;

		if (ot >= 64 || !(info >> ot & 1))
			return false;
	}
	return true;
}

/* RFC 4443 2.4(e): no ICMPv6 error about an ICMPv6 error, a packet from
 * ::, ::1 or a multicast source, and, but for Packet Too Big and Parameter
 * Problem code 2, a packet to a multicast address or sent as a link-layer
 * multicast or broadcast. */
static bool
rtr_icmp6_may_answer(struct rte_mbuf *m, const struct rte_ipv6_hdr *oip, uint32_t avail,
		     uint8_t type, uint8_t code)
{
	bool mcast_ok = type == 2 || (type == 4 && code == 2);

	if (!rtr_host6(oip->src_addr))
		return false;
	if (!mcast_ok && (oip->dst_addr[0] == 0xff || rtr_frame_is_mcast(m)))
		return false;
	if (oip->proto == IPPROTO_ICMPV6 && avail > 40 && ((const uint8_t *)(oip + 1))[0] < 128)
		return false;
	return true;
}

/* The source of an error about oip leaving by interface ifi: the address
 * oip was sent to when it is one of ours (RFC 4443 2.2(a); Linux does the
 * same for IPv4: traceroute to the router's far address ends at that
 * address), else ifi's address for talking to the sender (RFC 1812
 * 4.3.2.4); IPv6 never a link-local address to a sender beyond the link
 * (RFC 4443 2.2(b)): then another interface's global one */
static uint32_t
rtr_err_src4(const struct rtr_tables *t, int ifi, const struct rte_ipv4_hdr *oip)
{
	for (uint16_t i = 0; i < t->n_if; i++)
		if (rtr_is_own4(&t->ifs[i], oip->dst_addr))
			return oip->dst_addr;
	return rtr_if_src4(&t->ifs[ifi], oip->src_addr);
}

static const uint8_t *
rtr_err_src6(const struct rtr_tables *t, int ifi, const struct rte_ipv6_hdr *oip)
{
	const uint8_t *a;

	if (rtr_own6(t, oip->dst_addr))
		return oip->dst_addr;
	a = rtr_if_src6(&t->ifs[ifi], oip->src_addr);
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80 &&
	    !(oip->src_addr[0] == 0xfe && (oip->src_addr[1] & 0xc0) == 0x80))
		for (uint16_t i = 0; i < t->n_if; i++)
			if (t->ifs[i].n6 > 0)
				return t->ifs[i].a6[0];
	return a;
}

void
rtr_icmp4_error(struct rtr_state *st, const struct rtr_tables *t, struct rte_mbuf *m, uint8_t type,
		uint8_t code, uint32_t info)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	const struct rte_ipv4_hdr *oip =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, md->l3_off);
	uint8_t dmac[6];
	int ifi = rtr_reply_path(t, m, 4, (const uint8_t *)&oip->src_addr, dmac);
	uint32_t avail = rte_pktmbuf_data_len(m) - md->l3_off, quote;
	struct rte_mbuf *r;
	struct rte_ipv4_hdr *ip;
	uint8_t *icmp;

	if (ifi < 0)
		goto free_orig;
	if (!rtr_icmp4_may_answer(t, m, oip, avail)) {
		st->cp[RTR_CP_ICMP_SUPPRESSED]++;
		goto free_orig;
	}
	if (!rtr_icmp_allowed(st))
		goto free_orig;
	quote = RTE_MIN(RTE_MIN((uint32_t)rte_be_to_cpu_16(oip->total_length), avail),
			(uint32_t)(RTR_ICMP4_MAX - 28));
	ip = (struct rte_ipv4_hdr *)rtr_new_frame(st, &t->ifs[ifi], dmac, RTE_ETHER_TYPE_IPV4,
						  (uint16_t)(28 + quote), &r);
	if (ip == NULL)
		goto free_orig;
	ip->version_ihl = 0x45;
	ip->type_of_service = 0xc0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(28 + quote));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = rtr_err_src4(t, ifi, oip);
	ip->dst_addr = oip->src_addr;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	icmp = (uint8_t *)(ip + 1);
	icmp[0] = type;
	icmp[1] = code;
	info = rte_cpu_to_be_32(info);
	memcpy(icmp + 4, &info, 4); /* may be unaligned behind a VLAN tag */
	memcpy(icmp + 8, oip, quote);
	*(uint16_t *)(icmp + 2) = (uint16_t)~rte_raw_cksum(icmp, 8 + quote);
	st->cp[RTR_CP_ICMP_ERR_TX]++;
	nfv_trace_ctl_note(NULL, m, "sent ICMP %s (type %u code %u) to %4",
			   type == 11 ? "time exceeded" : "destination unreachable", type, code,
			   oip->src_addr);
	rtr_send(st, t->ifs[ifi].port, r);
free_orig:
	rte_pktmbuf_free(m);
}

void
rtr_icmp6_error(struct rtr_state *st, const struct rtr_tables *t, struct rte_mbuf *m, uint8_t type,
		uint8_t code, uint32_t info)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	const struct rte_ipv6_hdr *oip =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, md->l3_off);
	uint8_t dmac[6];
	int ifi = rtr_reply_path(t, m, 6, oip->src_addr, dmac);
	uint32_t avail = rte_pktmbuf_data_len(m) - md->l3_off, quote;
	struct rte_mbuf *r;
	struct rte_ipv6_hdr *ip6;
	uint8_t *icmp;
	if (ifi < 0)
		goto free_orig;
	if (!rtr_icmp6_may_answer(m, oip, avail, type, code)) {
		st->cp[RTR_CP_ICMP_SUPPRESSED]++;
		goto free_orig;
	}
	if (!rtr_icmp_allowed(st))
		goto free_orig;
	quote = RTE_MIN(RTE_MIN(40u + rte_be_to_cpu_16(oip->payload_len), avail),
			(uint32_t)(RTR_ICMP6_MAX - 48));
	ip6 = (struct rte_ipv6_hdr *)rtr_new_frame(st, &t->ifs[ifi], dmac, RTE_ETHER_TYPE_IPV6,
						   (uint16_t)(48 + quote), &r);
	if (ip6 == NULL)
		goto free_orig;
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16((uint16_t)(8 + quote));
	ip6->proto = IPPROTO_ICMPV6;
	ip6->hop_limits = 64;
	memcpy(ip6->src_addr, rtr_err_src6(t, ifi, oip), 16);
	memcpy(ip6->dst_addr, oip->src_addr, 16);
	icmp = (uint8_t *)(ip6 + 1);
	icmp[0] = type;
	icmp[1] = code;
	info = rte_cpu_to_be_32(info);
	memcpy(icmp + 4, &info, 4); /* may be unaligned behind a VLAN tag */
	memcpy(icmp + 8, oip, quote);
	rtr_icmp6_cksum(ip6);
	st->cp[RTR_CP_ICMP_ERR_TX]++;
	nfv_trace_ctl_note(NULL, m, "sent ICMPv6 %s (type %u) to %6",
			   type == 3 ? "time exceeded" : type == 2 ? "packet too big"
							    : "destination unreachable",
			   type, nfv_trace_ip6(oip->src_addr, 0), nfv_trace_ip6(oip->src_addr, 1));
	rtr_send(st, t->ifs[ifi].port, r);
free_orig:
	rte_pktmbuf_free(m);
}

/* RFC 4861 8.2: m (a copy, as it came in) was forwarded back out of ifi,
 * the interface it came in on, to neighbour nid. The sender, when it is
 * a neighbour (its source on one of ifi's prefixes), gets a redirect from
 * the router's link-local address: the target is the destination itself
 * when the route is the attached subnet's (nid is the destination), else
 * nid when its address is link-local (the RFC's "MUST be the link-local
 * address of the router"; a next hop known only by a global address gets
 * none, as with Linux); with the target's link-layer address when known
 * and as much of m as keeps the message within 1280 bytes (8.2). Rate
 * limited with the ICMP errors. */
void
rtr_redirect6(struct rtr_state *st, const struct rtr_tables *t, struct rte_mbuf *m, uint16_t ifi,
	      uint32_t nid)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	const struct rte_ipv6_hdr *oip =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, md->l3_off);
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rtr_if *f = &t->ifs[ifi];
	uint32_t avail = rte_pktmbuf_data_len(m) - md->l3_off, quote, hdr;
	const uint8_t *target;
	struct rte_ipv6_hdr *ip6;
	struct rte_mbuf *r;
	uint8_t *icmp, *opt;
	uint64_t macw;

	if (nid >= t->max_neigh || t->neigh[nid].key.family != 6 || oip->dst_addr[0] == 0xff ||
	    !rtr_if_on_link6(f, oip->src_addr) || !rte_is_unicast_ether_addr(&eh->src_addr))
		goto free_orig;
	target = t->neigh[nid].key.addr;
	if (memcmp(target, oip->dst_addr, 16) != 0 &&
	    !(target[0] == 0xfe && (target[1] & 0xc0) == 0x80))
		goto free_orig;
	if (!rtr_icmp_allowed(st))
		goto free_orig;
	macw = atomic_load_explicit(&t->neigh[nid].macw, memory_order_acquire);
	hdr = 40 + 40 + ((macw & RTR_MAC_VALID) ? 8 : 0) + 8;
	quote = RTE_MIN(RTE_MIN(40u + rte_be_to_cpu_16(oip->payload_len), avail),
			(uint32_t)RTR_ICMP6_MAX - hdr) &
		~7u; /* the option is in units of 8 bytes */
	ip6 = (struct rte_ipv6_hdr *)rtr_new_frame(
		st, f, eh->src_addr.addr_bytes, RTE_ETHER_TYPE_IPV6, (uint16_t)(hdr + quote), &r);
	if (ip6 == NULL)
		goto free_orig;
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16((uint16_t)(hdr - 40 + quote));
	ip6->proto = IPPROTO_ICMPV6;
	ip6->hop_limits = 255;
	memcpy(ip6->src_addr, f->ll6, 16);
	memcpy(ip6->dst_addr, oip->src_addr, 16);
	icmp = (uint8_t *)(ip6 + 1);
	icmp[0] = 137;
	memcpy(icmp + 8, target, 16);
	memcpy(icmp + 24, oip->dst_addr, 16);
	opt = icmp + 40;
	if (macw & RTR_MAC_VALID) {
		opt[0] = 2; /* target link-layer address */
		opt[1] = 1;
		memcpy(opt + 2, &macw, 6);
		opt += 8;
	}
	opt[0] = 4; /* redirected header */
	opt[1] = (uint8_t)(1 + quote / 8);
	memcpy(opt + 8, oip, quote);
	rtr_icmp6_cksum(ip6);
	st->cp[RTR_CP_REDIRECT_TX]++;
	rtr_send(st, f->port, r);
free_orig:
	rte_pktmbuf_free(m);
}

void
rtr_error(struct rtr_state *st, const struct rtr_tables *t, struct rte_mbuf *m, enum rtr_err e)
{
	/* SCOPE: IPv6 only (beyond scope of source address, RFC 4443 3.1) */
	static const uint8_t v4[][2] = {{11, 0}, {3, 0}, {3, 1}, {3, 1}, {3, 3}, {3, 1}};
	static const uint8_t v6[][2] = {{3, 0}, {1, 0}, {1, 3}, {1, 6}, {1, 4}, {1, 2}};

	if (rtr_is_v6(m))
		rtr_icmp6_error(st, t, m, v6[e][0], v6[e][1], 0);
	else
		rtr_icmp4_error(st, t, m, v4[e][0], v4[e][1], 0);
}

void
rtr_tcp_rst(struct rtr_state *st, const struct rtr_tables *t, struct rte_mbuf *m)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, md->l3_off);
	uint32_t avail = rte_pktmbuf_data_len(m) - md->l3_off, l4len, doff, seq, ack, sq;
	bool v6 = (l3[0] >> 4) == 6;
	uint16_t hl = v6 ? 40 : 20;
	const uint8_t *th = l3 + hl;
	uint8_t dmac[6], *nl3, *nth, flags;
	struct rte_mbuf *r;
	int ifi;

	if (v6) {
		const struct rte_ipv6_hdr *ip6 = (const struct rte_ipv6_hdr *)l3;

		l4len = rte_be_to_cpu_16(ip6->payload_len);
		if (!rtr_host6(ip6->src_addr))
			goto suppressed;
	} else {
		const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)l3;

		l4len = (uint32_t)rte_be_to_cpu_16(ip->total_length) - hl;
		if (ip->version_ihl != 0x45 ||
		    (ip->fragment_offset &
		     rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)))
			goto dropped;
		if (!rtr_host4(t, ip->src_addr))
			goto suppressed;
	}
	if (l4len < 20 || hl + l4len > avail)
		goto dropped;
	doff = (uint32_t)(th[12] >> 4) * 4;
	flags = th[13];
	if (doff < 20 || doff > l4len || (flags & RTE_TCP_RST_FLAG))
		goto dropped;
	if (rtr_frame_is_mcast(m))
		goto suppressed;
	if (!rtr_icmp_allowed(st))
		goto free_orig;
	ifi = rtr_reply_path(t, m, v6 ? 6 : 4, v6 ? l3 + 8 : l3 + 12, dmac);
	if (ifi < 0)
		goto free_orig;
	nl3 = rtr_new_frame(st, &t->ifs[ifi], dmac, v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4,
			    (uint16_t)(hl + 20), &r);
	if (nl3 == NULL)
		goto free_orig;
	memcpy(&sq, th + 4, 4);
	memcpy(&ack, th + 8, 4);
	nth = nl3 + hl;
	memcpy(nth, th + 2, 2); /* ports swapped */
	memcpy(nth + 2, th, 2);
	if (flags & RTE_TCP_ACK_FLAG) {
		/* <SEQ=SEG.ACK><CTL=RST> */
		memcpy(nth + 4, &ack, 4);
		nth[13] = RTE_TCP_RST_FLAG;
	} else {
		/* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
		seq = rte_be_to_cpu_32(sq) + (l4len - doff) + ((flags & RTE_TCP_SYN_FLAG) != 0) +
		      ((flags & RTE_TCP_FIN_FLAG) != 0);
		seq = rte_cpu_to_be_32(seq);
		memcpy(nth + 8, &seq, 4);
		nth[13] = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
	}
	nth[12] = 5 << 4;
	if (v6) {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)nl3;

		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip6->payload_len = rte_cpu_to_be_16(20);
		ip6->proto = IPPROTO_TCP;
		ip6->hop_limits = 64;
		memcpy(ip6->src_addr, l3 + 24, 16);
		memcpy(ip6->dst_addr, l3 + 8, 16);
		*(uint16_t *)(nth + 16) = rte_ipv6_udptcp_cksum(ip6, nth);
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)nl3;

		ip->version_ihl = 0x45;
		ip->total_length = rte_cpu_to_be_16(40);
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_TCP;
		memcpy(&ip->src_addr, l3 + 16, 4);
		memcpy(&ip->dst_addr, l3 + 12, 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		*(uint16_t *)(nth + 16) = rte_ipv4_udptcp_cksum(ip, nth);
	}
	st->cp[RTR_CP_TCP_RST_TX]++;
	rtr_send(st, t->ifs[ifi].port, r);
	goto free_orig;
suppressed:
	st->cp[RTR_CP_ICMP_SUPPRESSED]++;
	goto free_orig;
dropped:
	st->cp[RTR_CP_LOCAL_DROPPED]++;
free_orig:
	rte_pktmbuf_free(m);
}

/* The ones' complement sum of len bytes of chained m from off (0xffff
 * when a checksum there verifies), or 0 when m is shorter. */
static uint16_t
rtr_cksum_chain(const struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	uint16_t sum;

	if (m->nb_segs == 1)
		return rte_raw_cksum(rte_pktmbuf_mtod_offset(m, const uint8_t *, off), len);
	if (rte_raw_cksum_mbuf(m, off, len, &sum) != 0)
		return 0;
	return sum;
}

/* The mask of f's address a (network order), else of f's first */
static uint32_t
rtr_mask4(const struct rtr_if *f, uint32_t a)
{
	uint16_t k = 0;

	for (uint16_t i = 0; i < f->n4; i++)
		if (f->a4[i] == a)
			k = i;
	return f->n4 && f->l4[k] ? ~0u << (32 - f->l4[k]) : 0;
}

/* Echo reply to m, an echo request to one of our addresses that came in
 * on ifi (anything else for us is counted as local-dropped). m may be a
 * reassembled datagram (chained mbufs): its reply goes out in fragments
 * when it is larger than the interface's MTU. */
void
rtr_echo4(struct rtr_state *st, struct rtr_tables *t, struct rte_mbuf *m, uint16_t ifi)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, md->l3_off);
	uint32_t tot = rte_be_to_cpu_16(ip->total_length), ihl = (ip->version_ihl & 0xf) * 4u;
	uint8_t *icmp = (uint8_t *)ip + ihl; /* options checked by the data path */
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint32_t a, l4 = md->l3_off + ihl;
	uint64_t macw = 0;

	/* never to a broadcast (e.g. a source that is an attached subnet's
	 * directed broadcast: the data path cannot tell) */
	if (!rtr_host4(t, ip->src_addr) || rtr_frame_is_mcast(m) ||
	    !rte_is_unicast_ether_addr(&eh->src_addr)) {
		st->cp[RTR_CP_LOCAL_DROPPED]++;
		rte_pktmbuf_free(m);
		return;
	}
	/* echo, and the queries of RFC 1812 4.3.3.8/4.3.3.9 (timestamp,
	 * address mask), each whole */
	if (ip->next_proto_id != IPPROTO_ICMP || tot < ihl + 8 ||
	    rte_pktmbuf_data_len(m) < l4 + 8 || rte_pktmbuf_pkt_len(m) < md->l3_off + tot ||
	    !(icmp[0] == RTE_IP_ICMP_ECHO_REQUEST ||
	      (icmp[0] == 13 && tot - ihl == 20 && rte_pktmbuf_data_len(m) >= l4 + 20) ||
	      (icmp[0] == 17 && tot - ihl == 12 && rte_pktmbuf_data_len(m) >= l4 + 12)) ||
	    rtr_cksum_chain(m, l4, tot - ihl) != 0xffff ||
	    (ip->fragment_offset &
	     rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))) {
		st->cp[RTR_CP_LOCAL_DROPPED]++;
		rte_pktmbuf_free(m);
		return;
	}
	a = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = a;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	/* RFC 1122 3.2.2.6: record route and timestamp filled in with the
	 * address pinged and returned in the reply (checksum recomputed) */
	if (ihl > 20)
		rtr_opts4_stamp(ip, ip->src_addr, rtr_ts_ms(st));
	if (icmp[0] == 13) {
		/* RFC 792: receive and transmit timestamps, ms since
		 * midnight UT */
		uint32_t ts = rte_cpu_to_be_32(rtr_ts_ms(st));

		memcpy(icmp + 12, &ts, 4);
		memcpy(icmp + 16, &ts, 4);
	} else if (icmp[0] == 17) {
		/* RFC 950 / RFC 1812 4.3.3.9: the mask of the address asked */
		uint32_t mask = rte_cpu_to_be_32(rtr_mask4(&t->ifs[ifi], ip->src_addr));

		memcpy(icmp + 8, &mask, 4);
	}
	icmp[0] = icmp[0] == RTE_IP_ICMP_ECHO_REQUEST ? RTE_IP_ICMP_ECHO_REPLY : icmp[0] + 1;
	icmp[2] = icmp[3] = 0;
	*(uint16_t *)(icmp + 2) = (uint16_t)~rtr_cksum_chain(m, l4, tot - ihl);
	st->cp[RTR_CP_ECHO_REPLY]++;
	if (m->nb_segs > 1 || tot > t->ifs[ifi].mtu) {
		/* a reassembled request: the reply in fragments, to the
		 * requester's MAC */
		memcpy(&macw, &eh->src_addr, 6);
		ip->fragment_offset &= rte_cpu_to_be_16((uint16_t)~RTE_IPV4_HDR_DF_FLAG);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		rte_pktmbuf_adj(m, md->l3_off);
		rtr_cp_fragment4(st, &t->ifs[ifi], m, macw | RTR_MAC_VALID);
		return;
	}
	eh->dst_addr = eh->src_addr;
	eh->src_addr = t->ifs[ifi].mac;
	rtr_send(st, t->ifs[ifi].port, m);
}

/* The ICMPv6 sum (pseudo-header and len bytes of chained m from off):
 * 0xffff when a checksum there verifies; 0 when m is shorter. */
static uint16_t
rtr_icmp6_sum(const struct rte_mbuf *m, const struct rte_ipv6_hdr *ip6, uint32_t off,
	      uint32_t len)
{
	uint32_t s = rte_ipv6_phdr_cksum(ip6, 0);
	uint16_t d = rtr_cksum_chain(m, off, len);

	if (d == 0)
		return 0;
	s += d;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The same for IPv6 (neighbour discovery is not for here); m may be a
 * reassembled datagram, its reply then sent in fragments */
void
rtr_echo6(struct rtr_state *st, struct rtr_tables *t, struct rte_mbuf *m, uint16_t ifi)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, md->l3_off);
	uint8_t *icmp = (uint8_t *)(ip6 + 1), a[16];
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint32_t plen = rte_be_to_cpu_16(ip6->payload_len), l4 = md->l3_off + 40u;
	uint64_t macw = 0;

	/* to all-nodes / all-routers (the data path punts those only) in a
	 * multicast frame, anything else in a unicast one */
	if (ip6->proto != IPPROTO_ICMPV6 || plen < 8 || rte_pktmbuf_data_len(m) < l4 + 8 ||
	    rte_pktmbuf_pkt_len(m) < l4 + plen || icmp[0] != 128 ||
	    rtr_icmp6_sum(m, ip6, l4, plen) != 0xffff || !rtr_host6(ip6->src_addr) ||
	    rtr_frame_is_mcast(m) != (ip6->dst_addr[0] == 0xff) ||
	    !rte_is_unicast_ether_addr(&eh->src_addr)) {
		st->cp[RTR_CP_LOCAL_DROPPED]++;
		rte_pktmbuf_free(m);
		return;
	}
	/* RFC 4443 4.2: the reply to a request sent to a multicast or an
	 * anycast address (the subnet-router anycast, RFC 4291 2.6.1) comes
	 * from a unicast address of the interface it came in on */
	memcpy(a, ip6->src_addr, 16);
	if (ip6->dst_addr[0] == 0xff || !rtr_own6(t, ip6->dst_addr))
		memcpy(ip6->src_addr, rtr_if_src6(&t->ifs[ifi], a), 16);
	else
		memcpy(ip6->src_addr, ip6->dst_addr, 16);
	memcpy(ip6->dst_addr, a, 16);
	ip6->hop_limits = 64;
	icmp[0] = 129;
	icmp[2] = icmp[3] = 0;
	*(uint16_t *)(icmp + 2) = (uint16_t)~rtr_icmp6_sum(m, ip6, l4, plen);
	st->cp[RTR_CP_ECHO_REPLY]++;
	if (m->nb_segs > 1 || 40 + plen > t->ifs[ifi].mtu) {
		memcpy(&macw, &eh->src_addr, 6);
		rte_pktmbuf_adj(m, md->l3_off);
		rtr_cp_fragment6(st, &t->ifs[ifi], m, macw | RTR_MAC_VALID);
		return;
	}
	eh->dst_addr = eh->src_addr;
	eh->src_addr = t->ifs[ifi].mac;
	rtr_send(st, t->ifs[ifi].port, m);
}
