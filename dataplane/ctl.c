/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - control socket server (protocol v1, see docs/control.md).
 *
 * Runs on the control thread only, driven by nfv_ctl_poll() from the main
 * loop: one poll() with a zero timeout, then non-blocking accept/recv/send.
 * Nothing here ever waits for a client. Framing and dispatch live in
 * ctl_proto.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_version.h>

#include "ctl_proto.h"
#include "engine.h"
#include "vnf.h"

#define CTL_MAX_CLIENTS 64
#define CTL_IDLE_MS 10000    /* no request and no progress: closed */
#define CTL_REQ_MS 10000     /* a request line must be complete this long after its first byte */
#define CTL_SLOW_MS 10000    /* answers held back (CTL_OUT_HIGH) and not all read this long */
#define CTL_EVICT_MS 1000    /* table full: a client quiet this long makes room for a new one */
#define CTL_OUT_HIGH (4u << 20)	     /* no more answers while this much waits to be sent */
#define CTL_OUT_KEEP (64u << 10)     /* output buffer kept when drained */
#define CTL_READ_BUDGET (512u << 10) /* per client per poll */
#define CTL_BACKLOG 128

/* Why connections were closed (status: control.closed). */
#define CTL_CLOSE_REASONS(X)                                                                    \
	X(CTL_CLOSE_DONE, "done")		  /* the client hung up, or after its last answer */ \
	X(CTL_CLOSE_IDLE, "idle")		  /* nothing sent, nothing read for CTL_IDLE_MS */    \
	X(CTL_CLOSE_SLOW_REQUEST, "slow_request") /* a request line took over CTL_REQ_MS */       \
	X(CTL_CLOSE_SLOW_READER, "slow_reader")	  /* answers held back, not drained in CTL_SLOW_MS */\
	X(CTL_CLOSE_TOO_LARGE, "too_large")	  /* a request line over CTL_REQ_MAX */            \
	X(CTL_CLOSE_EVICTED, "evicted")		  /* quiet while the table was full */             \
	X(CTL_CLOSE_REFUSED, "refused")		  /* table full of busy clients */                 \
	X(CTL_CLOSE_ERROR, "error")		  /* socket error, out of memory */
#define CTL_ENUM(e, s) e,
#define CTL_NAME(e, s) s,
enum ctl_close { CTL_CLOSE_REASONS(CTL_ENUM) CTL_CLOSE_MAX };
static const char *const ctl_close_names[] = {CTL_CLOSE_REASONS(CTL_NAME)};

struct ctl_conn {
	int fd;
	uint64_t serial; /* identifies the client to a deferred answer */
	struct ctl_framer in;
	char *out;
	size_t out_off, out_len, out_cap;
	json_t *deferred; /* response of a request answered later (apply) */
	uint64_t last_ms;  /* last progress (bytes in or out) */
	uint64_t req_ms;   /* first byte of the incomplete request line (0: none) */
	uint64_t stall_ms; /* answers held back since, output not drained since (0: not) */
	bool eof;	   /* the peer finished sending */
	bool closing;	   /* close once the output is flushed */
	enum ctl_close close_why;
};

struct ctl_server {
	int lfd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	unsigned int n_conns;
	uint64_t next_serial;
	uint64_t accepted;
	uint64_t closed[CTL_CLOSE_MAX];
	struct ctl_conn conns[CTL_MAX_CLIENTS];
	struct pollfd pfd[CTL_MAX_CLIENTS + 1];
};

static struct ctl_server ctl_srv = {.lfd = -1};
/* the client whose request is being handled (for deferred answers) */
static struct ctl_conn *ctl_cur;

static json_t *
ctl_stats_json(void)
{
	struct ctl_server *s = &ctl_srv;
	json_t *o = json_object(), *closed = json_object();

	for (int k = 0; k < CTL_CLOSE_MAX; k++)
		json_object_set_new(closed, ctl_close_names[k], json_integer(s->closed[k]));
	json_object_set_new(o, "clients", json_integer(s->n_conns));
	json_object_set_new(o, "max_clients", json_integer(CTL_MAX_CLIENTS));
	json_object_set_new(o, "accepted", json_integer(s->accepted));
	json_object_set_new(o, "closed", closed);
	json_object_set_new(o, "apply_in_progress", json_boolean(nfv_engine_apply_busy()));
	return o;
}

