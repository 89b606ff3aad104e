/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - private to the control path: ICMP and ICMPv6 the
 * router generates (router_icmp.c). Uses router_frame.h only.
 */
#ifndef RTR_ICMP_H
#define RTR_ICMP_H

#include "router_rt.h"

enum rtr_err { RTR_ERR_TTL, RTR_ERR_NET, RTR_ERR_HOST, RTR_ERR_REJECT, RTR_ERR_PORT, RTR_ERR_SCOPE };

/* The error e (time exceeded, unreachable...) about m, to its sender, in
 * m's family; m is consumed. Never about what RFC 1812 4.3.2.7 / RFC 4443
 * 2.4(e) exclude; rate limited (icmp-rate, icmp-burst). */
void rtr_error(struct rtr_state *st, const struct rtr_tables *t, struct rte_mbuf *m,
	       enum rtr_err e);
/* The same with an explicit type, code and 32-bit field (MTU) */
void rtr_icmp4_error(struct rtr_state *st, const struct rtr_tables *t, struct rte_mbuf *m,
		     uint8_t type, uint8_t code, uint32_t info);
void rtr_icmp6_error(struct rtr_state *st, const struct rtr_tables *t, struct rte_mbuf *m,
		     uint8_t type, uint8_t code, uint32_t info);
/* RFC 793 (CLOSED): a TCP segment for one of our addresses that no host
 * twin takes gets a RST (not for a RST, a fragment or a packet from no
 * host's address; rate limited with the ICMP errors); m is consumed */
void rtr_tcp_rst(struct rtr_state *st, const struct rtr_tables *t, struct rte_mbuf *m);
/* RFC 4861 8.2: m, a copy of a packet forwarded back out of ifi (the
 * interface it came in on) to neighbour nid: a redirect to its sender when
 * the rules allow; m is consumed */
void rtr_redirect6(struct rtr_state *st, const struct rtr_tables *t, struct rte_mbuf *m,
		   uint16_t ifi, uint32_t nid);
/* Echo replies to requests for our addresses that came in on ifi; m is
 * consumed (anything else is counted as local-dropped) */
void rtr_echo4(struct rtr_state *st, struct rtr_tables *t, struct rte_mbuf *m, uint16_t ifi);
void rtr_echo6(struct rtr_state *st, struct rtr_tables *t, struct rte_mbuf *m, uint16_t ifi);

#endif /* RTR_ICMP_H */
