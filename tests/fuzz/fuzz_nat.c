/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target: frames through the firewall's NAT stage (the class's
 * process(), as a chain runs it) must never crash, read or write out of
 * bounds or leak mbufs, whatever the bytes: truncated and malformed IPv4,
 * TCP, UDP, ICMP headers, ICMP errors quoting (truncated) inner headers,
 * fragments. Built and run with clang (ASan + UBSan) by tests/fuzz/run,
 * seeded with tests/fuzz/nat_seeds (tests/fuzz/nat_seeds.py writes them).
 *
 * Two firewalls with NAT: [0] address-and-port-dependent filtering, one
 * address, port forwards and a 1:1 entry; [1] endpoint-independent, a pool
 * of two addresses in port blocks with a per-subscriber limit (a tiny range:
 * exhaustion is reached). Before the first input each gets a few sessions
 * (UDP, TCP, ICMP echo from 10.81.1.2 out of port a) so inbound frames on
 * port c find mappings to un-NAT.
 *
 * Input: byte 0 = flags, the rest one Ethernet frame.
 *   bit 0: in-port c (outside) instead of a (inside)
 *   bit 1: firewall [1] instead of [0]
 *   bits 2-4: move the clock by that many x 37 s first (timeouts, sweeps)
 * The engine services (dataplane/nfv.h) are nfv_fake's; EAL runs with
 * --no-huge and removes its runtime folder at exit (test_eal.h).
 */
#define ALLOW_EXPERIMENTAL_API 1
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "cfg.h"
#include "fw.h"
#include "nfv.h"
#include "nfv_fake.h"
#include "test_eal.h"
#include "vnf.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_nat_yaml[2] = {
	"name: fw0\n"
	"class: firewall\n"
	"default: drop\n"
	"conntrack: {max: 512, timeouts: {tcp-established: 300, tcp-transitory: 60, "
	"udp: 40, icmp: 30}}\n"
	"nat:\n"
	"  snat:\n"
	"    - {name: masq, in-port: a, from: [10.81.1.0/24], except: [10.81.0.0/16],\n"
	"       outside-port: c, pool: [203.0.113.1]}\n"
	"  dnat:\n"
	"    - {name: web, outside-port: c, proto: tcp, address: 203.0.113.1, port: 8080,\n"
	"       to: \"10.81.1.2:80\"}\n"
	"    - {name: dns, outside-port: c, proto: udp, address: 203.0.113.1, port: 53,\n"
	"       to: \"10.81.1.2:53\"}\n"
	"  static:\n"
	"    - {outside-port: c, external: 198.51.100.10, internal: 10.81.1.3}\n"
	"rules:\n"
	"  - {action: allow, in-port: a, stateful: true}\n"
	"  - {action: allow, in-port: c, proto: tcp, dst: 10.81.1.2/32, dport: 80, "
	"stateful: true}\n"
	"  - {action: allow, in-port: c, proto: udp, dst: 10.81.1.2/32, dport: 53, "
	"stateful: true}\n"
	"  - {action: allow, in-port: c, dst: 10.81.1.3/32, stateful: true}\n"
	"  - {action: allow, in-port: c, proto: icmp}\n",
	"name: fw1\n"
	"class: firewall\n"
	"default: drop\n"
	"conntrack: {max: 256}\n"
	"nat:\n"
	"  filtering: endpoint-independent\n"
	"  snat:\n"
	"    - {name: cgn, in-port: a, from: [10.81.0.0/16], outside-port: c,\n"
	"       pool: [198.51.100.1-198.51.100.2], ports: 1024-1279, port-block: 64,\n"
	"       max-per-subscriber: 128}\n"
	"rules:\n"
	"  - {action: allow, in-port: a, stateful: true}\n"
	"  - {action: allow, in-port: c, dst: 10.81.0.0/16}\n",
};

struct fuzz_fw {
	struct nfv_vnf vnf;
	struct fw_conf *conf;
};

static struct {
	struct nfv_config *cfg;
	struct nfv_worker *w;
	struct rte_ring *punt;
	uint64_t chain_ctr[3];
	uint64_t eng_ctr[NFV_DROP_ENGINE_MAX];
	struct fuzz_fw fw[2];
	uint64_t now_ms;
} F;

static void
fuzz_die(const char *what, const char *why)
{
	fprintf(stderr, "fuzz_nat: %s: %s\n", what, why ? why : "");
	abort();
}

