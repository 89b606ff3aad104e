/* SPDX-License-Identifier: BSD-3-Clause
 * nfvctl up: FRR's daemons (see frr.h and docs/router.md "FRR").
 *
 * Layout, for pathspace P (several instances coexist, one per pathspace):
 *   <run dir>/P/frr.conf     the chain file's config: (copied) or config-text:
 *   <run dir>/P/vtysh.conf   "service integrated-vtysh-config"
 *   <run dir>/P/<daemon>.log each daemon's output (--log stdout)
 *   /var/run/frr/P/          FRR's own: pid files, vty sockets, zserv.api
 * so `vtysh -N P` works as with any FRR path space. The daemons run in
 * the foreground as our children (their own -u frr), read no file
 * themselves (-f /dev/null: the run dir may be unreadable to user frr);
 * the configuration reaches them through vtysh -b --config_dir, which is
 * what FRR's own init script does. zebra gets "fpm address" first.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "frr.h"
#include "vm.h"

#define FRR_WAIT_MS 30000
#define FRR_STOP_MS 5000
#define FRR_BACKOFF_MIN_MS 500
#define FRR_BACKOFF_MAX_MS 10000
#define FRR_STABLE_MS 30000
#define FRR_RUN_ROOT "/var/run/frr"

static int
frr_write_file(const char *path, const char *text, size_t len, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);

	if (fd < 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -errno;
	}
	while (len > 0) {
		ssize_t w = write(fd, text, len);

		if (w < 0) {
			int e = errno;

			close(fd);
			snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
			return -e;
		}
		text += w;
		len -= (size_t)w;
	}
	close(fd);
	return 0;
}

static char *
frr_read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "re");
	char *buf = NULL;
	long n;

	if (fp == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 && n <= (8 << 20) &&
	    fseek(fp, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
		*len = fread(buf, 1, (size_t)n, fp);
		buf[*len] = '\0';
	}
	fclose(fp);
	return buf;
}

/* Run argv to completion, its output into out (may be NULL); exit status
 * or -errno */
static int
frr_run(char *const argv[], const char *out, int timeout_ms)
{
	pid_t pid = fork();
	uint64_t end;
	int st;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0640);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		close_range(3, ~0U, 0);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	end = vm_now_ms() + (uint64_t)timeout_ms;
	while (waitpid(pid, &st, WNOHANG) != pid) {
		if (vm_now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return -ETIMEDOUT;
		}
		usleep(20000);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* vtysh -N P --config_dir DIR plus args; its output into <conf_dir>/log */
static int
frr_vtysh(struct frr_sup *f, const char *a1, const char *a2, const char *a3, const char *log)
{
	char out[sizeof(f->conf_dir) + 32];
	char *argv[12];
	int n = 0;

	snprintf(out, sizeof(out), "%s/%s", f->conf_dir, log);
	argv[n++] = (char *)"vtysh";
	argv[n++] = (char *)"-N";
	argv[n++] = (char *)f->c->pathspace;
	argv[n++] = (char *)"--config_dir";
	argv[n++] = f->dir;
	if (a1)
		argv[n++] = (char *)a1;
	if (a2)
		argv[n++] = (char *)a2;
	if (a3)
		argv[n++] = (char *)a3;
	argv[n] = NULL;
	return frr_run(argv, out, 30000);
}

/* A daemon of the pathspace runs already (a pid file naming a live one) */
static pid_t
frr_running(const char *vty_dir, const char *name)
{
	char path[NFV_PATH_MAX + 64], buf[32];
	size_t len = 0;
	char *text;
	long pid;

	snprintf(path, sizeof(path), "%s/%s.pid", vty_dir, name);
	text = frr_read_file(path, &len);
	if (text == NULL)
		return 0;
	snprintf(buf, sizeof(buf), "%s", text);
	free(text);
	pid = strtol(buf, NULL, 10);
	if (pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno == ESRCH))
		return 0;
	return (pid_t)pid;
}

