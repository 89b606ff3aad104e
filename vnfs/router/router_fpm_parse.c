/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - FPM framing and netlink route / next-hop decoding (see
 * router_fpm_parse.h). No DPDK: built into the unit tests and the fuzzer.
 * Reads only through rtr_fpm_u16/u32 (memcpy: the input has no alignment).
 */
#include <errno.h>
#include <string.h>

#include <linux/netlink.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "router_fpm_parse.h"

static uint16_t
rtr_fpm_u16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static uint32_t
rtr_fpm_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

int
rtr_fpm_frame(const uint8_t *buf, size_t avail, bool *netlink)
{
	uint16_t len;

	if (avail < RTR_FPM_HDR)
		return 0;
	len = (uint16_t)(buf[2] << 8 | buf[3]);
	if (buf[0] != 1 || len < RTR_FPM_HDR)
		return -EPROTO;
	if (avail < len)
		return 0;
	*netlink = buf[1] == 1;
	return len;
}

const char *
rtr_fpm_proto_name(uint8_t proto)
{
	switch (proto) {
	case RTR_FPM_PROTO_KERNEL:
		return "kernel";
	case RTR_FPM_PROTO_BOOT:
		return "boot";
	case RTR_FPM_PROTO_STATIC:
		return "kernel-static";
	case RTR_FPM_PROTO_ZEBRA:
		return "zebra";
	case RTR_FPM_PROTO_BABEL:
		return "babel";
	case RTR_FPM_PROTO_BGP:
		return "bgp";
	case RTR_FPM_PROTO_ISIS:
		return "isis";
	case RTR_FPM_PROTO_OSPF:
		return "ospf";
	case RTR_FPM_PROTO_RIP:
		return "rip";
	case RTR_FPM_PROTO_RIPNG:
		return "ripng";
	case RTR_FPM_PROTO_NHRP:
		return "nhrp";
	case RTR_FPM_PROTO_EIGRP:
		return "eigrp";
	case RTR_FPM_PROTO_LDP:
		return "ldp";
	case RTR_FPM_PROTO_SHARP:
		return "sharp";
	case RTR_FPM_PROTO_PBR:
		return "pbr";
	case RTR_FPM_PROTO_ZSTATIC:
		return "static";
	case RTR_FPM_PROTO_OPENFABRIC:
		return "openfabric";
	case RTR_FPM_PROTO_SRTE:
		return "srte";
	default:
		return "frr";
	}
}

/* Next attribute at *off within [0, end): 0 with type/payload, 1 at the
 * end, -EINVAL when its length does not fit. */
static int
rtr_fpm_attr(const uint8_t *b, size_t end, size_t *off, uint16_t *type, const uint8_t **pl,
	     size_t *plen)
{
	uint16_t alen;

	if (*off >= end)
		return 1;
	if (end - *off < sizeof(struct rtattr))
		return -EINVAL;
	alen = rtr_fpm_u16(b + *off);
	if (alen < sizeof(struct rtattr) || alen > end - *off)
		return -EINVAL;
	*type = rtr_fpm_u16(b + *off + 2) & NLA_TYPE_MASK;
	*pl = b + *off + sizeof(struct rtattr);
	*plen = alen - sizeof(struct rtattr);
	*off += (size_t)RTA_ALIGN(alen) < end - *off ? (size_t)RTA_ALIGN(alen) : end - *off;
	return 0;
}

static int
rtr_fpm_addr(const uint8_t *pl, size_t plen, int family, uint8_t out[16])
{
	size_t want = family == 4 ? 4 : 16;

	if (plen != want)
		return -EINVAL;
	memset(out, 0, 16);
	memcpy(out, pl, want);
	return 0;
}

int
rtr_fpm_peek_dst(const uint8_t *nl, size_t len, uint8_t dst[16], uint8_t *dst_len)
{
	struct rtmsg rt;
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(rt));
	uint16_t type;
	int family;

	if (len < off || rtr_fpm_u32(nl) > len)
		return 0;
	type = rtr_fpm_u16(nl + 4);
	if (type != RTM_NEWROUTE && type != RTM_DELROUTE)
		return 0;
	memcpy(&rt, nl + NLMSG_HDRLEN, sizeof(rt));
	family = rt.rtm_family == AF_INET ? 4 : rt.rtm_family == AF_INET6 ? 6 : 0;
	if (family == 0 || rt.rtm_dst_len > (family == 4 ? 32 : 128))
		return 0;
	len = rtr_fpm_u32(nl);
	for (;;) {
		uint16_t t;
		const uint8_t *pl;
		size_t plen;

		if (rtr_fpm_attr(nl, len, &off, &t, &pl, &plen) != 0)
			return 0;
		if (t == RTA_DST) {
			memset(dst, 0, 16);
			if (rtr_fpm_addr(pl, plen, family, dst) != 0)
				return 0;
			*dst_len = rt.rtm_dst_len;
			return family;
		}
	}
}

