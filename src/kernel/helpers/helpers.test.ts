// The helper tables: invariants, spot checks against the 7.2 source text,
// and the kernel's own verdicts on the selftests corpus.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ARG_KINDS,
  HELPER_IDS,
  HELPER_PROTOS,
  HELPER_SELECTION,
  RET_KINDS,
  TYPE_FLAGS,
  helperByName,
  helperProto,
  helperProtoByName,
  helperVariants,
  resolveArgType,
  resolveRetType,
  typeFlagMask,
  configsOffFromBtf,
  selectorEntries,
  helperAllowed,
} from "./index.js";
import { loadBundledVmlinuxBtf } from "../../btf/index.js";
import { PROG_TYPES } from "../progtypes/index.js";

describe("helper id table (___BPF_FUNC_MAPPER)", () => {
  it("has the 211 helpers of the 7.2 UAPI plus unspec, ids 0..211 in order", () => {
    assert.equal(HELPER_IDS.length, 212);
    HELPER_IDS.forEach((h, i) => assert.equal(h.id, i));
    assert.equal(new Set(HELPER_IDS.map((h) => h.name)).size, HELPER_IDS.length);
  });
  it("names match the UAPI spelling", () => {
    // include/uapi/linux/bpf.h: FN(map_lookup_elem, 1), FN(tail_call, 12), FN(cgrp_storage_delete, 211)
    assert.equal(helperByName("map_lookup_elem")?.id, 1);
    assert.equal(helperByName("bpf_tail_call")?.id, 12);
    assert.equal(helperByName("BPF_FUNC_cgrp_storage_delete")?.id, 211);
    assert.equal(helperByName("bpf_no_such_helper"), undefined);
  });
  it("every helper id except unspec has a proto for some program type", () => {
    const withProto = new Set(HELPER_SELECTION.flatMap((s) => s.entries.map(([id]) => id)));
    const missing = HELPER_IDS.filter((h) => h.id !== 0 && !withProto.has(h.id)).map((h) => h.name);
    assert.deepEqual(missing, []);
    assert.equal(withProto.has(0), false);
  });
});

describe("proto table (const struct bpf_func_proto)", () => {
  it("keys are unique and every selected proto exists", () => {
    const keys = new Set(HELPER_PROTOS.map((p) => p.key));
    assert.equal(keys.size, HELPER_PROTOS.length);
    for (const s of HELPER_SELECTION) for (const [, vs] of selectorEntries(s)) {
      assert.ok(vs.length > 0, s.selector);
      for (const v of vs) assert.ok(keys.has(v.proto), `${s.selector}: ${v.proto}`);
    }
  });
  it("every ARG/RET kind and modifier flag is a kernel enumerator, and the spelled type is kind | flags", () => {
    for (const p of HELPER_PROTOS) {
      for (const a of [...p.args, p.ret]) {
        const kinds: Record<string, unknown> = a.kind.startsWith("ARG_") ? ARG_KINDS : RET_KINDS;
        assert.ok(a.kind in kinds, `${p.key}: ${a.kind}`);
        for (const f of a.flags) assert.ok(f in TYPE_FLAGS, `${p.key}: ${f}`);
        assert.deepEqual(a.type.split("|").map((s) => s.trim()).sort(), [a.kind, ...a.flags].sort());
      }
      assert.ok(p.args.length <= 5);
    }
  });
  it("alias enumerators are their base value with the flag bits set", () => {
    for (const table of [ARG_KINDS, RET_KINDS]) {
      for (const [name, row] of Object.entries(table)) {
        const base = (table as Record<string, { value: number }>)[row.base];
        assert.ok(base, name);
        assert.equal(row.value, base.value + typeFlagMask(row.flags), name);
      }
    }
    // include/linux/bpf.h: ARG_PTR_TO_UNINIT_MEM = MEM_UNINIT | MEM_WRITE | ARG_PTR_TO_MEM
    assert.deepEqual(ARG_KINDS.ARG_PTR_TO_UNINIT_MEM, { value: 4 + 2 ** 15 + 2 ** 26, base: "ARG_PTR_TO_MEM", flags: ["MEM_UNINIT", "MEM_WRITE"] });
    assert.equal(TYPE_FLAGS.PTR_MAYBE_NULL, 8);
  });
});

