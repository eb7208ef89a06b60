#!/usr/bin/env node
// Runs the loader over every object of the 7.2 selftests corpus and compares
// each program's final instructions with what libbpf handed the 7.2 kernel
// (results-7.2.jsonl `insns_hex`). Map fds are normalized to map indices through
// the recorded `maps` (live_at_load entries), as the corpus README explains.
// Needs ../shared (not part of `npm test`). Build first: npx tsc -p .
//
// usage: node scripts/check-insns.mjs [--corpus DIR] [--only SUBSTR] [--show N]
import { readFileSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "../dist/src");
const { loadObject } = await import(join(dist, "loader/index.js"));
const { loadBundledVmlinuxBtf, parseBtf, parseBtfOrElf } = await import(join(dist, "btf/index.js"));
const { elfSectionBytes } = await import(join(dist, "elf/index.js"));
const { rawInsnsFromHex, rawInsnsToHex } = await import(join(dist, "isa/raw.js"));

const { values } = parseArgs({
  options: {
    corpus: { type: "string", default: join(here, "../../shared/corpus/selftests-7.2") },
    only: { type: "string" },
    show: { type: "string", default: "3" },
  },
});
const corpus = values.corpus;
const show = Number(values.show);

const vmlinux = loadBundledVmlinuxBtf("7.2");
const moduleBtfs = ["bpf_testmod", "nf_conntrack", "nf_defrag_ipv4", "nf_defrag_ipv6", "nf_nat"].map((name) => ({
  name,
  btf: parseBtf(readFileSync(join(corpus, "btf", `${name}.btf`)), { base: vmlinux, name }),
}));

