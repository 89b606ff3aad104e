/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - DPDK telemetry commands: /nfvd/status, /nfvd/stats, /nfvd/ports,
 * /nfvd/chains, /nfvd/vnfs (dpdk-telemetry.py shows them).
 *
 * The engine's JSON views are converted to rte_tel_data. DPDK telemetry
 * nests one level only (a dict whose values may be dicts or arrays of
 * scalars), so deeper objects are flattened into that level with '/'
 * joined keys ("counters/rx"). Names are limited to [A-Za-z0-9_/]: other
 * characters become '_'. Callbacks run on DPDK's telemetry thread; the
 * engine views take the engine lock.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

#include "engine.h"

#define TEL_KEY_MAX 64

/* Clean a dict key for DPDK telemetry. */
static void
tel_key(char *out, size_t size, const char *prefix, const char *key)
{
	size_t n = 0;

	out[0] = '\0';
	if (prefix && prefix[0])
		n = (size_t)snprintf(out, size, "%s/", prefix);
	if (n >= size)
		n = size - 1;
	for (const char *p = key; *p && n + 1 < size; p++)
		out[n++] = (isalnum((unsigned char)*p) || *p == '_' || *p == '/') ? *p : '_';
	out[n] = '\0';
}

static void
tel_add_scalar(struct rte_tel_data *d, const char *key, json_t *v)
{
	char buf[RTE_TEL_MAX_STRING_LEN];

	switch (json_typeof(v)) {
	case JSON_INTEGER:
		if (json_integer_value(v) < 0)
			rte_tel_data_add_dict_int(d, key, (int)json_integer_value(v));
		else
			rte_tel_data_add_dict_u64(d, key, (uint64_t)json_integer_value(v));
		break;
	case JSON_REAL:
		snprintf(buf, sizeof(buf), "%.3f", json_real_value(v));
		rte_tel_data_add_dict_string(d, key, buf);
		break;
	case JSON_STRING:
		snprintf(buf, sizeof(buf), "%s", json_string_value(v));
		rte_tel_data_add_dict_string(d, key, buf);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		rte_tel_data_add_dict_string(d, key, json_is_true(v) ? "true" : "false");
		break;
	case JSON_NULL:
		rte_tel_data_add_dict_string(d, key, "");
		break;
	default:
		break;
	}
}

