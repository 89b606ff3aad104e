/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - control path: instance life cycle, what the workers
 * punt (dispatched to neighbour discovery, router_nd.c, and ICMP,
 * router_icmp.c, both over the frame helpers of router_frame.c), timers,
 * stats, route and neighbour commands. Runs on the control thread only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "router_fpm.h"
#include "router_frame.h"
#include "router_hostif.h"
#include "router_icmp.h"
#include "router_mld.h"
#include "router_nd.h"
#include "router_ra.h"

#define RTR_LOG(lvl, fmt, ...) \
	rte_log(RTE_LOG_##lvl, RTE_LOGTYPE_USER1, "router: " fmt "\n", ##__VA_ARGS__)

static const char *const rtr_counter_names[] = {RTR_COUNTERS(VNF_NAME)};
static const char *const rtr_drop_names[] = {RTR_DROPS(VNF_NAME)};
static const char *const rtr_drop_descs[] = {RTR_DROPS(VNF_DESC)};
static const char *const rtr_cp_names[] = {RTR_CP_COUNTERS(VNF_NAME)};

void
rtr_state_init(struct rtr_state *st, const struct rtr_conf *c, uint64_t tsc_hz)
{
	const uint32_t rate[RTR_TB_MAX] = {c->punt_rate, c->host_punt_rate};

	st->conf = c;
	for (unsigned int b = 0; b < RTR_TB_MAX; b++) {
		st->punt_tsc_per_token[b] = RTE_MAX(tsc_hz / rate[b], (uint64_t)1);
		st->punt_burst[b] = RTE_MAX(rate[b] / 100, 64u);
		/* full, and refilled only from now on (a refill from TSC 0
		 * doubled the first burst) */
		for (unsigned int i = 0; i < RTE_MAX_LCORE; i++) {
			st->tb[i].b[b].tokens = st->punt_burst[b];
			st->tb[i].b[b].last = rte_get_tsc_cycles();
		}
	}
	st->icmp_tokens = c->icmp_burst;
	st->icmp_last_ms = nfv_now_ms();
	rtr_ts_init(st, tsc_hz);
}

/* Fragments of an ICMP datagram for the router: held until the datagram
 * is whole (RFC 1122 3.3.2: a host reassembles; rte_ip_frag, at most
 * RTE_LIBRTE_IP_FRAG_MAX_FRAG fragments, `reassembly-timeout-ms` to
 * arrive: 60 s by default, RFC 8200 4.5, RFC 1122 3.3.2's 60-120 s).
 * Returns the whole datagram (chained mbufs, the first fragment's L2
 * header in front), or NULL while it waits or when it failed (m
 * consumed). */

/* A fragment m comes in: false (m freed) when there is no table */
static bool
rtr_reasm_open(struct rtr_state *st, struct rte_mbuf *m)
{
	st->cp[RTR_CP_REASM_IN]++;
	if (st->reasm != NULL)
		return true;
	st->cp[RTR_CP_REASM_FAILED]++;
	rte_pktmbuf_free(m);
	return false;
}

/* After a reassembly call that returned r: the fragments of expired or
 * refused datagrams freed and counted; r (NULL: waiting) */
static struct rte_mbuf *
rtr_reasm_close(struct rtr_state *st, struct rte_mbuf *r)
{
	st->cp[RTR_CP_REASM_FAILED] += st->reasm_dr.cnt;
	rte_ip_frag_free_death_row(&st->reasm_dr, 0);
	if (r != NULL)
		st->cp[RTR_CP_REASM_DONE]++;
	return r;
}

/* Under pressure (the table refused a fragment for want of room: a
 * few hundred incomplete datagrams, e.g. spoofed first fragments, would
 * otherwise lock reassembly out for the whole timeout), datagrams waiting
 * longer than this are given up to make room, as Linux drops its oldest
 * fragment queues over its memory limit */
#define RTR_REASM_PRESSURE_MS 500

/* One reassembly call for fragment m (IPv4 when fh is NULL); when the
 * table refused m for want of room (m went to the death row last), the
 * datagrams older than RTR_REASM_PRESSURE_MS are given up and m is tried
 * once more */
static struct rte_mbuf *
rtr_reasm_call(struct rtr_state *st, struct rte_mbuf *m, void *ip, struct rte_ipv6_fragment_ext *fh)
{
	struct rte_ip_frag_death_row *dr = &st->reasm_dr;
	uint64_t now = rte_get_tsc_cycles();
	uint64_t keep = rte_get_tsc_hz() / 1000 * RTR_REASM_PRESSURE_MS;
	struct rte_mbuf *r;

	for (int tries = 0;; tries++) {
		r = fh != NULL ? rte_ipv6_frag_reassemble_packet(st->reasm, dr, m, now, ip, fh)
			       : rte_ipv4_frag_reassemble_packet(st->reasm, dr, m, now, ip);
		if (r != NULL || tries == 1 || dr->cnt == 0 || dr->row[dr->cnt - 1] != m ||
		    st->reasm_cycles <= keep)
			return r;
		dr->cnt--; /* m: not refused after all */
		st->cp[RTR_CP_REASM_PRESSURE]++;
		rte_ip_frag_table_del_expired_entries(st->reasm, dr, now + st->reasm_cycles - keep);
	}
}

static struct rte_mbuf *
rtr_reasm4(struct rtr_state *st, struct rte_mbuf *m)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, md->l3_off);
	struct rte_mbuf *r;

	if (!rtr_reasm_open(st, m))
		return NULL;
	m->l2_len = md->l3_off;
	m->l3_len = (ip->version_ihl & 0xf) * 4u;
	r = rtr_reasm_close(st, rtr_reasm_call(st, m, ip, NULL));
	if (r == NULL)
		return NULL;
	ip = rte_pktmbuf_mtod_offset(r, struct rte_ipv4_hdr *, md->l3_off);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return r;
}

