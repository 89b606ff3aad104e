/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - the engine as seen by main.c and the control server (ctl.c).
 * Everything here runs on the control thread (main lcore).
 */
#ifndef NFV_ENGINE_H
#define NFV_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "model.h"

/* Start: EAL, mempool, ports, VNF instances, pipeline, workers.
 * argv0 is used for EAL. Returns 0 or -errno with a readable reason in err. */
int nfv_engine_start(const char *argv0, struct nfv_config *cfg, const char *const *eal_extra,
		     int n_eal_extra, char *err, size_t errlen);
/* Control-thread duties: punt rings, VNF ticks, tx flush for control queue,
 * link state. Call often (every ~1 ms). Returns how many punted packets it
 * handled (0: idle). */
unsigned int nfv_engine_poll(void);
/* True when a VNF reported work in flight in the last nfv_engine_poll(). */
bool nfv_engine_pending(void);
/* One-CPU mode (the control thread runs the worker): nap as the worker
 * would after an idle poll and return true; otherwise false at once (the
 * caller sleeps its own way). */
bool nfv_engine_idle_nap(void);
/* The control loop's idle wait (main.c): when no packet was punted and no
 * VNF has work in flight for a few milliseconds, the control thread sleeps
 * in poll() on its sockets (nfv_ctl_wait_fds, nfv_metrics_wait_fds) and
 * these (the workers' punt doorbell, each VNF's wait_fds) for at most a
 * VNF tick, instead of waking every millisecond:
 *   n = ..._wait_fds(); if (nfv_engine_sleep_begin()) { poll(); nfv_engine_sleep_end(); }
 * sleep_begin returns false (do not sleep) when punts already wait. The
 * one-CPU mode naps the worker's way instead (nfv_engine_idle_nap). */
struct pollfd;
unsigned int nfv_engine_wait_fds(struct pollfd *pfd, unsigned int max);
bool nfv_engine_sleep_begin(void);
/* ready: what poll() returned (> 0: a descriptor is ready) */
void nfv_engine_sleep_end(int ready);
/* The longest idle wait (ms): the VNFs' tick period. */
#define NFV_ENGINE_WAIT_MS 10
/* Stop rx, drain tx buffers and punt rings, join the workers. Counters stay
 * readable (print the final summary after this). Idempotent. */
void nfv_engine_halt(void);
/* halt, then destroy instances, close ports, EAL cleanup and removal of
 * the DPDK runtime directory of our file prefix. Idempotent. */
void nfv_engine_stop(void);
/* Remove /var/run/dpdk/<prefix> (unless another process uses it) without
 * stopping anything: for a process about to _exit from a stuck start-up. */
void nfv_engine_remove_runtime_dir(void);

/* Largest chain file nfvd reads (bytes). */
#define NFV_CONFIG_FILE_MAX (16 << 20)
/* Open path without blocking and check it is a regular file of at most
 * NFV_CONFIG_FILE_MAX bytes (a FIFO would block its reader). 0 or -errno
 * with the reason in err. */
int nfv_config_file_check(const char *path, char *err, size_t errlen);

/* Live apply, answered later: done(ctx, ret, path, errors, generation) is
 * called on the control thread (from nfv_engine_apply_poll, or
 * nfv_engine_apply_abort with -ECANCELED) and owns errors (a JSON array of
 * strings). */
typedef void (*nfv_apply_done_fn)(void *ctx, int ret, const char *path, json_t *errors,
				  uint64_t generation);
/* Start one: a loader thread reads, parses and validates path while the
 * control thread keeps serving; nfv_engine_apply_poll then creates/reconfigures
 * instances aside, swaps the pipeline under RCU and frees the old one. On
 * failure the running pipeline is untouched. One at a time: -EBUSY while
 * one is in flight. Returns 0 (done will be called) or -errno with err. */
int nfv_engine_apply_start(const char *path, nfv_apply_done_fn done, void *ctx, char *err,
			   size_t errlen);
/* True while an apply is in flight. */
bool nfv_engine_apply_busy(void);
/* From the control loop: once the loader is done, swap in and call done. */
void nfv_engine_apply_poll(void);
/* nfvd stops: an apply in flight is abandoned, done gets -ECANCELED (call
 * before nfv_engine_halt). */
void nfv_engine_apply_abort(void);

/* JSON views for the control socket, telemetry and the final summary. */
json_t *nfv_engine_status(void);   /* ports (link), workers, chains, vnfs, generation */
json_t *nfv_engine_stats(void);    /* counters: ports, chains, vnfs, drops */
/* Every non-zero drop counter (ports, engine, chains, VNFs), most first,
 * each with its meaning. */
json_t *nfv_engine_drops(void);
/* Packet trace (dataplane/trace.c), control requests: start (args chain,
 * port, count, filter) replaces a running trace; show returns the records
 * (of the running trace, else of the last one stopped); stop. 0 or -errno
 * with err filled; a refused start changes nothing. */
int nfv_engine_trace_start(json_t *args, json_t **result, char *err, size_t errlen);
int nfv_engine_trace_show(json_t **result, char *err, size_t errlen);
int nfv_engine_trace_stop(json_t **result, char *err, size_t errlen);

/* Class command on an instance: "nfvctl <class> <cmd>" goes here. */
int nfv_engine_vnf_ctl(const char *instance, const char *cmd, json_t *args, json_t **result,
		       char *err, size_t errlen);
/* Class name of a running instance, NULL if there is none. */
const char *nfv_engine_vnf_class(const char *instance);
/* First instance of a class (for "nfvctl route add" without naming one). */
const char *nfv_engine_vnf_of_class(const char *class_name);

/* Print live one-line-per-chain counters / the final summary to out. */
void nfv_engine_print_stats(FILE *out, bool final);

/* The running configuration (control thread only). */
const struct nfv_config *nfv_engine_config(void);

/* Milliseconds since an arbitrary start (monotonic). */
uint64_t nfv_now_ms(void);

/* Ask the main loop to stop (SIGTERM path, async-signal-safe; "shutdown"
 * control command), and whether it was asked. */
void nfv_request_stop(void);
bool nfv_stop_requested(void);

/* ---- control server (ctl.c) ---- */
/* Bind the Unix socket (mode 0600). Fails with -EADDRINUSE if another nfvd
 * answers on it. */
int nfv_ctl_open(const char *path, char *err, size_t errlen);
/* Serve pending requests without blocking (called from the main loop). */
void nfv_ctl_poll(void);
/* The sockets nfv_ctl_poll would act on, with the events it waits for,
 * for the control loop's idle wait (nfvd_idle_wait in main.c): fills at
 * most max entries of pfd, returns how many (0 when they do not fit). */
struct pollfd;
unsigned int nfv_ctl_wait_fds(struct pollfd *pfd, unsigned int max);
void nfv_ctl_close(void);
/* DPDK telemetry commands (/nfvd/status, /nfvd/stats ...). */
int nfv_telemetry_register(void);

#endif /* NFV_ENGINE_H */
