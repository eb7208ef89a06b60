// CO-RE pass (libbpf: bpf_object__relocate_core): every function's code with
// the CO-RE fixups applied. src/btf/core computes each relocation's result and
// the replacement instruction(s) as data; this pass finds the instruction a
// .BTF.ext record points at, in the function that holds it, and patches it.

import { coreApplyToInsn, coreCalcReloInsn, newCoreCandCache, type BpfCoreRelo, type Btf, type CoreTarget } from "../btf/index.js";
import type { RawInsn } from "../isa/raw.js";
import { InputError } from "../util/errors.js";
import type { TargetKernel } from "./externs.js";
import type { LinkedProgram } from "./link.js";
import type { ObjFunction, ParsedObject } from "./object.js";

export interface CoreResult {
  /** The function's instructions after CO-RE relocation (callers copy before patching further). */
  insnsOf(fn: ObjFunction): RawInsn[];
  /** The CO-RE records of a function, at their instruction index inside it, sorted (libbpf: RELO_CORE). */
  recordsOf(fn: ObjFunction): readonly { insnIdx: number; relo: BpfCoreRelo }[];
  /** How many instructions of a linked program came from a poisoned CO-RE relocation. */
  poisonedIn(p: LinkedProgram): number;
  /** Number of CO-RE records applied / poisoned over the whole object. */
  applied: number;
  poisoned: number;
  /** libbpf's warnings (e.g. bad memory-size adjustments that were poisoned). */
  warnings: string[];
}

/** `coreBtf`: libbpf's btf_custom_path; CO-RE then resolves against it alone. */
export function applyCoreRelos(obj: ParsedObject, target: TargetKernel, coreBtf?: Btf): CoreResult {
  const code = new Map<ObjFunction, RawInsn[]>();
  const poisonedAt = new Map<ObjFunction, Set<number>>();
  const records = new Map<ObjFunction, { insnIdx: number; relo: BpfCoreRelo }[]>();
  const warnings: string[] = [];
  let applied = 0;
  let poisoned = 0;
  const ext = obj.btfExt;
  if (ext && obj.btf && ext.coreRelos.length > 0) {
    const coreTarget: CoreTarget = coreBtf
      ? { vmlinux: coreBtf, vmlinuxOverride: true }
      : { vmlinux: target.vmlinux, modules: target.modules };
    const cache = newCoreCandCache();
    for (const sec of ext.coreRelos) {
      const elfSec = obj.elf.sections.find((s) => s.name === sec.secName);
      if (!elfSec) throw new InputError("CORE_RELO", `sec '${sec.secName}': failed to find a BPF program`, { file: obj.file, section: ".BTF.ext" });
      sec.records.forEach((rec, reloIdx) => {
        const secInsn = rec.insnOff / 8;
        const fn = obj.functions.find((f) => f.secIdx === elfSec.index && secInsn >= f.secInsnOff && secInsn < f.secInsnOff + f.secInsnCnt);
        // A record of a weak subprogram the linker dropped: libbpf skips it.
        if (!fn) return;
        let insns = code.get(fn);
        if (!insns) {
          insns = fn.insns.map((i) => ({ ...i }));
          code.set(fn, insns);
        }
        const idx = secInsn - fn.secInsnOff;
        let recs = records.get(fn);
        if (!recs) records.set(fn, (recs = []));
        recs.push({ insnIdx: idx, relo: rec });
        const where = { file: obj.file, section: fn.secName, program: fn.name, insnIdx: idx };
        try {
          const res = coreCalcReloInsn({ progName: fn.name, localBtf: obj.btf!, target: coreTarget, cache }, rec, reloIdx);
          const patch = coreApplyToInsn(fn.name, insns, idx, reloIdx, res);
          patch.insns.forEach((p, k) => {
            insns![idx + k] = { code: p.code, dst: p.dst, src: p.src, off: p.off, imm: p.imm };
          });
          if (patch.warning) warnings.push(patch.warning);
          if (patch.poisoned) {
            poisoned++;
            let s = poisonedAt.get(fn);
            if (!s) poisonedAt.set(fn, (s = new Set()));
            s.add(idx);
          } else applied++;
        } catch (e) {
          if (e instanceof InputError) throw e.withWhere(where);
          throw e;
        }
      });
    }
  }
  // libbpf sorts each program's relocations by instruction (stable for equal ones).
  for (const recs of records.values()) recs.sort((a, b) => a.insnIdx - b.insnIdx);
  return {
    insnsOf: (fn) => code.get(fn) ?? fn.insns,
    recordsOf: (fn) => records.get(fn) ?? [],
    poisonedIn: (p) => {
      let n = poisonedAt.get(p.fn)?.size ?? 0;
      for (const s of p.subprogs) {
        const f = obj.functions.find((x) => x.isSubprog && x.name === s.name);
        if (f) n += poisonedAt.get(f)?.size ?? 0;
      }
      return n;
    },
    applied,
    poisoned,
    warnings,
  };
}
