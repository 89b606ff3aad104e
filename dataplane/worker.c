/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - the worker loop: rx burst -> classify -> chain stages -> tx
 * buffers, run to completion. One quiescent-state report per iteration.
 */
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_prefetch.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "engine_priv.h"
#include "trace.h"
#include "tunnel.h"

int nfv_meta_offset = -1;

int
nfv_meta_register(void)
{
	static const struct rte_mbuf_dynfield desc = {
		.name = "nfvd_meta",
		.size = sizeof(struct nfv_mbuf_meta),
		.align = __alignof__(struct nfv_mbuf_meta),
	};
	int off;

	if (nfv_meta_offset >= 0)
		return 0;
	off = rte_mbuf_dynfield_register(&desc);
	if (off < 0)
		return -rte_errno;
	nfv_meta_offset = off;
	return 0;
}

/* Free everything q holds, counted once under reason and
 * on the port's tx drops. */
static void
txq_drop_held(struct nfv_worker *w, struct nfv_txq *q, uint16_t reason)
{
	w->eng_ctr[reason] += q->n;
	q->drops += q->n;
	rte_pktmbuf_free_bulk(q->pkts, q->n);
	q->n = 0;
	q->held_tsc = 0;
}

uint16_t
nfv_txq_flush(struct nfv_worker *w, uint16_t port)
{
	struct nfv_txq *q = &w->tx[port & (RTE_MAX_ETHPORTS - 1)];
	struct nfv_port_rt *pr = &nfv_ports[port & (RTE_MAX_ETHPORTS - 1)];
	uint16_t sent, n = q->n;
	uint64_t now;

	if (n == 0)
		return 0;
	if (unlikely(pr->tunnel != NULL)) /* encapsulated onto its underlay */
		return nfv_tunnel_flush(w, pr->tunnel);
	if (unlikely(!pr->started)) {
		w->eng_ctr[NFV_DROP_BAD_PORT] += n;
		rte_pktmbuf_free_bulk(q->pkts, n);
		q->n = 0;
		q->held_tsc = 0;
		return 0;
	}
	/* The control thread saw the link down (a plain flag it sets from its
	 * link poll): the device is not asked, nothing waits for the link to
	 * come back, each packet is counted once. */
	if (unlikely(pr->tx_down)) {
		txq_drop_held(w, q, NFV_DROP_LINK_DOWN);
		return 0;
	}
	if (unlikely(q->shared))
		rte_spinlock_lock(&pr->txq_lock[q->qid]);
	sent = rte_eth_tx_burst(port, q->qid, q->pkts, n);
	if (unlikely(q->shared))
		rte_spinlock_unlock(&pr->txq_lock[q->qid]);
	if (likely(sent == n)) {
		q->n = 0;
		q->held_tsc = 0;
		return sent;
	}
	/* The device is busy (a full ring, a kernel tap backlog): keep what it
	 * did not take for the next flush, 100 us later. What it still refuses
	 * NFV_TX_HOLD_US after its first refusal, or when the buffer has no
	 * room left for another burst, is dropped (a stuck device must not
	 * hold packets to send them late, nor be asked again and again). */
	q->n = n - sent;
	memmove(q->pkts, q->pkts + sent, q->n * sizeof(q->pkts[0]));
	now = rte_rdtsc();
	if (q->held_tsc == 0 || sent > 0)
		q->held_tsc = now; /* the device moves: the bound starts again */
	if (q->n > NFV_TX_BUF - NFV_BURST || now - q->held_tsc > nfv_eng.tx_hold_tsc)
		txq_drop_held(w, q, NFV_DROP_TX_FULL);
	return sent;
}

/* At stop: what a device still refuses after a few tries is dropped. */
static void
nfv_txq_drain(struct nfv_worker *w, uint16_t port)
{
	struct nfv_txq *q = &w->tx[port];

	for (int tries = 0; tries < 100 && q->n; tries++)
		nfv_txq_flush(w, port);
	if (q->n)
		txq_drop_held(w, q, NFV_DROP_TX_FULL);
}

