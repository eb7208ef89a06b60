// End to end: the kernel selftests about LSM return values and disabled hooks,
// map pointers read as their kernel struct, loads through BTF pointers and
// sleepable attach rules, judged by their own __success/__failure/__msg
// annotations (the expectations are the kernel's, read from the objects).
import assert from "node:assert/strict";
import { test } from "node:test";
import { run } from "../../cli/commands/test.js";
import { memoryIo } from "../../cli/io.js";
import { objectPath } from "../../selftest/corpus.js";

const OBJECTS = ["verifier_lsm", "verifier_map_ptr", "jeq_infer_not_null_fail", "test_sleepable_tracepoints_fail",
  "verifier_btf_ctx_access", "verifier_ctx_ptr_param"];

test("BTF object, map pointer and attach-target selftests pass as on the 7.2 kernel", async () => {
  const io = memoryIo();
  const code = await run(["--json", ...OBJECTS.map((o) => objectPath(`${o}.bpf.o`))], io);
  const rows = io.stdout.trim().split("\n").map((l) => JSON.parse(l) as { program: string; result: string; reason: string });
  const failed = rows.filter((r) => r.result !== "pass").map((r) => `${r.program}: ${r.reason}`);
  assert.deepEqual(failed, []);
  assert.ok(rows.length >= 37, `only ${rows.length} tests ran`);
  assert.equal(code, 0);
});

// Programs whose kernel verdict and message hang on the trust a walked pointer
// inherits (trusted -> rcu_ptr_ via __safe_rcu, -> untrusted_ptr_, plain ptr_),
// in objects whose other programs need rules modelled elsewhere.
const TRUST_PROGRAMS: Record<string, readonly string[]> = {
  cgrp_kfunc_failure: ["cgrp_kfunc_acquire_trusted_walked"],
  cpumask_failure: ["test_acquire_wrong_cpumask", "test_mutate_cpumask"],
  nested_trust_failure: ["test_invalid_nested_user_cpus"],
  verifier_vfs_reject: ["path_d_path_kfunc_untrusted_from_argument", "inode_rename"],
  verifier_arena: ["iter_maps1", "iter_maps2", "iter_maps3"],
};

test("loads through trusted BTF pointers keep the kernel's trust flags", async () => {
  const io = memoryIo();
  await run(["--json", ...Object.keys(TRUST_PROGRAMS).map((o) => objectPath(`${o}.bpf.o`))], io);
  const rows = io.stdout.trim().split("\n").map((l) => JSON.parse(l) as { program: string; result: string; reason: string });
  const want = new Set(Object.values(TRUST_PROGRAMS).flat());
  const got = rows.filter((r) => want.has(r.program));
  assert.equal(got.length, want.size);
  assert.deepEqual(got.filter((r) => r.result !== "pass").map((r) => `${r.program}: ${r.reason}`), []);
});
