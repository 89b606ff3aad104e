/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - YAML document tree with source positions (libyaml event API, no
 * recursion, depth/node/key/size limits) and the "file:line:col:
 * field.path: message" error list. The typed getters are in cfg.c.
 *
 * Field paths: "key.sub" for mapping values, "seq[name]" for a sequence
 * item that is a mapping with a scalar "name", "seq[i]" (0-based) otherwise.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cfg.h"

/* Parser state for one document. */
struct cfg_parser {
	yaml_parser_t yp;
	struct cfg_errors *err;
	const char *name;
	int failed;   /* syntax error reported */
	FILE *f;      /* cfg_load_file: read through cfg_read() */
	size_t read;  /* bytes read so far */
	bool too_big; /* read more than CFG_MAX_FILE */
	size_t nodes; /* nodes made so far */
};

/* ---- errors ---- */

static void
cfg_errors_add(struct cfg_errors *err, char *msg)
{
	char **msgs;

	if (msg == NULL)
		return;
	if (err->n >= CFG_MAX_ERRORS) {
		/* keep one last line that counts the rest */
		char *more = NULL;

		free(msg);
		err->dropped++;
		if (asprintf(&more, "%s: %zu more error%s not shown",
			     err->file != NULL ? err->file : "<config>", err->dropped,
			     err->dropped == 1 ? "" : "s") < 0)
			return;
		if (err->n == CFG_MAX_ERRORS) {
			msgs = realloc(err->msgs, (err->n + 1) * sizeof(*msgs));
			if (msgs == NULL) {
				free(more);
				return;
			}
			err->msgs = msgs;
			err->n++;
		} else {
			free(err->msgs[CFG_MAX_ERRORS]);
		}
		err->msgs[CFG_MAX_ERRORS] = more;
		return;
	}
	msgs = realloc(err->msgs, (err->n + 1) * sizeof(*msgs));
	if (msgs == NULL) {
		free(msg);
		return;
	}
	err->msgs = msgs;
	err->msgs[err->n++] = msg;
}

static void
cfg_verror(struct cfg_errors *err, const struct cfg_node *at, const char *fmt, va_list ap)
{
	const char *file = err->file != NULL ? err->file : "<config>";
	char *body = NULL;
	char *msg = NULL;
	int ret;

	if (vasprintf(&body, fmt, ap) < 0)
		return;
	if (at == NULL)
		ret = asprintf(&msg, "%s: %s", file, body);
	else if (at->path == NULL || at->path[0] == '\0')
		ret = asprintf(&msg, "%s:%u:%u: %s", file, at->line, at->col, body);
	else
		ret = asprintf(&msg, "%s:%u:%u: %s: %s", file, at->line, at->col, at->path, body);
	free(body);
	if (ret < 0)
		return;
	cfg_errors_add(err, msg);
}

void
cfg_error(struct cfg_errors *err, const struct cfg_node *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_verror(err, at, fmt, ap);
	va_end(ap);
}

void
cfg_error_at(struct cfg_errors *err, const char *file, unsigned int line, unsigned int col,
	     const char *path, const char *fmt, ...)
{
	struct cfg_node at = {.type = CFG_SCALAR, .line = line, .col = col, .path = (char *)path};
	const char *saved = err->file;
	va_list ap;

	err->file = file;
	va_start(ap, fmt);
	cfg_verror(err, &at, fmt, ap);
	va_end(ap);
	err->file = saved;
}

void
cfg_errors_print(const struct cfg_errors *err, FILE *out)
{
	for (size_t i = 0; i < err->n; i++)
		fprintf(out, "%s\n", err->msgs[i]);
}

void
cfg_errors_free(struct cfg_errors *err)
{
	for (size_t i = 0; i < err->n; i++)
		free(err->msgs[i]);
	free(err->msgs);
	err->msgs = NULL;
	err->n = 0;
	err->dropped = 0;
}

/* ---- tree ---- */

