/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of the YAML tree (positions, field paths) and typed getters.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg.h"

/* One parsed string and its errors. */
struct tcfg_doc {
	struct cfg_node *root;
	struct cfg_errors err;
	int ret;
};

static void
tcfg_load(struct tcfg_doc *d, const char *text)
{
	memset(d, 0, sizeof(*d));
	d->ret = cfg_load_string("t.yaml", text, strlen(text), &d->root, &d->err);
}

static void
tcfg_done(struct tcfg_doc *d)
{
	cfg_free(d->root);
	cfg_errors_free(&d->err);
}

static void
tcfg_assert_errors(const struct tcfg_doc *d, size_t n, ...)
{
	va_list ap;

	if (d->err.n != n)
		for (size_t i = 0; i < d->err.n; i++)
			print_message("got: %s\n", d->err.msgs[i]);
	assert_int_equal(d->err.n, n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(d->err.msgs[i], va_arg(ap, const char *));
	va_end(ap);
}

static void
test_tree_positions_and_paths(void **state)
{
	struct tcfg_doc d;
	const struct cfg_node *ports, *lan, *mtu, *tags;

	(void)state;
	tcfg_load(&d, "version: 1\n"
		      "ports:\n"
		      "  - name: lan\n"
		      "    mtu: 1500\n"
		      "  - driver: tap\n"
		      "tags: [a, \"b\"]\n"
		      "empty:\n");
	assert_int_equal(d.ret, 0);
	tcfg_assert_errors(&d, 0);
	assert_int_equal(d.root->type, CFG_MAP);
	assert_string_equal(d.root->path, "");
	ports = cfg_map_get(d.root, "ports");
	assert_non_null(ports);
	assert_int_equal(ports->type, CFG_SEQ);
	assert_int_equal(ports->n, 2);
	lan = ports->items[0];
	assert_string_equal(lan->path, "ports[lan]");
	mtu = cfg_map_get(lan, "mtu");
	assert_string_equal(mtu->path, "ports[lan].mtu");
	assert_string_equal(mtu->scalar, "1500");
	assert_int_equal(mtu->line, 4);
	assert_int_equal(mtu->col, 10);
	/* an item without a name is known by its 0-based index */
	assert_string_equal(cfg_map_get(ports->items[1], "driver")->path, "ports[1].driver");
	tags = cfg_map_get(d.root, "tags");
	assert_string_equal(tags->items[1]->path, "tags[1]");
	assert_false(tags->items[0]->quoted);
	assert_true(tags->items[1]->quoted);
	assert_int_equal(cfg_map_get(d.root, "empty")->type, CFG_NULL);
	assert_null(cfg_map_get(d.root, "absent"));
	tcfg_done(&d);
}

static void
test_syntax_error_has_position(void **state)
{
	struct tcfg_doc d;

	(void)state;
	tcfg_load(&d, "version: 1\n"
		      "ports: [a, b\n"
		      "chains: x\n");
	assert_int_equal(d.ret, -EINVAL);
	assert_null(d.root);
	tcfg_assert_errors(&d, 1,
			   "t.yaml:3:7: syntax error: did not find expected ',' or ']' "
			   "(while parsing a flow sequence at line 2 column 8)");
	tcfg_done(&d);
}

static void
test_duplicate_keys(void **state)
{
	struct tcfg_doc d;

	(void)state;
	tcfg_load(&d, "a: 1\n"
		      "b:\n"
		      "  x: 1\n"
		      "  x: 2\n"
		      "a: 3\n");
	assert_int_equal(d.ret, -EINVAL);
	tcfg_assert_errors(&d, 2, "t.yaml:4:3: b.x: duplicate key 'x' (first at line 3 column 3)",
			   "t.yaml:5:1: a: duplicate key 'a' (first at line 1 column 1)");
	tcfg_done(&d);
}

static void
test_anchors_and_aliases_refused(void **state)
{
	struct tcfg_doc d;

	(void)state;
	tcfg_load(&d, "a: &x 1\nb: 2\n");
	assert_int_equal(d.ret, -EINVAL);
	tcfg_assert_errors(&d, 1,
			   "t.yaml:1:4: YAML anchors (&x) and aliases are not supported: "
			   "write the value out");
	tcfg_done(&d);
}

static void
test_one_document_only(void **state)
{
	struct tcfg_doc d;

	(void)state;
	tcfg_load(&d, "a: 1\n---\nb: 2\n");
	assert_int_equal(d.ret, -EINVAL);
	tcfg_assert_errors(&d, 1, "t.yaml:2:1: only one YAML document per file is supported");
	tcfg_done(&d);
}

static void
test_missing_file(void **state)
{
	struct cfg_errors err = {0};
	struct cfg_node *root = NULL;

	(void)state;
	assert_int_equal(cfg_load_file("/nonexistent/nfvd.yaml", &root, &err), -ENOENT);
	assert_int_equal(err.n, 1);
	assert_string_equal(err.msgs[0],
			    "/nonexistent/nfvd.yaml: cannot open: No such file or directory");
	cfg_errors_free(&err);
}

static void
test_integers(void **state)
{
	struct tcfg_doc d;
	uint64_t v64 = 7;
	uint32_t v32 = 7;
	uint16_t v16 = 7;

	(void)state;
	tcfg_load(&d, "hex: 0x10\n"
		      "big: 70000\n"
		      "word: ten\n"
		      "neg: -1\n"
		      "map: {a: 1}\n");
	assert_int_equal(cfg_get_u64(d.root, "hex", true, 0, 100, &v64, &d.err), 0);
	assert_int_equal(v64, 16);
	assert_int_equal(cfg_get_u32(d.root, "absent", false, 0, 1, &v32, &d.err), 1);
	assert_int_equal(v32, 7);
	assert_int_equal(cfg_get_u16(d.root, "big", true, 0, 65535, &v16, &d.err), -EINVAL);
	assert_int_equal(v16, 7);
	assert_int_equal(cfg_get_u16(d.root, "word", true, 0, 10, &v16, &d.err), -EINVAL);
	assert_int_equal(cfg_get_u16(d.root, "neg", true, 0, 10, &v16, &d.err), -EINVAL);
	assert_int_equal(cfg_get_u16(d.root, "map", true, 0, 10, &v16, &d.err), -EINVAL);
	assert_int_equal(cfg_get_u16(d.root, "absent", true, 0, 10, &v16, &d.err), -EINVAL);
	tcfg_assert_errors(&d, 5, "t.yaml:2:6: big: 70000 is out of range [0, 65535]",
			   "t.yaml:3:7: word: expected an integer, got 'ten'",
			   "t.yaml:4:6: neg: expected an integer, got '-1'",
			   "t.yaml:5:6: map: expected an integer, got a mapping",
			   "t.yaml:1:1: missing required key 'absent'");
	tcfg_done(&d);
}

static void
test_bool_str_enum_mac(void **state)
{
	static const char *const colors[] = {"red", "green", "blue", NULL};
	struct tcfg_doc d;
	char buf[4];
	const char *s;
	uint8_t mac[6];
	bool b = false;
	int e = -1;

	(void)state;
	tcfg_load(&d, "on: yes\n"
		      "off: False\n"
		      "bad: maybe\n"
		      "color: gren\n"
		      "hue: blue\n"
		      "long: abcd\n"
		      "mac: 02:00:00:aa:BB:01\n"
		      "badmac: 02:00:00:aa:BB\n"
		      "list: [1]\n");
	assert_int_equal(cfg_get_bool(d.root, "on", true, &b, &d.err), 0);
	assert_true(b);
	assert_int_equal(cfg_get_bool(d.root, "off", true, &b, &d.err), 0);
	assert_false(b);
	assert_int_equal(cfg_get_bool(d.root, "bad", true, &b, &d.err), -EINVAL);
	assert_int_equal(cfg_get_enum(d.root, "hue", true, colors, &e, &d.err), 0);
	assert_int_equal(e, 2);
	assert_int_equal(cfg_get_enum(d.root, "color", true, colors, &e, &d.err), -EINVAL);
	assert_int_equal(cfg_get_strbuf(d.root, "long", true, buf, sizeof(buf), &d.err), -EINVAL);
	assert_int_equal(cfg_get_str(d.root, "list", true, &s, &d.err), -EINVAL);
	assert_int_equal(cfg_get_mac(d.root, "mac", true, mac, &d.err), 0);
	assert_memory_equal(mac, ((uint8_t[]){0x02, 0, 0, 0xaa, 0xbb, 0x01}), 6);
	assert_int_equal(cfg_get_mac(d.root, "badmac", true, mac, &d.err), -EINVAL);
	tcfg_assert_errors(&d, 5, "t.yaml:3:6: bad: expected true or false, got 'maybe'",
			   "t.yaml:4:8: color: unknown value 'gren'; did you mean 'green'? (one "
			   "of: red, green, blue)",
			   "t.yaml:6:7: long: too long (4 characters, at most 3)",
			   "t.yaml:9:7: list: expected a string, got a sequence",
			   "t.yaml:8:9: badmac: expected a MAC address like 02:00:00:00:00:01, got "
			   "'02:00:00:aa:BB'");
	tcfg_done(&d);
}

static void
test_check_keys(void **state)
{
	static const char *const keys[] = {"name", "mtu", "driver", NULL};
	struct tcfg_doc d;

	(void)state;
	tcfg_load(&d, "name: a\nmut: 1\nfoo: 2\n");
	assert_int_equal(cfg_check_keys(d.root, keys, &d.err), 2);
	tcfg_assert_errors(&d, 2,
			   "t.yaml:2:1: mut: unknown key 'mut'; did you mean 'mtu'? (allowed: "
			   "name, mtu, driver)",
			   "t.yaml:3:1: foo: unknown key 'foo' (allowed: name, mtu, driver)");
	tcfg_done(&d);
}

static void
test_prefixes(void **state)
{
	struct cfg_prefix p;
	const char *why;

	(void)state;
	assert_int_equal(cfg_parse_prefix("10.0.0.0/8", false, &p, &why), 0);
	assert_int_equal(p.family, AF_INET);
	assert_int_equal(p.len, 8);
	assert_int_equal(ntohl(p.v4.s_addr), 0x0a000000);
	assert_int_equal(cfg_parse_prefix("192.168.1.7", false, &p, &why), 0);
	assert_int_equal(p.len, 32);
	assert_int_equal(cfg_parse_prefix("2001:db8::/32", false, &p, &why), 0);
	assert_int_equal(p.family, AF_INET6);
	assert_int_equal(p.len, 32);
	assert_int_equal(cfg_parse_prefix("10.0.0.1/8", false, &p, &why), -EINVAL);
	assert_string_equal(why, "host bits are set (the address must be the network address)");
	assert_int_equal(cfg_parse_prefix("10.0.0.1/24", true, &p, &why), 0);
	assert_int_equal(ntohl(p.v4.s_addr), 0x0a000001);
	assert_int_equal(cfg_parse_prefix("2001:db8::1/64", false, &p, &why), -EINVAL);
	assert_int_equal(cfg_parse_prefix("10.0.0.0/33", false, &p, &why), -EINVAL);
	assert_string_equal(why, "prefix length must be 0..32");
	assert_int_equal(cfg_parse_prefix("10.0.0/8", false, &p, &why), -EINVAL);
	assert_int_equal(cfg_parse_prefix("0.0.0.0/0", false, &p, &why), 0);
}

static void
test_prefix_and_range_getters(void **state)
{
	struct tcfg_doc d;
	struct cfg_prefix p;
	uint32_t lo = 0, hi = 0;

	(void)state;
	tcfg_load(&d, "src: 10.1.0.0/8\n"
		      "one: 80\n"
		      "span: 1000-2000\n"
		      "back: 2000-1000\n"
		      "big: 1-70000\n"
		      "word: http\n");
	assert_int_equal(cfg_get_prefix(d.root, "src", true, false, &p, &d.err), -EINVAL);
	assert_int_equal(cfg_get_range(d.root, "one", true, 0, 65535, &lo, &hi, &d.err), 0);
	assert_int_equal(lo, 80);
	assert_int_equal(hi, 80);
	assert_int_equal(cfg_get_range(d.root, "span", true, 0, 65535, &lo, &hi, &d.err), 0);
	assert_int_equal(lo, 1000);
	assert_int_equal(hi, 2000);
	assert_int_equal(cfg_get_range(d.root, "back", true, 0, 65535, &lo, &hi, &d.err), -EINVAL);
	assert_int_equal(cfg_get_range(d.root, "big", true, 0, 65535, &lo, &hi, &d.err), -EINVAL);
	assert_int_equal(cfg_get_range(d.root, "word", true, 0, 65535, &lo, &hi, &d.err), -EINVAL);
	tcfg_assert_errors(
		&d, 4,
		"t.yaml:1:6: src: '10.1.0.0/8': host bits are set (the address must be the network "
		"address)",
		"t.yaml:4:7: back: '2000-1000': range start is above its end",
		"t.yaml:5:6: big: '1-70000' is out of range [0, 65535]",
		"t.yaml:6:7: word: expected a number or a range like 1000-2000, got 'http'");
	tcfg_done(&d);
}

static void
test_error_without_position(void **state)
{
	struct cfg_errors err = {.file = "x.yaml"};
	struct cfg_node n = {.line = 2, .col = 3, .path = ""};

	(void)state;
	cfg_error(&err, NULL, "general %d", 1);
	cfg_error(&err, &n, "at root");
	assert_int_equal(err.n, 2);
	assert_string_equal(err.msgs[0], "x.yaml: general 1");
	assert_string_equal(err.msgs[1], "x.yaml:2:3: at root");
	cfg_errors_free(&err);
	assert_int_equal(err.n, 0);
}

static void
test_empty_document(void **state)
{
	struct tcfg_doc d;

	(void)state;
	tcfg_load(&d, "# nothing\n");
	assert_int_equal(d.ret, 0);
	assert_int_equal(d.root->type, CFG_NULL);
	assert_int_equal(cfg_expect(d.root, CFG_MAP, &d.err), -EINVAL);
	tcfg_assert_errors(&d, 1, "t.yaml:1:1: expected a mapping, got null (no value)");
	tcfg_done(&d);
}

/* ---- limits (issue 18): each bounds the time and memory of a file ---- */

/* A growing text buffer for generated documents. */
struct tcfg_buf {
	char *s;
	size_t len, cap;
};

static void
tcfg_cat(struct tcfg_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	while (b->cap - b->len <= (size_t)n) {
		b->cap = b->cap ? b->cap * 2 : 4096;
		b->s = realloc(b->s, b->cap);
		assert_non_null(b->s);
	}
	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < b->cap - b->len);
	b->len += (size_t)n;
}

