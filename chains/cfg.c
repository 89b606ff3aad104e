/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - typed getters and checks on the YAML document tree (cfg_load.c),
 * reporting "file:line:col: field.path: message" with cfg_error, and the
 * "did you mean" suggestions for unknown keys and values.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg.h"

/* ---- lookups and checks ---- */

size_t
cfg_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t row[65];

	if (la > 64 || lb > 64)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t best = prev + (tolower((unsigned char)a[i - 1]) !=
					      tolower((unsigned char)b[j - 1]));

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[lb];
}

/* Closest of choices[] (NULL-terminated) to s if reasonably close. */
static const char *
cfg_closest(const char *s, const char *const choices[])
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX;

	for (size_t i = 0; choices[i] != NULL; i++) {
		size_t d = cfg_edit_distance(s, choices[i]);

		if (d < best_d) {
			best_d = d;
			best = choices[i];
		}
	}
	if (best == NULL || best_d > 2 || best_d >= strlen(s))
		return NULL;
	return best;
}

static void
cfg_join(const char *const list[], char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; list[i] != NULL && off < size; i++) {
		int w = snprintf(buf + off, size - off, "%s%s", i ? ", " : "", list[i]);

		if (w < 0)
			break;
		off += (size_t)w;
	}
}

int
cfg_check_keys(const struct cfg_node *map, const char *const allowed[], struct cfg_errors *err)
{
	char list[512];
	int unknown = 0;

	if (map == NULL || map->type != CFG_MAP)
		return 0;
	cfg_join(allowed, list, sizeof(list));
	for (size_t i = 0; i < map->n; i++) {
		const char *near;
		bool ok = false;

		for (size_t a = 0; allowed[a] != NULL; a++)
			if (strcmp(map->keys[i], allowed[a]) == 0)
				ok = true;
		if (ok)
			continue;
		near = cfg_closest(map->keys[i], allowed);
		if (near != NULL)
			cfg_error(err, map->key_nodes[i],
				  "unknown key '%s'; did you mean '%s'? (allowed: %s)",
				  map->keys[i], near, list);
		else
			cfg_error(err, map->key_nodes[i], "unknown key '%s' (allowed: %s)",
				  map->keys[i], list);
		unknown++;
	}
	return unknown;
}

static const char *
cfg_article(enum cfg_type t)
{
	switch (t) {
	case CFG_MAP:
		return "a mapping";
	case CFG_SEQ:
		return "a sequence";
	case CFG_SCALAR:
		return "a scalar";
	default:
		return "null (no value)";
	}
}

int
cfg_expect(const struct cfg_node *node, enum cfg_type type, struct cfg_errors *err)
{
	if (node != NULL && node->type == type)
		return 0;
	cfg_error(err, node, "expected %s, got %s", cfg_article(type),
		  node != NULL ? cfg_article(node->type) : "nothing");
	return -EINVAL;
}

/* Lookup for the getters: 1 absent and optional, -EINVAL absent and
 * required, 0 present (in *node). */
static int
cfg_lookup(const struct cfg_node *map, const char *key, bool required, const struct cfg_node **node,
	   struct cfg_errors *err)
{
	*node = cfg_map_get(map, key);
	if (*node != NULL)
		return 0;
	if (!required)
		return 1;
	cfg_error(err, map, "missing required key '%s'", key);
	return -EINVAL;
}

int
cfg_node_str(const struct cfg_node *node, const char **out, struct cfg_errors *err)
{
	if (node->type != CFG_SCALAR) {
		cfg_error(err, node, "expected a string, got %s", cfg_article(node->type));
		return -EINVAL;
	}
	*out = node->scalar;
	return 0;
}

int
cfg_get_str(const struct cfg_node *map, const char *key, bool required, const char **out,
	    struct cfg_errors *err)
{
	const struct cfg_node *n;
	int ret = cfg_lookup(map, key, required, &n, err);

	if (ret != 0)
		return ret;
	return cfg_node_str(n, out, err);
}

int
cfg_get_strbuf(const struct cfg_node *map, const char *key, bool required, char *buf, size_t size,
	       struct cfg_errors *err)
{
	const struct cfg_node *n;
	const char *s;
	int ret = cfg_lookup(map, key, required, &n, err);

	if (ret != 0)
		return ret;
	if (cfg_node_str(n, &s, err) < 0)
		return -EINVAL;
	if (strlen(s) >= size) {
		cfg_error(err, n, "too long (%zu characters, at most %zu)", strlen(s), size - 1);
		return -EINVAL;
	}
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

int
cfg_node_u64(const struct cfg_node *node, uint64_t min, uint64_t max, uint64_t *out,
	     struct cfg_errors *err)
{
	const char *s;
	char *end;
	uint64_t v;

