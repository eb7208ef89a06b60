// Return-value ranges of RET_INTEGER helpers that the kernel narrows.
// kernel: verifier.c (do_refine_retval_range)
import type { VerifierEnv } from "../env.js";
import type { RegState } from "../state/types.js";
import { attachFunc, BOOL_LSM_HOOKS } from "../btfctx/index.js";
import { cnum32FromSRange, cnum32FromURange, cnum64FromSRange, cnum64FromURange } from "../state/scalar-bridge.js";
import { regBoundsSync } from "../ops/scalar-ops.js";

/**
 * nr_cpu_ids of the machine the 7.2 corpus was recorded on (src/kernel/machine.ts).
 * bpf_get_smp_processor_id() is bounded by it, so a verdict may depend on the
 * machine; a target profile can override it.
 */
export { DEFAULT_NR_CPU_IDS } from "../../kernel/machine.js";

/** kernel: MAX_ERRNO */
const MAX_ERRNO = 4095n;

/** kernel: reg_set_urange64 + reg_set_urange32 + reg_bounds_sync */
export function setURange(r0: RegState, min: bigint, max: bigint): void {
  r0.r64 = cnum64FromURange(min, max);
  r0.r32 = cnum32FromURange(min, max);
  regBoundsSync(r0);
}

/** kernel: reg_set_srange64 + reg_set_srange32 + reg_bounds_sync */
export function setSRange(r0: RegState, min: bigint, max: bigint): void {
  r0.r64 = cnum64FromSRange(min, max);
  r0.r32 = cnum32FromSRange(min, max);
  regBoundsSync(r0);
}

/** The range of bpf_get_retval() outside the program types that may see any value. */
export const GET_RETVAL_RANGE = [-MAX_ERRNO, 0n] as const;

/**
 * kernel: do_refine_retval_range, BPF_FUNC_get_retval — null when the value is
 * unbounded (getsockopt sees whatever the kernel passed), "lsm" when the
 * attach function's own range applies.
 */
export function getRetvalRangeKind(progType: string, expectedAttachType: string): "none" | "lsm" | "errno" {
  if (progType === "BPF_PROG_TYPE_CGROUP_SOCKOPT" && expectedAttachType === "BPF_CGROUP_GETSOCKOPT") return "none";
  if (progType === "BPF_PROG_TYPE_LSM" && expectedAttachType === "BPF_LSM_CGROUP") return "lsm";
  return "errno";
}

/**
 * kernel: bpf_lsm_get_retval_range for a BPF_LSM_CGROUP program — null when the
 * hook returns void (no range: the retval helpers have nothing to bound).
 */
export function lsmCgroupRetvalRange(env: VerifierEnv): { minval: number; maxval: number } | null {
  const fn = attachFunc(env);
  if (fn.proto.returnType === 0) return null;
  return BOOL_LSM_HOOKS.has(fn.name) ? { minval: 0, maxval: 1 } : { minval: -Number(MAX_ERRNO), maxval: 0 };
}
