/* SPDX-License-Identifier: BSD-3-Clause
 * nfvctl - the "nfvctl up" process's own control socket
 * (<run dir>/nfvctl-up.sock): one JSON object per line each way.
 *   {"cmd": "vm-list"} | {"cmd": "vm-restart"|"vm-stop"|"vm-start", "name": N}
 *   | {"cmd": "down"} | {"cmd": "up-status"} (nfvd as supervised: state, pid,
 *   adopted, restarts, failures, last_error, next_in_ms)
 *   -> {"ok": true, "result": ...} or {"ok": false, "error": "..."}
 */
#ifndef NFV_VM_CTL_H
#define NFV_VM_CTL_H

#include <stddef.h>

#include <jansson.h>

#define VM_CTL_SOCKET "nfvctl-up.sock"
/* <run dir>/nfvctl-up.pid: "PID\nFILE\n", flock()ed (LOCK_EX) by the
 * running "nfvctl up" for its whole life and removed when it ends cleanly.
 * A file nobody holds means that supervisor died (kill -9). */
#define VM_CTL_LOCK "nfvctl-up.pid"

/* Run dir of a control socket path: its folder. */
void vm_ctl_run_dir(const char *nfvd_socket, char *out, size_t size);

/* Client: one request; *result on success (new reference). Returns 0,
 * -EPROTO with the error in err, or -errno (err: "no nfvctl up running ..."). */
int vm_ctl_request(const char *run_dir, json_t *req, json_t **result, char *err,
		   size_t errlen);
/* The same, waiting at most timeout_ms for the answer (default: 60 s). */
int vm_ctl_request_wait(const char *run_dir, json_t *req, json_t **result, int timeout_ms,
			char *err, size_t errlen);

/* Server side (non-blocking). handler returns the response object. */
typedef json_t *(*vm_ctl_handler)(void *arg, json_t *req);
int vm_ctl_listen(const char *run_dir, char *err, size_t errlen);
void vm_ctl_serve(int fd, vm_ctl_handler h, void *arg);
void vm_ctl_unlisten(int fd, const char *run_dir);

/* Take the supervisor lock of run_dir and write our pid and chain file.
 * Returns the lock fd, -EADDRINUSE (another "nfvctl up" holds it; err
 * names its pid) or -errno with err. */
int vm_ctl_lock(const char *run_dir, const char *file, char *err, size_t errlen);
/* Remove the lock file and release the lock. */
void vm_ctl_unlock(int fd, const char *run_dir);
/* Who supervises run_dir? 1: a live "nfvctl up" holds the lock; 0: the
 * lock file is there but nobody holds it (that "nfvctl up" died);
 * -ENOENT: no lock file (no "nfvctl up" ran, or it ended cleanly).
 * pid and file (may be NULL) get what the lock file says. */
int vm_ctl_supervisor(const char *run_dir, long *pid, char *file, size_t filelen);

#endif /* NFV_VM_CTL_H */
