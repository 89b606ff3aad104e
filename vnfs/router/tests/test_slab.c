/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - the slab of route records (router_slab.c): records are
 * zeroed and distinct, the cap is enforced (exhaustion returns NULL and
 * loses nothing), freed records are reused first, many records span
 * chunks of every size, bad parameters are refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "router_slab.h"

static void
test_slab_init_refused(void **state)
{
	struct rtr_slab s;

	(void)state;
	assert_int_equal(rtr_slab_init(&s, 0, 10), -EINVAL);
	assert_int_equal(rtr_slab_init(&s, 64, 0), -EINVAL);
	assert_int_equal(rtr_slab_init(&s, 1u << 20, 10), -EINVAL);
	/* no memory until the first get; fini of an unused slab is fine */
	assert_int_equal(rtr_slab_init(&s, 40, 10), 0);
	assert_int_equal(s.n_chunks, 0);
	assert_int_equal(s.obj_size, 48);
	rtr_slab_fini(&s);
}

static void
test_slab_exhaustion_and_reuse(void **state)
{
	struct rtr_slab s;
	uint8_t *o[100], *again, *x;

	(void)state;
	assert_int_equal(rtr_slab_init(&s, 112, 100), 0);
	for (int i = 0; i < 100; i++) {
		o[i] = rtr_slab_get(&s);
		assert_non_null(o[i]);
		for (int k = 0; k < 112; k++)
			assert_int_equal(o[i][k], 0);
		memset(o[i], 0xa5, 112);
		for (int j = 0; j < i; j++) /* distinct, not overlapping */
			assert_true(o[j] + 112 <= o[i] || o[i] + 112 <= o[j]);
	}
	assert_int_equal(s.used, 100);
	/* the cap: nothing more, and nothing handed out is disturbed */
	assert_null(rtr_slab_get(&s));
	assert_null(rtr_slab_get(&s));
	assert_int_equal(s.used, 100);
	for (int i = 0; i < 100; i++)
		for (int k = 0; k < 112; k++)
			assert_int_equal(o[i][k], 0xa5);
	/* a record given back is the next one handed out, zeroed */
	rtr_slab_put(&s, o[37]);
	assert_int_equal(s.used, 99);
	again = rtr_slab_get(&s);
	assert_ptr_equal(again, o[37]);
	for (int k = 0; k < 112; k++)
		assert_int_equal(again[k], 0);
	assert_null(rtr_slab_get(&s));
	/* LIFO over several */
	rtr_slab_put(&s, o[3]);
	rtr_slab_put(&s, o[80]);
	x = rtr_slab_get(&s);
	assert_ptr_equal(x, o[80]);
	x = rtr_slab_get(&s);
	assert_ptr_equal(x, o[3]);
	assert_null(rtr_slab_get(&s));
	rtr_slab_put(&s, NULL); /* no-op */
	assert_int_equal(s.used, 100);
	rtr_slab_fini(&s);
}

/* 60,000 records of 112 bytes: chunks of 64 KiB up to 2 MiB, every record
 * writable, all given back and taken again without new chunks */
static void
test_slab_many_chunks(void **state)
{
	enum { N = 60000 };
	struct rtr_slab s;
	uint8_t **o = calloc(N, sizeof(*o));
	uint32_t chunks;

	(void)state;
	assert_non_null(o);
	assert_int_equal(rtr_slab_init(&s, 112, N), 0);
	for (uint32_t i = 0; i < N; i++) {
		o[i] = rtr_slab_get(&s);
		assert_non_null(o[i]);
		memcpy(o[i] + 8, &i, sizeof(i));
	}
	assert_null(rtr_slab_get(&s));
	assert_true(s.n_chunks > 5);
	for (uint32_t i = 0; i < s.n_chunks; i++)
		assert_true(s.chunk_len[i] >= 64 * 1024 && s.chunk_len[i] <= 2 * 1024 * 1024);
	for (uint32_t i = 0; i < N; i++) {
		uint32_t v;

		memcpy(&v, o[i] + 8, sizeof(v));
		assert_int_equal(v, i);
	}
	chunks = s.n_chunks;
	for (uint32_t i = 0; i < N; i++)
		rtr_slab_put(&s, o[i]);
	assert_int_equal(s.used, 0);
	for (uint32_t i = 0; i < N; i++)
		assert_non_null(rtr_slab_get(&s));
	assert_int_equal(s.n_chunks, chunks);
	assert_null(rtr_slab_get(&s));
	rtr_slab_fini(&s);
	free(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slab_init_refused),
		cmocka_unit_test(test_slab_exhaustion_and_reuse),
		cmocka_unit_test(test_slab_many_chunks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
