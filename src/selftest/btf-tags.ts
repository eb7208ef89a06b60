// The selftest annotations of a program, straight from its object's BTF: the decl tags on the
// FUNC named like the program, in test_loader's order. kernel selftests: collect_decl_tags

import { type Btf, declTags, parseBtf } from "../btf/index.js";
import { elfSectionBytes } from "../elf/index.js";
import { InputError } from "../util/errors.js";
import { sortDeclTags } from "./annotations.js";

/** The object's own BTF (.BTF section). test_loader needs it: "BPF object has no BTF" otherwise. */
export function objectBtf(objBytes: Uint8Array, file?: string): Btf {
  const raw = elfSectionBytes(objBytes, ".BTF", file);
  if (!raw) throw new InputError("BTF_MISSING", "BPF object has no BTF", { ...(file !== undefined ? { file } : {}), section: ".BTF" });
  return parseBtf(raw, { name: file ?? "object", where: file !== undefined ? { file } : {} });
}

/**
 * The program's decl tag strings (on the FUNC itself, not its parameters), sorted with
 * strverscmp; undefined when the BTF has no FUNC of that name (test_loader: "failed to find
 * FUNC BTF type").
 */
export function programDeclTags(btf: Btf, progName: string): string[] | undefined {
  const id = btf.findByNameKind(progName, "FUNC");
  if (id === undefined) return undefined;
  return sortDeclTags(declTags(btf, id, -1).map((t) => t.value));
}
