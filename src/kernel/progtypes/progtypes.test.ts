// The program-type table against include/linux/bpf_types.h, the UAPI enums and libbpf.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ATTACH_TYPES, PROG_TYPES, findAttachType, findProgType, progTypeByValue } from "./index.js";

describe("program types", () => {
  it("enum bpf_prog_type values are 0..N in order, names and libbpf names unique", () => {
    PROG_TYPES.forEach((p, i) => assert.equal(p.value, i));
    assert.equal(new Set(PROG_TYPES.map((p) => p.name)).size, PROG_TYPES.length);
    const lib = PROG_TYPES.map((p) => p.libbpfName).filter((n) => n !== null);
    assert.equal(new Set(lib).size, lib.length);
    // include/uapi/linux/bpf.h: ... BPF_PROG_TYPE_SYSCALL, BPF_PROG_TYPE_NETFILTER, __MAX_BPF_PROG_TYPE
    assert.equal(PROG_TYPES.at(-1)?.name, "BPF_PROG_TYPE_NETFILTER");
    assert.equal(PROG_TYPES.length, 33);
  });
  it("every type but UNSPEC has a BPF_PROG_TYPE row, and its verifier_ops name follows from it", () => {
    for (const p of PROG_TYPES) {
      if (p.name === "BPF_PROG_TYPE_UNSPEC") {
        assert.equal(p.ops, null);
        continue;
      }
      assert.ok(p.ops, p.name);
      assert.equal(p.verifierOps, `${p.ops}_verifier_ops`);
    }
  });
  it("rows match bpf_types.h and the verifier_ops definitions", () => {
    // BPF_PROG_TYPE(BPF_PROG_TYPE_XDP, xdp, struct xdp_md, struct xdp_buff) under #ifdef CONFIG_NET
    const xdp = findProgType("xdp");
    assert.deepEqual(
      { name: xdp?.name, value: xdp?.value, userCtx: xdp?.userCtx, kernCtx: xdp?.kernCtx, configs: xdp?.configs, fp: xdp?.getFuncProto },
      { name: "BPF_PROG_TYPE_XDP", value: 6, userCtx: "struct xdp_md", kernCtx: "struct xdp_buff", configs: ["CONFIG_NET"], fp: "xdp_func_proto" },
    );
    // SCHED_CLS and SCHED_ACT share tc_cls_act_verifier_ops
    assert.equal(findProgType("sched_cls")?.getFuncProto, "tc_cls_act_func_proto");
    assert.equal(findProgType("BPF_PROG_TYPE_SCHED_ACT")?.getFuncProto, "tc_cls_act_func_proto");
    assert.equal(findProgType("kprobe")?.userCtx, "bpf_user_pt_regs_t");
    // the LSM row sits under CONFIG_BPF_JIT and CONFIG_BPF_LSM
    assert.deepEqual(findProgType("lsm")?.configs, ["CONFIG_BPF_JIT", "CONFIG_BPF_LSM"]);
    // struct_ops and ext verifier_ops have no get_func_proto of their own (bpf_struct_ops.c, trampoline.c)
    assert.equal(findProgType("struct_ops")?.getFuncProto, null);
    assert.equal(findProgType("ext")?.getFuncProto, null);
    assert.equal(progTypeByValue(26)?.name, "BPF_PROG_TYPE_TRACING");
  });
});

describe("attach types", () => {
  it("values are 0..N in order, libbpf names resolve", () => {
    ATTACH_TYPES.forEach((a, i) => assert.equal(a.value, i));
    assert.equal(ATTACH_TYPES[0]?.name, "BPF_CGROUP_INET_INGRESS");
    assert.equal(findAttachType("cgroup_inet4_connect")?.name, "BPF_CGROUP_INET4_CONNECT");
    assert.equal(findAttachType("BPF_TRACE_ITER")?.libbpfName, "trace_iter");
  });
});
