/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd - pcap-filter expressions to rte_bpf: the program libpcap compiles
 * (chains/cfg_pcap.c) converted to eBPF with rte_bpf_convert. Shared by the
 * packet trace's filter and the firewall's pcap-filter rules; its own small
 * library (nfv_pcap_bpf) so VNF libraries link it without the engine.
 */
#ifndef NFV_PCAP_BPF_H
#define NFV_PCAP_BPF_H

#include <stddef.h>

struct rte_bpf;
struct rte_bpf_prm;

/* expr -> rte_bpf parameters (rte_free them). The program's argument is
 * the mbuf (RTE_BPF_ARG_PTR_MBUF). Returns 0 or -errno with why filled. */
int nfv_pcap_to_prm(const char *expr, struct rte_bpf_prm **prm, char *why, size_t len);
/* expr -> a loaded program (rte_bpf_destroy it). 0 or -errno, why filled. */
int nfv_pcap_load(const char *expr, struct rte_bpf **bpf, char *why, size_t len);

#endif /* NFV_PCAP_BPF_H */
