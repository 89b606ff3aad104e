/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - YAML document tree with source positions, and typed getters that
 * report every error as "file:line:col: field.path: message".
 *
 * Life cycle:
 *   cfg_load_file() parses a YAML file into a tree of struct cfg_node.
 *   Getters (cfg_get_*) read typed values out of a mapping node; on a bad
 *   value they append an error to the struct cfg_errors and return -EINVAL,
 *   so a caller can keep going and report all errors, not only the first.
 *   cfg_free() releases the tree; cfg_errors_free() the error list.
 *
 * This library has no DPDK dependency: nfvctl uses it to validate offline.
 */
#ifndef NFV_CFG_H
#define NFV_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>

/*
 * Limits of a document (docs/schema.md). Past one, loading stops with
 * "file:line:col: ..." at the place the limit was crossed. They bound the
 * time and memory a hostile file can take: every pass over the tree is
 * linear and none recurses.
 */
#define CFG_MAX_DEPTH 64	   /* nested mappings and sequences */
#define CFG_MAX_NODES 262144	   /* values, keys, mappings and sequences */
#define CFG_MAX_KEYS 4096	   /* keys of one mapping */
#define CFG_MAX_KEY_LEN 128	   /* characters of one key */
#define CFG_MAX_PATH_LEN 1024	   /* characters of a field path */
#define CFG_MAX_FILE (8u << 20)	   /* bytes of a file */
#define CFG_MAX_ERRORS 100	   /* errors kept; then one "N more errors" line */

enum cfg_type {
	CFG_NULL,
	CFG_SCALAR,
	CFG_MAP,
	CFG_SEQ,
};

struct cfg_node {
	enum cfg_type type;
	unsigned int line; /* 1-based */
	unsigned int col;  /* 1-based */
	char *path;        /* field path, e.g. "ports[1].mtu" ("" for the root) */
	char *scalar;      /* CFG_SCALAR: the text; NULL otherwise */
	bool quoted;       /* CFG_SCALAR written in quotes */
	size_t n;          /* CFG_MAP / CFG_SEQ: number of children */
	struct cfg_node **items; /* CFG_SEQ: items; CFG_MAP: values */
	char **keys;             /* CFG_MAP: keys (parallel to items) */
	struct cfg_node **key_nodes; /* CFG_MAP: key nodes (for positions) */
	struct cfg_node *parent;     /* NULL for the root */
	size_t cap;                  /* allocated items (and keys) */
};

struct cfg_errors {
	const char *file; /* printed before line:col; not owned */
	size_t n;
	char **msgs;
	size_t dropped; /* errors past CFG_MAX_ERRORS (counted in the last message) */
};

/* Parse a file. On failure returns -errno or -EINVAL and appends the reason
 * (with line:col for syntax errors) to err. */
int cfg_load_file(const char *file, struct cfg_node **root, struct cfg_errors *err);
/* Parse a string; name is used in messages. */
int cfg_load_string(const char *name, const char *text, size_t len,
		    struct cfg_node **root, struct cfg_errors *err);
void cfg_free(struct cfg_node *root);

/* Append "file:line:col: path: message" (at may be NULL: "file: message"). */
void cfg_error(struct cfg_errors *err, const struct cfg_node *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Append "file:line:col: path: message" for a place in another file than
 * err->file (e.g. a text file a YAML key names; path may be NULL). */
void cfg_error_at(struct cfg_errors *err, const char *file, unsigned int line, unsigned int col,
		  const char *path, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void cfg_errors_print(const struct cfg_errors *err, FILE *out);
void cfg_errors_free(struct cfg_errors *err);

/* Lookup of a key in a mapping; NULL if absent or node is not a map. */
const struct cfg_node *cfg_map_get(const struct cfg_node *map, const char *key);

/* Report every key of map that is not in allowed[] (NULL-terminated).
 * Returns the number of unknown keys. */
int cfg_check_keys(const struct cfg_node *map, const char *const allowed[],
		   struct cfg_errors *err);

/* Levenshtein distance, ignoring case; SIZE_MAX when a string is longer
 * than 64 characters (bounded work per call). */
size_t cfg_edit_distance(const char *a, const char *b);

/* Require node to be of type; reports "expected a mapping" etc. */
int cfg_expect(const struct cfg_node *node, enum cfg_type type, struct cfg_errors *err);

/*
 * Typed getters. Each returns 0 when the key is present and valid, 1 when
 * the key is absent and !required (out untouched, so set the default first),
 * and -EINVAL after reporting an error (absent and required, or bad value).
 */
int cfg_get_str(const struct cfg_node *map, const char *key, bool required,
		const char **out, struct cfg_errors *err);
/* Copy into a fixed buffer; too long is an error. */
int cfg_get_strbuf(const struct cfg_node *map, const char *key, bool required,
		   char *buf, size_t size, struct cfg_errors *err);
int cfg_get_u64(const struct cfg_node *map, const char *key, bool required,
		uint64_t min, uint64_t max, uint64_t *out, struct cfg_errors *err);
int cfg_get_u32(const struct cfg_node *map, const char *key, bool required,
		uint32_t min, uint32_t max, uint32_t *out, struct cfg_errors *err);
int cfg_get_u16(const struct cfg_node *map, const char *key, bool required,
		uint16_t min, uint16_t max, uint16_t *out, struct cfg_errors *err);
int cfg_get_bool(const struct cfg_node *map, const char *key, bool required,
		 bool *out, struct cfg_errors *err);
/* One of choices[] (NULL-terminated); *out is the index. */
int cfg_get_enum(const struct cfg_node *map, const char *key, bool required,
		 const char *const choices[], int *out, struct cfg_errors *err);
int cfg_get_mac(const struct cfg_node *map, const char *key, bool required,
		uint8_t mac[6], struct cfg_errors *err);
/* cfg_get_mac for an address that is an interface's own (a source): a
 * multicast or all-zero address is refused at its position; what names the
 * holder in the message ("a port", "an interface"). */
int cfg_get_unicast_mac(const struct cfg_node *map, const char *key, bool required,
			const char *what, uint8_t mac[6], struct cfg_errors *err);

/* Scalar converters on a node (for sequence items); same return convention. */
int cfg_node_u64(const struct cfg_node *node, uint64_t min, uint64_t max, uint64_t *out,
		 struct cfg_errors *err);
int cfg_node_str(const struct cfg_node *node, const char **out, struct cfg_errors *err);

/* Address helpers (no DPDK). family is AF_INET or AF_INET6. */
struct cfg_prefix {
	int family;
	uint8_t len;
	union {
		struct in_addr v4;   /* network byte order */
		struct in6_addr v6;
	};
};
/* "10.0.0.0/8", "2001:db8::/32"; a bare address gets /32 or /128.
 * host_bits_ok=false reports host bits set as an error. */
int cfg_parse_prefix(const char *s, bool host_bits_ok, struct cfg_prefix *out,
		     const char **why);
/* "10.0.0.1/24" style interface address: address kept, host bits allowed. */
int cfg_node_prefix(const struct cfg_node *node, bool host_bits_ok, struct cfg_prefix *out,
		    struct cfg_errors *err);
int cfg_get_prefix(const struct cfg_node *map, const char *key, bool required,
		   bool host_bits_ok, struct cfg_prefix *out, struct cfg_errors *err);
int cfg_parse_mac(const char *s, uint8_t mac[6]);
/* "80" or "1000-2000" */
int cfg_get_range(const struct cfg_node *map, const char *key, bool required,
		  uint32_t min, uint32_t max, uint32_t *lo, uint32_t *hi,
		  struct cfg_errors *err);

#endif /* NFV_CFG_H */
