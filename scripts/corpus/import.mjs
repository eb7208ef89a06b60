#!/usr/bin/env node
// Turns a built selftests corpus (the layout of ../shared/corpus/selftests-7.2, written by
// ../shared/tools/oracle/publish-corpus.sh) into test/corpus/: the objects, module BTFs and a
// compact per-program record of what the 7.2 kernel said, so that tests and the conformance
// and bench scripts never need ../shared.
//
// usage: node scripts/corpus/import.mjs [SRC] [DEST]
//   SRC  default ../shared/corpus/selftests-7.2 (relative to the repository root)
//   DEST default test/corpus
//   env SETS: sets.json to copy (default SRC/../../conformance/sets.json)
//
// Deterministic: same input, same bytes out (sorted where the input order is not meaningful,
// gzip without timestamps), so a re-import shows in git only what really changed.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { normalizeInsns, normalizeMaps } from "./normalize.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const src = resolve(root, process.argv[2] ?? "../shared/corpus/selftests-7.2");
const dest = resolve(root, process.argv[3] ?? "test/corpus");
const setsPath = process.env.SETS ?? join(src, "../../conformance/sets.json");

function die(msg) {
  console.error(`import: ${msg}`);
  process.exit(1);
}
for (const f of ["results-7.2.jsonl", "judged-7.2.jsonl", "host-6.18-stats.jsonl", "runners.tsv", "objs", "btf"]) {
  if (!existsSync(join(src, f))) die(`${join(src, f)} missing: not a built corpus`);
}
if (!existsSync(setsPath)) die(`${setsPath} missing (set SETS=...)`);

const readJsonl = (p) =>
  readFileSync(p, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l));
const key = (o, p) => `${o}\0${p}`;

// ---- inputs ----

const results = readJsonl(join(src, "results-7.2.jsonl"));
const judged = new Map(readJsonl(join(src, "judged-7.2.jsonl")).map((j) => [key(j.object, j.program), j]));
const host = new Map(readJsonl(join(src, "host-6.18-stats.jsonl")).map((h) => [key(h.object, h.program), h]));
const verdictDiff = new Set();
const diffPath = join(src, "verdict-diff-6.18-vs-7.2.tsv");
if (existsSync(diffPath)) {
  for (const line of readFileSync(diffPath, "utf8").split("\n").slice(1)) {
    const [o, p] = line.split("\t");
    if (o && p) verdictDiff.add(key(o, p));
  }
}
const runners = new Map();
for (const line of readFileSync(join(src, "runners.tsv"), "utf8").split("\n").slice(1)) {
  const [o, r] = line.split("\t");
  if (o && r) runners.set(o, r);
}

const nullish = (v) => (v === undefined ? null : v);

