/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - the data plane daemon: load a chain file, start the engine, serve
 * the control socket on the main lcore until SIGINT/SIGTERM/SIGHUP.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "engine.h"
#include "metrics.h"
#include "start_watchdog.h"

/* the longest a control or metrics request waits for the loop to look */
#define NFVD_SOCK_POLL_US 250

static void
nfvd_on_signal(int sig)
{
	(void)sig;
	nfv_request_stop();
}

/* the start-up watchdog fired (another thread is stuck): leave no socket
 * file or DPDK runtime folder behind */
static void
nfvd_on_start_stuck(void)
{
	nfv_ctl_close();
	nfv_engine_remove_runtime_dir();
}

static void
nfvd_usage(FILE *out)
{
	fprintf(out,
		"usage: nfvd [options] CHAIN.yaml [-- EAL args]\n"
		"  -s, --socket PATH        control socket (overrides nfvd.socket)\n"
		"      --file-prefix NAME   DPDK runtime file prefix (overrides nfvd.file-prefix)\n"
		"      --no-huge            run without hugepages (with -m MB, default 512)\n"
		"  -m, --memory MB          memory for --no-huge\n"
		"  -l, --lcores LIST        lcores: first is the control lcore, the rest workers\n"
		"      --stats-interval MS  print live per-chain counters every MS (0: off)\n"
		"      --metrics ADDR:PORT  Prometheus endpoint, GET /metrics (overrides "
		"nfvd.metrics)\n"
		"      --duration SEC       stop by itself after SEC seconds\n"
		"      --start-timeout SEC  give up (exit 1, naming the stuck step) when start-up\n"
		"                           takes longer (default %d, 0: no bound)\n"
		"  -h, --help\n",
		NFV_START_TIMEOUT_S);
}

/* Room for the control socket's clients, the metrics endpoint's and the
 * VNFs' descriptors; what does not fit is seen at the next tick. */
#define NFVD_WAIT_FDS 256

/* The control thread with nothing to do: sleep until a socket is ready,
 * a worker punts (its doorbell) or the VNFs' next tick. */
static void
nfvd_idle_wait(void)
{
	struct pollfd pfd[NFVD_WAIT_FDS];
	unsigned int n = 0;

	n += nfv_ctl_wait_fds(pfd + n, NFVD_WAIT_FDS - n);
	n += nfv_metrics_wait_fds(pfd + n, NFVD_WAIT_FDS - n);
	n += nfv_engine_wait_fds(pfd + n, NFVD_WAIT_FDS - n);
	if (!nfv_engine_sleep_begin())
		return;
	/* EINTR: a signal, the loop checks it */
	nfv_engine_sleep_end(poll(pfd, n, NFV_ENGINE_WAIT_MS));
}

