// `bpfverify test`: run the selftest annotations (__success, __failure,
// __msg...) found in the objects' BTF decl tags, judged as the kernel's
// tools/testing/selftests/bpf/test_loader.c judges them (privileged mode).
// The flow (specs, auxiliary programs, libbpf's level-1 retry) is
// src/selftest/run.ts; this command loads objects and verifies programs.
import { parseArgs } from "node:util";
import { dirname, join } from "node:path";
import { readFileSync } from "node:fs";
import { loadObject, type LoadedObject, type LoadedProgram } from "../../loader/index.js";
import { verifyProgram, profileFor } from "../../api/verify-program.js";
import { formatTestJson, formatTestText, objectBtf, objectBtfFixedFromPath, objectSpecs, runObjectTests, summaryLine, tally, type LoadOutcome, type TestResult, type VerifyRequest } from "../../selftest/index.js";
import { InputError } from "../../util/errors.js";
import { loadCustomBtf, loadTarget, type Target } from "../target.js";
import type { CliIo } from "../io.js";

const USAGE = `usage: bpfverify test [--btf PATH] [--module-btf PATH]... [--json] OBJ...

Run the selftest annotations of each object (comment:test_expect_* BTF decl tags), judged as
test_loader.c judges them in privileged mode. One line per test, then
"N passed, N failed, N skipped". __retval/__xlated/__jited parts are reported as unchecked.
  --json   one object per test and line: {"file","program","description","result","reason"}
`;

/** One BPF_PROG_LOAD of a test program (with its auxiliary programs), as test_loader issues it. */
function verifier(file: string, bytes: Uint8Array, base: LoadedObject, target: Target) {
  const custom = new Map<string, LoadedObject>();
  const profile = profileFor(target.vmlinux, target.modules);
  const objectFor = (btfPath: string | undefined, funcPath: string | undefined): LoadedObject => {
    if (!btfPath && !funcPath) return base;
    const key = `${btfPath ?? ""}\0${funcPath ?? ""}`;
    let o = custom.get(key);
    if (!o) {
      const coreBtf = btfPath ? loadCustomBtf(join(dirname(file), btfPath)) : undefined;
      o = loadObject(bytes, { targetBtf: target.vmlinux, moduleBtfs: target.modules, file, coreBtf });
      if (funcPath && o.btf) {
        // test_loader names the naked functions' parameters before the load (fixup_btf_from_path)
        const fixed = objectBtfFixedFromPath(bytes, o.btf, loadCustomBtf(join(dirname(file), funcPath)), file);
        o = { ...o, btf: fixed, programs: o.programs.map((p) => ({ ...p, btf: fixed })) };
      }
      custom.set(key, o);
    }
    return o;
  };
  return (req: VerifyRequest): LoadOutcome => {
    let obj: LoadedObject;
    try {
      obj = objectFor(req.btfCustomPath, req.btfCustomFuncPath);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      return { loaded: false, log: "" };
    }
    const find = (name: string): LoadedProgram | undefined => obj.programs.find((p) => p.name === name);
    const prog = find(req.program);
    if (!prog) return { loaded: false, log: "" };
    const opts = { logLevel: req.logLevel, progFlags: req.progFlags, logSize: req.logBufSize, profile };
    const r = verifyProgram(prog, opts);
    if (r.verdict === "unsupported") return { loaded: false, log: r.log, unsupported: r.unsupported ?? "?" };
    // libbpf loads the auxiliary programs in the same bpf_object__load: one failing fails the load.
    let auxOk = true;
    for (const a of req.auxiliary) {
      const ap = find(a);
      if (!ap) continue;
      const ar = verifyProgram(ap, { ...opts, logLevel: 0 });
      if (ar.verdict === "unsupported") return { loaded: false, log: r.log, unsupported: `${ar.unsupported} (auxiliary program ${a})` };
      if (ar.verdict !== "success") auxOk = false;
    }
    const truncated = req.logLevel !== 0 && r.logTrueSize > req.logBufSize;
    return { loaded: r.verdict === "success" && !truncated && auxOk, log: r.log };
  };
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
  let target: Target;
  try {
    target = loadTarget(args.values.btf, args.values["module-btf"] ?? []);
  } catch (e) {
    io.err(`bpfverify test: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  const results: TestResult[] = [];
  let rc = 0;
  for (const file of args.positionals) {
    let bytes: Uint8Array;
    let base: LoadedObject;
    let tagsBtf;
    try {
      bytes = readFileSync(file);
      base = loadObject(bytes, { targetBtf: target.vmlinux, moduleBtfs: target.modules, file });
      tagsBtf = objectBtf(bytes, file);
    } catch (e) {
      if (!(e instanceof InputError) && !(e instanceof Error && "code" in e)) throw e;
      io.err(`bpfverify test: ${e instanceof Error ? e.message : String(e)}\n`);
      rc = 1;
      continue;
    }
    const specs = objectSpecs(tagsBtf, base.programs.map((p) => ({ name: p.name, progType: p.progTypeName })));
    for (const line of runObjectTests(file, specs, verifier(file, bytes, base, target))) {
      results.push(line.result);
      io.out((args.values.json ? formatTestJson(line) : formatTestText(line)) + "\n");
    }
  }
  const t = tally(results);
  if (!args.values.json) io.out(summaryLine(t) + "\n");
  if (t.failed > 0) rc = rc || 1;
  return rc;
}
