// Raw slots -> the decoded union.
//
// Decoding is total: every 8-byte pattern decodes. Patterns the 7.2 verifier
// rejects by shape alone become `{ kind: "invalid", message, phase }` with the
// kernel's exact log line, in the order the kernel checks them, instead of an
// exception. Reason: the kernel prints these from inside the verifier (after
// the log preamble, at a given pass), so the loader must hand them through and
// the verifier must print them at the right point. InputError is kept for
// input that cannot be instructions at all (a byte length that is not a
// multiple of 8).
// kernel: check_and_resolve_insns, check_insn_fields, check_alu_fields,
// check_jmp_fields (verifier.c); check_atomic / check_atomic_rmw (do_check).
import { InputError } from "../util/errors.js";
import { ALU_OP_BY_CODE, JMP_OP_BY_CODE, opcodeInInsnTable } from "./opcode-table.js";
import {
  BPF_ABS, BPF_ADD, BPF_ADDR_SPACE_CAST, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG,
  BPF_DIV, BPF_DW, BPF_END, BPF_EXIT, BPF_FETCH, BPF_IND, BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_LD,
  BPF_LDX, BPF_LD_IMM64_CODE, BPF_LOAD_ACQ, BPF_LSH, BPF_MAY_GOTO, BPF_MEM, BPF_MEMSX, BPF_MOD, BPF_MOV, BPF_MUL,
  BPF_NEG, BPF_OR, BPF_PSEUDO_BTF_ID, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE, BPF_REG_PARAMS, BPF_RSH, BPF_ST,
  BPF_STORE_REL, BPF_STX, BPF_SUB, BPF_TO_BE, BPF_X, BPF_XCHG, BPF_XOR, MAX_BPF_REG, bpfClass, bpfMode,
  bpfOp, bpfSize, bpfSizeToBytes, bpfSrc,
} from "./opcodes.js";
import { INSN_SIZE, type RawInsn, rawInsnsFromBytes } from "./raw.js";
import { type AtomicOp, type Insn, type InvalidPhase, type LdImm64Src, type Operand, type Slot, insnSlots } from "./types.js";

const LD_IMM64_SRC: Record<number, LdImm64Src> = {
  0: "imm",
  [BPF_PSEUDO_MAP_FD]: "BPF_PSEUDO_MAP_FD",
  [BPF_PSEUDO_MAP_VALUE]: "BPF_PSEUDO_MAP_VALUE",
  [BPF_PSEUDO_BTF_ID]: "BPF_PSEUDO_BTF_ID",
  [BPF_PSEUDO_FUNC]: "BPF_PSEUDO_FUNC",
  [BPF_PSEUDO_MAP_IDX]: "BPF_PSEUDO_MAP_IDX",
  [BPF_PSEUDO_MAP_IDX_VALUE]: "BPF_PSEUDO_MAP_IDX_VALUE",
};

function invalid(raw: RawInsn, message: string, phase: InvalidPhase = "check_and_resolve_insns", raw2?: RawInsn): Insn {
  return raw2 === undefined
    ? { kind: "invalid", raw, message, errno: "EINVAL", phase }
    : { kind: "invalid", raw, message, errno: "EINVAL", phase, raw2 };
}

// kernel: is_stack_arg_ldx / is_stack_arg_st / is_stack_arg_stx (filter.h)
export const isStackArgLdx = (i: RawInsn): boolean =>
  i.code === (BPF_LDX | BPF_MEM | BPF_DW) && i.src === BPF_REG_PARAMS && i.off > 0 && i.off % 8 === 0;
export const isStackArgSt = (i: RawInsn): boolean =>
  i.code === (BPF_ST | BPF_MEM | BPF_DW) && i.dst === BPF_REG_PARAMS && i.off < 0 && i.off % 8 === 0;
export const isStackArgStx = (i: RawInsn): boolean =>
  i.code === (BPF_STX | BPF_MEM | BPF_DW) && i.dst === BPF_REG_PARAMS && i.off < 0 && i.off % 8 === 0;

