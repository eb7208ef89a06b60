// kernel: bpf_get_call_summary — what the pre-passes know about a call's
// arguments and clobbers, from the helper proto or the kfunc's BTF.
import type { RawInsn } from "../../isa/raw.js";
import { isHelperCall, isPseudoKfuncCall } from "./opcodes.js";
import type { PrePassOptions } from "./types.js";

export interface CallSummary {
  numParams: number;
  isVoid: boolean;
  fastcall: boolean;
}

/** undefined when the call is not a helper/kfunc or its prototype is unknown. */
export function getCallSummary(opts: PrePassOptions, insn: RawInsn): CallSummary | undefined {
  if (isHelperCall(insn)) {
    const h = opts.helper?.(insn.imm);
    return h && { numParams: h.numParams, isVoid: h.isVoid, fastcall: h.fastcall };
  }
  if (isPseudoKfuncCall(insn)) {
    const k = opts.kfunc?.(insn.imm, insn.off);
    return k && { numParams: k.numParams, isVoid: k.isVoid, fastcall: k.fastcall };
  }
  return undefined;
}

/** kernel: GENMASK(h, l) — bits l..h, empty when h < l. */
export function genmask(h: number, l: number): number {
  let m = 0;
  for (let b = l; b <= h; b++) m |= 1 << b;
  return m;
}

/** kernel: CALLER_SAVED_REGS (R0-R5) */
export const CALLER_SAVED_REGS = 6;
export const ALL_CALLER_SAVED_REGS = (1 << CALLER_SAVED_REGS) - 1;
