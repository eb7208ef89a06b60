// The BTF-described contexts of fentry/fexit/fmod_ret, tp_btf and LSM
// programs: the ctx is an array of u64 slots holding the attach function's
// arguments (and, for fexit-like programs, its return value).
// kernel: kernel/bpf/btf.c (btf_ctx_access, btf_ctx_arg_idx, btf_type_tag_walk,
// btf_type_is_struct_ptr), kernel/bpf/bpf_lsm.c (bpf_lsm_is_trusted,
// bpf_lsm_get_retval_range), verifier.c (prog_args_trusted, get_func_retval_range)
//
// Not modelled (NotModelled, never a verdict): targets in BPF programs
// (tgt_prog: btf_translate_to_vmlinux), iterators and struct_ops
// (ctx_arg_info of targets not in the table below), module BTFs.
import type { Btf, BtfFuncProto, BtfParam } from "../../btf/index.js";
import { btfTypeStr, findMemberDeep, skipModsAndTypedefs } from "../../btf/index.js";
import { PTR_TRUSTED, PTR_MAYBE_NULL, MEM_USER, MEM_PERCPU, MEM_RDONLY } from "../state/reg-type.js";
import type { BaseRegType } from "../state/reg-type.js";
import { notModelled } from "../not-modelled.js";
import { RAW_TP_NULL_ARGS } from "./raw-tp-null-args.js";

const MAX_BPF_FUNC_REG_ARGS = 5;
/** kernel: MAX_ERRNO */
const MAX_ERRNO = 4095;

// Target facts (bpf_lsm.c BTF_ID sets on a CONFIG_SECURITY_NETWORK, CONFIG_AUDIT,
// CONFIG_SECURITY_NETWORK_XFRM kernel); they belong in the profile.
const UNTRUSTED_LSM_HOOKS = new Set(["bpf_lsm_bpf_map_free", "bpf_lsm_bpf_prog_free", "bpf_lsm_file_alloc_security",
  "bpf_lsm_file_free_security", "bpf_lsm_sk_alloc_security", "bpf_lsm_sk_free_security", "bpf_lsm_task_free",
  "bpf_lsm_bdev_alloc_security", "bpf_lsm_bdev_free_security"]);
const BOOL_LSM_HOOKS = new Set(["bpf_lsm_xfrm_state_pol_flow_match", "bpf_lsm_audit_rule_known", "bpf_lsm_inode_xattr_skipcap"]);

/** One bpf_ctx_arg_aux of an iterator target: the member of struct bpf_iter__<target> and its register type. */
interface IterCtxArg {
  readonly member: string;
  readonly base: "PTR_TO_BTF_ID" | "PTR_TO_BUF";
  readonly flags: number;
}
const btfOrNull = (member: string, trusted = false): IterCtxArg => ({ member, base: "PTR_TO_BTF_ID", flags: PTR_MAYBE_NULL | (trusted ? PTR_TRUSTED : 0) });
const buf = (member: string, rdonly: boolean): IterCtxArg => ({ member, base: "PTR_TO_BUF", flags: PTR_MAYBE_NULL | (rdonly ? MEM_RDONLY : 0) });

/**
 * The ctx_arg_info of each iterator target (kernel: the .ctx_arg_info of every
 * struct bpf_iter_reg: kernel/bpf/{task,map,prog,link,cgroup,kmem_cache,dmabuf}_iter.c,
 * kernel/kallsyms.c, net/{netlink,ipv6,core,unix,ipv4}/...).
 */
const ITER_CTX_ARGS: Record<string, readonly IterCtxArg[]> = {
  ksym: [btfOrNull("ksym")],
  bpf_prog: [btfOrNull("prog")],
  cgroup: [btfOrNull("cgroup", true)],
  kmem_cache: [btfOrNull("s", true)],
  task: [btfOrNull("task", true)],
  task_file: [btfOrNull("task"), btfOrNull("file")],
  task_vma: [btfOrNull("task"), btfOrNull("vma")],
  bpf_map: [btfOrNull("map", true)],
  bpf_map_elem: [buf("key", true), buf("value", false)],
  dmabuf: [btfOrNull("dmabuf")],
  bpf_link: [btfOrNull("link")],
  netlink: [btfOrNull("sk")],
  ipv6_route: [btfOrNull("rt")],
  sockmap: [buf("key", true), btfOrNull("sk")],
  bpf_sk_storage_map: [btfOrNull("sk"), buf("value", false)],
  unix: [btfOrNull("unix_sk")],
  tcp: [btfOrNull("sk_common", true)],
  udp: [btfOrNull("udp_sk", true)],
};

