/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - slab of fixed-size records (see router_slab.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "router_slab.h"

#define RTR_SLAB_FIRST ((size_t)64 * 1024) /* first chunk; doubles up to ... */
#define RTR_SLAB_HUGE ((size_t)2 * 1024 * 1024)

int
rtr_slab_init(struct rtr_slab *s, size_t obj_size, uint32_t max_objs)
{
	size_t bytes;

	memset(s, 0, sizeof(*s));
	if (obj_size == 0 || max_objs == 0 || obj_size > RTR_SLAB_FIRST)
		return -EINVAL;
	s->obj_size = (obj_size + 15) & ~(size_t)15;
	s->max_objs = max_objs;
	/* chunks needed for max_objs: 64 KiB, 128 KiB ... 2 MiB, then 2 MiB each */
	bytes = (size_t)max_objs * s->obj_size;
	s->max_chunks = 6 + (uint32_t)(bytes / RTR_SLAB_HUGE) + 1;
	s->chunk = calloc(s->max_chunks, sizeof(*s->chunk));
	s->chunk_len = calloc(s->max_chunks, sizeof(*s->chunk_len));
	if (s->chunk == NULL || s->chunk_len == NULL) {
		free(s->chunk);
		free(s->chunk_len);
		memset(s, 0, sizeof(*s));
		return -ENOMEM;
	}
	return 0;
}

/* A new chunk, 2 MiB-aligned and advised huge when it is 2 MiB. */
static int
rtr_slab_grow(struct rtr_slab *s)
{
	size_t len = RTR_SLAB_FIRST << (s->n_chunks < 5 ? s->n_chunks : 5);
	size_t map = len == RTR_SLAB_HUGE ? 2 * len : len;
	uint8_t *p, *a;

	if (s->n_chunks == s->max_chunks)
		return -ENOMEM;
	p = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	a = p;
	if (map != len) {
		/* keep the 2 MiB-aligned 2 MiB inside and give back the rest */
		a = (uint8_t *)(((uintptr_t)p + RTR_SLAB_HUGE - 1) &
				~(uintptr_t)(RTR_SLAB_HUGE - 1));
		if (a > p)
			munmap(p, (size_t)(a - p));
		if (a + len < p + map)
			munmap(a + len, (size_t)(p + map - (a + len)));
#ifdef MADV_HUGEPAGE
		madvise(a, len, MADV_HUGEPAGE);
#endif
	}
	s->chunk[s->n_chunks] = a;
	s->chunk_len[s->n_chunks++] = len;
	s->top = a;
	s->end = a + len;
	return 0;
}

void *
rtr_slab_get(struct rtr_slab *s)
{
	void *o;

	if (s->used >= s->max_objs)
		return NULL;
	if (s->free != NULL) {
		o = s->free;
		memcpy(&s->free, o, sizeof(void *));
	} else {
		if ((size_t)(s->end - s->top) < s->obj_size && rtr_slab_grow(s) != 0)
			return NULL;
		o = s->top;
		s->top += s->obj_size;
	}
	s->used++;
	memset(o, 0, s->obj_size);
	return o;
}

void
rtr_slab_put(struct rtr_slab *s, void *o)
{
	if (o == NULL)
		return;
	memcpy(o, &s->free, sizeof(void *));
	s->free = o;
	s->used--;
}

void
rtr_slab_fini(struct rtr_slab *s)
{
	for (uint32_t i = 0; i < s->n_chunks; i++)
		munmap(s->chunk[i], s->chunk_len[i]);
	free(s->chunk);
	free(s->chunk_len);
	memset(s, 0, sizeof(*s));
}
