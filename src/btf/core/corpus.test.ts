// CO-RE results against what libbpf handed the 7.2 kernel for two corpus objects
// (test/fixtures/btf/*.core.json, written by scripts/gen/btf-fixtures.mjs from
// results-7.2.jsonl): every relocated instruction must come out byte-identical.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseBtf } from "../parse.js";
import { parseBtfExt } from "../ext.js";
import { loadBundledVmlinuxBtf } from "../source.js";
import { fixturePath, readFixture } from "../fixtures.test-util.js";
import { coreCalcReloInsn } from "./calc.js";
import { newCoreCandCache, type CoreTarget } from "./candidates.js";
import { coreApplyToInsn, type CoreInsn } from "./patch.js";

interface Expect {
  object: string;
  sections: { secName: string; code: string; relos: { reloIdx: number; program: string; btfCustomPath: string | null; insnIdx: number; want: string }[] }[];
}

function insnsOf(hex: string): CoreInsn[] {
  const b = Buffer.from(hex, "hex");
  const out: CoreInsn[] = [];
  for (let o = 0; o + 8 <= b.length; o += 8) out.push({ code: b[o]!, dst: b[o + 1]! & 15, src: b[o + 1]! >> 4, off: b.readInt16LE(o + 2), imm: b.readInt32LE(o + 4) });
  return out;
}

function hexOf(insns: readonly CoreInsn[]): string {
  return insns
    .map((x) => {
      const b = Buffer.alloc(8);
      b[0] = x.code;
      b[1] = x.dst | (x.src << 4);
      b.writeInt16LE(x.off, 2);
      b.writeInt32LE(x.imm, 4);
      return b.toString("hex");
    })
    .join("");
}

function check(name: string, targetFor: (custom: string | null) => CoreTarget): number {
  const exp = JSON.parse(readFileSync(fixturePath(`${name}.core.json`), "utf8")) as Expect;
  const btf = parseBtf(readFixture(`${name}.btf`));
  const ext = parseBtfExt(readFixture(`${name}.btf.ext`), btf);
  let checked = 0;
  for (const sec of exp.sections) {
    const records = ext.coreRelos.find((s) => s.secName === sec.secName)!.records;
    const insns = insnsOf(sec.code);
    // test_loader loads one program per object open: one candidate cache per program
    const caches = new Map<string, ReturnType<typeof newCoreCandCache>>();
    for (const r of sec.relos) {
      if (!caches.has(r.program)) caches.set(r.program, newCoreCandCache());
      const relo = records[r.reloIdx]!;
      const res = coreCalcReloInsn({ progName: r.program, localBtf: btf, target: targetFor(r.btfCustomPath), cache: caches.get(r.program)! }, relo, r.reloIdx);
      const patch = coreApplyToInsn(r.program, insns, r.insnIdx, r.reloIdx, res);
      assert.equal(hexOf(patch.insns), r.want, `${name} ${sec.secName} relo #${r.reloIdx} (${relo.kind} ${relo.accessStr})`);
      checked++;
    }
  }
  return checked;
}

test("test_wakeup_source: 28 relocations against the 7.2 vmlinux BTF", () => {
  const vmlinux = loadBundledVmlinuxBtf();
  assert.equal(check("test_wakeup_source", () => ({ vmlinux })), 28);
});

test("verifier_bitfield_write: 105 bitfield relocations against its custom target BTF", () => {
  const custom = parseBtf(readFixture("btf__core_reloc_bitfields.btf"));
  const n = check("verifier_bitfield_write", (p) => {
    assert.equal(p, "btf__core_reloc_bitfields.bpf.o");
    return { vmlinux: custom, vmlinuxOverride: true };
  });
  assert.equal(n, 105);
});
