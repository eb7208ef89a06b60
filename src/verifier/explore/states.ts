// Checkpoints and pruning: is the current state covered by one already
// proven safe at this instruction?
// kernel: kernel/bpf/states.c (bpf_is_state_visited, states_equal, regsafe,
// stacksafe, refsafe, check_ids, range_within)
import type { VerifierEnv, StateListEntry } from "../env.js";
import type { FuncState, RegState, VerifierState } from "../state/types.js";
import { BPF_ADD_CONST, BPF_REG_FP, BPF_REG_SIZE, MAX_BPF_REG, STACK_DYNPTR, STACK_INVALID, STACK_IRQ_FLAG, STACK_ITER, STACK_MISC, STACK_POISON, STACK_SPILL, STACK_ZERO } from "../state/types.js";
import { copyVerifierState } from "../state/func.js";
import { newReg, markRegUnknownImprecise, markRegNotInit } from "../state/reg.js";
import { registerIsNull } from "../state/reg-query.js";
import { liveStackQueryInit } from "../cfg/index.js";
import { spisTest, stackLiveMask } from "../cfg/stack-liveness.js";
import type { Cnum, Tnum } from "../state/scalar-bridge.js";
import { printVerifierState } from "../log/print-state.js";
import { verboseLinfo, pushJmpHistory } from "./do-check.js";
import { markAllScalarsImprecise, propagatePrecision } from "../precision/mark.js";
import { addSccBackedge, incompleteReadMarks, maybeEnterScc } from "../precision/scc.js";
import { reject } from "../reject.js";
import { iterActiveDepthsDiffer, loopEntryVerdict } from "../control/loop-states.js";

type Exact = "NOT_EXACT" | "EXACT" | "RANGE_WITHIN";

/** Maps old ids to current ids while two states are compared (kernel: struct bpf_idmap). */
class IdMap {
  // Parallel arrays searched linearly, as the kernel's idmap: a state has few ids, and a
  // Map cleared on every states_equal call cost more than the comparisons themselves.
  private olds: number[] = [];
  private curs: number[] = [];
  private cnt = 0;
  tmpIdGen = 0;
  reset(idGen: number): void {
    this.cnt = 0;
    this.tmpIdGen = idGen;
  }
  /** kernel: check_ids */
  check(oldId: number, curId: number): boolean {
    if (!!oldId !== !!curId) return false;
    if (oldId === 0) return true;
    const { olds, curs, cnt } = this;
    for (let i = 0; i < cnt; i++) {
      // An id already used as a target by another old id breaks the bijection.
      if (olds[i] === oldId) return curs[i] === curId;
      if (curs[i] === curId) return false;
    }
    olds[cnt] = oldId;
    curs[cnt] = curId;
    this.cnt = cnt + 1;
    return true;
  }
  /** kernel: check_scalar_ids — a current scalar without id gets a fresh one, so it can map once. */
  checkScalar(oldId: number, curId: number): boolean {
    if (!oldId) return true;
    const cur = curId ? curId : ++this.tmpIdGen;
    if (!this.check(oldId, cur)) return false;
    // r3 = r2 + K links r3 to r2's base id: the base ids must map consistently too.
    if (oldId & BPF_ADD_CONST) return this.check(oldId & ~BPF_ADD_CONST, cur & ~BPF_ADD_CONST);
    return true;
  }
}

const U64 = (1n << 64n) - 1n;
const U32 = (1n << 32n) - 1n;

/** kernel: cnum_is_subset(outer, inner) — every value of inner is in outer. */
function cnumSubset(outer: Cnum, inner: Cnum, umax: bigint): boolean {
  // An arc contains itself (d = 0 below); copied states share their cnum objects.
  if (outer === inner || outer.size === umax) return true;
  const emptyInner = inner.base === umax && inner.size === umax;
  if (emptyInner) return true;
  if (inner.size > outer.size) return false;
  const d = (inner.base - outer.base) & umax;
  return d <= outer.size && d + inner.size <= outer.size;
}

function rangeWithin(old: RegState, cur: RegState): boolean {
  return cnumSubset(old.r64, cur.r64, U64) && cnumSubset(old.r32, cur.r32, U32);
}

/** kernel: tnum_in(a, b) — b's values are all in a. */
function tnumIn(a: Tnum, b: Tnum): boolean {
  if (b.mask & ~a.mask & U64) return false;
  return (b.value & ~a.mask & U64) === (a.value & U64);
}

