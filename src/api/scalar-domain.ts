// Installs the scalar domain (src/verifier/scalar) behind the walk's
// register-level interface (src/verifier/ops/scalar-ops.ts): registers are
// mutable RegStates, the domain works on immutable {varOff, r64, r32} values.
import { installScalarDomain, type AluOutcome, type ScalarValue } from "../verifier/ops/scalar-ops.js";
import type { RegState } from "../verifier/state/types.js";
import type { BranchRegs } from "../verifier/ops/jmp.js";
import { scalar64 } from "../verifier/scalar/domain.js";
import type { AluOp } from "../verifier/scalar/alu.js";
import type { JmpOp } from "../verifier/scalar/branch.js";
import type { Scalar } from "../verifier/scalar/scalar.js";

const D = scalar64;

const ALU_OPS: Record<number, AluOp> = {
  0x00: "BPF_ADD", 0x10: "BPF_SUB", 0x20: "BPF_MUL", 0x30: "BPF_DIV", 0x40: "BPF_OR", 0x50: "BPF_AND", 0x60: "BPF_LSH",
  0x70: "BPF_RSH", 0x80: "BPF_NEG", 0x90: "BPF_MOD", 0xa0: "BPF_XOR", 0xc0: "BPF_ARSH", 0xd0: "BPF_END",
};
const JMP_OPS: Record<number, JmpOp> = {
  0x10: "BPF_JEQ", 0x20: "BPF_JGT", 0x30: "BPF_JGE", 0x40: "BPF_JSET", 0x50: "BPF_JNE", 0x60: "BPF_JSGT", 0x70: "BPF_JSGE",
  0xa0: "BPF_JLT", 0xb0: "BPF_JLE", 0xc0: "BPF_JSLT", 0xd0: "BPF_JSLE",
};

const val = (r: ScalarValue): Scalar => ({ varOff: r.varOff, r64: r.r64, r32: r.r32 });
const put = (r: RegState, v: Scalar): void => {
  r.varOff = v.varOff;
  r.r64 = v.r64;
  r.r32 = v.r32;
};

let installed = false;

export function installDefaultScalarDomain(): void {
  if (installed) return;
  installed = true;
  installScalarDomain({
    regBoundsSync: (r) => put(r, D.boundsSync(val(r))),
    scalarAlu(dst, src, op, alu32, off, imm, toBe): AluOutcome {
      const aop = ALU_OPS[op];
      if (!aop) throw new RangeError(`ALU op ${op}`);
      const insn = {
        op: aop,
        alu64: !alu32,
        signed: (aop === "BPF_DIV" || aop === "BPF_MOD") && off === 1,
        ...(aop === "BPF_END" ? { end: { toLe: !toBe, imm: imm as 16 | 32 | 64 } } : {}),
      };
      const r = D.adjust(val(dst), val(src), insn);
      return {
        value: r.value,
        markedUnknown: r.markedUnknown,
        clearId: r.clearId,
        ...(r.forkDst ? { forkDst: r.forkDst, forkClearId: !!r.forkClearId } : {}),
      };
    },
    coerceRegToSize: (r, size) => put(r, D.coerceToSize(val(r), size * 8)),
    coerceRegToSizeSx: (r, size) => put(r, D.coerceToSizeSx(val(r), size * 8)),
    coerceSubregToSizeSx: (r, size) => put(r, D.coerceSubregToSizeSx(val(r), size * 8)),
    zext32To64: (r) => put(r, D.zext32To64(val(r))),
    isScalarBranchTaken(r1: RegState, r2: RegState, op: number, is32: boolean, br: BranchRegs): number {
      const jop = JMP_OPS[op];
      if (!jop) throw new RangeError(`JMP op ${op}`);
      const o = D.branch(val(r1), val(r2), jop, is32, r1 === r2);
      put(br.true1, o.taken[0]);
      put(br.true2, o.taken[1]);
      put(br.false1, o.fallthrough[0]);
      put(br.false2, o.fallthrough[1]);
      return o.pred;
    },
    invariantViolation: (r) => D.sanityViolation(val(r)),
    cnum64Add: (a, b) => D.C64.add(a, b),
    cnum32Add: (a, b) => D.C32.add(a, b),
    cnum64Negate: (a) => D.C64.negate(a),
    tnumAdd: (a, b) => D.T.add(a, b),
    tnumSub: (a, b) => D.T.sub(a, b),
    tnumConstSubreg: (a, v) => D.T.constSubreg(a, v),
  });
}
