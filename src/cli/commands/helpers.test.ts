// `bpfverify helpers`: the listing and the JSON lines shape.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { memoryIo } from "../io.js";
import { run } from "./helpers.js";

interface JsonHelper {
  id: number;
  name: string;
  funcId: string;
  progTypes: string[];
  protos: { proto: string; file: string; ret: { type: string }; args: { type: string }[]; gplOnly: boolean; progTypes: string[]; uses: { progType: string; when: unknown[] }[] }[];
}

async function jsonLines(argv: string[]): Promise<JsonHelper[]> {
  const io = memoryIo();
  assert.equal(await run([...argv, "--json"], io), 0);
  return io.stdout.trim().split("\n").map((l) => JSON.parse(l) as JsonHelper);
}

describe("bpfverify helpers", () => {
  it("--json: one object per helper, all 211 UAPI helpers", async () => {
    const rows = await jsonLines([]);
    assert.equal(rows.length, 211);
    assert.equal(new Set(rows.map((r) => r.id)).size, 211);
    const stackid = rows.find((r) => r.name === "bpf_get_stackid");
    // kernel/trace/bpf_trace.c: kprobe, tracepoint, perf_event and raw_tp variants
    assert.deepEqual(stackid?.protos.map((p) => p.proto).sort(), ["bpf_get_stackid_proto", "bpf_get_stackid_proto_pe", "bpf_get_stackid_proto_raw_tp", "bpf_get_stackid_proto_tp"]);
    const lookup = rows.find((r) => r.id === 1);
    assert.equal(lookup?.funcId, "BPF_FUNC_map_lookup_elem");
    assert.deepEqual(lookup?.protos[0]?.args.map((a) => a.type), ["ARG_CONST_MAP_PTR", "ARG_PTR_TO_MAP_KEY"]);
    assert.ok(lookup?.progTypes.includes("BPF_PROG_TYPE_XDP"));
  });
  it("--prog-type filters by program type (libbpf or kernel spelling)", async () => {
    const xdp = await jsonLines(["--prog-type", "xdp"]);
    const names = new Set(xdp.map((r) => r.name));
    assert.ok(names.has("bpf_xdp_adjust_head"));
    assert.ok(!names.has("bpf_get_stackid"));
    for (const r of xdp) assert.deepEqual(r.progTypes, ["BPF_PROG_TYPE_XDP"]);
    assert.deepEqual((await jsonLines(["--prog-type", "BPF_PROG_TYPE_XDP"])).map((r) => r.id), xdp.map((r) => r.id));
    const ca = await jsonLines(["--prog-type", "struct_ops:tcp_congestion_ops"]);
    assert.ok(ca.some((r) => r.name === "bpf_tcp_send_ack"));
  });
  it("text listing shows the prototype as the source spells it", async () => {
    const io = memoryIo();
    assert.equal(await run(["--prog-type", "sched_cls"], io), 0);
    assert.match(io.stdout, /^bpf_map_lookup_elem#1\n {4}RET_PTR_TO_MAP_VALUE_OR_NULL bpf_map_lookup_elem\(ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY\)\n/m);
    assert.match(io.stdout, /bpf_map_lookup_elem_proto \(kernel\/bpf\/helpers\.c:\d+\) {2}\[pkt_access\]/);
  });
  it("rejects unknown program types and arguments", async () => {
    for (const argv of [["--prog-type", "nosuch"], ["--bogus"], ["--prog-type"], ["--prog-type", "ext"]]) {
      const io = memoryIo();
      assert.equal(await run(argv, io), 2, argv.join(" "));
      assert.ok(io.stderr.length > 0);
    }
  });
});
