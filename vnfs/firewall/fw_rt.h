/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd firewall VNF - run-time state (DPDK side): the compiled rule set that
 * workers read under RCU, the connection table, and the instance state.
 */
#ifndef NFV_FW_RT_H
#define NFV_FW_RT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_acl.h>
#include <rte_bpf.h>
#include <rte_hash.h>

#include "fw.h"
#include "nfv.h"

/* ---- ACL keys: built per packet, network byte order ---- */
/* rte_acl wants a 1-byte first field, then groups of 4 bytes. */
struct fw_key4 {
	uint8_t proto;
	uint8_t pad[3];
	uint16_t tcp_flags;
	uint16_t vlan;
	uint32_t src;
	uint32_t dst;
	uint16_t sport; /* ICMP: type */
	uint16_t dport; /* ICMP: code */
	uint16_t in_port;
	uint16_t out_port;
};

struct fw_key6 {
	uint8_t proto;
	uint8_t pad[3];
	uint16_t tcp_flags;
	uint16_t vlan;
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport;
	uint16_t dport;
	uint16_t in_port;
	uint16_t out_port;
};

/* ---- compiled rule set (swapped whole under RCU) ---- */
struct fw_rule {
	uint8_t action; /* enum fw_action */
	bool stateful, log, count;
	struct rte_bpf *bpf;	/* pcap-filter or eBPF matcher; NULL if none */
	struct rte_bpf_jit jit; /* jit.func NULL: interpreter */
	/* header fields for rules checked outside rte_acl (those with bpf) */
	uint8_t family;
	bool has_proto;
	uint8_t proto;
	uint8_t flags, flags_mask;
	int32_t in_port, out_port; /* DPDK ids, -1 any */
	int32_t vlan;		   /* -1 any */
	uint16_t sport_lo, sport_hi, dport_lo, dport_hi;
	uint8_t src_len, dst_len;
	uint8_t src[16], dst[16];
	char name[NFV_NAME_MAX];
};

struct fw_ruleset {
	struct rte_acl_ctx *acl4, *acl6; /* NULL when no rule of that family */
	uint16_t n_rules;
	uint16_t n_bpf;
	uint16_t *bpf_rules; /* indexes of rules with a bpf matcher, in order */
	struct fw_rule *rules;
	bool has_stateful;
	uint8_t default_action;
	uint8_t fragments; /* enum fw_frag_policy */
	uint64_t timeout_tsc[FW_TO_MAX];
	uint32_t hit_stride; /* uint64 per lcore row: 2 * hit_half */
	uint32_t hit_half;   /* packets [0..n_rules], bytes from hit_half on; the
			      * last slot (n_rules) is the default policy */
	uint64_t *hits;	     /* [RTE_MAX_LCORE][hit_stride] */
	struct fw_nat_rt *nat; /* NULL: no nat section */
};

/* ---- connection tracking ---- */
struct fw_ct_key {
	uint8_t family;
	uint8_t proto;
	uint16_t port_lo; /* ICMP echo: identifier in both */
	uint16_t port_hi;
	uint16_t pad;
	uint8_t addr_lo[16];
	uint8_t addr_hi[16];
};

/* NAT44: a direction's 5-tuple as on the wire, network byte order. ICMP
 * echo: sport = dport = the identifier. */
struct fw_nat_tuple {
	uint32_t src, dst;
	uint16_t sport, dport;
};

#define FW_NAT_NONE UINT32_MAX
#define FW_NAT_SRC 1 /* the original direction's source is translated */
#define FW_NAT_DST 2 /* the original direction's destination is translated */

/* in_use states of conntrack and NAT mapping slots */
enum {
	FW_SLOT_FREE = 0,
	FW_SLOT_LIVE = 1,
	FW_SLOT_BUILD = 2, /* a worker is filling it */
	FW_SLOT_DEAD = 3,  /* key in the hash, never published: the control thread removes it */
};

