import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBtf } from "../parse.js";
import type { Btf } from "../btf.js";
import { BPF_CORE_RELO_KINDS, type BpfCoreRelo, type BpfCoreReloKind } from "../ext.js";
import { BTF_INT_SIGNED } from "../kinds.js";
import { BtfWriter } from "../writer.js";
import { CoreReloError, coreEssentialNameLen } from "./common.js";
import { coreCalcReloInsn, type CoreReloResult } from "./calc.js";
import { coreFindCands, newCoreCandCache, type CoreTarget } from "./candidates.js";
import { coreTypesAreCompat, coreTypesMatch } from "./compat.js";
import { CORE_POISON_IMM, coreApplyToInsn, type CoreInsn } from "./patch.js";
import { coreFailedReloLogPatch, coreFormatSpec, coreParseSpec } from "./spec.js";

// Target ("kernel"): struct task { int pid; struct { u64 a; u32 b; }; u32 flags:3, mode:5; long arr[4]; char comm[16]; }
function target(): Btf {
  const w = new BtfWriter();
  const int = w.int("int", 4, BTF_INT_SIGNED); // 1
  const u32 = w.int("unsigned int", 4); // 2
  const u64 = w.int("long long unsigned int", 8); // 3
  const long = w.int("long", 8, BTF_INT_SIGNED); // 4
  const anon = w.struct("", 16, [
    { name: "a", type: u64, bitOffset: 0 },
    { name: "b", type: u32, bitOffset: 64 },
  ]); // 5
  const arr = w.array(long, int, 4); // 6
  const char = w.int("char", 1, BTF_INT_SIGNED); // 7
  const comm = w.array(char, int, 16); // 8
  w.struct("task", 64, [
    { name: "pid", type: int, bitOffset: 0 },
    { name: "", type: anon, bitOffset: 64 },
    { name: "flags", type: u32, bitOffset: 192, bitfieldSize: 3 },
    { name: "mode", type: u32, bitOffset: 195, bitfieldSize: 5 },
    { name: "arr", type: arr, bitOffset: 256 },
    { name: "comm", type: comm, bitOffset: 512 - 128 },
  ]); // 9
  w.enum("state", 4, [["RUNNING", 0], ["STOPPED", 4], ["NEG", -2]], true); // 10
  w.enum64("big", 8, [["HUGE", 0x100000000n]]); // 11
  w.typedef("pid_t", int); // 12
  w.struct("only_in_vmlinux", 4, [{ name: "x", type: int, bitOffset: 0 }]); // 13
  return parseBtf(w.build());
}

// Local (object): struct task___v2 { u32 b; int pid; u32 flags:3; unsigned int mode:5; long arr[4]; int gone; }
function local() {
  const w = new BtfWriter();
  const int = w.int("int", 4, BTF_INT_SIGNED); // 1
  const u32 = w.int("unsigned int", 4); // 2
  const long = w.int("long", 8, BTF_INT_SIGNED); // 3
  const arr = w.array(long, int, 4); // 4
  const task = w.struct("task___v2", 40, [
    { name: "b", type: u32, bitOffset: 0 },
    { name: "pid", type: int, bitOffset: 32 },
    { name: "flags", type: u32, bitOffset: 64, bitfieldSize: 3 },
    { name: "mode", type: u32, bitOffset: 67, bitfieldSize: 5 },
    { name: "arr", type: arr, bitOffset: 128 },
    { name: "gone", type: int, bitOffset: 384 },
  ]); // 5
  const state = w.enum("state___x", 4, [["STOPPED", 1], ["GONE", 2], ["NEG", 0]], true); // 6
  const big = w.enum64("big", 8, [["HUGE", 1n]]); // 7
  const missing = w.struct("no_such_struct", 4, []); // 8
  const anonEnum = w.enum("", 4, [["X", 1]]); // 9
  const u64 = w.int("long long unsigned int", 8); // 10
  // local view of the anonymous member's u64 "a" as a u32 (a size change)
  const task2 = w.struct("task", 16, [
    { name: "a", type: u32, bitOffset: 0 },
    { name: "pid", type: long, bitOffset: 64 },
  ]); // 11
  const tdl = w.typedef("pid_t", int); // 12
  const onlyMod = w.struct("modstruct", 4, [{ name: "m", type: int, bitOffset: 0 }]); // 13
  const onlyVm = w.struct("only_in_vmlinux", 4, [{ name: "x", type: int, bitOffset: 0 }]); // 14
  return { btf: parseBtf(w.build()), int, u32, task, state, big, missing, anonEnum, u64, task2, tdl, onlyMod, onlyVm };
}

