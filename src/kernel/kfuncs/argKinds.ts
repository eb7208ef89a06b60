// The prototype a kfunc has from its BTF and flags alone: for each argument the
// kind the 7.2 verifier derives from the BTF type and the parameter-name suffix
// before it looks at a register, and the kind of the return value.
// kernel: check_kfunc_args (the per-argument loop up to get_kfunc_ptr_arg_type),
//         get_kfunc_ptr_arg_type, check_kfunc_call (return type), check_special_kfunc
//
// Rows are ordered as the kernel tests them; the first row that selects wins. A
// row whose outcome depends on something outside BTF (the register, the program
// type) selects "conditionally": it is kept as an alternative and the walk goes on,
// so callers see e.g. that a `__nullable` pointer becomes KF_ARG_PTR_TO_NULL when
// the register is NULL.

import type { Btf } from "../../btf/index.js";
import { skipModsAndTypedefs } from "../../btf/index.js";
import { argFacts, argWhere, type ArgFacts, type KfuncArgContext } from "./argFacts.js";
import { cTypeStr } from "./ctype.js";

export type { KfuncArgContext } from "./argFacts.js";

/** 7.2 enum kfunc_ptr_arg_type, verbatim. */
export type KfuncPtrArgType =
  | "KF_ARG_PTR_TO_CTX"
  | "KF_ARG_PTR_TO_ALLOC_BTF_ID"
  | "KF_ARG_PTR_TO_REFCOUNTED_KPTR"
  | "KF_ARG_PTR_TO_DYNPTR"
  | "KF_ARG_PTR_TO_ITER"
  | "KF_ARG_PTR_TO_LIST_HEAD"
  | "KF_ARG_PTR_TO_LIST_NODE"
  | "KF_ARG_PTR_TO_BTF_ID"
  | "KF_ARG_PTR_TO_MEM"
  | "KF_ARG_PTR_TO_MEM_SIZE"
  | "KF_ARG_PTR_TO_CALLBACK"
  | "KF_ARG_PTR_TO_RB_ROOT"
  | "KF_ARG_PTR_TO_RB_NODE"
  | "KF_ARG_PTR_TO_NULL"
  | "KF_ARG_PTR_TO_CONST_STR"
  | "KF_ARG_PTR_TO_MAP"
  | "KF_ARG_PTR_TO_TIMER"
  | "KF_ARG_PTR_TO_WORKQUEUE"
  | "KF_ARG_PTR_TO_IRQ_FLAG"
  | "KF_ARG_PTR_TO_RES_SPIN_LOCK"
  | "KF_ARG_PTR_TO_TASK_WORK";

/**
 * The cases check_kfunc_args settles before get_kfunc_ptr_arg_type (the kernel has
 * no enum for them; lower-case so they are not mistaken for kernel names):
 * size: the `__sz`/`__szk` partner a KF_ARG_PTR_TO_MEM_SIZE consumed (i++);
 * prog_aux: `struct bpf_prog_aux *` by type; ignored: `__ign`; implicit: beyond the
 * BPF-visible prototype of a KF_IMPLICIT_ARGS kfunc; scalar_const: `__k`;
 * scalar_buf_size: `rdonly_buf_size`/`rdwr_buf_size`; scalar: any other INT/ENUM;
 * unrecognized: neither scalar nor pointer ("Unrecognized %s type %s");
 * unsupported_ptr: no pointer kind fits ("... must point to scalar, or struct with scalar").
 */
export type KfuncArgKind =
  | "size"
  | "prog_aux"
  | "ignored"
  | "implicit"
  | "scalar_const"
  | "scalar_buf_size"
  | "scalar"
  | "unrecognized"
  | KfuncPtrArgType
  | "unsupported_ptr";

/** What a row's selection depends on besides BTF: nothing (true), or a condition. */
export type Selection = boolean | { readonly when: string };

export interface ArgKindRow {
  readonly kind: KfuncArgKind;
  /** The kernel predicate(s) the row mirrors. */
  readonly kernel: string;
  readonly select: (a: ArgFacts) => Selection;
}

const SUFFIX = (a: ArgFacts, s: string) => a.suffixes.includes(s);
const STRUCT_IS = (a: ArgFacts, name: string) => a.kfArgStruct === name;

