/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - private to the control path: helpers for the frames
 * the control thread reads and builds (router_frame.c), shared by
 * neighbour discovery (router_nd.c), ICMP (router_icmp.c) and the rest of
 * the control path (router_cp.c). It calls none of them.
 */
#ifndef RTR_FRAME_H
#define RTR_FRAME_H

#include "router_rt.h"

/* Interface a punted packet came in on, or -1 */
int rtr_in_iface(const struct rtr_tables *t, struct rte_mbuf *m);
/* Send one frame from the control thread (st->tx) */
void rtr_send(struct rtr_state *st, uint16_t port, struct rte_mbuf *m);
/* Our IPv4 address on f for talking to dst (same subnet first), 0: none */
uint32_t rtr_if_src4(const struct rtr_if *f, uint32_t dst_be);
/* Our IPv6 address on f for talking to dst (link-local for link-local) */
const uint8_t *rtr_if_src6(const struct rtr_if *f, const uint8_t *dst);
/* a is on one of f's IPv6 prefixes */
bool rtr_if_on_link6(const struct rtr_if *f, const uint8_t *a);
bool rtr_is_own4(const struct rtr_if *f, uint32_t a_be);
/* index of a among f's IPv6 addresses, RTR_MAX_ADDRS: its link-local, -1 */
int rtr_own6_index(const struct rtr_if *f, const uint8_t *a);
/* a is the subnet-router anycast address (RFC 4291 2.6.1) of one of f's
 * prefixes (shorter than /127, RFC 6164) */
bool rtr_anycast6(const struct rtr_if *f, const uint8_t *a);
/* a is an address (unicast or link-local) of one of t's interfaces */
bool rtr_own6(const struct rtr_tables *t, const uint8_t *a);
/* a names one host (RFC 1812 4.2.2.11, RFC 4291 2.5.2/2.5.3): the rules
 * of what the router may answer or send to */
bool rtr_host4(const struct rtr_tables *t, uint32_t a_be);
bool rtr_host6(const uint8_t *a);
/* m's frame went to a link-layer broadcast or multicast address */
bool rtr_frame_is_mcast(struct rte_mbuf *m);
/* m's L3 header is IPv6 (nfv_meta(m)->l3_off) */
bool rtr_is_v6(struct rte_mbuf *m);
/* New frame from interface f to dst_mac: the L3 pointer (l3_len bytes,
 * zeroed) or NULL (counted as no-mbuf) */
uint8_t *rtr_new_frame(struct rtr_state *st, const struct rtr_if *f, const uint8_t *dst_mac,
		       uint16_t ethertype, uint16_t l3_len, struct rte_mbuf **out);
void rtr_icmp6_cksum(struct rte_ipv6_hdr *ip6);
bool rtr_icmp6_ok(const struct rte_ipv6_hdr *ip6, const void *l4);

#endif /* RTR_FRAME_H */
