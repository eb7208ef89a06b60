// btf_ctx_access on real 7.2 attach targets (prototypes from the kernel source:
// net/bpf/test_run.c bpf_fentry_test1(int a), include/linux/lsm_hook_defs.h file_open(struct file *)).
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadBundledVmlinuxBtf } from "../../btf/index.js";
import { btfCtxAccess, resolveAttachFunc } from "./btf-ctx.js";
import { PTR_TRUSTED, PTR_MAYBE_NULL, MEM_RDONLY } from "../state/reg-type.js";

const btf = loadBundledVmlinuxBtf("7.2");

function run(progType: string, attach: string, attachTo: string | undefined, off: number, size = 8) {
  const lines: string[] = [];
  const fn = resolveAttachFunc(btf, progType, attach, attachTo);
  const r = btfCtxAccess(btf, fn, progType, attach, off, size, (s) => lines.push(s));
  return { ...r, lines };
}

test("fentry/fexit: argument slots, the return slot only for fexit", () => {
  assert.equal(run("BPF_PROG_TYPE_TRACING", "BPF_TRACE_FENTRY", "bpf_fentry_test1", 0).regType, "SCALAR_VALUE");
  const f = run("BPF_PROG_TYPE_TRACING", "BPF_TRACE_FENTRY", "bpf_fentry_test1", 8);
  assert.equal(f.ok, false);
  assert.deepEqual(f.lines, ["func 'bpf_fentry_test1' doesn't have 2-th argument\n"]);
  assert.ok(run("BPF_PROG_TYPE_TRACING", "BPF_TRACE_FEXIT", "bpf_fentry_test1", 8).ok);
  assert.equal(run("BPF_PROG_TYPE_TRACING", "BPF_TRACE_FEXIT", "bpf_fentry_test1", 16).ok, false);
  assert.deepEqual(run("BPF_PROG_TYPE_TRACING", "BPF_TRACE_FENTRY", "bpf_fentry_test1", 4).lines,
    ["func 'bpf_fentry_test1' offset 4 is not multiple of 8\n"]);
});

test("multi-attach programs see bpf_multi_func(void)", () => {
  const r = run("BPF_PROG_TYPE_TRACING", "BPF_TRACE_FENTRY_MULTI", "bpf_fentry_test1", 0);
  assert.equal(r.ok, false);
  assert.deepEqual(r.lines, ["func 'bpf_multi_func' doesn't have 1-th argument\n"]);
});

test("LSM: trusted struct pointers and the errno range of the return slot", () => {
  const r = run("BPF_PROG_TYPE_LSM", "BPF_LSM_MAC", "file_open", 0);
  assert.equal(r.regType, "PTR_TO_BTF_ID");
  assert.equal(r.regFlags, PTR_TRUSTED);
  assert.equal(r.btfId, btf.findByNameKind("file", "STRUCT"));
  assert.deepEqual(r.lines, [`func 'bpf_lsm_file_open' arg0 has btf_id ${r.btfId} type STRUCT 'file'\n`]);
  assert.deepEqual(run("BPF_PROG_TYPE_LSM", "BPF_LSM_MAC", "file_open", 8).retvalRange, [-4095, 0]);
  assert.equal(run("BPF_PROG_TYPE_LSM", "BPF_LSM_MAC", "file_open", 0, 4).ok, false);
});

test("iterators: registered ctx_arg_info (kernel/bpf/map_iter.c, task_iter.c)", () => {
  // struct bpf_iter__bpf_map_elem { meta; map; key; value; }: key at 16 is a nullable read-only buffer.
  const key = run("BPF_PROG_TYPE_TRACING", "BPF_TRACE_ITER", "bpf_map_elem", 16);
  assert.equal(key.regType, "PTR_TO_BUF");
  assert.equal(key.regFlags, PTR_MAYBE_NULL | MEM_RDONLY);
  assert.equal(run("BPF_PROG_TYPE_TRACING", "BPF_TRACE_ITER", "bpf_map_elem", 24).regFlags, PTR_MAYBE_NULL);
  const task = run("BPF_PROG_TYPE_TRACING", "BPF_TRACE_ITER", "task", 8);
  assert.equal(task.regType, "PTR_TO_BTF_ID");
  assert.equal(task.regFlags, PTR_MAYBE_NULL | PTR_TRUSTED);
  assert.equal(task.btfId, btf.findByNameKind("task_struct", "STRUCT"));
  // meta has no registered type: a trusted pointer, iterator args being trusted.
  assert.equal(run("BPF_PROG_TYPE_TRACING", "BPF_TRACE_ITER", "task", 0).btfId, btf.findByNameKind("bpf_iter_meta", "STRUCT"));
});

