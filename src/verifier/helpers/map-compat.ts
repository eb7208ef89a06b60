// Which maps a helper may be given, checked both ways: a map type that only
// works with some helpers, and a helper that only works with some map types.
// A pair passes when neither side has a row against it.
// kernel: verifier.c (check_map_func_compatibility, may_update_sockmap)
import { MAP_TYPE_NUM } from "../../loader/generated/libbpf-sections.js";

type Names = readonly string[];

const SOCK_STORAGE_OK = (own: string): Names => [`bpf_${own}_storage_get`, `bpf_${own}_storage_delete`, "bpf_kptr_xchg"];
const SOCKMAP_COMMON: Names = ["bpf_sk_select_reuseport", "bpf_map_lookup_elem"];

/** Map side: the only helpers a map of this type may be passed to ("sockmap": plus may_update_sockmap). */
export const MAP_SIDE: Readonly<Record<string, { helpers: Names; sockmapUpdate?: true }>> = {
  BPF_MAP_TYPE_PROG_ARRAY: { helpers: ["bpf_tail_call"] },
  BPF_MAP_TYPE_PERF_EVENT_ARRAY: { helpers: ["bpf_perf_event_read", "bpf_perf_event_output", "bpf_skb_output", "bpf_perf_event_read_value", "bpf_xdp_output"] },
  BPF_MAP_TYPE_RINGBUF: { helpers: ["bpf_ringbuf_output", "bpf_ringbuf_reserve", "bpf_ringbuf_query", "bpf_ringbuf_reserve_dynptr", "bpf_ringbuf_submit_dynptr", "bpf_ringbuf_discard_dynptr"] },
  BPF_MAP_TYPE_USER_RINGBUF: { helpers: ["bpf_user_ringbuf_drain"] },
  BPF_MAP_TYPE_STACK_TRACE: { helpers: ["bpf_get_stackid"] },
  BPF_MAP_TYPE_CGROUP_ARRAY: { helpers: ["bpf_skb_under_cgroup", "bpf_current_task_under_cgroup"] },
  BPF_MAP_TYPE_CGROUP_STORAGE: { helpers: ["bpf_get_local_storage"] },
  BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE: { helpers: ["bpf_get_local_storage"] },
  BPF_MAP_TYPE_DEVMAP: { helpers: ["bpf_redirect_map", "bpf_map_lookup_elem"] },
  BPF_MAP_TYPE_DEVMAP_HASH: { helpers: ["bpf_redirect_map", "bpf_map_lookup_elem"] },
  BPF_MAP_TYPE_CPUMAP: { helpers: ["bpf_redirect_map"] },
  BPF_MAP_TYPE_XSKMAP: { helpers: ["bpf_redirect_map", "bpf_map_lookup_elem"] },
  BPF_MAP_TYPE_ARRAY_OF_MAPS: { helpers: ["bpf_map_lookup_elem"] },
  BPF_MAP_TYPE_HASH_OF_MAPS: { helpers: ["bpf_map_lookup_elem"] },
  BPF_MAP_TYPE_SOCKMAP: { helpers: ["bpf_sk_redirect_map", "bpf_sock_map_update", "bpf_msg_redirect_map", ...SOCKMAP_COMMON], sockmapUpdate: true },
  BPF_MAP_TYPE_SOCKHASH: { helpers: ["bpf_sk_redirect_hash", "bpf_sock_hash_update", "bpf_msg_redirect_hash", ...SOCKMAP_COMMON], sockmapUpdate: true },
  BPF_MAP_TYPE_REUSEPORT_SOCKARRAY: { helpers: ["bpf_sk_select_reuseport"] },
  BPF_MAP_TYPE_QUEUE: { helpers: ["bpf_map_peek_elem", "bpf_map_pop_elem", "bpf_map_push_elem"] },
  BPF_MAP_TYPE_STACK: { helpers: ["bpf_map_peek_elem", "bpf_map_pop_elem", "bpf_map_push_elem"] },
  BPF_MAP_TYPE_SK_STORAGE: { helpers: SOCK_STORAGE_OK("sk") },
  BPF_MAP_TYPE_INODE_STORAGE: { helpers: SOCK_STORAGE_OK("inode") },
  BPF_MAP_TYPE_TASK_STORAGE: { helpers: SOCK_STORAGE_OK("task") },
  BPF_MAP_TYPE_CGRP_STORAGE: { helpers: SOCK_STORAGE_OK("cgrp") },
  BPF_MAP_TYPE_BLOOM_FILTER: { helpers: ["bpf_map_peek_elem", "bpf_map_push_elem"] },
  // Jump tables are read by gotox only.
  BPF_MAP_TYPE_INSN_ARRAY: { helpers: [] },
};

const QUEUE_LIKE: Names = ["BPF_MAP_TYPE_QUEUE", "BPF_MAP_TYPE_STACK"];

