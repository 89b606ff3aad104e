/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - control path: instance life cycle, ARP and IPv6
 * neighbour discovery (cache with aging, pending queues, DAD), ICMP and
 * ICMPv6 (echo, time exceeded, unreachable, frag-needed / packet too big,
 * rate limited per RFC 1812 / RFC 4443), route and neighbour commands.
 * Runs on the control thread only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_icmp.h>
#include <rte_log.h>
#include <rte_ip_frag.h>
#include <rte_malloc.h>

#include "router_rt.h"

#define RTR_LOG(lvl, fmt, ...) \
	rte_log(RTE_LOG_##lvl, RTE_LOGTYPE_USER1, "router: " fmt "\n", ##__VA_ARGS__)

static const char *const rtr_counter_names[] = {RTR_COUNTERS(VNF_NAME)};
static const char *const rtr_drop_names[] = {RTR_DROPS(VNF_NAME)};
static const char *const rtr_cp_names[] = {RTR_CP_COUNTERS(VNF_NAME)};

#define RTR_ICMP4_MAX 576  /* RFC 1812 4.3.2.3: error datagram up to 576 bytes */
#define RTR_ICMP6_MAX 1280 /* RFC 4443 2.4(c): not exceeding the minimum MTU */

struct rtr_nd_hdr {
	uint8_t type, code;
	uint16_t cksum;
	uint32_t flags;
	uint8_t target[16];
} __rte_packed;

void
rtr_state_init(struct rtr_state *st, const struct rtr_conf *c, uint64_t tsc_hz)
{
	st->conf = c;
	st->punt_tsc_per_token = RTE_MAX(tsc_hz / c->punt_rate, (uint64_t)1);
	st->punt_burst = RTE_MAX(c->punt_rate / 100, 64u);
	for (unsigned int i = 0; i < RTE_MAX_LCORE; i++)
		st->tb[i].tokens = st->punt_burst;
	st->icmp_tokens = c->icmp_burst;
	st->icmp_last_ms = nfv_now_ms();
}

/* ---------------- helpers ---------------- */

static int
rtr_in_iface(const struct rtr_tables *t, struct rte_mbuf *m)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);

	for (uint16_t i = 0; i < t->n_if; i++)
		if (t->ifs[i].port == m->port && t->ifs[i].vlan == md->vlan)
			return i;
	return -1;
}

static void
rtr_send(struct rtr_state *st, uint16_t port, struct rte_mbuf *m)
{
	st->tx(port, &m, 1);
}

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

/* Our IPv4 address on f for talking to dst (same subnet first). */
static uint32_t
rtr_if_src4(const struct rtr_if *f, uint32_t dst_be)
{
	for (uint16_t k = 0; k < f->n4; k++) {
		uint32_t mask = f->l4[k] ? rte_cpu_to_be_32(~0u << (32 - f->l4[k])) : 0;

		if (((f->a4[k] ^ dst_be) & mask) == 0)
			return f->a4[k];
	}
	return f->n4 ? f->a4[0] : 0;
}

static const uint8_t *
rtr_if_src6(const struct rtr_if *f, const uint8_t *dst)
{
	if (dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80)
		return f->ll6;
	for (uint16_t k = 0; k < f->n6; k++) {
		struct cfg_prefix p = {.family = AF_INET6, .len = f->l6[k]};
		struct cfg_prefix a = {.family = AF_INET6, .len = 128};

		memcpy(&p.v6, f->a6[k], 16);
		memcpy(&a.v6, dst, 16);
		if (rtr_prefix_contains(&p, &a))
			return f->a6[k];
	}
	return f->n6 ? f->a6[0] : f->ll6;
}

static bool
rtr_is_own4(const struct rtr_if *f, uint32_t a_be)
{
	for (uint16_t k = 0; k < f->n4; k++)
		if (f->a4[k] == a_be)
			return true;
	return false;
}

static int
rtr_own6_index(const struct rtr_if *f, const uint8_t *a)
{
	for (uint16_t k = 0; k < f->n6; k++)
		if (memcmp(f->a6[k], a, 16) == 0)
			return k;
	return memcmp(f->ll6, a, 16) == 0 ? RTR_MAX_ADDRS : -1;
}

/* RFC 1812 4.2.2.11 / 5.3.7: a (network order) names one host: not in 0/8
 * or 127/8, not multicast, class E or the limited broadcast, not the
 * directed broadcast of an attached subnet. What the router may answer or
 * send an error to. */
static bool
rtr_host4(const struct rtr_tables *t, uint32_t a_be)
{
	uint32_t a = rte_be_to_cpu_32(a_be);

	if (a >= 0xe0000000u || (a >> 24) == 0 || (a >> 24) == 127)
		return false;
	for (uint16_t i = 0; i < t->n_if; i++) {
		const struct rtr_if *f = &t->ifs[i];

		for (uint16_t k = 0; k < f->n4; k++) {
			uint32_t mask = ~0u << (32 - f->l4[k]);

			if (f->l4[k] >= 1 && f->l4[k] <= 30 &&
			    ((a ^ rte_be_to_cpu_32(f->a4[k])) & mask) == 0 && (a | mask) == ~0u)
				return false;
		}
	}
	return true;
}

