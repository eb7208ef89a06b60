// libbpf's btf_fixup_datasec on objects built by clang 14 (test/corpus/realworld, Debian
// bookworm's clang): DATASEC sizes and global variables' offsets are left zero in .BTF; the
// expected values below come from the ELF itself (section sizes, symbol values), not from us.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseBtf } from "../btf/index.js";
import { parseElf, STT_OBJECT } from "../elf/index.js";
import { corpusDir } from "../selftest/index.js";
import { loadObject, parseObject } from "./index.js";

const objPath = (name: string) => join(corpusDir(), "realworld", "objs", name);

test("clang 14 leaves .maps at size 0 with every map at offset 0; libbpf's fixup takes the ELF's layout", () => {
  const bytes = readFileSync(objPath("xdp_tc.bpf.o"));
  const elf = parseElf(bytes, "xdp_tc.bpf.o");
  const raw = parseBtf(elf.data(elf.sectionByName(".BTF")!), { name: "raw" });
  const rawMaps = raw.type(raw.findByNameKind(".maps", "DATASEC")!);
  assert.equal(rawMaps.kind, "DATASEC");
  if (rawMaps.kind !== "DATASEC") return;
  assert.equal(rawMaps.size, 0, "the input is what old clang emits");
  assert.deepEqual(rawMaps.vars.map((v) => v.offset), [0, 0]);

  const obj = parseObject(bytes, { file: "xdp_tc.bpf.o" });
  const fixed = obj.btf!.type(obj.btf!.findByNameKind(".maps", "DATASEC")!);
  if (fixed.kind !== "DATASEC") return assert.fail("no .maps DATASEC");
  assert.equal(fixed.size, elf.sectionByName(".maps")!.size);
  const symValue = (name: string) => elf.symbols.find((s) => s.type === STT_OBJECT && s.name === name)!.value;
  for (const v of fixed.vars) {
    const name = obj.btf!.typeName(v.type);
    assert.equal(v.offset, symValue(name), `offset of ${name}`);
  }
  assert.deepEqual(obj.maps.map((m) => m.name), ["counters", "tx"], "maps in ELF order");
});

test("map relocations of a clang 14 object find each map at its symbol's offset", () => {
  const lo = loadObject(readFileSync(objPath("xdp_tc.bpf.o")), { file: "xdp_tc.bpf.o" });
  const p = lo.programs.find((q) => q.name === "xdp_count")!;
  // ld_imm64 with BPF_PSEUDO_MAP_FD (src_reg 1): the imm is an index into p.maps
  const mapRefs = p.insns.filter((i) => i.code === 0x18 && i.src === 1).map((i) => p.maps[i.imm]!.name);
  assert.deepEqual(mapRefs, ["counters", "counters", "tx"], "lookup, update, redirect_map, in source order");
});
