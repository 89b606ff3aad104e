/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - VXLAN / Geneve encapsulation and decapsulation of single frames,
 * and ARP / ND for the local VTEP addresses (no engine state: unit tests
 * run these on crafted mbufs). The engine glue is tunnel_port.c.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "tunnel.h"

#define NFV_TUN_NAME(e, s) s,
const char *const nfv_tunnel_ctr_names[NFV_TUN_CTR_MAX] = {NFV_TUNNEL_CTRS(NFV_TUN_NAME)};
const char *const nfv_tunnel_drop_names[NFV_TUN_DROP_MAX] = {NFV_TUNNEL_DROPS(NFV_TUN_NAME)};

uint64_t nfv_tun_ctr[RTE_MAX_LCORE][NFV_TUN_SLOTS][NFV_TUN_ROW];

#define TUN_ETH 14
#define TUN_UDP 8
#define TUN_BASE 8		/* VXLAN header, Geneve base header */
#define TUN_ETH_BRIDGING 0x6558 /* Geneve protocol type: an Ethernet frame */
#define TUN_SPORT_BASE 0xc000	/* RFC 7348: source port in 49152-65535 */

static inline uint16_t
tun_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
tun_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
tun_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint32_t
tun_ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static inline void
tun_mac_from_word(uint8_t *mac, uint64_t w)
{
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(w >> (8 * i));
}

static inline uint64_t
tun_mac_word(const uint8_t *mac)
{
	uint64_t w = 0;

	for (int i = 0; i < 6; i++)
		w |= (uint64_t)mac[i] << (8 * i);
	return w;
}

void
nfv_tunnel_set_nh(struct nfv_tunnel *t, const uint8_t mac[6])
{
	atomic_store_explicit(&t->nh_mac, NFV_TUN_NH_VALID | tun_mac_word(mac),
			      memory_order_relaxed);
}

void
nfv_tunnel_init(struct nfv_tunnel *t, const struct nfv_port_conf *pc, uint16_t pid, uint16_t ul_pid,
		const uint8_t ul_mac[6], uint16_t slot, uint16_t ul_slot)
{
	uint8_t *h;

	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", pc->name);
	t->pid = pid;
	t->ul_pid = ul_pid;
	t->driver = (uint8_t)pc->driver;
	t->family = (uint8_t)pc->local.family;
	t->csum6 = t->family == AF_INET6 && !pc->udp_zero_csum6;
	t->dst_port = pc->dst_port;
	t->vni = pc->vni;
	t->slot = slot;
	t->ul_slot = ul_slot;
	t->max_frame = (pc->mtu ? pc->mtu : NFV_PORT_DEFAULT_MTU) + TUN_ETH;
	t->hdr_len = (uint16_t)NFV_TUNNEL_OVERHEAD(t->family);
	memcpy(t->ul_mac, ul_mac, 6);
	if (t->family == AF_INET) {
		memcpy(t->local, &pc->local.v4, 4);
		memcpy(t->remote, &pc->remote.v4, 4);
	} else {
		memcpy(t->local, &pc->local.v6, 16);
		memcpy(t->remote, &pc->remote.v6, 16);
	}
	/* the template: Ethernet (destination filled per packet), IP, UDP,
	 * VXLAN or Geneve */
	h = t->hdr;
	memcpy(h + 6, ul_mac, 6);
	if (t->family == AF_INET) {
		tun_put16(h + 12, RTE_ETHER_TYPE_IPV4);
		h += TUN_ETH;
		h[0] = 0x45;
		tun_put16(h + 6, RTE_IPV4_HDR_DF_FLAG); /* DF, id 0 (RFC 6864) */
		h[8] = 64;
		h[9] = IPPROTO_UDP;
		memcpy(h + 12, t->local, 4);
		memcpy(h + 16, t->remote, 4);
		h += 20;
	} else {
		tun_put16(h + 12, RTE_ETHER_TYPE_IPV6);
		h += TUN_ETH;
		h[0] = 0x60;
		h[6] = IPPROTO_UDP;
		h[7] = 64;
		memcpy(h + 8, t->local, 16);
		memcpy(h + 24, t->remote, 16);
		h += 40;
	}
	tun_put16(h + 2, t->dst_port);
	h += TUN_UDP;
	if (t->driver == NFV_PORT_VXLAN) {
		h[0] = 0x08; /* I: the VNI is valid */
	} else {
		tun_put16(h + 2, TUN_ETH_BRIDGING); /* version 0, no options, O = C = 0 */
	}
	h[4] = (uint8_t)(t->vni >> 16);
	h[5] = (uint8_t)(t->vni >> 8);
	h[6] = (uint8_t)t->vni;
	if (pc->has_next_hop_mac) {
		t->static_nh = true;
		nfv_tunnel_set_nh(t, pc->next_hop_mac);
	}
}

