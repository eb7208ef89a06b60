// test/corpus holds what the import promised: every object, every recorded program, and the
// ld_imm64 map references normalized to indexes into the program's map list.
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { corpusDir, loadCorpusLogs, loadCorpusPrograms, loadSets, objectPath, programKey, sourceOf } from "./corpus.js";

test("corpus files: 231 objects, 2793 programs with logs, 2759 tests, module BTFs, sets", () => {
  const dir = corpusDir();
  assert.equal(readdirSync(join(dir, "objs")).filter((f) => f.endsWith(".bpf.o")).length, 231);
  for (const m of ["bpf_testmod", "nf_conntrack", "nf_nat", "nf_defrag_ipv4", "nf_defrag_ipv6"]) assert.ok(existsSync(join(dir, "btf", `${m}.btf`)), m);
  const programs = loadCorpusPrograms();
  const logs = loadCorpusLogs();
  assert.equal(programs.length, 2793);
  assert.equal(programs.filter((p) => p.judged).length, 2759);
  assert.equal(programs.filter((p) => p.kernel.loaded).length, 1566);
  for (const p of programs) {
    assert.ok(existsSync(objectPath(p.object)), p.object);
    assert.ok(logs.has(programKey(p.object, p.program)), `${p.object}/${p.program} has no log`);
  }
  // every source a set names was compiled into an object here
  const objects = new Set(programs.map((p) => sourceOf(p.object)));
  for (const [name, files] of Object.entries(loadSets().sets)) {
    for (const f of files) assert.ok(objects.has(f), `set ${name}: ${f} has no object`);
  }
});

test("ld_imm64 map references hold indexes into `maps` (except the 3 deliberate non-map fds)", () => {
  let refs = 0;
  for (const p of loadCorpusPrograms()) {
    const b = Buffer.from(p.insnsHex, "hex");
    assert.equal(b.length / 8, p.insnCnt, `${p.object}/${p.program}: insn count`);
    for (let i = 0; i < p.insnCnt; i++) {
      if (b[i * 8] !== 0x18) continue;
      const src = b[i * 8 + 1]! >> 4;
      if (src === 1 || src === 2) {
        const imm = b.readInt32LE(i * 8 + 4);
        if (!p.unresolvedMapFdInsns.includes(i)) {
          assert.ok(imm >= 0 && imm < p.maps.length, `${p.object}/${p.program} insn ${i}: map index ${imm} of ${p.maps.length}`);
          refs++;
        }
      }
      i++; // second half of ld_imm64
    }
  }
  assert.ok(refs > 1500, `only ${refs} map references checked`);
  const unresolved = loadCorpusPrograms().filter((p) => p.unresolvedMapFdInsns.length).map((p) => p.program).sort();
  assert.deepEqual(unresolved, ["cpu_cgroup_storage_access_2", "invalid_cgroup_storage_access_2", "map_fd_for_function_call"]);
});