static int
nfvd_parse_lcores(const char *s, struct nfv_daemon_conf *d)
{
	char *dup = strdup(s), *save = NULL, *tok;
	int first = 1;

	if (dup == NULL)
		return -ENOMEM;
	d->n_workers = 0;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		long v = strtol(tok, &end, 10);

		if (*end != '\0' || v < 0 || v > 1023) {
			free(dup);
			return -EINVAL;
		}
		if (first)
			d->main_lcore = (int)v;
		else if (d->n_workers < NFV_MAX_WORKERS)
			d->workers[d->n_workers++] = (uint16_t)v;
		first = 0;
	}
	free(dup);
	return first ? -EINVAL : 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"file-prefix", required_argument, NULL, 'P'},
		{"no-huge", no_argument, NULL, 'H'},
		{"memory", required_argument, NULL, 'm'},
		{"lcores", required_argument, NULL, 'l'},
		{"stats-interval", required_argument, NULL, 'i'},
		{"duration", required_argument, NULL, 'd'},
		{"metrics", required_argument, NULL, 'M'},
		{"start-timeout", required_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *sock = NULL, *prefix = NULL, *lcores = NULL, *metrics = NULL;
	long stats_ms = -1, memory = 0, start_timeout = NFV_START_TIMEOUT_S;
	double duration = 0;
	bool no_huge = false;
	struct cfg_errors cerr = {0};
	struct nfv_config *cfg = NULL;
	char err[768];
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "s:m:l:h", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			sock = optarg;
			break;
		case 'P':
			prefix = optarg;
			break;
		case 'H':
			no_huge = true;
			break;
		case 'm':
			memory = strtol(optarg, NULL, 10);
			break;
		case 'l':
			lcores = optarg;
			break;
		case 'i':
			stats_ms = strtol(optarg, NULL, 10);
			break;
		case 'd':
			duration = strtod(optarg, NULL);
			break;
		case 'M':
			metrics = optarg;
			break;
		case 'T': {
			char *end;

			start_timeout = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || start_timeout < 0 ||
			    start_timeout > 86400) {
				fprintf(stderr, "nfvd: bad --start-timeout '%s' (seconds, 0..86400)\n",
					optarg);
				return 1;
			}
			break;
		}
		case 'h':
			nfvd_usage(stdout);
			return 0;
		default:
			nfvd_usage(stderr);
			return 1;
		}
	}
	if (optind >= argc) {
		nfvd_usage(stderr);
		return 1;
	}
	const char *file = argv[optind++];
	/* what follows "--" goes to EAL */
	const char *const *eal_extra = (const char *const *)&argv[optind];
	int n_eal_extra = argc - optind;

	/* not a FIFO, a device or a huge file: those would block or swamp the
	 * loader (it opens the file again to read it) */
	ret = nfv_config_file_check(file, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "nfvd: %s\n", err);
		return 1;
	}
	ret = nfv_config_load(file, &cfg, &cerr);
	if (ret < 0) {
		cfg_errors_print(&cerr, stderr);
		if (cerr.n == 0)
			fprintf(stderr, "nfvd: %s: %s\n", file, strerror(-ret));
		cfg_errors_free(&cerr);
		return 1;
	}
	cfg_errors_free(&cerr);
	if (sock)
		snprintf(cfg->daemon.socket, sizeof(cfg->daemon.socket), "%s", sock);
	if (prefix)
		snprintf(cfg->daemon.file_prefix, sizeof(cfg->daemon.file_prefix), "%s", prefix);
	if (no_huge)
		cfg->daemon.huge = false;
	if (metrics) {
		struct sockaddr_storage ss;
		socklen_t len;

		if (nfv_parse_inet_addr(metrics, &ss, &len, err, sizeof(err)) < 0) {
			fprintf(stderr, "nfvd: --metrics: %s\n", err);
			goto free_config;
		}
		snprintf(cfg->daemon.metrics, sizeof(cfg->daemon.metrics), "%s", metrics);
	}
	if (memory > 0)
		cfg->daemon.memory_mb = (uint32_t)memory;
	if (stats_ms >= 0)
		cfg->daemon.stats_interval_ms = (uint32_t)stats_ms;
	if (lcores && nfvd_parse_lcores(lcores, &cfg->daemon) < 0) {
		fprintf(stderr, "nfvd: bad --lcores '%s' (expected a list like 0,1)\n", lcores);
		goto free_config;
	}

	/* The socket first: a second nfvd must be refused before it touches
	 * DPDK state that belongs to the first one. */
	ret = nfv_ctl_open(cfg->daemon.socket, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "nfvd: %s\n", err);
		goto free_config;
	}
	ret = nfv_startwd_arm((unsigned int)start_timeout, nfvd_on_start_stuck);
	if (ret < 0)
		fprintf(stderr, "nfvd: start-up watchdog not armed: %s\n", strerror(-ret));
	ret = nfv_engine_start(argv[0], cfg, eal_extra, n_eal_extra, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "nfvd: %s\n", err);
		goto close_ctl;
	}
	if (nfv_telemetry_register() < 0)
		fprintf(stderr, "nfvd: telemetry commands not registered\n");
	ret = nfv_metrics_open(cfg->daemon.metrics, err, sizeof(err));
	if (ret < 0) {
		fprintf(stderr, "nfvd: %s\n", err);
		goto close_ctl;
	}
	if (cfg->daemon.metrics[0])
		printf("nfvd: Prometheus metrics on http://%s/metrics\n", cfg->daemon.metrics);

	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, nfvd_on_signal);
	signal(SIGTERM, nfvd_on_signal);
	/* the terminal nfvd runs in closed (ssh session gone): the same
	 * orderly stop, never the default action's abrupt exit that leaves
	 * the socket and runtime folder behind; USR1/USR2 mean nothing here */
	signal(SIGHUP, nfvd_on_signal);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	nfv_startwd_disarm();
	printf("nfvd: running %s (control socket %s)\n", cfg->file, cfg->daemon.socket);
	fflush(stdout);

	uint64_t start = nfv_now_ms(), last_print = start;
	/* the control and metrics sockets are looked at every
	 * NFVD_SOCK_POLL_US, not every pass: each look is a poll() syscall
	 * (1-2 us on this kind of VM), and a busy one-CPU nfvd makes a pass
	 * per packet or two (a third of a DHCP server's CPU under load went
	 * to them); a request waits at most that much longer */
	const uint64_t sock_every = rte_get_tsc_hz() * NFVD_SOCK_POLL_US / 1000000;
	uint64_t last_sock = 0;
	unsigned int idle = 0;
	while (!nfv_stop_requested()) {
		uint64_t now, tsc = rte_rdtsc();

		if (tsc - last_sock >= sock_every) {
			nfv_ctl_poll();
			nfv_metrics_poll();
			last_sock = tsc;
		}
		nfv_engine_apply_poll();
		/* punted packets (DHCP, ARP, ICMP for the router...): while they
		 * come, poll again at once; while a VNF has work in flight (ACKs
		 * waiting on their journal commit), every 10 us (sleeping: the
		 * disk is slow, and on one CPU a spinning control thread would
		 * take the CPU from the worker); after ~5 ms without either,
		 * asleep in poll() until a request, a punt or the next VNF tick
		 * (nfvd_idle_wait: ~100 wake-ups a second while idle, not the
		 * 1,000 of a 1 ms nap, each of which took a co-located
		 * process's core); every 500 us while a live apply runs.
		 * One-CPU mode: this thread runs the worker's passes in
		 * nfv_engine_poll() and naps the worker's way instead. */
		idle = nfv_engine_poll() > 0 ? 0 : idle + 1;
		now = nfv_now_ms();
		if (nfv_engine_config()->daemon.stats_interval_ms &&
		    now - last_print >= nfv_engine_config()->daemon.stats_interval_ms) {
			nfv_engine_print_stats(stdout, false);
			last_print = now;
		}
		if (duration > 0 && now - start >= (uint64_t)(duration * 1000))
			break;
		if (idle > 0 && !nfv_engine_idle_nap()) {
			if (nfv_engine_pending()) {
				usleep(10);
			} else if (idle < 100) {
				usleep(50);
			} else if (nfv_engine_apply_busy()) {
				usleep(500);
			} else {
				nfvd_idle_wait();
				last_sock = 0; /* what woke it is looked at now */
			}
		}
	}
	nfv_engine_apply_abort(); /* its client gets the answer before the socket closes */
	nfv_engine_halt();
	nfv_engine_print_stats(stdout, true);
	nfv_metrics_close();
	nfv_ctl_close();
	nfv_engine_stop();
	printf("nfvd: stopped\n");
	return 0;

close_ctl:
	nfv_metrics_close();
	nfv_ctl_close();
	nfv_engine_stop();
	return 1;
free_config:
	nfv_config_free(cfg);
	return 1;
}