/* ---- encapsulation ---- */

static inline uint32_t
tun_mix(uint32_t a, uint32_t b, uint32_t c)
{
	uint32_t h = a * 0x9e3779b1u ^ ((b * 0x85ebca77u) << 13 | (b * 0x85ebca77u) >> 19) ^
		     c * 0xc2b2ae3du;

	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h;
}

/* The inner flow's hash: the device's RSS hash when it gave one, else the
 * inner addresses, protocol and ports (MACs for what is not IP). */
static inline uint32_t
tun_flow_hash(const struct rte_mbuf *m)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m), off = TUN_ETH, ports = 0;
	uint16_t et;

	if (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH)
		return m->hash.rss;
	if (len < TUN_ETH)
		return 0;
	et = tun_be16(d + 12);
	if (et == RTE_ETHER_TYPE_VLAN && len >= off + 4) {
		et = tun_be16(d + 16);
		off += 4;
	}
	if (et == RTE_ETHER_TYPE_IPV4 && len >= off + 20) {
		const uint8_t *ip = d + off;
		uint32_t ihl = (ip[0] & 0xfu) * 4;
		uint8_t proto = ip[9];

		if ((proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP) &&
		    !(tun_be16(ip + 6) & 0x3fff) && len >= off + ihl + 4)
			ports = tun_ld32(ip + ihl);
		return tun_mix(tun_ld32(ip + 12), tun_ld32(ip + 16), ports ^ proto);
	}
	if (et == RTE_ETHER_TYPE_IPV6 && len >= off + 40) {
		const uint8_t *ip = d + off;
		uint32_t s = 0, t = 0;

		for (int i = 0; i < 4; i++) {
			s ^= tun_ld32(ip + 8 + 4 * i);
			t ^= tun_ld32(ip + 24 + 4 * i);
		}
		if ((ip[6] == IPPROTO_TCP || ip[6] == IPPROTO_UDP || ip[6] == IPPROTO_SCTP) &&
		    len >= off + 44)
			ports = tun_ld32(ip + 40);
		return tun_mix(s, t, ports ^ ip[6]);
	}
	return tun_mix(tun_ld32(d), tun_ld32(d + 6), tun_ld32(d + 8) ^ et);
}

