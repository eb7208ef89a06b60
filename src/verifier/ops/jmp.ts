// Conditional jumps: branch prediction, refinement of both sides, linked
// scalars, null checks of maybe-null pointers, may_goto.
// kernel: verifier.c (check_cond_jmp_op, is_branch_taken, reg_not_null,
// collect_linked_regs, sync_linked_regs, mark_ptr_or_null_regs,
// mark_ptr_not_null_reg)
import type { VerifierEnv } from "../env.js";
import type { RawInsn } from "../../isa/raw.js";
import type { RegState, VerifierState } from "../state/types.js";
import { BPF_ADD_CONST, BPF_ADD_CONST32, BPF_REG_FP, BPF_REG_SIZE, STACK_SPILL } from "../state/types.js";
import { curFrame } from "../state/func.js";
import { assignReg, copyReg, markRegKnown, markRegKnownZero, newReg } from "../state/reg.js";
import { PTR_MAYBE_NULL, PTR_UNTRUSTED, MEM_RCU } from "../state/reg-type.js";
import { clearScalarId, isPointerValue, isRegConst, registerIsNull, regConstValue } from "../state/reg-query.js";
import { regSmax, regSmin } from "../state/scalar-bridge.js";
import { printInsnState } from "../log/print-state.js";
import { reject } from "../reject.js";
import { pushStack } from "../explore/branches.js";
import { pushJmpHistory } from "../explore/do-check.js";
import { checkRegArg } from "./reg-arg.js";
import * as S from "./scalar-ops.js";
import { BPF_JA, BPF_JCOND, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JMP32, BPF_JNE, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_K, BPF_X, bpfClass, bpfOp, bpfSrc } from "../cfg/opcodes.js";
import { BPF_LOG_LEVEL } from "../log/vlog.js";
import { forEachStackArgReg } from "../stackargs/index.js";

const BPF_MAX_VAR_OFF = 1n << 29n;
const INSN_F_DST_REG_STACK = 2;
const INSN_F_SRC_REG_STACK = 4;
const LINKED_REGS_MAX = 5;

function isPktAny(r: RegState): boolean {
  return r.type === "PTR_TO_PACKET" || r.type === "PTR_TO_PACKET_META" || r.type === "PTR_TO_PACKET_END";
}

/** kernel: reg_not_null */
export function regNotNull(env: VerifierEnv, reg: RegState): boolean {
  if (reg.flags & PTR_MAYBE_NULL) return false;
  if (regSmin(reg) <= -BPF_MAX_VAR_OFF || regSmax(reg) >= BPF_MAX_VAR_OFF) return false;
  switch (reg.type) {
    case "PTR_TO_SOCKET": case "PTR_TO_TCP_SOCK": case "PTR_TO_XDP_SOCK": case "PTR_TO_BUF": case "PTR_TO_MAP_VALUE":
    case "PTR_TO_MAP_KEY": case "PTR_TO_SOCK_COMMON": case "CONST_PTR_TO_MAP":
      return true;
    case "PTR_TO_BTF_ID":
      return env.isTrustedReg(reg);
    case "PTR_TO_MEM":
      return !(reg.flags & PTR_UNTRUSTED);
    default:
      return false;
  }
}

/** kernel: flip_opcode — the comparison with operands swapped. */
function flipOpcode(op: number): number {
  switch (op) {
    case BPF_JGT: return BPF_JLT;
    case BPF_JLT: return BPF_JGT;
    case BPF_JGE: return BPF_JLE;
    case BPF_JLE: return BPF_JGE;
    case BPF_JSGT: return BPF_JSLT;
    case BPF_JSLT: return BPF_JSGT;
    case BPF_JSGE: return BPF_JSLE;
    case BPF_JSLE: return BPF_JSGE;
    default: return op;
  }
}

/** The four refined copies the kernel keeps in env->{true,false}_reg{1,2}. */
export interface BranchRegs {
  true1: RegState;
  true2: RegState;
  false1: RegState;
  false2: RegState;
}

