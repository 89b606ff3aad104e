/* SPDX-License-Identifier: BSD-3-Clause
 * nfvctl - QEMU guests of runtime: vm VNFs: command line, accelerator
 * choice, start, QMP supervision, restart with backoff, clean stop.
 *
 * QEMU is the vhost-user server of every guest NIC (chardev server=on,
 * wait=off) and nfvd's net_vhost port the client (client=1): either side
 * can restart and the link comes back. QEMU 7.2 blocks at start-up until
 * the client connects, so nfvd must run (its vhost ports retry every
 * second) before a guest starts.
 */
#ifndef NFV_VM_H
#define NFV_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "model.h"
#include "qmp.h"
#include "vmconf.h"

#define VM_MAX_GUESTS 32
#define VM_READY_MARK "nfv-guest: ready"

#define VM_STATES(_)                                                                         \
	_(VM_STOPPED, "stopped")                                                             \
	_(VM_BOOTING, "booting")                                                             \
	_(VM_RUNNING, "running")                                                             \
	_(VM_BACKOFF, "backoff")                                                             \
	_(VM_FAILED, "failed")
#define VM_ENUM(sym, str) sym,
enum vm_state { VM_STATES(VM_ENUM) VM_STATE_MAX };
extern const char *const vm_state_names[];

/* Is NIC port `port` of the guest linked up in nfvd? 1/0, or -errno when
 * nfvd cannot tell (then the console mark decides). */
typedef int (*vm_link_fn)(void *arg, const char *port);

struct vm_guest {
	char name[NFV_NAME_MAX];
	struct nfv_vm_conf conf;
	char class_name[NFV_NAME_MAX];
	char run_dir[NFV_PATH_MAX];
	char qmp_path[NFV_PATH_MAX + 16];
	char console[NFV_PATH_MAX + 32];
	char chain_file[NFV_PATH_MAX + 16]; /* mode nfvd: the guest's chain file */
	char port_names[NFV_VM_MAX_NICS][NFV_NAME_MAX];
	enum nfv_vm_accel accel;          /* what was picked */
	enum vm_state state;
	pid_t pid;
	struct qmp qmp;
	int qmp_misses;
	uint64_t started_ms, ready_ms, next_ms, last_check_ms;
	uint32_t backoff_ms;
	uint32_t restarts;
	bool want_stop;                  /* vm stop: do not restart */
	char last_error[768];
};

/* Fill a guest from VNF idx of cfg (runtime: vm). Writes the guest chain
 * file for mode nfvd. Returns 0 or -errno with err. */
int vm_guest_init(struct vm_guest *g, const struct nfv_config *cfg, uint16_t idx,
		  const char *run_dir, char *err, size_t errlen);

/* KVM when the CPU has vmx/svm and /dev/kvm opens, else TCG; want (accel:)
 * overrides. warn gets a line when falling back to TCG. */
enum nfv_vm_accel vm_accel_pick(enum nfv_vm_accel want, char *warn, size_t warnlen);

/* The QEMU argv (NULL-terminated, strings in store). Returns argc or -E2BIG. */
int vm_qemu_argv(const struct vm_guest *g, char **argv, int max, char *store, size_t size);

/* Start QEMU (fork+exec, own process group, stdout/stderr to the console
 * log). Returns 0 or -errno. */
int vm_start(struct vm_guest *g, char *err, size_t errlen);
/* Clean stop: system_powerdown, wait, quit, then SIGKILL. Never fails. */
void vm_stop(struct vm_guest *g, int timeout_ms);
/* Supervise: reap exits, QMP liveness, boot timeout, restarts with
 * backoff. Call every ~100 ms. Returns 1 when the state changed. */
int vm_poll(struct vm_guest *g, vm_link_fn link, void *arg);
/* JSON view for "vm list". */
json_t *vm_guest_json(const struct vm_guest *g);

uint64_t vm_now_ms(void);

#endif /* NFV_VM_H */
