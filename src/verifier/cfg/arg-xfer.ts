// The forward transfer of the stack liveness pass: how one insn moves
// FP-derived values between registers, outgoing stack args and spill slots.
// kernel: arg_track_xfer, fill_from_stack, spill_to_stack,
// clear_overlapping_stack_slots, clear_stack_for_all_offs (liveness.c)
import type { RawInsn } from "../../isa/raw.js";
import {
  ARG_IMPRECISE, type ArgTrack, NONE, argAdd, argAlu64, argImprecise, argJoin, argOffImprecise, argPadd,
} from "./arg-track.js";
import { BPF_REG_FP, MAX_ARG_SPILL_SLOTS, MAX_BPF_REG, MAX_STACK_ARG_SLOTS } from "./liveness-instances.js";
import {
  BPF_ADD, BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_IMM, BPF_JMP, BPF_K, BPF_LD, BPF_LDX, BPF_LOAD_ACQ,
  BPF_MEM, BPF_MOV, BPF_ST, BPF_STX, BPF_SUB, BPF_X, atomicLoadReg, bpfClass, bpfMode, bpfOp, bpfSize,
  bpfSizeToBytes, bpfSrc, isStackArgLdx, isStackArgSt, isStackArgStx,
} from "./opcodes.js";

/** What the transfer needs beyond the insn: callers' spill slots at their call sites. */
export interface XferCtx {
  /** kernel: callsite_at_stack — spill-slot tracking at each call insn. */
  callsiteAtStack: Map<number, ArgTrack[]>;
  /** Call insn of each frame on the current analysis path (callsites[depth]). */
  callsites: number[];
}


export const stackArgOffToSlot = (off: number): number => {
  const a = Math.abs(off);
  return Math.trunc(a / 8) > MAX_STACK_ARG_SLOTS ? -1 : Math.trunc(a / 8) - 1;
};
const fpOffToSlot = (off: number): number =>
  off >= 0 || off < -(MAX_ARG_SPILL_SLOTS * 8) || off % 8 ? -1 : -off / 8 - 1;

// kernel: fill_from_stack — what a 64-bit load through an FP-derived pointer restores.
function fillFromStack(insn: RawInsn, at: ArgTrack[], reg: number, stack: readonly ArgTrack[], depth: number): ArgTrack {
  const imp = argImprecise((1 << (depth + 1)) - 1);
  if (reg === BPF_REG_FP) {
    const slot = fpOffToSlot(insn.off);
    return slot >= 0 ? stack[slot]! : imp;
  }
  const offs = at[reg]!.offs;
  if (offs.length === 0) return imp;
  let result = NONE;
  for (const o of offs) {
    const fpOff = argAdd(o, insn.off);
    if (fpOff === undefined) return imp;
    const slot = fpOffToSlot(fpOff);
    if (slot < 0) return imp;
    result = argJoin(result, stack[slot]!);
  }
  return result;
}

// kernel: spill_to_stack
function spillToStack(insn: RawInsn, at: ArgTrack[], reg: number, stack: ArgTrack[], val: ArgTrack, sz: number): void {
  const v = sz === 8 ? val : NONE;
  if (reg === BPF_REG_FP) {
    const slot = fpOffToSlot(insn.off);
    if (slot >= 0) stack[slot] = v;
    return;
  }
  const offs = at[reg]!.offs;
  if (offs.length === 0) {
    for (let s = 0; s < MAX_ARG_SPILL_SLOTS; s++) stack[s] = argJoin(stack[s]!, v);
    return;
  }
  for (const o of offs) {
    const fpOff = argAdd(o, insn.off);
    if (fpOff === undefined) continue;
    const slot = fpOffToSlot(fpOff);
    if (slot < 0) continue;
    stack[slot] = offs.length === 1 ? v : argJoin(stack[slot]!, v);
  }
}

// kernel: clear_overlapping_stack_slots
function clearOverlapping(stack: ArgTrack[], off: number, sz: number, cnt: number): void {
  for (let i = 0; i < MAX_ARG_SPILL_SLOTS; i++) {
    if (cnt === 0) {
      stack[i] = argJoin(stack[i]!, NONE);
      continue;
    }
    const start = -((i + 1) * 8);
    if (start < off + sz && start + 8 > off) stack[i] = cnt === 1 ? NONE : argJoin(stack[i]!, NONE);
  }
}