/* ---- commands ---- */

static int
ctl_cmd_version(json_t *args, json_t **result, json_t **extra, char *err, size_t errlen)
{
	(void)args, (void)extra, (void)err, (void)errlen;
	*result = json_pack("{s:i, s:s, s:s}", "protocol", CTL_PROTO_VERSION, "nfvd", NFV_VERSION,
			    "dpdk", rte_version());
	return *result ? 0 : -ENOMEM;
}

static int
ctl_cmd_status(json_t *args, json_t **result, json_t **extra, char *err, size_t errlen)
{
	(void)args, (void)extra, (void)err, (void)errlen;
	*result = nfv_engine_status();
	if (*result == NULL)
		return -ENOMEM;
	json_object_set_new(*result, "control", ctl_stats_json());
	return 0;
}

static int
ctl_cmd_stats(json_t *args, json_t **result, json_t **extra, char *err, size_t errlen)
{
	(void)args, (void)extra, (void)err, (void)errlen;
	*result = nfv_engine_stats();
	return *result ? 0 : -ENOMEM;
}

static struct ctl_conn *ctl_conn_by_serial(uint64_t serial);
static int ctl_conn_queue_resp(struct ctl_conn *c, json_t *resp);

/* The engine has finished (or aborted) the apply a client waits for. */
static void
ctl_apply_done(void *ctx, int ret, const char *path, json_t *errors, uint64_t generation)
{
	struct ctl_conn *c = ctl_conn_by_serial((uint64_t)(uintptr_t)ctx);
	json_t *result = NULL, *extra = NULL, *resp;
	char err[1024] = "";

	if (c == NULL || c->deferred == NULL) { /* the client left */
		json_decref(errors);
		return;
	}
	if (ret == -ECANCELED) {
		snprintf(err, sizeof(err),
			 "apply of %s aborted: nfvd is stopping; the running chains are unchanged",
			 path);
		extra = json_pack("{s:o}", "errors", errors ? errors : json_array());
	} else if (ret < 0) {
		size_t n = json_array_size(errors);

		snprintf(err, sizeof(err),
			 "apply of %s refused (%zu error%s); the running chains are unchanged",
			 path, n, n == 1 ? "" : "s");
		extra = json_pack("{s:o}", "errors", errors ? errors : json_array());
	} else {
		json_decref(errors);
		result = json_pack("{s:s, s:I}", "applied", path, "generation",
				   (json_int_t)generation);
	}
	resp = ctl_proto_complete(c->deferred, ret, result, extra, err);
	c->deferred = NULL;
	c->last_ms = nfv_now_ms();
	if (ctl_conn_queue_resp(c, resp) < 0) {
		c->closing = true;
		c->close_why = CTL_CLOSE_ERROR;
	}
}

static int
ctl_cmd_apply(json_t *args, json_t **result, json_t **extra, char *err, size_t errlen)
{
	const char *path = json_string_value(json_object_get(args, "path"));
	int ret;

	(void)result, (void)extra;
	if (path == NULL) {
		snprintf(err, errlen, "apply needs args.path (an absolute file path)");
		return -EINVAL;
	}
	if (path[0] != '/') {
		snprintf(err, errlen, "apply: path must be absolute (got '%s')", path);
		return -EINVAL;
	}
	if (ctl_cur == NULL) {
		snprintf(err, errlen, "apply: no client");
		return -EINVAL;
	}
	/* read and checked on a loader thread; answered by ctl_apply_done */
	ret = nfv_engine_apply_start(path, ctl_apply_done, (void *)(uintptr_t)ctl_cur->serial,
				     err, errlen);
	return ret < 0 ? ret : CTL_DEFERRED;
}

