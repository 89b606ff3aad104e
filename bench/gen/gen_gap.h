/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-gen - scheduling gaps of the measuring side, and whether loss
 * coincided with one.
 *
 * A polling loop stamps the TSC once a turn (gen_gap_tick). A turn that
 * starts more than `threshold` cycles after the previous one is a gap: the
 * lcore was taken away (another process, an interrupt), and while it was
 * away nothing was received or sent. A receive ring of S slots overflows
 * after S / rate seconds; the transmit side, catching up on its pacing,
 * then sends a burst the DUT's ring may not hold. So loss caused by the
 * measuring side shows up as a hole in a stream's sequence numbers seen
 * shortly after a gap ends. Only a gap at least `lossy` cycles long (the
 * ring's time at the trial's rate) can lose anything, and at most what was
 * due during it (its length x `pkts_per_cycle`, when a rate is set).
 * gen_gap_hole() accounts one hole: the gap's if the last lossy gap ended
 * at most `slack` cycles before the hole was seen and the hole fits in what
 * that gap can still have lost; otherwise outside (the DUT's).
 *
 * No allocation, no syscalls: called per loop turn and per hole.
 */
#ifndef GEN_GAP_H
#define GEN_GAP_H

#include <stdbool.h>
#include <stdint.h>

#include "gen_gaplog.h"

struct gen_gap {
	uint64_t threshold; /* cycles: a turn later than this is a gap */
	uint64_t slack;	    /* cycles after a gap's end a hole still counts as its */
	uint64_t lossy;	    /* cycles: a gap this long can overflow a ring */
	double pkts_per_cycle; /* the trial's rate; 0 = unpaced, no cap */
	uint64_t last;	    /* previous turn's stamp, 0 = none yet */
	uint64_t count;	    /* gaps */
	uint64_t total;	    /* cycles spent in gaps */
	uint64_t max;	    /* longest gap, cycles */
	uint64_t last_end;  /* stamp at the end of the last lossy gap */
	uint64_t lossy_count; /* gaps of at least `lossy` cycles */
	double budget;	    /* packets the last lossy gap can still explain */
	uint64_t holes_in, holes_out;	  /* holes seen after a gap / elsewhere */
	uint64_t missing_in, missing_out; /* packets missing in those holes */
	/* The peer of the measuring side (the self-check's reflector): its
	 * own gaps, read from its log; a hole not explained by this lcore's
	 * gaps may be explained by the peer's, by the same rules (lossy
	 * length, slack after its end, at most length x rate). Counted in
	 * holes_in/missing_in too. Kept across gen_gap_reset. */
	const struct gen_gaplog *peer;
	uint64_t peer_end; /* end of the peer gap the budget is for */
	double peer_budget;
	uint64_t holes_peer, missing_peer;
	/* Frames the link refused (its ring full) are lost at the sender and
	 * leave no hole (nfv-gen reuses their sequence numbers). They are the
	 * measuring side's when refused while the stream was more than a ring
	 * behind its schedule after a lossy gap of this lcore (catching up at
	 * full speed, faster than the trial's rate), or while the peer had
	 * not turned for more than `threshold` (off its core: it drains that
	 * ring); otherwise the DUT's. */
	uint64_t ring;			  /* the link's ring slots (0: unknown, no catch-up rule) */
	uint64_t refused_in, refused_out; /* frames refused in a gap / elsewhere */
	uint64_t refused_peer;		  /* of refused_in: while the peer was off its core */
};

/* Set the thresholds and clear the counters; lossy = threshold, no rate. */
void gen_gap_init(struct gen_gap *g, uint64_t threshold, uint64_t slack);
/* A gap shorter than lossy cycles explains no loss; a gap of d cycles
 * explains at most d x pkts_per_cycle packets (0: no cap). */
void gen_gap_set_rate(struct gen_gap *g, uint64_t lossy, double pkts_per_cycle);
/* The link's ring size in slots (for the catch-up rule of refusals). */
void gen_gap_set_ring(struct gen_gap *g, uint64_t slots);
/* n frames refused by the link at TSC now, the stream `backlog` frames
 * behind its schedule before the burst. Returns true if put down to a gap. */
bool gen_gap_refused(struct gen_gap *g, uint64_t now, uint64_t n, uint64_t backlog);
/* Read the peer's gaps from log (NULL: none). */
void gen_gap_set_peer(struct gen_gap *g, const struct gen_gaplog *log);
/* Clear the counters, keep the thresholds and the peer (a new trial). */
void gen_gap_reset(struct gen_gap *g);

/* One loop turn at TSC now. */
static inline void
gen_gap_tick(struct gen_gap *g, uint64_t now)
{
	if (g->last && now > g->last && now - g->last > g->threshold) {
		uint64_t d = now - g->last;

		g->count++;
		g->total += d;
		if (d > g->max)
			g->max = d;
		if (d >= g->lossy) {
			/* a gap within the slack after the last one adds to what
			 * that one can still explain (a backlog over several gaps) */
			bool near = g->lossy_count > 0 && g->last - g->last_end <= g->slack;

			g->lossy_count++;
			g->last_end = now;
			g->budget = (near ? g->budget : 0) + (double)d * g->pkts_per_cycle;
		}
	}
	g->last = now;
}

/* A hole of `missing` packets in a stream's sequence, seen at TSC now.
 * Returns true if it is accounted to a gap (this lcore's or the peer's). */
bool gen_gap_hole(struct gen_gap *g, uint64_t now, uint64_t missing);

/* Loss of `lost` packets in a trial: true if some was lost and every
 * missing packet was seen in holes right after gaps of the measuring side
 * or refused by the link during one, at least as many as were lost (loss
 * at the tail, after the last packet received, is never explained). */
bool gen_gap_explains(const struct gen_gap *g, uint64_t lost);

#endif
