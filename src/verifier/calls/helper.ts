// Helper calls: prototype lookup, argument checks, caller-saved clobbering,
// the return register. Argument kinds are one table (kernel:
// compatible_reg_types) plus one case each in checkFuncArg.
// kernel: verifier.c (check_helper_call, check_func_arg, check_reg_type,
// check_helper_mem_access, check_mem_size_reg, do_refine_retval_range)
import type { VerifierEnv } from "../env.js";
import type { RawInsn } from "../../isa/raw.js";
import type { MapInfo } from "../input.js";
import type { RegState } from "../state/types.js";
import { DEF_NOT_SUBREG } from "../state/types.js";
import { curFrame } from "../state/func.js";
import { markRegKnownZero, markRegNotInit, markRegUnknown } from "../state/reg.js";
import { regTypeStr, MEM_RDONLY, PTR_MAYBE_NULL, MEM_RINGBUF, PTR_TRUSTED, MEM_UNINIT, MEM_WRITE, MEM_FIXED_SIZE, MEM_ALIGNED, MEM_ALLOC, NON_OWN_REF, MEM_RCU, type BaseRegType } from "../state/reg-type.js";
import { isPointerValue, registerIsNull } from "../state/reg-query.js";
import { regSmin, regUmax, regUmin, tnumIsConst } from "../state/scalar-bridge.js";
import { reject } from "../reject.js";
import { verifierBug } from "../bug.js";
import { notModelled } from "../not-modelled.js";
import { processSpinLock } from "../maprec/spin-lock.js";
import { inRbtreeLockRequiredCb } from "../kfuncs/families/graph.js";
import { processKptrFunc, markKptrXchgRet } from "../maprec/kptr.js";
import type { BtfField } from "../maprec/record.js";
import { checkRegArg } from "../ops/reg-arg.js";
import { checkMemRegionAccess, checkMapAccess, checkMapAccessType } from "../memory/region.js";
import { checkStackRangeInitialized, type RawModeMeta } from "../memory/stack.js";
import { checkMemAccess, checkPtrAlignment } from "../memory/access.js";
import type { InsnResult } from "../ops/dispatch.js";
import { checkHelperCtxMemAccess } from "../ctx/index.js";
import { clearAllPktPointers } from "../packet/index.js";
import { invalidateOutgoingStackArgs } from "../stackargs/index.js";
import { tailCallAfterHelper } from "../control/tail-call.js";
import { processTimerHelper } from "../control/timer.js";
import { NO_ARM_ARG_KINDS, SOCK_ARG_COMPAT, plainPtrRet, resolveMapArgType } from "../helpers/kinds.js";
import { helperChangesPktData } from "../helpers/special.js";
import { checkArgConstStr } from "../helpers/const-str.js";
import { markRetPtrToBtfId } from "../helpers/ret-btf.js";
import { checkReleaseArgOffset, helperRetReference, newHelperRefMeta, noteArgReference, releaseHelperArg, type HelperRefMeta } from "../helpers/refs.js";
import { BTF_ID_ARG_COMPAT, checkBtfIdArg, checkPercpuBtfIdArg, foldKptrXchgSource, markRetMemOrBtfId, percpuPtrSpecialCase, releaseKptrXchgPercpu, type PercpuRet } from "../helpers/btf-id.js";
import { DYNPTR_ARG_COMPAT, checkHelperDynptrArg, dynptrHelperSpecialCase, markDynptrDataRet, newHelperDynptrDesc, releaseHelperDynptr, type HelperDynptrDesc } from "../helpers/dynptr.js";

/** A helper prototype as the verifier needs it (kernel: struct bpf_func_proto). */
export interface HelperProtoView {
  /** Full name, e.g. "bpf_map_lookup_elem". */
  name: string;
  ret: { base: string; flags: number };
  /** btfType: the struct of arg_btf_id ("struct path"), for BTF pointer arguments. */
  args: { base: string; flags: number; size?: number; btfType?: string }[];
  /** false when the proto's `allowed` callback refuses the program. */
  allowed?: boolean;
  gplOnly: boolean;
  mightSleep: boolean;
  pktAccess: boolean;
}

/** What the profile answers for a helper id under the program's type. */
export type HelperLookup = { proto: HelperProtoView } | { error: "ERANGE" | "EINVAL"; name: string };

type Compat = readonly [BaseRegType, number][];

