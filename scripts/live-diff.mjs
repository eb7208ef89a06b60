#!/usr/bin/env node
// npm run diff -- OBJ...: load the same programs into the running kernel (root, bpf() allowed)
// and show where bpfverify's verdict, first error line or processed insns differ from its
// verifier. The kernel side is scripts/live-diff/loader.c (libbpf), built on first use
// (needs a C compiler and libbpf-dev). Note the running kernel need not be 7.2: differences
// can be the kernel's version as much as bpfverify's.
//   node scripts/live-diff.mjs [--log-level N] [--json] OBJ...
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { "log-level": { type: "string", default: "5" }, json: { type: "boolean", default: false } },
});
if (positionals.length === 0) {
  console.error("usage: node scripts/live-diff.mjs [--log-level N] [--json] OBJ...");
  process.exit(2);
}
const logLevel = values["log-level"];

const src = join(root, "scripts/live-diff/loader.c");
const bin = join(root, "dist/live-diff/loader");
if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
  mkdirSync(dirname(bin), { recursive: true });
  const cc = spawnSync("cc", ["-O2", "-o", bin, src, "-lbpf", "-lelf", "-lz"], { stdio: "inherit" });
  if (cc.status !== 0) {
    console.error("live-diff: cannot build the kernel loader (needs cc and libbpf-dev: apt-get install libbpf-dev)");
    process.exit(3);
  }
}
const { main } = await import(join(root, "dist/src/cli/main.js"));
const { firstErrorLine } = await import(join(root, "dist/src/selftest/index.js"));

const processed = (log) => {
  const m = /processed (\d+) insns/.exec(log);
  return m ? Number(m[1]) : null;
};

const rows = [];
for (const obj of positionals) {
  let kernelOut;
  try {
    kernelOut = execFileSync(bin, [obj, logLevel], { maxBuffer: 1 << 30, encoding: "utf8" });
  } catch (e) {
    console.error(`live-diff: ${obj}: the kernel loader failed: ${e.stderr ?? e.message}`);
    continue;
  }
  const kernel = new Map(kernelOut.split("\n").filter(Boolean).map((l) => JSON.parse(l)).map((r) => [r.program, r]));
  const io = { stdout: "", stderr: "", out(s) { io.stdout += s; }, err(s) { io.stderr += s; } };
  // loader.c loads with plain libbpf, without veristat's fix-ups: verify the same way
  await main(["verify", "--json", "--no-veristat-fixups", "--log-level", logLevel, obj], io);
  for (const line of io.stdout.split("\n").filter(Boolean)) {
    const ours = JSON.parse(line);
    const k = kernel.get(ours.program);
    if (!k) continue;
    const kVerdict = k.loaded ? "success" : "failure";
    const row = {
      object: obj,
      program: ours.program,
      kernel: { verdict: kVerdict, error: k.loaded ? "" : firstErrorLine(k.log), insnsProcessed: processed(k.log) },
      ours: { verdict: ours.verdict, error: ours.error, insnsProcessed: ours.insnsProcessed },
    };
    row.same = {
      verdict: kVerdict === ours.verdict,
      error: row.kernel.error === ours.error,
      insns: row.kernel.insnsProcessed === null || row.kernel.insnsProcessed === ours.insnsProcessed,
    };
    rows.push(row);
  }
}
if (values.json) {
  for (const r of rows) console.log(JSON.stringify(r));
} else {
  const diff = rows.filter((r) => !r.same.verdict || !r.same.error || !r.same.insns);
  for (const r of diff) {
    console.log(`${r.object}/${r.program}:`);
    if (!r.same.verdict) console.log(`  verdict: kernel ${r.kernel.verdict}, bpfverify ${r.ours.verdict}`);
    if (!r.same.error) console.log(`  first error: kernel "${r.kernel.error}"\n               bpfverify "${r.ours.error}"`);
    if (!r.same.insns) console.log(`  processed insns: kernel ${r.kernel.insnsProcessed}, bpfverify ${r.ours.insnsProcessed}`);
  }
  const n = rows.length;
  const c = (k) => rows.filter((r) => r.same[k]).length;
  console.log(`\n${n} programs: verdict agrees ${c("verdict")}/${n}, first error ${c("error")}/${n}, processed insns ${c("insns")}/${n}`);
}
