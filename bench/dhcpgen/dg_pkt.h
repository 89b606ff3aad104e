/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-dhcpgen - DHCPv4 frames: one builder and one parser for both
 * directions (the emulated clients' requests, the fake server's replies).
 * Whole Ethernet + IPv4 + UDP + BOOTP frames in a caller's buffer; free of
 * DPDK so the unit tests link it alone.
 */
#ifndef DG_PKT_H
#define DG_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DG_PORT_SERVER 67
#define DG_PORT_CLIENT 68
#define DG_MAGIC 0x63825363u
#define DG_BOOTREQUEST 1
#define DG_BOOTREPLY 2
#define DG_FLAG_BROADCAST 0x8000

/* message types (option 53) */
enum {
	DG_DISCOVER = 1,
	DG_OFFER,
	DG_REQUEST,
	DG_DECLINE,
	DG_ACK,
	DG_NAK,
	DG_RELEASE,
	DG_INFORM,
};

#define DG_ETH_LEN 14
#define DG_IP_LEN 20
#define DG_UDP_LEN 8
#define DG_HDRS_LEN (DG_ETH_LEN + DG_IP_LEN + DG_UDP_LEN)
#define DG_BOOTP_FIXED 236 /* BOOTP header before the cookie */
#define DG_BOOTP_MIN 300   /* RFC 1542 2.1: a BOOTP message is padded to 300 */
#define DG_FRAME_MAX (DG_HDRS_LEN + 576)

/* One DHCP message and the frame around it. Addresses in host order;
 * 0 in an option field means "option absent". */
struct dg_msg {
	/* L2-L4 */
	uint8_t eth_dst[6], eth_src[6];
	uint32_t ip_src, ip_dst;
	uint16_t sport, dport;
	/* BOOTP */
	uint8_t op; /* DG_BOOTREQUEST / DG_BOOTREPLY */
	uint8_t type;
	uint32_t xid;
	uint16_t flags;
	uint32_t ciaddr, yiaddr, giaddr;
	uint8_t chaddr[6];
	/* options */
	uint32_t req_addr;  /* 50 */
	uint32_t server_id; /* 54 */
	uint32_t lease;	    /* 51, seconds */
};

/* Write the frame of m into buf (cap bytes, at least DG_FRAME_MAX):
 * IPv4 header checksum set, UDP checksum 0 (none, RFC 768), BOOTP part
 * padded to DG_BOOTP_MIN. Returns the frame length, or 0 if cap is short. */
size_t dg_build(uint8_t *buf, size_t cap, const struct dg_msg *m);

/* Parse a frame (untagged Ethernet, IPv4 without options or with, UDP to
 * port 67 or 68, a BOOTP message with the DHCP cookie and option 53).
 * Returns 0 with m filled; -ENOENT for a frame that is not DHCP (ARP,
 * other UDP, ...); -EINVAL for a DHCP frame that is malformed (truncated,
 * an option past the end, no message type). Never reads outside buf. */
int dg_parse(const uint8_t *buf, size_t len, struct dg_msg *m);

/* ARP request for an IPv4 address? Sets *tip (host order). */
bool dg_is_arp_request(const uint8_t *buf, size_t len, uint32_t *tip);
/* Turn the ARP request in buf (len >= 42) into the reply from mac. */
void dg_arp_reply(uint8_t *buf, const uint8_t mac[6]);

/* Internet checksum of an IPv4 header (for tests). */
uint16_t dg_ip_csum(const uint8_t *ip, size_t len);

#endif
