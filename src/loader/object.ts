// Pass 1, the object as libbpf opens it (bpf_object__open): ELF sections sorted
// into programs, data, relocations; every function of an executable section
// becomes a program (those of .text are subprograms); relocations recorded per
// program (bpf_object__collect_relos). Nothing is relocated yet.

import { fixupDatasecs } from "./datasec-fixup.js";
import { coreEssentialName, parseBtf, parseBtfExt, type Btf, type BtfExt } from "../btf/index.js";
import {
  parseElf,
  SHF_EXECINSTR,
  SHN_LORESERVE,
  SHT_NOBITS,
  SHT_PROGBITS,
  SHT_REL,
  STB_LOCAL,
  STT_FUNC,
  STT_SECTION,
  STV_HIDDEN,
  STV_INTERNAL,
  type ElfFile,
  type ElfSection,
  type ElfSymbol,
} from "../elf/index.js";
import { INSN_SIZE, rawInsnsFromBytes, type RawInsn } from "../isa/raw.js";
import { InputError, type Where } from "../util/errors.js";
import { collectExterns, symIsExtern, kconfigSize, type Extern } from "./externs.js";
import { initUserBtfMaps, internalMap, structOpsMap, type LoaderMap } from "./maps.js";

const BPF_JMP = 0x05;
const BPF_CALL = 0x80;
const BPF_LD_IMM64 = 0x18;
export const BPF_PSEUDO_CALL = 1;

/** R_BPF_* relocation types the BPF backend emits. */
const KNOWN_RELO_TYPES = new Set([0, 1, 2, 3, 4, 10]);

/** One relocation of a program, in that program's own instruction numbering (libbpf: struct reloc_desc). */
export type Relo =
  | { kind: "ld64"; insnIdx: number; mapIdx: number }
  | { kind: "data"; insnIdx: number; mapIdx: number; symOff: number }
  | { kind: "externLd64"; insnIdx: number; extIdx: number }
  | { kind: "externCall"; insnIdx: number; extIdx: number }
  | { kind: "call"; insnIdx: number; symOff: number }
  | { kind: "subprogAddr"; insnIdx: number; symOff: number }
  | { kind: "insnArray"; insnIdx: number; symOff: number; symSize: number };

/** A function of an executable section (libbpf: struct bpf_program before relocation). */
export interface ObjFunction {
  name: string;
  /** Section name without libbpf's leading '?'. */
  secName: string;
  secIdx: number;
  /** Offset and length in instructions inside the section. */
  secInsnOff: number;
  secInsnCnt: number;
  insns: RawInsn[];
  isSubprog: boolean;
  /** false for SEC("?...") programs. */
  autoload: boolean;
  symGlobal: boolean;
  /** A hidden global: libbpf marks its BTF FUNC static. */
  markBtfStatic: boolean;
  relos: Relo[];
}

export interface ParsedObject {
  file: string;
  /** libbpf's object name: the file's base name up to the first '.'. */
  objName: string;
  elf: ElfFile;
  license: string;
  kernVersion: number;
  btf: Btf | undefined;
  btfExt: BtfExt | undefined;
  /** Functions sorted by (section index, offset), as libbpf's programs array. */
  functions: ObjFunction[];
  maps: LoaderMap[];
  externs: Extern[];
  textShndx: number;
  arenaMapIdx: number;
  arenaDataSize: number;
  kconfigMapIdx: number;
  jumptables: Uint8Array | undefined;
  /** Function pointers of struct_ops maps, in relocation order. */
  structOpsSlots: StructOpsSlot[];
}

/** One `.struct_ops` function pointer set to a program (libbpf: st_ops->progs[member_idx]). */
export interface StructOpsSlot {
  mapIdx: number;
  /** The member in the object's struct type. */
  memberName: string;
  memberIdx: number;
  prog: ObjFunction;
}

export interface ParseOptions {
  file?: string;
  /** For struct_ops value sizes: the kernel's bpf_struct_ops_<name> types. */
  structOpsValueSize?: (typeName: string) => number | undefined;
}

function cstr(bytes: Uint8Array): string {
  const z = bytes.indexOf(0);
  return Buffer.from(z >= 0 ? bytes.subarray(0, z) : bytes).toString("latin1");
}

