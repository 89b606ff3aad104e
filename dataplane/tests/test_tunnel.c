/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - VXLAN / Geneve encapsulation and decapsulation on crafted frames
 * (dataplane/tunnel.c): the outer headers, what decap accepts and each
 * reason it drops for (wrong VNI, UDP port, remote, truncated, fragment,
 * bad checksums, Geneve critical options), an IPv6 underlay with its UDP
 * checksum, flow entropy in the source port, ARP / ND for the VTEP.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "test_eal.h"
#include "tunnel.h"

static struct rte_mempool *pool;

static const uint8_t MAC_A[6] = {0x02, 0, 0, 0, 0, 0x0a};
static const uint8_t MAC_B[6] = {0x02, 0, 0, 0, 0, 0x0b};

/* tunnel a (at host A: local 1, remote 2) and its peer b (at host B) */
static struct nfv_tunnel ta, tb;
static struct nfv_tunnel_ul ua, ub;

static void
ttun_conf(struct nfv_port_conf *pc, int driver, const char *local, const char *remote, uint32_t vni)
{
	const char *why;

	memset(pc, 0, sizeof(*pc));
	snprintf(pc->name, sizeof(pc->name), "t");
	pc->driver = driver;
	assert_int_equal(cfg_parse_prefix(local, true, &pc->local, &why), 0);
	assert_int_equal(cfg_parse_prefix(remote, true, &pc->remote, &why), 0);
	pc->vni = vni;
	pc->dst_port = driver == NFV_PORT_VXLAN ? 4789 : 6081;
	pc->mtu = (uint16_t)(1500 - NFV_TUNNEL_OVERHEAD(pc->local.family));
}

/* a and b over underlays of their own (ports 1 and 3; tunnels 2 and 4);
 * a knows b's MAC statically, b learns a's */
static void
ttun_pair(int driver, const char *x, const char *y, uint32_t vni)
{
	struct nfv_port_conf pc;

	ttun_conf(&pc, driver, x, y, vni);
	pc.has_next_hop_mac = true;
	memcpy(pc.next_hop_mac, MAC_B, 6);
	nfv_tunnel_init(&ta, &pc, 2, 1, MAC_A, 0, NFV_MAX_TUNNELS);
	ttun_conf(&pc, driver, y, x, vni);
	nfv_tunnel_init(&tb, &pc, 4, 3, MAC_B, 1, NFV_MAX_TUNNELS + 1);
	ua = (struct nfv_tunnel_ul){.n = 1, .slot = NFV_MAX_TUNNELS, .pid = 1, .t = {&ta}};
	ub = (struct nfv_tunnel_ul){.n = 1, .slot = NFV_MAX_TUNNELS + 1, .pid = 3, .t = {&tb}};
}

/* an inner Ethernet/IPv4/UDP frame of len bytes, UDP source port sport */
static struct rte_mbuf *
ttun_inner(uint16_t len, uint16_t sport)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *d;

	assert_non_null(m);
	d = (uint8_t *)rte_pktmbuf_append(m, len);
	assert_non_null(d);
	for (uint16_t i = 0; i < len; i++)
		d[i] = (uint8_t)i;
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)d;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->fragment_offset = 0;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(0x0a0a0102);
	ip->dst_addr = rte_cpu_to_be_32(0x0a0a0202);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(9);
	return m;
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int
ttun_decap(struct nfv_tunnel_ul *u, struct rte_mbuf *m, struct nfv_tunnel **t)
{
	return nfv_tunnel_decap(u, m, t);
}

static void
test_vxlan_encap_ipv4(void **state)
{
	struct rte_mbuf *m;
	uint8_t inner[100], *o;

	(void)state;
	ttun_pair(NFV_PORT_VXLAN, "192.0.2.1", "192.0.2.2", 0x123456);
	m = ttun_inner(100, 1000);
	memcpy(inner, rte_pktmbuf_mtod(m, uint8_t *), 100);
	assert_int_equal(nfv_tunnel_encap(&ta, m), NFV_TUN_OK);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 150);
	o = rte_pktmbuf_mtod(m, uint8_t *);
	assert_memory_equal(o, MAC_B, 6);
	assert_memory_equal(o + 6, MAC_A, 6);
	assert_int_equal(be16(o + 12), 0x0800);
	/* IPv4: length, DF, TTL, UDP, addresses, a valid checksum */
	assert_int_equal(o[14], 0x45);
	assert_int_equal(be16(o + 16), 136);
	assert_int_equal(be16(o + 20), 0x4000);
	assert_int_equal(o[23], IPPROTO_UDP);
	assert_int_equal(rte_raw_cksum(o + 14, 20), 0xffff);
	assert_memory_equal(o + 26, "\xc0\x00\x02\x01\xc0\x00\x02\x02", 8);
	/* UDP: entropy source port, 4789, length, checksum 0 */
	assert_true(be16(o + 34) >= 49152);
	assert_int_equal(be16(o + 36), 4789);
	assert_int_equal(be16(o + 38), 116);
	assert_int_equal(be16(o + 40), 0);
	/* VXLAN: I flag, VNI */
	assert_memory_equal(o + 42, "\x08\x00\x00\x00\x12\x34\x56\x00", 8);
	assert_memory_equal(o + 50, inner, 100);
	rte_pktmbuf_free(m);
}

