// A small typed builder for writing programs in code (unit tests of the
// verifier). Labels are symbolic and resolved by assemble():
//
//   const p = assemble([
//     asm.mov64.imm(R0, 0),
//     asm.jeq.imm(R1, 0, "out"),
//     asm.call.helper("bpf_map_lookup_elem"),
//     asm.label("out"),
//     asm.exit(),
//   ]);
//   p.slots  // RawInsn[] as the kernel receives them
//   p.insns  // the decoded per-slot program (decodeProgram of p.slots)
//
// Jump/call deltas follow the kernel: target = pc + delta + 1, pc counted in
// 8-byte slots (an ld_imm64 takes two).
import { InputError } from "../util/errors.js";
import { decodeProgram } from "./decode.js";
import { encode } from "./encode.js";
import { HELPER_NAMES } from "./generated/helper-names.js";
import { ALU_OPS, type AluOp, type AtomicOp, JMP_OPS, type JmpOp } from "./opcode-table.js";
import type { RawInsn } from "./raw.js";
import type { Insn, LdImm64Src, Operand, Reg, Size, Slot } from "./types.js";

export const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6, R7 = 7, R8 = 8, R9 = 9, R10 = 10;
/** BPF_REG_PARAMS (7.2 stack arguments); only valid in the asm.stackArg forms. */
export const R11 = 11;
export const FP = R10;

/** A jump/call target: a label name, or a raw delta (target = pc + delta + 1). */
export type Target = string | number;

interface Ctx {
  pc: number;
  /** delta from this insn to a target */
  delta(t: Target): number;
  kfunc(name: string): { btfId: number; btfFdIdx: number };
}

/** One item of a program being written: an insn (maybe waiting for labels) or a label. */
export type AsmItem =
  | { item: "insn"; slots: 1 | 2; build: (ctx: Ctx) => RawInsn[] }
  | { item: "label"; name: string };

// encode() reads only the decoded fields; this stands in for `raw` while building.
const NO_RAW: RawInsn = { code: 0, dst: 0, src: 0, off: 0, imm: 0 };
type Fields<T> = T extends Insn ? Omit<T, "raw"> : never;
const fixed = (fields: Fields<Insn>): AsmItem => {
  const slots = encode({ ...fields, raw: NO_RAW } as Insn);
  return { item: "insn", slots: slots.length as 1 | 2, build: () => slots };
};
const late = (slots: 1 | 2, f: (ctx: Ctx) => Fields<Insn>): AsmItem => ({
  item: "insn", slots, build: (ctx) => encode({ ...f(ctx), raw: NO_RAW } as Insn),
});

const imm = (v: number): Operand => ({ type: "imm", imm: v });
const reg = (r: Reg): Operand => ({ type: "reg", reg: r });

interface AluBuilder {
  imm(dst: Reg, imm: number): AsmItem;
  reg(dst: Reg, src: Reg): AsmItem;
}
interface JmpBuilder {
  imm(dst: Reg, imm: number, target: Target): AsmItem;
  reg(dst: Reg, src: Reg, target: Target): AsmItem;
}
type AluBuilders = { [K in AluOp as `${K}64` | `${K}32`]: AluBuilder };
type JmpBuilders = { [K in JmpOp as K | `${K}32`]: JmpBuilder };

function aluBuilders(): AluBuilders {
  const out: Record<string, AluBuilder> = {};
  for (const op of Object.keys(ALU_OPS) as AluOp[]) {
    for (const is64 of [true, false]) {
      out[`${op}${is64 ? 64 : 32}`] = {
        imm: (dst, v) => fixed({ kind: "alu", op, is64, dst, src: imm(v) }),
        reg: (dst, src) => fixed({ kind: "alu", op, is64, dst, src: reg(src) }),
      };
    }
  }
  return out as AluBuilders;
}

function jmpBuilders(): JmpBuilders {
  const out: Record<string, JmpBuilder> = {};
  for (const op of Object.keys(JMP_OPS) as JmpOp[]) {
    for (const is32 of [false, true]) {
      out[is32 ? `${op}32` : op] = {
        imm: (dst, v, t) => late(1, (c) => ({ kind: "jmp", op, is32, dst, src: imm(v), off: c.delta(t) })),
        reg: (dst, src, t) => late(1, (c) => ({ kind: "jmp", op, is32, dst, src: reg(src), off: c.delta(t) })),
      };
    }
  }
  return out as JmpBuilders;
}

type MemBuilders<F> = { u8: F; u16: F; u32: F; u64: F };
const SIZES = { u8: 1, u16: 2, u32: 4, u64: 8 } as const;
function memBuilders<F>(make: (size: Size) => F): MemBuilders<F> {
  return { u8: make(SIZES.u8), u16: make(SIZES.u16), u32: make(SIZES.u32), u64: make(SIZES.u64) };
}

