// Resilient spin locks (rqspinlock): bpf_res_spin_lock[_irqsave] may fail
// (deadlock or timeout), so the verifier splits the path at the call: one
// branch where the lock was not taken and R0 is a negative errno, and the
// current one where it was and R0 is 0. Several may be held at once; taking
// one already held is an AA deadlock; unlocking goes in reverse order; the
// irqsave variants also save/restore an irq flag of the "lock" class.
// kernel: check_kfunc_call (the failed-acquisition push_stack, R0 of
//         bpf_res_spin_lock), check_kfunc_args (KF_ARG_PTR_TO_RES_SPIN_LOCK),
//         is_bpf_res_spin_lock_kfunc
import type { VerifierEnv } from "../../env.js";
import type { RegState } from "../../state/types.js";
import { MEM_ALLOC } from "../../state/reg-type.js";
import { markRegConstZero, markRegNotInit, markRegUnknown } from "../../state/reg.js";
import { pushStack } from "../../explore/branches.js";
import { setSRange } from "../../helpers/retval.js";
import { processSpinLock } from "../../maprec/index.js";
import { reject, Reject } from "../../reject.js";
import type { KfuncCallMeta } from "../meta.js";
import { isSpecial } from "../meta.js";
import { inRbtreeLockRequiredCb } from "./graph.js";

const ACQUIRE = ["KF_bpf_res_spin_lock", "KF_bpf_res_spin_lock_irqsave"];
const IRQ = ["KF_bpf_res_spin_lock_irqsave", "KF_bpf_res_spin_unlock_irqrestore"];
/** kernel: is_bpf_res_spin_lock_kfunc */
const RES_LOCK_KFUNCS = [...ACQUIRE, "KF_bpf_res_spin_unlock", "KF_bpf_res_spin_unlock_irqrestore"];

/** kernel: MAX_ERRNO */
const MAX_ERRNO = 4095n;
const CALLER_SAVED = [0, 1, 2, 3, 4, 5];

/**
 * kernel: check_kfunc_call — before anything else is checked, queue the path
 * where the acquisition failed: the state as it is before the call (no lock,
 * no irq flag saved), resuming after it with R0 in [-MAX_ERRNO, -1] as a u32.
 */
export function pushResLockFailure(env: VerifierEnv, meta: KfuncCallMeta): void {
  if (!isSpecial(meta, ...ACQUIRE)) return;
  const branch = pushStack(env, env.insnIdx + 1, env.insnIdx, false);
  const regs = branch.frame[branch.curframe]!.regs;
  for (const r of CALLER_SAVED) markRegNotInit(regs[r]!, env.bpfCapable);
  const r0 = regs[0]!;
  markRegUnknown(r0, env.bpfCapable);
  setSRange(r0, -MAX_ERRNO, -1n);
  // kernel: __mark_btf_func_reg_size(..., sizeof(u32)) — a 32-bit subregister def
  r0.subregDef = env.insnIdx + 1;
}

/** kernel: check_kfunc_call, "Check return type" — on the path that continues, the lock was taken. */
export function markResLockTaken(env: VerifierEnv, meta: KfuncCallMeta, r0: RegState): void {
  if (isSpecial(meta, ...ACQUIRE)) markRegConstZero(r0, env.bpfCapable);
}

/** kernel: check_kfunc_args, KF_ARG_PTR_TO_RES_SPIN_LOCK */
export function processResSpinLockArg(env: VerifierEnv, meta: KfuncCallMeta, reg: RegState, arg: string): void {
  if (inRbtreeLockRequiredCb(env)) reject(env, "EACCES", "can't res_spin_{lock,unlock} in rbtree cb\n");
  const allocObj = reg.type === "PTR_TO_BTF_ID" && reg.flags === MEM_ALLOC;
  if (!(reg.type === "PTR_TO_MAP_VALUE" && reg.flags === 0) && !allocObj) {
    reject(env, "EINVAL", `${arg} doesn't point to map value or allocated object\n`);
  }
  // the kernel fails without a word when another kfunc takes a bpf_res_spin_lock
  if (!isSpecial(meta, ...RES_LOCK_KFUNCS)) throw new Reject("EFAULT");
  processSpinLock(env, reg, arg, { lock: isSpecial(meta, ...ACQUIRE), res: true, irq: isSpecial(meta, ...IRQ) });
}
