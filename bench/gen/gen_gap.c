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
}

void
gen_gap_reset(struct gen_gap *g)
{
	gen_gap_init(g, g->threshold, g->slack);
}

bool
gen_gap_hole(struct gen_gap *g, uint64_t now, uint64_t missing)
{
	bool in = g->count > 0 && now >= g->last_end && now - g->last_end <= g->slack;

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
	return lost > 0 && g->holes_out == 0 && g->missing_in >= lost;
}
