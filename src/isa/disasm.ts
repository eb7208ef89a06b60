// The kernel's instruction text, byte for byte.
// kernel: print_bpf_insn, __func_get_name, __func_imm_name (kernel/bpf/disasm.c);
// bpf_verbose_insn, disasm_kfunc_name (verifier.c)
//
// Works on raw slots, not on the decoded union: the kernel prints from the raw
// fields (including shapes it would reject), and the code byte is part of the
// text. printDecoded() is the convenience entry for decoded insns.
import { HELPER_NAMES } from "./generated/helper-names.js";
import {
  BPF_ABS, BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_DIV, BPF_DW, BPF_END, BPF_EXIT, BPF_FETCH, BPF_IMM,
  BPF_IND, BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_LD, BPF_LDX, BPF_LOAD_ACQ, BPF_MAY_GOTO, BPF_MEM, BPF_MEMSX,
  BPF_MOD, BPF_MOV, BPF_NEG, BPF_NOSPEC, BPF_PSEUDO_BTF_ID, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL,
  BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE, BPF_ST, BPF_STORE_REL,
  BPF_STX, BPF_TO_BE, BPF_X, BPF_XCHG, BPF_CMPXCHG, BPF_ADD, BPF_AND, BPF_OR, BPF_XOR, bpfClass, bpfMode, bpfOp,
  bpfSize, bpfSrc, BPF_ADDR_SPACE_CAST, BPF_ADDR_PERCPU,
} from "./opcodes.js";
import type { RawInsn } from "./raw.js";
import type { Insn } from "./types.js";

/**
 * kernel: struct bpf_insn_cbs (without cb_print: we return the text).
 * Each callback may return undefined to fall back to the kernel's default.
 */
export interface InsnCallbacks {
  /** cb_call: the name printed for a call that is not a known helper (src 0). */
  callName?(insn: RawInsn): string | undefined;
  /** cb_imm: the text printed for an ld_imm64's value (after pointer hiding). */
  immText?(insn: RawInsn, fullImm: bigint): string;
}

export interface PrintOptions {
  /**
   * env->allow_ptr_leaks: when false the kernel prints 0 for ld_imm64 of map,
   * map value and BTF id pointers. True for a privileged (CAP_PERFMON) load,
   * which is how the corpus was recorded. Default true.
   */
  allowPtrLeaks?: boolean;
}

const CLASS_STRING = ["ld", "ldx", "st", "stx", "alu", "jmp", "jmp32", "alu64"] as const;

// C prints a NULL %s as "(null)": keep the kernel's sparse tables sparse.
const NULL = "(null)";
const ALU_STRING: Record<number, string> = {
  0x0: "+=", 0x1: "-=", 0x2: "*=", 0x3: "/=", 0x4: "|=", 0x5: "&=", 0x6: "<<=", 0x7: ">>=",
  0x8: "neg", 0x9: "%=", 0xa: "^=", 0xb: "=", 0xc: "s>>=", 0xd: "endian",
};
const ALU_SIGN_STRING: Record<number, string> = { 0x3: "s/=", 0x9: "s%=" };
const MOVSX_STRING: Record<number, string> = { 0: "(s8)", 1: "(s16)", 3: "(s32)" };
const ATOMIC_ALU_STRING: Record<number, string> = { 0x0: "add", 0x5: "and", 0x4: "or", 0xa: "xor" };
const LDST_STRING = ["u32", "u16", "u8", "u64"] as const;
const LDSX_STRING: Record<number, string> = { 0: "s32", 1: "s16", 2: "s8" };
const JMP_STRING: Record<number, string> = {
  0x0: "jmp", 0x1: "==", 0x2: ">", 0x3: ">=", 0x4: "&", 0x5: "!=", 0x6: "s>", 0x7: "s>=",
  0x8: "call", 0x9: "exit", 0xa: "<", 0xb: "<=", 0xc: "s<", 0xd: "s<=",
};

