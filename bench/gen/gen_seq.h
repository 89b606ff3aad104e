/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-gen - per-stream sequence tracking: duplicates, reordering, loss.
 *
 * The sender numbers each packet of a stream (32 bits on the wire, extended
 * to 64 bits here against the highest number seen). A window of the last
 * GEN_SEQ_WIN numbers remembers which arrived, so a duplicate is told apart
 * from a late (reordered) packet. Loss is what was sent minus the distinct
 * packets received, known once the trial has drained.
 */
#ifndef GEN_SEQ_H
#define GEN_SEQ_H

#include <stdbool.h>
#include <stdint.h>

#define GEN_SEQ_WIN 8192u /* power of two */

struct gen_seq {
	uint64_t rx;	  /* every packet of the stream received */
	uint64_t dup;	  /* of which already seen (within the window) */
	uint64_t reorder; /* of which arrived after a higher number */
	uint64_t late;	  /* of which too old to tell (older than the window) */
	uint64_t max;	  /* highest number seen */
	bool any;
	uint64_t seen[GEN_SEQ_WIN / 64];
};

void gen_seq_reset(struct gen_seq *s);
/* Everything gen_seq_add does but the in-order case. */
void gen_seq_add_slow(struct gen_seq *s, uint32_t seq);
/* Account one received packet numbered seq (the 32 bits on the wire). The
 * common case, the number after the highest seen, is inline: a counter, a
 * bit and the new highest number (nothing to forget: the window slides by
 * one and the bit of the number that leaves it is the one set now). */
static inline void
gen_seq_add(struct gen_seq *s, uint32_t seq)
{
	uint64_t n = s->max + 1, b;

	if (s->any && (uint32_t)n == seq) {
		b = n & (GEN_SEQ_WIN - 1);
		s->rx++;
		s->seen[b / 64] |= 1ull << (b % 64);
		s->max = n;
		return;
	}
	gen_seq_add_slow(s, seq);
}
/* Distinct packets received (rx - dup). */
static inline uint64_t
gen_seq_unique(const struct gen_seq *s)
{
	return s->rx - s->dup;
}
/* Packets lost out of sent (0 if more distinct arrived than were sent). */
static inline uint64_t
gen_seq_lost(const struct gen_seq *s, uint64_t sent)
{
	uint64_t u = gen_seq_unique(s);

	return sent > u ? sent - u : 0;
}

#endif
