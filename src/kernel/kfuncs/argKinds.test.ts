// Argument and return kinds of the kfuncs the seed selftests call, checked against
// what the 7.2 kernel's messages (or successful loads) in those tests imply.
// Each case names its selftest (tools/testing/selftests/bpf/progs/...).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadProfile, type Profile } from "../profile.js";
import { KFUNC_ARG_KIND_ORDER, KFUNC_ARG_KIND_ROWS, KFUNC_RET_KIND_ORDER, KFUNC_RET_KIND_ROWS } from "./argKinds.js";
import type { KfuncArgKind } from "./argKinds.js";
import { kfuncProto, type KfuncProto } from "./proto.js";

function corpusBtf(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, "test", "corpus", "btf", name);
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new Error(`test/corpus/btf/${name} not found`);
}

let cached: Profile | undefined;
function profile(): Profile {
  cached ??= loadProfile({ moduleBtfs: [corpusBtf("bpf_testmod.btf")] });
  return cached;
}

function proto(name: string, progType?: string): KfuncProto {
  const k = profile().kfuncByName(name);
  assert.ok(k, `kfunc ${name} not in the profile`);
  return kfuncProto(profile(), k, progType);
}

function kinds(name: string, progType?: string): string[] {
  return proto(name, progType).args.map((a) => `${a.where} ${a.kind}`);
}

describe("kfunc argument-kind table", () => {
  it("has one row per kind, in the kernel's order of checks", () => {
    const order = KFUNC_ARG_KIND_ORDER.map((r) => r.kind);
    assert.equal(new Set(order).size, order.length);
    for (const [k, row] of Object.entries(KFUNC_ARG_KIND_ROWS)) assert.equal(row.kind, k);
    // check_kfunc_args: prog aux before __ign/implicit before scalars before pointers
    const at = (k: KfuncArgKind) => order.indexOf(k);
    assert.ok(at("prog_aux") < at("ignored") && at("ignored") < at("implicit") && at("implicit") < at("scalar_const"));
    assert.ok(at("scalar") < at("unrecognized") && at("unrecognized") < at("KF_ARG_PTR_TO_CTX"));
    // get_kfunc_ptr_arg_type: ctx, null, alloc, refcounted, dynptr, iter, graph, const str, map, wq,
    // timer, task_work, irq flag, res_spin_lock, then the register-typed BTF id, callback, memory
    const chain: KfuncArgKind[] = [
      "KF_ARG_PTR_TO_CTX", "KF_ARG_PTR_TO_NULL", "KF_ARG_PTR_TO_ALLOC_BTF_ID", "KF_ARG_PTR_TO_REFCOUNTED_KPTR",
      "KF_ARG_PTR_TO_DYNPTR", "KF_ARG_PTR_TO_ITER", "KF_ARG_PTR_TO_LIST_HEAD", "KF_ARG_PTR_TO_LIST_NODE",
      "KF_ARG_PTR_TO_RB_ROOT", "KF_ARG_PTR_TO_RB_NODE", "KF_ARG_PTR_TO_CONST_STR", "KF_ARG_PTR_TO_MAP",
      "KF_ARG_PTR_TO_WORKQUEUE", "KF_ARG_PTR_TO_TIMER", "KF_ARG_PTR_TO_TASK_WORK", "KF_ARG_PTR_TO_IRQ_FLAG",
      "KF_ARG_PTR_TO_RES_SPIN_LOCK", "KF_ARG_PTR_TO_BTF_ID", "KF_ARG_PTR_TO_CALLBACK",
    ];
    assert.deepEqual(order.filter((k) => chain.includes(k)), chain);
    assert.ok(at("KF_ARG_PTR_TO_CALLBACK") < at("KF_ARG_PTR_TO_MEM_SIZE") && at("KF_ARG_PTR_TO_MEM") < at("unsupported_ptr"));
  });

  it("return-kind rows are unique and end with a catch-all", () => {
    const order = KFUNC_RET_KIND_ORDER.map((r) => r.kind);
    assert.equal(new Set(order).size, order.length);
    for (const [k, row] of Object.entries(KFUNC_RET_KIND_ROWS)) assert.equal(row.kind, k);
    assert.equal(order[order.length - 1], "void");
  });

  it("classifies every kfunc of the bundled 7.2 profile without throwing", () => {
    let n = 0;
    for (const k of profile().kfuncs) {
      const p = kfuncProto(profile(), k);
      assert.ok(p.args.every((a) => a.kind !== undefined));
      n++;
    }
    assert.ok(n > 300);
  });
});

