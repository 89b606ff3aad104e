/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - what the engine offers VNF code: the per-packet metadata dynfield,
 * the worker context and the fast-path verbs nfv_tx / nfv_drop / nfv_punt /
 * nfv_count, plus control-thread services (nfv_ctl_tx, nfv_rcu, mempool).
 *
 * Fast path rules: no locks, no malloc, no syscalls, no logging per packet.
 */
#ifndef NFV_H
#define NFV_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "model.h"
#include "vnf.h"

#define NFV_BURST 32
#define NFV_TX_BUF 64 /* per worker per port; flushed when full, on timer */

/* ---- per-packet metadata: one registered mbuf dynfield ----
 * Before the first stage the engine sets chain, in_port (= m->port),
 * out_port (the chain's fixed egress, else NFV_PORT_NONE) and flags = 0, unless every stage of the chain is a class with no_meta set.
 * nfv_punt() sets vnf. The other fields are VNF scratch. */
struct nfv_mbuf_meta {
	struct nfv_vnf *vnf; /* punt: the instance that punted it */
	uint32_t nh;         /* VNF scratch: next-hop id etc. */
	uint16_t chain;      /* chain index in the running pipeline */
	uint16_t in_port;    /* DPDK port id it arrived on */
	uint16_t out_port;   /* DPDK port id chosen for egress */
	uint8_t stage;       /* stage index being run */
	uint8_t flags;       /* NFV_META_* */
	uint16_t vlan;       /* VNF scratch: VLAN id parsed, 0 = none */
	uint16_t l3_off;     /* VNF scratch: offset of L3 header */
};
static_assert(sizeof(struct nfv_mbuf_meta) <= 24, "nfv_mbuf_meta too big for the dynfield");

#define NFV_PORT_NONE UINT16_MAX

/* nfv_mbuf_meta.flags */
#define NFV_META_TRACE 0x01 /* the packet is traced (nfvctl trace): see nfv_traced() */

extern int nfv_meta_offset;
static inline struct nfv_mbuf_meta *
nfv_meta(struct rte_mbuf *m)
{
	return RTE_MBUF_DYNFIELD(m, nfv_meta_offset, struct nfv_mbuf_meta *);
}
/* Register the dynfield (idempotent). Unit tests call it after
 * rte_eal_init or with a fake offset (nfv_meta_offset is a plain int). */
int nfv_meta_register(void);

/* ---- a running VNF instance ---- */
struct nfv_vnf {
	char name[NFV_NAME_MAX];
	const struct vnf_class *cls;
	void *priv;       /* class state, owned by the class (create/destroy) */
	const void *conf; /* the conf it was created/reconfigured with (engine owned) */
	uint16_t id;      /* stable while the instance lives */
	uint16_t ctr_n;   /* n_counters + n_drops */
	uint32_t ctr_stride; /* uint64 per lcore row (cache-line padded) */
	uint64_t *ctr;    /* [RTE_MAX_LCORE][ctr_stride] */
	uint32_t refs;    /* pipelines using it (control thread only) */
};

/* ---- tx buffer of a worker on one port ---- */
struct nfv_txq {
	uint16_t n;
	uint16_t qid;
	uint8_t shared; /* queue shared with another thread: take the port lock */
	uint64_t held_tsc; /* when the device first refused what is held, 0: nothing held */
	uint64_t drops;    /* packets for this port dropped here (link down, held too long) */
	struct rte_mbuf *pkts[NFV_TX_BUF];
};

/* ---- worker context ---- */
struct nfv_worker {
	unsigned int lcore;
	uint16_t idx;       /* 0..n_workers-1 */
	uint64_t now_tsc;   /* tsc at the start of the current burst */
	struct rte_ring *punt;       /* SP/SC ring to the control thread */
	uint16_t n_drop;
	uint16_t rxq;                /* rx queue of the burst being run (trace) */
	uint8_t punted;              /* this pass punted: wake the control thread */
	/* non-NULL only while a chain runs a burst holding traced packets
	 * (nfvctl trace): the drop/punt verbs record them then */
	struct nfv_trace_wk *trace;
	struct rte_mbuf *drop[2 * NFV_BURST];
	uint64_t *eng_ctr;           /* engine drop counters row for this lcore */
	uint64_t *chain_ctr;         /* counters row of the chain being run (rx, -, drop);
				      * unit tests: point it at a uint64_t[3] scratch array */
	struct nfv_txq tx[RTE_MAX_ETHPORTS];
} __rte_cache_aligned;

