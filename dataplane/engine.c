/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - the engine on the control thread: start-up (EAL, mempool, ports,
 * VNF instances, pipeline, workers), live apply under RCU, the slow path
 * (punt rings, ticks, link state), counters and shutdown.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_version.h>

#include "engine_priv.h"

#define ENG_LOG(lvl, ...) RTE_LOG(lvl, USER1, "nfvd: " __VA_ARGS__)
#define ENG_TICK_MS 10
#define ENG_LINK_MS 100
#define ENG_DRAIN_US 100

struct nfv_engine nfv_eng;

static const char *const eng_drop_names[] = {NFV_ENGINE_DROPS(VNF_NAME)};

/* Control-plane lock: taken by the control thread around everything it
 * does, and by the telemetry thread when it reads. Never by workers. */
static pthread_mutex_t eng_lock = PTHREAD_MUTEX_INITIALIZER;

uint64_t
nfv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct rte_mempool *
nfv_pktmbuf_pool(void)
{
	return nfv_eng.pool;
}

struct rte_rcu_qsbr *
nfv_rcu(void)
{
	return nfv_eng.qsv;
}

uint16_t
nfv_n_workers(void)
{
	return nfv_eng.n_workers;
}

int
nfv_port_id(const struct nfv_config *cfg, uint16_t port_index)
{
	if (cfg == NULL || port_index >= cfg->n_ports)
		return -ENOENT;
	return nfv_port_by_name(cfg->ports[port_index].name);
}

int
nfv_port_by_name(const char *name)
{
	for (uint16_t pid = 0; pid < RTE_MAX_ETHPORTS; pid++)
		if (nfv_eng.ports[pid].used && strcmp(nfv_eng.ports[pid].name, name) == 0)
			return pid;
	return -ENOENT;
}

uint16_t
nfv_ctl_tx(uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	struct nfv_port_rt *pr = &nfv_eng.ports[port & (RTE_MAX_ETHPORTS - 1)];
	uint16_t sent = 0;

	if (n == 0)
		return 0;
	if (pr->started && !pr->tx_down) {
		if (pr->ctl_shared)
			rte_spinlock_lock(&pr->txq_lock[pr->ctl_qid]);
		sent = rte_eth_tx_burst(port, pr->ctl_qid, pkts, n);
		if (pr->ctl_shared)
			rte_spinlock_unlock(&pr->txq_lock[pr->ctl_qid]);
	}
	if (sent < n) {
		nfv_eng.eng_ctr_base[pr->tx_down ? NFV_DROP_LINK_DOWN : NFV_DROP_TX_FULL] += n - sent;
		pr->ctl_drops += n - sent;
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	}
	return sent;
}

/* ---- VNF instances ---- */

struct nfv_vnf *
nfv_vnf_new(const char *name, const struct vnf_class *cls)
{
	struct nfv_vnf *v = rte_zmalloc("nfv_vnf", sizeof(*v), RTE_CACHE_LINE_SIZE);

	if (v == NULL)
		return NULL;
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->cls = cls;
	v->ctr_n = cls->n_counters + cls->n_drops;
	v->ctr_stride = RTE_ALIGN_CEIL(RTE_MAX(v->ctr_n, 1), 8);
	v->ctr = rte_zmalloc("nfv_vnf_ctr", sizeof(uint64_t) * RTE_MAX_LCORE * v->ctr_stride,
			     RTE_CACHE_LINE_SIZE);
	if (v->ctr == NULL) {
		rte_free(v);
		return NULL;
	}
	v->id = nfv_eng.next_vnf_id++;
	return v;
}

void
nfv_vnf_free(struct nfv_vnf *v)
{
	if (v == NULL)
		return;
	v->cls->destroy(v);
	if (v->cls->config_free && v->conf)
		v->cls->config_free((void *)(uintptr_t)v->conf);
	rte_free(v->ctr);
	rte_free(v);
}

uint64_t
nfv_vnf_counter(const struct nfv_vnf *v, uint16_t idx)
{
	uint64_t sum = 0;

	for (unsigned int l = 0; l < RTE_MAX_LCORE; l++)
		sum += v->ctr[(size_t)l * v->ctr_stride + idx];
	return sum;
}

static const struct vnf_class *
vnf_conf_class(const struct nfv_vnf_conf *vc)
{
	if (vc->runtime == NFV_RUNTIME_VM && vc->cls == NULL)
		return vnf_class_find("vm");
	return vc->cls;
}

/* Create instance idx of cfg; steals its conf. */
static int
vnf_instantiate(struct nfv_config *cfg, uint16_t idx, struct nfv_vnf **out, char *err,
		size_t errlen)
{
	struct nfv_vnf_conf *vc = &cfg->vnfs[idx];
	const struct vnf_class *cls = vnf_conf_class(vc);
	char why[384] = "";
	struct nfv_vnf *v;
	int ret;

	if (cls == NULL) {
		snprintf(err, errlen, "vnf %s: no class for runtime %s", vc->name,
			 vc->runtime == NFV_RUNTIME_VM ? "vm" : "inproc");
		return -ENOENT;
	}
	v = nfv_vnf_new(vc->name, cls);
	if (v == NULL) {
		snprintf(err, errlen, "vnf %s: out of memory", vc->name);
		return -ENOMEM;
	}
	v->conf = vc->conf;
	vc->conf = NULL;
	ret = cls->create(v, cfg, v->conf, why, sizeof(why));
	if (ret < 0) {
		snprintf(err, errlen, "vnf %s (%s): %s", vc->name, cls->name,
			 why[0] ? why : strerror(-ret));
		nfv_vnf_free(v);
		return ret;
	}
	*out = v;
	return 0;
}

/* ---- slow path ---- */

static void eng_apply_finish(struct nfv_engine *e);
static void eng_apply_abandon(void);

static unsigned int
eng_drain_punts(struct nfv_engine *e)
{
	struct rte_mbuf *pkts[NFV_BURST];
	unsigned int done = 0;

	for (uint16_t i = 0; i < e->n_workers; i++) {
		struct rte_ring *r = e->workers[i]->w.punt;
		unsigned int n;

		while ((n = rte_ring_sc_dequeue_burst(r, (void **)pkts, NFV_BURST, NULL)) > 0) {
			done += n;
			for (unsigned int k = 0; k < n; k++) {
				struct nfv_vnf *v = nfv_meta(pkts[k])->vnf;

				if (v != NULL && v->cls->punt != NULL)
					v->cls->punt(v, pkts[k]);
				else
					rte_pktmbuf_free(pkts[k]);
			}
			if (n < NFV_BURST)
				break;
		}
	}
	return done;
}

