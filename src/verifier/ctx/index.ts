// Loads and stores through the program's context pointer: one row per program
// type (its UAPI ctx struct, its is_valid_access rule, whether the kernel
// rewrites ctx accesses), and check_ctx_access around them.
// kernel: verifier.c (check_ctx_access, __check_ctx_access, __mark_reg_s32_range),
// include/linux/bpf_types.h (which verifier_ops each program type uses)
import type { Btf } from "../../btf/index.js";
import type { CtxAccessInfo, VerifierEnv } from "../env.js";
import type { RegState } from "../state/types.js";
import type { ProgTypeName } from "../../kernel/progtypes/types.js";
import { notModelled } from "../not-modelled.js";
import { reject } from "../reject.js";
import { regTypeStr } from "../state/reg-type.js";
import { regUmax, regSmin, regSmax, regS32Min, regS32Max, cnum32FromSRange, cnum64FromSRange } from "../state/scalar-bridge.js";
import { regBoundsSync, regBoundsSanityCheck } from "../ops/scalar-ops.js";
import { checkMemRegionAccess } from "../memory/region.js";
import { verboseLinfo } from "../explore/do-check.js";
import { VMLINUX_BTF_REF } from "../calls/global.js";
import { attachBtf } from "../btfctx/btf-of.js";
import { CtxLayouts } from "./layout.js";
import { structOpsCtxAccess } from "../structops/ctx.js";
import type { CtxAccessOut, IsValidAccess } from "./access-types.js";
import * as skb from "./skb.js";
import * as sock from "./sock.js";
import * as misc from "./misc.js";

export { CtxLayouts } from "./layout.js";
export type { StructLayout } from "./layout.js";
export type { CtxAccess, CtxAccessOut, IsValidAccess } from "./access-types.js";

/** One program type's ctx (kernel: its bpf_verifier_ops). */
export interface CtxRow {
  /** The `.is_valid_access` of the ops. */
  readonly isValidAccess: IsValidAccess;
  /** The ops has a `.convert_ctx_access`: then only the unmodified ctx pointer may be dereferenced. */
  readonly convertsCtx: boolean;
}

const row = (isValidAccess: IsValidAccess, convertsCtx: boolean): CtxRow => ({ isValidAccess, convertsCtx });

/**
 * The program types whose ctx rules are modelled. Missing: struct_ops,
 * extension programs (which take their target's type) and lirc_mode2; the
 * BTF-described rows leave parts to NotModelled (see btf-ctx.ts).
 */
export const CTX_ROWS = {
  BPF_PROG_TYPE_SOCKET_FILTER: row(skb.skFilterIsValidAccess, true),
  BPF_PROG_TYPE_SCHED_CLS: row(skb.tcClsActIsValidAccess, true),
  BPF_PROG_TYPE_SCHED_ACT: row(skb.tcClsActIsValidAccess, true),
  BPF_PROG_TYPE_XDP: row(sock.xdpIsValidAccess, true),
  BPF_PROG_TYPE_CGROUP_SKB: row(skb.cgSkbIsValidAccess, true),
  BPF_PROG_TYPE_CGROUP_SOCK: row(sock.sockFilterIsValidAccess, true),
  BPF_PROG_TYPE_CGROUP_SOCK_ADDR: row(sock.sockAddrIsValidAccess, true),
  BPF_PROG_TYPE_LWT_IN: row(skb.lwtIsValidAccess, true),
  BPF_PROG_TYPE_LWT_OUT: row(skb.lwtIsValidAccess, true),
  BPF_PROG_TYPE_LWT_XMIT: row(skb.lwtIsValidAccess, true),
  BPF_PROG_TYPE_LWT_SEG6LOCAL: row(skb.lwtIsValidAccess, true),
  BPF_PROG_TYPE_SOCK_OPS: row(sock.sockOpsIsValidAccess, true),
  BPF_PROG_TYPE_SK_SKB: row(skb.skSkbIsValidAccess, true),
  BPF_PROG_TYPE_SK_MSG: row(sock.skMsgIsValidAccess, true),
  BPF_PROG_TYPE_FLOW_DISSECTOR: row(skb.flowDissectorIsValidAccess, true),
  BPF_PROG_TYPE_KPROBE: row(misc.kprobeIsValidAccess, false),
  BPF_PROG_TYPE_TRACEPOINT: row(misc.tracepointIsValidAccess, false),
  BPF_PROG_TYPE_PERF_EVENT: row(misc.perfEventIsValidAccess, true),
  BPF_PROG_TYPE_RAW_TRACEPOINT: row(misc.rawTpIsValidAccess, false),
  BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE: row(misc.rawTpWritableIsValidAccess, false),
  BPF_PROG_TYPE_CGROUP_DEVICE: row(misc.cgroupDevIsValidAccess, false),
  BPF_PROG_TYPE_CGROUP_SYSCTL: row(misc.sysctlIsValidAccess, true),
  BPF_PROG_TYPE_CGROUP_SOCKOPT: row(misc.cgSockoptIsValidAccess, true),
  BPF_PROG_TYPE_SK_REUSEPORT: row(sock.skReuseportIsValidAccess, true),
  BPF_PROG_TYPE_SK_LOOKUP: row(sock.skLookupIsValidAccess, true),
  BPF_PROG_TYPE_SYSCALL: row(misc.syscallIsValidAccess, false),
  BPF_PROG_TYPE_NETFILTER: row(misc.netfilterIsValidAccess, false),
  BPF_PROG_TYPE_TRACING: row(misc.tracingIsValidAccess, false),
  BPF_PROG_TYPE_LSM: row(misc.btfIsValidAccess, false),
} satisfies Partial<Record<ProgTypeName, CtxRow>>;

