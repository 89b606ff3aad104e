/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - pipeline compiler and runner on crafted mbufs: bindings, stage
 * order, fixed egress, no-egress drops, match classification, resume
 * bindings of VM-like stages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "engine_priv.h"
#include "test_eal.h"

static struct rte_mempool *pool;
static uint64_t chain_scratch[3];

/* A test class: appends its tag to every packet's "trace" (stored in
 * meta->nh) and drops packets whose first payload byte is 0xdd. */
#define TST_DROPS(_) _(TST_DROP_MARKED, "marked")
enum { TST_DROPS(VNF_ENUM) TST_DROP_MAX };
static const char *const tst_drop_names[] = {TST_DROPS(VNF_NAME)};

static uint16_t
tst_process(struct nfv_vnf *v, struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t k = 0;
	uint32_t tag = (uint32_t)(uintptr_t)v->priv;

	for (uint16_t i = 0; i < n; i++) {
		struct nfv_mbuf_meta *md = nfv_meta(pkts[i]);
		uint8_t *d = rte_pktmbuf_mtod(pkts[i], uint8_t *);

		md->nh = md->nh * 10 + tag;
		if (d[sizeof(struct rte_ether_hdr) + 28] == 0xdd)
			nfv_drop(w, v, pkts[i], TST_DROP_MARKED);
		else
			pkts[k++] = pkts[i];
	}
	return k;
}

static int
tst_resume(const struct nfv_config *cfg, const void *conf, uint16_t *ports, int max)
{
	(void)cfg;
	if (conf == NULL || max < 1)
		return 0;
	ports[0] = (uint16_t)(uintptr_t)conf - 1;
	return 1;
}

static void
tst_destroy(struct nfv_vnf *v)
{
	(void)v;
}

static struct vnf_schema tst_schema = {.name = "tst"};
static struct vnf_class tst_class = {
	.schema = &tst_schema,
	.name = "tst",
	.destroy = tst_destroy,
	.process = tst_process,
	.resume_ports = tst_resume,
	.drop_names = tst_drop_names,
	.n_drops = TST_DROP_MAX,
};

/* A router-like class: picks out_port from the destination's last byte
 * (1 -> p1, 2 -> p2, other -> none) and lets every packet continue. */
static uint16_t
pick_process(struct nfv_vnf *v, struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	(void)v, (void)w;
	for (uint16_t i = 0; i < n; i++) {
		const uint8_t *d = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
		uint8_t last = d[sizeof(struct rte_ether_hdr) + 19];

		nfv_meta(pkts[i])->out_port = last == 1 || last == 2 ? last : NFV_PORT_NONE;
	}
	return n;
}

static struct vnf_schema pick_schema = {.name = "pick"};
static struct vnf_class pick_class = {
	.schema = &pick_schema,
	.name = "pick",
	.destroy = tst_destroy,
	.process = pick_process,
	.sets_out_port = 1,
};

static struct rte_mbuf *
mk_udp(uint32_t dst, uint16_t dport, uint16_t vlan, uint8_t mark)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *d;
	size_t off = 0;

	assert_non_null(m);
	d = (uint8_t *)rte_pktmbuf_append(m, 64 + (vlan ? 4 : 0));
	memset(d, 0, 64 + (vlan ? 4 : 0));
	struct rte_ether_hdr *eh = (void *)d;
	off = sizeof(*eh);
	if (vlan) {
		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		*(uint16_t *)(d + off) = rte_cpu_to_be_16(vlan);
		*(uint16_t *)(d + off + 2) = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		off += 4;
	} else {
		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	}
	struct rte_ipv4_hdr *ip = (void *)(d + off);
	ip->version_ihl = 0x45;
	ip->next_proto_id = IPPROTO_UDP;
	ip->total_length = rte_cpu_to_be_16(46);
	ip->src_addr = rte_cpu_to_be_32(0x0a000001);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	struct rte_udp_hdr *uh = (void *)(ip + 1);
	uh->src_port = rte_cpu_to_be_16(1234);
	uh->dst_port = rte_cpu_to_be_16(dport);
	d[off + 28] = mark;
	nfv_meta(m)->nh = 0;
	m->port = 0;
	return m;
}

