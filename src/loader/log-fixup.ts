// libbpf rewrites the end of the verifier log when the kernel stopped at one of
// its poisoned instructions, so the user sees what failed instead of an unknown
// helper id. The corpus records logs after this rewrite.
// libbpf: fixup_verifier_log, fixup_log_failed_core_relo, fixup_log_missing_map_load,
// fixup_log_missing_kfunc_call

import { coreFailedReloLogPatch, CORE_POISON_IMM, type BpfCoreRelo, type Btf } from "../btf/index.js";
import type { Extern } from "./externs.js";
import { POISON_CALL_KFUNC_BASE, POISON_LDIMM64_MAP_BASE } from "./link.js";
import type { LoaderMap } from "./maps.js";

/** What the rewrite needs to know about one loaded program. */
export interface LogFixupContext {
  progName: string;
  btf: Btf | undefined;
  /** CO-RE records by final instruction index, in libbpf's relocation order. */
  coreRelos: readonly { insnIdx: number; relo: BpfCoreRelo }[];
  /** The object's maps (POISON_LDIMM64_MAP_BASE + index) and externs (POISON_CALL_KFUNC_BASE + index). */
  objMaps: readonly LoaderMap[];
  externs: readonly Extern[];
}

const MAX_LAST_LINES = 10;

/** Rewrite `log` (the kernel's text) as libbpf returns it to the user. */
export function fixupVerifierLog(ctx: LogFixupContext, log: string): string {
  // Line starts, so lines can be walked back from the end as libbpf does.
  const starts: number[] = [];
  for (let i = 0; i < log.length; i = log.indexOf("\n", i) + 1 || log.length) starts.push(i);
  for (let k = starts.length - 1, n = 0; k >= 1 && n < MAX_LAST_LINES; k--, n++) {
    const cur = log.slice(starts[k], starts[k + 1] ?? log.length);
    const line1Start = starts[k - 1]!;
    const line1 = log.slice(line1Start, starts[k]);
    const rest = log.slice(starts[k + 1] ?? log.length);
    const replace = (patch: string | undefined) => (patch === undefined ? log : log.slice(0, line1Start) + patch + rest);
    if (cur.startsWith(`invalid func unknown#${CORE_POISON_IMM}\n`)) return replace(failedCoreRelo(ctx, line1));
    if (cur.startsWith("invalid func unknown#200100")) return replace(missingMapLoad(ctx, line1));
    if (cur.startsWith("invalid func unknown#2002")) return replace(missingKfuncCall(ctx, line1));
  }
  return log;
}

/** sscanf("%d: (%*d) call unknown#%d\n") */
function parseCallLine(line: string): { insn: number; imm: number } | undefined {
  const m = /^\s*([+-]?\d+): \(\s*[+-]?\d+\) call unknown#([+-]?\d+)/.exec(line);
  return m ? { insn: Number(m[1]), imm: Number(m[2]) } : undefined;
}

function failedCoreRelo(ctx: LogFixupContext, line1: string): string | undefined {
  const c = parseCallLine(line1);
  if (!c || c.imm !== CORE_POISON_IMM || !ctx.btf) return undefined;
  // libbpf: find_relo_core — the first CO-RE record at that instruction.
  const rec = ctx.coreRelos.find((r) => r.insnIdx === c.insn);
  return rec ? coreFailedReloLogPatch(ctx.progName, ctx.btf, rec.relo, c.insn) : undefined;
}

function missingMapLoad(ctx: LogFixupContext, line1: string): string | undefined {
  const c = parseCallLine(line1);
  if (!c) return undefined;
  const map = ctx.objMaps[c.imm - POISON_LDIMM64_MAP_BASE];
  if (!map) return undefined;
  return `${c.insn}: <invalid BPF map reference>\nBPF map '${map.name}' is referenced but wasn't created\n`;
}

function missingKfuncCall(ctx: LogFixupContext, line1: string): string | undefined {
  const c = parseCallLine(line1);
  if (!c) return undefined;
  const ext = ctx.externs[c.imm - POISON_CALL_KFUNC_BASE];
  if (!ext) return undefined;
  return `${c.insn}: <invalid kfunc call>\nkfunc '${ext.name}' is referenced but wasn't resolved\n`;
}
