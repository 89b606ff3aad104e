/* SPDX-License-Identifier: BSD-3-Clause
 * nfvctl - short verbs for VNF class commands:
 *   nfvctl route add|del|show|get  -> class "router"   cmd route-add/...
 *   nfvctl neigh show              -> class "router"   cmd neigh-show
 *   nfvctl dhcp leases             -> class "dhcp"     cmd leases
 *   nfvctl fw rules|conns          -> class "firewall" cmd rules/conns
 *   nfvctl nat sessions [LIMIT]|stats -> class "firewall" cmd nat-sessions/nat-stats
 * "--vnf NAME" picks the instance (default: the first of the class).
 * Arguments are key=value; where a sub-command names a positional key
 * (route add/del: "prefix"), one bare word is taken as its value.
 */
#include <stdio.h>
#include <string.h>

#include "nfvctl.h"

struct alias {
	const char *verb;
	const char *sub;
	const char *cls;
	const char *cmd;
	const char *positional; /* key of one bare argument, or NULL */
};

static const struct alias aliases[] = {
	{"route", "add", "router", "route-add", "prefix"},
	{"route", "del", "router", "route-del", "prefix"},
	{"route", "show", "router", "route-show", NULL},
	{"route", "get", "router", "route-get", "address"},
	{"neigh", "show", "router", "neigh-show", NULL},
	{"dhcp", "leases", "dhcp", "leases", NULL},
	{"fw", "rules", "firewall", "rules", NULL},
	{"fw", "conns", "firewall", "conns", NULL},
	{"nat", "sessions", "firewall", "nat-sessions", "limit"},
	{"nat", "stats", "firewall", "nat-stats", NULL},
};

static const struct nfvctl_cmd *
alias_cmd(const char *verb)
{
	return nfvctl_cmd_find(verb);
}

static int
alias_run(int argc, char **argv)
{
	const struct alias *a = NULL;
	const char *vnf = NULL, *sub = NULL, *bare = NULL;
	char *kvs[argc > 0 ? argc : 1];
	int n_kv = 0;
	json_t *kv, *args;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--vnf") == 0) {
			if (i + 1 >= argc)
				return nfvctl_usage_error(alias_cmd(argv[0]), "--vnf needs a NAME");
			vnf = argv[++i];
		} else if (sub == NULL) {
			sub = argv[i];
		} else if (strchr(argv[i], '=') == NULL && bare == NULL) {
			bare = argv[i];
		} else {
			kvs[n_kv++] = argv[i];
		}
	}
	for (size_t i = 0; sub && i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(aliases[i].verb, argv[0]) == 0 && strcmp(aliases[i].sub, sub) == 0)
			a = &aliases[i];
	if (a == NULL)
		return nfvctl_usage_error(
			alias_cmd(argv[0]),
			sub ? "unknown sub-command '%s'" : "missing sub-command%s", sub ? sub : "");
	if (bare != NULL && a->positional == NULL) {
		fprintf(stderr, "nfvctl: expected key=value, got '%s'\n", bare);
		return 2;
	}
	kv = nfvctl_kv_args(n_kv, kvs);
	if (kv == NULL)
		return 2;
	if (bare != NULL)
		json_object_set_new(kv, a->positional, json_string(bare));
	args = json_pack("{s:s, s:s, s:o}", "class", a->cls, "cmd", a->cmd, "args", kv);
	if (vnf != NULL)
		json_object_set_new(args, "instance", json_string(vnf));
	return nfvctl_call_print("vnf", args);
}

static struct nfvctl_cmd cmd_route = {
	.name = "route",
	.usage = "route add|del PREFIX [key=value ...] | route show | route get ADDRESS [--vnf NAME]",
	.help = "router routes (class router: route-add, route-del, route-show, route-get)",
	.run = alias_run,
};
NFVCTL_CMD_REGISTER(cmd_route)

static struct nfvctl_cmd cmd_neigh = {
	.name = "neigh",
	.usage = "neigh show [--vnf NAME]",
	.help = "router ARP/ND neighbours (class router: neigh-show)",
	.run = alias_run,
};
NFVCTL_CMD_REGISTER(cmd_neigh)

static struct nfvctl_cmd cmd_dhcp = {
	.name = "dhcp",
	.usage = "dhcp leases [--vnf NAME] [key=value ...]",
	.help = "DHCP server leases (class dhcp: leases)",
	.run = alias_run,
};
NFVCTL_CMD_REGISTER(cmd_dhcp)

static struct nfvctl_cmd cmd_fw = {
	.name = "fw",
	.usage = "fw rules|conns [--vnf NAME] [key=value ...]",
	.help = "firewall rules with counters / tracked connections (class firewall)",
	.run = alias_run,
};
NFVCTL_CMD_REGISTER(cmd_fw)

static struct nfvctl_cmd cmd_nat = {
	.name = "nat",
	.usage = "nat sessions [LIMIT] | nat stats [--vnf NAME]",
	.help = "NAT44 sessions (original and reply tuples) / mappings, ports and blocks in use "
		"(class firewall, docs/nat.md)",
	.run = alias_run,
};
NFVCTL_CMD_REGISTER(cmd_nat)
