/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd DHCP server - control path: instance life cycle, punted requests
 * (frame checks, parse, state machine, reply frames), group commit of the
 * lease journal before ACKs leave, background compaction, "leases" command
 * and stats. Runs on the control thread only.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_udp.h>

#include "dhcp_rt.h"

static const char *const dhcp_counter_names[] = {DHCP_COUNTERS(VNF_NAME)};
static const char *const dhcp_drop_names[] = {DHCP_DROPS(VNF_NAME)};
static const char *const dhcp_drop_descs[] = {DHCP_DROPS(VNF_DESC)};

static uint64_t
dhcp_wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec;
}

static void
dhcp_cp_count(struct nfv_vnf *vnf, uint16_t idx, uint64_t inc)
{
	struct dhcp_state *st = vnf->priv;

	vnf->ctr[st->ctr_row * vnf->ctr_stride + idx] += inc;
}

static void
dhcp_cp_drop(struct nfv_vnf *vnf, struct rte_mbuf *m, uint16_t why)
{
	dhcp_cp_count(vnf, (uint16_t)(DHCP_C_MAX + why), 1);
	if (m != NULL && why < DHCP_D_MAX)
		nfv_trace_ctl_note(vnf, m, "server: not answered (%s)", dhcp_drop_names[why], 0, 0,
				   0);
	if (m != NULL)
		rte_pktmbuf_free(m);
}

/* ---------------- life cycle ---------------- */

static void dhcp_flush(struct nfv_vnf *vnf);

static void
dhcp_destroy(struct nfv_vnf *vnf)
{
	struct dhcp_state *st = vnf->priv;

	if (st == NULL)
		return;
	/* what was journaled reaches the disk; held ACKs go out after it */
	dhcp_flush(vnf);
	dhcp_db_close(&st->db);
	dhcp_hold_fini(&st->hold);
	rte_free(st);
	vnf->priv = NULL;
}

