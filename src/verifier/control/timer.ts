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
import { notModelled } from "../not-modelled.js";
import type { Btf } from "../../btf/btf.js";

/**
 * Offsets of `struct bpf_timer` in a map value type: members of structs and
 * unions, nested structs, array elements, datasec variables (kernel:
 * btf_find_field, which records the timer_off of a map's btf_record).
 */
function timerOffsets(btf: Btf, id: number, base: number, out: number[], depth: number): void {
  if (depth > 16 || out.length > 1) return;
  const t = btf.type(id);
  switch (t.kind) {
    case "TYPEDEF": case "CONST": case "VOLATILE": case "RESTRICT": case "TYPE_TAG":
      return timerOffsets(btf, t.type, base, out, depth + 1);
    case "STRUCT":
      if (btf.typeName(id) === "bpf_timer") {
        out.push(base);
        return;
      }
      for (const m of t.members) timerOffsets(btf, m.type, base + m.bitOffset / 8, out, depth + 1);
      return;
    case "UNION":
      for (const m of t.members) timerOffsets(btf, m.type, base + m.bitOffset / 8, out, depth + 1);
      return;
    case "ARRAY": {
      const before = out.length;
      timerOffsets(btf, t.elemType, base, out, depth + 1);
      if (out.length > before && t.nelems > 1) out.push(base); // several timers: refused anyway
      return;
    }
    case "DATASEC":
      for (const v of t.vars) timerOffsets(btf, v.type, base + v.offset, out, depth + 1);
      return;
    case "VAR":
      return timerOffsets(btf, t.type, base, out, depth + 1);
    default:
      return;
  }
}

/** kernel: check_map_field_pointer for BPF_TIMER; records the map in `meta`. */
export function processTimerHelper(env: VerifierEnv, reg: RegState, regno: number, meta: { map: MapInfo | null; mapUid: number }): void {
  const map = reg.map!;
  if (!tnumIsConst(reg.varOff)) {
    reject(env, "EINVAL", `R${regno} doesn't have constant offset. bpf_timer has to be at the constant offset\n`);
  }
  if (!map.btfValueTypeId) return reject(env, "EINVAL", `map '${map.name}' has to have BTF in order to use bpf_timer\n`);
  const btf = env.progBtf;
  if (!btf) return notModelled("bpf_timer in a map without the program's BTF");
  const offs: number[] = [];
  timerOffsets(btf, map.btfValueTypeId, 0, offs, 0);
  // More than one bpf_timer: the kernel refuses the map at creation (btf_parse_fields).
  if (offs.length > 1) notModelled(`map '${map.name}' with ${offs.length} bpf_timer fields`);
  if (offs.length === 0) reject(env, "EINVAL", `map '${map.name}' has no valid bpf_timer\n`);
  const timerOff = offs[0]!;
  const val = BigInt.asIntN(64, reg.varOff.value);
  if (BigInt(timerOff) !== val) {
    reject(env, "EINVAL", `off ${val} doesn't point to 'struct bpf_timer' that is at ${timerOff}\n`);
  }
  if (meta.map) verifierBug(env, "Two map pointers in a bpf_timer helper");
  meta.mapUid = reg.mapUid;
  meta.map = map;
}