/* Free nodes without recursion: walk down through the children, dropping
 * them from their parent (n--) on the way, and back up by the parent
 * pointers. Key nodes are always leaves (scalars or null). */
static void
cfg_free_one(struct cfg_node *n)
{
	if (n == NULL)
		return;
	free(n->items);
	free(n->keys);
	free(n->key_nodes);
	free(n->scalar);
	free(n->path);
	free(n);
}

void
cfg_free(struct cfg_node *top)
{
	struct cfg_node *n = top;

	while (n != NULL) {
		if (n->n > 0) {
			size_t i = --n->n;
			struct cfg_node *c = n->items[i];

			if (n->keys != NULL)
				free(n->keys[i]);
			if (n->key_nodes != NULL)
				cfg_free_one(n->key_nodes[i]);
			if (c != NULL && c->n > 0) {
				c->parent = n; /* the way back up */
				n = c;
			} else {
				cfg_free_one(c);
			}
			continue;
		}
		struct cfg_node *up = n == top ? NULL : n->parent;

		cfg_free_one(n);
		n = up;
	}
}

const struct cfg_node *
cfg_map_get(const struct cfg_node *map, const char *key)
{
	if (map == NULL || map->type != CFG_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->keys[i], key) == 0)
			return map->items[i];
	return NULL;
}

static int
cfg_node_append(struct cfg_node *parent, struct cfg_node *child, struct cfg_node *key)
{
	if (parent->n == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 4;
		struct cfg_node **items = realloc(parent->items, cap * sizeof(*items));

		if (items == NULL)
			return -ENOMEM;
		parent->items = items;
		if (parent->type == CFG_MAP) {
			char **keys = realloc(parent->keys, cap * sizeof(*keys));
			struct cfg_node **kn;

			if (keys == NULL)
				return -ENOMEM;
			parent->keys = keys;
			kn = realloc(parent->key_nodes, cap * sizeof(*kn));
			if (kn == NULL)
				return -ENOMEM;
			parent->key_nodes = kn;
		}
		parent->cap = cap;
	}
	if (parent->type == CFG_MAP) {
		parent->keys[parent->n] = strdup(key->scalar != NULL ? key->scalar : "");
		if (parent->keys[parent->n] == NULL)
			return -ENOMEM;
		parent->key_nodes[parent->n] = key;
		key->parent = parent;
	}
	child->parent = parent;
	parent->items[parent->n++] = child;
	return 0;
}

/* Field path of a node attached to the tree being built (paths are set
 * once it is complete): up through the parents, at most CFG_MAX_DEPTH
 * levels of at most CFG_MAX_KEYS entries. NULL for the root. */
static char *
cfg_path_of(const struct cfg_node *n)
{
	const struct cfg_node *up[CFG_MAX_DEPTH + 2];
	size_t k = 0, len = 0;
	char *path;

	for (; n != NULL && n->parent != NULL && k < CFG_MAX_DEPTH + 1; n = n->parent)
		up[k++] = n;
	if (k == 0)
		return NULL;
	path = malloc((size_t)(CFG_MAX_KEY_LEN + 24) * k + 1);
	if (path == NULL)
		return NULL;
	path[0] = '\0';
	while (k-- > 0) {
		const struct cfg_node *c = up[k], *p = c->parent;
		size_t i = 0;

		while (i < p->n && p->items[i] != c)
			i++;
		if (p->type == CFG_MAP && i < p->n)
			len += (size_t)sprintf(path + len, "%s%s", len ? "." : "", p->keys[i]);
		else
			len += (size_t)sprintf(path + len, "[%zu]", i);
	}
	return path;
}

/* An error at a YAML mark (1-based in the message), in node in (may be
 * NULL: no field path); stops the parse. */
