/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - VNF class registry (filled by constructors before main).
 */
#include <string.h>

#include "vnf.h"

static const struct vnf_class *vnf_classes;

void
vnf_class_register(struct vnf_class *cls)
{
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
vnf_class_next(const struct vnf_class *prev)
{
	return prev == NULL ? vnf_classes : prev->next;
}
