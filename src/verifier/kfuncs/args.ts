// The per-argument loop of a kfunc call: scalars (`__k` constants, buffer
// sizes), then pointers: NULL/release/reference bookkeeping, the pointer kind
// (the catalog's BTF-only classification, finished with the register as the
// kernel's get_kfunc_ptr_arg_type does), the trust gate, the offset check and
// the per-kind checks.
// kernel: check_kfunc_args, get_kfunc_ptr_arg_type (register-dependent rows),
//         __check_func_arg_reg_off
import type { Btf } from "../../btf/index.js";
import { btfResolveSizeEx, btfTypeStr, skipModsAndTypedefs } from "../../btf/index.js";
import type { KfuncArgProto, KfuncPtrArgType } from "../../kernel/kfuncs/argKinds.js";
import { matchSuffix } from "../../kernel/kfuncs/argFacts.js";
import { progTypeByName } from "../../kernel/progtypes/index.js";
import type { VerifierEnv } from "../env.js";
import type { RegState } from "../state/types.js";
import { curFrame } from "../state/func.js";
import { MEM_RDONLY, MEM_RINGBUF, PTR_MAYBE_NULL, regTypeStr } from "../state/reg-type.js";
import { BTF_ID_FIXED_OFF_FLAGS } from "../helpers/btf-id.js";
import { registerIsNull } from "../state/reg-query.js";
import { tnumIsConst } from "../state/scalar-bridge.js";
import { reject } from "../reject.js";
import { verifierBug } from "../bug.js";
import { notModelled } from "../not-modelled.js";
import type { KfuncCallMeta } from "./meta.js";
import { hasFlag, isSpecial } from "./meta.js";
import { REG2BTF_STRUCT, isRcuReg, isTrustedReg, regIsReferenced } from "./refs.js";
import { checkKfArgPtrToBtfId } from "./args/btf-id.js";
import { checkKfuncMemSizeReg, checkMemReg } from "./args/mem.js";
import { processIterArg } from "./families/iter.js";
import { MAX_BPF_FUNC_ARGS, MAX_BPF_FUNC_REG_ARGS, checkOutgoingStackArgs, getFuncArgReg } from "../stackargs/index.js";
import { markStackArgPrecision } from "../stackargs/precision.js";
import { processIrqFlag } from "./families/irq.js";
import { checkArgConstStr } from "./args/const-str.js";
import { checkAllocObjArg } from "./families/obj.js";
import { kfuncDynptrArgType, processDynptrFunc } from "./families/dynptr.js";
import { checkMapArgMatchesField, checkMapFieldArg } from "./families/async-work.js";
import { processResSpinLockArg } from "./families/res-lock.js";
import { checkGraphNodeArg, checkGraphRootArg, checkRefcountedKptrArg } from "./families/graph.js";

const U32_MAX = 0xffffffffn;

/** The pointer kinds get_kfunc_ptr_arg_type tests after its register row (#19). */
const AFTER_BTF_ROW = new Set(["KF_ARG_PTR_TO_CALLBACK", "KF_ARG_PTR_TO_MEM_SIZE", "KF_ARG_PTR_TO_MEM", "unsupported_ptr"]);

/** The register stands for a kernel struct (kernel: PTR_TO_BTF_ID or reg2btf_ids[base_type]). */
function isBtfLike(reg: RegState): boolean {
  return reg.type === "PTR_TO_BTF_ID" || REG2BTF_STRUCT[reg.type] !== undefined;
}

/** A parameter's pointee after modifiers and typedefs (kernel: btf_type_skip_modifiers(btf, t->type)). */
function pointeeOf(btf: Btf, typeId: number): number {
  const t = skipModsAndTypedefs(btf, typeId);
  return skipModsAndTypedefs(btf, btf.sizeOrType(t));
}

/** kernel: is_kfunc_arg_mem_size / is_kfunc_arg_const_mem_size — the next param and its register. */
function argMemSize(meta: KfuncCallMeta, i: number, next: RegState | undefined): boolean {
  const p = meta.proto.args[i + 1];
  if (!p || !next || next.type !== "SCALAR_VALUE") return false;
  const t = skipModsAndTypedefs(meta.btf, p.typeId);
  const k = meta.btf.kind(t);
  return (k === "INT" || k === "ENUM") && (matchSuffix(p.name, "__sz") || matchSuffix(p.name, "__szk"));
}

