// Atomic instructions: read-modify-write (add/and/or/xor, fetch variants,
// xchg, cmpxchg), load-acquire and store-release.
// kernel: verifier.c (check_atomic, check_atomic_rmw, check_atomic_load,
// check_atomic_store, atomic_ptr_type_ok, is_load_acq_unsafe)
import type { VerifierEnv } from "../env.js";
import type { RawInsn } from "../../isa/raw.js";
import { curFrame } from "../state/func.js";
import { regTypeStr, PTR_UNTRUSTED } from "../state/reg-type.js";
import { isPointerValue } from "../state/reg-query.js";
import { reject } from "../reject.js";
import { checkRegArg } from "./reg-arg.js";
import { checkMemAccess, saveAuxPtrType, bpfSizeToBytes } from "../memory/access.js";
import { checkLoadMem, checkStoreReg } from "./dispatch.js";
import { BPF_ADD, BPF_AND, BPF_CMPXCHG, BPF_DW, BPF_FETCH, BPF_LOAD_ACQ, BPF_OR, BPF_STORE_REL, BPF_W, BPF_XCHG, BPF_XOR, atomicLoadReg, bpfSize } from "../cfg/opcodes.js";

/** kernel: atomic_ptr_type_ok */
function atomicPtrTypeOk(env: VerifierEnv, regno: number, insn: RawInsn): boolean {
  const reg = curFrame(env.curState).regs[regno]!;
  switch (reg.type) {
    case "PTR_TO_CTX": case "PTR_TO_PACKET": case "PTR_TO_PACKET_META": case "PTR_TO_FLOW_KEYS":
    case "PTR_TO_SOCKET": case "PTR_TO_SOCK_COMMON": case "PTR_TO_TCP_SOCK": case "PTR_TO_XDP_SOCK":
      return false;
    case "PTR_TO_ARENA":
      // x86-64's JIT supports every atomic on arena memory (bpf_jit_supports_insn).
      return true;
    default:
      // is_load_acq_unsafe
      return !(insn.imm === BPF_LOAD_ACQ && ((reg.type === "PTR_TO_BTF_ID" && reg.flags === 0) || (reg.flags & PTR_UNTRUSTED)));
  }
}

function notAllowed(env: VerifierEnv, what: "stores into" | "loads from", regno: number): never {
  const reg = curFrame(env.curState).regs[regno]!;
  reject(env, "EACCES", `BPF_ATOMIC ${what} R${regno} ${regTypeStr(reg.type, reg.flags)} is not allowed\n`);
}

/** kernel: check_atomic_rmw */
function checkAtomicRmw(env: VerifierEnv, insn: RawInsn): void {
  const sz = bpfSize(insn.code);
  if (sz !== BPF_W && sz !== BPF_DW) reject(env, "EINVAL", "invalid atomic operand size\n");
  checkRegArg(env, insn.src, "SRC_OP");
  checkRegArg(env, insn.dst, "SRC_OP");
  const regs = curFrame(env.curState).regs;
  if (insn.imm === BPF_CMPXCHG) {
    checkRegArg(env, 0, "SRC_OP");
    if (isPointerValue(env, regs[0]!)) reject(env, "EACCES", "R0 leaks addr into mem\n");
  }
  if (isPointerValue(env, regs[insn.src]!)) reject(env, "EACCES", `R${insn.src} leaks addr into mem\n`);
  if (!atomicPtrTypeOk(env, insn.dst, insn)) notAllowed(env, "stores into", insn.dst);
  const loadReg = atomicLoadReg(insn);
  if (loadReg >= 0) checkRegArg(env, loadReg, "DST_OP");
  const dst = regs[insn.dst]!;
  const size = bpfSizeToBytes(sz);
  checkMemAccess(env, env.insnIdx, dst, `R${insn.dst}`, insn.off, size, false, -1, true, false);
  if (loadReg >= 0) checkMemAccess(env, env.insnIdx, dst, `R${insn.dst}`, insn.off, size, false, loadReg, true, false);
  saveAuxPtrType(env, dst.type, dst.flags, false);
  checkMemAccess(env, env.insnIdx, dst, `R${insn.dst}`, insn.off, size, true, -1, true, false);
}

/** kernel: check_atomic */
export function checkAtomic(env: VerifierEnv, insn: RawInsn): void {
  switch (insn.imm) {
    case BPF_ADD: case BPF_ADD | BPF_FETCH: case BPF_AND: case BPF_AND | BPF_FETCH: case BPF_OR: case BPF_OR | BPF_FETCH:
    case BPF_XOR: case BPF_XOR | BPF_FETCH: case BPF_XCHG: case BPF_CMPXCHG:
      checkAtomicRmw(env, insn);
      return;
    case BPF_LOAD_ACQ:
      checkRegArg(env, insn.src, "SRC_OP");
      if (!atomicPtrTypeOk(env, insn.src, insn)) notAllowed(env, "loads from", insn.src);
      checkLoadMem(env, true, false, false, "atomic_load");
      return;
    case BPF_STORE_REL:
      checkStoreReg(env, true);
      if (!atomicPtrTypeOk(env, insn.dst, insn)) notAllowed(env, "stores into", insn.dst);
      return;
    default:
      reject(env, "EINVAL", `BPF_ATOMIC uses invalid atomic opcode ${(insn.imm & 0xff).toString(16).padStart(2, "0")}\n`);
  }
}
