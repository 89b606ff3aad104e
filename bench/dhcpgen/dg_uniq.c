/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-dhcpgen - address -> client table (duplicate address check).
 */
#include "dg_uniq.h"

#include <errno.h>
#include <stdlib.h>

static inline uint32_t
dg_uniq_hash(uint32_t a)
{
	a ^= a >> 16;
	a *= 0x7feb352dU;
	a ^= a >> 15;
	a *= 0x846ca68bU;
	a ^= a >> 16;
	return a;
}

int
dg_uniq_init(struct dg_uniq *u, uint32_t max)
{
	uint32_t size = 16;

	while (size < max * 2u && size < (1u << 31))
		size <<= 1;
	u->mask = size - 1;
	u->n = 0;
	u->addr = calloc(size, sizeof(*u->addr));
	u->owner = calloc(size, sizeof(*u->owner));
	if (u->addr == NULL || u->owner == NULL) {
		dg_uniq_free(u);
		return -ENOMEM;
	}
	return 0;
}

void
dg_uniq_free(struct dg_uniq *u)
{
	free(u->addr);
	free(u->owner);
	u->addr = NULL;
	u->owner = NULL;
	u->n = 0;
}

static uint32_t
dg_uniq_slot(const struct dg_uniq *u, uint32_t addr)
{
	uint32_t i = dg_uniq_hash(addr) & u->mask;

	while (u->addr[i] != 0 && u->addr[i] != addr)
		i = (i + 1) & u->mask;
	return i;
}

int64_t
dg_uniq_owner(const struct dg_uniq *u, uint32_t addr)
{
	uint32_t i = dg_uniq_slot(u, addr);

	return u->addr[i] == addr && addr != 0 ? (int64_t)u->owner[i] : -1;
}

int
dg_uniq_bind(struct dg_uniq *u, uint32_t addr, uint32_t c, uint32_t *other)
{
	uint32_t i;

	if (addr == 0)
		return -EINVAL;
	i = dg_uniq_slot(u, addr);
	if (u->addr[i] == addr) {
		if (u->owner[i] == c)
			return 0;
		*other = u->owner[i];
		return -EEXIST;
	}
	if (u->n + 1 > (u->mask + 1) / 2)
		return -ENOSPC;
	u->addr[i] = addr;
	u->owner[i] = c;
	u->n++;
	return 0;
}

int
dg_uniq_release(struct dg_uniq *u, uint32_t addr, uint32_t c)
{
	uint32_t i = dg_uniq_slot(u, addr), j;

	if (addr == 0 || u->addr[i] != addr || u->owner[i] != c)
		return -ENOENT;
	/* backward-shift delete: pull later members of the run into the hole */
	for (j = (i + 1) & u->mask; u->addr[j] != 0; j = (j + 1) & u->mask) {
		uint32_t home = dg_uniq_hash(u->addr[j]) & u->mask;

		/* j may move to i when its home is not in (i, j] (cyclic) */
		if (((j - home) & u->mask) >= ((j - i) & u->mask)) {
			u->addr[i] = u->addr[j];
			u->owner[i] = u->owner[j];
			i = j;
		}
	}
	u->addr[i] = 0;
	u->n--;
	return 0;
}
