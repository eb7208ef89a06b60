// `bpfverify helpers [--prog-type T] [--json]`: the target kernel's helpers
// with their prototypes, per program type, as documentation (the role of
// bpftool feature's helper listings, plus the prototypes themselves).
//
// --json prints one object per helper per line:
//   {"id": 1, "name": "bpf_map_lookup_elem", "funcId": "BPF_FUNC_map_lookup_elem",
//    "progTypes": ["BPF_PROG_TYPE_SOCKET_FILTER", ...],        // types that can get some proto
//    "protos": [{"proto": "bpf_map_lookup_elem_proto", "file": "kernel/bpf/helpers.c", "line": 50,
//                "func": "bpf_map_lookup_elem", "gplOnly": false, "pktAccess": true,
//                "mightSleep": false, "allowFastcall": false, "allowed"?: "...",
//                "ret": {"type": "RET_PTR_TO_MAP_VALUE_OR_NULL", "kind": ..., "flags": [], "btfId"?: {...}},
//                "args": [{"type": "ARG_CONST_MAP_PTR", "kind": ..., "flags": [], "btfId"?: {...}, "size"?: {...}}, ...],
//                "progTypes": [...],                            // types that get this proto (under some condition)
//                "uses": [{"progType": "...", "structOps"?: "...", "when": [Condition...],
//                          "allowed"?: [[Condition...], ...]}]}]}
// `when` lists the load-time conditions (attach type, capability, sleepable, lockdown,
// iterator target, CONFIG_* option, ...) under which get_func_proto returns that proto;
// [] = always. `allowed` is present for protos with an `.allowed` callback: it passes
// when one of the condition lists holds (see src/kernel/helpers/types.ts, Condition).
// With --prog-type only that type's helpers and protos are listed.
import type { CliIo } from "../io.js";
import {
  HELPER_IDS,
  formatCondition,
  helperProtoRow,
  helperSelectors,
  selectorEntries,
  type Condition,
  type HelperProtoRow,
  type HelperSelectionRow,
} from "../../kernel/helpers/index.js";
import { findProgType, KERNEL_VERSION } from "../../kernel/progtypes/index.js";

const USAGE = `usage: bpfverify helpers [--prog-type T] [--json]

List the helpers of the target kernel (Linux ${KERNEL_VERSION}) with their prototypes.
  --prog-type T   only helpers program type T can call: BPF_PROG_TYPE_XDP, xdp (libbpf name),
                  or struct_ops:<name> (e.g. struct_ops:tcp_congestion_ops)
  --json          one JSON object per helper per line (shape: see src/cli/commands/helpers.ts)
Conditions assume nothing: each proto is listed with the load-time conditions under which
the kernel's get_func_proto returns it (a privileged loader satisfies every capability).
`;

interface Use {
  readonly progType: string;
  readonly structOps?: string;
  readonly when: readonly Condition[];
  /** The proto's `.allowed` callback says yes under any one of these condition sets. */
  readonly allowed?: readonly (readonly Condition[])[];
}

interface Options {
  progType?: string;
  json: boolean;
}

function parse(argv: string[], io: CliIo): Options | number {
  const o: Options = { json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--json") o.json = true;
    else if (a === "--prog-type") {
      const v = argv[++i];
      if (v === undefined) {
        io.err("bpfverify helpers: --prog-type needs a value\n" + USAGE);
        return 2;
      }
      o.progType = v;
    } else if (a === "-h" || a === "--help") {
      io.out(USAGE);
      return 0;
    } else {
      io.err(`bpfverify helpers: unknown argument '${a}'\n${USAGE}`);
      return 2;
    }
  }
  return o;
}

/** The selection rows the listing covers: all of them, or those of one program / struct_ops type. */
function pickSelectors(spec: string | undefined): readonly HelperSelectionRow[] | string {
  const all = helperSelectors();
  if (spec === undefined) return all;
  const so = /^(?:struct_ops|BPF_PROG_TYPE_STRUCT_OPS):(.+)$/.exec(spec);
  if (so) {
    const rows = all.filter((s) => s.structOps === so[1]);
    return rows.length > 0 ? rows : `unknown struct_ops type '${so[1]}' (known: ${all.filter((s) => s.structOps).map((s) => s.structOps).join(", ")})`;
  }
  const pt = findProgType(spec);
  if (pt === undefined) return `unknown program type '${spec}'`;
  const rows = all.filter((s) => s.progType === pt.name);
  if (rows.length === 0) {
    return pt.name === "BPF_PROG_TYPE_EXT"
      ? "BPF_PROG_TYPE_EXT programs use the helpers of the program they extend: ask for that type"
      : `${pt.name} has no get_func_proto of its own (struct_ops programs: use struct_ops:<name>)`;
  }
  return rows;
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const o = parse(argv, io);
  if (typeof o === "number") return o;
  const sels = pickSelectors(o.progType);
  if (typeof sels === "string") {
    io.err(`bpfverify helpers: ${sels}\n`);
    return 2;
  }
  // helper id -> proto key -> uses
  const uses = new Map<number, Map<string, Use[]>>();
  for (const s of sels) {
    for (const [id, variants] of selectorEntries(s)) {
      const byProto = uses.get(id) ?? new Map<string, Use[]>();
      uses.set(id, byProto);
      for (const v of variants) {
        const list = byProto.get(v.proto) ?? [];
        list.push({
          progType: s.progType,
          ...(s.structOps !== undefined ? { structOps: s.structOps } : {}),
          when: v.when,
          ...(v.allowed !== undefined ? { allowed: v.allowed } : {}),
        });
        byProto.set(v.proto, list);
      }
    }
  }
  if (!o.json) io.out(header(o.progType, sels));
  for (const h of HELPER_IDS) {
    const byProto = uses.get(h.id);
    if (byProto === undefined) continue;
    const protos = [...byProto].map(([key, u]) => ({ row: helperProtoRow(key), uses: u }));
    if (o.json) io.out(JSON.stringify(jsonHelper(h.id, h.name, protos)) + "\n");
    else io.out(textHelper(h.id, h.name, protos, o.progType !== undefined));
  }
  return 0;
}

