// Conditional jumps on two scalars: outcome prediction and the refined values on both edges.
// kernel: is_scalar_branch_taken, simulate_both_branches_taken, regs_refine_cond_op, flip_opcode,
// rev_opcode (7.2 refines by simulating both branches and checking for empty ranges).

import { u } from "./width.js";
import type { Scalar, ScalarCore } from "./scalar.js";
import { cn } from "./cnum.js";
import { jmpConcrete } from "./concrete.js";

export type JmpOp =
  | "BPF_JEQ" | "BPF_JNE" | "BPF_JGT" | "BPF_JGE" | "BPF_JLT" | "BPF_JLE"
  | "BPF_JSGT" | "BPF_JSGE" | "BPF_JSLT" | "BPF_JSLE" | "BPF_JSET";

/** regs_refine_cond_op also takes the negation of JSET, spelled BPF_JSET | BPF_X in the kernel */
export type RefineOp = JmpOp | "BPF_JSET|BPF_X";

export const JMP_OPS: readonly JmpOp[] = [
  "BPF_JEQ", "BPF_JNE", "BPF_JGT", "BPF_JGE", "BPF_JLT", "BPF_JLE",
  "BPF_JSGT", "BPF_JSGE", "BPF_JSLT", "BPF_JSLE", "BPF_JSET",
];

/** kernel: flip_opcode — "a op b" as "b op' a" */
export function flipOpcode(op: JmpOp): JmpOp {
  switch (op) {
    case "BPF_JGE": return "BPF_JLE";
    case "BPF_JGT": return "BPF_JLT";
    case "BPF_JLE": return "BPF_JGE";
    case "BPF_JLT": return "BPF_JGT";
    case "BPF_JSGE": return "BPF_JSLE";
    case "BPF_JSGT": return "BPF_JSLT";
    case "BPF_JSLE": return "BPF_JSGE";
    case "BPF_JSLT": return "BPF_JSGT";
    default: return op;
  }
}

/** kernel: rev_opcode — the condition of the fall-through edge */
export function revOpcode(op: RefineOp): RefineOp {
  switch (op) {
    case "BPF_JEQ": return "BPF_JNE";
    case "BPF_JNE": return "BPF_JEQ";
    case "BPF_JSET": return "BPF_JSET|BPF_X";
    case "BPF_JSET|BPF_X": return "BPF_JSET";
    case "BPF_JGE": return "BPF_JLT";
    case "BPF_JGT": return "BPF_JLE";
    case "BPF_JLE": return "BPF_JGT";
    case "BPF_JLT": return "BPF_JGE";
    case "BPF_JSGE": return "BPF_JSLT";
    case "BPF_JSGT": return "BPF_JSLE";
    case "BPF_JSLE": return "BPF_JSGT";
    case "BPF_JSLT": return "BPF_JSGE";
  }
}

export interface BranchOutcome {
  /** 1: always taken, 0: never taken, -1: unknown */
  readonly pred: 1 | 0 | -1;
  /** values of (dst, src) on the jump edge; refined only when pred is -1 */
  readonly taken: readonly [Scalar, Scalar];
  /** values of (dst, src) on the fall-through edge; refined only when pred is -1 */
  readonly fallthrough: readonly [Scalar, Scalar];
}

