/* SPDX-License-Identifier: BSD-3-Clause
 * The set-up of the micro benchmarks (bench/fw_micro.c, bench/rtr_micro.c)
 * that run one stage with no ports and no engine: EAL, the mbuf pool, the
 * frames. The engine services the stage calls are nfv_fake's
 * (dataplane/tests/nfv_fake.h), recycling: nothing is sent, nothing waits,
 * the benchmark sends the same mbufs again.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_mbuf_dyn.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "micro_engine.h"
#include "test_eal.h"

/* Free 2 MiB hugepages (0 when none): the benchmarks use them when there
 * are enough, as nfvd does, since on 4 KiB pages every mbuf costs a TLB
 * walk that the real data path does not pay. */
static unsigned int
micro_free_hugepages(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned int n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "HugePages_Free: %u", &n) == 1)
			break;
	fclose(f);
	return n;
}

int
micro_engine_init(const char *prog, unsigned int memory_mb, unsigned int mbufs)
{
	char mem[16], name[64];
	char *eal[] = {name,
		       "--no-huge",
		       "-m",
		       mem,
		       "--no-pci",
		       "--no-shconf",
		       "--log-level=lib.eal:error",
		       "-l",
		       "0"};

	snprintf(name, sizeof(name), "%s", prog);
	if (micro_free_hugepages() * 2 >= memory_mb + 64)
		eal[1] = "--in-memory";
	snprintf(mem, sizeof(mem), "%u", memory_mb);
	/* a file prefix of its own, no runtime folder left (test_eal.h) */
	if (test_eal_init((int)RTE_DIM(eal), eal) < 0) {
		fprintf(stderr, "%s: EAL initialisation failed\n", prog);
		return -1;
	}
	nfv_fake.recycle = true;
	nfv_fake.pool = rte_pktmbuf_pool_create("micro", mbufs, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
						SOCKET_ID_ANY);
	if (nfv_meta_register() < 0 || nfv_fake.pool == NULL) {
		fprintf(stderr, "%s: no metadata field or mbuf pool\n", prog);
		return -1;
	}
	return 0;
}

struct rte_mbuf *
micro_frame_alloc(uint16_t len, const struct rte_ether_addr *dst, uint16_t ethertype,
		  uint8_t **data)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(nfv_fake.pool);
	uint8_t *d = m != NULL ? (uint8_t *)rte_pktmbuf_append(m, len) : NULL;

	if (d == NULL) {
		fprintf(stderr, "micro: no mbuf\n");
		exit(1);
	}
	memset(d, 0, len);
	if (dst != NULL) {
		memcpy(d, dst, 6);
		d[6] = 0x02;
		d[11] = 0x01;
	}
	*(uint16_t *)(d + 12) = rte_cpu_to_be_16(ethertype);
	m->port = 0;
	*data = d;
	return m;
}
