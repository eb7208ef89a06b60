// `bpfverify test`: run the selftest annotations (__success, __failure,
// __msg...) found in the objects' BTF decl tags, judged as the kernel's
// tools/testing/selftests/bpf/test_loader.c judges them (privileged mode).
import { parseArgs } from "node:util";
import { dirname, join } from "node:path";
import { readFileSync } from "node:fs";
import { loadObject, type LoadedProgram } from "../../loader/index.js";
import { verifyProgram } from "../../api/verify-program.js";
import { isTest, judge, loadPlan, objectBtf, parseTestSpec, programDeclTags, sortDeclTags, summaryLine, tally, type SpecResult, type TestResult } from "../../selftest/index.js";
import { InputError } from "../../util/errors.js";
import { loadCustomBtf, loadTarget } from "../target.js";
import type { CliIo } from "../io.js";

const USAGE = `usage: bpfverify test [--btf PATH] [--module-btf PATH]... [--json] OBJ...

Run the selftest annotations of each object (comment:test_expect_* BTF decl tags), judged as
test_loader.c judges them in privileged mode. One line per test, then
"N passed, N failed, N skipped". __retval/__xlated/__jited parts are reported as unchecked.
  --json   one object per test and line: {"file","program","description","result","reason"}
`;

export interface TestJson {
  file: string;
  program: string;
  description: string | null;
  result: TestResult;
  reason: string;
  unchecked?: string[];
}

/** What test_loader sees from one load: libbpf retries a level-0 failure at level 1. */
function loadOutcome(p: LoadedProgram, spec: Extract<SpecResult, { ok: true }>["spec"]): { loaded: boolean; log: string } | { unsupported: string } {
  const plan = loadPlan(spec);
  let r = verifyProgram(p, { logLevel: plan.logLevel, progFlags: plan.progFlags, logSize: plan.logBufSize });
  if (r.verdict === "unsupported") return { unsupported: r.unsupported ?? "?" };
  if (r.verdict === "failure" && plan.retryLogLevel !== undefined) {
    r = verifyProgram(p, { logLevel: plan.retryLogLevel, progFlags: plan.progFlags, logSize: plan.logBufSize });
    if (r.verdict === "unsupported") return { unsupported: r.unsupported ?? "?" };
  }
  const truncated = plan.logLevel !== 0 && r.logTrueSize > plan.logBufSize;
  return { loaded: r.verdict === "success" && !truncated, log: r.log };
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        btf: { type: "string" },
        "module-btf": { type: "string", multiple: true },
        json: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    io.err(`bpfverify test: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    io.out(USAGE);
    return 0;
  }
  if (args.positionals.length === 0) {
    io.err(USAGE);
    return 2;
  }
  let target;
  try {
    target = loadTarget(args.values.btf, args.values["module-btf"] ?? []);
  } catch (e) {
    io.err(`bpfverify test: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  const results: TestResult[] = [];
  const emit = (t: TestJson) => {
    results.push(t.result);
    if (args.values.json) io.out(JSON.stringify(t) + "\n");
    else io.out(`${t.result.toUpperCase().padEnd(4)} ${t.file}/${t.program}${t.description ? ` (${t.description})` : ""}: ${t.reason}${t.unchecked?.length ? ` [unchecked: ${t.unchecked.join(", ")}]` : ""}\n`);
  };
  let rc = 0;
  for (const file of args.positionals) {
    let bytes: Uint8Array;
    let tagsBtf;
    try {
      bytes = readFileSync(file);
      tagsBtf = objectBtf(bytes, file);
    } catch (e) {
      io.err(`bpfverify test: ${e instanceof Error ? e.message : String(e)}\n`);
      rc = 1;
      continue;
    }
    const specs = new Map<string, SpecResult>();
    let base;
    try {
      base = loadObject(bytes, { targetBtf: target.vmlinux, moduleBtfs: target.modules, file });
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      io.err(`bpfverify test: ${e.message}\n`);
      rc = 1;
      continue;
    }
    for (const p of base.programs) {
      const tags = programDeclTags(tagsBtf, p.name);
      if (!tags || tags.length === 0) continue;
      specs.set(p.name, parseTestSpec(p.name, sortDeclTags(tags), { progType: p.progTypeName }));
    }
    // Objects whose tests name a custom BTF (__btf_path) are loaded again against it for CO-RE.
    const reloaded = new Map<string, LoadedProgram>();
    for (const [name, s] of specs) {
      if (!s.ok || !s.spec.btfCustomPath || reloaded.has(name)) continue;
      try {
        const coreBtf = loadCustomBtf(join(dirname(file), s.spec.btfCustomPath));
        const obj = loadObject(bytes, { targetBtf: target.vmlinux, moduleBtfs: target.modules, file, coreBtf });
        const p = obj.programs.find((q) => q.name === name);
        if (p) reloaded.set(name, p);
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        emit({ file, program: name, description: null, result: "fail", reason: `cannot load with custom BTF: ${e.message}` });
        specs.delete(name);
      }
    }
    for (const p of base.programs) {
      const s = specs.get(p.name);
      if (!s || !isTest(s)) continue;
      const prog = reloaded.get(p.name) ?? p;
      const description = s.ok ? s.spec.priv.description ?? null : null;
      let outcome: ReturnType<typeof loadOutcome> | undefined;
      try {
        const pre = judge(s, undefined, {});
        if (pre.result === "skip" || pre.result === "fail") {
          emit({ file, program: p.name, description, result: pre.result, reason: pre.reason });
          continue;
        }
      } catch {
        // runs: judge needs an outcome
      }
      outcome = loadOutcome(prog, (s as Extract<SpecResult, { ok: true }>).spec);
      if ("unsupported" in outcome) {
        emit({ file, program: p.name, description, result: "fail", reason: `bpfverify: not modelled yet: ${outcome.unsupported}` });
        continue;
      }
      const j = judge(s, outcome, {});
      emit({ file, program: p.name, description, result: j.result, reason: j.reason, ...(j.unchecked.length ? { unchecked: [...j.unchecked] } : {}) });
    }
  }
  const t = tally(results);
  if (!args.values.json) io.out(summaryLine(t) + "\n");
  if (t.failed > 0) rc = rc || 1;
  return rc;
}
