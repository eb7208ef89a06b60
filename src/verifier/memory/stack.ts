// Stack reads and writes: spill/fill tracking, slot types, bounds.
// kernel: verifier.c (check_stack_access_within_bounds, check_stack_write_fixed_off,
// check_stack_write_var_off, check_stack_read_fixed_off, check_stack_read_var_off,
// check_stack_read, check_stack_write, save_register_state, mark_reg_stack_read)
import type { VerifierEnv } from "../env.js";
import type { FuncState, RegState } from "../state/types.js";
import { BPF_REG_SIZE, MAX_BPF_STACK, STACK_INVALID, STACK_MISC, STACK_POISON, STACK_SPILL, STACK_ZERO, STACK_DYNPTR, STACK_ITER, STACK_IRQ_FLAG } from "../state/types.js";
import type { StackSlot, StackSlotType } from "../state/types.js";
import { assignReg, markRegConstZero, markRegKnown, markRegUnknown, newReg } from "../state/reg.js";
import { growStackState, curFrame } from "../state/func.js";
import { regSmax, regSmin, regUmax, tnumIsConst } from "../state/scalar-bridge.js";
import { tnumStr } from "../log/print-state.js";
import { reject } from "../reject.js";
import { verboseLinfo, pushJmpHistory } from "../explore/do-check.js";
import { assignScalarIdBeforeMov, clearScalarId, getRegWidth, isSpillableRegtype, isPointerValue, registerIsNull } from "../state/reg-query.js";

/** kernel: BPF_MAX_VAR_OFF */
export const BPF_MAX_VAR_OFF = 1 << 29;
/** kernel: INSN_F_STACK_ACCESS (jmp history flag) */
export const INSN_F_STACK_ACCESS = 1;

/** The frame a stack pointer points into (kernel: bpf_func). */
export function stackFrameOf(env: VerifierEnv, reg: RegState): FuncState {
  return env.curState.frame[reg.frameno]!;
}

function isSpilledReg(s: StackSlot): boolean {
  return s.slotType[BPF_REG_SIZE - 1] === STACK_SPILL;
}
function isSpilledScalarReg(s: StackSlot): boolean {
  return isSpilledReg(s) && s.spilledPtr.type === "SCALAR_VALUE";
}

/** kernel: is_stack_slot_special */
function isStackSlotSpecial(s: StackSlot): boolean {
  const t = s.slotType[BPF_REG_SIZE - 1];
  return t === STACK_SPILL || t === STACK_DYNPTR || t === STACK_ITER || t === STACK_IRQ_FLAG;
}

/** kernel: mark_stack_slot_misc */
function markSlotMisc(s: StackSlot, i: number): void {
  const t = s.slotType[i];
  if (t === STACK_ZERO || t === STACK_INVALID || t === STACK_POISON) return;
  s.slotType[i] = STACK_MISC;
}

/** kernel: scrub_spilled_slot */
function scrubSpilledSlot(s: StackSlot, i: number): void {
  const t = s.slotType[i];
  if (t !== STACK_INVALID && t !== STACK_POISON) s.slotType[i] = STACK_MISC;
}

/** kernel: scrub_special_slot */
function scrubSpecialSlot(s: StackSlot): void {
  s.spilledPtr.type = "NOT_INIT";
  if (isStackSlotSpecial(s)) for (let i = 0; i < BPF_REG_SIZE; i++) scrubSpilledSlot(s, i);
}

/** kernel: save_register_state */
function saveRegisterState(s: StackSlot, reg: RegState, size: number): void {
  assignReg(s.spilledPtr, reg);
  let i = BPF_REG_SIZE;
  for (; i > BPF_REG_SIZE - size; i--) s.slotType[i - 1] = STACK_SPILL;
  for (; i; i--) markSlotMisc(s, i - 1);
}

/** kernel: check_stack_slot_within_bounds */
function stackSlotWithinBounds(off: number): boolean {
  return off >= -MAX_BPF_STACK && off < 0;
}

/**
 * kernel: check_stack_access_within_bounds — also grows the frame's stack
 * (and the subprog's recorded depth).
 */
