// Public API of bpfverify. Filled in as the layers land; the CLI imports only from here.
export { InputError, VerifierBug } from "./util/errors.js";
export type { Where } from "./util/errors.js";
export type { RawInsn } from "./isa/raw.js";
