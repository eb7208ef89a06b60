// libbpf: bpf_object_fixup_btf / btf_fixup_datasec. Clang (before the BPF static linker, and
// every clang up to 15 or so) emits DATASECs with size 0 and every variable at offset 0; libbpf
// fills them in from the ELF section sizes and symbol values before it reads `.maps` or creates
// the global-data maps, and marks hidden globals static. Without this, maps of objects built by
// older clang are all found at offset 0 and map relocations fail.
import type { Btf } from "../btf/index.js";
import { InputError, type Where } from "../util/errors.js";
import { STB_GLOBAL, STB_WEAK, STT_OBJECT, STV_HIDDEN, STV_INTERNAL, type ElfFile } from "../elf/index.js";

const BTF_VAR_STATIC = 0;
const BTF_VAR_GLOBAL_EXTERN = 2;

/** Mutates `btf` as libbpf does; throws InputError where libbpf's open fails (-ENOENT/-EINVAL). */
export function fixupDatasecs(btf: Btf, elf: ElfFile, where: Where): void {
  const end = btf.startId + btf.nrTypes;
  for (let id = btf.startId; id < end; id++) {
    if (btf.kind(id) !== "DATASEC") continue;
    const t = btf.type(id);
    if (t.kind !== "DATASEC") continue;
    const secName = t.name;
    const w = { ...where, section: ".BTF" };
    // extern-backing sections: libbpf lays them out while collecting externs (collect_externs,
    // which keeps its own layout here: src/loader/externs.ts), then only sorts them
    if (secName === ".kconfig" || secName === ".ksyms") continue;
    const vars = t.vars.map((v) => ({ ...v }));
    let size = t.size;
    {
      let fixupOffsets = false;
      if (size === 0) {
        const sec = elf.sectionByName(secName);
        if (!sec || sec.size === 0) {
          throw new InputError("BTF_DATASEC_FIXUP", `sec '${secName}': failed to determine size from ELF: size 0, err -ENOENT`, w);
        }
        size = sec.size;
        fixupOffsets = true;
      }
      for (const [i, vsi] of vars.entries()) {
        const v = btf.type(vsi.type);
        if (v.kind !== "VAR") throw new InputError("BTF_DATASEC_FIXUP", `sec '${secName}': unexpected non-VAR type found`, w);
        if (v.linkage === BTF_VAR_STATIC || v.linkage === BTF_VAR_GLOBAL_EXTERN) continue;
        if (!v.name) throw new InputError("BTF_DATASEC_FIXUP", `sec '${secName}': failed to find name of DATASEC's member #${i}`, w);
        const sym = elf.symbols.find((s) => s.type === STT_OBJECT && (s.bind === STB_GLOBAL || s.bind === STB_WEAK) && s.name === v.name);
        if (!sym) throw new InputError("BTF_DATASEC_FIXUP", `sec '${secName}': failed to find ELF symbol for VAR '${v.name}'`, w);
        if (fixupOffsets) vsi.offset = sym.value;
        if (sym.visibility === STV_HIDDEN || sym.visibility === STV_INTERNAL) btf.patchVarLinkage(vsi.type, BTF_VAR_STATIC);
      }
    }
    // qsort by offset (compare_vsi_off); equal offsets only occur for static variables old
    // clang left at 0, and their order is not observable by the verifier
    vars.sort((a, b) => a.offset - b.offset);
    const changed = size !== t.size || vars.some((v, i) => v.offset !== t.vars[i]!.offset || v.type !== t.vars[i]!.type);
    if (changed) btf.patchDatasec(id, size, vars);
  }
}
