/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - pcap-filter expressions to rte_bpf (pcap_bpf.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <pcap/pcap.h>

#include <rte_bpf.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "cfg_pcap.h"
#include "pcap_bpf.h"

int
nfv_pcap_to_prm(const char *expr, struct rte_bpf_prm **prm, char *why, size_t len)
{
	struct bpf_program prog;
	int ret = cfg_pcap_compile(expr, &prog, why, len);

	if (ret < 0)
		return ret;
	*prm = rte_bpf_convert(&prog);
	pcap_freecode(&prog);
	if (*prm == NULL) {
		snprintf(why, len, "rte_bpf_convert: %s", rte_strerror(rte_errno));
		return rte_errno ? -rte_errno : -EINVAL;
	}
	return 0;
}

int
nfv_pcap_load(const char *expr, struct rte_bpf **bpf, char *why, size_t len)
{
	struct rte_bpf_prm *prm = NULL;
	int ret = nfv_pcap_to_prm(expr, &prm, why, len);

	if (ret < 0)
		return ret;
	*bpf = rte_bpf_load(prm);
	rte_free(prm);
	if (*bpf == NULL) {
		ret = rte_errno ? -rte_errno : -EINVAL;
		snprintf(why, len, "pcap-filter '%s' does not load into rte_bpf: %s", expr,
			 strerror(-ret));
		return ret;
	}
	return 0;
}
