// Open-coded iterators: the iterator state lives in STACK_ITER slots of the
// caller's stack; `_new` initializes them (and acquires a reference),
// `_destroy` releases them, `_next` forks the path into "another element"
// (ACTIVE, depth+1, R0 non-NULL) and "drained" (R0 = 0).
// kernel: process_iter_arg, mark_stack_slots_iter, unmark_stack_slots_iter,
//         is_iter_reg_valid_uninit, is_iter_reg_valid_init, stack_slot_obj_get_spi,
//         btf_check_iter_arg, process_iter_next_call
import { skipModsAndTypedefs } from "../../../btf/index.js";
import type { VerifierEnv } from "../../env.js";
import type { FuncState, RegState } from "../../state/types.js";
import { BPF_REG_SIZE, STACK_INVALID, STACK_ITER } from "../../state/types.js";
import { MEM_RCU, PTR_MAYBE_NULL, PTR_UNTRUSTED } from "../../state/reg-type.js";
import { markRegConstZero, markRegKnownZero, markRegNotInit } from "../../state/reg.js";
import { tnumIsConst } from "../../state/scalar-bridge.js";
import { checkMemAccess } from "../../memory/access.js";
import { pushStack } from "../../explore/branches.js";
import { reject, Reject } from "../../reject.js";
import { verifierBug } from "../../bug.js";
import type { KfuncCallMeta } from "../meta.js";
import { hasFlag } from "../meta.js";
import { acquireReference, inRcuCs, releaseReference } from "../refs.js";

/** stackSlotObjGetSpi: outside the allocated stack (the caller decides). */
export const ERANGE = -1;
/** stackSlotObjGetSpi: a bad offset, already reported in the log. */
export const EINVAL = -2;

/**
 * kernel: stack_slot_obj_get_spi — the first slot's index, or ERANGE/EINVAL.
 * The kernel prints the offset complaint and lets its caller add its own line.
 */
export function stackSlotObjGetSpi(env: VerifierEnv, reg: RegState, objKind: string, nrSlots: number): number {
  if (!tnumIsConst(reg.varOff)) {
    env.verbose(`${objKind} has to be at a constant offset\n`);
    return EINVAL;
  }
  const off = Number(BigInt.asIntN(64, reg.varOff.value));
  const spi = (-off - 1) / BPF_REG_SIZE | 0;
  if (off >= 0 || off % BPF_REG_SIZE || spi + 1 < nrSlots) {
    env.verbose(`cannot pass in ${objKind} at an offset=${off}\n`);
    return EINVAL;
  }
  const f = env.curState.frame[reg.frameno]!;
  if (!(spi - nrSlots + 1 >= 0 && spi < f.allocatedStack / BPF_REG_SIZE)) return ERANGE;
  return spi;
}

/** kernel: btf_check_iter_arg — the `struct bpf_iter_*` the argument points to, or -1. */
function iterArgBtfId(meta: KfuncCallMeta, argIdx: number): number {
  const p = meta.proto.args[argIdx];
  if (!p) return -1;
  const t = skipModsAndTypedefs(meta.btf, p.typeId);
  if (meta.btf.kind(t) !== "PTR") return -1;
  const s = skipModsAndTypedefs(meta.btf, meta.btf.sizeOrType(t));
  if (meta.btf.kind(s) !== "STRUCT" || !meta.btf.typeName(s).startsWith("bpf_iter_")) return -1;
  return s;
}

/** kernel: iter_type_str */
function iterTypeStr(meta: KfuncCallMeta, btfId: number): string {
  return meta.btf.typeName(btfId).slice("bpf_iter_".length);
}

function slotsAre(f: FuncState, spi: number, nr: number, pred: (t: number) => boolean): boolean {
  for (let i = 0; i < nr; i++) if (!f.stack[spi - i]!.slotType.every(pred)) return false;
  return true;
}

/** kernel: process_iter_arg */
export function processIterArg(env: VerifierEnv, meta: KfuncCallMeta, reg: RegState, arg: string, argIdx: number, insnIdx: number): void {
  if (reg.type !== "PTR_TO_STACK") reject(env, "EINVAL", `${arg} expected pointer to an iterator on stack\n`);
  const btfId = iterArgBtfId(meta, argIdx);
  if (btfId < 0) reject(env, "EINVAL", `expected valid iter pointer as ${arg}\n`);
  const nrSlots = meta.btf.sizeOrType(btfId) / BPF_REG_SIZE;
  const f = env.curState.frame[reg.frameno]!;
  if (hasFlag(meta, "KF_ITER_NEW")) {
    // kernel: is_iter_reg_valid_uninit
    const spi0 = stackSlotObjGetSpi(env, reg, "iter", nrSlots);
    if (spi0 === EINVAL || (spi0 !== ERANGE && !slotsAre(f, spi0, nrSlots, (t) => t !== STACK_ITER))) {
      reject(env, "EINVAL", `expected uninitialized iter_${iterTypeStr(meta, btfId)} as ${arg}\n`);
    }
    for (let i = 0; i < nrSlots * 8; i += BPF_REG_SIZE) checkMemAccess(env, insnIdx, reg, arg, i, 8, true, -1, false, false);
    markStackSlotsIter(env, meta, reg, insnIdx, btfId, nrSlots);
    return;
  }
  // kernel: is_iter_reg_valid_init
  const spi = stackSlotObjGetSpi(env, reg, "iter", nrSlots);
  let err = spi < 0 ? "EINVAL" : "";
  for (let i = 0; !err && i < nrSlots; i++) {
    const s = f.stack[spi - i]!.spilledPtr;
    if (s.flags & PTR_UNTRUSTED) err = "EPROTO";
    else if ((i === 0 && !s.id) || (i !== 0 && s.id) || s.btf !== meta.btfRef || s.btfId !== btfId) err = "EINVAL";
    else if (!f.stack[spi - i]!.slotType.every((t) => t === STACK_ITER)) err = "EINVAL";
  }
  if (err === "EINVAL") reject(env, "EINVAL", `expected an initialized iter_${iterTypeStr(meta, btfId)} as ${arg}\n`);
  if (err === "EPROTO") {
    env.verbose(`expected an RCU CS when using ${meta.name}\n`);
    throw new Reject("EINVAL");
  }
  for (let i = 0; i < nrSlots; i++) env.markStackSlotScratched(spi - i);
  meta.iter = { spi, frameno: reg.frameno };
  const first = f.stack[spi]!.spilledPtr;
  meta.refObj = { id: first.id, parentId: first.parentId, cnt: meta.refObj.cnt + 1 };
  if (hasFlag(meta, "KF_ITER_DESTROY")) unmarkStackSlotsIter(env, f, spi, nrSlots);
}

