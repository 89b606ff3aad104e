/* SPDX-License-Identifier: BSD-3-Clause
 * fw_micro - cycles per packet of the firewall stage alone, on crafted
 * 64-byte UDP frames (no ports, no engine: its services are stubbed here).
 * The side-by-side figures of bench/fw_vs_ovs.sh include the pcap source,
 * the engine and the machine's load; this one isolates the VNF:
 *
 *   BUILD/vnfs/firewall/fw_micro [FLOWS] [RULES]
 *
 * For stateless and stateful rule sets (RULES-1 non-matching rules, then
 * the allow rule), runs bursts of 32 over FLOWS distinct flows and prints
 * the best repetition of a 2-s window (the least disturbed by other load).
 */
#include <inttypes.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "fw_rt.h"
#include "micro_engine.h"

static struct {
	struct rte_ring *punt;
} B;

static struct rte_mbuf *
frame(uint32_t i)
{
	uint8_t *d;
	struct rte_mbuf *m = micro_frame_alloc(60, NULL, RTE_ETHER_TYPE_IPV4, &d);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + 14);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);

	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(46);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(0x0a000000 | (i & 0xffffff));
	ip->dst_addr = rte_cpu_to_be_32(0xc0a80001);
	u->src_port = rte_cpu_to_be_16(1024 + i % 50000);
	u->dst_port = rte_cpu_to_be_16(5001);
	u->dgram_len = rte_cpu_to_be_16(26);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	nfv_meta(m)->in_port = 0;
	nfv_meta(m)->out_port = 1;
	return m;
}

static void
run(struct nfv_config *cfg, const char *mode, uint32_t flows, uint32_t rules)
{
	const struct vnf_class *cls = vnf_class_find("firewall");
	size_t sz = 256 + rules * 96;
	char *yaml = malloc(sz), err[256];
	struct cfg_errors cerr = {.file = "micro"};
	struct cfg_node *root = NULL;
	struct nfv_vnf vnf = {.cls = cls};
	struct nfv_worker *w = rte_zmalloc(NULL, sizeof(*w), 64);
	uint64_t chain[3], eng[NFV_DROP_ENGINE_MAX], kept = 0, sent = 0;
	struct rte_mbuf **m = malloc(flows * sizeof(*m)), *b[32];
	void *conf = NULL;
	double best = 1e18;
	int off;

	off = snprintf(yaml, sz, "conntrack: {max: %u}\nrules:\n", flows * 2 + 64);
	for (uint32_t i = 0; i + 1 < rules; i++)
		off += snprintf(yaml + off, sz - off,
				"  - {action: drop, proto: udp, src: 172.16.%u.%u/32, dport: %u}\n",
				(i >> 8) & 255, i & 255, 1000 + i);
	snprintf(yaml + off, sz - off,
		 "  - {action: allow, proto: udp, dst: 192.168.0.0/16, stateful: %s}\n",
		 strcmp(mode, "stateful") == 0 ? "true" : "false");
	if (cfg_load_string("micro", yaml, strlen(yaml), &root, &cerr) < 0 ||
	    cls->schema->config_parse(cfg, root, &conf, &cerr) < 0) {
		cfg_errors_print(&cerr, stderr);
		exit(1);
	}
	snprintf(vnf.name, sizeof(vnf.name), "fw");
	vnf.ctr_stride = RTE_ALIGN_CEIL(cls->n_counters + cls->n_drops, 8u);
	vnf.ctr = rte_zmalloc(NULL, (size_t)RTE_MAX_LCORE * vnf.ctr_stride * 8, 64);
	w->lcore = rte_lcore_id();
	w->punt = B.punt;
	w->chain_ctr = chain;
	w->eng_ctr = eng;
	if (cls->create(&vnf, cfg, conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "create: %s\n", err);
		exit(1);
	}
	for (uint32_t i = 0; i < flows; i++)
		m[i] = frame(i);
	uint64_t until = rte_rdtsc() + 2 * rte_get_tsc_hz();

	/* repetitions for 2 s, the best kept: on a VM whose neighbours take the
	 * core for seconds at a time, only a long window finds quiet moments */
	for (int rep = 0; rep < 16 || rte_rdtsc() < until; rep++) {
		uint32_t iters = (flows + 31) / 32 * 4;
		uint64_t t0 = rte_rdtsc();

		for (uint32_t it = 0; it < iters; it++) {
			uint32_t base = (it * 32) % (flows >= 32 ? flows - 31 : 1);

			memcpy(b, &m[base], sizeof(b));
			w->now_tsc = rte_rdtsc();
			kept += cls->process(&vnf, w, b, flows >= 32 ? 32 : flows);
			sent += flows >= 32 ? 32 : flows;
			nfv_drop_flush(w);
		}
		if (rep > 0) /* the first pass creates the conntrack entries */
			best = RTE_MIN(best, (double)(rte_rdtsc() - t0) / (iters * 32.0));
	}
	/* every frame must pass: a run that drops them measures the drop */
	if (kept != sent) {
		fprintf(stderr, "%s: %" PRIu64 " of %" PRIu64 " frames passed: a broken run\n", mode,
			kept, sent);
		exit(1);
	}
	printf("%-10s %7u flows %5u rules %8.1f cycles/packet\n", mode, flows, rules, best);
	cls->destroy(&vnf);
	for (uint32_t i = 0; i < flows; i++)
		rte_pktmbuf_free(m[i]);
	cls->schema->config_free(conf);
	cfg_free(root);
	rte_free(vnf.ctr);
	rte_free(w);
	free(m);
	free(yaml);
}

int
main(int argc, char **argv)
{
	static struct nfv_config cfg = {.n_ports = 2};
	uint32_t flows = argc > 1 ? atoi(argv[1]) : 1024, rules = argc > 2 ? atoi(argv[2]) : 100;

	if (micro_engine_init("fw_micro", 1024, flows + 4096) < 0)
		return 1;
	B.punt = rte_ring_create("micro", 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	nfv_fake.rcu = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), 64);
	if (!B.punt || !nfv_fake.rcu || rte_rcu_qsbr_init(nfv_fake.rcu, 1))
		return 1;
	snprintf(cfg.ports[0].name, NFV_NAME_MAX, "in");
	snprintf(cfg.ports[1].name, NFV_NAME_MAX, "out");
	snprintf(cfg.dir, sizeof(cfg.dir), ".");
	run(&cfg, "stateless", flows, rules);
	run(&cfg, "stateful", flows, rules);
	return 0;
}