// kernel: the bpf_reg_types tables and compatible_reg_types[]
const MEM_TYPES: Compat = [
  ["PTR_TO_STACK", 0], ["PTR_TO_PACKET", 0], ["PTR_TO_PACKET_META", 0], ["PTR_TO_MAP_KEY", 0], ["PTR_TO_MAP_VALUE", 0],
  ["PTR_TO_MEM", 0], ["PTR_TO_MEM", MEM_RINGBUF], ["PTR_TO_BUF", 0], ["PTR_TO_BTF_ID", PTR_TRUSTED], ["PTR_TO_CTX", 0],
];
const SCALAR_TYPES: Compat = [["SCALAR_VALUE", 0]];
const COMPATIBLE: Record<string, Compat> = {
  ARG_PTR_TO_MAP_KEY: MEM_TYPES,
  ARG_PTR_TO_MAP_VALUE: MEM_TYPES,
  ARG_CONST_SIZE: SCALAR_TYPES,
  ARG_CONST_SIZE_OR_ZERO: SCALAR_TYPES,
  ARG_CONST_ALLOC_SIZE_OR_ZERO: SCALAR_TYPES,
  ARG_SCALAR: SCALAR_TYPES,
  ARG_CONST_MAP_PTR: [["CONST_PTR_TO_MAP", 0]],
  ARG_PTR_TO_CTX: [["PTR_TO_CTX", 0]],
  ARG_PTR_TO_MEM: MEM_TYPES,
  ARG_PTR_TO_RINGBUF_MEM: [["PTR_TO_MEM", MEM_RINGBUF]],
  ARG_PTR_TO_FUNC: [["PTR_TO_FUNC", 0]],
  ARG_PTR_TO_STACK: [["PTR_TO_STACK", 0]],
  ARG_PTR_TO_CONST_STR: [["PTR_TO_MAP_VALUE", 0]],
  ARG_PTR_TO_TIMER: [["PTR_TO_MAP_VALUE", 0]],
  ...SOCK_ARG_COMPAT,
  ...BTF_ID_ARG_COMPAT,
  ...DYNPTR_ARG_COMPAT,
  ARG_PTR_TO_SPIN_LOCK: [["PTR_TO_MAP_VALUE", 0], ["PTR_TO_BTF_ID", MEM_ALLOC]],
  ARG_KPTR_XCHG_DEST: [["PTR_TO_MAP_VALUE", 0], ["PTR_TO_BTF_ID", MEM_ALLOC], ["PTR_TO_BTF_ID", MEM_ALLOC | NON_OWN_REF],
    ["PTR_TO_BTF_ID", MEM_ALLOC | NON_OWN_REF | MEM_RCU]],
};

interface CallArgMeta {
  funcId: number;
  name: string;
  map: MapInfo | null;
  mapUid: number;
  raw: RawModeMeta;
  msizeMaxValue: bigint;
  subprogno: number;
  memSize: number;
  /** kernel: const_map_key — the lookup key when it is a known constant, else -1. */
  constMapKey: bigint;
  refs: HelperRefMeta;
  /** kernel: meta->dynptr (the initialized dynptr argument). */
  dynptr: HelperDynptrDesc;
  /** kernel: meta->kptr_field (bpf_kptr_xchg's destination). */
  kptrField?: BtfField;
  /** kernel: meta->ret_btf / ret_btf_id (bpf_per_cpu_ptr, bpf_this_cpu_ptr). */
  percpu?: PercpuRet;
}

const BPF_F_INNER_MAP = 1 << 12;

/** kernel: can_elide_value_nullness */
function canElideValueNullness(map: MapInfo): boolean {
  if (map.flags & BPF_F_INNER_MAP) return false;
  return map.type === "BPF_MAP_TYPE_ARRAY" || map.type === "BPF_MAP_TYPE_PERCPU_ARRAY";
}

