// Public API of the BTF layer (src/btf). Imports only src/util and src/elf.
//
//  parse:   parseBtf(bytes, {base?, name?, where?}) -> Btf (split BTF with base);
//           parseBtfOrElf / loadBtfFile (raw BTF or an ELF's .BTF); loadBundledVmlinuxBtf("7.2")
//  types:   btf.type(id) (decoded, cached), btf.kind/kindNum/vlen/kflag/sizeOrType/nameOff/typeName(id)
//           (no allocation), btf.findByName / findByNameKind, btf.strAt / str
//  walk:    skipModsAndTypedefs, resolveSize, resolveType, members, findMember(Deep), arrayDims,
//           funcProto, enumValue, declTags, paramMatchSuffix
//  naming:  btfTypeStr ("STRUCT", "UNKNOWN" for void), btfTypeName, btfNameByOffset, btfNameOrAnon
//  ext:     parseBtfExt(bytes, btf) -> func_info / line_info / CO-RE records per ELF section
//  CO-RE:   coreCalcReloInsn(ctx, relo, reloIdx) -> CoreReloResult; coreApplyToInsn(...) -> CorePatch
//  tests:   BtfWriter, writeBtfExt build BTF blobs
export { Btf } from "./btf.js";
export { parseBtf } from "./parse.js";
export type { BtfHeader, BtfKindLayout } from "./btf.js";
export type { ParseBtfOptions } from "./parse.js";
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
  paramMatchSuffix,
  resolveSize,
  resolveType,
  resolvedType,
  skipMods,
  skipModsAndTypedefs,
} from "./walk.js";
export type { DeclTag, MemberPath } from "./walk.js";
export { btfKindStr, btfNameByOffset, btfNameOrAnon, btfTypeName, btfTypeStr, libbpfKindStr } from "./naming.js";
export { bundledBtfPath, bundledKernelFile, bundledVersions, isElf, loadBtfFile, loadBundledVmlinuxBtf, parseBtfOrElf } from "./source.js";
export type { ElfSectionReader, LoadBtfOptions } from "./source.js";
export { BPF_CORE_RELO_KINDS, decodeLineInfo, formatLineInfo, lineInfoCol, lineInfoLine, parseBtfExt } from "./ext.js";
export type { BpfCoreRelo, BpfCoreReloKind, BtfExt, BtfExtFuncInfo, BtfExtHeader, BtfExtLineInfo, BtfExtSection, DecodedLineInfo } from "./ext.js";
export { BtfWriter, writeBtfExt } from "./writer.js";
export type { BtfExtWriterInput, BtfWriterOptions, WriterMember } from "./writer.js";
export { CoreErrno, CoreReloError, coreEssentialName, coreEssentialNameLen } from "./core/common.js";
export { coreFieldsAreCompat, coreTypesAreCompat, coreTypesMatch } from "./core/compat.js";
export { coreFindCands, newCoreCandCache } from "./core/candidates.js";
export type { CoreCand, CoreCandCache, CoreTarget } from "./core/candidates.js";
export { BPF_CORE_SPEC_MAX_LEN, coreFailedReloLogPatch, coreFormatSpec, coreParseSpec, coreReloKindStr, coreSpecMatch } from "./core/spec.js";
export type { CoreAccessor, CoreSpec } from "./core/spec.js";
export { coreCalcReloInsn } from "./core/calc.js";
export type { CoreReloContext, CoreReloResult } from "./core/calc.js";
export { CORE_POISON_IMM, coreApplyToInsn } from "./core/patch.js";
export type { CoreInsn, CorePatch } from "./core/patch.js";
export { btfNameValidIdentifier, kernelBtfCheckFuncs } from "./kcheck.js";
export type { KernelBtfCheck, KernelBtfCheckOptions } from "./kcheck.js";
export { btfResolveSizeEx, btfStructAccess, btfStructIdsMatch, btfStructWalk } from "./struct-walk.js";
export type { StructAccessResult, StructWalkError, StructWalkFlag, StructWalkResult } from "./struct-walk.js";