/** kernel: mark_stack_slots_iter */
function markStackSlotsIter(env: VerifierEnv, meta: KfuncCallMeta, reg: RegState, insnIdx: number, btfId: number, nrSlots: number): void {
  const spi = stackSlotObjGetSpi(env, reg, "iter", nrSlots);
  if (spi < 0) return verifierBug(env, "iterator slots outside the stack after the write check");
  const f = env.curState.frame[reg.frameno]!;
  const id = acquireReference(env, insnIdx, 0);
  for (let i = 0; i < nrSlots; i++) {
    const slot = f.stack[spi - i]!;
    const st = slot.spilledPtr;
    markRegKnownZero(st);
    st.type = "PTR_TO_STACK";
    st.flags = 0;
    if (hasFlag(meta, "KF_RCU_PROTECTED")) st.flags = inRcuCs(env) ? MEM_RCU : PTR_UNTRUSTED;
    st.id = i === 0 ? id : 0;
    st.btf = meta.btfRef;
    st.btfId = btfId;
    st.iterState = "BPF_ITER_STATE_ACTIVE";
    st.iterDepth = 0;
    for (let j = 0; j < BPF_REG_SIZE; j++) slot.slotType[j] = STACK_ITER;
    env.markStackSlotScratched(spi - i);
  }
}

/** kernel: unmark_stack_slots_iter */
function unmarkStackSlotsIter(env: VerifierEnv, f: FuncState, spi: number, nrSlots: number): void {
  for (let i = 0; i < nrSlots; i++) {
    const slot = f.stack[spi - i]!;
    if (i === 0) releaseReference(env, slot.spilledPtr.id);
    markRegNotInit(slot.spilledPtr, env.bpfCapable);
    for (let j = 0; j < BPF_REG_SIZE; j++) slot.slotType[j] = STACK_INVALID;
    env.markStackSlotScratched(spi - i);
  }
}

/** kernel: get_iter_from_state */
export function iterOf(env: VerifierEnv, meta: KfuncCallMeta, st = env.curState): RegState {
  if (!meta.iter) return verifierBug(env, `kfunc ${meta.name}: no iterator argument`);
  return st.frame[meta.iter.frameno]!.stack[meta.iter.spi]!.spilledPtr;
}

/** kernel: process_iter_next_call */
export function processIterNextCall(env: VerifierEnv, meta: KfuncCallMeta, insnIdx: number): void {
  const cur = env.curState;
  const it = iterOf(env, meta);
  if (it.iterState !== "BPF_ITER_STATE_ACTIVE" && it.iterState !== "BPF_ITER_STATE_DRAINED") {
    verifierBug(env, `unexpected iterator state ${it.iterState === "BPF_ITER_STATE_INVALID" ? 0 : 3} (<unknown>)`);
  }
  if (it.iterState === "BPF_ITER_STATE_ACTIVE") {
    // the forced checkpoint at iter_next is the parent state (is_state_visited)
    if (!cur.parent || cur.parent.insnIdx !== insnIdx || cur.parent.curframe !== cur.curframe ||
      cur.parent.frame.some((fr, i) => i <= cur.curframe && fr.callsite !== cur.frame[i]!.callsite)) {
      verifierBug(env, "bad parent state for iter next call");
    }
    const prev = env.findPrevEntry(cur.parent, insnIdx);
    const queued = pushStack(env, insnIdx + 1, insnIdx, false);
    const qit = iterOf(env, meta, queued);
    qit.iterState = "BPF_ITER_STATE_ACTIVE";
    qit.iterDepth++;
    if (prev) env.widenImpreciseScalars(prev, queued);
    // kernel: mark_ptr_not_null_reg (R0 is a PTR_TO_BTF_ID or PTR_TO_MEM here)
    queued.frame[queued.curframe]!.regs[0]!.flags &= ~PTR_MAYBE_NULL;
  }
  it.iterState = "BPF_ITER_STATE_DRAINED";
  markRegConstZero(cur.frame[cur.curframe]!.regs[0]!, env.bpfCapable);
}

/** kernel: the MEM_RCU of an iterator-next result whose constructor ran inside an RCU section. */
export function iterIsRcu(env: VerifierEnv, meta: KfuncCallMeta): boolean {
  return (iterOf(env, meta).flags & MEM_RCU) !== 0;
}
