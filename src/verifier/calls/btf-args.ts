// What a subprogram's BTF signature promises about its arguments: each
// parameter becomes one verifier argument kind (scalar, ctx, memory of a
// known size, trusted/untrusted kernel object, dynptr, arena), driven by the
// FUNC_PROTO and the `arg:` decl tags. Errors are returned as data: the
// caller decides whether they are fatal (global) or only make the BTF
// unreliable (static, main).
// kernel: btf.c (btf_prepare_func_args, btf_scan_decl_tags,
// btf_scan_type_tags, btf_validate_return_type, btf_is_prog_ctx_type,
// btf_validate_prog_ctx_type, btf_get_ptr_to_btf_id, btf_is_dynptr_ptr)
import type { Btf } from "../../btf/btf.js";
import { BTF_KIND } from "../../btf/kinds.js";
import { btfTypeStr } from "../../btf/naming.js";
import { declTags } from "../../btf/walk.js";
import { btfResolveSizeEx } from "../../btf/struct-walk.js";
import { coreFindCands } from "../../btf/core/candidates.js";
import { CoreErrno } from "../../btf/core/common.js";
import { MEM_RDONLY, PTR_MAYBE_NULL, PTR_TRUSTED, PTR_UNTRUSTED } from "../state/reg-type.js";
import type { Errno } from "../reject.js";

/** One argument's expectation (kernel: struct bpf_subprog_arg_info). Flags use reg-type.ts bits. */
export type SubprogArg =
  | { readonly type: "ARG_ANYTHING" }
  | { readonly type: "ARG_PTR_TO_CTX" }
  | { readonly type: "ARG_PTR_TO_DYNPTR" }
  | { readonly type: "ARG_PTR_TO_MEM"; readonly flags: number; readonly memSize: number }
  | { readonly type: "ARG_PTR_TO_BTF_ID"; readonly flags: number; readonly btfId: number }
  | { readonly type: "ARG_PTR_TO_ARENA" };

export type PrepareResult =
  | { readonly ok: true; readonly argCnt: number; readonly args: readonly SubprogArg[] }
  /** argCnt is what the kernel stored in sub->arg_cnt before failing (-1: not reached). */
  | { readonly ok: false; readonly errno: Errno; readonly argCnt: number };

/** What btf_prepare_func_args reads from the program and the kernel. */
export interface BtfArgsInput {
  /** The program's BTF (prog->aux->btf). */
  readonly btf: Btf;
  /** The kernel's BTF, for arg:trusted/untrusted candidates; null when unavailable. */
  readonly vmlinux: Btf | null;
  /** resolve_prog_type: the effective program type. */
  readonly progType: string;
  readonly expectedAttachType: string;
  /** The program type's context type as bpf_types.h spells it ("struct __sk_buff", "bpf_user_pt_regs_t", "void *"). */
  readonly ctxTypeName: string | null;
  readonly log: (s: string) => void;
}

const MAX_BPF_FUNC_ARGS = 12;
const MAX_BPF_FUNC_REG_ARGS = 5;
const EINVAL = 22;

// kernel: enum btf_arg_tag
const ARG_TAG_CTX = 1 << 0;
const ARG_TAG_NONNULL = 1 << 1;
const ARG_TAG_TRUSTED = 1 << 2;
const ARG_TAG_UNTRUSTED = 1 << 3;
const ARG_TAG_NULLABLE = 1 << 4;
const ARG_TAG_ARENA = 1 << 5;
const DECL_TAG_VALUES: Readonly<Record<string, number>> = {
  ctx: ARG_TAG_CTX, trusted: ARG_TAG_TRUSTED, untrusted: ARG_TAG_UNTRUSTED,
  nonnull: ARG_TAG_NONNULL, nullable: ARG_TAG_NULLABLE, arena: ARG_TAG_ARENA,
};

class ArgsError {
  constructor(readonly errno: Errno) {}
}

