/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - built-in VNF classes the engine and users need:
 *   forward      send every packet to a port
 *   drop         drop every packet (reason "policy")
 *   counter      count packets and bytes, pass them on
 *   mac-rewrite  set source and/or destination MAC, pass them on
 * (capture: capture_cp.c, capture_dp.c)
 * This file: parse, create, reconfigure, destroy. Fast path: builtin_dp.c.
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
fwd_config_parse(const struct nfv_config *cfg, const struct cfg_node *node, void **conf,
		 struct cfg_errors *err)
{
	static const char *const keys[] = {"name", "class", "runtime", "port", NULL};
	struct fwd_conf *c = calloc(1, sizeof(*c));
	int bad = 0;

	if (c == NULL)
		return -ENOMEM;
	bad |= cfg_check_keys(node, keys, err) > 0;
	bad |= nfv_config_get_port(cfg, node, "port", true, &c->port, err) < 0;
	if (bad) {
		free(c);
		return -EINVAL;
	}
	*conf = c;
	return 0;
}

static int
fwd_config_equal(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct fwd_conf)) == 0;
}

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
	.name = "forward",
	.help = "send every packet to a port (port: NAME)",
	.config_parse = fwd_config_parse,
	.config_free = free,
	.config_equal = fwd_config_equal,
	.create = fwd_create,
	.destroy = builtin_destroy,
	.process = fwd_process,
	.reconfigure = fwd_reconfigure,
	.no_meta = 1,
};
VNF_CLASS_REGISTER(fwd_class)

/* ---- drop ---- */

static const char *const drop_drop_names[] = {DROP_DROPS(VNF_NAME)};

static int
noarg_config_parse(const struct nfv_config *cfg, const struct cfg_node *node, void **conf,
		   struct cfg_errors *err)
{
	static const char *const keys[] = {"name", "class", "runtime", NULL};

	(void)cfg;
	*conf = NULL;
	return cfg_check_keys(node, keys, err) > 0 ? -EINVAL : 0;
}

static int
noarg_config_equal(const void *a, const void *b)
{
	(void)a;
	(void)b;
	return 1;
}

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
	.name = "drop",
	.help = "drop every packet (counted as 'policy')",
	.config_parse = noarg_config_parse,
	.config_equal = noarg_config_equal,
	.create = noarg_create,
	.destroy = noarg_destroy,
	.process = drop_process,
	.no_meta = 1,
	.drop_names = drop_drop_names,
	.n_drops = DROP_DROP_MAX,
};
VNF_CLASS_REGISTER(drop_class)

/* ---- counter ---- */

static const char *const cnt_counter_names[] = {CNT_COUNTERS(VNF_NAME)};

static struct vnf_class cnt_class = {
	.name = "counter",
	.help = "count packets and bytes, pass them on",
	.config_parse = noarg_config_parse,
	.config_equal = noarg_config_equal,
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

static int
mrw_config_parse(const struct nfv_config *cfg, const struct cfg_node *node, void **conf,
		 struct cfg_errors *err)
{
	static const char *const keys[] = {"name", "class", "runtime", "src", "dst", NULL};
	struct mrw_conf *c = calloc(1, sizeof(*c));
	int bad = 0, r;

	(void)cfg;
	if (c == NULL)
		return -ENOMEM;
	bad |= cfg_check_keys(node, keys, err) > 0;
	r = cfg_get_mac(node, "src", false, c->src.addr_bytes, err);
	c->set_src = r == 0;
	bad |= r < 0;
	r = cfg_get_mac(node, "dst", false, c->dst.addr_bytes, err);
	c->set_dst = r == 0;
	bad |= r < 0;
	if (!bad && !c->set_src && !c->set_dst) {
		cfg_error(err, node, "mac-rewrite needs src, dst or both");
		bad = 1;
	}
	if (bad) {
		free(c);
		return -EINVAL;
	}
	*conf = c;
	return 0;
}

static int
mrw_config_equal(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct mrw_conf)) == 0;
}

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
	.name = "mac-rewrite",
	.help = "set the source and/or destination MAC (src: MAC, dst: MAC)",
	.config_parse = mrw_config_parse,
	.config_free = free,
	.config_equal = mrw_config_equal,
	.create = mrw_create,
	.destroy = mrw_destroy,
	.process = mrw_process,
	.reconfigure = mrw_reconfigure,
	.no_meta = 1,
	.drop_names = mrw_drop_names,
	.n_drops = MRW_DROP_MAX,
};
VNF_CLASS_REGISTER(mrw_class)
