// test_loader's `__btf_func_path`: clang drops the parameter names of __naked
// functions from BTF, and the kernel refuses a FUNC whose parameters are
// unnamed ("Invalid arg#1"), so libbpf would load such an object without
// BTF (no func_info: static subprogs lose their argument counts, which the
// stack-argument rules need). Before loading, test_loader gives each such
// FUNC a new FUNC_PROTO: the program's parameter types with the names of the
// same-named FUNC in a separate BTF file built from a non-naked copy.
// kernel selftests: test_loader.c (fixup_btf_from_path)

import { type Btf, parseBtf } from "../btf/index.js";
import { elfSectionBytes } from "../elf/index.js";
import { BTF_KIND } from "../btf/kinds.js";

interface NewProto {
  readonly funcId: number;
  readonly ret: number;
  readonly params: readonly { name: string; type: number }[];
}

/** The FUNC of that name in `custom` (the first, as test_loader's loop stops there). */
function customFunc(custom: Btf, name: string): number | undefined {
  for (const id of custom.ownIds()) if (custom.kindNum(id) === BTF_KIND.FUNC && custom.typeName(id) === name) return id;
  return undefined;
}

/** Which FUNCs of `btf` get renamed parameters, and with what names. */
function plan(btf: Btf, custom: Btf): NewProto[] {
  const out: NewProto[] = [];
  for (const id of btf.ownIds()) {
    if (btf.kindNum(id) !== BTF_KIND.FUNC) continue;
    const fp = btf.sizeOrType(id);
    if (!btf.hasType(fp) || btf.kindNum(fp) !== BTF_KIND.FUNC_PROTO || btf.vlen(fp) === 0) continue;
    // test_loader looks at the first parameter only: named means "not naked"
    if (btf.extraWord(fp, 0) !== 0) continue;
    const name = btf.typeName(id);
    if (!name) continue;
    const cid = customFunc(custom, name);
    if (cid === undefined) continue;
    const cfp = custom.sizeOrType(cid);
    if (!custom.hasType(cfp) || custom.kindNum(cfp) !== BTF_KIND.FUNC_PROTO) continue;
    const vlen = btf.vlen(fp);
    if (vlen !== custom.vlen(cfp)) continue;
    const params = [];
    for (let j = 0; j < vlen; j++) {
      params.push({ name: custom.str(custom.extraWord(cfp, 2 * j)), type: btf.extraWord(fp, 2 * j + 1) });
    }
    out.push({ funcId: id, ret: btf.sizeOrType(fp), params });
  }
  return out;
}

const HDR_LEN_72 = 32;

/**
 * The object's .BTF as test_loader hands it to bpf_object__load: `raw` (the
 * object's own .BTF bytes, parsed as `btf`) with FUNC_PROTOs appended for the
 * naked FUNCs `custom` names, and those FUNCs pointing at them. Type ids of
 * everything else stay, so func_info and relocations still match. Returns
 * `btf` itself when no FUNC needed a fix.
 */
export function fixupBtfFromPath(raw: Uint8Array, btf: Btf, custom: Btf): Btf {
  const fixes = plan(btf, custom);
  if (fixes.length === 0) return btf;
  const h = btf.header;
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const le = dv.getUint16(0, true) === 0xeb9f;
  // a copy (a Node Buffer's slice() would share the file's memory)
  const types = new Uint8Array(raw.subarray(h.hdrLen + h.typeOff, h.hdrLen + h.typeOff + h.typeLen));
  const tv = new DataView(types.buffer);
  const strs: number[] = [...raw.subarray(h.hdrLen + h.strOff, h.hdrLen + h.strOff + h.strLen)];
  const strIdx = new Map<string, number>();
  const str = (s: string): number => {
    if (s === "") return 0;
    let off = strIdx.get(s);
    if (off === undefined) {
      off = btf.startStrOff + strs.length;
      strs.push(...new TextEncoder().encode(s), 0);
      strIdx.set(s, off);
    }
    return off;
  };
  const added: number[] = [];
  let nextId = btf.typeCount;
  for (const f of fixes) {
    const protoId = nextId++;
    added.push(0, (BTF_KIND.FUNC_PROTO << 24) | f.params.length, f.ret);
    for (const p of f.params) added.push(str(p.name), p.type);
    // the FUNC's size/type word: third word of its record
    tv.setUint32(btf.typeOffset(f.funcId) - h.hdrLen - h.typeOff + 8, protoId, le);
  }
  const layout = h.layoutLen ? raw.subarray(h.hdrLen + h.layoutOff, h.hdrLen + h.layoutOff + h.layoutLen) : new Uint8Array(0);
  const hdrLen = h.hdrLen;
  const typeLen = types.length + added.length * 4;
  const out = new Uint8Array(hdrLen + typeLen + layout.length + strs.length);
  const ov = new DataView(out.buffer);
  out.set(raw.subarray(0, h.hdrLen));
  ov.setUint32(4, hdrLen, le);
  ov.setUint32(8, 0, le);
  ov.setUint32(12, typeLen, le);
  ov.setUint32(16, typeLen + layout.length, le);
  ov.setUint32(20, strs.length, le);
  if (hdrLen >= HDR_LEN_72) {
    ov.setUint32(24, layout.length ? typeLen : 0, le);
    ov.setUint32(28, layout.length, le);
  }
  out.set(types, hdrLen);
  added.forEach((w, i) => ov.setUint32(hdrLen + types.length + i * 4, w >>> 0, le));
  out.set(layout, hdrLen + typeLen);
  out.set(strs, hdrLen + typeLen + layout.length);
  return parseBtf(out, { name: btf.name, where: btf.where });
}

/** fixupBtfFromPath over an object file's bytes; undefined when it has no .BTF. */
export function objectBtfFixedFromPath(objBytes: Uint8Array, btf: Btf, custom: Btf, file?: string): Btf {
  const raw = elfSectionBytes(objBytes, ".BTF", file);
  return raw ? fixupBtfFromPath(raw, btf, custom) : btf;
}