static struct nfv_worker_rt *wr;

static void
setup_engine(struct nfv_config *cfg, uint16_t n_ports)
{
	memset(nfv_ports, 0, sizeof(nfv_ports));
	for (uint16_t i = 0; i < n_ports; i++) {
		snprintf(cfg->ports[i].name, NFV_NAME_MAX, "p%u", i);
		nfv_port_cfg_id[i] = i;
		nfv_ports[i].used = true;
	}
	cfg->n_ports = n_ports;
	memset(wr, 0, sizeof(*wr));
	wr->w.lcore = 1;
	wr->w.eng_ctr = nfv_eng.eng_ctr;
	wr->w.chain_ctr = chain_scratch;
}

static struct nfv_vnf *
mk_vnf(const char *name, uint32_t tag, uintptr_t resume)
{
	struct nfv_vnf *v = nfv_vnf_new(name, &tst_class);

	assert_non_null(v);
	v->priv = (void *)(uintptr_t)tag;
	v->conf = (const void *)resume;
	return v;
}

static void
free_txq(struct nfv_txq *q)
{
	rte_pktmbuf_free_bulk(q->pkts, q->n);
	q->n = 0;
}

/* chain: p0 -> a -> b -> egress p1; the stages run in order, marked
 * packets are dropped and counted, the rest queued on p1. */
static void
test_chain_order_and_egress(void **state)
{
	static struct nfv_config cfg;
	struct nfv_vnf *insts[2];
	struct nfv_pipeline *p = NULL;
	struct rte_mbuf *pk[3];
	char err[256];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	setup_engine(&cfg, 2);
	insts[0] = mk_vnf("a", 1, 0);
	insts[1] = mk_vnf("b", 2, 0);
	cfg.n_vnfs = 2;
	cfg.n_chains = 1;
	snprintf(cfg.chains[0].name, NFV_NAME_MAX, "c");
	cfg.chains[0].n_ingress = 1;
	cfg.chains[0].ingress[0] = 0;
	cfg.chains[0].n_stages = 2;
	cfg.chains[0].stages[0] = 0;
	cfg.chains[0].stages[1] = 1;
	cfg.chains[0].egress = 1;
	assert_int_equal(nfv_pipeline_build(&cfg, insts, &p, err, sizeof(err)), 0);
	assert_int_equal(p->n_bind[0], 1);
	assert_int_equal(p->n_bind[1], 0);

	pk[0] = mk_udp(0x0a000002, 53, 0, 0);
	pk[1] = mk_udp(0x0a000003, 53, 0, 0xdd);
	pk[2] = mk_udp(0x0a000004, 53, 0, 0);
	nfv_pipeline_run(p, &wr->w, 0, pk, 3);
	nfv_drop_flush(&wr->w);

	assert_int_equal(wr->w.tx[1].n, 2);
	assert_int_equal(nfv_meta(wr->w.tx[1].pkts[0])->nh, 12); /* a then b */
	assert_int_equal(nfv_meta(wr->w.tx[1].pkts[1])->nh, 12);
	assert_int_equal(nfv_vnf_counter(insts[0], TST_DROP_MARKED), 1);
	assert_int_equal(nfv_vnf_counter(insts[1], TST_DROP_MARKED), 0);
	uint64_t t[NFV_CHAIN_CTR_MAX];
	nfv_pipeline_chain_totals(p, 0, t);
	assert_int_equal(t[NFV_CHAIN_RX], 3);
	assert_int_equal(t[NFV_CHAIN_TX], 2);
	assert_int_equal(t[NFV_CHAIN_DROP], 1);
	free_txq(&wr->w.tx[1]);
	nfv_pipeline_free(p);
	nfv_vnf_free(insts[0]);
	nfv_vnf_free(insts[1]);
}

