// Helpers that call back into the program. A sync callback (bpf_loop,
// bpf_for_each_map_elem, bpf_find_vma, bpf_user_ringbuf_drain) is verified
// as a call from the helper's callsite that returns to the callsite itself:
// the helper call is then re-checked, which queues the next iteration, until
// an iteration is covered by an earlier one (the calls_callback rule of
// isStateVisited). An async callback (bpf_timer_set_callback) starts on a
// fresh stack as its own path.
// kernel: verifier.c (push_callback_call, push_async_cb, setup_func_entry,
// map_set_for_each_callback_args, set_*_callback_state,
// update_loop_inline_state, loop_flag_is_zero, prepare_func_exit)
import type { VerifierEnv } from "../env.js";
import type { RawInsn } from "../../isa/raw.js";
import type { FuncState, RegState, RetvalRange, VerifierState } from "../state/types.js";
import type { MapInfo } from "../input.js";
import { MAX_CALL_FRAMES } from "../state/types.js";
import { assignReg, markRegKnownZero, markRegNotInit } from "../state/reg.js";
import { curFrame, newFuncState } from "../state/func.js";
import { registerIsNull } from "../state/reg-query.js";
import { regSmax, regSmin, regS32Max, regS32Min, regUmax } from "../state/scalar-bridge.js";
import { pushStack } from "../explore/branches.js";
import { btfCheckSubprogCall, VMLINUX_BTF_REF } from "../calls/global.js";
import { verboseInvalidScalar } from "../ops/exit.js";
import { notModelled } from "../not-modelled.js";
import { reject, Reject } from "../reject.js";
import { verifierBug } from "../bug.js";
import { BPF_LOG_LEVEL2 } from "../log/vlog.js";
import { findPrevEntry, widenImpreciseScalars } from "./loop-entry.js";

/** Helper ids of the callback-calling helpers (uapi enum bpf_func_id). */
export const BPF_FUNC_for_each_map_elem = 164;
export const BPF_FUNC_timer_set_callback = 170;
export const BPF_FUNC_find_vma = 180;
export const BPF_FUNC_loop = 181;
export const BPF_FUNC_user_ringbuf_drain = 209;

/** kernel: is_callback_calling_function (helpers) */
export function isCallbackCallingHelper(funcId: number): boolean {
  return funcId === BPF_FUNC_for_each_map_elem || funcId === BPF_FUNC_timer_set_callback || funcId === BPF_FUNC_find_vma ||
    funcId === BPF_FUNC_loop || funcId === BPF_FUNC_user_ringbuf_drain;
}

/** Fills the callee's argument registers from the caller's (kernel: set_callee_state_fn). */
export type SetCalleeState = (env: VerifierEnv, caller: FuncState, callee: FuncState) => void;

const range = (minval: number, maxval: number): RetvalRange => ({ minval, maxval, return32bit: false });

function markMapReg(reg: RegState, type: "CONST_PTR_TO_MAP" | "PTR_TO_MAP_KEY" | "PTR_TO_MAP_VALUE", from: RegState): void {
  reg.type = type;
  reg.flags = 0;
  markRegKnownZero(reg);
  reg.map = from.map;
  reg.mapUid = from.mapUid;
}

/** Map types whose ops have map_set_for_each_callback_args (arraymap.c, hashtab.c). */
const FOR_EACH_MAPS = new Set([
  "BPF_MAP_TYPE_ARRAY", "BPF_MAP_TYPE_PERCPU_ARRAY", "BPF_MAP_TYPE_HASH", "BPF_MAP_TYPE_PERCPU_HASH",
  "BPF_MAP_TYPE_LRU_HASH", "BPF_MAP_TYPE_LRU_PERCPU_HASH", "BPF_MAP_TYPE_RHASH",
]);

/** kernel: set_map_elem_callback_state + map_set_for_each_callback_args */
const setMapElemCallbackState: SetCalleeState = (env, caller, callee) => {
  const map = caller.regs[1]!.map;
  if (!map || !FOR_EACH_MAPS.has(map.type)) {
    env.verbose("callback function not allowed for map\n");
    throw new Reject("ENOTSUPP");
  }
  assignReg(callee.regs[1]!, caller.regs[1]!);
  markMapReg(callee.regs[2]!, "PTR_TO_MAP_KEY", caller.regs[1]!);
  markMapReg(callee.regs[3]!, "PTR_TO_MAP_VALUE", caller.regs[1]!);
  assignReg(callee.regs[4]!, caller.regs[3]!);
  markRegNotInit(callee.regs[5]!, env.bpfCapable);
  callee.inCallbackFn = true;
  callee.callbackRetRange = range(0, 1);
};

