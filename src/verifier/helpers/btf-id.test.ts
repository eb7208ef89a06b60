import { test } from "node:test";
import assert from "node:assert/strict";
import { BTF_ID_ARG_COMPAT, BTF_ID_FIXED_OFF_FLAGS, foldKptrXchgSource } from "./btf-id.js";
import { MEM_ALLOC, MEM_PERCPU, MEM_RCU, NON_OWN_REF, PTR_MAYBE_NULL, PTR_TRUSTED, PTR_UNTRUSTED, regTypeStr } from "../state/reg-type.js";
import { HELPER_PROTOS, helperAllowed, helperProtoByName, resolveArgType } from "../../kernel/helpers/index.js";
import { loadProfile } from "../../kernel/profile.js";
import { judgeSelftestObjects } from "../../cli/selftest-judge.js";

test("the BTF pointer argument kinds print as the kernel's expected= lists", () => {
  const str = (k: keyof typeof BTF_ID_ARG_COMPAT) => BTF_ID_ARG_COMPAT[k].map(([t, f]) => regTypeStr(t, f)).join(", ");
  // nested_trust_failure.c test_invalid_skb_field: "R2 type=untrusted_ptr_ expected=ptr_, trusted_ptr_, rcu_ptr_"
  assert.equal(str("ARG_PTR_TO_BTF_ID"), "ptr_, trusted_ptr_, rcu_ptr_");
  // map_kptr_fail.c marked_as_untrusted_or_null: "R1 type=untrusted_ptr_or_null_ expected=percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_"
  assert.equal(str("ARG_PTR_TO_PERCPU_BTF_ID"), "percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_");
});

test("every BTF pointer argument of a 7.2 proto names a struct of the bundled vmlinux BTF (arg_btf_id)", () => {
  const vml = loadProfile().vmlinuxBtf;
  let n = 0;
  for (const p of HELPER_PROTOS) {
    for (const a of p.args) {
      if (resolveArgType(a).base !== "ARG_PTR_TO_BTF_ID") continue;
      n++;
      // bpf_kptr_xchg's new value takes its type from the kptr field (BPF_PTR_POISON)
      if (a.btfId?.src === "BPF_PTR_POISON") {
        assert.equal(p.func, "bpf_kptr_xchg", p.key);
        continue;
      }
      const m = /^struct (.+)$/.exec(a.btfId?.type ?? "");
      assert.ok(m, `${p.key}: ${a.btfId?.src}`);
      assert.notEqual(vml.findByNameKind(m[1]!, "STRUCT"), undefined, `${p.key}: ${m[1]}`);
    }
  }
  assert.ok(n >= 20, `only ${n} BTF pointer arguments`);
});

test("a local kptr is bpf_kptr_xchg's new value as a plain BTF pointer (check_reg_type)", () => {
  // percpu_alloc_fail.c test_array_map_2: a percpu object offered for a plain kptr prints as percpu_ptr_
  assert.equal(foldKptrXchgSource("bpf_kptr_xchg", 2, MEM_ALLOC | MEM_PERCPU), 0);
  assert.equal(foldKptrXchgSource("bpf_kptr_xchg", 2, MEM_ALLOC | PTR_MAYBE_NULL), PTR_MAYBE_NULL);
  // only R2 of bpf_kptr_xchg, and only program-allocated objects
  assert.equal(foldKptrXchgSource("bpf_kptr_xchg", 1, MEM_ALLOC), MEM_ALLOC);
  assert.equal(foldKptrXchgSource("bpf_spin_lock", 2, MEM_ALLOC), MEM_ALLOC);
  assert.equal(foldKptrXchgSource("bpf_kptr_xchg", 2, MEM_PERCPU | MEM_RCU), MEM_PERCPU | MEM_RCU);
});

test("__check_func_arg_reg_off: the BTF pointers that may point inside their object", () => {
  for (const f of [0, MEM_ALLOC, PTR_TRUSTED, MEM_RCU, MEM_ALLOC | NON_OWN_REF, MEM_ALLOC | NON_OWN_REF | MEM_RCU]) assert.ok(BTF_ID_FIXED_OFF_FLAGS.has(f), String(f));
  for (const f of [PTR_UNTRUSTED, MEM_PERCPU, MEM_PERCPU | MEM_RCU, MEM_ALLOC | MEM_PERCPU]) assert.ok(!BTF_ID_FIXED_OFF_FLAGS.has(f), String(f));
});

