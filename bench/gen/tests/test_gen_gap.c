/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-gen scheduling-gap detector: gaps found on crafted TSC stamps, holes
 * accounted to a gap only right after one, and loss explained only when
 * every hole was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gen_gap.h"

#define THR 100	  /* cycles */
#define SLACK 1000 /* cycles */

static struct gen_gap g;

static void
ticks(uint64_t from, uint64_t to, uint64_t step)
{
	for (uint64_t t = from; t <= to; t += step)
		gen_gap_tick(&g, t);
}

static void
test_steady_loop_has_no_gap(void **state)
{
	(void)state;
	gen_gap_init(&g, THR, SLACK);
	ticks(1, 100000, 7);
	gen_gap_tick(&g, g.last + THR); /* exactly the threshold: not a gap */
	assert_int_equal(g.count, 0);
	assert_int_equal(g.total, 0);
	assert_int_equal(g.max, 0);
}

static void
test_gaps_counted_with_length(void **state)
{
	(void)state;
	gen_gap_init(&g, THR, SLACK);
	ticks(1000, 2000, 10);	     /* last 2000 */
	ticks(2500, 3000, 10);	     /* 500-cycle gap */
	ticks(3000 + 101, 4000, 10); /* 101-cycle gap: just over */
	ticks(9000, 9100, 10);	     /* 5000+ cycle gap */
	assert_int_equal(g.count, 3);
	assert_int_equal(g.max, 9000 - 3991);
	assert_int_equal(g.total, 500 + 101 + (9000 - 3991));
	assert_int_equal(g.last_end, 9000);
	/* a clock that goes backwards (another core's TSC) is no gap */
	gen_gap_tick(&g, 10);
	gen_gap_tick(&g, 20);
	assert_int_equal(g.count, 3);
}

static void
test_reset_keeps_thresholds(void **state)
{
	(void)state;
	gen_gap_init(&g, THR, SLACK);
	ticks(0, 100, 10);
	ticks(1000, 1100, 10);
	gen_gap_hole(&g, 1050, 3);
	gen_gap_reset(&g);
	assert_int_equal(g.threshold, THR);
	assert_int_equal(g.slack, SLACK);
	assert_int_equal(g.count + g.holes_in + g.holes_out + g.missing_in + g.last, 0);
}

static void
test_hole_after_gap_is_the_gaps(void **state)
{
	(void)state;
	gen_gap_init(&g, THR, SLACK);
	ticks(1, 1000, 10);
	ticks(5000, 5400, 10); /* gap ends at 5000 */
	assert_true(gen_gap_hole(&g, 5400, 40));
	assert_true(gen_gap_hole(&g, 5000 + SLACK, 2)); /* the edge of the slack */
	assert_false(gen_gap_hole(&g, 5000 + SLACK + 1, 5));
	assert_int_equal(g.holes_in, 2);
	assert_int_equal(g.missing_in, 42);
	assert_int_equal(g.holes_out, 1);
	assert_int_equal(g.missing_out, 5);
}

static void
test_hole_without_gap_is_outside(void **state)
{
	(void)state;
	gen_gap_init(&g, THR, SLACK);
	ticks(1, 10000, 10);
	assert_false(gen_gap_hole(&g, 5000, 1)); /* no gap at all yet */
	assert_int_equal(g.holes_out, 1);
}

static void
test_explains_only_loss_entirely_in_gaps(void **state)
{
	(void)state;
	gen_gap_init(&g, THR, SLACK);
	ticks(1, 1000, 10);
	assert_false(gen_gap_explains(&g, 0)); /* no loss: nothing to explain */
	ticks(3000, 3100, 10);
	gen_gap_hole(&g, 3050, 30);
	assert_true(gen_gap_explains(&g, 30));
	assert_true(gen_gap_explains(&g, 25)); /* holes later partly filled */
	/* loss at the tail, never seen as a hole: not the gap's */
	assert_false(gen_gap_explains(&g, 31));
	/* one hole far from any gap spoils it: the DUT lost something too */
	ticks(3100, 20000, 10);
	gen_gap_hole(&g, 20000, 1);
	assert_false(gen_gap_explains(&g, 31));
	assert_false(gen_gap_explains(&g, 30));
}

static void
test_short_gaps_and_budget(void **state)
{
	(void)state;
	/* a ring of 1000 packets at 0.5 packets/cycle: 2000 cycles */
	gen_gap_init(&g, THR, 100000);
	gen_gap_set_rate(&g, 2000, 0.5);
	ticks(1, 1000, 10);
	ticks(1991, 2000, 10); /* a 1000-cycle gap: counted, too short to lose */
	assert_int_equal(g.count, 1);
	assert_int_equal(g.lossy_count, 0);
	assert_false(gen_gap_hole(&g, 2100, 1));
	ticks(5991, 6100, 10); /* a 4000-cycle gap: at most 2000 packets lost */
	assert_int_equal(g.lossy_count, 1);
	assert_true(gen_gap_hole(&g, 6100, 1500));
	assert_true(gen_gap_hole(&g, 6200, 500));
	assert_false(gen_gap_hole(&g, 6300, 1)); /* more than the gap can lose */
	assert_int_equal(g.missing_in, 2000);
	assert_int_equal(g.missing_out, 2);
	/* a lossy threshold below the gap threshold is the gap threshold */
	gen_gap_init(&g, THR, SLACK);
	gen_gap_set_rate(&g, 1, 0);
	assert_int_equal(g.lossy, THR);
	assert_true(g.pkts_per_cycle == 0);
}

static void
test_frequent_short_gaps_explain_no_steady_loss(void **state)
{
	(void)state;
	/* a DUT losing steadily while the loop has many short gaps (a busy
	 * machine): none of them can overflow the ring, so no hole is theirs */
	gen_gap_init(&g, THR, 100000);
	gen_gap_set_rate(&g, 5000, 0.1);
	for (uint64_t t = 1000; t < 200000; t += 300) {
		gen_gap_tick(&g, t);
		if (t % 3000 == 1000)
			gen_gap_hole(&g, t, 2);
	}
	assert_true(g.count > 600);
	assert_int_equal(g.lossy_count, 0);
	assert_int_equal(g.holes_in, 0);
	assert_false(gen_gap_explains(&g, g.missing_out));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_steady_loop_has_no_gap),
		cmocka_unit_test(test_gaps_counted_with_length),
		cmocka_unit_test(test_reset_keeps_thresholds),
		cmocka_unit_test(test_hole_after_gap_is_the_gaps),
		cmocka_unit_test(test_hole_without_gap_is_outside),
		cmocka_unit_test(test_explains_only_loss_entirely_in_gaps),
		cmocka_unit_test(test_short_gaps_and_budget),
		cmocka_unit_test(test_frequent_short_gaps_explain_no_steady_loss),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
