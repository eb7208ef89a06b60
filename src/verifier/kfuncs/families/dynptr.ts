// Dynptrs as kfunc arguments: a 16-byte bpf_dynptr on the stack (two
// STACK_DYNPTR slots, or a CONST_PTR_TO_DYNPTR from a callback/global
// subprog). Constructors (`__uninit`) build one, ringbuf/file ones through an
// intermediate reference; other kfuncs need an initialized one (of a given
// type for some); bpf_dynptr_file_discard releases one; slices are memory
// whose parent is the dynptr.
// kernel: process_dynptr_func, mark_stack_slots_dynptr, unmark_stack_slots_dynptr,
//         destroy_if_dynptr_stack_slot, dynptr_ref_cnt, invalidate_dynptr,
//         is_dynptr_reg_valid_uninit/_init, is_dynptr_type_expected,
//         check_kfunc_args (KF_ARG_PTR_TO_DYNPTR), check_special_kfunc (dynptr slices)
import type { VerifierEnv } from "../../env.js";
import type { DynptrType, FuncState, RegState } from "../../state/types.js";
import { BPF_REG_SIZE, STACK_DYNPTR } from "../../state/types.js";
import {
  DYNPTR_TYPE_FILE, DYNPTR_TYPE_LOCAL, DYNPTR_TYPE_RINGBUF, DYNPTR_TYPE_SKB, DYNPTR_TYPE_SKB_META, DYNPTR_TYPE_XDP, MEM_RDONLY,
} from "../../state/reg-type.js";
import { markRegKnownZero } from "../../state/reg.js";
import { checkMemAccess } from "../../memory/access.js";
import { reject, Reject } from "../../reject.js";
import { verifierBug } from "../../bug.js";
import type { KfuncArgProto } from "../../../kernel/kfuncs/argKinds.js";
import type { KfuncCallMeta } from "../meta.js";
import { isSpecial } from "../meta.js";
import { acquireReference, forEachRegInVstate, releaseReference } from "../refs.js";
import { EINVAL, stackSlotObjGetSpi } from "./iter.js";

const BPF_DYNPTR_NR_SLOTS = 2;

/** kernel: get_dynptr_type_flag */
export const DYNPTR_TYPE_FLAG: Record<DynptrType, number> = {
  BPF_DYNPTR_TYPE_INVALID: 0,
  BPF_DYNPTR_TYPE_LOCAL: DYNPTR_TYPE_LOCAL,
  BPF_DYNPTR_TYPE_RINGBUF: DYNPTR_TYPE_RINGBUF,
  BPF_DYNPTR_TYPE_SKB: DYNPTR_TYPE_SKB,
  BPF_DYNPTR_TYPE_XDP: DYNPTR_TYPE_XDP,
  BPF_DYNPTR_TYPE_SKB_META: DYNPTR_TYPE_SKB_META,
  BPF_DYNPTR_TYPE_FILE: DYNPTR_TYPE_FILE,
};

/** kernel: dynptr_type_str */
const DYNPTR_TYPE_STR: Record<DynptrType, string> = {
  BPF_DYNPTR_TYPE_INVALID: "<invalid>", BPF_DYNPTR_TYPE_LOCAL: "local", BPF_DYNPTR_TYPE_RINGBUF: "ringbuf",
  BPF_DYNPTR_TYPE_SKB: "skb", BPF_DYNPTR_TYPE_XDP: "xdp", BPF_DYNPTR_TYPE_SKB_META: "skb_meta", BPF_DYNPTR_TYPE_FILE: "file",
};

/** kernel: dynptr_type_referenced */
function referencedType(t: DynptrType): boolean {
  return t === "BPF_DYNPTR_TYPE_RINGBUF" || t === "BPF_DYNPTR_TYPE_FILE";
}

/** The ARG_PTR_TO_DYNPTR variant a kfunc parameter stands for (kernel: dynptr_arg_type in check_kfunc_args). */
export interface DynptrArgType {
  readonly uninit: boolean;
  readonly release: boolean;
  /** null: any type (plain ARG_PTR_TO_DYNPTR). */
  readonly type: DynptrType | null;
}

