/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - packet trace (nfvctl trace start/show/stop): engine internals.
 *
 * A trace is built on the control thread (filter compiled, one record
 * buffer per worker preallocated), published with one atomic pointer store
 * and retired after an RCU grace period, like the pipeline. While it runs,
 * a chain's burst passes nfv_trace_rx(): the packets that match (chain,
 * port, pcap filter) get NFV_META_TRACE and a record each, until the
 * worker's buffer holds count records. The worker fills the records (chain,
 * stage verdicts, VNF notes, tx port or drop reason) and publishes them at
 * the end of the burst (done); "show" formats the published records on the
 * control thread. Nothing is allocated or formatted on a worker.
 */
#ifndef NFV_TRACE_H
#define NFV_TRACE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "nfv.h"

#define NFV_TRACE_COUNT_DEFAULT 50
#define NFV_TRACE_COUNT_MAX 1000 /* records per worker */
#define NFV_TRACE_ENTS 16        /* entries per record; more are counted, not kept */
#define NFV_TRACE_STR 40         /* a note's copied string */
#define NFV_TRACE_HEAD 128       /* bytes of the packet kept (its headers) */
#define NFV_TRACE_FILTER_MAX 1024

enum nfv_trace_kind {
	NFV_TRACE_K_NOTE,  /* a stage's reason: fmt + str + args */
	NFV_TRACE_K_PASS,  /* the stage let it continue */
	NFV_TRACE_K_DROP,  /* dropped by the stage (cls, code) or the engine (cls NULL) */
	NFV_TRACE_K_PUNT,  /* the stage punted it to the control thread */
	NFV_TRACE_K_SENT,  /* the stage queued it for tx itself: a[0] = port or NFV_PORT_NONE */
	NFV_TRACE_K_CTL,   /* a note from the control thread after the punt */
	NFV_TRACE_K_TX,    /* the chain sent it: a[0] = port */
	NFV_TRACE_K_LOST,  /* the stage neither returned nor handed it over */
};

struct nfv_trace_ent {
	uint8_t kind;  /* enum nfv_trace_kind */
	uint8_t stage; /* stage index; UINT8_MAX: the engine */
	uint16_t code; /* drop reason */
	char vnf[NFV_NAME_MAX];
	const struct vnf_class *cls; /* static: names and meanings of drop reasons */
	const char *fmt;	     /* a string literal */
	uint64_t a[3];
	char str[NFV_TRACE_STR];
};

struct nfv_trace_rec {
	uint64_t tsc;
	const struct rte_mbuf *m; /* identity while in flight or punted */
	uint32_t seq;		  /* per worker, from 0 */
	uint32_t pkt_len;
	uint16_t in_port, queue;
	uint16_t head_len;
	uint8_t first_stage; /* > 0: resumed behind a stage (back from a guest) */
	uint8_t n_ent;
	uint8_t n_lost_ents; /* entries past NFV_TRACE_ENTS */
	bool final;	     /* tx, drop or lost recorded */
	bool punted;	     /* waits for the control thread's note */
	char chain[NFV_NAME_MAX];
	uint8_t head[NFV_TRACE_HEAD];
	struct nfv_trace_ent ent[NFV_TRACE_ENTS];
};

/* One worker's part: written by that worker only, read by show. */
struct nfv_trace_wk {
	struct nfv_trace_rec *rec; /* [count] */
	uint32_t count;
	uint32_t used;		  /* records taken (worker) */
	_Atomic uint32_t done;	  /* records [0, done) are complete (release) */
	uint16_t n_live;	  /* traced packets of the burst being run */
	uint8_t stage;		  /* stage running */
	const struct nfv_vnf *vnf; /* and its instance */
	struct nfv_trace_rec *live[NFV_BURST];
	uint64_t matched; /* packets that matched once the buffer was full */
} __rte_cache_aligned;

struct rte_bpf;
struct nfv_trace {
	char chain[NFV_NAME_MAX]; /* "" = every chain */
	int port;		  /* DPDK port id, -1 = every port */
	uint32_t count;
	char filter[NFV_TRACE_FILTER_MAX]; /* "" = every packet */
	struct rte_bpf *bpf;
	uint64_t (*jit)(void *); /* the filter's JIT code, or NULL */
	uint64_t start_ms, start_tsc;
	uint16_t n_workers;
	struct nfv_trace_wk wk[];
};

/* Build a trace (control thread; nothing published). port -1: any; chain
 * NULL or "": any; filter NULL or "": any. Returns 0 or -errno with a
 * readable reason in err. */
int nfv_trace_new(const char *chain, int port, uint32_t count, const char *filter,
		  uint16_t n_workers, struct nfv_trace **out, char *err, size_t errlen);
void nfv_trace_free(struct nfv_trace *t);

/* Worker, while t runs: mark and take records for the packets of a chain's
 * burst that match; sets w->trace when any did. Returns how many. */
uint16_t nfv_trace_rx(struct nfv_trace *t, struct nfv_worker *w, const char *chain,
		      uint8_t first_stage, struct rte_mbuf **pkts, uint16_t n);
/* Worker: stage s (vnf) is about to run / has run and returned pkts[0..n). */
static inline void
nfv_trace_stage_begin(struct nfv_worker *w, const struct nfv_vnf *vnf, uint8_t s)
{
	w->trace->vnf = vnf;
	w->trace->stage = s;
}
void nfv_trace_stage_end(struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n);
/* Worker: what leaves the chain goes to port (NFV_PORT_NONE: per packet
 * out_port). */
void nfv_trace_chain_tx(struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n, uint16_t port);
/* Worker: the burst is over: complete and publish the records. */
void nfv_trace_end(struct nfv_worker *w);

/* Control thread: the records as JSON (array), newest last. */
json_t *nfv_trace_json(const struct nfv_trace *t);
/* A record's one-line packet summary ("IPv4 10.0.0.1 > 10.0.0.2 ICMP echo
 * request ttl 64"), and a note formatted (the fmt language of nfv.h). */
void nfv_trace_pkt_summary(const struct nfv_trace_rec *r, char *buf, size_t len);
void nfv_trace_fmt(const struct nfv_trace_ent *e, char *buf, size_t len);
/* Meaning of an engine drop reason. */
const char *nfv_engine_drop_name(uint16_t reason);
const char *nfv_engine_drop_desc(uint16_t reason);

/* At engine stop, after the workers: free the traces. */
void nfv_engine_trace_fini(void);

#endif /* NFV_TRACE_H */
