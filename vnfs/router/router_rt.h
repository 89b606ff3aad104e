/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - run-time tables shared by the fast path (router_dp.c)
 * and the control path (router_cp.c, router_nd.c, router_icmp.c,
 * router_frame.c, router_tbl.c).
 *
 * Everything a worker reads hangs off one struct rtr_tables published with
 * an atomic pointer (RCU: a new conf builds new tables aside). Inside the
 * current tables, the control thread changes:
 *  - FIB entries with rte_fib_add/delete (single writer); the next-hop value
 *    is an adjacency id, adjacencies are written before they are published
 *    and reused only after a grace period;
 *  - neighbour MACs as one 64-bit word (MAC + valid bit), atomically;
 *  - the neighbour hash (lock-free reader/writer rte_hash, never deleted).
 */
#ifndef RTR_RT_H
#define RTR_RT_H

#include <stdatomic.h>

#include <rte_ether.h>
#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>

#include "nfv.h"
#include "nfv_csum.h"
#include "router.h"

/* ---- counters and drop reasons (per lcore, summed by the engine) ---- */
#define RTR_COUNTERS(_)                             \
	_(RTR_CTR_FWD4, "forwarded-v4")             \
	_(RTR_CTR_FWD6, "forwarded-v6")             \
	_(RTR_CTR_PUNT_LOCAL, "punt-local")         \
	_(RTR_CTR_PUNT_ARP, "punt-arp")             \
	_(RTR_CTR_PUNT_ND, "punt-nd")               \
	_(RTR_CTR_PUNT_TTL, "punt-ttl-expired")     \
	_(RTR_CTR_PUNT_UNREACH, "punt-unreachable") \
	_(RTR_CTR_PUNT_TOOBIG, "punt-too-big")      \
	_(RTR_CTR_PUNT_RESOLVE, "punt-resolve")     \
	_(RTR_CTR_PUNT_FRAG, "punt-fragment")       \
	_(RTR_CTR_PUNT_HOST, "punt-host-multicast") \
	_(RTR_CTR_PUNT_PARAM, "punt-parameter-problem") \
	_(RTR_CTR_PUNT_REDIRECT, "punt-redirect")
enum { RTR_COUNTERS(VNF_ENUM) RTR_CTR_MAX };

#define RTR_DROPS(_)                                                                               \
	_(RTR_DROP_TRUNCATED, "truncated", "frame shorter than its headers say")                   \
	_(RTR_DROP_BAD_VERSION, "bad-version", "IP version does not match the ethertype")          \
	_(RTR_DROP_BAD_IHL, "bad-ihl", "IPv4 header length below 20 bytes")                        \
	_(RTR_DROP_BAD_LENGTH, "bad-length", "IP total/payload length wrong for the frame")        \
	_(RTR_DROP_BAD_CHECKSUM, "bad-checksum", "IPv4 header checksum wrong")                     \
	_(RTR_DROP_IP_OPTIONS, "ip-options", "IPv4 options (not forwarded by this router)")        \
	_(RTR_DROP_BAD_SRC, "bad-source",                                                          \
	  "martian source address (multicast, loopback, unspecified...)")                          \
	_(RTR_DROP_MULTICAST, "multicast", "multicast destination (not routed)")                   \
	_(RTR_DROP_LINK_LOCAL, "link-local", "link-local address: never forwarded off its link")   \
	_(RTR_DROP_NO_IFACE, "no-interface", "arrived on a port/VLAN with no router interface")    \
	_(RTR_DROP_OTHER_HOST, "other-host", "frame addressed to another MAC")                     \
	_(RTR_DROP_ETHERTYPE, "unsupported-ethertype", "neither IPv4, IPv6 nor ARP")               \
	_(RTR_DROP_BLACKHOLE, "blackhole", "matched a blackhole route")                            \
	_(RTR_DROP_NEEDS_FRAG, "needs-fragmentation",                                              \
	  "too big for the egress MTU (fragment/error rate-limited or DF)")                        \
	_(RTR_DROP_PUNT_LIMIT, "punt-rate-limit", "slow-path packet over the punt rate limit")     \
	_(RTR_DROP_NO_ROUTE, "no-route",                                                           \
	  "no route to the destination (ICMP unreachable rate-limited)")                           \
	_(RTR_DROP_TTL, "ttl-expired", "TTL/hop limit expired (ICMP time exceeded rate-limited)")  \
	_(RTR_DROP_BAD_DST, "bad-destination", "martian destination address")                      \
	_(RTR_DROP_LINK_BCAST, "link-broadcast",                                                   \
	  "unicast packet in a link-layer broadcast/multicast frame")                              \
	_(RTR_DROP_BROADCAST, "broadcast",                                                         \
	  "directed broadcast of an attached subnet (not forwarded)")                              \
	_(RTR_DROP_HOST_LIMIT, "punt-local-rate-limit",                                            \
	  "packet for the host interface over its punt rate limit")                                \
	_(RTR_DROP_SOURCE_ROUTE, "source-route",                                                   \
	  "IPv4 loose/strict source route option (not forwarded, RFC 7126)")                       \
	_(RTR_DROP_BAD_OPTION, "bad-ip-option",                                                    \
	  "malformed IPv4 option (ICMP parameter problem rate-limited)")
