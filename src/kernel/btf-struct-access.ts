// Which stores into kernel objects (PTR_TO_BTF_ID) a program type's
// bpf_verifier_ops.btf_struct_access allows, outside struct_ops.
//
// tc (tc_cls_act_btf_struct_access) and xdp (xdp_btf_struct_access) in
// net/core/filter.c both hand the store to nfct_btf_struct_access, a hook
// the nf_conntrack module fills while it is loaded
// (_nf_conntrack_btf_struct_access, net/netfilter/nf_conntrack_bpf.c): only
// the `mark` of struct nf_conn / nf_conn___init may be written (the 7.2
// target has CONFIG_NF_CONNTRACK_MARK=y). Without the module the hook is
// NULL and every store is refused without a message of its own.
// Other program types have no such op: their stores are "only read is supported".
import type { Btf } from "../btf/index.js";
import { findMember, resolveSize } from "../btf/index.js";
import type { Profile } from "./profile.js";

/** The module-provided part of the op: the objects and members it lets programs write. */
export interface BtfStructWriteDelegate {
  /** The BTF the struct ids are in (the module's, split over vmlinux). */
  readonly btf: Btf;
  /** The writable structs (kernel: btf_nf_conn_ids). */
  readonly structIds: readonly number[];
  /** The object's name in the delegate's messages ("nf_conn"). */
  readonly objName: string;
  /** Writable members by byte range [off, end). */
  readonly members: readonly { readonly name: string; readonly off: number; readonly end: number }[];
}

/** A program type's btf_struct_access op; `delegate` undefined: the op refuses every store silently. */
export interface BtfStructWriteOp {
  readonly delegate: BtfStructWriteDelegate | undefined;
}

interface OpRow {
  readonly module: string;
  readonly structs: readonly string[];
  readonly objName: string;
  readonly members: readonly string[];
}

const NF_CONN: OpRow = { module: "nf_conntrack", structs: ["nf_conn", "nf_conn___init"], objName: "nf_conn", members: ["mark"] };

/** kernel: the btf_struct_access member of each program type's bpf_verifier_ops (struct_ops aside). */
const OPS: Readonly<Record<string, OpRow>> = {
  BPF_PROG_TYPE_SCHED_CLS: NF_CONN, // tc_cls_act_verifier_ops
  BPF_PROG_TYPE_SCHED_ACT: NF_CONN,
  BPF_PROG_TYPE_XDP: NF_CONN, // xdp_verifier_ops
};

/** The op of `progType`, undefined when its verifier ops have none. */
export function btfStructWriteOp(profile: Pick<Profile, "btfOf">, progType: string): BtfStructWriteOp | undefined {
  const row = OPS[progType];
  if (!row) return undefined;
  const btf = profile.btfOf(row.module);
  if (!btf) return { delegate: undefined };
  const structIds: number[] = [];
  for (const s of row.structs) {
    const id = btf.findByNameKind(s, "STRUCT");
    if (id !== undefined) structIds.push(id);
  }
  const first = structIds[0];
  const members = first === undefined ? [] : row.members.flatMap((name) => {
    const m = findMember(btf, first, name);
    if (!m || m.member.bitOffset % 8) return [];
    const off = m.member.bitOffset / 8;
    const size = resolveSize(btf, m.member.type) ?? 0;
    return size ? [{ name, off, end: off + size }] : [];
  });
  return { delegate: { btf, structIds, objName: row.objName, members } };
}
