// One memory access by an instruction: the dispatch over pointer kinds.
// kernel: verifier.c (check_mem_access, check_ptr_alignment,
// check_generic_ptr_alignment, check_pkt_ptr_alignment, save_aux_ptr_type)
import type { VerifierEnv } from "../env.js";
import type { RegState } from "../state/types.js";
import { curFrame } from "../state/func.js";
import { assignReg, markRegKnown, markRegKnownZero, markRegUnknown } from "../state/reg.js";
import { regTypeStr, PTR_MAYBE_NULL, MEM_RDONLY, PTR_UNTRUSTED, type BaseRegType } from "../state/reg-type.js";
import { clearScalarId, isPointerValue } from "../state/reg-query.js";
import { regUmax, tnumIsConst, type Tnum } from "../state/scalar-bridge.js";
import { tnumStr } from "../log/print-state.js";
import { reject } from "../reject.js";
import { checkStackAccessWithinBounds, checkStackRead, checkStackWrite } from "./stack.js";
import { checkMapAccess, checkMapAccessType, checkMemRegionAccess } from "./region.js";
import { coerceRegToSize, coerceRegToSizeSx, addScalarToReg } from "../ops/scalar-ops.js";

const U64 = (1n << 64n) - 1n;

/** kernel: tnum_is_aligned(tnum_add(var_off, const off), size) */
function isAligned(t: Tnum, off: number, size: number): boolean {
  // Adding a constant to a tnum: the low bits are known only where no unknown
  // bit can carry into them; the kernel's tnum_add computes this exactly.
  const sv = (t.value + BigInt(off)) & U64;
  const sigma = (t.mask + t.value + BigInt(off)) & U64;
  const chi = sigma ^ sv;
  const mu = chi | t.mask;
  const mask = mu & U64;
  const value = sv & ~mu & U64;
  const low = BigInt(size - 1);
  return ((value | mask) & low) === 0n;
}

/** kernel: check_ptr_alignment */
export function checkPtrAlignment(env: VerifierEnv, reg: RegState, off: number, size: number, strictOnce: boolean): void {
  let strict = env.strictAlignment || strictOnce;
  let desc = "";
  switch (reg.type) {
    case "PTR_TO_PACKET":
    case "PTR_TO_PACKET_META": {
      if (!strict || size === 1) return;
      if (!isAligned(reg.varOff, 2 + off, size)) {
        reject(env, "EACCES", `misaligned packet access off 2+${tnumStr(reg.varOff)}+${off} size ${size}\n`);
      }
      return;
    }
    case "PTR_TO_FLOW_KEYS": desc = "flow keys "; break;
    case "PTR_TO_MAP_KEY": desc = "key "; break;
    case "PTR_TO_MAP_VALUE":
      desc = "value ";
      if (reg.map?.type === "BPF_MAP_TYPE_INSN_ARRAY") strict = true;
      break;
    case "PTR_TO_CTX": desc = "context "; break;
    case "PTR_TO_STACK": desc = "stack "; strict = true; break;
    case "PTR_TO_SOCKET": desc = "sock "; break;
    case "PTR_TO_SOCK_COMMON": desc = "sock_common "; break;
    case "PTR_TO_TCP_SOCK": desc = "tcp_sock "; break;
    case "PTR_TO_XDP_SOCK": desc = "xdp_sock "; break;
    case "PTR_TO_ARENA": return;
    default: break;
  }
  if (!strict || size === 1) return;
  if (!isAligned(reg.varOff, off, size)) {
    reject(env, "EACCES", `misaligned ${desc}access off ${tnumStr(reg.varOff)}+${off} size ${size}\n`);
  }
}

export function bpfSizeToBytes(sizeField: number): number {
  return [4, 2, 1, 8][sizeField >> 3]!;
}

/**
 * kernel: check_mem_access. `argName` is the kernel's reg_arg_name (R1..R5
 * or *(R11-8)); valueRegno -1 means no register takes part.
 */