/** The fields before `id` in struct bpf_reg_state (what regs_exact memcmp's). */
export function sameValueAndPayload(a: RegState, b: RegState, withVarOff: boolean): boolean {
  if (a.type !== b.type || a.flags !== b.flags || a.delta !== b.delta) return false;
  if (a.range !== b.range || a.map !== b.map || a.mapUid !== b.mapUid || a.btf !== b.btf || a.btfId !== b.btfId) return false;
  if (a.memSize !== b.memSize || a.dynptrType !== b.dynptrType || a.dynptrFirstSlot !== b.dynptrFirstSlot) return false;
  if (a.iterState !== b.iterState || a.iterDepth !== b.iterDepth || a.irqKfuncClass !== b.irqKfuncClass || a.subprogno !== b.subprogno) return false;
  if (!withVarOff) return true;
  // Copied states share their tnum/cnum objects: compare the BigInts only when those differ.
  return (a.varOff === b.varOff || (a.varOff.value === b.varOff.value && a.varOff.mask === b.varOff.mask)) &&
    (a.r64 === b.r64 || (a.r64.base === b.r64.base && a.r64.size === b.r64.size)) &&
    (a.r32 === b.r32 || (a.r32.base === b.r32.base && a.r32.size === b.r32.size));
}

function regsExact(old: RegState, cur: RegState, idmap: IdMap): boolean {
  return sameValueAndPayload(old, cur, true) && idmap.check(old.id, cur.id) && idmap.check(old.parentId, cur.parentId);
}

/** kernel: regsafe */
function regsafe(env: VerifierEnv, rold: RegState, rcur: RegState, idmap: IdMap, exact: Exact): boolean {
  if (exact === "EXACT") return regsExact(rold, rcur, idmap);
  if (rold.type === "NOT_INIT") return true;
  if (rold.type !== rcur.type || rold.flags !== rcur.flags) return false;
  switch (rold.type) {
    case "SCALAR_VALUE": {
      const precise = rold.precise || env.precisionConservative;
      if (!precise && exact === "NOT_EXACT") return true;
      if (rold.id && (rold.id & BPF_ADD_CONST) !== (rcur.id & BPF_ADD_CONST)) return false;
      if ((rold.id & BPF_ADD_CONST) && rold.delta !== rcur.delta) return false;
      if (!idmap.checkScalar(rold.id, rcur.id)) return false;
      return rangeWithin(rold, rcur) && tnumIn(rold.varOff, rcur.varOff);
    }
    case "PTR_TO_MAP_KEY":
    case "PTR_TO_MAP_VALUE":
    case "PTR_TO_MEM":
    case "PTR_TO_BUF":
    case "PTR_TO_TP_BUFFER":
      return sameValueAndPayload(rold, rcur, false) && rangeWithin(rold, rcur) && tnumIn(rold.varOff, rcur.varOff) &&
        idmap.check(rold.id, rcur.id) && idmap.check(rold.parentId, rcur.parentId);
    case "PTR_TO_PACKET_META":
    case "PTR_TO_PACKET":
      if (rold.range < 0 || rcur.range < 0) {
        if (rold.range !== rcur.range) return false;
      } else if (rold.range > rcur.range) return false;
      if (!idmap.check(rold.id, rcur.id)) return false;
      if (rold.id && rold.r64.base !== rcur.r64.base) return false;
      return rangeWithin(rold, rcur) && tnumIn(rold.varOff, rcur.varOff);
    case "PTR_TO_STACK":
      return regsExact(rold, rcur, idmap) && rold.frameno === rcur.frameno;
    case "PTR_TO_ARENA":
      return true;
    case "PTR_TO_INSN":
      return sameValueAndPayload(rold, rcur, false) && rangeWithin(rold, rcur) && tnumIn(rold.varOff, rcur.varOff);
    default:
      return regsExact(rold, rcur, idmap);
  }
}

const UNBOUND_REG: RegState = (() => {
  const r = newReg();
  markRegUnknownImprecise(r);
  return r;
})();

