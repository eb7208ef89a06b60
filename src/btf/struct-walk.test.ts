import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBtf } from "./parse.js";
import { BTF_INT_SIGNED } from "./kinds.js";
import { loadBundledVmlinuxBtf } from "./source.js";
import { btfStructAccess, btfStructIdsMatch, btfStructWalk } from "./struct-walk.js";
import { findMember } from "./walk.js";
import { BtfWriter } from "./writer.js";

// struct inner { int a; int b; };
// struct obj { int x; u32 f:3; struct inner in; struct inner arr[2]; struct obj __rcu *next;
//              union { struct obj *p; long l; } u; char cb[8]; struct inner flex[]; };
function build() {
  const w = new BtfWriter();
  const int = w.int("int", 4, BTF_INT_SIGNED); // 1
  const u32 = w.int("unsigned int", 4); // 2
  const inner = w.struct("inner", 8, [
    { name: "a", type: int, bitOffset: 0 },
    { name: "b", type: int, bitOffset: 32 },
  ]); // 3
  const arr = w.array(inner, int, 2); // 4
  const objId = 9;
  const rcu = w.typeTag("rcu", objId); // 5
  const pRcu = w.ptr(rcu); // 6
  const long = w.int("long", 8, BTF_INT_SIGNED); // 7
  const pObj = w.ptr(objId); // 8
  const obj = w.struct("obj", 64, [
    { name: "x", type: int, bitOffset: 0 },
    { name: "f", type: u32, bitOffset: 32, bitfieldSize: 3 },
    { name: "in", type: inner, bitOffset: 64 },
    { name: "arr", type: arr, bitOffset: 128 },
    { name: "next", type: pRcu, bitOffset: 256 },
    { name: "u", type: 10, bitOffset: 320 },
    { name: "cb", type: 12, bitOffset: 384 },
    { name: "flex", type: 13, bitOffset: 512 },
  ]); // 9
  w.union("", 8, [
    { name: "p", type: pObj, bitOffset: 0 },
    { name: "l", type: long, bitOffset: 0 },
  ]); // 10
  const char = w.int("char", 1, BTF_INT_SIGNED); // 11
  w.array(char, int, 8); // 12
  w.array(inner, int, 0); // 13
  assert.equal(obj, objId);
  return { btf: parseBtf(w.build()), obj, inner };
}

test("scalars, bitfields and int arrays used as scratch space", () => {
  const { btf, obj } = build();
  assert.deepEqual(btfStructAccess(btf, obj, 0, 4), { kind: "SCALAR_VALUE" });
  assert.deepEqual(btfStructAccess(btf, obj, 4, 1), { kind: "SCALAR_VALUE" }, "a read covering the whole bitfield");
  assert.deepEqual(btfStructAccess(btf, obj, 50, 4), { kind: "SCALAR_VALUE" }, "inside cb[]");
  const r = btfStructAccess(btf, obj, 0, 8);
  assert.deepEqual(r, { kind: "error", errno: "EACCES", message: "access beyond the end of member x (mend:4) in struct obj with off 0 size 8\n" });
});

test("nested structs and array elements are entered", () => {
  const { btf, obj, inner } = build();
  assert.deepEqual(btfStructAccess(btf, obj, 12, 4), { kind: "SCALAR_VALUE" }, "in.b");
  const w = btfStructWalk(btf, obj, 8, 4);
  assert.equal(w.kind, "WALK_STRUCT");
  if (w.kind === "WALK_STRUCT") assert.equal(w.nextBtfId, inner);
  // arr[1].b at 16 + 8 + 4
  assert.deepEqual(btfStructAccess(btf, obj, 28, 4), { kind: "SCALAR_VALUE" });
  assert.equal(btfStructIdsMatch(btf, obj, 24, btf, inner, false), true, "arr[1] is a struct inner");
  assert.equal(btfStructIdsMatch(btf, obj, 24, btf, inner, true), false, "strict: no walking");
  assert.equal(btfStructIdsMatch(btf, obj, 4, btf, inner, false), false);
});

test("pointers: type tags, exact size, unions make them untrusted", () => {
  const { btf, obj } = build();
  assert.deepEqual(btfStructAccess(btf, obj, 32, 8), { kind: "PTR_TO_BTF_ID", btfId: obj, flags: ["MEM_RCU"], fieldName: "next" });
  assert.deepEqual(btfStructAccess(btf, obj, 32, 4), {
    kind: "error",
    errno: "EACCES",
    message: "cannot access ptr member next with moff 32 in struct obj with off 32 size 4\n",
  });
  // through a union of two members: the first member that covers the access, untrusted
  assert.deepEqual(btfStructAccess(btf, obj, 40, 8), { kind: "PTR_TO_BTF_ID", btfId: obj, flags: ["PTR_UNTRUSTED"], fieldName: "p" });
  assert.deepEqual(btfStructAccess(btf, obj, 32, 8, true), { kind: "SCALAR_VALUE" }, "allocated objects hold no trusted pointers");
});

test("beyond the struct: flexible arrays and errors", () => {
  const { btf, obj } = build();
  // flex[] starts at 64: flex[2].b is at 64 + 16 + 4
  assert.deepEqual(btfStructAccess(btf, obj, 84, 4), { kind: "SCALAR_VALUE" });
  assert.deepEqual(btfStructAccess(btf, obj, 84, 4, true), { kind: "error", errno: "EACCES", message: "access beyond struct obj at off 84 size 4\n" });
  assert.deepEqual(btfStructWalk(btf, 1, 0, 4), { kind: "error", errno: "EINVAL", message: "Type 'int' is not a struct\n" });
});

test("the 7.2 vmlinux: task_struct fields", () => {
  const btf = loadBundledVmlinuxBtf();
  const ts = btf.findByNameKind("task_struct", "STRUCT")!;
  const rp = findMember(btf, ts, "real_parent")!.member;
  assert.deepEqual(btfStructAccess(btf, ts, rp.bitOffset / 8, 8), { kind: "PTR_TO_BTF_ID", btfId: ts, flags: [], fieldName: "real_parent" });
  const pid = findMember(btf, ts, "pid")!.member;
  assert.deepEqual(btfStructAccess(btf, ts, pid.bitOffset / 8, 4), { kind: "SCALAR_VALUE" });
  const size = btf.sizeOrType(ts);
  assert.deepEqual(btfStructAccess(btf, ts, size, 4), { kind: "error", errno: "EACCES", message: `access beyond struct task_struct at off ${size} size 4\n` });
});
