/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-dhcpgen - DHCPv4 client emulator on DPDK (one port, one core).
 *
 * N clients, each with its own MAC (02:dc:<32-bit index>), run
 * DISCOVER -> OFFER -> REQUEST -> ACK (one "exchange"), then optionally a
 * renewal (REQUEST with ciaddr, unicast to the server) and a RELEASE.
 * New exchanges start at a fixed rate (--rate) or, unpaced, whenever fewer
 * than --window are in flight. Counts completed exchanges, NAKs, timeouts
 * (per stage), renewals, releases, stale and malformed replies; latency
 * histograms (DISCOVER->OFFER, REQUEST->ACK, DISCOVER->ACK, renewal); and
 * checks that no address is given to two clients at once. Answers ARP
 * for the clients' addresses. Prints one JSON object at the end.
 *
 * --serve: a fake server that costs (almost) nothing: OFFER/ACK from a
 * fixed address per MAC, to measure the emulator's own capacity.
 *
 *   nfv-dhcpgen [EAL args: --vdev ...] -- [options]   (see dg_usage)
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <sys/resource.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "dg_pkt.h"
#include "dg_uniq.h"
#include "gen_hist.h"

#define DG_BURST 32
#define DG_TXQ 1024
#define DG_NB_MBUF 16383
#define DG_MAX_CLIENTS (1u << 22)
#define DG_TQ_SIZE (1u << 21) /* timeout queue entries (sends awaiting a reply) */

enum dg_state { DG_S_IDLE, DG_S_SELECTING, DG_S_REQUESTING, DG_S_RENEWING };

struct dg_client {
	uint32_t xid;
	uint32_t addr;	    /* bound address (0: none) */
	uint32_t offer;	    /* address offered */
	uint32_t server_id; /* server that offered / bound */
	uint64_t t_disc;    /* TSC of the exchange's DISCOVER */
	uint64_t t_req;	    /* TSC of the last REQUEST */
	uint16_t wait;	    /* send number: a timeout entry is for this send */
	uint8_t state;
	uint8_t server_mac[6];
	uint32_t binds; /* exchanges completed */
};

struct dg_tq_ent {
	uint64_t deadline;
	uint32_t idx;
	uint16_t wait;
};

enum dg_hist_id { DG_H_DO, DG_H_RA, DG_H_DORA, DG_H_RENEW, DG_H_MAX };
static const char *const dg_hist_names[DG_H_MAX] = {"discover_offer", "request_ack", "exchange",
						    "renew"};

static struct {
	/* options */
	uint32_t n_clients;
	uint64_t exchanges; /* completed exchanges wanted (0: until --duration) */
	double duration;    /* seconds of starting new exchanges (0: none) */
	double rate;	    /* exchanges started per second (0: unpaced) */
	uint32_t window;    /* unpaced: exchanges in flight at most */
	double timeout_ms;
	bool renew, release, once, bcast, serve, progress, probe, self;
	uint32_t server_ip; /* --serve: our address */
	uint32_t pool;	    /* --serve: first address */
	uint32_t pool_size;
	uint32_t lease;
	uint16_t rxd, txd;
	uint16_t rxq; /* receive queues polled (a memif server's tx queues) */
	/* run */
	uint16_t port;
	struct rte_ether_addr mac;
	struct rte_mempool *mp;
	uint64_t hz;
	double ns_per_tsc;
	struct dg_client *cl;
	uint32_t *idle; /* FIFO of idle clients */
	uint32_t idle_mask, idle_head, idle_tail;
	struct dg_tq_ent *tq;
	uint32_t tq_head, tq_tail;
	uint64_t timeout_tsc;
	struct dg_uniq uniq;
	struct rte_mbuf *tx[DG_TXQ];
	uint16_t n_tx;
	uint32_t xid_state;
	/* counters */
	uint64_t started, completed, in_flight, naks, renews, renew_naks, releases;
	uint64_t to_offer, to_ack, to_renew, stale, bad, other, conflicts, uniq_full;
	uint64_t rx, tx_pkts, tx_drop, no_mbuf, arp, tq_full, behind;
	uint64_t t_first, t_last, busy_tsc, loop_tsc;
	struct gen_hist hist[DG_H_MAX];
} dg = {
	.n_clients = 1000,
	.window = 256,
	.timeout_ms = 1000,
	.server_ip = 0x0a420001, /* 10.66.0.1 */
	.pool = 0x0a420100,	 /* 10.66.1.0 */
	.pool_size = 1u << 20,
	.lease = 3600,
	.rxd = 2048,
	.txd = 2048,
	.rxq = 2,
	.probe = true,
};

static volatile sig_atomic_t dg_stop;

static void
dg_on_signal(int sig)
{
	(void)sig;
	dg_stop = 1;
}

