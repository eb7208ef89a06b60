// Register operand checks.
// kernel: verifier.c (check_reg_arg, __check_reg_arg, bpf_is_reg64, mark_insn_zext)
import type { VerifierEnv } from "../env.js";
import type { RawInsn } from "../../isa/raw.js";
import type { RegState } from "../state/types.js";
import { DEF_NOT_SUBREG, BPF_REG_FP } from "../state/types.js";
import { curFrame } from "../state/func.js";
import { markRegUnknown } from "../state/reg.js";
import { reject } from "../reject.js";
import {
  BPF_ALU, BPF_ALU64, BPF_CALL, BPF_DW, BPF_END, BPF_EXIT, BPF_IMM, BPF_JMP, BPF_JMP32, BPF_LD, BPF_LDX, BPF_MEMSX,
  BPF_PSEUDO_CALL, BPF_ST, BPF_STX, bpfClass, bpfMode, bpfOp, bpfSize,
} from "../cfg/opcodes.js";

export type RegArgType = "SRC_OP" | "DST_OP" | "DST_OP_NO_MARK";

/** kernel: bpf_is_reg64 — does this insn read/write `regno` as 64 bits? */
export function isReg64(insn: RawInsn, regno: number, reg: RegState, t: RegArgType): boolean {
  const code = insn.code, cls = bpfClass(code), op = bpfOp(code);
  if (cls === BPF_JMP) {
    if (op === BPF_EXIT) return true;
    if (op === BPF_CALL) {
      if (insn.src === BPF_PSEUDO_CALL) return false;
      return t === "SRC_OP";
    }
  }
  if (cls === BPF_ALU64 && op === BPF_END && (insn.imm === 16 || insn.imm === 32)) return false;
  if (cls === BPF_ALU64 || cls === BPF_JMP || (cls === BPF_ALU && op === BPF_END && insn.imm === 64)) return true;
  if (cls === BPF_ALU || cls === BPF_JMP32) return false;
  if (cls === BPF_LDX) {
    if (t !== "SRC_OP") return bpfSize(code) === BPF_DW || bpfMode(code) === BPF_MEMSX;
    return true;
  }
  if (cls === BPF_STX) {
    if (t === "SRC_OP" && reg.type !== "SCALAR_VALUE") return true;
    return bpfSize(code) === BPF_DW;
  }
  if (cls === BPF_LD) {
    if (bpfMode(code) === BPF_IMM) return true;
    if (t !== "SRC_OP") return false;
    return true;
  }
  if (cls === BPF_ST) return true;
  void regno;
  return true;
}

/** kernel: mark_insn_zext */
function markInsnZext(env: VerifierEnv, reg: RegState): void {
  const def = reg.subregDef;
  if (def === DEF_NOT_SUBREG) return;
  env.insnAux[def - 1]!.zextDst = true;
  reg.subregDef = DEF_NOT_SUBREG;
}

/** kernel: __check_reg_arg on an explicit register file. */
export function checkRegArgIn(env: VerifierEnv, regs: RegState[], regno: number, t: RegArgType): void {
  const insn = env.insns[env.insnIdx]!;
  env.markRegScratched(regno);
  const reg = regs[regno]!;
  const rw64 = isReg64(insn, regno, reg, t);
  if (t === "SRC_OP") {
    if (reg.type === "NOT_INIT") reject(env, "EACCES", `R${regno} !read_ok\n`);
    if (regno === BPF_REG_FP) return;
    if (rw64) markInsnZext(env, reg);
    return;
  }
  if (regno === BPF_REG_FP) reject(env, "EACCES", "frame pointer is read only\n");
  reg.subregDef = rw64 ? DEF_NOT_SUBREG : env.insnIdx + 1;
  if (t === "DST_OP") markRegUnknown(reg, env.bpfCapable);
}

/** kernel: check_reg_arg */
export function checkRegArg(env: VerifierEnv, regno: number, t: RegArgType): void {
  checkRegArgIn(env, curFrame(env.curState).regs, regno, t);
}
