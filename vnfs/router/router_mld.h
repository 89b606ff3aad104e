/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - private to the control path: MLDv2 listener reports
 * for the groups neighbour discovery needs (router_mld.c, RFC 3810).
 * Uses router_frame.h; router_cp.c calls it.
 */
#ifndef RTR_MLD_H
#define RTR_MLD_H

#include "router_rt.h"

/* A report of interface ifi's groups (all-routers, the solicited-node
 * groups of its addresses) to ff02::16; change: joining (start, apply),
 * else the answer to a query. Nothing for an interface with a twin. */
void rtr_mld_report(struct rtr_state *st, const struct rtr_tables *t, uint16_t ifi, bool change);
/* Reports on every interface (the addresses were announced) */
void rtr_mld_announce(struct rtr_state *st, const struct rtr_tables *t);
/* An MLD message for ifi (its extension headers taken out): a query is
 * answered; m is consumed */
void rtr_mld_input(struct rtr_state *st, const struct rtr_tables *t, struct rte_mbuf *m,
		   uint16_t ifi);

#endif /* RTR_MLD_H */
