/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-gen - a log of one process's scheduling gaps that another process
 * reads: the self-check's reflector is part of the measuring side, and its
 * gaps lose packets the generator then sees missing.
 *
 * The writer (the reflector, --gap-log PATH) puts each gap it sees (the TSC
 * of the turn before and of the turn after) into a ring of records in a
 * shared file, then publishes the count (store-release). The reader (the
 * generator, --peer-gaps PATH) maps the same file and, when it sees a hole
 * in a stream, looks for the last lossy gap that ended before it
 * (load-acquire of the count). Both sides read the TSC of one machine
 * (constant, synchronised TSC: the same clock on every core).
 *
 * Writing a record is two stores and a release: no syscall, no lock, no
 * allocation. The ring keeps the last GEN_GAPLOG_N gaps; a reader looks
 * back at most GEN_GAPLOG_BACK of them.
 */
#ifndef GEN_GAPLOG_H
#define GEN_GAPLOG_H

#include <stdbool.h>
#include <stdint.h>

#define GEN_GAPLOG_MAGIC 0x3170616746564e66ULL /* "fNVFgap1" */
#define GEN_GAPLOG_N 4096
#define GEN_GAPLOG_BACK 256

struct gen_gaplog_rec {
	uint64_t start; /* TSC of the last turn before the gap */
	uint64_t end;	/* TSC of the first turn after it */
};

struct gen_gaplog {
	uint64_t magic;
	uint64_t head;	 /* records written so far; the newest is rec[(head - 1) % N] */
	uint64_t turn;	 /* the writer's latest loop turn (TSC), stored every turn */
	uint64_t pad[5]; /* turn alone on its cache line with head (the reader rarely looks) */
	struct gen_gaplog_rec rec[GEN_GAPLOG_N];
};

struct gen_gaplog_sum {
	uint64_t count, lossy_count, total, max; /* cycles */
};

/* Clear a log (in any memory: a mapped file or a test's struct). */
void gen_gaplog_init(struct gen_gaplog *l);
/* The writer: one gap from start to end (TSC). */
void gen_gaplog_put(struct gen_gaplog *l, uint64_t start, uint64_t end);
/* The writer: a loop turn at TSC now (one store; after the gap it ends,
 * if any, is put: a reader that sees the turn sees the gap). */
static inline void
gen_gaplog_turn(struct gen_gaplog *l, uint64_t now)
{
	__atomic_store_n(&l->turn, now, __ATOMIC_RELEASE);
}
/* The reader: cycles since the writer's last turn at TSC now (0 if it
 * turned after now on another core's clock, or never). */
static inline uint64_t
gen_gaplog_idle(const struct gen_gaplog *l, uint64_t now)
{
	uint64_t t = __atomic_load_n(&l->turn, __ATOMIC_RELAXED);

	return t && now > t ? now - t : 0;
}
/* The reader: the newest gap of at least `min` cycles that ended at or
 * before `now`; false if none among the last GEN_GAPLOG_BACK records. */
bool gen_gaplog_last(const struct gen_gaplog *l, uint64_t now, uint64_t min,
		     struct gen_gaplog_rec *out);
/* The gaps that ended in [from, to] (at most the last GEN_GAPLOG_N). */
void gen_gaplog_sum(const struct gen_gaplog *l, uint64_t from, uint64_t to, uint64_t lossy,
		    struct gen_gaplog_sum *s);

/* A log in a file: created (or truncated) and mapped by the writer, mapped
 * read-only by the reader. Return NULL with errno set on failure (reader:
 * ENOENT while the writer has not made it yet, EINVAL if it is not a log). */
struct gen_gaplog *gen_gaplog_create(const char *path);
const struct gen_gaplog *gen_gaplog_open(const char *path);
void gen_gaplog_unmap(const struct gen_gaplog *l);

#endif
