// The special fields of a map value (the kernel's btf_record): spin locks,
// timers, workqueues, task_work, kptrs/uptrs, graph roots and refcounts,
// found in the value type of the object's BTF the way BPF_MAP_CREATE finds
// them. Everything that reads map values (check_map_access, the lock and
// timer helpers, kptr loads/stores) takes the layout from here.
// kernel: btf.c (btf_parse_fields, btf_find_field, btf_find_struct,
// btf_find_kptr, btf_find_graph_root, btf_get_field_type)
import type { Btf } from "../../btf/btf.js";
import type { MapInfo } from "../input.js";

/** kernel: enum btf_field_type */
export type BtfFieldType =
  | "BPF_SPIN_LOCK" | "BPF_RES_SPIN_LOCK" | "BPF_TIMER" | "BPF_WORKQUEUE" | "BPF_TASK_WORK"
  | "BPF_KPTR_UNREF" | "BPF_KPTR_REF" | "BPF_KPTR_PERCPU" | "BPF_UPTR"
  | "BPF_LIST_HEAD" | "BPF_LIST_NODE" | "BPF_RB_ROOT" | "BPF_RB_NODE" | "BPF_REFCOUNT";

export interface BtfField {
  type: BtfFieldType;
  /** kernel: btf_field_type_name — what the log calls the field. */
  kind: string;
  offset: number;
  size: number;
  /** kptr/uptr: the pointee struct in the program BTF. */
  kptrTypeId?: number;
  /** list/rbtree roots: the contained struct and its node member. */
  graphValueTypeId?: number;
  graphNodeName?: string;
}

export interface BtfRecord {
  fields: BtfField[];
  spinLockOff: number;
  resSpinLockOff: number;
  timerOff: number;
  wqOff: number;
  taskWorkOff: number;
  refcountOff: number;
}

/** Why BPF_MAP_CREATE refuses the value type (the errno btf_parse_fields returns). */
export interface RecordError {
  errno: "EINVAL" | "E2BIG" | "EEXIST" | "ENOENT" | "EFAULT";
  why: string;
}

interface FieldRow { type: BtfFieldType; name: string; unique: boolean; size: number; align: number }

// kernel: btf_get_field_type's field_types[] with btf_field_type_size/align
const NAMED: readonly FieldRow[] = [
  { type: "BPF_SPIN_LOCK", name: "bpf_spin_lock", unique: true, size: 4, align: 4 },
  { type: "BPF_RES_SPIN_LOCK", name: "bpf_res_spin_lock", unique: true, size: 4, align: 4 },
  { type: "BPF_TIMER", name: "bpf_timer", unique: true, size: 16, align: 8 },
  { type: "BPF_WORKQUEUE", name: "bpf_wq", unique: true, size: 16, align: 8 },
  { type: "BPF_TASK_WORK", name: "bpf_task_work", unique: true, size: 8, align: 8 },
  { type: "BPF_LIST_HEAD", name: "bpf_list_head", unique: false, size: 16, align: 8 },
  { type: "BPF_LIST_NODE", name: "bpf_list_node", unique: false, size: 24, align: 8 },
  { type: "BPF_RB_ROOT", name: "bpf_rb_root", unique: false, size: 16, align: 8 },
  { type: "BPF_RB_NODE", name: "bpf_rb_node", unique: false, size: 32, align: 8 },
  { type: "BPF_REFCOUNT", name: "bpf_refcount", unique: true, size: 4, align: 4 },
];

const KPTR_TAGS: Record<string, BtfFieldType> = {
  kptr_untrusted: "BPF_KPTR_UNREF", kptr: "BPF_KPTR_REF", percpu_kptr: "BPF_KPTR_PERCPU", uptr: "BPF_UPTR",
};

/** kernel: btf_field_type_name */
export function btfFieldTypeName(t: BtfFieldType): string {
  switch (t) {
    case "BPF_KPTR_UNREF": case "BPF_KPTR_REF": return "kptr";
    case "BPF_KPTR_PERCPU": return "percpu_kptr";
    case "BPF_UPTR": return "uptr";
    default: return NAMED.find((r) => r.type === t)!.name;
  }
}

