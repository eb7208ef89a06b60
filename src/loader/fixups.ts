// Load-time fix-ups around libbpf's own behaviour.
//
// veristat (tools/testing/selftests/bpf/veristat.c) loads one program of an object at a time and
// first rewrites the opened object so that programs written for a full application load alone:
// maps sized at run time (max_entries 0) get one entry, struct_ops maps stop referencing the
// other programs, and an freplace program, which needs a target program veristat does not have,
// is loaded as the program type its context argument suggests. The realworld corpus was recorded
// that way (the oracle loader's plain mode), the selftests corpus mostly was not (test_loader).
//
// libbpf's own default, which runs in both modes after any fix-up: a PERF_EVENT_ARRAY left at
// max_entries 0 gets one slot per possible CPU when it is created.

import type { Btf } from "../btf/index.js";
import { DEFAULT_NR_CPU_IDS } from "../kernel/machine.js";
import type { BpfAttachType, BpfMapType, BpfProgType } from "./generated/libbpf-sections.js";
import { adjustRingbufSize, type LoaderMap } from "./maps.js";
import { progTypeName, type ProgramKind } from "./sections.js";

/** "none": what libbpf does (bpf_object__open + load); "veristat": veristat's fixup_obj first. */
export type LoadFixups = "none" | "veristat";

/** libbpf_num_possible_cpus() on the machine the corpora were recorded on. */
export const DEFAULT_POSSIBLE_CPUS = DEFAULT_NR_CPU_IDS;

/**
 * Map types whose max_entries 0 is meaningful (local storage is sized by its owners) or which
 * fixup_obj handles apart (struct_ops): veristat leaves their size alone.
 */
const KEEPS_MAX_ENTRIES: ReadonlySet<BpfMapType> = new Set<BpfMapType>([
  "BPF_MAP_TYPE_SK_STORAGE",
  "BPF_MAP_TYPE_TASK_STORAGE",
  "BPF_MAP_TYPE_INODE_STORAGE",
  "BPF_MAP_TYPE_CGROUP_STORAGE",
  "BPF_MAP_TYPE_CGROUP_STORAGE_DEPRECATED",
  "BPF_MAP_TYPE_CGRP_STORAGE",
  "BPF_MAP_TYPE_STRUCT_OPS",
]);

/**
 * veristat: fixup_obj_maps — a map sized at run time gets one entry, through
 * bpf_map__set_max_entries, which rounds a ring buffer up to a page. Only the object's own
 * maps: an inner map template is not in bpf_object__for_each_map.
 */
export function veristatMapFixups(maps: readonly LoaderMap[]): void {
  for (const m of maps) {
    if (KEEPS_MAX_ENTRIES.has(m.type) || m.maxEntries !== 0) continue;
    m.maxEntries = m.type === "BPF_MAP_TYPE_RINGBUF" || m.type === "BPF_MAP_TYPE_USER_RINGBUF" ? adjustRingbufSize(1) : 1;
  }
}

/** libbpf: map_set_def_max_entries, for each map and its inner template at creation. */
export function libbpfDefaultMaxEntries(maps: readonly LoaderMap[], possibleCpus: number): void {
  for (const m of maps) {
    for (const x of m.inner ? [m, m.inner] : [m]) {
      if (x.type === "BPF_MAP_TYPE_PERF_EVENT_ARRAY" && x.maxEntries === 0) x.maxEntries = possibleCpus;
    }
  }
}

interface CtxGuess {
  /** The UAPI context type (what a BPF program declares). */
  uapiName: string;
  /** The kernel's context type (also accepted); null when matching it would be ambiguous. */
  kernName: string | null;
  progType: BpfProgType;
  /** veristat leaves it 0 for the tracing types: BPF_CGROUP_INET_INGRESS. */
  attachType: BpfAttachType;
}

/**
 * veristat: guess_prog_type_by_ctx_name — the program type an freplace target probably has,
 * from the struct its context pointer points to. First match wins; __sk_buff is guessed as TC.
 */
