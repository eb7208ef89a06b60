// Public API of the target-kernel profile (src/kernel): what the verifier and the
// CLI may know about a kernel. Kernel facts reach the verifier only through here.
export { loadProfile, makeProfile, nearestVersion, PROFILE_VERSIONS } from "./profile.js";
export type { KfuncAllowance, LoadProfileOptions, ModuleBtfSpec, Profile, ProfileVersion } from "./profile.js";
export { bindCatalog, kfuncKey } from "./kfuncs/catalog.js";
export type { BoundCatalog, FmodretTarget, Kfunc, KfuncBtf, KfuncHookEntry } from "./kfuncs/catalog.js";
export type { KfFlag, KfuncCatalogData, KfuncCatalogRow, KfuncHook } from "./kfuncs/types.js";
export { KFUNC_ARG_KIND_ORDER, KFUNC_ARG_KIND_ROWS, KFUNC_RET_KIND_ORDER, KFUNC_RET_KIND_ROWS, kfuncArgKinds, kfuncRetKind } from "./kfuncs/argKinds.js";
export type {
  ArgKindRow,
  KfuncArgAlternative,
  KfuncArgContext,
  KfuncArgKind,
  KfuncArgProto,
  KfuncPtrArgType,
  KfuncRetCondition,
  KfuncRetKind,
  KfuncRetProto,
  RetKindRow,
} from "./kfuncs/argKinds.js";
export { KF_ARG_STRUCTS, KFUNC_ARG_SUFFIXES, argWhere, isProgCtxType, isScalarStruct, matchSuffix } from "./kfuncs/argFacts.js";
export { kfuncProto, kfuncProtoId } from "./kfuncs/proto.js";
export type { KfuncProto, KfuncProtoEnv } from "./kfuncs/proto.js";
export * as helpers from "./helpers/index.js";
export * as progtypes from "./progtypes/index.js";
export { btfStructWriteOp } from "./btf-struct-access.js";
export type { BtfStructWriteDelegate, BtfStructWriteOp } from "./btf-struct-access.js";
