// Parsing raw BTF into a Btf: header (incl. the 7.2 kind-layout section), string
// section, one pass over the type section to index types, one to check every
// string offset and type id a known kind refers to.
// libbpf: btf_parse_hdr, btf_parse_str_sec, btf_parse_type_sec, btf_sanity_check
// kernel: btf_parse_hdr, btf_check_all_metas

import { InputError, type Where } from "../util/errors.js";
import { Btf, type BtfHeader, type BtfKindLayout } from "./btf.js";
import { BTF_KIND, BTF_KIND_NAMES, BTF_MAGIC, KNOWN_KIND_LAYOUT, NR_BTF_KINDS, infoKind, infoVlen } from "./kinds.js";

export interface ParseBtfOptions {
  /** Base BTF for split (module) BTF: ids and string offsets continue after the base's. */
  base?: Btf;
  /** A name for the blob ("vmlinux", a module name, a file), used in messages. */
  name?: string;
  /** Context for errors (file, section). Offsets in errors are relative to the blob. */
  where?: Where;
}

const HDR_LEN_MIN = 24; // up to str_len
const HDR_LEN_72 = 32; // with layout_off/layout_len
const MAX_STR_OFFSET = 0x7fffffff;

/** Parse raw BTF (as /sys/kernel/btf/vmlinux or an ELF's .BTF section). */
export function parseBtf(bytes: Uint8Array, opts: ParseBtfOptions = {}): Btf {
  const where: Where = { section: ".BTF", ...opts.where };
  const fail = (code: string, msg: string, offset?: number): never => {
    throw new InputError(code, msg, offset === undefined ? where : { ...where, offset });
  };
  if (bytes.length < HDR_LEN_MIN) fail("BTF_TRUNCATED", `BTF header not found: ${bytes.length} bytes`, 0);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le = true;
  const magic = dv.getUint16(0, true);
  if (magic !== BTF_MAGIC) {
    if (dv.getUint16(0, false) === BTF_MAGIC) le = false;
    else fail("BTF_BAD_MAGIC", `invalid BTF magic 0x${magic.toString(16)}`, 0);
  }
  const u32 = (o: number) => dv.getUint32(o, le);
  const hdrLen = u32(4);
  if (hdrLen < HDR_LEN_MIN) fail("BTF_BAD_HEADER", `BTF header length ${hdrLen} too small`, 4);
  if (hdrLen > bytes.length) fail("BTF_TRUNCATED", `BTF header length ${hdrLen} larger than data size ${bytes.length}`, 4);
  const hasLayoutFields = hdrLen >= HDR_LEN_72;
  const header: BtfHeader = {
    magic: BTF_MAGIC,
    version: dv.getUint8(2),
    flags: dv.getUint8(3),
    hdrLen,
    typeOff: u32(8),
    typeLen: u32(12),
    strOff: u32(16),
    strLen: u32(20),
    layoutOff: hasLayoutFields ? u32(24) : 0,
    layoutLen: hasLayoutFields ? u32(28) : 0,
  };
  if (header.version !== 1) fail("BTF_BAD_HEADER", `unsupported BTF version ${header.version}`, 2);
  const metaLeft = bytes.length - hdrLen;
  if (header.strOff + header.strLen > metaLeft) {
    fail("BTF_TRUNCATED", `BTF string section at ${header.strOff} + ${header.strLen} past the end of data (${metaLeft} bytes after the header)`, 16);
  }
  if (header.typeOff + header.typeLen > header.strOff) {
    fail("BTF_BAD_HEADER", `invalid BTF data sections layout: type data at ${header.typeOff} + ${header.typeLen}, strings data at ${header.strOff} + ${header.strLen}`, 8);
  }
  if (header.typeOff % 4 || header.typeLen % 4) fail("BTF_BAD_HEADER", `BTF type section at ${header.typeOff} + ${header.typeLen} is not 4-byte aligned`, 8);

  let kindLayouts: BtfKindLayout[] | undefined;
  if (header.layoutLen) {
    if (header.layoutOff % 4) fail("BTF_BAD_HEADER", `BTF layout section at ${header.layoutOff} is not 4-byte aligned`, 24);
    if (header.layoutOff < header.typeOff + header.typeLen || header.layoutOff + header.layoutLen > header.strOff) {
      fail("BTF_BAD_HEADER", `invalid BTF data sections layout: layout data at ${header.layoutOff} + ${header.layoutLen} overlaps types (${header.typeOff} + ${header.typeLen}) or strings (${header.strOff})`, 24);
    }
    if (header.layoutLen % 4) fail("BTF_BAD_HEADER", `BTF layout section length ${header.layoutLen} is not a multiple of 4`, 28);
    kindLayouts = [];
    for (let o = hdrLen + header.layoutOff; o < hdrLen + header.layoutOff + header.layoutLen; o += 4) {
      kindLayouts.push({ infoSize: dv.getUint8(o), elemSize: dv.getUint8(o + 1), flags: dv.getUint16(o + 2, le) });
    }
  }
  const layouts = kindLayouts ?? opts.base?.kindLayouts;

  // strings (libbpf: btf_parse_str_sec)
  const strStart = hdrLen + header.strOff;
  const strs = bytes.subarray(strStart, strStart + header.strLen);
  if (!(opts.base && header.strLen === 0)) {
    if (header.strLen === 0 || header.strLen - 1 > MAX_STR_OFFSET || strs[header.strLen - 1] !== 0) {
      fail("BTF_BAD_STRING", "invalid BTF string section: empty or not NUL-terminated", strStart);
    }
    if (!opts.base && strs[0] !== 0) {
      fail("BTF_BAD_STRING", "malformed BTF string section (no leading empty string): split BTF given without its base?", strStart);
    }
  }

  // types: copy into an aligned, native-endian word array
  const typeBase = hdrLen + header.typeOff;
  const nWords = header.typeLen / 4;
  const words = new Uint32Array(nWords);
  if (le) new Uint8Array(words.buffer).set(bytes.subarray(typeBase, typeBase + header.typeLen));
  else for (let i = 0; i < nWords; i++) words[i] = dv.getUint32(typeBase + i * 4, false);

  // pass 1: record where each type starts (libbpf: btf_parse_type_sec)
  let offs = new Uint32Array(Math.max(16, nWords >>> 3));
  let n = 0;
  let w = 0;
  while (w < nWords) {
    if (w + 3 > nWords) fail("BTF_TRUNCATED", `BTF type section truncated inside a btf_type header (type id ${n + (opts.base ? opts.base.typeCount : 1)})`, typeBase + w * 4);
    const info = words[w + 1]!;
    const kind = infoKind(info);
    const vlen = infoVlen(info);
    let extraBytes: number;
    if (kind < NR_BTF_KINDS) {
      const l = KNOWN_KIND_LAYOUT[kind]!;
      extraBytes = l.info + vlen * l.elem;
    } else {
      const l = layouts?.[kind];
      if (!l) fail("BTF_UNKNOWN_KIND", `unrecognized BTF kind ${kind} (no kind-layout information) in type id ${n + (opts.base ? opts.base.typeCount : 1)}`, typeBase + w * 4);
      if (l!.infoSize % 4 || l!.elemSize % 4) fail("BTF_UNKNOWN_KIND", `unsupported kind layout (info_sz ${l!.infoSize}, elem_sz ${l!.elemSize}) for kind ${kind}`, typeBase + w * 4);
      extraBytes = l!.infoSize + vlen * l!.elemSize;
    }
    const next = w + 3 + extraBytes / 4;
    if (next > nWords) {
      fail("BTF_TRUNCATED", `BTF type id ${n + (opts.base ? opts.base.typeCount : 1)} (kind ${kindLabel(kind)}, vlen ${vlen}) runs past the end of the type section`, typeBase + w * 4);
    }
    if (n + 1 >= offs.length) {
      const grown = new Uint32Array(offs.length * 2);
      grown.set(offs);
      offs = grown;
    }
    offs[n++] = w;
    w = next;
  }
  offs[n] = w;
  const btf = new Btf({
    header,
    base: opts.base,
    name: opts.name ?? (opts.base ? "module" : "vmlinux"),
    where,
    words,
    offs: offs.slice(0, n + 1),
    strs,
    typeBase,
    kindLayouts: layouts,
  });
  sanityCheck(btf, words, offs, typeBase, where);
  return btf;
}

