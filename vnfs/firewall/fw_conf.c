/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd firewall VNF - the schema half: configuration parser (no DPDK:
 * nfvctl validates offline with it). Every problem is reported with file:line:col and the
 * field path; pcap-filter expressions are compiled with libpcap here and
 * eBPF objects are read with libbpf, so a bad one is refused before
 * anything changes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "cfg_pcap.h"
#include "fw.h"

const char *const fw_action_names[] = {"allow", "drop", "reject", NULL};
const char *const fw_ct_state_names[] = {FW_CT_STATES(VNF_NAME)};
#define FW_TO_NAME(sym, str, def) str,
#define FW_TO_DEF(sym, str, def) def,
const char *const fw_timeout_names[] = {FW_TIMEOUTS(FW_TO_NAME) NULL};
const uint32_t fw_timeout_defaults[] = {FW_TIMEOUTS(FW_TO_DEF)};
const uint8_t fw_state_timeout[FW_CT_STATE_MAX] = {
	[FW_CT_NONE] = FW_TO_TCP_CLOSED,       [FW_CT_SYN_SENT] = FW_TO_TCP_SYN,
	[FW_CT_SYN_RECV] = FW_TO_TCP_SYN,      [FW_CT_ESTABLISHED] = FW_TO_TCP_ESTABLISHED,
	[FW_CT_CLOSING] = FW_TO_TCP_CLOSING,   [FW_CT_TIME_WAIT] = FW_TO_TCP_TIME_WAIT,
	[FW_CT_CLOSED] = FW_TO_TCP_CLOSED,     [FW_CT_UDP_NEW] = FW_TO_UDP,
	[FW_CT_UDP_STREAM] = FW_TO_UDP_STREAM, [FW_CT_ICMP] = FW_TO_ICMP,
};

static const char *const fw_keys[] = {
	/* handled by the model loader */
	"name", "class", "runtime", "vm",
	/* ours */
	"default", "fragments", "conntrack", "xdp", "rules", "nat", NULL};
static const char *const fw_ct_keys[] = {"max", "timeouts", NULL};
static const char *const fw_rule_keys[] = {
	"name",	 "action", "in-port",	"out-port",  "src",	  "dst",  "proto",
	"sport", "dport",  "icmp-type", "icmp-code", "tcp-flags", "vlan", "stateful",
	"count", "log",	   "filter",	"bpf",	     NULL};
static const char *const fw_bpf_keys[] = {"file", "section", NULL};
static const char *const fw_frag_names[] = {"drop", "allow", NULL};

static const struct {
	const char *name;
	uint8_t proto;
} fw_protos[] = {
	{"icmp", IPPROTO_ICMP},	   {"tcp", IPPROTO_TCP},       {"udp", IPPROTO_UDP},
	{"icmp6", IPPROTO_ICMPV6}, {"icmpv6", IPPROTO_ICMPV6}, {"sctp", IPPROTO_SCTP},
	{"gre", IPPROTO_GRE},	   {"esp", IPPROTO_ESP},       {"ah", IPPROTO_AH},
};

static const struct {
	const char *name;
	uint8_t bit;
} fw_flag_names[] = {
	{"fin", FW_TCP_FIN}, {"syn", FW_TCP_SYN}, {"rst", FW_TCP_RST}, {"psh", FW_TCP_PSH},
	{"ack", FW_TCP_ACK}, {"urg", FW_TCP_URG}, {"ece", FW_TCP_ECE}, {"cwr", FW_TCP_CWR},
};

static int
fw_parse_proto(const struct cfg_node *map, struct fw_rule_conf *r, struct cfg_errors *err)
{
	const struct cfg_node *n = cfg_map_get(map, "proto");
	uint64_t v;
	size_t i;

	if (n == NULL)
		return 0;
	if (n->type == CFG_SCALAR && n->scalar != NULL) {
		for (i = 0; i < FW_DIM(fw_protos); i++)
			if (strcasecmp(n->scalar, fw_protos[i].name) == 0) {
				r->has_proto = true;
				r->proto = fw_protos[i].proto;
				return 0;
			}
		if (n->scalar[0] < '0' || n->scalar[0] > '9') {
			cfg_error(
				err, n,
				"unknown protocol '%s' (tcp, udp, icmp, icmp6, sctp, gre, esp, ah "
				"or a number 0-255)",
				n->scalar);
			return -EINVAL;
		}
	}
	if (cfg_node_u64(n, 0, 255, &v, err) < 0)
		return -EINVAL;
	r->has_proto = true;
	r->proto = (uint8_t)v;
	return 0;
}

