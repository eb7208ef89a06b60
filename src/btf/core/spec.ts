// CO-RE access specs: the access string of a relocation ("0:1:0:5") turned into
// the low-level path (every index) and the high-level one (named fields and
// array indices), and the search for the same high-level path in a target type.
// libbpf: bpf_core_parse_spec, bpf_core_spec_match, bpf_core_match_member, bpf_core_format_spec

import type { Btf } from "../btf.js";
import type { BpfCoreReloKind } from "../ext.js";
import { BTF_KIND } from "../kinds.js";
import { libbpfKindStr } from "../naming.js";
import { CoreErrno, E2BIG, EINVAL, coreEssentialNameLen, coreResolveSize, coreSkip, isAnyEnumKind, isCompositeKind } from "./common.js";
import { coreFieldsAreCompat, coreTypesAreCompat, coreTypesMatch } from "./compat.js";

export const BPF_CORE_SPEC_MAX_LEN = 64;

/** One high-level step: a named field of a struct/union, or an array index (no name). */
export interface CoreAccessor {
  /** Struct/union type id (named field) or array element type id (index). */
  typeId: number;
  idx: number;
  name?: string;
}

/** libbpf: struct bpf_core_spec */
export interface CoreSpec {
  btf: Btf;
  /** The relocation's root type id, as given (modifiers/typedefs not skipped). */
  rootTypeId: number;
  kind: BpfCoreReloKind;
  /** High-level spec: named fields and array indices. */
  spec: CoreAccessor[];
  /** Low-level spec: one entry per access-string element (target: per member walked). */
  rawSpec: number[];
  bitOffset: number;
}

export function coreReloIsFieldBased(kind: BpfCoreReloKind): boolean {
  switch (kind) {
    case "BPF_CORE_FIELD_BYTE_OFFSET":
    case "BPF_CORE_FIELD_BYTE_SIZE":
    case "BPF_CORE_FIELD_EXISTS":
    case "BPF_CORE_FIELD_SIGNED":
    case "BPF_CORE_FIELD_LSHIFT_U64":
    case "BPF_CORE_FIELD_RSHIFT_U64":
      return true;
    default:
      return false;
  }
}

export function coreReloIsTypeBased(kind: BpfCoreReloKind): boolean {
  switch (kind) {
    case "BPF_CORE_TYPE_ID_LOCAL":
    case "BPF_CORE_TYPE_ID_TARGET":
    case "BPF_CORE_TYPE_EXISTS":
    case "BPF_CORE_TYPE_MATCHES":
    case "BPF_CORE_TYPE_SIZE":
      return true;
    default:
      return false;
  }
}

export function coreReloIsEnumvalBased(kind: BpfCoreReloKind): boolean {
  return kind === "BPF_CORE_ENUMVAL_EXISTS" || kind === "BPF_CORE_ENUMVAL_VALUE";
}

/** libbpf: core_relo_kind_str */
export function coreReloKindStr(kind: BpfCoreReloKind): string {
  switch (kind) {
    case "BPF_CORE_FIELD_BYTE_OFFSET":
      return "byte_off";
    case "BPF_CORE_FIELD_BYTE_SIZE":
      return "byte_sz";
    case "BPF_CORE_FIELD_EXISTS":
      return "field_exists";
    case "BPF_CORE_FIELD_SIGNED":
      return "signed";
    case "BPF_CORE_FIELD_LSHIFT_U64":
      return "lshift_u64";
    case "BPF_CORE_FIELD_RSHIFT_U64":
      return "rshift_u64";
    case "BPF_CORE_TYPE_ID_LOCAL":
      return "local_type_id";
    case "BPF_CORE_TYPE_ID_TARGET":
      return "target_type_id";
    case "BPF_CORE_TYPE_EXISTS":
      return "type_exists";
    case "BPF_CORE_TYPE_MATCHES":
      return "type_matches";
    case "BPF_CORE_TYPE_SIZE":
      return "type_size";
    case "BPF_CORE_ENUMVAL_EXISTS":
      return "enumval_exists";
    case "BPF_CORE_ENUMVAL_VALUE":
      return "enumval_value";
  }
}