export function kfuncDynptrArgType(env: VerifierEnv, meta: KfuncCallMeta, a: KfuncArgProto): DynptrArgType {
  const uninit = a.annotations.includes("__uninit");
  let type: DynptrType | null = null;
  let release = false;
  if (isSpecial(meta, "KF_bpf_dynptr_from_skb")) type = "BPF_DYNPTR_TYPE_SKB";
  else if (isSpecial(meta, "KF_bpf_dynptr_from_xdp")) type = "BPF_DYNPTR_TYPE_XDP";
  else if (isSpecial(meta, "KF_bpf_dynptr_from_skb_meta")) type = "BPF_DYNPTR_TYPE_SKB_META";
  else if (isSpecial(meta, "KF_bpf_dynptr_from_file")) type = "BPF_DYNPTR_TYPE_FILE";
  else if (isSpecial(meta, "KF_bpf_dynptr_file_discard")) {
    type = "BPF_DYNPTR_TYPE_FILE";
    release = true;
  } else if (isSpecial(meta, "KF_bpf_dynptr_clone") && uninit) {
    if (meta.dynptr.type === "BPF_DYNPTR_TYPE_INVALID") verifierBug(env, "no dynptr type for parent of clone");
    type = meta.dynptr.type;
  }
  return { uninit, release, type };
}

/**
 * What process_dynptr_func reads and writes of a call's meta (helpers and
 * kfuncs alike): the initialized dynptr argument, and the referenced object a
 * constructor hangs its dynptr off (kernel: struct bpf_dynptr_desc, ref_obj_desc).
 */
export type DynptrCallMeta = Pick<KfuncCallMeta, "dynptr" | "refObj">;

const DYNPTR_TYPE_FLAG_MASK = Object.values(DYNPTR_TYPE_FLAG).reduce((a, f) => a | f, 0);

/**
 * kernel: arg_to_dynptr_type — the type an argument's DYNPTR_TYPE_* flag names;
 * null when it has none (plain ARG_PTR_TO_DYNPTR: any type), invalid for a mix.
 */
export function dynptrTypeOfFlags(flags: number): DynptrType | null {
  const masked = flags & DYNPTR_TYPE_FLAG_MASK;
  if (masked === 0) return null;
  const hit = (Object.entries(DYNPTR_TYPE_FLAG) as [DynptrType, number][]).find(([, f]) => f === masked);
  return hit ? hit[0] : "BPF_DYNPTR_TYPE_INVALID";
}

/** kernel: dynptr_ref_cnt — dynptrs sharing the virtual reference `parentId`. */
function dynptrRefCnt(env: VerifierEnv, parentId: number): number {
  let n = 0;
  forEachRegInVstate(env.curState, 1 << STACK_DYNPTR, (reg, slot) => {
    if (slot && slot.slotType[0] === STACK_DYNPTR && reg.dynptrFirstSlot && reg.parentId === parentId) n++;
  });
  return n;
}

/** kernel: destroy_if_dynptr_stack_slot */
export function destroyIfDynptrStackSlot(env: VerifierEnv, f: FuncState, spiIn: number): void {
  let spi = spiIn;
  if (f.stack[spi]!.slotType[0] !== STACK_DYNPTR) return;
  if (!f.stack[spi]!.spilledPtr.dynptrFirstSlot) spi = spi + 1;
  const first = f.stack[spi]!.spilledPtr;
  if (referencedType(first.dynptrType) && dynptrRefCnt(env, first.parentId) <= 1) {
    reject(env, "EINVAL", "cannot overwrite referenced dynptr\n");
  }
  releaseReference(env, first.id);
  env.markStackSlotScratched(spi);
  env.markStackSlotScratched(spi - 1);
}

/** kernel: mark_stack_slots_dynptr */
function markStackSlotsDynptr(env: VerifierEnv, meta: DynptrCallMeta, reg: RegState, type: DynptrType | null, insnIdx: number): void {
  const f = env.curState.frame[reg.frameno]!;
  const spi = stackSlotObjGetSpi(env, reg, "dynptr", BPF_DYNPTR_NR_SLOTS);
  if (spi < 0) throw new Reject(spi === EINVAL ? "EINVAL" : "ERANGE");
  destroyIfDynptrStackSlot(env, f, spi);
  destroyIfDynptrStackSlot(env, f, spi - 1);
  for (let i = 0; i < BPF_REG_SIZE; i++) {
    f.stack[spi]!.slotType[i] = STACK_DYNPTR;
    f.stack[spi - 1]!.slotType[i] = STACK_DYNPTR;
  }
  if (type === null || type === "BPF_DYNPTR_TYPE_INVALID") throw new Reject("EINVAL");
  let parentId: number;
  if (meta.dynptr.type === "BPF_DYNPTR_TYPE_INVALID") {
    // a constructor: the dynptr hangs off the referenced object it was built from
    if (meta.refObj.cnt > 1) verifierBug(env, `function expects only one referenced object but got ${meta.refObj.cnt}\n`);
    parentId = meta.refObj.id;
    if (referencedType(type)) parentId = acquireReference(env, insnIdx, parentId);
  } else {
    parentId = meta.dynptr.parentId; // bpf_dynptr_clone
  }
  const id = ++env.idGen;
  for (const [s, first] of [[f.stack[spi]!, true], [f.stack[spi - 1]!, false]] as const) {
    const r = s.spilledPtr;
    markRegKnownZero(r);
    r.type = "CONST_PTR_TO_DYNPTR";
    r.flags = 0;
    r.id = id;
    r.parentId = parentId;
    r.dynptrType = type;
    r.dynptrFirstSlot = first;
  }
}

