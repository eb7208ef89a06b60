// The target-kernel profile the verifier consumes: BTF (vmlinux + module split
// BTFs), the kfunc catalog bound to that BTF, and helper prototypes. Kernel facts
// reach the verifier only through this object (DEVELOPERS.md; style-anchors §2
// "platform facts behind one interface"), passed explicitly, never global.

import { basename } from "node:path";
import type { Btf } from "../btf/index.js";
import { loadBtfFile, loadBundledVmlinuxBtf } from "../btf/index.js";
import { InputError } from "../util/errors.js";
import { KFUNC_CATALOG as KFUNCS_7_2 } from "./generated/7.2/kfuncs.js";
import { KFUNC_CATALOG as KFUNCS_TESTMOD } from "./generated/testmod/kfuncs.js";
import { helperProto } from "./helpers/index.js";
import type { HelperProto, LoadContext } from "./helpers/index.js";
import type { ProgTypeName } from "./progtypes/index.js";
import { bindCatalog, kfuncKey } from "./kfuncs/catalog.js";
import type { BoundCatalog, FmodretTarget, Kfunc, KfuncBtf } from "./kfuncs/catalog.js";
import type { KfuncCatalogData, KfuncHook } from "./kfuncs/types.js";
import { kfuncProto } from "./kfuncs/proto.js";
import type { KfuncProto } from "./kfuncs/proto.js";
import { structOpsDesc } from "./structops/index.js";
import type { StructOpsDesc } from "./structops/index.js";

/** Kernel versions with a bundled BTF and generated catalogs. */
export const PROFILE_VERSIONS = ["7.2"] as const;
export type ProfileVersion = (typeof PROFILE_VERSIONS)[number];

const CATALOGS: Record<ProfileVersion, readonly KfuncCatalogData[]> = {
  "7.2": [KFUNCS_7_2, KFUNCS_TESTMOD],
};

export interface ModuleBtfSpec {
  /** Module name ("bpf_testmod"); default: the file name without extension. */
  readonly name?: string;
  readonly path: string;
}

export interface LoadProfileOptions {
  /** Catalog version; default "7.2" (or the nearest to `version` when it is not bundled). */
  readonly version?: string;
  /** Another kernel's vmlinux BTF (raw or ELF); default: the bundled BTF of `version`. */
  readonly btfPath?: string;
  /** Module split BTFs over the vmlinux BTF (paths, or {name, path}). */
  readonly moduleBtfs?: readonly (string | ModuleBtfSpec)[];
}

/** Why a kfunc may or may not be called from a program type (kernel: btf_kfunc_is_allowed). */
export interface KfuncAllowance {
  readonly allowed: boolean;
  /** The hook the program type maps to (undefined: only COMMON kfuncs are callable). */
  readonly hook: KfuncHook | undefined;
  /** The set that admits the kfunc: "BTF_KFUNC_HOOK_COMMON" or `hook` (the first route). */
  readonly via: KfuncHook | undefined;
  /**
   * Filter functions registered on the admitting hook of the kfunc's BTF. The kernel
   * runs each (`filter(prog, kfunc_id)`, non-zero rejects); they are C code, so the
   * verifier must decide them from the program (attach type, struct_ops member...).
   */
  readonly filters: readonly string[];
  /**
   * Every set that admits it, in the kernel's order (COMMON, then the type's hook): when
   * a filter of one route rejects, the kernel tries the next.
   */
  readonly routes: readonly { readonly hook: KfuncHook; readonly filters: readonly string[] }[];
}

