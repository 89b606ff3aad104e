/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - VXLAN (RFC 7348) and Geneve (RFC 8926) tunnel ports over an
 * underlay port of the same nfvd (docs/tunnels.md).
 *
 * A tunnel port is a net_null device that is never polled nor sent to: it
 * gives the tunnel a DPDK port id, a MAC and an MTU, so chains, VNFs and
 * nfv_tx address it like any port. What is queued for it is encapsulated
 * when its tx buffer is flushed (outer headers prepended in the headroom)
 * and queued on the underlay; what arrives on the underlay for a local VTEP
 * address is checked, decapsulated and classified as arriving on the tunnel
 * port. The tables are built at start and never change while workers run
 * (ports cannot change by apply); the next hop's MAC is one atomic word.
 */
#ifndef NFV_TUNNEL_H
#define NFV_TUNNEL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "model.h"

/* Counters of a tunnel and of an underlay (per lcore, summed in stats) */
#define NFV_TUNNEL_CTRS(_)                    \
	_(NFV_TUN_RX, "rx")                   \
	_(NFV_TUN_RX_BYTES, "rx-bytes")       \
	_(NFV_TUN_TX, "tx")                   \
	_(NFV_TUN_TX_BYTES, "tx-bytes")       \
	_(NFV_TUN_ARP_REPLIES, "arp-replies") \
	_(NFV_TUN_ND_ADVERTS, "nd-adverts")   \
	_(NFV_TUN_SOLICITS, "solicits")       \
	_(NFV_TUN_LEARNED, "neighbour-learned")

/* Drop reasons: decapsulation (on the underlay or the tunnel it names),
 * encapsulation (on the tunnel) */
#define NFV_TUNNEL_DROPS(_)                            \
	_(NFV_TUN_DROP_TRUNCATED, "truncated")         \
	_(NFV_TUN_DROP_BAD_IP, "bad-outer-ip")         \
	_(NFV_TUN_DROP_FRAGMENT, "outer-fragment")     \
	_(NFV_TUN_DROP_NOT_UDP, "not-udp")             \
	_(NFV_TUN_DROP_BAD_PORT, "bad-udp-port")       \
	_(NFV_TUN_DROP_ZERO_CSUM, "zero-udp-checksum") \
	_(NFV_TUN_DROP_BAD_CSUM, "bad-udp-checksum")   \
	_(NFV_TUN_DROP_BAD_HEADER, "bad-header")       \
	_(NFV_TUN_DROP_CRITICAL, "critical-option")    \
	_(NFV_TUN_DROP_OAM, "oam")                     \
	_(NFV_TUN_DROP_UNKNOWN_VNI, "unknown-vni")     \
	_(NFV_TUN_DROP_BAD_REMOTE, "bad-remote")       \
	_(NFV_TUN_DROP_TOO_BIG, "too-big")             \
	_(NFV_TUN_DROP_NO_NEIGH, "no-neighbour")       \
	_(NFV_TUN_DROP_NO_HEADROOM, "no-headroom")

#define NFV_TUN_ENUM(e, s) e,
enum { NFV_TUNNEL_CTRS(NFV_TUN_ENUM) NFV_TUN_CTR_MAX };
enum { NFV_TUNNEL_DROPS(NFV_TUN_ENUM) NFV_TUN_DROP_MAX };
#define NFV_TUN_ROW (NFV_TUN_CTR_MAX + NFV_TUN_DROP_MAX)

extern const char *const nfv_tunnel_ctr_names[NFV_TUN_CTR_MAX];
extern const char *const nfv_tunnel_drop_names[NFV_TUN_DROP_MAX];

/* outer Ethernet + IPv6 + UDP + Geneve base header is the longest */
#define NFV_TUN_HDR_MAX 72
#define NFV_TUN_NH_VALID (1ull << 48) /* nh_mac: the low 48 bits are a MAC */

struct nfv_tunnel {
	uint16_t pid;	   /* the tunnel port's DPDK port id */
	uint16_t ul_pid;   /* the underlay's */
	uint8_t driver;	   /* NFV_PORT_VXLAN / NFV_PORT_GENEVE */
	uint8_t family;	   /* AF_INET / AF_INET6 */
	bool csum6;	   /* IPv6: compute the UDP checksum (else send 0, accept 0) */
	bool static_nh;	   /* next-hop-mac configured: never learned */
	uint16_t dst_port; /* host order */
	uint16_t hdr_len;  /* outer headers: 50 (IPv4) or 70 (IPv6) */
	uint32_t vni;
	uint32_t max_frame;	       /* longest inner frame: mtu + 14 (+ 4 with a VLAN tag) */
	uint16_t slot;		       /* counter row */
	uint16_t ul_slot;	       /* the underlay's counter row */
	uint8_t local[16], remote[16]; /* network order; IPv4 in the first 4 */
	uint8_t ul_mac[6];
	/* outer headers with every per-packet field zero (lengths, checksums,
	 * source port, flow label) and the destination MAC filled when known */
	uint8_t hdr[NFV_TUN_HDR_MAX];
	_Atomic uint64_t nh_mac;      /* NFV_TUN_NH_VALID | MAC, or 0 */
	_Atomic uint64_t solicit_tsc; /* next ARP/NS for the remote not before */
	char name[NFV_NAME_MAX];
};

