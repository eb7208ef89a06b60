// The graph kfuncs: linked lists and rbtrees of program-allocated objects.
// A root (bpf_list_head / bpf_rb_root) lives in a map value or a local object
// next to the bpf_spin_lock that must be held to touch it; a node is a field of
// a local object of the struct the root's `__contains(...)` tag names. Pushing
// an owning reference turns it into a non-owning one (valid until the unlock);
// kfuncs returning a node return a pointer to the containing struct.
// One argument kind = one function here: its selection rule is the catalog's
// (argKinds.ts), its register checks and messages are below.
// kernel: check_kfunc_args (LIST_HEAD/LIST_NODE/RB_ROOT/RB_NODE/REFCOUNTED_KPTR arms),
//         __process_kf_arg_ptr_to_graph_root/node, check_reg_allocation_locked,
//         ref_set_non_owning, ref_convert_owning_non_owning, mark_reg_graph_node,
//         in_rbtree_lock_required_cb, reg_btf_record
import type { VerifierEnv } from "../../env.js";
import type { RegState } from "../../state/types.js";
import { STACK_SPILL } from "../../state/types.js";
import { curFrame } from "../../state/func.js";
import { markRegKnown } from "../../state/reg.js";
import { MEM_ALLOC, MEM_RCU, NON_OWN_REF } from "../../state/reg-type.js";
import { tnumIsConst } from "../../state/scalar-bridge.js";
import { btfStructIdsMatch, skipModsAndTypedefs } from "../../../btf/index.js";
import { reject } from "../../reject.js";
import { verifierBug } from "../../bug.js";
import { notModelled } from "../../not-modelled.js";
import { recordOf } from "../../maprec/index.js";
import type { BtfRecord, BtfFieldType } from "../../maprec/record.js";
import { findLockState } from "../../maprec/spin-lock.js";
import { graphRootOf, localStructRecord, type GraphRoot } from "../../maprec/local.js";
import type { KfuncArgProto } from "../../../kernel/kfuncs/argKinds.js";
import type { KfuncCallMeta } from "../meta.js";
import { btfOfAnyRef, isSpecial, PROG_BTF_REF } from "../meta.js";
import { forEachRegInVstate, regIsReferenced } from "../refs.js";

// kernel: is_bpf_list_push_kfunc, is_bpf_list_api_kfunc, is_bpf_rbtree_add_kfunc, is_bpf_rbtree_api_kfunc
export const LIST_PUSH = ["KF_bpf_list_push_front", "KF_bpf_list_push_front_impl", "KF_bpf_list_push_back", "KF_bpf_list_push_back_impl", "KF_bpf_list_add"];
const LIST_API = [...LIST_PUSH, "KF_bpf_list_pop_front", "KF_bpf_list_pop_back", "KF_bpf_list_del", "KF_bpf_list_front", "KF_bpf_list_back",
  "KF_bpf_list_is_first", "KF_bpf_list_is_last", "KF_bpf_list_empty"];
export const RBTREE_ADD = ["KF_bpf_rbtree_add", "KF_bpf_rbtree_add_impl"];
/** kernel: is_bpf_rbtree_api_kfunc (= is_rbtree_lock_required_kfunc) */
export const RBTREE_API = [...RBTREE_ADD, "KF_bpf_rbtree_remove", "KF_bpf_rbtree_first", "KF_bpf_rbtree_root", "KF_bpf_rbtree_left", "KF_bpf_rbtree_right"];
export const REFCOUNT_ACQUIRE = ["KF_bpf_refcount_acquire", "KF_bpf_refcount_acquire_impl"];

// kernel: check_kfunc_is_graph_node_api
const LIST_NODE_API = [...LIST_PUSH, "KF_bpf_list_del", "KF_bpf_list_is_first", "KF_bpf_list_is_last"];
const RB_NODE_API = [...RBTREE_ADD, "KF_bpf_rbtree_remove", "KF_bpf_rbtree_left", "KF_bpf_rbtree_right"];

const LOCK_MASK = ["REF_TYPE_LOCK", "REF_TYPE_RES_LOCK", "REF_TYPE_RES_LOCK_IRQ"] as const;

