/* SPDX-License-Identifier: BSD-3-Clause
 * nfvctl - command line entry: common options, verb registry and dispatch.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfvctl.h"

struct nfvctl_state {
	const struct nfvctl_cmd *cmds; /* registry, filled by constructors */
	const char *socket;
	bool json;
};

static struct nfvctl_state nfvctl;

void
nfvctl_cmd_register(struct nfvctl_cmd *cmd)
{
	/* keep the list sorted by name for "nfvctl -h" */
	const struct nfvctl_cmd **pp = &nfvctl.cmds;

	while (*pp != NULL && strcmp((*pp)->name, cmd->name) < 0)
		pp = (const struct nfvctl_cmd **)&(*pp)->next;
	cmd->next = *pp;
	*pp = cmd;
}

const struct nfvctl_cmd *
nfvctl_cmd_find(const char *name)
{
	for (const struct nfvctl_cmd *c = nfvctl.cmds; c != NULL; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const struct nfvctl_cmd *
nfvctl_cmd_next(const struct nfvctl_cmd *prev)
{
	return prev == NULL ? nfvctl.cmds : prev->next;
}

const char *
nfvctl_socket(void)
{
	return nfvctl.socket;
}

bool
nfvctl_json(void)
{
	return nfvctl.json;
}

int
nfvctl_usage_error(const struct nfvctl_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		fprintf(stderr, "nfvctl: ");
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fprintf(stderr, "\n");
	}
	fprintf(stderr, "usage: nfvctl [-s SOCKET] [--json] %s\n", cmd->usage);
	return 2;
}

static void
nfvctl_help(FILE *out)
{
	fprintf(out,
		"usage: nfvctl [-s SOCKET] [--json] VERB [ARGS]\n"
		"  -s, --socket PATH  nfvd control socket (default $NFVD_SOCKET or %s)\n"
		"      --json         print results as JSON\n"
		"  -h, --help         this help; \"nfvctl VERB -h\" for a verb\n"
		"verbs:\n",
		NFVCTL_DEFAULT_SOCKET);
	for (const struct nfvctl_cmd *c = nfvctl.cmds; c != NULL; c = c->next) {
		if (strlen(c->usage) > 34)
			fprintf(out, "  %s\n  %-34s %s\n", c->usage, "", c->help);
		else
			fprintf(out, "  %-34s %s\n", c->usage, c->help);
	}
}

int
main(int argc, char **argv)
{
	const struct nfvctl_cmd *cmd;
	char **args;
	int n = 0, verb = -1;
	bool help = false, dashdash = false;

	nfvctl.socket = getenv("NFVD_SOCKET");
	if (nfvctl.socket == NULL || nfvctl.socket[0] == '\0')
		nfvctl.socket = NFVCTL_DEFAULT_SOCKET;
	args = calloc((size_t)argc + 1, sizeof(*args));
	if (args == NULL) {
		fprintf(stderr, "nfvctl: out of memory\n");
		return 1;
	}
	/* Common options may come before or after the verb; "--" ends them. */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (dashdash) {
			args[n++] = argv[i];
		} else if (strcmp(a, "--") == 0 && verb >= 0) {
			dashdash = true;
			args[n++] = argv[i];
		} else if (strcmp(a, "-s") == 0 || strcmp(a, "--socket") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "nfvctl: %s needs a path\n", a);
				free(args);
				return 2;
			}
			nfvctl.socket = argv[++i];
		} else if (strncmp(a, "--socket=", 9) == 0) {
			nfvctl.socket = a + 9;
		} else if (strcmp(a, "--json") == 0) {
			nfvctl.json = true;
		} else if (verb < 0 && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
			help = true;
		} else if (verb < 0 && a[0] == '-') {
			fprintf(stderr, "nfvctl: unknown option '%s' (see nfvctl -h)\n", a);
			free(args);
			return 2;
		} else {
			if (verb < 0)
				verb = n;
			args[n++] = argv[i];
		}
	}
	if (verb < 0) {
		nfvctl_help(help ? stdout : stderr);
		free(args);
		return help ? 0 : 2;
	}
	cmd = nfvctl_cmd_find(args[0]);
	if (cmd == NULL) {
		fprintf(stderr, "nfvctl: unknown verb '%s' (see nfvctl -h)\n", args[0]);
		free(args);
		return 2;
	}
	for (int i = 1; i < n; i++) {
		if (strcmp(args[i], "--") == 0)
			break;
		if (strcmp(args[i], "-h") == 0 || strcmp(args[i], "--help") == 0) {
			printf("usage: nfvctl [-s SOCKET] [--json] %s\n  %s\n", cmd->usage,
			       cmd->help);
			free(args);
			return 0;
		}
	}
	int ret = cmd->run(n, args);

	free(args);
	return ret;
}
