/* SPDX-License-Identifier: BSD-3-Clause
 * nfvctl up FILE: bring a chain file up in the foreground - start nfvd when
 * none answers, boot and supervise the guests of runtime: vm VNFs, serve
 * "nfvctl vm ..." and "nfvctl down" on <run dir>/nfvctl-up.sock.
 * nfvctl down: stop the guests cleanly, then nfvd.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "frr.h"
#include "model.h"
#include "nfvctl.h"
#include "vm.h"
#include "vm_ctl.h"
#include "vmconf.h"

#define UP_POLL_US 100000
#define UP_NFVD_WAIT_MS 30000
#define UP_STOP_MS 6000
#define UP_NFVD_BACKOFF_MIN_MS 500
#define UP_NFVD_BACKOFF_MAX_MS 10000
#define UP_NFVD_STABLE_MS 30000 /* answering this long resets the backoff */
#define UP_NFVD_CHECK_MS 1000   /* liveness check of an adopted nfvd */
#define UP_NFVD_ARGS_MAX 56     /* argv of 64: nfvd, -s, SOCK, FILE, "--", NULL */

enum up_nfvd_state {
	UP_NFVD_UP,       /* answers (ours: nfvd_pid, adopted: nfvd_adopted) */
	UP_NFVD_STARTING, /* (re)started, not answering yet */
	UP_NFVD_BACKOFF,  /* a restart failed: next attempt at nfvd_next_ms */
};

struct up_state {
	struct nfv_config *cfg;
	char file[PATH_MAX];
	char socket[NFV_PATH_MAX];
	char run_dir[NFV_PATH_MAX];
	char nfvd_bin[PATH_MAX];
	pid_t nfvd_pid;       /* ours, or -1 */
	pid_t nfvd_adopted;   /* an nfvd that answered before we started, or -1 */
	enum up_nfvd_state nfvd_state;
	uint64_t nfvd_up_ms;       /* answering since */
	uint64_t nfvd_deadline_ms; /* STARTING: give up waiting for an answer */
	uint64_t nfvd_next_ms;     /* BACKOFF: next attempt; UP (adopted): next check */
	uint32_t nfvd_backoff_ms;
	uint32_t nfvd_failures;    /* failed restart attempts in a row */
	uint32_t nfvd_restarts;
	char nfvd_error[640];      /* why the last restart (attempt) happened/failed */
	int ctl_fd;
	int lock_fd;
	int n_nfvd_args;      /* extra nfvd options (after "--"), then
			       * "--" and EAL arguments (after the file) */
	char **nfvd_args;
	uint16_t n_guests;
	struct vm_guest guests[VM_MAX_GUESTS];
	struct frr_sup frr;   /* frr: FRR's daemons (orchestrator/frr.c) */
	bool frr_on;
	json_t *stats;        /* nfvd stats of this poll round (links) */
	bool stats_tried;
};

static volatile sig_atomic_t up_stop;

static void
up_on_signal(int sig)
{
	(void)sig;
	up_stop = 1;
}

/* ---- nfvd ---- */

/* Does nfvd answer "status" on socket? Its pid into *pid (may be NULL). */
static bool
up_nfvd_answers(const char *socket, pid_t *pid)
{
	struct nfvctl_client c;
	char err[256];
	json_t *r = NULL;
	bool ok;

	if (nfvctl_client_open(&c, socket, err, sizeof(err)) < 0)
		return false;
	ok = nfvctl_client_call(&c, "status", NULL, &r, NULL, err, sizeof(err)) == 0;
	if (ok && pid != NULL)
		*pid = (pid_t)json_integer_value(json_object_get(r, "pid"));
	json_decref(r);
	nfvctl_client_close(&c);
	return ok;
}

/* A process we did not fork: alive (a zombie is not)? */
static bool
up_pid_alive(pid_t pid)
{
	char path[64], buf[512], *paren;
	ssize_t n;
	int fd;

	if (pid <= 0 || (kill(pid, 0) < 0 && errno == ESRCH))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true; /* no /proc: kill() said it exists */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	return paren == NULL || (paren[1] != '\0' && paren[2] != 'Z' && paren[2] != 'X');
}

