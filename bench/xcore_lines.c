/* SPDX-License-Identifier: BSD-3-Clause
 * xcore-lines - what a cache line written on one CPU costs to read on
 * another: the price every frame pays over a shared-memory link (nfv-gen's
 * ring or memif wiring: the generator writes the mbuf and the frame, the
 * DUT's core reads them). docs/bench.md, "Why the ring table's cycles are
 * not the pcap benchmarks'".
 *
 *   xcore-lines [CPU_A CPU_B]      (default 0 1)
 *
 * Two measures, each the best of 5 rounds, in TSC cycles:
 *  - round trip: one line bounced A -> B -> A (the latency of one miss to
 *    the other core, twice);
 *  - scattered reads: A writes a batch of lines spread over 64 MiB (as
 *    mbufs and frames are over a pool), B reads them with software
 *    prefetch 16 lines ahead: the cost per line when misses overlap
 *    (what a burst-processing DUT pays per line it reads), and the same
 *    reads when B itself wrote the lines (the pcap benchmarks' case).
 * No DPDK: plain threads pinned with pthread_setaffinity_np.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#define XC_ROUNDS 5
#define XC_TRIPS 200000
#define XC_AREA (64u << 20)
#define XC_BATCH 8192u /* lines per batch */
#define XC_BATCHES 64
#define XC_AHEAD 16

enum xc_mode {
	XC_READ,      /* read each line, prefetched for reading */
	XC_RMW,	      /* read and write it, prefetched for reading */
	XC_RMW_PREFW, /* read and write it, prefetched for writing */
	XC_MODES
};
struct xc_main {
	int cpu_a, cpu_b;
	_Alignas(64) _Atomic uint64_t ping;
	_Alignas(64) _Atomic uint64_t pong;
	_Alignas(64) _Atomic uint64_t batch_ready; /* batch number written by A */
	_Alignas(64) _Atomic uint64_t batch_done;  /* batch number read by B */
	uint64_t read_cycles[XC_MODES];		   /* B's cycles for the batches */
	uint64_t sink;
	uint8_t *area;
	uint32_t *idx; /* XC_BATCH line indexes per batch */
};

static struct xc_main xc;

static int
xc_pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	return -pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}

static const char *const xc_mode_names[XC_MODES] = {"read", "read_write", "read_write_prefetchw"};

/* B reads (and writes) the lines of one batch, prefetching XC_AHEAD
 * ahead: cycles */
static uint64_t
xc_read_batch(const uint32_t *idx, enum xc_mode mode)
{
	uint64_t t0 = __rdtsc(), sum = 0;

	for (uint32_t i = 0; i < XC_BATCH; i++) {
		volatile uint64_t *p = (volatile uint64_t *)(xc.area + (size_t)idx[i] * 64);

		if (i + XC_AHEAD < XC_BATCH) {
			const char *a = (const char *)xc.area + (size_t)idx[i + XC_AHEAD] * 64;

			if (mode == XC_RMW_PREFW)
				__builtin_prefetch(a, 1, 3);
			else
				_mm_prefetch(a, _MM_HINT_T0);
		}
		sum += *p;
		if (mode != XC_READ)
			p[1] = sum;
	}
	xc.sink += sum;
	return __rdtsc() - t0;
}

static void
xc_write_batch(const uint32_t *idx, uint64_t v)
{
	for (uint32_t i = 0; i < XC_BATCH; i++)
		*(volatile uint64_t *)(xc.area + (size_t)idx[i] * 64) = v;
}

