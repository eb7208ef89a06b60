// How the object's BTF differs once libbpf has prepared it for the kernel
// (bpf_object__collect_externs, bpf_object__sanitize_and_load_btf): kept as
// data next to the unmodified BTF, so the verifier sees what the kernel saw.

import type { Btf } from "../btf/index.js";
import type { ParsedObject } from "./object.js";

export const BTF_FUNC_STATIC = 0;
export const BTF_FUNC_GLOBAL = 1;

export interface KernelBtfFixups {
  /** FUNC type id -> the linkage the kernel sees (when libbpf changed it). */
  funcLinkage: Map<number, number>;
}

/**
 * Computes and applies (to the object's BTF) libbpf's edits:
 * - a hidden global subprogram's FUNC is marked static, so the verifier checks it
 *   in its callers' context (libbpf: mark_btf_static);
 * - an extern FUNC of `.ksyms` (a kfunc declaration) becomes a global FUNC.
 */
export function kernelBtfFixups(obj: ParsedObject): KernelBtfFixups {
  const funcLinkage = new Map<number, number>();
  const btf: Btf | undefined = obj.btf;
  if (!btf) return { funcLinkage };
  const end = btf.startId + btf.nrTypes;
  for (const f of obj.functions) {
    if (!f.markBtfStatic || !f.isSubprog) continue;
    for (let id = 1; id < end; id++) {
      const t = btf.type(id);
      if (t.kind === "FUNC" && t.linkage === BTF_FUNC_GLOBAL && t.name === f.name) {
        funcLinkage.set(id, BTF_FUNC_STATIC);
        break;
      }
    }
  }
  for (const e of obj.externs) if (e.kind === "ksym" && e.isFunc) funcLinkage.set(e.btfId, BTF_FUNC_GLOBAL);
  // libbpf edits its copy of the BTF, and the kernel (func_info linkage: static subprograms are
  // verified in their caller's context, global ones alone) sees only the edited one
  for (const [id, linkage] of funcLinkage) btf.patchFuncLinkage(id, linkage);
  return { funcLinkage };
}
