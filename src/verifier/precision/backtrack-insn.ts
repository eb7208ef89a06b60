// One step of precision backtracking: given what must be precise after insn
// `idx`, what must be precise before it.
// kernel: backtrack_insn, get_prev_insn_idx, get_jmp_hist_entry,
// bpf_push_jmp_history (backtrack.c)
import type { VerifierEnv } from "../env.js";
import type { JmpHistoryEntry, VerifierState } from "../state/types.js";
import { MAX_CALL_FRAMES } from "../state/types.js";
import { BPF_LOG_LEVEL2 } from "../log/vlog.js";
import { verifierBug } from "../bug.js";
import { reject } from "../reject.js";
import {
  type BacktrackState, BPF_REGMASK_ARGS, INSN_F_DST_REG_STACK, INSN_F_SRC_REG_STACK, INSN_F_STACK_ACCESS, INSN_F_STACK_ARG_ACCESS,
  btClearFrameSlot, btClearFrameStackArgSlot, btClearReg, btIsFrameSlotSet, btIsFrameStackArgSlotSet, btIsRegSet, btRegMask,
  btSetFrameReg, btSetFrameSlot, btSetFrameStackArgSlot, btSetReg, btStackMask, btSyncLinkedRegs, fmtRegMask, fmtStackMask,
} from "./bt.js";

const BPF_LD = 0, BPF_LDX = 1, BPF_ST = 2, BPF_STX = 3, BPF_ALU = 4, BPF_JMP = 5, BPF_JMP32 = 6, BPF_ALU64 = 7;
const BPF_X = 0x08;
const BPF_NEG = 0x80, BPF_MOV = 0xb0, BPF_END = 0xd0, BPF_CALL = 0x80, BPF_EXIT = 0x90;
const BPF_IMM = 0x00, BPF_ABS = 0x20, BPF_IND = 0x40, BPF_ATOMIC = 0xc0;
const BPF_FETCH = 0x01, BPF_CMPXCHG = 0xf1, BPF_LOAD_ACQ = 0x100;
const BPF_PSEUDO_CALL = 1, BPF_PSEUDO_KFUNC_CALL = 2;
const BPF_FUNC_tail_call = 12;
const BPF_REG_FP = 10;

/** Backtracking gave up on this path: the caller falls back to forcing all scalars precise (kernel: -ENOTSUPP). */
export const ENOTSUPP = "ENOTSUPP";

const hex = (v: number | bigint): string => v.toString(16);

/** kernel: bpf_push_jmp_history — a second push for the same insn merges into its entry. */
export function pushJmpHistoryEntry(env: VerifierEnv, st: VerifierState, flags: number, spi: number, frame: number, linkedRegs: bigint): void {
  const p = env.prec;
  const cur = p.curHistEnt;
  if (cur) {
    // Atomics push READ and WRITE sides; they must agree on the slot. The kernel only reports these.
    if ((cur.flags & flags) && (cur.flags & flags) !== flags) {
      reportBug(env, `insn history: insn_idx ${env.insnIdx} cur flags ${hex(cur.flags)} new flags ${hex(flags)}`,
        "(env->cur_hist_ent->flags & insn_flags) && (env->cur_hist_ent->flags & insn_flags) != insn_flags");
    }
    if (cur.linkedRegs !== 0n) {
      reportBug(env, `insn history: insn_idx ${env.insnIdx} linked_regs: 0x${hex(cur.linkedRegs)}`, "env->cur_hist_ent->linked_regs != 0");
    }
    // Entries are shared with queued branch copies: replace, never mutate.
    const merged: JmpHistoryEntry = { ...cur, flags: cur.flags | flags, spi, frame, linkedRegs };
    const i = st.jmpHistory.lastIndexOf(cur);
    if (i >= 0) st.jmpHistory[i] = merged;
    p.curHistEnt = merged;
    return;
  }
  const e: JmpHistoryEntry = { idx: env.insnIdx, prevIdx: env.prevInsnIdx, frame, spi, flags, linkedRegs };
  st.jmpHistory.push(e);
  p.curHistEnt = e;
}

/**
 * kernel: get_prev_insn_idx — the insn executed before `i` in this state,
 * following the history backwards; -1 when the state's first insn is reached.
 * `hist` is the count of history entries not yet consumed.
 */
export function getPrevInsnIdx(st: VerifierState, i: number, hist: { cnt: number }): number | null {
  const h = st.jmpHistory;
  if (i === st.firstInsnIdx) {
    if (hist.cnt === 0) return null;
    if (hist.cnt === 1 && h[0]!.idx === i) return null;
  }
  if (hist.cnt && h[hist.cnt - 1]!.idx === i) {
    const prev = h[hist.cnt - 1]!.prevIdx;
    hist.cnt--;
    return prev;
  }
  return i - 1;
}

