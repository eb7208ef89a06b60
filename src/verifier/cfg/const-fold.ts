// Constant registers before the walk, and the branch rewriting they allow.
// kernel: kernel/bpf/const_fold.c (bpf_compute_const_regs, const_reg_xfer,
// const_reg_join, bpf_prune_dead_branches, eval_const_branch)
import type { RawInsn } from "../../isa/raw.js";
import {
  BPF_ABS, BPF_ADD, BPF_ALU, BPF_ALU64, BPF_AND, BPF_CALL, BPF_DW, BPF_IMM, BPF_IND, BPF_JA, BPF_JEQ, BPF_JGE,
  BPF_JGT, BPF_JLE, BPF_JLT, BPF_JMP, BPF_JMP32, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_K,
  BPF_LD, BPF_LDX, BPF_MEMSX, BPF_MOV, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE, BPF_STX, BPF_SUB, BPF_X, atomicLoadReg, bpfClass, bpfMode,
  bpfOp, bpfSize, bpfSizeToBytes, bpfSrc, isCondJump, isMayGoto, isStackArgLdx, isStackArgSt, isStackArgStx,
} from "./opcodes.js";
import { computePostorder, insnSuccessors } from "./check-cfg.js";
import { findSubprog } from "./subprogs.js";
import type { CfgEnv, CfgReject } from "./types.js";

type ConstState = "UNVISITED" | "UNKNOWN" | "CONST" | "MAP_PTR" | "MAP_VALUE" | "SUBPROG";

// kernel: struct const_arg_info (values as u64 bigints)
interface ConstArg {
  state: ConstState;
  mapIndex: number;
  val: bigint;
}

const M64 = (1n << 64n) - 1n;
const u64 = (x: bigint): bigint => x & M64;
const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const UNKNOWN: ConstArg = { state: "UNKNOWN", mapIndex: 0, val: 0n };
const NREG = 11; // MAX_BPF_REG