test("bpf_d_path's `allowed` callback: btf_allowlist_d_path for fentry, any iterator", () => {
  // verifier_d_path.c: d_path_accept attaches to dentry_open, d_path_reject to d_path
  const fentry = helperProtoByName("d_path", "BPF_PROG_TYPE_TRACING", "BPF_TRACE_FENTRY");
  assert.ok(fentry);
  assert.equal(helperAllowed(fentry, "BPF_TRACE_FENTRY", { attachTarget: "dentry_open" }), true);
  assert.equal(helperAllowed(fentry, "BPF_TRACE_FENTRY", { attachTarget: "d_path" }), false);
  const iter = helperProtoByName("d_path", "BPF_PROG_TYPE_TRACING", "BPF_TRACE_ITER");
  assert.ok(iter);
  assert.equal(helperAllowed(iter, "BPF_TRACE_ITER", { attachTarget: "bpf_iter_task_file" }), true);
});

const judge = judgeSelftestObjects;

// End to end, judged by the selftests' own __success/__failure/__msg annotations.
test("helper BTF pointer arguments in the selftests, as on the 7.2 kernel", async () => {
  const rows = await judge(["verifier_d_path", "nested_trust_failure", "nested_trust_success", "map_kptr_fail", "percpu_alloc_fail",
    "verifier_ref_tracking", "verifier_sockmap_mutate", "verifier_helper_restricted", "verifier_iterating_callbacks", "uptr_failure",
    "verifier_global_ptr_args", "verifier_bpf_get_stack", "iters_testmod"]);
  const wrong = rows.filter((r) => r.result !== "pass" && !/not modelled yet/.test(r.reason)).map((r) => `${r.program}: ${r.reason}`);
  assert.deepEqual(wrong, []);
  const pass = new Set(rows.filter((r) => r.result === "pass").map((r) => r.program));
  for (const p of [
    "d_path_accept", "d_path_reject", // verifier_d_path.c: "helper call is not allowed in probe"
    "test_invalid_skb_field", // nested_trust_failure.c: R2 type=untrusted_ptr_ expected=ptr_, trusted_ptr_, rcu_ptr_
    "test_skb_field", // nested_trust_success.c: bpf_sk_storage_get on a trusted field
    "reject_untrusted_xchg", // map_kptr_fail.c: release helper bpf_kptr_xchg expects referenced PTR_TO_BTF_ID passed to R2
    "reject_bad_type_xchg", // invalid kptr access, R2 type=trusted_ptr_prog_test_ref_kfunc expected=ptr_prog_test_member
    "kptr_xchg_possibly_null", // Possibly NULL pointer passed to helper R2
    "kptr_xchg_ref_state", // the old kptr is a new reference: leaked at exit
    "marked_as_untrusted_or_null", // bpf_this_cpu_ptr: expected=percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_
    "test_array_map_2", // percpu_alloc_fail.c: invalid kptr access, R2 type=percpu_ptr_val2_t expected=ptr_val_t
    "test_array_map_3", // R1 type=scalar expected=percpu_ptr_, ...
    "sk_release_btf_tcp_sock", // verifier_ref_tracking.c: bpf_sk_release of a BTF tcp_sock (matched through sock_common)
    "test_trace_iter", // verifier_sockmap_mutate.c: BTF sockets as map values of an iterator
    "in_bpf_prog_type_kprobe_3", // verifier_helper_restricted.c: tracing progs cannot use bpf_spin_lock yet
    "unsafe_find_vma", // verifier_iterating_callbacks.c: bpf_find_vma's task argument
    "uptr_write", // uptr_failure.c: store to uptr disallowed
    "flavor_ptr_nonnull", // verifier_global_ptr_args.c: a BTF pointer through a global subprogram to bpf_d_path-like args
    "return_r0_range_is_refined", // verifier_bpf_get_stack.c: bpf_get_task_stack's task argument
    "iter_ret_rcu_test_type", // iters_testmod.c: R1 type=rcu_ptr_or_null_ expected=percpu_ptr_, ...
  ]) assert.ok(pass.has(p), `${p} does not pass`);
});
