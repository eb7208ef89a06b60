import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeBytes, decodeInsn, decodeProgram, findInvalid } from "./decode.js";
import { encode, encodeProgram } from "./encode.js";
import { KNOWN_OPCODES } from "./opcode-table.js";
import { InputError } from "../util/errors.js";
import { readFileSync } from "node:fs";
import { rawInsnsFromHex, type RawInsn } from "./raw.js";
import type { Insn } from "./types.js";

const r = (code: number, dst = 0, src = 0, off = 0, imm = 0): RawInsn => ({ code, dst, src, off, imm });
const Z: RawInsn = r(0);

/** Decoded fields without `raw`, for comparisons. */
function fields(i: Insn): Record<string, unknown> {
  const { raw: _raw, ...rest } = i as Insn & { raw2?: RawInsn };
  delete (rest as { raw2?: RawInsn }).raw2;
  return rest;
}

// Expected decodings written from the UAPI encodings (bpf.h, instruction-set.rst).
const VALID: { name: string; raw: RawInsn; next?: RawInsn; want: Record<string, unknown> }[] = [
  { name: "mov64 imm", raw: r(0xb7, 0, 0, 0, 7), want: { kind: "alu", op: "mov", is64: true, dst: 0, src: { type: "imm", imm: 7 } } },
  { name: "mov32 reg", raw: r(0xbc, 1, 2), want: { kind: "alu", op: "mov", is64: false, dst: 1, src: { type: "reg", reg: 2 } } },
  { name: "add64 reg", raw: r(0x0f, 3, 4), want: { kind: "alu", op: "add", is64: true, dst: 3, src: { type: "reg", reg: 4 } } },
  { name: "sdiv64 imm (off 1)", raw: r(0x37, 1, 0, 1, 3), want: { kind: "alu", op: "sdiv", is64: true, dst: 1, src: { type: "imm", imm: 3 } } },
  { name: "smod32 reg (off 1)", raw: r(0x9c, 1, 2, 1), want: { kind: "alu", op: "smod", is64: false, dst: 1, src: { type: "reg", reg: 2 } } },
  { name: "div64 reg", raw: r(0x3f, 1, 2), want: { kind: "alu", op: "div", is64: true, dst: 1, src: { type: "reg", reg: 2 } } },
  { name: "arsh32 imm", raw: r(0xc4, 1, 0, 0, 5), want: { kind: "alu", op: "arsh", is64: false, dst: 1, src: { type: "imm", imm: 5 } } },
  { name: "movsx64 s32", raw: r(0xbf, 1, 2, 32), want: { kind: "movsx", is64: true, dst: 1, srcReg: 2, bits: 32 } },
  { name: "movsx32 s8", raw: r(0xbc, 1, 2, 8), want: { kind: "movsx", is64: false, dst: 1, srcReg: 2, bits: 8 } },
  { name: "neg64", raw: r(0x87, 4), want: { kind: "neg", is64: true, dst: 4 } },
  { name: "neg32", raw: r(0x84, 4), want: { kind: "neg", is64: false, dst: 4 } },
  { name: "le16", raw: r(0xd4, 1, 0, 0, 16), want: { kind: "endian", order: "le", bits: 16, dst: 1 } },
  { name: "be64", raw: r(0xdc, 1, 0, 0, 64), want: { kind: "endian", order: "be", bits: 64, dst: 1 } },
  { name: "bswap32", raw: r(0xd7, 1, 0, 0, 32), want: { kind: "bswap", bits: 32, dst: 1 } },
  { name: "addr_space_cast 1->0", raw: r(0xbf, 1, 2, 1, 1), want: { kind: "addr_space_cast", dst: 1, srcReg: 2, dstAs: 0, srcAs: 1 } },
  { name: "addr_space_cast 0->1", raw: r(0xbf, 1, 2, 1, 0x10000), want: { kind: "addr_space_cast", dst: 1, srcReg: 2, dstAs: 1, srcAs: 0 } },
  { name: "ldx u32", raw: r(0x61, 1, 2, -4), want: { kind: "ldx", size: 4, signExtend: false, dst: 1, src: 2, off: -4 } },
  { name: "ldx s16 (MEMSX)", raw: r(0x89, 1, 2, 6), want: { kind: "ldx", size: 2, signExtend: true, dst: 1, src: 2, off: 6 } },
  { name: "st u64", raw: r(0x7a, 10, 0, -8, -1), want: { kind: "st", size: 8, dst: 10, off: -8, imm: -1 } },
  { name: "stx u8", raw: r(0x73, 10, 1, -1), want: { kind: "stx", size: 1, dst: 10, src: 1, off: -1 } },
  { name: "stack arg load r11+8", raw: r(0x79, 1, 11, 8), want: { kind: "stack_arg_load", dst: 1, off: 8 } },
  { name: "stack arg store r11-16 = r3", raw: r(0x7b, 11, 3, -16), want: { kind: "stack_arg_store", off: -16, src: { type: "reg", reg: 3 } } },
  { name: "stack arg store r11-8 = imm", raw: r(0x7a, 11, 0, -8, 5), want: { kind: "stack_arg_store", off: -8, src: { type: "imm", imm: 5 } } },
  { name: "atomic add u64", raw: r(0xdb, 1, 2, 0, 0x00), want: { kind: "atomic", op: "add", fetch: false, size: 8, dst: 1, src: 2, off: 0 } },
  { name: "atomic fetch_or u32", raw: r(0xc3, 1, 2, 4, 0x41), want: { kind: "atomic", op: "or", fetch: true, size: 4, dst: 1, src: 2, off: 4 } },
  { name: "xchg", raw: r(0xdb, 1, 2, 0, 0xe1), want: { kind: "atomic", op: "xchg", fetch: true, size: 8, dst: 1, src: 2, off: 0 } },
  { name: "cmpxchg", raw: r(0xc3, 1, 2, 0, 0xf1), want: { kind: "atomic", op: "cmpxchg", fetch: true, size: 4, dst: 1, src: 2, off: 0 } },
  { name: "load_acquire u8", raw: r(0xd3, 0, 1, 0, 0x100), want: { kind: "load_acquire", size: 1, dst: 0, src: 1, off: 0 } },
  { name: "store_release u16", raw: r(0xcb, 1, 2, 2, 0x110), want: { kind: "store_release", size: 2, dst: 1, src: 2, off: 2 } },
  { name: "ld_abs u16", raw: r(0x28, 0, 0, 0, 12), want: { kind: "ld_abs", size: 2, imm: 12 } },
  { name: "ld_ind u8", raw: r(0x50, 0, 3, 0, 1), want: { kind: "ld_ind", size: 1, src: 3, imm: 1 } },
  { name: "ld_imm64 plain", raw: r(0x18, 1, 0, 0, -1), next: r(0, 0, 0, 0, 0x12), want: { kind: "ld_imm64", src: "imm", dst: 1, imm: -1, imm2: 0x12, value: 0x12ffffffffn } },
  { name: "ld_imm64 map fd", raw: r(0x18, 1, 1, 0, 5), next: Z, want: { kind: "ld_imm64", src: "BPF_PSEUDO_MAP_FD", dst: 1, imm: 5, imm2: 0, value: 5n } },
  { name: "ld_imm64 map value", raw: r(0x18, 1, 2, 0, 5), next: r(0, 0, 0, 0, 16), want: { kind: "ld_imm64", src: "BPF_PSEUDO_MAP_VALUE", dst: 1, imm: 5, imm2: 16, value: (16n << 32n) | 5n } },
  { name: "ld_imm64 btf id", raw: r(0x18, 1, 3, 0, 100), next: Z, want: { kind: "ld_imm64", src: "BPF_PSEUDO_BTF_ID", dst: 1, imm: 100, imm2: 0, value: 100n } },
  { name: "ld_imm64 func", raw: r(0x18, 2, 4, 0, 7), next: Z, want: { kind: "ld_imm64", src: "BPF_PSEUDO_FUNC", dst: 2, imm: 7, imm2: 0, value: 7n } },
  { name: "ld_imm64 map idx", raw: r(0x18, 1, 5, 0, 0), next: Z, want: { kind: "ld_imm64", src: "BPF_PSEUDO_MAP_IDX", dst: 1, imm: 0, imm2: 0, value: 0n } },
  { name: "ld_imm64 map idx value", raw: r(0x18, 1, 6, 0, 1), next: r(0, 0, 0, 0, 8), want: { kind: "ld_imm64", src: "BPF_PSEUDO_MAP_IDX_VALUE", dst: 1, imm: 1, imm2: 8, value: (8n << 32n) | 1n } },
  { name: "goto", raw: r(0x05, 0, 0, -3), want: { kind: "ja", form: "goto", delta: -3 } },
  { name: "gotol", raw: r(0x06, 0, 0, 0, 70000), want: { kind: "ja", form: "gotol", delta: 70000 } },
  { name: "gotox", raw: r(0x0d, 3), want: { kind: "gotox", dst: 3 } },
  { name: "may_goto", raw: r(0xe5, 0, 0, 4), want: { kind: "may_goto", off: 4 } },
  { name: "jeq imm", raw: r(0x15, 1, 0, 2, 0), want: { kind: "jmp", op: "jeq", is32: false, dst: 1, src: { type: "imm", imm: 0 }, off: 2 } },
  { name: "jsle32 reg", raw: r(0xde, 1, 2, -1), want: { kind: "jmp", op: "jsle", is32: true, dst: 1, src: { type: "reg", reg: 2 }, off: -1 } },
  { name: "jset imm", raw: r(0x45, 1, 0, 1, 8), want: { kind: "jmp", op: "jset", is32: false, dst: 1, src: { type: "imm", imm: 8 }, off: 1 } },
  { name: "helper call", raw: r(0x85, 0, 0, 0, 1), want: { kind: "helper_call", funcId: 1 } },
  { name: "pseudo call", raw: r(0x85, 0, 1, 0, 3), want: { kind: "pseudo_call", imm: 3 } },
  { name: "kfunc call", raw: r(0x85, 0, 2, 1, 12345), want: { kind: "kfunc_call", btfId: 12345, btfFdIdx: 1 } },
  { name: "exit", raw: r(0x95), want: { kind: "exit" } },
];

