// Arguments that must point at one special field of a map value: the
// bpf_timer of the timer helpers and kfuncs, the bpf_wq of the workqueue
// kfuncs, the bpf_task_work of bpf_task_work_schedule_*: a map value pointer
// at the exact offset of the map's field of that kind. The map is remembered
// for the callback's state and for the `__map` argument that must match it.
// kernel: verifier.c (check_map_field_pointer, process_timer_func,
// process_timer_helper, process_timer_kfunc)
import type { VerifierEnv } from "../env.js";
import type { MapInfo } from "../input.js";
import type { RegState } from "../state/types.js";
import { tnumIsConst } from "../state/scalar-bridge.js";
import { reject } from "../reject.js";
import { verifierBug } from "../bug.js";
import { btfFieldTypeName, mapHasBtf, recordOf, type BtfRecord } from "../maprec/index.js";

/** The field kinds check_map_field_pointer handles, with where the record keeps their offset. */
const FIELD_OFF = {
  BPF_TIMER: (r: BtfRecord) => r.timerOff,
  BPF_WORKQUEUE: (r: BtfRecord) => r.wqOff,
  BPF_TASK_WORK: (r: BtfRecord) => r.taskWorkOff,
} satisfies Record<string, (r: BtfRecord) => number>;

export type MapFieldType = keyof typeof FIELD_OFF;

/** kernel: struct bpf_map_desc — the map a map-field argument came from. */
export interface MapDesc {
  map: MapInfo | null;
  mapUid: number;
}

/** kernel: check_map_field_pointer — `reg` is a PTR_TO_MAP_VALUE; records its map in `desc`. */
export function checkMapFieldPointer(env: VerifierEnv, reg: RegState, argName: string, field: MapFieldType, desc: MapDesc): void {
  const map = reg.map!;
  const structName = btfFieldTypeName(field);
  if (!tnumIsConst(reg.varOff)) {
    reject(env, "EINVAL", `${argName} doesn't have constant offset. ${structName} has to be at the constant offset\n`);
  }
  if (!mapHasBtf(env, map)) reject(env, "EINVAL", `map '${map.name}' has to have BTF in order to use ${structName}\n`);
  // kernel: the map's btf_record, found when the map was created
  const rec = recordOf(env, map);
  const fieldOff = rec ? FIELD_OFF[field](rec) : -1;
  if (fieldOff < 0) reject(env, "EINVAL", `map '${map.name}' has no valid ${structName}\n`);
  const val = BigInt.asIntN(64, reg.varOff.value);
  if (BigInt(fieldOff) !== val) {
    reject(env, "EINVAL", `off ${val} doesn't point to 'struct ${structName}' that is at ${fieldOff}\n`);
  }
  if (desc.map) verifierBug(env, `Two map pointers in a ${structName} helper`);
  desc.mapUid = reg.mapUid;
  desc.map = map;
}

/** kernel: process_timer_func (the 7.2 build is not PREEMPT_RT, so timers are allowed). */
export function processTimerFunc(env: VerifierEnv, reg: RegState, argName: string, desc: MapDesc): void {
  checkMapFieldPointer(env, reg, argName, "BPF_TIMER", desc);
}

/** kernel: process_timer_helper */
export function processTimerHelper(env: VerifierEnv, reg: RegState, regno: number, meta: MapDesc): void {
  processTimerFunc(env, reg, `R${regno}`, meta);
}
