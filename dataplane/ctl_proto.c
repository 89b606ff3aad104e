/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - control protocol v1: line framing and request dispatch (no I/O).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"

#define CTL_FRAME_LIMIT (CTL_REQ_MAX + 1) /* a full line with its newline */
#define CTL_FRAME_MIN 4096

void
ctl_framer_init(struct ctl_framer *f)
{
	memset(f, 0, sizeof(*f));
}

void
ctl_framer_fini(struct ctl_framer *f)
{
	free(f->buf);
	memset(f, 0, sizeof(*f));
}

/* Drop the line handed out by the previous ctl_framer_next(). */
static void
ctl_framer_compact(struct ctl_framer *f)
{
	if (f->off == 0)
		return;
	memmove(f->buf, f->buf + f->off, f->len - f->off);
	f->len -= f->off;
	f->scan = f->scan > f->off ? f->scan - f->off : 0;
	f->off = 0;
}

long
ctl_framer_space(struct ctl_framer *f, char **space)
{
	ctl_framer_compact(f);
	if (f->len >= CTL_FRAME_LIMIT) {
		*space = NULL;
		return 0;
	}
	if (f->cap - f->len < CTL_FRAME_MIN && f->cap < CTL_FRAME_LIMIT + 1) {
		size_t ncap = f->cap ? f->cap * 2 : CTL_FRAME_MIN;
		char *nb;

		if (ncap > CTL_FRAME_LIMIT + 1)
			ncap = CTL_FRAME_LIMIT + 1; /* + 1: room for the NUL at eof */
		nb = realloc(f->buf, ncap);
		if (nb == NULL)
			return -ENOMEM;
		f->buf = nb;
		f->cap = ncap;
	}
	*space = f->buf + f->len;
	/* one byte stays spare for the NUL of an unterminated last line */
	return (long)(f->cap - 1 - f->len);
}

void
ctl_framer_commit(struct ctl_framer *f, size_t n)
{
	f->len += n;
}

size_t
ctl_framer_feed(struct ctl_framer *f, const void *data, size_t len)
{
	size_t done = 0;

	while (done < len) {
		char *space;
		long room = ctl_framer_space(f, &space);
		size_t n;

		if (room <= 0)
			break;
		n = len - done < (size_t)room ? len - done : (size_t)room;
		memcpy(space, (const char *)data + done, n);
		ctl_framer_commit(f, n);
		done += n;
	}
	return done;
}

int
ctl_framer_next(struct ctl_framer *f, bool eof, char **line, size_t *len)
{
	size_t from;
	char *nl;
	size_t n;

	/* no compaction here (ctl_framer_space does it when room is needed):
	 * taking N short lines out of a full buffer stays linear */
	if (f->off == f->len) {
		f->off = f->len = f->scan = 0;
		return 0;
	}
	from = f->scan > f->off ? f->scan : f->off;
	nl = memchr(f->buf + from, '\n', f->len - from);
	if (nl == NULL) {
		f->scan = f->len;
		if (!eof || ctl_framer_overflow(f))
			return 0;
		/* last line without its newline: the spare byte holds the NUL */
		*line = f->buf + f->off;
		n = f->len - f->off;
		f->buf[f->len] = '\0';
		f->off = f->len;
	} else {
		*line = f->buf + f->off;
		n = (size_t)(nl - *line);
		*nl = '\0';
		f->off = (size_t)(nl - f->buf) + 1;
	}
	if (n > 0 && (*line)[n - 1] == '\r')
		(*line)[--n] = '\0';
	f->scan = f->off;
	*len = n;
	return 1;
}

size_t
ctl_framer_pending(const struct ctl_framer *f)
{
	return f->len - f->off;
}

bool
ctl_framer_overflow(const struct ctl_framer *f)
{
	return f->len - f->off >= CTL_FRAME_LIMIT &&
	       memchr(f->buf + f->off, '\n', f->len - f->off) == NULL;
}

/* ---- requests and responses ---- */

static json_t *
ctl_proto_vresponse(json_t *id, bool ok)
{
	json_t *r = json_object();

	if (r == NULL)
		return NULL;
	json_object_set_new(r, "v", json_integer(CTL_PROTO_VERSION));
	json_object_set(r, "id", id ? id : json_null());
	json_object_set_new(r, "ok", json_boolean(ok));
	return r;
}