function relo(kind: BpfCoreReloKind, typeId: number, accessStr: string, insnOff = 0): BpfCoreRelo {
  return { insnOff, typeId, accessStrOff: 0, accessStr, kind, kindNum: BPF_CORE_RELO_KINDS.indexOf(kind) };
}

function calc(l: Btf, t: CoreTarget | Btf, r: BpfCoreRelo, cache = newCoreCandCache()): CoreReloResult {
  const tgt = "vmlinux" in t ? t : { vmlinux: t };
  return coreCalcReloInsn({ progName: "p", localBtf: l, target: tgt, cache }, r, 0);
}

test("essential names drop the last ___flavor", () => {
  assert.equal(coreEssentialNameLen("task___v2"), 4);
  assert.equal(coreEssentialNameLen("a___b___c"), 5, "only the last flavor goes: a___b");
  assert.equal(coreEssentialNameLen("task"), 4);
  assert.equal(coreEssentialNameLen("x____y"), 6, "four underscores are not a separator");
  assert.equal(coreEssentialNameLen("___x"), 4);
});

test("field byte offsets follow names, through anonymous members", () => {
  const L = local();
  const T = target();
  // local b at 0, target b inside the anonymous struct at 8 + 8
  const b = calc(L.btf, T, relo("BPF_CORE_FIELD_BYTE_OFFSET", L.task, "0:0"));
  assert.equal(b.origVal, 0n);
  assert.equal(b.newVal, 16n);
  assert.equal(b.poison, false);
  assert.equal(coreFormatSpec(b.targetSpec!), "<byte_off> [9] struct task.b (0:1:1 @ offset 16)");
  const pid = calc(L.btf, T, relo("BPF_CORE_FIELD_BYTE_OFFSET", L.task, "0:1"));
  assert.deepEqual([pid.origVal, pid.newVal, pid.origSz, pid.newSz], [4n, 0n, 4, 4]);
  // arr[2]: 32 + 2*8 locally (16 + 16), 32 + 16 in the target
  const a2 = calc(L.btf, T, relo("BPF_CORE_FIELD_BYTE_OFFSET", L.task, "0:4:2"));
  assert.deepEqual([a2.origVal, a2.newVal, a2.origSz, a2.newSz], [32n, 48n, 8, 8]);
  const sz = calc(L.btf, T, relo("BPF_CORE_FIELD_BYTE_SIZE", L.task, "0:4"));
  assert.deepEqual([sz.origVal, sz.newVal], [32n, 32n]);
});

test("bitfields: offset, size, shifts, signedness", () => {
  const L = local();
  const T = target();
  const at = (kind: BpfCoreReloKind, acc: string) => calc(L.btf, T, relo(kind, L.task, acc));
  // target mode: bits 195..199 -> u32 load at byte 24, bit 3 inside it
  assert.equal(at("BPF_CORE_FIELD_BYTE_OFFSET", "0:3").newVal, 24n);
  assert.equal(at("BPF_CORE_FIELD_BYTE_SIZE", "0:3").newVal, 4n);
  assert.equal(at("BPF_CORE_FIELD_LSHIFT_U64", "0:3").newVal, BigInt(64 - (3 + 5)));
  assert.equal(at("BPF_CORE_FIELD_RSHIFT_U64", "0:3").newVal, 59n);
  assert.equal(at("BPF_CORE_FIELD_SIGNED", "0:3").newVal, 0n);
  assert.equal(at("BPF_CORE_FIELD_SIGNED", "0:1").newVal, 1n, "int pid is signed");
  assert.equal(at("BPF_CORE_FIELD_BYTE_OFFSET", "0:3").validate, false, "bitfield offsets are not validated");
  assert.equal(at("BPF_CORE_FIELD_RSHIFT_U64", "0:3").validate, true);
});

