// Reading the annotations from the corpus objects' BTF must give what the recording loader
// (libbpf's BTF + glibc's strverscmp) recorded for every one of the 2,793 programs.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { type Btf } from "../btf/index.js";
import { programDeclTags, objectBtf } from "./btf-tags.js";
import { loadCorpusPrograms, objectPath } from "./corpus.js";

test("decl tags from the objects' BTF equal the recorded annotations, in order", () => {
  const btfs = new Map<string, Btf>();
  const mismatches: string[] = [];
  let withTags = 0;
  for (const p of loadCorpusPrograms()) {
    let btf = btfs.get(p.object);
    if (!btf) {
      btf = objectBtf(readFileSync(objectPath(p.object)), p.object);
      btfs.set(p.object, btf);
    }
    const tags = programDeclTags(btf, p.program);
    assert.ok(tags, `${p.object}/${p.program}: no FUNC in BTF`);
    if (tags.length) withTags++;
    if (JSON.stringify(tags) !== JSON.stringify(p.annotations)) mismatches.push(`${p.object}/${p.program}`);
  }
  assert.deepEqual(mismatches, []);
  assert.ok(withTags > 2700, `only ${withTags} programs carry tags`);
});
