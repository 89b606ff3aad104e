/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - zebra's forwarding plane feed (FPM, dplane_fpm_nl):
 * framing and netlink decoding, without DPDK (unit tests, libFuzzer).
 *
 * A frame is a 4-byte header (version 1, type 1 = netlink, 16-bit
 * big-endian length including the header) and one netlink message:
 * RTM_NEWROUTE / RTM_DELROUTE (IPv4, IPv6; RTA_GATEWAY + RTA_OIF,
 * RTA_MULTIPATH or RTA_NH_ID) or RTM_NEWNEXTHOP / RTM_DELNEXTHOP (a next
 * hop or a group, FRR's `fpm use-next-hop-groups`). Every length is checked
 * against what is left; nothing is read beyond the frame.
 */
#ifndef RTR_FPM_PARSE_H
#define RTR_FPM_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RTR_FPM_HDR 4
#define RTR_FPM_MAX_FRAME 65535
#define RTR_FPM_MAX_NH 8   /* next hops kept per route (RTR_MAX_PATHS) */
#define RTR_FPM_MAX_GRP 64 /* members kept per next-hop group */

/* zebra's protocol numbers (FRR 8.4 zebra/rt_netlink.h, linux rtnetlink.h) */
#define RTR_FPM_PROTO_KERNEL 2
#define RTR_FPM_PROTO_BOOT 3
#define RTR_FPM_PROTO_STATIC 4
#define RTR_FPM_PROTO_ZEBRA 11
#define RTR_FPM_PROTO_BABEL 42
#define RTR_FPM_PROTO_BGP 186
#define RTR_FPM_PROTO_ISIS 187
#define RTR_FPM_PROTO_OSPF 188
#define RTR_FPM_PROTO_RIP 189
#define RTR_FPM_PROTO_RIPNG 190
#define RTR_FPM_PROTO_NHRP 191
#define RTR_FPM_PROTO_EIGRP 192
#define RTR_FPM_PROTO_LDP 193
#define RTR_FPM_PROTO_SHARP 194
#define RTR_FPM_PROTO_PBR 195
#define RTR_FPM_PROTO_ZSTATIC 196
#define RTR_FPM_PROTO_OPENFABRIC 197
#define RTR_FPM_PROTO_SRTE 198

enum rtr_fpm_kind {
	RTR_FPM_ROUTE_ADD = 1,
	RTR_FPM_ROUTE_DEL,
	RTR_FPM_NH_ADD,
	RTR_FPM_NH_DEL,
};

/* route types (rtm_type) the router installs */
enum rtr_fpm_rtype {
	RTR_FPM_UNICAST,
	RTR_FPM_BLACKHOLE,
	RTR_FPM_UNREACHABLE,
	RTR_FPM_PROHIBIT,
};

struct rtr_fpm_nh {
	uint8_t gw[16]; /* network order; IPv4 in the first 4 bytes */
	uint8_t has_gw;
	uint8_t weight;
	uint32_t oif; /* kernel ifindex, 0: none */
};

struct rtr_fpm_msg {
	uint8_t kind;  /* enum rtr_fpm_kind */
	uint8_t family; /* 4 or 6 (0: a next-hop group) */
	uint16_t nl_flags;
	/* route */
	uint8_t dst[16];
	uint8_t dst_len;
	uint8_t proto; /* rtm_protocol */
	uint8_t rtype; /* enum rtr_fpm_rtype */
	uint32_t table;
	uint32_t priority;
	uint32_t nhid; /* RTA_NH_ID, 0: next hops inline */
	uint16_t n_nh;
	uint16_t nh_dropped; /* beyond RTR_FPM_MAX_NH, or unsupported (RTA_VIA) */
	struct rtr_fpm_nh nh[RTR_FPM_MAX_NH];
	/* next-hop object: id, and a single next hop (nh[0]) or a group */
	uint32_t id;
	bool blackhole;
	uint16_t n_grp;
	uint16_t grp_dropped;
	struct {
		uint32_t id;
		uint16_t weight;
	} grp[RTR_FPM_MAX_GRP];
};

/* One frame at buf (avail bytes): returns 0 when incomplete (need more),
 * -EPROTO when the header is bad (the stream cannot be re-framed: drop
 * the connection), else the frame's length, and *netlink tells whether it
 * carries a netlink message (type 1). */
int rtr_fpm_frame(const uint8_t *buf, size_t avail, bool *netlink);

/* Decode the netlink message of one frame (after the FPM header). Returns 0
 * with m filled, 1 for a message the router does not take (other message
 * types, families, route types: counted and skipped), -EINVAL when it is
 * malformed (bad lengths, truncated attributes: counted and skipped). */
int rtr_fpm_parse(const uint8_t *nl, size_t len, struct rtr_fpm_msg *m);

/* "bgp", "ospf", "static", "kernel", ... for zebra's protocol number. */
/* The destination of a route message (netlink message nl of len bytes)
 * without decoding the rest: its family (4 or 6) with dst (zero-padded) and
 * dst_len, or 0 (not a route, malformed, no RTA_DST). For prefetching. */
int rtr_fpm_peek_dst(const uint8_t *nl, size_t len, uint8_t dst[16], uint8_t *dst_len);

const char *rtr_fpm_proto_name(uint8_t proto);

#endif /* RTR_FPM_PARSE_H */
