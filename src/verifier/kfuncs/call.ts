// A kfunc call from admission to R0: flags (sleepable, destructive, RCU,
// preemption), the argument checks, the release of R1 for KF_RELEASE,
// caller-saved clobbering, and the return register (scalar, PTR_TO_MEM of a
// size, trusted/RCU/untrusted PTR_TO_BTF_ID, maybe-NULL, acquired reference).
// kernel: check_kfunc_call, check_special_kfunc (cast_to_kern_ctx, rdonly_cast),
//         release_reg, kfunc_spin_allowed
import type { RawInsn } from "../../isa/raw.js";
import { btfResolveSizeEx, btfTypeStr, skipModsAndTypedefs } from "../../btf/index.js";
import type { VerifierEnv } from "../env.js";
import type { InsnResult } from "../ops/dispatch.js";
import { DEF_NOT_SUBREG } from "../state/types.js";
import { curFrame } from "../state/func.js";
import { markRegKnownZero, markRegNotInit, markRegUnknown } from "../state/reg.js";
import { MEM_RCU, MEM_RDONLY, PTR_MAYBE_NULL, PTR_TRUSTED, PTR_UNTRUSTED } from "../state/reg-type.js";
import { registerIsNull } from "../state/reg-query.js";
import { reject } from "../reject.js";
import { verifierBug } from "../bug.js";
import { notModelled } from "../not-modelled.js";
import type { KfuncCallMeta } from "./meta.js";
import { fetchKfuncArgMeta, hasFlag, isSpecial } from "./meta.js";
import { acquireReference, inRcuCs, invalidateRcuProtectedRefs, regIsReferenced, releaseReference } from "./refs.js";
import { checkKfuncArgs } from "./args.js";
import { MAX_BPF_FUNC_REG_ARGS, invalidateOutgoingStackArgs, noteOutgoingStackArgs } from "../stackargs/index.js";
import { iterIsRcu, processIterNextCall } from "./families/iter.js";
import { checkThrowCookie } from "./families/throw.js";
import { checkObjDropInTracing, markObjNewReturn } from "./families/obj.js";
import { markDynptrSliceReturn, unmarkStackSlotsDynptr } from "./families/dynptr.js";
import { graphPushConvert, inRbtreeLockRequiredCb, markGraphNodeReturn, markRefcountAcquireReturn, refSetNonOwning, regMayPointToSpinLock, REFCOUNT_ACQUIRE } from "./families/graph.js";
import { pushRbtreeAddCallback } from "./families/graph-rbtree.js";
import { markResLockTaken, pushResLockFailure } from "./families/res-lock.js";
import { pushAsyncWorkCallback } from "./families/async-work.js";
import { processBpfExitFull } from "../ops/exit.js";
import { clearAllPktPointers } from "../packet/index.js";

const NEXT: InsnResult = { code: 0, printState: false };
const CALLER_SAVED = [0, 1, 2, 3, 4, 5];

// kernel: is_bpf_graph_api_kfunc, bpf_iter_num_*, is_bpf_res_spin_lock_kfunc,
// is_bpf_arena_kfunc, is_bpf_stream_kfunc: the kfuncs callable under a bpf_spin_lock
const SPIN_ALLOWED_SLOTS = [
  "KF_bpf_list_push_front_impl", "KF_bpf_list_push_back_impl", "KF_bpf_list_push_front", "KF_bpf_list_push_back", "KF_bpf_list_add",
  "KF_bpf_list_pop_front", "KF_bpf_list_pop_back", "KF_bpf_list_del", "KF_bpf_list_front", "KF_bpf_list_back",
  "KF_bpf_list_is_first", "KF_bpf_list_is_last", "KF_bpf_list_empty",
  "KF_bpf_rbtree_add_impl", "KF_bpf_rbtree_add", "KF_bpf_rbtree_remove", "KF_bpf_rbtree_first", "KF_bpf_rbtree_root",
  "KF_bpf_rbtree_left", "KF_bpf_rbtree_right",
  "KF_bpf_refcount_acquire_impl", "KF_bpf_refcount_acquire",
  "KF_bpf_iter_num_new", "KF_bpf_iter_num_next", "KF_bpf_iter_num_destroy",
  "KF_bpf_res_spin_lock", "KF_bpf_res_spin_unlock", "KF_bpf_res_spin_lock_irqsave", "KF_bpf_res_spin_unlock_irqrestore",
  "KF_bpf_arena_alloc_pages", "KF_bpf_arena_free_pages", "KF_bpf_arena_reserve_pages",
  "KF_bpf_stream_vprintk", "KF_bpf_stream_print_stack",
];

