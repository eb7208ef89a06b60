import assert from "node:assert/strict";
import { test } from "node:test";
import { BPF_F, parseTestSpec, type SpecResult } from "./annotations.js";
import { judge, loadPlan, summaryLine, tally } from "./judge.js";
import { validateMsgs } from "./msgs.js";
import { firstErrorLine, stripStatsLines } from "./recorded.js";

const tags = (...t: string[]): string[] => t.map((s, i) => `comment:${i}:${s}`);
const spec = (...t: string[]): SpecResult => parseTestSpec("prog", tags(...t), { progType: "sched_cls" });
const msgsOf = (r: SpecResult) => {
  assert.ok(r.ok);
  return r.spec.priv.expectMsgs;
};

test("parse_test_spec: verdicts, messages, flags, log level, modes", () => {
  const r = spec("test_expect_failure", "test_expect_msg=R1 invalid", "test_log_level=2", "test_prog_flags=BPF_F_ANY_ALIGNMENT",
    "test_prog_flags=0x8", "test_prog_flags=!BPF_F_ANY_ALIGNMENT", "test_description=desc");
  assert.ok(r.ok);
  assert.equal(r.spec.priv.expectFailure, true);
  assert.equal(r.spec.logLevel, 2);
  assert.equal(r.spec.progFlags, BPF_F.BPF_F_TEST_STATE_FREQ);
  assert.equal(r.spec.priv.description, "desc");
  assert.equal(r.spec.unpriv.description, "desc @unpriv");
  assert.equal(r.spec.runPriv, true);
  assert.equal(r.spec.runUnpriv, false);
  // the unprivileged side inherits the verdict and the messages when it has none of its own
  assert.equal(r.spec.unpriv.expectFailure, true);
  assert.equal(r.spec.unpriv.expectMsgs.length, 1);
  assert.deepEqual(loadPlan(r.spec), { logLevel: 2, retryLogLevel: undefined, progFlags: 8, logBufSize: 2097152 });
});

test("parse_test_spec: no tags means a privileged success test; unpriv-only tags run unpriv only", () => {
  const none = parseTestSpec("p", []);
  assert.ok(none.ok && none.spec.runPriv && !none.spec.priv.expectFailure);
  assert.equal(none.ok && loadPlan(none.spec).retryLogLevel, 1);
  const u = spec("test_expect_failure_unpriv", "test_expect_msg_unpriv=x");
  assert.ok(u.ok && !u.spec.runPriv && u.spec.runUnpriv);
  assert.equal(judge(u, undefined).result, "skip");
});

test("parse_test_spec errors fail the test, as test_loader's PRINT_FAIL does", () => {
  assert.equal(spec("test_log_level=2x").ok, false);
  assert.equal(spec("test_arch=PDP11").ok, false);
  assert.equal(spec("test_jited=\tmov").ok, false); // __jited before __arch_*
  assert.equal(spec("test_expect_msg={{[0-9}}").ok, false);
  assert.equal(parseTestSpec("p", tags("test_linear_size=4"), { progType: "xdp" }).ok, false);
  const j = judge(spec("test_caps_unpriv=CAP_BPF"), { loaded: true, log: "" });
  assert.equal(j.result, "fail");
  assert.match(j.reason, /define CAP_BPF constant/);
});

test("other decl tags are ignored; __retval/__xlated are reported unchecked, never passed", () => {
  const r = parseTestSpec("p", ["exception_callback:cb", ...tags("test_retval=_INT_MIN", "test_expect_xlated=r0 = 0")]);
  assert.ok(r.ok);
  assert.equal(r.spec.priv.retval, -2147483648);
  const j = judge(r, { loaded: true, log: "" });
  assert.equal(j.result, "pass");
  assert.deepEqual(j.unchecked, ["retval=-2147483648", "xlated (1 patterns)"]);
});

test("__arch_* and __load_if_JITed skips", () => {
  assert.equal(judge(spec("test_arch=ARM64"), undefined).result, "skip");
  assert.equal(judge(spec("test_arch=ARM64", "test_arch=X86_64"), { loaded: true, log: "" }).result, "pass");
  assert.equal(judge(spec("load_mode=no_jited"), undefined).result, "skip");
  assert.equal(judge(spec("load_mode=no_jited"), { loaded: true, log: "" }, { jitEnabled: false }).result, "pass");
  assert.equal(judge(spec("load_mode=jited"), undefined, { jitEnabled: false }).result, "skip");
});

