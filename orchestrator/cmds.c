/* SPDX-License-Identifier: BSD-3-Clause
 * nfvctl - core verbs: validate, status, stats, apply, classes, shutdown,
 * version, vnf.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model.h"
#include "nfvctl.h"
#include "vm_ctl.h"

/* ---- validate ---- */

static struct nfvctl_cmd cmd_validate;

static int
validate_run(int argc, char **argv)
{
	struct cfg_errors err = {0};
	struct nfv_config *cfg = NULL;
	int ret;

	if (argc != 2)
		return nfvctl_usage_error(&cmd_validate, "validate needs one FILE");
	ret = nfv_config_load(argv[1], &cfg, &err);
	if (nfvctl_json()) {
		json_t *o = json_pack("{s:s, s:b}", "file", argv[1], "ok", ret == 0);
		json_t *errs = json_array();

		for (size_t i = 0; i < err.n; i++)
			json_array_append_new(errs, json_string(err.msgs[i]));
		if (ret < 0 && err.n == 0)
			json_array_append_new(errs,
					      json_sprintf("%s: %s", argv[1], strerror(-ret)));
		json_object_set_new(o, "errors", errs);
		if (ret == 0) {
			json_object_set_new(o, "ports", json_integer(cfg->n_ports));
			json_object_set_new(o, "vnfs", json_integer(cfg->n_vnfs));
			json_object_set_new(o, "chains", json_integer(cfg->n_chains));
		}
		nfvctl_print(stdout, o);
		json_decref(o);
	} else if (ret < 0) {
		cfg_errors_print(&err, stderr);
		if (err.n == 0)
			fprintf(stderr, "nfvctl: %s: %s\n", argv[1], strerror(-ret));
	} else {
		printf("%s: OK (%u ports, %u vnfs, %u chains)\n", argv[1], cfg->n_ports,
		       cfg->n_vnfs, cfg->n_chains);
	}
	cfg_errors_free(&err);
	nfv_config_free(cfg);
	return ret < 0 ? 1 : 0;
}

static struct nfvctl_cmd cmd_validate = {
	.name = "validate",
	.usage = "validate FILE",
	.help = "check a chain file offline; print every error (file:line:col)",
	.run = validate_run,
};
NFVCTL_CMD_REGISTER(cmd_validate)

/* ---- status ---- */

static struct nfvctl_cmd cmd_status;

static void
status_section(const char *title, json_t *rows)
{
	printf("\n%s\n", title);
	if ((json_is_array(rows) && json_array_size(rows)) ||
	    (json_is_object(rows) && json_object_size(rows)))
		nfvctl_print_table(stdout, rows, "name", 2);
	else
		printf("  (none)\n");
}

/* Who supervises the nfvd of this socket: the "nfvctl up" lock of its run
 * dir (vm_ctl.h). NULL when no "nfvctl up" ran there (or it ended cleanly). */
static json_t *
status_supervisor(void)
{
	char run_dir[NFV_PATH_MAX], file[4096];
	long pid = 0;
	int alive;

	json_t *sup, *req, *res = NULL;
	char err[256];

	vm_ctl_run_dir(nfvctl_socket(), run_dir, sizeof(run_dir));
	alive = vm_ctl_supervisor(run_dir, &pid, file, sizeof(file));
	if (alive < 0)
		return NULL;
	sup = json_pack("{s:I, s:s, s:b}", "pid", (json_int_t)pid, "file", file, "alive", alive);
	if (alive <= 0)
		return sup;
	/* how it sees nfvd (restarting? why?); it may be busy stopping a guest */
	req = json_pack("{s:s}", "cmd", "up-status");
	if (vm_ctl_request_wait(run_dir, req, &res, 2000, err, sizeof(err)) == 0)
	{
		json_object_set(sup, "nfvd", json_object_get(res, "nfvd"));
		if (json_object_get(res, "frr") != NULL)
			json_object_set(sup, "frr", json_object_get(res, "frr"));
	}
	json_decref(req);
	json_decref(res);
	return sup;
}

