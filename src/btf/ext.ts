// .BTF.ext: per-ELF-section func_info, line_info and CO-RE relocation records.
// libbpf: btf_ext_parse, btf_ext_parse_sec_info

import { InputError, type Where } from "../util/errors.js";
import type { Btf } from "./btf.js";
import { BTF_MAGIC } from "./kinds.js";

export interface BtfExtHeader {
  readonly hdrLen: number;
  readonly funcInfoOff: number;
  readonly funcInfoLen: number;
  readonly lineInfoOff: number;
  readonly lineInfoLen: number;
  /** 0/0 when the header is too short to carry them. */
  readonly coreReloOff: number;
  readonly coreReloLen: number;
}

/** bpf_func_info as stored in the object: insnOff is a byte offset inside the ELF section. */
export interface BtfExtFuncInfo {
  readonly insnOff: number;
  readonly typeId: number;
  /** The whole record (recSize bytes): what libbpf passes on to the kernel. */
  readonly raw: Uint8Array;
}

/** bpf_line_info as stored in the object: insnOff is a byte offset inside the ELF section. */
export interface BtfExtLineInfo {
  readonly insnOff: number;
  readonly fileNameOff: number;
  readonly lineOff: number;
  /** line << 10 | column, as stored. */
  readonly lineCol: number;
  readonly raw: Uint8Array;
}

export const BPF_CORE_RELO_KINDS = [
  "BPF_CORE_FIELD_BYTE_OFFSET",
  "BPF_CORE_FIELD_BYTE_SIZE",
  "BPF_CORE_FIELD_EXISTS",
  "BPF_CORE_FIELD_SIGNED",
  "BPF_CORE_FIELD_LSHIFT_U64",
  "BPF_CORE_FIELD_RSHIFT_U64",
  "BPF_CORE_TYPE_ID_LOCAL",
  "BPF_CORE_TYPE_ID_TARGET",
  "BPF_CORE_TYPE_EXISTS",
  "BPF_CORE_TYPE_SIZE",
  "BPF_CORE_ENUMVAL_EXISTS",
  "BPF_CORE_ENUMVAL_VALUE",
  "BPF_CORE_TYPE_MATCHES",
] as const;
export type BpfCoreReloKind = (typeof BPF_CORE_RELO_KINDS)[number];

/** struct bpf_core_relo. insnOff is a byte offset inside the ELF section. */
export interface BpfCoreRelo {
  readonly insnOff: number;
  /** Local (object) BTF type id of the root type. */
  readonly typeId: number;
  readonly accessStrOff: number;
  /** The access string, e.g. "0:1:0:5". */
  readonly accessStr: string;
  readonly kind: BpfCoreReloKind;
  /** enum bpf_core_relo_kind as a number (kept for kinds this code does not name). */
  readonly kindNum: number;
}

export interface BtfExtSection<T> {
  /** The ELF section the records belong to (e.g. "kprobe/do_sys_open", ".text"). */
  readonly secName: string;
  readonly records: readonly T[];
}

export interface BtfExt {
  readonly header: BtfExtHeader;
  /** Record sizes as stored (>= the minimum; the extra bytes are passed along). */
  readonly funcInfoRecSize: number;
  readonly lineInfoRecSize: number;
  readonly coreReloRecSize: number;
  readonly funcInfo: readonly BtfExtSection<BtfExtFuncInfo>[];
  readonly lineInfo: readonly BtfExtSection<BtfExtLineInfo>[];
  readonly coreRelos: readonly BtfExtSection<BpfCoreRelo>[];
}

const FUNC_INFO_MIN = 8;
const LINE_INFO_MIN = 16;
const CORE_RELO_MIN = 16;

