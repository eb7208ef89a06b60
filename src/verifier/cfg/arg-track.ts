// The lattice the stack liveness pass tracks per register and per spilled
// stack slot: which frame's FP a value derives from, at which offsets.
// kernel: struct arg_track and its operations (liveness.c: arg_single,
// arg_track_eq, arg_merge_offsets, arg_join_imprecise, __arg_track_join,
// arg_track_alu64, arg_padd, verbose_arg_track)
//
//   precise {frame=N, offs=[...]}   known frame, 1-4 candidate byte offsets
//   offset-imprecise {frame=N, offs=[]}
//   fully-imprecise {frame=ARG_IMPRECISE, mask}   mask: frames possibly involved

export const ARG_NONE = -1;
export const ARG_UNVISITED = -2;
export const ARG_IMPRECISE = -3;
const MAX_ARG_OFFSETS = 4;

export interface ArgTrack {
  readonly frame: number;
  /** Sorted candidate offsets (s16); empty = offset unknown. Unused unless frame >= 0. */
  readonly offs: readonly number[];
  /** Frames bitmask, only for ARG_IMPRECISE. */
  readonly mask: number;
}

export const NONE: ArgTrack = { frame: ARG_NONE, offs: [], mask: 0 };
export const UNVISITED: ArgTrack = { frame: ARG_UNVISITED, offs: [], mask: 0 };

export const argSingle = (frame: number, off: number): ArgTrack => ({ frame, offs: [off], mask: 0 });
export const argOffImprecise = (frame: number): ArgTrack => ({ frame, offs: [], mask: 0 });
export const argImprecise = (mask: number): ArgTrack => ({ frame: ARG_IMPRECISE, offs: [], mask });

export const isVisited = (a: ArgTrack): boolean => a.frame !== ARG_UNVISITED;
/** kernel: arg_is_fp — derived from some frame pointer. */
export const isFp = (a: ArgTrack): boolean => a.frame >= 0 || a.frame === ARG_IMPRECISE;

export function argEq(a: ArgTrack, b: ArgTrack): boolean {
  if (a.frame !== b.frame) return false;
  if (a.frame === ARG_IMPRECISE) return a.mask === b.mask;
  if (a.frame < 0) return true;
  if (a.offs.length !== b.offs.length) return false;
  return a.offs.every((o, i) => o === b.offs[i]);
}

// kernel: arg_merge_offsets — sorted union; more than 4 offsets degrade to
// offset-imprecise.
function mergeOffsets(a: ArgTrack, b: ArgTrack): ArgTrack {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  const push = (v: number): boolean => {
    if (out.length > 0 && out[out.length - 1] === v) return true;
    if (out.length >= MAX_ARG_OFFSETS) return false;
    out.push(v);
    return true;
  };
  while (i < a.offs.length && j < b.offs.length) {
    let v: number;
    if (a.offs[i]! <= b.offs[j]!) {
      v = a.offs[i++]!;
      if (v === b.offs[j]) j++;
    } else {
      v = b.offs[j++]!;
    }
    if (!push(v)) return argOffImprecise(a.frame);
  }
  // The tails are appended without the duplicate check, as the kernel does.
  for (; i < a.offs.length; i++) {
    if (out.length >= MAX_ARG_OFFSETS) return argOffImprecise(a.frame);
    out.push(a.offs[i]!);
  }
  for (; j < b.offs.length; j++) {
    if (out.length >= MAX_ARG_OFFSETS) return argOffImprecise(a.frame);
    out.push(b.offs[j]!);
  }
  return { frame: a.frame, offs: out, mask: 0 };
}

function frameBits(a: ArgTrack): number {
  if (a.frame >= 0) return 1 << a.frame;
  return a.frame === ARG_IMPRECISE ? a.mask : 0;
}

/** kernel: arg_join_imprecise */
export const joinImprecise = (a: ArgTrack, b: ArgTrack): ArgTrack => argImprecise(frameBits(a) | frameBits(b));

/** kernel: __arg_track_join — the merge at CFG join points. */
export function argJoin(a: ArgTrack, b: ArgTrack): ArgTrack {
  if (!isVisited(b)) return a;
  if (!isVisited(a)) return b;
  if (a.frame === b.frame && a.frame >= 0) {
    if (a.offs.length === 0 || b.offs.length === 0) return argOffImprecise(a.frame);
    return mergeOffsets(a, b);
  }
  if (a.frame === ARG_NONE && b.frame === ARG_NONE) return a;
  // A pointer on one side only: a single fp-N gains a fake fp+0 so the slot
  // stays "used" but can no longer be "defined".
  if (a.frame >= 0 && b.frame === ARG_NONE) return a.offs.length === 1 ? mergeOffsets(a, argSingle(a.frame, 0)) : a;
  if (b.frame >= 0 && a.frame === ARG_NONE) return b.offs.length === 1 ? mergeOffsets(b, argSingle(b.frame, 0)) : b;
  return joinImprecise(a, b);
}

/** kernel: arg_track_alu64 — an ALU op that loses the offset. */
export function argAlu64(dst: ArgTrack, src: ArgTrack): ArgTrack {
  if (dst.frame >= 0 && (src.frame === ARG_NONE || src.frame === dst.frame)) return argOffImprecise(dst.frame);
  if (src.frame >= 0 && dst.frame === ARG_NONE) return argOffImprecise(src.frame);
  if (dst.frame === ARG_NONE && src.frame === ARG_NONE) return dst;
  return joinImprecise(dst, src);
}

/** kernel: arg_add — s16 off + delta; undefined on overflow (delta must fit s16 too). */
export function argAdd(off: number, delta: number): number | undefined {
  const d = (delta << 16) >> 16;
  if (d !== delta) return undefined;
  const r = off + d;
  return r < -32768 || r > 32767 ? undefined : r;
}

/** kernel: arg_padd — pointer plus a constant. */
export function argPadd(a: ArgTrack, delta: number): ArgTrack {
  if (a.offs.length === 0) return a;
  const out: number[] = [];
  for (const o of a.offs) {
    const n = argAdd(o, delta);
    if (n === undefined) return argOffImprecise(a.frame);
    out.push(n);
  }
  return { frame: a.frame, offs: out, mask: 0 };
}

const signed = (n: number): string => (n >= 0 ? `+${n}` : `${n}`);

/** kernel: verbose_arg_track */
export function fmtArgTrack(a: ArgTrack): string {
  switch (a.frame) {
    case ARG_NONE:
      return "_";
    case ARG_UNVISITED:
      return "?";
    case ARG_IMPRECISE:
      return `IMP${a.mask.toString(16)}`;
    default:
      if (a.offs.length === 0) return `fp${a.frame} ?`;
      return a.offs.map((o) => `fp${a.frame}${signed(o)}`).join("|");
  }
}