/* RFC 4291 2.5.2/2.5.3, RFC 4443 2.4(e.6): not ::, ::1 or multicast */
static bool
rtr_host6(const uint8_t *a)
{
	static const uint8_t zero[15];

	return a[0] != 0xff && !(memcmp(a, zero, 15) == 0 && a[15] <= 1);
}

static bool
rtr_frame_is_mcast(struct rte_mbuf *m)
{
	return rte_is_multicast_ether_addr(&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr);
}

/* New mbuf with the L2 header of interface f towards dst; returns the L3
 * pointer (l3_len bytes, zeroed) or NULL. */
static uint8_t *
rtr_new_frame(struct rtr_state *st, const struct rtr_if *f, const uint8_t *dst_mac,
	      uint16_t ethertype, uint16_t l3_len, struct rte_mbuf **out)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(st->pool);
	uint16_t l2 = f->vlan ? 18 : 14, len = RTE_MAX((uint16_t)(l2 + l3_len), (uint16_t)60);
	uint8_t *d;

	*out = NULL;
	if (m == NULL || (d = (uint8_t *)rte_pktmbuf_append(m, len)) == NULL) {
		rte_pktmbuf_free(m);
		st->cp[RTR_CP_NOMEM]++;
		return NULL;
	}
	memset(d, 0, len);
	memcpy(d, dst_mac, 6);
	memcpy(d + 6, &f->mac, 6);
	if (f->vlan) {
		*(uint16_t *)(d + 12) = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		*(uint16_t *)(d + 14) = rte_cpu_to_be_16(f->vlan);
	}
	*(uint16_t *)(d + l2 - 2) = rte_cpu_to_be_16(ethertype);
	*out = m;
	return d + l2;
}

static void
rtr_icmp6_cksum(struct rte_ipv6_hdr *ip6)
{
	uint8_t *l4 = (uint8_t *)(ip6 + 1);

	l4[2] = l4[3] = 0;
	*(uint16_t *)(l4 + 2) = rte_ipv6_udptcp_cksum(ip6, l4);
}

/* A correct ICMPv6 checksum sums to 0xffff: the function returns its
 * complement, 0 (it maps 0 to 0xffff for UDP only). */
static bool
rtr_icmp6_ok(const struct rte_ipv6_hdr *ip6, const void *l4)
{
	return rte_ipv6_udptcp_cksum(ip6, l4) == 0;
}

/* ---------------- ICMP errors ---------------- */

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
rtr_icmp4_may_answer(const struct rtr_tables *t, struct rte_mbuf *m,
		     const struct rte_ipv4_hdr *oip, uint32_t avail)
{
	if (rtr_frame_is_mcast(m) || !rtr_host4(t, oip->dst_addr) ||
	    !rtr_host4(t, oip->src_addr) ||
	    (oip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK)))
		return false;
	if (oip->next_proto_id == IPPROTO_ICMP && avail >= 21) {
		uint8_t ot = ((const uint8_t *)oip)[(oip->version_ihl & 0xf) * 4];

		if (ot != RTE_IP_ICMP_ECHO_REQUEST && ot != RTE_IP_ICMP_ECHO_REPLY && ot != 13 &&
		    ot != 14)
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

static void
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
	ip->src_addr = rtr_if_src4(&t->ifs[ifi], oip->src_addr);
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
	rtr_send(st, t->ifs[ifi].port, r);
free_orig:
	rte_pktmbuf_free(m);
}

static void
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
	memcpy(ip6->src_addr, rtr_if_src6(&t->ifs[ifi], oip->src_addr), 16);
	memcpy(ip6->dst_addr, oip->src_addr, 16);
	icmp = (uint8_t *)(ip6 + 1);
	icmp[0] = type;
	icmp[1] = code;
	info = rte_cpu_to_be_32(info);
	memcpy(icmp + 4, &info, 4); /* may be unaligned behind a VLAN tag */
	memcpy(icmp + 8, oip, quote);
	rtr_icmp6_cksum(ip6);
	st->cp[RTR_CP_ICMP_ERR_TX]++;
	rtr_send(st, t->ifs[ifi].port, r);
free_orig:
	rte_pktmbuf_free(m);
}

static bool
rtr_is_v6(struct rte_mbuf *m)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);

	return (*rte_pktmbuf_mtod_offset(m, uint8_t *, md->l3_off) >> 4) == 6;
}

enum rtr_err { RTR_ERR_TTL, RTR_ERR_NET, RTR_ERR_HOST, RTR_ERR_REJECT, RTR_ERR_PORT };

