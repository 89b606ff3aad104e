/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-gen - DPDK traffic generator and receiver for nfv-bench.
 *
 *   nfv-gen [EAL args] -- --stream tx=0,rx=1,src=10.0.0.1,dst=10.1.0.1 [...]
 *           [--trial JSON]          one trial, print its JSON result, exit
 *   (no --trial)                    JSON commands on stdin, one per line:
 *       {"cmd":"info"} {"cmd":"wait-link","timeout_ms":5000}
 *       {"cmd":"trial","rate_pps":1e6,"duration_ms":1000,"size":64|"imix",
 *        "flows":1024,"count":0,"drain_ms":100,"gap_us":50,"gap_slack_us":0,
 *        "ring_slots":1024}
 *       (gap_us: a loop turn later than this is a scheduling gap of the
 *       measuring side; gap_slack_us: how long after a gap a hole in a
 *       stream's sequence counts as the gap's, 0 = from the rate; see
 *       gen_gap.h; ring_slots: the links' ring size, how long a gap must be
 *       to lose anything)
 *   --peer-gaps PATH: the reflector's gap log (the self-check's peer on the
 *       measuring side): holes right after its gaps count as the measuring
 *       side's too (gen_gaplog.h); trials report "peer_gaps"
 *       {"cmd":"quit"}
 *   --rxq N: receive queues per port (default 2, see gen_state.rxq)
 *   nfv-gen [EAL args] -- --loop 0:1,1:0 [--police-pps R]
 *           [--police-depth-ms MS]
 *       reflector: forward rx of port a to port b, dropping what exceeds
 *       R packets/s per direction (a DUT with a capacity fixed on purpose:
 *       a token bucket MS deep, default 10 ms, to ride out scheduling);
 *       prints its counters as JSON on SIGINT/SIGTERM.
 *       --gap-log PATH: write each of its scheduling gaps to PATH (shared,
 *       read by the generator's --peer-gaps)
 *
 * One lcore does everything: TSC-paced transmit bursts and receive polling
 * in the same loop, so the trial's figures include the generator's limits;
 * nfv-bench measures them first (self-check) with a plain loop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_ring.h>
#include <rte_version.h>

#include "gen_gap.h"
#include "gen_gaplog.h"
#include "gen_hist.h"
#include "gen_link.h"
#include "gen_pkt.h"
#include "gen_rc.h"
#include "gen_seq.h"

#define GEN_MAX_PORTS 8
#define GEN_MAX_STREAMS 16
#define GEN_MAX_FLOWS 65536
#define GEN_BURST 32
/* With recycle (and in the reflector), up to this many per enqueue and
 * dequeue on a shared ring: each call moves the ring's head and tail lines
 * between the cores (a round trip of ~1,000 cycles on a machine whose cores
 * share no cache), so fewer, larger calls leave the DUT's side of the ring
 * in its own cache for longer. Without recycle, frames are allocated and
 * freed 32 at a time (larger bulks miss the mempool's per-core cache). */
#define GEN_RING_BURST 256
/* With recycle, the generator touches a ring's head and tail lines (which
 * the DUT's core writes at every burst) as seldom as it can: it sends when
 * GEN_RC_BATCH frames are due or GEN_RC_HOLD_US after its last send (or
 * after a refusal by a full ring), and polls its receive rings at most
 * every GEN_RC_POLL_US. A frame's latency counts from its actual send. */
#define GEN_RC_BATCH 64
#define GEN_RC_HOLD_US 2
#define GEN_RC_POLL_US 1
/* frames whose data the receive loop prefetches ahead */
#define GEN_RX_PREFETCH 4
#define GEN_RXQ_MAX 8
#define GEN_RXD 1024
#define GEN_TXD 1024
#define GEN_NB_MBUF 65535
#define GEN_TMPL_LEN 64 /* header bytes kept per template (>= GEN_HDR6_LEN) */
#define GEN_IMIX_LEN 12
#define GEN_POLICE_DEPTH_MIN 64 /* packets */
#define GEN_GAP_US 50		/* default gap threshold */
#define GEN_GAP_SLACK_MIN_US 2000
#define GEN_GAP_SLACK_MAX_US 50000

static const uint16_t gen_imix[GEN_IMIX_LEN] = {64,   594, 64,	64, 594, 64,
						1518, 64,  594, 64, 64,	 594};

struct gen_port {
	uint16_t id;
	struct rte_ether_addr mac;
	char name[RTE_ETH_NAME_MAX_LEN];
	uint16_t nrxq;
	uint64_t arp_replies;
	/* a shared-ring link (gen_link.h) instead of an ethdev */
	struct rte_ring *ring_rx, *ring_tx;
	/* loop mode */
	int peer; /* -1: not forwarded */
	uint64_t loop_rx, loop_tx, loop_policed, loop_tx_dropped;
	double tokens;
	uint64_t last_tsc;
};

struct gen_stream {
	uint16_t tx_port, rx_port;
	struct gen_l3 l3;
	uint8_t *tmpl; /* [n_sizes][flows][GEN_TMPL_LEN] */
	unsigned int hdr_len;
	/* per trial */
	uint64_t tx, tx_refused, tx_bytes, misrouted;
	uint32_t next_seq;
	unsigned int k, f;		 /* size index and flow of the next frame */
	uint16_t len[GEN_IMIX_LEN]; /* frame bytes without FCS, per size index */
	bool done;
	struct gen_seq seq;
	struct gen_hist lat;
	/* recycle: frames of this stream received, kept to send again */
	struct gen_rc_stack keep;
	uint64_t tx_kept; /* of tx, sent as the DUT left them */
	uint64_t last_send; /* TSC of its last send (recycle batching) */
	/* recycle: frames of its schedule not sent because it fell more than
	 * half a ring behind (a gap of this lcore): never sent, not offered */
	uint64_t skipped;
	bool refused_last;  /* its last send was refused in part */
};

struct gen_trial {
	double rate_pps; /* aggregate over streams, 0 = as fast as possible */
	uint64_t duration_ms;
	uint64_t count; /* packets per stream; 0 = by duration */
	uint64_t drain_ms;
	unsigned int flows;
	unsigned int n_sizes;
	uint16_t sizes[GEN_IMIX_LEN]; /* pattern, repeated */
	bool imix;
	double gap_us, gap_slack_us;
	unsigned int ring_slots; /* the links' ring size: how long a gap can be lossless */
	/* 0, or: send received frames again, rewritten from the template
	 * every `recycle` sends (gen_rc.h; shared-ring links only) */
	unsigned int recycle;
};

struct gen_state {
	struct rte_mempool *pool;
	unsigned int n_ports;
	struct gen_port ports[GEN_MAX_PORTS];
	unsigned int n_streams;
	struct gen_stream streams[GEN_MAX_STREAMS];
	uint64_t hz;
	double ns_per_tsc;
	uint64_t ns_mult; /* ns per cycle << GEN_NS_SHIFT */
	volatile sig_atomic_t stop;
	bool loop;
	double police_pps;
	double police_depth;
	double police_depth_ms; /* bucket depth in time at the police rate */
	/* Queues per port: the generator receives on rxq queues (a DUT may
	 * send on any of its tx queues: OVS and nfvd use one per forwarding
	 * thread plus one for the control thread); the reflector offers rxq tx
	 * queues. Over memif the client's rx queue count is the number of
	 * server-to-client rings: it must equal the server's tx queues, or the
	 * server's packets on the missing rings are dropped. */
	uint16_t rxq;
	/* wiring ring: the shared-ring links, one per port, in port order
	 * (gen_link.h); their ring size (slots) */
	unsigned int n_ring_links;
	const char *ring_links[GEN_MAX_PORTS];
	unsigned int ring_size;
	const char *trial_json;
	uint64_t foreign, alloc_fail;
	struct gen_gap gap; /* this lcore's scheduling gaps (trial or reflector) */
	uint64_t cpu_ns; /* the lcore's CPU time in the trial's sending phase */
	/* the reflector's gap log (--gap-log, written) and the generator's
	 * view of its peer's (--peer-gaps, read; mapped at the first trial
	 * after the file appears) */
	const char *gap_log_path, *peer_gaps_path;
	struct gen_gaplog *gap_log;
	const struct gen_gaplog *peer_gaps;
	uint64_t trial_t0, trial_t1; /* TSC window of the last trial, for the peer's gaps */
	/* per-frame records of the pool (recycle; set up when every port
	 * is a shared-ring link and the pool is one array) */
	struct gen_rc rc;
	bool rc_ok;
	unsigned int recycle; /* the running trial's */
};

static struct gen_state gen = {.police_depth_ms = 10, .rxq = 2, .ring_size = GEN_RXD};

static void
gen_on_signal(int sig)
{
	(void)sig;
	gen.stop = 1;
}

/* ---------------------------------------------------------------- args */

static int
gen_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6], i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		if (b[i] > 255)
			return -EINVAL;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

