/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-gen - recycled frames over zero-copy links (see gen_rc.h).
 */
#include "gen_rc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
gen_rc_init(struct gen_rc *rc, uintptr_t base, uint32_t stride, uint32_t n)
{
	memset(rc, 0, sizeof(*rc));
	/* mul's rounding error (< 1) times an offset below 2^GEN_RC_SHIFT
	 * stays below one index; an offset times mul, below n * 2^SHIFT +
	 * offset, stays below 2^64 for n < 2^23 */
	if (!n || !stride || n >= (1u << 23) || (uint64_t)n * stride >= (1ull << GEN_RC_SHIFT))
		return -EINVAL;
	rc->meta = malloc((size_t)n * sizeof(*rc->meta));
	if (!rc->meta)
		return -ENOMEM;
	rc->base = base;
	rc->stride = stride;
	rc->n = n;
	rc->span = (uint64_t)n * stride;
	rc->mul = ((1ull << GEN_RC_SHIFT) + stride - 1) / stride;
	gen_rc_reset(rc);
	return 0;
}

void
gen_rc_fini(struct gen_rc *rc)
{
	free(rc->meta);
	rc->meta = NULL;
	rc->n = 0;
	rc->span = 0;
}

void
gen_rc_reset(struct gen_rc *rc)
{
	uint32_t i;

	for (i = 0; i < rc->n; i++)
		rc->meta[i] = (struct gen_rc_meta){.stream = GEN_RC_IDLE};
}

int
gen_rc_stack_init(struct gen_rc_stack *st, uint32_t cap)
{
	st->v = calloc(cap, sizeof(*st->v));
	st->n = 0;
	st->cap = st->v ? cap : 0;
	return st->v ? 0 : -ENOMEM;
}

void
gen_rc_stack_fini(struct gen_rc_stack *st)
{
	free(st->v);
	st->v = NULL;
	st->n = st->cap = 0;
}
