/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd firewall VNF - fast path: header sanity, conntrack lookup and state
 * update, rte_acl classification, pcap-filter / eBPF matchers, actions.
 * Lock-free; the rule set is read under RCU (the engine reports quiescent
 * states between bursts). New conntrack entries go in with rte_hash's
 * lock-free concurrent add.
 */
#define ALLOW_EXPERIMENTAL_API 1
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "nfv_csum.h"
#include "fw_rt.h"

#define FW_CHUNK 32

struct fw_pkt {
	uint8_t family; /* AF_INET / AF_INET6 */
	uint8_t proto;
	uint8_t flags;	/* TCP flags */
	uint8_t ct_ok;	/* key valid for conntrack */
	uint8_t dir_lo; /* the sender is the key's lo side */
	uint8_t related; /* ICMP error: ck is the key of the packet it quotes */
	uint8_t rel_proto;
	uint16_t l3_off;
	uint16_t l4_off;  /* IPv4: from the IP header */
	uint32_t l4_len;  /* IPv4: L4 bytes (to the IP total length) */
	uint8_t frag;	  /* a first fragment */
	uint8_t wscale;	  /* TCP SYN: its window scale option, 0xff none */
	uint16_t win;	  /* TCP: window */
	uint32_t seq;	  /* TCP: sequence number */
	uint32_t seg_end; /* TCP: seq + payload + SYN + FIN */
	uint8_t nat_pre;  /* NAT: destination translated before the rules */
	uint16_t nat_to_port;
	uint32_t nat_to;
	const uint8_t *rel_src, *rel_dst; /* quoted packet's addresses */
	struct fw_ct_key ck;
	union {
		struct fw_key4 k4;
		struct fw_key6 k6;
	};
	/* a first fragment's identification and addresses as received
	 * (network order), for fw_frag_note; IPv6: the fragment header's
	 * identification of a first or later fragment (after the keys: only
	 * fragments write them) */
	uint16_t fid;
	uint32_t fsrc, fdst;
	uint32_t fid6;
};

enum fw_parse_res {
	FW_P_IP = 0,
	FW_P_PASS = 1,	/* non-IP or an allowed non-first fragment */
	FW_P_LATER = 2, /* a later fragment: decided after the chunk's first ones */
};

static inline uint16_t
fw_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The fragment table slot of a datagram (fw_frag_ent). */
static inline struct fw_frag_ent *
fw_frag_slot(struct fw_frag_ent *tab, uint32_t src, uint32_t dst, uint16_t id, uint8_t proto)
{
	uint32_t h = src * 0x9e3779b1u ^ dst * 0x85ebca6bu ^ ((uint32_t)id << 8 | proto);

	RTE_BUILD_BUG_ON(FW_FRAG_SLOTS != 256);
	return &tab[(h * 0xc2b2ae35u) >> 24];
}

/* A later fragment of an IPv4 datagram at ip: if its first fragment was
 * let through, it follows, with the addresses the first one left with
 * (header checksum recomputed when they changed). */
static inline bool
fw_frag_follow(struct fw_frag_ent *tab, uint8_t *ip, uint64_t now)
{
	uint32_t s, d;
	uint16_t id;
	struct fw_frag_ent *e;

	memcpy(&s, ip + 12, 4);
	memcpy(&d, ip + 16, 4);
	memcpy(&id, ip + 4, 2);
	e = fw_frag_slot(tab, s, d, id, ip[9]);
	if (e->expire <= now || e->src != s || e->dst != d || e->id != id || e->proto != ip[9])
		return false;
	if (e->nsrc != s || e->ndst != d) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;

		h->src_addr = e->nsrc;
		h->dst_addr = e->ndst;
		h->hdr_checksum = 0;
		h->hdr_checksum = rte_ipv4_cksum(h);
	}
	return true;
}

static inline struct fw_frag6_ent *
fw_frag6_slot(struct fw_frag6_ent *tab, const uint8_t *src, const uint8_t *dst, uint32_t id)
{
	uint32_t a, b, h;

	memcpy(&a, src + 12, 4);
	memcpy(&b, dst + 12, 4);
	h = a * 0x9e3779b1u ^ b * 0x85ebca6bu ^ id;
	return &tab[(h * 0xc2b2ae35u) >> 24];
}

/* A later IPv6 fragment (identification id) of the datagram at ip: if its
 * first fragment was let through, it follows. */
static inline bool
fw_frag6_follow(struct fw_frag6_ent *tab, const uint8_t *ip, uint32_t id, uint64_t now)
{
	const struct fw_frag6_ent *e = fw_frag6_slot(tab, ip + 8, ip + 24, id);

	return e->expire > now && e->id == id && memcmp(e->src, ip + 8, 16) == 0 &&
	       memcmp(e->dst, ip + 24, 16) == 0;
}

/* First IPv6 fragment p of pkt m was let through: its later ones follow. */
static inline void
fw_frag6_note(struct fw_frag6_ent *tab, const struct rte_mbuf *m, const struct fw_pkt *p,
	      uint64_t now)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, p->l3_off);
	struct fw_frag6_ent *e = fw_frag6_slot(tab, ip + 8, ip + 24, p->fid6);

	memcpy(e->src, ip + 8, 16);
	memcpy(e->dst, ip + 24, 16);
	e->id = p->fid6;
	e->expire = now + FW_FRAG_TTL_MS * rte_get_tsc_hz() / 1000;
}

/* First fragment p of pkt m was let through: its later fragments follow. */
static inline void
fw_frag_note(struct fw_frag_ent *tab, const struct rte_mbuf *m, const struct fw_pkt *p,
	     uint64_t now)
{
	const struct rte_ipv4_hdr *h =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, p->l3_off);
	struct fw_frag_ent *e = fw_frag_slot(tab, p->fsrc, p->fdst, p->fid, p->proto);

	e->src = p->fsrc;
	e->dst = p->fdst;
	e->id = p->fid;
	e->proto = p->proto;
	e->nsrc = h->src_addr;
	e->ndst = h->dst_addr;
	e->expire = now + FW_FRAG_TTL_MS * rte_get_tsc_hz() / 1000;
}

/* Allowed TCP flag combinations (PSH, ECE, CWR ignored), as in Linux
 * conntrack's tcp_valid_flags. */
static inline bool
fw_tcp_flags_ok(uint8_t f)
{
	f &= ~(FW_TCP_PSH | FW_TCP_ECE | FW_TCP_CWR);
	switch (f) {
	case FW_TCP_SYN:
	case FW_TCP_SYN | FW_TCP_ACK:
	case FW_TCP_RST:
	case FW_TCP_RST | FW_TCP_ACK:
	case FW_TCP_FIN | FW_TCP_ACK:
	case FW_TCP_FIN | FW_TCP_ACK | FW_TCP_URG:
	case FW_TCP_ACK:
	case FW_TCP_ACK | FW_TCP_URG:
		return true;
	default:
		return false;
	}
}

/* The window scale option of a SYN (RFC 7323 2.2, at most 14), or 0xff */
static __rte_noinline uint8_t
fw_tcp_wscale(const uint8_t *th, uint32_t doff)
{
	for (uint32_t i = 20; i < doff;) {
		if (th[i] == 0) /* end of options */
			break;
		if (th[i] == 1) { /* no-op */
			i++;
			continue;
		}
		if (i + 1 >= doff || th[i + 1] < 2 || i + th[i + 1] > doff)
			break;
		if (th[i] == 3 && th[i + 1] == 3)
			return th[i + 2] > 14 ? 14 : th[i + 2];
		i += th[i + 1];
	}
	return 0xff;
}

static inline bool
fw_icmp_is_error(uint8_t proto, uint8_t type)
{
	if (proto == IPPROTO_ICMP) /* unreachable, time exceeded, parameter problem */
		return type == 3 || type == 11 || type == 12;
	return type >= 1 && type <= 4; /* ICMPv6 errors incl. packet too big */
}

/* ICMP queries and their replies, tracked (and translated) by their
 * identifier as Linux conntrack does: echo, timestamp, information and
 * address mask (RFC 5508 REQ-1: queries, not only echo); ICMPv6 echo and
 * node information (RFC 4620) */
static inline bool
fw_icmp_is_query(uint8_t proto, uint8_t type)
{
	if (proto == IPPROTO_ICMP)
		return type == 0 || type == 8 || (type >= 13 && type <= 18);
	return type == 128 || type == 129 || type == 139 || type == 140;
}

