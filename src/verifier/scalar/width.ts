// Bit-width descriptors for the generic scalar domain.
//
// The kernel instantiates cnum_defs.h for 32 and 64 bits with macros and hard-codes 32/64 in
// tnum.c and verifier.c. Here every constant that depends on the width is derived from a Width, so
// the same code runs at 64/32 (the real verifier) and at tiny widths (exhaustive property tests).
// All values are kept as unsigned bigints in [0, 2^bits); signed views are computed on demand.

export interface Width {
  readonly bits: number;
  readonly nbits: bigint;
  /** UT_MAX */
  readonly max: bigint;
  /** ST_MAX as an unsigned value */
  readonly smax: bigint;
  /** ST_MIN as an unsigned value (the sign bit) */
  readonly signBit: bigint;
}

const cache = new Map<number, Width>();

export function width(bits: number): Width {
  let w = cache.get(bits);
  if (w === undefined) {
    if (!Number.isInteger(bits) || bits < 2) throw new RangeError(`bad width ${bits}`);
    const nbits = BigInt(bits);
    const one = 1n;
    w = Object.freeze({
      bits,
      nbits,
      max: (one << nbits) - one,
      smax: (one << (nbits - one)) - one,
      signBit: one << (nbits - one),
    });
    cache.set(bits, w);
  }
  return w;
}

/** Reduce to the width's unsigned representation (C cast to uT). */
export function u(w: Width, x: bigint): bigint {
  return BigInt.asUintN(w.bits, x);
}

/** Signed view of an unsigned value (C cast to sT). */
export function s(w: Width, x: bigint): bigint {
  return BigInt.asIntN(w.bits, x);
}

/** kernel: fls64 — index (1-based) of the highest set bit, 0 for 0. */
export function fls(x: bigint): number {
  if (x === 0n) return 0;
  // Two 32-bit halves through Math.clz32: toString(2) allocated a string on every tnum_range.
  if (x > 0n && x <= 0xffffffffn) return 32 - Math.clz32(Number(x));
  if (x > 0n && x <= 0xffffffffffffffffn) return 64 - Math.clz32(Number(x >> 32n));
  return x.toString(2).length;
}

export function bmin(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

export function bmax(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