static unsigned int
eng_poll_locked(struct nfv_engine *e)
{
	uint64_t now = nfv_now_ms();
	unsigned int done = eng_drain_punts(e);
	unsigned int pending = 0;

	for (uint16_t i = 0; i < e->n_vnfs; i++)
		if (e->vnfs[i]->cls->poll)
			pending += e->vnfs[i]->cls->poll(e->vnfs[i]);
	if (e->pending != pending) /* the workers read this cache line */
		e->pending = pending;

	if (now - e->last_tick_ms >= ENG_TICK_MS) {
		e->last_tick_ms = now;
		for (uint16_t i = 0; i < e->n_vnfs; i++)
			if (e->vnfs[i]->cls->tick)
				e->vnfs[i]->cls->tick(e->vnfs[i], now);
	}
	if (now - e->last_link_ms >= ENG_LINK_MS) {
		e->last_link_ms = now;
		nfv_ports_poll_link(e);
	}
	return done;
}

bool
nfv_engine_pending(void)
{
	return nfv_eng.pending != 0;
}

unsigned int
nfv_engine_poll(void)
{
	unsigned int done;

	if (!nfv_eng.running)
		return 0;
	eng_apply_finish(&nfv_eng);
	pthread_mutex_lock(&eng_lock);
	done = eng_poll_locked(&nfv_eng);
	pthread_mutex_unlock(&eng_lock);
	return done;
}

/* ---- start-up ---- */

static int
eng_pick_lcores(struct nfv_engine *e, const struct nfv_daemon_conf *d, char *lcores,
		size_t size, char *err, size_t errlen)
{
	cpu_set_t set;
	int main_lcore = d->main_lcore;
	char avail[128] = "";
	int n = 0;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) < 0) {
		snprintf(err, errlen, "cannot read CPU affinity: %s", strerror(errno));
		return -errno;
	}
	for (int c = 0; c < CPU_SETSIZE && (size_t)n < sizeof(avail) - 8; c++)
		if (CPU_ISSET(c, &set))
			n += snprintf(avail + n, sizeof(avail) - n, "%s%d", n ? "," : "", c);
	if (main_lcore < 0)
		for (main_lcore = 0; main_lcore < CPU_SETSIZE && !CPU_ISSET(main_lcore, &set);
		     main_lcore++)
			;
	if (main_lcore >= CPU_SETSIZE || !CPU_ISSET(main_lcore, &set)) {
		snprintf(err, errlen, "main lcore %d does not exist or is not available (CPUs: %s)",
			 main_lcore, avail);
		return -EINVAL;
	}
	e->n_workers = 0;
	if (d->n_workers) {
		for (uint16_t i = 0; i < d->n_workers; i++) {
			int c = d->workers[i];

			if (c >= CPU_SETSIZE || !CPU_ISSET(c, &set)) {
				snprintf(err, errlen,
					 "worker lcore %d does not exist or is not available (CPUs: %s)",
					 c, avail);
				return -EINVAL;
			}
			if (c == main_lcore && d->n_workers > 1) {
				snprintf(err, errlen,
					 "worker lcore %d is also the main lcore (only a single "
					 "worker may share the main lcore's CPU)",
					 c);
				return -EINVAL;
			}
			/* the one worker on the main lcore's CPU: one-CPU mode below */
			if (c != main_lcore)
				e->worker_lcore[e->n_workers++] = c;
		}
	} else {
		for (int c = 0; c < CPU_SETSIZE && e->n_workers < NFV_MAX_WORKERS; c++)
			if (CPU_ISSET(c, &set) && c != main_lcore)
				e->worker_lcore[e->n_workers++] = c;
	}
	if (e->n_workers == 0) {
		/* One CPU (taskset -c N, or "-l N,N"): the control thread and one
		 * worker share it. EAL lcores 0 and 1 both run on that CPU; the
		 * worker naps when its rx is idle so the control thread runs. */
		e->shared_cpu = main_lcore;
		e->worker_lcore[e->n_workers++] = 1;
		snprintf(lcores, size, "0@%d,1@%d", main_lcore, main_lcore);
		return 0;
	}
	e->shared_cpu = -1;
	n = snprintf(lcores, size, "%d", main_lcore);
	for (uint16_t i = 0; i < e->n_workers; i++)
		n += snprintf(lcores + n, size - n, ",%u", e->worker_lcore[i]);
	return 0;
}

static uint32_t
eng_mbufs_needed(const struct nfv_config *cfg, uint16_t n_workers)
{
	uint64_t need = 0;

	for (uint16_t i = 0; i < cfg->n_ports; i++) {
		const struct nfv_port_conf *pc = &cfg->ports[i];

		need += (uint64_t)pc->rx_desc * pc->rx_queues;
		need += (uint64_t)pc->tx_desc * (n_workers + 1);
		need += (uint64_t)n_workers * (NFV_TX_BUF + NFV_BURST);
	}
	need += (uint64_t)n_workers * (NFV_PUNT_RING + 4 * NFV_BURST) + 4096;
	return (uint32_t)RTE_MIN(need, 4u << 20);
}

static long
read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f == NULL)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int
eng_check_hugepages(uint32_t mbufs, char *err, size_t errlen)
{
	/* mbuf + headroom + mempool header, plus ~64 MiB for the rest */
	uint64_t need = (uint64_t)mbufs * (RTE_MBUF_DEFAULT_BUF_SIZE + 256) + (64ull << 20);
	long free2m = read_long("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages");
	long free1g = read_long("/sys/kernel/mm/hugepages/hugepages-1048576kB/free_hugepages");
	uint64_t have = (free2m > 0 ? (uint64_t)free2m << 21 : 0) +
			(free1g > 0 ? (uint64_t)free1g << 30 : 0);
	long total2m = read_long("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages");
	long pages = (long)((need + (2u << 20) - 1) >> 21);
	FILE *mounts;
	char line[512];
	bool mounted = false;

	mounts = fopen("/proc/mounts", "r");
	if (mounts != NULL) {
		while (fgets(line, sizeof(line), mounts))
			if (strstr(line, " hugetlbfs ") != NULL)
				mounted = true;
		fclose(mounts);
	}
	if (!mounted) {
		snprintf(err, errlen,
			 "no hugetlbfs mounted: run 'mount -t hugetlbfs nodev /dev/hugepages' "
			 "(or start nfvd with --no-huge)");
		return -ENOMEM;
	}
	if (have < need) {
		snprintf(err, errlen,
			 "not enough hugepages: %u mbufs need about %ld x 2 MiB pages, %ld free. "
			 "Reserve them with: echo %ld > /proc/sys/vm/nr_hugepages "
			 "(or start nfvd with --no-huge)",
			 mbufs, pages, free2m < 0 ? 0 : free2m,
			 (total2m > 0 ? total2m : 0) + pages - (free2m > 0 ? free2m : 0));
		return -ENOMEM;
	}
	return 0;
}

