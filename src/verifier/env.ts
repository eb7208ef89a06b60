// The mutable context of one verification (the kernel's bpf_verifier_env),
// minus what the kernel keeps there only for its own memory management.
// Rules that belong to later layers (ctx layouts per program type, packets,
// BTF objects, kfuncs, atomics...) are reached through methods here that say
// plainly when they are not modelled yet (NotModelled), never a silent accept.
import type { RawInsn } from "../isa/raw.js";
import type { MapInfo, VerifierInput } from "./input.js";
import { BPF_F_ANY_ALIGNMENT, BPF_F_STRICT_ALIGNMENT, BPF_F_TEST_STATE_FREQ } from "./input.js";
import type { VerifierLog } from "./log/vlog.js";
import type { FuncState, RegState, RetvalRange, VerifierState } from "./state/types.js";
import type { BaseRegType } from "./state/reg-type.js";
import type { BtfTypeNamer } from "./log/print-state.js";
import type { InsnAux as CfgInsnAux, SubprogInfo as CfgSubprogInfo, CfgEnv } from "./cfg/index.js";
import type { InsnResult } from "./ops/dispatch.js";
import type { BtfRef } from "./state/types.js";
import { notModelled } from "./not-modelled.js";

/** What the walk adds to the pre-passes' per-insn aux (kernel: bpf_insn_aux_data). */
export interface WalkAux {
  seen: boolean;
  zextDst: boolean;
  /** The pointer type a load/store insn was seen with (save_aux_ptr_type). */
  ptrType: { type: BaseRegType; flags: number } | null;
  nospec: boolean;
  nospecResult: boolean;
  isIterNext: boolean;
}
export type InsnAux = CfgInsnAux & WalkAux;

/** What the walk adds to the pre-passes' subprog info (kernel: bpf_subprog_info). */
export interface SubprogInfo extends CfgSubprogInfo {
  name: string;
  isGlobal: boolean;
  stackDepth: number;
  insnsTotal: number;
  argCnt: number;
  stackArgCnt: number;
  called: boolean;
  verified: boolean;
}

/** A pending branch (kernel: struct bpf_verifier_stack_elem). */
export interface StackElem {
  st: VerifierState;
  insnIdx: number;
  prevInsnIdx: number;
  logPos: number;
}

/** An explored state kept for pruning (kernel: struct bpf_verifier_state_list). */
export interface StateListEntry {
  state: VerifierState;
  missCnt: number;
  hitCnt: number;
  inFreeList: boolean;
}

/** A special field of a map value (kernel: struct btf_field). */
export interface MapField {
  kind: string;
  offset: number;
  size: number;
}

/** What a ctx access resolves to (kernel: struct bpf_insn_access_aux). */
export interface CtxAccessInfo {
  regType: BaseRegType;
  regFlags: number;
  btf?: BtfRef;
  btfId?: number;
  refId?: number;
  retvalRange?: [number, number];
}

export class VerifierEnv {
  readonly input: VerifierInput;
  readonly log: VerifierLog;
  /** The program as verified (pre-passes may have rewritten branches). */
  readonly insns: RawInsn[];
  readonly insnAux: InsnAux[];
  readonly subprogs: SubprogInfo[];
  readonly cfg: CfgEnv;

  // Privileged (root) mode, as test_loader and most users load programs.
  readonly bpfCapable = true;
  readonly allowPtrLeaks = true;
  readonly allowUninitStack = true;
  readonly bypassSpecV1 = true;
  readonly bypassSpecV4 = true;
  readonly strictAlignment: boolean;
  readonly testStateFreq: boolean;
  /**
   * Until precision backtracking lands every scalar counts as precise when
   * states are compared: sound, prunes less (processed counts can be higher).
   */
  readonly precisionConservative = true;
  hasArena = false;
  testRegInvariants = false;
  attachBtfId = 0;

  curState!: VerifierState;
  insnIdx = 0;
  prevInsnIdx = -1;
  idGen = 0;

  insnProcessed = 0;
  prevInsnProcessed = 0;
  jmpsProcessed = 0;
  prevJmpsProcessed = 0;
  totalStates = 0;
  peakStates = 0;
  maxStatesPerInsn = 0;
  exploredStatesSize = 0;
  freeListSize = 0;
  maxStackDepth = 0;
  passCnt = 0;

  branchStack: StackElem[] = [];
  explored: Map<number, StateListEntry[]> = new Map();

