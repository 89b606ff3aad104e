/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-gen scheduling-gap detector: gaps found on crafted TSC stamps, holes
 * accounted to a gap only right after one, and loss explained only when
 * every hole was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <unistd.h>

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

static void
test_budget_adds_up_over_near_gaps(void **state)
{
	(void)state;
	/* lossy from 2000 cycles, 0.5 packets/cycle, slack 3000 */
	gen_gap_init(&g, THR, 3000);
	gen_gap_set_rate(&g, 2000, 0.5);
	ticks(1, 1000, 10);
	ticks(4000, 4500, 10); /* 3010 cycles: 1505 packets */
	ticks(7000, 7100, 10); /* 2500 more, 2500 after the last: near, adds 1250 */
	assert_int_equal(g.lossy_count, 2);
	assert_true(gen_gap_hole(&g, 7100, 2700));
	assert_false(gen_gap_hole(&g, 7100, 100)); /* 2755 in all, 55 left */
	ticks(7100, 12000, 10);	 /* running for 4900 cycles: longer than the slack */
	ticks(25000, 25100, 10); /* so this gap has its own 6500 only */
	assert_true(g.budget > 6499 && g.budget < 6501);
}

static void
test_refusals_catching_up_after_a_gap(void **state)
{
	(void)state;
	gen_gap_init(&g, THR, SLACK);
	gen_gap_set_rate(&g, 2000, 0.5);
	gen_gap_set_ring(&g, 1000);
	ticks(1, 1000, 10);
	/* refused while on schedule, or a little behind, with no gap: the DUT's */
	assert_false(gen_gap_refused(&g, 1000, 10, 5000));
	ticks(5000, 5100, 10);				  /* a lossy gap */
	assert_false(gen_gap_refused(&g, 5100, 7, 1000)); /* not more than a ring behind */
	assert_true(gen_gap_refused(&g, 5100, 30, 1001)); /* catching up: the gap's */
	assert_int_equal(g.refused_in, 30);
	assert_int_equal(g.refused_out, 17);
	assert_false(gen_gap_explains(&g, 47)); /* refused outside: the DUT lost too */
	gen_gap_reset(&g);
	assert_int_equal(g.ring, 1000); /* kept */
	ticks(9000, 9100, 10);
	ticks(20000, 20100, 10);
	assert_true(gen_gap_refused(&g, 20100, 30, 2000));
	assert_true(gen_gap_hole(&g, 20100, 5));
	assert_true(gen_gap_explains(&g, 35));
	assert_false(gen_gap_explains(&g, 36)); /* tail loss beyond both */
	/* no ring known: no catch-up rule */
	gen_gap_set_ring(&g, 0);
	assert_false(gen_gap_refused(&g, 20100, 1, 1000000));
}

static struct gen_gaplog peer;