test("a missing field poisons, FIELD_EXISTS says 0", () => {
  const L = local();
  const T = target();
  const gone = calc(L.btf, T, relo("BPF_CORE_FIELD_BYTE_OFFSET", L.task, "0:5", 8));
  assert.equal(gone.poison, true);
  assert.equal(gone.origVal, 48n);
  const ex = calc(L.btf, T, relo("BPF_CORE_FIELD_EXISTS", L.task, "0:5"));
  assert.deepEqual([ex.poison, ex.origVal, ex.newVal], [false, 1n, 0n]);
  const ex2 = calc(L.btf, T, relo("BPF_CORE_FIELD_EXISTS", L.task, "0:1"));
  assert.equal(ex2.newVal, 1n);
  // poisoned load becomes `call 0xbad2310`
  const insns: CoreInsn[] = [{ code: 0x61, dst: 1, src: 2, off: 48, imm: 0 }];
  const p = coreApplyToInsn("p", insns, 0, 0, gone);
  assert.equal(p.poisoned, true);
  assert.deepEqual(p.insns, [{ code: 0x85, dst: 0, src: 0, off: 0, imm: CORE_POISON_IMM }]);
  // a poisoned ld_imm64 replaces both slots
  const ld: CoreInsn[] = [
    { code: 0x18, dst: 1, src: 0, off: 0, imm: 48 },
    { code: 0, dst: 0, src: 0, off: 0, imm: 0 },
  ];
  assert.equal(coreApplyToInsn("p", ld, 0, 0, gone).insns.length, 2);
});

test("no candidate at all: type relocations give 0, field ones poison", () => {
  const L = local();
  const T = target();
  const te = calc(L.btf, T, relo("BPF_CORE_TYPE_EXISTS", L.missing, "0"));
  assert.deepEqual([te.origVal, te.newVal, te.poison], [1n, 0n, false]);
  const ts = calc(L.btf, T, relo("BPF_CORE_TYPE_SIZE", L.missing, "0"));
  assert.deepEqual([ts.origVal, ts.newVal], [4n, 0n]);
  assert.equal(calc(L.btf, T, relo("BPF_CORE_FIELD_BYTE_OFFSET", L.missing, "0")).poison, true);
});

test("type relocations: exists, size, ids, matches", () => {
  const L = local();
  const T = target();
  const tid = calc(L.btf, T, relo("BPF_CORE_TYPE_ID_TARGET", L.tdl, "0"));
  assert.deepEqual([tid.newVal, tid.validate], [12n, false]);
  const lid = calc(L.btf, T, relo("BPF_CORE_TYPE_ID_LOCAL", L.tdl, "0"));
  assert.deepEqual([lid.origVal, lid.newVal, lid.validate], [12n, 12n, false]);
  assert.equal(calc(L.btf, T, relo("BPF_CORE_TYPE_SIZE", L.task, "0")).newVal, 64n);
  // local task___v2 has "gone", which the target lacks: compatible, but no match
  assert.equal(calc(L.btf, T, relo("BPF_CORE_TYPE_EXISTS", L.task, "0")).newVal, 1n);
  assert.equal(calc(L.btf, T, relo("BPF_CORE_TYPE_MATCHES", L.task, "0")).newVal, 0n);
  assert.equal(calc(L.btf, T, relo("BPF_CORE_TYPE_MATCHES", L.tdl, "0")).newVal, 1n);
  assert.throws(() => calc(L.btf, T, relo("BPF_CORE_TYPE_EXISTS", L.task, "0:1")), CoreReloError, "type relos take only \"0\"");
});

