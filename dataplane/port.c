/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - ports: YAML port -> DPDK vdev/devargs, probe, configure, start,
 * link state and counters.
 */
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>
#include <rte_log.h>

#include "engine_priv.h"
#include "tunnel.h"

/* The port table: indexed by DPDK port id, and config index -> port id. */
struct nfv_port_rt nfv_ports[RTE_MAX_ETHPORTS];
uint16_t nfv_port_cfg_id[NFV_MAX_PORTS];

int
nfv_port_id(const struct nfv_config *cfg, uint16_t port_index)
{
	if (cfg == NULL || port_index >= cfg->n_ports)
		return -ENOENT;
	return nfv_port_by_name(cfg->ports[port_index].name);
}

int
nfv_port_by_name(const char *name)
{
	for (uint16_t pid = 0; pid < RTE_MAX_ETHPORTS; pid++)
		if (nfv_ports[pid].used && strcmp(nfv_ports[pid].name, name) == 0)
			return pid;
	return -ENOENT;
}

int
nfv_port_link(uint16_t port)
{
	const struct nfv_port_rt *pr = &nfv_ports[port & (RTE_MAX_ETHPORTS - 1)];

	if (!pr->used || pr->link_up < 0)
		return -1;
	return pr->link_up;
}

uint16_t
nfv_ctl_tx(uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	struct nfv_port_rt *pr = &nfv_ports[port & (RTE_MAX_ETHPORTS - 1)];
	uint16_t sent = 0;

	if (n == 0)
		return 0;
	if (unlikely(pr->tunnel != NULL))
		return nfv_tunnel_ctl_tx(pr->tunnel, pkts, n);
	if (pr->started && !pr->tx_down) {
		if (pr->ctl_shared)
			rte_spinlock_lock(&pr->txq_lock[pr->ctl_qid]);
		sent = rte_eth_tx_burst(port, pr->ctl_qid, pkts, n);
		if (pr->ctl_shared)
			rte_spinlock_unlock(&pr->txq_lock[pr->ctl_qid]);
	}
	if (sent < n) {
		nfv_eng.eng_ctr_base[pr->tx_down ? NFV_DROP_LINK_DOWN : NFV_DROP_TX_FULL] += n - sent;
		pr->ctl_drops += n - sent;
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	}
	return sent;
}

#define PORT_LOG(lvl, ...) RTE_LOG(lvl, USER1, "nfvd: " __VA_ARGS__)

static int port_link_fd = -1; /* interface ioctls: link of kernel interfaces, tap MACs */

/* The socket for interface ioctls, opened on first use; or -errno. */
static int
port_ioctl_fd(void)
{
	if (port_link_fd < 0)
		port_link_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return port_link_fd >= 0 ? port_link_fd : -errno;
}

/* ---- the tap PMD's start-up noise ----
 * DPDK 22.11's tap PMD sets up a "multiq" qdisc for its rte_flow support
 * on every start; a kernel without sch_multiq (this lab's) answers ENOENT
 * and the PMD prints four ERR lines, then runs fine without rte_flow
 * (which nfvd does not use). While a tap port is probed, DPDK's log goes
 * through this filter: those lines (and only with that cause) are
 * dropped, everything else goes on to the log stream as before. With the
 * tap PMD's log level raised (-- --log-level=pmd.net.tap:debug) nothing is
 * filtered. */
static const char *const port_tap_noise[] = {
	"tap_nl_dump_ext_ack(): Specified qdisc kind is unknown",
	"qdisc_create_multiq(): Could not add multiq qdisc (2)",
	": failed to create multiq qdisc.",
	"Disabling rte flow support: No such file or directory(2)",
};

struct port_log_filter {
	FILE *next;     /* the stream DPDK logged to before */
	unsigned int dropped;
};

static ssize_t
port_log_write(void *cookie, const char *buf, size_t size)
{
	struct port_log_filter *f = cookie;
	size_t off = 0;

	/* rte_log flushes once per message: buf holds whole lines */
	while (off < size) {
		const char *nl = memchr(buf + off, '\n', size - off);
		size_t len = nl ? (size_t)(nl - (buf + off)) + 1 : size - off;
		bool noise = false;

		for (size_t i = 0; i < RTE_DIM(port_tap_noise) && !noise; i++)
			noise = memmem(buf + off, len, port_tap_noise[i],
				       strlen(port_tap_noise[i])) != NULL;
		if (noise)
			f->dropped++;
		else
			fwrite(buf + off, 1, len, f->next);
		off += len;
	}
	fflush(f->next);
	return (ssize_t)size;
}

