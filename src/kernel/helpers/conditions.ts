// Which of a helper's protos a program gets: the kernel decides in its
// get_func_proto callbacks from facts known at load time (attach type,
// the loader's capabilities, sleepable, lockdown, iterator target). The
// generator recorded those tests as Condition data; this evaluates them
// for one load.
import { assertNever } from "../../util/errors.js";
import type { Condition } from "./types.js";

/** What the kernel knows about the program and its loader when it picks a proto. */
export interface LoadContext {
  /** expected_attach_type; unset means 0-valued/none, which matches no `oneOf` condition. */
  readonly attachType?: string;
  /**
   * Capabilities of the loader. Default: privileged (root: CAP_SYS_ADMIN, CAP_PERFMON, CAP_BPF, ...),
   * which is how the corpus was loaded.
   */
  readonly capabilities?: readonly string[] | "all";
  readonly sleepable?: boolean;
  /** The lockdown reasons in force (e.g. "LOCKDOWN_BPF_READ_KERNEL"); default none. */
  readonly lockedDown?: readonly string[];
  /** For BPF_TRACE_ITER programs: the iterator target ("tcp", "unix", ...). */
  readonly iterTarget?: string;
  /** For struct_ops programs: the struct_ops type name ("tcp_congestion_ops"). */
  readonly structOps?: string;
  /** For BTF-attached programs (fentry, LSM, ...): the name of the kernel function attach_btf_id names. */
  readonly attachTarget?: string;
  /** For struct_ops programs: the member (callback) the program implements ("release"). */
  readonly structOpsMember?: string;
  /**
   * CONFIG_* options the target kernel was built without (default: none). For a kernel
   * given by its BTF, configsOffFromBtf() works them out; Linux 7.2 as Debian builds it
   * (the corpus kernel) lacks CONFIG_BPF_KPROBE_OVERRIDE.
   */
  readonly configsOff?: readonly string[];
  /** Values of conditions the generator kept as source text (Condition kind "expr"); default false. */
  readonly facts?: Readonly<Record<string, boolean>>;
}

function hasCap(ctx: LoadContext, cap: string): boolean {
  const caps = ctx.capabilities ?? "all";
  return caps === "all" || caps.includes(cap);
}

export function conditionHolds(c: Condition, ctx: LoadContext): boolean {
  switch (c.kind) {
    case "attachType":
      if (c.oneOf !== undefined) return ctx.attachType !== undefined && c.oneOf.includes(ctx.attachType);
      return ctx.attachType === undefined || !(c.noneOf ?? []).includes(ctx.attachType);
    case "capable": return hasCap(ctx, c.cap) === c.holds;
    case "sleepable": return (ctx.sleepable ?? false) === c.holds;
    case "lockedDown": return (ctx.lockedDown ?? []).includes(c.what) === c.holds;
    case "iterTarget": return (ctx.iterTarget === c.target) === c.holds;
    case "attachTarget": return (ctx.attachTarget !== undefined && c.funcs.includes(ctx.attachTarget)) === c.holds;
    case "attachTargetPrefix": return (ctx.attachTarget !== undefined && ctx.attachTarget.startsWith(c.prefix)) === c.holds;
    case "structOpsMember": return (ctx.structOpsMember === c.member) === c.holds;
    case "config": return !(ctx.configsOff ?? []).includes(c.name) === c.holds;
    case "expr": return (ctx.facts?.[c.text] ?? false) === c.holds;
    default: return assertNever(c, "condition");
  }
}

export function conditionsHold(cs: readonly Condition[], ctx: LoadContext): boolean {
  return cs.every((c) => conditionHolds(c, ctx));
}

/** Human-readable form used by the CLI: "attach type BPF_TRACE_ITER", "!CAP_BPF", ... */
export function formatCondition(c: Condition): string {
  switch (c.kind) {
    case "attachType":
      return c.oneOf !== undefined ? `attach type in {${c.oneOf.join(", ")}}` : `attach type not in {${(c.noneOf ?? []).join(", ")}}`;
    case "capable": return `${c.holds ? "" : "no "}${c.cap}`;
    case "sleepable": return c.holds ? "sleepable" : "not sleepable";
    case "lockedDown": return `${c.holds ? "" : "not "}locked down (${c.what})`;
    case "iterTarget": return `iterator target ${c.holds ? "is" : "is not"} "${c.target}"`;
    case "config": return c.holds ? c.name : `!${c.name}`;
    case "attachTarget": return `attach target ${c.holds ? "in" : "not in"} ${c.set} {${c.funcs.join(", ")}}`;
    case "attachTargetPrefix": return `attach target ${c.holds ? "starts" : "does not start"} with ${c.prefix}`;
    case "structOpsMember": return `struct_ops member ${c.holds ? "is" : "is not"} ${c.member}`;
    case "expr": return c.holds ? c.text : `!(${c.text})`;
    default: return assertNever(c, "condition");
  }
}