static void
status_print_supervisor(FILE *out, json_t *sup)
{
	long pid = (long)json_integer_value(json_object_get(sup, "pid"));
	const char *file = json_string_value(json_object_get(sup, "file")) ?: "?";

	if (sup == NULL)
		return; /* a bare nfvd: nothing to say */
	if (json_is_true(json_object_get(sup, "alive"))) {
		json_t *n = json_object_get(sup, "nfvd");
		const char *state = json_string_value(json_object_get(n, "state"));

		fprintf(out, "supervisor: nfvctl up %s (pid %ld)\n", file, pid);
		if (state != NULL && strcmp(state, "backoff") == 0)
			fprintf(out,
				"supervisor: nfvd restart failed %" JSON_INTEGER_FORMAT
				" times, last: %s; next attempt in %.1f s\n",
				json_integer_value(json_object_get(n, "failures")),
				json_string_value(json_object_get(n, "last_error")) ?: "?",
				json_integer_value(json_object_get(n, "next_in_ms")) / 1000.0);
		else if (state != NULL && strcmp(state, "starting") == 0)
			fprintf(out, "supervisor: nfvd restarting (%s), waiting for it to answer\n",
				json_string_value(json_object_get(n, "last_error")) ?: "?");
		n = json_object_get(sup, "frr");
		if (n != NULL) {
			json_t *d;
			size_t i;

			fprintf(out, "frr: pathspace %s (vtysh -N %s), config %s/frr.conf\n",
				json_string_value(json_object_get(n, "pathspace")) ?: "?",
				json_string_value(json_object_get(n, "pathspace")) ?: "?",
				json_string_value(json_object_get(n, "config_dir")) ?: "?");
			json_array_foreach(json_object_get(n, "daemons"), i, d)
				fprintf(out,
					"frr: %-8s %s pid %" JSON_INTEGER_FORMAT
					", restarts %" JSON_INTEGER_FORMAT "%s%s\n",
					json_string_value(json_object_get(d, "name")) ?: "?",
					json_string_value(json_object_get(d, "state")) ?: "?",
					json_integer_value(json_object_get(d, "pid")),
					json_integer_value(json_object_get(d, "restarts")),
					json_string_length(json_object_get(d, "last_exit")) ? ", last: "
											      : "",
					json_string_value(json_object_get(d, "last_exit")) ?: "");
		}
	} else {
		fprintf(out, "supervisor: NONE - \"nfvctl up %s\" (pid %ld) died; its guests "
			     "stopped with it, nfvd is not restarted if it exits; run \"nfvctl "
			     "up %s\" again to adopt nfvd and start the guests\n",
			file, pid, file);
	}
}

static int
status_run(int argc, char **argv)
{
	json_t *st, *sup;

	(void)argv;
	if (argc != 1)
		return nfvctl_usage_error(&cmd_status, "status takes no arguments");
	sup = status_supervisor();
	if (nfvctl_call("status", NULL, &st) != 0) {
		/* e.g. nfvd is being restarted by nfvctl up */
		if (sup != NULL)
			status_print_supervisor(stderr, sup);
		json_decref(sup);
		return 1;
	}
	if (nfvctl_json()) {
		json_object_set(st, "supervisor", sup != NULL ? sup : json_null());
		nfvctl_print(stdout, st);
	} else {
		printf("nfvd %s (%s) pid %" JSON_INTEGER_FORMAT ", up %.1f s\n",
		       json_string_value(json_object_get(st, "version")) ?: "?",
		       json_string_value(json_object_get(st, "dpdk")) ?: "?",
		       json_integer_value(json_object_get(st, "pid")),
		       json_integer_value(json_object_get(st, "uptime_ms")) / 1000.0);
		printf("config %s, generation %" JSON_INTEGER_FORMAT
		       ", main lcore %" JSON_INTEGER_FORMAT "\n",
		       json_string_value(json_object_get(st, "config")) ?: "?",
		       json_integer_value(json_object_get(st, "generation")),
		       json_integer_value(json_object_get(st, "main_lcore")));
		if (json_integer_value(json_object_get(st, "shared_cpu")) >= 0 &&
		    json_object_get(st, "shared_cpu") != NULL)
			printf("one CPU (%" JSON_INTEGER_FORMAT
			       ") for the control thread and the worker\n",
			       json_integer_value(json_object_get(st, "shared_cpu")));
		if (json_integer_value(json_object_get(st, "idle_sleep_us")) > 0)
			printf("idle workers nap %" JSON_INTEGER_FORMAT " us\n",
			       json_integer_value(json_object_get(st, "idle_sleep_us")));
		status_print_supervisor(stdout, sup);
		status_section("PORTS", json_object_get(st, "ports"));
		status_section("WORKERS", json_object_get(st, "workers"));
		status_section("CHAINS", json_object_get(st, "chains"));
		status_section("VNFS", json_object_get(st, "vnfs"));
	}
	json_decref(sup);
	json_decref(st);
	return 0;
}