void
nfv_drop_flush(struct nfv_worker *w)
{
	if (w->n_drop) {
		rte_pktmbuf_free_bulk(w->drop, w->n_drop);
		w->n_drop = 0;
	}
}

static bool
prefix_match4(const struct cfg_prefix *p, rte_be32_t a)
{
	uint32_t mask = p->len ? ~0u << (32 - p->len) : 0;

	return (rte_be_to_cpu_32(a) & mask) == (rte_be_to_cpu_32(p->v4.s_addr) & mask);
}

static bool
prefix_match6(const struct cfg_prefix *p, const uint8_t *a)
{
	unsigned int full = p->len / 8, rem = p->len % 8;

	if (memcmp(a, p->v6.s6_addr, full) != 0)
		return false;
	if (rem == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rem));
	return (a[full] & mask) == (p->v6.s6_addr[full] & mask);
}

/* Classification on a packet: headers read in place, nothing written. */
bool
nfv_match_pkt(const struct nfv_match *m, struct rte_mbuf *pkt)
{
	const uint8_t *d = rte_pktmbuf_mtod(pkt, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(pkt), off = sizeof(struct rte_ether_hdr);
	uint16_t et, vlan = 0;
	uint8_t proto = 0;
	const uint8_t *l4 = NULL;
	uint32_t l4len = 0;

	if (len < off)
		return false;
	et = rte_be_to_cpu_16(((const struct rte_ether_hdr *)d)->ether_type);
	if (et == RTE_ETHER_TYPE_VLAN) {
		if (len < off + 4)
			return false;
		vlan = rte_be_to_cpu_16(*(const uint16_t *)(d + off)) & 0xfff;
		et = rte_be_to_cpu_16(*(const uint16_t *)(d + off + 2));
		off += 4;
	}
	if (m->has_vlan && vlan != m->vlan)
		return false;
	if (m->has_ethertype && et != m->ethertype)
		return false;
	if (!m->has_proto && !m->has_src && !m->has_dst && !m->has_sport && !m->has_dport)
		return true;
	if (et == RTE_ETHER_TYPE_IPV4) {
		const struct rte_ipv4_hdr *ip = (const void *)(d + off);
		uint32_t ihl;

		if (len < off + sizeof(*ip))
			return false;
		ihl = (ip->version_ihl & 0xf) * 4u;
		proto = ip->next_proto_id;
		if ((m->has_src && (m->src.family != AF_INET || !prefix_match4(&m->src, ip->src_addr))) ||
		    (m->has_dst && (m->dst.family != AF_INET || !prefix_match4(&m->dst, ip->dst_addr))))
			return false;
		if (len >= off + ihl && !(ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK))) {
			l4 = d + off + ihl;
			l4len = len - off - ihl;
		}
	} else if (et == RTE_ETHER_TYPE_IPV6) {
		const struct rte_ipv6_hdr *ip6 = (const void *)(d + off);

		if (len < off + sizeof(*ip6))
			return false;
		proto = ip6->proto;
		if ((m->has_src && (m->src.family != AF_INET6 || !prefix_match6(&m->src, ip6->src_addr))) ||
		    (m->has_dst && (m->dst.family != AF_INET6 || !prefix_match6(&m->dst, ip6->dst_addr))))
			return false;
		l4 = d + off + sizeof(*ip6);
		l4len = len - off - sizeof(*ip6);
	} else {
		return false;
	}
	if (m->has_proto && proto != m->proto)
		return false;
	if (m->has_sport || m->has_dport) {
		uint16_t sp, dp;

		if ((proto != IPPROTO_TCP && proto != IPPROTO_UDP && proto != IPPROTO_SCTP) ||
		    l4 == NULL || l4len < 4)
			return false;
		sp = rte_be_to_cpu_16(*(const uint16_t *)l4);
		dp = rte_be_to_cpu_16(*(const uint16_t *)(l4 + 2));
		if (m->has_sport && (sp < m->sport_lo || sp > m->sport_hi))
			return false;
		if (m->has_dport && (dp < m->dport_lo || dp > m->dport_hi))
			return false;
	}
	return true;
}

