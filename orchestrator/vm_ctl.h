/* SPDX-License-Identifier: BSD-3-Clause
 * nfvctl - the "nfvctl up" process's own control socket
 * (<run dir>/nfvctl-up.sock): one JSON object per line each way.
 *   {"cmd": "vm-list"} | {"cmd": "vm-restart"|"vm-stop"|"vm-start", "name": N}
 *   | {"cmd": "down"}
 *   -> {"ok": true, "result": ...} or {"ok": false, "error": "..."}
 */
#ifndef NFV_VM_CTL_H
#define NFV_VM_CTL_H

#include <stddef.h>

#include <jansson.h>

#define VM_CTL_SOCKET "nfvctl-up.sock"

/* Run dir of a control socket path: its folder. */
void vm_ctl_run_dir(const char *nfvd_socket, char *out, size_t size);

/* Client: one request; *result on success (new reference). Returns 0,
 * -EPROTO with the error in err, or -errno (err: "no nfvctl up running ..."). */
int vm_ctl_request(const char *run_dir, json_t *req, json_t **result, char *err,
		   size_t errlen);

/* Server side (non-blocking). handler returns the response object. */
typedef json_t *(*vm_ctl_handler)(void *arg, json_t *req);
int vm_ctl_listen(const char *run_dir, char *err, size_t errlen);
void vm_ctl_serve(int fd, vm_ctl_handler h, void *arg);
void vm_ctl_unlisten(int fd, const char *run_dir);

#endif /* NFV_VM_CTL_H */
