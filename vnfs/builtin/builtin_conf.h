/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - built-in classes forward, drop, counter, mac-rewrite, capture:
 * their schema halves (builtin_conf.c, no DPDK) and the confs they parse,
 * shared with the runtime halves (builtin_cp.c, capture_cp.c).
 */
#ifndef NFV_BUILTIN_CONF_H
#define NFV_BUILTIN_CONF_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"
#include "vnf.h"

/* forward */
struct fwd_conf {
	uint16_t port; /* config index */
};

/* mac-rewrite */
struct mrw_conf {
	bool set_src, set_dst;
	uint8_t src[6], dst[6];
};

/* capture */
struct cap_conf {
	char file[NFV_PATH_MAX];
	uint32_t snaplen;
};

extern struct vnf_schema fwd_schema, drop_schema, cnt_schema, mrw_schema, cap_schema;

#endif /* NFV_BUILTIN_CONF_H */