/* What leaves a chain whose stages pick the egress (a router before other
 * stages): runs of packets for the same port go out as one burst. */
static inline void
chain_tx_by_meta(struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t start = 0;

	while (start < n) {
		uint16_t port = nfv_meta(pkts[start])->out_port, end = start + 1;

		while (end < n && nfv_meta(pkts[end])->out_port == port)
			end++;
		if (likely(port != NFV_PORT_NONE)) {
			nfv_tx_burst(w, port, pkts + start, end - start);
		} else {
			for (uint16_t i = start; i < end; i++)
				nfv_drop_engine(w, pkts[i], NFV_DROP_NO_EGRESS);
		}
		start = end;
	}
}

/* The stages, then what leaves the chain. traced (a constant at each call)
 * adds the trace's hooks: the untraced path has none. */
static inline __attribute__((always_inline)) void
chain_stages(const struct nfv_chain_rt *c, struct nfv_worker *w, uint8_t first,
	     struct rte_mbuf **pkts, uint16_t n, const bool traced)
{
	for (uint16_t s = first; s < c->n_stages && n > 0; s++) {
		struct nfv_vnf *v = c->stages[s];

		if (traced)
			nfv_trace_stage_begin(w, v, (uint8_t)s);
		n = v->cls->process(v, w, pkts, n);
		if (traced)
			nfv_trace_stage_end(w, pkts, n);
	}
	if (n == 0)
		return;
	if (c->meta_egress) {
		if (traced)
			nfv_trace_chain_tx(w, pkts, n, NFV_PORT_NONE);
		chain_tx_by_meta(w, pkts, n);
	} else if (c->egress >= 0) {
		if (traced)
			nfv_trace_chain_tx(w, pkts, n, (uint16_t)c->egress);
		nfv_tx_burst(w, (uint16_t)c->egress, pkts, n);
	} else {
		for (uint16_t i = 0; i < n; i++)
			nfv_drop_engine(w, pkts[i], NFV_DROP_NO_EGRESS);
	}
}

/* A burst while nfvctl trace runs: out of line and cold, so the untraced
 * path of chain_run keeps its size and layout (one load and one branch
 * more than a build without the hooks). */
static __rte_noinline __attribute__((cold)) void
chain_run_traced(const struct nfv_chain_rt *c, struct nfv_worker *w, const struct nfv_bind *b,
		 struct nfv_trace *t, struct rte_mbuf **pkts, uint16_t n)
{
	if (nfv_trace_rx(t, w, c->name, b->stage, pkts, n) > 0) {
		chain_stages(c, w, b->stage, pkts, n, true);
		nfv_trace_end(w);
		return;
	}
	chain_stages(c, w, b->stage, pkts, n, false);
}

static inline void
chain_run(const struct nfv_pipeline *p, struct nfv_worker *w, const struct nfv_bind *b,
	  struct rte_mbuf **pkts, uint16_t n)
{
	const struct nfv_chain_rt *c = &p->chains[b->chain];
	struct nfv_trace *t;

	w->chain_ctr = &p->chain_ctr[((size_t)w->lcore * NFV_MAX_CHAINS + b->chain) *
				     NFV_CHAIN_CTR_MAX];
	w->chain_ctr[NFV_CHAIN_RX] += n;
	/* packets resumed after a stage that picks the egress (a guest after
	 * a router) never met it: they need the chain's default out_port */
	if (c->fill_meta || (c->meta_egress && b->stage > 0)) {
		/* the chain's fixed egress, until a stage (a router) picks one */
		uint16_t out_port = c->egress >= 0 ? (uint16_t)c->egress : NFV_PORT_NONE;

		for (uint16_t i = 0; i < n; i++) {
			struct nfv_mbuf_meta *md = nfv_meta(pkts[i]);

			md->chain = b->chain;
			md->in_port = pkts[i]->port;
			md->out_port = out_port;
			md->flags = 0;
		}
	}
	/* nfvctl trace: the one branch a burst pays when no trace runs */
	if (NFV_TRACE_HOOKS) {
		t = atomic_load_explicit(&nfv_eng.trace, memory_order_acquire);
		if (unlikely(t != NULL)) {
			chain_run_traced(c, w, b, t, pkts, n);
			return;
		}
	}
	chain_stages(c, w, b->stage, pkts, n, false);
}

