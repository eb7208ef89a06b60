// The CFG walk that rejects unreachable code and bad jumps and marks where
// the main walk may prune, checkpoint and record jump history.
// kernel: kernel/bpf/cfg.c (bpf_check_cfg, visit_insn, push_insn,
// visit_func_call_insn, visit_gotox_insn, visit_abnormal_return_insn) and
// bpf_insn_successors (liveness.c)
import {
  BPF_ABS, BPF_CALL, BPF_EXIT, BPF_FUNC_tail_call, BPF_IND, BPF_JA, BPF_JMP, BPF_JMP32, BPF_LD, BPF_PSEUDO_CALL,
  BPF_X, bpfClass, bpfMode, bpfOp, bpfSrc, isHelperCall, isLdImm64, isMayGoto, isPseudoFunc,
  isPseudoKfuncCall, jmpOffset,
} from "./opcodes.js";
import { findContainingSubprog } from "./subprogs.js";
import type { CfgEnv, CfgReject } from "./types.js";

/**
 * kernel: bpf_insn_successors — the insns that may run right after `idx`
 * (an explicit jt wins: gotox tables and abnormal returns).
 */
export function insnSuccessors(env: CfgEnv, idx: number): readonly number[] {
  const jt = env.aux[idx]!.jt;
  if (jt) return jt;
  const insn = env.insns[idx]!;
  const cls = bpfClass(insn.code);
  const out: number[] = [];
  let canJump = false;
  let canFall = true;
  if (cls === BPF_JMP || cls === BPF_JMP32) {
    const op = bpfOp(insn.code);
    if (op === BPF_EXIT) canFall = false;
    else if (op === BPF_JA) {
      canJump = true;
      canFall = false;
    } else if (op !== BPF_CALL && op !== 0xf0) canJump = true;
  }
  if (canFall) out.push(idx + (isLdImm64(insn) ? 2 : 1));
  if (canJump) out.push(idx + jmpOffset(insn) + 1);
  return out;
}

const DISCOVERED = 0x10;
const EXPLORED = 0x20;
const FALLTHROUGH = 1;
const BRANCH = 2;
const DONE = 0;
const KEEP = 1;

type Visit = typeof DONE | typeof KEEP | CfgReject;

interface Walk {
  env: CfgEnv;
  state: Int32Array;
  stack: number[];
}

function markPrune(env: CfgEnv, i: number): void {
  env.aux[i]!.prunePoint = true;
}
function markJmp(env: CfgEnv, i: number): void {
  env.aux[i]!.jmpPoint = true;
}
function markTarget(env: CfgEnv, i: number): void {
  env.aux[i]!.jumpTarget = true;
}

const bug = (what: string): CfgReject => ({ errno: "EFAULT", message: `verifier bug: ${what}\n` });

// kernel: push_insn — follow edge e from t to w.
function pushInsn(w_: Walk, t: number, w: number, e: number): Visit {
  const { env, state } = w_;
  if (e === FALLTHROUGH && state[t]! >= (DISCOVERED | FALLTHROUGH)) return DONE;
  if (e === BRANCH && state[t]! >= (DISCOVERED | BRANCH)) return DONE;
  if (w < 0 || w >= env.insns.length) {
    return { errno: "EINVAL", message: `jump out of range from insn ${t} to ${w}\n`, linfoBefore: [t] };
  }
  if (e === BRANCH) {
    markPrune(env, w);
    markJmp(env, w);
    markTarget(env, w);
  }
  if (state[w] === 0) {
    state[t] = DISCOVERED | e;
    state[w] = DISCOVERED;
    if (w_.stack.length >= env.insns.length) return { errno: "E2BIG", message: "" };
    w_.stack.push(w);
    return KEEP;
  }
  if ((state[w]! & 0xf0) === DISCOVERED) {
    if (env.opts.bpfCapable ?? true) return DONE;
    return { errno: "EINVAL", message: `back-edge from insn ${t} to ${w}\n`, linfoBefore: [t, w] };
  }
  if (state[w] === EXPLORED) {
    state[t] = DISCOVERED | e;
    return DONE;
  }
  return bug("insn state internal bug");
}

// kernel: merge_callee_effects — relies on the callee being fully explored
// first (DFS order, no recursion).
function mergeCalleeEffects(env: CfgEnv, t: number, w: number): void {
  const caller = env.subprogs[findContainingSubprog(env, t)];
  const callee = env.subprogs[findContainingSubprog(env, w)];
  if (!caller || !callee) return;
  caller.changesPktData ||= callee.changesPktData;
  caller.mightSleep ||= callee.mightSleep;
  caller.mightThrow ||= callee.mightThrow;
}

