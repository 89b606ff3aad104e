/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - the "vm" stage class, schema half (vm_conf.c): the guest spec of
 * a VNF with "runtime: vm" (its "vm:" mapping).
 *
 *   vm:
 *     image: {kernel: F, initrd: F, cmdline: S} | {disk: F}
 *     vcpus: 1             memory: 256        (MiB, >= NFV_VM_MEMORY_MIN)
 *     nics: [{name: eth0, port: fw-in}, ...]  port: a "driver: vhost" port of
 *                          the chain file (nfvd's client end of the socket);
 *                          port defaults to name; socket: optional, must
 *                          equal the port's path
 *     ingress: eth0        egress: eth1       (NIC names; one NIC may be both)
 *     accel: auto|kvm|tcg  boot-timeout: 60   (seconds)
 *     on-failure: drop|bypass
 *     console: F           (serial log; default <run dir>/<vnf>.console.log)
 *     mode: nfvd|foreign   nfvd: the guest runs nfvd with a chain file made
 *                          from this VNF's class and settings (fw_cfg);
 *                          foreign: a third-party image, nothing passed in.
 *                          Default: nfvd when the VNF has a class other than
 *                          "vm", else foreign.
 *
 * No DPDK here: nfvctl validates offline with it.
 */
#ifndef NFV_VMCONF_H
#define NFV_VMCONF_H

#include <stdbool.h>
#include <stdint.h>

#include "cfg.h"
#include "model.h"
#include "vnf.h"

#define NFV_VM_MAX_NICS 8
#define NFV_VM_MEMORY_MIN 128 /* MiB: the smallest guest that boots our image */
#define NFV_VM_MEMORY_NFVD_MIN 384 /* MiB: mode nfvd (256 MiB of hugepages) */
#define NFV_VM_CMDLINE_MAX 512

enum nfv_vm_accel {
	NFV_VM_ACCEL_AUTO,
	NFV_VM_ACCEL_KVM,
	NFV_VM_ACCEL_TCG,
};

enum nfv_vm_failure {
	NFV_VM_FAIL_DROP,
	NFV_VM_FAIL_BYPASS,
};

enum nfv_vm_mode {
	NFV_VM_MODE_NFVD,
	NFV_VM_MODE_FOREIGN,
};

struct nfv_vm_nic {
	char name[NFV_NAME_MAX];
	uint16_t port;               /* index into nfv_config.ports (driver vhost) */
	char socket[NFV_PATH_MAX];   /* the vhost-user socket (QEMU is the server) */
};

struct nfv_vm_conf {
	char vnf[NFV_NAME_MAX];      /* the VNF's name */
	char kernel[NFV_PATH_MAX];   /* absolute; "" with a disk image */
	char initrd[NFV_PATH_MAX];
	char cmdline[NFV_VM_CMDLINE_MAX];
	char disk[NFV_PATH_MAX];
	char console[NFV_PATH_MAX];  /* "" = orchestrator default */
	uint16_t vcpus;
	uint32_t memory_mb;
	uint16_t n_nics;
	struct nfv_vm_nic nics[NFV_VM_MAX_NICS];
	uint16_t ingress;            /* index into nics */
	uint16_t egress;
	enum nfv_vm_accel accel;
	uint32_t boot_timeout_s;
	enum nfv_vm_failure on_failure;
	enum nfv_vm_mode mode;
};

extern const char *const nfv_vm_accel_names[];
extern const char *const nfv_vm_failure_names[];

/* The schema of the "vm" stage: nfvd runs it for every VNF with
 * runtime: vm (vnf_schema.runtime), whatever class the guest runs. Its conf
 * is a struct nfv_vm_conf. Once the file is loaded it checks what spans
 * VNFs and chains (config_check): a vhost port used by two NICs, a guest
 * used by two chains (its egress NIC resumes exactly one chain), a guest
 * NIC port used as a chain's ingress. */
extern struct vnf_schema nfv_vm_schema;

/* The guest spec of VNF vnf_idx, or NULL when it does not run in a guest. */
const struct nfv_vm_conf *nfv_vm_conf_of(const struct nfv_config *cfg, uint16_t vnf_idx);

/* Index of the chain running VNF vnf_idx, or -1. */
int nfv_vm_chain_of(const struct nfv_config *cfg, uint16_t vnf_idx);

#endif /* NFV_VMCONF_H */