static void
rtr_error(struct rtr_state *st, const struct rtr_tables *t, struct rte_mbuf *m, enum rtr_err e)
{
	static const uint8_t v4[][2] = {{11, 0}, {3, 0}, {3, 1}, {3, 1}, {3, 3}};
	static const uint8_t v6[][2] = {{3, 0}, {1, 0}, {1, 3}, {1, 6}, {1, 4}};

	if (rtr_is_v6(m))
		rtr_icmp6_error(st, t, m, v6[e][0], v6[e][1], 0);
	else
		rtr_icmp4_error(st, t, m, v4[e][0], v4[e][1], 0);
}

/* ---------------- neighbours: requests, resolution, queue ---------------- */

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

/* IPv4 m (L2 already stripped, TTL done) larger than oi's MTU and without
 * DF: RFC 791 fragments (rte_ip_frag; fragments are a direct mbuf with the
 * header and an indirect one with the payload, made linear when they fit),
 * each with its header checksum and L2 header, sent to the neighbour. */
#define RTR_MAX_FRAGS 64
static void
rtr_cp_fragment4(struct rtr_state *st, const struct rtr_if *oi, struct rte_mbuf *m,
		 uint64_t macw)
{
	struct rte_mbuf *frags[RTR_MAX_FRAGS];
	int n = rte_ipv4_fragment_packet(m, frags, RTR_MAX_FRAGS, oi->mtu, nfv_pktmbuf_pool(),
					 nfv_pktmbuf_pool());

	rte_pktmbuf_free(m);
	if (n <= 0) {
		st->cp[RTR_CP_FRAG_FAILED]++;
		return;
	}
	st->cp[RTR_CP_FRAGMENTED]++;
	for (int i = 0; i < n; i++) {
		struct rte_mbuf *f = frags[i];
		struct rte_ipv4_hdr *ip;

		if (f->nb_segs > 1)
			rte_pktmbuf_linearize(f); /* left segmented when it does not fit */
		ip = rte_pktmbuf_mtod(f, struct rte_ipv4_hdr *);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		if (rtr_l2_write(f, 0, oi, macw, rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) != 0) {
			st->cp[RTR_CP_FRAG_FAILED]++;
			rte_pktmbuf_free(f);
			continue;
		}
		st->cp[RTR_CP_FRAGMENTS_TX]++;
		rtr_send(st, oi->port, f);
	}
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
			rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - rte_be_to_cpu_16(ip->total_length));
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
		   const struct rte_ether_addr *mac)
{
	struct rtr_neigh *n = &t->neigh[id];
	uint64_t now = nfv_now_ms();

	n->rep_rx++;
	if (n->state == RTR_NS_STATIC)
		return;
	rtr_neigh_set_mac(n, mac);
	n->state = RTR_NS_REACHABLE;
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

static void
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

/* ---------------- ARP ---------------- */

static void
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
				rtr_neigh_resolved(st, t, (uint32_t)id, &a->arp_data.arp_sha);
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

/* ---------------- IPv6 neighbour discovery ---------------- */

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
	    const uint8_t *dst, const uint8_t *dst_mac, bool solicited)
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
	memcpy(ip6->src_addr, target, 16);
	memcpy(ip6->dst_addr, dst ? dst : all_nodes, 16);
	na = (struct rtr_nd_hdr *)(ip6 + 1);
	na->type = 136;
	/* router, solicited, override */
	na->flags = rte_cpu_to_be_32(0x80000000u | (solicited ? 0x40000000u : 0) | 0x20000000u);
	memcpy(na->target, target, 16);
	opt = (uint8_t *)(na + 1);
	opt[0] = 2; /* target link-layer address */
	opt[1] = 1;
	memcpy(opt + 2, &f->mac, 6);
	rtr_icmp6_cksum(ip6);
	st->cp[RTR_CP_ND_NA_TX]++;
	rtr_send(st, f->port, r);
}

