/* SPDX-License-Identifier: BSD-3-Clause
 * nfvctl - readable output of JSON results (tables for lists of objects).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nfvctl.h"

#define PRINT_CELL_MAX 48

/* Text of a scalar (or compact JSON of anything else) into buf. */
static const char *
print_cell(json_t *v, char *buf, size_t size)
{
	char *s;

	if (v == NULL) { /* a column another row has (table rows differ) */
		snprintf(buf, size, "-");
		return buf;
	}
	switch (json_typeof(v)) {
	case JSON_STRING:
		snprintf(buf, size, "%s", json_string_value(v));
		break;
	case JSON_INTEGER:
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(buf, size, "%.2f", json_real_value(v));
		break;
	case JSON_TRUE:
		snprintf(buf, size, "yes");
		break;
	case JSON_FALSE:
		snprintf(buf, size, "no");
		break;
	case JSON_NULL:
		snprintf(buf, size, "-");
		break;
	case JSON_ARRAY: {
		size_t used = 0, i;
		json_t *e;
		char one[PRINT_CELL_MAX + 1];

		buf[0] = '\0';
		json_array_foreach(v, i, e)
		{
			int n;

			if (json_is_object(e) || json_is_array(e))
				break;
			n = snprintf(buf + used, size - used, "%s%s", i ? "," : "",
				     print_cell(e, one, sizeof(one)));
			if (n < 0 || (size_t)n >= size - used)
				return buf;
			used += (size_t)n;
		}
		if (i == json_array_size(v))
			return buf;
		/* arrays of objects: as JSON */
		s = json_dumps(v, JSON_COMPACT);
		snprintf(buf, size, "%s", s ? s : "?");
		free(s);
		break;
	}
	default:
		s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		snprintf(buf, size, "%s", s ? s : "?");
		free(s);
		break;
	}
	return buf;
}

static bool
print_all_objects(json_t *v)
{
	size_t i;
	const char *k;
	json_t *e;

	if (json_is_array(v)) {
		if (json_array_size(v) == 0)
			return false;
		json_array_foreach(v, i, e) if (!json_is_object(e)) return false;
		return true;
	}
	if (json_is_object(v)) {
		if (json_object_size(v) == 0)
			return false;
		json_object_foreach(v, k, e) if (!json_is_object(e)) return false;
		return true;
	}
	return false;
}

void
nfvctl_print_table(FILE *out, json_t *rows, const char *key_title, int indent)
{
	json_t *cols = json_array(), *list = json_array(), *keys = json_array(), *e;
	const char *k;
	size_t i, c, nc;
	size_t *w;
	char buf[256];

	if (key_title == NULL)
		key_title = "name";
	/* rows as a list, with the object key as an extra first column */
	if (json_is_object(rows)) {
		json_object_foreach(rows, k, e)
		{
			json_array_append(list, e);
			json_array_append_new(keys, json_string(k));
		}
	} else {
		json_array_extend(list, rows);
	}
	json_array_foreach(list, i, e)
	{
		json_t *v;

		json_object_foreach(e, k, v)
		{
			bool seen = false;
			size_t j;
			json_t *ck;

			json_array_foreach(cols, j, ck) seen |=
				strcmp(json_string_value(ck), k) == 0;
			if (!seen)
				json_array_append_new(cols, json_string(k));
		}
	}
	nc = json_array_size(cols) + (json_array_size(keys) ? 1 : 0);
	w = calloc(nc ? nc : 1, sizeof(*w));
	if (w == NULL)
		goto free_json;
	/* widths */
	for (c = 0; c < nc; c++) {
		size_t ci = json_array_size(keys) ? c - 1 : c;
		const char *title = (json_array_size(keys) && c == 0)
					    ? key_title
					    : json_string_value(json_array_get(cols, ci));

		w[c] = strlen(title);
		json_array_foreach(list, i, e)
		{
			const char *cell = (json_array_size(keys) && c == 0)
						   ? json_string_value(json_array_get(keys, i))
						   : print_cell(json_object_get(e, title), buf,
								PRINT_CELL_MAX + 1);
			size_t l = strlen(cell);

			if (l > w[c])
				w[c] = l;
		}
	}
	/* header and rows */
	for (i = 0; i <= json_array_size(list); i++) {
		fprintf(out, "%*s", indent, "");
		for (c = 0; c < nc; c++) {
			size_t ci = json_array_size(keys) ? c - 1 : c;
			bool key_col = json_array_size(keys) && c == 0;
			const char *title =
				key_col ? key_title : json_string_value(json_array_get(cols, ci));
			const char *cell;
			json_t *v = NULL;

			if (i == 0) {
				cell = title;
			} else if (key_col) {
				cell = json_string_value(json_array_get(keys, i - 1));
			} else {
				v = json_object_get(json_array_get(list, i - 1), title);
				cell = print_cell(v, buf, PRINT_CELL_MAX + 1);
			}
			if (json_is_number(v))
				fprintf(out, "%s%*s", c ? "  " : "", (int)w[c], cell);
			else if (c + 1 == nc)
				fprintf(out, "%s%s", c ? "  " : "", cell);
			else
				fprintf(out, "%s%-*s", c ? "  " : "", (int)w[c], cell);
		}
		fprintf(out, "\n");
	}
	free(w);
free_json:
	json_decref(cols);
	json_decref(list);
	json_decref(keys);
}

