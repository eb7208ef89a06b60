// Helper arguments that are BTF pointers: kernel objects a helper works on
// (bpf_d_path's struct path, bpf_find_vma's task, sockets as struct
// sock_common), bpf_kptr_xchg's new value (checked against the kptr field),
// and per-CPU pointers (bpf_per_cpu_ptr, bpf_this_cpu_ptr), whose return
// type follows the argument's pointee.
// The struct a helper wants comes from its proto row (arg_btf_id); the match
// is btf_struct_ids_match, shared with kptr stores and kfunc arguments.
// kernel: verifier.c (btf_ptr_types, percpu_btf_ptr_types, check_reg_type's
// PTR_TO_BTF_ID arm, __check_func_arg_reg_off, check_func_arg's
// ARG_PTR_TO_PERCPU_BTF_ID arm, release_reg / ref_convert_alloc_rcu_protected,
// check_helper_call's per_cpu_ptr case and RET_PTR_TO_MEM_OR_BTF_ID arm)
import type { VerifierEnv } from "../env.js";
import type { BtfRef, RegState } from "../state/types.js";
import type { BtfField } from "../maprec/record.js";
import type { ArgCompat } from "./kinds.js";
import type { HelperRefMeta } from "./refs.js";
import { btfStructIdsMatch, resolveSize, skipModsAndTypedefs } from "../../btf/index.js";
import { MEM_ALLOC, MEM_PERCPU, MEM_RCU, MEM_RDONLY, NON_OWN_REF, OBJ_RELEASE, PTR_MAYBE_NULL, PTR_TRUSTED } from "../state/reg-type.js";
import { STACK_SPILL } from "../state/types.js";
import { curFrame } from "../state/func.js";
import { markRegKnownZero } from "../state/reg.js";
import { reject } from "../reject.js";
import { verifierBug } from "../bug.js";
import { notModelled } from "../not-modelled.js";
import { VMLINUX_BTF_REF } from "../calls/global.js";
import { btfOfAnyRef } from "../kfuncs/meta.js";
import { forEachRegInVstate, inRcuCs } from "../kfuncs/refs.js";
import { kptrXchgMatchType } from "../maprec/kptr.js";

/** The BTF pointer argument kinds (kernel: compatible_reg_types rows btf_ptr_types, percpu_btf_ptr_types). */
export const BTF_ID_ARG_COMPAT = {
  ARG_PTR_TO_BTF_ID: [["PTR_TO_BTF_ID", 0], ["PTR_TO_BTF_ID", PTR_TRUSTED], ["PTR_TO_BTF_ID", MEM_RCU]],
  ARG_PTR_TO_PERCPU_BTF_ID: [["PTR_TO_BTF_ID", MEM_PERCPU], ["PTR_TO_BTF_ID", MEM_PERCPU | MEM_RCU], ["PTR_TO_BTF_ID", MEM_PERCPU | PTR_TRUSTED]],
} as const satisfies Record<string, ArgCompat>;

/**
 * The struct an argument kind's table names when the proto gives none
 * (kernel: bpf_reg_types.btf_id — btf_id_sock_common_types' btf_sock_ids[BTF_SOCK_TYPE_SOCK_COMMON]).
 */
const COMPAT_BTF_STRUCT: Readonly<Record<string, string>> = {
  ARG_PTR_TO_BTF_ID_SOCK_COMMON: "struct sock_common",
};

/** A helper argument as check_reg_type sees it: base kind, flags, and the proto's arg_btf_id struct ("struct path"). */
export interface BtfProtoArg {
  base: string;
  flags: number;
  btfType?: string;
}

/** What the BTF arm needs of the call. */
export interface BtfArgCall {
  /** "bpf_kptr_xchg" */
  name: string;
  /** bpf_kptr_xchg's destination field, set by its first argument. */
  kptrField?: BtfField;
}

const KPTR_XCHG = "bpf_kptr_xchg";
// kernel: the MEM_ALLOC arm — only these helpers take program-allocated objects
const ALLOC_ARG_HELPERS: ReadonlySet<string> = new Set(["bpf_spin_lock", "bpf_spin_unlock", KPTR_XCHG]);

/** kernel: check_reg_type — a local (program-allocated) kptr is bpf_kptr_xchg's new value as a plain BTF pointer. */
export function foldKptrXchgSource(helper: string, regno: number, flags: number): number {
  if (helper !== KPTR_XCHG || regno !== 2 || !(flags & MEM_ALLOC)) return flags;
  return flags & ~(MEM_ALLOC | MEM_PERCPU);
}

