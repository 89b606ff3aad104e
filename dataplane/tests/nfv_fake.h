/* SPDX-License-Identifier: BSD-3-Clause
 * The engine services of dataplane/nfv.h stood in for the unit tests and
 * micro benchmarks that run VNF code without the engine (nfv_fake.c, the
 * nfv_fake library): one set for all of them, set up through nfv_fake.
 *
 *   nfv_meta_register   registers the metadata dynfield (after rte_eal_init)
 *   nfv_pktmbuf_pool    nfv_fake.pool
 *   nfv_rcu             nfv_fake.rcu (NULL, or one with no thread registered:
 *                       a grace period ends at once)
 *   nfv_port_id         chain-file port index + nfv_fake.port_base, -ENOENT
 *                       past the file's ports; nfv_port_by_name: -ENOENT
 *   nfv_port_link       1 (up), 0 with nfv_fake.link_down
 *   nfv_n_workers       1
 *   nfv_now_ms          nfv_fake.now_ms when not 0 (a test moves the clock),
 *                       else milliseconds of the TSC
 *   nfv_ctl_tx          kept in nfv_fake.sent[] / sent_port[] (the first
 *                       NFV_FAKE_SENT_MAX, the rest freed) for the test to read
 *   nfv_txq_flush,      free what was queued, or with nfv_fake.recycle only
 *   nfv_drop_flush      forget it (a benchmark that sends its mbufs again)
 *
 * A DPDK call a test must fake is wrapped with the linker, as grout does:
 * link with -Wl,--wrap=rte_foo and define __wrap_rte_foo in the test
 * (cmocka's mock() gives it the values the test queued with will_return()).
 */
#ifndef NFV_FAKE_H
#define NFV_FAKE_H

#include <stdbool.h>
#include <stdint.h>

#include "nfv.h"

#define NFV_FAKE_SENT_MAX 256

struct nfv_fake {
	struct rte_mempool *pool;
	struct rte_rcu_qsbr *rcu;
	uint16_t port_base;
	uint64_t now_ms;
	bool recycle;
	bool link_down;
	unsigned int n_sent;
	struct rte_mbuf *sent[NFV_FAKE_SENT_MAX];
	uint16_t sent_port[NFV_FAKE_SENT_MAX];
};

extern struct nfv_fake nfv_fake;

/* Free what nfv_ctl_tx kept and forget it. */
void nfv_fake_sent_free(void);

#endif /* NFV_FAKE_H */
