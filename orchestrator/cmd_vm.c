/* SPDX-License-Identifier: BSD-3-Clause
 * nfvctl vm list | console NAME [-f] | restart NAME | stop NAME | start NAME
 * Talks to the "nfvctl up" process of the same run dir (the folder of the
 * nfvd control socket, -s).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "model.h"
#include "nfvctl.h"
#include "vm_ctl.h"

static int
vm_req(const char *cmd, const char *name, json_t **res)
{
	char run_dir[NFV_PATH_MAX], err[512];
	json_t *req;
	int ret;

	vm_ctl_run_dir(nfvctl_socket(), run_dir, sizeof(run_dir));
	req = name ? json_pack("{s:s, s:s}", "cmd", cmd, "name", name) :
		     json_pack("{s:s}", "cmd", cmd);
	ret = vm_ctl_request(run_dir, req, res, err, sizeof(err));
	json_decref(req);
	if (ret < 0)
		fprintf(stderr, "nfvctl: %s\n", err);
	return ret;
}

static int
vm_console(const char *name, bool follow)
{
	json_t *list = NULL, *g;
	const char *path = NULL;
	char buf[4096];
	size_t i;
	FILE *f;

	if (vm_req("vm-list", NULL, &list) < 0)
		return 1;
	json_array_foreach(list, i, g)
		if (strcmp(json_string_value(json_object_get(g, "name")) ?: "", name) == 0)
			path = json_string_value(json_object_get(g, "console"));
	if (path == NULL) {
		fprintf(stderr, "nfvctl: no guest named \"%s\"\n", name);
		json_decref(list);
		return 1;
	}
	f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "nfvctl: cannot read %s: %s\n", path, strerror(errno));
		json_decref(list);
		return 1;
	}
	json_decref(list);
	for (;;) {
		size_t n = fread(buf, 1, sizeof(buf), f);

		if (n > 0) {
			fwrite(buf, 1, n, stdout);
			continue;
		}
		if (!follow)
			break;
		fflush(stdout);
		clearerr(f);
		usleep(200000);
	}
	fclose(f);
	return 0;
}

static int
vm_run(int argc, char **argv)
{
	const struct nfvctl_cmd *self = nfvctl_cmd_find("vm");
	json_t *res = NULL;
	const char *sub;

	if (argc < 2)
		return nfvctl_usage_error(self, "give a sub-command");
	sub = argv[1];
	if (strcmp(sub, "list") == 0) {
		if (argc != 2)
			return nfvctl_usage_error(self, "list takes no argument");
		if (vm_req("vm-list", NULL, &res) < 0)
			return 1;
		if (nfvctl_json()) {
			nfvctl_print(stdout, res);
		} else {
			size_t i;
			json_t *g;

			/* the JSON arrays (ports) do not fit a table: print a flat view */
			json_array_foreach(res, i, g)
				json_object_del(g, "ports");
			nfvctl_print_table(stdout, res, NULL, 0);
		}
		json_decref(res);
		return 0;
	}
	if (strcmp(sub, "console") == 0) {
		bool follow = argc == 4 && strcmp(argv[3], "-f") == 0;

		if (argc != 3 && !follow)
			return nfvctl_usage_error(self, "console NAME [-f]");
		return vm_console(argv[2], follow);
	}
	if (strcmp(sub, "restart") == 0 || strcmp(sub, "stop") == 0 ||
	    strcmp(sub, "start") == 0) {
		char cmd[16];

		if (argc != 3)
			return nfvctl_usage_error(self, "%s NAME", sub);
		snprintf(cmd, sizeof(cmd), "vm-%s", sub);
		if (vm_req(cmd, argv[2], &res) < 0)
			return 1;
		nfvctl_print(stdout, res);
		json_decref(res);
		return 0;
	}
	return nfvctl_usage_error(self, "unknown sub-command %s", sub);
}

static struct nfvctl_cmd vm_cmd = {
	.name = "vm",
	.usage = "vm list | console NAME [-f] | restart NAME | stop NAME | start NAME",
	.help = "guests of \"nfvctl up\": list, serial console, restart, stop",
	.run = vm_run,
};
NFVCTL_CMD_REGISTER(vm_cmd)