struct fw_ct_entry {
	struct fw_ct_key key;
	uint64_t last_tsc;
	uint64_t pkts[2]; /* per direction: 0 = from the initiator */
	uint8_t in_use;	  /* 1 once published; 0 after deletion */
	uint8_t state;
	uint8_t init_lo; /* 1 if the initiator is the key's lo side */
	uint8_t fin;	 /* FIN seen: bit0 initiator, bit1 responder */
	uint16_t rule;	 /* rule that created it */
	/* TCP, per direction (0 = from the initiator): the highest sequence
	 * number sent plus one (seq + payload + SYN + FIN), the last window
	 * and the window scale of its SYN (0xff: none); td_seen: bit per
	 * direction once learnt. What a RST's sequence number is checked
	 * against (RFC 5961 3.2, Linux's tcp_in_window, coarser). */
	uint32_t td_end[2];
	uint16_t td_win[2];
	uint8_t td_wscale[2];
	uint8_t td_seen;
	/* NAT44 (one table: a translated connection has two keys, the
	 * original and the reply tuple's, as in Linux conntrack) */
	uint8_t nat;	 /* FW_NAT_SRC | FW_NAT_DST; 0: not translated */
	uint8_t alias;	 /* this slot holds the reply key of entries[peer] */
	uint32_t peer;	 /* main: the reply key's slot; alias: the main slot */
	uint32_t map;	 /* the SNAT mapping it holds a reference on, or FW_NAT_NONE */
	struct fw_nat_tuple orig, reply;
};

struct fw_ct {
	struct rte_hash *h;
	struct fw_ct_entry *entries; /* indexed by rte_hash key position */
	uint32_t n_slots;
	uint32_t max;
	uint32_t count;	 /* entries in use (atomic) */
	uint32_t cursor; /* expiry scan position (control thread) */
	uint64_t expired;
};

/* ---- NAT44 run-time (fw_nat.c, docs/nat.md) ---- */
#define FW_NAT_PC 3 /* port classes: TCP, UDP, ICMP identifiers */
#define FW_NAT_WORDS 1024 /* 65536 bits */
#define FW_NAT_DEAD 0x80000000u
#define FW_NAT_REMOTES 4

/* An external address and its claimed ports; kept across applies while a
 * rule set names it (control thread list in struct fw_nat_state). */
struct fw_nat_addr {
	uint32_t addr;			       /* network order */
	uint32_t refs;			       /* rule sets naming it (control thread) */
	uint64_t bits[FW_NAT_PC][FW_NAT_WORDS]; /* claimed ports (atomic CAS) */
	uint64_t blocks[FW_NAT_WORDS];	       /* CGN: claimed port blocks */
	struct fw_nat_addr *next;
	/* the mapping holding each claimed port: its slot + 1 (0: none);
	 * written by the port's claimer, cleared on release */
	uint32_t owner[FW_NAT_PC][65536];
};

/* Key of the mapping table: an inside endpoint (side 0, per outside port);
 * a mapping is found by its outside endpoint through its address's owner
 * array (side 1 is not used) */
struct fw_nat_mkey {
	uint8_t side;
	uint8_t pc;
	uint16_t port; /* network order */
	uint32_t addr; /* network order */
	uint16_t oport;
	uint16_t pad;
};

/* An endpoint-independent mapping (RFC 4787 REQ-1), two keys as above. */
struct fw_nat_map {
	struct fw_nat_mkey key;
	uint8_t in_use; /* FW_SLOT_* */
	uint8_t alias;	/* the outside key's slot of maps[peer] */
	uint16_t rule;	/* snat rule index when made */
	uint32_t peer;
	uint32_t int_addr, ext_addr; /* network order */
	uint16_t int_port, ext_port; /* network order */
	uint32_t refs;		     /* sessions; FW_NAT_DEAD once released */
	uint32_t sub;		     /* subscriber slot or FW_NAT_NONE */
	uint32_t remotes[FW_NAT_REMOTES]; /* address-dependent filtering */
	struct fw_nat_addr *pa;
	uint64_t made_tsc;
};