/** The resolved attach point (kernel: prog->aux->attach_func_proto / attach_func_name / attach_btf_trace). */
export interface AttachFunc {
  readonly name: string;
  readonly proto: BtfFuncProto;
  /** tp_btf: the btf_trace_<tp> typedef, whose first argument is the hidden `void *__data`. */
  readonly btfTrace: boolean;
  /** Iterators: the target's ctx_arg_info, at their ctx offsets. */
  readonly ctxArgs: readonly { off: number; arg: IterCtxArg }[];
}

/** What btf_ctx_access concluded. */
export interface BtfCtxResult {
  readonly ok: boolean;
  readonly regType: BaseRegType;
  readonly regFlags: number;
  readonly btfId: number;
  /** LSM return-value slot: the s32 range get_func_retval_range gives. */
  readonly retvalRange?: [number, number];
}

/** kernel: check_attach_btf_id's lookup, for the targets modelled here. */
export function resolveAttachFunc(btf: Btf, progType: string, attach: string, attachTo: string | undefined): AttachFunc {
  if (!attachTo && !attach.endsWith("_MULTI")) return notModelled(`BTF ctx of ${progType} without an attach target`);
  if (attachTo?.includes(":")) return notModelled("fentry/fexit/freplace on BPF programs (btf_translate_to_vmlinux)");
  let name = attachTo ?? "";
  let btfTrace = false;
  if (attach.endsWith("_MULTI")) {
    // Multi-attach programs see the placeholder int bpf_multi_func(void) (kernel: bpf_multi_func_btf_id).
    name = "bpf_multi_func";
  } else if (attach === "BPF_TRACE_RAW_TP") {
    name = `btf_trace_${attachTo}`;
    btfTrace = true;
  } else if (progType === "BPF_PROG_TYPE_LSM" && !name.startsWith("bpf_lsm_")) {
    name = `bpf_lsm_${name}`;
  } else if (attach === "BPF_TRACE_ITER") {
    if (!(name in ITER_CTX_ARGS)) return notModelled(`iterator target ${name} (ctx_arg_info)`);
    name = `bpf_iter_${name}`;
  }
  const id = btfTrace ? btf.findByNameKind(name, "TYPEDEF") : btf.findByNameKind(name, "FUNC");
  if (!id) return notModelled(`attach target ${name} not found in the attach BTF`);
  let t = btf.type(id);
  // FUNC -> FUNC_PROTO; btf_trace_x typedef -> PTR -> FUNC_PROTO.
  if (t.kind === "FUNC") t = btf.type(t.type);
  else {
    t = btf.type(skipModsAndTypedefs(btf, id));
    if (t.kind === "PTR") t = btf.type(t.type);
  }
  if (t.kind !== "FUNC_PROTO") return notModelled(`attach target ${name} is not a function`);
  const ctxArgs = attach === "BPF_TRACE_ITER" ? iterCtxArgs(btf, attachTo ?? "") : [];
  return { name, proto: t, btfTrace, ctxArgs };
}

function iterCtxArgs(btf: Btf, target: string): { off: number; arg: IterCtxArg }[] {
  const sid = btf.findByNameKind(`bpf_iter__${target}`, "STRUCT");
  if (!sid) return notModelled(`iterator target ${target} without struct bpf_iter__${target}`);
  return (ITER_CTX_ARGS[target] ?? []).map((arg) => {
    const m = findMemberDeep(btf, sid, arg.member);
    if (!m) return notModelled(`iterator target ${target}: no member ${arg.member}`);
    return { off: m.bitOffset / 8, arg };
  });
}

function isPtr(btf: Btf, id: number): boolean {
  return btf.type(id).kind === "PTR";
}

