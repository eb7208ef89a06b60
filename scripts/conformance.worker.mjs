// Worker thread of scripts/conformance.lib.mjs: runs bpfverify CLI commands in-process (no
// process start per object) and posts back exit code, output and timing. A verifier that hangs
// is stopped by the parent terminating this thread.
import { parentPort, workerData } from "node:worker_threads";

// --replay-kernel swaps in a stand-in CLI that answers with the recorded kernel results.
const cli = workerData?.cliModule ?? new URL("../dist/src/cli/main.js", import.meta.url).href;
const { main } = await import(cli);

parentPort.on("message", async ({ id, argv }) => {
  const io = { stdout: "", stderr: "", out(s) { io.stdout += s; }, err(s) { io.stderr += s; } };
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  let rc;
  try {
    rc = await main(argv, io);
  } catch (e) {
    io.stderr += `internal error: ${e instanceof Error ? e.stack : String(e)}\n`;
    rc = 70;
  }
  const wallUs = Number((process.hrtime.bigint() - t0) / 1000n);
  const mem = process.memoryUsage();
  parentPort.postMessage({
    id,
    rc,
    stdout: io.stdout,
    stderr: io.stderr,
    wallUs,
    heapDelta: mem.heapUsed - heapBefore,
    maxRssKb: process.resourceUsage().maxRSS,
  });
});