export function checkMemAccess(env: VerifierEnv, insnIdx: number, reg: RegState, argName: string, off: number, size: number,
  isWrite: boolean, valueRegno: number, strictOnce: boolean, isLdsx: boolean): void {
  const regs = curFrame(env.curState).regs;
  checkPtrAlignment(env, reg, off, size, strictOnce);
  const valueIsPtr = () => isWrite && valueRegno >= 0 && isPointerValue(env, regs[valueRegno]!);

  if (reg.type === "PTR_TO_MAP_KEY" && !reg.flags) {
    if (isWrite) reject(env, "EACCES", `write to change key ${argName} not allowed\n`);
    checkMemRegionAccess(env, reg, argName, off, size, reg.map!.keySize, false);
    if (valueRegno >= 0) markRegUnknown(regs[valueRegno]!, env.bpfCapable);
  } else if (reg.type === "PTR_TO_MAP_VALUE" && !reg.flags) {
    if (valueIsPtr()) reject(env, "EACCES", `R${valueRegno} leaks addr into map\n`);
    checkMapAccessType(env, reg, off, size, isWrite);
    checkMapAccess(env, reg, argName, off, size, false, true);
    const kptr = tnumIsConst(reg.varOff) ? env.mapKptrFieldAt(reg.map!, off + Number(reg.varOff.value)) : null;
    if (kptr) {
      env.checkMapKptrAccess(valueRegno, insnIdx, kptr);
    } else if (!isWrite && valueRegno >= 0) {
      const map = reg.map!;
      const dst = regs[valueRegno]!;
      if (tnumIsConst(reg.varOff) && env.mapIsRdonly(map) && map.type !== "BPF_MAP_TYPE_INSN_ARRAY") {
        const v = env.mapDirectRead(map, off + Number(reg.varOff.value), size, isLdsx);
        dst.type = "SCALAR_VALUE";
        dst.flags = 0;
        markRegKnown(dst, v);
      } else if (map.type === "BPF_MAP_TYPE_INSN_ARRAY") {
        if (size !== 8) reject(env, "EACCES", `Invalid read of ${size} bytes from insn_array\n`);
        assignReg(dst, reg);
        addScalarToReg(dst, BigInt(off));
        dst.type = "PTR_TO_INSN";
      } else {
        markRegUnknown(dst, env.bpfCapable);
      }
    }
  } else if (reg.type === "PTR_TO_MEM") {
    const rdonly = !!(reg.flags & MEM_RDONLY);
    const rdonlyUntrusted = rdonly && !!(reg.flags & PTR_UNTRUSTED);
    if (reg.flags & PTR_MAYBE_NULL) reject(env, "EACCES", `${argName} invalid mem access '${regTypeStr(reg.type, reg.flags)}'\n`);
    if (isWrite && rdonly) reject(env, "EACCES", `${argName} cannot write into ${regTypeStr(reg.type, reg.flags)}\n`);
    if (valueIsPtr()) reject(env, "EACCES", `R${valueRegno} leaks addr into mem\n`);
    if (!rdonlyUntrusted) checkMemRegionAccess(env, reg, argName, off, size, reg.memSize, false);
    if (valueRegno >= 0 && (!isWrite || rdonly)) markRegUnknown(regs[valueRegno]!, env.bpfCapable);
  } else if (reg.type === "PTR_TO_CTX" && !reg.flags) {
    if (valueIsPtr()) reject(env, "EACCES", `R${valueRegno} leaks addr into ctx\n`);
    const info = env.checkCtxAccess(insnIdx, reg, argName, off, size, isWrite, isLdsx);
    if (!isWrite && valueRegno >= 0) {
      const dst = regs[valueRegno]!;
      if (info.regType === "SCALAR_VALUE") {
        markRegUnknown(dst, env.bpfCapable);
        if (info.retvalRange) env.markRegS32Range(dst, info.retvalRange[0], info.retvalRange[1]);
      } else {
        markRegKnownZero(dst);
        dst.subregDef = 0;
        if (info.regType === "PTR_TO_BTF_ID") {
          dst.btf = info.btf ?? null;
          dst.btfId = info.btfId ?? 0;
          dst.id = info.refId ?? 0;
        }
        if ((info.regFlags & PTR_MAYBE_NULL) && !dst.id) dst.id = ++env.idGen;
      }
      dst.type = info.regType;
      dst.flags = info.regType === "SCALAR_VALUE" ? 0 : info.regFlags;
    }
  } else if (reg.type === "PTR_TO_STACK") {
    checkStackAccessWithinBounds(env, reg, argName, off, size, !isWrite);
    if (!isWrite) checkStackRead(env, reg, argName, off, size, valueRegno);
    else checkStackWrite(env, reg, off, size, valueRegno, insnIdx);
  } else if ((reg.type === "PTR_TO_PACKET" || reg.type === "PTR_TO_PACKET_META") && !reg.flags) {
    if (isWrite && !env.mayAccessDirectPktData(true)) reject(env, "EACCES", "cannot write into packet\n");
    if (valueIsPtr()) reject(env, "EACCES", `R${valueRegno} leaks addr into packet\n`);
    env.checkPacketAccess(reg, argName, off, size, false);
    if (!isWrite && valueRegno >= 0) markRegUnknown(regs[valueRegno]!, env.bpfCapable);
  } else if (reg.type === "PTR_TO_FLOW_KEYS") {
    if (valueIsPtr()) reject(env, "EACCES", `R${valueRegno} leaks addr into flow keys\n`);
    env.checkFlowKeysAccess(reg, argName, off, size);
    if (!isWrite && valueRegno >= 0) markRegUnknown(regs[valueRegno]!, env.bpfCapable);
  } else if (reg.type === "PTR_TO_SOCKET" || reg.type === "PTR_TO_SOCK_COMMON" || reg.type === "PTR_TO_TCP_SOCK" || reg.type === "PTR_TO_XDP_SOCK") {
    if (reg.flags & PTR_MAYBE_NULL) {
      reject(env, "EACCES", `${argName} invalid mem access '${regTypeStr(reg.type, reg.flags)}'\n`);
    }
    if (isWrite) reject(env, "EACCES", `${argName} cannot write into ${regTypeStr(reg.type, reg.flags)}\n`);
    env.checkSockAccess(insnIdx, reg, argName, off, size, isWrite);
    if (valueRegno >= 0) markRegUnknown(regs[valueRegno]!, env.bpfCapable);
  } else if (reg.type === "PTR_TO_TP_BUFFER") {
    env.checkTpBufferAccess(reg, argName, off, size);
    if (!isWrite && valueRegno >= 0) markRegUnknown(regs[valueRegno]!, env.bpfCapable);
  } else if (reg.type === "PTR_TO_BTF_ID" && !(reg.flags & PTR_MAYBE_NULL)) {
    env.checkPtrToBtfAccess(reg, argName, off, size, isWrite, valueRegno);
  } else if (reg.type === "CONST_PTR_TO_MAP" && !reg.flags) {
    env.checkPtrToMapAccess(reg, argName, off, size, isWrite, valueRegno);
  } else if (reg.type === "PTR_TO_BUF" && !(reg.flags & PTR_MAYBE_NULL)) {
    const rdonly = !!(reg.flags & MEM_RDONLY);
    if (rdonly && isWrite) reject(env, "EACCES", `${argName} cannot write into ${regTypeStr(reg.type, reg.flags)}\n`);
    env.checkBufferAccess(reg, argName, off, size, rdonly);
    if (valueRegno >= 0 && (rdonly || !isWrite)) markRegUnknown(regs[valueRegno]!, env.bpfCapable);
  } else if (reg.type === "PTR_TO_ARENA") {
    if (!isWrite && valueRegno >= 0) markRegUnknown(regs[valueRegno]!, env.bpfCapable);
  } else {
    reject(env, "EACCES", `${argName} invalid mem access '${regTypeStr(reg.type, reg.flags)}'\n`);
  }

  if (size < 8 && valueRegno >= 0 && !isWrite && regs[valueRegno]!.type === "SCALAR_VALUE") {
    const dst = regs[valueRegno]!;
    if (!isLdsx) {
      coerceRegToSize(dst, size);
    } else {
      const noSext = regUmax(dst) < 1n << BigInt(size * 8 - 1);
      coerceRegToSizeSx(dst, size);
      if (!noSext) clearScalarId(dst);
    }
  }
}

