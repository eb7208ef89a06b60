// The walk's view of the scalar domain (src/verifier/scalar/): everything an
// ALU/JMP/load rule asks of tnum/cnum math goes through here, on registers.
// kernel: verifier.c (reg_bounds_sync, zext_32_to_64, coerce_reg_to_size*,
// add_scalar_to_reg, is_safe_to_compute_dst_reg_range, reg_bounds_sanity_check)
import type { VerifierEnv } from "../env.js";
import type { RegState } from "../state/types.js";
import type { Cnum, Tnum } from "../state/scalar-bridge.js";
import { CNUM32_UNBOUNDED, CNUM64_UNBOUNDED, cnum32FromURange } from "../state/scalar-bridge.js";
import { notModelled } from "../not-modelled.js";
import { verifierBug } from "../bug.js";
import type { BranchRegs } from "./jmp.js";
import { BPF_ADD, BPF_AND, BPF_ARSH, BPF_DIV, BPF_END, BPF_LSH, BPF_MOD, BPF_MUL, BPF_NEG, BPF_OR, BPF_RSH, BPF_SUB, BPF_XOR } from "../cfg/opcodes.js";

const U64 = (1n << 64n) - 1n;
const U32 = (1n << 32n) - 1n;

/** The scalar domain's register-level operations (provided by src/verifier/scalar). */
/** A register's value part, as the scalar domain sees it. */
export interface ScalarValue {
  varOff: Tnum;
  r64: Cnum;
  r32: Cnum;
}

/** What adjust_scalar_min_max_vals did (kernel semantics, see src/verifier/scalar/alu.ts). */
export interface AluOutcome {
  value: ScalarValue;
  markedUnknown: boolean;
  clearId: boolean;
  /** maybe_fork_scalars: the dst value of the state pushed at this insn. */
  forkDst?: ScalarValue;
  forkClearId?: boolean;
}

export interface ScalarDomain {
  regBoundsSync(reg: RegState): void;
  scalarAlu(dst: RegState, src: RegState, op: number, alu32: boolean, off: number, imm: number, toBe: boolean): AluOutcome;
  coerceRegToSize(reg: RegState, size: number): void;
  coerceRegToSizeSx(reg: RegState, size: number): void;
  coerceSubregToSizeSx(reg: RegState, size: number): void;
  zext32To64(reg: RegState): void;
  isScalarBranchTaken(r1: RegState, r2: RegState, op: number, is32: boolean, br: BranchRegs): number;
  /** kernel: range_bounds_violation / const_tnum_range_mismatch(_32): the message or null. */
  invariantViolation(reg: RegState): string | null;
  cnum64Add(a: Cnum, b: Cnum): Cnum;
  cnum32Add(a: Cnum, b: Cnum): Cnum;
  cnum64Negate(a: Cnum): Cnum;
  tnumAdd(a: Tnum, b: Tnum): Tnum;
  tnumSub(a: Tnum, b: Tnum): Tnum;
  tnumConstSubreg(a: Tnum, v: bigint): Tnum;
}

let domain: ScalarDomain | null = null;

/** Installed once by the scalar module's adapter. */
export function installScalarDomain(d: ScalarDomain): void {
  domain = d;
}

function D(): ScalarDomain {
  return domain ?? notModelled("scalar domain (src/verifier/scalar) not installed");
}

export const regBoundsSync = (r: RegState): void => D().regBoundsSync(r);
/** toBe: BPF_END's source bit (BPF_TO_BE) on a BPF_ALU-class insn. */
export const scalarAlu = (dst: RegState, src: RegState, op: number, alu32: boolean, off: number, imm: number, toBe = false): AluOutcome =>
  D().scalarAlu(dst, src, op, alu32, off, imm, toBe);
export const coerceRegToSize = (r: RegState, size: number): void => D().coerceRegToSize(r, size);
export const coerceRegToSizeSx = (r: RegState, size: number): void => D().coerceRegToSizeSx(r, size);
export const coerceSubregToSizeSx = (r: RegState, size: number): void => D().coerceSubregToSizeSx(r, size);
export const zext32To64 = (r: RegState): void => D().zext32To64(r);
export const isScalarBranchTaken = (r1: RegState, r2: RegState, op: number, is32: boolean, br: BranchRegs): number =>
  D().isScalarBranchTaken(r1, r2, op, is32, br);
