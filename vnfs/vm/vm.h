/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - the "vm" stage class: a chain stage that runs in a QEMU guest.
 * process() sends the burst out of the guest's ingress NIC (a vhost port);
 * what the guest sends back on its egress NIC re-enters the chain at the
 * next stage (resume_ports). The control thread watches the link (tick):
 * while it is down the stage drops ("stage-down") or, with
 * on-failure: bypass, lets the burst through to the next stage.
 */
#ifndef NFV_VNF_VM_H
#define NFV_VNF_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "nfv.h"
#include "vmconf.h"

#define VM_COUNTERS(_)                                                                       \
	_(VM_CTR_TO_GUEST, "to-guest")                                                       \
	_(VM_CTR_BYPASSED, "bypassed")
enum { VM_COUNTERS(VNF_ENUM) VM_CTR_MAX };

#define VM_DROPS(_) _(VM_DROP_STAGE_DOWN, "stage-down", "the guest's link is down and on-failure is drop")
enum { VM_DROPS(VNF_ENUM) VM_DROP_MAX };

struct vm_stage {
	uint16_t in_port;  /* DPDK port id of the guest's ingress NIC */
	uint16_t out_port; /* DPDK port id of the guest's egress NIC */
	bool bypass;       /* on-failure: bypass */
	uint32_t link_up;  /* written by tick (control), read by workers */
	uint64_t link_changes;
	uint64_t last_change_ms;
};

uint16_t vm_stage_process(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf **pkts,
			  uint16_t n);

#endif /* NFV_VNF_VM_H */
