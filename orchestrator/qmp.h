/* SPDX-License-Identifier: BSD-3-Clause
 * nfvctl - a minimal QMP (QEMU Machine Protocol) client: connect to a
 * guest's QMP Unix socket, negotiate capabilities, run one command at a
 * time with a timeout. Events arriving in between are skipped.
 */
#ifndef NFV_QMP_H
#define NFV_QMP_H

#include <stddef.h>

#include <jansson.h>

struct qmp {
	int fd;
	size_t len;
	char buf[8192];
};

/* Connect and negotiate (qmp_capabilities). Returns 0 or -errno. */
int qmp_open(struct qmp *q, const char *path, int timeout_ms);
void qmp_close(struct qmp *q);
/* Run cmd (arguments may be NULL, stolen). On success *ret is the "return"
 * value (caller decrefs; may be passed NULL). -EIO with err filled when QEMU
 * answers with an error, -ETIMEDOUT, -EPIPE when it closed. */
int qmp_exec(struct qmp *q, const char *cmd, json_t *args, json_t **ret, int timeout_ms,
	     char *err, size_t errlen);
/* "running", "paused", "shutdown", ... into status; 0 or -errno. */
int qmp_query_status(struct qmp *q, char *status, size_t size, int timeout_ms);

#endif /* NFV_QMP_H */