static void
rtr_fpm_nh_push(struct rtr_fpm_msg *m, const struct rtr_fpm_nh *nh)
{
	if (m->n_nh < RTR_FPM_MAX_NH)
		m->nh[m->n_nh++] = *nh;
	else
		m->nh_dropped++;
}

/* RTA_MULTIPATH: struct rtnexthop entries, each with nested attributes */
static int
rtr_fpm_multipath(const uint8_t *b, size_t len, int family, struct rtr_fpm_msg *m)
{
	size_t off = 0;

	while (off < len) {
		struct rtr_fpm_nh nh = {0};
		bool unsupported = false;
		size_t aoff, nlen;
		uint16_t rl;
		int rc;

		if (len - off < sizeof(struct rtnexthop))
			return -EINVAL;
		rl = rtr_fpm_u16(b + off);
		if (rl < sizeof(struct rtnexthop) || rl > len - off)
			return -EINVAL;
		nh.weight = (uint8_t)(b[off + 3] + 1 > 255 ? 255 : b[off + 3] + 1);
		nh.oif = rtr_fpm_u32(b + off + 4);
		aoff = off + sizeof(struct rtnexthop);
		nlen = off + rl;
		for (;;) {
			uint16_t t;
			const uint8_t *pl;
			size_t plen;

			rc = rtr_fpm_attr(b, nlen, &aoff, &t, &pl, &plen);
			if (rc < 0)
				return rc;
			if (rc > 0)
				break;
			if (t == RTA_GATEWAY) {
				if (rtr_fpm_addr(pl, plen, family, nh.gw) != 0)
					return -EINVAL;
				nh.has_gw = 1;
			} else if (t == RTA_VIA) {
				unsupported = true; /* a gateway of the other family */
			}
		}
		if (unsupported)
			m->nh_dropped++;
		else
			rtr_fpm_nh_push(m, &nh);
		off += (size_t)RTNH_ALIGN(rl) < len - off ? (size_t)RTNH_ALIGN(rl) : len - off;
	}
	return 0;
}

static int
rtr_fpm_route(const uint8_t *b, size_t len, struct rtr_fpm_msg *m)
{
	struct rtr_fpm_nh top = {.weight = 1};
	struct rtmsg rt;
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(rt));
	bool have_top = false;
	int family;

	if (len < NLMSG_HDRLEN + sizeof(rt))
		return -EINVAL;
	memcpy(&rt, b + NLMSG_HDRLEN, sizeof(rt));
	if (rt.rtm_family == AF_INET)
		family = 4;
	else if (rt.rtm_family == AF_INET6)
		family = 6;
	else
		return 1; /* MPLS, bridge (EVPN MACs), ... */
	if (rt.rtm_dst_len > (family == 4 ? 32 : 128))
		return -EINVAL;
	m->family = (uint8_t)family;
	m->dst_len = rt.rtm_dst_len;
	m->proto = rt.rtm_protocol;
	m->table = rt.rtm_table;
	switch (rt.rtm_type) {
	case RTN_UNICAST:
		m->rtype = RTR_FPM_UNICAST;
		break;
	case RTN_BLACKHOLE:
		m->rtype = RTR_FPM_BLACKHOLE;
		break;
	case RTN_UNREACHABLE:
		m->rtype = RTR_FPM_UNREACHABLE;
		break;
	case RTN_PROHIBIT:
		m->rtype = RTR_FPM_PROHIBIT;
		break;
	default:
		if (m->kind == RTR_FPM_ROUTE_ADD)
			return 1; /* local, broadcast, multicast, ... */
		m->rtype = RTR_FPM_UNICAST;
		break;
	}
	if (off > len)
		off = len;
	for (;;) {
		uint16_t t;
		const uint8_t *pl;
		size_t plen;
		int rc = rtr_fpm_attr(b, len, &off, &t, &pl, &plen);

		if (rc < 0)
			return rc;
		if (rc > 0)
			break;
		switch (t) {
		case RTA_DST:
			if (rtr_fpm_addr(pl, plen, family, m->dst) != 0)
				return -EINVAL;
			break;
		case RTA_GATEWAY:
			if (rtr_fpm_addr(pl, plen, family, top.gw) != 0)
				return -EINVAL;
			top.has_gw = 1;
			have_top = true;
			break;
		case RTA_OIF:
			if (plen != 4)
				return -EINVAL;
			top.oif = rtr_fpm_u32(pl);
			have_top = true;
			break;
		case RTA_PRIORITY:
			if (plen != 4)
				return -EINVAL;
			m->priority = rtr_fpm_u32(pl);
			break;
		case RTA_TABLE:
			if (plen != 4)
				return -EINVAL;
			m->table = rtr_fpm_u32(pl);
			break;
		case RTA_NH_ID:
			if (plen != 4 || rtr_fpm_u32(pl) == 0)
				return -EINVAL;
			m->nhid = rtr_fpm_u32(pl);
			break;
		case RTA_MULTIPATH:
			if (rtr_fpm_multipath(pl, plen, family, m) != 0)
				return -EINVAL;
			break;
		case RTA_VIA:
			m->nh_dropped++;
			break;
		default:
			break; /* metrics, encap, pref, ...: not used */
		}
	}
	if (have_top && m->n_nh == 0)
		rtr_fpm_nh_push(m, &top);
	return 0;
}

