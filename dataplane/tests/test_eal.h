/* SPDX-License-Identifier: BSD-3-Clause
 * EAL for unit tests (and fuzz targets, micro benchmarks) that run at the
 * same time and leave nothing behind. test_eal_init() is rte_eal_init()
 * that
 *   - gives the process a file prefix of its own (--file-prefix=<name>_<pid>)
 *     when argv has none: meson runs the unit tests in parallel, and EAL's
 *     default prefix "rte" would be one runtime folder for all of them;
 *   - removes the runtime folder EAL makes (/var/run/dpdk/<prefix>; made even
 *     with --no-shconf or --in-memory) as soon as rte_eal_init() returns,
 *     whether it succeeded or not, and again at exit: with --no-shconf no
 *     file of it is used after start-up (no multi-process channel, no
 *     hugepage info, anonymous memseg arrays; the telemetry socket only
 *     becomes unreachable), so a test or fuzz target that crashes or aborts
 *     later leaves nothing either.
 * Only a folder named after the prefix is removed.
 */
#ifndef NFV_TEST_EAL_H
#define NFV_TEST_EAL_H

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>

static char test_eal_rundir[PATH_MAX];

static void
test_eal_remove_rundir(void)
{
	struct dirent *de;
	DIR *d;

	if (test_eal_rundir[0] != '/' || (d = opendir(test_eal_rundir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
	rmdir(test_eal_rundir);
}

/* The runtime folder EAL chose, if it is the one of prefix. */
static void
test_eal_note_rundir(const char *prefix)
{
	const char *dir = rte_eal_get_runtime_dir();
	const char *base = dir != NULL ? strrchr(dir, '/') : NULL;

	if (base != NULL && strcmp(base + 1, prefix) == 0)
		snprintf(test_eal_rundir, sizeof(test_eal_rundir), "%s", dir);
}

static inline int
test_eal_init(int argc, char **argv)
{
	static char prefix_arg[80];
	static char *args[64];
	const char *prefix = NULL, *name;
	int n = 0, ret;

	if (argc < 1 || argc > (int)RTE_DIM(args) - 1)
		return -1;
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--file-prefix=", 14) == 0)
			prefix = argv[i] + 14;
		else if (strcmp(argv[i], "--file-prefix") == 0 && i + 1 < argc)
			prefix = argv[i + 1];
		args[n++] = argv[i];
	}
	if (prefix == NULL) {
		name = strrchr(argv[0], '/');
		name = name != NULL ? name + 1 : argv[0];
		snprintf(prefix_arg, sizeof(prefix_arg), "--file-prefix=%.40s_%d", name,
			 (int)getpid());
		args[n++] = prefix_arg;
		prefix = prefix_arg + 14;
	}
	ret = rte_eal_init(n, args);
	test_eal_note_rundir(prefix);
	test_eal_remove_rundir();
	if (ret >= 0)
		atexit(test_eal_remove_rundir);
	return ret;
}

#endif /* NFV_TEST_EAL_H */