/** kernel: get_kfunc_ptr_arg_type — the catalog's kind, with the rows that look at registers decided here. */
function ptrArgKind(env: VerifierEnv, meta: KfuncCallMeta, a: KfuncArgProto, i: number, reg: RegState, next: RegState | undefined): KfuncPtrArgType {
  const memSize = argMemSize(meta, i, next);
  for (const alt of a.alternatives) {
    if (alt.kind === "KF_ARG_PTR_TO_NULL" && registerIsNull(reg) && !memSize) return "KF_ARG_PTR_TO_NULL";
    if (alt.kind === "KF_ARG_PTR_TO_BTF_ID" && isBtfLike(reg)) return "KF_ARG_PTR_TO_BTF_ID";
    if (alt.kind === "KF_ARG_PTR_TO_CTX") notModelled(`kfunc context argument without a program type (${alt.when})`);
  }
  let kind = a.kind;
  const ref = pointeeOf(meta.btf, a.typeId);
  const refKind = meta.btf.kind(ref);
  if (AFTER_BTF_ROW.has(kind) && isBtfLike(reg)) {
    if (refKind !== "STRUCT" && refKind !== "UNION") {
      reject(env, "EINVAL", `kernel function ${meta.name} ${a.where} pointer type ${btfTypeStr(meta.btf, ref)} ${meta.btf.typeName(ref)} is not supported\n`);
    }
    return "KF_ARG_PTR_TO_BTF_ID";
  }
  // the catalog's BTF_ID for a struct that is not all scalars holds only for BTF
  // pointers; any other register falls through the remaining rows to the error
  if (kind === "KF_ARG_PTR_TO_BTF_ID" && !isBtfLike(reg)) kind = "unsupported_ptr";
  // the catalog assumed the size partner's register is a scalar
  if (kind === "KF_ARG_PTR_TO_MEM_SIZE" && !memSize) kind = ref === 0 ? "unsupported_ptr" : "KF_ARG_PTR_TO_MEM";
  if (kind === "unsupported_ptr") {
    reject(env, "EINVAL", `${a.where} pointer type ${btfTypeStr(meta.btf, ref)} ${meta.btf.typeName(ref)} must point to ${memSize ? "void, " : ""}scalar, or struct with scalar\n`);
  }
  if (kind === "size" || kind === "prog_aux" || kind === "ignored" || kind === "implicit" || kind === "scalar" || kind === "scalar_const" || kind === "scalar_buf_size" || kind === "unrecognized") {
    return verifierBug(env, `kfunc ${meta.name} arg ${a.where}: ${kind} is not a pointer kind`);
  }
  return kind;
}

// kernel: __check_func_arg_reg_off — register types (with exact flags) that take any offset
const ANY_OFF: ReadonlyArray<[RegState["type"], number]> = [
  ["PTR_TO_STACK", 0], ["PTR_TO_PACKET", 0], ["PTR_TO_PACKET_META", 0], ["PTR_TO_MAP_KEY", 0], ["PTR_TO_MAP_VALUE", 0],
  ["PTR_TO_MEM", 0], ["PTR_TO_MEM", MEM_RDONLY], ["PTR_TO_MEM", MEM_RINGBUF], ["PTR_TO_BUF", 0], ["PTR_TO_BUF", MEM_RDONLY],
  ["PTR_TO_ARENA", 0], ["SCALAR_VALUE", 0],
];

type ArgBase = "ARG_DONTCARE" | "ARG_PTR_TO_DYNPTR" | "ARG_PTR_TO_CTX" | "ARG_PTR_TO_BTF_ID";

/** kernel: __check_func_arg_reg_off */
function checkFuncArgRegOff(env: VerifierEnv, reg: RegState, arg: string, base: ArgBase, release: boolean, btfIdFixedOffOk: boolean): void {
  if (release) {
    if (base === "ARG_PTR_TO_DYNPTR" && reg.type === "PTR_TO_STACK") return;
    if (!tnumIsConst(reg.varOff) || reg.varOff.value !== 0n) {
      reject(env, "EINVAL", `${arg} must have zero offset when passed to release func or trusted arg to kfunc\n`);
    }
  }
  if (ANY_OFF.some(([t, f]) => t === reg.type && f === reg.flags)) return;
  if (reg.type === "PTR_TO_BTF_ID" && BTF_ID_FIXED_OFF_FLAGS.has(reg.flags)) return env.checkPtrOffReg(reg, arg, btfIdFixedOffOk);
  if (reg.type === "PTR_TO_CTX" && reg.flags === 0 && base !== "ARG_PTR_TO_CTX" && env.isVarCtxOffAllowed()) return;
  env.checkPtrOffReg(reg, arg, false);
}

