/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - the pipeline compiler: chains of the config + live VNF instances
 * -> an immutable table workers run (per-port ingress bindings, chains as
 * arrays of stages). The classifier (nfv_match_pkt) runs with the pipeline
 * in worker.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "engine_priv.h"

static int
bind_add(struct nfv_pipeline *p, uint16_t port, const struct nfv_chain_conf *cc, uint16_t chain,
	 uint8_t stage, char *err, size_t errlen)
{
	if (p->n_bind[port] >= NFV_MAX_BIND) {
		snprintf(err, errlen, "chain %s: too many chains on one port (max %d)", cc->name,
			 NFV_MAX_BIND);
		return -ENOSPC;
	}
	struct nfv_bind *b = &p->bind[port][p->n_bind[port]++];
	b->has_match = cc->has_match && stage == 0;
	if (b->has_match)
		b->match = cc->match;
	b->chain = chain;
	b->stage = stage;
	if (stage < cc->n_stages)
		p->port_read[port] = true;
	return 0;
}

/* Bindings with a match go first so a catch-all chain does not shadow them. */
static void
bind_sort(struct nfv_pipeline *p)
{
	for (uint16_t port = 0; port < RTE_MAX_ETHPORTS; port++) {
		struct nfv_bind *b = p->bind[port];
		uint16_t n = p->n_bind[port];

		for (uint16_t i = 1; i < n; i++)
			for (uint16_t j = i; j > 0 && !b[j - 1].has_match && b[j].has_match; j--) {
				struct nfv_bind t = b[j];
				b[j] = b[j - 1];
				b[j - 1] = t;
			}
	}
}

int
nfv_pipeline_build(const struct nfv_config *cfg, struct nfv_vnf *const *insts,
		       struct nfv_pipeline **out, char *err, size_t errlen)
{
	struct nfv_pipeline *p;
	int ret;

	p = rte_zmalloc("nfv_pipeline", sizeof(*p), RTE_CACHE_LINE_SIZE);
	if (p == NULL) {
		snprintf(err, errlen, "out of memory for the pipeline");
		return -ENOMEM;
	}
	p->chain_ctr = rte_zmalloc("nfv_chain_ctr",
				   sizeof(uint64_t) * RTE_MAX_LCORE * NFV_MAX_CHAINS *
					   NFV_CHAIN_CTR_MAX,
				   RTE_CACHE_LINE_SIZE);
	if (p->chain_ctr == NULL) {
		rte_free(p);
		snprintf(err, errlen, "out of memory for chain counters");
		return -ENOMEM;
	}
	p->n_vnfs = cfg->n_vnfs;
	for (uint16_t i = 0; i < cfg->n_vnfs; i++)
		p->vnfs[i] = insts[i];
	p->n_chains = cfg->n_chains;
	for (uint16_t c = 0; c < cfg->n_chains; c++) {
		const struct nfv_chain_conf *cc = &cfg->chains[c];
		struct nfv_chain_rt *cr = &p->chains[c];

		snprintf(cr->name, sizeof(cr->name), "%s", cc->name);
		cr->n_stages = cc->n_stages;
		for (uint16_t s = 0; s < cc->n_stages; s++) {
			cr->stages[s] = insts[cc->stages[s]];
			if (!cr->stages[s]->cls->no_meta)
				cr->fill_meta = true;
			if (cr->stages[s]->cls->sets_out_port)
				cr->meta_egress = true;
		}
		cr->egress = cc->egress >= 0 ? nfv_port_cfg_id[cc->egress] : -1;
		for (uint16_t i = 0; i < cc->n_ingress; i++) {
			ret = bind_add(p, nfv_port_cfg_id[cc->ingress[i]], cc, c, 0, err, errlen);
			if (ret < 0)
				goto free_pipeline;
		}
		/* Stages after which packets come back on other ports (VM
		 * stages): those ports resume the chain at the next stage. */
		for (uint16_t s = 0; s < cc->n_stages; s++) {
			const struct nfv_vnf *v = cr->stages[s];
			uint16_t ports[8];
			int np;

			if (v->cls->resume_ports == NULL)
				continue;
			np = v->cls->resume_ports(cfg, v->conf, ports, RTE_DIM(ports));
			for (int k = 0; k < np; k++) {
				if (s + 1 > UINT8_MAX) {
					ret = -E2BIG;
					goto free_pipeline;
				}
				ret = bind_add(p, nfv_port_cfg_id[ports[k]], cc, c, (uint8_t)(s + 1),
					       err, errlen);
				if (ret < 0)
					goto free_pipeline;
			}
		}
	}
	bind_sort(p);
	*out = p;
	return 0;

free_pipeline:
	nfv_pipeline_free(p);
	return ret;
}

void
nfv_pipeline_free(struct nfv_pipeline *p)
{
	if (p == NULL)
		return;
	rte_free(p->chain_ctr);
	rte_free(p);
}

void
nfv_pipeline_chain_totals(const struct nfv_pipeline *p, uint16_t c,
			  uint64_t out[NFV_CHAIN_CTR_MAX])
{
	for (int k = 0; k < NFV_CHAIN_CTR_MAX; k++)
		out[k] = p->chains[c].base[k];
	for (unsigned int l = 0; l < RTE_MAX_LCORE; l++) {
		const uint64_t *row =
			&p->chain_ctr[((size_t)l * NFV_MAX_CHAINS + c) * NFV_CHAIN_CTR_MAX];
		for (int k = 0; k < NFV_CHAIN_CTR_MAX; k++)
			out[k] += row[k];
	}
	/* what left the chain (sent, or punted to the control thread) is
	 * derived here rather than counted per packet on the workers */
	out[NFV_CHAIN_TX] = out[NFV_CHAIN_RX] - out[NFV_CHAIN_DROP];
}
