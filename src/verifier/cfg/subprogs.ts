// Subprogram discovery and per-subprog jump checks.
// kernel: add_subprog_and_kfunc, check_subprogs, add_subprog,
// bpf_find_containing_subprog, bpf_find_subprog (verifier.c)
import type { VerifierLog } from "../log/vlog.js";
import { BPF_LOG_LEVEL2 } from "../log/vlog.js";
import {
  BPF_ABS, BPF_CALL, BPF_EXIT, BPF_FUNC_tail_call, BPF_IND, BPF_JA, BPF_JMP, BPF_JMP32, BPF_LD,
  bpfClass, bpfMode, bpfOp, isGotox, isPseudoCall, isPseudoFunc, isPseudoKfuncCall, jmpOffset,
} from "./opcodes.js";
import { type CfgEnv, type CfgReject, newSubprogInfo } from "./types.js";

/** kernel: BPF_MAX_SUBPROGS */
export const BPF_MAX_SUBPROGS = 256;

/** kernel: bpf_find_containing_subprog — index of the subprog holding insn `off`, or -1. */
export function findContainingSubprog(env: CfgEnv, off: number): number {
  if (off < 0 || off >= env.insns.length || env.subprogCnt === 0) return -1;
  let l = 0;
  let r = env.subprogCnt - 1;
  while (l < r) {
    const m = l + Math.floor((r - l + 1) / 2);
    if (env.subprogs[m]!.start <= off) l = m;
    else r = m - 1;
  }
  return l;
}

/** kernel: bpf_find_subprog — the subprog starting exactly at `off`, or -1 (-ENOENT). */
export function findSubprog(env: CfgEnv, off: number): number {
  const i = findContainingSubprog(env, off);
  return i >= 0 && env.subprogs[i]!.start === off ? i : -1;
}

// kernel: add_subprog — keeps the table sorted by start.
function addSubprog(env: CfgEnv, off: number): number | CfgReject {
  if (off >= env.insns.length || off < 0) return { errno: "EINVAL", message: "call to invalid destination\n" };
  const found = findSubprog(env, off);
  if (found >= 0) return found;
  if (env.subprogCnt >= BPF_MAX_SUBPROGS) return { errno: "E2BIG", message: "too many subprograms\n" };
  const list = env.subprogs.slice(0, env.subprogCnt);
  list.push(newSubprogInfo(off));
  list.sort((a, b) => a.start - b.start);
  env.subprogs = list;
  env.subprogCnt++;
  // The kernel returns the pre-sort slot; callers only test for < 0.
  return env.subprogCnt - 1;
}

const isReject = (x: number | CfgReject): x is CfgReject => typeof x !== "number";

/**
 * kernel: add_subprog_and_kfunc — subprog entries from pseudo calls, pseudo
 * func loads and the exception callback, kfunc registration, then the
 * sentinel entry and the level-2 "func#N @S" listing.
 */
export function addSubprogAndKfunc(env: CfgEnv, log: VerifierLog): CfgReject | undefined {
  env.subprogs = [];
  env.subprogCnt = 0;
  const first = addSubprog(env, 0);
  if (isReject(first)) return first;
  const capable = env.opts.bpfCapable ?? true;
  for (let i = 0; i < env.insns.length; i++) {
    const insn = env.insns[i]!;
    const fn = isPseudoFunc(insn) || isPseudoCall(insn);
    if (!fn && !isPseudoKfuncCall(insn)) continue;
    if (!capable) {
      return {
        errno: "EPERM",
        message: "loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN\n",
      };
    }
    if (fn) {
      const r = addSubprog(env, i + insn.imm + 1);
      if (isReject(r)) return r;
    } else if (env.opts.addKfuncCall) {
      const r = env.opts.addKfuncCall(insn.imm, insn.off);
      if (r) return r;
    }
  }
  const exCb = env.opts.exceptionCallbackInsnOff ? env.opts.exceptionCallbackInsnOff() : 0;
  if (isReject(exCb)) return exCb;
  if (exCb) {
    const r = addSubprog(env, exCb);
    if (isReject(r)) return r;
    for (let i = 1; i < env.subprogCnt; i++) {
      const sp = env.subprogs[i]!;
      if (sp.start !== exCb) continue;
      env.exceptionCallbackSubprog = i;
      // kernel: bpf_mark_subprog_exc_cb
      sp.isCb = sp.isAsyncCb = sp.isExceptionCb = true;
      break;
    }
  }
  env.subprogs.push(newSubprogInfo(env.insns.length));
  if (log.level & BPF_LOG_LEVEL2) {
    for (let i = 0; i < env.subprogCnt; i++) log.write(`func#${i} @${env.subprogs[i]!.start}\n`);
  }
  return undefined;
}

/**
 * kernel: check_subprogs — every jump stays inside its subprog, and a subprog
 * cannot fall through into the next. Also records tail-call/ld_abs use and
 * an exit insn per subprog.
 */
export function checkSubprogs(env: CfgEnv): CfgReject | undefined {
  const { insns, subprogs } = env;
  let cur = 0;
  let start = subprogs[0]!.start;
  let end = subprogs[1]!.start;
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i]!;
    const code = insn.code;
    const sp = subprogs[cur]!;
    if (code === (BPF_JMP | BPF_CALL) && insn.src === 0 && insn.imm === BPF_FUNC_tail_call) {
      sp.hasTailCall = true;
      sp.tailCallReachable = true;
    }
    const cls = bpfClass(code);
    if (cls === BPF_LD && (bpfMode(code) === BPF_ABS || bpfMode(code) === BPF_IND)) sp.hasLdAbs = true;
    if ((cls === BPF_JMP || cls === BPF_JMP32) && bpfOp(code) !== BPF_CALL) {
      if (bpfOp(code) === BPF_EXIT) sp.exitIdx = i;
      else if (!isGotox(insn)) {
        const off = i + jmpOffset(insn) + 1;
        if (off < start || off >= end) {
          return { errno: "EINVAL", message: `jump out of range from insn ${i} to ${off}\n` };
        }
      }
    }
    if (i === end - 1) {
      if (code !== (BPF_JMP | BPF_EXIT) && code !== (BPF_JMP32 | BPF_JA) && code !== (BPF_JMP | BPF_JA) &&
          !isGotox(insn)) {
        return { errno: "EINVAL", message: "last insn is not an exit or jmp\n" };
      }
      start = end;
      cur++;
      if (cur < env.subprogCnt) end = subprogs[cur + 1]!.start;
    }
  }
  return undefined;
}
