// The BTF facts about one kfunc parameter that the argument-kind rows test:
// suffixes, scalar/pointer, the pointee's shape, the special kfunc-arg structs
// (kf_arg_btf_ids), the context-type match, the `__sz`/`__szk` partner.
// kernel: btf_param_match_suffix, btf_type_is_scalar, __btf_type_is_scalar_struct,
//         __is_kfunc_ptr_arg_type, btf_is_prog_ctx_type, is_kfunc_arg_implicit

import type { Btf } from "../../btf/index.js";
import { skipModsAndTypedefs } from "../../btf/index.js";

/** What the classification needs to know about the kfunc and the call site. */
export interface KfuncArgContext {
  readonly name: string;
  /** The BTF holding the kfunc (vmlinux or a module's split BTF). */
  readonly btf: Btf;
  readonly vmlinux: Btf;
  readonly isVmlinux: boolean;
  /** The prototype the verifier checks: `<name>_impl`'s for KF_IMPLICIT_ARGS (kernel: fetch_kfunc_meta). */
  readonly protoId: number;
  /** Number of params of the BPF-visible prototype (FUNC `<name>`'s own). */
  readonly visibleArgs: number;
  readonly flags: readonly string[];
  /** special_kfunc_list slots of this kfunc ("KF_bpf_cast_to_kern_ctx"...). */
  readonly special: readonly string[];
  /**
   * The program type's canonical context type as bpf_types.h spells it ("struct __sk_buff",
   * "bpf_user_pt_regs_t"), null when it has none; undefined: program type not known.
   */
  readonly progCtx?: string | null;
  readonly progType?: string;
  /** Context types of all program types, for the "depends on program type" alternative. */
  readonly allProgCtx?: readonly string[];
}

/** kernel: kf_arg_btf_ids (the structs get_kfunc_ptr_arg_type keys on). */
export const KF_ARG_STRUCTS = [
  "bpf_dynptr",
  "bpf_list_head",
  "bpf_list_node",
  "bpf_rb_root",
  "bpf_rb_node",
  "bpf_wq",
  "bpf_res_spin_lock",
  "bpf_task_work",
  "bpf_prog_aux",
  "bpf_timer",
] as const;

/** Parameter-name suffixes of 7.2 (kernel: the is_kfunc_arg_* predicates using btf_param_match_suffix). */
export const KFUNC_ARG_SUFFIXES = [
  "__k",
  "__sz",
  "__szk",
  "__ign",
  "__alloc",
  "__uninit",
  "__refcounted_kptr",
  "__nullable",
  "__str",
  "__map",
  "__irq_flag",
  "__iter",
  "__nonown_allowed",
] as const;

export interface ArgFacts {
  readonly index: number;
  readonly name: string;
  readonly typeId: number;
  readonly suffixes: readonly string[];
  readonly isScalar: boolean;
  readonly isPtr: boolean;
  /** The kf_arg_btf_ids struct the pointee is, if any. */
  readonly kfArgStruct: string | undefined;
  readonly implicit: boolean;
  readonly consumedBySizedPtr: boolean;
  readonly ctxKfunc: boolean;
  /** btf_is_prog_ctx_type for the given program type; undefined when no program type was given. */
  readonly progCtx: boolean | undefined;
  /** Program context types the pointee matches (for the alternative's text). */
  readonly ctxOf: readonly string[];
  /** The pointee is a program context type by its own name (`__sk_buff`, not the `sk_buff` projection). */
  readonly ctxExact: boolean;
  readonly memSizePartner: boolean;
  readonly iterKfunc: boolean;
  readonly pointeeStructOrUnion: boolean;
  readonly pointeeScalarStruct: boolean;
  readonly pointeeScalar: boolean;
  readonly pointeeVoid: boolean;
  readonly pointeeFuncProto: boolean;
}

/** kernel: btf_param_match_suffix (the name must be longer than the suffix). */
export function matchSuffix(name: string, suffix: string): boolean {
  return name.length > suffix.length && name.endsWith(suffix);
}

/** kernel: btf_type_is_scalar = INT or ENUM (not ENUM64). */
function isScalarKind(btf: Btf, id: number): boolean {
  const k = btf.kind(id);
  return k === "INT" || k === "ENUM";
}

/** kernel: __btf_type_is_scalar_struct (STRUCT only, 4 nesting levels, arrays of scalars with nelems > 0). */
export function isScalarStruct(btf: Btf, id: number, rec = 0): boolean {
  const t = btf.type(id);
  if (t.kind !== "STRUCT" && t.kind !== "UNION") return false;
  for (const m of t.members) {
    const mt = skipModsAndTypedefs(btf, m.type);
    const mk = btf.kind(mt);
    if (mk === "STRUCT" || mk === "UNION") {
      if (rec >= 3) return false;
      if (!isScalarStruct(btf, mt, rec + 1)) return false;
      continue;
    }
    if (mk === "ARRAY") {
      const a = btf.type(mt);
      if (a.kind !== "ARRAY" || a.nelems === 0) return false;
      if (!isScalarKind(btf, skipModsAndTypedefs(btf, a.elemType))) return false;
      continue;
    }
    if (!isScalarKind(btf, mt)) return false;
  }
  return true;
}

const MODIFIERS_NO_TYPEDEF = new Set(["CONST", "VOLATILE", "RESTRICT", "TYPE_TAG"]);

