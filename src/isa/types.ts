// The decoded instruction union. Every form the wire hides in off/imm/src
// (sdiv/smod, movsx, the atomic op, fetch, addr_space_cast, call kinds,
// ld_imm64 pseudo sources, stack-argument accesses) is resolved here once, so
// nothing downstream looks at off/imm to find out *what* an insn does.
//
// Each variant keeps the raw slot(s) it came from (`raw`, and `raw2` for the
// second ld_imm64 slot): the disassembler and the log need the code byte, and
// encode() can always fall back to them.
//
// Malformed insns are not exceptions: they decode to `{ kind: "invalid" }`
// carrying the exact kernel log line and the pass that prints it, so the
// verifier can print it at the same point as the kernel does (see decode.ts).
import type { AluOp, AtomicOp, JmpOp } from "./opcode-table.js";
import type { RawInsn } from "./raw.js";

export type { AluOp, AtomicOp, JmpOp } from "./opcode-table.js";

/** Register number as encoded (0..15). r0..r10 are program registers; r11 is BPF_REG_PARAMS. */
export type Reg = number;

/** Access width in bytes. */
export type Size = 1 | 2 | 4 | 8;

/** The second operand of ALU and conditional-jump insns (BPF_X or BPF_K). */
export type Operand = { type: "reg"; reg: Reg } | { type: "imm"; imm: number };

interface Base {
  /** The (first) raw slot, unchanged. */
  raw: RawInsn;
}

/** ALU/ALU64 two-operand op: `dst op= src`. */
export interface AluInsn extends Base {
  kind: "alu";
  op: AluOp;
  /** BPF_ALU64 (r) vs BPF_ALU (w). */
  is64: boolean;
  dst: Reg;
  src: Operand;
}

/** Sign-extending move (BPF_MOV | BPF_X with off 8/16/32): `dst = (sN)src`. */
export interface MovsxInsn extends Base {
  kind: "movsx";
  is64: boolean;
  dst: Reg;
  srcReg: Reg;
  bits: 8 | 16 | 32;
}

/** `dst = -dst`. */
export interface NegInsn extends Base {
  kind: "neg";
  is64: boolean;
  dst: Reg;
}

/** BPF_ALU | BPF_END: byte-order conversion, `dst = le16 dst` / `be32` ... */
export interface EndianInsn extends Base {
  kind: "endian";
  order: "le" | "be";
  bits: 16 | 32 | 64;
  dst: Reg;
}

/** BPF_ALU64 | BPF_END | BPF_TO_LE: unconditional byte swap, `dst = bswapN dst`. */
export interface BswapInsn extends Base {
  kind: "bswap";
  bits: 16 | 32 | 64;
  dst: Reg;
}

/**
 * BPF_ALU64 | BPF_MOV | BPF_X with off = BPF_ADDR_SPACE_CAST:
 * `dst = addr_space_cast(src, dstAs, srcAs)`, imm = dstAs << 16 | srcAs.
 */
export interface AddrSpaceCastInsn extends Base {
  kind: "addr_space_cast";
  dst: Reg;
  srcReg: Reg;
  dstAs: number;
  srcAs: number;
}

/** BPF_LDX | BPF_MEM/BPF_MEMSX: `dst = *(uN/sN *)(src + off)`. */
export interface LdxInsn extends Base {
  kind: "ldx";
  size: Size;
  /** BPF_MEMSX */
  signExtend: boolean;
  dst: Reg;
  src: Reg;
  off: number;
}

/** BPF_ST | BPF_MEM: `*(uN *)(dst + off) = imm`. */
export interface StInsn extends Base {
  kind: "st";
  size: Size;
  dst: Reg;
  off: number;
  imm: number;
}

/** BPF_STX | BPF_MEM: `*(uN *)(dst + off) = src`. */
export interface StxInsn extends Base {
  kind: "stx";
  size: Size;
  dst: Reg;
  src: Reg;
  off: number;
}

