/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd DHCP server - BOOTP/DHCP message parser (RFC 2131/2132, option
 * overload, RFC 3396 concatenation) and reply builder. No DPDK: the fuzz
 * target links this file alone. The parser never reads outside the
 * buffer it is given and names every rejection with a DHCP_D_* reason.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dhcp.h"

/* Minimum / exact lengths of the options the server reads. */
static bool
dhcp_opt_len_ok(uint8_t code, uint16_t len)
{
	switch (code) {
	case DHCP_OPT_MSG_TYPE:
	case DHCP_OPT_OVERLOAD:
		return len == 1;
	case DHCP_OPT_REQ_ADDR:
	case DHCP_OPT_SERVER_ID:
	case DHCP_OPT_LEASE_TIME:
		return len == 4;
	case DHCP_OPT_MAX_SIZE:
		return len == 2;
	case DHCP_OPT_CLIENT_ID:
		return len >= 2 && len <= DHCP_CID_MAX;
	case DHCP_OPT_PRL:
	case DHCP_OPT_HOSTNAME:
	case DHCP_OPT_RELAY_INFO:
		return len >= 1;
	default:
		return true;
	}
}

/* Walk one option area. pass 0 sums lengths, pass 1 copies values into
 * m->buf at the offsets pass 0 computed (m->len counts what is copied). */
static int
dhcp_opt_area(const uint8_t *a, size_t alen, struct dhcp_msg *m, int pass, uint16_t *why)
{
	size_t i = 0;

	while (i < alen) {
		uint8_t code = a[i], l;

		if (code == DHCP_OPT_PAD) {
			i++;
			continue;
		}
		if (code == DHCP_OPT_END)
			return 0;
		if (i + 1 >= alen) {
			*why = DHCP_D_OPT_PAST_END;
			return -EINVAL;
		}
		l = a[i + 1];
		if (i + 2 + l > alen) {
			*why = DHCP_D_OPT_PAST_END;
			return -EINVAL;
		}
		if (pass == 0) {
			if ((size_t)m->len[code] + l > sizeof(m->buf)) {
				*why = DHCP_D_BAD_OPT_LEN;
				return -EINVAL;
			}
			m->has[code >> 3] |= (uint8_t)(1u << (code & 7));
			m->len[code] += l;
		} else {
			memcpy(m->buf + m->off[code] + m->len[code], a + i + 2, l);
			m->len[code] += l;
		}
		i += 2 + (size_t)l;
	}
	/* options that end exactly at the end of the message without the end
	 * option (255) are taken, as Kea and ISC dhcpd take them: every
	 * option was whole */
	return 0;
}

static int
dhcp_opt_walk(const uint8_t *p, size_t len, struct dhcp_msg *m, int pass, uint8_t overload,
	      uint16_t *why)
{
	int ret = dhcp_opt_area(p + DHCP_MIN_LEN, len - DHCP_MIN_LEN, m, pass, why);

	if (ret == 0 && (overload & 1))
		ret = dhcp_opt_area(p + offsetof(struct dhcp_hdr, file), 128, m, pass, why);
	if (ret == 0 && (overload & 2))
		ret = dhcp_opt_area(p + offsetof(struct dhcp_hdr, sname), 64, m, pass, why);
	return ret;
}

int
dhcp_msg_parse(const uint8_t *p, size_t len, struct dhcp_msg *m, uint16_t *why)
{
	const struct dhcp_hdr *h = (const struct dhcp_hdr *)p;
	uint8_t overload = 0;
	uint32_t total = 0;
	int ret;

	memset(m->has, 0, sizeof(m->has));
	memset(m->len, 0, sizeof(m->len));
	m->type = 0;
	m->hdr = h;
	if (p == NULL || len < DHCP_MIN_LEN) {
		*why = DHCP_D_TRUNCATED;
		return -EINVAL;
	}
	if (h->op != 1) {
		*why = DHCP_D_BAD_OP;
		return -EINVAL;
	}
	if (h->htype != 1 || h->hlen != 6) {
		*why = DHCP_D_BAD_HW;
		return -EINVAL;
	}
	if (h->cookie != htonl(DHCP_MAGIC)) {
		*why = DHCP_D_BAD_COOKIE;
		return -EINVAL;
	}
	/* pass 0 over the options area alone finds the overload option */
	ret = dhcp_opt_area(p + DHCP_MIN_LEN, len - DHCP_MIN_LEN, m, 0, why);
	if (ret != 0)
		return ret;
	if (dhcp_msg_has(m, DHCP_OPT_OVERLOAD)) {
		/* value sits in the options area: find it there */
		const uint8_t *a = p + DHCP_MIN_LEN;
		size_t i = 0, alen = len - DHCP_MIN_LEN;

		if (m->len[DHCP_OPT_OVERLOAD] != 1) {
			*why = DHCP_D_BAD_OVERLOAD;
			return -EINVAL;
		}
		while (i + 2 < alen && a[i] != DHCP_OPT_OVERLOAD) {
			if (a[i] == DHCP_OPT_PAD)
				i++;
			else
				i += 2 + (size_t)a[i + 1];
		}
		overload = i + 2 < alen ? a[i + 2] : 0;
		if (overload < 1 || overload > 3) {
			*why = DHCP_D_BAD_OVERLOAD;
			return -EINVAL;
		}
		/* restart pass 0 over every area */
		memset(m->has, 0, sizeof(m->has));
		memset(m->len, 0, sizeof(m->len));
		ret = dhcp_opt_walk(p, len, m, 0, overload, why);
		if (ret != 0)
			return ret;
	}
	for (unsigned int c = 1; c < 255; c++) {
		if (!dhcp_msg_has(m, (uint8_t)c))
			continue;
		if (!dhcp_opt_len_ok((uint8_t)c, m->len[c])) {
			*why = DHCP_D_BAD_OPT_LEN;
			return -EINVAL;
		}
		m->off[c] = (uint16_t)total;
		total += m->len[c];
		m->len[c] = 0;
	}
	if (total > sizeof(m->buf)) {
		*why = DHCP_D_BAD_OPT_LEN;
		return -EINVAL;
	}
	ret = dhcp_opt_walk(p, len, m, 1, overload, why);
	if (ret != 0)
		return ret;
	if (!dhcp_msg_has(m, DHCP_OPT_MSG_TYPE)) {
		*why = DHCP_D_NO_TYPE;
		return -EINVAL;
	}
	m->type = m->buf[m->off[DHCP_OPT_MSG_TYPE]];
	switch (m->type) {
	case DHCP_DISCOVER:
	case DHCP_REQUEST:
	case DHCP_DECLINE:
	case DHCP_RELEASE:
	case DHCP_INFORM:
		return 0;
	default:
		*why = DHCP_D_BAD_TYPE;
		return -EINVAL;
	}
}

