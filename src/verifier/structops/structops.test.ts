// struct_ops programs: the profile's struct_ops data against the BTF it
// describes, check_struct_ops_btf_id's refusals and ctx_arg_info, and end to
// end the kernel selftests about struct_ops (struct_ops_refcounted*.c,
// struct_ops_kptr_return*.c, struct_ops_multi_args.c, unsupported_ops.c,
// dummy_st_ops_fail.c, bpf_qdisc_*.c, pro_epilogue*.c, epilogue_exit.c),
// judged by their own __success/__failure/__msg annotations, and a sched_ext
// scheduler of test/corpus/realworld against the kernel's recorded results.
import assert from "node:assert/strict";
import { describe, it, test } from "node:test";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { loadObject } from "../../loader/index.js";
import { verifyProgram } from "../../api/verify-program.js";
import { findMemberDeep } from "../../btf/index.js";
import { loadProfile, type Profile } from "../../kernel/profile.js";
import { allStructOps } from "../../kernel/structops/index.js";
import { run } from "../../cli/commands/test.js";
import { memoryIo } from "../../cli/io.js";
import { corpusDir, objectPath } from "../../selftest/corpus.js";
import type { CfgEnv } from "../cfg/types.js";
import type { VerifierInput } from "../input.js";
import { PTR_MAYBE_NULL, PTR_TRUSTED } from "../state/reg-type.js";
import { checkStructOpsBtfId, ctxArgIdx, ctxArgOffset } from "./index.js";
import { qdiscAccess } from "./write.js";
import { requireStructOpsHelpers } from "./helpers.js";
import { NotModelled } from "../not-modelled.js";

const TESTMOD = join(corpusDir(), "btf", "bpf_testmod.btf");
let profileCache: Profile | undefined;
const profile = (): Profile => (profileCache ??= loadProfile({ moduleBtfs: [TESTMOD] }));

function input(typeName: string, member: string, extra: Partial<VerifierInput> = {}): VerifierInput {
  const p = profile();
  const module = typeName.startsWith("bpf_testmod") ? "bpf_testmod" : null;
  const btf = module ? p.btfOf(module)! : p.vmlinuxBtf;
  const t = btf.type(btf.findByNameKind(typeName, "STRUCT")!);
  const memberIdx = t.kind === "STRUCT" ? t.members.findIndex((m) => m.name === member) : -1;
  return {
    name: "prog", progType: "BPF_PROG_TYPE_STRUCT_OPS", expectedAttachType: "", progFlags: 0, sleepable: false, gplCompatible: true,
    insns: [], maps: [], funcInfo: [], lineInfo: [], structOps: { typeName, member, memberIdx, module }, ...extra,
  };
}

/** The one field of CfgEnv check_struct_ops_btf_id reads: whether a subprog tail-calls. */
function cfg(hasTailCall: boolean): CfgEnv {
  return { subprogs: [{ hasTailCall }], subprogCnt: 1 } as unknown as CfgEnv;
}