static void
rtr_nd_input(struct rtr_state *st, struct rtr_tables *t, struct rte_mbuf *m, uint16_t ifi)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, md->l3_off);
	struct rtr_nd_hdr *nd = (struct rtr_nd_hdr *)(ip6 + 1);
	struct rtr_if *f = &t->ifs[ifi];
	uint32_t plen = rte_be_to_cpu_16(ip6->payload_len);
	static const uint8_t unspec[16];
	const uint8_t *ll;
	int own, id;

	/* RFC 4861 7.1.1/7.1.2: hop limit 255, code 0, length */
	if (ip6->hop_limits != 255 || nd->code != 0 || plen < sizeof(*nd) ||
	    rte_pktmbuf_data_len(m) < md->l3_off + 40u + plen || nd->target[0] == 0xff ||
	    !rtr_icmp6_ok(ip6, nd))
		goto free_m;
	own = rtr_own6_index(f, nd->target);
	if (nd->type == 135) {
		st->cp[RTR_CP_ND_NS_RX]++;
		if (own < 0)
			goto free_m;
		if (memcmp(ip6->src_addr, unspec, 16) == 0) {
			/* someone's DAD for our address: defend it */
			rtr_na_send(st, t, ifi, nd->target, NULL, NULL, false);
			goto free_m;
		}
		ll = rtr_nd_lladdr((const uint8_t *)(nd + 1), plen - sizeof(*nd), 1);
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
							   (const struct rte_ether_addr *)ll);
			}
		}
		rtr_na_send(st, t, ifi, nd->target, ip6->src_addr,
			    ll ? ll
			       : rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->src_addr.addr_bytes,
			    true);
	} else if (nd->type == 136) {
		st->cp[RTR_CP_ND_NA_RX]++;
		if (own >= 0 && own < RTR_MAX_ADDRS) {
			/* another node claims our address */
			f->dad_conflict[own] = true;
			st->cp[RTR_CP_DAD_CONFLICT]++;
			goto free_m;
		}
		ll = rtr_nd_lladdr((const uint8_t *)(nd + 1), plen - sizeof(*nd), 2);
		id = rtr_neigh_get(t, ifi, 6, nd->target, false);
		if (id >= 0 && ll != NULL)
			rtr_neigh_resolved(st, t, (uint32_t)id, (const struct rte_ether_addr *)ll);
	}
free_m:
	rte_pktmbuf_free(m);
}

/* ---------------- packets for our own addresses ---------------- */

static void
rtr_local4(struct rtr_state *st, struct rtr_tables *t, struct rte_mbuf *m, uint16_t ifi)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, md->l3_off);
	uint32_t tot = rte_be_to_cpu_16(ip->total_length);
	uint8_t *icmp = (uint8_t *)(ip + 1);
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	uint32_t a;

	if (ip->next_proto_id == IPPROTO_UDP) {
		rtr_error(st, t, m, RTR_ERR_PORT);
		return;
	}
	/* never to a broadcast (e.g. a source that is an attached subnet's
	 * directed broadcast: the data path cannot tell) */
	if (!rtr_host4(t, ip->src_addr) || rtr_frame_is_mcast(m) ||
	    !rte_is_unicast_ether_addr(&eh->src_addr)) {
		st->cp[RTR_CP_LOCAL_DROPPED]++;
		rte_pktmbuf_free(m);
		return;
	}
	if (ip->next_proto_id != IPPROTO_ICMP || tot < 28 || m->nb_segs > 1 ||
	    icmp[0] != RTE_IP_ICMP_ECHO_REQUEST || rte_raw_cksum(icmp, tot - 20) != 0xffff ||
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
	icmp[0] = RTE_IP_ICMP_ECHO_REPLY;
	icmp[2] = icmp[3] = 0;
	*(uint16_t *)(icmp + 2) = (uint16_t)~rte_raw_cksum(icmp, tot - 20);
	eh->dst_addr = eh->src_addr;
	eh->src_addr = t->ifs[ifi].mac;
	st->cp[RTR_CP_ECHO_REPLY]++;
	rtr_send(st, t->ifs[ifi].port, m);
}

static void
rtr_local6(struct rtr_state *st, struct rtr_tables *t, struct rte_mbuf *m, uint16_t ifi)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, md->l3_off);
	uint8_t *icmp = (uint8_t *)(ip6 + 1), a[16];
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	if (ip6->proto == IPPROTO_ICMPV6 && rte_be_to_cpu_16(ip6->payload_len) >= 4 &&
	    icmp[0] >= 133 && icmp[0] <= 137) {
		rtr_nd_input(st, t, m, ifi);
		return;
	}
	if (ip6->proto == IPPROTO_UDP) {
		rtr_error(st, t, m, RTR_ERR_PORT);
		return;
	}
	if (ip6->proto != IPPROTO_ICMPV6 || rte_be_to_cpu_16(ip6->payload_len) < 8 ||
	    m->nb_segs > 1 || icmp[0] != 128 || !rtr_icmp6_ok(ip6, icmp) ||
	    !rtr_host6(ip6->src_addr) || rtr_frame_is_mcast(m) ||
	    !rte_is_unicast_ether_addr(&eh->src_addr)) {
		st->cp[RTR_CP_LOCAL_DROPPED]++;
		rte_pktmbuf_free(m);
		return;
	}
	memcpy(a, ip6->src_addr, 16);
	memcpy(ip6->src_addr, ip6->dst_addr, 16);
	memcpy(ip6->dst_addr, a, 16);
	ip6->hop_limits = 64;
	icmp[0] = 129;
	rtr_icmp6_cksum(ip6);
	eh->dst_addr = eh->src_addr;
	eh->src_addr = t->ifs[ifi].mac;
	st->cp[RTR_CP_ECHO_REPLY]++;
	rtr_send(st, t->ifs[ifi].port, m);
}

