/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - zebra's forwarding plane feed (see docs/router.md,
 * "Routes from FRR"). zebra (-M dplane_fpm_nl, `fpm address A port P`)
 * connects to the listener of `fpm: {listen: "A:P"}` and streams netlink
 * route and next-hop messages; they become RIB paths of origin FRR in the
 * live tables (rtr_ext_*, router_tbl.c: single writer, FIB entries point at
 * complete adjacencies, released ones reused after a grace period).
 *
 * Runs on the control thread from the class poll: non-blocking accept and
 * recv, at most RTR_FPM_BUDGET_US of work per call. One session at a time:
 * a new connection replaces the old one. A lost session's routes are marked
 * stale and stay in the FIB; the next session's resync replaces them, and
 * what is still stale when the resync is complete (the session has been up
 * resync-ms and quiet RTR_FPM_QUIET_MS, or up 20 x resync-ms) is removed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_log.h>

#include "router_fpm.h"
#include "router_fpm_parse.h"

#define RTR_LOG(lvl, fmt, ...) \
	rte_log(RTE_LOG_##lvl, RTE_LOGTYPE_USER1, "router: " fmt "\n", ##__VA_ARGS__)

#define RTR_FPM_BUF (256 * 1024)
#define RTR_FPM_READ ((size_t)32 * 1024) /* per recv: ~600 routes, well within the budget */
#define RTR_FPM_BUDGET_US 2000
#define RTR_FPM_QUIET_MS 500
#define RTR_FPM_NH_BUCKETS 4096
#define RTR_FPM_TABLE_MAIN 254

_Static_assert(RTR_FPM_MAX_NH == RTR_MAX_PATHS, "one FPM next hop per router path");

static const char *const rtr_fpm_names[] = {RTR_FPM_COUNTERS(VNF_NAME)};

/* a next-hop object of the session (RTM_NEWNEXTHOP) */
struct rtr_fpm_nhe {
	struct rtr_fpm_nhe *next;
	uint32_t id;
	uint8_t family;
	bool blackhole;
	bool has_nh;
	struct rtr_fpm_nh nh;
	uint16_t n_grp;
	uint32_t *grp; /* member ids */
	/* what fill_nhid made of it (next hops resolved to interfaces), valid
	 * while c_epoch == the feed's epoch: a route naming it costs a copy,
	 * not a member lookup and an interface search per next hop */
	uint64_t c_epoch;
	uint8_t c_type;
	uint16_t c_n;
	uint16_t c_unknown, c_unresolved; /* the counts the fill made */
	struct rtr_ext_nh c_nh[RTR_MAX_PATHS];
};

struct rtr_fpm {
	int lfd, cfd;
	char listen[64];
	uint32_t resync_ms;
	uint8_t *buf;
	size_t blen;
	uint64_t connect_ms, last_rx_ms;
	bool stale; /* FRR paths of a lost session are in the RIB */
	/* next-hop resolution cache (rtr_fpm_nhe.c_*): bumped by every change
	 * of a next-hop object, of the tables (apply) or of a twin's ifindex */
	uint64_t epoch;
	uint64_t epoch_gen;
	uint32_t epoch_ifindex[RTR_MAX_IF];
	struct rtr_fpm_nhe *nh[RTR_FPM_NH_BUCKETS];
	uint64_t ctr[RTR_FPMC_MAX];
};

/* ---------------- next-hop objects ---------------- */

static struct rtr_fpm_nhe **
rtr_fpm_nh_slot(struct rtr_fpm *f, uint32_t id)
{
	struct rtr_fpm_nhe **pp = &f->nh[(id * 2654435761u) >> 20 & (RTR_FPM_NH_BUCKETS - 1)];

	while (*pp != NULL && (*pp)->id != id)
		pp = &(*pp)->next;
	return pp;
}

static void
rtr_fpm_nh_free(struct rtr_fpm_nhe *e)
{
	free(e->grp);
	free(e);
}

static void
rtr_fpm_nh_clear(struct rtr_fpm *f)
{
	f->epoch++;
	for (uint32_t i = 0; i < RTR_FPM_NH_BUCKETS; i++)
		while (f->nh[i] != NULL) {
			struct rtr_fpm_nhe *e = f->nh[i];

			f->nh[i] = e->next;
			rtr_fpm_nh_free(e);
		}
}

/* ---------------- next hops -> router interfaces ---------------- */

/* Router interface for a next hop: the host twin whose kernel ifindex zebra
 * names, else the interface whose connected subnet holds the gateway. */
static int
rtr_fpm_iface(const struct rtr_state *st, const struct rtr_tables *t, int family,
	      const struct rtr_fpm_nh *nh)
{
	if (nh->oif != 0)
		for (uint16_t i = 0; i < t->n_if; i++)
			if (st->host_ifindex[i] == nh->oif)
				return i;
	if (!nh->has_gw)
		return -1;
	return rtr_tables_iface_for(t, family, nh->gw);
}

static void
rtr_fpm_push_nh(struct rtr_state *st, const struct rtr_tables *t, const struct rtr_fpm_nh *nh,
		struct rtr_ext_route *r)
{
	struct rtr_fpm *f = st->fpm;
	int i = rtr_fpm_iface(st, t, r->family, nh);

	if (i < 0) {
		f->ctr[RTR_FPMC_UNRESOLVED_NH]++;
		return;
	}
	for (uint16_t k = 0; k < r->n; k++) /* same gateway twice (weights): once */
		if (r->nh[k].iface == i && r->nh[k].has_via == nh->has_gw &&
		    memcmp(r->nh[k].via, nh->gw, 16) == 0)
			return;
	if (r->n == RTR_MAX_PATHS)
		return;
	memcpy(r->nh[r->n].via, nh->gw, 16);
	r->nh[r->n].has_via = nh->has_gw;
	r->nh[r->n++].iface = (int16_t)i;
}

/* The resolution cache is trusted for these tables and twins only. */
static void
rtr_fpm_epoch_check(struct rtr_state *st, const struct rtr_tables *t)
{
	struct rtr_fpm *f = st->fpm;

	if (f->epoch_gen != t->gen ||
	    memcmp(f->epoch_ifindex, st->host_ifindex, sizeof(f->epoch_ifindex)) != 0) {
		f->epoch++;
		f->epoch_gen = t->gen;
		memcpy(f->epoch_ifindex, st->host_ifindex, sizeof(f->epoch_ifindex));
	}
}

static int rtr_fpm_fill_nhid_slow(struct rtr_state *st, const struct rtr_tables *t,
				  const struct rtr_fpm_nhe *e, struct rtr_ext_route *r);

/* r's next hops from next-hop object id; -ENOENT when unknown. */
static int
rtr_fpm_fill_nhid(struct rtr_state *st, const struct rtr_tables *t, uint32_t id,
		  struct rtr_ext_route *r)
{
	struct rtr_fpm *f = st->fpm;
	struct rtr_fpm_nhe *e = *rtr_fpm_nh_slot(f, id);
	uint64_t unk, unres;

	r->n = 0;
	if (e == NULL) {
		f->ctr[RTR_FPMC_UNKNOWN_NHID]++;
		return -ENOENT;
	}
	if (e->c_epoch == f->epoch && f->epoch_gen == t->gen) {
		r->type = e->c_type;
		r->n = e->c_n;
		memcpy(r->nh, e->c_nh, e->c_n * sizeof(r->nh[0]));
		f->ctr[RTR_FPMC_UNKNOWN_NHID] += e->c_unknown;
		f->ctr[RTR_FPMC_UNRESOLVED_NH] += e->c_unresolved;
		return 0;
	}
	unk = f->ctr[RTR_FPMC_UNKNOWN_NHID];
	unres = f->ctr[RTR_FPMC_UNRESOLVED_NH];
	rtr_fpm_fill_nhid_slow(st, t, e, r);
	if (f->epoch_gen == t->gen) {
		e->c_epoch = f->epoch;
		e->c_type = r->type;
		e->c_n = r->n;
		memcpy(e->c_nh, r->nh, r->n * sizeof(r->nh[0]));
		e->c_unknown = (uint16_t)(f->ctr[RTR_FPMC_UNKNOWN_NHID] - unk);
		e->c_unresolved = (uint16_t)(f->ctr[RTR_FPMC_UNRESOLVED_NH] - unres);
	}
	return 0;
}

static int
rtr_fpm_fill_nhid_slow(struct rtr_state *st, const struct rtr_tables *t,
		       const struct rtr_fpm_nhe *e, struct rtr_ext_route *r)
{
	struct rtr_fpm *f = st->fpm;

	if (e->blackhole) {
		r->type = RTR_RT_BLACKHOLE;
		return 0;
	}
	if (e->has_nh && (e->family == r->family || e->family == 0))
		rtr_fpm_push_nh(st, t, &e->nh, r);
	for (uint16_t g = 0; g < e->n_grp; g++) {
		const struct rtr_fpm_nhe *m = *rtr_fpm_nh_slot(f, e->grp[g]);

		if (m == NULL) {
			f->ctr[RTR_FPMC_UNKNOWN_NHID]++;
			continue;
		}
		if (m->has_nh && !m->blackhole && m->family == r->family)
			rtr_fpm_push_nh(st, t, &m->nh, r);
	}
	return 0;
}

struct rtr_fpm_refill {
	struct rtr_state *st;
	struct rtr_tables *t;
};

static int
rtr_fpm_refill(void *ctx, struct rtr_ext_route *r)
{
	struct rtr_fpm_refill *x = ctx;

	r->type = RTR_RT_UNICAST;
	if (rtr_fpm_fill_nhid(x->st, x->t, r->nhid, r) != 0)
		return -ENOENT;
	return r->type == RTR_RT_UNICAST && r->n == 0 ? -ENOENT : 0;
}

/* ---------------- messages ---------------- */

static int
rtr_fpm_route(struct rtr_state *st, struct rtr_tables *t, const struct rtr_fpm_msg *m)
{
	struct rtr_fpm *f = st->fpm;
	struct rtr_ext_route r;
	char err[160];
	int rc;

	if (m->table != RTR_FPM_TABLE_MAIN) {
		f->ctr[RTR_FPMC_OTHER_TABLE]++;
		return RTR_FPMC_OTHER_TABLE;
	}
	if (m->kind == RTR_FPM_ROUTE_DEL) {
		if (rtr_ext_del(t, m->family, m->dst, m->dst_len) == 0)
			f->ctr[RTR_FPMC_ROUTES_DEL]++;
		return 0;
	}
	memset(&r, 0, sizeof(r));
	r.family = m->family;
	memcpy(r.addr, m->dst, 16);
	r.len = m->dst_len;
	r.proto = m->proto;
	r.metric = m->priority;
	r.nhid = m->nhid;
	r.type = m->rtype == RTR_FPM_BLACKHOLE ? RTR_RT_BLACKHOLE
		 : m->rtype == RTR_FPM_UNICAST ? RTR_RT_UNICAST
					       : RTR_RT_REJECT;
	if (r.type == RTR_RT_UNICAST) {
		if (m->nhid != 0)
			rtr_fpm_fill_nhid(st, t, m->nhid, &r);
		else
			for (uint16_t i = 0; i < m->n_nh; i++)
				rtr_fpm_push_nh(st, t, &m->nh[i], &r);
		f->ctr[RTR_FPMC_UNRESOLVED_NH] += m->nh_dropped;
	}
	if (r.type == RTR_RT_UNICAST && r.n == 0) {
		/* nothing to forward to: an older version of it goes */
		f->ctr[RTR_FPMC_NO_NEXTHOP]++;
		rtr_ext_del(t, m->family, m->dst, m->dst_len);
		return RTR_FPMC_NO_NEXTHOP;
	}
	rc = rtr_ext_set(t, &r, err, sizeof(err));
	if (rc != 0) {
		if (f->ctr[RTR_FPMC_ROUTE_ERRORS]++ < 10)
			RTR_LOG(WARNING, "%s: fpm: route not installed: %s", st->name, err);
		return RTR_FPMC_ROUTE_ERRORS;
	}
	f->ctr[RTR_FPMC_ROUTES_SET]++;
	return 0;
}

static bool
rtr_fpm_nh_same(const struct rtr_fpm_nhe *e, const struct rtr_fpm_msg *m)
{
	if (e->family != m->family || e->blackhole != m->blackhole || e->has_nh != (m->n_nh > 0) ||
	    e->n_grp != m->n_grp)
		return false;
	if (e->has_nh && memcmp(&e->nh, &m->nh[0], sizeof(e->nh)) != 0)
		return false;
	for (uint16_t g = 0; g < e->n_grp; g++)
		if (e->grp[g] != m->grp[g].id)
			return false;
	return true;
}

static void
rtr_fpm_nh_changed(struct rtr_state *st, struct rtr_tables *t, uint32_t id)
{
	struct rtr_fpm *f = st->fpm;
	struct rtr_fpm_refill x = {st, t};

	f->ctr[RTR_FPMC_NH_UPDATES] += rtr_ext_nhid_update(t, id, rtr_fpm_refill, &x);
	/* groups holding it */
	for (uint32_t i = 0; i < RTR_FPM_NH_BUCKETS; i++)
		for (const struct rtr_fpm_nhe *e = f->nh[i]; e != NULL; e = e->next)
			for (uint16_t g = 0; g < e->n_grp; g++)
				if (e->grp[g] == id) {
					f->ctr[RTR_FPMC_NH_UPDATES] +=
						rtr_ext_nhid_update(t, e->id, rtr_fpm_refill, &x);
					break;
				}
}

static int
rtr_fpm_nexthop(struct rtr_state *st, struct rtr_tables *t, const struct rtr_fpm_msg *m)
{
	struct rtr_fpm *f = st->fpm;
	struct rtr_fpm_nhe **pp = rtr_fpm_nh_slot(f, m->id), *e = *pp;
	bool changed;

	if (m->kind == RTR_FPM_NH_DEL) {
		/* routes still using it keep their next hops until zebra
		 * replaces or deletes them */
		if (e != NULL) {
			f->epoch++;
			*pp = e->next;
			rtr_fpm_nh_free(e);
			f->ctr[RTR_FPMC_NH_DEL]++;
		}
		return 0;
	}
	if (e != NULL && rtr_fpm_nh_same(e, m)) {
		f->ctr[RTR_FPMC_NH_SET]++;
		return 0;
	}
	changed = e != NULL;
	f->epoch++;
	if (e == NULL) {
		e = calloc(1, sizeof(*e));
		if (e == NULL)
			return RTR_FPMC_ROUTE_ERRORS;
		e->id = m->id;
		*pp = e;
	}
	free(e->grp);
	e->grp = NULL;
	e->n_grp = 0;
	if (m->n_grp > 0) {
		e->grp = malloc(m->n_grp * sizeof(*e->grp));
		if (e->grp == NULL)
			return RTR_FPMC_ROUTE_ERRORS;
		for (uint16_t g = 0; g < m->n_grp; g++)
			e->grp[g] = m->grp[g].id;
		e->n_grp = m->n_grp;
	}
	e->family = m->family;
	e->blackhole = m->blackhole;
	e->has_nh = m->n_nh > 0;
	if (e->has_nh)
		e->nh = m->nh[0];
	f->ctr[RTR_FPMC_NH_SET]++;
	if (changed)
		rtr_fpm_nh_changed(st, t, m->id);
	return 0;
}

static int
rtr_fpm_apply_t(struct rtr_state *st, struct rtr_tables *t, const struct rtr_fpm_msg *m)
{
	switch (m->kind) {
	case RTR_FPM_ROUTE_ADD:
	case RTR_FPM_ROUTE_DEL:
		return rtr_fpm_route(st, t, m);
	case RTR_FPM_NH_ADD:
	case RTR_FPM_NH_DEL:
		return rtr_fpm_nexthop(st, t, m);
	default:
		return 0;
	}
}

/* The netlink messages of one frame, in order. zebra's dplane_fpm_nl puts
 * a route update in one frame as RTM_DELROUTE then RTM_NEWROUTE (FRR 8.4
 * fpm_nl_enqueue: e.g. an ECMP set that grows); reading only the first
 * deleted the route. A message whose length leaves the frame ends it. */
static void
rtr_fpm_frame_msgs(struct rtr_state *st, struct rtr_tables *t, const uint8_t *nl, size_t len)
{
	struct rtr_fpm *f = st->fpm;
	struct rtr_fpm_msg m;
	size_t off = 0;

	while (len - off >= NLMSG_HDRLEN) {
		uint32_t nlen;
		int rc;

		memcpy(&nlen, nl + off, sizeof(nlen));
		if (nlen < NLMSG_HDRLEN || nlen > len - off) {
			f->ctr[RTR_FPMC_MALFORMED]++;
			return;
		}
		rc = rtr_fpm_parse(nl + off, nlen, &m);
		if (rc < 0)
			f->ctr[RTR_FPMC_MALFORMED]++;
		else if (rc > 0)
			f->ctr[RTR_FPMC_IGNORED]++;
		else
			rtr_fpm_apply_t(st, t, &m);
		if (NLMSG_ALIGN(nlen) >= len - off)
			return;
		off += NLMSG_ALIGN(nlen);
	}
}

int
rtr_fpm_apply(struct rtr_state *st, const struct rtr_fpm_msg *m)
{
	struct rtr_tables *t = rtr_tables_get(st);

	rtr_fpm_epoch_check(st, t);
	return rtr_fpm_apply_t(st, t, m);
}

/* Frames are taken up to RTR_FPM_BATCH at a time and applied in order
 * with the RIB lookups of later ones prefetched: the hash bucket of frame
 * i + RTR_FPM_AHEAD_B and the entry of frame i + RTR_FPM_AHEAD_E (a million
 * routes do not fit the caches: each lookup missed twice, one after the
 * other). */
#define RTR_FPM_BATCH 64
#define RTR_FPM_AHEAD_B 16
#define RTR_FPM_AHEAD_E 8

long
rtr_fpm_feed(struct rtr_state *st, const uint8_t *buf, size_t len)
{
	struct rtr_fpm *f = st->fpm;
	struct rtr_tables *t = rtr_tables_get(st);
	size_t off = 0;

	rtr_fpm_epoch_check(st, t);
	for (;;) {
		size_t fo[RTR_FPM_BATCH];
		uint16_t flen[RTR_FPM_BATCH];
		uint32_t hash[RTR_FPM_BATCH];
		int8_t fam[RTR_FPM_BATCH];
		unsigned int n = 0;
		size_t o = off;
		int bad = 0;

		while (n < RTR_FPM_BATCH) {
			bool nl = false;
			int fl = rtr_fpm_frame(buf + o, len - o, &nl);
			uint8_t dst[16], dlen;

			if (fl <= 0) {
				bad = fl;
				break;
			}
			fo[n] = o;
			flen[n] = (uint16_t)fl;
			fam[n] = (int8_t)(nl ? rtr_fpm_peek_dst(buf + o + RTR_FPM_HDR,
								(size_t)fl - RTR_FPM_HDR, dst, &dlen)
					     : 0);
			if (fam[n] != 0) {
				hash[n] = rtr_ext_hash(fam[n], dst, dlen);
				if (n < RTR_FPM_AHEAD_B)
					rtr_ext_prefetch(t, fam[n], hash[n], false);
			}
			n++;
			o += (size_t)fl;
		}
		for (unsigned int i = 0; i < n && i < RTR_FPM_AHEAD_E; i++)
			if (fam[i] != 0)
				rtr_ext_prefetch(t, fam[i], hash[i], true);
		for (unsigned int i = 0; i < n; i++) {
			unsigned int b = i + RTR_FPM_AHEAD_B, e = i + RTR_FPM_AHEAD_E;

			if (b < n && fam[b] != 0)
				rtr_ext_prefetch(t, fam[b], hash[b], false);
			if (e < n && fam[e] != 0)
				rtr_ext_prefetch(t, fam[e], hash[e], true);
			f->ctr[RTR_FPMC_FRAMES]++;
			if (buf[fo[i] + 1] == 1)
				rtr_fpm_frame_msgs(st, t, buf + fo[i] + RTR_FPM_HDR,
						   flen[i] - RTR_FPM_HDR);
			else
				f->ctr[RTR_FPMC_IGNORED]++;
		}
		off = o;
		if (bad < 0) {
			f->ctr[RTR_FPMC_BAD_FRAMES]++;
			return bad;
		}
		if (n < RTR_FPM_BATCH)
			return (long)off;
	}
}

/* ---------------- sessions ---------------- */

static void
rtr_fpm_session_lost(struct rtr_state *st, const char *why)
{
	struct rtr_fpm *f = st->fpm;
	uint32_t n;

	close(f->cfd);
	f->cfd = -1;
	f->blen = 0;
	rtr_fpm_nh_clear(f);
	f->ctr[RTR_FPMC_SESSIONS_LOST]++;
	n = rtr_ext_mark_stale(rtr_tables_get(st));
	f->ctr[RTR_FPMC_STALE_MARKED] += n;
	f->stale = n > 0;
	RTR_LOG(NOTICE, "%s: fpm: session lost (%s): %u routes kept as stale until the next resync",
		st->name, why, n);
}

static void
rtr_fpm_accept(struct rtr_state *st)
{
	struct rtr_fpm *f = st->fpm;
	int fd = accept4(f->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (f->cfd >= 0)
		rtr_fpm_session_lost(st, "replaced by a new connection");
	f->cfd = fd;
	f->connect_ms = f->last_rx_ms = nfv_now_ms();
	f->ctr[RTR_FPMC_SESSIONS]++;
	RTR_LOG(NOTICE, "%s: fpm: zebra connected", st->name);
}

static void
rtr_fpm_resync_check(struct rtr_state *st, uint64_t now)
{
	struct rtr_fpm *f = st->fpm;
	uint64_t up = now - f->connect_ms;
	uint32_t n;

	if (!f->stale || f->cfd < 0 || up < f->resync_ms)
		return;
	if (now - f->last_rx_ms < RTR_FPM_QUIET_MS && up < 20ull * f->resync_ms)
		return;
	n = rtr_ext_sweep(rtr_tables_get(st));
	f->ctr[RTR_FPMC_STALE_REMOVED] += n;
	f->ctr[RTR_FPMC_RESYNCS]++;
	f->stale = false;
	RTR_LOG(NOTICE, "%s: fpm: resync complete, %u stale routes removed", st->name, n);
}

unsigned int
rtr_fpm_wait_fds(const struct rtr_state *st, struct pollfd *pfd, unsigned int max)
{
	const struct rtr_fpm *f = st->fpm;
	unsigned int n = 0;

	if (f == NULL)
		return 0;
	if (f->lfd >= 0 && n < max)
		pfd[n++] = (struct pollfd){.fd = f->lfd, .events = POLLIN};
	if (f->cfd >= 0 && n < max)
		pfd[n++] = (struct pollfd){.fd = f->cfd, .events = POLLIN};
	return n;
}

unsigned int
rtr_fpm_poll(struct rtr_state *st)
{
	struct rtr_fpm *f = st->fpm;
	uint64_t t0, limit;
	bool more = false, changed = false;

	if (f == NULL)
		return 0;
	rtr_fpm_accept(st);
	t0 = rte_rdtsc();
	limit = rte_get_tsc_hz() / 1000000 * RTR_FPM_BUDGET_US;
	while (f->cfd >= 0) {
		ssize_t n = recv(f->cfd, f->buf + f->blen, RTE_MIN(RTR_FPM_BUF - f->blen, RTR_FPM_READ),
				 0);
		long used;

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
			rtr_fpm_session_lost(st, n == 0 ? "closed by zebra" : strerror(errno));
			break;
		}
		if (n < 0)
			break;
		f->blen += (size_t)n;
		f->last_rx_ms = nfv_now_ms();
		used = rtr_fpm_feed(st, f->buf, f->blen);
		changed = true;
		if (used < 0) {
			rtr_fpm_session_lost(st, "bad FPM frame header");
			break;
		}
		memmove(f->buf, f->buf + used, f->blen - (size_t)used);
		f->blen -= (size_t)used;
		if (rte_rdtsc() - t0 > limit) {
			more = true;
			break;
		}
	}
	if (changed)
		rtr_tables_reclaim(rtr_tables_get(st));
	rtr_fpm_resync_check(st, nfv_now_ms());
	/* while zebra sends, come back at once (the main loop's short sleep) */
	return more || changed;
}

/* ---------------- life cycle ---------------- */

static int
rtr_fpm_listen(const char *addr, int *out, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	char host[64];
	const char *colon = strrchr(addr, ':');
	socklen_t sl;
	int fd, one = 1;

	memset(&ss, 0, sizeof(ss));
	if (colon == NULL)
		return -EINVAL;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - addr), addr);
	if (host[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		host[strlen(host) - 1] = '\0';
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)atoi(colon + 1));
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			return -EINVAL;
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)atoi(colon + 1));
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return -EINVAL;
		sl = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 4) != 0)
		goto close_fd;
	*out = fd;
	return 0;
