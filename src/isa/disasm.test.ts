import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { funcIdName, printBpfInsn, printDecoded, printProgram, verifierInsnCallbacks, type InsnCallbacks } from "./disasm.js";
import { decodeInsn } from "./decode.js";
import { rawInsnsFromHex, rawInsnsToHex, type RawInsn } from "./raw.js";
import { encode } from "./encode.js";

const r = (code: number, dst = 0, src = 0, off = 0, imm = 0): RawInsn => ({ code, dst, src, off, imm });
const noKfuncBtf = verifierInsnCallbacks(() => undefined);

// Pairs the 7.2 kernel printed in the corpus logs (scripts/fixtures/isa-disasm.mjs).
test("corpus: every insn text the 7.2 kernel printed is reproduced", () => {
  const path = new URL("../../../test/fixtures/isa/disasm-7.2.jsonl", import.meta.url);
  const rows = readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { hex: string; text: string; kfunc?: string });
  assert.ok(rows.length > 1000, `fixture has only ${rows.length} rows`);
  const bad: string[] = [];
  for (const row of rows) {
    const [insn, next] = rawInsnsFromHex(row.hex);
    // A kfunc's name comes from BTF; the fixture carries the one the kernel printed.
    const cbs: InsnCallbacks = row.kfunc !== undefined ? verifierInsnCallbacks(() => row.kfunc) : noKfuncBtf;
    const got = printBpfInsn(insn!, next, cbs);
    if (got !== row.text) bad.push(`${row.hex}: want ${JSON.stringify(row.text)} got ${JSON.stringify(got)}`);
  }
  assert.deepEqual(bad, []);
});

// Forms absent from the corpus logs; expected text from disasm.c's format strings.
const HAND: { name: string; insn: RawInsn; next?: RawInsn; want: string; cbs?: InsnCallbacks; leaks?: boolean }[] = [
  { name: "ld_abs u16", insn: r(0x28, 0, 0, 0, 12), want: "(28) r0 = *(u16 *)skb[12]" },
  { name: "ld_ind u32", insn: r(0x40, 0, 7, 0, -2), want: "(40) r0 = *(u32 *)skb[r7 + -2]" },
  { name: "ldx s16", insn: r(0x89, 1, 2, -6), want: "(89) r1 = *(s16 *)(r2 -6)" },
  { name: "ldx s32 +0", insn: r(0x81, 1, 2, 0), want: "(81) r1 = *(s32 *)(r2 +0)" },
  { name: "movsx64 s32", insn: r(0xbf, 1, 2, 32), want: "(bf) r1 = (s32)r2" },
  { name: "movsx32 s16", insn: r(0xbc, 3, 4, 16), want: "(bc) w3 = (s16)w4" },
  { name: "sdiv32 imm", insn: r(0x34, 1, 0, 1, -3), want: "(34) w1 s/= -3" },
  { name: "smod64 reg", insn: r(0x9f, 1, 2, 1), want: "(9f) r1 s%= r2" },
  { name: "neg32", insn: r(0x84, 5), want: "(84) w5 = -w5" },
  { name: "be32", insn: r(0xdc, 2, 0, 0, 32), want: "(dc) r2 = be32 r2" },
  { name: "bswap64", insn: r(0xd7, 2, 0, 0, 64), want: "(d7) r2 = bswap64 r2" },
  { name: "addr_space_cast 0->1", insn: r(0xbf, 1, 2, 1, 0x10000), want: "(bf) r1 = addr_space_cast(r2, 1, 0)" },
  { name: "percpu mov (internal)", insn: r(0xbf, 1, 2, -1), want: "(bf) r1 = &(void __percpu *)(r2)" },
  { name: "store_release u16", insn: r(0xcb, 1, 2, 2, 0x110), want: "(cb) store_release((u16 *)(r1 +2), r2)" },
  { name: "load_acquire u64", insn: r(0xdb, 0, 1, -8, 0x100), want: "(db) r0 = load_acquire((u64 *)(r1 -8))" },
  { name: "atomic fetch_and u32", insn: r(0xc3, 1, 2, 0, 0x51), want: "(c3) r2 = atomic_fetch_and((u32 *)(r1 +0), r2)" },
  { name: "lock xor u64", insn: r(0xdb, 1, 2, 8, 0xa0), want: "(db) lock *(u64 *)(r1 +8) ^= r2" },
  { name: "cmpxchg u32", insn: r(0xc3, 1, 2, 0, 0xf1), want: "(c3) r0 = atomic_cmpxchg((u32 *)(r1 +0), r0, r2)" },
  { name: "unknown atomic", insn: r(0xdb, 1, 2, 0, 0x10), want: "BUG_db" },
  { name: "nospec", insn: r(0xc2), want: "(c2) nospec" },
  { name: "st in bad mode", insn: r(0x22), want: "BUG_st_22" },
  { name: "ldx bad mode", insn: r(0x21), want: "BUG_ldx_21" },
  { name: "ld bad mode", insn: r(0x60), want: "BUG_ld_60" },
  { name: "jmp32 jsle reg", insn: r(0xde, 1, 2, -4), want: "(de) if w1 s<= w2 goto pc-4" },
  { name: "jmp32 jsge imm negative", insn: r(0x76, 1, 0, 2, -1), want: "(76) if w1 s>= 0xffffffff goto pc+2" },
  { name: "jset reg", insn: r(0x4d, 1, 2, 0), want: "(4d) if r1 & r2 goto pc+0" },
  { name: "gotol negative", insn: r(0x06, 0, 0, 0, -70000), want: "(06) gotol pc-70000" },
  { name: "gotox", insn: r(0x0d, 4), want: "(0d) gotox r4" },
  { name: "may_goto", insn: r(0xe5, 0, 0, -2), want: "(e5) may_goto pc-2" },
  { name: "helper", insn: r(0x85, 0, 0, 0, 1), want: "(85) call bpf_map_lookup_elem#1" },
  { name: "helper id 0", insn: r(0x85, 0, 0, 0, 0), want: "(85) call bpf_unspec#0" },
  { name: "helper out of range", insn: r(0x85, 0, 0, 0, 5000), want: "(85) call unknown#5000" },
  { name: "pseudo call backwards", insn: r(0x85, 0, 1, 0, -7), want: "(85) call pc-7" },
  { name: "kfunc without BTF name: <error>", insn: r(0x85, 0, 2, 1, 77), want: "(85) call <error>#77" },
  { name: "kfunc without cb_call", insn: r(0x85, 0, 2, 0, 77), want: "(85) call kernel-function#77", cbs: {} },
  { name: "kfunc named", insn: r(0x85, 0, 2, 0, 12345), want: "(85) call bpf_foo#12345", cbs: verifierInsnCallbacks((idx, id) => (idx === 0 && id === 12345 ? "bpf_foo" : undefined)) },
  { name: "ld_imm64 plain", insn: r(0x18, 3, 0, 0, -1), next: r(0, 0, 0, 0, 1), want: "(18) r3 = 0x1ffffffff" },
  { name: "ld_imm64 func", insn: r(0x18, 2, 4, 0, 6), next: r(0), want: "(18) r2 = 0x6" },
  { name: "ld_imm64 map fd, pointers hidden", insn: r(0x18, 1, 1, 0, 5), next: r(0), want: "(18) r1 = 0x0", leaks: false },
  { name: "ld_imm64 plain, pointers hidden: value kept", insn: r(0x18, 1, 0, 0, 5), next: r(0), want: "(18) r1 = 0x5", leaks: false },
  { name: "ld_imm64 cb_imm", insn: r(0x18, 1, 1, 0, 5), next: r(0), want: "(18) r1 = map[id:5]", cbs: { immText: (_i, v) => `map[id:${v}]` } },
];

