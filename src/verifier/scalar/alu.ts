// ALU transfer functions on scalars, 32 and 64 bit, as 7.2 computes them.
// kernel: adjust_scalar_min_max_vals and the scalar{,32}_min_max_* helpers, scalar_byte_swap,
// maybe_fork_scalars, is_safe_to_compute_dst_reg_range.

import { u, s, bmin, bmax } from "./width.js";
import type { Scalar, ScalarCore } from "./scalar.js";

export type AluOp =
  | "BPF_ADD" | "BPF_SUB" | "BPF_MUL" | "BPF_DIV" | "BPF_OR" | "BPF_AND" | "BPF_LSH" | "BPF_RSH"
  | "BPF_NEG" | "BPF_MOD" | "BPF_XOR" | "BPF_ARSH" | "BPF_END";

export interface AluInsn {
  readonly op: AluOp;
  /** BPF_ALU64 class (false: BPF_ALU, the 32-bit ops) */
  readonly alu64: boolean;
  /** insn->off == 1 on BPF_DIV/BPF_MOD: sdiv/smod */
  readonly signed?: boolean;
  /** BPF_END only: BPF_TO_LE source bit and the size in imm (16, 32, 64) */
  readonly end?: { readonly toLe: boolean; readonly imm: 16 | 32 | 64 };
}

export interface AluResult {
  /** the new dst value; the caller keeps type SCALAR_VALUE */
  readonly value: Scalar;
  /**
   * The op was not computable (is_safe_to_compute_dst_reg_range false): the kernel calls
   * __mark_reg_unknown, i.e. the whole register is reset (id, precise = !bpf_capable, ...).
   */
  readonly markedUnknown: boolean;
  /** The kernel zeroed the register's id/parent_id (__mark_reg_known or clear_scalar_id ran). */
  readonly clearId: boolean;
  /**
   * maybe_fork_scalars: for AND/OR with a constant src on a dst in [-1, 0], the kernel pushes a
   * state at the same insn (to be verified again) in which dst holds this value; the current
   * path continues with dst = -1 and its result is `value`.
   */
  readonly forkDst?: Scalar;
  /** clearId for the pushed state (its dst went through __mark_reg_known in the 64-bit case) */
  readonly forkClearId?: boolean;
}