/* rte_dev_probe(devargs) with the tap PMD's qdisc noise filtered out */
static int
port_probe_quiet(const char *devargs, const char *port)
{
	static char buf[4096];
	struct port_log_filter f = {.next = rte_log_get_stream()};
	cookie_io_functions_t io = {.write = port_log_write};
	int tap_type = rte_log_register("pmd.net.tap");
	FILE *s = NULL;
	int ret;

	if (tap_type < 0 || rte_log_get_level(tap_type) < (int)RTE_LOG_DEBUG)
		s = fopencookie(&f, "w", io);
	if (s != NULL) {
		setvbuf(s, buf, _IOFBF, sizeof(buf));
		rte_openlog_stream(s);
	}
	ret = rte_dev_probe(devargs);
	if (s != NULL) {
		fflush(s);
		/* back to DPDK's own stream (nfvd sets no other): not f.next
		 * itself, which rte_eal_cleanup closes */
		rte_openlog_stream(NULL);
		fclose(s);
		if (f.dropped)
			PORT_LOG(DEBUG,
				 "port %s: the kernel has no multiq qdisc: the tap PMD runs "
				 "without rte_flow (not used by nfvd)\n",
				 port);
	}
	return ret;
}

/* Build the DPDK device name and devargs for a port. */
int
nfv_port_devargs(const struct nfv_config *cfg, const struct nfv_port_conf *pc, uint16_t queues,
		 char *name, size_t nsize, char *args, size_t asize)
{
	char rx[NFV_PATH_MAX], tx[NFV_PATH_MAX];
	int r = 0;

	args[0] = '\0';
	switch (pc->driver) {
	case NFV_PORT_PCI:
		/* devargs is "<pci address>[,k=v...]": the name is the address */
		snprintf(name, nsize, "%.*s", (int)strcspn(pc->devargs, ","), pc->devargs);
		r = snprintf(args, asize, "%s", pc->devargs);
		break;
	case NFV_PORT_TAP:
		snprintf(name, nsize, "net_tap_%s", pc->name);
		r = snprintf(args, asize, "iface=%s", pc->iface[0] ? pc->iface : pc->name);
		break;
	case NFV_PORT_AF_PACKET:
		snprintf(name, nsize, "net_af_packet_%s", pc->name);
		/* the PMD's ring (one per queue and direction) is framecnt
		 * frames, 512 unless told: it ignores the queue set-up's
		 * descriptor count, so rx-desc / tx-desc go here */
		r = snprintf(args, asize, "iface=%s,qpairs=%u,framecnt=%u", pc->iface, queues,
			     (unsigned int)RTE_MAX(pc->rx_desc, pc->tx_desc));
		break;
	case NFV_PORT_AF_XDP:
		snprintf(name, nsize, "net_af_xdp_%s", pc->name);
		r = snprintf(args, asize, "iface=%s,start_queue=0,queue_count=%u", pc->iface,
			     pc->rx_queues);
		if (pc->xdp_prog[0]) {
			if (nfv_config_path(cfg, pc->xdp_prog, rx, sizeof(rx)) < 0)
				return -ENAMETOOLONG;
			r += snprintf(args + r, asize - r, ",xdp_prog=%s", rx);
		}
		break;
	case NFV_PORT_PCAP:
		snprintf(name, nsize, "net_pcap_%s", pc->name);
		if (pc->rx_file[0]) {
			if (nfv_config_path(cfg, pc->rx_file, rx, sizeof(rx)) < 0)
				return -ENAMETOOLONG;
			r += snprintf(args + r, asize - r, "rx_pcap=%s", rx);
			if (pc->loop)
				r += snprintf(args + r, asize - r, ",infinite_rx=1");
		}
		if (pc->tx_file[0]) {
			if (nfv_config_path(cfg, pc->tx_file, tx, sizeof(tx)) < 0)
				return -ENAMETOOLONG;
			r += snprintf(args + r, asize - r, "%stx_pcap=%s", r ? "," : "", tx);
		} else {
			/* no tx file: transmit into a sink file, the PMD needs one */
			r += snprintf(args + r, asize - r, "%stx_pcap=/dev/null", r ? "," : "");
		}
		break;
	case NFV_PORT_VHOST:
		snprintf(name, nsize, "net_vhost_%s", pc->name);
		r = snprintf(args, asize, "iface=%s,client=1,queues=%u", pc->path, queues);
		break;
	case NFV_PORT_VIRTIO_USER:
		snprintf(name, nsize, "virtio_user_%s", pc->name);
		r = snprintf(args, asize, "path=%s,queues=%u,server=%d", pc->path, queues,
			     pc->server ? 1 : 0);
		break;
	case NFV_PORT_MEMIF:
		snprintf(name, nsize, "net_memif_%s", pc->name);
		r = snprintf(args, asize, "role=%s,socket=%s,id=%u,socket-abstract=no",
			     pc->server ? "server" : "client", pc->path, pc->memif_id);
		/* the client sizes the rings of both directions (log2 slots;
		 * the server takes what it is given): rx-desc / tx-desc, at
		 * most 8192 (16384 did not connect on 22.11 here) */
		if (!pc->server) {
			unsigned int slots = RTE_MAX(pc->rx_desc, pc->tx_desc);

			if (slots > 8192)
				slots = 8192;
			r += snprintf(args + r, asize - r, ",rsize=%u",
				      (unsigned int)rte_log2_u32(slots));
		}
		break;
	case NFV_PORT_RING:
		snprintf(name, nsize, "net_ring_%s", pc->name);
		break;
	case NFV_PORT_NULL:
		snprintf(name, nsize, "net_null_%s", pc->name);
		r = snprintf(args, asize, "size=%u%s", pc->pkt_size ? pc->pkt_size : 64,
			     pc->rx ? "" : ",no-rx=1");
		break;
	case NFV_PORT_VXLAN:
	case NFV_PORT_GENEVE:
		/* a device that is never polled nor sent to: the port id, MAC
		 * and MTU of the tunnel (tunnel_port.c does its rx and tx) */
		snprintf(name, nsize, "net_null_%s", pc->name);
		r = snprintf(args, asize, "no-rx=1");
		break;
	default:
		return -EINVAL;
	}
	return r >= 0 && (size_t)r < asize ? 0 : -ENAMETOOLONG;
}

