// Extern symbols (__kconfig and __ksym) and their resolution against the
// target kernel, as libbpf does: collect in symbol order, sort (the sorted
// index is what poisoned calls carry), then resolve ksyms through the target
// BTF (vmlinux first, then the module BTFs) and kconfig values from the profile.

import { BTF_KIND, btfKindStr, coreEssentialName, coreTypesAreCompat, resolveSize, skipModsAndTypedefs, type Btf } from "../btf/index.js";
import type { ElfSymbol } from "../elf/index.js";
import { InputError, type Where } from "../util/errors.js";
import { STB_GLOBAL, STB_WEAK, STT_NOTYPE, SHN_UNDEF } from "../elf/index.js";

export type ExternKind = "kcfg" | "ksym";

export interface Extern {
  name: string;
  /** Name without a ___flavor suffix (libbpf: essent_name). */
  essentName: string;
  kind: ExternKind;
  symIdx: number;
  isWeak: boolean;
  /** VAR or FUNC id in the object's BTF. */
  btfId: number;
  isFunc: boolean;
  /** kcfg: size, alignment, offset in the .kconfig map. */
  kcfgSize: number;
  kcfgAlign: number;
  kcfgDataOff: number;
  /** ksym: the local type (VAR's type after mods/typedefs, or FUNC_PROTO); 0 = typeless ksym. */
  ksymTypeId: number;
  /** Resolution results. */
  isSet: boolean;
  /** Typeless ksym: its address (kallsyms). */
  ksymAddr: bigint;
  kernelBtfId: number;
  /** Module: index into fd_array (libbpf numbering, 0 for vmlinux). */
  btfFdIdx: number;
  /** The BTF (vmlinux or module) the ksym resolved in. */
  kernelBtf?: Btf;
  /** Name of that BTF ("vmlinux", "bpf_testmod", ...). */
  kernelBtfName?: string;
}

/** libbpf: sym_is_extern */
export function symIsExtern(sym: ElfSymbol): boolean {
  return sym.shndx === SHN_UNDEF && (sym.bind === STB_GLOBAL || sym.bind === STB_WEAK) && sym.type === STT_NOTYPE;
}

const BTF_VAR_GLOBAL_EXTERN = 2;
const BTF_FUNC_EXTERN = 2;

/** libbpf: btf__align_of */
function alignOf(btf: Btf, id: number): number {
  const t = btf.type(skipModsAndTypedefs(btf, id));
  switch (t.kind) {
    case "INT": case "ENUM": case "ENUM64": case "FLOAT": return Math.min(t.size, 8);
    case "PTR": return 8;
    case "ARRAY": return alignOf(btf, t.elemType);
    case "STRUCT": case "UNION": {
      let a = 1;
      for (const m of t.members) a = Math.max(a, alignOf(btf, m.type));
      return a;
    }
    default: return 0;
  }
}

