// ALU instructions: moves, scalar math, pointer arithmetic, linked scalars.
// kernel: verifier.c (check_alu_op, adjust_reg_min_max_vals,
// adjust_ptr_min_max_vals, adjust_scalar_min_max_vals' env-dependent parts:
// maybe_fork_scalars; check_reg_sane_offset_{scalar,ptr})
import type { VerifierEnv } from "../env.js";
import type { RawInsn } from "../../isa/raw.js";
import type { RegState } from "../state/types.js";
import { BPF_ADD_CONST, BPF_ADD_CONST32, BPF_ADD_CONST64, DEF_NOT_SUBREG } from "../state/types.js";
import { curFrame } from "../state/func.js";
import { assignReg, copyReg, markRegKnown, markRegUnknown, newReg } from "../state/reg.js";
import { regTypeStr, PTR_MAYBE_NULL, PTR_UNTRUSTED } from "../state/reg-type.js";
import { assignScalarIdBeforeMov, clearScalarId, getRegWidth, isPointerValue, isRegConst, regConstValue } from "../state/reg-query.js";
import { regSmax, regSmin, regS32Max, regS32Min, regUmax, regUmin, tnumIsConst } from "../state/scalar-bridge.js";
import { reject } from "../reject.js";
import { pushStack } from "../explore/branches.js";
import { checkRegArg } from "./reg-arg.js";
import * as S from "./scalar-ops.js";
import {
  BPF_ADD, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_DIV, BPF_END, BPF_K, BPF_LSH, BPF_MOD, BPF_MOV, BPF_NEG, BPF_OR,
  BPF_RSH, BPF_SUB, BPF_X, BPF_XOR, bpfClass, bpfOp, bpfSrc, BPF_ADDR_SPACE_CAST,
} from "../cfg/opcodes.js";

/** kernel: bpf_alu_string */
const ALU_STRING = ["+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=", "^=", "=", "s>>=", "endian"];

const BPF_MAX_VAR_OFF = 1n << 29n;
const S64_MIN = -(1n << 63n);
const S32_MIN = -(1n << 31n);
const S32_MAX = (1n << 31n) - 1n;
const U32_MAX = (1n << 32n) - 1n;

/** kernel: check_reg_sane_offset_scalar */
function saneOffsetScalar(env: VerifierEnv, reg: RegState, ptr: RegState): boolean {
  const known = tnumIsConst(reg.varOff);
  const val = BigInt.asIntN(64, reg.varOff.value);
  const smin = regSmin(reg);
  const t = regTypeStr(ptr.type, ptr.flags);
  if (known && (val >= BPF_MAX_VAR_OFF || val <= -BPF_MAX_VAR_OFF)) {
    env.verbose(`math between ${t} pointer and ${val} is not allowed\n`);
    return false;
  }
  if (smin === S64_MIN) {
    env.verbose(`math between ${t} pointer and register with unbounded min value is not allowed\n`);
    return false;
  }
  if (smin >= BPF_MAX_VAR_OFF || smin <= -BPF_MAX_VAR_OFF) {
    env.verbose(`value ${smin} makes ${t} pointer be out of bounds\n`);
    return false;
  }
  return true;
}

/** kernel: check_reg_sane_offset_ptr */
function saneOffsetPtr(env: VerifierEnv, reg: RegState, ptr: RegState): boolean {
  const known = tnumIsConst(reg.varOff);
  const val = BigInt.asIntN(64, reg.varOff.value);
  const smin = regSmin(reg);
  const t = regTypeStr(ptr.type, ptr.flags);
  if (known && (val >= BPF_MAX_VAR_OFF || val <= -BPF_MAX_VAR_OFF)) {
    env.verbose(`${t} pointer offset ${val} is not allowed\n`);
    return false;
  }
  if (smin >= BPF_MAX_VAR_OFF || smin <= -BPF_MAX_VAR_OFF) {
    env.verbose(`${t} pointer offset ${smin} is not allowed\n`);
    return false;
  }
  return true;
}

function isPktPointer(r: RegState): boolean {
  return r.type === "PTR_TO_PACKET" || r.type === "PTR_TO_PACKET_META";
}

/** Copy the kernel union (`raw`) from one register to another. */
function copyRaw(dst: RegState, src: RegState): void {
  dst.range = src.range; dst.map = src.map; dst.mapUid = src.mapUid; dst.btf = src.btf; dst.btfId = src.btfId;
  dst.memSize = src.memSize; dst.dynptrType = src.dynptrType; dst.dynptrFirstSlot = src.dynptrFirstSlot;
  dst.iterState = src.iterState; dst.iterDepth = src.iterDepth; dst.irqKfuncClass = src.irqKfuncClass; dst.subprogno = src.subprogno;
}
function clearRaw(dst: RegState): void {
  const z = newReg();
  copyRaw(dst, z);
}