enum { RTR_DROPS(VNF_ENUM) RTR_DROP_MAX };

/* Control-thread counters (in "stats" as cp_counters) */
#define RTR_CP_COUNTERS(_)                               \
	_(RTR_CP_ARP_REQ_RX, "arp-requests-rx")          \
	_(RTR_CP_ARP_REP_RX, "arp-replies-rx")           \
	_(RTR_CP_ARP_REQ_TX, "arp-requests-tx")          \
	_(RTR_CP_ARP_REP_TX, "arp-replies-tx")           \
	_(RTR_CP_GARP_TX, "gratuitous-arp-tx")           \
	_(RTR_CP_ND_NS_RX, "nd-solicits-rx")             \
	_(RTR_CP_ND_NA_RX, "nd-adverts-rx")              \
	_(RTR_CP_ND_NS_TX, "nd-solicits-tx")             \
	_(RTR_CP_ND_NA_TX, "nd-adverts-tx")              \
	_(RTR_CP_DAD_CONFLICT, "dad-conflicts")          \
	_(RTR_CP_ECHO_REPLY, "echo-replies")             \
	_(RTR_CP_ICMP_ERR_TX, "icmp-errors-tx")          \
	_(RTR_CP_ICMP_RATE_LIMITED, "icmp-rate-limited") \
	_(RTR_CP_QUEUED, "resolve-queued")               \
	_(RTR_CP_QUEUE_SENT, "resolve-queue-sent")       \
	_(RTR_CP_QUEUE_FULL, "resolve-queue-full")       \
	_(RTR_CP_RESOLVE_TIMEOUT, "resolve-timeout")     \
	_(RTR_CP_NEIGH_FULL, "neighbour-table-full")     \
	_(RTR_CP_NEIGH_EVICTED, "neighbours-evicted")    \
	_(RTR_CP_LOCAL_DROPPED, "local-dropped")         \
	_(RTR_CP_FRAGMENTED, "fragmented")               \
	_(RTR_CP_FRAGMENTS_TX, "fragments-tx")           \
	_(RTR_CP_FRAG_FAILED, "fragmentation-failed")    \
	_(RTR_CP_REASM_IN, "reassembly-fragments-in")    \
	_(RTR_CP_REASM_DONE, "reassembled")              \
	_(RTR_CP_REASM_FAILED, "reassembly-failed")      \
	_(RTR_CP_REASM_PRESSURE, "reassembly-pressure")  \
	_(RTR_CP_MLD_REPORT_TX, "mld-reports-tx")        \
	_(RTR_CP_MLD_QUERY_RX, "mld-queries-rx")         \
	_(RTR_CP_REDIRECT_TX, "redirects-tx")            \
	_(RTR_CP_NOMEM, "no-mbuf")                       \
	_(RTR_CP_ICMP_SUPPRESSED, "icmp-errors-suppressed") \
	_(RTR_CP_RA_TX, "router-adverts-tx")             \
	_(RTR_CP_RS_RX, "router-solicits-rx")            \
	_(RTR_CP_RS_BAD, "router-solicits-invalid")      \
	_(RTR_CP_RA_RX, "router-adverts-rx")             \
	_(RTR_CP_HOSTIF_RX, "host-if-to-kernel")            \
	_(RTR_CP_HOSTIF_RX_FAIL, "host-if-to-kernel-failed") \
	_(RTR_CP_HOSTIF_TX, "host-if-from-kernel")          \
	_(RTR_CP_HOSTIF_TX_FILTERED, "host-if-from-kernel-filtered") \
	_(RTR_CP_HOSTIF_TX_BAD, "host-if-from-kernel-dropped") \
	_(RTR_CP_HOSTIF_PASS_FULL, "host-if-pass-budget-spent") \
	_(RTR_CP_TCP_RST_TX, "tcp-resets-tx")
