import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadBundledVmlinuxBtf } from "../btf/index.js";
import { ATTACH_TYPE_NUM, PROG_TYPE_NUM } from "./generated/libbpf-sections.js";
import { CTX_PROG_TYPE_GUESSES, DEFAULT_POSSIBLE_CPUS, guessProgTypeByCtxName, loadObject, mapTypeName, type LoadFixups, type LoadedObject } from "./index.js";

function testDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    if (existsSync(join(dir, "test", "fixtures", "fixups", "fixups.bpf.o"))) return join(dir, "test");
  }
  throw new Error("test/fixtures/fixups not found");
}
const TEST = testDir();
const fixture = (fixups?: LoadFixups, possibleCpus?: number) =>
  loadObject(join(TEST, "fixtures", "fixups", "fixups.bpf.o"), { fixups, possibleCpus });
const realworld = (name: string, fixups?: LoadFixups) => loadObject(join(TEST, "corpus", "realworld", "objs", name), { fixups });
const sizes = (o: LoadedObject) => Object.fromEntries(o.maps.flatMap((m) => [[m.name, m.maxEntries], ...(m.inner ? [[m.inner.name, m.inner.maxEntries]] : [])]));

test("fixups: veristat's ctx-name table has unique names and only real program/attach types", () => {
  const names = CTX_PROG_TYPE_GUESSES.flatMap((g) => [g.uapiName, ...(g.kernName !== null ? [g.kernName] : [])]);
  // bpf_cgroup_dev_ctx is its own kernel name; every other name appears once.
  assert.equal(new Set(names).size, names.length - 1);
  for (const g of CTX_PROG_TYPE_GUESSES) {
    assert.ok(g.progType in PROG_TYPE_NUM && g.attachType in ATTACH_TYPE_NUM, g.uapiName);
    assert.equal(guessProgTypeByCtxName(g.uapiName), g);
    if (g.kernName !== null) assert.equal(guessProgTypeByCtxName(g.kernName), g);
  }
  assert.equal(guessProgTypeByCtxName("__sk_buff")?.progType, "BPF_PROG_TYPE_SCHED_CLS");
  assert.equal(guessProgTypeByCtxName("sock")?.attachType, "BPF_CGROUP_INET4_POST_BIND");
  assert.equal(guessProgTypeByCtxName("pt_regs")?.progType, "BPF_PROG_TYPE_KPROBE");
  // raw tracepoints have no kernel-side name to match
  assert.equal(guessProgTypeByCtxName("u64"), undefined);
  assert.equal(guessProgTypeByCtxName(""), undefined);
});

test("fixups: libbpf sizes a PERF_EVENT_ARRAY of max_entries 0 by the possible CPUs; other maps keep 0", () => {
  assert.deepEqual(sizes(fixture()), { sized_later: 0, rb: 0, events: DEFAULT_POSSIBLE_CPUS, sk_stg: 0, outer: 2, "outer.inner": DEFAULT_POSSIBLE_CPUS, sized: 4 });
  assert.equal(sizes(fixture("none", 8))["events"], 8);
});

test("fixups: veristat gives every map of max_entries 0 one entry (a ring buffer a page), local storage and inner maps aside", () => {
  const o = fixture("veristat");
  // the inner template is not one of the object's maps: libbpf sizes it at creation
  assert.deepEqual(sizes(o), { sized_later: 1, rb: 4096, events: 1, sk_stg: 0, outer: 2, "outer.inner": DEFAULT_POSSIBLE_CPUS, sized: 4 });
  for (const p of o.programs) assert.deepEqual(p.maps.map((m) => m.maxEntries), o.maps.map((m) => m.maxEntries), p.name);
});