function ldImm64(dst: Reg, src: LdImm64Src, lo: number, hi: number): AsmItem {
  const value = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  return fixed({ kind: "ld_imm64", src, dst, imm: lo | 0, imm2: hi | 0, value, raw2: NO_RAW });
}

function helperId(h: string | number): number {
  if (typeof h === "number") return h;
  const id = HELPER_NAMES.indexOf(h.startsWith("bpf_") ? h : `bpf_${h}`);
  if (id < 0) throw new InputError("ASM_UNKNOWN_HELPER", `unknown helper ${h}`);
  return id;
}

/** The builders. Argument order follows the kernel's printed text (dst first, then off, then the value). */
export const asm = {
  ...aluBuilders(),
  ...jmpBuilders(),
  /** `dst = (sN)src` */
  movsx64: (dst: Reg, src: Reg, bits: 8 | 16 | 32) => fixed({ kind: "movsx", is64: true, dst, srcReg: src, bits }),
  movsx32: (dst: Reg, src: Reg, bits: 8 | 16) => fixed({ kind: "movsx", is64: false, dst, srcReg: src, bits }),
  neg64: (dst: Reg) => fixed({ kind: "neg", is64: true, dst }),
  neg32: (dst: Reg) => fixed({ kind: "neg", is64: false, dst }),
  le: (dst: Reg, bits: 16 | 32 | 64) => fixed({ kind: "endian", order: "le", bits, dst }),
  be: (dst: Reg, bits: 16 | 32 | 64) => fixed({ kind: "endian", order: "be", bits, dst }),
  bswap: (dst: Reg, bits: 16 | 32 | 64) => fixed({ kind: "bswap", bits, dst }),
  addrSpaceCast: (dst: Reg, src: Reg, dstAs: number, srcAs: number) =>
    fixed({ kind: "addr_space_cast", dst, srcReg: src, dstAs, srcAs }),

  /** `dst = *(uN *)(src + off)`; s8/s16/s32 are the sign-extending loads. */
  ldx: {
    ...memBuilders((size) => (dst: Reg, src: Reg, off: number) => fixed({ kind: "ldx", size, signExtend: false, dst, src, off })),
    s8: (dst: Reg, src: Reg, off: number) => fixed({ kind: "ldx", size: 1, signExtend: true, dst, src, off }),
    s16: (dst: Reg, src: Reg, off: number) => fixed({ kind: "ldx", size: 2, signExtend: true, dst, src, off }),
    s32: (dst: Reg, src: Reg, off: number) => fixed({ kind: "ldx", size: 4, signExtend: true, dst, src, off }),
  },
  /** `*(uN *)(dst + off) = imm` */
  st: memBuilders((size) => (dst: Reg, off: number, v: number) => fixed({ kind: "st", size, dst, off, imm: v })),
  /** `*(uN *)(dst + off) = src` */
  stx: memBuilders((size) => (dst: Reg, off: number, src: Reg) => fixed({ kind: "stx", size, dst, src, off })),
  /** 7.2 stack arguments through r11. */
  stackArg: {
    /** incoming: `dst = *(u64 *)(r11 + off)`, off > 0 */
    load: (dst: Reg, off: number) => fixed({ kind: "stack_arg_load", dst, off }),
    /** outgoing: `*(u64 *)(r11 + off) = src`, off < 0 */
    store: (off: number, src: Reg) => fixed({ kind: "stack_arg_store", off, src: reg(src) }),
    storeImm: (off: number, v: number) => fixed({ kind: "stack_arg_store", off, src: imm(v) }),
  },
  /** Atomic RMW on `*(size *)(dst + off)` with `src`. */
  atomic: (op: AtomicOp, size: 4 | 8, dst: Reg, off: number, src: Reg, opts: { fetch?: boolean } = {}) =>
    fixed({ kind: "atomic", op, fetch: opts.fetch === true || op === "xchg" || op === "cmpxchg", size, dst, src, off }),
  /** `dst = load_acquire((uN *)(src + off))` */
  loadAcquire: (size: Size, dst: Reg, src: Reg, off: number) => fixed({ kind: "load_acquire", size, dst, src, off }),
  /** `store_release((uN *)(dst + off), src)` */
  storeRelease: (size: Size, dst: Reg, off: number, src: Reg) => fixed({ kind: "store_release", size, dst, src, off }),
  ldAbs: (size: 1 | 2 | 4, v: number) => fixed({ kind: "ld_abs", size, imm: v }),
  ldInd: (size: 1 | 2 | 4, src: Reg, v: number) => fixed({ kind: "ld_ind", size, src, imm: v }),

  /** Plain 64-bit constant. */
  ldImm64: (dst: Reg, value: bigint | number) => {
    const v = BigInt.asUintN(64, BigInt(value));
    return ldImm64(dst, "imm", Number(v & 0xffffffffn), Number(v >> 32n));
  },
  ldMapFd: (dst: Reg, fd: number) => ldImm64(dst, "BPF_PSEUDO_MAP_FD", fd, 0),
  ldMapValue: (dst: Reg, fd: number, off: number) => ldImm64(dst, "BPF_PSEUDO_MAP_VALUE", fd, off),
  ldMapIdx: (dst: Reg, idx: number) => ldImm64(dst, "BPF_PSEUDO_MAP_IDX", idx, 0),
  ldMapIdxValue: (dst: Reg, idx: number, off: number) => ldImm64(dst, "BPF_PSEUDO_MAP_IDX_VALUE", idx, off),
  /** ksym: BTF id of a VAR, and the BTF's fd (0 = vmlinux). */
  ldBtfId: (dst: Reg, btfId: number, btfFd = 0) => ldImm64(dst, "BPF_PSEUDO_BTF_ID", btfId, btfFd),
  /** Address of a subprogram (callback), by label or delta. */
  ldFunc: (dst: Reg, target: Target) =>
    late(2, (c) => ({ kind: "ld_imm64", src: "BPF_PSEUDO_FUNC", dst, imm: c.delta(target), imm2: 0, value: BigInt(c.delta(target) >>> 0), raw2: NO_RAW })),

  /** `goto pc+off` (BPF_JMP | BPF_JA) */
  ja: (target: Target) => late(1, (c) => ({ kind: "ja", form: "goto", delta: c.delta(target) })),
  /** `gotol pc+imm` (BPF_JMP32 | BPF_JA) */
  gotol: (target: Target) => late(1, (c) => ({ kind: "ja", form: "gotol", delta: c.delta(target) })),
  gotox: (dst: Reg) => fixed({ kind: "gotox", dst }),
  mayGoto: (target: Target) => late(1, (c) => ({ kind: "may_goto", off: c.delta(target) })),
  call: {
    /** By name (with or without "bpf_") or id. */
    helper: (h: string | number) => fixed({ kind: "helper_call", funcId: helperId(h) }),
    /** BPF-to-BPF call, by label or delta. */
    subprog: (target: Target) => late(1, (c) => ({ kind: "pseudo_call", imm: c.delta(target) })),
    /** By BTF id (+ fd_array index), or by name through assemble()'s `kfunc` resolver. */
    kfunc: (k: string | number, btfFdIdx = 0) =>
      late(1, (c) => (typeof k === "number" ? { kind: "kfunc_call", btfId: k, btfFdIdx } : { kind: "kfunc_call", ...c.kfunc(k) })),
  },
  exit: () => fixed({ kind: "exit" }),
  label: (name: string): AsmItem => ({ item: "label", name }),
  /** A raw slot as is (malformed-insn tests). */
  raw: (r: RawInsn): AsmItem => ({ item: "insn", slots: 1, build: () => [{ ...r }] }),
};

