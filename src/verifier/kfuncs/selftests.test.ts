// End to end: kernel selftests that call kfuncs, judged by their own
// __success/__failure/__msg annotations (the expectations are the kernel's,
// read from the objects). Programs that reach a rule not modelled yet may stay
// unsupported, but none may get a verdict or a message the kernel would not give.
import assert from "node:assert/strict";
import { test } from "node:test";
import { judgeSelftestObjects } from "../../cli/selftest-judge.js";

const judge = judgeSelftestObjects;

// kfunc_implicit_args.c (KF_IMPLICIT_ARGS: prog_aux args, `_impl` calls), preempt_lock.c
// (preempt_disable/enable counters, sleepable kfuncs inside), verifier_default_trusted_ptr.c,
// string_kfuncs_success.c (__sz memory pairs)
// iters.c, iters_state_safety.c, iters_looping.c, iters_testmod_seq.c, verifier_bits_iter.c,
// iter_buf_null_fail.c (open-coded iterators: slots, forks, convergence), stream_fail.c (__str),
// verifier_arena.c (__map arguments, including BTF pointers through the map_ptr union alias),
// test_kfunc_param_nullable.c (dynptr arguments: __nullable, uninitialized, wrong type)
test("kfunc selftests that pass in full, as on the 7.2 kernel", async () => {
  const rows = await judge(["kfunc_implicit_args", "preempt_lock", "verifier_default_trusted_ptr", "string_kfuncs_success",
    "iters", "iters_state_safety", "iters_looping", "iters_testmod_seq", "verifier_bits_iter", "iter_buf_null_fail", "stream_fail",
    "test_kfunc_param_nullable"]);
  assert.deepEqual(rows.filter((r) => r.result !== "pass").map((r) => `${r.program}: ${r.reason}`), []);
  assert.ok(rows.length >= 150, `only ${rows.length} tests ran`);
});

// task_kfunc_failure.c, cgrp_kfunc_failure.c, cpumask_failure.c: acquire/release/trust
// messages; verifier_kfunc_prog_types.c: admission per program type;
// mem_rdonly_untrusted.c: bpf_rdonly_cast results.
test("kfunc selftests with gaps: every non-pass is a rule not modelled yet, never a wrong verdict", async () => {
  const rows = await judge(["task_kfunc_failure", "cgrp_kfunc_failure", "cpumask_failure", "verifier_kfunc_prog_types", "mem_rdonly_untrusted",
    "irq", "exceptions_fail", "verifier_arena", "stream", "iters_testmod", "iters_task_failure", "stack_arg_kfunc",
    "test_kfunc_dynptr_param", "file_reader_fail"]);
  const wrong = rows.filter((r) => r.result !== "pass" && !/not modelled yet/.test(r.reason)).map((r) => `${r.program}: ${r.reason}`);
  assert.deepEqual(wrong, []);
  const pass = new Set(rows.filter((r) => r.result === "pass").map((r) => r.program));
  for (const p of [
    "task_kfunc_acquire_fp", // R1 pointer type STRUCT task_struct must point to scalar, or struct with scalar
    "task_kfunc_release_fp", // release kfunc bpf_task_release expects referenced PTR_TO_BTF_ID passed to R1
    "task_kfunc_acquire_null", // Possibly NULL pointer passed to trusted R1
    "task_kfunc_acquire_unsafe_kretprobe", // calling kernel function bpf_task_acquire is not allowed
    "task_kfunc_from_lsm_task_free", // R1 must be a rcu pointer
    "irq_restore_ooo", // cannot restore irq state out of order, expected id=... (irq.c)
    "irq_save_bad_arg", // R1 doesn't point to an irq flag on stack
    "irq_restore_missing_2", // BPF_EXIT instruction in main prog cannot be used inside bpf_local_irq_save-ed region
    "iter_maps1", // verifier_arena.c: a BTF pointer to struct bpf_map passes as __map
    "test_stack_arg_mix", // stack_arg_kfunc.c: arguments 6..8 passed through R11 slots
    "test_stack_arg_const_str", // stack_arg_kfunc.c: a __str argument in a stack slot
  ]) assert.ok(pass.has(p), `${p} does not pass`);
});
