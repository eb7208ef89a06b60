// BTF-described kernel objects reached by the program: loads through
// PTR_TO_BTF_ID and map pointers (with the trust they pass on), what the
// attach target's prototype says about the return value, and the state
// printer's type names. The BTF ctx itself (btf_ctx_access) is in ../ctx/btf-ctx.ts.
export { checkPtrToBtfAccess, checkPtrToMapAccess } from "./ptr-access.js";
export { attachFunc, attachReturnType, attachReturnsVoid, lsmRetvalRange, programReturnsVoid, BOOL_LSM_HOOKS } from "./attach.js";
export { attachBtf, btfOf, btfIsKernel, btfTypeNamerFor } from "./btf-of.js";
export { canBeSleepable, checkAttachBtfId, type AttachCheckInput } from "./check-attach.js";
