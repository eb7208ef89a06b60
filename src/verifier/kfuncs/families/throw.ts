// bpf_throw(cookie): the path ends as an exception exit. Without a custom
// exception callback the cookie becomes the program's return value, so R1
// must satisfy the return-value rules R0 would at a normal exit.
// kernel: check_kfunc_call (KF_bpf_throw), check_return_code(env, BPF_REG_1, "R1"),
//         process_bpf_exit_full(env, NULL, true)
import type { VerifierEnv } from "../../env.js";
import type { RegState, RetvalRange } from "../../state/types.js";
import { regTypeStr } from "../../state/reg-type.js";
import { isPointerValue } from "../../state/reg-query.js";
import { regS32Max, regS32Min, regSmax, regSmin } from "../../state/scalar-bridge.js";
import { checkRegArg } from "../../ops/reg-arg.js";
import { returnRetvalRange, verboseInvalidScalar } from "../../ops/exit.js";
import { reject } from "../../reject.js";
import { notModelled } from "../../not-modelled.js";
import { structOpsReturnRefKptr } from "../../structops/ret.js";

/** kernel: retval_range_within */
function within(r: RetvalRange, reg: RegState): boolean {
  if (r.return32bit) return BigInt(r.minval) <= regS32Min(reg) && regS32Max(reg) <= BigInt(r.maxval);
  return BigInt(r.minval) <= regSmin(reg) && regSmax(reg) <= BigInt(r.maxval);
}

/**
 * kernel: check_return_code for the cookie register. ops/exit.ts's checkReturnCode
 * is the same rule for R0 only; the two should become one taking (regno, name).
 */
export function checkThrowCookie(env: VerifierEnv): void {
  if (env.subprogs.some((s) => s.isExceptionCb)) return;
  const frame0 = env.curState.frame[0]!;
  if (!frame0.inAsyncCallbackFn && env.programReturnsVoid()) return;
  const reg = env.curState.frame[env.curState.curframe]!.regs[1]!;
  // A struct_ops member returning a struct pointer takes back an unmodified referenced one.
  if (env.input.progType === "BPF_PROG_TYPE_STRUCT_OPS" && structOpsReturnRefKptr(env, reg, "R1")) return;
  checkRegArg(env, 1, "SRC_OP");
  if (isPointerValue(env, reg)) reject(env, "EACCES", "R1 leaks addr as return value\n");
  let exitCtx = "At program exit";
  let r: RetvalRange | null;
  if (frame0.inAsyncCallbackFn) {
    exitCtx = "At async callback return";
    r = frame0.callbackRetRange;
  } else {
    if (env.input.progType === "BPF_PROG_TYPE_CGROUP_SKB" && env.input.expectedAttachType === "BPF_CGROUP_INET_EGRESS") {
      notModelled("bpf_throw cookie of a cgroup_skb egress program (enforce_attach_type_range)");
    }
    if (env.input.progType === "BPF_PROG_TYPE_STRUCT_OPS" && !env.attachReturnType()) return;
    r = returnRetvalRange(env);
    if (!r) return;
  }
  if (reg.type !== "SCALAR_VALUE") reject(env, "EINVAL", `${exitCtx} the register R1 is not a known value (${regTypeStr(reg.type, reg.flags)})\n`);
  env.markChainPrecision(1);
  if (!within(r, reg)) {
    verboseInvalidScalar(env, reg, r, exitCtx, "R1");
    if (env.input.expectedAttachType === "BPF_LSM_CGROUP" && env.input.progType === "BPF_PROG_TYPE_LSM" && env.attachReturnsVoid()) {
      env.verbose("Note, BPF_LSM_CGROUP that attach to void LSM hooks can't modify return value!\n");
    }
    reject(env, "EINVAL", "");
  }
}
