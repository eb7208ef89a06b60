// The instruction-form predicates the pre-passes and the walk need (on RawInsn).
// kernel: include/uapi/linux/bpf_common.h, include/linux/filter.h
import type { RawInsn } from "../../isa/raw.js";

// The opcode fields and constants are src/isa's; the pre-passes and the walk import them from
// here together with the instruction-form predicates below.
export * from "../../isa/opcodes.js";
import {
  BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_DW, BPF_EXIT, BPF_FETCH, BPF_IMM, BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32,
  BPF_LD, BPF_LDX, BPF_LOAD_ACQ, BPF_MAY_GOTO, BPF_MEM, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL,
  BPF_REG_PARAMS, BPF_ST, BPF_STX, BPF_X, bpfClass, bpfMode, bpfOp,
} from "../../isa/opcodes.js";

/** kernel: BPF_FUNC_tail_call */
export const BPF_FUNC_tail_call = 12;

export const isJmpClass = (code: number): boolean =>
  bpfClass(code) === BPF_JMP || bpfClass(code) === BPF_JMP32;

/** kernel: bpf_is_ldimm64 */
export const isLdImm64 = (i: RawInsn): boolean => i.code === (BPF_LD | BPF_IMM | BPF_DW);

/** kernel: bpf_pseudo_func — ld_imm64 of a subprog address (callbacks). */
export const isPseudoFunc = (i: RawInsn): boolean => isLdImm64(i) && i.src === BPF_PSEUDO_FUNC;

/** kernel: bpf_pseudo_call — BPF-to-BPF call. */
export const isPseudoCall = (i: RawInsn): boolean =>
  i.code === (BPF_JMP | BPF_CALL) && i.src === BPF_PSEUDO_CALL;

/** kernel: bpf_pseudo_kfunc_call */
export const isPseudoKfuncCall = (i: RawInsn): boolean =>
  i.code === (BPF_JMP | BPF_CALL) && i.src === BPF_PSEUDO_KFUNC_CALL;

/** kernel: bpf_helper_call */
export const isHelperCall = (i: RawInsn): boolean => i.code === (BPF_JMP | BPF_CALL) && i.src === 0;

/** kernel: insn_is_gotox — indirect jump through a jump table. */
export const isGotox = (i: RawInsn): boolean => i.code === (BPF_JMP | BPF_JA | BPF_X);

/** kernel: bpf_is_may_goto_insn */
export const isMayGoto = (i: RawInsn): boolean => i.code === (BPF_JMP | BPF_JCOND) && i.src === BPF_MAY_GOTO;

/** kernel: bpf_jmp_offset — gotol (JMP32|JA) keeps its offset in imm. */
export const jmpOffset = (i: RawInsn): number => (i.code === (BPF_JMP32 | BPF_JA) ? i.imm : i.off);

/** kernel: bpf_insn_is_cond_jump */
export function isCondJump(code: number): boolean {
  if (!isJmpClass(code)) return false;
  const op = bpfOp(code);
  return op !== BPF_JA && op !== BPF_CALL && op !== BPF_EXIT;
}

/** kernel: is_stack_arg_ldx — load of an incoming stack argument through R11. */
export const isStackArgLdx = (i: RawInsn): boolean =>
  i.code === (BPF_LDX | BPF_MEM | BPF_DW) && i.src === BPF_REG_PARAMS && i.off > 0 && i.off % 8 === 0;

/** kernel: is_stack_arg_st */
export const isStackArgSt = (i: RawInsn): boolean =>
  i.code === (BPF_ST | BPF_MEM | BPF_DW) && i.dst === BPF_REG_PARAMS && i.off < 0 && i.off % 8 === 0;

/** kernel: is_stack_arg_stx */
export const isStackArgStx = (i: RawInsn): boolean =>
  i.code === (BPF_STX | BPF_MEM | BPF_DW) && i.dst === BPF_REG_PARAMS && i.off < 0 && i.off % 8 === 0;

/** kernel: bpf_atomic_load_reg — the register an atomic writes back into, or -1. */
export function atomicLoadReg(i: RawInsn): number {
  // 0xe0 is BPF_PROBE_ATOMIC, a kernel-internal mode the kernel accepts here too.
  if (bpfClass(i.code) !== BPF_STX || (bpfMode(i.code) !== BPF_ATOMIC && bpfMode(i.code) !== 0xe0)) return -1;
  if (i.imm === BPF_LOAD_ACQ) return i.dst;
  if (i.imm === BPF_CMPXCHG) return 0;
  return i.imm & BPF_FETCH ? i.src : -1;
}