static void
tcfg_load_buf(struct tcfg_doc *d, const struct tcfg_buf *b)
{
	memset(d, 0, sizeof(*d));
	d->ret = cfg_load_string("t.yaml", b->s, b->len, &d->root, &d->err);
}

static void
test_deep_sequences_refused(void **state)
{
	struct tcfg_buf b = {0};
	struct tcfg_doc d;
	char want[128];

	(void)state;
	/* at the limit: fine */
	for (int i = 0; i < CFG_MAX_DEPTH; i++)
		tcfg_cat(&b, "[");
	for (int i = 0; i < CFG_MAX_DEPTH; i++)
		tcfg_cat(&b, "]");
	tcfg_load_buf(&d, &b);
	assert_int_equal(d.ret, 0);
	tcfg_done(&d);
	/* 40,000 levels (crashed the recursive builder): refused at the first
	 * level past the limit */
	b.len = 0;
	for (int i = 0; i < 40000; i++)
		tcfg_cat(&b, "[");
	tcfg_load_buf(&d, &b);
	assert_int_equal(d.ret, -EINVAL);
	assert_null(d.root);
	snprintf(want, sizeof(want),
		 "t.yaml:1:%d: nested deeper than %d mappings and sequences (the limit)",
		 CFG_MAX_DEPTH + 1, CFG_MAX_DEPTH);
	tcfg_assert_errors(&d, 1, want);
	tcfg_done(&d);
	free(b.s);
}

