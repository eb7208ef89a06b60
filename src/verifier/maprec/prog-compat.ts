// Program types that may not use maps with some special fields: the kernel
// refuses the program when the map is first used (its ld_imm64), before the walk.
// kernel: verifier.c (check_map_prog_compatibility, is_tracing_prog_type)
import type { Btf } from "../../btf/btf.js";
import type { MapInfo } from "../input.js";
import type { CfgReject } from "../cfg/types.js";
import { isRecordError, mapRecord, type BtfRecord } from "./record.js";
import { mapCreateRefusal } from "./create.js";

const TRACING: ReadonlySet<string> = new Set([
  "BPF_PROG_TYPE_KPROBE", "BPF_PROG_TYPE_TRACEPOINT", "BPF_PROG_TYPE_PERF_EVENT",
  "BPF_PROG_TYPE_RAW_TRACEPOINT", "BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE",
]);

/** kernel: is_tracing_prog_type */
export function isTracingProgType(progType: string): boolean {
  return TRACING.has(progType);
}

/** The special-field part of check_map_prog_compatibility: the log line (EINVAL), or null. */
export function recordProgCompatibility(rec: BtfRecord | null, progType: string): string | null {
  if (!rec) return null;
  const has = (...t: string[]) => rec.fields.some((f) => t.includes(f.type));
  if (has("BPF_LIST_HEAD", "BPF_RB_ROOT") && isTracingProgType(progType)) return "tracing progs cannot use bpf_{list_head,rb_root} yet\n";
  if (has("BPF_SPIN_LOCK", "BPF_RES_SPIN_LOCK")) {
    if (progType === "BPF_PROG_TYPE_SOCKET_FILTER") return "socket filter progs cannot use bpf_spin_lock yet\n";
    if (isTracingProgType(progType)) return "tracing progs cannot use bpf_spin_lock yet\n";
  }
  return null;
}

/**
 * kernel: check_map_prog_compatibility as the ld_imm64 pre-pass runs it (the
 * special-field rules): the map's record is the one it was created with (none
 * without the program's BTF, or when libbpf had to create it without BTF).
 */
export function mapProgCompatibilityCheck(progBtf: Btf | null, maps: readonly MapInfo[], progType: string): (mapIndex: number) => CfgReject | undefined {
  return (mapIndex) => {
    const map = maps[mapIndex];
    if (!progBtf || !map) return undefined;
    const rec = mapRecord(progBtf, map);
    if (rec === null || isRecordError(rec) || mapCreateRefusal(map, rec)) return undefined;
    const message = recordProgCompatibility(rec, progType);
    return message === null ? undefined : { errno: "EINVAL", message };
  };
}
