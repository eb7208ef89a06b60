// test_loader's flow over one object, with the verifier as a callback, so `bpfverify test` only
// has to load programs and verify them (kernel selftests: process_subtest / run_subtest, PRIV):
// every program gets a spec from its decl tags; auxiliary programs are no tests but are loaded
// along with each test of their mode; each privileged test is skipped or loaded as test_loader
// would (its log level and flags, libbpf's level-1 retry after a failure without a log level)
// and judged.

import type { Btf } from "../btf/index.js";
import { type ParseOptions, type SpecResult, parseTestSpec } from "./annotations.js";
import { programDeclTags } from "./btf-tags.js";
import type { OverlayRow } from "./corpus.js";
import { type JudgeEnv, type LoadOutcome, TEST_LOADER_LOG_BUF_SZ, judge, loadPlan, skipReason } from "./judge.js";
import { withOverlay } from "./recorded.js";
import { type TestLine, testLine } from "./report.js";

export interface ObjectProgram {
  readonly name: string;
  /** libbpf's program type name (`sched_cls`...), for `__linear_size`. */
  readonly progType: string;
}

/** One BPF_PROG_LOAD as test_loader issues it (bpf_object__load with these programs enabled). */
export interface VerifyRequest {
  readonly program: string;
  /** Programs loaded along with it (`__auxiliary`), in object order. */
  readonly auxiliary: readonly string[];
  readonly logLevel: number;
  readonly progFlags: number;
  /** The verifier log buffer: a longer log fails the load with ENOSPC (kernel: bpf_vlog). */
  readonly logBufSize: number;
  /** `__btf_path`: the target BTF libbpf opens the object with (relative to the object's folder). */
  readonly btfCustomPath: string | undefined;
  /** `__btf_func_path`: BTF whose parameter names fix up the object's naked functions. */
  readonly btfCustomFuncPath: string | undefined;
}

/** The load result: `loaded` false also for ENOSPC, libbpf errors and rejections. */
export type VerifyFn = (req: VerifyRequest) => LoadOutcome;

export interface ProgramSpec {
  readonly program: string;
  readonly spec: SpecResult;
}

/**
 * Every program's spec, in object order. `overlay` (program name -> row of
 * expectations-overlay.tsv) gives expectations to programs a prog_test checks itself.
 */
export function objectSpecs(
  btf: Btf,
  programs: readonly ObjectProgram[],
  opts: ParseOptions = {},
  overlay: ReadonlyMap<string, OverlayRow> = new Map(),
): ProgramSpec[] {
  return programs.map((p) => {
    const own = programDeclTags(btf, p.name);
    const tags = own === undefined ? undefined : withOverlay(own, overlay.get(p.name));
    const spec: SpecResult =
      tags === undefined
        ? { ok: false, error: `failed to find FUNC BTF type for '${p.name}'` }
        : parseTestSpec(p.name, tags, { ...opts, progType: p.progType });
    return { program: p.name, spec };
  });
}

/**
 * Runs the privileged tests of one object. `file` is echoed in the result lines.
 * kernel selftests: process_subtest, run_subtest
 */
export function runObjectTests(file: string, specs: readonly ProgramSpec[], verify: VerifyFn, env: JudgeEnv = {}): TestLine[] {
  const auxiliary = specs.filter((s) => s.spec.ok && s.spec.spec.auxiliary && s.spec.spec.runPriv).map((s) => s.program);
  const lines: TestLine[] = [];
  for (const { program, spec } of specs) {
    if (spec.ok && spec.spec.auxiliary) continue;
    if (!spec.ok) {
      lines.push(testLine(file, program, undefined, judge(spec, undefined, env)));
      continue;
    }
    const s = spec.spec;
    if (skipReason(s, env) !== undefined) {
      lines.push(testLine(file, program, s.priv.description, judge(spec, undefined, env)));
      continue;
    }
    const plan = loadPlan(s);
    const req: VerifyRequest = {
      program,
      auxiliary: auxiliary.filter((a) => a !== program),
      logLevel: plan.logLevel,
      progFlags: plan.progFlags,
      logBufSize: TEST_LOADER_LOG_BUF_SZ,
      btfCustomPath: s.btfCustomPath ?? s.btfCustomFuncPath,
      btfCustomFuncPath: s.btfCustomFuncPath,
    };
    let outcome = verify(req);
    if (outcome.unsupported !== undefined) {
      lines.push(testLine(file, program, s.priv.description, {
        result: "fail", reason: `bpfverify: not modelled yet: ${outcome.unsupported}`, unchecked: [], msgs: undefined,
      }));
      continue;
    }
    // libbpf (bpf_object_load_prog): no log was asked for, so a failure is loaded again at
    // level 1 to get one; a success keeps test_loader's buffer empty.
    if (!outcome.loaded && plan.retryLogLevel !== undefined) {
      outcome = verify({ ...req, logLevel: plan.retryLogLevel });
      if (outcome.unsupported !== undefined) {
        lines.push(testLine(file, program, s.priv.description, {
          result: "fail", reason: `bpfverify: not modelled yet: ${outcome.unsupported}`, unchecked: [], msgs: undefined,
        }));
        continue;
      }
    }
    else if (plan.logLevel === 0) outcome = { loaded: outcome.loaded, log: "" };
    lines.push(testLine(file, program, s.priv.description, judge(spec, outcome, env)));
  }
  return lines;
}