/* A port whose PMD leaves mbuf->port as the sender set it (a shared ring
 * from nfv-gen or another process): set it where something reads it, a
 * chain stage or a trace. A chain without stages forwards the frames with
 * their lines untouched: the sender's core, which frees and refills them,
 * finds them in its cache (over a shared ring a write here made every
 * frame's first line cross the cores twice). */
static inline void
pipeline_set_port(const struct nfv_pipeline *p, uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	if (!p->port_read[port] &&
	    (!NFV_TRACE_HOOKS ||
	     atomic_load_explicit(&nfv_eng.trace, memory_order_relaxed) == NULL))
		return;
	/* The stages will read and write every frame's two mbuf lines (this
	 * port id, the metadata) and its first data line, all last written
	 * on the sender's core: a miss each that costs a line's trip between
	 * the cores (bench/xcore-lines: ~600 TSC cycles on the lab VM),
	 * taken one after the other when the stages meet them. Ask for all
	 * of the burst's lines at once, for writing, so the misses overlap.
	 * The data line's address is guessed without reading the mbuf (the
	 * sender's pool has no private area and the default headroom, as
	 * nfv-gen's and nfvd's have): a wrong guess costs a useless prefetch. */
	for (uint16_t i = 0; i < n; i++) {
		const char *m = (const char *)pkts[i];

		rte_prefetch0_write(m);
		rte_prefetch0_write(m + RTE_CACHE_LINE_SIZE);
		rte_prefetch0_write(m + sizeof(struct rte_mbuf) + RTE_PKTMBUF_HEADROOM);
	}
	for (uint16_t i = 0; i < n; i++)
		pkts[i]->port = port;
}

void
nfv_pipeline_run(const struct nfv_pipeline *p, struct nfv_worker *w, uint16_t port,
		 struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t nb = p->n_bind[port];
	const struct nfv_bind *b = p->bind[port];

	if (unlikely(nfv_ports[port].rx_port_unset))
		pipeline_set_port(p, port, pkts, n);

	if (likely(nb == 1 && !b[0].has_match)) {
		chain_run(p, w, &b[0], pkts, n);
		return;
	}
	if (nb == 0) {
		w->eng_ctr[NFV_DROP_NO_CHAIN] += n;
		rte_pktmbuf_free_bulk(pkts, n);
		return;
	}
	/* Several chains on this port: split the burst by first matching
	 * binding, keeping packet order within each chain. */
	struct rte_mbuf *grp[NFV_MAX_BIND][NFV_BURST];
	uint16_t cnt[NFV_MAX_BIND] = {0};
	uint16_t none = 0;
	struct rte_mbuf *nomatch[NFV_BURST];

	for (uint16_t i = 0; i < n; i++) {
		uint16_t k;

		for (k = 0; k < nb; k++)
			if (!b[k].has_match || nfv_match_pkt(&b[k].match, pkts[i]))
				break;
		if (k < nb)
			grp[k][cnt[k]++] = pkts[i];
		else
			nomatch[none++] = pkts[i];
	}
	for (uint16_t k = 0; k < nb; k++)
		if (cnt[k])
			chain_run(p, w, &b[k], grp[k], cnt[k]);
	if (none) {
		w->eng_ctr[NFV_DROP_NO_CHAIN] += none;
		rte_pktmbuf_free_bulk(nomatch, none);
	}
}

static void
worker_flush_all(struct nfv_worker *w, bool final)
{
	for (uint16_t p = 0; p < RTE_MAX_ETHPORTS; p++) {
		if (w->tx[p].n == 0)
			continue;
		if (final)
			nfv_txq_drain(w, p);
		else
			nfv_txq_flush(w, p);
	}
	nfv_drop_flush(w);
}