describe("spot checks against the 7.2 source", () => {
  it("bpf_map_lookup_elem (kernel/bpf/helpers.c)", () => {
    const p = helperProto(1, "BPF_PROG_TYPE_SOCKET_FILTER");
    assert.ok(p);
    assert.equal(p.name, "bpf_map_lookup_elem_proto");
    assert.equal(p.file, "kernel/bpf/helpers.c");
    assert.deepEqual(p.args.map((a) => a.type), ["ARG_CONST_MAP_PTR", "ARG_PTR_TO_MAP_KEY"]);
    assert.equal(p.ret.type, "RET_PTR_TO_MAP_VALUE_OR_NULL");
    assert.deepEqual(resolveRetType(p.ret), { base: "RET_PTR_TO_MAP_VALUE", flags: ["PTR_MAYBE_NULL"] });
    assert.equal(p.gplOnly, false);
    assert.equal(p.pktAccess, true);
    assert.equal(p.funcId, "BPF_FUNC_map_lookup_elem");
  });
  it("bpf_get_stackid has one variant per tracing program type (kernel/trace/bpf_trace.c)", () => {
    const want: [string, string][] = [
      ["BPF_PROG_TYPE_KPROBE", "bpf_get_stackid_proto"],
      ["BPF_PROG_TYPE_TRACEPOINT", "bpf_get_stackid_proto_tp"],
      ["BPF_PROG_TYPE_PERF_EVENT", "bpf_get_stackid_proto_pe"],
      ["BPF_PROG_TYPE_RAW_TRACEPOINT", "bpf_get_stackid_proto_raw_tp"],
    ];
    for (const [pt, proto] of want) assert.equal(helperProtoByName("bpf_get_stackid", pt as "BPF_PROG_TYPE_KPROBE")?.name, proto, pt);
    // bpf_get_stackid_proto_tp: .arg1_type = ARG_PTR_TO_CTX, .arg2_type = ARG_CONST_MAP_PTR, .arg3_type = ARG_ANYTHING
    assert.deepEqual(helperProtoByName("get_stackid", "BPF_PROG_TYPE_TRACEPOINT")?.args.map((a) => a.type), ["ARG_PTR_TO_CTX", "ARG_CONST_MAP_PTR", "ARG_ANYTHING"]);
    assert.equal(helperProtoByName("get_stackid", "BPF_PROG_TYPE_XDP"), undefined);
  });
  it("bpf_sk_lookup_tcp has skb/xdp/sock_addr variants (net/core/filter.c)", () => {
    assert.equal(helperProtoByName("sk_lookup_tcp", "BPF_PROG_TYPE_SCHED_CLS")?.name, "bpf_tc_sk_lookup_tcp_proto");
    assert.equal(helperProtoByName("sk_lookup_tcp", "BPF_PROG_TYPE_XDP")?.name, "bpf_xdp_sk_lookup_tcp_proto");
    assert.equal(helperProtoByName("sk_lookup_tcp", "BPF_PROG_TYPE_CGROUP_SOCK_ADDR")?.name, "bpf_sock_addr_sk_lookup_tcp_proto");
    assert.equal(helperProtoByName("sk_lookup_tcp", "BPF_PROG_TYPE_CGROUP_SKB")?.name, "bpf_sk_lookup_tcp_proto");
    const p = helperProtoByName("sk_lookup_tcp", "BPF_PROG_TYPE_XDP");
    assert.equal(p?.ret.type, "RET_PTR_TO_SOCKET_OR_NULL");
    // bpf_xdp_sk_lookup_tcp_proto (filter.c): .arg3_type = ARG_CONST_SIZE_OR_ZERO, .pkt_access = true
    assert.deepEqual(p?.args.map((a) => a.type), ["ARG_PTR_TO_CTX", "ARG_PTR_TO_MEM | MEM_RDONLY", "ARG_CONST_SIZE_OR_ZERO", "ARG_ANYTHING", "ARG_ANYTHING"]);
    assert.equal(p?.pktAccess, true);
    assert.deepEqual(resolveArgType(p!.args[1]!), { base: "ARG_PTR_TO_MEM", flags: ["MEM_RDONLY"] });
  });
  it("sock_addr_func_proto: bpf_bind only for the connect hooks", () => {
    assert.equal(helperProtoByName("bind", "BPF_PROG_TYPE_CGROUP_SOCK_ADDR", "BPF_CGROUP_INET4_CONNECT")?.name, "bpf_bind_proto");
    assert.equal(helperProtoByName("bind", "BPF_PROG_TYPE_CGROUP_SOCK_ADDR", "BPF_CGROUP_INET4_BIND"), undefined);
    assert.equal(helperProtoByName("bind", "BPF_PROG_TYPE_CGROUP_SOCK_ADDR"), undefined);
  });
  it("kprobe_prog_func_proto: bpf_get_func_ip depends on the multi attach types", () => {
    assert.equal(helperProtoByName("get_func_ip", "BPF_PROG_TYPE_KPROBE")?.name, "bpf_get_func_ip_proto_kprobe");
    assert.equal(helperProtoByName("get_func_ip", "BPF_PROG_TYPE_KPROBE", "BPF_TRACE_KPROBE_MULTI")?.name, "bpf_get_func_ip_proto_kprobe_multi");
    assert.equal(helperProtoByName("get_func_ip", "BPF_PROG_TYPE_KPROBE", "BPF_TRACE_UPROBE_SESSION")?.name, "bpf_get_func_ip_proto_uprobe_multi");
  });
  it("tracing_prog_func_proto: seq_printf only for iterators, probe_write_user needs CAP_SYS_ADMIN", () => {
    assert.equal(helperProtoByName("seq_printf", "BPF_PROG_TYPE_TRACING", "BPF_TRACE_ITER")?.name, "bpf_seq_printf_proto");
    assert.equal(helperProtoByName("seq_printf", "BPF_PROG_TYPE_TRACING", "BPF_TRACE_FENTRY"), undefined);
    assert.equal(helperProtoByName("probe_write_user", "BPF_PROG_TYPE_KPROBE")?.name, "bpf_probe_write_user_proto");
    assert.equal(helperProtoByName("probe_write_user", "BPF_PROG_TYPE_KPROBE", undefined, { capabilities: ["CAP_BPF", "CAP_PERFMON"] }), undefined);
    assert.equal(helperProtoByName("probe_write_user", "BPF_PROG_TYPE_KPROBE", undefined, { lockedDown: ["LOCKDOWN_BPF_WRITE_USER"] }), undefined);
  });
  it("bpf_base_func_proto: CAP_BPF then CAP_PERFMON gates, sleepable variant of get_task_stack", () => {
    assert.ok(helperProtoByName("spin_lock", "BPF_PROG_TYPE_SCHED_CLS"));
    assert.equal(helperProtoByName("spin_lock", "BPF_PROG_TYPE_SCHED_CLS", undefined, { capabilities: [] }), undefined);
    assert.ok(helperProtoByName("map_lookup_elem", "BPF_PROG_TYPE_SCHED_CLS", undefined, { capabilities: [] }));
    assert.equal(helperProtoByName("trace_printk", "BPF_PROG_TYPE_XDP", undefined, { capabilities: ["CAP_BPF"] }), undefined);
    assert.equal(helperProtoByName("trace_printk", "BPF_PROG_TYPE_XDP")?.name, "bpf_trace_printk_proto");
    assert.equal(helperProtoByName("get_task_stack", "BPF_PROG_TYPE_TRACING", "BPF_TRACE_FENTRY", { sleepable: true })?.name, "bpf_get_task_stack_sleepable_proto");
    assert.equal(helperProtoByName("get_task_stack", "BPF_PROG_TYPE_TRACING", "BPF_TRACE_FENTRY")?.name, "bpf_get_task_stack_proto");
  });
  it("bpf_lsm_func_proto: setsockopt only for BPF_LSM_CGROUP on the sockopt hook sets (kernel/bpf/bpf_lsm.c)", () => {
    const lsm = "BPF_PROG_TYPE_LSM" as const;
    assert.equal(helperProtoByName("setsockopt", lsm, "BPF_LSM_CGROUP", { attachTarget: "bpf_lsm_sock_graft" })?.name, "bpf_sk_setsockopt_proto");
    assert.equal(helperProtoByName("setsockopt", lsm, "BPF_LSM_CGROUP", { attachTarget: "bpf_lsm_socket_post_create" })?.name, "bpf_unlocked_sk_setsockopt_proto");
    assert.equal(helperProtoByName("setsockopt", lsm, "BPF_LSM_CGROUP", { attachTarget: "bpf_lsm_file_open" }), undefined);
    assert.equal(helperProtoByName("setsockopt", lsm, "BPF_LSM_MAC", { attachTarget: "bpf_lsm_sock_graft" }), undefined);
  });
  it(".allowed callbacks: bpf_d_path_allowed, bpf_sk_storage_tracing_allowed (bpf_trace.c, bpf_sk_storage.c)", () => {
    const dpath = helperProtoByName("d_path", "BPF_PROG_TYPE_TRACING", "BPF_TRACE_FENTRY");
    assert.ok(dpath);
    // btf_allowlist_d_path holds security_file_open and dentry_open; verifier_d_path.c's
    // d_path_reject (SEC("fentry/d_path"), __msg("helper call is not allowed in probe")) attaches to d_path
    assert.equal(helperAllowed(dpath, "BPF_TRACE_FENTRY", { attachTarget: "security_file_open" }), true);
    assert.equal(helperAllowed(dpath, "BPF_TRACE_FENTRY", { attachTarget: "dentry_open" }), true);
    assert.equal(helperAllowed(dpath, "BPF_TRACE_FENTRY", { attachTarget: "d_path" }), false);
    assert.equal(helperAllowed(dpath, "BPF_TRACE_ITER"), true);
    const skget = helperProtoByName("sk_storage_get", "BPF_PROG_TYPE_TRACING", "BPF_TRACE_FENTRY");
    assert.ok(skget);
    assert.equal(helperAllowed(skget, "BPF_TRACE_FENTRY", { attachTarget: "inet_csk_accept" }), true);
    assert.equal(helperAllowed(skget, "BPF_TRACE_FENTRY", { attachTarget: "bpf_sk_storage_free" }), false);
    assert.equal(helperAllowed(skget, "BPF_TRACE_FENTRY", { attachTarget: "inet_csk_accept", facts: { "prog->aux->dst_prog": true } }), false);
    assert.equal(helperAllowed(helperProtoByName("map_lookup_elem", "BPF_PROG_TYPE_XDP")!), true);
  });
  it("struct_ops programs take their struct_ops type's callback", () => {
    assert.equal(helperProtoByName("tcp_send_ack", "BPF_PROG_TYPE_STRUCT_OPS", undefined, { structOps: "tcp_congestion_ops" })?.name, "bpf_tcp_send_ack_proto");
    assert.equal(helperProtoByName("tcp_send_ack", "BPF_PROG_TYPE_STRUCT_OPS", undefined, { structOps: "sched_ext_ops" }), undefined);
    assert.equal(helperProtoByName("map_lookup_elem", "BPF_PROG_TYPE_STRUCT_OPS"), undefined);
    // bpf_tcp_ca_get_func_proto: no setsockopt from the release() callback
    const ca = { structOps: "tcp_congestion_ops" };
    assert.equal(helperProtoByName("setsockopt", "BPF_PROG_TYPE_STRUCT_OPS", undefined, { ...ca, structOpsMember: "cong_avoid" })?.name, "bpf_sk_setsockopt_nodelay_proto");
    assert.equal(helperProtoByName("setsockopt", "BPF_PROG_TYPE_STRUCT_OPS", undefined, { ...ca, structOpsMember: "release" }), undefined);
  });
  it("the variants of one (id, prog type) are told apart by their conditions", () => {
    const vs = helperVariants(helperByName("get_func_ip")!.id, "BPF_PROG_TYPE_KPROBE");
    assert.equal(vs.length, 3);
    assert.equal(new Set(vs.map((v) => v.proto)).size, 3);
  });
});

