// The profile's kfunc admission (btf_kfunc_is_allowed) against the 7.2 kernel's
// own decisions in the corpus logs: a kfunc call the kernel went past was allowed
// for that program type; "calling kernel function X is not allowed" means it was
// not (or a filter of the hook rejected it, which the profile leaves to its caller).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { loadProfile } from "./profile.js";
import { findProgType } from "./progtypes/index.js";

function corpusDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, "test", "corpus");
    if (existsSync(join(p, "logs.jsonl.gz"))) return p;
    dir = dirname(dir);
  }
  return undefined;
}

function jsonl<T>(path: string): T[] {
  return gunzipSync(readFileSync(path)).toString("utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as T);
}

/** Messages check_kfunc_call prints because of a flag of the kfunc (name = group 1). */
const FLAG_MESSAGES: readonly [RegExp, string][] = [
  [/^program must be sleepable to call sleepable kfunc (\w+)$/, "KF_SLEEPABLE"],
  [/^kernel func (\w+) is sleepable within /, "KF_SLEEPABLE"],
  [/^kernel func (\w+) requires RCU critical section protection$/, "KF_RCU_PROTECTED"],
  [/^release kfunc (\w+) expects referenced PTR_TO_BTF_ID passed to /, "KF_RELEASE"],
];

interface LogRow { object: string; program: string; log: string | null }
interface ProgRow { object: string; program: string; progTypeLoaded: string | null; progType: string }

describe("kfunc admission against the 7.2 kernel's decisions in the corpus", () => {
  const dir = corpusDir();
  it("kfunc calls the kernel accepted are allowed, refused ones are not (or are behind a filter); flag messages match the hook's flags", { skip: dir ? false : "test/corpus not present" }, () => {
    const btf = (n: string) => ({ name: n, path: join(dir!, "btf", `${n}.btf`) });
    const profile = loadProfile({ moduleBtfs: ["bpf_testmod", "nf_conntrack", "nf_nat"].map(btf) });
    const progs = new Map(jsonl<ProgRow>(join(dir!, "programs.jsonl.gz")).map((p) => [`${p.object}/${p.program}`, p]));
    const bad: string[] = [];
    let accepted = 0;
    let refused = 0;
    let flagged = 0;
    for (const r of jsonl<LogRow>(join(dir!, "logs.jsonl.gz"))) {
      const p = progs.get(`${r.object}/${r.program}`);
      const pt = p ? findProgType(p.progTypeLoaded ?? p.progType)?.name : undefined;
      // freplace programs take their target's type (resolve_prog_type): not known here
      if (!r.log || pt === undefined || pt === "BPF_PROG_TYPE_EXT") continue;
      const lines = r.log.split("\n");
      for (let i = 0; i + 1 < lines.length; i++) {
        const call = /^\d+: \(85\) call (\w+)#(\d+)\b/.exec(lines[i]!);
        if (!call) continue;
        const k = profile.kfuncByName(call[1]!);
        if (!k || k.btfId !== Number(call[2])) continue;
        const verdict = profile.kfuncAllowed(k, pt);
        for (const [re, flag] of FLAG_MESSAGES) {
          const m = re.exec(lines[i + 1]!);
          if (m?.[1] !== k.name) continue;
          flagged++;
          if (!(profile.kfuncFlags(k, pt) ?? []).includes(flag)) bad.push(`${r.object}/${r.program} (${pt}): "${lines[i + 1]}" but ${k.name} lacks ${flag} here`);
        }
        if (lines[i + 1] === `calling kernel function ${k.name} is not allowed`) {
          refused++;
          if (verdict.allowed && verdict.routes.every((x) => x.filters.length === 0)) bad.push(`${r.object}/${r.program} (${pt}): ${k.name} refused by the kernel, allowed here`);
        } else {
          accepted++;
          if (!verdict.allowed) bad.push(`${r.object}/${r.program} (${pt}): ${k.name} accepted by the kernel, refused here`);
        }
      }
    }
    assert.deepEqual(bad, []);
    process.stdout.write(`# ${accepted} accepted and ${refused} refused kfunc calls, ${flagged} flag messages checked\n`);
    assert.ok(accepted > 500 && refused > 0, `${accepted} accepted, ${refused} refused`);
  });
});
