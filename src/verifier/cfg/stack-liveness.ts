// Static stack liveness per function instance (a subprog at a call depth,
// reached from a call site): which stack half-slots each insn may read
// (use) or surely writes (def), in its own and its callers' frames, and the
// slots live before each insn. The walk asks bpfStackSlotAlive() when it
// compares states; level 2 prints the analysis and the use/def listings.
// kernel: kernel/bpf/liveness.c (bpf_compute_subprog_arg_access,
// analyze_subprog, compute_subprog_args, arg_track_xfer, record_*,
// update_instance, print_instance, bpf_stack_slot_alive)
import type { RawInsn } from "../../isa/raw.js";
import type { VerifierLog } from "../log/vlog.js";
import { BPF_LOG_LEVEL2 } from "../log/vlog.js";
import {
  ARG_IMPRECISE, ARG_NONE, type ArgTrack, NONE, UNVISITED, argAdd, argAlu64, argEq, argJoin, argOffImprecise,
  argPadd, argSingle, fmtArgTrack, isFp, isVisited, argImprecise,
} from "./arg-track.js";
import { getCallSummary } from "./call-summary.js";
import { insnSuccessors } from "./check-cfg.js";
import {
  BPF_ADD, BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_IMM, BPF_JMP, BPF_K, BPF_LD, BPF_LDX, BPF_LOAD_ACQ,
  BPF_MEM, BPF_MOV, BPF_ST, BPF_STORE_REL, BPF_STX, BPF_SUB, BPF_X, atomicLoadReg, bpfClass, bpfMode, bpfOp,
  bpfSize, bpfSizeToBytes, bpfSrc, isHelperCall, isLdImm64, isPseudoCall, isPseudoKfuncCall, isStackArgLdx,
  isStackArgSt, isStackArgStx,
} from "./opcodes.js";
import {
  type AccessBytes, SPIS_ALL, SPIS_ZERO, STACK_SLOT_SZ, STACK_SLOTS, type Spis, helperStackAccessBytes,
  kfuncStackAccessBytes, spisRange, spisTest,
} from "./stack-access.js";
import { findSubprog } from "./subprogs.js";
import type { CfgEnv, CfgReject } from "./types.js";

export const MAX_CALL_FRAMES = 16;
const MAX_BPF_REG = 11;
const MAX_BPF_FUNC_REG_ARGS = 5;
/** kernel: MAX_STACK_ARG_SLOTS (R11 stack arguments 6..12) */
const MAX_STACK_ARG_SLOTS = 7;
/** R0-R10 then the outgoing stack-arg slots. */
const MAX_AT_TRACK_REGS = MAX_BPF_REG + MAX_STACK_ARG_SLOTS;
/** Callee stack slots tracked for spills: fp-8 .. fp-512. */
const MAX_ARG_SPILL_SLOTS = 64;
const BPF_REG_FP = 10;
const SUBPROG_CALLS_LIMIT = 10000;

interface FrameMasks {
  mayRead: Spis[];
  mustWrite: Spis[];
  liveBefore: Spis[];
}

/** kernel: struct func_instance */
export interface FuncInstance {
  /** Call insn that entered it (subprog start at depth 0). */
  callsite: number;
  depth: number;
  subprog: number;
  subprogStart: number;
  insnCnt: number;
  frames: (FrameMasks | undefined)[];
  mustWriteInitialized: boolean;
}

/** kernel: struct bpf_liveness */
export interface StackLiveness {
  instances: Map<string, FuncInstance>;
  subprogCalls: number;
}

const key = (callsite: number, depth: number): string => `${depth}:${callsite}`;

/** kernel: bpf_stack_liveness_init */
export const newStackLiveness = (): StackLiveness => ({ instances: new Map(), subprogCalls: 0 });

function findInstance(l: StackLiveness, callsite: number, depth: number): FuncInstance | undefined {
  return l.instances.get(key(callsite, depth));
}