export function checkStackAccessWithinBounds(env: VerifierEnv, reg: RegState, argName: string, off: number, accessSize: number, isRead: boolean): void {
  const state = stackFrameOf(env, reg);
  const extra = isRead ? " read from" : " write to";
  let minOff: number, maxOff: number;
  if (tnumIsConst(reg.varOff)) {
    minOff = Number(BigInt.asIntN(64, reg.varOff.value)) + off;
    maxOff = minOff + accessSize;
  } else {
    if (regSmax(reg) >= BigInt(BPF_MAX_VAR_OFF) || regSmin(reg) <= -BigInt(BPF_MAX_VAR_OFF)) {
      reject(env, "EACCES", `invalid unbounded variable-offset${extra} stack ${argName}\n`);
    }
    minOff = Number(regSmin(reg)) + off;
    maxOff = Number(regSmax(reg)) + off + accessSize;
  }
  let bad = !stackSlotWithinBounds(minOff) || maxOff > 0 || accessSize < 0;
  if (bad) {
    const errno = !stackSlotWithinBounds(minOff) ? "EACCES" : maxOff > 0 ? "EINVAL" : "EFAULT";
    if (tnumIsConst(reg.varOff)) {
      reject(env, errno, `invalid${extra} stack ${argName} off=${minOff} size=${accessSize}\n`);
    }
    reject(env, errno, `invalid variable-offset${extra} stack ${argName} var_off=${tnumStr(reg.varOff)} off=${off} size=${accessSize}\n`);
  }
  const depth = growStackState(state, -minOff);
  const sp = env.subprogs[state.subprogno];
  if (sp && sp.stackDepth < depth) sp.stackDepth = depth;
}

/** kernel: check_stack_write_fixed_off */
function checkStackWriteFixedOff(env: VerifierEnv, state: FuncState, off: number, size: number, valueRegno: number, insnIdx: number): void {
  const slot = -off - 1;
  const spi = (slot / BPF_REG_SIZE) | 0;
  const stk = state.stack[spi]!;
  const insn = env.insns[insnIdx]!;
  const cur = curFrame(env.curState);
  const reg = valueRegno >= 0 ? cur.regs[valueRegno]! : null;
  let insnFlags = INSN_F_STACK_ACCESS;

  if (!env.allowPtrLeaks && isSpilledReg(stk) && !isSpilledScalarReg(stk) && size !== BPF_REG_SIZE) {
    reject(env, "EACCES", "attempt to corrupt spilled pointer on stack\n");
  }
  destroyIfDynptrStackSlot(env, state, spi);
  env.markStackSlotScratched(spi);
  const isStMem = (insn.code & 0x07) === 0x02 && (insn.code & 0xe0) === 0x60;
  if (reg && off % BPF_REG_SIZE === 0 && reg.type === "SCALAR_VALUE" && env.bpfCapable) {
    const fits = getRegWidth(reg) <= 8 * size;
    if (fits) assignScalarIdBeforeMov(env, reg);
    saveRegisterState(stk, reg, size);
    if (!fits) stk.spilledPtr.id = 0;
  } else if (!reg && off % BPF_REG_SIZE === 0 && isStMem && env.bpfCapable) {
    const tmp = newReg();
    markRegKnown(tmp, BigInt(insn.imm));
    tmp.type = "SCALAR_VALUE";
    saveRegisterState(stk, tmp, size);
  } else if (reg && isSpillableRegtype(reg.type)) {
    if (size !== BPF_REG_SIZE) {
      verboseLinfo(env, insnIdx, "; ");
      reject(env, "EACCES", "invalid size of register spill\n");
    }
    if (state !== cur && reg.type === "PTR_TO_STACK") {
      reject(env, "EINVAL", "cannot spill pointers to stack into stack frame of the caller\n");
    }
    saveRegisterState(stk, reg, size);
  } else {
    let type: StackSlotType = STACK_MISC;
    scrubSpecialSlot(stk);
    if ((reg && registerIsNull(reg)) || (!reg && isStMem && insn.imm === 0)) {
      env.markChainPrecision(valueRegno);
      type = STACK_ZERO;
    }
    for (let i = 0; i < size; i++) stk.slotType[(((slot - i) % BPF_REG_SIZE) + BPF_REG_SIZE) % BPF_REG_SIZE] = type;
    insnFlags = 0;
  }
  if (insnFlags) pushJmpHistory(env, insnFlags, spi, state.frameno);
}