/** kernel: kfunc_spin_allowed (vmlinux ids: the caller has already required off == 0). */
export function kfuncSpinAllowed(env: VerifierEnv, imm: number): boolean {
  const target = env.kfuncTarget;
  if (!target) return notModelled("kfunc calls without a target profile");
  return SPIN_ALLOWED_SLOTS.some((s) => target.profile.specialKfuncId(s) === imm);
}

/** kernel: release_reg (no dynptr, no RCU conversion: kfuncs release what R1 refers to). */
function releaseR1(env: VerifierEnv, meta: KfuncCallMeta): void {
  const reg = curFrame(env.curState).regs[1]!;
  if (registerIsNull(reg)) return;
  if (meta.dynptr.id) return unmarkStackSlotsDynptr(env, reg);
  if (!regIsReferenced(env, reg)) reject(env, "EINVAL", "");
  releaseReference(env, reg.id);
}

/** kernel: check_kfunc_call */
export function checkKfuncCall(env: VerifierEnv, insn: RawInsn): InsnResult {
  // kernel: imm == 0 is tolerated here; fixups reject it if it is still reachable
  if (!insn.imm) return NEXT;
  const meta = fetchKfuncArgMeta(env, insn);
  const insnIdx = env.insnIdx;
  env.cfgAux(insnIdx).isIterNext = hasFlag(meta, "KF_ITER_NEXT");
  pushResLockFailure(env, meta);
  if (isSpecial(meta, "KF___bpf_trap")) reject(env, "EFAULT", "unexpected __bpf_trap() due to uninitialized variable?\n");
  // KF_DESTRUCTIVE needs CAP_SYS_BOOT, which the privileged loader has.
  const sleepable = hasFlag(meta, "KF_SLEEPABLE");
  if (sleepable && !env.curState.inSleepable) reject(env, "EACCES", `program must be sleepable to call sleepable kfunc ${meta.name}\n`);

  checkKfuncArgs(env, meta);
  checkObjDropInTracing(env, meta);
  pushRbtreeAddCallback(env, meta, insn, insnIdx);
  pushAsyncWorkCallback(env, meta, insn, insnIdx);

  if (isSpecial(meta, "KF_bpf_session_cookie")) {
    meta.r0Size = 8;
    meta.r0Rdonly = false;
  }
  const st = env.curState;
  if (isSpecial(meta, "KF_bpf_rcu_read_lock")) {
    st.activeRcuLocks++;
  } else if (isSpecial(meta, "KF_bpf_rcu_read_unlock")) {
    if (st.activeRcuLocks === 0) reject(env, "EINVAL", `unmatched rcu read unlock (kernel function ${meta.name})\n`);
    if (--st.activeRcuLocks === 0) invalidateRcuProtectedRefs(env);
  } else if (isSpecial(meta, "KF_bpf_preempt_disable")) {
    st.activePreemptLocks++;
  } else if (isSpecial(meta, "KF_bpf_preempt_enable")) {
    if (st.activePreemptLocks === 0) reject(env, "EINVAL", `unmatched attempt to enable preemption (kernel function ${meta.name})\n`);
    st.activePreemptLocks--;
  }
  if (sleepable && !env.inSleepableContext()) {
    reject(env, "EACCES", `kernel func ${meta.name} is sleepable within ${env.nonSleepableContextDescription()}\n`);
  }
  if (isSpecial(meta, "KF_bpf_rcu_read_lock", "KF_bpf_rcu_read_unlock") && inRbtreeLockRequiredCb(env)) {
    reject(env, "EACCES", "Calling bpf_rcu_read_{lock,unlock} in unnecessary rbtree callback\n");
  }
  if (hasFlag(meta, "KF_RCU_PROTECTED") && !inRcuCs(env)) {
    reject(env, "EACCES", `kernel func ${meta.name} requires RCU critical section protection\n`);
  }
  if (meta.releaseRegno) releaseR1(env, meta);
  graphPushConvert(env, meta);
  const isThrow = isSpecial(meta, "KF_bpf_throw");
  if (isThrow) checkThrowCookie(env);

  const f = curFrame(st);
  for (const r of CALLER_SAVED) {
    markRegNotInit(f.regs[r]!, env.bpfCapable);
    f.regs[r]!.subregDef = DEF_NOT_SUBREG;
  }
  invalidateOutgoingStackArgs(env, f);

  setReturnReg(env, meta, insnIdx);
  // kernel: bpf_is_kfunc_pkt_changing — bpf_xdp_pull_data may move the packet data
  if (isSpecial(meta, "KF_bpf_xdp_pull_data")) clearAllPktPointers(env);
  noteOutgoingStackArgs(env, f.subprogno, meta.proto.args.length - MAX_BPF_FUNC_REG_ARGS);
  if (hasFlag(meta, "KF_ITER_NEXT")) processIterNextCall(env, meta, insnIdx);
  if (isThrow) return processBpfExitFull(env, true);
  return NEXT;
}