int
nfv_tunnel_encap(const struct nfv_tunnel *t, struct rte_mbuf *m)
{
	uint64_t nh = atomic_load_explicit(&t->nh_mac, memory_order_relaxed);
	uint32_t inner = rte_pktmbuf_pkt_len(m);
	uint32_t hash;
	uint8_t *o, *l4;

	if (unlikely(!(nh & NFV_TUN_NH_VALID)))
		return NFV_TUN_DROP_NO_NEIGH;
	if (unlikely(inner > t->max_frame)) {
		const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);

		/* a VLAN tag is not part of the MTU */
		if (inner > t->max_frame + 4 || rte_pktmbuf_data_len(m) < TUN_ETH ||
		    tun_be16(d + 12) != RTE_ETHER_TYPE_VLAN)
			return NFV_TUN_DROP_TOO_BIG;
	}
	if (unlikely(inner < TUN_ETH))
		return NFV_TUN_DROP_TRUNCATED;
	hash = tun_flow_hash(m);
	o = (uint8_t *)rte_pktmbuf_prepend(m, t->hdr_len);
	if (unlikely(o == NULL))
		return NFV_TUN_DROP_NO_HEADROOM;
	memcpy(o, t->hdr, t->hdr_len);
	tun_mac_from_word(o, nh);
	if (t->family == AF_INET) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(o + TUN_ETH);

		l4 = o + TUN_ETH + 20;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(inner + 20 + TUN_UDP + TUN_BASE));
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(o + TUN_ETH);

		l4 = o + TUN_ETH + 40;
		/* the flow label spreads flows too (RFC 6438) */
		ip6->vtc_flow = rte_cpu_to_be_32(6u << 28 | (hash & 0xfffff));
		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(inner + TUN_UDP + TUN_BASE));
	}
	tun_put16(l4, (uint16_t)(TUN_SPORT_BASE | (hash & 0x3fff)));
	tun_put16(l4 + 4, (uint16_t)(inner + TUN_UDP + TUN_BASE));
	if (t->csum6) {
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)l4;

		/* RFC 6935 / 8926: over IPv6 the checksum is computed (0xffff
		 * for a sum of zero) unless zero checksums are configured */
		udp->dgram_cksum = rte_ipv6_udptcp_cksum_mbuf(
			m, (const struct rte_ipv6_hdr *)(o + TUN_ETH), TUN_ETH + 40);
	}
	return NFV_TUN_OK;
}

/* ---- decapsulation ---- */

static inline bool
tun_addr_eq(const struct nfv_tunnel *t, const uint8_t *a, const uint8_t *mine)
{
	return t->family == AF_INET ? memcmp(a, mine, 4) == 0 : memcmp(a, mine, 16) == 0;
}

/* Any tunnel of u with local address a (family f)? */
static inline bool
tun_is_local(const struct nfv_tunnel_ul *u, int f, const uint8_t *a)
{
	for (uint16_t i = 0; i < u->n; i++)
		if (u->t[i]->family == f && tun_addr_eq(u->t[i], a, u->t[i]->local))
			return true;
	return false;
}

static inline bool
tun_is_remote(const struct nfv_tunnel_ul *u, int f, const uint8_t *a)
{
	for (uint16_t i = 0; i < u->n; i++)
		if (u->t[i]->family == f && tun_addr_eq(u->t[i], a, u->t[i]->remote))
			return true;
	return false;
}

/* ND for a local address or from a remote: NS/NA to us (ICMPv6 135/136) */
static int
tun_nd_kind(const struct nfv_tunnel_ul *u, const uint8_t *d, uint32_t len)
{
	const uint8_t *ip6 = d + TUN_ETH, *icmp = ip6 + 40;

	if (ip6[6] != IPPROTO_ICMPV6 || len < TUN_ETH + 40 + 24 || icmp[1] != 0)
		return NFV_TUN_PASS;
	if (icmp[0] == 135 && tun_is_local(u, AF_INET6, icmp + 8))
		return NFV_TUN_LOCAL;
	if (icmp[0] == 136 && tun_is_remote(u, AF_INET6, icmp + 8))
		return NFV_TUN_LOCAL;
	return NFV_TUN_PASS;
}