static void
test_encap_refusals(void **state)
{
	struct rte_mbuf *m;

	(void)state;
	ttun_pair(NFV_PORT_VXLAN, "192.0.2.1", "192.0.2.2", 7);
	/* b has no next hop yet: nothing changes in the frame */
	m = ttun_inner(80, 1);
	assert_int_equal(nfv_tunnel_encap(&tb, m), NFV_TUN_DROP_NO_NEIGH);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 80);
	rte_pktmbuf_free(m);
	/* inner MTU 1450: a 1464-byte frame fits, 1465 does not */
	m = ttun_inner(1464, 1);
	assert_int_equal(nfv_tunnel_encap(&ta, m), NFV_TUN_OK);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 1514);
	rte_pktmbuf_free(m);
	m = ttun_inner(1465, 1);
	assert_int_equal(nfv_tunnel_encap(&ta, m), NFV_TUN_DROP_TOO_BIG);
	rte_pktmbuf_free(m);
	/* no room in front of the frame */
	m = ttun_inner(80, 1);
	rte_pktmbuf_prepend(m, rte_pktmbuf_headroom(m) - 10);
	assert_int_equal(nfv_tunnel_encap(&ta, m), NFV_TUN_DROP_NO_HEADROOM);
	rte_pktmbuf_free(m);
}

static void
test_vxlan_decap_good_and_learns(void **state)
{
	struct nfv_tunnel *t;
	struct rte_mbuf *m;
	uint8_t inner[64];

	(void)state;
	ttun_pair(NFV_PORT_VXLAN, "192.0.2.1", "192.0.2.2", 100);
	m = ttun_inner(64, 5);
	memcpy(inner, rte_pktmbuf_mtod(m, uint8_t *), 64);
	assert_int_equal(nfv_tunnel_encap(&ta, m), NFV_TUN_OK);
	/* Ethernet padding after the datagram is cut off too */
	memset(rte_pktmbuf_append(m, 6), 0xee, 6);
	assert_int_equal(atomic_load(&tb.nh_mac), 0);
	assert_int_equal(ttun_decap(&ub, m, &t), NFV_TUN_DECAP);
	assert_ptr_equal(t, &tb);
	assert_int_equal(m->port, 4);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 64);
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), inner, 64);
	/* b learned a's MAC from the outer source: it can answer now */
	assert_int_equal(nfv_tunnel_encap(&tb, m), NFV_TUN_OK);
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), MAC_A, 6);
	assert_int_equal(ttun_decap(&ua, m, &t), NFV_TUN_DECAP);
	assert_ptr_equal(t, &ta);
	rte_pktmbuf_free(m);
}

/* an encapsulated frame from a to b, then changed by edit at offset off */
static int
ttun_decap_edited(uint32_t off, const void *edit, size_t n, bool fix_ip_csum, struct nfv_tunnel **t)
{
	struct rte_mbuf *m = ttun_inner(64, 5);
	uint8_t *o;
	int r;

	assert_int_equal(nfv_tunnel_encap(&ta, m), NFV_TUN_OK);
	o = rte_pktmbuf_mtod(m, uint8_t *);
	memcpy(o + off, edit, n);
	if (fix_ip_csum) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(o + 14);

		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	}
	r = ttun_decap(&ub, m, t);
	rte_pktmbuf_free(m);
	return r;
}

