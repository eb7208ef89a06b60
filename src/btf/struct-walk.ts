// What a load at (off, size) inside a kernel struct reaches: a scalar, a pointer
// to another BTF type (with its type tags), a nested struct, or an error with
// the kernel's log text. Used by the verifier for PTR_TO_BTF_ID accesses and
// for matching a pointer against an expected struct type.
// kernel: btf_struct_walk, btf_struct_access, btf_struct_ids_match, __btf_resolve_size, btf_type_tag_walk

import type { Btf } from "./btf.js";
import { BTF_KIND, MAX_RESOLVE_DEPTH } from "./kinds.js";
import { btfNameOrAnon, btfTypeStr } from "./naming.js";

/** The bpf_type_flag bits a walk can set. */
export type StructWalkFlag = "PTR_UNTRUSTED" | "MEM_USER" | "MEM_PERCPU" | "MEM_RCU";

export type StructWalkResult =
  | { readonly kind: "WALK_SCALAR"; readonly flags: readonly StructWalkFlag[] }
  | { readonly kind: "WALK_PTR"; readonly nextBtfId: number; readonly flags: readonly StructWalkFlag[]; readonly fieldName: string }
  | { readonly kind: "WALK_PTR_UNTRUSTED"; readonly flags: readonly StructWalkFlag[] }
  | { readonly kind: "WALK_STRUCT"; readonly nextBtfId: number; readonly flags: readonly StructWalkFlag[] }
  | StructWalkError;

export interface StructWalkError {
  readonly kind: "error";
  readonly errno: "EINVAL" | "EACCES" | "EFAULT";
  /** The kernel's log line, with its trailing newline. */
  readonly message: string;
}

interface ResolvedSize {
  /** The first array on the way, else the final sized type. */
  typeId: number;
  size: number;
  /** The final sized element type and the innermost array's element type id (0 when no array). */
  elemTypeId: number;
  elemId: number;
  totalNelems: number;
  /** Target of the last modifier followed (0 if none). */
  lastModTarget: number;
}

const U32_MAX = 0xffffffff;

function isModifier(k: number): boolean {
  return k === BTF_KIND.TYPEDEF || k === BTF_KIND.VOLATILE || k === BTF_KIND.CONST || k === BTF_KIND.RESTRICT || k === BTF_KIND.TYPE_TAG;
}

/** Size of a type through modifiers and arrays, keeping what the struct walk needs. kernel: __btf_resolve_size */
export function btfResolveSizeEx(btf: Btf, typeId: number): ResolvedSize | undefined {
  let arrayType = 0;
  let elemId = 0;
  let nelems = 1;
  let lastMod = 0;
  let id = typeId;
  for (let i = 0; i < MAX_RESOLVE_DEPTH; i++) {
    const k = btf.kindNum(id);
    let size: number | undefined;
    switch (k) {
      case BTF_KIND.INT:
      case BTF_KIND.STRUCT:
      case BTF_KIND.UNION:
      case BTF_KIND.ENUM:
      case BTF_KIND.FLOAT:
      case BTF_KIND.ENUM64:
        size = btf.sizeOrType(id);
        break;
      case BTF_KIND.PTR:
        size = 8;
        break;
      case BTF_KIND.TYPEDEF:
      case BTF_KIND.VOLATILE:
      case BTF_KIND.CONST:
      case BTF_KIND.RESTRICT:
      case BTF_KIND.TYPE_TAG:
        lastMod = btf.sizeOrType(id);
        id = lastMod;
        continue;
      case BTF_KIND.ARRAY: {
        if (!arrayType) arrayType = id;
        const n = btf.extraWord(id, 2);
        if (nelems && n > Math.floor(U32_MAX / nelems)) return undefined;
        nelems *= n;
        elemId = btf.extraWord(id, 0);
        id = elemId;
        continue;
      }
      default:
        return undefined;
    }
    if (nelems && size > Math.floor(U32_MAX / nelems)) return undefined;
    return { typeId: arrayType || id, size: nelems * size, elemTypeId: id, elemId, totalNelems: nelems, lastModTarget: lastMod };
  }
  return undefined;
}

function skipMods(btf: Btf, id: number): number {
  for (let i = 0; i <= MAX_RESOLVE_DEPTH && isModifier(btf.kindNum(id)); i++) id = btf.sizeOrType(id);
  return id;
}

function memberBitOffset(btf: Btf, sid: number, i: number): number {
  const off = btf.extraWord(sid, i * 3 + 2);
  return btf.kflag(sid) ? off & 0xffffff : off;
}
function memberBitfieldSize(btf: Btf, sid: number, i: number): number {
  return btf.kflag(sid) ? btf.extraWord(sid, i * 3 + 2) >>> 24 : 0;
}

