import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadBundledVmlinuxBtf, parseBtf } from "../btf/index.js";
import { parseElf, SHF_EXECINSTR, SHT_REL } from "../elf/index.js";
import { rawInsnsToHex } from "../isa/raw.js";
import { InputError } from "../util/errors.js";
import { loadObject, mapTypeName, POISON_CALL_KFUNC_BASE } from "./index.js";

function fixtureDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    const cand = join(dir, "test", "fixtures", "loader");
    try {
      readFileSync(join(cand, "expected.jsonl"));
      return cand;
    } catch {
      // the test runs from dist/src/loader: keep walking up
    }
  }
  throw new Error("test/fixtures/loader not found");
}
const DIR = fixtureDir();
const fixture = (name: string) => new Uint8Array(readFileSync(join(DIR, name)));
const vmlinux = loadBundledVmlinuxBtf("7.2");
const testmod = { name: "bpf_testmod", btf: parseBtf(fixture("bpf_testmod.btf"), { base: vmlinux, name: "bpf_testmod" }) };

interface Expected {
  object: string;
  program: string;
  section: string;
  progType: string;
  expectedAttachType: string;
  insns: string;
  maps: { name: string; type: string; keySize: number; valueSize: number; maxEntries: number }[];
}

test("fixture programs equal what libbpf handed the 7.2 kernel", () => {
  const expected = readFileSync(join(DIR, "expected.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Expected);
  const objects = [...new Set(expected.map((e) => e.object))];
  assert.equal(objects.length, 6);
  for (const o of objects) {
    const obj = loadObject(fixture(o), { targetBtf: vmlinux, moduleBtfs: [testmod], file: o });
    for (const e of expected.filter((x) => x.object === o)) {
      const p = obj.programs.find((x) => x.name === e.program);
      assert.ok(p, `${o}/${e.program} missing`);
      assert.equal(p.section, e.section);
      assert.equal(p.progTypeName, e.progType, `${o}/${e.program}`);
      assert.equal(p.expectedAttachTypeName, e.expectedAttachType, `${o}/${e.program}`);
      assert.equal(rawInsnsToHex(p.insns), e.insns, `${o}/${e.program}`);
      assert.deepEqual(
        p.maps.map((m) => ({ name: m.name, type: mapTypeName(m.type), keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries })),
        e.maps,
        `${o}/${e.program}`,
      );
    }
  }
});

test("subprograms carry their func_info along, in instruction units", () => {
  const obj = loadObject(fixture("test_global_func10.bpf.o"), { targetBtf: vmlinux, file: "f.o" });
  for (const p of obj.programs) {
    // One func_info record per function: the main program at 0, then each appended subprogram.
    assert.deepEqual(p.funcInfo.map((f) => f.insnOff), [0, ...p.subprogs.map((s) => s.insnOff)]);
    for (const f of p.funcInfo) assert.equal(obj.btf!.kind(f.typeId), "FUNC");
    for (const l of p.lineInfo) assert.ok(l.insnOff < p.insns.length);
  }
});

function expectInput(fn: () => unknown, code: string, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InputError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
    return true;
  });
}

