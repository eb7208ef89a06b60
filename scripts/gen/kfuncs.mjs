#!/usr/bin/env node
// Generates the kfunc catalog of a kernel tree:
//   src/kernel/generated/<major.minor>/kfuncs.ts  (vmlinux + in-tree modules)
//   src/kernel/generated/testmod/kfuncs.ts       (tools/testing/selftests/bpf/test_kmods/bpf_testmod.c)
// from every BTF_KFUNCS_START/BTF_SET8_START set (BTF_ID_FLAGS entries with their
// #if conditions), the `struct btf_kfunc_id_set` definitions (.set, .filter), the
// register_btf_kfunc_id_set / register_btf_fmodret_id_set calls mapped to hooks
// as kernel/bpf/btf.c bpf_prog_type_to_kfunc_hook does, the XDP metadata kfuncs
// (XDP_METADATA_KFUNC_xxx), and the verifier's own id lists (special_kfunc_list,
// kf_arg_btf_ids, BTF_SET_START sets in kernel/bpf/verifier.c).
// Presence is not decided here: a kfunc exists in a build when its FUNC is in
// that build's BTF, which the profile checks at load time (src/kernel/profile.ts).
// Usage: node scripts/gen/kfuncs.mjs --kernel-src DIR [--out-dir REPO_ROOT] [--check] [--stats]
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  conditionsByLine,
  enumNames,
  lineIndex,
  parseBtfIdLists,
  parseIdSets,
  parseKfFlagBits,
  parseKfuncIdSets,
  parseProgTypeToHook,
  parseRegistrations,
  parseXMacroLists,
  stripComments,
} from "./kfuncs.cparse.mjs";
import { generatedHeader, kernelVersion, parseArgs, writeOrCheck } from "./helpers.output.mjs";

const SKIP_TOP = new Set(["tools", "Documentation", "scripts", "samples", "LICENSES", "usr", "debian", "debian.master"]);
export const TESTMOD_FILE = "tools/testing/selftests/bpf/test_kmods/bpf_testmod.c";

/** Kernel-proper .c/.h files that mention kfunc sets or their registration. */
function candidateFiles(root) {
  const out = [];
  const walk = (dir, rel) => {
    const ents = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of ents) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!rel && SKIP_TOP.has(e.name)) continue;
        walk(join(dir, e.name), r);
      } else if (/\.[ch]$/.test(e.name)) {
        const t = readFileSync(join(dir, e.name), "latin1");
        if (t.includes("BTF_KFUNCS_START") || t.includes("BTF_SET8_START") || t.includes("register_btf_")) out.push(r);
      }
    }
  };
  walk(root, "");
  return out;
}

function readStripped(root, rel) {
  const text = stripComments(readFileSync(join(root, rel), "latin1"));
  return { text, conds: conditionsByLine(text), lineOf: lineIndex(text) };
}

/** Parse a list of files into raw rows: id sets, kfunc id sets, registrations. */
function scanFiles(root, files, macros) {
  const sets = [];
  const idSets = [];
  const regs = [];
  for (const rel of files) {
    const { text, conds, lineOf } = readStripped(root, rel);
    if (rel.endsWith("include/linux/btf_ids.h") || rel.endsWith("include/linux/btf.h")) continue;
    sets.push(...parseIdSets(rel, text, conds, lineOf, macros));
    idSets.push(...parseKfuncIdSets(rel, text, conds, lineOf));
    regs.push(...parseRegistrations(rel, text, conds, lineOf));
  }
  return { sets, idSets, regs };
}

/** C scoping, simplified: a name defined in the same file wins, else the only definition elsewhere. */
function resolveIn(rows, name, file, warnings, what) {
  const same = rows.find((r) => r.name === name && r.file === file);
  if (same) return same;
  const others = rows.filter((r) => r.name === name);
  if (others.length === 1) return others[0];
  warnings.push(`${file}: ${what} ${name}: ${others.length === 0 ? "not found" : "ambiguous"}`);
  return undefined;
}

/**
 * (kfunc, hook) rows: for each registration, every entry of its set under the hook
 * its program type maps to. Several registrations of one set under one hook
 * (LWT_IN, LWT_OUT... -> LWT) give one row listing the program types used.
 */