/** libbpf: bpf_object__open_mem up to bpf_object__collect_relos. */
export function parseObject(bytes: Uint8Array, opts: ParseOptions = {}): ParsedObject {
  const file = opts.file ?? "<object>";
  const where: Where = { file };
  const elf = parseElf(bytes, file);
  if (elf.symtabIndex === 0) throw new InputError("ELF_NO_SYMTAB", "elf: couldn't find symbol table, stripped object file?", where);
  const base = file.slice(file.lastIndexOf("/") + 1);
  const objName = base.includes(".") ? base.slice(0, base.indexOf(".")) : base;

  let license = "";
  let kernVersion = 0;
  let mapsShndx = -1;
  let btfSec: ElfSection | undefined;
  let btfExtSec: ElfSection | undefined;
  let textShndx = 0;
  let arenaSec: ElfSection | undefined;
  let jumptables: Uint8Array | undefined;
  let jumptablesShndx = -1;
  const dataSecs: { sec: ElfSection; kind: "data" | "rodata" | "bss" }[] = [];
  const stOpsSecs: ElfSection[] = [];
  const relSecs: ElfSection[] = [];
  const stOpsRelSecs: ElfSection[] = [];
  const functions: ObjFunction[] = [];

  for (const sec of elf.sections) {
    if (sec.index === 0) continue;
    const name = sec.name;
    // libbpf: ignore_elf_section
    if (name.startsWith(".debug_") || name.startsWith(".rel.debug_") || name === ".llvm_addrsig" || name === ".rel.BTF" || name === ".rel.BTF.ext") continue;
    if (name === "license") license = cstr(elf.data(sec));
    else if (name === "version") {
      const d = elf.data(sec);
      if (d.length !== 4) throw new InputError("ELF_BAD_VERSION", `invalid kver section size ${d.length}`, { ...where, section: name });
      kernVersion = new DataView(d.buffer, d.byteOffset, 4).getUint32(0, true);
    } else if (name === "maps") {
      throw new InputError("LEGACY_MAPS", "elf: legacy map definitions in 'maps' section are not supported by libbpf v1.0+", { ...where, section: name });
    } else if (name === ".maps") mapsShndx = sec.index;
    else if (name === ".BTF") btfSec = sec;
    else if (name === ".BTF.ext") btfExtSec = sec;
    else if (sec.type === SHT_PROGBITS && sec.size > 0) {
      if (sec.flags & SHF_EXECINSTR) {
        if (name === ".text") textShndx = sec.index;
        functions.push(...addPrograms(elf, sec, textShndx === sec.index, where));
      } else if (name === ".data" || name.startsWith(".data.")) dataSecs.push({ sec, kind: "data" });
      else if (name === ".rodata" || name.startsWith(".rodata.")) dataSecs.push({ sec, kind: "rodata" });
      else if (name === ".struct_ops" || name === ".struct_ops.link" || name === "?.struct_ops" || name === "?.struct_ops.link") stOpsSecs.push(sec);
      else if (name === ".addr_space.1") arenaSec = sec;
      else if (name === ".jumptables") {
        jumptables = elf.data(sec);
        jumptablesShndx = sec.index;
      }
    } else if (sec.type === SHT_REL) {
      if (sec.info >= elf.sections.length) throw new InputError("ELF_BAD_RELO", `relocation section targets section #${sec.info}`, { ...where, section: name });
      const target = elf.sections[sec.info]!;
      if (target.flags & SHF_EXECINSTR) relSecs.push(sec);
      else if (/^\.rel\??\.struct_ops(\.link)?$/.test(name)) stOpsRelSecs.push(sec);
    } else if (sec.type === SHT_NOBITS && (name === ".bss" || name.startsWith(".bss."))) {
      dataSecs.push({ sec, kind: "bss" });
    }
  }
  // libbpf: cmp_progs
  functions.sort((a, b) => a.secIdx - b.secIdx || a.secInsnOff - b.secInsnOff);
  // .text may come after a program section that calls into it.
  for (const f of functions) f.isSubprog = f.secIdx === textShndx && textShndx !== 0;

  let btf: Btf | undefined;
  let btfExt: BtfExt | undefined;
  if (btfSec) {
    btf = parseBtf(elf.data(btfSec), { name: objName, where: { ...where, section: ".BTF" } });
    if (btfExtSec) btfExt = parseBtfExt(elf.data(btfExtSec), btf, where);
    fixupDatasecs(btf, elf, where);
  }

  // libbpf: bpf_object__init_maps
  const maps = initUserBtfMaps(btf, mapsShndx, where);
  let arenaMapIdx = -1;
  maps.forEach((m, i) => {
    if (m.type === "BPF_MAP_TYPE_ARENA" && arenaMapIdx < 0) arenaMapIdx = i;
  });
  dataSecs.sort((a, b) => a.sec.index - b.sec.index);
  for (const { sec, kind } of dataSecs) {
    if (sec.size === 0) continue;
    maps.push(internalMap(objName, kind, sec.name, sec.index, sec.size, kind === "bss" ? undefined : elf.data(sec), btf, where));
  }
  const externs = collectExterns(elf.symbols, btf, where);
  let kconfigMapIdx = -1;
  const kcfgSize = kconfigSize(externs);
  if (externs.some((e) => e.kind === "kcfg")) {
    kconfigMapIdx = maps.length;
    maps.push(internalMap(objName, "kconfig", ".kconfig", 0, kcfgSize, undefined, btf, where));
  }
  maps.push(...structOpsMaps(elf, stOpsSecs, btf, opts, where));

  const obj: ParsedObject = {
    file,
    objName,
    elf,
    license,
    kernVersion,
    btf,
    btfExt,
    functions,
    maps,
    externs,
    textShndx,
    arenaMapIdx,
    arenaDataSize: arenaSec ? arenaSec.size : 0,
    kconfigMapIdx,
    jumptables,
    structOpsSlots: [],
  };
  if (arenaSec && arenaMapIdx >= 0) {
    const arena = maps[arenaMapIdx]!;
    arena.initialValue = elf.data(arenaSec).slice();
  }
  for (const rs of relSecs) collectProgRelos(obj, rs, mapsShndx, arenaSec?.index ?? -1, jumptablesShndx, where);
  for (const f of functions) f.relos.sort((a, b) => a.insnIdx - b.insnIdx);
  for (const rs of stOpsRelSecs) collectStructOpsRelos(obj, rs, where);
  return obj;
}

