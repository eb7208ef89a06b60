// Raw map fds in ld_imm64 (selftests verifier_map_ret_val.c map_fd_for_function_call,
// verifier_cgroup_storage.c invalid_cgroup_storage_access_2 / cpu_cgroup_storage_access_2).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { corpusDir, loadCorpusPrograms, objectPath } from "../selftest/index.js";
import { loadObject } from "../loader/index.js";
import type { MapInfo } from "../verifier/input.js";
import { withRawMapFds } from "./raw-map-fds.js";
import { verifyProgram } from "./verify-program.js";

test("withRawMapFds: each raw fd gets a 'not a map' entry after the object's maps", () => {
  const ld = (imm: number) => [{ code: 0x18, dst: 1, src: 1, off: 0, imm }, { code: 0, dst: 0, src: 0, off: 0, imm: 0 }];
  const insns = [...ld(0), ...ld(1), { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];
  const maps: MapInfo[] = [{ name: "m", type: "BPF_MAP_TYPE_HASH", keySize: 8, valueSize: 8, maxEntries: 1, flags: 0 }];
  assert.deepEqual(withRawMapFds(insns, maps, []), { insns, maps });
  const r = withRawMapFds(insns, maps, [2]);
  assert.equal(r.insns[0]!.imm, 0, "a relocated insn keeps its map index");
  assert.equal(r.insns[2]!.imm, 1);
  assert.deepEqual(r.maps[1], { name: "", type: "", keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, fd: 1 });
  assert.equal(insns[2]!.imm, 1, "the loader's insns are not changed");
  assert.equal(maps.length, 1);
});

test("the loader finds the same raw-fd ld_imm64 insns the corpus recorded, and the kernel's message follows", () => {
  const progs = loadCorpusPrograms();
  const objects = [...new Set(progs.filter((p) => p.unresolvedMapFdInsns.length).map((p) => p.object))];
  assert.ok(objects.length >= 2);
  for (const object of objects) {
    const lo = loadObject(readFileSync(objectPath(object, corpusDir())), { file: object });
    for (const p of lo.programs) {
      const rec = progs.find((q) => q.object === object && q.program === p.name);
      if (!rec) continue;
      assert.deepEqual(p.rawMapFdInsns, rec.unresolvedMapFdInsns, `${object}/${p.name}`);
    }
  }
  const lo = loadObject(readFileSync(objectPath("verifier_map_ret_val.bpf.o", corpusDir())), { file: "verifier_map_ret_val.bpf.o" });
  const r = verifyProgram(lo.programs.find((p) => p.name === "map_fd_for_function_call")!, { logLevel: 1 });
  assert.equal(r.verdict, "failure");
  assert.match(r.log, /^fd 0 is not pointing to valid bpf_map\n/);
});
