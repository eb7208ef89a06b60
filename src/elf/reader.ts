// Bounds-checked ELF64 little-endian reader for BPF objects. Every offset, size
// and index read from the file is checked before use, so a corrupt object gives
// an InputError naming the file, section and offset rather than a crash, a
// RangeError or an endless loop.

import { InputError, type Where } from "../util/errors.js";

export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_REL = 9;
export const SHT_NOBITS = 8;

export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;

export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;

export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;

export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;

export const STV_DEFAULT = 0;
export const STV_INTERNAL = 1;
export const STV_HIDDEN = 2;

export const EM_BPF = 247;

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;
const REL_SIZE = 16;

export interface ElfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly flags: number;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly addralign: number;
  readonly entsize: number;
}

export interface ElfSymbol {
  readonly index: number;
  readonly name: string;
  readonly value: number;
  readonly size: number;
  /** STT_* */
  readonly type: number;
  /** STB_* */
  readonly bind: number;
  /** STV_* */
  readonly visibility: number;
  readonly shndx: number;
}

export interface ElfRel {
  /** Byte offset inside the target section. */
  readonly offset: number;
  readonly symIdx: number;
  /** R_BPF_* */
  readonly type: number;
}

export interface ElfFile {
  readonly file: string;
  readonly machine: number;
  readonly sections: readonly ElfSection[];
  /** The symbol table (index 0 is the null symbol); empty when the object has none. */
  readonly symbols: readonly ElfSymbol[];
  /** Index of the SHT_SYMTAB section, 0 when absent. */
  readonly symtabIndex: number;
  /** A section's bytes; SHT_NOBITS sections read as zero-length. */
  data(sec: ElfSection): Uint8Array;
  sectionByName(name: string): ElfSection | undefined;
  /** Relocation entries of an SHT_REL section. */
  rels(sec: ElfSection): ElfRel[];
}

