#!/usr/bin/env node
// npm run bench: bpfverify's verification time per program against the kernel's native one.
//
// The kernel figure is the 6.18 host's (host-6.18-stats.jsonl: a log-level-4 load on real
// hardware, no instruction trace to inflate it); the 7.2 records come from an emulated machine
// and their times do not count. 6.18 is another verifier, so time ratios are taken only over
// programs where 6.18 and 7.2 agree on the verdict and on processed insns. Processed insns and
// states are compared with the 7.2 records. Ours comes from `bpfverify verify --json
// --log-level 4` (its `durationUs`), run with each program's recorded BPF_PROG_LOAD flags.
//
// usage: node scripts/bench.mjs [--set NAME] [--only SUBSTR] [--repeat N] [--out FILE]
//                               [--timeout SEC] [--budget SEC] [--replay-kernel]
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
  // the fastest of 3 runs in one warm worker: a lone run of a tiny program often carries a GC pause
  repeat: "3",
  out: join(root, "dist/reports/bench.json"),
  timeout: "120",
  budget: "840",
  "replay-kernel": false,
});
if (opts.help) {
  console.log("usage: node scripts/bench.mjs [--set NAME] [--only SUBSTR] [--repeat N] [--out FILE] [--timeout SEC] [--budget SEC] [--replay-kernel]");
  process.exit(0);
}
const repeat = Math.max(1, Number(opts.repeat) || 1);

const api = await loadSelftestApi();
const programs = api.loadCorpusPrograms();
const sets = setIndex(api);
const wanted = (o) => (!opts.set || sets.of(o).includes(opts.set)) && (!opts.only || o.includes(opts.only));
const objects = [...new Set(programs.map((p) => p.object))].filter(wanted).sort();
if (objects.length === 0) {
  console.error("bench: no object selected");
  process.exit(2);
}
const runner = new CliRunner(Number(opts.timeout) * 1000, opts["replay-kernel"] ? REPLAY_CLI : undefined);
const extra = moduleBtfArgs(api);
const probe = await probeCommand(runner, "verify", api.objectPath(objects[0]), extra);
if (!probe.ok) {
  console.error("bench: the verifier is not available: `bpfverify verify --json` gave no results.");
  console.error(`bench: ${probe.why}`);
  await runner.close();
  process.exit(3);
}

