// Register types as the kernel names them: a base type plus modifier flags.
// kernel: include/linux/bpf.h (enum bpf_reg_type, enum bpf_type_flag)

export const BASE_REG_TYPES = [
  "NOT_INIT",
  "SCALAR_VALUE",
  "PTR_TO_CTX",
  "CONST_PTR_TO_MAP",
  "PTR_TO_MAP_VALUE",
  "PTR_TO_MAP_KEY",
  "PTR_TO_STACK",
  "PTR_TO_PACKET_META",
  "PTR_TO_PACKET",
  "PTR_TO_PACKET_END",
  "PTR_TO_FLOW_KEYS",
  "PTR_TO_SOCKET",
  "PTR_TO_SOCK_COMMON",
  "PTR_TO_TCP_SOCK",
  "PTR_TO_TP_BUFFER",
  "PTR_TO_XDP_SOCK",
  "PTR_TO_BTF_ID",
  "PTR_TO_MEM",
  "PTR_TO_ARENA",
  "PTR_TO_BUF",
  "PTR_TO_FUNC",
  "PTR_TO_INSN",
  "CONST_PTR_TO_DYNPTR",
] as const;
export type BaseRegType = (typeof BASE_REG_TYPES)[number];

/** Modifier flags (enum bpf_type_flag), as bits of our own numbering. */
export const PTR_MAYBE_NULL = 1 << 0;
export const MEM_RDONLY = 1 << 1;
export const MEM_RINGBUF = 1 << 2;
export const MEM_USER = 1 << 3;
export const MEM_PERCPU = 1 << 4;
export const OBJ_RELEASE = 1 << 5;
export const PTR_UNTRUSTED = 1 << 6;
export const MEM_UNINIT = 1 << 7;
export const DYNPTR_TYPE_LOCAL = 1 << 8;
export const DYNPTR_TYPE_RINGBUF = 1 << 9;
export const MEM_FIXED_SIZE = 1 << 10;
export const MEM_ALLOC = 1 << 11;
export const PTR_TRUSTED = 1 << 12;
export const MEM_RCU = 1 << 13;
export const NON_OWN_REF = 1 << 14;
export const DYNPTR_TYPE_SKB = 1 << 15;
export const DYNPTR_TYPE_XDP = 1 << 16;
export const MEM_ALIGNED = 1 << 17;
export const MEM_WRITE = 1 << 18;
export const DYNPTR_TYPE_SKB_META = 1 << 19;
export const DYNPTR_TYPE_FILE = 1 << 20;

/** A full register type: base + flags. */
export interface RegType {
  base: BaseRegType;
  flags: number;
}

const BASE_STR: Record<BaseRegType, string> = {
  NOT_INIT: "?",
  SCALAR_VALUE: "scalar",
  PTR_TO_CTX: "ctx",
  CONST_PTR_TO_MAP: "map_ptr",
  PTR_TO_MAP_VALUE: "map_value",
  PTR_TO_STACK: "fp",
  PTR_TO_PACKET: "pkt",
  PTR_TO_PACKET_META: "pkt_meta",
  PTR_TO_PACKET_END: "pkt_end",
  PTR_TO_FLOW_KEYS: "flow_keys",
  PTR_TO_SOCKET: "sock",
  PTR_TO_SOCK_COMMON: "sock_common",
  PTR_TO_TCP_SOCK: "tcp_sock",
  PTR_TO_TP_BUFFER: "tp_buffer",
  PTR_TO_XDP_SOCK: "xdp_sock",
  PTR_TO_BTF_ID: "ptr_",
  PTR_TO_MEM: "mem",
  PTR_TO_ARENA: "arena",
  PTR_TO_BUF: "buf",
  PTR_TO_FUNC: "func",
  PTR_TO_INSN: "insn",
  PTR_TO_MAP_KEY: "map_key",
  CONST_PTR_TO_DYNPTR: "dynptr_ptr",
};

// kernel: reg_type_str (log.c) — prefix flags in this order, then the base
// name, then "or_null_" for ptr_ or "_or_null" for the rest.
const PREFIXES: ReadonlyArray<[number, string]> = [
  [MEM_RDONLY, "rdonly_"],
  [MEM_RINGBUF, "ringbuf_"],
  [MEM_USER, "user_"],
  [MEM_PERCPU, "percpu_"],
  [MEM_RCU, "rcu_"],
  [PTR_UNTRUSTED, "untrusted_"],
  [PTR_TRUSTED, "trusted_"],
];

export function regTypeStr(base: BaseRegType, flags: number): string {
  let prefix = "";
  for (const [bit, s] of PREFIXES) if (flags & bit) prefix += s;
  let postfix = "";
  if (flags & PTR_MAYBE_NULL) postfix = base === "PTR_TO_BTF_ID" ? "or_null_" : "_or_null";
  return prefix + BASE_STR[base] + postfix;
}

export function isPtrType(base: BaseRegType): boolean {
  return base !== "NOT_INIT" && base !== "SCALAR_VALUE";
}
