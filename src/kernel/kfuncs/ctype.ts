// C spelling of a BTF type for documentation output ("struct task_struct *",
// "const char *", "u32"). Not a kernel message format: messages use btf_type_str.

import type { Btf } from "../../btf/index.js";

const MAX_DEPTH = 16;

export function cTypeStr(btf: Btf, id: number): string {
  let suffix = "";
  let prefix = "";
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const t = btf.type(id);
    switch (t.kind) {
      case "UNKN":
        return `${prefix}void${suffix}`;
      case "PTR":
        suffix = ` *${suffix}`.replace(/^ \* \*/, " **");
        id = t.type;
        continue;
      case "CONST":
      case "VOLATILE":
      case "RESTRICT":
        prefix = `${t.kind.toLowerCase()} ${prefix}`;
        id = t.type;
        continue;
      case "TYPE_TAG":
        id = t.type;
        continue;
      case "STRUCT":
      case "UNION":
        return `${prefix}${t.kind.toLowerCase()} ${t.name || "(anon)"}${suffix}`;
      case "ENUM":
      case "ENUM64":
        return `${prefix}enum ${t.name || "(anon)"}${suffix}`;
      case "FWD":
        return `${prefix}${t.isUnion ? "union" : "struct"} ${t.name}${suffix}`;
      case "FUNC_PROTO":
        return `${prefix}fn(${t.params.length} args)${suffix}`;
      default:
        return `${prefix}${t.name || t.kind}${suffix}`;
    }
  }
  return `${prefix}...${suffix}`;
}