static int
rtr_fpm_nexthop(const uint8_t *b, size_t len, struct rtr_fpm_msg *m)
{
	struct nhmsg nm;
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nm));
	struct rtr_fpm_nh nh = {.weight = 1};
	bool have_nh = false;

	if (len < NLMSG_HDRLEN + sizeof(nm))
		return -EINVAL;
	memcpy(&nm, b + NLMSG_HDRLEN, sizeof(nm));
	m->family = nm.nh_family == AF_INET ? 4 : nm.nh_family == AF_INET6 ? 6 : 0;
	m->proto = nm.nh_protocol;
	if (off > len)
		off = len;
	for (;;) {
		uint16_t t;
		const uint8_t *pl;
		size_t plen;
		int rc = rtr_fpm_attr(b, len, &off, &t, &pl, &plen);

		if (rc < 0)
			return rc;
		if (rc > 0)
			break;
		switch (t) {
		case NHA_ID:
			if (plen != 4)
				return -EINVAL;
			m->id = rtr_fpm_u32(pl);
			break;
		case NHA_GROUP:
			if (plen == 0 || plen % sizeof(struct nexthop_grp) != 0)
				return -EINVAL;
			for (size_t k = 0; k < plen / sizeof(struct nexthop_grp); k++) {
				const uint8_t *g = pl + k * sizeof(struct nexthop_grp);

				if (m->n_grp == RTR_FPM_MAX_GRP) {
					m->grp_dropped++;
					continue;
				}
				m->grp[m->n_grp].id = rtr_fpm_u32(g);
				m->grp[m->n_grp++].weight = (uint16_t)(g[4] + 1);
			}
			break;
		case NHA_BLACKHOLE:
			m->blackhole = true;
			break;
		case NHA_OIF:
			if (plen != 4)
				return -EINVAL;
			nh.oif = rtr_fpm_u32(pl);
			have_nh = true;
			break;
		case NHA_GATEWAY:
			if (m->family == 0 || rtr_fpm_addr(pl, plen, m->family, nh.gw) != 0)
				return -EINVAL;
			nh.has_gw = 1;
			have_nh = true;
			break;
		default:
			break; /* group type, encap, fdb, ... */
		}
	}
	if (m->id == 0)
		return -EINVAL;
	if (have_nh)
		rtr_fpm_nh_push(m, &nh);
	return 0;
}

int
rtr_fpm_parse(const uint8_t *nl, size_t len, struct rtr_fpm_msg *m)
{
	uint32_t nlen;
	uint16_t type;

	memset(m, 0, offsetof(struct rtr_fpm_msg, nh));
	m->n_grp = 0;
	m->grp_dropped = 0;
	m->id = 0;
	m->blackhole = false;
	if (len < NLMSG_HDRLEN)
		return -EINVAL;
	nlen = rtr_fpm_u32(nl);
	if (nlen < NLMSG_HDRLEN || nlen > len)
		return -EINVAL;
	type = rtr_fpm_u16(nl + 4);
	m->nl_flags = rtr_fpm_u16(nl + 6);
	switch (type) {
	case RTM_NEWROUTE:
		m->kind = RTR_FPM_ROUTE_ADD;
		return rtr_fpm_route(nl, nlen, m);
	case RTM_DELROUTE:
		m->kind = RTR_FPM_ROUTE_DEL;
		return rtr_fpm_route(nl, nlen, m);
	case RTM_NEWNEXTHOP:
		m->kind = RTR_FPM_NH_ADD;
		return rtr_fpm_nexthop(nl, nlen, m);
	case RTM_DELNEXTHOP:
		m->kind = RTR_FPM_NH_DEL;
		return rtr_fpm_nexthop(nl, nlen, m);
	default:
		return 1; /* neighbours, links, MPLS, ... */
	}
}
