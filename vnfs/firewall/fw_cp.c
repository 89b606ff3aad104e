/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd firewall VNF - control path: compiles the conf into a rule set
 * (rte_acl v4/v6 contexts, rte_bpf matchers, per-lcore hit counters) built
 * aside and swapped under RCU, owns the conntrack table (rte_hash, RCU
 * reclaimed deletes) and ages it from tick() in small slices; reject/log
 * punts, stats and the class commands ("rules", "conns", "conns-flush").
 */
#define ALLOW_EXPERIMENTAL_API 1
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_bpf.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "fw_rt.h"
#include "pcap_bpf.h"

RTE_LOG_REGISTER(fw_logtype, nfvd.fw, INFO);
#define FW_LOG(level, fmt, ...) rte_log(RTE_LOG_##level, fw_logtype, "fw: " fmt "\n", ##__VA_ARGS__)

#define FW_LOG_BURST 20	  /* log lines allowed at once */
#define FW_LOG_PER_SEC 10 /* refill rate */
#define FW_CONNS_DEFAULT 1000

/* ---- ACL layout ---- */
enum {
	FW4_PROTO,
	FW4_FLAGS,
	FW4_VLAN,
	FW4_SRC,
	FW4_DST,
	FW4_SPORT,
	FW4_DPORT,
	FW4_IN,
	FW4_OUT,
	FW4_NUM
};
enum {
	FW6_PROTO,
	FW6_FLAGS,
	FW6_VLAN,
	FW6_SRC0,
	FW6_SRC1,
	FW6_SRC2,
	FW6_SRC3,
	FW6_DST0,
	FW6_DST1,
	FW6_DST2,
	FW6_DST3,
	FW6_SPORT,
	FW6_DPORT,
	FW6_IN,
	FW6_OUT,
	FW6_NUM
};
RTE_ACL_RULE_DEF(fw_acl4_rule, FW4_NUM);
RTE_ACL_RULE_DEF(fw_acl6_rule, FW6_NUM);

#define FW_FIELD(t, sz, f, in, st, mem)                                                          \
	{                                                                                        \
		.type = RTE_ACL_FIELD_TYPE_##t, .size = sz, .field_index = f, .input_index = in, \
		.offset = offsetof(st, mem)                                                      \
	}

static const struct rte_acl_field_def fw_acl4_defs[FW4_NUM] = {
	FW_FIELD(BITMASK, 1, FW4_PROTO, 0, struct fw_key4, proto),
	FW_FIELD(BITMASK, 2, FW4_FLAGS, 1, struct fw_key4, tcp_flags),
	FW_FIELD(RANGE, 2, FW4_VLAN, 1, struct fw_key4, vlan),
	FW_FIELD(MASK, 4, FW4_SRC, 2, struct fw_key4, src),
	FW_FIELD(MASK, 4, FW4_DST, 3, struct fw_key4, dst),
	FW_FIELD(RANGE, 2, FW4_SPORT, 4, struct fw_key4, sport),
	FW_FIELD(RANGE, 2, FW4_DPORT, 4, struct fw_key4, dport),
	FW_FIELD(RANGE, 2, FW4_IN, 5, struct fw_key4, in_port),
	FW_FIELD(RANGE, 2, FW4_OUT, 5, struct fw_key4, out_port),
};

static const struct rte_acl_field_def fw_acl6_defs[FW6_NUM] = {
	FW_FIELD(BITMASK, 1, FW6_PROTO, 0, struct fw_key6, proto),
	FW_FIELD(BITMASK, 2, FW6_FLAGS, 1, struct fw_key6, tcp_flags),
	FW_FIELD(RANGE, 2, FW6_VLAN, 1, struct fw_key6, vlan),
	FW_FIELD(MASK, 4, FW6_SRC0, 2, struct fw_key6, src[0]),
	FW_FIELD(MASK, 4, FW6_SRC1, 3, struct fw_key6, src[4]),
	FW_FIELD(MASK, 4, FW6_SRC2, 4, struct fw_key6, src[8]),
	FW_FIELD(MASK, 4, FW6_SRC3, 5, struct fw_key6, src[12]),
	FW_FIELD(MASK, 4, FW6_DST0, 6, struct fw_key6, dst[0]),
	FW_FIELD(MASK, 4, FW6_DST1, 7, struct fw_key6, dst[4]),
	FW_FIELD(MASK, 4, FW6_DST2, 8, struct fw_key6, dst[8]),
	FW_FIELD(MASK, 4, FW6_DST3, 9, struct fw_key6, dst[12]),
	FW_FIELD(RANGE, 2, FW6_SPORT, 10, struct fw_key6, sport),
	FW_FIELD(RANGE, 2, FW6_DPORT, 10, struct fw_key6, dport),
	FW_FIELD(RANGE, 2, FW6_IN, 11, struct fw_key6, in_port),
	FW_FIELD(RANGE, 2, FW6_OUT, 11, struct fw_key6, out_port),
};

static const char *const fw_counter_names[] = {FW_COUNTERS(VNF_NAME)};
static const char *const fw_drop_names[] = {FW_DROPS(VNF_NAME)};
static const char *const fw_drop_descs[] = {FW_DROPS(VNF_DESC)};