function isModifierKind(k: number): boolean {
  return k === BTF_KIND.TYPEDEF || k === BTF_KIND.VOLATILE || k === BTF_KIND.CONST || k === BTF_KIND.RESTRICT || k === BTF_KIND.TYPE_TAG;
}
function skipModifiers(btf: Btf, id: number): number {
  for (let i = 0; i < 64 && isModifierKind(btf.kindNum(id)); i++) id = btf.sizeOrType(id);
  return id;
}
const isStruct = (btf: Btf, id: number) => btf.kindNum(id) === BTF_KIND.STRUCT || btf.kindNum(id) === BTF_KIND.UNION;
const isAnyEnum = (btf: Btf, id: number) => btf.kindNum(id) === BTF_KIND.ENUM || btf.kindNum(id) === BTF_KIND.ENUM64;
const isInt = (btf: Btf, id: number) => btf.kindNum(id) === BTF_KIND.INT;

/** kernel: btf_scan_decl_tags — the `arg:` decl tags on parameter `argIdx`. */
function scanDeclTags(inp: BtfArgsInput, fnId: number, argIdx: number, isGlobal: boolean): number {
  let tags = 0;
  const btf = inp.btf;
  // kernel: btf_find_next_decl_tag walks the tags on fn_t/arg_idx in id order
  for (const tag of declTags(btf, fnId, argIdx)) {
    const name = tag.value;
    if (!name.startsWith("arg:")) continue;
    if (!isGlobal) {
      inp.log(`arg#${argIdx} type tag is not supported in static functions\n`);
      throw new ArgsError("EOPNOTSUPP");
    }
    const bit = DECL_TAG_VALUES[name.slice(4)];
    if (bit === undefined) {
      inp.log(`arg#${argIdx} has unsupported set of tags\n`);
      throw new ArgsError("EOPNOTSUPP");
    }
    tags |= bit;
  }
  return tags;
}

/** kernel: btf_scan_type_tags — `__arena` type tags between a pointer and its target. */
function scanTypeTags(btf: Btf, typeId: number): number {
  let id = skipModifiers(btf, typeId);
  if (btf.kindNum(id) !== BTF_KIND.PTR) return 0;
  let tags = 0;
  // kernel: btf_type_tag_walk with the single "arena" match (so never "multiple type tags")
  for (let i = 0; i < 64; i++) {
    id = btf.sizeOrType(id);
    const k = btf.kindNum(id);
    if (!isModifierKind(k)) break;
    if (k === BTF_KIND.TYPE_TAG && !btf.kflag(id) && btf.typeName(id) === "arena") tags |= ARG_TAG_ARENA;
  }
  return tags;
}

/** kernel: btf_validate_return_type */
function validReturnType(btf: Btf, protoId: number, subprog: number): boolean {
  const ret = btf.sizeOrType(protoId);
  const tags = scanTypeTags(btf, ret);
  const t = skipModifiers(btf, ret);
  if (subprog && (tags & ARG_TAG_ARENA) && btf.kindNum(t) === BTF_KIND.PTR) return true;
  return t === 0 || isInt(btf, t) || isAnyEnum(btf, t);
}

/** The canonical ctx type of a program type, as (typedef?, struct name) (kernel: find_canonical_prog_ctx_type). */
function canonicalCtx(inp: BtfArgsInput): { typedefName: string | null; structName: string } | null {
  const n = inp.ctxTypeName;
  if (!n) return null;
  if (n.startsWith("struct ")) return { typedefName: null, structName: n.slice(7) };
  // bpf_user_pt_regs_t: a typedef of struct pt_regs on x86-64 (the target the corpus was recorded on)
  if (n === "bpf_user_pt_regs_t") return { typedefName: n, structName: "pt_regs" };
  return { typedefName: null, structName: "" };
}

/** kernel: btf_is_projection_of */
function isProjectionOf(pname: string, tname: string): boolean {
  return (pname === "__sk_buff" && tname === "sk_buff") || (pname === "xdp_md" && tname === "xdp_buff");
}

