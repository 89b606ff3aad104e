/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-gen packet layout: headers, checksums, stamp round trip, ARP reply.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gen_pkt.h"

static uint8_t buf[GEN_FRAME_MAX];

static struct gen_l3
l3_v4(void)
{
	struct gen_l3 l3 = {
		.v6 = false, .sip4 = 0x0a000001, .dip4 = 0x0a010001, .sport = 1024, .dport = 5001};

	memset(l3.dmac, 0x22, 6);
	memset(l3.smac, 0x11, 6);
	return l3;
}

static void
test_ipv4_64_bytes(void **state)
{
	struct gen_l3 l3 = l3_v4();
	struct gen_stamp st = {.magic = GEN_STAMP_MAGIC, .stream = 3, .seq = 77, .tsc = 123456789},
			 got;
	unsigned int off;

	(void)state;
	off = gen_pkt_write_hdr(buf, 64, &l3, 5);
	assert_int_equal(off, GEN_HDR4_LEN);
	memcpy(buf + off, &st, sizeof(st));
	assert_int_equal(buf[12], 0x08);
	assert_int_equal(buf[16] << 8 | buf[17], 46); /* IP total length: 60 - 14 */
	assert_int_equal(buf[38] << 8 | buf[39], 26); /* UDP length */
	assert_int_equal(buf[29], 6);		      /* source 10.0.0.1 + flow 5 */
	assert_int_equal(buf[34] << 8 | buf[35], 1029);
	assert_int_equal(gen_pkt_csum(buf + 14, 20), 0); /* header checksum verifies */
	assert_int_equal(gen_pkt_parse(buf, 60, &got), 0);
	assert_int_equal(got.stream, 3);
	assert_int_equal(got.seq, 77);
	assert_true(got.tsc == 123456789);
}

/* A mirrored stream's flow f is the reply of the forward stream's flow f:
 * addresses and ports swapped, for IPv4 and IPv6. */
static void
test_mirror_is_the_reply(void **state)
{
	for (int v6 = 0; v6 <= 1; v6++) {
		struct gen_l3 fw = l3_v4(), bw;
		uint8_t b2[GEN_FRAME_MAX];
		unsigned int sa = v6 ? 22 : 26, da = v6 ? 38 : 30, alen = v6 ? 16 : 4;
		unsigned int l4 = v6 ? 54 : 34;

		(void)state;
		fw.v6 = v6;
		memset(fw.sip6, 0x20, 16);
		memset(fw.dip6, 0x30, 16);
		bw = fw;
		bw.sip4 = fw.dip4;
		bw.dip4 = fw.sip4;
		memcpy(bw.sip6, fw.dip6, 16);
		memcpy(bw.dip6, fw.sip6, 16);
		bw.sport = fw.dport;
		bw.dport = fw.sport;
		bw.mirror = true;
		for (uint32_t f = 0; f < 300; f += 37) {
			gen_pkt_write_hdr(buf, 128, &fw, f);
			gen_pkt_write_hdr(b2, 128, &bw, f);
			assert_memory_equal(buf + sa, b2 + da, alen);
			assert_memory_equal(buf + da, b2 + sa, alen);
			assert_memory_equal(buf + l4, b2 + l4 + 2, 2);
			assert_memory_equal(buf + l4 + 2, b2 + l4, 2);
		}
		/* and flows differ from each other */
		gen_pkt_write_hdr(b2, 128, &bw, 1);
		gen_pkt_write_hdr(buf, 128, &bw, 2);
		assert_memory_not_equal(buf + da, b2 + da, alen);
	}
}

static void
test_ipv6_udp_checksum(void **state)
{
	struct gen_l3 l3 = {.v6 = true, .sport = 1024, .dport = 5001};
	struct gen_stamp st = {.magic = GEN_STAMP_MAGIC, .seq = 1}, got;
	uint8_t pseudo[40 + 1518];
	unsigned int off, len = 128 - 4, ulen;

	(void)state;
	l3.sip6[0] = 0x20, l3.sip6[15] = 1;
	l3.dip6[0] = 0x20, l3.dip6[15] = 2;
	assert_int_equal(gen_pkt_min_frame(true), 82);
	off = gen_pkt_write_hdr(buf, 128, &l3, 1);
	assert_int_equal(off, GEN_HDR6_LEN);
	assert_int_equal(buf[14 + 23], 2); /* source ::1 + flow 1 */
	memset(buf + off, 0xab, len - off);
	memcpy(buf + off, &st, sizeof(st));
	gen_pkt_udp6_csum(buf, len);
	/* verify: the sum over pseudo header + UDP including checksum is 0 */
	ulen = len - 54;
	memcpy(pseudo, buf + 22, 32);
	memset(pseudo + 32, 0, 8);
	pseudo[34] = (uint8_t)(ulen >> 8), pseudo[35] = (uint8_t)ulen, pseudo[39] = 17;
	memcpy(pseudo + 40, buf + 54, ulen);
	assert_int_equal(gen_pkt_csum(pseudo, 40 + ulen), 0);
	assert_int_equal(gen_pkt_parse(buf, len, &got), 0);
	assert_int_equal(got.seq, 1);
}

