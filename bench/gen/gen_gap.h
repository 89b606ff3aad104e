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
};

/* Set the thresholds and clear the counters; lossy = threshold, no rate. */
void gen_gap_init(struct gen_gap *g, uint64_t threshold, uint64_t slack);
/* A gap shorter than lossy cycles explains no loss; a gap of d cycles
 * explains at most d x pkts_per_cycle packets (0: no cap). */
void gen_gap_set_rate(struct gen_gap *g, uint64_t lossy, double pkts_per_cycle);
/* Clear the counters, keep the thresholds (a new trial). */
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
			g->lossy_count++;
			g->last_end = now;
			g->budget = (double)d * g->pkts_per_cycle;
		}
	}
	g->last = now;
}

/* A hole of `missing` packets in a stream's sequence, seen at TSC now.
 * Returns true if it is accounted to a gap. */
bool gen_gap_hole(struct gen_gap *g, uint64_t now, uint64_t missing);

/* Loss of `lost` packets in a trial: true if some was lost and every
 * missing packet was seen in holes right after gaps of the measuring side,
 * at least as many as were lost (loss at the tail, after the last packet
 * received, is never explained). */
bool gen_gap_explains(const struct gen_gap *g, uint64_t lost);

#endif
