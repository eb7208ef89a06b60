// References through helpers: which helpers acquire an object, which cast a
// referenced socket to another view of it (same reference id), and the
// release argument (OBJ_RELEASE). The reference records and the 7.2 parent_id
// release cascade are the kfunc layer's (kfuncs/refs.ts), reused here.
// kernel: verifier.c (is_acquire_function, is_ptr_cast_function,
// check_proto_release_reg, update_ref_obj, validate_ref_obj, release_reg,
// the release/acquire/cast steps of check_helper_call)
import type { VerifierEnv } from "../env.js";
import type { MapInfo } from "../input.js";
import type { RegState } from "../state/types.js";
import { OBJ_RELEASE, PTR_MAYBE_NULL } from "../state/reg-type.js";
import { registerIsNull } from "../state/reg-query.js";
import { curFrame } from "../state/func.js";
import { markRegKnownZero } from "../state/reg.js";
import { tnumIsConst } from "../state/scalar-bridge.js";
import { reject } from "../reject.js";
import { verifierBug } from "../bug.js";
import { acquireReference, findPtrReference, regIsReferenced, releaseReference } from "../kfuncs/refs.js";
import { pushStack } from "../explore/branches.js";

/** kernel: is_acquire_function (the helpers that always acquire). */
const ACQUIRE_HELPERS: ReadonlySet<string> = new Set([
  "bpf_sk_lookup_tcp", "bpf_sk_lookup_udp", "bpf_skc_lookup_tcp", "bpf_ringbuf_reserve", "bpf_kptr_xchg",
]);
/** Map types whose bpf_map_lookup_elem hands out a referenced socket. */
const ACQUIRING_LOOKUP_MAPS: ReadonlySet<string> = new Set(["BPF_MAP_TYPE_SOCKMAP", "BPF_MAP_TYPE_SOCKHASH"]);

/** kernel: is_ptr_cast_function */
const PTR_CAST_HELPERS: ReadonlySet<string> = new Set([
  "bpf_tcp_sock", "bpf_sk_fullsock", "bpf_skc_to_tcp_sock", "bpf_skc_to_tcp6_sock", "bpf_skc_to_udp6_sock",
  "bpf_skc_to_mptcp_sock", "bpf_skc_to_tcp_timewait_sock", "bpf_skc_to_tcp_request_sock",
]);

export function isAcquireHelper(name: string, map: MapInfo | null): boolean {
  if (ACQUIRE_HELPERS.has(name)) return true;
  return name === "bpf_map_lookup_elem" && map !== null && ACQUIRING_LOOKUP_MAPS.has(map.type);
}

export function isPtrCastHelper(name: string): boolean {
  return PTR_CAST_HELPERS.has(name);
}

/** The reference bookkeeping of one helper call (kernel: bpf_call_arg_meta's release_regno and ref_obj). */
export interface HelperRefMeta {
  releaseRegno: number;
  refObj: { id: number; parentId: number; cnt: number };
}

/** kernel: check_proto_release_reg — at most one release argument (a proto with two is a kernel bug). */
export function newHelperRefMeta(env: VerifierEnv, name: string, args: readonly { flags: number }[]): HelperRefMeta {
  const meta: HelperRefMeta = { releaseRegno: 0, refObj: { id: 0, parentId: 0, cnt: 0 } };
  args.forEach((a, i) => {
    if (!(a.flags & OBJ_RELEASE)) return;
    if (meta.releaseRegno) verifierBug(env, `incorrect func proto ${name}`);
    meta.releaseRegno = i + 1;
  });
  return meta;
}

const isDynptrArg = (base: string): boolean => base === "ARG_PTR_TO_DYNPTR";

/** kernel: __check_func_arg_reg_off — the release-argument part, checked before the per-type offset rules. */
export function checkReleaseArgOffset(env: VerifierEnv, reg: RegState, regno: number, argBase: string, argFlags: number): void {
  if (!(argFlags & OBJ_RELEASE)) return;
  if (isDynptrArg(argBase) && reg.type === "PTR_TO_STACK") return;
  if (!tnumIsConst(reg.varOff) || reg.varOff.value !== 0n) {
    reject(env, "EINVAL", `R${regno} must have zero offset when passed to release func or trusted arg to kfunc\n`);
  }
}

/** kernel: check_func_arg, after the type check: a release argument must hold a reference; remember the referenced object. */
export function noteArgReference(env: VerifierEnv, reg: RegState, regno: number, argBase: string, argFlags: number, helperName: string, meta: HelperRefMeta): void {
  if ((argFlags & OBJ_RELEASE) && !isDynptrArg(argBase) && !regIsReferenced(env, reg) && !registerIsNull(reg)) {
    reject(env, "EINVAL", `release helper ${helperName} expects referenced PTR_TO_BTF_ID passed to R${regno}\n`);
  }
  if (regIsReferenced(env, reg)) {
    meta.refObj.id = reg.id;
    meta.refObj.parentId = reg.parentId;
    meta.refObj.cnt++;
  }
}

/** kernel: release_reg (the plain-reference case; dynptr and kptr_xchg releases belong to their owners). */
export function releaseHelperArg(env: VerifierEnv, meta: HelperRefMeta): void {
  if (!meta.releaseRegno) return;
  const reg = curFrame(env.curState).regs[meta.releaseRegno]!;
  if (registerIsNull(reg)) return;
  if (!regIsReferenced(env, reg)) throw verifierBug(env, "release of an unreferenced register");
  releaseReference(env, reg.id);
}

/**
 * kernel: check_helper_call, after R0 got its type — a cast of a referenced
 * socket shares the reference id (releasing either view releases both), so its
 * NULL outcome, which says nothing of the input, is explored as its own branch;
 * an acquiring helper gets a fresh reference.
 */
export function helperRetReference(env: VerifierEnv, name: string, map: MapInfo | null, meta: HelperRefMeta): void {
  const r0 = curFrame(env.curState).regs[0]!;
  if (isPtrCastHelper(name) && findPtrReference(env.curState, meta.refObj.id)) {
    if (meta.refObj.cnt > 1) verifierBug(env, `function expects only one referenced object but got ${meta.refObj.cnt}\n`);
    const branch = pushStack(env, env.insnIdx + 1, env.insnIdx, false);
    const b0 = branch.frame[branch.curframe]!.regs[0]!;
    markRegKnownZero(b0);
    b0.type = "SCALAR_VALUE";
    b0.flags = 0;
    r0.flags &= ~PTR_MAYBE_NULL;
    r0.id = meta.refObj.id;
  } else if (isAcquireHelper(name, map)) {
    r0.id = acquireReference(env, env.insnIdx, 0);
  }
}