/* Fields common to both families: proto, flags, vlan, ports. */
static void
fw_acl_common(const struct fw_rule_conf *rc, const struct fw_rule *r, struct rte_acl_field *f_proto,
	      struct rte_acl_field *f_flags, struct rte_acl_field *f_vlan,
	      struct rte_acl_field *f_sport, struct rte_acl_field *f_dport,
	      struct rte_acl_field *f_in, struct rte_acl_field *f_out)
{
	f_proto->value.u8 = rc->has_proto ? rc->proto : 0;
	f_proto->mask_range.u8 = rc->has_proto ? 0xff : 0;
	f_flags->value.u16 = rc->tcp_flags;
	f_flags->mask_range.u16 = rc->tcp_flags_mask;
	f_vlan->value.u16 = rc->has_vlan ? rc->vlan : 0;
	f_vlan->mask_range.u16 = rc->has_vlan ? rc->vlan : 0xffff;
	f_sport->value.u16 = r->sport_lo;
	f_sport->mask_range.u16 = r->sport_hi;
	f_dport->value.u16 = r->dport_lo;
	f_dport->mask_range.u16 = r->dport_hi;
	f_in->value.u16 = r->in_port >= 0 ? r->in_port : 0;
	f_in->mask_range.u16 = r->in_port >= 0 ? r->in_port : 0xffff;
	f_out->value.u16 = r->out_port >= 0 ? r->out_port : 0;
	f_out->mask_range.u16 = r->out_port >= 0 ? r->out_port : 0xffff;
}

static void
fw_acl_prefix6(struct rte_acl_field *f, const uint8_t *addr, uint8_t len)
{
	for (int i = 0; i < 4; i++) {
		uint32_t w;
		int l = (int)len - 32 * i;

		memcpy(&w, addr + 4 * i, 4);
		f[i].value.u32 = rte_be_to_cpu_32(w);
		f[i].mask_range.u32 = l <= 0 ? 0 : (l >= 32 ? 32 : l);
	}
}

