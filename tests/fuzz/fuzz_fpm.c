/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target: zebra's FPM stream as nfvd's router reads it
 * (vnfs/router/router_fpm_parse.c): frames split from the bytes, each
 * netlink message decoded. Whatever the bytes: no crash, no read beyond
 * the input, and what is decoded stays within its limits (prefix length of
 * the family, next hops and group members within their arrays; the
 * reader's prefetch peek at a route's destination likewise). Seeds
 * (tests/fuzz/fpm_seeds): two streams captured from zebra 8.4 (next-hop
 * objects and inline next hops). Built and run by tests/fuzz/run.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "router_fpm_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_check(const struct rtr_fpm_msg *m)
{
	if (m->kind < RTR_FPM_ROUTE_ADD || m->kind > RTR_FPM_NH_DEL)
		abort();
	if (m->n_nh > RTR_FPM_MAX_NH || m->n_grp > RTR_FPM_MAX_GRP)
		abort();
	if ((m->kind == RTR_FPM_ROUTE_ADD || m->kind == RTR_FPM_ROUTE_DEL) &&
	    ((m->family != 4 && m->family != 6) || m->dst_len > (m->family == 4 ? 32 : 128)))
		abort();
	if ((m->kind == RTR_FPM_NH_ADD || m->kind == RTR_FPM_NH_DEL) && m->id == 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rtr_fpm_msg m;
	size_t off = 0;

	while (off < size) {
		bool nl = false;
		int fl = rtr_fpm_frame(data + off, size - off, &nl);
		/* each frame in its own allocation: ASan sees a read past it */
		uint8_t *copy;

		if (fl <= 0)
			break;
		if ((size_t)fl > size - off)
			abort();
		copy = malloc((size_t)fl);
		if (copy == NULL)
			return 0;
		for (int i = 0; i < fl; i++)
			copy[i] = data[off + (size_t)i];
		if (nl && rtr_fpm_parse(copy + RTR_FPM_HDR, (size_t)fl - RTR_FPM_HDR, &m) == 0)
			fuzz_check(&m);
		if (nl) {
			/* the reader's prefetch peek: within the frame, sane */
			uint8_t dst[16], dlen = 0;
			int fam = rtr_fpm_peek_dst(copy + RTR_FPM_HDR, (size_t)fl - RTR_FPM_HDR, dst,
						   &dlen);

			if ((fam != 0 && fam != 4 && fam != 6) || dlen > (fam == 4 ? 32 : 128))
				abort();
		}
		free(copy);
		off += (size_t)fl;
	}
	/* the bytes as one netlink message too */
	if (rtr_fpm_parse(data, size, &m) == 0)
		fuzz_check(&m);
	return 0;
}
