// Stack arguments: the R11 slot rules on hand-built states (expected values
// from the kernel's check_stack_arg_write/read, check_outgoing_stack_args and
// reg_arg_name), and the corpus programs that exercise them, compared with
// what the 7.2 kernel recorded (verdict, processed insns, first error line).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { VerifierEnv, SubprogInfo } from "../env.js";
import type { VerifierState } from "../state/types.js";
import { newFuncState } from "../state/func.js";
import { markRegKnown, newReg } from "../state/reg.js";
import { Reject } from "../reject.js";
import { newPrecisionEnv } from "../precision/bt.js";
import {
  checkOutgoingStackArgs, checkStackArgRead, checkStackArgSlotUse, checkStackArgWrite, forEachStackArgReg, funcArgName,
  getFuncArgReg, inStackArgCnt, invalidateOutgoingStackArgs, noteOutgoingStackArgs,
} from "./index.js";
import { loadObject } from "../../loader/index.js";
import { loadBundledVmlinuxBtf } from "../../btf/source.js";
import { verifyProgram } from "../../api/verify-program.js";
import { loadCorpusLogs, loadCorpusPrograms, objectPath, programKey } from "../../selftest/corpus.js";
import { firstErrorLine } from "../../selftest/recorded.js";

function state(frames: number): VerifierState {
  const frame = [];
  for (let i = 0; i < frames; i++) frame.push(newFuncState(i === 0 ? -1 : 10 * i, i, i, true));
  return {
    frame, parent: null, refs: [], branches: 0, insnIdx: 0, curframe: frames - 1,
    activeLocks: 0, activePreemptLocks: 0, activeIrqId: 0, activeLockId: 0, activeLockPtr: null, activeRcuLocks: 0,
    speculative: false, inSleepable: false, firstInsnIdx: 0, lastInsnIdx: -1,
    equalState: null, jmpHistory: [], dfsDepth: 0, callbackUnrollDepth: 0, mayGotoDepth: 0,
  };
}

/** Just what the slot rules touch of an env: the state, subprog table, the insn (for BPF_ST's imm), the log. */
function fakeEnv(st: VerifierState, argCnts: number[], imm = 0): VerifierEnv & { out: string[] } {
  const out: string[] = [];
  const subprogs = argCnts.map((argCnt) => ({ argCnt, stackArgCnt: Math.max(0, argCnt - 5) }) as SubprogInfo);
  return {
    curState: st, subprogs, insns: [{ code: 0x7a, dst: 11, src: 0, off: -8, imm }], insnIdx: 0, prevInsnIdx: -1,
    bpfCapable: true, prec: newPrecisionEnv(), out, verbose: (s: string) => { out.push(s); },
  } as unknown as VerifierEnv & { out: string[] };
}

function rejected(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof Reject) return e.errno;
    throw e;
  }
  return "accepted";
}

test("reg_arg_name: R1..R5, then *(R11-8) for the sixth argument up to *(R11-56) for the twelfth", () => {
  assert.deepEqual([0, 4, 5, 6, 11].map(funcArgName), ["R1", "R5", "*(R11-8)", "*(R11-16)", "*(R11-56)"]);
});

test("bpf_in_stack_arg_cnt: only parameters past the fifth arrive through R11", () => {
  assert.deepEqual([0, 1, 5, 6, 12].map((argCnt) => inStackArgCnt({ argCnt })), [0, 0, 0, 1, 7]);
});

test("check_stack_arg_write: BPF_ST stores a known scalar, slots grow, offsets past arg 12 are refused", () => {
  const st = state(1);
  const env = fakeEnv(st, [1], -3);
  checkStackArgWrite(env, -16, null);
  const f = st.frame[0]!;
  assert.equal(f.outStackArgCnt, 2);
  assert.equal(f.stackArgRegs[0]!.type, "NOT_INIT", "the skipped slot stays uninitialized");
  assert.equal(f.stackArgRegs[1]!.type, "SCALAR_VALUE");
  assert.equal(f.stackArgRegs[1]!.varOff.value, (1n << 64n) - 3n, "the s32 immediate is sign-extended");
  assert.equal(f.noStackArgLoad, true);
  assert.equal(st.jmpHistory.at(-1)!.spi, 1);
  assert.equal(rejected(() => checkStackArgWrite(env, -64, null)), "EINVAL");
  assert.equal(env.out.at(-1), "stack arg write offset -64 exceeds max 7 stack args\n");
  // the highest slot written is what bpf_fixup_call_args compares with the calls' needs
  assert.equal(rejected(() => checkStackArgSlotUse(env)), "EINVAL");
  assert.equal(env.out.at(-1), "func#0 writes 2 stack arg slots, but calls only require 0\n");
  noteOutgoingStackArgs(env, 0, 2);
  assert.equal(rejected(() => checkStackArgSlotUse(env)), "accepted");
});

