/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-dhcpgen frames: build/parse round trips, header checks, malformed
 * replies refused, ARP reply.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dg_pkt.h"

static uint8_t buf[DG_FRAME_MAX];

static struct dg_msg
discover(void)
{
	struct dg_msg m = {0};
	static const uint8_t mac[6] = {0x02, 0xdc, 0, 0, 1, 2};

	memcpy(m.chaddr, mac, 6);
	memcpy(m.eth_src, mac, 6);
	memset(m.eth_dst, 0xff, 6);
	m.ip_dst = 0xffffffffu;
	m.sport = DG_PORT_CLIENT;
	m.dport = DG_PORT_SERVER;
	m.op = DG_BOOTREQUEST;
	m.type = DG_DISCOVER;
	m.xid = 0xdeadbeef;
	return m;
}

static void
test_discover_layout(void **state)
{
	struct dg_msg m = discover();
	size_t len;

	(void)state;
	len = dg_build(buf, sizeof(buf), &m);
	assert_int_equal(len, DG_HDRS_LEN + DG_BOOTP_MIN);
	assert_memory_equal(buf, "\xff\xff\xff\xff\xff\xff\x02\xdc\x00\x00\x01\x02\x08\x00", 14);
	assert_int_equal(buf[14], 0x45);
	assert_int_equal(buf[14 + 9], 17);
	assert_int_equal(dg_ip_csum(buf + 14, 20), 0); /* the header checksum verifies */
	assert_int_equal((buf[16] << 8) | buf[17], 20 + 8 + DG_BOOTP_MIN);
	assert_memory_equal(buf + 34, "\x00\x44\x00\x43", 4); /* 68 -> 67 */
	assert_int_equal((buf[38] << 8) | buf[39], 8 + DG_BOOTP_MIN);
	assert_int_equal(buf[40], 0);				  /* UDP checksum: none */
	assert_int_equal(buf[42], 1);				  /* BOOTREQUEST */
	assert_memory_equal(buf + 42 + 4, "\xde\xad\xbe\xef", 4); /* xid */
	assert_memory_equal(buf + 42 + 28, m.chaddr, 6);
	assert_memory_equal(buf + 42 + 236, "\x63\x82\x53\x63", 4);
	assert_memory_equal(buf + 42 + 240, "\x35\x01\x01", 3); /* option 53 first */
}

static void
test_request_round_trip(void **state)
{
	struct dg_msg m = discover(), p;

	(void)state;
	m.type = DG_REQUEST;
	m.req_addr = 0x0a420105;
	m.server_id = 0x0a420001;
	m.flags = DG_FLAG_BROADCAST;
	assert_true(dg_build(buf, sizeof(buf), &m) > 0);
	assert_int_equal(dg_parse(buf, DG_HDRS_LEN + DG_BOOTP_MIN, &p), 0);
	assert_int_equal(p.op, DG_BOOTREQUEST);
	assert_int_equal(p.type, DG_REQUEST);
	assert_int_equal(p.xid, 0xdeadbeef);
	assert_int_equal(p.req_addr, 0x0a420105);
	assert_int_equal(p.server_id, 0x0a420001);
	assert_int_equal(p.flags, DG_FLAG_BROADCAST);
	assert_int_equal(p.sport, 68);
	assert_int_equal(p.dport, 67);
	assert_int_equal(p.ip_dst, 0xffffffffu);
	assert_memory_equal(p.chaddr, m.chaddr, 6);
}

static void
test_reply_round_trip(void **state)
{
	struct dg_msg m = {0}, p;

	(void)state;
	m.op = DG_BOOTREPLY;
	m.type = DG_ACK;
	m.xid = 7;
	m.yiaddr = 0x0a420109;
	m.ciaddr = 0x0a420109;
	m.server_id = 0x0a420001;
	m.lease = 3600;
	m.ip_src = 0x0a420001;
	m.ip_dst = 0x0a420109;
	m.sport = 67;
	m.dport = 68;
	memset(m.eth_src, 0x11, 6);
	memset(m.chaddr, 0x22, 6);
	assert_true(dg_build(buf, sizeof(buf), &m) > 0);
	assert_int_equal(dg_parse(buf, DG_HDRS_LEN + DG_BOOTP_MIN, &p), 0);
	assert_int_equal(p.op, DG_BOOTREPLY);
	assert_int_equal(p.type, DG_ACK);
	assert_int_equal(p.yiaddr, 0x0a420109);
	assert_int_equal(p.ciaddr, 0x0a420109);
	assert_int_equal(p.lease, 3600);
	assert_int_equal(p.server_id, 0x0a420001);
	assert_int_equal(p.ip_src, 0x0a420001);
	assert_memory_equal(p.eth_src, m.eth_src, 6);
}

