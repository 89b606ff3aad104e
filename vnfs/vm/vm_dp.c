/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - "vm" stage fast path.
 */
#include "vm.h"

uint16_t
vm_stage_process(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf **pkts,
		 uint16_t n)
{
	struct vm_stage *st = vnf->priv;

	if (likely(__atomic_load_n(&st->link_up, __ATOMIC_RELAXED))) {
		for (uint16_t i = 0; i < n; i++) {
			if (nfv_traced(w, pkts[i]))
				nfv_trace_note(w, vnf, pkts[i], "to the guest: its NIC on port %p",
					       NULL, st->in_port, 0, 0);
			nfv_tx(w, st->in_port, pkts[i]);
		}
		nfv_count(w, vnf, VM_CTR_TO_GUEST, n);
		return 0;
	}
	if (st->bypass) {
		nfv_count(w, vnf, VM_CTR_BYPASSED, n);
		if (nfv_tracing(w))
			for (uint16_t i = 0; i < n; i++)
				if (nfv_traced(w, pkts[i]))
					nfv_trace_note(w, vnf, pkts[i],
						       "guest down: bypassed (on-failure: bypass)", NULL,
						       0, 0, 0);
		return n;
	}
	for (uint16_t i = 0; i < n; i++)
		nfv_drop(w, vnf, pkts[i], VM_DROP_STAGE_DOWN);
	return 0;
}