static int
cfg_mark_error(struct cfg_parser *p, const yaml_mark_t *mark, const struct cfg_node *in,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
cfg_mark_error(struct cfg_parser *p, const yaml_mark_t *mark, const struct cfg_node *in,
	       const char *fmt, ...)
{
	char *path = cfg_path_of(in);
	struct cfg_node at = {
		.line = (unsigned int)mark->line + 1,
		.col = (unsigned int)mark->column + 1,
		.path = path != NULL ? path : "",
	};
	va_list ap;

	va_start(ap, fmt);
	cfg_verror(p->err, &at, fmt, ap);
	va_end(ap);
	free(path);
	p->failed = 1;
	return -EINVAL;
}

static void
cfg_syntax_error(struct cfg_parser *p)
{
	yaml_parser_t *yp = &p->yp;
	const char *problem = yp->problem != NULL ? yp->problem : "invalid YAML";

	if (p->too_big) {
		cfg_mark_error(p, &yp->mark, NULL,
			       "the file is larger than %u bytes (%u MiB), the limit for a chain "
			       "file",
			       CFG_MAX_FILE, CFG_MAX_FILE >> 20);
		return;
	}
	if (yp->context != NULL)
		cfg_mark_error(p, &yp->problem_mark, NULL, "syntax error: %s (%s at line %zu column %zu)",
			       problem, yp->context, yp->context_mark.line + 1,
			       yp->context_mark.column + 1);
	else
		cfg_mark_error(p, &yp->problem_mark, NULL, "syntax error: %s", problem);
}

static int
cfg_next(struct cfg_parser *p, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&p->yp, ev)) {
		cfg_syntax_error(p);
		return -EINVAL;
	}
	return 0;
}

static bool
cfg_scalar_is_null(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;

	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	/* Only an empty value is null: "null" is a port driver name, and every
	 * value of the schema is read as text by the typed getters. */
	return v[0] == '\0';
}

static int
cfg_refuse_anchor(struct cfg_parser *p, const yaml_char_t *anchor, const yaml_mark_t *mark)
{
	if (anchor == NULL)
		return 0;
	return cfg_mark_error(p, mark, NULL,
			      "YAML anchors (&%s) and aliases are not supported: write the value "
			      "out",
			      (const char *)anchor);
}

/* A new node for a scalar or collection start event (the node limit is
 * checked here); *out stays NULL for other events. */
static int
cfg_event_node(struct cfg_parser *p, const yaml_event_t *ev, const struct cfg_node *in,
	       struct cfg_node **out)
{
	const yaml_mark_t *mark = &ev->start_mark;
	const yaml_char_t *anchor;
	enum cfg_type type;
	struct cfg_node *n;

	*out = NULL;
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return cfg_mark_error(p, mark, NULL,
				      "YAML aliases (*%s) and anchors are not supported: write "
				      "the value out",
				      (const char *)ev->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		type = cfg_scalar_is_null(ev) ? CFG_NULL : CFG_SCALAR;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		type = CFG_SEQ;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		type = CFG_MAP;
		break;
	default:
		return 0;
	}
	if (cfg_refuse_anchor(p, anchor, mark) < 0)
		return -EINVAL;
	if (++p->nodes > CFG_MAX_NODES)
		return cfg_mark_error(p, mark, in,
				      "more than %d values, keys, mappings and sequences in one "
				      "file (the limit)",
				      CFG_MAX_NODES);
	if (type == CFG_SCALAR &&
	    memchr(ev->data.scalar.value, '\0', ev->data.scalar.length) != NULL)
		return cfg_mark_error(p, mark, in, "a NUL character (\\0) is not allowed in a string");
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	n->type = type;
	n->line = (unsigned int)mark->line + 1;
	n->col = (unsigned int)mark->column + 1;
	if (type == CFG_SCALAR) {
		n->scalar = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		if (n->scalar == NULL) {
			free(n);
			return -ENOMEM;
		}
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	}
	*out = n;
	return 0;
}

/* An open mapping or sequence while building; key: a mapping's key
 * waiting for its value. */
struct cfg_frame {
	struct cfg_node *node;
	struct cfg_node *key;
};