test("a kfunc missing from the target BTF: strong refused, weak poisoned as libbpf does", () => {
  const bytes = fixture("iters_testmod_seq.bpf.o");
  expectInput(() => loadObject(bytes, { targetBtf: vmlinux, file: "iters.o" }), "EXTERN_NOT_FOUND", /^iters\.o: extern \(func ksym\) 'bpf_iter_testmod_seq_\w+': not found in kernel or module BTFs/);

  // Make every extern weak (STB_WEAK in st_info): the module's kfuncs are then poisoned calls.
  const elf = parseElf(bytes, "iters.o");
  const symtab = elf.sections[elf.symtabIndex]!;
  const weak = bytes.slice();
  const externs = elf.symbols.filter((s) => s.shndx === 0 && s.bind === 1 && s.type === 0 && s.name !== "");
  for (const s of externs) weak[symtab.offset + s.index * 24 + 4] = (2 << 4) | s.type;
  const obj = loadObject(weak, { targetBtf: vmlinux, file: "iters.o" });
  // libbpf numbers externs after sorting them by name (all are ksyms here).
  const sorted = externs.map((s) => s.name).sort();
  const p = obj.programs.find((x) => x.name === "testmod_seq_empty")!;
  const calls = p.insns.filter((i) => i.code === 0x85 && i.imm >= POISON_CALL_KFUNC_BASE);
  assert.ok(calls.length > 0);
  for (const c of calls) {
    assert.equal(c.src, 0);
    assert.equal(c.off, 0);
    assert.ok(c.imm - POISON_CALL_KFUNC_BASE < sorted.length);
  }
  const withModule = loadObject(bytes, { targetBtf: vmlinux, moduleBtfs: [testmod], file: "iters.o" });
  const kcalls = withModule.programs.find((x) => x.name === "testmod_seq_empty")!.insns.filter((i) => i.code === 0x85 && i.src === 2);
  // Module kfuncs: fd_array index 1 (libbpf never uses 0 for a module), ids of the split BTF.
  for (const c of kcalls) {
    assert.equal(c.off, 1);
    assert.ok(c.imm >= testmod.btf.startId);
    assert.equal(testmod.btf.kind(c.imm), "FUNC");
  }
});