int
rtr_reasm_init(struct rtr_state *st)
{
	uint64_t cycles = rte_get_tsc_hz() / 1000 * st->conf->reasm_ms;

	st->reasm_cycles = cycles;
	st->reasm = rte_ip_frag_table_create(64, 4, 256, cycles, (int)rte_socket_id());
	return st->reasm != NULL ? 0 : -ENOMEM;
}

void
rtr_reasm_fini(struct rtr_state *st)
{
	if (st->reasm == NULL)
		return;
	rte_ip_frag_table_destroy(st->reasm);
	st->reasm = NULL;
}

/* Datagrams whose time ran out: their fragments freed; the sender of one
 * whose first fragment came gets a time exceeded, code 1 (fragment
 * reassembly time exceeded: RFC 792, RFC 1122 3.3.2, RFC 8200 4.5), about
 * that first fragment */
static void
rtr_reasm_tick(struct rtr_state *st, const struct rtr_tables *t)
{
	struct rte_ip_frag_death_row *dr = &st->reasm_dr;

	if (st->reasm == NULL)
		return;
	rte_ip_frag_table_del_expired_entries(st->reasm, dr, rte_get_tsc_cycles());
	for (uint32_t i = 0; i < dr->cnt; i++) {
		struct rte_mbuf *m = dr->row[i];
		const uint8_t *l3 =
			rte_pktmbuf_mtod_offset(m, const uint8_t *, nfv_meta(m)->l3_off);
		uint16_t fo;

		if (rtr_is_v6(m)) {
			memcpy(&fo, l3 + 42, 2); /* the fragment header's offset */
			if ((rte_be_to_cpu_16(fo) & 0xfff8) != 0)
				continue;
			dr->row[i] = NULL; /* still counted as failed below */
			rtr_icmp6_error(st, t, m, 3, 1, 0);
		} else {
			memcpy(&fo, l3 + 6, 2);
			if ((rte_be_to_cpu_16(fo) & RTE_IPV4_HDR_OFFSET_MASK) != 0)
				continue;
			dr->row[i] = NULL;
			rtr_icmp4_error(st, t, m, 11, 1, 0);
		}
	}
	/* the rest freed (a NULL slot is skipped: rte_pktmbuf_free(NULL)) */
	rtr_reasm_close(st, NULL);
}

static void
rtr_local4(struct rtr_state *st, struct rtr_tables *t, struct rte_mbuf *m, uint16_t ifi)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	const struct rte_ipv4_hdr *ip =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, md->l3_off);

	if (ip->next_proto_id == IPPROTO_ICMP &&
	    (ip->fragment_offset &
	     rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))) {
		m = rtr_reasm4(st, m);
		if (m != NULL)
			rtr_echo4(st, t, m, ifi);
		return;
	}
	if (ip->next_proto_id == IPPROTO_UDP)
		rtr_error(st, t, m, RTR_ERR_PORT);
	else if (ip->next_proto_id == IPPROTO_TCP)
		rtr_tcp_rst(st, t, m); /* no TCP here: CLOSED (RFC 793) */
	else if (ip->next_proto_id != IPPROTO_ICMP)
		/* RFC 1122 3.2.2.1: protocol unreachable */
		rtr_icmp4_error(st, t, m, 3, 2, 0);
	else
		rtr_echo4(st, t, m, ifi);
}

static struct rte_mbuf *rtr_ext6_strip(struct rtr_state *st, struct rtr_tables *t,
				       struct rte_mbuf *m);

/* Neighbour discovery: solicitations for adverts to router_ra.c, others'
 * adverts counted and ignored (no router discovery of our own), MLD
 * queries to router_mld.c, the rest (NS, NA, redirect) to router_nd.c */
static void
rtr_nd_dispatch(struct rtr_state *st, struct rtr_tables *t, struct rte_mbuf *m, uint16_t ifi)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	const struct rte_ipv6_hdr *ip6 =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, md->l3_off);
	const uint8_t *icmp = (const uint8_t *)(ip6 + 1);

	if (ip6->proto == 0) {
		/* an MLD query (behind its hop-by-hop router alert) */
		m = rtr_ext6_strip(st, t, m);
		if (m != NULL)
			rtr_mld_input(st, t, m, ifi);
		return;
	}
	if (rte_pktmbuf_data_len(m) < md->l3_off + 41u) {
		rte_pktmbuf_free(m);
	} else if (icmp[0] == 133) {
		rtr_ra_rs_input(st, t, m, ifi);
	} else if (icmp[0] == 134) {
		st->cp[RTR_CP_RA_RX]++;
		rte_pktmbuf_free(m);
	} else {
		rtr_nd_input(st, t, m, ifi);
	}
}

/* A next header the router does not take as a host: not ICMPv6, UDP, TCP,
 * an extension header (hop-by-hop, routing, fragment, ESP, AH, destination
 * options, mobility, HIP, shim6) or "no next header" (dropped silently) */
static bool
rtr_proto6_unknown(uint8_t p)
{
	switch (p) {
	case 0: case 43: case 44: case 50: case 51: case 59: case 60: case 135: case 139:
	case 140: case IPPROTO_ICMPV6:
		return false;
	default:
		return true;
	}
}

/* The same for IPv6: an ICMPv6 datagram whose fragment header follows the
 * IPv6 header (RFC 8200 4.5); the whole one has no fragment header. */
static struct rte_mbuf *
rtr_reasm6(struct rtr_state *st, struct rte_mbuf *m)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	struct rte_ipv6_hdr *ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, md->l3_off);
	struct rte_ipv6_fragment_ext *fh = (struct rte_ipv6_fragment_ext *)(ip6 + 1);

	if (!rtr_reasm_open(st, m))
		return NULL;
	m->l2_len = md->l3_off;
	m->l3_len = sizeof(*ip6) + sizeof(*fh);
	return rtr_reasm_close(st, rtr_reasm_call(st, m, ip6, fh));
}

/* Take the len bytes after m's IPv6 header out of the packet (the L2 and
 * IPv6 headers move up over them); nh becomes the next header */
