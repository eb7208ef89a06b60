#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
struct sock_key { __u32 sip, dip, sport, dport, family; };
struct { __uint(type, BPF_MAP_TYPE_SOCKHASH); __uint(max_entries, 65535); __type(key, struct sock_key); __type(value, int); } sock_ops_map SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); __type(value, __u64); } cnt SEC(".maps");
SEC("sockops")
int bpf_sockops_v4(struct bpf_sock_ops *skops)
{
	__u32 family = skops->family, op = skops->op;
	if (family != 2) return 0;
	if (op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB || op == BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB) {
		struct sock_key key = { .dip = skops->remote_ip4, .sip = skops->local_ip4, .sport = bpf_htonl(skops->local_port), .dport = skops->remote_port, .family = family };
		bpf_sock_hash_update(skops, &sock_ops_map, &key, BPF_NOEXIST);
	}
	return 0;
}
SEC("sk_msg")
int bpf_redir(struct sk_msg_md *msg)
{
	struct sock_key key = { .sip = msg->remote_ip4, .dip = msg->local_ip4, .dport = bpf_htonl(msg->local_port), .sport = msg->remote_port, .family = msg->family };
	if (msg->family != 2) return SK_PASS;
	return bpf_msg_redirect_hash(msg, &sock_ops_map, &key, BPF_F_INGRESS);
}
SEC("cgroup_skb/egress")
int count_egress(struct __sk_buff *skb)
{
	__u32 k = 0; __u64 *v = bpf_map_lookup_elem(&cnt, &k);
	if (v) __sync_fetch_and_add(v, skb->len);
	return 1;
}
SEC("cgroup/connect4")
int block_port(struct bpf_sock_addr *ctx)
{
	if (ctx->user_port == bpf_htons(6666)) return 0;
	return 1;
}
char LICENSE[] SEC("license") = "GPL";
