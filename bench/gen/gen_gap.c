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

	gen_gap_init(g, g->threshold, g->slack);
	g->lossy = lossy;
	g->pkts_per_cycle = ppc;
}

bool
gen_gap_hole(struct gen_gap *g, uint64_t now, uint64_t missing)
{
	bool in = g->lossy_count > 0 && now >= g->last_end && now - g->last_end <= g->slack &&
		  (g->pkts_per_cycle == 0 || (double)missing <= g->budget);

	if (in) {
		if (g->pkts_per_cycle > 0)
			g->budget -= (double)missing;
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
	return lost > 0 && g->holes_out == 0 && g->missing_in >= lost;
}
