// Public API of the ISA layer (kernel 7.2):
// - raw.ts: RawInsn, the 8-byte wire slot, and its byte/hex codecs;
// - opcodes.ts / opcode-table.ts: BPF_* constants, field accessors, the op
//   tables and bpf_opcode_in_insntable;
// - types.ts: the decoded `Insn` union (switch on `kind`) and per-slot `Slot`;
// - decode.ts / encode.ts: raw <-> decoded. Decoding never throws on a
//   malformed insn: it yields `{ kind: "invalid", message, phase }` with the
//   kernel's exact log line, for the verifier to print at the right point;
// - disasm.ts: printBpfInsn, the kernel's print_bpf_insn text, with callbacks;
// - flow.ts: jump / subprog targets;
// - asm.ts: the builder DSL for writing programs in tests.
export * from "./raw.js";
export * from "./opcodes.js";
export * from "./opcode-table.js";
export * from "./types.js";
export * from "./decode.js";
export * from "./encode.js";
export * from "./disasm.js";
export * from "./flow.js";
export * from "./asm.js";
export { HELPER_NAMES, BPF_FUNC_MAX_ID } from "./generated/helper-names.js";