/** In the kernel's order: check_kfunc_args' loop, then get_kfunc_ptr_arg_type's chain. */
export const KFUNC_ARG_KIND_ROWS = {
  size: { kind: "size", kernel: "check_kfunc_args: KF_ARG_PTR_TO_MEM_SIZE consumes args[i + 1]", select: (a) => a.consumedBySizedPtr },
  prog_aux: { kind: "prog_aux", kernel: "is_kfunc_arg_prog_aux", select: (a) => a.isPtr && STRUCT_IS(a, "bpf_prog_aux") },
  ignored: { kind: "ignored", kernel: "is_kfunc_arg_ignore (__ign)", select: (a) => SUFFIX(a, "__ign") },
  implicit: { kind: "implicit", kernel: "is_kfunc_arg_implicit", select: (a) => a.implicit },
  scalar_const: { kind: "scalar_const", kernel: "is_kfunc_arg_constant (__k)", select: (a) => a.isScalar && SUFFIX(a, "__k") },
  scalar_buf_size: {
    kind: "scalar_buf_size",
    kernel: "is_kfunc_arg_scalar_with_name(rdonly_buf_size|rdwr_buf_size)",
    select: (a) => a.isScalar && (a.name === "rdonly_buf_size" || a.name === "rdwr_buf_size"),
  },
  scalar: { kind: "scalar", kernel: "btf_type_is_scalar", select: (a) => a.isScalar },
  unrecognized: { kind: "unrecognized", kernel: "!btf_type_is_ptr: Unrecognized %s type %s", select: (a) => !a.isPtr },
  KF_ARG_PTR_TO_CTX: {
    kind: "KF_ARG_PTR_TO_CTX",
    kernel: "special_kfunc_list[KF_bpf_cast_to_kern_ctx|KF_bpf_session_is_return|KF_bpf_session_cookie]; btf_is_prog_ctx_type",
    select: (a) => a.ctxKfunc || (a.progCtx === undefined ? (a.ctxOf.length > 0 ? { when: `program type's context is ${a.ctxOf.join(" or ")}` } : false) : a.progCtx),
  },
  KF_ARG_PTR_TO_NULL: {
    kind: "KF_ARG_PTR_TO_NULL",
    kernel: "is_kfunc_arg_nullable && bpf_register_is_null && !arg_mem_size",
    select: (a) => (SUFFIX(a, "__nullable") && !a.memSizePartner ? { when: "the register is a known NULL" } : false),
  },
  KF_ARG_PTR_TO_ALLOC_BTF_ID: { kind: "KF_ARG_PTR_TO_ALLOC_BTF_ID", kernel: "is_kfunc_arg_alloc_obj (__alloc)", select: (a) => SUFFIX(a, "__alloc") },
  KF_ARG_PTR_TO_REFCOUNTED_KPTR: { kind: "KF_ARG_PTR_TO_REFCOUNTED_KPTR", kernel: "is_kfunc_arg_refcounted_kptr (__refcounted_kptr)", select: (a) => SUFFIX(a, "__refcounted_kptr") },
  KF_ARG_PTR_TO_DYNPTR: { kind: "KF_ARG_PTR_TO_DYNPTR", kernel: "is_kfunc_arg_dynptr", select: (a) => STRUCT_IS(a, "bpf_dynptr") },
  KF_ARG_PTR_TO_ITER: { kind: "KF_ARG_PTR_TO_ITER", kernel: "is_kfunc_arg_iter", select: (a) => (a.iterKfunc ? a.index === 0 : SUFFIX(a, "__iter")) },
  KF_ARG_PTR_TO_LIST_HEAD: { kind: "KF_ARG_PTR_TO_LIST_HEAD", kernel: "is_kfunc_arg_list_head", select: (a) => STRUCT_IS(a, "bpf_list_head") },
  KF_ARG_PTR_TO_LIST_NODE: { kind: "KF_ARG_PTR_TO_LIST_NODE", kernel: "is_kfunc_arg_list_node", select: (a) => STRUCT_IS(a, "bpf_list_node") },
  KF_ARG_PTR_TO_RB_ROOT: { kind: "KF_ARG_PTR_TO_RB_ROOT", kernel: "is_kfunc_arg_rbtree_root", select: (a) => STRUCT_IS(a, "bpf_rb_root") },
  KF_ARG_PTR_TO_RB_NODE: { kind: "KF_ARG_PTR_TO_RB_NODE", kernel: "is_kfunc_arg_rbtree_node", select: (a) => STRUCT_IS(a, "bpf_rb_node") },
  KF_ARG_PTR_TO_CONST_STR: { kind: "KF_ARG_PTR_TO_CONST_STR", kernel: "is_kfunc_arg_const_str (__str)", select: (a) => SUFFIX(a, "__str") },
  KF_ARG_PTR_TO_MAP: { kind: "KF_ARG_PTR_TO_MAP", kernel: "is_kfunc_arg_map (__map)", select: (a) => SUFFIX(a, "__map") },
  KF_ARG_PTR_TO_WORKQUEUE: { kind: "KF_ARG_PTR_TO_WORKQUEUE", kernel: "is_kfunc_arg_wq", select: (a) => STRUCT_IS(a, "bpf_wq") },
  KF_ARG_PTR_TO_TIMER: { kind: "KF_ARG_PTR_TO_TIMER", kernel: "is_kfunc_arg_timer", select: (a) => STRUCT_IS(a, "bpf_timer") },
  KF_ARG_PTR_TO_TASK_WORK: { kind: "KF_ARG_PTR_TO_TASK_WORK", kernel: "is_kfunc_arg_task_work", select: (a) => STRUCT_IS(a, "bpf_task_work") },
  KF_ARG_PTR_TO_IRQ_FLAG: { kind: "KF_ARG_PTR_TO_IRQ_FLAG", kernel: "is_kfunc_arg_irq_flag (__irq_flag)", select: (a) => SUFFIX(a, "__irq_flag") },
  KF_ARG_PTR_TO_RES_SPIN_LOCK: { kind: "KF_ARG_PTR_TO_RES_SPIN_LOCK", kernel: "is_kfunc_arg_res_spin_lock", select: (a) => STRUCT_IS(a, "bpf_res_spin_lock") },
  KF_ARG_PTR_TO_BTF_ID: {
    kind: "KF_ARG_PTR_TO_BTF_ID",
    kernel: "base_type(reg->type) == PTR_TO_BTF_ID || reg2btf_ids[base_type(reg->type)], pointee btf_type_is_struct",
    // a struct pointee that is not all scalars can only ever be a BTF pointer
    select: (a) => (a.pointeeStructOrUnion ? (a.pointeeScalarStruct ? { when: "the register is PTR_TO_BTF_ID or a socket pointer" } : true) : false),
  },
  KF_ARG_PTR_TO_CALLBACK: { kind: "KF_ARG_PTR_TO_CALLBACK", kernel: "is_kfunc_arg_callback (btf_type_resolve_func_ptr)", select: (a) => a.pointeeFuncProto },
  KF_ARG_PTR_TO_MEM_SIZE: {
    kind: "KF_ARG_PTR_TO_MEM_SIZE",
    kernel: "arg_mem_size (next param __sz/__szk, scalar) && (btf_type_is_scalar || __btf_type_is_scalar_struct || void)",
    select: (a) => a.memSizePartner && (a.pointeeScalar || a.pointeeScalarStruct || a.pointeeVoid),
  },
  KF_ARG_PTR_TO_MEM: {
    kind: "KF_ARG_PTR_TO_MEM",
    kernel: "btf_type_is_scalar(ref_t) || __btf_type_is_scalar_struct(ref_t)",
    select: (a) => !a.memSizePartner && (a.pointeeScalar || a.pointeeScalarStruct),
  },
  unsupported_ptr: { kind: "unsupported_ptr", kernel: "%s pointer type %s %s must point to %sscalar, or struct with scalar", select: () => true },
} as const satisfies Record<KfuncArgKind, ArgKindRow>;