/* Engine drop reasons (per lcore, summed in stats): symbol, name, meaning */
#define NFV_ENGINE_DROPS(_)                                                                        \
	_(NFV_DROP_NO_CHAIN, "no-chain",                                                           \
	  "no chain takes packets from this ingress port (or none matched)")                       \
	_(NFV_DROP_NO_EGRESS, "no-egress", "the chain has no egress port and no stage picked one") \
	_(NFV_DROP_TX_FULL, "tx-full",                                                             \
	  "the port kept refusing packets (tx ring full) past the hold time")                      \
	_(NFV_DROP_PUNT_FULL, "punt-full",                                                         \
	  "the ring to the control thread was full (slow-path overload)")                          \
	_(NFV_DROP_BAD_PORT, "bad-port", "sent to a port that is not started")                     \
	_(NFV_DROP_STAGE_DOWN, "stage-down", "a stage of the chain was down")                      \
	_(NFV_DROP_LINK_DOWN, "link-down", "sent to a port whose link is down")
enum { NFV_ENGINE_DROPS(VNF_ENUM) NFV_DROP_ENGINE_MAX };

/* Flush one tx buffer now (worker). What the device refuses stays buffered
 * for the next flush; what it still refuses NFV_TX_HOLD_US after the first
 * refusal is freed and counted once (tx-full), and so is everything for a
 * port whose link is down (link-down). Returns packets sent. */
uint16_t nfv_txq_flush(struct nfv_worker *w, uint16_t port);

/* Queue m for transmission on DPDK port `port`. */
static inline void
nfv_tx(struct nfv_worker *w, uint16_t port, struct rte_mbuf *m)
{
	struct nfv_txq *q = &w->tx[port & (RTE_MAX_ETHPORTS - 1)];

	q->pkts[q->n++] = m;
	if (unlikely(q->n == NFV_TX_BUF))
		nfv_txq_flush(w, port);
}

/* Queue a burst for transmission on one port. */
static inline void
nfv_tx_burst(struct nfv_worker *w, uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	struct nfv_txq *q = &w->tx[port & (RTE_MAX_ETHPORTS - 1)];

	while (n > 0) {
		uint16_t room = NFV_TX_BUF - q->n;
		uint16_t k = n < room ? n : room;

		memcpy(&q->pkts[q->n], pkts, k * sizeof(pkts[0]));
		q->n += k;
		pkts += k;
		n -= k;
		if (q->n == NFV_TX_BUF)
			nfv_txq_flush(w, port);
	}
}

/* Counter idx (0..n_counters-1) of vnf on this lcore. */
static inline void
nfv_count(struct nfv_worker *w, struct nfv_vnf *vnf, uint16_t idx, uint64_t inc)
{
	vnf->ctr[(size_t)w->lcore * vnf->ctr_stride + idx] += inc;
}

void nfv_drop_flush(struct nfv_worker *w);

/* ---- packet trace (nfvctl trace, dataplane/trace.c) ----
 * While a trace runs, the engine marks the packets it traces at rx
 * (NFV_META_TRACE) and records for each the chain, every stage's verdict
 * (pass, drop and reason, punt, sent) and the tx port or drop reason. A
 * stage adds its reason in its own terms for traced packets only:
 *
 *   if (nfv_traced(w, m))
 *           nfv_trace_note(w, vnf, m, "route %4/%u via %4", NULL, pfx, len, nh);
 *
 * fmt is a string literal (kept by pointer: formatted on the control thread
 * at "trace show"), str is copied (up to 39 bytes, e.g. a rule name), and
 * the args take the fmt's conversions in order: %u %d %x (an arg), %4 (an
 * IPv4 address as read from the header, network order), %6 (an IPv6
 * address: 16 bytes in two args, see nfv_trace_ip6), %p (a DPDK port id,
 * shown by name), %s (str), %%. No allocation, no syscall. */
void nfv_trace_note(struct nfv_worker *w, const struct nfv_vnf *vnf, const struct rte_mbuf *m,
		    const char *fmt, const char *str, uint64_t a0, uint64_t a1, uint64_t a2);
/* The same from the control thread, for a packet a stage punted (e.g. the
 * ICMP error the punt hook sent). */
void nfv_trace_ctl_note(const struct nfv_vnf *vnf, struct rte_mbuf *m, const char *fmt,
			const char *str, uint64_t a0, uint64_t a1, uint64_t a2);
