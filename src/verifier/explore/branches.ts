// The DFS work list of pending branches.
// kernel: verifier.c (push_stack, pop_stack), states.c (bpf_update_branch_counts)
import type { VerifierEnv } from "../env.js";
import { copyVerifierState } from "../state/func.js";
import type { VerifierState } from "../state/types.js";
import { Reject } from "../reject.js";
import { maybeExitScc } from "../precision/scc.js";

/** kernel: BPF_COMPLEXITY_LIMIT_JMP_SEQ */
export const BPF_COMPLEXITY_LIMIT_JMP_SEQ = 8192;

/** kernel: push_stack — queue the other side of a branch; returns the queued copy. */
export function pushStack(env: VerifierEnv, insnIdx: number, prevInsnIdx: number, speculative: boolean): VerifierState {
  const st = copyVerifierState(env.curState);
  st.speculative = st.speculative || speculative;
  env.branchStack.push({ st, insnIdx, prevInsnIdx, logPos: env.log.pos });
  if (env.branchStack.length > BPF_COMPLEXITY_LIMIT_JMP_SEQ) {
    env.verbose(`The sequence of ${env.branchStack.length} jumps is too complex.\n`);
    throw new Reject("E2BIG");
  }
  if (st.parent) st.parent.branches++;
  return st;
}

/** kernel: pop_stack — resume the most recent pending branch; false when none is left. */
export function popStack(env: VerifierEnv, popLog: boolean): boolean {
  const head = env.branchStack.pop();
  if (!head) return false;
  env.curState = head.st;
  if (popLog) env.log.reset(head.logPos);
  env.insnIdx = head.insnIdx;
  env.prevInsnIdx = head.prevInsnIdx;
  return true;
}

/** kernel: bpf_update_branch_counts — a path ended: walk up the parents whose branches are all done. */
export function updateBranchCounts(env: VerifierEnv, st: VerifierState | null): void {
  let s = st;
  while (s) {
    const br = --s.branches;
    if (br > 0) break;
    maybeExitScc(env, s);
    s = s.parent;
  }
}
