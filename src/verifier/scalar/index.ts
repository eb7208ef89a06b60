// Public API of the scalar domain (Linux 7.2: tnum var_off + cnum64 r64 + cnum32 r32).
export type { Width } from "./width.js";
export { width } from "./width.js";
export type { Tnum, TnumOps } from "./tnum.js";
export { tn, makeTnum } from "./tnum.js";
export type { Cnum, CnumOps } from "./cnum.js";
export { cn, makeCnum, cnumTruncate, cnumIntersectSub } from "./cnum.js";
export type { Scalar, ScalarCore } from "./scalar.js";
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
