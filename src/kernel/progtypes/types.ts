// Row types of the generated program-type table (src/kernel/generated/<version>/progtypes.ts).
import type { AttachTypeName, ProgTypeName } from "../generated/7.2/progtypes.js";

export type { AttachTypeName, ProgTypeName };

/** One enum bpf_prog_type enumerator with its BPF_PROG_TYPE(...) row in include/linux/bpf_types.h. */
export interface ProgTypeRow {
  readonly name: ProgTypeName;
  /** Kernel enum value (the `prog_type` of BPF_PROG_LOAD). */
  readonly value: number;
  /** libbpf's prog_type_name[] spelling ("sched_cls"); null when libbpf has none. */
  readonly libbpfName: string | null;
  /** The `_name` of BPF_PROG_TYPE(_id, _name, ...): prefix of `<ops>_verifier_ops` / `<ops>_prog_ops`. */
  readonly ops: string | null;
  /** The context type the program sees (`struct __sk_buff`) and the kernel's own (`struct sk_buff`). */
  readonly userCtx: string | null;
  readonly kernCtx: string | null;
  /** The #ifdef guards the row sits under in bpf_types.h. */
  readonly configs: readonly string[];
  readonly verifierOps: string | null;
  /** The `.get_func_proto` of that verifier_ops: the selector of the program type's helpers. */
  readonly getFuncProto: string | null;
}

/** One enum bpf_attach_type enumerator. */
export interface AttachTypeRow {
  readonly name: AttachTypeName;
  readonly value: number;
  /** libbpf's attach_type_name[] spelling, null when libbpf has none. */
  readonly libbpfName: string | null;
}