const str = (table: Record<number, string>, i: number): string => table[i] ?? NULL;
const hex2 = (n: number): string => (n & 0xff).toString(16).padStart(2, "0");
/** printf %+d */
const signed = (n: number): string => (n >= 0 ? `+${n}` : `${n}`);
const ldst = (code: number): string => LDST_STRING[bpfSize(code) >> 3]!;

/** Helper name by id, as disasm.c's func_id_name(); "unknown" out of range. */
export function funcIdName(id: number): string {
  return (id >= 0 && id < HELPER_NAMES.length ? HELPER_NAMES[id] : undefined) ?? "unknown";
}

// kernel: __func_get_name
function funcGetName(cbs: InsnCallbacks, insn: RawInsn, fallback: string): string {
  if (insn.src === 0 && insn.imm >= 0 && insn.imm < HELPER_NAMES.length) return HELPER_NAMES[insn.imm]!;
  const res = cbs.callName?.(insn);
  if (res !== undefined) return res;
  if (insn.src === BPF_PSEUDO_CALL) return signed(insn.imm);
  if (insn.src === BPF_PSEUDO_KFUNC_CALL) return "kernel-function";
  return fallback;
}

const isSdivSmod = (i: RawInsn): boolean => (bpfOp(i.code) === BPF_DIV || bpfOp(i.code) === BPF_MOD) && i.off === 1;
const isMovsx = (i: RawInsn): boolean => bpfOp(i.code) === BPF_MOV && (i.off === 8 || i.off === 16 || i.off === 32);

function printAlu(insn: RawInsn): string {
  const c = hex2(insn.code);
  const is32 = bpfClass(insn.code) === BPF_ALU;
  const r = is32 ? "w" : "r";
  const op = bpfOp(insn.code);
  if (op === BPF_END) {
    if (!is32) return `(${c}) r${insn.dst} = bswap${insn.imm} r${insn.dst}`;
    return `(${c}) r${insn.dst} = ${bpfSrc(insn.code) === BPF_TO_BE ? "be" : "le"}${insn.imm} r${insn.dst}`;
  }
  if (op === BPF_NEG) return `(${c}) ${r}${insn.dst} = -${r}${insn.dst}`;
  const movX64 = insn.code === (BPF_ALU64 | BPF_MOV | BPF_X);
  if (movX64 && insn.off === BPF_ADDR_SPACE_CAST) {
    return `(${c}) r${insn.dst} = addr_space_cast(r${insn.src}, ${insn.imm >>> 16}, ${insn.imm & 0xffff})`;
  }
  if (movX64 && insn.off === BPF_ADDR_PERCPU) return `(${c}) r${insn.dst} = &(void __percpu *)(r${insn.src})`;
  const opStr = isSdivSmod(insn) ? str(ALU_SIGN_STRING, op >> 4) : str(ALU_STRING, op >> 4);
  if (bpfSrc(insn.code) === BPF_X) {
    const sx = isMovsx(insn) ? str(MOVSX_STRING, (insn.off >> 3) - 1) : "";
    return `(${c}) ${r}${insn.dst} ${opStr} ${sx}${r}${insn.src}`;
  }
  return `(${c}) ${r}${insn.dst} ${opStr} ${insn.imm}`;
}

