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