enum { RTR_CP_COUNTERS(VNF_ENUM) RTR_CP_MAX };

/* ---- adjacencies: the FIB next-hop value is an adjacency id ---- */
enum rtr_adj_type {
	RTR_ADJ_NOROUTE,   /* FIB default */
	RTR_ADJ_LOCAL,	   /* one of our addresses: punt */
	RTR_ADJ_BLACKHOLE, /* drop silently */
	RTR_ADJ_REJECT,	   /* drop with ICMP unreachable */
	RTR_ADJ_BCAST,	   /* directed broadcast of an attached subnet: drop */
	RTR_ADJ_CONNECTED, /* on-link: the neighbour is the destination */
	RTR_ADJ_GW,	   /* next hops (ECMP) */
};

/* route kinds derived from addresses (beyond enum rtr_route_type) */
#define RTR_RT_CONNECTED 3
#define RTR_RT_LOCAL 4
#define RTR_RT_BROADCAST 5 /* an attached subnet's directed broadcast (RFC 1812 5.3.5) */
extern const char *const rtr_rt_kind_names[];

/* fixed ids: 0..4 by type, 5..5+RTR_MAX_IF-1 connected per interface */
#define RTR_ADJ_IF_BASE 5
#define RTR_ADJ_DYN_BASE (RTR_ADJ_IF_BASE + RTR_MAX_IF)
#define RTR_MAX_ADJ 32767 /* FIB next hop values are 2 bytes (15 bits usable) */

struct rtr_adj {
	uint8_t type;
	uint8_t n_nh;
	uint16_t iface; /* CONNECTED */
	/* GW with one next hop, or CONNECTED, on an untagged interface:
	 * that interface's port, MTU and MAC, for the fast path (fast true;
	 * a connected destination's neighbour comes from the worker's
	 * neighbour cache, rtr_nc_get4) */
	bool fast;
	uint8_t pad;
	uint16_t out_port;
	uint16_t out_mtu;
	struct rte_ether_addr out_smac;
	uint32_t nh[RTR_MAX_PATHS]; /* GW: neighbour ids */
	/* control thread */
	uint32_t refs;
	uint32_t next_free; /* free / pending list */
	uint32_t hnext;	    /* dedup hash chain */
};
#define RTR_ADJ_HBUCKETS 4096

/* Punt reasons (meta->nh low byte; neighbour id above) */
enum rtr_punt {
	RTR_PUNT_LOCAL = 1,
	RTR_PUNT_ARP,
	RTR_PUNT_ND,
	RTR_PUNT_TTL,
	RTR_PUNT_NOROUTE,
	RTR_PUNT_REJECT,
	RTR_PUNT_TOOBIG,
	RTR_PUNT_RESOLVE,
	RTR_PUNT_HOST, /* link-scope multicast for the interface's host twin */
	RTR_PUNT_SCOPE, /* IPv6 link-local source to a destination off its link */
	RTR_PUNT_PARAM, /* malformed IPv4 option: parameter problem, pointer in the nid bits */
	RTR_PUNT_REDIRECT, /* a copy of a packet sent back out its interface: redirect */
};

enum rtr_neigh_state {
	RTR_NS_INCOMPLETE,
	RTR_NS_REACHABLE,
	RTR_NS_STALE,  /* reachable time over: MAC still used, probing */
	RTR_NS_FAILED, /* no answer to the probes */
	RTR_NS_STATIC,
};
extern const char *const rtr_neigh_state_names[];

#define RTR_MAC_VALID (1ULL << 63)