// a flexible array: the last member of its struct, declared with 0 elements
function isFlexArr(btf: Btf, acc: CoreAccessor | undefined, nelems: number): boolean {
  if (!acc || acc.name === undefined || nelems > 0) return false;
  return acc.idx === btf.vlen(acc.typeId) - 1;
}

// the access string as sscanf("%d%n") after an optional ':' reads it
function parseAccessString(s: string): number[] {
  const out: number[] = [];
  let p = 0;
  while (p < s.length) {
    if (s[p] === ":") p++;
    const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s.slice(p));
    if (!m) throw new CoreErrno(EINVAL);
    const v = Number(m[1]);
    if (v < 0 || v > 0x7fffffff) throw new CoreErrno(EINVAL);
    if (out.length === BPF_CORE_SPEC_MAX_LEN) throw new CoreErrno(E2BIG);
    out.push(v);
    p += m[0].length;
  }
  return out;
}

function memberBitOffset(btf: Btf, compositeId: number, idx: number): number {
  const off = btf.extraWord(compositeId, idx * 3 + 2);
  return btf.kflag(compositeId) ? off & 0xffffff : off;
}

function sizeOrThrow(btf: Btf, id: number): number {
  const sz = coreResolveSize(btf, id);
  if (sz < 0) throw new CoreErrno(-sz);
  return sz;
}

/**
 * Parse the access string of a relocation against the local BTF.
 * `warn` receives libbpf's warning for a spec that walks into a non-composite type.
 */
export function coreParseSpec(
  progName: string,
  btf: Btf,
  relo: { typeId: number; accessStr: string; kind: BpfCoreReloKind },
  warn: (msg: string) => void = () => {},
): CoreSpec {
  const specStr = relo.accessStr;
  if (specStr === "" || specStr[0] === ":") throw new CoreErrno(EINVAL);
  const spec: CoreSpec = { btf, rootTypeId: relo.typeId, kind: relo.kind, spec: [], rawSpec: [], bitOffset: 0 };
  if (!btf.hasType(relo.typeId)) throw new CoreErrno(EINVAL);

  if (coreReloIsTypeBased(relo.kind)) {
    if (specStr !== "0") throw new CoreErrno(EINVAL);
    return spec;
  }
  spec.rawSpec = parseAccessString(specStr);
  if (spec.rawSpec.length === 0) throw new CoreErrno(EINVAL);

  let id = coreSkip(btf, relo.typeId);
  const first = spec.rawSpec[0]!;
  const acc0: CoreAccessor = { typeId: id, idx: first };
  spec.spec.push(acc0);

  if (coreReloIsEnumvalBased(relo.kind)) {
    if (!isAnyEnumKind(btf.kindNum(id)) || spec.rawSpec.length > 1 || first >= btf.vlen(id)) throw new CoreErrno(EINVAL);
    const t = btf.type(id);
    if (t.kind === "ENUM" || t.kind === "ENUM64") acc0.name = t.values[first]!.name;
    return spec;
  }
  if (!coreReloIsFieldBased(relo.kind)) throw new CoreErrno(EINVAL);

  spec.bitOffset = (first * sizeOrThrow(btf, id) * 8) >>> 0;
  for (let i = 1; i < spec.rawSpec.length; i++) {
    id = coreSkip(btf, id);
    const accessIdx = spec.rawSpec[i]!;
    const k = btf.kindNum(id);
    if (isCompositeKind(k)) {
      if (accessIdx >= btf.vlen(id)) throw new CoreErrno(EINVAL);
      spec.bitOffset = (spec.bitOffset + memberBitOffset(btf, id, accessIdx)) >>> 0;
      const nameOff = btf.extraWord(id, accessIdx * 3);
      if (nameOff !== 0) {
        const name = btf.strAt(nameOff);
        if (!name) throw new CoreErrno(EINVAL);
        spec.spec.push({ typeId: id, idx: accessIdx, name });
      }
      id = btf.extraWord(id, accessIdx * 3 + 1);
    } else if (k === BTF_KIND.ARRAY) {
      const nelems = btf.extraWord(id, 2);
      const elem = coreSkip(btf, btf.extraWord(id, 0));
      const flex = isFlexArr(btf, spec.spec[spec.spec.length - 1], nelems);
      if (!flex && accessIdx >= nelems) throw new CoreErrno(EINVAL);
      id = elem;
      spec.spec.push({ typeId: id, idx: accessIdx });
      spec.bitOffset = (spec.bitOffset + accessIdx * sizeOrThrow(btf, id) * 8) >>> 0;
    } else {
      warn(
        `prog '${progName}': relo for [${relo.typeId}] ${specStr} (at idx ${i}) captures type [${id}] of unexpected kind ${libbpfKindStr(btf, id)}`,
      );
      throw new CoreErrno(EINVAL);
    }
  }
  return spec;
}