/* engine hooks of the verbs below (only while w->trace is set) */
void nfv_trace_drop(struct nfv_worker *w, const struct nfv_vnf *vnf, const struct rte_mbuf *m,
		    uint16_t reason);
void nfv_trace_punt(struct nfv_worker *w, const struct nfv_vnf *vnf, const struct rte_mbuf *m);

/* The trace hooks are compiled in unless the build says otherwise
 * (meson -Dtrace_hooks=false: a benchmark baseline only, bench/trace_cost.py;
 * nfvctl trace start is refused then). */
#ifndef NFV_TRACE_HOOKS
#define NFV_TRACE_HOOKS 1
#endif

/* Does a burst with traced packets run on w? One load of the worker's hot
 * line when no trace runs. */
static inline bool
nfv_tracing(const struct nfv_worker *w)
{
	return NFV_TRACE_HOOKS && unlikely(w->trace != NULL);
}

/* Is m traced? */
static inline bool
nfv_traced(const struct nfv_worker *w, struct rte_mbuf *m)
{
	return nfv_tracing(w) && (nfv_meta(m)->flags & NFV_META_TRACE);
}

/* The two args of a %6 conversion from an IPv6 address's 16 bytes. */
static inline uint64_t
nfv_trace_ip6(const void *a16, int half)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)a16 + 8 * half, sizeof(v));
	return v;
}

/* Drop m, counting it under the vnf's drop reason (0..n_drops-1). */
static inline void
nfv_drop(struct nfv_worker *w, struct nfv_vnf *vnf, struct rte_mbuf *m, uint16_t reason)
{
	if (nfv_tracing(w))
		nfv_trace_drop(w, vnf, m, reason);
	vnf->ctr[(size_t)w->lcore * vnf->ctr_stride + vnf->cls->n_counters + reason]++;
	w->chain_ctr[2]++;
	w->drop[w->n_drop++] = m;
	if (unlikely(w->n_drop == RTE_DIM(w->drop)))
		nfv_drop_flush(w);
}

/* Drop m under an engine reason (NFV_DROP_*). */
static inline void
nfv_drop_engine(struct nfv_worker *w, struct rte_mbuf *m, uint16_t reason)
{
	if (nfv_tracing(w))
		nfv_trace_drop(w, NULL, m, reason);
	w->eng_ctr[reason]++;
	w->chain_ctr[2]++;
	w->drop[w->n_drop++] = m;
	if (unlikely(w->n_drop == RTE_DIM(w->drop)))
		nfv_drop_flush(w);
}

/* Send m to vnf->cls->punt() on the control thread. */
static inline void
nfv_punt(struct nfv_worker *w, struct nfv_vnf *vnf, struct rte_mbuf *m)
{
	nfv_meta(m)->vnf = vnf;
	if (nfv_tracing(w))
		nfv_trace_punt(w, vnf, m);
	if (unlikely(rte_ring_sp_enqueue(w->punt, m) != 0))
		nfv_drop_engine(w, m, NFV_DROP_PUNT_FULL);
	else
		w->punted = 1;
}

/* ---- control thread services ---- */
/* Transmit from the control thread (its own tx queue). Frees what the port
 * does not take. Returns the number sent. */
uint16_t nfv_ctl_tx(uint16_t port, struct rte_mbuf **pkts, uint16_t n);
/* The mempool packets are allocated from (for replies built on control). */
struct rte_mempool *nfv_pktmbuf_pool(void);
/* QSBR variable every worker reports to; for reconfigure() grace periods:
 * rte_rcu_qsbr_synchronize(nfv_rcu(), RTE_QSBR_THRID_INVALID). */
struct rte_rcu_qsbr *nfv_rcu(void);
/* DPDK port id of the chain file's port index / name, or -ENOENT. */
int nfv_port_id(const struct nfv_config *cfg, uint16_t port_index);
int nfv_port_by_name(const char *name);
/* Link of DPDK port `port` as the control thread last polled it: 1 up, 0
 * down, -1 unknown (not polled yet, a tap whose interface is in another
 * network namespace). Control thread. */
int nfv_port_link(uint16_t port);
/* Number of workers (for per-worker state arrays). */
uint16_t nfv_n_workers(void);
/* Milliseconds since an arbitrary start (monotonic). */
uint64_t nfv_now_ms(void);

#endif /* NFV_H */
