// `bpfverify test`: run the selftest annotations (__success, __failure,
// __msg...) found in the objects' BTF decl tags, judged as the kernel's
// tools/testing/selftests/bpf/test_loader.c judges them (privileged mode).
// The flow (specs, auxiliary programs, libbpf's level-1 retry) is
// src/selftest/run.ts; this command loads objects and verifies programs.
import { dirname, join } from "node:path";
import { readFileSync } from "node:fs";
import { loadObject, type LoadedObject, type LoadedProgram } from "../../loader/index.js";
import { verifyProgram, profileFor } from "../../api/verify-program.js";
import { formatTestJson, formatTestText, objectBtf, objectBtfFixedFromPath, objectSpecs, runObjectTests, summaryLine, tally, type LoadOutcome, type TestResult, type VerifyRequest } from "../../selftest/index.js";
import { InputError } from "../../util/errors.js";
import { loadCustomBtf, type Target } from "../target.js";
import { parseObjectCommand } from "../args.js";
import type { CliIo } from "../io.js";

const USAGE = `usage: bpfverify test [--btf PATH] [--module-btf PATH]... [--kconfig PATH] [--json] OBJ...

Run the selftest annotations of each object (comment:test_expect_* BTF decl tags), judged as
test_loader.c judges them in privileged mode. One line per test, then
"N passed, N failed, N skipped". __retval/__xlated/__jited parts are reported as unchecked.
  --btf, --module-btf, --kconfig   the target kernel, as for bpfverify verify
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
      o = loadObject(bytes, { targetBtf: target.vmlinux, moduleBtfs: target.modules, file, coreBtf, ...kconfigOf(target) });
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
  const args = parseObjectCommand("test", USAGE, argv, io, {});
  if (typeof args === "number") return args;
  const { target } = args;
  const results: TestResult[] = [];
  let rc = 0;
  for (const file of args.files) {
    let bytes: Uint8Array;
    let base: LoadedObject;
    let tagsBtf;
    try {
      bytes = readFileSync(file);
      base = loadObject(bytes, { targetBtf: target.vmlinux, moduleBtfs: target.modules, file, ...kconfigOf(target) });
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

/** The target's kernel config for .kconfig externs; without one, strong CONFIG_ externs read 0. */
function kconfigOf(target: Target): { kconfig: NonNullable<Target["kconfig"]> } | { kconfigMissing: "zero" } {
  return target.kconfig ? { kconfig: target.kconfig } : { kconfigMissing: "zero" };
}
