// Glue between the loader's output, the target profile and the verifier:
// one LoadedProgram in, one VerifyResult out.
import type { LoadedProgram } from "../loader/index.js";
import type { LoaderMap } from "../loader/maps.js";
import type { MapInfo, VerifierInput } from "../verifier/input.js";
import { verify, type VerifyOptions, type VerifyResult } from "../verifier/verify.js";
import type { HelperLookup, HelperProtoView } from "../verifier/calls/helper.js";
import { helperAllowed, helperById, helperProto, resolveArgType, resolveRetType, TYPE_FLAGS } from "../kernel/helpers/index.js";
import type { ProgTypeName } from "../kernel/progtypes/types.js";
import { printBpfInsn, verifierInsnCallbacks, funcIdName } from "../isa/index.js";
import { installDefaultScalarDomain } from "./scalar-domain.js";
import { withRawMapFds } from "./raw-map-fds.js";
import { kernelBtfCheckFuncs, type Btf } from "../btf/index.js";
import { loadProfile, makeProfile, type Profile } from "../kernel/profile.js";
import { prePassFactsFromBtf, prePassFactsFromProfile } from "../verifier/cfg/index.js";
import { makeKfuncTarget } from "../verifier/kfuncs/meta.js";
import { mapProgCompatibilityCheck } from "../verifier/maprec/prog-compat.js";
import { btfTypeNamerFor, checkAttachBtfId } from "../verifier/btfctx/index.js";
import { checkStructOpsBtfId, installStructOps, requireStructOpsHelpers, type StructOpsProg } from "../verifier/structops/index.js";

/** Our bit for a kernel type-flag name (kernel: BIT(n + BPF_BASE_TYPE_BITS)). */
function flagBits(names: readonly string[]): number {
  let m = 0;
  for (const n of names) {
    const k = (TYPE_FLAGS as Record<string, number>)[n];
    if (k !== undefined) m |= 1 << (k - 8);
  }
  return m;
}

function toMapInfo(m: LoaderMap): MapInfo {
  const info: MapInfo = {
    name: m.kernelName,
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    flags: m.mapFlags,
    btfKeyTypeId: m.btfKeyTypeId,
    btfValueTypeId: m.btfValueTypeId,
  };
  if (m.inner) info.inner = toMapInfo(m.inner);
  if (m.jumpTable) info.insnOffsets = m.jumpTable;
  // The kernel creates INSN_ARRAY maps read-only for programs (BPF_F_RDONLY_PROG).
  if (m.type === "BPF_MAP_TYPE_INSN_ARRAY") info.flags |= 1 << 7;
  if (m.initialValue) info.initialValue = m.initialValue;
  // libbpf freezes .rodata and .kconfig after filling them (bpf_object__populate_internal_map).
  if (m.kind === "rodata" || m.kind === "kconfig") info.frozen = true;
  return info;
}

/** The verifier's view of a loaded program. */
export function toVerifierInput(prog: LoadedProgram, progFlags = 0): VerifierInput {
  const btf = prog.btf;
  const str = (off: number) => (btf ? btf.strAt(off) ?? "" : "");
  return {
    name: prog.name,
    progType: prog.progType,
    expectedAttachType: prog.expectedAttachType,
    ...(prog.attachTo ? { attachTo: prog.attachTo } : {}),
    ...(prog.attachBtfModule ? { attachBtfModule: prog.attachBtfModule } : {}),
    ...(prog.structOps ? { structOps: { ...prog.structOps, memberIdx: prog.expectedAttachTypeNum, module: prog.attachBtfModule } } : {}),
    progFlags: progFlags | (prog.sleepable ? 1 << 4 : 0),
    sleepable: prog.sleepable,
    gplCompatible: /^(GPL|GPL v2|GPL and additional rights|Dual BSD\/GPL|Dual MIT\/GPL|Dual MPL\/GPL)$/.test(prog.license),
    ...withRawMapFds(prog.insns, prog.maps.map(toMapInfo), prog.rawMapFdInsns),
    funcInfo: prog.funcInfo.map((f) => ({ insnOff: f.insnOff, typeId: f.typeId })),
    lineInfo: prog.lineInfo.map((l) => ({
      insnOff: l.insnOff,
      fileName: str(l.fileNameOff),
      line: str(l.lineOff),
      lineNum: l.lineCol >>> 10,
      lineCol: l.lineCol & 0x3ff,
    })),
  };
}

