// The load-time checks of a program's attach point that run before the walk
// (the cfg pre-pass slot "check_attach_btf_id"). Modelled: the sleepable
// rules and LSM hook admission; the rest of bpf_check_attach_target
// (deny lists, sleepable/error-injection lists, BPF-program and module
// targets, struct_ops members, iterators) passes unchecked.
// kernel: verifier.c (check_attach_btf_id, can_be_sleepable), bpf_lsm.c (bpf_lsm_verify_prog)
import type { Btf } from "../../btf/index.js";
import type { CfgReject } from "../cfg/types.js";

/** What the check needs to know about the program. */
export interface AttachCheckInput {
  readonly progType: string;
  readonly expectedAttachType: string;
  readonly attachTo?: string;
  readonly sleepable: boolean;
  /** BPF_PROG_LOAD flags: BPF_F_SLEEPABLE may come from there rather than the section. */
  readonly progFlags: number;
  readonly gplCompatible: boolean;
}

/** kernel: BPF_F_SLEEPABLE */
const BPF_F_SLEEPABLE = 1 << 4;

/**
 * kernel: bpf_lsm_disabled_hooks (on a CONFIG_KEYS, CONFIG_AUDIT,
 * CONFIG_SECURITY_NETWORK_XFRM kernel as the 7.2 target); a target fact that
 * belongs in the profile.
 */
const LSM_DISABLED_HOOKS: ReadonlySet<string> = new Set([
  "bpf_lsm_vm_enough_memory", "bpf_lsm_inode_need_killpriv", "bpf_lsm_inode_getsecurity", "bpf_lsm_inode_listsecurity",
  "bpf_lsm_inode_copy_up_xattr", "bpf_lsm_getselfattr", "bpf_lsm_getprocattr", "bpf_lsm_setprocattr",
  "bpf_lsm_key_getsecurity", "bpf_lsm_audit_rule_match", "bpf_lsm_xfrm_decode_session", "bpf_lsm_ismaclabel",
  "bpf_lsm_file_alloc_security",
]);

const SLEEPABLE_TRACING: ReadonlySet<string> = new Set([
  "BPF_TRACE_FENTRY", "BPF_TRACE_FEXIT", "BPF_MODIFY_RETURN", "BPF_TRACE_ITER", "BPF_TRACE_FSESSION", "BPF_TRACE_RAW_TP",
  "BPF_TRACE_FENTRY_MULTI", "BPF_TRACE_FEXIT_MULTI", "BPF_TRACE_FSESSION_MULTI",
]);

/** The tracepoints declared faultable (kernel: include/trace/events/syscalls.h, TRACE_EVENT_SYSCALL). */
const FAULTABLE_TRACEPOINTS: ReadonlySet<string> = new Set(["sys_enter", "sys_exit"]);

/** kernel: can_be_sleepable */
export function canBeSleepable(progType: string, attach: string): boolean {
  switch (progType) {
    case "BPF_PROG_TYPE_TRACING": return SLEEPABLE_TRACING.has(attach);
    case "BPF_PROG_TYPE_LSM": return attach !== "BPF_LSM_CGROUP";
    case "BPF_PROG_TYPE_KPROBE": case "BPF_PROG_TYPE_STRUCT_OPS": case "BPF_PROG_TYPE_RAW_TRACEPOINT":
    case "BPF_PROG_TYPE_TRACEPOINT":
      return true;
    default:
      return false;
  }
}

/** kernel: check_attach_btf_id (the modelled part). undefined: accepted. */
export function checkAttachBtfId(p: AttachCheckInput, vmlinux: Btf | null): CfgReject | undefined {
  const sleepable = p.sleepable || !!(p.progFlags & BPF_F_SLEEPABLE);
  if (p.progType === "BPF_PROG_TYPE_SYSCALL") {
    return sleepable ? undefined : { errno: "EINVAL", message: "Syscall programs can only be sleepable\n" };
  }
  if (sleepable && !canBeSleepable(p.progType, p.expectedAttachType)) {
    return { errno: "EINVAL", message: "Program of this type cannot be sleepable\n" };
  }
  if (p.progType === "BPF_PROG_TYPE_TRACING" && p.expectedAttachType === "BPF_TRACE_RAW_TP" && sleepable && vmlinux
    && p.attachTo && !p.attachTo.includes(":") && vmlinux.findByNameKind(`btf_trace_${p.attachTo}`, "TYPEDEF")
    && !FAULTABLE_TRACEPOINTS.has(p.attachTo)) {
    // kernel: bpf_check_attach_target (tracepoint_is_faultable)
    return { errno: "EINVAL", message: `Sleepable program cannot attach to non-faultable tracepoint ${p.attachTo}\n` };
  }
  if (p.progType !== "BPF_PROG_TYPE_LSM" || !vmlinux || !p.attachTo || p.attachTo.includes(":")) return undefined;
  // kernel: bpf_lsm_verify_prog (libbpf resolved attach_btf_id to the bpf_lsm_<hook> FUNC).
  const name = p.attachTo.startsWith("bpf_lsm_") ? p.attachTo : `bpf_lsm_${p.attachTo}`;
  const id = vmlinux.findByNameKind(name, "FUNC");
  if (!id) return undefined;
  if (!p.gplCompatible) return { errno: "EINVAL", message: "LSM programs must have a GPL compatible license\n" };
  if (LSM_DISABLED_HOOKS.has(name)) return { errno: "EINVAL", message: `attach_btf_id ${id} points to disabled hook ${name}\n` };
  return undefined;
}
