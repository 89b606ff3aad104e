/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd DHCP server - lease database: the lease table, its indexes and
 * address allocation.
 *
 * Leases live in chunks (stable pointers) indexed by address and by
 * (subnet, client key). Every state change that matters after a crash
 * (BOUND, RELEASED, DECLINED, FREE of a bound address) is handed to the
 * on-disk journal (dhcp_journal.c), which appends a fixed-size CRC-protected
 * record to the pending buffer; dhcp_db_commit() writes the buffer and
 * fdatasyncs once for all of them (group commit), and the caller sends the
 * ACKs only after that. Control thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"
#include "dhcp_journal.h"

const char *const dhcp_lstate_names[] = {"free", "offered", "bound", "released", "declined", NULL};

/* ---------------- index ---------------- */

static uint32_t
dhcp_hash(uint32_t seed, const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u ^ seed;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h;
}

static uint32_t
dhcp_hash_addr(uint32_t addr)
{
	uint32_t h = addr * 0x9e3779b1u;

	return h ^ (h >> 16);
}

static int
dhcp_idx_init(struct dhcp_idx *x, uint32_t size)
{
	x->mask = size - 1;
	x->val = calloc(size, sizeof(*x->val));
	x->hash = calloc(size, sizeof(*x->hash));
	return x->val && x->hash ? 0 : -ENOMEM;
}

static void
dhcp_idx_free(struct dhcp_idx *x)
{
	free(x->val);
	free(x->hash);
	x->val = x->hash = NULL;
}

typedef bool (*dhcp_match_fn)(const void *ctx, uint32_t val, const void *key);

static uint32_t *
dhcp_idx_slot(struct dhcp_idx *x, uint32_t h, dhcp_match_fn match, const void *ctx, const void *key)
{
	for (uint32_t i = h & x->mask;; i = (i + 1) & x->mask) {
		if (x->val[i] == 0)
			return NULL;
		if (x->hash[i] == h && match(ctx, x->val[i] - 1, key))
			return &x->val[i];
	}
}

static int dhcp_idx_insert(struct dhcp_idx *x, uint32_t h, uint32_t val, uint32_t *count);

static int
dhcp_idx_grow(struct dhcp_idx *x)
{
	struct dhcp_idx n;
	uint32_t count = 0;

	if (dhcp_idx_init(&n, (x->mask + 1) * 2) != 0) {
		dhcp_idx_free(&n);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i <= x->mask; i++)
		if (x->val[i] != 0)
			dhcp_idx_insert(&n, x->hash[i], x->val[i] - 1, NULL);
	(void)count;
	dhcp_idx_free(x);
	*x = n;
	return 0;
}

/* count: entries in the index (grows it past half full). */
static int
dhcp_idx_insert(struct dhcp_idx *x, uint32_t h, uint32_t val, uint32_t *count)
{
	if (count != NULL) {
		if ((*count + 1) * 2 > x->mask + 1 && dhcp_idx_grow(x) != 0)
			return -ENOMEM;
		(*count)++;
	}
	for (uint32_t i = h & x->mask;; i = (i + 1) & x->mask) {
		if (x->val[i] == 0) {
			x->val[i] = val + 1;
			x->hash[i] = h;
			return 0;
		}
	}
}