test("enum value relocations match enumerators by essential name", () => {
  const L = local();
  const T = target();
  const v = calc(L.btf, T, relo("BPF_CORE_ENUMVAL_VALUE", L.state, "0"));
  assert.deepEqual([v.origVal, v.newVal], [1n, 4n]);
  const neg = calc(L.btf, T, relo("BPF_CORE_ENUMVAL_VALUE", L.state, "2"));
  assert.equal(neg.newVal, 0xfffffffffffffffen, "an ENUM value is an s32 widened to u64");
  assert.equal(calc(L.btf, T, relo("BPF_CORE_ENUMVAL_EXISTS", L.state, "1")).newVal, 0n);
  assert.equal(calc(L.btf, T, relo("BPF_CORE_ENUMVAL_VALUE", L.state, "1")).poison, true);
  const big = calc(L.btf, T, relo("BPF_CORE_ENUMVAL_VALUE", L.big, "0"));
  assert.equal(big.newVal, 0x100000000n);
  const ld: CoreInsn[] = [
    { code: 0x18, dst: 1, src: 0, off: 0, imm: 1 },
    { code: 0, dst: 0, src: 0, off: 0, imm: 0 },
  ];
  const p = coreApplyToInsn("p", ld, 0, 0, big);
  assert.deepEqual(p.insns.map((x) => x.imm), [0, 1]);
  // the ALU form truncates to the s32 imm
  const alu = coreApplyToInsn("p", [{ code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }], 0, 0, neg);
  assert.equal(alu.insns[0]!.imm, -2);
});

test("load size changes: unsigned ints and pointers are adjusted, others poisoned", () => {
  const L = local();
  const T = target();
  // local u32 a vs target u64 a: unsigned, so the load becomes 8 bytes
  const a = calc(L.btf, T, relo("BPF_CORE_FIELD_BYTE_OFFSET", L.task2, "0:0"));
  assert.deepEqual([a.origSz, a.newSz, a.failMemszAdjust], [4, 8, false]);
  const p = coreApplyToInsn("p", [{ code: 0x61, dst: 1, src: 2, off: 0, imm: 0 }], 0, 0, a);
  assert.deepEqual(p.insns[0], { code: 0x79, dst: 1, src: 2, off: 8, imm: 0 });
  // local long pid vs target int pid: signed, refused
  const pid = calc(L.btf, T, relo("BPF_CORE_FIELD_BYTE_OFFSET", L.task2, "0:1"));
  assert.equal(pid.failMemszAdjust, true);
  const q = coreApplyToInsn("p", [{ code: 0x79, dst: 1, src: 2, off: 8, imm: 0 }], 0, 0, pid);
  assert.equal(q.poisoned, true);
  assert.match(q.warning!, /accesses field incorrectly/);
  // ALU users of the same result are patched normally (no memory size)
  assert.equal(coreApplyToInsn("p", [{ code: 0x07, dst: 1, src: 0, off: 0, imm: 8 }], 0, 0, pid).insns[0]!.imm, 0);
});

test("the instruction's old value is checked", () => {
  const L = local();
  const T = target();
  const b = calc(L.btf, T, relo("BPF_CORE_FIELD_BYTE_OFFSET", L.task, "0:0"));
  assert.throws(
    () => coreApplyToInsn("p", [{ code: 0x61, dst: 1, src: 2, off: 4, imm: 0 }], 0, 3, b),
    (e: unknown) => e instanceof CoreReloError && /relo #3: unexpected insn #0 \(LDX\/ST\/STX\) value: got 4, exp 0 -> 16/.test(e.message),
  );
  assert.throws(() => coreApplyToInsn("p", [{ code: 0x0f, dst: 1, src: 2, off: 0, imm: 0 }], 0, 0, b), /unrecognized insn/);
  assert.throws(() => coreApplyToInsn("p", [{ code: 0x05, dst: 0, src: 0, off: 0, imm: 0 }], 0, 0, b), CoreReloError);
});