static int
dhcp_create(struct nfv_vnf *vnf, const struct nfv_config *cfg, const void *conf, char *err,
	    size_t errlen)
{
	const struct dhcp_conf *c = conf;
	struct dhcp_state *st;
	char why[320];
	unsigned int lc = rte_lcore_id();
	int ret;

	st = rte_zmalloc("dhcp_state", sizeof(*st), RTE_CACHE_LINE_SIZE);
	if (st == NULL) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	vnf->priv = st;
	st->conf = c;
	st->ctr_row = lc < RTE_MAX_LCORE ? lc : RTE_MAX_LCORE - 1;
	st->db.fd = -1;
	st->db.tmp_fd = -1;
	st->db.lock_fd = -1;
	if (dhcp_hold_init(&st->hold) != 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (uint16_t i = 0; i < c->n_ifs; i++) {
		int pid = nfv_port_id(cfg, c->ifs[i].port);

		if (pid < 0) {
			snprintf(err, errlen, "interfaces[%u]: port %s is not running", i,
				 cfg->ports[c->ifs[i].port].name);
			return -ENODEV;
		}
		st->dp[i].port = (uint16_t)pid;
		st->dp[i].vlan = c->ifs[i].vlan;
		st->dp[i].addr_be = htonl(c->ifs[i].addr);
		st->dp[i].arp = c->ifs[i].arp;
		if (rte_eth_macaddr_get((uint16_t)pid, &st->mac[i]) != 0)
			memset(&st->mac[i], 0, sizeof(st->mac[i]));
	}
	st->n_ifs = c->n_ifs;
	ret = dhcp_db_open(&st->db, c, c->lease_file, dhcp_wall_now(), why, sizeof(why));
	if (ret != 0) {
		snprintf(err, errlen, "%s:%s: %s", cfg->file, c->lease_file_at, why);
		return ret;
	}
	st->srv.conf = c;
	st->srv.db = &st->db;
	return 0;
}

/* Same interfaces (ports, VLANs, addresses) and the same journal: then the
 * running instance takes the new subnets, pools, reservations and options
 * and keeps its leases; otherwise the apply builds a new instance (which
 * reloads the leases from the journal). */
static bool
dhcp_can_reconfigure(const void *old_conf, const void *new_conf)
{
	const struct dhcp_conf *a = old_conf, *b = new_conf;

	if (a->n_ifs != b->n_ifs || strcmp(a->lease_file, b->lease_file) != 0)
		return false;
	for (uint16_t i = 0; i < a->n_ifs; i++)
		if (a->ifs[i].port != b->ifs[i].port || a->ifs[i].vlan != b->ifs[i].vlan ||
		    a->ifs[i].addr != b->ifs[i].addr || a->ifs[i].arp != b->ifs[i].arp)
			return false;
	return true;
}

/* Only control-thread state changes (the workers' interface table is the
 * same, see dhcp_can_reconfigure), so no RCU wait is needed. */
static int
dhcp_reconfigure(struct nfv_vnf *vnf, const struct nfv_config *cfg, const void *conf, char *err,
		 size_t errlen)
{
	struct dhcp_state *st = vnf->priv;
	const struct dhcp_conf *c = conf;
	int ret;

	(void)cfg;
	if (!dhcp_can_reconfigure(st->conf, c)) {
		snprintf(err, errlen, "interfaces or lease-file changed");
		return -EINVAL;
	}
	ret = dhcp_db_rebind(&st->db, c);
	if (ret != 0) {
		snprintf(err, errlen, "out of memory rebuilding the lease indexes");
		return ret;
	}
	st->conf = c;
	st->srv.conf = c;
	return 0;
}

/* ---------------- replies ---------------- */

/* The frame of a reply: where it goes (d: its interface, addresses and
 * length) and its BOOTP bytes. */
static struct rte_mbuf *
dhcp_frame(struct dhcp_state *st, const struct dhcp_held *d, const uint8_t *payload)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(nfv_pktmbuf_pool());
	uint16_t iface = d->iface, vlan = st->conf->ifs[iface].vlan;
	size_t l2 = sizeof(struct rte_ether_hdr) + (vlan ? sizeof(struct rte_vlan_hdr) : 0);
	size_t total = l2 + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr) + d->len;
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *udp;
	uint8_t *p;

	if (m == NULL)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)total);
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	eth = (struct rte_ether_hdr *)p;
	rte_ether_addr_copy(&st->mac[iface], &eth->src_addr);
	if (d->bcast_mac)
		memset(&eth->dst_addr, 0xff, RTE_ETHER_ADDR_LEN);
	else
		memcpy(&eth->dst_addr, d->mac, RTE_ETHER_ADDR_LEN);
	if (vlan) {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		vh->vlan_tci = rte_cpu_to_be_16(vlan);
		vh->eth_proto = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	} else {
		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	}
	ip = (struct rte_ipv4_hdr *)(p + l2);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(total - l2));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = htonl(st->conf->ifs[iface].addr);
	ip->dst_addr = htonl(d->dst_ip);
	udp = (struct rte_udp_hdr *)(ip + 1);
	udp->src_port = rte_cpu_to_be_16(DHCP_SERVER_PORT);
	udp->dst_port = rte_cpu_to_be_16(d->dst_port);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + d->len));
	udp->dgram_cksum = 0;
	memcpy(udp + 1, payload, d->len);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	return m;
}

/* Replies leave in bursts: gathered while the punt ring is drained, sent
 * when the pass ends (dhcp_poll), the port changes or the burst is full. */
static void
dhcp_out_flush(struct dhcp_state *st)
{
	if (st->n_out == 0)
		return;
	nfv_ctl_tx(st->out_port, st->out, st->n_out);
	st->n_out = 0;
}

static void
dhcp_out(struct dhcp_state *st, uint16_t port, struct rte_mbuf *m)
{
	if (st->n_out && (st->out_port != port || st->n_out == DHCP_OUT_MAX))
		dhcp_out_flush(st);
	st->out_port = port;
	st->out[st->n_out++] = m;
}

