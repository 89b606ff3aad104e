/* SPDX-License-Identifier: BSD-3-Clause
 * nfvd firewall - example eBPF rule matcher (build: clang -target bpf).
 *
 * A firewall rule with `bpf: {file: fw_example.o}` runs this program on
 * each packet the rule's header fields match; a non-zero return means
 * "the rule matches". The program runs in DPDK's rte_bpf with the mbuf as
 * context, so packet bytes are read with the classic load_* instructions
 * (bounds checked at run time); it must be self-contained: no maps, no
 * helper calls.
 *
 * This one matches IPv4 (untagged) TCP segments whose destination port
 * is in 8000-8099 and whose IP TTL is below 16.
 */
#include <linux/bpf.h>

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");

#define SEC(name) __attribute__((section(name), used))

SEC("socket")
int fw_example(void *ctx)
{
	unsigned long long ihl, dport;

	if (load_half(ctx, 12) != 0x0800)	/* ethertype IPv4 */
		return 0;
	if (load_byte(ctx, 14 + 9) != 6)	/* TCP */
		return 0;
	if (load_byte(ctx, 14 + 8) >= 16)	/* TTL */
		return 0;
	ihl = (load_byte(ctx, 14) & 0xf) * 4;
	dport = load_half(ctx, 14 + ihl + 2);
	return dport >= 8000 && dport <= 8099;
}

char _license[] SEC("license") = "BSD";