static void
up_find_nfvd(struct up_state *s, const char *given)
{
	char self[PATH_MAX];
	ssize_t n;

	if (given != NULL) {
		snprintf(s->nfvd_bin, sizeof(s->nfvd_bin), "%s", given);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;

		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash != NULL) {
			*slash = '\0';
			if (snprintf(s->nfvd_bin, sizeof(s->nfvd_bin), "%s/nfvd", self) <
				    (int)sizeof(s->nfvd_bin) &&
			    access(s->nfvd_bin, X_OK) == 0)
				return;
		}
	}
	snprintf(s->nfvd_bin, sizeof(s->nfvd_bin), "nfvd");
}

/* fork+exec nfvd on our file; does not wait for it. */
static int
up_fork_nfvd(struct up_state *s, char *why, size_t whylen)
{
	pid_t pid = fork();

	if (pid < 0) {
		int e = errno;

		snprintf(why, whylen, "fork: %s", strerror(e));
		return -e;
	}
	if (pid == 0) {
		char *argv[64];
		int n = 0;

		setpgid(0, 0);
		argv[n++] = s->nfvd_bin;
		argv[n++] = (char *)"-s";
		argv[n++] = s->socket;
		int i = 0;

		/* nfvd's options, the chain file, then what follows a second
		 * "--": EAL arguments (nfvd FILE -- EAL...); up_run bounds their count */
		for (; i < s->n_nfvd_args && strcmp(s->nfvd_args[i], "--") != 0; i++)
			argv[n++] = s->nfvd_args[i];
		argv[n++] = s->file;
		if (i < s->n_nfvd_args)
			for (argv[n++] = (char *)"--", i++; i < s->n_nfvd_args; i++)
				argv[n++] = s->nfvd_args[i];
		argv[n] = NULL;
		execvp(s->nfvd_bin, argv);
		fprintf(stderr, "nfvctl: cannot run %s: %s\n", s->nfvd_bin, strerror(errno));
		_exit(127);
	}
	s->nfvd_pid = pid;
	return 0;
}

static void
up_exit_reason(int st, char *why, size_t whylen, const char *what)
{
	if (WIFSIGNALED(st))
		snprintf(why, whylen, "killed by signal %d%s", WTERMSIG(st), what);
	else
		snprintf(why, whylen, "exited with status %d%s", WEXITSTATUS(st), what);
}

/* The first start, in the foreground: wait until nfvd answers. */
static int
up_spawn_nfvd(struct up_state *s)
{
	char why[640];
	uint64_t end;
	int ret;

	ret = up_fork_nfvd(s, why, sizeof(why));
	if (ret < 0) {
		fprintf(stderr, "nfvctl: %s\n", why);
		return ret;
	}
	end = vm_now_ms() + UP_NFVD_WAIT_MS;
	while (vm_now_ms() < end && !up_stop) {
		int st;

		if (waitpid(s->nfvd_pid, &st, WNOHANG) == s->nfvd_pid) {
			s->nfvd_pid = -1;
			up_exit_reason(st, why, sizeof(why), "");
			fprintf(stderr, "nfvctl: nfvd %s before it answered on %s\n", why,
				s->socket);
			return -ECHILD;
		}
		if (up_nfvd_answers(s->socket, NULL)) {
			s->nfvd_state = UP_NFVD_UP;
			s->nfvd_up_ms = vm_now_ms();
			return 0;
		}
		usleep(UP_POLL_US);
	}
	if (up_stop)
		return -EINTR;
	fprintf(stderr, "nfvctl: nfvd does not answer on %s after %d s\n", s->socket,
		UP_NFVD_WAIT_MS / 1000);
	return -ETIMEDOUT;
}

/* SIGTERM, wait up to ms, then SIGKILL: our own nfvd child. */
static void
up_kill_nfvd(struct up_state *s, int ms)
{
	uint64_t end;
	int st;

	if (s->nfvd_pid <= 0)
		return;
	kill(s->nfvd_pid, SIGTERM);
	end = vm_now_ms() + (uint64_t)ms;
	while (vm_now_ms() < end) {
		if (waitpid(s->nfvd_pid, &st, WNOHANG) == s->nfvd_pid)
			goto reaped;
		usleep(20000);
	}
	kill(s->nfvd_pid, SIGKILL);
	waitpid(s->nfvd_pid, &st, 0);
reaped:
	s->nfvd_pid = -1;
}