describe("CONFIG_* guarded cases", () => {
  it("bpf_override_return exists only with CONFIG_BPF_KPROBE_OVERRIDE (kernel/trace/bpf_trace.c)", () => {
    const p = helperProtoByName("override_return", "BPF_PROG_TYPE_KPROBE");
    assert.equal(p?.name, "bpf_override_return_proto");
    assert.deepEqual(p?.configs, ["CONFIG_BPF_KPROBE_OVERRIDE"]);
    assert.equal(helperProtoByName("override_return", "BPF_PROG_TYPE_KPROBE", undefined, { configsOff: ["CONFIG_BPF_KPROBE_OVERRIDE"] }), undefined);
  });
  it("the bundled 7.2 BTF (Debian's build) lacks exactly CONFIG_BPF_KPROBE_OVERRIDE among the options that matter", () => {
    const btf = loadBundledVmlinuxBtf("7.2");
    assert.deepEqual(configsOffFromBtf((name) => btf.findByNameKind(name, "FUNC") !== undefined), ["CONFIG_BPF_KPROBE_OVERRIDE"]);
  });
});

describe("the 7.2 kernel's verdicts on the selftests corpus", async () => {
  const { readFileSync } = await import("node:fs");
  const fixture = JSON.parse(readFileSync(new URL("../../../../src/kernel/helpers/fixtures/corpus-helper-calls.json", import.meta.url), "utf8")) as {
    rows: { progType: number; attachType: number; sleepable: boolean; capSysAdminDropped: boolean; iterTarget?: string; available: boolean; helperIds: number[]; example: string }[];
  };
  const { ATTACH_TYPES } = await import("../progtypes/index.js");
  it("helpers of loaded programs are available, denied ones are not", () => {
    let checked = 0;
    const wrong: string[] = [];
    for (const r of fixture.rows) {
      const pt = PROG_TYPES.find((p) => p.value === r.progType);
      if (pt === undefined || pt.name === "BPF_PROG_TYPE_EXT") continue; // EXT uses its target's type, unknown here
      const attach = ATTACH_TYPES.find((a) => a.value === r.attachType)?.name;
      const ctx = {
        sleepable: r.sleepable,
        capabilities: r.capSysAdminDropped ? ["CAP_BPF", "CAP_PERFMON", "CAP_NET_ADMIN"] : ("all" as const),
        ...(r.iterTarget !== undefined ? { iterTarget: r.iterTarget } : {}),
      };
      for (const id of r.helperIds) {
        checked++;
        const got = helperProto(id, pt.name, attach, ctx) !== undefined;
        if (got !== r.available) wrong.push(`${r.example}: ${pt.name}/${attach} helper ${id}: kernel ${r.available}, table ${got}`);
      }
    }
    assert.deepEqual(wrong, []);
    assert.ok(checked > 100, `only ${checked} checks`);
  });
});