void
nfv_sigio_mask(int how)
{
	sigset_t io;

	sigemptyset(&io);
	sigaddset(&io, SIGIO);
	pthread_sigmask(how, &io, NULL);
}

/* One pass of the worker loop: every rx queue once, the chains, the tx
 * drain timer. Returns the packets received. Busy time and naps are the
 * caller's (the worker's own loop, or the control thread's in the one-CPU
 * mode). */
static inline uint64_t
worker_pass(struct nfv_engine *e, struct nfv_worker_rt *wr, uint64_t t0, uint64_t *last_drain)
{
	const struct nfv_pipeline *p = atomic_load_explicit(&e->pipeline, memory_order_acquire);
	struct nfv_worker *w = &wr->w;
	struct rte_mbuf *pkts[NFV_BURST];
	uint64_t got = 0;

	w->now_tsc = t0;
	for (uint16_t i = 0; i < wr->n_rxq; i++) {
		uint16_t port = wr->rxq[i].port;
		uint16_t n;

		if (unlikely(nfv_ports[port].rx_off))
			continue;
		n = rte_eth_rx_burst(port, wr->rxq[i].queue, pkts, NFV_BURST);
		if (n == 0)
			continue;
		got += n;
		w->rxq = wr->rxq[i].queue;
		/* an underlay: tunnel frames decapsulated and run first */
		if (unlikely(nfv_ports[port].tun_ul != NULL) &&
		    (n = nfv_tunnel_rx(p, w, nfv_ports[port].tun_ul, pkts, n)) == 0)
			continue;
		nfv_pipeline_run(p, w, port, pkts, n);
	}
	if (got) {
		nfv_drop_flush(w);
		wr->packets += got;
	}
	if (unlikely(w->punted)) {
		/* the punts' ring tail before the control thread's flag */
		w->punted = 0;
		rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
		nfv_eng_kick(e);
	}
	if (t0 - *last_drain > e->drain_tsc) {
		worker_flush_all(w, false);
		*last_drain = t0;
	}
	wr->iterations++;
	return got;
}

int
nfv_worker_main(void *arg)
{
	struct nfv_worker_rt *wr = arg;
	struct nfv_worker *w = &wr->w;
	struct nfv_engine *e = &nfv_eng;
	uint64_t last_drain = rte_rdtsc();

	rte_rcu_qsbr_thread_register(e->qsv, w->idx);
	rte_rcu_qsbr_thread_online(e->qsv, w->idx);

	uint64_t prev_t0 = last_drain, prev_got = 0;
	/* the nap doubles while rx stays idle, up to NFV_IDLE_SLEEP_MAX_US
	 * (or idle_sleep_us when that is longer), back to idle_sleep_us at
	 * the first packet */
	const uint32_t nap_max = RTE_MAX(e->idle_sleep_us, (uint32_t)NFV_IDLE_SLEEP_MAX_US);
	uint32_t nap_us = e->idle_sleep_us;
	unsigned int empty = 0;

	/* the tap PMD's rx trigger signal is for the threads that poll rx
	 * (blocked everywhere else, see nfv_engine_start); it also ends a nap early */
	nfv_sigio_mask(SIG_UNBLOCK);
	/* naps of tens of microseconds, not the default 50 us of slack */
	if (e->idle_sleep_us)
		prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);

	while (!atomic_load_explicit(&e->stop, memory_order_relaxed)) {
		/* one TSC read per iteration: it stamps the burst, times the
		 * drain, and closes the busy time of the previous iteration */
		uint64_t t0 = rte_rdtsc();
		uint64_t got;

		if (prev_got)
			wr->busy_cycles += t0 - prev_t0;
		got = worker_pass(e, wr, t0, &last_drain);
		prev_t0 = t0;
		prev_got = got;
		rte_rcu_qsbr_quiescent(e->qsv, w->idx);
		/* idle-sleep: after NFV_IDLE_POLLS empty polls, send what is
		 * buffered and yield the CPU for a nap (never while busy);
		 * each nap without a packet since doubles the next one */
		if (got) {
			empty = 0;
			nap_us = e->idle_sleep_us;
		} else if (e->idle_sleep_us && ++empty >= NFV_IDLE_POLLS) {
			struct timespec nap = {nap_us / US_PER_S, (long)(nap_us % US_PER_S) * 1000};

			worker_flush_all(w, false);
			last_drain = t0;
			nanosleep(&nap, NULL);
			wr->naps++;
			nap_us = RTE_MIN(nap_us * 2, nap_max);
		}
	}
	/* stop: rx is no longer polled; drain what is buffered */
	worker_flush_all(w, true);
	rte_rcu_qsbr_thread_offline(e->qsv, w->idx);
	rte_rcu_qsbr_thread_unregister(e->qsv, w->idx);
	return 0;
}

