// The kfunc catalog bound to a build's BTF: which catalog kfuncs this kernel
// actually has (their FUNC is in vmlinux or a module BTF), with their per-hook
// flags, the filters of each hook, and the verifier's special-kfunc slots.
// kernel: btf_kfunc_id_set_contains / btf_kfunc_flags / btf_kfunc_is_allowed (btf.c)

import type { Btf } from "../../btf/index.js";
import type { KfuncCatalogData, KfuncCatalogRow, KfuncHook } from "./types.js";

/** A BTF blob the kfunc may live in: vmlinux (module undefined) or a module's split BTF. */
export interface KfuncBtf {
  readonly module: string | undefined;
  readonly btf: Btf;
}

/** One hook a kfunc is registered under, with the flags it has there. */
export interface KfuncHookEntry {
  readonly hook: KfuncHook;
  readonly flags: readonly string[];
  /** Set and btf_kfunc_id_set keys ("file:name"). */
  readonly set: string;
  readonly idSet: string;
  /** The registering id set's filter, if any (other filters of the hook apply too: see hookFilters). */
  readonly filter?: string;
  readonly progTypes: readonly string[];
  readonly cond?: readonly string[];
}

/** A kfunc of this build. */
export interface Kfunc {
  readonly name: string;
  /** The FUNC's id in `btf` (split ids continue after vmlinux's). */
  readonly btfId: number;
  readonly btf: Btf;
  /** Module name, undefined for vmlinux. */
  readonly module: string | undefined;
  /** Per hook, in enum btf_kfunc_hook order. */
  readonly hooks: readonly KfuncHookEntry[];
  /** Union of the flags over the hooks, in flag-bit order. */
  readonly flags: readonly string[];
  /** Declared through XDP_METADATA_KFUNC_xxx (device-bound metadata kfunc). */
  readonly xdpMetadata: boolean;
  /** special_kfunc_list slots naming this kfunc (e.g. "KF_bpf_obj_new"). */
  readonly special: readonly string[];
}

function flagOrder(data: KfuncCatalogData, flags: Iterable<string>): string[] {
  const bit = (f: string) => data.flagBits[f] ?? 1000;
  return [...new Set(flags)].sort((a, b) => bit(a) - bit(b) || (a < b ? -1 : 1));
}

function funcId(btf: Btf, name: string, ownOnly: boolean): number | undefined {
  for (const id of btf.findByName(name)) {
    if (ownOnly && id < btf.startId) continue;
    if (btf.kind(id) === "FUNC") return id;
  }
  return undefined;
}

/** Hook -> filters registered on it, per BTF owner (kernel: kfunc_set_tab.hook_filters). */
export type HookFilters = ReadonlyMap<string, ReadonlyMap<KfuncHook, readonly string[]>>;

export interface BoundCatalog {
  readonly kfuncs: readonly Kfunc[];
  readonly byName: ReadonlyMap<string, Kfunc>;
  /** Key `${module ?? ""}:${btfId}`. */
  readonly byId: ReadonlyMap<string, Kfunc>;
  readonly hookFilters: HookFilters;
  /** special_kfunc_list enumerator -> BTF id in vmlinux (absent slots: BTF_ID_UNUSED or not in this BTF). */
  readonly specialIds: ReadonlyMap<string, number>;
  /** BTF_KFUNC_HOOK_FMODRET members by kfuncKey (kernel: btf_kfunc_is_modify_return). */
  readonly fmodret: ReadonlyMap<string, FmodretTarget>;
}

/** A function registered with register_btf_fmodret_id_set: fmod_ret may attach; KF_SLEEPABLE allows sleepable programs. */
export interface FmodretTarget {
  readonly name: string;
  readonly btfId: number;
  readonly module: string | undefined;
  readonly flags: readonly string[];
}

export function kfuncKey(btfId: number, module: string | undefined): string {
  return `${module ?? ""}:${btfId}`;
}

/**
 * Bind catalogs to BTFs. Each catalog row is placed in the first BTF (vmlinux,
 * then the modules, own types only) that has a FUNC of that name, since a kfunc
 * set registers into the BTF of the code that registers it. A module catalog
 * (`data.module`) binds only to that module's BTF. fmodret-only sets (BTF_SET8_START)
 * are attach targets, not kfuncs, and are left out.
 */
