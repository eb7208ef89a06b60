// The level-2 listings of the stack liveness pass: transfer lines, "arg
// JOIN" lines, the per-subprog arg listing and the per-instance use/def
// tables. Each kernel verbose() call is one log.write (each capped at 1023).
// kernel: arg_track_log, arg_track_join, print_subprog_arg_access,
// fmt_subprog, fmt_spis_mask, print_instance, print_instances (liveness.c)
import type { VerifierLog } from "../log/vlog.js";
import { BPF_LOG_LEVEL2 } from "../log/vlog.js";
import { type ArgTrack, argEq, argJoin, fmtArgTrack, isFp, isVisited } from "./arg-track.js";
import { type FuncInstance, MAX_ARG_SPILL_SLOTS, MAX_BPF_REG, MAX_STACK_ARG_SLOTS, type StackLiveness } from "./liveness-instances.js";
import { BPF_CALL, BPF_JMP, BPF_LDX, BPF_STX, bpfClass, isLdImm64 } from "./opcodes.js";
import { SPIS_ZERO, STACK_SLOT_SZ, STACK_SLOTS, type Spis, spisTest } from "./stack-access.js";
import type { CfgEnv } from "./types.js";


export function insnText(env: CfgEnv, idx: number): string {
  const t = env.opts.printInsn ? env.opts.printInsn(env.insns, idx) : "\n";
  return t.endsWith("\n") ? t.slice(0, -1) : t;
}
const pad3 = (n: number): string => String(n).padStart(3);

function regName(r: number): string {
  if (r >= MAX_BPF_REG) return `sa${r - MAX_BPF_REG}: `;
  if (r >= 0) return `r${r}: `;
  const o = r * 8;
  return `fp${o >= 0 ? "+" : ""}${o}: `;
}

// kernel: compute_subprog_args — forward fixpoint, then one pass recording accesses.
export function joinInto(log: VerifierLog, idx: number, target: number, r: number, arr: ArgTrack[], slot: number, out: ArgTrack): boolean {
  const old = arr[slot]!;
  // Joining a value with itself changes nothing; most registers pass through an insn untouched.
  if (old === out) return false;
  const nv = argJoin(old, out);
  if (argEq(nv, old)) return false;
  arr[slot] = nv;
  if (log.level & BPF_LOG_LEVEL2 && isVisited(old)) {
    log.write(`arg JOIN insn ${idx} -> ${target} ${regName(r)}${fmtArgTrack(old)} + ${fmtArgTrack(out)} => ${fmtArgTrack(nv)}\n`);
  }
  return true;
}

// kernel: arg_track_log — one line per insn whose transfer changed something.
// Each fragment is its own verbose() call (each capped at 1023 chars).
export function logXfer(env: CfgEnv, log: VerifierLog, idx: number, atIn: readonly ArgTrack[], stIn: readonly ArgTrack[], atOut: readonly ArgTrack[], stOut: readonly ArgTrack[]): void {
  let printed = false;
  const add = (name: string, a: ArgTrack, b: ArgTrack) => {
    if (argEq(b, a)) return;
    if (!printed) {
      log.write(`${pad3(idx)}: `);
      log.write(insnText(env, idx));
      printed = true;
    }
    log.write(`\t${name}: `);
    log.write(fmtArgTrack(a));
    log.write(" -> ");
    log.write(fmtArgTrack(b));
  };
  for (let i = 0; i < MAX_BPF_REG; i++) add(`r${i}`, atIn[i]!, atOut[i]!);
  for (let i = 0; i < MAX_STACK_ARG_SLOTS; i++) add(`sa${i}`, atIn[MAX_BPF_REG + i]!, atOut[MAX_BPF_REG + i]!);
  for (let i = 0; i < MAX_ARG_SPILL_SLOTS; i++) add(`fp${-(i + 1) * 8}`, stIn[i]!, stOut[i]!);
  if (printed) log.write("\n");
}

/** kernel: fmt_subprog — "subprog#N name", the name from func_info BTF when there is one. */
function fmtSubprog(env: CfgEnv, sub: number): string {
  const name = env.opts.subprogName?.(sub);
  return name ? `subprog#${sub} ${name}` : `subprog#${sub}`;
}