static void
test_deep_mappings_refused(void **state)
{
	struct tcfg_buf b = {0};
	struct tcfg_doc d;
	char want[128];

	(void)state;
	/* flow mappings: "{a: {a: {a: ..." */
	for (int i = 0; i < 40000; i++)
		tcfg_cat(&b, "{a: ");
	tcfg_load_buf(&d, &b);
	assert_int_equal(d.ret, -EINVAL);
	snprintf(want, sizeof(want),
		 "t.yaml:1:%d: nested deeper than %d mappings and sequences (the limit)",
		 4 * CFG_MAX_DEPTH + 1, CFG_MAX_DEPTH);
	tcfg_assert_errors(&d, 1, want);
	tcfg_done(&d);
	/* block mappings, one level per line */
	b.len = 0;
	for (int i = 0; i < 2000; i++)
		tcfg_cat(&b, "%*sk:\n", i, "");
	tcfg_load_buf(&d, &b);
	assert_int_equal(d.ret, -EINVAL);
	snprintf(want, sizeof(want),
		 "t.yaml:%d:%d: nested deeper than %d mappings and sequences (the limit)",
		 CFG_MAX_DEPTH + 1, CFG_MAX_DEPTH + 1, CFG_MAX_DEPTH);
	tcfg_assert_errors(&d, 1, want);
	tcfg_done(&d);
	free(b.s);
}

