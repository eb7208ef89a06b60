// BPF_EXIT: resource leaks, return to the caller frame, return-value ranges.
// kernel: verifier.c (process_bpf_exit_full, check_resource_leak,
// check_reference_leak, check_return_code, return_retval_range,
// retval_range_within, verbose_invalid_scalar, check_global_subprog_return_code)
import type { VerifierEnv } from "../env.js";
import type { RegState, RetvalRange } from "../state/types.js";
import { curFrame } from "../state/func.js";
import { regTypeStr } from "../state/reg-type.js";
import { isPointerValue } from "../state/reg-query.js";
import { regS32Max, regS32Min, regSmax, regSmin } from "../state/scalar-bridge.js";
import { reject } from "../reject.js";
import { checkRegArg } from "./reg-arg.js";
import { structOpsReturnRefKptr } from "../structops/ret.js";

const S64_MIN = -(1n << 63n);
const S64_MAX = (1n << 63n) - 1n;
const S32_MIN = -2147483648;
const S32_MAX = 2147483647;

/** kernel: check_reference_leak */
function checkReferenceLeak(env: VerifierEnv, exceptionExit: boolean): boolean {
  const st = env.curState;
  if (!exceptionExit && curFrame(st).frameno) return true;
  const r0 = curFrame(st).regs[0]!;
  let ok = true;
  for (const ref of st.refs) {
    if (ref.type !== "REF_TYPE_PTR") continue;
    if (env.input.progType === "BPF_PROG_TYPE_STRUCT_OPS" && !exceptionExit && r0.id === ref.id) continue;
    env.verbose(`Unreleased reference id=${ref.id} alloc_insn=${ref.insnIdx}\n`);
    ok = false;
  }
  return ok;
}

/** kernel: check_resource_leak */
export function checkResourceLeak(env: VerifierEnv, exceptionExit: boolean, checkLock: boolean, prefix: string): void {
  const st = env.curState;
  if (checkLock && st.activeLocks) reject(env, "EINVAL", `${prefix} cannot be used inside bpf_spin_lock-ed region\n`);
  if (!checkReferenceLeak(env, exceptionExit)) reject(env, "EINVAL", `${prefix} would lead to reference leak\n`);
  if (checkLock && st.activeIrqId) reject(env, "EINVAL", `${prefix} cannot be used inside bpf_local_irq_save-ed region\n`);
  if (checkLock && st.activeRcuLocks) reject(env, "EINVAL", `${prefix} cannot be used inside bpf_rcu_read_lock-ed region\n`);
  if (checkLock && st.activePreemptLocks) reject(env, "EINVAL", `${prefix} cannot be used inside bpf_preempt_disable-ed region\n`);
}

const range = (minval: number, maxval: number): RetvalRange => ({ minval, maxval, return32bit: false });

/** kernel: return_retval_range — null when any value is allowed. */
export function returnRetvalRange(env: VerifierEnv): RetvalRange | null {
  const { progType, expectedAttachType: eat } = env.input;
  switch (progType) {
    case "BPF_PROG_TYPE_CGROUP_SOCK_ADDR":
      switch (eat) {
        case "BPF_CGROUP_UDP4_RECVMSG": case "BPF_CGROUP_UDP6_RECVMSG": case "BPF_CGROUP_UNIX_RECVMSG":
        case "BPF_CGROUP_INET4_GETPEERNAME": case "BPF_CGROUP_INET6_GETPEERNAME": case "BPF_CGROUP_UNIX_GETPEERNAME":
        case "BPF_CGROUP_INET4_GETSOCKNAME": case "BPF_CGROUP_INET6_GETSOCKNAME": case "BPF_CGROUP_UNIX_GETSOCKNAME":
          return range(1, 1);
        case "BPF_CGROUP_INET4_BIND": case "BPF_CGROUP_INET6_BIND":
          return range(0, 3);
        default:
          return range(0, 1);
      }
    case "BPF_PROG_TYPE_CGROUP_SKB":
      return eat === "BPF_CGROUP_INET_EGRESS" ? range(0, 3) : range(0, 1);
    case "BPF_PROG_TYPE_CGROUP_SOCK": case "BPF_PROG_TYPE_SOCK_OPS": case "BPF_PROG_TYPE_CGROUP_DEVICE":
    case "BPF_PROG_TYPE_CGROUP_SYSCTL": case "BPF_PROG_TYPE_CGROUP_SOCKOPT":
      return range(0, 1);
    case "BPF_PROG_TYPE_RAW_TRACEPOINT":
      return env.attachBtfId ? range(0, 0) : null;
    case "BPF_PROG_TYPE_TRACING":
      switch (eat) {
        case "BPF_TRACE_FENTRY": case "BPF_TRACE_FEXIT": case "BPF_TRACE_FSESSION": case "BPF_TRACE_FENTRY_MULTI":
        case "BPF_TRACE_FEXIT_MULTI": case "BPF_TRACE_FSESSION_MULTI":
          return range(0, 0);
        case "BPF_TRACE_RAW_TP": case "BPF_MODIFY_RETURN":
          return null;
        default:
          return range(0, 1);
      }
    case "BPF_PROG_TYPE_KPROBE":
      return eat === "BPF_TRACE_KPROBE_SESSION" || eat === "BPF_TRACE_UPROBE_SESSION" ? range(0, 1) : null;
    case "BPF_PROG_TYPE_SK_LOOKUP":
      return range(0, 1); // SK_DROP, SK_PASS
    case "BPF_PROG_TYPE_LSM": {
      if (eat !== "BPF_LSM_CGROUP") {
        const r = env.lsmRetvalRange();
        if (!r) return null;
        if (r.minval === S32_MIN && r.maxval === S32_MAX) return null;
        return { ...r, return32bit: true };
      }
      return env.attachReturnsVoid() ? range(1, 1) : range(0, 1);
    }
    case "BPF_PROG_TYPE_NETFILTER":
      return range(0, 1); // NF_DROP, NF_ACCEPT
    case "BPF_PROG_TYPE_STRUCT_OPS":
      return range(0, 0);
    default:
      return null;
  }
}

