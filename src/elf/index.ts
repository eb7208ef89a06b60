// Public API of the ELF layer.
export * from "./reader.js";