/* IPv6 extension headers walked before the upper-layer header of a quoted
 * packet, the same as fw_parse's walk: Hop-by-Hop, Routing, Fragment,
 * Destination Options, AH. */
static inline bool
fw_ip6_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51;
}

/* The extension headers of a quoted IPv6 packet q (len >= 40 bytes, its
 * fixed header included) whose fixed header's next header is *nh: at most
 * 8, each within the quote, no recursion (as Linux conntrack's
 * ipv6_skip_exthdr). On return *nh is the upper-layer protocol and *off
 * its offset in q. Returns 0; 1 for a non-first fragment (offset != 0:
 * what follows its fragment header is the middle of the datagram, *nh is
 * the fragment header's next header); -1 when the chain cannot be read
 * (cut short by the quote, more than 8 headers). Only ICMPv6 errors whose
 * quote has extension headers come here. */
static __rte_noinline int
fw_quoted6_skip(const uint8_t *q, uint32_t len, uint8_t *nh, uint32_t *off)
{
	uint32_t o = 40, hl;
	uint8_t n = *nh;

	for (int i = 0; i < 8 && fw_ip6_ext(n); i++) {
		if (len - o < 8)
			return -1;
		if (n == 44) {
			if (fw_be16(q + o + 2) & 0xfff8) {
				*nh = q[o];
				*off = len;
				return 1;
			}
			hl = 8;
		} else if (n == 51)
			hl = (q[o + 1] + 2u) * 4;
		else
			hl = (q[o + 1] + 1u) * 8;
		if (hl > len - o)
			return -1;
		n = q[o];
		o += hl;
	}
	if (fw_ip6_ext(n))
		return -1;
	*nh = n;
	*off = o;
	return 0;
}

/* An ICMP error quotes the packet that caused it (RFC 792 / RFC 4443): its
 * conntrack key, when it can be read, makes the error "related" to that
 * connection. The key is direction-free, so the quoted packet's key is the
 * connection's. q/len: the quoted IP header and what follows. A quoted
 * IPv6 packet's extension headers are walked to its upper-layer header
 * (fw_quoted6_skip). A quoted non-first fragment (IPv4 offset or IPv6
 * fragment header offset != 0) has no ports: it can be related only when
 * its protocol is tracked by addresses alone (fw_parse_l4's default).
 * Out of line: ordinary packets never come here, and fw_parse_l4 keeps
 * its size. */
static __rte_noinline void
fw_parse_quoted(struct fw_pkt *p, const uint8_t *q, uint32_t len)
{
	const uint8_t *l4;
	uint32_t hl;
	uint8_t proto;
	bool later;

	if (p->proto == IPPROTO_ICMP) {
		if (len < 20 || (q[0] >> 4) != 4 || (q[0] & 0xf) < 5)
			return;
		hl = (q[0] & 0xf) * 4u;
		proto = q[9];
		later = (fw_be16(q + 6) & 0x1fff) != 0;
		p->rel_src = q + 12;
		p->rel_dst = q + 16;
	} else {
		if (len < 40 || (q[0] >> 4) != 6)
			return;
		hl = 40;
		proto = q[6];
		later = false;
		p->rel_src = q + 8;
		p->rel_dst = q + 24;
		if (unlikely(fw_ip6_ext(proto))) {
			int r = fw_quoted6_skip(q, len, &proto, &hl);

			if (r < 0)
				return;
			later = r > 0;
		}
	}
	if (unlikely(later)) {
		switch (proto) {
		case IPPROTO_TCP:
		case IPPROTO_UDP:
		case IPPROTO_SCTP:
		case IPPROTO_ICMP:
		case IPPROTO_ICMPV6:
			return; /* its connection's key needs the ports */
		default:
			goto related;
		}
	}
	if (len < hl + 8)
		return;
	l4 = q + hl;
	switch (proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		p->ck.port_lo = fw_be16(l4);
		p->ck.port_hi = fw_be16(l4 + 2);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (!fw_icmp_is_query(proto, l4[0]))
			return;
		p->ck.port_lo = p->ck.port_hi = fw_be16(l4 + 4);
		break;
	default:
		break;
	}
related:
	p->related = 1;
	p->ct_ok = 1;
	p->rel_proto = proto;
}

/* An ICMP error goes to the sender of the packet it quotes: one sent to
 * another address (dst, alen bytes) is related to no connection (as in
 * Linux conntrack); the rules take it like any ICMP packet. */
static inline void
fw_related_check(struct fw_pkt *p, const uint8_t *dst, size_t alen)
{
	if (memcmp(dst, p->rel_src, alen) != 0) {
		p->related = 0;
		p->ct_ok = 0;
		p->ck.port_lo = p->ck.port_hi = 0;
	}
}

/* L4 part common to v4 and v6. l4/len: L4 header and bytes available.
 * Returns 0 or -(drop reason + 1). */
static inline int
fw_parse_l4(struct fw_pkt *p, const uint8_t *l4, uint32_t len, uint16_t *sport, uint16_t *dport)
{
	uint16_t id;

	*sport = *dport = 0;
	switch (p->proto) {
	case IPPROTO_TCP:
		if (len < 20 || (uint32_t)(l4[12] >> 4) * 4 < 20 ||
		    (uint32_t)(l4[12] >> 4) * 4 > len)
			return -(FW_DROP_TRUNC_L4 + 1);
		p->flags = l4[13];
		if (!fw_tcp_flags_ok(p->flags))
			return -(FW_DROP_BAD_TCP_FLAGS + 1);
		p->seq = (uint32_t)fw_be16(l4 + 4) << 16 | fw_be16(l4 + 6);
		p->win = fw_be16(l4 + 14);
		p->seg_end = p->seq + (len - (uint32_t)(l4[12] >> 4) * 4) +
			     ((p->flags & FW_TCP_SYN) != 0) + (p->flags & FW_TCP_FIN);
		if (unlikely(p->flags & FW_TCP_SYN))
			p->wscale = fw_tcp_wscale(l4, (uint32_t)(l4[12] >> 4) * 4);
		/* fall through */
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		if (len < (p->proto == IPPROTO_SCTP ? 4u : 8u))
			return -(FW_DROP_TRUNC_L4 + 1);
		*sport = fw_be16(l4);
		*dport = fw_be16(l4 + 2);
		p->ck.port_lo = *sport;
		p->ck.port_hi = *dport;
		p->ct_ok = 1;
		return 0;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (len < 8)
			return -(FW_DROP_TRUNC_L4 + 1);
		*sport = l4[0]; /* type */
		*dport = l4[1]; /* code */
		if (fw_icmp_is_error(p->proto, l4[0])) {
			fw_parse_quoted(p, l4 + 8, len - 8);
			return 0;
		}
		/* queries and their replies are tracked by identifier */
		if (fw_icmp_is_query(p->proto, l4[0])) {
			id = fw_be16(l4 + 4);
			p->ck.port_lo = p->ck.port_hi = id;
			p->ct_ok = 1;
		}
		return 0;
	default:
		p->ct_ok = 1; /* other protocols: tracked by address pair */
		return 0;
	}
}

static inline int
fw_addr_cmp(const uint8_t *a, const uint8_t *b, unsigned int alen)
{
	uint32_t x, y;

	if (alen != 4)
		return memcmp(a, b, alen);
	memcpy(&x, a, 4);
	memcpy(&y, b, 4);
	x = rte_be_to_cpu_32(x);
	y = rte_be_to_cpu_32(y);
	return x < y ? -1 : x > y;
}

static inline void
fw_ct_normalize(struct fw_pkt *p, const uint8_t *src, const uint8_t *dst, unsigned int alen)
{
	int c = fw_addr_cmp(src, dst, alen);
	uint16_t sp = p->ck.port_lo, dp = p->ck.port_hi;

	p->ck.family = p->family;
	p->ck.proto = p->related ? p->rel_proto : p->proto;
	p->ck.pad = 0;
	if (alen == 4) {
		/* the key is hashed whole: zero the unused address bytes */
		memset(p->ck.addr_lo + 4, 0, 12);
		memset(p->ck.addr_hi + 4, 0, 12);
	}
	if (c < 0 || (c == 0 && sp <= dp)) {
		p->dir_lo = 1;
		memcpy(p->ck.addr_lo, src, alen);
		memcpy(p->ck.addr_hi, dst, alen);
	} else {
		p->dir_lo = 0;
		memcpy(p->ck.addr_lo, dst, alen);
		memcpy(p->ck.addr_hi, src, alen);
		p->ck.port_lo = dp;
		p->ck.port_hi = sp;
	}
}