static void
dg_usage(void)
{
	fprintf(stderr,
		"usage: nfv-dhcpgen [EAL options, one port: --vdev ...] -- [options]\n"
		"  -n, --clients N      emulated clients, MAC 02:dc:<index> (default 1000)\n"
		"  -x, --exchanges N    stop starting once N exchanges completed or in flight\n"
		"  -d, --duration S     start new exchanges for S seconds (default 10 without -x)\n"
		"  -r, --rate R         start R exchanges per second (default 0: unpaced)\n"
		"  -w, --window W       unpaced: at most W exchanges in flight (default 256)\n"
		"  -t, --timeout-ms T   a reply not there after T ms is a timeout (default 1000)\n"
		"      --renew          after the ACK, renew (REQUEST with ciaddr, unicast)\n"
		"      --release        then RELEASE the address\n"
		"      --once           each client completes at most one exchange\n"
		"      --broadcast      set the broadcast flag (replies broadcast)\n"
		"      --progress       one line per second on stderr\n"
		"      --rxq N          receive queues to poll: the peer's transmit queues\n"
		"                       (default 2: nfvd with one worker; af_packet: 1)\n"
		"      --no-probe       start at once (default: first a probe DISCOVER until\n"
		"                       an OFFER answers, up to 10 s, not counted)\n"
		"      --serve          fake server instead: OFFER/ACK at once (self-check)\n"
		"      --self           the clients and the fake server in this one process\n"
		"                       (a port that loops back, net_ring0): a lower bound of\n"
		"                       the emulator's capacity per CPU second (cpu_s)\n"
		"      --server-ip A    fake server's address (10.66.0.1)\n"
		"      --pool A         fake server's first address (10.66.1.0)\n");
}

static int
dg_parse_ip(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*out = ntohl(a.s_addr);
	return 0;
}

static int
dg_parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{"clients", required_argument, NULL, 'n'},
		{"exchanges", required_argument, NULL, 'x'},
		{"duration", required_argument, NULL, 'd'},
		{"rate", required_argument, NULL, 'r'},
		{"window", required_argument, NULL, 'w'},
		{"timeout-ms", required_argument, NULL, 't'},
		{"renew", no_argument, NULL, 1},
		{"release", no_argument, NULL, 2},
		{"once", no_argument, NULL, 3},
		{"broadcast", no_argument, NULL, 4},
		{"serve", no_argument, NULL, 5},
		{"server-ip", required_argument, NULL, 6},
		{"pool", required_argument, NULL, 7},
		{"progress", no_argument, NULL, 8},
		{"rxq", required_argument, NULL, 9},
		{"no-probe", no_argument, NULL, 10},
		{"self", no_argument, NULL, 11},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	char *end;

	while ((c = getopt_long(argc, argv, "n:x:d:r:w:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			dg.n_clients = (uint32_t)strtoul(optarg, &end, 10);
			if (*end || dg.n_clients == 0 || dg.n_clients > DG_MAX_CLIENTS) {
				fprintf(stderr, "nfv-dhcpgen: --clients: 1..%u\n", DG_MAX_CLIENTS);
				return -EINVAL;
			}
			break;
		case 'x':
			dg.exchanges = strtoull(optarg, &end, 10);
			if (*end)
				goto bad;
			break;
		case 'd':
			dg.duration = strtod(optarg, &end);
			if (*end || dg.duration < 0)
				goto bad;
			break;
		case 'r':
			dg.rate = strtod(optarg, &end);
			if (*end || dg.rate < 0)
				goto bad;
			break;
		case 'w':
			dg.window = (uint32_t)strtoul(optarg, &end, 10);
			if (*end || dg.window == 0)
				goto bad;
			break;
		case 't':
			dg.timeout_ms = strtod(optarg, &end);
			if (*end || dg.timeout_ms <= 0)
				goto bad;
			break;
		case 1:
			dg.renew = true;
			break;
		case 2:
			dg.release = true;
			break;
		case 3:
			dg.once = true;
			break;
		case 4:
			dg.bcast = true;
			break;
		case 5:
			dg.serve = true;
			break;
		case 6:
			if (dg_parse_ip(optarg, &dg.server_ip))
				goto bad;
			break;
		case 7:
			if (dg_parse_ip(optarg, &dg.pool))
				goto bad;
			break;
		case 8:
			dg.progress = true;
			break;
		case 9:
			dg.rxq = (uint16_t)strtoul(optarg, &end, 10);
			if (*end || dg.rxq == 0 || dg.rxq > 16)
				goto bad;
			break;
		case 10:
			dg.probe = false;
			break;
		case 11:
			dg.self = true;
			break;
		default:
			dg_usage();
			return -EINVAL;
		}
	}
	if (!dg.exchanges && !dg.duration)
		dg.duration = 10;
	return 0;
bad:
	fprintf(stderr, "nfv-dhcpgen: bad value '%s'\n", optarg);
	dg_usage();
	return -EINVAL;
}