static void
test_vxlan_decap_drops(void **state)
{
	struct nfv_tunnel *t;
	struct rte_mbuf *m;

	(void)state;
	ttun_pair(NFV_PORT_VXLAN, "192.0.2.1", "192.0.2.2", 100);
	/* wrong VNI (101) */
	assert_int_equal(ttun_decap_edited(46, "\x00\x00\x65", 3, false, &t),
			 NFV_TUN_DROP_UNKNOWN_VNI);
	assert_null(t);
	/* wrong UDP port (4790) */
	assert_int_equal(ttun_decap_edited(36, "\x12\xb6", 2, false, &t), NFV_TUN_DROP_BAD_PORT);
	/* I flag clear */
	assert_int_equal(ttun_decap_edited(42, "\x00", 1, false, &t), NFV_TUN_DROP_BAD_HEADER);
	/* from another remote (192.0.2.9): the tunnel's drop */
	assert_int_equal(ttun_decap_edited(29, "\x09", 1, true, &t), NFV_TUN_DROP_BAD_REMOTE);
	assert_ptr_equal(t, &tb);
	/* a fragment (MF) */
	assert_int_equal(ttun_decap_edited(20, "\x20\x00", 2, true, &t), NFV_TUN_DROP_FRAGMENT);
	/* a bad IPv4 header checksum */
	assert_int_equal(ttun_decap_edited(24, "\x00\x01", 2, false, &t), NFV_TUN_DROP_BAD_IP);
	/* not UDP */
	assert_int_equal(ttun_decap_edited(23, "\x06", 1, true, &t), NFV_TUN_DROP_NOT_UDP);
	/* a UDP checksum that is not 0 is checked */
	assert_int_equal(ttun_decap_edited(40, "\x12\x34", 2, false, &t), NFV_TUN_DROP_BAD_CSUM);
	/* to another address: not the tunnel's, the underlay's own chains */
	assert_int_equal(ttun_decap_edited(33, "\x07", 1, true, &t), NFV_TUN_PASS);
	/* truncated: the IP length says more than the frame has */
	m = ttun_inner(64, 5);
	assert_int_equal(nfv_tunnel_encap(&ta, m), NFV_TUN_OK);
	rte_pktmbuf_trim(m, 20);
	assert_int_equal(ttun_decap(&ub, m, &t), NFV_TUN_DROP_TRUNCATED);
	rte_pktmbuf_free(m);
	/* truncated: a VXLAN header and no inner frame, consistent lengths */
	m = ttun_inner(64, 5);
	assert_int_equal(nfv_tunnel_encap(&ta, m), NFV_TUN_OK);
	{
		uint8_t *o = rte_pktmbuf_mtod(m, uint8_t *);
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(o + 14);

		rte_pktmbuf_trim(m, 64 - 6);
		ip->total_length = rte_cpu_to_be_16(20 + 8 + 8 + 6);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		o[38] = 0;
		o[39] = 8 + 8 + 6;
	}
	assert_int_equal(ttun_decap(&ub, m, &t), NFV_TUN_DROP_TRUNCATED);
	rte_pktmbuf_free(m);
	/* a runt */
	m = rte_pktmbuf_alloc(pool);
	memcpy(rte_pktmbuf_append(m, 20), "\x02\0\0\0\0\x0b\x02\0\0\0\0\x0a\x08\x00\x45\0\0\0\0\0",
	       20);
	assert_int_equal(ttun_decap(&ub, m, &t), NFV_TUN_PASS);
	rte_pktmbuf_free(m);
}