static void
eng_assign_queues(struct nfv_engine *e)
{
	uint16_t next = 0;

	for (uint16_t i = 0; i < e->cfg->n_ports; i++) {
		uint16_t pid = e->cfg_port_id[i];
		struct nfv_port_rt *pr = &e->ports[pid];
		uint16_t users = e->n_workers + 1;
		uint16_t qusers[64] = {0};

		for (uint16_t q = 0; q < pr->n_rxq; q++) {
			struct nfv_worker_rt *wr = e->workers[next++ % e->n_workers];

			if (wr->n_rxq < NFV_RXQ_PER_WORKER)
				wr->rxq[wr->n_rxq++] = (struct nfv_rxq){.port = pid, .queue = q};
		}
		for (uint16_t u = 0; u < users; u++)
			qusers[u < e->n_workers ? RTE_MIN(u, pr->n_txq - 1) : pr->ctl_qid]++;
		for (uint16_t wi = 0; wi < e->n_workers; wi++) {
			struct nfv_txq *q = &e->workers[wi]->w.tx[pid];

			q->qid = RTE_MIN(wi, pr->n_txq - 1);
			q->shared = qusers[q->qid] > 1;
		}
		pr->ctl_shared = qusers[pr->ctl_qid] > 1;
	}
}

static int
eng_alloc_workers(struct nfv_engine *e, char *err, size_t errlen)
{
	size_t sz = rte_rcu_qsbr_get_memsize(e->n_workers);

	e->qsv = rte_zmalloc("nfv_rcu", sz, RTE_CACHE_LINE_SIZE);
	if (e->qsv == NULL || rte_rcu_qsbr_init(e->qsv, e->n_workers) != 0) {
		snprintf(err, errlen, "cannot set up RCU for %u workers", e->n_workers);
		return -ENOMEM;
	}
	e->eng_ctr = rte_zmalloc("nfv_eng_ctr",
				 sizeof(uint64_t) * RTE_MAX_LCORE * NFV_DROP_ENGINE_MAX,
				 RTE_CACHE_LINE_SIZE);
	if (e->eng_ctr == NULL) {
		snprintf(err, errlen, "out of memory for counters");
		return -ENOMEM;
	}
	for (uint16_t i = 0; i < e->n_workers; i++) {
		unsigned int lc = e->worker_lcore[i];
		struct nfv_worker_rt *wr;
		char name[RTE_RING_NAMESIZE];

		wr = rte_zmalloc_socket("nfv_worker", sizeof(*wr), RTE_CACHE_LINE_SIZE,
					(int)rte_lcore_to_socket_id(lc));
		if (wr == NULL) {
			snprintf(err, errlen, "out of memory for worker %u", lc);
			return -ENOMEM;
		}
		e->workers[i] = wr;
		wr->w.lcore = lc;
		wr->w.idx = i;
		wr->w.eng_ctr = &e->eng_ctr[(size_t)lc * NFV_DROP_ENGINE_MAX];
		snprintf(name, sizeof(name), "nfv_punt_%u", lc);
		wr->w.punt = rte_ring_create(name, NFV_PUNT_RING, (int)rte_lcore_to_socket_id(lc),
					     RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (wr->w.punt == NULL) {
			snprintf(err, errlen, "cannot create punt ring: %s",
				 rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	return 0;
}

static int
eng_create_all(struct nfv_engine *e, char *err, size_t errlen)
{
	struct nfv_vnf *insts[NFV_MAX_VNFS] = {0};
	struct nfv_pipeline *p;
	int ret;

	for (uint16_t i = 0; i < e->cfg->n_vnfs; i++) {
		ret = vnf_instantiate(e->cfg, i, &insts[i], err, errlen);
		if (ret < 0)
			goto destroy_instances;
	}
	ret = nfv_pipeline_build(e, e->cfg, insts, &p, err, errlen);
	if (ret < 0)
		goto destroy_instances;
	p->generation = ++e->generation;
	for (uint16_t i = 0; i < e->cfg->n_vnfs; i++)
		e->vnfs[i] = insts[i];
	e->n_vnfs = e->cfg->n_vnfs;
	atomic_store_explicit(&e->pipeline, p, memory_order_release);
	return 0;

destroy_instances:
	for (uint16_t i = 0; i < e->cfg->n_vnfs; i++)
		nfv_vnf_free(insts[i]);
	return ret;
}

int
nfv_engine_start(const char *argv0, struct nfv_config *cfg, const char *const *eal_extra,
		 int n_eal_extra, char *err, size_t errlen)
{
	struct nfv_engine *e = &nfv_eng;
	const struct nfv_daemon_conf *d = &cfg->daemon;
	char lcores[256], mem[32], main_lc[16];
	const char *argv[64 + 16];
	bool has_pci = false;
	uint32_t mbufs;
	int argc = 0, ret;

	memset(e, 0, sizeof(*e));
	e->cfg = cfg; /* owned by the engine from here, even on failure */
	e->shared_cpu = -1;
	ret = eng_pick_lcores(e, d, lcores, sizeof(lcores), err, errlen);
	if (ret < 0)
		return ret;
	/* a worker alone on its CPU polls without pause unless told to nap */
	e->idle_sleep_us = d->idle_sleep_us >= 0 ? (uint32_t)d->idle_sleep_us
			   : e->shared_cpu >= 0	  ? NFV_IDLE_SLEEP_SHARED_US
						  : 0;
	mbufs = RTE_MAX(d->mbufs, eng_mbufs_needed(cfg, e->n_workers));
	if (d->huge) {
		ret = eng_check_hugepages(mbufs, err, errlen);
		if (ret < 0)
			return ret;
	}

	argv[argc++] = argv0;
	argv[argc++] = e->shared_cpu >= 0 ? "--lcores" : "-l";
	argv[argc++] = lcores;
	/* EAL takes the lowest lcore as main unless told: "-l 1,0" means 1 */
	snprintf(main_lc, sizeof(main_lc), "%.*s", (int)strcspn(lcores, ",@"), lcores);
	argv[argc++] = "--main-lcore";
	argv[argc++] = main_lc;
	argv[argc++] = "--file-prefix";
	argv[argc++] = d->file_prefix[0] ? d->file_prefix : "nfvd";
	if (d->huge) {
		/* Hugepage files go with the process (none left after a stop or a
		 * crash), unless a virtio_user port must hand them to its
		 * vhost-user backend (which fails on unlinked files). */
		bool share = false;

		for (uint16_t i = 0; i < cfg->n_ports; i++)
			share |= cfg->ports[i].driver == NFV_PORT_VIRTIO_USER;
		if (!share)
			argv[argc++] = "--huge-unlink";
	} else {
		snprintf(mem, sizeof(mem), "%u", d->memory_mb ? d->memory_mb : 512);
		argv[argc++] = "--no-huge";
		argv[argc++] = "-m";
		argv[argc++] = mem;
	}
	for (uint16_t i = 0; i < cfg->n_ports && argc < 60; i++) {
		if (cfg->ports[i].driver != NFV_PORT_PCI)
			continue;
		has_pci = true;
		argv[argc++] = "-a";
		argv[argc++] = cfg->ports[i].devargs;
	}
	if (!has_pci)
		argv[argc++] = "--no-pci";
	for (int i = 0; i < n_eal_extra && argc < (int)RTE_DIM(argv) - 1; i++)
		argv[argc++] = eal_extra[i];
	argv[argc] = NULL;

	/* DPDK's tap PMD asks for a SIGIO per packet its queues receive (its
	 * rx "trigger"). Only the workers poll rx: the calling (control)
	 * thread and every thread EAL makes from here inherit SIGIO blocked,
	 * each worker unblocks it, so the signal never cuts the control
	 * thread's sleeps and syscalls short. */
	nfv_sigio_mask(SIG_BLOCK);
	ret = rte_eal_init(argc, (char **)(uintptr_t)argv);
	if (ret < 0) {
		int code = rte_errno;

		snprintf(err, errlen, "DPDK EAL initialisation failed: %s%s", rte_strerror(code),
			 code == EALREADY || code == EBUSY
				 ? " (another DPDK process uses the same --file-prefix?)"
				 : "");
		return -code;
	}
	e->eal_up = true;
	e->drain_tsc = (rte_get_tsc_hz() + US_PER_S - 1) / US_PER_S * ENG_DRAIN_US;
	e->tx_hold_tsc = (rte_get_tsc_hz() + US_PER_S - 1) / US_PER_S * NFV_TX_HOLD_US;
	ret = nfv_meta_register();
	if (ret < 0) {
		snprintf(err, errlen, "cannot register mbuf metadata: %s", rte_strerror(-ret));
		goto cleanup;
	}
	e->pool = rte_pktmbuf_pool_create("nfv_pool", mbufs, 256, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (e->pool == NULL) {
		snprintf(err, errlen,
			 "cannot allocate %u mbufs (%s): reserve more hugepages "
			 "(echo 1024 > /proc/sys/vm/nr_hugepages) or lower nfvd.mbufs",
			 mbufs, rte_strerror(rte_errno));
		ret = -ENOMEM;
		goto cleanup;
	}
	ret = eng_alloc_workers(e, err, errlen);
	if (ret < 0)
		goto cleanup;
	ret = nfv_ports_setup(e, err, errlen);
	if (ret < 0)
		goto cleanup;
	eng_assign_queues(e);
	ret = eng_create_all(e, err, errlen);
	if (ret < 0)
		goto cleanup;

	e->start_ms = nfv_now_ms();
	e->running = true;
	for (uint16_t i = 0; i < e->n_workers; i++) {
		ret = rte_eal_remote_launch(nfv_worker_main, e->workers[i], e->worker_lcore[i]);
		if (ret < 0) {
			snprintf(err, errlen, "cannot launch worker on lcore %u: %s",
				 e->worker_lcore[i], rte_strerror(-ret));
			goto cleanup;
		}
	}
	ENG_LOG(INFO, "running: %u workers, %u ports, %u vnfs, %u chains (%s)\n",
		e->n_workers, cfg->n_ports, cfg->n_vnfs, cfg->n_chains, rte_version());
	return 0;

cleanup:
	nfv_engine_stop();
	return ret;
}

/* ---- live apply ---- */

static bool
port_conf_same(const struct nfv_port_conf *a, const struct nfv_port_conf *b)
{
	return strcmp(a->name, b->name) == 0 && a->driver == b->driver &&
	       strcmp(a->devargs, b->devargs) == 0 && strcmp(a->iface, b->iface) == 0 &&
	       strcmp(a->path, b->path) == 0 && strcmp(a->rx_file, b->rx_file) == 0 &&
	       strcmp(a->tx_file, b->tx_file) == 0 && a->loop == b->loop &&
	       a->server == b->server && a->memif_id == b->memif_id && a->rx == b->rx &&
	       a->pkt_size == b->pkt_size && a->rx_queues == b->rx_queues &&
	       a->rx_desc == b->rx_desc && a->tx_desc == b->tx_desc && a->mtu == b->mtu &&
	       a->has_mac == b->has_mac && (!a->has_mac || memcmp(a->mac, b->mac, 6) == 0) &&
	       a->promiscuous == b->promiscuous && strcmp(a->xdp_prog, b->xdp_prog) == 0;
}

static void
errors_add(json_t *errors, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
errors_add(json_t *errors, const char *fmt, ...)
{
	char buf[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_array_append_new(errors, json_string(buf));
}

static struct nfv_vnf *
eng_find_vnf(struct nfv_engine *e, const char *name)
{
	for (uint16_t i = 0; i < e->n_vnfs; i++)
		if (strcmp(e->vnfs[i]->name, name) == 0)
			return e->vnfs[i];
	return NULL;
}

enum apply_kind { APPLY_NEW, APPLY_KEEP, APPLY_RECONF };

static int
eng_apply_locked(struct nfv_engine *e, struct nfv_config *ncfg, json_t *errors)
{
	struct nfv_vnf *insts[NFV_MAX_VNFS] = {0};
	enum apply_kind kind[NFV_MAX_VNFS] = {0};
	const void *old_conf[NFV_MAX_VNFS] = {0};
	struct nfv_config *ocfg = e->cfg;
	struct nfv_pipeline *np, *op;
	char err[512];
	uint16_t i, n_reconf = 0;
	int ret = 0;

	if (ncfg->n_ports != ocfg->n_ports) {
		errors_add(errors, "%s: ports cannot be added or removed by apply (%u -> %u); "
			   "restart nfvd", ncfg->file, ocfg->n_ports, ncfg->n_ports);
		return -EINVAL;
	}
	for (i = 0; i < ncfg->n_ports; i++)
		if (!port_conf_same(&ncfg->ports[i], &ocfg->ports[i])) {
			errors_add(errors, "%s: port %s: ports cannot change live; restart nfvd",
				   ncfg->file, ncfg->ports[i].name);
			return -EINVAL;
		}

	/* 1. create new instances aside (workers do not see them yet) */
	for (i = 0; i < ncfg->n_vnfs; i++) {
		struct nfv_vnf_conf *vc = &ncfg->vnfs[i];
		const struct vnf_class *cls = vnf_conf_class(vc);
		struct nfv_vnf *old = eng_find_vnf(e, vc->name);

		if (old != NULL && old->cls == cls) {
			if (cls->config_equal && cls->config_equal(old->conf, vc->conf)) {
				kind[i] = APPLY_KEEP;
				insts[i] = old;
				continue;
			}
			if (cls->reconfigure &&
			    (!cls->can_reconfigure || cls->can_reconfigure(old->conf, vc->conf))) {
				kind[i] = APPLY_RECONF;
				insts[i] = old;
				continue;
			}
		}
		kind[i] = APPLY_NEW;
		ret = vnf_instantiate(ncfg, i, &insts[i], err, sizeof(err));
		if (ret < 0) {
			errors_add(errors, "%s", err);
			goto undo_new;
		}
	}
	/* 2. reconfigure kept instances (each builds aside and swaps under RCU) */
	for (i = 0; i < ncfg->n_vnfs; i++) {
		struct nfv_vnf_conf *vc = &ncfg->vnfs[i];
		char why[384] = "";

		if (kind[i] != APPLY_RECONF)
			continue;
		ret = insts[i]->cls->reconfigure(insts[i], ncfg, vc->conf, why, sizeof(why));
		if (ret < 0) {
			errors_add(errors, "vnf %s (%s): %s", vc->name, insts[i]->cls->name,
				   why[0] ? why : strerror(-ret));
			goto undo_reconf;
		}
		old_conf[i] = insts[i]->conf;
		insts[i]->conf = vc->conf;
		vc->conf = NULL;
		n_reconf++;
	}
	/* 3. compile the new pipeline */
	ret = nfv_pipeline_build(e, ncfg, insts, &np, err, sizeof(err));
	if (ret < 0) {
		errors_add(errors, "%s", err);
		goto undo_reconf;
	}
	np->generation = ++e->generation;

	/* 4. publish, then wait until every worker has passed a quiescent point */
	op = atomic_exchange_explicit(&e->pipeline, np, memory_order_acq_rel);
	rte_rcu_qsbr_synchronize(e->qsv, RTE_QSBR_THRID_INVALID);

	/* 5. carry chain counters over, by chain name */
	for (uint16_t c = 0; c < np->n_chains; c++)
		for (uint16_t oc = 0; oc < op->n_chains; oc++)
			if (strcmp(np->chains[c].name, op->chains[oc].name) == 0)
				nfv_pipeline_chain_totals(op, oc, np->chains[c].base);
	/* 6. punts still queued may name instances about to go */
	eng_drain_punts(e);
	for (uint16_t k = 0; k < e->n_vnfs; k++) {
		bool kept = false;

		for (i = 0; i < ncfg->n_vnfs; i++)
			if (insts[i] == e->vnfs[k])
				kept = true;
		if (!kept)
			nfv_vnf_free(e->vnfs[k]);
	}
	for (i = 0; i < ncfg->n_vnfs; i++) {
		if (old_conf[i] && insts[i]->cls->config_free)
			insts[i]->cls->config_free((void *)(uintptr_t)old_conf[i]);
		e->vnfs[i] = insts[i];
	}
	e->n_vnfs = ncfg->n_vnfs;
	nfv_pipeline_free(op);
	for (i = 0; i < ncfg->n_ports; i++)
		e->ports[e->cfg_port_id[i]].conf = &ncfg->ports[i];
	e->cfg = ncfg;
	nfv_config_free(ocfg);
	return 0;

undo_reconf:
	/* put reconfigured instances back on their old conf */
	for (i = 0; i < ncfg->n_vnfs && n_reconf; i++) {
		char why[64];

		if (kind[i] != APPLY_RECONF || old_conf[i] == NULL)
			continue;
		insts[i]->cls->reconfigure(insts[i], ocfg, old_conf[i], why, sizeof(why));
		ncfg->vnfs[i].conf = (void *)(uintptr_t)insts[i]->conf;
		insts[i]->conf = old_conf[i];
		n_reconf--;
	}
undo_new:
	for (i = 0; i < ncfg->n_vnfs; i++)
		if (kind[i] == APPLY_NEW && insts[i] != NULL)
			nfv_vnf_free(insts[i]);
	return ret < 0 ? ret : -EINVAL;
}

/* The chain file: opened without blocking (a FIFO or a device would stall
 * the reader), a regular file of at most NFV_CONFIG_FILE_MAX bytes. */
int
nfv_config_file_check(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(-ret));
		return ret;
	}
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot stat: %s", path, strerror(-ret));
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file (%s); refusing to read it", path,
			 S_ISFIFO(st.st_mode)	? "a FIFO"
			 : S_ISDIR(st.st_mode)	? "a directory"
			 : S_ISSOCK(st.st_mode) ? "a socket"
			 : S_ISCHR(st.st_mode)	? "a character device"
			 : S_ISBLK(st.st_mode)	? "a block device"
						: "not a file");
		ret = -EINVAL;
	} else if (st.st_size > NFV_CONFIG_FILE_MAX) {
		snprintf(err, errlen, "%s: %lld bytes, larger than the limit of %d MiB for a chain "
			 "file (large route tables go in a routes-file)", path,
			 (long long)st.st_size, NFV_CONFIG_FILE_MAX >> 20);
		ret = -EFBIG;
	}
	close(fd);
	return ret;
}

/* An apply reads, parses and validates its file on a loader thread (it may
 * take long: a huge file, a slow disk), the control thread keeps serving
 * and does only the swap once the file is loaded. One apply at a time. */
enum { LOAD_RUNNING, LOAD_DONE, LOAD_ABANDONED };

struct eng_load {
	atomic_int state;
	int ret;
	struct nfv_config *cfg;
	struct cfg_errors cerr;
	char path[PATH_MAX];
};

static struct {
	struct eng_load *load; /* in flight, NULL: none */
	uint64_t start_ms;
	nfv_apply_done_fn done;
	void *ctx;
} eng_apply;

static void
eng_load_free(struct eng_load *l)
{
	nfv_config_free(l->cfg);
	cfg_errors_free(&l->cerr);
	free(l);
}

static void *
eng_load_main(void *arg)
{
	struct eng_load *l = arg;
	int running = LOAD_RUNNING;

	l->ret = nfv_config_load(l->path, &l->cfg, &l->cerr);
	/* hand the result over, or free it when nfvd stopped waiting */
	if (!atomic_compare_exchange_strong(&l->state, &running, LOAD_DONE))
		eng_load_free(l);
	return NULL;
}

int
nfv_engine_apply_start(const char *path, nfv_apply_done_fn done, void *ctx, char *err,
		       size_t errlen)
{
	struct eng_load *l;
	pthread_attr_t attr;
	pthread_t tid;
	sigset_t all, old;
	int ret;

	if (!nfv_eng.running) {
		snprintf(err, errlen, "nfvd is not running");
		return -ESRCH;
	}
	if (eng_apply.load != NULL) {
		snprintf(err, errlen,
			 "an apply of %s is in progress (for %.1f s); one at a time: try again "
			 "when it is answered",
			 eng_apply.load->path, (nfv_now_ms() - eng_apply.start_ms) / 1000.0);
		return -EBUSY;
	}
	if (strlen(path) >= sizeof(l->path)) {
		snprintf(err, errlen, "apply: path too long");
		return -ENAMETOOLONG;
	}
	ret = nfv_config_file_check(path, err, errlen);
	if (ret < 0)
		return ret;
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		snprintf(err, errlen, "apply: out of memory");
		return -ENOMEM;
	}
	snprintf(l->path, sizeof(l->path), "%s", path);
	atomic_init(&l->state, LOAD_RUNNING);
	/* the loader takes no signal: SIGTERM stays with the control thread */
	sigfillset(&all);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	ret = -pthread_create(&tid, &attr, eng_load_main, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (ret < 0) {
		snprintf(err, errlen, "apply: cannot start the loader thread: %s", strerror(-ret));
		free(l);
		return ret;
	}
	eng_apply.load = l;
	eng_apply.start_ms = nfv_now_ms();
	eng_apply.done = done;
	eng_apply.ctx = ctx;
	return 0;
}

/* Control thread: swap in a loaded file, answer the requester. */
static void
eng_apply_finish(struct nfv_engine *e)
{
	struct eng_load *l = eng_apply.load;
	nfv_apply_done_fn done = eng_apply.done;
	void *ctx = eng_apply.ctx;
	json_t *errors;
	int ret;

	if (l == NULL || atomic_load(&l->state) != LOAD_DONE)
		return;
	eng_apply.load = NULL; /* done() may start the next one */
	errors = json_array();
	ret = l->ret;
	if (ret < 0) {
		for (size_t i = 0; i < l->cerr.n; i++)
			json_array_append_new(errors, json_string(l->cerr.msgs[i]));
		if (l->cerr.n == 0)
			errors_add(errors, "%s: cannot load: %s", l->path, strerror(-ret));
	} else {
		/* daemon settings (lcores, socket, memory) only change on restart */
		l->cfg->daemon = e->cfg->daemon;
		pthread_mutex_lock(&eng_lock);
		ret = eng_apply_locked(e, l->cfg, errors);
		pthread_mutex_unlock(&eng_lock);
		if (ret == 0) {
			l->cfg = NULL; /* the engine owns it now */
			ENG_LOG(INFO, "applied %s (generation %" PRIu64 ")\n", l->path,
				e->generation);
		}
	}
	if (done != NULL)
		done(ctx, ret, l->path, errors, e->generation);
	else
		json_decref(errors);
	eng_load_free(l);
}

/* Stop waiting for the loader (nfvd stops): its requester gets an error,
 * the thread frees what it loaded when it finishes. */
static void
eng_apply_abandon(void)
{
	struct eng_load *l = eng_apply.load;
	int running = LOAD_RUNNING;
	json_t *errors;

	if (l == NULL)
		return;
	eng_apply.load = NULL;
	errors = json_array();
	errors_add(errors, "%s: apply aborted: nfvd is stopping", l->path);
	if (eng_apply.done != NULL)
		eng_apply.done(eng_apply.ctx, -ECANCELED, l->path, errors, nfv_eng.generation);
	else
		json_decref(errors);
	if (!atomic_compare_exchange_strong(&l->state, &running, LOAD_ABANDONED))
		eng_load_free(l); /* it had finished: ours to free */
}

bool
nfv_engine_apply_busy(void)
{
	return eng_apply.load != NULL;
}

/* ---- views ---- */

static json_t *
eng_vnf_stats(struct nfv_vnf *v)
{
	json_t *o = json_object(), *ctr = json_object(), *drops = json_object();

	json_object_set_new(o, "class", json_string(v->cls->name));
	for (uint16_t k = 0; k < v->cls->n_counters; k++)
		json_object_set_new(ctr, v->cls->counter_names[k],
				    json_integer(nfv_vnf_counter(v, k)));
	for (uint16_t k = 0; k < v->cls->n_drops; k++)
		json_object_set_new(drops, v->cls->drop_names[k],
				    json_integer(nfv_vnf_counter(v, v->cls->n_counters + k)));
	json_object_set_new(o, "counters", ctr);
	json_object_set_new(o, "drops", drops);
	if (v->cls->stats)
		v->cls->stats(v, o);
	return o;
}

static void
eng_engine_drops(struct nfv_engine *e, uint64_t out[NFV_DROP_ENGINE_MAX])
{
	for (int k = 0; k < NFV_DROP_ENGINE_MAX; k++)
		out[k] = e->eng_ctr_base[k];
	for (unsigned int l = 0; l < RTE_MAX_LCORE; l++)
		for (int k = 0; k < NFV_DROP_ENGINE_MAX; k++)
			out[k] += e->eng_ctr[(size_t)l * NFV_DROP_ENGINE_MAX + k];
}

json_t *
nfv_engine_stats(void)
{
	struct nfv_engine *e = &nfv_eng;
	json_t *o, *chains, *vnfs, *eng, *drops, *workers;
	const struct nfv_pipeline *p;
	uint64_t ed[NFV_DROP_ENGINE_MAX];

	if (!e->eal_up || e->eng_ctr == NULL)
		return json_object();
	pthread_mutex_lock(&eng_lock);
	o = json_object();
	p = atomic_load(&e->pipeline);
	json_object_set_new(o, "uptime_ms", json_integer(nfv_now_ms() - e->start_ms));
	json_object_set_new(o, "generation", json_integer(e->generation));
	json_object_set_new(o, "ports", nfv_ports_json(e, true));
	chains = json_object();
	for (uint16_t c = 0; p && c < p->n_chains; c++) {
		uint64_t t[NFV_CHAIN_CTR_MAX];
		json_t *co = json_object();

		nfv_pipeline_chain_totals(p, c, t);
		json_object_set_new(co, "rx", json_integer(t[NFV_CHAIN_RX]));
		json_object_set_new(co, "tx", json_integer(t[NFV_CHAIN_TX]));
		json_object_set_new(co, "drops", json_integer(t[NFV_CHAIN_DROP]));
		json_object_set_new(chains, p->chains[c].name, co);
	}
	json_object_set_new(o, "chains", chains);
	vnfs = json_object();
	for (uint16_t i = 0; i < e->n_vnfs; i++)
		json_object_set_new(vnfs, e->vnfs[i]->name, eng_vnf_stats(e->vnfs[i]));
	json_object_set_new(o, "vnfs", vnfs);
	eng = json_object();
	drops = json_object();
	eng_engine_drops(e, ed);
	for (int k = 0; k < NFV_DROP_ENGINE_MAX; k++)
		json_object_set_new(drops, eng_drop_names[k], json_integer(ed[k]));
	json_object_set_new(eng, "drops", drops);
	json_object_set_new(o, "engine", eng);
	workers = json_array();
	for (uint16_t i = 0; i < e->n_workers; i++) {
		struct nfv_worker_rt *wr = e->workers[i];
		json_t *wo = json_object();
		uint64_t pk = wr->packets, cy = wr->busy_cycles;

		json_object_set_new(wo, "lcore", json_integer(wr->w.lcore));
		json_object_set_new(wo, "packets", json_integer(pk));
		json_object_set_new(wo, "busy_cycles", json_integer(cy));
		json_object_set_new(wo, "cycles_per_packet", json_real(pk ? (double)cy / pk : 0));
		json_object_set_new(wo, "iterations", json_integer(wr->iterations));
		json_object_set_new(wo, "naps", json_integer(wr->naps));
		json_array_append_new(workers, wo);
	}
	json_object_set_new(o, "workers", workers);
	json_object_set_new(o, "tsc_hz", json_integer(rte_get_tsc_hz()));
	pthread_mutex_unlock(&eng_lock);
	return o;
}

static json_t *
names_of_ports(const struct nfv_config *cfg, const uint16_t *idx, uint16_t n)
{
	json_t *a = json_array();

	for (uint16_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(cfg->ports[idx[i]].name));
	return a;
}

json_t *
nfv_engine_status(void)
{
	struct nfv_engine *e = &nfv_eng;
	const struct nfv_config *cfg = e->cfg;
	json_t *o, *workers, *chains, *vnfs;

	if (!e->running)
		return json_object();
	pthread_mutex_lock(&eng_lock);
	o = json_object();
	json_object_set_new(o, "version", json_string(NFV_VERSION));
	json_object_set_new(o, "dpdk", json_string(rte_version()));
	json_object_set_new(o, "pid", json_integer(getpid()));
	json_object_set_new(o, "config", json_string(cfg->file));
	json_object_set_new(o, "generation", json_integer(e->generation));
	json_object_set_new(o, "uptime_ms", json_integer(nfv_now_ms() - e->start_ms));
	json_object_set_new(o, "main_lcore", json_integer(rte_get_main_lcore()));
	/* -1: every lcore has its own CPU */
	json_object_set_new(o, "shared_cpu", json_integer(e->shared_cpu));
	json_object_set_new(o, "idle_sleep_us", json_integer(e->idle_sleep_us));
	workers = json_array();
	for (uint16_t i = 0; i < e->n_workers; i++) {
		struct nfv_worker_rt *wr = e->workers[i];
		json_t *wo = json_object(), *q = json_array();

		json_object_set_new(wo, "lcore", json_integer(wr->w.lcore));
		for (uint16_t k = 0; k < wr->n_rxq; k++) {
			char b[64];

			snprintf(b, sizeof(b), "%s:%u", e->ports[wr->rxq[k].port].name,
				 wr->rxq[k].queue);
			json_array_append_new(q, json_string(b));
		}
		json_object_set_new(wo, "rx_queues", q);
		json_array_append_new(workers, wo);
	}
	json_object_set_new(o, "workers", workers);
	json_object_set_new(o, "ports", nfv_ports_json(e, false));
	chains = json_array();
	for (uint16_t c = 0; c < cfg->n_chains; c++) {
		const struct nfv_chain_conf *cc = &cfg->chains[c];
		json_t *co = json_object(), *st = json_array();

		json_object_set_new(co, "name", json_string(cc->name));
		json_object_set_new(co, "ingress", names_of_ports(cfg, cc->ingress, cc->n_ingress));
		for (uint16_t s = 0; s < cc->n_stages; s++)
			json_array_append_new(st, json_string(cfg->vnfs[cc->stages[s]].name));
		json_object_set_new(co, "vnfs", st);
		json_object_set_new(co, "match", json_boolean(cc->has_match));
		json_object_set_new(co, "egress", cc->egress >= 0
							  ? json_string(cfg->ports[cc->egress].name)
							  : json_null());
		json_array_append_new(chains, co);
	}
	json_object_set_new(o, "chains", chains);
	vnfs = json_array();
	for (uint16_t i = 0; i < e->n_vnfs; i++) {
		json_t *vo = json_object();

		json_object_set_new(vo, "name", json_string(e->vnfs[i]->name));
		json_object_set_new(vo, "class", json_string(e->vnfs[i]->cls->name));
		json_array_append_new(vnfs, vo);
	}
	json_object_set_new(o, "vnfs", vnfs);
	pthread_mutex_unlock(&eng_lock);
	return o;
}

int
nfv_engine_vnf_ctl(const char *instance, const char *cmd, json_t *args, json_t **result,
		   char *err, size_t errlen)
{
	struct nfv_engine *e = &nfv_eng;
	struct nfv_vnf *v;
	int ret;

	pthread_mutex_lock(&eng_lock);
	v = eng_find_vnf(e, instance);
	if (v == NULL) {
		snprintf(err, errlen, "no VNF instance named '%s'", instance);
		ret = -ENOENT;
	} else if (v->cls->ctl == NULL) {
		snprintf(err, errlen, "VNF %s (class %s) has no commands", instance, v->cls->name);
		ret = -ENOTSUP;
	} else {
		ret = v->cls->ctl(v, cmd, args, result, err, errlen);
	}
	pthread_mutex_unlock(&eng_lock);
	return ret;
}

const char *
nfv_engine_vnf_of_class(const char *class_name)
{
	for (uint16_t i = 0; i < nfv_eng.n_vnfs; i++)
		if (strcmp(nfv_eng.vnfs[i]->cls->name, class_name) == 0)
			return nfv_eng.vnfs[i]->name;
	return NULL;
}

const struct nfv_config *
nfv_engine_config(void)
{
	return nfv_eng.cfg;
}

/* ---- printing ---- */

static void
print_kv_nonzero(FILE *out, const char *indent, json_t *obj)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v)
		if (json_integer_value(v))
			fprintf(out, "%s%-22s %" JSON_INTEGER_FORMAT "\n", indent, k,
				json_integer_value(v));
}

void
nfv_engine_print_stats(FILE *out, bool final)
{
	static uint64_t last_ms, last_rx[NFV_MAX_CHAINS];
	json_t *st = nfv_engine_stats();
	json_t *chains = json_object_get(st, "chains");
	uint64_t now = nfv_now_ms();
	double dt = last_ms ? (now - last_ms) / 1000.0 : 0;
	const char *name;
	json_t *c;
	int i = 0;

	if (!final) {
		fprintf(out, "[%7.1fs]", (now - nfv_eng.start_ms) / 1000.0);
		json_object_foreach(chains, name, c) {
			uint64_t rx = json_integer_value(json_object_get(c, "rx"));
			uint64_t tx = json_integer_value(json_object_get(c, "tx"));
			uint64_t dr = json_integer_value(json_object_get(c, "drops"));

			fprintf(out, " %s: rx %" PRIu64 " tx %" PRIu64 " drop %" PRIu64, name, rx, tx,
				dr);
			if (dt > 0 && i < NFV_MAX_CHAINS)
				fprintf(out, " (%.0f pps)", (rx - last_rx[i]) / dt);
			fprintf(out, " |");
			if (i < NFV_MAX_CHAINS)
				last_rx[i] = rx;
			i++;
		}
		fprintf(out, "\n");
		last_ms = now;
		fflush(out);
		json_decref(st);
		return;
	}

	fprintf(out, "\n=== nfvd summary (%.1f s) ===\n", (now - nfv_eng.start_ms) / 1000.0);
	fprintf(out, "%-16s %12s %12s %10s %10s %8s %5s\n", "port", "rx", "tx", "rx-drop",
		"tx-drop", "errors", "link");
	json_object_foreach(json_object_get(st, "ports"), name, c)
		fprintf(out,
			"%-16s %12" JSON_INTEGER_FORMAT " %12" JSON_INTEGER_FORMAT
			" %10" JSON_INTEGER_FORMAT " %10" JSON_INTEGER_FORMAT
			" %8" JSON_INTEGER_FORMAT " %5s\n",
			name, json_integer_value(json_object_get(c, "rx")),
			json_integer_value(json_object_get(c, "tx")),
			json_integer_value(json_object_get(c, "rx_drops")),
			json_integer_value(json_object_get(c, "tx_drops")),
			json_integer_value(json_object_get(c, "errors")),
			json_string_value(json_object_get(c, "link")));
	fprintf(out, "%-16s %12s %12s %10s\n", "chain", "rx", "tx", "drops");
	json_object_foreach(chains, name, c)
		fprintf(out,
			"%-16s %12" JSON_INTEGER_FORMAT " %12" JSON_INTEGER_FORMAT
			" %10" JSON_INTEGER_FORMAT "\n",
			name, json_integer_value(json_object_get(c, "rx")),
			json_integer_value(json_object_get(c, "tx")),
			json_integer_value(json_object_get(c, "drops")));
	json_object_foreach(json_object_get(st, "vnfs"), name, c) {
		fprintf(out, "vnf %s (%s)\n", name,
			json_string_value(json_object_get(c, "class")));
		print_kv_nonzero(out, "    ", json_object_get(c, "counters"));
		print_kv_nonzero(out, "    drop ", json_object_get(c, "drops"));
	}
	fprintf(out, "engine\n");
	print_kv_nonzero(out, "    drop ",
			 json_object_get(json_object_get(st, "engine"), "drops"));
	fflush(out);
	json_decref(st);
}

/* ---- shutdown ---- */

void
nfv_engine_halt(void)
{
	struct nfv_engine *e = &nfv_eng;

	eng_apply_abandon();
	if (!e->eal_up)
		return;
	atomic_store(&e->stop, true);
	rte_eal_mp_wait_lcore();
	if (e->running) {
		pthread_mutex_lock(&eng_lock);
		eng_drain_punts(e);
		pthread_mutex_unlock(&eng_lock);
	}
}

/* True when a process other than us holds a lock (/proc/locks) on inode
 * ino: a secondary process locks the memseg arrays it attached. */
static bool
eng_locked_by_other(ino_t ino)
{
	FILE *f = fopen("/proc/locks", "re");
	char line[256];
	bool other = false;

	if (f == NULL)
		return true; /* cannot tell: leave it */
	while (!other && fgets(line, sizeof(line), f)) {
		unsigned long long lino;
		unsigned int maj, mnr;
		char kind[16], mode[16], rw[16];
		long pid;

		if (sscanf(line, "%*[^:]: %15s %15s %15s %ld %x:%x:%llu", kind, mode, rw, &pid, &maj,
			   &mnr, &lino) == 7 &&
		    (ino_t)lino == ino && pid != (long)getpid())
			other = true;
	}
	fclose(f);
	return other;
}

/* EAL leaves /var/run/dpdk/<prefix> behind (config, memseg arrays, sockets).
 * Remove it after rte_eal_cleanup, unless another process still uses it: a
 * secondary process has its mp_socket_<pid>_<n> there and locks the
 * memseg arrays (fbarray_*) and the config. Only our prefix's directory. */
static void
eng_remove_runtime_dir(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int dfd;

	if (dir == NULL || dir[0] != '/')
		return;
	d = opendir(dir);
	if (d == NULL)
		return;
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		struct stat st;

		if (strncmp(de->d_name, "mp_socket_", 10) == 0)
			goto in_use;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && eng_locked_by_other(st.st_ino))
			goto in_use;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
		    unlinkat(dfd, de->d_name, 0) < 0 && errno != ENOENT)
			fprintf(stderr, "nfvd: cannot remove %s/%s: %s\n", dir, de->d_name,
				strerror(errno));
	closedir(d);
	if (rmdir(dir) < 0 && errno != ENOENT)
		fprintf(stderr, "nfvd: cannot remove %s: %s\n", dir, strerror(errno));
	return;
