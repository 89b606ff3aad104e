/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - VNF class registries (filled by constructors before main): the
 * schema halves (nfvctl and nfvd) and the runtime halves (nfvd).
 */
#include <string.h>

#include "vnf.h"

static struct vnf_schema *vnf_schemas;
static const struct vnf_class *vnf_classes;

void
vnf_schema_register(struct vnf_schema *s)
{
	s->next = vnf_schemas;
	vnf_schemas = s;
}

const struct vnf_schema *
vnf_schema_find(const char *name)
{
	for (const struct vnf_schema *s = vnf_schemas; s != NULL; s = s->next)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

const struct vnf_schema *
vnf_schema_for_runtime(const char *runtime)
{
	for (const struct vnf_schema *s = vnf_schemas; s != NULL; s = s->next)
		if (s->runtime != NULL && strcmp(s->runtime, runtime) == 0)
			return s;
	return NULL;
}

const struct vnf_schema *
vnf_schema_next(const struct vnf_schema *prev)
{
	return prev == NULL ? vnf_schemas : prev->next;
}

void
vnf_class_register(struct vnf_class *cls)
{
	cls->name = cls->schema->name;
	cls->next = vnf_classes;
	vnf_classes = cls;
}

const struct vnf_class *
vnf_class_find(const char *name)
{
	for (const struct vnf_class *c = vnf_classes; c != NULL; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const struct vnf_class *
vnf_class_of(const struct vnf_schema *s)
{
	for (const struct vnf_class *c = vnf_classes; c != NULL; c = c->next)
		if (c->schema == s)
			return c;
	return NULL;
}

const struct vnf_class *
vnf_class_next(const struct vnf_class *prev)
{
	return prev == NULL ? vnf_classes : prev->next;
}