/* Backward-shift delete of the slot at s (a pointer into x->val). */
static void
dhcp_idx_delete(struct dhcp_idx *x, uint32_t *s, uint32_t *count)
{
	uint32_t i = (uint32_t)(s - x->val), j = i;

	x->val[i] = 0;
	for (;;) {
		uint32_t home;

		j = (j + 1) & x->mask;
		if (x->val[j] == 0)
			break;
		home = x->hash[j] & x->mask;
		/* move j to i unless its home lies cyclically in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			x->val[i] = x->val[j];
			x->hash[i] = x->hash[j];
			x->val[j] = 0;
			i = j;
		}
	}
	if (count != NULL)
		(*count)--;
}

/* ---------------- leases ---------------- */

struct dhcp_key_ref {
	uint16_t subnet;
	uint8_t len;
	const uint8_t *key;
};

static bool
dhcp_match_addr(const void *ctx, uint32_t val, const void *key)
{
	return dhcp_lease_at(ctx, val)->addr == *(const uint32_t *)key;
}

static bool
dhcp_match_key(const void *ctx, uint32_t val, const void *key)
{
	const struct dhcp_lease *l = dhcp_lease_at(ctx, val);
	const struct dhcp_key_ref *k = key;

	return l->subnet == k->subnet && l->key_len == k->len &&
	       memcmp(l->key, k->key, k->len) == 0;
}

static bool
dhcp_match_resv_addr(const void *ctx, uint32_t val, const void *key)
{
	const struct dhcp_conf *c = ctx;

	return c->subnets[val >> 22].resv[val & (DHCP_MAX_POOL - 1)].addr == *(const uint32_t *)key;
}

static bool
dhcp_match_resv_key(const void *ctx, uint32_t val, const void *key)
{
	const struct dhcp_conf *c = ctx;
	const struct dhcp_resv *r = &c->subnets[val >> 22].resv[val & (DHCP_MAX_POOL - 1)];
	const struct dhcp_key_ref *k = key;

	return (val >> 22) == k->subnet && r->key_len == k->len &&
	       memcmp(r->key, k->key, k->len) == 0;
}

static uint32_t
dhcp_key_hash(uint16_t subnet, const uint8_t *key, uint8_t len)
{
	return dhcp_hash(subnet, key, len);
}

struct dhcp_lease *
dhcp_db_by_addr(struct dhcp_db *db, uint32_t addr)
{
	uint32_t *s = dhcp_idx_slot(&db->by_addr, dhcp_hash_addr(addr), dhcp_match_addr, db, &addr);

	return s ? dhcp_lease_at(db, *s - 1) : NULL;
}

struct dhcp_lease *
dhcp_db_by_key(struct dhcp_db *db, uint16_t subnet, const uint8_t *key, uint8_t key_len)
{
	struct dhcp_key_ref k = {subnet, key_len, key};
	uint32_t *s = dhcp_idx_slot(&db->by_key, dhcp_key_hash(subnet, key, key_len),
				    dhcp_match_key, db, &k);

	return s ? dhcp_lease_at(db, *s - 1) : NULL;
}

static uint32_t *
dhcp_resv_by_mac(struct dhcp_db *db, uint16_t subnet, const uint8_t mac[6])
{
	uint8_t hk[7] = {'h'};
	struct dhcp_key_ref k = {subnet, 7, hk};

	memcpy(hk + 1, mac, 6);
	return dhcp_idx_slot(&db->resv_key, dhcp_key_hash(subnet, hk, 7), dhcp_match_resv_key,
			     db->conf, &k);
}

uint32_t
dhcp_db_resv_for(struct dhcp_db *db, uint16_t subnet, const uint8_t *key, uint8_t key_len,
		 const uint8_t *chaddr)
{
	struct dhcp_key_ref k = {subnet, key_len, key};
	uint32_t *s = dhcp_idx_slot(&db->resv_key, dhcp_key_hash(subnet, key, key_len),
				    dhcp_match_resv_key, db->conf, &k);
	uint32_t v;

	/* a client known by its client id: a reservation by the MAC in a
	 * type-1 id (Ethernet + MAC, RFC 2132 9.14), else by its chaddr */
	if (s == NULL && key_len == 8 && key[0] == 'c' && key[1] == 1)
		s = dhcp_resv_by_mac(db, subnet, key + 2);
	if (s == NULL && key_len > 0 && key[0] != 'h' && chaddr != NULL)
		s = dhcp_resv_by_mac(db, subnet, chaddr);
	if (s == NULL)
		return 0;
	v = *s - 1;
	return db->conf->subnets[v >> 22].resv[v & (DHCP_MAX_POOL - 1)].addr;
}

bool
dhcp_db_addr_reserved(struct dhcp_db *db, uint32_t addr)
{
	return dhcp_idx_slot(&db->resv_addr, dhcp_hash_addr(addr), dhcp_match_resv_addr, db->conf,
			     &addr) != NULL;
}

static uint32_t
dhcp_pool_size(const struct dhcp_subnet_conf *sn)
{
	uint32_t n = 0;

	for (uint16_t i = 0; i < sn->n_ranges; i++)
		n += sn->ranges[i].hi - sn->ranges[i].lo + 1;
	return n;
}

static uint32_t
dhcp_pool_addr(const struct dhcp_subnet_conf *sn, uint32_t off)
{
	for (uint16_t i = 0; i < sn->n_ranges; i++) {
		uint32_t n = sn->ranges[i].hi - sn->ranges[i].lo + 1;

		if (off < n)
			return sn->ranges[i].lo + off;
		off -= n;
	}
	return 0;
}

bool
dhcp_db_available(struct dhcp_db *db, uint16_t subnet, uint32_t addr, const uint8_t *key,
		  uint8_t key_len, const uint8_t *chaddr, uint64_t now)
{
	const struct dhcp_subnet_conf *sn = &db->conf->subnets[subnet];
	struct dhcp_lease *l;
	bool mine;

	if (dhcp_db_addr_reserved(db, addr)) {
		if (dhcp_db_resv_for(db, subnet, key, key_len, chaddr) != addr)
			return false;
	} else if (!dhcp_subnet_in_pool(sn, addr)) {
		return false;
	}
	l = dhcp_db_by_addr(db, addr);
	if (l == NULL || l->state == DHCP_L_FREE || l->state == DHCP_L_RELEASED)
		return true;
	mine = l->subnet == subnet && l->key_len == key_len && key_len > 0 &&
	       memcmp(l->key, key, key_len) == 0;
	if (mine && l->state != DHCP_L_DECLINED)
		return true;
	return l->expire <= now;
}

uint32_t
dhcp_db_choose(struct dhcp_db *db, uint16_t subnet, const uint8_t *key, uint8_t key_len,
	       const uint8_t *chaddr, uint32_t requested, uint64_t now)
{
	const struct dhcp_subnet_conf *sn = &db->conf->subnets[subnet];
	uint32_t addr = dhcp_db_resv_for(db, subnet, key, key_len, chaddr), n;
	struct dhcp_lease *l;

	if (addr != 0)
		return dhcp_db_available(db, subnet, addr, key, key_len, chaddr, now) ? addr : 0;
	l = dhcp_db_by_key(db, subnet, key, key_len);
	if (l != NULL && l->state != DHCP_L_DECLINED &&
	    dhcp_db_available(db, subnet, l->addr, key, key_len, chaddr, now))
		return l->addr;
	if (requested != 0 && dhcp_conf_subnet(db->conf, requested) == subnet &&
	    dhcp_db_available(db, subnet, requested, key, key_len, chaddr, now))
		return requested;
	n = dhcp_pool_size(sn);
	for (uint32_t k = 0; k < n; k++) {
		uint32_t off = (db->cursor[subnet] + k) % n;

		addr = dhcp_pool_addr(sn, off);
		if (dhcp_db_available(db, subnet, addr, key, key_len, chaddr, now)) {
			db->cursor[subnet] = (off + 1) % n;
			return addr;
		}
	}
	return 0;
}

/* ---------------- state changes ---------------- */

static struct dhcp_lease *
dhcp_lease_new(struct dhcp_db *db, uint32_t addr)
{
	struct dhcp_lease **chunks = db->chunks;
	struct dhcp_lease *l;

	if (db->n == db->cap) {
		uint32_t nchunks = db->cap >> DHCP_CHUNK_SHIFT;
		struct dhcp_lease **nc = realloc(chunks, (nchunks + 1) * sizeof(*nc));

		if (nc == NULL)
			return NULL;
		db->chunks = nc;
		nc[nchunks] = calloc(DHCP_CHUNK, sizeof(struct dhcp_lease));
		if (nc[nchunks] == NULL)
			return NULL;
		db->cap += DHCP_CHUNK;
	}
	if (dhcp_idx_insert(&db->by_addr, dhcp_hash_addr(addr), db->n, &db->n) != 0)
		return NULL;
	l = dhcp_lease_at(db, db->n - 1);
	memset(l, 0, sizeof(*l));
	l->addr = addr;
	return l;
}

static uint32_t
dhcp_lease_index(struct dhcp_db *db, const struct dhcp_lease *l)
{
	uint32_t *s =
		dhcp_idx_slot(&db->by_addr, dhcp_hash_addr(l->addr), dhcp_match_addr, db, &l->addr);

	return *s - 1;
}

static void
dhcp_unkey(struct dhcp_db *db, struct dhcp_lease *l)
{
	struct dhcp_key_ref k = {l->subnet, l->key_len, l->key};
	uint32_t *s;

	if (l->key_len == 0)
		return;
	s = dhcp_idx_slot(&db->by_key, dhcp_key_hash(l->subnet, l->key, l->key_len), dhcp_match_key,
			  db, &k);
	if (s != NULL && dhcp_lease_at(db, *s - 1) == l)
		dhcp_idx_delete(&db->by_key, s, NULL);
	l->key_len = 0;
}

struct dhcp_lease *
dhcp_db_set(struct dhcp_db *db, uint16_t subnet, uint32_t addr, const uint8_t *key, uint8_t key_len,
	    const uint8_t chaddr[6], enum dhcp_lstate st, uint64_t expire, bool journal)
{
	struct dhcp_lease *l = dhcp_db_by_addr(db, addr);

	if (l == NULL && (l = dhcp_lease_new(db, addr)) == NULL)
		return NULL;
	if (key != NULL) {
		bool same = l->key_len == key_len && l->subnet == subnet &&
			    memcmp(l->key, key, key_len) == 0;

		if (!same) {
			struct dhcp_lease *o =
				key_len ? dhcp_db_by_key(db, subnet, key, key_len) : NULL;

			dhcp_unkey(db, l);
			if (o != NULL && o != l) {
				/* one address per client and subnet: drop the old one */
				bool was_bound = o->state == DHCP_L_BOUND;

				dhcp_unkey(db, o);
				if (o->state == DHCP_L_BOUND || o->state == DHCP_L_OFFERED)
					o->state = DHCP_L_FREE;
				if (journal && was_bound)
					dhcp_journal(db, o);
			}
			l->subnet = subnet;
			if (key_len > 0) {
				memcpy(l->key, key, key_len);
				l->key_len = key_len;
				dhcp_idx_insert(&db->by_key, dhcp_key_hash(subnet, key, key_len),
						dhcp_lease_index(db, l), NULL);
				if (db->by_key.mask + 1 < 2 * db->n)
					dhcp_idx_grow(&db->by_key);
			}
		}
	}
	l->subnet = subnet;
	l->state = (uint8_t)st;
	l->expire = expire;
	if (chaddr != NULL)
		memcpy(l->chaddr, chaddr, 6);
	if (journal)
		dhcp_journal(db, l);
	return l;
}

/* Reservation indexes of c into ra / rk (sized so inserts never grow). */
static int
dhcp_build_resv(const struct dhcp_conf *c, struct dhcp_idx *ra, struct dhcp_idx *rk)
{
	uint32_t total = 0, size = 64;

	for (uint16_t s = 0; s < c->n_subnets; s++)
		total += c->subnets[s].n_resv;
	while (size < total * 2 + 2)
		size *= 2;
	if (dhcp_idx_init(ra, size) != 0 || dhcp_idx_init(rk, size) != 0) {
		dhcp_idx_free(ra);
		dhcp_idx_free(rk);
		return -ENOMEM;
	}
	for (uint16_t s = 0; s < c->n_subnets; s++) {
		for (uint32_t i = 0; i < c->subnets[s].n_resv; i++) {
			const struct dhcp_resv *r = &c->subnets[s].resv[i];
			uint32_t v = ((uint32_t)s << 22) | i;

			dhcp_idx_insert(ra, dhcp_hash_addr(r->addr), v, NULL);
			dhcp_idx_insert(rk, dhcp_key_hash(s, r->key, r->key_len), v, NULL);
		}
	}
	return 0;
}

static int
dhcp_db_build_resv(struct dhcp_db *db)
{
	return dhcp_build_resv(db->conf, &db->resv_addr, &db->resv_key);
}

int
dhcp_db_rebind(struct dhcp_db *db, const struct dhcp_conf *conf)
{
	struct dhcp_idx ra = {0}, rk = {0}, bk = {0};
	uint32_t *cursor, size = 2048;

	/* everything that can fail first: the database is untouched on error */
	while (size < 2 * db->n + 2)
		size *= 2;
	cursor = calloc(conf->n_subnets ? conf->n_subnets : 1, sizeof(*cursor));
	if (cursor == NULL || dhcp_build_resv(conf, &ra, &rk) != 0)
		goto free_new;
	if (dhcp_idx_init(&bk, size) != 0)
		goto free_new;
	for (uint32_t i = 0; i < db->n; i++) {
		struct dhcp_lease *l = &db->chunks[i >> 12][i & 4095];
		int si = dhcp_conf_subnet(conf, l->addr);

		if (si < 0) {
			/* subnet no longer served: the client is refused on its
			 * next request; the address is dropped at compaction */
			if (l->state == DHCP_L_OFFERED)
				l->state = DHCP_L_FREE;
			continue;
		}
		l->subnet = (uint16_t)si;
		if (l->key_len > 0)
			dhcp_idx_insert(&bk, dhcp_key_hash(l->subnet, l->key, l->key_len), i, NULL);
	}
	dhcp_idx_free(&db->resv_addr);
	dhcp_idx_free(&db->resv_key);
	dhcp_idx_free(&db->by_key);
	free(db->cursor);
	db->resv_addr = ra;
	db->resv_key = rk;
	db->by_key = bk;
	db->cursor = cursor;
	db->conf = conf;
	return 0;

free_new:
	dhcp_idx_free(&ra);
	dhcp_idx_free(&rk);
	dhcp_idx_free(&bk);
	free(cursor);
	return -ENOMEM;
}

int
dhcp_db_open(struct dhcp_db *db, const struct dhcp_conf *conf, const char *path, uint64_t now,
	     char *err, size_t errlen)
{
	memset(db, 0, sizeof(*db));
	db->conf = conf;
	db->fd = -1;
	db->tmp_fd = -1;
	db->lock_fd = -1;
	db->cursor = calloc(conf->n_subnets ? conf->n_subnets : 1, sizeof(*db->cursor));
	if (db->cursor == NULL || dhcp_idx_init(&db->by_addr, 1024) != 0 ||
	    dhcp_idx_init(&db->by_key, 2048) != 0 || dhcp_db_build_resv(db) != 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (path == NULL || path[0] == '\0')
		return 0;
	return dhcp_jnl_open(db, path, now, err, errlen);
}

void
dhcp_db_close(struct dhcp_db *db)
{
	struct dhcp_lease **chunks = db->chunks;

	dhcp_jnl_close(db);
	for (uint32_t i = 0; chunks != NULL && i < (db->cap >> DHCP_CHUNK_SHIFT); i++)
		free(chunks[i]);
	free(chunks);
	db->chunks = NULL;
	dhcp_idx_free(&db->by_addr);
	dhcp_idx_free(&db->by_key);
	dhcp_idx_free(&db->resv_addr);
	dhcp_idx_free(&db->resv_key);
	free(db->cursor);
	db->cursor = NULL;
}
