/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - Prometheus text endpoint (dataplane/metrics.c). Control thread
 * only. Life cycle: nfv_metrics_open (nothing to do when addr is empty),
 * nfv_metrics_poll from the main loop, nfv_metrics_close (never fails).
 */
#ifndef NFV_METRICS_H
#define NFV_METRICS_H

#include <stddef.h>

#include <jansson.h>

/* listen on addr (empty or NULL: no endpoint); 0 or -errno, reason in err */
int nfv_metrics_open(const char *addr, char *err, size_t errlen);
void nfv_metrics_poll(void);
/* The sockets nfv_metrics_poll acts on, for the control loop's idle wait:
 * fills at most max entries of pfd, returns how many (0: none or no room). */
struct pollfd;
unsigned int nfv_metrics_wait_fds(struct pollfd *pfd, unsigned int max);
void nfv_metrics_close(void);
/* stats (nfv_engine_stats() JSON) as Prometheus text; *text is malloc'd */
int nfv_metrics_text(json_t *stats, char **text, size_t *len);

#endif /* NFV_METRICS_H */
