// The struct_ops types of a target kernel (see types.ts).
import type { StructOpsDesc } from "./types.js";
import { TESTMOD_STRUCT_OPS, VMLINUX_STRUCT_OPS } from "./data.js";

export type * from "./types.js";

/** The struct_ops type `name` registered by `module` (undefined: vmlinux), if modelled. */
export function structOpsDesc(name: string, module: string | undefined): StructOpsDesc | undefined {
  const all = [...VMLINUX_STRUCT_OPS, ...TESTMOD_STRUCT_OPS];
  return all.find((d) => d.name === name && d.module === module);
}

/** Every modelled struct_ops type (tests). */
export function allStructOps(): readonly StructOpsDesc[] {
  return [...VMLINUX_STRUCT_OPS, ...TESTMOD_STRUCT_OPS];
}

/** The struct_ops type that registered the kfunc filter `filter` (kernel: btf_kfunc_id_set.filter). */
export function structOpsWithKfuncFilter(filter: string): StructOpsDesc | undefined {
  return allStructOps().find((d) => d.kfuncFilter?.name === filter);
}
