/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - packet trace: the record buffers the workers fill for the packets
 * they trace, the hooks of the engine's verbs, and the views (JSON) the
 * control thread makes of them at "trace show". See trace.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bpf.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>

#include "engine_priv.h"
#include "pcap_bpf.h"
#include "trace.h"

static const char *const eng_drop_names[] = {NFV_ENGINE_DROPS(VNF_NAME)};
static const char *const eng_drop_descs[] = {NFV_ENGINE_DROPS(VNF_DESC)};

const char *
nfv_engine_drop_name(uint16_t reason)
{
	return reason < NFV_DROP_ENGINE_MAX ? eng_drop_names[reason] : "?";
}

const char *
nfv_engine_drop_desc(uint16_t reason)
{
	return reason < NFV_DROP_ENGINE_MAX ? eng_drop_descs[reason] : "";
}

/* ---- build and free (control thread) ---- */

void
nfv_trace_free(struct nfv_trace *t)
{
	if (t == NULL)
		return;
	for (uint16_t i = 0; i < t->n_workers; i++)
		free(t->wk[i].rec);
	if (t->bpf != NULL)
		rte_bpf_destroy(t->bpf);
	free(t);
}

int
nfv_trace_new(const char *chain, int port, uint32_t count, const char *filter,
	      uint16_t n_workers, struct nfv_trace **out, char *err, size_t errlen)
{
	struct nfv_trace *t;
	int ret;

	if (count < 1 || count > NFV_TRACE_COUNT_MAX) {
		snprintf(err, errlen, "count must be 1..%u packets per worker (got %u)",
			 NFV_TRACE_COUNT_MAX, count);
		return -ERANGE;
	}
	if (filter != NULL && strlen(filter) >= NFV_TRACE_FILTER_MAX) {
		snprintf(err, errlen, "filter longer than %u bytes", NFV_TRACE_FILTER_MAX - 1);
		return -E2BIG;
	}
	if (chain != NULL && strlen(chain) >= NFV_NAME_MAX) {
		snprintf(err, errlen, "chain name longer than %u bytes", NFV_NAME_MAX - 1);
		return -E2BIG;
	}
	t = calloc(1, sizeof(*t) + n_workers * sizeof(t->wk[0]));
	if (t == NULL)
		goto nomem;
	t->n_workers = n_workers;
	t->port = port;
	t->count = count;
	snprintf(t->chain, sizeof(t->chain), "%s", chain ? chain : "");
	snprintf(t->filter, sizeof(t->filter), "%s", filter ? filter : "");
	for (uint16_t i = 0; i < n_workers; i++) {
		t->wk[i].rec = calloc(count, sizeof(struct nfv_trace_rec));
		if (t->wk[i].rec == NULL)
			goto nomem;
		t->wk[i].count = count;
	}
	if (t->filter[0]) {
		struct rte_bpf_jit jit;

		ret = nfv_pcap_load(t->filter, &t->bpf, err, errlen);
		if (ret < 0) {
			nfv_trace_free(t);
			return ret;
		}
		if (rte_bpf_get_jit(t->bpf, &jit) == 0 && jit.func != NULL)
			t->jit = jit.func;
	}
	t->start_ms = nfv_now_ms();
	t->start_tsc = rte_rdtsc();
	*out = t;
	return 0;
nomem:
	nfv_trace_free(t);
	snprintf(err, errlen, "no memory for %u trace records per worker", count);
	return -ENOMEM;
}

/* ---- worker side ---- */

static inline void
trace_copy_str(char *dst, const char *src, size_t len)
{
	size_t i = 0;

	if (src != NULL)
		for (; i + 1 < len && src[i]; i++)
			dst[i] = src[i];
	dst[i] = '\0';
}

uint16_t
nfv_trace_rx(struct nfv_trace *t, struct nfv_worker *w, const char *chain, uint8_t first_stage,
	     struct rte_mbuf **pkts, uint16_t n)
{
	struct nfv_trace_wk *wk = &t->wk[w->idx];

	wk->n_live = 0;
	if (wk->used >= wk->count) /* full: costs nothing more */
		return 0;
	if (t->chain[0] && strcmp(t->chain, chain) != 0)
		return 0;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct nfv_mbuf_meta *md = nfv_meta(m);
		struct nfv_trace_rec *r;

