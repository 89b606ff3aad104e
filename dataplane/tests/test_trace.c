/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - packet trace: the per-worker bound, the records a chain run
 * leaves (stage verdicts, notes, tx port, drop reasons), the pcap filter,
 * refused parameters, the note formatter and the packet summary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "engine_priv.h"
#include "test_eal.h"
#include "trace.h"

static struct rte_mempool *pool;
static uint64_t chain_scratch[3];
static struct nfv_worker_rt *wr;

/* A stage that notes "saw %4 port %u" for traced packets and drops those
 * whose UDP destination port is 9 (reason "nine", meaning given). */
#define TST_DROPS(_) _(TST_DROP_NINE, "nine", "sent to the discard port")
enum { TST_DROPS(VNF_ENUM) TST_DROP_MAX };
static const char *const tst_drop_names[] = {TST_DROPS(VNF_NAME)};
static const char *const tst_drop_descs[] = {TST_DROPS(VNF_DESC)};

static uint16_t
tst_process(struct nfv_vnf *v, struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_ipv4_hdr *ip =
			rte_pktmbuf_mtod_offset(pkts[i], struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
		struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);

		if (nfv_traced(w, pkts[i]))
			nfv_trace_note(w, v, pkts[i], "saw %4 port %u", NULL, ip->dst_addr,
				       rte_be_to_cpu_16(uh->dst_port), 0);
		if (rte_be_to_cpu_16(uh->dst_port) == 9)
			nfv_drop(w, v, pkts[i], TST_DROP_NINE);
		else
			pkts[k++] = pkts[i];
	}
	return k;
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
	.drop_names = tst_drop_names,
	.drop_descs = tst_drop_descs,
	.n_drops = TST_DROP_MAX,
};

static struct rte_mbuf *
mk_udp(uint32_t dst, uint16_t dport)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *d;

	assert_non_null(m);
	d = (uint8_t *)rte_pktmbuf_append(m, 64);
	memset(d, 0, 64);
	struct rte_ether_hdr *eh = (void *)d;
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	eh->src_addr.addr_bytes[0] = 0x02;
	struct rte_ipv4_hdr *ip = (void *)(eh + 1);
	ip->version_ihl = 0x45;
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->total_length = rte_cpu_to_be_16(46);
	ip->src_addr = rte_cpu_to_be_32(0x0a000001);
	ip->dst_addr = rte_cpu_to_be_32(dst);
	struct rte_udp_hdr *uh = (void *)(ip + 1);
	uh->src_port = rte_cpu_to_be_16(1234);
	uh->dst_port = rte_cpu_to_be_16(dport);
	m->port = 0;
	return m;
}

/* p0 -> tst -> egress p1 */
static struct nfv_pipeline *
mk_chain(struct nfv_config *cfg, struct nfv_vnf **v)
{
	struct nfv_pipeline *p = NULL;
	char err[256];

	memset(cfg, 0, sizeof(*cfg));
	memset(nfv_ports, 0, sizeof(nfv_ports));
	for (uint16_t i = 0; i < 2; i++) {
		snprintf(cfg->ports[i].name, NFV_NAME_MAX, "p%u", i);
		snprintf(nfv_ports[i].name, NFV_NAME_MAX, "p%u", i);
		nfv_port_cfg_id[i] = i;
		nfv_ports[i].used = true;
	}
	cfg->n_ports = 2;
	memset(wr, 0, sizeof(*wr));
	wr->w.lcore = 1;
	wr->w.eng_ctr = nfv_eng.eng_ctr;
	wr->w.chain_ctr = chain_scratch;
	*v = nfv_vnf_new("t", &tst_class);
	assert_non_null(*v);
	cfg->n_vnfs = 1;
	cfg->n_chains = 1;
	snprintf(cfg->chains[0].name, NFV_NAME_MAX, "c");
	cfg->chains[0].n_ingress = 1;
	cfg->chains[0].n_stages = 1;
	cfg->chains[0].egress = 1;
	assert_int_equal(nfv_pipeline_build(cfg, v, &p, err, sizeof(err)), 0);
	return p;
}

static void
txq_free(struct nfv_txq *q)
{
	rte_pktmbuf_free_bulk(q->pkts, q->n);
	q->n = 0;
}

/* count 3: the first three packets are traced, later ones run untraced
 * (no flag, no record); each record has the chain, the stage's note and
 * verdict, and the tx port or the drop reason with its meaning. */