/** libbpf: bpf_object__collect_externs (without the BTF rewriting the kernel load needs). */
export function collectExterns(symbols: readonly ElfSymbol[], btf: Btf | undefined, where: Where): Extern[] {
  const out: Extern[] = [];
  for (const sym of symbols) {
    if (!symIsExtern(sym) || sym.name === "") continue;
    if (!btf) throw new InputError("EXTERN_NO_BTF", `failed to find BTF for extern '${sym.name}': object has no BTF`, where);
    const btfId = btf.findByName(sym.name).find((id) => {
      const t = btf.type(id);
      return (t.kind === "VAR" && t.linkage === BTF_VAR_GLOBAL_EXTERN) || (t.kind === "FUNC" && t.linkage === BTF_FUNC_EXTERN);
    });
    if (btfId === undefined) throw new InputError("EXTERN_NO_BTF", `failed to find BTF for extern '${sym.name}'`, where);
    const t = btf.type(btfId);
    let secName: string | undefined;
    for (let id = 1; id < btf.startId + btf.nrTypes && secName === undefined; id++) {
      const s = btf.type(id);
      if (s.kind === "DATASEC" && s.vars.some((v) => v.type === btfId)) secName = s.name;
    }
    if (secName === undefined) throw new InputError("EXTERN_NO_BTF", `failed to find BTF for extern '${sym.name}' [${btfId}] section`, where);
    const ext: Extern = {
      name: t.name,
      essentName: coreEssentialName(t.name),
      kind: "ksym",
      symIdx: sym.index,
      isWeak: sym.bind === STB_WEAK,
      btfId,
      isFunc: t.kind === "FUNC",
      kcfgSize: 0,
      kcfgAlign: 0,
      kcfgDataOff: 0,
      ksymTypeId: 0,
      isSet: false,
      ksymAddr: 0n,
      kernelBtfId: 0,
      btfFdIdx: 0,
    };
    const typeRef = t.kind === "VAR" || t.kind === "FUNC" ? t.type : 0;
    if (secName === ".kconfig") {
      if (t.kind === "FUNC") throw new InputError("EXTERN_UNSUPPORTED", `extern function ${t.name} is unsupported under .kconfig section`, where);
      ext.kind = "kcfg";
      const sz = resolveSize(btf, typeRef);
      if (!sz) throw new InputError("EXTERN_BAD_KCFG", `failed to resolve size of extern (kcfg) '${t.name}'`, where);
      ext.kcfgSize = sz;
      ext.kcfgAlign = alignOf(btf, typeRef);
      if (ext.kcfgAlign <= 0) throw new InputError("EXTERN_BAD_KCFG", `failed to determine alignment of extern (kcfg) '${t.name}'`, where);
    } else if (secName === ".ksyms") {
      ext.ksymTypeId = skipModsAndTypedefs(btf, typeRef);
    } else {
      throw new InputError("EXTERN_UNSUPPORTED", `unrecognized extern section '${secName}'`, where);
    }
    out.push(ext);
  }
  // libbpf: cmp_externs — kcfg before ksym; kcfg by alignment (desc), size (asc); then by name.
  out.sort((a, b) => {
    if (a.kind !== b.kind) return a.kind === "kcfg" ? -1 : 1;
    if (a.kind === "kcfg") {
      if (a.kcfgAlign !== b.kcfgAlign) return b.kcfgAlign - a.kcfgAlign;
      if (a.kcfgSize !== b.kcfgSize) return a.kcfgSize - b.kcfgSize;
    }
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  let off = 0;
  for (const e of out) {
    if (e.kind !== "kcfg") continue;
    e.kcfgDataOff = Math.ceil(off / e.kcfgAlign) * e.kcfgAlign;
    off = e.kcfgDataOff + e.kcfgSize;
  }
  return out;
}

/** Size of the .kconfig map: the end of the last kcfg extern. */
export function kconfigSize(externs: readonly Extern[]): number {
  let end = 0;
  for (const e of externs) if (e.kind === "kcfg") end = Math.max(end, e.kcfgDataOff + e.kcfgSize);
  return end;
}

export interface TargetKernel {
  vmlinux: Btf;
  /** Module split BTFs, in the order libbpf would find them (kernel BTF object id order). */
  modules: readonly { name: string; btf: Btf }[];
  /** LINUX_KERNEL_VERSION (KERNEL_VERSION(a,b,c)). */
  kernelVersion: number;
  /** CONFIG_* values as /proc/config.gz spells them ("y", "m", "42", "\"str\""). */
  kconfig: Readonly<Record<string, string>>;
  /**
   * A strong CONFIG_* extern without a value in `kconfig`: "error" as libbpf on a kernel
   * whose config lacks it; "zero" to go on with 0 (the instructions do not depend on it).
   */
  kconfigMissing?: "error" | "zero";
  /** Typeless ksym addresses (/proc/kallsyms); when absent every typeless ksym resolves to 0. */
  kallsyms?: Readonly<Record<string, bigint>>;
}

interface FoundKsym {
  id: number;
  btf: Btf;
  module: { name: string; btf: Btf } | undefined;
}

/** Where a typeless ksym is taken to live when no kallsyms table is given (kernel text base). */
export const PLACEHOLDER_KSYM_ADDR = 0xffffffff81000000n;

/** libbpf: find_ksym_btf_id — vmlinux first, then each module's own types. */
function findKsym(target: TargetKernel, name: string, kind: "VAR" | "FUNC"): FoundKsym | undefined {
  const id = target.vmlinux.findByNameKind(name, kind);
  if (id !== undefined && id > 0) return { id, btf: target.vmlinux, module: undefined };
  const want = BTF_KIND[kind];
  for (const mod of target.modules) {
    for (const mid of mod.btf.findByName(name)) {
      if (mid >= mod.btf.startId && mod.btf.kindNum(mid) === want) return { id: mid, btf: mod.btf, module: mod };
    }
  }
  return undefined;
}

export interface ExternResolution {
  /** fd_array slots for module BTFs (index 0 unused), in libbpf's numbering. */
  fdArray: string[];
  kconfigData: Uint8Array | undefined;
}

/** libbpf: bpf_object__resolve_externs, bpf_object__resolve_ksyms_btf_id */
export function resolveExterns(externs: Extern[], objBtf: Btf | undefined, target: TargetKernel, where: Where): ExternResolution {
  const kcfgData = externs.some((e) => e.kind === "kcfg") ? new Uint8Array(kconfigSize(externs)) : undefined;
  const fdArray: string[] = [];
  const modIdx = new Map<string, number>();
  for (const ext of externs) {
    if (ext.kind === "kcfg") {
      let value: string | undefined;
      if (ext.name.startsWith("CONFIG_")) {
        value = target.kconfig[ext.name];
        if (value === undefined && !ext.isWeak && target.kconfigMissing === "zero") value = "0";
      }
      else if (ext.name === "LINUX_KERNEL_VERSION") value = String(target.kernelVersion);
      else if (ext.name === "LINUX_HAS_BPF_COOKIE" || ext.name === "LINUX_HAS_SYSCALL_WRAPPER") value = "1";
      else if (!ext.name.startsWith("LINUX_") || !ext.isWeak) {
        throw new InputError("EXTERN_KCFG", `extern (kcfg) '${ext.name}': unrecognized virtual extern`, where);
      }
      if (value !== undefined) {
        setKcfgValue(ext, kcfgData!, value, where);
        ext.isSet = true;
      }
      continue;
    }
    if (ext.ksymTypeId === 0 || !objBtf) {
      // Typeless ksym: an address from /proc/kallsyms. Without a kallsyms table a symbol the
      // target BTF names (or a strong extern, which libbpf would refuse if missing) is taken to
      // exist at a placeholder kernel address: the verifier sees a known non-zero scalar, so
      // `if (&sym)` takes the branch it takes on the kernel; a weak one BTF does not know is 0.
      const known = findKsym(target, ext.name, "VAR") ?? findKsym(target, ext.name, "FUNC");
      const addr = target.kallsyms ? target.kallsyms[ext.name] : known || !ext.isWeak ? PLACEHOLDER_KSYM_ADDR : undefined;
      if (addr !== undefined) {
        ext.isSet = true;
        ext.ksymAddr = addr;
      }
      continue;
    }
    const found = findKsym(target, ext.isFunc ? ext.essentName : ext.name, ext.isFunc ? "FUNC" : "VAR");
    if (!found) {
      if (ext.isWeak) continue;
      throw new InputError("EXTERN_NOT_FOUND", ext.isFunc
        ? `extern (func ksym) '${ext.name}': not found in kernel or module BTFs`
        : `extern (var ksym) '${ext.name}': not found in kernel BTF`, where);
    }
    // libbpf: bpf_core_types_are_compat between the declaration and the kernel's type.
    const kernType = ext.isFunc ? found.btf.sizeOrType(found.id) : skipModsAndTypedefs(found.btf, found.btf.sizeOrType(found.id));
    let compat: boolean;
    try {
      compat = coreTypesAreCompat(objBtf, ext.ksymTypeId, found.btf, kernType);
    } catch {
      compat = false; // too deep: libbpf's -EINVAL, which it treats as incompatible
    }
    if (!compat) {
      if (ext.isFunc) {
        if (ext.isWeak) continue;
        throw new InputError("EXTERN_INCOMPATIBLE", `extern (func ksym) '${ext.name}': func_proto [${ext.ksymTypeId}] incompatible with ${found.module?.name ?? "vmlinux"} [${kernType}]`, where);
      }
      const lt = objBtf.type(ext.ksymTypeId);
      const tt = found.btf.type(kernType);
      throw new InputError("EXTERN_INCOMPATIBLE", `extern (var ksym) '${ext.name}': incompatible types, expected [${ext.ksymTypeId}] ${btfKindStr(objBtf.kindNum(ext.ksymTypeId))} ${lt.name}, but kernel has [${kernType}] ${btfKindStr(found.btf.kindNum(kernType))} ${tt.name}`, where);
    }
    if (ext.isFunc && found.module) {
      let idx = modIdx.get(found.module.name);
      if (idx === undefined) {
        // libbpf never uses fd_array index 0 for a module BTF.
        if (fdArray.length === 0) fdArray.push("");
        idx = fdArray.length;
        fdArray.push(found.module.name);
        modIdx.set(found.module.name, idx);
      }
      ext.btfFdIdx = idx;
    }
    ext.isSet = true;
    ext.kernelBtfId = found.id;
    ext.kernelBtf = found.btf;
    ext.kernelBtfName = found.module?.name ?? "vmlinux";
  }
  // A typed ksym variable of a module: the kernel receives that module's BTF fd in the
  // ld_imm64; bpfverify has no fds and numbers module BTFs through fd_array instead
  // (slots after libbpf's kfunc ones, so kfunc numbering is unchanged).
  for (const ext of externs) {
    if (ext.kind !== "ksym" || ext.isFunc || !ext.isSet || ext.kernelBtfName === undefined || ext.kernelBtfName === "vmlinux") continue;
    let idx = modIdx.get(ext.kernelBtfName);
    if (idx === undefined) {
      if (fdArray.length === 0) fdArray.push("");
      idx = fdArray.length;
      fdArray.push(ext.kernelBtfName);
      modIdx.set(ext.kernelBtfName, idx);
    }
    ext.btfFdIdx = idx;
  }
  for (const ext of externs) {
    if (!ext.isSet && !ext.isWeak) throw new InputError("EXTERN_NOT_RESOLVED", `extern '${ext.name}' (strong): not resolved`, where);
  }
  return { fdArray, kconfigData: kcfgData };
}

/** libbpf: set_kcfg_value_tri / set_kcfg_value_num (little-endian). */
function setKcfgValue(ext: Extern, data: Uint8Array, raw: string, where: Where): void {
  let v: bigint;
  if (raw === "y") v = 1n;
  else if (raw === "m") v = 2n;
  else if (raw === "n") v = 0n;
  else if (raw.startsWith("\"")) {
    const s = raw.slice(1, -1);
    const bytes = Buffer.from(s, "latin1");
    data.set(bytes.subarray(0, Math.max(0, ext.kcfgSize - 1)), ext.kcfgDataOff);
    return;
  } else {
    try {
      v = BigInt(raw);
    } catch {
      throw new InputError("EXTERN_KCFG", `extern (kcfg) '${ext.name}': value '${raw}' is not a number`, where);
    }
  }
  v = BigInt.asUintN(64, v);
  for (let i = 0; i < ext.kcfgSize && i < 8; i++) data[ext.kcfgDataOff + i] = Number((v >> BigInt(8 * i)) & 0xffn);
}
