/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - "capture" fast path: copy with rte_pcapng_copy into the instance's
 * pool, enqueue on this worker's SP/SC ring; full ring or empty pool:
 * count "capture-full", the original continues untouched.
 */
#include <string.h>

#include <rte_mbuf.h>
#include <rte_pcapng.h>
#include <rte_ring.h>

#include "capture.h"

static inline void
cap_stamp(const struct cap_state *st, struct rte_mbuf *cp, uint64_t tsc)
{
	uint64_t ns = st->base_ns + (uint64_t)((double)(tsc - st->base_tsc) * st->ns_per_tsc);
	uint8_t *epb = rte_pktmbuf_mtod(cp, uint8_t *);
	uint32_t hi = (uint32_t)(ns >> 32), lo = (uint32_t)ns;

	memcpy(epb + CAP_EPB_TS_HI, &hi, 4);
	memcpy(epb + CAP_EPB_TS_LO, &lo, 4);
}

uint16_t
cap_process(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct cap_state *st = vnf->priv;
	const struct cap_conf *c = vnf->conf;
	struct rte_mbuf *copies[NFV_BURST];
	uint16_t nc = 0;
	unsigned int q;

	for (uint16_t i = 0; i < n && nc < NFV_BURST; i++) {
		struct rte_mbuf *cp =
			rte_pcapng_copy(pkts[i]->port, 0, pkts[i], st->pool, c->snaplen, w->now_tsc,
					RTE_PCAPNG_DIRECTION_IN);
		if (cp != NULL) {
			cap_stamp(st, cp, w->now_tsc);
			copies[nc++] = cp;
		}
	}
	q = rte_ring_sp_enqueue_burst(st->rings[w->idx], (void **)copies, nc, NULL);
	if (q < nc)
		rte_pktmbuf_free_bulk(copies + q, nc - q);
	nfv_count(w, vnf, CAP_SEEN, n);
	nfv_count(w, vnf, CAP_QUEUED, q);
	if (q < n)
		nfv_count(w, vnf, CAP_FULL, n - q);
	return n;
}