static struct nfvctl_cmd cmd_status = {
	.name = "status",
	.usage = "status",
	.help = "version, workers, ports (link), chains and VNF instances",
	.run = status_run,
};
NFVCTL_CMD_REGISTER(cmd_status)

/* ---- stats ---- */

static struct nfvctl_cmd cmd_stats;

static json_int_t
stats_int(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* Rate of field k of prev_sec[name] -> cur, per second; -1 if unknown. */
static double
stats_rate(json_t *cur, json_t *prev_sec, const char *name, const char *k, double secs)
{
	json_t *p = json_object_get(prev_sec, name);

	if (p == NULL || secs <= 0)
		return -1;
	return (double)(stats_int(cur, k) - stats_int(p, k)) / secs;
}

static void
stats_print_reasons(const char *title, json_t *o)
{
	const char *k;
	json_t *v;
	bool any = false;

	json_object_foreach(o, k, v)
	{
		if (!any)
			printf("    %-9s", title);
		printf(" %s=%" JSON_INTEGER_FORMAT, k, json_integer_value(v));
		any = true;
	}
	if (any)
		printf("\n");
}

static void
stats_print(json_t *st, json_t *prev)
{
	double secs = -1;
	const char *name;
	json_t *o;

	if (prev != NULL)
		secs = (double)(stats_int(st, "uptime_ms") - stats_int(prev, "uptime_ms")) / 1000.0;
	printf("%-16s %14s %14s %10s %10s %10s %5s", "PORT", "RX", "TX", "RX-DROPS", "TX-DROPS",
	       "ERRORS", "LINK");
	printf(secs > 0 ? " %12s %12s\n" : "\n", "RX/s", "TX/s");
	json_object_foreach(json_object_get(st, "ports"), name, o)
	{
		printf("%-16s %14" JSON_INTEGER_FORMAT " %14" JSON_INTEGER_FORMAT
		       " %10" JSON_INTEGER_FORMAT " %10" JSON_INTEGER_FORMAT
		       " %10" JSON_INTEGER_FORMAT " %5s",
		       name, stats_int(o, "rx"), stats_int(o, "tx"), stats_int(o, "rx_drops"),
		       stats_int(o, "tx_drops"), stats_int(o, "errors"),
		       json_string_value(json_object_get(o, "link")) ?: "?");
		if (secs > 0)
			printf(" %12.0f %12.0f",
			       stats_rate(o, json_object_get(prev, "ports"), name, "rx", secs),
			       stats_rate(o, json_object_get(prev, "ports"), name, "tx", secs));
		printf("\n");
	}
	printf("\n%-16s %14s %14s %10s", "CHAIN", "RX", "TX", "DROPS");
	printf(secs > 0 ? " %12s %12s\n" : "\n", "RX/s", "TX/s");
	json_object_foreach(json_object_get(st, "chains"), name, o)
	{
		printf("%-16s %14" JSON_INTEGER_FORMAT " %14" JSON_INTEGER_FORMAT
		       " %10" JSON_INTEGER_FORMAT,
		       name, stats_int(o, "rx"), stats_int(o, "tx"), stats_int(o, "drops"));
		if (secs > 0)
			printf(" %12.0f %12.0f",
			       stats_rate(o, json_object_get(prev, "chains"), name, "rx", secs),
			       stats_rate(o, json_object_get(prev, "chains"), name, "tx", secs));
		printf("\n");
	}
	printf("\nVNF\n");
	if (json_object_size(json_object_get(st, "vnfs")) == 0)
		printf("  (none)\n");
	json_object_foreach(json_object_get(st, "vnfs"), name, o)
	{
		const char *k;
		json_t *v;
		bool extra = false;

		printf("  %s (%s)\n", name, json_string_value(json_object_get(o, "class")) ?: "?");
		stats_print_reasons("counters", json_object_get(o, "counters"));
		stats_print_reasons("drops", json_object_get(o, "drops"));
		/* class-specific stats: scalars on one line */
		json_object_foreach(o, k, v)
		{
			char buf[64];

			if (!strcmp(k, "class") || !strcmp(k, "counters") || !strcmp(k, "drops") ||
			    json_is_object(v) || json_is_array(v))
				continue;
			if (json_is_string(v))
				snprintf(buf, sizeof(buf), "%s", json_string_value(v));
			else if (json_is_real(v))
				snprintf(buf, sizeof(buf), "%.2f", json_real_value(v));
			else
				snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
					 json_integer_value(v));
			printf("%s %s=%s", extra ? "" : "    stats    ", k, buf);
			extra = true;
		}
		if (extra)
			printf("\n");
	}
	/* engine drops: only the reasons that happened */
	o = json_object();
	{
		const char *k;
		json_t *v;

		json_object_foreach(json_object_get(json_object_get(st, "engine"), "drops"), k,
				    v) if (json_integer_value(v) != 0) json_object_set(o, k, v);
	}
	if (json_object_size(o)) {
		printf("\nENGINE\n");
		stats_print_reasons("drops", o);
	}
	json_decref(o);
}

