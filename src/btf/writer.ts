// A small BTF writer for tests: builds raw BTF blobs type by type, including
// split BTF, the 7.2 32-byte header with a kind-layout section, and deliberately
// corrupt records (raw()). Ids are handed out in order, so a type may refer to
// an id that is added later (nextId tells which).

import type { Btf } from "./btf.js";
import { BTF_KIND, KNOWN_KIND_LAYOUT, type BtfKindName } from "./kinds.js";

export interface BtfWriterOptions {
  /** Write split BTF over this base: ids and string offsets continue after it. */
  base?: Btf;
  /** Use the 7.2 32-byte header (layout_off/layout_len). */
  header32?: boolean;
  /** Add a kind-layout section: the known kinds' layouts, plus these extra entries by kind number. */
  layout?: boolean | Record<number, { infoSize: number; elemSize: number }>;
}

export interface WriterMember {
  name: string;
  type: number;
  /** Bit offset inside the struct. */
  bitOffset: number;
  /** Bitfield size; a non-zero value anywhere turns on kind_flag. */
  bitfieldSize?: number;
}

export class BtfWriter {
  readonly #words: number[] = [];
  readonly #strs: number[] = [];
  readonly #strIdx = new Map<string, number>();
  readonly #opts: BtfWriterOptions;
  readonly #startId: number;
  readonly #startStr: number;
  #count = 0;

  constructor(opts: BtfWriterOptions = {}) {
    this.#opts = opts;
    this.#startId = opts.base ? opts.base.typeCount : 1;
    this.#startStr = opts.base ? opts.base.strEnd : 0;
    if (!opts.base) this.str(""); // base BTF strings start with the empty string
    else this.#strIdx.set("", 0);
  }

  /** The id the next added type gets. */
  get nextId(): number {
    return this.#startId + this.#count;
  }

  /** Offset of a string (added once). */
  str(s: string): number {
    const have = this.#strIdx.get(s);
    if (have !== undefined) return have;
    const off = this.#startStr + this.#strs.length;
    for (const b of new TextEncoder().encode(s)) this.#strs.push(b);
    this.#strs.push(0);
    this.#strIdx.set(s, off);
    return off;
  }

  /** Any record: name offset, raw info word, size/type word, extra words. */
  raw(nameOff: number, info: number, sizeOrType: number, extra: readonly number[] = []): number {
    this.#words.push(nameOff >>> 0, info >>> 0, sizeOrType >>> 0);
    for (const x of extra) this.#words.push(x >>> 0);
    return this.#startId + this.#count++;
  }