// ---- run: each object (or flagged program) `repeat` times, keeping each program's fastest run ----
const ours = new Map();
let maxRssKb = 0;
const t0 = Date.now();
// `skip`: programs this run does not stand for (a whole-object run loads every program without
// flags; the ones the corpus loaded with BPF_PROG_LOAD flags are timed by their own run).
async function verify(object, argv, only, skip = new Set()) {
  for (let i = 0; i < repeat; i++) {
    const r = await runner.run(["verify", "--json", "--log-level", "4", ...argv, ...extra, api.objectPath(object)]);
    maxRssKb = Math.max(maxRssKb, r.maxRssKb ?? 0);
    for (const [prog, v] of byProgram(jsonLines(r.stdout), object)) {
      if ((only && prog !== only) || skip.has(prog)) continue;
      const key = api.programKey(object, prog);
      const prev = ours.get(key);
      const cur = { ...v, heapDelta: r.heapDelta ?? null, timeout: r.rc === "timeout" };
      if (!prev || (v.durationUs ?? Infinity) < (prev.durationUs ?? Infinity)) ours.set(key, cur);
    }
    if (r.rc === "timeout") break;
  }
}
let done = 0;
let overBudget = 0;
for (const object of objects) {
  if ((Date.now() - t0) / 1000 > Number(opts.budget)) {
    overBudget++;
    continue;
  }
  const progs = programs.filter((p) => p.object === object);
  const flagged = new Set(progs.filter((p) => p.progFlags !== 0).map((p) => p.program));
  if (progs.some((p) => p.progFlags === 0)) await verify(object, [], undefined, flagged);
  for (const p of progs.filter((q) => q.progFlags !== 0)) {
    await verify(object, ["--prog-flags", String(p.progFlags), "--program", p.program], p.program);
  }
  if (++done % 20 === 0 || done === objects.length) {
    process.stderr.write(`bench: ${done}/${objects.length} objects, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
  }
}
await runner.close();

// ---- compare ----
const rows = [];
for (const p of programs.filter((q) => objects.includes(q.object))) {
  const key = api.programKey(p.object, p.program);
  const v = ours.get(key);
  const h = p.host618;
  const hostComparable =
    h !== null &&
    h.reached &&
    !h.verdictDiffers &&
    h.loaded === p.kernel.loaded &&
    h.processedInsns !== null &&
    h.processedInsns === p.kernel.processedInsns &&
    h.verificationTimeUsec !== null;
  rows.push({
    object: p.object,
    program: p.program,
    kernel72: { verdict: p.kernel.loaded ? "success" : "failure", insnsProcessed: p.kernel.processedInsns, totalStates: p.kernel.totalStates, peakStates: p.kernel.peakStates },
    host618: h ? { verdict: h.loaded ? "success" : "failure", insnsProcessed: h.processedInsns, timeUs: h.verificationTimeUsec } : null,
    hostComparable,
    ours: v
      ? { verdict: v.verdict, insnsProcessed: v.insnsProcessed ?? null, totalStates: v.totalStates ?? null, peakStates: v.peakStates ?? null, timeUs: v.durationUs ?? null, heapDelta: v.heapDelta, timeout: v.timeout }
      : null,
  });
}
const timed = rows.filter((r) => r.hostComparable && r.ours && typeof r.ours.timeUs === "number");
for (const r of timed) r.ratio = r.ours.timeUs / Math.max(1, r.host618.timeUs);
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const oursTotal = sum(timed.map((r) => r.ours.timeUs));
const hostTotal = sum(timed.map((r) => r.host618.timeUs));
const ratios = timed.map((r) => r.ratio).sort((a, b) => a - b);
const median = ratios.length ? ratios[Math.floor(ratios.length / 2)] : null;
const geomean = ratios.length ? Math.exp(sum(ratios.map((x) => Math.log(Math.max(x, 1e-9)))) / ratios.length) : null;
const withOurs = rows.filter((r) => r.ours);
const same = (f) => withOurs.filter((r) => r.ours[f] !== null && r.ours[f] === r.kernel72[f]).length;
const summary = {
  programs: rows.length,
  measured: withOurs.length,
  timeouts: withOurs.filter((r) => r.ours.timeout).length,
  hostComparable: rows.filter((r) => r.hostComparable).length,
  timed: timed.length,
  oursTotalUs: oursTotal,
  host618TotalUs: hostTotal,
  totalRatio: hostTotal ? oursTotal / hostTotal : null,
  medianRatio: median,
  geomeanRatio: geomean,
  identicalInsnsProcessed: same("insnsProcessed"),
  identicalTotalStates: same("totalStates"),
  identicalPeakStates: same("peakStates"),
  maxRssKb,
};

const f2 = (x) => (x === null ? "-" : x.toFixed(2));
console.log(
  table(
    ["", "value"],
    [
      ["programs (measured / in corpus)", `${summary.measured} / ${summary.programs}`],
      ["timed vs 6.18 (same verdict and insns on 6.18 and 7.2)", summary.timed],
      ["our total verification time (us)", oursTotal],
      ["6.18 native total (us)", hostTotal],
      ["total ratio ours/6.18", f2(summary.totalRatio)],
      ["median ratio", f2(median)],
      ["geometric mean ratio", f2(geomean)],
      ["processed insns = 7.2", `${summary.identicalInsnsProcessed} (${pct(summary.identicalInsnsProcessed, summary.measured)})`],
      ["total states = 7.2", `${summary.identicalTotalStates} (${pct(summary.identicalTotalStates, summary.measured)})`],
      ["peak states = 7.2", `${summary.identicalPeakStates} (${pct(summary.identicalPeakStates, summary.measured)})`],
      ["peak memory (max RSS, MiB)", (maxRssKb / 1024).toFixed(0)],
      ["timeouts", summary.timeouts],
      ["objects not run (budget)", overBudget],
    ],
  ),
);
const worst = [...timed].sort((a, b) => b.ratio - a.ratio).slice(0, 20);
console.log("\nworst 20 programs by time ratio:");
console.log(
  table(
    ["program", "ours (us)", "6.18 (us)", "ratio", "insns 7.2", "insns ours"],
    worst.map((r) => [`${r.object}/${r.program}`, r.ours.timeUs, r.host618.timeUs, f2(r.ratio), r.kernel72.insnsProcessed, r.ours.insnsProcessed ?? "-"]),
  ),
);
const out = resolve(opts.out);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify({ generated: new Date().toISOString(), repeat, summary, worst: worst.map((r) => `${r.object}/${r.program}`), programs: rows }, null, 1) + "\n");
console.log(`\nreport: ${out}`);