/* ---------------------------------------------------------------- ports */

static int
dg_port_init(uint16_t pid)
{
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	uint16_t nrxd = dg.rxd, ntxd = dg.txd;
	int rc;

	/* a memif peer (nfvd) sends on one queue per worker plus the control
	 * thread's: receive on as many (af_packet: one) */
	rc = rte_eth_dev_info_get(pid, &info);
	if (rc)
		return rc;
	dg.rxq = RTE_MAX(RTE_MIN(dg.rxq, info.max_rx_queues), 1);
	rc = rte_eth_dev_configure(pid, dg.rxq, 1, &conf);
	if (rc)
		return rc;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrxd, &ntxd);
	if (rc)
		return rc;
	for (uint16_t q = 0; q < dg.rxq; q++) {
		rc = rte_eth_rx_queue_setup(pid, q, nrxd, rte_eth_dev_socket_id(pid), NULL, dg.mp);
		if (rc)
			return rc;
	}
	rc = rte_eth_tx_queue_setup(pid, 0, ntxd, rte_eth_dev_socket_id(pid), NULL);
	if (rc)
		return rc;
	rc = rte_eth_dev_start(pid);
	if (rc)
		return rc;
	rte_eth_promiscuous_enable(pid);
	return rte_eth_macaddr_get(pid, &dg.mac);
}

static void
dg_tx_flush(void)
{
	uint16_t sent = 0, tries = 0;

	while (sent < dg.n_tx && tries++ < 64)
		sent += rte_eth_tx_burst(dg.port, 0, dg.tx + sent, dg.n_tx - sent);
	dg.tx_pkts += sent;
	if (sent < dg.n_tx) {
		dg.tx_drop += dg.n_tx - sent;
		rte_pktmbuf_free_bulk(dg.tx + sent, dg.n_tx - sent);
	}
	dg.n_tx = 0;
}

static void
dg_tx_queue(struct rte_mbuf *m)
{
	dg.tx[dg.n_tx++] = m;
	if (dg.n_tx == DG_TXQ)
		dg_tx_flush();
}

/* Build m into a new mbuf and queue it. */
static bool
dg_send(const struct dg_msg *msg)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dg.mp);
	size_t len;

	if (m == NULL) {
		dg.no_mbuf++;
		return false;
	}
	len = dg_build(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_tailroom(m), msg);
	m->data_len = m->pkt_len = (uint32_t)len;
	dg_tx_queue(m);
	return true;
}

/* -------------------------------------------------------------- clients */

static inline void
dg_client_mac(uint32_t idx, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0xdc;
	mac[2] = (uint8_t)(idx >> 24);
	mac[3] = (uint8_t)(idx >> 16);
	mac[4] = (uint8_t)(idx >> 8);
	mac[5] = (uint8_t)idx;
}

static inline int64_t
dg_client_of(const uint8_t mac[6])
{
	uint32_t idx;

	if (mac[0] != 0x02 || mac[1] != 0xdc)
		return -1;
	idx = (uint32_t)mac[2] << 24 | (uint32_t)mac[3] << 16 | (uint32_t)mac[4] << 8 | mac[5];
	return idx < dg.n_clients ? (int64_t)idx : -1;
}

static inline uint32_t
dg_next_xid(void)
{
	uint32_t x = dg.xid_state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return dg.xid_state = x;
}

static inline void
dg_hist_add(enum dg_hist_id h, uint64_t now, uint64_t since)
{
	gen_hist_add(&dg.hist[h], (uint64_t)((double)(now - since) * dg.ns_per_tsc));
}

static void
dg_tq_push(uint32_t idx, uint64_t now)
{
	struct dg_tq_ent *e;

	if (dg.tq_tail - dg.tq_head == DG_TQ_SIZE) {
		dg.tq_full++; /* no timeout for this send: never seen with sane rates */
		return;
	}
	e = &dg.tq[dg.tq_tail++ & (DG_TQ_SIZE - 1)];
	e->deadline = now + dg.timeout_tsc;
	e->idx = idx;
	e->wait = ++dg.cl[idx].wait;
}

static void
dg_msg_from(struct dg_msg *m, uint32_t idx, uint8_t type)
{
	memset(m, 0, sizeof(*m));
	dg_client_mac(idx, m->chaddr);
	memcpy(m->eth_src, m->chaddr, 6);
	memset(m->eth_dst, 0xff, 6);
	m->ip_dst = 0xffffffffu;
	m->sport = DG_PORT_CLIENT;
	m->dport = DG_PORT_SERVER;
	m->op = DG_BOOTREQUEST;
	m->type = type;
	m->xid = dg.cl[idx].xid;
	m->flags = dg.bcast ? DG_FLAG_BROADCAST : 0;
}