  #add(kind: BtfKindName, name: string, vlen: number, kflag: boolean, sizeOrType: number, extra: readonly number[] = []): number {
    const info = ((kflag ? 1 : 0) << 31) | (BTF_KIND[kind] << 24) | vlen;
    return this.raw(this.str(name), info, sizeOrType, extra);
  }

  int(name: string, size: number, encoding = 0, bits = size * 8, bitsOffset = 0): number {
    return this.#add("INT", name, 0, false, size, [(encoding << 24) | (bitsOffset << 16) | bits]);
  }
  ptr(type: number): number {
    return this.#add("PTR", "", 0, false, type);
  }
  typedef(name: string, type: number): number {
    return this.#add("TYPEDEF", name, 0, false, type);
  }
  const(type: number): number {
    return this.#add("CONST", "", 0, false, type);
  }
  volatile(type: number): number {
    return this.#add("VOLATILE", "", 0, false, type);
  }
  restrict(type: number): number {
    return this.#add("RESTRICT", "", 0, false, type);
  }
  typeTag(value: string, type: number, attr = false): number {
    return this.#add("TYPE_TAG", value, 0, attr, type);
  }
  array(elemType: number, indexType: number, nelems: number): number {
    return this.#add("ARRAY", "", 0, false, 0, [elemType, indexType, nelems]);
  }
  struct(name: string, size: number, members: readonly WriterMember[], kind: "STRUCT" | "UNION" = "STRUCT"): number {
    const kflag = members.some((m) => (m.bitfieldSize ?? 0) !== 0);
    const extra: number[] = [];
    for (const m of members) {
      extra.push(this.str(m.name), m.type, kflag ? ((m.bitfieldSize ?? 0) << 24) | m.bitOffset : m.bitOffset);
    }
    return this.#add(kind, name, members.length, kflag, size, extra);
  }
  union(name: string, size: number, members: readonly WriterMember[]): number {
    return this.struct(name, size, members, "UNION");
  }
  enum(name: string, size: number, values: readonly [string, number][], signed = false): number {
    const extra: number[] = [];
    for (const [n, v] of values) extra.push(this.str(n), v);
    return this.#add("ENUM", name, values.length, signed, size, extra);
  }
  enum64(name: string, size: number, values: readonly [string, bigint][], signed = false): number {
    const extra: number[] = [];
    for (const [n, v] of values) {
      const u = BigInt.asUintN(64, v);
      extra.push(this.str(n), Number(u & 0xffffffffn), Number(u >> 32n));
    }
    return this.#add("ENUM64", name, values.length, signed, size, extra);
  }
  fwd(name: string, isUnion = false): number {
    return this.#add("FWD", name, 0, isUnion, 0);
  }
  func(name: string, proto: number, linkage = 0): number {
    return this.#add("FUNC", name, linkage, false, proto);
  }
  funcProto(ret: number, params: readonly [string, number][]): number {
    const extra: number[] = [];
    for (const [n, t] of params) extra.push(this.str(n), t);
    return this.#add("FUNC_PROTO", "", params.length, false, ret, extra);
  }
  var(name: string, type: number, linkage = 1): number {
    return this.#add("VAR", name, 0, false, type, [linkage]);
  }
  datasec(name: string, size: number, vars: readonly { type: number; offset: number; size: number }[]): number {
    const extra: number[] = [];
    for (const v of vars) extra.push(v.type, v.offset, v.size);
    return this.#add("DATASEC", name, vars.length, false, size, extra);
  }
  float(name: string, size: number): number {
    return this.#add("FLOAT", name, 0, false, size);
  }
  declTag(value: string, type: number, componentIdx = -1): number {
    return this.#add("DECL_TAG", value, 0, false, type, [componentIdx]);
  }

  /** The raw BTF blob: header, types, optional layout section, strings. */
  build(): Uint8Array {
    const layout = this.#opts.layout;
    const layoutBytes: number[] = [];
    if (layout) {
      const entries: { infoSize: number; elemSize: number }[] = KNOWN_KIND_LAYOUT.map((l) => ({ infoSize: l.info, elemSize: l.elem }));
      if (typeof layout === "object") {
        for (const [k, v] of Object.entries(layout)) {
          const kind = Number(k);
          while (entries.length <= kind) entries.push({ infoSize: 0, elemSize: 0 });
          entries[kind] = v;
        }
      }
      for (const e of entries) layoutBytes.push(e.infoSize, e.elemSize, 0, 0);
    }
    const hdrLen = this.#opts.header32 || layout ? 32 : 24;
    const typeLen = this.#words.length * 4;
    const out = new Uint8Array(hdrLen + typeLen + layoutBytes.length + this.#strs.length);
    const dv = new DataView(out.buffer);
    dv.setUint16(0, 0xeb9f, true);
    dv.setUint8(2, 1);
    dv.setUint32(4, hdrLen, true);
    dv.setUint32(8, 0, true);
    dv.setUint32(12, typeLen, true);
    dv.setUint32(16, typeLen + layoutBytes.length, true);
    dv.setUint32(20, this.#strs.length, true);
    if (hdrLen === 32) {
      dv.setUint32(24, layoutBytes.length ? typeLen : 0, true);
      dv.setUint32(28, layoutBytes.length, true);
    }
    this.#words.forEach((w, i) => dv.setUint32(hdrLen + i * 4, w, true));
    out.set(layoutBytes, hdrLen + typeLen);
    out.set(this.#strs, hdrLen + typeLen + layoutBytes.length);
    return out;
  }
}

export interface BtfExtWriterInput {
  /** Per ELF section: [insn byte offset, type id]. */
  funcInfo?: { sec: string; recs: [number, number][] }[];
  /** Per ELF section: [insn byte offset, file name, line text, line, col]. */
  lineInfo?: { sec: string; recs: [number, string, string, number, number][] }[];
  /** Per ELF section: [insn byte offset, type id, access string, kind number]. */
  coreRelos?: { sec: string; recs: [number, number, string, number][] }[];
}

/** A .BTF.ext blob whose strings are added to `w` (so build `w` afterwards). */
export function writeBtfExt(w: BtfWriter, input: BtfExtWriterInput): Uint8Array {
  const words: number[] = [];
  const sub = <R>(secs: { sec: string; recs: R[] }[] | undefined, recWords: number, rec: (r: R) => number[]): [number, number] => {
    if (!secs || secs.length === 0) return [words.length * 4, 0];
    const start = words.length;
    words.push(recWords * 4);
    for (const s of secs) {
      words.push(w.str(s.sec), s.recs.length);
      for (const r of s.recs) for (const x of rec(r)) words.push(x);
    }
    return [start * 4, (words.length - start) * 4];
  };
  const [fo, fl] = sub(input.funcInfo, 2, (r) => [r[0], r[1]]);
  const [lo, ll] = sub(input.lineInfo, 4, (r) => [r[0], w.str(r[1]), w.str(r[2]), (r[3] << 10) | r[4]]);
  const [co, cl] = sub(input.coreRelos, 4, (r) => [r[0], r[1], w.str(r[2]), r[3]]);
  const out = new Uint8Array(32 + words.length * 4);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0xeb9f, true);
  dv.setUint8(2, 1);
  dv.setUint32(4, 32, true);
  [fo, fl, lo, ll, co, cl].forEach((v, i) => dv.setUint32(8 + i * 4, v, true));
  words.forEach((v, i) => dv.setUint32(32 + i * 4, v >>> 0, true));
  return out;
}
