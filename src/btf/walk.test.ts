import { test } from "node:test";
import assert from "node:assert/strict";
import { InputError } from "../util/errors.js";
import { parseBtf } from "./parse.js";
import { BTF_INT_SIGNED } from "./kinds.js";
import {
  arrayDims,
  declTags,
  enumValue,
  findMember,
  findMemberDeep,
  funcProto,
  paramMatchSuffix,
  resolveSize,
  resolveType,
  skipMods,
  skipModsAndTypedefs,
} from "./walk.js";
import { BtfWriter } from "./writer.js";

function build() {
  const w = new BtfWriter();
  const int = w.int("int", 4, BTF_INT_SIGNED); // 1
  const cint = w.const(int); // 2
  const td = w.typedef("myint", cint); // 3
  const vtd = w.volatile(td); // 4
  const arr2 = w.array(int, int, 3); // 5: int[3]
  const arr = w.array(arr2, int, 4); // 6: int[4][3]
  const inner = w.struct("", 8, [
    { name: "x", type: int, bitOffset: 0 },
    { name: "y", type: int, bitOffset: 32 },
  ]); // 7
  const outer = w.struct("outer", 72, [
    { name: "head", type: vtd, bitOffset: 0 },
    { name: "", type: inner, bitOffset: 32 },
    { name: "m", type: arr, bitOffset: 96 },
    { name: "bits", type: int, bitOffset: 544, bitfieldSize: 5 },
  ]); // 8
  const p = w.ptr(outer); // 9
  const proto = w.funcProto(int, [["o", p]]); // 10
  const fn = w.func("fn", proto); // 11
  w.declTag("comment:test_expect_failure", fn); // 12
  w.declTag("arg:trusted", fn, 0); // 13
  w.declTag("comment:test_expect_msg=x", fn); // 14
  w.enum("colors", 4, [["RED", 0], ["BIG", 0xffffffff]]); // 15 (unsigned)
  w.var("gv", td, 1); // 16
  w.fwd("opaque"); // 17
  return { btf: parseBtf(w.build()), int, cint, td, vtd, arr, outer, p, proto, fn };
}

test("skip modifiers and typedefs", () => {
  const { btf, int, td, vtd, cint } = build();
  assert.equal(skipModsAndTypedefs(btf, vtd), int);
  assert.equal(skipMods(btf, vtd), td);
  assert.equal(skipMods(btf, cint), int);
  assert.equal(resolveType(btf, 16), int, "VAR resolves to its type");
  assert.equal(resolveType(btf, 0), undefined);
});

test("sizes through typedefs, arrays and pointers", () => {
  const { btf, vtd, arr, outer, p, proto } = build();
  assert.equal(resolveSize(btf, vtd), 4);
  assert.equal(resolveSize(btf, arr), 48);
  assert.equal(resolveSize(btf, outer), 72);
  assert.equal(resolveSize(btf, p), 8);
  assert.equal(resolveSize(btf, proto), undefined);
  assert.equal(resolveSize(btf, 17), undefined, "FWD has no size");
  assert.equal(resolveSize(btf, 0), undefined);
});

test("members, anonymous members, bitfields, array dims", () => {
  const { btf, outer, arr, int } = build();
  assert.equal(findMember(btf, outer, "m")?.index, 2);
  assert.equal(findMember(btf, outer, "x"), undefined, "direct members only");
  const y = findMemberDeep(btf, outer, "y");
  assert.equal(y?.bitOffset, 64);
  assert.equal(y?.path.length, 2);
  const bits = findMember(btf, outer, "bits")!.member;
  assert.equal(bits.bitfieldSize, 5);
  assert.equal(bits.bitOffset, 544);
  assert.deepEqual(arrayDims(btf, arr), { dims: [4, 3], elemType: int });
  assert.deepEqual(arrayDims(btf, int), { dims: [], elemType: int });
});

test("func protos, decl tags per function and parameter, enum values", () => {
  const { btf, fn, p } = build();
  const proto = funcProto(btf, fn)!;
  assert.equal(proto.params[0]!.type, p);
  assert.deepEqual(declTags(btf, fn, -1).map((t) => t.value), ["comment:test_expect_failure", "comment:test_expect_msg=x"]);
  assert.deepEqual(declTags(btf, fn, 0).map((t) => t.value), ["arg:trusted"]);
  assert.equal(declTags(btf, fn).length, 3);
  assert.equal(enumValue(btf, 15, "BIG"), 0xffffffffn, "unsigned enum reads as u32");
  assert.equal(enumValue(btf, 15, "NOPE"), undefined);
});

test("reference cycles hit the depth limit as an InputError", () => {
  const w = new BtfWriter();
  w.typedef("a", 2); // 1 -> 2
  w.const(1); // 2 -> 1
  const btf = parseBtf(w.build());
  for (const f of [skipModsAndTypedefs, resolveSize, resolveType]) {
    assert.throws(() => f(btf, 1), (e: unknown) => e instanceof InputError && e.code === "BTF_CYCLE");
  }
  const w2 = new BtfWriter();
  w2.array(1, 1, 2); // an array of itself
  const btf2 = parseBtf(w2.build());
  assert.throws(() => resolveSize(btf2, 1), (e: unknown) => e instanceof InputError);
  assert.throws(() => arrayDims(btf2, 1), (e: unknown) => e instanceof InputError && e.code === "BTF_CYCLE");
});

test("kfunc parameter suffixes need a name before them", () => {
  assert.equal(paramMatchSuffix({ name: "buf__sz" }, "__sz"), true);
  assert.equal(paramMatchSuffix({ name: "__sz" }, "__sz"), false);
  assert.equal(paramMatchSuffix({ name: "" }, "__k"), false);
  assert.equal(paramMatchSuffix({ name: "p__nullable" }, "__k"), false);
});
