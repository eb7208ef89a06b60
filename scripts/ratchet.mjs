#!/usr/bin/env node
// The conformance ratchet (scripts/ratchet.lib.ts explains it).
//   node scripts/ratchet.mjs check  [REPORT]  exit 1 if a listed test does not pass in REPORT
//   node scripts/ratchet.mjs update [REPORT] [--allow-regressions]
//                                            add REPORT's newly passing tests to the list;
//                                            refuses while listed tests fail, unless told to drop them
// REPORT: a JSON report of scripts/conformance.mjs (default dist/reports/conformance.json).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const libPath = join(root, "dist/scripts/ratchet.lib.js");
if (!existsSync(libPath)) {
  console.error("ratchet: dist/ is not built: run `npx tsc -p .` first");
  process.exit(2);
}
const { checkRatchet, formatList, parseList } = await import(libPath);

const args = process.argv.slice(2);
const cmd = args[0];
const allow = args.includes("--allow-regressions");
const reportPath = resolve(args.find((a, i) => i > 0 && !a.startsWith("--")) ?? join(root, "dist/reports/conformance.json"));
const listPath = join(root, "test/corpus/passing-tests.txt");
if (cmd !== "check" && cmd !== "update") {
  console.error("usage: node scripts/ratchet.mjs check|update [REPORT] [--allow-regressions]");
  process.exit(2);
}
if (!existsSync(reportPath)) {
  console.error(`ratchet: ${reportPath} missing: run \`npm run conformance\` first`);
  process.exit(2);
}
const report = JSON.parse(readFileSync(reportPath, "utf8"));
if (report.replayKernel) {
  console.error("ratchet: this report replays the recorded kernel results (--replay-kernel), not bpfverify's");
  process.exit(2);
}
const results = new Map();
for (const r of report.programs) {
  // tests a run did not get to (its time budget) are "not run", not regressions
  if (r.test && !(r.test.result === "missing" && r.test.reason.startsWith("not run:"))) results.set(`${r.object}/${r.program}`, r.test);
}

const list = parseList(existsSync(listPath) ? readFileSync(listPath, "utf8") : "");
if (list.errors.length) {
  console.error(`ratchet: ${listPath}:\n  ${list.errors.join("\n  ")}`);
  process.exit(1);
}
const c = checkRatchet(list.entries, results);
for (const r of c.regressions) console.log(`REGRESSED ${r.test}: ${r.result} (${r.reason})`);
if (c.notRun.length) console.log(`${c.notRun.length} listed tests were not part of this report (partial run)`);
console.log(`${list.entries.length} listed, ${c.regressions.length} regressed, ${c.newlyPassing.length} newly passing`);

if (cmd === "check") {
  if (c.newlyPassing.length) console.log("newly passing tests are not listed yet: node scripts/ratchet.mjs update");
  process.exit(c.regressions.length ? 1 : 0);
}
if (c.regressions.length && !allow) {
  console.error("ratchet: listed tests fail; fix them, or drop them on purpose with --allow-regressions");
  process.exit(1);
}
const regressed = new Set(c.regressions.map((r) => r.test));
const next = [...list.entries.filter((t) => !regressed.has(t)), ...c.newlyPassing];
writeFileSync(listPath, formatList(next));
console.log(`ratchet: ${listPath} now lists ${new Set(next).size} tests`);
