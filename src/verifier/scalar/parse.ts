// Reads a scalar back from its log text (`scalar(smin=...,var_off=(...))`, `P-1`, `0x10`): used to
// check the formatter against kernel logs and handy for tests that state registers the way the
// kernel prints them. The printed bounds pin down the arcs: an arc's derived unsigned (signed)
// range is either its own extent or, when it wraps, the full range.

import type { Scalar } from "./scalar.js";
import { tn } from "./tnum.js";
import { scalar64 as D } from "./domain.js";
import type { Cnum } from "./cnum.js";

export interface ParsedScalar {
  readonly precise: boolean;
  /** id=, parent_id= attributes in printed order */
  readonly prefixAttrs: readonly string[];
  readonly scalar: Scalar;
}

function num(text: string): bigint {
  return text.startsWith("-") ? -BigInt(text.slice(1)) : BigInt(text);
}

function pickArc(
  C: typeof D.C64, bits: number, smin: bigint, smax: bigint, umin: bigint, umax: bigint,
): Cnum | null {
  const sgn = (x: bigint) => BigInt.asIntN(bits, x);
  for (const c of [C.fromURange(umin, umax), C.fromSRange(smin, smax), C.UNBOUNDED]) {
    if (C.umin(c) === umin && C.umax(c) === umax && C.smin(c) === sgn(smin) && C.smax(c) === sgn(smax)) return c;
  }
  return null;
}

/** Returns null when the text is not a scalar in the 7.2 log syntax or denotes no arc. */
export function parseScalarText(text0: string): ParsedScalar | null {
  let text = text0;
  const precise = text.startsWith("P");
  if (precise) text = text.slice(1);
  if (/^-?(0x[0-9a-f]+|\d+)$/.test(text)) {
    return { precise, prefixAttrs: [], scalar: D.known(num(text)) };
  }
  const m = /^scalar\((.*)\)$/.exec(text);
  if (!m) return null;
  const v: Record<string, bigint> = {};
  const prefixAttrs: string[] = [];
  let varOff = D.T.unknown;
  const body = m[1];
  for (const part of body === "" ? [] : body.split(",")) {
    if (part.startsWith("id=") || part.startsWith("parent_id=")) { prefixAttrs.push(part); continue; }
    if (part.startsWith("var_off=")) {
      const t = /^var_off=\((0x[0-9a-f]+); (0x[0-9a-f]+)\)$/.exec(part);
      if (!t) return null;
      varOff = tn(BigInt(t[1]), BigInt(t[2]));
      continue;
    }
    const keys = part.split("=");
    const val = keys.pop();
    if (val === undefined || !/^-?(0x[0-9a-f]+|\d+)$/.test(val)) return null;
    for (const k of keys) {
      if (!/^[su](min|max)(32)?$/.test(k)) return null;
      let x = num(val);
      // hex smin/smax print the 64-bit pattern, hex smin32/smax32 the 32-bit one
      if (k[0] === "s") x = k.endsWith("32") ? BigInt.asIntN(32, x) : BigInt.asIntN(64, x);
      v[k] = x;
    }
  }
  const get = (k: string, d: bigint) => (k in v ? v[k] : d);
  const r64 = pickArc(D.C64, 64, get("smin", -(1n << 63n)), get("smax", (1n << 63n) - 1n), get("umin", 0n), get("umax", (1n << 64n) - 1n));
  const r32 = pickArc(D.C32, 32, get("smin32", -(1n << 31n)), get("smax32", (1n << 31n) - 1n), get("umin32", 0n), get("umax32", 0xffffffffn));
  if (!r64 || !r32) return null;
  return { precise, prefixAttrs, scalar: D.mk(varOff, r64, r32) };
}