export const cnum64Add = (a: Cnum, b: Cnum): Cnum => D().cnum64Add(a, b);
export const cnum64Negate = (a: Cnum): Cnum => D().cnum64Negate(a);
export const tnumAdd = (a: Tnum, b: Tnum): Tnum => D().tnumAdd(a, b);
export const tnumSub = (a: Tnum, b: Tnum): Tnum => D().tnumSub(a, b);

/** kernel: __mark_reg32_unbounded */
export function markReg32Unbounded(r: RegState): void {
  r.r32 = CNUM32_UNBOUNDED;
}

/** kernel: __mark_reg32_known */
export function markReg32Known(r: RegState, v: bigint): void {
  r.varOff = D().tnumConstSubreg(r.varOff, v & U32);
  r.r32 = cnum32FromURange(v & U32, v & U32);
}

/** kernel: add_scalar_to_reg */
export function addScalarToReg(dst: RegState, val: bigint): void {
  if (!val) return;
  const k = { r64: { base: val & U64, size: 0n }, r32: { base: val & U32, size: 0n }, varOff: { value: val & U64, mask: 0n } };
  dst.r32 = D().cnum32Add(dst.r32, k.r32);
  dst.r64 = D().cnum64Add(dst.r64, k.r64);
  dst.varOff = D().tnumAdd(dst.varOff, k.varOff);
  regBoundsSync(dst);
}

/** `reg += fake` on both views and the tnum (sync_linked_regs' delta adjustment). */
export function addConstInPlace(reg: RegState, fake: RegState): void {
  reg.r32 = D().cnum32Add(reg.r32, fake.r32);
  reg.r64 = D().cnum64Add(reg.r64, fake.r64);
  reg.varOff = D().tnumAdd(reg.varOff, fake.varOff);
}

/** kernel: is_safe_to_compute_dst_reg_range */
export function isSafeToComputeDstRegRange(op: number, alu32: boolean, src: RegState): boolean {
  const d = D();
  void d;
  let srcIsConst: boolean;
  if (alu32) {
    srcIsConst = (src.varOff.mask & U32) === 0n && src.r32.size === 0n;
  } else {
    srcIsConst = src.varOff.mask === 0n && src.r64.size === 0n;
  }
  switch (op) {
    case BPF_ADD: case BPF_SUB: case BPF_NEG: case BPF_AND: case BPF_XOR: case BPF_OR: case BPF_MUL: case BPF_END:
      return true;
    case BPF_DIV: case BPF_MOD:
      return srcIsConst;
    case BPF_LSH: case BPF_RSH: case BPF_ARSH: {
      if (!srcIsConst) return false;
      const umax = src.r64.size > U64 - src.r64.base ? U64 : src.r64.base + src.r64.size;
      return umax < (alu32 ? 32n : 64n);
    }
    default:
      return false;
  }
}

/** kernel: reg_bounds_sanity_check — a violated invariant is our bug or a kernel bug; the kernel reports it and unbounds. */
export function regBoundsSanityCheck(env: VerifierEnv, reg: RegState, ctx: string): void {
  if (reg.type !== "SCALAR_VALUE" && reg.type !== "NOT_INIT") {
    // The kernel checks every type; pointer bounds use the same fields.
  }
  const msg = D().invariantViolation(reg);
  if (!msg) return;
  const hx = (v: bigint) => "0x" + v.toString(16);
  const text = `REG INVARIANTS VIOLATION (${ctx}): ${msg} r64={.base=${hx(reg.r64.base)}, .size=${hx(reg.r64.size)}} r32={.base=${hx(reg.r32.base)}, .size=${hx(reg.r32.size)}} var_off=(${hx(reg.varOff.value)}, ${hx(reg.varOff.mask)})`;
  if (env.testRegInvariants) verifierBug(env, text);
  env.verbose(`verifier bug: ${text}\n`);
  reg.r64 = CNUM64_UNBOUNDED;
  reg.r32 = CNUM32_UNBOUNDED;
}

/** kernel: linked_regs_pack — up to 5 entries of 11 bits after a 4-bit count. */
export function packLinkedRegs(linked: { frameno: number; isReg: boolean; regno: number }[]): bigint {
  let v = 0n;
  for (let i = linked.length - 1; i >= 0; i--) {
    const e = linked[i]!;
    const entry = BigInt(e.frameno) | (BigInt(e.regno) << 4n) | ((e.isReg ? 1n : 0n) << 10n);
    v = (v << 11n) | entry;
  }
  return (v << 4n) | BigInt(linked.length);
}