static void
test_many_keys_refused(void **state)
{
	struct tcfg_buf b = {0};
	struct tcfg_doc d;
	char want[128];

	(void)state;
	/* 100,000 keys (185 s in the quadratic duplicate check): refused at
	 * the first key past the limit */
	tcfg_cat(&b, "m:\n");
	for (int i = 0; i < 100000; i++)
		tcfg_cat(&b, "  k%d: 1\n", i);
	tcfg_load_buf(&d, &b);
	assert_int_equal(d.ret, -EINVAL);
	snprintf(want, sizeof(want), "t.yaml:%d:3: m: more than %d keys in one mapping (the limit)",
		 CFG_MAX_KEYS + 2, CFG_MAX_KEYS);
	tcfg_assert_errors(&d, 1, want);
	tcfg_done(&d);
	free(b.s);
}

static void
test_duplicate_keys_at_the_limit(void **state)
{
	struct tcfg_buf b = {0};
	struct tcfg_doc d;

	(void)state;
	/* the limit's worth of keys, the last the same as the first: found */
	tcfg_cat(&b, "m:\n");
	for (int i = 0; i < CFG_MAX_KEYS - 1; i++)
		tcfg_cat(&b, "  k%d: 1\n", i);
	tcfg_cat(&b, "  k0: 2\n");
	tcfg_load_buf(&d, &b);
	assert_int_equal(d.ret, -EINVAL);
	tcfg_assert_errors(&d, 1, "t.yaml:4097:3: m.k0: duplicate key 'k0' (first at line 2 column 3)");
	tcfg_done(&d);
	/* and without it, all of them are kept */
	b.len = 0;
	tcfg_cat(&b, "m:\n");
	for (int i = 0; i < CFG_MAX_KEYS; i++)
		tcfg_cat(&b, "  k%d: %d\n", i, i);
	tcfg_load_buf(&d, &b);
	assert_int_equal(d.ret, 0);
	assert_int_equal(cfg_map_get(d.root, "m")->n, CFG_MAX_KEYS);
	assert_string_equal(cfg_map_get(cfg_map_get(d.root, "m"), "k4095")->scalar, "4095");
	tcfg_done(&d);
	free(b.s);
}