int
frr_prepare(struct frr_sup *f, const struct nfv_frr_conf *c, const char *up_run_dir, char *err,
	    size_t errlen)
{
	char path[sizeof(f->conf_dir) + 32], *text = NULL;
	char fpm_addr[64], *colon;
	static const char vtysh_conf[] = "service integrated-vtysh-config\n";
	size_t len = 0;
	int ret;

	memset(f, 0, sizeof(*f));
	f->c = c;
	f->guard = -1;
	f->guard_fd = -1;
	if (c->run_dir[0] != '\0')
		snprintf(f->dir, sizeof(f->dir), "%s", c->run_dir);
	else
		snprintf(f->dir, sizeof(f->dir), "%s/frr", up_run_dir);
	snprintf(f->conf_dir, sizeof(f->conf_dir), "%s/%s", f->dir, c->pathspace);
	snprintf(f->vty_dir, sizeof(f->vty_dir), "%s/%s", FRR_RUN_ROOT, c->pathspace);
	for (uint16_t i = 0; i < c->n_daemons; i++) {
		pid_t other = frr_running(f->vty_dir, c->daemons[i]);

		if (other > 0) {
			snprintf(err, errlen,
				 "FRR pathspace %s is in use: %s runs (pid %d, %s/%s.pid); another "
				 "nfvctl up? (frr: pathspace:)",
				 c->pathspace, c->daemons[i], (int)other, f->vty_dir, c->daemons[i]);
			return -EBUSY;
		}
	}
	if ((mkdir(f->dir, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(f->conf_dir, 0755) < 0 && errno != EEXIST)) {
		snprintf(err, errlen, "cannot create %s: %s", f->conf_dir, strerror(errno));
		return -errno;
	}
	if (c->config_text != NULL) {
		text = strdup(c->config_text);
		len = text ? strlen(text) : 0;
	} else {
		text = frr_read_file(c->config, &len);
		if (text == NULL) {
			snprintf(err, errlen, "cannot read the FRR configuration %s: %s", c->config,
				 strerror(errno ? errno : EIO));
			return -EIO;
		}
	}
	if (text == NULL)
		return -ENOMEM;
	/* zebra's FPM peer: nfvd (the user's own "fpm address" lines win, last) */
	snprintf(fpm_addr, sizeof(fpm_addr), "%s", c->fpm);
	colon = strrchr(fpm_addr, ':');
	if (colon != NULL) {
		char head[NFV_PATH_MAX + 160], *full;

		*colon = '\0';
		snprintf(head, sizeof(head),
			 "! written by nfvctl up from %s\nfpm address %.*s port %s\n",
			 c->config_text ? "frr: config-text" : c->config,
			 (int)(fpm_addr[0] == '[' ? strlen(fpm_addr) - 2 : strlen(fpm_addr)),
			 fpm_addr[0] == '[' ? fpm_addr + 1 : fpm_addr, colon + 1);
		full = malloc(strlen(head) + len + 2);
		if (full == NULL) {
			free(text);
			return -ENOMEM;
		}
		sprintf(full, "%s%s\n", head, text);
		free(text);
		text = full;
		len = strlen(full);
	}
	snprintf(path, sizeof(path), "%s/frr.conf", f->conf_dir);
	ret = frr_write_file(path, text, len, err, errlen);
	free(text);
	if (ret < 0)
		return ret;
	snprintf(path, sizeof(path), "%s/vtysh.conf", f->conf_dir);
	ret = frr_write_file(path, vtysh_conf, sizeof(vtysh_conf) - 1, err, errlen);
	if (ret < 0)
		return ret;
	/* FRR's own check of its language, before anything starts */
	ret = frr_vtysh(f, "-C", NULL, NULL, "vtysh-check.log");
	if (ret != 0) {
		char *out;

		snprintf(path, sizeof(path), "%s/vtysh-check.log", f->conf_dir);
		out = frr_read_file(path, &len);
		snprintf(err, errlen, "FRR refuses the configuration %s (vtysh -C: %s): %s",
			 c->config_text ? "frr: config-text" : c->config,
			 ret < 0 ? strerror(-ret) : "exit status", out ? out : "");
		free(out);
		return -EINVAL;
	}
	f->n = c->n_daemons;
	for (uint16_t i = 0; i < f->n; i++) {
		snprintf(f->d[i].name, sizeof(f->d[i].name), "%s", c->daemons[i]);
		f->d[i].pid = -1;
		f->d[i].backoff_ms = FRR_BACKOFF_MIN_MS;
	}
	return 0;
}

/* What FRR leaves of our daemons in its pathspace folder, then the folder */
static void
frr_remove_files(const struct frr_sup *f)
{
	char p[NFV_PATH_MAX + 64];

	for (uint16_t i = 0; i < f->n; i++) {
		snprintf(p, sizeof(p), "%s/%s.pid", f->vty_dir, f->d[i].name);
		unlink(p);
		snprintf(p, sizeof(p), "%s/%s.vty", f->vty_dir, f->d[i].name);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/zserv.api", f->vty_dir);
	unlink(p);
	rmdir(f->vty_dir);
}

/* The guard: in its own process group, which the daemons join; when the
 * pipe from nfvctl up closes (nfvctl up exited, however), it stops them. */
static int
frr_guard_start(struct frr_sup *f, char *err, size_t errlen)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	if (pid == 0) {
		char c;

		setpgid(0, 0);
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		if (fds[0] != 3) {
			dup2(fds[0], 3);
			fds[0] = 3;
		}
		close_range(4, ~0U, 0); /* the write end, nfvctl up's lock and sockets */
		while (read(fds[0], &c, 1) != 0 && errno == EINTR)
			;
		kill(0, SIGTERM); /* the daemons of our group */
		for (int i = 0; i < 30; i++)
			usleep(100000);
		frr_remove_files(f);
		kill(0, SIGKILL); /* what is left, and the guard */
		_exit(0);
	}
	setpgid(pid, pid);
	close(fds[0]);
	f->guard = pid;
	f->guard_fd = fds[1];
	return 0;
}

static int
frr_spawn(struct frr_sup *f, struct frr_daemon *d)
{
	char bin[NFV_PATH_MAX + NFV_FRR_DAEMON_MAX + 1], log[sizeof(f->conf_dir) + 32];
	pid_t pid;

	snprintf(bin, sizeof(bin), "%s/%s", f->c->bin_dir, d->name);
	snprintf(log, sizeof(log), "%s/%s.log", f->conf_dir, d->name);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char *argv[16];
		int n = 0, fd;

		setpgid(0, f->guard);
		signal(SIGINT, SIG_IGN); /* Ctrl-C is nfvctl up's to handle */
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0640);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0)
			dup2(fd, 0);
		close_range(3, ~0U, 0); /* nfvctl up's lock, sockets, the guard pipe */
		argv[n++] = bin;
		argv[n++] = (char *)"-N";
		argv[n++] = (char *)f->c->pathspace;
		argv[n++] = (char *)"-f";
		argv[n++] = (char *)"/dev/null";
		argv[n++] = (char *)"--log";
		argv[n++] = (char *)"stdout";
		if (strcmp(d->name, "zebra") == 0) {
			argv[n++] = (char *)"-M";
			argv[n++] = (char *)"dplane_fpm_nl";
		}
		argv[n] = NULL;
		execv(bin, argv);
		fprintf(stderr, "cannot run %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	setpgid(pid, f->guard);
	d->pid = pid;
	d->state = FRR_UP;
	d->configured = false;
	d->started_ms = vm_now_ms();
	return 0;
}