describe("regeneration from a kernel tree", () => {
  const src = process.env.BPFVERIFY_KERNEL_SRC;
  it("every proto row says what the definition at its file:line says", { skip: src ? false : "set BPFVERIFY_KERNEL_SRC to a Linux 7.2 tree to run" }, async () => {
    const { readFileSync } = await import("node:fs");
    const cache = new Map<string, string[]>();
    const norm = (v: string) => v.replace(/\s+/g, " ").trim();
    const bad: string[] = [];
    for (const p of HELPER_PROTOS) {
      const lines = cache.get(p.file) ?? readFileSync(`${src}/${p.file}`, "latin1").split("\n");
      cache.set(p.file, lines);
      assert.match(lines[p.line - 1] ?? "", new RegExp(`struct bpf_func_proto\\s+${p.name}\\s*=\\s*\\{`), `${p.file}:${p.line}`);
      // the initializer's `.field = value,` lines, read straight from the text
      const fields = new Map<string, string>();
      for (let i = p.line; i < lines.length && !/^\s*\};/.test(lines[i]!); i++) {
        const m = /^\s*\.(\w+)\s*=\s*(.*?),?\s*(?:\/\*.*)?$/.exec(lines[i]!);
        if (m) fields.set(m[1]!, norm(m[2]!));
      }
      const want: [string, string | undefined][] = [
        ["ret_type", p.ret.type],
        ["ret_btf_id", p.ret.btfId?.src],
        ...p.args.flatMap((a, i): [string, string | undefined][] => [[`arg${i + 1}_type`, a.type], [`arg${i + 1}_btf_id`, a.btfId?.src], [`arg${i + 1}_size`, a.size?.src]]),
      ];
      for (const [k, v] of want) if (fields.get(k) !== v && !(k === "ret_type" && v === "RET_INTEGER" && !fields.has(k))) bad.push(`${p.key}.${k}: source ${fields.get(k)}, table ${v}`);
      for (const [k, flag] of [["gpl_only", p.gplOnly], ["pkt_access", p.pktAccess], ["might_sleep", p.mightSleep], ["allow_fastcall", p.allowFastcall]] as const) {
        if ((fields.get(k) === "true") !== flag) bad.push(`${p.key}.${k}: source ${fields.get(k)}, table ${flag}`);
      }
      const argFields = [...fields.keys()].filter((k) => /^arg\d_type$/.test(k)).length;
      if (argFields !== p.args.length) bad.push(`${p.key}: ${argFields} arg types in the source, ${p.args.length} in the table`);
    }
    assert.deepEqual(bad, []);
  });
  it("scripts/gen/helpers.mjs reproduces the checked-in files", { skip: src ? false : "set BPFVERIFY_KERNEL_SRC to a Linux 7.2 tree to run" }, async () => {
    const { readFileSync } = await import("node:fs");
    const gen = (await import(new URL("../../../../scripts/gen/helpers.mjs", import.meta.url).href)) as {
      generateHelpers(dir: string): { files: { path: string; contents: string }[] };
    };
    const { files } = gen.generateHelpers(src as string);
    assert.ok(files.length >= 3);
    for (const f of files) {
      const checkedIn = readFileSync(new URL(`../../../../${f.path}`, import.meta.url), "utf8");
      assert.ok(checkedIn === f.contents, `${f.path} differs from a fresh generation (run: node scripts/gen/helpers.mjs --kernel-src DIR)`);
    }
  });
});
