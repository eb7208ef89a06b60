// Loads and stores of kptr fields in map values: a load yields a BTF pointer
// of the field's type (RCU-protected inside an RCU section, else untrusted),
// a store must give a pointer of the right type (unreferenced kptrs only:
// referenced ones change only through bpf_kptr_xchg).
// kernel: verifier.c (check_map_kptr_access, map_kptr_match_type,
// btf_ld_kptr_type, rcu_safe_kptr, kptr_pointee_btf_record); btf.c (btf_parse_kptr)
import type { VerifierEnv } from "../env.js";
import type { BtfRef } from "../state/types.js";
import type { Btf } from "../../btf/btf.js";
import { btfStructIdsMatch } from "../../btf/index.js";
import { reject } from "../reject.js";
import { notModelled } from "../not-modelled.js";
import { curFrame } from "../state/func.js";
import { markRegKnownZero } from "../state/reg.js";
import { registerIsNull } from "../state/reg-query.js";
import { regTypeStr, MEM_ALLOC, MEM_PERCPU, MEM_RCU, NON_OWN_REF, PTR_MAYBE_NULL, PTR_TRUSTED, PTR_UNTRUSTED } from "../state/reg-type.js";
import { btfRefOf, btfOfAnyRef, PROG_BTF_REF } from "../kfuncs/meta.js";
import { VMLINUX_BTF_REF } from "../calls/global.js";
import { inRcuCs } from "../kfuncs/refs.js";
import { parseFields, type BtfField, type BtfFieldType } from "./record.js";
import { localStructRecord } from "./local.js";
import { mapHasBtf, recordOf } from "./index.js";
import { tnumIsConst } from "../state/scalar-bridge.js";

const BPF_CLASS_MASK = 0x07;
const BPF_LDX = 0x01;
const BPF_ST = 0x02;
const BPF_STX = 0x03;
const BPF_MODE_MASK = 0xe0;
const BPF_MEM = 0x60;

/**
 * kernel: rcu_protected_types (the kernel objects whose kptrs load as RCU
 * pointers; the CONFIG_* guards of the set are all on in the 7.2 build).
 */
const RCU_PROTECTED_TYPES: ReadonlySet<string> = new Set(["prog_test_ref_kfunc", "cgroup", "bpf_cpumask", "task_struct", "bpf_crypto_ctx"]);

/** Where a kptr field's pointee lives. kernel: btf_parse_kptr (bpf_find_btf_id: vmlinux, then modules; else the program's BTF). */
export interface KptrTarget {
  ref: BtfRef;
  btf: Btf;
  id: number;
  isKernel: boolean;
}

export function kptrTarget(env: VerifierEnv, field: BtfField): KptrTarget {
  const prog = env.progBtf;
  if (!prog || field.kptrTypeId === undefined) return notModelled("kptr field without the program's BTF");
  const name = prog.typeName(field.kptrTypeId);
  // btf_find_kptr accepted only a struct or union pointee
  const kind = prog.type(field.kptrTypeId).kind === "UNION" ? "UNION" : "STRUCT";
  const target = env.kfuncTarget;
  if (!target) return notModelled("kptr fields without the target kernel's BTF");
  const vm = target.profile.vmlinuxBtf.findByNameKind(name, kind);
  if (vm !== undefined) return { ref: VMLINUX_BTF_REF, btf: target.profile.vmlinuxBtf, id: vm, isKernel: true };
  for (const m of target.profile.moduleBtfs) {
    const id = m.btf.findByNameKind(name, kind);
    // A module BTF holds vmlinux as its base: only the module's own types count here.
    if (id !== undefined && m.btf.owner(id) === m.btf) return { ref: btfRefOf(target, m.module), btf: m.btf, id, isKernel: true };
  }
  return { ref: PROG_BTF_REF, btf: prog, id: field.kptrTypeId, isKernel: false };
}

// kernel: btf_parse_struct_metas' mask for program-allocated objects
const LOCAL_OBJ_MASK: ReadonlySet<BtfFieldType> = new Set<BtfFieldType>(["BPF_SPIN_LOCK", "BPF_RES_SPIN_LOCK", "BPF_LIST_HEAD", "BPF_LIST_NODE",
  "BPF_RB_ROOT", "BPF_RB_NODE", "BPF_REFCOUNT", "BPF_KPTR_UNREF", "BPF_KPTR_REF", "BPF_KPTR_PERCPU"]);

