// Direct packet access: which program types may touch packet bytes, the
// bounds a comparison with pkt_end proves, and the invalidation of every
// packet pointer when a helper may move the packet.
// kernel: verifier.c (may_access_direct_pkt_data, check_packet_access,
// find_good_pkt_pointers, mark_pkt_end, try_match_pkt_pointers,
// is_pkt_ptr_branch_taken, clear_all_pkt_pointers, reg_is_init_pkt_pointer)
import { forEachStackArgReg } from "../stackargs/index.js";
import type { VerifierEnv } from "../env.js";
import type { RawInsn } from "../../isa/raw.js";
import type { RegState, VerifierState } from "../state/types.js";
import { BPF_REG_SIZE, STACK_SPILL } from "../state/types.js";
import { DYNPTR_TYPE_SKB, DYNPTR_TYPE_SKB_META, DYNPTR_TYPE_XDP, type BaseRegType } from "../state/reg-type.js";
import { markRegUnknown } from "../state/reg.js";
import { regUmax } from "../state/scalar-bridge.js";
import { reject } from "../reject.js";
import { checkMemRegionAccess } from "../memory/region.js";
import { BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JMP32, BPF_X, bpfClass, bpfOp, bpfSrc } from "../cfg/opcodes.js";

/** kernel: MAX_PACKET_OFF */
export const MAX_PACKET_OFF = 0xffff;
/** reg->range encodings of a packet pointer known to sit at / beyond pkt_end (kernel: AT_PKT_END, BEYOND_PKT_END). */
export const AT_PKT_END = -1;
export const BEYOND_PKT_END = -2;

/** Program types that may only read packet data directly. */
const PKT_READ_ONLY = new Set(["BPF_PROG_TYPE_LWT_IN", "BPF_PROG_TYPE_LWT_OUT", "BPF_PROG_TYPE_LWT_SEG6LOCAL",
  "BPF_PROG_TYPE_SK_REUSEPORT", "BPF_PROG_TYPE_FLOW_DISSECTOR", "BPF_PROG_TYPE_CGROUP_SKB"]);
/** Program types that may read and write packet data directly. */
const PKT_READ_WRITE = new Set(["BPF_PROG_TYPE_SCHED_CLS", "BPF_PROG_TYPE_SCHED_ACT", "BPF_PROG_TYPE_XDP",
  "BPF_PROG_TYPE_LWT_XMIT", "BPF_PROG_TYPE_SK_SKB", "BPF_PROG_TYPE_SK_MSG"]);

/**
 * kernel: may_access_direct_pkt_data. `helperPktAccess` is the helper
 * prototype's pkt_access when a helper argument is checked, undefined for
 * the program's own loads and stores.
 */
export function mayAccessDirectPktData(progType: string, write: boolean, helperPktAccess?: boolean): boolean {
  if (PKT_READ_ONLY.has(progType) && write) return false;
  if (PKT_READ_ONLY.has(progType) || PKT_READ_WRITE.has(progType)) return helperPktAccess ?? true;
  return progType === "BPF_PROG_TYPE_CGROUP_SOCKOPT";
}

/** kernel: check_packet_access */
export function checkPacketAccess(env: VerifierEnv, reg: RegState, argName: string, off: number, size: number, zeroSizeAllowed: boolean): void {
  if (reg.range < 0) reject(env, "EINVAL", `${argName} offset is outside of the packet\n`);
  checkMemRegionAccess(env, reg, argName, off, size, reg.range, zeroSizeAllowed);
}

/** Every register and spilled register of the state's live frames (kernel: bpf_for_each_reg_in_vstate). */
export function forEachRegInState(st: VerifierState, fn: (r: RegState) => void): void {
  for (let i = 0; i <= st.curframe; i++) {
    const f = st.frame[i]!;
    for (const r of f.regs) fn(r);
    for (let j = 0; j < f.allocatedStack / BPF_REG_SIZE; j++) {
      const s = f.stack[j]!;
      if (s.slotType[BPF_REG_SIZE - 1] === STACK_SPILL) fn(s.spilledPtr);
    }
    // kernel: bpf_for_each_reg_in_vstate also walks the outgoing stack arguments.
    forEachStackArgReg(f, fn);
  }
}

function isPktPointerAny(r: RegState): boolean {
  return r.type === "PTR_TO_PACKET" || r.type === "PTR_TO_PACKET_META" || r.type === "PTR_TO_PACKET_END";
}

/** kernel: reg_is_dynptr_slice_pkt (DYNPTR_TYPE_SKB_META shares the SKB bit in our flag numbering, if any) */
function isDynptrSlicePkt(r: RegState): boolean {
  return r.type === "PTR_TO_MEM" && (r.flags & (DYNPTR_TYPE_SKB | DYNPTR_TYPE_XDP | DYNPTR_TYPE_SKB_META)) !== 0;
}

/**
 * kernel: clear_all_pkt_pointers — after a helper that may move packet data
 * (bpf_helper_changes_pkt_data), every packet pointer and packet dynptr slice
 * becomes an unknown scalar (mark_reg_invalid with allow_ptr_leaks).
 */
export function clearAllPktPointers(env: VerifierEnv): void {
  forEachRegInState(env.curState, (r) => {
    if (isPktPointerAny(r) || isDynptrSlicePkt(r)) markRegUnknown(r, env.bpfCapable);
  });
}

