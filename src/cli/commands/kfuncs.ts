// `bpfverify kfuncs`: the target kernel's kfuncs as the verifier sees them:
// flags per hook, the program types that may call them, each argument's kind
// and the return kind (readable text, or one JSON object per kfunc and line).
import { parseArgs } from "node:util";
import { loadProfile, type Profile } from "../../kernel/profile.js";
import { kfuncProto, type KfuncProto } from "../../kernel/kfuncs/proto.js";
import { KFUNC_ARG_KIND_ORDER, KFUNC_RET_KIND_ORDER } from "../../kernel/kfuncs/argKinds.js";
import type { Kfunc } from "../../kernel/kfuncs/catalog.js";
import { PROG_TYPES, findProgType } from "../../kernel/progtypes/index.js";
import { InputError } from "../../util/errors.js";
import type { CliIo } from "../io.js";

const USAGE = `usage: bpfverify kfuncs [--btf PATH] [--module-btf PATH]... [--prog-type T] [--json] [NAME...]

List the target kernel's kfuncs: every BTF_ID_FLAGS kfunc of the catalog whose function is
in the target BTF, with its flags per hook, the program types that may call it, and the
argument and return kinds the verifier derives from BTF and flags alone.
  --btf PATH          target kernel BTF (raw or ELF with .BTF); default: the bundled Linux 7.2 BTF
                      (another kernel's BTF is matched against the nearest catalog, 7.2)
  --module-btf PATH   a module's split BTF (repeatable; module name = file name without extension)
  --prog-type T       only kfuncs that program type may call (BPF_PROG_TYPE_XDP, xdp, or its number);
                      flags and context arguments are then those of its hook
  --json              one object per kfunc and line:
                      {"name","module","btfId","flags","hooks":{"HOOK":[flags]},"filters":{"HOOK":[...]},
                       "progTypes","proto","args":[{"name","type","kind","where",...}],"ret":{...}}
  NAME...             only these kfuncs
`;

interface KfuncJson {
  name: string;
  module: string | null;
  btfId: number;
  flags: readonly string[];
  hooks: Record<string, readonly string[]>;
  filters: Record<string, readonly string[]>;
  progTypes: string[];
  proto: { checkedAs: string | null; visibleArgs: number };
  args: {
    name: string;
    type: string;
    kind: string;
    where: string;
    alternatives?: { kind: string; when: string }[];
    annotations?: readonly string[];
    sizeArg?: { index: number; constant: boolean };
  }[];
  ret: KfuncProto["ret"];
  special?: readonly string[];
  xdpMetadata?: true;
}

/** Program types (not UNSPEC) whose programs may call the kfunc. kernel: btf_kfunc_is_allowed */
function callers(p: Profile, k: Kfunc): string[] {
  return PROG_TYPES.filter((t) => t.name !== "BPF_PROG_TYPE_UNSPEC" && p.kfuncAllowed(k, t.name).allowed).map((t) => t.name);
}

export function kfuncJson(p: Profile, k: Kfunc, progType?: string): KfuncJson {
  let proto: KfuncProto;
  try {
    proto = kfuncProto(p, k, progType);
  } catch (e) {
    // e.g. a KF_IMPLICIT_ARGS kfunc whose `_impl` twin is missing from a custom BTF
    throw new InputError("KFUNC_PROTO", `kfunc ${k.name}: ${(e as Error).message}`);
  }
  const hooks: Record<string, readonly string[]> = {};
  const filters: Record<string, readonly string[]> = {};
  for (const h of k.hooks) {
    hooks[h.hook] = h.flags;
    if (h.filter !== undefined) filters[h.hook] = [...(filters[h.hook] ?? []), h.filter];
  }
  return {
    name: k.name,
    module: k.module ?? null,
    btfId: k.btfId,
    flags: k.flags,
    hooks,
    filters,
    progTypes: callers(p, k),
    proto: { checkedAs: proto.implProto ?? null, visibleArgs: proto.visibleArgs },
    args: proto.args.map((a) => ({
      name: a.name,
      type: a.type,
      kind: a.kind,
      where: a.where,
      ...(a.alternatives.length ? { alternatives: [...a.alternatives] } : {}),
      ...(a.annotations.length ? { annotations: a.annotations } : {}),
      ...(a.sizeArg ? { sizeArg: a.sizeArg } : {}),
    })),
    ret: proto.ret,
    ...(k.special.length ? { special: k.special } : {}),
    ...(k.xdpMetadata ? { xdpMetadata: true as const } : {}),
  };
}

const short = (hook: string) => hook.replace(/^BTF_KFUNC_HOOK_/, "");

