// Packet-pointer rules on hand-built states, against the cases spelled out in
// the comments of find_good_pkt_pointers / try_match_pkt_pointers (verifier.c).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { RegState, VerifierState } from "../state/types.js";
import { newFuncState } from "../state/func.js";
import { tnumConst, cnum64FromURange, cnum32FromURange } from "../state/scalar-bridge.js";
import { AT_PKT_END, BEYOND_PKT_END, isPktPtrBranchTaken, mayAccessDirectPktData, tryMatchPktPointers } from "./index.js";
import { BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JMP, BPF_JMP32, BPF_X } from "../cfg/opcodes.js";

function state(): VerifierState {
  return {
    frame: [newFuncState(-1, 0, 0, true)], parent: null, refs: [], branches: 1, insnIdx: 0, curframe: 0,
    activeLocks: 0, activePreemptLocks: 0, activeIrqId: 0, activeLockId: 0, activeLockPtr: null, activeRcuLocks: 0,
    speculative: false, inSleepable: false, firstInsnIdx: 0, lastInsnIdx: 0, equalState: null, jmpHistory: [],
    dfsDepth: 0, callbackUnrollDepth: 0, mayGotoDepth: 0,
  };
}

/** A packet pointer `off` bytes past the start, sharing `id` with its copies. */
function pkt(r: RegState, type: RegState["type"], id: number, off: number): void {
  r.type = type;
  r.flags = 0;
  r.id = id;
  r.range = 0;
  r.varOff = tnumConst(BigInt(off));
  r.r64 = cnum64FromURange(BigInt(off), BigInt(off));
  r.r32 = cnum32FromURange(BigInt(off), BigInt(off));
}

/** r2 = pkt(id=1, off=8), r3 = pkt(id=1, off=0), r4 = pkt_end; two branch copies. */
function setup(): { fall: VerifierState; taken: VerifierState } {
  const mk = () => {
    const st = state();
    const regs = st.frame[0]!.regs;
    pkt(regs[2]!, "PTR_TO_PACKET", 1, 8);
    pkt(regs[3]!, "PTR_TO_PACKET", 1, 0);
    pkt(regs[4]!, "PTR_TO_PACKET_END", 0, 0);
    return st;
  };
  return { fall: mk(), taken: mk() };
}

const jmp = (op: number, dst: number, src: number, cls = BPF_JMP) => ({ code: cls | op | BPF_X, dst, src, off: 0, imm: 0 });
const regs = (st: VerifierState) => st.frame[0]!.regs;

test("if r2 > pkt_end goto: the fall-through knows 8 bytes past r3, the taken side is beyond the end", () => {
  const { fall, taken } = setup();
  assert.ok(tryMatchPktPointers(jmp(BPF_JGT, 2, 4), regs(fall)[2]!, regs(fall)[4]!, fall, taken));
  assert.equal(regs(fall)[3]!.range, 8);
  assert.equal(regs(fall)[2]!.range, 8);
  assert.equal(regs(taken)[3]!.range, 0);
  assert.equal(regs(taken)[2]!.range, BEYOND_PKT_END);
});

test("if r2 < pkt_end goto: the taken side gets r=9 (right-open), the fall-through is at the end", () => {
  const { fall, taken } = setup();
  assert.ok(tryMatchPktPointers(jmp(BPF_JLT, 2, 4), regs(fall)[2]!, regs(fall)[4]!, fall, taken));
  assert.equal(regs(taken)[3]!.range, 9);
  assert.equal(regs(fall)[2]!.range, AT_PKT_END);
});

test("if pkt_end >= r2 goto: the taken side gets r=8", () => {
  const { fall, taken } = setup();
  assert.ok(tryMatchPktPointers(jmp(BPF_JGE, 4, 2), regs(fall)[4]!, regs(fall)[2]!, fall, taken));
  assert.equal(regs(taken)[3]!.range, 8);
  assert.equal(regs(fall)[2]!.range, BEYOND_PKT_END);
});

test("32-bit comparisons and non-packet operands learn nothing", () => {
  const { fall, taken } = setup();
  assert.equal(tryMatchPktPointers(jmp(BPF_JLE, 2, 4, BPF_JMP32), regs(fall)[2]!, regs(fall)[4]!, fall, taken), false);
  assert.equal(tryMatchPktPointers(jmp(BPF_JLE, 2, 5), regs(fall)[2]!, regs(fall)[5]!, fall, taken), false);
  assert.equal(regs(fall)[3]!.range, 0);
});

test("is_pkt_ptr_branch_taken: only the pkt_end encodings decide a branch", () => {
  const st = state();
  const [, , p, , end] = regs(st);
  pkt(p!, "PTR_TO_PACKET", 1, 8);
  pkt(end!, "PTR_TO_PACKET_END", 0, 0);
  assert.equal(isPktPtrBranchTaken(p!, end!, BPF_JGT), -1);
  p!.range = BEYOND_PKT_END;
  assert.equal(isPktPtrBranchTaken(p!, end!, BPF_JGT), 1);
  assert.equal(isPktPtrBranchTaken(p!, end!, BPF_JLE), 0);
  assert.equal(isPktPtrBranchTaken(end!, p!, BPF_JLT), 1);
  p!.range = AT_PKT_END;
  assert.equal(isPktPtrBranchTaken(p!, end!, BPF_JGE), 1);
  assert.equal(isPktPtrBranchTaken(p!, end!, BPF_JLT), 0);
  assert.equal(isPktPtrBranchTaken(p!, end!, BPF_JGT), -1);
});

test("may_access_direct_pkt_data per program type", () => {
  assert.ok(mayAccessDirectPktData("BPF_PROG_TYPE_XDP", true));
  assert.ok(mayAccessDirectPktData("BPF_PROG_TYPE_CGROUP_SKB", false));
  assert.equal(mayAccessDirectPktData("BPF_PROG_TYPE_CGROUP_SKB", true), false);
  assert.equal(mayAccessDirectPktData("BPF_PROG_TYPE_SOCKET_FILTER", false), false);
  assert.equal(mayAccessDirectPktData("BPF_PROG_TYPE_SCHED_CLS", false, false), false);
  assert.ok(mayAccessDirectPktData("BPF_PROG_TYPE_CGROUP_SOCKOPT", true));
  assert.equal(mayAccessDirectPktData("BPF_PROG_TYPE_SOCK_OPS", false), false);
});
