// bpf_rbtree_add's `less` callback: a sync callback verified from the kfunc's
// callsite with both arguments non-owning pointers to the tree's value type at
// the node offset (the lock is still held inside it, so the usual lock-region
// rules apply: no other calls, no unlock), returning a bool.
// kernel: check_kfunc_call (is_bpf_rbtree_add_kfunc -> push_callback_call),
//         set_rbtree_add_callback_state
import type { RawInsn } from "../../../isa/raw.js";
import type { VerifierEnv } from "../../env.js";
import { markRegNotInit } from "../../state/reg.js";
import { pushCallbackCall, type SetCalleeState } from "../../control/callbacks.js";
import { Reject } from "../../reject.js";
import type { KfuncCallMeta } from "../meta.js";
import { isSpecial } from "../meta.js";
import { RBTREE_ADD, markRegGraphNode, refSetNonOwning, regBtfRecord } from "./graph.js";
import { graphRootOf } from "../../maprec/local.js";

/** kernel: set_rbtree_add_callback_state — the node arg was already converted, so the root says the type. */
const setRbtreeAddCallbackState: SetCalleeState = (env, caller, callee) => {
  const r1 = caller.regs[1]!;
  const off = Number(BigInt.asUintN(32, r1.varOff.value));
  const field = regBtfRecord(env, r1)?.fields.find((f) => f.type === "BPF_RB_ROOT" && f.offset === off);
  const root = field && env.progBtf ? graphRootOf(env.progBtf, field) : null;
  if (!root) throw new Reject("EFAULT");
  for (const r of [1, 2]) {
    markRegGraphNode(callee.regs[r]!, root);
    refSetNonOwning(env, callee.regs[r]!);
  }
  for (const r of [3, 4, 5]) markRegNotInit(callee.regs[r]!, env.bpfCapable);
  callee.inCallbackFn = true;
  callee.callbackRetRange = { minval: 0, maxval: 1, return32bit: false };
};

/** kernel: check_kfunc_call, the bpf_rbtree_add[_impl] push_callback_call */
export function pushRbtreeAddCallback(env: VerifierEnv, meta: KfuncCallMeta, insn: RawInsn, insnIdx: number): void {
  if (!isSpecial(meta, ...RBTREE_ADD)) return;
  try {
    pushCallbackCall(env, insn, insnIdx, meta.subprogno, setRbtreeAddCallbackState, { async: false, sleepable: false });
  } catch (e) {
    if (e instanceof Reject) env.verbose(`kfunc ${meta.name}#${insn.imm} failed callback verification\n`);
    throw e;
  }
}
