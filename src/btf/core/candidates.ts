// Candidate target types of a CO-RE relocation: every target type of a compatible
// kind with the same essential name, in vmlinux first, in modules only when
// vmlinux has none. libbpf: bpf_core_find_cands, bpf_core_add_cands

import type { Btf } from "../btf.js";
import { libbpfKindStr } from "../naming.js";
import { CoreErrno, EINVAL, coreEssentialName, kindCoreCompat } from "./common.js";

/** The target BTFs CO-RE relocations resolve against. */
export interface CoreTarget {
  /** vmlinux BTF (or the --btf override). */
  readonly vmlinux: Btf;
  /** Module BTFs (split over vmlinux), in the order libbpf loads them (kernel BTF object id order). */
  readonly modules?: readonly { readonly name: string; readonly btf: Btf }[];
  /**
   * libbpf's btf_custom_path / targ_btf_path case: the vmlinux BTF was given explicitly,
   * so module BTFs are not searched.
   */
  readonly vmlinuxOverride?: boolean;
}

export interface CoreCand {
  readonly btf: Btf;
  readonly id: number;
  /** "vmlinux" or the module name. */
  readonly btfName: string;
}

/**
 * Candidate lists per local type id for one object. libbpf prunes a list when a
 * relocation rules candidates out, and later relocations of the same type see the
 * pruned list, so one cache must serve all relocations of an object, in order.
 */
export type CoreCandCache = Map<number, CoreCand[]>;

export function newCoreCandCache(): CoreCandCache {
  return new Map();
}

// Per target BTF: own type ids by essential name, in id order, built on first use.
const essentialIndexes = new WeakMap<Btf, Map<string, number[]>>();

function essentialIndex(btf: Btf): Map<string, number[]> {
  let m = essentialIndexes.get(btf);
  if (m) return m;
  m = new Map();
  const merged = new Set<number[]>();
  for (const [name, ids] of btf.names()) {
    const key = coreEssentialName(name);
    const list = m.get(key);
    if (!list) m.set(key, [...ids]);
    else {
      for (const id of ids) list.push(id);
      merged.add(list);
    }
  }
  // flavors of one essential name come from several names: restore id order
  for (const list of merged) list.sort((a, b) => a - b);
  essentialIndexes.set(btf, m);
  return m;
}

// Own ids of `btf` whose essential name is `essential`, in id order.
function idsByEssentialName(btf: Btf, essential: string): readonly number[] {
  if (btf.namedStart() < 0) return essentialIndex(btf).get(essential) ?? [];
  // names sorted: the exact name and the "essential___..." range are found by binary search
  const flavored = btf.findOwnByNamePrefix(`${essential}___`).filter((id) => coreEssentialName(btf.typeName(id)) === essential);
  const exact = btf.findOwnByName(essential);
  if (flavored.length === 0) return exact;
  return [...exact, ...flavored].sort((a, b) => a - b);
}

// libbpf: bpf_core_add_cands (targ_start_id: 1 for vmlinux, the module's own ids for modules)
function addCands(local: Btf, localId: number, essential: string, targ: Btf, targName: string, out: CoreCand[]): void {
  const lk = local.kindNum(localId);
  for (const id of idsByEssentialName(targ, essential)) {
    if (!kindCoreCompat(targ.kindNum(id), lk)) continue;
    out.push({ btf: targ, id, btfName: targName });
  }
}

/** Candidates for local type `localId`; an anonymous local type is an error (-EINVAL). */
export function coreFindCands(local: Btf, localId: number, target: CoreTarget): CoreCand[] {
  if (!local.hasType(localId)) throw new CoreErrno(EINVAL);
  const name = local.typeName(localId);
  if (name === "") throw new CoreErrno(EINVAL);
  const essential = coreEssentialName(name);
  const cands: CoreCand[] = [];
  addCands(local, localId, essential, target.vmlinux, "vmlinux", cands);
  if (cands.length || target.vmlinuxOverride) return cands;
  for (const m of target.modules ?? []) addCands(local, localId, essential, m.btf, m.name, cands);
  return cands;
}

/** libbpf's debug line for a found candidate. */
export function describeCand(local: Btf, localId: number, c: CoreCand): string {
  return `CO-RE relocating [${localId}] ${libbpfKindStr(local, localId)} ${local.typeName(localId)}: found target candidate [${c.id}] ${libbpfKindStr(c.btf, c.id)} ${c.btf.typeName(c.id)} in [${c.btfName}]`;
}
