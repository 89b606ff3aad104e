/* SPDX-License-Identifier: BSD-3-Clause
 * nfvctl - control socket of the "nfvctl up" process.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vm_ctl.h"

#define VM_CTL_TIMEOUT_MS 60000 /* "down" waits for guests to stop */

void
vm_ctl_run_dir(const char *nfvd_socket, char *out, size_t size)
{
	const char *slash = strrchr(nfvd_socket, '/');

	if (slash == NULL)
		snprintf(out, size, ".");
	else if (slash == nfvd_socket)
		snprintf(out, size, "/");
	else
		snprintf(out, size, "%.*s", (int)(slash - nfvd_socket), nfvd_socket);
}

static int
vm_ctl_addr(const char *run_dir, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (snprintf(sa->sun_path, sizeof(sa->sun_path), "%s/%s", run_dir, VM_CTL_SOCKET) >=
	    (int)sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	return 0;
}

int
vm_ctl_request(const char *run_dir, json_t *req, json_t **result, char *err, size_t errlen)
{
	return vm_ctl_request_wait(run_dir, req, result, VM_CTL_TIMEOUT_MS, err, errlen);
}

int
vm_ctl_request_wait(const char *run_dir, json_t *req, json_t **result, int timeout_ms, char *err,
		    size_t errlen)
{
	struct sockaddr_un sa;
	char buf[65536];
	size_t len = 0;
	json_t *resp;
	char *text;
	int fd, ret;

	*result = NULL;
	if (vm_ctl_addr(run_dir, &sa) < 0) {
		snprintf(err, errlen, "run dir %s: path too long", run_dir);
		return -ENAMETOOLONG;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		snprintf(err, errlen, "no \"nfvctl up\" answers on %s: %s", sa.sun_path,
			 strerror(-ret));
		goto close_fd;
	}
	text = json_dumps(req, JSON_COMPACT);
	if (text == NULL || dprintf(fd, "%s\n", text) < 0) {
		free(text);
		ret = -EIO;
		snprintf(err, errlen, "cannot send to %s", sa.sun_path);
		goto close_fd;
	}
	free(text);
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t r;

		if (poll(&pfd, 1, timeout_ms) <= 0) {
			ret = -ETIMEDOUT;
			snprintf(err, errlen, "no answer from %s", sa.sun_path);
			goto close_fd;
		}
		r = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (r <= 0) {
			ret = -EPIPE;
			snprintf(err, errlen, "%s closed the connection", sa.sun_path);
			goto close_fd;
		}
		len += (size_t)r;
		if (memchr(buf, '\n', len) != NULL || len == sizeof(buf) - 1)
			break;
	}
	buf[len] = '\0';
	resp = json_loads(buf, JSON_DISABLE_EOF_CHECK, NULL);
	if (resp == NULL) {
		ret = -EPROTO;
		snprintf(err, errlen, "bad answer from %s", sa.sun_path);
		goto close_fd;
	}
	if (!json_is_true(json_object_get(resp, "ok"))) {
		snprintf(err, errlen, "%s",
			 json_string_value(json_object_get(resp, "error")) ?: "request failed");
		json_decref(resp);
		ret = -EPROTO;
		goto close_fd;
	}
	*result = json_incref(json_object_get(resp, "result"));
	json_decref(resp);
	ret = 0;
close_fd:
	close(fd);
	return ret;
}

int
vm_ctl_listen(const char *run_dir, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	int fd;

	if (vm_ctl_addr(run_dir, &sa) < 0) {
		snprintf(err, errlen, "run dir %s: path too long", run_dir);
		return -ENAMETOOLONG;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		snprintf(err, errlen, "another \"nfvctl up\" runs on %s", sa.sun_path);
		return -EADDRINUSE;
	}
	unlink(sa.sun_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0) {
		int e = errno;

		close(fd);
		snprintf(err, errlen, "cannot listen on %s: %s", sa.sun_path, strerror(e));
		return -e;
	}
	chmod(sa.sun_path, 0600);
	return fd;
}