static void
test_peer_gaps_explain_holes_and_refusals(void **state)
{
	(void)state;
	gen_gaplog_init(&peer);
	gen_gap_init(&g, THR, SLACK);
	gen_gap_set_rate(&g, 2000, 0.5);
	gen_gap_set_ring(&g, 1000);
	gen_gap_set_peer(&g, &peer);
	ticks(1, 20000, 10); /* this lcore: no gap at all */
	/* the peer off its core: its stamp stops, refusals are its gap's */
	gen_gaplog_turn(&peer, 3000);
	assert_false(gen_gap_refused(&g, 3000 + THR, 5, 0)); /* not longer than the threshold */
	assert_true(gen_gap_refused(&g, 3000 + THR + 1, 40, 0));
	assert_int_equal(g.refused_peer, 40);
	/* the peer back: it logs the gap; a hole just after is its */
	gen_gaplog_put(&peer, 3000, 8000); /* 5000 cycles: lossy, 2500 packets */
	gen_gaplog_turn(&peer, 8000);
	/* turning again, it drains the ring it left full: refusals just
	 * after are its gap's too, from the same budget as the holes */
	assert_true(gen_gap_refused(&g, 8010, 3, 0));
	assert_int_equal(g.refused_peer, 43);
	assert_true(gen_gap_hole(&g, 8100, 2000));
	assert_false(gen_gap_hole(&g, 8200, 498)); /* more than it can lose */
	gen_gaplog_turn(&peer, 8200);
	assert_false(gen_gap_refused(&g, 8200, 498, 0));
	assert_true(gen_gap_hole(&g, 8000 + SLACK, 497));
	assert_false(gen_gap_hole(&g, 8000 + SLACK + 1, 1)); /* past the slack */
	gen_gaplog_turn(&peer, 8000 + SLACK + 1);
	assert_false(gen_gap_refused(&g, 8000 + SLACK + 1, 1, 0));
	assert_int_equal(g.holes_peer, 2);
	assert_int_equal(g.missing_peer, 2497);
	assert_int_equal(g.refused_peer, 43);
	/* a short peer gap explains no hole (it cannot overflow the ring),
	 * but refusals just after it, as it drains the ring it left fuller,
	 * up to what was due while it was away (250); a gap logged after the
	 * hole (another core's clock) is not looked at */
	gen_gaplog_put(&peer, 9000, 9500);
	gen_gaplog_turn(&peer, 9500);
	assert_false(gen_gap_hole(&g, 9600, 1));
	assert_true(gen_gap_refused(&g, 9600, 1, 0));
	assert_false(gen_gap_refused(&g, 9600, 250, 0));
	assert_true(gen_gap_refused(&g, 9600, 249, 0));
	gen_gaplog_put(&peer, 10000, 30000);
	assert_false(gen_gap_hole(&g, 12000, 1));
	gen_gap_reset(&g);
	assert_ptr_equal(g.peer, &peer); /* kept */
	/* the sum over a window */
	struct gen_gaplog_sum sum;

	gen_gaplog_sum(&peer, 0, 9500, 2000, &sum);
	assert_int_equal(sum.count, 2);
	assert_int_equal(sum.lossy_count, 1);
	assert_int_equal(sum.total, 5500);
	assert_int_equal(sum.max, 5000);
}

static void
test_gaplog_ring_wraps(void **state)
{
	struct gen_gaplog_rec r;

	(void)state;
	gen_gaplog_init(&peer);
	assert_false(gen_gaplog_last(&peer, 100, 0, &r));
	for (uint64_t i = 0; i < GEN_GAPLOG_N + 10; i++)
		gen_gaplog_put(&peer, i * 100, i * 100 + (i == 3 ? 5000 : 50));
	assert_int_equal(peer.head, GEN_GAPLOG_N + 10);
	assert_true(gen_gaplog_last(&peer, UINT64_MAX, 0, &r));
	assert_int_equal(r.start, (GEN_GAPLOG_N + 9) * 100);
	/* the long one was overwritten, and is beyond the look-back anyway */
	assert_false(gen_gaplog_last(&peer, UINT64_MAX, 1000, &r));
}

static void
test_gaplog_file_shared(void **state)
{
	char path[] = "/tmp/test_gen_gaplog.XXXXXX";
	struct gen_gaplog_rec r;
	struct gen_gaplog *w;
	const struct gen_gaplog *rd;
	FILE *f;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	/* not a log (empty file), then no file at all */
	assert_null(gen_gaplog_open(path));
	assert_int_equal(errno, EINVAL);
	unlink(path);
	assert_null(gen_gaplog_open(path));
	assert_int_equal(errno, ENOENT);
	w = gen_gaplog_create(path);
	assert_non_null(w);
	rd = gen_gaplog_open(path);
	assert_non_null(rd);
	gen_gaplog_put(w, 1000, 9000);
	gen_gaplog_turn(w, 9000);
	assert_true(gen_gaplog_last(rd, 9100, 100, &r));
	assert_int_equal(r.end, 9000);
	assert_int_equal(gen_gaplog_idle(rd, 9100), 100);
	gen_gaplog_unmap(rd);
	gen_gaplog_unmap(w);
	/* a file of the right size but another magic */
	f = fopen(path, "r+");
	assert_non_null(f);
	fputs("not a log", f);
	fclose(f);
	assert_null(gen_gaplog_open(path));
	assert_int_equal(errno, EINVAL);
	unlink(path);
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
		cmocka_unit_test(test_budget_adds_up_over_near_gaps),
		cmocka_unit_test(test_refusals_catching_up_after_a_gap),
		cmocka_unit_test(test_peer_gaps_explain_holes_and_refusals),
		cmocka_unit_test(test_gaplog_ring_wraps),
		cmocka_unit_test(test_gaplog_file_shared),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
