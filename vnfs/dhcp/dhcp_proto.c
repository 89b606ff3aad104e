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
		return len >= 2 && len < DHCP_KEY_MAX;
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
dhcp_opt_area(const uint8_t *a, size_t alen, struct dhcp_msg *m, int pass, bool need_end,
	      uint16_t *why)
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
	if (need_end) {
		*why = DHCP_D_NO_END;
		return -EINVAL;
	}
	return 0;
}

static int
dhcp_opt_walk(const uint8_t *p, size_t len, struct dhcp_msg *m, int pass, uint8_t overload,
	      uint16_t *why)
{
	int ret = dhcp_opt_area(p + DHCP_MIN_LEN, len - DHCP_MIN_LEN, m, pass, true, why);

	if (ret == 0 && (overload & 1))
		ret = dhcp_opt_area(p + offsetof(struct dhcp_hdr, file), 128, m, pass, false, why);
	if (ret == 0 && (overload & 2))
		ret = dhcp_opt_area(p + offsetof(struct dhcp_hdr, sname), 64, m, pass, false, why);
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
	ret = dhcp_opt_area(p + DHCP_MIN_LEN, len - DHCP_MIN_LEN, m, 0, true, why);
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