  scratchedRegs = 0;
  scratchedStackSlots = 0n;
  prevLogPos = 0;
  prevInsnPrintPos = 0;
  prevLinfoIdx = -1;

  /** Disassembly of insn i as the kernel prints it (set by the caller: isa layer). */
  insnText: (i: number) => string = (i) => notModelled(`disassembly of insn ${i}`);
  btfTypeNamer: BtfTypeNamer = () => "";

  constructor(input: VerifierInput, log: VerifierLog, cfg: CfgEnv, subprogs: SubprogInfo[]) {
    this.input = input;
    this.log = log;
    this.cfg = cfg;
    this.insns = cfg.insns;
    this.insnAux = cfg.aux.map((a) => Object.assign(a, {
      seen: false, zextDst: false, ptrType: null, nospec: false, nospecResult: false, isIterNext: false,
    } satisfies WalkAux));
    this.subprogs = subprogs;
    let strict = !!(input.progFlags & BPF_F_STRICT_ALIGNMENT);
    if (input.progFlags & BPF_F_ANY_ALIGNMENT) strict = false;
    this.strictAlignment = strict;
    this.testStateFreq = !!(input.progFlags & BPF_F_TEST_STATE_FREQ);
  }

  /** kernel: verbose() */
  verbose(s: string): void {
    if (this.log.level !== 0 && s) this.log.write(s);
  }

  markRegScratched(regno: number): void {
    this.scratchedRegs |= 1 << regno;
  }
  markStackSlotScratched(spi: number): void {
    this.scratchedStackSlots |= 1n << BigInt(spi);
  }
  markStateClean(): void {
    this.scratchedRegs = 0;
    this.scratchedStackSlots = 0n;
  }
  markStateScratched(): void {
    this.scratchedRegs = -1;
    this.scratchedStackSlots = (1n << 64n) - 1n;
  }
  get stateScratched(): boolean {
    return this.scratchedRegs !== 0 || this.scratchedStackSlots !== 0n;
  }

  cfgAux(i: number): InsnAux {
    return this.insnAux[i]!;
  }

  /** kernel: bpf_find_subprog — the subprog starting exactly at `off`, or -1. */
  findSubprog(off: number): number {
    return this.subprogs.findIndex((s) => s.start === off);
  }

  // ---- precision (kernel: backtrack.c). Conservative mode: everything counts as precise. ----
  markChainPrecision(_regno: number): void {
    if (!this.precisionConservative) notModelled("precision backtracking");
  }

