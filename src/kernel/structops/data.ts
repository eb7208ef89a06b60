// SPDX-License-Identifier: GPL-2.0
// The struct_ops types of the Linux 7.2 target that bpfverify models, and the
// bpf_testmod ones the selftests load: their cfi stubs and verifier ops, as
// data. Extracted by hand from linux-7.2.13 net/bpf/bpf_dummy_struct_ops.c,
// net/sched/bpf_qdisc.c and tools/testing/selftests/bpf/test_kmods/bpf_testmod.c
// (bpf_testmod_init fills tramp_1..tramp_40 with bpf_testmod_tramp at run time);
// re-extract when the target changes.
import type { StructOpsDesc } from "./types.js";

const tramps: Record<string, string> = {};
for (let i = 1; i <= 40; i++) tramps[`tramp_${i}`] = "bpf_testmod_tramp";

/** vmlinux struct_ops (kernel: register_bpf_struct_ops callers built into the 7.2 target). */
export const VMLINUX_STRUCT_OPS: readonly StructOpsDesc[] = [
  {
    name: "bpf_dummy_ops",
    stubs: { test_1: "bpf_dummy_ops__test_1", test_2: "bpf_dummy_test_2", test_sleepable: "bpf_dummy_test_sleepable" },
    checkMember: { kind: "sleepable-only", members: ["test_sleepable"] },
    isValidAccess: "bpf_tracing_btf_ctx_access",
    btfStructAccess: { kind: "bpf_dummy_ops_btf_struct_access" },
  },
  {
    name: "Qdisc_ops",
    stubs: {
      enqueue: "Qdisc_ops__enqueue", dequeue: "Qdisc_ops__dequeue", init: "Qdisc_ops__init",
      reset: "Qdisc_ops__reset", destroy: "Qdisc_ops__destroy",
    },
    isValidAccess: "bpf_qdisc_is_valid_access",
    btfStructAccess: { kind: "bpf_qdisc_btf_struct_access" },
    prologueMembers: ["init"],
    epilogueMembers: ["reset", "destroy"],
    kfuncFilter: {
      name: "bpf_qdisc_kfunc_filter",
      set: ["bpf_skb_get_hash", "bpf_kfree_skb", "bpf_qdisc_skb_drop", "bpf_dynptr_from_skb", "bpf_qdisc_watchdog_schedule",
        "bpf_qdisc_init_prologue", "bpf_qdisc_reset_destroy_epilogue", "bpf_qdisc_bstats_update"],
      common: ["bpf_skb_get_hash", "bpf_kfree_skb", "bpf_dynptr_from_skb"],
      perMember: {
        enqueue: ["bpf_qdisc_skb_drop", "bpf_qdisc_watchdog_schedule"],
        dequeue: ["bpf_qdisc_watchdog_schedule", "bpf_qdisc_bstats_update"],
      },
    },
  },
];

/** bpf_testmod's struct_ops (tools/testing/selftests/bpf/test_kmods/bpf_testmod.c). */
export const TESTMOD_STRUCT_OPS: readonly StructOpsDesc[] = [
  {
    name: "bpf_testmod_ops",
    module: "bpf_testmod",
    stubs: {
      test_1: "bpf_testmod_test_1", test_2: "bpf_testmod_test_2", test_maybe_null: "bpf_testmod_ops__test_maybe_null",
      test_refcounted: "bpf_testmod_ops__test_refcounted", test_refcounted_multi: "bpf_testmod_ops__test_refcounted_multi",
      test_return_ref_kptr: "bpf_testmod_ops__test_return_ref_kptr", ...tramps,
    },
    isValidAccess: "bpf_tracing_btf_ctx_access",
  },
  {
    name: "bpf_testmod_ops2",
    module: "bpf_testmod",
    stubs: { test_1: "bpf_testmod_test_1" },
    isValidAccess: "bpf_tracing_btf_ctx_access",
  },
  {
    name: "bpf_testmod_ops3",
    module: "bpf_testmod",
    stubs: { test_1: "bpf_testmod_test_3", test_2: "bpf_testmod_test_4" },
    checkMember: { kind: "priv-stack", members: ["test_1"] },
    isValidAccess: "bpf_tracing_btf_ctx_access",
  },
  {
    name: "bpf_testmod_st_ops",
    module: "bpf_testmod",
    stubs: {
      test_prologue: "bpf_test_mod_st_ops__test_prologue", test_epilogue: "bpf_test_mod_st_ops__test_epilogue",
      test_pro_epilogue: "bpf_test_mod_st_ops__test_pro_epilogue",
    },
    isValidAccess: "bpf_tracing_btf_ctx_access",
    btfStructAccess: { kind: "whole-struct", struct: "st_ops_args" },
    prologueMembers: ["test_prologue", "test_pro_epilogue"],
    epilogueMembers: ["test_epilogue", "test_pro_epilogue"],
  },
  {
    name: "bpf_testmod_multi_st_ops",
    module: "bpf_testmod",
    stubs: { test_1: "bpf_testmod_multi_st_ops__test_1" },
    isValidAccess: "bpf_tracing_btf_ctx_access",
  },
];
