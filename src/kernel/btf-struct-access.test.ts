// The tc/xdp btf_struct_access op (net/core/filter.c) and nf_conntrack's delegate
// (net/netfilter/nf_conntrack_bpf.c: only nf_conn's mark, CONFIG_NF_CONNTRACK_MARK=y),
// as the selftest test_bpf_nf_fail.c write_not_allowlisted_field meets it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { loadBtfFile, loadBundledVmlinuxBtf } from "../btf/index.js";
import { corpusDir } from "../selftest/corpus.js";
import { btfStructWriteOp } from "./btf-struct-access.js";

const vmlinux = loadBundledVmlinuxBtf("7.2");
const nfct = loadBtfFile(join(corpusDir(), "btf", "nf_conntrack.btf"), { base: vmlinux, name: "nf_conntrack" });
const withModule = { btfOf: (m?: string) => (m === "nf_conntrack" ? nfct : m === undefined ? vmlinux : undefined) };
const without = { btfOf: (m?: string) => (m === undefined ? vmlinux : undefined) };

test("tc and xdp have the op; its delegate exists only while nf_conntrack is loaded", () => {
  for (const t of ["BPF_PROG_TYPE_SCHED_CLS", "BPF_PROG_TYPE_SCHED_ACT", "BPF_PROG_TYPE_XDP"]) {
    assert.ok(btfStructWriteOp(withModule, t)?.delegate, t);
    assert.deepEqual(btfStructWriteOp(without, t), { delegate: undefined }, t);
  }
  assert.equal(btfStructWriteOp(withModule, "BPF_PROG_TYPE_TRACING"), undefined);
  const d = btfStructWriteOp(withModule, "BPF_PROG_TYPE_SCHED_CLS")!.delegate!;
  assert.deepEqual(d.structIds, [nfct.findByNameKind("nf_conn", "STRUCT"), nfct.findByNameKind("nf_conn___init", "STRUCT")]);
  // u32 mark (include/net/netfilter/nf_conntrack.h), at the offset the 7.2 BTF gives
  assert.equal(d.members.length, 1);
  assert.equal(d.members[0]!.end - d.members[0]!.off, 4);
});