static int
gen_parse_ip(const char *s, struct gen_l3 *l3, bool src)
{
	struct in_addr a4;
	int v6 = strchr(s, ':') != NULL;

	if (v6) {
		if (inet_pton(AF_INET6, s, src ? l3->sip6 : l3->dip6) != 1)
			return -EINVAL;
	} else {
		if (inet_pton(AF_INET, s, &a4) != 1)
			return -EINVAL;
		if (src)
			l3->sip4 = ntohl(a4.s_addr);
		else
			l3->dip4 = ntohl(a4.s_addr);
	}
	l3->v6 = v6;
	return 0;
}

/* tx=P,rx=P,src=IP,dst=IP[,dmac=MAC][,sport=N][,dport=N][,mirror=1] */
static int
gen_parse_stream(char *spec)
{
	struct gen_stream *s;
	char *tok, *save = NULL, *val;
	bool have_src = false, have_dst = false, v6_src = false;
	int rc = 0;

	if (gen.n_streams == GEN_MAX_STREAMS) {
		fprintf(stderr, "nfv-gen: --stream: at most %d streams\n", GEN_MAX_STREAMS);
		return -E2BIG;
	}
	s = &gen.streams[gen.n_streams];
	memset(s, 0, sizeof(*s));
	s->tx_port = 0;
	s->rx_port = 1;
	s->l3.sport = 1024;
	s->l3.dport = 5001;
	gen_parse_mac("02:4e:46:00:00:fe", s->l3.dmac);
	for (tok = strtok_r(spec, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		val = strchr(tok, '=');
		if (!val) {
			rc = -EINVAL;
			break;
		}
		*val++ = '\0';
		if (!strcmp(tok, "tx"))
			s->tx_port = (uint16_t)atoi(val);
		else if (!strcmp(tok, "rx"))
			s->rx_port = (uint16_t)atoi(val);
		else if (!strcmp(tok, "dmac"))
			rc = gen_parse_mac(val, s->l3.dmac);
		else if (!strcmp(tok, "src")) {
			rc = gen_parse_ip(val, &s->l3, true);
			have_src = true;
			v6_src = s->l3.v6;
		} else if (!strcmp(tok, "dst")) {
			rc = gen_parse_ip(val, &s->l3, false);
			have_dst = true;
		} else if (!strcmp(tok, "sport"))
			s->l3.sport = (uint16_t)atoi(val);
		else if (!strcmp(tok, "dport"))
			s->l3.dport = (uint16_t)atoi(val);
		else if (!strcmp(tok, "mirror"))
			s->l3.mirror = atoi(val) != 0;
		else
			rc = -EINVAL;
		if (rc) {
			fprintf(stderr, "nfv-gen: --stream: bad field '%s'\n", tok);
			return rc;
		}
	}
	if (rc || !have_src || !have_dst || v6_src != s->l3.v6) {
		fprintf(stderr, "nfv-gen: --stream needs tx=,rx=,src=,dst= of one IP family\n");
		return -EINVAL;
	}
	gen.n_streams++;
	return 0;
}

static int
gen_parse_loop(char *spec)
{
	char *tok, *save = NULL;
	unsigned int a, b;

	for (tok = strtok_r(spec, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (sscanf(tok, "%u:%u", &a, &b) != 2 || a >= GEN_MAX_PORTS || b >= GEN_MAX_PORTS) {
			fprintf(stderr, "nfv-gen: --loop: expected RX:TX pairs, got '%s'\n", tok);
			return -EINVAL;
		}
		gen.ports[a].peer = (int)b;
	}
	gen.loop = true;
	return 0;
}

static int
gen_parse_args(int argc, char **argv)
{
	int i, rc;

	for (i = 0; i < GEN_MAX_PORTS; i++)
		gen.ports[i].peer = -1;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--stream") && i + 1 < argc) {
			rc = gen_parse_stream(argv[++i]);
		} else if (!strcmp(argv[i], "--loop") && i + 1 < argc) {
			rc = gen_parse_loop(argv[++i]);
		} else if (!strcmp(argv[i], "--police-pps") && i + 1 < argc) {
			gen.police_pps = strtod(argv[++i], NULL);
			rc = gen.police_pps > 0 ? 0 : -EINVAL;
		} else if (!strcmp(argv[i], "--police-depth-ms") && i + 1 < argc) {
			gen.police_depth_ms = strtod(argv[++i], NULL);
			rc = gen.police_depth_ms > 0 ? 0 : -EINVAL;
		} else if (!strcmp(argv[i], "--rxq") && i + 1 < argc) {
			gen.rxq = (uint16_t)atoi(argv[++i]);
			rc = gen.rxq >= 1 && gen.rxq <= GEN_RXQ_MAX ? 0 : -EINVAL;
		} else if (!strcmp(argv[i], "--gap-log") && i + 1 < argc) {
			gen.gap_log_path = argv[++i];
			rc = 0;
		} else if (!strcmp(argv[i], "--peer-gaps") && i + 1 < argc) {
			gen.peer_gaps_path = argv[++i];
			rc = 0;
		} else if (!strcmp(argv[i], "--ring-link") && i + 1 < argc) {
			i++;
			rc = gen.n_ring_links < GEN_MAX_PORTS && argv[i][0] &&
					     strlen(argv[i]) <= GEN_LINK_NAME_MAX
				     ? 0
				     : -EINVAL;
			if (!rc)
				gen.ring_links[gen.n_ring_links++] = argv[i];
			else
				fprintf(stderr,
					"nfv-gen: --ring-link: a name of 1..%d characters, at "
					"most %d links\n",
					GEN_LINK_NAME_MAX, GEN_MAX_PORTS);
		} else if (!strcmp(argv[i], "--ring-size") && i + 1 < argc) {
			gen.ring_size = (unsigned int)atoi(argv[++i]);
			rc = gen.ring_size >= 64 && gen.ring_size <= 65536 ? 0 : -EINVAL;
		} else if (!strcmp(argv[i], "--trial") && i + 1 < argc) {
			gen.trial_json = argv[++i];
			rc = 0;
		} else {
			fprintf(stderr, "nfv-gen: unknown argument '%s'\n", argv[i]);
			rc = -EINVAL;
		}
		if (rc)
			return rc;
	}
	if (!gen.loop && gen.n_streams == 0) {
		fprintf(stderr,
			"nfv-gen: give --stream ... (generator) or --loop A:B (reflector)\n");
		return -EINVAL;
	}
	return 0;
}

/* This thread's CPU time, ns (a syscall: per trial, never per packet). */
static uint64_t
gen_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Add to a trial's result the CPU time of its sending phase and the
 * packets sent and received per second of it: what nfv-gen does on a core
 * of its own, however much of the time the host took the core away. */