static int
ctl_cmd_vnf(json_t *args, json_t **result, json_t **extra, char *err, size_t errlen)
{
	const char *instance = json_string_value(json_object_get(args, "instance"));
	const char *cls = json_string_value(json_object_get(args, "class"));
	const char *cmd = json_string_value(json_object_get(args, "cmd"));
	json_t *cargs = json_object_get(args, "args");
	int ret;

	(void)extra;
	if (cmd == NULL) {
		snprintf(err, errlen, "vnf needs args.cmd (a string)");
		return -EINVAL;
	}
	if (cargs != NULL && !json_is_object(cargs)) {
		snprintf(err, errlen, "vnf: args.args must be an object");
		return -EINVAL;
	}
	if (instance == NULL && cls == NULL) {
		snprintf(err, errlen, "vnf needs args.instance or args.class");
		return -EINVAL;
	}
	if (instance == NULL) {
		instance = nfv_engine_vnf_of_class(cls);
		if (instance == NULL) {
			snprintf(err, errlen, "no VNF of class '%s' is running", cls);
			return -ENOENT;
		}
	} else if (cls != NULL) {
		const char *have = nfv_engine_vnf_class(instance);

		if (have != NULL && strcmp(have, cls) != 0) {
			snprintf(err, errlen, "VNF '%s' is of class '%s', not '%s'", instance, have,
				 cls);
			return -EINVAL;
		}
	}
	if (cargs == NULL)
		cargs = json_object();
	else
		json_incref(cargs);
	*result = NULL;
	ret = nfv_engine_vnf_ctl(instance, cmd, cargs, result, err, errlen);
	json_decref(cargs);
	return ret;
}

static int
ctl_cmd_shutdown(json_t *args, json_t **result, json_t **extra, char *err, size_t errlen)
{
	(void)args, (void)extra, (void)err, (void)errlen;
	nfv_request_stop();
	*result = json_pack("{s:b}", "stopping", 1);
	return 0;
}

static json_t *
ctl_names(const char *const *names, uint16_t n)
{
	json_t *a = json_array();

	for (uint16_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(names[i]));
	return a;
}

static int
ctl_cmd_classes(json_t *args, json_t **result, json_t **extra, char *err, size_t errlen)
{
	json_t *a = json_array();

	(void)args, (void)extra, (void)err, (void)errlen;
	for (const struct vnf_class *c = vnf_class_next(NULL); c; c = vnf_class_next(c))
		json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:o, s:b}", "name", c->name,
						   "help", c->schema->help ? c->schema->help : "",
						   "counters",
						   ctl_names(c->counter_names, c->n_counters),
						   "drops", ctl_names(c->drop_names, c->n_drops),
						   "commands", c->ctl != NULL));
	*result = a;
	return 0;
}

/* trace: args.op start (chain, port, count, filter), show, stop */
static int
ctl_cmd_trace(json_t *args, json_t **result, json_t **extra, char *err, size_t errlen)
{
	const char *op = json_string_value(json_object_get(args, "op"));

	(void)extra;
	if (op == NULL) {
		snprintf(err, errlen, "trace needs args.op: start, show or stop");
		return -EINVAL;
	}
	if (strcmp(op, "start") == 0)
		return nfv_engine_trace_start(args, result, err, errlen);
	if (strcmp(op, "show") == 0)
		return nfv_engine_trace_show(result, err, errlen);
	if (strcmp(op, "stop") == 0)
		return nfv_engine_trace_stop(result, err, errlen);
	snprintf(err, errlen, "trace: unknown op '%s' (start, show or stop)", op);
	return -EINVAL;
}

static int
ctl_cmd_drops(json_t *args, json_t **result, json_t **extra, char *err, size_t errlen)
{
	(void)args, (void)extra, (void)err, (void)errlen;
	*result = nfv_engine_drops();
	return *result ? 0 : -ENOMEM;
}

