// What a program attaches to, as libbpf tells the kernel at BPF_PROG_LOAD:
// attach_btf_id (+ the module BTF it is in) for BTF-attached programs
// (libbpf: libbpf_prepare_prog_load, find_kernel_btf_id) and for struct_ops
// programs the kernel struct and member index (libbpf: bpf_map__init_kern_struct_ops);
// plus the load-time expected attach type and flags.

import { coreEssentialName, type Btf } from "../btf/index.js";
import type { TargetKernel } from "./externs.js";
import { ATTACH_TYPE_NUM, PROG_TYPE_NUM } from "./generated/libbpf-sections.js";
import type { ObjFunction, ParsedObject } from "./object.js";
import type { ProgramKind } from "./sections.js";

export const BPF_F_SLEEPABLE = 1 << 4;
export const BPF_F_XDP_HAS_FRAGS = 1 << 5;

export interface AttachInfo {
  progTypeNum: number;
  /** attr.expected_attach_type: libbpf's load-time value (struct_ops: the member index). */
  expectedAttachTypeNum: number;
  /** attr.attach_btf_id (0: none). */
  attachBtfId: number;
  /** The module whose BTF holds attachBtfId; null for vmlinux. */
  attachBtfModule: string | null;
  /** libbpf's message when it would refuse to load the program (unknown section, attach target not found...); null when fine. */
  loadError: string | null;
  /** BPF_F_SLEEPABLE / BPF_F_XDP_HAS_FRAGS from the section definition. */
  progFlags: number;
  /** struct_ops: the kernel struct (e.g. "bpf_dummy_ops") and member the program implements. */
  structOps: { typeName: string; member: string } | null;
}

/** libbpf: btf_get_kernel_prefix_kind */
function prefixKind(attachType: string): { prefix: string; kind: "TYPEDEF" | "FUNC" } {
  switch (attachType) {
    case "BPF_TRACE_RAW_TP": return { prefix: "btf_trace_", kind: "TYPEDEF" };
    case "BPF_LSM_MAC":
    case "BPF_LSM_CGROUP": return { prefix: "bpf_lsm_", kind: "FUNC" };
    case "BPF_TRACE_ITER": return { prefix: "bpf_iter_", kind: "FUNC" };
    default: return { prefix: "", kind: "FUNC" };
  }
}

/** libbpf: find_kernel_btf_id — "name" or "module:name"; vmlinux first, then modules. */
function findKernelBtfId(target: TargetKernel, attachName: string, attachType: string): { id: number; module: string | null } | undefined {
  const { prefix, kind } = prefixKind(attachType);
  const colon = attachName.indexOf(":");
  const modName = colon >= 0 ? attachName.slice(0, colon) : undefined;
  const fn = colon >= 0 ? attachName.slice(colon + 1) : attachName;
  const name = prefix + fn;
  if (modName === undefined || "vmlinux".startsWith(modName)) {
    const id = target.vmlinux.findByNameKind(name, kind);
    if (id !== undefined && id > 0) return { id, module: null };
  }
  for (const m of target.modules) {
    if (modName !== undefined && !m.name.startsWith(modName)) continue;
    const id = m.btf.findByNameKind(name, kind);
    if (id !== undefined && id > 0) return { id, module: m.name };
  }
  return undefined;
}

interface StructOpsKern {
  btf: Btf;
  module: string | null;
  typeId: number;
  typeName: string;
}

/** libbpf: find_struct_ops_kern_types */
function findStructOpsKern(target: TargetKernel, tname: string): StructOpsKern | undefined {
  const vname = `bpf_struct_ops_${tname}`;
  const cands: { btf: Btf; module: string | null }[] = [{ btf: target.vmlinux, module: null }, ...target.modules.map((m) => ({ btf: m.btf, module: m.name }))];
  for (const c of cands) {
    const vid = c.btf.findByNameKind(vname, "STRUCT");
    if (vid === undefined || (c.module !== null && vid < c.btf.startId)) continue;
    const tid = c.btf.findByNameKind(tname, "STRUCT");
    if (tid === undefined) return undefined;
    return { btf: c.btf, module: c.module, typeId: tid, typeName: tname };
  }
  return undefined;
}

