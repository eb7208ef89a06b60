// test_loader's flow (runObjectTests) over every corpus object, with a "verifier" that answers
// from the 7.2 kernel's recordings as the kernel would for the requested log level and buffer:
// it must reproduce judged-7.2.jsonl. Also checks which loads the flow asks for.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { objectBtf } from "./btf-tags.js";
import { type CorpusProgram, loadCorpusLogs, loadCorpusPrograms, loadOverlay, objectPath, programKey } from "./corpus.js";
import { summaryLine, tally } from "./judge.js";
import { stripStatsLines } from "./recorded.js";
import { type VerifyRequest, objectSpecs, runObjectTests } from "./run.js";

test("runObjectTests over the corpus with recorded kernel answers reproduces judged-7.2.jsonl", () => {
  const programs = loadCorpusPrograms();
  const logs = loadCorpusLogs();
  const overlay = loadOverlay();
  const byObject = new Map<string, CorpusProgram[]>();
  for (const p of programs) byObject.set(p.object, [...(byObject.get(p.object) ?? []), p]);
  const results: ("pass" | "fail" | "skip")[] = [];
  const mismatches: string[] = [];
  const requests: VerifyRequest[] = [];
  for (const [object, progs] of byObject) {
    const btf = objectBtf(readFileSync(objectPath(object)), object);
    const ov = new Map([...overlay].filter(([k]) => k.startsWith(`${object}/`)).map(([k, v]) => [k.slice(object.length + 1), v]));
    const specs = objectSpecs(btf, progs.map((p) => ({ name: p.program, progType: p.progType })), {}, ov);
    const lines = runObjectTests(`objs/${object}`, specs, (req) => {
      requests.push(req);
      const p = progs.find((q) => q.program === req.program)!;
      const log = logs.get(programKey(object, p.program))!.log;
      // the kernel: a log over the buffer is ENOSPC; without BPF_LOG_STATS no stats lines
      if (req.logLevel !== 0 && p.kernel.logTrueSize > req.logBufSize) return { loaded: false, log: log.slice(-(req.logBufSize - 1)) };
      if (req.logLevel === 0) return { loaded: p.kernel.loaded, log: "" };
      return { loaded: p.kernel.loaded, log: req.logLevel & 4 ? log : stripStatsLines(log) };
    });
    for (const l of lines) {
      results.push(l.result);
      const want = progs.find((q) => q.program === l.program)!.judged;
      if (l.result !== want?.verdict) mismatches.push(`${object}/${l.program}: ${l.result} (${l.reason}) vs ${want?.verdict}`);
    }
  }
  assert.deepEqual(mismatches, []);
  assert.equal(summaryLine(tally(results)), "2753 passed, 0 failed, 6 skipped");
  // failures without a log level are asked again at level 1; auxiliary programs go along
  assert.ok(requests.some((r) => r.logLevel === 1));
  assert.ok(requests.some((r) => r.auxiliary.length > 0));
  assert.ok(requests.every((r) => r.logBufSize === 2097152));
});