static inline int
fw_parse(struct rte_mbuf *m, struct fw_pkt *p, bool *frag)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m), off = 14, l3len;
	uint16_t et, vlan = 0, sport, dport;
	struct nfv_mbuf_meta *meta = nfv_meta(m);
	int ret;

	*frag = false;
	if (len < 14)
		return -(FW_DROP_BAD_L3 + 1);
	et = fw_be16(d + 12);
	if (et == RTE_ETHER_TYPE_VLAN || et == RTE_ETHER_TYPE_QINQ) {
		if (len < 18)
			return -(FW_DROP_BAD_L3 + 1);
		vlan = fw_be16(d + 14) & 0xfff;
		et = fw_be16(d + 16);
		off = 18;
		/* a second tag: the rules see one VLAN and the IP header
		 * behind it; what a stack of tags carries would cross
		 * unfiltered as "not IP", so it does not cross */
		if (et == RTE_ETHER_TYPE_VLAN || et == RTE_ETHER_TYPE_QINQ)
			return -(FW_DROP_STACKED_VLAN + 1);
	}
	p->ck.port_lo = p->ck.port_hi = 0;
	p->ct_ok = 0;
	p->related = 0;
	p->frag = 0;
	p->nat_pre = 0;
	p->flags = 0;
	p->l3_off = off;
	if (et == RTE_ETHER_TYPE_IPV4) {
		const uint8_t *ip = d + off;
		uint32_t ihl, tot;
		uint16_t fo;

		if (len < off + 20 || (ip[0] >> 4) != 4)
			return -(FW_DROP_BAD_L3 + 1);
		ihl = (ip[0] & 0xf) * 4u;
		tot = fw_be16(ip + 2);
		if (ihl < 20 || tot < ihl || off + tot > len)
			return -(FW_DROP_BAD_L3 + 1);
		/* a corrupt header is no packet to judge (Linux drops it
		 * before netfilter sees it, RFC 1812 5.2.2); a NIC that
		 * checked it says so in the mbuf */
		if (unlikely((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) !=
			     RTE_MBUF_F_RX_IP_CKSUM_GOOD) &&
		    unlikely((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) ==
				     RTE_MBUF_F_RX_IP_CKSUM_BAD ||
			     !nfv_ip4_hdr_csum_ok(ip, ihl)))
			return -(FW_DROP_BAD_CHECKSUM + 1);
		p->family = AF_INET;
		p->proto = ip[9];
		fo = fw_be16(ip + 6);
		if (fo & 0x1fff) {
			*frag = true;
			return FW_P_LATER; /* fw_frag_later */
		}
		*frag = (fo & 0x2000) != 0;
		p->frag = *frag;
		if (p->frag) {
			memcpy(&p->fsrc, ip + 12, 4);
			memcpy(&p->fdst, ip + 16, 4);
			memcpy(&p->fid, ip + 4, 2);
		}
		p->nat_pre = 0;
		p->l4_off = (uint16_t)ihl;
		p->l4_len = tot - ihl;
		ret = fw_parse_l4(p, ip + ihl, tot - ihl, &sport, &dport);
		if (ret < 0)
			return ret;
		if (p->related)
			fw_related_check(p, ip + 16, 4);
		p->k4.proto = p->proto;
		p->k4.tcp_flags = rte_cpu_to_be_16(p->flags);
		p->k4.vlan = rte_cpu_to_be_16(vlan);
		memcpy(&p->k4.src, ip + 12, 4);
		memcpy(&p->k4.dst, ip + 16, 4);
		p->k4.sport = rte_cpu_to_be_16(sport);
		p->k4.dport = rte_cpu_to_be_16(dport);
		p->k4.in_port = rte_cpu_to_be_16(meta->in_port);
		p->k4.out_port = rte_cpu_to_be_16(meta->out_port);
		if (p->related)
			fw_ct_normalize(p, p->rel_src, p->rel_dst, 4);
		else
			fw_ct_normalize(p, ip + 12, ip + 16, 4);
		return FW_P_IP;
	}
	if (et == RTE_ETHER_TYPE_IPV6) {
		const uint8_t *ip = d + off, *h;
		uint8_t nh;
		int i;

		if (len < off + 40 || (ip[0] >> 4) != 6)
			return -(FW_DROP_BAD_L3 + 1);
		l3len = 40u + fw_be16(ip + 4);
		if (off + l3len > len)
			return -(FW_DROP_BAD_L3 + 1);
		p->family = AF_INET6;
		nh = ip[6];
		h = ip + 40;
		for (i = 0; i < 8; i++) {
			uint32_t hl, left = (uint32_t)(ip + l3len - h);

			if (nh != 0 && nh != 43 && nh != 60 && nh != 44 && nh != 51)
				break;
			if (left < 8)
				return -(FW_DROP_TRUNC_L4 + 1);
			if (nh == 44) {
				uint16_t fo = fw_be16(h + 2);

				memcpy(&p->fid6, h + 4, 4);
				if (fo & 0xfff8) {
					*frag = true;
					p->proto = h[0];
					return FW_P_LATER; /* fw_frag_later */
				}
				*frag = (fo & 1) != 0;
				p->frag = *frag;
				hl = 8;
			} else if (nh == 51)
				hl = (h[1] + 2u) * 4;
			else
				hl = (h[1] + 1u) * 8;
			if (hl > left)
				return -(FW_DROP_TRUNC_L4 + 1);
			nh = h[0];
			h += hl;
		}
		if (i == 8)
			return -(FW_DROP_BAD_L3 + 1);
		p->proto = nh;
		ret = fw_parse_l4(p, h, (uint32_t)(ip + l3len - h), &sport, &dport);
		if (ret < 0)
			return ret;
		if (p->related)
			fw_related_check(p, ip + 24, 16);
		p->k6.proto = p->proto;
		p->k6.tcp_flags = rte_cpu_to_be_16(p->flags);
		p->k6.vlan = rte_cpu_to_be_16(vlan);
		memcpy(p->k6.src, ip + 8, 16);
		memcpy(p->k6.dst, ip + 24, 16);
		p->k6.sport = rte_cpu_to_be_16(sport);
		p->k6.dport = rte_cpu_to_be_16(dport);
		p->k6.in_port = rte_cpu_to_be_16(meta->in_port);
		p->k6.out_port = rte_cpu_to_be_16(meta->out_port);
		if (p->related)
			fw_ct_normalize(p, p->rel_src, p->rel_dst, 16);
		else
			fw_ct_normalize(p, ip + 8, ip + 24, 16);
		return FW_P_IP;
	}
	return FW_P_PASS;
}

/* Is TCP packet p (from dir) invalid for connection e? A RST whose
 * sequence number is outside the window around what dir has sent (RFC 5961
 * 3.2: a blind reset must not close the connection; the receiver's window,
 * scaled, at least 64 KiB either side, as the firewall may have missed
 * segments), or a SYN from the responder of an established connection
 * (Linux conntrack: invalid in the reply direction). Not checked before the
 * direction was seen (a connection picked up mid-stream, a SYN's answer). */
static inline bool
fw_ct_tcp_invalid(const struct fw_ct_entry *e, const struct fw_pkt *p, unsigned int dir)
{
	if (likely(!(p->flags & (FW_TCP_RST | FW_TCP_SYN))))
		return false;
	if (p->flags & FW_TCP_RST) {
		uint32_t w = 65535;
		int32_t d;

		if (!(e->td_seen & (1u << dir)))
			return false;
		if (e->td_seen & (2u >> dir)) {
			uint8_t sc = e->td_wscale[dir] != 0xff && e->td_wscale[dir ^ 1] != 0xff
					     ? e->td_wscale[dir ^ 1]
					     : 0;

			w = RTE_MAX(w, (uint32_t)e->td_win[dir ^ 1] << sc);
		}
		d = (int32_t)(p->seq - e->td_end[dir]);
		return d > (int32_t)w || d < -(int32_t)w;
	}
	return dir == 1 && !(p->flags & FW_TCP_ACK) &&
	       (e->state == FW_CT_ESTABLISHED || e->state == FW_CT_CLOSING);
}

/* What direction dir of TCP connection e has sent, from packet p */
static inline void
fw_ct_track_seq(struct fw_ct_entry *e, const struct fw_pkt *p, unsigned int dir)
{
	if (!(e->td_seen & (1u << dir)) || (int32_t)(p->seg_end - e->td_end[dir]) > 0)
		e->td_end[dir] = p->seg_end;
	e->td_win[dir] = p->win;
	if (p->flags & FW_TCP_SYN)
		e->td_wscale[dir] = p->wscale;
	else if (!(e->td_seen & (1u << dir)))
		e->td_wscale[dir] = 0xff;
	e->td_seen |= (uint8_t)(1u << dir);
}

