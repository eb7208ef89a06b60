// Strongly connected components of the instruction graph: the walk uses them
// to find loops (states looping inside an SCC are propagated on exit).
// kernel: bpf_compute_scc (cfg.c) — Tarjan, in Pearce's iterative form.
import { insnSuccessors } from "./check-cfg.js";
import type { CfgEnv } from "./types.js";

/**
 * Numbers every non-trivial SCC from 1 in completion order into aux[].scc.
 * A singleton gets an id only with a self edge or when it calls a callback
 * (the callback loop back to the call is implicit in the CFG).
 */
export function computeScc(env: CfgEnv): void {
  const n = env.insns.length;
  const NOT_ON_STACK = 0xffffffff;
  const pre = new Uint32Array(n);
  const low = new Uint32Array(n);
  let nextPre = 1;
  let nextScc = 1;
  for (let i = 0; i < n; i++) {
    if (pre[i]) continue;
    const stack: number[] = [];
    const dfs: number[] = [i];
    outer: while (dfs.length > 0) {
      const w = dfs[dfs.length - 1]!;
      if (pre[w] === 0) {
        low[w] = pre[w] = nextPre++;
        stack.push(w);
      }
      const succ = insnSuccessors(env, w);
      for (const s of succ) {
        if (pre[s]) {
          low[w] = Math.min(low[w]!, low[s]!);
        } else {
          dfs.push(s);
          continue outer;
        }
      }
      // Something above w on the stack is reachable from w: keep w there.
      if (low[w]! < pre[w]!) {
        dfs.pop();
        continue;
      }
      let assign = stack[stack.length - 1] !== w || succ.includes(w) || env.aux[w]!.callsCallback;
      let t: number;
      do {
        t = stack.pop()!;
        low[t] = NOT_ON_STACK;
        if (assign) env.aux[t]!.scc = nextScc;
      } while (t !== w);
      if (assign) nextScc++;
      assign = false;
      dfs.pop();
    }
  }
  env.sccCnt = nextScc;
}
