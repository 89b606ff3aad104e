/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd DHCP server - private to the lease table (dhcp_lease.c) and its
 * on-disk journal (dhcp_journal.c). The table calls down into the journal;
 * the journal only uses the table's public calls (dhcp.h) and dhcp_lease_at.
 */
#ifndef NFV_DHCP_JOURNAL_H
#define NFV_DHCP_JOURNAL_H

#include "dhcp.h"

#define DHCP_CHUNK_SHIFT 12
#define DHCP_CHUNK (1u << DHCP_CHUNK_SHIFT)

static inline struct dhcp_lease *
dhcp_lease_at(const struct dhcp_db *db, uint32_t i)
{
	struct dhcp_lease **chunks = db->chunks;

	return &chunks[i >> DHCP_CHUNK_SHIFT][i & (DHCP_CHUNK - 1)];
}

/* Append l's record to the pending batch (no-op without a file). */
void dhcp_journal(struct dhcp_db *db, const struct dhcp_lease *l);
/* Open (or create) the journal at path, replay it into db, start the
 * writer thread. 0 or -errno with err filled. */
int dhcp_jnl_open(struct dhcp_db *db, const char *path, uint64_t now, char *err, size_t errlen);
/* Stop compaction and writer (committing what is pending), close the file,
 * free the record buffers. */
void dhcp_jnl_close(struct dhcp_db *db);

#endif
