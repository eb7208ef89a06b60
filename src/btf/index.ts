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
