// Data the pre-passes produce and the main walk consumes: the per-insn aux
// side table (the pre-pass part of struct bpf_insn_aux_data), the subprog
// table (struct bpf_subprog_info), the facts the passes need from the
// target profile, and the rejection shape.
// kernel: include/linux/bpf_verifier.h
import type { RawInsn } from "../../isa/raw.js";

export type Errno = "EINVAL" | "EACCES" | "EPERM" | "E2BIG" | "EFAULT" | "ENOTSUPP" | "EPROTO" | "ENOENT" | "ENOMEM" | "EBADF" | "ERANGE" | "EEXIST";

/**
 * A pass rejected the program. `message` is the kernel's log text, newline
 * included; when the kernel precedes it with verbose_linfo(env, idx, "%d: ", idx)
 * calls, `linfoBefore` lists those insn indexes in order (the caller owns the
 * prev_linfo state, so it prints them).
 */
export interface CfgReject {
  errno: Errno;
  message: string;
  linfoBefore?: number[];
}

/** The pre-pass fields of struct bpf_insn_aux_data; the walk adds its own. */
export interface InsnAux {
  /** kernel: orig_idx */
  origIdx: number;
  /** kernel: prune_point — is_state_visited() is tried here. */
  prunePoint: boolean;
  /** kernel: jmp_point — a jmp history entry is pushed when reached. */
  jmpPoint: boolean;
  /** kernel: force_checkpoint — always save a checkpoint here. */
  forceCheckpoint: boolean;
  /** kernel: calls_callback — sync callback-calling helper/kfunc. */
  callsCallback: boolean;
  /** kernel: jump_target — some jump or call edge lands here. */
  jumpTarget: boolean;
  /**
   * kernel: jt — explicit successor list overriding the opcode's own:
   * the gotox jump table, or [t+1, exit_idx] for tail calls and ld_abs/ind.
   */
  jt: number[] | undefined;
  /** kernel: scc — CFG strongly connected component, 0 when a trivial singleton. */
  scc: number;
  /** kernel: live_regs_before — bit r set when Rr may be read later. */
  liveRegsBefore: number;
  /** kernel: const_reg_mask — R0-R9 that hold a known constant fitting in u32. */
  constRegMask: number;
  /** kernel: const_reg_map_mask — registers holding a map pointer (value = map index). */
  constRegMapMask: number;
  /** kernel: const_reg_subprog_mask — registers holding a subprog pointer (value = subprog number). */
  constRegSubprogMask: number;
  /** kernel: const_reg_vals — u32 values for the registers in the three masks. */
  constRegVals: number[];
  /** kernel: map_index — for map ld_imm64: index into VerifierInput.maps. */
  mapIndex: number | undefined;
  /** kernel: map_off — for BPF_PSEUDO_MAP_[IDX_]VALUE: the offset into the value. */
  mapOff: number | undefined;
  /** kernel: ptr_type set to PTR_TO_FUNC for BPF_PSEUDO_FUNC ld_imm64. */
  isPseudoFuncLoad: boolean;
  /** kernel: fastcall_pattern — stx/ldx belonging to a bpf_fastcall spill/fill pattern. */
  fastcallPattern: boolean;
  /** kernel: fastcall_spills_num — number of spill/fill pairs around this call. */
  fastcallSpillsNum: number;
}

export function newInsnAux(idx: number): InsnAux {
  return {
    origIdx: idx,
    prunePoint: false,
    jmpPoint: false,
    forceCheckpoint: false,
    callsCallback: false,
    jumpTarget: false,
    jt: undefined,
    scc: 0,
    liveRegsBefore: 0,
    constRegMask: 0,
    constRegMapMask: 0,
    constRegSubprogMask: 0,
    constRegVals: new Array<number>(10).fill(0),
    mapIndex: undefined,
    mapOff: undefined,
    isPseudoFuncLoad: false,
    fastcallPattern: false,
    fastcallSpillsNum: 0,
  };
}

/** The pre-pass fields of struct bpf_subprog_info. */
export interface SubprogInfo {
  start: number;
  /** Index into CfgData.postorder where this subprog's insns start. */
  postorderStart: number;
  /** One BPF_EXIT of the subprog (the last seen), used for abnormal returns. */
  exitIdx: number;
  hasTailCall: boolean;
  tailCallReachable: boolean;
  hasLdAbs: boolean;
  isCb: boolean;
  isAsyncCb: boolean;
  isExceptionCb: boolean;
  changesPktData: boolean;
  mightSleep: boolean;
  mightThrow: boolean;
  /** kernel: fastcall_stack_off — lowest offset of fastcall spill slots (<= 0). */
  fastcallStackOff: number;
  keepFastcallStack: boolean;
}

export function newSubprogInfo(start: number): SubprogInfo {
  return {
    start,
    postorderStart: 0,
    exitIdx: 0,
    hasTailCall: false,
    tailCallReachable: false,
    hasLdAbs: false,
    isCb: false,
    isAsyncCb: false,
    isExceptionCb: false,
    changesPktData: false,
    mightSleep: false,
    mightThrow: false,
    fastcallStackOff: 0,
    keepFastcallStack: false,
  };
}

/**
 * What the passes need to know about a helper (from its bpf_func_proto and
 * bpf_helper_changes_pkt_data). Undefined from the lookup = unknown id
 * (bpf_get_helper_proto fails; the walk reports it later).
 */
