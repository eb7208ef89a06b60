import { test } from "node:test";
import assert from "node:assert/strict";
import { asm, assemble, R0, R1, R2, R3, R10 } from "./asm.js";
import { printBpfInsn } from "./disasm.js";
import { InputError } from "../util/errors.js";
import { fallsThrough, jumpTarget, subprogTarget } from "./flow.js";

const text = (slots: ReturnType<typeof assemble>["slots"]): string[] => {
  const out: string[] = [];
  for (let i = 0; i < slots.length; i++) {
    out.push(printBpfInsn(slots[i]!, slots[i + 1]));
    if (slots[i]!.code === 0x18) i++;
  }
  return out;
};

test("labels resolve to kernel deltas (target = pc + delta + 1), counting ld_imm64 as two slots", () => {
  const p = assemble([
    asm.mov64.imm(R0, 0),
    asm.jeq.imm(R1, 0, "out"),
    asm.ldMapFd(R1, 3),
    asm.call.helper("bpf_map_lookup_elem"),
    asm.label("out"),
    asm.exit(),
  ]);
  assert.equal(p.slots.length, 6);
  assert.equal(p.labels.get("out"), 5);
  // Expected text written from the kernel's format strings.
  assert.deepEqual(text(p.slots), [
    "(b7) r0 = 0",
    "(15) if r1 == 0x0 goto pc+3",
    "(18) r1 = 0x3",
    "(85) call bpf_map_lookup_elem#1",
    "(95) exit",
  ]);
  assert.deepEqual(p.insns.map((s) => s.kind), ["alu", "jmp", "ld_imm64", "ld_imm64_hi", "helper_call", "exit"]);
});

test("backward jumps, subprog calls, may_goto, gotol, 32-bit forms", () => {
  const p = assemble([
    asm.label("top"),
    asm.mov32.imm(R1, 1),
    asm.mayGoto("end"),
    asm.jne32.reg(R1, R2, "top"),
    asm.call.subprog("sub"),
    asm.gotol("top"),
    asm.label("end"),
    asm.exit(),
    asm.label("sub"),
    asm.mov64.reg(R0, R1),
    asm.exit(),
  ]);
  assert.deepEqual(text(p.slots), [
    "(b4) w1 = 1",
    "(e5) may_goto pc+3",
    "(5e) if w1 != w2 goto pc-3",
    "(85) call pc+2",
    "(06) gotol pc-5",
    "(95) exit",
    "(bf) r0 = r1",
    "(95) exit",
  ]);
});

test("memory, atomics, stack args, kfunc by name", () => {
  const p = assemble([
    asm.stx.u64(R10, -8, R1),
    asm.st.u32(R10, -12, 7),
    asm.ldx.u8(R2, R10, -8),
    asm.ldx.s16(R2, R10, -8),
    asm.atomic("add", 8, R10, -8, R1, { fetch: true }),
    asm.atomic("xchg", 4, R10, -12, R3),
    asm.stackArg.store(-8, R1),
    asm.stackArg.load(R1, 8),
    asm.call.kfunc("bpf_task_acquire"),
    asm.exit(),
  ], { kfunc: (name) => (name === "bpf_task_acquire" ? { btfId: 100, btfFdIdx: 0 } : { btfId: 0, btfFdIdx: 0 }) });
  assert.deepEqual(text(p.slots), [
    "(7b) *(u64 *)(r10 -8) = r1",
    "(62) *(u32 *)(r10 -12) = 7",
    "(71) r2 = *(u8 *)(r10 -8)",
    "(89) r2 = *(s16 *)(r10 -8)",
    "(db) r1 = atomic64_fetch_add((u64 *)(r10 -8), r1)",
    "(c3) r3 = atomic_xchg((u32 *)(r10 -12), r3)",
    "(7b) *(u64 *)(r11 -8) = r1",
    "(79) r1 = *(u64 *)(r11 +8)",
    "(85) call kernel-function#100",
    "(95) exit",
  ]);
  assert.deepEqual(p.insns.map((s) => s.kind).slice(6, 9), ["stack_arg_store", "stack_arg_load", "kfunc_call"]);
});

test("errors: unknown label, duplicate label, unknown helper, kfunc name without resolver", () => {
  const isCode = (code: string) => (e: unknown) => e instanceof InputError && e.code === code;
  assert.throws(() => assemble([asm.ja("nowhere")]), isCode("ASM_UNKNOWN_LABEL"));
  assert.throws(() => assemble([asm.label("a"), asm.label("a"), asm.exit()]), isCode("ASM_DUPLICATE_LABEL"));
  assert.throws(() => asm.call.helper("bpf_no_such_helper"), isCode("ASM_UNKNOWN_HELPER"));
  assert.throws(() => assemble([asm.call.kfunc("bpf_x")]), isCode("ASM_NO_KFUNC_RESOLVER"));
});

test("asm.raw passes malformed slots through to an invalid decoding", () => {
  const p = assemble([asm.raw({ code: 0xff, dst: 0, src: 0, off: 0, imm: 0 }), asm.exit()]);
  const first = p.insns[0]!;
  assert.equal(first.kind, "invalid");
  if (first.kind === "invalid") assert.equal(first.message, "unknown opcode ff\n");
});

test("flow: jump and subprog targets agree with the labels", () => {
  const p = assemble([
    asm.jeq.imm(R1, 0, "a"),
    asm.ldFunc(R2, "cb"),
    asm.label("a"),
    asm.call.subprog("cb"),
    asm.ja("a"),
    asm.label("cb"),
    asm.exit(),
  ]);
  const at = (i: number) => p.insns[i] as Exclude<(typeof p.insns)[number], { kind: "ld_imm64_hi" }>;
  assert.equal(jumpTarget(at(0), 0), p.labels.get("a"));
  assert.equal(subprogTarget(at(1), 1), p.labels.get("cb"));
  assert.equal(subprogTarget(at(3), 3), p.labels.get("cb"));
  assert.equal(jumpTarget(at(4), 4), p.labels.get("a"));
  assert.equal(fallsThrough(at(4)), false);
  assert.equal(fallsThrough(at(0)), true);
});