static void
gen_cpu_json(json_t *res)
{
	double cpu = (double)gen.cpu_ns / 1e9;
	json_int_t tx = json_integer_value(json_object_get(res, "tx"));
	json_int_t rx = json_integer_value(json_object_get(res, "rx"));

	json_object_set_new(res, "cpu_s", json_real(cpu));
	json_object_set_new(res, "tx_pps_per_cpu", json_real(cpu > 0 ? (double)tx / cpu : 0.0));
	json_object_set_new(res, "rx_pps_per_cpu", json_real(cpu > 0 ? (double)rx / cpu : 0.0));
}

/* --------------------------------------------------------------- ports */

static inline uint16_t
gen_port_rx(const struct gen_port *p, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	if (p->ring_rx)
		return (uint16_t)rte_ring_dequeue_burst(p->ring_rx, (void **)pkts, n, NULL);
	return rte_eth_rx_burst(p->id, q, pkts, n);
}

static inline uint16_t
gen_port_tx(const struct gen_port *p, struct rte_mbuf **pkts, uint16_t n)
{
	if (p->ring_tx)
		return (uint16_t)rte_ring_enqueue_burst(p->ring_tx, (void **)pkts, n, NULL);
	return rte_eth_tx_burst(p->id, 0, pkts, n);
}

/* Port idx over shared-ring link name: no ethdev, always up, a locally
 * administered MAC of its own. */
static int
gen_port_ring(unsigned int idx, const char *name)
{
	struct gen_port *p = &gen.ports[idx];
	int rc;

	rc = gen_link_ring_open(name, gen.loop, gen.ring_size, 10000, &p->ring_rx, &p->ring_tx);
	if (rc)
		return rc;
	p->id = UINT16_MAX;
	p->nrxq = 1;
	snprintf(p->name, sizeof(p->name), "ring:%s", name);
	p->mac = (struct rte_ether_addr){
		.addr_bytes = {0x02, 0x4e, 0x46, (uint8_t)(gen.loop ? 0x4c : 0x47), 0, (uint8_t)idx}};
	return 0;
}

/* Port idx of nfv-gen is ethdev pid (the same number, except over
 * shared-ring links in a secondary process: the DUT's ports come first). */
static int
gen_port_init(unsigned int idx, uint16_t pid)
{
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	struct gen_port *p = &gen.ports[idx];
	uint16_t nrxd = GEN_RXD, ntxd = GEN_TXD, q, ntxq;
	int rc;

	p->id = pid;
	rc = rte_eth_dev_info_get(pid, &info);
	if (rc)
		return rc;
	rte_eth_dev_get_name_by_port(pid, p->name);
	/* generator: rxq receive queues, one transmit queue; reflector (the
	 * memif server side): one receive queue, rxq transmit queues. A memif
	 * server queue without a ring behind it must not be polled. */
	p->nrxq = gen.loop ? 1 : RTE_MAX(RTE_MIN(info.max_rx_queues, gen.rxq), 1);
	ntxq = gen.loop ? RTE_MAX(RTE_MIN(info.max_tx_queues, gen.rxq), 1) : 1;
	rc = rte_eth_dev_configure(pid, p->nrxq, ntxq, &conf);
	if (rc)
		return rc;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrxd, &ntxd);
	if (rc)
		return rc;
	for (q = 0; q < p->nrxq; q++) {
		rc = rte_eth_rx_queue_setup(pid, q, nrxd, rte_eth_dev_socket_id(pid), NULL,
					    gen.pool);
		if (rc)
			return rc;
	}
	for (q = 0; q < ntxq; q++) {
		rc = rte_eth_tx_queue_setup(pid, q, ntxd, rte_eth_dev_socket_id(pid), NULL);
		if (rc)
			return rc;
	}
	rc = rte_eth_dev_start(pid);
	if (rc)
		return rc;
	rte_eth_promiscuous_enable(pid);
	rte_eth_macaddr_get(pid, &p->mac);
	return 0;
}

static bool
gen_links_up(void)
{
	struct rte_eth_link link;
	unsigned int i;

	for (i = 0; i < gen.n_ports; i++) {
		if (gen.ports[i].ring_rx)
			continue;
		if (rte_eth_link_get_nowait(gen.ports[i].id, &link) || !link.link_status)
			return false;
	}
	return true;
}

/* -------------------------------------------------------------- receive */

/* A frame that is not a stamped frame of ours: answer ARP, count the rest.
 * Returns true when m went into reply[]. */
static bool
gen_rx_other(uint16_t pid, struct rte_mbuf *m, struct rte_mbuf **reply, unsigned int *n_reply)
{
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);

	if (gen_pkt_arp_reply(d, rte_pktmbuf_data_len(m), gen.ports[pid].mac.addr_bytes) == 0) {
		reply[(*n_reply)++] = m;
		gen.ports[pid].arp_replies++;
		return true;
	}
	gen.foreign++;
	return false;
}

/* TSC cycles to ns: a multiply and a shift (gen.ns_mult = ns per cycle
 * x 2^GEN_NS_SHIFT); beyond 2^36 cycles (seconds) the double, so the
 * product cannot overflow for any TSC above 16 MHz. */
#define GEN_NS_SHIFT 24

static inline uint64_t
gen_cycles_to_ns(uint64_t c)
{
	if (likely(c < (1ull << 36)))
		return (c * gen.ns_mult) >> GEN_NS_SHIFT;
	return (uint64_t)((double)c * gen.ns_per_tsc);
}

/* One received frame of stream s, numbered seq, sent at tsc: from its
 * stamp, or from its record (recycle). */
static inline void
gen_rx_count(uint16_t pid, struct gen_stream *s, uint32_t seq, uint64_t tsc, uint64_t now)
{
	/* the next number expected; a jump past it is a hole */
	uint64_t next = s->seq.any ? s->seq.max + 1 : 0;

	if (unlikely(s->rx_port != pid))
		s->misrouted++;
	gen_seq_add(&s->seq, seq);
	if (unlikely(s->seq.max > next))
		gen_gap_hole(&gen.gap, now, s->seq.max - next);
	if (likely(now >= tsc))
		gen_hist_add(&s->lat, gen_cycles_to_ns(now - tsc));
}

/* Recycle: a burst received on a shared ring. A frame of nfv-gen's pool
 * that is in flight is counted from its record, without reading it, and
 * kept to send again; the rest (the DUT's own frames: ARP, ICMP errors, or
 * a frame of ours seen twice) is moved to the front of pkts for the usual
 * parsing. Returns how many are left there. */
static unsigned int
gen_rx_recycle(uint16_t pid, struct rte_mbuf **pkts, unsigned int n, uint64_t now)
{
	struct gen_rc_meta *meta[GEN_BURST];
	struct rte_mbuf *full[GEN_BURST];
	unsigned int i, left = 0, n_full = 0;
	struct gen_stream *s;

	for (i = 0; i < n; i++) {
		meta[i] = gen_rc_meta(&gen.rc, pkts[i]);
		if (meta[i])
			rte_prefetch0(meta[i]);
	}
	for (i = 0; i < n; i++) {
		struct gen_rc_meta *r = meta[i];

		if (unlikely(!r || r->stream >= gen.n_streams)) {
			pkts[left++] = pkts[i];
			continue;
		}
		s = &gen.streams[r->stream];
		gen_rx_count(pid, s, r->seq, r->tsc, now);
		r->stream = GEN_RC_IDLE;
		if (unlikely(!gen_rc_push(&s->keep, pkts[i])))
			full[n_full++] = pkts[i]; /* counted; no room to keep it */
	}
	if (n_full)
		rte_pktmbuf_free_bulk(full, n_full);
	return left;
}

