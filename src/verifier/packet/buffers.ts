// Constant-offset memory behind the other data pointers a ctx load can give:
// flow keys, the writable tracepoint buffer, and PTR_TO_BUF.
// kernel: verifier.c (check_flow_keys_access, __check_buffer_access,
// check_tp_buffer_access, check_buffer_access)
import type { VerifierEnv } from "../env.js";
import type { RegState } from "../state/types.js";
import { tnumIsConst } from "../state/scalar-bridge.js";
import { tnumStr } from "../log/print-state.js";
import { reject } from "../reject.js";

/** kernel: sizeof(struct bpf_flow_keys) (include/uapi/linux/bpf.h), checked against the BTF in the tests. */
export const BPF_FLOW_KEYS_SIZE = 56;

/** kernel: check_flow_keys_access — only a constant offset, folded into `off`. */
export function checkFlowKeysAccess(env: VerifierEnv, reg: RegState, argName: string, off: number, size: number): void {
  if (!tnumIsConst(reg.varOff)) {
    reject(env, "EACCES", `${argName} invalid variable offset to flow keys: off=${off}, var_off=${tnumStr(reg.varOff)}\n`);
  }
  const at = Number(BigInt.asIntN(32, BigInt(off) + reg.varOff.value));
  if (size < 0 || at < 0 || at + size > BPF_FLOW_KEYS_SIZE) {
    reject(env, "EACCES", `invalid access to flow keys off=${at} size=${size}\n`);
  }
}

/** kernel: __check_buffer_access — the end of the access, after the constant-offset checks. */
function bufferAccessEnd(env: VerifierEnv, bufInfo: string, reg: RegState, argName: string, off: number, size: number): number {
  if (!tnumIsConst(reg.varOff)) {
    reject(env, "EACCES", `${argName} invalid variable buffer offset: off=${off}, var_off=${tnumStr(reg.varOff)}\n`);
  }
  const v = BigInt.asIntN(64, reg.varOff.value);
  const start = v + BigInt(off);
  if (start < 0n) {
    reject(env, "EACCES", `${argName} invalid negative ${bufInfo} buffer offset: off=${off}, var_off=${v}\n`);
  }
  return Number(start) + size;
}

/**
 * kernel: check_tp_buffer_access. The kernel only records the largest end
 * (max_tp_access) and checks it against the tracepoint's writable size at
 * attach time, so nothing else can fail here.
 */
export function checkTpBufferAccess(env: VerifierEnv, reg: RegState, argName: string, off: number, size: number): number {
  return bufferAccessEnd(env, "tracepoint", reg, argName, off, size);
}

/** kernel: check_buffer_access (max_rdonly_access / max_rdwr_access are checked at attach time). */
export function checkBufferAccess(env: VerifierEnv, reg: RegState, argName: string, off: number, size: number, rdonly: boolean): number {
  return bufferAccessEnd(env, rdonly ? "rdonly" : "rdwr", reg, argName, off, size);
}