export function isKptrField(t: BtfFieldType): boolean {
  return t === "BPF_KPTR_UNREF" || t === "BPF_KPTR_REF" || t === "BPF_KPTR_PERCPU" || t === "BPF_UPTR";
}

/** The field kinds a map value may hold (kernel: map_check_btf's mask: no list/rb nodes). */
export const MAP_VALUE_MASK: ReadonlySet<BtfFieldType> = new Set<BtfFieldType>([
  "BPF_SPIN_LOCK", "BPF_RES_SPIN_LOCK", "BPF_TIMER", "BPF_KPTR_UNREF", "BPF_KPTR_REF", "BPF_KPTR_PERCPU",
  "BPF_LIST_HEAD", "BPF_RB_ROOT", "BPF_REFCOUNT", "BPF_WORKQUEUE", "BPF_UPTR", "BPF_TASK_WORK",
]);

const MAX_RESOLVE_DEPTH = 32;
const BTF_FIELDS_MAX = 11;

class Fail extends Error {
  constructor(readonly err: RecordError) { super(err.why); }
}

interface Info { type: BtfFieldType; off: number; kptrTypeId?: number; graphValueTypeId?: number; graphNodeName?: string }

interface Walk { btf: Btf; mask: ReadonlySet<BtfFieldType>; seen: Set<BtfFieldType> }

function isStruct(btf: Btf, id: number): boolean {
  const k = btf.type(id).kind;
  return k === "STRUCT" || k === "UNION";
}

/** kernel: btf_find_kptr (with btf_type_tag_walk: a single kptr tag after the pointer). */
function findKptr(w: Walk, id: number, off: number): Info | null {
  let t = w.btf.type(id);
  if (t.kind === "VOLATILE") { id = t.type; t = w.btf.type(id); }
  if (t.kind !== "PTR") return null;
  let found: BtfFieldType[] = [];
  let cur = t.type;
  for (;;) {
    const m = w.btf.type(cur);
    if (m.kind !== "TYPEDEF" && m.kind !== "VOLATILE" && m.kind !== "CONST" && m.kind !== "RESTRICT" && m.kind !== "TYPE_TAG") break;
    if (m.kind === "TYPE_TAG" && !m.kflag) {
      const tag = KPTR_TAGS[w.btf.typeName(cur)];
      if (tag && !found.includes(tag)) found.push(tag);
    }
    cur = m.type;
  }
  if (found.length > 1) throw new Fail({ errno: "EINVAL", why: "more than one kptr type tag" });
  const type = found[0];
  if (!type || !w.mask.has(type)) return null;
  if (!isStruct(w.btf, cur)) throw new Fail({ errno: "EINVAL", why: "kptr to a non-struct type" });
  return { type, off, kptrTypeId: cur };
}

/** kernel: btf_find_graph_root ("contains:TYPE:NODE" decl tag on the member or variable). */
function findGraphRoot(w: Walk, holder: number, compIdx: number, id: number, off: number, size: number, type: BtfFieldType): Info | null {
  const t = w.btf.type(id);
  if (!isStruct(w.btf, id) || (t.kind === "STRUCT" || t.kind === "UNION" ? t.size : -1) !== size) return null;
  const tags: string[] = [];
  for (let i = 1; i < w.btf.typeCount; i++) {
    const d = w.btf.type(i);
    if (d.kind === "DECL_TAG" && d.type === holder && d.componentIdx === compIdx) {
      const n = w.btf.typeName(i);
      if (n.startsWith("contains:")) tags.push(n.slice("contains:".length));
    }
  }
  if (tags.length !== 1) throw new Fail({ errno: "EINVAL", why: `${tags.length} 'contains:' tags on a graph root` });
  const colon = tags[0]!.indexOf(":");
  if (colon < 0) throw new Fail({ errno: "EINVAL", why: "'contains:' tag without a node name" });
  const valueId = w.btf.findByNameKind(tags[0]!.slice(0, colon), "STRUCT");
  if (valueId === undefined) throw new Fail({ errno: "ENOENT", why: `no struct ${tags[0]!.slice(0, colon)}` });
  const node = tags[0]!.slice(colon + 1);
  if (!node) throw new Fail({ errno: "EINVAL", why: "'contains:' tag with an empty node name" });
  return { type, off, graphValueTypeId: valueId, graphNodeName: node };
}

