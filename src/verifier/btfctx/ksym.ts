// ld_imm64 of a kernel symbol (BPF_PSEUDO_BTF_ID: libbpf's typed __ksym variables and the
// address of a kfunc, as bpf_ksym_exists() takes it): the register type the symbol's BTF gives.
// kernel: __check_pseudo_btf_id. Its kallsyms lookup is not modelled: every VAR or FUNC the
// target BTF holds is taken to have an address, as in a kernel whose BTF matches its symbols.
import { resolveSize, skipModsAndTypedefs, type Btf } from "../../btf/index.js";
import type { VerifierEnv } from "../env.js";
import { notModelled } from "../not-modelled.js";
import { reject } from "../reject.js";
import { MEM_PERCPU, MEM_RDONLY, type BaseRegType } from "../state/reg-type.js";
import type { BtfRef } from "../state/types.js";
import { btfRefOf } from "../kfuncs/meta.js";

export interface PseudoBtfVar {
  type: BaseRegType;
  flags: number;
  memSize: number;
  btf: BtfRef | null;
  btfId: number;
}

/** kernel: find_btf_percpu_datasec — the per-CPU section of this BTF object (not its base's). */
function percpuDatasec(btf: Btf): number | undefined {
  const id = btf.findByNameKind(".data..percpu", "DATASEC");
  return id !== undefined && id >= btf.startId ? id : undefined;
}

export function pseudoBtfVar(env: VerifierEnv, insnIdx: number): PseudoBtfVar {
  const target = env.kfuncTarget;
  if (!target) return notModelled("ksym variables without a target profile");
  const insn = env.insns[insnIdx]!;
  const fdIdx = env.insns[insnIdx + 1]?.imm ?? 0;
  // libbpf puts the module BTF's fd in the second half; bpfverify's loader its fd_array index
  const module = fdIdx === 0 ? undefined : target.moduleOf(fdIdx);
  if (fdIdx !== 0 && module === undefined) reject(env, "EINVAL", "invalid module BTF object FD specified.\n");
  const btf = target.profile.btfOf(module);
  if (!btf) return notModelled("ksym variables without the target BTF");
  const id = insn.imm;
  if (!btf.hasType(id)) reject(env, "ENOENT", `ldimm64 insn specifies invalid btf_id ${id}.\n`);
  const kind = btf.kind(id);
  if (kind !== "VAR" && kind !== "FUNC") reject(env, "EINVAL", `pseudo btf_id ${id} in ldimm64 isn't KIND_VAR or KIND_FUNC\n`);
  if (kind === "FUNC") return { type: "PTR_TO_MEM", flags: MEM_RDONLY, memSize: 0, btf: null, btfId: 0 };
  const ref = btfRefOf(target, module);
  const percpu = percpuDatasec(btf);
  const varType = btf.sizeOrType(id);
  if (percpu !== undefined) {
    const sec = btf.type(percpu);
    if (sec.kind === "DATASEC" && sec.vars.some((v) => v.type === id)) return { type: "PTR_TO_BTF_ID", flags: MEM_PERCPU, memSize: 0, btf: ref, btfId: varType };
  }
  const t = skipModsAndTypedefs(btf, varType);
  const k = btf.kind(t);
  if (k === "STRUCT" || k === "UNION") return { type: "PTR_TO_BTF_ID", flags: 0, memSize: 0, btf: ref, btfId: varType };
  const size = resolveSize(btf, t);
  if (size === undefined) reject(env, "EINVAL", `ldimm64 unable to resolve the size of type '${btf.typeName(t)}': -22\n`);
  return { type: "PTR_TO_MEM", flags: MEM_RDONLY, memSize: size, btf: null, btfId: 0 };
}