function retvalRangeWithin(r: RetvalRange, reg: RegState): boolean {
  if (r.return32bit) return BigInt(r.minval) <= regS32Min(reg) && regS32Max(reg) <= BigInt(r.maxval);
  return BigInt(r.minval) <= regSmin(reg) && regSmax(reg) <= BigInt(r.maxval);
}

/** kernel: verbose_invalid_scalar */
export function verboseInvalidScalar(env: VerifierEnv, reg: RegState, r: RetvalRange, ctx: string, regName: string): void {
  let s = `${ctx} the register ${regName} has`;
  let unknown = true;
  if (regSmin(reg) > S64_MIN) { s += ` smin=${regSmin(reg)}`; unknown = false; }
  if (regSmax(reg) < S64_MAX) { s += ` smax=${regSmax(reg)}`; unknown = false; }
  if (unknown) s += " unknown scalar value";
  env.verbose(s + ` should have been in [${r.minval}, ${r.maxval}]\n`);
}

/** kernel: check_return_code (R0 at program exit) */
export function checkReturnCode(env: VerifierEnv): void {
  const frame0 = env.curState.frame[0]!;
  if (!frame0.inAsyncCallbackFn && env.programReturnsVoid()) return;
  // A struct_ops member returning a struct pointer takes back an unmodified referenced one.
  if (env.input.progType === "BPF_PROG_TYPE_STRUCT_OPS" && structOpsReturnRefKptr(env, curFrame(env.curState).regs[0]!)) return;
  checkRegArg(env, 0, "SRC_OP");
  const reg = curFrame(env.curState).regs[0]!;
  if (isPointerValue(env, reg)) reject(env, "EACCES", "R0 leaks addr as return value\n");
  let exitCtx = "At program exit";
  let r: RetvalRange | null;
  if (frame0.inAsyncCallbackFn) {
    exitCtx = "At async callback return";
    r = frame0.callbackRetRange;
  } else {
    if (env.input.progType === "BPF_PROG_TYPE_STRUCT_OPS" && !env.attachReturnType()) return;
    r = returnRetvalRange(env);
    if (!r) return;
  }
  if (reg.type !== "SCALAR_VALUE") {
    reject(env, "EINVAL", `${exitCtx} the register R0 is not a known value (${regTypeStr(reg.type, reg.flags)})\n`);
  }
  env.markChainPrecision(0);
  if (!retvalRangeWithin(r, reg)) {
    verboseInvalidScalar(env, reg, r, exitCtx, "R0");
    if (env.input.expectedAttachType === "BPF_LSM_CGROUP" && env.input.progType === "BPF_PROG_TYPE_LSM" && env.attachReturnsVoid()) {
      env.verbose("Note, BPF_LSM_CGROUP that attach to void LSM hooks can't modify return value!\n");
    }
    reject(env, "EINVAL", "");
  }
}

/** kernel: check_global_subprog_return_code */
export function checkGlobalSubprogReturnCode(env: VerifierEnv): void {
  const frame = curFrame(env.curState);
  if (env.subprogReturnsVoid(frame.subprogno)) return;
  checkRegArg(env, 0, "SRC_OP");
  const reg = frame.regs[0]!;
  if (reg.type === "PTR_TO_ARENA") return;
  if (isPointerValue(env, reg)) reject(env, "EACCES", "R0 leaks addr as return value\n");
  if (reg.type !== "SCALAR_VALUE") {
    reject(env, "EINVAL", `At subprogram exit the register R0 is not a scalar value (${regTypeStr(reg.type, reg.flags)})\n`);
  }
}

export const PROCESS_BPF_EXIT = 1;
export const INSN_IDX_UPDATED = 2;

/** kernel: process_bpf_exit_full — returns PROCESS_BPF_EXIT or INSN_IDX_UPDATED. */
export function processBpfExitFull(env: VerifierEnv, exceptionExit: boolean): { code: number; printState: boolean } {
  const st = env.curState;
  const frame = curFrame(st);
  checkResourceLeak(env, exceptionExit, exceptionExit || !st.curframe, exceptionExit ? "bpf_throw" : "BPF_EXIT instruction in main prog");
  if (exceptionExit) return { code: PROCESS_BPF_EXIT, printState: false };
  if (st.curframe) {
    env.prepareFuncExit();
    return { code: INSN_IDX_UPDATED, printState: true };
  }
  if (frame.subprogno && !frame.inAsyncCallbackFn && !frame.inExceptionCallbackFn) checkGlobalSubprogReturnCode(env);
  else checkReturnCode(env);
  return { code: PROCESS_BPF_EXIT, printState: false };
}

export { S64_MIN };
