// bpf_tail_call: a taken tail call never returns. In the main program the
// helper simply falls through (the not-taken case); in a subprogram the
// taken case is modelled as a return from the current frame with an unknown
// R0, and the not-taken case is queued.
// kernel: verifier.c (record_func_key, the BPF_FUNC_tail_call parts of
// check_helper_call and check_map_func_compatibility)
import type { VerifierEnv } from "../env.js";
import type { MapInfo } from "../input.js";
import { curFrame } from "../state/func.js";
import { markRegUnknown } from "../state/reg.js";
import { tnumIsConst } from "../state/scalar-bridge.js";
import { pushStack } from "../explore/branches.js";
import { clearAllPktPointers } from "../packet/index.js";
import { checkResourceLeak } from "../ops/exit.js";
import { reject, Reject } from "../reject.js";
import type { InsnResult } from "../ops/dispatch.js";

export const BPF_FUNC_tail_call = 12;
/** uapi enum bpf_map_type value, printed by "cannot pass map_type %d". */
const BPF_MAP_TYPE_PROG_ARRAY_NR = 3;

/**
 * kernel: record_func_key (the verdict-relevant part: a constant in-range
 * index is made precise) and check_helper_call's "tail_call" leak check.
 * Returns false when funcId is not bpf_tail_call.
 */
export function helperTailCallCase(env: VerifierEnv, funcId: number): boolean {
  if (funcId !== BPF_FUNC_tail_call) return false;
  const regs = curFrame(env.curState).regs;
  const map = regs[2]!.map;
  if (!map || map.type !== "BPF_MAP_TYPE_PROG_ARRAY") {
    env.verbose("expected prog array map for tail call");
    throw new Reject("EINVAL");
  }
  const r3 = regs[3]!;
  if (r3.type === "SCALAR_VALUE" && tnumIsConst(r3.varOff) && r3.varOff.value < BigInt(map.maxEntries)) env.markChainPrecision(3);
  checkResourceLeak(env, false, true, "tail_call");
  return true;
}

/**
 * kernel: check_map_func_compatibility, the prog-array rows: only
 * bpf_tail_call takes a prog array, and bpf_tail_call takes nothing else.
 * Returns true when the pair was judged here.
 */
export function tailCallMapCompat(env: VerifierEnv, map: MapInfo, funcId: number, funcName: string): boolean {
  const isProgArray = map.type === "BPF_MAP_TYPE_PROG_ARRAY";
  if (!isProgArray && funcId !== BPF_FUNC_tail_call) return false;
  if (isProgArray && funcId === BPF_FUNC_tail_call) return true; // JITs allow tail calls in subprogs
  // A non-prog-array map reaching tail_call was already refused by record_func_key.
  reject(env, "EINVAL", `cannot pass map_type ${BPF_MAP_TYPE_PROG_ARRAY_NR} into func ${funcName}#${funcId}\n`);
}

/**
 * The end of check_helper_call for bpf_tail_call inside a subprogram: queue
 * the fall-through, then leave the frame as if it returned. Null when the
 * helper result stands (main program, other helpers).
 */
export function tailCallAfterHelper(env: VerifierEnv, funcId: number): InsnResult | null {
  if (funcId !== BPF_FUNC_tail_call || !env.curState.curframe) return null;
  const frame = curFrame(env.curState);
  // prepare_func_exit would apply the callback's return contract to an unknown R0.
  if (frame.inCallbackFn) reject(env, "EINVAL", "cannot tail call within callback\n");
  env.markRegScratched(0);
  pushStack(env, env.insnIdx + 1, env.insnIdx, false);
  // The callee may have changed the packet: pointers into it are stale on return.
  clearAllPktPointers(env);
  markRegUnknown(frame.regs[0]!, env.bpfCapable);
  env.prepareFuncExit();
  return { code: 2 /* INSN_IDX_UPDATED */, printState: false };
}
