// The bundled 7.2 profile: its kfunc catalog against the 7.2 vmlinux BTF, per-hook
// flags as the source declares them, program-type admission as btf_kfunc_is_allowed,
// module BTFs, and --btf with another file.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliDecompressSync } from "node:zlib";
import { bundledBtfPath } from "../btf/index.js";
import { loadProfile, nearestVersion, type Profile } from "./profile.js";
import { KFUNC_CATALOG } from "./generated/7.2/kfuncs.js";
import { KFUNC_CATALOG as TESTMOD_CATALOG } from "./generated/testmod/kfuncs.js";

function corpusBtf(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, "test", "corpus", "btf", name);
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new Error(`test/corpus/btf/${name} not found`);
}

let cached: Profile | undefined;
const bundled = (): Profile => (cached ??= loadProfile());

describe("bundled 7.2 kfunc catalog", () => {
  it("has the 305 BTF_ID_FLAGS kfuncs of the 7.2 vmlinux BTF plus the 3 XDP metadata kfuncs (issue 3 acceptance)", () => {
    const vm = bundled().kfuncs.filter((k) => k.module === undefined);
    const xdp = vm.filter((k) => k.xdpMetadata).map((k) => k.name).sort();
    assert.deepEqual(xdp, ["bpf_xdp_metadata_rx_hash", "bpf_xdp_metadata_rx_timestamp", "bpf_xdp_metadata_rx_vlan_tag"]);
    assert.equal(vm.length - xdp.length, 305);
  });

  it("matches the BTF's own record of kfuncs: every FUNC tagged bpf_kfunc is in the catalog and vice versa", () => {
    // pahole tags the functions of BTF_KFUNCS sets with decl_tag "bpf_kfunc": an independent view
    const btf = bundled().vmlinuxBtf;
    const tagged = new Set<string>();
    for (const id of btf.ownIds()) {
      const t = btf.type(id);
      if (t.kind === "DECL_TAG" && t.name === "bpf_kfunc") tagged.add(btf.typeName(t.type));
    }
    const ours = new Set(bundled().kfuncs.map((k) => k.name));
    assert.deepEqual([...tagged].filter((n) => !ours.has(n)), []);
    assert.deepEqual([...ours].filter((n) => !tagged.has(n)), []);
  });

  it("keeps flags per hook: five hid_bpf kfuncs are KF_SLEEPABLE in the STRUCT_OPS set only (drivers/hid/bpf/hid_bpf_dispatch.c)", () => {
    const p = bundled();
    for (const n of ["hid_bpf_allocate_context", "hid_bpf_release_context", "hid_bpf_hw_request", "hid_bpf_hw_output_report", "hid_bpf_input_report"]) {
      const k = p.kfuncByName(n)!;
      const so = k.hooks.find((h) => h.hook === "BTF_KFUNC_HOOK_STRUCT_OPS")!.flags;
      const sc = k.hooks.find((h) => h.hook === "BTF_KFUNC_HOOK_SYSCALL")!.flags;
      assert.ok(so.includes("KF_SLEEPABLE") && !sc.includes("KF_SLEEPABLE"), n);
      assert.ok(p.kfuncFlags(k, "BPF_PROG_TYPE_STRUCT_OPS")!.includes("KF_SLEEPABLE"));
      assert.ok(!p.kfuncFlags(k, "BPF_PROG_TYPE_SYSCALL")!.includes("KF_SLEEPABLE"));
    }
    // as written in hid_bpf_dispatch.c's two sets
    assert.deepEqual(p.kfuncByName("hid_bpf_allocate_context")!.hooks.map((h) => [h.hook, h.flags]), [
      ["BTF_KFUNC_HOOK_STRUCT_OPS", ["KF_ACQUIRE", "KF_RET_NULL", "KF_SLEEPABLE"]],
      ["BTF_KFUNC_HOOK_SYSCALL", ["KF_ACQUIRE", "KF_RET_NULL"]],
    ]);
  });

  it("admits program types as btf_kfunc_is_allowed: COMMON for all, else the type's hook", () => {
    const p = bundled();
    const lock = p.kfuncByName("bpf_rcu_read_lock")!; // common_btf_ids (kernel/bpf/helpers.c)
    assert.equal(p.kfuncAllowed(lock, "BPF_PROG_TYPE_SK_LOOKUP").via, "BTF_KFUNC_HOOK_COMMON");
    const acq = p.kfuncByName("bpf_task_acquire")!; // generic_btf_ids: TRACING, TC, XDP, STRUCT_OPS, SYSCALL, CGROUP_SKB
    assert.equal(p.kfuncAllowed(acq, "BPF_PROG_TYPE_LSM").via, "BTF_KFUNC_HOOK_TRACING");
    assert.equal(p.kfuncAllowed(acq, "BPF_PROG_TYPE_SOCK_OPS").via, "BTF_KFUNC_HOOK_CGROUP");
    assert.equal(p.kfuncAllowed(acq, "BPF_PROG_TYPE_SK_LOOKUP").allowed, false);
    const ck = p.kfuncByName("bpf_session_cookie")!; // registered for KPROBE and TRACING with bpf_session_filter
    assert.deepEqual(p.kfuncAllowed(ck, "BPF_PROG_TYPE_KPROBE").filters, ["bpf_session_filter"]);
    assert.deepEqual(p.kfuncAllowed(ck, "BPF_PROG_TYPE_KPROBE").routes.map((r) => r.hook), ["BTF_KFUNC_HOOK_KPROBE"]);
    assert.equal(p.kfuncAllowed(ck, "BPF_PROG_TYPE_XDP").allowed, false);
  });

  it("finds kfuncs by BTF id and the verifier's special slots", () => {
    const p = bundled();
    const k = p.kfuncByName("bpf_obj_new")!;
    assert.equal(p.kfuncByBtfId(k.btfId), k);
    assert.equal(p.vmlinuxBtf.typeName(k.btfId), "bpf_obj_new");
    assert.equal(p.specialKfuncId("KF_bpf_obj_new"), k.btfId);
    assert.equal(p.kfuncProto(k).implProto, "bpf_obj_new_impl");
    assert.equal(p.vmlinuxBtf.typeName(p.specialKfuncId("KF_bpf_obj_new_impl")!), "bpf_obj_new_impl");
    // fmodret-only BTF_SET8 members are attach targets, not kfuncs (net/mptcp/bpf.c)
    assert.equal(p.kfuncByName("update_socket_protocol"), undefined);
    const usp = p.vmlinuxBtf.findByNameKind("update_socket_protocol", "FUNC")!;
    assert.deepEqual(p.fmodretTarget(usp)?.flags, []);
    // net/bpf/test_run.c bpf_test_modify_return_ids: BTF_ID_FLAGS(func, bpf_fentry_test1, KF_SLEEPABLE)
    const ft1 = p.vmlinuxBtf.findByNameKind("bpf_fentry_test1", "FUNC")!;
    assert.deepEqual(p.fmodretTarget(ft1)?.flags, ["KF_SLEEPABLE"]);
    assert.equal(p.fmodretTarget(k.btfId), undefined);
  });

  it("every catalog row's flags are the BTF_ID_FLAGS line of its set in the generated source record", () => {
    const bySet = new Map(KFUNC_CATALOG.sets.map((s) => [s.key, s]));
    for (const r of KFUNC_CATALOG.catalog) {
      const e = bySet.get(r.set)!.entries.find((x) => x.name === r.name)!;
      assert.deepEqual(r.flags, e.flags, `${r.name} ${r.hook}`);
    }
  });
});

