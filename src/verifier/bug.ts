// kernel: verifier_bug() — an internal inconsistency: print and fail with EFAULT.
import { reject, type Verbose } from "./reject.js";

export function verifierBug(env: Verbose, msg: string): never {
  reject(env, "EFAULT", `verifier bug: ${msg}\n`);
}
