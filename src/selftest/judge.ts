// The verdict test_loader.c gives a selftest program in privileged mode, from the program's
// spec and what the verifier did with it (run_subtest). Only the load verdict and the verifier
// log are judged; parts that need the program run or its translated/JITed image are listed as
// unchecked and never count as passed.

import type { Arch, SpecResult, TestSpec } from "./annotations.js";
import { type MsgCheck, validateMsgs } from "./msgs.js";

/** What loading the program gave, as test_loader sees it. */
export interface LoadOutcome {
  /** bpf_object__load() succeeded. */
  readonly loaded: boolean;
  /**
   * The log in test_loader's buffer: loaded at the spec's log level (see loadPlan); for level 0
   * it is empty after a successful load and the level-1 log of libbpf's retry after a failure.
   */
  readonly log: string;
  /**
   * bpfverify could not decide the load: it needs a rule not modelled yet (named here). The
   * test is reported as failed with that reason, never judged on a guessed verdict.
   */
  readonly unsupported?: string;
}

export interface JudgeEnv {
  /** The architecture test_loader runs on (default X86_64, as the recorded runs). */
  readonly arch?: Arch;
  /** /proc/sys/net/core/bpf_jit_enable (default true, as the recorded runs). */
  readonly jitEnabled?: boolean;
}

export type TestResult = "pass" | "fail" | "skip";

export interface Judgement {
  readonly result: TestResult;
  readonly reason: string;
  /** Expectations test_loader would check that a verdict-and-log judge cannot (retval, xlated...). */
  readonly unchecked: readonly string[];
  readonly msgs: MsgCheck | undefined;
}

/** test_loader's log buffer: a longer log makes BPF_PROG_LOAD fail with ENOSPC. */
export const TEST_LOADER_LOG_BUF_SZ = 2097152;

/** How test_loader loads the program: the BPF_PROG_LOAD log level, flags and buffer. */
export interface LoadPlan {
  readonly logLevel: number;
  /** libbpf retries a failed load at this level when logLevel is 0 (bpf_object_load_prog). */
  readonly retryLogLevel: number | undefined;
  readonly progFlags: number;
  readonly logBufSize: number;
}

/** kernel selftests: prepare_case (test_progs without -v: no minimum log level). */
export function loadPlan(spec: TestSpec): LoadPlan {
  return {
    logLevel: spec.logLevel,
    retryLogLevel: spec.logLevel === 0 ? 1 : undefined,
    progFlags: spec.progFlags,
    logBufSize: TEST_LOADER_LOG_BUF_SZ,
  };
}

/** Whether test_loader runs the program as a test of its own (auxiliary programs are not). */
export function isTest(spec: SpecResult): boolean {
  return !spec.ok || !spec.spec.auxiliary;
}

function unchecked(spec: TestSpec): string[] {
  const p = spec.priv;
  const out: string[] = [];
  // kernel selftests: should_do_test_run — a program expected to fail is never run.
  const runs = p.execute && !p.expectFailure;
  if (runs) out.push(`retval=${p.retval}`);
  if (p.expectXlated.length) out.push(`xlated (${p.expectXlated.length} patterns)`);
  if (p.jited.length) out.push(`jited (${p.jited.length} patterns)`);
  if (runs && p.stderr.length) out.push(`stderr (${p.stderr.length} patterns)`);
  if (runs && p.stdout.length) out.push(`stdout (${p.stdout.length} patterns)`);
  return out;
}

/**
 * Why test_loader would skip the privileged run, or undefined when it runs it.
 * kernel selftests: run_subtest's arch / load-mode checks; PRIV only.
 */
export function skipReason(spec: TestSpec, env: JudgeEnv = {}): string | undefined {
  const arch = env.arch ?? "X86_64";
  const jit = env.jitEnabled ?? true;
  if (!spec.runPriv) return "unprivileged-only test (PRIV mode judged only)";
  if (spec.arches.length > 0 && !spec.arches.includes(arch)) return `__arch_${spec.arches.join("/")}: not ${arch}`;
  if (spec.loadMode === "jited" && !jit) return "__load_if_JITed and the JIT is off";
  if (spec.loadMode === "no_jited" && jit) return "__load_if_no_JITed and the JIT is on";
  return undefined;
}

/** The privileged-mode verdict. kernel selftests: run_subtest */
export function judge(specResult: SpecResult, outcome: LoadOutcome | undefined, env: JudgeEnv = {}): Judgement {
  if (!specResult.ok) {
    return { result: "fail", reason: `test spec parse error: ${specResult.error}`, unchecked: [], msgs: undefined };
  }
  const spec = specResult.spec;
  const skip = skipReason(spec, env);
  if (skip !== undefined) return { result: "skip", reason: skip, unchecked: [], msgs: undefined };
  if (outcome === undefined) throw new TypeError(`judge: ${spec.progName} runs but no load outcome was given`);
  const notChecked = unchecked(spec);
  const p = spec.priv;
  if (p.expectFailure && outcome.loaded) {
    return { result: "fail", reason: "unexpected_load_success", unchecked: notChecked, msgs: undefined };
  }
  if (!p.expectFailure && !outcome.loaded) {
    return { result: "fail", reason: "unexpected_load_failure", unchecked: notChecked, msgs: undefined };
  }
  const msgs = validateMsgs(outcome.log, p.expectMsgs);
  if (!msgs.ok) return { result: "fail", reason: `expect_msg: ${msgs.failure}`, unchecked: notChecked, msgs };
  const n = p.expectMsgs.length;
  const how = `load ${p.expectFailure ? "failed" : "succeeded"} as expected`;
  return {
    result: "pass",
    reason: n ? `${how}, ${n} message pattern(s) matched` : how,
    unchecked: notChecked,
    msgs,
  };
}

export interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

export function tally(results: Iterable<TestResult>): Tally {
  const t: Tally = { passed: 0, failed: 0, skipped: 0 };
  for (const r of results) {
    if (r === "pass") t.passed++;
    else if (r === "fail") t.failed++;
    else t.skipped++;
  }
  return t;
}

/** The closing line of `bpfverify test`. */
export function summaryLine(t: Tally): string {
  return `${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`;
}
