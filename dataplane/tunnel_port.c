/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - tunnel ports in the engine: the tables built at start, the rx hook
 * on an underlay (decapsulate, answer ARP/ND, run the inner frames as
 * arriving on the tunnel port), the tx hook of a tunnel port (encapsulate
 * onto the underlay), and their counters in stats.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include "engine_priv.h"
#include "tunnel.h"

static struct nfv_tunnel tun_tbl[NFV_MAX_TUNNELS];
static struct nfv_tunnel_ul tun_ul[NFV_MAX_TUNNELS];
static uint16_t tun_n, tun_n_ul;

/* ARP / NS for a remote not resolved yet: at most this often (per tunnel) */
#define TUN_SOLICIT_MS 200

int
nfv_tunnels_setup(struct nfv_engine *e, char *err, size_t errlen)
{
	const struct nfv_config *cfg = e->cfg;

	nfv_tunnels_close();
	for (uint16_t i = 0; i < cfg->n_ports; i++) {
		const struct nfv_port_conf *pc = &cfg->ports[i];
		uint16_t pid = nfv_port_cfg_id[i], ul_pid, k;
		struct rte_ether_addr mac;
		struct nfv_tunnel_ul *u = NULL;
		int ret;

		if (!nfv_port_is_tunnel(pc->driver))
			continue;
		if (tun_n >= NFV_MAX_TUNNELS) {
			snprintf(err, errlen, "port %s: more than %d tunnels", pc->name,
				 NFV_MAX_TUNNELS);
			return -ENOSPC;
		}
		ul_pid = nfv_port_cfg_id[pc->underlay];
		ret = rte_eth_macaddr_get(ul_pid, &mac);
		if (ret < 0) {
			snprintf(err, errlen, "port %s: the MAC of underlay %s: %s", pc->name,
				 cfg->ports[pc->underlay].name, rte_strerror(-ret));
			return ret;
		}
		for (k = 0; k < tun_n_ul; k++)
			if (tun_ul[k].pid == ul_pid)
				u = &tun_ul[k];
		if (u == NULL) {
			u = &tun_ul[tun_n_ul];
			u->pid = ul_pid;
			u->slot = (uint16_t)(NFV_MAX_TUNNELS + tun_n_ul);
			tun_n_ul++;
		}
		struct nfv_tunnel *t = &tun_tbl[tun_n];

		nfv_tunnel_init(t, pc, pid, ul_pid, mac.addr_bytes, tun_n, u->slot);
		tun_n++;
		u->t[u->n++] = t;
		nfv_ports[pid].tunnel = t;
		nfv_ports[pid].n_rxq = 0; /* nothing to poll: its rx is the underlay's */
		nfv_ports[ul_pid].tun_ul = u;
	}
	return 0;
}

void
nfv_tunnels_close(void)
{
	for (uint16_t pid = 0; pid < RTE_MAX_ETHPORTS; pid++) {
		nfv_ports[pid].tunnel = NULL;
		nfv_ports[pid].tun_ul = NULL;
	}
	memset(tun_tbl, 0, sizeof(tun_tbl));
	memset(tun_ul, 0, sizeof(tun_ul));
	tun_n = tun_n_ul = 0;
	memset(nfv_tun_ctr, 0, sizeof(nfv_tun_ctr));
}

