// The ratchet in npm test: every test listed in test/corpus/passing-tests.txt must still pass
// under `bpfverify test` (run in-process). While the verifier does not exist the list is empty and
// only its format and the ratchet's own logic are checked.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { main } from "../src/cli/main.js";
import { memoryIo } from "../src/cli/io.js";
import { corpusDir, judge, loadCorpusPrograms, loadOverlay, objectPath, programKey, specForProgram } from "../src/selftest/index.js";
import { checkRatchet, formatList, parseList, type RunResult } from "./ratchet.lib.js";

const listText = readFileSync(join(corpusDir(), "passing-tests.txt"), "utf8");

test("passing-tests.txt is well-formed and names only tests the 7.2 kernel passes", () => {
  const list = parseList(listText);
  assert.deepEqual(list.errors, []);
  assert.equal(formatList(list.entries), listText, "not in canonical form: regenerate with scripts/ratchet.mjs update");
  const kernelPasses = new Set(
    loadCorpusPrograms()
      .filter((p) => p.judged?.verdict === "pass")
      .map((p) => `${p.object}/${p.program}`),
  );
  assert.equal(kernelPasses.size, 2753);
  assert.deepEqual(list.entries.filter((t) => !kernelPasses.has(t)), []);
});

test("ratchet logic: regressions, newly passing, partial runs; the list format rejects junk", () => {
  const r = new Map<string, { result: RunResult; reason: string }>([
    ["a.bpf.o/x", { result: "pass", reason: "" }],
    ["a.bpf.o/y", { result: "fail", reason: "expect_msg" }],
    ["b.bpf.o/z", { result: "pass", reason: "" }],
  ]);
  const c = checkRatchet(["a.bpf.o/x", "a.bpf.o/y", "c.bpf.o/w"], r);
  assert.deepEqual(c.regressions, [{ test: "a.bpf.o/y", result: "fail", reason: "expect_msg" }]);
  assert.deepEqual(c.newlyPassing, ["b.bpf.o/z"]);
  assert.deepEqual(c.notRun, ["c.bpf.o/w"]);
  assert.equal(parseList("b.bpf.o/x\na.bpf.o/x\n").errors.length, 1);
  assert.equal(parseList("a.bpf.o/x\na.bpf.o/x\n").errors.length, 1);
  assert.equal(parseList("a.o x\n").errors.length, 1);
});

test("every listed test still passes under bpfverify test", { timeout: 600_000 }, async () => {
  const listed = parseList(listText).entries;
  if (listed.length === 0) return; // nothing passes yet: nothing can regress
  const byObject = new Map<string, string[]>();
  for (const t of listed) {
    const [obj, prog] = t.split("/") as [string, string];
    byObject.set(obj, [...(byObject.get(obj) ?? []), prog]);
  }
  const btfDir = join(corpusDir(), "btf");
  const modules = ["bpf_testmod", "nf_conntrack", "nf_defrag_ipv4", "nf_defrag_ipv6", "nf_nat"].flatMap((m) => ["--module-btf", join(btfDir, `${m}.btf`)]);
  // Programs whose expectations are not in the object (a prog_test checks them itself:
  // expectations-overlay.tsv; or a skeleton test loads every program of an unannotated object)
  // are judged from `bpfverify verify`, as scripts/conformance.mjs judges them.
  const overlay = loadOverlay();
  const corpus = new Map(loadCorpusPrograms().map((p) => [programKey(p.object, p.program), p]));
  const regressions: string[] = [];
  for (const [obj, progs] of byObject) {
    let io = memoryIo();
    await main(["test", "--json", ...modules, objectPath(obj)], io);
    if (!io.stdout.includes("{") && /module-btf/.test(io.stderr)) {
      io = memoryIo();
      await main(["test", "--json", objectPath(obj)], io);
    }
    const got = new Map<string, { result: string; reason?: string }>();
    for (const line of io.stdout.split("\n")) {
      if (!line.startsWith("{")) continue;
      const j = JSON.parse(line) as { program: string; result: string; reason?: string };
      got.set(j.program, j);
    }
    const fromVerify = progs.filter((p) => {
      const cp = corpus.get(programKey(obj, p));
      return cp !== undefined && (overlay.has(programKey(obj, p)) || (!got.has(p) && cp.runner === "skeleton"));
    });
    if (fromVerify.length > 0) {
      const vio = memoryIo();
      await main(["verify", "--json", "--log-level", "1", "--no-veristat-fixups", ...modules, objectPath(obj)], vio);
      for (const line of vio.stdout.split("\n")) {
        if (!line.startsWith("{")) continue;
        const v = JSON.parse(line) as { program: string; verdict: string; log: string };
        if (!fromVerify.includes(v.program)) continue;
        const cp = corpus.get(programKey(obj, v.program))!;
        const spec = specForProgram(cp, overlay.get(programKey(obj, v.program)));
        const j = judge(spec, { loaded: v.verdict === "success", log: v.verdict === "success" ? "" : v.log });
        got.set(v.program, { result: j.result, reason: `${j.reason} (judged from verify)` });
      }
    }
    for (const p of progs) {
      const r = got.get(p);
      if (r?.result !== "pass") regressions.push(`${obj}/${p}: ${r ? `${r.result} (${r.reason ?? ""})` : `no result: ${io.stderr.trim().slice(0, 200)}`}`);
    }
  }
  assert.deepEqual(regressions, [], "listed tests that stopped passing (fix them, or drop them on purpose: scripts/ratchet.mjs update --allow-regressions)");
});
