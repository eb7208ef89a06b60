// Loads through PTR_TO_BTF_ID pointers and through map pointers (both walk a
// kernel struct's BTF), and the trust the loaded pointer inherits.
// kernel: verifier.c (check_ptr_to_btf_access, check_ptr_to_map_access,
// mark_btf_ld_reg, type_is_rcu/type_is_rcu_or_null/type_is_trusted/
// type_is_trusted_or_null), btf.c (btf_struct_access, btf_nested_type_is_trusted)
import type { Btf } from "../../btf/index.js";
import { btfStructAccess, skipModsAndTypedefs, type StructWalkFlag } from "../../btf/index.js";
import type { VerifierEnv } from "../env.js";
import type { BtfRef, RegState } from "../state/types.js";
import { curFrame } from "../state/func.js";
import { markRegKnownZero, markRegUnknown } from "../state/reg.js";
import {
  MEM_ALLOC, MEM_PERCPU, MEM_RCU, MEM_RDONLY, MEM_USER, NON_OWN_REF, PTR_MAYBE_NULL, PTR_TRUSTED, PTR_UNTRUSTED,
} from "../state/reg-type.js";
import { tnumIsConst } from "../state/scalar-bridge.js";
import { tnumStr } from "../log/print-state.js";
import { reject } from "../reject.js";
import { notModelled } from "../not-modelled.js";
import { VMLINUX_BTF_REF } from "../calls/global.js";
import { BPF_REG_TRUSTED_MODIFIERS, inRcuCs, isRcuReg, isTrustedReg } from "../kfuncs/refs.js";
import { btfOf } from "./btf-of.js";
import { opBtfStructWrite } from "./struct-write.js";
import { btfStructWriteOp } from "../../kernel/btf-struct-access.js";
import { structOpsBtfStructWrite } from "../structops/write.js";
import { PROG_BTF_REF } from "../kfuncs/meta.js";
import { localStructRecord } from "../maprec/local.js";

const WALK_FLAG_BITS: Record<StructWalkFlag, number> = {
  PTR_UNTRUSTED, MEM_USER, MEM_PERCPU, MEM_RCU,
};

function walkFlags(flags: readonly StructWalkFlag[]): number {
  let m = 0;
  for (const f of flags) m |= WALK_FLAG_BITS[f];
  return m;
}

/** What a load through a BTF pointer gives (kernel: btf_struct_access's return value and out-params). */
type Loaded =
  | { readonly type: "SCALAR_VALUE" }
  | { readonly type: "PTR_TO_BTF_ID"; readonly btfId: number; readonly flags: number; readonly fieldName: string }
  | { readonly type: "PTR_TO_MEM"; readonly flags: number };

/** kernel: btf_struct_access — the special fields of a local object are off limits to plain loads/stores. */
function structAccess(env: VerifierEnv, btf: Btf, btfId: number, off: number, size: number, isAlloc: boolean): Loaded {
  const rec = isAlloc ? localStructRecord(btf, btfId) : null;
  for (const f of rec?.fields ?? []) {
    if (off < f.offset + f.size && f.offset < off + size) reject(env, "EACCES", `direct access to ${f.kind} is disallowed\n`);
  }
  const r = btfStructAccess(btf, btfId, off, size, isAlloc);
  switch (r.kind) {
    case "error": reject(env, r.errno, r.message);
    // falls through (reject never returns)
    case "SCALAR_VALUE": return { type: "SCALAR_VALUE" };
    case "PTR_TO_MEM": return { type: "PTR_TO_MEM", flags: MEM_RDONLY | PTR_UNTRUSTED };
    case "PTR_TO_BTF_ID": return { type: "PTR_TO_BTF_ID", btfId: r.btfId, flags: walkFlags(r.flags), fieldName: r.fieldName };
  }
}

/**
 * kernel: btf_nested_type_is_trusted — the field is listed, with the same
 * pointee type, in the kernel's `<struct><suffix>` allow-list struct.
 */