static int
fw_parse_tcp_flags(const struct cfg_node *map, struct fw_rule_conf *r, struct cfg_errors *err)
{
	const struct cfg_node *n = cfg_map_get(map, "tcp-flags");
	char buf[128], *save = NULL, *tok;
	const char *s;

	if (n == NULL)
		return 0;
	if (cfg_node_str(n, &s, err) < 0)
		return -EINVAL;
	if (strlen(s) >= sizeof(buf)) {
		cfg_error(err, n, "too long");
		return -EINVAL;
	}
	strcpy(buf, s);
	for (tok = strtok_r(buf, ", |", &save); tok != NULL; tok = strtok_r(NULL, ", |", &save)) {
		bool neg = tok[0] == '!';
		size_t i;

		if (neg)
			tok++;
		for (i = 0; i < FW_DIM(fw_flag_names); i++)
			if (strcasecmp(tok, fw_flag_names[i].name) == 0)
				break;
		if (i == FW_DIM(fw_flag_names)) {
			cfg_error(err, n,
				  "unknown TCP flag '%s' (fin, syn, rst, psh, ack, urg, ece, cwr; "
				  "'!' before a flag means not set)",
				  tok);
			return -EINVAL;
		}
		r->tcp_flags_mask |= fw_flag_names[i].bit;
		if (!neg)
			r->tcp_flags |= fw_flag_names[i].bit;
	}
	if (r->tcp_flags_mask == 0) {
		cfg_error(err, n, "no TCP flag named");
		return -EINVAL;
	}
	return 0;
}

static int
fw_parse_prefixes(const struct cfg_node *map, struct fw_rule_conf *r, struct cfg_errors *err)
{
	int ret = 0, fam = r->family;
	const struct cfg_node *dn = cfg_map_get(map, "dst");

	if (cfg_get_prefix(map, "src", false, false, &r->src, err) == 0) {
		r->has_src = true;
		fam = r->src.family;
	} else if (cfg_map_get(map, "src") != NULL)
		ret = -EINVAL;
	if (cfg_get_prefix(map, "dst", false, false, &r->dst, err) == 0) {
		r->has_dst = true;
		if (fam != 0 && r->dst.family != fam) {
			cfg_error(err, dn, "address family differs from src");
			return -EINVAL;
		}
		fam = r->dst.family;
	} else if (dn != NULL)
		ret = -EINVAL;
	r->family = fam;
	return ret;
}

static int
fw_parse_l4(const struct cfg_node *map, struct fw_rule_conf *r, struct cfg_errors *err)
{
	const struct cfg_node *pn = cfg_map_get(map, "proto");
	bool ports = r->has_proto && (r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP ||
				      r->proto == IPPROTO_SCTP);
	bool icmp = r->has_proto && (r->proto == IPPROTO_ICMP || r->proto == IPPROTO_ICMPV6);
	static const char *const port_keys[] = {"sport", "dport"};
	uint32_t lo, hi, v;
	int ret = 0;

	r->sport_hi = r->dport_hi = 65535;
	for (int i = 0; i < 2; i++) {
		const struct cfg_node *n = cfg_map_get(map, port_keys[i]);
		int rc;

		if (n == NULL)
			continue;
		if (!ports) {
			cfg_error(err, n, "a port match needs proto tcp, udp or sctp");
			ret = -EINVAL;
			continue;
		}
		rc = cfg_get_range(map, port_keys[i], false, 0, 65535, &lo, &hi, err);
		if (rc < 0) {
			ret = -EINVAL;
			continue;
		}
		if (lo > hi) {
			cfg_error(err, n, "impossible port range %u-%u (low end above high end)",
				  lo, hi);
			ret = -EINVAL;
			continue;
		}
		if (i == 0) {
			r->sport_lo = lo;
			r->sport_hi = hi;
		} else {
			r->dport_lo = lo;
			r->dport_hi = hi;
		}
	}
	static const char *const icmp_keys[] = {"icmp-type", "icmp-code"};
	for (int i = 0; i < 2; i++) {
		const struct cfg_node *n = cfg_map_get(map, icmp_keys[i]);

		if (n == NULL)
			continue;
		if (!icmp) {
			cfg_error(err, n, "an ICMP match needs proto icmp or icmp6");
			ret = -EINVAL;
			continue;
		}
		if (cfg_get_u32(map, icmp_keys[i], false, 0, 255, &v, err) < 0) {
			ret = -EINVAL;
			continue;
		}
		if (i == 0) {
			r->has_icmp_type = true;
			r->icmp_type = v;
		} else {
			r->has_icmp_code = true;
			r->icmp_code = v;
		}
	}
	if (cfg_map_get(map, "tcp-flags") != NULL && !(r->has_proto && r->proto == IPPROTO_TCP)) {
		cfg_error(err, cfg_map_get(map, "tcp-flags"), "a tcp-flags match needs proto tcp");
		ret = -EINVAL;
	} else if (fw_parse_tcp_flags(map, r, err) < 0)
		ret = -EINVAL;
	if (r->has_proto && (r->proto == IPPROTO_ICMP || r->proto == IPPROTO_ICMPV6)) {
		int fam = r->proto == IPPROTO_ICMP ? AF_INET : AF_INET6;

		if (r->family != 0 && r->family != fam) {
			cfg_error(err, pn, "%s does not go with %s addresses",
				  r->proto == IPPROTO_ICMP ? "icmp" : "icmp6",
				  r->family == AF_INET ? "IPv4" : "IPv6");
			ret = -EINVAL;
		}
		r->family = fam;
	}
	return ret;
}