/* no egress and no VNF sending: dropped as no-egress; a port without a
 * chain: no-chain. */
static void
test_no_egress_no_chain(void **state)
{
	static struct nfv_config cfg;
	struct nfv_vnf *insts[1];
	struct nfv_pipeline *p = NULL;
	struct rte_mbuf *pk[2];
	char err[256];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	setup_engine(&cfg, 2);
	memset(nfv_eng.eng_ctr, 0, sizeof(uint64_t) * NFV_DROP_ENGINE_MAX);
	insts[0] = mk_vnf("a", 1, 0);
	cfg.n_vnfs = 1;
	cfg.n_chains = 1;
	cfg.chains[0].n_ingress = 1;
	cfg.chains[0].n_stages = 1;
	cfg.chains[0].egress = -1;
	assert_int_equal(nfv_pipeline_build(&cfg, insts, &p, err, sizeof(err)), 0);
	pk[0] = mk_udp(0x0a000002, 53, 0, 0);
	pk[1] = mk_udp(0x0a000002, 53, 0, 0);
	nfv_pipeline_run(p, &wr->w, 0, pk, 1);
	nfv_pipeline_run(p, &wr->w, 1, pk + 1, 1);
	nfv_drop_flush(&wr->w);
	assert_int_equal(wr->w.eng_ctr[NFV_DROP_NO_EGRESS], 1);
	assert_int_equal(wr->w.eng_ctr[NFV_DROP_NO_CHAIN], 1);
	nfv_pipeline_free(p);
	nfv_vnf_free(insts[0]);
}

/* chain p0 -> pick -> tst, egress p3: what leaves goes to the port the
 * picker chose (runs kept in order), to none: dropped as no-egress; a
 * later stage still runs on the picked packets. */
static void
test_stage_picks_egress(void **state)
{
	static struct nfv_config cfg;
	struct nfv_vnf *insts[2];
	struct nfv_pipeline *p = NULL;
	struct rte_mbuf *pk[5];
	char err[256];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	setup_engine(&cfg, 4);
	memset(nfv_eng.eng_ctr, 0, sizeof(uint64_t) * NFV_DROP_ENGINE_MAX);
	insts[0] = nfv_vnf_new("r", &pick_class);
	assert_non_null(insts[0]);
	insts[1] = mk_vnf("t", 7, 0);
	cfg.n_vnfs = 2;
	cfg.n_chains = 1;
	cfg.chains[0].n_ingress = 1;
	cfg.chains[0].n_stages = 2;
	cfg.chains[0].stages[0] = 0;
	cfg.chains[0].stages[1] = 1;
	cfg.chains[0].egress = 3;
	assert_int_equal(nfv_pipeline_build(&cfg, insts, &p, err, sizeof(err)), 0);
	assert_true(p->chains[0].meta_egress);
	pk[0] = mk_udp(0x0a000001, 53, 0, 0);
	pk[1] = mk_udp(0x0a000101, 53, 0, 0);
	pk[2] = mk_udp(0x0a000002, 53, 0, 0);
	pk[3] = mk_udp(0x0a000009, 53, 0, 0);
	pk[4] = mk_udp(0x0a000202, 53, 0, 0);
	nfv_pipeline_run(p, &wr->w, 0, pk, 5);
	nfv_drop_flush(&wr->w);
	assert_int_equal(wr->w.tx[1].n, 2);
	assert_int_equal(wr->w.tx[2].n, 2);
	assert_int_equal(wr->w.tx[3].n, 0); /* the picker's choice wins */
	assert_int_equal(wr->w.eng_ctr[NFV_DROP_NO_EGRESS], 1);
	assert_int_equal(rte_pktmbuf_mtod(wr->w.tx[1].pkts[1], uint8_t *)[14 + 18], 1);
	assert_int_equal(nfv_meta(wr->w.tx[2].pkts[0])->nh, 7); /* tst ran after */
	free_txq(&wr->w.tx[1]);
	free_txq(&wr->w.tx[2]);
	nfv_pipeline_free(p);
	nfv_vnf_free(insts[0]);
	nfv_vnf_free(insts[1]);
}

