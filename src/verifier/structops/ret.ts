// What a struct_ops program may return: nothing for a void member, anything
// for a member returning a scalar, and for a member returning a struct
// pointer either 0 (NULL) or, unmodified, a referenced pointer of that type.
// kernel: verifier.c (program_returns_void, check_return_code's struct_ops part)
import type { VerifierEnv } from "../env.js";
import type { BtfRef, RegState } from "../state/types.js";
import { btfOf } from "../btfctx/btf-of.js";
import { structOpsOf } from "./ctx.js";
import { resolvePtr } from "./resolve.js";
import { regIsReferenced } from "../kfuncs/refs.js";

/** kernel: program_returns_void (struct_ops: the member's prototype returns void) */
export function structOpsReturnsVoid(env: VerifierEnv): boolean {
  return structOpsOf(env).proto.returnType === 0;
}

/** The member returns a pointer (kernel: check_return_code's ret_type != NULL), so R0 must be 0 or the kptr below. */
export function structOpsReturnsPtr(env: VerifierEnv): boolean {
  const p = structOpsOf(env);
  return resolvePtr(p.btf, p.proto.returnType) !== 0;
}

/**
 * Which kernel type a (btf, id) pair names: types of the vmlinux part of a
 * split BTF are vmlinux's (kernel: btf_type_by_id returns the same type).
 */
function kernelType(env: VerifierEnv, ref: BtfRef | null, id: number): string | null {
  const btf = btfOf(env, ref);
  if (!btf) return null;
  const vm = env.vmlinuxBtf();
  if (vm && id < vm.typeCount) return `vmlinux:${id}`;
  return `${ref?.name ?? ""}:${id}`;
}

/**
 * kernel: check_return_code — a struct_ops member returning a struct pointer
 * may get back a referenced pointer of exactly that struct, if unmodified
 * (__check_ptr_off_reg rejects any offset). true: R0 (or bpf_throw's cookie
 * R1) was such a pointer and is accepted; false: the ordinary return-value rules apply.
 */
export function structOpsReturnRefKptr(env: VerifierEnv, reg: RegState, regName = "R0"): boolean {
  const p = structOpsOf(env);
  const retId = resolvePtr(p.btf, p.proto.returnType);
  if (!retId || !reg.btf) return false;
  const regType = kernelType(env, reg.btf, reg.btfId);
  const want = p.module === undefined || retId < p.btf.startId ? `vmlinux:${retId}` : `${p.module}:${retId}`;
  if (regType !== want || !regIsReferenced(env, reg)) return false;
  env.checkPtrOffReg(reg, regName, false);
  return true;
}
