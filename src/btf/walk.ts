// Walking types by id: modifiers and typedefs, sizes, members, arrays, function
// prototypes, enum values and decl tags. Every chain is bounded by
// MAX_RESOLVE_DEPTH so a cyclic BTF gives an InputError instead of a hang.

import { InputError } from "../util/errors.js";
import type { Btf } from "./btf.js";
import { BTF_KIND, MAX_RESOLVE_DEPTH } from "./kinds.js";
import type { BtfArray, BtfComposite, BtfEnum, BtfFuncProto, BtfMember, BtfType } from "./types.js";

function cycle(btf: Btf, start: number, what: string): InputError {
  return new InputError(
    "BTF_CYCLE",
    `BTF type id ${start}: ${what} deeper than ${MAX_RESOLVE_DEPTH} levels (reference cycle?)`,
    { ...btf.where, offset: btf.typeOffset(start) },
  );
}

function isModifierKind(k: number): boolean {
  return k === BTF_KIND.VOLATILE || k === BTF_KIND.CONST || k === BTF_KIND.RESTRICT || k === BTF_KIND.TYPE_TAG;
}

/** CONST, VOLATILE, RESTRICT, TYPE_TAG (libbpf: btf_is_mod). */
export function isModifier(btf: Btf, id: number): boolean {
  return isModifierKind(btf.kindNum(id));
}

/**
 * Follow modifiers and typedefs to the underlying type id.
 * kernel: btf_type_skip_modifiers; libbpf: skip_mods_and_typedefs
 */
export function skipModsAndTypedefs(btf: Btf, id: number): number {
  const start = id;
  for (let depth = 0; ; depth++) {
    const k = btf.kindNum(id);
    if (!isModifierKind(k) && k !== BTF_KIND.TYPEDEF) return id;
    if (depth >= MAX_RESOLVE_DEPTH) throw cycle(btf, start, "modifier/typedef chain");
    id = btf.sizeOrType(id);
  }
}

/** Follow modifiers only (typedefs kept). */
export function skipMods(btf: Btf, id: number): number {
  const start = id;
  for (let depth = 0; isModifierKind(btf.kindNum(id)); depth++) {
    if (depth >= MAX_RESOLVE_DEPTH) throw cycle(btf, start, "modifier chain");
    id = btf.sizeOrType(id);
  }
  return id;
}

/** skipModsAndTypedefs, decoded. */
export function resolvedType(btf: Btf, id: number): BtfType {
  return btf.type(skipModsAndTypedefs(btf, id));
}

/**
 * Follow modifiers, typedefs and VARs; undefined when the chain ends in void
 * (libbpf: btf__resolve_type gives -EINVAL then).
 */
export function resolveType(btf: Btf, id: number): number | undefined {
  const start = id;
  for (let depth = 0; ; depth++) {
    if (id === 0) return undefined;
    const k = btf.kindNum(id);
    if (!isModifierKind(k) && k !== BTF_KIND.TYPEDEF && k !== BTF_KIND.VAR) return id;
    if (depth >= MAX_RESOLVE_DEPTH) throw cycle(btf, start, "type chain");
    id = btf.sizeOrType(id);
  }
}

export const BTF_PTR_SIZE = 8;

/**
 * Size in bytes of a type, through modifiers, typedefs, vars and arrays; undefined
 * for void, FWD, FUNC and FUNC_PROTO (libbpf: btf__resolve_size).
 */
export function resolveSize(btf: Btf, id: number): number | undefined {
  const start = id;
  let nelems = 1;
  for (let depth = 0; depth <= MAX_RESOLVE_DEPTH; depth++) {
    if (id === 0) return undefined;
    switch (btf.kindNum(id)) {
      case BTF_KIND.INT:
      case BTF_KIND.STRUCT:
      case BTF_KIND.UNION:
      case BTF_KIND.ENUM:
      case BTF_KIND.ENUM64:
      case BTF_KIND.DATASEC:
      case BTF_KIND.FLOAT:
        return checkedMul(btf, start, btf.sizeOrType(id), nelems);
      case BTF_KIND.PTR:
        return checkedMul(btf, start, BTF_PTR_SIZE, nelems);
      case BTF_KIND.TYPEDEF:
      case BTF_KIND.VOLATILE:
      case BTF_KIND.CONST:
      case BTF_KIND.RESTRICT:
      case BTF_KIND.VAR:
      case BTF_KIND.DECL_TAG:
      case BTF_KIND.TYPE_TAG:
        id = btf.sizeOrType(id);
        break;
      case BTF_KIND.ARRAY:
        nelems *= btf.extraWord(id, 2);
        id = btf.extraWord(id, 0);
        break;
      default:
        return undefined;
    }
  }
  throw cycle(btf, start, "size resolution");
}

function checkedMul(btf: Btf, start: number, size: number, nelems: number): number {
  const total = size * nelems;
  if (total > 0xffffffff) {
    throw new InputError("BTF_TOO_BIG", `BTF type id ${start}: size ${size} * ${nelems} elements exceeds 32 bits`, {
      ...btf.where,
      offset: btf.typeOffset(start),
    });
  }
  return total;
}

/** The struct/union behind modifiers/typedefs, or undefined. */
export function asComposite(btf: Btf, id: number): BtfComposite | undefined {
  const t = resolvedType(btf, id);
  return t.kind === "STRUCT" || t.kind === "UNION" ? t : undefined;
}