const records = readFileSync(join(corpus, "results-7.2.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
const byObject = new Map();
for (const r of records) {
  if (values.only && !`${r.object}/${r.program}`.includes(values.only)) continue;
  if (!byObject.has(r.object)) byObject.set(r.object, []);
  byObject.get(r.object).push(r);
}

/**
 * Corpus fds in ld_imm64 -> indices into the maps live at BPF_PROG_LOAD, in creation
 * order (libbpf creates `.jumptables` while relocating, before the object's maps):
 * the numbering the loader uses. Module BTF ids are already comparable.
 */
function normalize(rec) {
  const insns = rawInsnsFromHex(rec.insns_hex);
  const live = (rec.maps ?? []).filter((m) => m.live_at_load);
  const fdToIdx = new Map(live.map((m, i) => [m.fd, i]));
  for (let i = 0; i < insns.length; i++) {
    const ins = insns[i];
    if (ins.code !== 0x18) continue;
    if (ins.src === 1 || ins.src === 2) {
      // A few tests put a non-map fd there on purpose (README): no relocation, so it stays as written.
      const idx = fdToIdx.get(ins.imm);
      if (idx !== undefined) ins.imm = idx;
    }
    i++;
  }
  const maps = live.map((m) => `${m.libbpf_name ?? m.name} ${m.type} key=${m.key_size} value=${m.value_size} max=${m.max_entries}`);
  return { insns, maps };
}

function fmt(i) {
  return `code=0x${i.code.toString(16).padStart(2, "0")} dst=${i.dst} src=${i.src} off=${i.off} imm=${i.imm}`;
}

let total = 0, same = 0, loadErr = 0, mapsChecked = 0, mapsSame = 0;
const mapDiffs = [];
const { mapTypeName } = await import(join(dist, "loader/index.js"));
/** The maps live at load, as libbpf created them, vs the program's map list. */
function compareMaps(rec, wantMaps, maps) {
  const got = maps.map((m) => `${m.name} ${mapTypeName(m.type)} key=${m.keySize} value=${m.valueSize} max=${m.maxEntries}`);
  wantMaps.forEach((want, i) => {
    mapsChecked++;
    if (got[i] === want) mapsSame++;
    else mapDiffs.push(`${rec.object}/${rec.program} map #${i}: got ${got[i] ?? "(none)"}, want ${want}`);
  });
  if (got.length > wantMaps.length) mapDiffs.push(`${rec.object}/${rec.program}: ${got.length - wantMaps.length} extra maps`);
}
let attrChecked = 0, attrSame = 0;
const attrDiffs = [];
/** BPF_PROG_LOAD attributes libbpf derived from the section and the target BTF. */
function compareAttr(rec, p) {
  const ka = rec.kernel_attr;
  if (!rec.kernel_reached || !ka) return;
  attrChecked++;
  const want = `prog_type=${ka.prog_type} expected_attach_type=${ka.expected_attach_type} attach_btf_id=${ka.attach_btf_id} module=${ka.attach_btf_obj_fd !== 0}`;
  const got = `prog_type=${p.progTypeNum} expected_attach_type=${p.expectedAttachTypeNum} attach_btf_id=${p.attachBtfId} module=${p.attachBtfModule !== null}`;
  if (got === want && p.loadError === null) attrSame++;
  else attrDiffs.push(`${rec.object}/${rec.program}: got ${got}${p.loadError ? ` (${p.loadError})` : ""}, want ${want}`);
}
const failures = [];
const errorCounts = new Map();
const customBtf = new Map();
for (const [object, recs] of byObject) {
  const path = join(corpus, "objs", object);
  const custom = recs.find((r) => r.btf_custom_path)?.btf_custom_path;
  let loaded;
  try {
    const opts = { targetBtf: vmlinux, moduleBtfs, file: object };
    if (custom) {
      if (!customBtf.has(custom)) {
        const p = join(corpus, "objs", custom);
        customBtf.set(custom, parseBtfOrElf(readFileSync(p), { file: p, elfSection: (b, n) => elfSectionBytes(b, n, p) }));
      }
      opts.coreBtf = customBtf.get(custom);
    }
    loaded = loadObject(readFileSync(path), opts);
  } catch (e) {
    total += recs.length;
    loadErr += recs.length;
    const msg = e instanceof Error ? e.message : String(e);
    errorCounts.set(msg, (errorCounts.get(msg) ?? 0) + recs.length);
    for (const r of recs) failures.push({ key: `${object}/${r.program}`, lines: [`load error: ${msg}`] });
    continue;
  }
  const byName = new Map(loaded.programs.map((p) => [p.name, p]));
  for (const r of recs) {
    total++;
    const p = byName.get(r.program);
    if (!p) {
      failures.push({ key: `${object}/${r.program}`, lines: ["program not produced by the loader"] });
      continue;
    }
    const want = normalize(r);
    compareMaps(r, want.maps, p.maps);
    compareAttr(r, p);
    const got = p.insns;
    const lines = [];
    if (got.length !== want.insns.length) lines.push(`length: got ${got.length}, want ${want.insns.length}`);
    const n = Math.min(got.length, want.insns.length);
    let diffs = 0;
    for (let i = 0; i < n && diffs < show; i++) {
      if (rawInsnsToHex([got[i]]) !== rawInsnsToHex([want.insns[i]])) {
        diffs++;
        lines.push(`insn ${i}: got  ${fmt(got[i])}`, `${" ".repeat(String(i).length + 6)}want ${fmt(want.insns[i])}`);
      }
    }
    if (lines.length === 0 && got.length === want.insns.length) same++;
    else failures.push({ key: `${object}/${r.program}`, lines });
  }
}

for (const f of failures) {
  console.log(`FAIL ${f.key}`);
  for (const l of f.lines) console.log(`  ${l}`);
}
if (errorCounts.size) {
  console.log("\nload errors (programs affected):");
  for (const [m, c] of [...errorCounts].sort((a, b) => b[1] - a[1])) console.log(`  ${c}\t${m}`);
}
if (mapDiffs.length) {
  console.log("\nmap differences (first 20):");
  for (const d of mapDiffs.slice(0, Number(process.env.MAPDIFFS ?? 20))) console.log(`  ${d}`);
}
console.log(`\nmaps identical (name, type, key/value size, max_entries): ${mapsSame}/${mapsChecked}`);
if (attrDiffs.length) {
  console.log("\nload attribute differences (first 20):");
  for (const d of attrDiffs.slice(0, Number(process.env.MAPDIFFS ?? 20))) console.log(`  ${d}`);
}
console.log(`load attributes identical (prog/attach type, attach_btf_id): ${attrSame}/${attrChecked} programs that reached the kernel`);
const rate = total ? (100 * same) / total : 0;
console.log(`\nidentical: ${same}/${total} programs (${rate.toFixed(2)}%), load errors: ${loadErr}`);
process.exitCode = rate >= 99 ? 0 : 1;
