#!/usr/bin/env node
// npm run conformance: bpfverify against the Linux 7.2 verifier on the kernel's own selftests.
//
// For every object of test/corpus/objs: `bpfverify test --json OBJ` (test_loader's verdict per
// test), and `bpfverify verify --json --log-level 1 OBJ` (per program, with the program's
// recorded BPF_PROG_LOAD flags) for the comparison with what the 7.2 kernel said. Prints a table
// per set of test/corpus/sets.json and writes a JSON report (default dist/reports/conformance.json,
// which scripts/ratchet.mjs reads).
//
// --timeout: per command (one object), default 120 s; --budget: whole run, default 840 s (objects
// past it are not run and their tests count as failed).
// usage: node scripts/conformance.mjs [--set NAME] [--only SUBSTR] [--out FILE] [--timeout SEC] [--budget SEC]
//                                     [--no-verify] [--replay-kernel]
// --replay-kernel: answer with the recorded 7.2 results instead of bpfverify (scripts/conformance.replay.mjs):
// a check of this script itself, which must then report the kernel's own figures (2753 pass, 100% agreement).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import {
  CliRunner,
  REPLAY_CLI,
  byProgram,
  jsonLines,
  loadSelftestApi,
  moduleBtfArgs,
  parseArgs,
  pct,
  probeCommand,
  root,
  setIndex,
  table,
} from "./conformance.lib.mjs";

const opts = parseArgs(process.argv.slice(2), {
  set: undefined,
  only: undefined,
  out: join(root, "dist/reports/conformance.json"),
  timeout: "120",
  budget: "840",
  "no-verify": false,
  "replay-kernel": false,
});
if (opts.help) {
  console.log("usage: node scripts/conformance.mjs [--set NAME] [--only SUBSTR] [--out FILE] [--timeout SEC] [--budget SEC] [--no-verify] [--replay-kernel]");
  process.exit(0);
}

const api = await loadSelftestApi();
const programs = api.loadCorpusPrograms();
const logs = api.loadCorpusLogs();
const overlay = api.loadOverlay();
const sets = setIndex(api);
if (opts.set && !sets.names.includes(opts.set)) {
  console.error(`conformance: no set '${opts.set}' (sets: ${sets.names.join(", ")})`);
  process.exit(2);
}
const wanted = (o) => (!opts.set || sets.of(o).includes(opts.set)) && (!opts.only || o.includes(opts.only));
const objects = [...new Set(programs.map((p) => p.object))].filter(wanted).sort();
if (objects.length === 0) {
  console.error("conformance: no object selected");
  process.exit(2);
}

const kernelAccepted = (p) => p.kernel.loaded || (p.kernel.reached && p.kernel.kernelErrno === 0);

const runner = new CliRunner(Number(opts.timeout) * 1000, opts["replay-kernel"] ? REPLAY_CLI : undefined);
const objPath = (o) => api.objectPath(o);

// ---- is there a verifier to measure? ----
// Module BTFs resolve the bpf_testmod/netfilter kfuncs and ksyms.
const extra = moduleBtfArgs(api);
const probe = await probeCommand(runner, "test", objPath(objects[0]), extra);
if (!probe.ok) {
  console.error("conformance: the verifier is not available: `bpfverify test --json` gave no results.");
  console.error(`conformance: ${probe.why}`);
  console.error("conformance: nothing was measured (build it, `npx tsc -p .`, and run again).");
  await runner.close();
  process.exit(3);
}
let verifyOk = !opts["no-verify"];
if (verifyOk) {
  const v = await probeCommand(runner, "verify", objPath(objects[0]), extra);
  if (!v.ok) {
    console.error(`conformance: \`bpfverify verify --json\` not available (${v.why.split("\n")[0]}): verdict agreement not measured`);
    verifyOk = false;
  }
}

// ---- run ----
const byObject = new Map();
for (const p of programs) if (objects.includes(p.object)) byObject.set(p.object, [...(byObject.get(p.object) ?? []), p]);