static void *
xc_peer(void *arg)
{
	(void)arg;
	if (xc_pin(xc.cpu_b) != 0)
		return NULL;
	for (uint64_t i = 1; i <= (uint64_t)XC_ROUNDS * XC_TRIPS; i++) {
		while (atomic_load_explicit(&xc.ping, memory_order_acquire) != i)
			_mm_pause();
		atomic_store_explicit(&xc.pong, i, memory_order_release);
	}
	for (uint64_t b = 1; b <= (uint64_t)XC_MODES * XC_ROUNDS * XC_BATCHES; b++) {
		enum xc_mode mode = (enum xc_mode)((b - 1) % XC_MODES);

		while (atomic_load_explicit(&xc.batch_ready, memory_order_acquire) != b)
			_mm_pause();
		xc.read_cycles[mode] +=
			xc_read_batch(xc.idx + ((b - 1) / XC_MODES % XC_BATCHES) * XC_BATCH, mode);
		atomic_store_explicit(&xc.batch_done, b, memory_order_release);
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	uint64_t rtt_best = UINT64_MAX, remote_best[XC_MODES], local_best[XC_MODES];
	uint32_t n_lines = XC_AREA / 64;
	pthread_t t;
	int ret;

	for (int m = 0; m < XC_MODES; m++)
		remote_best[m] = local_best[m] = UINT64_MAX;
	xc.cpu_a = argc > 2 ? atoi(argv[1]) : 0;
	xc.cpu_b = argc > 2 ? atoi(argv[2]) : 1;
	xc.area = aligned_alloc(64, XC_AREA);
	xc.idx = malloc(sizeof(*xc.idx) * XC_BATCH * XC_BATCHES);
	if (xc.area == NULL || xc.idx == NULL) {
		fprintf(stderr, "xcore-lines: out of memory\n");
		return 1;
	}
	memset(xc.area, 0, XC_AREA);
	/* distinct random lines per batch (a permutation's prefix) */
	{
		uint32_t *perm = malloc(sizeof(*perm) * n_lines), seed = 12345;

		if (perm == NULL)
			return 1;
		for (uint32_t i = 0; i < n_lines; i++)
			perm[i] = i;
		for (uint32_t i = n_lines - 1; i > 0; i--) {
			uint32_t j, tmp;

			seed = seed * 1103515245u + 12345u;
			j = (seed >> 8) % (i + 1);
			tmp = perm[i];
			perm[i] = perm[j];
			perm[j] = tmp;
		}
		memcpy(xc.idx, perm, sizeof(*xc.idx) * XC_BATCH * XC_BATCHES);
		free(perm);
	}
	ret = xc_pin(xc.cpu_a);
	if (ret != 0) {
		fprintf(stderr, "xcore-lines: cannot run on CPU %d: %s\n", xc.cpu_a,
			strerror(-ret));
		return 1;
	}
	ret = pthread_create(&t, NULL, xc_peer, NULL);
	if (ret != 0) {
		fprintf(stderr, "xcore-lines: pthread_create: %s\n", strerror(ret));
		return 1;
	}
	for (int r = 0; r < XC_ROUNDS; r++) {
		uint64_t t0 = __rdtsc(), d;

		for (uint64_t i = (uint64_t)r * XC_TRIPS + 1; i <= (uint64_t)(r + 1) * XC_TRIPS;
		     i++) {
			atomic_store_explicit(&xc.ping, i, memory_order_release);
			while (atomic_load_explicit(&xc.pong, memory_order_acquire) != i)
				_mm_pause();
		}
		d = (__rdtsc() - t0) / XC_TRIPS;
		rtt_best = d < rtt_best ? d : rtt_best;
	}
	for (int r = 0; r < XC_ROUNDS; r++) {
		uint64_t before[XC_MODES], local[XC_MODES] = {0};

		memcpy(before, xc.read_cycles, sizeof(before));
		for (uint64_t k = 0; k < XC_BATCHES; k++) {
			for (int m = 0; m < XC_MODES; m++) {
				uint64_t b =
					((uint64_t)r * XC_BATCHES + k) * XC_MODES + (uint64_t)m + 1;
				const uint32_t *idx = xc.idx + k * XC_BATCH;

				xc_write_batch(idx, b);
				atomic_store_explicit(&xc.batch_ready, b, memory_order_release);
				while (atomic_load_explicit(&xc.batch_done, memory_order_acquire) !=
				       b)
					_mm_pause();
				/* the same lines written and read here: all local */
				xc_write_batch(idx, b);
				local[m] += xc_read_batch(idx, (enum xc_mode)m);
			}
		}
		for (int m = 0; m < XC_MODES; m++) {
			uint64_t rem =
				(xc.read_cycles[m] - before[m]) / ((uint64_t)XC_BATCHES * XC_BATCH);
			uint64_t loc = local[m] / ((uint64_t)XC_BATCHES * XC_BATCH);

			remote_best[m] = rem < remote_best[m] ? rem : remote_best[m];
			local_best[m] = loc < local_best[m] ? loc : local_best[m];
		}
	}
	pthread_join(t, NULL);
	printf("{\"cpus\":[%d,%d],\"round_trip_cycles\":%lu", xc.cpu_a, xc.cpu_b,
	       (unsigned long)rtt_best);
	fprintf(stderr, "CPU %d <-> %d: a line's round trip %lu TSC cycles\n", xc.cpu_a, xc.cpu_b,
		(unsigned long)rtt_best);
	for (int m = 0; m < XC_MODES; m++) {
		printf(",\"%s\":{\"other_cpu_wrote\":%lu,\"this_cpu_wrote\":%lu}", xc_mode_names[m],
		       (unsigned long)remote_best[m], (unsigned long)local_best[m]);
		fprintf(stderr,
			"  %-21s cycles per line (prefetch %d ahead): the other CPU wrote it %lu, "
			"this CPU %lu\n",
			xc_mode_names[m], XC_AHEAD, (unsigned long)remote_best[m],
			(unsigned long)local_best[m]);
	}
	printf("}\n");
	free(xc.idx);
	free(xc.area);
	return xc.sink == 42 ? 2 : 0;
}