// kernel: const_reg_xfer — transfer through one insn, in place on `regs`.
function xfer(env: CfgEnv, regs: ConstArg[], insn: RawInsn, idx: number): void {
  // R11 stack-argument stores/loads are outside the tracked registers.
  if (isStackArgSt(insn) || isStackArgStx(insn)) return;
  if (isStackArgLdx(insn)) {
    regs[insn.dst] = UNKNOWN;
    return;
  }
  const cls = bpfClass(insn.code);
  const mode = bpfMode(insn.code);
  const opcode = bpfOp(insn.code) | bpfSrc(insn.code);
  const dst = { ...regs[insn.dst]! };
  const src = regs[insn.src] ?? UNKNOWN;
  const isConst = (c: ConstArg): boolean => c.state === "CONST";
  const callClobber = (): void => {
    for (let r = 0; r <= 5; r++) regs[r] = UNKNOWN;
  };
  switch (cls) {
    case BPF_ALU:
    case BPF_ALU64: {
      let d: ConstArg = dst;
      switch (opcode) {
        case BPF_MOV | BPF_K:
          d = { ...d, state: "CONST", val: u64(BigInt(insn.imm)) };
          break;
        case BPF_MOV | BPF_X:
          d = { ...src };
          if (!insn.off) break;
          if (!isConst(d)) d = UNKNOWN;
          else if (insn.off === 8 || insn.off === 16 || insn.off === 32) d.val = u64(BigInt.asIntN(insn.off, d.val));
          else d = UNKNOWN;
          break;
        case BPF_ADD | BPF_K:
        case BPF_SUB | BPF_K:
          if (d.state !== "CONST" && d.state !== "MAP_VALUE") d = UNKNOWN;
          else d.val = u64(opcode === (BPF_ADD | BPF_K) ? d.val + BigInt(insn.imm) : d.val - BigInt(insn.imm));
          break;
        case BPF_AND | BPF_K:
          if (!isConst(d)) d = insn.imm ? UNKNOWN : { ...d, state: "CONST", val: 0n };
          else d.val = d.val & u64(BigInt(insn.imm));
          break;
        case BPF_AND | BPF_X:
          if (isConst(d) && d.val === 0n) break; // 0 & x == 0
          if (isConst(src) && src.val === 0n) d = { ...d, state: "CONST", val: 0n };
          else if (!isConst(d) || !isConst(src)) d = UNKNOWN;
          else d.val = d.val & src.val;
          break;
        default:
          d = UNKNOWN;
      }
      if (cls === BPF_ALU) {
        if (isConst(d)) d = { ...d, val: d.val & 0xffffffffn };
        else if (d.state !== "UNKNOWN") d = UNKNOWN;
      }
      regs[insn.dst] = d;
      return;
    }
    case BPF_LD: {
      if (mode === BPF_ABS || mode === BPF_IND) return callClobber();
      if (mode !== BPF_IMM || bpfSize(insn.code) !== BPF_DW) return;
      const aux = env.aux[idx]!;
      if (insn.src === BPF_PSEUDO_FUNC) {
        const sp = findSubprog(env, idx + insn.imm + 1);
        regs[insn.dst] = sp >= 0 ? { state: "SUBPROG", mapIndex: dst.mapIndex, val: BigInt(sp) } : UNKNOWN;
      } else if (insn.src === BPF_PSEUDO_MAP_VALUE || insn.src === BPF_PSEUDO_MAP_IDX_VALUE) {
        regs[insn.dst] = { state: "MAP_VALUE", mapIndex: aux.mapIndex ?? 0, val: BigInt(aux.mapOff ?? 0) };
      } else if (insn.src === BPF_PSEUDO_MAP_FD || insn.src === BPF_PSEUDO_MAP_IDX) {
        regs[insn.dst] = { state: "MAP_PTR", mapIndex: aux.mapIndex ?? 0, val: dst.val };
      } else if (insn.src === 0) {
        const hi = env.insns[idx + 1]!.imm >>> 0;
        regs[insn.dst] = { state: "CONST", mapIndex: dst.mapIndex, val: (BigInt(hi) << 32n) | BigInt(insn.imm >>> 0) };
      } else {
        regs[insn.dst] = UNKNOWN;
      }
      return;
    }
    case BPF_LDX: {
      if (src.state !== "MAP_VALUE") {
        regs[insn.dst] = UNKNOWN;
        return;
      }
      const map = env.maps[src.mapIndex];
      const size = bpfSizeToBytes(bpfSize(insn.code));
      const off = Number(BigInt.asIntN(32, src.val + BigInt(insn.off))); // C int arithmetic
      const v =
        !map || map.type === "BPF_MAP_TYPE_INSN_ARRAY" || off < 0 || off + size > map.valueSize
          ? undefined
          : env.opts.readOnlyMapValue?.(src.mapIndex, off, size, mode === BPF_MEMSX);
      regs[insn.dst] = v === undefined ? UNKNOWN : { state: "CONST", mapIndex: dst.mapIndex, val: u64(v) };
      return;
    }
    case BPF_JMP:
      if (opcode === BPF_CALL) callClobber();
      return;
    case BPF_STX: {
      const r = atomicLoadReg(insn);
      if (r >= 0) regs[r] = UNKNOWN;
      return;
    }
    default:
      return;
  }
}

// kernel: const_reg_join — merge `out` into a successor's input; true when it changed.
function join(target: ConstArg[], out: ConstArg[]): boolean {
  let changed = false;
  for (let r = 0; r < NREG; r++) {
    const old = target[r]!;
    const nw = out[r]!;
    if (old.state === "UNVISITED" && nw.state !== "UNVISITED") {
      target[r] = nw;
      changed = true;
    } else if (old.state !== "UNKNOWN" && old.state !== "UNVISITED" &&
               (nw.state !== old.state || nw.val !== old.val || nw.mapIndex !== old.mapIndex)) {
      target[r] = UNKNOWN;
      changed = true;
    }
  }
  return changed;
}

/**
 * kernel: bpf_compute_const_regs — forward fixpoint in reverse postorder;
 * records in aux the registers holding u32-sized constants, map pointers and
 * subprog pointers before each insn.
 */