close_fd:
	close(fd);
fail:
	snprintf(err, errlen, "fpm: cannot listen on %s: %s", addr, strerror(errno));
	return -errno;
}

int
rtr_fpm_open(struct rtr_state *st, const struct rtr_conf *c, char *err, size_t errlen)
{
	struct rtr_fpm *f = calloc(1, sizeof(*f));
	int rc;

	if (f == NULL)
		return -ENOMEM;
	f->buf = malloc(RTR_FPM_BUF);
	if (f->buf == NULL) {
		free(f);
		return -ENOMEM;
	}
	f->cfd = -1;
	f->lfd = -1;
	f->epoch = 1; /* the cache of a new next-hop object (0) is not valid */
	rc = rtr_fpm_listen(c->fpm_listen, &f->lfd, err, errlen);
	if (rc != 0) {
		free(f->buf);
		free(f);
		return rc;
	}
	snprintf(f->listen, sizeof(f->listen), "%s", c->fpm_listen);
	f->resync_ms = c->fpm_resync_ms;
	st->fpm = f;
	RTR_LOG(INFO, "%s: fpm: listening on %s", st->name, f->listen);
	return 0;
}

void
rtr_fpm_close(struct rtr_state *st)
{
	struct rtr_fpm *f = st->fpm;

	if (f == NULL)
		return;
	if (f->cfd >= 0)
		close(f->cfd);
	if (f->lfd >= 0)
		close(f->lfd);
	rtr_fpm_nh_clear(f);
	free(f->buf);
	free(f);
	st->fpm = NULL;
}

