// bpf_check(): the pass list, the walk of the main program and of each
// global subprogram, the closing statistics.
// kernel: verifier.c (bpf_check, do_check_common, do_check_main,
// do_check_subprogs, print_verification_stats)
import type { VerifierInput } from "./input.js";
import { VerifierLog, BPF_LOG_LEVEL, BPF_LOG_LEVEL2, BPF_LOG_STATS } from "./log/vlog.js";
import { VerifierEnv, type SubprogInfo } from "./env.js";
import { runPrePasses, type RunPrePassOptions } from "./cfg/index.js";
import { newFuncState } from "./state/func.js";
import { markRegKnownZero } from "./state/reg.js";
import type { VerifierState } from "./state/types.js";
import { doCheck, verboseLinfo, accountCurrentPath } from "./explore/do-check.js";
import { Reject, ERRNO_NUMBER, type Errno } from "./reject.js";
import { NotModelled } from "./not-modelled.js";
import { reject } from "./reject.js";
import { initGlobalSubprogRegs, markFuncInfoUnreliable, prepareFuncArgs, subprogArgs } from "./calls/global.js";
import { checkMaxStackDepth, fixupStackDepths, removeFastcallSpillsFills } from "./calls/stack-depth.js";
import { checkStackArgSlotUse } from "./stackargs/index.js";
import { acquireStructOpsArgRefs, applyStructOpsEpilogue } from "./structops/index.js";

export interface VerifyOptions {
  /** BPF_PROG_LOAD log_level (1, 2, with 4 for stats). Default 0: no log text, verdict only. */
  logLevel?: number;
  /** log_size; default 16 MiB (0 = unlimited in memory). */
  logSize?: number;
  /** Disassembler for the per-insn trace; required when logLevel includes 1 or 2. */
  insnText?: (insns: readonly VerifierInput["insns"][number][], idx: number) => string;
  /** Pre-pass facts from the target profile (helpers, kfuncs). */
  prePass?: RunPrePassOptions;
  /** Hook to customise the env (target-profile rules) before the walk. */
  setup?: (env: VerifierEnv) => void;
}

export interface VerifyResult {
  verdict: "success" | "failure" | "unsupported";
  /** Kernel errno name and number of the rejection (failure only). */
  errno?: Errno;
  errnoNumber?: number;
  /** What is not modelled yet (unsupported only). */
  unsupported?: string;
  /**
   * libbpf refused the program before any BPF_PROG_LOAD (unknown section, attach target missing
   * from the target BTF...): a failure with libbpf's message and an empty verifier log.
   */
  libbpfError?: string;
  log: string;
  logTrueSize: number;
  insnsProcessed: number;
  totalStates: number;
  peakStates: number;
  maxStatesPerInsn: number;
  /** Per-subprog stack depth, as "stack depth A+B" prints it. */
  stackDepths: number[];
  durationUs: number;
}

