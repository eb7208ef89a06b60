import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBtf } from "./parse.js";
import { BTF_INT_SIGNED } from "./kinds.js";
import { btfNameValidIdentifier, kernelBtfCheckFuncs } from "./kcheck.js";
import { BtfWriter } from "./writer.js";
import { readFixture } from "./fixtures.test-util.js";

test("a FUNC whose prototype has an unnamed parameter is refused", () => {
  const w = new BtfWriter();
  const int = w.int("int", 4, BTF_INT_SIGNED);
  const ptr = w.ptr(0);
  const proto = w.funcProto(int, [["", ptr]]);
  w.func("naked_prog", proto, 1);
  const r = kernelBtfCheckFuncs(parseBtf(w.build()));
  assert.deepEqual(r, { ok: false, errno: "EINVAL", typeId: 4, message: "[4] FUNC naked_prog type_id=3 Invalid arg#1" });
});

test("kfunc declarations get libbpf's dummy_ksym names and GLOBAL linkage", () => {
  const w = new BtfWriter();
  const int = w.int("int", 4, BTF_INT_SIGNED); // 1
  const proto = w.funcProto(int, [["", int], ["", int]]); // 2
  const kf = w.func("bpf_some_kfunc", proto, 2); // 3, extern
  w.func("user", proto, 1); // 4 shares the prototype
  w.datasec(".ksyms", 0, [{ type: kf, offset: 0, size: 0 }]);
  const btf = parseBtf(w.build());
  assert.deepEqual(kernelBtfCheckFuncs(btf), { ok: true });
  const raw = kernelBtfCheckFuncs(btf, { libbpfKsymFixups: false });
  assert.equal(raw.ok, false);
  if (!raw.ok) assert.equal(raw.message, "[3] FUNC bpf_some_kfunc type_id=2 Invalid func linkage");
});

test("prototype checks: varargs, names, sizes", () => {
  const w = new BtfWriter();
  const int = w.int("int", 4, BTF_INT_SIGNED); // 1
  w.funcProto(int, [["a", int], ["", 0]]); // 2: trailing vararg is fine
  const fwd = w.fwd("opaque"); // 3
  w.funcProto(int, [["x", fwd]]); // 4: an argument without a size
  const btf = parseBtf(w.build());
  const r = kernelBtfCheckFuncs(btf);
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.message, "[4] FUNC_PROTO (anon) return=1 args=(3 x) Invalid arg#1");
  assert.equal(btfNameValidIdentifier("a.b_c9"), true);
  assert.equal(btfNameValidIdentifier("9a"), false);
  assert.equal(btfNameValidIdentifier("a-b"), false);
});

test("corpus: the message the 7.2 kernel gave for uninit_stack.bpf.o, and accepted objects", () => {
  // from results-7.2.jsonl libbpf_log (the kernel's BTF log)
  const r = kernelBtfCheckFuncs(parseBtf(readFixture("uninit_stack.btf")));
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(r.message, "[4] FUNC read_uninit_stack_fixed_off type_id=1 Invalid arg#1");
  for (const name of ["test_wakeup_source", "iter_buf_null_fail", "verifier_typedef", "verifier_bitfield_write"]) {
    assert.deepEqual(kernelBtfCheckFuncs(parseBtf(readFixture(`${name}.btf`))), { ok: true }, name);
  }
});