const programs = [];
const logs = [];
const unresolvedReport = [];
for (const r of results) {
  if (r.mode !== "selftest") die(`${r.object}/${r.program}: not a --selftest record`);
  const { maps, byFd } = normalizeMaps(r, die);
  const { insnsHex, unresolved } = normalizeInsns(r, byFd, die);
  if (unresolved.length) unresolvedReport.push(`${r.object}/${r.program}@${unresolved.join(",")}`);
  const j = judged.get(key(r.object, r.program));
  const h = host.get(key(r.object, r.program));
  const rec = {
    object: r.object,
    program: r.program,
    section: r.section,
    progType: r.prog_type,
    expectedAttachType: r.expected_attach_type,
    progTypeLoaded: r.prog_type_loaded,
    expectedAttachTypeLoaded: r.expected_attach_type_loaded,
    runner: runners.get(r.object) ?? null,
    isTest: r.is_test,
    auxPrograms: r.aux_programs ?? [],
    annotations: r.annotations ?? [],
    progFlags: r.prog_flags,
    logLevel: r.log_level,
    testLoaderLogLevel: r.test_loader_log_level ?? 0,
    capSysAdminDropped: r.cap_sys_admin_dropped,
    btfCustomPath: r.btf_custom_path ?? null,
    kernel: {
      release: r.kernel_release,
      jitEnabled: r.jit_enabled,
      reached: r.kernel_reached,
      loaded: r.loaded,
      errno: r.errno,
      kernelErrno: r.kernel_errno,
      processedInsns: r.processed_insns,
      totalStates: r.total_states,
      peakStates: r.peak_states,
      maxStatesPerInsn: r.max_states_per_insn,
      markRead: r.mark_read,
      stackDepth: r.stack_depth,
      verificationTimeUsec: r.verification_time_usec,
      verifiedInsns: nullish(r.verified_insns),
      xlatedInsnCnt: nullish(r.xlated_insn_cnt),
      logTrueSize: r.log_true_size,
      logTruncated: r.log_truncated,
      logSizeFirstTry: nullish(r.log_size_first_try),
    },
    host618: h
      ? {
          release: h.kernel_release,
          reached: h.kernel_reached,
          loaded: h.loaded,
          errno: h.errno,
          processedInsns: h.processed_insns,
          totalStates: h.total_states,
          peakStates: h.peak_states,
          verificationTimeUsec: h.verification_time_usec,
          verdictDiffers: verdictDiff.has(key(r.object, r.program)),
        }
      : null,
    insnCnt: r.insn_cnt,
    insnsHex,
    maps,
    unresolvedMapFdInsns: unresolved,
    kfuncCalls: r.kfunc_calls,
    kfuncCallsInElf: r.kfunc_calls_in_elf,
    judged: j
      ? {
          verdict: j.verdict,
          reason: j.reason,
          expect: nullish(j.expect),
          description: nullish(j.description),
          notChecked: j.not_checked ?? [],
          expectationSource: nullish(j.expectation_source),
        }
      : null,
  };
  programs.push(rec);
  const l = { object: r.object, program: r.program, log: r.log ?? "" };
  if (r.log_kernel_raw !== undefined) l.logKernelRaw = r.log_kernel_raw;
  if (r.log_capped !== undefined) l.logCapped = r.log_capped;
  if (r.libbpf_log) l.libbpfLog = r.libbpf_log;
  logs.push(l);
}
for (const k of judged.keys()) {
  if (!programs.some((p) => key(p.object, p.program) === k)) die(`judged test ${k} has no result record`);
}

// ---- output ----

const gz = (s) => gzipSync(Buffer.from(s), { level: 9 });
const jsonl = (rows) => rows.map((x) => JSON.stringify(x)).join("\n") + "\n";

rmSync(join(dest, "objs"), { recursive: true, force: true });
rmSync(join(dest, "btf"), { recursive: true, force: true });
mkdirSync(join(dest, "objs"), { recursive: true });
mkdirSync(join(dest, "btf"), { recursive: true });
const objs = readdirSync(join(src, "objs")).filter((f) => f.endsWith(".o")).sort();
// Copy contents, not modes: the published corpus is read-only and a re-import must overwrite.
const copy = (from, to) => writeFileSync(to, readFileSync(from));
for (const f of objs) copy(join(src, "objs", f), join(dest, "objs", f));
for (const f of readdirSync(join(src, "btf")).filter((f) => f.endsWith(".btf")).sort()) {
  copy(join(src, "btf", f), join(dest, "btf", f));
}
writeFileSync(join(dest, "programs.jsonl.gz"), gz(jsonl(programs)));
writeFileSync(join(dest, "logs.jsonl.gz"), gz(jsonl(logs)));
for (const f of ["runners.tsv", "expectations-overlay.tsv", "verdict-diff-6.18-vs-7.2.tsv", "manifest.tsv", "compile-flags.txt"]) {
  if (existsSync(join(src, f))) copy(join(src, f), join(dest, f));
}
copy(setsPath, join(dest, "sets.json"));

const tests = programs.filter((p) => p.judged);
const count = (v) => tests.filter((p) => p.judged.verdict === v).length;
console.log(
  `import: ${objs.length} objects, ${programs.length} programs, ${tests.length} tests ` +
    `(${count("pass")} pass, ${count("fail")} fail, ${count("skip")} skip) -> ${dest}`,
);
console.log(`import: ld_imm64 map fds left raw (not a live map): ${unresolvedReport.join(" ") || "none"}`);
