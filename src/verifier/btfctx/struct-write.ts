// A store into a kernel object through the program type's btf_struct_access
// op (tc/xdp: nf_conn's mark while nf_conntrack is loaded). Which structs and
// members are writable is a target fact (src/kernel/btf-struct-access.ts);
// this is the check the op runs on it and the verifier's refusal around it.
// kernel: check_ptr_to_btf_access (env->ops->btf_struct_access arm),
// _nf_conntrack_btf_struct_access (net/netfilter/nf_conntrack_bpf.c)
import type { Btf } from "../../btf/index.js";
import type { BtfStructWriteOp } from "../../kernel/btf-struct-access.js";
import type { VerifierEnv } from "../env.js";
import type { RegState } from "../state/types.js";
import { reject } from "../reject.js";

/** The op's own verdict: null when allowed, else the line it logs ("" when it logs nothing). */
export function opVerdict(op: BtfStructWriteOp, btf: Btf, btfId: number, off: number, size: number): string | null {
  const d = op.delegate;
  if (!d) return "";
  // the same type object: an id of the struct in the module's BTF or in the vmlinux BTF under it
  const same = (id: number) => id === btfId && d.btf.owner(id) === btf.owner(btfId);
  if (!d.structIds.some(same)) return "only read is supported\n";
  const m = d.members.find((x) => x.off === off);
  if (!m) return `no write support to ${d.objName} at off ${off}\n`;
  if (off + size > m.end) return `write access at off ${off} with size ${size} beyond the member of ${d.objName} ended at ${m.end}\n`;
  return null;
}

/** kernel: check_ptr_to_btf_access with env->ops->btf_struct_access, BPF_WRITE (nothing to mark on success). */
export function opBtfStructWrite(env: VerifierEnv, op: BtfStructWriteOp, btf: Btf, reg: RegState, argName: string, tname: string,
  off: number, size: number): void {
  const err = opVerdict(op, btf, reg.btfId, off, size);
  if (err === null) return;
  env.verbose(err);
  reject(env, "EACCES", `${argName} cannot write into ptr_${tname} at off=${off} size=${size}\n`);
}