/** kernel: destroy_if_dynptr_stack_slot (dynptrs arrive with the kfunc work; plain slots pass). */
function destroyIfDynptrStackSlot(env: VerifierEnv, state: FuncState, spi: number): void {
  const s = state.stack[spi]!;
  if (s.slotType[0] !== STACK_DYNPTR) return;
  env.destroyDynptrSlot(state, spi);
}

/** kernel: check_stack_write_var_off */
function checkStackWriteVarOff(env: VerifierEnv, state: FuncState, ptrReg: RegState, off: number, size: number, valueRegno: number, insnIdx: number): void {
  const insn = env.insns[insnIdx]!;
  const minOff = Number(regSmin(ptrReg)) + off;
  const maxOff = Number(regSmax(ptrReg)) + off + size;
  const cur = curFrame(env.curState);
  const value = valueRegno >= 0 ? cur.regs[valueRegno]! : null;
  const isStMem = (insn.code & 0x07) === 0x02 && (insn.code & 0xe0) === 0x60;
  const writingZero = (!!value && registerIsNull(value)) || (!value && isStMem && insn.imm === 0);
  let zeroUsed = false;
  for (let i = minOff; i < maxOff; i++) destroyIfDynptrStackSlot(env, state, (((-i - 1) / BPF_REG_SIZE) | 0));
  for (let i = minOff; i < maxOff; i++) {
    const slot = -i - 1;
    const spi = (slot / BPF_REG_SIZE) | 0;
    const stk = state.stack[spi]!;
    const idx = slot % BPF_REG_SIZE;
    const stype = stk.slotType[idx]!;
    env.markStackSlotScratched(spi);
    if (!env.allowPtrLeaks && stype !== STACK_MISC && stype !== STACK_ZERO) {
      reject(env, "EINVAL", `spilled ptr in range of var-offset stack write; insn ${insnIdx}, ptr off: ${i}`);
    }
    if (writingZero && stype === STACK_SPILL && isSpilledScalarReg(stk)) {
      const sp = stk.spilledPtr;
      if (tnumIsConst(sp.varOff) && sp.varOff.value === 0n) {
        zeroUsed = true;
        continue;
      }
    }
    scrubSpecialSlot(stk);
    let newType: StackSlotType = STACK_MISC;
    if (writingZero && stype === STACK_ZERO) {
      newType = STACK_ZERO;
      zeroUsed = true;
    }
    if ((stype === STACK_INVALID || stype === STACK_POISON) && !env.allowUninitStack) {
      reject(env, "EINVAL", `uninit stack in range of var-offset write prohibited for !root; insn ${insnIdx}, off: ${i}`);
    }
    stk.slotType[idx] = newType;
  }
  if (zeroUsed) env.markChainPrecision(valueRegno);
}

/** kernel: check_stack_write */
export function checkStackWrite(env: VerifierEnv, reg: RegState, off: number, size: number, valueRegno: number, insnIdx: number): void {
  const state = stackFrameOf(env, reg);
  if (tnumIsConst(reg.varOff)) {
    checkStackWriteFixedOff(env, state, off + Number(BigInt.asIntN(64, reg.varOff.value)), size, valueRegno, insnIdx);
  } else {
    checkStackWriteVarOff(env, state, reg, off, size, valueRegno, insnIdx);
  }
}

/** kernel: mark_reg_stack_read — a read of [min_off, max_off) of plain data into dst. */
function markRegStackRead(env: VerifierEnv, ptrState: FuncState, minOff: number, maxOff: number, dstRegno: number): void {
  const state = curFrame(env.curState);
  let zeros = 0;
  for (let i = minOff; i < maxOff; i++) {
    const slot = -i - 1;
    const spi = (slot / BPF_REG_SIZE) | 0;
    const t = ptrState.stack[spi]!.slotType[((slot % BPF_REG_SIZE) + BPF_REG_SIZE) % BPF_REG_SIZE];
    if (t !== STACK_ZERO) break;
    zeros++;
  }
  if (zeros === maxOff - minOff) {
    markRegConstZero(state.regs[dstRegno]!, env.bpfCapable);
  } else {
    markRegUnknown(state.regs[dstRegno]!, env.bpfCapable);
  }
}

