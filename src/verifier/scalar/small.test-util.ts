// Helpers for the small-width property tests: a seeded PRNG, generators of abstract values, and
// a Number-based membership test (BigInt membership checks would dominate the run time).

import type { Scalar } from "./scalar.js";
import type { ScalarDomain } from "./domain.js";
import { tn } from "./tnum.js";
import { cn } from "./cnum.js";

export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Fast {
  tv: number; tm: number; b64: number; s64: number; b32: number; s32: number;
}

export function fast(a: Scalar): Fast {
  return {
    tv: Number(a.varOff.value), tm: Number(a.varOff.mask),
    b64: Number(a.r64.base), s64: Number(a.r64.size), b32: Number(a.r32.base), s32: Number(a.r32.size),
  };
}

function arcHas(base: number, size: number, max: number, x: number): boolean {
  if (base === max && size === max) return false;
  const end = (base + size) & max;
  return size > max - base ? x >= base || x <= end : x >= base && x <= end;
}

/** membership at width `bits` (<= 16) with subregister bits/2 */
export function has(f: Fast, bits: number, x: number): boolean {
  const max = (1 << bits) - 1;
  const hmax = (1 << (bits / 2)) - 1;
  return (x & ~f.tm) === f.tv && arcHas(f.b64, f.s64, max, x) && arcHas(f.b32, f.s32, hmax, x & hmax);
}

export function members(a: Scalar, bits: number): number[] {
  const f = fast(a);
  const out: number[] = [];
  for (let x = 0; x < 1 << bits; x++) if (has(f, bits, x)) out.push(x);
  return out;
}

export function key(a: Scalar): string {
  return `${a.varOff.value},${a.varOff.mask},${a.r64.base},${a.r64.size},${a.r32.base},${a.r32.size}`;
}

/**
 * A pool of synced, non-empty abstract values: every constant, unknown, and random mixes of a
 * tnum with an arc per view (arcs biased towards short ones and to both sign boundaries).
 */
export function pool(D: ScalarDomain, n: number, seed: number): Scalar[] {
  const r = rng(seed);
  const bits = D.W.bits;
  const hb = D.H.bits;
  const seen = new Map<string, Scalar>();
  const add = (a: Scalar) => {
    if (D.rangeBoundsViolation(a) || members(a, bits).length === 0) return;
    const k = key(a);
    if (!seen.has(k)) seen.set(k, a);
  };
  add(D.unknown);
  for (let v = 0; v < 1 << bits; v++) add(D.known(BigInt(v)));
  const arc = (b: number) => {
    const max = (1 << b) - 1;
    const pick = r();
    const size = pick < 0.4 ? Math.floor(r() * 4) : pick < 0.8 ? Math.floor(r() * (max / 4)) : Math.floor(r() * max);
    const base = r() < 0.3 ? [0, max, max >> 1, (max >> 1) + 1][Math.floor(r() * 4)] - Math.floor(size / 2) : Math.floor(r() * (max + 1));
    return cn(BigInt(base & max), BigInt(size));
  };
  let guard = 0;
  while (seen.size < n + (1 << bits) + 1 && guard++ < n * 50) {
    let v = 0, m = 0;
    const pm = r();
    for (let i = 0; i < bits; i++) {
      const x = r();
      if (x < pm) m |= 1 << i;
      else if (x < pm + (1 - pm) / 2) v |= 1 << i;
    }
    const t = tn(BigInt(v), BigInt(m));
    const r64 = r() < 0.6 ? arc(bits) : D.C64.UNBOUNDED;
    const r32 = r() < 0.4 ? arc(hb) : D.C32.UNBOUNDED;
    add(D.boundsSync(D.mk(t, r64, r32)));
  }
  return [...seen.values()];
}
