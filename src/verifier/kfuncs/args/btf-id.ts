// A kernel object argument (KF_ARG_PTR_TO_BTF_ID, and KF_ARG_PTR_TO_MAP as
// `struct bpf_map`): the register must be a BTF pointer (or a socket/map
// pointer standing for one) whose type is, or starts with, the expected struct.
// kernel: check_kfunc_args (the BTF_ID/MAP arm), process_kf_arg_ptr_to_btf_id,
//         btf_type_ids_nocast_alias, btf_is_projection_of
import type { Btf } from "../../../btf/index.js";
import { btfTypeStr, skipModsAndTypedefs, btfStructIdsMatch } from "../../../btf/index.js";
import type { VerifierEnv } from "../../env.js";
import type { RegState } from "../../state/types.js";
import { MEM_ALLOC, regTypeStr } from "../../state/reg-type.js";
import { tnumIsConst } from "../../state/scalar-bridge.js";
import { reject } from "../../reject.js";
import { notModelled } from "../../not-modelled.js";
import type { KfuncCallMeta } from "../meta.js";
import { btfOfAnyRef, hasFlag } from "../meta.js";
import { BPF_REG_TRUSTED_MODIFIERS, REG2BTF_STRUCT, hasUnsafeModifiers, isRcuReg, regIsReferenced } from "../refs.js";

const NOCAST_ALIAS_SUFFIX = "___init";

/** kernel: btf_type_ids_nocast_alias — one name is the other plus "___init". */
function nocastAlias(regName: string, argName: string): boolean {
  if (regName.length === argName.length) return false;
  const [short, long] = regName.length < argName.length ? [regName, argName] : [argName, regName];
  return long.length === short.length + NOCAST_ALIAS_SUFFIX.length && long.startsWith(short) && long.endsWith(NOCAST_ALIAS_SUFFIX);
}

/** kernel: btf_is_projection_of */
function isProjectionOf(pname: string, tname: string): boolean {
  return (pname === "__sk_buff" && tname === "sk_buff") || (pname === "xdp_md" && tname === "xdp_buff");
}

/** The struct a register points to: its own BTF type, or the vmlinux struct of a socket/map pointer. */
function regBtfType(env: VerifierEnv, reg: RegState): { btf: Btf; id: number } {
  const target = env.kfuncTarget!;
  if (reg.type === "PTR_TO_BTF_ID") {
    const btf = btfOfAnyRef(env, reg.btf);
    if (!btf) return notModelled("BTF pointers of an unknown BTF object as kfunc arguments");
    return { btf, id: reg.btfId };
  }
  const vml = target.profile.vmlinuxBtf;
  const id = vml.findByNameKind(REG2BTF_STRUCT[reg.type]!, "STRUCT");
  if (id === undefined) return notModelled(`vmlinux struct ${REG2BTF_STRUCT[reg.type]}`);
  return { btf: vml, id };
}

/**
 * The register-type gate of the BTF_ID arm, then process_kf_arg_ptr_to_btf_id.
 * `want` is the expected pointee in `wantBtf` (modifiers already skipped).
 */
export function checkKfArgPtrToBtfId(env: VerifierEnv, meta: KfuncCallMeta, reg: RegState, arg: string, wantBtf: Btf, wantId: number): void {
  if ((reg.type !== "PTR_TO_BTF_ID" || (hasUnsafeModifiers(reg.flags) && !isRcuReg(reg))) && REG2BTF_STRUCT[reg.type] === undefined) {
    env.verbose(`${arg} is ${regTypeStr(reg.type, reg.flags)} `);
    reject(env, "EINVAL", `expected ${regTypeStr(reg.type, reg.flags & BPF_REG_TRUSTED_MODIFIERS)} or socket\n`);
  }
  const { btf: regBtf, id: rawRegId } = regBtfType(env, reg);
  const wantName = wantBtf.typeName(wantId);
  const strict = (hasFlag(meta, "KF_RELEASE") && regIsReferenced(env, reg)) || nocastAlias(regBtf.typeName(rawRegId), wantName);
  const regId = skipModsAndTypedefs(regBtf, rawRegId);
  const regName = regBtf.typeName(regId);
  if (!tnumIsConst(reg.varOff)) return notModelled("a BTF pointer with a variable offset as kfunc argument");
  const off = Number(BigInt.asIntN(64, reg.varOff.value));
  const same = btfStructIdsMatch(regBtf, regId, off, wantBtf, wantId, strict, !(reg.flags & MEM_ALLOC));
  if (!isProjectionOf(wantName, regName) && !same) {
    reject(env, "EINVAL", `kernel function ${meta.name} ${arg} expected pointer to ${btfTypeStr(wantBtf, wantId)} ${wantName} but ${arg} has a pointer to ${btfTypeStr(regBtf, regId)} ${regName}\n`);
  }
}