/* Put n into the tree under the open collection st[depth - 1] (or make it
 * the document). Takes n (freed on failure). */
static int
cfg_attach(struct cfg_parser *p, struct cfg_frame *st, size_t depth, struct cfg_node **doc,
	   struct cfg_node *n)
{
	struct cfg_frame *top;
	yaml_mark_t at = {.line = n->line - 1, .column = n->col - 1};
	int ret;

	if (depth == 0) {
		*doc = n;
		return 0;
	}
	top = &st[depth - 1];
	if (top->node->type == CFG_MAP && top->key == NULL) {
		/* n is a key */
		if (n->type == CFG_MAP || n->type == CFG_SEQ)
			ret = cfg_mark_error(p, &at, top->node, "a mapping key must be a plain scalar");
		else if (n->scalar != NULL && strlen(n->scalar) > CFG_MAX_KEY_LEN)
			ret = cfg_mark_error(p, &at, top->node, "a key of %zu characters (at most %d)",
					     strlen(n->scalar), CFG_MAX_KEY_LEN);
		else if (top->node->n >= CFG_MAX_KEYS)
			ret = cfg_mark_error(p, &at, top->node,
					     "more than %d keys in one mapping (the limit)",
					     CFG_MAX_KEYS);
		else
			ret = 0;
		if (ret < 0) {
			cfg_free(n);
			return ret;
		}
		top->key = n;
		return 0;
	}
	ret = cfg_node_append(top->node, n, top->key);
	if (ret < 0) {
		cfg_free(n);
		return ret; /* top->key is freed with the frames */
	}
	top->key = NULL;
	return 0;
}

/* Build the tree from the events: an explicit stack of open collections,
 * bounded by CFG_MAX_DEPTH; no recursion. */
static int
cfg_build(struct cfg_parser *p, struct cfg_node **out)
{
	struct cfg_frame st[CFG_MAX_DEPTH];
	struct cfg_node *doc = NULL;
	size_t depth = 0;
	bool end = false;
	int ret = 0;

	while (!end && ret == 0) {
		struct cfg_node *n = NULL;
		yaml_event_t ev;

		ret = cfg_next(p, &ev);
		if (ret < 0)
			break;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			end = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (doc != NULL)
				ret = cfg_mark_error(p, &ev.start_mark, NULL,
						     "only one YAML document per file is "
						     "supported");
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				depth--;
			break;
		default:
			ret = cfg_event_node(p, &ev, depth > 0 ? st[depth - 1].node : NULL, &n);
			if (ret < 0 || n == NULL)
				break;
			if ((n->type == CFG_MAP || n->type == CFG_SEQ) && depth >= CFG_MAX_DEPTH) {
				ret = cfg_mark_error(p, &ev.start_mark, NULL,
						     "nested deeper than %d mappings and "
						     "sequences (the limit)",
						     CFG_MAX_DEPTH);
				cfg_free(n);
				break;
			}
			ret = cfg_attach(p, st, depth, &doc, n);
			/* a collection is never a key (refused): it is open now */
			if (ret == 0 && (n->type == CFG_MAP || n->type == CFG_SEQ))
				st[depth++] = (struct cfg_frame){.node = n, .key = NULL};
			break;
		}
		yaml_event_delete(&ev);
	}
	if (ret < 0) {
		for (size_t i = 0; i < depth; i++)
			cfg_free(st[i].key);
		cfg_free(doc);
		return ret;
	}
	*out = doc;
	return 0;
}

/* FNV-1a */
static uint32_t
cfg_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* Duplicate keys of one mapping, through a hash table of key indexes (so
 * linear in the number of keys): *first is NULL when there is none, else
 * first[i] is the index of the first key equal to key i, or SIZE_MAX. */
