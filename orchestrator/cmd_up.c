/* SPDX-License-Identifier: BSD-3-Clause
 * nfvctl up FILE: bring a chain file up in the foreground - start nfvd when
 * none answers, boot and supervise the guests of runtime: vm VNFs, serve
 * "nfvctl vm ..." and "nfvctl down" on <run dir>/nfvctl-up.sock.
 * nfvctl down: stop the guests cleanly, then nfvd.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model.h"
#include "nfvctl.h"
#include "vm.h"
#include "vm_ctl.h"
#include "vmconf.h"

#define UP_POLL_US 100000
#define UP_NFVD_WAIT_MS 30000
#define UP_STOP_MS 6000

struct up_state {
	struct nfv_config *cfg;
	char file[PATH_MAX];
	char socket[NFV_PATH_MAX];
	char run_dir[NFV_PATH_MAX];
	char nfvd_bin[PATH_MAX];
	pid_t nfvd_pid;       /* ours, or -1 when nfvd was already running */
	uint64_t nfvd_restart_ms;
	uint32_t nfvd_restarts;
	int ctl_fd;
	int n_nfvd_args;      /* extra nfvd options (after "--") */
	char **nfvd_args;
	uint16_t n_guests;
	struct vm_guest guests[VM_MAX_GUESTS];
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

static bool
up_nfvd_answers(const char *socket)
{
	struct nfvctl_client c;
	char err[256];
	json_t *r = NULL;
	bool ok;

	if (nfvctl_client_open(&c, socket, err, sizeof(err)) < 0)
		return false;
	ok = nfvctl_client_call(&c, "status", NULL, &r, NULL, err, sizeof(err)) == 0;
	json_decref(r);
	nfvctl_client_close(&c);
	return ok;
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

static int
up_spawn_nfvd(struct up_state *s)
{
	uint64_t end;
	pid_t pid = fork();

	if (pid < 0) {
		fprintf(stderr, "nfvctl: fork: %s\n", strerror(errno));
		return -errno;
	}
	if (pid == 0) {
		char *argv[64];
		int n = 0;

		setpgid(0, 0);
		argv[n++] = s->nfvd_bin;
		argv[n++] = (char *)"-s";
		argv[n++] = s->socket;
		for (int i = 0; i < s->n_nfvd_args && n < 61; i++)
			argv[n++] = s->nfvd_args[i];
		argv[n++] = s->file;
		argv[n] = NULL;
		execvp(s->nfvd_bin, argv);
		fprintf(stderr, "nfvctl: cannot run %s: %s\n", s->nfvd_bin, strerror(errno));
		_exit(127);
	}
	s->nfvd_pid = pid;
	end = vm_now_ms() + UP_NFVD_WAIT_MS;
	while (vm_now_ms() < end && !up_stop) {
		int st;

		if (waitpid(pid, &st, WNOHANG) == pid) {
			s->nfvd_pid = -1;
			fprintf(stderr, "nfvctl: nfvd exited with status %d before it answered on %s\n",
				WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), s->socket);
			return -ECHILD;
		}
		if (up_nfvd_answers(s->socket))
			return 0;
		usleep(UP_POLL_US);
	}
	fprintf(stderr, "nfvctl: nfvd does not answer on %s after %d s\n", s->socket,
		UP_NFVD_WAIT_MS / 1000);
	return -ETIMEDOUT;
}

static void
up_stop_nfvd(struct up_state *s)
{
	uint64_t end;
	int st;

	if (s->nfvd_pid > 0) {
		kill(s->nfvd_pid, SIGTERM);
		end = vm_now_ms() + 10000;
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
}

/* nfvd restarted under us (or by us): guests keep running and their vhost
 * links come back by themselves (nfvd's vhost ports are the clients). */
static void
up_watch_nfvd(struct up_state *s)
{
	int st;

	if (s->nfvd_pid <= 0 || waitpid(s->nfvd_pid, &st, WNOHANG) != s->nfvd_pid)
		return;
	fprintf(stderr, "nfvctl: nfvd (pid %d) exited with status %d; restarting it "
			"(guests keep running)\n",
		(int)s->nfvd_pid, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	s->nfvd_pid = -1;
	s->nfvd_restarts++;
	if (up_spawn_nfvd(s) < 0)
		fprintf(stderr, "nfvctl: nfvd restart failed; retrying\n");
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
	if (ret == 0)
		ret = nfv_vm_validate(s->cfg, &err);
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
	}
	s->nfvd_pid = -1;
	s->ctl_fd = -1;
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
	s->ctl_fd = vm_ctl_listen(s->run_dir, err, sizeof(err));
	if (s->ctl_fd < 0) {
		fprintf(stderr, "nfvctl: %s\n", err);
		goto free_cfg;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	up_find_nfvd(s, nfvd_bin);
	if (up_nfvd_answers(s->socket)) {
		fprintf(stderr, "nfvctl: nfvd already answers on %s\n", s->socket);
	} else if (up_spawn_nfvd(s) < 0) {
		goto stop_nfvd;
	}
	if (up_start_guests(s) < 0)
		goto stop_guests;
	printf("nfvctl: %s is up (%u guests); nfvctl down or Ctrl-C stops it\n", s->file,
	       s->n_guests);
	fflush(stdout);
	while (!up_stop) {
		s->stats_tried = false;
		json_decref(s->stats);
		s->stats = NULL;
		up_watch_nfvd(s);
		for (uint16_t i = 0; i < s->n_guests; i++) {
			enum vm_state before = s->guests[i].state;

			vm_poll(&s->guests[i], up_link, s);
			if (before == VM_BACKOFF && s->guests[i].state == VM_BOOTING)
				s->guests[i].restarts++;
		}
		vm_ctl_serve(s->ctl_fd, up_handle, s);
		usleep(UP_POLL_US);
	}
	rc = 0;
stop_guests:
	for (uint16_t i = 0; i < s->n_guests; i++)
		vm_stop(&s->guests[i], UP_STOP_MS);
stop_nfvd:
	up_stop_nfvd(s);
	json_decref(s->stats);
	vm_ctl_unlisten(s->ctl_fd, s->run_dir);
free_cfg:
	nfv_vm_config_free(s->cfg);
	nfv_config_free(s->cfg);
	if (rc == 0)
		printf("nfvctl: down\n");
	return rc;
}

static struct nfvctl_cmd up_cmd = {
	.name = "up",
	.usage = "up [--nfvd PATH] FILE [-- NFVD_OPTION...]",
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
