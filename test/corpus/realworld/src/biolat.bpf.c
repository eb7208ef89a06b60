#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#define MAX_SLOTS 27
const volatile bool targ_ms = false;
struct hist { __u32 slots[MAX_SLOTS]; };
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 10240); __type(key, struct request *); __type(value, u64); } start SEC(".maps");
static struct hist initial_hist;
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 10240); __type(key, u32); __type(value, struct hist); } hists SEC(".maps");
static __always_inline u64 log2(u32 v) { u32 shift, r; r = (v > 0xFFFF) << 4; v >>= r; shift = (v > 0xFF) << 3; v >>= shift; r |= shift; shift = (v > 0xF) << 2; v >>= shift; r |= shift; shift = (v > 0x3) << 1; v >>= shift; r |= shift; r |= (v >> 1); return r; }
static __always_inline u64 log2l(u64 v) { u32 hi = v >> 32; if (hi) return log2(hi) + 32; else return log2(v); }
static int trace_rq_start(struct request *rq) { u64 ts = bpf_ktime_get_ns(); bpf_map_update_elem(&start, &rq, &ts, 0); return 0; }
SEC("tp_btf/block_rq_insert") int BPF_PROG(block_rq_insert, struct request *rq) { return trace_rq_start(rq); }
SEC("tp_btf/block_rq_issue") int BPF_PROG(block_rq_issue, struct request *rq) { return trace_rq_start(rq); }
SEC("tp_btf/block_rq_complete")
int BPF_PROG(block_rq_complete, struct request *rq, int error, unsigned int nr_bytes)
{
	u64 slot, *tsp, ts = bpf_ktime_get_ns(); struct hist *histp; s64 delta; u32 key = 0;
	tsp = bpf_map_lookup_elem(&start, &rq);
	if (!tsp) return 0;
	delta = (s64)(ts - *tsp);
	if (delta < 0) goto cleanup;
	key = BPF_CORE_READ(rq, q, id);
	histp = bpf_map_lookup_elem(&hists, &key);
	if (!histp) { bpf_map_update_elem(&hists, &key, &initial_hist, 0); histp = bpf_map_lookup_elem(&hists, &key); if (!histp) goto cleanup; }
	if (targ_ms) delta /= 1000000U; else delta /= 1000U;
	slot = log2l(delta);
	if (slot >= MAX_SLOTS) slot = MAX_SLOTS - 1;
	__sync_fetch_and_add(&histp->slots[slot], 1);
cleanup:
	bpf_map_delete_elem(&start, &rq);
	return 0;
}
SEC("fentry/do_unlinkat") int BPF_PROG(unlink_entry, int dfd, struct filename *name) { bpf_printk("fentry: pid = %d, filename = %s\n", (int)(bpf_get_current_pid_tgid() >> 32), name->iname); return 0; }
SEC("fexit/do_unlinkat") int BPF_PROG(unlink_exit, int dfd, struct filename *name, long ret) { bpf_printk("fexit: ret = %ld\n", ret); return 0; }
SEC("kprobe/tcp_v4_connect") int BPF_KPROBE(tcp_v4_connect, struct sock *sk) { u32 tid = (u32)bpf_get_current_pid_tgid(); bpf_map_update_elem(&start, (struct request **)&sk, (u64 *)&tid, 0); return 0; }
SEC("kretprobe/tcp_v4_connect") int BPF_KRETPROBE(tcp_v4_connect_ret, int ret) { struct sock *sk = 0; u64 *p = bpf_map_lookup_elem(&start, &sk); if (!p) return 0; u16 dport = 0; bpf_probe_read_kernel(&dport, 2, &sk->__sk_common.skc_dport); return dport + ret; }
char LICENSE[] SEC("license") = "GPL";