export const CTX_PROG_TYPE_GUESSES: readonly CtxGuess[] = [
  { uapiName: "__sk_buff", kernName: "sk_buff", progType: "BPF_PROG_TYPE_SCHED_CLS", attachType: "BPF_CGROUP_INET_INGRESS" },
  { uapiName: "bpf_sock", kernName: "sock", progType: "BPF_PROG_TYPE_CGROUP_SOCK", attachType: "BPF_CGROUP_INET4_POST_BIND" },
  { uapiName: "bpf_sock_addr", kernName: "bpf_sock_addr_kern", progType: "BPF_PROG_TYPE_CGROUP_SOCK_ADDR", attachType: "BPF_CGROUP_INET4_BIND" },
  { uapiName: "bpf_sock_ops", kernName: "bpf_sock_ops_kern", progType: "BPF_PROG_TYPE_SOCK_OPS", attachType: "BPF_CGROUP_SOCK_OPS" },
  { uapiName: "sk_msg_md", kernName: "sk_msg", progType: "BPF_PROG_TYPE_SK_MSG", attachType: "BPF_SK_MSG_VERDICT" },
  { uapiName: "bpf_cgroup_dev_ctx", kernName: "bpf_cgroup_dev_ctx", progType: "BPF_PROG_TYPE_CGROUP_DEVICE", attachType: "BPF_CGROUP_DEVICE" },
  { uapiName: "bpf_sysctl", kernName: "bpf_sysctl_kern", progType: "BPF_PROG_TYPE_CGROUP_SYSCTL", attachType: "BPF_CGROUP_SYSCTL" },
  { uapiName: "bpf_sockopt", kernName: "bpf_sockopt_kern", progType: "BPF_PROG_TYPE_CGROUP_SOCKOPT", attachType: "BPF_CGROUP_SETSOCKOPT" },
  { uapiName: "sk_reuseport_md", kernName: "sk_reuseport_kern", progType: "BPF_PROG_TYPE_SK_REUSEPORT", attachType: "BPF_SK_REUSEPORT_SELECT_OR_MIGRATE" },
  { uapiName: "bpf_sk_lookup", kernName: "bpf_sk_lookup_kern", progType: "BPF_PROG_TYPE_SK_LOOKUP", attachType: "BPF_SK_LOOKUP" },
  { uapiName: "xdp_md", kernName: "xdp_buff", progType: "BPF_PROG_TYPE_XDP", attachType: "BPF_XDP" },
  { uapiName: "bpf_user_pt_regs_t", kernName: "pt_regs", progType: "BPF_PROG_TYPE_KPROBE", attachType: "BPF_CGROUP_INET_INGRESS" },
  { uapiName: "bpf_perf_event_data", kernName: "bpf_perf_event_data_kern", progType: "BPF_PROG_TYPE_PERF_EVENT", attachType: "BPF_CGROUP_INET_INGRESS" },
  // The kernel side of a raw tracepoint's context is a u64 array: nothing to match by name.
  { uapiName: "bpf_raw_tracepoint_args", kernName: null, progType: "BPF_PROG_TYPE_RAW_TRACEPOINT", attachType: "BPF_CGROUP_INET_INGRESS" },
];

/** veristat: guess_prog_type_by_ctx_name */
export function guessProgTypeByCtxName(ctxName: string): CtxGuess | undefined {
  return CTX_PROG_TYPE_GUESSES.find((g) => g.uapiName === ctxName || (g.kernName !== null && g.kernName === ctxName));
}

/** libbpf: btf_is_mod — qualifiers, not typedefs (a typedef'd context such as bpf_user_pt_regs_t is matched by its own name). */
function skipMods(btf: Btf, id: number): number {
  for (;;) {
    const t = btf.type(id);
    if (t.kind !== "CONST" && t.kind !== "VOLATILE" && t.kind !== "RESTRICT" && t.kind !== "TYPE_TAG") return id;
    id = t.type;
  }
}

/**
 * veristat: fixup_obj's freplace arm. An EXT program is retyped to the guessed type (the caller
 * keeps libbpf's freplace section flags, so libbpf still looks the section's target up, now in
 * the kernel's BTF). Returns the kind to load with and the oracle loader's note; an EXT program
 * that cannot be guessed keeps its kind.
 */
export function veristatFreplaceFixup(btf: Btf | undefined, progName: string, kind: ProgramKind): { kind: ProgramKind; note: string } | undefined {
  if (kind.progType !== "BPF_PROG_TYPE_EXT") return undefined;
  const keep = (note: string) => ({ kind, note });
  if (!btf) return keep("freplace: no BTF to guess the target program type");
  const fn = btf.findByNameKind(progName, "FUNC");
  if (fn === undefined) return keep("freplace: no FUNC BTF");
  const proto = btf.type(btf.sizeOrType(fn));
  if (proto.kind !== "FUNC_PROTO" || proto.params.length !== 1) return keep("freplace: cannot guess the target program type (not 1 argument)");
  const ptr = btf.type(skipMods(btf, proto.params[0]!.type));
  if (ptr.kind !== "PTR") return keep("freplace: cannot guess the target program type (arg is not a pointer)");
  const ctxName = btf.type(skipMods(btf, ptr.type)).name;
  const guess = guessProgTypeByCtxName(ctxName);
  if (!guess) return keep(`freplace: cannot guess the target program type from ctx '${ctxName}'`);
  return {
    kind: { ...kind, progType: guess.progType, expectedAttachType: guess.attachType },
    note: `freplace: loaded as guessed type ${progTypeName(guess.progType)} (ctx ${ctxName})`,
  };
}

// veristat: fixup_obj's mask_unrelated_struct_ops_progs zeroes every function pointer of a
// struct_ops map that is not the program being loaded. For that program's own load this changes
// one thing: libbpf (bpf_map__init_kern_struct_ops, at bpf_object_prepare) checks every slot of
// every struct_ops map, and a slot the kernel's struct has no member for fails the whole object;
// masked, only the program's own slots are checked (resolveAttach's ownStructOpsSlots). The
// program's attach_btf_id and member index do not change: its own slots keep their pointers.