// kernel: call_instance
function callInstance(env: CfgEnv, l: StackLiveness, caller: FuncInstance | undefined, callsite: number, subprog: number): FuncInstance {
  const depth = caller ? caller.depth + 1 : 0;
  const start = env.subprogs[subprog]!.start;
  const k = depth > 0 ? callsite : start;
  const found = findInstance(l, k, depth);
  if (found) return found;
  const f = freshInstance({ callsite: k, depth, subprog, subprogStart: start, insnCnt: env.subprogs[subprog + 1]!.start - start });
  l.instances.set(key(k, depth), f);
  return f;
}

function freshInstance(src: Pick<FuncInstance, "callsite" | "depth" | "subprog" | "subprogStart" | "insnCnt">): FuncInstance {
  return { ...src, frames: [], mustWriteInitialized: false };
}

function frameMasks(inst: FuncInstance, frame: number, alloc: boolean): FrameMasks | undefined {
  let f = inst.frames[frame];
  if (!f && alloc) {
    const z = () => new Array<Spis>(inst.insnCnt).fill(SPIS_ZERO);
    f = { mayRead: z(), mustWrite: z(), liveBefore: z() };
    inst.frames[frame] = f;
  }
  return f;
}

function markRead(inst: FuncInstance, frame: number, idx: number, mask: Spis): void {
  const f = frameMasks(inst, frame, true)!;
  f.mayRead[idx - inst.subprogStart]! |= mask;
}
function markWrite(inst: FuncInstance, frame: number, idx: number, mask: Spis): void {
  const f = frameMasks(inst, frame, true)!;
  f.mustWrite[idx - inst.subprogStart]! |= mask;
}

// kernel: update_instance / update_insn — backward fixpoint of live_before.
function updateInstance(env: CfgEnv, inst: FuncInstance): void {
  inst.mustWriteInitialized = true;
  const sp = env.subprogs[inst.subprog]!;
  const poStart = sp.postorderStart;
  const poEnd = env.subprogs[inst.subprog + 1]!.postorderStart;
  let changed: boolean;
  do {
    changed = false;
    for (let frame = 0; frame <= inst.depth; frame++) {
      const f = inst.frames[frame];
      if (!f) continue;
      for (let i = poStart; i < poEnd; i++) {
        const idx = env.postorder[i]!;
        const succ = insnSuccessors(env, idx);
        if (succ.length === 0) continue;
        const rel = idx - inst.subprogStart;
        let after = SPIS_ZERO;
        for (const s of succ) after |= f.liveBefore[s - inst.subprogStart] ?? SPIS_ZERO;
        const before = (after & ~f.mustWrite[rel]! & SPIS_ALL) | f.mayRead[rel]!;
        if (before !== f.liveBefore[rel]) {
          f.liveBefore[rel] = before;
          changed = true;
        }
      }
    }
  } while (changed);
}

function isLiveBefore(inst: FuncInstance, idx: number, frame: number, halfSpi: number): boolean {
  const f = inst.frames[frame];
  return !!f && spisTest(f.liveBefore[idx - inst.subprogStart] ?? SPIS_ZERO, halfSpi);
}

/** The frames of the state being checked: subprog and callsite of each frame, outermost first. */
export interface LiveStackQuery {
  instances: (FuncInstance | undefined)[];
  callsites: number[];
  curframe: number;
  insnIdx: number;
}

/** kernel: bpf_live_stack_query_init (with lookup_instance) */
export function liveStackQueryInit(
  env: CfgEnv,
  l: StackLiveness,
  frames: readonly { subprogno: number; callsite: number }[],
  insnIdx: number,
): LiveStackQuery {
  const q: LiveStackQuery = { instances: [], callsites: [], curframe: frames.length - 1, insnIdx };
  for (let frame = 0; frame < frames.length; frame++) {
    const start = env.subprogs[frames[frame]!.subprogno]!.start;
    const callsite = frame > 0 ? frames[frame]!.callsite : start;
    let inst: FuncInstance | undefined;
    for (let depth = frame; ; depth--) {
      inst = findInstance(l, depth > 0 ? callsite : start, depth);
      if (inst || depth === 0) break;
    }
    q.instances.push(inst);
    if (frame < frames.length - 1) q.callsites.push(frames[frame + 1]!.callsite);
  }
  return q;
}

