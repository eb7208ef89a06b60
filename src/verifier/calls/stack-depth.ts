// The stack a program needs at run time: the deepest chain of BPF-to-BPF
// calls, each frame rounded up as the x86-64 JIT allocates it, with the
// 7.2 private-stack rule (a subprog of a tracing-like program whose frame is
// at least 64 bytes gets its own per-CPU stack and stops counting towards
// the chain). Runs after a successful walk.
// kernel: verifier.c (check_max_stack_depth, check_max_stack_depth_subprog,
// round_up_stack_depth, bpf_enable_priv_stack), bpf_verifier.h
// (bpf_prog_check_recur), fixups.c (bpf_remove_fastcall_spills_fills)
import type { VerifierEnv } from "../env.js";
import { structOpsOf } from "../structops/ctx.js";
import { MAX_BPF_STACK, MAX_CALL_FRAMES } from "../state/types.js";
import { reject } from "../reject.js";
import { verifierBug } from "../bug.js";

const BPF_PRIV_STACK_MIN_SIZE = 64;

type PrivStackMode = "PRIV_STACK_UNKNOWN" | "NO_PRIV_STACK" | "PRIV_STACK_ADAPTIVE";

const BPF_JMP = 0x05;
const BPF_CALL = 0x80;
const BPF_LD_IMM64 = 0x18;
const BPF_PSEUDO_CALL = 1;
const BPF_PSEUDO_KFUNC_CALL = 2;
const BPF_PSEUDO_FUNC = 4;

/** kernel: round_up_stack_depth with the JIT requested (x86-64 rounds frames to 16 bytes). */
export function roundUpStackDepth(depth: number): number {
  return Math.ceil(depth / 16) * 16;
}

/** kernel: bpf_enable_priv_stack (x86-64 JIT supports private stacks). */
function enablePrivStack(env: VerifierEnv): PrivStackMode {
  switch (env.input.progType) {
    case "BPF_PROG_TYPE_KPROBE": case "BPF_PROG_TYPE_TRACEPOINT": case "BPF_PROG_TYPE_PERF_EVENT": case "BPF_PROG_TYPE_RAW_TRACEPOINT":
      return "PRIV_STACK_ADAPTIVE";
    case "BPF_PROG_TYPE_TRACING":
      // kernel: bpf_prog_check_recur — every tracing attach type but iterators
      return env.input.expectedAttachType !== "BPF_TRACE_ITER" ? "PRIV_STACK_ADAPTIVE" : "NO_PRIV_STACK";
    case "BPF_PROG_TYPE_STRUCT_OPS":
      // only when its struct_ops' check_member requested one (bpf_prog_check_recur: jits_use_priv_stack is not set yet)
      return structOpsOf(env).privStack ? "PRIV_STACK_ADAPTIVE" : "NO_PRIV_STACK";
    default:
      // LSM and SYSCALL never recurse-check
      return "NO_PRIV_STACK";
  }
}

/** kernel: bpf_remove_fastcall_spills_fills — only the stack depth part. */
export function removeFastcallSpillsFills(env: VerifierEnv): void {
  let sub = 0;
  let modified = false;
  for (let i = 0; i < env.insns.length; i++) {
    if (env.insnAux[i]!.fastcallSpillsNum > 0) modified = true;
    const next = env.subprogs[sub + 1];
    if ((next ? next.start : env.insns.length) === i + 1) {
      const sp = env.subprogs[sub]!;
      if (modified && !sp.keepFastcallStack) sp.stackDepth = -sp.fastcallStackOff;
      sub++;
      modified = false;
      if (sub >= env.subprogs.length) break;
    }
  }
}

function isPseudoCall(code: number, src: number): boolean {
  return code === (BPF_JMP | BPF_CALL) && src === BPF_PSEUDO_CALL;
}

