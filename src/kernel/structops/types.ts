// What the verifier needs to know about one registered struct_ops type
// (kernel: struct bpf_struct_ops and its bpf_verifier_ops): a target fact,
// kept as data in the profile. The ops' C callbacks are named, not run: the
// verifier's structops module decides each named rule from the program.

/** kernel: the .check_member callbacks of the modelled struct_ops types. */
export interface StructOpsCheckMember {
  /** A sleepable program may only implement these members (bpf_dummy_ops_check_member, bpf_scx_check_member). */
  readonly sleepableOnly?: readonly string[];
  /** These members request a private stack (priv_stack_requested: st_ops3_check_member, bpf_scx_check_member). */
  readonly privStack?: readonly string[];
}

/** kernel: the .is_valid_access of the struct_ops' bpf_verifier_ops. */
export type StructOpsIsValidAccess =
  /** bpf_tracing_btf_ctx_access: the member's prototype, as tracing programs read it. */
  | "bpf_tracing_btf_ctx_access"
  /** bpf_qdisc_is_valid_access: .enqueue's `to_free` reads as a trusted struct bpf_sk_buff_ptr. */
  | "bpf_qdisc_is_valid_access";

/** kernel: the .btf_struct_access of the struct_ops' bpf_verifier_ops (writes into kernel objects). */
export type StructOpsBtfStructAccess =
  /** bpf_testmod: st_ops_btf_struct_access — anywhere inside struct st_ops_args. */
  | { readonly kind: "whole-struct"; readonly struct: string }
  /** bpf_dummy_ops_btf_struct_access: only struct bpf_dummy_ops_state, inside its size. */
  | { readonly kind: "bpf_dummy_ops_btf_struct_access" }
  /** bpf_qdisc_btf_struct_access: a few fields of struct sk_buff and struct Qdisc. */
  | { readonly kind: "bpf_qdisc_btf_struct_access" }
  /** bpf_scx_btf_struct_access: task_struct's scx.slice, scx.dsq_vtime and scx.disallow. */
  | { readonly kind: "bpf_scx_btf_struct_access" };

export interface StructOpsDesc {
  /** st_ops->name, the ops struct's name in BTF. */
  readonly name: string;
  /** The module that registers it (its BTF holds the types); undefined: vmlinux. */
  readonly module?: string;
  /**
   * st_ops->cfi_stubs, per member: the stub function's name (its BTF FUNC's
   * parameter names carry the __nullable / __ref suffixes). A member without
   * a stub is unsupported (kernel: bpf_struct_ops_supported).
   */
  readonly stubs: Readonly<Record<string, string>>;
  readonly checkMember?: StructOpsCheckMember;
  readonly isValidAccess: StructOpsIsValidAccess;
  readonly btfStructAccess?: StructOpsBtfStructAccess;
  /**
   * The members whose programs get a gen_epilogue (the ctx pointer is saved
   * below the program's stack: its stack depth grows by 8 after a successful
   * verification). bpf_testmod's "test_kfunc_" programs get another
   * epilogue, of the same effect.
   */
  readonly epilogueMembers?: readonly string[];
  /** The members whose programs get a gen_prologue (no effect on the verification itself). */
  readonly prologueMembers?: readonly string[];
  /**
   * The kfunc filter the struct_ops registers with its kfunc sets
   * (bpf_qdisc_kfunc_filter, scx_kfunc_context_filter), by kfunc name.
   */
  readonly kfuncFilter?: StructOpsKfuncFilter;
}

export interface StructOpsKfuncFilter {
  readonly name: string;
  /** The kfuncs it governs: any other kfunc passes. */
  readonly governs: readonly string[];
  /** The ones every member of the owning struct_ops may call. */
  readonly common: readonly string[];
  /** Per member, the further ones it may call. */
  readonly perMember: Readonly<Record<string, readonly string[]>>;
  /** Programs of other types reaching the filter (its sets are registered for their hook): what they may call. */
  readonly otherProgTypes?: Readonly<Record<string, readonly string[]>> & { readonly default: readonly string[] };
}
