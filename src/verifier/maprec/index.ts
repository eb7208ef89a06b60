// What the verifier asks about map value records (the env hooks).
// kernel: btf_record_has_field, btf_record_find
import type { VerifierEnv } from "../env.js";
import type { MapInfo } from "../input.js";
import { mapCreateRefusal } from "./create.js";
import { mapRecord, isRecordError, isKptrField, type BtfField, type BtfFieldType, type BtfRecord } from "./record.js";

export { mapRecord, parseFields, isRecordError, isKptrField, btfFieldTypeName, type BtfField, type BtfFieldType, type BtfRecord } from "./record.js";
export { recordProgCompatibility, isTracingProgType } from "./prog-compat.js";
export { processSpinLock, acquireLockState, releaseLockState, findLockState, type SpinLockFlags } from "./spin-lock.js";

/**
 * The record of `map` as the program sees it: null for no special fields,
 * including a record btf_parse_fields refused (the map is still created) and
 * a map whose create with BTF failed (libbpf retried without BTF).
 */
export function recordOf(env: VerifierEnv, map: MapInfo): BtfRecord | null {
  // No program BTF: the kernel refused the object's BTF, and libbpf then creates every map without BTF.
  if (!env.progBtf) return null;
  const rec = mapRecord(env.progBtf, map);
  if (rec === null || isRecordError(rec) || mapCreateRefusal(map, rec)) return null;
  return rec;
}

/** kernel: map->btf — false too when libbpf had to create the map without BTF. */
export function mapHasBtf(env: VerifierEnv, map: MapInfo): boolean {
  if (!map.btfValueTypeId || !env.progBtf) return false;
  const rec = mapRecord(env.progBtf, map);
  return !(rec && !isRecordError(rec) && mapCreateRefusal(map, rec));
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
