import { test } from "node:test";
import assert from "node:assert/strict";
import { HELPER_SIDE, MAP_SIDE, mapFuncCompat, maySockmapUpdate } from "./map-compat.js";
import { PLAIN_PTR_RET, SOCK_ARG_COMPAT, resolveMapArgType } from "./kinds.js";
import { isAcquireHelper, isPtrCastHelper } from "./refs.js";
import { HELPER_SPECIAL_CASES, helperChangesPktData } from "./special.js";
import { DEFAULT_NR_CPU_IDS, getRetvalRangeKind } from "./retval.js";
import { MEM_RDONLY, MEM_UNINIT, MEM_WRITE } from "../state/reg-type.js";
import { helperByName } from "../../kernel/helpers/index.js";
import { MAP_TYPE_NUM } from "../../loader/generated/libbpf-sections.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { VerifierEnv } from "../env.js";
import { Reject } from "../reject.js";
import { loadObject } from "../../loader/index.js";
import { verifyProgram } from "../../api/verify-program.js";
import { corpusDir } from "../../selftest/index.js";




test("map/helper compatibility is checked both ways, with the kernel's message", () => {
  // include/uapi/linux/bpf.h: BPF_MAP_TYPE_PROG_ARRAY = 3, BPF_FUNC_map_lookup_elem = 1
  assert.deepEqual(mapFuncCompat("BPF_MAP_TYPE_PROG_ARRAY", "bpf_map_lookup_elem", 1, "BPF_PROG_TYPE_XDP", ""),
    { ok: false, logs: [], error: "cannot pass map_type 3 into func bpf_map_lookup_elem#1\n" });
  // a plain hash has no map-side row, but percpu lookup wants a percpu map
  assert.equal(mapFuncCompat("BPF_MAP_TYPE_HASH", "bpf_map_lookup_percpu_elem", 195, "BPF_PROG_TYPE_XDP", "").ok, false);
  assert.equal(mapFuncCompat("BPF_MAP_TYPE_HASH", "bpf_timer_init", 169, "BPF_PROG_TYPE_XDP", "").ok, true);
  assert.equal(mapFuncCompat("BPF_MAP_TYPE_INSN_ARRAY", "bpf_map_lookup_elem", 1, "BPF_PROG_TYPE_XDP", "").ok, false);
});

test("sockmap updates depend on the program type (may_update_sockmap)", () => {
  assert.equal(mapFuncCompat("BPF_MAP_TYPE_SOCKMAP", "bpf_map_update_elem", 2, "BPF_PROG_TYPE_SCHED_CLS", "").ok, true);
  assert.deepEqual(mapFuncCompat("BPF_MAP_TYPE_SOCKHASH", "bpf_map_update_elem", 2, "BPF_PROG_TYPE_KPROBE", ""), {
    ok: false, logs: ["cannot update sockmap in this context\n"], error: `cannot pass map_type ${MAP_TYPE_NUM.BPF_MAP_TYPE_SOCKHASH} into func bpf_map_update_elem#2\n`,
  });
  assert.equal(maySockmapUpdate("bpf_map_delete_elem", "BPF_PROG_TYPE_SOCK_OPS", ""), "yes");
  assert.equal(maySockmapUpdate("bpf_map_update_elem", "BPF_PROG_TYPE_SOCK_OPS", ""), "log");
  assert.equal(maySockmapUpdate("bpf_map_update_elem", "BPF_PROG_TYPE_TRACING", "BPF_TRACE_ITER"), "yes");
  // not an update: refused without the sockmap line
  assert.equal(maySockmapUpdate("bpf_map_push_elem", "BPF_PROG_TYPE_KPROBE", ""), "no");
});

