// A parsed BTF blob (base or split), indexed by type id (parse.ts builds it). The
// type section stays a Uint32Array; a type is decoded into an object only when
// asked for, and names are looked up by bisection when the blob is name-sorted.

import { InputError, type Where } from "../util/errors.js";
import {
  BTF_KIND,
  BTF_KIND_NAMES,
  NR_BTF_KINDS,
  type BtfKindName,
  infoKflag,
  infoKind,
  infoVlen,
} from "./kinds.js";
import type { BtfType, BtfTypeKind } from "./types.js";
import { decodeType } from "./decode.js";

export interface BtfHeader {
  readonly magic: number;
  readonly version: number;
  readonly flags: number;
  readonly hdrLen: number;
  readonly typeOff: number;
  readonly typeLen: number;
  readonly strOff: number;
  readonly strLen: number;
  /** 7.2 kind-layout section; 0/0 when the header is the older 24-byte one or carries none. */
  readonly layoutOff: number;
  readonly layoutLen: number;
}

/** One `struct btf_layout` entry: bytes after btf_type for a kind. */
export interface BtfKindLayout {
  readonly infoSize: number;
  readonly elemSize: number;
  readonly flags: number;
}

export class Btf {
  readonly header: BtfHeader;
  readonly base: Btf | undefined;
  readonly name: string;
  /** First type id held by this blob: 1 for base BTF, base.typeCount for split BTF. */
  readonly startId: number;
  /** First string offset held by this blob: 0 for base BTF, the base's total for split BTF. */
  readonly startStrOff: number;
  /** Number of types held by this blob (not counting the base's). */
  readonly nrTypes: number;
  /** Kind layouts from the 7.2 layout section (own, else the base's), if any. */
  readonly kindLayouts: readonly BtfKindLayout[] | undefined;
  readonly where: Where;

  readonly #words: Uint32Array;
  /** Word index of each local type's btf_type, plus one past the last. */
  readonly #offs: Uint32Array;
  readonly #strs: Uint8Array;
  /** Byte offset of the type section inside the blob, for error offsets. */
  readonly #typeBase: number;
  readonly #decoded: (BtfType | undefined)[];
  readonly #strCache = new Map<number, string>();
  #nameIndex: Map<string, number | number[]> | undefined;
  #namedStart: number | undefined;

  /** @internal use parseBtf (parse.ts) */
  constructor(init: {
    header: BtfHeader;
    base: Btf | undefined;
    name: string;
    where: Where;
    words: Uint32Array;
    offs: Uint32Array;
    strs: Uint8Array;
    typeBase: number;
    kindLayouts: readonly BtfKindLayout[] | undefined;
  }) {
    this.header = init.header;
    this.base = init.base;
    this.name = init.name;
    this.where = init.where;
    this.#words = init.words;
    this.#offs = init.offs;
    this.#strs = init.strs;
    this.#typeBase = init.typeBase;
    this.kindLayouts = init.kindLayouts;
    this.nrTypes = init.offs.length - 1;
    this.startId = init.base ? init.base.typeCount : 1;
    this.startStrOff = init.base ? init.base.strEnd : 0;
    this.#decoded = new Array<BtfType | undefined>(this.nrTypes);
  }

  /** One past the last valid type id, counting the base (libbpf: btf__type_cnt). */
  get typeCount(): number {
    return this.startId + this.nrTypes;
  }

  /** One past the last valid string offset, counting the base. */
  get strEnd(): number {
    return this.startStrOff + this.#strs.length;
  }

  /** Whether `id` names a type here or in the base (0 = void is valid). */
  hasType(id: number): boolean {
    return Number.isInteger(id) && id >= 0 && id < this.typeCount;
  }

  /** The blob that holds `id` (this one or a base). */
  owner(id: number): Btf {
    let b: Btf = this;
    while (id < b.startId && id !== 0 && b.base) b = b.base;
    return b;
  }

  // ---- raw accessors: no object allocation, for hot loops ----

