// Stack arguments (Linux 7.2): arguments 6..12 of a static subprog or kfunc
// call travel through the hidden register R11 (BPF_REG_PARAMS). The caller
// stores them with `*(u64 *)(r11 - 8k) = rX|imm` into outgoing slots of its
// own frame (FuncState.stackArgRegs, whole register copies), the callee loads
// them with `rX = *(u64 *)(r11 + 8k)` straight out of the caller's frame.
// Every call consumes the slots: they are NOT_INIT again afterwards, so each
// call needs its own stores.
// kernel: verifier.c (check_stack_arg_write, check_stack_arg_read,
// check_outgoing_stack_args, get_func_arg_reg, invalidate_outgoing_stack_args,
// mark_stack_arg_precision, reg_arg_name), bpf_verifier.h (bpf_in_stack_arg_cnt),
// fixups.c (bpf_fixup_call_args' slot count check)
import type { VerifierEnv, SubprogInfo } from "../env.js";
import type { FuncState, RegState } from "../state/types.js";
import { assignReg, markRegKnown, markRegNotInit, newReg, U64 } from "../state/reg.js";
import { curFrame } from "../state/func.js";
import { reject } from "../reject.js";
import { pushJmpHistory } from "../explore/do-check.js";

/** kernel: MAX_BPF_FUNC_ARGS */
export const MAX_BPF_FUNC_ARGS = 12;
/** kernel: MAX_BPF_FUNC_REG_ARGS */
export const MAX_BPF_FUNC_REG_ARGS = 5;
/** kernel: MAX_STACK_ARG_SLOTS — arguments 6..12 */
export const MAX_STACK_ARG_SLOTS = MAX_BPF_FUNC_ARGS - MAX_BPF_FUNC_REG_ARGS;
const BPF_REG_SIZE = 8;
/** kernel: INSN_F_STACK_ARG_ACCESS — the jmp-history flag backtracking follows through R11 (precision/bt.ts has it too). */
const INSN_F_STACK_ARG_ACCESS = 8;

/**
 * The kernel keeps max_out_stack_arg_cnt in bpf_subprog_info; until
 * SubprogInfo (env.ts) has the field, it rides on the same object.
 */
type SubprogWithOut = SubprogInfo & { maxOutStackArgCnt?: number };

/** kernel: bpf_in_stack_arg_cnt — how many of the subprog's own parameters arrive through R11. */
export function inStackArgCnt(sp: Pick<SubprogInfo, "argCnt">): number {
  return sp.argCnt > MAX_BPF_FUNC_REG_ARGS ? sp.argCnt - MAX_BPF_FUNC_REG_ARGS : 0;
}

/** The highest outgoing slot count a subprog wrote (kernel: subprog_info.max_out_stack_arg_cnt). */
export function maxOutStackArgCnt(sp: SubprogInfo): number {
  return (sp as SubprogWithOut).maxOutStackArgCnt ?? 0;
}

/**
 * kernel: reg_arg_name(argno_from_arg(i + 1)) — the name of 0-based argument
 * `i` in messages: R1..R5, then `*(R11-8)` for the sixth, `*(R11-16)`...
 */
export function funcArgName(i: number): string {
  return i < MAX_BPF_FUNC_REG_ARGS ? `R${i + 1}` : `*(R11-${(i + 1 - MAX_BPF_FUNC_REG_ARGS) * BPF_REG_SIZE})`;
}

/** kernel: get_func_arg_reg — 0-based argument `i` of a call made from `caller` (whose registers are `regs`). */
export function getFuncArgReg(caller: FuncState, regs: RegState[], i: number): RegState {
  if (i < MAX_BPF_FUNC_REG_ARGS) return regs[i + 1]!;
  const r = caller.stackArgRegs[i - MAX_BPF_FUNC_REG_ARGS];
  // checkOutgoingStackArgs ran first, so a missing slot means a caller skipped it
  return r ?? newReg();
}

/**
 * kernel: check_outgoing_stack_args — every argument past the fifth of a
 * callee taking `nargs` must have been stored since the last call.
 * Rejects (EFAULT, as the kernel returns) on the first missing slot.
 */
export function checkOutgoingStackArgs(env: VerifierEnv, caller: FuncState, nargs: number): void {
  for (let i = MAX_BPF_FUNC_REG_ARGS; i < nargs; i++) {
    const spi = i - MAX_BPF_FUNC_REG_ARGS;
    if (spi >= caller.outStackArgCnt || caller.stackArgRegs[spi]!.type === "NOT_INIT") {
      reject(env, "EFAULT", `callee expects ${nargs} args, stack arg${spi + 1} is not initialized\n`);
    }
  }
}