/** kernel: process_dynptr_func (meta->dynptr is recorded for an initialized one). */
export function processDynptrFunc(env: VerifierEnv, meta: DynptrCallMeta, reg: RegState, arg: string, insnIdx: number, at: DynptrArgType): void {
  if (reg.type !== "PTR_TO_STACK" && reg.type !== "CONST_PTR_TO_DYNPTR") {
    reject(env, "EINVAL", `${arg} expected pointer to stack or const struct bpf_dynptr\n`);
  }
  const konst = reg.type === "CONST_PTR_TO_DYNPTR";
  if (at.uninit) {
    // kernel: is_dynptr_reg_valid_uninit (an existing unreferenced dynptr may be overwritten)
    const ok = !konst && stackSlotObjGetSpi(env, reg, "dynptr", BPF_DYNPTR_NR_SLOTS) !== EINVAL;
    if (!ok) reject(env, "EINVAL", "Dynptr has to be an uninitialized dynptr\n");
    for (let i = 0; i < 16; i += 8) checkMemAccess(env, insnIdx, reg, arg, i, 8, true, -1, false, false);
    markStackSlotsDynptr(env, meta, reg, at.type, insnIdx);
    return;
  }
  if (konst && at.release) reject(env, "EINVAL", "CONST_PTR_TO_DYNPTR cannot be released\n");
  const f = env.curState.frame[reg.frameno]!;
  let slotReg = reg;
  if (!konst) {
    // kernel: is_dynptr_reg_valid_init
    const spi = stackSlotObjGetSpi(env, reg, "dynptr", BPF_DYNPTR_NR_SLOTS);
    const valid = spi >= 0 && f.stack[spi]!.spilledPtr.dynptrFirstSlot &&
      !f.stack[spi]!.slotType.some((t) => t !== STACK_DYNPTR) && !f.stack[spi - 1]!.slotType.some((t) => t !== STACK_DYNPTR);
    if (!valid) reject(env, "EINVAL", `Expected an initialized dynptr as ${arg}\n`);
    slotReg = f.stack[spi]!.spilledPtr;
  }
  if (at.type !== null && slotReg.dynptrType !== at.type) {
    reject(env, "EINVAL", `Expected a dynptr of type ${DYNPTR_TYPE_STR[at.type]} as ${arg}\n`);
  }
  if (!konst) {
    const spi = stackSlotObjGetSpi(env, reg, "dynptr", BPF_DYNPTR_NR_SLOTS);
    env.markStackSlotScratched(spi);
    env.markStackSlotScratched(spi - 1);
  }
  meta.dynptr = { type: slotReg.dynptrType, id: slotReg.id, parentId: slotReg.parentId };
}

/** kernel: unmark_stack_slots_dynptr (release_reg of a dynptr argument) */
export function unmarkStackSlotsDynptr(env: VerifierEnv, reg: RegState): void {
  const spi = stackSlotObjGetSpi(env, reg, "dynptr", BPF_DYNPTR_NR_SLOTS);
  if (spi < 0) throw new Reject(spi === EINVAL ? "EINVAL" : "ERANGE");
  const first = env.curState.frame[reg.frameno]!.stack[spi]!.spilledPtr;
  releaseReference(env, referencedType(first.dynptrType) ? first.parentId : first.id);
}

/** kernel: check_special_kfunc, bpf_dynptr_slice / bpf_dynptr_slice_rdwr */
export function markDynptrSliceReturn(env: VerifierEnv, meta: KfuncCallMeta, r0: RegState): void {
  markRegKnownZero(r0);
  if (!meta.argConstant.found) verifierBug(env, "bpf_dynptr_slice(_rdwr) no constant size");
  r0.memSize = Number(meta.argConstant.value);
  r0.type = "PTR_TO_MEM";
  r0.flags = DYNPTR_TYPE_FLAG[meta.dynptr.type];
  if (isSpecial(meta, "KF_bpf_dynptr_slice")) r0.flags |= MEM_RDONLY;
  else if (!env.mayAccessDirectPktData(true)) reject(env, "EINVAL", "the prog does not allow writes to packet data\n");
  if (!meta.dynptr.id) verifierBug(env, "no dynptr id");
  r0.parentId = meta.dynptr.id;
}