/** libbpf: bpf_object__add_programs */
function addPrograms(elf: ElfFile, sec: ElfSection, isText: boolean, where: Where): ObjFunction[] {
  const data = elf.data(sec);
  const out: ObjFunction[] = [];
  const w = { ...where, section: sec.name };
  for (const sym of elf.symbols) {
    if (sym.shndx !== sec.index || sym.type !== STT_FUNC) continue;
    if (sym.value + sym.size > data.length) throw new InputError("ELF_BAD_PROG", `sec '${sec.name}': program at offset ${sym.value} crosses section boundary`, { ...w, offset: sym.value });
    if (sym.value % INSN_SIZE || sym.size % INSN_SIZE) throw new InputError("ELF_BAD_PROG", `sec '${sec.name}': program '${sym.name}' is not aligned to instructions`, { ...w, offset: sym.value });
    if (!isText && sym.bind === STB_LOCAL) throw new InputError("ELF_STATIC_PROG", `sec '${sec.name}': program '${sym.name}' is static and not supported`, w);
    const symGlobal = sym.bind !== STB_LOCAL;
    out.push({
      name: sym.name,
      secName: sec.name.startsWith("?") ? sec.name.slice(1) : sec.name,
      secIdx: sec.index,
      secInsnOff: sym.value / INSN_SIZE,
      secInsnCnt: sym.size / INSN_SIZE,
      insns: rawInsnsFromBytes(data.subarray(sym.value, sym.value + sym.size)),
      isSubprog: isText,
      autoload: !sec.name.startsWith("?"),
      symGlobal,
      markBtfStatic: symGlobal && (sym.visibility === STV_HIDDEN || sym.visibility === STV_INTERNAL),
      relos: [],
    });
  }
  return out;
}

