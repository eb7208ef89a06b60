// struct_ops programs: the member they implement, its ctx, its __ref
// arguments, its return value, the ops' store rules and epilogue.
export { checkStructOpsBtfId, ctxArgIdx, ctxArgOffset, type StructOpsArg, type StructOpsCheck, type StructOpsProg } from "./resolve.js";
export { acquireStructOpsArgRefs, installStructOps, structOpsCtxAccess, structOpsOf } from "./ctx.js";
export { structOpsReturnRefKptr, structOpsReturnsPtr, structOpsReturnsVoid } from "./ret.js";
export { applyStructOpsEpilogue, structOpsHasEpilogue } from "./epilogue.js";
export { structOpsBtfStructWrite } from "./write.js";
export { structOpsKfuncFilterRejects } from "./kfunc-filter.js";
export { requireStructOpsHelpers } from "./helpers.js";
