/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-dhcpgen - which client holds which address: an open-addressing table
 * (linear probing, backward-shift delete) of address -> client index, so
 * that an ACK giving a client an address another client still holds is
 * caught (a duplicate address, the one thing a DHCP server must never do).
 */
#ifndef DG_UNIQ_H
#define DG_UNIQ_H

#include <stdint.h>

struct dg_uniq {
	uint32_t mask;
	uint32_t n;
	uint32_t *addr;	 /* 0 = empty slot (0.0.0.0 is never leased) */
	uint32_t *owner; /* client index */
};

/* Room for at least max addresses bound at once. 0 or -ENOMEM. */
int dg_uniq_init(struct dg_uniq *u, uint32_t max);
void dg_uniq_free(struct dg_uniq *u);
/* Client c is given addr (non-zero). Returns 0 when addr was free or
 * already c's; -EEXIST (the table unchanged) with *other set when another
 * client holds it; -ENOSPC when the table is full. */
int dg_uniq_bind(struct dg_uniq *u, uint32_t addr, uint32_t c, uint32_t *other);
/* Client c gives addr up. Returns 0, or -ENOENT when c does not hold it. */
int dg_uniq_release(struct dg_uniq *u, uint32_t addr, uint32_t c);
/* Holder of addr, or -1. */
int64_t dg_uniq_owner(const struct dg_uniq *u, uint32_t addr);

#endif
