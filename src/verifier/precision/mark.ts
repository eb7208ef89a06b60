// Precision marking over the chain of parent states: precise marks live only
// in checkpointed (parent) states; the current state is never marked, and a
// new checkpoint forgets inherited marks so that children re-request them.
// kernel: bpf_mark_chain_precision, bpf_mark_all_scalars_precise
// (backtrack.c), mark_chain_precision[_batch] (verifier.c),
// propagate_precision, mark_all_scalars_imprecise (states.c)
import type { VerifierEnv } from "../env.js";
import type { RegState, VerifierState } from "../state/types.js";
import { BPF_REG_FP, BPF_REG_SIZE, STACK_SPILL } from "../state/types.js";
import { BPF_LOG_LEVEL2 } from "../log/vlog.js";
import { printVerifierState } from "../log/print-state.js";
import { verifierBug } from "../bug.js";
import {
  BPF_REGMASK_ARGS, btClearFrameReg, btClearFrameSlot, btClearFrameStackArgSlot, btClearReg, btEmpty, btIsFrameStackArgSlotSet,
  btRegMask, btReset, btSetFrameReg, btSetFrameSlot, btSetReg, btStackMask, fmtRegMask, fmtStackMask,
} from "./bt.js";
import { backtrackInsn, ENOTSUPP, getJmpHistEntry, getPrevInsnIdx } from "./backtrack-insn.js";

const BPF_MAIN_FUNC = -1;

/** kernel: bpf_is_spilled_reg — slot_type[BPF_REG_SIZE-1] == STACK_SPILL */
function spilledReg(st: VerifierState, fr: number, spi: number): RegState | null {
  const s = st.frame[fr]!.stack[spi]!;
  return s.slotType[BPF_REG_SIZE - 1] === STACK_SPILL ? s.spilledPtr : null;
}

/**
 * kernel: bpf_mark_all_scalars_precise — the fallback when backtracking
 * cannot follow the data flow: every scalar in every parent is precise.
 * The current state is skipped: its marks never matter.
 */
export function markAllScalarsPrecise(env: VerifierEnv, start: VerifierState): void {
  const l2 = (env.log.level & BPF_LOG_LEVEL2) !== 0;
  if (l2) env.verbose(`mark_precise: frame${start.curframe}: falling back to forcing all scalars precise\n`);
  for (let st = start.parent; st; st = st.parent) {
    for (let i = 0; i <= st.curframe; i++) {
      const f = st.frame[i]!;
      for (let j = 0; j < BPF_REG_FP; j++) {
        const r = f.regs[j]!;
        if (r.type !== "SCALAR_VALUE" || r.precise) continue;
        r.precise = true;
        if (l2) env.verbose(`force_precise: frame${i}: forcing r${j} to be precise\n`);
      }
      for (let j = 0; j < f.allocatedStack / BPF_REG_SIZE; j++) {
        const r = spilledReg(st, i, j);
        if (!r || r.type !== "SCALAR_VALUE" || r.precise) continue;
        r.precise = true;
        if (l2) env.verbose(`force_precise: frame${i}: forcing fp${-(j + 1) * 8} to be precise\n`);
      }
    }
  }
}

/** kernel: mark_all_scalars_imprecise — a new checkpoint starts without inherited marks. */
export function markAllScalarsImprecise(st: VerifierState): void {
  for (let i = 0; i <= st.curframe; i++) {
    const f = st.frame[i]!;
    for (let j = 0; j < BPF_REG_FP; j++) {
      const r = f.regs[j]!;
      if (r.type === "SCALAR_VALUE") r.precise = false;
    }
    for (let j = 0; j < f.allocatedStack / BPF_REG_SIZE; j++) {
      const r = spilledReg(st, i, j);
      if (r && r.type === "SCALAR_VALUE") r.precise = false;
    }
  }
}

/** Set when some parent gained a precise mark (kernel: bool *changed). */
export interface Changed {
  value: boolean;
}

/**
 * kernel: bpf_mark_chain_precision — backtrack from `start` through its
 * history and parents until every register/slot in env.prec.bt (plus `regno`
 * when >= 0) is explained by a precise parent value or a constant.
 */