static void
dhcp_journal_counters(struct nfv_vnf *vnf)
{
	struct dhcp_state *st = vnf->priv;

	dhcp_cp_count(vnf, DHCP_C_FSYNC, st->db.fsyncs - st->seen_fsyncs);
	dhcp_cp_count(vnf, DHCP_C_JREC, st->db.records - st->seen_records);
	st->seen_fsyncs = st->db.fsyncs;
	st->seen_records = st->db.records;
}

/* Send (ok) or drop (failed) the held ACKs of batches up to seq. */
static void
dhcp_release_held(struct nfv_vnf *vnf, uint64_t seq, bool ok)
{
	struct dhcp_state *st = vnf->priv;
	const struct dhcp_held *h;
	const uint8_t *bytes;

	while ((h = dhcp_hold_oldest(&st->hold, &bytes)) != NULL && h->seq <= seq) {
		if (ok) {
			struct rte_mbuf *out = dhcp_frame(st, h, bytes);

			if (out != NULL) {
				dhcp_cp_count(vnf, DHCP_C_ACK, 1);
				dhcp_out(st, st->dp[h->iface].port, out);
			} else {
				dhcp_cp_drop(vnf, NULL, DHCP_D_NO_MBUF);
			}
		} else {
			dhcp_cp_drop(vnf, NULL, DHCP_D_JOURNAL);
		}
		dhcp_hold_pop(&st->hold);
	}
}

/* Group commit progress: collect a finished batch, release its ACKs, hand
 * the records gathered meanwhile to the writer. With lease-sync: write the
 * new batch is written on the spot: its ACKs leave now too. */
static void
dhcp_progress(struct nfv_vnf *vnf)
{
	struct dhcp_state *st = vnf->priv;
	uint64_t seq = 0;
	int r = dhcp_db_commit_poll(&st->db, &seq);

	if (r != 0) {
		dhcp_journal_counters(vnf);
		dhcp_release_held(vnf, seq, r > 0);
	}
	dhcp_db_commit_start(&st->db);
	if (!st->db.conf->lease_fsync && (r = dhcp_db_commit_poll(&st->db, &seq)) != 0) {
		dhcp_journal_counters(vnf);
		dhcp_release_held(vnf, seq, r > 0);
	}
	dhcp_out_flush(st);
}

/* Blocking: everything journaled so far on disk, every held ACK out. */
static void
dhcp_flush(struct nfv_vnf *vnf)
{
	struct dhcp_state *st = vnf->priv;
	int ret = dhcp_db_commit(&st->db);

	dhcp_journal_counters(vnf);
	dhcp_release_held(vnf, UINT64_MAX, ret == 0);
	dhcp_out_flush(st);
}

static int
dhcp_find_iface(const struct dhcp_state *st, uint16_t port, uint16_t vlan, uint32_t dst_be)
{
	for (uint16_t i = 0; i < st->n_ifs; i++)
		if (st->dp[i].port == port && st->dp[i].vlan == vlan &&
		    (dst_be == st->dp[i].addr_be || dst_be == UINT32_MAX))
			return i;
	return -1;
}

/* Answer an ARP request for an interface address in place. */
static void
dhcp_arp(struct nfv_vnf *vnf, struct rte_mbuf *m)
{
	struct dhcp_state *st = vnf->priv;
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp;
	uint32_t tip;
	int i;

	if (m->data_len < md->l3_off + sizeof(*arp)) {
		dhcp_cp_drop(vnf, m, DHCP_D_BAD_FRAME);
		return;
	}
	arp = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, md->l3_off);
	tip = arp->arp_data.arp_tip;
	for (i = 0; i < st->n_ifs; i++)
		if (st->dp[i].port == md->in_port && st->dp[i].vlan == md->vlan &&
		    st->dp[i].addr_be == tip)
			break;
	if (i == st->n_ifs || arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
		dhcp_cp_drop(vnf, m, DHCP_D_BAD_FRAME);
		return;
	}
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	arp->arp_data.arp_tha = arp->arp_data.arp_sha;
	arp->arp_data.arp_tip = arp->arp_data.arp_sip;
	arp->arp_data.arp_sha = st->mac[i];
	arp->arp_data.arp_sip = tip;
	eth->dst_addr = eth->src_addr;
	eth->src_addr = st->mac[i];
	dhcp_cp_count(vnf, DHCP_C_ARP, 1);
	nfv_ctl_tx(md->in_port, &m, 1);
}