static void
test_geneve_ipv6_underlay(void **state)
{
	struct nfv_tunnel *t;
	struct rte_mbuf *m;
	uint8_t inner[64], *o;

	(void)state;
	ttun_pair(NFV_PORT_GENEVE, "2001:db8::1", "2001:db8::2", 200);
	m = ttun_inner(64, 5);
	memcpy(inner, rte_pktmbuf_mtod(m, uint8_t *), 64);
	assert_int_equal(nfv_tunnel_encap(&ta, m), NFV_TUN_OK);
	assert_int_equal(rte_pktmbuf_pkt_len(m), 64 + 70);
	o = rte_pktmbuf_mtod(m, uint8_t *);
	assert_int_equal(be16(o + 12), 0x86dd);
	assert_int_equal(o[14] >> 4, 6);
	assert_int_equal(be16(o + 18), 64 + 16);
	assert_int_equal(o[20], IPPROTO_UDP);
	assert_int_equal(be16(o + 56), 6081);
	/* the UDP checksum is computed over IPv6 and verifies */
	assert_int_not_equal(be16(o + 60), 0);
	assert_int_equal(rte_ipv6_udptcp_cksum_verify((struct rte_ipv6_hdr *)(o + 14), o + 54), 0);
	/* Geneve: version 0, no options, Ethernet, VNI 200 */
	assert_memory_equal(o + 62, "\x00\x00\x65\x58\x00\x00\xc8\x00", 8);
	assert_int_equal(ttun_decap(&ub, m, &t), NFV_TUN_DECAP);
	assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), inner, 64);
	rte_pktmbuf_free(m);

	/* the drops: a bad checksum, a zero one (not configured), a critical
	 * option, OAM, another protocol */
	static const struct {
		uint32_t off;
		const char *b;
		size_t n;
		int want;
	} cases[] = {
		{60, "\x00\x00", 2, NFV_TUN_DROP_ZERO_CSUM},
		{130, "\xff", 1, NFV_TUN_DROP_BAD_CSUM}, /* an inner byte */
		{63, "\x40", 1, NFV_TUN_DROP_CRITICAL},
		{63, "\x80", 1, NFV_TUN_DROP_OAM},
		{64, "\x08\x00", 2, NFV_TUN_DROP_BAD_HEADER},
		{62, "\x40", 1, NFV_TUN_DROP_BAD_HEADER}, /* version 1 */
		{68, "\xc9", 1, NFV_TUN_DROP_UNKNOWN_VNI},
	};
	for (size_t i = 0; i < RTE_DIM(cases); i++) {
		m = ttun_inner(64, 5);
		assert_int_equal(nfv_tunnel_encap(&ta, m), NFV_TUN_OK);
		o = rte_pktmbuf_mtod(m, uint8_t *);
		memcpy(o + cases[i].off, cases[i].b, cases[i].n);
		if (cases[i].want != NFV_TUN_DROP_ZERO_CSUM &&
		    cases[i].want != NFV_TUN_DROP_BAD_CSUM) { /* keep the checksum right */
			o[60] = o[61] = 0;
			uint16_t ck =
				rte_ipv6_udptcp_cksum((struct rte_ipv6_hdr *)(o + 14), o + 54);

			memcpy(o + 60, &ck, 2);
		}
		assert_int_equal(ttun_decap(&ub, m, &t), cases[i].want);
		rte_pktmbuf_free(m);
	}
	/* with udp-zero-checksum: sent as 0, accepted as 0 */
	ta.csum6 = tb.csum6 = false;
	m = ttun_inner(64, 5);
	assert_int_equal(nfv_tunnel_encap(&ta, m), NFV_TUN_OK);
	assert_int_equal(be16(rte_pktmbuf_mtod(m, uint8_t *) + 60), 0);
	assert_int_equal(ttun_decap(&ub, m, &t), NFV_TUN_DECAP);
	rte_pktmbuf_free(m);
}

static void
test_source_port_entropy(void **state)
{
	uint16_t seen[64];
	size_t n = 0;

	(void)state;
	ttun_pair(NFV_PORT_VXLAN, "192.0.2.1", "192.0.2.2", 1);
	for (uint16_t f = 0; f < 64; f++) {
		struct rte_mbuf *m = ttun_inner(64, (uint16_t)(1000 + f));
		uint16_t sp;
		bool dup = false;

		assert_int_equal(nfv_tunnel_encap(&ta, m), NFV_TUN_OK);
		sp = be16(rte_pktmbuf_mtod(m, uint8_t *) + 34);
		assert_true(sp >= 49152);
		for (size_t k = 0; k < n; k++)
			dup |= seen[k] == sp;
		if (!dup)
			seen[n++] = sp;
		rte_pktmbuf_free(m);
		/* one flow, one port */
		m = ttun_inner(64, (uint16_t)(1000 + f));
		assert_int_equal(nfv_tunnel_encap(&ta, m), NFV_TUN_OK);
		assert_int_equal(be16(rte_pktmbuf_mtod(m, uint8_t *) + 34), sp);
		rte_pktmbuf_free(m);
	}
	assert_true(n >= 48);
}