// Find the local named field in target type targId, looking through anonymous
// members; extends the target spec as it goes. libbpf: bpf_core_match_member
function coreMatchMember(local: Btf, localAcc: CoreAccessor, targ: Btf, targId: number, spec: CoreSpec): { found: boolean; next: number } {
  targId = coreSkip(targ, targId);
  if (!isCompositeKind(targ.kindNum(targId))) return { found: false, next: 0 };
  const lt = local.type(localAcc.typeId);
  if (lt.kind !== "STRUCT" && lt.kind !== "UNION") throw new CoreErrno(EINVAL);
  const localMember = lt.members[localAcc.idx]!;
  const n = targ.vlen(targId);
  for (let i = 0; i < n; i++) {
    const bitOff = memberBitOffset(targ, targId, i);
    if (spec.rawSpec.length === BPF_CORE_SPEC_MAX_LEN) throw new CoreErrno(E2BIG);
    // speculate this member is the one
    spec.bitOffset = (spec.bitOffset + bitOff) >>> 0;
    spec.rawSpec.push(i);
    const mType = targ.extraWord(targId, i * 3 + 1);
    const targName = targ.strAt(targ.extraWord(targId, i * 3)) ?? "";
    if (targName === "") {
      const r = coreMatchMember(local, localAcc, targ, mType, spec);
      if (r.found) return r;
    } else if (targName === localMember.name) {
      spec.spec.push({ typeId: targId, idx: i, name: targName });
      const ok = coreFieldsAreCompat(local, localMember.type, targ, mType);
      if (!ok) spec.spec.pop();
      return { found: ok, next: mType };
    }
    spec.bitOffset = (spec.bitOffset - bitOff) >>> 0;
    spec.rawSpec.pop();
  }
  return { found: false, next: 0 };
}

/**
 * Match a local spec against candidate target type `targId`: the target spec when it
 * matches, undefined when not. libbpf: bpf_core_spec_match
 */