/* The tap PMD gives the kernel side of its tap the port's own MAC: a host
 * given that interface would send frames to and receive frames from its
 * own address (the router's ARP replies name the host's MAC as the
 * router's). The kernel side gets the port's MAC with the last bit of its
 * last byte flipped, locally administered unicast: the tap is a segment of
 * two, so differing from the port is all it needs; stable run to run. A
 * host that wants another sets it (ip link set ... address). */
static void
port_tap_host_mac(const struct nfv_port_conf *pc, uint16_t pid)
{
	const char *ifname = pc->iface[0] ? pc->iface : pc->name;
	struct rte_ether_addr mac;
	struct ifreq ifr;
	int fd;

	if (rte_eth_macaddr_get(pid, &mac) != 0)
		return;
	mac.addr_bytes[0] = (uint8_t)((mac.addr_bytes[0] | 0x02) & ~0x01);
	mac.addr_bytes[5] ^= 0x01;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%.*s", IFNAMSIZ - 1, ifname);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac.addr_bytes, RTE_ETHER_ADDR_LEN);
	fd = port_ioctl_fd();
	if (fd < 0 || ioctl(fd, SIOCSIFHWADDR, &ifr) < 0)
		ENG_LOG(WARNING, "port %s: the kernel side %s keeps the port's MAC: %s\n",
			pc->name, ifname, strerror(fd < 0 ? -fd : errno));
}

/* A ring port whose rings live in DPDK shared memory for a secondary
 * process (nfv-gen): <shared>_rx (the port receives from it) and
 * <shared>_tx (it sends to it), each with one producer and one consumer:
 * the port has one tx queue, and the threads that share a tx queue take
 * its lock (txq_lock; eng_assign_queues). A multi-producer enqueue would
 * compare-and-swap the ring's head, a line the other process's core reads
 * at every poll: a locked instruction that waits for that line's trip
 * between the cores at every burst. rx-desc and tx-desc slots; an ethdev on them named dev
 * (net_ring_<port>). Rings left by an earlier port of the same name are
 * taken again. mbuf->port is left as the sender set it: the workers set it
 * where it is read (worker.c, pipeline_set_port). */
