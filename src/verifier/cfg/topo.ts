// kernel: sort_subprogs_topo (verifier.c) — callees before callers, from the
// calls reachable in each subprog's postorder; a call back into a subprog
// still on the DFS stack is recursion (a callback reference is not).
import type { VerifierLog } from "../log/vlog.js";
import { BPF_LOG_LEVEL2 } from "../log/vlog.js";
import { isPseudoCall, isPseudoFunc } from "./opcodes.js";
import { findSubprog } from "./subprogs.js";
import type { CfgEnv, CfgReject } from "./types.js";

export function sortSubprogsTopo(env: CfgEnv, log: VerifierLog): CfgReject | undefined {
  const cnt = env.subprogCnt;
  const color = new Uint8Array(cnt); // 0 unvisited, 1 on stack, 2 done
  const order: number[] = [];
  const name = (i: number): string => env.opts.subprogName?.(i) ?? "";
  for (let i = 0; i < cnt; i++) {
    if (color[i]) continue;
    color[i] = 1;
    const stack = [i];
    while (stack.length > 0) {
      const cur = stack[stack.length - 1]!;
      const poStart = env.subprogs[cur]!.postorderStart;
      const poEnd = env.subprogs[cur + 1]!.postorderStart;
      let pushed = false;
      for (let j = poStart; j < poEnd; j++) {
        const idx = env.postorder[j]!;
        const insn = env.insns[idx]!;
        if (!isPseudoCall(insn) && !isPseudoFunc(insn)) continue;
        const callee = findSubprog(env, idx + insn.imm + 1);
        if (callee < 0) return { errno: "EFAULT", message: "" };
        if (color[callee] === 2) continue;
        if (color[callee] === 1) {
          if (isPseudoFunc(insn)) continue;
          return { errno: "EINVAL", message: `recursive call from ${name(cur)}() to ${name(callee)}()\n` };
        }
        color[callee] = 1;
        stack.push(callee);
        pushed = true;
        break;
      }
      if (!pushed) {
        color[cur] = 2;
        order.push(cur);
        stack.pop();
      }
    }
  }
  env.topoOrder = order;
  if (log.level & BPF_LOG_LEVEL2) {
    for (let i = 0; i < cnt; i++) log.write(`topo_order[${i}] = ${name(order[i]!)}\n`);
  }
  return undefined;
}