static void
print_value(FILE *out, json_t *v, int indent)
{
	char buf[4096];
	const char *k;
	json_t *e;
	size_t i;

	if (print_all_objects(v)) {
		nfvctl_print_table(out, v, "name", indent);
		return;
	}
	if (json_is_array(v)) {
		if (json_array_size(v) == 0)
			fprintf(out, "%*s(none)\n", indent, "");
		json_array_foreach(v, i, e)
		{
			if (json_is_object(e) || json_is_array(e)) {
				print_value(out, e, indent + 2);
			} else {
				fprintf(out, "%*s%s\n", indent, "",
					print_cell(e, buf, sizeof(buf)));
			}
		}
		return;
	}
	if (json_is_object(v)) {
		json_object_foreach(v, k, e)
		{
			if ((json_is_object(e) && json_object_size(e)) ||
			    (json_is_array(e) && !print_all_objects(e) && json_array_size(e) > 0 &&
			     (json_is_object(json_array_get(e, 0)) ||
			      json_is_array(json_array_get(e, 0))))) {
				fprintf(out, "%*s%s:\n", indent, "", k);
				print_value(out, e, indent + 2);
			} else if (print_all_objects(e)) {
				fprintf(out, "%*s%s:\n", indent, "", k);
				print_value(out, e, indent + 2);
			} else if (json_is_array(e)) {
				char line[4096] = "";
				size_t used = 0;
				json_t *item;

				json_array_foreach(e, i, item)
				{
					int n = snprintf(line + used, sizeof(line) - used, "%s%s",
							 i ? ", " : "",
							 print_cell(item, buf, sizeof(buf)));

					if (n < 0 || (size_t)n >= sizeof(line) - used)
						break;
					used += (size_t)n;
				}
				fprintf(out, "%*s%s: %s\n", indent, "", k, line);
			} else {
				fprintf(out, "%*s%s: %s\n", indent, "", k,
					print_cell(e, buf, sizeof(buf)));
			}
		}
		return;
	}
	fprintf(out, "%*s%s\n", indent, "", print_cell(v, buf, sizeof(buf)));
}

void
nfvctl_print(FILE *out, json_t *v)
{
	if (nfvctl_json()) {
		json_dumpf(v, out, JSON_INDENT(2) | JSON_ENCODE_ANY);
		fprintf(out, "\n");
		return;
	}
	if (json_is_object(v) && json_object_size(v) == 0)
		return;
	print_value(out, v, 0);
}

json_t *
nfvctl_kv_args(int argc, char **argv)
{
	json_t *o = json_object();

	for (int i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		char key[128];
		const char *val;
		char *end;
		long long n;

		if (eq == NULL || eq == argv[i]) {
			fprintf(stderr, "nfvctl: expected key=value, got '%s'\n", argv[i]);
			json_decref(o);
			return NULL;
		}
		snprintf(key, sizeof(key), "%.*s", (int)(eq - argv[i]), argv[i]);
		val = eq + 1;
		errno = 0;
		n = strtoll(val, &end, 10);
		if (val[0] != '\0' && *end == '\0' && errno == 0)
			json_object_set_new(o, key, json_integer(n));
		else
			json_object_set_new(o, key, json_string(val));
	}
	return o;
}
