// Stores into kernel objects from struct_ops programs: the struct_ops'
// btf_struct_access decides (kernel objects are read-only otherwise).
// kernel: verifier.c (check_ptr_to_btf_access, its btf_struct_access arm),
// bpf_testmod.c (st_ops_btf_struct_access), net/bpf/bpf_dummy_struct_ops.c
// (bpf_dummy_ops_btf_struct_access), net/sched/bpf_qdisc.c (bpf_qdisc_btf_struct_access,
// bpf_qdisc_qdisc_access, bpf_qdisc_sk_buff_access), kernel/sched/ext/ext.c (bpf_scx_btf_struct_access)
import type { Btf } from "../../btf/index.js";
import { findMemberDeep, skipModsAndTypedefs } from "../../btf/index.js";
import type { VerifierEnv } from "../env.js";
import type { RegState } from "../state/types.js";
import { reject } from "../reject.js";
import { notModelled } from "../not-modelled.js";
import { structOpsOf } from "./ctx.js";

/** The byte range [start, end) of a member of a struct (through anonymous members: offsetof/offsetofend). */
function memberRange(btf: Btf, structName: string, member: string): [number, number] {
  const sid = btf.findByNameKind(structName, "STRUCT");
  const m = sid ? findMemberDeep(btf, sid, member) : undefined;
  if (!m) return notModelled(`struct ${structName} without member ${member}`);
  const off = m.bitOffset / 8;
  return [off, off + sizeOf(btf, m.member.type)];
}

function sizeOf(btf: Btf, id: number): number {
  const t = btf.type(skipModsAndTypedefs(btf, id));
  if (t.kind === "PTR") return 8;
  if (t.kind === "ARRAY") return t.nelems * sizeOf(btf, t.elemType);
  if ("size" in t && typeof t.size === "number") return t.size;
  return notModelled(`size of BTF type ${id}`);
}

/** What a btf_struct_access callback answers: ok, or the bpf_log lines and errno of a refusal. */
export type Answer = { ok: true } | { ok: false; log: string; errno: "EACCES" | "EINVAL" };

/** kernel: bpf_qdisc_btf_struct_access (exported for tests) */
export function qdiscAccess(btf: Btf, tname: string, off: number, size: number): Answer {
  let end = -1;
  if (tname === "sk_buff") {
    const ts = memberRange(btf, "sk_buff", "tstamp");
    const cb = memberRange(btf, "sk_buff", "cb")[0];
    const data = memberRange(btf, "qdisc_skb_cb", "data");
    if (off === ts[0]) end = ts[1];
    else if (off >= cb + data[0] && off < cb + data[1]) end = cb + data[1];
  } else if (tname === "Qdisc") {
    const limit = memberRange(btf, "Qdisc", "limit");
    const q = memberRange(btf, "Qdisc", "q")[0];
    const qlen = memberRange(btf, "qdisc_skb_head", "qlen");
    const qstats = memberRange(btf, "Qdisc", "qstats");
    if (off === limit[0]) end = limit[1];
    else if (off === q + qlen[0]) end = q + qlen[1];
    else if (off >= qstats[0] && off < qstats[1]) end = qstats[1];
  } else {
    return { ok: false, log: "only read is supported\n", errno: "EACCES" };
  }
  if (end < 0) return { ok: false, log: `no write support to ${tname} at off ${off}\n`, errno: "EACCES" };
  if (off + size > end) {
    return { ok: false, log: `write access at off ${off} with size ${size} beyond the member of ${tname} ended at ${end}\n`, errno: "EACCES" };
  }
  return { ok: true };
}

/** kernel: bpf_scx_btf_struct_access — a task's scx.slice, scx.dsq_vtime and scx.disallow (no log line on refusal). */
function scxAccess(btf: Btf, tname: string, off: number, size: number): Answer {
  if (tname === "task_struct") {
    const scx = memberRange(btf, "task_struct", "scx")[0];
    for (const m of ["slice", "dsq_vtime", "disallow"]) {
      const [s, e] = memberRange(btf, "sched_ext_entity", m);
      if (off >= scx + s && off + size <= scx + e) return { ok: true };
    }
  }
  return { ok: false, log: "", errno: "EACCES" };
}

/**
 * kernel: check_ptr_to_btf_access's write through ops->btf_struct_access.
 * `btf` is the register's (kernel) BTF, `tname` its struct's name. Returns on
 * an allowed store; an ops without btf_struct_access only reads.
 */
export function structOpsBtfStructWrite(env: VerifierEnv, btf: Btf, reg: RegState, argName: string, tname: string, off: number, size: number): void {
  const acc = structOpsOf(env).desc.btfStructAccess;
  if (!acc) reject(env, "EACCES", "only read is supported\n");
  let a: Answer;
  switch (acc.kind) {
    case "whole-struct": {
      // st_ops_btf_struct_access: any store inside struct st_ops_args, whatever the register points to
      const sid = btf.findByNameKind(acc.struct, "STRUCT");
      if (!sid) return notModelled(`struct ${acc.struct} missing from the struct_ops BTF`);
      const end = sizeOf(btf, sid);
      a = off < 0 || off + size > end ? { ok: false, log: "", errno: "EACCES" } : { ok: true };
      break;
    }
    case "bpf_dummy_ops_btf_struct_access": {
      const state = btf.findByNameKind("bpf_dummy_ops_state", "STRUCT");
      if (!state) a = { ok: false, log: "", errno: "EINVAL" };
      else if (reg.btfId !== state) a = { ok: false, log: "only access to bpf_dummy_ops_state is supported\n", errno: "EACCES" };
      else if (off + size > sizeOf(btf, state)) a = { ok: false, log: `write access at off ${off} with size ${size}\n`, errno: "EACCES" };
      else a = { ok: true };
      break;
    }
    case "bpf_qdisc_btf_struct_access":
      a = qdiscAccess(btf, tname, off, size);
      break;
    case "bpf_scx_btf_struct_access":
      a = scxAccess(btf, tname, off, size);
      break;
  }
  if (a.ok) return;
  env.verbose(a.log);
  reject(env, a.errno, `${argName} cannot write into ptr_${tname} at off=${off} size=${size}\n`);
}
