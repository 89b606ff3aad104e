/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - the engine's views: status and stats as JSON (control socket,
 * telemetry, metrics), class commands on instances, typed look-ups for the
 * control server, the live and final counter printouts.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_version.h>

#include "engine_priv.h"

static const char *const eng_drop_names[] = {NFV_ENGINE_DROPS(VNF_NAME)};
static const char *const eng_drop_descs[] = {NFV_ENGINE_DROPS(VNF_DESC)};

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
	pthread_mutex_lock(&nfv_eng_lock);
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
	json_object_set_new(eng, "control",
			    json_pack("{s:I, s:I, s:I, s:I}", "idle_waits", (json_int_t)e->waits,
				      "woken_by_punt", (json_int_t)e->woken_punt,
				      "woken_by_socket", (json_int_t)e->woken_socket,
				      "woken_by_tick", (json_int_t)e->woken_tick));
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
	pthread_mutex_unlock(&nfv_eng_lock);
	return o;
}

static void
drops_add(json_t *a, const char *kind, const char *name, const char *reason, uint64_t n,
	  const char *meaning)
{
	if (n == 0)
		return;
	json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:I, s:s}", "kind", kind, "name", name,
					   "reason", reason, "count", (json_int_t)n, "meaning",
					   meaning ? meaning : ""));
}

static int
drops_cmp(const void *x, const void *y)
{
	json_int_t a = json_integer_value(json_object_get(*(json_t *const *)x, "count"));
	json_int_t b = json_integer_value(json_object_get(*(json_t *const *)y, "count"));

	return a > b ? -1 : a < b;
}

json_t *
nfv_engine_drops(void)
{
	struct nfv_engine *e = &nfv_eng;
	const struct nfv_pipeline *p;
	uint64_t ed[NFV_DROP_ENGINE_MAX], total = 0;
	json_t *a, *sorted, **v;
	size_t n;

	if (!e->eal_up || e->eng_ctr == NULL)
		return json_pack("{s:[], s:i}", "drops", "total", 0);
	a = json_array();
	pthread_mutex_lock(&nfv_eng_lock);
	for (uint16_t pid = 0; pid < RTE_MAX_ETHPORTS; pid++) {
		const struct nfv_port_rt *pr = &nfv_ports[pid];
		struct rte_eth_stats st;

		if (!pr->used)
			continue;
		if (pr->started && rte_eth_stats_get(pid, &st) == 0) {
			drops_add(a, "port", pr->name, "rx-missed", st.imissed,
				  "the port's rx ring was full: the worker did not poll it in time");
			drops_add(a, "port", pr->name, "rx-no-mbuf", st.rx_nombuf,
				  "no packet buffer left in the pool for a received frame");
			drops_add(a, "port", pr->name, "rx-errors", st.ierrors,
				  "frames the device received in error (bad checksum, too long)");
			drops_add(a, "port", pr->name, "tx-errors", st.oerrors,
				  "frames the device failed to send");
		}
		drops_add(a, "port", pr->name, "ctl-tx-refused", pr->ctl_drops,
			  "control-thread packets (ARP/ND, DHCP replies, ICMP errors) the port did "
			  "not take");
	}
	eng_engine_drops(e, ed);
	for (int k = 0; k < NFV_DROP_ENGINE_MAX; k++)
		drops_add(a, "engine", "engine", eng_drop_names[k], ed[k], eng_drop_descs[k]);
	p = atomic_load(&e->pipeline);
	for (uint16_t c = 0; p && c < p->n_chains; c++) {
		uint64_t t[NFV_CHAIN_CTR_MAX];

		nfv_pipeline_chain_totals(p, c, t);
		drops_add(a, "chain", p->chains[c].name, "all", t[NFV_CHAIN_DROP],
			  "every drop of the chain's packets (its VNFs' and the engine's "
			  "reasons add up to it)");
	}
	for (uint16_t i = 0; i < e->n_vnfs; i++) {
		const struct nfv_vnf *vn = e->vnfs[i];
		const struct vnf_class *cls = vn->cls;

		for (uint16_t k = 0; k < cls->n_drops; k++)
			drops_add(a, "vnf", vn->name, cls->drop_names[k],
				  nfv_vnf_counter(vn, cls->n_counters + k),
				  cls->drop_descs ? cls->drop_descs[k] : "");
	}
	pthread_mutex_unlock(&nfv_eng_lock);
	n = json_array_size(a);
	v = calloc(n + 1, sizeof(*v));
	sorted = json_array();
	if (v != NULL) {
		for (size_t i = 0; i < n; i++)
			v[i] = json_array_get(a, i);
		qsort(v, n, sizeof(*v), drops_cmp);
		for (size_t i = 0; i < n; i++) {
			json_array_append(sorted, v[i]);
			if (strcmp(json_string_value(json_object_get(v[i], "kind")), "chain") != 0)
				total += json_integer_value(json_object_get(v[i], "count"));
		}
		free(v);
	}
	json_decref(a);
	return json_pack("{s:o, s:I}", "drops", sorted, "total", (json_int_t)total);
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
	pthread_mutex_lock(&nfv_eng_lock);
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

			snprintf(b, sizeof(b), "%s:%u", nfv_ports[wr->rxq[k].port].name,
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
	pthread_mutex_unlock(&nfv_eng_lock);
	return o;
}

int
nfv_engine_vnf_ctl(const char *instance, const char *cmd, json_t *args, json_t **result,
		   char *err, size_t errlen)
{
	struct nfv_engine *e = &nfv_eng;
	struct nfv_vnf *v;
	int ret;

	pthread_mutex_lock(&nfv_eng_lock);
	v = nfv_eng_find_vnf(e, instance);
	if (v == NULL) {
		snprintf(err, errlen, "no VNF instance named '%s'", instance);
		ret = -ENOENT;
	} else if (v->cls->ctl == NULL) {
		snprintf(err, errlen, "VNF %s (class %s) has no commands", instance, v->cls->name);
		ret = -ENOTSUP;
	} else {
		ret = v->cls->ctl(v, cmd, args, result, err, errlen);
	}
	pthread_mutex_unlock(&nfv_eng_lock);
	return ret;
}

const char *
nfv_engine_vnf_class(const char *instance)
{
	const char *cls = NULL;
	struct nfv_vnf *v;

	pthread_mutex_lock(&nfv_eng_lock);
	v = nfv_eng_find_vnf(&nfv_eng, instance);
	if (v != NULL)
		cls = v->cls->name; /* class names are static */
	pthread_mutex_unlock(&nfv_eng_lock);
	return cls;
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
