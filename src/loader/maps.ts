// The object's maps in libbpf's order (bpf_object__init_maps): BTF-defined maps
// of `.maps`, then one internal map per global-data section, then `.kconfig`,
// then struct_ops maps. Map indices in ld_imm64 are positions in this list.

import { BTF_KIND, resolveSize, skipModsAndTypedefs, type Btf } from "../btf/index.js";
import { InputError, type Where } from "../util/errors.js";
import { MAP_TYPE_NAME, MAP_TYPE_NUM, type BpfMapType } from "./generated/libbpf-sections.js";

export type LibbpfMapKind = "user" | "data" | "rodata" | "bss" | "kconfig" | "struct_ops" | "jumptables";

export interface LoaderMap {
  /** libbpf's name (bpf_map__name): the variable name, "obj.rodata" for internal maps, ".data.foo" for custom ones. */
  name: string;
  /** The name passed to the kernel (attr.map_name, at most 15 characters). */
  kernelName: string;
  /** The ELF/BTF name: ".rodata", ".data.foo", the variable name... */
  realName: string;
  kind: LibbpfMapKind;
  type: BpfMapType;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  mapFlags: number;
  /** ELF section the map is defined in (0 for maps created by the loader). */
  secIdx: number;
  /** Offset of the definition inside `.maps` (BTF-defined maps). */
  secOffset: number;
  /** Key/value types in the object's BTF (0: none). */
  btfKeyTypeId: number;
  btfValueTypeId: number;
  /** For internal maps, the DATASEC; for struct_ops, the struct type. */
  btfTypeId: number;
  /** Initial contents of global data (the verifier reads frozen .rodata values). */
  initialValue?: Uint8Array;
  /** Map-in-map: the inner map template ("outer.inner"). */
  inner?: LoaderMap;
  /** `.jumptables`: the instruction offset of each entry, relative to the program. */
  jumpTable?: number[];
  mapExtra: bigint;
  numaNode: number;
  pinning: number;
}

export const BPF_F_RDONLY_PROG = 1 << 7;
export const BPF_F_MMAPABLE = 1 << 10;

export function mapTypeName(t: BpfMapType): string {
  return MAP_TYPE_NAME[t] ?? "unknown";
}

const MAP_TYPE_BY_NUM = new Map<number, BpfMapType>(Object.entries(MAP_TYPE_NUM).map(([k, v]) => [v, k as BpfMapType]));

export function mapTypeFromNum(n: number): BpfMapType | undefined {
  return MAP_TYPE_BY_NUM.get(n);
}

function baseMap(name: string, kind: LibbpfMapKind, type: BpfMapType): LoaderMap {
  return {
    name,
    kernelName: name.slice(0, 15),
    realName: name,
    kind,
    type,
    keySize: 0,
    valueSize: 0,
    maxEntries: 0,
    mapFlags: 0,
    secIdx: 0,
    secOffset: 0,
    btfKeyTypeId: 0,
    btfValueTypeId: 0,
    btfTypeId: 0,
    mapExtra: 0n,
    numaNode: 0,
    pinning: 0,
  };
}

/** `int (*name)[N]` encodes N (libbpf: get_map_field_int). */
function fieldInt(btf: Btf, mapName: string, field: string, typeId: number, where: Where): number {
  const ptr = skipModsAndTypedefs(btf, typeId);
  if (btf.kindNum(ptr) !== BTF_KIND.PTR) throw new InputError("MAP_BAD_DEF", `map '${mapName}': attr '${field}': expected PTR, got ${btf.kind(ptr)}.`, where);
  const arr = skipModsAndTypedefs(btf, btf.sizeOrType(ptr));
  if (btf.kindNum(arr) !== BTF_KIND.ARRAY) throw new InputError("MAP_BAD_DEF", `map '${mapName}': attr '${field}': expected ARRAY, got ${btf.kind(arr)}.`, where);
  return btf.extraWord(arr, 2);
}

/** `enum { __x = V } name` encodes a 64-bit V; a `__uint`-style pointer also works (libbpf: get_map_field_long). */
function fieldLong(btf: Btf, mapName: string, field: string, typeId: number, where: Where): bigint {
  const t = btf.type(skipModsAndTypedefs(btf, typeId));
  if (t.kind === "PTR") return BigInt(fieldInt(btf, mapName, field, typeId, where));
  if (t.kind !== "ENUM" && t.kind !== "ENUM64") throw new InputError("MAP_BAD_DEF", `map '${mapName}': attr '${field}': expected ENUM or ENUM64, got ${t.kind}.`, where);
  if (t.values.length !== 1) throw new InputError("MAP_BAD_DEF", `map '${mapName}': attr '${field}': invalid __ulong`, where);
  return BigInt.asUintN(64, t.values[0]!.value);
}