/** kernel: btf_repeat_fields — only kptrs and graph roots may sit in arrays. */
function repeat(infos: Info[], times: number, elemSize: number): Info[] {
  if (times <= 1) return infos;
  for (const i of infos) {
    if (!isKptrField(i.type) && i.type !== "BPF_LIST_HEAD" && i.type !== "BPF_RB_ROOT") {
      throw new Fail({ errno: "EINVAL", why: `array of ${btfFieldTypeName(i.type)}` });
    }
  }
  if (infos.length * times > BTF_FIELDS_MAX) throw new Fail({ errno: "E2BIG", why: "too many special fields" });
  const out: Info[] = [];
  for (let r = 0; r < times; r++) for (const i of infos) out.push({ ...i, off: i.off + r * elemSize });
  return out;
}

/** kernel: btf_find_field_one */
function findOne(w: Walk, holder: number, compIdx: number, typeId: number, off: number, expectedSize: number, level: number): Info[] {
  let nelems = 1;
  let id = typeId;
  let depth = 0;
  for (; depth < MAX_RESOLVE_DEPTH; depth++) {
    const t = w.btf.type(id);
    if (t.kind !== "ARRAY") break;
    nelems *= t.nelems;
    id = t.elemType;
  }
  if (depth === MAX_RESOLVE_DEPTH) throw new Fail({ errno: "E2BIG", why: "array nesting too deep" });
  if (nelems === 0) return [];
  const t = w.btf.type(id);
  const name = w.btf.typeName(id);
  let row: FieldRow | undefined;
  for (const r of NAMED) {
    if (!w.mask.has(r.type) || r.name !== name) continue;
    if (r.unique) {
      if (w.seen.has(r.type)) throw new Fail({ errno: "E2BIG", why: `more than one ${r.name}` });
      w.seen.add(r.type);
    }
    row = r;
    break;
  }
  const wantsKptr = !row && !isStruct(w.btf, id) &&
    (w.mask.has("BPF_KPTR_REF") || w.mask.has("BPF_UPTR"));
  if (!row && !wantsKptr) {
    if (!isStruct(w.btf, id)) return [];
    const size = (t as { size: number }).size;
    if (expectedSize && expectedSize !== size * nelems) return [];
    if (level + 1 >= MAX_RESOLVE_DEPTH) throw new Fail({ errno: "E2BIG", why: "struct nesting too deep" });
    const inner = findStruct(w, id, level + 1).map((i) => ({ ...i, off: i.off + off }));
    return repeat(inner, nelems, size);
  }
  const size = row ? row.size : 8;
  const align = row ? row.align : 8;
  if (expectedSize && expectedSize !== size * nelems) return [];
  if (off % align) return [];
  let info: Info | null;
  if (!row) {
    info = findKptr(w, id, off);
  } else if (row.type === "BPF_LIST_HEAD" || row.type === "BPF_RB_ROOT") {
    info = findGraphRoot(w, holder, compIdx, id, off, size, row.type);
  } else {
    // kernel: btf_find_struct — a same-named type of another shape is not the field.
    info = isStruct(w.btf, id) && (t as { size: number }).size === size ? { type: row.type, off } : null;
  }
  return info ? repeat([info], nelems, size) : [];
}

/** kernel: btf_find_struct_field */
function findStruct(w: Walk, id: number, level: number): Info[] {
  const t = w.btf.type(id);
  if (t.kind !== "STRUCT" && t.kind !== "UNION") return [];
  const out: Info[] = [];
  t.members.forEach((m, i) => {
    if (m.bitOffset % 8) throw new Fail({ errno: "EINVAL", why: "bitfield member offset" });
    out.push(...findOne(w, id, i, m.type, m.bitOffset / 8, 0, level));
  });
  return out;
}