/** kernel: btf_is_prog_ctx_type — `ptrId` is a PTR. */
export function btfIsProgCtxType(inp: BtfArgsInput, ptrId: number, arg: number): boolean {
  const btf = inp.btf;
  let t = btf.sizeOrType(ptrId);
  if (inp.progType === "BPF_PROG_TYPE_KPROBE") {
    while (isModifierKind(btf.kindNum(t)) && btf.kindNum(t) !== BTF_KIND.TYPEDEF) t = btf.sizeOrType(t);
    if (btf.kindNum(t) === BTF_KIND.TYPEDEF && btf.typeName(t) === "bpf_user_pt_regs_t") return true;
  }
  t = skipModifiers(btf, t);
  if (!isStruct(btf, t)) return false;
  const tname = btf.typeName(t);
  if (tname === "") {
    // kernel: btf_name_by_offset never returns NULL for a valid name_off, so this does not print
    return false;
  }
  const ctx = canonicalCtx(inp);
  if (!ctx) {
    inp.log("btf_vmlinux is malformed\n");
    return false;
  }
  // the typedef's own name first, then the struct it resolves to
  for (const ctxName of ctx.typedefName ? [ctx.typedefName, ctx.structName] : [ctx.structName]) {
    if (ctxName === "") return false;
    if (isProjectionOf(ctxName, tname)) return true;
    if (ctxName === tname) return true;
  }
  return false;
}

/** kernel: btf_validate_prog_ctx_type (for `arg:ctx`) — returns false after logging. */
function validateProgCtxType(inp: BtfArgsInput, ptrId: number, arg: number): boolean {
  const btf = inp.btf;
  let t = btf.sizeOrType(ptrId);
  const pt = inp.progType;
  if (pt === "BPF_PROG_TYPE_KPROBE" || pt === "BPF_PROG_TYPE_PERF_EVENT") {
    while (isModifierKind(btf.kindNum(t)) && btf.kindNum(t) !== BTF_KIND.TYPEDEF) t = btf.sizeOrType(t);
    if (btf.kindNum(t) === BTF_KIND.TYPEDEF && btf.typeName(t) === "bpf_user_pt_regs_t") return true;
  }
  t = skipModifiers(btf, t);
  if (t === 0) return true;
  const tname = btf.typeName(t);
  if (tname === "") {
    inp.log(`arg#${arg} type doesn't have a name\n`);
    return false;
  }
  const struct = isStruct(btf, t) && btf.kindNum(t) === BTF_KIND.STRUCT;
  const u64 = isInt(btf, t) && btf.sizeOrType(t) === 8;
  switch (pt) {
    case "BPF_PROG_TYPE_KPROBE":
      if (struct && tname === "pt_regs") return true;
      break;
    case "BPF_PROG_TYPE_PERF_EVENT":
      // x86-64: bpf_user_pt_regs_t is struct pt_regs
      if (struct && tname === "pt_regs") return true;
      break;
    case "BPF_PROG_TYPE_RAW_TRACEPOINT": case "BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE":
      if (u64) return true;
      break;
    case "BPF_PROG_TYPE_TRACING":
      switch (inp.expectedAttachType) {
        case "BPF_TRACE_RAW_TP":
          if (struct && tname === "bpf_raw_tracepoint_args") return true;
          if (u64) return true;
          break;
        case "BPF_TRACE_ITER":
          if (struct && tname.startsWith("bpf_iter__")) return true;
          break;
        case "BPF_TRACE_FENTRY": case "BPF_TRACE_FEXIT": case "BPF_MODIFY_RETURN": case "BPF_TRACE_FSESSION":
          if (u64) return true;
          break;
        default:
          break;
      }
      break;
    case "BPF_PROG_TYPE_LSM": case "BPF_PROG_TYPE_STRUCT_OPS":
      if (u64) return true;
      break;
    case "BPF_PROG_TYPE_TRACEPOINT": case "BPF_PROG_TYPE_SYSCALL": case "BPF_PROG_TYPE_EXT":
      return true;
    default:
      break;
  }
  const ctx = canonicalCtx(inp);
  if (!ctx) {
    inp.log("btf_vmlinux is malformed\n");
    return false;
  }
  if (ctx.structName === "") {
    inp.log(`arg#${arg} should be void pointer\n`);
    return false;
  }
  if (!struct || ctx.structName !== tname) {
    inp.log(`arg#${arg} should be \`struct ${ctx.structName} *\`\n`);
    return false;
  }
  return true;
}

/** kernel: btf_is_dynptr_ptr */
function isDynptrPtr(btf: Btf, ptrId: number): boolean {
  const t = skipModifiers(btf, btf.sizeOrType(ptrId));
  return isStruct(btf, t) && btf.typeName(t) === "bpf_dynptr";
}