static int
cfg_map_dups(const struct cfg_node *m, size_t **first)
{
	uint32_t small[64], *slot = small;
	size_t cap = 64, *f = NULL;

	*first = NULL;
	while (cap < 2 * m->n)
		cap *= 2;
	if (cap > 64) {
		slot = calloc(cap, sizeof(*slot));
		if (slot == NULL)
			return -ENOMEM;
	} else {
		memset(small, 0, sizeof(small));
	}
	for (size_t i = 0; i < m->n; i++) {
		size_t h = cfg_hash(m->keys[i]) & (cap - 1);

		for (; slot[h] != 0; h = (h + 1) & (cap - 1)) {
			size_t j = slot[h] - 1;

			if (strcmp(m->keys[i], m->keys[j]) != 0)
				continue;
			if (f == NULL) {
				f = malloc(m->n * sizeof(*f));
				if (f == NULL)
					goto nomem;
				for (size_t k = 0; k < m->n; k++)
					f[k] = SIZE_MAX;
			}
			f[i] = j;
			break;
		}
		if (slot[h] == 0)
			slot[h] = (uint32_t)i + 1;
	}
	if (slot != small)
		free(slot);
	*first = f;
	return 0;
nomem:
	if (slot != small)
		free(slot);
	return -ENOMEM;
}

/* Field paths of the children of n (whose path is set); item names are
 * used for sequences of named maps. -EINVAL: a path is too long. */
static int
cfg_child_paths(struct cfg_node *n, struct cfg_errors *err)
{
	const char *path = n->path;

	for (size_t i = 0; i < n->n; i++) {
		struct cfg_node *c = n->items[i];
		char *child = NULL;
		int ret;

		if (n->type == CFG_MAP) {
			ret = asprintf(&child, "%s%s%s", path, path[0] ? "." : "", n->keys[i]);
		} else {
			const struct cfg_node *nm = cfg_map_get(c, "name");

			if (nm != NULL && nm->type == CFG_SCALAR && nm->scalar[0] != '\0' &&
			    strlen(nm->scalar) <= 64 && strpbrk(nm->scalar, "[].") == NULL)
				ret = asprintf(&child, "%s[%s]", path, nm->scalar);
			else
				ret = asprintf(&child, "%s[%zu]", path, i);
		}
		if (ret < 0)
			return -ENOMEM;
		if (strlen(child) > CFG_MAX_PATH_LEN) {
			free(child);
			cfg_error(err, n->type == CFG_MAP ? n->key_nodes[i] : c,
				  "field path longer than %d characters (the limit)",
				  CFG_MAX_PATH_LEN);
			return -EINVAL;
		}
		if (n->type == CFG_MAP) {
			n->key_nodes[i]->path = strdup(child);
			if (n->key_nodes[i]->path == NULL) {
				free(child);
				return -ENOMEM;
			}
		}
		c->path = child;
	}
	return 0;
}

/* Field paths and duplicate keys (reported in document order), without
 * recursion: the builder bounds the depth. */
static int
cfg_finish(struct cfg_node *doc, struct cfg_errors *err)
{
	struct {
		struct cfg_node *n;
		size_t i;
		size_t *first; /* duplicate keys of a mapping, or NULL */
	} st[CFG_MAX_DEPTH + 1];
	struct cfg_node *c = doc;
	size_t depth = 0;
	bool dups = false;
	int ret = 0;

	doc->path = strdup("");
	if (doc->path == NULL)
		return -ENOMEM;
	for (;;) {
		/* c: a node with a path and children to visit */
		if (depth > CFG_MAX_DEPTH) {
			ret = -EINVAL; /* not a tree of cfg_build */
			break;
		}
		ret = cfg_child_paths(c, err);
		if (ret == 0 && c->type == CFG_MAP)
			ret = cfg_map_dups(c, &st[depth].first);
		else
			st[depth].first = NULL;
		if (ret < 0)
			break;
		st[depth].n = c;
		st[depth++].i = 0;
		c = NULL;
		while (depth > 0 && c == NULL) {
			struct cfg_node *n = st[depth - 1].n;
			size_t i = st[depth - 1].i++;

			if (i == n->n) {
				free(st[--depth].first);
				continue;
			}
			if (st[depth - 1].first != NULL && st[depth - 1].first[i] != SIZE_MAX) {
				const struct cfg_node *k = n->key_nodes[i];
				const struct cfg_node *f = n->key_nodes[st[depth - 1].first[i]];

				cfg_error(err, k, "duplicate key '%s' (first at line %u column %u)",
					  n->keys[i], f->line, f->col);
				dups = true;
			}
			if (n->items[i]->n > 0)
				c = n->items[i];
		}
		if (c == NULL)
			break;
	}
	while (depth > 0)
		free(st[--depth].first);
	if (ret < 0)
		return ret;
	return dups ? -EINVAL : 0;
}

