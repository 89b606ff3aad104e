/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd router VNF - host interfaces: a kernel twin (tap) per router
 * interface that asks for one (host-if), so sockets bound on the router's
 * addresses (sshd, bgpd, ospfd, iperf3 -s...) talk to the hosts on its
 * ports. See router_hostif.h and docs/router.md "Host interfaces".
 *
 * The twin is a plain tap fd (/dev/net/tun, IFF_TAP | IFF_NO_PI, not
 * persistent) held by the control thread: the fast path never sees it.
 * It is configured with ioctls (MAC, MTU, up, carrier), /proc/sys (no DAD,
 * no RA, addresses kept while the carrier is off) and rtnetlink (addresses).
 *
 * To the kernel: what the control path classifies for it (TCP, UDP, OSPF,
 * ICMP but echo requests, link-scope multicast) and copies of ARP and ND
 * (nfvd answers them itself; the copy keeps the kernel's neighbour table
 * true). From the kernel: everything it sends on the twin, out by the
 * port, but ARP replies and neighbour adverts for nfvd's own addresses
 * (nfvd already answered: no duplicates) and frames not from the twin's MAC.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <rte_arp.h>
#include <rte_log.h>

#include "router_frame.h"
#include "router_hostif.h"

#define HIF_LOG(lvl, fmt, ...) \
	rte_log(RTE_LOG_##lvl, RTE_LOGTYPE_USER1, "router: " fmt "\n", ##__VA_ARGS__)

/* ---- classification ---- */

enum rtr_local_to
rtr_hostif_classify(int family, const uint8_t *l3, uint32_t len)
{
	if (family == 4) {
		uint32_t ihl;

		if (len < 20)
			return RTR_TO_NFVD;
		ihl = (l3[0] & 0xf) * 4u;
		/* fragments: the kernel reassembles (nfvd answers no
		 * fragmented echo) */
		if (((l3[6] & 0x3f) | l3[7]) != 0)
			return RTR_TO_KERNEL;
		if (l3[9] == IPPROTO_ICMP && len > ihl && l3[ihl] == RTE_IP_ICMP_ECHO_REQUEST)
			return RTR_TO_NFVD;
		return RTR_TO_KERNEL;
	}
	if (len < 41)
		return RTR_TO_NFVD;
	if (l3[6] == IPPROTO_ICMPV6) {
		if (l3[40] == 128) /* echo request */
			return RTR_TO_NFVD;
		if (l3[40] >= 133 && l3[40] <= 137) /* RS, RA, NS, NA, redirect */
			return RTR_TO_BOTH;
	}
	return RTR_TO_KERNEL;
}

void
rtr_hostif_mark(struct rtr_tables *t, const struct rtr_conf *c)
{
	for (uint16_t i = 0; i < t->n_if && i < c->n_if; i++)
		t->ifs[i].hostif = c->ifs[i].host_if[0] != '\0';
}

/* ---- kernel configuration ---- */

static int
hif_ioctl(unsigned long req, struct ifreq *ifr)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, req, ifr) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* /proc/sys/net/<fam>/conf/<name>/<key> = val; the twin works without
 * (IPv6 off, a read-only /proc/sys): logged only */
