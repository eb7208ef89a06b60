// Program types that may not use maps with some special fields: the kernel
// refuses the program when the map is first used (its ld_imm64), before the walk.
// kernel: verifier.c (check_map_prog_compatibility, is_tracing_prog_type)
import type { BtfRecord } from "./record.js";

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
