// The verifier's abstract machine state, as Linux 7.2 keeps it.
// kernel: include/linux/bpf_verifier.h (bpf_reg_state, bpf_stack_state,
// bpf_func_state, bpf_verifier_state, bpf_reference_state)
//
// Plain data, copied on branch push. The kernel keeps the per-pointer-kind
// payload in a C union chosen by `type`; here the payload fields sit side by
// side and are reset together whenever the kernel would memset the union.
import type { Tnum, Cnum } from "./scalar-bridge.js";
import type { MapInfo } from "../input.js";
import type { BaseRegType } from "./reg-type.js";

/** An opaque handle on a BTF object (vmlinux, a module, or the program's own). */
export interface BtfRef {
  readonly name: string;
}

export type DynptrType = "BPF_DYNPTR_TYPE_INVALID" | "BPF_DYNPTR_TYPE_LOCAL" | "BPF_DYNPTR_TYPE_RINGBUF"
  | "BPF_DYNPTR_TYPE_SKB" | "BPF_DYNPTR_TYPE_XDP" | "BPF_DYNPTR_TYPE_SKB_META" | "BPF_DYNPTR_TYPE_FILE";

export type IterState = "BPF_ITER_STATE_INVALID" | "BPF_ITER_STATE_ACTIVE" | "BPF_ITER_STATE_DRAINED";

/** The linked-scalar id bits (BPF_ADD_CONST64/32) live in the top of `id`, as in the kernel. */
export const BPF_ADD_CONST64 = 0x80000000;
export const BPF_ADD_CONST32 = 0x40000000;
export const BPF_ADD_CONST = BPF_ADD_CONST64 | BPF_ADD_CONST32;

/** subreg_def value meaning "the whole 64 bits were written". */
export const DEF_NOT_SUBREG = 0;

export interface RegState {
  type: BaseRegType;
  /** bpf_type_flag modifiers (see reg-type.ts). */
  flags: number;
  /** Constant delta between linked scalars sharing an id (and the fixed part printed as off= for pointers). */
  delta: number;

  // --- the kernel's union, by pointer kind ---
  /** PTR_TO_PACKET*: bytes known to be accessible. */
  range: number;
  /** CONST_PTR_TO_MAP, PTR_TO_MAP_VALUE, PTR_TO_MAP_KEY, PTR_TO_INSN. */
  map: MapInfo | null;
  mapUid: number;
  /** PTR_TO_BTF_ID (and iterator slots). */
  btf: BtfRef | null;
  btfId: number;
  /** PTR_TO_MEM, PTR_TO_BUF. */
  memSize: number;
  /** STACK_DYNPTR slots and CONST_PTR_TO_DYNPTR. */
  dynptrType: DynptrType;
  dynptrFirstSlot: boolean;
  /** STACK_ITER slots. */
  iterState: IterState;
  iterDepth: number;
  /** STACK_IRQ_FLAG slots: IRQ_NATIVE_KFUNC / IRQ_LOCK_KFUNC. */
  irqKfuncClass: 0 | 1;
  /** PTR_TO_FUNC. */
  subprogno: number;

  // --- value knowledge ---
  /** Scalar value, or the variable part of a pointer's offset. */
  varOff: Tnum;
  r64: Cnum;
  r32: Cnum;

  id: number;
  parentId: number;
  frameno: number;
  /** Index+1 of the insn that last wrote only the low 32 bits; DEF_NOT_SUBREG otherwise. */
  subregDef: number;
  precise: boolean;
}

export const STACK_INVALID = 0;
export const STACK_SPILL = 1;
export const STACK_MISC = 2;
export const STACK_ZERO = 3;
export const STACK_DYNPTR = 4;
export const STACK_ITER = 5;
export const STACK_IRQ_FLAG = 6;
export const STACK_POISON = 7;
export type StackSlotType = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

export const BPF_REG_SIZE = 8;
export const MAX_BPF_STACK = 512;
export const MAX_CALL_FRAMES = 16;
/** R0-R10; R11 (BPF_REG_PARAMS) is never a real register in the state. */
export const MAX_BPF_REG = 11;
export const BPF_REG_FP = 10;

export interface StackSlot {
  spilledPtr: RegState;
  /** slot_type[0..7]; index 7 is the byte at the lowest address's... as the kernel indexes it. */
  slotType: StackSlotType[];
}

export interface RetvalRange {
  minval: number;
  maxval: number;
  return32bit: boolean;
}

export interface FuncState {
  regs: RegState[];
  callsite: number;
  frameno: number;
  subprogno: number;
  asyncEntryCnt: number;
  callbackRetRange: RetvalRange;
  inCallbackFn: boolean;
  inAsyncCallbackFn: boolean;
  inExceptionCallbackFn: boolean;
  noStackArgLoad: boolean;
  callbackDepth: number;
  insnsSubtotal: number;
  /** stack[i] covers bytes [fp-8*(i+1), fp-8*i). */
  stack: StackSlot[];
  allocatedStack: number;
  outStackArgCnt: number;
  stackArgRegs: RegState[];
}

export type RefType = "REF_TYPE_PTR" | "REF_TYPE_IRQ" | "REF_TYPE_LOCK" | "REF_TYPE_RES_LOCK" | "REF_TYPE_RES_LOCK_IRQ";

export interface RefState {
  type: RefType;
  id: number;
  insnIdx: number;
  /** REF_TYPE_PTR: the parent reference; locks: identity of the lock object. */
  parentId: number;
  ptr: unknown;
}

export interface JmpHistoryEntry {
  idx: number;
  prevIdx: number;
  frame: number;
  spi: number;
  flags: number;
  linkedRegs: bigint;
}

export interface VerifierState {
  frame: FuncState[];
  parent: VerifierState | null;
  refs: RefState[];
  branches: number;
  insnIdx: number;
  curframe: number;
  activeLocks: number;
  activePreemptLocks: number;
  activeIrqId: number;
  activeLockId: number;
  activeLockPtr: unknown;
  activeRcuLocks: number;
  speculative: boolean;
  inSleepable: boolean;
  firstInsnIdx: number;
  lastInsnIdx: number;
  equalState: VerifierState | null;
  jmpHistory: JmpHistoryEntry[];
  dfsDepth: number;
  callbackUnrollDepth: number;
  mayGotoDepth: number;
}
