// bpf_fastcall spill/fill patterns around helper/kfunc calls: clang spills
// live R0-R5 around calls the kernel may inline; the marks let the walk check
// the stack contract and the fixups drop the pairs.
// kernel: mark_fastcall_patterns, mark_fastcall_pattern_for_call (verifier.c)
import { ALL_CALLER_SAVED_REGS, CALLER_SAVED_REGS, genmask, getCallSummary } from "./call-summary.js";
import { BPF_CALL, BPF_DW, BPF_JMP, BPF_LDX, BPF_MEM, BPF_REG_10, BPF_STX } from "./opcodes.js";
import type { CfgEnv, SubprogInfo } from "./types.js";

const STX_DW = BPF_STX | BPF_MEM | BPF_DW;
const LDX_DW = BPF_LDX | BPF_MEM | BPF_DW;

function markForCall(env: CfgEnv, sp: SubprogInfo, idx: number, lowestOff: number): void {
  const cs = getCallSummary(env.opts, env.insns[idx]!);
  if (!cs) return;
  // Registers the call clobbers if it honours bpf_fastcall: R0 unless void,
  // R1..Rn for its n parameters; the others are expected in the pattern.
  const clobbered = genmask(cs.numParams, cs.isVoid ? 1 : 0);
  let expected = ~clobbered & ALL_CALLER_SAVED_REGS;
  const n = env.insns.length;
  let i = 1;
  let off = lowestOff;
  for (; i <= CALLER_SAVED_REGS; ++i, off += 8) {
    if (idx - i < 0 || idx + i >= n) break;
    // A jump into the pattern would skip half of it (a jump to the first stx is fine).
    if (env.aux[idx - i + 1]!.jumpTarget || env.aux[idx + i]!.jumpTarget) break;
    const stx = env.insns[idx - i]!;
    const ldx = env.insns[idx + i]!;
    if (stx.code !== STX_DW || ldx.code !== LDX_DW || stx.dst !== BPF_REG_10 || ldx.src !== BPF_REG_10) break;
    if (stx.src !== ldx.dst) break;
    if (((1 << stx.src) & expected) === 0) break;
    if (stx.off !== off || ldx.off !== off) break;
    expected &= ~(1 << stx.src);
    env.aux[idx - i]!.fastcallPattern = true;
    env.aux[idx + i]!.fastcallPattern = true;
  }
  if (i === 1) return;
  // A call the kernel does not treat as fastcall keeps its pairs, but stays
  // a pattern member so the stack contract check accepts it.
  if (cs.fastcall) env.aux[idx]!.fastcallSpillsNum = i - 1;
  else sp.keepFastcallStack = true;
  sp.fastcallStackOff = Math.min(sp.fastcallStackOff, off);
}

export function markFastcallPatterns(env: CfgEnv): void {
  for (let s = 0; s < env.subprogCnt; s++) {
    const sp = env.subprogs[s]!;
    const end = env.subprogs[s + 1]!.start;
    let lowest = 0;
    for (let i = sp.start; i < end; i++) {
      const insn = env.insns[i]!;
      if (insn.code === STX_DW && insn.dst === BPF_REG_10) lowest = Math.min(lowest, insn.off);
    }
    for (let i = sp.start; i < end; i++) {
      if (env.insns[i]!.code === (BPF_JMP | BPF_CALL)) markForCall(env, sp, i, lowest);
    }
  }
}
