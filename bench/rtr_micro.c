/* SPDX-License-Identifier: BSD-3-Clause
 * rtr_micro - cycles per packet of the router stage alone (rtr_process), on
 * the traffic of bench/router_vs_ovs.sh: 64-byte UDP frames over FLOWS
 * flows to 100 destination /24s routed via one static neighbour. No ports,
 * no engine (its services are stubbed here), so neither the pcap source
 * nor this VM's I/O noise is in the figure:
 *
 *   BUILD/vnfs/router/rtr_micro [FLOWS] [v6]
 *
 * v6: the same over IPv6 (78-byte UDP frames to 100 /48s), the TTL being
 * the hop limit.
 *
 * The stage rewrites what it forwards (TTL, checksum, MACs). The frames
 * start with TTL 255 and the next hop's MAC is the router's own "in" MAC,
 * so a forwarded frame is again a valid frame to forward: passes run back
 * to back over the same mbufs, as a worker's mbufs come back from the
 * mempool cache, and the headers are rebuilt (untimed) every 200 passes.
 * Repeats for 3 seconds and prints the best pass: on a VM whose
 * neighbours take the core for seconds at a time, only a long window
 * finds quiet moments.
 */
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

#include "micro_engine.h"
#include "router_rt.h"

#define MICRO_HDR 34 /* Ethernet + IPv4: what the stage writes */

static const struct rte_ether_addr micro_mac_in = {{0x02, 0, 0, 0, 0, 0x02}};
static const struct rte_ether_addr micro_mac_out = {{0x02, 0, 0, 0, 0, 0x08}};

static bool micro_v6;

/* frame i of the IPv6 variant: 2001:db8:1::/64 to 100 /48s */
static struct rte_mbuf *
micro_frame6(uint32_t i)
{
	uint8_t *d;
	struct rte_mbuf *m = micro_frame_alloc(78, &micro_mac_in, RTE_ETHER_TYPE_IPV6, &d);
	struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)(d + 14);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip6 + 1);
	uint16_t pfx = (uint16_t)(0x100 + i % 100);

	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16(24);
	ip6->proto = IPPROTO_UDP;
	ip6->hop_limits = 255;
	ip6->src_addr[0] = 0x20, ip6->src_addr[1] = 0x01, ip6->src_addr[2] = 0x0d;
	ip6->src_addr[3] = 0xb8, ip6->src_addr[5] = 0x01;
	ip6->src_addr[14] = (uint8_t)(i >> 8), ip6->src_addr[15] = (uint8_t)i;
	memcpy(ip6->dst_addr, ip6->src_addr, 4);
	ip6->dst_addr[4] = (uint8_t)(pfx >> 8), ip6->dst_addr[5] = (uint8_t)pfx;
	ip6->dst_addr[15] = (uint8_t)(1 + (i / 100) % 250);
	u->src_port = rte_cpu_to_be_16(1024 + i % 50000);
	u->dst_port = rte_cpu_to_be_16(5001);
	u->dgram_len = rte_cpu_to_be_16(24);
	return m;
}

/* the pcap of bench/router_vs_ovs.sh, frame i */
static struct rte_mbuf *
micro_frame(uint32_t i)
{
	if (micro_v6)
		return micro_frame6(i);

	uint8_t *d;
	struct rte_mbuf *m = micro_frame_alloc(60, &micro_mac_in, RTE_ETHER_TYPE_IPV4, &d);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + 14);
	struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);

	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(46);
	ip->time_to_live = 255;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(0x0a000000 | (i & 0xffff));
	ip->dst_addr = rte_cpu_to_be_32(0xac100000 | (i % 100) << 8 | (1 + (i / 100) % 250));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	u->src_port = rte_cpu_to_be_16(1024 + i % 50000);
	u->dst_port = rte_cpu_to_be_16(5001);
	u->dgram_len = rte_cpu_to_be_16(26);
	return m;
}

static struct rtr_conf *
micro_conf(struct nfv_config *cfg)
{
	static char yaml[32768];
	int off = snprintf(yaml, sizeof(yaml),
			   "interfaces:\n"
			   "  - {name: in, port: src, addresses: [10.0.0.254/8, "
			   "'2001:db8:1::fe/64']}\n"
			   "  - {name: out, port: sink, addresses: [192.168.0.254/24, "
			   "'2001:db8:ff::fe/64']}\n"
			   "neighbours:\n"
			   "  - {address: 192.168.0.1, mac: '02:00:00:00:00:02'}\n"
			   "  - {address: '2001:db8:ff::1', mac: '02:00:00:00:00:02'}\n"
			   "routes:\n");
	struct cfg_errors err = {.file = "micro"};
	struct cfg_node *root = NULL;
	void *conf = NULL;

	for (int p = 0; p < 100; p++)
		off += snprintf(yaml + off, sizeof(yaml) - off,
				"  - {prefix: 172.16.%d.0/24, via: 192.168.0.1}\n"
				"  - {prefix: '2001:db8:%x::/48', via: '2001:db8:ff::1'}\n",
				p, 0x100 + p);
	if (cfg_load_string("micro", yaml, strlen(yaml), &root, &err) < 0 ||
	    rtr_config_parse(cfg, root, &conf, &err) < 0) {
		cfg_errors_print(&err, stderr);
		exit(1);
	}
	cfg_free(root);
	return conf;
}