// kernel: visit_func_call_insn
function visitFuncCall(w_: Walk, t: number, visitCallee: boolean): Visit {
  const { env } = w_;
  const insn = env.insns[t]!;
  const sz = isLdImm64(insn) ? 2 : 1;
  const r = pushInsn(w_, t, t + sz, FALLTHROUGH);
  if (r !== DONE) return r;
  // The return lands here: prune there and record non-linear history.
  markPrune(env, t + sz);
  markJmp(env, t + sz);
  if (!visitCallee) return DONE;
  const w = t + insn.imm + 1;
  markPrune(env, t);
  mergeCalleeEffects(env, t, w);
  return pushInsn(w_, t, w, BRANCH);
}

// kernel: create_jt + jt_from_subprog — all INSN_ARRAY tables whose first
// entry falls inside t's subprog, merged, sorted, deduplicated.
function createJt(env: CfgEnv, t: number): number[] | CfgReject {
  const sp = findContainingSubprog(env, t);
  const start = env.subprogs[sp]!.start;
  const end = env.subprogs[sp + 1]!.start;
  let items: number[] | undefined;
  for (const arr of env.insnArrays) {
    const uniq = [...new Set(arr.map((x) => x >>> 0))].sort((a, b) => a - b);
    if (uniq.length === 0) return { errno: "EINVAL", message: "" };
    if (uniq[0]! >= start && uniq[0]! < end) items = (items ?? []).concat(uniq);
  }
  if (!items) return { errno: "EINVAL", message: `no jump tables found for subprog starting at ${start}\n` };
  const jt = [...new Set(items)].sort((a, b) => a - b);
  for (const x of jt) {
    if (x < start || x >= end) {
      return { errno: "EINVAL", message: `jump table for insn ${t} points outside of the subprog [${start},${end}]\n` };
    }
  }
  return jt;
}

// kernel: visit_gotox_insn — an N-way branch.
function visitGotox(w_: Walk, t: number): Visit {
  const { env, state } = w_;
  let jt = env.aux[t]!.jt;
  if (!jt) {
    const r = createJt(env, t);
    if (!Array.isArray(r)) return r;
    jt = r;
    env.aux[t]!.jt = jt;
  }
  markPrune(env, t);
  let keep = false;
  for (const w of jt) {
    if (w < 0 || w >= env.insns.length) {
      return { errno: "EINVAL", message: `indirect jump out of range from insn ${t} to ${w}\n` };
    }
    markJmp(env, w);
    markTarget(env, w);
    if (state[w]) continue;
    if (w_.stack.length >= env.insns.length) return { errno: "E2BIG", message: "" };
    w_.stack.push(w);
    state[w] |= DISCOVERED;
    keep = true;
  }
  return keep ? KEEP : DONE;
}

// kernel: visit_abnormal_return_insn — tail calls and ld_abs/ind may leave
// the subprog; model that as an edge to its exit.
function visitAbnormalReturn(env: CfgEnv, t: number): void {
  if (env.aux[t]!.jt) return;
  const sp = env.subprogs[findContainingSubprog(env, t)]!;
  env.aux[t]!.jt = [t + 1, sp.exitIdx];
}

function markSubprog(env: CfgEnv, t: number, f: (sp: CfgEnv["subprogs"][number]) => void): void {
  const sp = env.subprogs[findContainingSubprog(env, t)];
  if (sp) f(sp);
}

