/* SPDX-License-Identifier: BSD-3-Clause
 * The engine services a VNF stage calls, for the micro benchmarks
 * (bench/fw_micro.c, bench/rtr_micro.c) that run one stage with no ports
 * and no engine: mbufs from micro_pool, nothing is sent, nothing waits.
 */
#include <errno.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "micro_engine.h"

int nfv_meta_offset = -1;
struct rte_mempool *micro_pool;
struct rte_rcu_qsbr *micro_rcu;

struct rte_mempool *
nfv_pktmbuf_pool(void)
{
	return micro_pool;
}

struct rte_rcu_qsbr *
nfv_rcu(void)
{
	return micro_rcu;
}

int
nfv_port_id(const struct nfv_config *cfg, uint16_t i)
{
	return i < cfg->n_ports ? i : -ENOENT;
}

uint64_t
nfv_now_ms(void)
{
	return rte_rdtsc() / (rte_get_tsc_hz() / 1000);
}

uint16_t
nfv_ctl_tx(uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	(void)port;
	rte_pktmbuf_free_bulk(pkts, n);
	return n;
}

void
nfv_drop_flush(struct nfv_worker *w)
{
	w->n_drop = 0; /* the benchmarks reuse their mbufs */
}

uint16_t
nfv_txq_flush(struct nfv_worker *w, uint16_t port)
{
	w->tx[port].n = 0;
	return 0;
}