/* two chains on one port: the matching one (udp dport 53 to 10/8 on vlan
 * 7) gets its packets, the catch-all the rest, order kept per chain. */
static void
test_match_split(void **state)
{
	static struct nfv_config cfg;
	struct nfv_vnf *insts[2];
	struct nfv_pipeline *p = NULL;
	struct rte_mbuf *pk[4];
	char err[256];
	const char *why;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	setup_engine(&cfg, 3);
	insts[0] = mk_vnf("a", 1, 0);
	insts[1] = mk_vnf("b", 2, 0);
	cfg.n_vnfs = 2;
	cfg.n_chains = 2;
	/* catch-all first in the file: the compiler must still try the match first */
	cfg.chains[0] = (struct nfv_chain_conf){.n_ingress = 1, .n_stages = 1, .egress = 1};
	cfg.chains[0].stages[0] = 0;
	cfg.chains[1] = (struct nfv_chain_conf){.n_ingress = 1, .n_stages = 1, .egress = 2,
						.has_match = true};
	cfg.chains[1].stages[0] = 1;
	struct nfv_match *m = &cfg.chains[1].match;
	m->has_proto = true;
	m->proto = IPPROTO_UDP;
	m->has_dport = true;
	m->dport_lo = 50;
	m->dport_hi = 60;
	m->has_dst = true;
	assert_int_equal(cfg_parse_prefix("10.0.0.0/8", false, &m->dst, &why), 0);
	m->has_vlan = true;
	m->vlan = 7;
	assert_int_equal(nfv_pipeline_build(&cfg, insts, &p, err, sizeof(err)), 0);
	assert_true(p->bind[0][0].has_match);

	pk[0] = mk_udp(0x0a000002, 53, 7, 0);  /* match */
	pk[1] = mk_udp(0x0b000002, 53, 7, 0);  /* wrong dst */
	pk[2] = mk_udp(0x0a000002, 80, 7, 0);  /* wrong port */
	pk[3] = mk_udp(0x0a000009, 55, 7, 0);  /* match */
	struct rte_mbuf *m0 = pk[0], *m3 = pk[3];
	nfv_pipeline_run(p, &wr->w, 0, pk, 4);
	assert_int_equal(wr->w.tx[2].n, 2);
	assert_ptr_equal(wr->w.tx[2].pkts[0], m0);
	assert_ptr_equal(wr->w.tx[2].pkts[1], m3);
	assert_int_equal(wr->w.tx[1].n, 2);
	free_txq(&wr->w.tx[1]);
	free_txq(&wr->w.tx[2]);

	/* no vlan: does not match the vlan 7 chain */
	struct rte_mbuf *x = mk_udp(0x0a000002, 53, 0, 0);
	assert_false(nfv_match_pkt(m, x));
	m->has_vlan = false;
	assert_true(nfv_match_pkt(m, x));
	rte_pktmbuf_free(x);
	nfv_pipeline_free(p);
	nfv_vnf_free(insts[0]);
	nfv_vnf_free(insts[1]);
}

/* A stage with resume ports (a VM stage): packets coming back on that port
 * continue at the next stage, skipping the earlier ones. */