function deriveCatalog(scan, progTypeToHook, hooks, warnings) {
  const rows = new Map(); // key name|hook|set
  const regRows = [];
  for (const reg of scan.regs) {
    const idSet = resolveIn(scan.idSets, reg.idSet, reg.file, warnings, "btf_kfunc_id_set");
    if (!idSet) continue;
    const set = idSet.set ? resolveIn(scan.sets, idSet.set, idSet.file, warnings, "id set") : undefined;
    if (!set) continue;
    const hook = reg.progType === null ? "BTF_KFUNC_HOOK_FMODRET" : progTypeToHook[reg.progType] ?? progTypeToHook.default;
    if (hook === "BTF_KFUNC_HOOK_MAX") warnings.push(`${reg.file}:${reg.line}: ${reg.progType} maps to no hook`);
    regRows.push({ ...reg, hook, idSetKey: idSet.key, setKey: set.key });
    const cond = [...(reg.cond ?? [])];
    for (const c of [...(idSet.cond ?? []), ...(set.cond ?? [])]) if (!cond.includes(c)) cond.push(c);
    for (const e of set.entries) {
      const key = `${e.name}|${hook}|${set.key}`;
      let row = rows.get(key);
      if (!row) {
        const allCond = [...cond, ...(e.cond ?? []).filter((c) => !cond.includes(c))];
        row = {
          name: e.name,
          hook,
          flags: e.flags,
          set: set.key,
          idSet: idSet.key,
          ...(idSet.filter ? { filter: idSet.filter } : {}),
          progTypes: [],
          ...(set.kfuncs ? {} : { notKfuncSet: true }),
          ...(e.via ? { via: e.via } : {}),
          ...(allCond.length ? { cond: allCond } : {}),
        };
        rows.set(key, row);
      }
      const pt = reg.progType ?? "fmodret";
      if (!row.progTypes.includes(pt)) row.progTypes.push(pt);
    }
  }
  const hookOrder = new Map(hooks.map((h, i) => [h, i]));
  const list = [...rows.values()].sort(
    (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || hookOrder.get(a.hook) - hookOrder.get(b.hook) || (a.set < b.set ? -1 : a.set > b.set ? 1 : 0),
  );
  // one kfunc in two sets of the same hook: the kernel keeps one flags word per id
  const seen = new Map();
  for (const r of list) {
    const k = `${r.name}|${r.hook}`;
    const prev = seen.get(k);
    if (prev && prev.flags.join("|") !== r.flags.join("|")) warnings.push(`${r.name}: two sets under ${r.hook} with different flags (${prev.set}, ${r.set})`);
    seen.set(k, r);
  }
  return { catalog: list, regRows };
}

/** The verifier's id lists: special_kfunc_list (with enum special_kfunc_type names), kf_arg_btf_ids, BTF sets. */
function verifierLists(root) {
  const { text, conds, lineOf } = readStripped(root, "kernel/bpf/verifier.c");
  const lists = parseBtfIdLists("kernel/bpf/verifier.c", text, conds, lineOf);
  const names = { special_kfunc_list: enumNames(text, "special_kfunc_type"), kf_arg_btf_ids: kfArgEnum(text) };
  for (const l of lists) {
    const en = names[l.name];
    if (!en) continue;
    if (en.length !== l.entries.length) throw new Error(`${l.name}: ${l.entries.length} entries but ${en.length} enumerators`);
    l.entries = l.entries.map((e, i) => ({ enum: en[i], ...e }));
  }
  return lists;
}

function kfArgEnum(text) {
  const m = /enum\s*\{\s*(KF_ARG_DYNPTR_ID[^}]*)\}/.exec(text);
  if (!m) throw new Error("kf_arg_btf_ids enum not found");
  return m[1].split(",").map((s) => s.trim()).filter((s) => /^\w+$/.test(s));
}

const STATS_NOTE = "counts over the source; presence in a build is decided against its BTF";

function render(version, what, body) {
  return [
    generatedHeader("scripts/gen/kfuncs.mjs", version, what),
    `import type { KfuncCatalogData } from "../../kfuncs/types.js";`,
    "",
    `export const KFUNC_CATALOG: KfuncCatalogData = ${body};`,
    "",
  ].join("\n");
}