static int
port_ring_shared(const struct nfv_port_conf *pc, const char *dev, char *err, size_t errlen)
{
	static const char *const dir[2] = {"rx", "tx"};
	struct rte_ring *r[2];
	char rn[RTE_RING_NAMESIZE];
	int pid;

	/* rte_eth_from_rings names the device net_ring_<name> (port names
	 * have at most 15 characters: it fits its 31) */
	for (int i = 0; i < 2; i++) {
		snprintf(rn, sizeof(rn), "%s_%s", pc->ring_shared, dir[i]);
		r[i] = rte_ring_create(rn, i ? pc->tx_desc : pc->rx_desc, (int)rte_socket_id(),
				       RING_F_EXACT_SZ | RING_F_SC_DEQ | RING_F_SP_ENQ);
		if (!r[i] && rte_errno == EEXIST)
			r[i] = rte_ring_lookup(rn);
		if (!r[i]) {
			snprintf(err, errlen, "port %s: shared ring %s: %s", pc->name, rn,
				 rte_strerror(rte_errno));
			return -rte_errno;
		}
	}
	pid = rte_eth_from_rings(dev + strlen("net_ring_"), &r[0], 1, &r[1], 1, rte_socket_id());
	if (pid < 0) {
		snprintf(err, errlen, "port %s: ethdev on rings %s_rx/_tx: %s", pc->name,
			 pc->ring_shared, rte_strerror(rte_errno));
		return -rte_errno;
	}
	return 0;
}

static uint64_t
port_rss_hf(const struct rte_eth_dev_info *info)
{
	return info->flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);
}

