/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - private to the control path: ARP and IPv6 neighbour
 * discovery (router_nd.c). Uses router_icmp.h and router_frame.h.
 * (rtr_neigh_resolved, used by tests too, is in router_rt.h.)
 */
#ifndef RTR_ND_H
#define RTR_ND_H

#include "router_rt.h"

/* A punted ARP frame / ND message that came in on ifi; m is consumed */
void rtr_arp_input(struct rtr_state *st, struct rtr_tables *t, struct rte_mbuf *m, uint16_t ifi);
void rtr_nd_input(struct rtr_state *st, struct rtr_tables *t, struct rte_mbuf *m, uint16_t ifi);
/* m waits for neighbour nid (or the destination's, created, when nid is
 * out of range) on oif, then is forwarded (fragmented if needed) */
void rtr_resolve(struct rtr_state *st, struct rtr_tables *t, struct rte_mbuf *m, uint16_t oif,
		 uint32_t nid);
/* Gratuitous ARP and DAD for every address */
void rtr_announce(struct rtr_state *st, struct rtr_tables *t);
/* Neighbour timers, from the class tick */
void rtr_neigh_tick(struct rtr_state *st, struct rtr_tables *t, uint64_t now_ms);

#endif /* RTR_ND_H */
