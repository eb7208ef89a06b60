// map_check_btf's per-map-type rules (kernel/bpf/syscall.c).
import { test } from "node:test";
import assert from "node:assert/strict";
import type { MapInfo } from "../input.js";
import type { BtfRecord, BtfFieldType } from "./record.js";
import { mapCreateRefusal } from "./create.js";
import { recordProgCompatibility } from "./prog-compat.js";

const map = (type: string, flags = 0): MapInfo => ({ name: "m", type, keySize: 4, valueSize: 64, maxEntries: 1, flags });
const record = (...types: BtfFieldType[]): BtfRecord => ({
  fields: types.map((type, i) => ({ type, kind: type, offset: i * 16, size: 8 })),
  spinLockOff: -1, resSpinLockOff: -1, timerOff: -1, wqOff: -1, taskWorkOff: -1, refcountOff: -1,
});

test("timers only in hash, lru hash and array maps; spin locks also in local storages", () => {
  assert.equal(mapCreateRefusal(map("BPF_MAP_TYPE_LRU_HASH"), record("BPF_TIMER")), null);
  assert.match(mapCreateRefusal(map("BPF_MAP_TYPE_PERCPU_ARRAY"), record("BPF_TIMER"))!, /^EOPNOTSUPP/);
  assert.equal(mapCreateRefusal(map("BPF_MAP_TYPE_TASK_STORAGE"), record("BPF_SPIN_LOCK")), null);
  assert.match(mapCreateRefusal(map("BPF_MAP_TYPE_LRU_HASH"), record("BPF_SPIN_LOCK"))!, /^EOPNOTSUPP/);
});

test("kptrs in per-cpu maps, uptrs only in task storage, no special fields in rdonly/wronly-prog maps", () => {
  assert.equal(mapCreateRefusal(map("BPF_MAP_TYPE_PERCPU_HASH"), record("BPF_KPTR_REF")), null);
  assert.match(mapCreateRefusal(map("BPF_MAP_TYPE_ARRAY"), record("BPF_UPTR"))!, /^EOPNOTSUPP/);
  assert.match(mapCreateRefusal(map("BPF_MAP_TYPE_ARRAY", 1 << 7), record("BPF_KPTR_REF"))!, /^EACCES/);
});

test("tracing programs and socket filters may not use maps with spin locks", () => {
  assert.equal(recordProgCompatibility(record("BPF_SPIN_LOCK"), "BPF_PROG_TYPE_KPROBE"), "tracing progs cannot use bpf_spin_lock yet\n");
  assert.equal(recordProgCompatibility(record("BPF_SPIN_LOCK"), "BPF_PROG_TYPE_SOCKET_FILTER"), "socket filter progs cannot use bpf_spin_lock yet\n");
  assert.equal(recordProgCompatibility(record("BPF_SPIN_LOCK"), "BPF_PROG_TYPE_SCHED_CLS"), null);
  assert.equal(recordProgCompatibility(record("BPF_RB_ROOT", "BPF_SPIN_LOCK"), "BPF_PROG_TYPE_TRACEPOINT"), "tracing progs cannot use bpf_{list_head,rb_root} yet\n");
});
