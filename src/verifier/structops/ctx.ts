// The ctx of a struct_ops program: the u64 slots of its member's arguments,
// read through the struct_ops' is_valid_access (btf_ctx_access over the
// member's prototype, with the ctx_arg_info of its __nullable / __ref
// arguments), and the references a __ref argument carries from entry.
// kernel: verifier.c (check_ctx_access, __check_ctx_access, do_check_common's
// acquire_reference loop), include/linux/bpf.h (bpf_tracing_btf_ctx_access),
// net/sched/bpf_qdisc.c (bpf_qdisc_is_valid_access)
import type { CtxAccessInfo, VerifierEnv } from "../env.js";
import type { BtfRef, RegState } from "../state/types.js";
import { PTR_TRUSTED } from "../state/reg-type.js";
import { regUmax } from "../state/scalar-bridge.js";
import { btfCtxAccess, type AttachFunc } from "../ctx/btf-ctx.js";
import { verboseLinfo } from "../explore/do-check.js";
import { VMLINUX_BTF_REF } from "../calls/global.js";
import { acquireReference } from "../kfuncs/refs.js";
import { btfRefOf } from "../kfuncs/meta.js";
import { reject } from "../reject.js";
import { notModelled } from "../not-modelled.js";
import { ATTACH_TYPE_NUM } from "../../loader/generated/libbpf-sections.js";
import { ctxArgIdx, type StructOpsProg } from "./resolve.js";

/** kernel: MAX_BPF_FUNC_ARGS */
const MAX_BPF_FUNC_ARGS = 12;

interface EnvStructOps {
  readonly prog: StructOpsProg;
  /** ctx_arg_info[i].ref_id, set when the main program's walk starts. */
  readonly refIds: number[];
}

const byEnv = new WeakMap<VerifierEnv, EnvStructOps>();

/** Give the verification its struct_ops attachment (what check_struct_ops_btf_id resolved). */
export function installStructOps(env: VerifierEnv, prog: StructOpsProg): void {
  byEnv.set(env, { prog, refIds: prog.args.map(() => 0) });
}

/** The program's struct_ops attachment; NotModelled when the glue did not install one. */
export function structOpsOf(env: VerifierEnv): StructOpsProg {
  const s = byEnv.get(env);
  return s ? s.prog : notModelled("struct_ops programs without their struct_ops attachment (installStructOps)");
}

/**
 * kernel: do_check_common — the main program starts holding one reference per
 * __ref argument (acquired "at insn 0"); ctx reads of that argument carry its id.
 */
export function acquireStructOpsArgRefs(env: VerifierEnv): void {
  const s = byEnv.get(env);
  if (!s) return notModelled("struct_ops programs without their struct_ops attachment (installStructOps)");
  s.prog.args.forEach((a, i) => {
    s.refIds[i] = a.refcounted ? acquireReference(env, 0, 0) : 0;
  });
}

const ATTACH_TYPE_BY_NUM = new Map<number, string>(Object.entries(ATTACH_TYPE_NUM).map(([k, v]) => [v as number, k]));

/**
 * The register a ctx load of a kernel-BTF struct gets. A struct_ops' BTF is
 * its module's split BTF; the kernel types in it (ids of the vmlinux part)
 * are vmlinux's own, and they are compared as such (kernel: btf_types_are_same).
 */
function btfRefFor(env: VerifierEnv, prog: StructOpsProg, btfId: number): BtfRef {
  if (prog.module === undefined || btfId < prog.btf.startId) return VMLINUX_BTF_REF;
  if (!env.kfuncTarget) return notModelled("module BTF objects without the kfunc target");
  return btfRefOf(env.kfuncTarget, prog.module);
}

/** kernel: bpf_tracing_btf_ctx_access (bpf_tracing_ctx_access, then btf_ctx_access) */
function tracingBtfCtxAccess(env: VerifierEnv, s: EnvStructOps, off: number, size: number, write: boolean): CtxAccessInfo | null {
  if (off < 0 || off >= 8 * MAX_BPF_FUNC_ARGS || write || off % size !== 0) return null;
  const { prog } = s;
  const fn: AttachFunc = {
    name: prog.member, proto: prog.proto, btfTrace: false,
    ctxArgs: prog.args.map((a) => ({ off: a.off, arg: { member: a.paramName, base: "PTR_TO_BTF_ID" as const, flags: a.flags } })),
  };
  // btf_ctx_access reads prog->expected_attach_type: for struct_ops the member index.
  const attach = ATTACH_TYPE_BY_NUM.get(prog.memberIdx) ?? "";
  const r = btfCtxAccess(prog.btf, fn, "BPF_PROG_TYPE_STRUCT_OPS", attach, off, size, (l) => env.verbose(l));
  if (!r.ok) return null;
  if (r.regType !== "PTR_TO_BTF_ID") return { regType: r.regType, regFlags: r.regFlags };
  const i = prog.args.findIndex((a) => a.off === off);
  const refId = i >= 0 ? s.refIds[i]! : 0;
  return { regType: "PTR_TO_BTF_ID", regFlags: r.regFlags, btf: btfRefFor(env, prog, r.btfId), btfId: r.btfId, ...(refId ? { refId } : {}) };
}

/** kernel: bpf_qdisc_is_valid_access — .enqueue's third argument is a trusted struct bpf_sk_buff_ptr. */
function qdiscIsValidAccess(env: VerifierEnv, s: EnvStructOps, off: number, size: number, write: boolean): CtxAccessInfo | null {
  const { prog } = s;
  if (prog.member === "enqueue" && !write && ctxArgIdx(prog.btf, prog.proto, off) === 2) {
    const id = prog.btf.findByNameKind("bpf_sk_buff_ptr", "STRUCT");
    if (!id) return notModelled("struct bpf_sk_buff_ptr missing from the target BTF");
    return { regType: "PTR_TO_BTF_ID", regFlags: PTR_TRUSTED, btf: btfRefFor(env, prog, id), btfId: id };
  }
  return tracingBtfCtxAccess(env, s, off, size, write);
}

/** kernel: check_ctx_access for a struct_ops program (no convert_ctx_access: ctx+const may be dereferenced). */
export function structOpsCtxAccess(env: VerifierEnv, insnIdx: number, reg: RegState, argName: string, off: number, size: number,
  isWrite: boolean): CtxAccessInfo {
  const s = byEnv.get(env);
  if (!s) return notModelled("struct_ops programs without their struct_ops attachment (installStructOps)");
  env.checkPtrOffReg(reg, argName, true);
  const at = Number(BigInt.asIntN(32, BigInt(off) + regUmax(reg)));
  const info = s.prog.desc.isValidAccess === "bpf_qdisc_is_valid_access"
    ? qdiscIsValidAccess(env, s, at, size, isWrite)
    : tracingBtfCtxAccess(env, s, at, size, isWrite);
  if (!info) {
    env.verbose(`invalid bpf_context access off=${at} size=${size}\n`);
    verboseLinfo(env, insnIdx, "; ");
    reject(env, "EACCES", "");
  }
  // kernel: __check_ctx_access — a __ref argument read after its release (or in a global subprog)
  if (info.refId && !env.findReferenceState(env.curState, info.refId)) {
    env.verbose(`invalid bpf_context access off=${at}. Reference may already be released\n`);
    verboseLinfo(env, insnIdx, "; ");
    reject(env, "EACCES", "");
  }
  return info;
}
