// Public API of bpfverify: load BPF objects as libbpf does, verify programs as
// the Linux 7.2 verifier does. The CLI imports only from here and src/api.
export { InputError, VerifierBug } from "./util/errors.js";
export type { Where } from "./util/errors.js";
export type { RawInsn } from "./isa/raw.js";
export { loadObject } from "./loader/index.js";
export type { LoadedObject, LoadedProgram, LoadOptions } from "./loader/index.js";
export { verifyProgram, toVerifierInput } from "./api/verify-program.js";
export type { VerifyProgramOptions } from "./api/verify-program.js";
export { verify } from "./verifier/verify.js";
export type { VerifyOptions, VerifyResult } from "./verifier/verify.js";
export type { VerifierInput, MapInfo } from "./verifier/input.js";
