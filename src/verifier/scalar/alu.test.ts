// Hand-checked ALU cases from the kernel's rules (the corpus replay covers the common ones).

import { test } from "node:test";
import assert from "node:assert/strict";
import { scalar64 as D } from "./domain.js";
import { tn } from "./tnum.js";

const u8 = D.boundsSync(D.mk(tn(0n, 0xffn), D.C64.UNBOUNDED, D.C32.UNBOUNDED));

test("div/mod by a zero register follow the BPF spec (x/0 = 0, x%0 = x)", () => {
  const div = D.adjust(u8, D.known(0n), { op: "BPF_DIV", alu64: true });
  assert.ok(D.isConst(div.value) && div.value.varOff.value === 0n);
  const mod = D.adjust(u8, D.known(0n), { op: "BPF_MOD", alu64: true });
  assert.ok(D.equals(mod.value, u8));
});

test("shifts and div by a non-constant register make the result unknown", () => {
  for (const op of ["BPF_LSH", "BPF_DIV", "BPF_MOD", "BPF_ARSH"] as const) {
    const r = D.adjust(u8, u8, { op, alu64: true });
    assert.ok(r.markedUnknown);
    assert.ok(D.equals(r.value, D.unknown));
  }
  // 32-bit shift by a register whose subreg is constant but whose 64-bit umax is >= 32
  const hi = D.known((1n << 32n) | 3n);
  assert.ok(D.adjust(u8, hi, { op: "BPF_LSH", alu64: false }).markedUnknown);
});

test("maybe_fork_scalars splits [-1, 0] on AND/OR with a constant", () => {
  const m = D.boundsSync(D.mk(D.T.unknown, D.C64.fromSRange(-1n, 0n), D.C32.UNBOUNDED));
  const r = D.adjust(m, D.known(8n), { op: "BPF_OR", alu64: true });
  assert.ok(r.forkDst && D.isConst(r.forkDst) && r.forkDst.varOff.value === 0n);
  assert.equal(r.value.varOff.value, (1n << 64n) - 1n); // -1 | 8 = -1
  assert.ok(D.isConst(r.value));
});

test("alu32 results are zero-extended; <<32 keeps s32 bounds in the 64-bit view", () => {
  const r = D.adjust(D.known(-1n), D.known(1n), { op: "BPF_ADD", alu64: false });
  assert.equal(r.value.varOff.value, 0n);
  const s = D.boundsSync(D.mk(D.T.unknown, D.C64.UNBOUNDED, D.C32.fromSRange(-4n, 3n)));
  const l = D.adjust(s, D.known(32n), { op: "BPF_LSH", alu64: true }).value;
  assert.equal(D.smin(l), -4n << 32n);
  assert.equal(D.smax(l), 3n << 32n);
});

test("addConst (linked registers) adds and zero-extends", () => {
  const r = D.addConst(u8, 1n, false);
  assert.equal(D.umin(r), 1n);
  assert.equal(D.umax(r), 256n);
  assert.ok(D.equals(D.addConst(u8, 0n, false), u8));
  assert.equal(D.umax(D.addConst(D.known(0xffffffffn), 1n, true)), 0n);
});

test("the constant ADD/SUB fast path agrees with the general path", () => {
  const vals = [0n, 1n, 2n, 7n, 0x7fffn, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 1n << 32n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n, -5n];
  for (const x of vals) for (const y of vals) for (const op of ["BPF_ADD", "BPF_SUB"] as const) for (const alu64 of [true, false]) {
    const a = D.known(x), b = D.known(y);
    assert.deepEqual(D.adjust(a, b, { op, alu64 }), D.adjustGeneric(a, b, { op, alu64 }), `${op} ${alu64} ${x} ${y}`);
  }
});
