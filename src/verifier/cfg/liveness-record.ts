// Recording the stack accesses of one insn into a function instance, from
// the converged arg tracking: loads/stores through FP-derived pointers and
// helper/kfunc arguments.
// kernel: record_stack_access_off, record_stack_access, record_imprecise,
// record_load_store_access, record_arg_access, record_call_access,
// find_callback_subprog (liveness.c)
import type { RawInsn } from "../../isa/raw.js";
import { ARG_IMPRECISE, type ArgTrack, argAdd, argOffImprecise, isFp } from "./arg-track.js";
import { getCallSummary } from "./call-summary.js";
import {
  type FuncInstance, MAX_BPF_FUNC_REG_ARGS, MAX_BPF_REG, MAX_STACK_ARG_SLOTS, markRead, markWrite,
} from "./liveness-instances.js";
import {
  BPF_ATOMIC, BPF_LDX, BPF_LOAD_ACQ, BPF_ST, BPF_STORE_REL, BPF_STX, bpfClass, bpfMode, bpfSize, bpfSizeToBytes,
  isHelperCall, isPseudoCall, isPseudoKfuncCall, isStackArgLdx, isStackArgSt, isStackArgStx,
} from "./opcodes.js";
import {
  type AccessBytes, SPIS_ALL, STACK_SLOT_SZ, helperStackAccessBytes, kfuncStackAccessBytes, spisRange,
} from "./stack-access.js";
import type { CfgEnv } from "./types.js";

// kernel: record_stack_access_off — bytes > 0 read, < 0 write, null unknown
// (reads everything from fp_off up to fp+0).
function recordAccessOff(inst: FuncInstance, fpOff: number, bytes: AccessBytes, frame: number, idx: number): void {
  if (fpOff >= 0) return; // out of bounds: the walk rejects it
  if (bytes === null) {
    markRead(inst, frame, idx, spisRange(0, Math.trunc((-fpOff - 1) / STACK_SLOT_SZ)));
  } else if (bytes > 0) {
    const hi = Math.trunc((-fpOff - 1) / STACK_SLOT_SZ);
    const lo = Math.max(Math.trunc((-fpOff - bytes) / STACK_SLOT_SZ), 0);
    markRead(inst, frame, idx, spisRange(lo, hi));
  } else if (bytes < 0) {
    // Only fully covered slots are defined.
    const n = -bytes;
    const hi = Math.trunc(-fpOff / STACK_SLOT_SZ) - 1;
    const lo = Math.max(Math.trunc((-fpOff - n + STACK_SLOT_SZ - 1) / STACK_SLOT_SZ), 0);
    if (lo <= hi) markWrite(inst, frame, idx, spisRange(lo, hi));
  }
}

// kernel: record_stack_access
function recordAccess(inst: FuncInstance, a: ArgTrack, bytes: AccessBytes, frame: number, idx: number): void {
  if (bytes === 0) return;
  if (a.offs.length === 0) {
    if (bytes === null || bytes > 0) markRead(inst, frame, idx, SPIS_ALL);
    return;
  }
  // A write through one of several candidate offsets defines nothing.
  if (bytes !== null && bytes < 0 && a.offs.length !== 1) return;
  for (const o of a.offs) recordAccessOff(inst, o, bytes, frame, idx);
}

// kernel: record_imprecise
function recordImprecise(inst: FuncInstance, mask: number, idx: number): void {
  for (let f = 0; mask; f++, mask >>>= 1) if (mask & 1 && f <= inst.depth) markRead(inst, f, idx, SPIS_ALL);
}

