import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { loadBundledVmlinuxBtf, loadBtfFile } from "../btf/index.js";
import { corpusDir } from "../selftest/index.js";
import { profileFor } from "./verify-program.js";

// A long-lived process (the conformance worker) first verified an object without module BTFs;
// the profile cached for the bundled vmlinux then hid bpf_testmod's kfuncs from every later run.
test("profileFor: one profile per (vmlinux, module BTFs), not per vmlinux", () => {
  const vmlinux = loadBundledVmlinuxBtf("7.2");
  const testmod = { name: "bpf_testmod", btf: loadBtfFile(join(corpusDir(), "btf", "bpf_testmod.btf"), { base: vmlinux, name: "bpf_testmod" }) };
  const bare = profileFor(vmlinux, []);
  const withMod = profileFor(vmlinux, [testmod]);
  assert.notEqual(bare, withMod);
  assert.equal(bare.kfuncByName("bpf_kfunc_call_stack_arg"), undefined);
  const k = withMod.kfuncByName("bpf_kfunc_call_stack_arg");
  assert.ok(k, "bpf_testmod's kfunc is in the profile made with its BTF");
  assert.equal(withMod.kfuncByBtfId(k.btfId, "bpf_testmod")?.name, "bpf_kfunc_call_stack_arg");
  assert.equal(profileFor(vmlinux, [testmod]), withMod, "same objects: the cached profile");
  assert.equal(profileFor(vmlinux, []), bare);
});

// veristat loads one program at a time: a program libbpf refuses (here: fentry on a function
// the 7.2 BTF does not have) fails alone, with libbpf's message, and the kernel never runs.
test("verifyProgram: a program libbpf refuses fails with libbpf's message and no verifier log", async () => {
  const { readFileSync } = await import("node:fs");
  const { loadObject } = await import("../loader/index.js");
  const vmlinux = loadBundledVmlinuxBtf("7.2");
  assert.equal(vmlinux.findByNameKind("do_unlinkat", "FUNC"), undefined, "7.2 has no do_unlinkat");
  const lo = loadObject(readFileSync(join(corpusDir(), "realworld", "objs", "biolat.bpf.o")), { file: "biolat.bpf.o" });
  const { verifyProgram } = await import("./verify-program.js");
  const r = verifyProgram(lo.programs.find((p) => p.name === "unlink_entry")!);
  assert.equal(r.verdict, "failure");
  assert.equal(r.log, "");
  assert.equal(r.libbpfError, "prog 'unlink_entry': failed to find kernel BTF type ID of 'do_unlinkat': -ESRCH");
  const ok = verifyProgram(lo.programs.find((p) => p.name === "block_rq_issue")!);
  assert.equal(ok.libbpfError, undefined);
});