test("check_outgoing_stack_args: each argument past the fifth needs an initialized slot; a call spends them", () => {
  const st = state(1);
  const env = fakeEnv(st, [1]);
  const f = st.frame[0]!;
  const v = newReg();
  v.type = "SCALAR_VALUE";
  markRegKnown(v, 7n);
  checkStackArgWrite(env, -16, v);
  assert.equal(rejected(() => checkOutgoingStackArgs(env, f, 7)), "EFAULT");
  assert.equal(env.out.at(-1), "callee expects 7 args, stack arg1 is not initialized\n");
  checkStackArgWrite(env, -8, v);
  assert.equal(rejected(() => checkOutgoingStackArgs(env, f, 7)), "accepted");
  assert.equal(getFuncArgReg(f, f.regs, 6).varOff.value, 7n);
  assert.equal(getFuncArgReg(f, f.regs, 2), f.regs[3]);
  let seen = 0;
  forEachStackArgReg(f, () => seen++);
  assert.equal(seen, 2);
  invalidateOutgoingStackArgs(env, f);
  assert.equal(rejected(() => checkOutgoingStackArgs(env, f, 6)), "EFAULT");
  seen = 0;
  forEachStackArgReg(f, () => seen++);
  assert.equal(seen, 0, "spent slots are no registers any more");
});

test("check_stack_arg_read: the callee copies the caller's slot, before any R11 store or call, within its parameters", () => {
  const st = state(2);
  const env = fakeEnv(st, [1, 7]);
  const caller = st.frame[0]!, callee = st.frame[1]!;
  caller.outStackArgCnt = 2;
  caller.stackArgRegs = [newReg(), newReg()];
  caller.stackArgRegs[1]!.type = "SCALAR_VALUE";
  markRegKnown(caller.stackArgRegs[1]!, 42n);
  checkStackArgRead(env, 16, 3);
  assert.equal(callee.regs[3]!.varOff.value, 42n);
  assert.notEqual(callee.regs[3], caller.stackArgRegs[1], "a copy, not the slot itself");
  assert.equal(rejected(() => checkStackArgRead(env, 24, 3)), "EACCES");
  assert.equal(env.out.at(-1), "invalid read from stack arg off 24 depth 16\n");
  callee.noStackArgLoad = true;
  assert.equal(rejected(() => checkStackArgRead(env, 8, 3)), "EINVAL");
  assert.equal(env.out.at(-1), "r11 load must be before any r11 store or call insn\n");
});

/** The line that states the rejection (statistics lines dropped). */
function verdictLine(log: string): string {
  const stats = /^(verification time|stack depth|insns processed|processed \d+ insns)/;
  return firstErrorLine(log.split("\n").filter((l) => !stats.test(l)).join("\n"));
}

// Programs whose verdict rests on the R11 rules; expected: the 7.2 kernel's recording.
const CORPUS: [string, string[]][] = [
  ["verifier_stack_arg.bpf.o", ["stack_arg_read_uninitialized", "stack_arg_write_beyond_max"]],
  ["verifier_stack_arg_order.bpf.o", ["stack_arg_load_after_store"]],
];

test("corpus programs: verdict, processed insns and first error as the 7.2 kernel", () => {
  const programs = loadCorpusPrograms();
  const logs = loadCorpusLogs();
  const target = loadBundledVmlinuxBtf("7.2");
  const problems: string[] = [];
  for (const [object, names] of CORPUS) {
    const obj = loadObject(readFileSync(objectPath(object)), { targetBtf: target, file: object });
    for (const name of names) {
      const rec = programs.find((p) => p.object === object && p.program === name);
      const p = obj.programs.find((q) => q.name === name);
      if (!rec || !p) { problems.push(`${object}/${name}: not in the corpus`); continue; }
      const r = verifyProgram(p, { logLevel: 1, progFlags: rec.progFlags });
      const want = rec.kernel.loaded ? "success" : "failure";
      if (r.verdict !== want) { problems.push(`${name}: ${r.verdict} (${r.unsupported ?? ""}) vs ${want}`); continue; }
      if (rec.kernel.processedInsns !== null && r.insnsProcessed !== rec.kernel.processedInsns) {
        problems.push(`${name}: processed ${r.insnsProcessed} vs ${rec.kernel.processedInsns}`);
      }
      const klog = logs.get(programKey(object, name))?.log;
      if (want === "failure" && klog !== undefined && verdictLine(r.log) !== verdictLine(klog)) {
        problems.push(`${name}: '${verdictLine(r.log)}' vs '${verdictLine(klog)}'`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
