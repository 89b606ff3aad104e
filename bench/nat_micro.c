/* SPDX-License-Identifier: BSD-3-Clause
 * nat_micro - cycles per NEW NAT44 session of the firewall stage alone
 * (issue 14: new-session rate per core), no ports, no engine (its services
 * are nfv_fake's), on crafted 64-byte UDP frames in which every packet is a
 * new inside endpoint, as in bench/nat_vs_ovs.sh's session-setup pass:
 * packet i comes from 10.(i>>16).(i>>8).i, port 1024 + (i*7) % 60000, to
 * 198.18.0.1:5001, and is source-translated to a pool of 8 addresses.
 *
 *   BUILD/bench/nat_micro [SESSIONS] [CT_MAX] [ROUNDS]
 *
 * Modes, each on a fresh firewall instance (conntrack max CT_MAX, default
 * 2 * SESSIONS as nat_vs_ovs.sh sizes it) fed SESSIONS new flows in bursts
 * of 32; only the stage's process() is timed (the headers are written
 * before each burst, outside the clock):
 *   stateless  allow-all rule, no state: parse + ACL (the baseline)
 *   stateful   stateful allow, no NAT: one conntrack entry per flow
 *   nat        stateful allow + snat pool: mapping + two-key session
 * The modes alternate within each of ROUNDS rounds (default 5; the host
 * drifts); per mode the median and the best round are printed, then the
 * cost of a new NAT session (nat - stateless, medians) and TSC Hz / that.
 * Each run is also printed as a line of JSON as it ends.
 */
#include <errno.h>
#include <inttypes.h>
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

#define NM_BURST 32
#define NM_MODES 3

static const char *const nm_modes[NM_MODES] = {"stateless", "stateful", "nat"};

static struct {
	struct rte_ring *punt;
	struct nfv_config cfg;
	struct rte_mbuf *m[NM_BURST];
} B;

/* write flow i's headers into m (a NAT'ed packet was rewritten) */
static inline void
nm_frame(struct rte_mbuf *m, uint32_t i)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + 14);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);

	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(46);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->hdr_checksum = 0;
	ip->src_addr = rte_cpu_to_be_32(0x0a000000 | (i & 0xffffff));
	ip->dst_addr = rte_cpu_to_be_32(0xc6120001); /* 198.18.0.1 */
	u->src_port = rte_cpu_to_be_16(1024 + (i * 7) % 60000);
	u->dst_port = rte_cpu_to_be_16(5001);
	u->dgram_len = rte_cpu_to_be_16(26);
	u->dgram_cksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	nfv_meta(m)->in_port = 0;
	nfv_meta(m)->out_port = 1;
}

/* one fresh instance fed `sessions` new flows; cycles per packet of
 * process(), or -1 when a packet was dropped (a broken run) */
static double
nm_run(int mode, uint32_t sessions, uint32_t ct_max, uint64_t *drops_out)
{
	const struct vnf_class *cls = vnf_class_find("firewall");
	char yaml[1024], err[256];
	struct cfg_errors cerr = {.file = "nat_micro"};
	struct cfg_node *root = NULL;
	struct nfv_vnf vnf = {.cls = cls};
	struct nfv_worker *w = rte_zmalloc(NULL, sizeof(*w), 64);
	uint64_t chain[3], eng[NFV_DROP_ENGINE_MAX], cyc = 0, kept = 0, drops = 0;
	void *conf = NULL;

	if (mode == 0)
		snprintf(yaml, sizeof(yaml), "rules:\n  - {action: allow}\n");
	else if (mode == 1)
		snprintf(yaml, sizeof(yaml),
			 "conntrack: {max: %u}\nrules:\n"
			 "  - {action: allow, in-port: in, stateful: true}\n",
			 ct_max);
	else
		snprintf(yaml, sizeof(yaml),
			 "conntrack: {max: %u}\n"
			 "nat:\n  snat:\n"
			 "    - {name: out, in-port: in, from: [10.0.0.0/8], outside-port: out,\n"
			 "       pool: [198.51.100.1-198.51.100.8]}\n"
			 "rules:\n  - {action: allow, in-port: in, stateful: true}\n",
			 ct_max);
	if (cfg_load_string("nat_micro", yaml, strlen(yaml), &root, &cerr) < 0 ||
	    cls->schema->config_parse(&B.cfg, root, &conf, &cerr) < 0) {
		cfg_errors_print(&cerr, stderr);
		exit(1);
	}
	snprintf(vnf.name, sizeof(vnf.name), "fw");
	vnf.ctr_stride = RTE_ALIGN_CEIL(cls->n_counters + cls->n_drops, 8u);
	vnf.ctr = rte_zmalloc(NULL, (size_t)RTE_MAX_LCORE * vnf.ctr_stride * 8, 64);
	if (w == NULL || vnf.ctr == NULL) {
		fprintf(stderr, "nat_micro: out of memory\n");
		exit(1);
	}
	w->lcore = rte_lcore_id();
	w->punt = B.punt;
	w->chain_ctr = chain;
	w->eng_ctr = eng;
	if (cls->create(&vnf, &B.cfg, conf, err, sizeof(err)) < 0) {
		fprintf(stderr, "create: %s\n", err);
		exit(1);
	}
	for (uint32_t base = 0; base < sessions; base += NM_BURST) {
		uint16_t n = (uint16_t)RTE_MIN((uint32_t)NM_BURST, sessions - base);
		struct rte_mbuf *b[NM_BURST];
		uint64_t t0;

		for (uint16_t k = 0; k < n; k++)
			nm_frame(B.m[k], base + k + 1);
		memcpy(b, B.m, sizeof(b));
		w->now_tsc = t0 = rte_rdtsc();
		kept += cls->process(&vnf, w, b, n);
		cyc += rte_rdtsc() - t0;
		nfv_drop_flush(w);
	}
	drops = sessions - kept;
	*drops_out = drops;
	cls->destroy(&vnf);
	cls->schema->config_free(conf);
	cfg_free(root);
	rte_free(vnf.ctr);
	rte_free(w);
	return (double)cyc / sessions;
}