function structOpsMaps(elf: ElfFile, secs: ElfSection[], btf: Btf | undefined, opts: ParseOptions, where: Where): LoaderMap[] {
  const out: LoaderMap[] = [];
  for (const sec of secs) {
    const w = { ...where, section: sec.name };
    if (!btf) throw new InputError("STRUCT_OPS_NO_BTF", "struct_ops init: missing BTF", w);
    const dsId = btf.findByNameKind(sec.name, "DATASEC");
    if (dsId === undefined) throw new InputError("STRUCT_OPS_NO_BTF", `struct_ops init: DATASEC ${sec.name} not found`, w);
    const ds = btf.type(dsId);
    if (ds.kind !== "DATASEC") continue;
    const data = elf.data(sec);
    for (const vi of ds.vars) {
      const v = btf.type(vi.type);
      if (v.kind !== "VAR") continue;
      const st = btf.type(v.type);
      const kern = opts.structOpsValueSize?.(coreEssentialName(st.name));
      out.push(structOpsMap(v.name, sec.index, vi.offset, v.type, kern ?? vi.size, sec.name.endsWith(".link"), data.slice(vi.offset, vi.offset + vi.size)));
    }
  }
  return out;
}

function isCall(i: RawInsn): boolean {
  return i.code === (BPF_JMP | BPF_CALL);
}

/** libbpf: bpf_object__collect_prog_relos + bpf_program__record_reloc */
function collectProgRelos(obj: ParsedObject, rs: ElfSection, mapsShndx: number, arenaShndx: number, jtShndx: number, where: Where): void {
  const elf = obj.elf;
  const target = elf.sections[rs.info]!;
  const rels = elf.rels(rs);
  rels.forEach((rel, i) => {
    const w = { ...where, section: rs.name, offset: rs.offset + i * 16 };
    if (!KNOWN_RELO_TYPES.has(rel.type)) throw new InputError("RELO_UNKNOWN", `relo #${i}: unknown relocation type ${rel.type}`, w);
    const sym: ElfSymbol = elf.symbols[rel.symIdx]!;
    if (sym.shndx >= elf.sections.length && sym.shndx < SHN_LORESERVE) {
      throw new InputError("RELO_BAD_SYM", `corrupted symbol #${rel.symIdx} pointing to invalid section #${sym.shndx} for relo #${i}`, w);
    }
    if (rel.offset % INSN_SIZE || rel.offset >= target.size) throw new InputError("RELO_BAD_OFFSET", `invalid offset 0x${rel.offset.toString(16)} for relo #${i}`, w);
    const secInsn = rel.offset / INSN_SIZE;
    const symName = sym.type === STT_SECTION && sym.name === "" ? elf.sections[sym.shndx]?.name ?? "<?" : sym.name;
    const prog = obj.functions.find((f) => f.secIdx === target.index && secInsn >= f.secInsnOff && secInsn < f.secInsnOff + f.secInsnCnt);
    if (!prog) return; // libbpf skips relocations outside any program
    const insnIdx = secInsn - prog.secInsnOff;
    const insn = prog.insns[insnIdx]!;
    const pw = { ...w, program: prog.name };
    const fail = (msg: string): never => {
      throw new InputError("RELO_BAD", `prog '${prog.name}': ${msg}`, pw);
    };
    if (!isCall(insn) && insn.code !== BPF_LD_IMM64) fail(`invalid relo against '${symName}' for insns[${insnIdx}].code 0x${insn.code.toString(16)}`);
    if (insn.code === BPF_LD_IMM64 && insnIdx + 1 >= prog.insns.length) fail(`ld_imm64 at insn ${insnIdx} is truncated`);

    if (symIsExtern(sym)) {
      const extIdx = obj.externs.findIndex((e) => e.symIdx === rel.symIdx);
      if (extIdx < 0) fail(`extern relo failed to find extern for '${symName}' (${rel.symIdx})`);
      prog.relos.push({ kind: isCall(insn) ? "externCall" : "externLd64", insnIdx, extIdx });
      return;
    }
    if (isCall(insn)) {
      if (insn.src !== BPF_PSEUDO_CALL) fail("incorrect bpf_call opcode");
      if (!sym.shndx || sym.shndx !== obj.textShndx) fail(`bad call relo against '${symName}' in section '${elf.sections[sym.shndx]?.name ?? ""}'`);
      if (sym.value % INSN_SIZE) fail(`bad call relo against '${symName}' at offset ${sym.value}`);
      prog.relos.push({ kind: "call", insnIdx, symOff: sym.value });
      return;
    }
    if (!sym.shndx || sym.shndx >= SHN_LORESERVE) fail(`invalid relo against '${symName}' in special section 0x${sym.shndx.toString(16)}; forgot to initialize global var?..`);
    // libbpf: sym_is_subprog
    const isSubprogSym = (sym.bind === STB_LOCAL && sym.type === STT_SECTION && sym.shndx === obj.textShndx) || (sym.type === STT_FUNC && sym.shndx === obj.textShndx);
    if (isSubprogSym) {
      if (sym.value % INSN_SIZE || insn.imm % INSN_SIZE) fail(`bad subprog addr relo against '${symName}' at offset ${sym.value}+${insn.imm}`);
      prog.relos.push({ kind: "subprogAddr", insnIdx, symOff: sym.value });
      return;
    }
    if (sym.shndx === arenaShndx) {
      if (obj.arenaMapIdx < 0) fail(`bad arena data relocation at insn ${insnIdx}, no arena maps defined`);
      prog.relos.push({ kind: "data", insnIdx, mapIdx: obj.arenaMapIdx, symOff: sym.value });
      return;
    }
    if (sym.shndx === jtShndx) {
      prog.relos.push({ kind: "insnArray", insnIdx, symOff: sym.value, symSize: sym.size });
      return;
    }
    const secName = elf.sections[sym.shndx]!.name;
    if (sym.shndx === mapsShndx) {
      const mapIdx = obj.maps.findIndex((m) => m.kind === "user" && m.secIdx === sym.shndx && m.secOffset === sym.value);
      if (mapIdx < 0) fail(`map relo failed to find map for section '${secName}', off ${sym.value}`);
      prog.relos.push({ kind: "ld64", insnIdx, mapIdx });
      return;
    }
    const mapIdx = obj.maps.findIndex((m) => (m.kind === "data" || m.kind === "rodata" || m.kind === "bss") && m.secIdx === sym.shndx);
    if (mapIdx < 0) {
      const isData = /^\.(data|rodata|bss)(\.|$)/.test(secName);
      fail(isData ? `data relo failed to find map for section '${secName}'` : `bad data relo against section '${secName}'`);
    }
    prog.relos.push({ kind: "data", insnIdx, mapIdx, symOff: sym.value });
  });
}