static int
stats_run(int argc, char **argv)
{
	double interval = 0;
	long count = -1;
	bool watch = false;
	json_t *st, *prev = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--watch") == 0 || strcmp(argv[i], "-w") == 0) {
			char *end;

			watch = true;
			interval = 1;
			if (i + 1 < argc) {
				double v = strtod(argv[i + 1], &end);

				if (*end == '\0' && end != argv[i + 1]) {
					if (v <= 0)
						return nfvctl_usage_error(
							&cmd_stats, "--watch SEC must be > 0");
					interval = v;
					i++;
				}
			}
		} else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
			count = strtol(argv[++i], NULL, 10);
		} else {
			return nfvctl_usage_error(&cmd_stats, "unexpected argument '%s'", argv[i]);
		}
	}
	if (!watch)
		count = 1;
	for (long n = 0; count < 0 || n < count; n++) {
		if (n > 0) {
			struct timespec ts = {.tv_sec = (time_t)interval,
					      .tv_nsec =
						      (long)((interval - (time_t)interval) * 1e9)};

			nanosleep(&ts, NULL);
		}
		if (nfvctl_call("stats", NULL, &st) != 0) {
			json_decref(prev);
			return 1;
		}
		if (nfvctl_json()) {
			nfvctl_print(stdout, st);
		} else {
			if (watch && isatty(STDOUT_FILENO))
				printf("\033[H\033[2J");
			if (watch)
				printf("every %.1f s, uptime %.1f s\n\n", interval,
				       stats_int(st, "uptime_ms") / 1000.0);
			stats_print(st, prev);
		}
		fflush(stdout);
		json_decref(prev);
		prev = st;
	}
	json_decref(prev);
	return 0;
}

static struct nfvctl_cmd cmd_stats = {
	.name = "stats",
	.usage = "stats [--watch [SEC]] [--count N]",
	.help = "counters per port, chain, VNF instance and drop reason",
	.run = stats_run,
};
NFVCTL_CMD_REGISTER(cmd_stats)

/* ---- apply ---- */

static struct nfvctl_cmd cmd_apply;

