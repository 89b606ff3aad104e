/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - "capture" class: what the control side (capture_cp.c) and the
 * fast path (capture_dp.c) share.
 */
#ifndef NFV_CAPTURE_H
#define NFV_CAPTURE_H

#include <stdint.h>

#include <rte_mempool.h>
#include <rte_pcapng.h>
#include <rte_ring.h>

#include "builtin_conf.h"
#include "nfv.h"

#define CAP_RING 4096
#define CAP_POOL 8191

#define CAP_COUNTERS(_)           \
	_(CAP_SEEN, "packets")    \
	_(CAP_QUEUED, "captured") \
	_(CAP_FULL, "capture-full")
enum { CAP_COUNTERS(VNF_ENUM) CAP_CTR_MAX };

struct cap_state {
	rte_pcapng_t *pcapng;
	struct rte_mempool *pool;
	uint16_t n_rings;
	struct rte_ring *rings[NFV_MAX_WORKERS];
	uint64_t written;
	uint64_t write_errors;
	/* DPDK 22.11 computes the pcapng time base in a constructor, before EAL
	 * knows the TSC rate, so its timestamps are wrong: we write our own. */
	uint64_t base_ns, base_tsc;
	double ns_per_tsc;
};

/* pcapng enhanced packet block: type, length, interface, ts high, ts low */
#define CAP_EPB_TS_HI 12
#define CAP_EPB_TS_LO 16

uint16_t cap_process(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n);

#endif /* NFV_CAPTURE_H */