json_t *
ctl_proto_error(json_t *id, const char *fmt, ...)
{
	json_t *r = ctl_proto_vresponse(id, false);
	char msg[1024];
	va_list ap;

	if (r == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_set_new(r, "error", json_string(msg));
	return r;
}

static void
ctl_proto_known(const struct ctl_cmd *cmds, size_t n_cmds, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n_cmds && used < size; i++) {
		int w = snprintf(out + used, size - used, "%s%s", i ? ", " : "", cmds[i].name);

		if (w < 0)
			break;
		used += (size_t)w;
	}
}

json_t *
ctl_proto_complete(json_t *resp, int ret, json_t *result, json_t *extra, const char *err)
{
	if (resp == NULL) {
		json_decref(result);
		json_decref(extra);
		return NULL;
	}
	if (ret < 0) {
		json_object_set_new(resp, "ok", json_false());
		json_object_set_new(resp, "error",
				    json_string(err && err[0] ? err : strerror(-ret)));
		if (json_is_object(extra))
			json_object_update_missing(resp, extra);
		json_decref(result);
	} else {
		json_object_set_new(resp, "ok", json_true());
		json_object_set_new(resp, "result", result ? result : json_object());
	}
	json_decref(extra);
	return resp;
}

bool
ctl_proto_deferred(json_t *resp)
{
	return resp != NULL && json_object_get(resp, "ok") == NULL;
}

json_t *
ctl_proto_handle(const struct ctl_cmd *cmds, size_t n_cmds, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *req, *id, *v, *cmd, *args, *resp, *result = NULL, *extra = NULL;
	const char *name;
	char err[1024] = "";
	int ret;

	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (req == NULL)
		return ctl_proto_error(NULL, "malformed JSON at column %d: %s", jerr.column,
				       jerr.text);
	if (!json_is_object(req)) {
		resp = ctl_proto_error(NULL, "a request must be a JSON object");
		goto free_req;
	}
	id = json_object_get(req, "id");
	v = json_object_get(req, "v");
	if (!json_is_integer(v) || json_integer_value(v) != CTL_PROTO_VERSION) {
		resp = ctl_proto_error(id,
				       "unsupported protocol version (this nfvd speaks \"v\": %d)",
				       CTL_PROTO_VERSION);
		goto free_req;
	}
	cmd = json_object_get(req, "cmd");
	if (!json_is_string(cmd)) {
		resp = ctl_proto_error(id, "\"cmd\" must be a string");
		goto free_req;
	}
	args = json_object_get(req, "args");
	if (args != NULL && !json_is_object(args) && !json_is_null(args)) {
		resp = ctl_proto_error(id, "\"args\" must be an object");
		goto free_req;
	}
	name = json_string_value(cmd);
	for (size_t i = 0; i < n_cmds; i++) {
		json_t *a;

		if (strcmp(cmds[i].name, name) != 0)
			continue;
		a = json_is_object(args) ? json_incref(args) : json_object();
		ret = cmds[i].run(a, &result, &extra, err, sizeof(err));
		json_decref(a);
		if (ret == CTL_DEFERRED) {
			/* answered later by ctl_proto_complete() */
			resp = ctl_proto_vresponse(id, false);
			if (resp)
				json_object_del(resp, "ok");
			json_decref(result);
			json_decref(extra);
		} else {
			resp = ctl_proto_vresponse(id, true);
			resp = ctl_proto_complete(resp, ret, result, extra, err);
		}
		goto free_req;
	}
	{
		char known[512];

		ctl_proto_known(cmds, n_cmds, known, sizeof(known));
		resp = ctl_proto_error(id, "unknown command '%s' (known: %s)", name, known);
	}
free_req:
	json_decref(req);
	return resp;
}

char *
ctl_proto_dump(json_t *resp, size_t *len)
{
	char *s = json_dumps(resp, JSON_COMPACT), *line;
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	line = realloc(s, n + 2);
	if (line == NULL) {
		free(s);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	*len = n + 1;
	return line;
}
