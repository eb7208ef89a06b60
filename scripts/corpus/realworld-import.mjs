#!/usr/bin/env node
// Turns what the live 7.2 kernel said about test/corpus/realworld/objs (the oracle loader's
// plain, veristat-like records from ../shared/tools/oracle/run-objs-vm.sh) into
// test/corpus/realworld/records.jsonl: per program the verdict, libbpf's refusal, the first
// error line, processed insns/states, and the final instructions and maps libbpf handed the
// kernel (map fds as indexes, as `bpfverify insns --json` prints them).
//
// usage: node scripts/corpus/realworld-import.mjs RESULTS.jsonl [DEST]   (DEST default test/corpus/realworld)
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { normalizeInsns, normalizeMaps } from "./normalize.mjs";
// the same first-error rule `bpfverify verify --json` applies (needs a build: npx tsc -p .)
const { firstErrorLine: firstError } = await import("../../dist/src/selftest/recorded.js");

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const [resultsPath, destArg] = process.argv.slice(2);
if (!resultsPath) {
  console.error("usage: node scripts/corpus/realworld-import.mjs RESULTS.jsonl [DEST]");
  process.exit(2);
}
const dest = resolve(root, destArg ?? "test/corpus/realworld");
const die = (msg) => {
  console.error(`realworld-import: ${msg}`);
  process.exit(1);
};

const out = [];
for (const line of readFileSync(resultsPath, "utf8").split("\n")) {
  if (!line.trim()) continue;
  const r = JSON.parse(line);
  if (r.skipped) die(`${r.object}/${r.program}: skipped (${r.skipped}): record again`);
  const rec = {
    object: r.object,
    program: r.program,
    section: r.section,
    kernel: r.kernel_release,
    // the verifier's verdict: BPF_PROG_LOAD's own result (libbpf may still fail the object after
    // it, e.g. when a PROG_ARRAY's initial slot names a program veristat-style loading skipped)
    verdict: r.kernel_reached && r.kernel_errno === 0 ? "success" : "failure",
    libbpfError: r.kernel_reached ? null : (r.libbpf_log ?? "").split("\n")[0].replace(/^libbpf: /, ""),
    error: r.kernel_reached && r.kernel_errno !== 0 ? firstError(r.log) : "",
    insnsProcessed: r.processed_insns ?? 0,
    totalStates: r.total_states ?? 0,
    peakStates: r.peak_states ?? 0,
    verificationTimeUs: r.verification_time_usec ?? null,
    insnsHex: null,
    maps: null,
  };
  if (r.kernel_reached) {
    const { maps, byFd } = normalizeMaps(r, die);
    const { insnsHex, unresolved } = normalizeInsns(r, byFd, die);
    if (unresolved.length) die(`${r.object}/${r.program}: ld_imm64 with a fd that is no map at insns ${unresolved}`);
    rec.insnsHex = insnsHex;
    rec.maps = maps;
  }
  out.push(rec);
}
out.sort((a, b) => (a.object < b.object ? -1 : a.object > b.object ? 1 : 0));
writeFileSync(join(dest, "records.jsonl"), out.map((o) => JSON.stringify(o)).join("\n") + "\n");
console.log(`realworld-import: ${out.length} programs -> ${join(dest, "records.jsonl")}`);
