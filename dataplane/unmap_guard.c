/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * unmap_guard: a PMD that unmaps a port's shared memory on its interrupt
 * thread waits for the workers first.
 *
 * DPDK 22.11's memif PMD tears a connection down on the EAL interrupt
 * thread when the peer goes away (memif_disconnect): it clears the
 * "connected" flag and unmaps the shared rings and buffers at once, while
 * a worker may be inside rte_eth_rx_burst/tx_burst on that port, past the
 * flag check, reading the rings it is unmapping: the worker takes a
 * SIGSEGV and nfvd dies (seen here once in ~8 runs of a memif client that
 * exits while nfvd answers it; upstream has no fix as of 25.x). The PMD
 * gives the application no event before the unmap, so nfvd takes the one
 * hook there is: munmap itself. Called from the interrupt thread while
 * the engine runs, it first waits for an RCU grace period of the workers
 * (each reports a quiescent state between bursts, so the wait is one
 * burst, or one idle nap): by then every worker has left the port's rx/tx
 * and its next call sees the flag cleared before the unmap began. Every
 * other munmap (other threads, or before the engine starts) goes straight
 * to the kernel.
 *
 * Linked into the nfvd executable only (an executable's definition takes
 * precedence over libc's for the shared libraries it loads); the unit
 * tests and benchmarks keep libc's.
 */
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_interrupts.h>
#include <rte_rcu_qsbr.h>

#include "nfv.h"

int
munmap(void *addr, size_t len)
{
	if (rte_thread_is_intr()) {
		struct rte_rcu_qsbr *qsv = nfv_rcu();

		if (qsv != NULL)
			rte_rcu_qsbr_synchronize(qsv, RTE_QSBR_THRID_INVALID);
	}
	return (int)syscall(SYS_munmap, addr, len);
}