static void
dg_send_discover(uint32_t idx, uint64_t now)
{
	struct dg_client *c = &dg.cl[idx];
	struct dg_msg m;

	c->xid = dg_next_xid();
	c->state = DG_S_SELECTING;
	c->t_disc = now;
	dg_msg_from(&m, idx, DG_DISCOVER);
	dg_send(&m);
	dg_tq_push(idx, now);
}

static void
dg_send_request(uint32_t idx, uint64_t now)
{
	struct dg_client *c = &dg.cl[idx];
	struct dg_msg m;

	c->state = DG_S_REQUESTING;
	c->t_req = now;
	dg_msg_from(&m, idx, DG_REQUEST);
	m.req_addr = c->offer;
	m.server_id = c->server_id;
	dg_send(&m);
	dg_tq_push(idx, now);
}

/* RENEWING (RFC 2131 4.3.2): ciaddr, unicast to the server, no server id
 * and no requested address; RELEASE: ciaddr, server id, unicast. */
static void
dg_send_unicast(uint32_t idx, uint8_t type, uint64_t now)
{
	struct dg_client *c = &dg.cl[idx];
	struct dg_msg m;

	dg_msg_from(&m, idx, type);
	memcpy(m.eth_dst, c->server_mac, 6);
	m.ip_src = c->addr;
	m.ip_dst = c->server_id;
	m.ciaddr = c->addr;
	m.flags = 0;
	if (type == DG_RELEASE) {
		m.server_id = c->server_id;
		m.xid = c->xid = dg_next_xid();
		dg_send(&m);
		return;
	}
	c->xid = dg_next_xid();
	m.xid = c->xid;
	c->state = DG_S_RENEWING;
	c->t_req = now;
	dg_send(&m);
	dg_tq_push(idx, now);
}

static void
dg_idle_push(uint32_t idx)
{
	dg.idle[dg.idle_tail++ & dg.idle_mask] = idx;
}

/* the exchange (and its renewal) is over: the client may start again */
static void
dg_finish(uint32_t idx)
{
	struct dg_client *c = &dg.cl[idx];

	c->state = DG_S_IDLE;
	c->wait++; /* any timeout entry left is stale */
	dg.in_flight--;
	if (!(dg.once && c->binds))
		dg_idle_push(idx);
}

static void
dg_release(uint32_t idx, uint64_t now)
{
	struct dg_client *c = &dg.cl[idx];

	if (!dg.release || c->addr == 0)
		return;
	dg_send_unicast(idx, DG_RELEASE, now);
	dg_uniq_release(&dg.uniq, c->addr, idx);
	c->addr = 0;
	dg.releases++;
}

/* the client holds addr now: nobody else may */
static void
dg_bind(uint32_t idx, uint32_t addr)
{
	struct dg_client *c = &dg.cl[idx];
	uint32_t other;
	int rc;

	if (c->addr && c->addr != addr)
		dg_uniq_release(&dg.uniq, c->addr, idx);
	rc = dg_uniq_bind(&dg.uniq, addr, idx, &other);
	if (rc == -EEXIST) {
		dg.conflicts++;
		if (dg.conflicts <= 5)
			fprintf(stderr,
				"nfv-dhcpgen: duplicate address %u.%u.%u.%u: client %u got it, "
				"client %u holds it\n",
				addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255, addr & 255, idx,
				other);
	} else if (rc == -ENOSPC) {
		dg.uniq_full++;
	}
	c->addr = addr;
}