function scalarRegForStack(env: VerifierEnv, f: FuncState, spi: number, im: number): RegState | null {
  const slot = f.stack[spi]!;
  if (slot.slotType[im] === STACK_SPILL && slot.spilledPtr.type === "SCALAR_VALUE") return slot.spilledPtr;
  for (let i = im; i < BPF_REG_SIZE; i++) {
    const t = slot.slotType[i];
    if (t === STACK_MISC || ((t === STACK_INVALID || t === STACK_POISON) && env.allowUninitStack)) continue;
    return null;
  }
  return UNBOUND_REG;
}

/** kernel: stacksafe */
function stacksafe(env: VerifierEnv, old: FuncState, cur: FuncState, idmap: IdMap, exact: Exact): boolean {
  for (let i = 0; i < old.allocatedStack; i++) {
    const im = i % BPF_REG_SIZE;
    const spi = (i / BPF_REG_SIZE) | 0;
    const oldT = old.stack[spi]!.slotType[im]!;
    if (exact === "EXACT") {
      const o = oldT === STACK_POISON ? STACK_INVALID : oldT;
      let c = i < cur.allocatedStack ? cur.stack[spi]!.slotType[im]! : STACK_INVALID;
      if (c === STACK_POISON) c = STACK_INVALID;
      if (i >= cur.allocatedStack || o !== c) return false;
    }
    if (oldT === STACK_INVALID || oldT === STACK_POISON) continue;
    if (env.allowUninitStack && oldT === STACK_MISC) continue;
    if (i >= cur.allocatedStack) return false;
    if (im === 0 || im === 4) {
      const oldReg = scalarRegForStack(env, old, spi, im);
      const curReg = scalarRegForStack(env, cur, spi, im);
      if (oldReg && curReg) {
        if (!regsafe(env, oldReg, curReg, idmap, exact)) return false;
        i += im === 0 ? BPF_REG_SIZE - 1 : 3;
        continue;
      }
    }
    const curT = cur.stack[spi]!.slotType[im]!;
    if (oldT === STACK_MISC && curT === STACK_ZERO) continue;
    if (oldT !== curT) return false;
    if (im !== BPF_REG_SIZE - 1) continue;
    const o = old.stack[spi]!.spilledPtr, c = cur.stack[spi]!.spilledPtr;
    switch (old.stack[spi]!.slotType[BPF_REG_SIZE - 1]) {
      case STACK_SPILL:
        if (!regsafe(env, o, c, idmap, exact)) return false;
        break;
      case STACK_DYNPTR:
        if (o.dynptrType !== c.dynptrType || o.dynptrFirstSlot !== c.dynptrFirstSlot || !idmap.check(o.id, c.id) || !idmap.check(o.parentId, c.parentId)) return false;
        break;
      case STACK_ITER:
        if (o.type !== c.type || o.btf !== c.btf || o.btfId !== c.btfId || o.iterState !== c.iterState || !idmap.check(o.id, c.id)) return false;
        break;
      case STACK_IRQ_FLAG:
        if (!idmap.check(o.id, c.id) || o.irqKfuncClass !== c.irqKfuncClass) return false;
        break;
      case STACK_MISC:
      case STACK_ZERO:
      case STACK_INVALID:
      case STACK_POISON:
        continue;
      default:
        return false;
    }
  }
  return true;
}

function stackArgSafe(env: VerifierEnv, old: FuncState, cur: FuncState, idmap: IdMap, exact: Exact): boolean {
  const n = Math.max(old.outStackArgCnt, cur.outStackArgCnt);
  const notInit = newReg();
  for (let i = 0; i < n; i++) {
    const o = i < old.outStackArgCnt ? old.stackArgRegs[i]! : notInit;
    const c = i < cur.outStackArgCnt ? cur.stackArgRegs[i]! : notInit;
    if (!regsafe(env, o, c, idmap, exact)) return false;
  }
  return true;
}

/** kernel: refsafe */
function refsafe(old: VerifierState, cur: VerifierState, idmap: IdMap): boolean {
  if (old.refs.length !== cur.refs.length) return false;
  if (old.activeLocks !== cur.activeLocks || old.activePreemptLocks !== cur.activePreemptLocks || old.activeRcuLocks !== cur.activeRcuLocks) return false;
  if (!idmap.check(old.activeIrqId, cur.activeIrqId)) return false;
  if (!idmap.check(old.activeLockId, cur.activeLockId) || old.activeLockPtr !== cur.activeLockPtr) return false;
  for (let i = 0; i < old.refs.length; i++) {
    const o = old.refs[i]!, c = cur.refs[i]!;
    if (!idmap.check(o.id, c.id) || o.type !== c.type) return false;
    if (o.type === "REF_TYPE_PTR" && !idmap.check(o.parentId, c.parentId)) return false;
    if ((o.type === "REF_TYPE_LOCK" || o.type === "REF_TYPE_RES_LOCK" || o.type === "REF_TYPE_RES_LOCK_IRQ") && o.ptr !== c.ptr) return false;
  }
  return true;
}