int
nfv_tunnel_decap(const struct nfv_tunnel_ul *u, struct rte_mbuf *m, struct nfv_tunnel **tunnel)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m), l4, ip_end;
	const uint8_t *ip, *src, *udp;
	struct nfv_tunnel *found = NULL;
	int family, hdr_bad = -1;
	bool port_ok = false;
	uint32_t inner = 0;
	uint16_t et, dport;

	*tunnel = NULL;
	if (unlikely(len < TUN_ETH))
		return NFV_TUN_PASS;
	et = tun_be16(d + 12);
	ip = d + TUN_ETH;
	if (et == RTE_ETHER_TYPE_IPV4) {
		uint32_t ihl, tot;

		if (len < TUN_ETH + 20 || !tun_is_local(u, AF_INET, ip + 16))
			return NFV_TUN_PASS;
		ihl = (ip[0] & 0xfu) * 4;
		if ((ip[0] >> 4) != 4 || ihl < 20)
			return NFV_TUN_DROP_BAD_IP;
		if (len < TUN_ETH + ihl)
			return NFV_TUN_DROP_TRUNCATED;
		if (rte_raw_cksum(ip, ihl) != 0xffff)
			return NFV_TUN_DROP_BAD_IP;
		tot = tun_be16(ip + 2);
		if (tot < ihl)
			return NFV_TUN_DROP_BAD_IP;
		if (TUN_ETH + tot > rte_pktmbuf_pkt_len(m))
			return NFV_TUN_DROP_TRUNCATED;
		if (tun_be16(ip + 6) & 0x3fff) /* MF or an offset */
			return NFV_TUN_DROP_FRAGMENT;
		if (ip[9] != IPPROTO_UDP)
			return NFV_TUN_DROP_NOT_UDP;
		family = AF_INET;
		src = ip + 12;
		l4 = TUN_ETH + ihl;
		ip_end = TUN_ETH + tot;
	} else if (et == RTE_ETHER_TYPE_IPV6) {
		if (len < TUN_ETH + 40)
			return NFV_TUN_PASS;
		if (!tun_is_local(u, AF_INET6, ip + 24))
			return tun_nd_kind(u, d, len); /* NS to a solicited-node group */
		if ((ip[0] >> 4) != 6)
			return NFV_TUN_DROP_BAD_IP;
		ip_end = TUN_ETH + 40 + tun_be16(ip + 4);
		if (ip_end > rte_pktmbuf_pkt_len(m))
			return NFV_TUN_DROP_TRUNCATED;
		if (ip[6] == IPPROTO_ICMPV6 && tun_nd_kind(u, d, len) == NFV_TUN_LOCAL)
			return NFV_TUN_LOCAL;
		if (ip[6] != IPPROTO_UDP) /* extension headers are not followed */
			return NFV_TUN_DROP_NOT_UDP;
		family = AF_INET6;
		src = ip + 8;
		l4 = TUN_ETH + 40;
	} else if (et == RTE_ETHER_TYPE_ARP) {
		const uint8_t *a = ip;

		/* Ethernet/IPv4 ARP naming a local VTEP or a remote */
		if (len < TUN_ETH + 28 || tun_be16(a) != 1 || tun_be16(a + 2) != 0x0800 ||
		    a[4] != 6 || a[5] != 4)
			return NFV_TUN_PASS;
		if (tun_is_local(u, AF_INET, a + 24) || tun_is_remote(u, AF_INET, a + 14))
			return NFV_TUN_LOCAL;
		return NFV_TUN_PASS;
	} else {
		return NFV_TUN_PASS;
	}
	/* UDP to a local VTEP address: one of its tunnels, or dropped */
	if (l4 + TUN_UDP + TUN_BASE > len || l4 + TUN_UDP + TUN_BASE > ip_end)
		return NFV_TUN_DROP_TRUNCATED;
	udp = d + l4;
	dport = tun_be16(udp + 2);
	if (tun_be16(udp + 4) < TUN_UDP + TUN_BASE || l4 + tun_be16(udp + 4) > ip_end)
		return NFV_TUN_DROP_TRUNCATED;
	const uint8_t *h = udp + TUN_UDP;
	uint32_t vni = tun_be32(h + 4) >> 8;

	for (uint16_t i = 0; i < u->n && found == NULL; i++) {
		struct nfv_tunnel *t = u->t[i];
		int bad = -1;
		uint32_t off = l4 + TUN_UDP + TUN_BASE;

		if (t->family != family || t->dst_port != dport ||
		    !tun_addr_eq(t, (family == AF_INET ? ip + 16 : ip + 24), t->local))
			continue;
		port_ok = true;
		if (t->driver == NFV_PORT_VXLAN) {
			if (!(h[0] & 0x08))
				bad = NFV_TUN_DROP_BAD_HEADER;
		} else {
			off += (h[0] & 0x3fu) * 4;
			if ((h[0] >> 6) != 0 || tun_be16(h + 2) != TUN_ETH_BRIDGING)
				bad = NFV_TUN_DROP_BAD_HEADER;
			else if (h[1] & 0x40) /* C: a critical option, none is known */
				bad = NFV_TUN_DROP_CRITICAL;
			else if (h[1] & 0x80) /* O: control, not data (RFC 8926 3.4) */
				bad = NFV_TUN_DROP_OAM;
		}
		if (bad >= 0) {
			hdr_bad = bad;
			continue;
		}
		if (vni == t->vni) {
			found = t;
			inner = off;
		} else if (hdr_bad < 0) {
			hdr_bad = NFV_TUN_DROP_UNKNOWN_VNI;
		}
	}
	if (found == NULL)
		return !port_ok ? NFV_TUN_DROP_BAD_PORT : hdr_bad;
	*tunnel = found;
	if (!tun_addr_eq(found, src, found->remote))
		return NFV_TUN_DROP_BAD_REMOTE;
	if (inner + TUN_ETH > ip_end)
		return NFV_TUN_DROP_TRUNCATED;
	if (family == AF_INET6 || tun_be16(udp + 6) != 0) {
		if (tun_be16(udp + 6) == 0) {
			if (found->csum6)
				return NFV_TUN_DROP_ZERO_CSUM;
		} else if (family == AF_INET6
				   ? rte_ipv6_udptcp_cksum_mbuf_verify(
					     m, (const struct rte_ipv6_hdr *)ip, l4) != 0
				   : rte_ipv4_udptcp_cksum_mbuf_verify(
					     m, (const struct rte_ipv4_hdr *)ip, l4) != 0) {
			return NFV_TUN_DROP_BAD_CSUM;
		}
	}
	/* the outer source is the next hop back: learn it (a static one stays) */
	if (!found->static_nh) {
		uint64_t w = NFV_TUN_NH_VALID | tun_mac_word(d + 6);

		if (atomic_load_explicit(&found->nh_mac, memory_order_relaxed) != w)
			atomic_store_explicit(&found->nh_mac, w, memory_order_relaxed);
	}
	/* the inner frame: outer headers off, link padding after it off */
	uint32_t keep = ip_end - inner;

	rte_pktmbuf_adj(m, (uint16_t)inner);
	if (rte_pktmbuf_pkt_len(m) > keep)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - keep));
	m->port = found->pid;
	m->ol_flags = 0;
	m->packet_type = 0;
	return NFV_TUN_DECAP;
}

