// The selftests' expectations, read the way tools/testing/selftests/bpf/test_loader.c reads them:
// bpf_misc.h turns __success, __msg("..."), __log_level(2)... into BTF decl tags
// "comment:<__COUNTER__>:test_expect_msg=..." on the program's FUNC; test_loader sorts the tags
// with strverscmp (compilers emit them in any order, the counter restores the source order)
// and folds them into a spec per privilege mode.

import { PatternError, PosixRegex, patternToEre } from "./posix-regex.js";
import { strverscmp } from "./strverscmp.js";

/** One expected (or, when negative, forbidden) message. kernel selftests: struct expect_msg */
export interface ExpectMsg {
  readonly substr: string;
  readonly negative: boolean;
  /** Must match on the line right after the previous positive match (disassembly checks). */
  readonly onNextLine: boolean;
  /** Present when the pattern has a `{{...}}` part. */
  readonly regex: PosixRegex | undefined;
}

/** The expectations of one mode. kernel selftests: struct test_subspec */
export interface SubSpec {
  readonly name: string;
  readonly description: string | undefined;
  readonly expectFailure: boolean;
  readonly expectMsgs: readonly ExpectMsg[];
  readonly expectXlated: readonly ExpectMsg[];
  readonly jited: readonly ExpectMsg[];
  readonly stderr: readonly ExpectMsg[];
  readonly stdout: readonly ExpectMsg[];
  readonly retval: number;
  /** Whether test_loader runs the program (bpf_prog_test_run) after loading it. */
  readonly execute: boolean;
  /** Capabilities enabled for the unprivileged run (bit numbers of CAP_*). */
  readonly caps: bigint;
}

export type Arch = "X86_64" | "ARM64" | "RISCV64" | "s390x" | "LOONGARCH";
export const ARCHES: readonly Arch[] = ["X86_64", "ARM64", "RISCV64", "s390x", "LOONGARCH"];

/** kernel selftests: struct test_spec */
export interface TestSpec {
  readonly progName: string;
  readonly priv: SubSpec;
  readonly unpriv: SubSpec;
  readonly runPriv: boolean;
  readonly runUnpriv: boolean;
  readonly auxiliary: boolean;
  readonly btfCustomPath: string | undefined;
  readonly btfCustomFuncPath: string | undefined;
  /** `__log_level`: the level BPF_PROG_LOAD gets (0: none; libbpf then retries a failure at 1). */
  readonly logLevel: number;
  /** BPF_F_* flags for BPF_PROG_LOAD: the base flags with `__flag` set/cleared on top. */
  readonly progFlags: number;
  /** `__arch_*`; empty = any architecture. */
  readonly arches: readonly Arch[];
  /** `__load_if_JITed` / `__load_if_no_JITed`; undefined = either. */
  readonly loadMode: "jited" | "no_jited" | undefined;
  readonly linearSize: number;
}

export type SpecResult = { readonly ok: true; readonly spec: TestSpec } | { readonly ok: false; readonly error: string };

export interface ParseOptions {
  /**
   * test_loader's testing_prog_flags(): BPF_F_TEST_RND_HI32 | BPF_F_TEST_REG_INVARIANTS when the
   * running kernel accepts them. The 7.2 selftests probe with the program name "flag-test",
   * which the kernel rejects, so the recorded runs used 0 — the default here.
   */
  readonly baseProgFlags?: number;
  /** libbpf's program type name (`__linear_size` is only valid for skb programs). */
  readonly progType?: string;
  /** Which `__arch_*` test_loader runs on (whose `__jited` patterns it collects). */
  readonly currentArch?: Arch;
}

export const BPF_F = {
  BPF_F_STRICT_ALIGNMENT: 1 << 0,
  BPF_F_ANY_ALIGNMENT: 1 << 1,
  BPF_F_TEST_RND_HI32: 1 << 2,
  BPF_F_TEST_STATE_FREQ: 1 << 3,
  BPF_F_SLEEPABLE: 1 << 4,
  BPF_F_XDP_HAS_FRAGS: 1 << 5,
  BPF_F_TEST_REG_INVARIANTS: 1 << 7,
} as const satisfies Record<string, number>;