/* A CGN subscriber (an inside address, per outside port). */
struct fw_nat_sub {
	uint32_t addr; /* network order */
	uint16_t oport;
	uint8_t in_use;
	uint8_t pad;
	uint32_t maps;	  /* mappings; FW_NAT_DEAD once released */
	uint16_t nblocks; /* blocks claimed (atomic) */
	uint16_t logged;  /* blocks logged (control thread) */
	uint16_t rule;
	uint16_t blocks[FW_NAT_MAX_BLOCKS]; /* first port of each block (host order) */
	struct fw_nat_addr *pa;
};

struct fw_snat_rt {
	int32_t in_port; /* DPDK ids; -1 any */
	uint16_t oport;
	uint16_t n_from, n_except;
	uint32_t from[FW_NAT_MAX_PFX][2], except[FW_NAT_MAX_PFX][2]; /* net, mask; host order */
	uint16_t n_addrs;
	struct fw_nat_addr *addrs[FW_NAT_MAX_POOL];
	uint16_t lo, hi; /* host order */
	uint32_t block, max_sub;
	int log; /* index into fw_nat_state.logs or -1 */
	char name[NFV_NAME_MAX];
};

struct fw_dnat_rt {
	uint32_t addr, to; /* network order */
	uint16_t port, to_port;
	uint8_t proto;
	uint16_t oport;
};

struct fw_static_rt {
	uint32_t ext, in; /* network order */
	uint16_t oport;
};

struct fw_nat_rt {
	uint8_t filtering;
	uint16_t n_snat, n_dnat, n_static;
	struct fw_snat_rt *snat;
	struct fw_dnat_rt *dnat;
	struct fw_static_rt *statics;
	uint64_t outside; /* bit per DPDK port id (< 64) that is an outside port */
	uint32_t n_ext;
	uint32_t *ext; /* every external address, sorted, host order */
	struct fw_nat_addr **ext_pa; /* per ext[]: its snat address object, or NULL */
};

#define FW_NAT_MAX_LOGS 16
struct fw_nat_state {
	struct rte_hash *mh; /* mappings: both keys */
	struct fw_nat_map *maps;
	uint32_t n_slots, count, cursor;
	struct rte_hash *sh; /* CGN subscribers */
	struct fw_nat_sub *subs;
	uint32_t n_sub_slots, n_subs, sub_cursor;
	struct fw_nat_addr *addrs; /* list (control thread) */
	uint32_t n_logs;
	struct {
		char path[NFV_PATH_MAX];
		FILE *f;
	} logs[FW_NAT_MAX_LOGS];
	uint64_t expired_maps, log_lines, log_errors;
};

/* ---- the instance ---- */
struct fw_xdp;

/* The later fragments of an IPv4 datagram whose first fragment was let
 * through (and translated): per worker lcore, direct-mapped by the
 * datagram's (source, destination, protocol, identification) as it came
 * in; the addresses it left with. Fragments of one datagram reach one
 * worker (RSS hashes fragments on addresses only; virtual ports have one
 * queue). A later fragment before its first one is not followed. */
#define FW_FRAG_SLOTS 256
#define FW_FRAG_TTL_MS 5000 /* a datagram's fragments arrive within this */
struct fw_frag_ent {
	uint32_t src, dst;   /* as received, network order */
	uint32_t nsrc, ndst; /* as sent on */
	uint64_t expire;     /* TSC; 0 = free */
	uint16_t id;
	uint8_t proto;
};

/* The same for IPv6 (fragment header identification; no NAT) */
struct fw_frag6_ent {
	uint8_t src[16], dst[16];
	uint64_t expire; /* TSC; 0 = free */
	uint32_t id;
};

