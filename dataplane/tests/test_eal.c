/* SPDX-License-Identifier: BSD-3-Clause
 * test_eal.h: a unit test's EAL gets a file prefix of its own when it names
 * none (meson runs the tests in parallel: one /var/run/dpdk/rte for all of
 * them before), and its runtime folder is gone once EAL has started, so a
 * test or fuzz target that aborts later leaves nothing behind.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "test_eal.h"

static const char *const eal_args[] = {"test_eal", "--no-huge", "-m", "64", "--no-pci",
				       "--no-shconf", "-l", "0", "--log-level", "error"};

static void
start_eal(void)
{
	char *eal[RTE_DIM(eal_args)];

	memcpy(eal, eal_args, sizeof(eal));
	if (test_eal_init((int)RTE_DIM(eal), eal) < 0)
		exit(2);
}

static void
test_own_prefix_and_no_folder_left(void **state)
{
	char want[64];
	struct stat sb;

	(void)state;
	snprintf(want, sizeof(want), "/var/run/dpdk/test_eal_%d", (int)getpid());
	assert_string_equal(rte_eal_get_runtime_dir(), want);
	assert_int_equal(stat(want, &sb), -1);
	assert_int_equal(errno, ENOENT);
}

/* A process that starts EAL and aborts (as a crashing test or fuzz target
 * does: no atexit handler runs) leaves no runtime folder. */
static void
test_abort_leaves_nothing(void **state)
{
	char dir[256] = "", want[64];
	int fd[2], status;
	struct stat sb;
	ssize_t got;
	pid_t pid;

	(void)state;
	assert_int_equal(pipe(fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fd[0]);
		dup2(fd[1], STDOUT_FILENO);
		execl("/proc/self/exe", "test_eal", "abort", (char *)NULL);
		_exit(3);
	}
	close(fd[1]);
	got = read(fd[0], dir, sizeof(dir) - 1);
	close(fd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	assert_true(got > 0);
	dir[strcspn(dir, "\n")] = '\0';
	snprintf(want, sizeof(want), "/var/run/dpdk/test_eal_%d", (int)pid);
	assert_string_equal(dir, want);
	assert_int_equal(stat(dir, &sb), -1);
	assert_int_equal(errno, ENOENT);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_prefix_and_no_folder_left),
		cmocka_unit_test(test_abort_leaves_nothing),
	};

	start_eal();
	if (argc > 1 && strcmp(argv[1], "abort") == 0) {
		printf("%s\n", rte_eal_get_runtime_dir());
		fflush(stdout);
		abort();
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