static void
test_parse_rejects_others(void **state)
{
	struct gen_l3 l3 = l3_v4();
	struct gen_stamp st = {.magic = 0x1234}, got;

	(void)state;
	gen_pkt_write_hdr(buf, 64, &l3, 0);
	memcpy(buf + GEN_HDR4_LEN, &st, sizeof(st));
	assert_int_equal(gen_pkt_parse(buf, 60, &got), -EINVAL); /* bad magic */
	st.magic = GEN_STAMP_MAGIC;
	memcpy(buf + GEN_HDR4_LEN, &st, sizeof(st));
	assert_int_equal(gen_pkt_parse(buf, 40, &got), -EINVAL); /* truncated */
	buf[23] = 6;						 /* TCP */
	assert_int_equal(gen_pkt_parse(buf, 60, &got), -EINVAL);
}

static void
test_arp_reply(void **state)
{
	const uint8_t mac[6] = {2, 0, 0, 0, 0, 9};
	uint8_t req[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 1, 1, 1, 1,  1, 0x08, 0x06,
			   0,	 1,    8,    0,	   6,	 4,    0, 1, 2, 1, 1,  1, 1,	1,
			   10,	 0,    0,    254,  0,	 0,    0, 0, 0, 0, 10, 0, 0,	1};

	(void)state;
	assert_int_equal(gen_pkt_arp_reply(req, sizeof(req), mac), 0);
	assert_memory_equal(req, "\x02\x01\x01\x01\x01\x01", 6); /* to the asker */
	assert_memory_equal(req + 6, mac, 6);
	assert_int_equal(req[21], 2);			      /* reply */
	assert_memory_equal(req + 22, mac, 6);		      /* sender mac = ours */
	assert_memory_equal(req + 28, "\x0a\x00\x00\x01", 4); /* for the asked ip */
	assert_memory_equal(req + 38, "\x0a\x00\x00\xfe", 4);
	/* a reply is not answered */
	assert_int_equal(gen_pkt_arp_reply(req, sizeof(req), mac), -EINVAL);
}

/* The inline fast parse (untagged IPv4) and the stamp writer give the
 * same answers as gen_pkt_parse on every kind of frame: IPv4, IPv4 with
 * options, VLAN-tagged, IPv6, bad magic, truncated, not UDP, not IP. */
static void
test_fast_parse_agrees(void **state)
{
	struct gen_l3 l3 = l3_v4();
	struct gen_stamp a, b;
	uint8_t f[GEN_FRAME_MAX];
	unsigned int off, len;
	int kind;

	(void)state;
	for (kind = 0; kind < 8; kind++) {
		memset(f, 0, sizeof(f));
		len = 64;
		l3 = l3_v4();
		if (kind == 3) {
			l3.v6 = true;
			l3.sip6[15] = 1, l3.dip6[15] = 2;
			len = 124;
		}
		off = gen_pkt_write_hdr(f, len + GEN_FCS_LEN, &l3, 7);
		gen_pkt_put_stamp(f + off, 5, 0xdeadbeef, 0x0123456789abcdefull);
		if (kind == 1) { /* IPv4 with 4 bytes of options: stamp 4 later */
			f[14] = 0x46;
			memmove(f + off + 4, f + off, sizeof(struct gen_stamp));
		} else if (kind == 2) { /* a VLAN tag */
			memmove(f + 16, f + 12, len - 12);
			f[12] = 0x81, f[13] = 0x00, f[14] = 0, f[15] = 10;
			len += 4;
		} else if (kind == 4) {
			f[off] ^= 1; /* bad magic */
		} else if (kind == 5) {
			len = GEN_HDR4_LEN + 8; /* truncated stamp */
		} else if (kind == 6) {
			f[23] = 6; /* TCP */
		} else if (kind == 7) {
			f[12] = 0x08, f[13] = 0x06; /* ARP */
		}
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		assert_int_equal(gen_pkt_parse_fast(f, len, &a), gen_pkt_parse(f, len, &b));
		if (gen_pkt_parse(f, len, &b) == 0) {
			assert_true(kind <= 3);
			assert_memory_equal(&a, &b, sizeof(a));
			assert_int_equal(a.stream, 5);
			assert_true(a.seq == 0xdeadbeef);
			assert_true(a.tsc == 0x0123456789abcdefull);
		} else {
			assert_true(kind >= 4);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_64_bytes),
		cmocka_unit_test(test_ipv6_udp_checksum),
		cmocka_unit_test(test_mirror_is_the_reply),
		cmocka_unit_test(test_parse_rejects_others),
		cmocka_unit_test(test_arp_reply),
		cmocka_unit_test(test_fast_parse_agrees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
