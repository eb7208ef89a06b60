// Mistakes BPF authors make, one per program: what the 7.2 verifier says about each.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 128); __type(key, u32); __type(value, u64); } counts SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } rb SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 16); __type(key, u32); __type(value, u64[8]); } arr SEC(".maps");

SEC("kprobe/do_nanosleep")
int missing_null_check(struct pt_regs *ctx)
{
	u32 k = bpf_get_current_pid_tgid();
	u64 *v = bpf_map_lookup_elem(&counts, &k);
	*v += 1; /* no NULL check */
	return 0;
}
SEC("kprobe/do_nanosleep")
int ringbuf_leak(struct pt_regs *ctx)
{
	u64 *e = bpf_ringbuf_reserve(&rb, 8, 0);
	if (!e) return 0;
	*e = bpf_ktime_get_ns();
	if (*e & 1) bpf_ringbuf_submit(e, 0); /* leaked on the other path */
	return 0;
}
SEC("xdp")
int packet_unchecked(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end) return XDP_PASS;
	struct iphdr *ip = (void *)(eth + 1);
	return ip->protocol == 6 ? XDP_DROP : XDP_PASS; /* ip not bounds-checked */
}
SEC("kprobe/do_nanosleep")
int unbounded_index(struct pt_regs *ctx)
{
	u32 k = 0;
	u64 (*v)[8] = bpf_map_lookup_elem(&arr, &k);
	if (!v) return 0;
	u32 i = bpf_get_prandom_u32();
	(*v)[i] = 1; /* index not bounded */
	return 0;
}
SEC("socket")
int helper_not_allowed(struct __sk_buff *skb)
{
	char comm[16];
	bpf_get_current_comm(comm, sizeof(comm)); /* not for socket filters */
	return comm[0];
}
SEC("kprobe/do_nanosleep")
int uninit_stack(struct pt_regs *ctx)
{
	u32 k;
	u64 v = 1;
	if (bpf_get_prandom_u32() & 1) k = 3;
	bpf_map_update_elem(&counts, &k, &v, BPF_ANY); /* k maybe uninitialized */
	return 0;
}
SEC("tp_btf/sched_switch")
int BPF_PROG(write_to_kernel_ptr, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	prev->pid = 0; /* tracing programs may not write kernel memory */
	return 0;
}
SEC("xdp")
int bad_return(struct xdp_md *ctx)
{
	return bpf_get_prandom_u32(); /* xdp must return 0..XDP_REDIRECT? any value is accepted? */
}
char LICENSE[] SEC("license") = "GPL";