function printStx(insn: RawInsn): string {
  const c = hex2(insn.code);
  const mem = `(${ldst(insn.code)} *)(r${insn.dst} ${signed(insn.off)})`;
  const w64 = bpfSize(insn.code) === BPF_DW ? "64" : "";
  if (bpfMode(insn.code) === BPF_MEM) return `(${c}) *${mem} = r${insn.src}`;
  if (bpfMode(insn.code) === BPF_ATOMIC) {
    const imm = insn.imm;
    if (imm === BPF_ADD || imm === BPF_AND || imm === BPF_OR || imm === BPF_XOR) {
      return `(${c}) lock *${mem} ${str(ALU_STRING, bpfOp(imm) >> 4)} r${insn.src}`;
    }
    if (imm === (BPF_ADD | BPF_FETCH) || imm === (BPF_AND | BPF_FETCH) || imm === (BPF_OR | BPF_FETCH) || imm === (BPF_XOR | BPF_FETCH)) {
      return `(${c}) r${insn.src} = atomic${w64}_fetch_${str(ATOMIC_ALU_STRING, bpfOp(imm) >> 4)}(${mem}, r${insn.src})`;
    }
    if (imm === BPF_CMPXCHG) return `(${c}) r0 = atomic${w64}_cmpxchg(${mem}, r0, r${insn.src})`;
    if (imm === BPF_XCHG) return `(${c}) r${insn.src} = atomic${w64}_xchg(${mem}, r${insn.src})`;
    if (imm === BPF_LOAD_ACQ) return `(${c}) r${insn.dst} = load_acquire((${ldst(insn.code)} *)(r${insn.src} ${signed(insn.off)}))`;
    if (imm === BPF_STORE_REL) return `(${c}) store_release(${mem}, r${insn.src})`;
  }
  return `BUG_${c}`;
}

function printLd(insn: RawInsn, next: RawInsn | undefined, cbs: InsnCallbacks, allowPtrLeaks: boolean): string {
  const c = hex2(insn.code);
  const mode = bpfMode(insn.code);
  if (mode === BPF_ABS) return `(${c}) r0 = *(${ldst(insn.code)} *)skb[${insn.imm}]`;
  if (mode === BPF_IND) return `(${c}) r0 = *(${ldst(insn.code)} *)skb[r${insn.src} + ${insn.imm}]`;
  if (mode === BPF_IMM && bpfSize(insn.code) === BPF_DW) {
    // The kernel has checked the second slot exists before anything prints.
    let imm = (BigInt((next?.imm ?? 0) >>> 0) << 32n) | BigInt(insn.imm >>> 0);
    const isPtr = insn.src === BPF_PSEUDO_MAP_FD || insn.src === BPF_PSEUDO_MAP_VALUE || insn.src === BPF_PSEUDO_MAP_IDX ||
      insn.src === BPF_PSEUDO_MAP_IDX_VALUE || insn.src === BPF_PSEUDO_BTF_ID;
    if (isPtr && !allowPtrLeaks) imm = 0n;
    const text = cbs.immText ? cbs.immText(insn, imm) : `0x${imm.toString(16)}`;
    return `(${c}) r${insn.dst} = ${text}`;
  }
  return `BUG_ld_${c}`;
}

function printJmp(insn: RawInsn, cbs: InsnCallbacks): string {
  const c = hex2(insn.code);
  const is32 = bpfClass(insn.code) === BPF_JMP32;
  const r = is32 ? "w" : "r";
  const op = bpfOp(insn.code);
  if (op === BPF_CALL) {
    if (insn.src === BPF_PSEUDO_CALL) return `(${c}) call pc${funcGetName(cbs, insn, "")}`;
    return `(${c}) call ${funcGetName(cbs, insn, "unknown")}#${insn.imm}`;
  }
  if (insn.code === (BPF_JMP | BPF_JA)) return `(${c}) goto pc${signed(insn.off)}`;
  if (insn.code === (BPF_JMP | BPF_JA | BPF_X)) return `(${c}) gotox r${insn.dst}`;
  if (insn.code === (BPF_JMP | BPF_JCOND) && insn.src === BPF_MAY_GOTO) return `(${c}) may_goto pc${signed(insn.off)}`;
  if (insn.code === (BPF_JMP32 | BPF_JA)) return `(${c}) gotol pc${signed(insn.imm)}`;
  if (insn.code === (BPF_JMP | BPF_EXIT)) return `(${c}) exit`;
  const opStr = str(JMP_STRING, op >> 4);
  if (bpfSrc(insn.code) === BPF_X) return `(${c}) if ${r}${insn.dst} ${opStr} ${r}${insn.src} goto pc${signed(insn.off)}`;
  return `(${c}) if ${r}${insn.dst} ${opStr} 0x${(insn.imm >>> 0).toString(16)} goto pc${signed(insn.off)}`;
}

