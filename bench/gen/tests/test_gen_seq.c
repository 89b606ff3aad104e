/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-gen sequence tracking: loss, reordering and duplicates on crafted streams.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gen_seq.h"

static struct gen_seq s;

static void
feed(const uint32_t *seqs, unsigned int n)
{
	gen_seq_reset(&s);
	for (unsigned int i = 0; i < n; i++)
		gen_seq_add(&s, seqs[i]);
}

static void
test_in_order_no_loss(void **state)
{
	(void)state;
	gen_seq_reset(&s);
	for (uint32_t i = 0; i < 100000; i++)
		gen_seq_add(&s, i);
	assert_int_equal(gen_seq_unique(&s), 100000);
	assert_int_equal(gen_seq_lost(&s, 100000), 0);
	assert_int_equal(s.dup, 0);
	assert_int_equal(s.reorder, 0);
}

static void
test_loss_counted(void **state)
{
	const uint32_t seqs[] = {0, 1, 2, 5, 6, 9}; /* 3, 4, 7, 8 and 10, 11 lost */

	(void)state;
	feed(seqs, 6);
	assert_int_equal(gen_seq_lost(&s, 12), 6);
	assert_int_equal(s.reorder, 0);
	assert_int_equal(s.dup, 0);
}

static void
test_reorder_not_loss(void **state)
{
	const uint32_t seqs[] = {0, 2, 1, 3, 5, 4, 6};

	(void)state;
	feed(seqs, 7);
	assert_int_equal(gen_seq_lost(&s, 7), 0);
	assert_int_equal(s.reorder, 2);
	assert_int_equal(s.dup, 0);
}

static void
test_duplicates(void **state)
{
	const uint32_t seqs[] = {0, 1, 1, 2, 0, 3, 3, 3};

	(void)state;
	feed(seqs, 8);
	assert_int_equal(s.rx, 8);
	assert_int_equal(s.dup, 4);
	assert_int_equal(gen_seq_unique(&s), 4);
	assert_int_equal(gen_seq_lost(&s, 4), 0);
	assert_int_equal(s.reorder, 0);
}

static void
test_duplicate_of_reordered(void **state)
{
	const uint32_t seqs[] = {0, 2, 1, 1};

	(void)state;
	feed(seqs, 4);
	assert_int_equal(s.reorder, 1);
	assert_int_equal(s.dup, 1);
	assert_int_equal(gen_seq_lost(&s, 3), 0);
}

static void
test_window_slides_after_big_gap(void **state)
{
	(void)state;
	gen_seq_reset(&s);
	gen_seq_add(&s, 5);
	gen_seq_add(&s, 5 + GEN_SEQ_WIN);     /* same bit position, far later */
	gen_seq_add(&s, 5 + GEN_SEQ_WIN);     /* its duplicate */
	gen_seq_add(&s, 6 + GEN_SEQ_WIN / 2); /* a late one inside the window: not a dup */
	assert_int_equal(s.dup, 1);
	assert_int_equal(s.reorder, 1);
	/* older than the window: counted, cannot be classified */
	gen_seq_add(&s, 1);
	assert_int_equal(s.late, 1);
	assert_int_equal(gen_seq_unique(&s), 4);
}

static void
test_wraps_32_bits(void **state)
{
	(void)state;
	gen_seq_reset(&s);
	for (uint64_t i = 0xfffffff0ull; i < 0x100000010ull; i++)
		gen_seq_add(&s, (uint32_t)i);
	assert_int_equal(s.max, 0x10000000full);
	assert_int_equal(s.dup, 0);
	assert_int_equal(s.reorder, 0);
	assert_int_equal(gen_seq_unique(&s), 32);
}

/* In-order numbers take gen_seq_add's inline path: after it has run far
 * past the window, a repeat inside the window is still a duplicate, a
 * number older than the window is late, a later hole is loss, and a
 * stream that starts anywhere (the first number takes the slow path) is
 * counted the same. */
static void
test_in_order_path_keeps_the_window(void **state)
{
	uint32_t base = 0xffff0000u; /* across the 32-bit wrap too */
	uint64_t i;

	(void)state;
	gen_seq_reset(&s);
	for (i = 0; i < 3 * GEN_SEQ_WIN + 5; i++)
		gen_seq_add(&s, (uint32_t)(base + i));
	assert_int_equal(s.rx, 3 * GEN_SEQ_WIN + 5);
	assert_int_equal(s.dup + s.reorder + s.late, 0);
	gen_seq_add(&s, (uint32_t)(base + i + 3)); /* i .. i+2 lost */
	gen_seq_add(&s, (uint32_t)(base + i + 4));
	assert_int_equal(gen_seq_lost(&s, i + 5), 3);
	gen_seq_add(&s, (uint32_t)(base + i + 1)); /* one of them, late */
	assert_int_equal(s.reorder, 1);
	assert_int_equal(gen_seq_lost(&s, i + 5), 2);
	gen_seq_add(&s, (uint32_t)(base + i + 4)); /* duplicate of the last */
	gen_seq_add(&s, (uint32_t)(base + i - 10)); /* seen: in the window */
	assert_int_equal(s.dup, 2);
	gen_seq_add(&s, (uint32_t)(base + i - GEN_SEQ_WIN)); /* older than the window */
	assert_int_equal(s.late, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order_no_loss),
		cmocka_unit_test(test_loss_counted),
		cmocka_unit_test(test_reorder_not_loss),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_duplicate_of_reordered),
		cmocka_unit_test(test_window_slides_after_big_gap),
		cmocka_unit_test(test_wraps_32_bits),
		cmocka_unit_test(test_in_order_path_keeps_the_window),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
