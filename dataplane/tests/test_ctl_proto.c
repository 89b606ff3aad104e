/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests: control protocol framing and request handling (no sockets).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_proto.h"

static int
fake_echo(json_t *args, json_t **result, json_t **extra, char *err, size_t errlen)
{
	(void)extra, (void)err, (void)errlen;
	*result = json_deep_copy(args);
	return 0;
}

static int
fake_fail(json_t *args, json_t **result, json_t **extra, char *err, size_t errlen)
{
	(void)args, (void)result;
	snprintf(err, errlen, "it broke");
	*extra = json_pack("{s:[s,s]}", "errors", "a.yaml:3:5: x: bad", "a.yaml:4:1: y: bad");
	return -EINVAL;
}

static const struct ctl_cmd cmds[] = {
	{"echo", fake_echo},
	{"fail", fake_fail},
};

static json_t *
handle(const char *line)
{
	json_t *r = ctl_proto_handle(cmds, 2, line, strlen(line));

	assert_non_null(r);
	assert_int_equal(json_integer_value(json_object_get(r, "v")), 1);
	return r;
}

static const char *
error_of(json_t *r)
{
	assert_false(json_is_true(json_object_get(r, "ok")));
	return json_string_value(json_object_get(r, "error"));
}

static void
test_ok_echoes_id_and_result(void **state)
{
	json_t *r = handle("{\"v\":1,\"id\":7,\"cmd\":\"echo\",\"args\":{\"a\":2}}");

	(void)state;
	assert_true(json_is_true(json_object_get(r, "ok")));
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 7);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "result"), "a")), 2);
	json_decref(r);

	/* string ids come back as they were; args may be left out */
	r = handle("{\"v\":1,\"id\":\"x-1\",\"cmd\":\"echo\"}");
	assert_string_equal(json_string_value(json_object_get(r, "id")), "x-1");
	assert_true(json_is_object(json_object_get(r, "result")));
	json_decref(r);
}

static void
test_malformed_json(void **state)
{
	json_t *r = handle("{\"v\":1,\"cmd\":");

	(void)state;
	assert_non_null(strstr(error_of(r), "malformed JSON"));
	assert_true(json_is_null(json_object_get(r, "id")));
	json_decref(r);

	r = handle("[1,2]");
	assert_non_null(strstr(error_of(r), "must be a JSON object"));
	json_decref(r);
}

static void
test_unknown_command_lists_known(void **state)
{
	json_t *r = handle("{\"v\":1,\"id\":1,\"cmd\":\"frob\"}");

	(void)state;
	assert_string_equal(error_of(r), "unknown command 'frob' (known: echo, fail)");
	assert_int_equal(json_integer_value(json_object_get(r, "id")), 1);
	json_decref(r);
}

static void
test_bad_version_cmd_args(void **state)
{
	json_t *r = handle("{\"v\":2,\"id\":3,\"cmd\":\"echo\"}");

	(void)state;
	assert_non_null(strstr(error_of(r), "unsupported protocol version"));
	json_decref(r);
	r = handle("{\"id\":3,\"cmd\":\"echo\"}");
	assert_non_null(strstr(error_of(r), "unsupported protocol version"));
	json_decref(r);
	r = handle("{\"v\":1,\"cmd\":5}");
	assert_non_null(strstr(error_of(r), "\"cmd\" must be a string"));
	json_decref(r);
	r = handle("{\"v\":1,\"cmd\":\"echo\",\"args\":[1]}");
	assert_non_null(strstr(error_of(r), "\"args\" must be an object"));
	json_decref(r);
}

static void
test_failure_carries_extra_fields(void **state)
{
	json_t *r = handle("{\"v\":1,\"id\":9,\"cmd\":\"fail\"}");

	(void)state;
	assert_string_equal(error_of(r), "it broke");
	assert_int_equal(json_array_size(json_object_get(r, "errors")), 2);
	json_decref(r);
}

