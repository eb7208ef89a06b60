// Function instances of the static stack liveness: per (call site, depth)
// the per-insn, per-frame may_read / must_write / live_before half-slot
// masks, their backward fixpoint, and the walk's liveness query.
// kernel: kernel/bpf/liveness.c (struct func_instance, call_instance,
// update_instance, bpf_live_stack_query_init, bpf_stack_slot_alive)
import { insnSuccessors } from "./check-cfg.js";
import { SPIS_ALL, SPIS_ZERO, type Spis, spisTest } from "./stack-access.js";
import type { CfgEnv } from "./types.js";

/** kernel: MAX_CALL_FRAMES */
export const MAX_CALL_FRAMES = 16;
export const MAX_BPF_REG = 11;
export const MAX_BPF_FUNC_REG_ARGS = 5;
/** kernel: MAX_STACK_ARG_SLOTS (R11 stack arguments 6..12) */
export const MAX_STACK_ARG_SLOTS = 7;
/** R0-R10 then the outgoing stack-arg slots. */
export const MAX_AT_TRACK_REGS = MAX_BPF_REG + MAX_STACK_ARG_SLOTS;
/** Callee stack slots tracked for spills: fp-8 .. fp-512. */
export const MAX_ARG_SPILL_SLOTS = 64;
export const BPF_REG_FP = 10;

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
  /** By depth * 2^32 + callsite: a number key, as the walk looks instances up at every prune point. */
  instances: Map<number, FuncInstance>;
  subprogCalls: number;
}

const key = (callsite: number, depth: number): number => depth * 0x100000000 + callsite;

/** kernel: bpf_stack_liveness_init */
export const newStackLiveness = (): StackLiveness => ({ instances: new Map(), subprogCalls: 0 });

export function findInstance(l: StackLiveness, callsite: number, depth: number): FuncInstance | undefined {
  return l.instances.get(key(callsite, depth));
}

// kernel: call_instance
export function callInstance(env: CfgEnv, l: StackLiveness, caller: FuncInstance | undefined, callsite: number, subprog: number): FuncInstance {
  const depth = caller ? caller.depth + 1 : 0;
  const start = env.subprogs[subprog]!.start;
  const k = depth > 0 ? callsite : start;
  const found = findInstance(l, k, depth);
  if (found) return found;
  const f = freshInstance({ callsite: k, depth, subprog, subprogStart: start, insnCnt: env.subprogs[subprog + 1]!.start - start });
  l.instances.set(key(k, depth), f);
  return f;
}

export function freshInstance(src: Pick<FuncInstance, "callsite" | "depth" | "subprog" | "subprogStart" | "insnCnt">): FuncInstance {
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

export function markRead(inst: FuncInstance, frame: number, idx: number, mask: Spis): void {
  const f = frameMasks(inst, frame, true)!;
  f.mayRead[idx - inst.subprogStart]! |= mask;
}
export function markWrite(inst: FuncInstance, frame: number, idx: number, mask: Spis): void {
  const f = frameMasks(inst, frame, true)!;
  f.mustWrite[idx - inst.subprogStart]! |= mask;
}

// kernel: update_instance / update_insn — backward fixpoint of live_before.
export function updateInstance(env: CfgEnv, inst: FuncInstance): void {
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

export function isLiveBefore(inst: FuncInstance, idx: number, frame: number, halfSpi: number): boolean {
  return spisTest(liveBeforeMask(inst, idx, frame), halfSpi);
}

function liveBeforeMask(inst: FuncInstance, idx: number, frame: number): Spis {
  const f = inst.frames[frame];
  return f ? f.liveBefore[idx - inst.subprogStart] ?? SPIS_ZERO : SPIS_ZERO;
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

/**
 * The half-slots of frame `frameno` stackSlotAlive calls alive, as one mask: the same
 * conditions, OR-ed once instead of re-evaluated for each of a frame's slots. -1n (every bit
 * set) where stackSlotAlive answers true whatever the slot.
 */
export function stackLiveMask(env: CfgEnv, q: LiveStackQuery, frameno: number): Spis {
  const cur = q.instances[q.curframe];
  if (!cur) return -1n;
  let m = SPIS_ZERO;
  const rel = frameno + cur.depth - q.curframe;
  if (rel <= cur.depth) m |= liveBeforeMask(cur, q.insnIdx, rel);
  for (let i = frameno; i < q.curframe; i++) {
    const inst = q.instances[i];
    if (!inst) return -1n;
    const r = frameno + inst.depth - i;
    if (r > inst.depth) return -1n;
    const cs = q.callsites[i]!;
    m |= liveBeforeMask(inst, env.aux[cs]!.callsCallback ? cs : cs + 1, r);
  }
  return m;
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

