// End to end: the kernel selftests that exercise direct packet access and the
// __sk_buff/xdp_md/sk_msg contexts, judged by their own __success/__failure/__msg
// annotations (the expectations are the kernel's, read from the objects).
import assert from "node:assert/strict";
import { test } from "node:test";
import { run } from "../../cli/commands/test.js";
import { memoryIo } from "../../cli/io.js";
import { objectPath } from "../../selftest/corpus.js";

const OBJECTS = ["verifier_xdp_direct_packet_access", "verifier_direct_packet_access", "verifier_cgroup_skb",
  "verifier_ctx_sk_msg", "verifier_flow_keys", "verifier_lwt", "verifier_sock_addr", "verifier_raw_tp_writable"];

test("packet and ctx selftests pass as on the 7.2 kernel", async () => {
  const io = memoryIo();
  const code = await run(["--json", ...OBJECTS.map((o) => objectPath(`${o}.bpf.o`))], io);
  const rows = io.stdout.trim().split("\n").map((l) => JSON.parse(l) as { program: string; result: string; reason: string });
  const failed = rows.filter((r) => r.result !== "pass").map((r) => `${r.program}: ${r.reason}`);
  assert.deepEqual(failed, []);
  assert.ok(rows.length > 150, `only ${rows.length} tests ran`);
  assert.equal(code, 0);
});
