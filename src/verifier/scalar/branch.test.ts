// Hand-checked branch cases from the kernel's rules (the corpus replay and the property tests
// cover the bulk).

import { test } from "node:test";
import assert from "node:assert/strict";
import { scalar64 as D } from "./domain.js";
import { JMP_OPS, revOpcode, flipOpcode } from "./branch.js";
import { tn } from "./tnum.js";

const u8 = D.boundsSync(D.mk(tn(0n, 0xffn), D.C64.UNBOUNDED, D.C32.UNBOUNDED));

test("the constant fast path agrees with the general path", () => {
  const vals = [0n, 1n, 5n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 1n << 32n, (1n << 32n) + 5n, 1n << 63n, (1n << 64n) - 1n];
  for (const x of vals) for (const y of vals) for (const op of JMP_OPS) for (const j32 of [false, true]) {
    const a = D.known(x), b = D.known(y);
    assert.equal(D.branch(a, b, op, j32).pred, D.branchGeneric(a, b, op, j32).pred, `${op} ${j32} ${x} ${y}`);
  }
});

test("undecided compares refine both edges", () => {
  const out = D.branch(u8, D.known(10n), "BPF_JGT", false);
  assert.equal(out.pred, -1);
  assert.equal(D.umin(out.taken[0]), 11n);
  assert.equal(D.umax(out.fallthrough[0]), 10n);
  // JNE against an edge value trims it on the jump edge, JEQ pins the value on the fall-through
  const ne = D.branch(u8, D.known(0n), "BPF_JNE", false);
  assert.equal(D.umin(ne.taken[0]), 1n);
  assert.ok(D.isConst(ne.fallthrough[0]));
  // JSET with a single bit sets it on the jump edge and clears it on the other
  const js = D.branch(u8, D.known(4n), "BPF_JSET", false);
  assert.equal(js.taken[0].varOff.value & 4n, 4n);
  assert.equal((js.fallthrough[0].varOff.value | js.fallthrough[0].varOff.mask) & 4n, 0n);
});

test("decided compares and the same-register rules", () => {
  assert.equal(D.branch(u8, D.known(256n), "BPF_JLT", false).pred, 1);
  assert.equal(D.branch(u8, D.known(255n), "BPF_JGT", false).pred, 0);
  assert.equal(D.branch(u8, u8, "BPF_JGE", false, true).pred, 1);
  assert.equal(D.branch(u8, u8, "BPF_JNE", false, true).pred, 0);
  assert.equal(D.branch(u8, u8, "BPF_JSET", false, true).pred, -1);
  // jmp32 looks at the subregister only
  assert.equal(D.branch(D.known((1n << 32n) + 1n), D.known(1n), "BPF_JEQ", true).pred, 1);
});

test("rev_opcode and flip_opcode are involutions", () => {
  for (const op of JMP_OPS) {
    assert.equal(revOpcode(revOpcode(op)), op);
    assert.equal(flipOpcode(flipOpcode(op)), op);
  }
});
