// The target kernel's helper prototypes: for a helper id (or name) and a
// program type, the `struct bpf_func_proto` the kernel's get_func_proto
// callback returns, as generated from the 7.2 source.
// kernel: get_helper_proto (verifier.c) -> env->ops->get_func_proto(func_id, prog)
import { CONFIG_HELPER_FUNCS, HELPER_IDS, HELPER_PROTOS } from "../generated/7.2/helpers.js";
import { HELPER_SELECTION, HELPER_VARIANT_SETS } from "../generated/7.2/helpers-selection.js";
import { ARG_KINDS, RET_KINDS, TYPE_FLAGS } from "../generated/7.2/helpers-kinds.js";
import type { ProgTypeName } from "../progtypes/types.js";
import { conditionsHold, type LoadContext } from "./conditions.js";
import type { ArgBaseKind, Condition, HelperArgRow, HelperIdRow, HelperProtoRow, HelperRetRow, HelperSelectionRow, HelperVariantRow, RetBaseKind, TypeFlag } from "./types.js";

export type * from "./types.js";
export { conditionHolds, conditionsHold, formatCondition, type LoadContext } from "./conditions.js";
export { ARG_KINDS, RET_KINDS, TYPE_FLAGS } from "../generated/7.2/helpers-kinds.js";
export { CONFIG_HELPER_FUNCS, HELPER_IDS, HELPER_PROTOS, HELPER_SELECTION, HELPER_VARIANT_SETS };

/** A helper's proto as one program type gets it. */
export interface HelperProto extends HelperProtoRow {
  readonly id: number;
  /** "bpf_map_lookup_elem" */
  readonly helperName: string;
  /** "BPF_FUNC_map_lookup_elem" */
  readonly funcId: string;
  readonly progType: ProgTypeName;
  /** The load-time conditions under which this proto is the one returned. */
  readonly when: readonly Condition[];
  /** When the proto has an `.allowed` callback: the condition sets under which it says yes. */
  readonly allowedWhen?: readonly (readonly Condition[])[];
}

/** An argument/return type reduced to its base kind plus every modifier flag (alias and or-ed ones). */
export interface ResolvedType<B extends string> {
  readonly base: B;
  readonly flags: readonly TypeFlag[];
}

const idsById = new Map<number, HelperIdRow>(HELPER_IDS.map((h) => [h.id, h]));
const idsByName = new Map<string, HelperIdRow>(HELPER_IDS.map((h) => [h.name, h]));
const protosByKey = new Map<string, HelperProtoRow>(HELPER_PROTOS.map((p) => [p.key, p]));
const selections = new Map<string, { row: HelperSelectionRow; byId: Map<number, readonly HelperVariantRow[]> }>(
  HELPER_SELECTION.map((row) => [row.selector, { row, byId: new Map(row.entries.map(([id, set]) => [id, HELPER_VARIANT_SETS[set] ?? []])) }]),
);

/** "bpf_map_lookup_elem", "map_lookup_elem" or "BPF_FUNC_map_lookup_elem" -> the UAPI row. */
export function helperByName(name: string): HelperIdRow | undefined {
  const bare = name.replace(/^BPF_FUNC_/, "");
  return idsByName.get(bare) ?? (bare.startsWith("bpf_") ? idsByName.get(bare.slice(4)) : undefined);
}

export function helperById(id: number): HelperIdRow | undefined {
  return idsById.get(id);
}

export function helperProtoRow(key: string): HelperProtoRow | undefined {
  return protosByKey.get(key);
}

/** The selector key for a program type: struct_ops programs take their helpers from their struct_ops type. */
function selectorKey(progType: ProgTypeName, ctx: LoadContext): string {
  return progType === "BPF_PROG_TYPE_STRUCT_OPS" && ctx.structOps !== undefined ? `${progType}:${ctx.structOps}` : progType;
}

/**
 * Every proto the program type can get for a helper, with the conditions of each
 * (an empty list when get_func_proto returns NULL whatever the load looks like).
 */
export function helperVariants(id: number, progType: ProgTypeName, ctx: LoadContext = {}): readonly HelperVariantRow[] {
  return selections.get(selectorKey(progType, ctx))?.byId.get(id) ?? [];
}