static int
cfg_parse(struct cfg_parser *p, struct cfg_node **root)
{
	struct cfg_node *doc = NULL;
	int ret;

	ret = cfg_build(p, &doc);
	if (ret < 0)
		goto failed;
	if (doc == NULL) {
		doc = calloc(1, sizeof(*doc));
		if (doc == NULL) {
			ret = -ENOMEM;
			goto failed;
		}
		doc->type = CFG_NULL;
		doc->line = 1;
		doc->col = 1;
	}
	ret = cfg_finish(doc, p->err);
	if (ret < 0)
		goto free_doc;
	*root = doc;
	return 0;

free_doc:
	cfg_free(doc);
failed:
	if (ret == -ENOMEM)
		cfg_error(p->err, NULL, "out of memory");
	return ret == -ENOMEM ? -ENOMEM : -EINVAL;
}

/* libyaml input from a FILE, at most CFG_MAX_FILE bytes. */
static int
cfg_read(void *data, unsigned char *buf, size_t size, size_t *got)
{
	struct cfg_parser *p = data;
	size_t n = fread(buf, 1, size, p->f);

	if (n == 0 && ferror(p->f))
		return 0;
	p->read += n;
	if (p->read > CFG_MAX_FILE) {
		p->too_big = true;
		return 0;
	}
	*got = n;
	return 1;
}

int
cfg_load_string(const char *name, const char *text, size_t len, struct cfg_node **root,
		struct cfg_errors *err)
{
	struct cfg_parser p = {.err = err, .name = name};
	int ret;

	if (err->file == NULL)
		err->file = name;
	if (len > CFG_MAX_FILE) {
		cfg_error(err, NULL, "larger than %u bytes (%u MiB), the limit for a chain file",
			  CFG_MAX_FILE, CFG_MAX_FILE >> 20);
		return -EINVAL;
	}
	if (!yaml_parser_initialize(&p.yp)) {
		cfg_error(err, NULL, "cannot initialise the YAML parser");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&p.yp, (const unsigned char *)text, len);
	ret = cfg_parse(&p, root);
	yaml_parser_delete(&p.yp);
	return ret;
}

int
cfg_load_file(const char *file, struct cfg_node **root, struct cfg_errors *err)
{
	struct cfg_parser p = {.err = err, .name = file};
	int ret;

	if (err->file == NULL)
		err->file = file;
	p.f = fopen(file, "rb");
	if (p.f == NULL) {
		ret = -errno;
		cfg_error(err, NULL, "cannot open: %s", strerror(-ret));
		return ret;
	}
	if (!yaml_parser_initialize(&p.yp)) {
		fclose(p.f);
		cfg_error(err, NULL, "cannot initialise the YAML parser");
		return -ENOMEM;
	}
	/* read through cfg_read: at most CFG_MAX_FILE bytes, whatever the
	 * file is (a pipe, a device) */
	yaml_parser_set_input(&p.yp, cfg_read, &p);
	ret = cfg_parse(&p, root);
	yaml_parser_delete(&p.yp);
	if (ferror(p.f) && ret == 0) {
		cfg_error(err, NULL, "read error");
		cfg_free(*root);
		*root = NULL;
		ret = -EIO;
	}
	fclose(p.f);
	return ret;
}
