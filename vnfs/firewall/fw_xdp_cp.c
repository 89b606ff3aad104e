/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd firewall VNF - XDP pre-filter on af_xdp ports (control thread only).
 *
 * The engine hands a port's `xdp-prog:` object to net_af_xdp, which loads
 * and attaches it (bpf/fw_xdp.c: redirect to the AF_XDP socket, drop in the
 * kernel what the LPM-trie maps fw_deny4/fw_deny6 name). Here we find that
 * program on the interface (libxdp, also behind a multi-prog dispatcher),
 * open its maps by id, and keep them in step with the rules: a drop rule
 * that matches on source prefix only (optionally in-port) and that no
 * earlier allow/reject rule could shadow goes into the map. The map is
 * only a shortcut: the same rule still drops in the data plane, so a port
 * without the program loses nothing but speed.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include <rte_log.h>
#include <rte_malloc.h>

#include "fw_rt.h"

#define FW_XDP_PROG_NAME "fw_xdp_prog"
#define FW_XDP_RETRY_MS 1000

struct fw_xdp_lpm4 {
	uint32_t prefixlen;
	uint8_t addr[4];
};
struct fw_xdp_lpm6 {
	uint32_t prefixlen;
	uint8_t addr[16];
};

struct fw_xdp_deny {
	int family;
	uint8_t len;
	uint8_t addr[16];
	int32_t in_port; /* config port index, -1 any */
	uint32_t rule;
};

struct fw_xdp_port {
	char name[NFV_NAME_MAX];
	char iface[NFV_NAME_MAX];
	uint16_t cfg_index;
	int deny4_fd, deny6_fd, drops_fd;
	bool attached, warned, dirty;
	uint32_t n_deny;
	uint64_t last_try_ms;
	char why[160];
};

struct fw_xdp {
	uint16_t n_ports;
	struct fw_xdp_port ports[NFV_MAX_PORTS];
	uint32_t n_deny;
	struct fw_xdp_deny *deny;
};

static void
fw_xdp_port_close(struct fw_xdp_port *p)
{
	if (p->deny4_fd >= 0)
		close(p->deny4_fd);
	if (p->deny6_fd >= 0)
		close(p->deny6_fd);
	if (p->drops_fd >= 0)
		close(p->drops_fd);
	p->deny4_fd = p->deny6_fd = p->drops_fd = -1;
	p->attached = false;
}

void
fw_xdp_free(struct fw_state *fw)
{
	struct fw_xdp *x = fw->xdp;

	if (x == NULL)
		return;
	for (uint16_t i = 0; i < x->n_ports; i++)
		fw_xdp_port_close(&x->ports[i]);
	free(x->deny);
	rte_free(x);
	fw->xdp = NULL;
}

static bool
fw_prefix_overlap(int fa, const uint8_t *a, uint8_t la, int fb, const uint8_t *b, uint8_t lb)
{
	uint8_t l = la < lb ? la : lb;
	unsigned int bytes = l / 8, bits = l % 8;

	if (fa != fb)
		return false;
	if (memcmp(a, b, bytes) != 0)
		return false;
	return bits == 0 || ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff << (8 - bits))) == 0;
}

static const uint8_t *
fw_pfx_bytes(const struct cfg_prefix *p)
{
	return p->family == AF_INET ? (const uint8_t *)&p->v4 : (const uint8_t *)&p->v6;
}

/* Drop rules the kernel may enforce without changing the verdict. */
static int
fw_xdp_deny_list(const struct fw_conf *c, struct fw_xdp *x)
{
	x->n_deny = 0;
	x->deny = calloc(c->n_rules + 1u, sizeof(*x->deny));
	if (x->deny == NULL)
		return -ENOMEM;
	for (uint16_t i = 0; i < c->n_rules; i++) {
		const struct fw_rule_conf *r = &c->rules[i];
		bool shadowed = false;

		if (r->action != FW_DROP || !r->has_src || r->has_dst || r->has_proto ||
		    r->has_out_port || r->has_vlan || r->tcp_flags_mask || r->filter ||
		    r->bpf_insns)
			continue;
		for (uint16_t j = 0; j < i && !shadowed; j++) {
			const struct fw_rule_conf *e = &c->rules[j];

			if (e->action == FW_DROP)
				continue;
			if (r->has_in_port && e->has_in_port && e->in_port != r->in_port)
				continue;
			if (e->has_src &&
			    !fw_prefix_overlap(e->src.family, fw_pfx_bytes(&e->src), e->src.len,
					       r->src.family, fw_pfx_bytes(&r->src), r->src.len))
				continue;
			if (e->family != 0 && e->family != r->src.family)
				continue;
			shadowed = true;
		}
		if (shadowed)
			continue;
		struct fw_xdp_deny *d = &x->deny[x->n_deny++];

		d->family = r->src.family;
		d->len = r->src.len;
		memcpy(d->addr, fw_pfx_bytes(&r->src), d->family == AF_INET ? 4 : 16);
		d->in_port = r->has_in_port ? r->in_port : -1;
		d->rule = i;
	}
	return 0;
}

