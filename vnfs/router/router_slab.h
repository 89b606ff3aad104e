/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - a slab of fixed-size records for the control thread's
 * route table (router_tbl.c): one allocation per chunk instead of a malloc
 * per route, chunks of up to 2 MiB (transparent huge pages advised: a page
 * fault per 2 MiB, not per 4 KiB, when a million routes arrive), freed
 * records reused first (LIFO), a hard cap on the records handed out.
 * Not thread-safe (single writer: the control thread).
 */
#ifndef RTR_SLAB_H
#define RTR_SLAB_H

#include <stddef.h>
#include <stdint.h>

struct rtr_slab {
	size_t obj_size;    /* rounded up to 16 bytes */
	uint32_t max_objs;  /* cap: rtr_slab_get() returns NULL beyond it */
	uint32_t used;	    /* records handed out and not put back */
	void *free;	    /* free list, linked through each record's first word */
	uint8_t *top, *end; /* the unused tail of the newest chunk */
	uint32_t n_chunks, max_chunks;
	void **chunk;
	size_t *chunk_len;
};

/* 0 or -EINVAL (obj_size 0 or max_objs 0) / -ENOMEM. No memory is taken
 * until the first rtr_slab_get(). */
int rtr_slab_init(struct rtr_slab *s, size_t obj_size, uint32_t max_objs);
/* A zeroed record, or NULL when max_objs are in use or no memory. */
void *rtr_slab_get(struct rtr_slab *s);
/* Give o (from rtr_slab_get of s) back; the next get reuses it. */
void rtr_slab_put(struct rtr_slab *s, void *o);
/* Release every chunk (records still out become invalid). */
void rtr_slab_fini(struct rtr_slab *s);

#endif /* RTR_SLAB_H */
