/* SPDX-License-Identifier: BSD-3-Clause
 * nfvctl - control socket client (protocol v1, docs/control.md).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "nfvctl.h"

#define CLIENT_PROTO_VERSION 1
#define CLIENT_RESP_MAX (64u << 20)

int
nfvctl_client_open(struct nfvctl_client *c, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int e;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->next_id = 1;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "cannot connect to %s: path too long", path);
		return -ENAMETOOLONG;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		e = errno;
		snprintf(err, errlen, "socket: %s", strerror(e));
		return -e;
	}
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = errno;
		snprintf(err, errlen, "cannot connect to %s: %s (is nfvd running?)", path,
			 strerror(e));
		close(c->fd);
		c->fd = -1;
		return -e;
	}
	return 0;
}

void
nfvctl_client_close(struct nfvctl_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

static int
client_send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read one line (without its newline) into a new NUL-terminated string. */
static int
client_read_line(struct nfvctl_client *c, char **line)
{
	for (;;) {
		char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
		ssize_t r;

		if (nl != NULL) {
			size_t n = (size_t)(nl - c->buf);

			*line = strndup(c->buf, n);
			memmove(c->buf, nl + 1, c->len - n - 1);
			c->len -= n + 1;
			return *line ? 0 : -ENOMEM;
		}
		if (c->len >= CLIENT_RESP_MAX)
			return -EMSGSIZE;
		if (c->cap - c->len < 4096) {
			size_t ncap = c->cap ? c->cap * 2 : 65536;
			char *nb = realloc(c->buf, ncap);

			if (nb == NULL)
				return -ENOMEM;
			c->buf = nb;
			c->cap = ncap;
		}
		r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -ECONNRESET;
		c->len += (size_t)r;
	}
}

int
nfvctl_client_call(struct nfvctl_client *c, const char *cmd, json_t *args, json_t **result,
		   json_t **response, char *err, size_t errlen)
{
	json_t *req, *resp;
	json_error_t jerr;
	char *text, *line = NULL;
	long id = c->next_id++;
	int ret;

	*result = NULL;
	if (response)
		*response = NULL;
	req = json_pack("{s:i, s:I, s:s, s:o}", "v", CLIENT_PROTO_VERSION, "id", (json_int_t)id,
			"cmd", cmd, "args", args ? json_incref(args) : json_object());
	text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (text == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = client_send_all(c->fd, text, strlen(text));
	if (ret == 0)
		ret = client_send_all(c->fd, "\n", 1);
	free(text);
	if (ret < 0) {
		snprintf(err, errlen, "sending to nfvd: %s", strerror(-ret));
		return ret;
	}
	do {
		ret = client_read_line(c, &line);
		if (ret < 0) {
			snprintf(err, errlen, "reading from nfvd: %s",
				 ret == -ECONNRESET ? "connection closed by nfvd" : strerror(-ret));
			return ret;
		}
		resp = json_loads(line, 0, &jerr);
		free(line);
		if (resp == NULL) {
			snprintf(err, errlen, "nfvd sent malformed JSON: %s", jerr.text);
			return -EPROTO;
		}
		/* a notice with a null id (e.g. too many clients) answers us too */
		if (json_is_null(json_object_get(resp, "id")) ||
		    json_integer_value(json_object_get(resp, "id")) == id)
			break;
		json_decref(resp);
	} while (1);

	if (!json_is_true(json_object_get(resp, "ok"))) {
		const char *e = json_string_value(json_object_get(resp, "error"));

		snprintf(err, errlen, "%s", e ? e : "request failed (no reason given)");
		if (response)
			*response = resp;
		else
			json_decref(resp);
		return -EPROTO;
	}
	*result = json_incref(json_object_get(resp, "result"));
	if (*result == NULL)
		*result = json_object();
	if (response)
		*response = resp;
	else
		json_decref(resp);
	return 0;
}

int
nfvctl_call(const char *cmd, json_t *args, json_t **result)
{
	struct nfvctl_client c;
	json_t *resp = NULL, *e;
	char err[1024];
	size_t i;
	int ret;

	*result = NULL;
	ret = nfvctl_client_open(&c, nfvctl_socket(), err, sizeof(err));
	if (ret == 0)
		ret = nfvctl_client_call(&c, cmd, args, result, &resp, err, sizeof(err));
	nfvctl_client_close(&c);
	if (ret == 0) {
		json_decref(resp);
		return 0;
	}
	json_array_foreach(json_object_get(resp, "errors"), i, e)
		fprintf(stderr, "%s\n", json_string_value(e) ? json_string_value(e) : "?");
	fprintf(stderr, "nfvctl: %s\n", err);
	json_decref(resp);
	return 1;
}

int
nfvctl_call_print(const char *cmd, json_t *args)
{
	json_t *res;
	int ret;

	ret = nfvctl_call(cmd, args, &res);
	json_decref(args);
	if (ret != 0)
		return ret;
	nfvctl_print(stdout, res);
	json_decref(res);
	return 0;
}