/** libbpf: bpf_object__collect_st_ops_relos */
function collectStructOpsRelos(obj: ParsedObject, rs: ElfSection, where: Where): void {
  const elf = obj.elf;
  elf.rels(rs).forEach((rel, i) => {
    const w = { ...where, section: rs.name, offset: rs.offset + i * 16 };
    const sym = elf.symbols[rel.symIdx]!;
    const mapIdx = obj.maps.findIndex((m) => m.kind === "struct_ops" && m.secIdx === rs.info && rel.offset >= m.secOffset && rel.offset < m.secOffset + (m.initialValue?.length ?? 0));
    if (mapIdx < 0) throw new InputError("STRUCT_OPS_RELO", `struct_ops reloc: cannot find map at rel->r_offset ${rel.offset}`, w);
    const map = obj.maps[mapIdx]!;
    if (sym.shndx >= SHN_LORESERVE) throw new InputError("STRUCT_OPS_RELO", `struct_ops reloc ${map.name}: rel->r_offset ${rel.offset} shdr_idx ${sym.shndx} unsupported non-static function`, w);
    if (sym.value % INSN_SIZE) throw new InputError("STRUCT_OPS_RELO", `struct_ops reloc ${map.name}: invalid target program offset ${sym.value}`, w);
    const st = obj.btf!.type(map.btfTypeId);
    const moff = (rel.offset - map.secOffset) * 8;
    const memberIdx = st.kind === "STRUCT" ? st.members.findIndex((m) => m.bitOffset === moff) : -1;
    if (memberIdx < 0 || st.kind !== "STRUCT") throw new InputError("STRUCT_OPS_RELO", `struct_ops reloc ${map.name}: cannot find member at moff ${moff / 8}`, w);
    const member = st.members[memberIdx]!;
    const insn = sym.value / INSN_SIZE;
    const prog = obj.functions.find((f) => f.secIdx === sym.shndx && insn >= f.secInsnOff && insn < f.secInsnOff + f.secInsnCnt);
    if (!prog) throw new InputError("STRUCT_OPS_RELO", `struct_ops reloc ${map.name}: cannot find prog at shdr_idx ${sym.shndx} to relocate func ptr ${member.name}`, w);
    obj.structOpsSlots.push({ mapIdx, memberName: member.name, memberIdx, prog });
  });
}