void
rtr_punt(struct nfv_vnf *vnf, struct rte_mbuf *m)
{
	struct rtr_state *st = vnf->priv;
	struct rtr_tables *t = rtr_tables_get(st);
	uint32_t code = nfv_meta(m)->nh;
	uint16_t ifi = (code >> 8) & 0x1f;
	uint32_t nid = code >> 13;

	if (ifi >= t->n_if) {
		rte_pktmbuf_free(m);
		return;
	}
	switch (code & 0xff) {
	case RTR_PUNT_ARP:
		rtr_arp_input(st, t, m, ifi);
		break;
	case RTR_PUNT_ND:
		rtr_nd_input(st, t, m, ifi);
		break;
	case RTR_PUNT_LOCAL:
		if (rtr_is_v6(m))
			rtr_local6(st, t, m, ifi);
		else
			rtr_local4(st, t, m, ifi);
		break;
	case RTR_PUNT_TTL:
		rtr_error(st, t, m, RTR_ERR_TTL);
		break;
	case RTR_PUNT_NOROUTE:
		rtr_error(st, t, m, RTR_ERR_NET);
		break;
	case RTR_PUNT_REJECT:
		rtr_error(st, t, m, RTR_ERR_REJECT);
		break;
	case RTR_PUNT_TOOBIG:
		if (nid >= t->n_if)
			rte_pktmbuf_free(m);
		else if (rtr_is_v6(m))
			rtr_icmp6_error(st, t, m, 2, 0, t->ifs[nid].mtu);
		else
			rtr_icmp4_error(st, t, m, 3, 4, t->ifs[nid].mtu);
		break;
	case RTR_PUNT_RESOLVE:
		rtr_resolve(st, t, m, ifi, nid);
		break;
	default:
		rte_pktmbuf_free(m);
		break;
	}
}

/* ---------------- timers ---------------- */

static void
rtr_announce(struct rtr_state *st, struct rtr_tables *t)
{
	for (uint16_t i = 0; i < t->n_if; i++) {
		const struct rtr_if *f = &t->ifs[i];

		for (uint16_t k = 0; k < f->n4; k++) {
			st->cp[RTR_CP_GARP_TX]++;
			rtr_arp_send(st, t, i, RTE_ARP_OP_REQUEST, f->a4[k], f->a4[k], NULL, NULL);
		}
		for (uint16_t k = 0; k < f->n6; k++)
			rtr_ns_send(st, t, i, f->a6[k], NULL, true);
	}
}

