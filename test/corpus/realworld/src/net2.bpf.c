// Networking shapes: an XDP load balancer (adjust_head, csum_diff, fib_lookup), TC header
// rewrites (store_bytes, l3/l4 csum), sk_skb stream verdicts, flow dissector, sk_lookup.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#define ETH_P_IP 0x0800
#define AF_INET 2
struct backend { __u32 ip; __u8 mac[6]; __u16 pad; };
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 16); __type(key, __u32); __type(value, struct backend); } backends SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_SOCKMAP); __uint(max_entries, 16); __type(key, __u32); __type(value, __u64); } socks SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_SOCKMAP); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } lookup_socks SEC(".maps");
static __always_inline __u16 csum_fold(__u32 csum) { csum = (csum & 0xffff) + (csum >> 16); csum = (csum & 0xffff) + (csum >> 16); return ~csum; }
SEC("xdp")
int xdp_lb(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data; struct iphdr *ip = data + sizeof(*eth);
	if ((void *)(ip + 1) > data_end) return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != IPPROTO_TCP) return XDP_PASS;
	__u32 idx = bpf_ntohl(ip->saddr) & 15;
	struct backend *b = bpf_map_lookup_elem(&backends, &idx);
	if (!b || !b->ip) return XDP_PASS;
	__u32 old = ip->daddr; ip->daddr = b->ip;
	__s64 csum = bpf_csum_diff(&old, 4, &b->ip, 4, ~((__u32)ip->check));
	if (csum < 0) return XDP_ABORTED;
	ip->check = csum_fold(csum);
	struct bpf_fib_lookup fib = {};
	fib.family = AF_INET; fib.ipv4_dst = ip->daddr; fib.ifindex = ctx->ingress_ifindex; fib.tot_len = bpf_ntohs(ip->tot_len);
	long rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS) return XDP_PASS;
	__builtin_memcpy(eth->h_dest, fib.dmac, 6); __builtin_memcpy(eth->h_source, fib.smac, 6);
	if (bpf_xdp_adjust_head(ctx, 0)) return XDP_DROP;
	return bpf_redirect(fib.ifindex, 0);
}
SEC("tc")
int tc_rewrite(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	if (data + sizeof(struct ethhdr) + sizeof(struct iphdr) + sizeof(struct tcphdr) > data_end) return 0;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	if (ip->protocol != IPPROTO_TCP || ip->ihl != 5) return 0;
	__u32 old = ip->saddr, new = bpf_htonl(0x0a000001);
	int ip_off = sizeof(struct ethhdr), tcp_off = ip_off + sizeof(struct iphdr);
	bpf_l4_csum_replace(skb, tcp_off + offsetof(struct tcphdr, check), old, new, BPF_F_PSEUDO_HDR | 4);
	bpf_l3_csum_replace(skb, ip_off + offsetof(struct iphdr, check), old, new, 4);
	bpf_skb_store_bytes(skb, ip_off + offsetof(struct iphdr, saddr), &new, 4, 0);
	return bpf_redirect(skb->ifindex, 0);
}
SEC("sk_skb/stream_parser")
int prog_parser(struct __sk_buff *skb) { return skb->len; }
SEC("sk_skb/stream_verdict")
int prog_verdict(struct __sk_buff *skb) { __u32 k = skb->remote_port & 15; return bpf_sk_redirect_map(skb, &socks, k, 0); }
SEC("flow_dissector")
int dissect(struct __sk_buff *skb)
{
	struct bpf_flow_keys *keys = skb->flow_keys;
	struct iphdr iph;
	if (bpf_skb_load_bytes(skb, keys->thoff, &iph, sizeof(iph))) return BPF_DROP;
	keys->addr_proto = ETH_P_IP; keys->ipv4_src = iph.saddr; keys->ipv4_dst = iph.daddr; keys->ip_proto = iph.protocol;
	keys->thoff += iph.ihl << 2;
	return BPF_OK;
}
SEC("sk_lookup")
int lookup(struct bpf_sk_lookup *ctx)
{
	if (ctx->local_port != 7007) return SK_PASS;
	__u32 zero = 0; struct bpf_sock *sk = bpf_map_lookup_elem(&lookup_socks, &zero);
	if (!sk) return SK_DROP;
	long err = bpf_sk_assign(ctx, sk, 0);
	bpf_sk_release(sk);
	return err ? SK_DROP : SK_PASS;
}
char LICENSE[] SEC("license") = "GPL";