/* Up to GEN_BURST frames received on port pid. */
static void
gen_rx_burst(uint16_t pid, struct rte_mbuf **pkts, unsigned int n, uint64_t now)
{
	struct rte_mbuf *reply[GEN_BURST];
	unsigned int i, n_reply = 0, n_free = 0;
	struct gen_stamp st;
	uint16_t sent;

	if (gen.recycle) {
		n = gen_rx_recycle(pid, pkts, n, now);
		if (!n)
			return;
	}
	/* every header of the burst, then the data of the frames
	 * GEN_RX_PREFETCH ahead: over a zero-copy link the DUT's
	 * core wrote both last, and the misses overlap instead of
	 * coming one after the other */
	for (i = 0; i < n; i++)
		rte_prefetch0(pkts[i]);
	for (i = 0; i < n && i < GEN_RX_PREFETCH; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (i + GEN_RX_PREFETCH < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + GEN_RX_PREFETCH], void *));
		if (likely(gen_pkt_parse_fast(rte_pktmbuf_mtod(m, uint8_t *),
					      rte_pktmbuf_data_len(m), &st) == 0 &&
			   st.stream < gen.n_streams))
			gen_rx_count(pid, &gen.streams[st.stream], st.seq, st.tsc, now);
		else if (gen_rx_other(pid, m, reply, &n_reply))
			continue;
		/* what is not answered is freed with the burst */
		pkts[n_free++] = m;
	}
	rte_pktmbuf_free_bulk(pkts, n_free);
	if (n_reply) {
		sent = gen_port_tx(&gen.ports[pid], reply, (uint16_t)n_reply);
		if (sent < n_reply)
			rte_pktmbuf_free_bulk(reply + sent, n_reply - sent);
	}
}

static unsigned int
gen_rx_poll(void)
{
	struct rte_mbuf *pkts[GEN_RING_BURST];
	unsigned int i, total = 0;
	uint16_t pid, q, n;
	uint64_t now;

	for (pid = 0; pid < gen.n_ports; pid++)
		for (q = 0; q < gen.ports[pid].nrxq; q++) {
			n = gen_port_rx(&gen.ports[pid], q, pkts,
					gen.recycle ? GEN_RING_BURST : GEN_BURST);
			if (!n)
				continue;
			now = rte_rdtsc();
			total += n;
			for (i = 0; i < n; i += GEN_BURST)
				gen_rx_burst(pid, pkts + i, RTE_MIN(n - i, (unsigned int)GEN_BURST),
					     now);
		}
	return total;
}

/* ---------------------------------------------------------------- trial */

