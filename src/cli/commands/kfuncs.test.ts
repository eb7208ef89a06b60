// `bpfverify kfuncs` on the bundled 7.2 profile: the JSON-lines contract of issue 3
// and the program-type filter.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { memoryIo } from "../io.js";
import { run } from "./kfuncs.js";

describe("bpfverify kfuncs", () => {
  it("--json prints one object per kfunc: the 305 BTF_ID_FLAGS kfuncs + 3 XDP metadata kfuncs of 7.2", async () => {
    const io = memoryIo();
    assert.equal(await run(["--json"], io), 0);
    const rows = io.stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(rows.length, 308);
    for (const r of rows) {
      for (const k of ["name", "flags", "hooks", "progTypes", "args", "ret"]) assert.ok(k in r, `${String(r.name)} lacks ${k}`);
      const hooks = r.hooks as Record<string, string[]>;
      // flags = union over hooks
      assert.deepEqual(new Set(r.flags as string[]), new Set(Object.values(hooks).flat()), String(r.name));
    }
    const hw = rows.find((r) => r.name === "hid_bpf_hw_request")!;
    assert.deepEqual(hw.hooks, { BTF_KFUNC_HOOK_STRUCT_OPS: ["KF_SLEEPABLE"], BTF_KFUNC_HOOK_SYSCALL: [] });
    assert.deepEqual(hw.progTypes, ["BPF_PROG_TYPE_STRUCT_OPS", "BPF_PROG_TYPE_SYSCALL"]);
  });

  it("--prog-type keeps only the kfuncs that program type may call", async () => {
    const io = memoryIo();
    assert.equal(await run(["--prog-type", "xdp", "--json"], io), 0);
    const names = io.stdout.trimEnd().split("\n").map((l) => (JSON.parse(l) as { name: string }).name);
    assert.ok(names.includes("bpf_xdp_metadata_rx_hash"));
    assert.ok(names.includes("bpf_rcu_read_lock"), "COMMON kfuncs are callable everywhere");
    assert.ok(!names.includes("bpf_dynptr_from_skb"), "the skb kfunc set is not registered for XDP");
  });

  it("prints readable text and fails on an unknown name", async () => {
    const io = memoryIo();
    assert.equal(await run(["bpf_task_acquire", "no_such_kfunc"], io), 1);
    assert.match(io.stdout, /^bpf_task_acquire {2}\(vmlinux btf_id \d+\)$/m);
    assert.match(io.stdout, /R1 +p +struct task_struct \* +KF_ARG_PTR_TO_BTF_ID/);
    assert.match(io.stderr, /no kfunc 'no_such_kfunc'/);
  });
});