		md->flags &= (uint8_t)~NFV_META_TRACE;
		if (wk->used >= wk->count)
			continue;
		if (t->port >= 0 && m->port != (uint16_t)t->port)
			continue;
		if (t->bpf != NULL && (t->jit ? t->jit(m) : rte_bpf_exec(t->bpf, m)) == 0)
			continue;
		r = &wk->rec[wk->used];
		r->seq = wk->used++;
		r->tsc = w->now_tsc ? w->now_tsc : rte_rdtsc();
		r->m = m;
		r->pkt_len = rte_pktmbuf_pkt_len(m);
		r->in_port = m->port;
		r->queue = w->rxq;
		r->head_len = (uint16_t)RTE_MIN(rte_pktmbuf_data_len(m), NFV_TRACE_HEAD);
		memcpy(r->head, rte_pktmbuf_mtod(m, const void *), r->head_len);
		r->first_stage = first_stage;
		r->n_ent = 0;
		r->n_lost_ents = 0;
		r->final = false;
		r->punted = false;
		trace_copy_str(r->chain, chain, sizeof(r->chain));
		md->flags |= NFV_META_TRACE;
		wk->live[wk->n_live++] = r;
	}
	if (wk->n_live > 0)
		w->trace = wk;
	return wk->n_live;
}

static inline struct nfv_trace_rec *
trace_find(struct nfv_trace_wk *wk, const struct rte_mbuf *m)
{
	for (uint16_t i = 0; i < wk->n_live; i++)
		if (wk->live[i]->m == m)
			return wk->live[i];
	return NULL;
}

/* The next entry of r; the last one is kept for the final verdict. */
static struct nfv_trace_ent *
trace_ent(struct nfv_trace_rec *r, uint8_t kind, bool final)
{
	struct nfv_trace_ent *e;

	if (r->n_ent >= (final ? NFV_TRACE_ENTS : NFV_TRACE_ENTS - 1)) {
		if (r->n_lost_ents < UINT8_MAX)
			r->n_lost_ents++;
		return NULL;
	}
	e = &r->ent[r->n_ent++];
	e->kind = kind;
	e->stage = UINT8_MAX;
	e->code = 0;
	e->vnf[0] = '\0';
	e->cls = NULL;
	e->fmt = NULL;
	e->str[0] = '\0';
	e->a[0] = e->a[1] = e->a[2] = 0;
	return e;
}

static void
trace_ent_stage(struct nfv_trace_ent *e, const struct nfv_trace_wk *wk, const struct nfv_vnf *vnf)
{
	if (vnf == NULL)
		vnf = wk->vnf;
	e->stage = wk->stage;
	if (vnf != NULL) {
		trace_copy_str(e->vnf, vnf->name, sizeof(e->vnf));
		e->cls = vnf->cls;
	}
}

void
nfv_trace_note(struct nfv_worker *w, const struct nfv_vnf *vnf, const struct rte_mbuf *m,
	       const char *fmt, const char *str, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct nfv_trace_wk *wk = w->trace;
	struct nfv_trace_rec *r;
	struct nfv_trace_ent *e;

	if (wk == NULL || (r = trace_find(wk, m)) == NULL || r->final)
		return;
	e = trace_ent(r, NFV_TRACE_K_NOTE, false);
	if (e == NULL)
		return;
	trace_ent_stage(e, wk, vnf);
	e->fmt = fmt;
	trace_copy_str(e->str, str, sizeof(e->str));
	e->a[0] = a0;
	e->a[1] = a1;
	e->a[2] = a2;
}

void
nfv_trace_drop(struct nfv_worker *w, const struct nfv_vnf *vnf, const struct rte_mbuf *m,
	       uint16_t reason)
{
	struct nfv_trace_wk *wk = w->trace;
	struct nfv_trace_rec *r = trace_find(wk, m);
	struct nfv_trace_ent *e;

	/* a punt the ring refused ends as a drop (punt-full) */
	if (r == NULL || (r->final && !r->punted))
		return;
	r->final = true;
	r->punted = false;
	e = trace_ent(r, NFV_TRACE_K_DROP, true);
	if (e == NULL)
		return;
	if (vnf != NULL)
		trace_ent_stage(e, wk, vnf);
	e->code = reason;
}

void
nfv_trace_punt(struct nfv_worker *w, const struct nfv_vnf *vnf, const struct rte_mbuf *m)
{
	struct nfv_trace_wk *wk = w->trace;
	struct nfv_trace_rec *r = trace_find(wk, m);
	struct nfv_trace_ent *e;

	if (r == NULL || r->final)
		return;
	r->final = true;
	r->punted = true;
	e = trace_ent(r, NFV_TRACE_K_PUNT, true);
	if (e != NULL)
		trace_ent_stage(e, wk, vnf);
}