static int
port_setup_one(struct nfv_engine *e, uint16_t idx, char *err, size_t errlen)
{
	const struct nfv_port_conf *pc = &e->cfg->ports[idx];
	uint16_t users = e->n_workers + 1; /* workers + control thread */
	char name[96], args[1024], full[1200];
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	struct nfv_port_rt *pr;
	uint16_t pid;
	int ret;

	ret = nfv_port_devargs(e->cfg, pc, RTE_MAX(pc->rx_queues, users), name, sizeof(name),
			       args, sizeof(args));
	if (ret < 0) {
		snprintf(err, errlen, "port %s: devargs too long", pc->name);
		return ret;
	}
	if (pc->driver == NFV_PORT_PCI)
		snprintf(full, sizeof(full), "%s", args);
	else
		snprintf(full, sizeof(full), "%s%s%s", name, args[0] ? "," : "", args);

	if (pc->driver == NFV_PORT_RING && pc->ring_shared[0]) {
		ret = port_ring_shared(pc, name, err, errlen);
		if (ret < 0)
			return ret;
	} else if (pc->driver == NFV_PORT_TAP)
		ret = port_probe_quiet(full, pc->name);
	else
		ret = rte_dev_probe(full);
	if (ret < 0) {
		snprintf(err, errlen, "port %s: driver %s cannot start (%s): %s", pc->name,
			 nfv_port_driver_names[pc->driver], full,
			 ret == -1 ? "the driver refused it (its reason is printed above)"
				   : rte_strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_get_port_by_name(name, &pid);
	if (ret < 0) {
		snprintf(err, errlen, "port %s: device %s probed but no ethdev port found",
			 pc->name, name);
		return -ENODEV;
	}
	pr = &nfv_ports[pid];
	memset(pr, 0, sizeof(*pr));
	pr->used = true;
	pr->port_id = pid;
	pr->conf = pc;
	pr->link_up = -1;
	snprintf(pr->name, sizeof(pr->name), "%s", pc->name);
	snprintf(pr->devname, sizeof(pr->devname), "%s", name);
	if (pc->driver == NFV_PORT_AF_PACKET || pc->driver == NFV_PORT_AF_XDP)
		pr->ifindex = if_nametoindex(pc->iface);
	/* net_ring leaves mbuf->port as the sender set it (another process's
	 * port numbers): the workers set it, for the chains that read it
	 * (worker.c, pipeline_set_port), not an rx callback on every frame */
	pr->rx_port_unset = pc->driver == NFV_PORT_RING && pc->ring_shared[0];
	nfv_port_cfg_id[idx] = pid;
	for (unsigned int i = 0; i < RTE_DIM(pr->txq_lock); i++)
		rte_spinlock_init(&pr->txq_lock[i]);

	ret = rte_eth_dev_info_get(pid, &info);
	if (ret < 0) {
		snprintf(err, errlen, "port %s: cannot read device info: %s", pc->name,
			 rte_strerror(-ret));
		return ret;
	}
	pr->n_rxq = RTE_MIN(pc->rx_queues, info.max_rx_queues);
	pr->n_txq = RTE_MIN(users, RTE_MIN(info.max_tx_queues, RTE_DIM(pr->txq_lock)));
	/* net_tap wants as many rx as tx queues; workers poll every rx queue
	 * (the kernel spreads flows over them). net_af_packet opens one socket
	 * per queue pair in a fanout group: flows hashed to an unpolled rx
	 * queue would be lost. */
	if ((pc->driver == NFV_PORT_TAP || pc->driver == NFV_PORT_AF_PACKET) &&
	    pr->n_rxq < pr->n_txq)
		pr->n_rxq = RTE_MIN(pr->n_txq, info.max_rx_queues);
	/* memif: a client's tx queues are rings the server must have rx
	 * queues for, its rx queues rings the server must have tx queues for;
	 * the server refuses more ("Invalid ring index", at debug level) and
	 * the link stays down for good. As a client nfvd asks for rx-queues
	 * rings each way (what a server with rx-queues rx queues, nfvd's own
	 * default included, takes); its threads share the tx rings (the
	 * control thread the last one, under its lock). */
	if (pc->driver == NFV_PORT_MEMIF && !pc->server)
		pr->n_txq = RTE_MIN(pr->n_txq, pr->n_rxq);
	if (pr->n_rxq == 0 || pr->n_txq == 0) {
		snprintf(err, errlen, "port %s: device has no rx or tx queue", pc->name);
		return -ENODEV;
	}

	memset(&conf, 0, sizeof(conf));
	if (pr->n_rxq > 1 && port_rss_hf(&info)) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = port_rss_hf(&info);
	}
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	ret = rte_eth_dev_configure(pid, pr->n_rxq, pr->n_txq, &conf);
	if (ret < 0) {
		snprintf(err, errlen, "port %s: configure %u rx / %u tx queues failed: %s",
			 pc->name, pr->n_rxq, pr->n_txq, rte_strerror(-ret));
		return ret;
	}
	uint16_t nrx = pc->rx_desc, ntx = pc->tx_desc;
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrx, &ntx);
	if (ret < 0) {
		snprintf(err, errlen, "port %s: descriptors: %s", pc->name, rte_strerror(-ret));
		return ret;
	}
	for (uint16_t q = 0; q < pr->n_rxq; q++) {
		ret = rte_eth_rx_queue_setup(pid, q, nrx, rte_eth_dev_socket_id(pid), NULL,
					     e->pool);
		if (ret < 0) {
			snprintf(err, errlen, "port %s: rx queue %u setup failed: %s", pc->name, q,
				 rte_strerror(-ret));
			return ret;
		}
	}
	for (uint16_t q = 0; q < pr->n_txq; q++) {
		ret = rte_eth_tx_queue_setup(pid, q, ntx, rte_eth_dev_socket_id(pid), NULL);
		if (ret < 0) {
			snprintf(err, errlen, "port %s: tx queue %u setup failed: %s", pc->name, q,
				 rte_strerror(-ret));
			return ret;
		}
	}
	if (pc->mtu) {
		ret = rte_eth_dev_set_mtu(pid, pc->mtu);
		if (ret == -EINVAL) {
			/* what the device takes: its MTU range, bounded by
			 * the largest frame it receives (af_packet: 1518,
			 * its 2 KiB ring frames) */
			uint32_t max = info.max_mtu, ovh = RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;

			if (info.max_rx_pktlen > ovh && info.max_rx_pktlen - ovh < max)
				max = info.max_rx_pktlen - ovh;
			snprintf(err, errlen,
				 "port %s: mtu %u: the %s device takes an mtu of %u to %u",
				 pc->name, pc->mtu, info.driver_name ? info.driver_name : "?",
				 info.min_mtu, max);
			return ret;
		}
		if (ret < 0 && ret != -ENOTSUP) {
			snprintf(err, errlen, "port %s: mtu %u: %s", pc->name, pc->mtu,
				 rte_strerror(-ret));
			return ret;
		}
	}
	if (pc->has_mac) {
		struct rte_ether_addr mac;

		memcpy(mac.addr_bytes, pc->mac, 6);
		ret = rte_eth_dev_default_mac_addr_set(pid, &mac);
		/* net_ring cannot set its MAC but can add one, and a device
		 * whose default MAC is null (net_ring's) takes an added MAC as
		 * its default: the router reads its interfaces' MACs there */
		if (ret == -ENOTSUP && pc->driver == NFV_PORT_RING)
			ret = rte_eth_dev_mac_addr_add(pid, &mac, 0);
		if (ret < 0 && ret != -ENOTSUP) {
			snprintf(err, errlen, "port %s: cannot set mac: %s", pc->name,
				 rte_strerror(-ret));
			return ret;
		}
	}
	/* The control thread takes the last queue; it shares it with a worker
	 * when the device has fewer queues than users. */
	pr->ctl_qid = pr->n_txq - 1;
	pr->ctl_shared = pr->n_txq < users;
	ret = rte_eth_dev_start(pid);
	if (ret < 0) {
		snprintf(err, errlen, "port %s: start failed: %s", pc->name, rte_strerror(-ret));
		return ret;
	}
	pr->started = true;
	if (pc->driver == NFV_PORT_TAP)
		port_tap_host_mac(pc, pid);
	if (pc->promiscuous)
		rte_eth_promiscuous_enable(pid); /* not every vdev supports it */
	return 0;
}