describe("module BTFs and other kernels' BTF", () => {
  it("binds module kfuncs to their module: bpf_testmod's own catalog, nf_conntrack's kfuncs from the kernel catalog", () => {
    const p = loadProfile({ moduleBtfs: [corpusBtf("bpf_testmod.btf"), { name: "nf_conntrack", path: corpusBtf("nf_conntrack.btf") }] });
    const t = p.kfuncByName("bpf_kfunc_call_test1")!;
    assert.equal(t.module, "bpf_testmod");
    assert.equal(p.kfuncByBtfId(t.btfId, "bpf_testmod"), t);
    assert.equal(p.kfuncByBtfId(t.btfId), undefined);
    assert.ok(t.btfId >= p.vmlinuxBtf.typeCount, "module ids continue after vmlinux's");
    assert.equal(p.kfuncByName("bpf_skb_ct_lookup")!.module, "nf_conntrack");
    assert.equal(p.kfuncByName("bpf_skb_ct_lookup")!.hooks[0]!.hook, "BTF_KFUNC_HOOK_XDP");
  });

  it("--btf PATH: another BTF file gets the nearest catalog", () => {
    const dir = mkdtempSync(join(tmpdir(), "bpfverify-profile-"));
    try {
      const path = join(dir, "vmlinux");
      writeFileSync(path, brotliDecompressSync(readFileSync(bundledBtfPath("7.2"))));
      const p = loadProfile({ btfPath: path, version: "7.3" });
      assert.equal(p.customBtf, true);
      assert.equal(p.version, "7.2");
      assert.equal(p.kfuncs.length, bundled().kfuncs.length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(nearestVersion("6.18"), "7.2");
    assert.equal(nearestVersion("7.2.13"), "7.2");
  });
});

describe("regeneration from a kernel tree", () => {
  const src = process.env.BPFVERIFY_KERNEL_SRC;
  it("every set's entries are the BTF_ID_FLAGS lines between its _START and _END in the source", { skip: src ? false : "set BPFVERIFY_KERNEL_SRC to a Linux 7.2 tree to run" }, () => {
    // a plain line scan, independent of the generator's parser (#if lines are not evaluated:
    // the catalog keeps every entry with its condition)
    const bad: string[] = [];
    for (const set of [...KFUNC_CATALOG.sets, ...TESTMOD_CATALOG.sets]) {
      const lines = readFileSync(join(src as string, set.file), "latin1").split("\n");
      assert.match(lines[set.line - 1] ?? "", new RegExp(`BTF_(KFUNCS|SET8)_START\\(${set.name}\\)`), `${set.file}:${set.line}`);
      const got: string[] = [];
      for (let i = set.line; i < lines.length && !new RegExp(`_END\\(${set.name}\\)`).test(lines[i]!); i++) {
        const m = /^\s*BTF_ID_FLAGS\(func,\s*(\w+)\s*(?:,\s*([^)]*))?\)/.exec(lines[i]!);
        if (m) got.push(`${m[1]} ${(m[2] ?? "").split("|").map((f) => f.trim()).filter(Boolean).join("|")}`);
      }
      const want = set.entries.filter((e) => e.via === undefined).map((e) => `${e.name} ${e.flags.join("|")}`);
      if (got.join(",") !== want.join(",")) bad.push(`${set.key}: source ${got.join(",")} / catalog ${want.join(",")}`);
    }
    assert.deepEqual(bad, []);
  });
  it("scripts/gen/kfuncs.mjs reproduces the checked-in catalogs", { skip: src ? false : "set BPFVERIFY_KERNEL_SRC to a Linux 7.2 tree to run" }, async () => {
    const gen = (await import(new URL("../../../scripts/gen/kfuncs.mjs", import.meta.url).href)) as {
      generateKfuncs(dir: string): { files: { path: string; contents: string }[]; warnings: string[] };
    };
    const { files, warnings } = gen.generateKfuncs(src as string);
    assert.deepEqual(warnings, []);
    assert.equal(files.length, 2);
    for (const f of files) {
      const checkedIn = readFileSync(new URL(`../../../${f.path}`, import.meta.url), "utf8");
      assert.ok(checkedIn === f.contents, `${f.path} differs from a fresh generation (run: node scripts/gen/kfuncs.mjs --kernel-src DIR)`);
    }
  });
});