export function ctxRow(progType: string): CtxRow | undefined {
  return (CTX_ROWS as Partial<Record<string, CtxRow>>)[progType];
}

// ---- the target BTF, reached through a per-env hook ----

const layoutsByBtf = new WeakMap<Btf, CtxLayouts>();
const layoutsByEnv = new WeakMap<VerifierEnv, CtxLayouts>();

/** Give this verification the target kernel's BTF (the UAPI ctx structs' layouts come from it). */
export function installCtxTarget(env: VerifierEnv, btf: Btf): void {
  layoutsByEnv.set(env, layoutsOf(btf));
}

function layoutsOf(btf: Btf): CtxLayouts {
  let l = layoutsByBtf.get(btf);
  if (!l) {
    l = new CtxLayouts(btf);
    layoutsByBtf.set(btf, l);
  }
  return l;
}

/** The layouts of the env's target: an installed BTF, else env.vmlinuxBtf(), else NotModelled. */
export function ctxLayouts(env: VerifierEnv): CtxLayouts {
  const installed = layoutsByEnv.get(env);
  if (installed) return installed;
  const btf = env.vmlinuxBtf();
  return btf ? layoutsOf(btf) : notModelled("ctx layouts (no target BTF: env.vmlinuxBtf or installCtxTarget)");
}

/** kernel: __check_ctx_access — the ops' verdict on one fixed offset. */
function validCtxAccess(env: VerifierEnv, row: CtxRow, off: number, size: number, isWrite: boolean, isLdsx: boolean): CtxAccessOut | null {
  const out: CtxAccessOut = { regType: "SCALAR_VALUE", regFlags: 0 };
  const layouts = ctxLayouts(env);
  const ok = row.isValidAccess({
    off, size, write: isWrite, ldsx: isLdsx, attach: env.input.expectedAttachType, layouts,
    attachTo: env.input.attachTo, attachBtf: attachBtf(env)?.btf ?? layouts.btf, progType: env.input.progType, log: (s) => env.verbose(s),
  }, out);
  return ok ? out : null;
}