/** The pointer kinds save_aux_ptr_type may merge. */
function isPtrToMemOrBtfId(t: BaseRegType): boolean {
  return t === "PTR_TO_MEM" || t === "PTR_TO_BTF_ID";
}

/** kernel: reg_type_mismatch_ok — kinds whose loads are rewritten per type (ctx conversion, probes). */
function mismatchOk(t: BaseRegType): boolean {
  switch (t) {
    case "PTR_TO_CTX": case "PTR_TO_SOCKET": case "PTR_TO_SOCK_COMMON": case "PTR_TO_TCP_SOCK":
    case "PTR_TO_XDP_SOCK": case "PTR_TO_BTF_ID": case "PTR_TO_ARENA":
      return false;
    default:
      return true;
  }
}

/** kernel: save_aux_ptr_type — one load/store insn must see one pointer kind on every path. */
export function saveAuxPtrType(env: VerifierEnv, type: BaseRegType, flags: number, allowTrustMismatch: boolean): void {
  const aux = env.insnAux[env.insnIdx]!;
  if (aux.ptrType === null) {
    aux.ptrType = { type, flags };
    return;
  }
  const prev = aux.ptrType;
  const differ = prev.type !== type || prev.flags !== flags;
  if (!(differ && (!mismatchOk(type) || !mismatchOk(prev.type)))) return;
  if (allowTrustMismatch && isPtrToMemOrBtfId(type) && isPtrToMemOrBtfId(prev.type)) {
    const merged: BaseRegType = type === "PTR_TO_MEM" || prev.type === "PTR_TO_MEM" ? "PTR_TO_MEM" : "PTR_TO_BTF_ID";
    aux.ptrType = { type: merged, flags: (flags | prev.flags) & (PTR_UNTRUSTED | MEM_RDONLY) };
    return;
  }
  reject(env, "EINVAL", "same insn cannot be used with different pointers\n");
}
