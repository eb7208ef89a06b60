// Struct metas of the program's own types, as btf_parse_struct_metas builds
// them for the selftests' local objects (rbtree.c / linked_list.c:
// `struct node_data { long key; struct bpf_rb_node node; }` held by a
// `struct bpf_rb_root root __contains(node_data, node)` next to a lock).
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBtf } from "../../btf/parse.js";
import { BtfWriter } from "../../btf/writer.js";
import { graphRootOf, localStructRecord } from "./local.js";

function build() {
  const w = new BtfWriter();
  const u32 = w.int("unsigned int", 4);
  const u64 = w.int("unsigned long long", 8);
  const opaque = (n: number) => w.array(u64, u32, n);
  const lock = w.struct("bpf_spin_lock", 4, [{ name: "val", type: u32, bitOffset: 0 }]);
  const rbNode = w.struct("bpf_rb_node", 32, [{ name: "__opaque", type: opaque(4), bitOffset: 0 }]);
  const rbRoot = w.struct("bpf_rb_root", 16, [{ name: "__opaque", type: opaque(2), bitOffset: 0 }]);
  const refcount = w.struct("bpf_refcount", 4, [{ name: "__opaque", type: u32, bitOffset: 0 }]);
  const node = w.struct("node_data", 48, [
    { name: "key", type: u64, bitOffset: 0 },
    { name: "r", type: refcount, bitOffset: 64 },
    { name: "node", type: rbNode, bitOffset: 128 },
  ]);
  const holder = w.struct("root_holder", 24, [
    { name: "lock", type: lock, bitOffset: 0 },
    { name: "root", type: rbRoot, bitOffset: 64 },
  ]);
  w.declTag("contains:node_data:node", holder, 1);
  // one struct deeper: no direct special member, so no struct meta of its own
  const outer = w.struct("outer", 48, [{ name: "inner", type: node, bitOffset: 0 }]);
  const plain = w.struct("plain", 8, [{ name: "x", type: u64, bitOffset: 0 }]);
  return { btf: parseBtf(w.build()), node, holder, outer, plain };
}

test("struct metas exist only for structs with a direct special member (btf_parse_struct_metas)", () => {
  const t = build();
  const rec = localStructRecord(t.btf, t.node);
  assert.ok(rec);
  assert.deepEqual(rec.fields.map((f) => [f.kind, f.offset]), [["bpf_refcount", 8], ["bpf_rb_node", 16]]);
  assert.equal(rec.refcountOff, 8);
  assert.equal(localStructRecord(t.btf, t.outer), null);
  assert.equal(localStructRecord(t.btf, t.plain), null);
});

test("a graph root finds its node member's offset in the __contains struct (btf_parse_graph_root)", () => {
  const t = build();
  const rec = localStructRecord(t.btf, t.holder);
  assert.ok(rec);
  assert.equal(rec.spinLockOff, 0);
  const root = graphRootOf(t.btf, rec.fields.find((f) => f.type === "BPF_RB_ROOT")!);
  assert.ok(root);
  assert.equal(root.valueTypeId, t.node);
  assert.equal(root.nodeOffset, 16);
});
