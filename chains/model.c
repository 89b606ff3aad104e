/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - schema v1: YAML tree -> validated struct nfv_config.
 * Every problem is reported (file:line:col: field: message); parsing goes on
 * after an error so the user sees them all at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"
#include "vnf.h"

const char *const nfv_port_driver_names[NFV_PORT_DRIVER_MAX + 1] = {
	[NFV_PORT_PCI] = "pci",
	[NFV_PORT_TAP] = "tap",
	[NFV_PORT_AF_PACKET] = "af_packet",
	[NFV_PORT_AF_XDP] = "af_xdp",
	[NFV_PORT_PCAP] = "pcap",
	[NFV_PORT_VHOST] = "vhost",
	[NFV_PORT_VIRTIO_USER] = "virtio_user",
	[NFV_PORT_MEMIF] = "memif",
	[NFV_PORT_RING] = "ring",
	[NFV_PORT_NULL] = "null",
	[NFV_PORT_VXLAN] = "vxlan",
	[NFV_PORT_GENEVE] = "geneve",
	[NFV_PORT_DRIVER_MAX] = NULL,
};

/* ---- helpers ---- */

int
nfv_config_port(const struct nfv_config *cfg, const char *name)
{
	for (uint16_t i = 0; i < cfg->n_ports; i++)
		if (strcmp(cfg->ports[i].name, name) == 0)
			return i;
	return -1;
}

int
nfv_config_vnf(const struct nfv_config *cfg, const char *name)
{
	for (uint16_t i = 0; i < cfg->n_vnfs; i++)
		if (strcmp(cfg->vnfs[i].name, name) == 0)
			return i;
	return -1;
}

/* ", did you mean 'x'?" for the nearest port/vnf name, or "" */
static void
mdl_suggest(const struct nfv_config *cfg, bool ports, const char *name, char *buf, size_t size)
{
	const char *best = NULL;
	size_t bestd = 3;
	uint16_t n = ports ? cfg->n_ports : cfg->n_vnfs;

	buf[0] = '\0';
	for (uint16_t i = 0; i < n; i++) {
		const char *cand = ports ? cfg->ports[i].name : cfg->vnfs[i].name;
		size_t d = cfg_edit_distance(name, cand);

		/* a suggestion must keep part of what was written */
		if (d < bestd && d < strlen(name)) {
			bestd = d;
			best = cand;
		}
	}
	if (best)
		snprintf(buf, size, " (did you mean '%s'?)", best);
}

int
nfv_config_get_port(const struct nfv_config *cfg, const struct cfg_node *map, const char *key,
		    bool required, uint16_t *port, struct cfg_errors *err)
{
	const char *name;
	char hint[64];
	int ret, idx;

	ret = cfg_get_str(map, key, required, &name, err);
	if (ret != 0)
		return ret;
	idx = nfv_config_port(cfg, name);
	if (idx < 0) {
		mdl_suggest(cfg, true, name, hint, sizeof(hint));
		cfg_error(err, cfg_map_get(map, key), "no port named '%s'%s", name, hint);
		return -EINVAL;
	}
	*port = (uint16_t)idx;
	return 0;
}

int
nfv_config_path(const struct nfv_config *cfg, const char *in, char *out, size_t size)
{
	int n;

	if (in[0] == '/' || cfg->dir[0] == '\0')
		n = snprintf(out, size, "%s", in);
	else
		n = snprintf(out, size, "%s/%s", cfg->dir, in);
	if (n < 0 || (size_t)n >= size) {
		if (size > 0)
			out[0] = '\0';
		return -ENAMETOOLONG;
	}
	return n;
}

/* Text that goes into a DPDK devargs string or an EAL argument: DPDK
 * splits devargs at ',' and '=' ("rx_pcap=/x,iface=eth0" would open a
 * live interface), and no control character belongs there. */
static int
mdl_devarg_text(const struct cfg_node *map, const char *key, const char *s, const char *bad_chars,
		struct cfg_errors *err)
{
	for (const char *c = s; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			cfg_error(err, cfg_map_get(map, key),
				  "control character 0x%02x not allowed here", (unsigned char)*c);
			return -EINVAL;
		}
		if (strchr(bad_chars, *c) != NULL) {
			cfg_error(err, cfg_map_get(map, key),
				  "'%c' not allowed here (DPDK device arguments are split at "
				  "it): '%s'",
				  *c, s);
			return -EINVAL;
		}
	}
	return 0;
}

int
nfv_config_get_path(const struct nfv_config *cfg, const struct cfg_node *map, const char *key,
		    bool required, size_t max, char *out, size_t size, struct cfg_errors *err)
{
	const char *s;
	int ret, n;

	ret = cfg_get_str(map, key, required, &s, err);
	if (ret != 0)
		return ret;
	if (s[0] == '\0') {
		cfg_error(err, cfg_map_get(map, key), "empty path");
		return -EINVAL;
	}
	if (mdl_devarg_text(map, key, s, "", err) < 0)
		return -EINVAL;
	if (max == 0 || max > size - 1)
		max = size - 1;
	n = nfv_config_path(cfg, s, out, size);
	if (n < 0 || (size_t)n > max) {
		out[0] = '\0';
		n = (int)strlen(s) + (s[0] == '/' || cfg->dir[0] == '\0' ? 0 : (int)strlen(cfg->dir) + 1);
		cfg_error(err, cfg_map_get(map, key),
			  "path of %d characters%s (at most %zu)", n,
			  s[0] == '/' ? "" : " once resolved against the chain file's folder", max);
		return -EINVAL;
	}
	return 0;
}

static bool
mdl_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 15)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* name: required, valid, unique across ports, vnfs and chains */
static int
mdl_name(struct nfv_config *cfg, const struct cfg_node *map, char *out, struct cfg_errors *err)
{
	const struct cfg_node *n = cfg_map_get(map, "name");
	const char *s;

	if (cfg_get_str(map, "name", true, &s, err) != 0)
		return -EINVAL;
	if (!mdl_name_ok(s)) {
		cfg_error(err, n, "'%s' is not a valid name (1..15 of A-Z a-z 0-9 _ -)", s);
		return -EINVAL;
	}
	if (nfv_config_port(cfg, s) >= 0 || nfv_config_vnf(cfg, s) >= 0) {
		cfg_error(err, n,
			  "duplicate name '%s' (names of ports, vnfs and chains must differ)", s);
		return -EINVAL;
	}
	for (uint16_t i = 0; i < cfg->n_chains; i++)
		if (strcmp(cfg->chains[i].name, s) == 0) {
			cfg_error(
				err, n,
				"duplicate name '%s' (names of ports, vnfs and chains must differ)",
				s);
			return -EINVAL;
		}
	snprintf(out, NFV_NAME_MAX, "%s", s);
	return 0;
}

