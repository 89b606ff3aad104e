/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-gen - test packet layout.
 */
#include "gen_pkt.h"

#include <errno.h>
#include <string.h>

static inline void
gen_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
gen_put32(uint8_t *p, uint32_t v)
{
	gen_put16(p, (uint16_t)(v >> 16));
	gen_put16(p + 2, (uint16_t)v);
}

static inline uint16_t
gen_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
gen_sum(uint32_t sum, const uint8_t *p, unsigned int len)
{
	unsigned int i;

	for (i = 0; i + 1 < len; i += 2)
		sum += gen_get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
gen_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t
gen_pkt_csum(const void *data, unsigned int len)
{
	return gen_fold(gen_sum(0, data, len));
}

unsigned int
gen_pkt_write_hdr(uint8_t *buf, unsigned int frame_size, const struct gen_l3 *l3, uint32_t flow)
{
	unsigned int len = frame_size - GEN_FCS_LEN;
	uint8_t *ip = buf + 14, *udp, *v;
	uint32_t a;

	memcpy(buf, l3->dmac, 6);
	memcpy(buf + 6, l3->smac, 6);
	if (!l3->v6) {
		gen_put16(buf + 12, 0x0800);
		ip[0] = 0x45;
		ip[1] = 0;
		gen_put16(ip + 2, (uint16_t)(len - 14));
		gen_put16(ip + 4, 0);
		gen_put16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = 17;
		gen_put16(ip + 10, 0);
		gen_put32(ip + 12, l3->sip4 + (l3->mirror ? 0 : flow));
		gen_put32(ip + 16, l3->dip4 + (l3->mirror ? flow : 0));
		gen_put16(ip + 10, gen_pkt_csum(ip, 20));
		udp = ip + 20;
	} else {
		gen_put16(buf + 12, 0x86dd);
		gen_put32(ip, 0x60000000);
		gen_put16(ip + 4, (uint16_t)(len - 14 - 40));
		ip[6] = 17;
		ip[7] = 64;
		memcpy(ip + 8, l3->sip6, 16);
		memcpy(ip + 24, l3->dip6, 16);
		/* the flow index goes into the low 32 bits of the varied address */
		v = ip + (l3->mirror ? 36 : 20);
		a = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 | v[3];
		gen_put32(v, a + flow);
		udp = ip + 40;
	}
	gen_put16(udp, (uint16_t)(l3->sport + (l3->mirror ? 0 : flow & 0xff)));
	gen_put16(udp + 2, (uint16_t)(l3->dport + (l3->mirror ? flow & 0xff : 0)));
	gen_put16(udp + 4, (uint16_t)(buf + len - udp));
	gen_put16(udp + 6, 0);
	return (unsigned int)(udp + 8 - buf);
}

void
gen_pkt_udp6_csum(uint8_t *buf, unsigned int len)
{
	uint8_t *ip = buf + 14, *udp = ip + 40;
	unsigned int ulen = len - 14 - 40;
	uint32_t sum;
	uint16_t c;

	gen_put16(udp + 6, 0);
	sum = gen_sum(0, ip + 8, 32); /* addresses */
	sum += ulen + 17;
	sum = gen_sum(sum, udp, ulen);
	c = gen_fold(sum);
	gen_put16(udp + 6, c ? c : 0xffff);
}

int
gen_pkt_parse(const uint8_t *buf, unsigned int len, struct gen_stamp *st)
{
	unsigned int off = 14, ihl;
	uint16_t et;

	if (len < GEN_HDR4_LEN + sizeof(*st))
		return -EINVAL;
	et = gen_get16(buf + 12);
	if (et == 0x8100) {
		et = gen_get16(buf + 16);
		off += 4;
	}
	if (et == 0x0800) {
		if ((buf[off] >> 4) != 4 || buf[off + 9] != 17)
			return -EINVAL;
		ihl = (buf[off] & 0xfu) * 4;
		off += ihl + 8;
	} else if (et == 0x86dd) {
		if (buf[off + 6] != 17)
			return -EINVAL;
		off += 40 + 8;
	} else {
		return -EINVAL;
	}
	if (off + sizeof(*st) > len)
		return -EINVAL;
	memcpy(st, buf + off, sizeof(*st));
	if (st->magic != GEN_STAMP_MAGIC)
		return -EINVAL;
	return 0;
}

int
gen_pkt_arp_reply(uint8_t *buf, unsigned int len, const uint8_t mac[6])
{
	uint8_t *arp = buf + 14, ip[4];

	if (len < 42 || gen_get16(buf + 12) != 0x0806 || gen_get16(arp) != 1 ||
	    gen_get16(arp + 2) != 0x0800 || gen_get16(arp + 6) != 1)
		return -EINVAL;
	memcpy(buf, buf + 6, 6);
	memcpy(buf + 6, mac, 6);
	gen_put16(arp + 6, 2);
	memcpy(ip, arp + 24, 4);       /* target ip */
	memcpy(arp + 18, arp + 8, 6);  /* target mac = sender mac */
	memcpy(arp + 24, arp + 14, 4); /* target ip = sender ip */
	memcpy(arp + 8, mac, 6);
	memcpy(arp + 14, ip, 4);
	return 0;
}