/** libbpf: parse_btf_map_def (strict mode: unknown fields are refused). */
function parseMapDef(btf: Btf, name: string, defTypeId: number, isInner: boolean, where: Where): LoaderMap {
  const def = btf.type(skipModsAndTypedefs(btf, defTypeId));
  if (def.kind !== "STRUCT") throw new InputError("MAP_BAD_DEF", `map '${name}': unexpected def kind ${def.kind}.`, where);
  const m = baseMap(name, "user", "BPF_MAP_TYPE_UNSPEC");
  let keySizeSet = false;
  let valueSizeSet = false;
  for (const mem of def.members) {
    const f = mem.name;
    switch (f) {
      case "type": {
        const n = fieldInt(btf, name, f, mem.type, where);
        m.type = mapTypeFromNum(n) ?? "BPF_MAP_TYPE_UNSPEC";
        break;
      }
      case "max_entries": m.maxEntries = fieldInt(btf, name, f, mem.type, where); break;
      case "map_flags": m.mapFlags = fieldInt(btf, name, f, mem.type, where); break;
      case "numa_node": m.numaNode = fieldInt(btf, name, f, mem.type, where); break;
      case "key_size": m.keySize = fieldInt(btf, name, f, mem.type, where); keySizeSet = true; break;
      case "value_size": m.valueSize = fieldInt(btf, name, f, mem.type, where); valueSizeSet = true; break;
      case "pinning": m.pinning = fieldInt(btf, name, f, mem.type, where); break;
      case "map_extra": m.mapExtra = fieldLong(btf, name, f, mem.type, where); break;
      case "key":
      case "value": {
        const ptr = skipModsAndTypedefs(btf, mem.type);
        if (btf.kindNum(ptr) !== BTF_KIND.PTR) throw new InputError("MAP_BAD_DEF", `map '${name}': ${f} spec is not PTR: ${btf.kind(ptr)}.`, where);
        const tid = btf.sizeOrType(ptr);
        const sz = resolveSize(btf, tid);
        if (sz === undefined) throw new InputError("MAP_BAD_DEF", `map '${name}': can't determine ${f} size for type [${tid}].`, where);
        if ((f === "key" ? keySizeSet : valueSizeSet) && sz !== (f === "key" ? m.keySize : m.valueSize)) {
          throw new InputError("MAP_BAD_DEF", `map '${name}': conflicting ${f} size ${f === "key" ? m.keySize : m.valueSize} != ${sz}.`, where);
        }
        if (f === "key") { m.keySize = sz; m.btfKeyTypeId = tid; keySizeSet = true; }
        else { m.valueSize = sz; m.btfValueTypeId = tid; valueSizeSet = true; }
        break;
      }
      case "values": {
        // Map-in-map (or prog array initialisation): an array of pointers to the inner definition.
        const arr = skipModsAndTypedefs(btf, mem.type);
        if (btf.kindNum(arr) !== BTF_KIND.ARRAY) throw new InputError("MAP_BAD_DEF", `map '${name}': multi-value spec is not ARRAY.`, where);
        const ptr = skipModsAndTypedefs(btf, btf.extraWord(arr, 0));
        if (btf.kindNum(ptr) !== BTF_KIND.PTR) throw new InputError("MAP_BAD_DEF", `map '${name}': '${f}' member should be an array of pointers.`, where);
        const inner = skipModsAndTypedefs(btf, btf.sizeOrType(ptr));
        m.valueSize = 4;
        valueSizeSet = true;
        if (btf.kindNum(inner) === BTF_KIND.STRUCT) {
          if (isInner) throw new InputError("MAP_BAD_DEF", `map '${name}': multi-level inner maps not supported.`, where);
          m.inner = parseMapDef(btf, `${name}.inner`, inner, true, where);
        }
        break;
      }
      default:
        throw new InputError("MAP_BAD_DEF", `map '${name}': unknown field '${f}'.`, where);
    }
  }
  if (m.type === "BPF_MAP_TYPE_UNSPEC") throw new InputError("MAP_BAD_DEF", `map '${name}': map type isn't specified.`, where);
  return m;
}

/** libbpf: bpf_object__init_user_btf_maps */
export function initUserBtfMaps(btf: Btf | undefined, mapsShndx: number, where: Where): LoaderMap[] {
  if (mapsShndx <= 0) return [];
  if (!btf) throw new InputError("MAP_NO_BTF", "BTF is missing, but .maps section is present", { ...where, section: ".maps" });
  const datasec = btf.findByNameKind(".maps", "DATASEC");
  if (datasec === undefined) throw new InputError("MAP_NO_BTF", "DATASEC '.maps' not found.", { ...where, section: ".maps" });
  const sec = btf.type(datasec);
  if (sec.kind !== "DATASEC") return [];
  const out: LoaderMap[] = [];
  for (const vi of sec.vars) {
    const v = btf.type(vi.type);
    if (v.kind !== "VAR") throw new InputError("MAP_BAD_DEF", `map #${out.length}: unexpected var kind ${v.kind}.`, { ...where, section: ".maps" });
    const w = { ...where, section: ".maps", offset: vi.offset };
    const m = parseMapDef(btf, v.name, v.type, false, w);
    m.realName = v.name;
    if (m.type === "BPF_MAP_TYPE_RINGBUF" || m.type === "BPF_MAP_TYPE_USER_RINGBUF") m.maxEntries = adjustRingbufSize(m.maxEntries);
    m.secIdx = mapsShndx;
    m.secOffset = vi.offset;
    out.push(m);
  }
  return out;
}

