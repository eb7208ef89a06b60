// test_loader's fixup_btf_from_path, as the stack-argument selftests
// (verifier_stack_arg_order.c, stack_arg_precision.c: __btf_func_path) need it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BtfWriter } from "../btf/writer.js";
import { kernelBtfCheckFuncs, parseBtf } from "../btf/index.js";
import { fixupBtfFromPath } from "./btf-func-fixup.js";

/** A naked subprog `f(int, int)` as clang emits it (unnamed parameters), plus a named `g`. */
function nakedObject(header32: boolean) {
  const w = new BtfWriter({ header32, layout: header32 });
  const int = w.int("int", 4, 1);
  const naked = w.funcProto(int, [["", int], ["", int]]);
  const f = w.func("f", naked);
  const named = w.funcProto(0, [["x", int]]);
  const g = w.func("g", named);
  const raw = w.build();
  return { raw, btf: parseBtf(raw), int, naked, f, g, named };
}

function customBtf(params: readonly string[]) {
  const w = new BtfWriter();
  const int = w.int("int", 4, 1);
  w.func("f", w.funcProto(int, params.map((p) => [p, int] as [string, number])));
  return parseBtf(w.build());
}

for (const header32 of [false, true]) {
  test(`fixup names a naked function's parameters (header ${header32 ? 32 : 24} bytes)`, () => {
    const o = nakedObject(header32);
    // the kernel refuses the object's own BTF, so libbpf would load without func_info
    assert.equal(kernelBtfCheckFuncs(o.btf).ok, false);
    const fixed = fixupBtfFromPath(o.raw, o.btf, customBtf(["a", "b"]));
    assert.equal(kernelBtfCheckFuncs(fixed).ok, true);
    const proto = fixed.sizeOrType(o.f);
    assert.notEqual(proto, o.naked);
    assert.equal(proto, o.btf.typeCount, "the new FUNC_PROTO is appended");
    const t = fixed.type(proto);
    assert.equal(t.kind, "FUNC_PROTO");
    if (t.kind !== "FUNC_PROTO") return;
    // names from the custom file, types and return type from the program's BTF
    assert.deepEqual(t.params.map((p) => [fixed.str(p.nameOff), p.type]), [["a", o.int], ["b", o.int]]);
    assert.equal(t.returnType, o.int);
    // everything else keeps its id: func_info still points at the same FUNCs
    assert.equal(fixed.typeName(o.f), "f");
    assert.equal(fixed.sizeOrType(o.g), o.named);
  });
}

test("fixup leaves a function alone when the custom one has another arity or is missing", () => {
  const o = nakedObject(false);
  assert.equal(fixupBtfFromPath(o.raw, o.btf, customBtf(["a"])), o.btf);
  const w = new BtfWriter();
  w.int("int", 4, 1);
  assert.equal(fixupBtfFromPath(o.raw, o.btf, parseBtf(w.build())), o.btf);
});

// End to end: without the fixup the objects load without BTF (no func_info), the static
// 6/7-argument subprogs have no argument count and every r11 load is "invalid read from stack arg".
test("stack-argument selftests with __btf_func_path pass as on 7.2", async () => {
  const { run } = await import("../cli/commands/test.js");
  const { memoryIo } = await import("../cli/io.js");
  const { corpusDir, objectPath } = await import("./corpus.js");
  const { join } = await import("node:path");
  const io = memoryIo();
  const objs = ["verifier_stack_arg_order.bpf.o", "stack_arg_precision.bpf.o"].map((o) => objectPath(o));
  await run(["--json", "--module-btf", join(corpusDir(), "btf", "bpf_testmod.btf"), ...objs], io);
  const rows = io.stdout.trim().split("\n").map((l) => JSON.parse(l) as { program: string; result: string; reason: string });
  assert.equal(rows.length, 7);
  assert.deepEqual(rows.filter((r) => r.result !== "pass").map((r) => `${r.program}: ${r.reason}`), []);
});