/**
 * The text the kernel prints for one insn, without the trailing newline and
 * without the verifier's "N: " prefix. `next` is the following slot (used
 * only by ld_imm64).
 * kernel: print_bpf_insn
 */
export function printBpfInsn(insn: RawInsn, next?: RawInsn, cbs: InsnCallbacks = {}, opts: PrintOptions = {}): string {
  const cls = bpfClass(insn.code);
  switch (cls) {
    case BPF_ALU:
    case BPF_ALU64:
      return printAlu(insn);
    case BPF_STX:
      return printStx(insn);
    case BPF_ST:
      if (bpfMode(insn.code) === BPF_MEM) return `(${hex2(insn.code)}) *(${ldst(insn.code)} *)(r${insn.dst} ${signed(insn.off)}) = ${insn.imm}`;
      if (bpfMode(insn.code) === BPF_NOSPEC) return `(${hex2(insn.code)}) nospec`;
      return `BUG_st_${hex2(insn.code)}`;
    case BPF_LDX: {
      const mode = bpfMode(insn.code);
      if (mode !== BPF_MEM && mode !== BPF_MEMSX) return `BUG_ldx_${hex2(insn.code)}`;
      const ty = mode === BPF_MEM ? ldst(insn.code) : str(LDSX_STRING, bpfSize(insn.code) >> 3);
      return `(${hex2(insn.code)}) r${insn.dst} = *(${ty} *)(r${insn.src} ${signed(insn.off)})`;
    }
    case BPF_LD:
      return printLd(insn, next, cbs, opts.allowPtrLeaks ?? true);
    case BPF_JMP:
    case BPF_JMP32:
      return printJmp(insn, cbs);
    default:
      return `(${hex2(insn.code)}) ${CLASS_STRING[cls]}`;
  }
}

/** printBpfInsn for a decoded insn (uses its raw slots). */
export function printDecoded(insn: Insn, cbs: InsnCallbacks = {}, opts: PrintOptions = {}): string {
  return printBpfInsn(insn.raw, "raw2" in insn ? insn.raw2 : undefined, cbs, opts);
}

/**
 * The callbacks the verifier installs (kernel: bpf_verbose_insn): only
 * cb_call, which names kfunc calls from their BTF. `kfuncName(btfFdIdx, btfId)`
 * returns the FUNC's name, or undefined when the BTF for that fd_array index
 * cannot be found (the kernel then prints "<error>").
 * kernel: disasm_kfunc_name
 */
export function verifierInsnCallbacks(kfuncName: (btfFdIdx: number, btfId: number) => string | undefined): InsnCallbacks {
  return {
    callName(insn: RawInsn): string | undefined {
      if (insn.src !== BPF_PSEUDO_KFUNC_CALL) return undefined;
      return kfuncName(insn.off, insn.imm) ?? "<error>";
    },
  };
}


/**
 * A whole program as the verifier's walk prints it, one "N: text" line per
 * insn (the second slot of an ld_imm64 gets no line), without newlines.
 */
export function printProgram(slots: readonly RawInsn[], cbs: InsnCallbacks = {}, opts: PrintOptions = {}): string[] {
  const out: string[] = [];
  for (let i = 0; i < slots.length; i++) {
    const insn = slots[i]!;
    out.push(`${i}: ${printBpfInsn(insn, slots[i + 1], cbs, opts)}`);
    if (insn.code === (BPF_LD | BPF_IMM | BPF_DW) && i + 1 < slots.length) i++;
  }
  return out;
}