/** kernel: adjust_ptr_min_max_vals */
function adjustPtrMinMaxVals(env: VerifierEnv, insn: RawInsn, ptr: RegState, offReg: RegState): void {
  const regs = curFrame(env.curState).regs;
  const dst = regs[insn.dst]!;
  const known = tnumIsConst(offReg.varOff);
  const sminV = regSmin(offReg), smaxV = regSmax(offReg), uminV = regUmin(offReg), umaxV = regUmax(offReg);
  const op = bpfOp(insn.code);
  if ((known && (sminV !== smaxV || uminV !== umaxV)) || sminV > smaxV || uminV > umaxV) {
    markRegUnknown(dst, env.bpfCapable);
    return;
  }
  if (bpfClass(insn.code) !== BPF_ALU64) {
    if (op === BPF_SUB && env.allowPtrLeaks) {
      markRegUnknown(dst, env.bpfCapable);
      return;
    }
    reject(env, "EACCES", `R${insn.dst} 32-bit pointer arithmetic prohibited\n`);
  }
  if (ptr.flags & PTR_MAYBE_NULL) {
    reject(env, "EACCES", `R${insn.dst} pointer arithmetic on ${regTypeStr(ptr.type, ptr.flags)} prohibited, null-check it first\n`);
  }
  let ok: boolean;
  switch (ptr.type) {
    case "PTR_TO_CTX": case "PTR_TO_MAP_VALUE": case "PTR_TO_MAP_KEY": case "PTR_TO_STACK": case "PTR_TO_PACKET_META":
    case "PTR_TO_PACKET": case "PTR_TO_TP_BUFFER": case "PTR_TO_BTF_ID": case "PTR_TO_MEM": case "PTR_TO_BUF":
    case "PTR_TO_FUNC": case "CONST_PTR_TO_DYNPTR":
      ok = true;
      break;
    case "PTR_TO_FLOW_KEYS":
      ok = known || (known && sminV === 0n && op === BPF_ADD);
      break;
    case "CONST_PTR_TO_MAP":
      ok = known && sminV === 0n && op === BPF_ADD;
      break;
    default:
      ok = false;
  }
  if (!ok) reject(env, "EACCES", `R${insn.dst} pointer arithmetic on ${regTypeStr(ptr.type, ptr.flags)} prohibited\n`);

  // Snapshot the operands: dst may alias either of them.
  const p = { ...ptr };
  const o = { ...offReg };
  if (dst !== ptr) assignReg(dst, ptr);
  if (p.type === "PTR_TO_MEM" && (p.flags & PTR_UNTRUSTED)) return;
  if (!saneOffsetScalar(env, o, p) || !saneOffsetPtr(env, p, p)) reject(env, "EINVAL", "");
  S.markReg32Unbounded(dst);
  switch (op) {
    case BPF_ADD:
      dst.r64 = S.cnum64Add(p.r64, o.r64);
      dst.varOff = S.tnumAdd(p.varOff, o.varOff);
      copyRaw(dst, p);
      if (isPktPointer(p)) {
        if (!known) dst.id = ++env.idGen;
        if (!known || dst.range < 0) clearRaw(dst);
      }
      break;
    case BPF_SUB:
      if (dst !== ptr) reject(env, "EACCES", `R${insn.dst} tried to subtract pointer from scalar\n`);
      if (p.type === "PTR_TO_STACK") reject(env, "EACCES", `R${insn.dst} subtraction from stack pointer prohibited\n`);
      dst.r64 = S.cnum64Add(p.r64, S.cnum64Negate(o.r64));
      dst.varOff = S.tnumSub(p.varOff, o.varOff);
      copyRaw(dst, p);
      if (isPktPointer(p)) {
        if (!known) dst.id = ++env.idGen;
        if ((!known && sminV < 0n) || dst.range < 0) clearRaw(dst);
      }
      break;
    case BPF_AND: case BPF_OR: case BPF_XOR:
      reject(env, "EACCES", `R${insn.dst} bitwise operator ${ALU_STRING[op >> 4]} on pointer prohibited\n`);
    default:
      reject(env, "EACCES", `R${insn.dst} pointer arithmetic with ${ALU_STRING[op >> 4]} operator prohibited\n`);
  }
  if (!saneOffsetPtr(env, dst, p)) reject(env, "EINVAL", "");
  S.regBoundsSync(dst);
}