/** kernel: check_kfunc_call, "Check return type" */
function setReturnReg(env: VerifierEnv, meta: KfuncCallMeta, insnIdx: number): void {
  const { btf } = meta;
  const r0 = curFrame(env.curState).regs[0]!;
  const ret = meta.proto.ret;
  const t = ret.typeId;
  const tk = btf.kind(t);
  const ptrId = tk === "PTR" ? skipModsAndTypedefs(btf, btf.sizeOrType(t)) : 0;
  const ptrKind = tk === "PTR" ? btf.kind(ptrId) : "UNKN";
  const structPtr = ptrKind === "STRUCT" || ptrKind === "UNION";
  if (hasFlag(meta, "KF_ACQUIRE") && !structPtr &&
    !isSpecial(meta, "KF_bpf_obj_new", "KF_bpf_obj_new_impl", "KF_bpf_percpu_obj_new", "KF_bpf_percpu_obj_new_impl", "KF_bpf_refcount_acquire", "KF_bpf_refcount_acquire_impl")) {
    reject(env, "EINVAL", "acquire kernel function does not return PTR_TO_BTF_ID\n");
  }
  if (tk === "INT" || tk === "ENUM") {
    markRegUnknown(r0, env.bpfCapable);
    markResLockTaken(env, meta, r0);
    // kernel: mark_btf_func_reg_size — a narrower return value is a 32-bit subregister def
    r0.subregDef = btf.sizeOrType(t) === 8 ? DEF_NOT_SUBREG : insnIdx + 1;
    return;
  }
  if (tk !== "PTR") return; // void: R0 stays NOT_INIT
  switch (ret.kind) {
    case "cast_to_kern_ctx":
      markRegKnownZero(r0);
      r0.type = "PTR_TO_BTF_ID";
      r0.flags = PTR_TRUSTED;
      r0.btf = meta.btfRef;
      r0.btfId = meta.retBtfId;
      break;
    case "rdonly_cast": {
      const id = meta.argConstant.value;
      const vml = btf;
      if (id > 0xffffffffn || !vml.hasType(Number(id))) reject(env, "EINVAL", `Unknown type ID ${BigInt.asIntN(64, id)} passed to kfunc bpf_rdonly_cast\n`);
      const k = vml.kind(Number(id));
      markRegKnownZero(r0);
      if (k === "STRUCT" || k === "UNION") {
        r0.type = "PTR_TO_BTF_ID";
        r0.flags = PTR_UNTRUSTED;
        r0.btf = meta.btfRef;
        r0.btfId = Number(id);
      } else if (Number(id) === 0) {
        r0.type = "PTR_TO_MEM";
        r0.flags = MEM_RDONLY | PTR_UNTRUSTED;
        r0.memSize = 0;
      } else {
        reject(env, "EINVAL", "kfunc bpf_rdonly_cast type ID argument must be of a struct or void\n");
      }
      break;
    }
    case "obj_new":
      markObjNewReturn(env, meta, r0);
      break;
    case "refcount_acquire":
      markRefcountAcquireReturn(meta, r0);
      break;
    case "dynptr_slice":
      markDynptrSliceReturn(env, meta, r0);
      break;
    case "graph_node":
      markGraphNodeReturn(env, meta, r0);
      break;
    case "void_ptr_scalar":
      markRegUnknown(r0, env.bpfCapable);
      break;
    case "PTR_TO_BTF_ID": {
      markRegKnownZero(r0);
      r0.type = "PTR_TO_BTF_ID";
      if (isSpecial(meta, "KF_bpf_get_kmem_cache")) r0.flags = PTR_UNTRUSTED;
      else if (hasFlag(meta, "KF_RCU_PROTECTED")) r0.flags = MEM_RCU;
      else if (hasFlag(meta, "KF_ITER_NEXT") && iterIsRcu(env, meta)) r0.flags = MEM_RCU;
      else r0.flags = PTR_TRUSTED;
      r0.btf = meta.btfRef;
      r0.btfId = ptrId;
      break;
    }
    case "session_cookie":
    case "PTR_TO_MEM":
    case "unsupported": {
      if (!meta.r0Size) {
        const sz = btfResolveSizeEx(btf, ptrId);
        if (sz && sz.size) {
          meta.r0Size = sz.size;
          meta.r0Rdonly = true;
        }
      }
      if (!meta.r0Size) {
        reject(env, "EINVAL", `kernel function ${meta.name} returns pointer type ${btfTypeStr(btf, ptrId)} ${btf.typeName(ptrId)} is not supported\n`);
      }
      markRegKnownZero(r0);
      r0.type = "PTR_TO_MEM";
      r0.flags = meta.r0Rdonly ? MEM_RDONLY : 0;
      r0.memSize = meta.r0Size;
      if (meta.refObj.id) {
        if (meta.refObj.cnt > 1) verifierBug(env, `function expects only one referenced object but got ${meta.refObj.cnt}\n`);
        r0.parentId = meta.refObj.id;
      }
      if (hasFlag(meta, "KF_RCU_PROTECTED")) r0.flags |= MEM_RCU;
      break;
    }
    case "scalar":
    case "void":
      return verifierBug(env, `kfunc ${meta.name}: return kind ${ret.kind} for a pointer type`);
  }
  // kernel: is_kfunc_ret_null — bpf_refcount_acquire of an owning reference cannot fail
  if (hasFlag(meta, "KF_RET_NULL") && !(isSpecial(meta, ...REFCOUNT_ACQUIRE) && meta.argOwningRef)) {
    r0.flags |= PTR_MAYBE_NULL;
    r0.id = ++env.idGen;
  }
  r0.subregDef = DEF_NOT_SUBREG;
  if (hasFlag(meta, "KF_ACQUIRE")) r0.id = acquireReference(env, insnIdx, 0);
  else if (ret.kind === "graph_node") refSetNonOwning(env, r0);
  if (!r0.id && regMayPointToSpinLock(env, r0)) r0.id = ++env.idGen;
}