int
rtr_fpm_reconfigure(struct rtr_state *st, const struct rtr_conf *c, char *err, size_t errlen)
{
	struct rtr_fpm *f = st->fpm;
	int fd, rc;

	if (c->fpm_listen[0] == '\0') {
		rtr_fpm_close(st);
		return 0;
	}
	if (f == NULL)
		return rtr_fpm_open(st, c, err, errlen);
	f->resync_ms = c->fpm_resync_ms;
	if (strcmp(f->listen, c->fpm_listen) == 0)
		return 0;
	rc = rtr_fpm_listen(c->fpm_listen, &fd, err, errlen);
	if (rc != 0)
		return rc;
	close(f->lfd);
	f->lfd = fd;
	snprintf(f->listen, sizeof(f->listen), "%s", c->fpm_listen);
	return 0;
}

void
rtr_fpm_stats(struct rtr_state *st, json_t *out)
{
	struct rtr_fpm *f = st->fpm;
	json_t *o;

	if (f == NULL)
		return;
	o = json_object();
	json_object_set_new(o, "listen", json_string(f->listen));
	json_object_set_new(o, "connected", json_boolean(f->cfd >= 0));
	json_object_set_new(o, "resync_pending", json_boolean(f->stale));
	for (int i = 0; i < RTR_FPMC_MAX; i++)
		json_object_set_new(o, rtr_fpm_names[i], json_integer((json_int_t)f->ctr[i]));
	json_object_set_new(out, "fpm", o);
}
