// The passes bpf_check() runs before the main walk, in its order, as a list
// of named steps over one shared CfgEnv.
// kernel: bpf_check (verifier.c ~20039), from add_subprog_and_kfunc to
// mark_fastcall_patterns
import type { RawInsn } from "../../isa/raw.js";
import type { MapInfo, VerifierInput } from "../input.js";
import type { VerifierLog } from "../log/vlog.js";
import { checkCfg, computePostorder } from "./check-cfg.js";
import { computeConstRegs, pruneDeadBranches } from "./const-fold.js";
import { markFastcallPatterns } from "./fastcall.js";
import { checkAndResolveInsns } from "./insn-fields.js";
import { computeLiveRegisters } from "./live-regs.js";
import { computeScc } from "./scc.js";
import { addSubprogAndKfunc, checkSubprogs } from "./subprogs.js";
import { type StackLiveness, computeSubprogArgAccess, newStackLiveness } from "./stack-liveness.js";
import { sortSubprogsTopo } from "./topo.js";
import { readOnlyMapValueFrom } from "./btf-facts.js";
import { type CfgEnv, type CfgReject, type Errno, type PrePassOptions, newInsnAux } from "./types.js";

export type {
  CfgEnv, CfgMap, CfgReject, Errno, HelperArg, HelperFacts, InsnAux, KfuncFacts, KfuncParam, PrePassOptions, SubprogInfo,
} from "./types.js";
export { insnSuccessors } from "./check-cfg.js";
export { findContainingSubprog, findSubprog } from "./subprogs.js";
export { checkInsnFields, opcodeInInsnTable } from "./insn-fields.js";
export { liveRegsLinePrefix, insnUseDef } from "./live-regs.js";
export { liveStackQueryInit, stackSlotAlive, fmtSpisMask } from "./stack-liveness.js";
export { checkBtfFunc, findExceptionCallbackInsnOff, prePassFactsFromBtf, readOnlyMapValueFrom } from "./btf-facts.js";
export { prePassFactsFromProfile, type ProfileFactsContext } from "./profile-facts.js";
export type { FuncInstance, LiveStackQuery, StackLiveness } from "./stack-liveness.js";

export type PassName =
  | "add_subprog_and_kfunc"
  | "check_subprogs"
  | "bpf_check_btf_info"
  | "check_and_resolve_insns"
  | "bpf_check_cfg"
  | "bpf_compute_postorder"
  | "bpf_stack_liveness_init"
  | "check_attach_btf_id"
  | "bpf_compute_const_regs"
  | "bpf_prune_dead_branches"
  | "sort_subprogs_topo"
  | "bpf_compute_scc"
  | "bpf_compute_live_registers"
  | "mark_fastcall_patterns";

export interface RunPrePassOptions extends PrePassOptions {
  /**
   * kernel: verbose_linfo(env, idx, prefix) — prints the source line of insn
   * idx (once per line, tracking prev_linfo) before some cfg errors.
   */
  printLinfo?: (insnIdx: number, prefix: string) => void;
  /** kernel: bpf_check_btf_info — runs between check_subprogs and check_and_resolve_insns. */
  checkBtfInfo?: (env: CfgEnv) => CfgReject | undefined;
  /** kernel: check_attach_btf_id — runs after the postorder. */
  checkAttachBtfId?: (env: CfgEnv) => CfgReject | undefined;
  /** Stop after this pass (tests, partial pipelines). */
  stopAfter?: PassName;
}

export type PrePassResult =
  | { ok: true; env: CfgEnv; liveness: StackLiveness; rewrittenBranches: number[] }
  | { ok: false; errno: Errno; message: string; pass: PassName; env: CfgEnv };

/** A fresh CfgEnv over a copy of the insns (the passes may rewrite them). */
export function newCfgEnv(insns: readonly RawInsn[], maps: readonly MapInfo[], opts: PrePassOptions): CfgEnv {
  return {
    insns: insns.map((i) => ({ ...i })),
    aux: insns.map((_, i) => newInsnAux(i)),
    subprogs: [],
    subprogCnt: 0,
    exceptionCallbackSubprog: 0,
    postorder: [],
    sccCnt: 0,
    topoOrder: [],
    opts,
    insnArrays: [],
    maps,
    usedMaps: [],
  };
}

/**
 * Runs the pre-passes; rejection messages (with their linfo lines) and the
 * level-2 listings go to `log`. On success env.insns holds the program the
 * walk must verify (dead branches rewritten).
 */
export function runPrePasses(
  input: Pick<VerifierInput, "insns" | "maps">,
  log: VerifierLog,
  opts: RunPrePassOptions = {},
): PrePassResult {
  // Frozen read-only maps carry their contents in the input.
  const env = newCfgEnv(input.insns, input.maps, { readOnlyMapValue: readOnlyMapValueFrom(input.maps), ...opts });
  let rewritten: number[] = [];
  const liveness = newStackLiveness();
  const steps: [PassName, () => CfgReject | undefined | void][] = [
    ["add_subprog_and_kfunc", () => addSubprogAndKfunc(env, log)],
    ["check_subprogs", () => checkSubprogs(env)],
    ["bpf_check_btf_info", () => opts.checkBtfInfo?.(env)],
    ["check_and_resolve_insns", () => checkAndResolveInsns(env, input.maps)],
    ["bpf_check_cfg", () => checkCfg(env)],
    ["bpf_compute_postorder", () => computePostorder(env)],
    // The instances are filled in by bpf_compute_live_registers below.
    ["bpf_stack_liveness_init", () => undefined],
    ["check_attach_btf_id", () => opts.checkAttachBtfId?.(env)],
    ["bpf_compute_const_regs", () => computeConstRegs(env)],
    [
      "bpf_prune_dead_branches",
      () => {
        const r = pruneDeadBranches(env);
        if (!Array.isArray(r)) return r;
        rewritten = r;
        return undefined;
      },
    ],
    ["sort_subprogs_topo", () => sortSubprogsTopo(env, log)],
    ["bpf_compute_scc", () => computeScc(env)],
    [
      "bpf_compute_live_registers",
      () => {
        let err: CfgReject | undefined;
        computeLiveRegisters(env, log, () => {
          err = computeSubprogArgAccess(env, log, liveness);
        });
        return err;
      },
    ],
    ["mark_fastcall_patterns", () => markFastcallPatterns(env)],
  ];
  for (const [pass, run] of steps) {
    const r = run();
    if (r) {
      for (const idx of r.linfoBefore ?? []) opts.printLinfo?.(idx, `${idx}: `);
      if (r.message) log.write(r.message);
      return { ok: false, errno: r.errno, message: r.message, pass, env };
    }
    if (opts.stopAfter === pass) break;
  }
  return { ok: true, env, liveness, rewrittenBranches: rewritten };
}
