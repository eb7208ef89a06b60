import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "../util/errors.js";
import { parseElf, SHF_EXECINSTR, SHT_REL, SHT_SYMTAB, STT_FUNC } from "./reader.js";

function fixture(name: string): Uint8Array {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    try {
      return new Uint8Array(readFileSync(join(dir, "test", "fixtures", "loader", name)));
    } catch {
      // keep walking up: the test runs from dist/src/elf
    }
  }
  throw new Error(`fixture ${name} not found`);
}

const OBJ = "test_global_func10.bpf.o";

function u16(b: Uint8Array, o: number, v: number) {
  new DataView(b.buffer, b.byteOffset).setUint16(o, v, true);
}
function u32(b: Uint8Array, o: number, v: number) {
  new DataView(b.buffer, b.byteOffset).setUint32(o, v, true);
}
function u64(b: Uint8Array, o: number, v: number) {
  new DataView(b.buffer, b.byteOffset).setBigUint64(o, BigInt(v), true);
}
function shoff(b: Uint8Array): number {
  return Number(new DataView(b.buffer, b.byteOffset).getBigUint64(40, true));
}

function expectInput(fn: () => unknown, code: string, re?: RegExp): InputError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, /^bad\.o/); // names the file
    if (re) assert.match(e.message, re);
    return e;
  }
  assert.fail("no error thrown");
}

test("reads sections, symbols and relocations of a clang BPF object", () => {
  const elf = parseElf(fixture(OBJ), "x.o");
  assert.equal(elf.machine, 247); // EM_BPF
  const text = elf.sectionByName(".text");
  assert.ok(text && text.flags & SHF_EXECINSTR);
  assert.ok(elf.sections.some((s) => s.type === SHT_SYMTAB));
  const funcs = elf.symbols.filter((s) => s.type === STT_FUNC).map((s) => s.name);
  assert.ok(funcs.length >= 2, funcs.join(","));
  const rel = elf.sections.find((s) => s.type === SHT_REL && elf.sections[s.info]!.flags & SHF_EXECINSTR);
  if (rel) for (const r of elf.rels(rel)) assert.ok(r.symIdx < elf.symbols.length);
});

test("truncated files are refused with the file and offset", () => {
  const b = fixture(OBJ);
  expectInput(() => parseElf(b.subarray(0, 40), "bad.o"), "ELF_TRUNCATED", /offset 0/);
  // Cut inside the section header table.
  expectInput(() => parseElf(b.subarray(0, shoff(b) + 100), "bad.o"), "ELF_TRUNCATED");
});

test("bad offsets, overlapping sections, bad indices", () => {
  const b0 = fixture(OBJ);
  const sh = shoff(b0);
  const elf = parseElf(b0, "bad.o");
  const text = elf.sectionByName(".text")!;
  const symtab = elf.sections[elf.symtabIndex]!;

  let b = b0.slice();
  u64(b, sh + text.index * 64 + 24, b.length + 8); // sh_offset past EOF
  expectInput(() => parseElf(b, "bad.o"), "ELF_BAD_SECTION", /beyond end of file/);

  b = b0.slice();
  u64(b, sh + text.index * 64 + 24, symtab.offset); // .text now aliases .symtab
  expectInput(() => parseElf(b, "bad.o"), "ELF_OVERLAP", /overlaps/);

  b = b0.slice();
  u16(b, 62, 9999); // e_shstrndx
  expectInput(() => parseElf(b, "bad.o"), "ELF_BAD_HEADER");

  b = b0.slice();
  u32(b, sh + text.index * 64, 0xffffff); // sh_name out of the string table
  expectInput(() => parseElf(b, "bad.o"), "ELF_BAD_STRING");

  b = b0.slice();
  u32(b, sh + symtab.index * 64 + 40, 9999); // sh_link of .symtab
  expectInput(() => parseElf(b, "bad.o"), "ELF_BAD_SYMTAB", /section \.symtab/);

  b = b0.slice();
  u32(b, symtab.offset + 24, 0xfffffff); // st_name of symbol #1
  expectInput(() => parseElf(b, "bad.o"), "ELF_BAD_STRING", /section \.symtab/);

  const rel = elf.sections.find((s) => s.type === SHT_REL && s.size >= 16);
  if (rel) {
    b = b0.slice();
    u32(b, rel.offset + 12, 0xffff); // ELF64_R_SYM of relocation #0
    expectInput(() => parseElf(b, "bad.o").rels(parseElf(b, "bad.o").sections[rel.index]!), "ELF_BAD_RELO", /refers to symbol 65535/);
  }
});

test("random corruption gives InputError or a result, never another exception", () => {
  const b0 = fixture(OBJ);
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000);
  for (let i = 0; i < 400; i++) {
    const b = b0.slice();
    for (let k = 0; k < 4; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
    const cut = rnd() < 0.2 ? b.subarray(0, Math.floor(rnd() * b.length)) : b;
    try {
      const elf = parseElf(cut, "fuzz.o");
      for (const s of elf.sections) if (s.type === SHT_REL) elf.rels(s);
    } catch (e) {
      assert.ok(e instanceof InputError, `iteration ${i}: ${String(e)}`);
    }
  }
});