/** kernel: type_is_ptr_alloc_obj */
export function isPtrAllocObj(reg: RegState): boolean {
  return reg.type === "PTR_TO_BTF_ID" && (reg.flags & MEM_ALLOC) !== 0;
}

/** kernel: type_is_non_owning_ref */
export function isNonOwningRef(reg: RegState): boolean {
  return isPtrAllocObj(reg) && (reg.flags & NON_OWN_REF) !== 0;
}

/** kernel: reg_btf_record — a map value's record, or a local object's struct meta. */
export function regBtfRecord(env: VerifierEnv, reg: RegState): BtfRecord | null {
  if (reg.type === "PTR_TO_MAP_VALUE" && reg.flags === 0) return reg.map ? recordOf(env, reg.map) : null;
  if (!isPtrAllocObj(reg)) return null;
  const btf = btfOfAnyRef(env, reg.btf);
  return btf ? localStructRecord(btf, reg.btfId) : null;
}

/** kernel: reg_find_field_offset + btf_parse_graph_root's node offset for roots. */
function rootAt(env: VerifierEnv, rec: BtfRecord | null, off: number, type: BtfFieldType): GraphRoot | null | undefined {
  const field = rec?.fields.find((f) => f.type === type && f.offset === off);
  if (!field) return undefined;
  const btf = env.progBtf;
  return btf ? graphRootOf(btf, field) : null;
}

/** kernel: ref_set_non_owning */
export function refSetNonOwning(env: VerifierEnv, reg: RegState): void {
  if (!env.curState.activeLocks) verifierBug(env, "ref_set_non_owning w/o active lock");
  if (reg.flags & NON_OWN_REF) verifierBug(env, "NON_OWN_REF already set");
  reg.flags |= NON_OWN_REF;
  if ((regBtfRecord(env, reg)?.refcountOff ?? -1) >= 0) reg.flags |= MEM_RCU;
}

/** kernel: ref_convert_owning_non_owning — the pushed node stays readable, without its reference. */
export function refConvertOwningNonOwning(env: VerifierEnv, id: number): void {
  const st = env.curState;
  const i = st.refs.findIndex((r) => r.type === "REF_TYPE_PTR" && r.id === id);
  if (i >= 0) st.refs.splice(i, 1);
  forEachRegInVstate(st, 1 << STACK_SPILL, (reg) => {
    if (reg.id !== id) return;
    reg.id = 0;
    refSetNonOwning(env, reg);
  });
}

/** kernel: mark_reg_graph_node — a pointer to the struct holding the node, at the node's offset. */
export function markRegGraphNode(reg: RegState, root: GraphRoot): void {
  markRegKnown(reg, BigInt(root.nodeOffset));
  reg.type = "PTR_TO_BTF_ID";
  reg.flags = MEM_ALLOC;
  reg.btf = PROG_BTF_REF;
  reg.btfId = root.valueTypeId;
}

/** kernel: in_rbtree_lock_required_cb — some frame is an rbtree kfunc's callback. */
export function inRbtreeLockRequiredCb(env: VerifierEnv): boolean {
  const st = env.curState;
  const target = env.kfuncTarget;
  if (!target) return false;
  const ids = RBTREE_API.map((s) => target.profile.specialKfuncId(s));
  for (let f = st.curframe; f > 0; f--) {
    const callee = st.frame[f]!;
    if (!callee.inCallbackFn) continue;
    const insn = env.insns[callee.callsite];
    if (insn && ids.includes(insn.imm)) return true;
  }
  return false;
}

/** kernel: check_reg_allocation_locked — 0: held; else why not (null: no lock at all). */
function allocationLocked(env: VerifierEnv, reg: RegState): boolean {
  const ptr: unknown = reg.type === "PTR_TO_MAP_VALUE" ? reg.map : reg.btf;
  if (!env.curState.activeLocks) return false;
  if (!findLockState(env.curState, LOCK_MASK, reg.id, ptr)) {
    env.verbose("held lock and object are not in the same allocation\n");
    return false;
  }
  return true;
}