export interface Profile {
  /** Version of the catalogs in use ("7.2"). */
  readonly version: ProfileVersion;
  /** Kernel release the catalogs were generated from ("7.2.13"). */
  readonly sourceRelease: string;
  /** The BTF is not the bundled one of `version`: the catalog is the nearest we have. */
  readonly customBtf: boolean;
  readonly vmlinuxBtf: Btf;
  readonly moduleBtfs: readonly KfuncBtf[];
  /** Every kfunc of this build (catalog ∩ BTF), sorted by name. */
  readonly kfuncs: readonly Kfunc[];
  /** insn->imm = btf id, insn->off selects the module BTF (undefined: vmlinux). */
  kfuncByBtfId(id: number, module?: string): Kfunc | undefined;
  kfuncByName(name: string): Kfunc | undefined;
  /** The BTF a kfunc call's `off` refers to, by module name (undefined: vmlinux). */
  btfOf(module?: string): Btf | undefined;
  /** kernel: bpf_prog_type_to_kfunc_hook (for BPF_PROG_TYPE_EXT pass the target's type: resolve_prog_type). */
  hookOf(progType: string): KfuncHook | undefined;
  /** kernel: btf_kfunc_flags: the COMMON set's flags, else the program type's hook set's; undefined when in neither. */
  kfuncFlags(kfunc: Kfunc, progType: string): readonly string[] | undefined;
  /**
   * kernel: btf_kfunc_is_allowed, up to the filter functions (returned, not run: the
   * caller decides them, most from the attach type, e.g. bpf_session_filter).
   * `attach` is accepted for that purpose and does not change the result here.
   */
  kfuncAllowed(kfunc: Kfunc, progType: string, attach?: string): KfuncAllowance;
  /** kernel: btf_kfunc_is_modify_return (filters aside): a register_btf_fmodret_id_set member. */
  fmodretTarget(btfId: number, module?: string): FmodretTarget | undefined;
  /** special_kfunc_list slot (e.g. "KF_bpf_obj_new") -> vmlinux BTF id, undefined when compiled out. */
  specialKfuncId(slot: string): number | undefined;
  /**
   * The kfunc's prototype as the verifier checks it (the `_impl` one for KF_IMPLICIT_ARGS),
   * with each argument's kind and the return kind; `progType` picks the hook's flags and
   * decides context arguments (kernel: fetch_kfunc_meta, check_kfunc_args, check_kfunc_call).
   */
  kfuncProto(kfunc: Kfunc, progType?: string): KfuncProto;
  /** The helper proto a program type gets for helper `id` (src/kernel/helpers). */
  helper(id: number, progType: ProgTypeName, attachType?: string, ctx?: LoadContext): HelperProto | undefined;
  /** The struct_ops type `name` registered by `module` (undefined: vmlinux), when modelled and its BTF is loaded. */
  structOps(name: string, module?: string): StructOpsDesc | undefined;
}

/** The catalog version to use for a requested kernel version: exact, else the nearest bundled one. */
export function nearestVersion(version: string | undefined): ProfileVersion {
  if (version === undefined) return "7.2";
  const exact = PROFILE_VERSIONS.find((v) => v === version || version.startsWith(`${v}.`));
  if (exact) return exact;
  const num = (v: string) => {
    const [a = 0, b = 0] = v.split(".").map((x) => Number.parseInt(x, 10) || 0);
    return a * 1000 + b;
  };
  const want = num(version);
  let best: ProfileVersion = PROFILE_VERSIONS[0];
  for (const v of PROFILE_VERSIONS) if (Math.abs(num(v) - want) < Math.abs(num(best) - want)) best = v;
  return best;
}

function moduleName(spec: string | ModuleBtfSpec): { name: string; path: string } {
  const path = typeof spec === "string" ? spec : spec.path;
  const name = (typeof spec === "string" ? undefined : spec.name) ?? basename(path).replace(/\.[^.]*$/, "").replace(/\.ko$/, "");
  return { name, path };
}