/* ---- ARP / ND for the local VTEP addresses ---- */

static void
tun_learn(const struct nfv_tunnel_ul *u, int family, const uint8_t *addr, const uint8_t *mac,
	  unsigned int lcore)
{
	if (rte_is_zero_ether_addr((const struct rte_ether_addr *)mac) ||
	    rte_is_multicast_ether_addr((const struct rte_ether_addr *)mac))
		return;
	for (uint16_t i = 0; i < u->n; i++) {
		struct nfv_tunnel *t = u->t[i];
		uint64_t w = NFV_TUN_NH_VALID | tun_mac_word(mac);

		if (t->family != family || t->static_nh || !tun_addr_eq(t, addr, t->remote))
			continue;
		if (atomic_load_explicit(&t->nh_mac, memory_order_relaxed) != w) {
			atomic_store_explicit(&t->nh_mac, w, memory_order_relaxed);
			nfv_tun_count(lcore, t->slot, NFV_TUN_LEARNED, 1);
		}
	}
}

static const struct nfv_tunnel *
tun_local_tunnel(const struct nfv_tunnel_ul *u, int family, const uint8_t *a)
{
	for (uint16_t i = 0; i < u->n; i++)
		if (u->t[i]->family == family && tun_addr_eq(u->t[i], a, u->t[i]->local))
			return u->t[i];
	return NULL;
}