static void
rtr_ext6_cut(struct rte_mbuf *m, uint32_t len, uint8_t nh)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
	struct rte_ipv6_hdr *ip6;

	memmove(d + len, d, md->l3_off + 40u);
	rte_pktmbuf_adj(m, (uint16_t)len);
	ip6 = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, md->l3_off);
	ip6->proto = nh;
	ip6->payload_len = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(ip6->payload_len) - len));
}

/* RFC 8200 4.2: the options of a hop-by-hop or destination options header
 * at off (from the IPv6 header) for us, the destination. Pad1 and PadN
 * (and anything whose type says "skip") are passed; an unrecognized option
 * acts as its two high-order bits say: 01 discard, 10 parameter problem
 * code 2 pointing at it, 11 the same unless the destination was
 * multicast. Returns 0 to go on, -1 when m was consumed. */
static int
rtr_ext6_options(struct rtr_state *st, struct rtr_tables *t, struct rte_mbuf *m, const uint8_t *l3,
		 uint32_t off, uint32_t hlen)
{
	for (uint32_t o = off + 2; o < off + hlen;) {
		uint8_t type = l3[o];

		if (type == 0) { /* Pad1 */
			o++;
			continue;
		}
		if (o + 2 > off + hlen || o + 2u + l3[o + 1] > off + hlen)
			goto drop; /* an option overrunning its header */
		switch (type >> 6) {
		case 0: /* PadN, router alert... : skip over */
			break;
		case 1:
			goto drop;
		case 3:
			if (l3[24] == 0xff)
				goto drop;
			/* fall through */
		default:
			rtr_icmp6_error(st, t, m, 4, 2, o);
			return -1;
		}
		o += 2u + l3[o + 1];
	}
	return 0;
drop:
	st->cp[RTR_CP_LOCAL_DROPPED]++;
	rte_pktmbuf_free(m);
	return -1;
}

/* RFC 8200 4: the extension headers before the upper layer of m, a packet
 * for us whose next header is hop-by-hop, routing or destination options:
 * each processed as its destination does (4.1 order: hop-by-hop only
 * first; 4.4: a routing header with segments left is one of a type we do
 * not implement, parameter problem code 0 at its type), then taken out of
 * the packet, which goes on as if the upper layer followed the IPv6 header
 * (a fragment header after them too). At most 8, all in the first segment
 * (RFC 7112). Returns m, or NULL when it was consumed. */
static struct rte_mbuf *
rtr_ext6_strip(struct rtr_state *st, struct rtr_tables *t, struct rte_mbuf *m)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, md->l3_off);
	uint32_t avail = rte_pktmbuf_data_len(m) - md->l3_off;
	uint32_t plen = rte_be_to_cpu_16(((const struct rte_ipv6_hdr *)l3)->payload_len);
	uint32_t off = 40, nh_at = 6, hlen;
	uint8_t nh = l3[6];

	for (int n = 0; nh == 0 || nh == 43 || nh == 60; n++) {
		if (n == 8 || off + 8 > avail || off + 8 > 40 + plen)
			goto drop;
		hlen = (l3[off + 1] + 1u) * 8;
		if (off + hlen > avail || off + hlen > 40 + plen)
			goto drop;
		if (nh == 0 && off != 40) {
			/* hop-by-hop anywhere but first: an unrecognized next
			 * header (Linux and RFC 8200 4.1) */
			rtr_icmp6_error(st, t, m, 4, 1, nh_at);
			return NULL;
		}
		if (nh == 43) {
			if (l3[off + 3] != 0) {
				rtr_icmp6_error(st, t, m, 4, 0, off + 2);
				return NULL;
			}
		} else if (rtr_ext6_options(st, t, m, l3, off, hlen) != 0) {
			return NULL;
		}
		nh_at = off;
		nh = l3[off];
		off += hlen;
	}
	if (rtr_proto6_unknown(nh)) {
		rtr_icmp6_error(st, t, m, 4, 1, nh_at);
		return NULL;
	}
	rtr_ext6_cut(m, off - 40, nh);
	return m;
drop:
	st->cp[RTR_CP_LOCAL_DROPPED]++;
	rte_pktmbuf_free(m);
	return NULL;
}

static void
rtr_local6(struct rtr_state *st, struct rtr_tables *t, struct rte_mbuf *m, uint16_t ifi)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	const struct rte_ipv6_hdr *ip6 =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, md->l3_off);
	const uint8_t *icmp = (const uint8_t *)(ip6 + 1);

	if (ip6->proto == 0 || ip6->proto == 43 || ip6->proto == 60) {
		m = rtr_ext6_strip(st, t, m);
		if (m == NULL)
			return;
		ip6 = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, md->l3_off);
		icmp = (const uint8_t *)(ip6 + 1);
	}

	if (ip6->proto == IPPROTO_FRAGMENT && rte_be_to_cpu_16(ip6->payload_len) >= 8 &&
	    rte_pktmbuf_data_len(m) >= md->l3_off + 48u) {
		const struct rte_ipv6_fragment_ext *fh = (const void *)(ip6 + 1);

		if ((fh->frag_data & rte_cpu_to_be_16(0xfff9)) == 0) {
			/* RFC 6946: an atomic fragment (offset 0, no more):
			 * processed on its own, as if it had no fragment
			 * header; never neighbour discovery (RFC 6980) */
			rtr_ext6_cut(m, 8, fh->next_header);
			ip6 = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, md->l3_off);
			icmp = (const uint8_t *)(ip6 + 1);
			if (ip6->proto == IPPROTO_ICMPV6 &&
			    rte_be_to_cpu_16(ip6->payload_len) >= 4 && icmp[0] >= 133 &&
			    icmp[0] <= 137) {
				st->cp[RTR_CP_LOCAL_DROPPED]++;
				rte_pktmbuf_free(m);
				return;
			}
		} else if ((fh->frag_data & rte_cpu_to_be_16(1)) &&
			   (rte_be_to_cpu_16(ip6->payload_len) & 7) != 0) {
			/* RFC 8200 4.5: a fragment with more to come whose
			 * length is no multiple of 8: parameter problem code
			 * 0 pointing at the payload length */
			rtr_icmp6_error(st, t, m, 4, 0, 4);
			return;
		} else if (icmp[0] == IPPROTO_ICMPV6 || icmp[0] == 60) {
			/* an echo request in fragments (ping -6 -s beyond the
			 * MTU), destination options between them and it taken
			 * out after reassembly */
			m = rtr_reasm6(st, m);
			if (m != NULL && rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *,
								 nfv_meta(m)->l3_off)
							 ->proto == 60)
				m = rtr_ext6_strip(st, t, m);
			if (m != NULL)
				rtr_echo6(st, t, m, ifi);
			return;
		}
	}
	if (ip6->proto == IPPROTO_ICMPV6 && rte_be_to_cpu_16(ip6->payload_len) >= 4 &&
	    icmp[0] >= 133 && icmp[0] <= 137)
		rtr_nd_dispatch(st, t, m, ifi);
	else if (ip6->proto == IPPROTO_UDP)
		rtr_error(st, t, m, RTR_ERR_PORT);
	else if (ip6->proto == IPPROTO_TCP)
		rtr_tcp_rst(st, t, m);
	else if (rtr_proto6_unknown(ip6->proto))
		/* RFC 8200 4 / RFC 4443 3.4: unrecognized next header,
		 * parameter problem code 1 pointing at it (offset 6) */
		rtr_icmp6_error(st, t, m, 4, 1, 6);
	else
		rtr_echo6(st, t, m, ifi);
}

