// test/corpus/realworld: objects written the way real-world projects write them, compiled by
// clang 14, with what a live Linux 7.2 kernel (Debian 7.2.13, under qemu) said about each
// program (records.jsonl, scripts/corpus/realworld-import.mjs). Loader: the instructions and
// maps libbpf handed the kernel, and libbpf's own refusals. Verifier: verdict, first error line
// and processed insns, except for the programs known-gaps.txt lists with the rule we lack.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { rawInsnsToHex } from "../isa/index.js";
import { loadObject, mapTypeName, type LoadedObject } from "../loader/index.js";
import { PLACEHOLDER_KSYM_ADDR } from "../loader/externs.js";
import { corpusDir } from "../selftest/index.js";
import { firstErrorLine } from "../selftest/recorded.js";
import { verifyProgram } from "./verify-program.js";

interface RealworldRecord {
  object: string;
  program: string;
  verdict: "success" | "failure";
  libbpfError: string | null;
  error: string;
  insnsProcessed: number;
  insnsHex: string | null;
  maps: { name: string; type: string; keySize: number; valueSize: number; maxEntries: number }[] | null;
}

/**
 * A typeless ksym's address comes from the kernel's kallsyms, which bpfverify does not have: where
 * ours holds the placeholder address, take the kernel's (any non-zero kernel address) instead.
 */
function maskKsymAddrs(ours: string, kernel: string): string {
  const ph = PLACEHOLDER_KSYM_ADDR;
  const lo = (Number(ph & 0xffffffffn) >>> 0).toString(16).padStart(8, "0");
  const hi = (Number(ph >> 32n) >>> 0).toString(16).padStart(8, "0");
  const le = (h: string) => h.match(/../g)!.reverse().join("");
  let out = ours;
  for (let i = 0; i + 32 <= ours.length; i += 16) {
    const a = ours.slice(i, i + 32);
    if (a.slice(0, 2) !== "18" || a.slice(2, 4)[0] !== "0" || a.slice(8, 16) !== le(lo) || a.slice(24, 32) !== le(hi)) continue;
    const k = kernel.slice(i, i + 32);
    if (k.slice(0, 4) === a.slice(0, 4) && k.slice(24, 32) === le("ffffffff")) out = out.slice(0, i) + k + out.slice(i + 32);
  }
  return out;
}

const dir = join(corpusDir(), "realworld");
const records: RealworldRecord[] = readFileSync(join(dir, "records.jsonl"), "utf8")
  .split("\n")
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as RealworldRecord);
/** "object/program<TAB>reason" lines: programs whose verification needs a rule not modelled yet. */
const knownGaps = new Map(
  readFileSync(join(dir, "known-gaps.txt"), "utf8")
    .split("\n")
    .filter((l) => l.trim() && !l.startsWith("#"))
    .map((l) => l.split("\t") as [string, string]),
);
const objects = new Map<string, LoadedObject>();
const objectOf = (name: string): LoadedObject => {
  let o = objects.get(name);
  // recorded with the oracle loader's plain mode: veristat's fix-ups, the bundled target and its config
  if (!o) objects.set(name, (o = loadObject(readFileSync(join(dir, "objs", name)), { file: name, fixups: "veristat" })));
  return o;
};
const programOf = (r: RealworldRecord) => {
  const p = objectOf(r.object).programs.find((q) => q.name === r.program);
  assert.ok(p, `${r.object}/${r.program}: program not found`);
  return p;
};

test("realworld: the corpus covers tracing, sched_ext, networking and libbpf refusals", () => {
  assert.ok(records.length >= 30);
  assert.ok(records.some((r) => r.libbpfError !== null));
  assert.ok(records.some((r) => r.verdict === "failure" && r.libbpfError === null));
  for (const k of knownGaps.keys()) assert.ok(records.some((r) => `${r.object}/${r.program}` === k), `known-gaps.txt names ${k}, not in records.jsonl`);
});

test("realworld loader: final instructions and maps as libbpf handed them to 7.2; libbpf's refusals", () => {
  for (const r of records) {
    const p = programOf(r);
    const key = `${r.object}/${r.program}`;
    if (r.libbpfError !== null) {
      assert.equal(p.loadError, r.libbpfError, key);
      continue;
    }
    assert.equal(p.loadError, null, key);
    assert.equal(maskKsymAddrs(rawInsnsToHex(p.insns), r.insnsHex ?? ""), r.insnsHex, `${key}: instructions`);
    const maps = p.maps.map((m) => ({ name: m.name, type: mapTypeName(m.type), keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries }));
    assert.deepEqual(maps, r.maps, `${key}: maps`);
  }
});

test("realworld verifier: verdict, first error and processed insns as the 7.2 kernel's", () => {
  const mismatches: string[] = [];
  const nowSupported: string[] = [];
  for (const r of records) {
    const key = `${r.object}/${r.program}`;
    const v = verifyProgram(programOf(r), { logLevel: 1 });
    const got = { verdict: v.verdict, error: v.libbpfError === undefined && v.verdict === "failure" ? firstErrorLine(v.log) : "", insnsProcessed: v.libbpfError === undefined ? v.insnsProcessed : 0 };
    const want = { verdict: r.verdict, error: r.libbpfError === null ? r.error : "", insnsProcessed: r.insnsProcessed };
    const same = JSON.stringify(got) === JSON.stringify(want);
    if (knownGaps.has(key)) {
      if (v.verdict !== "unsupported") (same ? nowSupported : mismatches).push(`${key}: ${JSON.stringify(got)} vs kernel ${JSON.stringify(want)}`);
      continue;
    }
    if (!same) mismatches.push(`${key}: ${JSON.stringify(got)}${v.unsupported ? ` (${v.unsupported})` : ""} vs kernel ${JSON.stringify(want)}`);
  }
  assert.deepEqual(mismatches, []);
  assert.deepEqual(nowSupported, [], "these match the kernel now: drop them from test/corpus/realworld/known-gaps.txt");
});
