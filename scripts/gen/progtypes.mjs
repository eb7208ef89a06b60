#!/usr/bin/env node
// Generates src/kernel/generated/7.2/progtypes.ts from a kernel tree:
// - enum bpf_prog_type / enum bpf_attach_type (include/uapi/linux/bpf.h): names and values,
// - the BPF_PROG_TYPE(...) rows of include/linux/bpf_types.h: ops name, user/kernel ctx types,
//   the CONFIG_* guards around each row,
// - each program type's `<ops>_verifier_ops.get_func_proto` selector,
// - libbpf's prog_type_name[] / attach_type_name[] spellings (tools/lib/bpf/libbpf.c).
// Usage: node scripts/gen/progtypes.mjs --kernel-src DIR [--out-dir DIR] [--check]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { kernelVersion, writeOrCheck, parseArgs, generatedHeader } from "./helpers.output.mjs";

/** Enumerators of `enum NAME { ... }` in order, with explicit values honoured. */
export function readEnum(text, name) {
  const m = new RegExp(`enum ${name} \\{([\\s\\S]*?)\\n\\};`).exec(text);
  if (!m) throw new Error(`enum ${name} not found`);
  const out = [];
  let next = 0;
  const body = m[1].replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  for (const part of body.split(",")) {
    const e = /^\s*(\w+)\s*(?:=\s*(\w+))?\s*$/.exec(part);
    if (!e) continue;
    if (e[1].startsWith("__MAX")) continue;
    let value = next;
    if (e[2] !== undefined) value = /^\d/.test(e[2]) ? Number(e[2]) : (out.find((x) => x.name === e[2])?.value ?? Number.NaN);
    out.push({ name: e[1], value });
    next = value + 1;
  }
  return out;
}

/** `[BPF_X] = "name",` rows of a libbpf designated string array. */
function readLibbpfNames(text, arrayName) {
  const start = text.indexOf(`${arrayName}[] = {`);
  if (start < 0) throw new Error(`${arrayName} not found in libbpf.c`);
  const body = text.slice(start, text.indexOf("};", start));
  const map = new Map();
  for (const m of body.matchAll(/\[(\w+)\]\s*=\s*"([^"]*)"/g)) map.set(m[1], m[2]);
  return map;
}

/** BPF_PROG_TYPE rows with the #ifdef guards they sit under. */
export function readBpfTypes(kernelSrc) {
  const text = readFileSync(join(kernelSrc, "include/linux/bpf_types.h"), "latin1");
  const rows = [];
  const guards = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const pp = /^#\s*(ifdef|if|endif|else)\s*(.*)$/.exec(line);
    if (pp) {
      if (pp[1] === "endif") guards.pop();
      else if (pp[1] === "else") guards.push(`!${guards.pop()}`);
      else guards.push(pp[2].replace(/\/\*.*\*\//, "").trim().replace(/^defined\((\w+)\)$/, "$1"));
      continue;
    }
    if (!line.startsWith("BPF_PROG_TYPE(")) continue;
    let stmt = line;
    while (!stmt.includes(")") || (stmt.match(/\(/g) ?? []).length > (stmt.match(/\)/g) ?? []).length) stmt += " " + lines[++i];
    const args = stmt.slice(stmt.indexOf("(") + 1, stmt.lastIndexOf(")")).split(",").map((s) => s.trim().replace(/\s+/g, " "));
    rows.push({ progType: args[0], ops: args[1], userCtx: args[2], kernCtx: args[3], configs: [...guards] });
  }
  return rows;
}

/** The table rows; `verifierOps` is scanTree().verifierOps (optional: looked up when given). */
export function buildProgTypes(kernelSrc, verifierOps) {
  const uapi = readFileSync(join(kernelSrc, "include/uapi/linux/bpf.h"), "latin1");
  const libbpf = readFileSync(join(kernelSrc, "tools/lib/bpf/libbpf.c"), "latin1");
  const progEnum = readEnum(uapi, "bpf_prog_type");
  const attachEnum = readEnum(uapi, "bpf_attach_type");
  const progNames = readLibbpfNames(libbpf, "prog_type_name");
  const attachNames = readLibbpfNames(libbpf, "attach_type_name");
  const rows = readBpfTypes(kernelSrc);
  const progTypes = progEnum.map(({ name, value }) => {
    const row = rows.find((r) => r.progType === name);
    const opsName = row ? `${row.ops}_verifier_ops` : null;
    const ops = opsName ? verifierOps?.get(opsName) : undefined;
    return {
      name,
      value,
      libbpfName: progNames.get(name) ?? null,
      ops: row?.ops ?? null,
      userCtx: row?.userCtx ?? null,
      kernCtx: row?.kernCtx ?? null,
      configs: row?.configs ?? [],
      verifierOps: opsName,
      getFuncProto: ops?.fields.get("get_func_proto") ?? null,
    };
  });
  const attachTypes = attachEnum.map(({ name, value }) => ({ name, value, libbpfName: attachNames.get(name) ?? null }));
  return { progTypes, attachTypes };
}

export function renderProgTypes(kernelSrc, table) {
  const ver = kernelVersion(kernelSrc);
  const lines = [
    generatedHeader("scripts/gen/progtypes.mjs", ver, "include/linux/bpf_types.h, include/uapi/linux/bpf.h, the *_verifier_ops definitions, tools/lib/bpf/libbpf.c"),
    `import type { ProgTypeRow, AttachTypeRow } from "../../progtypes/types.js";`,
    "",
    `export const KERNEL_VERSION = ${JSON.stringify(ver)};`,
    "",
    "/** enum bpf_prog_type enumerators. */",
    `export type ProgTypeName =\n${table.progTypes.map((r) => `  | ${JSON.stringify(r.name)}`).join("\n")};`,
    "",
    "/** enum bpf_attach_type enumerators. */",
    `export type AttachTypeName =\n${table.attachTypes.map((r) => `  | ${JSON.stringify(r.name)}`).join("\n")};`,
    "",
    "/** enum bpf_prog_type with the BPF_PROG_TYPE(...) row and verifier_ops of each. */",
    "export const PROG_TYPES: readonly ProgTypeRow[] = [",
    ...table.progTypes.map((r) => `  ${JSON.stringify(r)},`),
    "];",
    "",
    "/** enum bpf_attach_type with libbpf's attach_type_name[] spelling. */",
    "export const ATTACH_TYPES: readonly AttachTypeRow[] = [",
    ...table.attachTypes.map((r) => `  ${JSON.stringify(r)},`),
    "];",
    "",
  ];
  return lines.join("\n");
}

export async function generateProgTypes(kernelSrc, verifierOps) {
  let ops = verifierOps;
  if (!ops) {
    const { scanTree } = await import("./helpers.source.mjs");
    ops = scanTree(kernelSrc).verifierOps;
  }
  const table = buildProgTypes(kernelSrc, ops);
  return { table, files: [{ path: "src/kernel/generated/7.2/progtypes.ts", contents: renderProgTypes(kernelSrc, table) }] };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = parseArgs(process.argv.slice(2));
  const { files } = await generateProgTypes(args.kernelSrc);
  process.exit(writeOrCheck(files, args));
}
