// Register-state primitives: the kernel's __mark_reg_* family.
// kernel: verifier.c (___mark_reg_known, __mark_reg_known, mark_reg_known_zero,
// bpf_mark_reg_unknown_imprecise, bpf_mark_reg_not_init, init_reg_state)
import { TNUM_UNKNOWN, CNUM64_UNBOUNDED, CNUM32_UNBOUNDED } from "./scalar-bridge.js";
import type { RegState } from "./types.js";
import { DEF_NOT_SUBREG } from "./types.js";

const U64 = (1n << 64n) - 1n;
const U32 = (1n << 32n) - 1n;

export function newReg(): RegState {
  return {
    type: "NOT_INIT",
    flags: 0,
    delta: 0,
    range: 0,
    map: null,
    mapUid: 0,
    btf: null,
    btfId: 0,
    memSize: 0,
    dynptrType: "BPF_DYNPTR_TYPE_INVALID",
    dynptrFirstSlot: false,
    iterState: "BPF_ITER_STATE_INVALID",
    iterDepth: 0,
    irqKfuncClass: 0,
    subprogno: 0,
    varOff: TNUM_UNKNOWN,
    r64: CNUM64_UNBOUNDED,
    r32: CNUM32_UNBOUNDED,
    id: 0,
    parentId: 0,
    frameno: 0,
    subregDef: DEF_NOT_SUBREG,
    precise: false,
  };
}

// Copies spell every field out, in newReg's order: object spread and Object.assign over a
// 25-field object are several times slower, and a fixed field order keeps every RegState on one
// hidden class (monomorphic property access in the hot paths).
export function copyReg(r: RegState): RegState {
  return {
    type: r.type,
    flags: r.flags,
    delta: r.delta,
    range: r.range,
    map: r.map,
    mapUid: r.mapUid,
    btf: r.btf,
    btfId: r.btfId,
    memSize: r.memSize,
    dynptrType: r.dynptrType,
    dynptrFirstSlot: r.dynptrFirstSlot,
    iterState: r.iterState,
    iterDepth: r.iterDepth,
    irqKfuncClass: r.irqKfuncClass,
    subprogno: r.subprogno,
    varOff: r.varOff,
    r64: r.r64,
    r32: r.r32,
    id: r.id,
    parentId: r.parentId,
    frameno: r.frameno,
    subregDef: r.subregDef,
    precise: r.precise,
  };
}

/** Overwrite `dst` with `src` in place (the kernel's `*dst = *src`). */
export function assignReg(dst: RegState, src: RegState): void {
  dst.type = src.type;
  dst.flags = src.flags;
  dst.delta = src.delta;
  dst.range = src.range;
  dst.map = src.map;
  dst.mapUid = src.mapUid;
  dst.btf = src.btf;
  dst.btfId = src.btfId;
  dst.memSize = src.memSize;
  dst.dynptrType = src.dynptrType;
  dst.dynptrFirstSlot = src.dynptrFirstSlot;
  dst.iterState = src.iterState;
  dst.iterDepth = src.iterDepth;
  dst.irqKfuncClass = src.irqKfuncClass;
  dst.subprogno = src.subprogno;
  dst.varOff = src.varOff;
  dst.r64 = src.r64;
  dst.r32 = src.r32;
  dst.id = src.id;
  dst.parentId = src.parentId;
  dst.frameno = src.frameno;
  dst.subregDef = src.subregDef;
  dst.precise = src.precise;
}

/** Reset the union part and offsets (what __mark_reg_known memsets). */
function clearPayload(reg: RegState): void {
  reg.delta = 0;
  reg.range = 0;
  reg.map = null;
  reg.mapUid = 0;
  reg.btf = null;
  reg.btfId = 0;
  reg.memSize = 0;
  reg.dynptrType = "BPF_DYNPTR_TYPE_INVALID";
  reg.dynptrFirstSlot = false;
  reg.iterState = "BPF_ITER_STATE_INVALID";
  reg.iterDepth = 0;
  reg.irqKfuncClass = 0;
  reg.subprogno = 0;
}

/** kernel: ___mark_reg_known — value knowledge only, ids untouched. */
export function setKnownValue(reg: RegState, imm: bigint): void {
  // The single-value arcs written out (cnum*_from_urange(v, v)): this runs for every BPF_K operand.
  const v = BigInt.asUintN(64, imm);
  reg.varOff = { value: v, mask: 0n };
  reg.r64 = { base: v, size: 0n };
  reg.r32 = { base: BigInt.asUintN(32, v), size: 0n };
}

/** kernel: __mark_reg_known */
export function markRegKnown(reg: RegState, imm: bigint): void {
  clearPayload(reg);
  reg.id = 0;
  reg.parentId = 0;
  setKnownValue(reg, imm);
}

/** kernel: __mark_reg_known_zero / mark_reg_known_zero (type is left to the caller). */
export function markRegKnownZero(reg: RegState): void {
  markRegKnown(reg, 0n);
}

/** kernel: __mark_reg_const_zero (privileged: not precise). */
export function markRegConstZero(reg: RegState, bpfCapable: boolean): void {
  markRegKnown(reg, 0n);
  reg.type = "SCALAR_VALUE";
  reg.flags = 0;
  reg.precise = !bpfCapable;
}

/** kernel: __mark_reg_unbounded (ranges only). */
export function markRegUnbounded(reg: RegState): void {
  reg.r64 = CNUM64_UNBOUNDED;
  reg.r32 = CNUM32_UNBOUNDED;
}

/** kernel: bpf_mark_reg_unknown_imprecise — a fresh unknown scalar keeping subreg_def. */
export function markRegUnknownImprecise(reg: RegState): void {
  // Field by field rather than Object.assign(reg, newReg()): this runs for every dead register at
  // every prune point (clean_verifier_state) and was the verifier's top cost.
  reg.type = "SCALAR_VALUE";
  reg.flags = 0;
  clearPayload(reg);
  reg.varOff = TNUM_UNKNOWN;
  reg.r64 = CNUM64_UNBOUNDED;
  reg.r32 = CNUM32_UNBOUNDED;
  reg.id = 0;
  reg.parentId = 0;
  reg.frameno = 0;
  reg.precise = false;
}

/** kernel: __mark_reg_unknown */
export function markRegUnknown(reg: RegState, bpfCapable: boolean): void {
  markRegUnknownImprecise(reg);
  reg.precise = !bpfCapable;
}

/** kernel: bpf_mark_reg_not_init */
export function markRegNotInit(reg: RegState, bpfCapable: boolean): void {
  markRegUnknown(reg, bpfCapable);
  reg.type = "NOT_INIT";
}

export { U64, U32 };