static void
test_short_buffer_refused(void **state)
{
	struct dg_msg m = discover();

	(void)state;
	assert_int_equal(dg_build(buf, DG_FRAME_MAX - 1, &m), 0);
}

static void
test_malformed(void **state)
{
	struct dg_msg m = discover(), p;
	size_t len;
	uint8_t *opt = buf + DG_HDRS_LEN + 240;

	(void)state;
	len = dg_build(buf, sizeof(buf), &m);
	/* every truncation of the frame: never accepted, never read past */
	for (size_t n = 0; n < DG_HDRS_LEN + 240 + 3; n++)
		assert_int_not_equal(dg_parse(buf, n, &p), 0);
	/* an option running past the end of the UDP payload */
	len = dg_build(buf, sizeof(buf), &m);
	memset(opt + 3, 0, DG_BOOTP_MIN - 243);
	opt[3] = 12;
	opt[4] = 200;
	assert_int_equal(dg_parse(buf, len, &p), -EINVAL);
	/* no end option */
	len = dg_build(buf, sizeof(buf), &m);
	memset(opt + 3, 0, DG_BOOTP_MIN - 243);
	assert_int_equal(dg_parse(buf, len, &p), -EINVAL);
	/* no message type */
	len = dg_build(buf, sizeof(buf), &m);
	opt[0] = 0;
	opt[1] = 0;
	opt[2] = 0;
	assert_int_equal(dg_parse(buf, len, &p), -EINVAL);
	/* message type of a wrong length */
	len = dg_build(buf, sizeof(buf), &m);
	opt[1] = 2;
	assert_int_equal(dg_parse(buf, len, &p), -EINVAL);
	/* bad cookie */
	len = dg_build(buf, sizeof(buf), &m);
	buf[DG_HDRS_LEN + 236] = 0;
	assert_int_equal(dg_parse(buf, len, &p), -EINVAL);
	/* UDP length beyond the frame */
	len = dg_build(buf, sizeof(buf), &m);
	assert_int_equal(dg_parse(buf, len - 1, &p), -EINVAL);
}

static void
test_not_dhcp(void **state)
{
	struct dg_msg m = discover(), p;
	size_t len;

	(void)state;
	len = dg_build(buf, sizeof(buf), &m);
	buf[DG_ETH_LEN + 9] = 6; /* TCP */
	assert_int_equal(dg_parse(buf, len, &p), -ENOENT);
	len = dg_build(buf, sizeof(buf), &m);
	buf[DG_ETH_LEN + 20 + 3] = 53; /* to port 53 */
	assert_int_equal(dg_parse(buf, len, &p), -ENOENT);
	buf[12] = 0x86; /* IPv6 */
	buf[13] = 0xdd;
	assert_int_equal(dg_parse(buf, len, &p), -ENOENT);
}

static void
test_arp(void **state)
{
	static const uint8_t req[42] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0,  0, 0, 0, 1, 0x08, 0x06, /* eth */
		0,    1,    0x08, 0,	6,    4,    0,	  1,			      /* request */
		0x02, 0,    0,	  0,	0,    1,    10,	  66, 0, 1,		      /* sender */
		0,    0,    0,	  0,	0,    0,    10,	  66, 1, 5};		      /* target */
	static const uint8_t mac[6] = {0x02, 0xdc, 0, 0, 0, 5};
	uint8_t f[42];
	uint32_t tip;

	(void)state;
	memcpy(f, req, sizeof(f));
	assert_true(dg_is_arp_request(f, sizeof(f), &tip));
	assert_int_equal(tip, 0x0a420105);
	assert_false(dg_is_arp_request(f, 41, &tip));
	dg_arp_reply(f, mac);
	assert_false(dg_is_arp_request(f, sizeof(f), &tip)); /* a reply now */
	assert_memory_equal(f, req + 6, 6);		     /* to the asker */
	assert_memory_equal(f + 6, mac, 6);
	assert_memory_equal(f + 22, mac, 6);		    /* sha */
	assert_memory_equal(f + 28, "\x0a\x42\x01\x05", 4); /* spa */
	assert_memory_equal(f + 32, req + 22, 6);	    /* tha */
	assert_memory_equal(f + 38, "\x0a\x42\x00\x01", 4); /* tpa */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discover_layout),
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_reply_round_trip),
		cmocka_unit_test(test_short_buffer_refused),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_not_dhcp),
		cmocka_unit_test(test_arp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
