// What the attach target's prototype says about a program's return value:
// void hooks (no R0 check), and the LSM hooks' return ranges.
// kernel: verifier.c (program_returns_void, return_retval_range for LSM,
// get_func_retval_range), bpf_lsm.c (bpf_lsm_get_retval_range, bool_lsm_hooks)
import type { VerifierEnv } from "../env.js";
import type { RetvalRange } from "../state/types.js";
import { notModelled } from "../not-modelled.js";
import { resolveAttachFunc, type AttachFunc } from "../ctx/btf-ctx.js";
import { attachBtf } from "./btf-of.js";
import { structOpsReturnsPtr, structOpsReturnsVoid } from "../structops/ret.js";

/** kernel: MAX_ERRNO */
const MAX_ERRNO = 4095;

/**
 * The LSM hooks returning bool (kernel: bool_lsm_hooks, on a CONFIG_AUDIT +
 * CONFIG_SECURITY_NETWORK_XFRM kernel as the 7.2 target is); a target fact
 * that belongs in the profile.
 */
export const BOOL_LSM_HOOKS: ReadonlySet<string> = new Set([
  "bpf_lsm_xfrm_state_pol_flow_match", "bpf_lsm_audit_rule_known", "bpf_lsm_inode_xattr_skipcap",
]);

const attachByEnv = new WeakMap<VerifierEnv, AttachFunc>();

/** kernel: prog->aux->attach_func_proto (and its name), resolved once per verification. */
export function attachFunc(env: VerifierEnv): AttachFunc {
  let fn = attachByEnv.get(env);
  if (!fn) {
    const btf = attachBtf(env)?.btf;
    if (!btf) return notModelled("attach targets without the target BTF");
    fn = resolveAttachFunc(btf, env.input.progType, env.input.expectedAttachType, env.input.attachTo);
    attachByEnv.set(env, fn);
  }
  return fn;
}

/** Whether the attach function's prototype returns void. */
export function attachReturnsVoid(env: VerifierEnv): boolean {
  const t = env.input.progType;
  if (t !== "BPF_PROG_TYPE_LSM" && t !== "BPF_PROG_TYPE_TRACING") return notModelled(`attach prototype of ${t}`);
  return attachFunc(env).proto.returnType === 0;
}

/** kernel: program_returns_void */
export function programReturnsVoid(env: VerifierEnv): boolean {
  switch (env.input.progType) {
    case "BPF_PROG_TYPE_LSM":
      // BPF_LSM_CGROUP programs always return 0/1 (see return_retval_range).
      return env.input.expectedAttachType !== "BPF_LSM_CGROUP" && attachReturnsVoid(env);
    case "BPF_PROG_TYPE_STRUCT_OPS":
      return structOpsReturnsVoid(env);
    case "BPF_PROG_TYPE_EXT":
      // An extension may return void: attaching only works over a void target.
      return env.subprogReturnsVoid(0);
    default:
      return false;
  }
}

/**
 * kernel: get_func_retval_range -> bpf_lsm_get_retval_range. null: no range
 * (not BPF_LSM_MAC, or a void hook).
 */
export function lsmRetvalRange(env: VerifierEnv): RetvalRange | null {
  if (env.input.progType !== "BPF_PROG_TYPE_LSM" || env.input.expectedAttachType !== "BPF_LSM_MAC") return null;
  const fn = attachFunc(env);
  if (fn.proto.returnType === 0) return null;
  return BOOL_LSM_HOOKS.has(fn.name)
    ? { minval: 0, maxval: 1, return32bit: false }
    : { minval: -MAX_ERRNO, maxval: 0, return32bit: false };
}

/** kernel: check_return_code's struct_ops ret_type (the attach prototype returns a struct pointer). */
export function attachReturnType(env: VerifierEnv): boolean {
  if (env.input.progType !== "BPF_PROG_TYPE_STRUCT_OPS") return false;
  return structOpsReturnsPtr(env);
}
