// Opcode field accessors and the few instruction-form predicates the
// pre-passes need. Local to cfg/ until src/isa exposes its decoded union;
// they read only RawInsn, so swapping them for the isa ones is mechanical.
// kernel: include/uapi/linux/bpf_common.h, include/linux/filter.h
import type { RawInsn } from "../../isa/raw.js";

export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_JMP32 = 0x06;
export const BPF_ALU64 = 0x07;

export const BPF_K = 0x00;
export const BPF_X = 0x08;

// size field
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_DW = 0x18;

// mode field
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_MEMSX = 0x80;
export const BPF_ATOMIC = 0xc0;

// ALU ops
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;
export const BPF_MOV = 0xb0;
export const BPF_ARSH = 0xc0;
export const BPF_END = 0xd0;

// JMP ops
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
export const BPF_JNE = 0x50;
export const BPF_JSGT = 0x60;
export const BPF_JSGE = 0x70;
export const BPF_CALL = 0x80;
export const BPF_EXIT = 0x90;
export const BPF_JLT = 0xa0;
export const BPF_JLE = 0xb0;
export const BPF_JSLT = 0xc0;
export const BPF_JSLE = 0xd0;
export const BPF_JCOND = 0xe0;

// atomic imm values
export const BPF_FETCH = 0x01;
export const BPF_XCHG = 0xe0 | BPF_FETCH;
export const BPF_CMPXCHG = 0xf0 | BPF_FETCH;
export const BPF_LOAD_ACQ = 0x100;
export const BPF_STORE_REL = 0x110;

// src_reg pseudo values
export const BPF_PSEUDO_MAP_FD = 1;
export const BPF_PSEUDO_MAP_VALUE = 2;
export const BPF_PSEUDO_BTF_ID = 3;
export const BPF_PSEUDO_FUNC = 4;
export const BPF_PSEUDO_MAP_IDX = 5;
export const BPF_PSEUDO_MAP_IDX_VALUE = 6;
export const BPF_PSEUDO_CALL = 1;
export const BPF_PSEUDO_KFUNC_CALL = 2;
export const BPF_MAY_GOTO = 0;

export const BPF_ADDR_SPACE_CAST = 1;
export const MAX_BPF_REG = 11;
/** kernel: BPF_REG_PARAMS (R11, the stack-argument base). */
export const BPF_REG_PARAMS = MAX_BPF_REG;
export const BPF_REG_10 = 10;
/** kernel: BPF_FUNC_tail_call */
export const BPF_FUNC_tail_call = 12;

export const bpfClass = (code: number): number => code & 0x07;
export const bpfOp = (code: number): number => code & 0xf0;
export const bpfSrc = (code: number): number => code & 0x08;
export const bpfMode = (code: number): number => code & 0xe0;
export const bpfSize = (code: number): number => code & 0x18;

export function bpfSizeToBytes(size: number): number {
  switch (size) {
    case BPF_B:
      return 1;
    case BPF_H:
      return 2;
    case BPF_W:
      return 4;
    default:
      return 8;
  }
}

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