export function coreSpecMatch(localSpec: CoreSpec, targ: Btf, targId: number): { matched: boolean; spec: CoreSpec } {
  const ts: CoreSpec = { btf: targ, rootTypeId: targId, kind: localSpec.kind, spec: [], rawSpec: [], bitOffset: 0 };
  const local = localSpec.btf;
  if (coreReloIsTypeBased(localSpec.kind)) {
    const m =
      localSpec.kind === "BPF_CORE_TYPE_MATCHES"
        ? coreTypesMatch(local, localSpec.rootTypeId, targ, targId)
        : coreTypesAreCompat(local, localSpec.rootTypeId, targ, targId);
    return { matched: m, spec: ts };
  }
  const acc0 = localSpec.spec[0]!;
  if (coreReloIsEnumvalBased(localSpec.kind)) {
    targId = coreSkip(targ, targId);
    const t = targ.type(targId);
    if (t.kind !== "ENUM" && t.kind !== "ENUM64") return { matched: false, spec: ts };
    const localName = acc0.name ?? "";
    const len = coreEssentialNameLen(localName);
    for (let i = 0; i < t.values.length; i++) {
      const tn = t.values[i]!.name;
      if (coreEssentialNameLen(tn) !== len) continue;
      if (localName.slice(0, len) === tn.slice(0, len)) {
        ts.spec.push({ typeId: targId, idx: i, name: tn });
        ts.rawSpec.push(i);
        return { matched: true, spec: ts };
      }
    }
    return { matched: false, spec: ts };
  }
  if (!coreReloIsFieldBased(localSpec.kind)) throw new CoreErrno(EINVAL);

  for (let i = 0; i < localSpec.spec.length; i++) {
    const la = localSpec.spec[i]!;
    targId = coreSkip(targ, targId);
    if (la.name !== undefined) {
      const r = coreMatchMember(local, la, targ, targId, ts);
      if (!r.found) return { matched: false, spec: ts };
      targId = r.next;
    } else {
      // i = 0 is the root itself used as an array element; deeper ones step into an array
      if (i > 0) {
        if (targ.kindNum(targId) !== BTF_KIND.ARRAY) return { matched: false, spec: ts };
        const nelems = targ.extraWord(targId, 2);
        const flex = isFlexArr(targ, ts.spec[ts.spec.length - 1], nelems);
        if (!flex && la.idx >= nelems) return { matched: false, spec: ts };
        targId = coreSkip(targ, targ.extraWord(targId, 0));
      }
      if (ts.rawSpec.length === BPF_CORE_SPEC_MAX_LEN) throw new CoreErrno(E2BIG);
      ts.spec.push({ typeId: targId, idx: la.idx });
      ts.rawSpec.push(la.idx);
      ts.bitOffset = (ts.bitOffset + la.idx * sizeOrThrow(targ, targId) * 8) >>> 0;
    }
  }
  return { matched: true, spec: ts };
}

/** libbpf's rendering of a spec, e.g. "<byte_off> [7] struct foo.a[3] (0:1:3 @ offset 16)". libbpf: bpf_core_format_spec */
export function coreFormatSpec(spec: CoreSpec): string {
  const btf = spec.btf;
  const name = btf.typeName(spec.rootTypeId);
  let s = `<${coreReloKindStr(spec.kind)}> [${spec.rootTypeId}] ${libbpfKindStr(btf, spec.rootTypeId)} ${name === "" ? "<anon>" : name}`;
  if (coreReloIsTypeBased(spec.kind)) return s;
  if (coreReloIsEnumvalBased(spec.kind)) {
    const t = btf.type(coreSkip(btf, spec.rootTypeId));
    if (t.kind === "ENUM" || t.kind === "ENUM64") {
      const v = t.values[spec.rawSpec[0]!];
      if (v) s += `::${v.name} = ${v.value}`;
    }
    return s;
  }
  spec.spec.forEach((a, i) => {
    if (a.name !== undefined) s += `.${a.name}`;
    else if (i > 0 || a.idx > 0) s += `[${a.idx}]`;
  });
  s += ` (${spec.rawSpec.join(":")}`;
  s += spec.bitOffset % 8 ? ` @ offset ${Math.floor(spec.bitOffset / 8)}.${spec.bitOffset % 8})` : ` @ offset ${spec.bitOffset / 8})`;
  return s;
}

/**
 * What libbpf puts in the verifier log in place of the kernel's complaint about a
 * poisoned instruction ("N: (85) call unknown#195896080" + "invalid func unknown#195896080"),
 * or undefined when libbpf leaves the log alone. libbpf: fixup_log_failed_core_relo
 */
export function coreFailedReloLogPatch(progName: string, localBtf: Btf, relo: { typeId: number; accessStr: string; kind: BpfCoreReloKind }, insnIdx: number): string | undefined {
  let spec: CoreSpec;
  try {
    spec = coreParseSpec(progName, localBtf, relo);
  } catch {
    return undefined;
  }
  // formatted into a 256-byte buffer; a longer spec is cut and marked with "..."
  const full = coreFormatSpec(spec);
  const bytes = new TextEncoder().encode(full);
  const shown = bytes.length >= 256 ? new TextDecoder().decode(bytes.subarray(0, 255)) : full;
  return `${insnIdx}: <invalid CO-RE relocation>\nfailed to resolve CO-RE relocation ${shown}${bytes.length >= 256 ? "..." : ""}\n`;
}