/** kernel: do_check_common — walk subprog 0 (ctx in R1) or a global subprog (args from its BTF). */
function doCheckCommon(env: VerifierEnv, subprog: number): void {
  const popLog = !(env.log.level & BPF_LOG_LEVEL2);
  env.prevLinfoIdx = -1;
  env.passCnt++;
  const frame = newFuncState(-1, 0, subprog, env.bpfCapable);
  const st: VerifierState = {
    frame: [frame], parent: null, refs: [], branches: 1, insnIdx: env.subprogs[subprog]!.start, curframe: 0,
    activeLocks: 0, activePreemptLocks: 0, activeIrqId: 0, activeLockId: 0, activeLockPtr: null, activeRcuLocks: 0,
    speculative: false, inSleepable: env.input.sleepable, firstInsnIdx: env.subprogs[subprog]!.start, lastInsnIdx: -1,
    equalState: null, jmpHistory: [], dfsDepth: 0, callbackUnrollDepth: 0, mayGotoDepth: 0,
  };
  env.curState = st;
  env.markStateScratched();
  // kernel: the "out:" label — the path's instructions are accounted even on failure
  try {
    if (subprog !== 0 || env.input.progType === "BPF_PROG_TYPE_EXT") {
      if (env.input.progType === "BPF_PROG_TYPE_EXT") throw new NotModelled("freplace programs (BTF of the target)");
      const sp = env.subprogs[subprog]!;
      if (env.log.level & BPF_LOG_LEVEL) env.verbose(`Validating ${sp.name}() func#${subprog}...\n`);
      const err = prepareFuncArgs(env, subprog);
      if (err) throw new Reject(err);
      if (sp.isExceptionCb) {
        frame.inExceptionCallbackFn = true;
        if (env.subprogReturnsVoid(subprog)) reject(env, "EINVAL", "exception cb cannot return void\n");
        const a = subprogArgs(env, subprog);
        if (a.argCnt !== 1 || a.args[0]!.type !== "ARG_ANYTHING") reject(env, "EINVAL", "exception cb only supports single integer argument\n");
      }
      initGlobalSubprogRegs(env, subprog, frame.regs);
    } else {
      // main program: its BTF must say `ctx` as the only argument, else it is only marked unreliable
      if (env.input.funcInfo.length > 0 && env.progBtf) {
        const err = prepareFuncArgs(env, 0);
        const a = subprogArgs(env, 0);
        if (err || a.argCnt !== 1 || a.args[0]?.type !== "ARG_PTR_TO_CTX") {
          markFuncInfoUnreliable(env, 0);
          env.subprogs[0]!.argCnt = 1;
          env.subprogs[0]!.stackArgCnt = 0;
        }
      }
      const r1 = frame.regs[1]!;
      r1.type = "PTR_TO_CTX";
      r1.flags = 0;
      markRegKnownZero(r1);
    }
    // kernel: do_check_common — struct_ops programs start holding their __ref arguments
    if (subprog === 0 && env.input.progType === "BPF_PROG_TYPE_STRUCT_OPS") acquireStructOpsArgRefs(env);
    env.insnIdx = env.subprogs[subprog]!.start;
    doCheck(env);
  } finally {
    accountCurrentPath(env);
  }
  if (popLog) env.log.reset(0);
}

/** kernel: do_check_subprogs — verify each called global subprog, until no new one is called. */
function doCheckSubprogs(env: VerifierEnv): void {
  if (env.input.funcInfo.length === 0) return;
  for (const sp of env.subprogs) if (sp.isExceptionCb) sp.called = true;
  for (;;) {
    let newCnt = 0;
    for (let i = 1; i < env.subprogs.length; i++) {
      const sp = env.subprogs[i]!;
      if (!sp.isGlobal || !sp.called || sp.verified) continue;
      env.insnIdx = sp.start;
      doCheckCommon(env, i);
      if (env.log.level & BPF_LOG_LEVEL) env.verbose(`Func#${i} ('${sp.name}') is safe for any args that match its prototype\n`);
      sp.verified = true;
      newCnt++;
    }
    if (!newCnt) return;
  }
}

