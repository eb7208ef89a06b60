// Backtracking rules on small programs, with expectations taken from the
// kernel's backtrack_insn / bpf_mark_chain_precision semantics (comments cite
// the rule) and from the selftests' __msg lines in verifier_precision.c.
import { test } from "node:test";
import assert from "node:assert/strict";
import { asm, assemble, FP, R0, R1, R2, R3, R6 } from "../../isa/asm.js";
import type { AsmItem } from "../../isa/asm.js";
import type { VerifierEnv } from "../env.js";
import type { JmpHistoryEntry, VerifierState } from "../state/types.js";
import { newFuncState } from "../state/func.js";
import { packLinkedRegs } from "../ops/scalar-ops.js";
import { backtrackInsn, ENOTSUPP, getPrevInsnIdx } from "./backtrack-insn.js";
import {
  btIsFrameRegSet, btIsFrameSlotSet, btReset, btSetFrameReg, btSyncLinkedRegs, fmtRegMask, fmtStackMask, INSN_F_STACK_ACCESS,
  newPrecisionEnv, unpackLinkedRegs,
} from "./bt.js";
import { markChainPrecisionFrom, propagatePrecision } from "./mark.js";

/** Just what backtracking reads from the env; the log collects level-2 lines. */
function fakeEnv(items: AsmItem[], level = 0): { env: VerifierEnv; log: string[] } {
  const insns = assemble(items).slots;
  const log: string[] = [];
  const env = {
    insns,
    insnAux: insns.map(() => ({ callsCallback: false })),
    subprogs: [{ start: 0, isGlobal: false }],
    findSubprog: (off: number) => (off === 0 ? 0 : -1),
    log: { level },
    verbose: (s: string) => { log.push(s); },
    insnText: (i: number) => `insn${i}\n`,
    prec: newPrecisionEnv(),
    bpfCapable: true,
  };
  return { env: env as unknown as VerifierEnv, log };
}

function regs(env: VerifierEnv, fr = 0): string {
  return fmtRegMask(env.prec.bt.regMasks[fr]!);
}

test("masks print as the kernel's fmt_reg_mask / bpf_fmt_stack_mask", () => {
  assert.equal(fmtRegMask(0x15), "r0,r2,r4");
  assert.equal(fmtStackMask(0x15n), "-8,-24,-40");
  assert.equal(fmtRegMask(0), "");
});

test("linked regs unpack what ops/jmp packs", () => {
  const packed = packLinkedRegs([{ frameno: 0, isReg: true, regno: 3 }, { frameno: 1, isReg: false, regno: 5 }]);
  const e = unpackLinkedRegs(packed);
  assert.equal(e.length, 2);
  assert.deepEqual(new Set(e.map((x) => `${x.frameno}:${x.isReg}:${x.regno}`)), new Set(["0:true:3", "1:false:5"]));
});

test("ALU: r1 = r2 moves the need to r2; r1 = K ends it; r1 += r2 adds r2", () => {
  const { env } = fakeEnv([asm.mov64.reg(R1, R2), asm.mov64.imm(R1, 5), asm.add64.reg(R1, R2), asm.mov64.reg(R1, FP)]);
  const bt = env.prec.bt;
  btSetFrameReg(bt, 0, R1);
  assert.equal(backtrackInsn(env, 0, 1, null, bt), null);
  assert.equal(regs(env), "r2");
  btReset(bt);
  btSetFrameReg(bt, 0, R1);
  backtrackInsn(env, 1, 2, null, bt);
  assert.equal(regs(env), "");
  btSetFrameReg(bt, 0, R1);
  backtrackInsn(env, 2, 3, null, bt);
  assert.equal(regs(env), "r1,r2");
  btReset(bt);
  // r10 never needs precision (kernel: sreg != BPF_REG_FP).
  btSetFrameReg(bt, 0, R1);
  backtrackInsn(env, 3, 4, null, bt);
  assert.equal(regs(env), "");
});

test("LDX from the stack passes precision to the slot only with an INSN_F_STACK_ACCESS history entry", () => {
  const { env } = fakeEnv([asm.ldx.u64(R2, FP, -16), asm.stx.u64(FP, -16, R3)]);
  const bt = env.prec.bt;
  btSetFrameReg(bt, 0, R2);
  backtrackInsn(env, 0, 1, null, bt);
  assert.equal(regs(env), "");
  assert.equal(bt.stackMasks[0], 0n);
  const hist: JmpHistoryEntry = { idx: 0, prevIdx: -1, frame: 0, spi: 1, flags: INSN_F_STACK_ACCESS, linkedRegs: 0n };
  btSetFrameReg(bt, 0, R2);
  backtrackInsn(env, 0, 1, hist, bt);
  assert.ok(btIsFrameSlotSet(bt, 0, 1));
  // The spill that filled fp-16 moves the need to r3.
  backtrackInsn(env, 1, 2, { ...hist, idx: 1 }, bt);
  assert.equal(bt.stackMasks[0], 0n);
  assert.equal(regs(env), "r3");
});

test("a store through a precise scalar is pointer arithmetic backtracking cannot follow", () => {
  const { env } = fakeEnv([asm.stx.u64(R1, 0, R2)]);
  btSetFrameReg(env.prec.bt, 0, R1);
  assert.equal(backtrackInsn(env, 0, 1, null, env.prec.bt), ENOTSUPP);
});

test("helper call: r0 is set by the call, r1-r5 still wanted is a verifier bug", () => {
  const { env } = fakeEnv([asm.call.helper("get_prandom_u32"), asm.exit()]);
  const bt = env.prec.bt;
  btSetFrameReg(bt, 0, R0);
  btSetFrameReg(bt, 0, R6);
  backtrackInsn(env, 0, 1, null, bt);
  assert.equal(regs(env), "r6");
  btReset(bt);
  btSetFrameReg(bt, 0, R1);
  assert.throws(() => backtrackInsn(env, 0, 1, null, bt));
});