/* An nfvd we adopted: ask it to shut down (as "nfvctl shutdown"), wait,
 * then SIGTERM. */
static void
up_stop_adopted(struct up_state *s)
{
	struct nfvctl_client c;
	char err[256];
	json_t *r = NULL;
	uint64_t end;
	pid_t pid = s->nfvd_adopted;

	s->nfvd_adopted = -1;
	if (!up_pid_alive(pid))
		return;
	if (nfvctl_client_open(&c, s->socket, err, sizeof(err)) == 0) {
		if (nfvctl_client_call(&c, "shutdown", NULL, &r, NULL, err, sizeof(err)) < 0)
			fprintf(stderr, "nfvctl: nfvd (pid %d): shutdown: %s\n", (int)pid, err);
		json_decref(r);
		nfvctl_client_close(&c);
	}
	for (int round = 0; round < 2; round++) {
		end = vm_now_ms() + 10000;
		while (vm_now_ms() < end) {
			if (!up_pid_alive(pid))
				return;
			usleep(20000);
		}
		if (round == 0) {
			fprintf(stderr, "nfvctl: nfvd (pid %d) still runs 10 s after shutdown; "
					"sending SIGTERM\n",
				(int)pid);
			kill(pid, SIGTERM);
		}
	}
	fprintf(stderr, "nfvctl: nfvd (pid %d) does not stop\n", (int)pid);
}

/* A restart attempt failed (why): next one after the backoff. */
static void
up_nfvd_failed(struct up_state *s, uint64_t now, const char *why)
{
	s->nfvd_failures++;
	snprintf(s->nfvd_error, sizeof(s->nfvd_error), "%s", why);
	s->nfvd_state = UP_NFVD_BACKOFF;
	s->nfvd_next_ms = now + s->nfvd_backoff_ms;
	fprintf(stderr, "nfvctl: nfvd restart failed (attempt %u): %s; retrying in %.1f s\n",
		s->nfvd_failures, why, s->nfvd_backoff_ms / 1000.0);
	s->nfvd_backoff_ms = s->nfvd_backoff_ms * 2 > UP_NFVD_BACKOFF_MAX_MS ?
				     UP_NFVD_BACKOFF_MAX_MS :
				     s->nfvd_backoff_ms * 2;
}

static void
up_nfvd_attempt(struct up_state *s, uint64_t now)
{
	char why[640];

	if (up_fork_nfvd(s, why, sizeof(why)) < 0) {
		up_nfvd_failed(s, now, why);
		return;
	}
	s->nfvd_state = UP_NFVD_STARTING;
	s->nfvd_deadline_ms = now + UP_NFVD_WAIT_MS;
}

/* nfvd went away (why): restart it now after a stable run, else after the
 * backoff. Guests keep running; their vhost links come back by themselves
 * (nfvd's vhost ports are the clients). */
static void
up_nfvd_gone(struct up_state *s, uint64_t now, const char *why)
{
	s->nfvd_restarts++;
	snprintf(s->nfvd_error, sizeof(s->nfvd_error), "%s", why);
	if (now - s->nfvd_up_ms >= UP_NFVD_STABLE_MS) {
		s->nfvd_backoff_ms = UP_NFVD_BACKOFF_MIN_MS;
		fprintf(stderr, "nfvctl: nfvd %s; restarting it (guests keep running)\n", why);
		up_nfvd_attempt(s, now);
		return;
	}
	s->nfvd_state = UP_NFVD_BACKOFF;
	s->nfvd_next_ms = now + s->nfvd_backoff_ms;
	fprintf(stderr, "nfvctl: nfvd %s after %.1f s up; restarting it in %.1f s "
			"(guests keep running)\n",
		why, (now - s->nfvd_up_ms) / 1000.0, s->nfvd_backoff_ms / 1000.0);
	s->nfvd_backoff_ms = s->nfvd_backoff_ms * 2 > UP_NFVD_BACKOFF_MAX_MS ?
				     UP_NFVD_BACKOFF_MAX_MS :
				     s->nfvd_backoff_ms * 2;
}

