// Dynptrs through helpers: bpf_dynptr_from_mem and bpf_ringbuf_reserve_dynptr
// build one on the stack (the ringbuf one holds a reference until
// bpf_ringbuf_submit_dynptr/discard_dynptr releases it), bpf_dynptr_read/
// write/data need an initialized one, and bpf_dynptr_data's slice belongs to
// its dynptr. The slot bookkeeping is the kfunc layer's (kfuncs/families/
// dynptr.ts), shared as the kernel shares process_dynptr_func; this module only
// says what a helper's argument flags ask of it and adds the helper-only rules.
// kernel: verifier.c (check_func_arg's ARG_PTR_TO_DYNPTR arm, dynptr_types,
// release_reg's release_dynptr, check_helper_call's BPF_FUNC_dynptr_from_mem,
// BPF_FUNC_dynptr_write and BPF_FUNC_dynptr_data cases)
import type { VerifierEnv } from "../env.js";
import type { DynptrType, RegState } from "../state/types.js";
import { MEM_UNINIT, OBJ_RELEASE, regTypeStr } from "../state/reg-type.js";
import { registerIsNull } from "../state/reg-query.js";
import { curFrame } from "../state/func.js";
import { reject } from "../reject.js";
import { dynptrTypeOfFlags, processDynptrFunc, unmarkStackSlotsDynptr, type DynptrArgType, type DynptrCallMeta } from "../kfuncs/families/dynptr.js";
import type { ArgCompat, ProtoArg } from "./kinds.js";
import type { HelperRefMeta } from "./refs.js";

/** kernel: dynptr_types (compatible_reg_types[ARG_PTR_TO_DYNPTR]) */
export const DYNPTR_ARG_COMPAT = {
  ARG_PTR_TO_DYNPTR: [["PTR_TO_STACK", 0], ["CONST_PTR_TO_DYNPTR", 0]],
} as const satisfies Record<string, ArgCompat>;

/** The initialized dynptr argument of a helper call (kernel: bpf_call_arg_meta's dynptr). */
export interface HelperDynptrDesc {
  type: DynptrType;
  id: number;
  parentId: number;
}

export function newHelperDynptrDesc(): HelperDynptrDesc {
  return { type: "BPF_DYNPTR_TYPE_INVALID", id: 0, parentId: 0 };
}

/** What a helper proto's ARG_PTR_TO_DYNPTR flags ask: MEM_UNINIT builds one, OBJ_RELEASE destroys one, DYNPTR_TYPE_* narrows it. */
export function helperDynptrArgType(flags: number): DynptrArgType {
  return { uninit: (flags & MEM_UNINIT) !== 0, release: (flags & OBJ_RELEASE) !== 0, type: dynptrTypeOfFlags(flags) };
}

/** kernel: check_func_arg, case ARG_PTR_TO_DYNPTR (after check_reg_type let a stack or const dynptr pointer through) */
export function checkHelperDynptrArg(env: VerifierEnv, meta: { dynptr: HelperDynptrDesc; refs: HelperRefMeta }, reg: RegState, regno: number, arg: ProtoArg): void {
  const m: DynptrCallMeta = { dynptr: meta.dynptr, refObj: meta.refs.refObj };
  processDynptrFunc(env, m, reg, `R${regno}`, env.insnIdx, helperDynptrArgType(arg.flags));
  meta.dynptr = m.dynptr;
}

/**
 * kernel: release_reg with release_dynptr — a dynptr release argument points at
 * the stack slots, not at the object: unmark them (a ringbuf dynptr drops its
 * reference, and every clone and slice with it). False when the call's release
 * argument is no dynptr.
 */
export function releaseHelperDynptr(env: VerifierEnv, refs: HelperRefMeta, dynptr: HelperDynptrDesc): boolean {
  if (!refs.releaseRegno || !dynptr.id) return false;
  const reg = curFrame(env.curState).regs[refs.releaseRegno]!;
  if (!registerIsNull(reg)) unmarkStackSlotsDynptr(env, reg);
  return true;
}

/**
 * kernel: check_helper_call's dynptr cases, after the arguments. A local dynptr
 * may only wrap map values (its size is checked at run time against nothing
 * else); a write through an skb dynptr may move packet data. True when the
 * call must clear packet pointers (and packet dynptr slices) at its end.
 */
export function dynptrHelperSpecialCase(env: VerifierEnv, helper: string, dynptr: HelperDynptrDesc): boolean {
  switch (helper) {
    case "bpf_dynptr_from_mem": {
      const r1 = curFrame(env.curState).regs[1]!;
      if (r1.type !== "PTR_TO_MAP_VALUE") {
        reject(env, "EACCES", `Unsupported reg type ${regTypeStr(r1.type, r1.flags)} for bpf_dynptr_from_mem data\n`);
      }
      return false;
    }
    case "bpf_dynptr_write":
      // process_dynptr_func recorded the dynptr: an invalid type is a verifier bug, with no message
      if (dynptr.type === "BPF_DYNPTR_TYPE_INVALID") reject(env, "EFAULT", "");
      return dynptr.type === "BPF_DYNPTR_TYPE_SKB" || dynptr.type === "BPF_DYNPTR_TYPE_SKB_META";
    default:
      return false;
  }
}

/** kernel: check_helper_call — bpf_dynptr_data's slice dies with its dynptr (release_reference by the dynptr's id). */
export function markDynptrDataRet(env: VerifierEnv, helper: string, dynptr: HelperDynptrDesc): void {
  if (helper === "bpf_dynptr_data") curFrame(env.curState).regs[0]!.parentId = dynptr.id;
}