static int
apply_run(int argc, char **argv)
{
	char path[PATH_MAX];
	json_t *args, *res;
	int ret;

	if (argc != 2)
		return nfvctl_usage_error(&cmd_apply, "apply needs one FILE");
	if (realpath(argv[1], path) == NULL) {
		fprintf(stderr, "nfvctl: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	args = json_pack("{s:s}", "path", path);
	ret = nfvctl_call("apply", args, &res);
	json_decref(args);
	if (ret != 0)
		return ret;
	if (nfvctl_json())
		nfvctl_print(stdout, res);
	else
		printf("applied %s (generation %" JSON_INTEGER_FORMAT ")\n", path,
		       json_integer_value(json_object_get(res, "generation")));
	json_decref(res);
	return 0;
}

static struct nfvctl_cmd cmd_apply = {
	.name = "apply",
	.usage = "apply FILE",
	.help = "change the running chains to FILE (refused as a whole on any error)",
	.run = apply_run,
};
NFVCTL_CMD_REGISTER(cmd_apply)

/* ---- simple calls ---- */

static int
simple_call(const char *cmd, int argc)
{
	json_t *res;

	if (argc != 1) {
		fprintf(stderr, "nfvctl: %s takes no arguments\n", cmd);
		return 2;
	}
	if (nfvctl_call(cmd, NULL, &res) != 0)
		return 1;
	nfvctl_print(stdout, res);
	json_decref(res);
	return 0;
}

static int
classes_run(int argc, char **argv)
{
	json_t *res, *rows, *c;
	size_t i;

	(void)argv;
	if (argc != 1 || nfvctl_json())
		return simple_call("classes", argc);
	if (nfvctl_call("classes", NULL, &res) != 0)
		return 1;
	rows = json_array();
	json_array_foreach(res, i, c) json_array_append_new(
		rows, json_pack("{s:O, s:O}", "name", json_object_get(c, "name"), "help",
				json_object_get(c, "help")));
	nfvctl_print_table(stdout, rows, "name", 0);
	json_decref(rows);
	json_decref(res);
	return 0;
}

static struct nfvctl_cmd cmd_classes = {
	.name = "classes",
	.usage = "classes",
	.help = "VNF classes this nfvd knows",
	.run = classes_run,
};
NFVCTL_CMD_REGISTER(cmd_classes)

static int
shutdown_run(int argc, char **argv)
{
	json_t *res;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "nfvctl: shutdown takes no arguments\n");
		return 2;
	}
	if (nfvctl_call("shutdown", NULL, &res) != 0)
		return 1;
	if (nfvctl_json())
		nfvctl_print(stdout, res);
	else
		printf("nfvd is stopping\n");
	json_decref(res);
	return 0;
}

static struct nfvctl_cmd cmd_shutdown = {
	.name = "shutdown",
	.usage = "shutdown",
	.help = "stop nfvd (drain, print the final counters, exit)",
	.run = shutdown_run,
};
NFVCTL_CMD_REGISTER(cmd_shutdown)

static int
version_run(int argc, char **argv)
{
	(void)argv;
	if (!nfvctl_json())
		printf("nfvctl %s\n", NFV_VERSION);
	return simple_call("version", argc);
}

static struct nfvctl_cmd cmd_version = {
	.name = "version",
	.usage = "version",
	.help = "nfvctl, nfvd, protocol and DPDK versions",
	.run = version_run,
};
NFVCTL_CMD_REGISTER(cmd_version)

/* ---- vnf NAME CMD [k=v ...] ---- */

static struct nfvctl_cmd cmd_vnf;

static int
vnf_run(int argc, char **argv)
{
	json_t *kv, *args;

	if (argc < 3)
		return nfvctl_usage_error(&cmd_vnf, "vnf needs an instance NAME and a CMD");
	kv = nfvctl_kv_args(argc - 3, argv + 3);
	if (kv == NULL)
		return 2;
	args = json_pack("{s:s, s:s, s:o}", "instance", argv[1], "cmd", argv[2], "args", kv);
	return nfvctl_call_print("vnf", args);
}

static struct nfvctl_cmd cmd_vnf = {
	.name = "vnf",
	.usage = "vnf NAME CMD [key=value ...]",
	.help = "send a class command to a VNF instance",
	.run = vnf_run,
};
NFVCTL_CMD_REGISTER(cmd_vnf)