static void
dg_client_reply(const struct dg_msg *m, uint64_t now)
{
	int64_t i = dg_client_of(m->chaddr);
	struct dg_client *c;
	uint32_t idx;

	if (m->op != DG_BOOTREPLY || i < 0) {
		dg.other++;
		return;
	}
	idx = (uint32_t)i;
	c = &dg.cl[idx];
	if (m->xid != c->xid || c->state == DG_S_IDLE) {
		dg.stale++; /* late: after its timeout, or a duplicate */
		return;
	}
	switch (m->type) {
	case DG_OFFER:
		if (c->state != DG_S_SELECTING || m->yiaddr == 0) {
			dg.stale++;
			return;
		}
		dg_hist_add(DG_H_DO, now, c->t_disc);
		c->offer = m->yiaddr;
		c->server_id = m->server_id ? m->server_id : m->ip_src;
		memcpy(c->server_mac, m->eth_src, 6);
		dg_send_request(idx, now);
		return;
	case DG_ACK:
		if (c->state == DG_S_REQUESTING) {
			if (m->yiaddr == 0) {
				dg.bad++;
				return;
			}
			dg_hist_add(DG_H_RA, now, c->t_req);
			dg_hist_add(DG_H_DORA, now, c->t_disc);
			dg_bind(idx, m->yiaddr);
			memcpy(c->server_mac, m->eth_src, 6);
			dg.completed++;
			c->binds++;
			dg.t_last = now;
			if (dg.renew) {
				dg_send_unicast(idx, DG_REQUEST, now);
				return;
			}
		} else if (c->state == DG_S_RENEWING) {
			dg_hist_add(DG_H_RENEW, now, c->t_req);
			dg.renews++;
			if (m->yiaddr != 0)
				dg_bind(idx, m->yiaddr);
		} else {
			dg.stale++;
			return;
		}
		dg_release(idx, now);
		dg_finish(idx);
		return;
	case DG_NAK:
		if (c->state == DG_S_REQUESTING) {
			dg.naks++;
		} else if (c->state == DG_S_RENEWING) {
			dg.renew_naks++;
			dg_uniq_release(&dg.uniq, c->addr, idx);
			c->addr = 0;
		} else {
			dg.stale++;
			return;
		}
		dg_finish(idx);
		return;
	default:
		dg.other++;
		return;
	}
}

static void
dg_timeouts(uint64_t now)
{
	while (dg.tq_head != dg.tq_tail) {
		const struct dg_tq_ent *e = &dg.tq[dg.tq_head & (DG_TQ_SIZE - 1)];
		struct dg_client *c;

		if (e->deadline > now)
			return;
		dg.tq_head++;
		c = &dg.cl[e->idx];
		if (c->wait != e->wait || c->state == DG_S_IDLE)
			continue; /* answered */
		if (c->state == DG_S_SELECTING)
			dg.to_offer++;
		else if (c->state == DG_S_REQUESTING)
			dg.to_ack++;
		else
			dg.to_renew++;
		dg_finish(e->idx);
	}
}

/* -------------------------------------------------------- fake server */

static void
dg_serve_one(struct rte_mbuf *pkt, const struct dg_msg *q)
{
	int64_t i = dg_client_of(q->chaddr);
	uint32_t addr;
	struct dg_msg r;
	size_t len;

	if (q->op != DG_BOOTREQUEST || (q->type != DG_DISCOVER && q->type != DG_REQUEST)) {
		rte_pktmbuf_free(pkt);
		return;
	}
	addr = dg.pool + (uint32_t)((i < 0 ? 0 : i) % dg.pool_size);
	memset(&r, 0, sizeof(r));
	memcpy(r.chaddr, q->chaddr, 6);
	memcpy(r.eth_src, dg.mac.addr_bytes, 6);
	memcpy(r.eth_dst, q->chaddr, 6);
	r.op = DG_BOOTREPLY;
	r.type = q->type == DG_DISCOVER ? DG_OFFER : DG_ACK;
	r.xid = q->xid;
	r.flags = q->flags;
	r.yiaddr = addr;
	r.server_id = dg.server_ip;
	r.lease = dg.lease;
	r.ip_src = dg.server_ip;
	r.ip_dst = q->ciaddr ? q->ciaddr : (q->flags & DG_FLAG_BROADCAST) ? 0xffffffffu : addr;
	r.sport = DG_PORT_SERVER;
	r.dport = DG_PORT_CLIENT;
	rte_pktmbuf_reset(pkt);
	len = dg_build(rte_pktmbuf_mtod(pkt, uint8_t *), rte_pktmbuf_tailroom(pkt), &r);
	pkt->data_len = pkt->pkt_len = (uint32_t)len;
	dg_tx_queue(pkt);
}

/* ------------------------------------------------------------- receive */

static void
dg_rx_one(struct rte_mbuf *pkt, uint64_t now)
{
	uint8_t *d = rte_pktmbuf_mtod(pkt, uint8_t *);
	struct dg_msg m;
	uint32_t tip;
	int rc;

	if (!rte_pktmbuf_is_contiguous(pkt)) {
		dg.other++;
		rte_pktmbuf_free(pkt);
		return;
	}
	rc = dg_parse(d, pkt->data_len, &m);
	if (rc == 0) {
		if (dg.serve || (dg.self && m.op == DG_BOOTREQUEST)) {
			dg_serve_one(pkt, &m);
			return;
		}
		dg_client_reply(&m, now);
	} else if (rc == -EINVAL) {
		dg.bad++;
	} else if (dg_is_arp_request(d, pkt->data_len, &tip)) {
		int64_t owner = dg.serve ? -1 : dg_uniq_owner(&dg.uniq, tip);

		if (owner >= 0) {
			uint8_t mac[6];

			dg_client_mac((uint32_t)owner, mac);
			dg_arp_reply(d, mac);
			dg.arp++;
			dg_tx_queue(pkt);
			return;
		}
	} else {
		dg.other++;
	}
	rte_pktmbuf_free(pkt);
}

