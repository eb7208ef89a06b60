// Public API of the loader: a BPF object in, the programs libbpf would hand
// the kernel out. Passes: parseObject (open) -> resolveExterns -> CO-RE ->
// linkProgram (relocate), each with its own result type.

import { loadBundledKconfig } from "../kernel/kconfig.js";
import { readFileSync } from "node:fs";
import { loadBundledVmlinuxBtf, type Btf } from "../btf/index.js";
import type { RawInsn } from "../isa/raw.js";
import { InputError } from "../util/errors.js";
import { resolveAttach, type AttachInfo } from "./attach.js";
import { fixupVerifierLog, type LogFixupContext } from "./log-fixup.js";
import { kernelBtfFixups, type KernelBtfFixups } from "./btf-fixups.js";
import { DEFAULT_POSSIBLE_CPUS, libbpfDefaultMaxEntries, veristatFreplaceFixup, veristatMapFixups, type LoadFixups } from "./fixups.js";
import { applyCoreRelos, type CoreResult } from "./core.js";
import { resolveExterns, type TargetKernel } from "./externs.js";
import { linkProgram, type FuncInfoRec, type LineInfoRec } from "./link.js";
import type { LoaderMap } from "./maps.js";
import { parseObject, type ObjFunction, type ParsedObject } from "./object.js";
import { attachTypeName, programKind, progTypeName, type ProgramKind, type BpfAttachType, type BpfProgType, type SecDefFlag } from "./sections.js";

export { parseObject } from "./object.js";
export { kernelBtfFixups } from "./btf-fixups.js";
export { fixupVerifierLog } from "./log-fixup.js";
export type { LogFixupContext } from "./log-fixup.js";
export { BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS } from "./attach.js";
export type { AttachInfo } from "./attach.js";
export type { KernelBtfFixups } from "./btf-fixups.js";
export type { ObjFunction, ParsedObject, Relo, StructOpsSlot } from "./object.js";
export { linkProgram, POISON_CALL_KFUNC_BASE, POISON_LDIMM64_MAP_BASE } from "./link.js";
export type { AppendedSubprog, FuncInfoRec, LineInfoRec, LinkedProgram } from "./link.js";
export type { Extern, TargetKernel } from "./externs.js";
export type { LoaderMap, LibbpfMapKind } from "./maps.js";
export { CTX_PROG_TYPE_GUESSES, DEFAULT_POSSIBLE_CPUS, guessProgTypeByCtxName } from "./fixups.js";
export type { LoadFixups } from "./fixups.js";
export { mapTypeName } from "./maps.js";
export { attachTypeName, findSecDef, programKind, progTypeName } from "./sections.js";
export type { BpfAttachType, BpfMapType, BpfProgType, SecDefFlag } from "./sections.js";

/** KERNEL_VERSION(7, 2, 13): what libbpf reports on the 7.2.13 kernel the corpus ran on. */
export const LINUX_7_2_KERNEL_VERSION = 459277;

export interface LoadOptions {
  /** Target vmlinux BTF; default: the bundled 7.2 BTF. */
  targetBtf?: Btf;
  /** Module split BTFs (over targetBtf), in the order the kernel lists them. */
  moduleBtfs?: readonly { name: string; btf: Btf }[];
  /** File name for messages (defaults to the path when one is given). */
  file?: string;
  kernelVersion?: number;
  /** libbpf's btf_custom_path: CO-RE relocations resolve against this BTF instead of the target's. */
  coreBtf?: Btf;
  /** CONFIG_* values for `.kconfig` externs. */
  kconfig?: Readonly<Record<string, string>>;
  /** Strong CONFIG_* externs missing from `kconfig`: refuse (libbpf, default) or use 0. */
  kconfigMissing?: "error" | "zero";
  /**
   * "none" (default): as libbpf loads the object. "veristat": veristat's fixup_obj first, as
   * `veristat` and the realworld corpus load each program: maps of max_entries 0 get 1 (local
   * storage and struct_ops aside), struct_ops maps keep only the loaded program's slots, an
   * freplace program is retyped from its context argument.
   */
  fixups?: LoadFixups;
  /** libbpf_num_possible_cpus(): the size libbpf gives a PERF_EVENT_ARRAY of max_entries 0. Default DEFAULT_POSSIBLE_CPUS. */
  possibleCpus?: number;
}

