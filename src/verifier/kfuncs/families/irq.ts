// Saved interrupt state: bpf_local_irq_save() writes an irq flag into one
// STACK_IRQ_FLAG slot and opens an IRQ-disabled region (a REF_TYPE_IRQ record,
// active_irq_id); bpf_local_irq_restore() must get the innermost flag back,
// saved by the same class of kfunc (native, or res_spin_lock_irqsave's "lock").
// kernel: process_irq_flag, mark_stack_slot_irq_flag, unmark_stack_slot_irq_flag,
//         is_irq_flag_reg_valid_uninit/_init, acquire_irq_state, release_irq_state
import type { VerifierEnv } from "../../env.js";
import type { RegState } from "../../state/types.js";
import { BPF_REG_SIZE, STACK_INVALID, STACK_IRQ_FLAG } from "../../state/types.js";
import { markRegKnownZero, markRegNotInit } from "../../state/reg.js";
import { checkMemAccess } from "../../memory/access.js";
import { reject, Reject } from "../../reject.js";
import { verifierBug } from "../../bug.js";
import type { KfuncCallMeta } from "../meta.js";
import { isSpecial } from "../meta.js";
import { EINVAL, ERANGE, stackSlotObjGetSpi } from "./iter.js";

const IRQ_NATIVE_KFUNC = 0;
const IRQ_LOCK_KFUNC = 1;

const className = (c: number) => (c === IRQ_NATIVE_KFUNC ? "native" : "lock");

/** kernel: release_irq_state — only the innermost saved state may be restored. */
function releaseIrqState(env: VerifierEnv, id: number): "ok" | "EACCES" | "EINVAL" {
  const st = env.curState;
  if (id !== st.activeIrqId) return "EACCES";
  let prev = 0;
  for (let i = 0; i < st.refs.length; i++) {
    const r = st.refs[i]!;
    if (r.type !== "REF_TYPE_IRQ") continue;
    if (r.id === id) {
      st.refs.splice(i, 1);
      st.activeIrqId = prev;
      return "ok";
    }
    prev = r.id;
  }
  return "EINVAL";
}

/** kernel: process_irq_flag */
export function processIrqFlag(env: VerifierEnv, meta: KfuncCallMeta, reg: RegState, arg: string): void {
  let save: boolean;
  let cls = IRQ_NATIVE_KFUNC;
  if (isSpecial(meta, "KF_bpf_local_irq_save", "KF_bpf_res_spin_lock_irqsave")) {
    save = true;
    if (isSpecial(meta, "KF_bpf_res_spin_lock_irqsave")) cls = IRQ_LOCK_KFUNC;
  } else if (isSpecial(meta, "KF_bpf_local_irq_restore", "KF_bpf_res_spin_unlock_irqrestore")) {
    save = false;
    if (isSpecial(meta, "KF_bpf_res_spin_unlock_irqrestore")) cls = IRQ_LOCK_KFUNC;
  } else {
    return verifierBug(env, "unknown irq flags kfunc");
  }
  const f = env.curState.frame[reg.frameno]!;
  if (save) {
    // kernel: is_irq_flag_reg_valid_uninit
    const spi0 = stackSlotObjGetSpi(env, reg, "irq_flag", 1);
    if (spi0 === EINVAL || (spi0 !== ERANGE && f.stack[spi0]!.slotType.some((t) => t === STACK_IRQ_FLAG))) {
      reject(env, "EINVAL", `expected uninitialized irq flag as ${arg}\n`);
    }
    checkMemAccess(env, env.insnIdx, reg, arg, 0, 8, true, -1, false, false);
    // kernel: mark_stack_slot_irq_flag + acquire_irq_state
    const spi = stackSlotObjGetSpi(env, reg, "irq_flag", 1);
    if (spi < 0) return verifierBug(env, "irq flag slot outside the stack after the write check");
    const id = ++env.idGen;
    env.curState.refs.push({ type: "REF_TYPE_IRQ", id, insnIdx: env.insnIdx, parentId: 0, ptr: null });
    env.curState.activeIrqId = id;
    const slot = f.stack[spi]!;
    markRegKnownZero(slot.spilledPtr);
    slot.spilledPtr.type = "PTR_TO_STACK";
    slot.spilledPtr.flags = 0;
    slot.spilledPtr.id = id;
    slot.spilledPtr.irqKfuncClass = cls as 0 | 1;
    for (let i = 0; i < BPF_REG_SIZE; i++) slot.slotType[i] = STACK_IRQ_FLAG;
    env.markStackSlotScratched(spi);
    return;
  }
  // kernel: is_irq_flag_reg_valid_init
  const spi = stackSlotObjGetSpi(env, reg, "irq_flag", 1);
  const slot = spi < 0 ? null : f.stack[spi]!;
  if (!slot || !slot.spilledPtr.id || slot.slotType.some((t) => t !== STACK_IRQ_FLAG)) {
    reject(env, "EINVAL", `expected an initialized irq flag as ${arg}\n`);
  }
  env.markStackSlotScratched(spi);
  // kernel: unmark_stack_slot_irq_flag
  const st = slot.spilledPtr;
  if (st.irqKfuncClass !== cls) {
    reject(env, "EINVAL", `irq flag acquired by ${className(st.irqKfuncClass)} kfuncs cannot be restored with ${className(cls)} kfuncs\n`);
  }
  const err = releaseIrqState(env, st.id);
  if (err !== "ok") {
    const s = env.curState;
    const at = s.refs.find((r) => r.id === s.activeIrqId)?.insnIdx ?? 0;
    env.verbose(`cannot restore irq state out of order, expected id=${s.activeIrqId} acquired at insn_idx=${at}\n`);
    throw new Reject(err);
  }
  markRegNotInit(st, env.bpfCapable);
  for (let i = 0; i < BPF_REG_SIZE; i++) slot.slotType[i] = STACK_INVALID;
  env.markStackSlotScratched(spi);
}
