// Circular ranges: an arc {base, size} clockwise on the circle of w-bit numbers, covering
// base..base+size (mod 2^w). One representation for the signed and the unsigned range.
// kernel: include/linux/cnum.h, kernel/bpf/cnum_defs.h (one module for every width instead of
// the kernel's T=32/T=64 macro instantiation).

import { type Width, u, s, bmin } from "./width.js";

export interface Cnum {
  readonly base: bigint;
  readonly size: bigint;
}

export function cn(base: bigint, size: bigint): Cnum {
  return { base, size };
}

export function makeCnum(w: Width) {
  const MAX = w.max;
  const UNBOUNDED: Cnum = cn(0n, MAX);
  const EMPTY: Cnum = cn(MAX, MAX);

  const isEmpty = (c: Cnum): boolean => c.base === MAX && c.size === MAX;
  const isConst = (c: Cnum): boolean => c.size === 0n;
  /** true if this arc wraps past UT_MAX, i.e. is two unsigned ranges */
  const urangeOverflow = (c: Cnum): boolean => c.size > MAX - c.base;

  const fromURange = (min: bigint, max: bigint): Cnum => cn(min, u(w, max - min));
  /** min/max may be given signed or as their unsigned representation */
  const fromSRange = (min: bigint, max: bigint): Cnum => {
    const size = u(w, max - min);
    return cn(size === MAX ? 0n : u(w, min), size);
  };

  const contains = (c: Cnum, v: bigint): boolean => {
    if (isEmpty(c)) return false;
    const end = u(w, c.base + c.size);
    if (urangeOverflow(c)) return v >= c.base || v <= end;
    return v >= c.base && v <= end;
  };

  const umin = (c: Cnum): bigint => (urangeOverflow(c) ? 0n : c.base);
  const umax = (c: Cnum): bigint => (urangeOverflow(c) ? MAX : c.base + c.size);

  const srangeOverflow = (c: Cnum): boolean => contains(c, w.smax) && contains(c, w.signBit);
  /** signed result (negative bigint for negative values) */
  const smin = (c: Cnum): bigint => {
    if (srangeOverflow(c)) return -w.signBit;
    const a = s(w, c.base);
    const b = s(w, c.base + c.size);
    return a < b ? a : b;
  };
  const smax = (c: Cnum): bigint => {
    if (srangeOverflow(c)) return w.smax;
    const a = s(w, c.base);
    const b = s(w, c.base + c.size);
    return a > b ? a : b;
  };

  // kernel: cnum_intersect — when the arcs meet in two pieces the smaller input is returned
  const intersect = (a: Cnum, b: Cnum): Cnum => {
    if (isEmpty(a) || isEmpty(b)) return EMPTY;
    if (a.base > b.base) [a, b] = [b, a];
    const dbase = b.base - a.base;
    const b1 = cn(dbase, b.size);
    if (urangeOverflow(b1)) {
      if (b1.base <= a.size) return a.size <= b.size ? a : b;
      return cn(a.base, bmin(a.size, u(w, b1.base + b1.size)));
    }
    if (a.size >= b1.base) return cn(b.base, bmin(a.size - dbase, b.size));
    return EMPTY;
  };

  const normalize = (c: Cnum): Cnum =>
    c.size === MAX && c.base !== 0n && c.base !== w.smax ? cn(0n, c.size) : c;

  const add = (a: Cnum, b: Cnum): Cnum => {
    if (isEmpty(a) || isEmpty(b)) return EMPTY;
    if (a.size > MAX - b.size) return UNBOUNDED;
    return normalize(cn(u(w, a.base + b.base), a.size + b.size));
  };

  const negate = (a: Cnum): Cnum => {
    if (isEmpty(a)) return EMPTY;
    return normalize(cn(u(w, -(a.base + a.size)), a.size));
  };

  const isSubset = (bigger: Cnum, smaller: Cnum): boolean => {
    if (isEmpty(smaller)) return true;
    if (isEmpty(bigger)) return false;
    const sm = cn(u(w, smaller.base - bigger.base), smaller.size);
    if (urangeOverflow(sm) && bigger.size < MAX) return false;
    return u(w, sm.base + sm.size) <= bigger.size;
  };

  return {
    w, UNBOUNDED, EMPTY, isEmpty, isConst, urangeOverflow, fromURange, fromSRange, contains,
    umin, umax, smin, smax, intersect, add, negate, isSubset,
  };
}

export type CnumOps = ReturnType<typeof makeCnum>;

/** kernel: cnum32_from_cnum64 — the subregister arc of a full-width arc */
export function cnumTruncate(full: CnumOps, half: CnumOps, c: Cnum): Cnum {
  if (full.isEmpty(c)) return half.EMPTY;
  if (c.size >= half.w.max) return half.UNBOUNDED;
  return cn(u(half.w, c.base), c.size);
}

/**
 * kernel: cnum64_cnum32_intersect — narrow a full-width arc `a` to the members whose low half
 * lies in the subregister arc `b`, trimming only at a's two ends (both ends are rotated so that
 * a starts on a 2^h boundary).
 */
export function cnumIntersectSub(full: CnumOps, half: CnumOps, a: Cnum, b: Cnum): Cnum {
  const hw = half.w;
  if (full.isEmpty(a) || half.isEmpty(b)) return full.EMPTY;
  const b1 = cn(u(hw, b.base - a.base), b.size);
  const aSizeLo = u(hw, a.size);
  let tBase = a.base;
  let tSize = a.size;
  if (half.urangeOverflow(b1)) {
    const b1Max = u(hw, b1.base + b1.size);
    if (aSizeLo > b1Max && aSizeLo < b1.base) tSize -= aSizeLo - b1Max;
    return cn(tBase, tSize);
  }
  if (tSize < b1.base) return full.EMPTY;
  tBase = u(full.w, tBase + b1.base);
  tSize -= b1.base;
  const b1Max = b1.base + b1.size;
  let d = 0n;
  if (aSizeLo < b1.base) d = aSizeLo + ((1n << hw.nbits) - b1Max);
  else if (aSizeLo >= b1Max) d = aSizeLo - b1Max;
  if (tSize < d) return full.EMPTY;
  return cn(tBase, tSize - d);
}