/** Parse .BTF.ext; names (sections, access strings) resolve in `btf`, the object's .BTF. */
export function parseBtfExt(bytes: Uint8Array, btf: Btf, whereIn: Where = {}): BtfExt {
  const where: Where = { section: ".BTF.ext", ...whereIn };
  const fail = (code: string, msg: string, offset: number): never => {
    throw new InputError(code, msg, { ...where, offset });
  };
  if (bytes.length < 8) fail("BTF_EXT_TRUNCATED", ".BTF.ext header too short", 0);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le = true;
  if (dv.getUint16(0, true) !== BTF_MAGIC) {
    if (dv.getUint16(0, false) === BTF_MAGIC) le = false;
    else fail("BTF_EXT_BAD_MAGIC", `invalid .BTF.ext magic 0x${dv.getUint16(0, true).toString(16)}`, 0);
  }
  const u32 = (o: number) => dv.getUint32(o, le);
  if (dv.getUint8(2) !== 1) fail("BTF_EXT_BAD_HEADER", `unsupported .BTF.ext version ${dv.getUint8(2)}`, 2);
  if (dv.getUint8(3) !== 0) fail("BTF_EXT_BAD_HEADER", `unsupported .BTF.ext flags 0x${dv.getUint8(3).toString(16)}`, 3);
  const hdrLen = u32(4);
  if (bytes.length < hdrLen) fail("BTF_EXT_TRUNCATED", `.BTF.ext header length ${hdrLen} larger than data size ${bytes.length}`, 4);
  if (bytes.length === hdrLen) fail("BTF_EXT_TRUNCATED", ".BTF.ext has no data", 4);
  if (hdrLen < 24) fail("BTF_EXT_BAD_HEADER", ".BTF.ext header missing func_info, line_info", 4);
  const hasCore = hdrLen >= 32;
  const header: BtfExtHeader = {
    hdrLen,
    funcInfoOff: u32(8),
    funcInfoLen: u32(12),
    lineInfoOff: u32(16),
    lineInfoLen: u32(20),
    coreReloOff: hasCore ? u32(24) : 0,
    coreReloLen: hasCore ? u32(28) : 0,
  };

  const secName = (off: number, at: number): string => {
    const s = btf.strAt(off);
    if (s === undefined) fail("BTF_EXT_BAD_STRING", `section name offset ${off} out of range of the BTF strings`, at);
    return s!;
  };

  // Walks one subsection: u32 rec_size, then {sec_name_off, num_info, records...}*.
  function sub<T>(desc: string, off: number, len: number, min: number, rec: (o: number, raw: Uint8Array) => T): { recSize: number; secs: BtfExtSection<T>[] } {
    if (len === 0) return { recSize: 0, secs: [] };
    const start = hdrLen + off;
    if (off % 4) fail("BTF_EXT_BAD_HEADER", `.BTF.ext ${desc} section is not aligned to 4 bytes`, start);
    if (start + len > bytes.length) fail("BTF_EXT_TRUNCATED", `${desc} section (off:${off} len:${len}) is beyond the end of the ELF section .BTF.ext`, start);
    if (len < 4) fail("BTF_EXT_TRUNCATED", `.BTF.ext ${desc} record size not found`, start);
    const recSize = u32(start);
    if (recSize < min || recSize % 4 || (!le && recSize !== min)) fail("BTF_EXT_BAD_RECORD", `${desc} section in .BTF.ext has invalid record size ${recSize}`, start);
    let p = start + 4;
    const end = start + len;
    if (p === end) fail("BTF_EXT_BAD_RECORD", `${desc} section in .BTF.ext has no records`, start);
    const secs: BtfExtSection<T>[] = [];
    while (p < end) {
      if (end - p < 8) fail("BTF_EXT_TRUNCATED", `${desc} section header is not found in .BTF.ext`, p);
      const name = secName(u32(p), p);
      const n = u32(p + 4);
      if (n === 0 || (end - p - 8) / recSize < n) fail("BTF_EXT_BAD_RECORD", `${desc} section has incorrect num_records in .BTF.ext`, p);
      const records: T[] = new Array(n);
      for (let i = 0; i < n; i++) {
        const o = p + 8 + i * recSize;
        records[i] = rec(o, bytes.subarray(o, o + recSize));
      }
      secs.push({ secName: name, records });
      p += 8 + n * recSize;
    }
    return { recSize, secs };
  }

  const fi = sub<BtfExtFuncInfo>("func_info", header.funcInfoOff, header.funcInfoLen, FUNC_INFO_MIN, (o, raw) => ({
    insnOff: u32(o),
    typeId: u32(o + 4),
    raw,
  }));
  const li = sub<BtfExtLineInfo>("line_info", header.lineInfoOff, header.lineInfoLen, LINE_INFO_MIN, (o, raw) => ({
    insnOff: u32(o),
    fileNameOff: u32(o + 4),
    lineOff: u32(o + 8),
    lineCol: u32(o + 12),
    raw,
  }));
  const cr = sub<BpfCoreRelo>("core_relo", header.coreReloOff, header.coreReloLen, CORE_RELO_MIN, (o) => {
    const accessStrOff = u32(o + 8);
    const accessStr = btf.strAt(accessStrOff);
    if (accessStr === undefined) fail("BTF_EXT_BAD_STRING", `core_relo access string offset ${accessStrOff} out of range`, o + 8);
    const kindNum = u32(o + 12);
    const kind = BPF_CORE_RELO_KINDS[kindNum];
    if (kind === undefined) fail("BTF_EXT_BAD_RECORD", `core_relo has unknown relocation kind ${kindNum}`, o + 12);
    return { insnOff: u32(o), typeId: u32(o + 4), accessStrOff, accessStr: accessStr!, kind: kind!, kindNum };
  });
  return {
    header,
    funcInfoRecSize: fi.recSize,
    lineInfoRecSize: li.recSize,
    coreReloRecSize: cr.recSize,
    funcInfo: fi.secs,
    lineInfo: li.secs,
    coreRelos: cr.secs,
  };
}

/** BPF_LINE_INFO_LINE_NUM */
export function lineInfoLine(lineCol: number): number {
  return lineCol >>> 10;
}

/** BPF_LINE_INFO_LINE_COL */
export function lineInfoCol(lineCol: number): number {
  return lineCol & 0x3ff;
}

export interface DecodedLineInfo {
  /** File name as recorded (often a full path). */
  readonly file: string;
  /** The source line text as recorded (not trimmed). */
  readonly text: string;
  readonly line: number;
  readonly col: number;
}

/** Strings and numbers of a line_info record; out-of-range offsets become "". */
export function decodeLineInfo(btf: Btf, li: Pick<BtfExtLineInfo, "fileNameOff" | "lineOff" | "lineCol">): DecodedLineInfo {
  return {
    file: btf.strAt(li.fileNameOff) ?? "",
    text: btf.strAt(li.lineOff) ?? "",
    line: lineInfoLine(li.lineCol),
    col: lineInfoCol(li.lineCol),
  };
}

/**
 * The verifier log's source line annotation without the prefix: the line text with leading
 * whitespace removed, then " @ <basename>:<line>\n". kernel: verbose_linfo
 */
export function formatLineInfo(btf: Btf, li: Pick<BtfExtLineInfo, "fileNameOff" | "lineOff" | "lineCol">): string {
  const d = decodeLineInfo(btf, li);
  const slash = d.file.lastIndexOf("/");
  const fname = slash >= 0 ? d.file.slice(slash + 1) : d.file;
  return `${d.text.replace(/^[ \t\n\v\f\r]+/, "")} @ ${fname}:${d.line}\n`;
}