/** Sorts decl tag strings into test_loader's order. kernel selftests: collect_decl_tags */
export function sortDeclTags(tags: readonly string[]): string[] {
  return [...tags].sort(strverscmp);
}

/**
 * The part after "comment:N:", or undefined for other tags (e.g. "exception_callback:...").
 * Mirrors sscanf("comment:%*d:%n"): %d skips white space and takes an optional sign.
 */
export function skipDeclTagPrefix(tag: string): string | undefined {
  const m = /^comment:[ \t\n\v\f\r]*[+-]?[0-9]+:/.exec(tag);
  return m ? tag.slice(m[0].length) : undefined;
}

class SpecError extends Error {}

/** strtol(str, &end, base) with test_loader's checks (whole string consumed, no overflow). */
function parseInt32(str: string, what: string): number {
  let s = str;
  let base = 10;
  if (s.startsWith("0x")) {
    s = s.slice(2);
    base = 16;
  }
  // strtol: leading white space, a sign, and for base 16 an optional second 0x prefix.
  const re = base === 16 ? /^[ \t\n\v\f\r]*([+-]?)(?:0[xX](?=[0-9a-fA-F]))?([0-9a-fA-F]*)/ : /^[ \t\n\v\f\r]*([+-]?)([0-9]*)/;
  const m = re.exec(s)!;
  const digits = m[2]!;
  // No digits: strtol converts nothing and leaves end at the start of the string.
  const rest = digits === "" ? s : s.slice(m[0].length);
  if (rest !== "") throw new SpecError(`failed to parse ${what} from '${str}'`);
  if (digits === "") return 0;
  const v = BigInt((m[1] === "-" ? "-" : "") + (base === 16 ? "0x" : "") + digits);
  if (v > 0x7fffffffffffffffn || v < -0x8000000000000000n) throw new SpecError(`failed to parse ${what} from '${str}'`);
  // `*val = tmp` stores the long into an int.
  return Number(BigInt.asIntN(32, v));
}

function parseRetval(str: string): number {
  if (str === "_INT_MIN") return -0x80000000;
  return parseInt32(str, "__retval");
}

/** `__caps_unpriv(...)`: '|'-separated capability numbers (bpf_misc.h defines the CAP_* it needs). */
function parseCaps(str: string): bigint {
  let caps = 0n;
  for (const tok of str.split("|").filter((t) => t !== "")) {
    if (tok.startsWith("CAP_")) throw new SpecError(`define ${tok} constant in bpf_misc.h, failed to parse caps`);
    const m = /^[ \t\n\v\f\r]*([+-]?[0-9]+)/.exec(tok);
    const n = m ? Number(m[1]) : 0;
    if (n === 0) throw new SpecError("failed to parse caps test caps");
    caps |= 1n << BigInt(n);
  }
  return caps;
}

function msg(substr: string, negative: boolean, onNextLine: boolean): ExpectMsg {
  let regex: PosixRegex | undefined;
  if (substr.includes("{{")) {
    try {
      regex = new PosixRegex(patternToEre(substr));
    } catch (e) {
      throw new SpecError(e instanceof PatternError ? e.message : String(e));
    }
  }
  return { substr, negative, onNextLine, regex };
}

interface MutableSub {
  expectFailure: boolean;
  expectMsgs: ExpectMsg[];
  expectXlated: ExpectMsg[];
  jited: ExpectMsg[];
  stderr: ExpectMsg[];
  stdout: ExpectMsg[];
  retval: number;
  execute: boolean;
  caps: bigint;
}

const emptySub = (): MutableSub => ({
  expectFailure: false,
  expectMsgs: [],
  expectXlated: [],
  jited: [],
  stderr: [],
  stdout: [],
  retval: 0,
  execute: false,
  caps: 0n,
});

