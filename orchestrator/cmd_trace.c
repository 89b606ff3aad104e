/* SPDX-License-Identifier: BSD-3-Clause
 * nfvctl trace start|show|stop, nfvctl drops: what happened to a packet,
 * and every drop counter that is not zero.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfvctl.h"

static struct nfvctl_cmd cmd_trace;

static const char *
jstr(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

/* start's key=value arguments; a filter may go on over the words after it
 * (nfvctl trace start filter=icmp and host 10.0.0.1) */
static json_t *
trace_start_args(int argc, char **argv)
{
	json_t *o = json_pack("{s:s}", "op", "start");
	char filter[2048] = "";
	bool in_filter = false;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		char key[64];

		if (eq == NULL || eq == a) {
			if (in_filter && strlen(filter) + strlen(a) + 2 < sizeof(filter)) {
				strcat(filter, " ");
				strcat(filter, a);
				continue;
			}
			nfvctl_usage_error(&cmd_trace, "expected key=value, got '%s'", a);
			goto bad;
		}
		snprintf(key, sizeof(key), "%.*s", (int)(eq - a), a);
		in_filter = false;
		if (strcmp(key, "filter") == 0) {
			snprintf(filter, sizeof(filter), "%s", eq + 1);
			in_filter = true;
		} else if (strcmp(key, "count") == 0) {
			char *end;
			long long n;

			errno = 0;
			n = strtoll(eq + 1, &end, 10);
			if (eq[1] != '\0' && *end == '\0' && errno == 0)
				json_object_set_new(o, key, json_integer(n));
			else /* nfvd says what is wrong with it */
				json_object_set_new(o, key, json_string(eq + 1));
		} else if (strcmp(key, "chain") == 0 || strcmp(key, "port") == 0) {
			json_object_set_new(o, key, json_string(eq + 1));
		} else {
			nfvctl_usage_error(&cmd_trace, "unknown argument '%s' (chain=, port=, count=, "
						       "filter=)",
					   key);
			goto bad;
		}
	}
	if (filter[0])
		json_object_set_new(o, "filter", json_string(filter));
	return o;
bad:
	json_decref(o);
	return NULL;
}

static void
trace_print_head(json_t *res)
{
	json_t *v;

	printf("trace %s: %" JSON_INTEGER_FORMAT " packet%s traced",
	       json_is_true(json_object_get(res, "running")) ? "running" : "stopped",
	       json_integer_value(json_object_get(res, "traced")),
	       json_integer_value(json_object_get(res, "traced")) == 1 ? "" : "s");
	if ((v = json_object_get(res, "count")) != NULL)
		printf(", up to %" JSON_INTEGER_FORMAT " per worker (%" JSON_INTEGER_FORMAT
		       " worker%s)",
		       json_integer_value(v), json_integer_value(json_object_get(res, "workers")),
		       json_integer_value(json_object_get(res, "workers")) == 1 ? "" : "s");
	if (*jstr(res, "chain"))
		printf(", chain %s", jstr(res, "chain"));
	if (*jstr(res, "port"))
		printf(", port %s", jstr(res, "port"));
	if (*jstr(res, "filter"))
		printf(", filter \"%s\"", jstr(res, "filter"));
	printf("\n");
}

static void
trace_print_packet(size_t i, json_t *p)
{
	json_t *stages = json_object_get(p, "stages"), *s, *n;
	const char *result = jstr(p, "result");
	size_t k, j;

	printf("\nPacket %zu (worker %" JSON_INTEGER_FORMAT ", +%.3f ms)\n", i + 1,
	       json_integer_value(json_object_get(p, "worker")),
	       json_real_value(json_object_get(p, "time_ms")));
	printf("  rx port %s queue %" JSON_INTEGER_FORMAT ", %" JSON_INTEGER_FORMAT " bytes\n",
	       jstr(p, "in_port"), json_integer_value(json_object_get(p, "queue")),
	       json_integer_value(json_object_get(p, "length")));
	printf("    %s\n", jstr(p, "packet"));
	printf("  chain %s", jstr(p, "chain"));
	if (json_object_get(p, "resumed_at_stage"))
		printf(" (resumed at stage %" JSON_INTEGER_FORMAT ")",
		       json_integer_value(json_object_get(p, "resumed_at_stage")));
	printf("\n");
	json_array_foreach(stages, k, s) {
		printf("  [%" JSON_INTEGER_FORMAT "] %s (%s): %s",
		       json_integer_value(json_object_get(s, "stage")), jstr(s, "vnf"),
		       jstr(s, "class"), json_object_get(s, "verdict") ? jstr(s, "verdict") : "-");
		if (json_object_get(s, "reason"))
			printf(" %s", jstr(s, "reason"));
		if (json_object_get(s, "port"))
			printf(" to port %s", jstr(s, "port"));
		printf("\n");
		json_array_foreach(json_object_get(s, "notes"), j, n)
			printf("        %s\n", json_string_value(n));
		json_array_foreach(json_object_get(s, "control"), j, n)
			printf("        control thread: %s\n", json_string_value(n));
	}
	if (strcmp(result, "tx") == 0)
		printf("  => tx port %s\n", jstr(p, "tx_port"));
	else if (strcmp(result, "drop") == 0)
		printf("  => dropped by %s: %s%s%s%s\n", jstr(p, "dropped_by"), jstr(p, "drop_reason"),
		       *jstr(p, "drop_meaning") ? " (" : "", jstr(p, "drop_meaning"),
		       *jstr(p, "drop_meaning") ? ")" : "");
	else if (strcmp(result, "punt") == 0)
		printf("  => punted to the control thread\n");
	else if (strcmp(result, "sent") == 0)
		printf("  => sent by the stage to port %s\n", jstr(p, "tx_port"));
	else
		printf("  => %s\n", result);
}

