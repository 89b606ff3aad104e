/* SPDX-License-Identifier: BSD-3-Clause
 * Engine stand-ins for the micro benchmarks (bench/micro_engine.c). */
#ifndef MICRO_ENGINE_H
#define MICRO_ENGINE_H

#include "nfv.h"

/* the mbuf pool nfv_pktmbuf_pool() returns; set before creating a VNF */
extern struct rte_mempool *micro_pool;
/* what nfv_rcu() returns (NULL: the stage under test must not need it) */
extern struct rte_rcu_qsbr *micro_rcu;

#endif /* MICRO_ENGINE_H */
