// The kfunc filter a struct_ops registers with its kfunc sets: which of the
// kfuncs it governs each member may call.
// kernel: net/sched/bpf_qdisc.c (bpf_qdisc_kfunc_filter), kernel/sched/ext/ext.c
// (scx_kfunc_context_filter)
import type { VerifierEnv } from "../env.js";
import { notModelled } from "../not-modelled.js";
import { structOpsOf } from "./ctx.js";
import { structOpsWithKfuncFilter } from "../../kernel/structops/index.js";

/**
 * kernel: the filter named `filter` (e.g. bpf_qdisc_kfunc_filter) on `kfunc`:
 * true when it refuses the call. Kfuncs outside the filter's set pass; inside
 * it, only a program of the owning struct_ops, and only from the members the
 * filter lists.
 */
export function structOpsKfuncFilterRejects(env: VerifierEnv, filter: string, kfunc: string): boolean {
  const owner = structOpsWithKfuncFilter(filter);
  const f = owner?.kfuncFilter;
  if (!owner || !f) return notModelled(`kfunc filter ${filter}`);
  if (!f.governs.includes(kfunc)) return false;
  const progType = env.input.progType;
  if (progType !== "BPF_PROG_TYPE_STRUCT_OPS") {
    const others = f.otherProgTypes;
    return !(others?.[progType] ?? others?.default ?? []).includes(kfunc);
  }
  const p = structOpsOf(env);
  if (p.desc.name !== owner.name || p.desc.module !== owner.module) return true;
  return !(f.perMember[p.member]?.includes(kfunc) || f.common.includes(kfunc));
}