static void
dhcp_punt(struct nfv_vnf *vnf, struct rte_mbuf *m)
{
	struct dhcp_state *st = vnf->priv;
	const struct nfv_mbuf_meta *md = nfv_meta(m);
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const struct rte_ipv4_hdr *ip;
	const uint8_t *payload;
	size_t payload_len;
	uint64_t ipf = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	uint64_t l4f = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	struct dhcp_rx rx;
	uint16_t why = 0;
	bool journaled;
	struct dhcp_held dst;
	struct rte_mbuf *out;
	int iface, msg_ctr;

	if (((const uint8_t *)eth)[md->l3_off - 2] == 0x08 &&
	    ((const uint8_t *)eth)[md->l3_off - 1] == 0x06) {
		dhcp_arp(vnf, m);
		return;
	}
	if (rte_pktmbuf_is_contiguous(m) == 0 || m->data_len < md->l3_off) {
		dhcp_cp_drop(vnf, m, DHCP_D_BAD_FRAME);
		return;
	}
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, md->l3_off);
	/* lengths, fragments and both checksums (a port that verified one in
	 * hardware says so; "NONE": the data is good, the field not filled) */
	if (dhcp_ip_udp_check((const uint8_t *)ip, m->data_len - md->l3_off,
			      ipf == RTE_MBUF_F_RX_IP_CKSUM_GOOD ||
				      ipf == RTE_MBUF_F_RX_IP_CKSUM_NONE,
			      l4f == RTE_MBUF_F_RX_L4_CKSUM_GOOD ||
				      l4f == RTE_MBUF_F_RX_L4_CKSUM_NONE,
			      &payload, &payload_len, &why) != 0) {
		dhcp_cp_drop(vnf, m, why);
		return;
	}
	iface = dhcp_find_iface(st, md->in_port, md->vlan, ip->dst_addr);
	if (iface < 0) {
		dhcp_cp_drop(vnf, m, DHCP_D_BAD_FRAME);
		return;
	}
	if (dhcp_msg_parse(payload, payload_len, &st->msg, &why) != 0) {
		dhcp_cp_drop(vnf, m, why);
		return;
	}
	switch (st->msg.type) {
	case DHCP_DISCOVER:
		msg_ctr = DHCP_C_DISCOVER;
		break;
	case DHCP_REQUEST:
		msg_ctr = DHCP_C_REQUEST;
		break;
	case DHCP_DECLINE:
		msg_ctr = DHCP_C_DECLINE;
		break;
	case DHCP_RELEASE:
		msg_ctr = DHCP_C_RELEASE;
		break;
	default:
		msg_ctr = DHCP_C_INFORM;
		break;
	}
	dhcp_cp_count(vnf, (uint16_t)msg_ctr, 1);
	if (st->msg.hdr->giaddr != 0)
		dhcp_cp_count(vnf, DHCP_C_RELAYED, 1);
	rx.iface = iface;
	rx.bcast_dst = ip->dst_addr == UINT32_MAX;
	rx.src_ip = rte_be_to_cpu_32(ip->src_addr);
	memcpy(rx.src_mac, &eth->src_addr, 6);
	rx.now = dhcp_wall_now();
	if (dhcp_srv_handle(&st->srv, &st->msg, &rx, &st->reply, &why, &journaled) != 0) {
		dhcp_cp_drop(vnf, m, why);
		return;
	}
	if (nfv_meta(m)->flags & NFV_META_TRACE) { /* nfvctl trace: what the server did */
		static const char *const names[] = {"?", "DISCOVER", "OFFER", "REQUEST", "DECLINE",
						    "ACK", "NAK", "RELEASE", "INFORM"};
		const char *in = names[st->msg.type < RTE_DIM(names) ? st->msg.type : 0];
		uint32_t yi = 0;

		if (st->reply.len >= 20)
			memcpy(&yi, st->reply.buf + 16, 4); /* yiaddr */
		nfv_trace_ctl_note(vnf, m,
				   st->reply.type == DHCP_OFFER ? "server: %s answered with OFFER of %4"
				   : st->reply.type == DHCP_ACK ? "server: %s answered with ACK of %4"
				   : st->reply.type == DHCP_NAK ? "server: %s answered with NAK"
								: "server: %s handled, no reply",
				   in, yi, 0, 0);
	}
	/* the request's buffer is no longer needed (st->msg points into it) */
	rte_pktmbuf_free(m);
	if (st->reply.type == 0)
		return;
	if (journaled && st->db.writer_on) {
		/* group commit: the ACK leaves once its record is on disk, held
		 * meanwhile as its bytes (dhcp_hold.h). A disk that stalls
		 * (seconds-long fdatasyncs happen) must not hold without bound:
		 * past the hold's size the ACK is dropped (the binding is
		 * journaled and reaches the disk with the next batch; the
		 * client's retransmitted REQUEST gets its ACK then) and the
		 * control thread never blocks on the disk. The batch is started
		 * by dhcp_poll() once the punt ring is drained: one commit (one
		 * write) for the whole burst. */
		if (dhcp_hold_push(&st->hold, dhcp_db_next_seq(&st->db), (uint16_t)iface,
				   &st->reply) != 0)
			dhcp_cp_drop(vnf, NULL, DHCP_D_BACKLOG);
		return;
	}
	dhcp_held_of(&st->reply, (uint16_t)iface, &dst);
	out = dhcp_frame(st, &dst, st->reply.buf);
	if (out == NULL) {
		dhcp_cp_drop(vnf, NULL, DHCP_D_NO_MBUF);
		return;
	}
	dhcp_cp_count(vnf,
		      st->reply.type == DHCP_OFFER ? DHCP_C_OFFER
		      : st->reply.type == DHCP_NAK ? DHCP_C_NAK
						   : DHCP_C_ACK,
		      1);
	dhcp_out(st, st->dp[iface].port, out);
}