/* A packet for one of our addresses: the twin's, nfvd's or both
 * (rtr_hostif_classify); without a twin, nfvd's */
static void
rtr_local(struct rtr_state *st, struct rtr_tables *t, struct rte_mbuf *m, uint16_t ifi)
{
	struct rtr_hostif *h = rtr_hostif_for(st, t, m, ifi);
	bool v6 = rtr_is_v6(m);

	if (h != NULL) {
		const struct nfv_mbuf_meta *md = nfv_meta(m);

		switch (rtr_hostif_classify(v6 ? 6 : 4,
					    rte_pktmbuf_mtod_offset(m, const uint8_t *, md->l3_off),
					    rte_pktmbuf_data_len(m) - md->l3_off)) {
		case RTR_TO_KERNEL:
			rtr_hostif_deliver(st, h, m);
			return;
		case RTR_TO_BOTH:
			rtr_hostif_copy(st, h, m);
			break;
		case RTR_TO_NFVD:
			break;
		}
	}
	if (v6)
		rtr_local6(st, t, m, ifi);
	else
		rtr_local4(st, t, m, ifi);
}

/* RFC 1812 5.2.7.2: m (a copy) was forwarded back out of ifi, the
 * interface it came in on, to neighbour nid: a host redirect (type 5 code
 * 1) to that next hop, when the sender and the next hop are on one of
 * ifi's subnets (not for a sender that is not on the link). */
static void
rtr_redirect4(struct rtr_state *st, struct rtr_tables *t, struct rte_mbuf *m, uint16_t ifi,
	      uint32_t nid)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	const struct rte_ipv4_hdr *ip =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, md->l3_off);
	const struct rtr_if *f = &t->ifs[ifi];
	uint32_t gw, src = rte_be_to_cpu_32(ip->src_addr);

	if (nid >= t->max_neigh || t->neigh[nid].key.family != 4) {
		rte_pktmbuf_free(m);
		return;
	}
	memcpy(&gw, t->neigh[nid].key.addr, 4);
	gw = rte_be_to_cpu_32(gw);
	for (uint16_t k = 0; k < f->n4; k++) {
		uint32_t mask = f->l4[k] ? ~0u << (32 - f->l4[k]) : 0;
		uint32_t net = rte_be_to_cpu_32(f->a4[k]) & mask;

		if ((src & mask) == net && (gw & mask) == net && src != gw) {
			st->cp[RTR_CP_REDIRECT_TX]++;
			rtr_icmp4_error(st, t, m, 5, 1, gw);
			return;
		}
	}
	rte_pktmbuf_free(m);
}

void
rtr_punt(struct nfv_vnf *vnf, struct rte_mbuf *m)
{
	struct rtr_state *st = vnf->priv;
	struct rtr_tables *t = rtr_tables_get(st);
	uint32_t code = nfv_meta(m)->nh;
	uint16_t ifi = (code >> 8) & 0x1f;
	uint32_t nid = code >> 13;

	if (ifi >= t->n_if) {
		rte_pktmbuf_free(m);
		return;
	}
	switch (code & 0xff) {
	case RTR_PUNT_ARP:
		/* the kernel's neighbour table learns from a copy; nfvd answers */
		if (st->hif[ifi] != NULL)
			rtr_hostif_copy(st, st->hif[ifi], m);
		rtr_arp_input(st, t, m, ifi);
		break;
	case RTR_PUNT_ND:
		if (st->hif[ifi] != NULL)
			rtr_hostif_copy(st, st->hif[ifi], m);
		rtr_nd_dispatch(st, t, m, ifi);
		break;
	case RTR_PUNT_LOCAL:
		rtr_local(st, t, m, ifi);
		break;
	case RTR_PUNT_HOST:
		if (st->hif[ifi] != NULL)
			rtr_hostif_deliver(st, st->hif[ifi], m);
		else
			rte_pktmbuf_free(m);
		break;
	case RTR_PUNT_TTL:
		rtr_error(st, t, m, RTR_ERR_TTL);
		break;
	case RTR_PUNT_NOROUTE:
		rtr_error(st, t, m, RTR_ERR_NET);
		break;
	case RTR_PUNT_REJECT:
		rtr_error(st, t, m, RTR_ERR_REJECT);
		break;
	case RTR_PUNT_SCOPE:
		rtr_error(st, t, m, RTR_ERR_SCOPE);
		break;
	case RTR_PUNT_PARAM: /* RFC 792, RFC 1812 4.3.3.5: pointer to the octet */
		rtr_icmp4_error(st, t, m, 12, 0, (nid & 0xff) << 24);
		break;
	case RTR_PUNT_TOOBIG:
		if (nid >= t->n_if)
			rte_pktmbuf_free(m);
		else if (rtr_is_v6(m))
			rtr_icmp6_error(st, t, m, 2, 0, t->ifs[nid].mtu);
		else
			rtr_icmp4_error(st, t, m, 3, 4, t->ifs[nid].mtu);
		break;
	case RTR_PUNT_RESOLVE:
		rtr_resolve(st, t, m, ifi, nid);
		break;
	case RTR_PUNT_REDIRECT:
		if (rtr_is_v6(m))
			rtr_redirect6(st, t, m, ifi, nid);
		else
			rtr_redirect4(st, t, m, ifi, nid);
		break;
	default:
		rte_pktmbuf_free(m);
		break;
	}
}