/* the source / target link-layer address option of an NS / NA */
static const uint8_t *
tun_nd_opt(const uint8_t *icmp, uint32_t icmp_len, uint8_t type)
{
	uint32_t off = 24;

	while (off + 8 <= icmp_len) {
		uint32_t olen = icmp[off + 1] * 8u;

		if (olen == 0)
			return NULL;
		if (icmp[off] == type && olen >= 8)
			return icmp + off + 2;
		off += olen;
	}
	return NULL;
}

bool
nfv_tunnel_local(const struct nfv_tunnel_ul *u, struct rte_mbuf *m, unsigned int lcore)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	uint16_t et = tun_be16(d + 12);
	const struct nfv_tunnel *t;

	if (et == RTE_ETHER_TYPE_ARP) {
		uint8_t *a = d + TUN_ETH;

		tun_learn(u, AF_INET, a + 14, a + 8, lcore);
		if (tun_be16(a + 6) != RTE_ARP_OP_REQUEST ||
		    (t = tun_local_tunnel(u, AF_INET, a + 24)) == NULL)
			return false;
		/* the reply, in place */
		tun_put16(a + 6, RTE_ARP_OP_REPLY);
		memcpy(a + 18, a + 8, 10); /* target = the asker (MAC and address) */
		memcpy(a + 8, t->ul_mac, 6);
		memcpy(a + 14, t->local, 4);
		memcpy(d, a + 18, 6);
		memcpy(d + 6, t->ul_mac, 6);
		nfv_tun_count(lcore, t->ul_slot, NFV_TUN_ARP_REPLIES, 1);
		return true;
	}
	if (et != RTE_ETHER_TYPE_IPV6 || len < TUN_ETH + 40 + 24)
		return false;
	uint8_t *ip6 = d + TUN_ETH, *icmp = ip6 + 40;
	uint32_t icmp_len = RTE_MIN((uint32_t)tun_be16(ip6 + 4), len - TUN_ETH - 40);
	static const uint8_t unspec[16];
	const uint8_t *ll;

	if (icmp[0] == 136) { /* NA: the remote says where it is */
		ll = tun_nd_opt(icmp, icmp_len, 2);
		tun_learn(u, AF_INET6, icmp + 8, ll ? ll : d + 6, lcore);
		return false;
	}
	if (icmp[0] != 135)
		return false;
	ll = tun_nd_opt(icmp, icmp_len, 1);
	if (ll != NULL)
		tun_learn(u, AF_INET6, ip6 + 8, ll, lcore);
	if ((t = tun_local_tunnel(u, AF_INET6, icmp + 8)) == NULL)
		return false;
	/* the advertisement, in place: 40 + 32 bytes of IPv6 + NA with the
	 * target link-layer address */
	bool dad = memcmp(ip6 + 8, unspec, 16) == 0;
	uint32_t want = TUN_ETH + 40 + 32;

	if (rte_pktmbuf_pkt_len(m) > want)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - want));
	else if (rte_pktmbuf_pkt_len(m) < want &&
		 rte_pktmbuf_append(m, (uint16_t)(want - rte_pktmbuf_pkt_len(m))) == NULL)
		return false;
	if (rte_pktmbuf_data_len(m) < want)
		return false;
	memcpy(d, d + 6, 6);
	memcpy(d + 6, t->ul_mac, 6);
	if (dad) { /* to all nodes */
		static const uint8_t all[16] = {0xff, 0x02, [15] = 1};

		memcpy(ip6 + 24, all, 16);
		d[0] = 0x33;
		d[1] = 0x33;
		d[2] = 0;
		d[3] = 0;
		d[4] = 0;
		d[5] = 1;
	} else {
		memcpy(ip6 + 24, ip6 + 8, 16);
	}
	memcpy(ip6 + 8, t->local, 16);
	ip6[0] = 0x60;
	ip6[1] = ip6[2] = ip6[3] = 0;
	tun_put16(ip6 + 4, 32);
	ip6[7] = 255;
	icmp[0] = 136;
	icmp[1] = 0;
	icmp[2] = icmp[3] = 0;
	icmp[4] = dad ? 0x20 : 0x60; /* S (not to DAD), O */
	icmp[5] = icmp[6] = icmp[7] = 0;
	icmp[24] = 2; /* target link-layer address */
	icmp[25] = 1;
	memcpy(icmp + 26, t->ul_mac, 6);
	uint16_t ck = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip6, icmp);

	memcpy(icmp + 2, &ck, 2); /* as DPDK computes it: the field's bytes */
	nfv_tun_count(lcore, t->ul_slot, NFV_TUN_ND_ADVERTS, 1);
	return true;
}