export const KFUNC_ARG_KIND_ORDER: readonly ArgKindRow[] = Object.values(KFUNC_ARG_KIND_ROWS);

export interface KfuncArgAlternative {
  readonly kind: KfuncArgKind;
  readonly when: string;
}

export interface KfuncArgProto {
  readonly index: number;
  readonly name: string;
  /** Where the caller puts it: "R1".."R5", then "*(R11-8)".. for args 6..12 (kernel: reg_arg_name). */
  readonly where: string;
  readonly typeId: number;
  readonly type: string;
  readonly kind: KfuncArgKind;
  /** Kinds an earlier row gives when its register/program-type condition holds, in kernel order. */
  readonly alternatives: readonly KfuncArgAlternative[];
  /** Suffix annotations of the parameter name (`__nullable`, `__uninit`, `__nonown_allowed`, ...). */
  readonly annotations: readonly string[];
  /** For KF_ARG_PTR_TO_MEM_SIZE: the size partner's index and whether it must be constant (`__szk`). */
  readonly sizeArg?: { readonly index: number; readonly constant: boolean };
}

function classify(a: ArgFacts): { kind: KfuncArgKind; alternatives: KfuncArgAlternative[] } {
  const alternatives: KfuncArgAlternative[] = [];
  for (const row of KFUNC_ARG_KIND_ORDER) {
    const sel = row.select(a);
    if (sel === true) {
      // a pointer only a BTF pointer fits: the BTF_ID alternative is its real kind
      if (row.kind === "unsupported_ptr") {
        const btf = alternatives.findIndex((x) => x.kind === "KF_ARG_PTR_TO_BTF_ID");
        if (btf >= 0) return { kind: "KF_ARG_PTR_TO_BTF_ID", alternatives: alternatives.filter((_, i) => i !== btf) };
      }
      // a pointer to a program's own context type (`struct __sk_buff *`) is meant for
      // the context: only the program type decides, so show CTX first
      const ctxAlt = alternatives.findIndex((x) => x.kind === "KF_ARG_PTR_TO_CTX");
      if (ctxAlt >= 0 && a.ctxExact) {
        return { kind: "KF_ARG_PTR_TO_CTX", alternatives: [...alternatives.filter((_, i) => i !== ctxAlt), { kind: row.kind, when: "other program types" }] };
      }
      return { kind: row.kind, alternatives };
    }
    if (sel !== false) alternatives.push({ kind: row.kind, when: sel.when });
  }
  return { kind: "unsupported_ptr", alternatives };
}