export interface HelperFacts {
  /** The uapi name without bpf_ ("loop", "map_lookup_elem"): callback helpers are found by it. */
  name?: string;
  mightSleep: boolean;
  changesPktData: boolean;
  /** Arguments before the first ARG_DONTCARE. */
  numParams: number;
  /** ret_type == RET_VOID */
  isVoid: boolean;
  /** allow_fastcall and inlined by the verifier or the JIT. */
  fastcall: boolean;
  /**
   * The proto's arg1_type.. up to the first ARG_DONTCARE, aliases expanded
   * (ARG_PTR_TO_UNINIT_MEM = ARG_PTR_TO_MEM + MEM_UNINIT...). Without it the
   * stack liveness pass assumes unknown accesses.
   */
  args?: readonly HelperArg[];
}

/** One helper argument type, as the stack liveness pass needs it. */
export interface HelperArg {
  /** base_type(): "ARG_PTR_TO_MEM", "ARG_CONST_MAP_PTR", "ARG_CONST_SIZE", ... */
  base: string;
  /** MEM_UNINIT: the helper writes the buffer without reading it. */
  memUninit: boolean;
  /** MEM_FIXED_SIZE: the size is `size` (the proto's arg_size[]). */
  memFixedSize: boolean;
  size?: number;
}

/** One kfunc parameter, as the stack liveness pass needs it (from BTF). */
export interface KfuncParam {
  isPtr: boolean;
  /** Points to struct bpf_dynptr. */
  dynptr: boolean;
  /** This parameter's name ends in __sz or __szk (it sizes the previous one). */
  isSize: boolean;
  /** __uninit suffix. */
  uninit: boolean;
  /** btf_resolve_size of the pointee; undefined when it has no size (void...). */
  pointeeSize?: number;
}

/** What the passes need about a kfunc (from bpf_fetch_kfunc_arg_meta). */
export interface KfuncFacts {
  isIterNext: boolean;
  sleepable: boolean;
  pktChanging: boolean;
  /** bpf_throw */
  isThrow: boolean;
  numParams: number;
  isVoid: boolean;
  /** KF_FASTCALL */
  fastcall: boolean;
  /** KF_ITER_NEW: arg 0 is initialised, not read. */
  iterNew?: boolean;
  /** BTF parameters; without them the stack liveness pass assumes unknown accesses. */
  params?: readonly KfuncParam[];
}

/** Inputs from the target profile, BTF and the log wiring. All optional for tests. */
export interface PrePassOptions {
  /** CAP_BPF: without it, calls and back-edges are refused. Default true. */
  bpfCapable?: boolean;
  helper?: (imm: number) => HelperFacts | undefined;
  kfunc?: (imm: number, off: number) => KfuncFacts | undefined;
  /** kernel: bpf_is_sync_callback_calling_insn */
  isSyncCallbackCalling?: (insn: RawInsn) => boolean;
  /** kernel: bpf_is_async_callback_calling_insn */
  isAsyncCallbackCalling?: (insn: RawInsn) => boolean;
  /** kernel: bpf_add_kfunc_call — its checks and messages; undefined = accepted. */
  addKfuncCall?: (imm: number, off: number) => CfgReject | undefined;
  /**
   * kernel: bpf_find_exception_callback_insn_off — 0 when the main subprog has
   * no exception_callback: decl tag, else the callback's insn_off or a rejection.
   */
  exceptionCallbackInsnOff?: () => number | CfgReject;
  /** kernel: bpf_subprog_is_global — BTF_FUNC_GLOBAL linkage in func_info. */
  isGlobal?: (subprog: number) => boolean;
  /** kernel: subprog_name — the func_info BTF name of subprog i ("" without func_info). */
  subprogName?: (subprog: number) => string;
  /**
   * kernel: bpf_map_direct_read on a read-only map (.rodata): the bytes at
   * [off, off+size) of map `mapIndex` as an unsigned (or, signExtend, a
   * sign-extended) 64-bit value; undefined when the map is not frozen
   * read-only or cannot be read directly.
   */
  readOnlyMapValue?: (mapIndex: number, off: number, size: number, signExtend: boolean) => bigint | undefined;
  /** kernel: check_map_prog_compatibility, run when a map is first used. */
  checkMapProgCompatibility?: (mapIndex: number) => CfgReject | undefined;
  /** kernel: check_pseudo_btf_id for BPF_PSEUDO_BTF_ID ld_imm64 (ksyms). */
  checkPseudoBtfId?: (insnIdx: number) => CfgReject | undefined;
  /** kernel: bpf_verbose_insn — one insn as print_bpf_insn prints it, with its "\n". */
  printInsn?: (insns: readonly RawInsn[], idx: number) => string;
}

/**
 * The shared state the passes read and fill, in the kernel's env layout:
 * `subprogs` has `subprogCnt + 1` entries, the last a sentinel whose start is
 * the insn count (and whose postorderStart ends the postorder), so
 * `subprogs[i + 1].start` is always subprog i's end.
 */
export interface CfgEnv {
  /** The program; bpf_prune_dead_branches rewrites entries in place. */
  insns: RawInsn[];
  aux: InsnAux[];
  subprogs: SubprogInfo[];
  subprogCnt: number;
  /** kernel: exception_callback_subprog (0 = none) */
  exceptionCallbackSubprog: number;
  /** kernel: cfg.insn_postorder, subprog by subprog. */
  postorder: number[];
  /** kernel: scc_cnt (number of SCC ids + 1) */
  sccCnt: number;
  /** kernel: subprog_topo_order — callees before callers. */
  topoOrder: number[];
  opts: PrePassOptions;
  /** INSN_ARRAY maps' instruction offsets (env->insn_array_maps) for gotox. */
  insnArrays: number[][];
  maps: readonly CfgMap[];
  /** kernel: used_maps — input map indexes in first-use order. */
  usedMaps: number[];
}

/** What the passes read of a map. */
export interface CfgMap {
  type: string;
  keySize?: number;
  valueSize: number;
  inner?: { keySize: number; valueSize: number };
}
