// Which registers may still be read after each insn: the walk drops dead
// registers from states (clean_live_states) and the level-2 log prints the
// table. kernel: bpf_compute_live_registers, compute_insn_live_regs (liveness.c)
import type { RawInsn } from "../../isa/raw.js";
import type { VerifierLog } from "../log/vlog.js";
import { BPF_LOG_LEVEL2 } from "../log/vlog.js";
import { ALL_CALLER_SAVED_REGS, genmask, getCallSummary } from "./call-summary.js";
import { insnSuccessors } from "./check-cfg.js";
import {
  BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_DW, BPF_END, BPF_EXIT, BPF_FETCH, BPF_IMM,
  BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_K, BPF_LD, BPF_LDX, BPF_LOAD_ACQ, BPF_MEM, BPF_MEMSX,
  BPF_MOV, BPF_ST, BPF_STORE_REL, BPF_STX, BPF_X, bpfClass, bpfMode, bpfOp, bpfSize, bpfSrc, isLdImm64,
} from "./opcodes.js";
import type { CfgEnv, PrePassOptions } from "./types.js";

/** kernel: MAX_BPF_FUNC_REG_ARGS */
const MAX_BPF_FUNC_REG_ARGS = 5;

/** kernel: compute_insn_live_regs — registers read (use) and written (def). */
export function insnUseDef(opts: PrePassOptions, insn: RawInsn): { use: number; def: number } {
  const src = (1 << insn.src) & 0xffff;
  const dst = (1 << insn.dst) & 0xffff;
  const r0 = 1;
  // Unknown forms read everything and write nothing: the safe default.
  let def = 0;
  let use = 0xffff;
  const mode = bpfMode(insn.code);
  const op = bpfOp(insn.code);
  const isK = bpfSrc(insn.code) === BPF_K;
  switch (bpfClass(insn.code)) {
    case BPF_LD:
      if (mode === BPF_IMM && bpfSize(insn.code) === BPF_DW) {
        def = dst;
        use = 0;
      }
      // ld_abs/ind keep the defaults (they read R6 and may call out).
      break;
    case BPF_LDX:
      if (mode === BPF_MEM || mode === BPF_MEMSX) {
        def = dst;
        use = src;
      }
      break;
    case BPF_ST:
      if (mode === BPF_MEM) {
        def = 0;
        use = dst;
      }
      break;
    case BPF_STX:
      if (mode === BPF_MEM) {
        def = 0;
        use = dst | src;
      } else if (mode === BPF_ATOMIC) {
        if (insn.imm === BPF_CMPXCHG) {
          use = r0 | dst | src;
          def = r0;
        } else if (insn.imm === BPF_LOAD_ACQ) {
          def = dst;
          use = src;
        } else if (insn.imm === BPF_STORE_REL) {
          def = 0;
          use = dst | src;
        } else {
          use = dst | src;
          def = insn.imm & BPF_FETCH ? src : 0;
        }
      }
      break;
    case BPF_ALU:
    case BPF_ALU64:
      def = dst;
      if (op === BPF_END) use = dst;
      else if (op === BPF_MOV) use = isK ? 0 : src;
      else use = isK ? dst : dst | src;
      break;
    case BPF_JMP:
    case BPF_JMP32:
      def = 0;
      switch (op) {
        case BPF_JA:
          use = bpfSrc(insn.code) === BPF_X ? dst : 0;
          break;
        case BPF_JCOND:
          use = 0;
          break;
        case BPF_EXIT:
          use = r0;
          break;
        case BPF_CALL: {
          def = ALL_CALLER_SAVED_REGS;
          use = def & ~r0;
          const cs = getCallSummary(opts, insn);
          if (cs) use = genmask(Math.min(cs.numParams, MAX_BPF_FUNC_REG_ARGS), 1);
          break;
        }
        default:
          use = isK ? dst : dst | src;
      }
      break;
  }
  return { use, def };
}

/**
 * Fills aux[].liveRegsBefore by a backward fixpoint over the postorder and,
 * at level 2, prints the "Live regs before insn:" table.
 * The kernel runs bpf_compute_subprog_arg_access (stack liveness listings)
 * between the use/def step and the fixpoint; `between` is that hook.
 */
export function computeLiveRegisters(env: CfgEnv, log: VerifierLog, between?: () => void): void {
  const n = env.insns.length;
  const use = new Uint16Array(n);
  const def = new Uint16Array(n);
  const inS = new Uint16Array(n);
  const outS = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const ud = insnUseDef(env.opts, env.insns[i]!);
    use[i] = ud.use;
    def[i] = ud.def;
  }
  between?.();
  let changed = true;
  while (changed) {
    changed = false;
    for (const idx of env.postorder) {
      let newOut = 0;
      for (const s of insnSuccessors(env, idx)) newOut |= inS[s]!;
      const newIn = (newOut & ~def[idx]!) | use[idx]!;
      if (newOut !== outS[idx] || newIn !== inS[idx]) {
        inS[idx] = newIn;
        outS[idx] = newOut;
        changed = true;
      }
    }
  }
  for (let i = 0; i < n; i++) env.aux[i]!.liveRegsBefore = inS[i]!;
  if (!(log.level & BPF_LOG_LEVEL2)) return;
  log.write("Live regs before insn:\n");
  for (let i = 0; i < n; i++) {
    log.write(liveRegsLinePrefix(env.aux[i]!.scc, i, inS[i]!));
    log.write(env.opts.printInsn ? env.opts.printInsn(env.insns, i) : "\n");
    if (isLdImm64(env.insns[i]!)) i++;
  }
}

/** One table line up to the insn text: "%3d " scc (or 4 spaces), "%3d: ", R0-R9 marks, " ". */
export function liveRegsLinePrefix(scc: number, idx: number, live: number): string {
  let s = scc ? `${String(scc).padStart(3)} ` : "    ";
  s += `${String(idx).padStart(3)}: `;
  for (let r = 0; r < 10; r++) s += live & (1 << r) ? String(r) : ".";
  return s + " ";
}
