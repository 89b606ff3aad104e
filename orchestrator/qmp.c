/* SPDX-License-Identifier: BSD-3-Clause
 * nfvctl - minimal QMP client.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "qmp.h"

static long long
qmp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Next JSON line from QEMU into *out (decref'ed by caller). */
static int
qmp_read_msg(struct qmp *q, json_t **out, long long deadline)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);
		struct pollfd pfd = {.fd = q->fd, .events = POLLIN};
		long long left;
		ssize_t r;

		if (nl != NULL) {
			size_t n = (size_t)(nl - q->buf) + 1;

			*out = json_loadb(q->buf, n, 0, NULL);
			memmove(q->buf, q->buf + n, q->len - n);
			q->len -= n;
			if (*out == NULL)
				return -EPROTO;
			return 0;
		}
		if (q->len == sizeof(q->buf))
			return -EMSGSIZE;
		left = deadline - qmp_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		r = read(q->fd, q->buf + q->len, sizeof(q->buf) - q->len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EPIPE;
		q->len += (size_t)r;
	}
}

int
qmp_open(struct qmp *q, const char *path, int timeout_ms)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	json_t *greet = NULL;
	char err[128];
	int ret;

	q->fd = -1;
	q->len = 0;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->fd < 0)
		return -errno;
	if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		goto close_fd;
	}
	ret = qmp_read_msg(q, &greet, qmp_now_ms() + timeout_ms);
	if (ret < 0)
		goto close_fd;
	if (json_object_get(greet, "QMP") == NULL) {
		json_decref(greet);
		ret = -EPROTO;
		goto close_fd;
	}
	json_decref(greet);
	ret = qmp_exec(q, "qmp_capabilities", NULL, NULL, timeout_ms, err, sizeof(err));
	if (ret < 0)
		goto close_fd;
	return 0;

close_fd:
	close(q->fd);
	q->fd = -1;
	return ret;
}

void
qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	q->len = 0;
}

int
qmp_exec(struct qmp *q, const char *cmd, json_t *args, json_t **ret, int timeout_ms,
	 char *err, size_t errlen)
{
	long long deadline = qmp_now_ms() + timeout_ms;
	json_t *req = json_pack("{s:s}", "execute", cmd);
	char *text;
	size_t len, off = 0;
	int rc;

	if (ret != NULL)
		*ret = NULL;
	if (q->fd < 0) {
		json_decref(args);
		json_decref(req);
		return -ENOTCONN;
	}
	if (args != NULL)
		json_object_set_new(req, "arguments", args);
	text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (text == NULL)
		return -ENOMEM;
	len = strlen(text);
	while (off < len) {
		ssize_t w = send(q->fd, text + off, len - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = -errno;
			free(text);
			return rc;
		}
		off += (size_t)w;
	}
	free(text);
	for (;;) {
		json_t *msg = NULL;
		json_t *v;

		rc = qmp_read_msg(q, &msg, deadline);
		if (rc < 0)
			return rc;
		if ((v = json_object_get(msg, "return")) != NULL) {
			if (ret != NULL)
				*ret = json_incref(v);
			json_decref(msg);
			return 0;
		}
		if ((v = json_object_get(msg, "error")) != NULL) {
			snprintf(err, errlen, "%s: %s", cmd,
				 json_string_value(json_object_get(v, "desc")) ?: "error");
			json_decref(msg);
			return -EIO;
		}
		json_decref(msg); /* an event */
	}
}

int
qmp_query_status(struct qmp *q, char *status, size_t size, int timeout_ms)
{
	json_t *r = NULL;
	char err[128];
	int ret;

	ret = qmp_exec(q, "query-status", NULL, &r, timeout_ms, err, sizeof(err));
	if (ret < 0)
		return ret;
	snprintf(status, size, "%s", json_string_value(json_object_get(r, "status")) ?: "?");
	json_decref(r);
	return 0;
}
