// From a recorded kernel load to what test_loader would have seen. The recordings load every
// program at `level | 4` (BPF_LOG_STATS, for the statistics) with a buffer grown until the log
// fits, while test_loader loads at the test's own level into a fixed 2 MiB buffer.

import { type SpecResult, parseTestSpec, skipDeclTagPrefix } from "./annotations.js";
import type { CorpusProgram, OverlayRow } from "./corpus.js";
import { type LoadOutcome, TEST_LOADER_LOG_BUF_SZ } from "./judge.js";

const BPF_LOG_STATS = 4;

/**
 * Removes what BPF_LOG_STATS adds at the end of a log (kernel: print_verification_stats):
 * "verification time N usec", "stack depth ..." and 7.2's "insns processed ..." lines.
 * The closing "processed N insns ..." line is printed at every level and stays.
 */
export function stripStatsLines(log: string): string {
  const lines = log.split("\n");
  for (let i = lines.length - 2; i >= 0; i--) {
    if (!/^verification time \d+ usec$/.test(lines[i]!) || !lines[i + 1]!.startsWith("stack depth ")) continue;
    let k = i + 2;
    if (k < lines.length && lines[k]!.startsWith("insns processed ")) k++;
    return [...lines.slice(0, i), ...lines.slice(k)].join("\n");
  }
  return log;
}

const CAP_MARKER = /\n\[\.\.\. cap-logs: \d+ bytes omitted \.\.\.\]\n/;

export interface RecordedView extends LoadOutcome {
  readonly notes: readonly string[];
}

/** The load outcome and log test_loader would have had, from a recorded kernel load. */
export function testLoaderView(p: CorpusProgram, recordedLog: string): RecordedView {
  const level = p.testLoaderLogLevel;
  let loaded = p.kernel.loaded;
  let log = recordedLog;
  const notes: string[] = [];
  if (level === 0) {
    // No log requested: a success leaves the buffer empty, a failure is retried at level 1.
    log = loaded ? "" : stripStatsLines(log);
  } else if (!(level & BPF_LOG_STATS)) {
    log = stripStatsLines(log);
  }
  const logged = level !== 0 || !loaded;
  if (p.kernel.reached && logged && p.kernel.logTrueSize > TEST_LOADER_LOG_BUF_SZ) {
    // The kernel keeps the log's tail in a full buffer and fails the load with ENOSPC.
    notes.push(`log of ${p.kernel.logTrueSize} bytes exceeds test_loader's buffer: ENOSPC there`);
    loaded = false;
    const parts = log.split(CAP_MARKER);
    if (parts.length > 1) {
      notes.push("recorded log was capped: only its tail is judged");
      log = parts[parts.length - 1]!;
    }
    log = log.slice(-(TEST_LOADER_LOG_BUF_SZ - 1));
  }
  return { loaded, log, notes };
}

/**
 * The program's spec: its annotations, or for an unannotated program that a prog_test checks
 * itself, the expectations-overlay.tsv row turned into the equivalent tags.
 */
export function specForProgram(p: CorpusProgram, overlay?: OverlayRow): SpecResult {
  return parseTestSpec(p.program, withOverlay(p.annotations, overlay), { progType: p.progType });
}

/**
 * The tags a program is judged by: its own, or when it has no test_expect_* tags and an overlay
 * row exists (a prog_test that checks the program itself, with strstr), the row as tags.
 */
export function withOverlay(tags: readonly string[], overlay: OverlayRow | undefined): readonly string[] {
  const annotated = tags.some((t) => (skipDeclTagPrefix(t) ?? "").startsWith("test_expect"));
  if (!overlay || annotated) return tags;
  const out = [`comment:0:test_expect_${overlay.expect}`];
  if (overlay.msg) out.push(`comment:1:test_expect_msg=${overlay.msg}`);
  return out;
}

/**
 * The verifier's error in a failed load's log: the last line before the closing statistics
 * (the kernel stops at the first error and prints only the statistics after it). Lines that
 * only dump state after the error (`R1=... R10=fp0` style continuation lines) are not errors.
 */
export function firstErrorLine(log: string): string {
  const lines = stripStatsLines(log).split("\n");
  let end = lines.length;
  while (end > 0 && (lines[end - 1] === "" || /^processed \d+ insns \(limit \d+\)/.test(lines[end - 1]!))) end--;
  for (let i = end - 1; i >= 0; i--) {
    const l = lines[i]!;
    if (l === "" || /^\s/.test(l)) continue;
    return l;
  }
  return "";
}
