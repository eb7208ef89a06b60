// `bpfverify verify`: verify each program as the Linux 7.2 verifier would,
// printed as a veristat-like table or as JSON lines.
import { loadObject, type LoadedProgram } from "../../loader/index.js";
import { verifyProgram, profileFor } from "../../api/verify-program.js";
import type { Profile } from "../../kernel/profile.js";
import { firstErrorLine } from "../../selftest/recorded.js";
import { InputError } from "../../util/errors.js";
import { parseObjectCommand } from "../args.js";
import { loadCustomBtf } from "../target.js";
import { objectBtfFixedFromPath } from "../../selftest/index.js";
import { readFileSync } from "node:fs";
import type { CliIo } from "../io.js";

const USAGE = `usage: bpfverify verify [--btf PATH] [--module-btf PATH]... [--kconfig PATH] [--log-level N] [--prog-flags N]
                       [--program NAME] [--core-btf PATH] [--btf-func-path PATH]
                       [--no-veristat-fixups] [--json] OBJ...

Verify every program of each object as the Linux 7.2 verifier does (privileged load), each
program loaded alone with veristat's fix-ups: maps with max_entries 0 get 1 (local storage
aside), freplace programs load as the program type their context argument suggests.
  --btf PATH          target kernel BTF (default: the bundled Linux 7.2 vmlinux BTF)
  --module-btf PATH   a module's split BTF over the target BTF (repeatable)
  --kconfig PATH      the target kernel's .config for .kconfig externs (as /boot/config-$(uname -r));
                      default: the bundled 7.2 kernel's with the bundled BTF, none with --btf
  --log-level N       BPF_PROG_LOAD log_level (1: errors and the failing path, 2: every insn,
                      +4: statistics); default 1
  --prog-flags N      BPF_F_* bits of BPF_PROG_LOAD (e.g. 2 = BPF_F_ANY_ALIGNMENT)
  --program NAME      only this program
  --core-btf PATH     CO-RE relocations against this BTF alone (libbpf's btf_custom_path,
                      test_loader's __btf_path)
  --btf-func-path PATH
                      name the object's unnamed function parameters from this BTF first
                      (test_loader's __btf_func_path)
  --no-veristat-fixups
                      load the object exactly as libbpf does (a PERF_EVENT_ARRAY of max_entries 0
                      gets one entry per possible CPU, freplace programs need a target program)
  --json              one object per program and line:
                      {"file","program","section","progType","verdict","error","log",
                       "insnsProcessed","totalStates","peakStates","durationUs"[,"note"]}
                      verdict is "success", "failure", or "unsupported" when the program needs a
                      rule bpfverify does not model yet (error then names it); "note" says what
                      a fix-up did or could not do (e.g. the guessed type of an freplace program)
`;

export interface VerifyJson {
  file: string;
  program: string;
  section: string;
  progType: string;
  verdict: "success" | "failure" | "unsupported";
  error: string;
  log: string;
  insnsProcessed: number;
  totalStates: number;
  peakStates: number;
  durationUs: number;
  /** A load fix-up's note (LoadedProgram.fixupNote); absent when none. */
  note?: string;
}

function verifyOne(file: string, p: LoadedProgram, logLevel: number, progFlags: number, profile: Profile): VerifyJson {
  const r = verifyProgram(p, { logLevel, progFlags, profile });
  const error = r.libbpfError ? `libbpf: ${r.libbpfError}` : r.verdict === "failure" ? firstErrorLine(r.log) : r.verdict === "unsupported" ? `bpfverify: not modelled yet: ${r.unsupported}` : "";
  return {
    file, program: p.name, section: p.section, progType: p.progTypeName, verdict: r.verdict, error, log: r.log,
    insnsProcessed: r.insnsProcessed, totalStates: r.totalStates, peakStates: r.peakStates, durationUs: r.durationUs,
    ...(p.fixupNote !== null ? { note: p.fixupNote } : {}),
  };
}

function table(rows: VerifyJson[]): string {
  const head = ["File", "Program", "Verdict", "Duration (us)", "Insns", "States", "Peak states"];
  const cells = rows.map((r) => [r.file, r.program, r.verdict, String(r.durationUs), String(r.insnsProcessed), String(r.totalStates), String(r.peakStates)]);
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((x, i) => (i >= 3 ? x.padStart(w[i]!) : x.padEnd(w[i]!))).join("  ").trimEnd();
  const out = [line(head), w.map((n) => "-".repeat(n)).join("  "), ...cells.map(line)];
  return out.join("\n") + "\n";
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const args = parseObjectCommand("verify", USAGE, argv, io, {
    "log-level": { type: "string", default: "1" },
    "prog-flags": { type: "string", default: "0" },
    program: { type: "string" },
    "no-veristat-fixups": { type: "boolean", default: false },
    "core-btf": { type: "string" },
    "btf-func-path": { type: "string" },
  });
  if (typeof args === "number") return args;
  const logLevel = Number(args.values["log-level"]);
  const progFlags = Number(args.values["prog-flags"]);
  if (!Number.isInteger(logLevel) || logLevel < 0 || logLevel > 15 || !Number.isInteger(progFlags) || progFlags < 0) {
    io.err(`bpfverify verify: --log-level takes 0..15 and --prog-flags a non-negative integer\n`);
    return 2;
  }
  const { target } = args;
  let rc = 0;
  const rows: VerifyJson[] = [];
  for (const file of args.files) {
    let obj;
    try {
      const coreBtf = args.values["core-btf"] ? loadCustomBtf(args.values["core-btf"]) : undefined;
      obj = loadObject(file, {
        targetBtf: target.vmlinux,
        moduleBtfs: target.modules,
        file,
        ...(coreBtf ? { coreBtf } : {}),
        fixups: args.values["no-veristat-fixups"] ? "none" : "veristat",
        // without a known config (--btf without --kconfig) a strong CONFIG_ extern reads 0
        ...(target.kconfig ? { kconfig: target.kconfig } : { kconfigMissing: "zero" as const }),
      });
      const funcPath = args.values["btf-func-path"];
      if (funcPath && obj.btf) {
        // test_loader's fixup_btf_from_path: parameter names for naked functions, before the load
        const fixed = objectBtfFixedFromPath(readFileSync(file), obj.btf, loadCustomBtf(funcPath), file);
        obj = { ...obj, btf: fixed, programs: obj.programs.map((p) => ({ ...p, btf: fixed })) };
      }
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      io.err(`bpfverify verify: ${e.message}\n`);
      rc = 1;
      continue;
    }
    for (const p of obj.programs) {
      if (args.values.program !== undefined && p.name !== args.values.program) continue;
      const row = verifyOne(file, p, logLevel, progFlags, profileFor(target.vmlinux, target.modules));
      if (row.verdict !== "success") rc = rc || 1;
      if (args.values.json) io.out(JSON.stringify(row) + "\n");
      else rows.push(row);
    }
  }
  if (!args.values.json) {
    io.out(table(rows));
    for (const r of rows.filter((x) => x.note !== undefined)) io.out(`${r.file}/${r.program}: ${r.note}\n`);
    for (const r of rows.filter((x) => x.verdict !== "success")) {
      const tail = r.verdict === "failure" && r.log ? r.log.trimEnd().split("\n").slice(-12).join("\n") : r.error;
      io.out(`\n${r.file}/${r.program}: ${r.verdict}\n${tail}\n`);
    }
  }
  return rc;
}