/** Parse an ELF64 little-endian object; `file` names it in errors. */
export function parseElf(bytes: Uint8Array, file = "<input>"): ElfFile {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fail = (code: string, msg: string, where: Where = {}): never => {
    throw new InputError(code, msg, { file, ...where });
  };
  const u64 = (o: number): number => {
    const v = dv.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail("ELF_BAD_VALUE", `64-bit value 0x${v.toString(16)} too large`, { offset: o });
    return Number(v);
  };

  if (bytes.length < EHDR_SIZE) fail("ELF_TRUNCATED", `file too short for an ELF header (${bytes.length} bytes)`, { offset: 0 });
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) fail("ELF_BAD_MAGIC", "not an ELF file", { offset: 0 });
  if (bytes[4] !== 2) fail("ELF_UNSUPPORTED", `not a 64-bit ELF (EI_CLASS ${bytes[4]})`, { offset: 4 });
  if (bytes[5] !== 1) fail("ELF_UNSUPPORTED", `not a little-endian ELF (EI_DATA ${bytes[5]}); only little-endian BPF objects are supported`, { offset: 5 });
  const machine = dv.getUint16(18, true);
  const shoff = u64(40);
  const shentsize = dv.getUint16(58, true);
  let shnum = dv.getUint16(60, true);
  let shstrndx = dv.getUint16(62, true);

  if (shoff === 0) fail("ELF_NO_SECTIONS", "ELF has no section header table", { offset: 40 });
  if (shentsize !== SHDR_SIZE) fail("ELF_BAD_HEADER", `unexpected section header size ${shentsize}`, { offset: 58 });
  if (shoff + SHDR_SIZE > bytes.length) fail("ELF_TRUNCATED", `section header table at ${shoff} beyond end of file (${bytes.length} bytes)`, { offset: 40 });
  // Large section counts live in section 0 (ELF extended numbering).
  if (shnum === 0) shnum = u64(shoff + 32);
  if (shstrndx === 0xffff) shstrndx = dv.getUint32(shoff + 40, true);
  if (shoff + shnum * SHDR_SIZE > bytes.length || shnum * SHDR_SIZE / SHDR_SIZE !== shnum) {
    fail("ELF_TRUNCATED", `section header table (${shnum} entries at ${shoff}) runs past end of file (${bytes.length} bytes)`, { offset: 40 });
  }

  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * SHDR_SIZE;
    const type = dv.getUint32(o + 4, true);
    const rec = {
      index: i,
      nameOff: dv.getUint32(o, true),
      type,
      flags: u64(o + 8),
      offset: u64(o + 24),
      size: u64(o + 32),
      link: dv.getUint32(o + 40, true),
      info: dv.getUint32(o + 44, true),
      addralign: u64(o + 48),
      entsize: u64(o + 56),
    };
    if (i > 0 && type !== SHT_NOBITS && type !== SHT_NULL && (rec.offset > bytes.length || rec.size > bytes.length - rec.offset)) {
      fail("ELF_BAD_SECTION", `section #${i} data (offset ${rec.offset}, size ${rec.size}) beyond end of file (${bytes.length} bytes)`, { offset: o + 24 });
    }
    raw.push(rec);
  }
  if (shstrndx >= shnum || raw[shstrndx]!.type !== SHT_STRTAB) fail("ELF_BAD_HEADER", `invalid section name string table index ${shstrndx}`, { offset: 62 });
  const shstr = raw[shstrndx]!;

  const strAt = (tab: { offset: number; size: number }, off: number, what: Where): string => {
    if (off >= tab.size) fail("ELF_BAD_STRING", `string offset ${off} outside string table (size ${tab.size})`, what);
    const start = tab.offset + off;
    const end = tab.offset + tab.size;
    let p = start;
    while (p < end && bytes[p] !== 0) p++;
    if (p === end) fail("ELF_BAD_STRING", `unterminated string at offset ${off} of string table`, what);
    return Buffer.from(bytes.buffer, bytes.byteOffset + start, p - start).toString("latin1");
  };

  const sections: ElfSection[] = raw.map((r) => ({
    index: r.index,
    name: r.index === 0 ? "" : strAt(shstr, r.nameOff, { section: `#${r.index}`, offset: shoff + r.index * SHDR_SIZE }),
    type: r.type,
    flags: r.flags,
    offset: r.offset,
    size: r.size,
    link: r.link,
    info: r.info,
    addralign: r.addralign,
    entsize: r.entsize,
  }));

  checkOverlaps(sections, fail);

  let symtabIndex = 0;
  let symbols: ElfSymbol[] = [];
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  if (symtab) {
    symtabIndex = symtab.index;
    const where = { section: symtab.name };
    if (symtab.entsize !== SYM_SIZE) fail("ELF_BAD_SYMTAB", `symbol table entry size ${symtab.entsize}, expected ${SYM_SIZE}`, where);
    if (symtab.link === 0 || symtab.link >= shnum || sections[symtab.link]!.type !== SHT_STRTAB) {
      fail("ELF_BAD_SYMTAB", `symbol table links to invalid string table section #${symtab.link}`, where);
    }
    const strtab = sections[symtab.link]!;
    const n = Math.floor(symtab.size / SYM_SIZE);
    symbols = new Array(n);
    for (let i = 0; i < n; i++) {
      const o = symtab.offset + i * SYM_SIZE;
      const info = bytes[o + 4]!;
      symbols[i] = {
        index: i,
        name: strAt(strtab, dv.getUint32(o, true), { section: symtab.name, offset: o }),
        value: u64(o + 8),
        size: u64(o + 16),
        type: info & 0xf,
        bind: info >> 4,
        visibility: bytes[o + 5]! & 0x3,
        shndx: dv.getUint16(o + 6, true),
      };
    }
  }

  const byName = new Map<string, ElfSection>();
  for (const s of sections) if (s.index > 0 && !byName.has(s.name)) byName.set(s.name, s);

  return {
    file,
    machine,
    sections,
    symbols,
    symtabIndex,
    data(sec) {
      if (sec.type === SHT_NOBITS || sec.index === 0) return new Uint8Array(0);
      return bytes.subarray(sec.offset, sec.offset + sec.size);
    },
    sectionByName(name) {
      return byName.get(name);
    },
    rels(sec) {
      const where = { section: sec.name };
      if (sec.type !== SHT_REL) fail("ELF_BAD_RELO", `section is not SHT_REL (type ${sec.type})`, where);
      if (sec.entsize !== REL_SIZE) fail("ELF_BAD_RELO", `relocation entry size ${sec.entsize}, expected ${REL_SIZE}`, where);
      const n = Math.floor(sec.size / REL_SIZE);
      const out: ElfRel[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const o = sec.offset + i * REL_SIZE;
        const info = dv.getBigUint64(o + 8, true);
        const symIdx = Number(info >> 32n);
        if (symIdx >= symbols.length) fail("ELF_BAD_RELO", `relocation #${i} refers to symbol ${symIdx}, symbol table has ${symbols.length}`, { ...where, offset: o });
        out[i] = { offset: u64(o), symIdx, type: Number(info & 0xffffffffn) };
      }
      return out;
    },
  };
}

/** Sections whose file bytes overlap are refused: a crafted object could alias code and data. */
function checkOverlaps(sections: readonly ElfSection[], fail: (code: string, msg: string, where?: Where) => never): void {
  const withData = sections
    .filter((s) => s.index > 0 && s.type !== SHT_NOBITS && s.type !== SHT_NULL && s.size > 0)
    .sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < withData.length; i++) {
    const prev = withData[i - 1]!;
    const cur = withData[i]!;
    if (cur.offset < prev.offset + prev.size) {
      fail("ELF_OVERLAP", `section ${cur.name} (offset ${cur.offset}) overlaps section ${prev.name} (offset ${prev.offset}, size ${prev.size})`, { section: cur.name, offset: cur.offset });
    }
  }
}

/** The bytes of a named section, for readers that need only one (e.g. .BTF for `--btf`). */
export function elfSectionBytes(bytes: Uint8Array, name: string, file?: string): Uint8Array | undefined {
  const elf = parseElf(bytes, file);
  const sec = elf.sectionByName(name);
  return sec ? elf.data(sec) : undefined;
}