describe("stack-passed arguments (stack_arg_kfunc.c, stack_arg_fail.c)", () => {
  it("stack_arg_kfunc.c test_stack_arg_scalar: ten u64 scalars, args 6..10 in *(R11-8)..*(R11-40)", () => {
    assert.deepEqual(kinds("bpf_kfunc_call_stack_arg"), [
      "R1 scalar", "R2 scalar", "R3 scalar", "R4 scalar", "R5 scalar",
      "*(R11-8) scalar", "*(R11-16) scalar", "*(R11-24) scalar", "*(R11-32) scalar", "*(R11-40) scalar",
    ]);
  });
  it("stack_arg_kfunc.c test_stack_arg_ptr/mix: a stack struct of scalars passes, so the arg is memory", () => {
    const p = proto("bpf_kfunc_call_stack_arg_ptr").args[9]!;
    assert.equal(p.where, "*(R11-40)");
    assert.equal(p.kind, "KF_ARG_PTR_TO_MEM");
    // (a..g, p, h, q): p is arg 8 -> *(R11-24), q is arg 10 -> *(R11-40)
    assert.deepEqual(kinds("bpf_kfunc_call_stack_arg_mix").slice(7), ["*(R11-24) KF_ARG_PTR_TO_MEM", "*(R11-32) scalar", "*(R11-40) KF_ARG_PTR_TO_MEM"]);
  });
  it("stack_arg_kfunc.c test_stack_arg_dynptr/iter/const_str/timer: the special kinds work in stack slots", () => {
    assert.equal(kinds("bpf_kfunc_call_stack_arg_dynptr")[9], "*(R11-40) KF_ARG_PTR_TO_DYNPTR");
    assert.equal(kinds("bpf_kfunc_call_stack_arg_iter")[9], "*(R11-40) KF_ARG_PTR_TO_ITER");
    assert.equal(kinds("bpf_kfunc_call_stack_arg_const_str")[9], "*(R11-40) KF_ARG_PTR_TO_CONST_STR");
    assert.equal(kinds("bpf_kfunc_call_stack_arg_timer")[9], "*(R11-40) KF_ARG_PTR_TO_TIMER");
  });
  it("stack_arg_kfunc.c test_stack_arg_mem: `void *mem, int mem__sz` in *(R11-8)/*(R11-16) is a memory+size pair", () => {
    const a = proto("bpf_kfunc_call_stack_arg_mem").args;
    assert.equal(a[5]!.kind, "KF_ARG_PTR_TO_MEM_SIZE");
    assert.deepEqual(a[5]!.sizeArg, { index: 6, constant: false });
    assert.equal(`${a[6]!.where} ${a[6]!.kind}`, "*(R11-16) size");
  });
  it('stack_arg_fail.c test_stack_arg_big: "Unrecognized *(R11-8) type STRUCT"', () => {
    const a = proto("bpf_kfunc_call_stack_arg_big").args[5]!;
    assert.equal(a.where, "*(R11-8)");
    assert.equal(a.kind, "unrecognized");
  });
});

describe("implicit arguments (kfunc_implicit_args.c)", () => {
  it("test_kfunc_implicit_arg: bpf_kfunc_implicit_arg(5) is checked against the _impl proto, aux filled by the verifier", () => {
    const p = proto("bpf_kfunc_implicit_arg");
    assert.equal(p.implProto, "bpf_kfunc_implicit_arg_impl");
    assert.equal(p.visibleArgs, 1);
    assert.deepEqual(p.args.map((a) => a.kind), ["scalar", "prog_aux"]);
  });
  it('test_kfunc_implicit_arg_impl_illegal: "cannot find address for kernel function bpf_kfunc_implicit_arg_impl": the _impl twin is no kfunc', () => {
    assert.equal(profile().kfuncByName("bpf_kfunc_implicit_arg_impl"), undefined);
  });
  it("test_kfunc_implicit_arg_legacy_impl: the registered legacy _impl is an ordinary kfunc whose aux param is found by type", () => {
    const p = proto("bpf_kfunc_implicit_arg_legacy_impl");
    assert.equal(p.implProto, undefined);
    assert.deepEqual(p.args.map((a) => a.kind), ["scalar", "scalar", "prog_aux"]);
  });
});

