// BPF-to-BPF calls: a static callee is verified in the caller's context in
// a new frame; a global one is checked against its BTF signature (global.ts).
// kernel: verifier.c (check_func_call, setup_func_entry, set_callee_state,
// clear_caller_saved_regs, prepare_func_exit, account_processed_insns)
import type { VerifierEnv } from "../env.js";
import type { RawInsn } from "../../isa/raw.js";
import type { RegState } from "../state/types.js";
import { MAX_CALL_FRAMES } from "../state/types.js";
import { assignReg, markRegNotInit } from "../state/reg.js";
import { newFuncState, curFrame } from "../state/func.js";
import { reject } from "../reject.js";
import { verifierBug } from "../bug.js";
import { checkRegArgIn } from "../ops/reg-arg.js";
import { printVerifierState } from "../log/print-state.js";
import { BPF_LOG_LEVEL } from "../log/vlog.js";
import type { InsnResult } from "../ops/dispatch.js";
import { btfCheckSubprogCall, checkGlobalFuncCall } from "./global.js";
import { checkCallbackReturn, widenAfterCallback } from "../control/callbacks.js";
import { inStackArgCnt, invalidateOutgoingStackArgs, noteOutgoingStackArgs } from "../stackargs/index.js";

const CALLER_SAVED = [0, 1, 2, 3, 4, 5];

/** kernel: clear_caller_saved_regs */
export function clearCallerSavedRegs(env: VerifierEnv, regs: RegState[]): void {
  for (const r of CALLER_SAVED) {
    markRegNotInit(regs[r]!, env.bpfCapable);
    checkRegArgIn(env, regs, r, "DST_OP_NO_MARK");
  }
}

/** kernel: check_func_call */
export function checkFuncCall(env: VerifierEnv, insn: RawInsn): InsnResult {
  const st = env.curState;
  const target = env.insnIdx + insn.imm + 1;
  const subprog = env.findSubprog(target);
  if (subprog < 0) verifierBug(env, `target of func call at insn ${target} is not a program (subprog < 0)`);
  const caller = curFrame(st);
  const argErr = btfCheckSubprogCall(env, subprog, caller.regs);
  if (argErr === "EFAULT") reject(env, "EFAULT", "");
  if (env.subprogs[subprog]!.isGlobal) {
    // a global callee consumes the outgoing stack args like any call (kernel: invalidate_outgoing_stack_args)
    return checkGlobalFuncCall(env, subprog, caller, argErr, (regs) => {
      clearCallerSavedRegs(env, regs);
      invalidateOutgoingStackArgs(env, caller);
    });
  }
  noteOutgoingStackArgs(env, caller.subprogno, inStackArgCnt(env.subprogs[subprog]!));

  // kernel: setup_func_entry
  if (st.curframe + 1 >= MAX_CALL_FRAMES) reject(env, "E2BIG", `the call stack of ${st.curframe + 2} frames is too deep\n`);
  const callee = newFuncState(env.insnIdx, st.curframe + 1, subprog, env.bpfCapable);
  env.markStateScratched();
  for (let i = 1; i <= 5; i++) assignReg(callee.regs[i]!, caller.regs[i]!);
  st.frame.push(callee);
  st.curframe++;

  clearCallerSavedRegs(env, caller.regs);
  env.insnIdx = env.subprogs[subprog]!.start;
  if (env.log.level & BPF_LOG_LEVEL) {
    env.verbose("caller:\n");
    printVerifierState(env, st, caller.frameno, true, env.btfTypeNamer);
    env.verbose("callee:\n");
    printVerifierState(env, st, st.curframe, true, env.btfTypeNamer);
  }
  return { code: 2 /* INSN_IDX_UPDATED */, printState: false };
}

/** kernel: prepare_func_exit */
export function prepareFuncExit(env: VerifierEnv): void {
  const st = env.curState;
  const callee = st.frame[st.curframe]!;
  const r0 = callee.regs[0]!;
  if (r0.type === "PTR_TO_STACK") reject(env, "EINVAL", "cannot return stack pointer to the caller\n");
  const caller = st.frame[st.curframe - 1]!;
  const inCallbackFn = callee.inCallbackFn;
  if (inCallbackFn) checkCallbackReturn(env, callee);
  else assignReg(caller.regs[0]!, r0);
  // A callback returns to its helper's callsite, which queues the next iteration.
  env.insnIdx = inCallbackFn ? callee.callsite : callee.callsite + 1;
  if (env.log.level & BPF_LOG_LEVEL) {
    env.verbose("returning from callee:\n");
    printVerifierState(env, st, callee.frameno, true, env.btfTypeNamer);
    env.verbose(`to caller at ${env.insnIdx}:\n`);
    printVerifierState(env, st, caller.frameno, true, env.btfTypeNamer);
  }
  // kernel: account_processed_insns(env, callee, caller)
  const sp = env.subprogs[callee.subprogno];
  if (sp) sp.insnsTotal += callee.insnsSubtotal;
  caller.insnsSubtotal += callee.insnsSubtotal;
  callee.insnsSubtotal = 0;
  st.frame.pop();
  st.curframe--;
  invalidateOutgoingStackArgs(env, caller);
  if (inCallbackFn) widenAfterCallback(env);
}