static void
hif_sysctl(const char *name, const char *fam, const char *key, const char *val)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", fam, name, key);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, val, strlen(val)) < 0)
		HIF_LOG(DEBUG, "host-if %s: %s: %s", name, path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

static void
hif_nl_attr(uint8_t *msg, size_t room, uint16_t type, const void *data, size_t len)
{
	struct nlmsghdr *nh = (struct nlmsghdr *)msg;
	size_t at = NLMSG_ALIGN(nh->nlmsg_len);
	struct rtattr rta = {.rta_type = type, .rta_len = (unsigned short)RTA_LENGTH(len)};

	if (at + RTA_SPACE(len) > room)
		return;
	memcpy(msg + at, &rta, sizeof(rta));
	memcpy(msg + at + RTA_LENGTH(0), data, len);
	nh->nlmsg_len = (uint32_t)(at + RTA_SPACE(len));
}

/* Add (replace) or delete address p on ifindex; 0 or -errno */
static int
hif_nl_addr(int ifindex, const struct cfg_prefix *p, bool add)
{
	uint8_t msg[256] __attribute__((aligned(8))) = {0};
	struct nlmsghdr *nh = (struct nlmsghdr *)msg;
	struct ifaddrmsg *ifa = NLMSG_DATA(nh);
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	struct timeval tv = {.tv_sec = 2};
	char buf[1024];
	uint32_t flags = IFA_F_NODAD;
	size_t alen = p->family == AF_INET ? 4 : 16;
	const void *a = p->family == AF_INET ? (const void *)&p->v4 : (const void *)&p->v6;
	ssize_t n;
	int fd, rc = -EIO;

	nh->nlmsg_len = NLMSG_LENGTH(sizeof(*ifa));
	nh->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	nh->nlmsg_seq = 1;
	ifa->ifa_family = (uint8_t)p->family;
	ifa->ifa_prefixlen = p->len;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	hif_nl_attr(msg, sizeof(msg), IFA_LOCAL, a, alen);
	hif_nl_attr(msg, sizeof(msg), IFA_ADDRESS, a, alen);
	if (p->family == AF_INET6) {
		ifa->ifa_flags = IFA_F_NODAD;
		hif_nl_attr(msg, sizeof(msg), IFA_FLAGS, &flags, sizeof(flags));
	} else if (p->len < 31) {
		uint32_t brd = p->v4.s_addr | htonl(~0u >> p->len);

		hif_nl_attr(msg, sizeof(msg), IFA_BROADCAST, &brd, 4);
	}
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sendto(fd, msg, nh->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = -errno;
		goto close_fd;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0) {
		rc = -errno;
		goto close_fd;
	}
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n))
		if (h->nlmsg_type == NLMSG_ERROR &&
		    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
			rc = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
			break;
		}
close_fd:
	close(fd);
	return rc;
}

static int
hif_set_mac(struct rtr_hostif *h, const struct rte_ether_addr *mac)
{
	struct ifreq ifr;
	int rc;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", h->name);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
	rc = hif_ioctl(SIOCSIFHWADDR, &ifr);
	if (rc == 0)
		h->mac = *mac;
	return rc;
}

static int
hif_set_mtu(struct rtr_hostif *h, uint16_t mtu)
{
	struct ifreq ifr;
	int rc;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", h->name);
	ifr.ifr_mtu = mtu;
	rc = hif_ioctl(SIOCSIFMTU, &ifr);
	if (rc == 0)
		h->mtu = mtu;
	return rc;
}

static int
hif_set_up(struct rtr_hostif *h)
{
	struct ifreq ifr;
	int rc;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", h->name);
	rc = hif_ioctl(SIOCGIFFLAGS, &ifr);
	if (rc != 0 || (ifr.ifr_flags & IFF_UP))
		return rc;
	ifr.ifr_flags |= IFF_UP;
	return hif_ioctl(SIOCSIFFLAGS, &ifr);
}

static void
hif_set_carrier(struct rtr_hostif *h, int on)
{
	if (h->carrier == on)
		return;
	if (h->owned && ioctl(h->fd, TUNSETCARRIER, &on) < 0) {
		HIF_LOG(WARNING, "host-if %s: carrier %s: %s", h->name, on ? "on" : "off",
			strerror(errno));
		return;
	}
	h->carrier = on;
}

static void
hif_free(struct rtr_hostif *h)
{
	if (h == NULL)
		return;
	if (h->fd >= 0)
		close(h->fd); /* the kernel removes the tap (not persistent) */
	free(h);
}

/* A new tap named name, not up yet; -EEXIST when a kernel interface has
 * that name */