/** The insn a frame was at: the callsite of the next frame, or the state's insn (kernel: bpf_frame_insn_idx). */
function frameInsnIdx(st: VerifierState, frame: number): number {
  return frame === st.curframe ? st.insnIdx : st.frame[frame + 1]!.callsite;
}

function funcStatesEqual(env: VerifierEnv, old: FuncState, cur: FuncState, insnIdx: number, exact: Exact, idmap: IdMap): boolean {
  const live = env.insnAux[insnIdx]!.liveRegsBefore;
  if (old.callbackDepth > cur.callbackDepth) return false;
  if (!old.noStackArgLoad && cur.noStackArgLoad) return false;
  for (let i = 0; i < MAX_BPF_REG; i++) {
    if (((1 << i) & live) && !regsafe(env, old.regs[i]!, cur.regs[i]!, idmap, exact)) return false;
  }
  return stacksafe(env, old, cur, idmap, exact) && stackArgSafe(env, old, cur, idmap, exact);
}

const idmapScratch = new IdMap();

/** kernel: states_equal */
export function statesEqual(env: VerifierEnv, old: VerifierState, cur: VerifierState, exact: Exact): boolean {
  if (old.curframe !== cur.curframe) return false;
  idmapScratch.reset(env.idGen);
  if (old.speculative && !cur.speculative) return false;
  if (old.inSleepable !== cur.inSleepable) return false;
  if (!refsafe(old, cur, idmapScratch)) return false;
  for (let i = 0; i <= old.curframe; i++) {
    if (old.frame[i]!.callsite !== cur.frame[i]!.callsite) return false;
    if (!funcStatesEqual(env, old.frame[i]!, cur.frame[i]!, frameInsnIdx(old, i), exact, idmapScratch)) return false;
  }
  return true;
}

/** kernel: states_maybe_looping — a cheap exact pre-check for infinite loops. */
function statesMaybeLooping(old: VerifierState, cur: VerifierState): boolean {
  if (old.curframe !== cur.curframe) return false;
  const fold = old.frame[old.curframe]!, fcur = cur.frame[cur.curframe]!;
  for (let i = 0; i < MAX_BPF_REG; i++) {
    if (!sameValueAndPayload(fold.regs[i]!, fcur.regs[i]!, true)) return false;
  }
  return true;
}

function updatePeakStates(env: VerifierEnv): void {
  const cur = env.exploredStatesSize + env.freeListSize + env.prec.numBackedges;
  if (cur > env.peakStates) env.peakStates = cur;
}

/** Every register of a state: R0-R10, spilled registers, outgoing stack args (kernel: bpf_for_each_reg_in_vstate). */
function forEachReg(st: VerifierState, fn: (r: RegState) => void): void {
  for (let i = 0; i <= st.curframe; i++) {
    const f = st.frame[i]!;
    for (let j = 0; j < MAX_BPF_REG; j++) fn(f.regs[j]!);
    for (let j = 0; j < f.allocatedStack / BPF_REG_SIZE; j++) {
      if (f.stack[j]!.slotType[BPF_REG_SIZE - 1] === STACK_SPILL) fn(f.stack[j]!.spilledPtr);
    }
    for (let j = 0; j < f.outStackArgCnt; j++) if (f.stackArgRegs[j]!.type !== "NOT_INIT") fn(f.stackArgRegs[j]!);
  }
}

/**
 * kernel: bpf_clear_singular_ids — a scalar id nobody else shares links
 * nothing; dropping it lets the checkpoint match more states.
 */
function clearSingularIds(st: VerifierState): void {
  const cnt = new Map<number, number>();
  const base = (r: RegState): number => (r.id & ~BPF_ADD_CONST) >>> 0;
  forEachReg(st, (r) => {
    if (r.type === "SCALAR_VALUE" && r.id) cnt.set(base(r), (cnt.get(base(r)) ?? 0) + 1);
  });
  forEachReg(st, (r) => {
    if (r.type === "SCALAR_VALUE" && r.id && cnt.get(base(r)) === 1) {
      r.id = 0;
      r.delta = 0;
    }
  });
}

