/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - live apply: the chain file is read, parsed and validated on a
 * loader thread; the control thread then creates or reconfigures instances
 * aside, swaps the pipeline under RCU and frees the old one.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_rcu_qsbr.h>

#include "engine_priv.h"

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
	       a->promiscuous == b->promiscuous && strcmp(a->xdp_prog, b->xdp_prog) == 0 &&
	       a->underlay == b->underlay && memcmp(&a->local, &b->local, sizeof(a->local)) == 0 &&
	       memcmp(&a->remote, &b->remote, sizeof(a->remote)) == 0 && a->vni == b->vni &&
	       a->dst_port == b->dst_port && a->has_next_hop_mac == b->has_next_hop_mac &&
	       memcmp(a->next_hop_mac, b->next_hop_mac, 6) == 0 &&
	       a->udp_zero_csum6 == b->udp_zero_csum6;
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
		struct nfv_vnf *old = nfv_eng_find_vnf(e, vc->name);

		if (old != NULL && old->cls == cls) {
			if (cls->schema->config_equal &&
			    cls->schema->config_equal(old->conf, vc->conf)) {
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
		ret = nfv_vnf_instantiate(ncfg, i, &insts[i], err, sizeof(err));
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
	ret = nfv_pipeline_build(ncfg, insts, &np, err, sizeof(err));
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
	nfv_eng_drain_punts(e);
	for (uint16_t k = 0; k < e->n_vnfs; k++) {
		bool kept = false;

		for (i = 0; i < ncfg->n_vnfs; i++)
			if (insts[i] == e->vnfs[k])
				kept = true;
		if (!kept)
			nfv_vnf_free(e->vnfs[k]);
	}
	for (i = 0; i < ncfg->n_vnfs; i++) {
		if (old_conf[i] && insts[i]->cls->schema->config_free)
			insts[i]->cls->schema->config_free((void *)(uintptr_t)old_conf[i]);
		e->vnfs[i] = insts[i];
	}
	e->n_vnfs = ncfg->n_vnfs;
	nfv_pipeline_free(op);
	for (i = 0; i < ncfg->n_ports; i++)
		nfv_ports[nfv_port_cfg_id[i]].conf = &ncfg->ports[i];
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
void
nfv_engine_apply_poll(void)
{
	struct nfv_engine *e = &nfv_eng;
	struct eng_load *l = eng_apply.load;
	nfv_apply_done_fn done = eng_apply.done;
	void *ctx = eng_apply.ctx;
	json_t *errors;
	int ret;

	if (l == NULL || !e->running || atomic_load(&l->state) != LOAD_DONE)
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
		pthread_mutex_lock(&nfv_eng_lock);
		ret = eng_apply_locked(e, l->cfg, errors);
		pthread_mutex_unlock(&nfv_eng_lock);
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
void
nfv_engine_apply_abort(void)
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