static void
test_bound_and_records(void **state)
{
	static struct nfv_config cfg;
	struct nfv_vnf *v;
	struct nfv_pipeline *p = mk_chain(&cfg, &v);
	struct nfv_trace *t = NULL;
	struct rte_mbuf *pk[6];
	char err[256];
	json_t *a, *r;

	(void)state;
	assert_int_equal(nfv_trace_new(NULL, -1, 3, NULL, 1, &t, err, sizeof(err)), 0);
	atomic_store(&nfv_eng.trace, t);
	pk[0] = mk_udp(0x0a000002, 53);
	pk[1] = mk_udp(0x0a000003, 9);
	nfv_pipeline_run(p, &wr->w, 0, pk, 2);
	assert_null(wr->w.trace); /* only while the burst runs */
	assert_int_equal(atomic_load(&t->wk[0].done), 2);
	for (int i = 2; i < 6; i++)
		pk[i] = mk_udp(0x0a000004 + i, 53);
	nfv_pipeline_run(p, &wr->w, 0, pk + 2, 4);
	nfv_drop_flush(&wr->w);
	assert_int_equal(atomic_load(&t->wk[0].done), 3);
	assert_int_equal(wr->w.tx[1].n, 5);
	assert_true(nfv_meta(wr->w.tx[1].pkts[1])->flags & NFV_META_TRACE); /* pk[2] */
	assert_false(nfv_meta(wr->w.tx[1].pkts[2])->flags & NFV_META_TRACE); /* pk[3] */

	a = nfv_trace_json(t);
	assert_int_equal(json_array_size(a), 3);
	r = json_array_get(a, 0);
	assert_string_equal(json_string_value(json_object_get(r, "chain")), "c");
	assert_string_equal(json_string_value(json_object_get(r, "in_port")), "p0");
	assert_string_equal(json_string_value(json_object_get(r, "result")), "tx");
	assert_string_equal(json_string_value(json_object_get(r, "tx_port")), "p1");
	json_t *s = json_array_get(json_object_get(r, "stages"), 0);
	assert_string_equal(json_string_value(json_object_get(s, "vnf")), "t");
	assert_string_equal(json_string_value(json_object_get(s, "verdict")), "pass");
	assert_string_equal(json_string_value(json_array_get(json_object_get(s, "notes"), 0)),
			    "saw 10.0.0.2 port 53");
	assert_non_null(strstr(json_string_value(json_object_get(r, "packet")),
			       "IPv4 10.0.0.1 > 10.0.0.2 ttl 64 UDP 1234 > 53"));
	r = json_array_get(a, 1);
	assert_string_equal(json_string_value(json_object_get(r, "result")), "drop");
	assert_string_equal(json_string_value(json_object_get(r, "dropped_by")), "t");
	assert_string_equal(json_string_value(json_object_get(r, "drop_reason")), "nine");
	assert_string_equal(json_string_value(json_object_get(r, "drop_meaning")),
			    "sent to the discard port");
	json_decref(a);

	atomic_store(&nfv_eng.trace, NULL);
	nfv_trace_free(t);
	txq_free(&wr->w.tx[1]);
	nfv_pipeline_free(p);
	nfv_vnf_free(v);
}

/* filter "udp dst port 53" and chain/port selection */
static void
test_filter_chain_port(void **state)
{
	static struct nfv_config cfg;
	struct nfv_vnf *v;
	struct nfv_pipeline *p = mk_chain(&cfg, &v);
	struct nfv_trace *t = NULL;
	struct rte_mbuf *pk[3];
	char err[256];

	(void)state;
	assert_int_equal(nfv_trace_new(NULL, -1, 10, "udp dst port 53", 1, &t, err, sizeof(err)),
			 0);
	atomic_store(&nfv_eng.trace, t);
	pk[0] = mk_udp(0x0a000002, 80);
	pk[1] = mk_udp(0x0a000003, 53);
	pk[2] = mk_udp(0x0a000004, 54);
	nfv_pipeline_run(p, &wr->w, 0, pk, 3);
	assert_int_equal(atomic_load(&t->wk[0].done), 1);
	assert_int_equal(t->wk[0].rec[0].head[RTE_ETHER_HDR_LEN + 19], 3);
	atomic_store(&nfv_eng.trace, NULL);
	nfv_trace_free(t);
	txq_free(&wr->w.tx[1]);

	/* another chain's name, another port: nothing traced */
	assert_int_equal(nfv_trace_new("other", -1, 10, NULL, 1, &t, err, sizeof(err)), 0);
	atomic_store(&nfv_eng.trace, t);
	pk[0] = mk_udp(0x0a000002, 80);
	nfv_pipeline_run(p, &wr->w, 0, pk, 1);
	assert_int_equal(atomic_load(&t->wk[0].done), 0);
	atomic_store(&nfv_eng.trace, NULL);
	nfv_trace_free(t);
	assert_int_equal(nfv_trace_new("c", 1, 10, NULL, 1, &t, err, sizeof(err)), 0);
	atomic_store(&nfv_eng.trace, t);
	pk[0] = mk_udp(0x0a000002, 80);
	nfv_pipeline_run(p, &wr->w, 0, pk, 1);
	assert_int_equal(atomic_load(&t->wk[0].done), 0);
	atomic_store(&nfv_eng.trace, NULL);
	nfv_trace_free(t);
	txq_free(&wr->w.tx[1]);
	nfv_pipeline_free(p);
	nfv_vnf_free(v);
}

