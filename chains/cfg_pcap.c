/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - pcap-filter expressions compiled by libpcap (cfg_pcap.h).
 */
#include <errno.h>
#include <stdio.h>

#include <pcap/pcap.h>

#include "cfg_pcap.h"

int
cfg_pcap_compile(const char *expr, struct bpf_program *prog, char *why, size_t len)
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
cfg_pcap_check(const char *expr, char *why, size_t len)
{
	struct bpf_program prog;
	int ret = cfg_pcap_compile(expr, &prog, why, len);

	if (ret == 0)
		pcap_freecode(&prog);
	return ret;
}
