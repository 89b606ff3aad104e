/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - the engine on the control thread: its state, the VNF instances,
 * the slow path (punt rings, ticks, link state), the stop request and
 * shutdown. Start-up is in engine_start.c, live apply in engine_apply.c,
 * the JSON views and printing in engine_view.c, the port table in port.c.
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
#include <poll.h>
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
#include "trace.h"

#define ENG_TICK_MS NFV_ENGINE_WAIT_MS
#define ENG_LINK_MS 100

struct nfv_engine nfv_eng;

/* Set by SIGINT/SIGTERM (main.c) and the "shutdown" command (ctl.c); the
 * main loop stops when it sees it. */
static volatile sig_atomic_t eng_stop_flag;

/* Control-plane lock: taken by the control thread around everything it
 * does, and by the telemetry thread when it reads. Never by workers. */
pthread_mutex_t nfv_eng_lock = PTHREAD_MUTEX_INITIALIZER;

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

void
nfv_request_stop(void)
{
	eng_stop_flag = 1; /* async-signal-safe: called from signal handlers */
}

bool
nfv_stop_requested(void)
{
	return eng_stop_flag != 0;
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
	if (v->cls->schema->config_free && v->conf)
		v->cls->schema->config_free((void *)(uintptr_t)v->conf);
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

/* Create instance idx of cfg; steals its conf. */
int
nfv_vnf_instantiate(struct nfv_config *cfg, uint16_t idx, struct nfv_vnf **out, char *err,
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

struct nfv_vnf *
nfv_eng_find_vnf(struct nfv_engine *e, const char *name)
{
	for (uint16_t i = 0; i < e->n_vnfs; i++)
		if (strcmp(e->vnfs[i]->name, name) == 0)
			return e->vnfs[i];
	return NULL;
}

/* ---- slow path ---- */


unsigned int
nfv_eng_drain_punts(struct nfv_engine *e)
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

/* one-CPU mode: worker passes while packets come (at most this many per
 * control-loop turn), the punts of each handled right after it */
#define ENG_INLINE_PASSES 64

static unsigned int
eng_poll_locked(struct nfv_engine *e)
{
	uint64_t now = nfv_now_ms();
	unsigned int done = 0;
	unsigned int pending = 0;

	if (e->inline_worker) {
		for (unsigned int k = 0; k < ENG_INLINE_PASSES && !atomic_load(&e->stop); k++) {
			uint64_t got = nfv_worker_inline_poll(e->workers[0]);

			done += (unsigned int)got + nfv_eng_drain_punts(e);
			if (got == 0)
				break;
		}
	} else {
		done = nfv_eng_drain_punts(e);
	}

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
		nfv_ports_poll_link();
	}
	return done;
}

bool
nfv_engine_pending(void)
{
	return nfv_eng.pending != 0;
}

bool
nfv_engine_idle_nap(void)
{
	struct nfv_engine *e = &nfv_eng;

	if (!e->running || !e->inline_worker)
		return false;
	nfv_worker_inline_nap(e->workers[0], e->pending != 0);
	return true;
}

unsigned int
nfv_engine_poll(void)
{
	unsigned int done;

	if (!nfv_eng.running)
		return 0;
	pthread_mutex_lock(&nfv_eng_lock);
	done = eng_poll_locked(&nfv_eng);
	pthread_mutex_unlock(&nfv_eng_lock);
	return done;
}

/* ---- the control thread's idle wait ---- */

void
nfv_eng_kick(struct nfv_engine *e)
{
	uint64_t one = 1;

	if (atomic_load_explicit(&e->ctl_asleep, memory_order_relaxed) &&
	    atomic_exchange(&e->ctl_asleep, false) && write(e->kick_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is full, a wake-up is pending anyway */
	}
}

unsigned int
nfv_engine_wait_fds(struct pollfd *pfd, unsigned int max)
{
	struct nfv_engine *e = &nfv_eng;
	unsigned int n = 0;

	if (!e->running || e->inline_worker || max == 0)
		return 0;
	pfd[n++] = (struct pollfd){.fd = e->kick_fd, .events = POLLIN};
	for (uint16_t i = 0; i < e->n_vnfs && n < max; i++)
		if (e->vnfs[i]->cls->wait_fds)
			n += e->vnfs[i]->cls->wait_fds(e->vnfs[i], pfd + n, max - n);
	return n;
}

bool
nfv_engine_sleep_begin(void)
{
	struct nfv_engine *e = &nfv_eng;

	if (!e->running || e->inline_worker)
		return true; /* no workers to kick: a timed sleep on the sockets */
	/* a full barrier (seq_cst store) before the rings are read: a worker
	 * whose punt landed after this load sees ctl_asleep and kicks */
	atomic_store(&e->ctl_asleep, true);
	for (uint16_t i = 0; i < e->n_workers; i++) {
		if (rte_ring_count(e->workers[i]->w.punt) > 0) {
			atomic_store(&e->ctl_asleep, false);
			return false;
		}
	}
	return true;
}

void
nfv_engine_sleep_end(int ready)
{
	struct nfv_engine *e = &nfv_eng;
	uint64_t v;

	atomic_store_explicit(&e->ctl_asleep, false, memory_order_relaxed);
	e->waits++;
	if (read(e->kick_fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
		e->woken_punt++;
	else if (ready > 0)
		e->woken_socket++;
	else
		e->woken_tick++; /* or a signal */
}

/* ---- shutdown ---- */

void
nfv_engine_halt(void)
{
	struct nfv_engine *e = &nfv_eng;

	if (!e->eal_up)
		return;
	atomic_store(&e->stop, true);
	rte_eal_mp_wait_lcore();
	if (e->running) {
		pthread_mutex_lock(&nfv_eng_lock);
		if (e->inline_worker) {
			nfv_worker_inline_stop(e->workers[0]);
			e->inline_worker = false;
		}
		nfv_eng_drain_punts(e);
		pthread_mutex_unlock(&nfv_eng_lock);
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
nfv_engine_remove_runtime_dir(void)
{
	const char *dir = rte_eal_get_runtime_dir();

	if (dir != NULL && dir[0] != '\0')
		eng_remove_runtime_dir(dir);
}

void
nfv_engine_stop(void)
{
	struct nfv_engine *e = &nfv_eng;
	char rundir[PATH_MAX];

	if (!e->eal_up) {
		nfv_config_free(e->cfg); /* the engine owns the config from start on */
		e->cfg = NULL;
		/* start failed after its eventfd, or never ran (the static
		 * zero is not ours: fd 0 is left alone) */
		if (e->kick_fd > 0)
			close(e->kick_fd);
		e->kick_fd = -1;
		return;
	}
	nfv_engine_halt();
	pthread_mutex_lock(&nfv_eng_lock);
	e->running = false;
	nfv_engine_trace_fini();
	nfv_pipeline_free(atomic_exchange(&e->pipeline, NULL));
	for (uint16_t i = 0; i < e->n_vnfs; i++)
		nfv_vnf_free(e->vnfs[i]);
	e->n_vnfs = 0;
	nfv_ports_close();
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
	pthread_mutex_unlock(&nfv_eng_lock);
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	e->eal_up = false;
	eng_remove_runtime_dir(rundir);
	nfv_config_free(e->cfg);
	e->cfg = NULL;
	if (e->kick_fd > 0)
		close(e->kick_fd);
	e->kick_fd = -1;
}