/**
 * kernel: bpf_for_each_spilled_stack_arg — the frame's initialized outgoing
 * slots. bpf_for_each_reg_in_vstate visits them after the registers and
 * spills, so whatever invalidates registers (release_reference, packet
 * pointer clearing, NULL propagation, RCU) reaches stored arguments too.
 */
export function forEachStackArgReg(f: FuncState, fn: (reg: RegState) => void): void {
  for (let i = 0; i < f.outStackArgCnt; i++) {
    const r = f.stackArgRegs[i]!;
    if (r.type !== "NOT_INIT") fn(r);
  }
}

/** kernel: invalidate_outgoing_stack_args — after any call the outgoing slots are spent. */
export function invalidateOutgoingStackArgs(env: VerifierEnv, f: FuncState): void {
  for (let i = 0; i < f.outStackArgCnt; i++) markRegNotInit(f.stackArgRegs[i]!, env.bpfCapable);
}

/**
 * The caller's total stack-arg area (its incoming slots plus the most any of
 * its calls needs) grows to cover a call passing `outgoing` stack args.
 * kernel: check_func_call's / check_kfunc_call's caller_info->stack_arg_cnt update
 */
export function noteOutgoingStackArgs(env: VerifierEnv, callerSubprog: number, outgoing: number): void {
  const sp = env.subprogs[callerSubprog];
  if (!sp || outgoing <= 0) return;
  const total = inStackArgCnt(sp) + outgoing;
  if (total > sp.stackArgCnt) sp.stackArgCnt = total;
}

/** Slot index of an R11 offset: -8/+8 -> 0, -16/+16 -> 1... */
const slotOf = (off: number): number => Math.abs(off) / BPF_REG_SIZE - 1;

/**
 * kernel: check_stack_arg_write — `*(u64 *)(r11 + off) = value` (off < 0);
 * `value` null is the BPF_ST form, whose immediate becomes a known scalar.
 */
export function checkStackArgWrite(env: VerifierEnv, off: number, value: RegState | null): void {
  const st = env.curState;
  const f = curFrame(st);
  const spi = slotOf(off);
  if (spi >= MAX_STACK_ARG_SLOTS) {
    reject(env, "EINVAL", `stack arg write offset ${off} exceeds max ${MAX_STACK_ARG_SLOTS} stack args\n`);
  }
  // kernel: grow_stack_arg_slots (new slots are zeroed: NOT_INIT)
  while (f.stackArgRegs.length < spi + 1) f.stackArgRegs.push(newReg());
  if (f.outStackArgCnt < spi + 1) f.outStackArgCnt = spi + 1;
  const sp = env.subprogs[f.subprogno] as SubprogWithOut | undefined;
  if (sp && spi + 1 > (sp.maxOutStackArgCnt ?? 0)) sp.maxOutStackArgCnt = spi + 1;
  const slot = f.stackArgRegs[spi]!;
  if (value) {
    assignReg(slot, value);
  } else {
    slot.type = "SCALAR_VALUE";
    markRegKnown(slot, BigInt(env.insns[env.insnIdx]!.imm) & U64);
  }
  f.noStackArgLoad = true;
  pushJmpHistory(env, INSN_F_STACK_ARG_ACCESS, spi, 0);
}

/**
 * kernel: check_stack_arg_read — `rX = *(u64 *)(r11 + off)` (off > 0) in a
 * callee: only before its first R11 store or call, only its own parameters.
 */
export function checkStackArgRead(env: VerifierEnv, off: number, dst: number): void {
  const st = env.curState;
  const f = curFrame(st);
  const sp = env.subprogs[f.subprogno]!;
  const spi = slotOf(off);
  if (f.noStackArgLoad) reject(env, "EINVAL", "r11 load must be before any r11 store or call insn\n");
  const incoming = inStackArgCnt(sp);
  if (spi + 1 > incoming) {
    reject(env, "EACCES", `invalid read from stack arg off ${off} depth ${incoming * BPF_REG_SIZE}\n`);
  }
  const caller = st.frame[st.curframe - 1]!;
  // the caller's slot exists: the call checked every incoming argument was stored
  const arg = caller.stackArgRegs[spi] ?? newReg();
  assignReg(f.regs[dst]!, arg);
  pushJmpHistory(env, INSN_F_STACK_ARG_ACCESS, spi, 0);
}

/**
 * kernel: bpf_fixup_call_args' first loop — a subprog may not store more
 * outgoing slots than its calls take (run after a successful walk).
 */
export function checkStackArgSlotUse(env: VerifierEnv): void {
  env.subprogs.forEach((sp, i) => {
    const outgoing = sp.stackArgCnt - inStackArgCnt(sp);
    const wrote = maxOutStackArgCnt(sp);
    if (wrote > outgoing) {
      reject(env, "EINVAL", `func#${i} writes ${wrote} stack arg slots, but calls only require ${outgoing}\n`);
    }
  });
}
