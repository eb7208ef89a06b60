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
import { pseudoBtfVar as pseudoBtfVarOf } from "./btfctx/ksym.js";
import type { BtfRef } from "./state/types.js";
import { notModelled } from "./not-modelled.js";
import { destroyIfDynptrStackSlot } from "./kfuncs/families/dynptr.js";
import { reject } from "./reject.js";
import { regTypeStr } from "./state/reg-type.js";
import { regSmin, tnumIsConst, cnum64FromSRange, cnum32FromSRange } from "./state/scalar-bridge.js";
import { tnumStr } from "./log/print-state.js";
import { checkHelperCall as checkHelperCallImpl, type HelperLookup } from "./calls/helper.js";
import { regBoundsSync } from "./ops/scalar-ops.js";
import { checkAtomic as checkAtomicImpl } from "./ops/atomic.js";
import { checkCtxAccess as ctxCheckCtxAccess, checkSockAccess as ctxCheckSockAccess, markRegS32Range as ctxMarkRegS32Range } from "./ctx/index.js";
import {
  checkPacketAccess as pktCheckPacketAccess, isPktPtrBranchTaken as pktIsPktPtrBranchTaken,
  mayAccessDirectPktData as pktMayAccessDirectPktData, tryMatchPktPointers as pktTryMatchPktPointers,
} from "./packet/index.js";
import { checkBufferAccess as pktCheckBufferAccess, checkFlowKeysAccess as pktCheckFlowKeysAccess, checkTpBufferAccess as pktCheckTpBufferAccess } from "./packet/buffers.js";
import { markChainPrecision as markChainPrecisionImpl, markStackSlotPrecise as markStackSlotPreciseImpl } from "./precision/mark.js";
import { newPrecisionEnv, type PrecisionEnv } from "./precision/bt.js";
import type { StackLiveness } from "./cfg/index.js";
import { checkFuncCall as checkFuncCallImpl, prepareFuncExit as prepareFuncExitImpl } from "./calls/subprog.js";
import type { Btf } from "../btf/btf.js";
import { subprogReturnsVoid as subprogReturnsVoidImpl, type SubprogBtfAux } from "./calls/global.js";
import { findPrevEntry as findPrevEntryImpl, widenImpreciseScalars as widenImpreciseScalarsImpl } from "./control/loop-entry.js";
import { helperCallbackCase, userRingbufMapCompat } from "./control/callbacks.js";
import { checkIndirectJump as checkIndirectJumpImpl } from "./control/gotox.js";
import { checkLdAbs as checkLdAbsImpl } from "./control/ld-abs.js";
import { helperTailCallCase, tailCallMapCompat } from "./control/tail-call.js";
import { checkKfuncCall as checkKfuncCallImpl, kfuncSpinAllowed as kfuncSpinAllowedImpl } from "./kfuncs/call.js";
import type { KfuncTarget } from "./kfuncs/meta.js";
import { isTrustedReg as kfuncIsTrustedReg } from "./kfuncs/refs.js";
import {
  attachReturnType as btfAttachReturnType, attachReturnsVoid as btfAttachReturnsVoid, checkPtrToBtfAccess as btfCheckPtrToBtfAccess,
  checkPtrToMapAccess as btfCheckPtrToMapAccess, lsmRetvalRange as btfLsmRetvalRange, programReturnsVoid as btfProgramReturnsVoid,
} from "./btfctx/index.js";
import { mapFields as maprecFields, mapKptrFieldAt as maprecKptrFieldAt, mapHasField as maprecHasField, type BtfField } from "./maprec/index.js";
import { checkMapKptrAccess as maprecCheckKptrAccess } from "./maprec/kptr.js";
import { DEFAULT_NR_CPU_IDS, GET_RETVAL_RANGE, getRetvalRangeKind, lsmCgroupRetvalRange, setSRange, setURange } from "./helpers/retval.js";
import { mapFuncCompat } from "./helpers/map-compat.js";
import { runHelperSpecialCase } from "./helpers/special.js";
import { BTF_ID_FIXED_OFF_FLAGS } from "./helpers/btf-id.js";
import { checkStackArgRead as stackArgRead, checkStackArgWrite as stackArgWrite } from "./stackargs/index.js";

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
   * On: every scalar counts as precise when states are compared (sound,
   * prunes less, no mark_precise lines). Off: precision/ backtracks marks
   * through the jmp history and parent states as the kernel does.
   */
  readonly precisionConservative = false;
  /** Backtracking masks, the current insn's history entry, SCC visits (precision/). */
  readonly prec: PrecisionEnv = newPrecisionEnv();
  /** Stack slot liveness from the pre-passes, for clean_verifier_state (set by verify()). */
  stackLiveness: StackLiveness | null = null;
  hasArena = false;
  /** The program's BTF (prog->aux->btf) and the kernel's, for subprogram signatures (set by the glue). */
  progBtf: Btf | null = null;
  vmlinuxBtf: () => Btf | null = () => null;
  /** Per subprog: prepared BTF argument kinds and func_info reliability (calls/global.ts). */
  subprogBtf: SubprogBtfAux[] = [];
  /** bpf_loop call sites fit for inlining (kernel: loop_inline_state.fit_for_inline); they grow the stack in the stats. */
  loopInlineFit: (insnIdx: number) => boolean = () => false;
  testRegInvariants = false;
  attachBtfId = 0;
  /** The target kernel's kfuncs and the program's fd_array modules (set by the glue; kfuncs/meta.ts). */
  kfuncTarget: KfuncTarget | null = null;

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

  // ---- precision (kernel: backtrack.c; see precision/mark.ts) ----
  markChainPrecision(regno: number): void {
    if (!this.precisionConservative) markChainPrecisionImpl(this, regno);
  }

  // ---- hooks for rules of later layers ----
  mapFields(map: MapInfo): MapField[] {
    return maprecFields(this, map);
  }
  mapKptrFieldAt(map: MapInfo, off: number): MapField | null {
    return maprecKptrFieldAt(this, map, off);
  }
  checkMapKptrAccess(valueRegno: number, insnIdx: number, field: MapField): void {
    maprecCheckKptrAccess(this, valueRegno, insnIdx, field as BtfField);
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
  mapHasAsyncFields(map: MapInfo): boolean {
    return maprecHasField(this, map, ["BPF_TIMER", "BPF_WORKQUEUE", "BPF_TASK_WORK"]);
  }
  checkCtxAccess(insnIdx: number, reg: RegState, argName: string, off: number, size: number, isWrite: boolean, isLdsx: boolean): CtxAccessInfo {
    return ctxCheckCtxAccess(this, insnIdx, reg, argName, off, size, isWrite, isLdsx);
  }
  markRegS32Range(reg: RegState, min: number, max: number): void {
    ctxMarkRegS32Range(this, reg, min, max);
  }
  /** `helperPktAccess`: the helper prototype's pkt_access when a helper argument is checked (kernel: meta->pkt_access). */
  mayAccessDirectPktData(write: boolean, helperPktAccess?: boolean): boolean {
    return pktMayAccessDirectPktData(this.input.progType, write, helperPktAccess);
  }
  checkPacketAccess(reg: RegState, argName: string, off: number, size: number, zeroSizeAllowed: boolean): void {
    pktCheckPacketAccess(this, reg, argName, off, size, zeroSizeAllowed);
  }
  checkFlowKeysAccess(reg: RegState, argName: string, off: number, size: number): void {
    pktCheckFlowKeysAccess(this, reg, argName, off, size);
  }
  checkSockAccess(_insnIdx: number, reg: RegState, argName: string, off: number, size: number, _isWrite: boolean): void {
    ctxCheckSockAccess(this, reg, argName, off, size);
  }
  checkTpBufferAccess(reg: RegState, argName: string, off: number, size: number): void {
    pktCheckTpBufferAccess(this, reg, argName, off, size);
  }
  checkPtrToBtfAccess(reg: RegState, argName: string, off: number, size: number, isWrite: boolean, valueRegno: number): void {
    btfCheckPtrToBtfAccess(this, reg, argName, off, size, isWrite, valueRegno);
  }
  checkPtrToMapAccess(reg: RegState, argName: string, off: number, size: number, isWrite: boolean, valueRegno: number): void {
    btfCheckPtrToMapAccess(this, reg, argName, off, size, isWrite, valueRegno);
  }
  checkBufferAccess(reg: RegState, argName: string, off: number, size: number, rdonly: boolean): void {
    pktCheckBufferAccess(this, reg, argName, off, size, rdonly);
  }
  destroyDynptrSlot(state: FuncState, spi: number): void {
    destroyIfDynptrStackSlot(this, state, spi);
  }
  isTrustedReg(reg: RegState): boolean {
    return kfuncIsTrustedReg(this, reg);
  }
  isPktPtrBranchTaken(r1: RegState, r2: RegState, op: number): number {
    return pktIsPktPtrBranchTaken(r1, r2, op);
  }
  tryMatchPktPointers(insn: RawInsn, dst: RegState, src: RegState, a: VerifierState, b: VerifierState): boolean {
    return pktTryMatchPktPointers(insn, dst, src, a, b);
  }
  findReferenceState(st: VerifierState, id: number): boolean {
    return st.refs.some((r) => r.id === id);
  }
  releaseReferenceNomark(st: VerifierState, id: number): void {
    const i = st.refs.findIndex((r) => r.id === id);
    if (i >= 0) st.refs.splice(i, 1);
  }
  findPrevEntry(parent: VerifierState | null, idx: number): VerifierState | null {
    return findPrevEntryImpl(this, parent, idx);
  }
  widenImpreciseScalars(prev: VerifierState, cur: VerifierState): void {
    widenImpreciseScalarsImpl(this, prev, cur);
  }
  pseudoBtfVar(insnIdx: number): { type: BaseRegType; flags: number; memSize: number; btf: BtfRef | null; btfId: number } {
    return pseudoBtfVarOf(this, insnIdx);
  }
  checkStackArgRead(off: number, dst: number): void {
    stackArgRead(this, off, dst);
  }
  checkStackArgWrite(off: number, value: RegState | null): void {
    stackArgWrite(this, off, value);
  }
  checkAtomic(insn: RawInsn): void {
    checkAtomicImpl(this, insn);
  }
  checkLdAbs(insn: RawInsn): void {
    checkLdAbsImpl(this, insn);
  }
  kfuncSpinAllowed(imm: number): boolean {
    return kfuncSpinAllowedImpl(this, imm);
  }
  checkFuncCall(insn: RawInsn): InsnResult {
    return checkFuncCallImpl(this, insn);
  }
  checkKfuncCall(insn: RawInsn): InsnResult {
    return checkKfuncCallImpl(this, insn);
  }
  checkHelperCall(insn: RawInsn): InsnResult {
    return checkHelperCallImpl(this, insn);
  }
  /** The helper prototype for this program type (set from the target profile). */
  helperLookup: (funcId: number) => HelperLookup = (id) => notModelled(`helper prototypes (helper #${id})`);

  /** kernel: in_sleepable_context */
  inSleepableContext(): boolean {
    const st = this.curState;
    return !st.activeRcuLocks && !st.activePreemptLocks && !st.activeLocks && !st.activeIrqId && st.inSleepable;
  }
  /** kernel: non_sleepable_context_description */
  nonSleepableContextDescription(): string {
    const st = this.curState;
    if (st.activeRcuLocks) return "rcu_read_lock region";
    if (st.activePreemptLocks) return "non-preemptible region";
    if (st.activeIrqId) return "IRQ-disabled region";
    if (st.activeLocks) return "lock region";
    return "non-sleepable prog";
  }
  /** kernel: check_func_arg_reg_off (helpers: no release args modelled yet). */
  checkFuncArgRegOff(reg: RegState, regno: number, argBase: string): void {
    switch (reg.type) {
      case "PTR_TO_STACK": case "PTR_TO_PACKET": case "PTR_TO_PACKET_META": case "PTR_TO_MAP_KEY": case "PTR_TO_MAP_VALUE":
      case "PTR_TO_MEM": case "PTR_TO_BUF": case "PTR_TO_ARENA": case "SCALAR_VALUE":
        return;
      case "PTR_TO_BTF_ID":
        return this.checkPtrOffReg(reg, `R${regno}`, BTF_ID_FIXED_OFF_FLAGS.has(reg.flags));
      default:
        if (reg.type === "PTR_TO_CTX" && argBase !== "ARG_PTR_TO_CTX" && this.isVarCtxOffAllowed()) return;
        this.checkPtrOffReg(reg, `R${regno}`, false);
    }
  }
  /** kernel: __check_ptr_off_reg */
  checkPtrOffReg(reg: RegState, argName: string, fixedOffOk: boolean): void {
    const t = regTypeStr(reg.type, reg.flags);
    if (!tnumIsConst(reg.varOff)) reject(this, "EACCES", `variable ${t} access var_off=${tnumStr(reg.varOff)} disallowed\n`);
    const v = BigInt.asIntN(64, reg.varOff.value);
    if (regSmin(reg) < 0n) reject(this, "EACCES", `negative offset ${t} ptr ${argName} off=${v} disallowed\n`);
    if (!fixedOffOk && v !== 0n) reject(this, "EACCES", `dereference of modified ${t} ptr ${argName} off=${v} disallowed\n`);
  }
  /** kernel: is_var_ctx_off_allowed (syscall programs) */
  isVarCtxOffAllowed(): boolean {
    return this.input.progType === "BPF_PROG_TYPE_SYSCALL";
  }
  /** kernel: record_func_map (the read-only check; the aux map pointer feeds fixups only). */
  recordFuncMapAndKey(map: MapInfo | null, funcId: number): void {
    const MAP_FUNCS = [12, 1, 2, 3, 87, 88, 89, 164, 51, 195];
    if (!MAP_FUNCS.includes(funcId)) return;
    if (!map) reject(this, "EFAULT", "verifier bug: expected map for helper call\n");
    if ((map.flags & (1 << 7)) && [3, 2, 87, 88].includes(funcId)) reject(this, "EACCES", "write into map forbidden\n");
  }
  /** The per-helper special cases of check_helper_call that need more machinery than modelled yet. */
  helperSpecialCases(funcId: number, subprogno: number): void {
    if (helperCallbackCase(this, funcId, subprogno) || helperTailCallCase(this, funcId)) return;
    const look = this.helperLookup(funcId);
    if ("proto" in look && runHelperSpecialCase(this, look.proto.name)) return;
    // snprintf (dynptr_from_mem, dynptr_write: helpers/dynptr.ts; per_cpu_ptr, this_cpu_ptr: helpers/btf-id.ts;
    // get_func_ip: helpers/special.ts)
    const special: Record<number, string> = {
      165: "bpf_snprintf",
    };
    const name = special[funcId];
    if (name) notModelled(`helper ${name}`);
  }
  mapHasSpinLock(map: MapInfo): boolean {
    return maprecHasField(this, map, ["BPF_SPIN_LOCK", "BPF_RES_SPIN_LOCK"]);
  }
  /** kernel: do_refine_retval_range */
  refineRetvalRange(funcId: number, retBase: string, msizeMax: bigint): void {
    if (retBase !== "RET_INTEGER") return;
    const r0 = this.curState.frame[this.curState.curframe]!.regs[0]!;
    switch (funcId) {
      case 67: case 141: case 45: case 115: case 114:
        r0.r64 = cnum64FromSRange(-4095n, msizeMax);
        r0.r32 = cnum32FromSRange(-4095n, msizeMax);
        regBoundsSync(r0);
        return;
      case 8:
        setURange(r0, 0n, BigInt(DEFAULT_NR_CPU_IDS - 1));
        return;
      case 186: {
        const kind = getRetvalRangeKind(this.input.progType, this.input.expectedAttachType);
        if (kind === "none") return;
        const hook = kind === "lsm" ? lsmCgroupRetvalRange(this) : { minval: Number(GET_RETVAL_RANGE[0]), maxval: Number(GET_RETVAL_RANGE[1]) };
        if (!hook) return;
        setSRange(r0, BigInt(hook.minval), BigInt(hook.maxval));
        return;
      }
      default:
        return;
    }
  }
  /** kernel: check_map_func_compatibility — the plain map types with the generic map helpers. */
  checkMapFuncCompatibility(map: MapInfo | null, funcId: number): void {
    const GENERIC = ["BPF_MAP_TYPE_HASH", "BPF_MAP_TYPE_ARRAY", "BPF_MAP_TYPE_PERCPU_HASH", "BPF_MAP_TYPE_PERCPU_ARRAY",
      "BPF_MAP_TYPE_LRU_HASH", "BPF_MAP_TYPE_LRU_PERCPU_HASH"];
    if (!map) {
      if ([1, 2, 3].includes(funcId)) reject(this, "EFAULT", "verifier bug: expected map for helper call\n");
      return;
    }
    if (GENERIC.includes(map.type) && [1, 2, 3].includes(funcId)) return;
    const fname = (() => { const l = this.helperLookup(funcId); return "proto" in l ? l.proto.name : l.name; })();
    if (tailCallMapCompat(this, map, funcId, fname) || userRingbufMapCompat(this, map, funcId, fname)) return;
    const v = mapFuncCompat(map.type, fname, funcId, this.input.progType, this.input.expectedAttachType);
    if (v.ok) return;
    for (const l of v.logs) this.verbose(l);
    reject(this, "EINVAL", v.error);
  }
  /** Precision for a spilled slot (get_constant_map_key: bt_set_frame_slot + mark_chain_precision_batch). */
  markStackSlotPrecise(frameno: number, spi: number, _regno: number): void {
    if (!this.precisionConservative) markStackSlotPreciseImpl(this, frameno, spi);
  }
  checkIndirectJump(insn: RawInsn): InsnResult {
    return checkIndirectJumpImpl(this, insn);
  }
  prepareFuncExit(): void {
    prepareFuncExitImpl(this);
  }
  programReturnsVoid(): boolean {
    return btfProgramReturnsVoid(this);
  }
  subprogReturnsVoid(subprog: number): boolean {
    return subprogReturnsVoidImpl(this, subprog);
  }
  attachReturnType(): boolean {
    return btfAttachReturnType(this);
  }
  attachReturnsVoid(): boolean {
    return btfAttachReturnsVoid(this);
  }
  lsmRetvalRange(): RetvalRange | null {
    return btfLsmRetvalRange(this);
  }
}
