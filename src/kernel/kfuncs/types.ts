// Shapes of the generated kfunc catalog (src/kernel/generated/<ver>/kfuncs.ts,
// written by scripts/gen/kfuncs.mjs). Names and flags are spelled as in the
// kernel source so a grep from the kernel finds them.

/** include/linux/btf.h KF_* flag names (7.2). */
export type KfFlag =
  | "KF_ACQUIRE"
  | "KF_RELEASE"
  | "KF_RET_NULL"
  | "KF_SLEEPABLE"
  | "KF_DESTRUCTIVE"
  | "KF_RCU"
  | "KF_ITER_NEW"
  | "KF_ITER_NEXT"
  | "KF_ITER_DESTROY"
  | "KF_RCU_PROTECTED"
  | "KF_FASTCALL"
  | "KF_ARENA_RET"
  | "KF_ARENA_ARG1"
  | "KF_ARENA_ARG2"
  | "KF_IMPLICIT_ARGS";

/** kernel/bpf/btf.c enum btf_kfunc_hook (without _MAX). */
export type KfuncHook =
  | "BTF_KFUNC_HOOK_COMMON"
  | "BTF_KFUNC_HOOK_XDP"
  | "BTF_KFUNC_HOOK_TC"
  | "BTF_KFUNC_HOOK_STRUCT_OPS"
  | "BTF_KFUNC_HOOK_TRACING"
  | "BTF_KFUNC_HOOK_SYSCALL"
  | "BTF_KFUNC_HOOK_FMODRET"
  | "BTF_KFUNC_HOOK_CGROUP"
  | "BTF_KFUNC_HOOK_SCHED_ACT"
  | "BTF_KFUNC_HOOK_SK_SKB"
  | "BTF_KFUNC_HOOK_SOCKET_FILTER"
  | "BTF_KFUNC_HOOK_LWT"
  | "BTF_KFUNC_HOOK_NETFILTER"
  | "BTF_KFUNC_HOOK_KPROBE";

/** One BTF_ID_FLAGS(func, name, FLAGS...) line of a set. */
export interface KfuncSetEntry {
  readonly name: string;
  /** Flags as written; a flag the TS union does not know yet stays a string (newer kernels). */
  readonly flags: readonly string[];
  /** #if conditions inside the set around this line. */
  readonly cond?: readonly string[];
  /** Declared through an x-macro list instead of a literal BTF_ID_FLAGS (XDP_METADATA_KFUNC_xxx). */
  readonly via?: string;
}

/** A BTF_KFUNCS_START (kfuncs: true) or BTF_SET8_START (kfuncs: false) set. */
export interface KfuncSetRow {
  /** "file:name": static sets of different files may share a name. */
  readonly key: string;
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly kfuncs: boolean;
  readonly cond?: readonly string[];
  readonly entries: readonly KfuncSetEntry[];
}

/** `struct btf_kfunc_id_set NAME = { .set = &..., .filter = ... }`. */
export interface KfuncIdSetRow {
  readonly key: string;
  readonly name: string;
  readonly file: string;
  readonly set: string | null;
  readonly filter?: string;
  readonly cond?: readonly string[];
}

/** A register_btf_kfunc_id_set(PROG_TYPE, &set) or register_btf_fmodret_id_set(&set) call. */
export interface KfuncRegistrationRow {
  readonly file: string;
  readonly call: "register_btf_kfunc_id_set" | "register_btf_fmodret_id_set";
  /** null for register_btf_fmodret_id_set. */
  readonly progType: string | null;
  readonly idSet: string;
  readonly cond?: readonly string[];
}

/** One (kfunc, hook, set) row: the flags a kfunc has when reached through that hook. */
export interface KfuncCatalogRow {
  readonly name: string;
  readonly hook: string;
  readonly flags: readonly string[];
  readonly set: string;
  readonly idSet: string;
  readonly filter?: string;
  /** The program types whose registration put this set under the hook ("fmodret" for fmodret sets). */
  readonly progTypes: readonly string[];
  /** The set is a BTF_SET8_START set (fmodret targets), not a kfunc set. */
  readonly notKfuncSet?: boolean;
  readonly via?: string;
  /** Conditions of the registration call, the id set and the entry. */
  readonly cond?: readonly string[];
}

/** An entry of a BTF_ID_LIST / BTF_SET_START list of kernel/bpf/verifier.c. */
export interface BtfIdListEntry {
  /** The enumerator naming the slot (special_kfunc_type, kf_arg_btf_ids' enum). */
  readonly enum?: string;
  readonly kind?: string;
  readonly name?: string;
  /** BTF_ID_UNUSED slot. */
  readonly unused?: boolean;
  readonly cond?: readonly string[];
}

export interface BtfIdListRow {
  readonly name: string;
  readonly file: string;
  readonly macro: string;
  readonly entries: readonly BtfIdListEntry[];
}

export interface KfuncCatalogData {
  /** Kernel release of the source tree ("7.2.13"). */
  readonly version: string;
  readonly source: string;
  /** Module whose BTF holds these kfuncs (module catalogs only). */
  readonly module?: string;
  readonly hooks: readonly string[];
  /** bpf_prog_type_to_kfunc_hook, "default" for any other type. */
  readonly progTypeToHook: Readonly<Record<string, string>>;
  readonly flagBits: Readonly<Record<string, number>>;
  readonly sets: readonly KfuncSetRow[];
  readonly idSets: readonly KfuncIdSetRow[];
  readonly registrations: readonly KfuncRegistrationRow[];
  readonly catalog: readonly KfuncCatalogRow[];
  readonly verifierLists: readonly BtfIdListRow[];
}