/** kernel: btf_get_ptr_to_btf_id — the one vmlinux type the pointee names. */
function getPtrToBtfId(inp: BtfArgsInput, arg: number, ptrId: number): number {
  const btf = inp.btf;
  const typeId = skipModifiers(btf, btf.sizeOrType(ptrId));
  const what = `arg#${arg} reference type('${btfTypeStr(btf, typeId)} ${btf.typeName(typeId)}')`;
  if (!inp.vmlinux) {
    inp.log(`${what} has no matches\n`);
    throw new ArgsError("ENOENT");
  }
  let cands;
  try {
    cands = coreFindCands(btf, typeId, { vmlinux: inp.vmlinux, vmlinuxOverride: true });
  } catch (e) {
    if (!(e instanceof CoreErrno)) throw e;
    inp.log(`${what} candidate matching error: ${-e.errno}\n`);
    throw new ArgsError("EINVAL");
  }
  if (cands.length !== 1) {
    inp.log(`${what} ${cands.length === 0 ? "has no matches" : "is ambiguous"}\n`);
    // -ESRCH has no Errno name yet; EINVAL stands in (the message is what tests match)
    throw new ArgsError(cands.length === 0 ? "ENOENT" : "EINVAL");
  }
  return cands[0]!.id;
}

/** kernel: btf_prepare_func_args — `fnId` is the FUNC of subprog `subprog` in func_info. */
export function btfPrepareFuncArgs(inp: BtfArgsInput, subprog: number, fnId: number, isGlobal: boolean): PrepareResult {
  const btf = inp.btf;
  let argCnt = -1;
  try {
    if (!fnId) {
      if (!isGlobal) return { ok: false, errno: "EINVAL", argCnt };
      inp.log("Global functions need valid BTF\n");
      return { ok: false, errno: "EFAULT", argCnt };
    }
    if (btf.kindNum(fnId) !== BTF_KIND.FUNC) {
      inp.log(`BTF of func#${subprog} doesn't point to KIND_FUNC\n`);
      return { ok: false, errno: "EFAULT", argCnt };
    }
    const tname = btf.typeName(fnId);
    const protoId = btf.sizeOrType(fnId);
    if (btf.kindNum(protoId) !== BTF_KIND.FUNC_PROTO) {
      inp.log(`Invalid type of function ${tname}()\n`);
      return { ok: false, errno: "EFAULT", argCnt };
    }
    const nargs = btf.vlen(protoId);
    argCnt = nargs;
    if (nargs > MAX_BPF_FUNC_ARGS) {
      inp.log(`kernel supports at most ${MAX_BPF_FUNC_ARGS} parameters, function ${tname} has ${nargs}\n`);
      return { ok: false, errno: "EFAULT", argCnt };
    }
    if (isGlobal && nargs > MAX_BPF_FUNC_REG_ARGS) {
      inp.log(`global function ${tname} has ${nargs} > ${MAX_BPF_FUNC_REG_ARGS} args, stack args not supported\n`);
      return { ok: false, errno: "EINVAL", argCnt };
    }
    if (!validReturnType(btf, protoId, subprog)) {
      if (isGlobal) inp.log(`Global function ${tname}() return value not void or scalar. Only those are supported.\n`);
      return { ok: false, errno: "EOPNOTSUPP", argCnt };
    }
    const args: SubprogArg[] = [];
    for (let i = 0; i < nargs; i++) {
      // param i: name_off at word 2*i, type at word 2*i+1
      const paramType = btf.extraWord(protoId, 2 * i + 1);
      let tags = scanDeclTags(inp, fnId, i, isGlobal);
      tags |= scanTypeTags(btf, paramType);
      const t = skipModifiers(btf, paramType);
      const badCombo = (): never => {
        inp.log(`arg#${i} has invalid combination of tags\n`);
        throw new ArgsError("EINVAL");
      };
      if (btf.kindNum(t) === BTF_KIND.PTR) {
        if ((tags & ARG_TAG_CTX) || btfIsProgCtxType(inp, t, i)) {
          if (tags & ~ARG_TAG_CTX) badCombo();
          if ((tags & ARG_TAG_CTX) && !validateProgCtxType(inp, t, i)) return { ok: false, errno: "EINVAL", argCnt };
          args.push({ type: "ARG_PTR_TO_CTX" });
          continue;
        }
        if (isDynptrPtr(btf, t)) {
          if (tags) badCombo();
          args.push({ type: "ARG_PTR_TO_DYNPTR" });
          continue;
        }
        if (tags & ARG_TAG_TRUSTED) {
          if (tags & ARG_TAG_NONNULL) badCombo();
          const kid = getPtrToBtfId(inp, i, t);
          args.push({ type: "ARG_PTR_TO_BTF_ID", flags: PTR_TRUSTED | (tags & ARG_TAG_NULLABLE ? PTR_MAYBE_NULL : 0), btfId: kid });
          continue;
        }
        if (tags & ARG_TAG_UNTRUSTED) {
          if (tags & ~ARG_TAG_UNTRUSTED) {
            inp.log(`arg#${i} untrusted cannot be combined with any other tags\n`);
            throw new ArgsError("EINVAL");
          }
          const ref = skipModifiers(btf, btf.sizeOrType(t));
          const rk = btf.kindNum(ref);
          // kernel: btf_type_is_void || btf_type_is_primitive (regular ints, enums)
          if (ref === 0 || rk === BTF_KIND.INT || rk === BTF_KIND.ENUM || rk === BTF_KIND.ENUM64) {
            args.push({ type: "ARG_PTR_TO_MEM", flags: MEM_RDONLY | PTR_UNTRUSTED, memSize: 0 });
            continue;
          }
          const kid = getPtrToBtfId(inp, i, t);
          const vm = inp.vmlinux!;
          if (vm.kindNum(kid) !== BTF_KIND.STRUCT) {
            // the kernel names the local pointer's name_off in vmlinux: pointers are anonymous, so ""
            inp.log(`arg#${i} has type ${btfTypeStr(vm, kid)} '', but only struct or primitive types are allowed\n`);
            throw new ArgsError("EINVAL");
          }
          args.push({ type: "ARG_PTR_TO_BTF_ID", flags: PTR_UNTRUSTED, btfId: kid });
          continue;
        }
        if (tags & ARG_TAG_ARENA) {
          if (tags & ~ARG_TAG_ARENA) {
            inp.log(`arg#${i} arena cannot be combined with any other tags\n`);
            throw new ArgsError("EINVAL");
          }
          args.push({ type: "ARG_PTR_TO_ARENA" });
          continue;
        }
        if (isGlobal) {
          if (tags & ARG_TAG_NULLABLE) badCombo();
          const ref = skipModifiers(btf, btf.sizeOrType(t));
          const sz = btfResolveSizeEx(btf, ref);
          if (!sz) {
            inp.log(`arg#${i} reference type('${btfTypeStr(btf, ref)} ${btf.typeName(ref)}') size cannot be determined: ${-EINVAL}\n`);
            throw new ArgsError("EINVAL");
          }
          args.push({ type: "ARG_PTR_TO_MEM", flags: tags & ARG_TAG_NONNULL ? 0 : PTR_MAYBE_NULL, memSize: sz.size });
          continue;
        }
      }
      // kernel: skip_pointer
      if (tags) {
        inp.log(`arg#${i} has pointer tag, but is not a pointer type\n`);
        throw new ArgsError("EINVAL");
      }
      if (isInt(btf, t) || isAnyEnum(btf, t)) {
        args.push({ type: "ARG_ANYTHING" });
        continue;
      }
      if (!isGlobal) return { ok: false, errno: "EINVAL", argCnt };
      inp.log(`Arg#${i} type ${btfTypeStr(btf, t)} in ${tname}() is not supported yet.\n`);
      return { ok: false, errno: "EINVAL", argCnt };
    }
    return { ok: true, argCnt: nargs, args };
  } catch (e) {
    if (e instanceof ArgsError) return { ok: false, errno: e.errno, argCnt };
    throw e;
  }
}

/** kernel: subprog_returns_void — the FUNC's return type through modifiers is void. */
export function btfFuncReturnsVoid(btf: Btf, fnId: number): boolean {
  if (btf.kindNum(fnId) !== BTF_KIND.FUNC) return false;
  const proto = btf.sizeOrType(fnId);
  if (btf.kindNum(proto) !== BTF_KIND.FUNC_PROTO) return false;
  return skipModifiers(btf, btf.sizeOrType(proto)) === 0;
}