void
rtr_tick(struct nfv_vnf *vnf, uint64_t now_ms)
{
	struct rtr_state *st = vnf->priv;
	struct rtr_tables *t = rtr_tables_get(st);

	st->now_ms = now_ms;
	if (st->announce) {
		st->announce = false;
		rtr_announce(st, t);
		rtr_mld_announce(st, t);
	}
	rtr_ra_tick(st, t, now_ms);
	rtr_neigh_tick(st, t, now_ms);
	rtr_hostif_tick(st, t, now_ms);
	rtr_reasm_tick(st, t);
}


static int
rtr_resolve_ports(const struct nfv_config *cfg, const struct rtr_conf *c, uint16_t *ports,
		  struct rte_ether_addr *macs, char *err, size_t errlen)
{
	for (uint16_t i = 0; i < c->n_if; i++) {
		const struct rtr_if_conf *f = &c->ifs[i];
		int pid = nfv_port_id(cfg, f->port);
		uint16_t pmtu;

		if (pid < 0) {
			snprintf(err, errlen, "interface %s: port %s is not running", f->name,
				 cfg->ports[f->port].name);
			return -ENODEV;
		}
		ports[i] = (uint16_t)pid;
		/* a packet the interface may send must fit the port (else
		 * the PMD drops what the router thought it could send
		 * whole, never fragmenting it) */
		if (rte_eth_dev_get_mtu((uint16_t)pid, &pmtu) == 0 && f->mtu > pmtu) {
			snprintf(err, errlen,
				 "interface %s: mtu %u is above the MTU of port %s (%u): "
				 "raise the port's mtu or lower the interface's",
				 f->name, f->mtu, cfg->ports[f->port].name, pmtu);
			return -EINVAL;
		}
		if (f->has_mac)
			memcpy(&macs[i], f->mac, 6);
		else if (rte_eth_macaddr_get((uint16_t)pid, &macs[i]) != 0) {
			snprintf(err, errlen, "interface %s: cannot read the MAC of port %s",
				 f->name, cfg->ports[f->port].name);
			return -ENODEV;
		}
	}
	return 0;
}