static int
fw_xdp_find_maps(struct fw_xdp_port *p)
{
	struct xdp_multiprog *mp;
	struct xdp_program *prog = NULL, *it;
	uint32_t map_ids[16];
	struct bpf_prog_info info = {};
	uint32_t ilen = sizeof(info);
	int ifindex, fd, ret = 0;

	ifindex = if_nametoindex(p->iface);
	if (ifindex == 0) {
		snprintf(p->why, sizeof(p->why), "interface %s: %s", p->iface, strerror(errno));
		return -errno;
	}
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	if (libxdp_get_error(mp) || mp == NULL) {
		snprintf(p->why, sizeof(p->why), "no XDP program attached to %s", p->iface);
		return -ENOENT;
	}
	it = xdp_multiprog__main_prog(mp);
	if (it != NULL && strcmp(xdp_program__name(it), FW_XDP_PROG_NAME) == 0)
		prog = it;
	for (it = xdp_multiprog__next_prog(NULL, mp); prog == NULL && it != NULL;
	     it = xdp_multiprog__next_prog(it, mp))
		if (strcmp(xdp_program__name(it), FW_XDP_PROG_NAME) == 0)
			prog = it;
	if (prog == NULL) {
		snprintf(p->why, sizeof(p->why), "the XDP program on %s is not the firewall's (%s)",
			 p->iface, FW_XDP_PROG_NAME);
		ret = -ENOENT;
		goto close_mp;
	}
	fd = bpf_prog_get_fd_by_id(xdp_program__id(prog));
	if (fd < 0) {
		snprintf(p->why, sizeof(p->why), "bpf_prog_get_fd_by_id: %s", strerror(errno));
		ret = -errno;
		goto close_mp;
	}
	info.nr_map_ids = RTE_DIM(map_ids);
	info.map_ids = (uint64_t)(uintptr_t)map_ids;
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen) < 0) {
		snprintf(p->why, sizeof(p->why), "bpf_prog_get_info_by_fd: %s", strerror(errno));
		ret = -errno;
		close(fd);
		goto close_mp;
	}
	close(fd);
	for (uint32_t i = 0; i < info.nr_map_ids && i < RTE_DIM(map_ids); i++) {
		struct bpf_map_info mi = {};
		uint32_t mlen = sizeof(mi);
		int mfd = bpf_map_get_fd_by_id(map_ids[i]);

		if (mfd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(mfd, &mi, &mlen) == 0) {
			if (strcmp(mi.name, "fw_deny4") == 0 && p->deny4_fd < 0) {
				p->deny4_fd = mfd;
				continue;
			}
			if (strcmp(mi.name, "fw_deny6") == 0 && p->deny6_fd < 0) {
				p->deny6_fd = mfd;
				continue;
			}
			if (strcmp(mi.name, "fw_drops") == 0 && p->drops_fd < 0) {
				p->drops_fd = mfd;
				continue;
			}
		}
		close(mfd);
	}
	if (p->deny4_fd < 0 || p->deny6_fd < 0 || p->drops_fd < 0) {
		snprintf(p->why, sizeof(p->why),
			 "XDP program on %s lacks the maps fw_deny4, fw_deny6, fw_drops", p->iface);
		fw_xdp_port_close(p);
		ret = -ENOENT;
	}
close_mp:
	xdp_multiprog__close(mp);
	return ret;
}

static void
fw_xdp_map_clear(int fd, size_t key_size)
{
	uint8_t key[32], next[32];

	while (bpf_map_get_next_key(fd, NULL, next) == 0) {
		memcpy(key, next, key_size);
		if (bpf_map_delete_elem(fd, key) < 0)
			break;
	}
}

