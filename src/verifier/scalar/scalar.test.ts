// Core helpers of the scalar value: constructors, derived views, bounds sync, the smaller
// kernel helpers the verifier core calls directly.

import { test } from "node:test";
import assert from "node:assert/strict";
import { scalar64 as D } from "./domain.js";
import { tn } from "./tnum.js";
import { cn } from "./cnum.js";

test("known and unknown", () => {
  const k = D.known(-2n);
  assert.equal(D.smin(k), -2n);
  assert.equal(D.umax(k), (1n << 64n) - 2n);
  assert.equal(D.s32min(k), -2n);
  assert.equal(D.u32max(k), 0xfffffffen);
  assert.equal(D.sanityViolation(k), null);
  assert.equal(D.smin(D.unknown), -(1n << 63n));
  assert.equal(D.umax(D.unknown), (1n << 64n) - 1n);
});

test("reg_bounds_sync learns from each view", () => {
  // the low byte mask bounds both unsigned views
  const a = D.boundsSync(D.mk(tn(0n, 0xffn), D.C64.UNBOUNDED, D.C32.UNBOUNDED));
  assert.equal(D.umax(a), 255n);
  assert.equal(D.u32max(a), 255n);
  // a 64-bit range inside [0, 2^32) fixes the subregister and the upper tnum bits
  const b = D.boundsSync(D.mk(D.T.unknown, D.C64.fromURange(16n, 31n), D.C32.UNBOUNDED));
  assert.equal(D.u32min(b), 16n);
  assert.deepEqual(b.varOff, tn(16n, 15n));
  // tnum and range meeting in exactly one value make a constant (__update_reg64_bounds)
  const c = D.boundsSync(D.mk(tn(0n, 0x10n), D.C64.fromURange(1n, 16n), D.C32.UNBOUNDED));
  assert.ok(D.isConst(c));
  assert.equal(c.varOff.value, 16n);
});

test("sanity check text and the small helpers", () => {
  const bad = D.mk(tn(5n, 0n), cn(6n, 0n), cn(5n, 0n));
  assert.equal(D.sanityBugText(bad, "alu"),
    "REG INVARIANTS VIOLATION (alu): const tnum out of sync with range bounds r64={.base=0x6, .size=0x0} r32={.base=0x5, .size=0x0} var_off=(0x5, 0x0)");
  assert.equal(D.sanityBugText(D.known(1n), "alu"), null);
  const r = D.markS32Range(D.unknown, -4095n, -1n); // helper return clamp (-MAX_ERRNO..-1)
  assert.equal(D.smin(r), -4095n);
  assert.equal(D.smax(r), -1n);
  assert.equal(D.s32max(r), -1n);
  assert.equal(D.regWidth(D.known(255n)), 8);
  assert.equal(D.regWidth(D.known(0n)), 0);
  assert.ok(D.within(D.unknown, D.known(3n)));
  assert.ok(!D.within(D.known(3n), D.unknown));
});

// boundsSync returns constants and the unknown scalar untouched: check that the full sync agrees.
test("reg_bounds_sync fast path: constants and unknown are fixed points", () => {
  const vals = [0n, 1n, 2n, 7n, 0x7fn, 0xffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n,
    0x7fffffffffffffffn, 0x8000000000000000n, (1n << 64n) - 1n, (1n << 64n) - 2n, 0x123456789abcdefn];
  let x = 0x9e3779b97f4a7c15n;
  for (let i = 0; i < 200; i++) {
    x = (x * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
    vals.push(x, x >> BigInt(i % 64));
  }
  for (const v of vals) {
    const k = D.known(v);
    assert.equal(D.isFixedPoint(k), true);
    assert.deepEqual(D.boundsSyncFull(k), k, `known(${v})`);
  }
  assert.equal(D.isFixedPoint(D.unknown), true);
  assert.deepEqual(D.boundsSyncFull(D.unknown), D.unknown);
  // anything else takes the full path
  assert.equal(D.isFixedPoint(D.mk(tn(0n, 0xffn), D.C64.UNBOUNDED, D.C32.UNBOUNDED)), false);
  assert.equal(D.isFixedPoint(D.mk(tn(5n, 0n), cn(5n, 0n), cn(6n, 0n))), false);
});

test("reg_bounds_sync fast path, exhaustively at 8 bits", async () => {
  const { makeScalarCore } = await import("./scalar.js");
  const S = makeScalarCore(8);
  for (let v = 0n; v < 256n; v++) assert.deepEqual(S.boundsSyncFull(S.known(v)), S.known(v));
  assert.deepEqual(S.boundsSyncFull(S.unknown), S.unknown);
});
