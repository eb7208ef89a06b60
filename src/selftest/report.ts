// What `bpfverify test` prints per test (issue 4 item 8), so the CLI, the conformance script and
// the ratchet agree on one format: a text line per test, or with --json one object per line,
// then the closing "N passed, N failed, N skipped".

import type { Judgement } from "./judge.js";

export interface TestLine {
  readonly file: string;
  readonly program: string;
  readonly description: string | null;
  readonly result: Judgement["result"];
  readonly reason: string;
  /** Expectations not checked (retval, xlated, jited...): never counted as passed. */
  readonly unchecked?: readonly string[];
}

export function testLine(file: string, program: string, description: string | undefined, j: Judgement): TestLine {
  const line: TestLine = { file, program, description: description ?? null, result: j.result, reason: j.reason };
  return j.unchecked.length ? { ...line, unchecked: j.unchecked } : line;
}

export function formatTestJson(t: TestLine): string {
  return JSON.stringify(t);
}

/** e.g. "PASS verifier_and.bpf.o/invalid_and_of_negative_number (unchecked: retval=0)". */
export function formatTestText(t: TestLine): string {
  const name = `${t.file.replace(/^.*\//, "")}/${t.program}${t.description ? ` "${t.description}"` : ""}`;
  const extra = t.result === "pass" ? (t.unchecked?.length ? ` (unchecked: ${t.unchecked.join(", ")})` : "") : `: ${t.reason}`;
  return `${t.result.toUpperCase()} ${name}${extra}`;
}