	if (node->type != CFG_SCALAR) {
		cfg_error(err, node, "expected an integer, got %s", cfg_article(node->type));
		return -EINVAL;
	}
	s = node->scalar;
	if (!isdigit((unsigned char)s[0])) {
		cfg_error(err, node, "expected an integer, got '%s'", s);
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(s, &end, 0);
	if (*end != '\0') {
		cfg_error(err, node, "expected an integer, got '%s'", s);
		return -EINVAL;
	}
	if (errno == ERANGE || v < min || v > max) {
		cfg_error(err, node, "%s is out of range [%" PRIu64 ", %" PRIu64 "]", s, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int
cfg_get_u64(const struct cfg_node *map, const char *key, bool required, uint64_t min, uint64_t max,
	    uint64_t *out, struct cfg_errors *err)
{
	const struct cfg_node *n;
	int ret = cfg_lookup(map, key, required, &n, err);

	if (ret != 0)
		return ret;
	return cfg_node_u64(n, min, max, out, err);
}

int
cfg_get_u32(const struct cfg_node *map, const char *key, bool required, uint32_t min, uint32_t max,
	    uint32_t *out, struct cfg_errors *err)
{
	uint64_t v;
	int ret = cfg_get_u64(map, key, required, min, max, &v, err);

	if (ret == 0)
		*out = (uint32_t)v;
	return ret;
}

int
cfg_get_u16(const struct cfg_node *map, const char *key, bool required, uint16_t min, uint16_t max,
	    uint16_t *out, struct cfg_errors *err)
{
	uint64_t v;
	int ret = cfg_get_u64(map, key, required, min, max, &v, err);

	if (ret == 0)
		*out = (uint16_t)v;
	return ret;
}

int
cfg_get_bool(const struct cfg_node *map, const char *key, bool required, bool *out,
	     struct cfg_errors *err)
{
	static const char *const yes[] = {"true", "yes", "on", NULL};
	static const char *const no[] = {"false", "no", "off", NULL};
	const struct cfg_node *n;
	int ret = cfg_lookup(map, key, required, &n, err);

	if (ret != 0)
		return ret;
	if (n->type == CFG_SCALAR) {
		for (size_t i = 0; yes[i] != NULL; i++) {
			if (strcasecmp(n->scalar, yes[i]) == 0) {
				*out = true;
				return 0;
			}
			if (strcasecmp(n->scalar, no[i]) == 0) {
				*out = false;
				return 0;
			}
		}
		cfg_error(err, n, "expected true or false, got '%s'", n->scalar);
	} else {
		cfg_error(err, n, "expected true or false, got %s", cfg_article(n->type));
	}
	return -EINVAL;
}

int
cfg_get_enum(const struct cfg_node *map, const char *key, bool required,
	     const char *const choices[], int *out, struct cfg_errors *err)
{
	const struct cfg_node *n;
	const char *near;
	char list[512];
	int ret = cfg_lookup(map, key, required, &n, err);

	if (ret != 0)
		return ret;
	cfg_join(choices, list, sizeof(list));
	if (n->type != CFG_SCALAR) {
		cfg_error(err, n, "expected one of: %s; got %s", list, cfg_article(n->type));
		return -EINVAL;
	}
	for (int i = 0; choices[i] != NULL; i++) {
		if (strcmp(n->scalar, choices[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	near = cfg_closest(n->scalar, choices);
	if (near != NULL)
		cfg_error(err, n, "unknown value '%s'; did you mean '%s'? (one of: %s)", n->scalar,
			  near, list);
	else
		cfg_error(err, n, "unknown value '%s' (one of: %s)", n->scalar, list);
	return -EINVAL;
}

int
cfg_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[i * 3]) || !isxdigit((unsigned char)s[i * 3 + 1]))
			return -EINVAL;
		if (i < 5 && s[i * 3 + 2] != ':' && s[i * 3 + 2] != '-')
			return -EINVAL;
	}
	if (sscanf(s, "%2x%*c%2x%*c%2x%*c%2x%*c%2x%*c%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

int
cfg_get_mac(const struct cfg_node *map, const char *key, bool required, uint8_t mac[6],
	    struct cfg_errors *err)
{
	const struct cfg_node *n;
	int ret = cfg_lookup(map, key, required, &n, err);

	if (ret != 0)
		return ret;
	if (n->type != CFG_SCALAR || cfg_parse_mac(n->scalar, mac) < 0) {
		if (n->type == CFG_SCALAR)
			cfg_error(err, n, "expected a MAC address like 02:00:00:00:00:01, got '%s'",
				  n->scalar);
		else
			cfg_error(err, n, "expected a MAC address like 02:00:00:00:00:01, got %s",
				  cfg_article(n->type));
		return -EINVAL;
	}
	return 0;
}

int
cfg_get_unicast_mac(const struct cfg_node *map, const char *key, bool required, const char *what,
		    uint8_t mac[6], struct cfg_errors *err)
{
	int ret = cfg_get_mac(map, key, required, mac, err);

	if (ret != 0)
		return ret;
	if (mac[0] & 1) {
		cfg_error(err, cfg_map_get(map, key), "a multicast address cannot be %s's address",
			  what);
		return -EINVAL;
	}
	if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5])) {
		cfg_error(err, cfg_map_get(map, key), "00:00:00:00:00:00 is not %s's address",
			  what);
		return -EINVAL;
	}
	return 0;
}

/* ---- addresses ---- */

int
cfg_parse_prefix(const char *s, bool host_bits_ok, struct cfg_prefix *out, const char **why)
{
	char addr[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned long len;
	uint8_t *bytes;
	size_t nbytes;

	*why = NULL;
	if (alen == 0 || alen >= sizeof(addr)) {
		*why = "expected an address or prefix like 10.0.0.0/8 or 2001:db8::/32";
		return -EINVAL;
	}
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, addr, &out->v4) == 1) {
		out->family = AF_INET;
		len = 32;
	} else if (inet_pton(AF_INET6, addr, &out->v6) == 1) {
		out->family = AF_INET6;
		len = 128;
	} else {
		*why = "expected an address or prefix like 10.0.0.0/8 or 2001:db8::/32";
		return -EINVAL;
	}
	if (slash != NULL) {
		char *end;
		unsigned long max = len;

		if (!isdigit((unsigned char)slash[1])) {
			*why = "bad prefix length";
			return -EINVAL;
		}
		len = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || len > max) {
			*why = out->family == AF_INET ? "prefix length must be 0..32"
						      : "prefix length must be 0..128";
			return -EINVAL;
		}
	}
	out->len = (uint8_t)len;
	bytes = out->family == AF_INET ? (uint8_t *)&out->v4 : out->v6.s6_addr;
	nbytes = out->family == AF_INET ? 4 : 16;
	if (!host_bits_ok) {
		for (size_t i = 0; i < nbytes; i++) {
			unsigned int keep = len >= (i + 1) * 8 ? 8 : len > i * 8 ? len - i * 8 : 0;
			uint8_t mask = (uint8_t)(keep == 0 ? 0 : 0xff << (8 - keep));

			if (bytes[i] & ~mask) {
				*why = "host bits are set (the address must be the network "
				       "address)";
				return -EINVAL;
			}
		}
	}
	return 0;
}

int
cfg_node_prefix(const struct cfg_node *node, bool host_bits_ok, struct cfg_prefix *out,
		struct cfg_errors *err)
{
	const char *why;

	if (node->type != CFG_SCALAR) {
		cfg_error(err, node, "expected an address or prefix, got %s",
			  cfg_article(node->type));
		return -EINVAL;
	}
	if (cfg_parse_prefix(node->scalar, host_bits_ok, out, &why) < 0) {
		cfg_error(err, node, "'%s': %s", node->scalar, why);
		return -EINVAL;
	}
	return 0;
}

int
cfg_get_prefix(const struct cfg_node *map, const char *key, bool required, bool host_bits_ok,
	       struct cfg_prefix *out, struct cfg_errors *err)
{
	const struct cfg_node *n;
	int ret = cfg_lookup(map, key, required, &n, err);

	if (ret != 0)
		return ret;
	return cfg_node_prefix(n, host_bits_ok, out, err);
}

static int
cfg_parse_num(const char *s, const char **end, uint64_t *v)
{
	char *e;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &e, 10);
	if (errno == ERANGE)
		return -EINVAL;
	*end = e;
	return 0;
}

int
cfg_get_range(const struct cfg_node *map, const char *key, bool required, uint32_t min,
	      uint32_t max, uint32_t *lo, uint32_t *hi, struct cfg_errors *err)
{
	const struct cfg_node *n;
	const char *end;
	uint64_t a, b;
	int ret = cfg_lookup(map, key, required, &n, err);

	if (ret != 0)
		return ret;
	if (n->type != CFG_SCALAR) {
		cfg_error(err, n, "expected a number or a range like 1000-2000, got %s",
			  cfg_article(n->type));
		return -EINVAL;
	}
	if (cfg_parse_num(n->scalar, &end, &a) < 0)
		goto bad;
	b = a;
	if (*end == '-') {
		if (cfg_parse_num(end + 1, &end, &b) < 0)
			goto bad;
	}
	if (*end != '\0')
		goto bad;
	if (a < min || b > max || a > max || b < min) {
		cfg_error(err, n, "'%s' is out of range [%u, %u]", n->scalar, min, max);
		return -EINVAL;
	}
	if (a > b) {
		cfg_error(err, n, "'%s': range start is above its end", n->scalar);
		return -EINVAL;
	}
	*lo = (uint32_t)a;
	*hi = (uint32_t)b;
	return 0;
bad:
	cfg_error(err, n, "expected a number or a range like 1000-2000, got '%s'", n->scalar);
	return -EINVAL;
}
