// Which struct_ops member a BPF_PROG_TYPE_STRUCT_OPS program implements, and
// what the kernel derived from it when the struct_ops type was registered: the
// member's function prototype (the program's ctx) and the ctx_arg_info of its
// __nullable / __ref arguments (from the cfi stub's parameter names).
// kernel: verifier.c (check_struct_ops_btf_id), bpf_struct_ops.c
// (bpf_struct_ops_desc_init, prepare_arg_info, bpf_struct_ops_supported),
// btf.c (btf_ctx_arg_offset, btf_param_match_suffix)
import type { Btf, BtfFuncProto } from "../../btf/index.js";
import { skipModsAndTypedefs } from "../../btf/index.js";
import type { StructOpsDesc } from "../../kernel/structops/index.js";
import type { Profile } from "../../kernel/profile.js";
import type { CfgEnv, CfgReject } from "../cfg/types.js";
import { BPF_F_SLEEPABLE, type VerifierInput } from "../input.js";
import { PTR_MAYBE_NULL, PTR_TRUSTED } from "../state/reg-type.js";
import { notModelled } from "../not-modelled.js";

/** kernel: MAYBE_NULL_SUFFIX, REFCOUNTED_SUFFIX */
const MAYBE_NULL_SUFFIX = "__nullable";
const REFCOUNTED_SUFFIX = "__ref";

/** One struct bpf_ctx_arg_aux of a struct_ops member (kernel: prepare_arg_info). */
export interface StructOpsArg {
  /** The argument's number in the member's prototype. */
  readonly argNo: number;
  /** Its byte offset in the ctx (kernel: btf_ctx_arg_offset). */
  readonly off: number;
  /** The pointee struct, in the struct_ops' BTF. */
  readonly btfId: number;
  /** PTR_TRUSTED, with PTR_MAYBE_NULL for __nullable (the base type is PTR_TO_BTF_ID). */
  readonly flags: number;
  /** __ref: the program holds a reference on it from entry. */
  readonly refcounted: boolean;
  /** The stub's parameter name (the suffix says what it is). */
  readonly paramName: string;
}

/** The program's struct_ops attachment as check_struct_ops_btf_id leaves it in prog->aux. */
export interface StructOpsProg {
  readonly desc: StructOpsDesc;
  /** prog->aux->attach_btf: the BTF of the struct_ops type (vmlinux or its module's). */
  readonly btf: Btf;
  /** The module of that BTF; undefined: vmlinux. */
  readonly module: string | undefined;
  /** attach_func_name: the member's name. */
  readonly member: string;
  readonly memberIdx: number;
  /** attach_st_ops_member_off */
  readonly memberOff: number;
  /** attach_func_proto */
  readonly proto: BtfFuncProto;
  /** ctx_arg_info */
  readonly args: readonly StructOpsArg[];
  /** prog->aux->priv_stack_requested (check_member): the JIT runs it on a private stack. */
  readonly privStack: boolean;
}

/** kernel: btf_ctx_arg_offset — the ctx slots before argument `argNo` (a struct argument may take several). */
export function ctxArgOffset(btf: Btf, proto: BtfFuncProto, argNo: number): number {
  let off = 0;
  for (let i = 0; i < argNo; i++) {
    const t = btf.type(skipModsAndTypedefs(btf, proto.params[i]!.type));
    const size = t.kind === "PTR" ? 8 : "size" in t && typeof t.size === "number" ? t.size : 0;
    off += Math.ceil(size / 8) * 8;
  }
  return off;
}

/** kernel: btf_ctx_arg_idx — the argument the ctx offset falls in (nr_args for the slot after them). */
export function ctxArgIdx(btf: Btf, proto: BtfFuncProto, off: number): number {
  for (let i = 0; i < proto.params.length; i++) {
    if (off < ctxArgOffset(btf, proto, i + 1)) return i;
  }
  return proto.params.length;
}

/** kernel: btf_type_resolve_func_ptr — the FUNC_PROTO a member's (pointer) type names, or null. */
function resolveFuncPtr(btf: Btf, id: number): BtfFuncProto | null {
  const p = btf.type(skipModsAndTypedefs(btf, id));
  if (p.kind !== "PTR") return null;
  const f = btf.type(skipModsAndTypedefs(btf, p.type));
  return f.kind === "FUNC_PROTO" ? f : null;
}

/** kernel: btf_type_resolve_ptr — the pointee id (modifiers and typedefs skipped) of a pointer type, or 0. */
export function resolvePtr(btf: Btf, id: number): number {
  const p = btf.type(skipModsAndTypedefs(btf, id));
  return p.kind === "PTR" ? skipModsAndTypedefs(btf, p.type) : 0;
}

