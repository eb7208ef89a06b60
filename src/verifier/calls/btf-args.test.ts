// Argument classification of subprogram signatures (btf_prepare_func_args).
// Expected kinds and messages are read from kernel/bpf/btf.c of Linux 7.2.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BtfWriter, parseBtf } from "../../btf/index.js";
import type { Btf } from "../../btf/btf.js";
import { btfFuncReturnsVoid, btfIsProgCtxType, btfPrepareFuncArgs, type BtfArgsInput } from "./btf-args.js";
import { MEM_RDONLY, PTR_MAYBE_NULL, PTR_UNTRUSTED } from "../state/reg-type.js";

const GLOBAL = 1;
const STATIC = 0;

interface Fixture {
  btf: Btf;
  fn: number;
}

/** One function `f` with the given params; `build` adds types and returns [params, ret, tags]. */
function fixture(build: (w: BtfWriter, t: { int: number; skb: number; foo: number }) => { params: [string, number][]; ret?: number; tags?: [string, number][] }, linkage = GLOBAL): Fixture {
  const w = new BtfWriter();
  const int = w.int("int", 4, 1);
  const skb = w.struct("__sk_buff", 4, [{ name: "len", type: int, bitOffset: 0 }]);
  const foo = w.struct("foo", 16, [{ name: "a", type: int, bitOffset: 0 }]);
  const spec = build(w, { int, skb, foo });
  const proto = w.funcProto(spec.ret ?? int, spec.params);
  const fn = w.func("f", proto, linkage);
  for (const [tag, idx] of spec.tags ?? []) w.declTag(tag, fn, idx);
  return { btf: parseBtf(w.build()), fn };
}

function run(f: Fixture, progType = "BPF_PROG_TYPE_SCHED_CLS", linkage = GLOBAL, ctxTypeName: string | null = "struct __sk_buff") {
  const log: string[] = [];
  const inp: BtfArgsInput = {
    btf: f.btf, vmlinux: null, progType, expectedAttachType: "", ctxTypeName, log: (s) => log.push(s),
  };
  return { res: btfPrepareFuncArgs(inp, 1, f.fn, linkage === GLOBAL), log: log.join("") };
}

test("scalars, enums and the program's ctx struct", () => {
  const f = fixture((w, t) => ({
    params: [["a", t.int], ["e", w.enum("e", 4, [["X", 1]])], ["ctx", w.ptr(w.const(t.skb))]],
  }));
  const { res, log } = run(f);
  assert.equal(log, "");
  assert.ok(res.ok);
  assert.deepEqual(res.args.map((a) => a.type), ["ARG_ANYTHING", "ARG_ANYTHING", "ARG_PTR_TO_CTX"]);
});

test("a pointer to a sized type is nullable memory of that size; arg:nonnull drops the NULL", () => {
  const f = fixture((w, t) => ({ params: [["p", w.ptr(t.foo)], ["q", w.ptr(w.array(t.int, t.int, 3))]], tags: [["arg:nonnull", 1]] }));
  const { res } = run(f);
  assert.ok(res.ok);
  assert.deepEqual(res.args, [
    { type: "ARG_PTR_TO_MEM", flags: PTR_MAYBE_NULL, memSize: 16 },
    { type: "ARG_PTR_TO_MEM", flags: 0, memSize: 12 },
  ]);
});

test("void * in a global function: size cannot be determined (-EINVAL)", () => {
  const f = fixture((w) => ({ params: [["p", w.ptr(0)]] }));
  const { res, log } = run(f);
  assert.deepEqual(res, { ok: false, errno: "EINVAL", argCnt: 1 });
  assert.equal(log, "arg#0 reference type('UNKNOWN ') size cannot be determined: -22\n");
});

test("return types other than void/int/enum are refused, with a message only for global functions", () => {
  const mk = (linkage: number) => fixture((w, t) => ({ params: [], ret: w.ptr(t.int) }), linkage);
  const g = run(mk(GLOBAL));
  assert.equal(g.res.ok, false);
  assert.equal(g.log, "Global function f() return value not void or scalar. Only those are supported.\n");
  const s = run(mk(STATIC), "BPF_PROG_TYPE_SCHED_CLS", STATIC);
  assert.equal(s.res.ok, false);
  assert.equal(s.log, "");
});

test("struct by value is not supported in global functions, silently refused in static ones", () => {
  const mk = (linkage: number) => fixture((_w, t) => ({ params: [["s", t.foo]] }), linkage);
  assert.equal(run(mk(GLOBAL)).log, "Arg#0 type STRUCT in f() is not supported yet.\n");
  const s = run(mk(STATIC), "BPF_PROG_TYPE_SCHED_CLS", STATIC);
  assert.deepEqual(s.res, { ok: false, errno: "EINVAL", argCnt: 1 });
  assert.equal(s.log, "");
});

