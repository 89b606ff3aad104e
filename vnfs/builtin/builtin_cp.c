/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - built-in VNF classes the engine and users need (runtime halves;
 * schema halves: builtin_conf.c):
 *   forward      send every packet to a port
 *   drop         drop every packet (reason "policy")
 *   counter      count packets and bytes, pass them on
 *   mac-rewrite  set source and/or destination MAC, pass them on
 * (capture: capture_cp.c, capture_dp.c)
 * This file: create, reconfigure, destroy. Fast path: builtin_dp.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "builtin.h"

/* ---- forward ---- */

static int
fwd_create(struct nfv_vnf *vnf, const struct nfv_config *cfg, const void *conf, char *err,
	   size_t errlen)
{
	const struct fwd_conf *c = conf;
	struct fwd_state *st = calloc(1, sizeof(*st));
	int pid = nfv_port_id(cfg, c->port);

	if (st == NULL)
		return -ENOMEM;
	vnf->priv = st;
	if (pid < 0) {
		snprintf(err, errlen, "port %s is not running", cfg->ports[c->port].name);
		return -ENODEV;
	}
	st->port_id = (uint16_t)pid;
	return 0;
}

static int
fwd_reconfigure(struct nfv_vnf *vnf, const struct nfv_config *cfg, const void *conf, char *err,
		size_t errlen)
{
	const struct fwd_conf *c = conf;
	struct fwd_state *st = vnf->priv;
	int pid = nfv_port_id(cfg, c->port);

	if (pid < 0) {
		snprintf(err, errlen, "port %s is not running", cfg->ports[c->port].name);
		return -ENODEV;
	}
	__atomic_store_n(&st->port_id, (uint16_t)pid, __ATOMIC_RELEASE);
	return 0;
}

static void
builtin_destroy(struct nfv_vnf *vnf)
{
	free(vnf->priv);
	vnf->priv = NULL;
}

static struct vnf_class fwd_class = {
	.schema = &fwd_schema,
	.create = fwd_create,
	.destroy = builtin_destroy,
	.process = fwd_process,
	.reconfigure = fwd_reconfigure,
	.no_meta = 1,
};
VNF_CLASS_REGISTER(fwd_class)

/* ---- drop ---- */

static const char *const drop_drop_names[] = {DROP_DROPS(VNF_NAME)};
static const char *const drop_drop_descs[] = {DROP_DROPS(VNF_DESC)};

static int
noarg_create(struct nfv_vnf *vnf, const struct nfv_config *cfg, const void *conf, char *err,
	     size_t errlen)
{
	(void)vnf;
	(void)cfg;
	(void)conf;
	(void)err;
	(void)errlen;
	return 0;
}

static void
noarg_destroy(struct nfv_vnf *vnf)
{
	(void)vnf;
}

static struct vnf_class drop_class = {
	.schema = &drop_schema,
	.create = noarg_create,
	.destroy = noarg_destroy,
	.process = drop_process,
	.no_meta = 1,
	.drop_names = drop_drop_names,
	.drop_descs = drop_drop_descs,
	.n_drops = DROP_DROP_MAX,
};
VNF_CLASS_REGISTER(drop_class)

/* ---- counter ---- */

static const char *const cnt_counter_names[] = {CNT_COUNTERS(VNF_NAME)};

static struct vnf_class cnt_class = {
	.schema = &cnt_schema,
	.create = noarg_create,
	.destroy = noarg_destroy,
	.process = cnt_process,
	.no_meta = 1,
	.counter_names = cnt_counter_names,
	.n_counters = CNT_MAX,
};
VNF_CLASS_REGISTER(cnt_class)

/* ---- mac-rewrite ---- */

static const char *const mrw_drop_names[] = {MRW_DROPS(VNF_NAME)};
static const char *const mrw_drop_descs[] = {MRW_DROPS(VNF_DESC)};

static int
mrw_create(struct nfv_vnf *vnf, const struct nfv_config *cfg, const void *conf, char *err,
	   size_t errlen)
{
	struct mrw_state *st = calloc(1, sizeof(*st));

	(void)cfg;
	if (st == NULL)
		goto fail_alloc;
	vnf->priv = st;
	st->rt = malloc(sizeof(*st->rt));
	if (st->rt == NULL)
		goto fail_alloc;
	memcpy(st->rt, conf, sizeof(*st->rt));
	return 0;

fail_alloc:
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

static int
mrw_reconfigure(struct nfv_vnf *vnf, const struct nfv_config *cfg, const void *conf, char *err,
		size_t errlen)
{
	struct mrw_state *st = vnf->priv;
	struct mrw_conf *rt = malloc(sizeof(*rt)), *old;

	(void)cfg;
	if (rt == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memcpy(rt, conf, sizeof(*rt));
	old = __atomic_exchange_n(&st->rt, rt, __ATOMIC_ACQ_REL);
	rte_rcu_qsbr_synchronize(nfv_rcu(), RTE_QSBR_THRID_INVALID);
	free(old);
	return 0;
}

static void
mrw_destroy(struct nfv_vnf *vnf)
{
	struct mrw_state *st = vnf->priv;

	if (st != NULL)
		free(st->rt);
	free(st);
	vnf->priv = NULL;
}

static struct vnf_class mrw_class = {
	.schema = &mrw_schema,
	.create = mrw_create,
	.destroy = mrw_destroy,
	.process = mrw_process,
	.reconfigure = mrw_reconfigure,
	.no_meta = 1,
	.drop_names = mrw_drop_names,
	.drop_descs = mrw_drop_descs,
	.n_drops = MRW_DROP_MAX,
};
VNF_CLASS_REGISTER(mrw_class)
