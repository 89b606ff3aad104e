/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - checksum helpers for the VNFs' fast paths (header only).
 */
#ifndef NFV_CSUM_H
#define NFV_CSUM_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_ip.h>

/* Ones' complement sum of an option-less IPv4 header is 0xffff: five 32-bit
 * loads and folds instead of rte_raw_cksum's ten-step 16-bit loop (11% of
 * the router's cycles in a profile). The sum is byte-order neutral. */
static inline bool
nfv_ip4_csum_ok(const struct rte_ipv4_hdr *ip)
{
	const uint8_t *b = (const uint8_t *)ip;
	uint32_t w0, w1, w2, w3, w4, s32;
	uint64_t s;

	/* one load each (a 20-byte memcpy to an array went through the stack) */
	memcpy(&w0, b, 4);
	memcpy(&w1, b + 4, 4);
	memcpy(&w2, b + 8, 4);
	memcpy(&w3, b + 12, 4);
	memcpy(&w4, b + 16, 4);
	s = (uint64_t)w0 + w1 + w2 + w3 + w4;
	/* end-around-carry folds: adding a value to itself rotated by half its
	 * width leaves the ones' complement sum of its halves in the top half */
	s32 = (uint32_t)((s + ((s >> 32) | (s << 32))) >> 32);
	s32 = (s32 + ((s32 >> 16) | (s32 << 16))) >> 16;
	return s32 == 0xffff;
}

/* The same for a header of ihl bytes (with options: the slow sum) */
static inline bool
nfv_ip4_hdr_csum_ok(const void *ip, uint32_t ihl)
{
	return ihl == 20 ? nfv_ip4_csum_ok((const struct rte_ipv4_hdr *)ip)
			 : rte_raw_cksum(ip, ihl) == 0xffff;
}

#endif /* NFV_CSUM_H */
