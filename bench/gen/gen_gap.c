/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-gen - scheduling gaps of the measuring side (see gen_gap.h).
 */
#include <string.h>

#include "gen_gap.h"

void
gen_gap_init(struct gen_gap *g, uint64_t threshold, uint64_t slack)
{
	memset(g, 0, sizeof(*g));
	g->threshold = threshold;
	g->slack = slack;
	g->lossy = threshold;
}

void
gen_gap_set_rate(struct gen_gap *g, uint64_t lossy, double pkts_per_cycle)
{
	g->lossy = lossy > g->threshold ? lossy : g->threshold;
	g->pkts_per_cycle = pkts_per_cycle > 0 ? pkts_per_cycle : 0;
}

void
gen_gap_reset(struct gen_gap *g)
{
	uint64_t lossy = g->lossy;
	double ppc = g->pkts_per_cycle;
	const struct gen_gaplog *peer = g->peer;
	uint64_t ring = g->ring;

	gen_gap_init(g, g->threshold, g->slack);
	g->lossy = lossy;
	g->pkts_per_cycle = ppc;
	g->peer = peer;
	g->ring = ring;
}

void
gen_gap_set_ring(struct gen_gap *g, uint64_t slots)
{
	g->ring = slots;
}

static bool gen_gap_peer_took(struct gen_gap *g, uint64_t now, uint64_t n, uint64_t min);

bool
gen_gap_refused(struct gen_gap *g, uint64_t now, uint64_t n, uint64_t backlog)
{
	/* catching up, more than a ring behind, after this lcore's own
	 * lossy gap: a burst above the trial's rate */
	bool in = g->ring && backlog > g->ring && g->lossy_count > 0;

	/* the peer, which drains this ring, is off its core, or came back
	 * from a gap so lately that the ring it left fuller is still
	 * draining (within the gap's budget: what was due while it was away;
	 * any gap, since the ring need not have been empty when it began) */
	if (!in && g->peer &&
	    (gen_gaplog_idle(g->peer, now) > g->threshold ||
	     gen_gap_peer_took(g, now, n, g->threshold))) {
		in = true;
		g->refused_peer += n;
	}
	if (in)
		g->refused_in += n;
	else
		g->refused_out += n;
	return in;
}

void
gen_gap_set_peer(struct gen_gap *g, const struct gen_gaplog *log)
{
	g->peer = log;
	g->peer_end = 0;
	g->peer_budget = 0;
}

/* The peer's last gap of at least min cycles before now, if n frames
 * (missing in a hole, or refused) were seen within the slack after it and
 * fit in what it can still have lost (its length x the rate, shared by
 * holes and refusals); takes them from its budget. A gap older than the
 * one the budget is for explains nothing more. */
static bool
gen_gap_peer_took(struct gen_gap *g, uint64_t now, uint64_t n, uint64_t min)
{
	struct gen_gaplog_rec r;

	if (!g->peer || !gen_gaplog_last(g->peer, now, min, &r) || now - r.end > g->slack)
		return false;
	if (r.end < g->peer_end)
		return false;
	if (r.end != g->peer_end) {
		g->peer_end = r.end;
		g->peer_budget = (double)(r.end - r.start) * g->pkts_per_cycle;
	}
	if (g->pkts_per_cycle > 0) {
		if ((double)n > g->peer_budget)
			return false;
		g->peer_budget -= (double)n;
	}
	return true;
}

static bool
gen_gap_peer_hole(struct gen_gap *g, uint64_t now, uint64_t missing)
{
	if (!gen_gap_peer_took(g, now, missing, g->lossy))
		return false;
	g->holes_peer++;
	g->missing_peer += missing;
	return true;
}

bool
gen_gap_hole(struct gen_gap *g, uint64_t now, uint64_t missing)
{
	bool in = g->lossy_count > 0 && now >= g->last_end && now - g->last_end <= g->slack &&
		  (g->pkts_per_cycle == 0 || (double)missing <= g->budget);

	if (in && g->pkts_per_cycle > 0)
		g->budget -= (double)missing;
	else if (!in)
		in = gen_gap_peer_hole(g, now, missing);
	if (in) {
		g->holes_in++;
		g->missing_in += missing;
	} else {
		g->holes_out++;
		g->missing_out += missing;
	}
	return in;
}

bool
gen_gap_explains(const struct gen_gap *g, uint64_t lost)
{
	return lost > 0 && g->holes_out == 0 && g->refused_out == 0 &&
	       g->missing_in + g->refused_in >= lost;
}