const PAGE_SIZE = 4096;
const MAX_VALUE_SIZE = 1 << 30;

/** The kernel wants a power-of-2 number of pages; libbpf rounds up (libbpf: adjust_ringbuf_sz). */
export function adjustRingbufSize(sz: number): number {
  if (sz === 0) return 0;
  const pages = sz / PAGE_SIZE;
  if (sz % PAGE_SIZE === 0 && (pages & (pages - 1)) === 0) return sz;
  for (let mul = 1; mul <= 0xffffffff / PAGE_SIZE; mul *= 2) if (mul * PAGE_SIZE > sz) return mul * PAGE_SIZE;
  return 0;
}

/** libbpf: internal_map_name */
export function internalMapName(objName: string, realName: string): string {
  const OBJ_NAME_LEN = 16;
  let sfx = Math.max(7, realName.length);
  if (sfx >= OBJ_NAME_LEN) sfx = OBJ_NAME_LEN - 1;
  const pfx = realName.indexOf(".", 1) >= 0 ? 0 : Math.min(OBJ_NAME_LEN - sfx - 1, objName.length);
  const name = (objName.slice(0, pfx) + realName.slice(0, sfx)).slice(0, OBJ_NAME_LEN - 1);
  return name.replace(/[^A-Za-z0-9_.]/g, "_");
}

/** libbpf: map_is_mmapable — a section holding only static (or hidden) variables is not mmap()ed. */
function mapIsMmapable(btf: Btf | undefined, datasec: number): boolean {
  if (!btf || !datasec) return false;
  const t = btf.type(datasec);
  if (t.kind !== "DATASEC") return false;
  return t.vars.some((v) => {
    const vt = btf.type(v.type);
    return vt.kind === "VAR" && vt.linkage !== 0 /* BTF_VAR_STATIC */;
  });
}

/** libbpf: bpf_object__init_internal_map (ARRAY of one element holding the whole section). */
export function internalMap(objName: string, kind: "data" | "rodata" | "bss" | "kconfig", realName: string, secIdx: number, size: number, data: Uint8Array | undefined, btf: Btf | undefined, where: Where = {}): LoaderMap {
  const m = baseMap(internalMapName(objName, realName), kind, "BPF_MAP_TYPE_ARRAY");
  m.realName = realName;
  // libbpf: map_uses_real_name — custom .data.*/.rodata.* maps are known by their section name.
  if ((kind === "data" && realName !== ".data") || (kind === "rodata" && realName !== ".rodata")) m.name = realName;
  m.keySize = 4;
  m.valueSize = size;
  m.maxEntries = 1;
  m.secIdx = secIdx;
  m.btfTypeId = btf?.findByNameKind(realName, "DATASEC") ?? 0;
  m.btfValueTypeId = m.btfTypeId;
  m.mapFlags = (kind === "rodata" || kind === "kconfig" ? BPF_F_RDONLY_PROG : 0) | (mapIsMmapable(btf, m.btfValueTypeId) ? BPF_F_MMAPABLE : 0);
  // The kernel caps a map value at KMALLOC_MAX_SIZE; a NOBITS .bss can claim any size without file bytes.
  if (size > MAX_VALUE_SIZE) throw new InputError("MAP_TOO_BIG", `map '${m.name}': value size ${size} of section ${realName} is too large`, { ...where, section: realName });
  const init = new Uint8Array(size);
  if (data) init.set(data.subarray(0, size));
  m.initialValue = init;
  return m;
}

/** A per-program INSN_ARRAY map libbpf creates for a gotox jump table (create_jt_map). */
export function jumpTableMap(entries: number[]): LoaderMap {
  const m = baseMap(".jumptables", "jumptables", "BPF_MAP_TYPE_INSN_ARRAY");
  m.keySize = 4;
  // struct bpf_insn_array_value: orig_off, xlated_off, jitted_off, pad.
  m.valueSize = 16;
  m.maxEntries = entries.length;
  m.jumpTable = entries;
  return m;
}

/** struct_ops map for one variable of a `.struct_ops[.link]` section (libbpf: init_struct_ops_maps). */
export function structOpsMap(name: string, secIdx: number, secOffset: number, typeId: number, kernValueSize: number, isLink: boolean, data: Uint8Array): LoaderMap {
  const m = baseMap(name, "struct_ops", "BPF_MAP_TYPE_STRUCT_OPS");
  m.keySize = 4;
  m.valueSize = kernValueSize;
  m.maxEntries = 1;
  m.secIdx = secIdx;
  m.secOffset = secOffset;
  m.btfTypeId = typeId;
  m.mapFlags = isLink ? 1 << 13 /* BPF_F_LINK */ : 0;
  m.initialValue = data;
  return m;
}
