/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of the built-in classes (forward, drop, counter, mac-rewrite,
 * capture): parse a chain file, create each instance, run process() on
 * crafted mbufs and check what a user would see (ports, MACs, counters,
 * drop reasons, a pcapng file tshark reads back).
 *
 * The engine's services are nfv_fake's (the engine library is not linked):
 * packets "sent" stay in w->tx[port], drops are freed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_rcu_qsbr.h>

#include "nfv_fake.h"
#include "test_eal.h"

#define TB_PORT_BASE 3 /* nfv_port_id(): DPDK id = chain file index + 3 */

/* ---- fixture ---- */

struct tb_state {
	struct rte_mempool *pool;
	struct nfv_worker *w;
	uint64_t chain_ctr[3];
	char dir[64];
	char file[96];
	struct nfv_config *cfg;
};

static struct tb_state tb;

static const struct rte_ether_addr tb_src = {{0x02, 0, 0, 0, 0, 0xaa}};
static const struct rte_ether_addr tb_dst = {{0x02, 0, 0, 0, 0, 0xbb}};

static int
tb_setup(void **state)
{
	char *argv[] = {"test_builtin", "--no-huge", "-m",		   "256",
			"--no-pci",	"--no-shconf", "-l", "0", "--log-level=error",
			"--vdev=net_null0", NULL};
	int argc = (int)RTE_DIM(argv) - 1;

	(void)state;
	if (test_eal_init(argc, argv) < 0)
		return -1;
	if (nfv_meta_register() < 0)
		return -1;
	/* no worker is registered: a grace period ends at once */
	nfv_fake.port_base = TB_PORT_BASE;
	nfv_fake.rcu = rte_zmalloc("tb_rcu", rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	if (nfv_fake.rcu == NULL || rte_rcu_qsbr_init(nfv_fake.rcu, 1) != 0)
		return -1;
	tb.pool = rte_pktmbuf_pool_create("tb_pool", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  SOCKET_ID_ANY);
	tb.w = rte_zmalloc("tb_worker", sizeof(*tb.w), RTE_CACHE_LINE_SIZE);
	if (tb.pool == NULL || tb.w == NULL)
		return -1;
	tb.w->lcore = rte_lcore_id();
	tb.w->idx = 0;
	tb.w->chain_ctr = tb.chain_ctr;
	return 0;
}

static int
tb_teardown(void **state)
{
	(void)state;
	rte_free(tb.w);
	rte_free(nfv_fake.rcu);
	rte_mempool_free(tb.pool);
	rte_eal_cleanup();
	return 0;
}

/* Write text to a fresh folder's chain.yaml and load it. */
static int
tb_load(const char *text, struct cfg_errors *err)
{
	FILE *f;
	int ret;

	snprintf(tb.dir, sizeof(tb.dir), "/tmp/nfvbi-XXXXXX");
	assert_non_null(mkdtemp(tb.dir));
	snprintf(tb.file, sizeof(tb.file), "%s/chain.yaml", tb.dir);
	f = fopen(tb.file, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	ret = nfv_config_load(tb.file, &tb.cfg, err);
	for (size_t i = 0; ret == 0 && i < err->n; i++)
		print_message("unexpected: %s\n", err->msgs[i]);
	if (ret < 0 && err->n != 1)
		cfg_errors_print(err, stderr);
	return ret;
}

static void
tb_unload(void)
{
	nfv_config_free(tb.cfg);
	tb.cfg = NULL;
	unlink(tb.file);
	rmdir(tb.dir);
}

#define TB_HEAD              \
	"version: 1\n"       \
	"ports:\n"           \
	"  - name: a\n"      \
	"    driver: null\n" \
	"  - name: b\n"      \
	"    driver: null\n" \
	"chains: []\n"       \
	"vnfs:\n"

/* An instance as the engine makes it: counters for one lcore row each. */
static struct nfv_vnf *
tb_create(const char *name)
{
	int idx = nfv_config_vnf(tb.cfg, name);
	const struct nfv_vnf_conf *vc;
	struct nfv_vnf *v;
	char err[256] = "";

	assert_true(idx >= 0);
	vc = &tb.cfg->vnfs[idx];
	v = calloc(1, sizeof(*v));
	assert_non_null(v);
	snprintf(v->name, sizeof(v->name), "%s", vc->name);
	v->cls = vnf_class_of(vc->schema);
	assert_non_null(v->cls);
	v->conf = vc->conf;
	v->id = (uint16_t)idx;
	v->ctr_n = v->cls->n_counters + v->cls->n_drops;
	v->ctr_stride = v->ctr_n + 1;
	v->ctr = calloc((size_t)RTE_MAX_LCORE * v->ctr_stride, sizeof(uint64_t));
	assert_non_null(v->ctr);
	assert_int_equal(v->cls->create(v, tb.cfg, v->conf, err, sizeof(err)), 0);
	return v;
}

static void
tb_destroy(struct nfv_vnf *v)
{
	v->cls->destroy(v);
	free(v->ctr);
	free(v);
}

/* Counter or drop reason by name, summed over lcores. */
static uint64_t
tb_counter(const struct nfv_vnf *v, const char *name)
{
	const struct vnf_class *c = v->cls;
	uint64_t sum = 0;
	int idx = -1;

	for (uint16_t i = 0; i < c->n_counters; i++)
		if (strcmp(c->counter_names[i], name) == 0)
			idx = i;
	for (uint16_t i = 0; i < c->n_drops; i++)
		if (strcmp(c->drop_names[i], name) == 0)
			idx = c->n_counters + i;
	assert_true(idx >= 0);
	for (unsigned int l = 0; l < RTE_MAX_LCORE; l++)
		sum += v->ctr[(size_t)l * v->ctr_stride + idx];
	return sum;
}

/* An Ethernet/IPv4/UDP-looking frame of len bytes (payload = byte pattern). */
static struct rte_mbuf *
tb_pkt(uint16_t len, uint8_t seed)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(tb.pool);
	struct rte_ether_hdr *eh;
	uint8_t *p;

	assert_non_null(m);
	p = (uint8_t *)rte_pktmbuf_append(m, len);
	assert_non_null(p);
	for (uint16_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i);
	if (len >= sizeof(*eh)) {
		eh = (struct rte_ether_hdr *)p;
		eh->src_addr = tb_src;
		eh->dst_addr = tb_dst;
		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	}
	m->port = 0;
	return m;
}

/* ---- tests ---- */

static void
test_forward(void **state)
{
	struct cfg_errors err = {0};
	struct rte_mbuf *pkts[4];
	struct nfv_vnf *v;

	(void)state;
	assert_int_equal(tb_load(TB_HEAD "  - name: f\n"
					 "    class: forward\n"
					 "    port: b\n",
				 &err),
			 0);
	v = tb_create("f");
	for (int i = 0; i < 4; i++)
		pkts[i] = tb_pkt(64, (uint8_t)i);
	assert_int_equal(v->cls->process(v, tb.w, pkts, 4), 0); /* nothing continues */
	assert_int_equal(tb.w->tx[1 + TB_PORT_BASE].n, 4);	/* all queued on port b */
	for (int i = 0; i < 4; i++)
		assert_ptr_equal(tb.w->tx[1 + TB_PORT_BASE].pkts[i], pkts[i]);
	assert_int_equal(tb.w->tx[0 + TB_PORT_BASE].n, 0);
	nfv_txq_flush(tb.w, 1 + TB_PORT_BASE);
	tb_destroy(v);
	tb_unload();
	cfg_errors_free(&err);
}

static void
test_forward_config_errors(void **state)
{
	struct cfg_errors err = {0};
	char want[256];

	(void)state;
	assert_int_equal(tb_load(TB_HEAD "  - name: f\n"
					 "    class: forward\n"
					 "    port: c\n",
				 &err),
			 -EINVAL);
	assert_int_equal(err.n, 1);
	snprintf(want, sizeof(want), "%s:11:11: vnfs[f].port: no port named 'c'", tb.file);
	assert_string_equal(err.msgs[0], want);
	tb_unload();
	cfg_errors_free(&err);
	assert_int_equal(tb_load(TB_HEAD "  - name: f\n"
					 "    class: forward\n",
				 &err),
			 -EINVAL);
	assert_int_equal(err.n, 1);
	snprintf(want, sizeof(want), "%s:9:5: vnfs[f]: missing required key 'port'", tb.file);
	assert_string_equal(err.msgs[0], want);
	tb_unload();
	cfg_errors_free(&err);
}

static void
test_drop(void **state)
{
	struct cfg_errors err = {0};
	struct rte_mbuf *pkts[5];
	struct nfv_vnf *v;

	(void)state;
	memset(tb.chain_ctr, 0, sizeof(tb.chain_ctr));
	assert_int_equal(tb_load(TB_HEAD "  - name: d\n"
					 "    class: drop\n",
				 &err),
			 0);
	v = tb_create("d");
	for (int i = 0; i < 5; i++)
		pkts[i] = tb_pkt(60, 0);
	assert_int_equal(v->cls->process(v, tb.w, pkts, 5), 0);
	assert_int_equal(tb.w->n_drop, 5);
	assert_int_equal(tb_counter(v, "policy"), 5);
	assert_int_equal(tb.chain_ctr[2], 5);
	nfv_drop_flush(tb.w);
	tb_destroy(v);
	tb_unload();
}

static void
test_counter(void **state)
{
	struct cfg_errors err = {0};
	struct rte_mbuf *pkts[3];
	struct nfv_vnf *v;

	(void)state;
	assert_int_equal(tb_load(TB_HEAD "  - name: c\n"
					 "    class: counter\n",
				 &err),
			 0);
	v = tb_create("c");
	pkts[0] = tb_pkt(60, 0);
	pkts[1] = tb_pkt(100, 0);
	pkts[2] = tb_pkt(1514, 0);
	assert_int_equal(v->cls->process(v, tb.w, pkts, 3), 3); /* all continue, in order */
	assert_int_equal(rte_pktmbuf_pkt_len(pkts[2]), 1514);
	assert_int_equal(v->cls->process(v, tb.w, pkts, 1), 1);
	assert_int_equal(tb_counter(v, "packets"), 4);
	assert_int_equal(tb_counter(v, "bytes"), 60 + 100 + 1514 + 60);
	rte_pktmbuf_free_bulk(pkts, 3);
	tb_destroy(v);
	tb_unload();
}

static void
test_mac_rewrite(void **state)
{
	static const struct rte_ether_addr new_dst = {{0x02, 0x11, 0x22, 0x33, 0x44, 0x55}};
	struct cfg_errors err = {0};
	struct rte_mbuf *pkts[3], *orig[3];
	uint8_t before[128];
	struct nfv_vnf *v;

	(void)state;
	memset(tb.chain_ctr, 0, sizeof(tb.chain_ctr));
	assert_int_equal(tb_load(TB_HEAD "  - name: m\n"
					 "    class: mac-rewrite\n"
					 "    dst: 02:11:22:33:44:55\n",
				 &err),
			 0);
	v = tb_create("m");
	orig[0] = pkts[0] = tb_pkt(128, 7);
	orig[1] = pkts[1] = tb_pkt(10, 7); /* a runt: no Ethernet header */
	orig[2] = pkts[2] = tb_pkt(64, 9);
	memcpy(before, rte_pktmbuf_mtod(pkts[0], uint8_t *), sizeof(before));
	assert_int_equal(v->cls->process(v, tb.w, pkts, 3), 2);
	assert_ptr_equal(pkts[0], orig[0]);
	assert_ptr_equal(pkts[1], orig[2]); /* compacted */
	for (int i = 0; i < 2; i++) {
		const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(pkts[i], struct rte_ether_hdr *);

		assert_memory_equal(&eh->dst_addr, &new_dst, RTE_ETHER_ADDR_LEN);
		assert_memory_equal(&eh->src_addr, &tb_src, RTE_ETHER_ADDR_LEN);
	}
	/* exactly the destination MAC changed, nothing else */
	assert_memory_equal(rte_pktmbuf_mtod(pkts[0], uint8_t *) + 6, before + 6,
			    sizeof(before) - 6);
	assert_int_equal(tb_counter(v, "runt"), 1);
	assert_int_equal(tb.w->n_drop, 1);
	nfv_drop_flush(tb.w);
	rte_pktmbuf_free_bulk(pkts, 2);
	tb_destroy(v);
	tb_unload();
}

static void
test_mac_rewrite_needs_a_mac(void **state)
{
	struct cfg_errors err = {0};
	char want[256];

	(void)state;
	assert_int_equal(tb_load(TB_HEAD "  - name: m\n"
					 "    class: mac-rewrite\n",
				 &err),
			 -EINVAL);
	assert_int_equal(err.n, 1);
	snprintf(want, sizeof(want), "%s:9:5: vnfs[m]: mac-rewrite needs src, dst or both",
		 tb.file);
	assert_string_equal(err.msgs[0], want);
	tb_unload();
	cfg_errors_free(&err);
}

/* mac-rewrite's src is the frames' sender: a unicast, non-zero address */
static void
test_mac_rewrite_src_unicast(void **state)
{
	struct cfg_errors err = {0};
	char want[256];

	(void)state;
	assert_int_equal(tb_load(TB_HEAD "  - name: m\n"
					 "    class: mac-rewrite\n"
					 "    src: '01:00:5e:00:00:01'\n",
				 &err),
			 -EINVAL);
	assert_int_equal(err.n, 1);
	snprintf(want, sizeof(want),
		 "%s:11:10: vnfs[m].src: a multicast address cannot be a sender's address",
		 tb.file);
	assert_string_equal(err.msgs[0], want);
	tb_unload();
	cfg_errors_free(&err);
	memset(&err, 0, sizeof(err));
	assert_int_equal(tb_load(TB_HEAD "  - name: m\n"
					 "    class: mac-rewrite\n"
					 "    src: '00:00:00:00:00:00'\n",
				 &err),
			 -EINVAL);
	assert_int_equal(err.n, 1);
	snprintf(want, sizeof(want),
		 "%s:11:10: vnfs[m].src: 00:00:00:00:00:00 is not a sender's address", tb.file);
	assert_string_equal(err.msgs[0], want);
	tb_unload();
	cfg_errors_free(&err);
}

/* A second chain file in the case's folder: the "apply" of a new conf. */
static struct nfv_config *
tb_load_next(const char *text)
{
	struct cfg_errors err = {0};
	struct nfv_config *cfg = NULL;
	char file[128];
	FILE *f;

	snprintf(file, sizeof(file), "%s/next.yaml", tb.dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(nfv_config_load(file, &cfg, &err), 0);
	unlink(file);
	cfg_errors_free(&err);
	return cfg;
}

static void
test_reconfigure(void **state)
{
	static const struct rte_ether_addr mac2 = {{0x02, 0, 0, 0, 0x22, 0x22}};
	struct cfg_errors err = {0};
	struct nfv_config *next;
	struct nfv_vnf *f, *m;
	struct rte_mbuf *pkt;
	char why[128] = "";

	(void)state;
	assert_int_equal(tb_load(TB_HEAD "  - name: f\n"
					 "    class: forward\n"
					 "    port: b\n"
					 "  - name: m\n"
					 "    class: mac-rewrite\n"
					 "    src: 02:00:00:00:11:11\n",
				 &err),
			 0);
	f = tb_create("f");
	m = tb_create("m");
	next = tb_load_next(TB_HEAD "  - name: f\n"
				    "    class: forward\n"
				    "    port: a\n"
				    "  - name: m\n"
				    "    class: mac-rewrite\n"
				    "    dst: 02:00:00:00:22:22\n");
	assert_non_null(f->cls->reconfigure);
	assert_int_equal(f->cls->reconfigure(f, next, next->vnfs[0].conf, why, sizeof(why)), 0);
	assert_int_equal(m->cls->reconfigure(m, next, next->vnfs[1].conf, why, sizeof(why)), 0);

	/* mac-rewrite now sets only the destination */
	pkt = tb_pkt(64, 0);
	assert_int_equal(m->cls->process(m, tb.w, &pkt, 1), 1);
	assert_memory_equal(&rte_pktmbuf_mtod(pkt, struct rte_ether_hdr *)->dst_addr, &mac2,
			    RTE_ETHER_ADDR_LEN);
	assert_memory_equal(&rte_pktmbuf_mtod(pkt, struct rte_ether_hdr *)->src_addr, &tb_src,
			    RTE_ETHER_ADDR_LEN);
	/* forward now sends to port a */
	assert_int_equal(f->cls->process(f, tb.w, &pkt, 1), 0);
	assert_int_equal(tb.w->tx[0 + TB_PORT_BASE].n, 1);
	assert_int_equal(tb.w->tx[1 + TB_PORT_BASE].n, 0);
	nfv_txq_flush(tb.w, 0 + TB_PORT_BASE);
	tb_destroy(f);
	tb_destroy(m);
	nfv_config_free(next);
	tb_unload();
}

/* Read the capture back with tshark: one "length" line per packet. */
static void
tb_tshark_lengths(const char *file, unsigned int *n, unsigned int lens[], unsigned int max)
{
	char cmd[512], line[64];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "tshark -r '%s' -T fields -e frame.len 2>/dev/null", file);
	p = popen(cmd, "r");
	assert_non_null(p);
	*n = 0;
	while (fgets(line, sizeof(line), p) != NULL)
		if (*n < max)
			lens[(*n)++] = (unsigned int)strtoul(line, NULL, 10);
	assert_int_equal(pclose(p), 0);
}

static void
test_capture(void **state)
{
	static const uint16_t sizes[] = {60, 128, 1000, 1514};
	struct cfg_errors err = {0};
	struct rte_mbuf *pkts[4];
	unsigned int n, lens[16];
	char pcap[128];
	struct nfv_vnf *v;

	(void)state;
	if (access("/usr/bin/tshark", X_OK) != 0)
		skip();
	assert_int_equal(tb_load(TB_HEAD "  - name: cap\n"
					 "    class: capture\n"
					 "    file: out.pcapng\n",
				 &err),
			 0);
	snprintf(pcap, sizeof(pcap), "%s/out.pcapng", tb.dir); /* relative to the YAML */
	v = tb_create("cap");
	for (int i = 0; i < 4; i++)
		pkts[i] = tb_pkt(sizes[i], (uint8_t)i);
	tb.w->now_tsc = rte_get_tsc_cycles();
	assert_int_equal(v->cls->process(v, tb.w, pkts, 4), 4); /* originals continue */
	for (int i = 0; i < 4; i++)
		assert_int_equal(rte_pktmbuf_pkt_len(pkts[i]), sizes[i]);
	assert_int_equal(v->cls->process(v, tb.w, pkts, 2), 2);
	assert_int_equal(tb_counter(v, "capture-full"), 0);
	v->cls->tick(v, 0); /* the control thread writes */
	tb_destroy(v);	    /* closes the file */
	rte_pktmbuf_free_bulk(pkts, 4);

	tb_tshark_lengths(pcap, &n, lens, RTE_DIM(lens));
	assert_int_equal(n, 6);
	for (unsigned int i = 0; i < 4; i++)
		assert_int_equal(lens[i], sizes[i]);
	assert_int_equal(lens[4], sizes[0]);
	assert_int_equal(lens[5], sizes[1]);
	unlink(pcap);
	tb_unload();
}

static void
test_capture_snaplen(void **state)
{
	struct cfg_errors err = {0};
	char cmd[512], line[64], pcap[128];
	struct rte_mbuf *m;
	struct nfv_vnf *v;
	FILE *p;

	(void)state;
	if (access("/usr/bin/tshark", X_OK) != 0)
		skip();
	assert_int_equal(tb_load(TB_HEAD "  - name: cap\n"
					 "    class: capture\n"
					 "    file: s.pcapng\n"
					 "    snaplen: 100\n",
				 &err),
			 0);
	snprintf(pcap, sizeof(pcap), "%s/s.pcapng", tb.dir);
	v = tb_create("cap");
	m = tb_pkt(1000, 1);
	assert_int_equal(v->cls->process(v, tb.w, &m, 1), 1);
	v->cls->tick(v, 0);
	tb_destroy(v);
	rte_pktmbuf_free(m);
	/* original length 1000, 100 bytes kept */
	snprintf(cmd, sizeof(cmd),
		 "tshark -r '%s' -T fields -e frame.len -e frame.cap_len 2>/dev/null", pcap);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	assert_string_equal(line, "1000\t100\n");
	assert_null(fgets(line, sizeof(line), p));
	assert_int_equal(pclose(p), 0);
	unlink(pcap);
	tb_unload();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forward),
		cmocka_unit_test(test_forward_config_errors),
		cmocka_unit_test(test_drop),
		cmocka_unit_test(test_counter),
		cmocka_unit_test(test_mac_rewrite),
		cmocka_unit_test(test_mac_rewrite_needs_a_mac),
		cmocka_unit_test(test_mac_rewrite_src_unicast),
		cmocka_unit_test(test_reconfigure),
		cmocka_unit_test(test_capture),
		cmocka_unit_test(test_capture_snaplen),
	};

	return cmocka_run_group_tests(tests, tb_setup, tb_teardown);
}