/** kernel: bpf_stack_slot_alive — may half-slot `halfSpi` of frame `frameno` still be read? */
export function stackSlotAlive(env: CfgEnv, q: LiveStackQuery, frameno: number, halfSpi: number): boolean {
  const cur = q.instances[q.curframe];
  if (!cur) return true;
  const curDelta = cur.depth - q.curframe;
  let rel = frameno + curDelta;
  if (rel <= cur.depth && isLiveBefore(cur, q.insnIdx, rel, halfSpi)) return true;
  for (let i = frameno; i < q.curframe; i++) {
    const inst = q.instances[i];
    if (!inst) return true;
    rel = frameno + inst.depth - i;
    if (rel > inst.depth) return true;
    const cs = q.callsites[i]!;
    // A callback may run again from the call: liveness before the call counts.
    const at = env.aux[cs]!.callsCallback ? cs : cs + 1;
    if (isLiveBefore(inst, at, rel, halfSpi)) return true;
  }
  return false;
}

// ---- the forward arg-track analysis ----

const stackArgOffToSlot = (off: number): number => {
  const a = Math.abs(off);
  return Math.trunc(a / 8) > MAX_STACK_ARG_SLOTS ? -1 : Math.trunc(a / 8) - 1;
};
const fpOffToSlot = (off: number): number =>
  off >= 0 || off < -(MAX_ARG_SPILL_SLOTS * 8) || off % 8 ? -1 : -off / 8 - 1;

interface Ctx {
  env: CfgEnv;
  log: VerifierLog;
  l: StackLiveness;
  /** kernel: callsite_at_stack — spill-slot tracking at each call insn. */
  callsiteAtStack: Map<number, ArgTrack[]>;
  info: (SubprogAtInfo | undefined)[];
  callsites: number[];
}

