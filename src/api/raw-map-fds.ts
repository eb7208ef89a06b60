// A map ld_imm64 the object wrote with a literal fd (`r1 = 0 ll` with
// src_reg BPF_PSEUDO_MAP_FD, no relocation) reaches the kernel unchanged:
// libbpf only rewrites the insns its relocations name. The kernel then looks
// the number up in the loading process's fd table, where the selftests'
// fds 0/1 are stdin/stdout: "fd 1 is not pointing to valid bpf_map"
// (verifier_map_ret_val.c map_fd_for_function_call, verifier_cgroup_storage.c
// invalid_cgroup_storage_access_2). bpfverify has no fd table: such an fd is
// never one of the object's maps, so it gets a "not a map" entry (type "")
// that check_and_resolve_insns reports with the fd.
// kernel: add_used_map (verifier.c)
import type { RawInsn } from "../isa/raw.js";
import type { MapInfo } from "../verifier/input.js";
import type { MapForResolve } from "../verifier/cfg/insn-fields.js";

/** A map list entry for a number that is no map of the object (MapForResolve's type "" convention). */
export type NotAMap = MapInfo & Required<Pick<MapForResolve, "fd">>;

/**
 * `insns`/`maps` with every raw-fd insn pointing at its own "not a map" entry
 * (appended after the object's maps); the inputs are returned as they are
 * when there is none.
 */
export function withRawMapFds(insns: RawInsn[], maps: MapInfo[], rawMapFdInsns: readonly number[]): { insns: RawInsn[]; maps: MapInfo[] } {
  if (rawMapFdInsns.length === 0) return { insns, maps };
  const outInsns = insns.slice();
  const outMaps = maps.slice();
  for (const i of rawMapFdInsns) {
    const insn = insns[i]!;
    const entry: NotAMap = { name: "", type: "", keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, fd: insn.imm };
    outInsns[i] = { ...insn, imm: outMaps.length };
    outMaps.push(entry);
  }
  return { insns: outInsns, maps: outMaps };
}
