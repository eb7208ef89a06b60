// Which helpers a struct_ops program may call is its struct_ops type's
// choice (its verifier ops' get_func_proto). The helper tables know the
// vmlinux types' choices; for any other type (bpf_testmod's, bpf_dummy_ops)
// a helper call is NotModelled rather than refused.
// kernel: verifier.c (check_helper_call: env->ops->get_func_proto)
import { HELPER_SELECTION } from "../../kernel/helpers/index.js";
import { notModelled } from "../not-modelled.js";

/** NotModelled unless the helper tables have the struct_ops type's get_func_proto. */
export function requireStructOpsHelpers(typeName: string): void {
  const key = `BPF_PROG_TYPE_STRUCT_OPS:${typeName}`;
  if (!HELPER_SELECTION.some((r) => r.selector === key)) notModelled(`helpers of struct_ops type ${typeName} (its get_func_proto)`);
}
