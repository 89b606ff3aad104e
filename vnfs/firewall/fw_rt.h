/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd firewall VNF - run-time state (DPDK side): the compiled rule set that
 * workers read under RCU, the connection table, and the instance state.
 */
#ifndef NFV_FW_RT_H
#define NFV_FW_RT_H

#include <stdbool.h>
#include <stdint.h>

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

struct fw_ct_entry {
	struct fw_ct_key key;
	uint64_t last_tsc;
	uint64_t pkts[2]; /* per direction: 0 = from the initiator */
	uint8_t in_use;	  /* 1 once published; 0 after deletion */
	uint8_t state;
	uint8_t init_lo; /* 1 if the initiator is the key's lo side */
	uint8_t fin;	 /* FIN seen: bit0 initiator, bit1 responder */
	uint16_t rule;	 /* rule that created it */
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

/* ---- the instance ---- */
struct fw_xdp;

struct fw_state {
	struct fw_ruleset *rs; /* read by workers with acquire loads */
	struct fw_ct ct;
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
int fw_ct_init(struct fw_ct *ct, const char *name, uint32_t max, char *err, size_t len);
void fw_ct_fini(struct fw_ct *ct);
/* Expire at most `budget` slots from the cursor on; returns entries removed. */
uint32_t fw_ct_expire(struct fw_ct *ct, const struct fw_ruleset *rs, uint64_t now_tsc,
		      uint32_t budget);
uint64_t fw_ruleset_hits(const struct fw_ruleset *rs, uint32_t rule);

/* fw_dp.c */
uint16_t fw_process(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n);

/* fw_reject.c: build the reply to m (TCP RST or ICMP/ICMPv6 unreachable).
 * l3_off is the offset of the IP header in m. Returns a new mbuf from mp,
 * or NULL when m is not something to answer (e.g. an ICMP error, a RST). */
struct rte_mbuf *fw_reject_build(struct rte_mbuf *m, uint16_t l3_off, struct rte_mempool *mp);

/* fw_pcap.c: pcap-filter expression -> rte_bpf parameters (rte_free them). */
int fw_pcap_to_prm(const char *expr, struct rte_bpf_prm **prm, char *why, size_t len);

/* fw_xdp_cp.c */
int fw_xdp_sync(struct fw_state *fw, const struct nfv_config *cfg, const struct fw_conf *c);
void fw_xdp_tick(struct fw_state *fw, uint64_t now_ms);
void fw_xdp_stats(struct fw_state *fw, json_t *out);
void fw_xdp_free(struct fw_state *fw);

#endif /* NFV_FW_RT_H */
