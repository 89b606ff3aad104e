/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd DHCP server - ACKs held for their journal commit: a FIFO of entries
 * and a byte arena used as a ring of contiguous pieces (a reply that does
 * not fit before the arena's end starts again at 0). See dhcp_hold.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp_hold.h"

int
dhcp_hold_init(struct dhcp_hold *h)
{
	memset(h, 0, sizeof(*h));
	h->ent = malloc(DHCP_HOLD_MAX * sizeof(h->ent[0]));
	h->bytes = malloc(DHCP_HOLD_BYTES);
	if (h->ent == NULL || h->bytes == NULL) {
		dhcp_hold_fini(h);
		return -ENOMEM;
	}
	return 0;
}

void
dhcp_hold_fini(struct dhcp_hold *h)
{
	free(h->ent);
	free(h->bytes);
	memset(h, 0, sizeof(*h));
}

/* Arena offset for len bytes, or -1 when they do not fit. */
static int64_t
dhcp_hold_alloc(struct dhcp_hold *h, uint32_t len)
{
	uint32_t off;

	if (h->bwrap != 0) { /* wrapped: free space is [btail, bhead) */
		if (len > h->bhead - h->btail)
			return -1;
		off = h->btail;
	} else if (len <= DHCP_HOLD_BYTES - h->btail) {
		off = h->btail;
	} else { /* start again at 0, below the oldest reply */
		if (len > h->bhead)
			return -1;
		h->bwrap = h->btail;
		off = 0;
	}
	h->btail = off + len;
	return off;
}

void
dhcp_held_of(const struct dhcp_reply *r, uint16_t iface, struct dhcp_held *d)
{
	memset(d, 0, sizeof(*d));
	d->dst_ip = r->dst_ip;
	d->dst_port = r->dst_port;
	d->len = (uint16_t)r->len;
	d->iface = iface;
	d->bcast_mac = r->bcast_mac;
	memcpy(d->mac, r->mac, sizeof(d->mac));
}

int
dhcp_hold_push(struct dhcp_hold *h, uint64_t seq, uint16_t iface, const struct dhcp_reply *r)
{
	/* whole 8-byte pieces, never empty: every entry moves btail */
	uint32_t len = (uint32_t)((r->len + 8) & ~(size_t)7);
	struct dhcp_held *e;
	int64_t off;

	if (h->ent == NULL || dhcp_hold_count(h) == DHCP_HOLD_MAX || r->len > UINT16_MAX)
		return -ENOSPC;
	if (h->head == h->tail) /* empty: the arena starts afresh */
		h->bhead = h->btail = h->bwrap = 0;
	off = dhcp_hold_alloc(h, len);
	if (off < 0)
		return -ENOSPC;
	e = &h->ent[h->tail & (DHCP_HOLD_MAX - 1)];
	dhcp_held_of(r, iface, e);
	e->seq = seq;
	e->off = (uint32_t)off;
	memcpy(h->bytes + off, r->buf, r->len);
	h->tail++;
	return 0;
}

const struct dhcp_held *
dhcp_hold_oldest(const struct dhcp_hold *h, const uint8_t **bytes)
{
	const struct dhcp_held *e;

	if (h->head == h->tail)
		return NULL;
	e = &h->ent[h->head & (DHCP_HOLD_MAX - 1)];
	*bytes = h->bytes + e->off;
	return e;
}

void
dhcp_hold_pop(struct dhcp_hold *h)
{
	const struct dhcp_held *next;

	h->head++;
	if (h->head == h->tail) {
		h->bhead = h->btail = h->bwrap = 0;
		return;
	}
	next = &h->ent[h->head & (DHCP_HOLD_MAX - 1)];
	if (h->bwrap != 0 && next->off < h->bhead)
		h->bwrap = 0; /* the oldest is in the part that wrapped */
	h->bhead = next->off;
}
