import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBtf } from "./parse.js";
import { btfKindStr, btfNameByOffset, btfNameOrAnon, btfTypeName, btfTypeStr } from "./naming.js";
import { BtfWriter } from "./writer.js";

test("btf_type_str names kinds in caps, void is UNKNOWN", () => {
  const w = new BtfWriter();
  const s = w.struct("task_struct", 0, []);
  const p = w.ptr(s);
  w.funcProto(0, []);
  w.enum64("e", 8, []);
  const btf = parseBtf(w.build());
  assert.equal(btfTypeStr(btf, 0), "UNKNOWN");
  assert.equal(btfTypeStr(btf, s), "STRUCT");
  assert.equal(btfTypeStr(btf, p), "PTR");
  assert.equal(btfTypeStr(btf, 3), "FUNC_PROTO");
  assert.equal(btfTypeStr(btf, 4), "ENUM64");
  assert.equal(btfKindStr(17), "DECL_TAG");
  assert.equal(btfTypeName(btf, s), "task_struct");
  assert.equal(btfTypeName(btf, p), "");
});

test("names by offset: empty, anon and invalid forms", () => {
  const w = new BtfWriter();
  w.int("int", 4);
  const btf = parseBtf(w.build());
  assert.equal(btfNameByOffset(btf, 0), "");
  assert.equal(btfNameByOffset(btf, 1), "int");
  assert.equal(btfNameByOffset(btf, 3), "t", "offsets inside a string are valid, as in C");
  assert.equal(btfNameByOffset(btf, 1000), undefined);
  assert.equal(btfNameOrAnon(btf, 0), "(anon)");
  assert.equal(btfNameOrAnon(btf, 1000), "(invalid-name-offset)");
});
