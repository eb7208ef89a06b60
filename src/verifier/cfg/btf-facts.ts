// The pre-pass facts that come from the program's own BTF and func_info:
// subprog names and linkage (func_info[i] describes subprog i once
// bpf_check_btf_info has matched them), the exception callback, and the
// constant contents of frozen read-only maps.
// kernel: subprog_name, bpf_subprog_is_global,
// bpf_find_exception_callback_insn_off, btf_find_decl_tag_value
// (verifier.c, btf.c); bpf_map_is_rdonly, bpf_map_direct_read (verifier.c)
import type { Btf } from "../../btf/index.js";
import { BTF_KIND, declTags, skipModsAndTypedefs } from "../../btf/index.js";
import type { FuncInfo, MapInfo } from "../input.js";
import type { CfgEnv, CfgReject, PrePassOptions } from "./types.js";

/** kernel: BTF_FUNC_GLOBAL */
const BTF_FUNC_GLOBAL = 1;
/** kernel: BPF_F_RDONLY_PROG */
const BPF_F_RDONLY_PROG = 1 << 7;

function funcOf(btf: Btf, id: number): { name: string; linkage: number } | undefined {
  try {
    const t = btf.type(id);
    return t.kind === "FUNC" ? { name: t.name, linkage: t.linkage } : undefined;
  } catch {
    return undefined;
  }
}

/** kernel: bpf_find_exception_callback_insn_off — 0 when there is none. */
export function findExceptionCallbackInsnOff(btf: Btf | undefined, funcInfo: readonly FuncInfo[]): number | CfgReject {
  if (!btf || funcInfo.length === 0) return 0;
  const mainId = funcInfo[0]!.typeId;
  if (!btf.hasType(mainId)) return { errno: "EINVAL", message: "invalid btf id for main subprog in func_info\n" };
  const KEY = "exception_callback:";
  const tags = declTags(btf, mainId, -1).filter((t) => t.value.startsWith(KEY));
  if (tags.length === 0) return 0;
  if (tags.length > 1) return { errno: "EEXIST", message: "multiple exception callback tags for main subprog\n" };
  const name = tags[0]!.value.slice(KEY.length);
  const id = btf.findByNameKind(name, "FUNC");
  if (id === undefined) return { errno: "ENOENT", message: `exception callback '${name}' could not be found in BTF\n` };
  if (funcOf(btf, id)?.linkage !== BTF_FUNC_GLOBAL) {
    return { errno: "EINVAL", message: `exception callback '${name}' must have global linkage\n` };
  }
  // Every func_info entry of that type is looked at; an insn_off of 0 is
  // reported but a later entry may still supply the offset.
  let ret = 0;
  let message = "";
  for (const fi of funcInfo) {
    if (fi.typeId !== id) continue;
    ret = fi.insnOff;
    if (!ret) {
      message += "invalid exception callback insn_off in func_info: 0\n";
      ret = -1;
    }
  }
  if (!ret) return { errno: "EINVAL", message: message + "exception callback type id not found in func_info\n" };
  if (ret < 0) return { errno: "EINVAL", message };
  return ret;
}

/** kernel: btf_type_is_small_int || btf_is_any_enum, after btf_type_skip_modifiers */
function returnsScalar(btf: Btf, protoId: number): boolean {
  const ret = skipModsAndTypedefs(btf, btf.sizeOrType(protoId));
  const k = btf.kindNum(ret);
  if (k === BTF_KIND.ENUM || k === BTF_KIND.ENUM64) return true;
  return k === BTF_KIND.INT && btf.sizeOrType(ret) <= 8;
}

/**
 * kernel: check_btf_func (with check_abnormal_return when there is no
 * func_info) — LD_ABS/LD_IND and tail calls leave a subprog through an
 * implicit `return 0`, which only fits a subprog returning a scalar.
 * Runs as bpf_check_btf_info, once subprogs and their has_ld_abs /
 * has_tail_call are known. func_info's type ids were checked at load.
 */
export function checkBtfFunc(btf: Btf | undefined, funcInfo: readonly FuncInfo[]): (env: CfgEnv) => CfgReject | undefined {
  return (env) => {
    const subs = env.subprogs.slice(0, env.subprogCnt);
    if (!btf || funcInfo.length === 0) {
      for (const sp of subs.slice(1)) {
        if (sp.hasLdAbs) return { errno: "EINVAL", message: "LD_ABS is not allowed in subprogs without BTF\n" };
        if (sp.hasTailCall) return { errno: "EINVAL", message: "tail_call is not allowed in subprogs without BTF\n" };
      }
      return undefined;
    }
    if (funcInfo.length !== subs.length) {
      return { errno: "EINVAL", message: "number of funcs in func_info doesn't match number of subprogs\n" };
    }
    for (let i = 0; i < subs.length; i++) {
      const sp = subs[i]!;
      if (sp.start !== funcInfo[i]!.insnOff) {
        return { errno: "EINVAL", message: "func_info BTF section doesn't match subprog layout in BPF program\n" };
      }
      if (i === 0 || !(sp.hasLdAbs || sp.hasTailCall)) continue;
      if (returnsScalar(btf, btf.sizeOrType(funcInfo[i]!.typeId))) continue;
      const what = sp.hasLdAbs ? "LD_ABS" : "tail_call";
      return { errno: "EINVAL", message: `${what} is only allowed in functions that return 'int'.\n` };
    }
    return undefined;
  };
}

/**
 * kernel: bpf_map_direct_read on a map bpf_map_is_rdonly accepts: created
 * with BPF_F_RDONLY_PROG and frozen (libbpf's .rodata/.kconfig), read from
 * its initial contents.
 */
export function readOnlyMapValueFrom(maps: readonly MapInfo[]): NonNullable<PrePassOptions["readOnlyMapValue"]> {
  return (mapIndex, off, size, signExtend) => {
    const m = maps[mapIndex];
    if (!m || !(m.flags & BPF_F_RDONLY_PROG) || !m.frozen || !m.initialValue) return undefined;
    // Only array maps (single entry) give a direct value address here.
    if (m.type !== "BPF_MAP_TYPE_ARRAY" || m.maxEntries !== 1 || off < 0 || off + size > m.valueSize) return undefined;
    if (size !== 1 && size !== 2 && size !== 4 && size !== 8) return undefined;
    let v = 0n;
    for (let b = size - 1; b >= 0; b--) v = (v << 8n) | BigInt(m.initialValue[off + b] ?? 0);
    return signExtend && size < 8 ? BigInt.asUintN(64, BigInt.asIntN(size * 8, v)) : v;
  };
}

/** subprogName / isGlobal / exceptionCallbackInsnOff and the check_btf_func pass from the program's BTF and func_info. */
export function prePassFactsFromBtf(
  btf: Btf | undefined,
  funcInfo: readonly FuncInfo[],
): PrePassOptions & { checkBtfInfo: (env: CfgEnv) => CfgReject | undefined } {
  const fn = (i: number) => (btf && funcInfo[i] ? funcOf(btf, funcInfo[i]!.typeId) : undefined);
  return {
    subprogName: (i) => fn(i)?.name ?? "",
    isGlobal: (i) => fn(i)?.linkage === BTF_FUNC_GLOBAL,
    exceptionCallbackInsnOff: () => findExceptionCallbackInsnOff(btf, funcInfo),
    checkBtfInfo: checkBtfFunc(btf, funcInfo),
  };
}
