// Public API of the scalar domain (Linux 7.2: tnum var_off + cnum64 r64 + cnum32 r32).
//
// Use `scalar64` (a ScalarDomain at 64/32 bits). Values are immutable plain objects
// `Scalar = { varOff: {value, mask}, r64: {base, size}, r32: {base, size} }`, all unsigned bigints.
//   views       smin smax umin umax s32min s32max u32min u32max (signed ones return negative bigints)
//   build       known(imm) unknown markKnown32 setSRange64/32 setURange64/32 mk(varOff, r64, r32)
//   sync        boundsSync (reg_bounds_sync) zext32To64 coerceToSize(bits) coerceToSizeSx(bits)
//               markS32Range sanityViolation / sanityBugText (reg_bounds_sanity_check)
//   ALU         adjust(dst, src, {op, alu64, signed?, end?}) -> {value, markedUnknown, clearId, forkDst?}
//               mov(src, alu64, sxBits) movImm(imm, alu64) addConst(dst, delta, zext32) (linked regs)
//   JMP         branch(dst, src, op, jmp32, sameReg) -> {pred: 1|0|-1, taken: [dst, src], fallthrough: [dst, src]}
//   states      within(old, cur) (range_within && tnum_in), rangeWithin
//   log         formatScalar(s, precise, ["id=3"]) / scalarRangeAttrs(s): the text inside scalar(...)
export type { Width } from "./width.js";
export { width } from "./width.js";
export type { Tnum, TnumOps } from "./tnum.js";
export { tn, makeTnum } from "./tnum.js";
export type { Cnum, CnumOps } from "./cnum.js";
export { cn, makeCnum, cnumTruncate, cnumIntersectSub } from "./cnum.js";
export type { Scalar, ScalarRange, ScalarCore } from "./scalar.js";
export { makeScalarCore } from "./scalar.js";
export type { AluOp, AluInsn, AluResult, AluOps } from "./alu.js";
export { makeAlu } from "./alu.js";
export type { JmpOp, RefineOp, BranchOutcome, BranchOps } from "./branch.js";
export { makeBranch, flipOpcode, revOpcode, JMP_OPS } from "./branch.js";
export type { ScalarDomain } from "./domain.js";
export { makeScalarDomain, scalar64 } from "./domain.js";
export { formatScalar, scalarRangeAttrs, tnumText, snumText, unumText } from "./format.js";
export type { ParsedScalar } from "./parse.js";
export { parseScalarText } from "./parse.js";
export { aluConcrete, movConcrete, jmpConcrete } from "./concrete.js";
export type { Transition } from "./replay.js";
export { decodeInsnText, replay } from "./replay.js";