/** kernel: the root arms (KF_ARG_PTR_TO_LIST_HEAD / KF_ARG_PTR_TO_RB_ROOT) + __process_kf_arg_ptr_to_graph_root */
export function checkGraphRootArg(env: VerifierEnv, meta: KfuncCallMeta, reg: RegState, arg: string, type: "BPF_LIST_HEAD" | "BPF_RB_ROOT"): void {
  const alloc = reg.type === "PTR_TO_BTF_ID" && reg.flags === MEM_ALLOC;
  if (!(reg.type === "PTR_TO_MAP_VALUE" && reg.flags === 0) && !alloc) {
    reject(env, "EINVAL", `${arg} expected pointer to map value or allocated object\n`);
  }
  if (alloc && !regIsReferenced(env, reg)) reject(env, "EINVAL", "allocated object must be referenced\n");
  if (!meta.isVmlinux) verifierBug(env, "unexpected btf mismatch in kfunc call");
  const name = type === "BPF_LIST_HEAD" ? "bpf_list_head" : "bpf_rb_root";
  if (!isSpecial(meta, ...(type === "BPF_LIST_HEAD" ? LIST_API : RBTREE_API))) {
    reject(env, "EFAULT", `verifier internal error: ${name} head arg for unknown kfunc\n`);
  }
  if (!tnumIsConst(reg.varOff)) reject(env, "EINVAL", `${arg} doesn't have constant offset. ${name} has to be at the constant offset\n`);
  const rec = regBtfRecord(env, reg);
  const off = Number(BigInt.asUintN(32, reg.varOff.value));
  const root = rootAt(env, rec, off, type);
  if (root === undefined) reject(env, "EINVAL", `${name} not found at offset=${off}\n`);
  if (root === null) return notModelled(`${name} whose __contains node the kernel would refuse`);
  if (!allocationLocked(env, reg)) reject(env, "EINVAL", `bpf_spin_lock at off=${rec!.spinLockOff} must be held for ${name}\n`);
  const slot = type === "BPF_LIST_HEAD" ? "argListHead" : "argRbtreeRoot";
  if (meta[slot]) verifierBug(env, `repeating ${name} arg`);
  meta[slot] = root;
}

/** kernel: the strict part of the node arms — an owning reference to a local object. */
function requireOwningAlloc(env: VerifierEnv, reg: RegState, arg: string): void {
  if (reg.type !== "PTR_TO_BTF_ID" || reg.flags !== MEM_ALLOC) reject(env, "EINVAL", `${arg} expected pointer to allocated object\n`);
  if (!regIsReferenced(env, reg)) reject(env, "EINVAL", "allocated object must be referenced\n");
}

/** kernel: the node arms (KF_ARG_PTR_TO_LIST_NODE / KF_ARG_PTR_TO_RB_NODE) + __process_kf_arg_ptr_to_graph_node */
export function checkGraphNodeArg(env: VerifierEnv, meta: KfuncCallMeta, a: KfuncArgProto, reg: RegState, type: "BPF_LIST_NODE" | "BPF_RB_NODE"): void {
  const arg = a.where;
  if (type === "BPF_LIST_NODE") {
    // bpf_list_add's `prev` may be what bpf_list_front/back returned
    const nonownOk = a.annotations.includes("__nonown_allowed") && isNonOwningRef(reg) && !regIsReferenced(env, reg);
    if (!nonownOk) requireOwningAlloc(env, reg, arg);
  } else if (isSpecial(meta, ...RBTREE_ADD)) {
    requireOwningAlloc(env, reg, arg);
  } else {
    if (!isNonOwningRef(reg) && !regIsReferenced(env, reg)) {
      reject(env, "EINVAL", `${meta.name} can only take non-owning or refcounted bpf_rb_node pointer\n`);
    }
    if (inRbtreeLockRequiredCb(env)) reject(env, "EINVAL", `${meta.name} not allowed in rbtree cb\n`);
  }
  if (!meta.isVmlinux) verifierBug(env, "unexpected btf mismatch in kfunc call");
  const name = type === "BPF_LIST_NODE" ? "bpf_list_node" : "bpf_rb_node";
  if (!isSpecial(meta, ...(type === "BPF_LIST_NODE" ? LIST_NODE_API : RB_NODE_API))) {
    reject(env, "EFAULT", `verifier internal error: ${name} node arg for unknown kfunc\n`);
  }
  if (!tnumIsConst(reg.varOff)) reject(env, "EINVAL", `${arg} doesn't have constant offset. ${name} has to be at the constant offset\n`);
  const off = Number(BigInt.asUintN(32, reg.varOff.value));
  if (!regBtfRecord(env, reg)?.fields.some((f) => f.type === type && f.offset === off)) reject(env, "EINVAL", `${name} not found at offset=${off}\n`);
  const root = type === "BPF_LIST_NODE" ? meta.argListHead : meta.argRbtreeRoot;
  // the catalog puts the root first in every node kfunc
  if (!root) return verifierBug(env, `${name} argument before its root`);
  const btf = env.progBtf!;
  const regBtf = btfOfAnyRef(env, reg.btf);
  const rootName = type === "BPF_LIST_NODE" ? "bpf_list_head" : "bpf_rb_root";
  const valueName = btf.typeName(root.valueTypeId);
  if (!regBtf || !btfStructIdsMatch(regBtf, reg.btfId, 0, btf, root.valueTypeId, true, !(reg.flags & MEM_ALLOC))) {
    reject(env, "EINVAL", `operation on ${rootName} expects arg#1 ${name} at offset=${root.nodeOffset} in struct ${valueName}, ` +
      `but arg is at offset=${off} in struct ${regBtf ? regBtf.typeName(reg.btfId) : ""}\n`);
  }
  meta.argBtf = reg.btf;
  meta.argBtfId = reg.btfId;
  if (off !== root.nodeOffset) {
    reject(env, "EINVAL", `arg#1 offset=${off}, but expected ${name} at offset=${root.nodeOffset} in struct ${valueName}\n`);
  }
}

