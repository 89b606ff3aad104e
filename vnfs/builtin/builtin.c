/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - built-in VNF classes the engine and users need:
 *   forward      send every packet to a port
 *   drop         drop every packet (reason "policy")
 *   counter      count packets and bytes, pass them on
 *   mac-rewrite  set source and/or destination MAC, pass them on
 * (capture is in capture.c)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "nfv.h"

/* ---- forward ---- */

struct fwd_conf {
	uint16_t port; /* config index */
};

/* The DPDK port id is one 16-bit word: reconfigure stores it atomically,
 * a worker sends a burst either to the old or to the new port. */
struct fwd_state {
	uint16_t port_id; /* DPDK port id */
};

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

static uint16_t
fwd_process(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct fwd_state *st = vnf->priv;
	uint16_t port = __atomic_load_n(&st->port_id, __ATOMIC_ACQUIRE);

	for (uint16_t i = 0; i < n; i++)
		nfv_tx(w, port, pkts[i]);
	return 0;
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

#define DROP_DROPS(_) _(DROP_POLICY, "policy")
enum { DROP_DROPS(VNF_ENUM) DROP_DROP_MAX };
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

static uint16_t
drop_process(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		nfv_drop(w, vnf, pkts[i], DROP_POLICY);
	return 0;
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

#define CNT_COUNTERS(_) _(CNT_PACKETS, "packets") _(CNT_BYTES, "bytes")
enum { CNT_COUNTERS(VNF_ENUM) CNT_MAX };
static const char *const cnt_counter_names[] = {CNT_COUNTERS(VNF_NAME)};

static uint16_t
cnt_process(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t bytes = 0;

	for (uint16_t i = 0; i < n; i++)
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
	nfv_count(w, vnf, CNT_PACKETS, n);
	nfv_count(w, vnf, CNT_BYTES, bytes);
	return n;
}

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

#define MRW_DROPS(_) _(MRW_DROP_RUNT, "runt")
enum { MRW_DROPS(VNF_ENUM) MRW_DROP_MAX };
static const char *const mrw_drop_names[] = {MRW_DROPS(VNF_NAME)};

struct mrw_conf {
	bool set_src, set_dst;
	struct rte_ether_addr src, dst;
};

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

/* The MACs in use: a private copy published with one atomic pointer store;
 * the old copy is freed after an RCU grace period. */
struct mrw_state {
	struct mrw_conf *rt;
};

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

static uint16_t
mrw_process(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct mrw_state *st = vnf->priv;
	const struct mrw_conf *c = __atomic_load_n(&st->rt, __ATOMIC_ACQUIRE);
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_ether_hdr *eh;

		if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*eh))) {
			nfv_drop(w, vnf, m, MRW_DROP_RUNT);
			continue;
		}
		eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		if (c->set_src)
			rte_ether_addr_copy(&c->src, &eh->src_addr);
		if (c->set_dst)
			rte_ether_addr_copy(&c->dst, &eh->dst_addr);
		pkts[k++] = m;
	}
	return k;
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
