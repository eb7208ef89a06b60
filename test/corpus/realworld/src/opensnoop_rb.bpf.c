#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
const volatile pid_t targ_pid = 0;
const volatile bool targ_failed = false;
struct args_t { const char *fname; int flags; };
struct event { u64 ts; pid_t pid; uid_t uid; int ret; int flags; char comm[16]; char fname[255]; };
struct { __uint(type, BPF_MAP_TYPE_HASH); __uint(max_entries, 10240); __type(key, u32); __type(value, struct args_t); } start SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 256 * 1024); } rb SEC(".maps");
static __always_inline bool trace_allowed(u32 tgid) { if (targ_pid && targ_pid != tgid) return false; return true; }
SEC("tracepoint/syscalls/sys_enter_openat")
int tracepoint__syscalls__sys_enter_openat(struct trace_event_raw_sys_enter* ctx)
{
	u64 id = bpf_get_current_pid_tgid(); u32 tgid = id >> 32; u32 pid = id;
	if (trace_allowed(tgid)) { struct args_t args = {}; args.fname = (const char *)ctx->args[1]; args.flags = (int)ctx->args[2]; bpf_map_update_elem(&start, &pid, &args, 0); }
	return 0;
}
SEC("tracepoint/syscalls/sys_exit_openat")
int tracepoint__syscalls__sys_exit_openat(struct trace_event_raw_sys_exit* ctx)
{
	struct event *e; struct args_t *ap; int ret; u32 pid = bpf_get_current_pid_tgid();
	ap = bpf_map_lookup_elem(&start, &pid);
	if (!ap) return 0;
	ret = ctx->ret;
	if (targ_failed && ret >= 0) goto cleanup;
	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e) goto cleanup;
	e->ts = bpf_ktime_get_ns(); e->pid = bpf_get_current_pid_tgid() >> 32; e->uid = bpf_get_current_uid_gid();
	bpf_get_current_comm(&e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(&e->fname, sizeof(e->fname), ap->fname);
	e->flags = ap->flags; e->ret = ret;
	bpf_ringbuf_submit(e, 0);
cleanup:
	bpf_map_delete_elem(&start, &pid);
	return 0;
}
SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq; struct task_struct *task = ctx->task;
	if (!task) return 0;
	BPF_SEQ_PRINTF(seq, "%8d %8d %s\n", task->tgid, task->pid, task->comm);
	return 0;
}
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __weak __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __weak __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __weak __ksym;
static long cb(u64 i, void *ctx) { u64 *sum = ctx; *sum += i; return i > 50; }
SEC("raw_tp/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	u64 sum = 0; bpf_loop(100, cb, &sum, 0);
	int i; u64 acc = 0;
	struct bpf_iter_num it; int *v;
	bpf_iter_num_new(&it, 0, 16);
	while ((v = bpf_iter_num_next(&it))) { i = *v; acc += i * sum; }
	bpf_iter_num_destroy(&it);
	return acc & 1;
}
SEC("lsm/file_open")
int BPF_PROG(lsm_file_open, struct file *file)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	if (targ_pid && pid == targ_pid && (file->f_flags & 1)) return -1;
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
