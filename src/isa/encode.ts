// The decoded union -> raw slots. Built from the decoded fields (not copied
// from `raw`), so encode(decode(x)) == x is a real check of both directions;
// a valid insn's fields determine every bit of its slots. `invalid` insns
// carry no decoded fields and encode to their raw slots unchanged.
import { assertNever } from "../util/errors.js";
import { ALU_OPS, ATOMIC_OPS, JMP_OPS } from "./opcode-table.js";
import {
  BPF_ABS, BPF_ADDR_SPACE_CAST, BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_DW, BPF_END, BPF_EXIT, BPF_FETCH,
  BPF_IND, BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_K, BPF_LD, BPF_LDX, BPF_LD_IMM64_CODE, BPF_LOAD_ACQ,
  BPF_MAY_GOTO, BPF_MEM, BPF_MEMSX, BPF_MOV, BPF_NEG, BPF_PSEUDO_BTF_ID, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE,
  BPF_REG_PARAMS, BPF_ST, BPF_STORE_REL, BPF_STX, BPF_TO_BE, BPF_TO_LE, BPF_X, bytesToBpfSize,
} from "./opcodes.js";
import type { RawInsn } from "./raw.js";
import type { Insn, LdImm64Src, Operand, Slot } from "./types.js";

export const LD_IMM64_SRC_REG = {
  imm: 0,
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_VALUE,
  BPF_PSEUDO_BTF_ID,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE,
} as const satisfies Record<LdImm64Src, number>;

const slot = (code: number, dst = 0, src = 0, off = 0, imm = 0): RawInsn => ({ code, dst, src, off, imm: imm | 0 });

function operand(src: Operand): { bit: number; reg: number; imm: number } {
  return src.type === "reg" ? { bit: BPF_X, reg: src.reg, imm: 0 } : { bit: BPF_K, reg: 0, imm: src.imm };
}

/** The raw slot(s) of one insn: two for ld_imm64, one otherwise. */
export function encode(insn: Insn): RawInsn[] {
  switch (insn.kind) {
    case "alu": {
      const cls = insn.is64 ? BPF_ALU64 : BPF_ALU;
      const row = ALU_OPS[insn.op];
      const s = operand(insn.src);
      return [slot(cls | row.op | s.bit, insn.dst, s.reg, row.off, s.imm)];
    }
    case "movsx":
      return [slot((insn.is64 ? BPF_ALU64 : BPF_ALU) | BPF_MOV | BPF_X, insn.dst, insn.srcReg, insn.bits)];
    case "neg":
      return [slot((insn.is64 ? BPF_ALU64 : BPF_ALU) | BPF_NEG | BPF_K, insn.dst)];
    case "endian":
      return [slot(BPF_ALU | BPF_END | (insn.order === "be" ? BPF_TO_BE : BPF_TO_LE), insn.dst, 0, 0, insn.bits)];
    case "bswap":
      return [slot(BPF_ALU64 | BPF_END | BPF_TO_LE, insn.dst, 0, 0, insn.bits)];
    case "addr_space_cast":
      return [slot(BPF_ALU64 | BPF_MOV | BPF_X, insn.dst, insn.srcReg, BPF_ADDR_SPACE_CAST, (insn.dstAs << 16) | (insn.srcAs & 0xffff))];
    case "ldx":
      return [slot(BPF_LDX | (insn.signExtend ? BPF_MEMSX : BPF_MEM) | bytesToBpfSize(insn.size), insn.dst, insn.src, insn.off)];
    case "st":
      return [slot(BPF_ST | BPF_MEM | bytesToBpfSize(insn.size), insn.dst, 0, insn.off, insn.imm)];
    case "stx":
      return [slot(BPF_STX | BPF_MEM | bytesToBpfSize(insn.size), insn.dst, insn.src, insn.off)];
    case "stack_arg_load":
      return [slot(BPF_LDX | BPF_MEM | BPF_DW, insn.dst, BPF_REG_PARAMS, insn.off)];
    case "stack_arg_store":
      return insn.src.type === "reg"
        ? [slot(BPF_STX | BPF_MEM | BPF_DW, BPF_REG_PARAMS, insn.src.reg, insn.off)]
        : [slot(BPF_ST | BPF_MEM | BPF_DW, BPF_REG_PARAMS, 0, insn.off, insn.src.imm)];
    case "atomic": {
      const row = ATOMIC_OPS[insn.op];
      const imm = row.imm | (insn.fetch || row.alwaysFetch ? BPF_FETCH : 0);
      return [slot(BPF_STX | BPF_ATOMIC | bytesToBpfSize(insn.size), insn.dst, insn.src, insn.off, imm)];
    }
    case "load_acquire":
      return [slot(BPF_STX | BPF_ATOMIC | bytesToBpfSize(insn.size), insn.dst, insn.src, insn.off, BPF_LOAD_ACQ)];
    case "store_release":
      return [slot(BPF_STX | BPF_ATOMIC | bytesToBpfSize(insn.size), insn.dst, insn.src, insn.off, BPF_STORE_REL)];
    case "ld_abs":
      return [slot(BPF_LD | BPF_ABS | bytesToBpfSize(insn.size), 0, 0, 0, insn.imm)];
    case "ld_ind":
      return [slot(BPF_LD | BPF_IND | bytesToBpfSize(insn.size), 0, insn.src, 0, insn.imm)];
    case "ld_imm64":
      return [slot(BPF_LD_IMM64_CODE, insn.dst, LD_IMM64_SRC_REG[insn.src], 0, insn.imm), slot(0, 0, 0, 0, insn.imm2)];
    case "ja":
      return insn.form === "goto" ? [slot(BPF_JMP | BPF_JA, 0, 0, insn.delta)] : [slot(BPF_JMP32 | BPF_JA, 0, 0, 0, insn.delta)];
    case "gotox":
      return [slot(BPF_JMP | BPF_JA | BPF_X, insn.dst)];
    case "may_goto":
      return [slot(BPF_JMP | BPF_JCOND, 0, BPF_MAY_GOTO, insn.off)];
    case "jmp": {
      const s = operand(insn.src);
      return [slot((insn.is32 ? BPF_JMP32 : BPF_JMP) | JMP_OPS[insn.op] | s.bit, insn.dst, s.reg, insn.off, s.imm)];
    }
    case "helper_call":
      return [slot(BPF_JMP | BPF_CALL, 0, 0, 0, insn.funcId)];
    case "pseudo_call":
      return [slot(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, insn.imm)];
    case "kfunc_call":
      return [slot(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, insn.btfFdIdx, insn.btfId)];
    case "exit":
      return [slot(BPF_JMP | BPF_EXIT)];
    case "invalid":
      return insn.raw2 === undefined ? [{ ...insn.raw }] : [{ ...insn.raw }, { ...insn.raw2 }];
    default:
      return assertNever(insn, "insn kind");
  }
}

/** Encode a per-slot program (decodeProgram's output); ld_imm64_hi slots are produced by their ld_imm64. */
export function encodeProgram(slots: readonly Slot[]): RawInsn[] {
  const out: RawInsn[] = [];
  for (const s of slots) {
    if (s.kind === "ld_imm64_hi") continue;
    out.push(...encode(s));
  }
  return out;
}

/** Encode a list of insns (no filler slots), e.g. the DSL's output. */
export function encodeAll(insns: readonly Insn[]): RawInsn[] {
  return insns.flatMap(encode);
}
