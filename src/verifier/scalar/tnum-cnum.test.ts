// Exhaustive checks of the tnum and cnum primitives at 4 bits (8 for the two-view cnum helpers):
// every operand pair, every member. Soundness (the concrete result is a member) and, where the
// kernel's operation is exact, exactness.

import { test } from "node:test";
import assert from "node:assert/strict";
import { width, u, s } from "./width.js";
import { makeTnum, tn, type Tnum } from "./tnum.js";
import { makeCnum, cn, cnumTruncate, cnumIntersectSub, type Cnum } from "./cnum.js";

const W4 = width(4), W2 = width(2), W8 = width(8);
const T = makeTnum(W4, W2);
const C = makeCnum(W4);
const vals = (n: number) => Array.from({ length: 1 << n }, (_, i) => BigInt(i));

const allTnums: Tnum[] = [];
for (let m = 0n; m < 16n; m++) for (let v = 0n; v < 16n; v++) if ((v & m) === 0n) allTnums.push(tn(v, m));
const gT = (t: Tnum) => vals(4).filter((x) => T.contains(t, x));

const allArcs: Cnum[] = [C.EMPTY];
for (let b = 0n; b < 16n; b++) for (let z = 0n; z < 16n; z++) if (!(b === 15n && z === 15n)) allArcs.push(cn(b, z));
const gC = (c: Cnum) => vals(4).filter((x) => C.contains(c, x));

test("tnum binary ops are sound for every pair of 4-bit tnums", () => {
  const ops: [string, (a: Tnum, b: Tnum) => Tnum, (x: bigint, y: bigint) => bigint][] = [
    ["add", T.add, (x, y) => u(W4, x + y)], ["sub", T.sub, (x, y) => u(W4, x - y)],
    ["mul", T.mul, (x, y) => u(W4, x * y)], ["and", T.and, (x, y) => x & y],
    ["or", T.or, (x, y) => x | y], ["xor", T.xor, (x, y) => x ^ y],
  ];
  for (const [name, f, g] of ops)
    for (const a of allTnums) for (const b of allTnums) {
      const r = f(a, b);
      assert.equal(r.value & r.mask, 0n, `${name} well-formed`);
      for (const x of gT(a)) for (const y of gT(b)) assert.ok(T.contains(r, g(x, y)), `${name}`);
    }
});

test("tnum union/intersect/in/overlap/range/shifts/step/bswap agree with their set meaning", () => {
  for (const a of allTnums) {
    const ga = gT(a);
    for (const b of allTnums) {
      const gb = gT(b);
      const un = T.union(a, b);
      for (const x of [...ga, ...gb]) assert.ok(T.contains(un, x));
      const both = ga.filter((x) => gb.includes(x));
      assert.equal(T.overlap(a, b), both.length > 0);
      const it = T.intersect(a, b);
      for (const x of both) assert.ok(T.contains(it, x));
      assert.equal(T.isIn(a, b), gb.every((x) => ga.includes(x)));
    }
    for (let sh = 0; sh < 4; sh++) {
      for (const x of ga) {
        assert.ok(T.contains(T.lshift(a, sh), u(W4, x << BigInt(sh))));
        assert.ok(T.contains(T.rshift(a, sh), x >> BigInt(sh)));
        assert.ok(T.contains(T.arshift(a, sh, "full"), u(W4, s(W4, x) >> BigInt(sh))));
      }
    }
    // tnum_step: the smallest member greater than z, for tmin <= z < tmax
    const tmax = a.value | a.mask;
    for (let z = a.value; z < tmax; z++) assert.equal(T.step(a, z), ga.find((x) => x > z));
  }
  for (let lo = 0n; lo < 16n; lo++) for (let hi = lo; hi < 16n; hi++) {
    const r = T.range(lo, hi);
    for (let x = lo; x <= hi; x++) assert.ok(T.contains(r, x));
  }
  const T8 = makeTnum(W8, W4); // bytes are 1 bit at this width: bswap16 swaps bits 0 and 1
  assert.deepEqual(T8.bswap(tn(0b01n, 0b100n), 2), tn(0b10n, 0n));
  assert.deepEqual(makeTnum(width(64), width(32)).bswap(tn(0x1234n, 0xff0000n), 4), tn(0x34120000n, 0xff00n));
});