describe("struct_ops data of the profile", () => {
  it("names members of the ops struct and cfi stubs of the same arity, in the struct_ops' BTF", () => {
    const p = profile();
    for (const d of allStructOps()) {
      const btf = d.module ? p.btfOf(d.module)! : p.vmlinuxBtf;
      const sid = btf.findByNameKind(d.name, "STRUCT");
      assert.ok(sid, `${d.name} in BTF`);
      assert.ok(btf.findByNameKind(`bpf_struct_ops_${d.name}`, "STRUCT"), `bpf_struct_ops_${d.name} value type`);
      const st = btf.type(sid);
      assert.equal(st.kind, "STRUCT");
      if (st.kind !== "STRUCT") continue;
      for (const [member, stub] of Object.entries(d.stubs)) {
        const m = st.members.find((x) => x.name === member);
        assert.ok(m, `${d.name}.${member}`);
        const fid = btf.findByNameKind(stub, "FUNC");
        assert.ok(fid, `stub ${stub}`);
      }
      for (const m of [...(d.epilogueMembers ?? []), ...(d.prologueMembers ?? []), ...Object.keys(d.kfuncFilter?.perMember ?? {})]) {
        assert.ok(m in d.stubs, `${d.name}.${m} has a stub`);
      }
      for (const k of [...(d.kfuncFilter?.common ?? []), ...Object.values(d.kfuncFilter?.perMember ?? {}).flat()]) {
        assert.ok(d.kfuncFilter!.governs.includes(k), `${k} governed by the filter`);
      }
    }
  });

  it("is only offered for a module whose BTF is loaded", () => {
    assert.ok(profile().structOps("bpf_testmod_ops", "bpf_testmod"));
    assert.equal(loadProfile().structOps("bpf_testmod_ops", "bpf_testmod"), undefined);
    assert.ok(loadProfile().structOps("Qdisc_ops"));
  });
});

describe("check_struct_ops_btf_id", () => {
  it("unsupported_ops.c: a member without a cfi stub is refused with -ENOTSUPP", () => {
    const r = checkStructOpsBtfId(profile(), input("bpf_testmod_ops", "unsupported_ops"), cfg(false));
    assert.deepEqual(r, { ok: false, reject: { errno: "ENOTSUPP", message: "attach to unsupported member unsupported_ops of struct bpf_testmod_ops\n" } });
  });

  it("dummy_st_ops_fail.c: bpf_dummy_ops takes sleepable programs only on test_sleepable", () => {
    const bad = checkStructOpsBtfId(profile(), input("bpf_dummy_ops", "test_2", { sleepable: true }), cfg(false));
    assert.deepEqual(bad, { ok: false, reject: { errno: "EINVAL", message: "attach to unsupported member test_2 of struct bpf_dummy_ops\n" } });
    assert.ok(checkStructOpsBtfId(profile(), input("bpf_dummy_ops", "test_sleepable", { sleepable: true }), cfg(false)).ok);
    assert.ok(checkStructOpsBtfId(profile(), input("bpf_dummy_ops", "test_2"), cfg(false)).ok);
    // BPF_F_SLEEPABLE given at load time makes the program sleepable as the section's ".s" does
    assert.equal(checkStructOpsBtfId(profile(), input("bpf_dummy_ops", "test_2", { progFlags: 1 << 4 }), cfg(false)).ok, false);
  });

  it("struct_ops_multi_args.c: __nullable and __ref arguments from the stub's parameter names, at their ctx offsets", () => {
    const r = checkStructOpsBtfId(profile(), input("bpf_testmod_ops", "test_refcounted_multi"), cfg(false));
    assert.ok(r.ok);
    const task = profile().vmlinuxBtf.findByNameKind("task_struct", "STRUCT");
    assert.deepEqual(r.prog.args.map((a) => [a.argNo, a.off, a.btfId, a.flags, a.refcounted]), [
      [1, 8, task, PTR_TRUSTED | PTR_MAYBE_NULL, false],
      [2, 16, task, PTR_TRUSTED, true],
    ]);
  });

  it("struct_ops_refcounted_fail__tail_call.c: a program with a __ref argument cannot tail call", () => {
    const r = checkStructOpsBtfId(profile(), input("bpf_testmod_ops", "test_refcounted"), cfg(true));
    assert.deepEqual(r, { ok: false, reject: { errno: "EINVAL", message: "program with __ref argument cannot tail call\n" } });
    // Without __ref arguments, tail calls are fine.
    assert.ok(checkStructOpsBtfId(profile(), input("bpf_testmod_ops", "test_maybe_null"), cfg(true)).ok);
  });

  it("refuses non-GPL programs first", () => {
    const r = checkStructOpsBtfId(profile(), input("bpf_testmod_ops", "unsupported_ops", { gplCompatible: false }), cfg(false));
    assert.deepEqual(r, { ok: false, reject: { errno: "EINVAL", message: "struct ops programs must have a GPL compatible license\n" } });
  });

  it("ctx slots: a struct argument takes its size rounded up to 8 bytes (btf_ctx_arg_offset, btf_ctx_arg_idx)", () => {
    const r = checkStructOpsBtfId(profile(), input("Qdisc_ops", "enqueue"), cfg(false));
    assert.ok(r.ok);
    assert.deepEqual([0, 1, 2, 3].map((i) => ctxArgOffset(r.prog.btf, r.prog.proto, i)), [0, 8, 16, 24]);
    assert.deepEqual([0, 7, 8, 16, 23, 24].map((o) => ctxArgIdx(r.prog.btf, r.prog.proto, o)), [0, 0, 1, 2, 2, 3]);
    // Qdisc_ops__enqueue(struct sk_buff *skb__ref, ...)
    assert.deepEqual(r.prog.args.map((a) => [a.argNo, a.refcounted]), [[0, true]]);
  });
});

