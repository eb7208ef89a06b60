// BTF kind numbers and names as include/uapi/linux/btf.h (linux 7.2) defines them.
// The names are the kernel's BTF_KIND_* suffixes, so `btf_kind_str` and a grep
// from the kernel source both find them.

export const BTF_KIND_NAMES = [
  "UNKN",
  "INT",
  "PTR",
  "ARRAY",
  "STRUCT",
  "UNION",
  "ENUM",
  "FWD",
  "TYPEDEF",
  "VOLATILE",
  "CONST",
  "RESTRICT",
  "FUNC",
  "FUNC_PROTO",
  "VAR",
  "DATASEC",
  "FLOAT",
  "DECL_TAG",
  "TYPE_TAG",
  "ENUM64",
] as const;

/** A kind this parser knows (BTF_KIND_UNKN..BTF_KIND_ENUM64). */
export type BtfKindName = (typeof BTF_KIND_NAMES)[number];

export const BTF_KIND = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const satisfies Record<BtfKindName, number>;

export const NR_BTF_KINDS = BTF_KIND_NAMES.length;

/** BTF_INT_ENCODING bits. */
export const BTF_INT_SIGNED = 1;
export const BTF_INT_CHAR = 2;
export const BTF_INT_BOOL = 4;

/** btf_func_linkage and the VAR linkage values. */
export const BTF_FUNC_STATIC = 0;
export const BTF_FUNC_GLOBAL = 1;
export const BTF_FUNC_EXTERN = 2;
export const BTF_VAR_STATIC = 0;
export const BTF_VAR_GLOBAL_ALLOCATED = 1;
export const BTF_VAR_GLOBAL_EXTERN = 2;

export const BTF_MAGIC = 0xeb9f;
export const BTF_VERSION = 1;
/** The kernel's bound on modifier/typedef chains (kernel/bpf/btf.c MAX_RESOLVE_DEPTH). */
export const MAX_RESOLVE_DEPTH = 32;

// info word: bits 0-23 vlen, 24-30 kind, 31 kind_flag (7.2 widened vlen and kind).
export function infoKind(info: number): number {
  return (info >>> 24) & 0x7f;
}
export function infoVlen(info: number): number {
  return info & 0xffffff;
}
export function infoKflag(info: number): boolean {
  return info >>> 31 === 1;
}

/** Bytes that follow `struct btf_type` for each known kind: a singular part and per-vlen elements. */
export const KNOWN_KIND_LAYOUT: readonly { readonly info: number; readonly elem: number }[] = [
  { info: 0, elem: 0 }, // UNKN
  { info: 4, elem: 0 }, // INT: encoding word
  { info: 0, elem: 0 }, // PTR
  { info: 12, elem: 0 }, // ARRAY: btf_array
  { info: 0, elem: 12 }, // STRUCT: btf_member
  { info: 0, elem: 12 }, // UNION
  { info: 0, elem: 8 }, // ENUM: btf_enum
  { info: 0, elem: 0 }, // FWD
  { info: 0, elem: 0 }, // TYPEDEF
  { info: 0, elem: 0 }, // VOLATILE
  { info: 0, elem: 0 }, // CONST
  { info: 0, elem: 0 }, // RESTRICT
  { info: 0, elem: 0 }, // FUNC
  { info: 0, elem: 8 }, // FUNC_PROTO: btf_param
  { info: 4, elem: 0 }, // VAR: btf_var
  { info: 0, elem: 12 }, // DATASEC: btf_var_secinfo
  { info: 0, elem: 0 }, // FLOAT
  { info: 4, elem: 0 }, // DECL_TAG: btf_decl_tag
  { info: 0, elem: 0 }, // TYPE_TAG
  { info: 0, elem: 12 }, // ENUM64: btf_enum64
];