/** Build a profile from BTF objects already parsed (tests, callers that hold the BTF). */
export function makeProfile(version: ProfileVersion, vmlinuxBtf: Btf, moduleBtfs: readonly KfuncBtf[], customBtf = false): Profile {
  const catalogs = CATALOGS[version];
  const main = catalogs[0]!;
  const bound: BoundCatalog = bindCatalog(catalogs, vmlinuxBtf, moduleBtfs);
  const hookOf = (progType: string): KfuncHook | undefined => {
    const h = main.progTypeToHook[progType] ?? main.progTypeToHook.default;
    return h === undefined || h === "BTF_KFUNC_HOOK_MAX" ? undefined : (h as KfuncHook);
  };
  const flagsAt = (k: Kfunc, hook: KfuncHook | undefined) => (hook === undefined ? undefined : k.hooks.find((h) => h.hook === hook)?.flags);
  const filtersAt = (k: Kfunc, hook: KfuncHook) => bound.hookFilters.get(k.module ?? "")?.get(hook) ?? [];
  const profile: Profile = {
    version,
    sourceRelease: main.version,
    customBtf,
    vmlinuxBtf,
    moduleBtfs,
    kfuncs: bound.kfuncs,
    kfuncByBtfId: (id, module) => bound.byId.get(kfuncKey(id, module)),
    kfuncByName: (name) => bound.byName.get(name),
    btfOf: (module) => (module === undefined ? vmlinuxBtf : moduleBtfs.find((m) => m.module === module)?.btf),
    hookOf,
    kfuncFlags: (k, progType) => flagsAt(k, "BTF_KFUNC_HOOK_COMMON") ?? flagsAt(k, hookOf(progType)),
    kfuncAllowed(k, progType) {
      const hook = hookOf(progType);
      // COMMON first, as btf_kfunc_is_allowed; a filter may still reject there, which
      // then falls through to the program type's own hook set.
      const routes: { hook: KfuncHook; filters: readonly string[] }[] = [];
      if (flagsAt(k, "BTF_KFUNC_HOOK_COMMON")) routes.push({ hook: "BTF_KFUNC_HOOK_COMMON", filters: filtersAt(k, "BTF_KFUNC_HOOK_COMMON") });
      if (hook !== undefined && hook !== "BTF_KFUNC_HOOK_COMMON" && flagsAt(k, hook)) routes.push({ hook, filters: filtersAt(k, hook) });
      const first = routes[0];
      return { allowed: first !== undefined, hook, via: first?.hook, filters: first?.filters ?? [], routes };
    },
    fmodretTarget: (btfId, module) => bound.fmodret.get(kfuncKey(btfId, module)),
    specialKfuncId: (slot) => bound.specialIds.get(slot),
    kfuncProto: (k, progType) => kfuncProto(profile, k, progType),
    helper: (id, progType, attachType, ctx) => helperProto(id, progType, attachType, ctx),
    structOps: (name, module) => (module === undefined || moduleBtfs.some((m) => m.module === module) ? structOpsDesc(name, module) : undefined),
  };
  return profile;
}

/**
 * The profile of a target kernel: bundled 7.2 by default; `btfPath` for another
 * kernel's BTF (with the nearest catalog); `moduleBtfs` for module split BTFs.
 */
export function loadProfile(opts: LoadProfileOptions = {}): Profile {
  const version = nearestVersion(opts.version);
  if (opts.version !== undefined && opts.btfPath === undefined && !opts.version.startsWith(version)) {
    throw new InputError("PROFILE_VERSION", `no bundled profile for kernel ${opts.version} (have: ${PROFILE_VERSIONS.join(", ")}); pass --btf PATH`);
  }
  const vmlinuxBtf = opts.btfPath !== undefined ? loadBtfFile(opts.btfPath, { name: "vmlinux" }) : loadBundledVmlinuxBtf(version);
  const moduleBtfs = (opts.moduleBtfs ?? []).map((spec) => {
    const { name, path } = moduleName(spec);
    return { module: name, btf: loadBtfFile(path, { base: vmlinuxBtf, name }) };
  });
  return makeProfile(version, vmlinuxBtf, moduleBtfs, opts.btfPath !== undefined);
}