// kernel: record_load_store_access
export function recordLoadStore(env: CfgEnv, inst: FuncInstance, at: readonly ArgTrack[], idx: number): void {
  const insn = env.insns[idx]!;
  if (isStackArgStx(insn) || isStackArgSt(insn) || isStackArgLdx(insn)) return;
  let sz: number = bpfSizeToBytes(bpfSize(insn.code));
  let ptr: ArgTrack;
  switch (bpfClass(insn.code)) {
    case BPF_LDX:
      ptr = at[insn.src]!;
      break;
    case BPF_STX:
      if (bpfMode(insn.code) === BPF_ATOMIC) {
        if (insn.imm === BPF_STORE_REL) sz = -sz;
        ptr = insn.imm === BPF_LOAD_ACQ ? at[insn.src]! : at[insn.dst]!;
      } else {
        ptr = at[insn.dst]!;
        sz = -sz;
      }
      break;
    case BPF_ST:
      ptr = at[insn.dst]!;
      sz = -sz;
      break;
    default:
      return;
  }
  if (ptr.offs.length > 0) {
    const offs: number[] = [];
    for (const o of ptr.offs) {
      const n = argAdd(o, insn.off);
      if (n === undefined) break;
      offs.push(n);
    }
    ptr = offs.length === ptr.offs.length ? { frame: ptr.frame, offs, mask: 0 } : argOffImprecise(ptr.frame);
  }
  if (ptr.frame >= 0 && ptr.frame <= inst.depth) recordAccess(inst, ptr, sz, ptr.frame, idx);
  else if (ptr.frame === ARG_IMPRECISE) recordImprecise(inst, ptr.mask, idx);
}

// kernel: record_arg_access
function recordArg(env: CfgEnv, inst: FuncInstance, insn: RawInsn, a: ArgTrack, arg: number, idx: number): void {
  if (!isFp(a)) return;
  let bytes: AccessBytes;
  if (isHelperCall(insn)) bytes = helperStackAccessBytes(env, insn, arg, idx);
  else if (isPseudoKfuncCall(insn)) bytes = kfuncStackAccessBytes(env, insn, arg, idx);
  else {
    for (let f = 0; f <= inst.depth; f++) markRead(inst, f, idx, SPIS_ALL);
    return;
  }
  if (bytes === 0) return;
  if (a.frame >= 0 && a.frame <= inst.depth) recordAccess(inst, a, bytes, a.frame, idx);
  else if (a.frame === ARG_IMPRECISE) recordImprecise(inst, a.mask, idx);
}

// kernel: record_call_access
export function recordCall(env: CfgEnv, inst: FuncInstance, at: readonly ArgTrack[], idx: number): void {
  const insn = env.insns[idx]!;
  if (isPseudoCall(insn)) return;
  const numParams = getCallSummary(env.opts, insn)?.numParams ?? 5;
  for (let r = 1; r < 1 + Math.min(numParams, MAX_BPF_FUNC_REG_ARGS); r++) recordArg(env, inst, insn, at[r]!, r - 1, idx);
  for (let r = 0; r < MAX_STACK_ARG_SLOTS && r < numParams - MAX_BPF_FUNC_REG_ARGS; r++) {
    recordArg(env, inst, insn, at[MAX_BPF_REG + r]!, r + MAX_BPF_FUNC_REG_ARGS, idx);
  }
}

// kernel: find_callback_subprog — the callback a sync-callback helper calls
// and which caller register becomes which callback register. -1: none, -2:
// the callback is not a known constant.
const CALLBACK_HELPERS: Record<string, { cb: number; caller: number; callee: number }> = {
  loop: { cb: 2, caller: 3, callee: 2 },
  for_each_map_elem: { cb: 2, caller: 3, callee: 4 },
  find_vma: { cb: 3, caller: 4, callee: 3 },
  user_ringbuf_drain: { cb: 2, caller: 3, callee: 2 },
};
export function findCallbackSubprog(env: CfgEnv, insn: RawInsn, idx: number): { callee: number; caller: number; calleeReg: number } {
  const name = isHelperCall(insn) ? env.opts.helper?.(insn.imm)?.name : undefined;
  const row = name !== undefined ? CALLBACK_HELPERS[name] : undefined;
  if (!row) return { callee: -1, caller: -1, calleeReg: -1 };
  const aux = env.aux[idx]!;
  if (!(aux.constRegSubprogMask & (1 << row.cb))) return { callee: -2, caller: row.caller, calleeReg: row.callee };
  return { callee: aux.constRegVals[row.cb]!, caller: row.caller, calleeReg: row.callee };
}