/** kernel: get_jmp_hist_entry */
export function getJmpHistEntry(st: VerifierState, histEnd: number, idx: number): JmpHistoryEntry | null {
  if (histEnd > 0 && st.jmpHistory[histEnd - 1]!.idx === idx) return st.jmpHistory[histEnd - 1]!;
  return null;
}

function subprogEnter(env: VerifierEnv, bt: BacktrackState): void {
  if (bt.frame === MAX_CALL_FRAMES - 1) verifierBug(env, `subprog enter from frame ${bt.frame}`);
  bt.frame++;
}

function subprogExit(env: VerifierEnv, bt: BacktrackState): void {
  if (bt.frame === 0) verifierBug(env, "subprog exit from frame 0");
  bt.frame--;
}

/** kernel: verifier_bug_if where the caller carries on — the log line only. */
function reportBug(env: VerifierEnv, msg: string, cond: string): void {
  env.verbose(`verifier bug: ${msg} (${cond})\n`);
}

/** kernel: bpf_pseudo_call */
function isPseudoCall(code: number, src: number): boolean {
  return code === (BPF_JMP | BPF_CALL) && src === BPF_PSEUDO_CALL;
}

/**
 * kernel: backtrack_insn — returns ENOTSUPP when the insn is beyond what
 * backtracking understands; rejects (verifier bug) on inconsistencies.
 */