struct fw_state {
	struct fw_ruleset *rs; /* read by workers with acquire loads */
	struct fw_ct ct;
	struct fw_frag_ent *frag;   /* RTE_MAX_LCORE x FW_FRAG_SLOTS */
	struct fw_frag6_ent *frag6; /* RTE_MAX_LCORE x FW_FRAG_SLOTS */
	struct fw_nat_state *nat; /* NULL unless created with a nat section */
	struct fw_xdp *xdp;  /* af_xdp pre-filter maps (control thread) */
	uint32_t generation; /* names of ACL contexts */
	uint64_t log_tokens; /* log rate limit */
	uint64_t log_last_ms;
	uint64_t log_suppressed;
	char name[NFV_NAME_MAX];
};

/* Punt reasons carried in nfv_meta(m)->nh >> 24; rule index in the low bits */
enum {
	FW_PUNT_REJECT = 1,
	FW_PUNT_LOG_DROP = 2,	/* original packet, dropped: log and free */
	FW_PUNT_LOG_COPY = 3,	/* copy of an allowed packet: log and free */
	FW_PUNT_LOG_REJECT = 4, /* log, then reject */
};

/* fw_cp.c */
extern int fw_logtype;
int fw_ruleset_build(struct fw_state *fw, const struct nfv_config *cfg, const struct fw_conf *c,
		     struct fw_ruleset **out, char *err, size_t len);
void fw_ruleset_free(struct fw_ruleset *rs);
/* keys: hash keys per connection (2 with NAT: original and reply) */
int fw_ct_init(struct fw_ct *ct, const char *name, uint32_t max, uint32_t keys, char *err,
	       size_t len);
void fw_ct_fini(struct fw_ct *ct);
/* Expire at most `budget` slots from the cursor on; returns entries removed. */
uint32_t fw_ct_expire(struct fw_ct *ct, const struct fw_ruleset *rs, uint64_t now_tsc,
		      uint32_t budget);
uint64_t fw_ruleset_hits(const struct fw_ruleset *rs, uint32_t rule);

/* fw_nat.c: control side */
int fw_nat_init(struct fw_state *fw, uint32_t max, char *err, size_t len);
void fw_nat_fini(struct fw_state *fw);
int fw_nat_build(struct fw_state *fw, const struct nfv_config *cfg, const struct fw_conf *c,
		 struct fw_nat_rt **out, char *err, size_t len);
void fw_nat_rt_free(struct fw_state *fw, struct fw_nat_rt *n);
/* a session's keys are gone: drop its mapping reference (control thread) */
void fw_nat_session_gone(struct fw_state *fw, struct fw_ct_entry *e);
void fw_nat_tick(struct fw_state *fw, const struct fw_ruleset *rs, uint64_t now_tsc);
/* after an apply: expire the sessions the new rule set does not keep */
uint32_t fw_nat_revalidate(struct fw_state *fw, const struct fw_ruleset *rs);
json_t *fw_nat_stats_json(struct fw_state *fw);
json_t *fw_nat_session_json(const struct fw_ct_entry *e);

/* fw_nat.c: fast path (fw_dp.c's helpers) */
struct fw_pkt;
struct nfv_worker;

/* fw_dp.c */
uint16_t fw_process(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n);

/* fw_reject.c: build the reply to m (TCP RST or ICMP/ICMPv6 unreachable).
 * l3_off is the offset of the IP header in m. Returns a new mbuf from mp,
 * or NULL when m is not something to answer (e.g. an ICMP error, a RST). */
struct rte_mbuf *fw_reject_build(struct rte_mbuf *m, uint16_t l3_off, struct rte_mempool *mp);


/* fw_xdp_cp.c */
int fw_xdp_sync(struct fw_state *fw, const struct nfv_config *cfg, const struct fw_conf *c);
void fw_xdp_tick(struct fw_state *fw, uint64_t now_ms);
void fw_xdp_stats(struct fw_state *fw, json_t *out);
void fw_xdp_free(struct fw_state *fw);

#endif /* NFV_FW_RT_H */
