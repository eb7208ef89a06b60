// The conformance ratchet: test/corpus/passing-tests.txt lists the selftests bpfverify passes
// ("object/program", sorted, one per line, '#' comments). npm test re-runs them and fails when one
// stops passing; `node scripts/ratchet.mjs update` adds the ones a conformance run newly passes.

export const LIST_HEADER = [
  "# Selftests that bpfverify passes (test_loader's PRIV verdict), one object/program per line, sorted.",
  "# npm test (scripts/ratchet.test.ts) fails when one of them stops passing.",
  "# Add newly passing ones: npm run conformance && node scripts/ratchet.mjs update",
];

export interface ParsedList {
  readonly entries: readonly string[];
  readonly errors: readonly string[];
}

/** Parses the list, reporting malformed, duplicate and unsorted lines. */
export function parseList(text: string): ParsedList {
  const entries: string[] = [];
  const errors: string[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trimEnd();
    if (line === "" || line.startsWith("#")) return;
    if (!/^[A-Za-z0-9_.-]+\.bpf\.o\/[A-Za-z0-9_.]+$/.test(line)) {
      errors.push(`line ${i + 1}: not "object.bpf.o/program": '${line}'`);
      return;
    }
    const prev = entries[entries.length - 1];
    if (prev !== undefined && prev >= line) errors.push(`line ${i + 1}: '${line}' ${prev === line ? "duplicated" : "out of order"}`);
    entries.push(line);
  });
  return { entries, errors };
}

export function formatList(entries: Iterable<string>): string {
  const sorted = [...new Set(entries)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return [...LIST_HEADER, ...sorted].join("\n") + "\n";
}

export type RunResult = "pass" | "fail" | "skip" | "missing";

export interface RatchetCheck {
  /** Listed, run, and no longer passing. */
  readonly regressions: readonly { readonly test: string; readonly result: RunResult; readonly reason: string }[];
  /** Passing but not listed yet. */
  readonly newlyPassing: readonly string[];
  /** Listed but not part of this run (a partial run). */
  readonly notRun: readonly string[];
}

/** Compares the list with one run's results (test -> result). */
export function checkRatchet(
  listed: readonly string[],
  results: ReadonlyMap<string, { readonly result: RunResult; readonly reason: string }>,
): RatchetCheck {
  const set = new Set(listed);
  const regressions = [];
  const notRun = [];
  for (const t of listed) {
    const r = results.get(t);
    if (!r) notRun.push(t);
    else if (r.result !== "pass") regressions.push({ test: t, result: r.result, reason: r.reason });
  }
  const newlyPassing = [...results].filter(([t, r]) => r.result === "pass" && !set.has(t)).map(([t]) => t).sort();
  return { regressions, newlyPassing, notRun };
}
