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
export { CoreReloError, coreEssentialName, coreEssentialNameLen } from "./core/common.js";
export { coreFieldsAreCompat, coreTypesAreCompat, coreTypesMatch } from "./core/compat.js";
export { coreFindCands, newCoreCandCache } from "./core/candidates.js";
export type { CoreCand, CoreCandCache, CoreTarget } from "./core/candidates.js";
export { BPF_CORE_SPEC_MAX_LEN, coreFormatSpec, coreParseSpec, coreReloKindStr, coreSpecMatch } from "./core/spec.js";
export type { CoreAccessor, CoreSpec } from "./core/spec.js";
export { coreCalcReloInsn } from "./core/calc.js";
export type { CoreReloContext, CoreReloResult } from "./core/calc.js";
export { CORE_POISON_IMM, coreApplyToInsn } from "./core/patch.js";
export type { CoreInsn, CorePatch } from "./core/patch.js";
