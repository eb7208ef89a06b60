// How the kernel names types in its log: kind names in caps from btf_kind_str,
// names straight from the string section.

import type { Btf } from "./btf.js";
import { BTF_KIND_NAMES, NR_BTF_KINDS } from "./kinds.js";

/**
 * The kernel's kind name of a type: "STRUCT", "PTR", ..., "UNKNOWN" for void.
 * kernel: btf_type_str
 */
export function btfTypeStr(btf: Btf, id: number): string {
  return btfKindStr(btf.kindNum(id));
}

/** btf_kind_str[] by kind number ("UNKNOWN" for BTF_KIND_UNKN and kinds it has no entry for). */
export function btfKindStr(kind: number): string {
  if (kind === 0 || kind >= NR_BTF_KINDS) return "UNKNOWN";
  return BTF_KIND_NAMES[kind]!;
}

/**
 * The string at `off`, "" for offset 0, undefined when out of range.
 * kernel: btf_name_by_offset (== btf_str_by_offset)
 */
export function btfNameByOffset(btf: Btf, off: number): string | undefined {
  return btf.strAt(off);
}

/**
 * The name as the kernel's BTF verifier log prints it: "(anon)" for offset 0,
 * "(invalid-name-offset)" when out of range. kernel: __btf_name_by_offset
 */
export function btfNameOrAnon(btf: Btf, off: number): string {
  if (off === 0) return "(anon)";
  return btf.strAt(off) ?? "(invalid-name-offset)";
}

/** A type's name, "" when anonymous. kernel: btf_type_name (verifier.c, log.c) */
export function btfTypeName(btf: Btf, id: number): string {
  return btf.typeName(id);
}

const LIBBPF_KIND_STR = [
  "void",
  "int",
  "ptr",
  "array",
  "struct",
  "union",
  "enum",
  "fwd",
  "typedef",
  "volatile",
  "const",
  "restrict",
  "func",
  "func_proto",
  "var",
  "datasec",
  "float",
  "decl_tag",
  "type_tag",
  "enum64",
] as const;

/**
 * libbpf's lowercase kind names ("struct", "func_proto", "void"...), as its own messages
 * print them (CO-RE, externs, maps). libbpf: btf_kind_str
 */
export function libbpfKindStr(btf: Btf, id: number): string {
  return LIBBPF_KIND_STR[btf.kindNum(id)] ?? "unknown";
}