// kernel: the register types of the struct-matching arm of check_reg_type
const MATCHED_FLAGS: ReadonlySet<number> = new Set([0, PTR_TRUSTED, PTR_TRUSTED | PTR_MAYBE_NULL, MEM_RCU, PTR_MAYBE_NULL, PTR_MAYBE_NULL | MEM_RCU]);
const ALLOC_FLAGS: ReadonlySet<number> = new Set([MEM_ALLOC, MEM_PERCPU | MEM_ALLOC, MEM_ALLOC | NON_OWN_REF, MEM_ALLOC | NON_OWN_REF | MEM_RCU]);
const PERCPU_FLAGS: ReadonlySet<number> = new Set([MEM_PERCPU, MEM_PERCPU | MEM_RCU, MEM_PERCPU | PTR_TRUSTED]);

/** "struct path" -> its id in vmlinux BTF (kernel: the BTF_ID the proto's arg_btf_id points at). */
function vmlinuxStruct(env: VerifierEnv, type: string): number {
  const m = /^(struct|union) (.+)$/.exec(type);
  const btf = env.vmlinuxBtf();
  const id = m && btf ? btf.findByNameKind(m[2]!, m[1] === "struct" ? "STRUCT" : "UNION") : undefined;
  if (id === undefined) return notModelled(`helper argument BTF type ${type} missing from the target's BTF`);
  return id;
}

/**
 * kernel: check_reg_type after the register type matched, for a PTR_TO_BTF_ID
 * register passed to something other than memory: the pointee must be (or
 * start with) the struct the helper names; bpf_kptr_xchg's new value must fit
 * the kptr field.
 */
export function checkBtfIdArg(env: VerifierEnv, reg: RegState, regno: number, arg: BtfProtoArg, call: BtfArgCall): void {
  const arg0 = `R${regno}`;
  if (MATCHED_FLAGS.has(reg.flags)) {
    const release = !!(arg.flags & OBJ_RELEASE);
    // bpf_sk_release takes any socket through its first member, struct sock_common
    const strict = release && call.name !== "bpf_sk_release";
    if ((reg.flags & PTR_MAYBE_NULL) && (!(arg.flags & PTR_MAYBE_NULL) || release)) {
      reject(env, "EACCES", `Possibly NULL pointer passed to helper ${arg0}\n`);
    }
    // arg_btf_id shares a union with arg_size: only these kinds read it
    const own = arg.base === "ARG_PTR_TO_BTF_ID" || arg.base === "ARG_PTR_TO_SPIN_LOCK" ? arg.btfType : undefined;
    const want = own ?? COMPAT_BTF_STRUCT[arg.base];
    if (call.name === KPTR_XCHG) {
      if (!call.kptrField) return verifierBug(env, "bpf_kptr_xchg without a kptr field");
      return kptrXchgMatchType(env, call.kptrField, regno);
    }
    if (want === undefined) return verifierBug(env, "missing arg compatible BTF ID");
    const wantId = vmlinuxStruct(env, want);
    env.checkPtrOffReg(reg, arg0, true);
    const regBtf = btfOfAnyRef(env, reg.btf);
    const vml = env.vmlinuxBtf();
    if (!regBtf || !vml) return notModelled("a helper's BTF pointer argument of an unknown BTF object");
    const off = Number(BigInt.asIntN(64, reg.varOff.value));
    if (!btfStructIdsMatch(regBtf, reg.btfId, off, vml, wantId, strict, !(reg.flags & MEM_ALLOC))) {
      reject(env, "EACCES", `${arg0} is of type ${regBtf.typeName(reg.btfId)} but ${vml.typeName(wantId)} is expected\n`);
    }
    return;
  }
  if (ALLOC_FLAGS.has(reg.flags)) {
    if (!ALLOC_ARG_HELPERS.has(call.name)) return verifierBug(env, "unimplemented handling of MEM_ALLOC");
    if (call.name === KPTR_XCHG && regno === 2) {
      if (!call.kptrField) return verifierBug(env, "bpf_kptr_xchg without a kptr field");
      kptrXchgMatchType(env, call.kptrField, regno);
    }
    return;
  }
  // per-CPU pointers: the helper's own checks (check_func_arg, the per_cpu_ptr case)
  if (PERCPU_FLAGS.has(reg.flags)) return;
  verifierBug(env, "invalid PTR_TO_BTF_ID register for type match");
}

/**
 * kernel: __check_func_arg_reg_off — BTF pointer types that may carry a fixed
 * offset into the object (any other flag combination must point at its start).
 */
export const BTF_ID_FIXED_OFF_FLAGS: ReadonlySet<number> = new Set([0, MEM_ALLOC, PTR_TRUSTED, MEM_RCU, MEM_ALLOC | NON_OWN_REF, MEM_ALLOC | NON_OWN_REF | MEM_RCU]);

