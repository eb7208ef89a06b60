// The target kernel's program types and attach types, looked up by kernel
// name, enum value or libbpf name.
import { ATTACH_TYPES, PROG_TYPES } from "../generated/7.2/progtypes.js";
import type { AttachTypeName, AttachTypeRow, ProgTypeName, ProgTypeRow } from "./types.js";

export type { AttachTypeName, AttachTypeRow, ProgTypeName, ProgTypeRow } from "./types.js";
export { ATTACH_TYPES, PROG_TYPES, KERNEL_VERSION } from "../generated/7.2/progtypes.js";

const byName = new Map<string, ProgTypeRow>(PROG_TYPES.map((r) => [r.name, r]));
const byValue = new Map<number, ProgTypeRow>(PROG_TYPES.map((r) => [r.value, r]));
const byLibbpf = new Map<string, ProgTypeRow>(PROG_TYPES.filter((r) => r.libbpfName !== null).map((r) => [r.libbpfName as string, r]));
const attachByName = new Map<string, AttachTypeRow>(ATTACH_TYPES.map((r) => [r.name, r]));
const attachByValue = new Map<number, AttachTypeRow>(ATTACH_TYPES.map((r) => [r.value, r]));
const attachByLibbpf = new Map<string, AttachTypeRow>(ATTACH_TYPES.filter((r) => r.libbpfName !== null).map((r) => [r.libbpfName as string, r]));

export function progTypeByName(name: string): ProgTypeRow | undefined {
  return byName.get(name);
}

export function progTypeByValue(value: number): ProgTypeRow | undefined {
  return byValue.get(value);
}

/** Accepts "BPF_PROG_TYPE_XDP", "xdp" (libbpf's name) or the enum value as a decimal string. */
export function findProgType(spec: string): ProgTypeRow | undefined {
  if (/^\d+$/.test(spec)) return byValue.get(Number(spec));
  return byName.get(spec) ?? byName.get(`BPF_PROG_TYPE_${spec.toUpperCase()}`) ?? byLibbpf.get(spec);
}

export function isProgTypeName(s: string): s is ProgTypeName {
  return byName.has(s);
}

/** Accepts "BPF_CGROUP_INET4_CONNECT", "cgroup_inet4_connect" (libbpf's name) or the enum value. */
export function findAttachType(spec: string): AttachTypeRow | undefined {
  if (/^\d+$/.test(spec)) return attachByValue.get(Number(spec));
  return attachByName.get(spec) ?? attachByLibbpf.get(spec);
}

export function isAttachTypeName(s: string): s is AttachTypeName {
  return attachByName.has(s);
}
