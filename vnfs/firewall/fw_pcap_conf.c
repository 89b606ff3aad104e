/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd firewall VNF - pcap-filter expressions, schema half: compiled by
 * libpcap for Ethernet frames (a dead DLT_EN10MB handle). No DPDK: nfvctl
 * refuses an expression that does not compile with it. The runtime half
 * (fw_pcap.c) converts the program to eBPF with rte_bpf_convert.
 */
#include <errno.h>
#include <stdio.h>

#include "fw.h"
#include "fw_pcap.h"

int
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