test("verdict first, then messages in order from the end of the previous match", () => {
  const s = spec("test_expect_failure", "test_expect_msg=a", "test_expect_msg=b");
  assert.equal(judge(s, { loaded: true, log: "a b" }).reason, "unexpected_load_success");
  assert.equal(judge(s, { loaded: false, log: "a\nb\n" }).result, "pass");
  const j = judge(s, { loaded: false, log: "b\na\n" });
  assert.equal(j.result, "fail");
  assert.equal(j.reason, "expect_msg: EXPECTED   SUBSTR: 'b'");
  assert.equal(judge(spec("test_expect_success"), { loaded: false, log: "" }).reason, "unexpected_load_failure");
});

test("regex parts: {{...}} is POSIX ERE, the rest verbatim", () => {
  const m = msgsOf(spec("test_expect_msg=R{{[0-9]}}=scalar(smin={{-?[0-9]+}})"));
  assert.equal(validateMsgs("R3=scalar(smin=-5)", m).ok, true);
  assert.equal(validateMsgs("R3=scalarXsmin=-5)", m).ok, false);
});

test("not-msg windows: only the span between the neighbouring positive matches", () => {
  const m = msgsOf(spec("test_expect_msg=start", "test_expect_not_msg=bad", "test_expect_msg=end"));
  assert.equal(validateMsgs("bad start ok end bad", m).ok, true);
  const r = validateMsgs("start bad end", m);
  assert.equal(r.ok, false);
  assert.equal(r.failure, "UNEXPECTED SUBSTR: 'bad'");
  assert.deepEqual(r.status.map((s) => s.status), ["MATCHED", "UNEXPECTED", "NOT REACHED"]);
  // a leading not-msg spans from the log's start, a trailing one to its end
  const lead = msgsOf(spec("test_expect_not_msg=x", "test_expect_msg=y"));
  assert.equal(validateMsgs("x y", lead).ok, false);
  assert.equal(validateMsgs("y x", lead).ok, true);
});

test("test_loader quirk: a run of not-msgs is searched with the run's first pattern", () => {
  const m = msgsOf(spec("test_expect_not_msg=aaa", "test_expect_not_msg=bbb"));
  // test_loader never looks for "bbb" (it searches "aaa" twice), so this passes there
  assert.equal(validateMsgs("bbb", m).ok, true);
  assert.equal(validateMsgs("aaa", m).ok, false);
});

test("the log ends at the first NUL, as a C string", () => {
  const m = msgsOf(spec("test_expect_msg=tail"));
  assert.equal(validateMsgs("head\0tail", m).ok, false);
});

test("stats lines of BPF_LOG_STATS are stripped; the error line is the last before them", () => {
  const log = "0: (b7) r0 = 0\nR1 invalid mem access 'scalar'\nverification time 12 usec\nstack depth 0\ninsns processed 2\nprocessed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n";
  assert.equal(stripStatsLines(log), "0: (b7) r0 = 0\nR1 invalid mem access 'scalar'\nprocessed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n");
  assert.equal(firstErrorLine(log), "R1 invalid mem access 'scalar'");
});

test("summary line", () => {
  assert.equal(summaryLine(tally(["pass", "pass", "fail", "skip"])), "2 passed, 1 failed, 1 skipped");
});

test("test output lines: JSON fields of issue 4 item 8, unchecked parts shown, never as passed", async () => {
  const { formatTestJson, formatTestText, testLine } = await import("./report.js");
  const s = parseTestSpec("p", tags("test_expect_success", "test_retval=1"));
  const t = testLine("objs/x.bpf.o", "p", "desc", judge(s, { loaded: true, log: "" }));
  assert.deepEqual(JSON.parse(formatTestJson(t)), {
    file: "objs/x.bpf.o", program: "p", description: "desc", result: "pass", reason: "load succeeded as expected", unchecked: ["retval=1"],
  });
  assert.equal(formatTestText(t), 'PASS x.bpf.o/p "desc" (unchecked: retval=1)');
  const f = testLine("x.bpf.o", "p", undefined, judge(s, { loaded: false, log: "" }));
  assert.equal(formatTestText(f), "FAIL x.bpf.o/p: unexpected_load_failure");
});
