// Control-flow rules: widening and loop entries on hand-built states, gotox
// targets and messages, and whole programs of the corpus that need
// callbacks, may_goto, gotox, tail calls or LD_ABS, compared with what the
// 7.2 kernel recorded for them (verdict, processed insns, first error line).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import type { VerifierEnv } from "../env.js";
import type { MapInfo } from "../input.js";
import type { VerifierState } from "../state/types.js";
import { STACK_SPILL } from "../state/types.js";
import { newFuncState } from "../state/func.js";
import { markRegKnown, markRegKnownZero } from "../state/reg.js";
import { Reject } from "../reject.js";
import { widenImpreciseScalars, findPrevEntry } from "./loop-entry.js";
import { loopEntryVerdict } from "./loop-states.js";
import { checkIndirectJump, insnArrayTargets } from "./gotox.js";
import { asm, assemble, R1 } from "../../isa/asm.js";
import { loadObject } from "../../loader/index.js";
import { loadBundledVmlinuxBtf } from "../../btf/source.js";
import { verifyProgram } from "../../api/verify-program.js";
import { loadCorpusLogs, loadCorpusPrograms, objectPath, programKey } from "../../selftest/corpus.js";
import { firstErrorLine } from "../../selftest/recorded.js";

function state(frames = 1): VerifierState {
  const frame = [];
  for (let i = 0; i < frames; i++) frame.push(newFuncState(i === 0 ? -1 : 10 * i, i, i, true));
  return {
    frame, parent: null, refs: [], branches: 0, insnIdx: 0, curframe: frames - 1,
    activeLocks: 0, activePreemptLocks: 0, activeIrqId: 0, activeLockId: 0, activeLockPtr: null, activeRcuLocks: 0,
    speculative: false, inSleepable: false, firstInsnIdx: 0, lastInsnIdx: -1,
    equalState: null, jmpHistory: [], dfsDepth: 0, callbackUnrollDepth: 0, mayGotoDepth: 0,
  };
}

function scalar(st: VerifierState, regno: number, v: bigint, precise = false): void {
  const r = st.frame[st.curframe]!.regs[regno]!;
  r.type = "SCALAR_VALUE";
  markRegKnown(r, v);
  r.precise = precise;
}

const envStub = { bpfCapable: true } as unknown as VerifierEnv;

test("widen_imprecise_scalars: a changed imprecise scalar becomes unknown; precise, unchanged and pointer registers stay", () => {
  const old = state(), cur = state();
  scalar(old, 1, 1n); scalar(cur, 1, 2n);
  scalar(old, 2, 1n, true); scalar(cur, 2, 2n);
  scalar(old, 3, 7n); scalar(cur, 3, 7n);
  for (const s of [old, cur]) {
    const f = s.frame[0]!;
    f.allocatedStack = 16;
    f.stack.push({ spilledPtr: { ...f.regs[3]! }, slotType: Array(8).fill(STACK_SPILL) });
    f.stack.push({ spilledPtr: { ...f.regs[1]! }, slotType: Array(8).fill(STACK_SPILL) });
  }
  widenImpreciseScalars(envStub, old, cur);
  const regs = cur.frame[0]!.regs;
  assert.equal(regs[1]!.varOff.mask, (1n << 64n) - 1n, "r1 widened");
  assert.equal(regs[2]!.varOff.value, 2n, "old precise: kept");
  assert.equal(regs[3]!.varOff.value, 7n, "same value: kept");
  assert.equal(regs[10]!.type, "PTR_TO_STACK");
  assert.equal(cur.frame[0]!.stack[0]!.spilledPtr.varOff.value, 7n, "spills equal in both states: kept");
  assert.equal(cur.frame[0]!.stack[1]!.spilledPtr.varOff.mask, (1n << 64n) - 1n, "changed spill: widened");
});

test("find_prev_entry: the nearest on-path checkpoint at the insn with the same callsites and a smaller dfs depth", () => {
  const a = state(); a.insnIdx = 5; a.branches = 1; a.dfsDepth = 1;
  const done = state(); done.insnIdx = 5; done.branches = 0; done.dfsDepth = 0;
  const other = state(2); other.insnIdx = 5; other.branches = 1; other.dfsDepth = 0;
  const cur = state(); cur.dfsDepth = 3;
  // A one-insn program: every insn hashes to the one bucket, so the insn itself must be compared.
  const list = [other, done, a].map((s) => ({ state: s, missCnt: 0, hitCnt: 0, inFreeList: false }));
  const env = { curState: cur, insns: [null], explored: new Map([[0, list]]) } as unknown as VerifierEnv;
  assert.equal(findPrevEntry(env, cur, 5), a);
  assert.equal(findPrevEntry(env, cur, 6), null);
  cur.dfsDepth = 1;
  assert.equal(findPrevEntry(env, cur, 5), null, "not deeper than the entry");
});

