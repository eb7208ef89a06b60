// RET_PTR_TO_BTF_ID: R0 points to the vmlinux struct the helper's proto names
// (its ret_btf_id). The proto rows carry that struct's name; every variant of
// one helper names the same struct, which the lookup checks.
// kernel: verifier.c (check_helper_call, the RET_PTR_TO_BTF_ID arm)
import type { VerifierEnv } from "../env.js";
import { HELPER_PROTOS } from "../../kernel/helpers/index.js";
import { curFrame } from "../state/func.js";
import { markRegKnownZero } from "../state/reg.js";
import { VMLINUX_BTF_REF } from "../calls/global.js";
import { reject } from "../reject.js";
import { notModelled } from "../not-modelled.js";

const retStructByHelper = new Map<string, Set<string>>();
for (const p of HELPER_PROTOS) {
  const t = p.ret.btfId?.type;
  if (t === undefined || !p.func) continue;
  const s = retStructByHelper.get(p.func) ?? new Set<string>();
  s.add(t);
  retStructByHelper.set(p.func, s);
}

/** The struct a helper's RET_PTR_TO_BTF_ID points to ("struct task_struct"), undefined when the proto has none or variants disagree. */
export function helperRetBtfType(helper: string): string | undefined {
  const s = retStructByHelper.get(helper);
  return s && s.size === 1 ? [...s][0] : undefined;
}

/** kernel: the RET_PTR_TO_BTF_ID arm (bpf_kptr_xchg's type comes from the map's kptr field: maprec's). */
export function markRetPtrToBtfId(env: VerifierEnv, helper: string, funcId: number, retFlags: number): void {
  if (helper === "bpf_kptr_xchg") notModelled("bpf_kptr_xchg return type (kptr field)");
  const r0 = curFrame(env.curState).regs[0]!;
  markRegKnownZero(r0);
  r0.type = "PTR_TO_BTF_ID";
  r0.flags = retFlags;
  const t = helperRetBtfType(helper);
  if (!t) return notModelled(`ret_btf_id of ${helper}`);
  const m = /^(struct|union) (.+)$/.exec(t);
  const btf = env.vmlinuxBtf();
  const id = m && btf ? btf.findByNameKind(m[2]!, m[1] === "struct" ? "STRUCT" : "UNION") : undefined;
  // kernel: "invalid return type" when the BTF id resolved to 0
  if (!id) reject(env, "EINVAL", `invalid return type 8 of func ${helper}#${funcId}\n`);
  r0.btf = VMLINUX_BTF_REF;
  r0.btfId = id;
}
