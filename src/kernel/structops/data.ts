// SPDX-License-Identifier: GPL-2.0
// The struct_ops types of the Linux 7.2 target that bpfverify models, and the
// bpf_testmod ones the selftests load: their cfi stubs and verifier ops, as
// data. Extracted by hand from linux-7.2.13 net/bpf/bpf_dummy_struct_ops.c,
// net/sched/bpf_qdisc.c and tools/testing/selftests/bpf/test_kmods/bpf_testmod.c
// (bpf_testmod_init fills tramp_1..tramp_40 with bpf_testmod_tramp at run time);
// re-extract when the target changes.
import type { StructOpsDesc } from "./types.js";
import { KFUNC_CATALOG } from "../generated/7.2/kfuncs.js";

/** The kfuncs of the catalog's BTF_KFUNCS sets named `name` (in any file). */
function kfuncSet(name: string): string[] {
  return KFUNC_CATALOG.sets.filter((st) => st.name === name).flatMap((st) => st.entries.map((e) => e.name));
}
const uniq = (...lists: string[][]): string[] => [...new Set(lists.flat())];

const tramps: Record<string, string> = {};
for (let i = 1; i <= 40; i++) tramps[`tramp_${i}`] = "bpf_testmod_tramp";

/**
 * kernel/sched/ext/ext.c: scx_kfunc_context_filter's sets and scx_kf_allow_flags[]
 * (CONFIG_EXT_GROUP_SCHED=y), per member the kfunc groups it may call.
 */
const scx = {
  unlocked: kfuncSet("scx_kfunc_ids_unlocked"), init: kfuncSet("scx_kfunc_ids_init"),
  selectCpu: kfuncSet("scx_kfunc_ids_select_cpu"), enqueue: kfuncSet("scx_kfunc_ids_enqueue_dispatch"),
  dispatch: kfuncSet("scx_kfunc_ids_dispatch"), cpuRelease: kfuncSet("scx_kfunc_ids_cpu_release"),
  idle: kfuncSet("scx_kfunc_ids_idle"), any: kfuncSet("scx_kfunc_ids_any"),
};
const SCX_MEMBERS = ["select_cpu", "enqueue", "dequeue", "dispatch", "tick", "runnable", "running", "stopping", "quiescent",
  "yield", "core_sched_before", "set_weight", "set_cpumask", "update_idle", "cpu_acquire", "cpu_release", "init_task",
  "exit_task", "enable", "disable", "cgroup_init", "cgroup_exit", "cgroup_prep_move", "cgroup_move", "cgroup_cancel_move",
  "cgroup_set_weight", "cgroup_set_bandwidth", "cgroup_set_idle", "sub_attach", "sub_detach", "cpu_online", "cpu_offline",
  "init", "exit", "dump", "dump_cpu", "dump_task"];
const scxUnlockedOps = ["init_task", "dump", "cgroup_init", "cgroup_exit", "cgroup_prep_move", "cgroup_cancel_move",
  "cgroup_set_weight", "cgroup_set_bandwidth", "cgroup_set_idle", "sub_attach", "sub_detach", "cpu_online", "cpu_offline", "exit"];

/** kernel/sched/ext/ext.c: bpf_sched_ext_ops (CONFIG_SCHED_CLASS_EXT, CONFIG_EXT_GROUP_SCHED, CONFIG_EXT_SUB_SCHED = y). */
export const SCHED_EXT_OPS: StructOpsDesc = {
  name: "sched_ext_ops",
  stubs: Object.fromEntries(SCX_MEMBERS.map((m) => [m, `sched_ext_ops__${m}`])),
  // bpf_scx_check_member
  checkMember: {
    sleepableOnly: ["init_task", "cgroup_init", "cgroup_exit", "cgroup_prep_move", "cpu_online", "cpu_offline", "init", "exit",
      "sub_attach", "sub_detach"],
    privStack: ["dispatch"],
  },
  // bpf_scx_is_valid_access is bpf_tracing_btf_ctx_access written out
  isValidAccess: "bpf_tracing_btf_ctx_access",
  btfStructAccess: { kind: "bpf_scx_btf_struct_access" },
  kfuncFilter: {
    name: "scx_kfunc_context_filter",
    governs: uniq(scx.unlocked, scx.init, scx.selectCpu, scx.enqueue, scx.dispatch, scx.cpuRelease, scx.idle, scx.any),
    common: uniq(scx.any, scx.idle),
    perMember: {
      select_cpu: uniq(scx.selectCpu, scx.enqueue), enqueue: uniq(scx.selectCpu, scx.enqueue),
      dispatch: uniq(scx.enqueue, scx.dispatch), cpu_release: scx.cpuRelease, init: uniq(scx.unlocked, scx.init),
      ...Object.fromEntries(scxUnlockedOps.map((m) => [m, scx.unlocked])),
    },
    otherProgTypes: { BPF_PROG_TYPE_SYSCALL: uniq(scx.unlocked, scx.selectCpu, scx.idle, scx.any), default: uniq(scx.any, scx.idle) },
  },
};

/** vmlinux struct_ops (kernel: register_bpf_struct_ops callers built into the 7.2 target). */
export const VMLINUX_STRUCT_OPS: readonly StructOpsDesc[] = [
  SCHED_EXT_OPS,
  {
    name: "bpf_dummy_ops",
    stubs: { test_1: "bpf_dummy_ops__test_1", test_2: "bpf_dummy_test_2", test_sleepable: "bpf_dummy_test_sleepable" },
    checkMember: { sleepableOnly: ["test_sleepable"] },
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
      governs: ["bpf_skb_get_hash", "bpf_kfree_skb", "bpf_qdisc_skb_drop", "bpf_dynptr_from_skb", "bpf_qdisc_watchdog_schedule",
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
    checkMember: { privStack: ["test_1"] },
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
