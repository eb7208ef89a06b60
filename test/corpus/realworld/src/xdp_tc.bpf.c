#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#define ETH_P_IP 0x0800
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2
struct { __uint(type, BPF_MAP_TYPE_LRU_HASH); __uint(max_entries, 4096); __type(key, __u32); __type(value, __u64); } counters SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_DEVMAP); __uint(max_entries, 8); __type(key, __u32); __type(value, __u32); } tx SEC(".maps");
SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end) return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP)) return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end) return XDP_PASS;
	if (ip->ihl < 5) return XDP_DROP;
	__u32 src = ip->saddr;
	__u64 *c = bpf_map_lookup_elem(&counters, &src);
	if (c) __sync_fetch_and_add(c, 1); else { __u64 one = 1; bpf_map_update_elem(&counters, &src, &one, BPF_ANY); }
	if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = (void *)ip + ip->ihl * 4;
		if ((void *)(udp + 1) > data_end) return XDP_PASS;
		if (udp->dest == bpf_htons(4789)) return bpf_redirect_map(&tx, 0, XDP_PASS);
	}
	return XDP_PASS;
}
SEC("tc")
int tc_filter(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end) return TC_ACT_OK;
	if (eth->h_proto != bpf_htons(ETH_P_IP)) return TC_ACT_OK;
	struct iphdr iph;
	if (bpf_skb_load_bytes(skb, sizeof(*eth), &iph, sizeof(iph)) < 0) return TC_ACT_OK;
	if (iph.ttl <= 1) return TC_ACT_SHOT;
	skb->mark = iph.tos;
	return TC_ACT_OK;
}
char LICENSE[] SEC("license") = "GPL";
