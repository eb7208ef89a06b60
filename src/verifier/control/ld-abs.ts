// Legacy packet loads (BPF_LD | BPF_ABS/BPF_IND): an implicit skb in R6,
// R0 gets up to 32 bits of packet data, the caller-saved registers are
// clobbered as by a call. A failing load exits the program with R0 = 0,
// which inside a subprogram is a return the walk must explore.
// kernel: verifier.c (check_ld_abs, may_access_skb)
import type { VerifierEnv } from "../env.js";
import type { RawInsn } from "../../isa/raw.js";
import { curFrame } from "../state/func.js";
import { markRegKnownZero, markRegUnknown } from "../state/reg.js";
import { pushStack } from "../explore/branches.js";
import { checkResourceLeak } from "../ops/exit.js";
import { checkRegArg } from "../ops/reg-arg.js";
import { clearCallerSavedRegs } from "../calls/subprog.js";
import { BPF_IND, bpfMode } from "../cfg/opcodes.js";
import { reject } from "../reject.js";

/** kernel: may_access_skb */
function mayAccessSkb(progType: string): boolean {
  return progType === "BPF_PROG_TYPE_SOCKET_FILTER" || progType === "BPF_PROG_TYPE_SCHED_CLS" || progType === "BPF_PROG_TYPE_SCHED_ACT";
}

const CTX_REG = 6;

/** kernel: check_ld_abs — on return the caller advances insnIdx by one. */
export function checkLdAbs(env: VerifierEnv, insn: RawInsn): void {
  const state = env.curState;
  if (!mayAccessSkb(env.input.progType)) reject(env, "EINVAL", "BPF_LD_[ABS|IND] instructions not allowed for this program type\n");
  for (let i = state.curframe; i; i--) {
    if (state.frame[i]!.inCallbackFn) reject(env, "EINVAL", "cannot use BPF_LD_[ABS|IND] within callback\n");
  }
  checkRegArg(env, CTX_REG, "SRC_OP");
  // The runtime may end the program here: no reference may be held.
  checkResourceLeak(env, false, true, "BPF_LD_[ABS|IND]");
  const regs = curFrame(state).regs;
  if (regs[CTX_REG]!.type !== "PTR_TO_CTX") reject(env, "EINVAL", "at the time of BPF_LD_ABS|IND R6 != pointer to skb\n");
  if (bpfMode(insn.code) === BPF_IND) checkRegArg(env, insn.src, "SRC_OP");
  env.checkPtrOffReg(regs[CTX_REG]!, `R${CTX_REG}`, false);
  clearCallerSavedRegs(env, regs);
  markRegUnknown(regs[0]!, env.bpfCapable);
  // At most 32 bits of packet data.
  regs[0]!.subregDef = env.insnIdx + 1;
  if (state.curframe) {
    // The hidden "r0 = 0; exit" of bpf_gen_ld_abs, explored as a return from this frame.
    env.markRegScratched(0);
    pushStack(env, env.insnIdx + 1, env.insnIdx, false);
    markRegKnownZero(regs[0]!);
    env.prepareFuncExit();
    env.insnIdx--;
  }
}