static void
fuzz_fw_up(struct fuzz_fw *f, const char *yaml)
{
	const struct vnf_class *cls = vnf_class_find("firewall");
	struct cfg_errors err = {.file = "fuzz_nat.yaml"};
	struct cfg_node *root = NULL;
	char ebuf[512];

	if (cls == NULL)
		fuzz_die("class", "no firewall");
	if (cfg_load_string("fuzz_nat.yaml", yaml, strlen(yaml), &root, &err) != 0 ||
	    fw_config_parse(F.cfg, root, (void **)&f->conf, &err) != 0)
		fuzz_die("config", err.n ? err.msgs[0] : "?");
	cfg_errors_free(&err);
	cfg_free(root);
	snprintf(f->vnf.name, sizeof(f->vnf.name), "fw");
	f->vnf.cls = cls;
	f->vnf.ctr_n = cls->n_counters + cls->n_drops;
	f->vnf.ctr_stride = RTE_ALIGN_CEIL(f->vnf.ctr_n, 8u);
	f->vnf.ctr = rte_zmalloc(NULL, (size_t)RTE_MAX_LCORE * f->vnf.ctr_stride * 8, 64);
	if (f->vnf.ctr == NULL)
		fuzz_die("counters", "no memory");
	if (cls->create(&f->vnf, F.cfg, f->conf, ebuf, sizeof(ebuf)) != 0)
		fuzz_die("create", ebuf);
	f->vnf.conf = f->conf;
}

/* Everything the stage handed on, punted or sent is freed: the pool must
 * end every input as full as it began (a leak shows as an abort). */
/* counter NAME of firewall f (this lcore) */
static uint64_t
fuzz_ctr(const struct fuzz_fw *f, const char *name)
{
	const struct vnf_class *cls = f->vnf.cls;

	for (uint16_t i = 0; i < cls->n_counters; i++)
		if (strcmp(cls->counter_names[i], name) == 0)
			return f->vnf.ctr[(size_t)F.w->lcore * f->vnf.ctr_stride + i];
	fuzz_die("counter", name);
	return 0;
}

static void
fuzz_release(struct rte_mbuf **m, uint16_t n)
{
	struct rte_mbuf *p;

	for (uint16_t i = 0; i < n; i++)
		rte_pktmbuf_free(m[i]);
	while (rte_ring_dequeue(F.punt, (void **)&p) == 0)
		rte_pktmbuf_free(p);
	nfv_fake_sent_free();
	nfv_drop_flush(F.w);
}

static void
fuzz_frame(struct fuzz_fw *f, uint16_t in_port, const uint8_t *d, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(nfv_fake.pool);
	uint8_t *p;
	uint16_t n;

	if (m == NULL)
		fuzz_die("mbuf", "pool empty (a leak)");
	if (len > rte_pktmbuf_tailroom(m))
		len = rte_pktmbuf_tailroom(m);
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	if (len)
		memcpy(p, d, len);
	nfv_meta(m)->in_port = in_port;
	nfv_meta(m)->out_port = 0;
	F.w->now_tsc = rte_rdtsc();
	n = f->vnf.cls->process(&f->vnf, F.w, &m, 1);
	fuzz_release(&m, n);
}

/* At exit the firewalls go as a chain's would: what they keep outside DPDK
 * memory (which LeakSanitizer does not scan) is freed, so a leak report
 * names a real leak. */
static void
fuzz_down(void)
{
	for (int i = 0; i < 2; i++) {
		struct fuzz_fw *f = &F.fw[i];

		if (f->vnf.cls == NULL)
			continue;
		f->vnf.cls->destroy(&f->vnf);
		fw_config_free(f->conf);
		rte_free(f->vnf.ctr);
		f->vnf.cls = NULL;
	}
}