/** kernel: btf_type_id_size's modifier skipping for the value type. */
function skipModifiers(btf: Btf, id: number): number {
  for (let i = 0; i < MAX_RESOLVE_DEPTH; i++) {
    const t = btf.type(id);
    if (t.kind !== "TYPEDEF" && t.kind !== "VOLATILE" && t.kind !== "CONST" && t.kind !== "RESTRICT" && t.kind !== "TYPE_TAG") return id;
    id = t.type;
  }
  return id;
}

/** kernel: btf_parse_fields — null when the value has no special field. */
export function parseFields(btf: Btf, valueTypeId: number, valueSize: number, mask: ReadonlySet<BtfFieldType> = MAP_VALUE_MASK): BtfRecord | RecordError | null {
  const w: Walk = { btf, mask, seen: new Set() };
  let infos: Info[];
  try {
    const id = skipModifiers(btf, valueTypeId);
    const t = btf.type(id);
    if (t.kind === "STRUCT" || t.kind === "UNION") infos = findStruct(w, id, 0);
    else if (t.kind === "DATASEC") infos = t.vars.flatMap((v) => findOne(w, v.type, -1, (btf.type(v.type) as { type: number }).type, v.offset, v.size, 0));
    else infos = [];
  } catch (e) {
    if (e instanceof Fail) return e.err;
    throw e;
  }
  if (!infos.length) return null;
  if (infos.length > BTF_FIELDS_MAX) return { errno: "E2BIG", why: "too many special fields" };
  const rec: BtfRecord = { fields: [], spinLockOff: -1, resSpinLockOff: -1, timerOff: -1, wqOff: -1, taskWorkOff: -1, refcountOff: -1 };
  let nextOff = 0;
  for (const i of infos) {
    const size = NAMED.find((r) => r.type === i.type)?.size ?? 8;
    if (i.off + size > valueSize) return { errno: "EFAULT", why: `field at ${i.off} past the value size ${valueSize}` };
    if (i.off < nextOff) return { errno: "EEXIST", why: `overlapping fields at ${i.off}` };
    nextOff = i.off + size;
    rec.fields.push({ ...i, offset: i.off, kind: btfFieldTypeName(i.type), size });
    if (i.type === "BPF_SPIN_LOCK") rec.spinLockOff = i.off;
    else if (i.type === "BPF_RES_SPIN_LOCK") rec.resSpinLockOff = i.off;
    else if (i.type === "BPF_TIMER") rec.timerOff = i.off;
    else if (i.type === "BPF_WORKQUEUE") rec.wqOff = i.off;
    else if (i.type === "BPF_TASK_WORK") rec.taskWorkOff = i.off;
    else if (i.type === "BPF_REFCOUNT") rec.refcountOff = i.off;
  }
  if (rec.spinLockOff >= 0 && rec.resSpinLockOff >= 0) return { errno: "EINVAL", why: "both bpf_spin_lock and bpf_res_spin_lock" };
  const hasGraph = rec.fields.some((f) => f.type === "BPF_LIST_HEAD" || f.type === "BPF_RB_ROOT");
  if (hasGraph && rec.spinLockOff < 0 && rec.resSpinLockOff < 0) return { errno: "EINVAL", why: "bpf_list_head/bpf_rb_root without a bpf_spin_lock" };
  return rec;
}

// A pure cache: a map's record depends only on its (immutable) BTF and value type.
const cache = new WeakMap<MapInfo, WeakMap<Btf, BtfRecord | RecordError | null>>();

/** The record of a map value (null: no BTF or no special field). */
export function mapRecord(btf: Btf | null | undefined, map: MapInfo): BtfRecord | RecordError | null {
  if (!btf || !map.btfValueTypeId) return null;
  let per = cache.get(map);
  if (!per) cache.set(map, (per = new WeakMap()));
  if (!per.has(btf)) per.set(btf, parseFields(btf, map.btfValueTypeId, map.valueSize));
  return per.get(btf)!;
}

export function isRecordError(r: BtfRecord | RecordError | null): r is RecordError {
  return r !== null && "errno" in r;
}
