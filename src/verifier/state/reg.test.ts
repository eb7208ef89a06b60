import { test } from "node:test";
import assert from "node:assert/strict";
import { newReg, copyReg, assignReg, markRegUnknownImprecise, markRegKnown } from "./reg.js";
import { TNUM_UNKNOWN, CNUM64_UNBOUNDED, CNUM32_UNBOUNDED } from "./scalar-bridge.js";

// copyReg/assignReg spell the fields out for speed: a field added to RegState must not be lost.
test("copyReg and assignReg carry every field of a register", () => {
  const src = newReg();
  let i = 1;
  for (const k of Object.keys(src)) (src as unknown as Record<string, unknown>)[k] = `v${i++}`;
  const c = copyReg(src);
  assert.deepEqual(Object.keys(c).sort(), Object.keys(src).sort());
  assert.deepEqual(c, src);
  assert.notEqual(c, src);
  const dst = newReg();
  assignReg(dst, src);
  assert.deepEqual(dst, src);
});

test("markRegUnknownImprecise resets everything but subreg_def (kernel: bpf_mark_reg_unknown_imprecise)", () => {
  const r = newReg();
  r.type = "PTR_TO_MAP_VALUE";
  r.flags = 4;
  r.memSize = 8;
  r.id = 3;
  r.parentId = 2;
  r.frameno = 1;
  r.precise = true;
  markRegKnown(r, 5n);
  r.id = 3;
  r.subregDef = 7;
  markRegUnknownImprecise(r);
  const want = { ...newReg(), type: "SCALAR_VALUE", subregDef: 7 };
  assert.deepEqual(r, want);
  assert.equal(r.varOff, TNUM_UNKNOWN);
  assert.equal(r.r64, CNUM64_UNBOUNDED);
  assert.equal(r.r32, CNUM32_UNBOUNDED);
});

test("markRegKnown stores a negative imm as its 64-bit two's complement (kernel: ___mark_reg_known)", () => {
  const r = newReg();
  markRegKnown(r, -2n);
  assert.deepEqual(r.varOff, { value: 0xfffffffffffffffen, mask: 0n });
  assert.deepEqual(r.r64, { base: 0xfffffffffffffffen, size: 0n });
  assert.deepEqual(r.r32, { base: 0xfffffffen, size: 0n });
});