/* ---- "IPV4:PORT" / "[IPV6]:PORT" (the metrics endpoint) ---- */

int
nfv_parse_inet_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *err,
		    size_t errlen)
{
	char host[64];
	const char *colon;
	char *end;
	unsigned long port;
	size_t hl;

	if (s[0] == '[') { /* [v6]:port */
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':')
			goto bad;
		hl = (size_t)(close - s - 1);
		if (hl == 0 || hl >= sizeof(host))
			goto bad;
		memcpy(host, s + 1, hl);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			goto bad;
		hl = (size_t)(colon - s);
		if (hl == 0 || hl >= sizeof(host))
			goto bad;
		memcpy(host, s, hl);
	}
	host[hl] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end != '\0' || colon[1] == '\0' || port == 0 || port > 65535) {
		snprintf(err, errlen, "bad port in \"%s\" (1 to 65535)", s);
		return -EINVAL;
	}
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*len = sizeof(*a);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a);
		return 0;
	}
bad:
	snprintf(err, errlen,
		 "bad metrics address \"%s\" (expected IPV4:PORT or [IPV6]:PORT, "
		 "e.g. 127.0.0.1:9464)",
		 s);
	return -EINVAL;
}

#define BAD(expr) ((expr) < 0)
#define MDL_DIM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- nfvd: ---- */