/* Advance a tracked connection with packet p; dir 0 = from the initiator. */
static inline void
fw_ct_update(struct fw_ct_entry *e, const struct fw_pkt *p, unsigned int dir, uint64_t now)
{
	uint8_t f = p->flags, st = e->state;

	if (p->proto == IPPROTO_TCP) {
		fw_ct_track_seq(e, p, dir);
		if (f & FW_TCP_RST)
			st = FW_CT_CLOSED;
		else
			switch (st) {
			case FW_CT_SYN_SENT:
				if (dir == 1 &&
				    (f & (FW_TCP_SYN | FW_TCP_ACK)) == (FW_TCP_SYN | FW_TCP_ACK))
					st = FW_CT_SYN_RECV;
				break;
			case FW_CT_SYN_RECV:
				if (dir == 0 && (f & (FW_TCP_SYN | FW_TCP_ACK)) == FW_TCP_ACK)
					st = FW_CT_ESTABLISHED;
				break;
			case FW_CT_ESTABLISHED:
			case FW_CT_CLOSING:
				if (f & FW_TCP_FIN) {
					e->fin |= 1u << dir;
					st = e->fin == 3 ? FW_CT_TIME_WAIT : FW_CT_CLOSING;
				}
				break;
			case FW_CT_TIME_WAIT:
			case FW_CT_CLOSED:
				if (dir == 0 && (f & (FW_TCP_SYN | FW_TCP_ACK)) == FW_TCP_SYN) {
					st = FW_CT_SYN_SENT;
					e->fin = 0;
					/* a new connection: both sides anew */
					e->td_seen = 0;
					fw_ct_track_seq(e, p, 0);
				}
				break;
			default:
				break;
			}
	} else if (st == FW_CT_UDP_NEW && dir == 1)
		st = FW_CT_UDP_STREAM;
	e->state = st;
	e->pkts[dir]++;
	e->last_tsc = now;
}

static inline uint8_t
fw_ct_initial_state(const struct fw_pkt *p)
{
	if (p->proto == IPPROTO_TCP)
		return (p->flags & (FW_TCP_SYN | FW_TCP_ACK)) == FW_TCP_SYN ? FW_CT_SYN_SENT
									    : FW_CT_ESTABLISHED;
	if (p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6)
		return FW_CT_ICMP;
	return FW_CT_UDP_NEW;
}

static inline bool
fw_ct_live(const struct fw_ct_entry *e, const struct fw_ruleset *rs, uint64_t now)
{
	/* signed: another worker may have stamped it with a later TSC */
	return e->in_use == FW_SLOT_LIVE &&
	       (int64_t)(now - e->last_tsc) <= (int64_t)rs->timeout_tsc[fw_state_timeout[e->state]];
}

/* Returns 0, or -ENOSPC when the table is full. */
static inline int
fw_ct_insert(struct fw_ct *ct, const struct fw_ruleset *rs, const struct fw_pkt *p, uint16_t rule,
	     uint64_t now)
{
	struct fw_ct_entry *e;
	int32_t pos;

	if (__atomic_load_n(&ct->count, __ATOMIC_RELAXED) >= ct->max)
		return -ENOSPC;
	pos = rte_hash_add_key(ct->h, &p->ck);
	if (pos < 0)
		return -ENOSPC;
	e = &ct->entries[pos];
	if (e->in_use == FW_SLOT_LIVE && fw_ct_live(e, rs, now))
		return 0; /* another worker was first */
	if (e->in_use != FW_SLOT_FREE && (e->in_use != FW_SLOT_LIVE || e->nat || e->alias))
		return 0; /* a translated connection's, not yet swept: pass untracked */
	e->key = p->ck;
	e->state = fw_ct_initial_state(p);
	e->init_lo = p->dir_lo;
	e->fin = 0;
	e->td_seen = 0;
	if (p->proto == IPPROTO_TCP)
		fw_ct_track_seq(e, p, 0);
	e->rule = rule;
	e->pkts[0] = 1;
	e->pkts[1] = 0;
	e->last_tsc = now;
	e->nat = 0;
	e->alias = 0;
	e->map = FW_NAT_NONE;
	if (!e->in_use) {
		__atomic_fetch_add(&ct->count, 1, __ATOMIC_RELAXED);
		__atomic_store_n(&e->in_use, 1, __ATOMIC_RELEASE);
	}
	return 0;
}

#include "fw_nat_dp.h"

/* The reply tuple of a connection whose first packet t becomes (src2,
 * sport2) -> (dst2, dport2) once translated. ICMP echo: one identifier. */
static inline struct fw_nat_tuple
fw_nat_reply_of(uint8_t proto, uint32_t src2, uint16_t sport2, uint32_t dst2, uint16_t dport2)
{
	struct fw_nat_tuple r = {.src = dst2, .dst = src2, .sport = dport2, .dport = sport2};

	if (proto == IPPROTO_ICMP)
		r.sport = r.dport = sport2 != dport2 ? sport2 : dport2;
	return r;
}

static inline bool
fw_nat_l4_ok(const struct fw_pkt *p, const uint8_t *ip)
{
	if (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP)
		return true;
	return p->proto == IPPROTO_ICMP && fw_icmp_is_query(IPPROTO_ICMP, ip[p->l4_off]);
}

/* A non-first IPv4 fragment that may belong to a translated flow: from or
 * to an external address, or from an inside source a snat or 1:1 entry
 * names. Dropped when its first fragment was not seen (fw_frag_follow):
 * never sent on untranslated (docs/nat.md). */
static inline bool
fw_nat_frag_relevant(const struct fw_nat_rt *n, const uint8_t *ip)
{
	uint32_t s, d;

	memcpy(&s, ip + 12, 4);
	memcpy(&d, ip + 16, 4);
	if (fw_nat_is_ext(n, s) || fw_nat_is_ext(n, d))
		return true;
	for (uint16_t i = 0; i < n->n_snat; i++)
		for (uint16_t k = 0; k < n->snat[i].n_from; k++)
			if ((rte_be_to_cpu_32(s) & n->snat[i].from[k][1]) == n->snat[i].from[k][0])
				return true;
	for (uint16_t i = 0; i < n->n_static; i++)
		if (n->statics[i].in == s)
			return true;
	return false;
}

/* an IPv4 endpoint for a trace note's %e */
static inline uint64_t
fw_trace_ep(uint32_t addr, uint16_t port)
{
	return (uint64_t)addr | (uint64_t)rte_be_to_cpu_16(port) << 32;
}

/* The mapping-table key of the inside endpoint of a packet from the inside
 * that a snat rule would take (a guess for prefetching: fw_nat_prep
 * decides). */
static inline bool
fw_nat_ki_of(const struct fw_nat_rt *n, struct rte_mbuf *m, const struct fw_pkt *p,
	     struct fw_nat_mkey *ki)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, p->l3_off);
	uint16_t in_port = nfv_meta(m)->in_port;
	uint32_t s, d;
	int r;

	if (p->family != AF_INET || p->related || !p->ct_ok || p->nat_pre ||
	    fw_nat_outside(n, in_port) || !fw_nat_l4_ok(p, ip))
		return false;
	memcpy(&s, ip + 12, 4);
	memcpy(&d, ip + 16, 4);
	r = fw_nat_snat_match(n, in_port, s, d);
	if (r < 0)
		return false;
	memset(ki, 0, sizeof(*ki));
	ki->pc = fw_nat_pc(p->proto);
	ki->addr = s;
	ki->oport = n->snat[r].oport;
	memcpy(&ki->port, ip + p->l4_off + (p->proto == IPPROTO_ICMP ? 4 : 0), 2);
	return true;
}

/* nfvctl trace: the translation of a traced packet (off the fast path) */
static __rte_noinline __rte_cold void
fw_trace_nat(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf *m,
	     const struct fw_ct_entry *e, int dir, const char *what)
{
	struct fw_nat_tuple from = dir == 0 ? e->orig : e->reply, to = fw_nat_target(e, dir);

	if (from.src != to.src || from.sport != to.sport)
		nfv_trace_note(w, vnf, m, "nat %s: source %e -> %e", what,
			       fw_trace_ep(from.src, from.sport), fw_trace_ep(to.src, to.sport), 0);
	if (from.dst != to.dst || from.dport != to.dport)
		nfv_trace_note(w, vnf, m, "nat %s: destination %e -> %e", what,
			       fw_trace_ep(from.dst, from.dport), fw_trace_ep(to.dst, to.dport), 0);
}

