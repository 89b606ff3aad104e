/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-gen - shared-ring links between processes (see gen_link.h).
 */
#include "gen_link.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_ring.h>

static struct rte_ring *
gen_link_ring(const char *name, const char *dir, bool create, unsigned int size, uint64_t deadline)
{
	char rn[RTE_RING_NAMESIZE];
	struct rte_ring *r;

	snprintf(rn, sizeof(rn), "%s_%s", name, dir);
	if (create) {
		/* one producer, one consumer: nfv-gen's one lcore on its side,
		 * the reflector's on the other */
		r = rte_ring_create(rn, size, (int)rte_socket_id(),
				    RING_F_EXACT_SZ | RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!r && rte_errno == EEXIST)
			r = rte_ring_lookup(rn);
		return r;
	}
	/* the DUT creates its rings when it starts its ports */
	while (!(r = rte_ring_lookup(rn)) && rte_get_timer_cycles() < deadline)
		rte_delay_us_sleep(10000);
	return r;
}

int
gen_link_ring_open(const char *name, bool dut_side, unsigned int size, unsigned int wait_ms,
		   struct rte_ring **rx, struct rte_ring **tx)
{
	uint64_t deadline = rte_get_timer_cycles() + (uint64_t)wait_ms * rte_get_timer_hz() / 1000;
	struct rte_ring *to_dut, *from_dut = NULL;

	if (!name[0] || strlen(name) > GEN_LINK_NAME_MAX)
		return -ENAMETOOLONG;
	to_dut = gen_link_ring(name, "rx", dut_side, size, deadline);
	if (to_dut)
		from_dut = gen_link_ring(name, "tx", dut_side, size, deadline);
	if (!to_dut || !from_dut) {
		fprintf(stderr, "nfv-gen: link %s: ring %s_%s: %s\n", name, name,
			to_dut ? "tx" : "rx",
			dut_side ? rte_strerror(rte_errno)
				 : "not found (is the DUT up, with the same --file-prefix?)");
		return -ENOENT;
	}
	*rx = dut_side ? to_dut : from_dut;
	*tx = dut_side ? from_dut : to_dut;
	return 0;
}