/* The tx buffer a stage queued m on (forward, a guest stage), or NONE. */
static uint16_t
trace_txq_of(const struct nfv_worker *w, const struct rte_mbuf *m)
{
	for (uint16_t p = 0; p < RTE_MAX_ETHPORTS; p++)
		for (uint16_t k = 0; k < w->tx[p].n; k++)
			if (w->tx[p].pkts[k] == m)
				return p;
	return NFV_PORT_NONE;
}

void
nfv_trace_stage_end(struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct nfv_trace_wk *wk = w->trace;

	for (uint16_t i = 0; i < wk->n_live; i++) {
		struct nfv_trace_rec *r = wk->live[i];
		struct nfv_trace_ent *e;
		bool kept = false;

		if (r->final)
			continue;
		for (uint16_t k = 0; k < n && !kept; k++)
			kept = pkts[k] == r->m;
		if (kept) {
			e = trace_ent(r, NFV_TRACE_K_PASS, false);
		} else {
			/* neither returned, dropped nor punted: the stage sent it */
			r->final = true;
			e = trace_ent(r, NFV_TRACE_K_SENT, true);
			if (e != NULL)
				e->a[0] = trace_txq_of(w, r->m);
		}
		if (e != NULL)
			trace_ent_stage(e, wk, NULL);
	}
}

void
nfv_trace_chain_tx(struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n, uint16_t port)
{
	struct nfv_trace_wk *wk = w->trace;

	for (uint16_t i = 0; i < wk->n_live; i++) {
		struct nfv_trace_rec *r = wk->live[i];
		struct nfv_trace_ent *e;

		if (r->final)
			continue;
		for (uint16_t k = 0; k < n; k++) {
			uint16_t p = port;

			if (pkts[k] != r->m)
				continue;
			if (p == NFV_PORT_NONE)
				p = nfv_meta(pkts[k])->out_port;
			if (p == NFV_PORT_NONE)
				break; /* the engine drops it: no-egress */
			r->final = true;
			e = trace_ent(r, NFV_TRACE_K_TX, true);
			if (e != NULL)
				e->a[0] = p;
			break;
		}
	}
}

void
nfv_trace_end(struct nfv_worker *w)
{
	struct nfv_trace_wk *wk = w->trace;

	for (uint16_t i = 0; i < wk->n_live; i++) {
		struct nfv_trace_rec *r = wk->live[i];

		if (!r->final) {
			r->final = true;
			trace_ent(r, NFV_TRACE_K_LOST, true);
		}
	}
	wk->n_live = 0;
	atomic_store_explicit(&wk->done, wk->used, memory_order_release);
	w->trace = NULL;
}

/* ---- control thread ---- */

void
nfv_trace_ctl_note(const struct nfv_vnf *vnf, struct rte_mbuf *m, const char *fmt,
		   const char *str, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct nfv_trace *t = atomic_load_explicit(&nfv_eng.trace, memory_order_acquire);

	if (t == NULL || !(nfv_meta(m)->flags & NFV_META_TRACE))
		return;
	for (uint16_t i = 0; i < t->n_workers; i++) {
		struct nfv_trace_wk *wk = &t->wk[i];
		uint32_t done = atomic_load_explicit(&wk->done, memory_order_acquire);

		/* the newest records: a punted packet is handled soon */
		for (uint32_t k = done; k > 0 && done - k < 64; k--) {
			struct nfv_trace_rec *r = &wk->rec[k - 1];
			struct nfv_trace_ent *e;

			if (!r->punted || r->m != m)
				continue;
			e = trace_ent(r, NFV_TRACE_K_CTL, true);
			if (e == NULL)
				return;
			for (int j = r->n_ent - 2; j >= 0; j--)
				if (r->ent[j].kind == NFV_TRACE_K_PUNT) {
					/* shown with the stage that punted it */
					e->stage = r->ent[j].stage;
					memcpy(e->vnf, r->ent[j].vnf, sizeof(e->vnf));
					e->cls = r->ent[j].cls;
					break;
				}
			if (vnf != NULL) {
				trace_copy_str(e->vnf, vnf->name, sizeof(e->vnf));
				e->cls = vnf->cls;
			}
			e->fmt = fmt;
			trace_copy_str(e->str, str, sizeof(e->str));
			e->a[0] = a0;
			e->a[1] = a1;
			e->a[2] = a2;
			return;
		}
	}
}

static void
port_name(uint64_t id, char *buf, size_t len)
{
	if (id < RTE_MAX_ETHPORTS && nfv_ports[id].used && nfv_ports[id].name[0])
		snprintf(buf, len, "%s", nfv_ports[id].name);
	else if (id == NFV_PORT_NONE)
		snprintf(buf, len, "none");
	else
		snprintf(buf, len, "port%" PRIu64, id);
}