/**
 * 7.2 incoming stack argument: `dst = *(u64 *)(r11 + off)`, off > 0 and a
 * multiple of 8 (kernel: is_stack_arg_ldx). Argument 6 + (off/8 - 1).
 */
export interface StackArgLoadInsn extends Base {
  kind: "stack_arg_load";
  dst: Reg;
  off: number;
}

/**
 * 7.2 outgoing stack argument: `*(u64 *)(r11 + off) = src|imm`, off < 0 and a
 * multiple of 8 (kernel: is_stack_arg_stx / is_stack_arg_st).
 */
export interface StackArgStoreInsn extends Base {
  kind: "stack_arg_store";
  off: number;
  src: Operand;
}

/**
 * BPF_STX | BPF_ATOMIC read-modify-write. `fetch` is always true for xchg
 * and cmpxchg. For fetch forms the old value lands in `src` (r0 for cmpxchg).
 */
export interface AtomicInsn extends Base {
  kind: "atomic";
  op: AtomicOp;
  fetch: boolean;
  size: Size;
  dst: Reg;
  src: Reg;
  off: number;
}

/** BPF_STX | BPF_ATOMIC, imm BPF_LOAD_ACQ: `dst = load_acquire((uN *)(src + off))`. */
export interface LoadAcquireInsn extends Base {
  kind: "load_acquire";
  size: Size;
  dst: Reg;
  src: Reg;
  off: number;
}

/** BPF_STX | BPF_ATOMIC, imm BPF_STORE_REL: `store_release((uN *)(dst + off), src)`. */
export interface StoreReleaseInsn extends Base {
  kind: "store_release";
  size: Size;
  dst: Reg;
  src: Reg;
  off: number;
}

/** Legacy packet load BPF_LD | BPF_ABS: `r0 = *(uN *)skb[imm]`. */
export interface LdAbsInsn extends Base {
  kind: "ld_abs";
  size: Size;
  imm: number;
}

/** Legacy packet load BPF_LD | BPF_IND: `r0 = *(uN *)skb[src + imm]`. */
export interface LdIndInsn extends Base {
  kind: "ld_ind";
  size: Size;
  src: Reg;
  imm: number;
}

/** ld_imm64 source (src_reg of the first slot), with the kernel's names. */
export type LdImm64Src =
  | "imm"
  | "BPF_PSEUDO_MAP_FD"
  | "BPF_PSEUDO_MAP_VALUE"
  | "BPF_PSEUDO_BTF_ID"
  | "BPF_PSEUDO_FUNC"
  | "BPF_PSEUDO_MAP_IDX"
  | "BPF_PSEUDO_MAP_IDX_VALUE";

/**
 * BPF_LD | BPF_IMM | BPF_DW, two slots. `imm` / `imm2` are the two slots' imm
 * fields; their meaning depends on `src`:
 * - imm: value = imm2 << 32 | (u32)imm
 * - MAP_FD / MAP_IDX: imm = fd / fd_array index, imm2 must be 0
 * - MAP_VALUE / MAP_IDX_VALUE: imm = fd / index, imm2 = offset into the value
 * - BTF_ID: imm = BTF id of a VAR (ksym), imm2 = BTF fd (0 = vmlinux)
 * - FUNC: imm = insn delta to the subprogram (target = idx + imm + 1)
 */
export interface LdImm64Insn extends Base {
  kind: "ld_imm64";
  src: LdImm64Src;
  dst: Reg;
  imm: number;
  imm2: number;
  /** u64 of the two imm fields, as the kernel combines them. */
  value: bigint;
  /** The second raw slot. */
  raw2: RawInsn;
}

/** BPF_JMP | BPF_JA (`goto pc+off`, delta = off) or BPF_JMP32 | BPF_JA (`gotol pc+imm`, delta = imm). */
export interface JaInsn extends Base {
  kind: "ja";
  /** "gotol" is the BPF_JMP32 form with a 32-bit delta in imm. */
  form: "goto" | "gotol";
  /** target = idx + delta + 1 */
  delta: number;
}