test("ambiguous candidates are refused; pruned candidates stay pruned", () => {
  const w = new BtfWriter();
  const int = w.int("int", 4);
  w.struct("s", 8, [{ name: "x", type: int, bitOffset: 0 }]); // 2
  w.struct("s___other", 8, [{ name: "x", type: int, bitOffset: 32 }]); // 3
  w.struct("s___third", 8, [{ name: "y", type: int, bitOffset: 0 }]); // 4
  const T = parseBtf(w.build());
  const lw = new BtfWriter();
  const li = lw.int("int", 4);
  const ls = lw.struct("s", 8, [{ name: "x", type: li, bitOffset: 0 }, { name: "y", type: li, bitOffset: 32 }]);
  const Lb = parseBtf(lw.build());
  assert.deepEqual(coreFindCands(Lb, ls, { vmlinux: T }).map((c) => c.id), [2, 3, 4]);
  assert.throws(
    () => calc(Lb, T, relo("BPF_CORE_FIELD_BYTE_OFFSET", ls, "0:0")),
    (e: unknown) => e instanceof CoreReloError && /field offset ambiguity: 32 != 0/.test(e.message),
  );
  // y matches only s___third; afterwards the cached list holds just that one
  const cache = newCoreCandCache();
  const y = calc(Lb, T, relo("BPF_CORE_FIELD_BYTE_OFFSET", ls, "0:1", 0), cache);
  assert.equal(y.newVal, 0n);
  assert.deepEqual(cache.get(ls)!.map((c) => c.id), [4]);
  assert.equal(calc(Lb, T, relo("BPF_CORE_FIELD_EXISTS", ls, "0:0"), cache).newVal, 0n, "x is no longer found");
});

test("modules are searched only when vmlinux has no candidate and is not overridden", () => {
  const L = local();
  const vm = target();
  const mw = new BtfWriter({ base: vm });
  const mi = mw.int("int", 4, BTF_INT_SIGNED);
  const ms = mw.struct("modstruct", 8, [{ name: "m", type: mi, bitOffset: 32 }]);
  mw.struct("only_in_vmlinux", 8, []);
  const mod = parseBtf(mw.build(), { base: vm });
  const t: CoreTarget = { vmlinux: vm, modules: [{ name: "mod", btf: mod }] };
  const r = calc(L.btf, t, relo("BPF_CORE_TYPE_ID_TARGET", L.onlyMod, "0"));
  assert.equal(r.newVal, BigInt(ms));
  assert.equal(calc(L.btf, { ...t, vmlinuxOverride: true }, relo("BPF_CORE_TYPE_ID_TARGET", L.onlyMod, "0")).newVal, 0n);
  assert.deepEqual(coreFindCands(L.btf, L.onlyVm, t).map((c) => c.btfName), ["vmlinux"]);
});

test("spec parsing errors are libbpf's", () => {
  const L = local();
  const T = target();
  for (const bad of ["", ":0", "0:x", "0:99", "0:-1"]) {
    assert.throws(() => calc(L.btf, T, relo("BPF_CORE_FIELD_BYTE_OFFSET", L.task, bad)), CoreReloError, bad);
  }
  assert.throws(
    () => calc(L.btf, T, relo("BPF_CORE_FIELD_BYTE_OFFSET", L.task, "0:1:0")),
    (e: unknown) => e instanceof CoreReloError && e.libbpfLog.some((l) => /captures type \[1\] of unexpected kind int/.test(l)),
  );
  assert.throws(
    () => calc(L.btf, T, relo("BPF_CORE_ENUMVAL_VALUE", L.anonEnum, "0")),
    (e: unknown) => e instanceof CoreReloError && /target candidate search failed/.test(e.message),
  );
  const spec = coreParseSpec("p", L.btf, relo("BPF_CORE_FIELD_BYTE_OFFSET", L.task, "1:4:3"));
  assert.equal(spec.bitOffset, 40 * 8 + 128 + 3 * 64);
  assert.deepEqual(spec.spec.map((a) => a.name ?? a.idx), [1, "arr", 3]);
});

