// Static stack liveness per function instance (a subprog at a call depth,
// reached from a call site): which stack half-slots each insn may read
// (use) or surely writes (def), in its own and its callers' frames, and the
// slots live before each insn. The walk asks stackSlotAlive() when it
// compares states; level 2 prints the analysis and the use/def listings.
// kernel: kernel/bpf/liveness.c (bpf_compute_subprog_arg_access,
// analyze_subprog, compute_subprog_args)
import type { VerifierLog } from "../log/vlog.js";
import { BPF_LOG_LEVEL2 } from "../log/vlog.js";
import { ARG_NONE, type ArgTrack, NONE, UNVISITED, argSingle, isFp, isVisited } from "./arg-track.js";
import { type XferCtx, xfer } from "./arg-xfer.js";
import { insnSuccessors } from "./check-cfg.js";
import {
  BPF_REG_FP, type FuncInstance, MAX_ARG_SPILL_SLOTS, MAX_AT_TRACK_REGS, MAX_BPF_REG, MAX_CALL_FRAMES,
  MAX_STACK_ARG_SLOTS, type StackLiveness, callInstance, freshInstance, markRead, updateInstance,
} from "./liveness-instances.js";
import { joinInto, logXfer, printInstances, printSubprogArgAccess } from "./liveness-print.js";
import { findCallbackSubprog, recordCall, recordLoadStore } from "./liveness-record.js";
import { BPF_CALL, BPF_JMP, BPF_LDX, BPF_ST, BPF_STX, bpfClass, isPseudoCall } from "./opcodes.js";
import { SPIS_ALL, SPIS_ZERO } from "./stack-access.js";
import { findSubprog } from "./subprogs.js";
import type { CfgEnv, CfgReject } from "./types.js";

export { liveStackQueryInit, newStackLiveness, stackLiveMask, stackSlotAlive } from "./liveness-instances.js";
export { spisTest } from "./stack-access.js";
export type { FuncInstance, LiveStackQuery, StackLiveness } from "./liveness-instances.js";
export { fmtSpisMask } from "./liveness-print.js";

const SUBPROG_CALLS_LIMIT = 10000;
const NO_STACK: ArgTrack[] = Object.freeze([]) as unknown as ArgTrack[];

interface Ctx extends XferCtx {
  env: CfgEnv;
  log: VerifierLog;
  l: StackLiveness;
  /** kernel: subprog_at_info — the last analysis' at_in per subprog. */
  info: (ArgTrack[][] | undefined)[];
}

function computeSubprogArgs(c: Ctx, inst: FuncInstance, calleeEntry: readonly ArgTrack[] | undefined): ArgTrack[][] {
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
  // The spilled-slot inputs, one row of MAX_ARG_SPILL_SLOTS per insn, in one flat array: a
  // large program would otherwise allocate (and the GC copy) an array per insn.
  const SW = MAX_ARG_SPILL_SLOTS;
  const stackIn: ArgTrack[] = new Array<ArgTrack>(len * SW).fill(UNVISITED);
  const stackRow = (i: number): ArgTrack[] => stackIn.slice(i * SW, i * SW + SW);
  if (len > 0) {
    atIn[0]!.fill(NONE);
    atIn[0]![BPF_REG_FP] = argSingle(depth, 0);
    if (calleeEntry) for (let r = 1; r <= 5; r++) atIn[0]![r] = calleeEntry[r]!;
    stackIn.fill(NONE, 0, SW);
  }
  const stackArgEntry: ArgTrack[] = [];
  for (let r = 0; r < MAX_STACK_ARG_SLOTS; r++) stackArgEntry.push(calleeEntry ? calleeEntry[MAX_BPF_REG + r]! : NONE);
  if (lvl2) log.write(`subprog#${sub}: analyzing (depth ${depth})...\n`);

  // An insn whose input did not change since its last transfer would only re-join what its
  // successors already hold (the join is idempotent): without the level-2 listing, which prints
  // every transfer, such insns are skipped. The changes, and their order, stay the same.
  const stale = lvl2 ? null : new Uint8Array(len).fill(1);
  let changed = true;
  while (changed) {
    changed = false;
    for (let p = poEnd - 1; p >= poStart; p--) {
      const idx = env.postorder[p]!;
      const i = idx - start;
      if (!isVisited(atIn[i]![0]!) && !isVisited(atIn[i]![1]!)) continue;
      if (stale) {
        if (!stale[i]) continue;
        stale[i] = 0;
      }
      const insn = env.insns[idx]!;
      const out = atIn[i]!.slice();
      // xfer reads the spill slots only for loads and writes them only for stores: the other
      // insns pass their input row on as is, without a copy (a frozen row catches a change).
      const cls = bpfClass(insn.code);
      const stackOut = lvl2 || cls === BPF_LDX || cls === BPF_ST || cls === BPF_STX ? stackRow(i) : null;
      xfer(c, insn, out, stackOut ?? NO_STACK, stackArgEntry, depth);
      if (lvl2) logXfer(env, log, idx, atIn[i]!, stackRow(i), out, stackOut!);
      for (const target of insnSuccessors(env, idx)) {
        if (target < start || target >= end) continue;
        const ti = target - start;
        let tchanged = false;
        for (let r = 0; r < MAX_AT_TRACK_REGS; r++) tchanged = joinInto(log, idx, target, r, atIn[ti]!, r, out[r]!) || tchanged;
        for (let r = 0; r < SW; r++) {
          const v = stackOut ? stackOut[r]! : stackIn[i * SW + r]!;
          tchanged = joinInto(log, idx, target, -r - 1, stackIn, ti * SW + r, v) || tchanged;
        }
        if (tchanged) {
          changed = true;
          if (stale) stale[ti] = 1;
        }
      }
    }
  }

  for (let p = poEnd - 1; p >= poStart; p--) {
    const idx = env.postorder[p]!;
    const i = idx - start;
    const insn = env.insns[idx]!;
    recordLoadStore(env, inst, atIn[i]!, idx);
    if (insn.code === (BPF_JMP | BPF_CALL)) recordCall(env, inst, atIn[i]!, idx);
    if (isPseudoCall(insn) || env.aux[idx]!.callsCallback) c.callsiteAtStack.set(idx, stackRow(i));
  }
  if (lvl2) printSubprogArgAccess(env, log, sub, atIn, Array.from({ length: len }, (_, i) => stackRow(i)));
  return atIn;
}

// kernel: arg_track_join — with its level-2 "arg JOIN" line when a visited value changes.

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
      for (let r = 1; r <= 5; r++) args[r] = info[j]![r]!;
      for (let r = 0; r < MAX_STACK_ARG_SLOTS; r++) args[MAX_BPF_REG + r] = info[j]![MAX_BPF_REG + r]!;
    } else if (env.aux[idx]!.callsCallback) {
      const cb = findCallbackSubprog(env, insn, idx);
      if (cb.callee === -2) {
        // Different callbacks on merged paths, given a stack pointer: all of it may be read.
        if (info[j]![cb.caller]!.frame === ARG_NONE) continue;
        for (let f = 0; f <= depth; f++) markRead(inst, f, idx, SPIS_ALL);
        continue;
      }
      if (cb.callee < 0) continue;
      callee = cb.callee;
      args[cb.calleeReg] = info[j]![cb.caller]!;
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

