// Cross-check of the argument kinds against the 7.2 kernel itself: in the corpus
// logs (test/corpus/logs.jsonl.gz, recorded from the real kernel), every
// kfunc-argument message right after `N: (85) call NAME#ID` names an argument and
// implies what kind the kernel gave it (e.g. "R1 expected pointer to an iterator
// on stack" is only printed for KF_ARG_PTR_TO_ITER). Our kind for that argument
// must be one of the kinds the message allows (or a register-dependent alternative
// we list for it).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { loadProfile } from "../profile.js";
import { findProgType } from "../progtypes/index.js";
import type { KfuncArgKind } from "./argKinds.js";
import { kfuncProto } from "./proto.js";

function corpusDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const p = join(dir, "test", "corpus");
    if (existsSync(join(p, "logs.jsonl.gz"))) return p;
    dir = dirname(dir);
  }
  return undefined;
}

const PTR_KINDS: readonly KfuncArgKind[] = [
  "KF_ARG_PTR_TO_CTX", "KF_ARG_PTR_TO_ALLOC_BTF_ID", "KF_ARG_PTR_TO_REFCOUNTED_KPTR", "KF_ARG_PTR_TO_DYNPTR",
  "KF_ARG_PTR_TO_ITER", "KF_ARG_PTR_TO_LIST_HEAD", "KF_ARG_PTR_TO_LIST_NODE", "KF_ARG_PTR_TO_BTF_ID",
  "KF_ARG_PTR_TO_MEM", "KF_ARG_PTR_TO_MEM_SIZE", "KF_ARG_PTR_TO_CALLBACK", "KF_ARG_PTR_TO_RB_ROOT",
  "KF_ARG_PTR_TO_RB_NODE", "KF_ARG_PTR_TO_NULL", "KF_ARG_PTR_TO_CONST_STR", "KF_ARG_PTR_TO_MAP",
  "KF_ARG_PTR_TO_TIMER", "KF_ARG_PTR_TO_WORKQUEUE", "KF_ARG_PTR_TO_IRQ_FLAG", "KF_ARG_PTR_TO_RES_SPIN_LOCK",
  "KF_ARG_PTR_TO_TASK_WORK", "unsupported_ptr",
];