void
rtr_tick(struct nfv_vnf *vnf, uint64_t now_ms)
{
	struct rtr_state *st = vnf->priv;
	struct rtr_tables *t = rtr_tables_get(st);
	const struct rtr_conf *c = st->conf;

	st->now_ms = now_ms;
	if (st->announce) {
		st->announce = false;
		rtr_announce(st, t);
	}
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

/* ---------------- life cycle ---------------- */

static int
rtr_resolve_ports(const struct nfv_config *cfg, const struct rtr_conf *c, uint16_t *ports,
		  struct rte_ether_addr *macs, char *err, size_t errlen)
{
	for (uint16_t i = 0; i < c->n_if; i++) {
		const struct rtr_if_conf *f = &c->ifs[i];
		int pid = nfv_port_id(cfg, f->port);

		if (pid < 0) {
			snprintf(err, errlen, "interface %s: port %s is not running", f->name,
				 cfg->ports[f->port].name);
			return -ENODEV;
		}
		ports[i] = (uint16_t)pid;
		if (f->has_mac)
			memcpy(&macs[i], f->mac, 6);
		else if (rte_eth_macaddr_get((uint16_t)pid, &macs[i]) != 0) {
			snprintf(err, errlen, "interface %s: cannot read the MAC of port %s",
				 f->name, cfg->ports[f->port].name);
			return -ENODEV;
		}
	}
	return 0;
}

static int
rtr_create(struct nfv_vnf *vnf, const struct nfv_config *cfg, const void *conf, char *err,
	   size_t errlen)
{
	const struct rtr_conf *c = conf;
	uint16_t ports[RTR_MAX_IF];
	struct rte_ether_addr macs[RTR_MAX_IF];
	struct rtr_state *st;
	struct rtr_tables *t;
	uint64_t t0;
	int rc;

	st = rte_zmalloc("rtr_state", sizeof(*st), RTE_CACHE_LINE_SIZE);
	if (st == NULL) {
		snprintf(err, errlen, "router %s: out of memory", vnf->name);
		return -ENOMEM;
	}
	vnf->priv = st;
	st->vnf = vnf;
	snprintf(st->name, sizeof(st->name), "%s", vnf->name);
	st->tx = nfv_ctl_tx;
	st->pool = nfv_pktmbuf_pool();
	rtr_state_init(st, c, rte_get_tsc_hz());
	rc = rtr_resolve_ports(cfg, c, ports, macs, err, errlen);
	if (rc != 0)
		return rc;
	t0 = nfv_now_ms();
	t = rtr_tables_build(st, c, ports, macs, err, errlen);
	if (t == NULL)
		return -ENOMEM;
	RTR_LOG(INFO, "%s: %u IPv4 and %u IPv6 routes loaded in %lu ms", st->name, t->n_routes4,
		t->n_routes6, (unsigned long)(nfv_now_ms() - t0));
	atomic_store_explicit(&st->tables, t, memory_order_release);
	st->announce = true;
	return 0;
}

static void
rtr_destroy(struct nfv_vnf *vnf)
{
	struct rtr_state *st = vnf->priv;

	if (st == NULL)
		return;
	rtr_tables_free(atomic_load(&st->tables));
	while (st->dyn != NULL) {
		struct rtr_dyn_route *d = st->dyn;

		st->dyn = d->next;
		free(d);
	}
	rte_free(st);
	vnf->priv = NULL;
}

/* Carry learned neighbours over to new tables (same interface name). */
static void
rtr_neigh_carry(struct rtr_tables *old, struct rtr_tables *nt)
{
	for (uint32_t i = 0; i < old->max_neigh && i <= old->neigh_hi; i++) {
		const struct rtr_neigh *n = &old->neigh[i];
		uint64_t w = atomic_load(&n->macw);
		int ni = -1, id;

		if (n->key.family == 0 || !(w & RTR_MAC_VALID) || n->state == RTR_NS_STATIC)
			continue;
		for (uint16_t k = 0; k < nt->n_if; k++)
			if (strcmp(nt->ifs[k].name, old->ifs[n->key.iface].name) == 0)
				ni = k;
		if (ni < 0)
			continue;
		id = rtr_neigh_get(nt, (uint16_t)ni, n->key.family, n->key.addr, true);
		if (id < 0 || nt->neigh[id].state == RTR_NS_STATIC)
			continue;
		atomic_store(&nt->neigh[id].macw, w);
		nt->neigh[id].state = n->state;
		nt->neigh[id].changed_ms = n->changed_ms;
		nt->neigh[id].next_ms = n->next_ms;
	}
}

static int
rtr_reconfigure(struct nfv_vnf *vnf, const struct nfv_config *cfg, const void *conf, char *err,
		size_t errlen)
{
	struct rtr_state *st = vnf->priv;
	const struct rtr_conf *c = conf;
	uint16_t ports[RTR_MAX_IF];
	struct rte_ether_addr macs[RTR_MAX_IF];
	struct rtr_tables *old = rtr_tables_get(st), *nt;
	int rc;

	rc = rtr_resolve_ports(cfg, c, ports, macs, err, errlen);
	if (rc != 0)
		return rc;
	nt = rtr_tables_build(st, c, ports, macs, err, errlen);
	if (nt == NULL)
		return -ENOMEM;
	rtr_neigh_carry(old, nt);
	rtr_state_init(st, c, rte_get_tsc_hz());
	atomic_store_explicit(&st->tables, nt, memory_order_release);
	rtr_sync();
	rtr_tables_free(old);
	st->announce = true;
	return 0;
}

/* ---------------- stats and commands ---------------- */

static void
rtr_stats(struct nfv_vnf *vnf, json_t *out)
{
	struct rtr_state *st = vnf->priv;
	struct rtr_tables *t = rtr_tables_get(st);
	json_t *cp = json_object(), *ifs = json_array();

	for (int i = 0; i < RTR_CP_MAX; i++)
		json_object_set_new(cp, rtr_cp_names[i], json_integer((json_int_t)st->cp[i]));
	json_object_set_new(out, "control", cp);
	json_object_set_new(out, "routes4", json_integer(t->n_routes4));
	json_object_set_new(out, "routes6", json_integer(t->n_routes6));
	json_object_set_new(out, "neighbours", json_integer(t->n_neigh));
	for (uint16_t i = 0; i < t->n_if; i++) {
		const struct rtr_if *f = &t->ifs[i];
		json_t *o = json_object();
		char mac[RTE_ETHER_ADDR_FMT_SIZE];

		rte_ether_format_addr(mac, sizeof(mac), &f->mac);
		json_object_set_new(o, "name", json_string(f->name));
		json_object_set_new(o, "mac", json_string(mac));
		json_object_set_new(o, "vlan", json_integer(f->vlan));
		json_object_set_new(o, "mtu", json_integer(f->mtu));
		for (uint16_t k = 0; k < f->n6; k++)
			if (f->dad_conflict[k])
				json_object_set_new(o, "dad_conflict", json_true());
		json_array_append_new(ifs, o);
	}
	json_object_set_new(out, "interfaces", ifs);
}

static const char *
rtr_arg(json_t *args, const char *key, char *buf, size_t size)
{
	json_t *v = json_object_get(args, key);

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	return NULL;
}

/* Route from command arguments: prefix=, via= (comma list), interface=
 * (or dev=), metric=, type= */
static int
rtr_route_args(struct rtr_state *st, json_t *args, bool need_target, struct rtr_route_conf *r,
	       char *ifname, char *err, size_t errlen)
{
	char b1[32], b2[32], tmp[512];
	const char *s, *why;

	memset(r, 0, sizeof(*r));
	r->iface = -1;
	ifname[0] = '\0';
	s = rtr_arg(args, "prefix", b1, sizeof(b1));
	if (s == NULL) {
		snprintf(err, errlen, "missing prefix=");
		return -EINVAL;
	}
	if (cfg_parse_prefix(s, false, &r->prefix, &why) != 0) {
		snprintf(err, errlen, "prefix %s: %s", s, why ? why : "malformed");
		return -EINVAL;
	}
	s = rtr_arg(args, "type", b1, sizeof(b1));
	if (s != NULL) {
		int k;

		for (k = 0; rtr_route_type_names[k] != NULL; k++)
			if (strcmp(s, rtr_route_type_names[k]) == 0)
				break;
		if (rtr_route_type_names[k] == NULL) {
			snprintf(err, errlen, "type %s: expected unicast, blackhole or reject", s);
			return -EINVAL;
		}
		r->type = (uint8_t)k;
	}
	s = rtr_arg(args, "metric", b2, sizeof(b2));
	if (s != NULL) {
		char *end;
		unsigned long v = strtoul(s, &end, 10);

		if (*s == '\0' || *end != '\0' || v > UINT32_MAX) {
			snprintf(err, errlen, "metric %s: expected 0..%u", s, UINT32_MAX);
			return -EINVAL;
		}
		r->metric = (uint32_t)v;
	}
	s = rtr_arg(args, "interface", b1, sizeof(b1));
	if (s == NULL)
		s = rtr_arg(args, "dev", b1, sizeof(b1));
	if (s != NULL) {
		r->iface = rtr_conf_iface_by_name(st->conf, s);
		if (r->iface < 0) {
			snprintf(err, errlen, "no interface named %s", s);
			return -EINVAL;
		}
		snprintf(ifname, NFV_NAME_MAX, "%s", s);
	}
	s = rtr_arg(args, "via", b1, sizeof(b1));
	if (s != NULL) {
		char *save = NULL, *tok;

		snprintf(tmp, sizeof(tmp), "%s", s);
		for (tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (r->n_via == RTR_MAX_PATHS) {
				snprintf(err, errlen, "at most %d next hops", RTR_MAX_PATHS);
				return -EINVAL;
			}
			if (cfg_parse_prefix(tok, true, &r->via[r->n_via], &why) != 0 ||
			    r->via[r->n_via].len !=
				    (r->via[r->n_via].family == AF_INET ? 32 : 128)) {
				snprintf(err, errlen, "via %s: not an address", tok);
				return -EINVAL;
			}
			r->n_via++;
		}
	}
	if (need_target) {
		why = rtr_route_check(st->conf, r);
		if (why != NULL) {
			snprintf(err, errlen, "%s", why);
			return -EINVAL;
		}
	}
	return 0;
}

static bool
rtr_dyn_same(const struct rtr_route_conf *a, const struct rtr_route_conf *b, bool any_via)
{
	if (a->prefix.family != b->prefix.family || a->prefix.len != b->prefix.len ||
	    memcmp(&a->prefix.v6, &b->prefix.v6, a->prefix.family == AF_INET ? 4 : 16) != 0)
		return false;
	return any_via || (a->n_via == b->n_via && a->type == b->type &&
			   memcmp(a->via, b->via, a->n_via * sizeof(a->via[0])) == 0);
}

static json_t *
rtr_neigh_json(struct rtr_state *st, struct rtr_tables *t)
{
	json_t *arr = json_array();
	uint64_t now = nfv_now_ms();

	(void)st;
	for (uint32_t i = 0; i < t->max_neigh && i <= t->neigh_hi; i++) {
		const struct rtr_neigh *n = &t->neigh[i];
		uint64_t w = atomic_load(&n->macw);
		struct cfg_prefix p = {.family = n->key.family == 4 ? AF_INET : AF_INET6,
				       .len = n->key.family == 4 ? 32 : 128};
		char b[64], mac[RTE_ETHER_ADDR_FMT_SIZE] = "";
		json_t *o;

		if (n->key.family == 0)
			continue;
		memcpy(n->key.family == 4 ? (void *)&p.v4 : (void *)&p.v6, n->key.addr,
		       n->key.family == 4 ? 4 : 16);
		if (w & RTR_MAC_VALID)
			rte_ether_format_addr(mac, sizeof(mac), (const struct rte_ether_addr *)&w);
		o = json_object();
		json_object_set_new(o, "address",
				    json_string(rtr_prefix_str(&p, false, b, sizeof(b))));
		json_object_set_new(o, "interface", json_string(t->ifs[n->key.iface].name));
		json_object_set_new(o, "mac", (w & RTR_MAC_VALID) ? json_string(mac) : json_null());
		json_object_set_new(o, "state", json_string(rtr_neigh_state_names[n->state]));
		json_object_set_new(o, "age_ms", json_integer((json_int_t)(now - n->changed_ms)));
		json_object_set_new(o, "requests", json_integer((json_int_t)n->req_tx));
		json_object_set_new(o, "replies", json_integer((json_int_t)n->rep_rx));
		json_object_set_new(o, "queued", json_integer((json_int_t)n->queued));
		json_object_set_new(o, "queue_drops", json_integer((json_int_t)n->q_drops));
		json_array_append_new(arr, o);
	}
	return arr;
}

static int
rtr_ctl(struct nfv_vnf *vnf, const char *cmd, json_t *args, json_t **result, char *err,
	size_t errlen)
{
	struct rtr_state *st = vnf->priv;
	struct rtr_tables *t = rtr_tables_get(st);
	struct rtr_route_conf r;
	char ifname[NFV_NAME_MAX], b[64];
	int rc;

	*result = NULL;
	if (strcmp(cmd, "route-add") == 0) {
		struct rtr_dyn_route *d;

		rc = rtr_route_args(st, args, true, &r, ifname, err, errlen);
		if (rc != 0)
			return rc;
		d = calloc(1, sizeof(*d));
		if (d == NULL)
			return -ENOMEM;
		rc = rtr_route_add(st, t, &r, err, errlen);
		rtr_tables_reclaim(t);
		if (rc != 0) {
			free(d);
			return rc;
		}
		d->r = r;
		snprintf(d->iface, sizeof(d->iface), "%s", ifname);
		d->next = st->dyn;
		st->dyn = d;
		*result =
			json_pack("{s:s}", "added", rtr_prefix_str(&r.prefix, true, b, sizeof(b)));
		return 0;
	}
	if (strcmp(cmd, "route-del") == 0) {
		rc = rtr_route_args(st, args, false, &r, ifname, err, errlen);
		if (rc != 0)
			return rc;
		rc = rtr_route_del(st, t, &r, err, errlen);
		if (rc != 0)
			return rc;
		for (struct rtr_dyn_route **pp = &st->dyn; *pp != NULL;) {
			if (rtr_dyn_same(&(*pp)->r, &r, r.n_via == 0)) {
				struct rtr_dyn_route *d = *pp;

				*pp = d->next;
				free(d);
			} else {
				pp = &(*pp)->next;
			}
		}
		*result = json_pack("{s:s}", "deleted",
				    rtr_prefix_str(&r.prefix, true, b, sizeof(b)));
		return 0;
	}
	if (strcmp(cmd, "route-show") == 0) {
		char lb[32];
		const char *fam = rtr_arg(args, "family", b, sizeof(b));
		const char *lim = rtr_arg(args, "limit", lb, sizeof(lb));
		int f = fam == NULL ? 0 : atoi(fam);

		*result = json_pack(
			"{s:o,s:I,s:I}", "routes",
			rtr_routes_json(t, f, lim ? (uint32_t)strtoul(lim, NULL, 10) : 10000),
			"count4", (json_int_t)t->n_routes4, "count6", (json_int_t)t->n_routes6);
		return 0;
	}
	if (strcmp(cmd, "neigh-show") == 0) {
		*result = json_pack("{s:o}", "neighbours", rtr_neigh_json(st, t));
		return 0;
	}
	if (strcmp(cmd, "route-get") == 0) {
		const char *s = rtr_arg(args, "address", b, sizeof(b));
		const char *why = NULL;
		struct cfg_prefix a;

		if (s == NULL || cfg_parse_prefix(s, true, &a, &why) != 0 ||
		    a.len != (a.family == AF_INET ? 32 : 128)) {
			snprintf(err, errlen, "route-get needs address=ADDR (%s)",
				 why != NULL ? why : "an address without prefix length");
			return -EINVAL;
		}
		*result = rtr_route_get_json(t, &a);
		return 0;
	}
	snprintf(err, errlen,
		 "router: unknown command %s (route-add, route-del, route-show, "
		 "route-get, neigh-show)",
		 cmd);
	return -ENOTSUP;
}

static struct vnf_class rtr_class = {
	.name = "router",
	.help = "IPv4/IPv6 router: interfaces, static routes, ECMP, ARP/ND, ICMP",
	.config_parse = rtr_config_parse,
	.config_free = rtr_config_free,
	.config_equal = rtr_config_equal,
	.create = rtr_create,
	.destroy = rtr_destroy,
	.process = rtr_process,
	.sets_out_port = 1,
	.no_meta = 1, /* reads m->port, not nfv_meta()->in_port */
	.reconfigure = rtr_reconfigure,
	.punt = rtr_punt,
	.tick = rtr_tick,
	.stats = rtr_stats,
	.ctl = rtr_ctl,
	.counter_names = rtr_counter_names,
	.n_counters = RTR_CTR_MAX,
	.drop_names = rtr_drop_names,
	.n_drops = RTR_DROP_MAX,
};

VNF_CLASS_REGISTER(rtr_class)
