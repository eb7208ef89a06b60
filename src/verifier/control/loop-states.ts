// What a checkpoint still on the current path (branches > 0) means when the
// walk comes back to its insn: bounded loops whose bound the verifier trusts
// by construction (open-coded iterators, may_goto, callback-calling helpers)
// converge on a RANGE_WITHIN match; anything else may be an infinite loop.
// kernel: states.c (the sl->state.branches part of bpf_is_state_visited,
// iter_active_depths_differ)
import type { VerifierEnv } from "../env.js";
import type { VerifierState } from "../state/types.js";
import { BPF_REG_SIZE, STACK_ITER } from "../state/types.js";
import { isMayGoto } from "../cfg/opcodes.js";

/**
 * "hit": the current state is a converged iteration (prune it, as a loop hit);
 * "skip": no infinite-loop check, just miss; "check": run the infinite-loop check.
 */
export type LoopEntryVerdict = "hit" | "skip" | "check";

type StatesEqual = (env: VerifierEnv, old: VerifierState, cur: VerifierState, exact: "RANGE_WITHIN") => boolean;

/** kernel: the branches > 0 rules of bpf_is_state_visited, before the infinite-loop check */
export function loopEntryVerdict(env: VerifierEnv, old: VerifierState, cur: VerifierState, insnIdx: number, statesEqual: StatesEqual): LoopEntryVerdict {
  const frame = old.frame[old.curframe]!;
  // Another entry into an async callback is not a loop, nor a proof of safety.
  if (frame.inAsyncCallbackFn && frame.asyncEntryCnt !== cur.frame[cur.curframe]!.asyncEntryCnt) return "skip";
  const aux = env.insnAux[insnIdx]!;
  if (aux.isIterNext) {
    if (statesEqual(env, old, cur, "RANGE_WITHIN")) {
      // The iterator is the first argument of every *_next kfunc.
      const iterReg = cur.frame[cur.curframe]!.regs[1]!;
      const spi = ((-Number(BigInt.asIntN(64, iterReg.varOff.value)) - 1) / BPF_REG_SIZE) | 0;
      const slot = cur.frame[iterReg.frameno]!.stack[spi]!.spilledPtr;
      if (slot.iterState === "BPF_ITER_STATE_ACTIVE") return "hit";
    }
    return "skip";
  }
  if (isMayGoto(env.insns[insnIdx]!)) {
    if (old.mayGotoDepth !== cur.mayGotoDepth && statesEqual(env, old, cur, "RANGE_WITHIN")) return "hit";
  }
  if (aux.callsCallback) return statesEqual(env, old, cur, "RANGE_WITHIN") ? "hit" : "skip";
  return "check";
}

/** kernel: iter_active_depths_differ — the two states sit in different iterations of an active iterator. */
export function iterActiveDepthsDiffer(old: VerifierState, cur: VerifierState): boolean {
  for (let fr = old.curframe; fr >= 0; fr--) {
    const f = old.frame[fr]!;
    for (let i = 0; i < f.allocatedStack / BPF_REG_SIZE; i++) {
      const s = f.stack[i]!;
      if (s.slotType[0] !== STACK_ITER || s.spilledPtr.iterState !== "BPF_ITER_STATE_ACTIVE") continue;
      if (cur.frame[fr]!.stack[i]!.spilledPtr.iterDepth !== s.spilledPtr.iterDepth) return true;
    }
  }
  return false;
}
