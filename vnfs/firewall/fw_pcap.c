/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd firewall VNF - pcap-filter expressions, runtime half: the program
 * libpcap compiles (fw_pcap_conf.c) converted to eBPF with rte_bpf_convert.
 */
#define ALLOW_EXPERIMENTAL_API 1
#include <errno.h>
#include <stdio.h>

#include <rte_bpf.h>
#include <rte_errno.h>

#include "fw_pcap.h"
#include "fw_rt.h"

int
fw_pcap_to_prm(const char *expr, struct rte_bpf_prm **prm, char *why, size_t len)
{
	struct bpf_program prog;
	int ret = fw_pcap_compile(expr, &prog, why, len);

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