test("decode: each form resolves its hidden variant", () => {
  for (const c of VALID) {
    const d = decodeInsn(c.raw, c.next);
    assert.deepEqual(fields(d), c.want, c.name);
    assert.deepEqual(d.raw, c.raw, c.name);
  }
});

test("encode(decode(x)) == x for each form", () => {
  for (const c of VALID) {
    const d = decodeInsn(c.raw, c.next);
    assert.deepEqual(encode(d), c.next && d.kind === "ld_imm64" ? [c.raw, c.next] : [c.raw], c.name);
  }
});

// Messages copied from check_and_resolve_insns / check_*_fields / check_atomic (verifier.c, 7.2).
const INVALID: { name: string; raw: RawInsn; next?: RawInsn; message: string; phase?: string }[] = [
  { name: "dst r11 outside stack-arg store", raw: r(0xbf, 11, 1), message: "R11 is invalid\n" },
  { name: "dst r12 (BPF_REG_AX)", raw: r(0x7b, 12, 1, -8), message: "R12 is invalid\n" },
  { name: "r11 store with positive off", raw: r(0x7b, 11, 1, 8), message: "R11 is invalid\n" },
  { name: "r11 store not multiple of 8", raw: r(0x7b, 11, 1, -4), message: "R11 is invalid\n" },
  { name: "r11 store of u32", raw: r(0x63, 11, 1, -8), message: "R11 is invalid\n" },
  { name: "src r11 load with negative off", raw: r(0x79, 1, 11, -8), message: "R11 is invalid\n" },
  { name: "src r11 in alu", raw: r(0x0f, 1, 11), message: "R11 is invalid\n" },
  { name: "src r15", raw: r(0x0f, 1, 15), message: "R15 is invalid\n" },
  { name: "ld_imm64 last slot", raw: r(0x18, 1, 0, 0, 1), message: "invalid bpf_ld_imm64 insn\n" },
  { name: "ld_imm64 bad second slot", raw: r(0x18, 1), next: r(0x18), message: "invalid bpf_ld_imm64 insn\n" },
  { name: "ld_imm64 off", raw: r(0x18, 1, 0, 1), next: Z, message: "BPF_LD_IMM64 uses reserved fields\n" },
  { name: "ld_imm64 src 7", raw: r(0x18, 1, 7), next: Z, message: "unrecognized bpf_ld_imm64 insn\n" },
  { name: "ld_imm64 map fd with imm2", raw: r(0x18, 1, 1, 0, 3), next: r(0, 0, 0, 0, 1), message: "unrecognized bpf_ld_imm64 insn\n" },
  { name: "unknown opcode", raw: r(0xff), message: "unknown opcode ff\n" },
  { name: "alu32 neg with X bit is not in the table", raw: r(0x8c), message: "unknown opcode 8c\n" },
  { name: "alu64 end X is not in the table", raw: r(0xdf, 1, 0, 0, 16), message: "unknown opcode df\n" },
  { name: "neg with imm", raw: r(0x87, 1, 0, 0, 1), message: "BPF_NEG uses reserved fields\n" },
  { name: "end imm 8", raw: r(0xd4, 1, 0, 0, 8), message: "BPF_END uses reserved fields\n" },
  { name: "mov32 off 32", raw: r(0xbc, 1, 2, 32), message: "BPF_MOV uses reserved fields\n" },
  { name: "mov64 X imm", raw: r(0xbf, 1, 2, 0, 1), message: "BPF_MOV uses reserved fields\n" },
  { name: "mov64 K src", raw: r(0xb7, 1, 2), message: "BPF_MOV uses reserved fields\n" },
  { name: "percpu mov from user", raw: r(0xbf, 1, 2, -1), message: "BPF_MOV uses reserved fields\n" },
  { name: "addr_space_cast 2->0", raw: r(0xbf, 1, 2, 1, 2), message: "addr_space_cast insn can only convert between address space 1 and 0\n" },
  { name: "add off 1", raw: r(0x0f, 1, 2, 1), message: "BPF_ALU uses reserved fields\n" },
  { name: "div off 2", raw: r(0x37, 1, 0, 2, 1), message: "BPF_ALU uses reserved fields\n" },
  { name: "add X with imm", raw: r(0x0f, 1, 2, 0, 1), message: "BPF_ALU uses reserved fields\n" },
  { name: "ldx imm", raw: r(0x79, 1, 2, 0, 1), message: "BPF_LDX uses reserved fields\n" },
  { name: "stx imm", raw: r(0x7b, 1, 2, 0, 1), message: "BPF_STX uses reserved fields\n" },
  { name: "st src", raw: r(0x7a, 1, 2, 0, 1), message: "BPF_ST uses reserved fields\n" },
  { name: "call X", raw: r(0x8d), message: "unknown opcode 8d\n" },
  { name: "helper call with off", raw: r(0x85, 0, 0, 1, 1), message: "BPF_CALL uses reserved fields\n" },
  { name: "call src 3", raw: r(0x85, 0, 3, 0, 1), message: "BPF_CALL uses reserved fields\n" },
  { name: "call dst", raw: r(0x85, 1, 0, 0, 1), message: "BPF_CALL uses reserved fields\n" },
  { name: "gotox off", raw: r(0x0d, 1, 0, 1), message: "BPF_JA|BPF_X uses reserved fields\n" },
  { name: "goto with imm", raw: r(0x05, 0, 0, 1, 1), message: "BPF_JA uses reserved fields\n" },
  { name: "gotol with off", raw: r(0x06, 0, 0, 1, 1), message: "BPF_JA uses reserved fields\n" },
  { name: "exit with dst", raw: r(0x95, 1), message: "BPF_EXIT uses reserved fields\n" },
  { name: "may_goto imm", raw: r(0xe5, 0, 0, 1, 3), message: "invalid may_goto imm 3\n" },
  { name: "may_goto src 1", raw: r(0xe5, 0, 1, 1), message: "invalid may_goto imm 0\n" },
  { name: "jeq K with src", raw: r(0x15, 1, 2, 1), message: "BPF_JMP/JMP32 uses reserved fields\n" },
  { name: "jeq X with imm", raw: r(0x1d, 1, 2, 1, 1), message: "BPF_JMP/JMP32 uses reserved fields\n" },
  { name: "ld_abs dst", raw: r(0x20, 1), message: "BPF_LD_[ABS|IND] uses reserved fields\n" },
  { name: "ld_abs src", raw: r(0x20, 0, 1), message: "BPF_LD_[ABS|IND] uses reserved fields\n" },
  { name: "atomic unknown op", raw: r(0xdb, 1, 2, 0, 0x10), message: "BPF_ATOMIC uses invalid atomic opcode 10\n", phase: "do_check" },
  { name: "atomic add on u8", raw: r(0xd3, 1, 2, 0, 0), message: "invalid atomic operand size\n", phase: "do_check" },
];