static int
hif_create(const char *name, struct rtr_hostif **out, char *err, size_t errlen)
{
	struct rtr_hostif *h;
	struct ifreq ifr;
	int rc;

	if (if_nametoindex(name) != 0) {
		snprintf(err, errlen,
			 "host-if %s: a kernel interface of that name exists (not nfvd's): "
			 "remove it or name the host interface otherwise",
			 name);
		return -EEXIST;
	}
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	h->carrier = -1;
	h->owned = true;
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (h->fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "host-if %s: /dev/net/tun: %s", name, strerror(errno));
		goto free_h;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	/* IFF_TUN_EXCL: never attach to a tap someone else made meanwhile */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL;
	if (ioctl(h->fd, TUNSETIFF, &ifr) < 0) {
		rc = -errno;
		snprintf(err, errlen, "host-if %s: cannot create the tap: %s%s", name,
			 strerror(errno),
			 errno == EBUSY || errno == EEXIST ? " (a kernel interface has that name)"
							   : "");
		goto free_h;
	}
	h->ifindex = (int)if_nametoindex(name);
	/* nfvd answers ARP/ND and does DAD for the addresses; the kernel
	 * takes no RA (it is the router), keeps its addresses while the port
	 * is down, answers ARP only for its own interface's addresses */
	hif_sysctl(name, "ipv6", "accept_dad", "0");
	hif_sysctl(name, "ipv6", "dad_transmits", "0");
	hif_sysctl(name, "ipv6", "accept_ra", "0");
	hif_sysctl(name, "ipv6", "autoconf", "0");
	hif_sysctl(name, "ipv6", "keep_addr_on_down", "1");
	/* no link-local of its own: nfvd puts the interface's on it */
	hif_sysctl(name, "ipv6", "addr_gen_mode", "1");
	hif_sysctl(name, "ipv4", "arp_ignore", "1");
	hif_sysctl(name, "ipv4", "arp_announce", "2");
	*out = h;
	return 0;
free_h:
	hif_free(h);
	return rc;
}

/* ---- the twin set ---- */

int
rtr_hostif_prepare(struct rtr_state *st, const struct rtr_conf *c,
		   struct rtr_hostif *next[RTR_MAX_IF], char *err, size_t errlen)
{
	int rc;

	memset(next, 0, RTR_MAX_IF * sizeof(next[0]));
	for (uint16_t i = 0; i < c->n_if; i++) {
		const char *name = c->ifs[i].host_if;

		if (name[0] == '\0')
			continue;
		for (uint16_t k = 0; k < RTR_MAX_IF; k++)
			if (st->hif[k] != NULL && strcmp(st->hif[k]->name, name) == 0)
				next[i] = st->hif[k];
		if (next[i] != NULL)
			continue;
		rc = hif_create(name, &next[i], err, errlen);
		if (rc != 0) {
			rtr_hostif_abort(st, next);
			return rc;
		}
	}
	return 0;
}

static bool
hif_kept(struct rtr_hostif *const *set, const struct rtr_hostif *h)
{
	for (uint16_t k = 0; k < RTR_MAX_IF; k++)
		if (set[k] == h)
			return true;
	return false;
}

void
rtr_hostif_abort(struct rtr_state *st, struct rtr_hostif *next[RTR_MAX_IF])
{
	for (uint16_t i = 0; i < RTR_MAX_IF; i++) {
		if (next[i] != NULL && !hif_kept(st->hif, next[i]))
			hif_free(next[i]);
		next[i] = NULL;
	}
}

static bool
hif_has_addr(const struct cfg_prefix *set, uint16_t n, const struct cfg_prefix *p)
{
	for (uint16_t k = 0; k < n; k++)
		if (set[k].family == p->family && set[k].len == p->len &&
		    memcmp(&set[k].v6, &p->v6, p->family == AF_INET ? 4 : 16) == 0)
			return true;
	return false;
}

/* Bring twin h in line with interface f (conf fc): MAC, MTU, up, the
 * addresses with the interface's link-local (those nfvd put on it and no
 * longer configured go) */
