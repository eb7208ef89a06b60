// A constant string argument (`__str`): a pointer at a known offset into a
// frozen read-only array map (.rodata) whose bytes hold a NUL before the end.
// kernel: check_arg_const_str, array_map_direct_value_addr
import type { VerifierEnv } from "../../env.js";
import type { RegState } from "../../state/types.js";
import { tnumIsConst } from "../../state/scalar-bridge.js";
import { checkMapAccess } from "../../memory/region.js";
import { reject } from "../../reject.js";
import { notModelled } from "../../not-modelled.js";

/** kernel: check_arg_const_str (the caller has already required PTR_TO_MAP_VALUE). */
export function checkArgConstStr(env: VerifierEnv, reg: RegState, arg: string): void {
  const map = reg.map!;
  if (map.type === "BPF_MAP_TYPE_INSN_ARRAY") reject(env, "EACCES", `${arg} points to insn_array map which cannot be used as const string\n`);
  // the stray quotes are the kernel's
  if (!env.mapIsRdonly(map)) reject(env, "EACCES", `${arg} does not point to a readonly map'\n`);
  if (!tnumIsConst(reg.varOff)) reject(env, "EACCES", `${arg} is not a constant address'\n`);
  if (map.type !== "BPF_MAP_TYPE_ARRAY") notModelled(`map_direct_value_addr of ${map.type}`);
  const off = Number(BigInt.asIntN(64, reg.varOff.value));
  checkMapAccess(env, reg, arg, 0, map.valueSize - off, false, false);
  if (map.maxEntries !== 1 || off >= map.valueSize) reject(env, map.maxEntries !== 1 ? "ENOTSUPP" : "EINVAL", "direct value access on string failed\n");
  if (!map.initialValue) notModelled(`contents of read-only map ${map.name}`);
  const bytes = map.initialValue;
  let terminated = false;
  for (let i = off; i < map.valueSize; i++) {
    if ((bytes[i] ?? 0) === 0) {
      terminated = true;
      break;
    }
  }
  if (!terminated) reject(env, "EINVAL", "string is not zero-terminated\n");
}
