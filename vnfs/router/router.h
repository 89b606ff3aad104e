/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - configuration model (no DPDK), shared by the parser,
 * nfvctl's offline validation and the route-add command.
 */
#ifndef RTR_H
#define RTR_H

#include <stdbool.h>
#include <stdint.h>

#include "cfg.h"
#include "model.h"
#include "vnf.h"

#define RTR_MAX_IF 32	/* interfaces per instance */
#define RTR_MAX_ADDRS 8 /* addresses per interface and family */
#define RTR_MAX_PATHS 8 /* ECMP next hops per prefix */
#define RTR_HOSTIF_NAMESZ 16 /* IFNAMSIZ: a kernel interface name and its NUL */

enum rtr_route_type {
	RTR_RT_UNICAST,
	RTR_RT_BLACKHOLE,
	RTR_RT_REJECT,
};
extern const char *const rtr_route_type_names[];

/* IPv6 router advertisements on an interface (RFC 4861 section 6, RDNSS
 * RFC 8106), `ra:` (router_conf.c, sent by router_ra.c) */
#define RTR_RA_MAX_PREFIXES 8
#define RTR_RA_MAX_RDNSS 4
#define RTR_RA_INFINITE 0xffffffffu

struct rtr_ra_prefix {
	struct cfg_prefix prefix;
	uint32_t valid;	    /* s, RTR_RA_INFINITE: infinity */
	uint32_t preferred; /* s */
	bool on_link;	    /* L */
	bool autonomous;    /* A */
};

struct rtr_ra_conf {
	bool enabled;
	bool managed;		/* M */
	bool other;		/* O */
	bool solicited_unicast; /* answer an RS to its sender instead of all-nodes */
	uint8_t hop_limit;	/* Cur Hop Limit, 0: unspecified */
	uint16_t router_lifetime; /* s, 0: not a default router */
	uint32_t min_interval_ms, max_interval_ms;
	uint32_t reachable_ms, retrans_ms; /* 0: unspecified */
	uint32_t mtu;			   /* MTU option, 0: none */
	uint16_t n_prefix;
	struct rtr_ra_prefix prefix[RTR_RA_MAX_PREFIXES];
	uint16_t n_rdnss;
	uint8_t rdnss[RTR_RA_MAX_RDNSS][16];
	uint32_t rdnss_lifetime; /* s */
};

/* where a route came from (nfvctl route show: "source") */
enum rtr_origin {
	RTR_ORIGIN_CONFIG, /* the chain file (routes:, routes-file:) */
	RTR_ORIGIN_CLI,	   /* nfvctl route add */
	RTR_ORIGIN_FRR,	   /* zebra's FPM feed (router_fpm.c) */
};

struct rtr_if_conf {
	char name[NFV_NAME_MAX];
	uint16_t port; /* index into nfv_config.ports */
	uint16_t vlan; /* 0 = untagged */
	uint16_t mtu;  /* L3 MTU */
	bool has_mac;
	uint8_t mac[6];
	uint16_t n_addr;
	struct cfg_prefix addr[2 * RTR_MAX_ADDRS]; /* address with its prefix length */
	bool has_ll;	/* link-local: given; else EUI-64 of the MAC */
	uint8_t ll6[16];
	struct rtr_ra_conf ra;
	/* name of the kernel twin (a tap nfvd owns, router_hostif.c); "" none */
	char host_if[RTR_HOSTIF_NAMESZ];
};

struct rtr_route_conf {
	struct cfg_prefix prefix;
	uint8_t type; /* enum rtr_route_type */
	int iface;    /* -1: from the next hop's connected subnet */
	uint32_t metric;
	uint16_t n_via;
	struct cfg_prefix via[RTR_MAX_PATHS]; /* addresses (len = 32 / 128) */
	uint8_t origin; /* enum rtr_origin (config or cli here) */
};

struct rtr_neigh_conf {
	struct cfg_prefix addr;
	int iface;
	uint8_t mac[6];
};

struct rtr_conf {
	uint16_t n_if;
	struct rtr_if_conf ifs[RTR_MAX_IF];
	uint32_t n_routes;
	struct rtr_route_conf *routes;
	uint32_t n_neigh;
	struct rtr_neigh_conf *neigh;
	/* tunables */
	uint32_t max_routes;	 /* FIB capacity per family */
	uint32_t max_neighbours; /* neighbour table size */
	uint32_t reachable_ms;	 /* ARP/ND reachable time before re-resolution */
	uint32_t retrans_ms;	 /* interval between requests / probes */
	uint32_t probes;	 /* requests before giving up */
	uint32_t queue_len;	 /* packets kept per unresolved neighbour */
	uint32_t punt_rate;	 /* packets/s each worker may punt (ARP/ND, errors,
				  * routing protocols) */
	uint32_t host_punt_rate; /* packets/s each worker may punt to the router's
				  * own addresses (echo, TCP, UDP: host interfaces) */
	uint32_t icmp_rate;	 /* ICMP errors/s (token bucket) */
	uint32_t icmp_burst;
	bool redirects;		 /* send-redirects: ICMP redirects (RFC 1812 5.2.7.2) */
	uint32_t gc_ms;		 /* failed, unused neighbours are removed after (0 = never) */
	uint32_t reasm_ms;	 /* fragments of a datagram for the router wait this long */
	/* fpm: zebra's dplane_fpm_nl feed (router_fpm.c); listen[0] == 0: off */
	char fpm_listen[64];	  /* "127.0.0.1:2620", "[::1]:2620" */
	uint32_t fpm_resync_ms; /* a new session's resync is complete after */
};

/* class "router" config parser (router_conf.c) */
/* The schema half (router_conf.c), registered as class "router". */
extern struct vnf_schema rtr_schema;
int rtr_config_parse(const struct nfv_config *cfg, const struct cfg_node *node, void **conf,
		     struct cfg_errors *err);
void rtr_config_free(void *conf);
int rtr_config_equal(const void *a, const void *b);

/* True when addr (an address, any length) is inside p. */
bool rtr_prefix_contains(const struct cfg_prefix *p, const struct cfg_prefix *addr);
/* Interface whose connected subnet holds addr, or -1. */
int rtr_conf_iface_for(const struct rtr_conf *c, const struct cfg_prefix *addr);
/* Check one route against the interfaces (next hop on a connected subnet,
 * interface given for link-local next hops...). Returns NULL or why. */
const char *rtr_route_check(const struct rtr_conf *c, struct rtr_route_conf *r);
int rtr_conf_iface_by_name(const struct rtr_conf *c, const char *name);
/* NULL when name may name a kernel interface (1..15 of A-Z a-z 0-9 _ - .,
 * not "." or ".."), else why not. */
const char *rtr_hostif_name_check(const char *name);
/* Host bits cleared copy. */
void rtr_prefix_mask(struct cfg_prefix *p);
/* "10.0.0.0/8" into buf */
const char *rtr_prefix_str(const struct cfg_prefix *p, bool with_len, char *buf, size_t size);

#endif /* RTR_H */
