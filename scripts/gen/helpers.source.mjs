// Collects, from a kernel tree, the facts the helper tables are built from:
// the UAPI helper ids, every `const struct bpf_func_proto` definition, the
// functions that choose a proto for a (func_id, prog) pair, the bool
// predicates they call on `prog`, the BTF id lists the protos point into,
// the verifier_ops / struct_ops / iterator registrations.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { matchBrace, parseBody, parseDesignated, preprocess, stripComments } from "./helpers.cparse.mjs";

const SKIP_DIRS = new Set(["tools", "Documentation", "samples", "scripts", "usr", ".git", "LICENSES"]);

function walkC(root, dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) {
      if (dir === root && SKIP_DIRS.has(name)) continue;
      walkC(root, p, out);
    } else if (name.endsWith(".c")) out.push(p);
  }
  return out;
}

/** `___BPF_FUNC_MAPPER` rows of include/uapi/linux/bpf.h: [{id, name}] with name without the BPF_FUNC_ prefix. */
export function readUapiHelpers(kernelSrc) {
  const text = readFileSync(join(kernelSrc, "include/uapi/linux/bpf.h"), "latin1");
  const start = text.indexOf("#define ___BPF_FUNC_MAPPER(");
  if (start < 0) throw new Error("___BPF_FUNC_MAPPER not found in include/uapi/linux/bpf.h");
  const body = text.slice(start, text.indexOf("\n\n", start));
  const rows = [];
  for (const m of body.matchAll(/FN\((\w+),\s*(\d+),\s*##ctx\)/g)) rows.push({ id: Number(m[2]), name: m[1] });
  return rows;
}

const PROTO_DEF = /(^|\n)[ \t]*(static\s+)?const\s+struct\s+bpf_func_proto\s+(\w+)\s*=\s*\{/g;
const FUNC_DEF = /(^|\n)((?:static\s+|inline\s+|__always_inline\s+)*)(const\s+struct\s+bpf_func_proto\s*\*|bool)\s*(__weak\s+)?\n?\s*(\w+)\s*\(([^)]*)\)\s*\{/g;
const OPS_DEF = /(^|\n)[ \t]*(?:static\s+)?(?:const\s+)?struct\s+(bpf_verifier_ops|bpf_struct_ops|bpf_iter_reg)\s+(\w+)\s*=\s*\{/g;

/**
 * Scan the tree. Returns {
 *   protos: Map<key, {name, file, line, isStatic, fields: Map<string,string>}>,
 *   protosByName: Map<name, key[]>,
 *   funcs: Map<name, [{name, file, ret: "proto"|"bool", params: string[], body, weak, isStatic}]> (see findFunc),
 *   verifierOps: Map<name, {file, fields}>, structOps: [...], iterRegs: [...],
 *   btfIdLists: Map<name, string[]> (entries as type names)
 * }
 */
export function scanTree(kernelSrc) {
  const files = walkC(kernelSrc, kernelSrc, []);
  const protos = new Map();
  const protosByName = new Map();
  const funcs = new Map();
  const verifierOps = new Map();
  const structOps = [];
  const iterRegs = [];
  const btfIdLists = new Map();
  for (const path of files) {
    const raw = readFileSync(path, "latin1");
    const rel = relative(kernelSrc, path);
    const interesting = raw.includes("bpf_func_proto") || raw.includes("bpf_verifier_ops") || raw.includes("bpf_iter_reg") || rel.startsWith("kernel/bpf/");
    if (!interesting) continue;
    const pp = preprocess(raw);
    const src = stripComments(pp.text);
    const starts = [0];
    for (let i = src.indexOf("\n"); i >= 0; i = src.indexOf("\n", i + 1)) starts.push(i + 1);
    const lineOf = (pos) => {
      let lo = 0, hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (starts[mid] <= pos) lo = mid; else hi = mid - 1;
      }
      return lo + 1;
    };
    const configsAt = (pos) => pp.guards[lineOf(pos) - 1] ?? [];
    for (const m of src.matchAll(PROTO_DEF)) {
      const open = m.index + m[0].length - 1;
      const close = matchBrace(src, open);
      const name = m[3];
      const key = name;
      const def = { name, file: rel, line: lineOf(open), configs: configsAt(m.index + m[0].length - 1), isStatic: Boolean(m[2]), fields: parseDesignated(src.slice(open + 1, close - 1)) };
      const list = protosByName.get(name) ?? [];
      list.push(def);
      protosByName.set(name, list);
      protos.set(`${rel}:${key}`, def);
    }
    for (const m of src.matchAll(FUNC_DEF)) {
      const params = m[6].split(",").map((s) => s.trim());
      const isBool = m[3].startsWith("bool");
      // bool predicates the selectors and `.allowed` callbacks call: on the prog, or on its attach_btf_id
      if (isBool && !params.some((p) => /struct\s+bpf_prog\s*\*|\bu32\s+btf_id$/.test(p))) continue;
      const open = m.index + m[0].length - 1;
      let body;
      try {
        body = parseBody(src, open);
      } catch (e) {
        body = { k: "unparsed", why: String(e instanceof Error ? e.message : e) };
      }
      // guards around the whole function are the function's own; only the ones inside it select cases
      const own = configsAt(open);
      markCaseConfigs(body, (pos) => configsAt(pos).filter((c) => !own.includes(c)));
      const name = m[5];
      const f = { name, file: rel, line: lineOf(open), ret: isBool ? "bool" : "proto", params: params.filter((p) => p !== "void").map((p) => /(\w+)\s*$/.exec(p)?.[1] ?? p), body, weak: Boolean(m[4]), isStatic: /static/.test(m[2]) };
      funcs.set(name, [...(funcs.get(name) ?? []), f]);
    }
    for (const m of src.matchAll(OPS_DEF)) {
      const open = m.index + m[0].length - 1;
      const close = matchBrace(src, open);
      const fields = parseDesignated(src.slice(open + 1, close - 1));
      const rec = { name: m[3], file: rel, fields };
      if (m[2] === "bpf_verifier_ops") verifierOps.set(m[3], rec);
      else if (m[2] === "bpf_struct_ops") structOps.push(rec);
      else iterRegs.push(rec);
    }
    collectBtfIdLists(src, btfIdLists);
  }
  collectBtfIdLists(stripComments(preprocess(readFileSync(join(kernelSrc, "include/linux/btf_ids.h"), "latin1")).text), btfIdLists);
  return { protos, protosByName, funcs, verifierOps, structOps, iterRegs, btfIdLists };
}

/** A `case` label inside `#ifdef CONFIG_X` exists only with X: note that on the label. */
function markCaseConfigs(node, configsAt) {
  if (node === null || typeof node !== "object") return;
  if (Array.isArray(node)) {
    for (const n of node) markCaseConfigs(n, configsAt);
    return;
  }
  if (node.k === "case" && typeof node.pos === "number") node.configs = configsAt(node.pos);
  for (const key of ["body", "a", "b"]) if (node[key]) markCaseConfigs(node[key], configsAt);
}

// BTF_ID_LIST(name) followed by BTF_ID(kind, type) rows; BTF_ID_LIST_SINGLE(name, kind, type).
function collectBtfIdLists(src, out) {
  // ids looked up at init time: `type_id = btf_find_by_name_kind(btf, "tcp_sock", BTF_KIND_STRUCT); ... tcp_sock_id = type_id;`
  for (const m of src.matchAll(/type_id\s*=\s*btf_find_by_name_kind\(\s*\w+\s*,\s*"(\w+)"\s*,\s*BTF_KIND_STRUCT\s*\);[^;]*;\s*(\w+)\s*=\s*type_id;/g)) {
    out.set(m[2], [{ index: "0", kind: "struct", type: m[1] }]);
  }
  // BTF_SET_START(name) BTF_ID(func, x) ... BTF_SET_END(name): kept as `set:name`
  for (const m of src.matchAll(/BTF_SET_START\(\s*(\w+)\s*\)([\s\S]*?)BTF_SET_END\(\s*\1\s*\)/g)) {
    out.set(`set:${m[1]}`, [...m[2].matchAll(/BTF_ID\(\s*(\w+)\s*,\s*(\w+)\s*\)/g)].map((r, i) => ({ index: String(i), kind: r[1], type: r[2] })));
  }
  for (const m of src.matchAll(/BTF_ID_LIST(?:_GLOBAL)?_SINGLE\(\s*(\w+)\s*,\s*(\w+)\s*,\s*(\w+)\s*\)/g)) {
    out.set(m[1], [{ index: "0", kind: m[2], type: m[3] }]);
  }
  for (const m of src.matchAll(/BTF_ID_LIST(?:_GLOBAL)?\(\s*(\w+)(?:\s*,\s*\w+)?\s*\)/g)) {
    const rows = [];
    const rest = src.slice(m.index + m[0].length);
    const re = /^\s*(?:BTF_ID\(\s*(\w+)\s*,\s*(\w+)\s*\)|BTF_ID_UNUSED)/;
    let off = 0;
    for (;;) {
      const r = re.exec(rest.slice(off));
      if (!r) break;
      rows.push(r[1] ? { index: String(rows.length), kind: r[1], type: r[2] } : { index: String(rows.length), kind: "unused", type: "" });
      off += r[0].length;
    }
    if (rows.length > 0) out.set(m[1], rows);
  }
}

/** btf_ids.h defines the sock/tracing id arrays through X-macros; read those rows from the raw header. */
export function readBtfXmacroLists(kernelSrc, out) {
  const raw = readFileSync(join(kernelSrc, "include/linux/btf_ids.h"), "latin1").replace(/\\\r?\n/g, " ");
  for (const [list, macro] of [["btf_sock_ids", "BTF_SOCK_TYPE_xxx"], ["btf_tracing_ids", "BTF_TRACING_TYPE_xxx"]]) {
    const m = new RegExp(`#define ${macro}(.*)`).exec(raw);
    if (!m) continue;
    const rows = [];
    for (const r of m[1].matchAll(/BTF_(?:SOCK|TRACING)_TYPE\(\s*(\w+)\s*,\s*(\w+)\s*\)/g)) rows.push({ index: r[1], kind: "struct", type: r[2] });
    out.set(list, rows);
  }
}

/**
 * C scoping and linking for a call from `fromFile`: a static definition in that file, else the
 * global one, where a strong definition anywhere overrides a __weak one (tracing_prog_func_proto
 * in syscall.c is the __weak fallback of bpf_trace.c's). Without a file, the only definition.
 */
export function findFunc(scan, name, fromFile) {
  const defs = scan.funcs.get(name);
  if (!defs) return undefined;
  const local = defs.find((d) => d.file === fromFile && d.isStatic);
  if (local) return local;
  const global = defs.filter((d) => !d.isStatic).sort((a, b) => Number(a.weak) - Number(b.weak));
  return global[0] ?? (defs.length === 1 ? defs[0] : undefined);
}
