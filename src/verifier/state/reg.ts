// Register-state primitives: the kernel's __mark_reg_* family.
// kernel: verifier.c (___mark_reg_known, __mark_reg_known, mark_reg_known_zero,
// bpf_mark_reg_unknown_imprecise, bpf_mark_reg_not_init, init_reg_state)
import { TNUM_UNKNOWN, tnumConst, CNUM64_UNBOUNDED, CNUM32_UNBOUNDED, cnum64FromURange, cnum32FromURange } from "./scalar-bridge.js";
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

export function copyReg(r: RegState): RegState {
  return { ...r };
}

/** Overwrite `dst` with `src` in place (the kernel's `*dst = *src`). */
export function assignReg(dst: RegState, src: RegState): void {
  Object.assign(dst, src);
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
  const v = imm & U64;
  reg.varOff = tnumConst(v);
  reg.r64 = cnum64FromURange(v, v);
  reg.r32 = cnum32FromURange(v & U32, v & U32);
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
  const subregDef = reg.subregDef;
  Object.assign(reg, newReg());
  reg.type = "SCALAR_VALUE";
  reg.varOff = TNUM_UNKNOWN;
  reg.subregDef = subregDef;
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