/* ----------------------------------------------------------------- run */

static void
dg_print_hist(FILE *f, const struct gen_hist *h)
{
	fprintf(f,
		"{\"count\":%" PRIu64 ",\"mean_us\":%.1f,\"min_us\":%.1f,\"p50_us\":%.1f,"
		"\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,\"buckets_us\":[",
		h->count, h->count ? gen_hist_mean(h) / 1e3 : 0.0,
		h->count ? (double)h->min / 1e3 : 0.0, (double)gen_hist_percentile(h, 50) / 1e3,
		(double)gen_hist_percentile(h, 90) / 1e3, (double)gen_hist_percentile(h, 99) / 1e3,
		(double)gen_hist_percentile(h, 99.9) / 1e3, (double)h->max / 1e3);
	/* non-empty buckets as [upper bound us, count] */
	bool first = true;

	for (unsigned int i = 0; i < GEN_HIST_BUCKETS; i++) {
		if (!h->bucket[i])
			continue;
		fprintf(f, "%s[%.1f,%" PRIu64 "]", first ? "" : ",",
			(double)gen_hist_bucket_high(i) / 1e3, h->bucket[i]);
		first = false;
	}
	fprintf(f, "]}");
}

/* CPU time of this thread (user + system), seconds */
static double
dg_cpu_s(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru) != 0)
		return 0;
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static void
dg_report(uint64_t t_start, uint64_t t_end, double cpu_s)
{
	double span = dg.t_last > dg.t_first ? (double)(dg.t_last - dg.t_first) / (double)dg.hz : 0;
	double wall = (double)(t_end - t_start) / (double)dg.hz;
	uint64_t bound = 0;

	for (uint32_t i = 0; i < dg.n_clients; i++)
		bound += dg.cl[i].binds > 0;
	printf("{\"clients\":%u,\"rate_offered\":%.0f,\"window\":%u,\"renew\":%s,\"release\":%s,"
	       "\"started\":%" PRIu64 ",\"completed\":%" PRIu64 ",\"exchanges_per_s\":%.1f,"
	       "\"span_s\":%.3f,\"wall_s\":%.3f,\"naks\":%" PRIu64
	       ",\"timeouts\":{\"offer\":%" PRIu64 ",\"ack\":%" PRIu64 ",\"renew\":%" PRIu64
	       "},\"renews\":%" PRIu64 ",\"renew_naks\":%" PRIu64 ",\"releases\":%" PRIu64
	       ",\"clients_bound\":%" PRIu64 ",\"duplicate_addresses\":%" PRIu64
	       ",\"stale\":%" PRIu64 ",\"malformed\":%" PRIu64 ",\"other\":%" PRIu64
	       ",\"arp_replies\":%" PRIu64 ",\"rx\":%" PRIu64 ",\"tx\":%" PRIu64
	       ",\"tx_drop\":%" PRIu64 ",\"no_mbuf\":%" PRIu64 ",\"starts_skipped\":%" PRIu64
	       ",\"busy_pct\":%.1f,\"cpu_s\":%.3f,\"exchanges_per_cpu_s\":%.0f,\"busy_us_per_"
	       "exchange\":%.2f,\"latency\":{",
	       dg.n_clients, dg.rate, dg.window, dg.renew ? "true" : "false",
	       dg.release ? "true" : "false", dg.started, dg.completed,
	       span > 0 ? (double)dg.completed / span : 0.0, span, wall, dg.naks, dg.to_offer,
	       dg.to_ack, dg.to_renew, dg.renews, dg.renew_naks, dg.releases, bound, dg.conflicts,
	       dg.stale, dg.bad, dg.other, dg.arp, dg.rx, dg.tx_pkts, dg.tx_drop + dg.tq_full,
	       dg.no_mbuf, dg.behind,
	       dg.loop_tsc ? 100.0 * (double)dg.busy_tsc / (double)dg.loop_tsc : 0.0, cpu_s,
	       cpu_s > 0 ? (double)dg.completed / cpu_s : 0.0,
	       dg.completed ? (double)dg.busy_tsc * 1e6 / (double)dg.hz / (double)dg.completed
			    : 0.0);
	for (int h = 0; h < DG_H_MAX; h++) {
		printf("%s\"%s\":", h ? "," : "", dg_hist_names[h]);
		dg_print_hist(stdout, &dg.hist[h]);
	}
	printf("}}\n");
	fflush(stdout);
}