/** kernel: check_max_stack_depth_subprog — walks the call graph from `root` without recursion. */
function checkFromRoot(env: VerifierEnv, root: number, modes: PrivStackMode[], privSupported: boolean): void {
  const subs = env.subprogs;
  const insns = env.insns;
  const callerOf: number[] = new Array<number>(subs.length).fill(-1);
  const retInsn: number[] = new Array<number>(subs.length).fill(0);
  const frameOf: number[] = new Array<number>(subs.length).fill(0);
  const end = (idx: number) => subs[idx + 1]?.start ?? insns.length;
  let idx = root;
  let depth = 0;
  let frame = 0;
  let i = subs[idx]!.start;
  callerOf[idx] = -1;
  const chainHasCallback = (from: number): boolean => {
    for (let t = from; t >= 0; t = callerOf[t]!) if (subs[t]!.isCb) return true;
    return false;
  };
  if (!privSupported) modes[idx] = "NO_PRIV_STACK";
  // kernel: bpf_is_throw_kfunc (a vmlinux kfunc: off == 0)
  const throwId = env.kfuncTarget?.profile.specialKfuncId("KF_bpf_throw");

  // entering a function (kernel: process_func)
  const enter = (): void => {
    const sp = subs[idx]!;
    if (sp.hasLdAbs) {
      for (let t = idx; t >= 0; t = callerOf[t]!) {
        if (subs[t]!.isCb) reject(env, "EINVAL", "cannot use BPF_LD_[ABS|IND] within callback\n");
      }
    }
    if (idx && sp.hasTailCall && depth >= 256) {
      reject(env, "EACCES", `tail_calls are not allowed when call stack of previous frames is ${depth} bytes. Too large\n`);
    }
    const d = roundUpStackDepth(sp.stackDepth);
    if (sp.stackArgCnt) modes[idx] = "NO_PRIV_STACK";
    else if (privSupported && modes[idx] === "PRIV_STACK_UNKNOWN" && d >= BPF_PRIV_STACK_MIN_SIZE) modes[idx] = "PRIV_STACK_ADAPTIVE";
    if (modes[idx] === "PRIV_STACK_ADAPTIVE") {
      if (d > env.maxStackDepth) env.maxStackDepth = d;
      if (d > MAX_BPF_STACK) reject(env, "EACCES", `stack size of subprog ${idx} is ${d}. Too large\n`);
    } else {
      depth += d;
      if (depth > env.maxStackDepth) env.maxStackDepth = depth;
      if (depth > MAX_BPF_STACK) {
        let total = 0;
        for (let t = idx; t >= 0; t = callerOf[t]!) total++;
        reject(env, "EACCES", `combined stack size of ${total} calls is ${depth}. Too large\n`);
      }
    }
  };

  enter();
  for (;;) {
    // kernel: continue_func — scan the rest of the current function for calls
    let called = false;
    for (; i < end(idx); i++) {
      const insn = insns[i]!;
      if (insn.code === (BPF_JMP | BPF_CALL) && insn.src === BPF_PSEUDO_KFUNC_CALL && insn.off === 0) {
        // an exception cannot unwind through the helper or kfunc frame that called a callback
        if (insn.imm === throwId && chainHasCallback(idx)) {
          reject(env, "EINVAL", `bpf_throw kfunc (insn ${i}) cannot be called from callback subprog ${idx}\n`);
        }
        continue;
      }
      const pseudoFunc = insn.code === BPF_LD_IMM64 && insn.src === BPF_PSEUDO_FUNC;
      if (!isPseudoCall(insn.code, insn.src) && !pseudoFunc) continue;
      const next = i + insn.imm + 1;
      const sidx = env.findSubprog(next);
      if (sidx < 0) verifierBug(env, `callee not found at insn ${next}`);
      if (subs[sidx]!.isAsyncCb) {
        if (subs[sidx]!.hasTailCall) verifierBug(env, "subprog has tail_call and async cb");
        if (!isPseudoCall(insn.code, insn.src)) continue;
        if (subs[sidx]!.isExceptionCb) reject(env, "EINVAL", `insn ${i} cannot call exception cb directly`);
      }
      frameOf[idx] = frame;
      retInsn[idx] = i + 1;
      callerOf[sidx] = idx;
      i = next;
      idx = sidx;
      if (!privSupported) modes[idx] = "NO_PRIV_STACK";
      frame = subs[idx]!.isGlobal ? 0 : frame + 1;
      if (frame >= MAX_CALL_FRAMES) reject(env, "E2BIG", `the call stack of ${frame} frames is too deep !\n`);
      enter();
      called = true;
      break;
    }
    if (called) continue;
    // tail_call_reachable marking only informs the JIT; its errors need stack args / exception cbs
    if (frame === 0 && callerOf[idx]! < 0) return;
    if (modes[idx] !== "PRIV_STACK_ADAPTIVE") depth -= roundUpStackDepth(subs[idx]!.stackDepth);
    idx = callerOf[idx]!;
    frame = frameOf[idx]!;
    i = retInsn[idx]!;
  }
}

