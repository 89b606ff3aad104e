/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-gen - recycled frames over zero-copy links: what the generator knows
 * about each of its frames, kept beside them instead of in them.
 *
 * Over a shared-ring link (gen_link.h) the DUT gets nfv-gen's own mbufs and
 * hands the same mbufs back. Writing every frame on the way out and reading
 * it on the way in moves its cache lines from the DUT's core to nfv-gen's
 * and back, for every packet: on a machine whose two cores share no cache
 * that is most of what both sides spend per frame (bench/xcore-lines), so
 * the table measures the link, not the DUT. With `recycle` the generator:
 *
 *   - keeps, per frame of its pool, the stream, sequence number, length and
 *     transmit TSC in its own memory (struct gen_rc_meta), found from the
 *     mbuf's address by arithmetic (the pool is one array of fixed-size
 *     objects; gen_rc_init checks it);
 *   - on receive, counts and times a frame of its own from that record
 *     without touching the frame (exact counts, sequence and latency for
 *     every frame) and keeps it, as it is, to send again;
 *   - sends a kept frame as the DUT left it, rewriting it from the template
 *     (headers, stamp, lengths) only every `refresh` passes, so a router's
 *     TTL never runs down and the frame stays a valid test frame.
 *
 * Only for DUTs that forward in place (same mbuf, frame valid as input
 * again: a plain forwarder, a router whose next hop for the generator is
 * its own ingress MAC, a firewall); not for NAT, not over copying links
 * (memif, vhost): nfv-gen refuses `recycle` unless every port is a ring.
 * Plain C, no DPDK: unit tested (tests/test_gen_rc.c).
 */
#ifndef GEN_RC_H
#define GEN_RC_H

#include <stdbool.h>
#include <stdint.h>

#define GEN_RC_IDLE 0xffu /* meta.stream of a frame not in flight */

struct gen_rc_meta {
	uint64_t tsc;	/* when it was last sent */
	uint32_t seq;	/* its number in its stream */
	uint16_t len;	/* frame bytes without FCS */
	uint8_t stream; /* GEN_RC_IDLE when not sent since last received */
	uint8_t pass;	/* sends since it was last written from the template */
};
_Static_assert(sizeof(struct gen_rc_meta) == 16, "gen_rc_meta layout");

/* The pool as an array: object i at base + i * stride, n objects. */
struct gen_rc {
	uintptr_t base;
	uint64_t span;	 /* n * stride */
	uint64_t mul;	 /* ceil(2^GEN_RC_SHIFT / stride): index by multiply */
	uint32_t stride; /* bytes from one object to the next */
	uint32_t n;
	struct gen_rc_meta *meta; /* n records */
};

#define GEN_RC_SHIFT 40

/* Set rc up for n objects from base, stride bytes apart, with every record
 * idle. Returns 0, -EINVAL (n or stride 0, or too large for the index
 * arithmetic) or -ENOMEM. */
int gen_rc_init(struct gen_rc *rc, uintptr_t base, uint32_t stride, uint32_t n);
void gen_rc_fini(struct gen_rc *rc);
/* Every record idle (a new trial). */
void gen_rc_reset(struct gen_rc *rc);

/* The record of the object at p, or NULL when p is not the start of one of
 * the pool's objects (a frame of the DUT's own pool, or garbage). */
static inline struct gen_rc_meta *
gen_rc_meta(const struct gen_rc *rc, const void *p)
{
	uint64_t off = (uint64_t)((uintptr_t)p - rc->base), i;

	if (off >= rc->span)
		return 0;
	i = (off * rc->mul) >> GEN_RC_SHIFT;
	if (i * rc->stride != off)
		return 0;
	return &rc->meta[i];
}

/* A stack of frames received and kept to send again (newest first: the
 * frames the DUT touched last go out first). */
struct gen_rc_stack {
	void **v;
	uint32_t n, cap;
};

int gen_rc_stack_init(struct gen_rc_stack *st, uint32_t cap);
void gen_rc_stack_fini(struct gen_rc_stack *st);

/* Push p; false when full (the caller frees it). */
static inline bool
gen_rc_push(struct gen_rc_stack *st, void *p)
{
	if (st->n == st->cap)
		return false;
	st->v[st->n++] = p;
	return true;
}

/* Pop up to n into out; returns how many. */
static inline uint32_t
gen_rc_pop(struct gen_rc_stack *st, void **out, uint32_t n)
{
	uint32_t i;

	if (n > st->n)
		n = st->n;
	for (i = 0; i < n; i++)
		out[i] = st->v[--st->n];
	return n;
}

#endif