test("type compatibility and type match rules", () => {
  const w = new BtfWriter();
  const i32 = w.int("int", 4, BTF_INT_SIGNED); // 1
  const u8 = w.int("u8", 1); // 2
  const p1 = w.ptr(i32); // 3
  const p2 = w.ptr(u8); // 4
  const fl = w.float("double", 8); // 5
  const fw = w.fwd("s"); // 6
  const s = w.struct("s", 0, []); // 7
  const ps = w.ptr(s); // 8
  const pf = w.ptr(fw); // 9
  const b = parseBtf(w.build());
  assert.equal(coreTypesAreCompat(b, i32, b, u8), true, "ints of any size and sign");
  assert.equal(coreTypesAreCompat(b, p1, b, p2), true);
  assert.equal(coreTypesAreCompat(b, fl, b, fl), false, "FLOAT is not a relocatable kind there");
  assert.equal(coreTypesMatch(b, i32, b, u8), false, "match needs size and sign");
  assert.equal(coreTypesMatch(b, ps, b, pf), true, "a struct behind a pointer matches its forward declaration");
  assert.equal(coreTypesMatch(b, s, b, fw), false);
});

test("libbpf's log text for a poisoned relocation the program reached", () => {
  const L = local();
  assert.equal(
    coreFailedReloLogPatch("p", L.btf, relo("BPF_CORE_FIELD_BYTE_OFFSET", L.task, "0:5"), 17),
    "17: <invalid CO-RE relocation>\nfailed to resolve CO-RE relocation <byte_off> [5] struct task___v2.gone (0:5 @ offset 48)\n",
  );
  assert.equal(
    coreFailedReloLogPatch("p", L.btf, relo("BPF_CORE_FIELD_BYTE_OFFSET", L.task, "0:3"), 2),
    "2: <invalid CO-RE relocation>\nfailed to resolve CO-RE relocation <byte_off> [5] struct task___v2.mode (0:3 @ offset 8.3)\n",
  );
  assert.equal(
    coreFailedReloLogPatch("p", L.btf, relo("BPF_CORE_ENUMVAL_VALUE", L.state, "2"), 0),
    "0: <invalid CO-RE relocation>\nfailed to resolve CO-RE relocation <enumval_value> [6] enum state___x::NEG = 0\n",
  );
  assert.equal(coreFailedReloLogPatch("p", L.btf, relo("BPF_CORE_FIELD_BYTE_OFFSET", L.task, "0:77"), 0), undefined);
});

test("flexible array members may be indexed past their zero length", () => {
  const mk = (dataOff: number) => {
    const w = new BtfWriter();
    const int = w.int("int", 4, BTF_INT_SIGNED); // 1
    const flex = w.array(int, int, 0); // 2
    const s = w.struct("msg", dataOff / 8, [
      { name: "len", type: int, bitOffset: 0 },
      { name: "data", type: flex, bitOffset: dataOff },
    ]); // 3
    return { btf: parseBtf(w.build()), s };
  };
  const l = mk(32);
  const t = mk(64);
  const r = calc(l.btf, t.btf, relo("BPF_CORE_FIELD_BYTE_OFFSET", l.s, "0:1:5"));
  assert.deepEqual([r.origVal, r.newVal, r.poison], [24n, 28n, false]);
  // not the last member: a zero-length array is not flexible
  const w = new BtfWriter();
  const int = w.int("int", 4, BTF_INT_SIGNED);
  const z = w.array(int, int, 0);
  const s = w.struct("msg", 8, [
    { name: "data", type: z, bitOffset: 0 },
    { name: "len", type: int, bitOffset: 0 },
  ]);
  assert.throws(() => calc(parseBtf(w.build()), t.btf, relo("BPF_CORE_FIELD_BYTE_OFFSET", s, "0:0:5")), CoreReloError);
});

test("a 32-bit enum matches a 64-bit one of the same name", () => {
  const lw = new BtfWriter();
  const le = lw.enum("flags", 4, [["F_ONE", 1]]);
  const tw = new BtfWriter();
  tw.enum64("flags", 8, [["F_ZERO", 0n], ["F_ONE", 0x1_0000_0000n]]);
  const v = calc(parseBtf(lw.build()), parseBtf(tw.build()), relo("BPF_CORE_ENUMVAL_VALUE", le, "0"));
  assert.deepEqual([v.origVal, v.newVal], [1n, 0x1_0000_0000n]);
  assert.equal(calc(parseBtf(lw.build()), parseBtf(tw.build()), relo("BPF_CORE_TYPE_MATCHES", le, "0")).newVal, 0n, "sizes differ");
});
