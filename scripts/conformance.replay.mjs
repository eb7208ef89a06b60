// A stand-in for bpfverify's CLI that answers `test --json` and `verify --json` with what the
// 7.2 kernel recorded (test/corpus), through the same JSON lines as issue 4 items 7-8. Used by
// `conformance.mjs --replay-kernel` / `bench.mjs --replay-kernel` to check those scripts: the
// report must then show the kernel's own figures. Not a verifier.
import { basename } from "node:path";

const api = await import(new URL("../dist/src/selftest/index.js", import.meta.url).href);
const programs = api.loadCorpusPrograms();
const logs = api.loadCorpusLogs();
const overlay = api.loadOverlay();

export async function main(argv, io) {
  const [cmd, ...rest] = argv;
  const files = [];
  const only = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === "--program") only.push(rest[++i]);
    else if (["--log-level", "--prog-flags", "--module-btf", "--btf"].includes(a)) i++;
    else if (!a.startsWith("--")) files.push(a);
  }
  const results = [];
  for (const file of files) {
    for (const p of programs.filter((q) => q.object === basename(file) && (only.length === 0 || only.includes(q.program)))) {
      const key = api.programKey(p.object, p.program);
      const log = logs.get(key)?.log ?? "";
      if (cmd === "test") {
        const spec = api.specForProgram(p, overlay.get(key));
        if (!api.isTest(spec)) continue;
        const j = api.judge(spec, api.testLoaderView(p, log));
        results.push(j.result);
        const description = spec.ok ? spec.spec.priv.description : undefined;
        io.out(api.formatTestJson(api.testLine(file, p.program, description, j)) + "\n");
      } else if (cmd === "verify") {
        io.out(
          JSON.stringify({
            file,
            program: p.program,
            section: p.section,
            progType: p.progType,
            verdict: p.kernel.loaded ? "success" : "failure",
            error: p.kernel.loaded ? "" : api.firstErrorLine(log),
            log,
            insnsProcessed: p.kernel.processedInsns,
            totalStates: p.kernel.totalStates,
            peakStates: p.kernel.peakStates,
            // the native 6.18 figure where there is one: the bench then shows ratios of 1
            durationUs: p.host618?.verificationTimeUsec ?? p.kernel.verificationTimeUsec,
          }) + "\n",
        );
      } else {
        io.err(`replay: no command '${cmd}'\n`);
        return 2;
      }
    }
  }
  if (cmd === "test") io.out(api.summaryLine(api.tally(results)) + "\n");
  return results.includes("fail") ? 1 : 0;
}
