// Pass 2, from parsed object to the programs libbpf hands the kernel
// (bpf_object__relocate): subprograms appended to each main program in
// libbpf's depth-first order, call offsets fixed, func/line info moved along,
// then data relocations (maps, globals, externs, jump tables) applied.

import type { RawInsn } from "../isa/raw.js";
import { InputError } from "../util/errors.js";
import type { Extern } from "./externs.js";
import { jumpTableMap, type LoaderMap } from "./maps.js";
import { BPF_PSEUDO_CALL, type ObjFunction, type ParsedObject, type Relo } from "./object.js";

const BPF_JMP_CALL = 0x85;
const BPF_LD_IMM64 = 0x18;
export const BPF_PSEUDO_MAP_FD = 1;
export const BPF_PSEUDO_MAP_VALUE = 2;
export const BPF_PSEUDO_BTF_ID = 3;
export const BPF_PSEUDO_FUNC = 4;
export const BPF_PSEUDO_KFUNC_CALL = 2;
/** libbpf: POISON_LDIMM64_MAP_BASE, POISON_CALL_KFUNC_BASE */
export const POISON_LDIMM64_MAP_BASE = 2001000000;
export const POISON_CALL_KFUNC_BASE = 2002000000;
const PAGE_SIZE = 4096;

/** bpf_func_info in instruction units, as the kernel receives it. */
export interface FuncInfoRec {
  insnOff: number;
  typeId: number;
}

/** bpf_line_info in instruction units. */
export interface LineInfoRec {
  insnOff: number;
  fileNameOff: number;
  lineOff: number;
  lineCol: number;
}

export interface AppendedSubprog {
  name: string;
  /** Where the subprogram starts in the final instructions. */
  insnOff: number;
  secInsnOff: number;
}

export interface LinkedProgram {
  fn: ObjFunction;
  insns: RawInsn[];
  /** Maps in libbpf's creation order: this program's `.jumptables` maps, then the object's maps. */
  maps: LoaderMap[];
  subprogs: AppendedSubprog[];
  funcInfo: FuncInfoRec[];
  lineInfo: LineInfoRec[];
  /** The exception callback subprogram's name (appended even when not called), if any. */
  exceptionCb: string | undefined;
  /**
   * Map ld_imm64 insns (src BPF_PSEUDO_MAP_FD/VALUE) no relocation points at:
   * libbpf passes their imm through as written, an fd of the loading process.
   */
  rawMapFdInsns: number[];
}

function copyInsn(i: RawInsn): RawInsn {
  return { code: i.code, dst: i.dst, src: i.src, off: i.off, imm: i.imm };
}

function isSubprogCall(i: RawInsn): boolean {
  return i.code === BPF_JMP_CALL && i.src === BPF_PSEUDO_CALL;
}

function isPseudoFunc(i: RawInsn): boolean {
  return i.code === BPF_LD_IMM64 && i.src === BPF_PSEUDO_FUNC;
}

interface Work {
  insns: RawInsn[];
  relos: Relo[];
  /** Each appended function's position in this main program. */
  subInsnOff: Map<ObjFunction, number>;
  subprogs: AppendedSubprog[];
  funcInfo: FuncInfoRec[];
  lineInfo: LineInfoRec[];
}

