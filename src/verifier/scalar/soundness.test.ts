// Exhaustive-style soundness of every ALU and JMP op at 8-bit registers (4-bit subregisters):
// for abstract inputs from a large pool (every constant, unknown, ~1000 mixed tnum/arc values) and
// every concrete member of them, the concrete result must be a member of the abstract result,
// branch prediction must never be wrong, and refinement must keep every pair that takes the edge.

import { test } from "node:test";
import assert from "node:assert/strict";
import { makeScalarDomain } from "./domain.js";
import type { AluInsn, AluOp } from "./alu.js";
import { JMP_OPS } from "./branch.js";
import { aluConcrete, movConcrete, jmpConcrete } from "./concrete.js";
import { pool, members, fast, has, key } from "./small.test-util.js";
import type { Scalar } from "./scalar.js";

const BITS = 8;
const D = makeScalarDomain(BITS);
const P1 = pool(D, 1200, 1); // unary / const-operand inputs
const P2 = P1.filter((_, i) => i % 12 === 0); // binary inputs (~120 values incl. 22 constants)
const MEM = new Map<string, number[]>();
const mem = (a: Scalar) => {
  const k = key(a);
  let m = MEM.get(k);
  if (!m) { m = members(a, BITS); MEM.set(k, m); }
  return m;
};

/** constants near the unsigned/signed edges of both views, plus a spread in between (~45) */
const EDGE = (i: number) => i < 6 || i > 250 || Math.abs(i - 128) < 3 || (i & 15) === 0 || (i & 15) === 15 || i % 23 === 0;

interface Failure { what: string; detail: string }
function report(fails: Failure[]) {
  const by = new Map<string, { n: number; ex: string }>();
  for (const f of fails) {
    const e = by.get(f.what);
    if (e) e.n++; else by.set(f.what, { n: 1, ex: f.detail });
  }
  return [...by].map(([w, e]) => `${w}: ${e.n} (e.g. ${e.ex})`).join("\n");
}
const show = (a: Scalar) =>
  `{t=(${a.varOff.value};${a.varOff.mask}) r64={${a.r64.base},${a.r64.size}} r32={${a.r32.base},${a.r32.size}}}`;

// concrete results per insn, as a 2^BITS x 2^BITS table (BigInt evaluation per pair would
// dominate the run time)
const TABLES = new Map<string, Uint8Array>();
function table(insn: AluInsn): Uint8Array {
  const k = JSON.stringify(insn);
  let t = TABLES.get(k);
  if (!t) {
    const n = 1 << BITS;
    t = new Uint8Array(n * n);
    for (let x = 0; x < n; x++) for (let y = 0; y < n; y++) t[x * n + y] = Number(aluConcrete(BITS, insn, BigInt(x), BigInt(y)));
    TABLES.set(k, t);
  }
  return t;
}
const JT = new Map<string, Uint8Array>();
function jtable(op: (typeof JMP_OPS)[number], j32: boolean): Uint8Array {
  const k = op + j32;
  let t = JT.get(k);
  if (!t) {
    const n = 1 << BITS;
    t = new Uint8Array(n * n);
    for (let x = 0; x < n; x++) for (let y = 0; y < n; y++) t[x * n + y] = jmpConcrete(BITS, op, j32, BigInt(x), BigInt(y)) ? 1 : 0;
    JT.set(k, t);
  }
  return t;
}

function checkAlu(insn: AluInsn, dst: Scalar, src: Scalar, srcMembers: number[], fails: Failure[], tag: string) {
  const tab = table(insn);
  const res = D.adjust(dst, src, insn);
  const fr = fast(res.value);
  const ff = res.forkDst ? fast(D.adjust(res.forkDst, src, insn).value) : null;
  for (const x of mem(dst)) {
    for (const y of srcMembers) {
      const z = tab[(x << BITS) | y];
      if (has(fr, BITS, z) || (ff && has(ff, BITS, z))) continue;
      fails.push({ what: tag, detail: `${show(dst)} op ${show(src)}: ${x},${y} -> ${z} not in ${show(res.value)}` });
      return;
    }
  }
}