/* libbpf messages are caught while a file is read, to show them to the user */
static struct fw_conf_state {
	char *buf;
	size_t len;
} fw_conf_state;

static int
fw_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	struct fw_conf_state *st = &fw_conf_state;
	size_t used;

	if (level == LIBBPF_DEBUG || st->buf == NULL)
		return 0;
	used = strlen(st->buf);
	if (used + 1 < st->len)
		vsnprintf(st->buf + used, st->len - used, fmt, ap);
	return 0;
}

int
fw_ebpf_read(const char *file, const char *section, void **insns, uint32_t *n, char *why,
	     size_t len)
{
	struct fw_conf_state *st = &fw_conf_state;
	char msgs[512] = "";
	libbpf_print_fn_t old;
	struct bpf_object *obj;
	struct bpf_program *prog, *found = NULL;
	struct bpf_map *map;
	const struct bpf_insn *in;
	size_t cnt;
	int ret = 0;

	st->buf = msgs;
	st->len = sizeof(msgs);
	old = libbpf_set_print(fw_libbpf_print);
	obj = bpf_object__open_file(file, NULL);
	libbpf_set_print(old);
	st->buf = NULL;
	if (obj == NULL) {
		ret = -errno;
		msgs[strcspn(msgs, "\n")] = '\0';
		if (strstr(msgs, strerror(-ret)) != NULL)
			msgs[0] = '\0'; /* libbpf only repeats it */
		snprintf(why, len, "cannot load eBPF object %s: %s%s%s", file, strerror(-ret),
			 msgs[0] ? ": " : "", msgs);
		return ret < 0 ? ret : -EINVAL;
	}
	bpf_object__for_each_map(map, obj)
	{
		snprintf(why, len,
			 "eBPF object %s uses map '%s': rte_bpf runs programs without maps", file,
			 bpf_map__name(map));
		ret = -ENOTSUP;
		goto close_obj;
	}
	bpf_object__for_each_program(prog, obj)
	{
		if (section[0] == '\0' || strcmp(bpf_program__section_name(prog), section) == 0 ||
		    strcmp(bpf_program__name(prog), section) == 0) {
			found = prog;
			break;
		}
	}
	if (found == NULL) {
		snprintf(why, len, "eBPF object %s has no program%s%s", file,
			 section[0] ? " in section " : "", section);
		ret = -ENOENT;
		goto close_obj;
	}
	in = bpf_program__insns(found);
	cnt = bpf_program__insn_cnt(found);
	for (size_t i = 0; i < cnt; i++)
		if (in[i].code == (BPF_JMP | BPF_CALL)) {
			snprintf(why, len,
				 "eBPF program %s in %s calls a helper or function at insn %zu: "
				 "rte_bpf runs self-contained programs",
				 bpf_program__name(found), file, i);
			ret = -ENOTSUP;
			goto close_obj;
		}
	*insns = malloc(cnt * sizeof(*in));
	if (*insns == NULL) {
		ret = -ENOMEM;
		snprintf(why, len, "out of memory");
		goto close_obj;
	}
	memcpy(*insns, in, cnt * sizeof(*in));
	*n = cnt;
close_obj:
	bpf_object__close(obj);
	return ret;
}

