import { test } from "node:test";
import assert from "node:assert/strict";
import { InputError } from "../util/errors.js";
import { parseBtf } from "./parse.js";
import { BTF_INT_SIGNED, BTF_KIND } from "./kinds.js";
import { BtfWriter } from "./writer.js";

function sample() {
  const w = new BtfWriter();
  const int = w.int("int", 4, BTF_INT_SIGNED); // 1
  const uchar = w.int("unsigned char", 1, 0); // 2
  const s = w.struct("foo", 12, [
    { name: "a", type: int, bitOffset: 0 },
    { name: "b", type: uchar, bitOffset: 32, bitfieldSize: 3 },
    { name: "", type: 5, bitOffset: 64 },
  ]); // 3
  const p = w.ptr(s); // 4
  w.union("", 4, [{ name: "c", type: int, bitOffset: 0 }]); // 5
  w.enum("e", 4, [["A", -1], ["B", 7]], true); // 6
  w.enum64("e64", 8, [["BIG", 0xfedcba9876543210n]]); // 7
  w.funcProto(int, [["x", p], ["", int]]); // 8
  w.func("f", 8, 1); // 9
  w.declTag("comment:hello", 9, -1); // 10
  w.declTag("arg:ctx", 9, 0); // 11
  w.typeTag("rcu", p); // 12
  w.float("double", 8); // 13
  w.var("v", int, 1); // 14
  w.datasec(".data", 4, [{ type: 14, offset: 0, size: 4 }]); // 15
  w.fwd("bar", true); // 16
  w.array(int, int, 10); // 17
  return w.build();
}

test("parses every kind and decodes by id", () => {
  const btf = parseBtf(sample());
  assert.equal(btf.typeCount, 18);
  assert.equal(btf.header.hdrLen, 24);
  const foo = btf.type(3);
  assert.equal(foo.kind, "STRUCT");
  if (foo.kind !== "STRUCT") return;
  assert.equal(foo.name, "foo");
  assert.equal(foo.kflag, true);
  assert.deepEqual(
    foo.members.map((m) => [m.name, m.type, m.bitOffset, m.bitfieldSize]),
    [["a", 1, 0, 0], ["b", 2, 32, 3], ["", 5, 64, 0]],
  );
  const e = btf.type(6);
  assert.ok(e.kind === "ENUM" && e.signed);
  if (e.kind === "ENUM") assert.deepEqual(e.values.map((v) => v.value), [-1n, 7n]);
  const e64 = btf.type(7);
  if (e64.kind !== "ENUM64") assert.fail("want ENUM64");
  assert.equal(e64.values[0]!.value, 0xfedcba9876543210n);
  const fp = btf.type(8);
  if (fp.kind !== "FUNC_PROTO") assert.fail("want FUNC_PROTO");
  assert.equal(fp.returnType, 1);
  assert.deepEqual(fp.params.map((x) => [x.name, x.type]), [["x", 4], ["", 1]]);
  const f = btf.type(9);
  assert.ok(f.kind === "FUNC" && f.linkage === 1 && f.type === 8);
  const tag = btf.type(11);
  assert.ok(tag.kind === "DECL_TAG" && tag.componentIdx === 0 && tag.name === "arg:ctx");
  const neg = btf.type(10);
  assert.ok(neg.kind === "DECL_TAG" && neg.componentIdx === -1);
  assert.equal(btf.kind(12), "TYPE_TAG");
  assert.equal(btf.kind(13), "FLOAT");
  const ds = btf.type(15);
  assert.ok(ds.kind === "DATASEC" && ds.vars[0]!.type === 14);
  const fwd = btf.type(16);
  assert.ok(fwd.kind === "FWD" && fwd.isUnion);
  const arr = btf.type(17);
  assert.ok(arr.kind === "ARRAY" && arr.nelems === 10 && arr.elemType === 1);
  assert.equal(btf.type(0).kind, "UNKN");
  assert.equal(btf.type(3), btf.type(3), "decoded types are cached");
});