static void
test_framer_split_and_joined_lines(void **state)
{
	struct ctl_framer f;
	char *line;
	size_t len;

	(void)state;
	ctl_framer_init(&f);
	/* one request in three pieces, then two in one read, CRLF tolerated */
	assert_int_equal(ctl_framer_feed(&f, "{\"v\":1,", 7), 7);
	assert_int_equal(ctl_framer_next(&f, false, &line, &len), 0);
	ctl_framer_feed(&f, "\"cmd\":\"echo\"", 12);
	assert_int_equal(ctl_framer_next(&f, false, &line, &len), 0);
	ctl_framer_feed(&f, "}\nA\r\nB\n", 7);
	assert_int_equal(ctl_framer_next(&f, false, &line, &len), 1);
	assert_string_equal(line, "{\"v\":1,\"cmd\":\"echo\"}");
	assert_int_equal(len, 20);
	assert_int_equal(ctl_framer_next(&f, false, &line, &len), 1);
	assert_string_equal(line, "A");
	assert_int_equal(ctl_framer_next(&f, false, &line, &len), 1);
	assert_string_equal(line, "B");
	assert_int_equal(ctl_framer_next(&f, false, &line, &len), 0);
	/* an unterminated last line counts at end of input only */
	ctl_framer_feed(&f, "tail", 4);
	assert_int_equal(ctl_framer_next(&f, false, &line, &len), 0);
	assert_int_equal(ctl_framer_next(&f, true, &line, &len), 1);
	assert_string_equal(line, "tail");
	assert_int_equal(ctl_framer_next(&f, true, &line, &len), 0);
	ctl_framer_fini(&f);
}

static void
test_framer_request_too_large(void **state)
{
	struct ctl_framer f;
	size_t big = 1u << 20, fed = 0;
	char *junk = malloc(big), *line;
	size_t len;

	(void)state;
	assert_non_null(junk);
	memset(junk, 'x', big);
	ctl_framer_init(&f);
	/* the framer takes at most one full line, then reports the overflow */
	fed = ctl_framer_feed(&f, junk, big);
	assert_true(fed < big);
	assert_true(fed >= CTL_REQ_MAX);
	assert_int_equal(ctl_framer_next(&f, false, &line, &len), 0);
	assert_true(ctl_framer_overflow(&f));
	assert_int_equal(ctl_framer_next(&f, true, &line, &len), 0);
	ctl_framer_fini(&f);

	/* exactly CTL_REQ_MAX bytes plus the newline is still a request */
	ctl_framer_init(&f);
	junk[CTL_REQ_MAX] = '\n';
	assert_int_equal(ctl_framer_feed(&f, junk, CTL_REQ_MAX + 1), CTL_REQ_MAX + 1);
	assert_false(ctl_framer_overflow(&f));
	assert_int_equal(ctl_framer_next(&f, false, &line, &len), 1);
	assert_int_equal(len, CTL_REQ_MAX);
	ctl_framer_fini(&f);
	free(junk);
}

static void
test_framer_many_small_requests(void **state)
{
	struct ctl_framer f;
	const char *req = "{\"v\":1,\"id\":1,\"cmd\":\"echo\"}\n";
	size_t rl = strlen(req);
	int got = 0;
	char *line;
	size_t len;

	(void)state;
	/* 100000 requests fed in odd-sized chunks come out whole, none lost */
	ctl_framer_init(&f);
	for (int i = 0; i < 100000; i++) {
		size_t off = 0;

		while (off < rl) {
			size_t chunk = (size_t)(i % 7) + 1;

			if (chunk > rl - off)
				chunk = rl - off;
			off += ctl_framer_feed(&f, req + off, chunk);
			while (ctl_framer_next(&f, false, &line, &len) == 1) {
				assert_int_equal(len, rl - 1);
				got++;
			}
		}
	}
	assert_int_equal(got, 100000);
	ctl_framer_fini(&f);
}

static void
test_dump_is_one_line(void **state)
{
	json_t *r = ctl_proto_error(NULL, "two\nlines %d", 2);
	size_t len;
	char *s = ctl_proto_dump(r, &len);

	(void)state;
	assert_non_null(s);
	assert_int_equal(strlen(s), len);
	assert_int_equal(s[len - 1], '\n');
	assert_null(memchr(s, '\n', len - 1));
	free(s);
	json_decref(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok_echoes_id_and_result),
		cmocka_unit_test(test_malformed_json),
		cmocka_unit_test(test_unknown_command_lists_known),
		cmocka_unit_test(test_bad_version_cmd_args),
		cmocka_unit_test(test_failure_carries_extra_fields),
		cmocka_unit_test(test_framer_split_and_joined_lines),
		cmocka_unit_test(test_framer_request_too_large),
		cmocka_unit_test(test_framer_many_small_requests),
		cmocka_unit_test(test_dump_is_one_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