int
nfv_ports_setup(struct nfv_engine *e, char *err, size_t errlen)
{
	for (uint16_t i = 0; i < e->cfg->n_ports; i++) {
		int ret = port_setup_one(e, i, err, errlen);
		if (ret < 0)
			return ret;
	}
	int ret = nfv_tunnels_setup(e, err, errlen);

	if (ret < 0)
		return ret;
	nfv_ports_poll_link();
	return 0;
}

void
nfv_ports_close(void)
{
	nfv_tunnels_close();
	for (uint16_t pid = 0; pid < RTE_MAX_ETHPORTS; pid++) {
		struct nfv_port_rt *pr = &nfv_ports[pid];
		struct rte_eth_dev_info info;

		if (!pr->used)
			continue;
		if (pr->started)
			rte_eth_dev_stop(pid);
		if (rte_eth_dev_info_get(pid, &info) == 0 && info.device != NULL) {
			rte_eth_dev_close(pid);
			rte_dev_remove(info.device);
		} else {
			rte_eth_dev_close(pid);
		}
		pr->used = false;
	}
	if (port_link_fd >= 0) {
		close(port_link_fd);
		port_link_fd = -1;
	}
}

/* The link of a port on a kernel interface (af_packet, af_xdp): DPDK
 * 22.11's af_packet PMD reports "up" from its start on, whatever the
 * interface does, so ask the kernel: up when the interface is up and
 * running (carrier: a veth whose peer is down or gone is not). 1 up, 0
 * down, -ENODEV when the interface is gone (or is another one of the same
 * name: the PMD's sockets stay bound to the one that went). */
