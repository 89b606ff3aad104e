/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - the loaded, validated configuration model (schema version 1).
 *
 * Plain C structs shared by nfvd and nfvctl. nfv_config_load() parses a
 * YAML file, checks types, ranges, unknown keys, duplicate names, references
 * and loops, asks each VNF class to parse its own section (vnf_schema
 * config_parse), and returns either a complete model or every error found.
 */
#ifndef NFV_MODEL_H
#define NFV_MODEL_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cfg.h"

#define NFV_SCHEMA_VERSION 1
#define NFV_NAME_MAX 32
#define NFV_RING_SHARED_MAX 24 /* <name>_rx fits DPDK's ring names */
#define NFV_MAX_PORTS 64
#define NFV_MAX_VNFS 256
#define NFV_MAX_CHAINS 64
#define NFV_MAX_STAGES 16
#define NFV_MAX_INGRESS 16
#define NFV_MAX_WORKERS 64
#define NFV_PATH_MAX 256
#define NFV_SUN_PATH_MAX 107 /* a unix socket path (sun_path less its NUL) */
#define NFV_MAX_TUNNELS 16    /* vxlan + geneve ports of one nfvd */
#define NFV_VXLAN_PORT 4789   /* IANA, RFC 7348 */
#define NFV_GENEVE_PORT 6081  /* IANA, RFC 8926 */
#define NFV_VNI_MAX 0xffffff  /* 24 bits, both */
/* outer Ethernet + UDP + VXLAN/Geneve base header; plus 20 (IPv4) or 40 (IPv6) */
#define NFV_TUNNEL_OVERHEAD(family) (14 + 8 + 8 + ((family) == AF_INET6 ? 40 : 20))
#define NFV_PORT_DEFAULT_MTU 1500 /* what a port without mtu: is taken to have */

enum nfv_port_driver {
	NFV_PORT_PCI,
	NFV_PORT_TAP,
	NFV_PORT_AF_PACKET,
	NFV_PORT_AF_XDP,
	NFV_PORT_PCAP,
	NFV_PORT_VHOST,
	NFV_PORT_VIRTIO_USER,
	NFV_PORT_MEMIF,
	NFV_PORT_RING,
	NFV_PORT_NULL,
	NFV_PORT_VXLAN,	 /* tunnel port over an underlay port (RFC 7348) */
	NFV_PORT_GENEVE, /* tunnel port over an underlay port (RFC 8926) */
	NFV_PORT_DRIVER_MAX,
};

extern const char *const nfv_port_driver_names[NFV_PORT_DRIVER_MAX + 1];

static inline bool
nfv_port_is_tunnel(int driver)
{
	return driver == NFV_PORT_VXLAN || driver == NFV_PORT_GENEVE;
}

struct nfv_port_conf {
	char name[NFV_NAME_MAX];
	enum nfv_port_driver driver;
	/* driver specific */
	char devargs[NFV_PATH_MAX]; /* pci: DPDK devargs ("0000:01:00.0,...") */
	char iface[NFV_NAME_MAX];   /* tap, af_packet, af_xdp: kernel interface */
	char path[NFV_PATH_MAX];    /* vhost, virtio_user, memif: socket path */
	char rx_file[NFV_PATH_MAX]; /* pcap */
	char tx_file[NFV_PATH_MAX]; /* pcap */
	bool loop;		    /* pcap: replay rx_file forever */
	bool server;		    /* memif role server / virtio_user server */
	uint32_t memif_id;
	bool rx;	   /* null: generate packets (default false) */
	uint32_t pkt_size; /* null generator frame size */
	/* ring: "" = a loop in this process; else rings <shared>_rx (what the
	 * port receives) and <shared>_tx (what it sends) in DPDK shared memory,
	 * for a secondary process at the other end (nfv-gen, docs/bench.md) */
	char ring_shared[NFV_RING_SHARED_MAX + 1];
	/* generic */
	uint16_t rx_queues; /* default 1 */
	uint16_t rx_desc;   /* default 1024 */
	uint16_t tx_desc;   /* default 1024 */
	uint16_t mtu;	    /* 0 = driver default */
	bool has_mac;
	uint8_t mac[6];
	bool promiscuous;	     /* default true */
	char xdp_prog[NFV_PATH_MAX]; /* af_xdp: custom XDP object (firewall pre-filter) */
	/* vxlan, geneve: a tunnel over another port of this nfvd */
	uint16_t underlay;	       /* port index */
	struct cfg_prefix local, remote; /* VTEP addresses (len 32/128), one family */
	uint32_t vni;		       /* 0..NFV_VNI_MAX */
	uint16_t dst_port;	       /* UDP destination port */
	bool has_next_hop_mac;	       /* static neighbour; else ARP/ND on the underlay */
	uint8_t next_hop_mac[6];
	bool udp_zero_csum6; /* IPv6 underlay: send UDP checksum 0 (RFC 6935) and accept it */
	const struct cfg_node *node;
};

/* Optional chain match. Fields with has_* false match anything. */
struct nfv_match {
	bool has_ethertype;
	uint16_t ethertype; /* host order; 0x0800, 0x86dd, 0x0806 ... */
	bool has_proto;
	uint8_t proto;
	bool has_src, has_dst;
	struct cfg_prefix src, dst;
	bool has_sport, has_dport;
	uint16_t sport_lo, sport_hi, dport_lo, dport_hi;
	bool has_vlan;
	uint16_t vlan;
};

enum nfv_runtime {
	NFV_RUNTIME_INPROC,
	NFV_RUNTIME_VM,
};

struct vnf_schema;