/** The pointee of a per-CPU argument, for the return value (kernel: meta->ret_btf, meta->ret_btf_id). */
export interface PercpuRet {
  btf: BtfRef | null;
  btfId: number;
  /** R1 was an RCU-protected per-CPU object (kernel: returns_cpu_specific_alloc_ptr). */
  cpuSpecificAlloc: boolean;
}

/** kernel: check_func_arg, ARG_PTR_TO_PERCPU_BTF_ID */
export function checkPercpuBtfIdArg(env: VerifierEnv, reg: RegState, regno: number): PercpuRet {
  if (!reg.btfId) reject(env, "EACCES", `Helper has invalid btf_id in R${regno}\n`);
  return { btf: reg.btf, btfId: reg.btfId, cpuSpecificAlloc: false };
}

/**
 * kernel: check_helper_call, case BPF_FUNC_per_cpu_ptr / BPF_FUNC_this_cpu_ptr —
 * an RCU-protected per-CPU object must be a struct; the call then returns the
 * object of this CPU (program-allocated, RCU-protected).
 */
export function percpuPtrSpecialCase(env: VerifierEnv, ret: PercpuRet | undefined): void {
  const r1 = curFrame(env.curState).regs[1]!;
  if (!(r1.flags & MEM_RCU)) return;
  const btf = btfOfAnyRef(env, r1.btf);
  const kind = btf && btf.hasType(r1.btfId) ? btf.type(r1.btfId).kind : undefined;
  if (kind !== "STRUCT" && kind !== "UNION") reject(env, "EFAULT", "Helper has invalid btf/btf_id in R1\n");
  if (ret) ret.cpuSpecificAlloc = true;
}

/** kernel: check_helper_call, RET_PTR_TO_MEM_OR_BTF_ID — this CPU's copy: memory of the pointee's size, or a BTF pointer to the struct. */
export function markRetMemOrBtfId(env: VerifierEnv, ret: PercpuRet | undefined, retFlags: number): void {
  const r0 = curFrame(env.curState).regs[0]!;
  markRegKnownZero(r0);
  if (!ret) return verifierBug(env, "RET_PTR_TO_MEM_OR_BTF_ID without a per-CPU argument");
  const btf = btfOfAnyRef(env, ret.btf);
  if (!btf) return notModelled("per-CPU pointee of an unknown BTF object");
  const tid = skipModsAndTypedefs(btf, ret.btfId);
  const t = btf.type(tid);
  if (t.kind !== "STRUCT" && t.kind !== "UNION") {
    const size = resolveSize(btf, tid);
    if (size === undefined) return notModelled(`btf_resolve_size failure of '${t.name}'`);
    r0.type = "PTR_TO_MEM";
    r0.flags = retFlags;
    r0.memSize = size;
    return;
  }
  r0.type = "PTR_TO_BTF_ID";
  // MEM_RDONLY means nothing to a BTF pointer (its writes are checked by struct access)
  r0.flags = ret.cpuSpecificAlloc ? MEM_ALLOC | MEM_RCU : retFlags & ~MEM_RDONLY;
  r0.btf = ret.btf ?? VMLINUX_BTF_REF;
  r0.btfId = ret.btfId;
}

/**
 * kernel: release_reg's convert_rcu case — inside an RCU section, a per-CPU
 * object handed to bpf_kptr_xchg stays readable as an RCU pointer (the map
 * now owns it). Clears refs.releaseRegno when it applied.
 */
export function releaseKptrXchgPercpu(env: VerifierEnv, refs: HelperRefMeta, helper: string): void {
  if (helper !== KPTR_XCHG || !refs.releaseRegno) return;
  const reg = curFrame(env.curState).regs[refs.releaseRegno]!;
  if (!(reg.flags & MEM_ALLOC) || !(reg.flags & MEM_PERCPU) || !inRcuCs(env)) return;
  const id = reg.id;
  const st = env.curState;
  const i = st.refs.findIndex((r) => r.type === "REF_TYPE_PTR" && r.id === id);
  // kernel: release_reference_nomark's -EINVAL fails the call without a message
  if (i < 0) reject(env, "EINVAL", "");
  st.refs.splice(i, 1);
  forEachRegInVstate(st, 1 << STACK_SPILL, (r) => {
    if (r.id !== id || !(r.flags & MEM_ALLOC) || !(r.flags & MEM_PERCPU)) return;
    r.id = 0;
    r.flags = (r.flags & ~MEM_ALLOC) | MEM_RCU;
  });
  // released here: the plain release must not run again
  refs.releaseRegno = 0;
}