export function computeConstRegs(env: CfgEnv): void {
  const n = env.insns.length;
  const UNVISITED: ConstArg = { state: "UNVISITED", mapIndex: 0, val: 0n };
  const ciIn: ConstArg[][] = Array.from({ length: n }, () => new Array<ConstArg>(NREG).fill(UNVISITED));
  for (let i = 0; i < env.subprogCnt; i++) ciIn[env.subprogs[i]!.start]!.fill(UNKNOWN);
  // Only insns whose input changed since their last transfer are transferred again: the others
  // would re-join what their successors already hold (the join is idempotent).
  const stale = new Uint8Array(n).fill(1);
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = env.postorder.length - 1; i >= 0; i--) {
      const idx = env.postorder[i]!;
      if (!stale[idx]) continue;
      stale[idx] = 0;
      const out = ciIn[idx]!.slice();
      xfer(env, out, env.insns[idx]!, idx);
      for (const s of insnSuccessors(env, idx)) {
        if (join(ciIn[s]!, out)) {
          changed = true;
          stale[s] = 1;
        }
      }
    }
  }
  for (let i = 0; i < n; i++) {
    const aux = env.aux[i]!;
    let mask = 0;
    let mapMask = 0;
    let spMask = 0;
    for (let r = 0; r < 10; r++) {
      const c = ciIn[i]![r]!;
      if (c.state === "CONST") {
        if (c.val > 0xffffffffn) continue;
        mask |= 1 << r;
        aux.constRegVals[r] = Number(c.val);
      } else if (c.state === "MAP_PTR") {
        mapMask |= 1 << r;
        aux.constRegVals[r] = c.mapIndex;
      } else if (c.state === "SUBPROG") {
        spMask |= 1 << r;
        aux.constRegVals[r] = Number(c.val);
      }
    }
    aux.constRegMask = mask;
    aux.constRegMapMask = mapMask;
    aux.constRegSubprogMask = spMask;
  }
}

// kernel: eval_const_branch — 1 taken, 0 not taken, -1 not a compare.
function evalConstBranch(code: number, d: bigint, s: bigint): number {
  switch (bpfOp(code)) {
    case BPF_JEQ: return d === s ? 1 : 0;
    case BPF_JNE: return d !== s ? 1 : 0;
    case BPF_JGT: return d > s ? 1 : 0;
    case BPF_JGE: return d >= s ? 1 : 0;
    case BPF_JLT: return d < s ? 1 : 0;
    case BPF_JLE: return d <= s ? 1 : 0;
    case BPF_JSGT: return s64(d) > s64(s) ? 1 : 0;
    case BPF_JSGE: return s64(d) >= s64(s) ? 1 : 0;
    case BPF_JSLT: return s64(d) < s64(s) ? 1 : 0;
    case BPF_JSLE: return s64(d) <= s64(s) ? 1 : 0;
    case BPF_JSET: return (d & s) !== 0n ? 1 : 0;
    default: return -1;
  }
}

/**
 * kernel: bpf_prune_dead_branches — conditional jumps whose outcome the
 * constants decide become `goto +off` / `goto +0` in env.insns (the walk,
 * the log and the processed count see the rewritten insns); the postorder
 * is recomputed when anything changed. Returns the rewritten insn indexes.
 */
export function pruneDeadBranches(env: CfgEnv): number[] | CfgReject {
  const rewritten: number[] = [];
  for (let i = 0; i < env.insns.length; i++) {
    const insn = env.insns[i]!;
    const aux = env.aux[i]!;
    if (!isCondJump(insn.code) || isMayGoto(insn)) continue;
    if (!(aux.constRegMask & (1 << insn.dst))) continue;
    let d = BigInt(aux.constRegVals[insn.dst]! >>> 0);
    let s: bigint;
    if (bpfSrc(insn.code) === BPF_K) {
      s = u64(BigInt(insn.imm));
    } else {
      if (!(aux.constRegMask & (1 << insn.src))) continue;
      s = BigInt(aux.constRegVals[insn.src]! >>> 0);
    }
    if (bpfClass(insn.code) === BPF_JMP32) {
      // The (s32) cast keeps the u32 order within each half and puts the
      // negative half above the positive one as u64.
      d = u64(BigInt.asIntN(32, d));
      s = u64(BigInt.asIntN(32, s));
    }
    const taken = evalConstBranch(insn.code, d, s);
    if (taken < 0) return { errno: "EFAULT", message: `Unknown conditional jump ${insn.code.toString(16)}\n` };
    // kernel: BPF_JMP_A(off)
    env.insns[i] = { code: BPF_JMP | BPF_JA, dst: 0, src: 0, off: taken ? insn.off : 0, imm: 0 };
    rewritten.push(i);
  }
  if (rewritten.length > 0) computePostorder(env);
  return rewritten;
}
