/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - private to the control path: host interfaces, the
 * kernel twins of router interfaces (router_hostif.c). A twin is a tap
 * nfvd creates and owns (not persistent: the kernel removes it when nfvd's
 * fd closes, even on SIGKILL) with the interface's MAC, MTU and addresses.
 * What the data plane does not answer itself for the router's addresses
 * is written into it; what the kernel sends on it leaves by the
 * interface's port (tagged as the interface is). Control thread only.
 */
#ifndef RTR_HOSTIF_H
#define RTR_HOSTIF_H

#include "router_rt.h"

/* Frames read from the twins per control-loop pass (all twins of a router) */
#define RTR_HOSTIF_BUDGET 64
/* Largest frame read from a twin (the largest MTU, 9578, + Ethernet) */
#define RTR_HOSTIF_FRAME_MAX 9600
/* Link (carrier) poll period */
#define RTR_HOSTIF_LINK_MS 100

struct rtr_hostif {
	char name[RTR_HOSTIF_NAMESZ];
	int fd;
	int ifindex;
	bool owned; /* a tap nfvd created and configures (false: a unit test's fd) */
	int carrier; /* -1 not set yet */
	struct rte_ether_addr mac;
	uint16_t mtu;
	uint16_t n_addr;
	struct cfg_prefix addr[2 * RTR_MAX_ADDRS + 1]; /* what nfvd put on it */
	uint64_t to_kernel, from_kernel;
};

/* Where a packet for one of the router's addresses goes when its
 * interface has a twin */
enum rtr_local_to {
	RTR_TO_NFVD,   /* answered by nfvd only (ICMP echo requests) */
	RTR_TO_KERNEL, /* the twin's (TCP, UDP, OSPF, other ICMP, fragments...) */
	RTR_TO_BOTH,   /* nfvd handles it, the kernel gets a copy (ND) */
};
enum rtr_local_to rtr_hostif_classify(int family, const uint8_t *l3, uint32_t len);

/* Mark t's interfaces that have a twin in c (before t is published) */
void rtr_hostif_mark(struct rtr_tables *t, const struct rtr_conf *c);
/* The twins c asks for, by interface index, into next[]: st's twin of the
 * same name is kept, the others are created. st is not changed. Returns 0
 * or -errno with err filled (a name a kernel interface not nfvd's has). */
int rtr_hostif_prepare(struct rtr_state *st, const struct rtr_conf *c,
		       struct rtr_hostif *next[RTR_MAX_IF], char *err, size_t errlen);
/* Close what prepare created (next[] not taken) */
void rtr_hostif_abort(struct rtr_state *st, struct rtr_hostif *next[RTR_MAX_IF]);
/* next[] becomes st's twins once t is published: twins not kept are
 * closed (removed), the others get t's MAC, MTU and addresses */
void rtr_hostif_commit(struct rtr_state *st, const struct rtr_tables *t,
		       struct rtr_hostif *next[RTR_MAX_IF]);
void rtr_hostif_close_all(struct rtr_state *st);
/* The twin for a packet for one of our addresses that came in on ifi: that
 * interface's, else the one of the interface that has the address; NULL */
struct rtr_hostif *rtr_hostif_for(struct rtr_state *st, const struct rtr_tables *t,
				  struct rte_mbuf *m, uint16_t ifi);
/* Write m's frame (untagged) into twin h; m stays the caller's */
void rtr_hostif_copy(struct rtr_state *st, struct rtr_hostif *h, struct rte_mbuf *m);
/* The same, m consumed */
void rtr_hostif_deliver(struct rtr_state *st, struct rtr_hostif *h, struct rte_mbuf *m);
/* Frames the kernel sent on the twins, out by their ports (at most
 * RTR_HOSTIF_BUDGET); returns how many were read */
unsigned int rtr_hostif_poll(struct rtr_state *st);
/* The twins' descriptors for the control loop's idle wait; fills at most
 * max entries, returns how many. */
struct pollfd;
unsigned int rtr_hostif_wait_fds(const struct rtr_state *st, struct pollfd *pfd, unsigned int max);
/* Carrier follows the port's link */
void rtr_hostif_tick(struct rtr_state *st, const struct rtr_tables *t, uint64_t now_ms);
/* Unit tests: fd (a datagram socket pair's end) as interface ifi's twin */
int rtr_hostif_attach_fd(struct rtr_state *st, struct rtr_tables *t, uint16_t ifi,
			 const char *name, int fd);

#endif /* RTR_HOSTIF_H */