// kernel: visit_insn
function visitInsn(w_: Walk, t: number): Visit {
  const { env } = w_;
  const insn = env.insns[t]!;
  if (isPseudoFunc(insn)) return visitFuncCall(w_, t, true);
  const cls = bpfClass(insn.code);
  if (cls !== BPF_JMP && cls !== BPF_JMP32) {
    if (cls === BPF_LD && (bpfMode(insn.code) === BPF_ABS || bpfMode(insn.code) === BPF_IND)) visitAbnormalReturn(env, t);
    return pushInsn(w_, t, t + (isLdImm64(insn) ? 2 : 1), FALLTHROUGH);
  }
  switch (bpfOp(insn.code)) {
    case BPF_EXIT:
      return DONE;
    case BPF_CALL: {
      const o = env.opts;
      // A new async state would otherwise be pushed before is_state_visited().
      if (o.isAsyncCallbackCalling?.(insn)) markPrune(env, t);
      // Callback-calling helpers loop back to the call: checkpoint there so
      // the iteration can converge.
      if (o.isSyncCallbackCalling?.(insn)) {
        env.aux[t]!.callsCallback = true;
        env.aux[t]!.forceCheckpoint = true;
        markPrune(env, t);
        markJmp(env, t);
      }
      if (isHelperCall(insn)) {
        const fp = o.helper?.(insn.imm);
        if (fp?.mightSleep) markSubprog(env, t, (sp) => (sp.mightSleep = true));
        if (fp?.changesPktData) markSubprog(env, t, (sp) => (sp.changesPktData = true));
        if (insn.imm === BPF_FUNC_tail_call) visitAbnormalReturn(env, t);
      } else if (isPseudoKfuncCall(insn)) {
        const k = o.kfunc?.(insn.imm, insn.off);
        if (k?.isIterNext) {
          // Open-coded iterator loops converge only if a checkpoint is always
          // taken at the next() call.
          markPrune(env, t);
          env.aux[t]!.forceCheckpoint = true;
        }
        if (k?.sleepable) markSubprog(env, t, (sp) => (sp.mightSleep = true));
        if (k?.pktChanging) markSubprog(env, t, (sp) => (sp.changesPktData = true));
        if (k?.isThrow) markSubprog(env, t, (sp) => (sp.mightThrow = true));
      }
      return visitFuncCall(w_, t, insn.src === BPF_PSEUDO_CALL);
    }
    case BPF_JA: {
      if (bpfSrc(insn.code) === BPF_X) return visitGotox(w_, t);
      const target = t + jmpOffset(insn) + 1;
      const r = pushInsn(w_, t, target, FALLTHROUGH);
      if (r !== DONE) return r;
      markPrune(env, target);
      markJmp(env, target);
      markTarget(env, target);
      return DONE;
    }
    default: {
      markPrune(env, t);
      if (isMayGoto(insn)) env.aux[t]!.forceCheckpoint = true;
      const r = pushInsn(w_, t, t + 1, FALLTHROUGH);
      if (r !== DONE) return r;
      return pushInsn(w_, t, t + insn.off + 1, BRANCH);
    }
  }
}

/** kernel: bpf_check_cfg — DFS from insn 0 (then the exception callback). */
export function checkCfg(env: CfgEnv): CfgReject | undefined {
  const n = env.insns.length;
  const w_: Walk = { env, state: new Int32Array(n), stack: [0] };
  const { state, stack } = w_;
  state[0] = DISCOVERED;
  const exBeg = env.exceptionCallbackSubprog ? env.subprogs[env.exceptionCallbackSubprog]!.start : 0;
  for (;;) {
    while (stack.length > 0) {
      const t = stack[stack.length - 1]!;
      const r = visitInsn(w_, t);
      if (r === DONE) {
        state[t] = EXPLORED;
        stack.pop();
      } else if (r !== KEEP) {
        return r;
      }
    }
    if (exBeg && state[exBeg] !== EXPLORED) {
      state[exBeg] = DISCOVERED;
      stack.push(exBeg);
      continue;
    }
    break;
  }
  for (let i = 0; i < n; i++) {
    if (state[i] !== EXPLORED) return { errno: "EINVAL", message: `unreachable insn ${i}\n` };
    if (isLdImm64(env.insns[i]!)) {
      if (state[i + 1] !== 0) return { errno: "EINVAL", message: `jump into the middle of ldimm64 insn ${i}\n` };
      i++;
    }
  }
  return undefined;
}

/**
 * kernel: bpf_compute_postorder — per subprog, a DFS postorder of the insns
 * reachable from its start; subprogs[i].postorderStart delimits them.
 */
export function computePostorder(env: CfgEnv): void {
  const n = env.insns.length;
  const state = new Uint8Array(n);
  const post: number[] = [];
  let i = 0;
  for (; i < env.subprogCnt; i++) {
    env.subprogs[i]!.postorderStart = post.length;
    const stack = [env.subprogs[i]!.start];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      state[top] |= DISCOVERED;
      if (state[top]! & EXPLORED) {
        post.push(top);
        stack.pop();
        continue;
      }
      for (const s of insnSuccessors(env, top)) {
        if (!state[s]) {
          stack.push(s);
          state[s] |= DISCOVERED;
        }
      }
      state[top] |= EXPLORED;
    }
  }
  env.subprogs[i]!.postorderStart = post.length;
  env.postorder = post;
}
