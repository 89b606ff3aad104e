/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd DHCP server - the RFC 2131 server state machine: DISCOVER/OFFER,
 * REQUEST (SELECTING, INIT-REBOOT, RENEWING, REBINDING), ACK/NAK, DECLINE,
 * RELEASE, INFORM; reply destination rules of section 4.1; option 82 echo.
 * No DPDK: it works on parsed messages and fills a struct dhcp_reply.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "dhcp.h"

static void
dhcp_reply_init(struct dhcp_reply *r, const struct dhcp_hdr *req, uint8_t type)
{
	struct dhcp_hdr *h = (struct dhcp_hdr *)r->buf;

	memset(r->buf, 0, DHCP_MIN_LEN);
	h->op = 2;
	h->htype = req->htype;
	h->hlen = req->hlen;
	h->xid = req->xid;
	h->flags = req->flags;
	h->giaddr = req->giaddr;
	memcpy(h->chaddr, req->chaddr, sizeof(h->chaddr));
	h->cookie = htonl(DHCP_MAGIC);
	r->type = type;
	r->len = DHCP_MIN_LEN;
	r->buf[r->len++] = DHCP_OPT_MSG_TYPE;
	r->buf[r->len++] = 1;
	r->buf[r->len++] = type;
}

/* Append an option if it fits below limit (END excluded). */
static int
dhcp_reply_opt(struct dhcp_reply *r, uint8_t code, const void *data, size_t len, size_t limit)
{
	if (len > 255 || r->len + 2 + len > limit)
		return -ENOSPC;
	r->buf[r->len++] = code;
	r->buf[r->len++] = (uint8_t)len;
	memcpy(r->buf + r->len, data, len);
	r->len += len;
	return 0;
}

static void
dhcp_reply_u32(struct dhcp_reply *r, uint8_t code, uint32_t host, size_t limit)
{
	uint32_t v = htonl(host);

	dhcp_reply_opt(r, code, &v, 4, limit);
}

static bool
dhcp_prl_has(const uint8_t *prl, uint16_t n, uint8_t code)
{
	return prl != NULL && memchr(prl, code, n) != NULL;
}

/* Subnet options: the subnet mask first (RFC 2132 3.3: before the router
 * option), then the requested ones (in the client's order, each once even
 * if asked for twice: RFC 2131 4.3.1), then the rest, each while it fits;
 * option 82 and END are kept room for. */
static void
dhcp_reply_opts(struct dhcp_reply *r, const struct dhcp_msg *m,
		const struct dhcp_subnet_conf *sn)
{
	uint16_t prl_n = 0, ri_n = 0, maxsz_n = 0;
	const uint8_t *prl = dhcp_msg_opt(m, DHCP_OPT_PRL, &prl_n);
	const uint8_t *ri = dhcp_msg_opt(m, DHCP_OPT_RELAY_INFO, &ri_n);
	const uint8_t *mx = dhcp_msg_opt(m, DHCP_OPT_MAX_SIZE, &maxsz_n);
	size_t limit = 576 - 28; /* RFC 2131: a client must accept 576-byte IP */

	if (mx != NULL) {
		size_t want = (size_t)((mx[0] << 8) | mx[1]);

		if (want > 576)
			limit = want - 28 < DHCP_REPLY_MAX ? want - 28 : DHCP_REPLY_MAX;
	}
	limit -= 1 + (ri != NULL && ri_n <= 255 ? 2u + ri_n : 0u);
	if (sn != NULL) {
		for (uint16_t i = 0; i < sn->opts.n; i++)
			if (sn->opts.opt[i].code == DHCP_OPT_SUBNET_MASK)
				dhcp_reply_opt(r, sn->opts.opt[i].code, sn->opts.opt[i].data,
					       sn->opts.opt[i].len, limit);
		for (uint16_t k = 0; prl != NULL && k < prl_n; k++) {
			if (prl[k] == DHCP_OPT_SUBNET_MASK || dhcp_prl_has(prl, k, prl[k]))
				continue; /* sent already */
			for (uint16_t i = 0; i < sn->opts.n; i++)
				if (sn->opts.opt[i].code == prl[k])
					dhcp_reply_opt(r, sn->opts.opt[i].code,
						       sn->opts.opt[i].data, sn->opts.opt[i].len,
						       limit);
		}
		for (uint16_t i = 0; i < sn->opts.n; i++)
			if (sn->opts.opt[i].code != DHCP_OPT_SUBNET_MASK &&
			    !dhcp_prl_has(prl, prl_n, sn->opts.opt[i].code))
				dhcp_reply_opt(r, sn->opts.opt[i].code, sn->opts.opt[i].data,
					       sn->opts.opt[i].len, limit);
	}
	if (ri != NULL && ri_n <= 255)
		dhcp_reply_opt(r, DHCP_OPT_RELAY_INFO, ri, ri_n, limit + 2 + ri_n);
}

