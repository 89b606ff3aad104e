/* SPDX-License-Identifier: BSD-3-Clause
 * EAL for unit tests that leaves nothing behind: test_eal_init() is
 * rte_eal_init() that also removes, at exit, the runtime folder EAL makes
 * (/var/run/dpdk/<prefix>; made even with --no-shconf or --in-memory).
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

static inline int
test_eal_init(int argc, char **argv)
{
	int ret = rte_eal_init(argc, argv);

	if (ret >= 0) {
		snprintf(test_eal_rundir, sizeof(test_eal_rundir), "%s",
			 rte_eal_get_runtime_dir());
		atexit(test_eal_remove_rundir);
	}
	return ret;
}

#endif /* NFV_TEST_EAL_H */