/**
 * kernel: clean_verifier_state, __clean_func_state — forget registers and
 * stack halves nothing reads any more, so that comparisons and the
 * checkpoint ignore them (dead halves become STACK_POISON).
 */
function cleanVerifierState(env: VerifierEnv, st: VerifierState): void {
  const l = env.stackLiveness;
  const q = l ? liveStackQueryInit(env.cfg, l, st.frame.slice(0, st.curframe + 1), st.insnIdx) : null;
  for (let fr = 0; fr <= st.curframe; fr++) {
    const f = st.frame[fr]!;
    const live = env.insnAux[frameInsnIdx(st, fr)]!.liveRegsBefore;
    for (let r = 0; r < BPF_REG_FP; r++) if (!(live & (1 << r))) markRegNotInit(f.regs[r]!, env.bpfCapable);
    if (!q) continue;
    const liveMask = stackLiveMask(env.cfg, q, fr);
    for (let spi = 0; spi < f.allocatedStack / BPF_REG_SIZE; spi++) {
      const loLive = spisTest(liveMask, spi * 2);
      const hiLive = spisTest(liveMask, spi * 2 + 1);
      if (loLive && hiLive) continue;
      const slot = f.stack[spi]!;
      const stype = slot.slotType[BPF_REG_SIZE - 1];
      // Special slots keep their type: overwrite and double-create checks need it.
      if (stype === STACK_DYNPTR || stype === STACK_ITER || stype === STACK_IRQ_FLAG) continue;
      if (!hiLive) {
        const spill = slot.spilledPtr;
        if (loLive && stype === STACK_SPILL) {
          // Pointer spills keep their metadata so partial fills still reject.
          if (spill.type !== "SCALAR_VALUE") continue;
          // Degrading a zero to STACK_ZERO would need precision marking.
          if (registerIsNull(spill)) continue;
          for (let j = 0; j < 4; j++) if (slot.slotType[j] === STACK_SPILL) slot.slotType[j] = STACK_MISC;
        }
        markRegNotInit(spill, env.bpfCapable);
      }
      const start = loLive ? BPF_REG_SIZE / 2 : 0;
      const end = hiLive ? BPF_REG_SIZE / 2 : BPF_REG_SIZE;
      for (let j = start; j < end; j++) slot.slotType[j] = STACK_POISON;
    }
  }
}

/**
 * kernel: bpf_explored_state — the checkpoint list `insnIdx` is looked up in. The kernel hashes
 * (insn ^ callsite of the innermost frame) over prog->len buckets, so checkpoints made at the
 * same insn under another call site are never seen: a static subprog called twice gets fresh
 * checkpoints in the second call, as if nothing had been explored, which decides where the
 * jmps/insns heuristics add states (tools2.bpf.o/usdt_probe: bpf_usdt_arg called for arg 0 and 1).
 * The callsite of the main frame is -1: the unsigned modulo of a negative xor is kept.
 */
export function exploredBucket(env: VerifierEnv, insnIdx: number): StateListEntry[] {
  const cur = env.curState;
  const key = ((insnIdx ^ cur.frame[cur.curframe]!.callsite) >>> 0) % env.insns.length;
  let list = env.explored.get(key);
  if (!list) {
    list = [];
    env.explored.set(key, list);
  }
  return list;
}

/**
 * kernel: bpf_is_state_visited — returns true when the current state is
 * covered by an explored one (prune), false after maybe recording a checkpoint.
 */