static void
hif_sync(struct rtr_hostif *h, const struct rtr_if *f, const struct rtr_if_conf *fc)
{
	struct cfg_prefix want[2 * RTR_MAX_ADDRS + 1];
	uint16_t n_want = 0;
	char b[64];
	int rc;

	if (!h->owned)
		return;
	if (!rte_is_same_ether_addr(&h->mac, &f->mac) && (rc = hif_set_mac(h, &f->mac)) != 0)
		HIF_LOG(WARNING, "host-if %s: MAC: %s", h->name, strerror(-rc));
	if (h->mtu != f->mtu && (rc = hif_set_mtu(h, f->mtu)) != 0)
		HIF_LOG(WARNING, "host-if %s: MTU %u: %s", h->name, f->mtu, strerror(-rc));
	if ((rc = hif_set_up(h)) != 0)
		HIF_LOG(WARNING, "host-if %s: up: %s", h->name, strerror(-rc));
	for (uint16_t k = 0; k < fc->n_addr && n_want < RTE_DIM(want) - 1; k++)
		want[n_want++] = fc->addr[k];
	memset(&want[n_want], 0, sizeof(want[0]));
	want[n_want].family = AF_INET6;
	want[n_want].len = 64;
	memcpy(&want[n_want++].v6, f->ll6, 16);
	for (uint16_t k = 0; k < h->n_addr; k++)
		if (!hif_has_addr(want, n_want, &h->addr[k]) &&
		    (rc = hif_nl_addr(h->ifindex, &h->addr[k], false)) != 0 && rc != -EADDRNOTAVAIL)
			HIF_LOG(WARNING, "host-if %s: delete %s: %s", h->name,
				rtr_prefix_str(&h->addr[k], true, b, sizeof(b)), strerror(-rc));
	h->n_addr = 0;
	for (uint16_t k = 0; k < n_want; k++) {
		rc = hif_nl_addr(h->ifindex, &want[k], true);
		if (rc != 0)
			HIF_LOG(WARNING, "host-if %s: address %s: %s", h->name,
				rtr_prefix_str(&want[k], true, b, sizeof(b)), strerror(-rc));
		else
			h->addr[h->n_addr++] = want[k];
	}
}

void
rtr_hostif_commit(struct rtr_state *st, const struct rtr_tables *t,
		  struct rtr_hostif *next[RTR_MAX_IF])
{
	for (uint16_t i = 0; i < RTR_MAX_IF; i++)
		if (st->hif[i] != NULL && !hif_kept(next, st->hif[i])) {
			HIF_LOG(INFO, "%s: host interface %s removed", st->name, st->hif[i]->name);
			hif_free(st->hif[i]);
		}
	for (uint16_t i = 0; i < RTR_MAX_IF; i++) {
		bool is_new = next[i] != NULL && !hif_kept(st->hif, next[i]);

		if (is_new)
			HIF_LOG(INFO, "%s: host interface %s for interface %s", st->name,
				next[i]->name, t->ifs[i].name);
		if (next[i] != NULL && i < t->n_if)
			hif_sync(next[i], &t->ifs[i], &st->conf->ifs[i]);
	}
	memcpy(st->hif, next, sizeof(st->hif));
	for (uint16_t i = 0; i < RTR_MAX_IF; i++)
		st->host_ifindex[i] = next[i] != NULL ? (uint32_t)next[i]->ifindex : 0;
	st->hif_link_ms = 0; /* carrier on the next tick */
}

void
rtr_hostif_close_all(struct rtr_state *st)
{
	for (uint16_t i = 0; i < RTR_MAX_IF; i++) {
		hif_free(st->hif[i]);
		st->hif[i] = NULL;
		st->host_ifindex[i] = 0;
	}
}

int
rtr_hostif_attach_fd(struct rtr_state *st, struct rtr_tables *t, uint16_t ifi, const char *name,
		     int fd)
{
	struct rtr_hostif *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return -ENOMEM;
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->fd = fd;
	h->carrier = -1;
	hif_free(st->hif[ifi]);
	st->hif[ifi] = h;
	t->ifs[ifi].hostif = true;
	return 0;
}

/* ---- to the kernel ---- */