/* Before the clock starts: DISCOVERs from client 0 every 100 ms until an
 * OFFER comes back (the link and the server are up), for up to 10 s. */
static int
dg_probe(void)
{
	struct rte_mbuf *pkts[DG_BURST];
	uint64_t start = rte_rdtsc(), last = 0;
	struct dg_msg q, r;

	dg.cl[0].xid = 0x5eed0000;
	dg_msg_from(&q, 0, DG_DISCOVER);
	while (!dg_stop && rte_rdtsc() - start < 10 * dg.hz) {
		if (rte_rdtsc() - last > dg.hz / 10) {
			last = rte_rdtsc();
			dg_send(&q);
			dg_tx_flush();
		}
		for (uint16_t qi = 0; qi < dg.rxq; qi++) {
			uint16_t n = rte_eth_rx_burst(dg.port, qi, pkts, DG_BURST);
			bool ok = false;

			for (uint16_t k = 0; k < n; k++) {
				uint8_t *d = rte_pktmbuf_mtod(pkts[k], uint8_t *);

				if (dg_parse(d, pkts[k]->data_len, &r) == 0 && r.type == DG_OFFER &&
				    r.xid == q.xid)
					ok = true;
				rte_pktmbuf_free(pkts[k]);
			}
			if (ok)
				return 0;
		}
	}
	fprintf(stderr, "nfv-dhcpgen: no OFFER to a probe DISCOVER in 10 s\n");
	return -ETIMEDOUT;
}

static int
dg_run_clients(void)
{
	struct rte_mbuf *pkts[DG_BURST];
	uint64_t t0, now, prev, stop_start, last_print, drain_end = 0;
	bool starting = true;
	uint64_t paced = 0, t_end;
	double cpu0, cpu1;
	uint32_t size = 1;

	while (size < dg.n_clients)
		size <<= 1;
	dg.cl = calloc(dg.n_clients, sizeof(*dg.cl));
	dg.idle = calloc(size, sizeof(*dg.idle));
	dg.tq = calloc(DG_TQ_SIZE, sizeof(*dg.tq));
	if (!dg.cl || !dg.idle || !dg.tq || dg_uniq_init(&dg.uniq, dg.n_clients) != 0) {
		fprintf(stderr, "nfv-dhcpgen: out of memory\n");
		return -ENOMEM;
	}
	dg.idle_mask = size - 1;
	for (uint32_t i = 0; i < dg.n_clients; i++)
		dg_idle_push(i);
	dg.timeout_tsc = (uint64_t)(dg.timeout_ms * 1e-3 * (double)dg.hz);
	dg.xid_state = (uint32_t)rte_rdtsc() | 1;
	if (dg.probe && !dg.self && dg_probe() != 0)
		return -ETIMEDOUT;
	dg.tx_pkts = 0;
	cpu0 = dg_cpu_s();
	t0 = prev = last_print = rte_rdtsc();
	stop_start = dg.duration > 0 ? t0 + (uint64_t)(dg.duration * (double)dg.hz) : UINT64_MAX;
	while (!dg_stop) {
		uint16_t n;
		bool work;

		now = rte_rdtsc();
		work = false;
		for (uint16_t q = 0; q < dg.rxq; q++) {
			n = rte_eth_rx_burst(dg.port, q, pkts, DG_BURST);
			work |= n > 0;
			dg.rx += n;
			for (uint16_t k = 0; k < n; k++)
				dg_rx_one(pkts[k], now);
		}
		dg_timeouts(now);
		starting = now < stop_start && (!dg.exchanges || dg.completed < dg.exchanges);
		if (starting) {
			uint64_t due;
			unsigned int k = 0;

			if (dg.rate > 0)
				due = (uint64_t)((double)(now - t0) * dg.rate / (double)dg.hz) + 1;
			else
				due = paced +
				      (dg.window > dg.in_flight ? dg.window - dg.in_flight : 0);
			while (paced < due && k < DG_BURST && dg.idle_head != dg.idle_tail &&
			       (!dg.exchanges || dg.completed + dg.in_flight < dg.exchanges)) {
				uint32_t idx = dg.idle[dg.idle_head++ & dg.idle_mask];

				if (!dg.started)
					dg.t_first = now;
				dg.started++;
				paced++;
				dg.in_flight++;
				dg_send_discover(idx, now);
				k++;
			}
			work |= k > 0;
			if (dg.rate > 0 && due > paced + (uint64_t)(dg.rate / 100) + DG_BURST) {
				/* no idle client (or the port is behind): do not
				 * burst later to make up for it */
				dg.behind += due - DG_BURST - paced;
				paced = due - DG_BURST;
			}
		}
		/* done: nothing in flight and nothing more to start (--once:
		 * every client bound) */
		if (dg.in_flight == 0 && (!starting || dg.idle_head == dg.idle_tail))
			break;
		if (!starting) {
			if (!drain_end)
				drain_end = now + dg.timeout_tsc + dg.hz / 10;
			if (now > drain_end)
				break;
		}
		if (dg.n_tx)
			dg_tx_flush();
		if (work)
			dg.busy_tsc += now - prev;
		dg.loop_tsc += now - prev;
		prev = now;
		if (dg.progress && now - last_print > dg.hz) {
			last_print = now;
			fprintf(stderr,
				"nfv-dhcpgen: %.1f s started %" PRIu64 " completed %" PRIu64
				" in flight %" PRIu64 " timeouts %" PRIu64 " naks %" PRIu64 "\n",
				(double)(now - t0) / (double)dg.hz, dg.started, dg.completed,
				dg.in_flight, dg.to_offer + dg.to_ack + dg.to_renew, dg.naks);
		}
	}
	dg_tx_flush(); /* what the last pass queued (the last RELEASEs) */
	t_end = rte_rdtsc();
	cpu1 = dg_cpu_s();
	/* the last RELEASEs are in the link's ring: give the peer time to take
	 * them before the port closes (replies still counted, not timed) */
	while (!dg_stop && rte_rdtsc() - t_end < dg.hz / 2) {
		for (uint16_t q = 0; q < dg.rxq; q++) {
			uint16_t n = rte_eth_rx_burst(dg.port, q, pkts, DG_BURST);

			dg.rx += n;
			rte_pktmbuf_free_bulk(pkts, n);
		}
		rte_delay_us_sleep(1000);
	}
	dg_report(t0, t_end, cpu1 - cpu0);
	dg_uniq_free(&dg.uniq);
	free(dg.cl);
	free(dg.idle);
	free(dg.tq);
	return 0;
}

