// Turns one btf_type record (and what follows it) into its BtfType variant.
// Bounds were checked when the blob was parsed, so this only reads.

import { BTF_KIND_NAMES, NR_BTF_KINDS, infoKflag, infoKind, infoVlen } from "./kinds.js";
import type { BtfEnumValue, BtfMember, BtfParam, BtfType, BtfVarSecinfo } from "./types.js";

interface StrSource {
  str(off: number): string;
}

export function decodeType(strs: StrSource, id: number, words: Uint32Array, w: number, offset: number): BtfType {
  const nameOff = words[w]!;
  const info = words[w + 1]!;
  const sizeOrType = words[w + 2]!;
  const kindNum = infoKind(info);
  const vlen = infoVlen(info);
  const kflag = infoKflag(info);
  const name = strs.str(nameOff);
  const c = { id, nameOff, name, kflag, vlen, offset };
  const e = w + 3;
  if (kindNum >= NR_BTF_KINDS) return { ...c, kind: "UNRECOGNIZED", kindNum, sizeOrType };
  const kind = BTF_KIND_NAMES[kindNum]!;
  switch (kind) {
    case "UNKN":
      return { ...c, kind };
    case "INT": {
      const enc = words[e]!;
      return { ...c, kind, size: sizeOrType, encoding: (enc >>> 24) & 0x0f, bitsOffset: (enc >>> 16) & 0xff, bits: enc & 0xff };
    }
    case "PTR":
    case "TYPEDEF":
    case "VOLATILE":
    case "CONST":
    case "RESTRICT":
    case "TYPE_TAG":
      return { ...c, kind, type: sizeOrType };
    case "ARRAY":
      return { ...c, kind, elemType: words[e]!, indexType: words[e + 1]!, nelems: words[e + 2]! };
    case "STRUCT":
    case "UNION": {
      const members: BtfMember[] = new Array(vlen);
      for (let i = 0; i < vlen; i++) {
        const m = e + i * 3;
        const off = words[m + 2]!;
        members[i] = {
          nameOff: words[m]!,
          name: strs.str(words[m]!),
          type: words[m + 1]!,
          // kind_flag packs the bitfield size in the top 8 bits of the offset
          bitOffset: kflag ? off & 0xffffff : off,
          bitfieldSize: kflag ? off >>> 24 : 0,
        };
      }
      return { ...c, kind, size: sizeOrType, members };
    }
    case "ENUM": {
      const values: BtfEnumValue[] = new Array(vlen);
      for (let i = 0; i < vlen; i++) {
        const v = words[e + i * 2 + 1]!;
        values[i] = {
          nameOff: words[e + i * 2]!,
          name: strs.str(words[e + i * 2]!),
          value: kflag ? BigInt(v | 0) : BigInt(v),
        };
      }
      return { ...c, kind, size: sizeOrType, signed: kflag, values };
    }
    case "ENUM64": {
      const values: BtfEnumValue[] = new Array(vlen);
      for (let i = 0; i < vlen; i++) {
        const m = e + i * 3;
        const u = (BigInt(words[m + 2]!) << 32n) | BigInt(words[m + 1]!);
        values[i] = { nameOff: words[m]!, name: strs.str(words[m]!), value: kflag ? BigInt.asIntN(64, u) : u };
      }
      return { ...c, kind, size: sizeOrType, signed: kflag, values };
    }
    case "FWD":
      return { ...c, kind, isUnion: kflag };
    case "FUNC":
      return { ...c, kind, type: sizeOrType, linkage: vlen };
    case "FUNC_PROTO": {
      const params: BtfParam[] = new Array(vlen);
      for (let i = 0; i < vlen; i++) {
        params[i] = { nameOff: words[e + i * 2]!, name: strs.str(words[e + i * 2]!), type: words[e + i * 2 + 1]! };
      }
      return { ...c, kind, returnType: sizeOrType, params };
    }
    case "VAR":
      return { ...c, kind, type: sizeOrType, linkage: words[e]! };
    case "DATASEC": {
      const vars: BtfVarSecinfo[] = new Array(vlen);
      for (let i = 0; i < vlen; i++) {
        const m = e + i * 3;
        vars[i] = { type: words[m]!, offset: words[m + 1]!, size: words[m + 2]! };
      }
      return { ...c, kind, size: sizeOrType, vars };
    }
    case "FLOAT":
      return { ...c, kind, size: sizeOrType };
    case "DECL_TAG":
      return { ...c, kind, type: sizeOrType, componentIdx: words[e]! | 0 };
  }
}