test("tp_btf: trusted args, raw_tp_null_args marks sched_pi_setprio's pi_task nullable", () => {
  // include/trace/events/sched.h: sched_pi_setprio(struct task_struct *tsk, struct task_struct *pi_task)
  const tsk = run("BPF_PROG_TYPE_TRACING", "BPF_TRACE_RAW_TP", "sched_pi_setprio", 0);
  assert.equal(tsk.regFlags, PTR_TRUSTED);
  assert.deepEqual(tsk.lines, [`func 'sched_pi_setprio' arg0 has btf_id ${tsk.btfId} type STRUCT 'task_struct'\n`]);
  assert.equal(run("BPF_PROG_TYPE_TRACING", "BPF_TRACE_RAW_TP", "sched_pi_setprio", 8).regFlags, PTR_TRUSTED | PTR_MAYBE_NULL);
  assert.equal(run("BPF_PROG_TYPE_TRACING", "BPF_TRACE_RAW_TP", "sched_pi_setprio", 16).ok, false);
});

// Module tracepoints (selftests test_tp_btf_nullable.c, raw_tp_null_fail.c): the attach target
// lives in bpf_testmod's BTF, split over vmlinux; btf_ctx_access marks every pointer argument
// of a module tracepoint missing from raw_tp_null_args as maybe-NULL, and honours __nullable.
test("tp_btf on a module tracepoint: its BTF, and NULL-able arguments unless raw_tp_null_args lists it", async () => {
  const { join } = await import("node:path");
  const { loadBtfFile } = await import("../../btf/index.js");
  const { corpusDir } = await import("../../selftest/corpus.js");
  const mod = loadBtfFile(join(corpusDir(), "btf", "bpf_testmod.btf"), { base: btf, name: "bpf_testmod" });
  const acc = (tp: string) => {
    const lines: string[] = [];
    const fn = resolveAttachFunc(mod, "BPF_PROG_TYPE_TRACING", "BPF_TRACE_RAW_TP", tp);
    return { ...btfCtxAccess(mod, fn, "BPF_PROG_TYPE_TRACING", "BPF_TRACE_RAW_TP", 0, 8, (s) => lines.push(s)), lines };
  };
  // not in vmlinux: the module's BTF must be the one searched
  assert.equal(btf.findByNameKind("btf_trace_bpf_testmod_test_nullable_bare_tp", "TYPEDEF"), undefined);
  const bare = acc("bpf_testmod_test_nullable_bare_tp");
  assert.equal(bare.regType, "PTR_TO_BTF_ID");
  assert.equal(bare.regFlags, PTR_TRUSTED | PTR_MAYBE_NULL);
  assert.equal(bare.btfId, mod.findByNameKind("bpf_testmod_test_read_ctx", "STRUCT"));
  // a vmlinux struct seen through the module BTF keeps its vmlinux id
  const skb = acc("bpf_testmod_test_raw_tp_null_tp");
  assert.equal(skb.regFlags, PTR_TRUSTED | PTR_MAYBE_NULL);
  assert.equal(skb.btfId, btf.findByNameKind("sk_buff", "STRUCT"));
  // raw_tp_null_args lists bpf_testmod_test_read with mask 0: not NULL-able
  const read = acc("bpf_testmod_test_read");
  assert.equal(read.regFlags & PTR_MAYBE_NULL, 0);
});
