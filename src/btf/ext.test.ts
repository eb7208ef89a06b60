import { test } from "node:test";
import assert from "node:assert/strict";
import { InputError } from "../util/errors.js";
import { parseBtf } from "./parse.js";
import { decodeLineInfo, formatLineInfo, parseBtfExt } from "./ext.js";
import { BtfWriter, writeBtfExt } from "./writer.js";
import { readFixture } from "./fixtures.test-util.js";
import { members } from "./walk.js";

function built() {
  const w = new BtfWriter();
  const int = w.int("int", 4);
  const proto = w.funcProto(int, []);
  const f = w.func("prog", proto, 1);
  const ext = writeBtfExt(w, {
    funcInfo: [{ sec: "kprobe/x", recs: [[0, f]] }],
    lineInfo: [{ sec: "kprobe/x", recs: [[0, "/src/progs/a.c", "\t  return 0;", 42, 5], [8, "/src/progs/a.c", "}", 43, 1]] }],
    coreRelos: [{ sec: "kprobe/x", recs: [[16, int, "0:1", 0], [24, int, "0", 8]] }],
  });
  return { btf: parseBtf(w.build()), ext, f, int };
}

test("func_info, line_info and core relos per section", () => {
  const { btf, ext, f, int } = built();
  const e = parseBtfExt(ext, btf);
  assert.equal(e.funcInfoRecSize, 8);
  assert.deepEqual(e.funcInfo.map((s) => [s.secName, s.records.map((r) => [r.insnOff, r.typeId])]), [["kprobe/x", [[0, f]]]]);
  const li = e.lineInfo[0]!.records;
  assert.deepEqual(decodeLineInfo(btf, li[0]!), { file: "/src/progs/a.c", text: "\t  return 0;", line: 42, col: 5 });
  assert.equal(formatLineInfo(btf, li[0]!), "return 0; @ a.c:42\n");
  const cr = e.coreRelos[0]!.records;
  assert.deepEqual(cr.map((r) => [r.insnOff, r.typeId, r.accessStr, r.kind]), [
    [16, int, "0:1", "BPF_CORE_FIELD_BYTE_OFFSET"],
    [24, int, "0", "BPF_CORE_TYPE_EXISTS"],
  ]);
});

test("corrupt .BTF.ext: every truncation is an InputError", () => {
  const { btf, ext } = built();
  for (let n = 0; n < ext.length; n++) {
    assert.throws(() => parseBtfExt(ext.subarray(0, n), btf), (e: unknown) => e instanceof InputError, `length ${n}`);
  }
});

test("corrupt .BTF.ext: bad record size, unknown relo kind, bad section name", () => {
  const { btf, ext } = built();
  const mut = (f: (dv: DataView) => void) => {
    const b = ext.slice();
    f(new DataView(b.buffer));
    return b;
  };
  const code = (b: Uint8Array) => {
    try {
      parseBtfExt(b, btf);
    } catch (e) {
      assert.ok(e instanceof InputError);
      return e.code;
    }
    return "ok";
  };
  assert.equal(code(mut((d) => d.setUint32(32, 4, true))), "BTF_EXT_BAD_RECORD"); // func_info rec_size < 8
  assert.equal(code(mut((d) => d.setUint32(36, 0xffff, true))), "BTF_EXT_BAD_STRING"); // section name off
  const dv = new DataView(ext.buffer);
  const coreOff = 32 + dv.getUint32(24, true);
  assert.equal(code(mut((d) => d.setUint32(coreOff + 4 + 8 + 12, 99, true))), "BTF_EXT_BAD_RECORD");
  assert.equal(code(mut((d) => d.setUint16(0, 0, true))), "BTF_EXT_BAD_MAGIC");
});

test("a clang object's .BTF.ext (iter_buf_null_fail.bpf.o)", () => {
  const btf = parseBtf(readFixture("iter_buf_null_fail.btf"));
  const e = parseBtfExt(readFixture("iter_buf_null_fail.btf.ext"), btf);
  // the source has two programs in SEC("iter/bpf_map_elem")
  assert.deepEqual(e.funcInfo.map((s) => s.secName), ["iter/bpf_map_elem"]);
  assert.deepEqual(e.funcInfo[0]!.records.map((r) => btf.typeName(r.typeId)), ["iter_buf_null_deref", "iter_buf_null_check_ok"]);
  for (const r of e.lineInfo[0]!.records) {
    const d = decodeLineInfo(btf, r);
    assert.match(d.file, /iter_buf_null_fail\.c$/);
    assert.ok(d.line > 0);
  }
  // both programs read ctx->key: a byte-offset relocation on bpf_iter__bpf_map_elem
  const relos = e.coreRelos[0]!.records;
  assert.equal(relos.length, 2);
  for (const r of relos) {
    assert.equal(r.kind, "BPF_CORE_FIELD_BYTE_OFFSET");
    assert.equal(btf.typeName(r.typeId), "bpf_iter__bpf_map_elem");
    const idx = r.accessStr.split(":").slice(1).map(Number);
    let t = r.typeId;
    let last = "";
    for (const i of idx) {
      const m = members(btf, t)[i]!;
      last = m.name;
      t = m.type;
    }
    assert.equal(last, "key");
  }
});
