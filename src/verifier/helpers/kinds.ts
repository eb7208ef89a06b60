// Helper argument and return kinds beyond the plain memory/scalar ones: the
// socket family (net/core/filter.c protos) and what each return kind makes of R0.
// kernel: verifier.c (sock_types, btf_id_sock_common_types, fullsock_types in
// compatible_reg_types; the RET_PTR_TO_* arms of check_helper_call)
import type { BaseRegType } from "../state/reg-type.js";
import { PTR_TRUSTED } from "../state/reg-type.js";

/** Accepted register types of an argument kind, as [base type, exact flags] pairs, in the kernel's order (it prints them). */
export type ArgCompat = readonly [BaseRegType, number][];

const SOCK_TYPES: ArgCompat = [["PTR_TO_SOCK_COMMON", 0], ["PTR_TO_SOCKET", 0], ["PTR_TO_TCP_SOCK", 0], ["PTR_TO_XDP_SOCK", 0]];

/** The socket argument kinds (kernel: compatible_reg_types rows). */
export const SOCK_ARG_COMPAT = {
  ARG_PTR_TO_SOCK_COMMON: SOCK_TYPES,
  // The two PTR_TO_BTF_ID rows are matched against struct sock_common by check_reg_type.
  ARG_PTR_TO_BTF_ID_SOCK_COMMON: [...SOCK_TYPES, ["PTR_TO_BTF_ID", 0], ["PTR_TO_BTF_ID", PTR_TRUSTED]],
  ARG_PTR_TO_SOCKET: [["PTR_TO_SOCKET", 0]],
} as const satisfies Record<string, ArgCompat>;

/** Argument kinds check_func_arg has no arm for: the type check is all. */
export const NO_ARM_ARG_KINDS: ReadonlySet<string> = new Set(["ARG_PTR_TO_SOCK_COMMON", "ARG_PTR_TO_BTF_ID_SOCK_COMMON", "ARG_PTR_TO_SOCKET", "ARG_PTR_TO_RINGBUF_MEM", "ARG_PTR_TO_BTF_ID"]);

/** Return kinds that only give R0 a pointer type (flags from the proto), nothing else. */
export const PLAIN_PTR_RET = {
  RET_PTR_TO_SOCKET: "PTR_TO_SOCKET",
  RET_PTR_TO_SOCK_COMMON: "PTR_TO_SOCK_COMMON",
  RET_PTR_TO_TCP_SOCK: "PTR_TO_TCP_SOCK",
} as const satisfies Record<string, BaseRegType>;

export function plainPtrRet(retBase: string): BaseRegType | undefined {
  return (PLAIN_PTR_RET as Record<string, BaseRegType>)[retBase];
}

/** A helper argument as the proto gives it (HelperProtoView's args rows). */
export interface ProtoArg {
  base: string;
  flags: number;
  size?: number;
}

/**
 * kernel: resolve_map_arg_type — a map value argument means a socket for
 * sockmap/sockhash, and bloom-filter peek only reads the value.
 */
export function resolveMapArgType(mapType: string | undefined, helper: string, arg: ProtoArg): ProtoArg | { error: string } {
  if (mapType === undefined) return { error: "bug" };
  switch (mapType) {
    case "BPF_MAP_TYPE_SOCKMAP":
    case "BPF_MAP_TYPE_SOCKHASH":
      if (arg.base === "ARG_PTR_TO_MAP_VALUE" && arg.flags === 0) return { base: "ARG_PTR_TO_BTF_ID_SOCK_COMMON", flags: 0 };
      return { error: "invalid arg_type for sockmap/sockhash\n" };
    case "BPF_MAP_TYPE_BLOOM_FILTER":
      return helper === "bpf_map_peek_elem" ? { base: "ARG_PTR_TO_MAP_VALUE", flags: 0 } : arg;
    default:
      return arg;
  }
}
