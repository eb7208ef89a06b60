#!/usr/bin/env node
// Generates src/kernel/generated/7.2/helpers.ts (and progtypes.ts) from a
// kernel tree: the UAPI helper ids, every `const struct bpf_func_proto`, and
// for each (helper id, program type) the proto(s) the program type's
// get_func_proto callback hands the verifier, with the load-time conditions
// (attach type, capabilities, sleepable, lockdown, iterator target) as data.
// Usage: node scripts/gen/helpers.mjs --kernel-src DIR [--out-dir REPO_ROOT] [--check] [--stats]
// Plain Node, no dependencies: the profile driver imports generateHelpers().
import { pathToFileURL } from "node:url";
import { readUapiHelpers, scanTree, readBtfXmacroLists } from "./helpers.source.mjs";
import { Evaluator } from "./helpers.eval.mjs";
import { readKinds, renderKinds, splitSpelledType } from "./helpers.kinds.mjs";
import { buildProgTypes, renderProgTypes } from "./progtypes.mjs";
import { generatedHeader, kernelVersion, parseArgs, writeOrCheck } from "./helpers.output.mjs";

const ARG_FIELDS = [1, 2, 3, 4, 5];

/** Give each proto definition a stable key: its name, or name@file when several files define one. */
function keyProtos(scan) {
  const byKey = new Map();
  for (const [name, defs] of scan.protosByName) {
    for (const d of defs) {
      d.key = defs.length > 1 ? `${name}@${d.file}` : name;
      byKey.set(d.key, d);
    }
  }
  // kernel C scoping: a static proto is visible in its own file, a non-static one everywhere
  const lookup = (name, fromFile) => {
    const defs = scan.protosByName.get(name);
    if (!defs) return undefined;
    const local = defs.find((d) => d.file === fromFile);
    if (local) return local.key;
    const global = defs.filter((d) => !d.isStatic);
    return global.length === 1 ? global[0].key : undefined;
  };
  return { byKey, lookup };
}

// `&btf_tracing_ids[BTF_TRACING_TYPE_TASK]`, `&bpf_d_path_btf_ids[0]`, `&tcp_sock_id`, `BPF_PTR_POISON`
function resolveBtfId(src, lists) {
  const m = /^&\s*(\w+)(?:\s*\[\s*(\w+)\s*\])?$/.exec(src);
  if (!m) return { src };
  const rows = lists.get(m[1]);
  if (!rows) return { src };
  const idx = m[2] ?? "0";
  const row = /^\d+$/.test(idx) ? rows[Number(idx)] : rows.find((r) => r.index === idx);
  if (!row || row.kind === "unused") return { src };
  return { src, type: row.kind === "func" ? row.type : `${row.kind} ${row.type}` };
}

const SIZEOF_SCALAR = { u8: 1, u16: 2, u32: 4, u64: 8, s8: 1, s16: 2, s32: 4, s64: 8, int: 4, long: 8 };

function protoRow(def, lists, kinds) {
  const where = `${def.file}:${def.line} ${def.name}`;
  const f = def.fields;
  const flag = (k) => f.get(k) === "true" || f.get(k) === "1";
  const args = [];
  const last = Math.max(0, ...ARG_FIELDS.filter((i) => f.has(`arg${i}_type`)));
  for (let i = 1; i <= last; i++) {
    const type = f.get(`arg${i}_type`) ?? "ARG_DONTCARE";
    const a = { type, ...splitSpelledType(type, kinds.args, kinds.flags, where) };
    const btf = f.get(`arg${i}_btf_id`);
    if (btf !== undefined) a.btfId = resolveBtfId(btf, lists);
    const size = f.get(`arg${i}_size`);
    if (size !== undefined) {
      const s = /^sizeof\((\w+)\)$/.exec(size);
      a.size = s && SIZEOF_SCALAR[s[1]] ? { src: size, bytes: SIZEOF_SCALAR[s[1]] } : { src: size };
    }
    args.push(a);
  }
  const retType = f.get("ret_type") ?? "RET_INTEGER";
  const row = {
    key: def.key,
    name: def.name,
    file: def.file,
    line: def.line,
    func: f.get("func") ?? null,
    gplOnly: flag("gpl_only"),
    pktAccess: flag("pkt_access"),
    mightSleep: flag("might_sleep"),
    allowFastcall: flag("allow_fastcall"),
    ret: { type: retType, ...splitSpelledType(retType, kinds.rets, kinds.flags, where) },
    args,
  };
  if (f.has("ret_btf_id")) row.ret.btfId = resolveBtfId(f.get("ret_btf_id"), lists);
  if (f.has("allowed")) row.allowed = f.get("allowed");
  if (def.configs.length > 0) row.configs = def.configs;
  const known = new Set(["func", "gpl_only", "pkt_access", "might_sleep", "allow_fastcall", "ret_type", "ret_btf_id", "allowed",
    ...ARG_FIELDS.flatMap((i) => [`arg${i}_type`, `arg${i}_btf_id`, `arg${i}_size`])]);
  const unknown = [...f.keys()].filter((k) => !known.has(k));
  if (unknown.length > 0) throw new Error(`${where}: unmodelled fields ${unknown.join(", ")}`);
  return row;
}

