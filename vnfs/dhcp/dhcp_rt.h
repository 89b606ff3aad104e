/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd DHCP server - runtime state shared by dhcp_cp.c (control thread)
 * and dhcp_dp.c (workers). Workers read only the `dp` part, which never
 * changes while the instance lives (a new conf makes a new instance).
 */
#ifndef NFV_DHCP_RT_H
#define NFV_DHCP_RT_H

#include "dhcp.h"
#include "dhcp_hold.h"
#include "nfv.h"

#define DHCP_OUT_MAX 32    /* replies gathered for one transmit burst */

struct dhcp_dp_if {
	uint16_t port;    /* DPDK port id */
	uint16_t vlan;
	uint32_t addr_be; /* interface address, network order */
	bool arp;         /* punt ARP requests for addr_be */
};

struct dhcp_state {
	/* read by workers */
	uint16_t n_ifs;
	struct dhcp_dp_if dp[DHCP_MAX_IFS];
	/* control thread only */
	const struct dhcp_conf *conf;
	struct rte_ether_addr mac[DHCP_MAX_IFS];
	struct dhcp_db db;
	struct dhcp_srv srv;
	struct dhcp_hold hold; /* ACKs waiting for their journal commit */
	uint64_t seen_fsyncs, seen_records; /* for the journal counters */
	uint64_t ctr_row; /* counter row of the control thread */
	struct dhcp_msg msg;
	struct dhcp_reply reply;
	/* replies of one control-loop pass, sent as one burst per port (on
	 * af_packet or tap a burst is one system call) */
	uint16_t n_out, out_port;
	struct rte_mbuf *out[DHCP_OUT_MAX];
};

uint16_t dhcp_process(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf **pkts,
		      uint16_t n);

#endif /* NFV_DHCP_RT_H */