struct nfv_vnf_conf {
	char name[NFV_NAME_MAX];
	char class_name[NFV_NAME_MAX]; /* "class": with runtime: vm, the guest's */
	/* What nfvd runs: the schema of "class", or for a runtime other than
	 * inproc the schema registered for it (vnf_schema_for_runtime). */
	const struct vnf_schema *schema;
	enum nfv_runtime runtime;
	void *conf; /* from schema->config_parse; freed by schema->config_free */
	const struct cfg_node *node;
};

struct nfv_chain_conf {
	char name[NFV_NAME_MAX];
	uint16_t n_ingress;
	uint16_t ingress[NFV_MAX_INGRESS]; /* indexes into nfv_config.ports */
	bool has_match;
	struct nfv_match match;
	uint16_t n_stages;
	uint16_t stages[NFV_MAX_STAGES]; /* indexes into nfv_config.vnfs */
	int egress;			 /* port index, or -1: a VNF decides */
	const struct cfg_node *node;
};

struct nfv_daemon_conf {
	uint16_t n_workers; /* 0 = every lcore but the main one */
	uint16_t workers[NFV_MAX_WORKERS];
	int main_lcore;			/* -1 = EAL default (lowest lcore) */
	bool huge;			/* default true */
	uint32_t memory_mb;		/* --no-huge memory; default 512 */
	uint32_t mbufs;			/* default 16383 (per socket) */
	char socket[NFV_PATH_MAX];	/* control socket; default /run/nfvd/nfvd.sock */
	char file_prefix[NFV_NAME_MAX]; /* EAL --file-prefix; default "nfvd" */
	uint32_t stats_interval_ms;	/* live counters print period; 0 = off */
	int32_t idle_sleep_us;		/* worker nap when idle; -1 = auto */
	char metrics[64];		/* Prometheus endpoint ADDR:PORT; "" = none */
};

/* Top-level "frr:": FRR's routing daemons run beside nfvd by "nfvctl up"
 * (orchestrator/frr.c); chains/model_frr.c parses and checks it. FRR's own
 * configuration stays FRR's: a file or text in its language, never read
 * here beyond "can it be read". */
#define NFV_FRR_MAX_DAEMONS 16
#define NFV_FRR_DAEMON_MAX 16 /* name length with its NUL */
struct nfv_frr_conf {
	bool enabled;
	uint16_t n_daemons; /* zebra first, always */
	char daemons[NFV_FRR_MAX_DAEMONS][NFV_FRR_DAEMON_MAX];
	char config[NFV_PATH_MAX];   /* config: file (resolved), or "" */
	const char *config_text;     /* config-text: (in the tree), or NULL */
	char pathspace[NFV_NAME_MAX]; /* FRR -N: /var/run/frr/<pathspace>/ */
	char run_dir[NFV_PATH_MAX];  /* where frr.conf is written; "": <up run dir>/frr */
	char fpm[64];		     /* zebra's FPM peer, nfvd's listener "ADDR:PORT" */
	char bin_dir[NFV_PATH_MAX];  /* the daemons' folder, default /usr/lib/frr */
	const struct cfg_node *node;
};

struct nfv_config {
	char file[NFV_PATH_MAX]; /* as given */
	char dir[NFV_PATH_MAX];	 /* directory of file, to resolve relative paths */
	uint32_t version;
	struct nfv_daemon_conf daemon;
	uint16_t n_ports, n_vnfs, n_chains;
	struct nfv_port_conf ports[NFV_MAX_PORTS];
	struct nfv_vnf_conf vnfs[NFV_MAX_VNFS];
	struct nfv_chain_conf chains[NFV_MAX_CHAINS];
	struct nfv_frr_conf frr;
	struct cfg_node *root; /* kept alive: nodes are referenced above */
};

/* Load and validate. Returns 0 and *out, or -EINVAL with all errors in err
 * (err->file is set to path). */
int nfv_config_load(const char *path, struct nfv_config **out, struct cfg_errors *err);
void nfv_config_free(struct nfv_config *cfg);

/* Index of a port / vnf by name, or -1. */
int nfv_config_port(const struct nfv_config *cfg, const char *name);
int nfv_config_vnf(const struct nfv_config *cfg, const char *name);

/* Helpers for VNF classes' config_parse. */
/* Read key as a port name that must exist; *port = index. */
int nfv_config_get_port(const struct nfv_config *cfg, const struct cfg_node *map, const char *key,
			bool required, uint16_t *port, struct cfg_errors *err);
/* Read key as a file path: not empty, no control characters, resolved
 * against the chain file's folder (absolute) into out; longer than max
 * characters (0: size - 1) is an error, never cut. Same return convention
 * as the cfg_get_* getters. */
int nfv_config_get_path(const struct nfv_config *cfg, const struct cfg_node *map, const char *key,
			bool required, size_t max, char *out, size_t size, struct cfg_errors *err);
/* Resolve a (possibly relative) file path against the config's directory:
 * its length, or -ENAMETOOLONG (out = "") when it does not fit in size;
 * never cut. Config parsers use nfv_config_get_path, which reports
 * file:line:col. */
int nfv_config_path(const struct nfv_config *cfg, const char *in, char *out, size_t size);

/* The "frr:" section (model_frr.c): 0 or -EINVAL with errors in err */
int nfv_frr_parse(struct nfv_config *cfg, const struct cfg_node *n, struct cfg_errors *err);
/* FRR daemon names nfvctl up can run (NULL-terminated) */
extern const char *const nfv_frr_daemon_names[];

/* "IPV4:PORT" or "[IPV6]:PORT" into ss (port 1-65535); 0, or -EINVAL with
 * the reason in err */
int nfv_parse_inet_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *err,
			size_t errlen);

#endif /* NFV_MODEL_H */