export interface LoadedProgram extends AttachInfo {
  name: string;
  /** ELF section (without a leading '?'). */
  section: string;
  progType: BpfProgType;
  expectedAttachType: BpfAttachType;
  /** libbpf's names: "kprobe", "trace_fentry"... */
  progTypeName: string;
  expectedAttachTypeName: string;
  secDefFlags: readonly SecDefFlag[];
  sleepable: boolean;
  /** The attach target from the section name (function of fentry/foo...), null when none. */
  attachTo: string | null;
  /** false for SEC("?...") programs: libbpf does not load them unless asked. */
  autoload: boolean;
  /** What a load fix-up did to or could not do for this program (the oracle loader's "note"), null when none. */
  fixupNote: string | null;
  /** The final instructions. Map references hold indices into `maps`, except at rawMapFdInsns. */
  insns: RawInsn[];
  maps: LoaderMap[];
  /** Map ld_imm64 insns whose imm is the fd the object wrote itself (libbpf leaves them as they are). */
  rawMapFdInsns: readonly number[];
  funcInfo: FuncInfoRec[];
  lineInfo: LineInfoRec[];
  /** Appended subprograms, in order. */
  subprogs: { name: string; insnOff: number }[];
  /** The object's own BTF (func_info/line_info type ids and strings refer to it). */
  btf: Btf | undefined;
  /** Where libbpf changed that BTF before loading it (FUNC linkage of hidden subprograms, kfunc externs). */
  btfFixups: KernelBtfFixups;
  license: string;
  kernVersion: number;
  /** fd_array slots for module kfuncs: index -> module name ("" at 0 = vmlinux). */
  fdArray: string[];
  /** CO-RE relocations that failed and were poisoned. */
  corePoisoned: number;
  /** What libbpf's rewrite of the verifier log needs (see fixupLog). */
  logFixup: LogFixupContext;
  /** The verifier log as libbpf hands it to the user (libbpf: fixup_verifier_log). */
  fixupLog(kernelLog: string): string;
}

export interface LoadedObject {
  file: string;
  programs: LoadedProgram[];
  /** The object's maps in libbpf's order (programs' `maps` start with these). */
  maps: LoaderMap[];
  btf: Btf | undefined;
  parsed: ParsedObject;
  core: CoreResult;
}

