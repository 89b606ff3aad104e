/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - engine start-up: lcores, hugepages, EAL, mempool, workers, ports,
 * VNF instances, the first pipeline, worker launch.
 */
#include <errno.h>
#include <fnmatch.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_version.h>

#include "engine_priv.h"
#include "start_watchdog.h"

#define ENG_DRAIN_US 100

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

		/* a shared ring carries its peer's mbufs, not ours */
		if (pc->ring_shared[0] == '\0') {
			need += (uint64_t)pc->rx_desc * pc->rx_queues;
			need += (uint64_t)pc->tx_desc * (n_workers + 1);
		}
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
		uint16_t pid = nfv_port_cfg_id[i];
		struct nfv_port_rt *pr = &nfv_ports[pid];
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
		ret = nfv_vnf_instantiate(e->cfg, i, &insts[i], err, errlen);
		if (ret < 0)
			goto destroy_instances;
	}
	ret = nfv_pipeline_build(e->cfg, insts, &p, err, errlen);
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

/* DPDK's vhost library logs ~100 INFO lines (VHOST_CONFIG: every
 * vhost-user message) each time a guest's NIC connects. nfvd sets the
 * lib.vhost.* log types to warning unless its EAL arguments ask for more:
 * a --log-level whose pattern matches a vhost type (e.g.
 * --log-level=lib.vhost.*:info), or a global level of info or debug.
 * DPDK 22.11 gives a type registered late (the vhost PMD's library is
 * loaded during rte_eal_init) the level of the first matching --log-level,
 * so ours is left out when the user's asks for more, not merely put
 * first. */
static bool
eng_eal_log_verbose(const char *const *args, int n)
{
	for (int i = 0; i < n; i++) {
		const char *v = NULL, *colon;
		char pat[128];

		if (strncmp(args[i], "--log-level=", 12) == 0)
			v = args[i] + 12;
		else if (strcmp(args[i], "--log-level") == 0 && i + 1 < n)
			v = args[++i];
		if (v == NULL)
			continue;
		colon = strrchr(v, ':');
		if (colon == NULL) /* the global level */
			return strtol(v, NULL, 10) >= RTE_LOG_INFO || strncmp(v, "info", 4) == 0 ||
			       strncmp(v, "debug", 5) == 0;
		snprintf(pat, sizeof(pat), "%.*s", (int)(colon - v), v);
		if (fnmatch(pat, "lib.vhost.config", 0) == 0 || strstr(pat, "vhost") != NULL)
			return true;
	}
	return false;
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
	e->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (e->kick_fd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		return -errno;
	}
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
			share |= cfg->ports[i].driver == NFV_PORT_VIRTIO_USER ||
				 (cfg->ports[i].driver == NFV_PORT_RING &&
				  cfg->ports[i].ring_shared[0]); /* a secondary maps them */
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
	if (!eng_eal_log_verbose(eal_extra, n_eal_extra))
		argv[argc++] = "--log-level=lib.vhost.*:warning";
	for (int i = 0; i < n_eal_extra && argc < (int)RTE_DIM(argv) - 1; i++)
		argv[argc++] = eal_extra[i];
	argv[argc] = NULL;

	/* DPDK's tap PMD asks for a SIGIO per packet its queues receive (its
	 * rx "trigger"). Only the workers poll rx: the calling (control)
	 * thread and every thread EAL makes from here inherit SIGIO blocked,
	 * each worker unblocks it, so the signal never cuts the control
	 * thread's sleeps and syscalls short. */
	nfv_sigio_mask(SIG_BLOCK);
	nfv_startwd_step("DPDK EAL initialisation (rte_eal_init)");
	ret = rte_eal_init(argc, (char **)(uintptr_t)argv);
	if (ret < 0) {
		/* some failures leave rte_errno unset (22.11: "Cannot init
		 * config", another primary process holding the prefix's lock):
		 * never report success */
		int code = rte_errno > 0 ? rte_errno : EBUSY;

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
	nfv_startwd_step("mbuf pool allocation");
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
	nfv_startwd_step("port set-up");
	ret = nfv_ports_setup(e, err, errlen);
	if (ret < 0)
		goto cleanup;
	eng_assign_queues(e);
	nfv_startwd_step("VNF instances");
	ret = eng_create_all(e, err, errlen);
	if (ret < 0)
		goto cleanup;

	nfv_startwd_step("worker launch");
	e->start_ms = nfv_now_ms();
	e->running = true;
	if (e->shared_cpu >= 0) {
		/* one CPU: the control thread runs the worker (worker.c) */
		e->inline_worker = true;
		nfv_worker_inline_start(e->workers[0]);
	}
	for (uint16_t i = 0; i < e->n_workers && !e->inline_worker; i++) {
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
