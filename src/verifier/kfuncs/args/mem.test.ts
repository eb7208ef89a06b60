// A syscall program's ctx as kfunc memory (selftests verifier_ctx.c syscall_ctx_kfunc_*):
// check_helper_mem_access's PTR_TO_CTX arm lets a kfunc read/write it inside
// [0, U16_MAX), fixed or variable offset, aligned or not, like a helper.
import assert from "node:assert/strict";
import { test } from "node:test";
import { join } from "node:path";
import { run } from "../../../cli/commands/test.js";
import { memoryIo } from "../../../cli/io.js";
import { corpusDir, objectPath } from "../../../selftest/corpus.js";

test("syscall ctx passed as kfunc memory: verifier_ctx.c syscall_ctx_kfunc_* as on 7.2", async () => {
  const io = memoryIo();
  await run(["--json", "--module-btf", join(corpusDir(), "btf", "bpf_testmod.btf"), objectPath("verifier_ctx.bpf.o")], io);
  const rows = io.stdout.trim().split("\n").map((l) => JSON.parse(l) as { program: string; result: string; reason: string });
  const mine = rows.filter((r) => r.program.startsWith("syscall_ctx_kfunc_"));
  // fixed/var offset, unaligned, zero-sized (accepted); past U16_MAX (refused with the kernel's message)
  assert.equal(mine.length, 7);
  assert.deepEqual(mine.filter((r) => r.result !== "pass").map((r) => `${r.program}: ${r.reason}`), []);
});