/** libbpf: bpf_object__open + bpf_object__load up to (not including) BPF_PROG_LOAD. */
export function loadObject(input: Uint8Array | string, options: LoadOptions = {}): LoadedObject {
  let bytes: Uint8Array;
  let file = options.file;
  if (typeof input === "string") {
    file ??= input;
    try {
      bytes = readFileSync(input);
    } catch (e) {
      throw new InputError("OBJ_READ", `cannot read object: ${(e as Error).message}`, { file: input }, { cause: e });
    }
  } else bytes = input;
  file ??= "<object>";
  const vmlinux = options.targetBtf ?? loadBundledVmlinuxBtf("7.2");
  const target: TargetKernel = {
    vmlinux,
    modules: options.moduleBtfs ?? [],
    kernelVersion: options.kernelVersion ?? LINUX_7_2_KERNEL_VERSION,
    // the bundled target comes with its kernel's config (the values libbpf reads from /boot/config)
    kconfig: options.kconfig ?? (options.targetBtf ? {} : (loadBundledKconfig("7.2") ?? {})),
    kconfigMissing: options.kconfigMissing ?? "error",
  };
  const parsed = parseObject(bytes, { file, structOpsValueSize: (name) => structOpsValueSize(target, name) });
  const ext = resolveExterns(parsed.externs, parsed.btf, target, { file });
  if (ext.kconfigData && parsed.kconfigMapIdx >= 0) parsed.maps[parsed.kconfigMapIdx]!.initialValue = ext.kconfigData;
  const core = applyCoreRelos(parsed, target, options.coreBtf);
  const btfFixups = kernelBtfFixups(parsed);
  const veristat = options.fixups === "veristat";
  // veristat: fixup_obj runs on the opened object, before bpf_object__load creates the maps.
  if (veristat) veristatMapFixups(parsed.maps);
  libbpfDefaultMaxEntries(parsed.maps, options.possibleCpus ?? DEFAULT_POSSIBLE_CPUS);
  const kinds = new Map<ObjFunction, ProgramKind>();
  const notes = new Map<ObjFunction, string>();
  for (const fn of parsed.functions) {
    if (fn.isSubprog) continue;
    let kind = programKind(fn.secName);
    // veristat: fixup_obj — freplace programs are retyped from their context argument
    const fx = veristat ? veristatFreplaceFixup(parsed.btf, fn.name, kind) : undefined;
    if (fx) {
      kind = fx.kind;
      notes.set(fn, fx.note);
    }
    kinds.set(fn, kind);
  }
  // veristat: fixup_obj's mask_unrelated_struct_ops_progs (see resolveAttach)
  const attach = resolveAttach(parsed, target, kinds, veristat);
  const programs: LoadedProgram[] = [];
  for (const [fn, kind] of kinds) {
    const linked = linkProgram(parsed, fn, (f) => core.insnsOf(f));
    const coreRelos = [...core.recordsOf(fn)];
    for (const s of linked.subprogs) {
      const sub = parsed.functions.find((f) => f.isSubprog && f.name === s.name);
      if (sub) for (const r of core.recordsOf(sub)) coreRelos.push({ insnIdx: r.insnIdx + s.insnOff, relo: r.relo });
    }
    const logFixup: LogFixupContext = { progName: fn.name, btf: parsed.btf, coreRelos, objMaps: parsed.maps, externs: parsed.externs };
    programs.push({
      ...attach.get(fn)!,
      name: fn.name,
      section: fn.secName,
      progType: kind.progType,
      expectedAttachType: kind.expectedAttachType,
      progTypeName: progTypeName(kind.progType),
      expectedAttachTypeName: attachTypeName(kind.expectedAttachType),
      secDefFlags: kind.flags,
      sleepable: kind.flags.includes("SEC_SLEEPABLE"),
      attachTo: kind.attachTo,
      autoload: fn.autoload,
      fixupNote: notes.get(fn) ?? null,
      insns: linked.insns,
      maps: linked.maps,
      rawMapFdInsns: linked.rawMapFdInsns,
      funcInfo: linked.funcInfo,
      lineInfo: linked.lineInfo,
      subprogs: linked.subprogs.map((s) => ({ name: s.name, insnOff: s.insnOff })),
      btf: parsed.btf,
      btfFixups,
      license: parsed.license,
      kernVersion: parsed.kernVersion,
      fdArray: ext.fdArray,
      corePoisoned: core.poisonedIn(linked),
      logFixup,
      fixupLog: (log) => fixupVerifierLog(logFixup, log),
    });
  }
  return { file, programs, maps: parsed.maps, btf: parsed.btf, parsed, core };
}

/** The kernel's `struct bpf_struct_ops_<name>` size, which libbpf uses as the map's value size. */
function structOpsValueSize(target: TargetKernel, name: string): number | undefined {
  for (const btf of [target.vmlinux, ...target.modules.map((m) => m.btf)]) {
    const id = btf.findByNameKind(`bpf_struct_ops_${name}`, "STRUCT");
    if (id !== undefined) return btf.sizeOrType(id);
  }
  return undefined;
}
