// Which kfunc a call names and what the target kernel says about it: the BTF
// that holds it (vmlinux, or the module BTF of fd_array[off]), its flags for
// the program's hook, its prototype with classified arguments, and whether the
// program type may call it at all.
// kernel: fetch_kfunc_meta, bpf_fetch_kfunc_arg_meta, btf_kfunc_is_allowed
import type { RawInsn } from "../../isa/raw.js";
import type { Btf } from "../../btf/index.js";
import type { Profile } from "../../kernel/profile.js";
import type { Kfunc } from "../../kernel/kfuncs/catalog.js";
import type { KfuncProto } from "../../kernel/kfuncs/proto.js";
import type { BtfRef, DynptrType } from "../state/types.js";
import type { MapInfo } from "../input.js";
import type { VerifierEnv } from "../env.js";
import type { GraphRoot } from "../maprec/local.js";
import { VMLINUX_BTF_REF } from "../calls/global.js";
import { reject } from "../reject.js";
import { notModelled } from "../not-modelled.js";
import { structOpsKfuncFilterRejects } from "../structops/kfunc-filter.js";

/** What the verifier needs from the target for kfunc calls (installed by the glue). */
export interface KfuncTarget {
  readonly profile: Profile;
  /** The module whose BTF fd sits at fd_array[off] (kernel: __find_kfunc_desc_btf); undefined: none. */
  moduleOf(off: number): string | undefined;
  /** One BtfRef per BTF object, so registers pointing into the same BTF compare equal. */
  readonly refs: Map<string, BtfRef>;
}

export function makeKfuncTarget(profile: Profile, moduleOf: (off: number) => string | undefined): KfuncTarget {
  return { profile, moduleOf, refs: new Map() };
}

/** The BtfRef registers carry for a kfunc's BTF (vmlinux shares the one global subprogs use). */
export function btfRefOf(target: KfuncTarget, module: string | undefined): BtfRef {
  if (module === undefined) return VMLINUX_BTF_REF;
  let r = target.refs.get(module);
  if (!r) {
    r = { name: module };
    target.refs.set(module, r);
  }
  return r;
}

/** The program's own BTF (prog->aux->btf: local objects of bpf_obj_new). */
export const PROG_BTF_REF: BtfRef = { name: "prog" };

/** The program's BTF or a kernel one behind a register's BtfRef. */
export function btfOfAnyRef(env: VerifierEnv, ref: BtfRef | null): Btf | undefined {
  if (ref === PROG_BTF_REF) return env.progBtf ?? undefined;
  return env.kfuncTarget ? btfOfRef(env.kfuncTarget, ref) : undefined;
}

/** The kernel Btf behind a register's BtfRef (vmlinux or a module); undefined for the program's own BTF. */
export function btfOfRef(target: KfuncTarget, ref: BtfRef | null): Btf | undefined {
  if (ref === null) return undefined;
  if (ref === VMLINUX_BTF_REF) return target.profile.vmlinuxBtf;
  return target.refs.get(ref.name) === ref ? target.profile.btfOf(ref.name) : undefined;
}

/** kernel: struct bpf_kfunc_call_arg_meta (the parts this slice uses). */
export interface KfuncCallMeta {
  readonly kfunc: Kfunc;
  readonly name: string;
  readonly btf: Btf;
  readonly btfRef: BtfRef;
  readonly isVmlinux: boolean;
  readonly flags: readonly string[];
  readonly proto: KfuncProto;
  /** 1 for KF_RELEASE (release args are only ever R1), else 0. */
  releaseRegno: number;
  r0Size: number;
  r0Rdonly: boolean;
  argConstant: { found: boolean; value: bigint };
  argProg: boolean;
  subprogno: number;
  /** KF_ARG_PTR_TO_MAP: the map passed (kernel: meta->map). */
  map: MapInfo | null;
  mapUid: number;
  /** The initialized dynptr argument (kernel: meta->dynptr). */
  dynptr: { type: DynptrType; id: number; parentId: number };
  /** The iterator argument's first slot (kernel: meta->iter). */
  iter: { spi: number; frameno: number } | null;
  /** bpf_cast_to_kern_ctx: the kernel context struct (vmlinux id). */
  retBtfId: number;
  refObj: { id: number; parentId: number; cnt: number };
  /** The graph root argument of a list/rbtree kfunc (kernel: meta->arg_list_head.field / arg_rbtree_root.field). */
  argListHead: GraphRoot | null;
  argRbtreeRoot: GraphRoot | null;
  /** The local object a graph node / refcounted argument points to (kernel: meta->arg_btf, arg_btf_id). */
  argBtf: BtfRef | null;
  argBtfId: number;
  /** bpf_refcount_acquire got an owning reference (kernel: meta->arg_owning_ref). */
  argOwningRef: boolean;
}

