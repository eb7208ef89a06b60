// nf_conntrack's btf_struct_access delegate as the tc/xdp op runs it
// (net/netfilter/nf_conntrack_bpf.c _nf_conntrack_btf_struct_access), with the
// messages of the selftest test_bpf_nf_fail.c write_not_allowlisted_field.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { loadBtfFile, loadBundledVmlinuxBtf } from "../../btf/index.js";
import { corpusDir } from "../../selftest/corpus.js";
import { btfStructWriteOp } from "../../kernel/btf-struct-access.js";
import { opVerdict } from "./struct-write.js";

const vmlinux = loadBundledVmlinuxBtf("7.2");
const nfct = loadBtfFile(join(corpusDir(), "btf", "nf_conntrack.btf"), { base: vmlinux, name: "nf_conntrack" });
const withModule = { btfOf: (m?: string) => (m === "nf_conntrack" ? nfct : m === undefined ? vmlinux : undefined) };
const without = { btfOf: (m?: string) => (m === undefined ? vmlinux : undefined) };

test("the delegate: only mark, within its 4 bytes, of nf_conn / nf_conn___init", () => {
  const op = btfStructWriteOp(withModule, "BPF_PROG_TYPE_XDP")!;
  const conn = nfct.findByNameKind("nf_conn", "STRUCT")!;
  const init = nfct.findByNameKind("nf_conn___init", "STRUCT")!;
  const mark = op.delegate!.members[0]!.off;
  assert.equal(opVerdict(op, nfct, conn, mark, 4), null);
  assert.equal(opVerdict(op, nfct, init, mark, 4), null);
  // the recorded 7.2 message of write_not_allowlisted_field (ct->status at 128)
  assert.equal(opVerdict(op, nfct, conn, 128, 8), "no write support to nf_conn at off 128\n");
  assert.equal(opVerdict(op, nfct, conn, mark, 8), `write access at off ${mark} with size 8 beyond the member of nf_conn ended at ${mark + 4}\n`);
  assert.equal(opVerdict(op, nfct, nfct.findByNameKind("sk_buff", "STRUCT")!, 0, 4), "only read is supported\n");
  // without the module the op refuses silently (the verifier then says "cannot write into ptr_...")
  assert.equal(opVerdict(btfStructWriteOp(without, "BPF_PROG_TYPE_XDP")!, nfct, conn, mark, 4), "");
});