function kindLabel(kind: number): string {
  return kind < NR_BTF_KINDS ? BTF_KIND_NAMES[kind]! : `#${kind}`;
}

// Pass 2: every string offset and type id a known kind refers to is in range.
// libbpf: btf_validate_type
function sanityCheck(btf: Btf, words: Uint32Array, offs: Uint32Array, typeBase: number, where: Where): void {
  const strEnd = btf.strEnd;
  const typeCount = btf.typeCount;
  for (let i = 0; i < btf.nrTypes; i++) {
    const w = offs[i]!;
    const id = btf.startId + i;
    const at = typeBase + w * 4;
    const bad = (what: string, v: number, limit: number, code: string): never => {
      throw new InputError(code, `BTF type id ${id} (${kindLabel(infoKind(words[w + 1]!))}): ${what} ${v} out of range (limit ${limit})`, { ...where, offset: at });
    };
    const checkStr = (off: number, what: string) => {
      if (off >= strEnd) bad(what, off, strEnd, "BTF_BAD_STRING");
    };
    const checkId = (t: number, what: string) => {
      if (t >= typeCount) bad(what, t, typeCount, "BTF_BAD_TYPE_ID");
    };
    checkStr(words[w]!, "name offset");
    const info = words[w + 1]!;
    const kind = infoKind(info);
    const vlen = infoVlen(info);
    const e = w + 3;
    switch (kind) {
      case BTF_KIND.PTR:
      case BTF_KIND.TYPEDEF:
      case BTF_KIND.VOLATILE:
      case BTF_KIND.CONST:
      case BTF_KIND.RESTRICT:
      case BTF_KIND.VAR:
      case BTF_KIND.DECL_TAG:
      case BTF_KIND.TYPE_TAG:
        checkId(words[w + 2]!, "referenced type id");
        break;
      case BTF_KIND.FUNC:
        checkId(words[w + 2]!, "referenced type id");
        if (btf.kindNum(words[w + 2]!) !== BTF_KIND.FUNC_PROTO) {
          throw new InputError("BTF_BAD_TYPE", `BTF type id ${id} (FUNC): referenced type [${words[w + 2]}] is not FUNC_PROTO`, { ...where, offset: at });
        }
        break;
      case BTF_KIND.ARRAY:
        checkId(words[e]!, "array element type id");
        checkId(words[e + 1]!, "array index type id");
        break;
      case BTF_KIND.STRUCT:
      case BTF_KIND.UNION:
        for (let j = 0; j < vlen; j++) {
          checkStr(words[e + j * 3]!, "member name offset");
          checkId(words[e + j * 3 + 1]!, "member type id");
        }
        break;
      case BTF_KIND.ENUM:
        for (let j = 0; j < vlen; j++) checkStr(words[e + j * 2]!, "enum value name offset");
        break;
      case BTF_KIND.ENUM64:
        for (let j = 0; j < vlen; j++) checkStr(words[e + j * 3]!, "enum value name offset");
        break;
      case BTF_KIND.FUNC_PROTO:
        checkId(words[w + 2]!, "return type id");
        for (let j = 0; j < vlen; j++) {
          checkStr(words[e + j * 2]!, "param name offset");
          checkId(words[e + j * 2 + 1]!, "param type id");
        }
        break;
      case BTF_KIND.DATASEC:
        for (let j = 0; j < vlen; j++) checkId(words[e + j * 3]!, "datasec variable type id");
        break;
      default:
        break;
    }
  }
}
