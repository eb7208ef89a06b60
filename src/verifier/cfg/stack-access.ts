// How many stack bytes a helper/kfunc argument reads or writes, and the
// 128-bit half-slot masks the stack liveness pass keeps.
// kernel: bpf_helper_stack_access_bytes, bpf_kfunc_stack_access_bytes
// (verifier.c); spis_t (include/linux/bpf_verifier.h)
import type { RawInsn } from "../../isa/raw.js";
import type { CfgEnv } from "./types.js";

/** kernel: S64_MIN returned for "unknown access". */
export const ACCESS_UNKNOWN = null;
export type AccessBytes = number | typeof ACCESS_UNKNOWN;

const MAX_BPF_STACK = 512;
/** kernel: BPF_DYNPTR_SIZE = sizeof(struct bpf_dynptr_kern) */
const BPF_DYNPTR_SIZE = 16;

/** 4-byte half slots of the 512-byte stack (spis_t): bit 2*spi is the low half of fp-8*(spi+1). */
export type Spis = bigint;
export const SPIS_ZERO = 0n;
export const SPIS_ALL = (1n << 128n) - 1n;
export const STACK_SLOTS = 128;
export const STACK_SLOT_SZ = 4;

export function spisRange(lo: number, hi: number): Spis {
  let m = 0n;
  for (let w = lo; w <= hi && w < STACK_SLOTS; w++) m |= 1n << BigInt(w);
  return m;
}
export const spisTest = (s: Spis, bit: number): boolean => ((s >> BigInt(bit)) & 1n) === 1n;

/**
 * kernel: bpf_helper_stack_access_bytes — >0 read of N bytes, <0 write of
 * -N bytes, 0 no access, null unknown.
 */
export function helperStackAccessBytes(env: CfgEnv, insn: RawInsn, arg: number, idx: number): AccessBytes {
  const fn = env.opts.helper?.(insn.imm);
  if (!fn?.args) return ACCESS_UNKNOWN;
  const at = fn.args[arg];
  if (!at) return ACCESS_UNKNOWN;
  const aux = env.aux[idx]!;
  let size: number;
  switch (at.base) {
    case "ARG_PTR_TO_MAP_KEY":
    case "ARG_PTR_TO_MAP_VALUE": {
      const isKey = at.base === "ARG_PTR_TO_MAP_KEY";
      const sizeOf = (m: { keySize?: number; valueSize: number }) => (isKey ? m.keySize ?? 0 : m.valueSize);
      const i = fn.args.slice(0, arg).findIndex((a) => a.base === "ARG_CONST_MAP_PTR");
      const mapReg = i + 1;
      if (i >= 0 && aux.constRegMapMask & (1 << mapReg) && env.maps[aux.constRegVals[mapReg]!]) {
        size = sizeOf(env.maps[aux.constRegVals[mapReg]!]!);
        break;
      }
      // The map differs across merged paths: the largest key/value of any used map.
      let val = 0;
      for (const mi of env.usedMaps) {
        const m = env.maps[mi]!;
        val = Math.max(val, sizeOf(m));
        if (m.inner) val = Math.max(val, sizeOf(m.inner));
      }
      if (!val) return ACCESS_UNKNOWN;
      size = val;
      break;
    }
    case "ARG_PTR_TO_MEM": {
      if (at.memFixedSize) {
        size = at.size ?? 0;
        break;
      }
      const next = fn.args[arg + 1];
      if (next && (next.base === "ARG_CONST_SIZE" || next.base === "ARG_CONST_SIZE_OR_ZERO")) {
        const sizeReg = arg + 2;
        if (aux.constRegMask & (1 << sizeReg)) {
          size = aux.constRegVals[sizeReg]! >>> 0;
          break;
        }
        // Constant on each path but different ones: the whole stack bounds reads.
        return at.memUninit ? 0 : MAX_BPF_STACK;
      }
      return ACCESS_UNKNOWN;
    }
    case "ARG_PTR_TO_DYNPTR":
      size = BPF_DYNPTR_SIZE;
      break;
    case "ARG_PTR_TO_STACK":
      // Callback context: the callback's own analysis sees the accesses.
      return 0;
    default:
      return ACCESS_UNKNOWN;
  }
  return at.memUninit ? -size : size;
}

/** kernel: bpf_kfunc_stack_access_bytes */
export function kfuncStackAccessBytes(env: CfgEnv, insn: RawInsn, arg: number, idx: number): AccessBytes {
  const k = env.opts.kfunc?.(insn.imm, insn.off);
  if (!k?.params) return ACCESS_UNKNOWN;
  const nargs = k.params.length;
  if (arg >= nargs) return 0;
  const p = k.params[arg]!;
  if (!p.isPtr) return 0;
  let size: number;
  const next = k.params[arg + 1];
  if (p.dynptr) {
    size = BPF_DYNPTR_SIZE;
  } else if (arg + 1 < nargs && next?.isSize) {
    const sizeReg = arg + 2;
    const aux = env.aux[idx]!;
    if (!(aux.constRegMask & (1 << sizeReg))) return MAX_BPF_STACK;
    size = aux.constRegVals[sizeReg]! >>> 0;
  } else if (p.pointeeSize !== undefined) {
    size = p.pointeeSize;
  } else {
    return ACCESS_UNKNOWN;
  }
  if (arg === 0 && k.iterNew) return -size;
  if (p.uninit) return -size;
  return size;
}