export function isStateVisited(env: VerifierEnv, insnIdx: number): boolean {
  const cur = env.curState;
  const aux = env.insnAux[insnIdx]!;
  const forceNewState = env.testStateFreq || aux.forceCheckpoint || cur.jmpHistory.length > 40;
  let addNewState = forceNewState;
  if (env.jmpsProcessed - env.prevJmpsProcessed >= 2 && env.insnProcessed - env.prevInsnProcessed >= 8) addNewState = true;

  cleanVerifierState(env, cur);

  const list = exploredBucket(env, insnIdx);
  let statesCnt = 0;
  // missed() may evict the entry being looked at (and only that one): walk by index, not over a copy.
  for (let li = 0; li < list.length; ) {
    const sl = list[li]!;
    statesCnt++;
    // A bucket also holds other insns' checkpoints: they count towards max_states_per_insn only.
    if (sl.state.insnIdx !== insnIdx) {
      li++;
      continue;
    }
    let loopHit = false;
    if (sl.state.branches) {
      // The explored state is still on the current path: a loop.
      const verdict = loopEntryVerdict(env, sl.state, cur, insnIdx, statesEqual);
      if (verdict === "check" && statesMaybeLooping(sl.state, cur) && statesEqual(env, sl.state, cur, "EXACT") &&
          !iterActiveDepthsDiffer(sl.state, cur) &&
          sl.state.mayGotoDepth === cur.mayGotoDepth && sl.state.callbackUnrollDepth === cur.callbackUnrollDepth) {
        verboseLinfo(env, insnIdx, "; ");
        env.verbose(`infinite loop detected at insn ${insnIdx}\n`);
        env.verbose("cur state:");
        printVerifierState(env, cur, cur.curframe, true, env.btfTypeNamer);
        env.verbose("old state:");
        printVerifierState(env, sl.state, cur.curframe, true, env.btfTypeNamer);
        reject(env, "EINVAL", "");
      }
      if (verdict === "hit") {
        loopHit = true;
      } else {
        if (!forceNewState && env.jmpsProcessed - env.prevJmpsProcessed < 20 && env.insnProcessed - env.prevInsnProcessed < 100) addNewState = false;
        if (!missed(env, list, sl, addNewState, insnIdx)) li++;
        continue;
      }
    }
    // A checkpoint in a loop whose exits are not all explored has incomplete
    // precision marks: compare as if every scalar were precise.
    const loop = loopHit || (!env.precisionConservative && incompleteReadMarks(env, sl.state));
    if (loopHit || statesEqual(env, sl.state, cur, loop ? "RANGE_WITHIN" : "NOT_EXACT")) {
      sl.hitCnt++;
      if (!env.precisionConservative) {
        // What the old state needed precise, the current path's parents need too.
        if (env.insnAux[env.insnIdx]!.jmpPoint) pushJmpHistory(env);
        propagatePrecision(env, sl.state, cur, null);
        if (loop) {
          const backedge = copyVerifierState(cur);
          backedge.equalState = sl.state;
          backedge.insnIdx = insnIdx;
          addSccBackedge(env, sl.state, backedge);
        }
      }
      return true;
    }
    if (!missed(env, list, sl, addNewState, insnIdx)) li++;
  }
  if (env.maxStatesPerInsn < statesCnt) env.maxStatesPerInsn = statesCnt;
  if (!addNewState) return false;

  env.totalStates++;
  env.exploredStatesSize++;
  updatePeakStates(env);
  env.prevJmpsProcessed = env.jmpsProcessed;
  env.prevInsnProcessed = env.insnProcessed;
  if (!env.precisionConservative) markAllScalarsImprecise(cur);
  clearSingularIds(cur);
  const saved = copyVerifierState(cur);
  saved.insnIdx = insnIdx;
  // The checkpoint keeps the history that led to it: backtracking walks it (kernel: copy, then clear cur's).
  if (!env.precisionConservative) maybeEnterScc(env, saved);
  cur.parent = saved;
  cur.firstInsnIdx = insnIdx;
  cur.dfsDepth = saved.dfsDepth + 1;
  cur.jmpHistory = [];
  list.unshift({ state: saved, missCnt: 0, hitCnt: 0, inFreeList: false });
  return false;
}

/** Returns true when `sl` was evicted from `list`. */
function missed(env: VerifierEnv, list: StateListEntry[], sl: StateListEntry, addNewState: boolean, insnIdx: number): boolean {
  if (addNewState) sl.missCnt++;
  const n = env.insnAux[insnIdx]!.forceCheckpoint && sl.state.branches > 0 ? 64 : 3;
  if (sl.missCnt > sl.hitCnt * n + n) {
    // Evicted: the kernel moves it to a free list that still counts towards peak_states
    // until the state can be freed; we approximate by freeing when no branch is pending.
    const i = list.indexOf(sl);
    if (i >= 0) list.splice(i, 1);
    env.exploredStatesSize--;
    if (sl.state.branches > 0) env.freeListSize++;
    return i >= 0;
  }
  return false;
}
