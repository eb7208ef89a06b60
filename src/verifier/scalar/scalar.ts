// The scalar value of a register as 7.2 keeps it: a tnum plus one circular range per view
// (full width and subregister). smin/umax/s32_min/... are not stored: they are derived from the
// arcs (kernel: reg_smin() & co in include/linux/bpf_verifier.h).
//
// makeScalarCore(bits) builds the domain for registers of `bits` bits (64 in the verifier) with a
// subregister of bits/2; the property tests instantiate it at 8 bits.

import { type Width, width, u, s } from "./width.js";
import { type Tnum, tn, makeTnum } from "./tnum.js";
import { type Cnum, cn, makeCnum, cnumTruncate, cnumIntersectSub } from "./cnum.js";

export interface Scalar {
  readonly varOff: Tnum;
  readonly r64: Cnum;
  readonly r32: Cnum;
}

/** the name the verifier-core issue uses for the same thing */
export type ScalarRange = Scalar;

export function makeScalarCore(bits: number) {
  if (bits % 16 !== 0 && bits !== 8) throw new RangeError(`unsupported register width ${bits}`);
  const W: Width = width(bits);
  const H: Width = width(bits / 2);
  const T = makeTnum(W, H);
  const C64 = makeCnum(W);
  const C32 = makeCnum(H);

  const mk = (varOff: Tnum, r64: Cnum, r32: Cnum): Scalar => ({ varOff, r64, r32 });

  // Derived views. kernel: reg_smin, reg_smax, reg_umin, reg_umax, reg_s32_min, ...
  const smin = (r: Scalar): bigint => C64.smin(r.r64);
  const smax = (r: Scalar): bigint => C64.smax(r.r64);
  const umin = (r: Scalar): bigint => C64.umin(r.r64);
  const umax = (r: Scalar): bigint => C64.umax(r.r64);
  const s32min = (r: Scalar): bigint => C32.smin(r.r32);
  const s32max = (r: Scalar): bigint => C32.smax(r.r32);
  const u32min = (r: Scalar): bigint => C32.umin(r.r32);
  const u32max = (r: Scalar): bigint => C32.umax(r.r32);

  const withR64 = (r: Scalar, r64: Cnum): Scalar => mk(r.varOff, r64, r.r32);
  const withR32 = (r: Scalar, r32: Cnum): Scalar => mk(r.varOff, r.r64, r32);
  const withVarOff = (r: Scalar, varOff: Tnum): Scalar => mk(varOff, r.r64, r.r32);
  // kernel: reg_set_srange32, reg_set_urange32, reg_set_srange64, reg_set_urange64
  const setSRange32 = (r: Scalar, lo: bigint, hi: bigint): Scalar => withR32(r, C32.fromSRange(lo, hi));
  const setURange32 = (r: Scalar, lo: bigint, hi: bigint): Scalar => withR32(r, C32.fromURange(lo, hi));
  const setSRange64 = (r: Scalar, lo: bigint, hi: bigint): Scalar => withR64(r, C64.fromSRange(lo, hi));
  const setURange64 = (r: Scalar, lo: bigint, hi: bigint): Scalar => withR64(r, C64.fromURange(lo, hi));

  const unknown: Scalar = mk(T.unknown, C64.UNBOUNDED, C32.UNBOUNDED);

  /** kernel: ___mark_reg_known — imm is taken modulo 2^bits (pass sign-extended imm as is) */
  const known = (imm: bigint): Scalar => {
    const v = u(W, imm);
    const lo = u(H, v);
    return mk(tn(v, 0n), cn(v, 0n), cn(lo, 0n));
  };
  /** kernel: __mark_reg32_known */
  const markKnown32 = (r: Scalar, imm: bigint): Scalar => {
    const lo = u(H, imm);
    return mk(T.constSubreg(r.varOff, lo), r.r64, cn(lo, 0n));
  };
  // kernel: __mark_reg32_unbounded, __mark_reg64_unbounded, __mark_reg_unbounded
  const unbounded32 = (r: Scalar): Scalar => withR32(r, C32.UNBOUNDED);
  const unbounded64 = (r: Scalar): Scalar => withR64(r, C64.UNBOUNDED);
  const unbounded = (r: Scalar): Scalar => mk(r.varOff, C64.UNBOUNDED, C32.UNBOUNDED);
  // kernel: reset_reg64_and_tnum, reset_reg32_and_tnum
  const reset64AndTnum = (r: Scalar): Scalar => mk(T.unknown, C64.UNBOUNDED, r.r32);
  const reset32AndTnum = (r: Scalar): Scalar => mk(T.unknown, r.r64, C32.UNBOUNDED);

  // kernel: cnum32_from_tnum / cnum64_from_tnum — when the sign bit may be set the signed range
  // of the tnum is exact enough; otherwise its unsigned range is
  const cnum32FromTnum = (t0: Tnum): Cnum => {
    const t = T.subreg(t0);
    if ((t.mask | t.value) & H.signBit)
      return C32.fromSRange(t.value | (t.mask & H.signBit), t.value | (t.mask & H.smax));
    return C32.fromURange(t.value, t.value | t.mask);
  };
  const cnum64FromTnum = (t: Tnum): Cnum => {
    if ((t.mask | t.value) & W.signBit)
      return C64.fromSRange(t.value | (t.mask & W.signBit), t.value | (t.mask & W.smax));
    return C64.fromURange(t.value, t.value | t.mask);
  };

  const rangeBoundsViolation = (r: Scalar): boolean => C32.isEmpty(r.r32) || C64.isEmpty(r.r64);

  // kernel: __update_reg32_bounds
  const updateBounds32 = (r: Scalar): Scalar => withR32(r, C32.intersect(r.r32, cnum32FromTnum(r.varOff)));
  // kernel: __update_reg64_bounds — besides intersecting, detect the cases where the tnum and the
  // unsigned range share exactly one value and make the register that constant
  const updateBounds64 = (r0: Scalar): Scalar => {
    const r = withR64(r0, C64.intersect(r0.r64, cnum64FromTnum(r0.varOff)));
    const t = r.varOff;
    const lo = umin(r);
    const hi = umax(r);
    const next = T.step(t, lo);
    const loIn = (lo & ~t.mask) === t.value;
    const tmax = t.value | t.mask;
    if (loIn && next > hi) return known(lo);
    if (!loIn && next === tmax) return known(tmax);
    if (!loIn && next <= hi && T.step(t, next) > hi) return known(next);
    return r;
  };
  const updateBounds = (r: Scalar): Scalar => updateBounds64(updateBounds32(r));

  // kernel: __reg_deduce_bounds (deduce_bounds_32_from_64, deduce_bounds_64_from_32)
  const deduceBounds = (r0: Scalar): Scalar => {
    const r = withR32(r0, C32.intersect(r0.r32, cnumTruncate(C64, C32, r0.r64)));
    return withR64(r, cnumIntersectSub(C64, C32, r.r64, r.r32));
  };

  // kernel: __reg_bound_offset
  const boundOffset = (r: Scalar): Scalar => {
    const v64 = T.intersect(r.varOff, T.range(umin(r), umax(r)));
    const v32 = T.intersect(T.subreg(v64), T.range(u32min(r), u32max(r)));
    return withVarOff(r, T.or(T.clearSubreg(v64), v32));
  };

  // kernel: reg_bounds_sync
  // A consistent constant and the fully unknown scalar are fixed points of reg_bounds_sync
  // (scalar.test.ts checks both against the full computation): skipping them saves the
  // five-step sync on every constant operand and every reset.
  const isFixedPoint = (r: Scalar): boolean => {
    const t = r.varOff;
    if (t.mask === 0n)
      return r.r64.size === 0n && r.r64.base === t.value && r.r32.size === 0n && r.r32.base === (t.value & H.max);
    return t.mask === W.max && t.value === 0n && r.r64.base === 0n && r.r64.size === W.max &&
      r.r32.base === 0n && r.r32.size === H.max;
  };
  const boundsSyncFull = (r: Scalar): Scalar =>
    updateBounds(boundOffset(deduceBounds(deduceBounds(updateBounds(r)))));
  const boundsSync = (r: Scalar): Scalar => {
    if (rangeBoundsViolation(r)) return r;
    if (isFixedPoint(r)) return r;
    return boundsSyncFull(r);
  };

  /** kernel: reg_bounds_sanity_check — the message part, or null when the invariants hold */
  const sanityViolation = (r: Scalar): string | null => {
    if (rangeBoundsViolation(r)) return "range bounds violation";
    if (T.isConst(r.varOff) && (!C64.isConst(r.r64) || r.r64.base !== r.varOff.value))
      return "const tnum out of sync with range bounds";
    if (T.subregIsConst(r.varOff) && (!C32.isConst(r.r32) || r.r32.base !== T.subreg(r.varOff).value))
      return "const subreg tnum out of sync with range bounds";
    return null;
  };

  // kernel: zext_32_to_64
  const zext32To64 = (r: Scalar): Scalar =>
    mk(T.subreg(r.varOff), C64.fromURange(u32min(r), u32max(r)), r.r32);

  /** kernel: coerce_reg_to_size — truncate to the low `bits` (< register width) bits */
  const coerceToSize = (r: Scalar, nbits: number): Scalar => {
    const varOff = T.castBits(r.varOff, nbits);
    const mask = (1n << BigInt(nbits)) - 1n;
    const lo = umin(r);
    const hi = umax(r);
    const r64 = (lo & ~mask) === (hi & ~mask) ? C64.fromURange(lo & mask, hi & mask) : C64.fromURange(0n, mask);
    const r32 = nbits < H.bits ? C32.UNBOUNDED : r.r32;
    return boundsSync(mk(varOff, r64, r32));
  };

  /** kernel: coerce_reg_to_size_sx — movsx r, (s8|s16|s32) r; note: no bounds sync afterwards */
  const coerceToSizeSx = (r: Scalar, nbits: number): Scalar => {
    const nb = BigInt(nbits);
    if (T.isConst(r.varOff)) return known(BigInt.asIntN(nbits, r.varOff.value));
    const top = (x: bigint) => (u(W, x) >> nb) << nb;
    if (top(smax(r)) === top(smin(r))) {
      const a = BigInt.asIntN(nbits, u(W, smax(r)));
      const b = BigInt.asIntN(nbits, u(W, smin(r)));
      const hi = a > b ? a : b;
      const lo = a > b ? b : a;
      if ((hi >= 0n) === (lo >= 0n))
        return mk(T.range(u(W, lo), u(W, hi)), C64.fromSRange(lo, hi), C32.fromSRange(lo, hi));
    }
    const sm = 1n << (nb - 1n);
    return mk(T.unknown, C64.fromSRange(-sm, sm - 1n), C32.fromSRange(-sm, sm - 1n));
  };

  /**
   * kernel: coerce_subreg_to_size_sx — movsx w, (s8|s16) w. Leaves r64 alone (the caller
   * zero-extends); the constant case stores a full-width sign-extended tnum as the kernel does.
   */
  const coerceSubregToSizeSx = (r: Scalar, nbits: number): Scalar => {
    const nb = BigInt(nbits);
    if (T.isConst(r.varOff)) {
      const v = u(W, BigInt.asIntN(nbits, u(H, r.varOff.value)));
      const lo = u(H, v);
      return mk(tn(v, 0n), r.r64, C32.fromSRange(lo, lo));
    }
    const top = (x: bigint) => (u(H, x) >> nb) << nb;
    if (top(s32max(r)) === top(s32min(r))) {
      const a = BigInt.asIntN(nbits, u(H, s32max(r)));
      const b = BigInt.asIntN(nbits, u(H, s32min(r)));
      const hi = a > b ? a : b;
      const lo = a > b ? b : a;
      if ((lo >= 0n) === (hi >= 0n))
        return mk(T.subreg(T.range(u(W, lo), u(W, hi))), r.r64, C32.fromSRange(lo, hi));
    }
    const sm = 1n << (nb - 1n);
    return mk(T.subreg(T.unknown), r.r64, C32.fromSRange(-sm, sm - 1n));
  };

  /** kernel: the REG INVARIANTS VIOLATION text verifier_bug prints (ctx: "alu", "true_reg1", ...) */
  const sanityBugText = (r: Scalar, ctx: string): string | null => {
    const msg = sanityViolation(r);
    if (msg === null) return null;
    const x = (v: bigint) => "0x" + v.toString(16);
    return `REG INVARIANTS VIOLATION (${ctx}): ${msg} r64={.base=${x(r.r64.base)}, .size=${x(r.r64.size)}} ` +
      `r32={.base=${x(r.r32.base)}, .size=${x(r.r32.size)}} var_off=(${x(r.varOff.value)}, ${x(r.varOff.mask)})`;
  };

  /** kernel: __mark_reg_s32_range (without its sanity check): clamp both signed views, then sync */
  const markS32Range = (r0: Scalar, lo: bigint, hi: bigint): Scalar => {
    const a = c32clamp(r0, lo, hi);
    const r = setSRange64(a, smin(a) > lo ? smin(a) : lo, smax(a) < hi ? smax(a) : hi);
    return boundsSync(r);
  };
  const c32clamp = (r: Scalar, lo: bigint, hi: bigint): Scalar =>
    setSRange32(r, s32min(r) > lo ? s32min(r) : lo, s32max(r) < hi ? s32max(r) : hi);

  /** kernel: range_within (states.c) — both arcs of cur inside old's */
  const rangeWithin = (old: Scalar, cur: Scalar): boolean =>
    C64.isSubset(old.r64, cur.r64) && C32.isSubset(old.r32, cur.r32);
  /** the scalar part of regsafe: range_within && tnum_in */
  const within = (old: Scalar, cur: Scalar): boolean => rangeWithin(old, cur) && T.isIn(old.varOff, cur.varOff);

  /** kernel: get_reg_width */
  const regWidth = (r: Scalar): number => {
    const x = umax(r);
    return x === 0n ? 0 : x.toString(2).length;
  };
  /** kernel: reg_const_value (assumes is_reg_const) */
  const constValue = (r: Scalar, subreg32: boolean): bigint => (subreg32 ? T.subreg(r.varOff).value : r.varOff.value);

  /** true if the concrete full-width value v is a member of r */
  const contains = (r: Scalar, v: bigint): boolean =>
    T.contains(r.varOff, v) && C64.contains(r.r64, v) && C32.contains(r.r32, u(H, v));

  const equals = (a: Scalar, b: Scalar): boolean =>
    a.varOff.value === b.varOff.value && a.varOff.mask === b.varOff.mask &&
    a.r64.base === b.r64.base && a.r64.size === b.r64.size &&
    a.r32.base === b.r32.base && a.r32.size === b.r32.size;

  const isConst = (r: Scalar): boolean => T.isConst(r.varOff);
  const isConst32 = (r: Scalar): boolean => T.subregIsConst(r.varOff);

  return {
    W, H, T, C64, C32, mk, smin, smax, umin, umax, s32min, s32max, u32min, u32max,
    withR64, withR32, withVarOff, setSRange32, setURange32, setSRange64, setURange64,
    unknown, known, markKnown32, unbounded32, unbounded64, unbounded, reset64AndTnum, reset32AndTnum,
    cnum32FromTnum, cnum64FromTnum, rangeBoundsViolation, updateBounds32, updateBounds64,
    updateBounds, deduceBounds, boundOffset, boundsSync, sanityViolation, zext32To64, coerceToSize,
    coerceToSizeSx, coerceSubregToSizeSx, contains, equals, isConst, isConst32, sanityBugText,
    markS32Range, rangeWithin, within, regWidth, constValue, isFixedPoint, boundsSyncFull,
  };
}

export type ScalarCore = ReturnType<typeof makeScalarCore>;
