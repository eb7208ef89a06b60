import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { memoryIo } from "../io.js";
import { run } from "./insns.js";

function fixtureDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++, dir = dirname(dir)) {
    const cand = join(dir, "test", "fixtures", "loader");
    try {
      readFileSync(join(cand, "expected.jsonl"));
      return cand;
    } catch {
      // walk up from dist/src/cli/commands
    }
  }
  throw new Error("test/fixtures/loader not found");
}
const DIR = fixtureDir();

test("insns --json prints one line per program with libbpf's insns and maps", async () => {
  const io = memoryIo();
  const obj = join(DIR, "iters_testmod_seq.bpf.o");
  const rc = await run(["--json", "--module-btf", join(DIR, "bpf_testmod.btf"), obj], io);
  assert.equal(rc, 0, io.stderr);
  const lines = io.stdout.trim().split("\n").map((l) => JSON.parse(l));
  const expected = readFileSync(join(DIR, "expected.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((e) => e.object === "iters_testmod_seq.bpf.o");
  assert.equal(lines.length, expected.length);
  for (const e of expected) {
    const got = lines.find((l) => l.program === e.program);
    assert.deepEqual(Object.keys(got), ["file", "program", "section", "progType", "expectedAttachType", "attachTo", "insns", "maps"]);
    assert.equal(got.file, obj);
    assert.equal(got.section, e.section);
    assert.equal(got.progType, e.progType);
    assert.equal(got.expectedAttachType, e.expectedAttachType);
    assert.equal(got.insns, e.insns);
    assert.deepEqual(got.maps, e.maps);
  }
});

test("insns prints text, and a clear error for bad input", async () => {
  const io = memoryIo();
  assert.equal(await run([join(DIR, "test_global_func10.bpf.o")], io), 0, io.stderr);
  assert.match(io.stdout, /program \w+ \(section \S+, \w+\/\w+/);
  const bad = join(mkdtempSync(join(tmpdir(), "bpfverify-")), "bad.o");
  writeFileSync(bad, readFileSync(join(DIR, "test_global_func10.bpf.o")).subarray(0, 100));
  const io2 = memoryIo();
  assert.equal(await run([bad], io2), 1);
  assert.match(io2.stderr, /^bpfverify insns: .*bad\.o, offset \d+ \(0x[0-9a-f]+\): /);
  assert.doesNotMatch(io2.stderr, /\n\s+at /); // no stack trace
  const io3 = memoryIo();
  assert.equal(await run([], io3), 2);
  assert.match(io3.stderr, /^usage: bpfverify insns/);
});

test("--core-btf resolves CO-RE against another BTF (libbpf's btf_custom_path)", async () => {
  // bpf_testmod's split BTF is not standalone: refused with the file named, not a crash.
  const io = memoryIo();
  const rc = await run(["--json", "--core-btf", join(DIR, "bpf_testmod.btf"), join(DIR, "test_wakeup_source.bpf.o")], io);
  assert.equal(rc, 1);
  assert.match(io.stderr, /bpf_testmod\.btf/);
});

test("insns loads with veristat's fix-ups unless --no-veristat-fixups; a fix-up's note is printed", async () => {
  const obj = join(DIR, "..", "fixups", "fixups.bpf.o");
  const lines = async (argv: string[]) => {
    const io = memoryIo();
    assert.equal(await run(["--json", ...argv, obj], io), 0, io.stderr);
    return io.stdout.trim().split("\n").map((l) => JSON.parse(l) as { program: string; progType: string; maps: { name: string; maxEntries: number }[]; note?: string });
  };
  const veristat = await lines([]);
  const plain = await lines(["--no-veristat-fixups"]);
  const events = (ls: typeof veristat) => ls[0]!.maps.find((m) => m.name === "events")!.maxEntries;
  assert.equal(events(veristat), 1);
  assert.equal(events(plain), 2); // libbpf: one slot per possible CPU of the corpus machine
  const skb = (ls: typeof veristat) => ls.find((l) => l.program === "new_get_skb_len")!;
  assert.deepEqual([skb(veristat).progType, skb(veristat).note], ["sched_cls", "freplace: loaded as guessed type sched_cls (ctx __sk_buff)"]);
  assert.deepEqual([skb(plain).progType, "note" in skb(plain)], ["ext", false]);
  const io = memoryIo();
  assert.equal(await run(["--program", "new_own_ctx", obj], io), 0, io.stderr);
  assert.match(io.stdout, /\n {2}note: freplace: cannot guess the target program type from ctx 'my_ctx'\n/);
  const help = memoryIo();
  assert.equal(await run(["--help"], help), 0);
  assert.match(help.stdout, /--no-veristat-fixups/);
});
