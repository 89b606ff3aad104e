/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-dhcpgen duplicate-address table: a second client given a held
 * address is caught; release and rebind; a random workload against a
 * plain array (backward-shift deletes keep every entry reachable).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dg_uniq.h"

static void
test_duplicate_caught(void **state)
{
	struct dg_uniq u;
	uint32_t other = 0;

	(void)state;
	assert_int_equal(dg_uniq_init(&u, 8), 0);
	assert_int_equal(dg_uniq_bind(&u, 0x0a000001, 1, &other), 0);
	assert_int_equal(dg_uniq_bind(&u, 0x0a000001, 1, &other), 0); /* renewal */
	assert_int_equal(dg_uniq_bind(&u, 0x0a000001, 2, &other), -EEXIST);
	assert_int_equal(other, 1);
	assert_int_equal(dg_uniq_owner(&u, 0x0a000001), 1);
	assert_int_equal(dg_uniq_release(&u, 0x0a000001, 2), -ENOENT); /* not 2's */
	assert_int_equal(dg_uniq_release(&u, 0x0a000001, 1), 0);
	assert_int_equal(dg_uniq_owner(&u, 0x0a000001), -1);
	assert_int_equal(dg_uniq_bind(&u, 0x0a000001, 2, &other), 0); /* free again */
	assert_int_equal(dg_uniq_bind(&u, 0, 3, &other), -EINVAL);
	assert_int_equal(u.n, 1);
	dg_uniq_free(&u);
}

static void
test_full(void **state)
{
	struct dg_uniq u;
	uint32_t other, i;
	int rc = 0;

	(void)state;
	assert_int_equal(dg_uniq_init(&u, 4), 0);
	for (i = 1; i < 1000 && rc == 0; i++)
		rc = dg_uniq_bind(&u, i, i, &other);
	assert_int_equal(rc, -ENOSPC);
	assert_true(u.n >= 4);
	dg_uniq_free(&u);
}

#define N_ADDR 4096

static void
test_random_against_array(void **state)
{
	static int64_t ref[N_ADDR]; /* owner of address base + i, or -1 */
	const uint32_t base = 0x0a420000;
	struct dg_uniq u;
	uint32_t other;

	(void)state;
	srand(16);
	assert_int_equal(dg_uniq_init(&u, N_ADDR), 0);
	for (int i = 0; i < N_ADDR; i++)
		ref[i] = -1;
	for (int step = 0; step < 200000; step++) {
		uint32_t a = (uint32_t)rand() % N_ADDR, c = (uint32_t)rand() % 64;
		int rc;

		if (rand() % 3) {
			rc = dg_uniq_bind(&u, base + a, c, &other);
			if (ref[a] < 0 || ref[a] == c) {
				assert_int_equal(rc, 0);
				ref[a] = c;
			} else {
				assert_int_equal(rc, -EEXIST);
				assert_int_equal(other, ref[a]);
			}
		} else {
			c = ref[a] >= 0 && rand() % 2 ? (uint32_t)ref[a] : c;
			rc = dg_uniq_release(&u, base + a, c);
			if (ref[a] == c) {
				assert_int_equal(rc, 0);
				ref[a] = -1;
			} else {
				assert_int_equal(rc, -ENOENT);
			}
		}
		if (step % 10000 == 0)
			for (int i = 0; i < N_ADDR; i++)
				assert_int_equal(dg_uniq_owner(&u, base + i), ref[i]);
	}
	dg_uniq_free(&u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duplicate_caught),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_random_against_array),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