static int
trace_run(int argc, char **argv)
{
	json_t *args, *res, *p;
	const char *op;
	size_t i;

	if (argc < 2)
		return nfvctl_usage_error(&cmd_trace, "trace needs start, show or stop");
	op = argv[1];
	if (strcmp(op, "start") == 0) {
		args = trace_start_args(argc - 2, argv + 2);
		if (args == NULL)
			return 2;
	} else if (strcmp(op, "show") == 0 || strcmp(op, "stop") == 0) {
		if (argc != 2)
			return nfvctl_usage_error(&cmd_trace, "trace %s takes no arguments", op);
		args = json_pack("{s:s}", "op", op);
	} else {
		return nfvctl_usage_error(&cmd_trace, "unknown trace command '%s'", op);
	}
	if (nfvctl_call("trace", args, &res) != 0) {
		json_decref(args);
		return 1;
	}
	json_decref(args);
	if (nfvctl_json()) {
		nfvctl_print(stdout, res);
	} else if (strcmp(op, "show") == 0) {
		trace_print_head(res);
		json_array_foreach(json_object_get(res, "packets"), i, p)
			trace_print_packet(i, p);
	} else if (strcmp(op, "start") == 0) {
		printf("tracing");
		if (*jstr(res, "chain"))
			printf(" chain %s", jstr(res, "chain"));
		if (*jstr(res, "port"))
			printf(" port %s", jstr(res, "port"));
		if (*jstr(res, "filter"))
			printf(" filter \"%s\"", jstr(res, "filter"));
		printf(": up to %" JSON_INTEGER_FORMAT " packets per worker; nfvctl trace show\n",
		       json_integer_value(json_object_get(res, "count")));
	} else {
		printf("trace stopped: %" JSON_INTEGER_FORMAT " packets kept for nfvctl trace show\n",
		       json_integer_value(json_object_get(res, "traced")));
	}
	json_decref(res);
	return 0;
}

static struct nfvctl_cmd cmd_trace = {
	.name = "trace",
	.usage = "trace start [chain=C] [port=P] [count=N] [filter=PCAP-FILTER] | trace show | "
		 "trace stop",
	.help = "trace packets through the chains: each stage's verdict and reason",
	.run = trace_run,
};
NFVCTL_CMD_REGISTER(cmd_trace)

static int
drops_run(int argc, char **argv)
{
	json_t *res, *d;
	size_t i;

	(void)argv;
	if (argc != 1) {
		fprintf(stderr, "nfvctl: drops takes no arguments\n");
		return 2;
	}
	if (nfvctl_call("drops", NULL, &res) != 0)
		return 1;
	if (nfvctl_json()) {
		nfvctl_print(stdout, res);
		json_decref(res);
		return 0;
	}
	if (json_array_size(json_object_get(res, "drops")) == 0) {
		printf("no drops\n");
		json_decref(res);
		return 0;
	}
	printf("%12s  %-6s %-16s %-20s %s\n", "COUNT", "WHERE", "NAME", "REASON", "MEANING");
	json_array_foreach(json_object_get(res, "drops"), i, d)
		printf("%12" JSON_INTEGER_FORMAT "  %-6s %-16s %-20s %s\n",
		       json_integer_value(json_object_get(d, "count")), jstr(d, "kind"),
		       jstr(d, "name"), jstr(d, "reason"), jstr(d, "meaning"));
	json_decref(res);
	return 0;
}

static struct nfvctl_cmd cmd_drops = {
	.name = "drops",
	.usage = "drops",
	.help = "every drop counter that is not zero (ports, engine, chains, VNFs), most first, "
		"with its meaning",
	.run = drops_run,
};
NFVCTL_CMD_REGISTER(cmd_drops)
