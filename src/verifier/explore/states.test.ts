// Where checkpoints are looked up and added (kernel: bpf_explored_state, bpf_is_state_visited),
// checked on hand-built envs and on the real-world object whose processed count depends on it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { VerifierEnv } from "../env.js";
import type { VerifierState } from "../state/types.js";
import { newFuncState } from "../state/func.js";
import { exploredBucket } from "./states.js";
import { loadObject } from "../../loader/index.js";
import { verifyProgram } from "../../api/verify-program.js";
import { corpusDir } from "../../selftest/index.js";

function stateIn(callsites: number[]): VerifierState {
  const frame = callsites.map((c, i) => newFuncState(c, i, i, true));
  return { frame, curframe: frame.length - 1 } as unknown as VerifierState;
}

function envAt(st: VerifierState, progLen: number): VerifierEnv {
  return { curState: st, insns: new Array(progLen).fill(null), explored: new Map() } as unknown as VerifierEnv;
}

test("bpf_explored_state: the bucket is (insn ^ innermost callsite) mod prog len, unsigned for the main frame", () => {
  const main = envAt(stateIn([-1]), 152);
  exploredBucket(main, 48);
  // (48 ^ -1) as u32 = 0xffffffcf; mod 152
  assert.deepEqual([...main.explored.keys()], [0xffffffcf % 152]);
  const env = envAt(stateIn([-1, 4]), 152);
  const first = exploredBucket(env, 48);
  assert.equal(exploredBucket(env, 48), first, "same insn, same callsite: the same list");
  env.curState.frame[1]!.callsite = 10;
  assert.notEqual(exploredBucket(env, 48), first, "a second call site of the subprog has its own checkpoints");
  assert.deepEqual([...env.explored.keys()], [48 ^ 4, 48 ^ 10]);
});

// libbpf's usdt.bpf.h: bpf_usdt_arg is a hidden global, so libbpf makes it static and it is
// verified inline in each call. The second call (arg 1, from insn 10) must not see the first
// call's checkpoints at 48 and 62: the kernel adds fresh ones there (first_idx 48 and 62 in its
// level-2 log), which moves every later checkpoint: 328 insns as on 7.2, not 323.
test("usdt_probe (tools2.bpf.o): a static subprog called twice checkpoints its second call afresh", () => {
  const dir = join(corpusDir(), "realworld", "objs");
  const lo = loadObject(readFileSync(join(dir, "tools2.bpf.o")), { file: "tools2.bpf.o" });
  const r = verifyProgram(lo.programs.find((p) => p.name === "usdt_probe")!, { logLevel: 2 });
  assert.equal(r.verdict, "success");
  assert.equal(r.insnsProcessed, 328);
  assert.equal(r.totalStates, 19);
  assert.match(r.log, /mark_precise: frame1: last_idx 34 first_idx 5 subseq_idx 48 \n/);
  assert.doesNotMatch(r.log, /first_idx 63 /);
});