interface Row { program: string; result: string; reason: string }

test("struct_ops selftests pass as on the 7.2 kernel", async () => {
  const io = memoryIo();
  const objects = ["struct_ops_refcounted", "struct_ops_refcounted_fail__global_subprog", "struct_ops_refcounted_fail__ref_leak",
    "struct_ops_refcounted_fail__tail_call", "struct_ops_multi_args", "struct_ops_kptr_return", "struct_ops_kptr_return_fail__invalid_scalar",
    "struct_ops_kptr_return_fail__local_kptr", "struct_ops_kptr_return_fail__nonzero_offset", "struct_ops_kptr_return_fail__wrong_type",
    "unsupported_ops", "dummy_st_ops_fail", "bpf_qdisc_dynptr_use_after_invalidate_clone", "bpf_qdisc_fail__invalid_dynptr",
    "bpf_qdisc_fail__invalid_dynptr_cross_frame", "bpf_qdisc_fail__invalid_dynptr_slice", "pro_epilogue", "pro_epilogue_goto_start",
    "pro_epilogue_with_kfunc", "epilogue_exit"];
  await run(["--json", "--module-btf", TESTMOD, ...objects.map((o) => objectPath(`${o}.bpf.o`))], io);
  const rows = io.stdout.trim().split("\n").map((l) => JSON.parse(l) as Row);
  assert.deepEqual(rows.filter((r) => r.result !== "pass").map((r) => `${r.program}: ${r.reason}`), []);
  assert.ok(rows.length >= 33, `only ${rows.length} tests ran`);
});

test("helpers: a struct_ops type whose get_func_proto the helper tables lack is NotModelled, not refused", () => {
  assert.throws(() => requireStructOpsHelpers("bpf_testmod_ops"), NotModelled);
  requireStructOpsHelpers("sched_ext_ops");
  requireStructOpsHelpers("Qdisc_ops");
});