test("name lookup returns the lowest id of that name and kind", () => {
  const w = new BtfWriter();
  w.struct("dup", 0, []); // 1
  w.typedef("dup", 1); // 2
  w.struct("dup", 0, []); // 3
  const btf = parseBtf(w.build());
  assert.deepEqual(btf.findByName("dup"), [1, 2, 3]);
  assert.equal(btf.findByNameKind("dup", "TYPEDEF"), 2);
  assert.equal(btf.findByNameKind("dup", "STRUCT"), 1);
  assert.equal(btf.findByNameKind("dup", "UNION"), undefined);
  assert.equal(btf.findByNameKind("void", "STRUCT"), 0, "libbpf maps void to id 0");
  assert.deepEqual(btf.findByName("nope"), []);
});

test("split BTF continues ids and string offsets after the base", () => {
  const base = parseBtf(sample());
  const w = new BtfWriter({ base });
  const id = w.struct("modstruct", 8, [{ name: "p", type: 4, bitOffset: 0 }]);
  w.typedef("foo", 3); // same name as a base struct
  const mod = parseBtf(w.build(), { base, name: "mod" });
  assert.equal(id, 18);
  assert.equal(mod.startId, 18);
  assert.equal(mod.startStrOff, base.strEnd);
  assert.equal(mod.typeCount, 20);
  const t = mod.type(18);
  assert.ok(t.kind === "STRUCT" && t.name === "modstruct" && t.nameOff >= base.strEnd);
  assert.equal(mod.type(3).name, "foo", "base ids resolve through the split BTF");
  assert.deepEqual(mod.findByName("foo"), [3, 19]);
  assert.equal(mod.findByNameKind("foo", "TYPEDEF"), 19);
  assert.equal(mod.strAt(1), base.strAt(1));
});

test("split BTF without its base is refused", () => {
  const base = parseBtf(sample());
  const w = new BtfWriter({ base });
  w.struct("modstruct", 8, []);
  assert.throws(() => parseBtf(w.build()), (e: unknown) => e instanceof InputError && e.code === "BTF_BAD_STRING");
});

test("7.2 header: layout section sizes unknown kinds", () => {
  const w = new BtfWriter({ layout: { 25: { infoSize: 4, elemSize: 8 } } });
  const int = w.int("int", 4);
  // kind 25 with vlen 2: 12 + 4 + 2*8 bytes
  const unk = w.raw(w.str("newkind"), (25 << 24) | 2, 0, [0, 1, 2, 3, 4]);
  const after = w.typedef("after", int);
  const btf = parseBtf(w.build());
  assert.equal(btf.header.hdrLen, 32);
  assert.ok(btf.header.layoutLen >= 26 * 4);
  assert.equal(btf.kindLayouts?.[25]?.elemSize, 8);
  const t = btf.type(unk);
  assert.ok(t.kind === "UNRECOGNIZED" && t.kindNum === 25 && t.vlen === 2);
  assert.equal(btf.type(after).name, "after", "the type after the unknown kind is found");
});

test("unknown kind without layout information is an InputError with its offset", () => {
  const w = new BtfWriter();
  w.int("int", 4);
  w.raw(0, 25 << 24, 0);
  assert.throws(
    () => parseBtf(w.build()),
    (e: unknown) => e instanceof InputError && e.code === "BTF_UNKNOWN_KIND" && e.where.offset === 24 + 16,
  );
});

test("a 32-byte header without a layout section parses (the module BTF form)", () => {
  const w = new BtfWriter({ header32: true });
  w.int("int", 4);
  const btf = parseBtf(w.build());
  assert.equal(btf.header.hdrLen, 32);
  assert.equal(btf.header.layoutLen, 0);
  assert.equal(btf.typeName(1), "int");
});

test("the info word carries a 24-bit vlen and a 7-bit kind", () => {
  const w = new BtfWriter();
  const params: [string, number][] = [];
  for (let i = 0; i < 0x10001; i++) params.push(["", 0]);
  const id = w.funcProto(0, params);
  const btf = parseBtf(w.build());
  assert.equal(btf.vlen(id), 0x10001);
  assert.equal(btf.kindNum(id), BTF_KIND.FUNC_PROTO);
});

