// Where control goes after an insn, from the decoded union, with the kernel's
// pc arithmetic (target = idx + delta + 1, in slots). The verifier's CFG
// passes and the DSL both need this; the kernel spells it out at each use
// (check_cfg's visit_insn, bpf_find_subprog callers, jmp_offset()).
import type { Insn } from "./types.js";

/** The jump target of a goto/gotol/conditional jump/may_goto, or undefined. */
export function jumpTarget(insn: Insn, idx: number): number | undefined {
  switch (insn.kind) {
    case "ja": return idx + insn.delta + 1;
    case "jmp": return idx + insn.off + 1;
    case "may_goto": return idx + insn.off + 1;
    default: return undefined;
  }
}

/** The subprogram start a BPF-to-BPF call or an ld_imm64 of BPF_PSEUDO_FUNC refers to, or undefined. */
export function subprogTarget(insn: Insn, idx: number): number | undefined {
  if (insn.kind === "pseudo_call") return idx + insn.imm + 1;
  if (insn.kind === "ld_imm64" && insn.src === "BPF_PSEUDO_FUNC") return idx + insn.imm + 1;
  return undefined;
}

/** Whether execution can continue at the next insn (false for exit, goto/gotol, gotox). */
export function fallsThrough(insn: Insn): boolean {
  return insn.kind !== "exit" && insn.kind !== "ja" && insn.kind !== "gotox";
}