function nestedTypeIsTrusted(btf: Btf, reg: RegState, fieldName: string, btfId: number, suffix: string): boolean {
  if (!btf.hasType(reg.btfId)) return false;
  const walk = btf.type(reg.btfId);
  if (walk.kind !== "STRUCT" && walk.kind !== "UNION") return false;
  const safeName = `${walk.name}${suffix}`;
  // kernel: the name lives in a char[64]
  if (safeName.length >= 64) return false;
  const safeId = btf.findByNameKind(safeName, walk.kind);
  if (!safeId) return false;
  const safe = btf.type(safeId);
  if (safe.kind !== "STRUCT" && safe.kind !== "UNION") return false;
  return safe.members.some((m) => {
    const mt = btf.type(m.type);
    return mt.kind === "PTR" && skipModsAndTypedefs(btf, mt.type) === btfId && m.name === fieldName;
  });
}

/** kernel: the trust of a pointer loaded from a trusted or RCU pointer (the middle of check_ptr_to_btf_access). */
function inheritedTrust(env: VerifierEnv, btf: Btf, reg: RegState, fieldName: string, btfId: number, flagIn: number): number {
  let flag = flagIn;
  const is = (suffix: string) => nestedTypeIsTrusted(btf, reg, fieldName, btfId, suffix);
  if (is("__safe_trusted")) return flag | PTR_TRUSTED;
  if (is("__safe_trusted_or_null")) return flag | PTR_TRUSTED | PTR_MAYBE_NULL;
  if (!inRcuCs(env) || (reg.flags & PTR_MAYBE_NULL)) {
    // Outside an RCU section the walked pointer may be freed under us.
    return PTR_UNTRUSTED;
  }
  if (is("__safe_rcu")) return flag | MEM_RCU;
  const rcuOrNull = is("__safe_rcu_or_null");
  if ((flag & MEM_RCU) || rcuOrNull) {
    flag |= MEM_RCU | PTR_MAYBE_NULL;
    if (rcuOrNull && (flag & PTR_UNTRUSTED)) flag &= ~PTR_UNTRUSTED;
    return flag;
  }
  if (flag & (MEM_PERCPU | MEM_USER)) return flag;
  // Walking unknown pointers yields the old, deprecated plain PTR_TO_BTF_ID.
  return flag & ~(BPF_REG_TRUSTED_MODIFIERS | MEM_RCU);
}

/** kernel: mark_btf_ld_reg */
function markBtfLdReg(env: VerifierEnv, regno: number, loaded: Loaded, ref: BtfRef | null): void {
  const dst = curFrame(env.curState).regs[regno]!;
  switch (loaded.type) {
    case "SCALAR_VALUE":
      markRegUnknown(dst, env.bpfCapable);
      return;
    case "PTR_TO_BTF_ID":
      markRegKnownZero(dst);
      dst.type = "PTR_TO_BTF_ID";
      dst.flags = loaded.flags;
      dst.btf = ref;
      dst.btfId = loaded.btfId;
      if (loaded.flags & PTR_MAYBE_NULL) dst.id = ++env.idGen;
      return;
    case "PTR_TO_MEM":
      markRegKnownZero(dst);
      dst.type = "PTR_TO_MEM";
      dst.flags = loaded.flags;
      dst.memSize = 0;
      return;
  }
}

