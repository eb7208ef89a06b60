// The conformance and bench scripts, end to end on one set with --replay-kernel (the recorded
// kernel answers in place of bpfverify): they must report the kernel's own figures, i.e. the
// per-set pass counts sets.json states for 7.2 and full agreement with itself.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadSets } from "../src/selftest/index.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

function run(script: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, "scripts", script), ...args], { encoding: "utf8", timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("conformance --replay-kernel on the seed set reports the kernel's figures", () => {
  const dir = mkdtempSync(join(tmpdir(), "bpfverify-conf-"));
  try {
    const out = join(dir, "c.json");
    const r = run("conformance.mjs", ["--replay-kernel", "--set", "seed", "--out", out]);
    assert.equal(r.status, 0, r.stderr);
    const rep = JSON.parse(readFileSync(out, "utf8")) as { total: Record<string, number>; replayKernel: boolean };
    const want = (loadSets() as unknown as { tests_per_set_on_7_2: Record<string, number> }).tests_per_set_on_7_2["seed"];
    assert.equal(rep.replayKernel, true);
    assert.equal(rep.total["passed"], want);
    assert.equal(rep.total["verdictAgree"], rep.total["compared"]);
    assert.equal(rep.total["identicalFirstError"], rep.total["bothRejected"]);
    assert.match(r.stdout, new RegExp(`^seed +${rep.total["tests"]} +${want} `, "m"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bench --replay-kernel: ratios of 1 where 6.18 and 7.2 agree", () => {
  const dir = mkdtempSync(join(tmpdir(), "bpfverify-bench-"));
  try {
    const out = join(dir, "b.json");
    const r = run("bench.mjs", ["--replay-kernel", "--set", "seed", "--out", out]);
    assert.equal(r.status, 0, r.stderr);
    const rep = JSON.parse(readFileSync(out, "utf8")) as { summary: { timed: number; totalRatio: number; measured: number; identicalInsnsProcessed: number } };
    assert.ok(rep.summary.timed > 0);
    assert.equal(rep.summary.totalRatio, 1);
    assert.equal(rep.summary.identicalInsnsProcessed, rep.summary.measured);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