uint16_t
nfv_tunnel_rx(const struct nfv_pipeline *p, struct nfv_worker *w, const struct nfv_tunnel_ul *u,
	      struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *grp[NFV_MAX_TUNNELS][NFV_BURST];
	struct rte_mbuf *drop[NFV_BURST];
	uint16_t cnt[NFV_MAX_TUNNELS], k = 0, nd = 0;

	memset(cnt, 0, sizeof(cnt[0]) * u->n);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct nfv_tunnel *t;
		int r = nfv_tunnel_decap(u, m, &t);

		if (likely(r == NFV_TUN_DECAP)) {
			uint16_t ti = 0;

			while (u->t[ti] != t)
				ti++;
			grp[ti][cnt[ti]++] = m;
			nfv_tun_count(w->lcore, t->slot, NFV_TUN_RX, 1);
			nfv_tun_count(w->lcore, t->slot, NFV_TUN_RX_BYTES, rte_pktmbuf_pkt_len(m));
		} else if (r == NFV_TUN_PASS) {
			pkts[k++] = m;
		} else if (r == NFV_TUN_LOCAL) {
			if (nfv_tunnel_local(u, m, w->lcore))
				nfv_tx(w, u->pid, m);
			else
				drop[nd++] = m;
		} else {
			nfv_tun_drop(w->lcore, t != NULL ? t->slot : u->slot, (unsigned int)r);
			drop[nd++] = m;
		}
	}
	if (nd)
		rte_pktmbuf_free_bulk(drop, nd);
	for (uint16_t ti = 0; ti < u->n; ti++)
		if (cnt[ti])
			nfv_pipeline_run(p, w, u->t[ti]->pid, grp[ti], cnt[ti]);
	return k;
}

/* No next hop yet: an ARP request / NS for the remote, at most every
 * TUN_SOLICIT_MS. NULL when not due or no mbuf. */
static struct rte_mbuf *
tun_solicit_due(struct nfv_tunnel *t, unsigned int lcore)
{
	uint64_t now = rte_rdtsc(),
		 next = atomic_load_explicit(&t->solicit_tsc, memory_order_relaxed);
	struct rte_mbuf *m;

	if (now < next ||
	    !atomic_compare_exchange_strong_explicit(&t->solicit_tsc, &next,
						     now + rte_get_tsc_hz() / 1000 * TUN_SOLICIT_MS,
						     memory_order_relaxed, memory_order_relaxed))
		return NULL;
	m = rte_pktmbuf_alloc(nfv_pktmbuf_pool());
	if (m == NULL)
		return NULL;
	if (nfv_tunnel_solicit(t, m) < 0) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	nfv_tun_count(lcore, t->ul_slot, NFV_TUN_SOLICITS, 1);
	return m;
}

/* Encapsulate pkts[0..n) in place, keeping what goes out at the front;
 * frees and counts the rest. *sol: a solicitation to send, if due. */
static uint16_t
tun_encap_burst(struct nfv_tunnel *t, struct rte_mbuf **pkts, uint16_t n, unsigned int lcore,
		struct rte_mbuf **sol)
{
	struct rte_mbuf *drop[NFV_TX_BUF];
	uint16_t k = 0, nd = 0;
	uint64_t bytes = 0;

	*sol = NULL;
	for (uint16_t i = 0; i < n; i++) {
		uint32_t len = rte_pktmbuf_pkt_len(pkts[i]);
		int r = nfv_tunnel_encap(t, pkts[i]);

		if (likely(r == NFV_TUN_OK)) {
			bytes += len;
			pkts[k++] = pkts[i];
			continue;
		}
		nfv_tun_drop(lcore, t->slot, (unsigned int)r);
		drop[nd++] = pkts[i];
		if (r == NFV_TUN_DROP_NO_NEIGH && *sol == NULL)
			*sol = tun_solicit_due(t, lcore);
		if (nd == RTE_DIM(drop)) {
			rte_pktmbuf_free_bulk(drop, nd);
			nd = 0;
		}
	}
	if (nd)
		rte_pktmbuf_free_bulk(drop, nd);
	nfv_tun_count(lcore, t->slot, NFV_TUN_TX, k);
	nfv_tun_count(lcore, t->slot, NFV_TUN_TX_BYTES, bytes);
	return k;
}

uint16_t
nfv_tunnel_flush(struct nfv_worker *w, struct nfv_tunnel *t)
{
	struct nfv_txq *q = &w->tx[t->pid & (RTE_MAX_ETHPORTS - 1)];
	struct rte_mbuf *pkts[NFV_TX_BUF], *sol;
	uint16_t n = q->n, k;

	memcpy(pkts, q->pkts, n * sizeof(pkts[0]));
	q->n = 0;
	q->held_tsc = 0;
	k = tun_encap_burst(t, pkts, n, w->lcore, &sol);
	if (sol != NULL)
		nfv_tx(w, t->ul_pid, sol);
	if (k)
		nfv_tx_burst(w, t->ul_pid, pkts, k);
	nfv_txq_flush(w, t->ul_pid);
	return k;
}