static const struct ctl_cmd ctl_cmds[] = {
	{"version", ctl_cmd_version}, {"status", ctl_cmd_status}, {"stats", ctl_cmd_stats},
	{"apply", ctl_cmd_apply},     {"vnf", ctl_cmd_vnf},	  {"shutdown", ctl_cmd_shutdown},
	{"classes", ctl_cmd_classes}, {"trace", ctl_cmd_trace},	  {"drops", ctl_cmd_drops},
};

/* ---- connections ---- */

static size_t
ctl_conn_out_pending(const struct ctl_conn *c)
{
	return c->out_len - c->out_off;
}

static struct ctl_conn *
ctl_conn_by_serial(uint64_t serial)
{
	for (unsigned int i = 0; i < ctl_srv.n_conns; i++)
		if (ctl_srv.conns[i].fd >= 0 && ctl_srv.conns[i].serial == serial)
			return &ctl_srv.conns[i];
	return NULL;
}

static void
ctl_conn_close(struct ctl_conn *c, enum ctl_close why)
{
	if (c->fd >= 0) {
		close(c->fd);
		ctl_srv.closed[why]++;
	}
	c->fd = -1;
	ctl_framer_fini(&c->in);
	free(c->out);
	c->out = NULL;
	c->out_off = c->out_len = c->out_cap = 0;
	json_decref(c->deferred);
	c->deferred = NULL;
}

static int
ctl_conn_queue(struct ctl_conn *c, const char *data, size_t len)
{
	/* the sent part goes first: the buffer holds only what waits */
	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + len > c->out_cap) {
		size_t ncap = c->out_cap ? c->out_cap : 4096;
		char *nb;

		while (ncap < c->out_len + len)
			ncap *= 2;
		nb = realloc(c->out, ncap);
		if (nb == NULL)
			return -ENOMEM;
		c->out = nb;
		c->out_cap = ncap;
	}
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
	return 0;
}

static int
ctl_conn_queue_resp(struct ctl_conn *c, json_t *resp)
{
	size_t len;
	char *line;
	int ret;

	if (resp == NULL)
		return -ENOMEM;
	line = ctl_proto_dump(resp, &len);
	json_decref(resp);
	if (line == NULL)
		return -ENOMEM;
	ret = ctl_conn_queue(c, line, len);
	free(line);
	return ret;
}

/* Write what the socket takes now. Returns 0, or -errno when the peer is gone. */
static int
ctl_conn_flush(struct ctl_conn *c, uint64_t now)
{
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		c->out_off += (size_t)w;
		c->last_ms = now;
	}
	c->out_off = c->out_len = 0;
	if (c->out_cap > CTL_OUT_KEEP) { /* a big answer went out: give the memory back */
		free(c->out);
		c->out = NULL;
		c->out_cap = 0;
	}
	return 0;
}

static bool
ctl_line_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* Answer the complete requests held in the input buffer, in order, while
 * less than CTL_OUT_HIGH waits to be sent and no answer is deferred (the
 * rest stay in the buffer). */
static int
ctl_conn_answer(struct ctl_conn *c, uint64_t now)
{
	char *line;
	size_t len;

	while (!c->closing && c->deferred == NULL && ctl_conn_out_pending(c) < CTL_OUT_HIGH &&
	       ctl_framer_next(&c->in, c->eof, &line, &len) == 1) {
		json_t *resp;

		c->req_ms = 0;
		if (ctl_line_blank(line, len))
			continue;
		ctl_cur = c;
		resp = ctl_proto_handle(ctl_cmds, sizeof(ctl_cmds) / sizeof(ctl_cmds[0]), line,
					len);
		ctl_cur = NULL;
		if (resp == NULL)
			return -ENOMEM;
		if (ctl_proto_deferred(resp)) {
			c->deferred = resp;
			break;
		}
		if (ctl_conn_queue_resp(c, resp) < 0)
			return -ENOMEM;
	}
	if (ctl_conn_out_pending(c) >= CTL_OUT_HIGH && c->stall_ms == 0)
		c->stall_ms = now; /* answers held back until this client reads */
	if (c->closing || c->deferred != NULL || ctl_conn_out_pending(c) >= CTL_OUT_HIGH)
		return 0; /* complete lines may wait in the buffer */
	if (ctl_framer_overflow(&c->in)) {
		c->closing = true;
		c->close_why = CTL_CLOSE_TOO_LARGE;
		return ctl_conn_queue_resp(
			c, ctl_proto_error(NULL,
					   "request too large (limit %d bytes per line); closing",
					   CTL_REQ_MAX));
	}
	if (c->eof) {
		c->closing = true;
		return 0;
	}
	/* what is left is the start of a request line: its clock runs */
	if (ctl_framer_pending(&c->in) == 0)
		c->req_ms = 0;
	else if (c->req_ms == 0)
		c->req_ms = now;
	return 0;
}