test("cnum derived bounds, membership, constructors", () => {
  for (const c of allArcs) {
    const g = gC(c);
    if (C.isEmpty(c)) { assert.equal(g.length, 0); continue; }
    assert.equal(g.length, Number(c.size) + 1);
    // umin/umax are exact unless the arc wraps 15 -> 0, then the full range
    const wraps = c.base + c.size > 15n;
    assert.equal(C.umin(c), wraps ? 0n : c.base);
    assert.equal(C.umax(c), wraps ? 15n : c.base + c.size);
    const sg = g.map((x) => s(W4, x));
    const swraps = g.includes(7n) && g.includes(8n);
    assert.equal(C.smin(c), swraps ? -8n : sg.reduce((p, q) => (q < p ? q : p)));
    assert.equal(C.smax(c), swraps ? 7n : sg.reduce((p, q) => (q > p ? q : p)));
  }
  for (let lo = 0n; lo < 16n; lo++) for (let hi = lo; hi < 16n; hi++) assert.equal(gC(C.fromURange(lo, hi)).length, Number(hi - lo + 1n));
  for (let lo = -8n; lo < 8n; lo++) for (let hi = lo; hi < 8n; hi++) {
    const g = gC(C.fromSRange(lo, hi)).map((x) => s(W4, x));
    assert.equal(g.length, Number(hi - lo + 1n));
    assert.ok(g.every((x) => x >= lo && x <= hi));
  }
});

test("cnum intersect/add/negate/isSubset are sound for every pair of 4-bit arcs", () => {
  for (const a of allArcs) {
    const ga = gC(a);
    const neg = C.negate(a);
    for (const x of ga) assert.ok(C.contains(neg, u(W4, -x)));
    for (const b of allArcs) {
      const gb = gC(b);
      const it = C.intersect(a, b);
      const both = ga.filter((x) => gb.includes(x));
      for (const x of both) assert.ok(C.contains(it, x), "intersect keeps common members");
      // never larger than the smaller operand
      if (!C.isEmpty(it)) assert.ok(it.size <= a.size && it.size <= b.size);
      const sum = C.add(a, b);
      for (const x of ga) for (const y of gb) assert.ok(C.contains(sum, u(W4, x + y)));
      assert.equal(C.isSubset(a, b), gb.every((x) => ga.includes(x)));
    }
  }
});

test("cnum32_from_cnum64 and cnum64_cnum32_intersect are sound (8-bit arcs, 4-bit halves)", () => {
  const C8 = makeCnum(W8);
  const arcs8: Cnum[] = [];
  for (let b = 0n; b < 256n; b += 11n) for (const z of [0n, 1n, 2n, 14n, 15n, 16n, 17n, 40n, 200n, 254n, 255n]) arcs8.push(cn(b, z));
  for (const a of arcs8) {
    const ga = Array.from({ length: 256 }, (_, i) => BigInt(i)).filter((x) => C8.contains(a, x));
    const tr = cnumTruncate(C8, C, a);
    for (const x of ga) assert.ok(C.contains(tr, x & 15n));
    for (const b of allArcs) {
      const r = cnumIntersectSub(C8, C, a, b);
      for (const x of ga) if (C.contains(b, x & 15n)) assert.ok(C8.contains(r, x), `${a.base},${a.size} & ${b.base},${b.size} lost ${x}`);
    }
  }
});

test("fls agrees with the bit length", async () => {
  const { fls } = await import("./width.js");
  const cases = [0n, 1n, 2n, 3n, 0xffffffffn, 0x100000000n, 0x1ffffffffn, (1n << 63n), (1n << 64n) - 1n, 1n << 64n, (1n << 70n) + 5n];
  for (let i = 0; i < 64; i++) cases.push(1n << BigInt(i), (1n << BigInt(i)) - 1n, (1n << BigInt(i)) + 1n);
  for (const x of cases) assert.equal(fls(x), x === 0n ? 0 : x.toString(2).length, `fls(${x})`);
});