test("decode: malformed insns carry the kernel's message and phase", () => {
  for (const c of INVALID) {
    const d = decodeInsn(c.raw, c.next);
    assert.equal(d.kind, "invalid", c.name);
    if (d.kind !== "invalid") continue;
    assert.equal(d.message, c.message, c.name);
    assert.equal(d.phase, c.phase ?? "check_and_resolve_insns", c.name);
    assert.equal(d.errno, "EINVAL");
  }
});

// A tiny deterministic PRNG so failures reproduce.
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("fuzz: every valid decoding re-encodes to the same bytes; decoding never throws", () => {
  const rnd = prng(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const offs = [0, 1, -1, 8, 16, 32, -8, 4, 0x7fff, -0x8000];
  const imms = [0, 1, -1, 16, 32, 64, 0x41, 0xe1, 0xf1, 0x100, 0x110, 0x10000, 0x7fffffff, -0x80000000];
  let valid = 0;
  for (let n = 0; n < 20000; n++) {
    const raw = r(pick(KNOWN_OPCODES), Math.floor(rnd() * 16), Math.floor(rnd() * 16) % (rnd() < 0.7 ? 3 : 16), pick(offs), pick(imms));
    const next = rnd() < 0.8 ? r(0, 0, 0, 0, pick(imms)) : r(pick(KNOWN_OPCODES));
    const d = decodeInsn(raw, next);
    if (d.kind === "invalid") continue;
    valid++;
    const want = d.kind === "ld_imm64" ? [raw, next] : [raw];
    assert.deepEqual(encode(d), want, JSON.stringify(raw));
  }
  assert.ok(valid > 1000, `only ${valid} valid samples`);
});

test("decodeProgram: one entry per slot; ld_imm64 second slot is a filler; encodeProgram inverts it", () => {
  const slots = [r(0x18, 1, 0, 0, 1), r(0, 0, 0, 0, 2), r(0xb7, 0, 0, 0, 0), r(0x95)];
  const p = decodeProgram(slots);
  assert.deepEqual(p.map((s) => s.kind), ["ld_imm64", "ld_imm64_hi", "alu", "exit"]);
  assert.deepEqual(encodeProgram(p), slots);
});

test("decodeBytes: a length that is not a multiple of 8 is an InputError naming the offset", () => {
  assert.throws(() => decodeBytes(new Uint8Array(12), { section: "xdp" }), (e: unknown) =>
    e instanceof InputError && e.code === "ISA_TRUNCATED" && e.where.offset === 8 && e.where.section === "xdp");
  assert.equal(decodeBytes(new Uint8Array([0x95, 0, 0, 0, 0, 0, 0, 0]))[0]!.kind, "exit");
});

test("findInvalid: names the insn index and the kernel's message; do_check-phase shapes are left to the walk", () => {
  const p = decodeProgram([r(0xb7), r(0xdb, 1, 2, 0, 0x10), r(0xbf, 1, 2, 0, 1), r(0x95)]);
  const e = findInvalid(p, { program: "prog" });
  assert.ok(e instanceof InputError);
  assert.equal(e.where.insnIdx, 2);
  assert.match(e.message, /program prog, insn 2: .*BPF_MOV uses reserved fields$/);
  assert.equal(findInvalid(decodeProgram([r(0xb7), r(0x95)])), undefined);
});

// Corpus programs the 7.2 kernel rejected for an insn's shape (scripts/fixtures/isa-invalid.mjs).
test("corpus: the first malformed insn carries the kernel's exact log line", () => {
  const path = new URL("../../../test/fixtures/isa/invalid-7.2.jsonl", import.meta.url);
  const rows = readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { program: string; message: string; insns_hex: string });
  assert.ok(rows.length >= 19);
  for (const row of rows) {
    const p = decodeProgram(rawInsnsFromHex(row.insns_hex));
    const first = p.find((s) => s.kind === "invalid" && s.phase === "check_and_resolve_insns");
    assert.ok(first !== undefined && first.kind === "invalid", `${row.program}: nothing invalid found`);
    assert.equal(first.message, row.message, row.program);
  }
});