static bool
ctl_conn_reading(const struct ctl_conn *c)
{
	return !c->closing && !c->eof && c->deferred == NULL &&
	       ctl_conn_out_pending(c) < CTL_OUT_HIGH;
}

/* Read what is there (bounded), answer it. Returns 0 or -errno to drop. */
static int
ctl_conn_read(struct ctl_conn *c, uint64_t now)
{
	size_t budget = CTL_READ_BUDGET;

	while (ctl_conn_reading(c) && budget > 0) {
		char *space;
		long room = ctl_framer_space(&c->in, &space);
		ssize_t r;

		if (room < 0)
			return (int)room;
		if (room == 0)
			break; /* full without a newline: ctl_conn_answer reports it */
		r = recv(c->fd, space, (size_t)room, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		if (r == 0)
			c->eof = true;
		c->last_ms = now;
		ctl_framer_commit(&c->in, (size_t)r);
		budget = (size_t)r < budget ? budget - (size_t)r : 0;
		if (ctl_conn_answer(c, now) < 0)
			return -ENOMEM;
	}
	return ctl_conn_answer(c, now);
}

/* Best effort one-line notice to a socket we are about to close. */
static void
ctl_notice(int fd, const char *msg)
{
	json_t *r = ctl_proto_error(NULL, "%s", msg);
	size_t len;
	char *line = r ? ctl_proto_dump(r, &len) : NULL;

	if (line != NULL && send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		errno = 0; /* the peer may already be gone: nothing to do */
	free(line);
	json_decref(r);
}

/* Close with a notice, when it would not cut an answer in two. */
static void
ctl_conn_drop(struct ctl_conn *c, enum ctl_close why, const char *msg)
{
	if (msg != NULL && c->fd >= 0 && ctl_conn_out_pending(c) == 0)
		ctl_notice(c->fd, msg);
	ctl_conn_close(c, why);
}

/* The table is full: the client quiet the longest (no answer waiting or
 * deferred, nothing received for CTL_EVICT_MS, or a request line started
 * that long ago) makes room. NULL when every client is busy. */
static struct ctl_conn *
ctl_pick_victim(struct ctl_server *s, uint64_t now)
{
	struct ctl_conn *best = NULL;
	uint64_t best_ms = UINT64_MAX;

	for (unsigned int i = 0; i < s->n_conns; i++) {
		struct ctl_conn *c = &s->conns[i];
		uint64_t since = c->req_ms ? c->req_ms : c->last_ms;

		if (c->fd < 0 || c->deferred != NULL || ctl_conn_out_pending(c) > 0)
			continue;
		if (now - since >= CTL_EVICT_MS && since < best_ms) {
			best = c;
			best_ms = since;
		}
	}
	return best;
}

/* The table is full: clients that hung up after their answers (the
 * hang-up not read yet: one-shot clients reconnecting faster than the
 * loop polls) are closed first; true when that made room. A peek, only
 * at clients with nothing pending. */
static bool
ctl_reap_hungup(struct ctl_server *s)
{
	unsigned int i, n;
	char b;

	for (i = 0; i < s->n_conns; i++) {
		struct ctl_conn *c = &s->conns[i];

		if (c->fd < 0 || c->deferred != NULL || ctl_conn_out_pending(c) > 0 ||
		    ctl_framer_pending(&c->in) > 0)
			continue;
		if (recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
			ctl_conn_close(c, CTL_CLOSE_DONE);
	}
	for (i = 0, n = 0; i < s->n_conns; i++)
		if (s->conns[i].fd >= 0)
			s->conns[n++] = s->conns[i];
	s->n_conns = n;
	return n < CTL_MAX_CLIENTS;
}

static void
ctl_accept(struct ctl_server *s, uint64_t now)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct ctl_conn *c;

		if (fd < 0)
			return; /* EAGAIN, or a transient error: try at the next poll */
		if (s->n_conns >= CTL_MAX_CLIENTS && !ctl_reap_hungup(s)) {
			char msg[128];

			c = ctl_pick_victim(s, now);
			if (c == NULL) {
				snprintf(msg, sizeof(msg), "too many clients (limit %d); try again",
					 CTL_MAX_CLIENTS);
				ctl_notice(fd, msg);
				close(fd);
				s->closed[CTL_CLOSE_REFUSED]++;
				continue;
			}
			snprintf(msg, sizeof(msg),
				 "closed to make room for a new client (limit %d clients)",
				 CTL_MAX_CLIENTS);
			ctl_conn_drop(c, CTL_CLOSE_EVICTED, msg);
		} else {
			c = &s->conns[s->n_conns++];
		}
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->serial = ++s->next_serial;
		ctl_framer_init(&c->in);
		c->last_ms = now;
		s->accepted++;
	}
}

/* The listening socket and what each client waits for: input while we
 * read its requests, output while answers wait to be sent. */
static unsigned int
ctl_fill_pfd(struct ctl_server *s, struct pollfd *pfd)
{
	pfd[0] = (struct pollfd){.fd = s->lfd, .events = POLLIN};
	for (unsigned int i = 0; i < s->n_conns; i++) {
		struct ctl_conn *c = &s->conns[i];
		short ev = 0;

		if (ctl_conn_reading(c))
			ev |= POLLIN;
		if (c->out_off < c->out_len)
			ev |= POLLOUT;
		pfd[i + 1] = (struct pollfd){.fd = c->fd, .events = ev};
	}
	return s->n_conns + 1;
}

unsigned int
nfv_ctl_wait_fds(struct pollfd *pfd, unsigned int max)
{
	struct ctl_server *s = &ctl_srv;

	if (s->lfd < 0 || max < s->n_conns + 1)
		return 0; /* no room: the caller's timeout still brings it back */
	return ctl_fill_pfd(s, pfd);
}

void
nfv_ctl_poll(void)
{
	struct ctl_server *s = &ctl_srv;
	uint64_t now;
	unsigned int i, n;

	if (s->lfd < 0)
		return;
	ctl_fill_pfd(s, s->pfd);
	n = s->n_conns;
	now = nfv_now_ms();
	if (poll(s->pfd, n + 1, 0) < 0)
		return;

	for (i = 0; i < n; i++) {
		struct ctl_conn *c = &s->conns[i];
		short re = s->pfd[i + 1].revents;
		int ret = 0;

		if (c->fd < 0)
			continue;
		if (re & (POLLIN | POLLHUP | POLLERR))
			ret = ctl_conn_read(c, now);
		if (ret == 0)
			ret = ctl_conn_flush(c, now);
		/* lines held back (output was full, an answer was deferred) */
		if (ret == 0 && c->deferred == NULL && (ctl_framer_pending(&c->in) > 0 || c->eof))
			ret = ctl_conn_answer(c, now);
		if (ret < 0) {
			ctl_conn_close(c, CTL_CLOSE_ERROR);
			continue;
		}
		if (c->closing && ctl_conn_out_pending(c) == 0) {
			ctl_conn_close(c, c->close_why); /* done with this one */
			continue;
		}
		if (ctl_conn_out_pending(c) == 0)
			c->stall_ms = 0; /* it has read everything: not slow */
		if (c->stall_ms && now - c->stall_ms >= CTL_SLOW_MS)
			ctl_conn_drop(c, CTL_CLOSE_SLOW_READER, NULL);
		else if (c->req_ms && now - c->req_ms >= CTL_REQ_MS)
			ctl_conn_drop(c, CTL_CLOSE_SLOW_REQUEST,
				      "request line not complete within 10 s; closing");
		else if (c->deferred == NULL && now - c->last_ms >= CTL_IDLE_MS)
			ctl_conn_drop(c, CTL_CLOSE_IDLE, "idle for 10 s; closing");
	}
	/* compact the table */
	for (i = 0, n = 0; i < s->n_conns; i++)
		if (s->conns[i].fd >= 0)
			s->conns[n++] = s->conns[i];
	s->n_conns = n;

	if (s->pfd[0].revents & POLLIN)
		ctl_accept(s, now);
}

/* ---- socket set-up ---- */

static int
ctl_mkdir_parent(const char *path, char *err, size_t errlen)
{
	char dir[sizeof(ctl_srv.path)];
	char *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (p == NULL || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char save = *p;

			*p = '\0';
			if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
				int e = errno;

				snprintf(err, errlen, "cannot create %s for the control socket: %s",
					 dir, strerror(e));
				return -e;
			}
			*p = save;
			if (save == '\0')
				break;
		}
	}
	return 0;
}