const ANNOTATIONS = ["__nullable", "__uninit", "__nonown_allowed", "__opt"] as const;

/** The arguments of a kfunc prototype, classified. */
export function kfuncArgKinds(ctx: KfuncArgContext): KfuncArgProto[] {
  const out: KfuncArgProto[] = [];
  const facts = argFacts(ctx);
  let consumed = -1;
  for (const base of facts) {
    const a = base.index === consumed ? { ...base, consumedBySizedPtr: true } : base;
    const { kind, alternatives } = classify(a);
    const next = facts[a.index + 1];
    const sized = kind === "KF_ARG_PTR_TO_MEM_SIZE" && next !== undefined;
    if (sized) consumed = a.index + 1;
    out.push({
      index: a.index,
      name: a.name,
      where: argWhere(a.index),
      typeId: a.typeId,
      type: cTypeStr(ctx.btf, a.typeId),
      kind,
      alternatives,
      annotations: a.suffixes.filter((s) => (ANNOTATIONS as readonly string[]).includes(s)),
      ...(sized ? { sizeArg: { index: next.index, constant: next.suffixes.includes("__szk") } } : {}),
    });
  }
  return out;
}

// ---- return value ----

/** What check_kfunc_call makes of R0 (kernel: the return-type block + check_special_kfunc). */
export type KfuncRetKind =
  | "void"
  | "scalar"
  | "obj_new"
  | "refcount_acquire"
  | "graph_node"
  | "cast_to_kern_ctx"
  | "rdonly_cast"
  | "dynptr_slice"
  | "void_ptr_scalar"
  | "session_cookie"
  | "PTR_TO_MEM"
  | "PTR_TO_BTF_ID"
  | "unsupported";

export interface RetFacts {
  readonly btf: Btf;
  /** Return type id after modifiers/typedefs. */
  readonly typeId: number;
  readonly kind: string;
  readonly pointeeId: number;
  readonly pointeeKind: string;
  readonly pointeeName: string;
  readonly special: readonly string[];
  readonly isVmlinux: boolean;
  readonly hasBufSizeArg: boolean;
  readonly pointeeSize: number | undefined;
}

export interface RetKindRow {
  readonly kind: KfuncRetKind;
  readonly kernel: string;
  readonly select: (r: RetFacts) => boolean;
}

const SPECIAL = (r: RetFacts, ...slots: string[]) => r.isVmlinux && r.special.some((s) => slots.includes(s));
const isPtr = (r: RetFacts) => r.kind === "PTR";