/** kernel: btf_ld_kptr_type */
function ldKptrType(env: VerifierEnv, field: BtfField, t: KptrTarget): number {
  let ret = PTR_MAYBE_NULL;
  const rcuSafe = field.type === "BPF_KPTR_PERCPU" ||
    (field.type === "BPF_KPTR_REF" && (!t.isKernel || RCU_PROTECTED_TYPES.has(t.btf.typeName(t.id))));
  if (rcuSafe && inRcuCs(env)) {
    ret |= MEM_RCU;
    if (field.type === "BPF_KPTR_PERCPU") ret |= MEM_PERCPU;
    else if (!t.isKernel) ret |= MEM_ALLOC;
    if (!t.isKernel) {
      // kernel: kptr_pointee_btf_record — a local object with graph nodes loads as a non-owning reference
      const size = (t.btf.type(t.id) as { size?: number }).size ?? 0;
      const rec = parseFields(t.btf, t.id, size, LOCAL_OBJ_MASK);
      if (rec && "fields" in rec && rec.fields.some((f) => f.type === "BPF_LIST_NODE" || f.type === "BPF_RB_NODE")) ret |= NON_OWN_REF;
    }
  } else {
    ret |= PTR_UNTRUSTED;
  }
  return ret;
}

/** kernel: map_kptr_match_type */
function kptrMatchType(env: VerifierEnv, field: BtfField, t: KptrTarget, regno: number): void {
  const reg = curFrame(env.curState).regs[regno]!;
  const targName = t.btf.typeName(t.id);
  let regName = "";
  const bad = (): never => {
    let msg = `invalid kptr access, R${regno} type=${regTypeStr(reg.type, reg.flags)}${regName} expected=${regTypeStr("PTR_TO_BTF_ID", 0)}${targName}`;
    if (field.type === "BPF_KPTR_UNREF") msg += ` or ${regTypeStr("PTR_TO_BTF_ID", PTR_UNTRUSTED)}${targName}\n`;
    else msg += "\n";
    return reject(env, "EINVAL", msg);
  };
  if (reg.type !== "PTR_TO_BTF_ID") bad();
  const regBtf = btfOfAnyRef(env, reg.btf);
  if (!regBtf) return notModelled("kptr store of a pointer whose BTF is not known");
  const regIsKernel = reg.btf !== PROG_BTF_REF;
  let perm: number;
  if (regIsKernel) {
    perm = PTR_MAYBE_NULL | PTR_TRUSTED | MEM_RCU;
    if (field.type === "BPF_KPTR_UNREF") perm |= PTR_UNTRUSTED;
  } else {
    perm = PTR_MAYBE_NULL | MEM_ALLOC;
    if (field.type === "BPF_KPTR_PERCPU") perm |= MEM_PERCPU;
  }
  if (reg.flags & ~perm) bad();
  if ((field.type === "BPF_KPTR_PERCPU") !== !!(reg.flags & MEM_PERCPU)) bad();
  regName = regBtf.typeName(reg.btfId);
  env.checkPtrOffReg(reg, `R${regno}`, true);
  const isAlloc = !!(reg.flags & MEM_ALLOC);
  if (!btfStructIdsMatch(regBtf, reg.btfId, Number(BigInt.asIntN(64, reg.varOff.value)), t.btf, t.id, field.type !== "BPF_KPTR_UNREF", !isAlloc)) bad();
}