static void
test_resume_binding(void **state)
{
	static struct nfv_config cfg;
	struct nfv_vnf *insts[3];
	struct nfv_pipeline *p = NULL;
	struct rte_mbuf *pk[1];
	char err[256];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	setup_engine(&cfg, 3);
	insts[0] = mk_vnf("a", 1, 0);
	insts[1] = mk_vnf("vm", 2, 2 + 1); /* resumes on port 2 */
	insts[2] = mk_vnf("c", 3, 0);
	cfg.n_vnfs = 3;
	cfg.n_chains = 1;
	cfg.chains[0] = (struct nfv_chain_conf){.n_ingress = 1, .n_stages = 3, .egress = 1};
	cfg.chains[0].stages[0] = 0;
	cfg.chains[0].stages[1] = 1;
	cfg.chains[0].stages[2] = 2;
	assert_int_equal(nfv_pipeline_build(&cfg, insts, &p, err, sizeof(err)), 0);
	assert_int_equal(p->n_bind[2], 1);
	assert_int_equal(p->bind[2][0].stage, 2);
	pk[0] = mk_udp(0x0a000002, 53, 0, 0);
	pk[0]->port = 2;
	nfv_pipeline_run(p, &wr->w, 2, pk, 1);
	assert_int_equal(wr->w.tx[1].n, 1);
	assert_int_equal(nfv_meta(wr->w.tx[1].pkts[0])->nh, 3); /* only stage c ran */
	free_txq(&wr->w.tx[1]);
	nfv_pipeline_free(p);
	for (int i = 0; i < 3; i++)
		nfv_vnf_free(insts[i]);
}

/* A device that takes only part of a flush: the rest stays queued for the
 * next flush (nothing dropped) until the buffer has no room for a burst. */