static void
dhcp_reply_end(struct dhcp_reply *r)
{
	r->buf[r->len++] = DHCP_OPT_END;
	/* BOOTP minimum of 300 bytes (RFC 1542 2.1) */
	while (r->len < 300)
		r->buf[r->len++] = DHCP_OPT_PAD;
}

/* RFC 2131 4.1: where the reply goes. */
static void
dhcp_reply_dest(struct dhcp_reply *r, const struct dhcp_msg *m, const struct dhcp_rx *rx)
{
	const struct dhcp_hdr *q = m->hdr;
	struct dhcp_hdr *h = (struct dhcp_hdr *)r->buf;

	r->bcast_mac = false;
	memcpy(r->mac, rx->src_mac, 6);
	if (q->giaddr != 0) {
		r->dst_ip = ntohl(q->giaddr);
		r->dst_port = DHCP_SERVER_PORT;
		if (r->type == DHCP_NAK)
			h->flags |= htons(DHCP_FLAG_BROADCAST);
		return;
	}
	r->dst_port = DHCP_CLIENT_PORT;
	if (r->type == DHCP_NAK) {
		r->dst_ip = 0xffffffffu;
		r->bcast_mac = true;
	} else if (q->ciaddr != 0) {
		r->dst_ip = ntohl(q->ciaddr);
	} else if (m->type == DHCP_INFORM) {
		/* no ciaddr (RFC 2131 4.3.5 says it MUST be there): answer the
		 * address the INFORM came from, else broadcast; never yiaddr,
		 * which is 0 */
		if (rx->src_ip != 0 && rx->src_ip != 0xffffffffu) {
			r->dst_ip = rx->src_ip;
		} else {
			r->dst_ip = 0xffffffffu;
			r->bcast_mac = true;
		}
	} else if (ntohs(q->flags) & DHCP_FLAG_BROADCAST) {
		r->dst_ip = 0xffffffffu;
		r->bcast_mac = true;
	} else {
		r->dst_ip = ntohl(h->yiaddr);
		memcpy(r->mac, q->chaddr, 6);
	}
}

/* Client key: from option 61 (dhcp_cid_key), else 'h' + chaddr. */
static uint8_t
dhcp_client_key(const struct dhcp_msg *m, uint8_t key[DHCP_KEY_MAX])
{
	uint16_t n = 0;
	const uint8_t *cid = dhcp_msg_opt(m, DHCP_OPT_CLIENT_ID, &n);

	if (cid != NULL && n >= 2 && n <= DHCP_CID_MAX)
		return dhcp_cid_key(cid, n, key);
	key[0] = 'h';
	memcpy(key + 1, m->hdr->chaddr, 6);
	return 7;
}

static void
dhcp_lease_times(const struct dhcp_subnet_conf *sn, uint32_t *lt, uint32_t *t1, uint32_t *t2)
{
	/* derived at configuration time: T1 < T2 < lease */
	*lt = sn->lease_time;
	*t1 = sn->t1;
	*t2 = sn->t2;
}

static void
dhcp_build(struct dhcp_srv *s, const struct dhcp_msg *m, const struct dhcp_rx *rx,
	   const struct dhcp_subnet_conf *sn, uint8_t type, uint32_t yiaddr, bool times,
	   struct dhcp_reply *r)
{
	struct dhcp_hdr *h = (struct dhcp_hdr *)r->buf;
	uint32_t sid = s->conf->ifs[rx->iface].addr;
	size_t limit = 576 - 28 - 1;