/**
 * Attach facts for every main program of the object, keyed by function. `ownStructOpsSlots`:
 * veristat's mask_unrelated_struct_ops_progs ran, so each program's struct_ops maps hold only
 * its own function pointers.
 */
export function resolveAttach(obj: ParsedObject, target: TargetKernel, kinds: Map<ObjFunction, ProgramKind>, ownStructOpsSlots = false): Map<ObjFunction, AttachInfo> {
  const out = new Map<ObjFunction, AttachInfo>();
  for (const [fn, kind] of kinds) {
    let expected: string = kind.expectedAttachType;
    // libbpf: usdt programs go through uprobe_multi links when the kernel has them (7.2 does).
    if (kind.flags.includes("SEC_USDT")) expected = "BPF_TRACE_UPROBE_MULTI";
    const info: AttachInfo = {
      progTypeNum: PROG_TYPE_NUM[kind.progType],
      expectedAttachTypeNum: ATTACH_TYPE_NUM[expected as keyof typeof ATTACH_TYPE_NUM],
      attachBtfId: 0,
      attachBtfModule: null,
      loadError: null,
      progFlags: (kind.flags.includes("SEC_SLEEPABLE") ? BPF_F_SLEEPABLE : 0) | (kind.progType === "BPF_PROG_TYPE_XDP" && kind.flags.includes("SEC_XDP_FRAGS") ? BPF_F_XDP_HAS_FRAGS : 0),
      structOps: null,
    };
    if (kind.secDef === undefined) {
      info.loadError = `prog '${fn.name}': missing BPF prog type, check ELF section name '${fn.secName}'`;
    } else if (kind.flags.includes("SEC_ATTACH_BTF")) {
      const slash = fn.secName.indexOf("/");
      if (slash < 0) {
        info.loadError = `prog '${fn.name}': no BTF-based attach target is specified, use bpf_program__set_attach_target()`;
      } else if (kind.progType === "BPF_PROG_TYPE_EXT") {
        info.loadError = `prog '${fn.name}': attach program FD is not set`;
      } else {
        const name = fn.secName.slice(slash + 1);
        const found = findKernelBtfId(target, name, expected);
        if (found) {
          info.attachBtfId = found.id;
          info.attachBtfModule = found.module;
        } else {
          info.loadError = `prog '${fn.name}': failed to find kernel BTF type ID of '${name}': -ESRCH`;
        }
      }
    }
    out.set(fn, info);
  }
  // libbpf: bpf_map__init_kern_struct_ops — the first map to use a program sets its target.
  const missingMembers: { slot: (typeof obj.structOpsSlots)[number]; msg: string }[] = [];
  for (const slot of obj.structOpsSlots) {
    const info = out.get(slot.prog);
    if (!info) continue;
    const map = obj.maps[slot.mapIdx]!;
    const tname = obj.btf!.typeName(map.btfTypeId);
    const essential = coreEssentialName(tname);
    const kern = findStructOpsKern(target, essential);
    if (!kern) {
      if (!info.structOps) info.loadError = `struct_ops init_kern: struct bpf_struct_ops_${essential} is not found in kernel BTF`;
      continue;
    }
    const kt = kern.btf.type(kern.typeId);
    const memberIdx = kt.kind === "STRUCT" ? kt.members.findIndex((m) => m.name === slot.memberName) : -1;
    if (memberIdx < 0) {
      // A member the running kernel's struct lacks may only be zero; this one points to a program.
      missingMembers.push({ slot, msg: `struct_ops init_kern ${map.name}: Cannot find member ${slot.memberName} in kernel BTF` });
      continue;
    }
    if (info.structOps) continue;
    info.attachBtfId = kern.typeId;
    info.attachBtfModule = kern.module;
    info.expectedAttachTypeNum = memberIdx;
    info.structOps = { typeName: kern.typeName, member: slot.memberName };
  }
  // bpf_object_prepare fails on the first such slot, map by map and member by member, before any
  // program is loaded: every program of the object fails, unless veristat's masking left only
  // the program's own slots.
  missingMembers.sort((a, b) => a.slot.mapIdx - b.slot.mapIdx || a.slot.memberIdx - b.slot.memberIdx);
  for (const [fn, info] of out) {
    const first = missingMembers.find((m) => !ownStructOpsSlots || m.slot.prog === fn);
    if (first) info.loadError = first.msg;
  }
  return out;
}
