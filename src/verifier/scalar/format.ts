// Log text of scalars. kernel: log.c print_reg_state (scalar part), print_scalar_ranges with its
// minmaxs[] table, tnum_strn, verbose_snum / verbose_unum. Full 64-bit registers only.

import type { Scalar } from "./scalar.js";
import type { Tnum } from "./tnum.js";
import { scalar64 as D } from "./domain.js";

const U64 = (1n << 64n) - 1n;

function hex(v: bigint): string {
  // the kernel's %#llx prints 0 as 0x0
  return "0x" + BigInt.asUintN(64, v).toString(16);
}

/** kernel: verbose_unum — decimal up to U16_MAX, else hex */
export function unumText(v: bigint): string {
  const x = BigInt.asUintN(64, v);
  return x <= 0xffffn ? x.toString() : hex(x);
}

/** kernel: verbose_snum — decimal within [S16_MIN, S16_MAX], else the 64-bit pattern in hex */
export function snumText(v: bigint): string {
  const x = BigInt.asIntN(64, v);
  return x >= -0x8000n && x <= 0x7fffn ? x.toString() : hex(x);
}

/** kernel: tnum_strn */
export function tnumText(t: Tnum): string {
  if (t.mask === 0n) {
    if (t.value <= 0xffffn) return t.value.toString();
    return snumText(t.value);
  }
  return `(${hex(t.value)}; ${hex(t.mask)})`;
}

interface MinMax {
  readonly name: string;
  readonly val: bigint; // as the kernel's u64 field
  omit: boolean;
}

/**
 * kernel: print_scalar_ranges + the var_off part of print_reg_state: the comma-separated
 * attributes of a non-constant scalar (without id=, which the caller prepends).
 */
export function scalarRangeAttrs(r: Scalar): string[] {
  const smin = D.smin(r), smax = D.smax(r), umin = D.umin(r), umax = D.umax(r);
  const s32min = D.s32min(r), s32max = D.s32max(r), u32min = D.u32min(r), u32max = D.u32max(r);
  const isSnumDecimal = (x: bigint) => x >= -0x8000n && x <= 0x7fffn;
  // 32-bit signed values are sign-extended only when they print in decimal: in hex,
  // smin32=0xfffffffe reads better than a 64-bit pattern
  const s32field = (x: bigint) => (isSnumDecimal(x) ? BigInt.asUintN(64, x) : BigInt.asUintN(32, x));
  const m: MinMax[] = [
    { name: "smin", val: BigInt.asUintN(64, smin), omit: smin === -(1n << 63n) },
    { name: "smax", val: BigInt.asUintN(64, smax), omit: smax === (1n << 63n) - 1n },
    { name: "umin", val: umin, omit: umin === 0n },
    { name: "umax", val: umax, omit: umax === U64 },
    { name: "smin32", val: s32field(s32min), omit: s32min === -(1n << 31n) },
    { name: "smax32", val: s32field(s32max), omit: s32max === (1n << 31n) - 1n },
    { name: "umin32", val: u32min, omit: u32min === 0n },
    { name: "umax32", val: u32max, omit: u32max === 0xffffffffn },
  ];
  const out: string[] = [];
  const neg = (x: MinMax) => x.name[0] === "s" && BigInt.asIntN(64, x.val) < 0n;
  for (let i = 0; i < m.length; i++) {
    const m1 = m[i];
    if (m1.omit) continue;
    let text = `${m1.name}=`;
    for (let j = i + 2; j < m.length; j += 2) {
      const m2 = m[j];
      if (m2.omit || m2.val !== m1.val) continue;
      // equal bit patterns of opposite sign are not merged
      if (neg(m2) !== neg(m1)) continue;
      m2.omit = true;
      text += `${m2.name}=`;
    }
    text += m1.name[0] === "s" ? snumText(m1.val) : unumText(m1.val);
    out.push(text);
  }
  if (r.varOff.mask !== U64) out.push(`var_off=${tnumText(r.varOff)}`);
  return out;
}

/**
 * The text of a scalar register in a state line, as print_reg_state writes it: `P` when precise,
 * the constant alone when var_off is known, else `scalar(` + attributes + `)`. `prefixAttrs`
 * are the attributes the kernel prints before the ranges (`id=N`, `id=N+delta`, `parent_id=N`).
 */
export function formatScalar(r: Scalar, precise = false, prefixAttrs: readonly string[] = []): string {
  const p = precise ? "P" : "";
  if (r.varOff.mask === 0n) return p + snumText(r.varOff.value);
  return `${p}scalar(${[...prefixAttrs, ...scalarRangeAttrs(r)].join(",")})`;
}