uint32_t
dhcp_msg_u32(const struct dhcp_msg *m, uint8_t code)
{
	uint16_t l;
	const uint8_t *v = dhcp_msg_opt(m, code, &l);
	uint32_t x;

	if (v == NULL || l != 4)
		return 0;
	memcpy(&x, v, 4);
	return x;
}

void
dhcp_ip_str(uint32_t addr, char *buf, size_t size)
{
	snprintf(buf, size, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff,
		 addr & 0xff);
}

/* 64-bit lane k of the long client id hash (FNV-1a with a lane's own
 * basis and multiplier, then a splitmix64 finish). */
static uint64_t
dhcp_cid_lane(const uint8_t *p, uint16_t n, unsigned int k)
{
	static const uint64_t mul[4] = {0x100000001b3ull, 0x9e3779b97f4a7c15ull,
					0xbf58476d1ce4e5b9ull, 0x94d049bb133111ebull};
	uint64_t h = 0xcbf29ce484222325ull ^ ((uint64_t)(k + 1) * 0xd6e8feb86659fd93ull) ^ n;

	for (uint16_t i = 0; i < n; i++)
		h = (h ^ p[i]) * mul[k];
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

uint8_t
dhcp_cid_key(const uint8_t *cid, uint16_t n, uint8_t key[DHCP_KEY_MAX])
{
	if (n + 1u <= DHCP_KEY_MAX) {
		key[0] = 'c';
		memcpy(key + 1, cid, n);
		return (uint8_t)(n + 1);
	}
	key[0] = 'd';
	key[1] = (uint8_t)n;
	memcpy(key + 2, cid, 30);
	for (unsigned int k = 0; k < 4; k++) {
		uint64_t h = dhcp_cid_lane(cid, n, k);

		memcpy(key + 32 + 8 * k, &h, 8);
	}
	return DHCP_KEY_MAX;
}

/* One's complement sum of n bytes (big-endian 16-bit words) into sum. */
static uint32_t
dhcp_csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < n)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t
dhcp_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

int
dhcp_ip_udp_check(const uint8_t *ip, size_t len, bool ip_ok, bool udp_ok, const uint8_t **pl,
		  size_t *pl_len, uint16_t *why)
{
	size_t ihl, iplen, udplen;
	const uint8_t *udp;

	*why = DHCP_D_BAD_FRAME;
	if (len < 20 + 8 || (ip[0] >> 4) != 4)
		return -EINVAL;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	iplen = (size_t)(ip[2] << 8 | ip[3]);
	if (ihl < 20 || iplen < ihl + 8 || iplen > len)
		return -EINVAL;
	/* fragments: MF or an offset */
	if (((ip[6] << 8 | ip[7]) & 0x3fff) != 0)
		return -EINVAL;
	if (ip[9] != 17)
		return -EINVAL;
	if (!ip_ok && dhcp_csum_fold(dhcp_csum_add(0, ip, ihl)) != 0xffff) {
		*why = DHCP_D_BAD_IP_CSUM;
		return -EINVAL;
	}
	udp = ip + ihl;
	udplen = (size_t)(udp[4] << 8 | udp[5]);
	if (udplen < 8 || udplen > iplen - ihl)
		return -EINVAL;
	/* a zero UDP checksum means none was computed (RFC 768) */
	if (!udp_ok && (udp[6] | udp[7]) != 0) {
		uint32_t sum = dhcp_csum_add(0, ip + 12, 8); /* addresses */

		sum += 17 + (uint32_t)udplen;
		/* A sender that offloads the UDP checksum (Linux CHECKSUM_PARTIAL,
		 * e.g. a socket on a veth whose other end an af_packet port reads)
		 * leaves the field holding the pseudo-header sum, to be finished
		 * by hardware that never runs; the kernel trusts such a frame, so
		 * do we (a frame corrupted into exactly that value: 1 in 65536). */
		uint16_t partial = dhcp_csum_fold(sum);
		uint16_t field = (uint16_t)(udp[6] << 8 | udp[7]);

		sum = dhcp_csum_add(sum, udp, udplen);
		if (dhcp_csum_fold(sum) != 0xffff && field != partial) {
			*why = DHCP_D_BAD_UDP_CSUM;
			return -EINVAL;
		}
	}
	*pl = udp + 8;
	*pl_len = udplen - 8;
	return 0;
}