export function backtrackInsn(env: VerifierEnv, idx: number, subseqIdx: number, hist: JmpHistoryEntry | null, bt: BacktrackState): typeof ENOTSUPP | null {
  const insn = env.insns[idx]!;
  const cls = insn.code & 0x07;
  const opcode = insn.code & 0xf0;
  const mode = insn.code & 0xe0;
  const dreg = insn.dst, sreg = insn.src;

  if (insn.code === 0) return null;
  if (env.log.level & BPF_LOG_LEVEL2) {
    env.verbose(`mark_precise: frame${bt.frame}: regs=${fmtRegMask(btRegMask(bt))} `);
    env.verbose(`stack=${fmtStackMask(btStackMask(bt))} before `);
    env.verbose(`${idx}: `);
    env.verbose(env.insnText(idx));
  }

  // Registers that gained range together at this insn share precision.
  btSyncLinkedRegs(bt, hist);

  const isAtomicLoad = cls === BPF_STX && mode === BPF_ATOMIC && insn.imm === BPF_LOAD_ACQ;
  const isAtomicFetch = cls === BPF_STX && mode === BPF_ATOMIC && (insn.imm & BPF_FETCH) !== 0;

  if (cls === BPF_ALU || cls === BPF_ALU64) {
    if (!btIsRegSet(bt, dreg)) return null;
    if (opcode === BPF_END || opcode === BPF_NEG) return null;
    if (opcode === BPF_MOV) {
      btClearReg(bt, dreg);
      // dreg = K: the constant is as precise as it gets.
      if ((insn.code & BPF_X) && sreg !== BPF_REG_FP) btSetReg(bt, sreg);
    } else if ((insn.code & BPF_X) && sreg !== BPF_REG_FP) {
      btSetReg(bt, sreg);
    }
  } else if (cls === BPF_LDX || isAtomicLoad || isAtomicFetch) {
    // An atomic fetch writes the old value into sreg (or r0 for cmpxchg).
    const loadReg = isAtomicFetch ? (insn.imm === BPF_CMPXCHG ? 0 : sreg) : dreg;
    if (!btIsRegSet(bt, loadReg)) return null;
    btClearReg(bt, loadReg);
    if (hist && (hist.flags & INSN_F_STACK_ARG_ACCESS)) {
      // The callee reads r11+off; the value lives in the caller's outgoing slots.
      btSetFrameStackArgSlot(bt, bt.frame - 1, hist.spi);
      return null;
    }
    // Only stack spills keep a scalar's precision; other memory loads are what they are.
    if (!hist || !(hist.flags & INSN_F_STACK_ACCESS)) return null;
    btSetFrameSlot(bt, hist.frame, hist.spi);
  } else if (cls === BPF_STX || cls === BPF_ST) {
    // A scalar dst_reg addressing memory is pointer subtraction backtracking cannot follow.
    if (btIsRegSet(bt, dreg)) return ENOTSUPP;
    if (hist && (hist.flags & INSN_F_STACK_ARG_ACCESS)) {
      if (!btIsFrameStackArgSlotSet(bt, bt.frame, hist.spi)) return null;
      btClearFrameStackArgSlot(bt, bt.frame, hist.spi);
      if (cls === BPF_STX) btSetReg(bt, sreg);
      return null;
    }
    if (!hist || !(hist.flags & INSN_F_STACK_ACCESS)) return null;
    if (!btIsFrameSlotSet(bt, hist.frame, hist.spi)) return null;
    btClearFrameSlot(bt, hist.frame, hist.spi);
    if (cls === BPF_STX) btSetReg(bt, sreg);
  } else if (cls === BPF_JMP || cls === BPF_JMP32) {
    if (isPseudoCall(insn.code, sreg)) {
      const subprog = env.findSubprog(idx + insn.imm + 1);
      if (subprog < 0) reject(env, "EFAULT", "");
      if (env.subprogs[subprog]!.isGlobal) {
        // A global call returns straight to idx+1 and clobbers r1-r5.
        if (idx + 1 !== subseqIdx) reportBug(env, "extra insn from subprog", "idx + 1 != subseq_idx");
        if (btRegMask(bt) & BPF_REGMASK_ARGS) verifierBug(env, `global subprog unexpected regs ${hex(btRegMask(bt))}`);
        btClearReg(bt, 0);
        return null;
      }
      // Leaving the static callee backwards: only its r1-r5 may still be wanted.
      if (btRegMask(bt) & ~BPF_REGMASK_ARGS) verifierBug(env, `static subprog unexpected regs ${hex(btRegMask(bt))}`);
      if (btStackMask(bt) !== 0n) verifierBug(env, `static subprog leftover stack slots ${hex(btStackMask(bt))}`);
      for (let i = 1; i <= 5; i++) {
        if (btIsRegSet(bt, i)) {
          btClearReg(bt, i);
          btSetFrameReg(bt, bt.frame - 1, i);
        }
      }
      if (bt.stackArgMasks[bt.frame]) verifierBug(env, `static subprog leftover stack arg slots ${hex(bt.stackArgMasks[bt.frame]!)}`);
      subprogExit(env, bt);
      return null;
    }
    if (env.insnAux[idx]!.callsCallback && idx !== subseqIdx - 1) {
      // Back out of a callback into its helper/kfunc: r1-r5 were not passed directly.
      if (btRegMask(bt) & ~BPF_REGMASK_ARGS) verifierBug(env, `callback unexpected regs ${hex(btRegMask(bt))}`);
      if (btStackMask(bt) !== 0n) verifierBug(env, `callback leftover stack slots ${hex(btStackMask(bt))}`);
      for (let i = 1; i <= 5; i++) btClearReg(bt, i);
      subprogExit(env, bt);
      return null;
    }
    if (opcode === BPF_CALL) {
      if (sreg === BPF_PSEUDO_KFUNC_CALL && insn.imm === 0) return ENOTSUPP;
      btClearReg(bt, 0);
      if (btRegMask(bt) & BPF_REGMASK_ARGS) verifierBug(env, `backtracking call unexpected regs ${hex(btRegMask(bt))}`);
      if (sreg === 0 && insn.imm === BPF_FUNC_tail_call && subseqIdx - idx !== 1) subprogEnter(env, bt);
    } else if (opcode === BPF_EXIT) {
      // After a subprog exit the next insn follows a pseudo call; after a callback it does not.
      const fromSubprogCall = subseqIdx - 1 >= 0 && isPseudoCall(env.insns[subseqIdx - 1]!.code, env.insns[subseqIdx - 1]!.src);
      const r0Precise = fromSubprogCall && btIsRegSet(bt, 0);
      if (fromSubprogCall && (btRegMask(bt) & BPF_REGMASK_ARGS)) {
        verifierBug(env, `backtracking exit unexpected regs ${hex(btRegMask(bt))}`);
      }
      btClearReg(bt, 0);
      subprogEnter(env, bt);
      if (r0Precise) btSetReg(bt, 0);
      // r6-r9 and stack slots stay set in the caller's masks until we back out of the callee.
      return null;
    } else if (insn.code & BPF_X) {
      if (!btIsRegSet(bt, dreg) && !btIsRegSet(bt, sreg)) return null;
      // Both sides of a comparison determine the outcome; stack pointers need nothing.
      if (!hist || !(hist.flags & INSN_F_SRC_REG_STACK)) btSetReg(bt, sreg);
      if (!hist || !(hist.flags & INSN_F_DST_REG_STACK)) btSetReg(bt, dreg);
    }
  } else if (cls === BPF_LD) {
    if (mode === BPF_IMM) {
      btClearReg(bt, dreg);
      return null;
    }
    // LD_ABS/IND have an implicit exit branch: following it backwards enters the frame.
    if (mode === BPF_IND || mode === BPF_ABS) {
      if (btIsRegSet(bt, dreg)) return ENOTSUPP;
      if (subseqIdx !== idx + 1) subprogEnter(env, bt);
      return null;
    }
  }
  btSyncLinkedRegs(bt, hist);
  return null;
}
