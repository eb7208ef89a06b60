// For tests: corpus selftest objects run through `bpfverify test --json` (with bpf_testmod's BTF),
// judged by their own __success/__failure/__msg annotations — the kernel's expectations.
import { join } from "node:path";
import { corpusDir, objectPath } from "../selftest/corpus.js";
import { run } from "./commands/test.js";
import { memoryIo } from "./io.js";

export interface JudgedRow {
  program: string;
  result: string;
  reason: string;
}

/** `objects`: corpus object names without ".bpf.o". */
export async function judgeSelftestObjects(objects: readonly string[]): Promise<JudgedRow[]> {
  const io = memoryIo();
  const mod = join(corpusDir(), "btf", "bpf_testmod.btf");
  await run(["--json", "--module-btf", mod, ...objects.map((o) => objectPath(`${o}.bpf.o`))], io);
  return io.stdout.trim().split("\n").map((l) => JSON.parse(l) as JudgedRow);
}
