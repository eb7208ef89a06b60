// More tracing-tool shapes: perf_event sampling with stack ids, uprobes and USDT, ksyscall,
// kprobe.multi, task local storage, runqlat-style tp_btf with CO-RE field probing.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/usdt.bpf.h>
#define TASK_RUNNING 0
struct key_t { u32 pid; int user_stack_id; int kern_stack_id; char name[16]; };
struct { __uint(type, BPF_MAP_TYPE_STACK_TRACE); __type(key, u32); __uint(value_size, 127 * sizeof(u64)); __uint(max_entries, 1024); } stackmap SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __type(key, struct key_t); __type(value, u64); __uint(max_entries, 10240); } counts SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_TASK_STORAGE); __uint(map_flags, BPF_F_NO_PREALLOC); __type(key, int); __type(value, u64); } start SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 26); __type(key, u32); __type(value, u64); } hist SEC(".maps");
const volatile bool user_stacks_only = false;
SEC("perf_event")
int do_perf_event(struct bpf_perf_event_data *ctx)
{
	u64 id = bpf_get_current_pid_tgid(); u32 pid = id >> 32;
	if (pid == 0) return 0;
	struct key_t key = {}; key.pid = pid;
	bpf_get_current_comm(&key.name, sizeof(key.name));
	key.kern_stack_id = user_stacks_only ? -1 : bpf_get_stackid(&ctx->regs, &stackmap, 0);
	key.user_stack_id = bpf_get_stackid(&ctx->regs, &stackmap, BPF_F_USER_STACK);
	u64 zero = 0, *val = bpf_map_lookup_elem(&counts, &key);
	if (!val) { bpf_map_update_elem(&counts, &key, &zero, BPF_NOEXIST); val = bpf_map_lookup_elem(&counts, &key); if (!val) return 0; }
	__sync_fetch_and_add(val, 1);
	return 0;
}
SEC("uretprobe//bin/bash:readline")
int BPF_KRETPROBE(printret, const void *ret)
{
	char str[80]; char comm[16];
	if (!ret) return 0;
	bpf_get_current_comm(&comm, sizeof(comm));
	if (comm[0] != 'b' || comm[1] != 'a' || comm[2] != 's' || comm[3] != 'h' || comm[4] != 0) return 0;
	bpf_probe_read_user_str(str, sizeof(str), ret);
	bpf_printk("readline: %s", str);
	return 0;
}
SEC("uprobe")
int BPF_KPROBE(malloc_enter, size_t size) { u32 k = size > 4096 ? 1 : 0; u64 *v = bpf_map_lookup_elem(&hist, &k); if (v) __sync_fetch_and_add(v, 1); return 0; }
SEC("usdt")
int BPF_USDT(usdt_probe, int x, long y) { u32 k = (x + y) & 15; u64 *v = bpf_map_lookup_elem(&hist, &k); if (v) *v += 1; return 0; }
SEC("ksyscall/kill")
int BPF_KSYSCALL(kill_entry, pid_t pid, int sig) { if (sig == 9) bpf_printk("KILL %d", pid); return 0; }
SEC("kprobe.multi/vfs_*")
int kmulti(struct pt_regs *ctx) { u64 ip = bpf_get_func_ip(ctx); u32 k = ip & 7; u64 *v = bpf_map_lookup_elem(&hist, &k); if (v) *v += 1; return 0; }
static __always_inline u64 log2l(u64 v) { u64 r = 0; while (v > 1 && r < 63) { v >>= 1; r++; } return r; }
SEC("tp_btf/sched_wakeup")
int BPF_PROG(sched_wakeup, struct task_struct *p)
{
	u64 *ts = bpf_task_storage_get(&start, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (ts) *ts = bpf_ktime_get_ns();
	return 0;
}
struct task_struct___o { volatile long state; } __attribute__((preserve_access_index));
struct task_struct___x { unsigned int __state; } __attribute__((preserve_access_index));
static __always_inline long get_task_state(void *task)
{
	struct task_struct___x *t = task;
	if (bpf_core_field_exists(t->__state)) return BPF_CORE_READ(t, __state);
	return BPF_CORE_READ((struct task_struct___o *)task, state);
}
SEC("tp_btf/sched_switch")
int BPF_PROG(sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	if (get_task_state(prev) == TASK_RUNNING) { u64 *ts = bpf_task_storage_get(&start, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE); if (ts) *ts = bpf_ktime_get_ns(); }
	u64 *tsp = bpf_task_storage_get(&start, next, 0, 0);
	if (!tsp) return 0;
	u64 delta = bpf_ktime_get_ns() - *tsp;
	u32 slot = log2l(delta / 1000);
	if (slot >= 26) slot = 25;
	u64 *v = bpf_map_lookup_elem(&hist, &slot);
	if (v) __sync_fetch_and_add(v, 1);
	bpf_task_storage_delete(&start, next);
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