test("arg: tags: static functions, unknown tags, bad combinations", () => {
  const st = fixture((w, t) => ({ params: [["p", w.ptr(t.foo)]], tags: [["arg:ctx", 0]] }), STATIC);
  assert.equal(run(st, "BPF_PROG_TYPE_SCHED_CLS", STATIC).log, "arg#0 type tag is not supported in static functions\n");
  const unk = fixture((w, t) => ({ params: [["p", w.ptr(t.foo)]], tags: [["arg:bogus", 0]] }));
  assert.equal(run(unk).log, "arg#0 has unsupported set of tags\n");
  const arena = fixture((w, t) => ({ params: [["p", w.ptr(t.foo)]], tags: [["arg:arena", 0], ["arg:nonnull", 0]] }));
  assert.equal(run(arena).log, "arg#0 arena cannot be combined with any other tags\n");
  const scalar = fixture((_w, t) => ({ params: [["x", t.int]], tags: [["arg:nonnull", 0]] }));
  assert.equal(run(scalar).log, "arg#0 has pointer tag, but is not a pointer type\n");
  const ctxNull = fixture((w, t) => ({ params: [["p", w.ptr(t.skb)]], tags: [["arg:ctx", 0], ["arg:nullable", 0]] }));
  assert.equal(run(ctxNull).log, "arg#0 has invalid combination of tags\n");
  const nullableMem = fixture((w, t) => ({ params: [["p", w.ptr(t.foo)]], tags: [["arg:nullable", 0]] }));
  assert.equal(run(nullableMem).log, "arg#0 has invalid combination of tags\n");
});

test("arg:ctx checks the pointee against the program type's ctx", () => {
  const wrong = fixture((w, t) => ({ params: [["p", w.ptr(t.foo)]], tags: [["arg:ctx", 0]] }));
  assert.equal(run(wrong).log, "arg#0 should be `struct __sk_buff *`\n");
  const voidp = fixture((w) => ({ params: [["p", w.ptr(0)]], tags: [["arg:ctx", 0]] }));
  const r = run(voidp);
  assert.ok(r.res.ok);
  assert.deepEqual(r.res.args, [{ type: "ARG_PTR_TO_CTX" }]);
  // program types whose ctx has no struct name only take `void *`
  const noName = run(wrong, "BPF_PROG_TYPE_TRACING", GLOBAL, "void *");
  assert.equal(noName.log, "arg#0 should be void pointer\n");
});

test("arg:arena and __arena type tags make arena arguments; arg:untrusted on a primitive is read-only untrusted memory", () => {
  const f = fixture((w, t) => ({
    params: [["a", w.ptr(w.typeTag("arena", t.int))], ["b", w.ptr(t.foo)], ["c", w.ptr(t.int)]],
    tags: [["arg:arena", 1], ["arg:untrusted", 2]],
  }));
  const { res, log } = run(f);
  assert.equal(log, "");
  assert.ok(res.ok);
  assert.deepEqual(res.args, [
    { type: "ARG_PTR_TO_ARENA" },
    { type: "ARG_PTR_TO_ARENA" },
    { type: "ARG_PTR_TO_MEM", flags: MEM_RDONLY | PTR_UNTRUSTED, memSize: 0 },
  ]);
});

test("struct bpf_dynptr * is a dynptr argument", () => {
  const f = fixture((w, t) => ({ params: [["d", w.ptr(w.struct("bpf_dynptr", 16, [{ name: "x", type: t.int, bitOffset: 0 }]))]] }));
  const { res } = run(f);
  assert.ok(res.ok);
  assert.deepEqual(res.args, [{ type: "ARG_PTR_TO_DYNPTR" }]);
});

test("kprobe ctx: the bpf_user_pt_regs_t typedef and struct pt_regs; projections of __sk_buff", () => {
  const w = new BtfWriter();
  const int = w.int("int", 4, 1);
  const regs = w.struct("pt_regs", 8, [{ name: "ip", type: int, bitOffset: 0 }]);
  const td = w.ptr(w.typedef("bpf_user_pt_regs_t", regs));
  const direct = w.ptr(regs);
  const kskb = w.ptr(w.struct("sk_buff", 8, [{ name: "len", type: int, bitOffset: 0 }]));
  const btf = parseBtf(w.build());
  const inp = (progType: string, ctxTypeName: string): BtfArgsInput => ({ btf, vmlinux: null, progType, expectedAttachType: "", ctxTypeName, log: () => {} });
  assert.equal(btfIsProgCtxType(inp("BPF_PROG_TYPE_KPROBE", "bpf_user_pt_regs_t"), td, 0), true);
  assert.equal(btfIsProgCtxType(inp("BPF_PROG_TYPE_KPROBE", "bpf_user_pt_regs_t"), direct, 0), true);
  assert.equal(btfIsProgCtxType(inp("BPF_PROG_TYPE_SOCKET_FILTER", "struct __sk_buff"), kskb, 0), true);
  assert.equal(btfIsProgCtxType(inp("BPF_PROG_TYPE_XDP", "struct xdp_md"), kskb, 0), false);
});

test("more than 5 parameters in a global function", () => {
  const f = fixture((_w, t) => ({ params: [["a", t.int], ["b", t.int], ["c", t.int], ["d", t.int], ["e", t.int], ["g", t.int]] }));
  const { res, log } = run(f);
  assert.deepEqual(res, { ok: false, errno: "EINVAL", argCnt: 6 });
  assert.equal(log, "global function f has 6 > 5 args, stack args not supported\n");
});

test("subprog_returns_void looks through modifiers", () => {
  const w = new BtfWriter();
  const v = w.func("v", w.funcProto(0, []), GLOBAL);
  const i = w.func("i", w.funcProto(w.const(w.int("int", 4, 1)), []), GLOBAL);
  const btf = parseBtf(w.build());
  assert.equal(btfFuncReturnsVoid(btf, v), true);
  assert.equal(btfFuncReturnsVoid(btf, i), false);
});