struct rtr_nkey {
	uint8_t addr[16]; /* IPv4 in the first 4 bytes, network order */
	uint16_t iface;
	uint8_t family; /* 4 or 6 */
	uint8_t pad;
};

struct rtr_neigh {
	_Atomic uint64_t macw; /* MAC (6 bytes, memory order) | RTR_MAC_VALID */
	struct rtr_nkey key;
	/* control thread */
	uint8_t state;
	uint8_t probes;
	uint64_t changed_ms;
	uint64_t next_ms; /* next request / state change */
	uint32_t refs;	  /* adjacencies using it */
	uint16_t qn;
	struct rte_mbuf **q;
	uint64_t req_tx, rep_rx, queued, q_drops;
};

struct rtr_if {
	char name[NFV_NAME_MAX];
	uint16_t port; /* DPDK port id */
	uint16_t vlan;
	uint16_t mtu;
	struct rte_ether_addr mac;
	uint16_t n4, n6;
	uint32_t a4[RTR_MAX_ADDRS]; /* network order */
	uint8_t l4[RTR_MAX_ADDRS];
	uint8_t a6[RTR_MAX_ADDRS][16];
	uint8_t l6[RTR_MAX_ADDRS];
	uint8_t ll6[16]; /* link-local from the MAC (EUI-64) */
	/* RFC 4862 5.4.5: another node answered our duplicate address
	 * detection for a6[k] ([RTR_MAX_ADDRS]: the link-local): the address
	 * is not used (no adverts for it, not a source; link-local: no
	 * router adverts) until the next apply */
	bool dad_conflict[RTR_MAX_ADDRS + 1];
	uint64_t dad_until_ms; /* adverts for our addresses before this answer DAD */
	bool hostif; /* has a kernel twin: link-scope multicast is punted for it */
};

struct rtr_rib; /* control-thread route table (router_tbl.c) */

struct rtr_tables {
	uint64_t gen;
	struct rte_fib *fib4;
	struct rte_fib6 *fib6;
	uint16_t n_if;
	/* host order: the host bits every attached IPv4 subnet's directed
	 * broadcast has set (those of the longest prefix of /30 or shorter;
	 * ~0 with none): a source without all of them set is no such
	 * broadcast, the one test the fast path pays (RFC 1812 5.3.7) */
	uint32_t bcast4_low;
	bool redirects; /* send ICMP redirects (send-redirects) */
	struct rtr_if ifs[RTR_MAX_IF];
	int8_t untagged_if[RTE_MAX_ETHPORTS]; /* -1: none */
	/* MAC of the port's untagged interface as the low 48 bits of a
	 * little-endian load, or ~0 (matches no frame): the fast path's test */
	uint64_t untagged_mac[RTE_MAX_ETHPORTS];
	bool port_has_vlan[RTE_MAX_ETHPORTS];
	struct rtr_adj adj[RTR_MAX_ADJ];
	struct rte_hash *nhash;		       /* rtr_nkey -> neighbour id */
	uint32_t max_neigh, n_neigh, neigh_hi; /* neigh_hi: highest id in use */
	struct rtr_neigh *neigh;
	/* control thread */
	struct rtr_rib *rib4, *rib6;
	uint32_t adj_free;    /* free list head (0 = empty) */
	uint32_t adj_pending; /* released, reusable after a grace period */
	uint32_t adj_top;
	uint32_t adj_bucket[RTR_ADJ_HBUCKETS];
	uint32_t n_routes4, n_routes6;
};

/* Per-worker punt token bucket */
/* Per-worker cache of IPv4 neighbours on connected subnets: address ->
 * neighbour id without a hash lookup per packet (the rte_hash lookup was
 * ~100 cycles of a router+firewall chain to an on-link host). An entry is
 * trusted only for the tables generation it was filled from and while the
 * neighbour slot still holds that address. */
#define RTR_NCACHE 64
struct rtr_ncache {
	uint64_t gen;
	uint8_t addr[16]; /* IPv4: the first 4 bytes */
	uint16_t iface;
	uint8_t family; /* 4 or 6 */
	uint32_t nid;
};

/* A token bucket: tokens left, TSC of the last refill */
struct rtr_bucket {
	uint64_t tokens;
	uint64_t last;
};

