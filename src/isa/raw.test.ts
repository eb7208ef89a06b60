import { test } from "node:test";
import assert from "node:assert/strict";
import { rawInsnsFromHex, rawInsnsToHex } from "./raw.js";

test("raw insn hex round-trips, keeping sign of off and imm", () => {
  // r0 = 0 ; *(u64 *)(r10 -8) = r1 ; r1 = -1 (imm)
  const hex = "b700000000000000" + "7b1af8ff00000000" + "b701000000ffffff".slice(0, 8) + "ffffffff";
  const insns = rawInsnsFromHex(hex);
  assert.equal(insns.length, 3);
  assert.deepEqual(insns[1], { code: 0x7b, dst: 10, src: 1, off: -8, imm: 0 });
  assert.equal(insns[2]!.imm, -1);
  assert.equal(rawInsnsToHex(insns), hex);
});
