/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-gen - log-linear latency histogram (HDR-like).
 *
 * Values below 2^GEN_HIST_SUB_BITS are counted exactly; above, every power
 * of two is split into 2^GEN_HIST_SUB_BITS linear sub-buckets, so any
 * recorded value is known to within 1/2^GEN_HIST_SUB_BITS (about 3 %).
 * Adding a value costs one clz and a shift: cheap enough per packet.
 */
#ifndef GEN_HIST_H
#define GEN_HIST_H

#include <stdint.h>

#define GEN_HIST_SUB_BITS 5
#define GEN_HIST_SUB (1u << GEN_HIST_SUB_BITS)
#define GEN_HIST_MAX_BITS 40 /* values up to 2^40 (ns: ~18 minutes) */
#define GEN_HIST_BUCKETS ((GEN_HIST_MAX_BITS - GEN_HIST_SUB_BITS + 1) * GEN_HIST_SUB)

struct gen_hist {
	uint64_t count;
	uint64_t sum;
	uint64_t min;
	uint64_t max;
	uint64_t bucket[GEN_HIST_BUCKETS];
};

void gen_hist_reset(struct gen_hist *h);

static inline unsigned int
gen_hist_index(uint64_t v)
{
	unsigned int shift;

	if (v < GEN_HIST_SUB)
		return (unsigned int)v;
	if (v >= (1ull << GEN_HIST_MAX_BITS))
		return GEN_HIST_BUCKETS - 1;
	/* row = position of the top bit above SUB_BITS; column = top bits */
	shift = 63u - (unsigned int)__builtin_clzll(v) - GEN_HIST_SUB_BITS;
	return shift * GEN_HIST_SUB + (unsigned int)(v >> shift);
}

static inline void
gen_hist_add(struct gen_hist *h, uint64_t v)
{
	h->bucket[gen_hist_index(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

/* Lowest value that maps to bucket i, and the highest. */
uint64_t gen_hist_bucket_low(unsigned int i);
uint64_t gen_hist_bucket_high(unsigned int i);

/* Value at percentile p (0..100): the highest value of the bucket holding
 * the rank, clamped to [min, max]. 0 when empty. */
uint64_t gen_hist_percentile(const struct gen_hist *h, double p);
double gen_hist_mean(const struct gen_hist *h);

/* dst += src */
void gen_hist_merge(struct gen_hist *dst, const struct gen_hist *src);

#endif