static void
test_refused(void **state)
{
	struct nfv_trace *t = NULL;
	char err[256], big[NFV_TRACE_FILTER_MAX + 8];

	(void)state;
	assert_int_equal(nfv_trace_new(NULL, -1, 0, NULL, 1, &t, err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "count must be 1..1000"));
	assert_int_equal(nfv_trace_new(NULL, -1, NFV_TRACE_COUNT_MAX + 1, NULL, 1, &t, err,
				       sizeof(err)),
			 -ERANGE);
	assert_int_equal(nfv_trace_new(NULL, -1, 5, "udp and and", 1, &t, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "does not compile"));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(nfv_trace_new(NULL, -1, 5, big, 1, &t, err, sizeof(err)), -E2BIG);
	assert_null(t);
}

static void
test_fmt(void **state)
{
	struct nfv_trace_ent e = {.fmt = "route %4/%u via %4 out %p (%s) %x %d %% %q"};
	uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	char buf[256];

	(void)state;
	memset(nfv_ports, 0, sizeof(nfv_ports));
	nfv_ports[1].used = true;
	snprintf(nfv_ports[1].name, NFV_NAME_MAX, "wan");
	e.a[0] = rte_cpu_to_be_32(0x0a510200);
	e.a[1] = 24;
	e.a[2] = rte_cpu_to_be_32(0x0a510202);
	snprintf(e.str, sizeof(e.str), "lan");
	nfv_trace_fmt(&e, buf, sizeof(buf));
	/* the args run out after three: later conversions show 0 */
	assert_string_equal(buf, "route 10.81.2.0/24 via 10.81.2.2 out port0 (lan) 0x0 0 % %q");
	e.fmt = "%6 on %p";
	e.a[0] = nfv_trace_ip6(a6, 0);
	e.a[1] = nfv_trace_ip6(a6, 1);
	e.a[2] = 1;
	nfv_trace_fmt(&e, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::1 on wan");
	/* cut to the buffer, always terminated */
	nfv_trace_fmt(&e, buf, 6);
	assert_string_equal(buf, "2001:");
	e.fmt = NULL;
	nfv_trace_fmt(&e, buf, sizeof(buf));
	assert_string_equal(buf, "lan");
}

static void
test_summary(void **state)
{
	struct nfv_trace_rec r;
	char buf[256];
	uint8_t *d = r.head;

	(void)state;
	memset(&r, 0, sizeof(r));
	/* VLAN 20, IPv4 ICMP echo request ttl 1 */
	memset(d, 0, sizeof(r.head));
	d[0] = 0x02, d[6] = 0x02, d[11] = 0x05;
	d[12] = 0x81, d[13] = 0x00, d[14] = 0x00, d[15] = 20, d[16] = 0x08, d[17] = 0x00;
	d[18] = 0x45, d[26] = 1, d[27] = IPPROTO_ICMP;
	d[30] = 10, d[31] = 81, d[32] = 1, d[33] = 2, d[34] = 10, d[35] = 81, d[36] = 2, d[37] = 2;
	d[38] = 8;
	r.head_len = 64;
	r.pkt_len = 98;
	nfv_trace_pkt_summary(&r, buf, sizeof(buf));
	assert_string_equal(buf, "02:00:00:00:00:05 > 02:00:00:00:00:00 vlan 20, IPv4 10.81.1.2 > "
				 "10.81.2.2 ttl 1 ICMP echo request");
	r.head_len = 10;
	nfv_trace_pkt_summary(&r, buf, sizeof(buf));
	assert_string_equal(buf, "runt frame (98 bytes)");
	/* a short buffer ends in "..." */
	r.head_len = 64;
	nfv_trace_pkt_summary(&r, buf, 20);
	assert_int_equal(strlen(buf), 19);
	assert_string_equal(buf + 16, "...");
}

int
main(void)
{
	char prefix[64];
	/* its own runtime folder: tests (and worktrees) run at once */
	const char *eal[] = {"test_trace", "--no-huge", "-m", "128", "--no-pci", "--no-shconf",
			     "-l", "0", "--log-level", "error", prefix};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bound_and_records),
		cmocka_unit_test(test_filter_chain_port),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_fmt),
		cmocka_unit_test(test_summary),
	};

	snprintf(prefix, sizeof(prefix), "--file-prefix=dptrace%d", (int)getpid());
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