/** kernel: set_loop_callback_state */
const setLoopCallbackState: SetCalleeState = (env, caller, callee) => {
  callee.regs[1]!.type = "SCALAR_VALUE";
  assignReg(callee.regs[2]!, caller.regs[3]!);
  for (const r of [3, 4, 5]) markRegNotInit(callee.regs[r]!, env.bpfCapable);
  callee.inCallbackFn = true;
  callee.callbackRetRange = range(0, 1);
};

/**
 * The async callbacks of a map field (timer, workqueue, task_work) get
 * (map, key, value) of the map the caller register `from` points into.
 */
function setMapFieldCallbackState(env: VerifierEnv, from: RegState, callee: FuncState, ret: RetvalRange): void {
  markMapReg(callee.regs[1]!, "CONST_PTR_TO_MAP", from);
  markMapReg(callee.regs[2]!, "PTR_TO_MAP_KEY", from);
  markMapReg(callee.regs[3]!, "PTR_TO_MAP_VALUE", from);
  markRegNotInit(callee.regs[4]!, env.bpfCapable);
  markRegNotInit(callee.regs[5]!, env.bpfCapable);
  callee.inAsyncCallbackFn = true;
  callee.callbackRetRange = ret;
}

/** kernel: set_timer_callback_state (bpf_timer_set_callback, bpf_wq_set_callback: R1 is the field's map value) */
export const setTimerCallbackState: SetCalleeState = (env, caller, callee) => {
  setMapFieldCallbackState(env, caller.regs[1]!, callee, range(0, 0));
};

/** kernel: set_task_work_schedule_callback_state (R3 is the `__map` argument) */
export const setTaskWorkScheduleCallbackState: SetCalleeState = (env, caller, callee) => {
  setMapFieldCallbackState(env, caller.regs[3]!, callee, range(-0x80000000, 0x7fffffff));
};

/** kernel: set_find_vma_callback_state (R2: btf_tracing_ids[BTF_TRACING_TYPE_VMA] in vmlinux) */
const setFindVmaCallbackState: SetCalleeState = (env, caller, callee) => {
  const vmlinux = env.vmlinuxBtf();
  const vma = vmlinux?.findByName("vm_area_struct").find((id) => vmlinux.type(id).kind === "STRUCT");
  if (!vmlinux || vma === undefined) return notModelled("bpf_find_vma callback without struct vm_area_struct in the target BTF");
  assignReg(callee.regs[1]!, caller.regs[1]!);
  const r2 = callee.regs[2]!;
  r2.type = "PTR_TO_BTF_ID";
  r2.flags = 0;
  markRegKnownZero(r2);
  r2.btf = VMLINUX_BTF_REF;
  r2.btfId = vma;
  assignReg(callee.regs[3]!, caller.regs[4]!);
  markRegNotInit(callee.regs[4]!, env.bpfCapable);
  markRegNotInit(callee.regs[5]!, env.bpfCapable);
  callee.inCallbackFn = true;
  callee.callbackRetRange = range(0, 1);
};

/** kernel: set_user_ringbuf_callback_state (R1: mark_dynptr_cb_reg, a local dynptr of its own id) */
const setUserRingbufCallbackState: SetCalleeState = (env, caller, callee) => {
  markRegNotInit(callee.regs[0]!, env.bpfCapable);
  const r1 = callee.regs[1]!;
  markRegKnownZero(r1);
  r1.type = "CONST_PTR_TO_DYNPTR";
  r1.flags = 0;
  r1.id = ++env.idGen;
  r1.parentId = 0;
  r1.dynptrType = "BPF_DYNPTR_TYPE_LOCAL";
  r1.dynptrFirstSlot = true;
  assignReg(callee.regs[2]!, caller.regs[3]!);
  for (const r of [3, 4, 5]) markRegNotInit(callee.regs[r]!, env.bpfCapable);
  callee.inCallbackFn = true;
  callee.callbackRetRange = range(0, 1);
};

/** uapi enum bpf_map_type value, printed by "cannot pass map_type %d". */
const BPF_MAP_TYPE_USER_RINGBUF_NR = 31;

/**
 * kernel: check_map_func_compatibility, the user ringbuf rows: only
 * bpf_user_ringbuf_drain takes one, and it takes nothing else. True when judged here.
 */