static int
dg_run_server(void)
{
	struct rte_mbuf *pkts[DG_BURST];

	while (!dg_stop) {
		for (uint16_t q = 0; q < dg.rxq; q++) {
			uint16_t n = rte_eth_rx_burst(dg.port, q, pkts, DG_BURST);

			dg.rx += n;
			for (uint16_t k = 0; k < n; k++)
				dg_rx_one(pkts[k], 0);
		}
		if (dg.n_tx)
			dg_tx_flush();
	}
	printf("{\"serve\":true,\"rx\":%" PRIu64 ",\"tx\":%" PRIu64 ",\"tx_drop\":%" PRIu64 "}\n",
	       dg.rx, dg.tx_pkts, dg.tx_drop);
	return 0;
}

int
main(int argc, char **argv)
{
	uint16_t pid;
	int rc, eal;

	eal = rte_eal_init(argc, argv);
	if (eal < 0) {
		fprintf(stderr, "nfv-dhcpgen: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= eal;
	argv += eal;
	signal(SIGINT, dg_on_signal);
	signal(SIGTERM, dg_on_signal);
	rc = dg_parse_args(argc, argv);
	if (rc)
		goto out_eal;
	for (int h = 0; h < DG_H_MAX; h++)
		gen_hist_reset(&dg.hist[h]);
	dg.hz = rte_get_tsc_hz();
	dg.ns_per_tsc = 1e9 / (double)dg.hz;
	if (rte_eth_dev_count_avail() != 1) {
		fprintf(stderr, "nfv-dhcpgen: need exactly one port (--vdev ...), found %u\n",
			rte_eth_dev_count_avail());
		rc = -ENODEV;
		goto out_eal;
	}
	dg.mp = rte_pktmbuf_pool_create("dg_pool", DG_NB_MBUF, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					rte_socket_id());
	if (!dg.mp) {
		fprintf(stderr, "nfv-dhcpgen: mbuf pool: %s\n", rte_strerror(rte_errno));
		rc = -ENOMEM;
		goto out_eal;
	}
	RTE_ETH_FOREACH_DEV(pid)
	{
		dg.port = pid;
		rc = dg_port_init(pid);
		if (rc) {
			fprintf(stderr, "nfv-dhcpgen: port %u: %s\n", pid, strerror(-rc));
			goto out_port;
		}
	}
	/* wait for the link (memif connects, af_packet is up at once) */
	for (int i = 0; i < 500 && !dg_stop; i++) {
		struct rte_eth_link link;

		if (rte_eth_link_get_nowait(dg.port, &link) == 0 && link.link_status)
			break;
		rte_delay_ms(10);
	}
	rc = dg.serve ? dg_run_server() : dg_run_clients();
out_port:
	rte_eth_dev_stop(dg.port);
	rte_eth_dev_close(dg.port);
out_eal:
	rte_eal_cleanup();
	return rc ? 1 : 0;
}
