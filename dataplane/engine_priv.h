/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - engine internals shared by the dataplane sources (not for VNFs).
 */
#ifndef NFV_ENGINE_PRIV_H
#define NFV_ENGINE_PRIV_H

#include <pthread.h>
#include <stdatomic.h>

#include <rte_spinlock.h>

#include "engine.h"
#include "nfv.h"

#define NFV_MAX_BIND 8       /* chains bound to one ingress port */
#define NFV_PUNT_RING 1024
#define NFV_RXQ_PER_WORKER 64

/* Per-chain per-lcore counters */
enum { NFV_CHAIN_RX, NFV_CHAIN_TX, NFV_CHAIN_DROP, NFV_CHAIN_CTR_MAX };

/* a tap port whose kernel interface was moved to another network
 * namespace: its link state cannot be read from nfvd's */
#define NFV_LINK_ELSEWHERE (-2)

struct nfv_port_rt {
	bool used;
	uint16_t port_id;          /* DPDK port id */
	char name[NFV_NAME_MAX];
	char devname[96];          /* DPDK device name */
	const struct nfv_port_conf *conf;
	uint16_t n_rxq, n_txq;
	uint16_t ctl_qid;
	bool ctl_shared;
	rte_spinlock_t txq_lock[RTE_MAX_LCORE > 64 ? 64 : RTE_MAX_LCORE];
	bool started;
	int link_up;               /* 1 up, 0 down, -1 not polled yet, NFV_LINK_ELSEWHERE */
	/* link seen down by the control thread: workers drop what they would
	 * send on it (counted, link-down) instead of asking the device */
	volatile bool tx_down;
	/* workers skip its rx queues: a memif client being redialled (the
	 * device stopped and started: port.c, port_memif_redial) */
	volatile bool rx_off;
	/* its PMD leaves mbuf->port as the sender set it (a shared ring: the
	 * other process's numbers): the worker sets it where a stage reads it */
	bool rx_port_unset;
	uint64_t redial_ms;        /* memif client, link down: next redial (0: up) */
	uint64_t redials;
	bool redial_failed;        /* the last redial's start failed: the device is stopped */
	unsigned int ifindex;      /* af_packet/af_xdp: the kernel interface at start */
	uint32_t link_speed;
	uint64_t link_changes;
	uint64_t ctl_drops;        /* control-thread packets the port did not take */
	struct nfv_tunnel *tunnel;    /* a vxlan/geneve port: its tunnel (tunnel.h) */
	struct nfv_tunnel_ul *tun_ul; /* an underlay: the tunnels over it */
};

/* One entry of a port's ingress table: packets go to chain at stage. */
struct nfv_bind {
	bool has_match;
	struct nfv_match match;
	uint16_t chain;
	uint8_t stage;
};

struct nfv_chain_rt {
	char name[NFV_NAME_MAX];
	uint16_t n_stages;
	struct nfv_vnf *stages[NFV_MAX_STAGES];
	int egress; /* DPDK port id or -1 */
	bool fill_meta; /* a stage reads nfv_meta() chain/in_port */
	bool meta_egress; /* a stage picks out_port: send by nfv_meta()->out_port */
	uint64_t base[NFV_CHAIN_CTR_MAX]; /* totals carried over from previous pipelines */
};

/* A compiled, immutable pipeline. Workers read it between quiescent
 * points; apply builds a new one and swaps the pointer. */
struct nfv_pipeline {
	uint64_t generation;
	uint16_t n_chains;
	struct nfv_chain_rt chains[NFV_MAX_CHAINS];
	uint16_t n_bind[RTE_MAX_ETHPORTS];
	struct nfv_bind bind[RTE_MAX_ETHPORTS][NFV_MAX_BIND];
	/* a chain bound to the port has a stage to run (which may read
	 * mbuf->port); a port whose chains have none forwards untouched */
	bool port_read[RTE_MAX_ETHPORTS];
	uint16_t n_vnfs;
	struct nfv_vnf *vnfs[NFV_MAX_VNFS]; /* instances referenced */
	uint64_t *chain_ctr; /* [RTE_MAX_LCORE][NFV_MAX_CHAINS][NFV_CHAIN_CTR_MAX] */
};

struct nfv_rxq {
	uint16_t port;
	uint16_t queue;
};

struct nfv_worker_rt {
	struct nfv_worker w; /* first: the public part */
	uint16_t n_rxq;
	struct nfv_rxq rxq[NFV_RXQ_PER_WORKER];
	volatile uint64_t packets;
	volatile uint64_t busy_cycles;
	volatile uint64_t iterations;
	volatile uint64_t naps;
};

/* Idle nap of a worker that shares its CPU with the control thread (us),
 * and how many empty rx polls in a row count as idle. */
#define NFV_IDLE_SLEEP_SHARED_US 20
#define NFV_IDLE_POLLS 16
/* While rx stays idle the nap doubles up to this (us): an idle one-CPU
 * nfvd wakes ~1000 times a second instead of ~50000 (docs/design.md). */
#define NFV_IDLE_SLEEP_MAX_US 1000

/* A packet a device keeps refusing is dropped this long after the first
 * refusal (the tx buffers are retried every 100 us in between). */
#define NFV_TX_HOLD_US 1000

