/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target: the DHCP message / option parser (overload, RFC 3396
 * concatenation, every length check), the IPv4/UDP frame check (lengths,
 * checksums) and the client-id key must never read out of bounds or
 * crash. Build: see vnfs/dhcp/meson.build.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dhcp_msg m;
	uint16_t why = 0, n;
	/* an exact-size copy so ASan sees any overread */
	uint8_t *p = malloc(size ? size : 1);

	if (p == NULL)
		return 0;
	memcpy(p, data, size);
	if (dhcp_msg_parse(p, size, &m, &why) == 0) {
		/* every option value handed out lies inside m.buf */
		for (unsigned int c = 0; c < 256; c++)
			if (dhcp_msg_opt(&m, (uint8_t)c, &n) != NULL && m.off[c] + n > sizeof(m.buf))
				abort();
		(void)dhcp_msg_u32(&m, DHCP_OPT_SERVER_ID);
	} else if (why >= DHCP_D_MAX) {
		abort();
	}
	/* the same bytes as an IPv4 packet: the payload handed out lies in it */
	{
		const uint8_t *pl;
		size_t pl_len;
		uint8_t key[DHCP_KEY_MAX];

		if (dhcp_ip_udp_check(p, size, size & 1, size & 2, &pl, &pl_len, &why) == 0) {
			if (pl < p + 28 || pl + pl_len > p + size)
				abort();
		} else if (why >= DHCP_D_MAX) {
			abort();
		}
		if (size >= 2 && size <= DHCP_CID_MAX && dhcp_cid_key(p, (uint16_t)size, key) == 0)
			abort();
	}
	free(p);
	return 0;
}
