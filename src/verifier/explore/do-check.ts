// The main walk: depth-first symbolic execution of one (sub)program with
// checkpoints, pruning and the level-1/2 trace.
// kernel: verifier.c (do_check, do_check_common), log.c (verbose_linfo)
import type { VerifierEnv } from "../env.js";
import { BPF_LOG_LEVEL, BPF_LOG_LEVEL2 } from "../log/vlog.js";
import { printInsnState, printVerifierState } from "../log/print-state.js";
import { popStack, updateBranchCounts } from "./branches.js";
import { isStateVisited } from "./states.js";
import { doCheckInsn, INSN_IDX_UPDATED, PROCESS_BPF_EXIT } from "../ops/dispatch.js";
import { reject } from "../reject.js";
import { verifierBug } from "../bug.js";
import { pushJmpHistoryEntry } from "../precision/backtrack-insn.js";

/** kernel: BPF_COMPLEXITY_LIMIT_INSNS */
export const BPF_COMPLEXITY_LIMIT_INSNS = 1_000_000;

/** kernel: verbose_linfo — print the source line of insn `idx` when it changed. */
export function verboseLinfo(env: VerifierEnv, idx: number, prefix: string): void {
  if (!env.log.needed) return;
  const li = env.input.lineInfo;
  if (li.length === 0) return;
  // bpf_find_linfo: the last record at or before idx.
  let lo = 0, hi = li.length - 1, found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (li[mid]!.insnOff <= idx) { found = mid; lo = mid + 1; } else hi = mid - 1;
  }
  if (found < 0 || found === env.prevLinfoIdx) return;
  const cur = li[found]!;
  const prev = env.prevLinfoIdx >= 0 ? li[env.prevLinfoIdx] : undefined;
  if (prev && prev.fileName === cur.fileName && prev.lineNum === cur.lineNum) {
    // kernel keeps prev_linfo unchanged in this case? It does not update: same line, nothing printed.
    return;
  }
  env.verbose(prefix);
  env.verbose(cur.line.replace(/^[ \t\n\v\f\r]+/, ""));
  const slash = cur.fileName.lastIndexOf("/");
  env.verbose(` @ ${slash >= 0 ? cur.fileName.slice(slash + 1) : cur.fileName}:${cur.lineNum}\n`);
  env.prevLinfoIdx = found;
}

/** kernel: account_processed_insn */
function accountProcessedInsn(env: VerifierEnv): void {
  env.insnProcessed++;
  env.curState.frame[env.curState.curframe]!.insnsSubtotal++;
}

/** kernel: account_current_path — fold each frame's subtotal into its subprog's total. */
export function accountCurrentPath(env: VerifierEnv): void {
  const st = env.curState;
  for (let f = st.curframe; f >= 0; f--) {
    const callee = st.frame[f]!;
    const sp = env.subprogs[callee.subprogno];
    if (sp) sp.insnsTotal += callee.insnsSubtotal;
    if (f > 0) st.frame[f - 1]!.insnsSubtotal += callee.insnsSubtotal;
    callee.insnsSubtotal = 0;
  }
}

/** kernel: do_check */
export function doCheck(env: VerifierEnv): void {
  const popLog = !(env.log.level & BPF_LOG_LEVEL2);
  const insns = env.input.insns;
  let doPrintState = false;
  let prevInsnIdx = -1;

  for (;;) {
    const state = env.curState;
    env.prec.curHistEnt = null;
    env.prevInsnIdx = prevInsnIdx;
    if (env.insnIdx >= insns.length) {
      reject(env, "EFAULT", `invalid insn idx ${env.insnIdx} insn_cnt ${insns.length}\n`);
    }
    const aux = env.insnAux[env.insnIdx]!;
    accountProcessedInsn(env);
    if (env.insnProcessed > BPF_COMPLEXITY_LIMIT_INSNS) {
      reject(env, "E2BIG", `BPF program is too large. Processed ${env.insnProcessed} insn\n`);
    }
    state.lastInsnIdx = env.prevInsnIdx;
    state.insnIdx = env.insnIdx;

    let exitPath = false;
    if (aux.prunePoint) {
      if (isStateVisited(env, env.insnIdx)) {
        if (env.log.level & BPF_LOG_LEVEL) {
          if (doPrintState) {
            env.verbose(`\nfrom ${env.prevInsnIdx} to ${env.insnIdx}${env.curState.speculative ? " (speculative execution)" : ""}: safe\n`);
          } else {
            env.verbose(`${env.insnIdx}: safe\n`);
          }
        }
        exitPath = true;
      }
    }

    if (!exitPath) {
      if (aux.jmpPoint) pushJmpHistory(env);

      if ((env.log.level & BPF_LOG_LEVEL2) && doPrintState) {
        env.verbose(`\nfrom ${env.prevInsnIdx} to ${env.insnIdx}${env.curState.speculative ? " (speculative execution)" : ""}:`);
        printVerifierState(env, env.curState, env.curState.curframe, true, env.btfTypeNamer);
        doPrintState = false;
      }

      if (env.log.level & BPF_LOG_LEVEL) {
        if (env.stateScratched) printInsnState(env, env.curState, env.curState.curframe, env.btfTypeNamer);
        verboseLinfo(env, env.insnIdx, "; ");
        env.prevLogPos = env.log.pos;
        env.verbose(`${env.insnIdx}: `);
        env.verbose(env.insnText(env.insnIdx));
        env.prevInsnPrintPos = env.log.pos - env.prevLogPos;
        env.prevLogPos = env.log.pos;
      }

      aux.seen = true;
      prevInsnIdx = env.insnIdx;

      const r = doCheckInsn(env);
      if (r.printState) doPrintState = true;
      if (r.code === PROCESS_BPF_EXIT) exitPath = true;
      else if (r.code === INSN_IDX_UPDATED) { /* the op moved insnIdx */ }
      else env.insnIdx++;
    }

    if (exitPath) {
      // kernel: process_bpf_exit label
      accountCurrentPath(env);
      env.markStateScratched();
      updateBranchCounts(env, env.curState);
      if (!popStack(env, popLog)) break;
      prevInsnIdx = env.prevInsnIdx;
      doPrintState = true;
    }
  }
}

/** kernel: bpf_push_jmp_history (flags 0): remember a jump point for precision backtracking. */
export function pushJmpHistory(env: VerifierEnv, flags = 0, spi = 0, frame = 0, linkedRegs = 0n): void {
  const st = env.curState;
  pushJmpHistoryEntry(env, st, flags, spi, frame, linkedRegs);
  if (st.jmpHistory.length > 1_000_000) verifierBug(env, "jmp history too long");
}