export function userRingbufMapCompat(env: VerifierEnv, map: MapInfo, funcId: number, funcName: string): boolean {
  const isUserRingbuf = map.type === "BPF_MAP_TYPE_USER_RINGBUF";
  if (!isUserRingbuf && funcId !== BPF_FUNC_user_ringbuf_drain) return false;
  if (isUserRingbuf && funcId === BPF_FUNC_user_ringbuf_drain) return true;
  if (!isUserRingbuf) return false; // the other map type's own row decides
  reject(env, "EINVAL", `cannot pass map_type ${BPF_MAP_TYPE_USER_RINGBUF_NR} into func ${funcName}#${funcId}\n`);
}

/** kernel: setup_func_entry — a new frame on top of `state` for `subprog`, called from `callsite`. */
function setupFuncEntry(env: VerifierEnv, subprog: number, callsite: number, set: SetCalleeState, state: VerifierState): void {
  if (state.curframe + 1 >= MAX_CALL_FRAMES) reject(env, "E2BIG", `the call stack of ${state.curframe + 2} frames is too deep\n`);
  const caller = state.frame[state.curframe]!;
  const callee = newFuncState(callsite, state.curframe + 1, subprog, env.bpfCapable);
  env.markStateScratched(); // as init_func_state does
  set(env, caller, callee);
  state.frame.push(callee);
  state.curframe++;
}

/** kernel: push_async_cb — a fresh single-frame state queued at the callback's first insn. */
function pushAsyncCb(env: VerifierEnv, subprog: number, insnIdx: number, sleepable: boolean): FuncState {
  const frame = newFuncState(-1, 0, subprog, env.bpfCapable);
  env.markStateScratched(); // as init_func_state does
  const start = env.subprogs[subprog]!.start;
  const st: VerifierState = {
    frame: [frame], parent: null, refs: [], branches: 1, insnIdx: start, curframe: 0,
    activeLocks: 0, activePreemptLocks: 0, activeIrqId: 0, activeLockId: 0, activeLockPtr: null, activeRcuLocks: 0,
    speculative: false, inSleepable: sleepable, firstInsnIdx: start, lastInsnIdx: -1,
    equalState: null, jmpHistory: [], dfsDepth: 0, callbackUnrollDepth: 0, mayGotoDepth: 0,
  };
  env.branchStack.push({ st, insnIdx: start, prevInsnIdx: insnIdx, logPos: env.log.pos });
  if (env.branchStack.length > 8192) {
    env.verbose(`The sequence of ${env.branchStack.length} jumps is too complex for async cb.\n`);
    throw new Reject("E2BIG");
  }
  return frame;
}

/**
 * How a callback-calling kfunc runs its callback (kernel: is_callback_calling_kfunc,
 * bpf_is_async_callback_calling_insn, is_async_cb_sleepable): the kfunc layer decides.
 */
export interface KfuncCallbackKind {
  async: boolean;
  sleepable: boolean;
}

/**
 * kernel: push_callback_call. Helpers are classified here; a kfunc caller
 * passes `kfunc` (it has already checked the kfunc calls back).
 */
export function pushCallbackCall(env: VerifierEnv, insn: RawInsn, insnIdx: number, subprog: number, set: SetCalleeState, kfunc?: KfuncCallbackKind): void {
  const state = env.curState;
  const caller = curFrame(state);
  if (btfCheckSubprogCall(env, subprog, caller.regs) === "EFAULT") throw new Reject("EFAULT");
  const sp = env.subprogs[subprog]!;
  sp.isCb = true;
  if (!kfunc && !isCallbackCallingHelper(insn.imm)) verifierBug(env, `helper #${insn.imm} not marked as callback-calling`);
  // bpf_timer callbacks are never sleepable; kfunc ones say.
  const async = kfunc ? kfunc.async : insn.imm === BPF_FUNC_timer_set_callback;
  if (async) {
    sp.isAsyncCb = true;
    const callee = pushAsyncCb(env, subprog, insnIdx, kfunc?.sleepable ?? false);
    callee.asyncEntryCnt = caller.asyncEntryCnt + 1;
    set(env, caller, callee);
    return;
  }
  const cb = pushStack(env, sp.start, insnIdx, false);
  setupFuncEntry(env, subprog, insnIdx, set, cb);
  cb.callbackUnrollDepth++;
  cb.frame[cb.curframe - 1]!.callbackDepth++;
  caller.callbackDepth = 0;
}