/* Supervise nfvd, every poll round: never blocks. */
static void
up_watch_nfvd(struct up_state *s)
{
	uint64_t now = vm_now_ms();
	char why[640], tail[320];
	int st;

	switch (s->nfvd_state) {
	case UP_NFVD_UP:
		if (s->nfvd_pid > 0) {
			if (waitpid(s->nfvd_pid, &st, WNOHANG) != s->nfvd_pid)
				return;
			up_exit_reason(st, tail, sizeof(tail), "");
			snprintf(why, sizeof(why), "(pid %d) %s", (int)s->nfvd_pid, tail);
			s->nfvd_pid = -1;
			up_nfvd_gone(s, now, why);
		} else if (s->nfvd_adopted > 0) {
			if (now < s->nfvd_next_ms)
				return;
			s->nfvd_next_ms = now + UP_NFVD_CHECK_MS;
			if (up_pid_alive(s->nfvd_adopted))
				return;
			snprintf(why, sizeof(why), "(pid %d, found running at start) is gone",
				 (int)s->nfvd_adopted);
			s->nfvd_adopted = -1;
			up_nfvd_gone(s, now, why);
		}
		return;
	case UP_NFVD_BACKOFF:
		if (now >= s->nfvd_next_ms && !up_stop)
			up_nfvd_attempt(s, now);
		return;
	case UP_NFVD_STARTING:
		if (waitpid(s->nfvd_pid, &st, WNOHANG) == s->nfvd_pid) {
			s->nfvd_pid = -1;
			snprintf(tail, sizeof(tail), " before it answered on %s", s->socket);
			up_exit_reason(st, why, sizeof(why), tail);
			up_nfvd_failed(s, now, why);
		} else if (up_nfvd_answers(s->socket, NULL)) {
			s->nfvd_state = UP_NFVD_UP;
			s->nfvd_up_ms = now;
			fprintf(stderr, "nfvctl: nfvd is back (pid %d)", (int)s->nfvd_pid);
			if (s->nfvd_failures > 0)
				fprintf(stderr, " after %u failed attempt%s", s->nfvd_failures,
					s->nfvd_failures == 1 ? "" : "s");
			fprintf(stderr, "\n");
			s->nfvd_failures = 0;
		} else if (now >= s->nfvd_deadline_ms) {
			up_kill_nfvd(s, 2000);
			snprintf(why, sizeof(why), "no answer on %s after %d s", s->socket,
				 UP_NFVD_WAIT_MS / 1000);
			up_nfvd_failed(s, now, why);
		}
		return;
	}
}

/* ---- links, as nfvd sees them ---- */

static int
up_link(void *arg, const char *port)
{
	struct up_state *s = arg;
	json_t *p, *l;

	if (!s->stats_tried) {
		struct nfvctl_client c;
		char err[256];

		s->stats_tried = true;
		if (nfvctl_client_open(&c, s->socket, err, sizeof(err)) == 0) {
			if (nfvctl_client_call(&c, "stats", NULL, &s->stats, NULL, err,
					       sizeof(err)) < 0)
				s->stats = NULL;
			nfvctl_client_close(&c);
		}
	}
	if (s->stats == NULL)
		return 0; /* nfvd away: not up */
	p = json_object_get(json_object_get(s->stats, "ports"), port);
	if (p == NULL)
		return -ENOENT;
	l = json_object_get(p, "link");
	if (json_is_object(l))
		l = json_object_get(l, "status");
	if (json_is_boolean(l))
		return json_is_true(l);
	if (json_is_integer(l))
		return json_integer_value(l) != 0;
	if (json_is_string(l))
		return strcmp(json_string_value(l), "up") == 0;
	return -ENOTSUP;
}

/* ---- requests from "nfvctl vm" / "nfvctl down" ---- */

static struct vm_guest *
up_guest(struct up_state *s, const char *name)
{
	for (uint16_t i = 0; name != NULL && i < s->n_guests; i++)
		if (strcmp(s->guests[i].name, name) == 0)
			return &s->guests[i];
	return NULL;
}

static json_t *
up_err(const char *fmt, const char *arg)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, arg);
	return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static json_t *