int
nfv_tunnel_solicit(const struct nfv_tunnel *t, struct rte_mbuf *m)
{
	uint8_t *d;

	if (t->family == AF_INET) {
		d = (uint8_t *)rte_pktmbuf_append(m, 60);
		if (d == NULL)
			return -ENOSPC;
		memset(d, 0, 60);
		memset(d, 0xff, 6);
		memcpy(d + 6, t->ul_mac, 6);
		tun_put16(d + 12, RTE_ETHER_TYPE_ARP);
		uint8_t *a = d + TUN_ETH;

		tun_put16(a, 1);
		tun_put16(a + 2, RTE_ETHER_TYPE_IPV4);
		a[4] = 6;
		a[5] = 4;
		tun_put16(a + 6, RTE_ARP_OP_REQUEST);
		memcpy(a + 8, t->ul_mac, 6);
		memcpy(a + 14, t->local, 4);
		memcpy(a + 24, t->remote, 4);
		return 0;
	}
	d = (uint8_t *)rte_pktmbuf_append(m, TUN_ETH + 40 + 32);
	if (d == NULL)
		return -ENOSPC;
	memset(d, 0, TUN_ETH + 40 + 32);
	uint8_t *ip6 = d + TUN_ETH, *icmp = ip6 + 40;
	/* to the remote's solicited-node group ff02::1:ffXX:XXXX */
	static const uint8_t sn[13] = {0xff, 0x02, [11] = 1, [12] = 0xff};

	d[0] = 0x33;
	d[1] = 0x33;
	d[2] = 0xff;
	memcpy(d + 3, t->remote + 13, 3);
	memcpy(d + 6, t->ul_mac, 6);
	tun_put16(d + 12, RTE_ETHER_TYPE_IPV6);
	ip6[0] = 0x60;
	tun_put16(ip6 + 4, 32);
	ip6[6] = IPPROTO_ICMPV6;
	ip6[7] = 255;
	memcpy(ip6 + 8, t->local, 16);
	memcpy(ip6 + 24, sn, 13);
	memcpy(ip6 + 37, t->remote + 13, 3);
	icmp[0] = 135;
	memcpy(icmp + 8, t->remote, 16);
	icmp[24] = 1; /* source link-layer address */
	icmp[25] = 1;
	memcpy(icmp + 26, t->ul_mac, 6);
	uint16_t ck = rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip6, icmp);

	memcpy(icmp + 2, &ck, 2);
	return 0;
}
