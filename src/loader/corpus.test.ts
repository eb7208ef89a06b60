// The loader against what libbpf handed the 7.2 kernel for every program of the
// selftests corpus (test/corpus/programs.jsonl.gz: insns with map fds turned
// into indices of the program's live maps, and those maps).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { loadBundledVmlinuxBtf, parseBtf, parseBtfOrElf } from "../btf/index.js";
import { elfSectionBytes } from "../elf/index.js";
import { rawInsnsToHex } from "../isa/raw.js";
import { loadObject, mapTypeName } from "./index.js";

function corpusDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const cand = join(dir, "test", "corpus");
    if (existsSync(join(cand, "programs.jsonl.gz"))) return cand;
    dir = dirname(dir);
  }
  return undefined;
}

interface Rec {
  object: string;
  program: string;
  btfCustomPath: string | null;
  insnsHex: string;
  maps: { name: string; type: string; keySize: number; valueSize: number; maxEntries: number }[];
}

const dir = corpusDir();

test("every corpus program's final insns and maps equal libbpf's", { skip: dir === undefined ? "test/corpus not present" : false }, () => {
  const recs = gunzipSync(readFileSync(join(dir!, "programs.jsonl.gz"))).toString("utf8").trim().split("\n").map((l) => JSON.parse(l) as Rec);
  const vmlinux = loadBundledVmlinuxBtf("7.2");
  const moduleBtfs = ["bpf_testmod", "nf_conntrack", "nf_defrag_ipv4", "nf_defrag_ipv6", "nf_nat"].map((name) => ({
    name,
    btf: parseBtf(readFileSync(join(dir!, "btf", `${name}.btf`)), { base: vmlinux, name }),
  }));
  const byObject = new Map<string, Rec[]>();
  for (const r of recs) byObject.set(r.object, [...(byObject.get(r.object) ?? []), r]);
  let same = 0;
  const bad: string[] = [];
  for (const [object, list] of byObject) {
    const custom = list.find((r) => r.btfCustomPath)?.btfCustomPath;
    const coreBtf = custom
      ? parseBtfOrElf(readFileSync(join(dir!, "objs", custom)), { elfSection: (b, n) => elfSectionBytes(b, n, custom) })
      : undefined;
    const obj = loadObject(readFileSync(join(dir!, "objs", object)), { targetBtf: vmlinux, moduleBtfs, file: object, coreBtf });
    for (const r of list) {
      const p = obj.programs.find((x) => x.name === r.program);
      const maps = p?.maps.map((m) => ({ name: m.name, type: mapTypeName(m.type), keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries }));
      if (p && rawInsnsToHex(p.insns) === r.insnsHex && JSON.stringify(maps) === JSON.stringify(r.maps)) same++;
      else bad.push(`${object}/${r.program}`);
    }
  }
  assert.equal(recs.length, 2793);
  assert.deepEqual(bad, []);
  assert.equal(same, recs.length);
});