/** Pretty JSON with one array element per line for the long arrays (reviewable diffs). */
function dataLiteral(obj) {
  const lines = ["{"];
  const keys = Object.keys(obj);
  keys.forEach((k, i) => {
    const v = obj[k];
    const comma = i === keys.length - 1 ? "" : ",";
    if (Array.isArray(v) && v.length > 0 && typeof v[0] === "object") {
      lines.push(`  ${JSON.stringify(k)}: [`);
      v.forEach((row, j) => lines.push(`    ${JSON.stringify(row)}${j === v.length - 1 ? "" : ","}`));
      lines.push(`  ]${comma}`);
    } else lines.push(`  ${JSON.stringify(k)}: ${JSON.stringify(v)}${comma}`);
  });
  lines.push("}");
  return lines.join("\n");
}

function stripLines(rows) {
  return rows.map(({ line, ...r }) => r);
}

export function generateKfuncs(kernelSrc) {
  const version = kernelVersion(kernelSrc);
  const mm = version.split(".").slice(0, 2).join(".");
  const warnings = [];
  const btfC = stripComments(readFileSync(join(kernelSrc, "kernel/bpf/btf.c"), "latin1"));
  const hooks = enumNames(btfC, "btf_kfunc_hook").filter((h) => h !== "BTF_KFUNC_HOOK_MAX");
  const progTypeToHook = parseProgTypeToHook(btfC);
  const flagBits = parseKfFlagBits(stripComments(readFileSync(join(kernelSrc, "include/linux/btf.h"), "latin1")));
  const macros = parseXMacroLists(readFileSync(join(kernelSrc, "include/net/xdp.h"), "latin1"));
  const common = { hooks, progTypeToHook, flagBits };

  const files = candidateFiles(kernelSrc);
  const scan = scanFiles(kernelSrc, files, macros);
  const { catalog } = deriveCatalog(scan, progTypeToHook, hooks, warnings);
  const kernelData = {
    version,
    source: `linux-${version}`,
    ...common,
    sets: scan.sets.map(({ entries, ...s }) => ({ ...s, entries: entries.map(({ line, ...e }) => e) })),
    idSets: stripLines(scan.idSets),
    registrations: stripLines(scan.regs),
    catalog,
    verifierLists: verifierLists(kernelSrc).map(({ line, ...l }) => l),
  };

  const tm = scanFiles(kernelSrc, [TESTMOD_FILE], macros);
  const tmCat = deriveCatalog(tm, progTypeToHook, hooks, warnings);
  const testmodData = {
    version,
    source: TESTMOD_FILE,
    module: "bpf_testmod",
    ...common,
    sets: tm.sets.map(({ entries, ...s }) => ({ ...s, entries: entries.map(({ line, ...e }) => e) })),
    idSets: stripLines(tm.idSets),
    registrations: stripLines(tm.regs),
    catalog: tmCat.catalog,
    verifierLists: [],
  };

  const distinct = (rows) => new Set(rows.map((r) => r.name)).size;
  const entriesOf = (sets) => sets.flatMap((s) => s.entries);
  const stats = {
    note: STATS_NOTE,
    files: files.length,
    sets: scan.sets.length,
    btfIdFlagsEntries: entriesOf(scan.sets).filter((e) => !e.via).length,
    distinctNames: new Set(entriesOf(scan.sets).map((e) => e.name)).size,
    viaXdpMetadataMacro: entriesOf(scan.sets).filter((e) => e.via).map((e) => e.name),
    registrations: scan.regs.length,
    catalogRows: catalog.length,
    catalogKfuncs: distinct(catalog),
    testmod: { sets: tm.sets.length, entries: entriesOf(tm.sets).length, catalogRows: tmCat.catalog.length, catalogKfuncs: distinct(tmCat.catalog) },
  };
  const outFiles = [
    { path: `src/kernel/generated/${mm}/kfuncs.ts`, contents: render(version, "BTF_KFUNCS_START sets, struct btf_kfunc_id_set, register_btf_kfunc_id_set/register_btf_fmodret_id_set, XDP_METADATA_KFUNC_xxx, kernel/bpf/verifier.c id lists", dataLiteral(kernelData)) },
    { path: "src/kernel/generated/testmod/kfuncs.ts", contents: render(version, TESTMOD_FILE, dataLiteral(testmodData)) },
  ];
  return { version, kernelData, testmodData, stats, warnings, files: outFiles };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = parseArgs(process.argv.slice(2));
  const res = generateKfuncs(args.kernelSrc);
  for (const w of res.warnings) process.stderr.write(`warning: ${w}\n`);
  if (args.stats) process.stderr.write(JSON.stringify(res.stats, null, 2) + "\n");
  process.exit(writeOrCheck(res.files, args));
}