const rows = [];
const t0 = Date.now();
let done = 0;
let overBudget = 0;
for (const object of objects) {
  const progs = byObject.get(object);
  // The whole run must fit in the acceptance's 15 minutes: past the budget, objects are not run
  // (their tests count as failed, "not run").
  const late = (Date.now() - t0) / 1000 > Number(opts.budget);
  if (late) overBudget++;
  const tr = late ? { rc: "budget", stdout: "", stderr: "" } : await runner.run(["test", "--json", ...extra, objPath(object)]);
  const tests = byProgram(jsonLines(tr.stdout), object);
  const verified = new Map();
  if (verifyOk && !late) {
    // The oracle loaded test programs as test_loader does (libbpf's plain load, no veristat
    // fix-ups) and the objects' other programs with veristat's fix-ups (verify's default).
    // ...and with the test's __btf_path / __btf_func_path, as test_loader loads it
    let custom = [];
    for (const p of progs.filter((q) => q.isTest)) {
      const sr = api.specForProgram(p, overlay.get(api.programKey(p.object, p.program)));
      if (!sr.ok) continue;
      const dir = dirname(objPath(object));
      if (sr.spec.btfCustomPath) custom = ["--core-btf", join(dir, sr.spec.btfCustomPath)];
      if (sr.spec.btfCustomFuncPath) custom = [...custom, "--btf-func-path", join(dir, sr.spec.btfCustomFuncPath)];
      if (custom.length) break;
    }
    const fixups = (p) => (p.isTest ? ["--no-veristat-fixups", ...custom] : []);
    const plain = progs.filter((p) => p.progFlags === 0);
    for (const veristat of new Set(plain.map((p) => !p.isTest))) {
      const vr = await runner.run(["verify", "--json", "--log-level", "1", ...(veristat ? [] : ["--no-veristat-fixups", ...custom]), ...extra, objPath(object)]);
      const mine = new Set(progs.filter((p) => !p.isTest === veristat).map((p) => p.program));
      for (const [k, v] of byProgram(jsonLines(vr.stdout), object)) if (mine.has(k)) verified.set(k, { ...v, rc: vr.rc });
    }
    for (const p of progs.filter((q) => q.progFlags !== 0)) {
      const vr = await runner.run(["verify", "--json", "--log-level", "1", "--prog-flags", String(p.progFlags), "--program", p.program, ...fixups(p), ...extra, objPath(object)]);
      const v = byProgram(jsonLines(vr.stdout), object).get(p.program);
      if (v) verified.set(p.program, { ...v, rc: vr.rc });
    }
  }
  for (const p of progs) {
    const key = api.programKey(p.object, p.program);
    let t = tests.get(p.program);
    const v = verified.get(p.program);
    const ov = overlay.get(key);
    if (p.judged && (ov || (!t && p.runner === "skeleton")) && v && typeof v.log === "string") {
      // Programs whose expectations are not in the object: a prog_test checks them itself
      // (expectations-overlay.tsv), or a skeleton test loads every program of an unannotated
      // object (runner "skeleton": all must load), which `bpfverify test` may not report.
      // Judge our verify result for them here, as test_loader would.
      const j = api.judge(api.specForProgram(p, ov), { loaded: v.verdict === "success", log: v.verdict === "success" ? "" : v.log });
      t = { result: j.result, reason: `${j.reason} (judged from verify: ${ov ? `expectations of ${ov.source}` : `runner ${p.runner}`})` };
    }
    const kernelLog = logs.get(key)?.log ?? "";
    rows.push({
      object: p.object,
      program: p.program,
      sets: sets.of(p.object),
      isTest: p.judged !== null,
      kernelTest: p.judged?.verdict ?? null,
      test: p.judged === null ? null : t ? { result: t.result, reason: t.reason ?? "" } : { result: "missing", reason: tr.rc === "timeout" ? "timeout" : tr.rc === "budget" ? "not run: time budget exhausted" : `no result (exit ${tr.rc})` },
      kernel: {
        // the verifier's verdict: BPF_PROG_LOAD's own result. libbpf may fail the object after a
        // successful load (a PROG_ARRAY slot naming a program the oracle did not load: EBADF)
        verdict: kernelAccepted(p) ? "success" : "failure",
        error: kernelAccepted(p) ? "" : api.firstErrorLine(kernelLog),
        insnsProcessed: p.kernel.processedInsns,
        totalStates: p.kernel.totalStates,
        peakStates: p.kernel.peakStates,
      },
      ours: v
        ? {
            verdict: v.verdict,
            error: v.verdict === "success" ? "" : typeof v.log === "string" && v.log !== "" ? api.firstErrorLine(v.log) : (v.error ?? ""),
            insnsProcessed: v.insnsProcessed ?? null,
            totalStates: v.totalStates ?? null,
            peakStates: v.peakStates ?? null,
            durationUs: v.durationUs ?? null,
          }
        : null,
    });
  }
  done++;
  if (done % 20 === 0 || done === objects.length) {
    process.stderr.write(`conformance: ${done}/${objects.length} objects, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  }
}
await runner.close();

// ---- aggregate ----
function summarize(rs) {
  const tests = rs.filter((r) => r.isTest);
  const n = (res) => tests.filter((r) => r.test.result === res).length;
  const cmp = rs.filter((r) => r.ours);
  const agree = cmp.filter((r) => r.ours.verdict === r.kernel.verdict);
  const bothFail = cmp.filter((r) => r.ours.verdict === "failure" && r.kernel.verdict === "failure");
  const sameErr = bothFail.filter((r) => r.ours.error === r.kernel.error);
  const bothOk = cmp.filter((r) => r.ours.verdict === "success" && r.kernel.verdict === "success");
  const sameInsns = bothOk.filter((r) => r.ours.insnsProcessed === r.kernel.insnsProcessed);
  return {
    tests: tests.length,
    passed: n("pass"),
    failed: n("fail") + n("missing"),
    skipped: n("skip"),
    missing: n("missing"),
    kernelPassed: tests.filter((r) => r.kernelTest === "pass").length,
    programs: rs.length,
    compared: cmp.length,
    verdictAgree: agree.length,
    bothRejected: bothFail.length,
    identicalFirstError: sameErr.length,
    bothAccepted: bothOk.length,
    identicalInsnsProcessed: sameInsns.length,
  };
}
const perSet = {};
for (const name of sets.names) {
  const rs = rows.filter((r) => r.sets.includes(name));
  if (rs.length) perSet[name] = summarize(rs);
}
const total = summarize(rows);

const line = (name, s) => [
  name,
  s.tests,
  s.passed,
  s.failed,
  s.skipped,
  pct(s.passed, s.tests),
  verifyOk ? `${pct(s.verdictAgree, s.compared)} (${s.verdictAgree}/${s.compared})` : "n/a",
  verifyOk ? `${pct(s.identicalFirstError, s.bothRejected)} (${s.identicalFirstError}/${s.bothRejected})` : "n/a",
  verifyOk ? `${pct(s.identicalInsnsProcessed, s.bothAccepted)} (${s.identicalInsnsProcessed}/${s.bothAccepted})` : "n/a",
];
console.log(
  table(
    ["set", "tests", "passed", "failed", "skipped", "pass %", "verdict agreement", "identical first error", "identical processed insns"],
    [...Object.entries(perSet).map(([k, s]) => line(k, s)), line("all", total)],
  ),
);
console.log(
  `\n${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped` +
    ` (the 7.2 kernel itself: ${total.kernelPassed} of ${total.tests} pass); ${((Date.now() - t0) / 1000).toFixed(0)} s`,
);
if (overBudget) console.log(`${overBudget} objects not run: the ${opts.budget} s budget was exhausted (--budget)`);
if (total.missing) console.log(`${total.missing} tests got no result from \`bpfverify test\` (counted as failed)`);

const out = resolve(opts.out);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  JSON.stringify(
    {
      generated: new Date().toISOString(),
      corpus: "test/corpus (Linux 7.2 selftests, recorded on 7.2.13+deb14-amd64)",
      selection: { set: opts.set ?? null, only: opts.only ?? null, objects: objects.length },
      verifyCompared: verifyOk,
      // a replay measures the recorded kernel, not bpfverify: scripts/ratchet.mjs refuses it
      replayKernel: opts["replay-kernel"],
      sets: perSet,
      total,
      programs: rows,
    },
    null,
    1,
  ) + "\n",
);
console.log(`report: ${out}`);
