/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd DHCP server - ACKs held for their journal commit (group commit).
 *
 * An ACK leaves only once the batch holding its lease record is on disk.
 * While a batch is in flight the ACKs of the next ones wait here as the
 * reply's bytes and where it goes, not as mbufs: a disk that stalls for
 * tens of milliseconds at tens of thousands of ACKs a second must not pin
 * the packet pool. The frame is built when its batch is committed.
 *
 * FIFO, batch numbers ascending; bounded by entries (DHCP_HOLD_MAX) and by
 * reply bytes (DHCP_HOLD_BYTES): past either, dhcp_hold_push() refuses and
 * the caller drops the ACK (the lease is journaled all the same and the
 * client's retransmitted REQUEST is ACKed after the next commit).
 * Life cycle: dhcp_hold_init() (may fail: -ENOMEM), push/oldest/pop,
 * dhcp_hold_fini() (never fails; also on a zeroed, never initialised one).
 * Control thread only.
 */
#ifndef NFV_DHCP_HOLD_H
#define NFV_DHCP_HOLD_H

#include <stdbool.h>
#include <stdint.h>

#include "dhcp.h"

#define DHCP_HOLD_MAX 32768u	   /* entries, a power of two */
#define DHCP_HOLD_BYTES (8u << 20) /* reply bytes (~330 a typical ACK) */

/* Where a reply goes and its length (the frame is built from this and the
 * BOOTP bytes). */
struct dhcp_held {
	uint64_t seq;	 /* journal batch it waits for */
	uint32_t off;	 /* its bytes in the arena */
	uint32_t dst_ip; /* host order */
	uint16_t dst_port;
	uint16_t len;
	uint16_t iface;
	bool bcast_mac;
	uint8_t mac[6];
};

struct dhcp_hold {
	struct dhcp_held *ent; /* DHCP_HOLD_MAX */
	uint8_t *bytes;	       /* DHCP_HOLD_BYTES */
	uint32_t head, tail;   /* entries [head, tail), free-running */
	uint32_t bhead, btail; /* arena bytes in use: [bhead, btail), or
				* [bhead, bwrap) and [0, btail) once wrapped */
	uint32_t bwrap;	       /* end of the wrapped part (0: not wrapped) */
};

/* Where reply r (sent on interface iface) goes, seq and off left 0. */
void dhcp_held_of(const struct dhcp_reply *r, uint16_t iface, struct dhcp_held *d);

int dhcp_hold_init(struct dhcp_hold *h);
void dhcp_hold_fini(struct dhcp_hold *h);

static inline uint32_t
dhcp_hold_count(const struct dhcp_hold *h)
{
	return h->tail - h->head;
}

/* Hold reply r (sent on interface iface) until batch seq is committed.
 * 0, or -ENOSPC when the hold is full (entries or bytes). */
int dhcp_hold_push(struct dhcp_hold *h, uint64_t seq, uint16_t iface, const struct dhcp_reply *r);

/* The oldest held reply and its bytes, NULL when none. */
const struct dhcp_held *dhcp_hold_oldest(const struct dhcp_hold *h, const uint8_t **bytes);

/* Forget the oldest held reply (there is one). */
void dhcp_hold_pop(struct dhcp_hold *h);

#endif /* NFV_DHCP_HOLD_H */