function header(spec: string | undefined, sels: readonly HelperSelectionRow[]): string {
  if (spec === undefined) return `# eBPF helpers of Linux ${KERNEL_VERSION}, with the prototypes each program type gets\n\n`;
  const s = sels[0];
  const what = s?.structOps !== undefined ? `struct_ops type ${s.structOps}` : `program type ${s?.progType}`;
  return `# eBPF helpers for ${what} (Linux ${KERNEL_VERSION}, get_func_proto: ${s?.getFuncProto})\n\n`;
}

function progTypeList(us: readonly Use[]): string[] {
  return [...new Set(us.map((u) => (u.structOps !== undefined ? `${u.progType}:${u.structOps}` : u.progType)))];
}

function jsonHelper(id: number, name: string, protos: { row: HelperProtoRow | undefined; uses: Use[] }[]): object {
  return {
    id,
    name: `bpf_${name}`,
    funcId: `BPF_FUNC_${name}`,
    progTypes: progTypeList(protos.flatMap((p) => p.uses)),
    protos: protos.map(({ row, uses }) => {
      const { key, name: _n, ...rest } = row ?? ({ key: "?", name: "?" } as HelperProtoRow);
      return { proto: key, ...rest, progTypes: progTypeList(uses), uses };
    }),
  };
}

/** `RET_INTEGER bpf_foo(ARG_PTR_TO_CTX ctx, ...)`, with the kernel's spellings. */
function signature(name: string, p: HelperProtoRow): string {
  const args = p.args.map((a) => (a.btfId?.type !== undefined ? `${a.type} /* ${a.btfId.type} */` : a.size !== undefined ? `${a.type} /* ${a.size.src} */` : a.type));
  const ret = p.ret.btfId?.type !== undefined ? `${p.ret.type} /* ${p.ret.btfId.type} */` : p.ret.type;
  return `${ret} bpf_${name}(${args.join(", ") || "void"})`;
}

function flagsOf(p: HelperProtoRow): string {
  const f: string[] = [];
  if (p.gplOnly) f.push("gpl_only");
  if (p.pktAccess) f.push("pkt_access");
  if (p.mightSleep) f.push("might_sleep");
  if (p.allowFastcall) f.push("allow_fastcall");
  if (p.allowed !== undefined) f.push(`allowed: ${p.allowed}()`);
  return f.join(", ");
}

function textHelper(id: number, name: string, protos: { row: HelperProtoRow | undefined; uses: Use[] }[], oneType: boolean): string {
  const lines = [`bpf_${name}#${id}`];
  for (const { row, uses } of protos) {
    if (row === undefined) continue;
    lines.push(`    ${signature(name, row)}`);
    const flags = flagsOf(row);
    lines.push(`        ${row.key} (${row.file}:${row.line})${flags ? `  [${flags}]` : ""}`);
    // group the program types that get this proto under the same conditions
    const byWhen = new Map<string, string[]>();
    for (const u of uses) {
      const w = u.when.map(formatCondition).join(" && ") || "always";
      const list = byWhen.get(w) ?? [];
      list.push(u.structOps !== undefined ? `struct_ops:${u.structOps}` : u.progType.replace(/^BPF_PROG_TYPE_/, "").toLowerCase());
      byWhen.set(w, list);
    }
    for (const [w, types] of byWhen) lines.push(oneType ? `        when: ${w}` : `        ${types.join(" ")}${w === "always" ? "" : `  when ${w}`}`);
    const allowed = new Set(uses.filter((u) => u.allowed !== undefined).map((u) => (u.allowed ?? []).map((cs) => cs.map(formatCondition).join(" && ")).join("  OR  ") || "never"));
    for (const a of allowed) lines.push(`        allowed (${row.allowed}) when: ${a}`);
  }
  return lines.join("\n") + "\n\n";
}
