// Map value records against the rules of the kernel's btf_parse_fields.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBtf } from "../../btf/parse.js";
import { BtfWriter } from "../../btf/writer.js";
import { parseFields, type BtfRecord, type RecordError } from "./record.js";

function base(w: BtfWriter) {
  const u32 = w.int("unsigned int", 4);
  const u64 = w.int("unsigned long long", 8);
  const opaque2 = w.array(u64, u32, 2);
  const lock = w.struct("bpf_spin_lock", 4, [{ name: "val", type: u32, bitOffset: 0 }]);
  const timer = w.struct("bpf_timer", 16, [{ name: "__opaque", type: opaque2, bitOffset: 0 }]);
  const head = w.struct("bpf_list_head", 16, [{ name: "__opaque", type: opaque2, bitOffset: 0 }]);
  const task = w.struct("task_struct", 8, [{ name: "pid", type: u64, bitOffset: 0 }]);
  return { u32, u64, lock, timer, head, task };
}

const rec = (r: BtfRecord | RecordError | null): BtfRecord => {
  assert.ok(r && "fields" in r, `expected a record, got ${JSON.stringify(r)}`);
  return r;
};

test("fields of a struct value: offsets, kernel names, the cached lock/timer offsets", () => {
  const w = new BtfWriter();
  const t = base(w);
  const tagged = w.typeTag("kptr", t.task);
  const untrusted = w.typeTag("kptr_untrusted", t.task);
  const val = w.struct("val", 48, [
    { name: "x", type: t.u32, bitOffset: 0 },
    { name: "lock", type: t.lock, bitOffset: 32 },
    { name: "t", type: t.timer, bitOffset: 64 },
    { name: "p", type: w.ptr(tagged), bitOffset: 192 },
    { name: "q", type: w.ptr(untrusted), bitOffset: 256 },
    { name: "plain", type: w.ptr(t.task), bitOffset: 320 },
  ]);
  const r = rec(parseFields(parseBtf(w.build()), val, 48));
  assert.deepEqual(r.fields.map((f) => [f.type, f.kind, f.offset, f.size]), [
    ["BPF_SPIN_LOCK", "bpf_spin_lock", 4, 4],
    ["BPF_TIMER", "bpf_timer", 8, 16],
    ["BPF_KPTR_REF", "kptr", 24, 8],
    ["BPF_KPTR_UNREF", "kptr", 32, 8],
  ]);
  assert.equal(r.spinLockOff, 4);
  assert.equal(r.timerOff, 8);
  assert.equal(r.fields[2]!.kptrTypeId, t.task);
});

test("unique fields may appear once (E2BIG); only kptrs and graph roots may be repeated in arrays", () => {
  const w = new BtfWriter();
  const t = base(w);
  const two = w.struct("two", 8, [
    { name: "a", type: t.lock, bitOffset: 0 },
    { name: "b", type: t.lock, bitOffset: 32 },
  ]);
  const timers = w.struct("timers", 32, [{ name: "t", type: w.array(t.timer, t.u32, 2), bitOffset: 0 }]);
  const kptrs = w.struct("kptrs", 16, [{ name: "p", type: w.array(w.ptr(w.typeTag("kptr", t.task)), t.u32, 2), bitOffset: 0 }]);
  const btf = parseBtf(w.build());
  assert.equal((parseFields(btf, two, 8) as RecordError).errno, "E2BIG");
  assert.equal((parseFields(btf, timers, 32) as RecordError).errno, "EINVAL");
  assert.deepEqual(rec(parseFields(btf, kptrs, 16)).fields.map((f) => f.offset), [0, 8]);
});

test("a graph root needs its contains: tag and a spin lock beside it", () => {
  const w = new BtfWriter();
  const t = base(w);
  const node = w.struct("elem", 8, [{ name: "x", type: t.u64, bitOffset: 0 }]);
  const noTag = w.struct("no_tag", 24, [
    { name: "h", type: t.head, bitOffset: 0 },
    { name: "l", type: t.lock, bitOffset: 128 },
  ]);
  const noLock = w.struct("no_lock", 16, [{ name: "h", type: t.head, bitOffset: 0 }]);
  w.declTag("contains:elem:node", noLock, 0);
  const good = w.struct("good", 24, [
    { name: "h", type: t.head, bitOffset: 0 },
    { name: "l", type: t.lock, bitOffset: 128 },
  ]);
  w.declTag("contains:elem:node", good, 0);
  const btf = parseBtf(w.build());
  assert.equal((parseFields(btf, noTag, 24) as RecordError).errno, "EINVAL");
  assert.equal((parseFields(btf, noLock, 16) as RecordError).errno, "EINVAL");
  const r = rec(parseFields(btf, good, 24));
  assert.equal(r.fields[0]!.type, "BPF_LIST_HEAD");
  assert.equal(r.fields[0]!.graphValueTypeId, node);
  assert.equal(r.fields[0]!.graphNodeName, "node");
});

test("datasec values: a variable counts only when its size matches; nested structs shift offsets", () => {
  const w = new BtfWriter();
  const t = base(w);
  const wrap = w.struct("wrap", 8, [
    { name: "x", type: t.u32, bitOffset: 0 },
    { name: "l", type: t.lock, bitOffset: 32 },
  ]);
  const v1 = w.var("a", t.u64);
  const v2 = w.var("w", wrap);
  const sec = w.datasec(".data", 16, [{ type: v1, offset: 0, size: 8 }, { type: v2, offset: 8, size: 8 }]);
  const outer = w.struct("outer", 12, [
    { name: "y", type: t.u32, bitOffset: 0 },
    { name: "w", type: wrap, bitOffset: 32 },
  ]);
  const btf = parseBtf(w.build());
  assert.equal(rec(parseFields(btf, sec, 16)).spinLockOff, 12);
  assert.equal(rec(parseFields(btf, outer, 12)).spinLockOff, 8);
  assert.equal(parseFields(btf, t.task, 8), null);
});