/**
 * Decode the insn starting at slot `idx`. An ld_imm64 reads slot idx + 1 too
 * (when idx is the last slot it decodes to the kernel's "invalid bpf_ld_imm64
 * insn"). Slot idx + 1 of a valid ld_imm64 is not an insn of its own.
 */
export function decodeAt(slots: readonly RawInsn[], idx: number): Insn {
  const raw = slots[idx];
  if (raw === undefined) throw new RangeError(`decodeAt: slot ${idx} out of range (${slots.length} slots)`);
  return decodeInsn(raw, slots[idx + 1]);
}

/**
 * Decode one insn. `next` is the following slot, needed only for ld_imm64.
 * kernel: check_and_resolve_insns (its shape checks, in its order)
 */
export function decodeInsn(raw: RawInsn, next?: RawInsn): Insn {
  // Register numbers come first: the kernel checks them on every slot before
  // it looks at the opcode, with r11 allowed only in the stack-arg forms.
  if (raw.dst >= MAX_BPF_REG && !isStackArgSt(raw) && !isStackArgStx(raw)) return invalid(raw, `R${raw.dst} is invalid\n`);
  if (raw.src >= MAX_BPF_REG && !isStackArgLdx(raw)) return invalid(raw, `R${raw.src} is invalid\n`);

  if (raw.code === BPF_LD_IMM64_CODE) return decodeLdImm64(raw, next);
  if (!opcodeInInsnTable(raw.code)) return invalid(raw, `unknown opcode ${hex2(raw.code)}\n`);

  switch (bpfClass(raw.code)) {
    case BPF_ALU:
    case BPF_ALU64:
      return decodeAlu(raw);
    case BPF_LDX:
      return decodeLdx(raw);
    case BPF_STX:
      return decodeStx(raw);
    case BPF_ST:
      if (bpfMode(raw.code) !== BPF_MEM || raw.src !== 0) return invalid(raw, "BPF_ST uses reserved fields\n");
      if (isStackArgSt(raw)) return { kind: "stack_arg_store", raw, off: raw.off, src: { type: "imm", imm: raw.imm } };
      return { kind: "st", raw, size: bpfSizeToBytes(bpfSize(raw.code)), dst: raw.dst, off: raw.off, imm: raw.imm };
    case BPF_JMP:
    case BPF_JMP32:
      return decodeJmp(raw);
    case BPF_LD:
      return decodeLdLegacy(raw);
    default:
      // Unreachable: opcodeInInsnTable covers all eight classes' codes.
      return invalid(raw, `unknown insn class ${bpfClass(raw.code)}\n`);
  }
}

function hex2(n: number): string {
  return (n & 0xff).toString(16).padStart(2, "0");
}

// kernel: check_and_resolve_insns, the ld_imm64 branch (shape checks only;
// map fds, BTF ids and fd_array indexes are resolved by the verifier).
function decodeLdImm64(raw: RawInsn, next: RawInsn | undefined): Insn {
  if (next === undefined || next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) {
    return invalid(raw, "invalid bpf_ld_imm64 insn\n", "check_and_resolve_insns", next);
  }
  if (raw.off !== 0) return invalid(raw, "BPF_LD_IMM64 uses reserved fields\n", "check_and_resolve_insns", next);
  const src = LD_IMM64_SRC[raw.src];
  if (src === undefined || ((src === "BPF_PSEUDO_MAP_FD" || src === "BPF_PSEUDO_MAP_IDX") && next.imm !== 0)) {
    return invalid(raw, "unrecognized bpf_ld_imm64 insn\n", "check_and_resolve_insns", next);
  }
  const value = (BigInt(next.imm >>> 0) << 32n) | BigInt(raw.imm >>> 0);
  return { kind: "ld_imm64", raw, raw2: next, src, dst: raw.dst, imm: raw.imm, imm2: next.imm, value };
}