/** kernel: check_map_kptr_access (bounds, size and alignment were checked by check_map_access). */
export function checkMapKptrAccess(env: VerifierEnv, valueRegno: number, insnIdx: number, field: BtfField): void {
  const insn = env.insns[insnIdx]!;
  const cls = insn.code & BPF_CLASS_MASK;
  if ((insn.code & BPF_MODE_MASK) !== BPF_MEM) reject(env, "EACCES", "kptr in map can only be accessed using BPF_MEM instruction mode\n");
  if (cls !== BPF_LDX && (field.type === "BPF_KPTR_REF" || field.type === "BPF_KPTR_PERCPU")) {
    reject(env, "EACCES", "store to referenced kptr disallowed\n");
  }
  if (cls !== BPF_LDX && field.type === "BPF_UPTR") reject(env, "EACCES", "store to uptr disallowed\n");
  if (cls === BPF_LDX) {
    const t = kptrTarget(env, field);
    const dst = curFrame(env.curState).regs[valueRegno]!;
    if (field.type === "BPF_UPTR") {
      // kernel: mark_uptr_ld_reg — user memory the size of the pointee, maybe NULL
      markRegKnownZero(dst);
      dst.type = "PTR_TO_MEM";
      dst.flags = PTR_MAYBE_NULL;
      dst.memSize = (t.btf.type(t.id) as { size?: number }).size ?? 0;
      dst.id = ++env.idGen;
      return;
    }
    // kernel: mark_btf_ld_reg(PTR_TO_BTF_ID)
    const flags = ldKptrType(env, field, t);
    markRegKnownZero(dst);
    dst.type = "PTR_TO_BTF_ID";
    dst.flags = flags;
    dst.btf = t.ref;
    dst.btfId = t.id;
    if (flags & PTR_MAYBE_NULL) dst.id = ++env.idGen;
    return;
  }
  if (cls === BPF_STX) {
    const val = curFrame(env.curState).regs[valueRegno]!;
    // Valid only because the value is known zero: precise, so no other scalar prunes against it.
    if (registerIsNull(val)) return env.markChainPrecision(valueRegno);
    kptrMatchType(env, field, kptrTarget(env, field), valueRegno);
    return;
  }
  if (cls === BPF_ST) {
    if (insn.imm) reject(env, "EACCES", `BPF_ST imm must be 0 when storing to kptr at off=${field.offset}\n`);
    return;
  }
  reject(env, "EACCES", "kptr in map can only be accessed using BPF_LDX/BPF_STX/BPF_ST\n");
}

/** kernel: process_kptr_func — the referenced kptr field bpf_kptr_xchg's destination points at. */
export function processKptrFunc(env: VerifierEnv, regno: number): BtfField {
  const reg = curFrame(env.curState).regs[regno]!;
  let fields: readonly BtfField[];
  if (reg.type === "PTR_TO_BTF_ID" && (reg.flags & MEM_ALLOC)) {
    // a program-allocated object: its struct meta's record (only the program's BTF has metas)
    fields = (reg.btf === PROG_BTF_REF && env.progBtf ? localStructRecord(env.progBtf, reg.btfId)?.fields : undefined) ?? [];
  } else {
    const map = reg.map!;
    if (!mapHasBtf(env, map)) reject(env, "EINVAL", `map '${map.name}' has to have BTF in order to use bpf_kptr_xchg\n`);
    fields = recordOf(env, map)?.fields ?? [];
  }
  if (!tnumIsConst(reg.varOff)) reject(env, "EINVAL", `R${regno} doesn't have constant offset. kptr has to be at the constant offset\n`);
  const isKptr = (t: BtfFieldType) => t === "BPF_KPTR_UNREF" || t === "BPF_KPTR_REF" || t === "BPF_KPTR_PERCPU";
  if (!fields.some((f) => isKptr(f.type))) reject(env, "EINVAL", `R${regno} has no valid kptr\n`);
  // kernel: kptr_off is a u32 printed with %d
  const off = Number(BigInt.asUintN(32, reg.varOff.value));
  const field = fields.find((f) => isKptr(f.type) && f.offset === off);
  if (!field) reject(env, "EACCES", `off=${off | 0} doesn't point to kptr\n`);
  if (field.type !== "BPF_KPTR_REF" && field.type !== "BPF_KPTR_PERCPU") reject(env, "EACCES", `off=${off | 0} kptr isn't referenced kptr\n`);
  return field;
}

/** kernel: check_helper_call, RET_PTR_TO_BTF_ID for BPF_FUNC_kptr_xchg — r0 takes the field's type. */
export function markKptrXchgRet(env: VerifierEnv, field: BtfField, retFlags: number): void {
  const r0 = curFrame(env.curState).regs[0]!;
  const t = kptrTarget(env, field);
  markRegKnownZero(r0);
  r0.type = "PTR_TO_BTF_ID";
  r0.flags = retFlags;
  if (!t.isKernel) {
    r0.flags |= MEM_ALLOC;
    if (field.type === "BPF_KPTR_PERCPU") r0.flags |= MEM_PERCPU;
  }
  r0.btf = t.ref;
  r0.btfId = t.id;
}

/** map_kptr_match_type for bpf_kptr_xchg's source argument (check_reg_type's BPF_PTR_POISON case). */
export function kptrXchgMatchType(env: VerifierEnv, field: BtfField, regno: number): void {
  kptrMatchType(env, field, kptrTarget(env, field), regno);
}