/** libbpf: bpf_object__relocate for one main program. `insnsOf` gives the (CO-RE relocated) code of each function. */
export function linkProgram(obj: ParsedObject, main: ObjFunction, insnsOf: (f: ObjFunction) => RawInsn[]): LinkedProgram {
  const where = { file: obj.file, section: main.secName, program: main.name };
  const w: Work = { insns: insnsOf(main).map(copyInsn), relos: main.relos.slice(), subInsnOff: new Map([[main, 0]]), subprogs: [], funcInfo: [], lineInfo: [] };
  markPseudoFuncs(w.insns, main.relos);

  const append = (sub: ObjFunction): void => {
    const off = w.insns.length;
    w.subInsnOff.set(sub, off);
    const code = insnsOf(sub).map(copyInsn);
    markPseudoFuncs(code, sub.relos);
    w.insns.push(...code);
    for (const r of sub.relos) w.relos.push({ ...r, insnIdx: r.insnIdx + off });
    w.subprogs.push({ name: sub.name, insnOff: off, secInsnOff: sub.secInsnOff });
  };

  // libbpf: bpf_object__reloc_code
  const relocCode = (prog: ObjFunction, depth: number): void => {
    if (depth > 10000) throw new InputError("RELO_DEPTH", "subprogram nesting too deep", where);
    const base = w.subInsnOff.get(prog)!;
    moveExtInfo(obj, prog, base, w);
    for (let idx = 0; idx < prog.secInsnCnt; idx++) {
      const insn = w.insns[base + idx]!;
      if (!isSubprogCall(insn) && !isPseudoFunc(insn)) continue;
      const relo = prog.relos.find((r) => r.insnIdx === idx);
      if (relo && relo.kind === "externCall") continue;
      if (relo && relo.kind !== "call" && relo.kind !== "subprogAddr") {
        throw new InputError("RELO_BAD", `prog '${prog.name}': unexpected relo for insn #${idx}, type ${relo.kind}`, { ...where, insnIdx: idx });
      }
      let subInsnIdx: number;
      if (relo?.kind === "call") subInsnIdx = relo.symOff / 8 + insn.imm + 1;
      else if (relo?.kind === "subprogAddr") subInsnIdx = (relo.symOff + insn.imm) / 8;
      else if (isPseudoFunc(insn)) throw new InputError("RELO_BAD", `prog '${prog.name}': missing subprog addr relo for insn #${idx}`, { ...where, insnIdx: idx });
      else subInsnIdx = prog.secInsnOff + idx + insn.imm + 1;
      const sub = obj.functions.find((f) => f.secIdx === obj.textShndx && subInsnIdx >= f.secInsnOff && subInsnIdx < f.secInsnOff + f.secInsnCnt);
      if (!sub || obj.textShndx === 0) throw new InputError("RELO_BAD", `prog '${prog.name}': no .text section found yet sub-program call exists`, { ...where, insnIdx: idx });
      if (!w.subInsnOff.has(sub)) {
        append(sub);
        relocCode(sub, depth + 1);
      }
      w.insns[base + idx]!.imm = w.subInsnOff.get(sub)! - (base + idx) - 1;
    }
  };
  relocCode(main, 0);

  // libbpf: bpf_prog_assign_exc_cb — the exception callback is appended even when nothing calls it.
  const excName = exceptionCallbackName(obj, main);
  if (excName !== undefined) {
    const sub = obj.functions.find((f) => f.isSubprog && f.name === excName);
    if (!sub) throw new InputError("RELO_BAD", `prog '${main.name}': exception callback '${excName}' not found`, where);
    if (!w.subInsnOff.has(sub)) {
      append(sub);
      relocCode(sub, 1);
    }
  }

  const maps = obj.maps.slice();
  relocateData(obj, main, w, maps);
  return { fn: main, insns: w.insns, maps, subprogs: w.subprogs, funcInfo: w.funcInfo, lineInfo: w.lineInfo, exceptionCb: excName, rawMapFdInsns: rawMapFdInsns(w) };
}

/** Map ld_imm64 insns the object wrote with a literal fd (asm `r1 = 0 ll` with src_reg 1): no relocation touched them. */
function rawMapFdInsns(w: Work): number[] {
  const relocated = new Set(w.relos.map((r) => r.insnIdx));
  const raw: number[] = [];
  for (let i = 0; i < w.insns.length; i++) {
    const insn = w.insns[i]!;
    if (insn.code !== BPF_LD_IMM64) continue;
    if ((insn.src === BPF_PSEUDO_MAP_FD || insn.src === BPF_PSEUDO_MAP_VALUE) && !relocated.has(i)) raw.push(i);
    i++;
  }
  return raw;
}

/** libbpf marks ld_imm64 insns with a subprog-address relocation as BPF_PSEUDO_FUNC before linking. */
function markPseudoFuncs(insns: RawInsn[], relos: readonly Relo[]): void {
  for (const r of relos) if (r.kind === "subprogAddr") insns[r.insnIdx]!.src = BPF_PSEUDO_FUNC;
}