// kernel: check_alu_fields
function decodeAlu(raw: RawInsn): Insn {
  const is64 = bpfClass(raw.code) === BPF_ALU64;
  const op = bpfOp(raw.code);
  const isX = bpfSrc(raw.code) === BPF_X;
  switch (op) {
    case BPF_NEG:
      if (isX || raw.src !== 0 || raw.off !== 0 || raw.imm !== 0) return invalid(raw, "BPF_NEG uses reserved fields\n");
      return { kind: "neg", raw, is64, dst: raw.dst };
    case BPF_END: {
      if (raw.src !== 0 || raw.off !== 0 || (raw.imm !== 16 && raw.imm !== 32 && raw.imm !== 64) || (is64 && isX)) {
        return invalid(raw, "BPF_END uses reserved fields\n");
      }
      const bits = raw.imm as 16 | 32 | 64;
      if (is64) return { kind: "bswap", raw, bits, dst: raw.dst };
      return { kind: "endian", raw, order: bpfSrc(raw.code) === BPF_TO_BE ? "be" : "le", bits, dst: raw.dst };
    }
    case BPF_MOV:
      if (isX) {
        if (is64 && raw.off === BPF_ADDR_SPACE_CAST) {
          if (raw.imm !== 1 && raw.imm !== 1 << 16) {
            return invalid(raw, "addr_space_cast insn can only convert between address space 1 and 0\n");
          }
          return { kind: "addr_space_cast", raw, dst: raw.dst, srcReg: raw.src, dstAs: raw.imm >>> 16, srcAs: raw.imm & 0xffff };
        }
        const okOff = raw.off === 0 || raw.off === 8 || raw.off === 16 || (is64 && raw.off === 32);
        if (!okOff || raw.imm !== 0) return invalid(raw, "BPF_MOV uses reserved fields\n");
        if (raw.off !== 0) return { kind: "movsx", raw, is64, dst: raw.dst, srcReg: raw.src, bits: raw.off as 8 | 16 | 32 };
        return { kind: "alu", raw, op: "mov", is64, dst: raw.dst, src: { type: "reg", reg: raw.src } };
      }
      if (raw.src !== 0 || raw.off !== 0) return invalid(raw, "BPF_MOV uses reserved fields\n");
      return { kind: "alu", raw, op: "mov", is64, dst: raw.dst, src: { type: "imm", imm: raw.imm } };
    case BPF_ADD: case BPF_SUB: case BPF_AND: case BPF_OR: case BPF_XOR: case BPF_LSH: case BPF_RSH:
    case BPF_ARSH: case BPF_MUL: case BPF_DIV: case BPF_MOD: {
      const signedOk = op === BPF_DIV || op === BPF_MOD;
      const offBad = (raw.off !== 0 && raw.off !== 1) || (raw.off === 1 && !signedOk);
      if (isX ? raw.imm !== 0 || offBad : raw.src !== 0 || offBad) return invalid(raw, "BPF_ALU uses reserved fields\n");
      let name = ALU_OP_BY_CODE.get(op)!;
      if (raw.off === 1) name = op === BPF_DIV ? "sdiv" : "smod";
      const src: Operand = isX ? { type: "reg", reg: raw.src } : { type: "imm", imm: raw.imm };
      return { kind: "alu", raw, op: name, is64, dst: raw.dst, src };
    }
    default:
      return invalid(raw, `invalid BPF_ALU opcode ${op.toString(16)}\n`);
  }
}

// kernel: check_insn_fields, BPF_LDX
function decodeLdx(raw: RawInsn): Insn {
  const mode = bpfMode(raw.code);
  if ((mode !== BPF_MEM && mode !== BPF_MEMSX) || raw.imm !== 0) return invalid(raw, "BPF_LDX uses reserved fields\n");
  if (isStackArgLdx(raw)) return { kind: "stack_arg_load", raw, dst: raw.dst, off: raw.off };
  return {
    kind: "ldx", raw, size: bpfSizeToBytes(bpfSize(raw.code)), signExtend: mode === BPF_MEMSX,
    dst: raw.dst, src: raw.src, off: raw.off,
  };
}