/** BPF_JMP | BPF_JA | BPF_X: indirect jump through an insn_array map value, `gotox dst`. */
export interface GotoxInsn extends Base {
  kind: "gotox";
  dst: Reg;
}

/** BPF_JMP | BPF_JCOND, src BPF_MAY_GOTO: `may_goto pc+off`. */
export interface MayGotoInsn extends Base {
  kind: "may_goto";
  off: number;
}

/** Conditional jump: `if dst op src goto pc+off`. */
export interface JmpInsn extends Base {
  kind: "jmp";
  op: JmpOp;
  /** BPF_JMP32 (w registers) */
  is32: boolean;
  dst: Reg;
  src: Operand;
  off: number;
}

/** Helper call (src 0): `call bpf_name#id`. kernel: bpf_helper_call */
export interface HelperCallInsn extends Base {
  kind: "helper_call";
  funcId: number;
}

/** BPF-to-BPF call (src BPF_PSEUDO_CALL): target = idx + imm + 1. kernel: bpf_pseudo_call */
export interface PseudoCallInsn extends Base {
  kind: "pseudo_call";
  imm: number;
}

/**
 * Kfunc call (src BPF_PSEUDO_KFUNC_CALL): imm is the BTF id of the FUNC, off
 * the index into fd_array of the module BTF (0 = vmlinux). kernel: bpf_pseudo_kfunc_call
 */
export interface KfuncCallInsn extends Base {
  kind: "kfunc_call";
  btfId: number;
  btfFdIdx: number;
}

export interface ExitInsn extends Base {
  kind: "exit";
}

/**
 * Which kernel pass rejects a malformed insn, i.e. when the verifier prints
 * `message`:
 * - "check_and_resolve_insns": before any analysis, for every insn in order
 *   (register numbers, unknown opcodes, reserved fields, ld_imm64 form).
 * - "do_check": only when the insn is reached during the walk (the
 *   kernel's check_atomic: unknown atomic op).
 */
export type InvalidPhase = "check_and_resolve_insns" | "do_check";

/** An insn the 7.2 verifier rejects by its shape alone. */
export interface InvalidInsn extends Base {
  kind: "invalid";
  /** The kernel's log line, exactly, with its trailing "\n". */
  message: string;
  /** The kernel returns -EINVAL for all of these. */
  errno: "EINVAL";
  phase: InvalidPhase;
  /** For an ld_imm64 the second slot, when there is one. */
  raw2?: RawInsn;
}

/** One decoded instruction. Switch on `kind`. */
export type Insn =
  | AluInsn
  | MovsxInsn
  | NegInsn
  | EndianInsn
  | BswapInsn
  | AddrSpaceCastInsn
  | LdxInsn
  | StInsn
  | StxInsn
  | StackArgLoadInsn
  | StackArgStoreInsn
  | AtomicInsn
  | LoadAcquireInsn
  | StoreReleaseInsn
  | LdAbsInsn
  | LdIndInsn
  | LdImm64Insn
  | JaInsn
  | GotoxInsn
  | MayGotoInsn
  | JmpInsn
  | HelperCallInsn
  | PseudoCallInsn
  | KfuncCallInsn
  | ExitInsn
  | InvalidInsn;

export type InsnKind = Insn["kind"];

/**
 * The second slot of a valid two-slot ld_imm64, in per-slot arrays
 * (decodeProgram): the kernel's insn indexes count slots, so consumers that
 * index by insn idx see this filler at idx + 1.
 */
export interface LdImm64HiSlot {
  kind: "ld_imm64_hi";
  raw: RawInsn;
}

export type Slot = Insn | LdImm64HiSlot;

/** Number of 8-byte slots an insn takes (2 for ld_imm64). */
export function insnSlots(insn: Insn): 1 | 2 {
  return insn.kind === "ld_imm64" || (insn.kind === "invalid" && insn.raw2 !== undefined) ? 2 : 1;
}
