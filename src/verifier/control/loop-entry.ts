// Loop entries on the current DFS path, and the widening of imprecise
// scalars that lets bounded-by-construction loops (may_goto, bpf_loop
// callbacks, open-coded iterators) converge instead of being unrolled.
// kernel: verifier.c (find_prev_entry, same_callsites, maybe_widen_reg,
// widen_imprecise_scalars)
import type { VerifierEnv } from "../env.js";
import type { RegState, VerifierState } from "../state/types.js";
import { BPF_REG_SIZE, MAX_BPF_REG, STACK_SPILL } from "../state/types.js";
import { markRegUnknown } from "../state/reg.js";
import { exploredBucket, sameValueAndPayload } from "../explore/states.js";

/** kernel: same_callsites */
export function sameCallsites(a: VerifierState, b: VerifierState): boolean {
  if (a.curframe !== b.curframe) return false;
  for (let fr = a.curframe; fr >= 0; fr--) {
    if (a.frame[fr]!.callsite !== b.frame[fr]!.callsite) return false;
  }
  return true;
}

/**
 * kernel: find_prev_entry — the most recent checkpoint at `insnIdx` that is
 * still on the current path (branches > 0), in the same call chain and
 * shallower than `cur`: the previous iteration of the loop.
 */
export function findPrevEntry(env: VerifierEnv, cur: VerifierState | null, insnIdx: number): VerifierState | null {
  if (!cur) return null;
  const list = exploredBucket(env, insnIdx);
  // Explored lists keep the newest checkpoint first, as the kernel's.
  for (const sl of list) {
    const st = sl.state;
    if (st.insnIdx === insnIdx && st.branches && sameCallsites(st, cur) && st.dfsDepth < cur.dfsDepth) return st;
  }
  return null;
}

/** kernel: maybe_widen_reg — a scalar that changed between iterations and nobody needs precise becomes unknown. */
function maybeWidenReg(env: VerifierEnv, rold: RegState, rcur: RegState): void {
  if (rold.type !== "SCALAR_VALUE" || rcur.type !== "SCALAR_VALUE") return;
  if (rold.precise || rcur.precise || sameValueAndPayload(rold, rcur, true)) return;
  markRegUnknown(rcur, env.bpfCapable);
}

/** kernel: widen_imprecise_scalars */
export function widenImpreciseScalars(env: VerifierEnv, old: VerifierState, cur: VerifierState): void {
  for (let fr = old.curframe; fr >= 0; fr--) {
    const fold = old.frame[fr]!, fcur = cur.frame[fr]!;
    for (let i = 0; i < MAX_BPF_REG; i++) maybeWidenReg(env, fold.regs[i]!, fcur.regs[i]!);
    const slots = Math.min(fold.allocatedStack, fcur.allocatedStack) / BPF_REG_SIZE;
    for (let i = 0; i < slots; i++) {
      const so = fold.stack[i]!, sc = fcur.stack[i]!;
      if (so.slotType[BPF_REG_SIZE - 1] !== STACK_SPILL || sc.slotType[BPF_REG_SIZE - 1] !== STACK_SPILL) continue;
      maybeWidenReg(env, so.spilledPtr, sc.spilledPtr);
    }
  }
}