/* NAT before the rules, for a packet no connection knows whose destination
 * is an external address: a port forward or 1:1 entry translates the
 * destination the rules then see (pk->nat_pre); an existing mapping admits
 * it per the filtering behaviour (RFC 4787): from the outside it is
 * translated and passes (returns 1), from the inside (hairpinning) the
 * rules see the inside destination. Returns 0, 1 or -(drop reason + 1). */
static inline int
fw_nat_pre(struct nfv_vnf *vnf, struct nfv_worker *w, struct fw_state *fw,
	   const struct fw_nat_rt *n, struct rte_mbuf *m, struct fw_pkt *p, uint64_t now)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, p->l3_off);
	uint16_t in_port = nfv_meta(m)->in_port;
	struct fw_nat_tuple t, reply;
	struct fw_ct_key kr;
	struct fw_ct_entry *e;
	struct fw_nat_map *mp;
	bool outside, admit;
	int ret;

	if (p->family != AF_INET || p->related || !p->ct_ok || !fw_nat_l4_ok(p, ip))
		return 0;
	fw_nat_tuple_of(ip, ip + p->l4_off, p->proto, &t);
	if (!fw_nat_is_ext(n, t.dst))
		return 0;
	outside = fw_nat_outside(n, in_port);
	for (uint16_t i = 0; i < n->n_dnat; i++) {
		const struct fw_dnat_rt *d = &n->dnat[i];

		if (d->proto == p->proto && d->addr == t.dst && d->port == t.dport &&
		    (!outside || d->oport == in_port)) {
			p->nat_pre = 1;
			p->nat_to = d->to;
			p->nat_to_port = d->to_port;
			goto pre;
		}
	}
	for (uint16_t i = 0; i < n->n_static; i++) {
		const struct fw_static_rt *st = &n->statics[i];

		if (st->ext == t.dst && (!outside || st->oport == in_port) &&
		    (outside || p->proto != IPPROTO_ICMP)) {
			p->nat_pre = 2;
			p->nat_to = st->in;
			p->nat_to_port = t.dport;
			goto pre;
		}
	}
	mp = fw_nat_map_by_ext(fw->nat, n, fw_nat_pc(p->proto), t.dst, t.dport);
	if (mp == NULL || (!outside && p->proto == IPPROTO_ICMP))
		return 0;
	admit = n->filtering == FW_NAT_FILTER_EI;
	for (int k = 0; k < FW_NAT_REMOTES && n->filtering == FW_NAT_FILTER_AD; k++)
		admit |= mp->remotes[k] == t.src;
	if (!admit) {
		nfv_count(w, vnf, FW_CTR_NAT_FILTERED, 1);
		return 0;
	}
	if (!outside) {
		p->nat_pre = 3;
		p->nat_to = mp->int_addr;
		p->nat_to_port = mp->int_port;
		goto pre;
	}
	if (!fw_nat_map_ref(mp))
		return 0;
	reply = fw_nat_reply_of(p->proto, t.src, t.sport, mp->int_addr, mp->int_port);
	fw_nat_ct_key(&kr, p->proto, &reply);
	ret = fw_nat_session_add(&fw->ct, p, &t, &reply, &kr, FW_NAT_DST,
				 (uint32_t)(mp - fw->nat->maps), 0xffff, now, &e);
	if (ret != 0)
		fw_nat_map_unref(fw->nat, (uint32_t)(mp - fw->nat->maps));
	if (ret < 0)
		return ret;
	if (nfv_traced(w, m))
		fw_trace_nat(vnf, w, m, e, 0, ret == 1 ? "session hit" : "new session (mapping)");
	fw_nat_xlate(m, p, e, 0);
	if (ret == 1) /* made by a packet just before */
		fw_ct_update(e, p, 0, now);
	else
		nfv_count(w, vnf, FW_CTR_NAT_INBOUND, 1);
	nfv_count(w, vnf, FW_CTR_NAT_XLATE, 1);
	return 1;
pre:
	/* the rules match the inside destination */
	p->k4.dst = p->nat_to;
	if (p->proto != IPPROTO_ICMP)
		p->k4.dport = p->nat_to_port;
	return 0;
}

/* A new translated session being made (fw_nat_batch): what fw_nat_prep
 * decided, for fw_nat_commit. */
struct fw_nat_new {
	struct fw_ct_key kr; /* the reply tuple's conntrack key (8-aligned:
			      * rte_hash_crc reads it 8 bytes at a time) */
	struct fw_nat_tuple t, reply;
	uint32_t map; /* mapping reference taken, or FW_NAT_NONE */
	uint16_t rule;
	uint8_t nat;
	uint8_t made; /* a new mapping */
} __rte_aligned(8);

/* a mapping key alone in 8 bytes-aligned 16 (rte_hash_crc's loads) */
struct fw_nat_mkey_a {
	struct fw_nat_mkey k;
	uint32_t pad;
} __rte_aligned(8);

/* NAT after the rules allowed a packet no connection knows: source NAT
 * when a snat rule (or a 1:1 entry) takes it, with the destination
 * translation fw_nat_pre chose; one session holds both. This half finds or
 * makes the mapping and the reply tuple (x); fw_nat_commit adds the
 * session. Returns 1 when a session is to be made, 0 when no NAT applies,
 * or -(drop reason + 1). */
static inline int
fw_nat_prep(struct nfv_vnf *vnf, struct nfv_worker *w, struct fw_state *fw,
	    const struct fw_nat_rt *n, struct rte_mbuf *m, struct fw_pkt *p, uint16_t rule,
	    uint64_t now, struct fw_nat_new *x)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, p->l3_off);
	uint16_t in_port = nfv_meta(m)->in_port;
	bool outside = fw_nat_outside(n, in_port), made = false, pres = false;
	uint32_t src2, dst2, map = FW_NAT_NONE;
	uint16_t sport2, dport2;
	int r = -1, st = -1;
	uint8_t nat = 0;

	if (p->family != AF_INET)
		return 0;
	if (p->related || !p->ct_ok || !fw_nat_l4_ok(p, ip)) {
		uint32_t s, d;

		/* not translatable (also an ICMP error about no translated
		 * session, RFC 5508 REQ-4): never let it out untranslated */
		memcpy(&s, ip + 12, 4);
		memcpy(&d, ip + 16, 4);
		if (!outside && fw_nat_snat_match(n, in_port, s, d) >= 0)
			return -(FW_DROP_NAT_UNSUPPORTED + 1);
		for (uint16_t i = 0; !outside && i < n->n_static; i++)
			if (n->statics[i].in == s && n->statics[i].oport != in_port)
				return -(FW_DROP_NAT_UNSUPPORTED + 1);
		return 0;
	}
	fw_nat_tuple_of(ip, ip + p->l4_off, p->proto, &x->t);
	dst2 = p->nat_pre ? p->nat_to : x->t.dst;
	dport2 = p->nat_pre ? p->nat_to_port : x->t.dport;
	src2 = x->t.src;
	sport2 = x->t.sport;
	if (!outside && !(p->nat_pre && p->proto == IPPROTO_ICMP)) {
		/* a 1:1 entry before the snat rules */
		for (uint16_t i = 0; i < n->n_static; i++)
			if (n->statics[i].in == x->t.src && n->statics[i].oport != in_port) {
				st = i;
				break;
			}
		/* except: the destination the inside host addressed (a
		 * hairpinned packet's is an external address) */
		if (st < 0)
			r = fw_nat_snat_match(n, in_port, x->t.src, x->t.dst);
		/* to an external address with no forward: for the router that
		 * owns it, which answers the inside host itself (a ping of the
		 * router's public address); translated, the answer would go to
		 * that address, the router's own */
		if (r >= 0 && !p->nat_pre && fw_nat_is_ext(n, x->t.dst))
			r = -1;
	}
	if (!p->nat_pre && r < 0 && st < 0)
		return 0;
	/* TTL 1 from the inside: the router after this stage answers it
	 * (time exceeded, to the inside host - traceroute's first hop) and
	 * never forwards it; translated, its answer would go to the NAT
	 * address. Not translated, no session. */
	if (!outside && !p->nat_pre && ip[8] <= 1)
		return 0;
	if (r >= 0) {
		int64_t pos = fw_nat_map_get(fw->nat, &n->snat[r], (uint16_t)r, fw_nat_pc(p->proto),
					     x->t.src, x->t.sport, dst2, (uint16_t)w->lcore, now,
					     &made, &pres);
		const struct fw_nat_map *mp;

		if (pos < 0)
			return (int)pos;
		map = (uint32_t)pos;
		mp = &fw->nat->maps[map];
		src2 = mp->ext_addr;
		sport2 = mp->ext_port;
		nat |= FW_NAT_SRC;
		if (made)
			nfv_count(w, vnf, FW_CTR_NAT_MAP_NEW, 1);
		if (pres)
			nfv_count(w, vnf, FW_CTR_NAT_PRESERVED, 1);
	} else if (st >= 0) {
		src2 = n->statics[st].ext;
		nat |= FW_NAT_SRC;
	}
	if (p->nat_pre)
		nat |= FW_NAT_DST;
	if (p->proto == IPPROTO_ICMP)
		dport2 = sport2; /* one identifier */
	x->reply = fw_nat_reply_of(p->proto, src2, sport2, dst2, dport2);
	fw_nat_ct_key(&x->kr, p->proto, &x->reply);
	x->map = map;
	x->rule = rule;
	x->nat = nat;
	x->made = made;
	return 1;
}

