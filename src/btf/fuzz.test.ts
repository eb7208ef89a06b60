// Corrupt input never crashes or hangs: random byte flips in real BTF either parse
// (and then every type decodes and walks) or fail with an InputError.
import { test } from "node:test";
import assert from "node:assert/strict";
import { InputError } from "../util/errors.js";
import { parseBtf } from "./parse.js";
import { parseBtfExt } from "./ext.js";
import { btfTypeStr } from "./naming.js";
import { arrayDims, declTags, funcProto, members, resolveSize, resolveType, skipModsAndTypedefs } from "./walk.js";
import { readFixture } from "./fixtures.test-util.js";
import { loadBundledVmlinuxBtf } from "./source.js";
import { coreCalcReloInsn } from "./core/calc.js";
import { newCoreCandCache } from "./core/candidates.js";

// deterministic xorshift, so a failure reproduces
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function exercise(bytes: Uint8Array, ext?: Uint8Array): void {
  try {
    const btf = parseBtf(bytes);
    for (let id = 0; id < btf.typeCount; id++) {
      btf.type(id);
      btfTypeStr(btf, id);
      for (const f of [skipModsAndTypedefs, resolveSize, resolveType, arrayDims, members, funcProto, declTags]) {
        try {
          f(btf, id);
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
        }
      }
    }
    btf.findByName("x");
    if (ext) {
      const x = parseBtfExt(ext, btf);
      const target = { vmlinux: loadBundledVmlinuxBtf() };
      const cache = newCoreCandCache();
      for (const sec of x.coreRelos) {
        sec.records.forEach((r, i) => {
          try {
            coreCalcReloInsn({ progName: "p", localBtf: btf, target, cache }, r, i);
          } catch (e) {
            if (!(e instanceof InputError)) throw e;
          }
        });
      }
    }
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
  }
}

test("random corruption of BTF and .BTF.ext gives InputErrors only, in parsing, walking and CO-RE", () => {
  const btf = readFixture("test_wakeup_source.btf");
  const ext = readFixture("test_wakeup_source.btf.ext");
  const next = rng(0x5eed);
  let parsed = 0;
  for (let round = 0; round < 300; round++) {
    const b = btf.slice();
    const e = ext.slice();
    const flips = 1 + (next() % 4);
    for (let k = 0; k < flips; k++) {
      const target = next() % 3 === 0 ? e : b;
      target[next() % target.length] = next() & 0xff;
    }
    assert.doesNotThrow(() => exercise(b, e), `round ${round}`);
    try {
      parseBtf(b);
      parsed++;
    } catch {
      // counted only to show both paths are taken
    }
  }
  assert.ok(parsed > 0 && parsed < 300, `parsed ${parsed} of 300`);
});
