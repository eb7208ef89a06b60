// The struct_ops' gen_epilogue, as far as the verifier's report sees it. The
// instructions it emits are module/kernel code added after the verification
// (bpf_convert_ctx_accesses); to make room for the ctx pointer the epilogue
// reloads, the main program's stack depth grows by 8 (its max, already
// computed, does not). The prologue changes nothing the report shows.
// kernel: fixups.c (bpf_convert_ctx_accesses), the .gen_epilogue callbacks
// (bpf_testmod.c st_ops_gen_epilogue, net/sched/bpf_qdisc.c bpf_qdisc_gen_epilogue)
import type { VerifierEnv } from "../env.js";
import { structOpsOf } from "./ctx.js";

/** Whether the struct_ops emits an epilogue for this program (gen_epilogue returns a non-zero count). */
export function structOpsHasEpilogue(env: VerifierEnv): boolean {
  const p = structOpsOf(env);
  return p.desc.epilogueMembers?.includes(p.member) ?? false;
}

/** kernel: bpf_convert_ctx_accesses — the ctx save slot below the main program's frame (after a successful check). */
export function applyStructOpsEpilogue(env: VerifierEnv): void {
  if (env.input.progType !== "BPF_PROG_TYPE_STRUCT_OPS" || !structOpsHasEpilogue(env)) return;
  env.subprogs[0]!.stackDepth += 8;
}