  // ---- hooks for rules of later layers ----
  mapFields(_map: MapInfo): MapField[] {
    return [];
  }
  mapKptrFieldAt(_map: MapInfo, _off: number): MapField | null {
    return null;
  }
  checkMapKptrAccess(_valueRegno: number, _insnIdx: number, _field: MapField): void {
    notModelled("kptr fields in map values");
  }
  mapIsRdonly(map: MapInfo): boolean {
    // kernel: bpf_map_is_rdonly — BPF_F_RDONLY_PROG and frozen (libbpf freezes .rodata).
    return !!(map.flags & (1 << 7)) && map.frozen === true;
  }
  mapDirectRead(map: MapInfo, off: number, size: number, isLdsx: boolean): bigint {
    if (!map.initialValue) return notModelled(`read-only map contents of ${map.name}`);
    const b = map.initialValue;
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i] ?? 0);
    if (isLdsx) v = BigInt.asIntN(size * 8, v) & ((1n << 64n) - 1n);
    return v;
  }
  mapHasAsyncFields(_map: MapInfo): boolean {
    return false;
  }
  checkCtxAccess(_insnIdx: number, _reg: RegState, _argName: string, off: number, size: number, isWrite: boolean, _isLdsx: boolean): CtxAccessInfo {
    return notModelled(`ctx ${isWrite ? "write" : "read"} of ${this.input.progType} off=${off} size=${size}`);
  }
  markRegS32Range(_reg: RegState, _min: number, _max: number): void {
    notModelled("ctx return-value ranges");
  }
  mayAccessDirectPktData(_write: boolean): boolean {
    return notModelled("direct packet access");
  }
  checkPacketAccess(_reg: RegState, _argName: string, _off: number, _size: number, _zeroSizeAllowed: boolean): void {
    notModelled("direct packet access");
  }
  checkFlowKeysAccess(_reg: RegState, _argName: string, _off: number, _size: number): void {
    notModelled("flow keys access");
  }
  checkSockAccess(_insnIdx: number, _reg: RegState, _argName: string, _off: number, _size: number, _isWrite: boolean): void {
    notModelled("socket access");
  }
  checkTpBufferAccess(_reg: RegState, _argName: string, _off: number, _size: number): void {
    notModelled("tracepoint buffer access");
  }
  checkPtrToBtfAccess(_reg: RegState, _argName: string, _off: number, _size: number, _isWrite: boolean, _valueRegno: number): void {
    notModelled("BTF object access");
  }
  checkPtrToMapAccess(_reg: RegState, _argName: string, _off: number, _size: number, _isWrite: boolean, _valueRegno: number): void {
    notModelled("map object access");
  }
  checkBufferAccess(_reg: RegState, _argName: string, _off: number, _size: number, _rdonly: boolean): void {
    notModelled("PTR_TO_BUF access");
  }
  destroyDynptrSlot(_state: FuncState, _spi: number): void {
    notModelled("dynptr stack slots");
  }
  isTrustedReg(_reg: RegState): boolean {
    return notModelled("trusted BTF pointers");
  }
  isPktPtrBranchTaken(_r1: RegState, _r2: RegState, _op: number): number {
    return notModelled("packet pointer comparisons");
  }
  tryMatchPktPointers(_insn: RawInsn, dst: RegState, src: RegState, _a: VerifierState, _b: VerifierState): boolean {
    const pkt = (r: RegState) => r.type === "PTR_TO_PACKET" || r.type === "PTR_TO_PACKET_META" || r.type === "PTR_TO_PACKET_END";
    if (pkt(dst) || pkt(src)) notModelled("packet pointer comparisons");
    return false;
  }
  findReferenceState(st: VerifierState, id: number): boolean {
    return st.refs.some((r) => r.id === id);
  }
  releaseReferenceNomark(st: VerifierState, id: number): void {
    const i = st.refs.findIndex((r) => r.id === id);
    if (i >= 0) st.refs.splice(i, 1);
  }
  findPrevEntry(_parent: VerifierState | null, _idx: number): VerifierState | null {
    return notModelled("may_goto");
  }
  widenImpreciseScalars(_prev: VerifierState, _cur: VerifierState): void {
    notModelled("may_goto");
  }
  pseudoBtfVar(_insnIdx: number): { type: BaseRegType; flags: number; memSize: number; btf: BtfRef | null; btfId: number } {
    return notModelled("ksym variables (BPF_PSEUDO_BTF_ID)");
  }
  checkStackArgRead(_off: number, _dst: number): void {
    notModelled("stack arguments (R11)");
  }
  checkStackArgWrite(_off: number, _value: RegState | null): void {
    notModelled("stack arguments (R11)");
  }
  checkAtomic(_insn: RawInsn): void {
    notModelled("atomic instructions");
  }
  checkLdAbs(_insn: RawInsn): void {
    notModelled("LD_ABS/LD_IND");
  }
  kfuncSpinAllowed(_imm: number): boolean {
    return notModelled("kfuncs under a spin lock");
  }
  checkFuncCall(_insn: RawInsn): InsnResult {
    return notModelled("BPF-to-BPF calls");
  }
  checkKfuncCall(_insn: RawInsn): InsnResult {
    return notModelled("kfunc calls");
  }
  checkHelperCall(insn: RawInsn): InsnResult {
    return notModelled(`helper call #${insn.imm}`);
  }
  checkIndirectJump(_insn: RawInsn): InsnResult {
    return notModelled("gotox");
  }
  prepareFuncExit(): void {
    notModelled("return from a subprogram");
  }
  programReturnsVoid(): boolean {
    const t = this.input.progType;
    if (t === "BPF_PROG_TYPE_LSM" || t === "BPF_PROG_TYPE_STRUCT_OPS" || t === "BPF_PROG_TYPE_EXT") {
      return notModelled(`return type of ${t} attach targets`);
    }
    return false;
  }
  subprogReturnsVoid(_subprog: number): boolean {
    return notModelled("global subprogram BTF signatures");
  }
  attachReturnType(): boolean {
    return notModelled("struct_ops attach targets");
  }
  attachReturnsVoid(): boolean {
    return notModelled("LSM attach targets");
  }
  lsmRetvalRange(): RetvalRange | null {
    return notModelled("LSM return value ranges");
  }
}