static bool
frr_sock_answers(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd, ok;

	if (strlen(path) >= sizeof(a.sun_path))
		return false;
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* d's vty socket answers (zebra: its zserv socket too) */
static bool
frr_daemon_ready(struct frr_sup *f, const struct frr_daemon *d)
{
	char p[NFV_PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s.vty", f->vty_dir, d->name);
	if (!frr_sock_answers(p))
		return false;
	if (strcmp(d->name, "zebra") != 0)
		return true;
	snprintf(p, sizeof(p), "%s/zserv.api", f->vty_dir);
	return frr_sock_answers(p);
}

static void
frr_exit_text(int st, char *buf, size_t len)
{
	if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d", WTERMSIG(st));
	else
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
}

static int
frr_wait_ready(struct frr_sup *f, struct frr_daemon *d, char *err, size_t errlen)
{
	uint64_t end = vm_now_ms() + FRR_WAIT_MS;
	int st;

	while (vm_now_ms() < end) {
		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			char how[64];

			frr_exit_text(st, how, sizeof(how));
			d->pid = -1;
			d->state = FRR_OFF;
			snprintf(err, errlen, "FRR %s %s at start (its output: %s/%s.log)",
				 d->name, how, f->conf_dir, d->name);
			return -ECHILD;
		}
		if (frr_daemon_ready(f, d))
			return 0;
		usleep(50000);
	}
	snprintf(err, errlen, "FRR %s: no vty socket in %s after %d s (its output: %s/%s.log)",
		 d->name, f->vty_dir, FRR_WAIT_MS / 1000, f->conf_dir, d->name);
	return -ETIMEDOUT;
}

int
frr_start(struct frr_sup *f, char *err, size_t errlen)
{
	int ret;

	ret = frr_guard_start(f, err, errlen);
	if (ret < 0)
		return ret;
	/* zebra first: the others connect to its zserv socket */
	for (uint16_t i = 0; i < f->n; i++) {
		ret = frr_spawn(f, &f->d[i]);
		if (ret < 0) {
			snprintf(err, errlen, "FRR %s: fork: %s", f->d[i].name, strerror(-ret));
			goto stop;
		}
		ret = frr_wait_ready(f, &f->d[i], err, errlen);
		if (ret < 0)
			goto stop;
	}
	ret = frr_vtysh(f, "-b", NULL, NULL, "vtysh-boot.log");
	if (ret != 0) {
		char path[sizeof(f->conf_dir) + 32], *out;
		size_t len;

		snprintf(path, sizeof(path), "%s/vtysh-boot.log", f->conf_dir);
		out = frr_read_file(path, &len);
		snprintf(err, errlen, "vtysh -b could not apply %s/frr.conf: %s", f->conf_dir,
			 out ? out : "");
		free(out);
		ret = -EINVAL;
		goto stop;
	}
	for (uint16_t i = 0; i < f->n; i++)
		f->d[i].configured = true;
	return 0;
stop:
	frr_stop(f);
	return ret;
}

static void
frr_restart(struct frr_sup *f, struct frr_daemon *d, uint64_t now)
{
	d->restarts++;
	if (frr_spawn(f, d) < 0) {
		d->state = FRR_BACKOFF;
		d->next_ms = now + d->backoff_ms;
		return;
	}
	fprintf(stderr, "nfvctl: FRR %s restarted (pid %d)\n", d->name, (int)d->pid);
}

/* zebra is gone: FRR's daemons reconnect to a new zebra but do not hand it
 * their routes again (8.4: bgpd's and ospfd's routes never came back, and
 * nfvd dropped them at the FPM resync), so the others are restarted with
 * it, as watchfrr does: stopped now, started again once the new zebra is
 * configured. nfvd keeps forwarding on the routes of the lost session
 * (stale) until its resync. */
static void
frr_zebra_lost(struct frr_sup *f)
{
	for (uint16_t i = 0; i < f->n; i++) {
		struct frr_daemon *d = &f->d[i];

		if (strcmp(d->name, "zebra") == 0 || d->state == FRR_OFF)
			continue;
		d->after_zebra = true;
		if (d->state == FRR_UP && d->pid > 0) {
			fprintf(stderr, "nfvctl: FRR %s restarts with zebra\n", d->name);
			kill(d->pid, SIGTERM);
		}
	}
}

void
frr_poll(struct frr_sup *f)
{
	uint64_t now = vm_now_ms();

	for (uint16_t i = 0; i < f->n; i++) {
		struct frr_daemon *d = &f->d[i];
		int st;

		switch (d->state) {
		case FRR_UP:
			if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
				frr_exit_text(st, d->last_exit, sizeof(d->last_exit));
				d->pid = -1;
				if (now - d->started_ms >= FRR_STABLE_MS)
					d->backoff_ms = FRR_BACKOFF_MIN_MS;
				d->state = FRR_BACKOFF;
				d->next_ms = now + d->backoff_ms;
				fprintf(stderr,
					"nfvctl: FRR %s %s after %.1f s; restarting it in %.1f s "
					"(its output: %s/%s.log)\n",
					d->name, d->last_exit, (now - d->started_ms) / 1000.0,
					d->backoff_ms / 1000.0, f->conf_dir, d->name);
				d->backoff_ms = d->backoff_ms * 2 > FRR_BACKOFF_MAX_MS
							? FRR_BACKOFF_MAX_MS
							: d->backoff_ms * 2;
				if (strcmp(d->name, "zebra") == 0)
					frr_zebra_lost(f);
			} else if (!d->configured && frr_daemon_ready(f, d)) {
				/* a restarted daemon starts empty: its part of frr.conf */
				int ret = frr_vtysh(f, "-b", "-d", d->name, "vtysh-boot.log");

				d->configured = true;
				if (ret != 0)
					fprintf(stderr,
						"nfvctl: FRR %s: vtysh -b -d %s failed (%d); see "
						"%s/vtysh-boot.log\n",
						d->name, d->name, ret, f->conf_dir);
				if (strcmp(d->name, "zebra") == 0)
					for (uint16_t k = 0; k < f->n; k++)
						f->d[k].after_zebra = false;
			}
			break;
		case FRR_BACKOFF:
			if (now >= d->next_ms && !d->after_zebra)
				frr_restart(f, d, now);
			break;
		default:
			break;
		}
	}
}