export function bindCatalog(catalogs: readonly KfuncCatalogData[], vmlinux: Btf, modules: readonly KfuncBtf[]): BoundCatalog {
  const rowsByPlace = new Map<string, { name: string; place: KfuncBtf; btfId: number; rows: KfuncCatalogRow[]; data: KfuncCatalogData }>();
  const filters = new Map<string, Map<KfuncHook, string[]>>();
  const fmodret = new Map<string, FmodretTarget>();
  const vml: KfuncBtf = { module: undefined, btf: vmlinux };
  for (const data of catalogs) {
    const places: KfuncBtf[] = data.module !== undefined ? modules.filter((m) => m.module === data.module) : [vml, ...modules];
    const idSetFilter = new Map(data.idSets.map((s) => [s.key, s.filter]));
    for (const row of data.catalog) {
      let found: { place: KfuncBtf; id: number } | undefined;
      for (const p of places) {
        const id = funcId(p.btf, row.name, p.module !== undefined);
        if (id !== undefined) { found = { place: p, id }; break; }
      }
      if (!found) continue;
      if (row.hook === "BTF_KFUNC_HOOK_FMODRET") {
        const fk = kfuncKey(found.id, found.place.module);
        const prev = fmodret.get(fk);
        fmodret.set(fk, { name: row.name, btfId: found.id, module: found.place.module, flags: flagOrder(data, [...(prev?.flags ?? []), ...row.flags]) });
      }
      // fmodret-only BTF_SET8 sets name attach targets, not kfuncs
      if (row.notKfuncSet) continue;
      const key = kfuncKey(found.id, found.place.module);
      let e = rowsByPlace.get(key);
      if (!e) rowsByPlace.set(key, (e = { name: row.name, place: found.place, btfId: found.id, rows: [], data }));
      e.rows.push(row);
      const filter = idSetFilter.get(row.idSet);
      if (filter !== undefined) {
        const owner = found.place.module ?? "";
        let m = filters.get(owner);
        if (!m) filters.set(owner, (m = new Map()));
        const hook = row.hook as KfuncHook;
        const list = m.get(hook) ?? [];
        if (!list.includes(filter)) list.push(filter);
        m.set(hook, list);
      }
    }
  }
  const special = new Map<string, string[]>();
  const specialIds = new Map<string, number>();
  for (const data of catalogs) {
    for (const l of data.verifierLists) {
      if (l.name !== "special_kfunc_list") continue;
      for (const e of l.entries) {
        if (e.enum === undefined || e.name === undefined) continue;
        special.set(e.name, [...(special.get(e.name) ?? []), e.enum]);
        const id = funcId(vmlinux, e.name, false);
        if (id !== undefined) specialIds.set(e.enum, id);
      }
    }
  }
  const kfuncs: Kfunc[] = [];
  for (const [, e] of rowsByPlace) {
    const hookIdx = (h: string) => e.data.hooks.indexOf(h);
    const rows = [...e.rows].sort((a, b) => hookIdx(a.hook) - hookIdx(b.hook));
    kfuncs.push({
      name: e.name,
      btfId: e.btfId,
      btf: e.place.btf,
      module: e.place.module,
      hooks: rows.map((r) => ({
        hook: r.hook as KfuncHook,
        flags: r.flags,
        set: r.set,
        idSet: r.idSet,
        ...(r.filter !== undefined ? { filter: r.filter } : {}),
        progTypes: r.progTypes,
        ...(r.cond ? { cond: r.cond } : {}),
      })),
      flags: flagOrder(e.data, rows.flatMap((r) => r.flags)),
      xdpMetadata: rows.some((r) => r.via === "XDP_METADATA_KFUNC_xxx"),
      special: e.place.module === undefined ? special.get(e.name) ?? [] : [],
    });
  }
  kfuncs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : (a.module ?? "") < (b.module ?? "") ? -1 : 1));
  const byName = new Map<string, Kfunc>();
  for (const k of kfuncs) if (!byName.has(k.name)) byName.set(k.name, k);
  return {
    kfuncs,
    byName,
    byId: new Map(kfuncs.map((k) => [kfuncKey(k.btfId, k.module), k])),
    hookFilters: filters,
    specialIds,
    fmodret,
  };
}
