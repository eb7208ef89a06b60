// What BPF_MAP_CREATE does with the value's record, as the program later sees
// it: a record the BTF walk refuses is kept as an error and the map simply has
// no special fields; a record whose fields the map type cannot hold (or a
// BPF_F_RDONLY_PROG/WRONLY_PROG map) fails the create, and libbpf then creates
// the map again without BTF.
// kernel: syscall.c (map_check_btf); libbpf: bpf_object__create_map ("Retrying without BTF")
import type { MapInfo } from "../input.js";
import type { BtfFieldType, BtfRecord } from "./record.js";

const HASH_ARRAY = ["BPF_MAP_TYPE_HASH", "BPF_MAP_TYPE_RHASH", "BPF_MAP_TYPE_ARRAY"];
const STORAGES = ["BPF_MAP_TYPE_SK_STORAGE", "BPF_MAP_TYPE_INODE_STORAGE", "BPF_MAP_TYPE_TASK_STORAGE", "BPF_MAP_TYPE_CGRP_STORAGE"];

// kernel: map_check_btf's switch over the record's field_mask
const ALLOWED: Record<BtfFieldType, readonly string[] | null> = {
  BPF_SPIN_LOCK: [...HASH_ARRAY, "BPF_MAP_TYPE_CGROUP_STORAGE", ...STORAGES],
  BPF_RES_SPIN_LOCK: [...HASH_ARRAY, "BPF_MAP_TYPE_CGROUP_STORAGE", ...STORAGES],
  BPF_TIMER: [...HASH_ARRAY, "BPF_MAP_TYPE_LRU_HASH"],
  BPF_WORKQUEUE: [...HASH_ARRAY, "BPF_MAP_TYPE_LRU_HASH"],
  BPF_TASK_WORK: [...HASH_ARRAY, "BPF_MAP_TYPE_LRU_HASH"],
  BPF_KPTR_UNREF: null, BPF_KPTR_REF: null, BPF_KPTR_PERCPU: null, BPF_REFCOUNT: null,
  BPF_UPTR: ["BPF_MAP_TYPE_TASK_STORAGE"],
  BPF_LIST_HEAD: ["BPF_MAP_TYPE_HASH", "BPF_MAP_TYPE_LRU_HASH", "BPF_MAP_TYPE_ARRAY"],
  BPF_RB_ROOT: ["BPF_MAP_TYPE_HASH", "BPF_MAP_TYPE_LRU_HASH", "BPF_MAP_TYPE_ARRAY"],
  // never in a map value's mask: map_check_btf's default arm
  BPF_LIST_NODE: [], BPF_RB_NODE: [],
};
const KPTR_MAPS = [...HASH_ARRAY, "BPF_MAP_TYPE_PERCPU_HASH", "BPF_MAP_TYPE_LRU_HASH", "BPF_MAP_TYPE_LRU_PERCPU_HASH",
  "BPF_MAP_TYPE_PERCPU_ARRAY", ...STORAGES];

const BPF_F_RDONLY_PROG = 1 << 7;
const BPF_F_WRONLY_PROG = 1 << 8;

/** Why map_check_btf refuses a valid record for this map (null: the map is created with its BTF). */
export function mapCreateRefusal(map: MapInfo, rec: BtfRecord): string | null {
  if (map.flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) return "EACCES: special fields in a BPF_F_RDONLY_PROG/WRONLY_PROG map";
  for (const f of rec.fields) {
    const ok = ALLOWED[f.type] ?? KPTR_MAPS;
    if (!ok.includes(map.type)) return `EOPNOTSUPP: ${f.kind} in ${map.type}`;
  }
  return null;
}