/** kernel: reg_is_init_pkt_pointer — straight from the ctx load, not advanced. */
function isInitPktPointer(r: RegState, which: BaseRegType): boolean {
  return r.type === which && r.id === 0 && r.varOff.mask === 0n && r.varOff.value === 0n;
}

/** kernel: find_good_pkt_pointers — `dst` was compared with the end: every copy of it gains a range. */
function findGoodPktPointers(st: VerifierState, dst: RegState, type: BaseRegType, rangeRightOpen: boolean): void {
  const umax = regUmax(dst);
  if (umax === 0n && rangeRightOpen) return;
  // Beyond this, ptr + x could wrap below pkt and still compare below pkt_end.
  if (umax > BigInt(MAX_PACKET_OFF)) return;
  const newRange = Number(umax) + (rangeRightOpen ? 1 : 0);
  const id = dst.id;
  forEachRegInState(st, (r) => {
    if (r.type === type && r.id === id && r.range < newRange) r.range = newRange;
  });
}

/** kernel: mark_pkt_end — `regno` is known to be at (or past) pkt_end in this branch. */
function markPktEnd(st: VerifierState, regno: number, rangeOpen: boolean): void {
  const r = st.frame[st.curframe]!.regs[regno]!;
  // PTR_TO_PACKET_META is not tracked this way (as in the kernel).
  if (r.type !== "PTR_TO_PACKET") return;
  r.range = rangeOpen ? BEYOND_PKT_END : AT_PKT_END;
}

/**
 * kernel: try_match_pkt_pointers — `if (pkt' OP pkt_end)` and the meta/data
 * forms. `thisBranch` is the fall-through state, `otherBranch` the taken one.
 */
export function tryMatchPktPointers(insn: RawInsn, dst: RegState, src: RegState, thisBranch: VerifierState, otherBranch: VerifierState): boolean {
  if (bpfSrc(insn.code) !== BPF_X) return false;
  if (bpfClass(insn.code) === BPF_JMP32) return false;
  // "lhs' vs end": dst is the advanced pointer; "end vs rhs'": src is.
  const dstIsData = (dst.type === "PTR_TO_PACKET" && src.type === "PTR_TO_PACKET_END")
    || (dst.type === "PTR_TO_PACKET_META" && isInitPktPointer(src, "PTR_TO_PACKET"));
  const srcIsData = (dst.type === "PTR_TO_PACKET_END" && src.type === "PTR_TO_PACKET")
    || (isInitPktPointer(dst, "PTR_TO_PACKET") && src.type === "PTR_TO_PACKET_META");
  if (!dstIsData && !srcIsData) return false;
  const op = bpfOp(insn.code);
  switch (op) {
    case BPF_JGT:
      if (dstIsData) {
        findGoodPktPointers(thisBranch, dst, dst.type, false);
        markPktEnd(otherBranch, insn.dst, true);
      } else {
        findGoodPktPointers(otherBranch, src, src.type, true);
        markPktEnd(thisBranch, insn.src, false);
      }
      return true;
    case BPF_JLT:
      if (dstIsData) {
        findGoodPktPointers(otherBranch, dst, dst.type, true);
        markPktEnd(thisBranch, insn.dst, false);
      } else {
        findGoodPktPointers(thisBranch, src, src.type, false);
        markPktEnd(otherBranch, insn.src, true);
      }
      return true;
    case BPF_JGE:
      if (dstIsData) {
        findGoodPktPointers(thisBranch, dst, dst.type, true);
        markPktEnd(otherBranch, insn.dst, false);
      } else {
        findGoodPktPointers(otherBranch, src, src.type, false);
        markPktEnd(thisBranch, insn.src, true);
      }
      return true;
    case BPF_JLE:
      if (dstIsData) {
        findGoodPktPointers(otherBranch, dst, dst.type, false);
        markPktEnd(thisBranch, insn.dst, true);
      } else {
        findGoodPktPointers(thisBranch, src, src.type, true);
        markPktEnd(otherBranch, insn.src, false);
      }
      return true;
    default:
      return false;
  }
}

/** kernel: flip_opcode for the four unsigned comparisons is_pkt_ptr_branch_taken looks at. */
function flip(op: number): number {
  switch (op) {
    case BPF_JGT: return BPF_JLT;
    case BPF_JLT: return BPF_JGT;
    case BPF_JGE: return BPF_JLE;
    case BPF_JLE: return BPF_JGE;
    default: return op;
  }
}

/** kernel: is_pkt_ptr_branch_taken — 1 taken, 0 not taken, -1 unknown. */
export function isPktPtrBranchTaken(dst: RegState, src: RegState, opcode: number): number {
  let pkt: RegState;
  let op = opcode;
  if (src.type === "PTR_TO_PACKET_END") pkt = dst;
  else if (dst.type === "PTR_TO_PACKET_END") {
    pkt = src;
    op = flip(op);
  } else return -1;
  if (pkt.range >= 0) return -1;
  switch (op) {
    case BPF_JLE:
    case BPF_JGT:
      // At least one byte beyond pkt_end.
      if (pkt.range === BEYOND_PKT_END) return op === BPF_JGT ? 1 : 0;
      break;
    case BPF_JLT:
    case BPF_JGE:
      if (pkt.range === BEYOND_PKT_END || pkt.range === AT_PKT_END) return op === BPF_JGE ? 1 : 0;
      break;
  }
  return -1;
}