export const KFUNC_RET_KIND_ROWS = {
  scalar: { kind: "scalar", kernel: "btf_type_is_scalar(t): mark_reg_unknown", select: (r) => r.kind === "INT" || r.kind === "ENUM" },
  obj_new: {
    kind: "obj_new",
    kernel: "check_special_kfunc: is_bpf_obj_new_kfunc || is_bpf_percpu_obj_new_kfunc",
    select: (r) => isPtr(r) && SPECIAL(r, "KF_bpf_obj_new", "KF_bpf_obj_new_impl", "KF_bpf_percpu_obj_new", "KF_bpf_percpu_obj_new_impl"),
  },
  refcount_acquire: {
    kind: "refcount_acquire",
    kernel: "check_special_kfunc: is_bpf_refcount_acquire_kfunc",
    select: (r) => isPtr(r) && SPECIAL(r, "KF_bpf_refcount_acquire", "KF_bpf_refcount_acquire_impl"),
  },
  graph_node: {
    kind: "graph_node",
    kernel: "check_special_kfunc: is_list_node_type || is_rbtree_node_type -> mark_reg_graph_node",
    select: (r) => isPtr(r) && r.isVmlinux && r.pointeeKind === "STRUCT" && (r.pointeeName === "bpf_list_node" || r.pointeeName === "bpf_rb_node"),
  },
  cast_to_kern_ctx: { kind: "cast_to_kern_ctx", kernel: "check_special_kfunc: KF_bpf_cast_to_kern_ctx", select: (r) => isPtr(r) && SPECIAL(r, "KF_bpf_cast_to_kern_ctx") },
  rdonly_cast: { kind: "rdonly_cast", kernel: "check_special_kfunc: KF_bpf_rdonly_cast", select: (r) => isPtr(r) && SPECIAL(r, "KF_bpf_rdonly_cast") },
  dynptr_slice: { kind: "dynptr_slice", kernel: "check_special_kfunc: KF_bpf_dynptr_slice(_rdwr)", select: (r) => isPtr(r) && SPECIAL(r, "KF_bpf_dynptr_slice", "KF_bpf_dynptr_slice_rdwr") },
  void_ptr_scalar: { kind: "void_ptr_scalar", kernel: "btf_type_is_void(ptr_type): returning 'void *' is a scalar", select: (r) => isPtr(r) && r.pointeeKind === "UNKN" },
  session_cookie: {
    kind: "session_cookie",
    kernel: "check_kfunc_call: KF_bpf_session_cookie sets r0_size = sizeof(u64), r0_rdonly = false",
    select: (r) => isPtr(r) && SPECIAL(r, "KF_bpf_session_cookie"),
  },
  PTR_TO_MEM: {
    kind: "PTR_TO_MEM",
    kernel: "!__btf_type_is_struct(ptr_type): r0_size from rdonly/rdwr_buf_size or btf_resolve_size",
    select: (r) => isPtr(r) && r.pointeeKind !== "STRUCT" && (r.hasBufSizeArg || r.pointeeSize !== undefined),
  },
  PTR_TO_BTF_ID: { kind: "PTR_TO_BTF_ID", kernel: "__btf_type_is_struct(ptr_type)", select: (r) => isPtr(r) && r.pointeeKind === "STRUCT" },
  unsupported: { kind: "unsupported", kernel: "kernel function %s returns pointer type %s %s is not supported", select: (r) => isPtr(r) },
  void: { kind: "void", kernel: "neither scalar nor pointer: R0 left as is", select: () => true },
} as const satisfies Record<KfuncRetKind, RetKindRow>;

export const KFUNC_RET_KIND_ORDER: readonly RetKindRow[] = Object.values(KFUNC_RET_KIND_ROWS);

export interface KfuncRetCondition {
  readonly flag: string;
  readonly when: string;
}

export interface KfuncRetProto {
  readonly typeId: number;
  readonly type: string;
  readonly kind: KfuncRetKind;
  /** Register type flags the call adds (PTR_TRUSTED, MEM_RCU, PTR_UNTRUSTED, MEM_RDONLY, PTR_MAYBE_NULL...). */
  readonly typeFlags: readonly string[];
  /** KF_ACQUIRE: R0 holds a new reference. */
  readonly acquire: boolean;
  /** PTR_TO_MEM size: the BTF size of the pointee, or the name of the buf-size argument. */
  readonly memSize?: number | string;
  /** Type flags that depend on the call site (e.g. MEM_RCU of an iterator-next result). */
  readonly conditional?: readonly KfuncRetCondition[];
}