// kernel: clear_stack_for_all_offs
function clearForAllOffs(insn: RawInsn, at: ArgTrack[], reg: number, stack: ArgTrack[], sz: number): void {
  if (reg === BPF_REG_FP) return clearOverlapping(stack, insn.off, sz, 1);
  const offs = at[reg]!.offs;
  if (offs.length === 0) return clearOverlapping(stack, 0, sz, 0);
  for (const o of offs) {
    const fpOff = argAdd(o, insn.off);
    if (fpOff === undefined) {
      clearOverlapping(stack, 0, sz, 0);
      break;
    }
    clearOverlapping(stack, fpOff, sz, offs.length);
  }
}

const canBeLocalFp = (depth: number, regno: number, a: ArgTrack): boolean =>
  regno === BPF_REG_FP || a.frame === depth || (a.frame === ARG_IMPRECISE && (a.mask & (1 << depth)) !== 0);

// kernel: arg_track_xfer
export function xfer(c: XferCtx, insn: RawInsn, at: ArgTrack[], stack: ArgTrack[], stackArgEntry: readonly ArgTrack[], depth: number): void {
  const cls = bpfClass(insn.code);
  const op = bpfOp(insn.code);
  const dst = at[insn.dst]!;
  const src = at[insn.src]!;
  if (isStackArgSt(insn) || isStackArgStx(insn)) {
    const slot = stackArgOffToSlot(insn.off);
    if (slot >= 0) at[MAX_BPF_REG + slot] = isStackArgStx(insn) ? at[insn.src]! : NONE;
  } else if (isStackArgLdx(insn)) {
    const slot = stackArgOffToSlot(insn.off);
    at[insn.dst] = slot >= 0 ? stackArgEntry[slot]! : NONE;
  } else if (cls === BPF_ALU64 && bpfSrc(insn.code) === BPF_K) {
    if (op === BPF_MOV) at[insn.dst] = NONE;
    else if (dst.frame >= 0) {
      if (op === BPF_ADD) at[insn.dst] = argPadd(dst, insn.imm);
      else if (op === BPF_SUB) at[insn.dst] = argPadd(dst, -insn.imm);
      else at[insn.dst] = argOffImprecise(dst.frame);
    }
  } else if (cls === BPF_ALU64 && bpfSrc(insn.code) === BPF_X) {
    if (op === BPF_MOV) at[insn.dst] = insn.off === 0 ? src : NONE; // addr_space_cast destroys a pointer
    else at[insn.dst] = argAlu64(dst, src);
  } else if (cls === BPF_ALU) {
    at[insn.dst] = NONE;
  } else if (cls === BPF_JMP && op === BPF_CALL) {
    for (let r = 0; r <= 5; r++) at[r] = NONE;
  } else if (cls === BPF_LDX) {
    const sz = bpfSizeToBytes(bpfSize(insn.code));
    const mem64 = bpfMode(insn.code) === BPF_MEM && sz === 8;
    if (canBeLocalFp(depth, insn.src, src) && mem64) {
      at[insn.dst] = fillFromStack(insn, at, insn.src, stack, depth);
    } else if (src.frame >= 0 && src.frame < depth && mem64) {
      const parent = c.callsiteAtStack.get(c.callsites[src.frame]!);
      at[insn.dst] = parent ? fillFromStack(insn, at, insn.src, parent, src.frame) : NONE;
    } else if (src.frame === ARG_IMPRECISE && !(src.mask & (1 << depth)) && src.mask && mem64) {
      at[insn.dst] = src;
    } else {
      at[insn.dst] = NONE;
    }
  } else if (cls === BPF_LD && bpfMode(insn.code) === BPF_IMM) {
    at[insn.dst] = NONE;
  } else if (cls === BPF_STX) {
    const sz = bpfSizeToBytes(bpfSize(insn.code));
    const local = canBeLocalFp(depth, insn.dst, dst);
    if (local && bpfMode(insn.code) === BPF_MEM) spillToStack(insn, at, insn.dst, stack, src, sz);
    if (bpfMode(insn.code) === BPF_ATOMIC) {
      if (local && insn.imm !== BPF_LOAD_ACQ) clearForAllOffs(insn, at, insn.dst, stack, sz);
      const r = atomicLoadReg(insn);
      if (r >= 0) at[r] = NONE;
    }
  } else if (cls === BPF_ST && bpfMode(insn.code) === BPF_MEM) {
    const sz = bpfSizeToBytes(bpfSize(insn.code));
    if (canBeLocalFp(depth, insn.dst, dst)) clearForAllOffs(insn, at, insn.dst, stack, sz);
  }
}

