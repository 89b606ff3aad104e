/* SPDX-License-Identifier: BSD-3-Clause
 * Set-up of the micro benchmarks (bench/micro_engine.c); the engine
 * services are nfv_fake's (nfv_fake.h). */
#ifndef MICRO_ENGINE_H
#define MICRO_ENGINE_H

#include "nfv_fake.h"

/* EAL on lcore 0 without hugepages (memory_mb), the nfvd metadata
 * dynfield, nfv_fake.pool of mbufs (what nfv_pktmbuf_pool() returns),
 * nfv_fake.recycle. nfv_fake.rcu (nfv_rcu()) is the benchmark's to set, if
 * the stage needs one. 0 or -1 (reason on stderr). */
int micro_engine_init(const char *prog, unsigned int memory_mb, unsigned int mbufs);

/* An mbuf of nfv_fake.pool holding len zeroed bytes (*data), with dst (NULL:
 * none) as destination MAC, 02:00:00:00:00:01 as source and ethertype
 * (host order) at 12; exits when the pool is empty. */
struct rte_mbuf *micro_frame_alloc(uint16_t len, const struct rte_ether_addr *dst,
				   uint16_t ethertype, uint8_t **data);

#endif /* MICRO_ENGINE_H */
