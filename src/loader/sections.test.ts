import { test } from "node:test";
import assert from "node:assert/strict";
import { findSecDef, programKind, progTypeName, attachTypeName } from "./sections.js";
import { SECTION_DEFS, PROG_TYPE_NUM, ATTACH_TYPE_NUM } from "./generated/libbpf-sections.js";

test("section names map to libbpf's program and attach types", () => {
  const fentry = programKind("fentry/bpf_fentry_test1");
  assert.equal(fentry.progType, "BPF_PROG_TYPE_TRACING");
  assert.equal(fentry.expectedAttachType, "BPF_TRACE_FENTRY");
  assert.equal(fentry.attachTo, "bpf_fentry_test1");
  assert.deepEqual(fentry.flags, ["SEC_ATTACH_BTF"]);
  assert.equal(progTypeName(programKind("tc").progType), "sched_cls");
  assert.equal(attachTypeName(programKind("tc").expectedAttachType), "cgroup_inet_ingress");
  assert.equal(progTypeName(programKind("kprobe/do_sys_open").progType), "kprobe");
  assert.equal(programKind("fentry.s/foo").flags.includes("SEC_SLEEPABLE"), true);
  assert.equal(programKind("usdt/x").flags.includes("SEC_USDT"), true);
  // "kprobe+" needs a '/' separator: "kprobex" is not a kprobe.
  assert.equal(findSecDef("kprobex"), undefined);
  assert.equal(programKind("no_such_section").progType, "BPF_PROG_TYPE_UNSPEC");
});

test("the generated table is consistent", () => {
  assert.ok(SECTION_DEFS.length > 100);
  for (const d of SECTION_DEFS) {
    assert.ok(d.progType in PROG_TYPE_NUM, d.sec);
    assert.ok(d.expectedAttachType in ATTACH_TYPE_NUM, d.sec);
  }
  assert.equal(PROG_TYPE_NUM.BPF_PROG_TYPE_TRACING, 26);
  assert.equal(ATTACH_TYPE_NUM.BPF_TRACE_FENTRY, 24);
});
