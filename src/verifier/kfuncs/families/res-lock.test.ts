// res_spin_lock, workqueue, task_work and kfunc timer arguments, and bpf_throw
// from callbacks, on the kernel's own selftests: each program's verdict,
// processed insns and rejection line must be the ones the 7.2 kernel recorded
// for it (test/corpus), not values taken from our own output.
import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import { run } from "../../../cli/commands/test.js";
import { run as runVerify } from "../../../cli/commands/verify.js";
import { memoryIo } from "../../../cli/io.js";
import { corpusDir, loadCorpusLogs, loadCorpusPrograms, objectPath, programKey } from "../../../selftest/corpus.js";
import { firstErrorLine } from "../../../selftest/recorded.js";

interface Row { program: string; verdict: string; error: string; log: string; insnsProcessed: number }

const MODULE_BTF = () => join(corpusDir(), "btf", "bpf_testmod.btf");

/** The rejection line; some kernel messages lack their newline, so the statistics share its line. */
function verdictLine(log: string): string {
  const stats = /^(verification time|stack depth|insns processed|processed \d+ insns)/;
  return firstErrorLine(log.split("\n").filter((l) => !stats.test(l)).map((l) => l.replace(/(verification time|processed) \d+.*$/, "")).join("\n"));
}

async function verify(object: string, program: string, progFlags: number): Promise<Row> {
  const io = memoryIo();
  await runVerify(["--json", "--log-level", "1", "--module-btf", MODULE_BTF(), "--prog-flags", String(progFlags), "--program", program, objectPath(object)], io);
  return JSON.parse(io.stdout.trim()) as Row;
}

// res_spin_lock_fail.c (lock/unlock pairing, AA, offsets, local objects), irq.c (irqsave flags restored in order,
// no other calls under the lock), stream.c (two res locks held), wq.c / wq_failures.c (bpf_wq field, __map match,
// sleepable callbacks), task_work_fail.c, verifier_async_cb_context.c (async callbacks are sleepable),
// stack_arg_kfunc.c (a bpf_timer in a stack argument), exceptions_fail.c (bpf_throw from a callback subprog)
const CORPUS: [string, string[]][] = [
  ["res_spin_lock_fail.bpf.o", ["res_spin_lock_arg", "res_spin_lock_AA", "res_spin_lock_cond_AA", "res_spin_lock_mismatch_1",
    "res_spin_lock_irq_mismatch_2", "res_spin_lock_ooo", "res_spin_lock_ooo_irq", "res_spin_lock_ooo_unlock", "res_spin_lock_bad_off",
    "res_spin_lock_var_off", "res_spin_lock_no_lock_map", "res_spin_lock_no_lock_kptr"]],
  ["irq.bpf.o", ["irq_ooo_lock_cond_inv", "irq_wrong_kfunc_class_1", "irq_wrong_kfunc_class_2"]],
  ["stream.bpf.o", ["stream_deadlock"]],
  ["wq.bpf.o", ["test_call_array_sleepable", "test_call_hash_malloc_sleepable", "test_map_no_btf"]],
  ["wq_failures.bpf.o", ["test_wq_init_nomap", "test_wq_init_wrong_map", "test_bad_wq_off", "test_wrong_wq_pointer", "test_wrong_wq_pointer_offset"]],
  ["task_work_fail.bpf.o", ["mismatch_map", "no_map_task_work", "task_work_null", "map_null"]],
  ["verifier_async_cb_context.bpf.o", ["wq_non_sleepable_prog", "task_work_non_sleepable_prog", "timer_non_sleepable_prog"]],
  ["stack_arg_kfunc.bpf.o", ["test_stack_arg_timer"]],
  ["exceptions_fail.bpf.o", ["reject_async_callback_throw", "reject_with_cb", "reject_throwing_exception_cb", "reject_exception_throw_cb_diff"]],
];

test("corpus programs: verdict, processed insns and rejection line as the 7.2 kernel", async () => {
  const programs = loadCorpusPrograms();
  const logs = loadCorpusLogs();
  const problems: string[] = [];
  for (const [object, names] of CORPUS) {
    for (const name of names) {
      const rec = programs.find((p) => p.object === object && p.program === name);
      if (!rec) { problems.push(`${object}/${name}: not in the corpus`); continue; }
      const r = await verify(object, name, rec.progFlags);
      const want = rec.kernel.loaded ? "success" : "failure";
      if (r.verdict !== want) { problems.push(`${name}: ${r.verdict} (${r.error}) vs ${want}`); continue; }
      if (rec.kernel.processedInsns !== null && r.insnsProcessed !== rec.kernel.processedInsns) {
        problems.push(`${name}: processed ${r.insnsProcessed} vs ${rec.kernel.processedInsns}`);
      }
      const klog = logs.get(programKey(object, name))?.log;
      if (want === "failure" && klog !== undefined && verdictLine(r.log) !== verdictLine(klog)) {
        problems.push(`${name}: '${verdictLine(r.log)}' vs '${verdictLine(klog)}'`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

// The selftests' own __success/__failure/__msg expectations, over whole objects.
test("res_spin_lock_fail.c, wq_failures.c, task_work_fail.c pass in full, as on the 7.2 kernel", async () => {
  const io = memoryIo();
  await run(["--json", "--module-btf", MODULE_BTF(), ...["res_spin_lock_fail", "wq_failures", "task_work_fail", "wq"].map((o) => objectPath(`${o}.bpf.o`))], io);
  const rows = io.stdout.trim().split("\n").map((l) => JSON.parse(l) as { program: string; result: string; reason: string });
  assert.deepEqual(rows.filter((r) => r.result !== "pass").map((r) => `${r.program}: ${r.reason}`), []);
  assert.ok(rows.length >= 29, `only ${rows.length} tests ran`);
});