/** kernel: __mark_reg_known's memset — id, parent_id and delta go with the old value. */
function clearIds(r: RegState): void {
  r.id = 0;
  r.parentId = 0;
  r.delta = 0;
}

/**
 * kernel: adjust_scalar_min_max_vals. The math (and which ops are computable,
 * and maybe_fork_scalars' split of [-1, 0]) is the scalar domain's; the
 * register and the forked state are updated here.
 */
function adjustScalarMinMaxVals(env: VerifierEnv, insn: RawInsn, dst: RegState, src: RegState): void {
  const op = bpfOp(insn.code);
  const alu32 = bpfClass(insn.code) !== BPF_ALU64;
  const r = S.scalarAlu(dst, src, op, alu32, insn.off, insn.imm, (insn.code & BPF_X) !== 0);
  if (r.markedUnknown) {
    markRegUnknown(dst, env.bpfCapable);
    return;
  }
  if (r.forkDst) {
    // The pushed state re-runs this insn with dst on the other side of the split.
    const branch = pushStack(env, env.insnIdx, env.insnIdx, false);
    const breg = branch.frame[branch.curframe]!.regs[insn.dst]!;
    breg.varOff = r.forkDst.varOff;
    breg.r64 = r.forkDst.r64;
    breg.r32 = r.forkDst.r32;
    if (r.forkClearId) clearIds(breg);
  }
  dst.varOff = r.value.varOff;
  dst.r64 = r.value.r64;
  dst.r32 = r.value.r32;
  if (r.clearId) clearIds(dst);
}

/** kernel: adjust_reg_min_max_vals */
function adjustRegMinMaxVals(env: VerifierEnv, insn: RawInsn): void {
  const regs = curFrame(env.curState).regs;
  const alu32 = bpfClass(insn.code) !== BPF_ALU64;
  const op = bpfOp(insn.code);
  const dst = regs[insn.dst]!;
  let src: RegState | null = bpfSrc(insn.code) === BPF_X ? regs[insn.src]! : null;

  if (dst.type === "PTR_TO_ARENA" || (src && src.type === "PTR_TO_ARENA")) {
    if (dst.type !== "PTR_TO_ARENA") assignReg(dst, src!);
    dst.subregDef = env.insnIdx + 1;
    return;
  }
  const ptrReg = dst.type !== "SCALAR_VALUE" ? dst : null;
  if (src) {
    if (src.type !== "SCALAR_VALUE") {
      if (dst.type !== "SCALAR_VALUE") {
        if (op === BPF_SUB && env.allowPtrLeaks) {
          markRegUnknown(dst, env.bpfCapable);
          return;
        }
        reject(env, "EACCES", `R${insn.dst} pointer ${ALU_STRING[op >> 4]} pointer prohibited\n`);
      }
      env.markChainPrecision(insn.dst);
      const offReg = copyReg(dst);
      adjustPtrMinMaxVals(env, insn, src, offReg);
      return;
    } else if (ptrReg) {
      env.markChainPrecision(insn.src);
      adjustPtrMinMaxVals(env, insn, dst, src);
      return;
    } else if (dst.precise) {
      env.markChainPrecision(insn.src);
    }
  } else {
    const k = newReg();
    k.type = "SCALAR_VALUE";
    markRegKnown(k, BigInt(insn.imm));
    src = k;
    if (ptrReg) {
      adjustPtrMinMaxVals(env, insn, ptrReg, src);
      return;
    }
  }
  const dstUmax = regUmax(dst);
  adjustScalarMinMaxVals(env, insn, dst, copyReg(src));
  const selfOp = bpfSrc(insn.code) === BPF_X && insn.src === insn.dst;
  if (env.bpfCapable && (op === BPF_ADD || op === BPF_SUB) && dst.id && isRegConst(src, alu32) && !selfOp) {
    const val = regConstValue(src, alu32);
    const sval = BigInt.asIntN(64, val);
    let clear = false;
    if (!alu32 && (sval < S32_MIN || sval > S32_MAX)) clear = true;
    if (alu32 && dstUmax > U32_MAX) clear = true;
    let off = Number(BigInt.asIntN(32, val));
    if (!clear && op === BPF_SUB) {
      if (off === -2147483648) clear = true;
      else off = -off;
    }
    if (clear || (dst.id & BPF_ADD_CONST)) {
      clearScalarId(dst);
    } else {
      dst.id = (dst.id | (alu32 ? BPF_ADD_CONST32 : BPF_ADD_CONST64)) >>> 0;
      dst.delta = off;
    }
  } else {
    clearScalarId(dst);
  }
}