/** kernel: get_constant_map_key — -1 when the key on the stack is not a known constant. */
function getConstantMapKey(env: VerifierEnv, key: RegState, keySize: number, regno: number): bigint {
  if (!env.bpfCapable || key.type !== "PTR_TO_STACK" || !tnumIsConst(key.varOff)) return -1n;
  const state = env.curState.frame[key.frameno]!;
  const stackOff = Number(BigInt.asIntN(64, key.varOff.value));
  const slot = -stackOff - 1;
  const spi = (slot / 8) | 0;
  const off = slot % 8;
  const st = state.stack[spi]!;
  let zeroSize = 0;
  for (let i = off; i >= 0 && st.slotType[i] === 3 /* STACK_ZERO */; i--) zeroSize++;
  if (zeroSize >= keySize) return 0n;
  if (!(st.slotType[7] === 1 && st.spilledPtr.type === "SCALAR_VALUE")) return -1n;
  let spillSize = 0;
  for (let i = off; i >= 0 && st.slotType[i] === 1 /* STACK_SPILL */; i--) spillSize++;
  if (spillSize !== keySize) return -1n;
  const reg = st.spilledPtr;
  if (!tnumIsConst(reg.varOff)) return -1n;
  env.markStackSlotPrecise(key.frameno, spi, regno);
  return reg.varOff.value;
}

const DYNPTR_FLAG_MASK = (1 << 8) | (1 << 9) | (1 << 15) | (1 << 16) | (1 << 19) | (1 << 20);

/** kernel: check_reg_type */
function checkRegType(env: VerifierEnv, reg: RegState, regno: number, arg: HelperProtoView["args"][number], meta: CallArgMeta): void {
  const compat = COMPATIBLE[arg.base];
  if (!compat) notModelled(`helper argument kind ${arg.base}`);
  let flags = reg.flags;
  if (arg.flags & MEM_RDONLY) flags &= ~MEM_RDONLY;
  if (arg.flags & PTR_MAYBE_NULL) flags &= ~PTR_MAYBE_NULL;
  if (arg.base === "ARG_PTR_TO_MEM") flags &= ~DYNPTR_FLAG_MASK;
  flags = foldKptrXchgSource(meta.name, regno, flags);
  const found = compat.some(([t, f]) => t === reg.type && f === flags);
  if (!found) {
    const names = compat.map(([t, f]) => regTypeStr(t, f));
    reject(env, "EACCES", `R${regno} type=${regTypeStr(reg.type, reg.flags)} expected=${names.join(", ")}\n`);
  }
  if (reg.type !== "PTR_TO_BTF_ID") return;
  if (compat === MEM_TYPES) {
    if (!(arg.flags & MEM_RDONLY)) {
      reject(env, "EACCES", `${meta.name}() may write into memory pointed by R${regno} type=${regTypeStr(reg.type, reg.flags)}\n`);
    }
    return;
  }
  checkBtfIdArg(env, reg, regno, arg, meta);
}

/** kernel: check_helper_mem_access */
function checkHelperMemAccess(env: VerifierEnv, reg: RegState, regno: number, size: number, isWrite: boolean, zeroSizeAllowed: boolean, meta: RawModeMeta | null): void {
  const arg = `R${regno}`;
  switch (reg.type) {
    case "PTR_TO_PACKET":
    case "PTR_TO_PACKET_META":
      env.checkPacketAccess(reg, arg, 0, size, zeroSizeAllowed);
      return;
    case "PTR_TO_CTX":
      checkHelperCtxMemAccess(env, reg, arg, size, zeroSizeAllowed);
      return;
    case "PTR_TO_MAP_KEY":
      if (isWrite) reject(env, "EACCES", `${arg} cannot write into ${regTypeStr(reg.type, reg.flags)}\n`);
      checkMemRegionAccess(env, reg, arg, 0, size, reg.map!.keySize, false);
      return;
    case "PTR_TO_MAP_VALUE":
      checkMapAccessType(env, reg, 0, size, isWrite);
      checkMapAccess(env, reg, arg, 0, size, zeroSizeAllowed, false);
      return;
    case "PTR_TO_MEM":
      if ((reg.flags & MEM_RDONLY) && isWrite) reject(env, "EACCES", `${arg} cannot write into ${regTypeStr(reg.type, reg.flags)}\n`);
      checkMemRegionAccess(env, reg, arg, 0, size, reg.memSize, zeroSizeAllowed);
      return;
    case "PTR_TO_STACK":
      checkStackRangeInitialized(env, reg, arg, regno, 0, size, zeroSizeAllowed, isWrite, meta);
      return;
    case "PTR_TO_BTF_ID":
      env.checkPtrToBtfAccess(reg, arg, 0, size, isWrite, -1);
      return;
    default:
      if (zeroSizeAllowed && size === 0 && registerIsNull(reg)) return;
      if (reg.type === "SCALAR_VALUE" || reg.type === "NOT_INIT") {
        reject(env, "EACCES", `${arg} type=${regTypeStr(reg.type, reg.flags)} expected=${MEM_TYPES.map(([t, f]) => regTypeStr(t, f)).join(", ")}\n`);
      }
      notModelled(`helper memory access through ${reg.type}`);
  }
}

