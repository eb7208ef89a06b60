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