static int
gen_trial_parse(json_t *req, struct gen_trial *t, char *err, size_t errlen)
{
	json_t *v;
	int64_t size;

	memset(t, 0, sizeof(*t));
	t->duration_ms = 1000;
	t->drain_ms = 100;
	t->flows = 1;
	t->gap_us = GEN_GAP_US;
	if ((v = json_object_get(req, "gap_us"))) {
		if (!json_is_number(v) || json_number_value(v) <= 0) {
			snprintf(err, errlen, "gap_us: must be a number > 0");
			return -EINVAL;
		}
		t->gap_us = json_number_value(v);
	}
	if ((v = json_object_get(req, "gap_slack_us"))) {
		if (!json_is_number(v) || json_number_value(v) < 0) {
			snprintf(err, errlen, "gap_slack_us: must be a number >= 0 (0 = from the rate)");
			return -EINVAL;
		}
		t->gap_slack_us = json_number_value(v);
	}
	t->ring_slots = GEN_RXD;
	if ((v = json_object_get(req, "ring_slots"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 64 ||
		    json_integer_value(v) > 65536) {
			snprintf(err, errlen,
				 "ring_slots: an integer 64..65536 (the links' ring size)");
			return -EINVAL;
		}
		t->ring_slots = (unsigned int)json_integer_value(v);
	}
	if ((v = json_object_get(req, "recycle"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 32) {
			/* a frame sent 32 times unwritten reaches a router with
			 * TTL 64 - 31: well above the 1 it drops at */
			snprintf(err, errlen,
				 "recycle: an integer 0..32 (rewrite a kept frame every N sends)");
			return -EINVAL;
		}
		t->recycle = (unsigned int)json_integer_value(v);
		if (t->recycle && !gen.rc_ok) {
			snprintf(err, errlen, "%s",
				 gen.n_ring_links
					 ? "recycle: unavailable: nfv-gen's mbuf pool is not in one "
					   "piece of memory (more hugepages?)"
					 : "recycle: only over shared-ring links (wiring ring), where "
					   "the DUT hands back nfv-gen's own frames");
			return -EINVAL;
		}
	}
	v = json_object_get(req, "rate_pps");
	if (v && !json_is_number(v))
		goto bad_rate;
	t->rate_pps = v ? json_number_value(v) : 0;
	if (t->rate_pps < 0)
		goto bad_rate;
	if ((v = json_object_get(req, "duration_ms")))
		t->duration_ms = (uint64_t)json_integer_value(v);
	if ((v = json_object_get(req, "count")))
		t->count = (uint64_t)json_integer_value(v);
	if ((v = json_object_get(req, "drain_ms")))
		t->drain_ms = (uint64_t)json_integer_value(v);
	if ((v = json_object_get(req, "flows")))
		t->flows = (unsigned int)json_integer_value(v);
	if (t->flows < 1 || t->flows > GEN_MAX_FLOWS) {
		snprintf(err, errlen, "flows: must be 1..%d", GEN_MAX_FLOWS);
		return -EINVAL;
	}
	v = json_object_get(req, "size");
	if (json_is_string(v) && !strcmp(json_string_value(v), "imix")) {
		t->imix = true;
		t->n_sizes = GEN_IMIX_LEN;
		memcpy(t->sizes, gen_imix, sizeof(gen_imix));
	} else {
		size = v ? json_integer_value(v) : 64;
		if (!json_is_integer(v) && v) {
			snprintf(err, errlen, "size: an integer 64..1518 or \"imix\"");
			return -EINVAL;
		}
		if (size < 64 || size > GEN_FRAME_MAX) {
			snprintf(err, errlen, "size: %" PRId64 " is outside 64..1518", size);
			return -EINVAL;
		}
		t->n_sizes = 1;
		t->sizes[0] = (uint16_t)size;
	}
	return 0;
bad_rate:
	snprintf(err, errlen, "rate_pps: must be a number >= 0 (0 = unpaced)");
	return -EINVAL;
}

static unsigned int
gen_frame_size(const struct gen_stream *s, unsigned int size)
{
	unsigned int min = gen_pkt_min_frame(s->l3.v6);

	return size < min ? min : size;
}

static int
gen_trial_prepare(const struct gen_trial *t)
{
	unsigned int i, k, f;
	struct gen_stream *s;

	for (i = 0; i < gen.n_streams; i++) {
		s = &gen.streams[i];
		free(s->tmpl);
		/* zeroed: every frame gets the template's 64 bytes, also past
		 * the headers (under the stamp and the payload's start) */
		s->tmpl = calloc((size_t)t->n_sizes * t->flows, GEN_TMPL_LEN);
		if (!s->tmpl)
			return -ENOMEM;
		for (k = 0; k < t->n_sizes; k++)
			s->len[k] = (uint16_t)(gen_frame_size(s, t->sizes[k]) - GEN_FCS_LEN);
		memcpy(s->l3.smac, gen.ports[s->tx_port].mac.addr_bytes, 6);
		for (k = 0; k < t->n_sizes; k++)
			for (f = 0; f < t->flows; f++)
				s->hdr_len = gen_pkt_write_hdr(
					s->tmpl + ((size_t)k * t->flows + f) * GEN_TMPL_LEN,
					gen_frame_size(s, t->sizes[k]), &s->l3, f);
		s->tx = s->tx_refused = s->tx_bytes = s->misrouted = s->tx_kept = 0;
		s->last_send = 0;
		s->refused_last = false;
		s->skipped = 0;
		s->next_seq = 0;
		s->k = s->f = 0;
		s->done = false;
		gen_seq_reset(&s->seq);
		gen_hist_reset(&s->lat);
	}
	gen.foreign = 0;
	gen.alloc_fail = 0;
	return 0;
}

/* Recycle: frames the DUT's ring refused are still ours, idle, to send
 * again (as they are: sent once more they count another pass). */
static void
gen_tx_keep_refused(struct gen_stream *s, struct rte_mbuf **pkts, unsigned int n)
{
	unsigned int i, n_free = 0;

	for (i = 0; i < n; i++) {
		gen_rc_meta(&gen.rc, pkts[i])->stream = GEN_RC_IDLE;
		if (!gen_rc_push(&s->keep, pkts[i]))
			pkts[n_free++] = pkts[i];
	}
	if (n_free)
		rte_pktmbuf_free_bulk(pkts, n_free);
}

static void
gen_tx_stream(struct gen_stream *s, const struct gen_trial *t, unsigned int n, uint64_t now)
{
	struct rte_mbuf *pkts[GEN_RING_BURST];
	uint16_t stream = (uint16_t)(s - gen.streams), sent, len;
	unsigned int i, kept = 0;
	struct gen_rc_meta *r;
	const uint8_t *tmpl;
	struct rte_mbuf *m;
	uint8_t *d;

	/* recycle: the frames received last first, then new ones */
	if (gen.recycle)
		kept = gen_rc_pop(&s->keep, (void **)pkts, n);
	if (kept < n && rte_pktmbuf_alloc_bulk(gen.pool, pkts + kept, n - kept) != 0) {
		gen.alloc_fail++;
		if (!kept)
			return;
		n = kept;
	}
	/* per frame: the template's first 64 bytes (headers; a fixed size the
	 * compiler copies in a few stores), the stamp over the bytes after
	 * the headers, the lengths; size and flow advance by counters. A kept
	 * frame goes as it came back (only its record is written) until its
	 * `recycle`-th send, which rewrites it. */
	for (i = 0; i < n; i++) {
		m = pkts[i];
		if (gen.recycle) {
			r = gen_rc_meta(&gen.rc, m); /* ours: from the pool or kept */
			r->stream = (uint8_t)stream;
			r->seq = s->next_seq;
			r->tsc = now;
			if (i < kept && ++r->pass < gen.recycle) {
				s->next_seq++;
				s->tx_bytes += r->len + GEN_FCS_LEN;
				s->tx_kept++;
				continue;
			}
			r->pass = 0;
			r->len = s->len[s->k];
			if (i < kept)
				rte_pktmbuf_reset(m); /* as the DUT left it: offsets, flags */
		}
		len = s->len[s->k];
		tmpl = s->tmpl + ((size_t)s->k * t->flows + s->f) * GEN_TMPL_LEN;
		d = rte_pktmbuf_mtod(m, uint8_t *);
		memcpy(d, tmpl, GEN_TMPL_LEN);
		gen_pkt_put_stamp(d + s->hdr_len, stream, s->next_seq++, now);
		m->data_len = len;
		m->pkt_len = len;
		if (s->l3.v6)
			gen_pkt_udp6_csum(d, len);
		s->tx_bytes += len + GEN_FCS_LEN;
		if (++s->f == t->flows)
			s->f = 0;
		if (++s->k == t->n_sizes)
			s->k = 0;
	}
	sent = gen_port_tx(&gen.ports[s->tx_port], pkts, (uint16_t)n);
	if (sent < n) {
		/* the DUT's receive ring is full: those frames are offered and lost */
		s->tx_refused += n - sent;
		if (gen.recycle)
			gen_tx_keep_refused(s, pkts + sent, n - sent);
		else
			rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		/* their numbers go to the next frames: a refusal is accounted
		 * here (gen_gap_refused), not as a hole at the receiver */
		s->next_seq -= n - sent;
	}
	s->tx += n;
}

static json_t *
gen_lat_json(const struct gen_hist *h)
{
	return json_pack("{s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:I, s:I}", "count",
			 (json_int_t)h->count, "min", (json_int_t)(h->count ? h->min : 0), "mean",
			 gen_hist_mean(h), "p50", (json_int_t)gen_hist_percentile(h, 50), "p90",
			 (json_int_t)gen_hist_percentile(h, 90), "p99",
			 (json_int_t)gen_hist_percentile(h, 99), "p99_9",
			 (json_int_t)gen_hist_percentile(h, 99.9), "max", (json_int_t)h->max,
			 "p99_99", (json_int_t)gen_hist_percentile(h, 99.99));
}

static json_t *
gen_gap_json(const struct gen_gap *g)
{
	double us = gen.ns_per_tsc / 1000.0;

	return json_pack("{s:I, s:I, s:I, s:f, s:f, s:f, s:I, s:I, s:f, s:f, s:I, s:I, s:I, s:I}",
			 "refused_in_gap", (json_int_t)g->refused_in, "refused_outside",
			 (json_int_t)g->refused_out, "refused_peer_off",
			 (json_int_t)g->refused_peer, "threshold_us", (double)g->threshold * us,
			 "slack_us", (double)g->slack * us, "lossy_us", (double)g->lossy * us,
			 "lossy_count", (json_int_t)g->lossy_count, "count", (json_int_t)g->count,
			 "total_us", (double)g->total * us, "max_us", (double)g->max * us,
			 "holes_in_gap", (json_int_t)g->holes_in, "holes_outside",
			 (json_int_t)g->holes_out, "missing_in_gap", (json_int_t)g->missing_in,
			 "missing_outside", (json_int_t)g->missing_out);
}

/* The peer's gap log, once it exists (the reflector makes it at start). */
static void
gen_peer_gaps_attach(void)
{
	if (gen.peer_gaps_path && !gen.peer_gaps)
		gen.peer_gaps = gen_gaplog_open(gen.peer_gaps_path);
	gen_gap_set_peer(&gen.gap, gen.peer_gaps);
}

/* The peer's gaps during the last trial (sending and draining) and the
 * holes put down to them. */
static json_t *
gen_peer_gaps_json(void)
{
	struct gen_gaplog_sum sum;
	double us = gen.ns_per_tsc / 1000.0;

	gen_gaplog_sum(gen.peer_gaps, gen.trial_t0, gen.trial_t1, gen.gap.lossy, &sum);
	return json_pack("{s:I, s:I, s:f, s:f, s:I, s:I}", "count", (json_int_t)sum.count,
			 "lossy_count", (json_int_t)sum.lossy_count, "total_us",
			 (double)sum.total * us, "max_us", (double)sum.max * us, "holes",
			 (json_int_t)gen.gap.holes_peer, "missing",
			 (json_int_t)gen.gap.missing_peer);
}

static json_t *
gen_trial_result(const struct gen_trial *t, uint64_t tx_tsc)
{
	struct gen_hist *all = malloc(sizeof(*all));
	uint64_t tx = 0, rx = 0, lost = 0, dup = 0, reorder = 0, refused = 0, bytes = 0, mis = 0;
	double secs = (double)tx_tsc / (double)gen.hz;
	json_t *res, *streams = json_array();
	unsigned int i;

	if (!all || !streams) {
		free(all);
		json_decref(streams);
		return NULL;
	}
	gen_hist_reset(all);
	for (i = 0; i < gen.n_streams; i++) {
		struct gen_stream *s = &gen.streams[i];
		uint64_t l = gen_seq_lost(&s->seq, s->tx);

		json_array_append_new(
			streams,
			json_pack("{s:i, s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o}",
				  "tx_port", s->tx_port, "rx_port", s->rx_port, "ip",
				  s->l3.v6 ? "ipv6" : "ipv4", "tx", (json_int_t)s->tx, "rx",
				  (json_int_t)gen_seq_unique(&s->seq), "lost", (json_int_t)l, "dup",
				  (json_int_t)s->seq.dup, "reorder", (json_int_t)s->seq.reorder,
				  "tx_refused", (json_int_t)s->tx_refused, "misrouted",
				  (json_int_t)s->misrouted, "late", (json_int_t)s->seq.late,
				  "latency_ns", gen_lat_json(&s->lat)));
		tx += s->tx;
		rx += gen_seq_unique(&s->seq);
		lost += l;
		dup += s->seq.dup;
		reorder += s->seq.reorder;
		refused += s->tx_refused;
		bytes += s->tx_bytes;
		mis += s->misrouted;
		gen_hist_merge(all, &s->lat);
	}
	res = json_pack("{s:f, s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:I, "
			"s:I, s:i, s:b, s:o, s:o, s:o, s:b}",
			"rate_pps", t->rate_pps, "duration_s", secs, "offered_pps",
			secs > 0 ? (double)tx / secs : 0.0, "rx_pps",
			secs > 0 ? (double)rx / secs : 0.0, "offered_l1_gbps",
			secs > 0 ? ((double)bytes + 20.0 * (double)tx) * 8.0 / secs / 1e9 : 0.0,
			"tx", (json_int_t)tx, "rx", (json_int_t)rx, "lost", (json_int_t)lost,
			"loss_ratio", tx ? (double)lost / (double)tx : 0.0, "dup", (json_int_t)dup,
			"reorder", (json_int_t)reorder, "tx_refused", (json_int_t)refused,
			"misrouted", (json_int_t)mis, "foreign", (json_int_t)gen.foreign,
			"alloc_fail", (json_int_t)gen.alloc_fail, "flows", (int)t->flows, "imix",
			t->imix, "latency_ns", gen_lat_json(all), "streams", streams, "gaps",
			gen_gap_json(&gen.gap), "loss_in_gap", gen_gap_explains(&gen.gap, lost));
	if (res && gen.peer_gaps)
		json_object_set_new(res, "peer_gaps", gen_peer_gaps_json());
	if (res && t->recycle) {
		uint64_t kept = 0, skipped = 0;

		for (i = 0; i < gen.n_streams; i++) {
			kept += gen.streams[i].tx_kept;
			skipped += gen.streams[i].skipped;
		}
		json_object_set_new(res, "recycle", json_integer(t->recycle));
		json_object_set_new(res, "tx_kept", json_integer((json_int_t)kept));
		json_object_set_new(res, "skipped", json_integer((json_int_t)skipped));
	}
	if (res && !t->imix)
		json_object_set_new(res, "size", json_integer(t->sizes[0]));
	else if (res)
		json_object_set_new(res, "size", json_string("imix"));
	free(all);
	return res;
}

/* A paced trial by duration ends at `end` once every stream has sent its
 * rate x time; a stream behind (the lcore was taken away near the end)
 * catches up for at most an eighth of the duration more. */
static bool
gen_trial_over(const struct gen_trial *t, uint64_t now, uint64_t end, uint64_t dur,
	       uint64_t total_s)
{
	unsigned int i;

	if (now < end)
		return false;
	if (t->rate_pps <= 0 || now >= end + dur / 8)
		return true;
	for (i = 0; i < gen.n_streams; i++)
		if (gen.streams[i].tx + gen.streams[i].skipped < total_s)
			return false;
	return true;
}

/* Recycle off: every kept frame back to the pool, every record idle. */
static void
gen_rc_release(void)
{
	struct rte_mbuf *pkts[GEN_BURST];
	unsigned int i, n;

	gen.recycle = 0;
	for (i = 0; i < gen.n_streams; i++)
		while ((n = gen_rc_pop(&gen.streams[i].keep, (void **)pkts, GEN_BURST)))
			rte_pktmbuf_free_bulk(pkts, n);
	if (gen.rc_ok)
		gen_rc_reset(&gen.rc);
}

static json_t *
gen_trial_run(const struct gen_trial *t)
{
	uint64_t t0, now, end, dur, drain_end, due, last_tx, total_done, total_s, refused;
	uint64_t hold = GEN_RC_HOLD_US * gen.hz / 1000000, poll = GEN_RC_POLL_US * gen.hz / 1000000;
	uint64_t last_poll = 0;
	double rate_s = t->rate_pps / gen.n_streams, slack_us;
	unsigned int i, n;
	struct gen_stream *s;
	json_t *res;

	/* empty the receive rings (and answer ARP) before counting: what
	 * arrives now (a late frame of the last trial) counts in no trial */
	drain_end = rte_rdtsc() + gen.hz / 50;
	while (rte_rdtsc() < drain_end)
		gen_rx_poll();
	if (gen_trial_prepare(t) != 0)
		return NULL;
	gen.recycle = t->recycle;
	/* a hole seen this long after a gap is the gap's: the receive ring's
	 * time at the rate per stream (4x: rings on both sides, the DUT's
	 * pipeline), within [2 ms, 50 ms] */
	slack_us = t->gap_slack_us;
	if (slack_us <= 0) {
		slack_us = rate_s > 0 ? 4e6 * t->ring_slots / rate_s : GEN_GAP_SLACK_MIN_US;
		if (slack_us < GEN_GAP_SLACK_MIN_US)
			slack_us = GEN_GAP_SLACK_MIN_US;
		if (slack_us > GEN_GAP_SLACK_MAX_US)
			slack_us = GEN_GAP_SLACK_MAX_US;
	}
	gen_gap_init(&gen.gap, (uint64_t)(t->gap_us * (double)gen.hz / 1e6),
		     (uint64_t)(slack_us * (double)gen.hz / 1e6));
	/* only a gap longer than a ring's time at the stream's rate can lose,
	 * and no more than what was due during it */
	if (rate_s > 0)
		gen_gap_set_rate(&gen.gap,
				 (uint64_t)((double)t->ring_slots / rate_s * (double)gen.hz),
				 rate_s / (double)gen.hz);
	gen_gap_set_ring(&gen.gap, t->ring_slots);
	gen_peer_gaps_attach();

	dur = t->duration_ms * gen.hz / 1000;
	total_s = (uint64_t)(rate_s * (double)t->duration_ms / 1000.0 + 0.5);
	t0 = rte_rdtsc();
	gen.trial_t0 = t0;
	end = t0 + dur;
	last_tx = t0;
	gen.cpu_ns = gen_cpu_ns();
	for (;;) {
		now = rte_rdtsc();
		gen_gap_tick(&gen.gap, now);
		if (gen.stop)
			break;
		total_done = 0;
		for (i = 0; i < gen.n_streams; i++) {
			s = &gen.streams[i];
			if (s->done) {
				total_done++;
				continue;
			}
			if (rate_s > 0)
				due = (uint64_t)((double)(now - t0) * rate_s / (double)gen.hz);
			else
				due = s->tx + (gen.recycle ? GEN_RING_BURST : GEN_BURST);
			if (t->count && due > t->count)
				due = t->count;
			if (!t->count && rate_s > 0 && due > total_s)
				due = total_s; /* a late last turn sends no more than rate x time */
			/* with recycle, a stream that fell more than half a
			 * ring behind (this lcore was away) drops the rest of
			 * its backlog: sent at full speed, far faster than the
			 * rate, it would overflow the DUT's ring by itself */
			if (gen.recycle && rate_s > 0 && !t->count &&
			    due > s->tx + s->skipped + t->ring_slots / 2)
				s->skipped = due - s->tx - t->ring_slots / 2;
			due -= s->skipped;
			if (due <= s->tx)
				continue;
			if (gen.recycle && now - s->last_send < hold &&
			    (due - s->tx < GEN_RC_BATCH || s->refused_last))
				continue;
			/* with recycle, a stream behind its schedule catches
			 * up in larger bursts (GEN_RING_BURST) */
			n = RTE_MIN(due - s->tx,
				    (uint64_t)(gen.recycle ? GEN_RING_BURST : GEN_BURST));
			refused = s->tx_refused;
			gen_tx_stream(s, t, n, now);
			s->last_send = now;
			s->refused_last = s->tx_refused != refused;
			/* the clock read afresh: the peer may have come back
			 * from a gap since this turn began (its record then
			 * ends after `now` and would not be looked at) */
			if (s->tx_refused != refused)
				gen_gap_refused(&gen.gap, rte_rdtsc(), s->tx_refused - refused,
						rate_s > 0 ? due - (s->tx - n) : 0);
			last_tx = now;
			if (t->count && s->tx >= t->count)
				s->done = true;
		}
		if (!gen.recycle || now - last_poll >= poll) {
			gen_rx_poll();
			last_poll = now;
		}
		if (t->count ? total_done == gen.n_streams
			     : gen_trial_over(t, now, end, dur, total_s))
			break;
	}
	gen.cpu_ns = gen_cpu_ns() - gen.cpu_ns;
	if (t->count || last_tx > end)
		end = last_tx; /* the rate is what was sent over the time it took */
	drain_end = rte_rdtsc() + t->drain_ms * gen.hz / 1000;
	while ((now = rte_rdtsc()) < drain_end && !gen.stop) {
		gen_gap_tick(&gen.gap, now);
		gen_rx_poll();
	}
	gen.trial_t1 = rte_rdtsc();
	res = gen_trial_result(t, end - t0);
	gen_rc_release();
	return res;
}

/* ------------------------------------------------------------- control */

static json_t *
gen_info(void)
{
	json_t *ports = json_array();
	unsigned int i;
	char mac[RTE_ETHER_ADDR_FMT_SIZE];

	for (i = 0; i < gen.n_ports; i++) {
		rte_ether_format_addr(mac, sizeof(mac), &gen.ports[i].mac);
		json_array_append_new(ports, json_pack("{s:i, s:s, s:s}", "id", i, "name",
						       gen.ports[i].name, "mac", mac));
	}
	return json_pack("{s:b, s:I, s:i, s:s, s:o}", "ok", 1, "tsc_hz", (json_int_t)gen.hz,
			 "lcore", (int)rte_lcore_id(), "dpdk", rte_version(), "ports", ports);
}

static json_t *
gen_command(json_t *req)
{
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	struct gen_trial t;
	char err[160];
	uint64_t deadline;
	json_t *res;

	if (!cmd)
		return json_pack("{s:b, s:s}", "ok", 0, "error", "missing \"cmd\"");
	if (!strcmp(cmd, "info"))
		return gen_info();
	if (!strcmp(cmd, "wait-link")) {
		json_int_t ms = json_integer_value(json_object_get(req, "timeout_ms"));

		deadline = rte_rdtsc() + (uint64_t)(ms > 0 ? ms : 5000) * gen.hz / 1000;
		while (!gen_links_up() && rte_rdtsc() < deadline && !gen.stop) {
			gen_rx_poll();
			rte_delay_us_sleep(1000);
		}
		return json_pack("{s:b}", "ok", gen_links_up());
	}
	if (!strcmp(cmd, "trial")) {
		if (gen_trial_parse(req, &t, err, sizeof(err)) != 0)
			return json_pack("{s:b, s:s}", "ok", 0, "error", err);
		res = gen_trial_run(&t);
		if (!res)
			return json_pack("{s:b, s:s}", "ok", 0, "error", "out of memory");
		gen_cpu_json(res);
		json_object_set_new(res, "ok", json_true());
		return res;
	}
	snprintf(err, sizeof(err), "unknown cmd '%s'", cmd);
	return json_pack("{s:b, s:s}", "ok", 0, "error", err);
}

static void
gen_reply(json_t *res)
{
	char *s = json_dumps(res, JSON_COMPACT);

	if (s) {
		printf("%s\n", s);
		fflush(stdout);
		free(s);
	}
	json_decref(res);
}

static int
gen_control_loop(void)
{
	char line[4096];
	json_error_t jerr;
	json_t *req;
	const char *cmd;

	while (!gen.stop && fgets(line, sizeof(line), stdin)) {
		req = json_loads(line, 0, &jerr);
		if (!req) {
			gen_reply(json_pack("{s:b, s:s}", "ok", 0, "error", jerr.text));
			continue;
		}
		cmd = json_string_value(json_object_get(req, "cmd"));
		if (cmd && !strcmp(cmd, "quit")) {
			json_decref(req);
			break;
		}
		gen_reply(gen_command(req));
		json_decref(req);
	}
	return 0;
}

/* ----------------------------------------------------------- reflector */

static void
gen_loop_port(struct gen_port *p, uint64_t now)
{
	struct rte_mbuf *pkts[GEN_RING_BURST];
	uint16_t n = 0, pass, sent, q;

	for (q = 0; q < p->nrxq && !n; q++)
		n = gen_port_rx(p, q, pkts, p->ring_rx ? GEN_RING_BURST : GEN_BURST);
	if (!n)
		return;
	p->loop_rx += n;
	pass = n;
	if (gen.police_pps > 0) {
		p->tokens += (double)(now - p->last_tsc) * gen.police_pps / (double)gen.hz;
		if (p->tokens > gen.police_depth)
			p->tokens = gen.police_depth;
		p->last_tsc = now;
		if (p->tokens < pass)
			pass = (uint16_t)p->tokens;
		p->tokens -= pass;
		if (pass < n) {
			p->loop_policed += n - pass;
			rte_pktmbuf_free_bulk(pkts + pass, n - pass);
		}
	}
	sent = pass ? gen_port_tx(&gen.ports[p->peer], pkts, pass) : 0;
	p->loop_tx += sent;
	if (sent < pass) {
		p->loop_tx_dropped += pass - sent;
		rte_pktmbuf_free_bulk(pkts + sent, pass - sent);
	}
}

/* The reflector's turn stamp; each gap also goes to its log (--gap-log)
 * for the generator to read. */
static inline void
gen_loop_gap_tick(uint64_t now)
{
	uint64_t prev = gen.gap.last, count = gen.gap.count;

	gen_gap_tick(&gen.gap, now);
	if (!gen.gap_log)
		return;
	/* the gap first: a reader that sees this turn finds the gap it ends
	 * (a refusal just after is put down to it) */
	if (gen.gap.count != count)
		gen_gaplog_put(gen.gap_log, prev, now);
	gen_gaplog_turn(gen.gap_log, now);
}

static int
gen_loop_run(void)
{
	json_t *ports = json_object();
	unsigned int i;
	uint64_t now = rte_rdtsc();

	/* a bucket deep enough to ride out a scheduling hiccup of the
	 * reflector, so loss below the rate is rare and above it certain */
	gen.police_depth = gen.police_pps * gen.police_depth_ms / 1000.0;
	if (gen.police_depth < GEN_POLICE_DEPTH_MIN)
		gen.police_depth = GEN_POLICE_DEPTH_MIN;
	for (i = 0; i < gen.n_ports; i++) {
		gen.ports[i].last_tsc = now;
		gen.ports[i].tokens = gen.police_depth;
	}
	gen_gap_init(&gen.gap, (uint64_t)(GEN_GAP_US * (double)gen.hz / 1e6), 0);
	gen.cpu_ns = gen_cpu_ns();
	while (!gen.stop) {
		now = rte_rdtsc();
		gen_loop_gap_tick(now);
		for (i = 0; i < gen.n_ports; i++)
			if (gen.ports[i].peer >= 0)
				gen_loop_port(&gen.ports[i], now);
	}
	for (i = 0; i < gen.n_ports; i++)
		json_object_set_new(ports, gen.ports[i].name,
				    json_pack("{s:I, s:I, s:I, s:I}", "rx",
					      (json_int_t)gen.ports[i].loop_rx, "tx",
					      (json_int_t)gen.ports[i].loop_tx, "policed",
					      (json_int_t)gen.ports[i].loop_policed, "tx_dropped",
					      (json_int_t)gen.ports[i].loop_tx_dropped));
	gen.cpu_ns = gen_cpu_ns() - gen.cpu_ns;
	gen_reply(json_pack("{s:f, s:o, s:o, s:f}", "police_pps", gen.police_pps, "ports", ports,
			    "gaps", gen_gap_json(&gen.gap), "cpu_s", (double)gen.cpu_ns / 1e9));
	return 0;
}

/* ----------------------------------------------------------------- main */

struct gen_rc_walk {
	uintptr_t first;
	uint32_t stride, n;
	bool ok;
};

static void
gen_rc_walk_obj(struct rte_mempool *mp, void *arg, void *obj, unsigned int i)
{
	struct gen_rc_walk *w = arg;

	(void)mp;
	if (i == 0)
		w->first = (uintptr_t)obj;
	else if ((uintptr_t)obj != w->first + (uintptr_t)i * w->stride)
		w->ok = false;
	w->n = i + 1;
}

/* The pool of a generator over shared-ring links, in one piece of virtual
 * memory when the memory allows (nothing does DMA from it, so it need not
 * be contiguous in IOVA, which would split it into pieces): recycle then
 * finds a frame's record by arithmetic. */
static struct rte_mempool *
gen_pool_create_flat(const char *name)
{
	struct rte_pktmbuf_pool_private priv = {.mbuf_data_room_size = RTE_MBUF_DEFAULT_BUF_SIZE};
	struct rte_mempool *mp;

	mp = rte_mempool_create_empty(name, GEN_NB_MBUF,
				      sizeof(struct rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE, 256,
				      sizeof(priv), (int)rte_socket_id(), RTE_MEMPOOL_F_NO_IOVA_CONTIG);
	if (!mp)
		return NULL;
	if (rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(), NULL) != 0)
		goto free_pool;
	rte_pktmbuf_pool_init(mp, &priv);
	if (rte_mempool_populate_default(mp) < 0)
		goto free_pool;
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	return mp;
free_pool:
	rte_mempool_free(mp);
	return NULL;
}

/* Records for recycle, when the pool's objects are one array (they are
 * when its memory came in one piece); without, `recycle` is refused. */
static void
gen_rc_setup(void)
{
	struct gen_rc_walk w = {.ok = true};
	unsigned int i;

	w.stride = gen.pool->header_size + gen.pool->elt_size + gen.pool->trailer_size;
	rte_mempool_obj_iter(gen.pool, gen_rc_walk_obj, &w);
	if (!w.ok || w.n != gen.pool->size || gen_rc_init(&gen.rc, w.first, w.stride, w.n) != 0) {
		fprintf(stderr, "nfv-gen: recycle unavailable: the mbuf pool is in %u pieces\n",
			gen.pool->nb_mem_chunks);
		return;
	}
	for (i = 0; i < gen.n_streams; i++)
		if (gen_rc_stack_init(&gen.streams[i].keep, w.n) != 0) {
			while (i--)
				gen_rc_stack_fini(&gen.streams[i].keep);
			gen_rc_fini(&gen.rc);
			return;
		}
	gen.rc_ok = true;
}

int
main(int argc, char **argv)
{
	uint16_t pid, ids[GEN_MAX_PORTS] = {0};
	char pool_name[RTE_MEMPOOL_NAMESIZE];
	json_error_t jerr;
	json_t *req;
	unsigned int i;
	int rc, eal;

	eal = rte_eal_init(argc, argv);
	if (eal < 0) {
		fprintf(stderr, "nfv-gen: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= eal;
	argv += eal;
	signal(SIGINT, gen_on_signal);
	signal(SIGTERM, gen_on_signal);
	rc = gen_parse_args(argc, argv);
	if (rc)
		goto out_eal;
	gen.hz = rte_get_tsc_hz();
	gen.ns_per_tsc = 1e9 / (double)gen.hz;
	gen.ns_mult = (uint64_t)(gen.ns_per_tsc * (double)(1ull << GEN_NS_SHIFT) + 0.5);
	if (gen.n_ring_links) {
		/* every port a shared-ring link; in a secondary process the
		 * primary's own ports are not ours (never touched) */
		for (i = 0; i < gen.n_ring_links; i++) {
			rc = gen_port_ring(i, gen.ring_links[i]);
			if (rc)
				goto out_eal;
		}
		gen.n_ports = gen.n_ring_links;
	} else {
		gen.n_ports = 0;
		RTE_ETH_FOREACH_DEV(pid)
		{
			if (gen.n_ports < GEN_MAX_PORTS)
				ids[gen.n_ports] = pid;
			gen.n_ports++;
		}
	}
	if (gen.n_ports == 0 || gen.n_ports > GEN_MAX_PORTS) {
		fprintf(stderr, "nfv-gen: need 1..%d ports (give --vdev ...), found %u\n",
			GEN_MAX_PORTS, gen.n_ports);
		rc = -ENODEV;
		goto out_eal;
	}
	for (i = 0; i < gen.n_streams; i++) {
		if (gen.streams[i].tx_port >= gen.n_ports ||
		    gen.streams[i].rx_port >= gen.n_ports) {
			fprintf(stderr, "nfv-gen: stream %u: port out of range (have %u ports)\n",
				i, gen.n_ports);
			rc = -EINVAL;
			goto out_eal;
		}
	}
	for (i = 0; i < GEN_MAX_PORTS; i++) {
		if (gen.ports[i].peer >= (int)gen.n_ports ||
		    (gen.ports[i].peer >= 0 && i >= gen.n_ports)) {
			fprintf(stderr, "nfv-gen: --loop: port out of range (have %u ports)\n",
				gen.n_ports);
			rc = -EINVAL;
			goto out_eal;
		}
	}
	/* a secondary process shares the memzone names of its primary (which
	 * may be nfv-gen's reflector) */
	snprintf(pool_name, sizeof(pool_name), "gen_pool_%d",
		 rte_eal_process_type() == RTE_PROC_PRIMARY ? 0 : (int)getpid());
	if (gen.n_ring_links && !gen.loop)
		gen.pool = gen_pool_create_flat(pool_name);
	else
		gen.pool = rte_pktmbuf_pool_create(pool_name, GEN_NB_MBUF, 256, 0,
						   RTE_MBUF_DEFAULT_BUF_SIZE, rte_socket_id());
	if (!gen.pool) {
		fprintf(stderr, "nfv-gen: mbuf pool: %s\n", rte_strerror(rte_errno));
		rc = -ENOMEM;
		goto out_eal;
	}
	if (gen.n_ring_links && !gen.loop)
		gen_rc_setup();
	for (i = 0; i < gen.n_ports && !gen.n_ring_links; i++) {
		rc = gen_port_init(i, ids[i]);
		if (rc) {
			fprintf(stderr, "nfv-gen: port %u: %s\n", ids[i], strerror(-rc));
			goto out_ports;
		}
	}
	if (gen.loop && gen.gap_log_path) {
		gen.gap_log = gen_gaplog_create(gen.gap_log_path);
		if (!gen.gap_log) {
			fprintf(stderr, "nfv-gen: --gap-log %s: %s\n", gen.gap_log_path,
				strerror(errno));
			rc = -errno;
			goto out_ports;
		}
	}
	if (gen.loop) {
		rc = gen_loop_run();
	} else if (gen.trial_json) {
		req = json_loads(gen.trial_json, 0, &jerr);
		if (!req) {
			fprintf(stderr, "nfv-gen: --trial: %s\n", jerr.text);
			rc = -EINVAL;
			goto out_ports;
		}
		json_object_set_new(req, "cmd", json_string("trial"));
		gen_reply(gen_command(
			json_pack("{s:s, s:i}", "cmd", "wait-link", "timeout_ms", 5000)));
		gen_reply(gen_command(req));
		json_decref(req);
	} else {
		rc = gen_control_loop();
	}
out_ports:
	for (i = 0; i < gen.n_ports && !gen.n_ring_links; i++) {
		rte_eth_dev_stop(ids[i]);
		rte_eth_dev_close(ids[i]);
	}
	for (i = 0; i < gen.n_streams; i++) {
		free(gen.streams[i].tmpl);
		gen_rc_stack_fini(&gen.streams[i].keep);
	}
	gen_rc_fini(&gen.rc);
	gen_gaplog_unmap(gen.gap_log);
	gen_gaplog_unmap(gen.peer_gaps);
out_eal:
	/* a secondary process attaches to its primary's devices when it
	 * starts, and rte_eal_cleanup would remove them (stop the DUT's
	 * ports, free their data in the shared memory): leave them alone */
	if (rte_eal_process_type() == RTE_PROC_PRIMARY)
		rte_eal_cleanup();
	return rc ? 1 : 0;
}