const ATOMIC_RMW: ReadonlyMap<number, { op: AtomicOp; fetch: boolean }> = new Map([
  [BPF_ADD, { op: "add", fetch: false }],
  [BPF_ADD | BPF_FETCH, { op: "add", fetch: true }],
  [BPF_AND, { op: "and", fetch: false }],
  [BPF_AND | BPF_FETCH, { op: "and", fetch: true }],
  [BPF_OR, { op: "or", fetch: false }],
  [BPF_OR | BPF_FETCH, { op: "or", fetch: true }],
  [BPF_XOR, { op: "xor", fetch: false }],
  [BPF_XOR | BPF_FETCH, { op: "xor", fetch: true }],
  [BPF_XCHG, { op: "xchg", fetch: true }],
  [BPF_CMPXCHG, { op: "cmpxchg", fetch: true }],
] as const);

// kernel: check_insn_fields (BPF_STX); check_atomic, check_atomic_rmw (do_check)
function decodeStx(raw: RawInsn): Insn {
  const size = bpfSizeToBytes(bpfSize(raw.code));
  if (bpfMode(raw.code) === BPF_ATOMIC) {
    const rmw = ATOMIC_RMW.get(raw.imm);
    if (rmw !== undefined) {
      // Checked first thing in check_atomic_rmw, before any register: a shape check.
      if (size !== 4 && size !== 8) return invalid(raw, "invalid atomic operand size\n", "do_check");
      return { kind: "atomic", raw, op: rmw.op, fetch: rmw.fetch, size, dst: raw.dst, src: raw.src, off: raw.off };
    }
    if (raw.imm === BPF_LOAD_ACQ) return { kind: "load_acquire", raw, size, dst: raw.dst, src: raw.src, off: raw.off };
    if (raw.imm === BPF_STORE_REL) return { kind: "store_release", raw, size, dst: raw.dst, src: raw.src, off: raw.off };
    return invalid(raw, `BPF_ATOMIC uses invalid atomic opcode ${hex2(raw.imm)}\n`, "do_check");
  }
  if (bpfMode(raw.code) !== BPF_MEM || raw.imm !== 0) return invalid(raw, "BPF_STX uses reserved fields\n");
  if (isStackArgStx(raw)) return { kind: "stack_arg_store", raw, off: raw.off, src: { type: "reg", reg: raw.src } };
  return { kind: "stx", raw, size, dst: raw.dst, src: raw.src, off: raw.off };
}

// kernel: check_jmp_fields
function decodeJmp(raw: RawInsn): Insn {
  const is32 = bpfClass(raw.code) === BPF_JMP32;
  const op = bpfOp(raw.code);
  const isX = bpfSrc(raw.code) === BPF_X;
  switch (op) {
    case BPF_CALL:
      if (isX || (raw.src !== BPF_PSEUDO_KFUNC_CALL && raw.off !== 0) ||
          (raw.src !== 0 && raw.src !== BPF_PSEUDO_CALL && raw.src !== BPF_PSEUDO_KFUNC_CALL) ||
          raw.dst !== 0 || is32) {
        return invalid(raw, "BPF_CALL uses reserved fields\n");
      }
      if (raw.src === BPF_PSEUDO_CALL) return { kind: "pseudo_call", raw, imm: raw.imm };
      if (raw.src === BPF_PSEUDO_KFUNC_CALL) return { kind: "kfunc_call", raw, btfId: raw.imm, btfFdIdx: raw.off };
      return { kind: "helper_call", raw, funcId: raw.imm };
    case BPF_JA:
      if (isX) {
        if (raw.src !== 0 || raw.imm !== 0 || raw.off !== 0) return invalid(raw, "BPF_JA|BPF_X uses reserved fields\n");
        return { kind: "gotox", raw, dst: raw.dst };
      }
      if (raw.src !== 0 || raw.dst !== 0 || (!is32 && raw.imm !== 0) || (is32 && raw.off !== 0)) {
        return invalid(raw, "BPF_JA uses reserved fields\n");
      }
      return is32 ? { kind: "ja", raw, form: "gotol", delta: raw.imm } : { kind: "ja", raw, form: "goto", delta: raw.off };
    case BPF_EXIT:
      if (isX || raw.imm !== 0 || raw.src !== 0 || raw.dst !== 0 || is32) return invalid(raw, "BPF_EXIT uses reserved fields\n");
      return { kind: "exit", raw };
    case BPF_JCOND:
      if (raw.code !== (BPF_JMP | BPF_JCOND) || raw.src !== BPF_MAY_GOTO || raw.dst !== 0 || raw.imm !== 0) {
        return invalid(raw, `invalid may_goto imm ${raw.imm}\n`);
      }
      return { kind: "may_goto", raw, off: raw.off };
    default: {
      if (isX ? raw.imm !== 0 : raw.src !== 0) return invalid(raw, "BPF_JMP/JMP32 uses reserved fields\n");
      const name = JMP_OP_BY_CODE.get(op);
      if (name === undefined) return invalid(raw, `unknown opcode ${hex2(raw.code)}\n`);
      const src: Operand = isX ? { type: "reg", reg: raw.src } : { type: "imm", imm: raw.imm };
      return { kind: "jmp", raw, op: name, is32, dst: raw.dst, src, off: raw.off };
    }
  }
}

