// The btf_record of a program-allocated object (bpf_obj_new): the kernel
// builds one "struct meta" per struct of the program BTF that has a member
// whose type is one of the allocatable special structs or a kptr-tagged
// pointer, when the BTF is loaded; a struct without one has no record at all
// (so a lone bpf_res_spin_lock, which is not in that list, gives none).
// kernel: btf.c (btf_parse_struct_metas, alloc_obj_fields, btf_find_struct_meta),
//         btf_parse_graph_root
import type { Btf } from "../../btf/btf.js";
import { notModelled } from "../not-modelled.js";
import { isKptrPointerType, isRecordError, parseFields, type BtfField, type BtfFieldType, type BtfRecord } from "./record.js";

/** kernel: alloc_obj_fields — the special structs whose presence as a member gives a struct meta. */
const ALLOC_OBJ_FIELDS = ["bpf_spin_lock", "bpf_list_head", "bpf_list_node", "bpf_rb_root", "bpf_rb_node", "bpf_refcount"];

/** kernel: btf_parse_struct_metas' field mask for the record of a struct meta. */
export const LOCAL_OBJ_MASK: ReadonlySet<BtfFieldType> = new Set<BtfFieldType>(["BPF_SPIN_LOCK", "BPF_RES_SPIN_LOCK", "BPF_LIST_HEAD",
  "BPF_LIST_NODE", "BPF_RB_ROOT", "BPF_RB_NODE", "BPF_REFCOUNT", "BPF_KPTR_UNREF", "BPF_KPTR_REF", "BPF_KPTR_PERCPU"]);

interface Metas {
  /** The member type ids that make a struct have a meta (kernel: aof). */
  aof: Set<number>;
  records: Map<number, BtfRecord | null>;
}

// A pure cache: the metas depend only on the (immutable) program BTF.
const cache = new WeakMap<Btf, Metas>();

function metasOf(btf: Btf): Metas {
  let m = cache.get(btf);
  if (m) return m;
  const aof = new Set<number>();
  for (const name of ALLOC_OBJ_FIELDS) {
    const id = btf.findByNameKind(name, "STRUCT");
    if (id !== undefined) aof.add(id);
  }
  for (let i = 1; i < btf.typeCount; i++) if (isKptrPointerType(btf, i)) aof.add(i);
  m = { aof, records: new Map() };
  cache.set(btf, m);
  return m;
}

/**
 * kernel: btf_find_struct_meta(btf, id)->record — null when the struct has no
 * meta. Member types are compared as they are, without skipping typedefs or
 * modifiers, as the kernel does.
 */
export function localStructRecord(btf: Btf, id: number): BtfRecord | null {
  const m = metasOf(btf);
  if (m.records.has(id)) return m.records.get(id)!;
  let rec: BtfRecord | null = null;
  const t = btf.hasType(id) ? btf.type(id) : undefined;
  if (t && (t.kind === "STRUCT" || t.kind === "UNION") && t.members.some((mem) => m.aof.has(mem.type))) {
    const r = parseFields(btf, id, t.size, LOCAL_OBJ_MASK);
    // the kernel refuses the whole BTF (and so the program) when a meta's record fails
    if (r === null || isRecordError(r)) return notModelled(`program BTF whose struct meta of type ${id} the kernel refuses`);
    rec = r;
  }
  m.records.set(id, rec);
  return rec;
}

/** A list/rbtree root's contained struct and where its node sits in it (kernel: btf_field_graph_root). */
export interface GraphRoot {
  valueTypeId: number;
  nodeName: string;
  nodeOffset: number;
}

const NODE_OF: Partial<Record<BtfFieldType, { name: string; align: number }>> = {
  BPF_LIST_HEAD: { name: "bpf_list_node", align: 8 },
  BPF_RB_ROOT: { name: "bpf_rb_node", align: 8 },
};

/**
 * kernel: btf_parse_graph_root — the node member named by the root's
 * `contains:` tag; null when the kernel would have refused the BTF.
 */
export function graphRootOf(btf: Btf, field: BtfField): GraphRoot | null {
  const node = NODE_OF[field.type];
  if (!node || field.graphValueTypeId === undefined || field.graphNodeName === undefined) return null;
  const t = btf.type(field.graphValueTypeId);
  if (t.kind !== "STRUCT" && t.kind !== "UNION") return null;
  let found: GraphRoot | null = null;
  for (const m of t.members) {
    if (m.name !== field.graphNodeName) continue;
    if (found) return null; // two members of that name
    const n = btf.type(m.type);
    if ((n.kind !== "STRUCT" && n.kind !== "UNION") || n.name !== node.name) return null;
    if (m.bitOffset % 8 || (m.bitOffset / 8) % node.align) return null;
    found = { valueTypeId: field.graphValueTypeId, nodeName: field.graphNodeName, nodeOffset: m.bitOffset / 8 };
  }
  return found;
}