function readFail(env: VerifierEnv, t: StackSlotType | undefined, off: number, i: number, size: number): never {
  if (t === STACK_POISON) {
    reject(env, "EACCES", `reading from stack off ${off}+${i} size ${size}, slot poisoned by dead code elimination\n`);
  }
  reject(env, "EACCES", `invalid read from stack off ${off}+${i} size ${size}\n`);
}

/** kernel: check_stack_read_fixed_off */
function checkStackReadFixedOff(env: VerifierEnv, regState: FuncState, off: number, size: number, dstRegno: number): void {
  const state = curFrame(env.curState);
  const slot = -off - 1;
  const spi = (slot / BPF_REG_SIZE) | 0;
  const stk = regState.stack[spi]!;
  const stype = stk.slotType;
  const reg = stk.spilledPtr;
  let insnFlags = INSN_F_STACK_ACCESS;
  env.markStackSlotScratched(spi);
  const at = (i: number) => stype[(((slot - i) % BPF_REG_SIZE) + BPF_REG_SIZE) % BPF_REG_SIZE];

  if (isSpilledReg(stk)) {
    let spillSize = 1;
    for (let i = BPF_REG_SIZE - 1; i > 0 && stype[i - 1] === STACK_SPILL; i--) spillSize++;
    if (size !== BPF_REG_SIZE || spillSize !== BPF_REG_SIZE) {
      if (reg.type !== "SCALAR_VALUE") {
        verboseLinfo(env, env.insnIdx, "; ");
        reject(env, "EACCES", "invalid size of register fill\n");
      }
      if (dstRegno < 0) return;
      if (size <= spillSize && off % BPF_REG_SIZE === 0) {
        const dst = state.regs[dstRegno]!;
        const subregDef = dst.subregDef;
        if (env.bpfCapable && size === 4 && spillSize === 4 && getRegWidth(reg) <= 32) assignScalarIdBeforeMov(env, reg);
        assignReg(dst, reg);
        dst.subregDef = subregDef;
        if (getRegWidth(reg) > size * 8) clearScalarId(dst);
      } else {
        let spillCnt = 0, zeroCnt = 0;
        for (let i = 0; i < size; i++) {
          const t = at(i);
          if (t === STACK_SPILL) { spillCnt++; continue; }
          if (t === STACK_MISC) continue;
          if (t === STACK_ZERO) { zeroCnt++; continue; }
          if (t === STACK_INVALID && env.allowUninitStack) continue;
          readFail(env, t, off, i, size);
        }
        const dst = state.regs[dstRegno]!;
        if (spillCnt === size && tnumIsConst(reg.varOff) && reg.varOff.value === 0n) {
          markRegConstZero(dst, env.bpfCapable);
        } else if (zeroCnt === size) {
          markRegConstZero(dst, env.bpfCapable);
          insnFlags = 0;
        } else {
          markRegUnknown(dst, env.bpfCapable);
          insnFlags = 0;
        }
      }
    } else if (dstRegno >= 0) {
      if (env.bpfCapable) assignScalarIdBeforeMov(env, reg);
      assignReg(state.regs[dstRegno]!, reg);
    } else if (isPointerValue(env, reg)) {
      reject(env, "EACCES", `leaking pointer from stack off ${off}\n`);
    }
  } else {
    for (let i = 0; i < size; i++) {
      const t = at(i);
      if (t === STACK_MISC || t === STACK_ZERO) continue;
      if (t === STACK_INVALID && env.allowUninitStack) continue;
      readFail(env, t, off, i, size);
    }
    if (dstRegno >= 0) markRegStackRead(env, regState, off, off + size, dstRegno);
    insnFlags = 0;
  }
  if (insnFlags) pushJmpHistory(env, insnFlags, spi, regState.frameno);
}

/** What a helper argument check passes down (kernel: the raw_mode part of bpf_call_arg_meta). */
export interface RawModeMeta {
  rawMode: boolean;
  accessSize: number;
  regno: number;
}

/**
 * kernel: check_stack_range_initialized — every byte of the access must be
 * initialized (or, in raw mode, is about to be written by a helper).
 * A negative accessSize means "poisoned slots are acceptable" (global
 * subprog / kfunc arguments), as in the kernel.
 */