up_handle(void *arg, json_t *req)
{
	struct up_state *s = arg;
	const char *cmd = json_string_value(json_object_get(req, "cmd"));
	const char *name = json_string_value(json_object_get(req, "name"));
	struct vm_guest *g;
	char err[256];

	if (cmd == NULL)
		return up_err("%s", "no cmd");
	if (strcmp(cmd, "vm-list") == 0) {
		json_t *list = json_array();

		for (uint16_t i = 0; i < s->n_guests; i++)
			json_array_append_new(list, vm_guest_json(&s->guests[i]));
		return json_pack("{s:b, s:o}", "ok", 1, "result", list);
	}
	if (strcmp(cmd, "up-status") == 0) {
		static const char *const names[] = {"up", "starting", "backoff"};
		uint64_t now = vm_now_ms();

		json_t *res = json_pack(
			"{s:b, s:{s:{s:s, s:I, s:b, s:I, s:I, s:s, s:I}}}", "ok", 1, "result", "nfvd",
			"state", names[s->nfvd_state], "pid",
			(json_int_t)(s->nfvd_pid > 0 ? s->nfvd_pid : s->nfvd_adopted), "adopted",
			s->nfvd_adopted > 0, "restarts", (json_int_t)s->nfvd_restarts, "failures",
			(json_int_t)s->nfvd_failures, "last_error", s->nfvd_error, "next_in_ms",
			(json_int_t)(s->nfvd_state == UP_NFVD_BACKOFF && s->nfvd_next_ms > now ?
					     s->nfvd_next_ms - now :
					     0));

		if (s->frr_on)
			json_object_set_new(json_object_get(res, "result"), "frr",
					    frr_json(&s->frr));
		return res;
	}
	if (strcmp(cmd, "down") == 0) {
		up_stop = 1;
		return json_pack("{s:b, s:{s:s}}", "ok", 1, "result", "state", "stopping");
	}
	g = up_guest(s, name);
	if (g == NULL)
		return up_err("no guest named \"%s\"", name ? name : "");
	if (strcmp(cmd, "vm-stop") == 0) {
		vm_stop(g, UP_STOP_MS);
	} else if (strcmp(cmd, "vm-restart") == 0 || strcmp(cmd, "vm-start") == 0) {
		if (strcmp(cmd, "vm-restart") == 0)
			vm_stop(g, UP_STOP_MS);
		g->backoff_ms = 1000;
		if (vm_start(g, err, sizeof(err)) < 0)
			return up_err("%s", err);
		g->restarts++;
	} else {
		return up_err("unknown command %s", cmd);
	}
	return json_pack("{s:b, s:o}", "ok", 1, "result", vm_guest_json(g));
}

/* ---- up ---- */

static int
up_load(struct up_state *s)
{
	struct cfg_errors err = {.file = s->file};
	int ret;

	ret = nfv_config_load(s->file, &s->cfg, &err);
	if (ret < 0) {
		cfg_errors_print(&err, stderr);
		cfg_errors_free(&err);
		return ret;
	}
	cfg_errors_free(&err);
	return 0;
}

static int
up_start_guests(struct up_state *s)
{
	enum nfv_vm_accel auto_accel;
	char warn[256], err[512];

	auto_accel = vm_accel_pick(NFV_VM_ACCEL_AUTO, warn, sizeof(warn));
	for (uint16_t i = 0; i < s->cfg->n_vnfs; i++) {
		struct vm_guest *g;

		if (s->cfg->vnfs[i].runtime != NFV_RUNTIME_VM)
			continue;
		if (s->n_guests == VM_MAX_GUESTS) {
			fprintf(stderr, "nfvctl: more than %d guests\n", VM_MAX_GUESTS);
			return -E2BIG;
		}
		g = &s->guests[s->n_guests];
		if (vm_guest_init(g, s->cfg, i, s->run_dir, err, sizeof(err)) < 0) {
			fprintf(stderr, "nfvctl: %s\n", err);
			return -EINVAL;
		}
		s->n_guests++;
		g->accel = g->conf.accel == NFV_VM_ACCEL_AUTO ? auto_accel : g->conf.accel;
		if (g->conf.accel == NFV_VM_ACCEL_AUTO && warn[0] != '\0')
			fprintf(stderr, "nfvctl: warning: guest %s: %s\n", g->name, warn);
		if (vm_start(g, err, sizeof(err)) < 0) {
			fprintf(stderr, "nfvctl: %s\n", err);
			return -EINVAL;
		}
		fprintf(stderr, "nfvctl: guest %s: QEMU pid %d (%s), console %s\n", g->name,
			(int)g->pid, g->accel == NFV_VM_ACCEL_KVM ? "kvm" : "tcg", g->console);
	}
	return 0;
}

