// Reference records of acquired objects, the release cascade over parent ids,
// and the trust predicates kfunc arguments are checked with.
// kernel: acquire_reference, release_reference (7.2: parent_id DFS),
// reg_is_referenced, is_trusted_reg, is_rcu_reg, invalidate_rcu_protected_refs,
// mark_reg_invalid, bpf_for_each_reg_in_vstate_mask
import type { VerifierEnv } from "../env.js";
import type { FuncState, RegState, StackSlot, VerifierState } from "../state/types.js";
import { BPF_REG_SIZE, STACK_DYNPTR, STACK_INVALID, STACK_ITER, STACK_SPILL } from "../state/types.js";
import { MEM_ALLOC, MEM_RCU, NON_OWN_REF, PTR_MAYBE_NULL, PTR_TRUSTED, PTR_UNTRUSTED } from "../state/reg-type.js";
import { markRegNotInit, markRegUnknown } from "../state/reg.js";
import { reject } from "../reject.js";
import { notModelled } from "../not-modelled.js";
import { forEachStackArgReg } from "../stackargs/index.js";

/** kernel: BPF_REG_TRUSTED_MODIFIERS */
export const BPF_REG_TRUSTED_MODIFIERS = MEM_ALLOC | PTR_TRUSTED | NON_OWN_REF;

/** kernel: bpf_type_has_unsafe_modifiers */
export function hasUnsafeModifiers(flags: number): boolean {
  return (flags & ~BPF_REG_TRUSTED_MODIFIERS) !== 0;
}

/** kernel: reg2btf_ids — the register types that stand for a vmlinux struct. */
export const REG2BTF_STRUCT: Partial<Record<RegState["type"], string>> = {
  PTR_TO_SOCKET: "sock",
  PTR_TO_SOCK_COMMON: "sock_common",
  PTR_TO_TCP_SOCK: "tcp_sock",
  CONST_PTR_TO_MAP: "bpf_map",
};

/**
 * kernel: bpf_for_each_reg_in_vstate_mask — registers of every frame, stack slots
 * whose last byte's type is in `mask`, then the outgoing stack-argument slots.
 */
export function forEachRegInVstate(st: VerifierState, mask: number, fn: (reg: RegState, slot: StackSlot | null, f: FuncState, spi: number) => void): void {
  for (let i = 0; i <= st.curframe; i++) {
    const f = st.frame[i]!;
    for (const r of f.regs) fn(r, null, f, -1);
    const n = Math.min(f.stack.length, Math.floor(f.allocatedStack / BPF_REG_SIZE));
    for (let j = 0; j < n; j++) {
      const s = f.stack[j]!;
      if ((1 << s.slotType[BPF_REG_SIZE - 1]!) & mask) fn(s.spilledPtr, s, f, j);
    }
    forEachStackArgReg(f, (r) => fn(r, null, f, -1));
  }
}

/** kernel: find_reference_state (REF_TYPE_PTR only) */
export function findPtrReference(st: VerifierState, id: number): boolean {
  return id !== 0 && st.refs.some((r) => r.type === "REF_TYPE_PTR" && r.id === id);
}

/** kernel: reg_is_referenced */
export function regIsReferenced(env: VerifierEnv, reg: RegState): boolean {
  return findPtrReference(env.curState, reg.id);
}

/** kernel: is_trusted_reg */
export function isTrustedReg(env: VerifierEnv, reg: RegState): boolean {
  if (regIsReferenced(env, reg)) return true;
  if (REG2BTF_STRUCT[reg.type] !== undefined && !hasUnsafeModifiers(reg.flags)) return true;
  return (reg.flags & BPF_REG_TRUSTED_MODIFIERS) !== 0 && !hasUnsafeModifiers(reg.flags);
}

/** kernel: is_rcu_reg */
export function isRcuReg(reg: RegState): boolean {
  return (reg.flags & MEM_RCU) !== 0;
}

/** kernel: acquire_reference — a new REF_TYPE_PTR record; returns its id. */
export function acquireReference(env: VerifierEnv, insnIdx: number, parentId: number): number {
  const id = ++env.idGen;
  env.curState.refs.push({ type: "REF_TYPE_PTR", id, insnIdx, parentId, ptr: null });
  return id;
}

/** kernel: release_reference_nomark (keeps the order: IRQ records rely on it) */
function releaseReferenceNomark(st: VerifierState, id: number): boolean {
  const i = st.refs.findIndex((r) => r.type === "REF_TYPE_PTR" && r.id === id);
  if (i < 0) return false;
  st.refs.splice(i, 1);
  return true;
}

/** kernel: mark_reg_invalid (privileged: pointer leaks allowed, so an unknown scalar). */
export function markRegInvalid(env: VerifierEnv, reg: RegState): void {
  if (!env.allowPtrLeaks) markRegNotInit(reg, env.bpfCapable);
  else markRegUnknown(reg, env.bpfCapable);
}

/**
 * kernel: release_reference — drops the record of `id`, then depth-first every
 * register derived from it (same id, or parent_id on the way down). A live child
 * reference would leak, so it stops the release.
 */
export function releaseReference(env: VerifierEnv, id: number): void {
  const st = env.curState;
  releaseReferenceNomark(st, id);
  const stack = id ? [id] : [];
  while (stack.length) {
    const cur = stack.pop()!;
    const child = st.refs.find((r) => r.type === "REF_TYPE_PTR" && r.parentId === cur);
    if (child) reject(env, "EINVAL", `Leaking reference id=${child.id} alloc_insn=${child.insnIdx}. Release it first.\n`);
    forEachRegInVstate(st, (1 << STACK_SPILL) | (1 << STACK_DYNPTR), (reg, slot, f, spi) => {
      if (reg.id !== cur && reg.parentId !== cur) return;
      if (reg.parentId === cur && reg.id && !stack.includes(reg.id)) stack.push(reg.id);
      if (!slot || slot.slotType[BPF_REG_SIZE - 1] === STACK_SPILL) {
        markRegInvalid(env, reg);
      } else {
        // kernel: invalidate_dynptr(stack) — this slot and the next, i.e. the pair seen from its lower slot
        for (const s of [f.stack[spi]!, f.stack[spi + 1]!]) {
          for (let i = 0; i < BPF_REG_SIZE; i++) s.slotType[i] = STACK_INVALID;
          markRegNotInit(s.spilledPtr, env.bpfCapable);
        }
      }
    });
  }
}

/** kernel: invalidate_rcu_protected_refs — leaving the last RCU section makes MEM_RCU pointers untrusted. */
export function invalidateRcuProtectedRefs(env: VerifierEnv): void {
  forEachRegInVstate(env.curState, (1 << STACK_SPILL) | (1 << STACK_ITER), (reg) => {
    if (reg.flags & MEM_RCU) {
      reg.flags &= ~(MEM_RCU | PTR_MAYBE_NULL);
      reg.flags |= PTR_UNTRUSTED;
    }
  });
}

/** kernel: in_rcu_cs */
export function inRcuCs(env: VerifierEnv): boolean {
  const st = env.curState;
  return st.activeRcuLocks > 0 || st.activeLocks > 0 || !st.inSleepable;
}