/* The second half: the session (both keys), the rewrite. Returns 1 or
 * -(drop reason + 1). */
static inline int
fw_nat_commit(struct nfv_vnf *vnf, struct nfv_worker *w, struct fw_state *fw,
	      const struct fw_nat_rt *n, struct rte_mbuf *m, const struct fw_pkt *p,
	      struct fw_nat_new *x, uint64_t now)
{
	bool outside = fw_nat_outside(n, nfv_meta(m)->in_port);
	struct fw_ct_entry *e;
	int ret;

	ret = fw_nat_session_add(&fw->ct, p, &x->t, &x->reply, &x->kr, x->nat, x->map, x->rule,
				 now, &e);
	if (ret < 0) {
		if (x->map != FW_NAT_NONE)
			fw_nat_map_unref(fw->nat, x->map);
		return ret;
	}
	if (ret == 1) {
		/* the flow's session was made by a packet just before (the same
		 * burst, or another worker): this one is its */
		if (x->map != FW_NAT_NONE)
			fw_nat_map_unref(fw->nat, x->map);
		fw_nat_xlate(m, p, e, 0);
		fw_ct_update(e, p, 0, now);
		nfv_count(w, vnf, FW_CTR_NAT_XLATE, 1);
		nfv_count(w, vnf, FW_CTR_CT_HIT, 1);
		if (nfv_traced(w, m))
			fw_trace_nat(vnf, w, m, e, 0, "session hit");
		return 1;
	}
	if (nfv_traced(w, m))
		fw_trace_nat(vnf, w, m, e, 0, "new session");
	fw_nat_xlate(m, p, e, 0);
	nfv_count(w, vnf, FW_CTR_NAT_XLATE, 1);
	if (x->nat & FW_NAT_SRC)
		nfv_count(w, vnf, FW_CTR_NAT_SNAT_NEW, 1);
	if (x->nat & FW_NAT_DST)
		nfv_count(w, vnf, FW_CTR_NAT_DNAT_NEW, 1);
	if ((x->nat & FW_NAT_DST) && !outside)
		nfv_count(w, vnf, FW_CTR_NAT_HAIRPIN, 1);
	return 1;
}

static inline bool
fw_prefix_match(const uint8_t *a, const uint8_t *pfx, uint8_t len)
{
	unsigned int bytes = len / 8, bits = len % 8;

	if (memcmp(a, pfx, bytes) != 0)
		return false;
	if (bits == 0)
		return true;
	return ((a[bytes] ^ pfx[bytes]) & (uint8_t)(0xff << (8 - bits))) == 0;
}

/* Header fields of a rule that rte_acl does not check (bpf rules). */
static inline bool
fw_rule_hdr_match(const struct fw_rule *r, const struct fw_pkt *p, struct rte_mbuf *m)
{
	const struct nfv_mbuf_meta *meta = nfv_meta(m);
	uint16_t sp, dp, vlan;
	const uint8_t *src, *dst;

	if (r->family && r->family != p->family)
		return false;
	if (r->has_proto && r->proto != p->proto)
		return false;
	if ((p->flags & r->flags_mask) != r->flags)
		return false;
	if (r->in_port >= 0 && r->in_port != meta->in_port)
		return false;
	if (r->out_port >= 0 && r->out_port != meta->out_port)
		return false;
	if (p->family == AF_INET) {
		sp = rte_be_to_cpu_16(p->k4.sport);
		dp = rte_be_to_cpu_16(p->k4.dport);
		vlan = rte_be_to_cpu_16(p->k4.vlan);
		src = (const uint8_t *)&p->k4.src;
		dst = (const uint8_t *)&p->k4.dst;
	} else {
		sp = rte_be_to_cpu_16(p->k6.sport);
		dp = rte_be_to_cpu_16(p->k6.dport);
		vlan = rte_be_to_cpu_16(p->k6.vlan);
		src = p->k6.src;
		dst = p->k6.dst;
	}
	if (r->vlan >= 0 && r->vlan != vlan)
		return false;
	if (sp < r->sport_lo || sp > r->sport_hi || dp < r->dport_lo || dp > r->dport_hi)
		return false;
	return fw_prefix_match(src, r->src, r->src_len) && fw_prefix_match(dst, r->dst, r->dst_len);
}

static inline bool
fw_bpf_match(const struct fw_rule *r, struct rte_mbuf *m)
{
	if (r->jit.func != NULL)
		return r->jit.func(m) != 0;
	return rte_bpf_exec(r->bpf, m) != 0;
}

static inline void
fw_log_copy(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf *m, uint32_t rule)
{
	struct rte_mbuf *c = rte_pktmbuf_copy(m, nfv_pktmbuf_pool(), 0, 128);

	if (c == NULL)
		return;
	*nfv_meta(c) = *nfv_meta(m);
	nfv_meta(c)->nh = (uint32_t)FW_PUNT_LOG_COPY << 24 | rule;
	nfv_count(w, vnf, FW_CTR_LOGGED, 1);
	nfv_punt(w, vnf, c);
}

/* nfvctl trace: the firewall's reason for a traced packet (off the fast
 * path: called for traced packets only) */
static __rte_noinline __rte_cold void
fw_trace_rule(struct nfv_vnf *vnf, struct nfv_worker *w, const struct fw_ruleset *rs,
	      struct rte_mbuf *m, uint32_t best, uint8_t action)
{
	static const char *const named[] = {"rule %s: allow", "rule %s: drop",
					    "rule %s: reject (refusal sent by the control thread)"};
	static const char *const unnamed[] = {"rule #%u: allow", "rule #%u: drop",
					      "rule #%u: reject (refusal sent by the control thread)"};

	if (action > FW_REJECT)
		return;
	if (best == rs->n_rules)
		nfv_trace_note(w, vnf, m, "no rule matched: default policy %s",
			       fw_action_names[action], 0, 0, 0);
	else if (rs->rules[best].name[0])
		nfv_trace_note(w, vnf, m, named[action], rs->rules[best].name, 0, 0, 0);
	else
		nfv_trace_note(w, vnf, m, unnamed[action], NULL, best + 1, 0, 0);
}

static __rte_noinline __rte_cold void
fw_trace_ct(struct nfv_vnf *vnf, struct nfv_worker *w, const struct fw_ruleset *rs,
	    struct rte_mbuf *m, const struct fw_ct_entry *e, bool related)
{
	nfv_trace_note(w, vnf, m,
		       related ? "conntrack: an error about a tracked connection, state %s"
			       : "conntrack hit: tracked connection, state %s",
		       e->state < FW_CT_STATE_MAX ? fw_ct_state_names[e->state] : "?", 0, 0, 0);
	if (e->rule < rs->n_rules)
		nfv_trace_note(w, vnf, m, "connection allowed by rule %s", rs->rules[e->rule].name,
			       0, 0, 0);
}

#define FW_RES_LOG 0x80000000u /* res[]: the allowing rule logs */

/* An allowed packet that NAT does not take: a new connection tracked when
 * the rule is stateful. Returns 1 (kept) or 2 (dropped). */
