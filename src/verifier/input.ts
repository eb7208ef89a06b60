// What the verifier is handed: the kernel's view of one BPF_PROG_LOAD.
// The loader produces it from an object file (as libbpf would pass it to
// bpf(BPF_PROG_LOAD)); tests can build one directly from insns.
import type { RawInsn } from "../isa/raw.js";

/** A map as the kernel sees it after BPF_MAP_CREATE (struct bpf_map). */
export interface MapInfo {
  /** attr.map_name: what the log prints as map=NAME (at most 15 chars). */
  name: string;
  /** Kernel enum name, e.g. "BPF_MAP_TYPE_HASH". */
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** Value type in the object's BTF (for special fields: spin lock, kptrs, timers...). */
  btfValueTypeId?: number;
  btfKeyTypeId?: number;
  /** For map-in-map: the inner map template. */
  inner?: MapInfo;
  /** INSN_ARRAY (gotox jump tables): the instruction offsets it holds. */
  insnOffsets?: number[];
  /** Frozen by libbpf before the load (.rodata, .kconfig): contents are constants. */
  frozen?: boolean;
  /** Initial contents (global data sections), for constant reads of frozen maps. */
  initialValue?: Uint8Array;
}

export interface FuncInfo {
  insnOff: number;
  /** FUNC type id in the program's BTF. */
  typeId: number;
}

export interface LineInfo {
  insnOff: number;
  fileName: string;
  /** The source line text (what the kernel prints after "; "). */
  line: string;
  lineNum: number;
  lineCol: number;
}

export interface VerifierInput {
  /** Program name as passed (the kernel keeps 15 chars; the log uses subprog names from BTF). */
  name: string;
  /** Kernel enum name of the program type, e.g. "BPF_PROG_TYPE_SOCKET_FILTER". */
  progType: string;
  /** Kernel enum name of expected_attach_type, e.g. "BPF_TRACE_FENTRY"; "" when 0. */
  expectedAttachType: string;
  /** Attach target name for tracing/lsm/struct_ops/ext programs. */
  attachTo?: string;
  /** The module whose BTF holds the attach target (attach_btf_obj_fd, as libbpf found it); absent: vmlinux. */
  attachBtfModule?: string;
  /**
   * struct_ops programs: the struct_ops type libbpf attached the program to
   * (attach_btf_id), the member index it passes as expected_attach_type, and
   * the module whose BTF holds the type (null: vmlinux).
   */
  structOps?: { typeName: string; member: string; memberIdx: number; module: string | null };
  /** BPF_PROG_LOAD prog_flags (BPF_F_*). */
  progFlags: number;
  sleepable: boolean;
  gplCompatible: boolean;
  insns: RawInsn[];
  /** Maps referenced by ld_imm64: imm (src 5/6) or the resolved fd index (src 1/2) indexes this array. */
  maps: MapInfo[];
  funcInfo: FuncInfo[];
  lineInfo: LineInfo[];
}

// BPF_PROG_LOAD prog_flags bits (include/uapi/linux/bpf.h).
export const BPF_F_STRICT_ALIGNMENT = 1 << 0;
export const BPF_F_ANY_ALIGNMENT = 1 << 1;
export const BPF_F_TEST_RND_HI32 = 1 << 2;
export const BPF_F_TEST_STATE_FREQ = 1 << 3;
export const BPF_F_SLEEPABLE = 1 << 4;
export const BPF_F_XDP_HAS_FRAGS = 1 << 5;
export const BPF_F_XDP_DEV_BOUND_ONLY = 1 << 6;
export const BPF_F_TEST_REG_INVARIANTS = 1 << 7;
