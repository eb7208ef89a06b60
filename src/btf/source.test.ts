import { test } from "node:test";
import assert from "node:assert/strict";
import { InputError } from "../util/errors.js";
import { parseBtf } from "./parse.js";
import { btfTypeStr } from "./naming.js";
import { loadBtfFile, loadBundledVmlinuxBtf, parseBtfOrElf } from "./source.js";
import { declTags, findMember, funcProto, resolveSize, skipModsAndTypedefs } from "./walk.js";
import { fixturePath, readFixture } from "./fixtures.test-util.js";

test("bundled 7.2 vmlinux BTF: parses fast, task_struct and friends", () => {
  const t0 = performance.now();
  const btf = loadBundledVmlinuxBtf();
  const ms = performance.now() - t0;
  assert.ok(ms < 5000, `load took ${ms} ms`);
  assert.equal(loadBundledVmlinuxBtf("7.2"), btf, "loaded once per process");
  const ts = btf.findByNameKind("task_struct", "STRUCT")!;
  assert.ok(ts > 0);
  assert.equal(btfTypeStr(btf, ts), "STRUCT");
  const pid = findMember(btf, ts, "pid")!.member;
  assert.equal(btf.typeName(pid.type), "pid_t");
  assert.equal(resolveSize(btf, pid.type), 4);
  assert.equal(btf.typeName(skipModsAndTypedefs(btf, pid.type)), "int");
  // a kfunc: bpf_task_acquire(struct task_struct *p) returns struct task_struct *
  const f = btf.findByNameKind("bpf_task_acquire", "FUNC")!;
  const proto = funcProto(btf, f)!;
  assert.equal(proto.params.length, 1);
  assert.equal(btfTypeStr(btf, proto.returnType), "PTR");
  assert.equal(btf.sizeOrType(proto.returnType), ts);
  assert.equal(btf.findByNameKind("bpf_map_lookup_elem_not_a_thing", "FUNC"), undefined);
  assert.ok(Array.isArray(declTags(btf, f)));
});

test("bpf_testmod split BTF over the bundled vmlinux", () => {
  const base = loadBundledVmlinuxBtf();
  const mod = loadBtfFile(fixturePath("bpf_testmod.btf"), { base, name: "bpf_testmod" });
  assert.equal(mod.startId, base.typeCount);
  assert.equal(mod.header.hdrLen, 32, "7.2 pahole writes the 32-byte header");
  const k = mod.findByNameKind("bpf_kfunc_call_test_acquire", "FUNC")!;
  assert.ok(k >= mod.startId, "module kfuncs have module ids");
  // its prototype refers to vmlinux and module types alike
  const proto = funcProto(mod, k)!;
  assert.ok(proto.params.length >= 1);
  assert.ok(mod.hasType(proto.returnType));
  assert.equal(mod.findByNameKind("task_struct", "STRUCT"), base.findByNameKind("task_struct", "STRUCT"));
  assert.throws(() => parseBtf(readFixture("bpf_testmod.btf")), InputError, "split BTF needs its base");
});

test("raw BTF or an ELF's .BTF section", () => {
  const raw = readFixture("verifier_typedef.btf");
  const fromRaw = parseBtfOrElf(raw);
  const fromElf = loadBtfFile(fixturePath("verifier_typedef.bpf.o"));
  assert.equal(fromElf.typeCount, fromRaw.typeCount);
  assert.deepEqual(fromElf.type(fromElf.typeCount - 1), fromRaw.type(fromRaw.typeCount - 1));
  // a truncated ELF is the ELF reader's InputError, with the file named
  const elf = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  assert.throws(() => parseBtfOrElf(elf, { file: "x.o" }), (e: unknown) => e instanceof InputError && e.where.file === "x.o");
  assert.equal(parseBtfOrElf(elf, { elfSection: () => raw }).typeCount, parseBtf(raw).typeCount);
  assert.throws(() => parseBtfOrElf(elf, { elfSection: () => undefined }), (e: unknown) => e instanceof InputError && e.code === "BTF_MISSING");
  assert.throws(() => loadBtfFile("/nonexistent/btf"), (e: unknown) => e instanceof InputError && e.code === "BTF_READ");
});

test("the 7.2 vmlinux BTF is name-sorted; bisection agrees with a linear scan", () => {
  const btf = loadBundledVmlinuxBtf();
  assert.ok(btf.namedStart() > 0, "pahole sorts vmlinux by name");
  const want = new Map<string, number[]>();
  for (const id of btf.ownIds()) {
    if (id % 97 !== 0) continue;
    const n = btf.typeName(id);
    if (n) want.set(n, []);
  }
  for (const id of btf.ownIds()) want.get(btf.typeName(id))?.push(id);
  for (const [n, ids] of want) assert.deepEqual(btf.findOwnByName(n), ids, n);
});
