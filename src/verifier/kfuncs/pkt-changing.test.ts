// A kfunc that may move packet data invalidates every packet pointer, as the helpers that
// change it do (kernel: bpf_is_kfunc_pkt_changing -> clear_all_pkt_pointers).
// Selftest: verifier_sock.c invalidate_xdp_pkt_pointers ("R6 invalid mem access 'scalar'"
// on the store through a packet pointer taken before bpf_xdp_pull_data).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { loadObject } from "../../loader/index.js";
import { verifyProgram } from "../../api/verify-program.js";
import { corpusDir, objectPath } from "../../selftest/corpus.js";

test("bpf_xdp_pull_data clears packet pointers (verifier_sock.c invalidate_xdp_pkt_pointers)", () => {
  const lo = loadObject(readFileSync(objectPath("verifier_sock.bpf.o", corpusDir())), { file: "verifier_sock.bpf.o" });
  const r = verifyProgram(lo.programs.find((p) => p.name === "invalidate_xdp_pkt_pointers")!, { logLevel: 1 });
  assert.equal(r.verdict, "failure");
  const lines = r.log.split("\n");
  const call = lines.findIndex((l) => l.includes("call bpf_xdp_pull_data"));
  assert.ok(call >= 0, "the kfunc is reached");
  // the pointer read before the call is a scalar after it: the store is refused, nothing earlier
  assert.deepEqual(lines.slice(call + 1).filter((l) => /invalid|!read_ok/.test(l)), ["R6 invalid mem access 'scalar'"]);
});
