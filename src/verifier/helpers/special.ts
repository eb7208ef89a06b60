// Per-helper rules check_helper_call applies after the arguments, one row per
// helper. A helper without a row here has none (or its owner module handles it:
// callbacks, tail calls, timers, spin locks).
// kernel: verifier.c (the func_id switch of check_helper_call, get_callchain_buffers, check_get_func_ip),
// trampoline.c (bpf_prog_has_trampoline),
// net/core/filter.c (bpf_helper_changes_pkt_data)
import type { VerifierEnv } from "../env.js";
import type { RetvalRange } from "../state/types.js";
import { curFrame } from "../state/func.js";
import { registerIsNull } from "../state/reg-query.js";
import { regS32Max, regS32Min } from "../state/scalar-bridge.js";
import { reject } from "../reject.js";
import { verboseInvalidScalar } from "../ops/exit.js";
import { checkSnprintfCall } from "./snprintf.js";
import { lsmCgroupRetvalRange } from "./retval.js";
import { progTypeByName } from "../../kernel/progtypes/index.js";

type SpecialCase = (env: VerifierEnv) => void;

/** kernel: MAX_ERRNO */
const MAX_ERRNO = 4095;

/** kernel: BPF_FUNC_set_retval — the value must fit what the hook may return (32-bit compare). */
function setRetval(env: VerifierEnv): void {
  const r1 = curFrame(env.curState).regs[1]!;
  if (r1.type !== "SCALAR_VALUE") reject(env, "EINVAL", "R1 is not a scalar\n");
  const { progType, expectedAttachType } = env.input;
  // getsockopt may report any value back to the caller
  if (progType === "BPF_PROG_TYPE_CGROUP_SOCKOPT" && expectedAttachType === "BPF_CGROUP_GETSOCKOPT") return;
  const range: RetvalRange = { minval: -MAX_ERRNO, maxval: 0, return32bit: true };
  if (progType === "BPF_PROG_TYPE_LSM" && expectedAttachType === "BPF_LSM_CGROUP") {
    const hook = lsmCgroupRetvalRange(env);
    // a void hook's caller ignores the value: setting one is a mistake
    if (!hook) reject(env, "EINVAL", "BPF_LSM_CGROUP that attach to void LSM hooks can't modify return value!\n");
    range.minval = hook.minval;
    range.maxval = hook.maxval;
  }
  env.markChainPrecision(1);
  if (!(BigInt(range.minval) <= regS32Min(r1) && regS32Max(r1) <= BigInt(range.maxval))) {
    verboseInvalidScalar(env, r1, range, "At bpf_set_retval", "R1");
    reject(env, "EINVAL", "");
  }
}

/** kernel: BPF_FUNC_get_local_storage — the helper cannot fail, so it takes no flags. */
function getLocalStorage(env: VerifierEnv): void {
  if (!registerIsNull(curFrame(env.curState).regs[2]!)) reject(env, "EINVAL", "get_local_storage() doesn't support non-zero flags\n");
  env.markChainPrecision(2);
}

/** kernel: bpf_prog_has_trampoline — the attach types a BPF trampoline runs (the others have no traced function's ip). */
const TRAMPOLINE_ATTACH: Readonly<Record<string, readonly string[]>> = {
  BPF_PROG_TYPE_TRACING: [
    "BPF_TRACE_FENTRY", "BPF_TRACE_FEXIT", "BPF_MODIFY_RETURN", "BPF_TRACE_FSESSION",
    "BPF_TRACE_FENTRY_MULTI", "BPF_TRACE_FEXIT_MULTI", "BPF_TRACE_FSESSION_MULTI",
  ],
  BPF_PROG_TYPE_LSM: ["BPF_LSM_MAC"],
};

export function progHasTrampoline(progType: string, expectedAttachType: string): boolean {
  return TRAMPOLINE_ATTACH[progType]?.includes(expectedAttachType) ?? false;
}

/**
 * kernel: check_get_func_ip — the traced function's ip exists for kprobes (every flavour: the
 * helper's proto already differs per attach type, kprobe.multi/uprobe.multi included) and for
 * tracing programs behind a trampoline; tp_btf, iterators and the other types that are offered
 * the helper (LSM through tracing_prog_func_proto) fail here. (EXT programs would use their
 * target's type: freplace is not modelled.)
 */
function getFuncIp(env: VerifierEnv): void {
  const { progType, expectedAttachType } = env.input;
  const id = "bpf_get_func_ip#173";
  if (progType === "BPF_PROG_TYPE_TRACING") {
    if (!progHasTrampoline(progType, expectedAttachType)) {
      reject(env, "ENOTSUPP", `func ${id} supported only for fentry/fexit/fsession/fmod_ret programs\n`);
    }
    return;
  }
  if (progType === "BPF_PROG_TYPE_KPROBE") return;
  reject(env, "ENOTSUPP", `func ${id} not supported for program type ${progTypeByName(progType)?.value ?? -1}\n`);
}

/** get_callchain_buffers succeeds on a kernel with CONFIG_PERF_EVENTS (the target's): nothing to check. */
const callchainBuffers: SpecialCase = () => {};

export const HELPER_SPECIAL_CASES: Readonly<Record<string, SpecialCase>> = {
  bpf_set_retval: setRetval,
  bpf_get_local_storage: getLocalStorage,
  bpf_snprintf: checkSnprintfCall,
  bpf_get_stack: callchainBuffers,
  bpf_get_task_stack: callchainBuffers,
  bpf_get_func_ip: getFuncIp,
};

/** Runs the helper's row; false when it has none. */
export function runHelperSpecialCase(env: VerifierEnv, helper: string): boolean {
  const f = HELPER_SPECIAL_CASES[helper];
  if (!f) return false;
  f(env);
  return true;
}

/**
 * kernel: bpf_helper_changes_pkt_data, minus tail_call: a tail call that is
 * taken never returns, so only the subprogram case (control/tail-call.ts) clears.
 */
const PKT_CHANGING_HELPERS: ReadonlySet<string> = new Set([
  "bpf_clone_redirect", "bpf_l3_csum_replace", "bpf_l4_csum_replace", "bpf_lwt_push_encap", "bpf_lwt_seg6_action",
  "bpf_lwt_seg6_adjust_srh", "bpf_lwt_seg6_store_bytes", "bpf_msg_pop_data", "bpf_msg_pull_data", "bpf_msg_push_data",
  "bpf_skb_adjust_room", "bpf_skb_change_head", "bpf_skb_change_proto", "bpf_skb_change_tail", "bpf_skb_pull_data",
  "bpf_skb_store_bytes", "bpf_skb_vlan_pop", "bpf_skb_vlan_push", "bpf_store_hdr_opt", "bpf_xdp_adjust_head",
  "bpf_xdp_adjust_meta", "bpf_xdp_adjust_tail",
]);

export function helperChangesPktData(helper: string): boolean {
  return PKT_CHANGING_HELPERS.has(helper);
}
