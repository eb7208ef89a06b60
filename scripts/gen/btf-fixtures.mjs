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
];

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
chmodSync(join(out, "bpf_testmod.btf"), 0o644);
console.log(`wrote ${out}`);
