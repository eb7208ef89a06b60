// Row types of the generated helper tables (src/kernel/generated/<version>/helpers*.ts)
// and of the API built on them. Kernel names are kept verbatim.
import type { ArgBaseKind, ArgKind, RetBaseKind, RetKind, TypeFlag } from "../generated/7.2/helpers-kinds.js";
import type { ProgTypeName } from "../progtypes/types.js";

export type { ArgBaseKind, ArgKind, RetBaseKind, RetKind, TypeFlag };

/** What an enum bpf_arg_type / bpf_return_type enumerator is made of. */
export interface KindRow<B extends string, F extends string> {
  readonly value: number;
  readonly base: B;
  readonly flags: readonly F[];
}

/** One ___BPF_FUNC_MAPPER row: `name` is without the BPF_FUNC_ prefix ("map_lookup_elem"). */
export interface HelperIdRow {
  readonly id: number;
  readonly name: string;
}

/** An `argN_btf_id` / `ret_btf_id` initializer and the type it names, when the source says. */
export interface BtfIdRef {
  /** As written: "&btf_tracing_ids[BTF_TRACING_TYPE_TASK]", "BPF_PTR_POISON". */
  readonly src: string;
  /** "struct task_struct"; absent for BPF_PTR_POISON (the type comes from the kptr field). */
  readonly type?: string;
}

export interface ArgSize {
  readonly src: string;
  readonly bytes?: number;
}

export interface HelperArgRow {
  /** As written in the proto: "ARG_PTR_TO_MEM | MEM_RDONLY". */
  readonly type: string;
  /** The enum bpf_arg_type enumerator of `type`. */
  readonly kind: ArgKind;
  /** The flags or-ed to it in the proto (not those inside an alias like ARG_PTR_TO_UNINIT_MEM). */
  readonly flags: readonly TypeFlag[];
  readonly btfId?: BtfIdRef;
  /** `.argN_size`, for MEM_FIXED_SIZE arguments. */
  readonly size?: ArgSize;
}

export interface HelperRetRow {
  readonly type: string;
  readonly kind: RetKind;
  readonly flags: readonly TypeFlag[];
  readonly btfId?: BtfIdRef;
}

/** One `const struct bpf_func_proto` definition. */
export interface HelperProtoRow {
  /** The variable name, or name@file when several files define one of that name. */
  readonly key: string;
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly func: string | null;
  readonly gplOnly: boolean;
  readonly pktAccess: boolean;
  readonly mightSleep: boolean;
  readonly allowFastcall: boolean;
  readonly ret: HelperRetRow;
  /** arg1..argN up to the last one the proto sets. */
  readonly args: readonly HelperArgRow[];
  /** `.allowed` callback: a further check the verifier runs on the program. */
  readonly allowed?: string;
  /** CONFIG_* options the definition sits under (#ifdef). */
  readonly configs?: readonly string[];
}

/**
 * A load-time condition on the path through get_func_proto that returns a proto.
 * `holds` says whether the condition must be true or false on that path.
 */
export type Condition =
  | { readonly kind: "attachType"; readonly oneOf?: readonly string[]; readonly noneOf?: readonly string[] }
  /** bpf_token_capable(token, CAP_x) / capable(CAP_x) / bpf_capable() / perfmon_capable(). */
  | { readonly kind: "capable"; readonly cap: string; readonly holds: boolean }
  | { readonly kind: "sleepable"; readonly holds: boolean }
  /** security_locked_down(what) < 0 */
  | { readonly kind: "lockedDown"; readonly what: string; readonly holds: boolean }
  /** bpf_iter_get_func_proto: the iterator target the program attaches to ("tcp"). */
  | { readonly kind: "iterTarget"; readonly target: string; readonly holds: boolean }
  /** A `case` label under `#ifdef CONFIG_x`: present only in kernels built with that option. */
  | { readonly kind: "config"; readonly name: string; readonly holds: boolean }
  /** prog_ops_moff(prog) == offsetof(struct ..., member): the struct_ops member the program implements. */
  | { readonly kind: "structOpsMember"; readonly member: string; readonly holds: boolean }
  /** btf_id_set_contains(&set, prog->aux->attach_btf_id): the kernel function the program attaches to is one of `funcs`. */
  | { readonly kind: "attachTarget"; readonly set: string; readonly funcs: readonly string[]; readonly holds: boolean }
  /** strncmp(prog->aux->attach_func_name, prefix, strlen(prefix)) == 0 */
  | { readonly kind: "attachTargetPrefix"; readonly prefix: string; readonly holds: boolean }
  /** Any other test, as written in the source. */
  | { readonly kind: "expr"; readonly text: string; readonly holds: boolean };

export interface HelperVariantRow {
  /** HelperProtoRow.key */
  readonly proto: string;
  /** All must hold. */
  readonly when: readonly Condition[];
  /**
   * For protos with an `.allowed` callback: the condition sets under which it returns true
   * for this program type (any one set suffices; [] = never). Absent: no callback.
   */
  readonly allowed?: readonly (readonly Condition[])[];
}

/** The helpers one program type's get_func_proto returns (or one struct_ops type's). */
export interface HelperSelectionRow {
  /** The program type name, or "BPF_PROG_TYPE_STRUCT_OPS:<struct_ops name>". */
  readonly selector: string;
  readonly progType: ProgTypeName;
  readonly structOps?: string;
  readonly getFuncProto: string;
  /**
   * [helper id, index into HELPER_VARIANT_SETS]: the protos the helper can get, told apart
   * (mutually exclusive) by their conditions.
   */
  readonly entries: readonly (readonly [number, number])[];
}
