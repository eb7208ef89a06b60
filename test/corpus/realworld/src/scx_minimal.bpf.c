#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
char _license[] SEC("license") = "GPL";
#define SHARED_DSQ 0
#define SCX_SLICE_DFL 20000000ULL
#define SCX_DSQ_LOCAL ((1ULL << 63) | 2)
s32 scx_bpf_select_cpu_dfl(struct task_struct *p, s32 prev_cpu, u64 wake_flags, bool *is_idle) __ksym;
void scx_bpf_dsq_insert(struct task_struct *p, u64 dsq_id, u64 slice, u64 enq_flags) __ksym;
void scx_bpf_dsq_insert_vtime(struct task_struct *p, u64 dsq_id, u64 slice, u64 vtime, u64 enq_flags) __ksym;
bool scx_bpf_dsq_move_to_local(u64 dsq_id) __ksym;
s32 scx_bpf_create_dsq(u64 dsq_id, s32 node) __ksym;
const volatile bool fifo_sched;
static u64 vtime_now;
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __uint(key_size, sizeof(u32)); __uint(value_size, sizeof(u64)); __uint(max_entries, 2); } stats SEC(".maps");
static void stat_inc(u32 idx) { u64 *cnt_p = bpf_map_lookup_elem(&stats, &idx); if (cnt_p) (*cnt_p)++; }
static inline bool vtime_before(u64 a, u64 b) { return (s64)(a - b) < 0; }
SEC("struct_ops/simple_select_cpu")
s32 BPF_PROG(simple_select_cpu, struct task_struct *p, s32 prev_cpu, u64 wake_flags)
{
	bool is_idle = false; s32 cpu;
	cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);
	if (is_idle) { stat_inc(0); scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, SCX_SLICE_DFL, 0); }
	return cpu;
}
SEC("struct_ops/simple_enqueue")
void BPF_PROG(simple_enqueue, struct task_struct *p, u64 enq_flags)
{
	stat_inc(1);
	if (fifo_sched) { scx_bpf_dsq_insert(p, SHARED_DSQ, SCX_SLICE_DFL, enq_flags); }
	else {
		u64 vtime = p->scx.dsq_vtime;
		if (vtime_before(vtime, vtime_now - SCX_SLICE_DFL)) vtime = vtime_now - SCX_SLICE_DFL;
		scx_bpf_dsq_insert_vtime(p, SHARED_DSQ, SCX_SLICE_DFL, vtime, enq_flags);
	}
}
SEC("struct_ops/simple_dispatch")
void BPF_PROG(simple_dispatch, s32 cpu, struct task_struct *prev) { scx_bpf_dsq_move_to_local(SHARED_DSQ); }
SEC("struct_ops/simple_running")
void BPF_PROG(simple_running, struct task_struct *p) { if (fifo_sched) return; if (vtime_before(vtime_now, p->scx.dsq_vtime)) vtime_now = p->scx.dsq_vtime; }
SEC("struct_ops/simple_stopping")
void BPF_PROG(simple_stopping, struct task_struct *p, bool runnable) { if (fifo_sched) return; p->scx.dsq_vtime += (SCX_SLICE_DFL - p->scx.slice) * 100 / p->scx.weight; }
SEC("struct_ops/simple_enable")
void BPF_PROG(simple_enable, struct task_struct *p) { p->scx.dsq_vtime = vtime_now; }
SEC("struct_ops.s/simple_init")
s32 BPF_PROG(simple_init) { return scx_bpf_create_dsq(SHARED_DSQ, -1); }
SEC("struct_ops/simple_exit")
void BPF_PROG(simple_exit, struct scx_exit_info *ei) { }
SEC(".struct_ops.link")
struct sched_ext_ops simple_ops = {
	.select_cpu = (void *)simple_select_cpu, .enqueue = (void *)simple_enqueue, .dispatch = (void *)simple_dispatch,
	.running = (void *)simple_running, .stopping = (void *)simple_stopping, .enable = (void *)simple_enable,
	.init = (void *)simple_init, .exit = (void *)simple_exit, .name = "simple",
};
