import assert from "node:assert/strict";
import { test } from "node:test";
import { strverscmp } from "./strverscmp.js";

test("glibc manual's example order: 000 < 00 < 01 < 010 < 09 < 0 < 1 < 9 < 10", () => {
  const order = ["000", "00", "01", "010", "09", "0", "1", "9", "10"];
  for (let i = 0; i < order.length; i++) {
    for (let j = 0; j < order.length; j++) {
      assert.equal(Math.sign(strverscmp(order[i]!, order[j]!)), Math.sign(i - j), `${order[i]} vs ${order[j]}`);
    }
  }
});

test("decl tag counters sort numerically, as test_loader needs", () => {
  const tags = ["comment:10:b", "comment:9:a", "comment:100:c", "comment:0:z"];
  assert.deepEqual([...tags].sort(strverscmp), ["comment:0:z", "comment:9:a", "comment:10:b", "comment:100:c"]);
});

test("pairs checked against glibc's strverscmp (python ctypes, libc.so.6)", () => {
  // [a, b, sign of libc strverscmp(a, b)]
  const pairs: [string, string, number][] = [
    ["a", "b", -1], ["a1", "a01", 1], ["a9", "a10", -1], ["a09", "a1", -1], ["0a", "00", 1],
    ["1:", "10", -1], ["99:", "100", -1], ["abc", "ab", 1], ["", "0", -1], ["x01", "x001", 1],
    ["00", "0", -1], ["010", "09", -1], ["19a", "9a", 1], ["a0", "a", 1], ["1a", "1", 1],
  ];
  for (const [a, b, want] of pairs) assert.equal(Math.sign(strverscmp(a, b)), want, `${a} vs ${b}`);
});