static int
fw_acl_build(struct fw_ruleset *rs, const struct fw_conf *c, uintptr_t id, uint32_t gen, char *err,
	     size_t len)
{
	struct rte_acl_param p = {.socket_id = SOCKET_ID_ANY, .max_rule_num = c->n_rules};
	struct rte_acl_config bc = {.num_categories = 1};
	char name[RTE_ACL_NAMESIZE];
	uint32_t n4 = 0, n6 = 0;
	int ret;

	for (uint16_t i = 0; i < c->n_rules; i++) {
		const struct fw_rule_conf *rc = &c->rules[i];

		if (rs->rules[i].bpf != NULL)
			continue;
		n4 += rc->family != AF_INET6;
		n6 += rc->family != AF_INET;
	}
	if (n4 > 0) {
		snprintf(name, sizeof(name), "fw4-%" PRIxPTR "-%u", id, gen);
		p.name = name;
		p.rule_size = RTE_ACL_RULE_SZ(FW4_NUM);
		rs->acl4 = rte_acl_create(&p);
		if (rs->acl4 == NULL) {
			snprintf(err, len, "rte_acl_create: %s", rte_strerror(rte_errno));
			return -rte_errno;
		}
	}
	if (n6 > 0) {
		snprintf(name, sizeof(name), "fw6-%" PRIxPTR "-%u", id, gen);
		p.name = name;
		p.rule_size = RTE_ACL_RULE_SZ(FW6_NUM);
		rs->acl6 = rte_acl_create(&p);
		if (rs->acl6 == NULL) {
			snprintf(err, len, "rte_acl_create: %s", rte_strerror(rte_errno));
			return -rte_errno;
		}
	}
	for (uint16_t i = 0; i < c->n_rules; i++) {
		const struct fw_rule_conf *rc = &c->rules[i];
		const struct fw_rule *r = &rs->rules[i];
		struct rte_acl_rule_data data = {
			.category_mask = 1,
			.priority = RTE_ACL_MAX_PRIORITY - i,
			.userdata = i + 1u,
		};

		if (r->bpf != NULL)
			continue;
		if (rc->family != AF_INET6) {
			struct fw_acl4_rule a = {.data = data};

			fw_acl_common(rc, r, &a.field[FW4_PROTO], &a.field[FW4_FLAGS],
				      &a.field[FW4_VLAN], &a.field[FW4_SPORT], &a.field[FW4_DPORT],
				      &a.field[FW4_IN], &a.field[FW4_OUT]);
			if (rc->has_src) {
				a.field[FW4_SRC].value.u32 = rte_be_to_cpu_32(rc->src.v4.s_addr);
				a.field[FW4_SRC].mask_range.u32 = rc->src.len;
			}
			if (rc->has_dst) {
				a.field[FW4_DST].value.u32 = rte_be_to_cpu_32(rc->dst.v4.s_addr);
				a.field[FW4_DST].mask_range.u32 = rc->dst.len;
			}
			ret = rte_acl_add_rules(rs->acl4, (struct rte_acl_rule *)&a, 1);
			if (ret < 0) {
				snprintf(err, len, "rte_acl_add_rules: %s", strerror(-ret));
				return ret;
			}
		}
		if (rc->family != AF_INET) {
			struct fw_acl6_rule a = {.data = data};

			fw_acl_common(rc, r, &a.field[FW6_PROTO], &a.field[FW6_FLAGS],
				      &a.field[FW6_VLAN], &a.field[FW6_SPORT], &a.field[FW6_DPORT],
				      &a.field[FW6_IN], &a.field[FW6_OUT]);
			if (rc->has_src)
				fw_acl_prefix6(&a.field[FW6_SRC0], rc->src.v6.s6_addr, rc->src.len);
			if (rc->has_dst)
				fw_acl_prefix6(&a.field[FW6_DST0], rc->dst.v6.s6_addr, rc->dst.len);
			ret = rte_acl_add_rules(rs->acl6, (struct rte_acl_rule *)&a, 1);
			if (ret < 0) {
				snprintf(err, len, "rte_acl_add_rules: %s", strerror(-ret));
				return ret;
			}
		}
	}
	if (rs->acl4 != NULL) {
		bc.num_fields = FW4_NUM;
		memcpy(bc.defs, fw_acl4_defs, sizeof(fw_acl4_defs));
		ret = rte_acl_build(rs->acl4, &bc);
		if (ret < 0) {
			snprintf(err, len, "rte_acl_build (IPv4): %s", strerror(-ret));
			return ret;
		}
	}
	if (rs->acl6 != NULL) {
		bc.num_fields = FW6_NUM;
		memcpy(bc.defs, fw_acl6_defs, sizeof(fw_acl6_defs));
		ret = rte_acl_build(rs->acl6, &bc);
		if (ret < 0) {
			snprintf(err, len, "rte_acl_build (IPv6): %s", strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* Load a rule's matcher with rte_bpf; the verifier's complaint (logged by
 * librte_bpf) is caught and shown to the user. */
static int
fw_bpf_load(struct fw_rule *r, const struct fw_rule_conf *rc, const char *file, char *err,
	    size_t len)
{
	struct rte_bpf_prm prm = {
		.prog_arg = {.type = RTE_BPF_ARG_PTR_MBUF,
			     .size = sizeof(struct rte_mbuf),
			     .buf_size = RTE_MBUF_DEFAULT_BUF_SIZE},
	};
	struct rte_bpf_prm *cprm = NULL;
	char logbuf[512] = "", why[512];
	FILE *old = rte_log_get_stream(), *mem;
	const char *what = rc->filter ? "pcap-filter" : "bpf";
	int ret = 0;

	if (rc->filter != NULL) {
		ret = nfv_pcap_to_prm(rc->filter, &cprm, why, sizeof(why));
		if (ret < 0) {
			snprintf(err, len, "%s:%u:%u: %s.filter: %s", file, rc->line, rc->col,
				 rc->path, why);
			return ret;
		}
	} else {
		prm.ins = rc->bpf_insns;
		prm.nb_ins = rc->bpf_n_insns;
	}
	mem = fmemopen(logbuf, sizeof(logbuf) - 1, "w");
	if (mem != NULL) {
		setvbuf(mem, NULL, _IONBF, 0);
		rte_openlog_stream(mem);
	}
	r->bpf = rte_bpf_load(cprm ? cprm : &prm);
	if (mem != NULL) {
		rte_openlog_stream(old);
		fclose(mem);
	}
	rte_free(cprm);
	if (r->bpf == NULL) {
		ret = rte_errno ? -rte_errno : -EINVAL;
		for (char *p = logbuf; *p; p++)
			if (*p == '\n')
				*p = ' ';
		snprintf(err, len, "%s:%u:%u: %s.%s: the program does not load: %s%s%s", file,
			 rc->line, rc->col, rc->path, what, strerror(-ret), logbuf[0] ? ": " : "",
			 logbuf);
		return ret;
	}
	if (rte_bpf_get_jit(r->bpf, &r->jit) < 0)
		r->jit.func = NULL;
	return 0;
}

void
fw_ruleset_free(struct fw_ruleset *rs)
{
	if (rs == NULL)
		return;
	for (uint16_t i = 0; rs->rules != NULL && i < rs->n_rules; i++)
		if (rs->rules[i].bpf != NULL)
			rte_bpf_destroy(rs->rules[i].bpf);
	rte_acl_free(rs->acl4);
	rte_acl_free(rs->acl6);
	rte_free(rs->rules);
	rte_free(rs->bpf_rules);
	rte_free(rs->hits);
	rte_free(rs);
}

int
fw_ruleset_build(struct fw_state *fw, const struct nfv_config *cfg, const struct fw_conf *c,
		 struct fw_ruleset **out, char *err, size_t len)
{
	struct fw_ruleset *rs;
	uint64_t hz = rte_get_tsc_hz();
	int ret;

	rs = rte_zmalloc("fw_ruleset", sizeof(*rs), RTE_CACHE_LINE_SIZE);
	if (rs == NULL)
		goto no_mem;
	rs->n_rules = c->n_rules;
	rs->default_action = c->default_action;
	rs->fragments = c->fragments;
	for (int i = 0; i < FW_TO_MAX; i++)
		rs->timeout_tsc[i] = (uint64_t)c->timeouts[i] * hz;
	rs->hit_half = RTE_ALIGN_CEIL(c->n_rules + 1u, 8u);
	rs->hit_stride = 2 * rs->hit_half;
	rs->hits = rte_zmalloc("fw_hits", (size_t)RTE_MAX_LCORE * rs->hit_stride * 8,
			       RTE_CACHE_LINE_SIZE);
	rs->rules = rte_zmalloc("fw_rules", (c->n_rules + 1u) * sizeof(*rs->rules), 0);
	rs->bpf_rules = rte_zmalloc("fw_bpf_rules", (c->n_rules + 1u) * sizeof(uint16_t), 0);
	if (rs->hits == NULL || rs->rules == NULL || rs->bpf_rules == NULL)
		goto no_mem;
	for (uint16_t i = 0; i < c->n_rules; i++) {
		const struct fw_rule_conf *rc = &c->rules[i];
		struct fw_rule *r = &rs->rules[i];

		r->action = rc->action;
		r->stateful = rc->stateful;
		r->log = rc->log;
		r->count = rc->count;
		rs->has_stateful |= rc->stateful;
		if (rc->name[0])
			snprintf(r->name, sizeof(r->name), "%s", rc->name);
		else
			snprintf(r->name, sizeof(r->name), "%u", i);
		r->family = rc->family;
		r->has_proto = rc->has_proto;
		r->proto = rc->proto;
		r->flags = rc->tcp_flags;
		r->flags_mask = rc->tcp_flags_mask;
		r->in_port = r->out_port = -1;
		if (rc->has_in_port) {
			ret = nfv_port_id(cfg, rc->in_port);
			if (ret < 0) {
				snprintf(err, len, "rule %s: in-port has no DPDK port", r->name);
				goto fail;
			}
			r->in_port = ret;
		}
		if (rc->has_out_port) {
			ret = nfv_port_id(cfg, rc->out_port);
			if (ret < 0) {
				snprintf(err, len, "rule %s: out-port has no DPDK port", r->name);
				goto fail;
			}
			r->out_port = ret;
		}
		r->vlan = rc->has_vlan ? rc->vlan : -1;
		r->sport_lo = rc->sport_lo;
		r->sport_hi = rc->sport_hi;
		r->dport_lo = rc->dport_lo;
		r->dport_hi = rc->dport_hi;
		if (rc->has_icmp_type) {
			r->sport_lo = r->sport_hi = rc->icmp_type;
		} else if (rc->has_proto &&
			   (rc->proto == IPPROTO_ICMP || rc->proto == IPPROTO_ICMPV6)) {
			r->sport_lo = 0;
			r->sport_hi = 0xffff;
		}
		if (rc->has_icmp_code)
			r->dport_lo = r->dport_hi = rc->icmp_code;
		if (rc->has_src) {
			r->src_len = rc->src.len;
			memcpy(r->src,
			       rc->src.family == AF_INET ? (const void *)&rc->src.v4
							 : (const void *)&rc->src.v6,
			       rc->src.family == AF_INET ? 4 : 16);
		}
		if (rc->has_dst) {
			r->dst_len = rc->dst.len;
			memcpy(r->dst,
			       rc->dst.family == AF_INET ? (const void *)&rc->dst.v4
							 : (const void *)&rc->dst.v6,
			       rc->dst.family == AF_INET ? 4 : 16);
		}
		if (rc->filter != NULL || rc->bpf_insns != NULL) {
			ret = fw_bpf_load(r, rc, c->file, err, len);
			if (ret < 0)
				goto fail;
			rs->bpf_rules[rs->n_bpf++] = i;
		}
	}
	snprintf(rs->rules[c->n_rules].name, sizeof(rs->rules[0].name), "default");
	rs->rules[c->n_rules].action = c->default_action;
	/* rte_acl_create() hands back an existing context of the same name */
	ret = fw_acl_build(rs, c, (uintptr_t)fw, ++fw->generation, err, len);
	if (ret < 0)
		goto fail;
	ret = fw_nat_build(fw, cfg, c, &rs->nat, err, len);
	if (ret < 0)
		goto fail;
	*out = rs;
	return 0;
no_mem:
	snprintf(err, len, "out of memory for the rule set");
	ret = -ENOMEM;
fail:
	fw_ruleset_free(rs);
	return ret;
}

uint64_t
fw_ruleset_hits(const struct fw_ruleset *rs, uint32_t rule)
{
	uint64_t sum = 0;

	for (unsigned int l = 0; l < RTE_MAX_LCORE; l++)
		sum += rs->hits[(size_t)l * rs->hit_stride + rule];
	return sum;
}

/* ---- conntrack table ---- */
int
fw_ct_init(struct fw_ct *ct, const char *name, uint32_t max, uint32_t keys, char *err, size_t len)
{
	char hname[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = hname,
		.entries = RTE_MAX(keys * max + max / 4, 64u),
		.key_len = sizeof(struct fw_ct_key),
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF |
			      RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD,
	};
	struct rte_hash_rcu_config rcu = {.v = nfv_rcu(), .mode = RTE_HASH_QSBR_MODE_DQ};
	int ret;

	/* unique while an apply builds a new instance beside the old one */
	snprintf(hname, sizeof(hname), "fwct-%" PRIxPTR, (uintptr_t)ct);
	RTE_SET_USED(name);
	ct->max = max;
	ct->h = rte_hash_create(&hp);
	if (ct->h == NULL) {
		snprintf(err, len, "conntrack table of %u entries: rte_hash_create: %s", max,
			 rte_strerror(rte_errno));
		return -rte_errno;
	}
	if (rcu.v != NULL) {
		ret = rte_hash_rcu_qsbr_add(ct->h, &rcu);
		if (ret < 0) {
			snprintf(err, len, "conntrack table: rte_hash_rcu_qsbr_add: %s",
				 rte_strerror(rte_errno));
			return -rte_errno;
		}
	}
	ct->n_slots = rte_hash_max_key_id(ct->h) + 1;
	ct->entries = rte_zmalloc("fw_ct", (size_t)ct->n_slots * sizeof(*ct->entries),
				  RTE_CACHE_LINE_SIZE);
	if (ct->entries == NULL) {
		snprintf(err, len, "conntrack table of %u entries: out of memory", max);
		return -ENOMEM;
	}
	return 0;
}

void
fw_ct_fini(struct fw_ct *ct)
{
	rte_hash_free(ct->h);
	rte_free(ct->entries);
	ct->h = NULL;
	ct->entries = NULL;
}

/* Remove a connection (its main slot): both keys of a translated one, and
 * its mapping reference (control thread). */
void fw_ct_remove(struct fw_state *fw, struct fw_ct_entry *e);
void
fw_ct_remove(struct fw_state *fw, struct fw_ct_entry *e)
{
	struct fw_ct *ct = &fw->ct;

	if (e->nat) {
		struct fw_ct_entry *a = &ct->entries[e->peer];

		fw_nat_session_gone(fw, e);
		rte_hash_del_key(ct->h, &a->key);
		__atomic_store_n(&a->in_use, FW_SLOT_FREE, __ATOMIC_RELEASE);
		e->nat = 0;
	}
	rte_hash_del_key(ct->h, &e->key);
	__atomic_store_n(&e->in_use, FW_SLOT_FREE, __ATOMIC_RELEASE);
	__atomic_fetch_sub(&ct->count, 1, __ATOMIC_RELAXED);
}

/* a slot whose key was added but never published */
static void
fw_ct_remove_dead(struct fw_ct *ct, struct fw_ct_entry *e)
{
	void *key;

	if (rte_hash_get_key_with_position(ct->h, (int32_t)(e - ct->entries), &key) == 0)
		rte_hash_del_key(ct->h, key);
	__atomic_store_n(&e->in_use, FW_SLOT_FREE, __ATOMIC_RELEASE);
}

uint32_t
fw_ct_expire(struct fw_ct *ct, const struct fw_ruleset *rs, uint64_t now_tsc, uint32_t budget)
{
	struct fw_state *fw = container_of(ct, struct fw_state, ct);
	uint32_t removed = 0;

	for (uint32_t k = 0; k < budget && k < ct->n_slots; k++) {
		struct fw_ct_entry *e = &ct->entries[ct->cursor];
		uint8_t st;

		if (++ct->cursor >= ct->n_slots)
			ct->cursor = 0;
		st = __atomic_load_n(&e->in_use, __ATOMIC_ACQUIRE);
		if (st == FW_SLOT_DEAD) {
			fw_ct_remove_dead(ct, e);
			continue;
		}
		if (st != FW_SLOT_LIVE || e->alias)
			continue;
		if ((int64_t)(now_tsc - e->last_tsc) <=
		    (int64_t)rs->timeout_tsc[fw_state_timeout[e->state]])
			continue;
		fw_ct_remove(fw, e);
		removed++;
	}
	ct->expired += removed;
	return removed;
}

/* ---- class callbacks ---- */
static void
fw_destroy(struct nfv_vnf *vnf)
{
	struct fw_state *fw = vnf->priv;

	if (fw == NULL)
		return;
	fw_xdp_free(fw);
	if (fw->rs != NULL)
		fw_nat_rt_free(fw, fw->rs->nat);
	fw_ruleset_free(fw->rs);
	fw_ct_fini(&fw->ct);
	fw_nat_fini(fw);
	rte_free(fw->frag);
	rte_free(fw->frag6);
	rte_free(fw);
	vnf->priv = NULL;
}

static int
fw_create(struct nfv_vnf *vnf, const struct nfv_config *cfg, const void *conf, char *err,
	  size_t errlen)
{
	const struct fw_conf *c = conf;
	struct fw_state *fw;
	int ret;

	fw = rte_zmalloc("fw_state", sizeof(*fw), RTE_CACHE_LINE_SIZE);
	if (fw == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	vnf->priv = fw;
	snprintf(fw->name, sizeof(fw->name), "%s", vnf->name);
	fw->log_tokens = FW_LOG_BURST;
	fw->frag = rte_zmalloc("fw_frag", (size_t)RTE_MAX_LCORE * FW_FRAG_SLOTS * sizeof(*fw->frag),
			       RTE_CACHE_LINE_SIZE);
	fw->frag6 = rte_zmalloc("fw_frag6",
				(size_t)RTE_MAX_LCORE * FW_FRAG_SLOTS * sizeof(*fw->frag6),
				RTE_CACHE_LINE_SIZE);
	if (fw->frag == NULL || fw->frag6 == NULL) {
		snprintf(err, errlen, "out of memory (fragment table)");
		return -ENOMEM;
	}
	/* a translated connection takes two slots (original and reply keys) */
	ret = fw_ct_init(&fw->ct, vnf->name, c->ct_max, c->nat != NULL ? 2 : 1, err, errlen);
	if (ret < 0)
		return ret;
	if (c->nat != NULL) {
		ret = fw_nat_init(fw, c->ct_max, err, errlen);
		if (ret < 0)
			return ret;
	}
	ret = fw_ruleset_build(fw, cfg, c, &fw->rs, err, errlen);
	if (ret < 0)
		return ret;
	if (c->xdp)
		fw_xdp_sync(fw, cfg, c);
	return 0;
}

static int
fw_reconfigure(struct nfv_vnf *vnf, const struct nfv_config *cfg, const void *conf, char *err,
	       size_t errlen)
{
	const struct fw_conf *c = conf;
	struct fw_state *fw = vnf->priv;
	struct fw_ruleset *nrs, *ors;
	int ret;

	if (c->ct_max != fw->ct.max) {
		snprintf(err, errlen,
			 "conntrack.max cannot change on a running firewall (%u -> %u); "
			 "remove and re-add the instance, or restart",
			 fw->ct.max, c->ct_max);
		return -EINVAL;
	}
	if (c->nat != NULL && fw->nat == NULL) {
		snprintf(err, errlen, "nat: the instance was made without NAT tables");
		return -EINVAL;
	}
	ret = fw_ruleset_build(fw, cfg, c, &nrs, err, errlen);
	if (ret < 0)
		return ret;
	ors = __atomic_exchange_n(&fw->rs, nrs, __ATOMIC_ACQ_REL);
	if (nfv_rcu() != NULL)
		rte_rcu_qsbr_synchronize(nfv_rcu(), RTE_QSBR_THRID_INVALID);
	/* established sessions stay; those the new nat section no longer
	 * makes are expired now (docs/nat.md) */
	if (fw->nat != NULL) {
		uint32_t gone = fw_nat_revalidate(fw, nrs);

		if (gone > 0)
			FW_LOG(INFO, "%s: apply expired %u translated sessions", fw->name, gone);
		if (nfv_rcu() != NULL)
			rte_rcu_qsbr_synchronize(nfv_rcu(), RTE_QSBR_THRID_INVALID);
		fw_nat_rt_free(fw, ors->nat);
		ors->nat = NULL;
	}
	fw_ruleset_free(ors);
	if (c->xdp)
		fw_xdp_sync(fw, cfg, c);
	else
		fw_xdp_free(fw);
	return 0;
}

static void
fw_fmt_addr(char *buf, size_t len, uint8_t family, const uint8_t *a)
{
	if (inet_ntop(family == AF_INET ? AF_INET : AF_INET6, a, buf, len) == NULL)
		snprintf(buf, len, "?");
}

static void
fw_log_packet(struct fw_state *fw, struct rte_mbuf *m, const char *verdict, uint32_t rule)
{
	const struct fw_ruleset *rs = fw->rs;
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t l3 = 14, et;
	char s[INET6_ADDRSTRLEN] = "?", t[INET6_ADDRSTRLEN] = "?";
	uint8_t proto = 0;

	if (fw->log_tokens == 0) {
		fw->log_suppressed++;
		return;
	}
	fw->log_tokens--;
	if (rte_pktmbuf_data_len(m) < 14)
		return;
	et = (uint16_t)(d[12] << 8 | d[13]);
	if ((et == 0x8100 || et == 0x88a8) && rte_pktmbuf_data_len(m) >= 18) {
		et = (uint16_t)(d[16] << 8 | d[17]);
		l3 = 18;
	}
	if (et == 0x0800 && rte_pktmbuf_data_len(m) >= l3 + 20u) {
		fw_fmt_addr(s, sizeof(s), AF_INET, d + l3 + 12);
		fw_fmt_addr(t, sizeof(t), AF_INET, d + l3 + 16);
		proto = d[l3 + 9];
	} else if (et == 0x86dd && rte_pktmbuf_data_len(m) >= l3 + 40u) {
		fw_fmt_addr(s, sizeof(s), AF_INET6, d + l3 + 8);
		fw_fmt_addr(t, sizeof(t), AF_INET6, d + l3 + 24);
		proto = d[l3 + 6];
	}
	FW_LOG(INFO, "%s: %s rule %s: proto %u %s -> %s port %u len %u", fw->name, verdict,
	       rule < rs->n_rules ? rs->rules[rule].name : "default", proto, s, t,
	       nfv_meta(m)->in_port, rte_pktmbuf_pkt_len(m));
}

/* nfvctl trace: the refusal r sent for the traced packet m (control
 * thread) */
static void
fw_trace_reject(const struct nfv_vnf *vnf, struct rte_mbuf *m, const struct rte_mbuf *r,
		uint16_t l3_off, uint16_t port)
{
	const uint8_t *ip = rte_pktmbuf_mtod_offset(r, const uint8_t *, l3_off);
	uint32_t dst;

	if (!(nfv_meta(m)->flags & NFV_META_TRACE))
		return;
	if ((ip[0] >> 4) == 4) {
		memcpy(&dst, ip + 16, 4);
		nfv_trace_ctl_note(vnf, m,
				   ip[9] == IPPROTO_TCP ? "reject: sent a TCP RST to %4 out port %p"
							: "reject: sent ICMP port unreachable to %4 "
							  "out port %p",
				   NULL, dst, port, 0);
	} else {
		nfv_trace_ctl_note(vnf, m,
				   ip[6] == IPPROTO_TCP ? "reject: sent a TCP RST to %6 out port %p"
							: "reject: sent ICMPv6 port unreachable to %6 "
							  "out port %p",
				   NULL, nfv_trace_ip6(ip + 24, 0), nfv_trace_ip6(ip + 24, 1), port);
	}
}

static void
fw_punt(struct nfv_vnf *vnf, struct rte_mbuf *m)
{
	struct fw_state *fw = vnf->priv;
	struct nfv_mbuf_meta *meta = nfv_meta(m);
	uint32_t kind = meta->nh >> 24, rule = meta->nh & 0xffffff;
	struct rte_mbuf *r;

	switch (kind) {
	case FW_PUNT_LOG_REJECT:
		fw_log_packet(fw, m, "reject", rule);
		/* fall through */
	case FW_PUNT_REJECT:
		r = fw_reject_build(m, meta->l3_off, nfv_pktmbuf_pool());
		if (r != NULL)
			fw_trace_reject(vnf, m, r, meta->l3_off, meta->in_port);
		else
			nfv_trace_ctl_note(vnf, m,
					   "reject: nothing sent (a RST, an ICMP error, a later "
					   "fragment or a broadcast/multicast is never answered)",
					   NULL, 0, 0, 0);
		if (r != NULL && nfv_ctl_tx(meta->in_port, &r, 1) == 0)
			nfv_trace_ctl_note(vnf, m, "reject: the refusal was not sent (port %p full)",
					   NULL, meta->in_port, 0, 0);
		break;
	case FW_PUNT_LOG_DROP:
		fw_log_packet(fw, m, "drop", rule);
		break;
	case FW_PUNT_LOG_COPY:
		fw_log_packet(fw, m,
			      fw->rs && rule < fw->rs->n_rules &&
					      fw->rs->rules[rule].action == FW_DROP
				      ? "drop"
				      : "allow",
			      rule);
		break;
	default:
		break;
	}
	rte_pktmbuf_free(m);
}

static void
fw_tick(struct nfv_vnf *vnf, uint64_t now_ms)
{
	struct fw_state *fw = vnf->priv;
	uint32_t budget = RTE_MAX(1024u, fw->ct.n_slots / 200);

	if (now_ms - fw->log_last_ms >= 1000 / FW_LOG_PER_SEC) {
		fw->log_last_ms = now_ms;
		if (fw->log_tokens < FW_LOG_BURST)
			fw->log_tokens++;
	}
	fw_ct_expire(&fw->ct, fw->rs, rte_rdtsc(), budget);
	fw_nat_tick(fw, fw->rs, rte_rdtsc());
	fw_xdp_tick(fw, now_ms);
}

/* all: every rule ("fw rules"); else the rules flagged `count` and the
 * default policy (nfvctl stats stays short with thousands of rules) */
static json_t *
fw_rules_json(const struct fw_ruleset *rs, bool all)
{
	json_t *a = json_array();

	for (uint32_t i = 0; i <= rs->n_rules; i++) {
		const struct fw_rule *r = &rs->rules[i];

		if (!all && i < rs->n_rules && !r->count)
			continue;
		json_array_append_new(
			a, json_pack("{s:i, s:s, s:s, s:I, s:I, s:b, s:b}", "index", (int)i, "name",
				     r->name, "action", fw_action_names[r->action], "hits",
				     (json_int_t)fw_ruleset_hits(rs, i), "bytes",
				     (json_int_t)fw_ruleset_hits(rs, rs->hit_half + i), "stateful",
				     r->stateful, "matcher", r->bpf != NULL));
	}
	return a;
}

static void
fw_stats(struct nfv_vnf *vnf, json_t *out)
{
	struct fw_state *fw = vnf->priv;

	json_object_set_new(out, "rules", fw_rules_json(fw->rs, false));
	json_object_set_new(out, "conntrack",
			    json_pack("{s:I, s:I, s:I}", "entries",
				      (json_int_t)__atomic_load_n(&fw->ct.count, __ATOMIC_RELAXED),
				      "max", (json_int_t)fw->ct.max, "expired",
				      (json_int_t)fw->ct.expired));
	json_object_set_new(out, "log_suppressed", json_integer((json_int_t)fw->log_suppressed));
	fw_xdp_stats(fw, out);
}

static json_t *
fw_conn_json(const struct fw_ct_entry *e, const struct fw_ruleset *rs, uint64_t now)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	const uint8_t *src = e->init_lo ? e->key.addr_lo : e->key.addr_hi;
	const uint8_t *dst = e->init_lo ? e->key.addr_hi : e->key.addr_lo;
	uint16_t sp = e->init_lo ? e->key.port_lo : e->key.port_hi;
	uint16_t dp = e->init_lo ? e->key.port_hi : e->key.port_lo;
	int64_t idle = (int64_t)(now - e->last_tsc);
	uint64_t hz = rte_get_tsc_hz() / 1000, age = idle > 0 ? (uint64_t)idle / hz : 0;
	uint64_t to = rs->timeout_tsc[fw_state_timeout[e->state]] / hz;
	const char *rule = e->rule < rs->n_rules ? rs->rules[e->rule].name : "";

	json_t *o;

	if (e->nat) {
		/* the original direction as the initiator sent it */
		inet_ntop(AF_INET, &e->orig.src, a, sizeof(a));
		inet_ntop(AF_INET, &e->orig.dst, b, sizeof(b));
		sp = ntohs(e->orig.sport);
		dp = ntohs(e->orig.dport);
	} else {
		fw_fmt_addr(a, sizeof(a), e->key.family, src);
		fw_fmt_addr(b, sizeof(b), e->key.family, dst);
	}
	o = json_pack("{s:i, s:s, s:i, s:s, s:i, s:s, s:I, s:I, s:I, s:I, s:s}", "proto",
			 e->key.proto, "src", a, "sport", sp, "dst", b, "dport", dp, "state",
			 fw_ct_state_names[e->state], "idle_ms", (json_int_t)age, "expires_ms",
			 (json_int_t)(to > age ? to - age : 0), "packets_orig",
			 (json_int_t)e->pkts[0], "packets_reply", (json_int_t)e->pkts[1], "rule",
			 rule);
	if (o != NULL && e->nat) {
		json_t *x = fw_nat_session_json(e);

		json_object_update(o, x);
		json_decref(x);
	}
	return o;
}

/* a row of "nfvctl nat sessions": both tuples as on the wire */
static json_t *
fw_nat_row(const struct fw_ct_entry *e, const struct fw_ruleset *rs, uint64_t now)
{
	json_t *x = fw_nat_session_json(e), *o;
	int64_t idle = (int64_t)(now - e->last_tsc);
	uint64_t hz = rte_get_tsc_hz() / 1000, age = idle > 0 ? (uint64_t)idle / hz : 0;
	uint64_t to = rs->timeout_tsc[fw_state_timeout[e->state]] / hz;
	char orig[112], reply[112];

	snprintf(orig, sizeof(orig), "%s -> %s", json_string_value(json_object_get(x, "orig_src")),
		 json_string_value(json_object_get(x, "orig_dst")));
	snprintf(reply, sizeof(reply), "%s -> %s",
		 json_string_value(json_object_get(x, "reply_src")),
		 json_string_value(json_object_get(x, "reply_dst")));
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "proto",
		      e->key.proto == IPPROTO_TCP   ? "tcp"
		      : e->key.proto == IPPROTO_UDP ? "udp"
						    : "icmp",
		      "nat", json_string_value(json_object_get(x, "nat")), "original", orig, "reply",
		      reply, "state", fw_ct_state_names[e->state], "expires_ms",
		      (json_int_t)(to > age ? to - age : 0));
	json_decref(x);
	return o;
}

static int
fw_ctl(struct nfv_vnf *vnf, const char *cmd, json_t *args, json_t **result, char *err,
       size_t errlen)
{
	struct fw_state *fw = vnf->priv;
	uint64_t now = rte_rdtsc();

	if (strcmp(cmd, "rules") == 0) {
		*result = json_pack("{s:o, s:s}", "rules", fw_rules_json(fw->rs, true), "default",
				    fw_action_names[fw->rs->default_action]);
		return 0;
	}
	if (strcmp(cmd, "nat-stats") == 0) {
		if (fw->nat == NULL || fw->rs->nat == NULL) {
			snprintf(err, errlen, "firewall '%s' has no nat section", fw->name);
			return -ENOENT;
		}
		*result = fw_nat_stats_json(fw);
		return 0;
	}
	if (strcmp(cmd, "conns") == 0 || strcmp(cmd, "conns-flush") == 0 ||
	    strcmp(cmd, "nat-sessions") == 0) {
		bool nat_only = cmd[0] == 'n';
		bool flush = !nat_only && cmd[5] != '\0';
		json_int_t limit = FW_CONNS_DEFAULT;
		json_t *l = args ? json_object_get(args, "limit") : NULL, *a;
		uint32_t n = 0;

		if (nat_only && fw->nat == NULL) {
			snprintf(err, errlen, "firewall '%s' has no nat section", fw->name);
			return -ENOENT;
		}
		if (l != NULL) {
			char *end = NULL;

			/* nfvctl nat sessions 10: a bare word comes as a string */
			if (json_is_string(l)) {
				long long v = strtoll(json_string_value(l), &end, 10);

				if (end == json_string_value(l) || *end != '\0' || v < 0) {
					snprintf(err, errlen, "limit: expected a number >= 0");
					return -EINVAL;
				}
				limit = v;
			} else if (!json_is_integer(l) || json_integer_value(l) < 0) {
				snprintf(err, errlen, "limit: expected a number >= 0");
				return -EINVAL;
			} else
				limit = json_integer_value(l);
		}
		a = json_array();
		for (uint32_t i = 0; i < fw->ct.n_slots; i++) {
			struct fw_ct_entry *e = &fw->ct.entries[i];

			if (__atomic_load_n(&e->in_use, __ATOMIC_ACQUIRE) != FW_SLOT_LIVE ||
			    e->alias)
				continue;
			if (nat_only && !e->nat)
				continue;
			if (flush) {
				fw_ct_remove(fw, e);
				n++;
				continue;
			}
			if ((int64_t)(now - e->last_tsc) >
			    (int64_t)fw->rs->timeout_tsc[fw_state_timeout[e->state]])
				continue; /* expired, not yet swept */
			if ((json_int_t)n++ < limit)
				json_array_append_new(a, nat_only ? fw_nat_row(e, fw->rs, now)
								  : fw_conn_json(e, fw->rs, now));
		}
		if (nat_only) {
			*result = json_pack("{s:o, s:I, s:I}", "sessions", a, "count", (json_int_t)n,
					    "max", (json_int_t)fw->ct.max);
			return 0;
		}
		*result = json_pack("{s:o, s:I, s:I}", flush ? "flushed" : "conns",
				    flush ? json_integer(n) : a, "count", (json_int_t)n, "max",
				    (json_int_t)fw->ct.max);
		if (flush)
			json_decref(a);
		return 0;
	}
	snprintf(err, errlen,
		 "unknown command '%s' (rules, conns, conns-flush, nat-sessions, nat-stats)", cmd);
	return -ENOTSUP;
}

/* a nat section added to a firewall made without one needs NAT tables
 * sized at create: a fresh instance */
static bool
fw_can_reconfigure(const void *old_conf, const void *new_conf)
{
	const struct fw_conf *o = old_conf, *n = new_conf;

	return !(n->nat != NULL && o->nat == NULL);
}

static struct vnf_class fw_class = {
	.schema = &fw_schema,
	.create = fw_create,
	.destroy = fw_destroy,
	.process = fw_process,
	.reconfigure = fw_reconfigure,
	.can_reconfigure = fw_can_reconfigure,
	.punt = fw_punt,
	.tick = fw_tick,
	.stats = fw_stats,
	.ctl = fw_ctl,
	.counter_names = fw_counter_names,
	.n_counters = FW_CTR_MAX,
	.drop_names = fw_drop_names,
	.drop_descs = fw_drop_descs,
	.n_drops = FW_DROP_MAX,
};
VNF_CLASS_REGISTER(fw_class);