static inline uint8_t
fw_allowed(struct nfv_vnf *vnf, struct nfv_worker *w, struct fw_state *fw,
	   const struct fw_ruleset *rs, struct rte_mbuf *m, const struct fw_pkt *p, uint32_t best,
	   bool log, uint64_t now)
{
	if (best < rs->n_rules && rs->rules[best].stateful && p->ct_ok && !p->related) {
		if (fw_ct_insert(&fw->ct, rs, p, (uint16_t)best, now) < 0) {
			nfv_drop(w, vnf, m, FW_DROP_CT_FULL);
			return 2;
		}
		nfv_count(w, vnf, FW_CTR_CT_NEW, 1);
		if (nfv_traced(w, m))
			nfv_trace_note(w, vnf, m, "conntrack: new connection tracked", NULL, 0, 0, 0);
	}
	if (log)
		fw_log_copy(vnf, w, m, best);
	return 1;
}

/* NAT for the chunk's allowed packets (idx[0..na), in order): the mappings
 * and reply tuples first, then one bulk lookup of the reply keys - which
 * brings their hash buckets into the cache together rather than one miss
 * after another - then the sessions. res[i]: the allowing rule
 * (| FW_RES_LOG). Sets pass[i] to 1 (kept) or 2 (dropped). */
static __rte_noinline void
fw_nat_batch(struct nfv_vnf *vnf, struct nfv_worker *w, struct fw_state *fw,
	     const struct fw_ruleset *rs, struct rte_mbuf **pkts, struct fw_pkt *pk,
	     uint8_t *pass, const uint32_t *res, const uint16_t *idx, uint16_t na, uint64_t now)
{
	struct fw_nat_new x[FW_CHUNK];
	struct fw_nat_mkey_a ki[FW_CHUNK];
	const void *keys[FW_CHUNK];
	int32_t pos[FW_CHUNK];
	uint16_t pend[FW_CHUNK], np = 0, nk = 0;

	/* the inside endpoints' mapping keys: one bulk lookup brings their
	 * buckets in together for fw_nat_map_get's lookup and add */
	for (uint16_t k = 0; k < na; k++)
		if (fw_nat_ki_of(rs->nat, pkts[idx[k]], &pk[idx[k]], &ki[nk].k)) {
			keys[nk] = &ki[nk].k;
			nk++;
		}
	if (nk > 1)
		rte_hash_lookup_bulk(fw->nat->mh, keys, nk, pos);
	for (uint16_t k = 0; k < na; k++) {
		uint16_t i = idx[k];
		uint32_t best = res[i] & ~FW_RES_LOG;
		int r = fw_nat_prep(vnf, w, fw, rs->nat, pkts[i], &pk[i], (uint16_t)best, now, &x[np]);

		if (r < 0) {
			pass[i] = 2;
			nfv_drop(w, vnf, pkts[i], (uint16_t)(-r - 1));
		} else if (r == 0) {
			pass[i] = fw_allowed(vnf, w, fw, rs, pkts[i], &pk[i], best,
					     (res[i] & FW_RES_LOG) != 0, now);
		} else {
			keys[np] = &x[np].kr;
			pend[np++] = i;
		}
	}
	if (np > 1)
		rte_hash_lookup_bulk(fw->ct.h, keys, np, pos);
	for (uint16_t k = 0; k < np; k++) {
		uint16_t i = pend[k];
		int r = fw_nat_commit(vnf, w, fw, rs->nat, pkts[i], &pk[i], &x[k], now);

		if (r < 0) {
			pass[i] = 2;
			nfv_drop(w, vnf, pkts[i], (uint16_t)(-r - 1));
			continue;
		}
		pass[i] = 1;
		if (res[i] & FW_RES_LOG)
			fw_log_copy(vnf, w, pkts[i], res[i] & ~FW_RES_LOG);
	}
}

/* A later fragment: it follows its datagram's first fragment if that
 * was let through; otherwise the fragments policy decides (and with NAT,
 * one that may belong to a translated flow is never sent on untranslated).
 * Returns 1 (kept) or 2 (dropped). */
static uint8_t
fw_frag_later(struct nfv_vnf *vnf, struct nfv_worker *w, const struct fw_ruleset *rs,
	      struct fw_frag_ent *ftab, struct fw_frag6_ent *ftab6, struct rte_mbuf *m,
	      const struct fw_pkt *p, uint64_t now)
{
	uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, p->l3_off);

	if (p->family == AF_INET6 ? fw_frag6_follow(ftab6, ip, p->fid6, now)
				  : fw_frag_follow(ftab, ip, now)) {
		nfv_count(w, vnf, FW_CTR_FRAG_FOLLOWED, 1);
		if (nfv_traced(w, m))
			nfv_trace_note(w, vnf, m,
				       "a later fragment of a datagram whose first fragment "
				       "passed: follows it",
				       NULL, 0, 0, 0);
		return 1;
	}
	if (rs->fragments != FW_FRAG_ALLOW) {
		nfv_drop(w, vnf, m, FW_DROP_FRAGMENT);
		return 2;
	}
	if (rs->nat != NULL && p->family == AF_INET && fw_nat_frag_relevant(rs->nat, ip)) {
		nfv_drop(w, vnf, m, FW_DROP_NAT_FRAGMENT);
		return 2;
	}
	if (nfv_traced(w, m))
		nfv_trace_note(w, vnf, m, "a later fragment: passes (fragments: allow)", NULL, 0, 0,
			       0);
	return 1;
}