test("unknown relocation types and bad relocation offsets are refused", () => {
  const bytes = fixture("test_global_func10.bpf.o");
  const elf = parseElf(bytes, "f.o");
  const rel = elf.sections.find((s) => s.type === SHT_REL && elf.sections[s.info]!.flags & SHF_EXECINSTR && s.size >= 16)!;
  assert.ok(rel, "fixture has a program relocation section");
  const b = bytes.slice();
  new DataView(b.buffer).setUint32(rel.offset + 8, 77, true); // ELF64_R_TYPE
  expectInput(() => loadObject(b, { targetBtf: vmlinux, file: "f.o" }), "RELO_UNKNOWN", new RegExp(`^f\\.o, section ${rel.name.replace(/\./g, "\\.")}, offset \\d+ .*unknown relocation type 77`));
  const c = bytes.slice();
  new DataView(c.buffer).setBigUint64(rel.offset, 3n, true); // r_offset not a multiple of 8
  expectInput(() => loadObject(c, { targetBtf: vmlinux, file: "f.o" }), "RELO_BAD_OFFSET", /invalid offset 0x3 for relo #0/);
});

test("a legacy 'maps' section gets libbpf's refusal", () => {
  const bytes = fixture("test_global_func10.bpf.o");
  const elf = parseElf(bytes, "f.o");
  // Rename some section to "maps" in the section name table.
  const shstrndx = new DataView(bytes.buffer, bytes.byteOffset).getUint16(62, true);
  const shstr = elf.sections[shstrndx]!;
  const target = elf.sections.find((s) => s.name.length >= 4 && s.name !== ".symtab" && s.name !== ".strtab" && !(s.flags & SHF_EXECINSTR) && s.type !== SHT_REL)!;
  const b = bytes.slice();
  const nameOff = new DataView(b.buffer).getUint32(Number(new DataView(b.buffer).getBigUint64(40, true)) + target.index * 64, true);
  b.set([0x6d, 0x61, 0x70, 0x73, 0], shstr.offset + nameOff);
  expectInput(() => loadObject(b, { targetBtf: vmlinux, file: "f.o" }), "LEGACY_MAPS", /legacy map definitions in 'maps' section are not supported by libbpf v1\.0\+/);
});

test("program kinds and attach targets follow the section names", () => {
  const obj = loadObject(fixture("exceptions_fail.bpf.o"), { targetBtf: vmlinux, file: "e.o" });
  for (const p of obj.programs) {
    if (p.section.startsWith("fentry/")) {
      assert.equal(p.progTypeName, "tracing");
      assert.equal(p.expectedAttachTypeName, "trace_fentry");
      assert.equal(p.attachTo, p.section.slice("fentry/".length));
    }
    if (p.section === "tc") assert.equal(p.attachTo, null);
  }
});

test("random corruption of objects gives InputError or programs, never another exception", () => {
  for (const name of ["test_global_func10.bpf.o", "exceptions_fail.bpf.o"]) {
    const b0 = fixture(name);
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
    for (let i = 0; i < 300; i++) {
      const b = b0.slice();
      for (let k = 0; k < 3; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      try {
        loadObject(b, { targetBtf: vmlinux, file: "fuzz.o" });
      } catch (e) {
        assert.ok(e instanceof InputError, `${name} iteration ${i}: ${e instanceof Error ? e.stack : String(e)}`);
        assert.match(e.message, /^fuzz\.o/);
      }
    }
  }
});

test("libbpf's log rewrite for a poisoned kfunc call", () => {
  const bytes = fixture("iters_testmod_seq.bpf.o");
  const elf = parseElf(bytes, "iters.o");
  const symtab = elf.sections[elf.symtabIndex]!;
  const weak = bytes.slice();
  const externs = elf.symbols.filter((s) => s.shndx === 0 && s.bind === 1 && s.type === 0 && s.name !== "");
  for (const s of externs) weak[symtab.offset + s.index * 24 + 4] = (2 << 4) | s.type;
  const p = loadObject(weak, { targetBtf: vmlinux, file: "iters.o" }).programs.find((x) => x.name === "testmod_seq_empty")!;
  const idx = p.insns.findIndex((i) => i.code === 0x85 && i.imm >= POISON_CALL_KFUNC_BASE);
  const imm = p.insns[idx]!.imm;
  const name = externs.map((s) => s.name).sort()[imm - POISON_CALL_KFUNC_BASE];
  const head = "func#0 @0\n0: R1=ctx() R10=fp0\n";
  const tail = "processed 6 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n";
  const raw = `${head}${idx}: (85) call unknown#${imm}\ninvalid func unknown#${imm}\n${tail}`;
  assert.equal(p.fixupLog(raw), `${head}${idx}: <invalid kfunc call>\nkfunc '${name}' is referenced but wasn't resolved\n${tail}`);
  // Logs without a poisoned instruction at their end are returned unchanged.
  assert.equal(p.fixupLog(`${head}${tail}`), `${head}${tail}`);
});

test("failed CO-RE relocations are poisoned and explained in the log", () => {
  // An empty target BTF: no candidate for any type, so field relocations fail.
  const raw = new Uint8Array(25);
  const dv = new DataView(raw.buffer);
  dv.setUint16(0, 0xeb9f, true);
  raw[2] = 1;
  dv.setUint32(4, 24, true);
  dv.setUint32(20, 1, true); // str_len: just the empty string
  const empty = parseBtf(raw, { name: "empty" });
  const obj = loadObject(fixture("test_wakeup_source.bpf.o"), { targetBtf: vmlinux, coreBtf: empty, file: "w.o" });
  assert.ok(obj.core.poisoned > 0);
  const p = obj.programs.find((x) => x.corePoisoned > 0)!;
  const idx = p.insns.findIndex((i) => i.code === 0x85 && i.imm === 195896080);
  assert.ok(idx >= 0);
  const log = `${idx}: (85) call unknown#195896080\ninvalid func unknown#195896080\nprocessed 1 insns\n`;
  // libbpf prints the kind with its own btf_kind_str, in lower case.
  assert.match(
    p.fixupLog(log),
    new RegExp(`^${idx}: <invalid CO-RE relocation>\\nfailed to resolve CO-RE relocation <byte_(off|sz)> \\[\\d+\\] struct wakeup_source\\.\\w+ \\([\\d:]+ @ offset \\d+\\)\\nprocessed 1 insns\\n$`),
  );
});
