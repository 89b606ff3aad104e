/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd firewall VNF - libpcap's side of pcap-filter rules, shared by the
 * schema half (fw_pcap_conf.c: does it compile?) and the runtime half
 * (fw_pcap.c: to rte_bpf). Apart from fw.h: libpcap's struct bpf_insn
 * clashes with the kernel's (libbpf) one.
 */
#ifndef NFV_FW_PCAP_H
#define NFV_FW_PCAP_H

#include <stddef.h>

#include <pcap/pcap.h>

/* Compile expr for Ethernet frames (a dead DLT_EN10MB handle) into *prog
 * (pcap_freecode it). Returns 0, or -errno with libpcap's message in why. */
int fw_pcap_compile(const char *expr, struct bpf_program *prog, char *why, size_t len);

#endif /* NFV_FW_PCAP_H */