/** Helper side: the only map types the helper accepts. */
export const HELPER_SIDE: Readonly<Record<string, Names>> = {
  bpf_tail_call: ["BPF_MAP_TYPE_PROG_ARRAY"],
  ...Object.fromEntries(MAP_SIDE.BPF_MAP_TYPE_PERF_EVENT_ARRAY!.helpers.map((h) => [h, ["BPF_MAP_TYPE_PERF_EVENT_ARRAY"]])),
  ...Object.fromEntries(MAP_SIDE.BPF_MAP_TYPE_RINGBUF!.helpers.map((h) => [h, ["BPF_MAP_TYPE_RINGBUF"]])),
  bpf_user_ringbuf_drain: ["BPF_MAP_TYPE_USER_RINGBUF"],
  bpf_get_stackid: ["BPF_MAP_TYPE_STACK_TRACE"],
  bpf_current_task_under_cgroup: ["BPF_MAP_TYPE_CGROUP_ARRAY"],
  bpf_skb_under_cgroup: ["BPF_MAP_TYPE_CGROUP_ARRAY"],
  bpf_redirect_map: ["BPF_MAP_TYPE_DEVMAP", "BPF_MAP_TYPE_DEVMAP_HASH", "BPF_MAP_TYPE_CPUMAP", "BPF_MAP_TYPE_XSKMAP"],
  bpf_sk_redirect_map: ["BPF_MAP_TYPE_SOCKMAP"],
  bpf_msg_redirect_map: ["BPF_MAP_TYPE_SOCKMAP"],
  bpf_sock_map_update: ["BPF_MAP_TYPE_SOCKMAP"],
  bpf_sk_redirect_hash: ["BPF_MAP_TYPE_SOCKHASH"],
  bpf_msg_redirect_hash: ["BPF_MAP_TYPE_SOCKHASH"],
  bpf_sock_hash_update: ["BPF_MAP_TYPE_SOCKHASH"],
  bpf_get_local_storage: ["BPF_MAP_TYPE_CGROUP_STORAGE", "BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE"],
  bpf_sk_select_reuseport: ["BPF_MAP_TYPE_REUSEPORT_SOCKARRAY", "BPF_MAP_TYPE_SOCKMAP", "BPF_MAP_TYPE_SOCKHASH"],
  bpf_map_pop_elem: QUEUE_LIKE,
  bpf_map_peek_elem: [...QUEUE_LIKE, "BPF_MAP_TYPE_BLOOM_FILTER"],
  bpf_map_push_elem: [...QUEUE_LIKE, "BPF_MAP_TYPE_BLOOM_FILTER"],
  bpf_map_lookup_percpu_elem: ["BPF_MAP_TYPE_PERCPU_ARRAY", "BPF_MAP_TYPE_PERCPU_HASH", "BPF_MAP_TYPE_LRU_PERCPU_HASH"],
  bpf_sk_storage_get: ["BPF_MAP_TYPE_SK_STORAGE"],
  bpf_sk_storage_delete: ["BPF_MAP_TYPE_SK_STORAGE"],
  bpf_inode_storage_get: ["BPF_MAP_TYPE_INODE_STORAGE"],
  bpf_inode_storage_delete: ["BPF_MAP_TYPE_INODE_STORAGE"],
  bpf_task_storage_get: ["BPF_MAP_TYPE_TASK_STORAGE"],
  bpf_task_storage_delete: ["BPF_MAP_TYPE_TASK_STORAGE"],
  bpf_cgrp_storage_get: ["BPF_MAP_TYPE_CGRP_STORAGE"],
  bpf_cgrp_storage_delete: ["BPF_MAP_TYPE_CGRP_STORAGE"],
};

/** Program types where a socket cannot be locked by the caller, so sockmap updates are safe. */
const SOCKMAP_UPDATE_PROG_TYPES: ReadonlySet<string> = new Set([
  "BPF_PROG_TYPE_SOCKET_FILTER", "BPF_PROG_TYPE_SCHED_CLS", "BPF_PROG_TYPE_SCHED_ACT", "BPF_PROG_TYPE_XDP",
  "BPF_PROG_TYPE_SK_REUSEPORT", "BPF_PROG_TYPE_FLOW_DISSECTOR", "BPF_PROG_TYPE_SK_LOOKUP",
]);

/**
 * kernel: may_update_sockmap — "log" when the helper is an update/delete the
 * program type may not do (the kernel says so before refusing the pair).
 */
export function maySockmapUpdate(helper: string, progType: string, expectedAttachType: string): "yes" | "no" | "log" {
  if (helper !== "bpf_map_update_elem" && helper !== "bpf_map_delete_elem") return "no";
  if (progType === "BPF_PROG_TYPE_TRACING" && expectedAttachType === "BPF_TRACE_ITER") return "yes";
  if (progType === "BPF_PROG_TYPE_SOCK_OPS" && helper === "bpf_map_delete_elem") return "yes";
  return SOCKMAP_UPDATE_PROG_TYPES.has(progType) ? "yes" : "log";
}

export type MapCompatVerdict = { ok: true } | { ok: false; logs: string[]; error: string };

/** kernel: check_map_func_compatibility (both switches; the tail-call subprog rule stays with control/tail-call.ts). */
export function mapFuncCompat(mapType: string, helper: string, funcId: number, progType: string, expectedAttachType: string): MapCompatVerdict {
  const logs: string[] = [];
  const fail = (): MapCompatVerdict => {
    const nr = (MAP_TYPE_NUM as Record<string, number>)[mapType];
    return { ok: false, logs, error: `cannot pass map_type ${nr ?? mapType} into func ${helper}#${funcId}\n` };
  };
  const row = MAP_SIDE[mapType];
  if (row && !row.helpers.includes(helper)) {
    if (!row.sockmapUpdate) return fail();
    const may = maySockmapUpdate(helper, progType, expectedAttachType);
    if (may === "log") logs.push("cannot update sockmap in this context\n");
    if (may !== "yes") return fail();
  }
  const want = HELPER_SIDE[helper];
  if (want && !want.includes(mapType)) return fail();
  return { ok: true };
}
