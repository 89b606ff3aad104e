/* SPDX-License-Identifier: BSD-3-Clause
 * nfvctl bench FILE [nfv-bench options]: run the RFC 2544 / TST009 benchmark
 * (bench/nfv-bench, docs/bench.md) with this build's nfvd and nfv-gen.
 *
 * nfv-bench is found at $NFV_BENCH, else at <source root>/bench/nfv-bench
 * when nfvctl runs from a build folder directly under the source root. The
 * build folder (--build) defaults to the one holding this nfvctl.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nfvctl.h"

#define BENCH_ARGS_MAX 64

static int bench_run(int argc, char **argv);

static struct nfvctl_cmd bench_cmd = {
	.name = "bench",
	.usage = "bench FILE [-o STEM] [--progress] [nfv-bench options]",
	.help = "RFC 2544 / TST009 benchmark of chains next to testpmd and OVS (docs/bench.md)",
	.run = bench_run,
};
NFVCTL_CMD_REGISTER(bench_cmd)

static int
bench_run(int argc, char **argv)
{
	char exe[PATH_MAX], builddir[PATH_MAX], script[PATH_MAX + 32];
	const char *args[BENCH_ARGS_MAX + 6];
	const char *env = getenv("NFV_BENCH");
	bool has_build = false;
	ssize_t n;
	int i, k = 0;

	if (argc < 2 || argc > BENCH_ARGS_MAX)
		return nfvctl_usage_error(&bench_cmd, "give a bench file");
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0) {
		fprintf(stderr, "nfvctl bench: /proc/self/exe: %s\n", strerror(errno));
		return 1;
	}
	exe[n] = '\0';
	snprintf(builddir, sizeof(builddir), "%s", dirname(exe));
	if (env && *env)
		snprintf(script, sizeof(script), "%s", env);
	else
		snprintf(script, sizeof(script), "%s/../bench/nfv-bench", builddir);
	if (access(script, R_OK) != 0) {
		fprintf(stderr, "nfvctl bench: %s: %s (set NFV_BENCH to bench/nfv-bench)\n", script,
			strerror(errno));
		return 1;
	}
	/* Debian's interpreter has python3-yaml; one first in PATH may not */
	args[k++] = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
	args[k++] = script;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--build") || !strncmp(argv[i], "--build=", 8))
			has_build = true;
		args[k++] = argv[i];
	}
	if (!has_build) {
		args[k++] = "--build";
		args[k++] = builddir;
	}
	args[k] = NULL;
	execvp(args[0], (char *const *)args);
	fprintf(stderr, "nfvctl bench: %s: %s\n", args[0], strerror(errno));
	return 1;
}
