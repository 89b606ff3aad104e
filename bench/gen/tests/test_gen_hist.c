/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-gen histogram: percentiles against known inputs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "gen_hist.h"

static struct gen_hist h;

/* within the histogram's resolution (1/32) of the exact answer */
static void
assert_close(uint64_t got, uint64_t want)
{
	double d = (double)got - (double)want;

	if (d < 0)
		d = -d;
	if (d > (double)want / GEN_HIST_SUB + 1)
		fail_msg("got %llu, want %llu", (unsigned long long)got, (unsigned long long)want);
}

static void
test_bucket_bounds_cover_every_value(void **state)
{
	uint64_t v;
	unsigned int i;

	(void)state;
	for (v = 0; v < 200000; v += 7) {
		i = gen_hist_index(v);
		assert_true(gen_hist_bucket_low(i) <= v);
		assert_true(gen_hist_bucket_high(i) >= v);
	}
	/* buckets are contiguous and ordered */
	for (i = 1; i < GEN_HIST_BUCKETS - 1; i++)
		assert_int_equal(gen_hist_bucket_low(i), gen_hist_bucket_high(i - 1) + 1);
	/* the last bucket takes everything too big */
	assert_int_equal(gen_hist_index(UINT64_MAX), GEN_HIST_BUCKETS - 1);
}

static void
test_uniform_1_to_10000(void **state)
{
	uint64_t v;

	(void)state;
	gen_hist_reset(&h);
	for (v = 1; v <= 10000; v++)
		gen_hist_add(&h, v);
	assert_int_equal(h.count, 10000);
	assert_int_equal(h.min, 1);
	assert_int_equal(h.max, 10000);
	assert_close(gen_hist_percentile(&h, 50), 5000);
	assert_close(gen_hist_percentile(&h, 90), 9000);
	assert_close(gen_hist_percentile(&h, 99), 9900);
	assert_close(gen_hist_percentile(&h, 99.9), 9990);
	assert_int_equal(gen_hist_percentile(&h, 100), 10000);
	assert_int_equal(gen_hist_percentile(&h, 0), 1);
	assert_true(gen_hist_mean(&h) > 5000.49 && gen_hist_mean(&h) < 5000.51);
}

static void
test_small_values_exact(void **state)
{
	(void)state;
	gen_hist_reset(&h);
	/* 90 samples of 3 ns, 9 of 20, 1 of 31: all below 32 are exact */
	for (int i = 0; i < 90; i++)
		gen_hist_add(&h, 3);
	for (int i = 0; i < 9; i++)
		gen_hist_add(&h, 20);
	gen_hist_add(&h, 31);
	assert_int_equal(gen_hist_percentile(&h, 50), 3);
	assert_int_equal(gen_hist_percentile(&h, 90), 3);
	assert_int_equal(gen_hist_percentile(&h, 91), 20);
	assert_int_equal(gen_hist_percentile(&h, 99), 20);
	assert_int_equal(gen_hist_percentile(&h, 99.9), 31);
}

static void
test_tail_outlier(void **state)
{
	(void)state;
	gen_hist_reset(&h);
	/* 999 packets at 10 us, one at 5 ms: p99.9 is still 10 us, max 5 ms */
	for (int i = 0; i < 999; i++)
		gen_hist_add(&h, 10000);
	gen_hist_add(&h, 5000000);
	assert_close(gen_hist_percentile(&h, 99), 10000);
	assert_close(gen_hist_percentile(&h, 99.9), 10000);
	assert_int_equal(gen_hist_percentile(&h, 99.95), 5000000);
	assert_int_equal(h.max, 5000000);
}

static void
test_merge_and_empty(void **state)
{
	static struct gen_hist a, b;

	(void)state;
	gen_hist_reset(&a);
	gen_hist_reset(&b);
	assert_int_equal(gen_hist_percentile(&a, 50), 0);
	for (int i = 0; i < 100; i++)
		gen_hist_add(&a, 1000);
	for (int i = 0; i < 100; i++)
		gen_hist_add(&b, 100000);
	gen_hist_merge(&a, &b);
	assert_int_equal(a.count, 200);
	assert_int_equal(a.min, 1000);
	assert_int_equal(a.max, 100000);
	assert_close(gen_hist_percentile(&a, 50), 1000);
	assert_close(gen_hist_percentile(&a, 51), 100000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_bounds_cover_every_value),
		cmocka_unit_test(test_uniform_1_to_10000),
		cmocka_unit_test(test_small_values_exact),
		cmocka_unit_test(test_tail_outlier),
		cmocka_unit_test(test_merge_and_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
