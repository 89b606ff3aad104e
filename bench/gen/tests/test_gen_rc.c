/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-gen recycled-frame records: every object of a pool found from its
 * address, nothing else taken for one; the keep-to-resend stack.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "gen_rc.h"

/* strides of real pools (a 2 KiB-data mbuf with header and trailer) and
 * awkward ones */
static const uint32_t strides[] = {2432, 2304, 2176, 1, 3, 64, 4095, 65537};

static void
test_every_object_found(void **state)
{
	(void)state;
	for (unsigned int k = 0; k < sizeof(strides) / sizeof(strides[0]); k++) {
		struct gen_rc rc;
		uint32_t n = strides[k] > 4096 ? 1024 : 65535;
		uintptr_t base = (uintptr_t)0x7f0000000040ull;

		assert_int_equal(gen_rc_init(&rc, base, strides[k], n), 0);
		for (uint32_t i = 0; i < n; i++) {
			struct gen_rc_meta *m =
				gen_rc_meta(&rc, (void *)(base + (uintptr_t)i * strides[k]));

			assert_ptr_equal(m, &rc.meta[i]);
			assert_int_equal(m->stream, GEN_RC_IDLE);
		}
		gen_rc_fini(&rc);
	}
}

static void
test_other_addresses_refused(void **state)
{
	struct gen_rc rc;
	uintptr_t base = (uintptr_t)0x100000000ull;
	uint32_t stride = 2432, n = 1000;

	(void)state;
	assert_int_equal(gen_rc_init(&rc, base, stride, n), 0);
	/* inside an object, before the pool, just past it, far away */
	assert_null(gen_rc_meta(&rc, (void *)(base + 1)));
	assert_null(gen_rc_meta(&rc, (void *)(base + stride - 1)));
	assert_null(gen_rc_meta(&rc, (void *)(base + 5 * stride + 64)));
	assert_null(gen_rc_meta(&rc, (void *)(base - stride)));
	assert_null(gen_rc_meta(&rc, (void *)(base - 1)));
	assert_null(gen_rc_meta(&rc, (void *)(base + (uintptr_t)n * stride)));
	assert_null(gen_rc_meta(&rc, (void *)(uintptr_t)0x7fff00000000ull));
	assert_null(gen_rc_meta(&rc, NULL));
	/* every non-start offset of the first objects */
	for (uintptr_t off = 0; off < 4 * (uintptr_t)stride; off++)
		if (off % stride)
			assert_null(gen_rc_meta(&rc, (void *)(base + off)));
	gen_rc_fini(&rc);
}

static void
test_reset_and_bad_sizes(void **state)
{
	struct gen_rc rc;

	(void)state;
	assert_int_equal(gen_rc_init(&rc, 4096, 0, 10), -EINVAL);
	assert_int_equal(gen_rc_init(&rc, 4096, 64, 0), -EINVAL);
	assert_int_equal(gen_rc_init(&rc, 4096, 64, 1u << 23), -EINVAL);
	assert_int_equal(gen_rc_init(&rc, 4096, 1u << 30, 4096), -EINVAL);
	assert_int_equal(gen_rc_init(&rc, 4096, 64, 16), 0);
	rc.meta[3].stream = 1;
	rc.meta[3].pass = 7;
	gen_rc_reset(&rc);
	assert_int_equal(rc.meta[3].stream, GEN_RC_IDLE);
	assert_int_equal(rc.meta[3].pass, 0);
	gen_rc_fini(&rc);
	gen_rc_fini(&rc); /* twice is harmless */
}

static void
test_stack_newest_first_and_bounded(void **state)
{
	struct gen_rc_stack st;
	int v[5];
	void *out[8];

	(void)state;
	assert_int_equal(gen_rc_stack_init(&st, 4), 0);
	for (int i = 0; i < 4; i++)
		assert_true(gen_rc_push(&st, &v[i]));
	assert_false(gen_rc_push(&st, &v[4]));
	assert_int_equal(gen_rc_pop(&st, out, 3), 3);
	assert_ptr_equal(out[0], &v[3]);
	assert_ptr_equal(out[1], &v[2]);
	assert_ptr_equal(out[2], &v[1]);
	assert_int_equal(gen_rc_pop(&st, out, 8), 1);
	assert_ptr_equal(out[0], &v[0]);
	assert_int_equal(gen_rc_pop(&st, out, 8), 0);
	gen_rc_stack_fini(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_object_found),
		cmocka_unit_test(test_other_addresses_refused),
		cmocka_unit_test(test_reset_and_bad_sizes),
		cmocka_unit_test(test_stack_newest_first_and_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
