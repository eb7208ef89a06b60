// Loops and precision: a checkpoint inside a loop (an SCC of the CFG) may be
// matched before every path out of it was explored, so its precise marks are
// incomplete. Such matches are compared RANGE_WITHIN and remembered as
// backedges; when the loop's entry state finishes, the backedges' precision
// is propagated to a fixed point.
// kernel: states.c (compute_scc_callchain, maybe_enter_scc, maybe_exit_scc,
// add_scc_backedge, incomplete_read_marks, propagate_backedges)
import type { VerifierEnv } from "../env.js";
import type { VerifierState } from "../state/types.js";
import { BPF_LOG_LEVEL2 } from "../log/vlog.js";
import { verifierBug } from "../bug.js";
import type { SccVisit } from "./bt.js";
import { markAllScalarsPrecise, propagatePrecision, type Changed } from "./mark.js";

const MAX_BACKEDGE_ITERS = 64;

interface Callchain {
  callsites: number[];
  scc: number;
}

/** kernel: bpf_frame_insn_idx */
function frameInsnIdx(st: VerifierState, frame: number): number {
  return frame === st.curframe ? st.insnIdx : st.frame[frame + 1]!.callsite;
}

/** kernel: compute_scc_callchain — the call sites down to the topmost frame sitting in an SCC. */
function computeCallchain(env: VerifierEnv, st: VerifierState): Callchain | null {
  const callsites: number[] = [];
  for (let i = 0; i <= st.curframe; i++) {
    const idx = frameInsnIdx(st, i);
    const scc = env.insnAux[idx]!.scc;
    if (scc) return { callsites, scc };
    if (i < st.curframe) callsites.push(idx);
    else return null;
  }
  return null;
}

const keyOf = (c: Callchain): string => `${c.callsites.join(",")}|${c.scc}`;

/** kernel: format_callchain — "(callsite,...,scc)" */
function formatCallchain(c: Callchain): string {
  // The kernel stops at the first zero call site (its array is zero-filled).
  let s = "(";
  for (const cs of c.callsites) {
    if (!cs) break;
    s += `${cs},`;
  }
  return `${s}${c.scc})`;
}

/** kernel: maybe_enter_scc — a new checkpoint inside an SCC opens a visit if none is open. */
export function maybeEnterScc(env: VerifierEnv, st: VerifierState): void {
  const c = computeCallchain(env, st);
  if (!c) return;
  const k = keyOf(c);
  let v = env.prec.sccVisits.get(k);
  if (!v) {
    v = { callsites: c.callsites, scc: c.scc, entryState: null, backedges: [] };
    env.prec.sccVisits.set(k, v);
  }
  if (!v.entryState) {
    v.entryState = st;
    if (env.log.level & BPF_LOG_LEVEL2) env.verbose(`SCC enter ${formatCallchain(c)}\n`);
  }
}

/** kernel: maybe_exit_scc — the visit's entry state is fully explored: settle its backedges. */
export function maybeExitScc(env: VerifierEnv, st: VerifierState): void {
  // Visits only exist with real precision tracking (is_state_visited opens them then).
  if (env.precisionConservative) return;
  const c = computeCallchain(env, st);
  if (!c) return;
  const v = env.prec.sccVisits.get(keyOf(c));
  if (!v) {
    if (!st.speculative) verifierBug(env, `scc exit: no visit info for call chain ${formatCallchain(c)}`);
    return;
  }
  if (v.entryState !== st) return;
  if (env.log.level & BPF_LOG_LEVEL2) env.verbose(`SCC exit ${formatCallchain(c)}\n`);
  v.entryState = null;
  env.prec.numBackedges -= v.backedges.length;
  updatePeakStates(env);
  propagateBackedges(env, v);
}

/** kernel: add_scc_backedge */
export function addSccBackedge(env: VerifierEnv, st: VerifierState, backedge: VerifierState): void {
  const c = computeCallchain(env, st);
  if (!c) verifierBug(env, `add backedge: no SCC in verification path, insn_idx ${st.insnIdx}`);
  const v = env.prec.sccVisits.get(keyOf(c));
  if (!v) verifierBug(env, `add backedge: no visit info for call chain ${formatCallchain(c)}`);
  if (env.log.level & BPF_LOG_LEVEL2) env.verbose(`SCC backedge ${formatCallchain(c)}\n`);
  v.backedges.unshift(backedge);
  env.prec.numBackedges++;
  updatePeakStates(env);
}

/** kernel: update_peak_states — pending backedge copies count as live states. */
function updatePeakStates(env: VerifierEnv): void {
  const n = env.exploredStatesSize + env.freeListSize + env.prec.numBackedges;
  if (n > env.peakStates) env.peakStates = n;
}

/** kernel: incomplete_read_marks — `st` is in an SCC visit that still has pending backedges. */
export function incompleteReadMarks(env: VerifierEnv, st: VerifierState): boolean {
  const c = computeCallchain(env, st);
  if (!c) return false;
  const v = env.prec.sccVisits.get(keyOf(c));
  return !!v && v.backedges.length > 0;
}

/** kernel: propagate_backedges */
function propagateBackedges(env: VerifierEnv, v: SccVisit): void {
  let i = 0;
  const changed: Changed = { value: false };
  do {
    if (i++ > MAX_BACKEDGE_ITERS) {
      if (env.log.level & BPF_LOG_LEVEL2) env.verbose("propagate_backedges: too many iterations\n");
      for (const b of v.backedges) markAllScalarsPrecise(env, b);
      break;
    }
    changed.value = false;
    for (const b of v.backedges) propagatePrecision(env, b.equalState!, b, changed);
  } while (changed.value);
  v.backedges = [];
}
