import { test } from "node:test";
import assert from "node:assert/strict";
import { ALU_OPS, ATOMIC_OPS, JMP_OPS, KNOWN_OPCODES, opcodeInInsnTable } from "./opcode-table.js";
import { HELPER_NAMES, BPF_FUNC_MAX_ID } from "./generated/helper-names.js";
import { decodeInsn } from "./decode.js";

test("opcode table: distinct (op, off) per ALU op and distinct JMP / atomic codes", () => {
  const alu = Object.values(ALU_OPS).map((r) => `${r.op}/${r.off}`);
  assert.equal(new Set(alu).size, alu.length);
  const jmp = Object.values(JMP_OPS);
  assert.equal(new Set(jmp).size, jmp.length);
  const atomic = Object.values(ATOMIC_OPS).map((r) => r.imm);
  assert.equal(new Set(atomic).size, atomic.length);
});

test("bpf_opcode_in_insntable: size and spot checks against filter.h BPF_INSN_MAP", () => {
  // 2 ALU classes x (12 ops x 2 srcs + neg + end/le) + end/be (ALU only) = 53;
  // call, exit; 2 JMP classes x 11 ops x 2 srcs = 44; ja, gotol; 4 sizes x 4
  // (atomic, stx, st, ldx) = 16; memsx/abs/ind x 3 = 9; ld_imm64; gotox; jcond.
  assert.equal(KNOWN_OPCODES.length, 53 + 2 + 44 + 2 + 16 + 9 + 1 + 1 + 1);
  for (const c of [0x07, 0xb7, 0xbf, 0x18, 0x85, 0x95, 0x05, 0x06, 0x0d, 0xe5, 0x20, 0x50, 0x91, 0xdb, 0xd4, 0xdc, 0xd7]) {
    assert.ok(opcodeInInsnTable(c), c.toString(16));
  }
  for (const c of [0x00, 0x8d, 0x8e, 0x96, 0x99, 0xdf, 0xe6, 0xf5, 0x38, 0x98, 0xff]) assert.ok(!opcodeInInsnTable(c), c.toString(16));
});

test("every known opcode decodes without throwing", () => {
  for (const code of KNOWN_OPCODES) decodeInsn({ code, dst: 0, src: 0, off: 0, imm: 0 }, { code: 0, dst: 0, src: 0, off: 0, imm: 0 });
});

test("helper names: 211 helpers + unspec from ___BPF_FUNC_MAPPER, dense ids", () => {
  assert.equal(HELPER_NAMES.length, 212);
  assert.equal(BPF_FUNC_MAX_ID, 212);
  assert.equal(HELPER_NAMES[0], "bpf_unspec");
  assert.equal(HELPER_NAMES[1], "bpf_map_lookup_elem");
  assert.equal(HELPER_NAMES[181], "bpf_loop");
  assert.ok(HELPER_NAMES.every((n) => /^bpf_[a-z0-9_]+$/.test(n)));
  assert.equal(new Set(HELPER_NAMES).size, HELPER_NAMES.length);
});
