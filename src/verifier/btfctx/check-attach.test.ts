// check_attach_btf_id's modelled rules against the 7.2 vmlinux BTF. The hook
// lists come from kernel/bpf/bpf_lsm.c and include/trace/events/syscalls.h.
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadBundledVmlinuxBtf } from "../../btf/index.js";
import { canBeSleepable, checkAttachBtfId, type AttachCheckInput } from "./check-attach.js";

const btf = loadBundledVmlinuxBtf("7.2");
const prog = (p: Partial<AttachCheckInput>): AttachCheckInput => ({
  progType: "BPF_PROG_TYPE_LSM", expectedAttachType: "BPF_LSM_MAC", sleepable: false, progFlags: 0, gplCompatible: true, ...p,
});

test("syscall programs must be sleepable; lsm_cgroup and xdp may not be", () => {
  assert.equal(checkAttachBtfId(prog({ progType: "BPF_PROG_TYPE_SYSCALL" }), btf)?.message, "Syscall programs can only be sleepable\n");
  assert.equal(checkAttachBtfId(prog({ progType: "BPF_PROG_TYPE_SYSCALL", progFlags: 1 << 4 }), btf), undefined);
  assert.equal(checkAttachBtfId(prog({ expectedAttachType: "BPF_LSM_CGROUP", attachTo: "file_open", progFlags: 1 << 4 }), btf)?.message,
    "Program of this type cannot be sleepable\n");
  assert.equal(canBeSleepable("BPF_PROG_TYPE_XDP", "BPF_XDP"), false);
  assert.equal(canBeSleepable("BPF_PROG_TYPE_TRACING", "BPF_TRACE_ITER"), true);
});

test("LSM: disabled hooks name their attach_btf_id; others pass", () => {
  const id = btf.findByNameKind("bpf_lsm_getprocattr", "FUNC");
  assert.ok(id);
  assert.deepEqual(checkAttachBtfId(prog({ attachTo: "getprocattr" }), btf),
    { errno: "EINVAL", message: `attach_btf_id ${id} points to disabled hook bpf_lsm_getprocattr\n` });
  assert.equal(checkAttachBtfId(prog({ attachTo: "file_open" }), btf), undefined);
  assert.equal(checkAttachBtfId(prog({ attachTo: "file_open", gplCompatible: false }), btf)?.message,
    "LSM programs must have a GPL compatible license\n");
});

test("sleepable tp_btf only on the faultable syscall tracepoints", () => {
  const tp = (attachTo: string) => prog({ progType: "BPF_PROG_TYPE_TRACING", expectedAttachType: "BPF_TRACE_RAW_TP", attachTo, sleepable: true });
  assert.equal(checkAttachBtfId(tp("sys_enter"), btf), undefined);
  assert.equal(checkAttachBtfId(tp("sched_switch"), btf)?.message, "Sleepable program cannot attach to non-faultable tracepoint sched_switch\n");
});