void
nfv_trace_fmt(const struct nfv_trace_ent *e, char *buf, size_t len)
{
	size_t o = 0;
	unsigned int ai = 0;
	char tmp[128];

	if (len == 0)
		return;
	buf[0] = '\0';
	if (e->fmt == NULL) {
		snprintf(buf, len, "%s", e->str);
		return;
	}
	for (const char *f = e->fmt; *f && o + 1 < len; f++) {
		const char *piece = tmp;
		uint64_t a = ai < 3 ? e->a[ai] : 0;

		if (*f != '%' || f[1] == '\0') {
			buf[o++] = *f;
			continue;
		}
		f++;
		switch (*f) {
		case 'u':
			snprintf(tmp, sizeof(tmp), "%" PRIu64, a);
			ai++;
			break;
		case 'd':
			snprintf(tmp, sizeof(tmp), "%" PRId64, (int64_t)a);
			ai++;
			break;
		case 'x':
			snprintf(tmp, sizeof(tmp), "0x%" PRIx64, a);
			ai++;
			break;
		case '4': {
			uint32_t v = (uint32_t)a;

			inet_ntop(AF_INET, &v, tmp, sizeof(tmp));
			ai++;
			break;
		}
		case '6': {
			uint64_t v[2] = {a, ai + 1 < 3 ? e->a[ai + 1] : 0};

			inet_ntop(AF_INET6, v, tmp, sizeof(tmp));
			ai += 2;
			break;
		}
		case 'e': { /* IPv4 endpoint: address (%4) | port (host order) << 32 */
			uint32_t v = (uint32_t)a;
			char s4[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &v, s4, sizeof(s4));
			snprintf(tmp, sizeof(tmp), "%s:%u", s4, (unsigned int)(a >> 32) & 0xffff);
			ai++;
			break;
		}
		case 'p':
			port_name(a, tmp, sizeof(tmp));
			ai++;
			break;
		case 'r': { /* the stage's class resolves it now (vnf.h trace_conv) */
			struct nfv_vnf *v = e->cls != NULL && e->cls->trace_conv != NULL
						    ? nfv_eng_find_vnf(&nfv_eng, e->vnf)
						    : NULL;

			if (v != NULL && v->cls == e->cls && ai < 3)
				ai += e->cls->trace_conv(v, e->a + ai, 3 - ai, tmp, sizeof(tmp));
			else
				snprintf(tmp, sizeof(tmp), "(not known now)");
			break;
		}
		case 's':
			piece = e->str;
			break;
		case '%':
			piece = "%";
			break;
		default: /* unknown: shown as written */
			snprintf(tmp, sizeof(tmp), "%%%c", *f);
			break;
		}
		for (; *piece && o + 1 < len; piece++)
			buf[o++] = *piece;
	}
	buf[o] = '\0';
}

static const char *
icmp4_name(uint8_t type)
{
	switch (type) {
	case 0: return "echo reply";
	case 3: return "destination unreachable";
	case 5: return "redirect";
	case 8: return "echo request";
	case 11: return "time exceeded";
	case 12: return "parameter problem";
	default: return NULL;
	}
}

static const char *
icmp6_name(uint8_t type)
{
	switch (type) {
	case 1: return "destination unreachable";
	case 2: return "packet too big";
	case 3: return "time exceeded";
	case 4: return "parameter problem";
	case 128: return "echo request";
	case 129: return "echo reply";
	case 133: return "router solicitation";
	case 134: return "router advertisement";
	case 135: return "neighbor solicitation";
	case 136: return "neighbor advertisement";
	default: return NULL;
	}
}