/** The kernel function attach_btf_id names (the helpers' `allowed` callbacks test it: bpf_d_path). */
function attachTargetName(prog: LoadedProgram, profile: Profile): string | undefined {
  if (!prog.attachBtfId) return undefined;
  const btf = profile.btfOf(prog.attachBtfModule ?? undefined);
  return btf && btf.hasType(prog.attachBtfId) ? btf.typeName(prog.attachBtfId) : undefined;
}

function helperLookupFor(prog: LoadedProgram, attachTarget: string | undefined): (id: number) => HelperLookup {
  // Memoised per program: the answer depends only on the id and the program's load context,
  // and building it (proto selection, type resolution) cost more than the helper call checks.
  const cache = new Map<number, HelperLookup>();
  return (id) => {
    let hit = cache.get(id);
    if (hit === undefined) {
      hit = lookupHelper(prog, id, attachTarget);
      cache.set(id, hit);
    }
    return hit;
  };
}

function lookupHelper(prog: LoadedProgram, id: number, attachTarget: string | undefined): HelperLookup {
  const row = helperById(id);
  if (!row || id === 0) return { error: "ERANGE", name: funcIdName(id) };
  // struct_ops programs take their helpers from their struct_ops type (its verifier ops' get_func_proto)
  if (prog.structOps) requireStructOpsHelpers(prog.structOps.typeName);
  const ctx = {
    sleepable: prog.sleepable, ...(attachTarget !== undefined ? { attachTarget } : {}),
    ...(prog.structOps ? { structOps: prog.structOps.typeName, structOpsMember: prog.structOps.member } : {}),
  };
  const p = helperProto(id, prog.progType as ProgTypeName, prog.expectedAttachType, ctx);
  if (!p) return { error: "EINVAL", name: funcIdName(id) };
  const ret = resolveRetType(p.ret);
  const view: HelperProtoView = {
    name: p.helperName,
    ret: { base: ret.base, flags: flagBits(ret.flags) },
    args: p.args.map((a) => {
      const r = resolveArgType(a);
      return { base: r.base, flags: flagBits(r.flags), ...(a.size?.bytes !== undefined ? { size: a.size.bytes } : {}), ...(a.btfId?.type !== undefined ? { btfType: a.btfId.type } : {}) };
    }),
    allowed: helperAllowed(p, prog.expectedAttachType, ctx),
    gplOnly: p.gplOnly,
    mightSleep: p.mightSleep,
    pktAccess: p.pktAccess,
  };
  return { proto: view };
}

export interface VerifyProgramOptions {
  logLevel?: number;
  logSize?: number;
  progFlags?: number;
  /** Target kernel profile; default: the bundled Linux 7.2 one. */
  profile?: Profile;
}

let defaultProfile: Profile | undefined;
/** Per vmlinux BTF object, the profiles made for each list of module BTF objects. */
const profilesByTarget = new WeakMap<Btf, { modules: readonly Btf[]; names: readonly string[]; profile: Profile }[]>();

/**
 * The profile for a target BTF and its modules, cached per (vmlinux, modules) objects: a
 * long-lived process (the conformance worker, an editor) verifies objects against different
 * module sets over the same bundled vmlinux.
 */
export function profileFor(vmlinux: Btf, modules: readonly { name: string; btf: Btf }[]): Profile {
  let entries = profilesByTarget.get(vmlinux);
  if (!entries) profilesByTarget.set(vmlinux, (entries = []));
  const same = (e: { modules: readonly Btf[]; names: readonly string[] }): boolean =>
    e.modules.length === modules.length && modules.every((m, i) => e.modules[i] === m.btf && e.names[i] === m.name);
  let hit = entries.find(same);
  if (!hit) {
    hit = { modules: modules.map((m) => m.btf), names: modules.map((m) => m.name), profile: makeProfile("7.2", vmlinux, modules.map((m) => ({ module: m.name, btf: m.btf }))) };
    entries.push(hit);
    if (entries.length > 8) entries.shift();
  }
  return hit.profile;
}

/**
 * libbpf loads a program without func/line info when the kernel refuses the
 * object's BTF (7 corpus objects: naked functions with unnamed arguments).
 */