/** kernel: check_ptr_to_btf_access */
export function checkPtrToBtfAccess(env: VerifierEnv, reg: RegState, argName: string, offIn: number, size: number,
  isWrite: boolean, valueRegno: number): void {
  const kernelBtf = btfOf(env, reg.btf);
  // the program's own BTF: objects of bpf_obj_new and what they link to (kernel: !btf_is_kernel)
  const btf = kernelBtf ?? (reg.btf === PROG_BTF_REF ? env.progBtf : null);
  if (!btf) return notModelled("PTR_TO_BTF_ID into an unknown BTF");
  const tname = btf.type(reg.btfId).name;
  if (!env.allowPtrLeaks) reject(env, "EPERM", `'struct ${tname}' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN\n`);
  if (!env.input.gplCompatible && kernelBtf) reject(env, "EINVAL", `Cannot access kernel 'struct ${tname}' from non-GPL compatible program\n`);
  if (!tnumIsConst(reg.varOff)) {
    reject(env, "EACCES", `${argName} is ptr_${tname} invalid variable offset: off=${offIn}, var_off=${tnumStr(reg.varOff)}\n`);
  }
  const off = Number(BigInt.asIntN(32, BigInt(offIn) + reg.varOff.value));
  if (off < 0) reject(env, "EACCES", `${argName} is ptr_${tname} invalid negative access: off=${off}\n`);
  if (reg.flags & MEM_USER) reject(env, "EACCES", `${argName} is ptr_${tname} access user memory: off=${off}\n`);
  if (reg.flags & MEM_PERCPU) reject(env, "EACCES", `${argName} is ptr_${tname} access percpu memory: off=${off}\n`);
  if (isWrite && (reg.flags & PTR_UNTRUSTED)) reject(env, "EACCES", "only read is supported\n");
  const isAlloc = !!(reg.flags & MEM_ALLOC);
  // A struct_ops' btf_struct_access decides its stores (kernel: env->ops->btf_struct_access).
  if (isWrite && !isAlloc && env.input.progType === "BPF_PROG_TYPE_STRUCT_OPS") {
    return structOpsBtfStructWrite(env, btf, reg, argName, tname, off, size);
  }
  if (isWrite && !isAlloc) {
    // Writes into kernel objects go through the program type's btf_struct_access (tc/xdp: nf_conn, struct_ops).
    if (env.input.progType === "BPF_PROG_TYPE_STRUCT_OPS") {
      return notModelled(`writes into kernel objects of ${env.input.progType} (btf_struct_access ops)`);
    }
    if (!env.kfuncTarget) return notModelled("writes into kernel objects without a target profile");
    const op = btfStructWriteOp(env.kfuncTarget.profile, env.input.progType);
    if (op) return opBtfStructWrite(env, op, btf, reg, argName, tname, off, size);
    reject(env, "EACCES", "only read is supported\n");
  }
  if (isAlloc && !(reg.flags & NON_OWN_REF) && !(reg.flags & MEM_RCU) && !env.findReferenceState(env.curState, reg.id)) {
    reject(env, "EFAULT", "verifier bug: allocated object must have a referenced id\n");
  }
  const loaded = structAccess(env, btf, reg.btfId, off, size, isAlloc);
  let out = loaded;
  if (loaded.type === "PTR_TO_BTF_ID") {
    let flag = loaded.flags;
    if (reg.flags & PTR_UNTRUSTED) flag = PTR_UNTRUSTED;
    else if (isTrustedReg(env, reg) || isRcuReg(reg)) flag = inheritedTrust(env, btf, reg, loaded.fieldName, loaded.btfId, flag);
    else flag &= ~(BPF_REG_TRUSTED_MODIFIERS | MEM_RCU);
    out = { ...loaded, flags: flag };
  }
  if (!isWrite && valueRegno >= 0) markBtfLdReg(env, valueRegno, out, reg.btf);
}

/**
 * The kernel struct each map type's ops name in map_btf_id (kernel: the
 * BTF_ID_LIST_SINGLE of every bpf_map_ops, via include/linux/bpf_types.h).
 */
