/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - control path: the multicast listener side of MLDv2
 * (RFC 3810) for the groups neighbour discovery needs the router to be in:
 * all-routers (ff02::2, ff05::2; RFC 4861 6.2.2 "MUST join") and the
 * solicited-node group of each of its addresses (RFC 4861 7.2.1, RFC 4862
 * 5.4.2). Without reports, a switch that snoops MLD (with a querier on the
 * link) stops sending the router the hosts' solicitations and router
 * solicitations. Reports go out when the addresses are announced (start,
 * apply: twice, RFC 3810 6.1 robustness) and in answer to any query.
 * Interfaces with a kernel twin are left to its kernel (it joins what it
 * needs). Control thread only; uses router_frame.c.
 */
#include <string.h>

#include "router_frame.h"
#include "router_mld.h"

#define RTR_MLD_MAX_GROUPS (RTR_MAX_ADDRS + 3)
#define RTR_MLD_REC 20 /* a record without sources */

static const uint8_t rtr_mld_routers[16] = {0xff, 0x02, [15] = 2};
static const uint8_t rtr_mld_routers_site[16] = {0xff, 0x05, [15] = 2};
static const uint8_t rtr_mld_all_v2[16] = {0xff, 0x02, [15] = 0x16};
static const uint8_t rtr_mld_all_v2_mac[6] = {0x33, 0x33, 0, 0, 0, 0x16};

/* The groups of interface f, each once; returns how many */
static unsigned int
rtr_mld_groups(const struct rtr_if *f, uint8_t g[RTR_MLD_MAX_GROUPS][16])
{
	unsigned int n = 0;

	memcpy(g[n++], rtr_mld_routers, 16);
	memcpy(g[n++], rtr_mld_routers_site, 16);
	for (int k = -1; k < (int)f->n6 && n < RTR_MLD_MAX_GROUPS; k++) {
		const uint8_t *a = k < 0 ? f->ll6 : f->a6[k];
		uint8_t s[16] = {0xff, 0x02, [11] = 0x01, [12] = 0xff};
		unsigned int i;

		memcpy(s + 13, a + 13, 3);
		for (i = 0; i < n && memcmp(g[i], s, 16) != 0; i++)
			;
		if (i == n)
			memcpy(g[n++], s, 16);
	}
	return n;
}

void
rtr_mld_report(struct rtr_state *st, const struct rtr_tables *t, uint16_t ifi, bool change)
{
	const struct rtr_if *f = &t->ifs[ifi];
	uint8_t g[RTR_MLD_MAX_GROUPS][16], *hbh, *icmp;
	unsigned int n = rtr_mld_groups(f, g);
	uint16_t ilen = (uint16_t)(8 + RTR_MLD_REC * n);
	struct rte_ipv6_hdr *ip6, ph;
	struct rte_mbuf *m;
	uint32_t sum;

	if (st->hif[ifi] != NULL)
		return; /* the twin's kernel reports its own */
	ip6 = (struct rte_ipv6_hdr *)rtr_new_frame(st, f, rtr_mld_all_v2_mac, RTE_ETHER_TYPE_IPV6,
						   (uint16_t)(40 + 8 + ilen), &m);
	if (ip6 == NULL)
		return;
	ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip6->payload_len = rte_cpu_to_be_16((uint16_t)(8 + ilen));
	ip6->proto = 0; /* hop-by-hop: router alert (RFC 3810 5) */
	ip6->hop_limits = 1;
	memcpy(ip6->src_addr, f->ll6, 16);
	memcpy(ip6->dst_addr, rtr_mld_all_v2, 16);
	hbh = (uint8_t *)(ip6 + 1);
	hbh[0] = IPPROTO_ICMPV6;
	hbh[2] = 5; /* router alert, value 0: MLD */
	hbh[3] = 2;
	hbh[6] = 1; /* PadN, no data */
	icmp = hbh + 8;
	icmp[0] = 143;
	icmp[6] = (uint8_t)(n >> 8);
	icmp[7] = (uint8_t)n;
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *r = icmp + 8 + RTR_MLD_REC * i;

		/* CHANGE_TO_EXCLUDE_MODE (4) when joining, MODE_IS_EXCLUDE
		 * (2) in answer to a query; no sources: the whole group */
		r[0] = change ? 4 : 2;
		memcpy(r + 4, g[i], 16);
	}
	/* the checksum's pseudo-header: the upper-layer length and 58 */
	ph = *ip6;
	ph.proto = IPPROTO_ICMPV6;
	ph.payload_len = rte_cpu_to_be_16(ilen);
	sum = rte_ipv6_phdr_cksum(&ph, 0) + (uint32_t)rte_raw_cksum(icmp, ilen);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	memcpy(icmp + 2, &(uint16_t){(uint16_t)sum}, 2);
	st->cp[RTR_CP_MLD_REPORT_TX]++;
	rtr_send(st, f->port, m);
}

void
rtr_mld_announce(struct rtr_state *st, const struct rtr_tables *t)
{
	for (uint16_t i = 0; i < t->n_if; i++)
		rtr_mld_report(st, t, i, true);
}

void
rtr_mld_input(struct rtr_state *st, const struct rtr_tables *t, struct rte_mbuf *m, uint16_t ifi)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	const struct rte_ipv6_hdr *ip6 =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, md->l3_off);
	const uint8_t *icmp = (const uint8_t *)(ip6 + 1);
	uint32_t plen = rte_be_to_cpu_16(ip6->payload_len);

	/* RFC 3810 5.1.14: a query from a link-local source, hop limit 1,
	 * 24 bytes (v1 queries are 24 too) or more, a valid checksum */
	if (icmp[0] == 130 && plen >= 24 && rte_pktmbuf_data_len(m) >= md->l3_off + 40u + plen &&
	    ip6->hop_limits == 1 && ip6->src_addr[0] == 0xfe && (ip6->src_addr[1] & 0xc0) == 0x80 &&
	    rtr_icmp6_ok(ip6, icmp)) {
		st->cp[RTR_CP_MLD_QUERY_RX]++;
		rtr_mld_report(st, t, ifi, false);
	}
	rte_pktmbuf_free(m);
}