in_use:
	closedir(d);
	/* EAL's log is gone after rte_eal_cleanup */
	printf("nfvd: %s still in use by another DPDK process; left in place\n", dir);
}

void
nfv_engine_stop(void)
{
	struct nfv_engine *e = &nfv_eng;
	char rundir[PATH_MAX];

	if (!e->eal_up) {
		nfv_config_free(e->cfg); /* the engine owns the config from start on */
		e->cfg = NULL;
		return;
	}
	nfv_engine_halt();
	pthread_mutex_lock(&eng_lock);
	e->running = false;
	nfv_pipeline_free(atomic_exchange(&e->pipeline, NULL));
	for (uint16_t i = 0; i < e->n_vnfs; i++)
		nfv_vnf_free(e->vnfs[i]);
	e->n_vnfs = 0;
	nfv_ports_close(e);
	for (uint16_t i = 0; i < e->n_workers; i++) {
		if (e->workers[i] == NULL)
			continue;
		if (e->workers[i]->w.punt) {
			struct rte_mbuf *m;

			while (rte_ring_dequeue(e->workers[i]->w.punt, (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(e->workers[i]->w.punt);
		}
		rte_free(e->workers[i]);
		e->workers[i] = NULL;
	}
	rte_mempool_free(e->pool);
	e->pool = NULL;
	rte_free(e->eng_ctr);
	e->eng_ctr = NULL;
	rte_free(e->qsv);
	e->qsv = NULL;
	pthread_mutex_unlock(&eng_lock);
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	e->eal_up = false;
	eng_remove_runtime_dir(rundir);
	nfv_config_free(e->cfg);
	e->cfg = NULL;
}