static int
fw_parse_matchers(const struct nfv_config *cfg, const struct cfg_node *map, struct fw_rule_conf *r,
		  struct cfg_errors *err)
{
	const struct cfg_node *fn = cfg_map_get(map, "filter");
	const struct cfg_node *bn = cfg_map_get(map, "bpf");
	char why[512];
	int ret = 0;

	if (fn != NULL && bn != NULL) {
		cfg_error(err, bn, "a rule takes either filter or bpf, not both");
		return -EINVAL;
	}
	if (fn != NULL) {
		const char *s;

		if (cfg_node_str(fn, &s, err) < 0)
			return -EINVAL;
		if (strlen(s) >= FW_FILTER_MAX) {
			cfg_error(err, fn, "expression longer than %d characters", FW_FILTER_MAX);
			return -EINVAL;
		}
		if (cfg_pcap_check(s, why, sizeof(why)) < 0) {
			cfg_error(err, fn, "%s", why);
			return -EINVAL;
		}
		r->filter = strdup(s);
		if (r->filter == NULL)
			return -ENOMEM;
	}
	if (bn != NULL) {
		char path[NFV_PATH_MAX];

		if (cfg_expect(bn, CFG_MAP, err) < 0)
			return -EINVAL;
		if (cfg_check_keys(bn, fw_bpf_keys, err) > 0)
			ret = -EINVAL;
		if (nfv_config_get_path(cfg, bn, "file", true, 0, path, sizeof(path), err) != 0)
			return -EINVAL;
		if (cfg_get_strbuf(bn, "section", false, r->bpf_section, sizeof(r->bpf_section),
				   err) < 0)
			return -EINVAL;
		if (fw_ebpf_read(path, r->bpf_section, &r->bpf_insns, &r->bpf_n_insns, why,
				 sizeof(why)) < 0) {
			cfg_error(err, cfg_map_get(bn, "file"), "%s", why);
			return -EINVAL;
		}
		r->bpf_file = strdup(path);
		if (r->bpf_file == NULL)
			return -ENOMEM;
	}
	return ret;
}

static int
fw_parse_rule(const struct nfv_config *cfg, const struct cfg_node *map, struct fw_rule_conf *r,
	      struct cfg_errors *err)
{
	int ret = 0, act = FW_DROP;
	uint32_t vlan;

	r->line = map->line;
	r->col = map->col;
	r->path = strdup(map->path ? map->path : "");
	if (cfg_expect(map, CFG_MAP, err) < 0)
		return -EINVAL;
	if (cfg_check_keys(map, fw_rule_keys, err) > 0)
		ret = -EINVAL;
	if (cfg_get_strbuf(map, "name", false, r->name, sizeof(r->name), err) < 0)
		ret = -EINVAL;
	if (cfg_get_enum(map, "action", true, fw_action_names, &act, err) < 0)
		ret = -EINVAL;
	r->action = act;
	if (cfg_get_bool(map, "stateful", false, &r->stateful, err) < 0 ||
	    cfg_get_bool(map, "count", false, &r->count, err) < 0 ||
	    cfg_get_bool(map, "log", false, &r->log, err) < 0)
		ret = -EINVAL;
	if (r->stateful && r->action != FW_ALLOW) {
		cfg_error(err, cfg_map_get(map, "stateful"),
			  "stateful applies to allow rules only");
		ret = -EINVAL;
	}
	int rc = nfv_config_get_port(cfg, map, "in-port", false, &r->in_port, err);
	if (rc < 0)
		ret = -EINVAL;
	r->has_in_port = rc == 0;
	rc = nfv_config_get_port(cfg, map, "out-port", false, &r->out_port, err);
	if (rc < 0)
		ret = -EINVAL;
	r->has_out_port = rc == 0;
	if (fw_parse_prefixes(map, r, err) < 0)
		ret = -EINVAL;
	if (fw_parse_proto(map, r, err) < 0)
		ret = -EINVAL;
	if (fw_parse_l4(map, r, err) < 0)
		ret = -EINVAL;
	rc = cfg_get_u32(map, "vlan", false, 0, 4095, &vlan, err);
	if (rc < 0)
		ret = -EINVAL;
	else if (rc == 0) {
		r->has_vlan = true;
		r->vlan = vlan;
	}
	if (fw_parse_matchers(cfg, map, r, err) < 0)
		ret = -EINVAL;
	return ret;
}