/** kfunc-argument messages of check_kfunc_args and the kinds that print them (argument = group 1). */
const MESSAGES: readonly [RegExp, readonly KfuncArgKind[]][] = [
  [/^(\S+) expected pointer to an iterator on stack$/, ["KF_ARG_PTR_TO_ITER"]],
  [/^expected (?:an initialized|uninitialized) iter_\w+ as (\S+)$/, ["KF_ARG_PTR_TO_ITER"]],
  [/^expected valid iter pointer as (\S+)$/, ["KF_ARG_PTR_TO_ITER"]],
  [/^(\S+) expected pointer to ctx, but got /, ["KF_ARG_PTR_TO_CTX"]],
  [/^Expected an initialized dynptr as (\S+)$/, ["KF_ARG_PTR_TO_DYNPTR"]],
  [/^Expected a dynptr of type \S+ as (\S+)$/, ["KF_ARG_PTR_TO_DYNPTR"]],
  [/^(\S+) expected pointer to stack or const struct bpf_dynptr$/, ["KF_ARG_PTR_TO_DYNPTR"]],
  [/^(\S+) must be referenced or trusted$/, ["KF_ARG_PTR_TO_BTF_ID", "KF_ARG_PTR_TO_ALLOC_BTF_ID", "KF_ARG_PTR_TO_MAP"]],
  [/^(\S+) must be a rcu pointer$/, ["KF_ARG_PTR_TO_BTF_ID", "KF_ARG_PTR_TO_ALLOC_BTF_ID", "KF_ARG_PTR_TO_MAP"]],
  [/^(\S+) is not a scalar$/, ["scalar", "scalar_const", "scalar_buf_size", "size"]],
  [/^(\S+) must be a known constant$/, ["scalar_const", "size"]],
  [/^Unrecognized (\S+) type \w+$/, ["unrecognized"]],
  [/^(\S+) expected pointer to allocated object$/, ["KF_ARG_PTR_TO_ALLOC_BTF_ID", "KF_ARG_PTR_TO_LIST_NODE", "KF_ARG_PTR_TO_RB_NODE"]],
  [/^(\S+) expected pointer to map value or allocated object$/, ["KF_ARG_PTR_TO_LIST_HEAD", "KF_ARG_PTR_TO_RB_ROOT"]],
  [/^(\S+) doesn't point to an irq flag on stack$/, ["KF_ARG_PTR_TO_IRQ_FLAG"]],
  [/^expected (?:an initialized|uninitialized) irq flag as (\S+)$/, ["KF_ARG_PTR_TO_IRQ_FLAG"]],
  [/^(\S+) doesn't point to a const string$/, ["KF_ARG_PTR_TO_CONST_STR"]],
  [/^(\S+) expected pointer to func$/, ["KF_ARG_PTR_TO_CALLBACK"]],
  [/^(\S+) doesn't point to a map value$/, ["KF_ARG_PTR_TO_WORKQUEUE", "KF_ARG_PTR_TO_TIMER", "KF_ARG_PTR_TO_TASK_WORK"]],
  [/^(\S+) is neither owning or non-owning ref$/, ["KF_ARG_PTR_TO_REFCOUNTED_KPTR"]],
  [/^pointer in (\S+) isn't map pointer$/, ["KF_ARG_PTR_TO_MAP"]],
  [/^(\S+) doesn't point to map value or allocated object$/, ["KF_ARG_PTR_TO_RES_SPIN_LOCK"]],
  [/^(\S+) expected for bpf_(?:percpu_)?obj_drop\(\)$/, ["KF_ARG_PTR_TO_ALLOC_BTF_ID"]],
  [/^kernel function \S+ (\S+) expected pointer to /, ["KF_ARG_PTR_TO_BTF_ID", "KF_ARG_PTR_TO_MAP"]],
  // get_kfunc_ptr_arg_type's last resort: no special kind matched and the register is no BTF pointer
  [/^(\S+) pointer type \w+ \S* must point to /, ["KF_ARG_PTR_TO_BTF_ID", "KF_ARG_PTR_TO_MEM", "KF_ARG_PTR_TO_MEM_SIZE", "unsupported_ptr"]],
  [/^(\S+) cannot write into \w+$/, ["KF_ARG_PTR_TO_MEM", "KF_ARG_PTR_TO_MEM_SIZE"]],
  [/^(\S+) unbounded memory access, use /, ["size"]],
  [/^(\S+) must have zero offset when passed to release func or trusted arg to kfunc$/, PTR_KINDS],
  [/^Possibly NULL pointer passed to trusted (\S+)$/, PTR_KINDS],
  [/^release kfunc \S+ expects referenced PTR_TO_BTF_ID passed to (\S+)$/, PTR_KINDS],
];

interface LogRow { object: string; program: string; log: string | null }
interface ProgRow { object: string; program: string; progTypeLoaded: string | null; progType: string }

function jsonl<T>(path: string): T[] {
  return gunzipSync(readFileSync(path)).toString("utf8").trimEnd().split("\n").map((l) => JSON.parse(l) as T);
}

describe("kfunc argument kinds against the kernel's messages in the 7.2 corpus", () => {
  const dir = corpusDir();
  it("every kfunc-argument message names an argument of a kind that prints it", { skip: dir ? false : "test/corpus not present" }, () => {
    const btf = (n: string) => ({ name: n, path: join(dir!, "btf", `${n}.btf`) });
    const profile = loadProfile({ moduleBtfs: ["bpf_testmod", "nf_conntrack", "nf_nat"].map(btf) });
    const progs = new Map(jsonl<ProgRow>(join(dir!, "programs.jsonl.gz")).map((p) => [`${p.object}/${p.program}`, p]));
    const bad: string[] = [];
    let checked = 0;
    for (const r of jsonl<LogRow>(join(dir!, "logs.jsonl.gz"))) {
      if (!r.log) continue;
      const lines = r.log.split("\n");
      for (let i = 1; i < lines.length; i++) {
        const call = /^\d+: \(85\) call (\w+)#(\d+)$/.exec(lines[i - 1]!);
        if (!call) continue;
        const k = profile.kfuncByName(call[1]!);
        if (!k || k.btfId !== Number(call[2])) continue; // a helper, or a name we do not know
        for (const [re, kinds] of MESSAGES) {
          const m = re.exec(lines[i]!);
          if (!m) continue;
          const p = progs.get(`${r.object}/${r.program}`);
          const pt = p ? findProgType(p.progTypeLoaded ?? p.progType)?.name : undefined;
          const proto = kfuncProto(profile, k, pt);
          const arg = proto.args.find((a) => a.where === m[1]);
          checked++;
          if (!arg) bad.push(`${r.object}/${r.program}: ${k.name}: no argument ${m[1]} ("${lines[i]}")`);
          // a register-dependent alternative (a cpumask is memory unless the register is a BTF pointer) counts
          else if (!kinds.includes(arg.kind) && !arg.alternatives.some((x) => kinds.includes(x.kind))) bad.push(`${r.object}/${r.program}: ${k.name} ${arg.where} ${arg.name}: ours ${arg.kind}, kernel: "${lines[i]}"`);
        }
      }
    }
    assert.deepEqual(bad, []);
    process.stdout.write(`# ${checked} kernel messages checked\n`);
    assert.ok(checked >= 100, `only ${checked} messages checked`);
  });
});