  #wordIdx(id: number): number {
    if (!this.hasType(id)) {
      throw new InputError("BTF_BAD_TYPE_ID", `invalid BTF type id ${id} (type count ${this.typeCount})`, this.where);
    }
    return this.#offs[id - this.startId]!;
  }

  /** Raw info word of a type (void: 0). */
  info(id: number): number {
    if (id === 0) return 0;
    if (id < this.startId) return this.base!.info(id);
    return this.#words[this.#wordIdx(id) + 1]!;
  }

  /** Raw kind number (BTF_INFO_KIND). */
  kindNum(id: number): number {
    return infoKind(this.info(id));
  }

  /** Kind name as in btf_kind_str without the prefix, "UNRECOGNIZED" for layout-only kinds. */
  kind(id: number): BtfTypeKind {
    const k = this.kindNum(id);
    return k < NR_BTF_KINDS ? BTF_KIND_NAMES[k]! : "UNRECOGNIZED";
  }

  vlen(id: number): number {
    return infoVlen(this.info(id));
  }

  kflag(id: number): boolean {
    return infoKflag(this.info(id));
  }

  /** The size/type union word of btf_type. */
  sizeOrType(id: number): number {
    if (id === 0) return 0;
    if (id < this.startId) return this.base!.sizeOrType(id);
    return this.#words[this.#wordIdx(id) + 2]!;
  }

  nameOff(id: number): number {
    if (id === 0) return 0;
    if (id < this.startId) return this.base!.nameOff(id);
    return this.#words[this.#wordIdx(id)]!;
  }

  /** The type's name, "" when anonymous (kernel: btf_type_name / btf_name_by_offset). */
  typeName(id: number): string {
    return this.str(this.nameOff(id));
  }

  /** Word `i` after the btf_type record of a local or base type (bounds-checked at parse). */
  extraWord(id: number, i: number): number {
    if (id < this.startId) return this.base!.extraWord(id, i);
    return this.#words[this.#wordIdx(id) + 3 + i]!;
  }

  // ---- in-place fixups: libbpf edits an object's BTF before handing it to the kernel ----

  /**
   * Sets a local DATASEC's size and its variables (same count; libbpf: btf_fixup_datasec fills
   * what old clang left zero, and sorts the variables by offset). @internal for the loader.
   */
  patchDatasec(id: number, size: number, vars: readonly { type: number; offset: number; size: number }[]): void {
    if (id < this.startId || this.kind(id) !== "DATASEC" || vars.length !== this.vlen(id)) {
      throw new Error(`patchDatasec: type ${id} is not a local DATASEC with ${vars.length} variables`);
    }
    const idx = this.#wordIdx(id);
    this.#words[idx + 2] = size >>> 0;
    vars.forEach((v, i) => {
      this.#words[idx + 3 + 3 * i] = v.type >>> 0;
      this.#words[idx + 4 + 3 * i] = v.offset >>> 0;
      this.#words[idx + 5 + 3 * i] = v.size >>> 0;
    });
    this.#decoded[id - this.startId] = undefined;
  }

  /** Sets a local VAR's linkage (libbpf: hidden globals become static). @internal for the loader. */
  patchVarLinkage(id: number, linkage: number): void {
    if (id < this.startId || this.kind(id) !== "VAR") throw new Error(`patchVarLinkage: type ${id} is not a local VAR`);
    this.#words[this.#wordIdx(id) + 3] = linkage >>> 0;
    this.#decoded[id - this.startId] = undefined;
  }

  /** Sets a local FUNC's linkage (libbpf: mark_btf_static, kfunc externs made global). @internal for the loader. */
  patchFuncLinkage(id: number, linkage: number): void {
    if (id < this.startId || this.kind(id) !== "FUNC") throw new Error(`patchFuncLinkage: type ${id} is not a local FUNC`);
    const idx = this.#wordIdx(id);
    // btf_type.info: vlen (the linkage) in bits 0-15 (7.2 widens vlen to 24 bits; linkage is small)
    this.#words[idx + 1] = (this.#words[idx + 1]! & ~0xffff) | (linkage & 0xffff);
    this.#decoded[id - this.startId] = undefined;
  }

  /** Byte offset of the btf_type record inside its blob. */
  typeOffset(id: number): number {
    if (id === 0) return 0;
    if (id < this.startId) return this.base!.typeOffset(id);
    return this.#typeBase + this.#wordIdx(id) * 4;
  }

  // ---- strings ----

  /** The string at `off` or undefined when out of range (kernel: btf_str_by_offset). */
  strAt(off: number): string | undefined {
    if (off < this.startStrOff) return this.base ? this.base.strAt(off) : undefined;
    const local = off - this.startStrOff;
    if (local >= this.#strs.length) return undefined;
    let s = this.#strCache.get(local);
    if (s === undefined) {
      let end = local;
      while (this.#strs[end] !== 0) end++; // the section ends in NUL (checked at parse)
      s = decodeStr(this.#strs, local, end);
      this.#strCache.set(local, s);
    }
    return s;
  }

  /** The string at `off`; InputError when out of range. */
  str(off: number): string {
    const s = this.strAt(off);
    if (s === undefined) {
      throw new InputError("BTF_BAD_STRING", `BTF string offset ${off} out of range (string section ends at ${this.strEnd})`, this.where);
    }
    return s;
  }

  // ---- decoded types ----

  /** The decoded type (cached). Id 0 is void (kind "UNKN"). */
  type(id: number): BtfType {
    if (id !== 0 && id < this.startId) return this.base!.type(id);
    if (id === 0) return VOID;
    const idx = this.#wordIdx(id);
    const local = id - this.startId;
    let t = this.#decoded[local];
    if (!t) {
      t = decodeType(this, id, this.#words, idx, this.#typeBase + idx * 4);
      this.#decoded[local] = t;
    }
    return t;
  }

  // ---- name lookup ----

  /** Every type id with this name, in id order, base first. */
  findByName(name: string): readonly number[] {
    const fromBase = this.base ? this.base.findByName(name) : [];
    const ownArr = this.findOwnByName(name);
    if (ownArr.length === 0) return fromBase;
    return fromBase.length ? [...fromBase, ...ownArr] : ownArr;
  }

  /** Ids of this blob's own types (not the base's) with this name, in id order. */
  findOwnByName(name: string): readonly number[] {
    if (name === "") return [];
    if (this.namedStart() >= 0 && !this.#nameIndex) {
      // sorted BTF (pahole sorts vmlinux by name): binary search, no index to build
      const needle = utf8enc.encode(name);
      const out: number[] = [];
      for (let i = this.#lowerBound(needle, false); i < this.nrTypes && this.#cmpName(i, needle, false) === 0; i++) out.push(this.startId + i);
      return out;
    }
    const own = this.#index().get(name);
    if (own === undefined) return [];
    return typeof own === "number" ? [own] : own;
  }

  /** Ids of own types whose name starts with `prefix` (non-empty), in id order. */
  findOwnByNamePrefix(prefix: string): number[] {
    if (prefix === "") return [];
    if (this.namedStart() >= 0) {
      const needle = utf8enc.encode(prefix);
      const out: number[] = [];
      for (let i = this.#lowerBound(needle, true); i < this.nrTypes && this.#cmpName(i, needle, true) === 0; i++) out.push(this.startId + i);
      return out;
    }
    const out: number[] = [];
    for (const [name, ids] of this.names()) if (name.startsWith(prefix)) out.push(...ids);
    return out.sort((a, b) => a - b);
  }

  /**
   * Local index of the first named type when this blob's types are sorted by name
   * (anonymous ones first), else -1. libbpf/kernel: btf_check_sorted
   */
  namedStart(): number {
    if (this.#namedStart !== undefined) return this.#namedStart;
    let start = -1;
    let sorted = true;
    for (let i = 0; i < this.nrTypes; i++) {
      const off = this.#words[this.#offs[i]!]!;
      if (off === 0) {
        if (start >= 0) {
          sorted = false; // an anonymous type after a named one
          break;
        }
        continue;
      }
      if (start < 0) start = i;
      else if (this.#cmpOffs(this.#words[this.#offs[i - 1]!]!, off) > 0) {
        sorted = false;
        break;
      }
    }
    this.#namedStart = sorted && start >= 0 ? start : -1;
    return this.#namedStart;
  }

  // bytes of the string at a (global) offset: [section, local start]
  #strBytes(off: number): [Uint8Array, number] | undefined {
    if (off < this.startStrOff) return this.base ? this.base.#strBytes(off) : undefined;
    const local = off - this.startStrOff;
    return local < this.#strs.length ? [this.#strs, local] : undefined;
  }

  // strcmp of two names by string offset
  #cmpOffs(a: number, b: number): number {
    const sa = this.#strBytes(a);
    const sb = this.#strBytes(b);
    if (!sa || !sb) return 0;
    const [ba, ia] = sa;
    const [bb, ib] = sb;
    for (let k = 0; ; k++) {
      const ca = ba[ia + k]!;
      const cb = bb[ib + k]!;
      if (ca !== cb) return ca - cb;
      if (ca === 0) return 0;
    }
  }

  // strcmp of local type i's name with needle (as a prefix when asked)
  #cmpName(i: number, needle: Uint8Array, prefix: boolean): number {
    const sb = this.#strBytes(this.#words[this.#offs[i]!]!);
    if (!sb) return -1;
    const [b, at] = sb;
    for (let k = 0; k < needle.length; k++) {
      const c = b[at + k]!;
      if (c !== needle[k]) return c === 0 ? -1 : c - needle[k]!;
    }
    return prefix || b[at + needle.length] === 0 ? 0 : 1;
  }

  // first local index at or after namedStart whose name is >= needle
  #lowerBound(needle: Uint8Array, prefix: boolean): number {
    let lo = this.namedStart();
    let hi = this.nrTypes;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#cmpName(mid, needle, prefix) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * The first type (lowest id) with this name and kind, or undefined.
   * "void" or kind UNKN gives 0, as libbpf's btf__find_by_name_kind.
   */
  findByNameKind(name: string, kind: BtfKindName): number | undefined {
    if (kind === "UNKN" || name === "void") return 0;
    const want = BTF_KIND[kind];
    for (const id of this.findByName(name)) if (this.kindNum(id) === want) return id;
    return undefined;
  }

  #index(): Map<string, number | number[]> {
    if (this.#nameIndex) return this.#nameIndex;
    const m = new Map<string, number | number[]>();
    const strs = this.#strs;
    for (let i = 0; i < this.nrTypes; i++) {
      const nameOff = this.#words[this.#offs[i]!]!;
      if (nameOff === 0) continue;
      let name: string | undefined;
      const local = nameOff - this.startStrOff;
      if (local >= 0 && local < strs.length) {
        // decode straight from the section: going through the string cache costs more
        // than it saves here, every name is seen about once
        let end = local;
        while (strs[end] !== 0) end++;
        name = decodeStr(strs, local, end);
      } else {
        name = this.strAt(nameOff);
      }
      if (!name) continue;
      const id = this.startId + i;
      const prev = m.get(name);
      if (prev === undefined) m.set(name, id);
      else if (typeof prev === "number") m.set(name, [prev, id]);
      else prev.push(id);
    }
    this.#nameIndex = m;
    return m;
  }

  /** Every name of this blob's own types (not the base's) with its ids in id order. */
  *names(): IterableIterator<[string, readonly number[]]> {
    for (const [name, ids] of this.#index()) yield [name, typeof ids === "number" ? [ids] : ids];
  }

  /** Every id this blob holds (not the base's), in order. */
  *ownIds(): IterableIterator<number> {
    for (let i = 0; i < this.nrTypes; i++) yield this.startId + i;
  }

  /** The raw string section of this blob (not the base's). */
  get stringBytes(): Uint8Array {
    return this.#strs;
  }
}

const VOID: BtfType = { kind: "UNKN", id: 0, nameOff: 0, name: "", kflag: false, vlen: 0, offset: 0 };

const utf8 = new TextDecoder("utf-8");
const utf8enc = new TextEncoder();
function decodeStr(b: Uint8Array, start: number, end: number): string {
  let ascii = true;
  for (let i = start; i < end; i++) if (b[i]! >= 0x80) { ascii = false; break; }
  if (ascii) {
    // Short identifiers: String.fromCharCode beats TextDecoder by a wide margin.
    let s = "";
    for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
    return s;
  }
  return utf8.decode(b.subarray(start, end));
}