/** kernel: prepare_arg_info — the __nullable / __ref arguments of one member, from its cfi stub. */
function prepareArgInfo(btf: Btf, proto: BtfFuncProto, stubName: string): StructOpsArg[] {
  const fid = btf.findByNameKind(stubName, "FUNC");
  if (!fid) return notModelled(`struct_ops cfi stub ${stubName} missing from BTF`);
  const fn = btf.type(fid);
  const stub = fn.kind === "FUNC" ? btf.type(fn.type) : fn;
  if (stub.kind !== "FUNC_PROTO" || stub.params.length !== proto.params.length) {
    return notModelled(`struct_ops cfi stub ${stubName} does not match its member`);
  }
  const out: StructOpsArg[] = [];
  stub.params.forEach((p, argNo) => {
    const nullable = p.name.endsWith(MAYBE_NULL_SUFFIX);
    const refcounted = !nullable && p.name.endsWith(REFCOUNTED_SUFFIX);
    if (!nullable && !refcounted) return;
    const btfId = resolvePtr(btf, proto.params[argNo]!.type);
    const k = btfId ? btf.type(btfId).kind : "";
    // The kernel refuses to register such a struct_ops type: no program could be loaded.
    if (k !== "STRUCT" && k !== "UNION") notModelled(`struct_ops stub ${stubName} tags a non-struct argument`);
    out.push({
      argNo, off: ctxArgOffset(btf, proto, argNo), btfId, paramName: p.name, refcounted,
      flags: PTR_TRUSTED | (nullable ? PTR_MAYBE_NULL : 0),
    });
  });
  return out;
}

/** The result of check_struct_ops_btf_id: the attachment, or the kernel's refusal. */
export type StructOpsCheck = { readonly ok: true; readonly prog: StructOpsProg } | { readonly ok: false; readonly reject: CfgReject };

const refuse = (errno: CfgReject["errno"], message: string): StructOpsCheck => ({ ok: false, reject: { errno, message } });

/**
 * kernel: check_struct_ops_btf_id. `so` is the struct_ops map's type and the
 * member libbpf set as expected_attach_type; `cfg` gives the subprogs' tail calls.
 */
export function checkStructOpsBtfId(profile: Profile, input: VerifierInput, cfg: CfgEnv): StructOpsCheck {
  if (!input.gplCompatible) return refuse("EINVAL", "struct ops programs must have a GPL compatible license\n");
  const so = input.structOps;
  // No attach_btf_id: libbpf found no struct_ops map using the program.
  if (!so) return refuse("ENOTSUPP", "");
  const module = so.module ?? undefined;
  const btf = module === undefined ? profile.vmlinuxBtf : profile.btfOf(module);
  if (!btf) return notModelled(`struct_ops of module ${module} without its BTF`);
  const desc = profile.structOps(so.typeName, module);
  if (!desc) return notModelled(`struct_ops type ${so.typeName} (its cfi stubs and verifier ops are not in the profile)`);
  const tid = btf.findByNameKind(so.typeName, "STRUCT");
  const t = tid ? btf.type(tid) : undefined;
  if (!t || t.kind !== "STRUCT") return notModelled(`struct_ops type ${so.typeName} missing from its BTF`);
  if (so.memberIdx >= t.members.length) {
    return refuse("EINVAL", `attach to invalid member idx ${so.memberIdx} of struct ${desc.name}\n`);
  }
  const m = t.members[so.memberIdx]!;
  const proto = resolveFuncPtr(btf, m.type);
  if (!proto) return refuse("EINVAL", `attach to invalid member ${m.name}(@idx ${so.memberIdx}) of struct ${desc.name}\n`);
  const memberOff = m.bitOffset / 8;
  const stub = desc.stubs[m.name];
  // kernel: bpf_struct_ops_supported — a member without a cfi stub
  if (stub === undefined) return refuse("ENOTSUPP", `attach to unsupported member ${m.name} of struct ${desc.name}\n`);
  // kernel: st_ops->check_member
  const cm = desc.checkMember;
  // prog->sleepable: the section's, or BPF_F_SLEEPABLE among the load flags
  const sleepable = input.sleepable || (input.progFlags & BPF_F_SLEEPABLE) !== 0;
  if (cm?.sleepableOnly && sleepable && !cm.sleepableOnly.includes(m.name)) {
    return refuse("EINVAL", `attach to unsupported member ${m.name} of struct ${desc.name}\n`);
  }
  const privStack = cm?.privStack?.includes(m.name) ?? false;
  const args = prepareArgInfo(btf, proto, stub);
  // Tail-called programs would not get the references the arguments carry.
  if (args.some((a) => a.refcounted) && cfg.subprogs.slice(0, cfg.subprogCnt).some((s) => s.hasTailCall)) {
    return refuse("EINVAL", "program with __ref argument cannot tail call\n");
  }
  return { ok: true, prog: { desc, btf, module, member: m.name, memberIdx: so.memberIdx, memberOff, proto, args, privStack } };
}