/* Two per worker: what the router needs to route (ARP/ND, ICMP errors,
 * resolution, routing protocols: punt-rate) and what is for its own
 * addresses (echo, TCP, UDP: host-punt-rate), so a flood to the router's
 * address cannot starve neighbour resolution */
enum { RTR_TB_CTL, RTR_TB_HOST, RTR_TB_MAX };

struct rtr_tb {
	struct rtr_bucket b[RTR_TB_MAX];
	uint64_t redirect_next; /* TSC: no redirect copy before (RTR_REDIRECT_PER_S) */
	struct rtr_ncache nc[RTR_NCACHE];
} __rte_cache_aligned;
/* Redirect copies a worker makes per second at most (apart from the punt
 * buckets: hairpinned traffic never starves ARP/ND and errors) */
#define RTR_REDIRECT_PER_S 100

typedef uint16_t (*rtr_tx_fn)(uint16_t port, struct rte_mbuf **pkts, uint16_t n);

/* A dynamic (CLI) route, kept across reconfigure */
struct rtr_dyn_route {
	struct rtr_route_conf r;
	char iface[NFV_NAME_MAX]; /* r.iface by name (indexes change on apply) */
	struct rtr_dyn_route *next;
};

/* Router advertisements of one interface (router_ra.c; control thread),
 * indexed like the tables' interfaces */
#define RTR_RA_MAX_UNI 8 /* solicited unicast answers waiting their delay */
struct rtr_ra_uni {
	uint8_t ip[16];
	uint8_t mac[6];
	uint64_t at_ms;
};
/* What an interface stopped advertising at an apply (a prefix, a DNS
 * server): sent with lifetimes 0 in the next adverts so that hosts stop
 * using them (RFC 4862 5.5.3: preferred 0 deprecates an address, valid 0
 * removes the on-link prefix, RFC 4861 6.3.4; RFC 8106 5.1: RDNSS 0) */
struct rtr_ra_gone {
	uint8_t left; /* multicast adverts that still carry them */
	uint8_t n_prefix, n_rdnss;
	struct rtr_ra_prefix prefix[RTR_RA_MAX_PREFIXES];
	uint8_t rdnss[RTR_RA_MAX_RDNSS][16];
};

struct rtr_ra_if {
	bool on;
	uint8_t initial;       /* initial adverts sent (RFC 4861 6.2.4) */
	uint16_t n_uni;
	uint64_t next_ms;      /* next multicast advert */
	uint64_t last_mcast_ms; /* 0: none yet */
	uint64_t tx, rs_rx;
	struct rtr_ra_uni uni[RTR_RA_MAX_UNI];
	struct rtr_ra_gone gone;
};

struct rtr_hostif; /* a kernel twin (router_hostif.c) */

struct rtr_state {
	_Atomic(struct rtr_tables *) tables;
	uint64_t punt_tsc_per_token[RTR_TB_MAX];
	uint64_t punt_burst[RTR_TB_MAX];
	struct rtr_tb tb[RTE_MAX_LCORE];
	/* the IPv4 timestamp option's clock (RFC 791: ms since midnight UT),
	 * from the TSC: realtime ms at ts_tsc0 (set once, read by workers) */
	uint64_t ts_tsc0, ts_hz;
	uint32_t ts_ms0;
	/* control thread */
	/* IPv4 datagrams for the router itself arriving in fragments
	 * (RFC 1122 3.3.2), reassembled here (rtr_local4) */
	struct rte_ip_frag_tbl *reasm;
	struct rte_ip_frag_death_row reasm_dr;
	uint64_t reasm_cycles; /* the table's timeout */
	struct nfv_vnf *vnf;
	const struct rtr_conf *conf;
	char name[NFV_NAME_MAX];
	uint64_t gen;
	struct rtr_dyn_route *dyn;
	rtr_tx_fn tx;
	struct rte_mempool *pool;
	double icmp_tokens;
	uint64_t icmp_last_ms;
	uint64_t now_ms;
	uint64_t cp[RTR_CP_MAX];
	bool announce; /* gratuitous ARP / DAD on the next tick */
	struct rtr_ra_if ra[RTR_MAX_IF];
	/* zebra's FPM feed (router_fpm.c), NULL when not configured */
	struct rtr_fpm *fpm;
	/* kernel ifindex of interface i's host twin (0: none), set by the host
	 * interface code: FPM next hops name their interface by it */
	uint32_t host_ifindex[RTR_MAX_IF];
	/* kernel twins by interface index of the current tables (NULL: none) */
	struct rtr_hostif *hif[RTR_MAX_IF];
	uint64_t hif_link_ms; /* last link poll */
};