interface SubprogAtInfo {
  atIn: ArgTrack[][];
}

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
function xfer(c: Ctx, insn: RawInsn, at: ArgTrack[], stack: ArgTrack[], stackArgEntry: readonly ArgTrack[], depth: number): void {
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

// ---- recording accesses ----

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
function recordLoadStore(env: CfgEnv, inst: FuncInstance, at: readonly ArgTrack[], idx: number): void {
  const insn = env.insns[idx]!;
  if (isStackArgStx(insn) || isStackArgSt(insn) || isStackArgLdx(insn)) return;
  let sz = bpfSizeToBytes(bpfSize(insn.code));
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
function recordCall(env: CfgEnv, inst: FuncInstance, at: readonly ArgTrack[], idx: number): void {
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
function findCallbackSubprog(env: CfgEnv, insn: RawInsn, idx: number): { callee: number; caller: number; calleeReg: number } {
  const name = isHelperCall(insn) ? env.opts.helper?.(insn.imm)?.name : undefined;
  const row = name !== undefined ? CALLBACK_HELPERS[name] : undefined;
  if (!row) return { callee: -1, caller: -1, calleeReg: -1 };
  const aux = env.aux[idx]!;
  if (!(aux.constRegSubprogMask & (1 << row.cb))) return { callee: -2, caller: row.caller, calleeReg: row.callee };
  return { callee: aux.constRegVals[row.cb]!, caller: row.caller, calleeReg: row.callee };
}

// ---- per-subprog analysis ----

function insnText(env: CfgEnv, idx: number): string {
  const t = env.opts.printInsn ? env.opts.printInsn(env.insns, idx) : "\n";
  return t.endsWith("\n") ? t.slice(0, -1) : t;
}
const pad3 = (n: number): string => String(n).padStart(3);

function regName(r: number): string {
  if (r >= MAX_BPF_REG) return `sa${r - MAX_BPF_REG}: `;
  if (r >= 0) return `r${r}: `;
  const o = r * 8;
  return `fp${o >= 0 ? "+" : ""}${o}: `;
}

// kernel: compute_subprog_args — forward fixpoint, then one pass recording accesses.
function computeSubprogArgs(c: Ctx, inst: FuncInstance, calleeEntry: readonly ArgTrack[] | undefined): SubprogAtInfo {
  const { env, log } = c;
  const lvl2 = (log.level & BPF_LOG_LEVEL2) !== 0;
  const sub = inst.subprog;
  const depth = inst.depth;
  const start = env.subprogs[sub]!.start;
  const end = env.subprogs[sub + 1]!.start;
  const poStart = env.subprogs[sub]!.postorderStart;
  const poEnd = env.subprogs[sub + 1]!.postorderStart;
  const len = end - start;
  const atIn: ArgTrack[][] = Array.from({ length: len }, () => new Array<ArgTrack>(MAX_AT_TRACK_REGS).fill(UNVISITED));
  const stackIn: ArgTrack[][] = Array.from({ length: len }, () => new Array<ArgTrack>(MAX_ARG_SPILL_SLOTS).fill(UNVISITED));
  if (len > 0) {
    atIn[0]!.fill(NONE);
    atIn[0]![BPF_REG_FP] = argSingle(depth, 0);
    if (calleeEntry) for (let r = 1; r <= 5; r++) atIn[0]![r] = calleeEntry[r]!;
    stackIn[0]!.fill(NONE);
  }
  const stackArgEntry: ArgTrack[] = [];
  for (let r = 0; r < MAX_STACK_ARG_SLOTS; r++) stackArgEntry.push(calleeEntry ? calleeEntry[MAX_BPF_REG + r]! : NONE);
  if (lvl2) log.write(`subprog#${sub}: analyzing (depth ${depth})...\n`);

  let changed = true;
  while (changed) {
    changed = false;
    for (let p = poEnd - 1; p >= poStart; p--) {
      const idx = env.postorder[p]!;
      const i = idx - start;
      if (!isVisited(atIn[i]![0]!) && !isVisited(atIn[i]![1]!)) continue;
      const out = atIn[i]!.slice();
      const stackOut = stackIn[i]!.slice();
      xfer(c, env.insns[idx]!, out, stackOut, stackArgEntry, depth);
      if (lvl2) logXfer(env, log, idx, atIn[i]!, stackIn[i]!, out, stackOut);
      for (const target of insnSuccessors(env, idx)) {
        if (target < start || target >= end) continue;
        const ti = target - start;
        for (let r = 0; r < MAX_AT_TRACK_REGS; r++) changed = joinInto(log, idx, target, r, atIn[ti]!, r, out[r]!) || changed;
        for (let r = 0; r < MAX_ARG_SPILL_SLOTS; r++) changed = joinInto(log, idx, target, -r - 1, stackIn[ti]!, r, stackOut[r]!) || changed;
      }
    }
  }

  for (let p = poEnd - 1; p >= poStart; p--) {
    const idx = env.postorder[p]!;
    const i = idx - start;
    const insn = env.insns[idx]!;
    recordLoadStore(env, inst, atIn[i]!, idx);
    if (insn.code === (BPF_JMP | BPF_CALL)) recordCall(env, inst, atIn[i]!, idx);
    if (isPseudoCall(insn) || env.aux[idx]!.callsCallback) c.callsiteAtStack.set(idx, stackIn[i]!.slice());
  }
  const info = { atIn };
  if (lvl2) printSubprogArgAccess(c, sub, info, stackIn);
  return info;
}

// kernel: arg_track_join — with its level-2 "arg JOIN" line when a visited value changes.
function joinInto(log: VerifierLog, idx: number, target: number, r: number, arr: ArgTrack[], slot: number, out: ArgTrack): boolean {
  const old = arr[slot]!;
  const nv = argJoin(old, out);
  if (argEq(nv, old)) return false;
  arr[slot] = nv;
  if (log.level & BPF_LOG_LEVEL2 && isVisited(old)) {
    log.write(`arg JOIN insn ${idx} -> ${target} ${regName(r)}${fmtArgTrack(old)} + ${fmtArgTrack(out)} => ${fmtArgTrack(nv)}\n`);
  }
  return true;
}

// kernel: arg_track_log — one line per insn whose transfer changed something.
// Each fragment is its own verbose() call (each capped at 1023 chars).
function logXfer(env: CfgEnv, log: VerifierLog, idx: number, atIn: readonly ArgTrack[], stIn: readonly ArgTrack[], atOut: readonly ArgTrack[], stOut: readonly ArgTrack[]): void {
  let printed = false;
  const add = (name: string, a: ArgTrack, b: ArgTrack) => {
    if (argEq(b, a)) return;
    if (!printed) {
      log.write(`${pad3(idx)}: `);
      log.write(insnText(env, idx));
      printed = true;
    }
    log.write(`\t${name}: `);
    log.write(fmtArgTrack(a));
    log.write(" -> ");
    log.write(fmtArgTrack(b));
  };
  for (let i = 0; i < MAX_BPF_REG; i++) add(`r${i}`, atIn[i]!, atOut[i]!);
  for (let i = 0; i < MAX_STACK_ARG_SLOTS; i++) add(`sa${i}`, atIn[MAX_BPF_REG + i]!, atOut[MAX_BPF_REG + i]!);
  for (let i = 0; i < MAX_ARG_SPILL_SLOTS; i++) add(`fp${-(i + 1) * 8}`, stIn[i]!, stOut[i]!);
  if (printed) log.write("\n");
}

/** kernel: fmt_subprog — "subprog#N name", the name from func_info BTF when there is one. */
function fmtSubprog(env: CfgEnv, sub: number): string {
  const name = env.opts.subprogName?.(sub);
  return name ? `subprog#${sub} ${name}` : `subprog#${sub}`;
}

// kernel: print_subprog_arg_access
function printSubprogArgAccess(c: Ctx, sub: number, info: SubprogAtInfo, stackIn: ArgTrack[][]): void {
  const { env, log } = c;
  const start = env.subprogs[sub]!.start;
  const len = env.subprogs[sub + 1]!.start - start;
  log.write(`${fmtSubprog(env, sub)}:\n`);
  for (let i = 0; i < len; i++) {
    const idx = start + i;
    const insn = env.insns[idx]!;
    const cls = bpfClass(insn.code);
    const lsc = cls === BPF_LDX || cls === BPF_STX || insn.code === (BPF_JMP | BPF_CALL);
    const parts: string[] = [];
    if (lsc && isVisited(info.atIn[i]![0]!)) {
      for (let r = 0; r < MAX_BPF_REG - 1; r++) if (isFp(info.atIn[i]![r]!)) parts.push(` r${r}=`, fmtArgTrack(info.atIn[i]![r]!));
      for (let r = 0; r < MAX_STACK_ARG_SLOTS; r++) {
        const a = info.atIn[i]![MAX_BPF_REG + r]!;
        if (isFp(a)) parts.push(` sa${r}=`, fmtArgTrack(a));
      }
    }
    if (lsc) {
      for (let r = 0; r < MAX_ARG_SPILL_SLOTS; r++) {
        const a = stackIn[i]![r]!;
        if (isFp(a)) parts.push(` fp${-(r + 1) * 8}=`, fmtArgTrack(a));
      }
    }
    log.write(`${pad3(idx)}: `);
    log.write(insnText(env, idx));
    if (parts.length) {
      log.write(" //");
      for (const p of parts) log.write(p);
    }
    log.write("\n");
    if (isLdImm64(insn)) i++;
  }
}

// ---- instances: recursion over calls with FP-derived arguments ----

const hasFpArgs = (args: readonly ArgTrack[]): boolean =>
  [1, 2, 3, 4, 5].some((r) => isFp(args[r]!)) ||
  Array.from({ length: MAX_STACK_ARG_SLOTS }, (_, r) => args[MAX_BPF_REG + r]!).some(isFp);

// kernel: merge_instances — a re-analysis ORs the reads and ANDs the writes.
function mergeInstances(dst: FuncInstance, src: FuncInstance): void {
  for (let f = 0; f <= dst.depth; f++) {
    const s = src.frames[f];
    const d = dst.frames[f];
    if (!s) {
      if (d) d.mustWrite.fill(SPIS_ZERO);
      continue;
    }
    if (!d) {
      dst.frames[f] = s;
      s.mustWrite.fill(SPIS_ZERO);
      continue;
    }
    for (let i = 0; i < dst.insnCnt; i++) {
      d.mayRead[i]! |= s.mayRead[i]!;
      d.mustWrite[i]! &= s.mustWrite[i]!;
    }
  }
}

// kernel: analyze_subprog
function analyzeSubprog(c: Ctx, entry: readonly ArgTrack[] | undefined, instance: FuncInstance): CfgReject | undefined {
  const { env } = c;
  if (++c.l.subprogCalls > SUBPROG_CALLS_LIMIT) {
    return { errno: "E2BIG", message: `liveness analysis exceeded complexity limit (${c.l.subprogCalls} calls)\n` };
  }
  let inst = instance;
  let prev: FuncInstance | undefined;
  // A reused instance records into a fresh one, merged afterwards, so
  // must_write marks of insns this pass does not reach do not linger.
  if (inst.mustWriteInitialized) {
    prev = inst;
    inst = freshInstance(inst);
  }
  const sub = inst.subprog;
  const depth = inst.depth;
  const start = env.subprogs[sub]!.start;
  c.info[sub] = undefined;
  const info = computeSubprogArgs(c, inst, entry);
  c.info[sub] = info;
  const poStart = env.subprogs[sub]!.postorderStart;
  const poEnd = env.subprogs[sub + 1]!.postorderStart;
  for (let p = poStart; p < poEnd; p++) {
    const idx = env.postorder[p]!;
    const j = idx - start;
    const insn = env.insns[idx]!;
    const args: ArgTrack[] = new Array<ArgTrack>(MAX_AT_TRACK_REGS).fill(NONE);
    let callee: number;
    if (isPseudoCall(insn)) {
      callee = findSubprog(env, idx + insn.imm + 1);
      if (callee < 0) continue;
      for (let r = 1; r <= 5; r++) args[r] = info.atIn[j]![r]!;
      for (let r = 0; r < MAX_STACK_ARG_SLOTS; r++) args[MAX_BPF_REG + r] = info.atIn[j]![MAX_BPF_REG + r]!;
    } else if (env.aux[idx]!.callsCallback) {
      const cb = findCallbackSubprog(env, insn, idx);
      if (cb.callee === -2) {
        // Different callbacks on merged paths, given a stack pointer: all of it may be read.
        if (info.atIn[j]![cb.caller]!.frame === ARG_NONE) continue;
        for (let f = 0; f <= depth; f++) markRead(inst, f, idx, SPIS_ALL);
        continue;
      }
      if (cb.callee < 0) continue;
      callee = cb.callee;
      args[cb.calleeReg] = info.atIn[j]![cb.caller]!;
    } else {
      continue;
    }
    // Without FP-derived arguments the callee cannot touch our stack; it is
    // analyzed on its own.
    if (!hasFpArgs(args)) continue;
    if (depth === MAX_CALL_FRAMES - 1) return { errno: "EINVAL", message: "" };
    const calleeInst = callInstance(env, c.l, inst, idx, callee);
    c.callsites[depth] = idx;
    const err = analyzeSubprog(c, args, calleeInst);
    if (err) return err;
    // What the callee reads of our frames on entry is read at the call.
    for (let f = 0; f < calleeInst.depth; f++) {
      const m = calleeInst.frames[f];
      if (m) markRead(inst, f, idx, m.liveBefore[0]!);
    }
  }
  if (prev) {
    mergeInstances(prev, inst);
    inst = prev;
  }
  updateInstance(env, inst);
  return undefined;
}

/**
 * kernel: bpf_compute_subprog_arg_access — analyze every subprog, callers
 * first (reverse topological order); callees reached with FP-derived
 * arguments get their own instance per call site. Then, at level 2, the
 * use/def listing of every instance.
 */
export function computeSubprogArgAccess(env: CfgEnv, log: VerifierLog, l: StackLiveness): CfgReject | undefined {
  const c: Ctx = { env, log, l, callsiteAtStack: new Map(), info: [], callsites: new Array<number>(MAX_CALL_FRAMES).fill(0) };
  for (let k = env.subprogCnt - 1; k >= 0; k--) {
    const sub = env.topoOrder[k]!;
    if (c.info[sub] && !(env.opts.isGlobal?.(sub) ?? false)) continue;
    const inst = callInstance(env, l, undefined, 0, sub);
    const err = analyzeSubprog(c, undefined, inst);
    if (err) return err;
  }
  if (log.level & BPF_LOG_LEVEL2) printInstances(env, log, l);
  return undefined;
}

const spiOff = (spi: number): number => -(spi + 1) * 8;

/** kernel: fmt_spis_mask — "fp0-8", half slots "fp0-4h", runs of 3+ "fp0-8..-24". */
export function fmtSpisMask(frame: number, first: boolean, spis: Spis): string {
  let s = "";
  const half = STACK_SLOTS / 2;
  for (let spi = 0; spi < half; spi++) {
    const lo = spisTest(spis, spi * 2);
    const hi = spisTest(spis, spi * 2 + 1);
    if (!lo && !hi) continue;
    const space = first ? "" : " ";
    if (!lo || !hi) {
      s += `${space}fp${frame}${spiOff(spi) + (lo ? STACK_SLOT_SZ : 0)}h`;
    } else if (spi + 2 < half && [2, 3, 4, 5].every((d) => spisTest(spis, spi * 2 + d))) {
      const runStart = spi;
      while (spi + 1 < half && spisTest(spis, (spi + 1) * 2) && spisTest(spis, (spi + 1) * 2 + 1)) spi++;
      s += `${space}fp${frame}${spiOff(runStart)}..${spiOff(spi)}`;
    } else {
      s += `${space}fp${frame}${spiOff(spi)}`;
    }
    first = false;
  }
  // The kernel formats into tmp_str_buf (TMP_STR_BUF_LEN 320).
  return s.slice(0, 319);
}

/** kernel: bpf_vlog_alignment — pad an insn line to the state column. */
function vlogAlignment(pos: number): number {
  const BPF_LOG_ALIGNMENT = 40;
  const MIN = 8;
  return Math.ceil(Math.max(pos + MIN / 2, BPF_LOG_ALIGNMENT) / MIN) * MIN - pos - 1;
}

// kernel: print_instance
function printInstance(env: CfgEnv, log: VerifierLog, inst: FuncInstance): void {
  const start = env.subprogs[inst.subprog]!.start;
  log.write(`stack use/def ${fmtSubprog(env, inst.subprog)} (d${inst.depth},cs${inst.callsite}):\n`);
  for (let i = 0; i < inst.insnCnt; i++) {
    const idx = start + i;
    const head = `${pad3(idx)}: ${insnText(env, idx)}`;
    const use: string[] = [];
    const def: string[] = [];
    for (let f = inst.depth; f >= 0; f--) {
      const m = inst.frames[f];
      if (m && m.mayRead[i] !== SPIS_ZERO) use.push(fmtSpisMask(f, use.length === 0, m.mayRead[i]!));
    }
    for (let f = inst.depth; f >= 0; f--) {
      const m = inst.frames[f];
      if (m && m.mustWrite[i] !== SPIS_ZERO) def.push(fmtSpisMask(f, def.length === 0, m.mustWrite[i]!));
    }
    log.write(`${pad3(idx)}: `);
    log.write(insnText(env, idx));
    if (use.length || def.length) {
      // "%*c;" with width w prints w characters before the ';' (at least one).
      log.write(" ".repeat(Math.max(vlogAlignment(head.length), 1)) + ";");
      if (use.length) log.write(" use: ");
      for (const u of use) log.write(u);
      if (def.length) log.write(" def: ");
      for (const d of def) log.write(d);
    }
    log.write("\n");
    if (isLdImm64(env.insns[idx]!)) i++;
  }
}

// kernel: print_instances — ordered by callsite, then depth.
function printInstances(env: CfgEnv, log: VerifierLog, l: StackLiveness): void {
  const all = [...l.instances.values()].sort((a, b) => a.callsite - b.callsite || a.depth - b.depth);
  for (const inst of all) printInstance(env, log, inst);
}