struct nfv_engine {
	struct nfv_config *cfg;
	struct rte_mempool *pool;
	struct rte_rcu_qsbr *qsv;
	uint16_t n_workers;
	unsigned int worker_lcore[NFV_MAX_WORKERS];
	struct nfv_worker_rt *workers[NFV_MAX_WORKERS];
	_Atomic(struct nfv_pipeline *) pipeline;
	/* the running packet trace (nfvctl trace), NULL when off: published
	 * and retired like the pipeline (dataplane/trace.c) */
	_Atomic(struct nfv_trace *) trace;
	struct nfv_vnf *vnfs[NFV_MAX_VNFS];         /* live instances */
	uint16_t n_vnfs;
	uint16_t next_vnf_id;
	uint64_t *eng_ctr; /* [RTE_MAX_LCORE][NFV_DROP_ENGINE_MAX] */
	uint64_t eng_ctr_base[NFV_DROP_ENGINE_MAX];
	atomic_bool stop;
	bool eal_up;
	bool running;
	uint64_t start_ms;
	uint64_t last_tick_ms, last_link_ms;
	uint64_t drain_tsc;
	uint64_t tx_hold_tsc;    /* NFV_TX_HOLD_US in TSC cycles */
	unsigned int pending;    /* work VNFs have in flight (class poll) */
	int shared_cpu;          /* >= 0: main and the one worker share this CPU */
	bool inline_worker;      /* one-CPU mode: the control thread runs the worker */
	uint32_t idle_sleep_us;  /* worker naps this long when its rx is idle */
	/* the control thread's idle wait (nfv_engine_sleep_begin): true while
	 * it sleeps in poll(); a worker that punted rings kick_fd (an
	 * eventfd, -1 before start) once per sleep (nfv_eng_kick) */
	atomic_bool ctl_asleep;
	int kick_fd;
	/* idle waits, and what ended each (nfvctl stats "engine".control) */
	uint64_t waits, woken_punt, woken_socket, woken_tick;
	uint64_t generation;
	char err[512];
};

extern struct nfv_engine nfv_eng;

#define ENG_LOG(lvl, ...) RTE_LOG(lvl, USER1, "nfvd: " __VA_ARGS__)

/* engine.c */
/* Control-plane lock: taken by the control thread around everything it
 * does, and by the telemetry thread when it reads. Never by workers. */
extern pthread_mutex_t nfv_eng_lock;
unsigned int nfv_eng_drain_punts(struct nfv_engine *e);
/* A worker after a pass that punted: wakes the control thread when it
 * sleeps in its idle wait (a write to an eventfd, once per sleep; never
 * while it polls). Call after a full fence (the punt ring's tail store
 * before the load of ctl_asleep: the control thread does the reverse). */
void nfv_eng_kick(struct nfv_engine *e);
/* Create instance idx of cfg; steals its conf. */
int nfv_vnf_instantiate(struct nfv_config *cfg, uint16_t idx, struct nfv_vnf **out, char *err,
			size_t errlen);

struct nfv_vnf *nfv_eng_find_vnf(struct nfv_engine *e, const char *name);

/* port.c: the port table */
extern struct nfv_port_rt nfv_ports[RTE_MAX_ETHPORTS]; /* indexed by DPDK port id */
extern uint16_t nfv_port_cfg_id[NFV_MAX_PORTS];        /* config index -> DPDK port id */
int nfv_port_devargs(const struct nfv_config *cfg, const struct nfv_port_conf *pc,
		     uint16_t queues, char *name, size_t nsize, char *args, size_t asize);
int nfv_ports_setup(struct nfv_engine *e, char *err, size_t errlen);
void nfv_ports_close(void);
void nfv_ports_poll_link(void);
json_t *nfv_ports_json(struct nfv_engine *e, bool stats);

/* worker.c */
int nfv_worker_main(void *arg);
/* The one-CPU mode: the control thread runs the worker's loop itself
 * (start once, a pass per control-loop turn, a nap when idle, stop at
 * halt). A pass returns the packets received. */
void nfv_worker_inline_start(struct nfv_worker_rt *wr);
uint64_t nfv_worker_inline_poll(struct nfv_worker_rt *wr);
void nfv_worker_inline_nap(struct nfv_worker_rt *wr, bool pending);
void nfv_worker_inline_stop(struct nfv_worker_rt *wr);
/* Block (SIG_BLOCK) or unblock (SIG_UNBLOCK) SIGIO in the calling thread:
 * the tap PMD's per-packet rx trigger belongs to the threads polling rx. */
void nfv_sigio_mask(int how);
void nfv_pipeline_run(const struct nfv_pipeline *p, struct nfv_worker *w, uint16_t port,
		      struct rte_mbuf **pkts, uint16_t n);
/* The classifier: a chain's match on a packet (headers read in place). */
bool nfv_match_pkt(const struct nfv_match *m, struct rte_mbuf *pkt);

/* pipeline.c */
int nfv_pipeline_build(const struct nfv_config *cfg, struct nfv_vnf *const *insts,
		       struct nfv_pipeline **out, char *err, size_t errlen);
void nfv_pipeline_free(struct nfv_pipeline *p);
void nfv_pipeline_chain_totals(const struct nfv_pipeline *p, uint16_t c,
			       uint64_t out[NFV_CHAIN_CTR_MAX]);

/* vnf instances (engine.c); the runtime half of the schema the loader
 * picked for vc */
static inline const struct vnf_class *
vnf_conf_class(const struct nfv_vnf_conf *vc)
{
	return vc->schema != NULL ? vnf_class_of(vc->schema) : NULL;
}

struct nfv_vnf *nfv_vnf_new(const char *name, const struct vnf_class *cls);
void nfv_vnf_free(struct nfv_vnf *v);
uint64_t nfv_vnf_counter(const struct nfv_vnf *v, uint16_t idx);

#endif /* NFV_ENGINE_PRIV_H */
