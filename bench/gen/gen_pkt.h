/* SPDX-License-Identifier: BSD-3-Clause
 * nfv-gen - test packet layout: Ethernet / IPv4 or IPv6 / UDP / stamp.
 *
 * Frame sizes are Ethernet frame sizes including the 4-byte FCS, as in
 * RFC 2544 (64 .. 1518); the buffer holds size - 4 bytes. The stamp right
 * after the UDP header carries the stream, a sequence number and the TSC at
 * transmission. Plain C on byte buffers: no DPDK needed, unit tested.
 */
#ifndef GEN_PKT_H
#define GEN_PKT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define GEN_FCS_LEN 4
#define GEN_STAMP_MAGIC 0x4e46u
#define GEN_HDR4_LEN (14 + 20 + 8)
#define GEN_HDR6_LEN (14 + 40 + 8)
#define GEN_HDR_MAX (GEN_HDR6_LEN + 4) /* + one VLAN tag on receive */
#define GEN_FRAME_MAX 1518

struct gen_stamp {
	uint16_t magic;
	uint16_t stream;
	uint32_t seq;
	uint64_t tsc;
} __attribute__((packed));
_Static_assert(sizeof(struct gen_stamp) == 16, "gen_stamp layout");

/* Addresses of a stream (IPv4 addresses in host byte order). */
struct gen_l3 {
	bool v6;
	uint8_t smac[6];
	uint8_t dmac[6];
	uint32_t sip4, dip4;
	uint8_t sip6[16], dip6[16];
	uint16_t sport, dport;
	/* false: flow f is (src + f, sport + f % 256) -> (dst, dport);
	 * true: the replies of those flows: (src, sport) -> (dst + f,
	 * dport + f % 256), so a stateful DUT sees b -> a as established */
	bool mirror;
};

/* Smallest frame (with FCS) that carries headers and stamp. */
static inline unsigned int
gen_pkt_min_frame(bool v6)
{
	return (v6 ? GEN_HDR6_LEN : GEN_HDR4_LEN) + sizeof(struct gen_stamp) + GEN_FCS_LEN;
}

/* Write the headers of flow number `flow` for a frame of frame_size bytes
 * (with FCS) into buf (at least frame_size - 4 bytes). Flow n adds n to the
 * source address and n % 256 to the UDP source port. Returns the offset of
 * the stamp. The UDP checksum is 0 for IPv4 and left for gen_pkt_udp6_csum
 * for IPv6 (it covers the stamp). */
unsigned int gen_pkt_write_hdr(uint8_t *buf, unsigned int frame_size, const struct gen_l3 *l3,
			       uint32_t flow);

/* Compute and store the UDP checksum of an IPv6 packet built above. */
void gen_pkt_udp6_csum(uint8_t *buf, unsigned int len);

/* Find the stamp in a received frame (len = bytes in buf, no FCS).
 * Returns 0 and fills *st, or -EINVAL when it is not one of ours. */
int gen_pkt_parse(const uint8_t *buf, unsigned int len, struct gen_stamp *st);

/* gen_pkt_parse with the common case inline: untagged IPv4 without
 * options, UDP (the stamp at GEN_HDR4_LEN); everything else goes to
 * gen_pkt_parse. Same answers. */
static inline int
gen_pkt_parse_fast(const uint8_t *buf, unsigned int len, struct gen_stamp *st)
{
	if (len >= GEN_HDR4_LEN + sizeof(*st) && buf[12] == 0x08 && buf[13] == 0x00 &&
	    buf[14] == 0x45 && buf[23] == 17) {
		memcpy(st, buf + GEN_HDR4_LEN, sizeof(*st));
		return st->magic == GEN_STAMP_MAGIC ? 0 : -EINVAL;
	}
	return gen_pkt_parse(buf, len, st);
}

/* Write a stamp at p (16 bytes, any alignment). */
static inline void
gen_pkt_put_stamp(uint8_t *p, uint16_t stream, uint32_t seq, uint64_t tsc)
{
	struct gen_stamp st = {.magic = GEN_STAMP_MAGIC, .stream = stream, .seq = seq, .tsc = tsc};

	memcpy(p, &st, sizeof(st));
}

/* IPv4 header checksum (RFC 1071) over len bytes. */
uint16_t gen_pkt_csum(const void *data, unsigned int len);

/* ARP request in buf? If so, turn it into the reply from mac in place and
 * return 0; -EINVAL otherwise. */
int gen_pkt_arp_reply(uint8_t *buf, unsigned int len, const uint8_t mac[6]);

#endif
