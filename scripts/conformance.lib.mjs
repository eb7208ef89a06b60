// Shared by scripts/conformance.mjs and scripts/bench.mjs: the corpus (through the compiled
// src/selftest API) and running `bpfverify test|verify --json` over it in a worker thread, with a
// time limit per object. The commands' JSON lines are the interface (issue 4 items 7-8), so the
// numbers here are the ones `bpfverify test`/`verify` print per program.
import { existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export async function loadSelftestApi() {
  const p = join(root, "dist/src/selftest/index.js");
  if (!existsSync(p)) {
    console.error("dist/ is not built: run `npx tsc -p .` (or `npm ci`) first");
    process.exit(2);
  }
  return import(p);
}

/** Runs CLI argv lists one after another in a worker; a run over `timeoutMs` gives rc "timeout". */
export class CliRunner {
  #worker = undefined;
  #next = 0;
  constructor(timeoutMs, cliModule = undefined) {
    this.timeoutMs = timeoutMs;
    this.cliModule = cliModule;
  }
  #start() {
    this.#worker = new Worker(new URL("./conformance.worker.mjs", import.meta.url), { workerData: { cliModule: this.cliModule } });
    this.#worker.unref();
  }
  async run(argv) {
    if (!this.#worker) this.#start();
    const w = this.#worker;
    const id = this.#next++;
    return new Promise((resolveRun) => {
      const timer = setTimeout(() => {
        cleanup();
        this.#worker = undefined;
        void w.terminate();
        resolveRun({ rc: "timeout", stdout: "", stderr: `timed out after ${this.timeoutMs} ms`, wallUs: this.timeoutMs * 1000 });
      }, this.timeoutMs);
      const onMsg = (m) => {
        if (m.id !== id) return;
        cleanup();
        resolveRun(m);
      };
      const onErr = (e) => {
        cleanup();
        this.#worker = undefined;
        resolveRun({ rc: "crash", stdout: "", stderr: String(e?.stack ?? e), wallUs: 0 });
      };
      const cleanup = () => {
        clearTimeout(timer);
        w.off("message", onMsg);
        w.off("error", onErr);
      };
      w.on("message", onMsg);
      w.on("error", onErr);
      w.postMessage({ id, argv });
    });
  }
  async close() {
    if (this.#worker) await this.#worker.terminate();
    this.#worker = undefined;
  }
}

/** JSON objects of a command's stdout (other lines ignored). */
export function jsonLines(stdout) {
  const out = [];
  for (const line of stdout.split("\n")) {
    const t = line.trim();
    if (!t.startsWith("{")) continue;
    try {
      out.push(JSON.parse(t));
    } catch {
      /* not a JSON line */
    }
  }
  return out;
}

/**
 * Whether the verifier commands exist yet. The placeholder commands exit 2 with
 * "not implemented"; a missing build cannot load them at all.
 */
/** `extra`: the arguments the real runs pass (module BTFs: without them a module kfunc extern fails the load). */
export async function probeCommand(runner, cmd, objPath, extra = []) {
  const r = await runner.run([cmd, "--json", ...extra, objPath]);
  const text = `${r.stderr}`;
  if (r.rc === 2 && /not implemented|not available/i.test(text)) return { ok: false, why: text.trim() };
  if (jsonLines(r.stdout).length === 0) return { ok: false, why: `no JSON lines (exit ${r.rc}): ${text.trim().slice(0, 500)}` };
  return { ok: true, first: r };
}

export function moduleBtfArgs(api) {
  const dir = join(api.corpusDir(), "btf");
  return ["bpf_testmod", "nf_conntrack", "nf_defrag_ipv4", "nf_defrag_ipv6", "nf_nat"]
    .map((m) => join(dir, `${m}.btf`))
    .filter((p) => existsSync(p))
    .flatMap((p) => ["--module-btf", p]);
}

/** Set name(s) of an object: a test belongs to the set of its progs/*.c source file. */
export function setIndex(api) {
  const sets = api.loadSets().sets;
  const bySource = new Map();
  for (const [name, files] of Object.entries(sets)) {
    for (const f of files) bySource.set(f, [...(bySource.get(f) ?? []), name]);
  }
  return { names: Object.keys(sets), of: (object) => bySource.get(api.sourceOf(object)) ?? [] };
}

/** `verify --json` lines keyed by program name; file names compared by basename. */
export function byProgram(lines, object) {
  const m = new Map();
  for (const l of lines) if (!l.file || basename(l.file) === object) m.set(l.program, l);
  return m;
}

/** The stand-in CLI of --replay-kernel (checks these scripts end to end without a verifier). */
export const REPLAY_CLI = new URL("./conformance.replay.mjs", import.meta.url).href;

export function parseArgs(argv, spec) {
  const opts = { ...spec };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "-h" || a === "--help") opts.help = true;
    else if (a.startsWith("--") && a.slice(2) in spec) {
      const k = a.slice(2);
      opts[k] = typeof spec[k] === "boolean" ? true : argv[++i];
    } else opts._ = [...(opts._ ?? []), a];
  }
  return opts;
}

export function pct(n, d) {
  return d === 0 ? "-" : `${((100 * n) / d).toFixed(1)}%`;
}

/** A plain fixed-width table. */
export function table(header, rows) {
  const w = header.map((h, i) => Math.max(String(h).length, ...rows.map((r) => String(r[i]).length)));
  const fmt = (r) => r.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join("  ");
  return [fmt(header), w.map((n) => "-".repeat(n)).join("  "), ...rows.map(fmt)].join("\n");
}
