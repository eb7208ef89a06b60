// Which BTF object a register's BtfRef stands for, and the type name the
// state printer shows after "ptr_" (kernel: print_reg_state's btf_type_name).
import type { Btf } from "../../btf/index.js";
import type { VerifierEnv } from "../env.js";
import type { BtfRef, RegState } from "../state/types.js";
import { VMLINUX_BTF_REF } from "../calls/global.js";
import { btfOfAnyRef, btfOfRef, btfRefOf } from "../kfuncs/meta.js";

/** The Btf behind a BtfRef: vmlinux, or a module the kfunc target knows; undefined for the program's own BTF. */
export function btfOf(env: VerifierEnv, ref: BtfRef | null): Btf | undefined {
  if (ref === null) return undefined;
  if (ref === VMLINUX_BTF_REF) return env.vmlinuxBtf() ?? undefined;
  return env.kfuncTarget ? btfOfRef(env.kfuncTarget, ref) : undefined;
}

/**
 * kernel: prog->aux->attach_btf — the BTF holding the attach target: a
 * module's (split over vmlinux) when libbpf found the target there, else
 * vmlinux. null without a target BTF.
 */
export function attachBtf(env: VerifierEnv): { btf: Btf; ref: BtfRef } | null {
  const module = env.input.attachBtfModule;
  if (module === undefined) {
    const vm = env.vmlinuxBtf();
    return vm ? { btf: vm, ref: VMLINUX_BTF_REF } : null;
  }
  const target = env.kfuncTarget;
  const btf = target?.profile.btfOf(module);
  return target && btf ? { btf, ref: btfRefOf(target, module) } : null;
}

/** kernel: btf_is_kernel — vmlinux and module BTFs (not the program's). */
export function btfIsKernel(env: VerifierEnv, ref: BtfRef | null): boolean {
  return btfOf(env, ref) !== undefined;
}

/**
 * The printer hook (env.btfTypeNamer): the name of the pointee type of a
 * PTR_TO_BTF_ID (a local object's is in the program's BTF). An unknown BTF
 * prints nothing rather than guessing.
 */
export function btfTypeNamerFor(env: VerifierEnv): (reg: RegState) => string {
  return (reg) => {
    const btf = btfOfAnyRef(env, reg.btf);
    if (!btf || !btf.hasType(reg.btfId)) return "";
    return btf.type(reg.btfId).name;
  };
}