/** kernel: check_mem_size_reg */
function checkMemSizeReg(env: VerifierEnv, memReg: RegState, sizeReg: RegState, memRegno: number, sizeRegno: number, isWrite: boolean, zeroSizeAllowed: boolean, meta: CallArgMeta): void {
  meta.msizeMaxValue = regUmax(sizeReg);
  const rawMeta = tnumIsConst(sizeReg.varOff) ? meta.raw : null;
  if (regSmin(sizeReg) < 0n) reject(env, "EACCES", `R${sizeRegno} min value is negative, either use unsigned or 'var &= const'\n`);
  if (regUmin(sizeReg) === 0n && !zeroSizeAllowed) {
    reject(env, "EACCES", `R${sizeRegno} invalid zero-sized read: u64=[${BigInt.asIntN(64, regUmin(sizeReg))},${BigInt.asIntN(64, regUmax(sizeReg))}]\n`);
  }
  if (regUmax(sizeReg) >= 1n << 29n) reject(env, "EACCES", `R${sizeRegno} unbounded memory access, use 'var &= const' or 'if (var < const)'\n`);
  checkHelperMemAccess(env, memReg, memRegno, Number(regUmax(sizeReg)), isWrite, zeroSizeAllowed, rawMeta);
  env.markChainPrecision(sizeRegno);
}