static int
up_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{"nfvd", required_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	static struct up_state st; /* large: not on the stack */
	struct up_state *s = &st;
	const char *nfvd_bin = NULL;
	struct sigaction sa = {.sa_handler = up_on_signal};
	char err[512];
	int opt, rc = 1;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+n:h", opts, NULL)) != -1) {
		if (opt == 'n')
			nfvd_bin = optarg;
		else
			return nfvctl_usage_error(nfvctl_cmd_find("up"), "bad option");
	}
	if (optind >= argc || (optind != argc - 1 && strcmp(argv[optind + 1], "--") != 0))
		return nfvctl_usage_error(nfvctl_cmd_find("up"), "give one chain file");
	memset(s, 0, sizeof(*s));
	if (optind + 1 < argc) {
		s->nfvd_args = &argv[optind + 2];
		s->n_nfvd_args = argc - optind - 2;
		if (s->n_nfvd_args > UP_NFVD_ARGS_MAX)
			return nfvctl_usage_error(nfvctl_cmd_find("up"),
						  "too many nfvd arguments (at most %d)",
						  UP_NFVD_ARGS_MAX);
	}
	s->nfvd_pid = -1;
	s->nfvd_adopted = -1;
	s->nfvd_backoff_ms = UP_NFVD_BACKOFF_MIN_MS;
	s->ctl_fd = -1;
	s->lock_fd = -1;
	snprintf(s->file, sizeof(s->file), "%s", argv[optind]);
	if (up_load(s) < 0)
		return 1;
	if (strcmp(nfvctl_socket(), NFVCTL_DEFAULT_SOCKET) != 0 || s->cfg->daemon.socket[0] == 0)
		snprintf(s->socket, sizeof(s->socket), "%s", nfvctl_socket());
	else
		snprintf(s->socket, sizeof(s->socket), "%s", s->cfg->daemon.socket);
	vm_ctl_run_dir(s->socket, s->run_dir, sizeof(s->run_dir));
	if (mkdir(s->run_dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "nfvctl: cannot create %s: %s\n", s->run_dir, strerror(errno));
		goto free_cfg;
	}
	s->lock_fd = vm_ctl_lock(s->run_dir, s->file, err, sizeof(err));
	if (s->lock_fd < 0) {
		fprintf(stderr, "nfvctl: %s\n", err);
		goto free_cfg;
	}
	s->ctl_fd = vm_ctl_listen(s->run_dir, err, sizeof(err));
	if (s->ctl_fd < 0) {
		fprintf(stderr, "nfvctl: %s\n", err);
		goto unlock;
	}
	if (s->cfg->frr.enabled) {
		/* FRR's configuration checked (vtysh -C) before anything starts */
		if (frr_prepare(&s->frr, &s->cfg->frr, s->run_dir, err, sizeof(err)) < 0) {
			fprintf(stderr, "nfvctl: %s: frr: %s\n", s->file, err);
			goto unlisten;
		}
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	up_find_nfvd(s, nfvd_bin);
	if (up_nfvd_answers(s->socket, &s->nfvd_adopted)) {
		/* e.g. left running by an "nfvctl up" that was killed: adopt it */
		fprintf(stderr, "nfvctl: nfvd (pid %d) already answers on %s: supervising it\n",
			(int)s->nfvd_adopted, s->socket);
		s->nfvd_state = UP_NFVD_UP;
		s->nfvd_up_ms = vm_now_ms();
		if (s->nfvd_adopted <= 0)
			s->nfvd_adopted = -1;
	} else if (up_spawn_nfvd(s) < 0) {
		goto stop_nfvd;
	}
	/* nfvd answers: its host interfaces and FPM listener exist; now
	 * zebra (FPM), then the other daemons, then their configuration */
	if (s->cfg->frr.enabled) {
		if (frr_start(&s->frr, err, sizeof(err)) < 0) {
			fprintf(stderr, "nfvctl: %s: frr: %s\n", s->file, err);
			goto stop_nfvd;
		}
		s->frr_on = true;
		fprintf(stderr, "nfvctl: FRR up (pathspace %s: vtysh -N %s)\n",
			s->cfg->frr.pathspace, s->cfg->frr.pathspace);
	}
	if (up_start_guests(s) < 0)
		goto stop_guests;
	printf("nfvctl: %s is up (%u guests%s); nfvctl down or Ctrl-C stops it\n", s->file,
	       s->n_guests, s->frr_on ? ", FRR" : "");
	fflush(stdout);
	while (!up_stop) {
		s->stats_tried = false;
		json_decref(s->stats);
		s->stats = NULL;
		up_watch_nfvd(s);
		if (s->frr_on)
			frr_poll(&s->frr);
		for (uint16_t i = 0; i < s->n_guests; i++) {
			enum vm_state before = s->guests[i].state;

			/* QEMU waits at start for nfvd's vhost client: a pending
			 * guest restart waits until nfvd answers again */
			if (before == VM_BACKOFF && s->nfvd_state != UP_NFVD_UP)
				continue;

			vm_poll(&s->guests[i], up_link, s);
			if (before == VM_BACKOFF && s->guests[i].state == VM_BOOTING) {
				s->guests[i].restarts++;
				fprintf(stderr, "nfvctl: guest %s: restarted, QEMU pid %d\n",
					s->guests[i].name, (int)s->guests[i].pid);
			}
		}
		vm_ctl_serve(s->ctl_fd, up_handle, s);
		usleep(UP_POLL_US);
	}
	rc = 0;
stop_guests:
	for (uint16_t i = 0; i < s->n_guests; i++)
		vm_stop(&s->guests[i], UP_STOP_MS);
	if (s->frr_on)
		frr_stop(&s->frr); /* before nfvd: zebra's FPM session ends first */
stop_nfvd:
	/* an nfvd we found running is stopped on "down" (and SIGINT/SIGTERM)
	 * too, not when our own start failed */
	up_kill_nfvd(s, 10000);
	if (rc == 0 && s->nfvd_adopted > 0)
		up_stop_adopted(s);
	json_decref(s->stats);
unlisten:
	vm_ctl_unlisten(s->ctl_fd, s->run_dir);
unlock:
	vm_ctl_unlock(s->lock_fd, s->run_dir);
free_cfg:
	nfv_config_free(s->cfg);
	if (rc == 0)
		printf("nfvctl: down\n");
	return rc;
}