export function makeAlu(c: ScalarCore, bigEndian = false) {
  const { W, H, T, C64, C32 } = c;
  const wbits = BigInt(W.bits);
  const hbits = BigInt(H.bits);

  // kernel: is_safe_to_compute_dst_reg_range
  const safeToCompute = (insn: AluInsn, src: Scalar): boolean => {
    const bitness = insn.alu64 ? wbits : hbits;
    const srcConst = insn.alu64
      ? T.isConst(src.varOff) && c.smin(src) === c.smax(src) && c.umin(src) === c.umax(src)
      : T.subregIsConst(src.varOff) && c.s32min(src) === c.s32max(src) && c.u32min(src) === c.u32max(src);
    switch (insn.op) {
      case "BPF_ADD": case "BPF_SUB": case "BPF_NEG": case "BPF_AND": case "BPF_XOR": case "BPF_OR":
      case "BPF_MUL": case "BPF_END":
        return true;
      case "BPF_DIV": case "BPF_MOD":
        return srcConst;
      case "BPF_LSH": case "BPF_RSH": case "BPF_ARSH":
        return srcConst && c.umax(src) < bitness;
    }
  };

  const mulBounds = (
    C: typeof C64, lim: typeof W, aU: [bigint, bigint], bU: [bigint, bigint], aS: [bigint, bigint], bS: [bigint, bigint],
  ) => {
    let umin = aU[0] * bU[0];
    let umax = aU[1] * bU[1];
    if (umax > lim.max || umin > lim.max) { umin = 0n; umax = lim.max; }
    const prods = [aS[0] * bS[0], aS[0] * bS[1], aS[1] * bS[0], aS[1] * bS[1]];
    let smin = -lim.signBit;
    let smax = lim.smax;
    if (prods.every((p) => p >= -lim.signBit && p <= lim.smax)) {
      smin = prods.reduce(bmin);
      smax = prods.reduce(bmax);
    }
    return C.intersect(C.fromURange(umin, umax), C.fromSRange(smin, smax));
  };

  // kernel: scalar32_min_max_lsh / __scalar32_min_max_lsh
  const lsh32Range = (d: Scalar, lo: bigint, hi: bigint): Scalar =>
    hi > hbits - 1n || c.u32max(d) > 1n << (hbits - 1n - hi)
      ? c.setURange32(d, 0n, H.max)
      : c.setURange32(d, u(H, c.u32min(d) << lo), u(H, c.u32max(d) << hi));

  // kernel: __scalar64_min_max_lsh — <<32 keeps the s32 bounds (the <<32 s>>32 sign-extension idiom)
  const lsh64Range = (d: Scalar, lo: bigint, hi: bigint): Scalar => {
    const sr = lo === hbits && hi === hbits
      ? C64.fromSRange(c.s32min(d) << hbits, c.s32max(d) << hbits)
      : C64.UNBOUNDED;
    const ur = c.umax(d) > 1n << (wbits - 1n - hi)
      ? C64.UNBOUNDED
      : C64.fromURange(u(W, c.umin(d) << lo), u(W, c.umax(d) << hi));
    return c.withR64(d, C64.intersect(ur, sr));
  };

  // kernel: scalar_byte_swap
  const byteSwap = (d: Scalar, end: NonNullable<AluInsn["end"]>, alu64: boolean): [Scalar, boolean] => {
    const needBswap = alu64 || end.toLe === bigEndian;
    const clearId = needBswap || end.imm === 16 || end.imm === 32;
    let r = d;
    if (needBswap) {
      r = c.unbounded(c.withVarOff(r, T.bswap(r.varOff, (end.imm / 8) as 2 | 4 | 8)));
    }
    if (end.imm === 16 || end.imm === 32) r = c.coerceToSize(r, (W.bits / 64) * end.imm);
    return [r, clearId];
  };

  const maybeFork = (d: Scalar): { cur: Scalar; pushed: Scalar; is64: boolean } | null => {
    if (c.smin(d) === -1n && c.smax(d) === 0n) return { cur: c.known(-1n), pushed: c.known(0n), is64: true };
    if (c.s32min(d) === -1n && c.s32max(d) === 0n)
      return { cur: c.markKnown32(d, -1n), pushed: c.markKnown32(d, 0n), is64: false };
    return null;
  };

  const wellFormedConst = (r: Scalar): boolean =>
    r.varOff.mask === 0n && r.r64.size === 0n && r.r64.base === r.varOff.value &&
    r.r32.size === 0n && r.r32.base === (r.varOff.value & H.max);

  /**
   * kernel: adjust_scalar_min_max_vals. For BPF_NEG and BPF_END pass the dst value as src.
   * For BPF_K operands pass c.known(imm) with imm sign-extended from 32 bits.
   */
  const adjust = (dst0: Scalar, src: Scalar, insn: AluInsn): AluResult => {
    // Fast path for loop counters: ADD/SUB of two consistent constants, where the general path
    // ends in exactly known(result) (alu.test.ts checks the two agree)
    if ((insn.op === "BPF_ADD" || insn.op === "BPF_SUB") && wellFormedConst(dst0) && wellFormedConst(src)) {
      const x = dst0.varOff.value, y = src.varOff.value;
      const z = insn.op === "BPF_ADD" ? x + y : x - y;
      return { value: c.known(insn.alu64 ? u(W, z) : u(H, z)), markedUnknown: false, clearId: false };
    }
    return adjustGeneric(dst0, src, insn);
  };

  const adjustGeneric = (dst0: Scalar, src: Scalar, insn: AluInsn): AluResult => {
    if (!safeToCompute(insn, src)) return { value: c.unknown, markedUnknown: true, clearId: true };
    const alu32 = !insn.alu64;
    let d = dst0;
    let clearId = false;
    let forkDst: Scalar | undefined;
    let forkClearId: boolean | undefined;

    const bitwise = (tnumOp: (a: typeof d.varOff, b: typeof d.varOff) => typeof d.varOff, kind: "and" | "or" | "xor") => {
      d = c.withVarOff(d, tnumOp(d.varOff, src.varOff));
      const sub = T.subreg(d.varOff);
      // 32-bit half
      if (T.subregIsConst(src.varOff) && T.subregIsConst(d.varOff)) d = c.markKnown32(d, sub.value);
      else if (kind === "and") d = c.setURange32(d, sub.value, bmin(c.u32max(d), c.u32max(src)));
      else if (kind === "or") d = c.setURange32(d, bmax(c.u32min(d), c.u32min(src)), sub.value | sub.mask);
      else d = c.setURange32(d, sub.value, sub.value | sub.mask);
      // 64-bit half
      if (T.isConst(src.varOff) && T.isConst(d.varOff)) {
        d = c.known(d.varOff.value);
        clearId = true;
        return;
      }
      const t = d.varOff;
      if (kind === "and") d = c.updateBounds(c.setURange64(d, t.value, bmin(c.umax(d), c.umax(src))));
      else if (kind === "or") d = c.updateBounds(c.setURange64(d, bmax(c.umin(d), c.umin(src)), t.value | t.mask));
      else d = c.setURange64(d, t.value, t.value | t.mask);
    };

    switch (insn.op) {
      case "BPF_ADD":
        d = c.mk(T.add(d.varOff, src.varOff), C64.add(d.r64, src.r64), C32.add(d.r32, src.r32));
        break;
      case "BPF_SUB":
        d = c.mk(T.sub(d.varOff, src.varOff), C64.add(d.r64, C64.negate(src.r64)), C32.add(d.r32, C32.negate(src.r32)));
        break;
      case "BPF_NEG": {
        const z = c.known(0n);
        d = c.mk(T.neg(dst0.varOff), C64.add(z.r64, C64.negate(dst0.r64)), C32.add(z.r32, C32.negate(dst0.r32)));
        clearId = true;
        break;
      }
      case "BPF_MUL": {
        const t = T.mul(d.varOff, src.varOff);
        const r32 = mulBounds(C32, H, [c.u32min(d), c.u32max(d)], [c.u32min(src), c.u32max(src)],
          [c.s32min(d), c.s32max(d)], [c.s32min(src), c.s32max(src)]);
        const r64 = mulBounds(C64, W, [c.umin(d), c.umax(d)], [c.umin(src), c.umax(src)],
          [c.smin(d), c.smax(d)], [c.smin(src), c.smax(src)]);
        d = c.mk(t, r64, r32);
        break;
      }
      case "BPF_DIV": {
        if ((alu32 ? c.u32min(src) : c.umin(src)) === 0n) {
          d = c.known(0n);
          break;
        }
        if (alu32 && insn.signed) {
          let lo = c.s32min(d), hi = c.s32max(d);
          const v = c.s32min(src);
          if (lo === -H.signBit && v === -1n) {
            if (hi !== -H.signBit) { lo = -H.signBit; hi = H.smax; }
          } else {
            const a = lo / v, b = hi / v;
            lo = bmin(a, b); hi = bmax(a, b);
          }
          d = c.reset64AndTnum(c.setSRange32(d, lo, hi));
        } else if (alu32) {
          const v = c.u32min(src);
          d = c.reset64AndTnum(c.setURange32(d, c.u32min(d) / v, c.u32max(d) / v));
        } else if (insn.signed) {
          let lo = c.smin(d), hi = c.smax(d);
          const v = c.smin(src);
          if (lo === -W.signBit && v === -1n) {
            if (hi !== -W.signBit) { lo = -W.signBit; hi = W.smax; }
          } else {
            const a = lo / v, b = hi / v;
            lo = bmin(a, b); hi = bmax(a, b);
          }
          d = c.reset32AndTnum(c.setSRange64(d, lo, hi));
        } else {
          const v = c.umin(src);
          d = c.reset32AndTnum(c.setURange64(d, c.umin(d) / v, c.umax(d) / v));
        }
        break;
      }
      case "BPF_MOD": {
        if ((alu32 ? c.u32min(src) : c.umin(src)) === 0n) break;
        if (insn.signed) {
          const v = alu32 ? c.s32min(src) : c.smin(src);
          const lim = alu32 ? H : W;
          const resMaxAbs = s(lim, u(lim, (v > 0n ? v : -v) - 1n));
          const lo = alu32 ? c.s32min(d) : c.smin(d);
          const hi = alu32 ? c.s32max(d) : c.smax(d);
          if (lo >= -resMaxAbs && hi <= resMaxAbs) break;
          const set = alu32 ? c.setSRange32 : c.setSRange64;
          if (lo >= 0n) d = set(d, 0n, bmin(hi, resMaxAbs));
          else if (hi <= 0n) d = set(d, bmax(lo, -resMaxAbs), 0n);
          else d = set(d, -resMaxAbs, resMaxAbs);
          d = alu32 ? c.reset64AndTnum(d) : c.reset32AndTnum(d);
        } else {
          const resMax = (alu32 ? c.u32min(src) : c.umin(src)) - 1n;
          const hi = alu32 ? c.u32max(d) : c.umax(d);
          if (hi <= resMax) break;
          d = alu32
            ? c.reset64AndTnum(c.setURange32(d, 0n, bmin(hi, resMax)))
            : c.reset32AndTnum(c.setURange64(d, 0n, bmin(hi, resMax)));
        }
        break;
      }
      case "BPF_AND":
      case "BPF_OR": {
        if (T.isConst(src.varOff)) {
          const f = maybeFork(d);
          if (f) {
            forkDst = f.pushed;
            forkClearId = f.is64;
            if (f.is64) clearId = true;
            d = f.cur;
          }
        }
        bitwise(insn.op === "BPF_AND" ? T.and : T.or, insn.op === "BPF_AND" ? "and" : "or");
        break;
      }
      case "BPF_XOR":
        bitwise(T.xor, "xor");
        break;
      case "BPF_LSH": {
        const lo = alu32 ? c.u32min(src) : c.umin(src);
        const hi = alu32 ? c.u32max(src) : c.umax(src);
        if (alu32) {
          const sub = T.subreg(d.varOff);
          d = lsh32Range(d, lo, hi);
          d = c.updateBounds32(c.unbounded64(c.withVarOff(d, T.subreg(T.lshift(sub, lo)))));
        } else {
          d = lsh32Range(lsh64Range(d, lo, hi), lo, hi);
          d = c.updateBounds(c.withVarOff(d, T.lshift(d.varOff, lo)));
        }
        break;
      }
      case "BPF_RSH": {
        if (alu32) {
          const lo = c.u32min(src), hi = c.u32max(src);
          d = c.withVarOff(d, T.rshift(T.subreg(d.varOff), lo));
          d = c.setURange32(d, c.u32min(d) >> hi, c.u32max(d) >> lo);
          d = c.updateBounds32(c.unbounded64(d));
        } else {
          const lo = c.umin(src), hi = c.umax(src);
          d = c.withVarOff(d, T.rshift(d.varOff, lo));
          d = c.setURange64(d, c.umin(d) >> hi, c.umax(d) >> lo);
          d = c.updateBounds(c.unbounded32(d));
        }
        break;
      }
      case "BPF_ARSH": {
        if (alu32) {
          const sh = c.u32min(src);
          d = c.setSRange32(d, c.s32min(d) >> sh, c.s32max(d) >> sh);
          d = c.withVarOff(d, T.arshift(T.subreg(d.varOff), sh, "sub"));
          d = c.updateBounds32(c.unbounded64(d));
        } else {
          const sh = c.umin(src);
          d = c.setSRange64(d, c.smin(d) >> sh, c.smax(d) >> sh);
          d = c.withVarOff(d, T.arshift(d.varOff, sh, "full"));
          d = c.updateBounds(c.unbounded32(d));
        }
        break;
      }
      case "BPF_END": {
        if (!insn.end) throw new TypeError("BPF_END needs insn.end");
        [d, clearId] = byteSwap(d, insn.end, insn.alu64);
        break;
      }
    }
    if (alu32 && insn.op !== "BPF_END") d = c.zext32To64(d);
    d = c.boundsSync(d);
    const res: AluResult = { value: d, markedUnknown: false, clearId };
    return forkDst ? { ...res, forkDst, forkClearId } : res;
  };

  /**
   * kernel: the MOV arm of check_alu_op for a scalar source. sxBits: 0 for a plain move, else the
   * movsx source size in bits (8/16/32 at 64-bit width). The caller handles ids and subreg_def.
   */
  const mov = (src: Scalar, alu64: boolean, sxBits: number): Scalar => {
    const scale = W.bits / 64;
    if (alu64) return sxBits === 0 ? src : c.coerceToSizeSx(src, sxBits * scale);
    const r = sxBits === 0 ? src : c.coerceSubregToSizeSx(src, sxBits * scale);
    return c.boundsSync(c.zext32To64(r));
  };

  /** kernel: the BPF_K arm of MOV: imm is the insn's s32 immediate */
  const movImm = (imm: bigint, alu64: boolean): Scalar => c.known(alu64 ? imm : u(H, imm));

  /** kernel: add_scalar_to_reg / the delta step of sync_linked_regs (zext32 for ADD_CONST32 links) */
  const addConst = (d: Scalar, val: bigint, zext32: boolean): Scalar => {
    // add_scalar_to_reg returns early on 0 (no sync); sync_linked_regs never passes 0
    if (val === 0n) return d;
    const k = c.known(val);
    let r = c.mk(T.add(d.varOff, k.varOff), C64.add(d.r64, k.r64), C32.add(d.r32, k.r32));
    if (zext32) r = c.zext32To64(r);
    return c.boundsSync(r);
  };

  return { safeToCompute, adjust, adjustGeneric, mov, movImm, addConst };
}

export type AluOps = ReturnType<typeof makeAlu>;