/** kernel: check_max_stack_depth — sets env.maxStackDepth or rejects. */
export function checkMaxStackDepth(env: VerifierEnv): void {
  let mode: PrivStackMode = "PRIV_STACK_UNKNOWN";
  if (env.subprogs.some((s) => s.hasTailCall)) mode = "NO_PRIV_STACK";
  if (mode === "PRIV_STACK_UNKNOWN") mode = enablePrivStack(env);
  const modes: PrivStackMode[] = env.subprogs.map(() => "PRIV_STACK_UNKNOWN");
  // async callbacks first, so a subprog shared with the main tree already runs on the normal stack
  for (let i = env.subprogs.length - 1; i >= 0; i--) {
    if (i === 0 || env.subprogs[i]!.isAsyncCb) {
      checkFromRoot(env, i, modes, i === 0 && mode === "PRIV_STACK_ADAPTIVE");
    }
  }
}

const BPF_JCOND = 0xe0;
const BPF_MAY_GOTO = 0;

/**
 * What the post-verification rewrites add to each subprog's stack before
 * the stats print it (the max was fixed by check_max_stack_depth before):
 * bpf_loop inlining spills R6-R8 (24 bytes plus the padding to 8), and each
 * subprog with a live may_goto gets a 16-byte timed may_goto counter
 * (x86-64 supports timed may_goto).
 * kernel: fixups.c (bpf_optimize_bpf_loop, bpf_opt_hard_wire_dead_code_branches,
 * bpf_opt_remove_nops, bpf_do_misc_fixups' may_goto case)
 */
export function fixupStackDepths(env: VerifierEnv, loopInlined: (insnIdx: number) => boolean): void {
  const subs = env.subprogs;
  for (let s = 0; s < subs.length; s++) {
    const sp = subs[s]!;
    const end = subs[s + 1]?.start ?? env.insns.length;
    const depth = sp.stackDepth;
    let loopExtra = 0;
    for (let i = sp.start; i < end; i++) {
      const insn = env.insns[i]!;
      // kernel: is_bpf_loop_call && fit_for_inline (BPF_FUNC_loop = 181)
      if (insn.code === (BPF_JMP | BPF_CALL) && insn.src === 0 && insn.imm === 181 && loopInlined(i)) {
        loopExtra = 3 * 8 + (Math.ceil(depth / 8) * 8 - depth);
      }
    }
    sp.stackDepth += loopExtra;
    let mayGoto = false;
    for (let i = sp.start; i < end; i++) {
      const insn = env.insns[i]!;
      if (insn.code !== (BPF_JMP | BPF_JCOND) || insn.src !== BPF_MAY_GOTO || !env.insnAux[i]!.seen) continue;
      // a `may_goto +0` is removed as a nop; one with an unseen side is hard-wired into a ja
      if (insn.off === 0 || !env.insnAux[i + 1]?.seen || !env.insnAux[i + 1 + insn.off]?.seen) continue;
      mayGoto = true;
    }
    if (mayGoto) sp.stackDepth += 16;
  }
}
