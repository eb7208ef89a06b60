// Bounded memory regions: map keys/values, PTR_TO_MEM, ctx size checks.
// kernel: verifier.c (__check_mem_access, check_mem_region_access,
// check_map_access_type, check_map_access)
import type { VerifierEnv } from "../env.js";
import type { RegState } from "../state/types.js";
import { regSmin, regUmax } from "../state/scalar-bridge.js";
import { reject } from "../reject.js";
import { BPF_MAX_VAR_OFF } from "./stack.js";

const S64_MIN = -(1n << 63n);
/** C's `(int)` of a 64-bit value, as printed with %d. */
const asInt = (v: bigint): number => Number(BigInt.asIntN(32, v));

/** kernel: BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG */
const BPF_F_RDONLY_PROG = 1 << 7;
const BPF_F_WRONLY_PROG = 1 << 8;

/** kernel: __check_mem_access — returns false after printing when out of bounds. */
function memAccessOk(env: VerifierEnv, reg: RegState, argName: string, off: number, size: number, memSize: number, zeroSizeAllowed: boolean): boolean {
  const sizeOk = size > 0 || (size === 0 && zeroSizeAllowed);
  if (off >= 0 && sizeOk && off + size <= memSize) return true;
  switch (reg.type) {
    case "PTR_TO_MAP_KEY":
      env.verbose(`invalid access to map key, key_size=${memSize} off=${off} size=${size}\n`);
      break;
    case "PTR_TO_MAP_VALUE":
      env.verbose(`invalid access to map value, value_size=${memSize} off=${off} size=${size}\n`);
      break;
    case "PTR_TO_PACKET":
    case "PTR_TO_PACKET_META":
    case "PTR_TO_PACKET_END":
      env.verbose(`invalid access to packet, off=${off} size=${size}, ${argName}(id=${reg.id},off=${off},r=${memSize})\n`);
      break;
    case "PTR_TO_CTX":
      env.verbose(`invalid access to context, ctx_size=${memSize} off=${off} size=${size}\n`);
      break;
    default:
      env.verbose(`invalid access to memory, mem_size=${memSize >>> 0} off=${off} size=${size}\n`);
  }
  return false;
}

/** kernel: __check_mem_access used directly (constant offsets, e.g. packet ranges). */
export function checkMemAccessBounds(env: VerifierEnv, reg: RegState, argName: string, off: number, size: number, memSize: number, zeroSizeAllowed: boolean): void {
  if (!memAccessOk(env, reg, argName, off, size, memSize, zeroSizeAllowed)) reject(env, "EACCES", "");
}

/** kernel: check_mem_region_access */
export function checkMemRegionAccess(env: VerifierEnv, reg: RegState, argName: string, off: number, size: number, memSize: number, zeroSizeAllowed: boolean): void {
  const smin = regSmin(reg);
  if (smin < 0n && (smin === S64_MIN || BigInt(off) + smin !== BigInt(asInt(BigInt(off) + smin)) || smin + BigInt(off) < 0n)) {
    reject(env, "EACCES", `${argName} min value is negative, either use unsigned index or do a if (index >=0) check.\n`);
  }
  if (!memAccessOk(env, reg, argName, asInt(smin + BigInt(off)), size, memSize, zeroSizeAllowed)) {
    reject(env, "EACCES", `${argName} min value is outside of the allowed memory range\n`);
  }
  const umax = regUmax(reg);
  if (umax >= BigInt(BPF_MAX_VAR_OFF)) {
    reject(env, "EACCES", `${argName} unbounded memory access, make sure to bounds check any such access\n`);
  }
  if (!memAccessOk(env, reg, argName, asInt(umax + BigInt(off)), size, memSize, zeroSizeAllowed)) {
    reject(env, "EACCES", `${argName} max value is outside of the allowed memory range\n`);
  }
}

/** kernel: check_map_access_type */
export function checkMapAccessType(env: VerifierEnv, reg: RegState, off: number, size: number, isWrite: boolean): void {
  const map = reg.map!;
  // The offset is printed only on a rejection: not formatted on every map access.
  const at = (): string => (regSmin(reg) + BigInt(off)).toString();
  if (isWrite && (map.flags & BPF_F_RDONLY_PROG)) {
    reject(env, "EACCES", `write into map forbidden, value_size=${map.valueSize} off=${at()} size=${size}\n`);
  }
  if (!isWrite && (map.flags & BPF_F_WRONLY_PROG)) {
    reject(env, "EACCES", `read from map forbidden, value_size=${map.valueSize} off=${at()} size=${size}\n`);
  }
}

/**
 * kernel: check_map_access — bounds, then the map value's special fields
 * (spin locks, timers, kptrs...: read from the value's BTF by the map layer).
 */
export function checkMapAccess(env: VerifierEnv, reg: RegState, argName: string, off: number, size: number, zeroSizeAllowed: boolean, direct: boolean): void {
  const map = reg.map!;
  checkMemRegionAccess(env, reg, argName, off, size, map.valueSize, zeroSizeAllowed);
  for (const field of env.mapFields(map)) {
    const p = BigInt(field.offset);
    if (regSmin(reg) + BigInt(off) < p + BigInt(field.size) && p < regUmax(reg) + BigInt(off) + BigInt(size)) {
      if (field.kind === "kptr" || field.kind === "percpu_kptr" || field.kind === "uptr") {
        if (!direct) reject(env, "EACCES", `${field.kind} cannot be accessed indirectly by helper\n`);
        if (reg.varOff.mask !== 0n) reject(env, "EACCES", `${field.kind} access cannot have variable offset\n`);
        const at = BigInt(off) + reg.varOff.value;
        if (p !== at) reject(env, "EACCES", `${field.kind} access misaligned expected=${field.offset} off=${at}\n`);
        if (size !== 8) reject(env, "EACCES", `${field.kind} access size must be BPF_DW\n`);
      } else {
        reject(env, "EACCES", `${field.kind} cannot be accessed directly by load/store\n`);
      }
    }
  }
}
