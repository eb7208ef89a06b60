// Section name -> program type, expected attach type and flags, matched as
// libbpf does against its section_defs[] table (generated, see generated/).

import {
  ATTACH_TYPE_NAME,
  PROG_TYPE_NAME,
  SECTION_DEFS,
  type BpfAttachType,
  type BpfProgType,
  type SecDefFlag,
  type SecDefRow,
} from "./generated/libbpf-sections.js";

export type { BpfAttachType, BpfMapType, BpfProgType, SecDefFlag, SecDefRow } from "./generated/libbpf-sections.js";

/** libbpf: sec_def_matches */
export function secDefMatches(def: SecDefRow, secName: string): boolean {
  const pat = def.sec;
  // "type/" requires the SEC("type/extras") form.
  if (pat.endsWith("/")) return secName.startsWith(pat);
  // "type+" is SEC("type") exactly or SEC("type/extras").
  if (pat.endsWith("+")) {
    const pfx = pat.slice(0, -1);
    if (!secName.startsWith(pfx)) return false;
    return secName.length === pfx.length || secName[pfx.length] === "/";
  }
  return secName === pat;
}

/** libbpf: find_sec_def (no custom section handlers). */
export function findSecDef(secName: string): SecDefRow | undefined {
  return SECTION_DEFS.find((d) => secDefMatches(d, secName));
}

export function progTypeName(t: BpfProgType): string {
  return PROG_TYPE_NAME[t] ?? "unknown";
}

export function attachTypeName(t: BpfAttachType): string {
  return ATTACH_TYPE_NAME[t] ?? "unknown";
}

export interface ProgramKind {
  progType: BpfProgType;
  expectedAttachType: BpfAttachType;
  flags: readonly SecDefFlag[];
  /** What the program attaches to, from the section name (e.g. "foo" of "fentry/foo"); null when none. */
  attachTo: string | null;
  secDef: SecDefRow | undefined;
}

/**
 * A program's kind as libbpf sets it at open (bpf_object_init_progs): an
 * unknown section leaves BPF_PROG_TYPE_UNSPEC, which the kernel refuses later.
 */
export function programKind(secName: string): ProgramKind {
  const def = findSecDef(secName);
  if (!def) return { progType: "BPF_PROG_TYPE_UNSPEC", expectedAttachType: "BPF_CGROUP_INET_INGRESS", flags: [], attachTo: null, secDef: undefined };
  let attachTo: string | null = null;
  const slash = secName.indexOf("/");
  if ((def.sec.endsWith("+") || def.sec.endsWith("/")) && slash >= 0) attachTo = secName.slice(slash + 1);
  return { progType: def.progType, expectedAttachType: def.expectedAttachType, flags: def.flags, attachTo, secDef: def };
}