/* Run one chunk (n <= FW_CHUNK). Returns packets kept at the front. */
static uint16_t
fw_chunk(struct nfv_vnf *vnf, struct nfv_worker *w, struct fw_state *fw,
	 const struct fw_ruleset *rs, struct rte_mbuf **pkts, uint16_t n)
{
	struct fw_pkt pk[FW_CHUNK];
	/* 0 undecided, 1 kept, 2 dropped or punted, 3 NAT to decide, 4 a later
	 * fragment (fw_frag_later) */
	uint8_t pass[FW_CHUNK];
	const void *ckeys[FW_CHUNK];
	int32_t pos[FW_CHUNK];
	uint16_t cidx[FW_CHUNK], idx4[FW_CHUNK], idx6[FW_CHUNK];
	const uint8_t *d4[FW_CHUNK], *d6[FW_CHUNK];
	uint32_t res[FW_CHUNK], r4[FW_CHUNK], r6[FW_CHUNK];
	uint16_t nc = 0, n4 = 0, n6 = 0, keep = 0, i, na = 0, nalw[FW_CHUNK];
	uint64_t now = w->now_tsc;
	uint64_t *hits = rs->hits + (size_t)w->lcore * rs->hit_stride;
	struct fw_frag_ent *ftab = fw->frag + (size_t)w->lcore * FW_FRAG_SLOTS;
	struct fw_frag6_ent *ftab6 = fw->frag6 + (size_t)w->lcore * FW_FRAG_SLOTS;
	bool frag, nfrag = false;

	for (i = 0; i < n; i++) {
		int ret = fw_parse(pkts[i], &pk[i], &frag);

		res[i] = 0;
		if (unlikely(frag)) {
			nfv_count(w, vnf, FW_CTR_FRAGMENTS, 1);
			nfrag = true;
		}
		if (ret < 0) {
			pass[i] = 2; /* dropped */
			nfv_drop(w, vnf, pkts[i], (uint16_t)(-ret - 1));
			continue;
		}
		if (ret == FW_P_LATER) {
			pass[i] = 4; /* after the chunk's first fragments */
			continue;
		}
		if (ret == FW_P_PASS) {
			pass[i] = 1;
			if (!frag)
				nfv_count(w, vnf, FW_CTR_NON_IP, 1);
			if (nfv_traced(w, pkts[i]))
				nfv_trace_note(w, vnf, pkts[i],
					       frag ? "a later fragment: passes (fragments: allow)"
						    : "not IP: passes without rules",
					       NULL, 0, 0, 0);
			continue;
		}
		pass[i] = 0;
		if (pk[i].ct_ok) {
			ckeys[nc] = &pk[i].ck;
			cidx[nc++] = i;
		}
	}
	/* connection tracking: packets of live connections pass */
	if (nc > 0 && __atomic_load_n(&fw->ct.count, __ATOMIC_RELAXED) > 0 &&
	    rte_hash_lookup_bulk(fw->ct.h, ckeys, nc, pos) == 0) {
		for (i = 0; i < nc; i++) {
			struct fw_ct_entry *e;
			struct fw_pkt *p = &pk[cidx[i]];

			if (pos[i] < 0)
				continue;
			e = &fw->ct.entries[pos[i]];
			if (__atomic_load_n(&e->in_use, __ATOMIC_ACQUIRE) != FW_SLOT_LIVE)
				continue;
			if (e->alias) {
				e = &fw->ct.entries[e->peer];
				if (__atomic_load_n(&e->in_use, __ATOMIC_ACQUIRE) != FW_SLOT_LIVE)
					continue;
			}
			if (!fw_ct_live(e, rs, now))
				continue;
			if (e->nat) {
				struct rte_mbuf *m = pkts[cidx[i]];
				struct fw_nat_tuple t;
				const uint8_t *ip;
				int dir;

				if (p->related) {
					/* RFC 5508: an error whose checksum fails is
					 * dropped, never translated (the translation
					 * recomputes the checksum: it would make a
					 * corrupt error look whole) */
					ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, p->l3_off);
					if (unlikely(rte_raw_cksum(ip + p->l4_off, p->l4_len) != 0xffff)) {
						pass[cidx[i]] = 2;
						nfv_drop(w, vnf, m, FW_DROP_NAT_ICMP_CHECKSUM);
						continue;
					}
					if (fw_nat_icmp_err(m, p, e) < 0)
						continue;
					if (nfv_traced(w, m))
						nfv_trace_note(w, vnf, m,
							       "nat: an ICMP error about a translated "
							       "session, outer and quoted headers "
							       "translated back",
							       NULL, 0, 0, 0);
					pass[cidx[i]] = 1;
					nfv_count(w, vnf, FW_CTR_RELATED, 1);
					nfv_count(w, vnf, FW_CTR_NAT_ICMP_ERR, 1);
					continue;
				}
				ip = rte_pktmbuf_mtod_offset(m, const uint8_t *, p->l3_off);
				if (p->family != AF_INET || !fw_nat_l4_ok(p, ip))
					continue;
				fw_nat_tuple_of(ip, ip + p->l4_off, p->proto, &t);
				dir = fw_nat_dir(e, &t);
				if (dir < 0)
					continue;
				if (p->proto == IPPROTO_TCP &&
				    unlikely(fw_ct_tcp_invalid(e, p, (unsigned int)dir))) {
					pass[cidx[i]] = 2;
					nfv_drop(w, vnf, m, FW_DROP_CT_INVALID);
					continue;
				}
				if (nfv_traced(w, m)) {
					fw_trace_ct(vnf, w, rs, m, e, false);
					fw_trace_nat(vnf, w, m, e, dir, "session hit");
				}
				fw_nat_xlate(m, p, e, dir);
				pass[cidx[i]] = 1;
				fw_ct_update(e, p, (unsigned int)dir, now);
				nfv_count(w, vnf, FW_CTR_NAT_XLATE, 1);
				nfv_count(w, vnf, FW_CTR_CT_HIT, 1);
				continue;
			}
			if (p->proto == IPPROTO_TCP && !p->related &&
			    unlikely(fw_ct_tcp_invalid(e, p, p->dir_lo == e->init_lo ? 0 : 1))) {
				pass[cidx[i]] = 2;
				nfv_drop(w, vnf, pkts[cidx[i]], FW_DROP_CT_INVALID);
				continue;
			}
			pass[cidx[i]] = 1;
			if (nfv_traced(w, pkts[cidx[i]]))
				fw_trace_ct(vnf, w, rs, pkts[cidx[i]], e, p->related);
			if (p->related) {
				/* an error about the connection: passes, the
				 * connection's state does not move */
				nfv_count(w, vnf, FW_CTR_RELATED, 1);
				continue;
			}
			fw_ct_update(e, p, p->dir_lo == e->init_lo ? 0 : 1, now);
			nfv_count(w, vnf, FW_CTR_CT_HIT, 1);
		}
	}
	/* NAT before the rules: destinations that are external addresses */
	if (rs->nat != NULL)
		for (i = 0; i < n; i++) {
			int r;

			if (pass[i] != 0)
				continue;
			r = fw_nat_pre(vnf, w, fw, rs->nat, pkts[i], &pk[i], now);
			if (r < 0) {
				pass[i] = 2;
				nfv_drop(w, vnf, pkts[i], (uint16_t)(-r - 1));
			} else if (r == 1)
				pass[i] = 1;
		}
	/* stateless rules */
	for (i = 0; i < n; i++) {
		if (pass[i] != 0)
			continue;
		if (pk[i].family == AF_INET) {
			d4[n4] = (const uint8_t *)&pk[i].k4;
			idx4[n4++] = i;
		} else {
			d6[n6] = (const uint8_t *)&pk[i].k6;
			idx6[n6++] = i;
		}
	}
	if (n4 > 0 && rs->acl4 != NULL && rte_acl_classify(rs->acl4, d4, r4, n4, 1) == 0)
		for (i = 0; i < n4; i++)
			res[idx4[i]] = r4[i];
	if (n6 > 0 && rs->acl6 != NULL && rte_acl_classify(rs->acl6, d6, r6, n6, 1) == 0)
		for (i = 0; i < n6; i++)
			res[idx6[i]] = r6[i];

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t best;
		uint8_t action;
		bool log = false;

		if (pass[i] != 0)
			continue;
		best = res[i] ? res[i] - 1 : rs->n_rules;
		for (uint16_t b = 0; b < rs->n_bpf && rs->bpf_rules[b] < best; b++) {
			const struct fw_rule *r = &rs->rules[rs->bpf_rules[b]];

			if (fw_rule_hdr_match(r, &pk[i], m) && fw_bpf_match(r, m)) {
				best = rs->bpf_rules[b];
				break;
			}
		}
		hits[best]++;
		hits[rs->hit_half + best] += rte_pktmbuf_pkt_len(m);
		if (best == rs->n_rules) {
			action = rs->default_action;
			nfv_count(w, vnf, FW_CTR_DEFAULT, 1);
		} else {
			action = rs->rules[best].action;
			log = rs->rules[best].log;
		}
		if (nfv_traced(w, m))
			fw_trace_rule(vnf, w, rs, m, best, action);
		switch (action) {
		case FW_ALLOW:
			if (rs->nat != NULL) {
				/* NAT decides after the chunk's rules (fw_nat_batch) */
				pass[i] = 3;
				res[i] = best | (log ? FW_RES_LOG : 0);
				nalw[na++] = (uint16_t)i;
				break;
			}
			pass[i] = fw_allowed(vnf, w, fw, rs, m, &pk[i], best, log, now);
			break;
		case FW_REJECT:
			pass[i] = 2;
			nfv_meta(m)->l3_off = pk[i].l3_off;
			nfv_meta(m)->nh =
				(uint32_t)(log ? FW_PUNT_LOG_REJECT : FW_PUNT_REJECT) << 24 | best;
			nfv_count(w, vnf, FW_CTR_REJECTED, 1);
			nfv_punt(w, vnf, m);
			break;
		default:
			pass[i] = 2;
			if (log)
				fw_log_copy(vnf, w, m, best);
			nfv_drop(w, vnf, m, best == rs->n_rules ? FW_DROP_DEFAULT : FW_DROP_RULE);
			break;
		}
	}
	if (na > 0)
		fw_nat_batch(vnf, w, fw, rs, pkts, pk, pass, res, nalw, na, now);
	/* a first fragment let through: its later ones follow (also those
	 * in this chunk, decided now) */
	if (unlikely(nfrag)) {
		for (i = 0; i < n; i++)
			if (pass[i] == 1 && pk[i].frag) {
				if (pk[i].family == AF_INET)
					fw_frag_note(ftab, pkts[i], &pk[i], now);
				else
					fw_frag6_note(ftab6, pkts[i], &pk[i], now);
			}
		for (i = 0; i < n; i++)
			if (pass[i] == 4)
				pass[i] = fw_frag_later(vnf, w, rs, ftab, ftab6, pkts[i], &pk[i],
							now);
	}
	for (i = 0; i < n; i++)
		if (pass[i] == 1)
			pkts[keep++] = pkts[i];
	nfv_count(w, vnf, FW_CTR_ALLOWED, keep);
	return keep;
}

uint16_t
fw_process(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct fw_state *fw = vnf->priv;
	const struct fw_ruleset *rs = __atomic_load_n(&fw->rs, __ATOMIC_ACQUIRE);
	uint16_t keep = 0, done, k;

	for (done = 0; done < n; done += k) {
		uint16_t c = RTE_MIN(n - done, FW_CHUNK), j;

		k = c;
		c = fw_chunk(vnf, w, fw, rs, pkts + done, c);
		for (j = 0; j < c; j++)
			pkts[keep++] = pkts[done + j];
	}
	return keep;
}
