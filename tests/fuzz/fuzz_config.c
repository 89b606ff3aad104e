/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target: a chain file (YAML loader, schema and cross checks of
 * chains/) must never crash, read out of bounds or leak, whatever the
 * bytes; a refused file must say why. Built and run by tests/run with
 * clang (tests/fuzz/run), seeded with chains/examples. VNF classes are
 * not linked in, so their sections end at "unknown class"; the class
 * parsers have their own unit tests and fuzzers.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct cfg_errors err = {0};
	struct nfv_config *cfg = NULL;

	if (fd < 0) {
		fd = memfd_create("fuzz_config", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	if (nfv_config_load(path, &cfg, &err) == 0)
		nfv_config_free(cfg);
	else if (err.n == 0 && size > 0)
		abort(); /* refused without a reason */
	cfg_errors_free(&err);
	return 0;
}