struct rtr_hostif *
rtr_hostif_for(struct rtr_state *st, const struct rtr_tables *t, struct rte_mbuf *m, uint16_t ifi)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);

	if (st->hif[ifi] != NULL)
		return st->hif[ifi];
	if (rtr_is_v6(m)) {
		const struct rte_ipv6_hdr *ip6 =
			rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, md->l3_off);

		for (uint16_t i = 0; i < t->n_if; i++)
			if (st->hif[i] != NULL && rtr_own6_index(&t->ifs[i], ip6->dst_addr) >= 0)
				return st->hif[i];
	} else {
		const struct rte_ipv4_hdr *ip =
			rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, md->l3_off);

		for (uint16_t i = 0; i < t->n_if; i++)
			if (st->hif[i] != NULL && rtr_is_own4(&t->ifs[i], ip->dst_addr))
				return st->hif[i];
	}
	return NULL;
}

void
rtr_hostif_copy(struct rtr_state *st, struct rtr_hostif *h, struct rte_mbuf *m)
{
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	struct iovec iov[8];
	unsigned int n = 0;
	uint16_t l2 = md->l3_off;
	const struct rte_mbuf *s;

	/* the MACs, then from the EtherType on: a VLAN tag stays out */
	if (l2 < 14 || rte_pktmbuf_data_len(m) < l2) {
		st->cp[RTR_CP_HOSTIF_RX_FAIL]++;
		return;
	}
	iov[n].iov_base = rte_pktmbuf_mtod(m, uint8_t *);
	iov[n++].iov_len = 12;
	iov[n].iov_base = rte_pktmbuf_mtod_offset(m, uint8_t *, l2 - 2);
	iov[n++].iov_len = rte_pktmbuf_data_len(m) - (l2 - 2);
	for (s = m->next; s != NULL && n < RTE_DIM(iov); s = s->next) {
		iov[n].iov_base = rte_pktmbuf_mtod(s, uint8_t *);
		iov[n++].iov_len = rte_pktmbuf_data_len(s);
	}
	if (s != NULL || writev(h->fd, iov, (int)n) < 0) {
		st->cp[RTR_CP_HOSTIF_RX_FAIL]++;
		return;
	}
	h->to_kernel++;
	st->cp[RTR_CP_HOSTIF_RX]++;
}

void
rtr_hostif_deliver(struct rtr_state *st, struct rtr_hostif *h, struct rte_mbuf *m)
{
	rtr_hostif_copy(st, h, m);
	rte_pktmbuf_free(m);
}

/* ---- from the kernel ---- */

/* What nfvd already does for f: its ARP replies, neighbour adverts and DAD
 * for its own addresses (the kernel's would be duplicates) */
static bool
hif_filtered(const struct rtr_if *f, const uint8_t *d, uint32_t len)
{
	uint16_t type = (uint16_t)(d[12] << 8 | d[13]);

	if (type == RTE_ETHER_TYPE_ARP && len >= 14 + sizeof(struct rte_arp_hdr)) {
		const struct rte_arp_hdr *a = (const struct rte_arp_hdr *)(d + 14);
		uint32_t sip;

		memcpy(&sip, &a->arp_data.arp_sip, 4);
		return a->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REPLY) && rtr_is_own4(f, sip);
	}
	if (type == RTE_ETHER_TYPE_IPV6 && len >= 14 + 40 + 24 && d[14 + 6] == IPPROTO_ICMPV6) {
		const uint8_t *ip6 = d + 14, *icmp = ip6 + 40;
		static const uint8_t unspec[16];

		if (icmp[0] == 136) /* NA: target at 8 */
			return rtr_own6_index(f, icmp + 8) >= 0;
		if (icmp[0] == 135) /* DAD (from ::) */
			return memcmp(ip6 + 8, unspec, 16) == 0;
	}
	return false;
}

/* One frame d (len bytes, 4 bytes of room before it) the kernel sent on
 * interface f's twin, out by f's port tagged as f is */