function kfuncText(j: KfuncJson): string {
  const lines: string[] = [];
  lines.push(`${j.name}  (${j.module ?? "vmlinux"} btf_id ${j.btfId}${j.xdpMetadata ? ", XDP metadata kfunc: device-bound programs" : ""})`);
  lines.push(`  flags: ${j.flags.length ? j.flags.join(" ") : "-"}`);
  const groups = new Map<string, string[]>();
  for (const [h, f] of Object.entries(j.hooks)) {
    const key = f.join(" ") || "-";
    groups.set(key, [...(groups.get(key) ?? []), short(h)]);
  }
  if (groups.size === 1) lines.push(`  hooks: ${[...groups.values()][0]!.join(" ")}`);
  else for (const [f, hs] of groups) lines.push(`  hooks: ${hs.join(" ")}: ${f}`);
  const filt = Object.entries(j.filters);
  if (filt.length) lines.push(`  filters: ${filt.map(([h, f]) => `${short(h)}: ${f.join(", ")}`).join("; ")}`);
  if (j.special) lines.push(`  verifier special: ${j.special.join(" ")}`);
  if (j.proto.checkedAs) lines.push(`  checked against the prototype of ${j.proto.checkedAs} (BPF-visible args: ${j.proto.visibleArgs})`);
  const w = Math.max(4, ...j.args.map((a) => a.name.length));
  const tw = Math.max(4, ...j.args.map((a) => a.type.length));
  for (const a of j.args) {
    let s = `    ${a.where.padEnd(9)} ${a.name.padEnd(w)}  ${a.type.padEnd(tw)}  ${a.kind}`;
    if (a.sizeArg) s += ` (size: arg ${a.sizeArg.index + 1}${a.sizeArg.constant ? ", constant" : ""})`;
    if (a.annotations?.length) s += ` [${a.annotations.join(" ")}]`;
    for (const alt of a.alternatives ?? []) s += `; ${alt.kind} if ${alt.when}`;
    lines.push(s);
  }
  const r = j.ret;
  let rs = `  returns ${r.type}: ${r.kind}`;
  if (r.typeFlags.length) rs += ` ${r.typeFlags.join("|")}`;
  if (r.memSize !== undefined) rs += ` size ${r.memSize}`;
  if (r.acquire) rs += ", acquired reference";
  for (const c of r.conditional ?? []) rs += `; ${c.flag} ${c.when}`;
  lines.push(rs);
  return lines.join("\n") + "\n";
}

/** The kind tables themselves, in the order the kernel tests them: the key to the listing. */
function legend(): string {
  const lines = ["# Argument kinds, first match wins (kernel: check_kfunc_args, get_kfunc_ptr_arg_type):"];
  KFUNC_ARG_KIND_ORDER.forEach((r, i) => lines.push(`#  ${String(i + 1).padStart(2)}. ${r.kind.padEnd(30)} ${r.kernel}`));
  lines.push("# Return kinds (kernel: check_kfunc_call, check_special_kfunc):");
  KFUNC_RET_KIND_ORDER.forEach((r, i) => lines.push(`#  ${String(i + 1).padStart(2)}. ${r.kind.padEnd(30)} ${r.kernel}`));
  return lines.join("\n") + "\n";
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  let opts;
  try {
    opts = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        btf: { type: "string" },
        "module-btf": { type: "string", multiple: true },
        "prog-type": { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (e) {
    io.err(`bpfverify kfuncs: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = opts;
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  let progType: string | undefined;
  if (values["prog-type"] !== undefined) {
    const row = findProgType(values["prog-type"]);
    if (!row) {
      io.err(`bpfverify kfuncs: unknown program type '${values["prog-type"]}'\n`);
      return 2;
    }
    progType = row.name;
  }
  let profile: Profile;
  try {
    profile = loadProfile({ ...(values.btf !== undefined ? { btfPath: values.btf } : {}), moduleBtfs: values["module-btf"] ?? [] });
  } catch (e) {
    if (e instanceof InputError) {
      io.err(`bpfverify kfuncs: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const wanted = new Set(positionals);
  const missing = positionals.filter((n) => profile.kfuncByName(n) === undefined);
  let list = profile.kfuncs.filter((k) => wanted.size === 0 || wanted.has(k.name));
  if (progType !== undefined) list = list.filter((k) => profile.kfuncAllowed(k, progType).allowed);
  if (!values.json) {
    const where = profile.customBtf ? `BTF ${values.btf} (catalog of Linux ${profile.sourceRelease}, the nearest)` : `Linux ${profile.sourceRelease}`;
    io.out(`# ${list.length} kfuncs of ${where}${progType ? ` callable from ${progType}` : ""}\n\n`);
  }
  let bad = missing.length;
  for (const k of list) {
    try {
      const j = kfuncJson(profile, k, progType);
      io.out(values.json ? JSON.stringify(j) + "\n" : kfuncText(j) + "\n");
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      io.err(`bpfverify kfuncs: ${e.message}\n`);
      bad++;
    }
  }
  if (!values.json && positionals.length === 0) io.out(legend());
  for (const n of missing) io.err(`bpfverify kfuncs: no kfunc '${n}' in this target\n`);
  return bad ? 1 : 0;
}