const WALK_TYPE_TAGS: readonly [string, StructWalkFlag][] = [
  ["user", "MEM_USER"],
  ["percpu", "MEM_PERCPU"],
  ["rcu", "MEM_RCU"],
];

/**
 * One step of the walk: what (off, size) inside struct `typeId` is.
 * kernel: btf_struct_walk
 */
export function btfStructWalk(
  btf: Btf,
  typeId: number,
  off: number,
  size: number,
  flagsIn: readonly StructWalkFlag[] = [],
  walkFlexArrays = true,
): StructWalkResult {
  const flags = new Set(flagsIn);
  const out = () => [...flags];
  const err = (errno: StructWalkError["errno"], message: string): StructWalkError => ({ kind: "error", errno, message });
  let t = typeId;
  for (let guard = 0; guard < 1024; guard++) {
    if (isModifier(btf.kindNum(t))) t = skipMods(btf, btf.sizeOrType(t));
    const tname = btfNameOrAnon(btf, btf.nameOff(t));
    const k = btf.kindNum(t);
    if (k !== BTF_KIND.STRUCT && k !== BTF_KIND.UNION) return err("EINVAL", `Type '${tname}' is not a struct\n`);
    const vlen = btf.vlen(t);
    // walking unions gives untrusted pointers, except single-member ones (__bpf_md_ptr)
    if (k === BTF_KIND.UNION && vlen !== 1 && !flags.has("PTR_UNTRUSTED")) flags.add("PTR_UNTRUSTED");
    const tsize = btf.sizeOrType(t);

    if (off + size > tsize) {
      // a trailing flexible array may be walked past the struct's size
      const beyond = () => err("EACCES", `access beyond struct ${tname} at off ${off >>> 0} size ${size >>> 0}\n`);
      if (!walkFlexArrays || vlen === 0) return beyond();
      const last = vlen - 1;
      const mtype = skipMods(btf, btf.extraWord(t, last * 3 + 1));
      if (btf.kindNum(mtype) !== BTF_KIND.ARRAY || btf.extraWord(mtype, 2) !== 0) return beyond();
      const moff = Math.floor(memberBitOffset(btf, t, last) / 8);
      if (off < moff) return beyond();
      const elem = skipMods(btf, btf.extraWord(mtype, 0));
      if (btf.kindNum(elem) === BTF_KIND.INT) return { kind: "WALK_SCALAR", flags: out() };
      const ek = btf.kindNum(elem);
      if ((ek !== BTF_KIND.STRUCT && ek !== BTF_KIND.UNION) || btf.sizeOrType(elem) === 0) return beyond();
      off = (off - moff) % btf.sizeOrType(elem);
      t = elem;
      continue;
    }

    let descend = false;
    for (let i = 0; i < vlen; i++) {
      let moff = Math.floor(memberBitOffset(btf, t, i) / 8);
      if (off + size <= moff) break; // already past
      const bfs = memberBitfieldSize(btf, t, i);
      if (bfs) {
        const endBit = memberBitOffset(btf, t, i) + bfs;
        // off <= moff: clang emits no member for an anonymous ":16" before it
        if (off <= moff && Math.ceil(endBit / 8) <= off + size) return { kind: "WALK_SCALAR", flags: out() };
        continue;
      }
      if (off < moff) break; // a hole
      let mid = btf.extraWord(t, i * 3 + 1);
      const mname = btfNameOrAnon(btf, btf.extraWord(t, i * 3));
      const r = btfResolveSizeEx(btf, mid);
      if (!r) return err("EFAULT", `field ${mname} doesn't have size\n`);
      if (r.lastModTarget) mid = r.lastModTarget;
      let mtype = r.typeId;
      let msize = r.size;
      const mtrueEnd = moff + msize;
      if (off >= mtrueEnd) continue;
      if (btf.kindNum(mtype) === BTF_KIND.ARRAY) {
        // an array is walked as that many elements in a row
        if (moff === mtrueEnd) continue;
        msize = msize / r.totalNelems;
        const idx = Math.floor((off - moff) / msize);
        moff += idx * msize;
        mtype = r.elemTypeId;
        mid = r.elemId;
      }
      const mk = btf.kindNum(mtype);
      if (mk === BTF_KIND.STRUCT || mk === BTF_KIND.UNION) {
        if (off === moff) return { kind: "WALK_STRUCT", nextBtfId: mid, flags: out() };
        off -= moff;
        t = mtype;
        descend = true;
        break;
      }
      if (mk === BTF_KIND.PTR) {
        if (msize !== size || off !== moff) {
          return err("EACCES", `cannot access ptr member ${mname} with moff ${moff} in struct ${tname} with off ${off} size ${size}\n`);
        }
        // type tags between the pointer and its target: at most one known tag
        const tags = new Set<StructWalkFlag>();
        let id = btf.sizeOrType(mtype);
        for (let d = 0; d <= MAX_RESOLVE_DEPTH && isModifier(btf.kindNum(id)); d++) {
          if (btf.kindNum(id) === BTF_KIND.TYPE_TAG && !btf.kflag(id)) {
            const hit = WALK_TYPE_TAGS.find(([name]) => name === btf.typeName(id));
            if (hit) tags.add(hit[1]);
          }
          id = btf.sizeOrType(id);
        }
        if (tags.size > 1) return err("EINVAL", `type '${btfTypeStr(btf, mtype)}' has multiple type tags\n`);
        const sk = btf.kindNum(id);
        if (sk === BTF_KIND.STRUCT || sk === BTF_KIND.UNION) {
          for (const f of tags) flags.add(f);
          return { kind: "WALK_PTR", nextBtfId: id, flags: out(), fieldName: mname };
        }
        return { kind: "WALK_PTR_UNTRUSTED", flags: out() };
      }
      // ints (and int arrays, e.g. skb->cb[]) may be accessed anywhere up to the member's end
      if (off + size > mtrueEnd && !flags.has("PTR_UNTRUSTED")) {
        return err("EACCES", `access beyond the end of member ${mname} (mend:${mtrueEnd}) in struct ${tname} with off ${off} size ${size}\n`);
      }
      return { kind: "WALK_SCALAR", flags: out() };
    }
    if (descend) continue;
    return err("EINVAL", `struct ${tname} doesn't have field at offset ${off}\n`);
  }
  return err("EINVAL", `struct walk of type ${typeId} too deep\n`);
}