static int
port_kernel_link(const char *iface, unsigned int ifindex)
{
	struct ifreq ifr;

	if (port_ioctl_fd() < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%.*s", IFNAMSIZ - 1, iface);
	if (ioctl(port_link_fd, SIOCGIFINDEX, &ifr) < 0)
		return errno == ENODEV || errno == ENXIO ? -ENODEV : -errno;
	if (ifindex != 0 && (unsigned int)ifr.ifr_ifindex != ifindex)
		return -ENODEV;
	if (ioctl(port_link_fd, SIOCGIFFLAGS, &ifr) < 0)
		return errno == ENODEV || errno == ENXIO ? -ENODEV : -errno;
	return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
}

static void
port_set_link(struct nfv_port_rt *pr, int up, const char *why)
{
	if (pr->link_up != up) {
		if (pr->link_up != -1)
			pr->link_changes++;
		if (pr->link_up != -1 || up)
			PORT_LOG(INFO, "port %s link %s%s\n", pr->name, up ? "up" : "down", why);
		pr->link_up = up;
	}
	/* workers read it before each flush: drop, not hold, while down */
	pr->tx_down = up == 0;
}

/* A memif client whose server went away: DPDK 22.11's client connects
 * once, at device start, and never again. While its link is down, every
 * PORT_REDIAL_MS the port is taken out of the workers' polling (rx_off;
 * tx_down is set already: the link is down), an RCU grace period lets any
 * worker inside its rx or tx burst leave it, and the device is stopped and
 * started: a server that is back accepts the new connection (the link
 * comes up from the interrupt thread). A start that fails (no server yet)
 * leaves the port out of the polling until the next try. */
#define PORT_REDIAL_MS 1000

static void
port_memif_redial(struct nfv_port_rt *pr, uint16_t pid)
{
	struct nfv_engine *e = &nfv_eng;
	uint64_t now = nfv_now_ms();
	int ret;

	if (pr->redial_ms == 0) { /* just seen down: give the server a moment */
		pr->redial_ms = now + PORT_REDIAL_MS;
		return;
	}
	if (now < pr->redial_ms)
		return;
	pr->redial_ms = now + PORT_REDIAL_MS;
	if (!pr->redial_failed) {
		pr->rx_off = true;
		if (!e->inline_worker) /* one CPU: the worker is this thread */
			rte_rcu_qsbr_synchronize(e->qsv, RTE_QSBR_THRID_INVALID);
		rte_eth_dev_stop(pid);
	}
	/* the memif PMD logs each refused connect as an error: once is
	 * enough (nfvd's own line below says it keeps trying) */
	int memif_log = rte_log_register("pmd.net.memif");
	int level = memif_log >= 0 ? rte_log_get_level(memif_log) : -1;

	if (pr->redial_failed && level >= 0)
		rte_log_set_level(memif_log, RTE_LOG_CRIT);
	ret = rte_eth_dev_start(pid);
	if (pr->redial_failed && level >= 0)
		rte_log_set_level(memif_log, (uint32_t)level);
	pr->redials++;
	pr->redial_failed = ret < 0;
	if (ret < 0) {
		if (pr->redials == 1 || pr->redials % 60 == 0)
			PORT_LOG(INFO, "port %s: memif server %s not there (tried %" PRIu64
				       " times), trying again every %u ms\n",
				 pr->name, pr->conf->path, pr->redials, PORT_REDIAL_MS);
		return;
	}
	pr->rx_off = false;
}

void
nfv_ports_poll_link(void)
{
	for (uint16_t pid = 0; pid < RTE_MAX_ETHPORTS; pid++) {
		struct nfv_port_rt *pr = &nfv_ports[pid];
		struct rte_eth_link link;
		int up;

		if (!pr->used || !pr->started)
			continue;
		/* a tunnel is up when its underlay is (ports are polled in port
		 * id order: the underlay, set up first, is polled first) */
		if (pr->tunnel != NULL) {
			port_set_link(pr, nfv_ports[pr->tunnel->ul_pid].link_up > 0,
				      " (its underlay's link)");
			continue;
		}
		/* net_tap reads the link from its kernel interface by name in
		 * nfvd's network namespace: once the interface is moved into
		 * another one (a host namespace), nfvd cannot see its state */
		if (pr->conf != NULL && pr->conf->driver == NFV_PORT_TAP &&
		    if_nametoindex(pr->conf->iface) == 0) {
			if (pr->link_up != NFV_LINK_ELSEWHERE)
				PORT_LOG(INFO,
					 "port %s: interface %s is in another network namespace, "
					 "link state unknown\n",
					 pr->name, pr->conf->iface);
			pr->link_up = NFV_LINK_ELSEWHERE;
			pr->tx_down = false;
			continue;
		}
		memset(&link, 0, sizeof(link));
		if (rte_eth_link_get_nowait(pid, &link) < 0)
			continue;
		pr->link_speed = link.link_speed;
		up = link.link_status;
		if (pr->conf != NULL && (pr->conf->driver == NFV_PORT_AF_PACKET ||
					 pr->conf->driver == NFV_PORT_AF_XDP)) {
			up = port_kernel_link(pr->conf->iface, pr->ifindex);
			if (up == -ENODEV) {
				port_set_link(pr, 0,
					      " (its interface is gone or was replaced: the port "
					      "stays down until nfvd restarts)");
				continue;
			}
			if (up < 0)
				continue;
		}
		port_set_link(pr, up, "");
		if (pr->conf != NULL && pr->conf->driver == NFV_PORT_MEMIF && !pr->conf->server) {
			if (up)
				pr->redial_ms = 0;
			else
				port_memif_redial(pr, pid);
		}
	}
}

/* Packets for port pid that were not sent, each counted once: what nfvd
 * dropped itself (link down, held too long) plus the device's own
 * errors, except net_tap's: it counts every refused packet of every
 * attempt (a burst retried 100 times counts 100 times), and what it
 * refuses nfvd counts. */
static uint64_t
port_tx_drops(const struct nfv_engine *e, uint16_t pid, const struct rte_eth_stats *st)
{
	const struct nfv_port_rt *pr = &nfv_ports[pid];
	uint64_t n = pr->ctl_drops;

	for (uint16_t i = 0; i < e->n_workers; i++)
		if (e->workers[i] != NULL)
			n += e->workers[i]->w.tx[pid].drops;
	if (pr->conf == NULL || pr->conf->driver != NFV_PORT_TAP)
		n += st->oerrors;
	return n;
}

json_t *
nfv_ports_json(struct nfv_engine *e, bool stats)
{
	json_t *out = json_object();

	for (uint16_t i = 0; i < e->cfg->n_ports; i++) {
		uint16_t pid = nfv_port_cfg_id[i];
		struct nfv_port_rt *pr = &nfv_ports[pid];
		json_t *o = json_object();

		if (!pr->used)
			continue;
		const char *link = pr->link_up > 0			 ? "up"
				   : pr->link_up == NFV_LINK_ELSEWHERE ? "unknown"
								       : "down";

		json_object_set_new(o, "link", json_string(link));
		if (stats) {
			struct rte_eth_stats st;

			memset(&st, 0, sizeof(st));
			rte_eth_stats_get(pid, &st);
			if (pr->tunnel != NULL) {
				/* the null device counts nothing: the tunnel's own */
				uint64_t row[NFV_TUN_ROW], rxd = 0, txd = 0;

				nfv_tunnel_port_totals(pr->tunnel->slot, row);
				for (unsigned int k = 0; k < NFV_TUN_DROP_MAX; k++)
					if (k < NFV_TUN_DROP_TOO_BIG)
						rxd += row[NFV_TUN_CTR_MAX + k];
					else
						txd += row[NFV_TUN_CTR_MAX + k];
				memset(&st, 0, sizeof(st));
				st.ipackets = row[NFV_TUN_RX];
				st.ibytes = row[NFV_TUN_RX_BYTES];
				st.opackets = row[NFV_TUN_TX];
				st.obytes = row[NFV_TUN_TX_BYTES];
				st.imissed = rxd;
				st.oerrors = txd;
			}
			json_object_set_new(o, "rx", json_integer(st.ipackets));
			json_object_set_new(o, "tx", json_integer(st.opackets));
			json_object_set_new(o, "rx_bytes", json_integer(st.ibytes));
			json_object_set_new(o, "tx_bytes", json_integer(st.obytes));
			json_object_set_new(o, "rx_drops",
					    json_integer(st.imissed + st.rx_nombuf));
			json_object_set_new(o, "tx_drops",
					    json_integer(port_tx_drops(e, pid, &st)));
			json_object_set_new(o, "errors", json_integer(st.ierrors));
		} else {
			struct rte_ether_addr mac;
			char macs[RTE_ETHER_ADDR_FMT_SIZE] = "";
			uint16_t mtu = 0;

			if (rte_eth_macaddr_get(pid, &mac) == 0)
				rte_ether_format_addr(macs, sizeof(macs), &mac);
			rte_eth_dev_get_mtu(pid, &mtu);
			json_object_set_new(o, "driver",
					    json_string(nfv_port_driver_names[pr->conf->driver]));
			json_object_set_new(o, "device", json_string(pr->devname));
			json_object_set_new(o, "port_id", json_integer(pid));
			json_object_set_new(o, "mac", json_string(macs));
			json_object_set_new(o, "mtu", json_integer(mtu));
			json_object_set_new(o, "speed", json_integer(pr->link_speed));
			json_object_set_new(o, "link_changes", json_integer(pr->link_changes));
			if (pr->conf->driver == NFV_PORT_MEMIF && !pr->conf->server)
				json_object_set_new(o, "redials", json_integer(pr->redials));
			json_object_set_new(o, "rx_queues", json_integer(pr->n_rxq));
			json_object_set_new(o, "tx_queues", json_integer(pr->n_txq));
		}
		nfv_tunnel_port_json(pid, stats, o);
		json_object_set_new(out, pr->name, o);
	}
	return out;
}
