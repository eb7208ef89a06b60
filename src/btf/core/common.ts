// Shared pieces of the CO-RE relocation logic: libbpf's errno-style failures,
// essential names ("foo___flavor" -> "foo") and the kind-compatibility rule.

import { InputError, type Where } from "../../util/errors.js";
import type { Btf } from "../btf.js";
import { BTF_KIND } from "../kinds.js";
import { resolveSize as resolveSizeOrUndef, skipModsAndTypedefs } from "../walk.js";

export const EINVAL = 22;
export const E2BIG = 7;
export const EOPNOTSUPP = 95;
export const ERANGE = 34;
export const EUCLEAN = 117;

const ERRNO_NAMES: Record<number, string> = {
  [EINVAL]: "EINVAL",
  [E2BIG]: "E2BIG",
  [EOPNOTSUPP]: "EOPNOTSUPP",
  [ERANGE]: "ERANGE",
  [EUCLEAN]: "EUCLEAN",
};

/** libbpf's errstr(): "-EINVAL" etc. */
export function errstr(errno: number): string {
  const n = ERRNO_NAMES[errno];
  return n ? `-${n}` : `${-errno}`;
}

/** A libbpf-internal failure with its errno, before it becomes a CoreReloError. */
export class CoreErrno extends Error {
  constructor(readonly errno: number, message = errstr(errno)) {
    super(message);
  }
}

/**
 * A CO-RE relocation that makes libbpf refuse the object. `libbpfLog` holds the
 * warning lines libbpf prints (without the "libbpf: " prefix), in order.
 */
export class CoreReloError extends InputError {
  readonly errno: number;
  readonly libbpfLog: readonly string[];
  constructor(errno: number, libbpfLog: readonly string[], where: Where = {}) {
    super("CORE_RELO", libbpfLog.join("; ") || errstr(errno), where);
    this.name = "CoreReloError";
    this.errno = errno;
    this.libbpfLog = libbpfLog;
  }
}

// libbpf: bpf_core_is_flavor_sep — "X___Y" where X and Y are not underscores
function isFlavorSep(s: string, i: number): boolean {
  return s[i] !== "_" && s[i + 1] === "_" && s[i + 2] === "_" && s[i + 3] === "_" && s[i + 4] !== "_" && i + 4 < s.length;
}

/** Length of the name before the last "___flavor" suffix. libbpf: bpf_core_essential_name_len */
export function coreEssentialNameLen(name: string): number {
  for (let i = name.length - 5; i >= 0; i--) if (isFlavorSep(name, i)) return i + 1;
  return name.length;
}

export function coreEssentialName(name: string): string {
  return name.slice(0, coreEssentialNameLen(name));
}

export function isAnyEnumKind(k: number): boolean {
  return k === BTF_KIND.ENUM || k === BTF_KIND.ENUM64;
}

export function isCompositeKind(k: number): boolean {
  return k === BTF_KIND.STRUCT || k === BTF_KIND.UNION;
}

/** Same kind, or both enums of either width. libbpf: btf_kind_core_compat */
export function kindCoreCompat(k1: number, k2: number): boolean {
  return k1 === k2 || (isAnyEnumKind(k1) && isAnyEnumKind(k2));
}

/** skip_mods_and_typedefs, with a cyclic chain turned into libbpf's -EINVAL. */
export function coreSkip(btf: Btf, id: number): number {
  try {
    return skipModsAndTypedefs(btf, id);
  } catch (e) {
    if (e instanceof InputError) throw new CoreErrno(EINVAL, e.message);
    throw e;
  }
}

/** btf__resolve_size as libbpf reports it: a size, or a negative errno. */
export function coreResolveSize(btf: Btf, id: number): number {
  try {
    const s = resolveSizeOrUndef(btf, id);
    return s === undefined ? -EINVAL : s;
  } catch (e) {
    if (e instanceof InputError) return e.code === "BTF_TOO_BIG" ? -E2BIG : -EINVAL;
    throw e;
  }
}


/** INT encoding bits / offset of an INT type id. */
export function intEncoding(btf: Btf, id: number): number {
  return (btf.extraWord(id, 0) >>> 24) & 0x0f;
}
export function intOffset(btf: Btf, id: number): number {
  return (btf.extraWord(id, 0) >>> 16) & 0xff;
}