// ---- outcome simplification ----

function normOutcome(v, st) {
  const lits = Object.values(st.lits).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  return { proto: v.k === "proto" ? v.key : null, oneOf: st.attach.oneOf ? [...st.attach.oneOf].sort() : null, noneOf: [...st.attach.noneOf].sort(), lits };
}

const litsKey = (lits) => JSON.stringify(lits);
const attKey = (o) => JSON.stringify([o.oneOf, o.noneOf]);

/** Merge outcomes that lead to the same proto and differ in one condition only. */
function simplify(outcomes) {
  let list = outcomes.filter((o) => o.proto !== null);
  for (let changed = true; changed;) {
    changed = false;
    outer: for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i], b = list[j];
        if (a.proto !== b.proto) continue;
        const m = mergePair(a, b);
        if (m) {
          list = [...list.slice(0, i), m, ...list.slice(i + 1, j), ...list.slice(j + 1)];
          changed = true;
          break outer;
        }
      }
    }
  }
  // duplicates (same proto, same conditions) collapse
  const seen = new Set();
  return list.filter((o) => { const k = JSON.stringify(o); if (seen.has(k)) return false; seen.add(k); return true; });
}

function mergePair(a, b) {
  if (attKey(a) === attKey(b)) {
    if (litsKey(a.lits) === litsKey(b.lits)) return a;
    if (a.lits.length === b.lits.length) {
      let diff = -1;
      for (let k = 0; k < a.lits.length; k++) {
        const x = a.lits[k], y = b.lits[k];
        if (JSON.stringify(x) === JSON.stringify(y)) continue;
        if (diff >= 0 || JSON.stringify({ ...x, holds: !x.holds }) !== JSON.stringify(y)) return null;
        diff = k;
      }
      if (diff >= 0) return { ...a, lits: a.lits.filter((_, k) => k !== diff) };
    }
    return null;
  }
  if (litsKey(a.lits) !== litsKey(b.lits)) return null;
  if (a.oneOf && b.oneOf) return { ...a, oneOf: [...new Set([...a.oneOf, ...b.oneOf])].sort(), noneOf: [] };
  const [one, none] = a.oneOf ? [a, b] : b.oneOf ? [b, a] : [null, null];
  if (one && none && one.oneOf.every((t) => none.noneOf.includes(t))) {
    return { ...none, noneOf: none.noneOf.filter((t) => !one.oneOf.includes(t)) };
  }
  return null;
}

function renderWhen(o) {
  const when = [];
  if (o.oneOf) when.push({ kind: "attachType", oneOf: o.oneOf });
  else if (o.noneOf.length > 0) when.push({ kind: "attachType", noneOf: o.noneOf });
  when.push(...o.lits);
  return when;
}