/**
 * kernel: `reg->map_ptr != NULL` — map_ptr shares a union with the other pointer
 * kinds' payload, so a BTF pointer (btf), memory (mem_size), a packet (range) or a
 * callback (subprogno) also passes and is then checked as a `struct bpf_map` pointer.
 */
function mapPtrAliasSet(reg: RegState): boolean {
  switch (reg.type) {
    case "CONST_PTR_TO_MAP": case "PTR_TO_MAP_VALUE": case "PTR_TO_MAP_KEY": case "PTR_TO_INSN":
      return reg.map !== null;
    case "PTR_TO_BTF_ID":
      return reg.btf !== null;
    case "PTR_TO_MEM": case "PTR_TO_BUF":
      return reg.memSize !== 0;
    case "PTR_TO_PACKET": case "PTR_TO_PACKET_META": case "PTR_TO_PACKET_END":
      return reg.range !== 0;
    case "PTR_TO_FUNC":
      return reg.subprogno !== 0;
    default:
      return false;
  }
}

/** kernel: check_css_task_iter_allowlist (BPF_PROG_TYPE_EXT would resolve to its target's type) */
function cssTaskIterAllowed(env: VerifierEnv): boolean {
  const { progType, expectedAttachType } = env.input;
  if (progType === "BPF_PROG_TYPE_LSM") return true;
  if (progType === "BPF_PROG_TYPE_TRACING" && expectedAttachType === "BPF_TRACE_ITER") return true;
  return env.curState.inSleepable;
}

/** kernel: check_kfunc_args — kernel objects must be trusted (KF_RCU: or RCU-protected). */
function trustGate(env: VerifierEnv, meta: KfuncCallMeta, reg: RegState, arg: string): void {
  if (isTrustedReg(env, reg)) return;
  if (!hasFlag(meta, "KF_RCU")) reject(env, "EINVAL", `${arg} must be referenced or trusted\n`);
  if (!isRcuReg(reg)) reject(env, "EINVAL", `${arg} must be a rcu pointer\n`);
}

/** kernel: mark_chain_precision, or mark_stack_arg_precision for an argument passed on the stack (regno -1). */
function markArgPrecision(env: VerifierEnv, regno: number, argIdx: number): void {
  if (regno < 0) markStackArgPrecision(env, argIdx);
  else env.markChainPrecision(regno);
}

/** kernel: check_kfunc_args, scalar parameters */
function checkScalarArg(env: VerifierEnv, meta: KfuncCallMeta, a: KfuncArgProto, regno: number, reg: RegState): void {
  const idx = a.index;
  const arg = a.where;
  if (reg.type !== "SCALAR_VALUE") reject(env, "EINVAL", `${arg} is not a scalar\n`);
  const bufSize = a.kind === "scalar_buf_size";
  if (a.kind === "scalar_const") {
    if (meta.argConstant.found) verifierBug(env, "only one constant argument permitted");
    if (!tnumIsConst(reg.varOff)) reject(env, "EINVAL", `${arg} must be a known constant\n`);
    markArgPrecision(env, regno, idx);
    meta.argConstant = { found: true, value: reg.varOff.value };
  } else if (bufSize && a.name === "rdonly_buf_size") {
    meta.r0Rdonly = true;
  }
  if (!bufSize) return;
  if (meta.r0Size) reject(env, "EINVAL", "2 or more rdonly/rdwr_buf_size parameters for kfunc");
  if (!tnumIsConst(reg.varOff)) reject(env, "EINVAL", `${arg} is not a const\n`);
  if (reg.varOff.value > U32_MAX) reject(env, "EINVAL", `${arg} rdonly/rdwr_buf_size exceeds u32 max\n`);
  meta.r0Size = Number(reg.varOff.value);
  markArgPrecision(env, regno, idx);
}