/* a valid IPv4 frame (checksums right) from src to dst */
static size_t
fuzz_mk(uint8_t *b, uint8_t proto, const char *src, const char *dst, uint16_t sport,
	uint16_t dport, uint8_t tcp_flags)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(b + 14);
	uint8_t *l4 = b + 34;
	uint16_t l4len = proto == IPPROTO_TCP ? 20 : 8;

	memset(b, 0, 14 + 20 + l4len);
	b[0] = 0x02, b[5] = 0x01, b[6] = 0x02, b[11] = 0x02, b[12] = 0x08;
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(20 + l4len);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	inet_pton(AF_INET, src, &ip->src_addr);
	inet_pton(AF_INET, dst, &ip->dst_addr);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	if (proto == IPPROTO_ICMP) {
		l4[0] = 8; /* echo request, id sport */
		l4[4] = sport >> 8, l4[5] = sport & 0xff;
		uint16_t c = rte_raw_cksum(l4, 8);
		c = c == 0xffff ? c : ~c;
		memcpy(l4 + 2, &c, 2);
		return 14 + 20 + 8;
	}
	l4[0] = sport >> 8, l4[1] = sport & 0xff, l4[2] = dport >> 8, l4[3] = dport & 0xff;
	if (proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)l4;

		t->sent_seq = rte_cpu_to_be_32(1000);
		t->data_off = 5 << 4;
		t->tcp_flags = tcp_flags;
		t->rx_win = rte_cpu_to_be_16(1024);
		t->cksum = rte_ipv4_udptcp_cksum(ip, t);
	} else {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)l4;

		u->dgram_len = rte_cpu_to_be_16(8);
		u->dgram_cksum = rte_ipv4_udptcp_cksum(ip, u);
	}
	return 14 + 20 + l4len;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char prefix[64];
	char *eal[] = {"fuzz_nat",   "--no-huge", "-m",	      "128", "--no-pci",
		       "--no-shconf", prefix,	   "--log-level=*:error", "-l", "0"};
	const char *names[] = {"a", "c"};
	uint8_t b[128];

	(void)argc;
	(void)argv;
	snprintf(prefix, sizeof(prefix), "--file-prefix=fuzznat%d", (int)getpid());
	if (test_eal_init(RTE_DIM(eal), eal) < 0)
		fuzz_die("EAL", "init failed");
	if (nfv_meta_register() < 0)
		fuzz_die("meta", "register failed");
	nfv_fake.pool = rte_pktmbuf_pool_create("fuzznat", 1023, 0, 0,
						RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	F.punt = rte_ring_create("fuzznatpunt", 64, SOCKET_ID_ANY,
				 RING_F_SP_ENQ | RING_F_SC_DEQ);
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	nfv_fake.rcu = rte_zmalloc(NULL, sz, RTE_CACHE_LINE_SIZE);
	if (nfv_fake.pool == NULL || F.punt == NULL || nfv_fake.rcu == NULL ||
	    rte_rcu_qsbr_init(nfv_fake.rcu, 1) != 0)
		fuzz_die("EAL", "pool, ring or RCU");
	F.cfg = calloc(1, sizeof(*F.cfg));
	if (F.cfg == NULL)
		fuzz_die("cfg", "no memory");
	for (int i = 0; i < 2; i++) {
		snprintf(F.cfg->ports[i].name, NFV_NAME_MAX, "%s", names[i]);
		F.cfg->ports[i].driver = NFV_PORT_TAP;
	}
	F.cfg->n_ports = 2;
	snprintf(F.cfg->file, sizeof(F.cfg->file), "fuzz_nat.yaml");
	snprintf(F.cfg->dir, sizeof(F.cfg->dir), ".");
	F.w = rte_zmalloc(NULL, sizeof(*F.w), 64);
	if (F.w == NULL)
		fuzz_die("worker", "no memory");
	F.w->lcore = rte_lcore_id();
	F.w->punt = F.punt;
	F.w->chain_ctr = F.chain_ctr;
	F.w->eng_ctr = F.eng_ctr;
	F.now_ms = 1000000;
	nfv_fake.now_ms = F.now_ms;
	atexit(fuzz_down);
	for (int i = 0; i < 2; i++) {
		fuzz_fw_up(&F.fw[i], fuzz_nat_yaml[i]);
		/* sessions to find from outside: UDP, TCP (SYN), ICMP echo */
		fuzz_frame(&F.fw[i], 0, b,
			   fuzz_mk(b, IPPROTO_UDP, "10.81.1.2", "203.0.113.2", 40000, 7002, 0));
		fuzz_frame(&F.fw[i], 0, b,
			   fuzz_mk(b, IPPROTO_TCP, "10.81.1.2", "203.0.113.2", 40001, 80, 0x02));
		fuzz_frame(&F.fw[i], 0, b,
			   fuzz_mk(b, IPPROTO_ICMP, "10.81.1.2", "203.0.113.2", 7, 0, 0));
		/* the inputs must meet the NAT, not a firewall without one */
		if (fuzz_ctr(&F.fw[i], "nat-snat-new") != 3)
			fuzz_die("setup", "the three sessions were not translated");
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned int avail;
	struct fuzz_fw *f;

	if (size < 1)
		return 0;
	if (avail == 0)
		avail = rte_mempool_avail_count(nfv_fake.pool);
	f = &F.fw[(data[0] >> 1) & 1];
	F.now_ms += (uint64_t)((data[0] >> 2) & 7) * 37000;
	nfv_fake.now_ms = F.now_ms;
	if (f->vnf.cls->tick != NULL)
		f->vnf.cls->tick(&f->vnf, F.now_ms);
	fuzz_frame(f, data[0] & 1, data + 1, size - 1);
	if (rte_mempool_avail_count(nfv_fake.pool) != avail)
		fuzz_die("mbufs", "the stage kept or lost an mbuf");
	return 0;
}
