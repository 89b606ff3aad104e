/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - private to the control path: IPv6 router
 * advertisements the router sends itself (router_ra.c, RFC 4861 section 6,
 * RDNSS RFC 8106). Between router_cp.c (which hands it router
 * solicitations, its timers and life cycle) and router_nd.c (the neighbour
 * cache a solicitation updates); uses router_frame.h.
 */
#ifndef RTR_RA_H
#define RTR_RA_H

#include "router_rt.h"

/* RFC 4861 10 (router constants) */
#define RTR_RA_INITIAL 3	   /* MAX_INITIAL_RTR_ADVERTISEMENTS */
#define RTR_RA_INITIAL_MS 16000	   /* MAX_INITIAL_RTR_ADVERT_INTERVAL */
#define RTR_RA_MIN_DELAY_MS 3000   /* MIN_DELAY_BETWEEN_RAS */
#define RTR_RA_DELAY_MS 500	   /* MAX_RA_DELAY_TIME */

/* The ICMPv6 length of an advert for ra (header and options) */
uint16_t rtr_ra_len(const struct rtr_ra_conf *ra);
/* Build the advert of interface f (config ra, and what it withdraws,
 * gone, or NULL) to dst / dst_mac (NULL: all-nodes); final: router
 * lifetime 0 and RDNSS lifetime 0 (RFC 4861 6.2.5). Returns the frame or
 * NULL (counted as no-mbuf). */
struct rte_mbuf *rtr_ra_build(struct rtr_state *st, const struct rtr_if *f,
			      const struct rtr_ra_conf *ra, const struct rtr_ra_gone *gone,
			      const uint8_t *dst, const uint8_t *dst_mac, bool final);
/* A router solicitation that came in on ifi (validated here, RFC 4861
 * 6.1.1); m is consumed */
void rtr_ra_rs_input(struct rtr_state *st, struct rtr_tables *t, struct rte_mbuf *m, uint16_t ifi);
/* Start advertising on every interface of st->conf with ra: (create) */
void rtr_ra_start(struct rtr_state *st, const struct rtr_tables *t);
/* Reconfigure from (old tables, old conf) to (nt, nc), before st->conf
 * changes: a final advert where advertising stops or the interface's
 * port, VLAN, MAC or link-local changes; state carried by interface name;
 * initial fast adverts again where the advert's contents changed */
void rtr_ra_reconf(struct rtr_state *st, const struct rtr_tables *old, const struct rtr_conf *oc,
		   const struct rtr_tables *nt, const struct rtr_conf *nc);
/* Final adverts on every advertising interface (destroy) */
void rtr_ra_stop(struct rtr_state *st, const struct rtr_tables *t);
/* Timers, from the class tick */
void rtr_ra_tick(struct rtr_state *st, const struct rtr_tables *t, uint64_t now_ms);
json_t *rtr_ra_json(const struct rtr_state *st, uint16_t ifi, uint64_t now_ms);

#endif /* RTR_RA_H */
