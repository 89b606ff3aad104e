/* SPDX-License-Identifier: BSD-3-Clause
 * Whole chain files for unit tests: load one the test wrote and check the
 * verdict (cmocka; include after cmocka.h).
 */
#ifndef NFV_TEST_CFG_H
#define NFV_TEST_CFG_H

#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "model.h"

/* Load the chain file at path (removed afterwards): it must load (needle
 * NULL) or be refused with a first error that contains needle */
static inline void
test_cfg_load_expect(const char *path, const char *needle)
{
	struct cfg_errors err = {0};
	struct nfv_config *cfg = NULL;
	int ret = nfv_config_load(path, &cfg, &err);

	unlink(path);
	if (needle == NULL) {
		if (ret != 0)
			fail_msg("refused: %s", err.n ? err.msgs[0] : "?");
	} else {
		assert_int_not_equal(ret, 0);
		assert_true(err.n > 0);
		if (strstr(err.msgs[0], needle) == NULL)
			fail_msg("error '%s' lacks '%s'", err.msgs[0], needle);
	}
	nfv_config_free(cfg);
	cfg_errors_free(&err);
}

#endif /* NFV_TEST_CFG_H */