static int
rtr_create(struct nfv_vnf *vnf, const struct nfv_config *cfg, const void *conf, char *err,
	   size_t errlen)
{
	const struct rtr_conf *c = conf;
	uint16_t ports[RTR_MAX_IF];
	struct rte_ether_addr macs[RTR_MAX_IF];
	struct rtr_hostif *hif[RTR_MAX_IF];
	struct rtr_state *st;
	struct rtr_tables *t;
	uint64_t t0;
	int rc;

	st = rte_zmalloc("rtr_state", sizeof(*st), RTE_CACHE_LINE_SIZE);
	if (st == NULL) {
		snprintf(err, errlen, "router %s: out of memory", vnf->name);
		return -ENOMEM;
	}
	vnf->priv = st;
	st->vnf = vnf;
	snprintf(st->name, sizeof(st->name), "%s", vnf->name);
	st->tx = nfv_ctl_tx;
	st->pool = nfv_pktmbuf_pool();
	rtr_state_init(st, c, rte_get_tsc_hz());
	if (rtr_reasm_init(st) != 0) {
		snprintf(err, errlen, "router %s: out of memory (reassembly table)", vnf->name);
		return -ENOMEM;
	}
	rc = rtr_resolve_ports(cfg, c, ports, macs, err, errlen);
	if (rc != 0)
		return rc;
	t0 = nfv_now_ms();
	t = rtr_tables_build(st, c, ports, macs, err, errlen);
	if (t == NULL)
		return -ENOMEM;
	rc = rtr_hostif_prepare(st, c, hif, err, errlen);
	if (rc != 0) {
		rtr_tables_free(t);
		return rc;
	}
	rtr_hostif_mark(t, c);
	RTR_LOG(INFO, "%s: %u IPv4 and %u IPv6 routes loaded in %lu ms", st->name, t->n_routes4,
		t->n_routes6, (unsigned long)(nfv_now_ms() - t0));
	atomic_store_explicit(&st->tables, t, memory_order_release);
	rtr_hostif_commit(st, t, hif);
	rtr_ra_start(st, t);
	st->announce = true;
	if (c->fpm_listen[0] != '\0') {
		rc = rtr_fpm_open(st, c, err, errlen);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static void
rtr_destroy(struct nfv_vnf *vnf)
{
	struct rtr_state *st = vnf->priv;

	if (st == NULL)
		return;
	if (atomic_load(&st->tables) != NULL)
		rtr_ra_stop(st, atomic_load(&st->tables)); /* final adverts (RFC 4861 6.2.5) */
	rtr_fpm_close(st);
	rtr_hostif_close_all(st);
	rtr_tables_free(atomic_load(&st->tables));
	rtr_reasm_fini(st);
	while (st->dyn != NULL) {
		struct rtr_dyn_route *d = st->dyn;

		st->dyn = d->next;
		free(d);
	}
	rte_free(st);
	vnf->priv = NULL;
}

/* Carry learned neighbours over to new tables (same interface name). */
static void
rtr_neigh_carry(struct rtr_tables *old, struct rtr_tables *nt)
{
	for (uint32_t i = 0; i < old->max_neigh && i <= old->neigh_hi; i++) {
		const struct rtr_neigh *n = &old->neigh[i];
		uint64_t w = atomic_load(&n->macw);
		int ni = -1, id;

		if (n->key.family == 0 || !(w & RTR_MAC_VALID) || n->state == RTR_NS_STATIC)
			continue;
		for (uint16_t k = 0; k < nt->n_if; k++)
			if (strcmp(nt->ifs[k].name, old->ifs[n->key.iface].name) == 0)
				ni = k;
		if (ni < 0)
			continue;
		id = rtr_neigh_get(nt, (uint16_t)ni, n->key.family, n->key.addr, true);
		if (id < 0 || nt->neigh[id].state == RTR_NS_STATIC)
			continue;
		atomic_store(&nt->neigh[id].macw, w);
		nt->neigh[id].state = n->state;
		nt->neigh[id].changed_ms = n->changed_ms;
		nt->neigh[id].next_ms = n->next_ms;
	}
}

static int
rtr_reconfigure(struct nfv_vnf *vnf, const struct nfv_config *cfg, const void *conf, char *err,
		size_t errlen)
{
	struct rtr_state *st = vnf->priv;
	const struct rtr_conf *c = conf;
	uint16_t ports[RTR_MAX_IF];
	struct rte_ether_addr macs[RTR_MAX_IF];
	struct rtr_hostif *hif[RTR_MAX_IF];
	struct rtr_tables *old = rtr_tables_get(st), *nt;
	int rc;

	rc = rtr_resolve_ports(cfg, c, ports, macs, err, errlen);
	if (rc != 0)
		return rc;
	rc = rtr_hostif_prepare(st, c, hif, err, errlen);
	if (rc != 0)
		return rc;
	rc = rtr_fpm_reconfigure(st, c, err, errlen);
	if (rc != 0)
		goto abort_hostif;
	nt = rtr_tables_build(st, c, ports, macs, err, errlen);
	if (nt == NULL) {
		rc = -ENOMEM;
		goto abort_hostif;
	}
	rtr_hostif_mark(nt, c);
	rtr_neigh_carry(old, nt);
	rtr_ra_reconf(st, old, st->conf, nt, c);
	rtr_state_init(st, c, rte_get_tsc_hz());
	atomic_store_explicit(&st->tables, nt, memory_order_release);
	rtr_sync();
	rtr_tables_free(old);
	rtr_hostif_commit(st, nt, hif);
	st->announce = true;
	return 0;
abort_hostif:
	rtr_hostif_abort(st, hif);
	return rc;
}

static void
rtr_stats(struct nfv_vnf *vnf, json_t *out)
{
	struct rtr_state *st = vnf->priv;
	struct rtr_tables *t = rtr_tables_get(st);
	json_t *cp = json_object(), *ifs = json_array();

	for (int i = 0; i < RTR_CP_MAX; i++)
		json_object_set_new(cp, rtr_cp_names[i], json_integer((json_int_t)st->cp[i]));
	json_object_set_new(out, "control", cp);
	json_object_set_new(out, "routes4", json_integer(t->n_routes4));
	json_object_set_new(out, "routes6", json_integer(t->n_routes6));
	json_object_set_new(out, "neighbours", json_integer(t->n_neigh));
	rtr_fpm_stats(st, out);
	for (uint16_t i = 0; i < t->n_if; i++) {
		const struct rtr_if *f = &t->ifs[i];
		json_t *o = json_object();
		char mac[RTE_ETHER_ADDR_FMT_SIZE];

		rte_ether_format_addr(mac, sizeof(mac), &f->mac);
		json_object_set_new(o, "name", json_string(f->name));
		json_object_set_new(o, "mac", json_string(mac));
		json_object_set_new(o, "vlan", json_integer(f->vlan));
		json_object_set_new(o, "mtu", json_integer(f->mtu));
		if (st->hif[i] != NULL) {
			const struct rtr_hostif *h = st->hif[i];

			json_object_set_new(
				o, "host_if",
				json_pack("{s:s,s:i,s:b,s:I,s:I}", "name", h->name, "ifindex",
					  h->ifindex, "carrier", h->carrier > 0, "to_kernel",
					  (json_int_t)h->to_kernel, "from_kernel",
					  (json_int_t)h->from_kernel));
		}
		for (uint16_t k = 0; k <= RTR_MAX_ADDRS; k++)
			if ((k < f->n6 || k == RTR_MAX_ADDRS) && f->dad_conflict[k])
				json_object_set_new(o, "dad_conflict", json_true());
		if (st->ra[i].on)
			json_object_set_new(o, "ra", rtr_ra_json(st, i, nfv_now_ms()));
		json_array_append_new(ifs, o);
	}
	json_object_set_new(out, "interfaces", ifs);
}

static const char *
rtr_arg(json_t *args, const char *key, char *buf, size_t size)
{
	json_t *v = json_object_get(args, key);

	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	return NULL;
}

/* Route from command arguments: prefix=, via= (comma list), interface=
 * (or dev=), metric=, type= */
static int
rtr_route_args(struct rtr_state *st, json_t *args, bool need_target, struct rtr_route_conf *r,
	       char *ifname, char *err, size_t errlen)
{
	char b1[32], b2[32], tmp[512];
	const char *s, *why;

	memset(r, 0, sizeof(*r));
	r->iface = -1;
	ifname[0] = '\0';
	s = rtr_arg(args, "prefix", b1, sizeof(b1));
	if (s == NULL) {
		snprintf(err, errlen, "missing prefix=");
		return -EINVAL;
	}
	if (cfg_parse_prefix(s, false, &r->prefix, &why) != 0) {
		snprintf(err, errlen, "prefix %s: %s", s, why ? why : "malformed");
		return -EINVAL;
	}
	s = rtr_arg(args, "type", b1, sizeof(b1));
	if (s != NULL) {
		int k;

		for (k = 0; rtr_route_type_names[k] != NULL; k++)
			if (strcmp(s, rtr_route_type_names[k]) == 0)
				break;
		if (rtr_route_type_names[k] == NULL) {
			snprintf(err, errlen, "type %s: expected unicast, blackhole or reject", s);
			return -EINVAL;
		}
		r->type = (uint8_t)k;
	}
	s = rtr_arg(args, "metric", b2, sizeof(b2));
	if (s != NULL) {
		char *end;
		unsigned long v = strtoul(s, &end, 10);

		if (*s == '\0' || *end != '\0' || v > UINT32_MAX) {
			snprintf(err, errlen, "metric %s: expected 0..%u", s, UINT32_MAX);
			return -EINVAL;
		}
		r->metric = (uint32_t)v;
	}
	s = rtr_arg(args, "interface", b1, sizeof(b1));
	if (s == NULL)
		s = rtr_arg(args, "dev", b1, sizeof(b1));
	if (s != NULL) {
		r->iface = rtr_conf_iface_by_name(st->conf, s);
		if (r->iface < 0) {
			snprintf(err, errlen, "no interface named %s", s);
			return -EINVAL;
		}
		snprintf(ifname, NFV_NAME_MAX, "%s", s);
	}
	s = rtr_arg(args, "via", b1, sizeof(b1));
	if (s != NULL) {
		char *save = NULL, *tok;

		snprintf(tmp, sizeof(tmp), "%s", s);
		for (tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (r->n_via == RTR_MAX_PATHS) {
				snprintf(err, errlen, "at most %d next hops", RTR_MAX_PATHS);
				return -EINVAL;
			}
			if (cfg_parse_prefix(tok, true, &r->via[r->n_via], &why) != 0 ||
			    r->via[r->n_via].len !=
				    (r->via[r->n_via].family == AF_INET ? 32 : 128)) {
				snprintf(err, errlen, "via %s: not an address", tok);
				return -EINVAL;
			}
			r->n_via++;
		}
	}
	if (need_target) {
		why = rtr_route_check(st->conf, r);
		if (why != NULL) {
			snprintf(err, errlen, "%s", why);
			return -EINVAL;
		}
	}
	return 0;
}

static bool
rtr_dyn_same(const struct rtr_route_conf *a, const struct rtr_route_conf *b, bool any_via)
{
	if (a->prefix.family != b->prefix.family || a->prefix.len != b->prefix.len ||
	    memcmp(&a->prefix.v6, &b->prefix.v6, a->prefix.family == AF_INET ? 4 : 16) != 0)
		return false;
	return any_via || (a->n_via == b->n_via && a->type == b->type &&
			   memcmp(a->via, b->via, a->n_via * sizeof(a->via[0])) == 0);
}

static json_t *
rtr_neigh_json(struct rtr_state *st, struct rtr_tables *t)
{
	json_t *arr = json_array();
	uint64_t now = nfv_now_ms();

	(void)st;
	for (uint32_t i = 0; i < t->max_neigh && i <= t->neigh_hi; i++) {
		const struct rtr_neigh *n = &t->neigh[i];
		uint64_t w = atomic_load(&n->macw);
		struct cfg_prefix p = {.family = n->key.family == 4 ? AF_INET : AF_INET6,
				       .len = n->key.family == 4 ? 32 : 128};
		char b[64], mac[RTE_ETHER_ADDR_FMT_SIZE] = "";
		json_t *o;

		if (n->key.family == 0)
			continue;
		memcpy(n->key.family == 4 ? (void *)&p.v4 : (void *)&p.v6, n->key.addr,
		       n->key.family == 4 ? 4 : 16);
		if (w & RTR_MAC_VALID)
			rte_ether_format_addr(mac, sizeof(mac), (const struct rte_ether_addr *)&w);
		o = json_object();
		json_object_set_new(o, "address",
				    json_string(rtr_prefix_str(&p, false, b, sizeof(b))));
		json_object_set_new(o, "interface", json_string(t->ifs[n->key.iface].name));
		json_object_set_new(o, "mac", (w & RTR_MAC_VALID) ? json_string(mac) : json_null());
		json_object_set_new(o, "state", json_string(rtr_neigh_state_names[n->state]));
		json_object_set_new(o, "age_ms", json_integer((json_int_t)(now - n->changed_ms)));
		json_object_set_new(o, "requests", json_integer((json_int_t)n->req_tx));
		json_object_set_new(o, "replies", json_integer((json_int_t)n->rep_rx));
		json_object_set_new(o, "queued", json_integer((json_int_t)n->queued));
		json_object_set_new(o, "queue_drops", json_integer((json_int_t)n->q_drops));
		json_array_append_new(arr, o);
	}
	return arr;
}

static int
rtr_ctl(struct nfv_vnf *vnf, const char *cmd, json_t *args, json_t **result, char *err,
	size_t errlen)
{
	struct rtr_state *st = vnf->priv;
	struct rtr_tables *t = rtr_tables_get(st);
	struct rtr_route_conf r;
	char ifname[NFV_NAME_MAX], b[64];
	int rc;

	*result = NULL;
	if (strcmp(cmd, "route-add") == 0) {
		struct rtr_dyn_route *d;

		rc = rtr_route_args(st, args, true, &r, ifname, err, errlen);
		if (rc != 0)
			return rc;
		r.origin = RTR_ORIGIN_CLI;
		d = calloc(1, sizeof(*d));
		if (d == NULL)
			return -ENOMEM;
		rc = rtr_route_add(st, t, &r, err, errlen);
		rtr_tables_reclaim(t);
		if (rc != 0) {
			free(d);
			return rc;
		}
		d->r = r;
		snprintf(d->iface, sizeof(d->iface), "%s", ifname);
		d->next = st->dyn;
		st->dyn = d;
		*result =
			json_pack("{s:s}", "added", rtr_prefix_str(&r.prefix, true, b, sizeof(b)));
		return 0;
	}
	if (strcmp(cmd, "route-del") == 0) {
		rc = rtr_route_args(st, args, false, &r, ifname, err, errlen);
		if (rc != 0)
			return rc;
		rc = rtr_route_del(st, t, &r, err, errlen);
		if (rc != 0)
			return rc;
		for (struct rtr_dyn_route **pp = &st->dyn; *pp != NULL;) {
			if (rtr_dyn_same(&(*pp)->r, &r, r.n_via == 0)) {
				struct rtr_dyn_route *d = *pp;

				*pp = d->next;
				free(d);
			} else {
				pp = &(*pp)->next;
			}
		}
		*result = json_pack("{s:s}", "deleted",
				    rtr_prefix_str(&r.prefix, true, b, sizeof(b)));
		return 0;
	}
	if (strcmp(cmd, "route-show") == 0) {
		char lb[32];
		const char *fam = rtr_arg(args, "family", b, sizeof(b));
		const char *lim = rtr_arg(args, "limit", lb, sizeof(lb));
		int f = fam == NULL ? 0 : atoi(fam);

		*result = json_pack(
			"{s:o,s:I,s:I}", "routes",
			rtr_routes_json(t, f, lim ? (uint32_t)strtoul(lim, NULL, 10) : 10000),
			"count4", (json_int_t)t->n_routes4, "count6", (json_int_t)t->n_routes6);
		return 0;
	}
	if (strcmp(cmd, "neigh-show") == 0) {
		*result = json_pack("{s:o}", "neighbours", rtr_neigh_json(st, t));
		return 0;
	}
	if (strcmp(cmd, "route-get") == 0) {
		const char *s = rtr_arg(args, "address", b, sizeof(b));
		const char *why = NULL;
		struct cfg_prefix a;

		if (s == NULL || cfg_parse_prefix(s, true, &a, &why) != 0 ||
		    a.len != (a.family == AF_INET ? 32 : 128)) {
			snprintf(err, errlen, "route-get needs address=ADDR (%s)",
				 why != NULL ? why : "an address without prefix length");
			return -EINVAL;
		}
		*result = rtr_route_get_json(t, &a);
		return 0;
	}
	snprintf(err, errlen,
		 "router: unknown command %s (route-add, route-del, route-show, "
		 "route-get, neigh-show)",
		 cmd);
	return -ENOTSUP;
}

static unsigned int
rtr_poll(struct nfv_vnf *vnf)
{
	struct rtr_state *st = vnf->priv;
	unsigned int pending = rtr_fpm_poll(st);

	/* the twins: a full budget means more may wait, come back soon */
	return pending + (rtr_hostif_poll(st) >= RTR_HOSTIF_BUDGET ? 1 : 0);
}

/* What poll reads: zebra's feed and the kernel twins (the control loop
 * sleeps on them once idle). */
static unsigned int
rtr_wait_fds(struct nfv_vnf *vnf, struct pollfd *pfd, unsigned int max)
{
	const struct rtr_state *st = vnf->priv;
	unsigned int n = rtr_fpm_wait_fds(st, pfd, max);

	return n + rtr_hostif_wait_fds(st, pfd + n, max - n);
}

/* nfvctl trace show: "%r" of a gateway route's note, a[0] = family | the
 * adjacency the packet took << 8, a[1..] = its destination (one arg for
 * IPv4, two for IPv6): the prefix that covers it, looked up now in the
 * control thread's table (the worker's FIB gives the adjacency only). */
static unsigned int
rtr_trace_conv(struct nfv_vnf *vnf, const uint64_t *a, unsigned int n, char *buf, size_t len)
{
	const struct rtr_state *st = vnf->priv;
	int family = (int)(a[0] & 0xff), plen = -1;
	uint8_t addr[16] = {0};
	char txt[INET6_ADDRSTRLEN];
	unsigned int used = family == 4 ? 2 : 3;
	uint32_t adj = 0;

	if ((family != 4 && family != 6) || n < used) {
		snprintf(buf, len, "?");
		return n;
	}
	memcpy(addr, &a[1], family == 4 ? 4 : 8);
	if (family == 6)
		memcpy(addr + 8, &a[2], 8);
	if (st != NULL && st->tables != NULL)
		plen = rtr_tables_route_of(st->tables, family, addr, &adj);
	if (plen < 0) {
		snprintf(buf, len, "none now (the routes changed since)");
		return used;
	}
	for (int i = plen / 8 + (plen % 8 != 0); i < 16; i++)
		addr[i] = 0;
	if (plen % 8)
		addr[plen / 8] &= (uint8_t)(0xff << (8 - plen % 8));
	inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, txt, sizeof(txt));
	snprintf(buf, len, "%s/%d%s", txt, plen,
		 adj == (uint32_t)(a[0] >> 8) ? "" : " now (the routes changed since)");
	return used;
}

static struct vnf_class rtr_class = {
	.schema = &rtr_schema,
	.create = rtr_create,
	.destroy = rtr_destroy,
	.process = rtr_process,
	.sets_out_port = 1,
	.no_meta = 1, /* reads m->port, not nfv_meta()->in_port */
	.reconfigure = rtr_reconfigure,
	.punt = rtr_punt,
	.tick = rtr_tick,
	.poll = rtr_poll,
	.wait_fds = rtr_wait_fds,
	.stats = rtr_stats,
	.ctl = rtr_ctl,
	.trace_conv = rtr_trace_conv,
	.counter_names = rtr_counter_names,
	.n_counters = RTR_CTR_MAX,
	.drop_names = rtr_drop_names,
	.drop_descs = rtr_drop_descs,
	.n_drops = RTR_DROP_MAX,
};

VNF_CLASS_REGISTER(rtr_class)
