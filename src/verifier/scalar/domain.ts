// One instantiated scalar domain: core (views, constructors, bounds sync), ALU and branch ops at
// a given register width. scalar64 is the verifier's; tests build small ones.

import { makeScalarCore } from "./scalar.js";
import { makeAlu } from "./alu.js";
import { makeBranch } from "./branch.js";

export function makeScalarDomain(bits: number, bigEndian = false) {
  const core = makeScalarCore(bits);
  return { ...core, ...makeAlu(core, bigEndian), ...makeBranch(core) };
}

export type ScalarDomain = ReturnType<typeof makeScalarDomain>;

/** The verifier's domain: 64-bit registers, 32-bit subregisters, little-endian target. */
export const scalar64: ScalarDomain = makeScalarDomain(64);