/** libbpf: reloc_prog_func_and_line_info — records of `prog`'s range, rebased to where it landed. */
function moveExtInfo(obj: ParsedObject, prog: ObjFunction, base: number, w: Work): void {
  const ext = obj.btfExt;
  if (!ext) return;
  const secName = obj.elf.sections[prog.secIdx]!.name;
  const inRange = (byteOff: number) => {
    const i = byteOff / 8;
    return i >= prog.secInsnOff && i < prog.secInsnOff + prog.secInsnCnt;
  };
  for (const s of ext.funcInfo) {
    if (s.secName !== secName) continue;
    for (const r of s.records) if (inRange(r.insnOff)) w.funcInfo.push({ insnOff: r.insnOff / 8 - prog.secInsnOff + base, typeId: r.typeId });
  }
  for (const s of ext.lineInfo) {
    if (s.secName !== secName) continue;
    for (const r of s.records) {
      if (inRange(r.insnOff)) w.lineInfo.push({ insnOff: r.insnOff / 8 - prog.secInsnOff + base, fileNameOff: r.fileNameOff, lineOff: r.lineOff, lineCol: r.lineCol });
    }
  }
}

/**
 * The subprogram named by an `exception_callback:NAME` decl tag on the main
 * program; two such tags mean none is appended (the verifier refuses later).
 * libbpf: bpf_prog_assign_exc_cb
 */
function exceptionCallbackName(obj: ParsedObject, main: ObjFunction): string | undefined {
  const btf = obj.btf;
  if (!btf) return undefined;
  const where = { file: obj.file, section: main.secName, program: main.name };
  const pfx = "exception_callback:";
  let found: string | undefined;
  for (let id = 1; id < btf.startId + btf.nrTypes; id++) {
    if (btf.kind(id) !== "DECL_TAG") continue;
    const t = btf.type(id);
    if (t.kind !== "DECL_TAG" || t.componentIdx !== -1 || !t.name.startsWith(pfx)) continue;
    const fn = btf.type(t.type);
    if (fn.kind !== "FUNC" || fn.linkage !== 1 /* BTF_FUNC_GLOBAL */) {
      throw new InputError("EXC_CB", `prog '${main.name}': exception_callback:<value> decl tag not applied to the main program`, where);
    }
    if (fn.name !== main.name) continue;
    if (found !== undefined) return undefined;
    const name = t.name.slice(pfx.length);
    if (name === "") throw new InputError("EXC_CB", `prog '${main.name}': exception_callback:<value> decl tag contains empty value`, where);
    const subs = obj.functions.filter((f) => f.isSubprog && f.name === name);
    if (subs.length === 0) throw new InputError("EXC_CB", `prog '${main.name}': cannot find exception callback '${name}'`, where);
    const sub = subs[0]!;
    if (!sub.symGlobal || sub.markBtfStatic) {
      throw new InputError("EXC_CB", `prog '${main.name}': exception callback ${sub.name} must be a global non-hidden function`, where);
    }
    found = name;
  }
  return found;
}

/**
 * libbpf: bpf_object__relocate_data. Maps carry their index in the program's
 * map list where libbpf puts an fd. That list is in creation order: libbpf
 * creates the `.jumptables` maps while relocating, before the object's maps.
 */
