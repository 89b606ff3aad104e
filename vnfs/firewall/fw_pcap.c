/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd firewall VNF - pcap-filter expressions: compiled by libpcap for
 * Ethernet frames (a dead DLT_EN10MB handle), converted to eBPF with
 * rte_bpf_convert. Kept apart: libpcap's struct bpf_insn clashes with the
 * kernel's (libbpf) one.
 */
#define ALLOW_EXPERIMENTAL_API 1
#include <errno.h>
#include <stdio.h>

#include <pcap/pcap.h>

#include <rte_bpf.h>
#include <rte_errno.h>

#include "fw_rt.h"

static int
fw_pcap_compile(const char *expr, struct bpf_program *prog, char *why, size_t len)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, 65535);
	int ret = 0;

	if (p == NULL) {
		snprintf(why, len, "libpcap: cannot open a dead handle");
		return -ENOMEM;
	}
	if (pcap_compile(p, prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(why, len, "pcap-filter does not compile: %s", pcap_geterr(p));
		ret = -EINVAL;
	}
	pcap_close(p);
	return ret;
}

int
fw_pcap_check(const char *expr, char *why, size_t len)
{
	struct bpf_program prog;
	int ret = fw_pcap_compile(expr, &prog, why, len);

	if (ret == 0)
		pcap_freecode(&prog);
	return ret;
}

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