/* ---- the one-CPU mode: the control thread is the worker ----
 * Two threads on one CPU hand every punted packet over by a context
 * switch (on this kind of VM one costs ~20 us) and, while rx is busy, the
 * control thread waits for the worker's time slice to end (milliseconds).
 * So the control thread runs the worker's passes itself, between its own
 * tasks: online for RCU only during the passes. */
static struct {
	uint64_t last_drain;
	uint32_t nap_us, nap_max;
	unsigned int empty;
} wk_inline;

void
nfv_worker_inline_start(struct nfv_worker_rt *wr)
{
	struct nfv_engine *e = &nfv_eng;

	rte_rcu_qsbr_thread_register(e->qsv, wr->w.idx);
	wk_inline.last_drain = rte_rdtsc();
	wk_inline.nap_us = e->idle_sleep_us;
	wk_inline.nap_max = RTE_MAX(e->idle_sleep_us, (uint32_t)NFV_IDLE_SLEEP_MAX_US);
	wk_inline.empty = 0;
	/* this thread polls rx now: the tap PMD's rx trigger (SIGIO) is for
	 * it (its handler counts the signal; without it a tap queue reads
	 * nothing), and it ends a nap early */
	nfv_sigio_mask(SIG_UNBLOCK);
	if (e->idle_sleep_us)
		prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
}

uint64_t
nfv_worker_inline_poll(struct nfv_worker_rt *wr)
{
	struct nfv_engine *e = &nfv_eng;
	uint64_t t0 = rte_rdtsc(), got;

	rte_rcu_qsbr_thread_online(e->qsv, wr->w.idx);
	got = worker_pass(e, wr, t0, &wk_inline.last_drain);
	rte_rcu_qsbr_thread_offline(e->qsv, wr->w.idx);
	if (got) {
		wr->busy_cycles += rte_rdtsc() - t0;
		wk_inline.empty = 0;
		wk_inline.nap_us = e->idle_sleep_us;
	} else {
		wk_inline.empty++;
	}
	return got;
}

void
nfv_worker_inline_nap(struct nfv_worker_rt *wr, bool pending)
{
	struct nfv_engine *e = &nfv_eng;
	uint32_t us;
	struct timespec nap;

	if (!e->idle_sleep_us || wk_inline.empty < NFV_IDLE_POLLS)
		return;
	/* work in flight (ACKs waiting on their journal batch): short naps */
	us = pending ? e->idle_sleep_us : wk_inline.nap_us;
	nap.tv_sec = us / US_PER_S;
	nap.tv_nsec = (long)(us % US_PER_S) * 1000;
	worker_flush_all(&wr->w, false);
	wk_inline.last_drain = rte_rdtsc();
	nanosleep(&nap, NULL);
	wr->naps++;
	if (!pending)
		wk_inline.nap_us = RTE_MIN(wk_inline.nap_us * 2, wk_inline.nap_max);
}

void
nfv_worker_inline_stop(struct nfv_worker_rt *wr)
{
	worker_flush_all(&wr->w, true);
	rte_rcu_qsbr_thread_unregister(nfv_eng.qsv, wr->w.idx);
}
