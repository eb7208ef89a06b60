// Loader paths real-world objects take: .kconfig and LINUX_KERNEL_VERSION externs, CO-RE
// existence/size/enum relocations, weak ksyms, string literals in .rodata.str1.1 (bpf_printk),
// static and global subprograms, tail calls through a PROG_ARRAY with initial values,
// map-in-map, a custom .data section, bpf_loop callbacks.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
extern int LINUX_KERNEL_VERSION __kconfig;
extern bool CONFIG_BPF_SYSCALL __kconfig __weak;
extern int CONFIG_HZ __kconfig __weak;
extern const void bpf_prog_active __ksym __weak;
extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym __weak;
extern void bpf_task_release(struct task_struct *p) __ksym __weak;
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
int my_counter SEC(".data.counters") = 0;
u64 seen_pids[64] = {};
struct inner { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 4); __type(key, u32); __type(value, u64); } inner1 SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS); __uint(max_entries, 2); __type(key, u32); __array(values, struct inner); } outer SEC(".maps") = { .values = { [0] = &inner1 } };
int tail_target(struct __sk_buff *skb);
struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(max_entries, 4); __type(key, u32); __array(values, int (void *)); } jmp_table SEC(".maps") = { .values = { [1] = (void *)&tail_target } };
struct task_struct___old { long state; } __attribute__((preserve_access_index));
enum cgroup_subsys_id___local { cpu_cgrp_id___local = 1 };
static __noinline int static_helper(int x) { return x * 3 + CONFIG_HZ; }
__noinline int global_helper(struct __sk_buff *skb) { if (!skb) return 0; return skb->len + 1; }
static int loop_cb(u32 i, void *ctx) { int *acc = ctx; *acc += i; return 0; }
SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec_core, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	int acc = 0, has_state = 0;
	if (bpf_core_field_exists(struct task_struct___old, state)) has_state = 1;
	if (bpf_core_type_exists(struct bpf_iter_num)) acc += 1;
	acc += bpf_core_field_size(p->comm);
	acc += bpf_core_enum_value(enum cgroup_subsys_id___local, cpu_cgrp_id___local);
	if (LINUX_KERNEL_VERSION >= KERNEL_VERSION(6, 0, 0) && CONFIG_BPF_SYSCALL) acc += 2;
	if (&bpf_prog_active) acc += 4;
	if (bpf_task_acquire) { struct task_struct *t = bpf_task_acquire(p); if (t) { acc += t->pid; bpf_task_release(t); } }
	bpf_rcu_read_lock(); acc += p->real_parent ? 1 : 0; bpf_rcu_read_unlock();
	bpf_loop(8, loop_cb, &acc, 0);
	seen_pids[(u32)p->pid & 63] = bpf_ktime_get_ns();
	__sync_fetch_and_add(&my_counter, 1);
	bpf_printk("exec %s acc=%d state=%d", p->comm, acc, has_state);
	return static_helper(acc);
}
SEC("tc")
int tail_target(struct __sk_buff *skb) { return global_helper(skb) > 100; }
SEC("tc")
int tail_caller(struct __sk_buff *skb)
{
	u32 k = 0; void *m = bpf_map_lookup_elem(&outer, &k);
	if (m) { u64 *v = bpf_map_lookup_elem(m, &k); if (v) *v += 1; }
	bpf_tail_call(skb, &jmp_table, 1);
	return global_helper(skb);
}
char LICENSE[] SEC("license") = "GPL";