test("fixups: veristat retypes freplace programs from their context argument; libbpf then looks the target up in the kernel", () => {
  const want: Record<string, [progType: string, attachType: string, note: string, loadError: string]> = {
    new_get_skb_len: ["sched_cls", "cgroup_inet_ingress", "freplace: loaded as guessed type sched_cls (ctx __sk_buff)", "failed to find kernel BTF type ID of 'get_skb_len': -ESRCH"],
    new_xdp_main: ["xdp", "xdp", "freplace: loaded as guessed type xdp (ctx xdp_md)", "failed to find kernel BTF type ID of 'xdp_main': -ESRCH"],
    // const/volatile in front of the struct do not hide its name
    new_connect_v4: ["cgroup_sock_addr", "cgroup_inet4_bind", "freplace: loaded as guessed type cgroup_sock_addr (ctx bpf_sock_addr)", "failed to find kernel BTF type ID of 'connect_v4': -ESRCH"],
    // a typedef is matched by its own name
    new_kprobe_target: ["kprobe", "cgroup_inet_ingress", "freplace: loaded as guessed type kprobe (ctx bpf_user_pt_regs_t)", "failed to find kernel BTF type ID of 'kprobe_target': -ESRCH"],
    new_two_args: ["ext", "cgroup_inet_ingress", "freplace: cannot guess the target program type (not 1 argument)", "attach program FD is not set"],
    new_scalar_arg: ["ext", "cgroup_inet_ingress", "freplace: cannot guess the target program type (arg is not a pointer)", "attach program FD is not set"],
    new_own_ctx: ["ext", "cgroup_inet_ingress", "freplace: cannot guess the target program type from ctx 'my_ctx'", "attach program FD is not set"],
  };
  const veristat = fixture("veristat");
  const plain = fixture();
  for (const [name, [progType, attachType, note, loadError]] of Object.entries(want)) {
    const p = veristat.programs.find((q) => q.name === name)!;
    assert.deepEqual([p.progTypeName, p.expectedAttachTypeName, p.fixupNote, p.loadError], [progType, attachType, note, `prog '${name}': ${loadError}`], name);
    assert.equal(p.progTypeNum, PROG_TYPE_NUM[p.progType]);
    // libbpf alone: an freplace program needs the target program's fd
    const q = plain.programs.find((x) => x.name === name)!;
    assert.deepEqual([q.progTypeName, q.fixupNote, q.loadError], ["ext", null, `prog '${name}': attach program FD is not set`], name);
  }
  const tc = veristat.programs.find((q) => q.name === "plain_tc")!;
  assert.deepEqual([tc.progTypeName, tc.fixupNote, tc.loadError], ["sched_cls", null, null]);
});

test("fixups: masking other programs' struct_ops slots keeps each program's target", () => {
  const strip = (o: LoadedObject) => o.programs.map((p) => ({ ...p, fixupLog: undefined, logFixup: undefined }));
  const plain = realworld("scx_minimal.bpf.o");
  const veristat = realworld("scx_minimal.bpf.o", "veristat");
  assert.ok(plain.programs.length > 1 && plain.programs.every((p) => p.structOps !== null && p.attachBtfId > 0 && p.loadError === null));
  assert.deepEqual(strip(veristat), strip(plain));
});

test("fixups: a struct_ops slot the kernel has no member for fails the whole object, unless masked to its own program", () => {
  const load = (fixups: LoadFixups) => loadObject(join(TEST, "fixtures", "fixups", "struct_ops.bpf.o"), { fixups }).programs;
  const err = "struct_ops init_kern fx_cc: Cannot find member not_in_kernel in kernel BTF";
  const members = (ps: ReturnType<typeof load>) => ps.map((p) => [p.name, p.structOps?.member ?? null, p.loadError]);
  assert.deepEqual(members(load("none")), [["fx_init", "init", err], ["fx_release", "release", err], ["fx_new_op", null, err]]);
  assert.deepEqual(members(load("veristat")), [["fx_init", "init", null], ["fx_release", "release", null], ["fx_new_op", null, err]]);
  // the member's index in the kernel's tcp_congestion_ops is the expected attach type, in both modes
  const vmlinux = loadBundledVmlinuxBtf("7.2");
  const kt = vmlinux.type(vmlinux.findByNameKind("tcp_congestion_ops", "STRUCT")!);
  const kmembers: readonly { name: string }[] = kt.kind === "STRUCT" ? kt.members : [];
  const want = ["init", "release"].map((n) => kmembers.findIndex((m) => m.name === n));
  assert.ok(want.every((i) => i >= 0));
  for (const ps of [load("none"), load("veristat")]) assert.deepEqual(ps.slice(0, 2).map((p) => p.expectedAttachTypeNum), want);
});

test("fixups: the realworld corpus was loaded with veristat's fix-ups (execsnoop's perf event array of max_entries 0)", () => {
  const records = readFileSync(join(TEST, "corpus", "realworld", "records.jsonl"), "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as { object: string; program: string; maps: { name: string; maxEntries: number }[] | null });
  const want = records.find((r) => r.object === "execsnoop.bpf.o" && r.maps)!.maps!.find((m) => m.name === "events");
  const events = (fixups?: LoadFixups) => realworld("execsnoop.bpf.o", fixups).maps.find((m) => m.name === "events")!;
  assert.equal(mapTypeName(events().type), "perf_event_array");
  assert.equal(want?.maxEntries, 1);
  assert.equal(events("veristat").maxEntries, want.maxEntries);
  assert.equal(events().maxEntries, DEFAULT_POSSIBLE_CPUS);
});
