// The one place the verifier state reaches into the scalar domain
// (src/verifier/scalar/): value constructors the state needs everywhere.
// Keeping them here lets state/ and log/ stay independent of how the scalar
// module represents numbers internally.

export interface Tnum {
  value: bigint;
  mask: bigint;
}

export interface Cnum {
  base: bigint;
  size: bigint;
}

const U64 = (1n << 64n) - 1n;
const U32 = (1n << 32n) - 1n;

export const TNUM_UNKNOWN: Tnum = Object.freeze({ value: 0n, mask: U64 });
export const CNUM64_UNBOUNDED: Cnum = Object.freeze({ base: 0n, size: U64 });
export const CNUM32_UNBOUNDED: Cnum = Object.freeze({ base: 0n, size: U32 });

export function tnumConst(v: bigint): Tnum {
  return { value: v & U64, mask: 0n };
}

// kernel: cnum{32,64}_from_urange
export function cnum64FromURange(min: bigint, max: bigint): Cnum {
  return { base: min & U64, size: (max - min) & U64 };
}
export function cnum32FromURange(min: bigint, max: bigint): Cnum {
  return { base: min & U32, size: (max - min) & U32 };
}

// kernel: cnum{32,64}_from_srange — a full-size range is normalised to base 0.
export function cnum64FromSRange(min: bigint, max: bigint): Cnum {
  const size = (max - min) & U64;
  return { base: size === U64 ? 0n : min & U64, size };
}
export function cnum32FromSRange(min: bigint, max: bigint): Cnum {
  const size = (max - min) & U32;
  return { base: size === U32 ? 0n : min & U32, size };
}

// Derived bounds (kernel: cnum{32,64}_{u,s}{min,max}, reg_umin() etc.).
// Unsigned results are in [0, 2^T); signed in [-2^(T-1), 2^(T-1)).
function derive(bits: bigint) {
  const UMAX = (1n << bits) - 1n;
  const SMAX = (1n << (bits - 1n)) - 1n;
  const SMIN_U = 1n << (bits - 1n);
  const toSigned = (v: bigint): bigint => (v > SMAX ? v - (1n << bits) : v);
  const contains = (c: Cnum, v: bigint): boolean => ((v - c.base) & UMAX) <= c.size;
  const urangeOverflow = (c: Cnum): boolean => c.size > UMAX - c.base;
  const srangeOverflow = (c: Cnum): boolean => contains(c, SMAX) && contains(c, SMIN_U);
  return {
    umin: (c: Cnum): bigint => (urangeOverflow(c) ? 0n : c.base),
    umax: (c: Cnum): bigint => (urangeOverflow(c) ? UMAX : c.base + c.size),
    smin: (c: Cnum): bigint => {
      if (srangeOverflow(c)) return -SMIN_U;
      const a = toSigned(c.base), b = toSigned((c.base + c.size) & UMAX);
      return a < b ? a : b;
    },
    smax: (c: Cnum): bigint => {
      if (srangeOverflow(c)) return SMAX;
      const a = toSigned(c.base), b = toSigned((c.base + c.size) & UMAX);
      return a > b ? a : b;
    },
  };
}
const D64 = derive(64n);
const D32 = derive(32n);

interface Ranged {
  r64: Cnum;
  r32: Cnum;
}
export const regUmin = (r: Ranged): bigint => D64.umin(r.r64);
export const regUmax = (r: Ranged): bigint => D64.umax(r.r64);
export const regSmin = (r: Ranged): bigint => D64.smin(r.r64);
export const regSmax = (r: Ranged): bigint => D64.smax(r.r64);
export const regU32Min = (r: Ranged): bigint => D32.umin(r.r32);
export const regU32Max = (r: Ranged): bigint => D32.umax(r.r32);
export const regS32Min = (r: Ranged): bigint => D32.smin(r.r32);
export const regS32Max = (r: Ranged): bigint => D32.smax(r.r32);

export function tnumIsConst(t: Tnum): boolean {
  return t.mask === 0n;
}
export function tnumIsUnknown(t: Tnum): boolean {
  return t.mask === U64;
}