export interface AssembleOptions {
  /** Resolves asm.call.kfunc("name"). */
  kfunc?: (name: string) => { btfId: number; btfFdIdx: number };
}

export interface Assembled {
  slots: RawInsn[];
  /** decodeProgram(slots): one entry per slot. */
  insns: Slot[];
  /** label -> slot index */
  labels: ReadonlyMap<string, number>;
}

/** Lay out the items, resolve labels, encode. Errors (unknown/duplicate label, delta out of range) are InputErrors. */
export function assemble(items: readonly AsmItem[], opts: AssembleOptions = {}): Assembled {
  const labels = new Map<string, number>();
  let pc = 0;
  for (const it of items) {
    if (it.item === "label") {
      if (labels.has(it.name)) throw new InputError("ASM_DUPLICATE_LABEL", `duplicate label ${it.name}`, { insnIdx: pc });
      labels.set(it.name, pc);
    } else pc += it.slots;
  }
  const slots: RawInsn[] = [];
  for (const it of items) {
    if (it.item === "label") continue;
    const here = slots.length;
    const ctx: Ctx = {
      pc: here,
      delta(t) {
        if (typeof t === "number") return t;
        const at = labels.get(t);
        if (at === undefined) throw new InputError("ASM_UNKNOWN_LABEL", `unknown label ${t}`, { insnIdx: here });
        return at - here - 1;
      },
      kfunc(name) {
        if (!opts.kfunc) throw new InputError("ASM_NO_KFUNC_RESOLVER", `kfunc ${name} by name needs assemble(..., { kfunc })`, { insnIdx: here });
        return opts.kfunc(name);
      },
    };
    const out = it.build(ctx);
    for (const s of out) {
      if (s.off < -32768 || s.off > 32767) throw new InputError("ASM_OFF_RANGE", `off ${s.off} does not fit in s16`, { insnIdx: here });
    }
    slots.push(...out);
  }
  return { slots, insns: decodeProgram(slots), labels };
}