/** kernel: check_kfunc_args */
export function checkKfuncArgs(env: VerifierEnv, meta: KfuncCallMeta): void {
  const args = meta.proto.args;
  const nargs = args.length;
  if (nargs > MAX_BPF_FUNC_ARGS) reject(env, "EINVAL", `Function ${meta.name} has ${nargs} > ${MAX_BPF_FUNC_ARGS} args\n`);
  const caller = curFrame(env.curState);
  const regs = caller.regs;
  // the x86-64 and arm64 JITs take stack arguments (bpf_jit_supports_stack_args)
  checkOutgoingStackArgs(env, caller, nargs);
  const argReg = (i: number): RegState | undefined => (i < nargs ? getFuncArgReg(caller, regs, i) : undefined);
  for (let i = 0; i < nargs; i++) {
    const a = args[i]!;
    const regno = i < MAX_BPF_FUNC_REG_ARGS ? i + 1 : -1;
    const reg = argReg(i)!;
    const arg = a.where;
    switch (a.kind) {
      case "prog_aux":
        if (meta.argProg) verifierBug(env, "Only 1 prog->aux argument supported per-kfunc");
        if (regno < 0) reject(env, "EINVAL", `${arg} prog->aux cannot be a stack argument\n`);
        meta.argProg = true;
        continue;
      case "ignored":
      case "implicit":
        continue;
      case "scalar":
      case "scalar_const":
      case "scalar_buf_size":
      case "size": // a size partner whose pointer turned out not to be KF_ARG_PTR_TO_MEM_SIZE
        checkScalarArg(env, meta, a, regno, reg);
        continue;
      case "unrecognized":
        reject(env, "EINVAL", `Unrecognized ${arg} type ${btfTypeStr(meta.btf, skipModsAndTypedefs(meta.btf, a.typeId))}\n`);
    }
    const nullable = a.annotations.includes("__nullable");
    if ((registerIsNull(reg) || (reg.flags & PTR_MAYBE_NULL)) && !nullable) {
      reject(env, "EACCES", `Possibly NULL pointer passed to trusted ${arg}\n`);
    }
    const release = regno === meta.releaseRegno;
    if (release && a.kind !== "KF_ARG_PTR_TO_DYNPTR" && !regIsReferenced(env, reg) && !registerIsNull(reg)) {
      reject(env, "EINVAL", `release kfunc ${meta.name} expects referenced PTR_TO_BTF_ID passed to ${arg}\n`);
    }
    if (regIsReferenced(env, reg)) {
      // kernel: update_ref_obj
      meta.refObj = { id: reg.id, parentId: reg.parentId, cnt: meta.refObj.cnt + 1 };
    }
    const kind = ptrArgKind(env, meta, a, i, reg, argReg(i + 1));
    let base: ArgBase = "ARG_DONTCARE";
    let fixedOffOk = true;
    switch (kind) {
      case "KF_ARG_PTR_TO_NULL":
        continue;
      case "KF_ARG_PTR_TO_MAP":
        if (!mapPtrAliasSet(reg)) reject(env, "EINVAL", `pointer in ${arg} isn't map pointer\n`);
        checkMapArgMatchesField(env, meta, reg);
        meta.map = reg.map;
        meta.mapUid = reg.mapUid;
        trustGate(env, meta, reg, arg);
        break;
      case "KF_ARG_PTR_TO_ALLOC_BTF_ID":
      case "KF_ARG_PTR_TO_BTF_ID":
        trustGate(env, meta, reg, arg);
        break;
      case "KF_ARG_PTR_TO_DYNPTR":
        base = "ARG_PTR_TO_DYNPTR";
        break;
      case "KF_ARG_PTR_TO_CTX":
        base = "ARG_PTR_TO_CTX";
        break;
      case "KF_ARG_PTR_TO_REFCOUNTED_KPTR":
        base = "ARG_PTR_TO_BTF_ID";
        fixedOffOk = false;
        break;
      default:
        break;
    }
    checkFuncArgRegOff(env, reg, arg, base, release, fixedOffOk);
    switch (kind) {
      case "KF_ARG_PTR_TO_CTX":
        if (reg.type !== "PTR_TO_CTX") reject(env, "EINVAL", `${arg} expected pointer to ctx, but got ${regTypeStr(reg.type, reg.flags)}\n`);
        if (isSpecial(meta, "KF_bpf_cast_to_kern_ctx")) meta.retBtfId = kernCtxBtfId(env);
        break;
      case "KF_ARG_PTR_TO_MAP": {
        const vml = env.kfuncTarget!.profile.vmlinuxBtf;
        const id = vml.findByNameKind("bpf_map", "STRUCT");
        if (id === undefined) return notModelled("vmlinux without struct bpf_map");
        checkKfArgPtrToBtfId(env, meta, reg, arg, vml, id);
        break;
      }
      case "KF_ARG_PTR_TO_ALLOC_BTF_ID":
        checkAllocObjArg(env, meta, reg, arg);
        break;
      case "KF_ARG_PTR_TO_BTF_ID":
        checkKfArgPtrToBtfId(env, meta, reg, arg, meta.btf, pointeeOf(meta.btf, a.typeId));
        break;
      case "KF_ARG_PTR_TO_MEM": {
        const ref = pointeeOf(meta.btf, a.typeId);
        const sz = btfResolveSizeEx(meta.btf, ref);
        if (!sz) return notModelled(`size of kfunc argument type ${meta.btf.typeName(ref)}`);
        checkMemReg(env, reg, arg, regno, sz.size);
        break;
      }
      case "KF_ARG_PTR_TO_MEM_SIZE": {
        const sizeReg = argReg(i + 1)!;
        const sizeArg = args[i + 1]!;
        if (!registerIsNull(reg) || !nullable) checkKfuncMemSizeReg(env, reg, sizeReg, arg, regno, sizeArg.where, i + 1);
        if (matchSuffix(sizeArg.name, "__szk")) {
          if (meta.argConstant.found) verifierBug(env, "only one constant argument permitted");
          if (!tnumIsConst(sizeReg.varOff)) reject(env, "EINVAL", `${sizeArg.where} must be a known constant\n`);
          meta.argConstant = { found: true, value: sizeReg.varOff.value };
        }
        i++;
        break;
      }
      case "KF_ARG_PTR_TO_CALLBACK":
        if (reg.type !== "PTR_TO_FUNC") reject(env, "EINVAL", `${arg} expected pointer to func\n`);
        meta.subprogno = reg.subprogno;
        break;
      case "KF_ARG_PTR_TO_ITER":
        if (isSpecial(meta, "KF_bpf_iter_css_task_new") && !cssTaskIterAllowed(env)) {
          reject(env, "EINVAL", "css_task_iter is only allowed in bpf_lsm, bpf_iter and sleepable progs\n");
        }
        processIterArg(env, meta, reg, arg, i, env.insnIdx);
        break;
      case "KF_ARG_PTR_TO_DYNPTR":
        processDynptrFunc(env, meta, reg, arg, env.insnIdx, kfuncDynptrArgType(env, meta, a));
        break;
      case "KF_ARG_PTR_TO_CONST_STR":
        if (reg.type !== "PTR_TO_MAP_VALUE") reject(env, "EINVAL", `${arg} doesn't point to a const string\n`);
        checkArgConstStr(env, reg, arg);
        break;
      case "KF_ARG_PTR_TO_IRQ_FLAG":
        if (reg.type !== "PTR_TO_STACK") reject(env, "EINVAL", `${arg} doesn't point to an irq flag on stack\n`);
        processIrqFlag(env, meta, reg, arg);
        break;
      case "KF_ARG_PTR_TO_LIST_HEAD":
        checkGraphRootArg(env, meta, reg, arg, "BPF_LIST_HEAD");
        break;
      case "KF_ARG_PTR_TO_RB_ROOT":
        checkGraphRootArg(env, meta, reg, arg, "BPF_RB_ROOT");
        break;
      case "KF_ARG_PTR_TO_LIST_NODE":
        checkGraphNodeArg(env, meta, a, reg, "BPF_LIST_NODE");
        break;
      case "KF_ARG_PTR_TO_RB_NODE":
        checkGraphNodeArg(env, meta, a, reg, "BPF_RB_NODE");
        break;
      case "KF_ARG_PTR_TO_REFCOUNTED_KPTR":
        checkRefcountedKptrArg(env, meta, reg, arg);
        break;
      case "KF_ARG_PTR_TO_WORKQUEUE":
      case "KF_ARG_PTR_TO_TIMER":
      case "KF_ARG_PTR_TO_TASK_WORK":
        checkMapFieldArg(env, meta, reg, arg, kind);
        break;
      case "KF_ARG_PTR_TO_RES_SPIN_LOCK":
        processResSpinLockArg(env, meta, reg, arg);
        break;
      default:
        notModelled(`kfunc argument kind ${kind}`);
    }
  }
}

/** kernel: get_kern_ctx_btf_id — the kernel-side context struct of the program type (bpf_types.h). */
function kernCtxBtfId(env: VerifierEnv): number {
  const row = progTypeByName(env.input.progType);
  const m = row?.kernCtx ? /^struct (\w+)$/.exec(row.kernCtx) : null;
  const id = m ? env.kfuncTarget!.profile.vmlinuxBtf.findByNameKind(m[1]!, "STRUCT") : undefined;
  if (id === undefined) return notModelled(`bpf_cast_to_kern_ctx for ${env.input.progType} (kernel context ${row?.kernCtx ?? "unknown"})`);
  return id;
}
