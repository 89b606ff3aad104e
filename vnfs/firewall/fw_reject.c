/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd firewall VNF - "reject" replies, built on the control thread from a
 * punted packet: TCP RST for TCP, ICMP port unreachable for IPv4 and
 * ICMPv6 port unreachable for IPv6 otherwise. Never answers (RFC 1812
 * 4.3.2.7, RFC 4443 2.4(e)) a RST, an ICMP error, a non-initial fragment,
 * a frame sent to a link-layer broadcast or multicast address, a packet to
 * a multicast or broadcast address or from one that is not a single host
 * (0/8, 127/8, multicast, class E, broadcast; ::, ::1, multicast): the
 * reply is sent from the original destination's MAC and address, which
 * then are unicast ones. A subnet's directed broadcast in a unicast frame
 * cannot be told from a host here (the firewall knows no subnets): the
 * router after it drops it.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "fw_rt.h"

#define FW_ICMP6_ERR_MAX 512 /* bytes of the offending packet quoted in ICMPv6 */

/* Copy the L2 header (with any VLAN tag), MACs swapped. */
static uint8_t *
fw_reject_l2(struct rte_mbuf *r, const uint8_t *d, uint16_t l3_off, uint16_t l3_len)
{
	uint8_t *o = (uint8_t *)rte_pktmbuf_append(r, l3_off + l3_len);
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)o;
	const struct rte_ether_hdr *ih = (const struct rte_ether_hdr *)d;

	if (o == NULL)
		return NULL;
	memcpy(o, d, l3_off);
	rte_ether_addr_copy(&ih->src_addr, &eh->dst_addr);
	rte_ether_addr_copy(&ih->dst_addr, &eh->src_addr);
	return o + l3_off;
}

/* one host's IPv4 address (network order): not 0/8, 127/8, 224/3 */
static bool
fw_host4(uint32_t a_be)
{
	uint32_t a = rte_be_to_cpu_32(a_be);

	return a < 0xe0000000u && (a >> 24) != 0 && (a >> 24) != 127;
}

/* one host's IPv6 address: not ::, ::1, multicast */
static bool
fw_host6(const uint8_t *a)
{
	static const uint8_t zero[15];

	return a[0] != 0xff && !(memcmp(a, zero, 15) == 0 && a[15] <= 1);
}

static void
fw_tcp_rst_fill(struct rte_tcp_hdr *t, const struct rte_tcp_hdr *it, uint32_t payload)
{
	memset(t, 0, sizeof(*t));
	t->src_port = it->dst_port;
	t->dst_port = it->src_port;
	t->data_off = 5 << 4;
	if (it->tcp_flags & RTE_TCP_ACK_FLAG) {
		t->sent_seq = it->recv_ack;
		t->tcp_flags = RTE_TCP_RST_FLAG;
	} else {
		uint32_t ack = rte_be_to_cpu_32(it->sent_seq) + payload;

		if (it->tcp_flags & RTE_TCP_SYN_FLAG)
			ack++;
		if (it->tcp_flags & RTE_TCP_FIN_FLAG)
			ack++;
		t->recv_ack = rte_cpu_to_be_32(ack);
		t->tcp_flags = RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG;
	}
}

static struct rte_mbuf *
fw_reject_v4(struct rte_mbuf *m, const uint8_t *d, uint16_t l3_off, struct rte_mempool *mp)
{
	const struct rte_ipv4_hdr *ih = (const struct rte_ipv4_hdr *)(d + l3_off);
	uint32_t ihl = (ih->version_ihl & 0xf) * 4u, tot = rte_be_to_cpu_16(ih->total_length);
	const uint8_t *l4 = (const uint8_t *)ih + ihl;
	struct rte_ipv4_hdr *oh;
	struct rte_mbuf *r;

	RTE_SET_USED(m);
	if (!fw_host4(ih->dst_addr) || !fw_host4(ih->src_addr) ||
	    (ih->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK)))
		return NULL;
	if (ih->next_proto_id == IPPROTO_TCP) {
		const struct rte_tcp_hdr *it = (const struct rte_tcp_hdr *)l4;
		struct rte_tcp_hdr *t;

		if (it->tcp_flags & RTE_TCP_RST_FLAG)
			return NULL;
		r = rte_pktmbuf_alloc(mp);
		if (r == NULL)
			return NULL;
		oh = (struct rte_ipv4_hdr *)fw_reject_l2(r, d, l3_off, 40);
		if (oh == NULL)
			goto free_reply;
		t = (struct rte_tcp_hdr *)(oh + 1);
		fw_tcp_rst_fill(t, it, tot - ihl - (it->data_off >> 4) * 4u);
		oh->version_ihl = 0x45;
		oh->type_of_service = 0;
		oh->total_length = rte_cpu_to_be_16(40);
		oh->packet_id = 0;
		oh->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		oh->time_to_live = 64;
		oh->next_proto_id = IPPROTO_TCP;
		oh->src_addr = ih->dst_addr;
		oh->dst_addr = ih->src_addr;
		oh->hdr_checksum = 0;
		oh->hdr_checksum = rte_ipv4_cksum(oh);
		t->cksum = rte_ipv4_udptcp_cksum(oh, t);
		return r;
	}
	if (ih->next_proto_id == IPPROTO_ICMP && l4[0] != 8 && l4[0] != 0)
		return NULL; /* never answer ICMP errors and the like */
	{
		uint32_t quote = RTE_MIN(tot, ihl + 8);
		struct rte_icmp_hdr *ic;

		r = rte_pktmbuf_alloc(mp);
		if (r == NULL)
			return NULL;
		oh = (struct rte_ipv4_hdr *)fw_reject_l2(r, d, l3_off, 20 + 8 + quote);
		if (oh == NULL)
			goto free_reply;
		ic = (struct rte_icmp_hdr *)(oh + 1);
		memset(ic, 0, sizeof(*ic));
		ic->icmp_type = 3 /* destination unreachable */;
		ic->icmp_code = 3; /* port unreachable */
		memcpy(ic + 1, ih, quote);
		ic->icmp_cksum = ~rte_raw_cksum(ic, 8 + quote);
		if (ic->icmp_cksum == 0)
			ic->icmp_cksum = 0xffff;
		oh->version_ihl = 0x45;
		oh->type_of_service = 0;
		oh->total_length = rte_cpu_to_be_16(20 + 8 + quote);
		oh->packet_id = 0;
		oh->fragment_offset = 0;
		oh->time_to_live = 64;
		oh->next_proto_id = IPPROTO_ICMP;
		oh->src_addr = ih->dst_addr;
		oh->dst_addr = ih->src_addr;
		oh->hdr_checksum = 0;
		oh->hdr_checksum = rte_ipv4_cksum(oh);
		return r;
	}