export function markChainPrecisionFrom(env: VerifierEnv, start: VerifierState, regno: number, changed: Changed | null): void {
  if (!env.bpfCapable) return;
  const bt = env.prec.bt;
  const ch = changed ?? { value: false };
  let st: VerifierState | null = start;
  let firstIdx = st.firstInsnIdx;
  let lastIdx = start.insnIdx;
  let subseqIdx = -1;
  let skipFirst = true;
  const l2 = (env.log.level & BPF_LOG_LEVEL2) !== 0;

  bt.frame = start.curframe;
  if (regno >= 0) {
    const reg = st.frame[bt.frame]!.regs[regno]!;
    if (reg.type !== "SCALAR_VALUE") verifierBug(env, "backtracking misuse");
    btSetReg(bt, regno);
  }
  if (btEmpty(bt)) return;

  for (;;) {
    const hist = { cnt: st.jmpHistory.length };
    if (l2) env.verbose(`mark_precise: frame${bt.frame}: last_idx ${lastIdx} first_idx ${firstIdx} subseq_idx ${subseqIdx} \n`);

    if (lastIdx < 0) {
      // The entry of a global subprog verified on its own: its r1-r5 are inputs.
      const f0 = st.frame[0]!;
      if (st.curframe === 0 && f0.subprogno > 0 && f0.callsite === BPF_MAIN_FUNC && btStackMask(bt) === 0n &&
          (btRegMask(bt) & ~BPF_REGMASK_ARGS) === 0) {
        const mask = btRegMask(bt);
        for (let i = 0; i < 32; i++) {
          if (!(mask & (1 << i))) continue;
          const r = f0.regs[i]!;
          btClearReg(bt, i);
          if (r.type === "SCALAR_VALUE") {
            r.precise = true;
            ch.value = true;
          }
        }
        return;
      }
      verifierBug(env, `backtracking func entry subprog ${f0.subprogno} reg_mask ${btRegMask(bt).toString(16)} stack_mask ${btStackMask(bt).toString(16)}`);
    }

    for (let i: number | null = lastIdx; ;) {
      if (skipFirst) {
        skipFirst = false;
      } else {
        const r = backtrackInsn(env, i, subseqIdx, getJmpHistEntry(st, hist.cnt, i), bt);
        if (r === ENOTSUPP) {
          markAllScalarsPrecise(env, start);
          btReset(bt);
          return;
        }
      }
      // Every tracked value was assigned within this state: nothing for parents.
      if (btEmpty(bt)) return;
      subseqIdx = i;
      i = getPrevInsnIdx(st, i, hist);
      if (i === null) break;
      if (i < 0 || i >= env.insns.length) verifierBug(env, `backtracking idx ${i}`);
    }

    st = st.parent;
    if (!st) break;

    for (let fr = bt.frame; fr >= 0; fr--) {
      const func = st.frame[fr]!;
      const rmask = bt.regMasks[fr]!;
      for (let i = 0; rmask !== 0 && i < 32; i++) {
        if (!(rmask & (1 << i))) continue;
        const r = func.regs[i]!;
        if (r.type !== "SCALAR_VALUE" || r.precise) {
          btClearFrameReg(bt, fr, i);
        } else {
          r.precise = true;
          ch.value = true;
        }
      }
      const smask = bt.stackMasks[fr]!;
      // Most walks track no stack slot: skip the 64 BigInt bit tests then.
      for (let i = 0; smask !== 0n && i < 64; i++) {
        if (!(smask & (1n << BigInt(i)))) continue;
        const slots = func.allocatedStack / BPF_REG_SIZE;
        if (i >= slots) verifierBug(env, `stack slot ${i}, total slots ${slots} (i >= func->allocated_stack / BPF_REG_SIZE)`);
        const r = spilledReg(st, fr, i);
        if (!r || r.type !== "SCALAR_VALUE" || r.precise) {
          btClearFrameSlot(bt, fr, i);
        } else {
          r.precise = true;
          ch.value = true;
        }
      }
      for (let i = 0; i < func.outStackArgCnt; i++) {
        if (!btIsFrameStackArgSlotSet(bt, fr, i)) continue;
        const r = func.stackArgRegs[i]!;
        if (r.type !== "SCALAR_VALUE" || r.precise) {
          btClearFrameStackArgSlot(bt, fr, i);
        } else {
          r.precise = true;
          ch.value = true;
        }
      }
      if (l2) {
        env.verbose(`mark_precise: frame${fr}: parent state regs=${fmtRegMask(bt.regMasks[fr]!)} `);
        env.verbose(`stack=${fmtStackMask(bt.stackMasks[fr]!)}: `);
        printVerifierState(env, st, fr, true, env.btfTypeNamer);
      }
    }
    if (btEmpty(bt)) return;
    subseqIdx = firstIdx;
    lastIdx = st.lastInsnIdx;
    firstIdx = st.firstInsnIdx;
  }

  // Something was missed (e.g. a stack access not through r10): be conservative.
  if (!btEmpty(bt)) {
    markAllScalarsPrecise(env, start);
    btReset(bt);
  }
}

/** kernel: mark_chain_precision */
export function markChainPrecision(env: VerifierEnv, regno: number): void {
  markChainPrecisionFrom(env, env.curState, regno, null);
}

/** kernel: get_constant_map_key's bt_set_frame_slot + mark_chain_precision_batch */
export function markStackSlotPrecise(env: VerifierEnv, frameno: number, spi: number): void {
  btSetFrameSlot(env.prec.bt, frameno, spi);
  markChainPrecisionFrom(env, env.curState, -1, null);
}

/**
 * kernel: propagate_precision — the current state matched `old`: whatever
 * `old` needed precise, the current path's parents need precise too.
 */
export function propagatePrecision(env: VerifierEnv, old: VerifierState, cur: VerifierState, changed: Changed | null): void {
  const bt = env.prec.bt;
  const l2 = (env.log.level & BPF_LOG_LEVEL2) !== 0;
  for (let fr = old.curframe; fr >= 0; fr--) {
    const f = old.frame[fr]!;
    let first = true;
    for (let i = 0; i < BPF_REG_FP; i++) {
      const r = f.regs[i]!;
      if (r.type !== "SCALAR_VALUE" || !r.precise) continue;
      if (l2) env.verbose(first ? `frame ${fr}: propagating r${i}` : `,r${i}`);
      btSetFrameReg(bt, fr, i);
      first = false;
    }
    for (let i = 0; i < f.allocatedStack / BPF_REG_SIZE; i++) {
      const r = spilledReg(old, fr, i);
      if (!r || r.type !== "SCALAR_VALUE" || !r.precise) continue;
      if (l2) env.verbose(first ? `frame ${fr}: propagating fp${(-i - 1) * BPF_REG_SIZE}` : `,fp${(-i - 1) * BPF_REG_SIZE}`);
      btSetFrameSlot(bt, fr, i);
      first = false;
    }
    if (!first && l2) env.verbose("\n");
  }
  markChainPrecisionFrom(env, cur, -1, changed);
}
