/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - control path, lowest layer: which interface and
 * address a frame concerns, which addresses name one host, new frames and
 * ICMPv6 checksums. Used by router_nd.c, router_icmp.c and router_cp.c;
 * uses none of them. Control thread only.
 */
#include <string.h>

#include "router_frame.h"

int
rtr_in_iface(const struct rtr_tables *t, struct rte_mbuf *m)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);

	for (uint16_t i = 0; i < t->n_if; i++)
		if (t->ifs[i].port == m->port && t->ifs[i].vlan == md->vlan)
			return i;
	return -1;
}

void
rtr_send(struct rtr_state *st, uint16_t port, struct rte_mbuf *m)
{
	st->tx(port, &m, 1);
}

/* Our IPv4 address on f for talking to dst (same subnet first). */
uint32_t
rtr_if_src4(const struct rtr_if *f, uint32_t dst_be)
{
	for (uint16_t k = 0; k < f->n4; k++) {
		uint32_t mask = f->l4[k] ? rte_cpu_to_be_32(~0u << (32 - f->l4[k])) : 0;

		if (((f->a4[k] ^ dst_be) & mask) == 0)
			return f->a4[k];
	}
	return f->n4 ? f->a4[0] : 0;
}

const uint8_t *
rtr_if_src6(const struct rtr_if *f, const uint8_t *dst)
{
	if (dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80)
		return f->ll6;
	for (uint16_t k = 0; k < f->n6; k++) {
		struct cfg_prefix p = {.family = AF_INET6, .len = f->l6[k]};
		struct cfg_prefix a = {.family = AF_INET6, .len = 128};

		memcpy(&p.v6, f->a6[k], 16);
		memcpy(&a.v6, dst, 16);
		if (!f->dad_conflict[k] && rtr_prefix_contains(&p, &a))
			return f->a6[k];
	}
	for (uint16_t k = 0; k < f->n6; k++)
		if (!f->dad_conflict[k])
			return f->a6[k];
	return f->ll6;
}

bool
rtr_if_on_link6(const struct rtr_if *f, const uint8_t *a)
{
	struct cfg_prefix x = {.family = AF_INET6, .len = 128};

	memcpy(&x.v6, a, 16);
	for (uint16_t k = 0; k < f->n6; k++) {
		struct cfg_prefix p = {.family = AF_INET6, .len = f->l6[k]};

		memcpy(&p.v6, f->a6[k], 16);
		if (rtr_prefix_contains(&p, &x))
			return true;
	}
	return false;
}

bool
rtr_is_own4(const struct rtr_if *f, uint32_t a_be)
{
	for (uint16_t k = 0; k < f->n4; k++)
		if (f->a4[k] == a_be)
			return true;
	return false;
}

int
rtr_own6_index(const struct rtr_if *f, const uint8_t *a)
{
	for (uint16_t k = 0; k < f->n6; k++)
		if (memcmp(f->a6[k], a, 16) == 0)
			return k;
	return memcmp(f->ll6, a, 16) == 0 ? RTR_MAX_ADDRS : -1;
}

bool
rtr_anycast6(const struct rtr_if *f, const uint8_t *a)
{
	static const uint8_t zero[16];

	for (uint16_t k = 0; k < f->n6; k++) {
		uint8_t len = f->l6[k], full = len / 8, bits = len % 8;

		if (len >= 127 || memcmp(a, f->a6[k], full) != 0)
			continue;
		if (bits && ((a[full] ^ f->a6[k][full]) & (0xff00 >> bits)))
			continue;
		if ((a[full] & (0xff >> bits)) == 0 && memcmp(a + full + 1, zero, 15u - full) == 0)
			return true;
	}
	return false;
}

bool
rtr_own6(const struct rtr_tables *t, const uint8_t *a)
{
	for (uint16_t i = 0; i < t->n_if; i++)
		if (rtr_own6_index(&t->ifs[i], a) >= 0)
			return true;
	return false;
}

/* RFC 1812 4.2.2.11 / 5.3.7: a (network order) names one host: not in 0/8
 * or 127/8, not multicast, class E or the limited broadcast, not the
 * directed broadcast of an attached subnet. What the router may answer or
 * send an error to. */
bool
rtr_host4(const struct rtr_tables *t, uint32_t a_be)
{
	uint32_t a = rte_be_to_cpu_32(a_be);

	if (a >= 0xe0000000u || (a >> 24) == 0 || (a >> 24) == 127)
		return false;
	for (uint16_t i = 0; i < t->n_if; i++) {
		const struct rtr_if *f = &t->ifs[i];

		for (uint16_t k = 0; k < f->n4; k++) {
			uint32_t mask = ~0u << (32 - f->l4[k]);

			if (f->l4[k] >= 1 && f->l4[k] <= 30 &&
			    ((a ^ rte_be_to_cpu_32(f->a4[k])) & mask) == 0 && (a | mask) == ~0u)
				return false;
		}
	}
	return true;
}

/* RFC 4291 2.5.2/2.5.3, RFC 4443 2.4(e.6): not ::, ::1 or multicast */
bool
rtr_host6(const uint8_t *a)
{
	static const uint8_t zero[15];

	return a[0] != 0xff && !(memcmp(a, zero, 15) == 0 && a[15] <= 1);
}

bool
rtr_frame_is_mcast(struct rte_mbuf *m)
{
	return rte_is_multicast_ether_addr(&rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr);
}

/* New mbuf with the L2 header of interface f towards dst; returns the L3
 * pointer (l3_len bytes, zeroed) or NULL. */
uint8_t *
rtr_new_frame(struct rtr_state *st, const struct rtr_if *f, const uint8_t *dst_mac,
	      uint16_t ethertype, uint16_t l3_len, struct rte_mbuf **out)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(st->pool);
	uint16_t l2 = f->vlan ? 18 : 14, len = RTE_MAX((uint16_t)(l2 + l3_len), (uint16_t)60);
	uint8_t *d;

	*out = NULL;
	if (m == NULL || (d = (uint8_t *)rte_pktmbuf_append(m, len)) == NULL) {
		rte_pktmbuf_free(m);
		st->cp[RTR_CP_NOMEM]++;
		return NULL;
	}
	memset(d, 0, len);
	memcpy(d, dst_mac, 6);
	memcpy(d + 6, &f->mac, 6);
	if (f->vlan) {
		*(uint16_t *)(d + 12) = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		*(uint16_t *)(d + 14) = rte_cpu_to_be_16(f->vlan);
	}
	*(uint16_t *)(d + l2 - 2) = rte_cpu_to_be_16(ethertype);
	*out = m;
	return d + l2;
}

void
rtr_icmp6_cksum(struct rte_ipv6_hdr *ip6)
{
	uint8_t *l4 = (uint8_t *)(ip6 + 1);

	l4[2] = l4[3] = 0;
	*(uint16_t *)(l4 + 2) = rte_ipv6_udptcp_cksum(ip6, l4);
}

/* A correct ICMPv6 checksum sums to 0xffff: the function returns its
 * complement, 0 (it maps 0 to 0xffff for UDP only). */
bool
rtr_icmp6_ok(const struct rte_ipv6_hdr *ip6, const void *l4)
{
	return rte_ipv6_udptcp_cksum(ip6, l4) == 0;
}

bool
rtr_is_v6(struct rte_mbuf *m)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);

	return (*rte_pktmbuf_mtod_offset(m, uint8_t *, md->l3_off) >> 4) == 6;
}