describe("bpf_qdisc_btf_struct_access", () => {
  const vm = () => profile().vmlinuxBtf;
  const off = (st: string, m: string) => findMemberDeep(vm(), vm().findByNameKind(st, "STRUCT")!, m)!.bitOffset / 8;
  it("lets .enqueue/.dequeue store to sk_buff's tstamp and qdisc cb data, Qdisc's limit, qlen and qstats", () => {
    assert.deepEqual(qdiscAccess(vm(), "sk_buff", off("sk_buff", "tstamp"), 8), { ok: true });
    assert.deepEqual(qdiscAccess(vm(), "sk_buff", off("sk_buff", "cb") + off("qdisc_skb_cb", "data") + 4, 4), { ok: true });
    assert.deepEqual(qdiscAccess(vm(), "Qdisc", off("Qdisc", "limit"), 4), { ok: true });
    assert.deepEqual(qdiscAccess(vm(), "Qdisc", off("Qdisc", "q") + off("qdisc_skb_head", "qlen"), 4), { ok: true });
    assert.deepEqual(qdiscAccess(vm(), "Qdisc", off("Qdisc", "qstats") + 4, 4), { ok: true });
  });
  it("refuses other fields, overlong stores and other structs with the kernel's lines", () => {
    assert.deepEqual(qdiscAccess(vm(), "sk_buff", 0, 8), { ok: false, log: "no write support to sk_buff at off 0\n", errno: "EACCES" });
    const ts = off("sk_buff", "tstamp");
    assert.deepEqual(qdiscAccess(vm(), "sk_buff", ts, 16),
      { ok: false, log: `write access at off ${ts} with size 16 beyond the member of sk_buff ended at ${ts + 8}\n`, errno: "EACCES" });
    assert.deepEqual(qdiscAccess(vm(), "sock", 0, 8), { ok: false, log: "only read is supported\n", errno: "EACCES" });
  });
});

describe("sched_ext_ops", () => {
  it("bpf_scx_check_member: sleepable programs only on the ops that may sleep; dispatch asks for a private stack", () => {
    const bad = checkStructOpsBtfId(profile(), input("sched_ext_ops", "enqueue", { sleepable: true }), cfg(false));
    assert.deepEqual(bad, { ok: false, reject: { errno: "EINVAL", message: "attach to unsupported member enqueue of struct sched_ext_ops\n" } });
    const init = checkStructOpsBtfId(profile(), input("sched_ext_ops", "init", { sleepable: true }), cfg(false));
    assert.ok(init.ok && !init.prog.privStack);
    const dispatch = checkStructOpsBtfId(profile(), input("sched_ext_ops", "dispatch"), cfg(false));
    assert.ok(dispatch.ok && dispatch.prog.privStack);
  });

  it("scx_kfunc_context_filter: per-op kfunc groups (scx_kf_allow_flags)", () => {
    const f = profile().structOps("sched_ext_ops")!.kfuncFilter!;
    const may = (member: string, k: string) => !f.governs.includes(k) || f.common.includes(k) || (f.perMember[member] ?? []).includes(k);
    assert.ok(may("dispatch", "scx_bpf_dsq_move_to_local"));
    assert.ok(!may("enqueue", "scx_bpf_dsq_move_to_local"));
    assert.ok(may("enqueue", "scx_bpf_dsq_insert"));
    assert.ok(may("init", "scx_bpf_create_dsq"));
    assert.ok(!may("running", "scx_bpf_create_dsq"));
    assert.ok(may("running", "scx_bpf_task_running"), "scx_kfunc_ids_any: every op");
    assert.ok(may("running", "bpf_task_release"), "kfuncs outside the scx sets are not the filter's");
  });
});

interface RealworldRecord { object: string; program: string; verdict: string; insnsProcessed: number }

test("test/corpus/realworld scx_minimal.bpf.o (sched_ext_ops): verdicts and processed insns as the 7.2 kernel's", () => {
  const dir = join(corpusDir(), "realworld");
  const want = readFileSync(join(dir, "records.jsonl"), "utf8").split("\n").filter((l) => l.trim())
    .map((l) => JSON.parse(l) as RealworldRecord).filter((r) => r.object === "scx_minimal.bpf.o");
  assert.equal(want.length, 8);
  const obj = loadObject(readFileSync(join(dir, "objs", "scx_minimal.bpf.o")), { file: "scx_minimal.bpf.o" });
  const got = want.map((r) => {
    const v = verifyProgram(obj.programs.find((p) => p.name === r.program)!, { logLevel: 1 });
    return { program: r.program, verdict: v.verdict, insnsProcessed: v.insnsProcessed };
  });
  assert.deepEqual(got, want.map((r) => ({ program: r.program, verdict: r.verdict, insnsProcessed: r.insnsProcessed })));
});