void
frr_stop(struct frr_sup *f)
{
	uint64_t end;

	/* reverse order: zebra last (the others withdraw through it) */
	for (int i = (int)f->n - 1; i >= 0; i--) {
		struct frr_daemon *d = &f->d[i];
		int st;

		if (d->pid <= 0)
			continue;
		kill(d->pid, SIGTERM);
		end = vm_now_ms() + FRR_STOP_MS;
		while (waitpid(d->pid, &st, WNOHANG) != d->pid) {
			if (vm_now_ms() > end) {
				kill(d->pid, SIGKILL);
				waitpid(d->pid, &st, 0);
				break;
			}
			usleep(20000);
		}
		d->pid = -1;
		d->state = FRR_OFF;
	}
	if (f->guard_fd >= 0) {
		close(f->guard_fd);
		f->guard_fd = -1;
	}
	if (f->guard > 0) {
		kill(f->guard, SIGKILL);
		waitpid(f->guard, NULL, 0);
		f->guard = -1;
	}
	frr_remove_files(f);
}

json_t *
frr_json(const struct frr_sup *f)
{
	static const char *const names[] = {"off", "up", "backoff"};
	json_t *arr = json_array();

	for (uint16_t i = 0; i < f->n; i++) {
		const struct frr_daemon *d = &f->d[i];

		json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:I, s:s}", "name", d->name,
						     "state", names[d->state], "pid",
						     (json_int_t)d->pid, "restarts",
						     (json_int_t)d->restarts, "last_exit",
						     d->last_exit));
	}
	return json_pack("{s:s, s:s, s:s, s:o}", "pathspace", f->c->pathspace, "config_dir",
			 f->conf_dir, "vtysh", "vtysh -N <pathspace>", "daemons", arr);
}