/** Per-callsite bpf_loop inlining facts (kernel: insn_aux->loop_inline_state); per env, never shared. */
interface LoopInlineState {
  initialized: boolean;
  fitForInline: boolean;
  callbackSubprogno: number;
}
const loopInlineByEnv = new WeakMap<VerifierEnv, Map<number, LoopInlineState>>();

/** kernel: loop_flag_is_zero */
function loopFlagIsZero(env: VerifierEnv): boolean {
  if (!registerIsNull(curFrame(env.curState).regs[4]!)) return false;
  env.markChainPrecision(4);
  return true;
}

/** kernel: update_loop_inline_state — only the precision marks it makes affect verification. */
function updateLoopInlineState(env: VerifierEnv, subprogno: number): void {
  let m = loopInlineByEnv.get(env);
  if (!m) {
    const mm = new Map<number, LoopInlineState>();
    loopInlineByEnv.set(env, (m = mm));
    // The stack-depth fix-ups after verification ask which bpf_loop calls get inlined.
    env.loopInlineFit = (i) => mm.get(i)?.fitForInline ?? false;
  }
  let s = m.get(env.insnIdx);
  if (!s) {
    m.set(env.insnIdx, (s = { initialized: true, fitForInline: loopFlagIsZero(env), callbackSubprogno: subprogno }));
    return;
  }
  if (!s.fitForInline) return;
  s.fitForInline = loopFlagIsZero(env) && s.callbackSubprogno === subprogno;
}

/** The callback part of check_helper_call's per-helper switch; false when funcId is not a callback helper. */
export function helperCallbackCase(env: VerifierEnv, funcId: number, subprogno: number): boolean {
  const insn = env.insns[env.insnIdx]!;
  const idx = env.insnIdx;
  switch (funcId) {
    case BPF_FUNC_for_each_map_elem:
      pushCallbackCall(env, insn, idx, subprogno, setMapElemCallbackState);
      return true;
    case BPF_FUNC_timer_set_callback:
      pushCallbackCall(env, insn, idx, subprogno, setTimerCallbackState);
      return true;
    case BPF_FUNC_find_vma:
      pushCallbackCall(env, insn, idx, subprogno, setFindVmaCallbackState);
      return true;
    case BPF_FUNC_user_ringbuf_drain:
      pushCallbackCall(env, insn, idx, subprogno, setUserRingbufCallbackState);
      return true;
    case BPF_FUNC_loop: {
      updateLoopInlineState(env, subprogno);
      // The iteration count decides when the walk stops queueing iterations: keep it precise.
      env.markChainPrecision(1);
      const frame = curFrame(env.curState);
      if (BigInt(frame.callbackDepth) < regUmax(frame.regs[1]!)) {
        pushCallbackCall(env, insn, idx, subprogno, setLoopCallbackState);
      } else {
        frame.callbackDepth = 0;
        if (env.log.level & BPF_LOG_LEVEL2) env.verbose(`frame${env.curState.curframe} bpf_loop iteration limit reached\n`);
      }
      return true;
    }
    default:
      return false;
  }
}

function retvalRangeWithin(r: RetvalRange, reg: RegState): boolean {
  if (r.return32bit) return BigInt(r.minval) <= regS32Min(reg) && regS32Max(reg) <= BigInt(r.maxval);
  return BigInt(r.minval) <= regSmin(reg) && regSmax(reg) <= BigInt(r.maxval);
}

/** The in_callback_fn part of prepare_func_exit: R0 must be a scalar in the callback's range. */
export function checkCallbackReturn(env: VerifierEnv, callee: FuncState): void {
  const r0 = callee.regs[0]!;
  if (r0.type !== "SCALAR_VALUE") reject(env, "EACCES", "R0 not a scalar value\n");
  env.markChainPrecision(0);
  if (!retvalRangeWithin(callee.callbackRetRange, r0)) {
    verboseInvalidScalar(env, r0, callee.callbackRetRange, "At callback return", "R0");
    reject(env, "EINVAL", "");
  }
  if (!env.insnAux[callee.callsite]!.callsCallback) {
    verifierBug(env, `in callback at ${env.insnIdx}, callsite ${callee.callsite} !calls_callback`);
  }
}

/** The end of prepare_func_exit after a callback: widen what changed since the previous iteration. */
export function widenAfterCallback(env: VerifierEnv): void {
  const state = env.curState;
  const prev = findPrevEntry(env, state, env.insnIdx);
  if (prev) widenImpreciseScalars(env, prev, state);
}