/** kernel: btf_is_projection_of */
function isProjection(ctxName: string, tname: string): boolean {
  return (ctxName === "__sk_buff" && tname === "sk_buff") || (ctxName === "xdp_md" && tname === "xdp_buff");
}

/** kernel: btf_is_prog_ctx_type, for a pointer param whose pointee is `pointee`. */
export function isProgCtxType(btf: Btf, vmlinux: Btf, pointee: number, progCtx: string | null, progType: string | undefined): boolean {
  if (progCtx === null) return false;
  if (progType === "BPF_PROG_TYPE_KPROBE") {
    let id = pointee;
    for (let d = 0; d < 32 && MODIFIERS_NO_TYPEDEF.has(btf.kind(id)); d++) id = btf.sizeOrType(id);
    if (btf.kind(id) === "TYPEDEF" && btf.typeName(id) === "bpf_user_pt_regs_t") return true;
  }
  const t = skipModsAndTypedefs(btf, pointee);
  const k = btf.kind(t);
  if (k !== "STRUCT" && k !== "UNION") return false;
  const tname = btf.typeName(t);
  let ctxName = progCtx.replace(/^struct\s+/, "").replace(/\s*\*$/, "");
  if (ctxName === "" || ctxName === "void") return false;
  if (isProjection(ctxName, tname) || ctxName === tname) return true;
  // a typedef'd context (bpf_user_pt_regs_t): compare with what it stands for
  const td = vmlinux.findByNameKind(ctxName, "TYPEDEF");
  if (td === undefined) return false;
  const under = skipModsAndTypedefs(vmlinux, td);
  ctxName = vmlinux.typeName(under);
  return ctxName !== "" && (isProjection(ctxName, tname) || ctxName === tname);
}

/** kernel: reg_arg_name: R1..R5, then the outgoing stack slots *(R11-8).. for args 6..12. */
export function argWhere(index: number): string {
  return index < 5 ? `R${index + 1}` : `*(R11-${(index - 4) * 8})`;
}

const ITER_FLAGS = ["KF_ITER_NEW", "KF_ITER_NEXT", "KF_ITER_DESTROY"];

export function argFacts(ctx: KfuncArgContext): ArgFacts[] {
  const { btf, vmlinux } = ctx;
  const proto = btf.type(ctx.protoId);
  if (proto.kind !== "FUNC_PROTO") throw new Error(`kfunc ${ctx.name}: type ${ctx.protoId} is not a FUNC_PROTO`);
  const structIds = new Map<number, string>();
  for (const s of KF_ARG_STRUCTS) {
    const id = vmlinux.findByNameKind(s, "STRUCT");
    if (id !== undefined) structIds.set(id, s);
  }
  const implicitFlag = ctx.flags.includes("KF_IMPLICIT_ARGS");
  const iterKfunc = ctx.flags.some((f) => ITER_FLAGS.includes(f));
  const ctxKfunc = ctx.isVmlinux && ctx.special.some((s) => s === "KF_bpf_cast_to_kern_ctx" || s === "KF_bpf_session_is_return" || s === "KF_bpf_session_cookie");
  const params = proto.params;
  const sizeSuffix = (i: number) => {
    const p = params[i];
    if (p === undefined || !isScalarKind(btf, skipModsAndTypedefs(btf, p.type))) return false;
    return matchSuffix(p.name, "__sz") || matchSuffix(p.name, "__szk");
  };
  return params.map((p, index) => {
    const t = skipModsAndTypedefs(btf, p.type);
    const isPtr = btf.kind(t) === "PTR";
    const pointee = isPtr ? skipModsAndTypedefs(btf, btf.sizeOrType(t)) : 0;
    const pk = isPtr ? btf.kind(pointee) : "UNKN";
    const rawPointee = isPtr ? btf.sizeOrType(t) : 0;
    const ctxOf = isPtr
      ? [...new Set((ctx.allProgCtx ?? []).filter((c) => isProgCtxType(btf, vmlinux, rawPointee, c, c === "bpf_user_pt_regs_t" ? "BPF_PROG_TYPE_KPROBE" : undefined)))]
      : [];
    return {
      index,
      name: p.name,
      typeId: p.type,
      suffixes: KFUNC_ARG_SUFFIXES.filter((s) => matchSuffix(p.name, s)),
      isScalar: isScalarKind(btf, t),
      isPtr,
      kfArgStruct: isPtr ? structIds.get(pointee) : undefined,
      implicit: implicitFlag && index >= ctx.visibleArgs,
      consumedBySizedPtr: false,
      ctxKfunc,
      progCtx: ctx.progCtx === undefined || !isPtr ? undefined : isProgCtxType(btf, vmlinux, rawPointee, ctx.progCtx, ctx.progType),
      ctxOf,
      ctxExact: ctxOf.some((c) => c.replace(/^struct\s+/, "") === btf.typeName(pointee)),
      memSizePartner: index + 1 < params.length && sizeSuffix(index + 1),
      iterKfunc,
      pointeeStructOrUnion: pk === "STRUCT" || pk === "UNION",
      pointeeScalarStruct: (pk === "STRUCT" || pk === "UNION") && isScalarStruct(btf, pointee),
      pointeeScalar: pk === "INT" || pk === "ENUM",
      pointeeVoid: isPtr && pointee === 0,
      pointeeFuncProto: pk === "FUNC_PROTO",
    };
  });
}
