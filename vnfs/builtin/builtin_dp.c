/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - fast path of the built-in classes forward, drop, counter,
 * mac-rewrite: lock-free, no allocation, no syscalls.
 */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "builtin.h"

uint16_t
fwd_process(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct fwd_state *st = vnf->priv;
	uint16_t port = __atomic_load_n(&st->port_id, __ATOMIC_ACQUIRE);

	nfv_tx_burst(w, port, pkts, n);
	return 0;
}

uint16_t
drop_process(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		nfv_drop(w, vnf, pkts[i], DROP_POLICY);
	return 0;
}

uint16_t
cnt_process(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t bytes = 0;

	for (uint16_t i = 0; i < n; i++)
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
	nfv_count(w, vnf, CNT_PACKETS, n);
	nfv_count(w, vnf, CNT_BYTES, bytes);
	return n;
}

uint16_t
mrw_process(struct nfv_vnf *vnf, struct nfv_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct mrw_state *st = vnf->priv;
	const struct mrw_conf *c = __atomic_load_n(&st->rt, __ATOMIC_ACQUIRE);
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_ether_hdr *eh;

		if (unlikely(rte_pktmbuf_data_len(m) < sizeof(*eh))) {
			nfv_drop(w, vnf, m, MRW_DROP_RUNT);
			continue;
		}
		eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		if (c->set_src)
			memcpy(&eh->src_addr, c->src, RTE_ETHER_ADDR_LEN);
		if (c->set_dst)
			memcpy(&eh->dst_addr, c->dst, RTE_ETHER_ADDR_LEN);
		pkts[k++] = m;
	}
	return k;
}