export type StructAccessResult =
  | { readonly kind: "SCALAR_VALUE" }
  | { readonly kind: "PTR_TO_BTF_ID"; readonly btfId: number; readonly flags: readonly StructWalkFlag[]; readonly fieldName: string }
  | { readonly kind: "PTR_TO_MEM"; readonly flags: readonly ["MEM_RDONLY", "PTR_UNTRUSTED"] }
  | StructWalkError;

/**
 * The register type a load of `size` bytes at `off` from a PTR_TO_BTF_ID `typeId` gives.
 * `isAlloc`: the pointer is to a program-allocated object (MEM_ALLOC): no flexible-array walk,
 * and a pointer read becomes a scalar. The "direct access to <field> is disallowed" check for
 * special fields of allocated objects is the caller's (it needs the btf_record).
 * kernel: btf_struct_access
 */
export function btfStructAccess(btf: Btf, typeId: number, off: number, size: number, isAlloc = false): StructAccessResult {
  let id = typeId;
  let flags: readonly StructWalkFlag[] = [];
  for (let guard = 0; guard < 1024; guard++) {
    const r = btfStructWalk(btf, id, off, size, flags, !isAlloc);
    switch (r.kind) {
      case "WALK_PTR":
        if (isAlloc) return { kind: "SCALAR_VALUE" };
        return { kind: "PTR_TO_BTF_ID", btfId: r.nextBtfId, flags: r.flags, fieldName: r.fieldName };
      case "WALK_PTR_UNTRUSTED":
        return { kind: "PTR_TO_MEM", flags: ["MEM_RDONLY", "PTR_UNTRUSTED"] };
      case "WALK_SCALAR":
        return { kind: "SCALAR_VALUE" };
      case "WALK_STRUCT":
        // the nested struct starts exactly at off: continue inside it
        id = r.nextBtfId;
        flags = r.flags;
        off = 0;
        break;
      case "error":
        return r;
    }
  }
  return { kind: "error", errno: "EINVAL", message: `struct access in type ${typeId} too deep\n` };
}

/**
 * Whether the object at `off` inside `id` is (or starts with, nested at offset 0) the type
 * `needId`. Both ids in the same BTF object chain. kernel: btf_struct_ids_match
 */
export function btfStructIdsMatch(btf: Btf, id: number, off: number, needBtf: Btf, needId: number, strict: boolean, walkFlexArrays = true): boolean {
  const same = (a: number) => a === needId && (btf === needBtf || btf.owner(a) === needBtf.owner(needId));
  if (off === 0 && same(id)) return true;
  if (strict) return false;
  for (let guard = 0; guard < 1024; guard++) {
    if (!btf.hasType(id)) return false;
    const r = btfStructWalk(btf, id, off, 1, [], walkFlexArrays);
    if (r.kind !== "WALK_STRUCT") return false;
    id = r.nextBtfId;
    if (same(id)) return true;
    off = 0;
  }
  return false;
}
