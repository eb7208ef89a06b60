// The three ways libbpf compares a local (object) type with a target (kernel)
// type: type compatibility (TYPE_EXISTS/SIZE/ID_TARGET), field compatibility
// (field relocations) and the stricter type match (TYPE_MATCHES).
// Negative outcomes of libbpf (-EINVAL on too deep recursion) throw CoreErrno.

import type { Btf } from "../btf.js";
import { BTF_INT_SIGNED, BTF_KIND } from "../kinds.js";
import { CoreErrno, EINVAL, coreEssentialNameLen, coreSkip, intEncoding, intOffset, isAnyEnumKind, isCompositeKind, kindCoreCompat } from "./common.js";

const MAX_DEPTH = 32;

/**
 * libbpf: __bpf_core_types_are_compat. Root names are assumed to match already;
 * beyond that names are ignored.
 */
export function coreTypesAreCompat(local: Btf, localId: number, targ: Btf, targId: number, level = MAX_DEPTH): boolean {
  if (!kindCoreCompat(local.kindNum(localId), targ.kindNum(targId))) return false;
  for (let depth = MAX_DEPTH - 1; ; depth--) {
    if (depth < 0) throw new CoreErrno(EINVAL, "type compatibility check too deep");
    localId = coreSkip(local, localId);
    targId = coreSkip(targ, targId);
    const lk = local.kindNum(localId);
    if (!kindCoreCompat(lk, targ.kindNum(targId))) return false;
    switch (lk) {
      case BTF_KIND.UNKN:
      case BTF_KIND.STRUCT:
      case BTF_KIND.UNION:
      case BTF_KIND.ENUM:
      case BTF_KIND.FWD:
      case BTF_KIND.ENUM64:
        return true;
      case BTF_KIND.INT:
        // only the deprecated bitfield-like ints (non-zero offset) are refused
        return intOffset(local, localId) === 0 && intOffset(targ, targId) === 0;
      case BTF_KIND.PTR:
        localId = local.sizeOrType(localId);
        targId = targ.sizeOrType(targId);
        continue;
      case BTF_KIND.ARRAY:
        localId = local.extraWord(localId, 0);
        targId = targ.extraWord(targId, 0);
        continue;
      case BTF_KIND.FUNC_PROTO: {
        const lt = local.type(localId);
        const tt = targ.type(targId);
        if (lt.kind !== "FUNC_PROTO" || tt.kind !== "FUNC_PROTO") return false;
        if (lt.params.length !== tt.params.length) return false;
        for (let i = 0; i < lt.params.length; i++) {
          if (level <= 0) throw new CoreErrno(EINVAL, "type compatibility check too deep");
          const lp = coreSkip(local, lt.params[i]!.type);
          const tp = coreSkip(targ, tt.params[i]!.type);
          if (!coreTypesAreCompat(local, lp, targ, tp, level - 1)) return false;
        }
        localId = coreSkip(local, lt.returnType);
        targId = coreSkip(targ, tt.returnType);
        continue;
      }
      default:
        // libbpf warns "unexpected kind %s relocated" and says incompatible (FLOAT lands here)
        return false;
    }
  }
}

function namesEssentiallyEqual(a: string, b: string): boolean {
  const la = coreEssentialNameLen(a);
  const lb = coreEssentialNameLen(b);
  return la === lb && a.slice(0, la) === b.slice(0, lb);
}

/**
 * Compatibility of a local field's type with the target field's type.
 * libbpf: bpf_core_fields_are_compat
 */
export function coreFieldsAreCompat(local: Btf, localId: number, targ: Btf, targId: number): boolean {
  for (let depth = 0; ; depth++) {
    if (depth > MAX_DEPTH) throw new CoreErrno(EINVAL, "field compatibility check too deep");
    localId = coreSkip(local, localId);
    targId = coreSkip(targ, targId);
    const lk = local.kindNum(localId);
    const tk = targ.kindNum(targId);
    if (isCompositeKind(lk) && isCompositeKind(tk)) return true;
    if (!kindCoreCompat(lk, tk)) return false;
    switch (lk) {
      case BTF_KIND.PTR:
      case BTF_KIND.FLOAT:
        return true;
      case BTF_KIND.FWD:
      case BTF_KIND.ENUM:
      case BTF_KIND.ENUM64: {
        const ln = local.typeName(localId);
        const tn = targ.typeName(targId);
        // one of them anonymous, or the same name without flavors
        return coreEssentialNameLen(ln) === 0 || coreEssentialNameLen(tn) === 0 || namesEssentiallyEqual(ln, tn);
      }
      case BTF_KIND.INT:
        return intOffset(local, localId) === 0 && intOffset(targ, targId) === 0;
      case BTF_KIND.ARRAY:
        localId = local.extraWord(localId, 0);
        targId = targ.extraWord(targId, 0);
        continue;
      default:
        return false;
    }
  }
}

// libbpf: bpf_core_names_match — an anonymous target matches only an anonymous local
function coreNamesMatch(local: Btf, localNameOff: number, targ: Btf, targNameOff: number): boolean {
  const ln = local.strAt(localNameOff) ?? "";
  const tn = targ.strAt(targNameOff) ?? "";
  if (tn === "") return ln === "";
  return namesEssentiallyEqual(ln, tn);
}

