/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - zebra's forwarding plane feed (router_fpm.c): a TCP
 * listener zebra's dplane_fpm_nl connects to, driven from the control
 * thread's loop (class poll) with non-blocking sockets.
 */
#ifndef RTR_FPM_H
#define RTR_FPM_H

#include "router_rt.h"

#define RTR_FPM_COUNTERS(_)                                  \
	_(RTR_FPMC_SESSIONS, "sessions")                      \
	_(RTR_FPMC_SESSIONS_LOST, "sessions-lost")            \
	_(RTR_FPMC_FRAMES, "frames")                          \
	_(RTR_FPMC_ROUTES_SET, "routes-set")                  \
	_(RTR_FPMC_ROUTES_DEL, "routes-deleted")              \
	_(RTR_FPMC_NH_SET, "nexthops-set")                    \
	_(RTR_FPMC_NH_DEL, "nexthops-deleted")                \
	_(RTR_FPMC_NH_UPDATES, "nexthop-route-updates")       \
	_(RTR_FPMC_IGNORED, "ignored")                        \
	_(RTR_FPMC_OTHER_TABLE, "other-table")                \
	_(RTR_FPMC_MALFORMED, "malformed")                    \
	_(RTR_FPMC_BAD_FRAMES, "bad-frames")                  \
	_(RTR_FPMC_UNRESOLVED_NH, "unresolved-nexthops")      \
	_(RTR_FPMC_UNKNOWN_NHID, "unknown-nexthop-ids")       \
	_(RTR_FPMC_NO_NEXTHOP, "routes-without-nexthop")      \
	_(RTR_FPMC_ROUTE_ERRORS, "route-errors")              \
	_(RTR_FPMC_STALE_MARKED, "stale-marked")              \
	_(RTR_FPMC_STALE_REMOVED, "stale-removed")            \
	_(RTR_FPMC_RESYNCS, "resyncs")
enum { RTR_FPM_COUNTERS(VNF_ENUM) RTR_FPMC_MAX };

/* Open the listener of c (c->fpm_listen set). 0 or -errno with err. */
int rtr_fpm_open(struct rtr_state *st, const struct rtr_conf *c, char *err, size_t errlen);
/* A new conf: same address keeps everything; another one opens a new
 * listener first (failure: -errno, nothing changed); none closes it all. */
int rtr_fpm_reconfigure(struct rtr_state *st, const struct rtr_conf *c, char *err, size_t errlen);
void rtr_fpm_close(struct rtr_state *st);
/* Accept, read and apply what zebra sent (bounded work per call); returns
 * non-zero while more is waiting. */
unsigned int rtr_fpm_poll(struct rtr_state *st);
/* The feed's sockets (listener, session) for the control loop's idle
 * wait; fills at most max entries, returns how many. */
struct pollfd;
unsigned int rtr_fpm_wait_fds(const struct rtr_state *st, struct pollfd *pfd, unsigned int max);
void rtr_fpm_stats(struct rtr_state *st, json_t *out);

/* One decoded message applied to the tables (also the bench and the unit
 * tests' entry point). Returns 0 or the counter it was counted under. */
struct rtr_fpm_msg;
int rtr_fpm_apply(struct rtr_state *st, const struct rtr_fpm_msg *m);
/* Every frame of buf (whole frames); returns the bytes used, or -EPROTO
 * after a bad frame header. */
long rtr_fpm_feed(struct rtr_state *st, const uint8_t *buf, size_t len);

#endif /* RTR_FPM_H */