export function makeBranch(c: ScalarCore) {
  const { W, H, T, C64, C32 } = c;
  const isConst = (r: Scalar, j32: boolean) => (j32 ? T.subregIsConst(r.varOff) : T.isConst(r.varOff));
  const constVal = (r: Scalar, j32: boolean) => (j32 ? T.subreg(r.varOff).value : r.varOff.value);

  // kernel: regs_refine_cond_op; returns the refined (reg1, reg2), unsynced
  const refine = (a: Scalar, b: Scalar, op0: RefineOp, j32: boolean): [Scalar, Scalar] => {
    let op = op0;
    let swapped = false;
    if (op === "BPF_JGE" || op === "BPF_JGT" || op === "BPF_JSGE" || op === "BPF_JSGT") {
      op = flipOpcode(op);
      [a, b] = [b, a];
      swapped = true;
    }
    let r1 = a, r2 = b;
    const out = (): [Scalar, Scalar] => (swapped ? [r2, r1] : [r1, r2]);
    switch (op) {
      case "BPF_JEQ":
        if (j32) {
          const r32 = C32.intersect(r1.r32, r2.r32);
          const t = T.intersect(T.subreg(r1.varOff), T.subreg(r2.varOff));
          r1 = c.mk(T.withSubreg(r1.varOff, t), r1.r64, r32);
          r2 = c.mk(T.withSubreg(r2.varOff, t), r2.r64, r32);
        } else {
          const r64 = C64.intersect(r1.r64, r2.r64);
          const t = T.intersect(r1.varOff, r2.varOff);
          r1 = c.mk(t, r64, r1.r32);
          r2 = c.mk(t, r64, r2.r32);
        }
        return out();
      case "BPF_JNE":
      case "BPF_JSET":
      case "BPF_JSET|BPF_X": {
        // these only refine the non-constant side against a constant
        let flip = false;
        if (!isConst(r2, j32)) { [r1, r2] = [r2, r1]; flip = true; }
        if (!isConst(r2, j32)) return out2(r1, r2, flip, swapped);
        const val = constVal(r2, j32);
        if (op === "BPF_JNE") {
          r1 = j32
            ? c.withR32(r1, C32.intersect(r1.r32, cn(u(H, val + 1n), H.max - 1n)))
            : c.withR64(r1, C64.intersect(r1.r64, cn(u(W, val + 1n), W.max - 1n)));
        } else if (op === "BPF_JSET") {
          if (val !== 0n && (val & (val - 1n)) === 0n) {
            r1 = j32
              ? c.withVarOff(r1, T.withSubreg(r1.varOff, T.or(T.subreg(r1.varOff), T.konst(val))))
              : c.withVarOff(r1, T.or(r1.varOff, T.konst(val)));
          }
        } else {
          // forget the ranges first so a dead edge does not trip over them
          r1 = c.unbounded(r1);
          const notVal = T.konst(~val);
          r1 = j32
            ? c.withVarOff(r1, T.withSubreg(r1.varOff, T.and(T.subreg(r1.varOff), notVal)))
            : c.withVarOff(r1, T.and(r1.varOff, notVal));
        }
        return out2(r1, r2, flip, swapped);
      }
      case "BPF_JLE":
      case "BPF_JLT": {
        const lt = op === "BPF_JLT" ? 1n : 0n;
        if (j32) {
          r1 = c.withR32(r1, C32.intersect(r1.r32, C32.fromURange(0n, u(H, c.u32max(r2) - lt))));
          r2 = c.withR32(r2, C32.intersect(r2.r32, C32.fromURange(u(H, c.u32min(r1) + lt), H.max)));
        } else {
          r1 = c.withR64(r1, C64.intersect(r1.r64, C64.fromURange(0n, u(W, c.umax(r2) - lt))));
          r2 = c.withR64(r2, C64.intersect(r2.r64, C64.fromURange(u(W, c.umin(r1) + lt), W.max)));
        }
        return out();
      }
      case "BPF_JSLE":
      case "BPF_JSLT": {
        const lt = op === "BPF_JSLT" ? 1n : 0n;
        if (j32) {
          r1 = c.withR32(r1, C32.intersect(r1.r32, C32.fromSRange(-H.signBit, c.s32max(r2) - lt)));
          r2 = c.withR32(r2, C32.intersect(r2.r32, C32.fromSRange(c.s32min(r1) + lt, H.smax)));
        } else {
          r1 = c.withR64(r1, C64.intersect(r1.r64, C64.fromSRange(-W.signBit, c.smax(r2) - lt)));
          r2 = c.withR64(r2, C64.intersect(r2.r64, C64.fromSRange(c.smin(r1) + lt, W.smax)));
        }
        return out();
      }
      default:
        return out();
    }
  };
  const out2 = (r1: Scalar, r2: Scalar, flip: boolean, swapped: boolean): [Scalar, Scalar] => {
    const p: [Scalar, Scalar] = flip ? [r2, r1] : [r1, r2];
    return swapped ? [p[1], p[0]] : p;
  };

  // kernel: is_scalar_branch_taken without the simulation step; null when undecided
  const quickPredict = (r1: Scalar, r2: Scalar, op: JmpOp, j32: boolean, same: boolean): 1 | 0 | -1 | null => {
    let t1 = j32 ? T.subreg(r1.varOff) : r1.varOff;
    let t2 = j32 ? T.subreg(r2.varOff) : r2.varOff;
    // The derived bounds cost several bigint operations each: compute only those an op reads.
    const umin1 = () => (j32 ? c.u32min(r1) : c.umin(r1)), umax1 = () => (j32 ? c.u32max(r1) : c.umax(r1));
    const smin1 = () => (j32 ? c.s32min(r1) : c.smin(r1)), smax1 = () => (j32 ? c.s32max(r1) : c.smax(r1));
    const umin2 = () => (j32 ? c.u32min(r2) : c.umin(r2)), umax2 = () => (j32 ? c.u32max(r2) : c.umax(r2));
    const smin2 = () => (j32 ? c.s32min(r2) : c.smin(r2)), smax2 = () => (j32 ? c.s32max(r2) : c.smax(r2));
    const b = (x: boolean): 1 | 0 => (x ? 1 : 0);
    if (same) {
      switch (op) {
        case "BPF_JGE": case "BPF_JLE": case "BPF_JSGE": case "BPF_JSLE": case "BPF_JEQ":
          return 1;
        case "BPF_JGT": case "BPF_JLT": case "BPF_JSGT": case "BPF_JSLT": case "BPF_JNE":
          return 0;
        case "BPF_JSET":
          if (T.isConst(t1)) return b(t1.value !== 0n);
          return smin1() <= 0n && smax1() >= 0n ? -1 : 1;
      }
    }
    switch (op) {
      case "BPF_JEQ":
      case "BPF_JNE": {
        const eq = op === "BPF_JEQ";
        if (T.isConst(t1) && T.isConst(t2)) return b((t1.value === t2.value) === eq);
        const differ =
          !T.overlap(t1, t2) || umin1() > umax2() || umax1() < umin2() || smin1() > smax2() || smax1() < smin2() ||
          (!j32 && (c.u32min(r1) > c.u32max(r2) || c.u32max(r1) < c.u32min(r2) ||
            c.s32min(r1) > c.s32max(r2) || c.s32max(r1) < c.s32min(r2)));
        if (differ) return eq ? 0 : 1;
        return null;
      }
      case "BPF_JSET": {
        if (!isConst(r2, j32)) [t1, t2] = [t2, t1];
        if (!isConst(r2, j32) && !isConst(r1, j32)) return -1;
        if (t1.value & ~t1.mask & t2.value) return 1;
        if (!((t1.mask | t1.value) & t2.value)) return 0;
        return null;
      }
      case "BPF_JGT": return umin1() > umax2() ? 1 : umax1() <= umin2() ? 0 : null;
      case "BPF_JSGT": return smin1() > smax2() ? 1 : smax1() <= smin2() ? 0 : null;
      case "BPF_JLT": return umax1() < umin2() ? 1 : umin1() >= umax2() ? 0 : null;
      case "BPF_JSLT": return smax1() < smin2() ? 1 : smin1() >= smax2() ? 0 : null;
      case "BPF_JGE": return umin1() >= umax2() ? 1 : umax1() < umin2() ? 0 : null;
      case "BPF_JSGE": return smin1() >= smax2() ? 1 : smax1() < smin2() ? 0 : null;
      case "BPF_JLE": return umax1() <= umin2() ? 1 : umin1() > umax2() ? 0 : null;
      case "BPF_JSLE": return smax1() <= smin2() ? 1 : smin1() > smax2() ? 0 : null;
    }
  };

  /**
   * kernel: is_scalar_branch_taken + the env->{true,false}_reg{1,2} bookkeeping of
   * check_cond_jmp_op. r1 is dst, r2 is src (c.known(imm) for BPF_K, imm sign-extended).
   * sameReg: BPF_X with src_reg == dst_reg (the kernel compares the two pointers).
   */
  const branch = (r1: Scalar, r2: Scalar, op: JmpOp, jmp32: boolean, sameReg = false): BranchOutcome => {
    // Fast path: two consistent constants are always decided, by their concrete values
    // (branch.test.ts checks this against the general path)
    if (wellFormedConst(r1) && wellFormedConst(r2)) {
      const pred = jmpConcrete(W.bits, op, jmp32, r1.varOff.value, r2.varOff.value) ? 1 : 0;
      return { pred, taken: [r1, r2], fallthrough: [r1, r2] };
    }
    return branchGeneric(r1, r2, op, jmp32, sameReg);
  };

  const wellFormedConst = (r: Scalar): boolean =>
    r.varOff.mask === 0n && r.r64.size === 0n && r.r64.base === r.varOff.value &&
    r.r32.size === 0n && r.r32.base === (r.varOff.value & H.max);

  const branchGeneric = (r1: Scalar, r2: Scalar, op: JmpOp, jmp32: boolean, sameReg = false): BranchOutcome => {
    const q = quickPredict(r1, r2, op, jmp32, sameReg);
    if (q !== null) return { pred: q, taken: [r1, r2], fallthrough: [r1, r2] };
    // kernel: simulate_both_branches_taken
    const f = refine(r1, r2, revOpcode(op), jmp32);
    const f1 = c.boundsSync(f[0]), f2 = c.boundsSync(f[1]);
    if (c.rangeBoundsViolation(f1) || c.rangeBoundsViolation(f2))
      return { pred: 1, taken: [r1, r2], fallthrough: [f1, f2] };
    const t = refine(r1, r2, op, jmp32);
    const t1 = c.boundsSync(t[0]), t2 = c.boundsSync(t[1]);
    if (c.rangeBoundsViolation(t1) || c.rangeBoundsViolation(t2))
      return { pred: 0, taken: [t1, t2], fallthrough: [f1, f2] };
    return { pred: -1, taken: [t1, t2], fallthrough: [f1, f2] };
  };

  return { refine, quickPredict, branch, branchGeneric };
}

export type BranchOps = ReturnType<typeof makeBranch>;
