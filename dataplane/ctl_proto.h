/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - control protocol v1 framing and request handling, without sockets.
 *
 * Newline-delimited JSON. A request is one line:
 *   {"v":1,"id":7,"cmd":"stats","args":{...}}
 * and gets one response line:
 *   {"v":1,"id":7,"ok":true,"result":...}
 *   {"v":1,"id":7,"ok":false,"error":"readable reason"}
 * See docs/control.md. ctl.c moves bytes between sockets and this module;
 * the unit test feeds bytes straight in.
 */
#ifndef NFV_CTL_PROTO_H
#define NFV_CTL_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define CTL_PROTO_VERSION 1
#define CTL_REQ_MAX (256 * 1024) /* longest request line, newline excluded */

/* A command handler: args is the request's "args" object (never NULL, may be
 * empty). On success return 0 and set *result (a new reference, or NULL for
 * {}). On failure return -errno and write the reason into err; it may set
 * *extra to an object whose fields are added to the error response (e.g.
 * "errors": [...]). Returning CTL_DEFERRED means the answer comes later:
 * ctl_proto_handle() then returns a response without "ok" (see
 * ctl_proto_deferred) that the caller completes with ctl_proto_complete(). */
#define CTL_DEFERRED 1
struct ctl_cmd {
	const char *name;
	int (*run)(json_t *args, json_t **result, json_t **extra, char *err, size_t errlen);
};

/* Input framing of one connection: bytes in, complete lines out. The buffer
 * never grows past CTL_REQ_MAX + 1 bytes. */
struct ctl_framer {
	char *buf;
	size_t off;  /* start of the unconsumed bytes */
	size_t len;  /* bytes held */
	size_t cap;  /* allocated */
	size_t scan; /* bytes already known to hold no newline */
};

void ctl_framer_init(struct ctl_framer *f);
void ctl_framer_fini(struct ctl_framer *f);
/* Writable space at the end of the buffer (grows it as needed, up to the
 * limit). Returns its size (0 when a line already fills the limit: see
 * ctl_framer_overflow) or -ENOMEM; *space points to it. */
long ctl_framer_space(struct ctl_framer *f, char **space);
/* n bytes were written into the space returned above. */
void ctl_framer_commit(struct ctl_framer *f, size_t n);
/* Copy bytes in; returns how many were taken (less than len when the
 * buffer is full: take lines out, then feed the rest). */
size_t ctl_framer_feed(struct ctl_framer *f, const void *data, size_t len);
/* Next complete line (without "\n" or "\r\n", NUL terminated, valid until
 * the next framer call). Returns 1 with *line and *len, 0 if none. At
 * end of input (eof true) a last unterminated line is returned too. */
int ctl_framer_next(struct ctl_framer *f, bool eof, char **line, size_t *len);
/* Bytes held that ctl_framer_next has not handed out (complete lines and
 * the partial one). */
size_t ctl_framer_pending(const struct ctl_framer *f);
/* True when the pending partial line is longer than CTL_REQ_MAX. */
bool ctl_framer_overflow(const struct ctl_framer *f);

/* Handle one request line against a command table. Always returns a
 * response object (new reference), NULL only when out of memory. */
json_t *ctl_proto_handle(const struct ctl_cmd *cmds, size_t n_cmds, const char *line, size_t len);
/* True for the response of a deferred command (no "ok" yet). */
bool ctl_proto_deferred(json_t *resp);
/* Fill a response object (from ctl_proto_handle, deferred or not) with the
 * outcome: ret < 0 with err and extra fields, else result. Steals result
 * and extra; returns resp (NULL if resp was NULL). */
json_t *ctl_proto_complete(json_t *resp, int ret, json_t *result, json_t *extra,
			   const char *err);
/* Error response with a null id (for "request too large", "too many clients"). */
json_t *ctl_proto_error(json_t *id, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Serialise a response as one line with its newline; *len excludes the
 * NUL. Returns malloc'd text (free()) or NULL. */
char *ctl_proto_dump(json_t *resp, size_t *len);

#endif /* NFV_CTL_PROTO_H */