static void
fw_xdp_port_sync(struct fw_xdp *x, struct fw_xdp_port *p)
{
	fw_xdp_map_clear(p->deny4_fd, sizeof(struct fw_xdp_lpm4));
	fw_xdp_map_clear(p->deny6_fd, sizeof(struct fw_xdp_lpm6));
	p->n_deny = 0;
	for (uint32_t i = 0; i < x->n_deny; i++) {
		const struct fw_xdp_deny *d = &x->deny[i];
		int ret;

		if (d->in_port >= 0 && d->in_port != p->cfg_index)
			continue;
		if (d->family == AF_INET) {
			struct fw_xdp_lpm4 k = {.prefixlen = d->len};

			memcpy(k.addr, d->addr, 4);
			ret = bpf_map_update_elem(p->deny4_fd, &k, &d->rule, BPF_NOEXIST);
		} else {
			struct fw_xdp_lpm6 k = {.prefixlen = d->len};

			memcpy(k.addr, d->addr, 16);
			ret = bpf_map_update_elem(p->deny6_fd, &k, &d->rule, BPF_NOEXIST);
		}
		if (ret == 0)
			p->n_deny++;
	}
	p->dirty = false;
}

static void
fw_xdp_try(struct fw_state *fw, struct fw_xdp_port *p, uint64_t now_ms)
{
	p->last_try_ms = now_ms;
	if (!p->attached) {
		if (fw_xdp_find_maps(p) < 0) {
			if (!p->warned)
				rte_log(RTE_LOG_WARNING, fw_logtype,
					"fw: %s: port %s: running without the XDP pre-filter: %s\n",
					fw->name, p->name, p->why);
			p->warned = true;
			return;
		}
		p->attached = true;
		p->why[0] = '\0';
		p->dirty = true;
	}
	if (p->dirty)
		fw_xdp_port_sync(fw->xdp, p);
}

int
fw_xdp_sync(struct fw_state *fw, const struct nfv_config *cfg, const struct fw_conf *c)
{
	struct fw_xdp *x = fw->xdp;
	struct fw_xdp_deny *old_deny;
	uint32_t old_n;

	if (x == NULL) {
		x = rte_zmalloc("fw_xdp", sizeof(*x), 0);
		if (x == NULL)
			return -ENOMEM;
		for (uint16_t i = 0; i < cfg->n_ports; i++) {
			const struct nfv_port_conf *pc = &cfg->ports[i];
			struct fw_xdp_port *p;

			if (pc->driver != NFV_PORT_AF_XDP || pc->xdp_prog[0] == '\0')
				continue;
			p = &x->ports[x->n_ports++];
			snprintf(p->name, sizeof(p->name), "%s", pc->name);
			snprintf(p->iface, sizeof(p->iface), "%s", pc->iface);
			p->cfg_index = i;
			p->deny4_fd = p->deny6_fd = p->drops_fd = -1;
		}
		fw->xdp = x;
	}
	old_deny = x->deny;
	old_n = x->n_deny;
	if (fw_xdp_deny_list(c, x) < 0) {
		x->deny = old_deny;
		x->n_deny = old_n;
		return -ENOMEM;
	}
	free(old_deny);
	for (uint16_t i = 0; i < x->n_ports; i++) {
		x->ports[i].dirty = true;
		fw_xdp_try(fw, &x->ports[i], nfv_now_ms());
	}
	return 0;
}

void
fw_xdp_tick(struct fw_state *fw, uint64_t now_ms)
{
	struct fw_xdp *x = fw->xdp;

	if (x == NULL)
		return;
	for (uint16_t i = 0; i < x->n_ports; i++) {
		struct fw_xdp_port *p = &x->ports[i];

		if ((!p->attached || p->dirty) && now_ms - p->last_try_ms >= FW_XDP_RETRY_MS)
			fw_xdp_try(fw, p, now_ms);
	}
}

static uint64_t
fw_xdp_drops(const struct fw_xdp_port *p)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum = 0, *v;
	uint32_t key = 0;

	if (ncpu <= 0 || p->drops_fd < 0)
		return 0;
	v = calloc(ncpu, sizeof(*v));
	if (v == NULL)
		return 0;
	if (bpf_map_lookup_elem(p->drops_fd, &key, v) == 0)
		for (int i = 0; i < ncpu; i++)
			sum += v[i];
	free(v);
	return sum;
}

void
fw_xdp_stats(struct fw_state *fw, json_t *out)
{
	struct fw_xdp *x = fw->xdp;
	json_t *o;

	if (x == NULL || x->n_ports == 0)
		return;
	o = json_object();
	for (uint16_t i = 0; i < x->n_ports; i++) {
		struct fw_xdp_port *p = &x->ports[i];

		json_object_set_new(o, p->name,
				    json_pack("{s:b, s:s, s:I, s:I}", "attached", p->attached,
					      "why", p->why, "deny_prefixes", (json_int_t)p->n_deny,
					      "drops", (json_int_t)fw_xdp_drops(p)));
	}
	json_object_set_new(out, "xdp", o);
	/* rules the kernel may enforce (written to each attached port's maps) */
	json_object_set_new(out, "xdp_deny_rules", json_integer(x->n_deny));
}
