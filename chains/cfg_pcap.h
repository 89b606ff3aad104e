/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - pcap-filter expressions compiled by libpcap for Ethernet frames
 * (a dead DLT_EN10MB handle). DPDK-free: nfvctl and the schema halves check
 * that an expression compiles; nfvd converts the program to eBPF for
 * rte_bpf (dataplane/pcap_bpf.h). Used by the firewall's pcap-filter rules
 * and the packet trace's filter. It does not include libpcap's headers:
 * their struct bpf_insn clashes with the kernel's (libbpf) one, which the
 * firewall's schema half includes.
 */
#ifndef NFV_CFG_PCAP_H
#define NFV_CFG_PCAP_H

#include <stddef.h>

struct bpf_program; /* libpcap's: include <pcap/pcap.h> to use it */

/* Compile expr into *prog (pcap_freecode it). Returns 0, or -errno with
 * libpcap's message in why. */
int cfg_pcap_compile(const char *expr, struct bpf_program *prog, char *why, size_t len);
/* Does expr compile? 0 or -errno with the reason in why. */
int cfg_pcap_check(const char *expr, char *why, size_t len);

#endif /* NFV_CFG_PCAP_H */
