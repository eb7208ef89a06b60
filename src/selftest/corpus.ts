// Reading test/corpus/: the 7.2 selftests objects and what the 7.2 kernel said about each
// program (written by scripts/corpus/import.mjs; test/corpus/README.md describes the files).

import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

/** The 7.2 kernel's answer for one program (results-7.2.jsonl, renamed). */
export interface KernelRecord {
  readonly release: string;
  readonly jitEnabled: number;
  readonly reached: boolean;
  readonly loaded: boolean;
  readonly errno: number;
  readonly kernelErrno: number;
  readonly processedInsns: number | null;
  readonly totalStates: number | null;
  readonly peakStates: number | null;
  readonly maxStatesPerInsn: number | null;
  readonly markRead: number | null;
  /** As printed: per-subprogram depths joined with '+', e.g. "264+264". */
  readonly stackDepth: string | null;
  /** Emulated (qemu TCG) and with logging: not a native figure. */
  readonly verificationTimeUsec: number | null;
  readonly verifiedInsns: number | null;
  readonly xlatedInsnCnt: number | null;
  readonly logTrueSize: number;
  readonly logTruncated: boolean;
  readonly logSizeFirstTry: number | null;
}

/** The same program on the 6.18 host at log level 4 (native timing). */
export interface HostRecord {
  readonly release: string;
  readonly reached: boolean;
  readonly loaded: boolean;
  readonly errno: number;
  readonly processedInsns: number | null;
  readonly totalStates: number | null;
  readonly peakStates: number | null;
  readonly verificationTimeUsec: number | null;
  /** Listed in verdict-diff-6.18-vs-7.2.tsv: 6.18 and 7.2 disagree on the load verdict. */
  readonly verdictDiffers: boolean;
}

export interface CorpusMap {
  readonly name: string;
  readonly type: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
}

/** judged-7.2.jsonl: test_loader's verdict on the kernel's result. */
export interface RecordedJudgement {
  readonly verdict: "pass" | "fail" | "skip";
  readonly reason: string;
  readonly expect: "success" | "failure" | null;
  readonly description: string | null;
  readonly notChecked: readonly string[];
  readonly expectationSource: string | null;
}

export interface CorpusProgram {
  readonly object: string;
  readonly program: string;
  readonly section: string;
  readonly progType: string;
  readonly expectedAttachType: string;
  readonly progTypeLoaded: string;
  readonly expectedAttachTypeLoaded: string;
  /** How prog_tests runs the object (runners.tsv); null: not run by test_loader. */
  readonly runner: string | null;
  readonly isTest: boolean;
  readonly auxPrograms: readonly string[];
  /** The FUNC's "comment:N:..." decl tags in test_loader's (strverscmp) order. */
  readonly annotations: readonly string[];
  readonly progFlags: number;
  /** The level the recording used: `__log_level | 4`, `1 | 4` without one, or exactly 4. */
  readonly logLevel: number;
  /** The test's own `__log_level` (0: none). */
  readonly testLoaderLogLevel: number;
  readonly capSysAdminDropped: boolean;
  readonly btfCustomPath: string | null;
  readonly kernel: KernelRecord;
  readonly host618: HostRecord | null;
  readonly insnCnt: number;
  /** Final instructions, 16 hex digits per insn; ld_imm64 map fds replaced by indexes into `maps`. */
  readonly insnsHex: string;
  readonly maps: readonly CorpusMap[];
  /** ld_imm64 insns whose fd is not a map on purpose (kept raw). */
  readonly unresolvedMapFdInsns: readonly number[];
  readonly kfuncCalls: number;
  readonly kfuncCallsInElf: number;
  /** null: not a test (auxiliary program). */
  readonly judged: RecordedJudgement | null;
}

export interface CorpusLog {
  readonly object: string;
  readonly program: string;
  /** The verifier log libbpf returned (after fixup_verifier_log). */
  readonly log: string;
  readonly logKernelRaw?: string;
  /** The log was cut to its head and tail around a "[... cap-logs: N bytes omitted ...]" line. */
  readonly logCapped?: { readonly original_bytes: number; readonly omitted_bytes: number };
  readonly libbpfLog?: string;
}

export interface ConformanceSets {
  readonly about: string;
  /** Set name -> progs/*.c source files. */
  readonly sets: Readonly<Record<string, readonly string[]>>;
}

export interface OverlayRow {
  readonly expect: "success" | "failure";
  readonly msg: string;
  readonly source: string;
}

export const programKey = (object: string, program: string): string => `${object}/${program}`;

/** test/corpus of this checkout (or $BPFVERIFY_CORPUS), found from this module's location. */
export function corpusDir(): string {
  const env = process.env["BPFVERIFY_CORPUS"];
  if (env) return resolve(env);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const cand = join(dir, "test", "corpus");
    if (existsSync(join(cand, "programs.jsonl.gz"))) return cand;
    dir = dirname(dir);
  }
  throw new Error("test/corpus not found (run scripts/corpus/import.mjs, or set BPFVERIFY_CORPUS)");
}

function readJsonlGz<T>(path: string): T[] {
  const text = gunzipSync(readFileSync(path)).toString("utf8");
  const out: T[] = [];
  for (const line of text.split("\n")) if (line !== "") out.push(JSON.parse(line) as T);
  return out;
}

export function loadCorpusPrograms(dir = corpusDir()): CorpusProgram[] {
  return readJsonlGz<CorpusProgram>(join(dir, "programs.jsonl.gz"));
}

export function loadCorpusLogs(dir = corpusDir()): Map<string, CorpusLog> {
  const m = new Map<string, CorpusLog>();
  for (const l of readJsonlGz<CorpusLog>(join(dir, "logs.jsonl.gz"))) m.set(programKey(l.object, l.program), l);
  return m;
}

export function loadSets(dir = corpusDir()): ConformanceSets {
  return JSON.parse(readFileSync(join(dir, "sets.json"), "utf8")) as ConformanceSets;
}

/** expectations-overlay.tsv: expectations of unannotated programs that a prog_test checks itself. */
export function loadOverlay(dir = corpusDir()): Map<string, OverlayRow> {
  const m = new Map<string, OverlayRow>();
  for (const line of readFileSync(join(dir, "expectations-overlay.tsv"), "utf8").split("\n")) {
    const f = line.split("\t");
    if (line.startsWith("#") || f.length < 5 || f[0] === "object") continue;
    if (f[2] !== "success" && f[2] !== "failure") throw new Error(`expectations-overlay.tsv: bad expect '${f[2]}'`);
    m.set(programKey(f[0]!, f[1]!), { expect: f[2], msg: f[3]!, source: f[4]! });
  }
  return m;
}

/** The progs/*.c source an object was compiled from ("verifier_xyz.bpf.o" -> "verifier_xyz.c"). */
export function sourceOf(object: string): string {
  return object.replace(/\.bpf\.o$/, ".c");
}

export function objectPath(object: string, dir = corpusDir()): string {
  return join(dir, "objs", object);
}
