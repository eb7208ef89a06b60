// The verifier's argument/return type vocabulary from include/linux/bpf.h:
// enum bpf_type_flag (modifier bits above BPF_BASE_TYPE_BITS), enum
// bpf_arg_type and enum bpf_return_type, whose `_OR_NULL`-style enumerators
// are base | flags aliases. Emitted as string-literal unions plus rows that
// say what each alias is made of, so the verifier never re-derives them.
import { readFileSync } from "node:fs";
import { join } from "node:path";

function enumBody(text, name) {
  const m = new RegExp(`\\nenum ${name} \\{([\\s\\S]*?)\\n\\};`).exec(text);
  if (!m) throw new Error(`enum ${name} not found in include/linux/bpf.h`);
  return m[1].replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
}

/** {flags: [{name, bit, value}], args: rows, rets: rows}; row = {name, value, base, flags: string[]} */
export function readKinds(kernelSrc) {
  const text = readFileSync(join(kernelSrc, "include/linux/bpf.h"), "latin1");
  const baseBits = Number(/#define BPF_BASE_TYPE_BITS\s+(\d+)/.exec(text)?.[1] ?? Number.NaN);
  const flags = [];
  for (const part of enumBody(text, "bpf_type_flag").split(",")) {
    const m = /^\s*(\w+)\s*=\s*BIT\(\s*(\d+)\s*\+\s*BPF_BASE_TYPE_BITS\s*\)\s*$/.exec(part);
    if (m) flags.push({ name: m[1], bit: Number(m[2]) + baseBits, value: 2 ** (Number(m[2]) + baseBits) });
  }
  const flagValue = new Map(flags.map((f) => [f.name, f.value]));
  const readTypes = (enumName) => {
    const rows = [];
    let next = 0;
    for (const part of enumBody(text, enumName).split(",")) {
      const m = /^\s*(\w+)\s*(?:=\s*([^]*?))?\s*$/.exec(part);
      if (!m || m[1].startsWith("__")) {
        if (m && m[1].startsWith("__") && m[2] === undefined) next++;
        continue;
      }
      if (m[2] === undefined) {
        rows.push({ name: m[1], value: next, base: m[1], flags: [] });
        next++;
      } else if (/^\d+$/.test(m[2])) {
        rows.push({ name: m[1], value: Number(m[2]), base: m[1], flags: [] });
        next = Number(m[2]) + 1;
      } else {
        const names = m[2].split("|").map((s) => s.trim());
        const fl = names.filter((n) => flagValue.has(n));
        const bases = names.filter((n) => !flagValue.has(n));
        const base = rows.find((r) => r.name === bases[0]);
        if (bases.length !== 1 || !base) throw new Error(`${enumName}: cannot read ${m[1]} = ${m[2]}`);
        rows.push({ name: m[1], value: fl.reduce((v, f) => v + flagValue.get(f), base.value), base: base.name, flags: fl });
      }
    }
    return rows;
  };
  return { flags, args: readTypes("bpf_arg_type"), rets: readTypes("bpf_return_type") };
}

/** "ARG_PTR_TO_MEM | MEM_RDONLY" -> {kind: "ARG_PTR_TO_MEM", flags: ["MEM_RDONLY"]}, checked against the enums. */
export function splitSpelledType(spelled, kindRows, flags, where) {
  const names = spelled.split("|").map((s) => s.trim());
  const kinds = names.filter((n) => kindRows.some((r) => r.name === n));
  const fl = names.filter((n) => flags.some((f) => f.name === n));
  if (kinds.length !== 1 || kinds.length + fl.length !== names.length) throw new Error(`${where}: cannot read type '${spelled}'`);
  return { kind: kinds[0], flags: fl };
}

export function renderKinds(header, kinds) {
  const union = (rows) => rows.map((r) => `  | ${JSON.stringify(r.name)}`).join("\n");
  const base = (rows) => rows.filter((r) => r.flags.length === 0);
  const table = (rows) => rows.map((r) => `  ${r.name}: ${JSON.stringify({ value: r.value, base: r.base, flags: r.flags })},`).join("\n");
  return [
    header,
    `import type { KindRow } from "../../helpers/types.js";`,
    "",
    "/** enum bpf_type_flag, in bit order (bit = index + BPF_BASE_TYPE_BITS). */",
    `export type TypeFlag =\n${union(kinds.flags)};`,
    `export const TYPE_FLAGS = ${JSON.stringify(Object.fromEntries(kinds.flags.map((f) => [f.name, f.bit])), null, 1).replace(/\n\s*/g, " ")} as const satisfies Record<TypeFlag, number>;`,
    "",
    "/** enum bpf_arg_type enumerators without modifier bits. */",
    `export type ArgBaseKind =\n${union(base(kinds.args))};`,
    "/** Every enum bpf_arg_type enumerator, the `_OR_NULL`-style aliases included. */",
    `export type ArgKind =\n${union(kinds.args)};`,
    "",
    "/** enum bpf_return_type enumerators without modifier bits. */",
    `export type RetBaseKind =\n${union(base(kinds.rets))};`,
    "/** Every enum bpf_return_type enumerator, aliases included. */",
    `export type RetKind =\n${union(kinds.rets)};`,
    "",
    "/** What each enum bpf_arg_type enumerator is: its value, base type and modifier flags. */",
    `export const ARG_KINDS = {\n${table(kinds.args)}\n} as const satisfies Record<ArgKind, KindRow<ArgBaseKind, TypeFlag>>;`,
    "",
    "/** What each enum bpf_return_type enumerator is. */",
    `export const RET_KINDS = {\n${table(kinds.rets)}\n} as const satisfies Record<RetKind, KindRow<RetBaseKind, TypeFlag>>;`,
    "",
  ].join("\n");
}