function relocateData(obj: ParsedObject, main: ObjFunction, w: Work, maps: LoaderMap[]): void {
  const where = { file: obj.file, section: main.secName, program: main.name };
  const jtMaps = new Map<number, number>();
  const jtList: LoaderMap[] = [];
  for (const relo of w.relos) {
    if (relo.kind !== "insnArray" || jtMaps.has(relo.symOff)) continue;
    jtMaps.set(relo.symOff, jtList.length);
    jtList.push(jumpTableMap(jumpTableEntries(obj, main, w, relo, where)));
  }
  const objMapBase = jtList.length;
  maps.unshift(...jtList);
  const arenaDataOff = arenaDataOffset(obj);
  w.relos.forEach((relo, reloIdx) => {
    const insn = w.insns[relo.insnIdx]!;
    const next = w.insns[relo.insnIdx + 1];
    switch (relo.kind) {
      case "ld64":
        insn.src = BPF_PSEUDO_MAP_FD;
        insn.imm = objMapBase + relo.mapIdx;
        break;
      case "data":
        next!.imm = (insn.imm + relo.symOff + (relo.mapIdx === obj.arenaMapIdx ? arenaDataOff : 0)) | 0;
        insn.src = BPF_PSEUDO_MAP_VALUE;
        insn.imm = objMapBase + relo.mapIdx;
        break;
      case "externLd64": {
        const ext = obj.externs[relo.extIdx]!;
        if (ext.kind === "kcfg") {
          insn.src = BPF_PSEUDO_MAP_VALUE;
          insn.imm = objMapBase + obj.kconfigMapIdx;
          next!.imm = ext.kcfgDataOff;
        } else if (ext.ksymTypeId && ext.isSet) {
          insn.src = BPF_PSEUDO_BTF_ID;
          insn.imm = ext.kernelBtfId;
          // The kernel gets the module BTF's fd here; bpfverify has no fds: 0 = vmlinux, else the fd_array index.
          next!.imm = ext.btfFdIdx;
        } else {
          // Typeless ksym: its address; an unresolved weak one: 0.
          const addr = BigInt.asUintN(64, ext.isSet ? ext.ksymAddr : 0n);
          insn.imm = Number(BigInt.asIntN(32, addr));
          next!.imm = Number(BigInt.asIntN(32, addr >> 32n));
        }
        break;
      }
      case "externCall": {
        const ext: Extern = obj.externs[relo.extIdx]!;
        insn.src = BPF_PSEUDO_KFUNC_CALL;
        if (ext.isSet) {
          insn.imm = ext.kernelBtfId;
          insn.off = ext.btfFdIdx;
        } else {
          // libbpf: poison_kfunc_call
          insn.code = BPF_JMP_CALL;
          insn.dst = 0;
          insn.src = 0;
          insn.off = 0;
          insn.imm = POISON_CALL_KFUNC_BASE + relo.extIdx;
        }
        break;
      }
      case "subprogAddr":
        if (insn.src !== BPF_PSEUDO_FUNC) throw new InputError("RELO_BAD", `prog '${main.name}': relo #${reloIdx}: bad insn`, where);
        break;
      case "call":
        break;
      case "insnArray": {
        insn.src = BPF_PSEUDO_MAP_VALUE;
        insn.imm = jtMaps.get(relo.symOff)!;
        insn.off = 0;
        break;
      }
    }
  });
}

/** libbpf: create_jt_map — entries rebased from section offsets to the main program's numbering. */
function jumpTableEntries(obj: ParsedObject, main: ObjFunction, w: Work, relo: Extract<Relo, { kind: "insnArray" }>, where: { file: string; section: string; program: string }): number[] {
  const jt = obj.jumptables;
  if (relo.symOff % 8) throw new InputError("JT_BAD", `map '.jumptables': jumptable start ${relo.symOff} should be multiple of 8`, where);
  if (relo.symSize % 8) throw new InputError("JT_BAD", `map '.jumptables': jumptable size ${relo.symSize} should be multiple of 8`, where);
  if (!jt) throw new InputError("JT_BAD", "map '.jumptables': ELF file is missing jump table data", where);
  if (relo.symOff + relo.symSize > jt.length) throw new InputError("JT_BAD", `map '.jumptables': jumptables_data size is ${jt.length}, trying to access ${relo.symOff + relo.symSize}`, where);
  // Which appended subprogram holds the referencing insn (the last one starting at or before it).
  let sub: AppendedSubprog | undefined;
  for (const s of w.subprogs) if (relo.insnIdx >= s.insnOff && (!sub || s.insnOff >= sub.insnOff)) sub = s;
  const dv = new DataView(jt.buffer, jt.byteOffset, jt.byteLength);
  const out: number[] = [];
  for (let i = 0; i < relo.symSize / 8; i++) {
    const v = Number(dv.getBigUint64(relo.symOff + i * 8, true) / 8n);
    const off = sub ? v - sub.secInsnOff + sub.insnOff : v - main.secInsnOff;
    if (off < 0 || off > 0xffffffff) throw new InputError("JT_BAD", `map '.jumptables': invalid jump table value at offset ${relo.symOff + i * 8}`, where);
    out.push(off);
  }
  return out;
}

/** libbpf places arena globals at the end of the arena: mmap size minus the page-rounded data size. */
function arenaDataOffset(obj: ParsedObject): number {
  if (obj.arenaMapIdx < 0) return 0;
  const arena = obj.maps[obj.arenaMapIdx]!;
  return PAGE_SIZE * arena.maxEntries - Math.ceil(obj.arenaDataSize / PAGE_SIZE) * PAGE_SIZE;
}