static void
test_arp_for_the_vtep(void **state)
{
	struct nfv_tunnel *t;
	struct rte_mbuf *m;
	uint8_t *d;

	(void)state;
	ttun_pair(NFV_PORT_VXLAN, "192.0.2.1", "192.0.2.2", 1);
	/* b has no next hop: its ARP request for a ... */
	m = rte_pktmbuf_alloc(pool);
	assert_int_equal(nfv_tunnel_solicit(&tb, m), 0);
	d = rte_pktmbuf_mtod(m, uint8_t *);
	assert_memory_equal(d, "\xff\xff\xff\xff\xff\xff", 6);
	assert_int_equal(be16(d + 12), 0x0806);
	assert_int_equal(be16(d + 20), 1);
	assert_memory_equal(d + 38, "\xc0\x00\x02\x01", 4);
	/* ... is for a local VTEP at a: answered in place */
	assert_int_equal(ttun_decap(&ua, m, &t), NFV_TUN_LOCAL);
	assert_true(nfv_tunnel_local(&ua, m, 0));
	assert_int_equal(be16(d + 20), 2);
	assert_memory_equal(d, MAC_B, 6);
	assert_memory_equal(d + 6, MAC_A, 6);
	assert_memory_equal(d + 22, MAC_A, 6);
	assert_memory_equal(d + 28, "\xc0\x00\x02\x01", 4);
	assert_memory_equal(d + 32, MAC_B, 6);
	assert_memory_equal(d + 38, "\xc0\x00\x02\x02", 4);
	/* the reply teaches b where a is */
	assert_int_equal(ttun_decap(&ub, m, &t), NFV_TUN_LOCAL);
	assert_false(nfv_tunnel_local(&ub, m, 0));
	assert_int_equal(atomic_load(&tb.nh_mac) & 0xffffffffffffull, 0x0a0000000002ull);
	/* a request for another address is not ours */
	memcpy(d + 38, "\xc0\x00\x02\x63", 4);
	memcpy(d + 28, "\xc0\x00\x02\x62", 4);
	assert_int_equal(ttun_decap(&ua, m, &t), NFV_TUN_PASS);
	rte_pktmbuf_free(m);
}

static void
test_nd_for_the_vtep(void **state)
{
	struct nfv_tunnel *t;
	struct rte_mbuf *m;
	uint8_t *d;

	(void)state;
	ttun_pair(NFV_PORT_GENEVE, "2001:db8::1", "2001:db8::2", 1);
	m = rte_pktmbuf_alloc(pool);
	assert_int_equal(nfv_tunnel_solicit(&tb, m), 0);
	d = rte_pktmbuf_mtod(m, uint8_t *);
	/* to the solicited-node group of 2001:db8::1, a valid ICMPv6 checksum */
	assert_memory_equal(d, "\x33\x33\xff\x00\x00\x01", 6);
	assert_int_equal(d[54], 135);
	assert_int_equal(rte_ipv6_udptcp_cksum_verify((struct rte_ipv6_hdr *)(d + 14), d + 54), 0);
	assert_int_equal(ttun_decap(&ua, m, &t), NFV_TUN_LOCAL);
	assert_true(nfv_tunnel_local(&ua, m, 0));
	/* the advertisement: solicited + override, target link-layer address */
	assert_int_equal(rte_pktmbuf_pkt_len(m), 14 + 40 + 32);
	assert_memory_equal(d, MAC_B, 6);
	assert_int_equal(d[54], 136);
	assert_int_equal(d[58], 0x60);
	assert_int_equal(d[21], 255);
	assert_int_equal(rte_ipv6_udptcp_cksum_verify((struct rte_ipv6_hdr *)(d + 14), d + 54), 0);
	assert_memory_equal(d + 80, MAC_A, 6);
	/* b learns a from it */
	assert_int_equal(ttun_decap(&ub, m, &t), NFV_TUN_LOCAL);
	assert_false(nfv_tunnel_local(&ub, m, 0));
	assert_int_equal(atomic_load(&tb.nh_mac) & 0xffffffffffffull, 0x0a0000000002ull);
	rte_pktmbuf_free(m);
}

int
main(void)
{
	const char *eal[] = {"test_tunnel", "--no-huge", "-m", "128",	      "--no-pci",
			     "--no-shconf", "-l",	 "0",  "--log-level", "error"};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vxlan_encap_ipv4),
		cmocka_unit_test(test_encap_refusals),
		cmocka_unit_test(test_vxlan_decap_good_and_learns),
		cmocka_unit_test(test_vxlan_decap_drops),
		cmocka_unit_test(test_geneve_ipv6_underlay),
		cmocka_unit_test(test_source_port_entropy),
		cmocka_unit_test(test_arp_for_the_vtep),
		cmocka_unit_test(test_nd_for_the_vtep),
	};

	if (test_eal_init(RTE_DIM(eal), (char **)(uintptr_t)eal) < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("tst", 1024, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	if (pool == NULL)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