/** kernel: is_branch_taken — 1 taken, 0 not taken, -1 unknown; refines `br` for scalars. */
function isBranchTaken(env: VerifierEnv, reg1: RegState, reg2: RegState, op: number, is32: boolean, br: BranchRegs): number {
  if (isPktAny(reg1) && isPktAny(reg2) && !is32) return env.isPktPtrBranchTaken(reg1, reg2, op);
  if (reg1.type !== "SCALAR_VALUE" || reg2.type !== "SCALAR_VALUE") {
    if (is32) return -1;
    let r1 = reg1, r2 = reg2, o = op;
    if (!isRegConst(r2, is32)) {
      o = flipOpcode(o);
      [r1, r2] = [r2, r1];
    }
    if (!isRegConst(r2, is32)) return -1;
    if (!regNotNull(env, r1)) return -1;
    if (regConstValue(r2, is32) !== 0n) return -1;
    return o === BPF_JEQ ? 0 : o === BPF_JNE ? 1 : -1;
  }
  return S.isScalarBranchTaken(reg1, reg2, op, is32, br);
}

interface LinkedReg {
  frameno: number;
  isReg: boolean;
  regno: number; // register number or stack slot index
}

/** kernel: collect_linked_regs */
function collectLinkedRegs(env: VerifierEnv, st: VerifierState, idIn: number, out: LinkedReg[]): void {
  const id = (idIn & ~BPF_ADD_CONST) >>> 0;
  const add = (reg: RegState, frameno: number, regno: number, isReg: boolean) => {
    if (reg.type !== "SCALAR_VALUE" || ((reg.id & ~BPF_ADD_CONST) >>> 0) !== id) return;
    if (out.length < LINKED_REGS_MAX) out.push({ frameno, isReg, regno });
    else clearScalarId(reg);
  };
  for (let i = st.curframe; i >= 0; i--) {
    const insnIdx = i === st.curframe ? st.insnIdx : st.frame[i + 1]!.callsite;
    const live = env.insnAux[insnIdx]!.liveRegsBefore;
    const f = st.frame[i]!;
    for (let j = 0; j < BPF_REG_FP; j++) {
      if (!(live & (1 << j))) continue;
      add(f.regs[j]!, i, j, true);
    }
    for (let j = 0; j < f.allocatedStack / BPF_REG_SIZE; j++) {
      const s = f.stack[j]!;
      if (s.slotType[BPF_REG_SIZE - 1] !== STACK_SPILL) continue;
      add(s.spilledPtr, i, j, false);
    }
  }
}

/** kernel: sync_linked_regs */
function syncLinkedRegs(env: VerifierEnv, st: VerifierState, known: RegState, linked: LinkedReg[]): void {
  for (const e of linked) {
    const f = st.frame[e.frameno]!;
    const reg = e.isReg ? f.regs[e.regno]! : f.stack[e.regno]!.spilledPtr;
    if (reg.type !== "SCALAR_VALUE" || reg === known) continue;
    if (((reg.id & ~BPF_ADD_CONST) >>> 0) !== ((known.id & ~BPF_ADD_CONST) >>> 0)) continue;
    if (((reg.id ^ known.id) & BPF_ADD_CONST) >>> 0 === BPF_ADD_CONST >>> 0) continue;
    const subregDef = reg.subregDef;
    if ((!(reg.id & BPF_ADD_CONST) && !(known.id & BPF_ADD_CONST)) || reg.delta === known.delta) {
      assignReg(reg, known);
      reg.subregDef = subregDef;
    } else {
      const savedOff = reg.delta, savedId = reg.id;
      const fake = newReg();
      fake.type = "SCALAR_VALUE";
      markRegKnown(fake, BigInt(savedOff) - BigInt(known.delta));
      assignReg(reg, known);
      reg.delta = savedOff;
      reg.id = savedId;
      reg.subregDef = subregDef;
      S.addConstInPlace(reg, fake);
      if ((reg.id | known.id) & BPF_ADD_CONST32) S.zext32To64(reg);
      S.regBoundsSync(reg);
    }
    if (e.isReg) env.markRegScratched(e.regno);
    else env.markStackSlotScratched(e.regno);
  }
}