static int
fw_parse_conntrack(const struct cfg_node *node, struct fw_conf *c, struct cfg_errors *err)
{
	const struct cfg_node *ct = cfg_map_get(node, "conntrack"), *to;
	int ret = 0;

	if (ct == NULL)
		return 0;
	if (cfg_expect(ct, CFG_MAP, err) < 0)
		return -EINVAL;
	if (cfg_check_keys(ct, fw_ct_keys, err) > 0)
		ret = -EINVAL;
	if (cfg_get_u32(ct, "max", false, 16, 1u << 24, &c->ct_max, err) < 0)
		ret = -EINVAL;
	to = cfg_map_get(ct, "timeouts");
	if (to == NULL)
		return ret;
	if (cfg_expect(to, CFG_MAP, err) < 0)
		return -EINVAL;
	static const char *to_keys[FW_TO_MAX + 2];
	for (int i = 0; i < FW_TO_MAX; i++)
		to_keys[i] = fw_timeout_names[i];
	to_keys[FW_TO_MAX] = "tcp-transitory";
	if (cfg_check_keys(to, to_keys, err) > 0)
		ret = -EINVAL;
	/* tcp-transitory (RFC 5382's name): the default of every transitory
	 * TCP state (syn, closing, time-wait, closed by a RST) not given on
	 * its own */
	uint32_t tr;
	int rc = cfg_get_u32(to, "tcp-transitory", false, 1, 30 * 86400, &tr, err);
	if (rc < 0)
		ret = -EINVAL;
	else if (rc == 0)
		c->timeouts[FW_TO_TCP_SYN] = c->timeouts[FW_TO_TCP_CLOSING] =
			c->timeouts[FW_TO_TCP_TIME_WAIT] = c->timeouts[FW_TO_TCP_CLOSED] = tr;
	for (int i = 0; i < FW_TO_MAX; i++)
		if (cfg_get_u32(to, fw_timeout_names[i], false, 1, 30 * 86400, &c->timeouts[i],
				err) < 0)
			ret = -EINVAL;
	return ret;
}

int
fw_config_parse(const struct nfv_config *cfg, const struct cfg_node *node, void **conf,
		struct cfg_errors *err)
{
	const struct cfg_node *rules;
	struct fw_conf *c;
	int ret = 0, v;

	if (cfg_expect(node, CFG_MAP, err) < 0)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	snprintf(c->file, sizeof(c->file), "%s", err->file ? err->file : "");
	c->default_action = FW_DROP;
	c->ct_max = 65536;
	c->xdp = true;
	for (int i = 0; i < FW_TO_MAX; i++)
		c->timeouts[i] = fw_timeout_defaults[i];
	if (cfg_check_keys(node, fw_keys, err) > 0)
		ret = -EINVAL;
	v = c->default_action;
	if (cfg_get_enum(node, "default", false, fw_action_names, &v, err) < 0)
		ret = -EINVAL;
	c->default_action = v;
	v = c->fragments;
	if (cfg_get_enum(node, "fragments", false, fw_frag_names, &v, err) < 0)
		ret = -EINVAL;
	c->fragments = v;
	if (cfg_get_bool(node, "xdp", false, &c->xdp, err) < 0)
		ret = -EINVAL;
	if (cfg_map_get(node, "nat") != NULL) {
		/* a NAT's timeouts: the RFC minimums (RFC 5382 REQ-5: established
		 * 2 h 4 min, transitory 4 min; RFC 4787 REQ-5: UDP 2 min) */
		c->timeouts[FW_TO_TCP_ESTABLISHED] = 7440;
		c->timeouts[FW_TO_TCP_SYN] = c->timeouts[FW_TO_TCP_CLOSING] =
			c->timeouts[FW_TO_TCP_TIME_WAIT] = 240;
		/* RFC 7857 2.2: after a RST, 4 minutes too */
		c->timeouts[FW_TO_TCP_CLOSED] = 240;
		c->timeouts[FW_TO_UDP] = c->timeouts[FW_TO_UDP_STREAM] = 120;
		c->timeouts[FW_TO_ICMP] = 60;
		if (fw_nat_parse(cfg, cfg_map_get(node, "nat"), c, err) < 0)
			ret = -EINVAL;
	}
	if (fw_parse_conntrack(node, c, err) < 0)
		ret = -EINVAL;
	rules = cfg_map_get(node, "rules");
	if (rules != NULL && cfg_expect(rules, CFG_SEQ, err) == 0) {
		if (rules->n > FW_MAX_RULES) {
			cfg_error(err, rules, "%zu rules; at most %d", rules->n, FW_MAX_RULES);
			ret = -EINVAL;
		} else if (rules->n > 0) {
			c->rules = calloc(rules->n, sizeof(*c->rules));
			if (c->rules == NULL) {
				fw_config_free(c);
				return -ENOMEM;
			}
			c->n_rules = rules->n;
			for (size_t i = 0; i < rules->n; i++) {
				if (fw_parse_rule(cfg, rules->items[i], &c->rules[i], err) < 0)
					ret = -EINVAL;
				/* a rule's name names its counters and log
				 * lines: two of one name could not be told
				 * apart */
				for (size_t k = 0; c->rules[i].name[0] && k < i; k++)
					if (strcmp(c->rules[k].name, c->rules[i].name) == 0) {
						cfg_error(err,
							  cfg_map_get(rules->items[i], "name"),
							  "rule name '%s' used twice (first at "
							  "line %u)",
							  c->rules[i].name, c->rules[k].line);
						ret = -EINVAL;
						break;
					}
			}
		}
	} else if (rules != NULL)
		ret = -EINVAL;
	if (ret < 0) {
		fw_config_free(c);
		return ret;
	}
	*conf = c;
	return 0;
}

