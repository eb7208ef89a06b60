// The backtracking work set: per call frame, which registers, stack slots and
// outgoing stack-argument slots still need a precise value, plus the jmp
// history entries that tell backtracking what an instruction touched.
// kernel: struct backtrack_state, bt_* helpers (backtrack.c, bpf_verifier.h),
// bpf_push_jmp_history, fmt_reg_mask, bpf_fmt_stack_mask, linked_regs_unpack
import type { JmpHistoryEntry, VerifierState } from "../state/types.js";
import { MAX_CALL_FRAMES } from "../state/types.js";

/** kernel: INSN_F_* (bpf_jmp_history_entry.flags) */
export const INSN_F_STACK_ACCESS = 1;
export const INSN_F_DST_REG_STACK = 2;
export const INSN_F_SRC_REG_STACK = 4;
export const INSN_F_STACK_ARG_ACCESS = 8;

/** kernel: BPF_REGMASK_ARGS — R1..R5 */
export const BPF_REGMASK_ARGS = 0x3e;

export interface BacktrackState {
  frame: number;
  regMasks: number[];
  stackMasks: bigint[];
  stackArgMasks: number[];
}

/** Per-verification precision context the kernel keeps in bpf_verifier_env (bt, cur_hist_ent, scc_info). */
export interface PrecisionEnv {
  bt: BacktrackState;
  /** The history entry pushed for the insn being processed, to merge a second push into (kernel: cur_hist_ent). */
  curHistEnt: JmpHistoryEntry | null;
  sccVisits: Map<string, SccVisit>;
  numBackedges: number;
}

/** kernel: struct bpf_scc_visit */
export interface SccVisit {
  callsites: number[];
  scc: number;
  entryState: VerifierState | null;
  /** Copies of states that matched a still-open checkpoint in the SCC; equalState points at it. */
  backedges: VerifierState[];
}

export function newBacktrackState(): BacktrackState {
  return {
    frame: 0,
    regMasks: new Array<number>(MAX_CALL_FRAMES).fill(0),
    stackMasks: new Array<bigint>(MAX_CALL_FRAMES).fill(0n),
    stackArgMasks: new Array<number>(MAX_CALL_FRAMES).fill(0),
  };
}

export function newPrecisionEnv(): PrecisionEnv {
  return { bt: newBacktrackState(), curHistEnt: null, sccVisits: new Map(), numBackedges: 0 };
}

/** kernel: bt_reset */
export function btReset(bt: BacktrackState): void {
  bt.frame = 0;
  bt.regMasks.fill(0);
  bt.stackMasks.fill(0n);
  bt.stackArgMasks.fill(0);
}

/** kernel: bt_empty — only frames up to the current one count. */
export function btEmpty(bt: BacktrackState): boolean {
  for (let i = 0; i <= bt.frame; i++) {
    if (bt.regMasks[i] || bt.stackMasks[i] || bt.stackArgMasks[i]) return false;
  }
  return true;
}

export const btSetFrameReg = (bt: BacktrackState, fr: number, r: number): void => { bt.regMasks[fr]! |= 1 << r; };
export const btClearFrameReg = (bt: BacktrackState, fr: number, r: number): void => { bt.regMasks[fr]! &= ~(1 << r); };
export const btIsFrameRegSet = (bt: BacktrackState, fr: number, r: number): boolean => (bt.regMasks[fr]! & (1 << r)) !== 0;
export const btSetReg = (bt: BacktrackState, r: number): void => btSetFrameReg(bt, bt.frame, r);
export const btClearReg = (bt: BacktrackState, r: number): void => btClearFrameReg(bt, bt.frame, r);
export const btIsRegSet = (bt: BacktrackState, r: number): boolean => btIsFrameRegSet(bt, bt.frame, r);
export const btRegMask = (bt: BacktrackState): number => bt.regMasks[bt.frame]!;

export const btSetFrameSlot = (bt: BacktrackState, fr: number, spi: number): void => { bt.stackMasks[fr]! |= 1n << BigInt(spi); };
export const btClearFrameSlot = (bt: BacktrackState, fr: number, spi: number): void => { bt.stackMasks[fr]! &= ~(1n << BigInt(spi)); };
export const btIsFrameSlotSet = (bt: BacktrackState, fr: number, spi: number): boolean => (bt.stackMasks[fr]! & (1n << BigInt(spi))) !== 0n;
export const btStackMask = (bt: BacktrackState): bigint => bt.stackMasks[bt.frame]!;

export const btSetFrameStackArgSlot = (bt: BacktrackState, fr: number, s: number): void => { bt.stackArgMasks[fr]! |= 1 << s; };
export const btClearFrameStackArgSlot = (bt: BacktrackState, fr: number, s: number): void => { bt.stackArgMasks[fr]! &= ~(1 << s); };
export const btIsFrameStackArgSlotSet = (bt: BacktrackState, fr: number, s: number): boolean => (bt.stackArgMasks[fr]! & (1 << s)) !== 0;

/** kernel: fmt_reg_mask — "r0,r2,r4" */
export function fmtRegMask(mask: number): string {
  const out: string[] = [];
  for (let i = 0; i < 32; i++) if (mask & (1 << i)) out.push(`r${i}`);
  return out.join(",");
}

/** kernel: bpf_fmt_stack_mask — "-8,-24,-40" */
export function fmtStackMask(mask: bigint): string {
  const out: string[] = [];
  for (let i = 0; i < 64; i++) if (mask & (1n << BigInt(i))) out.push(String(-(i + 1) * 8));
  return out.join(",");
}

export interface LinkedRegEntry {
  frameno: number;
  /** regno when isReg, else the stack slot index. */
  regno: number;
  isReg: boolean;
}

/** kernel: linked_regs_unpack — a 4-bit count, then 11-bit entries (frameno:4, spi/regno:6, is_reg:1). */
export function unpackLinkedRegs(v: bigint): LinkedRegEntry[] {
  const cnt = Number(v & 0xfn);
  let x = v >> 4n;
  const out: LinkedRegEntry[] = [];
  for (let i = 0; i < cnt; i++) {
    out.push({ frameno: Number(x & 0xfn), regno: Number((x >> 4n) & 0x3fn), isReg: ((x >> 10n) & 1n) === 1n });
    x >>= 11n;
  }
  return out;
}

/** kernel: bpf_bt_sync_linked_regs — one precise member of a linked set makes them all precise. */
export function btSyncLinkedRegs(bt: BacktrackState, hist: JmpHistoryEntry | null): void {
  if (!hist || hist.linkedRegs === 0n) return;
  const entries = unpackLinkedRegs(hist.linkedRegs);
  const some = entries.some((e) => e.isReg ? btIsFrameRegSet(bt, e.frameno, e.regno) : btIsFrameSlotSet(bt, e.frameno, e.regno));
  if (!some) return;
  for (const e of entries) {
    if (e.isReg) btSetFrameReg(bt, e.frameno, e.regno);
    else btSetFrameSlot(bt, e.frameno, e.regno);
  }
}