test("the two compatibility tables agree where both have a row", () => {
  for (const [helper, maps] of Object.entries(HELPER_SIDE)) {
    for (const m of maps) {
      const row = MAP_SIDE[m];
      if (row) assert.ok(row.helpers.includes(helper), `${m} should list ${helper}`);
    }
  }
  for (const name of [...Object.keys(HELPER_SIDE), ...Object.values(MAP_SIDE).flatMap((r) => r.helpers)]) {
    assert.ok(helperByName(name.replace(/^bpf_/, "")), `${name} is a helper`);
  }
  for (const m of [...Object.keys(MAP_SIDE), ...Object.values(HELPER_SIDE).flat()]) assert.ok(m in MAP_TYPE_NUM, m);

});

test("resolve_map_arg_type", () => {
  const value = { base: "ARG_PTR_TO_MAP_VALUE", flags: 0 };
  assert.deepEqual(resolveMapArgType("BPF_MAP_TYPE_SOCKMAP", "bpf_map_update_elem", value), { base: "ARG_PTR_TO_BTF_ID_SOCK_COMMON", flags: 0 });
  assert.deepEqual(resolveMapArgType("BPF_MAP_TYPE_SOCKHASH", "bpf_map_peek_elem", { base: "ARG_PTR_TO_MAP_VALUE", flags: MEM_UNINIT | MEM_WRITE }),
    { error: "invalid arg_type for sockmap/sockhash\n" });
  assert.deepEqual(resolveMapArgType("BPF_MAP_TYPE_BLOOM_FILTER", "bpf_map_peek_elem", { base: "ARG_PTR_TO_MAP_VALUE", flags: MEM_UNINIT | MEM_WRITE }), value);
  assert.deepEqual(resolveMapArgType("BPF_MAP_TYPE_HASH", "bpf_map_update_elem", { base: "ARG_PTR_TO_MAP_VALUE", flags: MEM_RDONLY }), { base: "ARG_PTR_TO_MAP_VALUE", flags: MEM_RDONLY });
  assert.deepEqual(resolveMapArgType(undefined, "bpf_map_update_elem", value), { error: "bug" });
});

test("socket kinds: argument rows and return kinds", () => {
  // bpf_sk_release takes anything sock_common-like, bpf_sk_fullsock's result is a full socket only
  assert.equal(SOCK_ARG_COMPAT.ARG_PTR_TO_SOCKET.length, 1);
  assert.deepEqual(SOCK_ARG_COMPAT.ARG_PTR_TO_BTF_ID_SOCK_COMMON.slice(0, 4), SOCK_ARG_COMPAT.ARG_PTR_TO_SOCK_COMMON);
  assert.equal(PLAIN_PTR_RET.RET_PTR_TO_SOCKET, "PTR_TO_SOCKET");
});

test("acquiring and casting helpers", () => {
  assert.ok(isAcquireHelper("bpf_sk_lookup_tcp", null));
  assert.ok(isAcquireHelper("bpf_ringbuf_reserve", null));
  assert.ok(!isAcquireHelper("bpf_map_lookup_elem", null));
  assert.ok(isAcquireHelper("bpf_map_lookup_elem", { name: "m", type: "BPF_MAP_TYPE_SOCKHASH", keySize: 4, valueSize: 8, maxEntries: 1, flags: 0 }));
  assert.ok(isPtrCastHelper("bpf_sk_fullsock") && isPtrCastHelper("bpf_tcp_sock"));
  assert.ok(!isPtrCastHelper("bpf_sk_release"));
});

test("special cases and packet-changing helpers", () => {
  for (const name of Object.keys(HELPER_SPECIAL_CASES)) assert.ok(helperByName(name.replace(/^bpf_/, "")), name);
  assert.ok(helperChangesPktData("bpf_skb_pull_data"));
  // a taken tail call does not return: the main program keeps its packet pointers
  assert.ok(!helperChangesPktData("bpf_tail_call"));
  assert.ok(!helperChangesPktData("bpf_skb_load_bytes"));
});

