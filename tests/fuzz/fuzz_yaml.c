/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target: the YAML tree builder of chains/cfg_load.c alone (no
 * schema). Whatever the bytes: no crash, no recursion on nesting, no leak;
 * a refused text says why; an accepted tree keeps the limits of cfg.h
 * (depth, keys per mapping, nodes) and every node has a field path.
 * Seeds (tests/fuzz/yaml_seeds): deep nesting of [ { and block maps,
 * mappings at and past the key limit, duplicate keys; plus
 * chains/examples. Built and run by tests/fuzz/run.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Walk the tree without recursion, checking the limits. */
static void
fuzz_check(const struct cfg_node *root)
{
	struct {
		const struct cfg_node *n;
		size_t i;
	} st[CFG_MAX_DEPTH + 2];
	size_t depth = 0, nodes = 1;

	if (root->path == NULL)
		abort();
	st[depth].n = root;
	st[depth++].i = 0;
	while (depth > 0) {
		const struct cfg_node *n = st[depth - 1].n, *c;

		if (n->type == CFG_MAP && n->n > CFG_MAX_KEYS)
			abort();
		if (st[depth - 1].i == n->n) {
			depth--;
			continue;
		}
		if (n->type == CFG_MAP) {
			const struct cfg_node *k = n->key_nodes[st[depth - 1].i];

			if (k->path == NULL || k->parent != n || n->keys[st[depth - 1].i] == NULL)
				abort();
			nodes++;
		}
		c = n->items[st[depth - 1].i++];
		nodes++;
		if (c->path == NULL || c->parent != n || nodes > CFG_MAX_NODES)
			abort();
		if (c->type == CFG_MAP || c->type == CFG_SEQ) {
			if (depth > CFG_MAX_DEPTH)
				abort(); /* deeper than the limit */
			st[depth].n = c;
			st[depth++].i = 0;
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_errors err = {0};
	struct cfg_node *root = NULL;

	if (cfg_load_string("fuzz.yaml", (const char *)data, size, &root, &err) == 0)
		fuzz_check(root);
	else if (err.n == 0)
		abort(); /* refused without a reason */
	cfg_free(root);
	cfg_errors_free(&err);
	return 0;
}