uint16_t
nfv_tunnel_ctl_tx(struct nfv_tunnel *t, struct rte_mbuf **pkts, uint16_t n)
{
	unsigned int lcore = rte_lcore_id();
	struct rte_mbuf *sol;
	uint16_t done = 0, sent = 0;

	if (lcore >= RTE_MAX_LCORE)
		lcore = 0;
	while (done < n) {
		uint16_t b = (uint16_t)RTE_MIN(n - done, NFV_TX_BUF), k;

		k = tun_encap_burst(t, pkts + done, b, lcore, &sol);
		if (sol != NULL)
			nfv_ctl_tx(t->ul_pid, &sol, 1);
		sent += nfv_ctl_tx(t->ul_pid, pkts + done, k);
		done += b;
	}
	return sent;
}

void
nfv_tunnel_port_totals(uint16_t slot, uint64_t row[NFV_TUN_ROW])
{
	memset(row, 0, sizeof(uint64_t) * NFV_TUN_ROW);
	for (unsigned int l = 0; l < RTE_MAX_LCORE; l++)
		for (unsigned int k = 0; k < NFV_TUN_ROW; k++)
			row[k] += nfv_tun_ctr[l][slot][k];
}

static json_t *
tun_row_json(uint16_t slot)
{
	uint64_t row[NFV_TUN_ROW];
	json_t *o = json_object(), *drops = json_object();

	nfv_tunnel_port_totals(slot, row);
	for (unsigned int k = 0; k < NFV_TUN_CTR_MAX; k++)
		json_object_set_new(o, nfv_tunnel_ctr_names[k], json_integer(row[k]));
	for (unsigned int k = 0; k < NFV_TUN_DROP_MAX; k++)
		json_object_set_new(drops, nfv_tunnel_drop_names[k],
				    json_integer(row[NFV_TUN_CTR_MAX + k]));
	json_object_set_new(o, "drops", drops);
	return o;
}

void
nfv_tunnel_port_json(uint16_t pid, bool stats, struct json_t *o)
{
	const struct nfv_port_rt *pr = &nfv_ports[pid & (RTE_MAX_ETHPORTS - 1)];
	const struct nfv_tunnel *t = pr->tunnel;

	if (t != NULL && stats) {
		json_object_set_new(o, "tunnel", tun_row_json(t->slot));
	} else if (t != NULL) {
		char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN], mac[RTE_ETHER_ADDR_FMT_SIZE] = "";
		uint64_t nh = atomic_load_explicit(&t->nh_mac, memory_order_relaxed);
		json_t *x = json_object();

		inet_ntop(t->family, t->local, a, sizeof(a));
		inet_ntop(t->family, t->remote, b, sizeof(b));
		if (nh & NFV_TUN_NH_VALID) {
			struct rte_ether_addr e;

			for (int i = 0; i < 6; i++)
				e.addr_bytes[i] = (uint8_t)(nh >> (8 * i));
			rte_ether_format_addr(mac, sizeof(mac), &e);
		}
		json_object_set_new(x, "underlay", json_string(nfv_ports[t->ul_pid].name));
		json_object_set_new(x, "local", json_string(a));
		json_object_set_new(x, "remote", json_string(b));
		json_object_set_new(x, "vni", json_integer(t->vni));
		json_object_set_new(x, "dst_port", json_integer(t->dst_port));
		json_object_set_new(x, "inner_mtu", json_integer(t->max_frame - 14));
		json_object_set_new(x, "next_hop_mac", json_string(mac));
		json_object_set_new(x, "next_hop",
				    json_string(!(nh & NFV_TUN_NH_VALID) ? "unresolved"
						: t->static_nh		 ? "static"
									 : "learned"));
		json_object_set_new(o, "tunnel", x);
	}
	if (pr->tun_ul != NULL && stats)
		json_object_set_new(o, "underlay", tun_row_json(pr->tun_ul->slot));
}