static int
nm_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	uint32_t sessions = argc > 1 ? (uint32_t)atoi(argv[1]) : 200000;
	uint32_t ct_max = argc > 2 && atoi(argv[2]) > 0 ? (uint32_t)atoi(argv[2]) : 2 * sessions;
	int rounds = argc > 3 ? atoi(argv[3]) : 5;
	double *cpp[NM_MODES], med[NM_MODES];
	uint64_t hz;

	if (sessions == 0 || sessions > 0xffffff || rounds < 1 || ct_max < sessions) {
		fprintf(stderr, "usage: nat_micro [SESSIONS (1..16777215)] [CT_MAX >= SESSIONS] "
				"[ROUNDS]\n");
		return 2;
	}
	/* two NAT tables of ~2.25 * CT_MAX slots each, plus the conntrack's */
	if (micro_engine_init("nat_micro", 512 + (unsigned int)(ct_max / 1024), 1024) < 0)
		return 1;
	B.punt = rte_ring_create("micro", 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	nfv_fake.rcu = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), 64);
	if (!B.punt || !nfv_fake.rcu || rte_rcu_qsbr_init(nfv_fake.rcu, 1))
		return 1;
	B.cfg.n_ports = 2;
	snprintf(B.cfg.ports[0].name, NFV_NAME_MAX, "in");
	snprintf(B.cfg.ports[1].name, NFV_NAME_MAX, "out");
	snprintf(B.cfg.dir, sizeof(B.cfg.dir), ".");
	for (int k = 0; k < NM_BURST; k++) {
		uint8_t *d;

		B.m[k] = micro_frame_alloc(60, NULL, RTE_ETHER_TYPE_IPV4, &d);
	}
	hz = rte_get_tsc_hz();
	for (int mo = 0; mo < NM_MODES; mo++)
		cpp[mo] = calloc((size_t)rounds, sizeof(double));
	printf("nat_micro: %u new sessions per run, conntrack max %u, %d rounds, TSC %.3f GHz\n",
	       sessions, ct_max, rounds, hz / 1e9);
	for (int r = 0; r < rounds; r++)
		for (int mo = 0; mo < NM_MODES; mo++) {
			uint64_t drops;

			cpp[mo][r] = nm_run(mo, sessions, ct_max, &drops);
			printf("{\"round\":%d,\"mode\":\"%s\",\"sessions\":%u,\"ct_max\":%u,"
			       "\"cycles_per_packet\":%.1f,\"dropped\":%" PRIu64 "}\n",
			       r + 1, nm_modes[mo], sessions, ct_max, cpp[mo][r], drops);
			if (drops) {
				fprintf(stderr, "nat_micro: %s dropped %" PRIu64 " packets\n",
					nm_modes[mo], drops);
				return 1;
			}
		}
	for (int mo = 0; mo < NM_MODES; mo++) {
		qsort(cpp[mo], (size_t)rounds, sizeof(double), nm_cmp);
		med[mo] = rounds % 2 ? cpp[mo][rounds / 2]
				     : (cpp[mo][rounds / 2 - 1] + cpp[mo][rounds / 2]) / 2;
		printf("%-10s median %8.1f  best %8.1f cycles/packet\n", nm_modes[mo], med[mo],
		       cpp[mo][0]);
	}
	printf("new NAT session: %.0f cycles (nat - stateless, medians) = %.3f M/s per core; "
	       "conntrack-only new connection: %.0f cycles\n",
	       med[2] - med[0], med[2] > med[0] ? hz / (med[2] - med[0]) / 1e6 : 0.0,
	       med[1] - med[0]);
	/* the least disturbed rounds (a loaded host's preemptions only add) */
	printf("best rounds: new NAT session %.0f cycles = %.3f M/s per core\n",
	       cpp[2][0] - cpp[0][0],
	       cpp[2][0] > cpp[0][0] ? hz / (cpp[2][0] - cpp[0][0]) / 1e6 : 0.0);
	return 0;
}
