// The shape shared by every program type's ctx rule (kernel: the
// is_valid_access member of struct bpf_verifier_ops and the
// struct bpf_insn_access_aux it fills in).
import type { BaseRegType } from "../state/reg-type.js";
import type { Btf } from "../../btf/index.js";
import type { CtxLayouts } from "./layout.js";

/** One load/store of the ctx as is_valid_access sees it. */
export interface CtxAccess {
  readonly off: number;
  readonly size: number;
  readonly write: boolean;
  /** BPF_MEMSX load (info->is_ldsx). */
  readonly ldsx: boolean;
  /** prog->expected_attach_type, e.g. "BPF_CGROUP_INET4_BIND". */
  readonly attach: string;
  readonly layouts: CtxLayouts;
  /** The attach target named by the section (fentry/<func>, lsm/<hook>, tp_btf/<tp>). */
  readonly attachTo: string | undefined;
  /** The BTF holding that target (kernel: prog->aux->attach_btf): vmlinux's, or a module's split over it. */
  readonly attachBtf: Btf;
  readonly progType: string;
  /** bpf_log from inside is_valid_access (btf_ctx_access explains its refusals). */
  readonly log: (s: string) => void;
}

/** What a valid access hands back (the part of bpf_insn_access_aux the walk uses). */
export interface CtxAccessOut {
  regType: BaseRegType;
  regFlags: number;
  /** PTR_TO_BTF_ID results: the vmlinux struct the pointer points to, by name or id. */
  btfStruct?: string;
  btfId?: number;
  /** The s32 range of an LSM return-value slot (info->is_retval + get_func_retval_range). */
  retvalRange?: [number, number];
}

export type IsValidAccess = (a: CtxAccess, out: CtxAccessOut) => boolean;

/** kernel: bpf_ctx_narrow_access_ok */
export function narrowOk(size: number, sizeDefault: number): boolean {
  return size <= sizeDefault && (size & (size - 1)) === 0;
}

/** kernel: bpf_ctx_wide_access_ok — an 8-byte access to two u32s of an array field. */
export function wideOk(off: number, size: number, start: number, end: number): boolean {
  return off >= start && off + size <= end && size === 8 && off % 8 === 0;
}
