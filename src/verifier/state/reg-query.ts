// Small predicates and id helpers over register state.
// kernel: verifier.c (is_spillable_regtype, __is_pointer_value,
// bpf_register_is_null, get_reg_width, clear_scalar_id,
// assign_scalar_id_before_mov, is_reg_const, reg_const_value)
import type { RegState } from "./types.js";
import type { BaseRegType } from "./reg-type.js";
import { BPF_ADD_CONST } from "./types.js";
import { regUmax, tnumIsConst } from "./scalar-bridge.js";

const U32 = (1n << 32n) - 1n;

export function isSpillableRegtype(t: BaseRegType): boolean {
  switch (t) {
    case "PTR_TO_MAP_VALUE": case "PTR_TO_STACK": case "PTR_TO_CTX": case "PTR_TO_PACKET":
    case "PTR_TO_PACKET_META": case "PTR_TO_PACKET_END": case "PTR_TO_FLOW_KEYS": case "CONST_PTR_TO_MAP":
    case "PTR_TO_SOCKET": case "PTR_TO_SOCK_COMMON": case "PTR_TO_TCP_SOCK": case "PTR_TO_XDP_SOCK":
    case "PTR_TO_BTF_ID": case "PTR_TO_BUF": case "PTR_TO_MEM": case "PTR_TO_FUNC": case "PTR_TO_MAP_KEY":
    case "PTR_TO_ARENA":
      return true;
    default:
      return false;
  }
}

/** kernel: __is_pointer_value / is_pointer_value (privileged: allow_ptr_leaks makes it false). */
export function isPointerValue(env: { allowPtrLeaks: boolean }, reg: RegState): boolean {
  if (env.allowPtrLeaks) return false;
  return reg.type !== "SCALAR_VALUE";
}

/** kernel: bpf_register_is_null */
export function registerIsNull(reg: RegState): boolean {
  return reg.type === "SCALAR_VALUE" && tnumIsConst(reg.varOff) && reg.varOff.value === 0n;
}

/** kernel: get_reg_width — bits needed for umax. */
export function getRegWidth(reg: RegState): number {
  const u = regUmax(reg);
  return u === 0n ? 0 : u.toString(2).length;
}

/** kernel: clear_scalar_id */
export function clearScalarId(reg: RegState): void {
  reg.id = 0;
  reg.delta = 0;
}

/** kernel: assign_scalar_id_before_mov */
export function assignScalarIdBeforeMov(env: { idGen: number }, src: RegState): void {
  if (src.type !== "SCALAR_VALUE") return;
  if (src.id & BPF_ADD_CONST) clearScalarId(src);
  if (!src.id && !tnumIsConst(src.varOff)) src.id = ++env.idGen;
}

/** kernel: is_reg_const */
export function isRegConst(reg: RegState, subreg32: boolean): boolean {
  if (reg.type !== "SCALAR_VALUE") return false;
  return subreg32 ? (reg.varOff.mask & U32) === 0n : reg.varOff.mask === 0n;
}

/** kernel: reg_const_value */
export function regConstValue(reg: RegState, subreg32: boolean): bigint {
  return subreg32 ? reg.varOff.value & U32 : reg.varOff.value;
}