/* If path exists: refuse when a live nfvd answers there, remove it if stale. */
static int
ctl_check_existing(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;
	int fd, ret, e;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket; not touching it", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "socket: %s", strerror(e));
		return -e;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	close(fd);
	if (ret == 0 || e == EAGAIN || e == EINPROGRESS) {
		snprintf(err, errlen, "another nfvd is running on %s", path);
		return -EADDRINUSE;
	}
	if (e != ECONNREFUSED && e != ENOENT) {
		snprintf(err, errlen, "cannot check %s: %s", path, strerror(e));
		return -e;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		e = errno;
		snprintf(err, errlen, "cannot remove stale socket %s: %s", path, strerror(e));
		return -e;
	}
	return 0;
}

int
nfv_ctl_open(const char *path, char *err, size_t errlen)
{
	struct ctl_server *s = &ctl_srv;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	mode_t old_mask;
	int fd, ret, e;

	if (s->lfd >= 0) {
		snprintf(err, errlen, "control socket already open on %s", s->path);
		return -EALREADY;
	}
	if (path == NULL || path[0] == '\0') {
		snprintf(err, errlen, "no control socket path given");
		return -EINVAL;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket path too long (max %zu bytes): %s",
			 sizeof(sa.sun_path) - 1, path);
		return -ENAMETOOLONG;
	}
	ret = ctl_mkdir_parent(path, err, errlen);
	if (ret < 0)
		return ret;
	ret = ctl_check_existing(path, err, errlen);
	if (ret < 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "%s: %s", path, strerror(-ret));
		return ret;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "socket: %s", strerror(e));
		return -e;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	old_mask = umask(0177);
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	e = errno;
	umask(old_mask);
	if (ret < 0) {
		snprintf(err, errlen, "cannot bind control socket %s: %s", path, strerror(e));
		goto close_fd;
	}
	if (chmod(path, 0600) < 0 || listen(fd, CTL_BACKLOG) < 0) {
		e = errno;
		snprintf(err, errlen, "cannot listen on control socket %s: %s", path, strerror(e));
		goto unlink_path;
	}
	s->lfd = fd;
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->n_conns = 0;
	return 0;

unlink_path:
	unlink(path);
close_fd:
	close(fd);
	return -e;
}

void
nfv_ctl_close(void)
{
	struct ctl_server *s = &ctl_srv;

	if (s->lfd < 0)
		return;
	for (unsigned int i = 0; i < s->n_conns; i++) {
		/* last answers (e.g. to "shutdown", an aborted apply) go out if the
		 * socket takes them */
		ctl_conn_flush(&s->conns[i], nfv_now_ms());
		ctl_conn_close(&s->conns[i], CTL_CLOSE_DONE);
	}
	s->n_conns = 0;
	close(s->lfd);
	s->lfd = -1;
	unlink(s->path);
}