const BIN: AluOp[] = ["BPF_ADD", "BPF_SUB", "BPF_MUL", "BPF_AND", "BPF_OR", "BPF_XOR"];

test("ALU add/sub/mul/and/or/xor, 64 and 32 bit, all pool pairs", () => {
  const fails: Failure[] = [];
  for (const op of BIN) for (const alu64 of [true, false]) {
    const insn: AluInsn = { op, alu64 };
    for (const a of P2) for (const b of P2) checkAlu(insn, a, b, mem(b), fails, `${op}${alu64 ? "" : "32"}`);
  }
  assert.equal(fails.length, 0, report(fails));
});

test("ALU div/mod (signed and unsigned) and shifts, every dst in the pool, constant and variable src", () => {
  const fails: Failure[] = [];
  const consts = Array.from({ length: 1 << BITS }, (_, i) => D.known(BigInt(i)));
  const ops: [AluOp, boolean][] = [
    ["BPF_DIV", false], ["BPF_DIV", true], ["BPF_MOD", false], ["BPF_MOD", true],
    ["BPF_LSH", false], ["BPF_RSH", false], ["BPF_ARSH", false],
  ];
  for (const [op, signed] of ops) for (const alu64 of [true, false]) {
    const insn: AluInsn = { op, alu64, signed };
    const tag = `${op}${signed ? "(s)" : ""}${alu64 ? "" : "32"}`;
    const isShift = op === "BPF_LSH" || op === "BPF_RSH" || op === "BPF_ARSH";
    const srcs = isShift ? consts.slice(0, alu64 ? BITS : BITS / 2) : consts.filter((_, i) => EDGE(i));
    for (const a of P1.filter((_, i) => isShift || i % 2 === 0)) for (const b of srcs) checkAlu(insn, a, b, mem(b), fails, tag);
    for (const a of P2.slice(0, 60)) for (const b of P2.slice(0, 60)) checkAlu(insn, a, b, mem(b), fails, tag + " var");
  }
  assert.equal(fails.length, 0, report(fails));
});

test("ALU neg, bswap/to_le/to_be and mov/movsx over every pool value", () => {
  const fails: Failure[] = [];
  for (const a of P1) {
    for (const alu64 of [true, false]) checkAlu({ op: "BPF_NEG", alu64 }, a, a, [0], fails, `BPF_NEG${alu64 ? "" : "32"}`);
    for (const imm of [16, 32, 64] as const) {
      for (const [alu64, toLe] of [[true, true], [false, true], [false, false]] as const) {
        const insn: AluInsn = { op: "BPF_END", alu64, end: { toLe, imm } };
        const res = D.adjust(a, a, insn).value;
        const f = fast(res);
        for (const x of mem(a)) {
          const z = Number(aluConcrete(BITS, insn, BigInt(x), 0n));
          if (!has(f, BITS, z)) { fails.push({ what: `END${imm} alu64=${alu64} le=${toLe}`, detail: `${show(a)} ${x}->${z} not in ${show(res)}` }); break; }
        }
      }
    }
    for (const alu64 of [true, false]) for (const sx of alu64 ? [0, 8, 16, 32] : [0, 8, 16]) {
      const res = D.mov(a, alu64, sx);
      const f = fast(res);
      for (const x of mem(a)) {
        const z = Number(movConcrete(BITS, alu64, (sx * BITS) / 64, BigInt(x)));
        if (!has(f, BITS, z)) { fails.push({ what: `MOV${alu64 ? "" : "32"} sx${sx}`, detail: `${show(a)} ${x}->${z} not in ${show(res)}` }); break; }
      }
    }
  }
  assert.equal(fails.length, 0, report(fails));
});