// kernel: check_helper_call runs fn->allowed(prog) after get_func_proto
// ("helper call is not allowed in probe"); its true paths, per program type.
function allowedConditions(ev, def, progType) {
  const fn = def?.fields.get("allowed");
  if (!fn) return undefined;
  const paths = ev.allowedPaths(fn, progType, def.file).map((st) => normOutcome({ k: "proto", key: "allowed" }, st));
  return simplify(paths).map(renderWhen);
}

// ---- driver ----

/** Selectors to evaluate: one per program type with a get_func_proto, one per struct_ops with its own. */
function selectors(progTypes, scan) {
  const out = [];
  for (const p of progTypes) {
    if (p.getFuncProto) out.push({ key: p.name, progType: p.name, getFuncProto: p.getFuncProto, file: scan.verifierOps.get(p.verifierOps)?.file });
  }
  for (const so of scan.structOps) {
    const vops = so.fields.get("verifier_ops")?.replace(/^&\s*/, "");
    const fn = vops ? scan.verifierOps.get(vops)?.fields.get("get_func_proto") : undefined;
    const name = so.fields.get("name")?.replace(/"/g, "");
    if (fn && name) out.push({ key: `BPF_PROG_TYPE_STRUCT_OPS:${name}`, progType: "BPF_PROG_TYPE_STRUCT_OPS", structOps: name, getFuncProto: fn, file: scan.verifierOps.get(vops)?.file });
  }
  return out;
}

/**
 * Parse the tree and build the tables. Returns {helpers, protos, selection, progTypes, attachTypes,
 * warnings, stats, files} where files are the checked-in outputs ({path relative to the repo, contents}).
 */
export function generateHelpers(kernelSrc) {
  const version = kernelVersion(kernelSrc);
  const kinds = readKinds(kernelSrc);
  const helpers = readUapiHelpers(kernelSrc);
  const scan = scanTree(kernelSrc);
  readBtfXmacroLists(kernelSrc, scan.btfIdLists);
  const { byKey, lookup } = keyProtos(scan);
  const { progTypes, attachTypes } = buildProgTypes(kernelSrc, scan.verifierOps);
  const ev = new Evaluator(scan, lookup);
  const used = new Set();
  const selection = [];
  for (const sel of selectors(progTypes, scan)) {
    const entries = [];
    for (const h of helpers) {
      if (h.id === 0) continue;
      const outs = ev.select(sel.getFuncProto, `BPF_FUNC_${h.name}`, sel.progType, sel.file).map(({ v, st }) => normOutcome(v, st));
      const variants = simplify(outs).map((o) => {
        const v = { proto: o.proto, when: renderWhen(o) };
        const allowed = allowedConditions(ev, byKey.get(o.proto), sel.progType);
        return allowed ? { ...v, allowed } : v;
      });
      for (const v of variants) used.add(v.proto);
      if (variants.length > 0) entries.push([h.id, variants]);
    }
    selection.push({ selector: sel.key, progType: sel.progType, ...(sel.structOps ? { structOps: sel.structOps } : {}), getFuncProto: sel.getFuncProto, entries });
  }
  const protos = [...byKey.values()].sort((a, b) => a.key.localeCompare(b.key)).map((d) => protoRow(d, scan.btfIdLists, kinds));
  const idsWithProto = new Set(selection.flatMap((s) => s.entries.map(([id]) => id)));
  const stats = {
    helperIds: helpers.length,
    idsWithProto: idsWithProto.size,
    idsWithoutProto: helpers.filter((h) => !idsWithProto.has(h.id)).map((h) => `${h.id} ${h.name}`),
    protoDefinitions: protos.length,
    protosSelected: used.size,
    protosNeverSelected: protos.filter((p) => !used.has(p.key)).map((p) => p.key),
    pairsProgType: new Set(selection.filter((s) => !s.structOps).flatMap((s) => s.entries.map(([id]) => `${id}/${s.progType}`))).size,
    pairsSelector: selection.reduce((n, s) => n + s.entries.length, 0),
  };
  const files = [
    { path: "src/kernel/generated/7.2/helpers.ts", contents: renderHelpers(version, helpers, protos, selection) },
    { path: "src/kernel/generated/7.2/helpers-selection.ts", contents: renderSelection(version, selection) },
    { path: "src/kernel/generated/7.2/helpers-kinds.ts", contents: renderKinds(generatedHeader("scripts/gen/helpers.mjs", version, "include/linux/bpf.h enum bpf_type_flag, enum bpf_arg_type, enum bpf_return_type"), kinds) },
    { path: "src/kernel/generated/7.2/progtypes.ts", contents: renderProgTypes(kernelSrc, { progTypes, attachTypes }) },
  ];
  return { version, kinds, helpers, protos, selection, progTypes, attachTypes, warnings: [...ev.warnings], stats, files };
}

function configFuncs(protos, selection) {
  const used = new Set();
  for (const s of selection) for (const [, vs] of s.entries) for (const v of vs) for (const c of v.when) if (c.kind === "config") used.add(c.name);
  const out = {};
  for (const name of [...used].sort()) {
    out[name] = [...new Set(protos.filter((p) => p.configs?.includes(name) && p.func).map((p) => p.func))].sort();
  }
  return out;
}

function renderHelpers(version, helpers, protos, selection) {
  return [
    generatedHeader("scripts/gen/helpers.mjs", version, "include/uapi/linux/bpf.h ___BPF_FUNC_MAPPER, every `const struct bpf_func_proto` of the tree"),
    `import type { HelperIdRow, HelperProtoRow } from "../../helpers/types.js";`,
    "",
    "/** ___BPF_FUNC_MAPPER: helper id -> name (without the BPF_FUNC_ prefix). */",
    "export const HELPER_IDS: readonly HelperIdRow[] = [",
    ...helpers.map((h) => `  ${JSON.stringify(h)},`),
    "];",
    "",
    "/** Every `const struct bpf_func_proto` of the tree, fields spelled as in the source. */",
    "export const HELPER_PROTOS: readonly HelperProtoRow[] = [",
    ...protos.map((p) => `  ${JSON.stringify(p)},`),
    "];",
    "",
    "/**",
    " * CONFIG_* options the selection depends on -> the helper functions (`.func`) defined only under them.",
    " * A kernel whose BTF has none of an option's functions was built without it.",
    " */",
    `export const CONFIG_HELPER_FUNCS: Readonly<Record<string, readonly string[]>> = ${JSON.stringify(configFuncs(protos, selection))};`,
    "",
  ].join("\n");
}

// Most (helper, program type) pairs share their variant list with many others
// (bpf_base_func_proto's answers recur in every type), so lists are stored
// once and the per-type rows point at them.
function renderSelection(version, selection) {
  const sets = [];
  const index = new Map();
  const ref = (variants) => {
    const k = JSON.stringify(variants);
    if (!index.has(k)) {
      index.set(k, sets.length);
      sets.push(k);
    }
    return index.get(k);
  };
  const rows = selection.map(({ entries, ...head }) => `  { ...${JSON.stringify(head)},\n    entries: ${JSON.stringify(entries.map(([id, v]) => [id, ref(v)]))} },`);
  return [
    generatedHeader("scripts/gen/helpers.mjs", version, "the *_func_proto() selectors of the program types' verifier_ops and of the struct_ops types"),
    `import type { HelperSelectionRow, HelperVariantRow } from "../../helpers/types.js";`,
    "",
    "/** Variant lists: the protos one get_func_proto can return for one helper, each with its conditions. */",
    "export const HELPER_VARIANT_SETS: readonly (readonly HelperVariantRow[])[] = [",
    ...sets.map((k, i) => `  /* ${i} */ ${k},`),
    "];",
    "",
    "/** Per program type (or struct_ops type): [helper id, index into HELPER_VARIANT_SETS] for every helper it can get. */",
    "export const HELPER_SELECTION: readonly HelperSelectionRow[] = [",
    ...rows,
    "];",
    "",
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = parseArgs(process.argv.slice(2));
  const res = generateHelpers(args.kernelSrc);
  for (const w of res.warnings) process.stderr.write(`warning: ${w}\n`);
  if (args.stats) process.stderr.write(JSON.stringify(res.stats, null, 2) + "\n");
  process.exit(writeOrCheck(res.files, args));
}
