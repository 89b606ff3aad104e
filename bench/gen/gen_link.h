/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-gen - shared-ring links between processes (wiring `ring`).
 *
 * A link NAME is two rte_rings in the DPDK shared memory of the DUT's
 * process (the primary): NAME_rx carries frames to the DUT (the DUT
 * receives from it), NAME_tx carries the DUT's frames back. nfv-gen runs as
 * a DPDK secondary process of the DUT (--proc-type=secondary and the DUT's
 * --file-prefix) and enqueues and dequeues mbuf pointers on them: no copy
 * on either side (an mbuf goes back to the pool of whoever allocated it).
 * The DUT side creates the rings: nfvd's `ring` ports with `shared: NAME`,
 * or nfv-gen's reflector (--loop --ring-link NAME, also without ethdev).
 */
#ifndef GEN_LINK_H
#define GEN_LINK_H

#include <stdbool.h>
#include <stdint.h>

struct rte_ring;

#define GEN_LINK_NAME_MAX 24 /* NAME_rx, NAME_tx fit RTE_RING_NAMESIZE */

/* The rings of link name as seen from one side: *rx is what that side
 * receives from, *tx what it sends to. dut_side true creates them (size
 * slots); false looks them up, waiting up to wait_ms for the DUT to create
 * them. Returns 0 or -errno (with a message on stderr). */
int gen_link_ring_open(const char *name, bool dut_side, unsigned int size, unsigned int wait_ms,
		       struct rte_ring **rx, struct rte_ring **tx);

#endif
