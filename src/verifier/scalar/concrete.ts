// Concrete BPF semantics of ALU and JMP ops at any register width (the ISA, not the verifier):
// the reference the soundness tests check the abstract ops against.

import type { AluInsn } from "./alu.js";
import type { JmpOp } from "./branch.js";
import { type Width, width, u, s } from "./width.js";

function swab(x: bigint, nbytes: number, byteBits: bigint): bigint {
  let r = 0n;
  const bm = (1n << byteBits) - 1n;
  for (let i = 0; i < nbytes; i++) r |= ((x >> (BigInt(i) * byteBits)) & bm) << (BigInt(nbytes - 1 - i) * byteBits);
  return r;
}

function binop(w: Width, insn: AluInsn, a: bigint, b: bigint): bigint {
  const sh = b & BigInt(w.bits - 1);
  switch (insn.op) {
    case "BPF_ADD": return u(w, a + b);
    case "BPF_SUB": return u(w, a - b);
    case "BPF_MUL": return u(w, a * b);
    case "BPF_OR": return a | b;
    case "BPF_AND": return a & b;
    case "BPF_XOR": return a ^ b;
    case "BPF_LSH": return u(w, a << sh);
    case "BPF_RSH": return a >> sh;
    case "BPF_ARSH": return u(w, s(w, a) >> sh);
    case "BPF_NEG": return u(w, -a);
    case "BPF_DIV":
      if (b === 0n) return 0n;
      if (!insn.signed) return a / b;
      if (a === w.signBit && b === w.max) return a; // S_MIN / -1 = S_MIN
      return u(w, s(w, a) / s(w, b));
    case "BPF_MOD":
      if (b === 0n) return a;
      if (!insn.signed) return a % b;
      return u(w, s(w, a) % s(w, b)); // sign of the dividend, S_MIN % -1 = 0
    case "BPF_END":
      throw new TypeError("BPF_END is not a binary op");
  }
}

/**
 * Result of `dst op= src` on a register of `bits` bits (subregister bits/2). For BPF_NEG and
 * BPF_END src is ignored. BPF_END is little-endian-host semantics, bytes of bits/8 bits.
 */
export function aluConcrete(bits: number, insn: AluInsn, dst: bigint, src: bigint, bigEndian = false): bigint {
  const w = width(bits);
  const h = width(bits / 2);
  if (insn.op === "BPF_END") {
    const e = insn.end!;
    const nbytes = e.imm / 8;
    const byteBits = BigInt(bits / 8);
    const m = (1n << (BigInt(nbytes) * byteBits)) - 1n;
    const needBswap = insn.alu64 || e.toLe === bigEndian;
    return needBswap ? swab(dst & m, nbytes, byteBits) : dst & m;
  }
  if (insn.alu64) return binop(w, insn, dst, src);
  return binop(h, insn, u(h, dst), u(h, src));
}

/** movsx: sign-extend the low sxBits of src to the register (alu64) or subregister (then zero-extend) */
export function movConcrete(bits: number, alu64: boolean, sxBits: number, src: bigint): bigint {
  const h = bits / 2;
  if (alu64) return sxBits === 0 ? src : BigInt.asUintN(bits, BigInt.asIntN(sxBits, src));
  return sxBits === 0 ? BigInt.asUintN(h, src) : BigInt.asUintN(h, BigInt.asIntN(sxBits, src));
}

/** whether `a op b` jumps, on the full registers or (jmp32) on their subregisters */
export function jmpConcrete(bits: number, op: JmpOp, jmp32: boolean, a0: bigint, b0: bigint): boolean {
  const w = width(jmp32 ? bits / 2 : bits);
  const a = u(w, a0), b = u(w, b0);
  switch (op) {
    case "BPF_JEQ": return a === b;
    case "BPF_JNE": return a !== b;
    case "BPF_JGT": return a > b;
    case "BPF_JGE": return a >= b;
    case "BPF_JLT": return a < b;
    case "BPF_JLE": return a <= b;
    case "BPF_JSGT": return s(w, a) > s(w, b);
    case "BPF_JSGE": return s(w, a) >= s(w, b);
    case "BPF_JSLT": return s(w, a) < s(w, b);
    case "BPF_JSLE": return s(w, a) <= s(w, b);
    case "BPF_JSET": return (a & b) !== 0n;
  }
}
