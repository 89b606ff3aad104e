/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-dhcpgen - DHCPv4 frame builder and parser.
 */
#include "dg_pkt.h"

#include <errno.h>
#include <string.h>

static inline void
dg_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
dg_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline uint16_t
dg_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
dg_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

uint16_t
dg_ip_csum(const uint8_t *ip, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += dg_get16(ip + i);
	if (len & 1)
		s += (uint32_t)ip[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint8_t *
dg_opt32(uint8_t *o, uint8_t code, uint32_t v)
{
	o[0] = code;
	o[1] = 4;
	dg_put32(o + 2, v);
	return o + 6;
}

size_t
dg_build(uint8_t *buf, size_t cap, const struct dg_msg *m)
{
	uint8_t *ip = buf + DG_ETH_LEN, *udp = ip + DG_IP_LEN, *b = udp + DG_UDP_LEN, *o;
	size_t blen, total;

	if (cap < DG_FRAME_MAX)
		return 0;
	memcpy(buf, m->eth_dst, 6);
	memcpy(buf + 6, m->eth_src, 6);
	buf[12] = 0x08;
	buf[13] = 0x00;
	/* BOOTP fixed part */
	memset(b, 0, DG_BOOTP_FIXED);
	b[0] = m->op;
	b[1] = 1; /* Ethernet */
	b[2] = 6;
	dg_put32(b + 4, m->xid);
	dg_put16(b + 10, m->flags);
	dg_put32(b + 12, m->ciaddr);
	dg_put32(b + 16, m->yiaddr);
	dg_put32(b + 24, m->giaddr);
	memcpy(b + 28, m->chaddr, 6);
	dg_put32(b + DG_BOOTP_FIXED, DG_MAGIC);
	o = b + DG_BOOTP_FIXED + 4;
	*o++ = 53;
	*o++ = 1;
	*o++ = m->type;
	if (m->req_addr)
		o = dg_opt32(o, 50, m->req_addr);
	if (m->server_id)
		o = dg_opt32(o, 54, m->server_id);
	if (m->lease)
		o = dg_opt32(o, 51, m->lease);
	if (m->op == DG_BOOTREQUEST && m->type != DG_RELEASE) {
		/* parameter request list: mask, routers, DNS */
		*o++ = 55;
		*o++ = 3;
		*o++ = 1;
		*o++ = 3;
		*o++ = 6;
	}
	*o++ = 255;
	blen = (size_t)(o - b);
	if (blen < DG_BOOTP_MIN) {
		memset(o, 0, DG_BOOTP_MIN - blen);
		blen = DG_BOOTP_MIN;
	}
	/* UDP, checksum 0: none */
	dg_put16(udp, m->sport);
	dg_put16(udp + 2, m->dport);
	dg_put16(udp + 4, (uint16_t)(DG_UDP_LEN + blen));
	dg_put16(udp + 6, 0);
	/* IPv4 */
	total = DG_IP_LEN + DG_UDP_LEN + blen;
	ip[0] = 0x45;
	ip[1] = 0;
	dg_put16(ip + 2, (uint16_t)total);
	dg_put16(ip + 4, 0);
	dg_put16(ip + 6, 0);
	ip[8] = 64;
	ip[9] = 17;
	dg_put16(ip + 10, 0);
	dg_put32(ip + 12, m->ip_src);
	dg_put32(ip + 16, m->ip_dst);
	dg_put16(ip + 10, dg_ip_csum(ip, DG_IP_LEN));
	return DG_ETH_LEN + total;
}

int
dg_parse(const uint8_t *buf, size_t len, struct dg_msg *m)
{
	const uint8_t *ip, *udp, *b, *o, *end;
	size_t ihl, ulen;

	if (len < DG_HDRS_LEN || buf[12] != 0x08 || buf[13] != 0x00)
		return -ENOENT;
	ip = buf + DG_ETH_LEN;
	if ((ip[0] >> 4) != 4 || ip[9] != 17)
		return -ENOENT;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	if (ihl < DG_IP_LEN || len < DG_ETH_LEN + ihl + DG_UDP_LEN)
		return -ENOENT;
	udp = ip + ihl;
	m->sport = dg_get16(udp);
	m->dport = dg_get16(udp + 2);
	if (m->dport != DG_PORT_CLIENT && m->dport != DG_PORT_SERVER)
		return -ENOENT;
	ulen = dg_get16(udp + 4);
	if (ulen < DG_UDP_LEN || (size_t)(udp - buf) + ulen > len)
		return -EINVAL;
	b = udp + DG_UDP_LEN;
	end = udp + ulen;
	if ((size_t)(end - b) < DG_BOOTP_FIXED + 4 || dg_get32(b + DG_BOOTP_FIXED) != DG_MAGIC)
		return -EINVAL;
	memcpy(m->eth_dst, buf, 6);
	memcpy(m->eth_src, buf + 6, 6);
	m->ip_src = dg_get32(ip + 12);
	m->ip_dst = dg_get32(ip + 16);
	m->op = b[0];
	m->xid = dg_get32(b + 4);
	m->flags = dg_get16(b + 10);
	m->ciaddr = dg_get32(b + 12);
	m->yiaddr = dg_get32(b + 16);
	m->giaddr = dg_get32(b + 24);
	memcpy(m->chaddr, b + 28, 6);
	m->type = 0;
	m->req_addr = m->server_id = m->lease = 0;
	if ((m->op != DG_BOOTREQUEST && m->op != DG_BOOTREPLY) || b[1] != 1 || b[2] != 6)
		return -EINVAL;
	/* options: one pass, no overload (neither server here uses it) */
	for (o = b + DG_BOOTP_FIXED + 4; o < end;) {
		uint8_t code = o[0], olen;

		if (code == 0) {
			o++;
			continue;
		}
		if (code == 255)
			break;
		if (o + 2 > end || o + 2 + o[1] > end)
			return -EINVAL;
		olen = o[1];
		switch (code) {
		case 53:
			if (olen != 1)
				return -EINVAL;
			m->type = o[2];
			break;
		case 50:
		case 51:
		case 54:
			if (olen != 4)
				return -EINVAL;
			if (code == 50)
				m->req_addr = dg_get32(o + 2);
			else if (code == 51)
				m->lease = dg_get32(o + 2);
			else
				m->server_id = dg_get32(o + 2);
			break;
		default:
			break;
		}
		o += 2 + olen;
	}
	if (o >= end)
		return -EINVAL; /* no end option */
	if (m->type < DG_DISCOVER || m->type > DG_INFORM)
		return -EINVAL;
	return 0;
}

bool
dg_is_arp_request(const uint8_t *buf, size_t len, uint32_t *tip)
{
	if (len < DG_ETH_LEN + 28 || buf[12] != 0x08 || buf[13] != 0x06)
		return false;
	if (dg_get16(buf + 14) != 1 || dg_get16(buf + 16) != 0x0800 || buf[18] != 6 ||
	    buf[19] != 4 || dg_get16(buf + 20) != 1)
		return false;
	*tip = dg_get32(buf + 38);
	return true;
}

void
dg_arp_reply(uint8_t *buf, const uint8_t mac[6])
{
	uint8_t sip[4];

	memcpy(buf, buf + 6, 6); /* to the asker */
	memcpy(buf + 6, mac, 6);
	dg_put16(buf + 20, 2);
	memcpy(sip, buf + 28, 4);
	memcpy(buf + 32, buf + 22, 6); /* tha = sha */
	memcpy(buf + 28, buf + 38, 4); /* spa = tpa */
	memcpy(buf + 38, sip, 4);      /* tpa = old spa */
	memcpy(buf + 22, mac, 6);
}