/* ---- router_tbl.c (control thread) ---- */
/* Build tables for conf; ports[i]/macs[i] are interface i's DPDK port id and
 * MAC. Returns NULL with err filled. */
struct rtr_tables *rtr_tables_build(struct rtr_state *st, const struct rtr_conf *c,
				    const uint16_t *ports, const struct rte_ether_addr *macs,
				    char *err, size_t errlen);
void rtr_tables_free(struct rtr_tables *t);
/* Add / remove one route in t (live: single writer, RCU-safe adjacencies).
 * Returns 0, -EEXIST, -ENOENT, -ENOSPC... with err filled. */
int rtr_route_add(struct rtr_state *st, struct rtr_tables *t, const struct rtr_route_conf *r,
		  char *err, size_t errlen);
/* Interface whose connected subnet holds addr (longest), or -1. */
int rtr_tables_iface_for(const struct rtr_tables *t, int family, const uint8_t *addr);
/* The route of t that covers addr (family 4: 4 bytes, 6: 16, network
 * order) now: the longest prefix with an installed adjacency. Returns its
 * length and *adj, or -1 (nfvctl trace show). */
int rtr_tables_route_of(const struct rtr_tables *t, int family, const uint8_t *addr,
			uint32_t *adj);
int rtr_route_del(struct rtr_state *st, struct rtr_tables *t, const struct rtr_route_conf *r,
		  char *err, size_t errlen);
/* Neighbour id for (iface, family, addr), created INCOMPLETE if absent.
 * Returns -ENOSPC when the table is full. */
int rtr_neigh_get(struct rtr_tables *t, uint16_t iface, int family, const void *addr, bool create);
void rtr_neigh_set_mac(struct rtr_neigh *n, const struct rte_ether_addr *mac);
/* Grace period, then adjacencies released by route changes are reusable. */
void rtr_tables_reclaim(struct rtr_tables *t);
/* Routes from FRR (router_fpm.c): one route per prefix, next hops on
 * interfaces already chosen (iface >= 0 for unicast). rtr_ext_set replaces
 * the prefix's FRR paths (routes of the chain file and nfvctl stay and win);
 * rtr_ext_del removes them (-ENOENT: none). Adjacencies released are
 * reusable after rtr_tables_reclaim(). */
struct rtr_ext_nh {
	uint8_t via[16];
	bool has_via;
	int16_t iface;
};
struct rtr_ext_route {
	int family; /* 4 or 6 */
	uint8_t addr[16];
	uint8_t len;
	uint8_t type; /* enum rtr_route_type */
	uint8_t proto; /* zebra's protocol number */
	bool stale;
	uint32_t metric;
	uint32_t nhid;
	uint16_t n;
	struct rtr_ext_nh nh[RTR_MAX_PATHS];
};
int rtr_ext_set(struct rtr_tables *t, const struct rtr_ext_route *r, char *err, size_t errlen);
int rtr_ext_del(struct rtr_tables *t, int family, const uint8_t *addr, uint8_t len);
/* Prefetch what rtr_ext_set/del of a prefix will read: its hash bucket
 * (entry false), then, some routes later, the entry the bucket points at
 * (entry true); hash from rtr_ext_hash (the prefix as zebra sends it,
 * masked). The FPM reader runs these ahead of the routes it applies. */
uint32_t rtr_ext_hash(int family, const uint8_t *addr, uint8_t len);
void rtr_ext_prefetch(const struct rtr_tables *t, int family, uint32_t hash, bool entry);
/* Mark every FRR path stale (a lost session); returns the prefixes. */
uint32_t rtr_ext_mark_stale(struct rtr_tables *t);
/* Remove the stale FRR paths (a resync is complete); returns the prefixes. */
uint32_t rtr_ext_sweep(struct rtr_tables *t);
/* Refill (fill() != 0: remove) every live FRR route using next-hop id nhid;
 * returns how many there were. */
