// 64-bit immediate loads, including the pseudo forms (maps, BTF vars, callbacks).
// kernel: verifier.c (check_ld_imm)
import type { VerifierEnv } from "../env.js";
import type { RawInsn } from "../../isa/raw.js";
import { curFrame } from "../state/func.js";
import { markRegKnown, markRegKnownZero, markRegUnknown } from "../state/reg.js";
import { reject } from "../reject.js";
import { verifierBug } from "../bug.js";
import { checkRegArg } from "./reg-arg.js";
import { BPF_DW, BPF_PSEUDO_BTF_ID, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE, bpfSize } from "../cfg/opcodes.js";

/** kernel: check_ld_imm */
export function checkLdImm(env: VerifierEnv, insn: RawInsn, next: RawInsn | undefined): void {
  if (bpfSize(insn.code) !== BPF_DW) reject(env, "EINVAL", "invalid BPF_LD_IMM insn\n");
  checkRegArg(env, insn.dst, "DST_OP");
  const regs = curFrame(env.curState).regs;
  const dst = regs[insn.dst]!;
  if (insn.src === 0) {
    const imm = (BigInt((next?.imm ?? 0) >>> 0) << 32n) | BigInt(insn.imm >>> 0);
    dst.type = "SCALAR_VALUE";
    markRegKnown(dst, imm);
    return;
  }
  markRegKnownZero(dst);
  if (insn.src === BPF_PSEUDO_BTF_ID) {
    const v = env.pseudoBtfVar(env.insnIdx);
    dst.type = v.type;
    dst.flags = v.flags;
    if (v.type === "PTR_TO_MEM") dst.memSize = v.memSize;
    else if (v.type === "PTR_TO_BTF_ID") {
      dst.btf = v.btf;
      dst.btfId = v.btfId;
    } else verifierBug(env, "pseudo btf id: unexpected dst reg type");
    return;
  }
  if (insn.src === BPF_PSEUDO_FUNC) {
    const subprogno = env.findSubprog(env.insnIdx + insn.imm + 1);
    if (env.input.funcInfo.length === 0) reject(env, "EINVAL", "missing btf func_info\n");
    if (env.subprogs[subprogno]?.isGlobal) reject(env, "EINVAL", "callback function not static\n");
    if (subprogno === 0) reject(env, "EINVAL", "callback function cannot be the main program\n");
    dst.type = "PTR_TO_FUNC";
    dst.subprogno = subprogno;
    return;
  }
  const aux = env.cfgAux(env.insnIdx);
  const map = aux.mapIndex !== undefined ? env.input.maps[aux.mapIndex] : undefined;
  if (!map) verifierBug(env, "unexpected src reg value for ldimm64");
  if (insn.src === BPF_PSEUDO_MAP_VALUE || insn.src === BPF_PSEUDO_MAP_IDX_VALUE) {
    if (map.type === "BPF_MAP_TYPE_ARENA") {
      markRegUnknown(dst, env.bpfCapable);
      dst.map = map;
      return;
    }
    markRegKnown(dst, BigInt(aux.mapOff ?? 0));
    dst.type = "PTR_TO_MAP_VALUE";
    dst.flags = 0;
    dst.map = map;
  } else if (insn.src === BPF_PSEUDO_MAP_FD || insn.src === BPF_PSEUDO_MAP_IDX) {
    dst.type = "CONST_PTR_TO_MAP";
    dst.flags = 0;
    dst.map = map;
  } else {
    verifierBug(env, "unexpected src reg value for ldimm64");
  }
}
