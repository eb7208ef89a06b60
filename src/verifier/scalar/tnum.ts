// Tracked numbers (value/mask pairs: a bit is unknown when its mask bit is set), generic in the
// register width. kernel: kernel/bpf/tnum.c, include/linux/tnum.h.
//
// `w` is the full register width (64 in the verifier) and `h` the subregister width (32). bswap
// works on bytes of w.bits/8 bits so that the same code scales down for the property tests.

import { type Width, u, s, fls } from "./width.js";

export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

export function tn(value: bigint, mask: bigint): Tnum {
  return { value, mask };
}

export function makeTnum(w: Width, h: Width) {
  const unknown: Tnum = tn(0n, w.max);
  const hmax = h.max;
  // bswap is only meaningful for widths that are multiples of 8
  const byteBits = BigInt(Math.max(1, Math.floor(w.bits / 8)));

  const konst = (v: bigint): Tnum => tn(u(w, v), 0n);

  // kernel: tnum_range
  const range = (min: bigint, max: bigint): Tnum => {
    const bits = fls(min ^ max);
    if (bits > w.bits - 1) return unknown;
    const delta = (1n << BigInt(bits)) - 1n;
    return tn(min & ~delta, delta);
  };

  const lshift = (a: Tnum, shift: number | bigint): Tnum => {
    const sh = BigInt(shift);
    return tn(u(w, a.value << sh), u(w, a.mask << sh));
  };
  const rshift = (a: Tnum, shift: number | bigint): Tnum => {
    const sh = BigInt(shift);
    return tn(a.value >> sh, a.mask >> sh);
  };
  // kernel: tnum_arshift — at subreg bitness the result is zero-extended from h bits
  const arshift = (a: Tnum, minShift: number | bigint, bitness: "full" | "sub"): Tnum => {
    const sh = BigInt(minShift);
    if (bitness === "sub") return tn(u(h, s(h, u(h, a.value)) >> sh), u(h, s(h, u(h, a.mask)) >> sh));
    return tn(u(w, s(w, a.value) >> sh), u(w, s(w, a.mask) >> sh));
  };

  const add = (a: Tnum, b: Tnum): Tnum => {
    const sm = a.mask + b.mask;
    const sv = a.value + b.value;
    const chi = u(w, sm + sv) ^ u(w, sv);
    const mu = chi | a.mask | b.mask;
    return tn(u(w, sv) & ~mu, mu);
  };
  const sub = (a: Tnum, b: Tnum): Tnum => {
    const dv = a.value - b.value;
    const chi = u(w, dv + a.mask) ^ u(w, dv - b.mask);
    const mu = chi | a.mask | b.mask;
    return tn(u(w, dv) & ~mu, mu);
  };
  const neg = (a: Tnum): Tnum => sub(tn(0n, 0n), a);
  const and = (a: Tnum, b: Tnum): Tnum => {
    const v = a.value & b.value;
    return tn(v, (a.value | a.mask) & (b.value | b.mask) & ~v);
  };
  const or = (a: Tnum, b: Tnum): Tnum => {
    const v = a.value | b.value;
    return tn(v, (a.mask | b.mask) & ~v);
  };
  const xor = (a: Tnum, b: Tnum): Tnum => {
    const mu = a.mask | b.mask;
    return tn((a.value ^ b.value) & ~mu, mu);
  };
  const union = (a: Tnum, b: Tnum): Tnum => {
    const mu = (a.value ^ b.value) | a.mask | b.mask;
    return tn(a.value & b.value & ~mu, mu);
  };
  // kernel: tnum_mul — long multiplication over the bits of a, unioning both outcomes of an
  // unknown bit
  const mul = (a: Tnum, b: Tnum): Tnum => {
    let acc: Tnum = tn(0n, 0n);
    while (a.value !== 0n || a.mask !== 0n) {
      if (a.value & 1n) acc = add(acc, b);
      else if (a.mask & 1n) acc = union(acc, add(acc, b));
      a = rshift(a, 1);
      b = lshift(b, 1);
    }
    return acc;
  };
  const overlap = (a: Tnum, b: Tnum): boolean => {
    const mu = ~a.mask & ~b.mask;
    return (a.value & mu) === (b.value & mu);
  };
  const intersect = (a: Tnum, b: Tnum): Tnum => {
    const mu = a.mask & b.mask;
    return tn((a.value | b.value) & ~mu, mu);
  };
  /** kernel: tnum_cast, with the size in bits instead of bytes */
  const castBits = (a: Tnum, bits: number): Tnum => {
    const m = (1n << BigInt(bits)) - 1n;
    return tn(a.value & m, a.mask & m);
  };
  const isAligned = (a: Tnum, size: bigint): boolean =>
    size === 0n ? true : ((a.value | a.mask) & (size - 1n)) === 0n;
  /** true if b is a subset of a */
  const isIn = (a: Tnum, b: Tnum): boolean => {
    if (b.mask & ~a.mask) return false;
    return a.value === (b.value & ~a.mask);
  };
  const contains = (a: Tnum, x: bigint): boolean => (x & ~a.mask) === a.value;

  const subreg = (a: Tnum): Tnum => tn(a.value & hmax, a.mask & hmax);
  const clearSubreg = (a: Tnum): Tnum => tn(a.value & ~hmax, a.mask & ~hmax);
  const withSubreg = (reg: Tnum, sr: Tnum): Tnum => or(clearSubreg(reg), subreg(sr));
  const constSubreg = (a: Tnum, v: bigint): Tnum => withSubreg(a, konst(u(h, v)));

  // kernel: swab16/32/64 on bytes of w.bits/8 bits
  const swab = (x: bigint, nbytes: number): bigint => {
    let r = 0n;
    const bm = (1n << byteBits) - 1n;
    for (let i = 0; i < nbytes; i++) {
      const byte = (x >> (BigInt(i) * byteBits)) & bm;
      r |= byte << (BigInt(nbytes - 1 - i) * byteBits);
    }
    return r;
  };
  /** kernel: tnum_bswap16/32/64; nbytes is 2, 4 or 8 */
  const bswap = (a: Tnum, nbytes: 2 | 4 | 8): Tnum => {
    const m = (1n << (BigInt(nbytes) * byteBits)) - 1n;
    return tn(swab(a.value & m, nbytes), swab(a.mask & m, nbytes));
  };

  // kernel: tnum_step — the smallest member of t greater than z (tmin <= z < tmax)
  const step = (t: Tnum, z: bigint): bigint => {
    const tmax = t.value | t.mask;
    if (z >= tmax) return tmax;
    if (z < t.value) return t.value;
    const d = z - t.value;
    const carryMask = (1n << BigInt(fls(d & ~t.mask))) - 1n;
    const filled = u(w, d | carryMask | ~t.mask);
    const inc = u(w, filled + 1n) & t.mask;
    return t.value | inc;
  };

  const isConst = (a: Tnum): boolean => a.mask === 0n;
  const equalsConst = (a: Tnum, b: bigint): boolean => a.mask === 0n && a.value === b;
  const isUnknown = (a: Tnum): boolean => a.mask === w.max;
  const subregIsConst = (a: Tnum): boolean => (a.mask & hmax) === 0n;

  return {
    unknown, konst, range, lshift, rshift, arshift, add, sub, neg, and, or, xor, mul, union,
    overlap, intersect, castBits, isAligned, isIn, contains, subreg, clearSubreg, withSubreg,
    constSubreg, bswap, step, isConst, equalsConst, isUnknown, subregIsConst,
  };
}

export type TnumOps = ReturnType<typeof makeTnum>;