const MAP_BTF_STRUCT: Readonly<Record<string, string>> = {
  BPF_MAP_TYPE_ARRAY: "bpf_array", BPF_MAP_TYPE_PERCPU_ARRAY: "bpf_array", BPF_MAP_TYPE_PROG_ARRAY: "bpf_array",
  BPF_MAP_TYPE_PERF_EVENT_ARRAY: "bpf_array", BPF_MAP_TYPE_CGROUP_ARRAY: "bpf_array", BPF_MAP_TYPE_ARRAY_OF_MAPS: "bpf_array",
  BPF_MAP_TYPE_HASH: "bpf_htab", BPF_MAP_TYPE_PERCPU_HASH: "bpf_htab", BPF_MAP_TYPE_LRU_HASH: "bpf_htab",
  BPF_MAP_TYPE_LRU_PERCPU_HASH: "bpf_htab", BPF_MAP_TYPE_HASH_OF_MAPS: "bpf_htab", BPF_MAP_TYPE_RHASH: "bpf_rhtab",
  BPF_MAP_TYPE_CGRP_STORAGE: "bpf_local_storage_map", BPF_MAP_TYPE_INODE_STORAGE: "bpf_local_storage_map",
  BPF_MAP_TYPE_TASK_STORAGE: "bpf_local_storage_map", BPF_MAP_TYPE_SK_STORAGE: "bpf_local_storage_map",
  BPF_MAP_TYPE_CGROUP_STORAGE: "bpf_cgroup_storage_map", BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE: "bpf_cgroup_storage_map",
  BPF_MAP_TYPE_LPM_TRIE: "lpm_trie", BPF_MAP_TYPE_STACK_TRACE: "bpf_stack_map", BPF_MAP_TYPE_DEVMAP: "bpf_dtab",
  BPF_MAP_TYPE_DEVMAP_HASH: "bpf_dtab", BPF_MAP_TYPE_CPUMAP: "bpf_cpu_map", BPF_MAP_TYPE_XSKMAP: "xsk_map",
  BPF_MAP_TYPE_SOCKMAP: "bpf_stab", BPF_MAP_TYPE_SOCKHASH: "bpf_shtab", BPF_MAP_TYPE_REUSEPORT_SOCKARRAY: "reuseport_array",
  BPF_MAP_TYPE_QUEUE: "bpf_queue_stack", BPF_MAP_TYPE_STACK: "bpf_queue_stack", BPF_MAP_TYPE_STRUCT_OPS: "bpf_struct_ops_map",
  BPF_MAP_TYPE_RINGBUF: "bpf_ringbuf_map", BPF_MAP_TYPE_USER_RINGBUF: "bpf_ringbuf_map", BPF_MAP_TYPE_BLOOM_FILTER: "bpf_bloom_filter",
  BPF_MAP_TYPE_ARENA: "bpf_arena", BPF_MAP_TYPE_INSN_ARRAY: "bpf_insn_array",
};

/** kernel: check_ptr_to_map_access — a CONST_PTR_TO_MAP read as its kernel struct, read-only. */
export function checkPtrToMapAccess(env: VerifierEnv, reg: RegState, argName: string, off: number, size: number,
  isWrite: boolean, valueRegno: number): void {
  const btf = env.vmlinuxBtf();
  if (!btf) reject(env, "ENOTSUPP", "map_ptr access not supported without CONFIG_DEBUG_INFO_BTF\n");
  const map = reg.map;
  if (!map) return notModelled("CONST_PTR_TO_MAP without its map");
  const sname = MAP_BTF_STRUCT[map.type];
  if (!sname) return notModelled(`map_btf_id of ${map.type}`);
  const sid = btf.findByNameKind(sname, "STRUCT");
  if (!sid) return notModelled(`struct ${sname} missing from the target BTF`);
  if (!env.allowPtrLeaks) reject(env, "EPERM", `'struct ${sname}' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN\n`);
  if (off < 0) reject(env, "EACCES", `${argName} is ${sname} invalid negative access: off=${off}\n`);
  if (isWrite) reject(env, "EACCES", `only read from ${sname} is supported\n`);
  // The walk starts from a plain (untrusted-by-default) PTR_TO_BTF_ID to the struct.
  const loaded = structAccess(env, btf, sid, off, size, false);
  if (valueRegno >= 0) markBtfLdReg(env, valueRegno, loaded, VMLINUX_BTF_REF);
}