test("conditional jump on two regs needs both; linked regs share precision", () => {
  const { env } = fakeEnv([asm.jgt.reg(R1, R2, 1), asm.exit(), asm.exit()]);
  const bt = env.prec.bt;
  btSetFrameReg(bt, 0, R1);
  backtrackInsn(env, 0, 1, null, bt);
  assert.equal(regs(env), "r1,r2");
  btReset(bt);
  const linked = packLinkedRegs([{ frameno: 0, isReg: true, regno: 1 }, { frameno: 0, isReg: true, regno: 6 }]);
  btSetFrameReg(bt, 0, R6);
  btSyncLinkedRegs(bt, { idx: 0, prevIdx: -1, frame: 0, spi: 0, flags: 0, linkedRegs: linked });
  assert.ok(btIsFrameRegSet(bt, 0, R1));
});

test("level-2 line has the kernel's shape", () => {
  const { env, log } = fakeEnv([asm.mov64.reg(R1, R2)], 2);
  btSetFrameReg(env.prec.bt, 0, R1);
  backtrackInsn(env, 0, 1, null, env.prec.bt);
  assert.equal(log.join(""), "mark_precise: frame0: regs=r1 stack= before 0: insn0\n");
});

function state(first: number, insnIdx: number, hist: JmpHistoryEntry[]): VerifierState {
  const f = newFuncState(-1, 0, 0, true);
  return {
    frame: [f], parent: null, refs: [], branches: 1, insnIdx, curframe: 0, activeLocks: 0, activePreemptLocks: 0, activeIrqId: 0,
    activeLockId: 0, activeLockPtr: null, activeRcuLocks: 0, speculative: false, inSleepable: false, firstInsnIdx: first,
    lastInsnIdx: -1, equalState: null, jmpHistory: hist, dfsDepth: 0, callbackUnrollDepth: 0, mayGotoDepth: 0,
  };
}

test("get_prev_insn_idx follows recorded jumps, and a loop back to first_idx continues while history remains", () => {
  // 3 -> 4 -> 5 -> (jump) 3 -> 4 within one state whose first insn is 3.
  const st = state(3, 4, [{ idx: 3, prevIdx: 5, frame: 0, spi: 0, flags: 0, linkedRegs: 0n }]);
  const h = { cnt: 1 };
  assert.equal(getPrevInsnIdx(st, 4, h), 3);
  assert.equal(getPrevInsnIdx(st, 3, h), null);
  const st2 = state(3, 4, [
    { idx: 3, prevIdx: 2, frame: 0, spi: 0, flags: 0, linkedRegs: 0n },
    { idx: 3, prevIdx: 5, frame: 0, spi: 0, flags: 0, linkedRegs: 0n },
  ]);
  const h2 = { cnt: 2 };
  assert.equal(getPrevInsnIdx(st2, 3, h2), 5);
  assert.equal(h2.cnt, 1);
  assert.equal(getPrevInsnIdx(st2, 5, h2), 4);
  assert.equal(getPrevInsnIdx(st2, 4, h2), 3);
  assert.equal(getPrevInsnIdx(st2, 3, h2), null);
});

test("mark_chain_precision marks the parent's register, not the current state's", () => {
  // 0: r1 = 7 | checkpoint at 1 | 1: r0 = r1 ; 2: (ask r0)
  const { env } = fakeEnv([asm.mov64.imm(R1, 7), asm.mov64.reg(R0, R1), asm.exit()]);
  const parent = state(0, 1, []);
  parent.lastInsnIdx = 0;
  const cur = state(1, 2, []);
  cur.parent = parent;
  for (const s of [parent, cur]) for (const r of s.frame[0]!.regs) r.type = "SCALAR_VALUE";
  markChainPrecisionFrom(env, cur, R0, null);
  // r0 <- r1 at insn 1 (in cur); the parent (at insn 1) holds r1, which becomes precise there,
  // and backtracking stops at the constant assignment without falling back.
  assert.equal(parent.frame[0]!.regs[R1]!.precise, true);
  assert.equal(parent.frame[0]!.regs[R2]!.precise, false);
  assert.equal(cur.frame[0]!.regs[R0]!.precise, false);
});

test("propagate_precision lists the old state's precise scalars as the kernel prints them", () => {
  const { env, log } = fakeEnv([asm.mov64.imm(R1, 1), asm.exit()], 2);
  const old = state(0, 1, []);
  const f = old.frame[0]!;
  f.regs[R1]!.type = "SCALAR_VALUE";
  f.regs[R1]!.precise = true;
  f.regs[R3]!.type = "SCALAR_VALUE";
  f.allocatedStack = 16;
  while (f.stack.length < 2) f.stack.push({ spilledPtr: { ...f.regs[R3]! }, slotType: [0, 0, 0, 0, 0, 0, 0, 0] });
  f.stack[1] = { spilledPtr: { ...f.regs[R1]! }, slotType: [1, 1, 1, 1, 1, 1, 1, 1] };
  // A current state with no history: everything is asked of insn 0 (r1 = 1) and the root state.
  const cur = state(0, 1, []);
  cur.frame[0]!.regs[R1]!.type = "SCALAR_VALUE";
  env.prec.bt.frame = 0;
  const before = log.length;
  propagatePrecision(env, old, cur, null);
  assert.equal(log.slice(before, before + 3).join(""), "frame 0: propagating r1,fp-16\n");
});