/** kernel: check_ctx_access */
export function checkCtxAccess(env: VerifierEnv, insnIdx: number, reg: RegState, argName: string, off: number, size: number,
  isWrite: boolean, isLdsx: boolean): CtxAccessInfo {
  const progType = env.input.progType;
  // The struct_ops' own verifier ops: the member's prototype and its __ref arguments.
  if (progType === "BPF_PROG_TYPE_STRUCT_OPS") return structOpsCtxAccess(env, insnIdx, reg, argName, off, size, isWrite);
  const row = ctxRow(progType);
  if (!row) return notModelled(`ctx ${isWrite ? "write" : "read"} of ${progType} off=${off} size=${size}`);
  // Only program types whose ctx loads are not rewritten may dereference ctx+const.
  if (env.isVarCtxOffAllowed()) checkMemRegionAccess(env, reg, argName, off, size, 0xffff, false);
  else env.checkPtrOffReg(reg, argName, !row.convertsCtx);
  const at = Number(BigInt.asIntN(32, BigInt(off) + regUmax(reg)));
  const out = validCtxAccess(env, row, at, size, isWrite, isLdsx);
  if (!out) {
    env.verbose(`invalid bpf_context access off=${at} size=${size}\n`);
    verboseLinfo(env, insnIdx, "; ");
    reject(env, "EACCES", "");
  }
  if (out.btfId !== undefined) {
    // btf_ctx_access's ids are in the attach target's BTF (a module's for a module tracepoint)
    return { regType: out.regType, regFlags: out.regFlags, btf: attachBtf(env)?.ref ?? VMLINUX_BTF_REF, btfId: out.btfId };
  }
  if (out.retvalRange) return { regType: out.regType, regFlags: out.regFlags, retvalRange: out.retvalRange };
  if (out.btfStruct !== undefined) {
    const btfId = ctxLayouts(env).structId(out.btfStruct);
    if (!btfId) {
      env.verbose(`invalid bpf_context access off=${at} size=${size}\n`);
      verboseLinfo(env, insnIdx, "; ");
      reject(env, "EACCES", "");
    }
    return { regType: out.regType, regFlags: out.regFlags, btf: VMLINUX_BTF_REF, btfId };
  }
  return { regType: out.regType, regFlags: out.regFlags };
}

/** kernel: __mark_reg_s32_range — intersect a fresh scalar with [min, max] (s32). */
export function markRegS32Range(env: VerifierEnv, reg: RegState, min: number, max: number): void {
  const s32min = regS32Min(reg) > BigInt(min) ? regS32Min(reg) : BigInt(min);
  const s32max = regS32Max(reg) < BigInt(max) ? regS32Max(reg) : BigInt(max);
  reg.r32 = cnum32FromSRange(s32min, s32max);
  const smin = regSmin(reg) > BigInt(min) ? regSmin(reg) : BigInt(min);
  const smax = regSmax(reg) < BigInt(max) ? regSmax(reg) : BigInt(max);
  reg.r64 = cnum64FromSRange(smin, smax);
  regBoundsSync(reg);
  regBoundsSanityCheck(env, reg, "s32_range");
}

/** kernel: check_sock_access — the socket objects have their own field rules. */
export function checkSockAccess(env: VerifierEnv, reg: RegState, argName: string, off: number, size: number): void {
  if (regSmin(reg) < 0n) {
    reject(env, "EACCES", `${argName} min value is negative, either use unsigned index or do a if (index >=0) check.\n`);
  }
  const layouts = ctxLayouts(env);
  let valid = false;
  switch (reg.type) {
    case "PTR_TO_SOCK_COMMON": valid = sock.bpfSockCommonIsValidAccess(layouts, off, size); break;
    case "PTR_TO_SOCKET": valid = sock.bpfSockIsValidAccess(layouts, off, size); break;
    case "PTR_TO_TCP_SOCK": valid = sock.bpfTcpSockIsValidAccess(layouts, off, size); break;
    case "PTR_TO_XDP_SOCK": valid = sock.bpfXdpSockIsValidAccess(layouts, off, size); break;
    default: valid = false;
  }
  if (!valid) reject(env, "EACCES", `${argName} invalid ${regTypeStr(reg.type, reg.flags)} access off=${off} size=${size}\n`);
}

/**
 * kernel: check_helper_mem_access, its PTR_TO_CTX arm — only syscall programs
 * let helpers read or write their ctx; elsewhere it is the default refusal.
 */
export function checkHelperCtxMemAccess(env: VerifierEnv, reg: RegState, argName: string, size: number, zeroSizeAllowed: boolean): void {
  if (env.isVarCtxOffAllowed()) {
    checkMemRegionAccess(env, reg, argName, 0, size, 0xffff, zeroSizeAllowed);
    return;
  }
  // A zero-byte access through NULL is allowed whatever the pointer type (a ctx is never NULL).
  reject(env, "EACCES", `${argName} type=${regTypeStr(reg.type, reg.flags)} expected=fp\n`);
}
