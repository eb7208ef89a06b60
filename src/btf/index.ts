// Public API of the BTF layer.
export { Btf, parseBtf } from "./btf.js";
export type { BtfHeader, BtfKindLayout, ParseBtfOptions } from "./btf.js";
export * from "./kinds.js";
export type * from "./types.js";
export {
  BTF_PTR_SIZE,
  arrayDims,
  asArray,
  asComposite,
  asEnum,
  declTags,
  enumValue,
  findMember,
  findMemberDeep,
  funcProto,
  isIntKind,
  isModifier,
  members,
  resolveSize,
  resolveType,
  resolvedType,
  skipMods,
  skipModsAndTypedefs,
} from "./walk.js";
export type { DeclTag, MemberPath } from "./walk.js";
export { btfKindStr, btfNameByOffset, btfNameOrAnon, btfTypeName, btfTypeStr } from "./naming.js";
export { bundledBtfPath, bundledVersions, isElf, loadBtfFile, loadBundledVmlinuxBtf, parseBtfOrElf } from "./source.js";
export type { ElfSectionReader, LoadBtfOptions } from "./source.js";
export { BPF_CORE_RELO_KINDS, decodeLineInfo, formatLineInfo, lineInfoCol, lineInfoLine, parseBtfExt } from "./ext.js";
export type { BpfCoreRelo, BpfCoreReloKind, BtfExt, BtfExtFuncInfo, BtfExtHeader, BtfExtLineInfo, BtfExtSection, DecodedLineInfo } from "./ext.js";
export { BtfWriter, writeBtfExt } from "./writer.js";
export type { BtfExtWriterInput, BtfWriterOptions, WriterMember } from "./writer.js";