uint32_t rtr_ext_nhid_update(struct rtr_tables *t, uint32_t nhid,
			     int (*fill)(void *ctx, struct rtr_ext_route *r), void *ctx);
json_t *rtr_routes_json(struct rtr_tables *t, int family, uint32_t limit);
json_t *rtr_route_get_json(struct rtr_tables *t, const struct cfg_prefix *a);
/* Wait until no worker uses what was unpublished (no-op without engine). */
void rtr_sync(void);

/* ---- router_dp.c ---- */
uint16_t rtr_process(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n);

/* ---- router_cp.c (over router_nd.c, router_icmp.c, router_frame.c) ---- */
void rtr_punt(struct nfv_vnf *vnf, struct rte_mbuf *m);
void rtr_tick(struct nfv_vnf *vnf, uint64_t now_ms);
/* Bring up a state around tables (for tests and create). */
void rtr_state_init(struct rtr_state *st, const struct rtr_conf *c, uint64_t tsc_hz);
/* router_nd.c: neighbour id has answered with mac: queued packets go */
/* The MAC of neighbour id learnt; confirmed: an answer to our request
 * (REACHABLE), else a solicitation or unsolicited advert (STALE) */
void rtr_neigh_resolved(struct rtr_state *st, struct rtr_tables *t, uint32_t id,
			const struct rte_ether_addr *mac, bool confirmed);

/* ---- helpers shared by both paths ---- */
static inline uint16_t
rtr_csum_update16(uint16_t csum, uint16_t old, uint16_t new_)
{
	/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') */
	uint32_t s = (uint16_t)~csum + (uint16_t)~old + new_;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static inline struct rtr_tables *
rtr_tables_get(struct rtr_state *st)
{
	return atomic_load_explicit(&st->tables, memory_order_acquire);
}

/* Write the L2 header for iface `oi` towards mac (MAC word), growing or
 * shrinking the VLAN tag. l2_len is the current L2 header length. Returns
 * 0 or -1 (no headroom). */
static inline int
rtr_l2_write(struct rte_mbuf *m, uint16_t l2_len, const struct rtr_if *oi, uint64_t macw,
	     uint16_t ethertype_be)
{
	uint16_t want = oi->vlan ? 18 : 14;
	uint8_t *d;

	if (want < l2_len)
		rte_pktmbuf_adj(m, l2_len - want);
	else if (want > l2_len && rte_pktmbuf_prepend(m, want - l2_len) == NULL)
		return -1;
	d = rte_pktmbuf_mtod(m, uint8_t *);
	memcpy(d, &macw, 6);
	memcpy(d + 6, &oi->mac, 6);
	if (oi->vlan) {
		*(uint16_t *)(d + 12) = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		*(uint16_t *)(d + 14) = rte_cpu_to_be_16(oi->vlan);
		*(uint16_t *)(d + 16) = ethertype_be;
	} else {
		*(uint16_t *)(d + 12) = ethertype_be;
	}
	return 0;
}

/* The IPv4 timestamp option's clock (router_dp.c): set up from the
 * realtime clock once; ms since midnight UT from the TSC, any thread. */
void rtr_ts_init(struct rtr_state *st, uint64_t tsc_hz);
uint32_t rtr_ts_ms(const struct rtr_state *st);
/* Record route and timestamp options of ip (checked) filled in with addr
 * (network order) and ms; header checksum recomputed. */
void rtr_opts4_stamp(struct rte_ipv4_hdr *ip, uint32_t addr, uint32_t ms);

/* IPv4 m (L2 stripped) larger than oi's MTU, DF clear: sent in RFC 791
 * fragments to macw (router_nd.c); m is consumed. */
void rtr_cp_fragment4(struct rtr_state *st, const struct rtr_if *oi, struct rte_mbuf *m,
		      uint64_t macw);
/* The same for IPv6 m the router sends itself (an echo reply). */
void rtr_cp_fragment6(struct rtr_state *st, const struct rtr_if *oi, struct rte_mbuf *m,
		      uint64_t macw);

/* The reassembly table of datagrams for the router (router_cp.c). */
int rtr_reasm_init(struct rtr_state *st);
void rtr_reasm_fini(struct rtr_state *st);

#endif /* RTR_RT_H */