describe("graph kfuncs (rbtree_fail.c, linked_list_fail.c via prog_tests/linked_list.c, refcounted_kptr_fail.c)", () => {
  it('rbtree_fail.c rbtree_api_nolock_add: "bpf_spin_lock at off=16 must be held for bpf_rb_root" (R1 is a graph root); rbtree_api_add_to_multiple_trees: "R2 expected pointer to allocated object"', () => {
    const p = proto("bpf_rbtree_add");
    assert.equal(p.implProto, "bpf_rbtree_add_impl");
    assert.deepEqual(p.args.map((a) => `${a.where} ${a.kind}`), [
      "R1 KF_ARG_PTR_TO_RB_ROOT", "R2 KF_ARG_PTR_TO_RB_NODE", "R3 KF_ARG_PTR_TO_CALLBACK", "R4 ignored", "R5 implicit",
    ]);
  });
  it('rbtree_fail.c rbtree_api_add_release_unlock_escape: "bpf_rbtree_remove can only take non-owning or refcounted bpf_rb_node pointer"; rbtree_api_use_unchecked_remove_retval: "Possibly NULL pointer passed to trusted R2"', () => {
    const p = proto("bpf_rbtree_remove");
    assert.deepEqual(p.args.map((a) => `${a.where} ${a.kind}`), ["R1 KF_ARG_PTR_TO_RB_ROOT", "R2 KF_ARG_PTR_TO_RB_NODE"]);
    // the remove result is the maybe-NULL owning node pointer the NULL message is about
    assert.equal(p.ret.kind, "graph_node");
    assert.ok(p.ret.typeFlags.includes("PTR_MAYBE_NULL") && p.ret.acquire);
  });
  it('linked_list.c double_push_front/back: "R2 expected pointer to allocated object" (the node is R2)', () => {
    for (const n of ["bpf_list_push_front", "bpf_list_push_back"]) {
      assert.deepEqual(kinds(n).slice(0, 2), ["R1 KF_ARG_PTR_TO_LIST_HEAD", "R2 KF_ARG_PTR_TO_LIST_NODE"]);
    }
    const add = proto("bpf_list_add").args;
    assert.equal(add[2]!.kind, "KF_ARG_PTR_TO_LIST_NODE");
    assert.deepEqual(add[2]!.annotations, ["__nonown_allowed"]);
  });
  it('linked_list.c obj_type_id_oor: "local type ID argument must be in range [0, U32_MAX]" reads the __k constant of bpf_obj_new', () => {
    const p = proto("bpf_obj_new");
    assert.equal(p.args[0]!.kind, "scalar_const");
    assert.equal(p.ret.kind, "obj_new");
    assert.ok(p.ret.acquire);
  });
  it('linked_list.c obj_drop_non_zero_off: "R1 must have zero offset when passed to release func": R1 of bpf_obj_drop is the allocated object', () => {
    assert.deepEqual(kinds("bpf_obj_drop"), ["R1 KF_ARG_PTR_TO_ALLOC_BTF_ID", "R2 ignored"]);
  });
  it('refcounted_kptr_fail.c refcount_acquire_maybe_null: "Possibly NULL pointer passed to trusted R1": R1 is the refcounted kptr', () => {
    const p = proto("bpf_refcount_acquire");
    assert.equal(p.args[0]!.kind, "KF_ARG_PTR_TO_REFCOUNTED_KPTR");
    assert.equal(p.ret.kind, "refcount_acquire");
  });
});

