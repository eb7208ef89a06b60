// Program-allocated objects: bpf_obj_new/bpf_percpu_obj_new return an owning
// reference to a struct of the program's own BTF (PTR_TO_BTF_ID|MEM_ALLOC
// [|MEM_PERCPU]); bpf_obj_drop/bpf_percpu_obj_drop take it back (`__alloc`).
// kernel: check_special_kfunc (obj_new arm), check_kfunc_args (KF_ARG_PTR_TO_ALLOC_BTF_ID)
import { isScalarStruct } from "../../../kernel/kfuncs/argFacts.js";
import type { VerifierEnv } from "../../env.js";
import type { RegState } from "../../state/types.js";
import { MEM_ALLOC, MEM_PERCPU } from "../../state/reg-type.js";
import { markRegKnownZero } from "../../state/reg.js";
import { reject } from "../../reject.js";
import type { KfuncCallMeta } from "../meta.js";
import { isSpecial, PROG_BTF_REF } from "../meta.js";
import { regIsReferenced } from "../refs.js";
import { localStructRecord } from "../../maprec/local.js";
import type { BtfFieldType } from "../../maprec/record.js";

/** kernel: BPF_GLOBAL_PERCPU_MA_MAX_SIZE */
const BPF_GLOBAL_PERCPU_MA_MAX_SIZE = 512;

export const OBJ_NEW = ["KF_bpf_obj_new", "KF_bpf_obj_new_impl"];
export const PERCPU_OBJ_NEW = ["KF_bpf_percpu_obj_new", "KF_bpf_percpu_obj_new_impl"];
const OBJ_DROP = ["KF_bpf_obj_drop", "KF_bpf_obj_drop_impl"];
const PERCPU_OBJ_DROP = ["KF_bpf_percpu_obj_drop", "KF_bpf_percpu_obj_drop_impl"];

/** kernel: check_special_kfunc, is_bpf_obj_new_kfunc || is_bpf_percpu_obj_new_kfunc */
export function markObjNewReturn(env: VerifierEnv, meta: KfuncCallMeta, r0: RegState): void {
  const percpu = isSpecial(meta, ...PERCPU_OBJ_NEW);
  const v = meta.argConstant.value;
  if (v > 0xffffffffn) reject(env, "EINVAL", "local type ID argument must be in range [0, U32_MAX]\n");
  const btf = env.progBtf;
  if (!btf) reject(env, "EINVAL", "bpf_obj_new/bpf_percpu_obj_new requires prog BTF\n");
  const id = Number(v);
  const t = btf.hasType(id) ? btf.type(id) : undefined;
  if (!t || t.kind !== "STRUCT") reject(env, "EINVAL", "bpf_obj_new/bpf_percpu_obj_new type ID argument must be of a struct\n");
  if (percpu) {
    if (t.size > BPF_GLOBAL_PERCPU_MA_MAX_SIZE) {
      reject(env, "EINVAL", `bpf_percpu_obj_new type size (${t.size}) is greater than ${BPF_GLOBAL_PERCPU_MA_MAX_SIZE}\n`);
    }
    if (!isScalarStruct(btf, id)) reject(env, "EINVAL", "bpf_percpu_obj_new type ID argument must be of a struct of scalars\n");
    // kernel: btf_find_struct_meta — a struct with a special field (lock, graph root/node, refcount, kptr)
    if (localStructRecord(btf, id)) reject(env, "EINVAL", "bpf_percpu_obj_new type ID argument must not contain special fields\n");
  }
  markRegKnownZero(r0);
  r0.type = "PTR_TO_BTF_ID";
  r0.flags = MEM_ALLOC | (percpu ? MEM_PERCPU : 0);
  r0.btf = PROG_BTF_REF;
  r0.btfId = id;
}

/** kernel: check_kfunc_args, case KF_ARG_PTR_TO_ALLOC_BTF_ID */
export function checkAllocObjArg(env: VerifierEnv, meta: KfuncCallMeta, reg: RegState, arg: string): void {
  if (reg.type === "PTR_TO_BTF_ID" && reg.flags === MEM_ALLOC) {
    if (!isSpecial(meta, ...OBJ_DROP)) reject(env, "EINVAL", `${arg} expected for bpf_obj_drop()\n`);
  } else if (reg.type === "PTR_TO_BTF_ID" && reg.flags === (MEM_ALLOC | MEM_PERCPU)) {
    if (!isSpecial(meta, ...PERCPU_OBJ_DROP)) reject(env, "EINVAL", `${arg} expected for bpf_percpu_obj_drop()\n`);
  } else {
    reject(env, "EINVAL", `${arg} expected pointer to allocated object\n`);
  }
  if (!regIsReferenced(env, reg)) reject(env, "EINVAL", "allocated object must be referenced\n");
  // the drop kfuncs live in vmlinux BTF: the object's type is remembered for the tracing check
  meta.argBtf = reg.btf;
  meta.argBtfId = reg.btfId;
}

// kernel: btf_field_is_nmi_safe — what a drop may free from NMI context
const NMI_SAFE_FIELDS: ReadonlySet<BtfFieldType> = new Set<BtfFieldType>(["BPF_SPIN_LOCK", "BPF_RES_SPIN_LOCK", "BPF_TIMER",
  "BPF_WORKQUEUE", "BPF_TASK_WORK", "BPF_KPTR_UNREF", "BPF_REFCOUNT"]);

/**
 * kernel: check_kfunc_call — tracing programs may run in NMI, where freeing an
 * object's special fields (referenced kptrs, graph roots...) is not safe.
 */
export function checkObjDropInTracing(env: VerifierEnv, meta: KfuncCallMeta): void {
  if (!isSpecial(meta, ...OBJ_DROP, ...PERCPU_OBJ_DROP)) return;
  const { progType, expectedAttachType, sleepable } = env.input;
  const tracing = ["BPF_PROG_TYPE_KPROBE", "BPF_PROG_TYPE_TRACEPOINT", "BPF_PROG_TYPE_PERF_EVENT", "BPF_PROG_TYPE_RAW_TRACEPOINT",
    "BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE"].includes(progType) ||
    (progType === "BPF_PROG_TYPE_TRACING" && expectedAttachType !== "BPF_TRACE_ITER" && !sleepable);
  if (!tracing) return;
  // kernel: btf_find_struct_meta — only the program's BTF has struct metas
  const rec = meta.argBtf === PROG_BTF_REF && env.progBtf ? localStructRecord(env.progBtf, meta.argBtfId) : null;
  if (rec && rec.fields.some((f) => !NMI_SAFE_FIELDS.has(f.type))) {
    reject(env, "EINVAL", `${meta.name} cannot be used in tracing programs on types with NMI unsafe fields\n`);
  }
}
