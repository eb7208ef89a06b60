// The bpf_timer argument of the timer helpers: a map value pointer at the
// exact offset of the map's struct bpf_timer field.
// kernel: verifier.c (process_timer_helper, process_timer_func,
// check_map_field_pointer)
import type { VerifierEnv } from "../env.js";
import type { MapInfo } from "../input.js";
import type { RegState } from "../state/types.js";
import { tnumIsConst } from "../state/scalar-bridge.js";
import { reject } from "../reject.js";
import { verifierBug } from "../bug.js";
import { mapHasBtf, recordOf } from "../maprec/index.js";

/** kernel: check_map_field_pointer for BPF_TIMER; records the map in `meta`. */
export function processTimerHelper(env: VerifierEnv, reg: RegState, regno: number, meta: { map: MapInfo | null; mapUid: number }): void {
  const map = reg.map!;
  if (!tnumIsConst(reg.varOff)) {
    reject(env, "EINVAL", `R${regno} doesn't have constant offset. bpf_timer has to be at the constant offset\n`);
  }
  if (!mapHasBtf(env, map)) return reject(env, "EINVAL", `map '${map.name}' has to have BTF in order to use bpf_timer\n`);
  // kernel: the map's btf_record (timer_off), found when the map was created
  const rec = recordOf(env, map);
  if (!rec || rec.timerOff < 0) reject(env, "EINVAL", `map '${map.name}' has no valid bpf_timer\n`);
  const timerOff = rec.timerOff;
  const val = BigInt.asIntN(64, reg.varOff.value);
  if (BigInt(timerOff) !== val) {
    reject(env, "EINVAL", `off ${val} doesn't point to 'struct bpf_timer' that is at ${timerOff}\n`);
  }
  if (meta.map) verifierBug(env, "Two map pointers in a bpf_timer helper");
  meta.mapUid = reg.mapUid;
  meta.map = map;
}