static void
test_tx_backpressure_keeps_packets(void **state)
{
	struct rte_ring *r = rte_ring_create("tst_txr", 64, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
	struct rte_mbuf *out[64];
	int pid;

	(void)state;
	assert_non_null(r);
	pid = rte_eth_from_ring(r);
	assert_true(pid >= 0);
	struct rte_eth_conf ec = {0};
	assert_int_equal(rte_eth_dev_configure((uint16_t)pid, 1, 1, &ec), 0);
	assert_int_equal(rte_eth_rx_queue_setup((uint16_t)pid, 0, 64, 0, NULL, pool), 0);
	assert_int_equal(rte_eth_tx_queue_setup((uint16_t)pid, 0, 64, 0, NULL), 0);
	assert_int_equal(rte_eth_dev_start((uint16_t)pid), 0);
	nfv_ports[pid].used = true;
	nfv_ports[pid].started = true;
	memset(wr, 0, sizeof(*wr));
	wr->w.lcore = 1;
	wr->w.eng_ctr = nfv_eng.eng_ctr;
	wr->w.chain_ctr = chain_scratch;
	memset(nfv_eng.eng_ctr, 0, sizeof(uint64_t) * NFV_DROP_ENGINE_MAX);

	/* the ring holds 63: 40 + 40 queued, the first flush sends 63 */
	for (int i = 0; i < 40; i++)
		nfv_tx(&wr->w, (uint16_t)pid, mk_udp(0x0a000002, 53, 0, 0));
	assert_int_equal(nfv_txq_flush(&wr->w, (uint16_t)pid), 40);
	for (int i = 0; i < 40; i++)
		nfv_tx(&wr->w, (uint16_t)pid, mk_udp(0x0a000002, 53, 0, 0));
	assert_int_equal(nfv_txq_flush(&wr->w, (uint16_t)pid), 23);
	assert_int_equal(wr->w.tx[pid].n, 17);
	assert_int_equal(wr->w.eng_ctr[NFV_DROP_TX_FULL], 0);
	/* the peer drains the ring: the 17 left go out on the next flush */
	assert_int_equal(rte_ring_dequeue_burst(r, (void **)out, 64, NULL), 63);
	rte_pktmbuf_free_bulk(out, 63);
	assert_int_equal(nfv_txq_flush(&wr->w, (uint16_t)pid), 17);
	assert_int_equal(wr->w.tx[pid].n, 0);
	assert_int_equal(wr->w.eng_ctr[NFV_DROP_TX_FULL], 0);
	assert_int_equal(rte_ring_dequeue_burst(r, (void **)out, 64, NULL), 17);
	rte_pktmbuf_free_bulk(out, 17);

	/* a peer that never drains: once more than a burst is stuck, the
	 * backlog is dropped and counted, and the buffer never overflows */
	for (int i = 0; i < 63 + 64; i++)
		nfv_tx(&wr->w, (uint16_t)pid, mk_udp(0x0a000002, 53, 0, 0));
	assert_int_equal(wr->w.eng_ctr[NFV_DROP_TX_FULL], 64);
	assert_int_equal(wr->w.tx[pid].n, 0);
	assert_int_equal(rte_ring_dequeue_burst(r, (void **)out, 64, NULL), 63);
	rte_pktmbuf_free_bulk(out, 63);
	nfv_ports[pid].used = false;
	nfv_ports[pid].started = false;
}

/* A shared-ring port leaves mbuf->port as the other process set it: the
 * engine sets it for a chain with a stage (which may read it) and leaves
 * the frames of a chain without stages untouched (their lines stay in the
 * sender's cache). */
static void
test_shared_ring_port_set_only_where_read(void **state)
{
	static struct nfv_config cfg;
	struct nfv_vnf *insts[1];
	struct nfv_pipeline *p = NULL;
	struct rte_mbuf *pk[2];
	char err[256];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	setup_engine(&cfg, 3);
	nfv_ports[0].rx_port_unset = true;
	nfv_ports[2].rx_port_unset = true;
	insts[0] = mk_vnf("a", 1, 0);
	cfg.n_vnfs = 1;
	cfg.n_chains = 2;
	snprintf(cfg.chains[0].name, NFV_NAME_MAX, "plain");
	cfg.chains[0].n_ingress = 1;
	cfg.chains[0].ingress[0] = 0;
	cfg.chains[0].egress = 1;
	snprintf(cfg.chains[1].name, NFV_NAME_MAX, "staged");
	cfg.chains[1].n_ingress = 1;
	cfg.chains[1].ingress[0] = 2;
	cfg.chains[1].n_stages = 1;
	cfg.chains[1].stages[0] = 0;
	cfg.chains[1].egress = 1;
	assert_int_equal(nfv_pipeline_build(&cfg, insts, &p, err, sizeof(err)), 0);
	assert_false(p->port_read[0]);
	assert_true(p->port_read[2]);

	pk[0] = mk_udp(0x0a000002, 53, 0, 0);
	pk[1] = mk_udp(0x0a000003, 53, 0, 0);
	pk[0]->port = RTE_MBUF_PORT_INVALID;
	pk[1]->port = RTE_MBUF_PORT_INVALID;
	nfv_pipeline_run(p, &wr->w, 0, pk, 1);
	nfv_pipeline_run(p, &wr->w, 2, pk + 1, 1);
	nfv_drop_flush(&wr->w);
	assert_int_equal(wr->w.tx[1].n, 2);
	assert_ptr_equal(wr->w.tx[1].pkts[0], pk[0]);
	assert_int_equal(pk[0]->port, RTE_MBUF_PORT_INVALID); /* untouched */
	assert_int_equal(pk[1]->port, 2);		       /* the stage's ingress */
	free_txq(&wr->w.tx[1]);
	nfv_pipeline_free(p);
	nfv_vnf_free(insts[0]);
}

int
main(void)
{
	const char *eal[] = {"test_pipeline", "--no-huge", "-m", "128", "--no-pci",
			     "--no-shconf", "-l", "0", "--log-level", "error"};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_order_and_egress),
		cmocka_unit_test(test_no_egress_no_chain),
		cmocka_unit_test(test_stage_picks_egress),
		cmocka_unit_test(test_match_split),
		cmocka_unit_test(test_resume_binding),
		cmocka_unit_test(test_tx_backpressure_keeps_packets),
		cmocka_unit_test(test_shared_ring_port_set_only_where_read),
	};

	if (test_eal_init(RTE_DIM(eal), (char **)(uintptr_t)eal) < 0)
		return 1;
	if (nfv_meta_register() < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("tst", 1024, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	nfv_eng.eng_ctr = calloc(RTE_MAX_LCORE * NFV_DROP_ENGINE_MAX, sizeof(uint64_t));
	wr = calloc(1, sizeof(*wr));
	if (pool == NULL || nfv_eng.eng_ctr == NULL || wr == NULL)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