test("may_goto loop rule: a RANGE_WITHIN match counts as convergence only across different may_goto depths", () => {
  const insns = assemble([asm.mayGoto(0), asm.exit()]).slots;
  const env = { insns, insnAux: insns.map(() => ({ isIterNext: false, callsCallback: false })) } as unknown as VerifierEnv;
  const old = state(), cur = state();
  const eq = () => true;
  assert.equal(loopEntryVerdict(env, old, cur, 0, eq), "check");
  cur.mayGotoDepth = 1;
  assert.equal(loopEntryVerdict(env, old, cur, 0, eq), "hit");
  assert.equal(loopEntryVerdict(env, old, cur, 0, () => false), "check");
  (env.insnAux[1] as { callsCallback: boolean }).callsCallback = true;
  assert.equal(loopEntryVerdict(env, old, cur, 1, () => false), "skip", "calls_callback: never the infinite-loop check");
});

test("bpf_copy_insn_array_uniq: the selected slots' targets, sorted, without duplicates", () => {
  const map = { insnOffsets: [9, 3, 9, 5, 3] } as MapInfo;
  assert.deepEqual(insnArrayTargets(map, 0, 4), [3, 5, 9]);
  assert.deepEqual(insnArrayTargets(map, 2, 3), [5, 9]);
});

function gotoxEnv(st: VerifierState): { env: VerifierEnv; log: string[] } {
  const log: string[] = [];
  const env = { curState: st, insnIdx: 4, branchStack: [], log: { pos: 0, level: 1 }, verbose: (s: string) => log.push(s) };
  return { env: env as unknown as VerifierEnv, log };
}

test("check_indirect_jump: type and table-range messages; queues every target but the last", () => {
  const insn = assemble([asm.gotox(R1)]).slots[0]!;
  const st = state();
  scalar(st, 1, 0n);
  const { env, log } = gotoxEnv(st);
  assert.throws(() => checkIndirectJump(env, insn), Reject);
  assert.equal(log.join(""), "R1 has type scalar, expected PTR_TO_INSN\n");

  const map = { name: "jt", type: "BPF_MAP_TYPE_INSN_ARRAY", keySize: 4, valueSize: 8, maxEntries: 3, flags: 0, insnOffsets: [7, 2, 7] } as MapInfo;
  const r1 = st.frame[0]!.regs[1]!;
  r1.type = "PTR_TO_INSN";
  markRegKnownZero(r1);
  r1.map = map;
  r1.varOff = { value: 0n, mask: 0x18n }; // offsets 0, 8, 16, 24
  r1.r64 = { base: 0n, size: 24n };
  const b = gotoxEnv(st);
  assert.throws(() => checkIndirectJump(b.env, insn), Reject);
  assert.equal(b.log.join(""), "R1 points to outside of jump table: [0,3] max_entries 3\n");

  r1.r64 = { base: 0n, size: 16n };
  const c = gotoxEnv(st);
  assert.equal(checkIndirectJump(c.env, insn).code, 2);
  assert.equal(c.env.insnIdx, 7);
  assert.deepEqual(c.env.branchStack.map((e) => e.insnIdx), [2]);
});

/**
 * The line that states the rejection. Not firstErrorLine: an infinite loop is
 * followed by state dumps (which also show dead registers the kernel cleans:
 * not this folder's rule), and some messages have no newline so the
 * statistics follow on the same line.
 */
function verdictLine(log: string): string {
  const stats = /^(verification time|stack depth|insns processed|processed \d+ insns)/;
  const lines = log.split("\n").filter((l) => !stats.test(l)).map((l) => l.replace(/(verification time|processed) \d+.*$/, ""));
  const inf = lines.find((l) => l.startsWith("infinite loop detected"));
  return inf ?? firstErrorLine(lines.join("\n"));
}

// Programs whose verification goes through this folder's rules. Expected: the 7.2 kernel's recording.
const CORPUS: [string, string[]][] = [
  ["verifier_iterating_callbacks.bpf.o", ["unsafe_on_2nd_iter", "unsafe_on_zero_iter", "widening", "loop_detection", "bpf_loop_iter_limit_ok",
    "bpf_loop_iter_limit_overflow", "bpf_loop_iter_limit_nested", "may_goto_self", "cond_break1", "cond_break4", "check_add_const"]],
  ["verifier_may_goto_1.bpf.o", ["may_goto_simple", "may_goto_batch_0", "may_goto_batch_1", "may_goto_batch_2"]],
  ["verifier_gotox.bpf.o", ["jump_table_add_sub_ok", "jump_table_use_reg_r0", "jump_table_contains_non_unique_values", "jump_table_incorrect_dst_reg_type"]],
  ["verifier_tailcall.bpf.o", ["invalid_map_for_tail_call"]],
  ["verifier_ld_ind.bpf.o", ["ind_check_calling_conv_r1", "ind_check_calling_conv_r7", "ld_abs_subprog_early_exit", "ld_ind_subprog_early_exit", "ld_abs_subprog_both_paths_safe"]],
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
