/* SPDX-License-Identifier: BSD-3-Clause
 * The engine services of dataplane/nfv.h for unit tests and micro
 * benchmarks (see nfv_fake.h).
 */
#include <errno.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#include "nfv_fake.h"

struct nfv_fake nfv_fake;
int nfv_meta_offset = -1;

int
nfv_meta_register(void)
{
	static const struct rte_mbuf_dynfield desc = {
		.name = "nfv_fake_meta",
		.size = sizeof(struct nfv_mbuf_meta),
		.align = __alignof__(struct nfv_mbuf_meta),
	};

	if (nfv_meta_offset < 0)
		nfv_meta_offset = rte_mbuf_dynfield_register(&desc);
	return nfv_meta_offset < 0 ? -rte_errno : 0;
}

struct rte_mempool *
nfv_pktmbuf_pool(void)
{
	return nfv_fake.pool;
}

struct rte_rcu_qsbr *
nfv_rcu(void)
{
	return nfv_fake.rcu;
}

int
nfv_port_id(const struct nfv_config *cfg, uint16_t port_index)
{
	return port_index < cfg->n_ports ? port_index + nfv_fake.port_base : -ENOENT;
}

int
nfv_port_by_name(const char *name)
{
	(void)name;
	return -ENOENT;
}

uint16_t
nfv_n_workers(void)
{
	return 1;
}

uint64_t
nfv_now_ms(void)
{
	if (nfv_fake.now_ms != 0)
		return nfv_fake.now_ms;
	return rte_get_tsc_cycles() / (rte_get_tsc_hz() / 1000);
}

int
nfv_port_link(uint16_t port)
{
	(void)port;
	return nfv_fake.link_down ? 0 : 1;
}

uint16_t
nfv_ctl_tx(uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		if (nfv_fake.n_sent < NFV_FAKE_SENT_MAX) {
			nfv_fake.sent_port[nfv_fake.n_sent] = port;
			nfv_fake.sent[nfv_fake.n_sent++] = pkts[i];
		} else {
			rte_pktmbuf_free(pkts[i]);
		}
	}
	return n;
}

void
nfv_fake_sent_free(void)
{
	for (unsigned int i = 0; i < nfv_fake.n_sent; i++)
		rte_pktmbuf_free(nfv_fake.sent[i]);
	nfv_fake.n_sent = 0;
}

uint16_t
nfv_txq_flush(struct nfv_worker *w, uint16_t port)
{
	struct nfv_txq *q = &w->tx[port & (RTE_MAX_ETHPORTS - 1)];
	uint16_t n = q->n;

	if (!nfv_fake.recycle)
		rte_pktmbuf_free_bulk(q->pkts, q->n);
	q->n = 0;
	return n;
}

void
nfv_drop_flush(struct nfv_worker *w)
{
	if (!nfv_fake.recycle)
		rte_pktmbuf_free_bulk(w->drop, w->n_drop);
	w->n_drop = 0;
}

/* The packet trace: never on without the engine (w->trace stays NULL). */
void
nfv_trace_note(struct nfv_worker *w, const struct nfv_vnf *vnf, const struct rte_mbuf *m,
	       const char *fmt, const char *str, uint64_t a0, uint64_t a1, uint64_t a2)
{
	(void)w, (void)vnf, (void)m, (void)fmt, (void)str, (void)a0, (void)a1, (void)a2;
}

void
nfv_trace_ctl_note(const struct nfv_vnf *vnf, struct rte_mbuf *m, const char *fmt,
		   const char *str, uint64_t a0, uint64_t a1, uint64_t a2)
{
	(void)vnf, (void)m, (void)fmt, (void)str, (void)a0, (void)a1, (void)a2;
}

void
nfv_trace_drop(struct nfv_worker *w, const struct nfv_vnf *vnf, const struct rte_mbuf *m,
	       uint16_t reason)
{
	(void)w, (void)vnf, (void)m, (void)reason;
}

void
nfv_trace_punt(struct nfv_worker *w, const struct nfv_vnf *vnf, const struct rte_mbuf *m)
{
	(void)w, (void)vnf, (void)m;
}