test("print_bpf_insn: forms absent from the corpus, from the kernel's format strings", () => {
  for (const c of HAND) {
    const got = printBpfInsn(c.insn, c.next, c.cbs ?? noKfuncBtf, c.leaks === undefined ? {} : { allowPtrLeaks: c.leaks });
    assert.equal(got, c.want, c.name);
  }
});

test("printDecoded uses the raw slots (including an ld_imm64's second)", () => {
  assert.equal(printDecoded(decodeInsn(r(0x18, 1, 0, 0, 2), r(0, 0, 0, 0, 3))), "(18) r1 = 0x300000002");
  assert.equal(printDecoded(decodeInsn(r(0xb7, 0, 0, 0, 0))), "(b7) r0 = 0");
});

test("funcIdName mirrors func_id_name", () => {
  assert.equal(funcIdName(1), "bpf_map_lookup_elem");
  assert.equal(funcIdName(211), "bpf_cgrp_storage_delete");
  assert.equal(funcIdName(212), "unknown");
  assert.equal(funcIdName(-1), "unknown");
});

test("corpus: every insn the kernel printed during the walk decodes to a valid form and re-encodes to the same bytes", () => {
  const path = new URL("../../../test/fixtures/isa/disasm-7.2.jsonl", import.meta.url);
  const rows = readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { hex: string });
  for (const row of rows) {
    const [insn, next] = rawInsnsFromHex(row.hex);
    const d = decodeInsn(insn!, next);
    assert.notEqual(d.kind, "invalid", row.hex);
    assert.equal(rawInsnsToHex(encode(d)), row.hex);
  }
});

test("printProgram numbers insns by slot and skips ld_imm64 second slots", () => {
  const slots = [r(0x18, 1, 0, 0, 1), r(0), r(0xb7, 0, 0, 0, 0), r(0x95)];
  assert.deepEqual(printProgram(slots), ["0: (18) r1 = 0x1", "2: (b7) r0 = 0", "3: (95) exit"]);
});
