// Public API of the ISA layer: raw slots, opcode constants and table, the
// decoded insn union, decode/encode, the kernel's disassembly, the test DSL.
export * from "./raw.js";
export * from "./opcodes.js";
export * from "./opcode-table.js";
export * from "./types.js";
export * from "./decode.js";
export * from "./encode.js";
export * from "./disasm.js";
export { HELPER_NAMES, BPF_FUNC_MAX_ID } from "./generated/helper-names.js";
export * from "./asm.js";
