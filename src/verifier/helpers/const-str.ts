// ARG_PTR_TO_CONST_STR: a string the verifier can read now and trust later,
// i.e. inside a frozen read-only array map, NUL-terminated within the value.
// kernel: verifier.c (check_arg_const_str), arraymap.c (array_map_direct_value_addr)
import type { VerifierEnv } from "../env.js";
import type { RegState } from "../state/types.js";
import { tnumIsConst } from "../state/scalar-bridge.js";
import { reject } from "../reject.js";
import { notModelled } from "../not-modelled.js";
import { checkMapAccess } from "../memory/region.js";

/** Map types with map_direct_value_addr (arena pointers never reach here as map values). */
const DIRECT_VALUE_MAPS: ReadonlySet<string> = new Set(["BPF_MAP_TYPE_ARRAY", "BPF_MAP_TYPE_INSN_ARRAY", "BPF_MAP_TYPE_ARENA"]);

/** kernel: check_arg_const_str — the checked string's bytes from the value start, for callers that parse it (snprintf). */
export function checkArgConstStr(env: VerifierEnv, reg: RegState, regno: number): Uint8Array {
  const arg = `R${regno}`;
  if (reg.type !== "PTR_TO_MAP_VALUE") reject(env, "EINVAL", "");
  const map = reg.map!;
  if (map.type === "BPF_MAP_TYPE_INSN_ARRAY") reject(env, "EACCES", `${arg} points to insn_array map which cannot be used as const string\n`);
  if (!env.mapIsRdonly(map)) reject(env, "EACCES", `${arg} does not point to a readonly map'\n`);
  if (!tnumIsConst(reg.varOff)) reject(env, "EACCES", `${arg} is not a constant address'\n`);
  if (!DIRECT_VALUE_MAPS.has(map.type)) reject(env, "EACCES", "no direct value access support for this map type\n");
  const off = Number(reg.varOff.value);
  checkMapAccess(env, reg, arg, 0, map.valueSize - off, false, false);
  // array_map_direct_value_addr: one element only, offset inside it
  if (map.type !== "BPF_MAP_TYPE_ARRAY") notModelled(`const strings in ${map.type}`);
  if (map.maxEntries !== 1) reject(env, "ENOTSUPP", "direct value access on string failed\n");
  if (off >= map.valueSize) reject(env, "EINVAL", "direct value access on string failed\n");
  const value = map.initialValue ?? notModelled(`read-only map contents of ${map.name}`);
  const bytes = Uint8Array.from({ length: map.valueSize }, (_, i) => value[i] ?? 0);
  if (!bytes.subarray(off).includes(0)) reject(env, "EINVAL", "string is not zero-terminated\n");
  return bytes.subarray(off);
}