static void
test_node_limit(void **state)
{
	struct tcfg_buf b = {0};
	struct tcfg_doc d;
	char want[160];

	(void)state;
	/* one flow sequence of 300,000 items: the root is node 1, item i
	 * (0-based) node i + 2 at column 2 + 2 i */
	tcfg_cat(&b, "[");
	for (int i = 0; i < 300000; i++)
		tcfg_cat(&b, "1,");
	tcfg_cat(&b, "1]");
	tcfg_load_buf(&d, &b);
	assert_int_equal(d.ret, -EINVAL);
	snprintf(want, sizeof(want),
		 "t.yaml:1:%d: more than %d values, keys, mappings and sequences in one file "
		 "(the limit)",
		 2 + 2 * (CFG_MAX_NODES - 1), CFG_MAX_NODES);
	tcfg_assert_errors(&d, 1, want);
	tcfg_done(&d);
	free(b.s);
}

static void
test_file_size_limit(void **state)
{
	char path[] = "/tmp/nfv-test-cfg-XXXXXX";
	struct cfg_errors err = {0};
	struct cfg_node *root = NULL;
	char *big, want[160];
	size_t len = CFG_MAX_FILE + 4096;
	FILE *f;
	int fd;

	(void)state;
	/* a comment line longer than the limit: only the size can stop it */
	big = malloc(len);
	assert_non_null(big);
	memset(big, 'x', len);
	big[0] = '#';
	big[len - 1] = '\n';
	assert_int_equal(cfg_load_string("t.yaml", big, len, &root, &err), -EINVAL);
	assert_int_equal(err.n, 1);
	snprintf(want, sizeof(want), "t.yaml: larger than %u bytes (%u MiB), the limit for a chain file",
		 CFG_MAX_FILE, CFG_MAX_FILE >> 20);
	assert_string_equal(err.msgs[0], want);
	cfg_errors_free(&err);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(big, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	err.file = "t.yaml";
	assert_int_equal(cfg_load_file(path, &root, &err), -EINVAL);
	unlink(path);
	assert_null(root);
	assert_int_equal(err.n, 1);
	assert_non_null(strstr(err.msgs[0], "the file is larger than"));
	assert_memory_equal(err.msgs[0], "t.yaml:1:", 9);
	cfg_errors_free(&err);
	free(big);
}

static void
test_nul_and_long_keys(void **state)
{
	struct tcfg_buf b = {0};
	struct tcfg_doc d;
	char want[128];

	(void)state;
	/* a NUL was cut: "lan\0x" became "lan" */
	tcfg_load(&d, "p:\n  name: \"lan\\0x\"\n");
	assert_int_equal(d.ret, -EINVAL);
	tcfg_assert_errors(&d, 1, "t.yaml:2:9: p: a NUL character (\\0) is not allowed in a string");
	tcfg_done(&d);
	tcfg_load(&d, "\"a\\0b\": 1\n");
	assert_int_equal(d.ret, -EINVAL);
	tcfg_assert_errors(&d, 1, "t.yaml:1:1: a NUL character (\\0) is not allowed in a string");
	tcfg_done(&d);
	/* a key longer than the limit */
	tcfg_cat(&b, "a:\n  ");
	for (int i = 0; i <= CFG_MAX_KEY_LEN; i++)
		tcfg_cat(&b, "k");
	tcfg_cat(&b, ": 1\n");
	tcfg_load_buf(&d, &b);
	assert_int_equal(d.ret, -EINVAL);
	snprintf(want, sizeof(want), "t.yaml:2:3: a: a key of %d characters (at most %d)",
		 CFG_MAX_KEY_LEN + 1, CFG_MAX_KEY_LEN);
	tcfg_assert_errors(&d, 1, want);
	tcfg_done(&d);
	/* field paths longer than the limit: nested keys of 100 characters */
	b.len = 0;
	for (int i = 0; i < 12; i++)
		tcfg_cat(&b, "%*s%0100d:\n", 2 * i, "", i);
	tcfg_load_buf(&d, &b);
	assert_int_equal(d.ret, -EINVAL);
	if (d.err.n == 1)
		print_message("%s\n", d.err.msgs[0]);
	assert_int_equal(d.err.n, 1);
	assert_non_null(strstr(d.err.msgs[0], "t.yaml:11:21: field path longer than 1024"));
	tcfg_done(&d);
	free(b.s);
}

static void
test_errors_capped(void **state)
{
	struct cfg_errors err = {.file = "x.yaml"};
	char want[64];

	(void)state;
	for (int i = 0; i < 1000; i++)
		cfg_error(&err, NULL, "error %d", i);
	assert_int_equal(err.n, CFG_MAX_ERRORS + 1);
	assert_string_equal(err.msgs[0], "x.yaml: error 0");
	snprintf(want, sizeof(want), "x.yaml: error %d", CFG_MAX_ERRORS - 1);
	assert_string_equal(err.msgs[CFG_MAX_ERRORS - 1], want);
	snprintf(want, sizeof(want), "x.yaml: %d more errors not shown", 1000 - CFG_MAX_ERRORS);
	assert_string_equal(err.msgs[CFG_MAX_ERRORS], want);
	cfg_errors_free(&err);
}

static void
test_edit_distance(void **state)
{
	char long_s[80];

	(void)state;
	assert_int_equal(cfg_edit_distance("tapp", "tap"), 1);
	assert_int_equal(cfg_edit_distance("LAN", "lan"), 0);
	assert_int_equal(cfg_edit_distance("kitten", "sitting"), 3);
	assert_int_equal(cfg_edit_distance("", "abc"), 3);
	memset(long_s, 'a', sizeof(long_s) - 1);
	long_s[sizeof(long_s) - 1] = '\0';
	assert_true(cfg_edit_distance(long_s, "a") == SIZE_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree_positions_and_paths),
		cmocka_unit_test(test_syntax_error_has_position),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_anchors_and_aliases_refused),
		cmocka_unit_test(test_one_document_only),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_bool_str_enum_mac),
		cmocka_unit_test(test_check_keys),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_prefix_and_range_getters),
		cmocka_unit_test(test_error_without_position),
		cmocka_unit_test(test_empty_document),
		cmocka_unit_test(test_deep_sequences_refused),
		cmocka_unit_test(test_deep_mappings_refused),
		cmocka_unit_test(test_many_keys_refused),
		cmocka_unit_test(test_duplicate_keys_at_the_limit),
		cmocka_unit_test(test_node_limit),
		cmocka_unit_test(test_file_size_limit),
		cmocka_unit_test(test_nul_and_long_keys),
		cmocka_unit_test(test_errors_capped),
		cmocka_unit_test(test_edit_distance),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