/** kernel: check_func_arg */
function checkFuncArg(env: VerifierEnv, i: number, meta: CallArgMeta, fn: HelperProtoView): void {
  const regno = 1 + i;
  const regs = curFrame(env.curState).regs;
  const reg = regs[regno]!;
  const protoArg = fn.args[i];
  if (!protoArg || protoArg.base === "ARG_DONTCARE") return;
  checkRegArg(env, regno, "SRC_OP");
  if (protoArg.base === "ARG_ANYTHING") {
    if (isPointerValue(env, reg)) reject(env, "EACCES", `R${regno} leaks addr into helper function\n`);
    return;
  }
  if ((reg.type === "PTR_TO_PACKET" || reg.type === "PTR_TO_PACKET_META") && !env.mayAccessDirectPktData(false, fn.pktAccess)) {
    reject(env, "EACCES", "helper access to the packet is not allowed\n");
  }
  let arg = protoArg;
  if (arg.base === "ARG_PTR_TO_MAP_VALUE") {
    const r = resolveMapArgType(meta.map?.type, meta.name, arg);
    if ("error" in r) {
      if (r.error === "bug") verifierBug(env, "invalid map_ptr to access map->type");
      reject(env, "EINVAL", r.error);
    }
    arg = r;
  }
  let argFlags = arg.flags;
  const skip = registerIsNull(reg) && (argFlags & PTR_MAYBE_NULL);
  if (skip) {
    env.markChainPrecision(regno);
  } else {
    checkRegType(env, reg, regno, { ...arg, flags: argFlags }, meta);
    checkReleaseArgOffset(env, reg, regno, arg.base, argFlags);
    env.checkFuncArgRegOff(reg, regno, arg.base);
  }
  noteArgReference(env, reg, regno, arg.base, argFlags, fn.name, meta.refs);
  switch (arg.base) {
    case "ARG_CONST_MAP_PTR":
      if (meta.map && (meta.map !== reg.map || meta.mapUid !== reg.mapUid)) {
        reject(env, "EINVAL", `timer pointer in R1 map_uid=${meta.mapUid} doesn't match map pointer in R2 map_uid=${reg.mapUid}\n`);
      }
      meta.map = reg.map;
      meta.mapUid = reg.mapUid;
      break;
    case "ARG_PTR_TO_MAP_KEY":
      if (!meta.map) verifierBug(env, "invalid map_ptr to access map->key");
      checkHelperMemAccess(env, reg, regno, meta.map.keySize, false, false, null);
      if (canElideValueNullness(meta.map)) meta.constMapKey = getConstantMapKey(env, reg, meta.map.keySize, regno);
      break;
    case "ARG_PTR_TO_FUNC":
      meta.subprogno = reg.subprogno;
      break;
    case "ARG_PTR_TO_CONST_STR":
      checkArgConstStr(env, reg, regno);
      break;
    case "ARG_PTR_TO_MAP_VALUE":
      if ((argFlags & PTR_MAYBE_NULL) && registerIsNull(reg)) break;
      if (!meta.map) verifierBug(env, "invalid map_ptr to access map->value");
      meta.raw.rawMode = !!(argFlags & MEM_UNINIT);
      checkHelperMemAccess(env, reg, regno, meta.map.valueSize, !!(argFlags & MEM_WRITE), false, meta.raw);
      break;
    case "ARG_PTR_TO_MEM":
      meta.raw.rawMode = !!(argFlags & MEM_UNINIT);
      if (argFlags & MEM_FIXED_SIZE) {
        checkHelperMemAccess(env, reg, regno, arg.size ?? 0, !!(argFlags & MEM_WRITE), false, meta.raw);
        if (argFlags & MEM_ALIGNED) checkPtrAlignment(env, reg, 0, arg.size ?? 0, true);
      }
      break;
    case "ARG_CONST_SIZE":
    case "ARG_CONST_SIZE_OR_ZERO": {
      const prev = fn.args[i - 1]!;
      checkMemSizeReg(env, regs[regno - 1]!, reg, regno - 1, regno, !!(prev.flags & MEM_WRITE), arg.base === "ARG_CONST_SIZE_OR_ZERO", meta);
      break;
    }
    case "ARG_CONST_ALLOC_SIZE_OR_ZERO":
      if (!tnumIsConst(reg.varOff)) reject(env, "EACCES", `R${regno} is not a known constant'\n`);
      meta.memSize = Number(reg.varOff.value);
      env.markChainPrecision(regno);
      break;
    case "ARG_PTR_TO_CTX":
    case "ARG_SCALAR":
    case "ARG_PTR_TO_STACK":
      break;
    case "ARG_PTR_TO_TIMER":
      processTimerHelper(env, reg, regno, meta);
      break;
    case "ARG_PTR_TO_SPIN_LOCK":
      // kernel: BPF_FUNC_spin_lock (93) / BPF_FUNC_spin_unlock (94)
      // the `less` callback runs under the tree's lock
      if (inRbtreeLockRequiredCb(env)) reject(env, "EACCES", "can't spin_{lock,unlock} in rbtree cb\n");
      if (meta.funcId !== 93 && meta.funcId !== 94) verifierBug(env, "spin lock arg on unexpected helper");
      processSpinLock(env, reg, `R${regno}`, { lock: meta.funcId === 93, res: false, irq: false });
      break;
    case "ARG_PTR_TO_DYNPTR":
      checkHelperDynptrArg(env, meta, reg, regno, arg);
      break;
    case "ARG_PTR_TO_PERCPU_BTF_ID":
      meta.percpu = checkPercpuBtfIdArg(env, reg, regno);
      break;
    case "ARG_KPTR_XCHG_DEST":
      meta.kptrField = processKptrFunc(env, regno);
      if (reg.type === "PTR_TO_MAP_VALUE") meta.map = reg.map;
      break;
    default:
      if (NO_ARM_ARG_KINDS.has(arg.base)) break;
      notModelled(`helper argument kind ${arg.base}`);
  }
}

const CALLER_SAVED = [0, 1, 2, 3, 4, 5];