static void
hif_send(struct rtr_state *st, const struct rtr_if *f, uint8_t *d, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(st->pool), *seg = m;
	uint32_t off = 0;

	if (m == NULL) {
		st->cp[RTR_CP_NOMEM]++;
		return;
	}
	if (f->vlan) {
		memmove(d - 4, d, 12);
		d -= 4;
		len += 4;
		d[12] = 0x81;
		d[13] = 0x00;
		d[14] = (uint8_t)(f->vlan >> 8);
		d[15] = (uint8_t)f->vlan;
	}
	/* as many segments as it takes (a jumbo MTU) */
	while (off < len) {
		uint32_t k = RTE_MIN((uint32_t)rte_pktmbuf_tailroom(seg), len - off);

		if (k == 0) {
			struct rte_mbuf *n = rte_pktmbuf_alloc(st->pool);

			if (n == NULL) {
				st->cp[RTR_CP_NOMEM]++;
				rte_pktmbuf_free(m);
				return;
			}
			n->data_off = 0;
			seg->next = n;
			m->nb_segs++;
			seg = n;
			continue;
		}
		memcpy(rte_pktmbuf_mtod_offset(seg, uint8_t *, seg->data_len), d + off, k);
		seg->data_len = (uint16_t)(seg->data_len + k);
		m->pkt_len += k;
		off += k;
	}
	rtr_send(st, f->port, m);
}

unsigned int
rtr_hostif_wait_fds(const struct rtr_state *st, struct pollfd *pfd, unsigned int max)
{
	unsigned int n = 0;

	for (uint16_t i = 0; i < RTR_MAX_IF && n < max; i++)
		if (st->hif[i] != NULL && st->hif[i]->fd >= 0)
			pfd[n++] = (struct pollfd){.fd = st->hif[i]->fd, .events = POLLIN};
	return n;
}

unsigned int
rtr_hostif_poll(struct rtr_state *st)
{
	static uint8_t frame[4 + RTR_HOSTIF_FRAME_MAX];
	uint8_t *buf = frame + 4; /* room for a VLAN tag */
	struct rtr_tables *t = rtr_tables_get(st);
	unsigned int done = 0;
	bool more = true;

	if (t == NULL)
		return 0;
	/* round robin, one frame per twin per round, RTR_HOSTIF_BUDGET in all:
	 * a chatty kernel cannot hold the control thread */
	while (more && done < RTR_HOSTIF_BUDGET) {
		more = false;
		for (uint16_t i = 0; i < t->n_if && done < RTR_HOSTIF_BUDGET; i++) {
			struct rtr_hostif *h = st->hif[i];
			const struct rtr_if *f = &t->ifs[i];
			ssize_t n;

			if (h == NULL)
				continue;
			n = read(h->fd, buf, RTR_HOSTIF_FRAME_MAX);
			if (n <= 0)
				continue;
			more = true;
			done++;
			if (n < 14 || (size_t)n > f->mtu + 14u) {
				st->cp[RTR_CP_HOSTIF_TX_BAD]++;
				continue;
			}
			/* only what the twin itself sends (its MAC is the
			 * interface's) */
			if (memcmp(buf + 6, &f->mac, 6) != 0 || hif_filtered(f, buf, (uint32_t)n)) {
				st->cp[RTR_CP_HOSTIF_TX_FILTERED]++;
				continue;
			}
			h->from_kernel++;
			st->cp[RTR_CP_HOSTIF_TX]++;
			hif_send(st, f, buf, (uint32_t)n);
		}
	}
	if (done == RTR_HOSTIF_BUDGET)
		st->cp[RTR_CP_HOSTIF_PASS_FULL]++;
	return done;
}

void
rtr_hostif_tick(struct rtr_state *st, const struct rtr_tables *t, uint64_t now_ms)
{
	if (st->hif_link_ms != 0 && now_ms - st->hif_link_ms < RTR_HOSTIF_LINK_MS)
		return;
	st->hif_link_ms = now_ms;
	for (uint16_t i = 0; i < t->n_if; i++)
		if (st->hif[i] != NULL)
			/* unknown (a tap port whose interface is in another
			 * namespace): up */
			hif_set_carrier(st->hif[i], nfv_port_link(t->ifs[i].port) != 0);
}
