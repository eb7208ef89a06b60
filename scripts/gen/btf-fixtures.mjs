#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-only
// Regenerates test/fixtures/btf/: the raw .BTF / .BTF.ext sections of a few small
// objects of the 7.2 selftests corpus and the bpf_testmod split BTF, so the BTF
// unit tests run without ../shared. Usage: node scripts/gen/btf-fixtures.mjs [--scan]
import { chmodSync, copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const corpus = join(root, "..", "shared", "corpus", "selftests-7.2");
const out = join(root, "test", "fixtures", "btf");

/** Minimal ELF64 little-endian section lookup, for generation only (the project's reader is src/elf). */
export function elfSections(buf) {
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  const shstrndx = buf.readUInt16LE(0x3e);
  const sh = (i) => {
    const o = shoff + i * shentsize;
    return { name: buf.readUInt32LE(o), off: Number(buf.readBigUInt64LE(o + 0x18)), size: Number(buf.readBigUInt64LE(o + 0x20)) };
  };
  const strtab = sh(shstrndx);
  const secs = new Map();
  for (let i = 0; i < shnum; i++) {
    const s = sh(i);
    const nameStart = strtab.off + s.name;
    const name = buf.toString("latin1", nameStart, buf.indexOf(0, nameStart));
    secs.set(name, buf.subarray(s.off, s.off + s.size));
  }
  return secs;
}

const objects = [
  "verifier_bitfield_write.bpf.o", // many CO-RE field relocations on bitfields
  "test_wakeup_source.bpf.o", // CO-RE relocations of several kinds
  "iter_buf_null_fail.bpf.o", // small, decl tags (comment:test_expect_*)
  "verifier_typedef.bpf.o",
  "btf__core_reloc_bitfields.bpf.o", // the custom target BTF verifier_bitfield_write is tested against
  "uninit_stack.bpf.o", // BTF the 7.2 kernel rejects (FUNC with an unnamed parameter)
];

// Objects whose CO-RE results are checked against what libbpf handed the 7.2 kernel.
const coreChecks = ["test_wakeup_source.bpf.o", "verifier_bitfield_write.bpf.o"];

/** FUNC symbols: name, section name, byte offset, size. */
export function funcSymbols(buf) {
  const shoff = Number(buf.readBigUInt64LE(0x28));
  const shentsize = buf.readUInt16LE(0x3a);
  const shnum = buf.readUInt16LE(0x3c);
  const shstrndx = buf.readUInt16LE(0x3e);
  const sh = (i) => {
    const o = shoff + i * shentsize;
    return { name: buf.readUInt32LE(o), type: buf.readUInt32LE(o + 4), off: Number(buf.readBigUInt64LE(o + 0x18)), size: Number(buf.readBigUInt64LE(o + 0x20)), link: buf.readUInt32LE(o + 0x28) };
  };
  const secs = Array.from({ length: shnum }, (_, i) => sh(i));
  const str = (tab, off) => buf.toString("latin1", tab.off + off, buf.indexOf(0, tab.off + off));
  const out = [];
  for (const s of secs) {
    if (s.type !== 2) continue; // SHT_SYMTAB
    for (let o = s.off; o < s.off + s.size; o += 24) {
      if ((buf[o + 4] & 0xf) !== 2) continue; // STT_FUNC
      const shndx = buf.readUInt16LE(o + 6);
      out.push({
        name: str(secs[s.link], buf.readUInt32LE(o)),
        section: shndx < secs.length ? str(secs[shstrndx], secs[shndx].name) : "",
        offset: Number(buf.readBigUInt64LE(o + 8)),
        size: Number(buf.readBigUInt64LE(o + 16)),
      });
    }
  }
  return out;
}

/**
 * For each CO-RE record of the object that falls in a program libbpf loaded: the
 * relocated instruction(s) as the corpus recorded them (libbpf's output, not ours).
 */
function coreExpectations(f) {
  const buf = readFileSync(join(corpus, "objs", f));
  const secs = elfSections(buf);
  const results = new Map();
  for (const line of readFileSync(join(corpus, "results-7.2.jsonl"), "utf8").split("\n")) {
    if (!line.includes(`"object": "${f}"`) && !line.includes(`"object":"${f}"`)) continue;
    const r = JSON.parse(line);
    results.set(r.program, r);
  }
  const syms = funcSymbols(buf);
  const ext = secs.get(".BTF.ext");
  const hdrLen = ext.readUInt32LE(4);
  const coreOff = hdrLen + ext.readUInt32LE(24);
  const coreLen = ext.readUInt32LE(28);
  const btf = secs.get(".BTF");
  const btfStr = (off) => {
    const base = btf.readUInt32LE(4) + btf.readUInt32LE(16);
    return btf.toString("latin1", base + off, btf.indexOf(0, base + off));
  };
  const recSize = ext.readUInt32LE(coreOff);
  const sections = [];
  for (let p = coreOff + 4; p < coreOff + coreLen; ) {
    const secName = btfStr(ext.readUInt32LE(p));
    const n = ext.readUInt32LE(p + 4);
    const relos = [];
    for (let i = 0; i < n; i++) {
      const insnOff = ext.readUInt32LE(p + 8 + i * recSize);
      const sym = syms.find((y) => y.section === secName && insnOff >= y.offset && insnOff < y.offset + y.size);
      const r = sym && results.get(sym.name);
      if (!r || !r.insns_hex) continue;
      const idx = (insnOff - sym.offset) / 8;
      const code = secs.get(secName)[insnOff];
      const slots = code === 0x18 ? 2 : 1;
      relos.push({
        reloIdx: i,
        program: sym.name,
        btfCustomPath: r.btf_custom_path ?? null,
        insnIdx: insnOff / 8,
        want: r.insns_hex.slice(idx * 16, (idx + slots) * 16),
      });
    }
    sections.push({ secName, code: secs.get(secName).toString("hex"), relos });
    p += 8 + n * recSize;
  }
  return { object: f, sections };
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (!isMain) {
  // imported for elfSections/funcSymbols only
} else {

if (process.argv.includes("--scan")) {
  for (const f of readdirSync(join(corpus, "objs")).sort()) {
    const buf = readFileSync(join(corpus, "objs", f));
    const ext = elfSections(buf).get(".BTF.ext");
    const coreLen = ext && ext.readUInt32LE(4) >= 32 ? ext.readUInt32LE(28) : 0;
    if (coreLen) console.log(f, buf.length, "core_relo bytes", coreLen);
  }
  process.exit(0);
}

mkdirSync(out, { recursive: true });
for (const f of objects) {
  const secs = elfSections(readFileSync(join(corpus, "objs", f)));
  const base = f.replace(/\.bpf\.o$/, "");
  writeFileSync(join(out, `${base}.btf`), secs.get(".BTF"));
  if (secs.has(".BTF.ext")) writeFileSync(join(out, `${base}.btf.ext`), secs.get(".BTF.ext"));
}
copyFileSync(join(corpus, "btf", "bpf_testmod.btf"), join(out, "bpf_testmod.btf"));
// one whole (small) object, for reading .BTF out of an ELF
copyFileSync(join(corpus, "objs", "verifier_typedef.bpf.o"), join(out, "verifier_typedef.bpf.o"));
chmodSync(join(out, "verifier_typedef.bpf.o"), 0o644);
chmodSync(join(out, "bpf_testmod.btf"), 0o644);
for (const f of coreChecks) {
  const base = f.replace(/\.bpf\.o$/, "");
  writeFileSync(join(out, `${base}.core.json`), JSON.stringify(coreExpectations(f), null, 1) + "\n");
}
console.log(`wrote ${out}`);
}
