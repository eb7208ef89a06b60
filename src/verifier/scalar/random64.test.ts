// Randomized soundness at the real widths (64-bit registers, 32-bit subregisters): abstract values
// grown by random sequences of ALU ops and branch refinements from constants and unknown, sampled
// members, and the BigInt reference semantics.

import { test } from "node:test";
import assert from "node:assert/strict";
import { scalar64 as D } from "./domain.js";
import type { Scalar } from "./scalar.js";
import type { AluInsn, AluOp } from "./alu.js";
import { JMP_OPS } from "./branch.js";
import { aluConcrete, movConcrete, jmpConcrete } from "./concrete.js";
import { rng } from "./small.test-util.js";

const R = rng(42);
const r64 = (): bigint => {
  const pick = R();
  const rnd = (BigInt(Math.floor(R() * 2 ** 32)) << 32n) | BigInt(Math.floor(R() * 2 ** 32));
  if (pick < 0.3) return BigInt(Math.floor(R() * 64)) - 16n; // small values, both signs
  if (pick < 0.4) return [0n, 1n, -1n, 1n << 31n, (1n << 31n) - 1n, 1n << 32n, 0xffffffffn, 1n << 63n, (1n << 63n) - 1n][Math.floor(R() * 9)];
  if (pick < 0.6) return rnd & 0xffffffffn;
  return rnd;
};
const OPS: AluOp[] = ["BPF_ADD", "BPF_SUB", "BPF_MUL", "BPF_DIV", "BPF_OR", "BPF_AND", "BPF_LSH", "BPF_RSH", "BPF_MOD", "BPF_XOR", "BPF_ARSH"];
const randInsn = (): AluInsn => ({ op: OPS[Math.floor(R() * OPS.length)], alu64: R() < 0.6, signed: R() < 0.3 });
const U64 = (x: bigint) => BigInt.asUintN(64, x);

/** members: edges of every view plus random fillings of the tnum's unknown bits */
function sample(a: Scalar, n: number): bigint[] {
  const out = new Set<bigint>();
  const cands = [D.umin(a), D.umax(a), U64(D.smin(a)), U64(D.smax(a)), a.varOff.value, a.varOff.value | a.varOff.mask];
  for (const c of cands) if (D.contains(a, c)) out.add(c);
  for (let i = 0; i < n * 4 && out.size < n; i++) {
    const x = a.varOff.value | (r64() & a.varOff.mask);
    if (D.contains(a, x)) out.add(U64(x));
  }
  return [...out];
}

/** a random reachable-looking abstract value with at least one member */
function grow(depth: number): Scalar {
  let a = R() < 0.5 ? D.unknown : D.known(r64());
  for (let i = 0; i < depth; i++) {
    const k = R();
    if (k < 0.5) {
      const src = R() < 0.7 ? D.known(r64()) : grow(0);
      const res = D.adjust(a, src, randInsn());
      a = res.value;
    } else {
      const out = D.branch(a, D.known(r64()), JMP_OPS[Math.floor(R() * JMP_OPS.length)], R() < 0.3);
      const pick = R() < 0.5 ? out.taken[0] : out.fallthrough[0];
      if (out.pred === -1 && !D.rangeBoundsViolation(pick) && sample(pick, 1).length > 0) a = pick;
    }
  }
  return a;
}

test("random 64-bit ALU ops: concrete results stay members", () => {
  let checked = 0;
  for (let i = 0; i < 1500; i++) {
    const a = grow(3), b = R() < 0.5 ? D.known(r64()) : grow(2);
    const insn = randInsn();
    const res = D.adjust(a, b, insn);
    const alt = res.forkDst ? D.adjust(res.forkDst, b, insn).value : null;
    for (const x of sample(a, 6)) for (const y of sample(b, 4)) {
      const z = aluConcrete(64, insn, x, y);
      assert.ok(D.contains(res.value, z) || (alt !== null && D.contains(alt, z)),
        `${insn.op} alu64=${insn.alu64} s=${insn.signed} ${x} ${y} -> ${z}`);
      checked++;
    }
  }
  assert.ok(checked > 10000);
});

test("random 64-bit neg/bswap/movsx", () => {
  for (let i = 0; i < 800; i++) {
    const a = grow(3);
    for (const x of sample(a, 6)) {
      for (const alu64 of [true, false]) {
        assert.ok(D.contains(D.adjust(a, a, { op: "BPF_NEG", alu64 }).value, aluConcrete(64, { op: "BPF_NEG", alu64 }, x, 0n)));
        for (const sx of alu64 ? [0, 8, 16, 32] : [0, 8, 16]) assert.ok(D.contains(D.mov(a, alu64, sx), movConcrete(64, alu64, sx, x)), `mov sx${sx}`);
      }
      for (const imm of [16, 32, 64] as const) for (const [alu64, toLe] of [[true, true], [false, true], [false, false]] as const) {
        const insn: AluInsn = { op: "BPF_END", alu64, end: { toLe, imm } };
        assert.ok(D.contains(D.adjust(a, a, insn).value, aluConcrete(64, insn, x, 0n)), `end ${imm}`);
      }
    }
  }
});

test("random 64-bit branches: predictions hold, refinements keep every member", () => {
  for (let i = 0; i < 1500; i++) {
    const a = grow(3), b = R() < 0.6 ? D.known(r64()) : grow(2);
    const op = JMP_OPS[Math.floor(R() * JMP_OPS.length)];
    const j32 = R() < 0.4;
    const out = D.branch(a, b, op, j32);
    for (const x of sample(a, 6)) for (const y of sample(b, 4)) {
      const jumps = jmpConcrete(64, op, j32, x, y);
      if (out.pred !== -1) { assert.equal(jumps, out.pred === 1, `${op}${j32 ? "32" : ""} pred`); continue; }
      const [p, q] = jumps ? out.taken : out.fallthrough;
      assert.ok(D.contains(p, x) && D.contains(q, y), `${op}${j32 ? "32" : ""} refine ${x} ${y}`);
    }
  }
});