const btfAccepted = new WeakMap<Btf, boolean>();
function kernelAcceptsBtf(btf: Btf): boolean {
  let ok = btfAccepted.get(btf);
  if (ok === undefined) {
    ok = kernelBtfCheckFuncs(btf).ok;
    btfAccepted.set(btf, ok);
  }
  return ok;
}

/** Verify one program of a loaded object against the bundled Linux 7.2 rules. */
export function verifyProgram(prog: LoadedProgram, opts: VerifyProgramOptions = {}): VerifyResult {
  if (prog.loadError) {
    // libbpf (libbpf_prepare_prog_load / bpf_object_init_prog): the kernel never sees it
    return { verdict: "failure", libbpfError: prog.loadError, log: "", logTrueSize: 0, insnsProcessed: 0, totalStates: 0, peakStates: 0, maxStatesPerInsn: 0, stackDepths: [], durationUs: 0 };
  }
  installDefaultScalarDomain();
  const profile = opts.profile ?? (defaultProfile ??= loadProfile());
  const input = toVerifierInput(prog, opts.progFlags ?? 0);
  const btf = prog.btf && kernelAcceptsBtf(prog.btf) ? prog.btf : undefined;
  if (!btf) {
    input.funcInfo = [];
    input.lineInfo = [];
  }
  const kfuncName = (off: number, id: number): string | undefined => {
    const mod = prog.fdArray[off] || undefined;
    const b = profile.btfOf(mod);
    if (!b || !b.hasType(id)) return undefined;
    return b.typeName(id);
  };
  const cbs = verifierInsnCallbacks(kfuncName);
  const printInsn = (insns: readonly VerifierInput["insns"][number][], i: number) => printBpfInsn(insns[i]!, insns[i + 1], cbs) + "\n";
  let structOps: StructOpsProg | undefined;
  const vopts: VerifyOptions = {
    logLevel: opts.logLevel ?? 0,
    logSize: opts.logSize ?? 16 << 20,
    insnText: printInsn,
    prePass: {
      ...prePassFactsFromProfile(profile, {
        progType: prog.progType as ProgTypeName,
        attachType: prog.expectedAttachType,
        gplCompatible: input.gplCompatible,
        kfuncModule: (off) => prog.fdArray[off] || undefined,
      }),
      ...prePassFactsFromBtf(btf, input.funcInfo),
      printInsn,
      checkMapProgCompatibility: mapProgCompatibilityCheck(btf ?? null, input.maps, input.progType),
      checkAttachBtfId: (cfg) => {
        const err = checkAttachBtfId(input, profile.vmlinuxBtf);
        if (err || input.progType !== "BPF_PROG_TYPE_STRUCT_OPS") return err;
        // kernel: check_struct_ops_btf_id (the rest of check_attach_btf_id does not apply)
        const so = checkStructOpsBtfId(profile, input, cfg);
        if (!so.ok) return so.reject;
        structOps = so.prog;
        return undefined;
      },
    },
    setup: (env) => {
      if (structOps) installStructOps(env, structOps);
      env.helperLookup = helperLookupFor(prog, attachTargetName(prog, profile));
      env.kfuncTarget = makeKfuncTarget(profile, (off) => prog.fdArray[off] || undefined);
      // kernel: env->prog->aux->arena is set when the program uses an arena map.
      env.hasArena = input.maps.some((m) => m.type === "BPF_MAP_TYPE_ARENA");
      // PTR_TO_BTF_ID registers print their pointee type name (kernel: print_reg_state).
      env.btfTypeNamer = btfTypeNamerFor(env);
      // Global subprogram signatures read the program's BTF; arg:trusted/untrusted the kernel's.
      env.progBtf = btf ?? null;
      env.vmlinuxBtf = () => profile.vmlinuxBtf;
      // Subprogram names and linkage come from func_info's FUNC types (kernel: bpf_check_btf_info).
      if (btf) {
        for (const fi of prog.funcInfo) {
          const i = env.findSubprog(fi.insnOff);
          if (i < 0) continue;
          const t = btf.type(fi.typeId) as { name?: string; linkage?: number };
          env.subprogs[i]!.name = t.name ?? "";
          env.subprogs[i]!.isGlobal = t.linkage === 1;
        }
      }
    },
  };
  return verify(input, vopts);
}
