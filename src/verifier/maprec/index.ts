// What the verifier asks about map value records (the env hooks).
// kernel: btf_record_has_field, btf_record_find
import type { VerifierEnv } from "../env.js";
import type { MapInfo } from "../input.js";
import { notModelled } from "../not-modelled.js";
import { mapRecord, isRecordError, isKptrField, type BtfField, type BtfFieldType, type BtfRecord } from "./record.js";

export { mapRecord, parseFields, isRecordError, isKptrField, btfFieldTypeName, type BtfField, type BtfFieldType, type BtfRecord } from "./record.js";
export { recordProgCompatibility, isTracingProgType } from "./prog-compat.js";
export { processSpinLock, acquireLockState, releaseLockState, findLockState, type SpinLockFlags } from "./spin-lock.js";

/** The record of `map`, or notModelled when BPF_MAP_CREATE would have refused the map (the load fails before the verifier). */
export function recordOf(env: VerifierEnv, map: MapInfo): BtfRecord | null {
  if (map.btfValueTypeId && !env.progBtf) return notModelled(`map '${map.name}' value BTF without the program's BTF`);
  const rec = mapRecord(env.progBtf, map);
  if (isRecordError(rec)) return notModelled(`map '${map.name}' refused at creation: ${rec.why} (${rec.errno})`);
  return rec;
}

export function mapFields(env: VerifierEnv, map: MapInfo): BtfField[] {
  return recordOf(env, map)?.fields ?? [];
}

/** kernel: btf_record_find(rec, off, BPF_KPTR | BPF_UPTR) */
export function mapKptrFieldAt(env: VerifierEnv, map: MapInfo, off: number): BtfField | null {
  return mapFields(env, map).find((f) => isKptrField(f.type) && f.offset === off) ?? null;
}

/** kernel: btf_record_has_field */
export function mapHasField(env: VerifierEnv, map: MapInfo, types: readonly BtfFieldType[]): boolean {
  return mapFields(env, map).some((f) => types.includes(f.type));
}