export function checkStackRangeInitialized(env: VerifierEnv, reg: RegState, argName: string, regno: number, off: number, accessSizeIn: number,
  zeroSizeAllowed: boolean, isWrite: boolean, meta: RawModeMeta | null): void {
  const state = stackFrameOf(env, reg);
  const clobber = isWrite;
  const allowPoison = accessSizeIn < 0 || clobber;
  const accessSize = Math.abs(accessSizeIn);
  if (accessSize === 0 && !zeroSizeAllowed) reject(env, "EACCES", "invalid zero-sized read\n");
  checkStackAccessWithinBounds(env, reg, argName, off, accessSize, !isWrite);
  let minOff: number, maxOff: number;
  let m = meta;
  if (tnumIsConst(reg.varOff)) {
    minOff = maxOff = Number(BigInt.asIntN(64, reg.varOff.value)) + off;
  } else {
    if (m && m.rawMode) m = null;
    minOff = Number(regSmin(reg)) + off;
    maxOff = Number(regSmax(reg)) + off;
  }
  if (m && m.rawMode) {
    for (let i = minOff; i < maxOff + accessSize; i++) {
      const so = -i - 1;
      if (state.allocatedStack <= so) continue;
      const spi = (so / BPF_REG_SIZE) | 0;
      if (state.stack[spi]!.slotType[so % BPF_REG_SIZE] === STACK_DYNPTR) {
        reject(env, "EACCES", `potential write to dynptr at off=${i} disallowed\n`);
      }
    }
    m.accessSize = accessSize;
    m.regno = regno;
    return;
  }
  for (let i = minOff; i < maxOff + accessSize; i++) {
    const slot = -i - 1;
    const spi = (slot / BPF_REG_SIZE) | 0;
    if (state.allocatedStack <= slot) reject(env, "EFAULT", "allocated_stack too small\n");
    const stk = state.stack[spi]!;
    const idx = slot % BPF_REG_SIZE;
    const t = stk.slotType[idx];
    if (t === STACK_MISC) continue;
    if (t === STACK_ZERO || (t === STACK_INVALID && env.allowUninitStack)) {
      if (clobber) stk.slotType[idx] = STACK_MISC;
      continue;
    }
    if (isSpilledReg(stk) && (stk.spilledPtr.type === "SCALAR_VALUE" || env.allowPtrLeaks)) {
      if (clobber) {
        markRegUnknown(stk.spilledPtr, env.bpfCapable);
        for (let j = 0; j < BPF_REG_SIZE; j++) scrubSpilledSlot(stk, j);
      }
      continue;
    }
    if (t === STACK_POISON) {
      if (allowPoison) continue;
      reject(env, "EACCES", `reading from stack ${argName} off ${minOff}+${i - minOff} size ${accessSize}, slot poisoned by dead code elimination\n`);
    } else if (tnumIsConst(reg.varOff)) {
      reject(env, "EACCES", `invalid read from stack ${argName} off ${minOff}+${i - minOff} size ${accessSize}\n`);
    }
    reject(env, "EACCES", `invalid read from stack ${argName} var_off ${tnumStr(reg.varOff)}+${i - minOff} size ${accessSize}\n`);
  }
}

/** kernel: check_stack_read */
export function checkStackRead(env: VerifierEnv, reg: RegState, argName: string, off: number, size: number, dstRegno: number): void {
  const state = stackFrameOf(env, reg);
  const varOff = !tnumIsConst(reg.varOff);
  if (dstRegno < 0 && varOff) {
    reject(env, "EACCES", `variable offset stack pointer cannot be passed into helper function; var_off=${tnumStr(reg.varOff)} off=${off} size=${size}\n`);
  }
  if (!varOff) {
    checkStackReadFixedOff(env, state, off + Number(BigInt.asIntN(64, reg.varOff.value)), size, dstRegno);
  } else {
    checkStackRangeInitialized(env, reg, argName, -1, off, size, false, false, null);
    const minOff = Number(regSmin(reg)) + off;
    const maxOff = Number(regSmax(reg)) + off;
    markRegStackRead(env, state, minOff, maxOff + size, dstRegno);
  }
}

export { regUmax };