	dhcp_reply_init(r, m->hdr, type);
	h->yiaddr = htonl(yiaddr);
	if (type == DHCP_ACK && m->type == DHCP_INFORM)
		h->ciaddr = m->hdr->ciaddr;
	dhcp_reply_u32(r, DHCP_OPT_SERVER_ID, sid, limit);
	{
		/* RFC 6842: the client identifier goes back in every reply */
		uint16_t n = 0;
		const uint8_t *cid = dhcp_msg_opt(m, DHCP_OPT_CLIENT_ID, &n);

		if (cid != NULL)
			dhcp_reply_opt(r, DHCP_OPT_CLIENT_ID, cid, n, limit);
	}
	if (type == DHCP_NAK) {
		static const char msg[] = "requested address not available";

		dhcp_reply_opt(r, DHCP_OPT_MESSAGE, msg, sizeof(msg) - 1, limit);
		dhcp_reply_opts(r, m, NULL);
	} else {
		if (times) {
			uint32_t lt, t1, t2;

			dhcp_lease_times(sn, &lt, &t1, &t2);
			dhcp_reply_u32(r, DHCP_OPT_LEASE_TIME, lt, limit);
			dhcp_reply_u32(r, DHCP_OPT_T1, t1, limit);
			dhcp_reply_u32(r, DHCP_OPT_T2, t2, limit);
		}
		dhcp_reply_opts(r, m, sn);
	}
	dhcp_reply_end(r);
	dhcp_reply_dest(r, m, rx);
}

static struct dhcp_lease *
dhcp_bind(struct dhcp_srv *s, uint16_t si, uint32_t addr, const uint8_t *key, uint8_t klen,
	  const struct dhcp_msg *m, uint64_t now)
{
	const struct dhcp_subnet_conf *sn = &s->conf->subnets[si];

	return dhcp_db_set(s->db, si, addr, key, klen, m->hdr->chaddr, DHCP_L_BOUND,
			   now + sn->lease_time, true);
}

/* Does the client hold addr (bound or offered)? */
static bool
dhcp_holds(const struct dhcp_lease *l, uint32_t addr, const uint8_t *key, uint8_t klen)
{
	return l != NULL && l->addr == addr && l->key_len == klen &&
	       memcmp(l->key, key, klen) == 0 &&
	       (l->state == DHCP_L_BOUND || l->state == DHCP_L_OFFERED);
}

int
dhcp_srv_handle(struct dhcp_srv *s, const struct dhcp_msg *m, const struct dhcp_rx *rx,
		struct dhcp_reply *r, uint16_t *why, bool *journaled)
{
	const struct dhcp_conf *c = s->conf;
	const struct dhcp_hdr *q = m->hdr;
	uint32_t sid = c->ifs[rx->iface].addr;
	uint32_t giaddr = ntohl(q->giaddr), ciaddr = ntohl(q->ciaddr);
	uint32_t req_sid = ntohl(dhcp_msg_u32(m, DHCP_OPT_SERVER_ID));
	uint32_t req_addr = ntohl(dhcp_msg_u32(m, DHCP_OPT_REQ_ADDR));
	const struct dhcp_subnet_conf *sn;
	struct dhcp_lease *l, *at;
	uint8_t key[DHCP_KEY_MAX], klen;
	uint32_t addr;
	int si;

	r->type = 0;
	*journaled = false;
	if (giaddr != 0 && !c->relay) {
		*why = DHCP_D_RELAY_OFF;
		return -EINVAL;
	}
	si = dhcp_conf_subnet(c, giaddr != 0 ? giaddr : sid);
	if (si < 0) {
		*why = DHCP_D_NO_SUBNET;
		return -EINVAL;
	}
	sn = &c->subnets[si];
	klen = dhcp_client_key(m, key);
	l = dhcp_db_by_key(s->db, (uint16_t)si, key, klen);