void
vm_ctl_serve(int fd, vm_ctl_handler h, void *arg)
{
	for (;;) {
		struct pollfd pfd;
		char buf[4096];
		size_t len = 0;
		json_t *req, *resp;
		char *text;
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0)
			return;
		pfd.fd = c;
		pfd.events = POLLIN;
		while (len < sizeof(buf) - 1 && poll(&pfd, 1, 1000) > 0) {
			ssize_t r = read(c, buf + len, sizeof(buf) - 1 - len);

			if (r <= 0)
				break;
			len += (size_t)r;
			if (memchr(buf, '\n', len) != NULL)
				break;
		}
		buf[len] = '\0';
		req = json_loads(buf, JSON_DISABLE_EOF_CHECK, NULL);
		resp = req != NULL ? h(arg, req) :
				     json_pack("{s:b, s:s}", "ok", 0, "error", "bad request");
		text = json_dumps(resp, JSON_COMPACT);
		if (text != NULL)
			dprintf(c, "%s\n", text);
		free(text);
		json_decref(resp);
		json_decref(req);
		close(c);
	}
}

void
vm_ctl_unlisten(int fd, const char *run_dir)
{
	struct sockaddr_un sa;

	if (fd < 0)
		return;
	close(fd);
	if (vm_ctl_addr(run_dir, &sa) == 0)
		unlink(sa.sun_path);
}

/* ---- supervisor lock ---- */

static int
vm_ctl_lock_path(const char *run_dir, char *path, size_t size)
{
	if (snprintf(path, size, "%s/%s", run_dir, VM_CTL_LOCK) >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

/* Read "PID\nFILE\n" from fd. */
static void
vm_ctl_lock_read(int fd, long *pid, char *file, size_t filelen)
{
	char buf[4200], *nl;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	if (pid != NULL)
		*pid = strtol(buf, NULL, 10);
	if (file == NULL || filelen == 0)
		return;
	file[0] = '\0';
	nl = strchr(buf, '\n');
	if (nl != NULL) {
		char *end = strchr(nl + 1, '\n');

		if (end != NULL)
			*end = '\0';
		snprintf(file, filelen, "%s", nl + 1);
	}
}

int
vm_ctl_lock(const char *run_dir, const char *file, char *err, size_t errlen)
{
	char path[4200];
	int fd, e;

	if (vm_ctl_lock_path(run_dir, path, sizeof(path)) < 0) {
		snprintf(err, errlen, "run dir %s: path too long", run_dir);
		return -ENAMETOOLONG;
	}
	for (int tries = 0; tries < 10; tries++) {
		struct stat a, b;

		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0) {
			e = errno;
			snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
			return -e;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			long pid = 0;

			e = errno;
			vm_ctl_lock_read(fd, &pid, NULL, 0);
			close(fd);
			if (e == EWOULDBLOCK) {
				snprintf(err, errlen, "another \"nfvctl up\" (pid %ld) runs on %s",
					 pid, run_dir);
				return -EADDRINUSE;
			}
			snprintf(err, errlen, "cannot lock %s: %s", path, strerror(e));
			return -e;
		}
		/* the holder before us may have removed the file meanwhile */
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev) {
			if (ftruncate(fd, 0) < 0 ||
			    dprintf(fd, "%ld\n%s\n", (long)getpid(), file) < 0) {
				e = errno;
				close(fd);
				snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
				return -e;
			}
			return fd;
		}
		close(fd);
	}
	snprintf(err, errlen, "cannot lock %s: it keeps being replaced", path);
	return -EAGAIN;
}

void
vm_ctl_unlock(int fd, const char *run_dir)
{
	char path[4200];

	if (fd < 0)
		return;
	if (vm_ctl_lock_path(run_dir, path, sizeof(path)) == 0)
		unlink(path);
	close(fd);
}

int
vm_ctl_supervisor(const char *run_dir, long *pid, char *file, size_t filelen)
{
	char path[4200];
	int fd, alive;

	if (vm_ctl_lock_path(run_dir, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	vm_ctl_lock_read(fd, pid, file, filelen);
	alive = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return alive;
}