/** kernel: mark_ptr_not_null_reg */
export function markPtrNotNullReg(env: VerifierEnv, reg: RegState): void {
  if (reg.type === "PTR_TO_MAP_VALUE") {
    const map = reg.map!;
    if (map.inner) {
      reg.type = "CONST_PTR_TO_MAP";
      reg.flags = 0;
      reg.map = map.inner;
      if (env.mapHasAsyncFields(map.inner)) reg.mapUid = reg.id;
    } else if (map.type === "BPF_MAP_TYPE_XSKMAP") {
      reg.type = "PTR_TO_XDP_SOCK"; reg.flags = 0;
    } else if (map.type === "BPF_MAP_TYPE_SOCKMAP" || map.type === "BPF_MAP_TYPE_SOCKHASH") {
      reg.type = "PTR_TO_SOCKET"; reg.flags = 0;
    } else {
      reg.flags = 0;
    }
    return;
  }
  reg.flags &= ~PTR_MAYBE_NULL;
}

/** kernel: mark_ptr_or_null_regs */
function markPtrOrNullRegs(env: VerifierEnv, st: VerifierState, regno: number, isNull: boolean): void {
  const id = st.frame[st.curframe]!.regs[regno]!.id;
  if (isNull && env.findReferenceState(st, id)) env.releaseReferenceNomark(st, id);
  const visit = (reg: RegState) => {
    if (!(reg.flags & PTR_MAYBE_NULL) || reg.id !== id) return;
    if (!reg.id && !(reg.flags & MEM_RCU)) return;
    if (isNull) {
      markRegKnownZero(reg);
      reg.type = "SCALAR_VALUE";
      reg.flags = 0;
      return;
    }
    markPtrNotNullReg(env, reg);
  };
  for (const f of st.frame) {
    for (const r of f.regs) visit(r);
    for (const s of f.stack) if (s.slotType[BPF_REG_SIZE - 1] === STACK_SPILL) visit(s.spilledPtr);
    forEachStackArgReg(f, visit);
  }
}

export const INSN_IDX_UPDATED = 2;

