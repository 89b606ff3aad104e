/* SPDX-License-Identifier: BSD-3-Clause
 * Engine stand-ins for the micro benchmarks (bench/micro_engine.c). */
#ifndef MICRO_ENGINE_H
#define MICRO_ENGINE_H

#include "nfv.h"

/* the mbuf pool nfv_pktmbuf_pool() returns; set before creating a VNF */
extern struct rte_mempool *micro_pool;
/* what nfv_rcu() returns (NULL: the stage under test must not need it) */
extern struct rte_rcu_qsbr *micro_rcu;

/* EAL on lcore 0 without hugepages (memory_mb), the nfvd metadata
 * dynfield, micro_pool of mbufs. 0 or -1 (reason on stderr). */
int micro_engine_init(const char *prog, unsigned int memory_mb, unsigned int mbufs);

/* An mbuf of micro_pool holding len zeroed bytes (*data), with dst (NULL:
 * none) as destination MAC, 02:00:00:00:00:01 as source and ethertype
 * (host order) at 12; exits when the pool is empty. */
struct rte_mbuf *micro_frame_alloc(uint16_t len, const struct rte_ether_addr *dst,
				   uint16_t ethertype, uint8_t **data);

#endif /* MICRO_ENGINE_H */