free_reply:
	rte_pktmbuf_free(r);
	return NULL;
}

static struct rte_mbuf *
fw_reject_v6(struct rte_mbuf *m, const uint8_t *d, uint16_t l3_off, struct rte_mempool *mp)
{
	const struct rte_ipv6_hdr *ih = (const struct rte_ipv6_hdr *)(d + l3_off);
	uint32_t plen = rte_be_to_cpu_16(ih->payload_len);
	struct rte_ipv6_hdr *oh;
	struct rte_mbuf *r;

	RTE_SET_USED(m);
	if (!fw_host6(ih->dst_addr) || !fw_host6(ih->src_addr))
		return NULL;
	if (ih->proto == IPPROTO_TCP) {
		const struct rte_tcp_hdr *it = (const struct rte_tcp_hdr *)(ih + 1);
		struct rte_tcp_hdr *t;

		if (it->tcp_flags & RTE_TCP_RST_FLAG)
			return NULL;
		r = rte_pktmbuf_alloc(mp);
		if (r == NULL)
			return NULL;
		oh = (struct rte_ipv6_hdr *)fw_reject_l2(r, d, l3_off, 60);
		if (oh == NULL)
			goto free_reply;
		t = (struct rte_tcp_hdr *)(oh + 1);
		fw_tcp_rst_fill(t, it, plen - (it->data_off >> 4) * 4u);
		oh->vtc_flow = rte_cpu_to_be_32(0x60000000);
		oh->payload_len = rte_cpu_to_be_16(20);
		oh->proto = IPPROTO_TCP;
		oh->hop_limits = 64;
		memcpy(oh->src_addr, ih->dst_addr, 16);
		memcpy(oh->dst_addr, ih->src_addr, 16);
		t->cksum = rte_ipv6_udptcp_cksum(oh, t);
		return r;
	}
	if (ih->proto == IPPROTO_ICMPV6 && ((const uint8_t *)(ih + 1))[0] < 128)
		return NULL;
	{
		uint32_t quote = RTE_MIN(40 + plen, (uint32_t)FW_ICMP6_ERR_MAX);
		uint8_t *ic;

		r = rte_pktmbuf_alloc(mp);
		if (r == NULL)
			return NULL;
		oh = (struct rte_ipv6_hdr *)fw_reject_l2(r, d, l3_off, 40 + 8 + quote);
		if (oh == NULL)
			goto free_reply;
		ic = (uint8_t *)(oh + 1);
		memset(ic, 0, 8);
		ic[0] = 1; /* destination unreachable */
		ic[1] = 4; /* port unreachable */
		memcpy(ic + 8, ih, quote);
		oh->vtc_flow = rte_cpu_to_be_32(0x60000000);
		oh->payload_len = rte_cpu_to_be_16(8 + quote);
		oh->proto = IPPROTO_ICMPV6;
		oh->hop_limits = 64;
		memcpy(oh->src_addr, ih->dst_addr, 16);
		memcpy(oh->dst_addr, ih->src_addr, 16);
		uint16_t ck = rte_ipv6_udptcp_cksum(oh, ic);
		memcpy(ic + 2, &ck, 2);
		return r;
	}
free_reply:
	rte_pktmbuf_free(r);
	return NULL;
}

struct rte_mbuf *
fw_reject_build(struct rte_mbuf *m, uint16_t l3_off, struct rte_mempool *mp)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t et;

	if (l3_off < 14 || rte_pktmbuf_data_len(m) < l3_off + 20u)
		return NULL;
	/* never answer a link-layer broadcast or multicast: the reply would
	 * come from that address */
	if ((d[0] & 1) || (d[6] & 1))
		return NULL;
	et = (uint16_t)(d[l3_off - 2] << 8 | d[l3_off - 1]);
	if (et == RTE_ETHER_TYPE_IPV4)
		return fw_reject_v4(m, d, l3_off, mp);
	if (et == RTE_ETHER_TYPE_IPV6 && rte_pktmbuf_data_len(m) >= l3_off + 40u)
		return fw_reject_v6(m, d, l3_off, mp);
	return NULL;
}