/* Put v's scalar leaves into dict d, keys prefixed by prefix. */
static void
tel_flatten(struct rte_tel_data *d, const char *prefix, json_t *v)
{
	char key[TEL_KEY_MAX];

	if (json_is_object(v)) {
		const char *k;
		json_t *c;

		json_object_foreach(v, k, c)
		{
			tel_key(key, sizeof(key), prefix, k);
			tel_flatten(d, key, c);
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *c;

		json_array_foreach(v, i, c)
		{
			char idx[24];

			snprintf(idx, sizeof(idx), "%zu", i);
			tel_key(key, sizeof(key), prefix, idx);
			tel_flatten(d, key, c);
		}
	} else {
		tel_add_scalar(d, prefix, v);
	}
}

/* An array of scalars of one kind as a telemetry array, or NULL. */
static struct rte_tel_data *
tel_scalar_array(json_t *a)
{
	struct rte_tel_data *c;
	bool all_str = true, all_uint = true;
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
	{
		all_str &= json_is_string(v);
		all_uint &= json_is_integer(v) && json_integer_value(v) >= 0;
	}
	if ((!all_str && !all_uint) || json_array_size(a) > RTE_TEL_MAX_ARRAY_ENTRIES)
		return NULL;
	c = rte_tel_data_alloc();
	if (c == NULL)
		return NULL;
	rte_tel_data_start_array(c, all_str ? RTE_TEL_STRING_VAL : RTE_TEL_U64_VAL);
	json_array_foreach(a, i, v)
	{
		if (all_str)
			rte_tel_data_add_array_string(c, json_string_value(v));
		else
			rte_tel_data_add_array_u64(c, (uint64_t)json_integer_value(v));
	}
	return c;
}

/* Key for an array element: its "name" field when it has one. */
static void
tel_elem_key(char *out, size_t size, json_t *elem, size_t idx)
{
	const char *name = json_string_value(json_object_get(elem, "name"));
	char num[24];

	if (name == NULL) {
		snprintf(num, sizeof(num), "%zu", idx);
		name = num;
	}
	tel_key(out, size, NULL, name);
}

/* Add one top-level member: scalars as is, objects/arrays as containers. */
static void
tel_add_member(struct rte_tel_data *d, const char *name, json_t *v)
{
	char key[TEL_KEY_MAX];
	struct rte_tel_data *c;

	tel_key(key, sizeof(key), NULL, name);
	if (!json_is_object(v) && !json_is_array(v)) {
		tel_add_scalar(d, key, v);
		return;
	}
	if (json_is_array(v)) {
		c = tel_scalar_array(v);
		if (c != NULL) {
			if (rte_tel_data_add_dict_container(d, key, c, 0) < 0)
				rte_tel_data_free(c);
			return;
		}
	}
	c = rte_tel_data_alloc();
	if (c == NULL)
		return;
	rte_tel_data_start_dict(c);
	if (json_is_array(v)) {
		size_t i;
		json_t *e;

		json_array_foreach(v, i, e)
		{
			char ek[TEL_KEY_MAX];

			tel_elem_key(ek, sizeof(ek), e, i);
			tel_flatten(c, ek, e);
		}
	} else {
		tel_flatten(c, NULL, v);
	}
	if (rte_tel_data_add_dict_container(d, key, c, 0) < 0)
		rte_tel_data_free(c);
}

/* Fill d from a JSON object (members) or array (one entry each). */
static int
tel_from_json(struct rte_tel_data *d, json_t *root)
{
	const char *k;
	json_t *v;

	if (root == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(d);
	if (json_is_array(root)) {
		size_t i;

		json_array_foreach(root, i, v)
		{
			char ek[TEL_KEY_MAX];

			tel_elem_key(ek, sizeof(ek), v, i);
			tel_add_member(d, ek, v);
		}
	} else {
		json_object_foreach(root, k, v) tel_add_member(d, k, v);
	}
	return 0;
}

static int
tel_status(const char *cmd, const char *params, struct rte_tel_data *d)
{
	json_t *st = nfv_engine_status();
	int ret;

	(void)cmd, (void)params;
	ret = tel_from_json(d, st);
	json_decref(st);
	return ret;
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	json_t *st = nfv_engine_stats();
	int ret;

	(void)cmd, (void)params;
	ret = tel_from_json(d, st);
	json_decref(st);
	return ret;
}

/* /nfvd/ports, /nfvd/chains, /nfvd/vnfs: one section of the stats; with a
 * parameter, only that entry ("/nfvd/vnfs,r1"). */
static int
tel_section(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const char *section = strrchr(cmd, '/') + 1;
	json_t *st = nfv_engine_stats(), *sec, *one;
	int ret;

	if (st == NULL)
		return -ENOMEM;
	sec = json_object_get(st, section);
	if (params != NULL && params[0] != '\0') {
		one = json_object_get(sec, params);
		if (one == NULL) {
			json_decref(st);
			return -EINVAL;
		}
		ret = tel_from_json(d, one);
	} else if (sec != NULL) {
		ret = tel_from_json(d, sec);
	} else {
		rte_tel_data_start_dict(d);
		ret = 0;
	}
	json_decref(st);
	return ret;
}

int
nfv_telemetry_register(void)
{
	static const struct {
		const char *cmd;
		telemetry_cb fn;
		const char *help;
	} tel_cmds[] = {
		{"/nfvd/status", tel_status, "nfvd status: version, workers, ports, chains, vnfs."},
		{"/nfvd/stats", tel_stats,
		 "nfvd counters: ports, chains, vnfs, engine drops, workers."},
		{"/nfvd/ports", tel_section,
		 "nfvd port counters. Parameters: port name (optional)."},
		{"/nfvd/chains", tel_section,
		 "nfvd chain counters. Parameters: chain name (optional)."},
		{"/nfvd/vnfs", tel_section,
		 "nfvd VNF counters and drop reasons. Parameters: instance name (optional)."},
	};

	for (size_t i = 0; i < sizeof(tel_cmds) / sizeof(tel_cmds[0]); i++) {
		int ret = rte_telemetry_register_cmd(tel_cmds[i].cmd, tel_cmds[i].fn,
						     tel_cmds[i].help);

		if (ret < 0)
			return ret;
	}
	return 0;
}