/**
 * The proto the kernel hands the verifier for helper `id` in a program of `progType`,
 * or undefined when get_func_proto returns NULL (the verifier then says
 * "program of this type cannot use helper <name>#<id>"). `ctx` defaults to a
 * privileged loader, not sleepable, no lockdown.
 * For BPF_PROG_TYPE_EXT pass the target program's type, as the kernel uses its ops.
 */
export function helperProto(id: number, progType: ProgTypeName, attachType?: string, ctx: LoadContext = {}): HelperProto | undefined {
  // Building a proto costs tens of microseconds (the spread over a row of the big generated
  // table is slow), and every program asks again for the same few helpers: answers are kept
  // per (id, program type, attach type, load context).
  const key = `${id}\0${progType}\0${attachType ?? "\u0001"}\0${JSON.stringify(ctx)}`;
  const hit = protoCache.get(key);
  if (hit !== undefined) return hit ?? undefined;
  const p = selectHelperProto(id, progType, attachType, ctx);
  if (protoCache.size >= 4096) protoCache.clear();
  protoCache.set(key, p ?? null);
  return p;
}

const protoCache = new Map<string, HelperProto | null>();

function selectHelperProto(id: number, progType: ProgTypeName, attachType: string | undefined, ctx: LoadContext): HelperProto | undefined {
  const uapi = idsById.get(id);
  if (uapi === undefined) return undefined;
  const full: LoadContext = attachType === undefined ? ctx : { ...ctx, attachType };
  for (const v of helperVariants(id, progType, full)) {
    if (!conditionsHold(v.when, full)) continue;
    const row = protosByKey.get(v.proto);
    if (row === undefined) return undefined;
    return { ...row, id, helperName: `bpf_${uapi.name}`, funcId: `BPF_FUNC_${uapi.name}`, progType, when: v.when, ...(v.allowed !== undefined ? { allowedWhen: v.allowed } : {}) };
  }
  return undefined;
}

export function helperProtoByName(name: string, progType: ProgTypeName, attachType?: string, ctx: LoadContext = {}): HelperProto | undefined {
  const h = helperByName(name);
  return h === undefined ? undefined : helperProto(h.id, progType, attachType, ctx);
}

/** ARG_PTR_TO_UNINIT_MEM -> {base: ARG_PTR_TO_MEM, flags: [MEM_UNINIT, MEM_WRITE]}, plus the flags or-ed in the proto. */
export function resolveArgType(a: HelperArgRow): ResolvedType<ArgBaseKind> {
  const k = ARG_KINDS[a.kind];
  return { base: k.base, flags: [...k.flags, ...a.flags] };
}

export function resolveRetType(r: HelperRetRow): ResolvedType<RetBaseKind> {
  const k = RET_KINDS[r.kind];
  return { base: k.base, flags: [...k.flags, ...r.flags] };
}

/** The selection rows (program types and struct_ops types) in table order. */
export function helperSelectors(): readonly HelperSelectionRow[] {
  return HELPER_SELECTION;
}

/** The helpers one selection row grants: [helper id, its variants]. */
export function selectorEntries(row: HelperSelectionRow): readonly (readonly [number, readonly HelperVariantRow[]])[] {
  return row.entries.map(([id, set]) => [id, HELPER_VARIANT_SETS[set] ?? []] as const);
}

/** The kernel's bit value of a set of modifier flags (BIT(n + BPF_BASE_TYPE_BITS) each). */
export function typeFlagMask(flags: readonly TypeFlag[]): number {
  let mask = 0;
  for (const f of flags) mask |= 2 ** TYPE_FLAGS[f];
  return mask;
}

/**
 * The CONFIG_* options the helper selection depends on that a kernel was built without,
 * judged from its BTF: an option is off when none of the helper functions defined only
 * under it is a FUNC there. Feed the result to LoadContext.configsOff.
 */
export function configsOffFromBtf(hasFunc: (name: string) => boolean): string[] {
  return Object.entries(CONFIG_HELPER_FUNCS)
    .filter(([, funcs]) => funcs.length > 0 && !funcs.some(hasFunc))
    .map(([name]) => name);
}

/**
 * kernel: check_helper_call's `fn->allowed && !fn->allowed(env->prog)` test; false means
 * "helper call is not allowed in probe".
 */
export function helperAllowed(p: HelperProto, attachType?: string, ctx: LoadContext = {}): boolean {
  const full: LoadContext = attachType === undefined ? ctx : { ...ctx, attachType };
  return p.allowedWhen === undefined || p.allowedWhen.some((cs) => conditionsHold(cs, full));
}
