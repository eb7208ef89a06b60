import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { memoryIo } from "../io.js";
import { run, type VerifyJson } from "./verify.js";

function fixture(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++, dir = dirname(dir)) {
    const cand = join(dir, "test", "fixtures", "fixups", "fixups.bpf.o");
    if (existsSync(cand)) return cand;
  }
  throw new Error("test/fixtures/fixups not found");
}
const OBJ = fixture();

async function verifyJson(argv: string[]): Promise<VerifyJson[]> {
  const io = memoryIo();
  await run(["--json", ...argv, OBJ], io);
  assert.equal(io.stderr, "");
  return io.stdout.trim().split("\n").map((l) => JSON.parse(l) as VerifyJson);
}

test("verify loads with veristat's fix-ups by default: an freplace program gets its guessed type and a note", async () => {
  const [v] = await verifyJson(["--program", "new_get_skb_len"]);
  assert.equal(v!.progType, "sched_cls");
  assert.equal(v!.note, "freplace: loaded as guessed type sched_cls (ctx __sk_buff)");
  assert.equal(v!.error, "libbpf: prog 'new_get_skb_len': failed to find kernel BTF type ID of 'get_skb_len': -ESRCH");
  const [p] = await verifyJson(["--no-veristat-fixups", "--program", "new_get_skb_len"]);
  assert.equal(p!.progType, "ext");
  assert.equal(p!.note, undefined);
  assert.equal(p!.error, "libbpf: prog 'new_get_skb_len': attach program FD is not set");
  const [tc] = await verifyJson(["--program", "plain_tc"]);
  assert.deepEqual([tc!.verdict, "note" in tc!], ["success", false]);
});

test("verify's usage names --no-veristat-fixups", async () => {
  const io = memoryIo();
  assert.equal(await run(["--help"], io), 0);
  assert.match(io.stdout, /--no-veristat-fixups/);
});
