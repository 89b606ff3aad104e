/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-gen - per-stream sequence tracking.
 */
#include "gen_seq.h"

#include <string.h>

#define GEN_SEQ_MASK (GEN_SEQ_WIN - 1)

static inline bool
gen_seq_test(const struct gen_seq *s, uint64_t n)
{
	uint64_t b = n & GEN_SEQ_MASK;

	return (s->seen[b / 64] >> (b % 64)) & 1;
}

static inline void
gen_seq_set(struct gen_seq *s, uint64_t n)
{
	uint64_t b = n & GEN_SEQ_MASK;

	s->seen[b / 64] |= 1ull << (b % 64);
}

static inline void
gen_seq_clear(struct gen_seq *s, uint64_t n)
{
	uint64_t b = n & GEN_SEQ_MASK;

	s->seen[b / 64] &= ~(1ull << (b % 64));
}

void
gen_seq_reset(struct gen_seq *s)
{
	memset(s, 0, sizeof(*s));
}

void
gen_seq_add_slow(struct gen_seq *s, uint32_t seq)
{
	uint64_t n, i;
	int32_t diff;

	s->rx++;
	if (!s->any) {
		s->any = true;
		s->max = seq;
		gen_seq_set(s, seq);
		return;
	}
	/* extend to 64 bits: the nearest number to max with these low bits */
	diff = (int32_t)(seq - (uint32_t)s->max);
	if (diff < 0 && (uint64_t)(-(int64_t)diff) > s->max) {
		s->late++;
		return;
	}
	n = s->max + (int64_t)diff;
	if (n > s->max) {
		/* forget what the window slides over */
		if (n - s->max >= GEN_SEQ_WIN)
			memset(s->seen, 0, sizeof(s->seen));
		else
			for (i = s->max + 1; i < n; i++)
				gen_seq_clear(s, i);
		gen_seq_set(s, n);
		s->max = n;
		return;
	}
	if (s->max - n >= GEN_SEQ_WIN) {
		s->late++;
		s->reorder++;
		return;
	}
	if (gen_seq_test(s, n)) {
		s->dup++;
		return;
	}
	gen_seq_set(s, n);
	s->reorder++;
}
