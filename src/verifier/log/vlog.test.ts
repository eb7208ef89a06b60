import { test } from "node:test";
import assert from "node:assert/strict";
import { VerifierLog, BPF_LOG_LEVEL1, BPF_LOG_FIXED } from "./vlog.js";

test("rolling log keeps the last size-1 bytes and reports ENOSPC with the true size", () => {
  const log = new VerifierLog(BPF_LOG_LEVEL1, 8);
  log.write("abcdef");
  log.write("ghij");
  const f = log.finalize();
  assert.equal(f.text, "defghij");
  assert.equal(f.trueSize, 11); // 10 chars + NUL
  assert.equal(f.truncated, true);
});

test("reset rewinds to an earlier position, as pop_stack does at level 1", () => {
  const log = new VerifierLog(BPF_LOG_LEVEL1, 1 << 20);
  log.write("0: (b7) r0 = 0\n");
  const mark = log.pos;
  log.write("1: (95) exit\n");
  log.reset(mark);
  log.write("2: x\n");
  assert.equal(log.finalize().text, "0: (b7) r0 = 0\n2: x\n");
  // len_max remembers the longest the log ever was.
  assert.equal(log.finalize().trueSize, "0: (b7) r0 = 0\n1: (95) exit\n".length + 1);
});

test("fixed mode keeps the head; one message is capped at 1023 chars", () => {
  const log = new VerifierLog(BPF_LOG_LEVEL1 | BPF_LOG_FIXED, 5);
  log.write("abcdefgh");
  assert.equal(log.finalize().text, "abcd");
  const big = new VerifierLog(BPF_LOG_LEVEL1, 1 << 20);
  big.write("x".repeat(5000));
  assert.equal(big.finalize().text.length, 1023);
});

test("level 0 logs nothing", () => {
  const log = new VerifierLog(0, 100);
  log.write("hello");
  assert.deepEqual(log.finalize(), { text: "", trueSize: 0, truncated: false });
});