// libbpf: bpf_core_enums_match — same size, every local enumerator named in the target
function coreEnumsMatch(local: Btf, localId: number, targ: Btf, targId: number): boolean {
  const lt = local.type(localId);
  const tt = targ.type(targId);
  if ((lt.kind !== "ENUM" && lt.kind !== "ENUM64") || (tt.kind !== "ENUM" && tt.kind !== "ENUM64")) return false;
  if (lt.size !== tt.size) return false;
  if (lt.values.length > tt.values.length) return false;
  return lt.values.every((lv) => tt.values.some((tv) => coreNamesMatch(local, lv.nameOff, targ, tv.nameOff)));
}

// libbpf: bpf_core_composites_match — every local member has a same-named matching target member
function coreCompositesMatch(local: Btf, localId: number, targ: Btf, targId: number, behindPtr: boolean, level: number): boolean {
  const lt = local.type(localId);
  const tt = targ.type(targId);
  if ((lt.kind !== "STRUCT" && lt.kind !== "UNION") || (tt.kind !== "STRUCT" && tt.kind !== "UNION")) return false;
  if (lt.members.length > tt.members.length) return false;
  for (const lm of lt.members) {
    let matched = false;
    for (const tm of tt.members) {
      if (!coreNamesMatch(local, lm.nameOff, targ, tm.nameOff)) continue;
      if (coreTypesMatchAt(local, lm.type, targ, tm.type, behindPtr, level - 1)) {
        matched = true;
        break;
      }
    }
    if (!matched) return false;
  }
  return true;
}

/** libbpf: bpf_core_types_match (root names are assumed to match already). */
export function coreTypesMatch(local: Btf, localId: number, targ: Btf, targId: number): boolean {
  return coreTypesMatchAt(local, localId, targ, targId, false, MAX_DEPTH);
}

// libbpf: __bpf_core_types_match
function coreTypesMatchAt(local: Btf, localId: number, targ: Btf, targId: number, behindPtr: boolean, level: number): boolean {
  if (level <= 0) throw new CoreErrno(EINVAL, "type match too deep");
  for (let depth = MAX_DEPTH - 1; ; depth--) {
    if (depth < 0) throw new CoreErrno(EINVAL, "type match too deep");
    localId = coreSkip(local, localId);
    targId = coreSkip(targ, targId);
    if (!coreNamesMatch(local, local.nameOff(localId), targ, targ.nameOff(targId))) return false;
    const lk = local.kindNum(localId);
    const tk = targ.kindNum(targId);
    switch (lk) {
      case BTF_KIND.UNKN:
        return lk === tk;
      case BTF_KIND.FWD: {
        const lf = local.kflag(localId);
        if (behindPtr) {
          if (lk === tk) return lf === targ.kflag(targId);
          // kind_flag says union (1) or struct (0)
          return (tk === BTF_KIND.STRUCT && !lf) || (tk === BTF_KIND.UNION && lf);
        }
        if (lk !== tk) return false;
        return lf === targ.kflag(targId);
      }
      case BTF_KIND.ENUM:
      case BTF_KIND.ENUM64:
        if (!isAnyEnumKind(tk)) return false;
        return coreEnumsMatch(local, localId, targ, targId);
      case BTF_KIND.STRUCT:
      case BTF_KIND.UNION:
        if (behindPtr) {
          if (lk === tk) return true;
          if (tk !== BTF_KIND.FWD) return false;
          return (lk === BTF_KIND.UNION) === targ.kflag(targId);
        }
        if (lk !== tk) return false;
        return coreCompositesMatch(local, localId, targ, targId, behindPtr, level);
      case BTF_KIND.INT: {
        if (lk !== tk) return false;
        const ls = intEncoding(local, localId) & BTF_INT_SIGNED;
        const ts = intEncoding(targ, targId) & BTF_INT_SIGNED;
        return local.sizeOrType(localId) === targ.sizeOrType(targId) && ls === ts;
      }
      case BTF_KIND.PTR:
        if (lk !== tk) return false;
        behindPtr = true;
        localId = local.sizeOrType(localId);
        targId = targ.sizeOrType(targId);
        continue;
      case BTF_KIND.ARRAY:
        if (lk !== tk) return false;
        if (local.extraWord(localId, 2) !== targ.extraWord(targId, 2)) return false;
        localId = local.extraWord(localId, 0);
        targId = targ.extraWord(targId, 0);
        continue;
      case BTF_KIND.FUNC_PROTO: {
        if (lk !== tk) return false;
        const lt = local.type(localId);
        const tt = targ.type(targId);
        if (lt.kind !== "FUNC_PROTO" || tt.kind !== "FUNC_PROTO") return false;
        if (lt.params.length !== tt.params.length) return false;
        for (let i = 0; i < lt.params.length; i++) {
          if (!coreTypesMatchAt(local, lt.params[i]!.type, targ, tt.params[i]!.type, behindPtr, level - 1)) return false;
        }
        localId = lt.returnType;
        targId = tt.returnType;
        continue;
      }
      default:
        return false;
    }
  }
}