// kernel: check_insn_fields, BPF_LD (ABS/IND)
function decodeLdLegacy(raw: RawInsn): Insn {
  const mode = bpfMode(raw.code);
  if (mode === BPF_ABS || mode === BPF_IND) {
    if (raw.dst !== 0 || raw.off !== 0 || bpfSize(raw.code) === BPF_DW || (mode === BPF_ABS && raw.src !== 0)) {
      return invalid(raw, "BPF_LD_[ABS|IND] uses reserved fields\n");
    }
    const size = bpfSizeToBytes(bpfSize(raw.code));
    return mode === BPF_ABS ? { kind: "ld_abs", raw, size, imm: raw.imm } : { kind: "ld_ind", raw, size, src: raw.src, imm: raw.imm };
  }
  return invalid(raw, "invalid BPF_LD mode\n");
}

/**
 * Decode a whole program, one entry per 8-byte slot (the kernel's insn
 * indexes). The second slot of an ld_imm64 (also of a malformed one that
 * has a second slot) is `ld_imm64_hi`, so the result has slots.length entries.
 */
export function decodeProgram(slots: readonly RawInsn[]): Slot[] {
  const out: Slot[] = [];
  for (let i = 0; i < slots.length; i++) {
    const insn = decodeInsn(slots[i]!, slots[i + 1]);
    out.push(insn);
    if (insnSlots(insn) === 2) out.push({ kind: "ld_imm64_hi", raw: slots[++i]! });
  }
  return out;
}

/** Decode raw bytes (a program section, insns_hex...); the length must be a multiple of 8. */
export function decodeBytes(bytes: Uint8Array, where: { file?: string; section?: string; program?: string } = {}): Slot[] {
  if (bytes.length % INSN_SIZE !== 0) {
    throw new InputError("ISA_TRUNCATED", `instruction bytes: length ${bytes.length} is not a multiple of ${INSN_SIZE}`,
      { ...where, offset: bytes.length - (bytes.length % INSN_SIZE) });
  }
  return decodeProgram(rawInsnsFromBytes(bytes));
}

/**
 * The first insn the kernel's check_and_resolve_insns would reject, as an
 * InputError naming the insn index and the kernel's message; undefined when
 * none. For callers that want malformed code to be a hard error (tools,
 * tests); the verifier itself prints the message instead.
 */
export function findInvalid(slots: readonly Slot[], where: { file?: string; section?: string; program?: string } = {}): InputError | undefined {
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    if (s.kind === "invalid" && s.phase === "check_and_resolve_insns") {
      return new InputError("ISA_INVALID_INSN", `invalid instruction (code 0x${hex2(s.raw.code)}): ${s.message.trimEnd()}`, { ...where, insnIdx: i });
    }
  }
  return undefined;
}