function expectInputError(bytes: Uint8Array, code: string): InputError {
  try {
    parseBtf(bytes);
  } catch (e) {
    assert.ok(e instanceof InputError, `want InputError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`no error, want ${code}`);
}

test("corrupt input: truncation anywhere gives an InputError, never a crash", () => {
  const good = sample();
  for (let n = 0; n < good.length; n++) {
    try {
      parseBtf(good.subarray(0, n));
      assert.fail(`truncated to ${n} bytes parsed`);
    } catch (e) {
      assert.ok(e instanceof InputError, `length ${n}: ${String(e)}`);
    }
  }
});

test("corrupt input: bad magic, header, offsets", () => {
  const good = sample();
  const bad = (mut: (dv: DataView) => void) => {
    const b = good.slice();
    mut(new DataView(b.buffer));
    return b;
  };
  expectInputError(bad((d) => d.setUint16(0, 0x1234, true)), "BTF_BAD_MAGIC");
  expectInputError(bad((d) => d.setUint32(4, 8, true)), "BTF_BAD_HEADER");
  expectInputError(bad((d) => d.setUint32(16, 0xfffffff0, true)), "BTF_TRUNCATED");
  expectInputError(bad((d) => d.setUint32(12, d.getUint32(12, true) + 4, true)), "BTF_BAD_HEADER");
  // type 1 (int) name offset far beyond the string section
  const e = expectInputError(bad((d) => d.setUint32(24, 0x100000, true)), "BTF_BAD_STRING");
  assert.equal(e.where.offset, 24);
  // PTR (type 4, at 24 + 16 + 16 + 12 + 3*12) points at a missing id
  expectInputError(bad((d) => d.setUint32(24 + 16 + 16 + 48 + 8, 999, true)), "BTF_BAD_TYPE_ID");
  // a huge vlen runs past the type section
  expectInputError(bad((d) => d.setUint32(24 + 16 + 16 + 4, (4 << 24) | 0xffffff, true)), "BTF_TRUNCATED");
});

test("big-endian BTF parses like little-endian", () => {
  const le = sample();
  const be = le.slice();
  const dvl = new DataView(le.buffer);
  const dvb = new DataView(be.buffer);
  dvb.setUint16(0, 0xeb9f, false);
  for (let o = 4; o < 24; o += 4) dvb.setUint32(o, dvl.getUint32(o, true), false);
  const typeLen = dvl.getUint32(12, true);
  for (let o = 24; o < 24 + typeLen; o += 4) dvb.setUint32(o, dvl.getUint32(o, true), false);
  const a = parseBtf(le);
  const b = parseBtf(be);
  for (let id = 1; id < a.typeCount; id++) assert.deepEqual(b.type(id), a.type(id));
});

test("name-sorted BTF is searched by bisection, with the same answers as the index", () => {
  const names = ["a", "a___x", "ab", "b", "b", "task", "task___1", "task_struct", "z"];
  const build = (order: string[]) => {
    const w = new BtfWriter();
    w.ptr(0); // anonymous types come first in sorted BTF
    for (const n of order) w.struct(n, 0, []);
    return parseBtf(w.build());
  };
  const sorted = build(names);
  const shuffled = build([...names].reverse());
  assert.equal(sorted.namedStart(), 1);
  assert.equal(shuffled.namedStart(), -1);
  const ids = (b: ReturnType<typeof build>, n: string) => b.findOwnByName(n).map((id) => b.typeName(id));
  for (const n of [...names, "", "aa", "task_", "zz", "0"]) {
    assert.deepEqual(ids(sorted, n), ids(shuffled, n), n);
    assert.equal(ids(sorted, n).length, names.filter((x) => x === n).length, n);
  }
  assert.deepEqual(sorted.findOwnByName("b"), [5, 6]);
  assert.deepEqual(sorted.findOwnByNamePrefix("task").map((id) => sorted.typeName(id)), ["task", "task___1", "task_struct"]);
  assert.deepEqual(
    shuffled.findOwnByNamePrefix("task").map((id) => shuffled.typeName(id)).sort(),
    ["task", "task___1", "task_struct"],
  );
});