/** kernel: check_alu_op */
export function checkAluOp(env: VerifierEnv, insn: RawInsn): void {
  const regs = curFrame(env.curState).regs;
  const op = bpfOp(insn.code);
  const is64 = bpfClass(insn.code) === BPF_ALU64;

  if (op === BPF_END || op === BPF_NEG) {
    checkRegArg(env, insn.dst, "SRC_OP");
    if (isPointerValue(env, regs[insn.dst]!)) reject(env, "EACCES", `R${insn.dst} pointer arithmetic prohibited\n`);
    if (regs[insn.dst]!.type === "SCALAR_VALUE") {
      checkRegArg(env, insn.dst, "DST_OP_NO_MARK");
      adjustScalarMinMaxVals(env, insn, regs[insn.dst]!, { ...regs[insn.dst]! });
    } else {
      checkRegArg(env, insn.dst, "DST_OP");
    }
  } else if (op === BPF_MOV) {
    if (bpfSrc(insn.code) === BPF_X) {
      if (insn.off === BPF_ADDR_SPACE_CAST && !env.hasArena) {
        reject(env, "EINVAL", "addr_space_cast insn can only be used in a program that has an associated arena\n");
      }
      checkRegArg(env, insn.src, "SRC_OP");
    }
    checkRegArg(env, insn.dst, "DST_OP_NO_MARK");
    const dst = regs[insn.dst]!;
    if (bpfSrc(insn.code) === BPF_X) {
      const src = regs[insn.src]!;
      if (is64) {
        if (insn.imm) {
          markRegUnknown(dst, env.bpfCapable);
          if (insn.imm === 1) {
            dst.type = "PTR_TO_ARENA";
            dst.subregDef = env.insnIdx + 1;
          }
        } else if (insn.off === 0) {
          assignScalarIdBeforeMov(env, src);
          assignReg(dst, src);
          dst.subregDef = DEF_NOT_SUBREG;
        } else {
          if (isPointerValue(env, src)) reject(env, "EACCES", `R${insn.src} sign-extension part of pointer\n`);
          else if (src.type === "SCALAR_VALUE") {
            const noSext = regUmax(src) < 1n << BigInt(insn.off - 1);
            if (noSext) assignScalarIdBeforeMov(env, src);
            assignReg(dst, src);
            if (!noSext) clearScalarId(dst);
            S.coerceRegToSizeSx(dst, insn.off >> 3);
            dst.subregDef = DEF_NOT_SUBREG;
          } else {
            markRegUnknown(dst, env.bpfCapable);
          }
        }
      } else {
        if (isPointerValue(env, src)) reject(env, "EACCES", `R${insn.src} partial copy of pointer\n`);
        else if (src.type === "SCALAR_VALUE") {
          if (insn.off === 0) {
            const isU32 = getRegWidth(src) <= 32;
            if (isU32) assignScalarIdBeforeMov(env, src);
            assignReg(dst, src);
            if (!isU32) clearScalarId(dst);
            dst.subregDef = env.insnIdx + 1;
          } else {
            const noSext = regUmax(src) < 1n << BigInt(insn.off - 1);
            if (noSext) assignScalarIdBeforeMov(env, src);
            assignReg(dst, src);
            if (!noSext) clearScalarId(dst);
            dst.subregDef = env.insnIdx + 1;
            S.coerceSubregToSizeSx(dst, insn.off >> 3);
          }
        } else {
          markRegUnknown(dst, env.bpfCapable);
        }
        S.zext32To64(dst);
        S.regBoundsSync(dst);
      }
    } else {
      markRegUnknown(dst, env.bpfCapable);
      dst.type = "SCALAR_VALUE";
      markRegKnown(dst, is64 ? BigInt(insn.imm) : BigInt(insn.imm >>> 0));
    }
  } else {
    if (bpfSrc(insn.code) === BPF_X) checkRegArg(env, insn.src, "SRC_OP");
    checkRegArg(env, insn.dst, "SRC_OP");
    if ((op === BPF_MOD || op === BPF_DIV) && bpfSrc(insn.code) === BPF_K && insn.imm === 0) {
      reject(env, "EINVAL", "div by zero\n");
    }
    if ((op === BPF_LSH || op === BPF_RSH || op === BPF_ARSH) && bpfSrc(insn.code) === BPF_K) {
      const size = is64 ? 64 : 32;
      if (insn.imm < 0 || insn.imm >= size) reject(env, "EINVAL", `invalid shift ${insn.imm}\n`);
    }
    checkRegArg(env, insn.dst, "DST_OP_NO_MARK");
    adjustRegMinMaxVals(env, insn);
  }
  S.regBoundsSanityCheck(env, regs[insn.dst]!, "alu");
}
