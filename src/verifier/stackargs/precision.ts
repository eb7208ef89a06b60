// Precision through stack arguments: a constant kfunc argument passed in an
// R11 slot must stay precise back to the store that wrote it.
// kernel: verifier.c (mark_stack_arg_precision)
import type { VerifierEnv } from "../env.js";
import { curFrame } from "../state/func.js";
import { btSetFrameStackArgSlot } from "../precision/bt.js";
import { markChainPrecisionFrom } from "../precision/mark.js";
import { MAX_BPF_FUNC_REG_ARGS } from "./index.js";

/** kernel: mark_stack_arg_precision — `argIdx` is 0-based and at least 5 (argument 6). */
export function markStackArgPrecision(env: VerifierEnv, argIdx: number): void {
  if (env.precisionConservative) return;
  const caller = curFrame(env.curState);
  btSetFrameStackArgSlot(env.prec.bt, caller.frameno, argIdx - MAX_BPF_FUNC_REG_ARGS);
  markChainPrecisionFrom(env, env.curState, -1, null);
}