/* Every control-loop pass, after the punted packets: commit what the
 * burst journaled, and ACKs go out as soon as their batch is on disk, not
 * at the next tick. In flight: the ACKs still held. */
static unsigned int
dhcp_poll(struct nfv_vnf *vnf)
{
	struct dhcp_state *st = vnf->priv;

	dhcp_out_flush(st);
	if (dhcp_hold_count(&st->hold) == 0 && !st->db.busy)
		return 0;
	dhcp_progress(vnf);
	return dhcp_hold_count(&st->hold);
}

static void
dhcp_tick(struct nfv_vnf *vnf, uint64_t now_ms)
{
	struct dhcp_state *st = vnf->priv;

	(void)now_ms;
	dhcp_progress(vnf);
	if (dhcp_db_compact_poll(&st->db) == 1)
		dhcp_cp_count(vnf, DHCP_C_COMPACT, 1);
	dhcp_db_compact_start(&st->db, dhcp_wall_now(), false);
}

/* ---------------- stats and commands ---------------- */

static void
dhcp_hex(const uint8_t *p, size_t n, char *out, size_t size)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && o + 4 <= size; i++)
		o += (size_t)snprintf(out + o, size - o, i ? ":%02x" : "%02x", p[i]);
}

static void
dhcp_stats(struct nfv_vnf *vnf, json_t *out)
{
	struct dhcp_state *st = vnf->priv;
	uint64_t now = dhcp_wall_now(), n[DHCP_L_DECLINED + 1] = {0};

	for (uint32_t i = 0; i < st->db.n; i++) {
		const struct dhcp_lease *l = &st->db.chunks[i >> 12][i & 4095];

		if (l->state == DHCP_L_FREE || l->state == DHCP_L_RELEASED || l->expire > now)
			n[l->state]++;
	}
	json_object_set_new(out, "leases",
			    json_pack("{s:I,s:I,s:I}", "bound", (json_int_t)n[DHCP_L_BOUND],
				      "offered", (json_int_t)n[DHCP_L_OFFERED], "declined",
				      (json_int_t)n[DHCP_L_DECLINED]));
	json_object_set_new(
		out, "journal",
		json_pack("{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:I,s:I}", "file", st->db.path,
			  "sync", st->conf->lease_fsync ? "fdatasync" : "write", "held_acks",
			  (json_int_t)dhcp_hold_count(&st->hold), "records",
			  (json_int_t)st->db.records, "fsyncs", (json_int_t)st->db.fsyncs,
			  "write_errors", (json_int_t)st->db.write_errors, "commit_max_us",
			  (json_int_t)atomic_load(&st->db.commit_max_us), "compactions",
			  (json_int_t)st->db.compactions, "compacting", st->db.compacting,
			  "corrupt_records", (json_int_t)st->db.corrupt_records, "torn_tail_bytes",
			  (json_int_t)st->db.torn_tail_bytes));
}

