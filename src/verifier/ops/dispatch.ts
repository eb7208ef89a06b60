// One instruction of the walk, by class.
// kernel: verifier.c (do_check_insn)
import type { VerifierEnv } from "../env.js";
import { curFrame } from "../state/func.js";
import { reject } from "../reject.js";
import { notModelled } from "../not-modelled.js";
import { checkAluOp } from "./alu.js";
import { checkCondJmpOp } from "./jmp.js";
import { checkLdImm } from "./ldimm.js";
import { processBpfExitFull, PROCESS_BPF_EXIT, INSN_IDX_UPDATED } from "./exit.js";
import { checkRegArg } from "./reg-arg.js";
import { checkMemAccess, saveAuxPtrType } from "../memory/access.js";
import { regBoundsSanityCheck } from "./scalar-ops.js";
import { inStackArgCnt } from "../stackargs/index.js";
import {
  BPF_ABS, BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_EXIT, BPF_IMM, BPF_IND, BPF_JA, BPF_JMP, BPF_JMP32, BPF_LD,
  BPF_LDX, BPF_MEMSX, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, BPF_ST, BPF_STX, BPF_X, bpfClass, bpfMode, bpfOp, bpfSize,
  bpfSizeToBytes, isStackArgLdx, isStackArgSt, isStackArgStx,
} from "../cfg/opcodes.js";

export { PROCESS_BPF_EXIT, INSN_IDX_UPDATED };

export interface InsnResult {
  /** 0: go to the next insn; PROCESS_BPF_EXIT: path ended; INSN_IDX_UPDATED: insnIdx was set. */
  code: number;
  /** Print the full state before the next insn (kernel: do_print_state). */
  printState: boolean;
}

const NEXT: InsnResult = { code: 0, printState: false };
const UPDATED: InsnResult = { code: INSN_IDX_UPDATED, printState: false };

const BPF_FUNC_spin_unlock = 94;
const BPF_FUNC_kptr_xchg = 194;

/** kernel: check_load_mem */
export function checkLoadMem(env: VerifierEnv, strictOnce: boolean, isLdsx: boolean, allowTrustMismatch: boolean, ctx: string): void {
  const insn = env.insns[env.insnIdx]!;
  if (isStackArgLdx(insn)) {
    checkRegArg(env, insn.dst, "DST_OP_NO_MARK");
    env.checkStackArgRead(insn.off, insn.dst);
    return;
  }
  checkRegArg(env, insn.src, "SRC_OP");
  checkRegArg(env, insn.dst, "DST_OP_NO_MARK");
  const regs = curFrame(env.curState).regs;
  const srcType = regs[insn.src]!.type, srcFlags = regs[insn.src]!.flags;
  checkMemAccess(env, env.insnIdx, regs[insn.src]!, `R${insn.src}`, insn.off, bpfSizeToBytes(bpfSize(insn.code)), false, insn.dst, strictOnce, isLdsx);
  saveAuxPtrType(env, srcType, srcFlags, allowTrustMismatch);
  regBoundsSanityCheck(env, regs[insn.dst]!, ctx);
}

/** kernel: check_store_reg */
export function checkStoreReg(env: VerifierEnv, strictOnce: boolean): void {
  const insn = env.insns[env.insnIdx]!;
  const regs = curFrame(env.curState).regs;
  if (isStackArgStx(insn)) {
    checkRegArg(env, insn.src, "SRC_OP");
    env.checkStackArgWrite(insn.off, regs[insn.src]!);
    return;
  }
  checkRegArg(env, insn.src, "SRC_OP");
  checkRegArg(env, insn.dst, "SRC_OP");
  const dstType = regs[insn.dst]!.type, dstFlags = regs[insn.dst]!.flags;
  checkMemAccess(env, env.insnIdx, regs[insn.dst]!, `R${insn.dst}`, insn.off, bpfSizeToBytes(bpfSize(insn.code)), true, insn.src, strictOnce, false);
  saveAuxPtrType(env, dstType, dstFlags, false);
}

/** kernel: do_check_insn */
export function doCheckInsn(env: VerifierEnv): InsnResult {
  const insn = env.insns[env.insnIdx]!;
  const cls = bpfClass(insn.code);
  switch (cls) {
    case BPF_ALU:
    case BPF_ALU64:
      checkAluOp(env, insn);
      return NEXT;
    case BPF_LDX:
      checkLoadMem(env, false, bpfMode(insn.code) === BPF_MEMSX, true, "ldx");
      return NEXT;
    case BPF_STX:
      if (bpfMode(insn.code) === BPF_ATOMIC) {
        env.checkAtomic(insn);
        return NEXT;
      }
      checkStoreReg(env, false);
      return NEXT;
    case BPF_ST: {
      if (isStackArgSt(insn)) {
        env.checkStackArgWrite(insn.off, null);
        return NEXT;
      }
      checkRegArg(env, insn.dst, "SRC_OP");
      const regs = curFrame(env.curState).regs;
      const t = regs[insn.dst]!.type, f = regs[insn.dst]!.flags;
      checkMemAccess(env, env.insnIdx, regs[insn.dst]!, `R${insn.dst}`, insn.off, bpfSizeToBytes(bpfSize(insn.code)), true, -1, false, false);
      saveAuxPtrType(env, t, f, false);
      return NEXT;
    }
    case BPF_JMP:
    case BPF_JMP32: {
      const op = bpfOp(insn.code);
      env.jmpsProcessed++;
      if (op === BPF_CALL) {
        const st = env.curState;
        if (st.activeLocks) {
          if ((insn.src === 0 && insn.imm !== BPF_FUNC_spin_unlock && insn.imm !== BPF_FUNC_kptr_xchg) ||
              (insn.src === BPF_PSEUDO_KFUNC_CALL && (insn.off !== 0 || !env.kfuncSpinAllowed(insn.imm)))) {
            reject(env, "EINVAL", "function calls are not allowed while holding a lock\n");
          }
        }
        env.markRegScratched(0);
        const sub = env.subprogs[curFrame(st).subprogno];
        if (sub && inStackArgCnt(sub) > 0) curFrame(st).noStackArgLoad = true;
        if (insn.src === BPF_PSEUDO_CALL) return env.checkFuncCall(insn);
        if (insn.src === BPF_PSEUDO_KFUNC_CALL) return env.checkKfuncCall(insn);
        return env.checkHelperCall(insn);
      } else if (op === BPF_JA) {
        if ((insn.code & BPF_X) !== 0) return env.checkIndirectJump(insn);
        env.insnIdx += (cls === BPF_JMP ? insn.off : insn.imm) + 1;
        return UPDATED;
      } else if (op === BPF_EXIT) {
        return processBpfExitFull(env, false);
      }
      checkCondJmpOp(env, insn);
      return NEXT;
    }
    case BPF_LD: {
      const mode = bpfMode(insn.code);
      if (mode === BPF_ABS || mode === BPF_IND) {
        env.checkLdAbs(insn);
        return NEXT;
      }
      if (mode === BPF_IMM) {
        checkLdImm(env, insn, env.insns[env.insnIdx + 1]);
        env.insnIdx++;
        env.insnAux[env.insnIdx]!.seen = true;
      }
      return NEXT;
    }
    default:
      return notModelled(`instruction class ${cls}`);
  }
}