/** Disassembly-style lists: "..." lets the next pattern float, otherwise each is on the next line. */
class DisasmList {
  onNextLine = true;
  constructor(readonly out: ExpectMsg[]) {}
  push(pattern: string): void {
    if (pattern === "...") {
      this.onNextLine = false;
      return;
    }
    this.out.push(msg(pattern, false, this.onNextLine));
    this.onNextLine = true;
  }
}

/**
 * Builds a program's test spec from its decl tags (already in test_loader's order; see
 * sortDeclTags). kernel selftests: parse_test_spec
 */
export function parseTestSpec(progName: string, sortedTags: readonly string[], opts: ParseOptions = {}): SpecResult {
  try {
    return { ok: true, spec: buildSpec(progName, sortedTags, opts) };
  } catch (e) {
    if (e instanceof SpecError) return { ok: false, error: e.message };
    throw e;
  }
}

function buildSpec(progName: string, tags: readonly string[], opts: ParseOptions): TestSpec {
  const currentArch = opts.currentArch ?? "X86_64";
  const priv = emptySub();
  const unpriv = emptySub();
  let runPriv = false;
  let runUnpriv = false;
  let auxiliary = false;
  let description: string | undefined;
  let hasUnprivResult = false;
  let hasUnprivRetval = false;
  let logLevel = 0;
  let progFlags = opts.baseProgFlags ?? 0;
  let btfCustomPath: string | undefined;
  let btfCustomFuncPath: string | undefined;
  let loadMode: "jited" | "no_jited" | undefined;
  let linearSize = 0;
  const arches: Arch[] = [];
  let collectJit = false;
  const xlated = new DisasmList(priv.expectXlated);
  const unprivXlated = new DisasmList(unpriv.expectXlated);
  let jit = new DisasmList(priv.jited);
  let unprivJit = new DisasmList(unpriv.jited);
  const stderr = new DisasmList(priv.stderr);
  const unprivStderr = new DisasmList(unpriv.stderr);
  const stdout = new DisasmList(priv.stdout);
  const unprivStdout = new DisasmList(unpriv.stdout);

  for (const tag of tags) {
    const s = skipDeclTagPrefix(tag);
    if (s === undefined) continue;
    const val = (pfx: string): string | undefined => (s.startsWith(pfx) ? s.slice(pfx.length) : undefined);
    let v: string | undefined;
    if ((v = val("test_description=")) !== undefined) {
      description = v;
    } else if (s === "test_expect_failure") {
      priv.expectFailure = true;
      runPriv = true;
    } else if (s === "test_expect_success") {
      priv.expectFailure = false;
      runPriv = true;
    } else if (s === "test_expect_failure_unpriv") {
      unpriv.expectFailure = true;
      runUnpriv = hasUnprivResult = true;
    } else if (s === "test_expect_success_unpriv") {
      unpriv.expectFailure = false;
      runUnpriv = hasUnprivResult = true;
    } else if (s === "test_auxiliary") {
      auxiliary = runPriv = true;
    } else if (s === "test_auxiliary_unpriv") {
      auxiliary = runUnpriv = true;
    } else if ((v = val("test_expect_msg=")) !== undefined) {
      priv.expectMsgs.push(msg(v, false, false));
      runPriv = true;
    } else if ((v = val("test_expect_not_msg=")) !== undefined) {
      priv.expectMsgs.push(msg(v, true, false));
      runPriv = true;
    } else if ((v = val("test_expect_msg_unpriv=")) !== undefined) {
      unpriv.expectMsgs.push(msg(v, false, false));
      runUnpriv = true;
    } else if ((v = val("test_expect_not_msg_unpriv=")) !== undefined) {
      unpriv.expectMsgs.push(msg(v, true, false));
      runUnpriv = true;
    } else if ((v = val("test_jited=")) !== undefined) {
      if (arches.length === 0) throw new SpecError("__jited used before __arch_*");
      if (collectJit) {
        jit.push(v);
        runPriv = true;
      }
    } else if ((v = val("test_jited_unpriv=")) !== undefined) {
      if (arches.length === 0) throw new SpecError("__unpriv_jited used before __arch_*");
      if (collectJit) {
        unprivJit.push(v);
        runUnpriv = true;
      }
    } else if ((v = val("test_expect_xlated=")) !== undefined) {
      xlated.push(v);
      runPriv = true;
    } else if ((v = val("test_expect_xlated_unpriv=")) !== undefined) {
      unprivXlated.push(v);
      runUnpriv = true;
    } else if ((v = val("test_retval=")) !== undefined) {
      priv.retval = parseRetval(v);
      priv.execute = runPriv = true;
    } else if ((v = val("test_retval_unpriv=")) !== undefined) {
      unpriv.retval = parseRetval(v);
      unpriv.execute = runUnpriv = hasUnprivRetval = true;
    } else if ((v = val("test_log_level=")) !== undefined) {
      logLevel = parseInt32(v, "test log level");
    } else if ((v = val("test_prog_flags=")) !== undefined) {
      const clear = v.startsWith("!");
      const name = clear ? v.slice(1) : v;
      const flag = Object.hasOwn(BPF_F, name) ? BPF_F[name as keyof typeof BPF_F] : parseInt32(name, "test prog flags");
      progFlags = clear ? progFlags & ~flag : progFlags | flag;
    } else if ((v = val("test_arch=")) !== undefined) {
      const arch = ARCHES.find((a) => a === v);
      if (!arch) throw new SpecError(`bad arch spec: '${v}'`);
      if (!arches.includes(arch)) arches.push(arch);
      collectJit = arch === currentArch;
      // Each __arch_* starts a fresh jited block (its first pattern is "on the next line").
      jit = new DisasmList(priv.jited);
      unprivJit = new DisasmList(unpriv.jited);
    } else if ((v = val("test_btf_path=")) !== undefined) {
      btfCustomPath = v;
    } else if ((v = val("test_btf_func_path=")) !== undefined) {
      btfCustomFuncPath = v;
    } else if ((v = val("test_caps_unpriv=")) !== undefined) {
      unpriv.caps |= parseCaps(v);
      runUnpriv = true;
    } else if ((v = val("load_mode=")) !== undefined) {
      if (v !== "jited" && v !== "no_jited") throw new SpecError(`bad load spec: '${v}'`);
      loadMode = v;
    } else if ((v = val("test_expect_stderr=")) !== undefined) {
      stderr.push(v);
    } else if ((v = val("test_expect_stderr_unpriv=")) !== undefined) {
      unprivStderr.push(v);
    } else if ((v = val("test_expect_stdout=")) !== undefined) {
      stdout.push(v);
    } else if ((v = val("test_expect_stdout_unpriv=")) !== undefined) {
      unprivStdout.push(v);
    } else if ((v = val("test_linear_size=")) !== undefined) {
      const t = opts.progType;
      if (t !== "sched_act" && t !== "sched_cls" && t !== "cgroup_skb") {
        throw new SpecError("__linear_size for unsupported program type");
      }
      linearSize = parseInt32(v, "test linear size");
    }
  }

  if (!runPriv && !runUnpriv) runPriv = true;
  // The unprivileged run inherits what it does not say itself.
  if (!hasUnprivResult) unpriv.expectFailure = priv.expectFailure;
  if (!hasUnprivRetval) {
    unpriv.retval = priv.retval;
    unpriv.execute = priv.execute;
  }
  const inherit = (k: "expectMsgs" | "expectXlated" | "jited" | "stderr" | "stdout"): void => {
    if (unpriv[k].length === 0) unpriv[k].push(...priv[k]);
  };
  inherit("expectMsgs");
  inherit("expectXlated");
  inherit("jited");
  inherit("stderr");
  inherit("stdout");

  return {
    progName,
    priv: { ...priv, name: progName, description },
    unpriv: {
      ...unpriv,
      name: `${progName} @unpriv`,
      description: description === undefined ? undefined : `${description} @unpriv`,
    },
    runPriv,
    runUnpriv,
    auxiliary,
    btfCustomPath,
    btfCustomFuncPath,
    logLevel,
    progFlags,
    arches,
    loadMode,
    linearSize,
  };
}