static struct nfvctl_cmd up_cmd = {
	.name = "up",
	.usage = "up [--nfvd PATH] FILE [-- NFVD_OPTION... [-- EAL_ARG...]]",
	.help = "run a chain file in the foreground: nfvd, guests, supervision",
	.run = up_run,
};
NFVCTL_CMD_REGISTER(up_cmd)

/* ---- down ---- */

static int
down_run(int argc, char **argv)
{
	char run_dir[NFV_PATH_MAX], err[512];
	json_t *req, *res = NULL;
	uint64_t end;
	int ret;

	(void)argv;
	if (argc != 1)
		return nfvctl_usage_error(nfvctl_cmd_find("down"), "no arguments");
	vm_ctl_run_dir(nfvctl_socket(), run_dir, sizeof(run_dir));
	req = json_pack("{s:s}", "cmd", "down");
	ret = vm_ctl_request(run_dir, req, &res, err, sizeof(err));
	json_decref(req);
	json_decref(res);
	if (ret < 0) {
		/* no "nfvctl up": stop a bare nfvd */
		json_t *r = NULL;

		fprintf(stderr, "nfvctl: %s; asking nfvd to shut down\n", err);
		return nfvctl_call("shutdown", NULL, &r) == 0 ? (json_decref(r), 0) : 1;
	}
	/* wait for the up process to finish (its socket goes away) */
	end = vm_now_ms() + 60000;
	while (vm_now_ms() < end) {
		req = json_pack("{s:s}", "cmd", "vm-list");
		ret = vm_ctl_request(run_dir, req, &res, err, sizeof(err));
		json_decref(req);
		json_decref(res);
		res = NULL;
		if (ret < 0)
			return 0;
		usleep(100000);
	}
	fprintf(stderr, "nfvctl: still up after 60 s\n");
	return 1;
}

static struct nfvctl_cmd down_cmd = {
	.name = "down",
	.usage = "down",
	.help = "stop the guests of \"nfvctl up\" cleanly, then nfvd",
	.run = down_run,
};
NFVCTL_CMD_REGISTER(down_cmd)
