// The judge against the kernel's own results: judging every recorded 7.2 load must give
// exactly the verdicts of judged-7.2.jsonl (test_loader's semantics as the oracle applied them,
// 2753 pass, 6 skip, 0 fail). The recorded data is the kernel's; nothing here comes from us.
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadCorpusLogs, loadCorpusPrograms, loadOverlay, programKey } from "./corpus.js";
import { isTest, judge, summaryLine, tally } from "./judge.js";
import { specForProgram, testLoaderView } from "./recorded.js";

test("judging the recorded 7.2 results reproduces judged-7.2.jsonl", () => {
  const programs = loadCorpusPrograms();
  const logs = loadCorpusLogs();
  const overlay = loadOverlay();
  const mismatches: string[] = [];
  const results: ("pass" | "fail" | "skip")[] = [];
  let tests = 0;
  for (const p of programs) {
    const key = programKey(p.object, p.program);
    const spec = specForProgram(p, overlay.get(key));
    if (!isTest(spec)) {
      assert.equal(p.judged, null, `${key}: auxiliary here but judged as a test`);
      continue;
    }
    tests++;
    assert.ok(p.judged, `${key}: a test here but not in judged-7.2.jsonl`);
    const log = logs.get(key);
    assert.ok(log, `${key}: no recorded log`);
    const view = testLoaderView(p, log.log);
    const j = judge(spec, view);
    results.push(j.result);
    if (j.result !== p.judged.verdict) mismatches.push(`${key}: ${j.result} (${j.reason}) vs ${p.judged.verdict} (${p.judged.reason})`);
    else if (j.result === "pass") assert.deepEqual(j.unchecked.length, p.judged.notChecked.length, `${key}: unchecked parts`);
  }
  assert.deepEqual(mismatches, []);
  assert.equal(tests, 2759);
  assert.equal(summaryLine(tally(results)), "2753 passed, 0 failed, 6 skipped");
});

// The corpus verdicts are all "pass": these show the judge also says "fail" where it must.
test("on the corpus, a flipped verdict or an emptied log fails the tests that depend on them", () => {
  const programs = loadCorpusPrograms();
  const logs = loadCorpusLogs();
  const overlay = loadOverlay();
  let flipped = 0;
  let emptied = 0;
  for (const p of programs) {
    const key = programKey(p.object, p.program);
    const spec = specForProgram(p, overlay.get(key));
    if (!isTest(spec) || p.judged?.verdict !== "pass" || !spec.ok) continue;
    const view = testLoaderView(p, logs.get(key)!.log);
    assert.equal(judge(spec, { loaded: !view.loaded, log: view.log }).result, "fail", `${key}: flipped verdict`);
    flipped++;
    if (spec.spec.priv.expectMsgs.some((m) => !m.negative)) {
      assert.equal(judge(spec, { loaded: view.loaded, log: "" }).result, "fail", `${key}: empty log`);
      emptied++;
    }
  }
  assert.equal(flipped, 2753);
  assert.ok(emptied > 1000, `${emptied}`);
});