/** Members of a struct/union (after skipping modifiers and typedefs); [] for other kinds. */
export function members(btf: Btf, id: number): readonly BtfMember[] {
  return asComposite(btf, id)?.members ?? [];
}

/** The member of that name (direct members only; anonymous members are not entered). */
export function findMember(btf: Btf, id: number, name: string): { member: BtfMember; index: number } | undefined {
  const ms = members(btf, id);
  for (let i = 0; i < ms.length; i++) if (ms[i]!.name === name) return { member: ms[i]!, index: i };
  return undefined;
}

export interface MemberPath {
  /** Members from the outer struct inward (anonymous struct/union members included). */
  readonly path: readonly BtfMember[];
  /** Bit offset from the start of the outer struct. */
  readonly bitOffset: number;
  readonly member: BtfMember;
}

/** Find a named member, looking through anonymous struct/union members as C does. */
export function findMemberDeep(btf: Btf, id: number, name: string, depth = 0): MemberPath | undefined {
  if (depth > MAX_RESOLVE_DEPTH) throw cycle(btf, id, "anonymous member nesting");
  for (const m of members(btf, id)) {
    if (m.name === name) return { path: [m], bitOffset: m.bitOffset, member: m };
    if (m.name === "" && asComposite(btf, m.type)) {
      const inner = findMemberDeep(btf, m.type, name, depth + 1);
      if (inner) return { path: [m, ...inner.path], bitOffset: m.bitOffset + inner.bitOffset, member: inner.member };
    }
  }
  return undefined;
}

/** The array behind modifiers/typedefs, or undefined. */
export function asArray(btf: Btf, id: number): BtfArray | undefined {
  const t = resolvedType(btf, id);
  return t.kind === "ARRAY" ? t : undefined;
}

/** Dimensions of a (multi-dimensional) array and its final element type; dims [] for non-arrays. */
export function arrayDims(btf: Btf, id: number): { dims: number[]; elemType: number } {
  const dims: number[] = [];
  let cur = id;
  for (let depth = 0; ; depth++) {
    const a = asArray(btf, cur);
    if (!a) return { dims, elemType: cur };
    if (depth > MAX_RESOLVE_DEPTH) throw cycle(btf, id, "array nesting");
    dims.push(a.nelems);
    cur = a.elemType;
  }
}

/** The FUNC_PROTO of a FUNC or FUNC_PROTO id (through modifiers/typedefs), or undefined. */
export function funcProto(btf: Btf, id: number): BtfFuncProto | undefined {
  let t = resolvedType(btf, id);
  if (t.kind === "FUNC") t = btf.type(t.type);
  return t.kind === "FUNC_PROTO" ? t : undefined;
}

/** The enum (32 or 64-bit) behind modifiers/typedefs, or undefined. */
export function asEnum(btf: Btf, id: number): BtfEnum | undefined {
  const t = resolvedType(btf, id);
  return t.kind === "ENUM" || t.kind === "ENUM64" ? t : undefined;
}

/** The value of a named enumerator, or undefined. */
export function enumValue(btf: Btf, id: number, name: string): bigint | undefined {
  return asEnum(btf, id)?.values.find((v) => v.name === name)?.value;
}

// ---- decl tags ----

const tagIndexes = new WeakMap<Btf, Map<number, number[]>>();

/** DECL_TAG ids by tagged type id, for a BTF and its bases, built on first use. */
function tagIndex(btf: Btf): Map<number, number[]> {
  let m = tagIndexes.get(btf);
  if (m) return m;
  m = new Map();
  for (let b: Btf | undefined = btf; b; b = b.base) {
    for (const id of b.ownIds()) {
      if (b.kindNum(id) !== BTF_KIND.DECL_TAG) continue;
      const target = b.sizeOrType(id);
      const list = m.get(target);
      if (list) list.push(id);
      else m.set(target, [id]);
    }
  }
  for (const list of m.values()) list.sort((a, b) => a - b);
  tagIndexes.set(btf, m);
  return m;
}

export interface DeclTag {
  /** The DECL_TAG type id. */
  readonly id: number;
  /** The tag string (e.g. "comment:test_expect_msg=..." or "arg:ctx"). */
  readonly value: string;
  /** -1 for the type itself, else the member/parameter index. */
  readonly componentIdx: number;
}

/**
 * Decl tags attached to type `id` (a struct, union, FUNC, VAR or typedef), in id order.
 * With `componentIdx`, only those on that member/parameter (-1: the type itself).
 */
export function declTags(btf: Btf, id: number, componentIdx?: number): DeclTag[] {
  const out: DeclTag[] = [];
  for (const tagId of tagIndex(btf).get(id) ?? []) {
    const t = btf.type(tagId);
    if (t.kind !== "DECL_TAG") continue;
    if (componentIdx !== undefined && t.componentIdx !== componentIdx) continue;
    out.push({ id: tagId, value: t.name, componentIdx: t.componentIdx });
  }
  return out;
}

export function isIntKind(btf: Btf, id: number): boolean {
  return btf.kindNum(id) === BTF_KIND.INT;
}

/**
 * Whether a parameter name ends in `suffix` with something before it ("buf__sz" has
 * "__sz"; "__sz" alone has not). kernel: btf_param_match_suffix
 */
export function paramMatchSuffix(param: { readonly name: string }, suffix: string): boolean {
  return param.name.length > suffix.length && param.name.endsWith(suffix);
}