describe("iterator kfuncs (iters.c, iters_testmod.c)", () => {
  it('iters.c iter_new_bad_arg/iter_next_bad_arg/iter_destroy_bad_arg: "R1 expected pointer to an iterator on stack": arg 0 of every iter kfunc is the iterator', () => {
    for (const n of ["bpf_iter_num_new", "bpf_iter_num_next", "bpf_iter_num_destroy", "bpf_iter_task_new", "bpf_iter_task_vma_new", "bpf_iter_css_task_new"]) {
      assert.equal(kinds(n)[0], "R1 KF_ARG_PTR_TO_ITER", n);
    }
    assert.deepEqual(kinds("bpf_iter_num_new"), ["R1 KF_ARG_PTR_TO_ITER", "R2 scalar", "R3 scalar"]);
  });
  it('iters_testmod.c iter_next_ptr_mem_not_trusted: "R1 cannot write into rdonly_mem": bpf_iter_num_next returns read-only memory and bpf_kfunc_trusted_num_test takes writable memory', () => {
    const next = proto("bpf_iter_num_next").ret;
    assert.equal(next.kind, "PTR_TO_MEM");
    assert.deepEqual(next.typeFlags, ["MEM_RDONLY", "PTR_MAYBE_NULL"]);
    assert.equal(kinds("bpf_kfunc_trusted_num_test")[0], "R1 KF_ARG_PTR_TO_MEM");
  });
  it('iters_testmod.c iter_next_rcu_not_trusted: "R1 must be referenced or trusted": bpf_kfunc_trusted_task_test takes a BTF pointer', () => {
    assert.equal(kinds("bpf_kfunc_trusted_task_test")[0], "R1 KF_ARG_PTR_TO_BTF_ID");
    const next = proto("bpf_iter_task_next").ret;
    assert.equal(next.kind, "PTR_TO_BTF_ID");
    assert.ok(next.conditional?.some((c) => c.flag === "MEM_RCU"));
  });
  it('iters_testmod.c iter_ret_rcu_test_type: "R1 type=rcu_ptr_or_null_ expected=" (KF_RCU_PROTECTED struct return)', () => {
    const r = proto("bpf_kfunc_ret_rcu_test").ret;
    assert.equal(r.kind, "PTR_TO_BTF_ID");
    assert.deepEqual(r.typeFlags, ["MEM_RCU", "PTR_MAYBE_NULL"]);
  });
  it('iters_testmod.c iter_ret_rcu_test_type_nostruct: "R1 type=rdonly_rcu_mem_or_null expected=" (rdonly_buf_size sized return)', () => {
    const p = proto("bpf_kfunc_ret_rcu_test_nostruct");
    assert.equal(p.args[0]!.kind, "scalar_buf_size");
    assert.equal(p.ret.kind, "PTR_TO_MEM");
    assert.deepEqual(p.ret.typeFlags, ["MEM_RDONLY", "MEM_RCU", "PTR_MAYBE_NULL"]);
    assert.equal(p.ret.memSize, "rdonly_buf_size");
  });
});

describe("context and dynptr arguments", () => {
  it("bpf_dynptr_from_skb in a tc program (dynptr_success.c): R1 is the context, R3 an uninitialized dynptr", () => {
    const p = proto("bpf_dynptr_from_skb", "BPF_PROG_TYPE_SCHED_CLS");
    assert.deepEqual(p.args.map((a) => a.kind), ["KF_ARG_PTR_TO_CTX", "scalar", "KF_ARG_PTR_TO_DYNPTR"]);
    assert.deepEqual(p.args[2]!.annotations, ["__uninit"]);
  });
  it("bpf_cast_to_kern_ctx (type_cast.c) takes the context whatever its BTF type says", () => {
    assert.deepEqual(kinds("bpf_cast_to_kern_ctx"), ["R1 KF_ARG_PTR_TO_CTX"]);
    assert.equal(proto("bpf_cast_to_kern_ctx").ret.kind, "cast_to_kern_ctx");
  });
  it("bpf_dynptr_slice (dynptr_fail.c): buffer__nullable + buffer__szk form a constant-size memory pair", () => {
    const a = proto("bpf_dynptr_slice").args;
    assert.equal(a[2]!.kind, "KF_ARG_PTR_TO_MEM_SIZE");
    assert.deepEqual(a[2]!.sizeArg, { index: 3, constant: true });
    // arg_mem_size keeps a NULL buffer from becoming KF_ARG_PTR_TO_NULL
    assert.ok(!a[2]!.alternatives.some((x) => x.kind === "KF_ARG_PTR_TO_NULL"));
  });
});