/** kernel: check_helper_call (the common, callback-free path). */
export function checkHelperCall(env: VerifierEnv, insn: RawInsn): InsnResult {
  const funcId = insn.imm;
  const look = env.helperLookup(funcId);
  if ("error" in look) {
    if (look.error === "ERANGE") reject(env, "EINVAL", `invalid func ${look.name}#${funcId}\n`);
    reject(env, "EINVAL", `program of this type cannot use helper ${look.name}#${funcId}\n`);
  }
  const fn = look.proto;
  if (!env.input.gplCompatible && fn.gplOnly) reject(env, "EINVAL", "cannot call GPL-restricted function from non-GPL compatible program\n");
  if (fn.allowed === false) reject(env, "EINVAL", "helper call is not allowed in probe\n");
  if (fn.mightSleep && !env.inSleepableContext()) {
    reject(env, "EINVAL", `sleepable helper ${fn.name}#${funcId} in ${env.nonSleepableContextDescription()}\n`);
  }
  const meta: CallArgMeta = { funcId, name: fn.name, map: null, mapUid: 0, raw: { rawMode: false, accessSize: 0, regno: 0 }, msizeMaxValue: 0n, subprogno: 0, memSize: 0, constMapKey: -1n, refs: newHelperRefMeta(env, fn.name, fn.args), dynptr: newHelperDynptrDesc() };
  for (let i = 0; i < 5; i++) checkFuncArg(env, i, meta, fn);
  env.recordFuncMapAndKey(meta.map, funcId);
  const regs = curFrame(env.curState).regs;
  for (let i = 0; i < meta.raw.accessSize; i++) {
    checkMemAccess(env, env.insnIdx, regs[meta.raw.regno]!, `R${meta.raw.regno}`, i, 1, true, -1, false, false);
  }
  releaseKptrXchgPercpu(env, meta.refs, fn.name);
  if (!releaseHelperDynptr(env, meta.refs, meta.dynptr)) releaseHelperArg(env, meta.refs);
  const dynptrChangesPkt = dynptrHelperSpecialCase(env, fn.name, meta.dynptr);
  if (meta.percpu) percpuPtrSpecialCase(env, meta.percpu);
  env.helperSpecialCases(funcId, meta.subprogno);
  for (const r of CALLER_SAVED) {
    markRegNotInit(regs[r]!, env.bpfCapable);
    checkRegArg(env, r, "DST_OP_NO_MARK");
  }
  invalidateOutgoingStackArgs(env, curFrame(env.curState));
  const r0 = regs[0]!;
  r0.subregDef = DEF_NOT_SUBREG;
  switch (fn.ret.base) {
    case "RET_INTEGER":
      markRegUnknown(r0, env.bpfCapable);
      break;
    case "RET_VOID":
      r0.type = "NOT_INIT";
      break;
    case "RET_PTR_TO_MAP_VALUE": {
      markRegKnownZero(r0);
      if (!meta.map) verifierBug(env, "unexpected null map_ptr");
      let f = fn.ret.flags;
      if (funcId === 1 && canElideValueNullness(meta.map) && meta.constMapKey >= 0n && meta.constMapKey < BigInt(meta.map.maxEntries)) f &= ~PTR_MAYBE_NULL;
      r0.map = meta.map;
      r0.mapUid = meta.mapUid;
      r0.type = "PTR_TO_MAP_VALUE";
      r0.flags = f;
      if (!(f & PTR_MAYBE_NULL) && env.mapHasSpinLock(meta.map)) r0.id = ++env.idGen;
      break;
    }
    case "RET_PTR_TO_MEM":
      markRegKnownZero(r0);
      r0.type = "PTR_TO_MEM";
      r0.flags = fn.ret.flags;
      r0.memSize = meta.memSize;
      break;
    case "RET_PTR_TO_MEM_OR_BTF_ID":
      markRetMemOrBtfId(env, meta.percpu, fn.ret.flags);
      break;
    case "RET_PTR_TO_BTF_ID":
      // kernel: BPF_FUNC_kptr_xchg (194) returns the field's old pointer (acquired in helperRetReference)
      if (funcId !== 194) {
        markRetPtrToBtfId(env, fn.name, funcId, fn.ret.flags);
        break;
      }
      if (!meta.kptrField) notModelled(`helper return kind ${fn.ret.base}`);
      markKptrXchgRet(env, meta.kptrField, fn.ret.flags);
      break;
    default: {
      const t = plainPtrRet(fn.ret.base);
      if (!t) notModelled(`helper return kind ${fn.ret.base}`);
      markRegKnownZero(r0);
      r0.type = t;
      r0.flags = fn.ret.flags;
    }
  }
  if (r0.flags & PTR_MAYBE_NULL) r0.id = ++env.idGen;
  helperRetReference(env, fn.name, meta.map, meta.refs);
  markDynptrDataRet(env, fn.name, meta.dynptr);
  env.refineRetvalRange(funcId, fn.ret.base, meta.msizeMaxValue);
  env.checkMapFuncCompatibility(meta.map, funcId);
  const tail = tailCallAfterHelper(env, funcId);
  if (tail) return tail;
  if (helperChangesPktData(fn.name) || dynptrChangesPkt) clearAllPktPointers(env);
  return { code: 0, printState: false };
}
