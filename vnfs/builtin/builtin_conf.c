/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - built-in classes, schema halves (no DPDK; nfvctl links them):
 *   forward      send every packet to a port
 *   drop         drop every packet (reason "policy")
 *   counter      count packets and bytes, pass them on
 *   mac-rewrite  set source and/or destination MAC, pass them on
 *   capture      write the packets passing this point to a pcapng file
 * Runtime halves: builtin_cp.c, builtin_dp.c, capture_cp.c, capture_dp.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "builtin_conf.h"

/* ---- forward ---- */

static int
fwd_config_parse(const struct nfv_config *cfg, const struct cfg_node *node, void **conf,
		 struct cfg_errors *err)
{
	static const char *const keys[] = {"name", "class", "runtime", "port", NULL};
	struct fwd_conf *c = calloc(1, sizeof(*c));
	int bad = 0;

	if (c == NULL)
		return -ENOMEM;
	bad |= cfg_check_keys(node, keys, err) > 0;
	bad |= nfv_config_get_port(cfg, node, "port", true, &c->port, err) < 0;
	if (bad) {
		free(c);
		return -EINVAL;
	}
	*conf = c;
	return 0;
}

static int
fwd_config_equal(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct fwd_conf)) == 0;
}

struct vnf_schema fwd_schema = {
	.name = "forward",
	.help = "send every packet to a port (port: NAME)",
	.config_parse = fwd_config_parse,
	.config_free = free,
	.config_equal = fwd_config_equal,
};
VNF_SCHEMA_REGISTER(fwd_schema)

/* ---- drop, counter: no settings ---- */

static int
noarg_config_parse(const struct nfv_config *cfg, const struct cfg_node *node, void **conf,
		   struct cfg_errors *err)
{
	static const char *const keys[] = {"name", "class", "runtime", NULL};

	(void)cfg;
	*conf = NULL;
	return cfg_check_keys(node, keys, err) > 0 ? -EINVAL : 0;
}

static int
noarg_config_equal(const void *a, const void *b)
{
	(void)a;
	(void)b;
	return 1;
}

struct vnf_schema drop_schema = {
	.name = "drop",
	.help = "drop every packet (counted as 'policy')",
	.config_parse = noarg_config_parse,
	.config_equal = noarg_config_equal,
};
VNF_SCHEMA_REGISTER(drop_schema)

struct vnf_schema cnt_schema = {
	.name = "counter",
	.help = "count packets and bytes, pass them on",
	.config_parse = noarg_config_parse,
	.config_equal = noarg_config_equal,
};
VNF_SCHEMA_REGISTER(cnt_schema)

/* ---- mac-rewrite ---- */

static int
mrw_config_parse(const struct nfv_config *cfg, const struct cfg_node *node, void **conf,
		 struct cfg_errors *err)
{
	static const char *const keys[] = {"name", "class", "runtime", "src", "dst", NULL};
	struct mrw_conf *c = calloc(1, sizeof(*c));
	int bad = 0, r;

	(void)cfg;
	if (c == NULL)
		return -ENOMEM;
	bad |= cfg_check_keys(node, keys, err) > 0;
	r = cfg_get_unicast_mac(node, "src", false, "a sender", c->src, err);
	c->set_src = r == 0;
	bad |= r < 0;
	r = cfg_get_mac(node, "dst", false, c->dst, err);
	c->set_dst = r == 0;
	bad |= r < 0;
	if (!bad && !c->set_src && !c->set_dst) {
		cfg_error(err, node, "mac-rewrite needs src, dst or both");
		bad = 1;
	}
	if (bad) {
		free(c);
		return -EINVAL;
	}
	*conf = c;
	return 0;
}

static int
mrw_config_equal(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct mrw_conf)) == 0;
}

struct vnf_schema mrw_schema = {
	.name = "mac-rewrite",
	.help = "set the source and/or destination MAC (src: MAC, dst: MAC)",
	.config_parse = mrw_config_parse,
	.config_free = free,
	.config_equal = mrw_config_equal,
};
VNF_SCHEMA_REGISTER(mrw_schema)

/* ---- capture ---- */

static int
cap_config_parse(const struct nfv_config *cfg, const struct cfg_node *node, void **conf,
		 struct cfg_errors *err)
{
	static const char *const keys[] = {"name", "class", "runtime", "file", "snaplen", NULL};
	struct cap_conf *c = calloc(1, sizeof(*c));
	int bad = 0;

	if (c == NULL)
		return -ENOMEM;
	c->snaplen = 9216; /* jumbo frames; the pool data room is a uint16_t */
	bad |= cfg_check_keys(node, keys, err) > 0;
	/* resolved against the chain file's folder; too long is an error */
	bad |= nfv_config_get_path(cfg, node, "file", true, 0, c->file, sizeof(c->file), err) < 0;
	bad |= cfg_get_u32(node, "snaplen", false, 64, 16384, &c->snaplen, err) < 0;
	if (bad) {
		free(c);
		return -EINVAL;
	}
	*conf = c;
	return 0;
}

static int
cap_config_equal(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct cap_conf)) == 0;
}

struct vnf_schema cap_schema = {
	.name = "capture",
	.help = "write packets passing this point to a pcapng file (file: PATH, snaplen: N)",
	.config_parse = cap_config_parse,
	.config_free = free,
	.config_equal = cap_config_equal,
};
VNF_SCHEMA_REGISTER(cap_schema)