function checkBranch(a: Scalar, b: Scalar, op: (typeof JMP_OPS)[number], j32: boolean, same: boolean, fails: Failure[]) {
  const out = D.branch(a, b, op, j32, same);
  const tag = `${op}${j32 ? "32" : ""}${same ? " same" : ""}`;
  const t0 = fast(out.taken[0]), t1 = fast(out.taken[1]);
  const f0 = fast(out.fallthrough[0]), f1 = fast(out.fallthrough[1]);
  const ma = mem(a);
  const jt = jtable(op, j32);
  for (const x of ma) {
    for (const y of same ? [x] : mem(b)) {
      const jumps = jt[(x << BITS) | y] === 1;
      if (out.pred !== -1) {
        if (jumps !== (out.pred === 1)) {
          fails.push({ what: tag + " pred", detail: `${show(a)} ${show(b)}: ${x},${y} jumps=${jumps} pred=${out.pred}` });
          return;
        }
        continue;
      }
      const ok = jumps ? has(t0, BITS, x) && has(t1, BITS, y) : has(f0, BITS, x) && has(f1, BITS, y);
      if (!ok) {
        fails.push({ what: tag + " refine", detail: `${show(a)} ${show(b)}: ${x},${y} jumps=${jumps} lost in ${show(jumps ? out.taken[0] : out.fallthrough[0])} / ${show(jumps ? out.taken[1] : out.fallthrough[1])}` });
        return;
      }
    }
  }
}

test("JMP/JMP32 reg-reg: prediction and refinement on both edges, all ops", () => {
  const fails: Failure[] = [];
  const B = P2.filter((_, i) => i % 2 === 0);
  for (const op of JMP_OPS) for (const j32 of [false, true]) {
    for (const a of B) for (const b of B) checkBranch(a, b, op, j32, false, fails);
    for (const a of P1) checkBranch(a, a, op, j32, true, fails);
  }
  assert.equal(fails.length, 0, report(fails));
});

test("JMP/JMP32 reg-imm: every pool value against every constant", () => {
  const fails: Failure[] = [];
  const consts = Array.from({ length: 1 << BITS }, (_, i) => D.known(BigInt(i))).filter((_, i) => EDGE(i));
  for (const op of JMP_OPS) for (const j32 of [false, true])
    for (const a of P1.filter((_, i) => i % 6 === 0)) for (const b of consts) checkBranch(a, b, op, j32, false, fails);
  assert.equal(fails.length, 0, report(fails));
});

test("every 8-bit tnum (arcs derived by reg_bounds_sync): neg, bswap, movsx and constant shifts", () => {
  const fails: Failure[] = [];
  const all: Scalar[] = [];
  for (let m = 0; m < 1 << BITS; m++) for (let v = 0; v < 1 << BITS; v++) {
    if (v & m) continue;
    all.push(D.boundsSync(D.mk({ value: BigInt(v), mask: BigInt(m) }, D.C64.UNBOUNDED, D.C32.UNBOUNDED)));
  }
  assert.equal(all.length, 3 ** BITS);
  const unary: AluInsn[] = [
    { op: "BPF_NEG", alu64: true }, { op: "BPF_NEG", alu64: false },
    { op: "BPF_END", alu64: true, end: { toLe: true, imm: 16 } }, { op: "BPF_END", alu64: false, end: { toLe: false, imm: 32 } },
  ];
  const shifts: AluInsn[] = [];
  for (const op of ["BPF_LSH", "BPF_RSH", "BPF_ARSH"] as const) for (const alu64 of [true, false]) shifts.push({ op, alu64 });
  for (const a of all) {
    for (const insn of unary) checkAlu(insn, a, a, [0], fails, insn.op + (insn.alu64 ? "" : "32"));
    for (const insn of shifts) {
      const sh = 1n + ((a.varOff.value ^ a.varOff.mask) % BigInt(insn.alu64 ? BITS - 1 : BITS / 2 - 1));
      checkAlu(insn, a, D.known(sh), [Number(sh)], fails, insn.op + (insn.alu64 ? "" : "32"));
    }
    for (const sx of [8, 16, 32]) {
      const res = fast(D.mov(a, true, sx));
      for (const x of mem(a)) {
        const z = Number(movConcrete(BITS, true, (sx * BITS) / 64, BigInt(x)));
        if (!has(res, BITS, z)) { fails.push({ what: `movsx${sx}`, detail: `${show(a)} ${x}->${z}` }); break; }
      }
    }
  }
  assert.equal(fails.length, 0, report(fails));
});
