/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
 * nfvd firewall - XDP pre-filter for af_xdp ports (clang -target bpf).
 *
 * Given to net_af_xdp as the port's `xdp-prog:`. Packets whose source
 * address is in fw_deny4 / fw_deny6 (LPM tries the firewall keeps in step
 * with its stateless source-prefix drop rules) are dropped in the kernel
 * and counted in fw_drops; everything else goes to the AF_XDP socket of
 * its rx queue (xsks_map, filled by the PMD).
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct fw_lpm4 {
	__u32 prefixlen;
	__u8 addr[4];
};
struct fw_lpm6 {
	__u32 prefixlen;
	__u8 addr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct fw_lpm4);
	__type(value, __u32);
} fw_deny4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct fw_lpm6);
	__type(value, __u32);
} fw_deny6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} fw_drops SEC(".maps");

struct vlan_hdr {
	__be16 tci;
	__be16 proto;
};

static __always_inline int
fw_drop(void)
{
	__u32 k = 0;
	__u64 *c = bpf_map_lookup_elem(&fw_drops, &k);

	if (c)
		*c += 1;
	return XDP_DROP;
}

SEC("xdp")
int fw_xdp_prog(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	void *l3 = eth + 1;
	__u16 proto;

	if (l3 > end)
		goto pass;
	proto = eth->h_proto;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *v = l3;

		if ((void *)(v + 1) > end)
			goto pass;
		proto = v->proto;
		l3 = v + 1;
	}
	if (proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = l3;
		struct fw_lpm4 k = {.prefixlen = 32};

		if ((void *)(ip + 1) > end)
			goto pass;
		__builtin_memcpy(k.addr, &ip->saddr, 4);
		if (bpf_map_lookup_elem(&fw_deny4, &k))
			return fw_drop();
	} else if (proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = l3;
		struct fw_lpm6 k = {.prefixlen = 128};

		if ((void *)(ip6 + 1) > end)
			goto pass;
		__builtin_memcpy(k.addr, &ip6->saddr, 16);
		if (bpf_map_lookup_elem(&fw_deny6, &k))
			return fw_drop();
	}
pass:
	return bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);
}

char _license[] SEC("license") = "Dual BSD/GPL";