static int
dhcp_ctl(struct nfv_vnf *vnf, const char *cmd, json_t *args, json_t **result, char *err,
	 size_t errlen)
{
	struct dhcp_state *st = vnf->priv;
	uint64_t now = dhcp_wall_now();

	(void)args;
	if (strcmp(cmd, "leases") == 0) {
		json_t *arr = json_array();

		for (uint32_t i = 0; i < st->db.n; i++) {
			const struct dhcp_lease *l = &st->db.chunks[i >> 12][i & 4095];
			char ip[16], mac[24], key[3 * DHCP_KEY_MAX + 1];

			if (l->state != DHCP_L_BOUND && l->state != DHCP_L_DECLINED &&
			    l->state != DHCP_L_OFFERED)
				continue;
			if (l->expire <= now)
				continue;
			dhcp_ip_str(l->addr, ip, sizeof(ip));
			dhcp_hex(l->chaddr, 6, mac, sizeof(mac));
			if (l->key_len == DHCP_KEY_MAX && l->key[0] == 'd') {
				/* a long client id: its first 30 bytes */
				dhcp_hex(l->key + 2, 30, key, sizeof(key) - 4);
				strcat(key, "...");
			} else {
				dhcp_hex(l->key_len ? l->key + 1 : l->key,
					 l->key_len ? (size_t)l->key_len - 1 : 0, key,
					 sizeof(key));
			}
			json_array_append_new(
				arr, json_pack("{s:s,s:s,s:s,s:s,s:I,s:I}", "address", ip, "state",
					       dhcp_lstate_names[l->state], "mac", mac, "client-id",
					       l->key_len && l->key[0] != 'h' ? key : "",
					       "expires-in", (json_int_t)(l->expire - now),
					       "expires", (json_int_t)l->expire));
		}
		*result = json_pack("{s:o}", "leases", arr);
		return 0;
	}
	if (strcmp(cmd, "compact") == 0) {
		int ret;

		dhcp_flush(vnf);
		ret = dhcp_db_compact_start(&st->db, now, true);
		if (ret < 0) {
			snprintf(err, errlen, "compaction failed: %s", strerror(-ret));
			return ret;
		}
		*result = json_pack("{s:b}", "started", ret == 1);
		return 0;
	}
	snprintf(err, errlen, "unknown command \"%s\" (leases, compact)", cmd);
	return -EINVAL;
}

static struct vnf_class dhcp_class = {
	.schema = &dhcp_schema,
	.create = dhcp_create,
	.destroy = dhcp_destroy,
	.process = dhcp_process,
	.reconfigure = dhcp_reconfigure,
	.can_reconfigure = dhcp_can_reconfigure,
	.punt = dhcp_punt,
	.tick = dhcp_tick,
	.poll = dhcp_poll,
	.stats = dhcp_stats,
	.ctl = dhcp_ctl,
	.counter_names = dhcp_counter_names,
	.n_counters = DHCP_C_MAX,
	.drop_names = dhcp_drop_names,
	.drop_descs = dhcp_drop_descs,
	.n_drops = DHCP_D_MAX,
};

VNF_CLASS_REGISTER(dhcp_class)
