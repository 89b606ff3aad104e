/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-gen - log-linear latency histogram.
 */
#include "gen_hist.h"

#include <string.h>

void
gen_hist_reset(struct gen_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

uint64_t
gen_hist_bucket_low(unsigned int i)
{
	unsigned int shift;
	uint64_t m;

	if (i < GEN_HIST_SUB)
		return i;
	shift = i / GEN_HIST_SUB - 1;
	m = i - (uint64_t)shift * GEN_HIST_SUB;
	return m << shift;
}

uint64_t
gen_hist_bucket_high(unsigned int i)
{
	if (i + 1 >= GEN_HIST_BUCKETS)
		return UINT64_MAX;
	return gen_hist_bucket_low(i + 1) - 1;
}

uint64_t
gen_hist_percentile(const struct gen_hist *h, double p)
{
	uint64_t rank, seen = 0, v;
	unsigned int i;

	if (h->count == 0)
		return 0;
	if (p <= 0)
		return h->min;
	if (p >= 100)
		return h->max;
	/* smallest value with at least p % of the samples at or below it */
	rank = (uint64_t)((p / 100.0) * (double)h->count + 0.9999999);
	if (rank == 0)
		rank = 1;
	for (i = 0; i < GEN_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank)
			break;
	}
	if (i == GEN_HIST_BUCKETS)
		return h->max;
	v = gen_hist_bucket_high(i);
	if (v > h->max)
		v = h->max;
	if (v < h->min)
		v = h->min;
	return v;
}

double
gen_hist_mean(const struct gen_hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}

void
gen_hist_merge(struct gen_hist *dst, const struct gen_hist *src)
{
	unsigned int i;

	if (src->count == 0)
		return;
	for (i = 0; i < GEN_HIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}