	switch (m->type) {
	case DHCP_DISCOVER:
		addr = dhcp_db_choose(s->db, (uint16_t)si, key, klen, q->chaddr, req_addr, rx->now);
		if (addr == 0) {
			*why = DHCP_D_EXHAUSTED;
			return -EINVAL;
		}
		at = dhcp_db_by_addr(s->db, addr);
		if (!(at != NULL && at->state == DHCP_L_BOUND && dhcp_holds(at, addr, key, klen)))
			dhcp_db_set(s->db, (uint16_t)si, addr, key, klen, q->chaddr,
				    DHCP_L_OFFERED, rx->now + c->offer_time, false);
		dhcp_build(s, m, rx, sn, DHCP_OFFER, addr, true, r);
		return 0;

	case DHCP_REQUEST:
		if (dhcp_msg_has(m, DHCP_OPT_SERVER_ID)) {
			/* SELECTING */
			if (req_sid != sid) {
				if (l != NULL && l->state == DHCP_L_OFFERED)
					dhcp_db_set(s->db, (uint16_t)si, l->addr, NULL, 0, NULL,
						    DHCP_L_FREE, 0, false);
				*why = DHCP_D_OTHER_SERVER;
				return -EINVAL;
			}
			addr = req_addr ? req_addr : ciaddr;
			/* RFC 2131 4.3.2/3.1 step 4: the request names the
			 * address of our offer; one the client was not offered
			 * (nor holds) is not what it selected: NAK, even when
			 * free. A client we have no record of (an offer lost in
			 * a restart) gets the address if it is free. */
			if (l != NULL && (l->state == DHCP_L_OFFERED || l->state == DHCP_L_BOUND) &&
			    l->addr != addr) {
				dhcp_build(s, m, rx, sn, DHCP_NAK, 0, false, r);
				return 0;
			}
		} else if (req_addr != 0) {
			/* INIT-REBOOT (RFC 2131 4.3.2): wrong network -> NAK; no
			 * record of the client -> silent; the client's notion of
			 * its address is not its lease -> NAK */
			addr = req_addr;
			if (dhcp_conf_subnet(c, addr) != si) {
				dhcp_build(s, m, rx, sn, DHCP_NAK, 0, false, r);
				return 0;
			}
			if (l == NULL) {
				*why = DHCP_D_UNKNOWN_CLIENT;
				return -EINVAL;
			}
			if (l->addr != addr) {
				dhcp_build(s, m, rx, sn, DHCP_NAK, 0, false, r);
				return 0;
			}
		} else if (ciaddr != 0) {
			/* RENEWING (unicast) or REBINDING (broadcast) */
			addr = ciaddr;
		} else {
			*why = DHCP_D_BAD_REQUEST;
			return -EINVAL;
		}
		if (dhcp_conf_subnet(c, addr) == si &&
		    (dhcp_holds(l, addr, key, klen) ||
		     dhcp_db_available(s->db, (uint16_t)si, addr, key, klen, q->chaddr, rx->now))) {
			dhcp_bind(s, (uint16_t)si, addr, key, klen, m, rx->now);
			dhcp_build(s, m, rx, sn, DHCP_ACK, addr, true, r);
			*journaled = true;
			return 0;
		}
		if (ciaddr != 0 && req_addr == 0 && (rx->bcast_dst || giaddr != 0) &&
		    dhcp_conf_subnet(c, addr) == si && dhcp_db_by_addr(s->db, addr) == NULL) {
			/* REBINDING (broadcast, or through a relay: RFC 2131
			 * 4.3.2, a renewal is unicast to us and never relayed)
			 * with no record of the client: stay silent */
			*why = DHCP_D_UNKNOWN_CLIENT;
			return -EINVAL;
		}
		dhcp_build(s, m, rx, sn, DHCP_NAK, 0, false, r);
		return 0;

	case DHCP_DECLINE:
	case DHCP_RELEASE:
		/* RFC 2131 table 5: both MUST carry the server identifier (a
		 * message for no server in particular frees nothing; Kea
		 * drops them too); the address: DECLINE's requested one,
		 * RELEASE's ciaddr, which the client must hold */
		addr = m->type == DHCP_DECLINE ? req_addr : ciaddr;
		if (!dhcp_msg_has(m, DHCP_OPT_SERVER_ID)) {
			*why = DHCP_D_NO_SERVER_ID;
			return -EINVAL;
		}
		if (req_sid != sid || addr == 0 || !dhcp_holds(l, addr, key, klen)) {
			*why = DHCP_D_NOT_OWNER;
			return -EINVAL;
		}
		if (m->type == DHCP_DECLINE)
			dhcp_db_set(s->db, (uint16_t)si, addr, (const uint8_t *)"", 0, q->chaddr,
				    DHCP_L_DECLINED, rx->now + c->decline_time, true);
		else
			dhcp_db_set(s->db, (uint16_t)si, addr, key, klen, q->chaddr,
				    DHCP_L_RELEASED, rx->now, true);
		return 0;

	case DHCP_INFORM:
		/* RFC 2131 4.3.5: the address checked for consistency with
		 * the network (never for a lease) */
		addr = ciaddr != 0 ? ciaddr : rx->src_ip;
		if (addr != 0 && dhcp_conf_subnet(c, addr) != si) {
			*why = DHCP_D_WRONG_NETWORK;
			return -EINVAL;
		}
		dhcp_build(s, m, rx, sn, DHCP_ACK, 0, false, r);
		return 0;

	default:
		*why = DHCP_D_BAD_TYPE;
		return -EINVAL;
	}
}