/** Runs the Linux 7.2 verifier's checks on one program. */
export function verify(input: VerifierInput, opts: VerifyOptions = {}): VerifyResult {
  const t0 = process.hrtime.bigint();
  const logLevel = opts.logLevel ?? 0;
  const log = new VerifierLog(logLevel, opts.logSize ?? 16 << 20);
  let env: VerifierEnv | null = null;
  let verdict: VerifyResult["verdict"] = "success";
  let errno: Errno | undefined;
  let unsupported: string | undefined;
  // verbose_linfo before the env exists (pre-pass errors) shares prev_linfo with the walk.
  const linfoState = { prev: -1 };
  try {
    const pre = runPrePasses(input, log, {
      ...opts.prePass,
      printLinfo: (idx, prefix) => {
        const fake = { log, input, prevLinfoIdx: linfoState.prev, verbose: (s: string) => log.write(s) };
        verboseLinfo(fake as unknown as VerifierEnv, idx, prefix);
        linfoState.prev = fake.prevLinfoIdx;
      },
    });
    if (!pre.ok) {
      verdict = "failure";
      errno = pre.errno as Errno;
    } else {
      const subprogs: SubprogInfo[] = pre.env.subprogs.slice(0, pre.env.subprogCnt).map((s) => ({
        ...s, name: "", isGlobal: false, stackDepth: 0, insnsTotal: 0, argCnt: 0, stackArgCnt: 0, called: false, verified: false,
      }));
      env = new VerifierEnv(input, log, pre.env, subprogs);
      env.stackLiveness = pre.liveness;
      env.prevLinfoIdx = linfoState.prev;
      const e = env;
      if (opts.insnText) {
        const text = opts.insnText;
        env.insnText = (i) => text(e.insns, i);
      }
      opts.setup?.(env);
      // kernel: bpf_check — do_check_main, do_check_subprogs, then (on success) the stack depth
      doCheckCommon(env, 0);
      doCheckSubprogs(env);
      removeFastcallSpillsFills(env);
      checkMaxStackDepth(env);
      fixupStackDepths(env, (i) => env!.loopInlineFit(i));
      // kernel: bpf_fixup_call_args (its stack-arg slot check; the rest is JIT work)
      checkStackArgSlotUse(env);
      // kernel: bpf_convert_ctx_accesses — a struct_ops epilogue's ctx slot
      applyStructOpsEpilogue(env);
    }
  } catch (err) {
    if (err instanceof Reject) {
      verdict = "failure";
      errno = err.errno;
    } else if (err instanceof NotModelled) {
      verdict = "unsupported";
      unsupported = err.feature;
    } else {
      throw err;
    }
  }
  const durationUs = Number((process.hrtime.bigint() - t0) / 1000n);
  const shown = env ? (verdict === "success" ? liveSubprogs(env) : env.subprogs) : [];
  const stackDepths = env ? shown.map((s) => s.stackDepth) : [0];
  if (env && verdict !== "unsupported") printVerificationStats(env, log, durationUs, shown);
  else if (!env && verdict === "failure") printBareStats(log, durationUs);
  const final = log.finalize();
  return {
    verdict,
    ...(errno ? { errno, errnoNumber: ERRNO_NUMBER[errno] } : {}),
    ...(unsupported ? { unsupported } : {}),
    log: final.text,
    logTrueSize: final.trueSize,
    insnsProcessed: env?.insnProcessed ?? 0,
    totalStates: env?.totalStates ?? 0,
    peakStates: env?.peakStates ?? 0,
    maxStatesPerInsn: env?.maxStatesPerInsn ?? 0,
    stackDepths,
    durationUs,
  };
}

/**
 * The subprogs left after a successful load: bpf_opt_remove_dead_code drops
 * every never-visited insn, and with them the subprogs that were never
 * reached (adjust_subprog_starts_after_remove), before the stats print.
 */
function liveSubprogs(env: VerifierEnv): SubprogInfo[] {
  return env.subprogs.filter((sp, i) => {
    const end = env.subprogs[i + 1]?.start ?? env.insns.length;
    for (let k = sp.start; k < end; k++) if (env.insnAux[k]!.seen) return true;
    return false;
  });
}

/** kernel: print_verification_stats */
function printVerificationStats(env: VerifierEnv, log: VerifierLog, durationUs: number, subs: SubprogInfo[]): void {
  if (log.level & BPF_LOG_STATS) {
    log.write(`verification time ${durationUs} usec\n`);
    log.write(`stack depth ${subs.map((s) => s.stackDepth).join("+")} max ${env.maxStackDepth}\n`);
    let s = `insns processed ${subs[0]?.insnsTotal ?? env.insnProcessed}`;
    for (let i = 1; i < subs.length; i++) if (subs[i]!.isGlobal) s += `+${subs[i]!.insnsTotal}`;
    log.write(s + "\n");
  }
  if (log.level) {
    log.write(`processed ${env.insnProcessed} insns (limit 1000000) max_states_per_insn ${env.maxStatesPerInsn} total_states ${env.totalStates} peak_states ${env.peakStates} mark_read 0\n`);
  }
}

/** Stats when a pre-pass rejected the program: nothing was walked. */
function printBareStats(log: VerifierLog, durationUs: number): void {
  if (log.level & BPF_LOG_STATS) {
    log.write(`verification time ${durationUs} usec\n`);
    log.write("stack depth 0 max 0\n");
    log.write("insns processed 0\n");
  }
  if (log.level) log.write("processed 0 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n");
}

export { BPF_LOG_LEVEL };