export function kfuncRetKind(ctx: KfuncArgContext, args: readonly KfuncArgProto[]): KfuncRetProto {
  const { btf, protoId, flags } = ctx;
  const proto = btf.type(protoId);
  if (proto.kind !== "FUNC_PROTO") throw new Error(`kfunc ${ctx.name}: type ${protoId} is not a FUNC_PROTO`);
  const typeId = skipModsAndTypedefs(btf, proto.returnType);
  const t = btf.type(typeId);
  const pointeeId = t.kind === "PTR" ? skipModsAndTypedefs(btf, t.type) : 0;
  const p = btf.type(pointeeId);
  const bufArg = args.find((a) => a.kind === "scalar_buf_size");
  let pointeeSize: number | undefined;
  try {
    pointeeSize = t.kind === "PTR" && p.kind !== "UNKN" ? sizeOf(btf, pointeeId) : undefined;
  } catch {
    pointeeSize = undefined;
  }
  const facts: RetFacts = {
    btf,
    typeId,
    kind: t.kind,
    pointeeId,
    pointeeKind: p.kind,
    pointeeName: p.name,
    special: ctx.special,
    isVmlinux: ctx.isVmlinux,
    hasBufSizeArg: bufArg !== undefined,
    pointeeSize,
  };
  const row = KFUNC_RET_KIND_ORDER.find((r) => r.select(facts))!;
  const has = (f: string) => flags.includes(f);
  const typeFlags: string[] = [];
  const conditional: KfuncRetCondition[] = [];
  if (row.kind === "PTR_TO_MEM" || row.kind === "session_cookie") {
    if (row.kind === "PTR_TO_MEM" && (bufArg === undefined || bufArg.name === "rdonly_buf_size")) typeFlags.push("MEM_RDONLY");
    if (has("KF_RCU_PROTECTED")) typeFlags.push("MEM_RCU");
  } else if (row.kind === "PTR_TO_BTF_ID") {
    if (SPECIAL(facts, "KF_bpf_get_kmem_cache")) typeFlags.push("PTR_UNTRUSTED");
    else if (has("KF_RCU_PROTECTED")) typeFlags.push("MEM_RCU");
    else {
      typeFlags.push("PTR_TRUSTED");
      if (has("KF_ITER_NEXT")) conditional.push({ flag: "MEM_RCU", when: "instead of PTR_TRUSTED when the iterator's slot is MEM_RCU (KF_RCU_PROTECTED constructor)" });
    }
  }
  const isPtrKind = t.kind === "PTR" && row.kind !== "void_ptr_scalar" && row.kind !== "unsupported";
  if (isPtrKind && has("KF_RET_NULL")) {
    if (row.kind === "refcount_acquire") conditional.push({ flag: "PTR_MAYBE_NULL", when: "unless the argument is an owning reference" });
    else typeFlags.push("PTR_MAYBE_NULL");
  }
  return {
    typeId,
    type: cTypeStr(btf, proto.returnType),
    kind: row.kind,
    typeFlags,
    acquire: isPtrKind && has("KF_ACQUIRE"),
    ...(row.kind === "PTR_TO_MEM" ? { memSize: bufArg !== undefined ? bufArg.name : pointeeSize } : row.kind === "session_cookie" ? { memSize: 8 } : {}),
    ...(conditional.length ? { conditional } : {}),
  };
}

function sizeOf(btf: Btf, id: number): number | undefined {
  // kernel: btf_resolve_size (arrays multiply, modifiers/typedefs skipped)
  let n = 1;
  for (let depth = 0; depth < 32; depth++) {
    const t = btf.type(id);
    switch (t.kind) {
      case "INT":
      case "ENUM":
      case "ENUM64":
      case "STRUCT":
      case "UNION":
      case "FLOAT":
        return t.size * n;
      case "PTR":
        return 8 * n;
      case "ARRAY":
        n *= t.nelems;
        id = t.elemType;
        break;
      case "TYPEDEF":
      case "CONST":
      case "VOLATILE":
      case "RESTRICT":
      case "TYPE_TAG":
        id = t.type;
        break;
      default:
        return undefined;
    }
  }
  return undefined;
}