/** kernel: btf_type_is_small_int || btf_is_any_enum || btf_type_is_struct */
function isScalarSlot(btf: Btf, id: number): boolean {
  const t = btf.type(id);
  return (t.kind === "INT" && t.size <= 8) || t.kind === "ENUM" || t.kind === "ENUM64" || t.kind === "STRUCT" || t.kind === "UNION";
}

function slotSize(btf: Btf, id: number): number {
  const t = btf.type(skipModsAndTypedefs(btf, id));
  if (t.kind === "PTR") return 8;
  const size = "size" in t && typeof t.size === "number" ? t.size : 0;
  return Math.ceil(size / 8) * 8;
}

/** kernel: btf_ctx_arg_idx — which argument slot `off` falls in (structs can take several). */
function ctxArgIdx(btf: Btf, proto: BtfFuncProto, off: number): number {
  let end = 0;
  for (let i = 0; i < proto.params.length; i++) {
    end += slotSize(btf, proto.params[i]!.type);
    if (off < end) return i;
  }
  end += slotSize(btf, proto.returnType);
  return off < end ? proto.params.length : proto.params.length + 1;
}

/** kernel: prog_args_trusted */
function argsTrusted(progType: string, attach: string, fn: AttachFunc): boolean {
  if (progType === "BPF_PROG_TYPE_TRACING") return attach === "BPF_TRACE_RAW_TP" || attach === "BPF_TRACE_ITER";
  if (progType === "BPF_PROG_TYPE_LSM") return !UNTRUSTED_LSM_HOOKS.has(fn.name);
  return progType === "BPF_PROG_TYPE_STRUCT_OPS";
}

/** kernel: bpf_lsm_get_retval_range (via get_func_retval_range: BPF_LSM_MAC only) */
function lsmRetvalRange(progType: string, attach: string, fn: AttachFunc): [number, number] | undefined {
  if (progType !== "BPF_PROG_TYPE_LSM" || attach !== "BPF_LSM_MAC" || fn.proto.returnType === 0) return undefined;
  return BOOL_LSM_HOOKS.has(fn.name) ? [0, 1] : [-MAX_ERRNO, 0];
}

/**
 * kernel: btf_ctx_access. `log` receives the kernel's bpf_log lines (the
 * caller then prints "invalid bpf_context access" on failure).
 */
