// check_max_stack_depth on small call graphs. Expected figures follow the
// kernel's rules (verifier.c: 16-byte JIT rounding, MAX_BPF_STACK 512,
// BPF_PRIV_STACK_MIN_SIZE 64, "combined stack size of %d calls is %d").
import { test } from "node:test";
import assert from "node:assert/strict";
import type { VerifierEnv } from "../env.js";
import { Reject } from "../reject.js";
import { checkMaxStackDepth, roundUpStackDepth } from "./stack-depth.js";

const CALL = (imm: number) => ({ code: 0x85, dst: 0, src: 1, off: 0, imm });
const EXIT = { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 };

interface Sub { start: number; depth: number; global?: boolean; asyncCb?: boolean; tailCall?: boolean }

/** A stand-in for the env: only what the pass reads. */
function fakeEnv(progType: string, insns: typeof EXIT[], subs: Sub[], attach = "") {
  const log: string[] = [];
  const subprogs = subs.map((s) => ({
    start: s.start, stackDepth: s.depth, isGlobal: !!s.global, isAsyncCb: !!s.asyncCb, hasTailCall: !!s.tailCall,
    hasLdAbs: false, isCb: false, isExceptionCb: false, stackArgCnt: 0, mightThrow: false,
  }));
  const env = {
    input: { progType, expectedAttachType: attach },
    insns,
    insnAux: insns.map(() => ({ fastcallSpillsNum: 0 })),
    subprogs,
    maxStackDepth: 0,
    log: { level: 1 },
    verbose: (s: string) => log.push(s),
    findSubprog: (off: number) => subprogs.findIndex((s) => s.start === off),
  };
  return { env: env as unknown as VerifierEnv, log };
}

// main: call sub1; sub1: call sub2; sub2: exit
const CHAIN = [CALL(1), EXIT, CALL(1), EXIT, EXIT];

test("JIT rounding is to 16 bytes", () => {
  assert.equal(roundUpStackDepth(0), 0);
  assert.equal(roundUpStackDepth(1), 16);
  assert.equal(roundUpStackDepth(300), 304);
});

test("the deepest chain is the max; over 512 bytes it is rejected with the number of frames", () => {
  const ok = fakeEnv("BPF_PROG_TYPE_SCHED_CLS", CHAIN, [{ start: 0, depth: 8 }, { start: 2, depth: 100 }, { start: 4, depth: 24 }]);
  checkMaxStackDepth(ok.env);
  assert.equal(ok.env.maxStackDepth, 16 + 112 + 32);

  const bad = fakeEnv("BPF_PROG_TYPE_SCHED_CLS", CHAIN, [{ start: 0, depth: 256 }, { start: 2, depth: 200 }, { start: 4, depth: 64 }]);
  assert.throws(() => checkMaxStackDepth(bad.env), (e) => e instanceof Reject && e.errno === "EACCES");
  // 256 + round_up(200, 16) + 64
  assert.deepEqual(bad.log, ["combined stack size of 3 calls is 528. Too large\n"]);
});

test("tracing-like programs move frames of 64+ bytes to a private stack", () => {
  // each frame alone fits, the sum would not: with private stacks it passes
  const p = fakeEnv("BPF_PROG_TYPE_KPROBE", CHAIN, [{ start: 0, depth: 256 }, { start: 2, depth: 200 }, { start: 4, depth: 64 }]);
  checkMaxStackDepth(p.env);
  assert.equal(p.env.maxStackDepth, 256);
  // fentry (TRACING, not an iterator) too; iterators do not
  const f = fakeEnv("BPF_PROG_TYPE_TRACING", CHAIN, [{ start: 0, depth: 256 }, { start: 2, depth: 200 }, { start: 4, depth: 64 }], "BPF_TRACE_FENTRY");
  checkMaxStackDepth(f.env);
  const it = fakeEnv("BPF_PROG_TYPE_TRACING", CHAIN, [{ start: 0, depth: 256 }, { start: 2, depth: 200 }, { start: 4, depth: 64 }], "BPF_TRACE_ITER");
  assert.throws(() => checkMaxStackDepth(it.env), Reject);
  // a tail call anywhere disables private stacks
  const tc = fakeEnv("BPF_PROG_TYPE_KPROBE", CHAIN, [{ start: 0, depth: 256 }, { start: 2, depth: 200 }, { start: 4, depth: 64, tailCall: true }]);
  assert.throws(() => checkMaxStackDepth(tc.env), Reject);
});

test("small frames stay on the normal stack even when private stacks are allowed", () => {
  const p = fakeEnv("BPF_PROG_TYPE_KPROBE", CHAIN, [{ start: 0, depth: 8 }, { start: 2, depth: 40 }, { start: 4, depth: 200 }]);
  checkMaxStackDepth(p.env);
  // 16 + 48 on the normal stack; the 208-byte frame is private
  assert.equal(p.env.maxStackDepth, 208);
});

test("a subprog larger than 512 bytes on a private stack", () => {
  const p = fakeEnv("BPF_PROG_TYPE_KPROBE", [CALL(1), EXIT, EXIT], [{ start: 0, depth: 8 }, { start: 2, depth: 520 }]);
  assert.throws(() => checkMaxStackDepth(p.env), Reject);
  assert.deepEqual(p.log, ["stack size of subprog 1 is 528. Too large\n"]);
});
