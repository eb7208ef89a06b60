// Records of the program's own struct types (bpf_obj_new objects): which
// structs carry a btf_record at all, and the graph roots' node offsets.
// Only a struct with a *direct* member of one of the special struct types
// (or a kptr-tagged pointer) gets a struct meta; a special field nested one
// struct deeper is still found in the record, but does not make one.
// kernel: btf.c (btf_parse_struct_metas, btf_find_struct_meta,
// btf_parse_graph_root, btf_check_and_fixup_fields)
import type { Btf } from "../../btf/btf.js";
import { parseFields, isRecordError, type BtfField, type BtfFieldType, type BtfRecord } from "./record.js";

/** kernel: alloc_obj_fields */
const ALLOC_OBJ_FIELDS = ["bpf_spin_lock", "bpf_list_head", "bpf_list_node", "bpf_rb_root", "bpf_rb_node", "bpf_refcount"];

// kernel: btf_parse_struct_metas' btf_parse_fields mask
const LOCAL_MASK: ReadonlySet<BtfFieldType> = new Set<BtfFieldType>(["BPF_SPIN_LOCK", "BPF_RES_SPIN_LOCK", "BPF_LIST_HEAD", "BPF_LIST_NODE",
  "BPF_RB_ROOT", "BPF_RB_NODE", "BPF_REFCOUNT", "BPF_KPTR_UNREF", "BPF_KPTR_REF", "BPF_KPTR_PERCPU"]);

const KPTR_TAG_NAMES = new Set(["kptr", "kptr_untrusted", "percpu_kptr"]);

/** A graph root with the place of its node in the contained struct (kernel: btf_field_graph_root). */
export interface GraphRoot {
  field: BtfField;
  valueTypeId: number;
  nodeOffset: number;
}

interface Metas {
  byId: Map<number, BtfRecord>;
}

const cache = new WeakMap<Btf, Metas>();

/** kernel: btf_find_kptr(btf, t, ..., BPF_KPTR) on a bare type: a pointer with exactly one kptr tag to a struct. */
function isKptrPtr(btf: Btf, id: number): boolean {
  let t = btf.type(id);
  if (t.kind === "VOLATILE") t = btf.type(t.type);
  if (t.kind !== "PTR") return false;
  let cur = t.type;
  let tags = 0;
  for (let guard = 0; guard < 32; guard++) {
    const m = btf.type(cur);
    if (m.kind !== "TYPEDEF" && m.kind !== "VOLATILE" && m.kind !== "CONST" && m.kind !== "RESTRICT" && m.kind !== "TYPE_TAG") break;
    if (m.kind === "TYPE_TAG" && !m.kflag && KPTR_TAG_NAMES.has(btf.typeName(cur))) tags++;
    cur = m.type;
  }
  const k = btf.type(cur).kind;
  return tags === 1 && (k === "STRUCT" || k === "UNION");
}

/** kernel: btf_parse_struct_metas (a record the kernel would refuse fails the BTF load; here it just has no meta). */
function buildMetas(btf: Btf): Metas {
  const aof = new Set<number>();
  for (const name of ALLOC_OBJ_FIELDS) {
    const id = btf.findByNameKind(name, "STRUCT");
    if (id !== undefined) aof.add(id);
  }
  for (let i = 1; i < btf.typeCount; i++) if (isKptrPtr(btf, i)) aof.add(i);
  const byId = new Map<number, BtfRecord>();
  if (!aof.size) return { byId };
  for (let i = 1; i < btf.typeCount; i++) {
    const t = btf.type(i);
    if (t.kind !== "STRUCT") continue;
    if (!t.members.some((m) => aof.has(m.type))) continue;
    const rec = parseFields(btf, i, t.size, LOCAL_MASK);
    if (rec && !isRecordError(rec)) byId.set(i, rec);
  }
  return { byId };
}

/** kernel: btf_find_struct_meta(btf, id)->record — null when the struct has no meta. */
export function localStructRecord(btf: Btf, id: number): BtfRecord | null {
  let m = cache.get(btf);
  if (!m) cache.set(btf, (m = buildMetas(btf)));
  return m.byId.get(id) ?? null;
}

/**
 * kernel: btf_parse_graph_root — the root's `contains:` struct and the offset
 * of its node member; null where the kernel would have refused the BTF.
 */
export function graphRootOf(btf: Btf, field: BtfField): GraphRoot | null {
  if (field.graphValueTypeId === undefined || field.graphNodeName === undefined) return null;
  const nodeType = field.type === "BPF_LIST_HEAD" ? "bpf_list_node" : "bpf_rb_node";
  const t = btf.type(field.graphValueTypeId);
  if (t.kind !== "STRUCT") return null;
  const named = t.members.filter((m) => m.name === field.graphNodeName);
  if (named.length !== 1) return null;
  const m = named[0]!;
  const n = btf.type(m.type);
  if (n.kind !== "STRUCT" || n.name !== nodeType || m.bitOffset % 64) return null;
  return { field, valueTypeId: field.graphValueTypeId, nodeOffset: m.bitOffset / 8 };
}