test("retval ranges", () => {
  assert.ok(Number.isInteger(DEFAULT_NR_CPU_IDS) && DEFAULT_NR_CPU_IDS >= 1);
  assert.equal(getRetvalRangeKind("BPF_PROG_TYPE_CGROUP_SOCKOPT", "BPF_CGROUP_GETSOCKOPT"), "none");
  assert.equal(getRetvalRangeKind("BPF_PROG_TYPE_CGROUP_SOCKOPT", "BPF_CGROUP_SETSOCKOPT"), "errno");
  assert.equal(getRetvalRangeKind("BPF_PROG_TYPE_LSM", "BPF_LSM_CGROUP"), "lsm");
});

test("bpf_snprintf format strings (bpf_bprintf_prepare)", async () => {
  const { bprintfFormatOk } = await import("./snprintf.js");
  const f = (s: string): Uint8Array => new TextEncoder().encode(s + "\0");
  assert.ok(bprintfFormatOk(f("%d %u %lld %llx %s %c %% %pI4 %pks"), 8));
  assert.ok(!bprintfFormatOk(f("%d %d"), 1), "more specifiers than arguments");
  assert.ok(!bprintfFormatOk(f("%z"), 1), "unsupported conversion");
  assert.ok(!bprintfFormatOk(f("%pI5"), 1), "only IPv4/IPv6 addresses");
  assert.ok(!bprintfFormatOk(f("%sx"), 1), "%s must end a word");
  assert.ok(!bprintfFormatOk(f("a\x01b"), 0), "control bytes");
  assert.ok(bprintfFormatOk(f("\u00e9t\u00e9 %5d"), 1), "UTF-8 text and widths pass");
  assert.ok(!bprintfFormatOk(new Uint8Array([0x25, 0x64]), 1), "no NUL");
});

/** Runs check_get_func_ip for a program type/attach type: "" when allowed, else the log line. */
function getFuncIp(progType: string, expectedAttachType: string): string {
  const log: string[] = [];
  const env = { input: { progType, expectedAttachType }, verbose: (m: string) => log.push(m) } as unknown as VerifierEnv;
  try {
    HELPER_SPECIAL_CASES.bpf_get_func_ip!(env);
  } catch (e) {
    assert.ok(e instanceof Reject && e.errno === "ENOTSUPP");
  }
  return log.join("");
}

test("check_get_func_ip: kprobes of every flavour and trampoline programs have the traced function's ip", () => {
  for (const eat of ["", "BPF_TRACE_KPROBE_MULTI", "BPF_TRACE_KPROBE_SESSION", "BPF_TRACE_UPROBE_MULTI"]) {
    assert.equal(getFuncIp("BPF_PROG_TYPE_KPROBE", eat), "", eat);
  }
  for (const eat of ["BPF_TRACE_FENTRY", "BPF_TRACE_FEXIT", "BPF_MODIFY_RETURN", "BPF_TRACE_FSESSION_MULTI"]) {
    assert.equal(getFuncIp("BPF_PROG_TYPE_TRACING", eat), "", eat);
  }
  for (const eat of ["BPF_TRACE_RAW_TP", "BPF_TRACE_ITER"]) {
    assert.equal(getFuncIp("BPF_PROG_TYPE_TRACING", eat), "func bpf_get_func_ip#173 supported only for fentry/fexit/fsession/fmod_ret programs\n");
  }
  // LSM is offered the helper (tracing_prog_func_proto) but check_get_func_ip knows only the two types
  assert.equal(getFuncIp("BPF_PROG_TYPE_LSM", "BPF_LSM_MAC"), "func bpf_get_func_ip#173 not supported for program type 29\n");
});

// SEC("kprobe.multi/vfs_*") calling bpf_get_func_ip: 7.2 verifies it in 15 insns.
test("kmulti (tools2.bpf.o): bpf_get_func_ip in a kprobe.multi program", () => {
  const lo = loadObject(readFileSync(join(corpusDir(), "realworld", "objs", "tools2.bpf.o")), { file: "tools2.bpf.o" });
  const r = verifyProgram(lo.programs.find((p) => p.name === "kmulti")!);
  assert.equal(r.verdict, "success");
  assert.equal(r.insnsProcessed, 15);
});
