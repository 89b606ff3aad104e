/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - built-in classes forward, drop, counter, mac-rewrite, runtime
 * halves: what the control side (builtin_cp.c) and the fast path
 * (builtin_dp.c) share. Their confs: builtin_conf.h.
 */
#ifndef NFV_BUILTIN_H
#define NFV_BUILTIN_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#include "builtin_conf.h"
#include "nfv.h"

/* ---- forward ---- */
/* The DPDK port id is one 16-bit word: reconfigure stores it atomically,
 * a worker sends a burst either to the old or to the new port. */
struct fwd_state {
	uint16_t port_id; /* DPDK port id */
};

uint16_t fwd_process(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n);

/* ---- drop ---- */
#define DROP_DROPS(_) _(DROP_POLICY, "policy", "the drop VNF drops everything")
enum { DROP_DROPS(VNF_ENUM) DROP_DROP_MAX };

uint16_t drop_process(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf **pkts,
		      uint16_t n);

/* ---- counter ---- */
#define CNT_COUNTERS(_) _(CNT_PACKETS, "packets") _(CNT_BYTES, "bytes")
enum { CNT_COUNTERS(VNF_ENUM) CNT_MAX };

uint16_t cnt_process(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n);

/* ---- mac-rewrite ---- */
#define MRW_DROPS(_) _(MRW_DROP_RUNT, "runt", "frame shorter than an Ethernet header")
enum { MRW_DROPS(VNF_ENUM) MRW_DROP_MAX };

/* The MACs in use: a private copy published with one atomic pointer store;
 * the old copy is freed after an RCU grace period. */
struct mrw_state {
	struct mrw_conf *rt;
};

uint16_t mrw_process(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n);

#endif /* NFV_BUILTIN_H */