void
fw_config_free(void *conf)
{
	struct fw_conf *c = conf;

	if (c == NULL)
		return;
	for (uint16_t i = 0; i < c->n_rules; i++) {
		free(c->rules[i].filter);
		free(c->rules[i].bpf_file);
		free(c->rules[i].bpf_insns);
		free(c->rules[i].path);
	}
	free(c->rules);
	fw_nat_free(c->nat);
	free(c);
}

static bool
fw_str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
fw_rule_eq(const struct fw_rule_conf *a, const struct fw_rule_conf *b)
{
	return strcmp(a->name, b->name) == 0 && a->action == b->action &&
	       a->stateful == b->stateful && a->count == b->count && a->log == b->log &&
	       a->has_in_port == b->has_in_port && a->in_port == b->in_port &&
	       a->has_out_port == b->has_out_port && a->out_port == b->out_port &&
	       a->family == b->family && a->has_src == b->has_src &&
	       (!a->has_src || memcmp(&a->src, &b->src, sizeof(a->src)) == 0) &&
	       a->has_dst == b->has_dst &&
	       (!a->has_dst || memcmp(&a->dst, &b->dst, sizeof(a->dst)) == 0) &&
	       a->has_proto == b->has_proto && a->proto == b->proto && a->sport_lo == b->sport_lo &&
	       a->sport_hi == b->sport_hi && a->dport_lo == b->dport_lo &&
	       a->dport_hi == b->dport_hi && a->has_icmp_type == b->has_icmp_type &&
	       a->icmp_type == b->icmp_type && a->has_icmp_code == b->has_icmp_code &&
	       a->icmp_code == b->icmp_code && a->tcp_flags == b->tcp_flags &&
	       a->tcp_flags_mask == b->tcp_flags_mask && a->has_vlan == b->has_vlan &&
	       a->vlan == b->vlan && fw_str_eq(a->filter, b->filter) &&
	       fw_str_eq(a->bpf_file, b->bpf_file) && strcmp(a->bpf_section, b->bpf_section) == 0 &&
	       a->bpf_n_insns == b->bpf_n_insns &&
	       (a->bpf_n_insns == 0 ||
		memcmp(a->bpf_insns, b->bpf_insns, a->bpf_n_insns * FW_EBPF_INSN_SIZE) == 0);
}

int
fw_config_equal(const void *pa, const void *pb)
{
	const struct fw_conf *a = pa, *b = pb;

	if (a->default_action != b->default_action || a->fragments != b->fragments ||
	    a->ct_max != b->ct_max || a->xdp != b->xdp || a->n_rules != b->n_rules ||
	    memcmp(a->timeouts, b->timeouts, sizeof(a->timeouts)) != 0)
		return 0;
	if ((a->nat == NULL) != (b->nat == NULL) ||
	    (a->nat != NULL && !fw_nat_equal(a->nat, b->nat)))
		return 0;
	for (uint16_t i = 0; i < a->n_rules; i++)
		if (!fw_rule_eq(&a->rules[i], &b->rules[i]))
			return 0;
	return 1;
}

struct vnf_schema fw_schema = {
	.name = "firewall",
	.help = "ordered ACL (rte_acl), connection tracking, pcap-filter/eBPF rules, XDP "
		"pre-filter",
	.config_parse = fw_config_parse,
	.config_free = fw_config_free,
	.config_equal = fw_config_equal,
	.config_check = fw_nat_check,
};
VNF_SCHEMA_REGISTER(fw_schema)