/* The tunnels over one underlay port */
struct nfv_tunnel_ul {
	uint16_t n;
	uint16_t slot;
	uint16_t pid;
	struct nfv_tunnel *t[NFV_MAX_TUNNELS];
};

/* Counter rows: [lcore][slot][NFV_TUN_ROW]; slots 0..NFV_MAX_TUNNELS-1 for
 * tunnels, then one per underlay */
#define NFV_TUN_SLOTS (2 * NFV_MAX_TUNNELS)
extern uint64_t nfv_tun_ctr[RTE_MAX_LCORE][NFV_TUN_SLOTS][NFV_TUN_ROW];

static inline void
nfv_tun_count(unsigned int lcore, uint16_t slot, unsigned int idx, uint64_t inc)
{
	nfv_tun_ctr[lcore & (RTE_MAX_LCORE - 1)][slot][idx] += inc;
}

static inline void
nfv_tun_drop(unsigned int lcore, uint16_t slot, unsigned int reason)
{
	nfv_tun_ctr[lcore & (RTE_MAX_LCORE - 1)][slot][NFV_TUN_CTR_MAX + reason]++;
}

/* Fill t from a port's configuration (pure: no DPDK device needed). */
void nfv_tunnel_init(struct nfv_tunnel *t, const struct nfv_port_conf *pc, uint16_t pid,
		     uint16_t ul_pid, const uint8_t ul_mac[6], uint16_t slot, uint16_t ul_slot);
/* Set the next hop's MAC (learned or static). */
void nfv_tunnel_set_nh(struct nfv_tunnel *t, const uint8_t mac[6]);

#define NFV_TUN_OK (-1)
/* Encapsulate m for t in place: NFV_TUN_OK, or the drop reason (m is
 * untouched then; the caller frees it). Needs the next hop's MAC. */
int nfv_tunnel_encap(const struct nfv_tunnel *t, struct rte_mbuf *m);

/* What decap made of a frame arriving on an underlay */
enum {
	NFV_TUN_PASS = -1,  /* not for a local VTEP: the underlay's own chains */
	NFV_TUN_DECAP = -2, /* decapsulated for *tunnel */
	NFV_TUN_LOCAL = -3, /* ARP or ND for a local VTEP address (nfv_tunnel_local) */
};
/* Check and decapsulate m: NFV_TUN_PASS, NFV_TUN_DECAP (*tunnel set, m
 * now the inner frame), NFV_TUN_LOCAL, or a drop reason (*tunnel set when
 * the drop belongs to one tunnel, else NULL). */
int nfv_tunnel_decap(const struct nfv_tunnel_ul *u, struct rte_mbuf *m, struct nfv_tunnel **tunnel);
/* ARP / ND for a local VTEP (after NFV_TUN_LOCAL): learns the remote's MAC
 * from what it says, and turns a request for a local address into the
 * reply in place. Returns true when m is now a reply to send back on the
 * underlay, false when the caller frees it. lcore: for the counters. */
bool nfv_tunnel_local(const struct nfv_tunnel_ul *u, struct rte_mbuf *m, unsigned int lcore);
/* Build an ARP request / ND solicitation for t's remote into m (an empty
 * mbuf). */
int nfv_tunnel_solicit(const struct nfv_tunnel *t, struct rte_mbuf *m);

/* ---- engine glue (tunnel.c; needs the engine) ---- */
struct nfv_engine;
struct nfv_worker;
struct nfv_pipeline;
/* After the ports are up: the tunnel and underlay tables. */
int nfv_tunnels_setup(struct nfv_engine *e, char *err, size_t errlen);
void nfv_tunnels_close(void);
/* worker rx on an underlay (u = its table): tunnel frames are checked,
 * decapsulated and run as arriving on their tunnel port; ARP/ND for a
 * local VTEP answered; drops freed. pkts is left with what passes, in
 * order; returns their number. */
uint16_t nfv_tunnel_rx(const struct nfv_pipeline *p, struct nfv_worker *w,
		       const struct nfv_tunnel_ul *u, struct rte_mbuf **pkts, uint16_t n);
/* worker flush of a tunnel port's tx buffer: encapsulate, queue on the
 * underlay and flush it. */
uint16_t nfv_tunnel_flush(struct nfv_worker *w, struct nfv_tunnel *t);
/* the control thread's nfv_ctl_tx to a tunnel port */
uint16_t nfv_tunnel_ctl_tx(struct nfv_tunnel *t, struct rte_mbuf **pkts, uint16_t n);
/* counters of a tunnel / underlay port into o (stats), or what it is */
struct json_t;
void nfv_tunnel_port_json(uint16_t pid, bool stats, struct json_t *o);
/* tunnel rx/tx for the port table's rx/tx columns */
void nfv_tunnel_port_totals(uint16_t slot, uint64_t row[NFV_TUN_ROW]);

#endif /* NFV_TUNNEL_H */