/** kernel: the KF_ARG_PTR_TO_REFCOUNTED_KPTR arm (bpf_refcount_acquire) */
export function checkRefcountedKptrArg(env: VerifierEnv, meta: KfuncCallMeta, reg: RegState, arg: string): void {
  if (!isPtrAllocObj(reg)) reject(env, "EINVAL", `${arg} is neither owning or non-owning ref\n`);
  if (!isNonOwningRef(reg) && regIsReferenced(env, reg)) meta.argOwningRef = true;
  const rec = regBtfRecord(env, reg);
  if (!rec) verifierBug(env, "Couldn't find btf_record");
  if (rec.refcountOff < 0) reject(env, "EINVAL", `${arg} doesn't point to a type with bpf_refcount field\n`);
  meta.argBtf = reg.btf;
  meta.argBtfId = reg.btfId;
}

/** kernel: check_special_kfunc's refcount_acquire arm — a new owning reference to the same local type. */
export function markRefcountAcquireReturn(meta: KfuncCallMeta, r0: RegState): void {
  markRegKnown(r0, 0n);
  r0.type = "PTR_TO_BTF_ID";
  r0.flags = MEM_ALLOC;
  r0.btf = meta.argBtf;
  r0.btfId = meta.argBtfId;
}

/** kernel: check_special_kfunc's node arms — typed by the root argument. */
export function markGraphNodeReturn(env: VerifierEnv, meta: KfuncCallMeta, r0: RegState): void {
  const btf = meta.btf;
  const t = skipModsAndTypedefs(btf, meta.proto.ret.typeId);
  const pointee = btf.kind(t) === "PTR" ? btf.typeName(skipModsAndTypedefs(btf, btf.sizeOrType(t))) : "";
  const root = pointee === "bpf_list_node" ? meta.argListHead : meta.argRbtreeRoot;
  if (!root) return notModelled(`kfunc ${meta.name} returning a graph node without its root`);
  markRegGraphNode(r0, root);
}

/** kernel: check_kfunc_call — after release: the pushed node becomes non-owning. */
export function graphPushConvert(env: VerifierEnv, meta: KfuncCallMeta): void {
  if (!isSpecial(meta, ...LIST_PUSH, ...RBTREE_ADD)) return;
  refConvertOwningNonOwning(env, curFrame(env.curState).regs[2]!.id);
}

/** kernel: reg_may_point_to_spin_lock */
export function regMayPointToSpinLock(env: VerifierEnv, reg: RegState): boolean {
  const rec = regBtfRecord(env, reg);
  return !!rec && (rec.spinLockOff >= 0 || rec.resSpinLockOff >= 0);
}