export function hasFlag(meta: KfuncCallMeta, f: string): boolean {
  return meta.flags.includes(f);
}

/** kernel: special_kfunc_list membership, only for vmlinux kfuncs (the kernel compares vmlinux ids). */
export function isSpecial(meta: KfuncCallMeta, ...slots: string[]): boolean {
  return meta.isVmlinux && meta.kfunc.special.some((s) => slots.includes(s));
}

// kernel: the kfunc filters registered with btf_kfunc_id_set (they self-select by set membership).
function filterRejects(env: VerifierEnv, filter: string, kfunc: string): boolean {
  const { progType, expectedAttachType: eat } = env.input;
  switch (filter) {
    case "bpf_session_filter": // kernel/trace/bpf_trace.c
      return !((progType === "BPF_PROG_TYPE_KPROBE" && (eat === "BPF_TRACE_KPROBE_SESSION" || eat === "BPF_TRACE_UPROBE_SESSION")) ||
        (progType === "BPF_PROG_TYPE_TRACING" && (eat === "BPF_TRACE_FSESSION" || eat === "BPF_TRACE_FSESSION_MULTI")));
    case "tracing_iter_filter": // net/core/filter.c (bpf_sock_destroy)
      return eat !== "BPF_TRACE_ITER";
    case "bpf_qdisc_kfunc_filter": // net/sched/bpf_qdisc.c
    case "scx_kfunc_context_filter": // kernel/sched/ext/ext.c
      return structOpsKfuncFilterRejects(env, filter, kfunc);
    case "bpf_fs_kfuncs_filter": // fs/bpf_fs_kfuncs.c
    case "bpf_get_fsverity_digest_filter": // fs/verity/measure.c
      return progType !== "BPF_PROG_TYPE_LSM";
    default:
      return notModelled(`kfunc filter ${filter}`);
  }
}

/** kernel: btf_kfunc_is_allowed — a route admits when the kfunc's own set's filter (if any) does. */
function kfuncIsAllowed(env: VerifierEnv, profile: Profile, k: Kfunc): boolean {
  const a = profile.kfuncAllowed(k, env.input.progType, env.input.expectedAttachType);
  for (const route of a.routes) {
    const own = k.hooks.filter((h) => h.hook === route.hook).map((h) => h.filter).filter((f): f is string => f !== undefined);
    if (!own.some((f) => filterRejects(env, f, k.name))) return true;
  }
  return false;
}

/**
 * kernel: bpf_fetch_kfunc_arg_meta as check_kfunc_call uses it. The failures of
 * fetch_kfunc_meta itself were already reported by add_subprog_and_kfunc (cfg
 * pre-pass), so a kfunc unknown here is our gap, not a program error.
 */
export function fetchKfuncArgMeta(env: VerifierEnv, insn: RawInsn): KfuncCallMeta {
  const target = env.kfuncTarget;
  if (!target) return notModelled("kfunc calls without a target profile");
  const { profile } = target;
  const module = insn.off === 0 ? undefined : target.moduleOf(insn.off);
  if (insn.off !== 0 && module === undefined) return notModelled(`kfunc call through fd_array[${insn.off}] without a module BTF`);
  const k = profile.kfuncByBtfId(insn.imm, module);
  const btf = profile.btfOf(module);
  if (!k) {
    // kernel: a FUNC in BTF that no kfunc set holds: btf_kfunc_flags() is NULL -> -EACCES
    if (btf && btf.hasType(insn.imm) && btf.kind(insn.imm) === "FUNC") {
      reject(env, "EACCES", `calling kernel function ${btf.typeName(insn.imm)} is not allowed\n`);
    }
    return notModelled(`kfunc btf_id ${insn.imm}${module ? ` of ${module}` : ""}`);
  }
  const flags = profile.kfuncFlags(k, env.input.progType);
  if (!flags || !kfuncIsAllowed(env, profile, k)) reject(env, "EACCES", `calling kernel function ${k.name} is not allowed\n`);
  const proto = profile.kfuncProto(k, env.input.progType);
  return {
    kfunc: k,
    name: k.name,
    btf: k.btf,
    btfRef: btfRefOf(target, k.module),
    isVmlinux: k.module === undefined,
    flags,
    proto,
    releaseRegno: flags.includes("KF_RELEASE") ? 1 : 0,
    r0Size: 0,
    r0Rdonly: false,
    argConstant: { found: false, value: 0n },
    argProg: false,
    subprogno: 0,
    map: null,
    mapUid: 0,
    retBtfId: 0,
    iter: null,
    dynptr: { type: "BPF_DYNPTR_TYPE_INVALID", id: 0, parentId: 0 },
    refObj: { id: 0, parentId: 0, cnt: 0 },
    argListHead: null,
    argRbtreeRoot: null,
    argBtf: null,
    argBtfId: 0,
    argOwningRef: false,
  };
}