/** kernel: check_cond_jmp_op — returns true when it moved insnIdx itself. */
export function checkCondJmpOp(env: VerifierEnv, insn: RawInsn): boolean {
  const thisBranch = env.curState;
  const regs = curFrame(thisBranch).regs;
  const op = bpfOp(insn.code);
  if (op === BPF_JA || op > BPF_JCOND) reject(env, "EINVAL", `invalid BPF_JMP/JMP32 opcode ${op.toString(16)}\n`);

  if (op === BPF_JCOND) {
    const idx = env.insnIdx;
    const prev = env.findPrevEntry(thisBranch.parent, idx);
    const queued = pushStack(env, idx + 1, idx, false);
    queued.mayGotoDepth++;
    if (prev) env.widenImpreciseScalars(prev, queued);
    env.insnIdx += insn.off;
    return false; // the caller adds 1, as for every other return 0
  }

  checkRegArg(env, insn.dst, "SRC_OP");
  const dst = regs[insn.dst]!;
  let src: RegState;
  let flags = 0;
  if (bpfSrc(insn.code) === BPF_X) {
    checkRegArg(env, insn.src, "SRC_OP");
    src = regs[insn.src]!;
    if (!(isPktAny(dst) && isPktAny(src)) && isPointerValue(env, src)) {
      reject(env, "EACCES", `R${insn.src} pointer comparison prohibited\n`);
    }
    if (src.type === "PTR_TO_STACK") flags |= INSN_F_SRC_REG_STACK;
    if (dst.type === "PTR_TO_STACK") flags |= INSN_F_DST_REG_STACK;
  } else {
    src = newReg();
    src.type = "SCALAR_VALUE";
    markRegKnown(src, BigInt(insn.imm));
    if (dst.type === "PTR_TO_STACK") flags |= INSN_F_DST_REG_STACK;
  }
  if (flags) pushJmpHistory(env, flags);

  const linked: LinkedReg[] = [];
  if (bpfSrc(insn.code) === BPF_X && src.type === "SCALAR_VALUE" && src.id) collectLinkedRegs(env, thisBranch, src.id, linked);
  if (dst.type === "SCALAR_VALUE" && dst.id) collectLinkedRegs(env, thisBranch, dst.id, linked);

  const is32 = bpfClass(insn.code) === BPF_JMP32;
  const br: BranchRegs = { false1: copyReg(dst), false2: copyReg(src), true1: copyReg(dst), true2: copyReg(src) };
  const pred = isBranchTaken(env, dst, src, op, is32, br);
  if (pred >= 0) {
    if (dst.type === "SCALAR_VALUE") env.markChainPrecision(insn.dst);
    if (bpfSrc(insn.code) === BPF_X && src.type === "SCALAR_VALUE") env.markChainPrecision(insn.src);
  }
  if (pred === 1) {
    if (env.log.level & BPF_LOG_LEVEL) printInsnState(env, thisBranch, thisBranch.curframe, env.btfTypeNamer);
    env.insnIdx += insn.off;
    return false;
  } else if (pred === 0) {
    if (env.log.level & BPF_LOG_LEVEL) printInsnState(env, thisBranch, thisBranch.curframe, env.btfTypeNamer);
    return false;
  }

  if (linked.length > 1) pushJmpHistory(env, 0, 0, 0, S.packLinkedRegs(linked));
  const other = pushStack(env, env.insnIdx + insn.off + 1, env.insnIdx, false);
  const otherRegs = other.frame[other.curframe]!.regs;
  for (const [r, name] of [[br.true1, "true_reg1"], [br.true2, "true_reg2"], [br.false1, "false_reg1"], [br.false2, "false_reg2"]] as const) {
    S.regBoundsSanityCheck(env, r, name);
  }
  assignReg(dst, br.false1);
  assignReg(src, br.false2);
  assignReg(otherRegs[insn.dst]!, br.true1);
  if (bpfSrc(insn.code) === BPF_X) assignReg(otherRegs[insn.src]!, br.true2);

  if (bpfSrc(insn.code) === BPF_X && src.type === "SCALAR_VALUE" && src.id && src.id === otherRegs[insn.src]!.id) {
    syncLinkedRegs(env, thisBranch, src, linked);
    syncLinkedRegs(env, other, otherRegs[insn.src]!, linked);
  }
  if (dst.type === "SCALAR_VALUE" && dst.id && dst.id === otherRegs[insn.dst]!.id) {
    syncLinkedRegs(env, thisBranch, dst, linked);
    syncLinkedRegs(env, other, otherRegs[insn.dst]!, linked);
  }

  if (!is32 && bpfSrc(insn.code) === BPF_X && src.type !== "SCALAR_VALUE" && dst.type !== "SCALAR_VALUE" &&
      src.type !== "PTR_TO_BTF_ID" && dst.type !== "PTR_TO_BTF_ID") {
    const eqRegs = op === BPF_JEQ ? otherRegs : op === BPF_JNE ? regs : null;
    if (eqRegs) {
      if (regNotNull(env, dst) && (src.flags & PTR_MAYBE_NULL)) markPtrNotNullReg(env, eqRegs[insn.src]!);
      if (regNotNull(env, src) && (dst.flags & PTR_MAYBE_NULL)) markPtrNotNullReg(env, eqRegs[insn.dst]!);
    }
  }

  if (!is32 && (op === BPF_JEQ || op === BPF_JNE) && (dst.flags & PTR_MAYBE_NULL) && dst.type !== "SCALAR_VALUE" &&
      ((bpfSrc(insn.code) === BPF_K && insn.imm === 0) || (bpfSrc(insn.code) === BPF_X && registerIsNull(src)))) {
    if (bpfSrc(insn.code) === BPF_X) env.markChainPrecision(insn.src);
    markPtrOrNullRegs(env, thisBranch, insn.dst, op === BPF_JNE);
    markPtrOrNullRegs(env, other, insn.dst, op === BPF_JEQ);
  } else if (!env.tryMatchPktPointers(insn, dst, regs[insn.src]!, thisBranch, other) && isPointerValue(env, dst)) {
    reject(env, "EACCES", `R${insn.dst} pointer comparison prohibited\n`);
  }
  if (env.log.level & BPF_LOG_LEVEL) printInsnState(env, thisBranch, thisBranch.curframe, env.btfTypeNamer);
  return false;
}

export { BPF_K, BPF_X, BPF_JMP32 };