static size_t
sum_l4(char *buf, size_t len, uint8_t proto, const uint8_t *l4, size_t l4len, bool v6)
{
	const char *nm;

	switch (proto) {
	case IPPROTO_TCP:
		if (l4len < 14)
			return snprintf(buf, len, " TCP");
		return snprintf(buf, len, " TCP %u > %u flags 0x%02x", (l4[0] << 8) | l4[1],
				(l4[2] << 8) | l4[3], l4[13]);
	case IPPROTO_UDP: {
		unsigned int sp, dp;

		if (l4len < 4)
			return snprintf(buf, len, " UDP");
		sp = (l4[0] << 8) | l4[1];
		dp = (l4[2] << 8) | l4[3];
		return snprintf(buf, len, " UDP %u > %u%s", sp, dp,
				(sp == 67 || sp == 68) && (dp == 67 || dp == 68) ? " (DHCP)"
				: (sp == 546 || sp == 547) && (dp == 546 || dp == 547) ? " (DHCPv6)"
											   : "");
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (l4len < 2)
			return snprintf(buf, len, v6 ? " ICMPv6" : " ICMP");
		nm = v6 ? icmp6_name(l4[0]) : icmp4_name(l4[0]);
		if (nm != NULL)
			return snprintf(buf, len, " %s %s", v6 ? "ICMPv6" : "ICMP", nm);
		return snprintf(buf, len, " %s type %u code %u", v6 ? "ICMPv6" : "ICMP", l4[0],
				l4[1]);
	default:
		return snprintf(buf, len, " proto %u", proto);
	}
}

void
nfv_trace_pkt_summary(const struct nfv_trace_rec *r, char *buf, size_t len)
{
	const uint8_t *d = r->head;
	size_t n = r->head_len, off = RTE_ETHER_HDR_LEN, o = 0;
	char s[INET6_ADDRSTRLEN], t[INET6_ADDRSTRLEN];
	uint16_t et;

#define SUM_PUT(...)                                                                         \
	do {                                                                                 \
		if (o < len)                                                                 \
			o += snprintf(buf + o, len - o, __VA_ARGS__);                        \
	} while (0)
	buf[0] = '\0';
	if (n < off) {
		SUM_PUT("runt frame (%u bytes)", r->pkt_len);
		return;
	}
	SUM_PUT("%02x:%02x:%02x:%02x:%02x:%02x > %02x:%02x:%02x:%02x:%02x:%02x", d[6], d[7], d[8],
		d[9], d[10], d[11], d[0], d[1], d[2], d[3], d[4], d[5]);
	et = (uint16_t)((d[12] << 8) | d[13]);
	while ((et == RTE_ETHER_TYPE_VLAN || et == RTE_ETHER_TYPE_QINQ) && n >= off + 4) {
		SUM_PUT(" vlan %u", ((d[off] << 8) | d[off + 1]) & 0xfff);
		et = (uint16_t)((d[off + 2] << 8) | d[off + 3]);
		off += 4;
	}
	if (et == RTE_ETHER_TYPE_IPV4 && n >= off + 20) {
		const uint8_t *ip = d + off;
		size_t ihl = (ip[0] & 0xf) * 4u;

		inet_ntop(AF_INET, ip + 12, s, sizeof(s));
		inet_ntop(AF_INET, ip + 16, t, sizeof(t));
		SUM_PUT(", IPv4 %s > %s ttl %u", s, t, ip[8]);
		if (o < len && ihl >= 20 && n >= off + ihl && ((ip[6] & 0x1f) | ip[7]) == 0)
			o += sum_l4(buf + o, len - o, ip[9], ip + ihl, n - off - ihl, false);
		else if (o < len)
			SUM_PUT(" proto %u%s", ip[9], ((ip[6] & 0x1f) | ip[7]) ? " (fragment)" : "");
	} else if (et == RTE_ETHER_TYPE_IPV6 && n >= off + 40) {
		const uint8_t *ip = d + off;

		inet_ntop(AF_INET6, ip + 8, s, sizeof(s));
		inet_ntop(AF_INET6, ip + 24, t, sizeof(t));
		SUM_PUT(", IPv6 %s > %s hlim %u", s, t, ip[7]);
		if (o < len)
			o += sum_l4(buf + o, len - o, ip[6], ip + 40, n - off - 40, true);
	} else if (et == RTE_ETHER_TYPE_ARP && n >= off + 28) {
		const uint8_t *a = d + off;

		inet_ntop(AF_INET, a + 14, s, sizeof(s));
		inet_ntop(AF_INET, a + 24, t, sizeof(t));
		if (a[7] == 1)
			SUM_PUT(", ARP who-has %s tell %s", t, s);
		else
			SUM_PUT(", ARP %s is-at %02x:%02x:%02x:%02x:%02x:%02x", s, a[8], a[9], a[10],
				a[11], a[12], a[13]);
	} else {
		SUM_PUT(", ethertype 0x%04x", et);
	}
	if (o >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
#undef SUM_PUT
}

static const char *
kind_verdict(uint8_t kind)
{
	switch (kind) {
	case NFV_TRACE_K_PASS: return "pass";
	case NFV_TRACE_K_DROP: return "drop";
	case NFV_TRACE_K_PUNT: return "punt";
	case NFV_TRACE_K_SENT: return "sent";
	case NFV_TRACE_K_LOST: return "lost";
	default: return NULL;
	}
}

/* stage entry of the record's "stages" array for e (the last if the same) */
static json_t *
rec_stage(json_t *stages, const struct nfv_trace_ent *e)
{
	size_t n = json_array_size(stages);
	json_t *s = n ? json_array_get(stages, n - 1) : NULL;

	if (s != NULL && json_integer_value(json_object_get(s, "stage")) == e->stage &&
	    strcmp(json_string_value(json_object_get(s, "vnf")), e->vnf) == 0)
		return s;
	s = json_pack("{s:i, s:s, s:s, s:[]}", "stage", e->stage, "vnf", e->vnf, "class",
		      e->cls ? e->cls->name : "", "notes");
	json_array_append_new(stages, s);
	return s;
}

static const char *
ent_drop_name(const struct nfv_trace_ent *e, const char **desc)
{
	if (e->cls == NULL) {
		*desc = nfv_engine_drop_desc(e->code);
		return nfv_engine_drop_name(e->code);
	}
	*desc = e->cls->drop_descs && e->code < e->cls->n_drops ? e->cls->drop_descs[e->code] : "";
	return e->code < e->cls->n_drops ? e->cls->drop_names[e->code] : "?";
}

static json_t *
rec_json(const struct nfv_trace *t, uint16_t worker, const struct nfv_trace_rec *r)
{
	json_t *o = json_object(), *stages = json_array();
	char buf[512], pn[NFV_NAME_MAX + 16];
	uint64_t hz = rte_get_tsc_hz();
	const char *result = "in-chain";

	json_object_set_new(o, "worker", json_integer(worker));
	json_object_set_new(o, "seq", json_integer(r->seq));
	json_object_set_new(o, "time_ms",
			    json_real(hz && r->tsc >= t->start_tsc
					      ? (double)(r->tsc - t->start_tsc) * 1000.0 / hz
					      : 0));
	port_name(r->in_port, pn, sizeof(pn));
	json_object_set_new(o, "in_port", json_string(pn));
	json_object_set_new(o, "queue", json_integer(r->queue));
	json_object_set_new(o, "length", json_integer(r->pkt_len));
	nfv_trace_pkt_summary(r, buf, sizeof(buf));
	json_object_set_new(o, "packet", json_string(buf));
	json_object_set_new(o, "chain", json_string(r->chain));
	if (r->first_stage > 0)
		json_object_set_new(o, "resumed_at_stage", json_integer(r->first_stage));
	for (uint8_t i = 0; i < r->n_ent; i++) {
		const struct nfv_trace_ent *e = &r->ent[i];
		const char *desc, *v = kind_verdict(e->kind);
		json_t *s;

		if (e->kind == NFV_TRACE_K_TX) {
			port_name(e->a[0], pn, sizeof(pn));
			result = "tx";
			json_object_set_new(o, "tx_port", json_string(pn));
			continue;
		}
		if (e->kind == NFV_TRACE_K_DROP && e->cls == NULL) {
			result = "drop";
			json_object_set_new(o, "dropped_by", json_string("engine"));
			json_object_set_new(o, "drop_reason", json_string(ent_drop_name(e, &desc)));
			json_object_set_new(o, "drop_meaning", json_string(desc));
			continue;
		}
		s = rec_stage(stages, e);
		if (e->kind == NFV_TRACE_K_NOTE || e->kind == NFV_TRACE_K_CTL) {
			const char *key = e->kind == NFV_TRACE_K_CTL ? "control" : "notes";

			nfv_trace_fmt(e, buf, sizeof(buf));
			if (json_object_get(s, key) == NULL)
				json_object_set_new(s, key, json_array());
			json_array_append_new(json_object_get(s, key), json_string(buf));
			continue;
		}
		if (v == NULL)
			continue;
		json_object_set_new(s, "verdict", json_string(v));
		if (e->kind == NFV_TRACE_K_DROP) {
			result = "drop";
			json_object_set_new(s, "reason", json_string(ent_drop_name(e, &desc)));
			json_object_set_new(s, "meaning", json_string(desc));
			json_object_set_new(o, "dropped_by", json_string(e->vnf));
			json_object_set_new(o, "drop_reason", json_string(ent_drop_name(e, &desc)));
			json_object_set_new(o, "drop_meaning", json_string(desc));
		} else if (e->kind == NFV_TRACE_K_PUNT) {
			result = "punt";
		} else if (e->kind == NFV_TRACE_K_SENT) {
			result = "sent";
			port_name(e->a[0], pn, sizeof(pn));
			json_object_set_new(s, "port", json_string(pn));
			json_object_set_new(o, "tx_port", json_string(pn));
		} else if (e->kind == NFV_TRACE_K_LOST) {
			result = "lost";
		}
	}
	json_object_set_new(o, "stages", stages);
	json_object_set_new(o, "result", json_string(result));
	if (r->n_lost_ents)
		json_object_set_new(o, "entries_not_kept", json_integer(r->n_lost_ents));
	return o;
}

struct trace_ref {
	uint64_t tsc;
	uint32_t seq;
	uint16_t wk;
};

static int
trace_ref_cmp(const void *a, const void *b)
{
	const struct trace_ref *x = a, *y = b;

	if (x->tsc != y->tsc)
		return x->tsc < y->tsc ? -1 : 1;
	if (x->wk != y->wk)
		return x->wk < y->wk ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

json_t *
nfv_trace_json(const struct nfv_trace *t)
{
	json_t *a = json_array();
	struct trace_ref *refs;
	size_t n = 0;

	refs = calloc((size_t)t->n_workers * t->count + 1, sizeof(*refs));
	if (refs == NULL)
		return a;
	for (uint16_t i = 0; i < t->n_workers; i++) {
		uint32_t done = atomic_load_explicit(&((struct nfv_trace *)t)->wk[i].done,
						     memory_order_acquire);

		for (uint32_t k = 0; k < done; k++)
			refs[n++] = (struct trace_ref){t->wk[i].rec[k].tsc, k, i};
	}
	qsort(refs, n, sizeof(*refs), trace_ref_cmp);
	for (size_t k = 0; k < n; k++)
		json_array_append_new(a, rec_json(t, refs[k].wk, &t->wk[refs[k].wk].rec[refs[k].seq]));
	free(refs);
	return a;
}

/* ---- control requests ---- */

/* The last trace stopped (its records stay for show until the next start). */
static struct nfv_trace *trace_last;

static json_t *
trace_info(const struct nfv_trace *t, bool running)
{
	char pn[NFV_NAME_MAX + 16] = "";
	uint64_t matched_full = 0, done = 0;

	if (t->port >= 0)
		port_name((uint64_t)t->port, pn, sizeof(pn));
	for (uint16_t i = 0; i < t->n_workers; i++) {
		done += atomic_load_explicit(&((struct nfv_trace *)t)->wk[i].done,
					     memory_order_acquire);
		matched_full += t->wk[i].used >= t->count;
	}
	return json_pack("{s:b, s:s?, s:s?, s:i, s:s?, s:i, s:I, s:i, s:I}", "running", running,
			 "chain", t->chain[0] ? t->chain : NULL, "port", pn[0] ? pn : NULL,
			 "count", t->count, "filter", t->filter[0] ? t->filter : NULL, "workers",
			 t->n_workers, "traced", (json_int_t)done, "workers_full", (int)matched_full,
			 "started_ms_ago", (json_int_t)(nfv_now_ms() - t->start_ms));
}

/* Unpublish the running trace (grace period: no worker writes it after). */
static struct nfv_trace *
trace_retire(struct nfv_engine *e)
{
	struct nfv_trace *old = atomic_exchange_explicit(&e->trace, NULL, memory_order_acq_rel);

	if (old != NULL && e->qsv != NULL)
		rte_rcu_qsbr_synchronize(e->qsv, RTE_QSBR_THRID_INVALID);
	return old;
}

int
nfv_engine_trace_start(json_t *args, json_t **result, char *err, size_t errlen)
{
	struct nfv_engine *e = &nfv_eng;
	json_t *jc = json_object_get(args, "chain"), *jp = json_object_get(args, "port");
	json_t *jn = json_object_get(args, "count"), *jf = json_object_get(args, "filter");
	const char *chain = NULL, *filter = NULL, *key;
	json_int_t count = NFV_TRACE_COUNT_DEFAULT;
	struct nfv_trace *t = NULL, *old;
	json_t *v;
	int port = -1, ret;

	json_object_foreach(args, key, v)
		if (strcmp(key, "op") && strcmp(key, "chain") && strcmp(key, "port") &&
		    strcmp(key, "count") && strcmp(key, "filter")) {
			snprintf(err, errlen,
				 "trace start: unknown argument '%s' (chain=, port=, count=, filter=)",
				 key);
			return -EINVAL;
		}
	if ((jc && !json_is_string(jc)) || (jp && !json_is_string(jp)) ||
	    (jf && !json_is_string(jf))) {
		snprintf(err, errlen, "trace start: chain, port and filter are strings");
		return -EINVAL;
	}
	if (jn != NULL) {
		if (!json_is_integer(jn)) {
			snprintf(err, errlen, "trace start: count must be an integer 1..%u",
				 NFV_TRACE_COUNT_MAX);
			return -EINVAL;
		}
		count = json_integer_value(jn);
		if (count < 1 || count > NFV_TRACE_COUNT_MAX) {
			snprintf(err, errlen,
				 "trace start: count must be 1..%u packets per worker (got %" JSON_INTEGER_FORMAT ")",
				 NFV_TRACE_COUNT_MAX, count);
			return -ERANGE;
		}
	}
	chain = jc ? json_string_value(jc) : NULL;
	filter = jf ? json_string_value(jf) : NULL;
	if (!NFV_TRACE_HOOKS) {
		snprintf(err, errlen,
			 "trace start: this nfvd was built without the trace hooks "
			 "(meson -Dtrace_hooks=false, a benchmark baseline)");
		return -ENOTSUP;
	}
	if (!e->running) {
		snprintf(err, errlen, "trace start: the engine is not running");
		return -EAGAIN;
	}
	pthread_mutex_lock(&nfv_eng_lock);
	if (chain != NULL) {
		const struct nfv_pipeline *p = atomic_load(&e->pipeline);
		bool found = false;

		for (uint16_t c = 0; p && c < p->n_chains && !found; c++)
			found = strcmp(p->chains[c].name, chain) == 0;
		if (!found) {
			int o = snprintf(err, errlen, "trace start: no chain named '%s' (chains:",
					 chain);

			for (uint16_t c = 0; p && c < p->n_chains && o > 0 && (size_t)o < errlen; c++)
				o += snprintf(err + o, errlen - o, " %s", p->chains[c].name);
			if (o > 0 && (size_t)o < errlen)
				snprintf(err + o, errlen - o, ")");
			ret = -ENOENT;
			goto out_unlock;
		}
	}
	if (jp != NULL) {
		port = nfv_port_by_name(json_string_value(jp));
		if (port < 0) {
			int o = snprintf(err, errlen, "trace start: no port named '%s' (ports:",
					 json_string_value(jp));

			for (uint16_t i = 0; i < RTE_MAX_ETHPORTS && o > 0 && (size_t)o < errlen; i++)
				if (nfv_ports[i].used)
					o += snprintf(err + o, errlen - o, " %s", nfv_ports[i].name);
			if (o > 0 && (size_t)o < errlen)
				snprintf(err + o, errlen - o, ")");
			ret = -ENOENT;
			goto out_unlock;
		}
	}
	ret = nfv_trace_new(chain, port, (uint32_t)count, filter, e->n_workers, &t, err, errlen);
	if (ret < 0)
		goto out_unlock;
	old = trace_retire(e);
	nfv_trace_free(old);
	nfv_trace_free(trace_last);
	trace_last = NULL;
	atomic_store_explicit(&e->trace, t, memory_order_release);
	*result = trace_info(t, true);
out_unlock:
	pthread_mutex_unlock(&nfv_eng_lock);
	return ret;
}

int
nfv_engine_trace_show(json_t **result, char *err, size_t errlen)
{
	struct nfv_engine *e = &nfv_eng;
	struct nfv_trace *t;
	json_t *o;

	(void)err, (void)errlen;
	pthread_mutex_lock(&nfv_eng_lock);
	t = atomic_load(&e->trace);
	if (t == NULL && trace_last == NULL) {
		pthread_mutex_unlock(&nfv_eng_lock);
		*result = json_pack("{s:b, s:[]}", "running", 0, "packets");
		return 0;
	}
	o = trace_info(t ? t : trace_last, t != NULL);
	json_object_set_new(o, "packets", nfv_trace_json(t ? t : trace_last));
	pthread_mutex_unlock(&nfv_eng_lock);
	*result = o;
	return 0;
}

int
nfv_engine_trace_stop(json_t **result, char *err, size_t errlen)
{
	struct nfv_engine *e = &nfv_eng;
	struct nfv_trace *t;

	(void)err, (void)errlen;
	pthread_mutex_lock(&nfv_eng_lock);
	t = trace_retire(e);
	if (t != NULL) {
		nfv_trace_free(trace_last);
		trace_last = t;
	}
	*result = trace_last ? trace_info(trace_last, false) : json_pack("{s:b}", "running", 0);
	pthread_mutex_unlock(&nfv_eng_lock);
	return 0;
}

void
nfv_engine_trace_fini(void)
{
	nfv_trace_free(trace_retire(&nfv_eng));
	nfv_trace_free(trace_last);
	trace_last = NULL;
}