// kernel: print_subprog_arg_access
export function printSubprogArgAccess(env: CfgEnv, log: VerifierLog, sub: number, atIn: ArgTrack[][], stackIn: ArgTrack[][]): void {
  const start = env.subprogs[sub]!.start;
  const len = env.subprogs[sub + 1]!.start - start;
  log.write(`${fmtSubprog(env, sub)}:\n`);
  for (let i = 0; i < len; i++) {
    const idx = start + i;
    const insn = env.insns[idx]!;
    const cls = bpfClass(insn.code);
    const lsc = cls === BPF_LDX || cls === BPF_STX || insn.code === (BPF_JMP | BPF_CALL);
    const parts: string[] = [];
    if (lsc && isVisited(atIn[i]![0]!)) {
      for (let r = 0; r < MAX_BPF_REG - 1; r++) if (isFp(atIn[i]![r]!)) parts.push(` r${r}=`, fmtArgTrack(atIn[i]![r]!));
      for (let r = 0; r < MAX_STACK_ARG_SLOTS; r++) {
        const a = atIn[i]![MAX_BPF_REG + r]!;
        if (isFp(a)) parts.push(` sa${r}=`, fmtArgTrack(a));
      }
    }
    if (lsc) {
      for (let r = 0; r < MAX_ARG_SPILL_SLOTS; r++) {
        const a = stackIn[i]![r]!;
        if (isFp(a)) parts.push(` fp${-(r + 1) * 8}=`, fmtArgTrack(a));
      }
    }
    log.write(`${pad3(idx)}: `);
    log.write(insnText(env, idx));
    if (parts.length) {
      log.write(" //");
      for (const p of parts) log.write(p);
    }
    log.write("\n");
    if (isLdImm64(insn)) i++;
  }
}

const spiOff = (spi: number): number => -(spi + 1) * 8;

/** kernel: fmt_spis_mask — "fp0-8", half slots "fp0-4h", runs of 3+ "fp0-8..-24". */
export function fmtSpisMask(frame: number, first: boolean, spis: Spis): string {
  let s = "";
  const half = STACK_SLOTS / 2;
  for (let spi = 0; spi < half; spi++) {
    const lo = spisTest(spis, spi * 2);
    const hi = spisTest(spis, spi * 2 + 1);
    if (!lo && !hi) continue;
    const space = first ? "" : " ";
    if (!lo || !hi) {
      s += `${space}fp${frame}${spiOff(spi) + (lo ? STACK_SLOT_SZ : 0)}h`;
    } else if (spi + 2 < half && [2, 3, 4, 5].every((d) => spisTest(spis, spi * 2 + d))) {
      const runStart = spi;
      while (spi + 1 < half && spisTest(spis, (spi + 1) * 2) && spisTest(spis, (spi + 1) * 2 + 1)) spi++;
      s += `${space}fp${frame}${spiOff(runStart)}..${spiOff(spi)}`;
    } else {
      s += `${space}fp${frame}${spiOff(spi)}`;
    }
    first = false;
  }
  // The kernel formats into tmp_str_buf (TMP_STR_BUF_LEN 320).
  return s.slice(0, 319);
}

/** kernel: bpf_vlog_alignment — pad an insn line to the state column. */
function vlogAlignment(pos: number): number {
  const BPF_LOG_ALIGNMENT = 40;
  const MIN = 8;
  return Math.ceil(Math.max(pos + MIN / 2, BPF_LOG_ALIGNMENT) / MIN) * MIN - pos - 1;
}

// kernel: print_instance
function printInstance(env: CfgEnv, log: VerifierLog, inst: FuncInstance): void {
  const start = env.subprogs[inst.subprog]!.start;
  log.write(`stack use/def ${fmtSubprog(env, inst.subprog)} (d${inst.depth},cs${inst.callsite}):\n`);
  for (let i = 0; i < inst.insnCnt; i++) {
    const idx = start + i;
    const head = `${pad3(idx)}: ${insnText(env, idx)}`;
    const use: string[] = [];
    const def: string[] = [];
    for (let f = inst.depth; f >= 0; f--) {
      const m = inst.frames[f];
      if (m && m.mayRead[i] !== SPIS_ZERO) use.push(fmtSpisMask(f, use.length === 0, m.mayRead[i]!));
    }
    for (let f = inst.depth; f >= 0; f--) {
      const m = inst.frames[f];
      if (m && m.mustWrite[i] !== SPIS_ZERO) def.push(fmtSpisMask(f, def.length === 0, m.mustWrite[i]!));
    }
    log.write(`${pad3(idx)}: `);
    log.write(insnText(env, idx));
    if (use.length || def.length) {
      // "%*c;" with width w prints w characters before the ';' (at least one).
      log.write(" ".repeat(Math.max(vlogAlignment(head.length), 1)) + ";");
      if (use.length) log.write(" use: ");
      for (const u of use) log.write(u);
      if (def.length) log.write(" def: ");
      for (const d of def) log.write(d);
    }
    log.write("\n");
    if (isLdImm64(env.insns[idx]!)) i++;
  }
}

// kernel: print_instances — ordered by callsite, then depth.
export function printInstances(env: CfgEnv, log: VerifierLog, l: StackLiveness): void {
  const all = [...l.instances.values()].sort((a, b) => a.callsite - b.callsite || a.depth - b.depth);
  for (const inst of all) printInstance(env, log, inst);
}

