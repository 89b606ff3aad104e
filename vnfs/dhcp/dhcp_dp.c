/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd DHCP server - worker fast path: steer IPv4 UDP port 67 addressed to
 * one of the instance's interfaces (its address or broadcast, on its port
 * and VLAN), and ARP requests for the interface address (clients unicast
 * RENEW/RELEASE to it), to the control thread; everything else continues
 * untouched.
 */
#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dhcp_rt.h"

static inline bool
dhcp_dp_match(const struct dhcp_state *st, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip;
	const struct rte_udp_hdr *udp;
	uint16_t et = eth->ether_type, off = sizeof(*eth), vlan = 0, ihl;
	uint16_t in_port = nfv_meta(m)->in_port;

	if (unlikely(m->data_len < sizeof(*eth) + sizeof(*ip) + sizeof(*udp)))
		return false;
	if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN)) {
		const struct rte_vlan_hdr *vh = (const struct rte_vlan_hdr *)(eth + 1);

		vlan = rte_be_to_cpu_16(vh->vlan_tci) & 0xfff;
		et = vh->eth_proto;
		off += sizeof(*vh);
	}
	if (unlikely(et == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP))) {
		const struct rte_arp_hdr *arp = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *,
									 off);

		if (m->data_len < off + sizeof(*arp) ||
		    arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST))
			return false;
		for (uint16_t i = 0; i < st->n_ifs; i++) {
			if (st->dp[i].arp && st->dp[i].port == in_port && st->dp[i].vlan == vlan &&
			    arp->arp_data.arp_tip == st->dp[i].addr_be) {
				nfv_meta(m)->vlan = vlan;
				nfv_meta(m)->l3_off = off;
				return true;
			}
		}
		return false;
	}
	if (et != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))
		return false;
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, off);
	if (ip->next_proto_id != IPPROTO_UDP)
		return false;
	ihl = (uint16_t)((ip->version_ihl & 0xf) * 4);
	if (m->data_len < off + ihl + sizeof(*udp))
		return false;
	udp = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, off + ihl);
	if (udp->dst_port != rte_cpu_to_be_16(DHCP_SERVER_PORT))
		return false;
	for (uint16_t i = 0; i < st->n_ifs; i++) {
		if (st->dp[i].port == in_port && st->dp[i].vlan == vlan &&
		    (ip->dst_addr == st->dp[i].addr_be || ip->dst_addr == UINT32_MAX)) {
			nfv_meta(m)->vlan = vlan;
			nfv_meta(m)->l3_off = off;
			return true;
		}
	}
	return false;
}

/* nfvctl trace: what the stage did with a traced packet it punts */
static __rte_noinline __rte_cold void
dhcp_trace_punt(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf *m)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t off = nfv_meta(m)->l3_off;

	if (off >= 2 && d[off - 2] == 0x08 && d[off - 1] == 0x06)
		nfv_trace_note(w, vnf, m, "ARP for the server's address on port %p: punted to the server",
			       NULL, nfv_meta(m)->in_port, 0, 0);
	else
		nfv_trace_note(w, vnf, m, "DHCP to the server on port %p vlan %u: punted to the server",
			       NULL, nfv_meta(m)->in_port, nfv_meta(m)->vlan, 0);
}

uint16_t
dhcp_process(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	const struct dhcp_state *st = vnf->priv;
	uint16_t keep = 0, punted = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (unlikely(dhcp_dp_match(st, m))) {
			if (nfv_traced(w, m))
				dhcp_trace_punt(vnf, w, m);
			nfv_punt(w, vnf, m);
			punted++;
		} else {
			pkts[keep++] = m;
		}
	}
	if (punted)
		nfv_count(w, vnf, DHCP_C_PUNTED, punted);
	return keep;
}