export function btfCtxAccess(btf: Btf, fn: AttachFunc, progType: string, attach: string, off: number, size: number,
  log: (s: string) => void): BtfCtxResult {
  const fail: BtfCtxResult = { ok: false, regType: "SCALAR_VALUE", regFlags: 0, btfId: 0 };
  const scalar: BtfCtxResult = { ok: true, regType: "SCALAR_VALUE", regFlags: 0, btfId: 0 };
  const tname = fn.name.startsWith("btf_trace_") ? fn.name.slice("btf_trace_".length) : fn.name;
  if (off % 8 !== 0) {
    log(`func '${tname}' offset ${off} is not multiple of 8\n`);
    return fail;
  }
  let params: readonly BtfParam[] = fn.proto.params;
  // The index counts tp_btf's hidden first argument, and so does the array it indexes after the skip.
  const arg = ctxArgIdx(btf, fn.proto, off);
  if (fn.btfTrace) params = params.slice(1);
  const nrArgs = params.length;
  if (arg > nrArgs) {
    log(`func '${tname}' doesn't have ${arg + 1}-th argument\n`);
    return fail;
  }
  let typeId: number;
  let retval: [number, number] | undefined;
  if (arg === nrArgs) {
    switch (attach) {
      case "BPF_LSM_MAC":
      case "BPF_LSM_CGROUP":
      case "BPF_TRACE_FEXIT":
      case "BPF_TRACE_FSESSION":
        typeId = fn.proto.returnType;
        // Only BPF_LSM_MAC marks the slot is_retval.
        retval = lsmRetvalRange(progType, attach, fn);
        break;
      case "BPF_MODIFY_RETURN": {
        typeId = skipModsAndTypedefs(btf, fn.proto.returnType);
        const t = btf.type(typeId);
        if (!(t.kind === "INT" && t.size <= 8)) {
          log(`ret type ${btfTypeStr(btf, typeId)} not allowed for fmod_ret\n`);
          return fail;
        }
        break;
      }
      default:
        log(`func '${tname}' doesn't have ${arg + 1}-th argument\n`);
        return fail;
    }
  } else {
    typeId = params[arg]!.type;
  }
  typeId = skipModsAndTypedefs(btf, typeId);
  if (isScalarSlot(btf, typeId)) return retval ? { ...scalar, retvalRange: retval } : scalar;
  if (!isPtr(btf, typeId)) {
    const t = btf.type(typeId);
    log(`func '${tname}' arg${arg} '${t.name}' has type ${btfTypeStr(btf, typeId)}. Only pointer access is allowed\n`);
    return fail;
  }
  if (size !== 8) {
    log(`func '${tname}' size ${size} must be 8\n`);
    return fail;
  }
  // The nullable read-only/read-write buffers of iterators.
  const bufArg = fn.ctxArgs.find((c) => c.off === off && c.arg.base === "PTR_TO_BUF");
  if (bufArg) return { ok: true, regType: "PTR_TO_BUF", regFlags: bufArg.arg.flags, btfId: 0 };
  const ptr = btf.type(typeId);
  const pointee = ptr.kind === "PTR" ? skipModsAndTypedefs(btf, ptr.type) : 0;
  const pk = btf.type(pointee).kind;
  // Pointers to anything but a struct are plain numbers to the verifier.
  if (pk !== "STRUCT" && pk !== "UNION") return scalar;
  // The registered argument types win; their btf_id is the pointee of the prototype's parameter.
  const infoArg = fn.ctxArgs.find((c) => c.off === off);
  if (infoArg) return { ok: true, regType: "PTR_TO_BTF_ID", regFlags: infoArg.arg.flags, btfId: pointee };
  let flags = argsTrusted(progType, attach, fn) ? PTR_TRUSTED : 0;
  if (arg < nrArgs && params[arg]!.name.endsWith("__nullable")) flags |= PTR_MAYBE_NULL;
  let errPtr = false;
  if (attach === "BPF_TRACE_RAW_TP") {
    // Tracepoints known to pass NULL or ERR_PTR in some argument.
    const mask = RAW_TP_NULL_ARGS[tname];
    if (mask !== undefined) {
      if ((mask >> (arg * 4)) & 1) flags |= PTR_MAYBE_NULL;
      if ((mask >> (arg * 4)) & 2) errPtr = true;
    } else if (btf.base !== undefined) {
      // kernel: btf_is_module(attach_btf) — an unlisted module tracepoint may pass NULL anywhere
      // (the attach BTF is vmlinux's or a module's split over it)
      flags |= PTR_MAYBE_NULL;
    }
  }
  // btf_type_tag_walk: user/percpu type tags between the pointer and the struct.
  let id = ptr.kind === "PTR" ? ptr.type : 0;
  let tags = 0;
  for (let depth = 0; depth < 32; depth++) {
    const t = btf.type(id);
    if (t.kind !== "CONST" && t.kind !== "VOLATILE" && t.kind !== "RESTRICT" && t.kind !== "TYPEDEF" && t.kind !== "TYPE_TAG") break;
    if (t.kind === "TYPE_TAG" && !t.kflag) {
      if (t.name === "user") tags |= MEM_USER;
      else if (t.name === "percpu") tags |= MEM_PERCPU;
    }
    id = t.type;
  }
  if (tags === (MEM_USER | MEM_PERCPU)) {
    log(`func '${tname}' arg${arg} type ${btfTypeStr(btf, typeId)} has multiple type tags\n`);
    return fail;
  }
  const st = btf.type(id);
  log(`func '${tname}' arg${arg} has btf_id ${id} type ${btfTypeStr(btf, id)} '${st.name}'\n`);
  if (errPtr) {
    // The kernel's message has no newline.
    log(`marking pointer arg${arg} as scalar as it may encode error`);
    return scalar;
  }
  return { ok: true, regType: "PTR_TO_BTF_ID", regFlags: flags | tags, btfId: id };
}

export { MAX_BPF_FUNC_REG_ARGS };
