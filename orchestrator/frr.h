/* SPDX-License-Identifier: BSD-3-Clause
 * nfvctl up: FRR's routing daemons beside nfvd (the chain file's "frr:",
 * orchestrator/frr.c). Started after nfvd answers (its host interfaces
 * and FPM listener exist by then): zebra with dplane_fpm_nl first, then
 * the others, then vtysh -b applies the configuration; supervised (a
 * daemon that exits is restarted with backoff and its configuration
 * applied again); stopped by nfvctl down, and by a guard process when
 * nfvctl up itself dies.
 */
#ifndef NFVCTL_FRR_H
#define NFVCTL_FRR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "model.h"

enum frr_state { FRR_OFF, FRR_UP, FRR_BACKOFF };

struct frr_daemon {
	char name[NFV_FRR_DAEMON_MAX];
	pid_t pid;
	enum frr_state state;
	bool configured; /* vtysh -b -d <name> ran since its start */
	bool after_zebra; /* restarted with zebra: waits until zebra is configured */
	uint64_t started_ms, next_ms;
	uint32_t backoff_ms, restarts;
	char last_exit[128];
};

struct frr_sup {
	const struct nfv_frr_conf *c;
	char dir[NFV_PATH_MAX + 64];	/* run dir: frr.conf, vtysh.conf, logs in <dir>/<ps>/ */
	char conf_dir[NFV_PATH_MAX + 128]; /* <dir>/<pathspace> */
	char vty_dir[NFV_PATH_MAX];	/* /var/run/frr/<pathspace> */
	pid_t guard;
	int guard_fd; /* write end: the guard kills the daemons when it closes */
	uint16_t n;
	struct frr_daemon d[NFV_FRR_MAX_DAEMONS];
};

/* Write the configuration into the run dir (up_run_dir/frr unless
 * run-dir:) and have vtysh check it; refuse a pathspace FRR already runs
 * in. 0, or -errno with err filled. */
int frr_prepare(struct frr_sup *f, const struct nfv_frr_conf *c, const char *up_run_dir, char *err,
		size_t errlen);
/* zebra, the others, then the configuration; waits (up to 30 s) for each
 * daemon's sockets. 0, or -errno with err filled (what started is stopped). */
int frr_start(struct frr_sup *f, char *err, size_t errlen);
/* Supervision, every poll round of nfvctl up; never blocks long. */
void frr_poll(struct frr_sup *f);
/* Stop every daemon (reverse order), then the guard; remove our files. */
void frr_stop(struct frr_sup *f);
json_t *frr_json(const struct frr_sup *f);

#endif /* NFVCTL_FRR_H */