static int
mdl_daemon(struct nfv_config *cfg, const struct cfg_node *n, struct cfg_errors *err)
{
	static const char *const keys[] = {
		"workers",     "main-lcore",	 "hugepages",  "memory",  "mbufs", "socket",
		"file-prefix", "stats-interval", "idle-sleep", "metrics", NULL};
	struct nfv_daemon_conf *d = &cfg->daemon;
	const struct cfg_node *w;
	uint32_t v;
	int bad = 0;

	if (n == NULL)
		return 0;
	if (cfg_expect(n, CFG_MAP, err) < 0)
		return -EINVAL;
	bad |= cfg_check_keys(n, keys, err) > 0;
	w = cfg_map_get(n, "workers");
	if (w != NULL) {
		if (cfg_expect(w, CFG_SEQ, err) < 0) {
			bad = 1;
		} else {
			for (size_t i = 0; i < w->n && i < NFV_MAX_WORKERS; i++) {
				uint64_t l;

				if (cfg_node_u64(w->items[i], 0, 1023, &l, err) != 0)
					bad = 1;
				else
					d->workers[d->n_workers++] = (uint16_t)l;
			}
			if (w->n == 0) {
				cfg_error(err, w, "at least one worker lcore is needed");
				bad = 1;
			}
		}
	}
	v = 0;
	if (cfg_get_u32(n, "main-lcore", false, 0, 1023, &v, err) == 0)
		d->main_lcore = (int)v;
	else if (cfg_map_get(n, "main-lcore"))
		bad = 1;
	bad |= BAD(cfg_get_bool(n, "hugepages", false, &d->huge, err));
	bad |= BAD(cfg_get_u32(n, "memory", false, 64, 1u << 20, &d->memory_mb, err));
	bad |= BAD(cfg_get_u32(n, "mbufs", false, 1024, 1u << 24, &d->mbufs, err));
	bad |= BAD(nfv_config_get_path(cfg, n, "socket", false, NFV_SUN_PATH_MAX, d->socket,
				       sizeof(d->socket), err));
	if (cfg_get_strbuf(n, "file-prefix", false, d->file_prefix, sizeof(d->file_prefix), err) <
	    0) {
		bad = 1;
	} else {
		/* a folder name under /var/run/dpdk and a hugepage file prefix */
		const char *fp = d->file_prefix;

		if (fp[0] == '\0' || fp[0] == '.' ||
		    strspn(fp, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") !=
			    strlen(fp)) {
			cfg_error(err, cfg_map_get(n, "file-prefix"),
				  "'%s': a file prefix is 1..%d of A-Z a-z 0-9 _ - . and does not "
				  "start with '.'",
				  fp, NFV_NAME_MAX - 1);
			bad = 1;
		}
	}
	bad |= BAD(cfg_get_u32(n, "stats-interval", false, 0, 3600000, &d->stats_interval_ms, err));
	v = 0;
	if (cfg_get_u32(n, "idle-sleep", false, 0, 100000, &v, err) == 0)
		d->idle_sleep_us = (int32_t)v;
	else if (cfg_map_get(n, "idle-sleep"))
		bad = 1;
	if (cfg_get_strbuf(n, "metrics", false, d->metrics, sizeof(d->metrics), err) < 0) {
		bad = 1;
	} else if (d->metrics[0] != '\0') {
		struct sockaddr_storage ss;
		socklen_t len;
		char why[160];

		if (nfv_parse_inet_addr(d->metrics, &ss, &len, why, sizeof(why)) < 0) {
			cfg_error(err, cfg_map_get(n, "metrics"), "%s", why);
			bad = 1;
		}
	}
	return bad ? -EINVAL : 0;
}

/* ---- ports: ---- */

static bool
is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* A path key that goes into devargs: resolved (nfv_config_get_path), and
 * none of the characters DPDK splits devargs at. */
static int
mdl_devarg_path(const struct nfv_config *cfg, const struct cfg_node *n, const char *key,
		bool required, size_t max, char *out, size_t size, struct cfg_errors *err)
{
	const char *s;

	if (cfg_get_str(n, key, required, &s, err) != 0)
		return cfg_map_get(n, key) == NULL && !required ? 0 : -EINVAL;
	if (mdl_devarg_text(n, key, s, ",=", err) < 0)
		return -EINVAL;
	return nfv_config_get_path(cfg, n, key, required, max, out, size, err);
}

/* A kernel interface name: 1..15 characters, none of / : , = blank or
 * control, not "." or "..". */
static int
mdl_iface(const struct cfg_node *n, bool required, char *out, struct cfg_errors *err)
{
	const struct cfg_node *x = cfg_map_get(n, "iface");
	char buf[16];
	int ret;

	ret = cfg_get_strbuf(n, "iface", required, buf, sizeof(buf), err);
	if (ret != 0)
		return ret < 0 ? ret : 0;
	if (mdl_devarg_text(n, "iface", buf, ",= /:", err) < 0)
		return -EINVAL;
	if (buf[0] == '\0' || strcmp(buf, ".") == 0 || strcmp(buf, "..") == 0) {
		cfg_error(err, x, "'%s' is not an interface name", buf);
		return -EINVAL;
	}
	memcpy(out, buf, sizeof(buf));
	return 0;
}

/* A ring port's shared: 1..NFV_RING_SHARED_MAX letters, digits, '_', '-'
 * or '.' (the rings are named <shared>_rx and <shared>_tx). */
static int
mdl_ring_shared(const struct cfg_node *n, struct nfv_port_conf *pc, struct cfg_errors *err)
{
	char buf[NFV_RING_SHARED_MAX + 1];
	int ret;

	ret = cfg_get_strbuf(n, "shared", false, buf, sizeof(buf), err);
	if (ret != 0)
		return ret < 0 ? ret : 0;
	if (buf[0] == '\0' || strspn(buf, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789_-.") != strlen(buf)) {
		cfg_error(err, cfg_map_get(n, "shared"),
			  "'%s': a ring name of letters, digits, '_', '-' or '.'", buf);
		return -EINVAL;
	}
	memcpy(pc->ring_shared, buf, sizeof(buf));
	return 0;
}

/* "DDDD:BB:DD.F" or "BB:DD.F", then ",key=value..." for the PMD */
static int
mdl_pci_devargs(const struct cfg_node *n, const char *s, struct cfg_errors *err)
{
	unsigned int dom, bus, dev, fn;
	size_t len = strcspn(s, ",");
	char addr[32], tail;

	if (mdl_devarg_text(n, "devargs", s, " ", err) < 0)
		return -EINVAL;
	if (len < sizeof(addr)) {
		memcpy(addr, s, len);
		addr[len] = '\0';
		if (sscanf(addr, "%4x:%2x:%2x.%1x%c", &dom, &bus, &dev, &fn, &tail) == 4 ||
		    sscanf(addr, "%2x:%2x.%1x%c", &bus, &dev, &fn, &tail) == 3)
			return 0;
	}
	cfg_error(err, cfg_map_get(n, "devargs"),
		  "'%s' does not start with a PCI address like 0000:01:00.0", s);
	return -EINVAL;
}

/* A VTEP address: one host's, not a prefix, not unspecified, loopback,
 * multicast or broadcast. */
static int
mdl_vtep_addr(const struct cfg_node *n, const char *key, struct cfg_prefix *out,
	      struct cfg_errors *err)
{
	const struct cfg_node *x = cfg_map_get(n, key);
	const char *why = NULL;
	int r;

	r = cfg_get_prefix(n, key, true, true, out, err);
	if (r != 0)
		return -EINVAL;
	if (out->len != (out->family == AF_INET ? 32 : 128)) {
		why = "an address, not a prefix";
	} else if (out->family == AF_INET) {
		uint32_t a = ntohl(out->v4.s_addr);

		if (a == 0 || a == 0xffffffffu || (a >> 24) == 127 || (a >> 24) == 0 ||
		    (a >> 28) == 0xe || (a >> 28) == 0xf)
			why = "not one host's address (0/8, 127/8, multicast, class E and "
			      "broadcast are refused)";
	} else {
		const struct in6_addr *a = &out->v6;

		if (IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a) ||
		    IN6_IS_ADDR_MULTICAST(a) || IN6_IS_ADDR_V4MAPPED(a))
			why = "not one host's address (::, ::1, multicast and v4-mapped are "
			      "refused)";
	}
	if (why != NULL) {
		cfg_error(err, x, "'%s': %s", x->scalar ? x->scalar : "", why);
		return -EINVAL;
	}
	return 0;
}

/* vxlan/geneve keys of one port; the underlay is resolved once every port
 * is known (mdl_tunnels) */
static int
mdl_tunnel_port(struct nfv_port_conf *pc, const struct cfg_node *n, struct cfg_errors *err)
{
	bool vxlan = pc->driver == NFV_PORT_VXLAN;
	int bad = 0, r;

	pc->dst_port = vxlan ? NFV_VXLAN_PORT : NFV_GENEVE_PORT;
	if (cfg_map_get(n, "underlay") == NULL) {
		cfg_error(err, n, "missing required field 'underlay' (the port the tunnel runs "
				  "over)");
		bad = 1;
	} else {
		const char *s;

		bad |= cfg_get_str(n, "underlay", true, &s, err) != 0;
	}
	bad |= BAD(mdl_vtep_addr(n, "local", &pc->local, err));
	r = mdl_vtep_addr(n, "remote", &pc->remote, err);
	bad |= BAD(r);
	if (r == 0 && pc->local.family != 0 && pc->remote.family != pc->local.family) {
		cfg_error(err, cfg_map_get(n, "remote"),
			  "remote is an %s address and local an %s one: both must be of one "
			  "family",
			  pc->remote.family == AF_INET ? "IPv4" : "IPv6",
			  pc->local.family == AF_INET ? "IPv4" : "IPv6");
		bad = 1;
	}
	if (cfg_map_get(n, "vni") == NULL) {
		cfg_error(err, n, "missing required field 'vni'");
		bad = 1;
	} else if (cfg_get_u32(n, "vni", true, 0, NFV_VNI_MAX, &pc->vni, err) != 0) {
		bad = 1;
	}
	bad |= BAD(cfg_get_u16(n, "dst-port", false, 1, 65535, &pc->dst_port, err));
	r = cfg_get_unicast_mac(n, "next-hop-mac", false, "a next hop", pc->next_hop_mac, err);
	pc->has_next_hop_mac = r == 0;
	bad |= BAD(r);
	bad |= BAD(cfg_get_bool(n, "udp-zero-checksum", false, &pc->udp_zero_csum6, err));
	if (pc->udp_zero_csum6 && pc->local.family == AF_INET) {
		cfg_error(err, cfg_map_get(n, "udp-zero-checksum"),
			  "only for an IPv6 underlay (over IPv4 the UDP checksum is always 0)");
		bad = 1;
	}
	return bad ? -EINVAL : 0;
}

/* Once every port is known: each tunnel's underlay exists and is no tunnel,
 * the inner MTU fits the underlay's, and no two tunnels look alike to
 * decapsulation (same underlay, UDP port, VNI and remote). */
static int
mdl_tunnels(struct nfv_config *cfg, struct cfg_errors *err)
{
	uint16_t n_tunnels = 0;
	int bad = 0;

	for (uint16_t i = 0; i < cfg->n_ports; i++) {
		struct nfv_port_conf *pc = &cfg->ports[i];
		const struct cfg_node *x;
		uint16_t ul;

		if (!nfv_port_is_tunnel(pc->driver))
			continue;
		if (++n_tunnels == NFV_MAX_TUNNELS + 1) {
			cfg_error(err, pc->node, "more than %d tunnel ports", NFV_MAX_TUNNELS);
			bad = 1;
		}
		x = cfg_map_get(pc->node, "underlay");
		if (x == NULL || x->scalar == NULL)
			continue; /* reported by mdl_tunnel_port */
		if (nfv_config_get_port(cfg, pc->node, "underlay", true, &ul, err) != 0) {
			bad = 1;
			continue;
		}
		pc->underlay = ul;
		if (ul == i || nfv_port_is_tunnel(cfg->ports[ul].driver)) {
			cfg_error(err, x,
				  "'%s' is a tunnel port: the underlay must be a port with a "
				  "device (af_packet, af_xdp, pci, tap ...)",
				  cfg->ports[ul].name);
			bad = 1;
			continue;
		}
		if (pc->local.family == 0)
			continue;
		uint32_t ul_mtu = cfg->ports[ul].mtu ? cfg->ports[ul].mtu : NFV_PORT_DEFAULT_MTU;
		uint32_t over = NFV_TUNNEL_OVERHEAD(pc->local.family);
		uint32_t max = ul_mtu > over + 68 ? ul_mtu - over : 0;

		if (max == 0) {
			cfg_error(err, x,
				  "underlay '%s' has mtu %u: too small for %u bytes of %s over "
				  "%s and an inner MTU of at least 68",
				  cfg->ports[ul].name, ul_mtu, over, nfv_port_driver_names[pc->driver],
				  pc->local.family == AF_INET ? "IPv4" : "IPv6");
			bad = 1;
		} else if (pc->mtu == 0) {
			pc->mtu = (uint16_t)max;
		} else if (pc->mtu > max) {
			cfg_error(err, cfg_map_get(pc->node, "mtu"),
				  "inner mtu %u does not fit underlay '%s': its mtu %u less %u "
				  "bytes of %s over %s leaves %u",
				  pc->mtu, cfg->ports[ul].name, ul_mtu, over,
				  nfv_port_driver_names[pc->driver],
				  pc->local.family == AF_INET ? "IPv4" : "IPv6", max);
			bad = 1;
		}
		for (uint16_t j = 0; j < i; j++) {
			const struct nfv_port_conf *o = &cfg->ports[j];

			if (!nfv_port_is_tunnel(o->driver) || o->underlay != ul ||
			    o->dst_port != pc->dst_port || o->vni != pc->vni ||
			    o->remote.family != pc->remote.family ||
			    memcmp(&o->remote.v6, &pc->remote.v6,
				   pc->remote.family == AF_INET ? 4 : 16) != 0)
				continue;
			cfg_error(err, cfg_map_get(pc->node, "vni"),
				  "tunnel '%s' has the vni %u, remote and UDP port %u of tunnel "
				  "'%s' (line %u) over the same underlay: decapsulation could not "
				  "tell them apart",
				  pc->name, pc->vni, pc->dst_port, o->name, o->node->line);
			bad = 1;
		}
	}
	return bad ? -EINVAL : 0;
}

static int
mdl_port(struct nfv_config *cfg, const struct cfg_node *n, struct cfg_errors *err)
{
	/* keys every driver takes, then the driver's own */
	static const char *const common[] = {"name", "driver", "rx-queues",   "rx-desc", "tx-desc",
					     "mtu",  "mac",    "promiscuous", NULL};
	static const char *const extra[NFV_PORT_DRIVER_MAX][6] = {
		[NFV_PORT_PCI] = {"devargs", NULL},
		[NFV_PORT_TAP] = {"iface", NULL},
		[NFV_PORT_AF_PACKET] = {"iface", NULL},
		[NFV_PORT_AF_XDP] = {"iface", "xdp-prog", NULL},
		[NFV_PORT_PCAP] = {"rx-file", "tx-file", "loop", NULL},
		[NFV_PORT_VHOST] = {"socket", NULL},
		[NFV_PORT_VIRTIO_USER] = {"socket", "role", NULL},
		[NFV_PORT_MEMIF] = {"socket", "role", "id", NULL},
		[NFV_PORT_RING] = {"shared", NULL},
		[NFV_PORT_NULL] = {"rx", "size", NULL},
	};
	/* a tunnel port has no device queues of its own */
	static const char *const tunnel_keys[] = {
		"name",	 "driver",   "mtu",	     "mac",		  "underlay", "local",
		"remote", "vni",      "dst-port", "next-hop-mac", "udp-zero-checksum", NULL};
	static const char *const roles[] = {"client", "server", NULL};
	struct nfv_port_conf *pc = &cfg->ports[cfg->n_ports];
	const char *allowed[20];
	int bad = 0, drv = -1, role = 0;
	size_t k = 0;

	if (cfg_expect(n, CFG_MAP, err) < 0)
		return -EINVAL;
	memset(pc, 0, sizeof(*pc));
	pc->node = n;
	pc->rx_queues = 1;
	pc->rx_desc = 1024;
	pc->tx_desc = 1024;
	pc->promiscuous = true;
	pc->pkt_size = 64;
	bad |= BAD(mdl_name(cfg, n, pc->name, err));
	if (cfg_get_enum(n, "driver", true, nfv_port_driver_names, &drv, err) != 0) {
		/* keep the name known: references to it are not errors too */
		if (pc->name[0])
			cfg->n_ports++;
		return -EINVAL;
	}
	pc->driver = (enum nfv_port_driver)drv;
	if (nfv_port_is_tunnel(drv)) {
		bad |= cfg_check_keys(n, tunnel_keys, err) > 0;
	} else {
		for (size_t i = 0; common[i]; i++)
			allowed[k++] = common[i];
		for (size_t i = 0; extra[drv][i]; i++)
			allowed[k++] = extra[drv][i];
		allowed[k] = NULL;
		bad |= cfg_check_keys(n, allowed, err) > 0;
	}

	bad |= BAD(cfg_get_u16(n, "rx-queues", false, 1, 16, &pc->rx_queues, err));
	/* a NIC takes what its driver allows (nfvd asks for at most that); a
	 * shared ring is as deep as asked (a bench link that rides out a
	 * generator's or the DUT's scheduling gaps) */
	bad |= BAD(cfg_get_u16(n, "rx-desc", false, 64, 16384, &pc->rx_desc, err));
	bad |= BAD(cfg_get_u16(n, "tx-desc", false, 64, 16384, &pc->tx_desc, err));
	if (!is_pow2(pc->rx_desc)) {
		cfg_error(err, cfg_map_get(n, "rx-desc"), "%u is not a power of 2", pc->rx_desc);
		bad = 1;
	}
	if (!is_pow2(pc->tx_desc)) {
		cfg_error(err, cfg_map_get(n, "tx-desc"), "%u is not a power of 2", pc->tx_desc);
		bad = 1;
	}
	bad |= BAD(cfg_get_u16(n, "mtu", false, 68, 9600, &pc->mtu, err));
	int r = cfg_get_unicast_mac(n, "mac", false, "a port", pc->mac, err);
	if (r == 0)
		pc->has_mac = true;
	bad |= BAD(r);
	bad |= BAD(cfg_get_bool(n, "promiscuous", false, &pc->promiscuous, err));

	switch (pc->driver) {
	case NFV_PORT_PCI:
		if (cfg_get_strbuf(n, "devargs", true, pc->devargs, sizeof(pc->devargs), err) != 0)
			bad = 1;
		else
			bad |= BAD(mdl_pci_devargs(n, pc->devargs, err));
		break;
	case NFV_PORT_TAP:
		memcpy(pc->iface, pc->name,
		       sizeof(pc->iface) < sizeof(pc->name) ? sizeof(pc->iface) : sizeof(pc->name));
		bad |= BAD(mdl_iface(n, false, pc->iface, err));
		break;
	case NFV_PORT_AF_PACKET:
		bad |= BAD(mdl_iface(n, true, pc->iface, err));
		break;
	case NFV_PORT_AF_XDP:
		bad |= BAD(mdl_iface(n, true, pc->iface, err));
		bad |= BAD(mdl_devarg_path(cfg, n, "xdp-prog", false, 0, pc->xdp_prog,
					   sizeof(pc->xdp_prog), err));
		break;
	case NFV_PORT_PCAP:
		bad |= BAD(mdl_devarg_path(cfg, n, "rx-file", false, 0, pc->rx_file,
					   sizeof(pc->rx_file), err));
		bad |= BAD(mdl_devarg_path(cfg, n, "tx-file", false, 0, pc->tx_file,
					   sizeof(pc->tx_file), err));
		bad |= BAD(cfg_get_bool(n, "loop", false, &pc->loop, err));
		if (!cfg_map_get(n, "rx-file") && !cfg_map_get(n, "tx-file")) {
			cfg_error(err, n, "a pcap port needs rx-file, tx-file or both");
			bad = 1;
		}
		if (pc->loop && !pc->rx_file[0]) {
			cfg_error(err, cfg_map_get(n, "loop"), "loop needs an rx-file");
			bad = 1;
		}
		break;
	case NFV_PORT_MEMIF:
		bad |= BAD(cfg_get_u32(n, "id", false, 0, UINT32_MAX, &pc->memif_id, err));
		/* fall through */
	case NFV_PORT_VHOST:
	case NFV_PORT_VIRTIO_USER:
		bad |= BAD(mdl_devarg_path(cfg, n, "socket", true, NFV_SUN_PATH_MAX, pc->path,
					   sizeof(pc->path), err));
		if (pc->driver != NFV_PORT_VHOST) {
			bad |= BAD(cfg_get_enum(n, "role", false, roles, &role, err));
			pc->server = role == 1;
		}
		break;
	case NFV_PORT_NULL:
		bad |= BAD(cfg_get_bool(n, "rx", false, &pc->rx, err));
		bad |= BAD(cfg_get_u32(n, "size", false, 60, 9600, &pc->pkt_size, err));
		break;
	case NFV_PORT_VXLAN:
	case NFV_PORT_GENEVE:
		bad |= BAD(mdl_tunnel_port(pc, n, err));
		break;
	case NFV_PORT_RING:
		bad |= BAD(mdl_ring_shared(n, pc, err));
		break;
	default:
		break;
	}
	if (pc->name[0])
		cfg->n_ports++;
	return bad ? -EINVAL : 0;
}

/* ---- vnfs: ---- */

static int
mdl_vnf(struct nfv_config *cfg, const struct cfg_node *n, struct cfg_errors *err)
{
	static const char *const runtimes[] = {"inproc", "vm", NULL};
	struct nfv_vnf_conf *vc = &cfg->vnfs[cfg->n_vnfs];
	int bad = 0, rt = 0;

	if (cfg_expect(n, CFG_MAP, err) < 0)
		return -EINVAL;
	memset(vc, 0, sizeof(*vc));
	vc->node = n;
	bad |= BAD(mdl_name(cfg, n, vc->name, err));
	if (cfg_get_strbuf(n, "class", true, vc->class_name, sizeof(vc->class_name), err) != 0)
		return -EINVAL;
	bad |= BAD(cfg_get_enum(n, "runtime", false, runtimes, &rt, err));
	vc->runtime = rt == 1 ? NFV_RUNTIME_VM : NFV_RUNTIME_INPROC;
	if (vc->runtime != NFV_RUNTIME_INPROC) {
		/* the guest runs the class; nfvd runs the runtime's own stage */
		vc->schema = vnf_schema_for_runtime(runtimes[rt]);
		if (vc->schema == NULL) {
			cfg_error(err, cfg_map_get(n, "runtime"),
				  "runtime: %s is not built into this program", runtimes[rt]);
			if (vc->name[0])
				cfg->n_vnfs++;
			return -EINVAL;
		}
	} else if ((vc->schema = vnf_schema_find(vc->class_name)) == NULL) {
		char known[512] = "";
		size_t k = 0;

		for (const struct vnf_schema *c = vnf_schema_next(NULL); c; c = vnf_schema_next(c))
			k += (size_t)snprintf(known + k, k < sizeof(known) ? sizeof(known) - k : 0,
					      "%s%s", k ? ", " : "", c->name);
		cfg_error(err, cfg_map_get(n, "class"), "unknown VNF class '%s' (known: %s)",
			  vc->class_name, known);
		if (vc->name[0])
			cfg->n_vnfs++; /* chains naming it get no second error */
		return -EINVAL;
	} else if (cfg_map_get(n, "vm")) {
		cfg_error(err, cfg_map_get(n, "vm"), "'vm' needs runtime: vm");
		bad = 1;
	}
	/* the class checks its own keys (and must allow name/class/runtime) */
	if (vc->schema->config_parse) {
		if (vc->schema->config_parse(cfg, n, &vc->conf, err) < 0)
			bad = 1;
	} else {
		static const char *const keys[] = {"name", "class", "runtime", NULL};

		bad |= cfg_check_keys(n, keys, err) > 0;
	}
	if (vc->name[0])
		cfg->n_vnfs++;
	else if (vc->conf && vc->schema->config_free)
		vc->schema->config_free(vc->conf);
	return bad ? -EINVAL : 0;
}

/* ---- chains: ---- */

static int
mdl_match(struct nfv_match *m, const struct cfg_node *n, struct cfg_errors *err)
{
	static const char *const keys[] = {"ethertype", "proto", "src",	 "dst",
					   "sport",	"dport", "vlan", NULL};
	static const struct {
		const char *name;
		uint32_t v;
	} ethertypes[] = {{"ipv4", 0x0800}, {"ipv6", 0x86dd}, {"arp", 0x0806}, {"vlan", 0x8100}},
	  protos[] = {{"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmpv6", 58}, {"sctp", 132}};
	const struct cfg_node *x;
	uint32_t lo, hi;
	int bad = 0, r;

	if (cfg_expect(n, CFG_MAP, err) < 0)
		return -EINVAL;
	bad |= cfg_check_keys(n, keys, err) > 0;
	x = cfg_map_get(n, "ethertype");
	if (x != NULL) {
		uint64_t v;
		bool found = false;

		for (size_t i = 0; x->scalar && i < MDL_DIM(ethertypes); i++)
			if (strcmp(x->scalar, ethertypes[i].name) == 0) {
				m->ethertype = (uint16_t)ethertypes[i].v;
				found = true;
			}
		if (!found) {
			struct cfg_errors tmp = {0};

			if (cfg_node_u64(x, 0x600, 0xffff, &v, &tmp) == 0) {
				m->ethertype = (uint16_t)v;
				found = true;
			}
			cfg_errors_free(&tmp);
		}
		if (!found) {
			cfg_error(err, x,
				  "unknown ethertype '%s' (ipv4, ipv6, arp, vlan or a number >= "
				  "0x600)",
				  x->scalar ? x->scalar : "");
			bad = 1;
		}
		m->has_ethertype = found;
	}
	x = cfg_map_get(n, "proto");
	if (x != NULL) {
		uint64_t v;
		bool found = false;

		for (size_t i = 0; x->scalar && i < MDL_DIM(protos); i++)
			if (strcmp(x->scalar, protos[i].name) == 0) {
				m->proto = (uint8_t)protos[i].v;
				found = true;
			}
		if (!found) {
			struct cfg_errors tmp = {0};

			if (cfg_node_u64(x, 0, 255, &v, &tmp) == 0) {
				m->proto = (uint8_t)v;
				found = true;
			}
			cfg_errors_free(&tmp);
		}
		if (!found) {
			cfg_error(err, x,
				  "unknown protocol '%s' (tcp, udp, icmp, icmpv6, sctp or 0..255)",
				  x->scalar ? x->scalar : "");
			bad = 1;
		}
		m->has_proto = found;
	}
	r = cfg_get_prefix(n, "src", false, false, &m->src, err);
	m->has_src = r == 0;
	bad |= BAD(r);
	r = cfg_get_prefix(n, "dst", false, false, &m->dst, err);
	m->has_dst = r == 0;
	bad |= BAD(r);
	if (m->has_src && m->has_dst && m->src.family != m->dst.family) {
		cfg_error(err, cfg_map_get(n, "dst"), "src and dst are of different IP versions");
		bad = 1;
	}
	r = cfg_get_range(n, "sport", false, 0, 65535, &lo, &hi, err);
	if (r == 0) {
		m->has_sport = true;
		m->sport_lo = (uint16_t)lo;
		m->sport_hi = (uint16_t)hi;
	}
	bad |= BAD(r);
	r = cfg_get_range(n, "dport", false, 0, 65535, &lo, &hi, err);
	if (r == 0) {
		m->has_dport = true;
		m->dport_lo = (uint16_t)lo;
		m->dport_hi = (uint16_t)hi;
	}
	bad |= BAD(r);
	if ((m->has_sport || m->has_dport) && m->has_proto && m->proto != 6 && m->proto != 17 &&
	    m->proto != 132) {
		cfg_error(err, n, "ports need proto tcp, udp or sctp");
		bad = 1;
	}
	r = cfg_get_u16(n, "vlan", false, 1, 4094, &m->vlan, err);
	m->has_vlan = r == 0;
	bad |= BAD(r);
	return bad ? -EINVAL : 0;
}

static int
mdl_port_ref(struct nfv_config *cfg, const struct cfg_node *x, uint16_t *out,
	     struct cfg_errors *err)
{
	const char *s;
	char hint[64];
	int idx;

	if (cfg_node_str(x, &s, err) != 0)
		return -EINVAL;
	idx = nfv_config_port(cfg, s);
	if (idx < 0) {
		mdl_suggest(cfg, true, s, hint, sizeof(hint));
		cfg_error(err, x, "no port named '%s'%s", s, hint);
		return -EINVAL;
	}
	*out = (uint16_t)idx;
	return 0;
}

static int
mdl_chain(struct nfv_config *cfg, const struct cfg_node *n, struct cfg_errors *err)
{
	static const char *const keys[] = {"name", "ingress", "match", "vnfs", "egress", NULL};
	struct nfv_chain_conf *cc = &cfg->chains[cfg->n_chains];
	const struct cfg_node *x;
	int bad = 0;

	if (cfg_expect(n, CFG_MAP, err) < 0)
		return -EINVAL;
	memset(cc, 0, sizeof(*cc));
	cc->node = n;
	cc->egress = -1;
	bad |= BAD(mdl_name(cfg, n, cc->name, err));
	bad |= cfg_check_keys(n, keys, err) > 0;

	x = cfg_map_get(n, "ingress");
	if (x == NULL) {
		cfg_error(err, n, "missing required field 'ingress'");
		bad = 1;
	} else if (x->type == CFG_SEQ) {
		if (x->n == 0 || x->n > NFV_MAX_INGRESS) {
			cfg_error(err, x, "1..%d ingress ports expected", NFV_MAX_INGRESS);
			bad = 1;
		}
		for (size_t i = 0; i < x->n && i < NFV_MAX_INGRESS; i++) {
			uint16_t p;

			if (mdl_port_ref(cfg, x->items[i], &p, err) < 0) {
				bad = 1;
				continue;
			}
			for (uint16_t k = 0; k < cc->n_ingress; k++)
				if (cc->ingress[k] == p) {
					cfg_error(err, x->items[i], "port '%s' listed twice",
						  cfg->ports[p].name);
					bad = 1;
				}
			cc->ingress[cc->n_ingress++] = p;
		}
	} else {
		uint16_t p;

		if (mdl_port_ref(cfg, x, &p, err) < 0)
			bad = 1;
		else
			cc->ingress[cc->n_ingress++] = p;
	}

	x = cfg_map_get(n, "match");
	if (x != NULL) {
		cc->has_match = true;
		bad |= BAD(mdl_match(&cc->match, x, err));
	}

	x = cfg_map_get(n, "vnfs");
	if (x == NULL) {
		cfg_error(err, n, "missing required field 'vnfs' (the ordered stages)");
		bad = 1;
	} else if (cfg_expect(x, CFG_SEQ, err) < 0) {
		bad = 1;
	} else {
		if (x->n > NFV_MAX_STAGES) {
			cfg_error(err, x, "%zu stages, at most %d", x->n, NFV_MAX_STAGES);
			bad = 1;
		}
		for (size_t i = 0; i < x->n && i < NFV_MAX_STAGES; i++) {
			const char *s;
			char hint[64];
			int idx;

			if (cfg_node_str(x->items[i], &s, err) != 0) {
				bad = 1;
				continue;
			}
			idx = nfv_config_vnf(cfg, s);
			if (idx < 0) {
				mdl_suggest(cfg, false, s, hint, sizeof(hint));
				cfg_error(err, x->items[i], "no VNF named '%s'%s", s, hint);
				bad = 1;
				continue;
			}
			for (uint16_t k = 0; k < cc->n_stages; k++)
				if (cc->stages[k] == idx) {
					cfg_error(err, x->items[i],
						  "loop: VNF '%s' appears twice in chain '%s'", s,
						  cc->name);
					bad = 1;
				}
			cc->stages[cc->n_stages++] = (uint16_t)idx;
		}
	}

	x = cfg_map_get(n, "egress");
	if (x != NULL) {
		uint16_t p;

		if (mdl_port_ref(cfg, x, &p, err) < 0)
			bad = 1;
		else
			cc->egress = p;
	}
	if (cc->name[0])
		cfg->n_chains++;
	return bad ? -EINVAL : 0;
}

/* Conflicts (two catch-all chains on one port) and cycles of chains through
 * ring ports (a ring port loops what is sent on it back to its rx). */
static int
mdl_cross_check(struct nfv_config *cfg, struct cfg_errors *err)
{
	int bad = 0;

	for (uint16_t a = 0; a < cfg->n_chains; a++)
		for (uint16_t b = a + 1; b < cfg->n_chains; b++) {
			const struct nfv_chain_conf *ca = &cfg->chains[a], *cb = &cfg->chains[b];

			if (ca->has_match || cb->has_match)
				continue;
			for (uint16_t i = 0; i < ca->n_ingress; i++)
				for (uint16_t j = 0; j < cb->n_ingress; j++)
					if (ca->ingress[i] == cb->ingress[j]) {
						cfg_error(err, cb->node,
							  "chains '%s' and '%s' both take every "
							  "packet of port '%s': give one a match",
							  ca->name, cb->name,
							  cfg->ports[ca->ingress[i]].name);
						bad = 1;
					}
		}

	/* graph: chain a -> chain b when a's egress is a ring port b takes in */
	for (uint16_t s = 0; s < cfg->n_chains; s++) {
		uint16_t path[NFV_MAX_CHAINS], depth = 0, cur = s;
		bool seen[NFV_MAX_CHAINS] = {false};

		while (depth < NFV_MAX_CHAINS) {
			const struct nfv_chain_conf *c = &cfg->chains[cur];
			int next = -1;

			seen[cur] = true;
			path[depth++] = cur;
			/* a shared ring goes to another process, not back in */
			if (c->egress < 0 || cfg->ports[c->egress].driver != NFV_PORT_RING ||
			    cfg->ports[c->egress].ring_shared[0])
				break;
			for (uint16_t k = 0; k < cfg->n_chains && next < 0; k++)
				for (uint16_t i = 0; i < cfg->chains[k].n_ingress; i++)
					if (cfg->chains[k].ingress[i] == c->egress &&
					    !cfg->chains[k].has_match)
						next = k;
			if (next < 0)
				break;
			if (next == s) {
				char desc[512];
				bool first = true;

				/* report each cycle once, from its first chain */
				for (uint16_t i = 0; i < depth; i++)
					if (path[i] < s)
						first = false;
				if (!first)
					break;
				size_t k = 0;

				for (uint16_t i = 0; i < depth; i++)
					k += (size_t)snprintf(desc + k, sizeof(desc) - k, "%s -> ",
							      cfg->chains[path[i]].name);
				snprintf(desc + k, sizeof(desc) - k, "%s", cfg->chains[s].name);
				cfg_error(err, cfg->chains[s].node,
					  "loop: chains feed each other through ring ports: %s",
					  desc);
				bad = 1;
				break;
			}
			if (seen[next])
				break; /* a cycle not through s: reported from its own start */
			cur = (uint16_t)next;
		}
	}
	return bad ? -EINVAL : 0;
}

static void
mdl_defaults(struct nfv_config *cfg)
{
	struct nfv_daemon_conf *d = &cfg->daemon;

	d->main_lcore = -1;
	d->huge = true;
	d->memory_mb = 512;
	d->mbufs = 16383;
	snprintf(d->socket, sizeof(d->socket), "/run/nfvd/nfvd.sock");
	snprintf(d->file_prefix, sizeof(d->file_prefix), "nfvd");
	d->stats_interval_ms = 0;
	d->idle_sleep_us = -1;
}

static int
mdl_section(struct nfv_config *cfg, const struct cfg_node *root, const char *key, int max,
	    int (*one)(struct nfv_config *, const struct cfg_node *, struct cfg_errors *),
	    bool required, struct cfg_errors *err)
{
	const struct cfg_node *s = cfg_map_get(root, key);
	int bad = 0;

	if (s == NULL) {
		if (required) {
			cfg_error(err, root, "missing required field '%s'", key);
			return -EINVAL;
		}
		return 0;
	}
	if (s->type == CFG_NULL)
		return 0;
	if (cfg_expect(s, CFG_SEQ, err) < 0)
		return -EINVAL;
	if (s->n > (size_t)max) {
		cfg_error(err, s, "%zu entries, at most %d", s->n, max);
		return -EINVAL;
	}
	for (size_t i = 0; i < s->n; i++)
		bad |= BAD(one(cfg, s->items[i], err));
	return bad ? -EINVAL : 0;
}

int
nfv_config_load(const char *path, struct nfv_config **out, struct cfg_errors *err)
{
	static const char *const keys[] = {"version", "nfvd", "ports", "vnfs", "chains", "frr",
					   NULL};
	const struct cfg_node *x;
	struct nfv_config *cfg;
	char *dup;
	int bad = 0, ret;

	*out = NULL;
	if (err->file == NULL)
		err->file = path;
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		return -ENOMEM;
	snprintf(cfg->file, sizeof(cfg->file), "%s", path);
	/* relative paths of the file resolve from its folder, made absolute
	 * here: whoever reads them later (nfvd, from another working
	 * directory) gets the same file */
	dup = strdup(path);
	if (dup != NULL) {
		const char *d = dirname(dup);
		char cwd[NFV_PATH_MAX];

		if (d[0] == '/')
			snprintf(cfg->dir, sizeof(cfg->dir), "%s", d);
		else if (getcwd(cwd, sizeof(cwd)) != NULL && strcmp(d, ".") == 0)
			snprintf(cfg->dir, sizeof(cfg->dir), "%s", cwd);
		else if (getcwd(cwd, sizeof(cwd)) != NULL &&
			 strlen(cwd) + 1 + strlen(d) < sizeof(cfg->dir)) {
			size_t l = strlen(cwd);

			memcpy(cfg->dir, cwd, l);
			cfg->dir[l] = '/';
			memcpy(cfg->dir + l + 1, d, strlen(d) + 1);
		} else
			snprintf(cfg->dir, sizeof(cfg->dir), "%s", d);
		free(dup);
	}
	mdl_defaults(cfg);
	ret = cfg_load_file(path, &cfg->root, err);
	if (ret < 0) {
		free(cfg);
		return ret;
	}
	if (cfg->root == NULL || cfg->root->type != CFG_MAP) {
		cfg_error(err, cfg->root,
			  "a chain file is a mapping with version, ports, vnfs, chains");
		bad = 1;
		goto done;
	}
	bad |= cfg_check_keys(cfg->root, keys, err) > 0;
	if (cfg_get_u32(cfg->root, "version", true, 0, UINT32_MAX, &cfg->version, err) != 0) {
		bad = 1;
	} else if (cfg->version != NFV_SCHEMA_VERSION) {
		cfg_error(err, cfg_map_get(cfg->root, "version"),
			  "schema version %u is not supported (this nfvd reads version %d)",
			  cfg->version, NFV_SCHEMA_VERSION);
		bad = 1;
		goto done;
	}
	bad |= BAD(mdl_daemon(cfg, cfg_map_get(cfg->root, "nfvd"), err));
	bad |= BAD(mdl_section(cfg, cfg->root, "ports", NFV_MAX_PORTS, mdl_port, true, err));
	x = cfg_map_get(cfg->root, "ports");
	if (x != NULL && (x->type == CFG_NULL || (x->type == CFG_SEQ && x->n == 0))) {
		cfg_error(err, x, "at least one port is needed");
		bad = 1;
	}
	bad |= BAD(mdl_tunnels(cfg, err));
	bad |= BAD(mdl_section(cfg, cfg->root, "vnfs", NFV_MAX_VNFS, mdl_vnf, false, err));
	bad |= BAD(mdl_section(cfg, cfg->root, "chains", NFV_MAX_CHAINS, mdl_chain, true, err));
	if (!bad)
		bad |= BAD(mdl_cross_check(cfg, err));
	x = cfg_map_get(cfg->root, "frr");
	if (x != NULL)
		bad |= BAD(nfv_frr_parse(cfg, x, err));
	/* what a class checks across instances and chains */
	for (const struct vnf_schema *c = vnf_schema_next(NULL); !bad && c; c = vnf_schema_next(c))
		if (c->config_check != NULL)
			bad |= BAD(c->config_check(cfg, err));
done:
	if (bad) {
		nfv_config_free(cfg);
		return -EINVAL;
	}
	*out = cfg;
	return 0;
}

void
nfv_config_free(struct nfv_config *cfg)
{
	if (cfg == NULL)
		return;
	for (uint16_t i = 0; i < cfg->n_vnfs; i++) {
		struct nfv_vnf_conf *vc = &cfg->vnfs[i];

		if (vc->conf && vc->schema && vc->schema->config_free)
			vc->schema->config_free(vc->conf);
		vc->conf = NULL;
	}
	cfg_free(cfg->root);
	free(cfg);
}