/* One pass over the flows in bursts of 32: cycles per packet. */
static double
micro_pass(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf **m, uint32_t flows)
{
	struct rte_mbuf *b[32];
	uint64_t t0 = rte_rdtsc();
	uint32_t fwd = 0;

	for (uint32_t base = 0; base + 32 <= flows; base += 32) {
		memcpy(b, &m[base], sizeof(b));
		w->now_tsc = t0;
		fwd += vnf->cls->process(vnf, w, b, 32);
	}
	if (fwd != flows / 32 * 32) {
		fprintf(stderr, "rtr_micro: %u of %u forwarded: check the set-up\n", fwd, flows);
		exit(1);
	}
	return (double)(rte_rdtsc() - t0) / (flows / 32 * 32);
}

int
main(int argc, char **argv)
{
	static struct nfv_config cfg = {.n_ports = 2};
	uint32_t flows = argc > 1 ? (uint32_t)atoi(argv[1]) : 1024;
	uint16_t ports[2] = {0, 1};
	struct rte_ether_addr macs[2] = {micro_mac_in, micro_mac_out};
	struct nfv_vnf vnf = {0};
	struct rtr_state *st;
	struct nfv_worker *w;
	struct rte_mbuf **m;
	uint8_t(*hdr)[MICRO_HDR];
	uint32_t passes = 0;
	uint64_t chain[3], eng[NFV_DROP_ENGINE_MAX];
	double best = 1e18;
	char e[256] = "";

	micro_v6 = argc > 2 && strcmp(argv[2], "v6") == 0;
	if (flows < 32 || micro_engine_init("rtr_micro", 512, flows + 4096) < 0)
		return 1;
	w = rte_zmalloc(NULL, sizeof(*w), 64);
	st = rte_zmalloc(NULL, sizeof(*st), 64);
	m = calloc(flows, sizeof(*m));
	hdr = calloc(flows, MICRO_HDR);
	if (!w || !st || !m || !hdr)
		return 1;
	snprintf(cfg.ports[0].name, NFV_NAME_MAX, "src");
	snprintf(cfg.ports[1].name, NFV_NAME_MAX, "sink");
	snprintf(cfg.dir, sizeof(cfg.dir), ".");
	vnf.cls = vnf_class_find("router");
	vnf.conf = micro_conf(&cfg);
	snprintf(vnf.name, sizeof(vnf.name), "rtr");
	snprintf(st->name, sizeof(st->name), "micro");
	st->tx = nfv_ctl_tx;
	st->pool = nfv_fake.pool;
	st->vnf = &vnf;
	rtr_state_init(st, vnf.conf, rte_get_tsc_hz());
	st->tables = rtr_tables_build(st, vnf.conf, ports, macs, e, sizeof(e));
	if (st->tables == NULL) {
		fprintf(stderr, "rtr_micro: %s\n", e);
		return 1;
	}
	vnf.priv = st;
	vnf.ctr_stride = RTE_ALIGN_CEIL(RTR_CTR_MAX + RTR_DROP_MAX, 8u);
	vnf.ctr = rte_zmalloc(NULL, (size_t)RTE_MAX_LCORE * vnf.ctr_stride * 8, 64);
	w->lcore = rte_lcore_id();
	w->chain_ctr = chain;
	w->eng_ctr = eng;
	w->punt = rte_ring_create("micro", 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!vnf.ctr || !w->punt)
		return 1;
	for (uint32_t i = 0; i < flows; i++) {
		m[i] = micro_frame(i);
		memcpy(hdr[i], rte_pktmbuf_mtod(m[i], void *), MICRO_HDR);
	}
	uint64_t until = rte_rdtsc() + 3 * rte_get_tsc_hz();

	while (passes < 400 || rte_rdtsc() < until) {
		if (passes++ % 200 == 0) /* TTL 255 lasts 254 passes */
			for (uint32_t i = 0; i < flows; i++)
				memcpy(rte_pktmbuf_mtod(m[i], void *), hdr[i], MICRO_HDR);
		best = RTE_MIN(best, micro_pass(&vnf, w, m, flows));
	}
	if (vnf.ctr[micro_v6 ? RTR_CTR_FWD6 : RTR_CTR_FWD4] == 0 || rte_ring_count(w->punt) > 0) {
		fprintf(stderr,
			"rtr_micro: the router did not forward (or punted): check the set-up\n");
		return 1;
	}
	printf("router stage, %s, %u flows, 100 routes: %.1f cycles/packet (best of %u passes)\n",
	       micro_v6 ? "IPv6" : "IPv4", flows, best, passes);
	return 0;
}
