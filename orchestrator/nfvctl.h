/* SPDX-License-Identifier: BSD-3-Clause
 * nfvctl - verb table, control-socket client and output helpers.
 *
 * A verb lives in any .c file under orchestrator/ and registers itself:
 *
 *   static int foo_run(int argc, char **argv) { ... return exit code; }
 *   static struct nfvctl_cmd foo_cmd = {
 *           .name = "foo", .usage = "foo FILE", .help = "one line", .run = foo_run,
 *   };
 *   NFVCTL_CMD_REGISTER(foo_cmd)
 *
 * then add the file to nfvctl_sources in orchestrator/meson.build.
 * run() gets argv[0] = the verb and the verb's own arguments; the common
 * options (-s/--socket PATH, --json) are already taken out and readable with
 * nfvctl_socket() / nfvctl_json(). It returns the process exit code.
 */
#ifndef NFVCTL_H
#define NFVCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#define NFVCTL_DEFAULT_SOCKET "/run/nfvd/nfvd.sock"

struct nfvctl_cmd {
	const char *name;
	const char *usage; /* "stats [--watch [SEC]]" */
	const char *help;  /* one line */
	int (*run)(int argc, char **argv);
	const struct nfvctl_cmd *next; /* registry link */
};

void nfvctl_cmd_register(struct nfvctl_cmd *cmd);
const struct nfvctl_cmd *nfvctl_cmd_find(const char *name);
const struct nfvctl_cmd *nfvctl_cmd_next(const struct nfvctl_cmd *prev);

#define NFVCTL_CMD_REGISTER(cmd)                                                 \
	__attribute__((constructor)) static void nfvctl_cmd_register_##cmd(void) \
	{                                                                        \
		nfvctl_cmd_register(&(cmd));                                     \
	}

/* Common options. */
const char *nfvctl_socket(void);
bool nfvctl_json(void);
/* Print "usage: nfvctl <usage>" of a verb to stderr; returns 2. */
int nfvctl_usage_error(const struct nfvctl_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- client (client.c) ---- */
struct nfvctl_client {
	int fd;
	long next_id;
	char *buf; /* received bytes not yet consumed */
	size_t len, cap;
};

/* Connect to path; on failure err reads "cannot connect to PATH: reason
 * (is nfvd running?)". Returns 0 or -errno. */
int nfvctl_client_open(struct nfvctl_client *c, const char *path, char *err, size_t errlen);
void nfvctl_client_close(struct nfvctl_client *c);
/* One request/response. args is borrowed (may be NULL). On success returns
 * 0 with *result (new reference). On an error response returns -EPROTO with
 * the reason in err and, when given, *response the full response (new
 * reference, e.g. to read "errors"). Transport failures: -errno. */
int nfvctl_client_call(struct nfvctl_client *c, const char *cmd, json_t *args, json_t **result,
		       json_t **response, char *err, size_t errlen);

/* Connect to nfvctl_socket(), call, close. On failure prints "nfvctl: <err>"
 * (and every entry of an "errors" array) and returns 1; else 0. */
int nfvctl_call(const char *cmd, json_t *args, json_t **result);
/* nfvctl_call() then nfvctl_print() of the result on stdout. Takes args
 * (releases the reference). Returns the process exit code. */
int nfvctl_call_print(const char *cmd, json_t *args);

/* ---- output (print.c) ---- */
/* --json: indented JSON. Otherwise readable: objects as "key: value" lines,
 * arrays of objects as tables. */
void nfvctl_print(FILE *out, json_t *v);
/* A table of the objects in rows (array, or object of objects keyed by
 * name: the key becomes the first column, titled key_title). */
void nfvctl_print_table(FILE *out, json_t *rows, const char *key_title, int indent);

/* "k=v" arguments to a JSON object; values that parse as integers become
 * integers. Returns NULL after printing "nfvctl: ..." on a bad token. */
json_t *nfvctl_kv_args(int argc, char **argv);

#endif /* NFVCTL_H */
