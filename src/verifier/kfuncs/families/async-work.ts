// Deferred work kept in a map value: bpf_wq (bpf_wq_init/start/set_callback),
// bpf_task_work (bpf_task_work_schedule_signal/resume) and the kfunc side of
// bpf_timer. Their pointer must sit exactly on the map value's field; the
// `__map` argument that comes with it must be that same map (inner maps told
// apart by map_uid); the callback they register runs later, on its own, as a
// sleepable async callback of (map, key, value).
// kernel: check_kfunc_args (KF_ARG_PTR_TO_WORKQUEUE/TIMER/TASK_WORK arms and
//         the workqueue/task_work check of KF_ARG_PTR_TO_MAP), check_kfunc_call
//         (push_callback_call for is_bpf_wq_set_callback_kfunc and
//         is_task_work_add_kfunc), is_async_cb_sleepable
import type { RawInsn } from "../../../isa/raw.js";
import type { VerifierEnv } from "../../env.js";
import type { RegState } from "../../state/types.js";
import { reject, Reject } from "../../reject.js";
import { notModelled } from "../../not-modelled.js";
import { recordOf } from "../../maprec/index.js";
import { checkMapFieldPointer, processTimerFunc } from "../../control/timer.js";
import { pushCallbackCall, setTaskWorkScheduleCallbackState, setTimerCallbackState, type SetCalleeState } from "../../control/callbacks.js";
import type { KfuncCallMeta } from "../meta.js";
import { isSpecial } from "../meta.js";

export type MapFieldArgKind = "KF_ARG_PTR_TO_WORKQUEUE" | "KF_ARG_PTR_TO_TIMER" | "KF_ARG_PTR_TO_TASK_WORK";

/** kernel: check_kfunc_args, the KF_ARG_PTR_TO_WORKQUEUE / _TIMER / _TASK_WORK arms */
export function checkMapFieldArg(env: VerifierEnv, meta: KfuncCallMeta, reg: RegState, arg: string, kind: MapFieldArgKind): void {
  // the kernel compares the whole type: a read-only or maybe-NULL map value is not one
  if (reg.type !== "PTR_TO_MAP_VALUE" || reg.flags !== 0) reject(env, "EINVAL", `${arg} doesn't point to a map value\n`);
  switch (kind) {
    case "KF_ARG_PTR_TO_WORKQUEUE":
      return checkMapFieldPointer(env, reg, arg, "BPF_WORKQUEUE", meta);
    case "KF_ARG_PTR_TO_TIMER":
      return processTimerFunc(env, reg, arg, meta);
    case "KF_ARG_PTR_TO_TASK_WORK":
      return checkMapFieldPointer(env, reg, arg, "BPF_TASK_WORK", meta);
  }
}

/**
 * kernel: check_kfunc_args, KF_ARG_PTR_TO_MAP — when a workqueue or task_work
 * argument already named a map, a `__map` argument holding such fields must be
 * that map (an inner map of the same outer map differs by map_uid).
 */
export function checkMapArgMatchesField(env: VerifierEnv, meta: KfuncCallMeta, reg: RegState): void {
  if (!meta.map) return;
  // the kernel reads reg->map_ptr->record through a union: for a non-map register that is another field
  if (!reg.map) return notModelled("kfunc __map argument that is not a map, after a map field argument");
  const rec = recordOf(env, reg.map);
  if (!rec || (rec.wqOff < 0 && rec.taskWorkOff < 0)) return;
  if (meta.map === reg.map && meta.mapUid === reg.mapUid) return;
  if (rec.taskWorkOff >= 0) {
    reject(env, "EINVAL", `bpf_task_work pointer in R2 map_uid=${meta.mapUid} doesn't match map pointer in R3 map_uid=${reg.mapUid}\n`);
  }
  reject(env, "EINVAL", `workqueue pointer in R1 map_uid=${meta.mapUid} doesn't match map pointer in R2 map_uid=${reg.mapUid}\n`);
}

// kernel: is_bpf_wq_set_callback_kfunc, is_task_work_add_kfunc — with their callee states
const ASYNC_CB_KFUNCS: ReadonlyArray<[slot: string, set: SetCalleeState]> = [
  ["KF_bpf_wq_set_callback", setTimerCallbackState],
  ["KF_bpf_task_work_schedule_signal", setTaskWorkScheduleCallbackState],
  ["KF_bpf_task_work_schedule_resume", setTaskWorkScheduleCallbackState],
];

/**
 * kernel: check_kfunc_call, the push_callback_call of the async-callback kfuncs.
 * Their callbacks are always sleepable (is_async_cb_sleepable), whatever the program.
 */
export function pushAsyncWorkCallback(env: VerifierEnv, meta: KfuncCallMeta, insn: RawInsn, insnIdx: number): void {
  const row = ASYNC_CB_KFUNCS.find(([slot]) => isSpecial(meta, slot));
  if (!row) return;
  try {
    pushCallbackCall(env, insn, insnIdx, meta.subprogno, row[1], { async: true, sleepable: true });
  } catch (e) {
    if (e instanceof Reject) env.verbose(`kfunc ${meta.name}#${insn.imm} failed callback verification\n`);
    throw e;
  }
}
