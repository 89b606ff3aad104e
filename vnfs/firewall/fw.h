/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd firewall VNF - private definitions shared by the config parser
 * (fw_conf.c), the control path (fw_cp.c, fw_xdp_cp.c, fw_reject.c) and the
 * fast path (fw_dp.c).
 *
 * Order of evaluation of a packet (nftables users' expectation):
 *   1. sanity: L3/L4 header checks, odd TCP flags, fragments -> drop reasons
 *   2. connection tracking: a packet of a tracked connection is allowed
 *      (state updated) before the rule list
 *   3. the ordered rule list, first match wins (rte_acl for header fields,
 *      rte_bpf for pcap-filter / eBPF matchers), then the default policy
 *   4. a matching "stateful" allow rule creates a conntrack entry
 */
#ifndef NFV_FW_H
#define NFV_FW_H

#include <stdbool.h>
#include <stdint.h>

#include "cfg.h"
#include "model.h"
#include "vnf.h"

#define FW_DIM(a) (sizeof(a) / sizeof((a)[0]))
#define FW_MAX_RULES 4096
#define FW_FILTER_MAX 1024
#define FW_SECTION_MAX 64
#define FW_EBPF_INSN_SIZE 8 /* struct bpf_insn */

enum fw_action {
	FW_ALLOW,
	FW_DROP,
	FW_REJECT,
};
extern const char *const fw_action_names[];

enum fw_frag_policy {
	FW_FRAG_DROP,
	FW_FRAG_ALLOW,
};

/* Conntrack states; timeouts indexed by fw_timeout below. */
#define FW_CT_STATES(_)                     \
	_(FW_CT_NONE, "none")               \
	_(FW_CT_SYN_SENT, "syn-sent")       \
	_(FW_CT_SYN_RECV, "syn-recv")       \
	_(FW_CT_ESTABLISHED, "established") \
	_(FW_CT_CLOSING, "closing")         \
	_(FW_CT_TIME_WAIT, "time-wait")     \
	_(FW_CT_CLOSED, "closed")           \
	_(FW_CT_UDP_NEW, "udp-new")         \
	_(FW_CT_UDP_STREAM, "udp-stream")   \
	_(FW_CT_ICMP, "icmp")
enum { FW_CT_STATES(VNF_ENUM) FW_CT_STATE_MAX };
extern const char *const fw_ct_state_names[];

/* Configurable timeouts (seconds): key name, default. */
#define FW_TIMEOUTS(_)                                     \
	_(FW_TO_TCP_SYN, "tcp-syn", 30)                    \
	_(FW_TO_TCP_ESTABLISHED, "tcp-established", 86400) \
	_(FW_TO_TCP_CLOSING, "tcp-closing", 120)           \
	_(FW_TO_TCP_TIME_WAIT, "tcp-time-wait", 60)        \
	_(FW_TO_TCP_CLOSED, "tcp-closed", 10)              \
	_(FW_TO_UDP, "udp", 30)                            \
	_(FW_TO_UDP_STREAM, "udp-stream", 120)             \
	_(FW_TO_ICMP, "icmp", 30)
#define FW_TO_ENUM(sym, str, def) sym,
enum { FW_TIMEOUTS(FW_TO_ENUM) FW_TO_MAX };
extern const char *const fw_timeout_names[];
extern const uint32_t fw_timeout_defaults[];
/* Timeout that applies to a conntrack state. */
extern const uint8_t fw_state_timeout[FW_CT_STATE_MAX];

/* Per-lcore counters and drop reasons of the class. */
#define FW_COUNTERS(_)                   \
	_(FW_CTR_ALLOWED, "allowed")     \
	_(FW_CTR_CT_HIT, "ct-hit")       \
	_(FW_CTR_CT_NEW, "ct-new")       \
	_(FW_CTR_RELATED, "ct-related")  \
	_(FW_CTR_REJECTED, "rejected")   \
	_(FW_CTR_LOGGED, "logged")       \
	_(FW_CTR_NON_IP, "non-ip")       \
	_(FW_CTR_FRAGMENTS, "fragments") \
	_(FW_CTR_DEFAULT, "default-policy")      \
	_(FW_CTR_NAT_XLATE, "nat-translated")    \
	_(FW_CTR_NAT_SNAT_NEW, "nat-snat-new")   \
	_(FW_CTR_NAT_DNAT_NEW, "nat-dnat-new")   \
	_(FW_CTR_NAT_INBOUND, "nat-inbound-new") \
	_(FW_CTR_NAT_HAIRPIN, "nat-hairpin")     \
	_(FW_CTR_NAT_MAP_NEW, "nat-mapping-new") \
	_(FW_CTR_NAT_PRESERVED, "nat-port-preserved") \
	_(FW_CTR_NAT_ICMP_ERR, "nat-icmp-error") \
	_(FW_CTR_NAT_FILTERED, "nat-filtered")   \
	_(FW_CTR_FRAG_FOLLOWED, "fragments-followed")
enum { FW_COUNTERS(VNF_ENUM) FW_CTR_MAX };

#define FW_DROPS(_)                                                                                \
	_(FW_DROP_RULE, "rule", "a rule with action drop matched")                                 \
	_(FW_DROP_DEFAULT, "default-policy", "no rule matched and the default policy is drop")     \
	_(FW_DROP_BAD_L3, "bad-l3", "IP header unreadable (too short, bad version or length)")     \
	_(FW_DROP_BAD_CHECKSUM, "bad-checksum", "IPv4 header checksum wrong")                      \
	_(FW_DROP_TRUNC_L4, "truncated-l4", "transport header cut short")                          \
	_(FW_DROP_FRAGMENT, "fragment", "an IP fragment, refused by the fragments policy")         \
	_(FW_DROP_BAD_TCP_FLAGS, "bad-tcp-flags",                                                  \
	  "an impossible TCP flag combination (SYN+FIN, null, xmas...)")                           \
	_(FW_DROP_CT_FULL, "ct-full",                                                              \
	  "connection table full: a new stateful connection could not be tracked")       \
	_(FW_DROP_NAT_EXHAUSTED, "nat-ports-exhausted",                                            \
	  "NAT: no free port (or ICMP identifier) on the paired external address")               \
	_(FW_DROP_NAT_SUB_LIMIT, "nat-subscriber-limit",                                           \
	  "NAT: the inside address is at its max-per-subscriber or its port blocks")             \
	_(FW_DROP_NAT_FRAGMENT, "nat-fragment",                                                    \
	  "NAT: a later fragment of a flow NAT may translate whose first fragment was not seen") \
	_(FW_DROP_NAT_ICMP_CHECKSUM, "nat-icmp-checksum",                                          \
	  "NAT: an ICMP error about a translated session whose ICMP checksum is wrong (RFC 5508)")  \
	_(FW_DROP_NAT_UNSUPPORTED, "nat-unsupported",                                              \
	  "NAT: a protocol NAT cannot translate (not TCP, UDP, ICMP echo) from a NAT'ed source") \
	_(FW_DROP_NAT_RACE, "nat-race",                                                            \
	  "NAT: another worker was making the same mapping or session at that instant")          \
	_(FW_DROP_NAT_TABLE_FULL, "nat-table-full", "NAT: the mapping or subscriber table is full") \
	_(FW_DROP_CT_INVALID, "ct-invalid",                                                        \
	  "TCP segment invalid for its tracked connection (RST outside the window, SYN from the "  \
	  "responder of an established connection)")                                              \
	_(FW_DROP_STACKED_VLAN, "stacked-vlan",                                                    \
	  "two or more VLAN tags (802.1ad / QinQ): what they carry cannot be filtered")
enum { FW_DROPS(VNF_ENUM) FW_DROP_MAX };

/* TCP flag bits as on the wire */
#define FW_TCP_FIN 0x01
#define FW_TCP_SYN 0x02
#define FW_TCP_RST 0x04
#define FW_TCP_PSH 0x08
#define FW_TCP_ACK 0x10
#define FW_TCP_URG 0x20
#define FW_TCP_ECE 0x40
#define FW_TCP_CWR 0x80

/* ---- configuration (fw_conf.c; no DPDK) ---- */
struct fw_rule_conf {
	char name[NFV_NAME_MAX]; /* optional; "" -> shown as its index */
	enum fw_action action;
	bool stateful, count, log;
	bool has_in_port, has_out_port;
	uint16_t in_port, out_port; /* config port indexes */
	int family;		    /* 0 = both, AF_INET, AF_INET6 */
	bool has_src, has_dst;
	struct cfg_prefix src, dst;
	bool has_proto;
	uint8_t proto;
	uint16_t sport_lo, sport_hi, dport_lo, dport_hi; /* 0-65535 = any */
	bool has_icmp_type, has_icmp_code;
	uint8_t icmp_type, icmp_code;
	uint8_t tcp_flags, tcp_flags_mask; /* (flags & mask) == tcp_flags */
	bool has_vlan;
	uint16_t vlan;
	char *filter;	/* pcap-filter expression or NULL */
	char *bpf_file; /* resolved eBPF ELF path or NULL */
	char bpf_section[FW_SECTION_MAX];
	void *bpf_insns; /* struct bpf_insn[] copied from the ELF */
	uint32_t bpf_n_insns;
	unsigned int line, col; /* position of the rule, for create errors */
	char *path;		/* "vnfs[2].rules[4]" */
};

/* ---- NAT44 (fw_nat_conf.c; docs/nat.md) ---- */
#define FW_NAT_MAX_SNAT 64	 /* snat rules */
#define FW_NAT_MAX_DNAT 1024	 /* port forwards */
#define FW_NAT_MAX_STATIC 1024	 /* 1:1 entries */
#define FW_NAT_MAX_PFX 64	 /* from / except prefixes of one snat rule */
#define FW_NAT_MAX_POOL 256	 /* addresses of one snat rule */
#define FW_NAT_MAX_BLOCKS 64	 /* port blocks of one subscriber */

enum fw_nat_filtering {
	FW_NAT_FILTER_APD, /* address-and-port-dependent (default) */
	FW_NAT_FILTER_EI,  /* endpoint-independent */
	FW_NAT_FILTER_AD,  /* address-dependent */
};
extern const char *const fw_nat_filtering_names[];

struct fw_snat_conf {
	char name[NFV_NAME_MAX];
	bool has_in_port;
	uint16_t in_port; /* config port indexes */
	uint16_t outside_port;
	uint16_t n_from, n_except;
	struct cfg_prefix from[FW_NAT_MAX_PFX], except[FW_NAT_MAX_PFX]; /* IPv4 */
	bool masquerade;
	uint16_t n_addrs;
	uint32_t addrs[FW_NAT_MAX_POOL]; /* host order */
	uint16_t port_lo, port_hi;
	uint32_t port_block;	     /* 0 = none */
	uint32_t max_per_subscriber; /* 0 = no limit */
	char log[NFV_PATH_MAX];	     /* "" = none */
	/* positions for cross-VNF checks (config_check; the tree is alive then) */
	const struct cfg_node *node, *addr_node;
};

struct fw_dnat_conf {
	char name[NFV_NAME_MAX];
	uint16_t outside_port;
	uint8_t proto;	     /* TCP or UDP */
	uint32_t addr;	     /* host order */
	uint16_t port;	     /* external port */
	uint32_t to_addr;    /* host order */
	uint16_t to_port;
	const struct cfg_node *node, *to_node;
};

struct fw_static_conf {
	uint16_t outside_port;
	uint32_t external, internal; /* host order */
	const struct cfg_node *node;
};

struct fw_nat_conf {
	int filtering; /* enum fw_nat_filtering */
	uint16_t n_snat, n_dnat, n_static;
	struct fw_snat_conf *snat;
	struct fw_dnat_conf *dnat;
	struct fw_static_conf *statics;
};

/* fw_nat_conf.c */
struct fw_conf;
int fw_nat_parse(const struct nfv_config *cfg, const struct cfg_node *node, struct fw_conf *c,
		 struct cfg_errors *err);
void fw_nat_free(struct fw_nat_conf *n);
bool fw_nat_equal(const struct fw_nat_conf *a, const struct fw_nat_conf *b);
int fw_nat_check(const struct nfv_config *cfg, struct cfg_errors *err);

struct fw_conf {
	char file[NFV_PATH_MAX];
	enum fw_action default_action;
	enum fw_frag_policy fragments;
	uint32_t ct_max;
	uint32_t timeouts[FW_TO_MAX]; /* seconds */
	bool xdp;		      /* keep af_xdp pre-filter maps in step */
	uint16_t n_rules;
	struct fw_rule_conf *rules;
	struct fw_nat_conf *nat; /* NULL: no nat section */
};

/* The schema half (fw_conf.c), registered as class "firewall". */
extern struct vnf_schema fw_schema;
int fw_config_parse(const struct nfv_config *cfg, const struct cfg_node *node, void **conf,
		    struct cfg_errors *err);
void fw_config_free(void *conf);
int fw_config_equal(const void *a, const void *b);


/* Read the program of section (or the first program if section is "")
 * from an eBPF ELF object with libbpf; refuse programs that use maps.
 * On success *insns is malloc'ed (struct bpf_insn[n]). */
int fw_ebpf_read(const char *file, const char *section, void **insns, uint32_t *n, char *why,
		 size_t len);

#endif /* NFV_FW_H */
