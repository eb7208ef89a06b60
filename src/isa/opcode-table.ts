// The opcode table: every operation name of the decoded union mapped to its
// wire field value, and the set of code bytes the kernel knows.
// kernel: BPF_INSN_MAP (include/linux/filter.h), bpf_opcode_in_insntable (core.c)
//
// Decode and encode both go through these rows, so they cannot disagree.
import {
  BPF_ABS, BPF_ADD, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_ATOMIC, BPF_B, BPF_CALL, BPF_DIV, BPF_DW, BPF_END,
  BPF_EXIT, BPF_H, BPF_IMM, BPF_IND, BPF_JA, BPF_JCOND, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JMP,
  BPF_JMP32, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_K, BPF_LD, BPF_LDX, BPF_LSH, BPF_MEM,
  BPF_MEMSX, BPF_MOD, BPF_MOV, BPF_MUL, BPF_NEG, BPF_OR, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB, BPF_W, BPF_X, BPF_XOR,
} from "./opcodes.js";

/**
 * Two-operand ALU operations after decode. `sdiv`/`smod` are BPF_DIV/BPF_MOD
 * with off=1; `mov` here is the plain move (movsx, addr_space_cast, neg and
 * endian have their own variants).
 */
export type AluOp =
  | "add" | "sub" | "mul" | "div" | "sdiv" | "or" | "and" | "lsh" | "rsh" | "mod" | "smod" | "xor" | "mov" | "arsh";

/** Row: the BPF_OP field and the off value that selects the signed form. */
export interface AluOpRow {
  op: number;
  off: 0 | 1;
}

export const ALU_OPS = {
  add: { op: BPF_ADD, off: 0 },
  sub: { op: BPF_SUB, off: 0 },
  mul: { op: BPF_MUL, off: 0 },
  div: { op: BPF_DIV, off: 0 },
  sdiv: { op: BPF_DIV, off: 1 },
  or: { op: BPF_OR, off: 0 },
  and: { op: BPF_AND, off: 0 },
  lsh: { op: BPF_LSH, off: 0 },
  rsh: { op: BPF_RSH, off: 0 },
  mod: { op: BPF_MOD, off: 0 },
  smod: { op: BPF_MOD, off: 1 },
  xor: { op: BPF_XOR, off: 0 },
  mov: { op: BPF_MOV, off: 0 },
  arsh: { op: BPF_ARSH, off: 0 },
} as const satisfies Record<AluOp, AluOpRow>;

/** Conditional jump operations (BPF_JA, CALL, EXIT, JCOND have their own variants). */
export type JmpOp = "jeq" | "jgt" | "jge" | "jset" | "jne" | "jsgt" | "jsge" | "jlt" | "jle" | "jslt" | "jsle";

export const JMP_OPS = {
  jeq: BPF_JEQ,
  jgt: BPF_JGT,
  jge: BPF_JGE,
  jset: BPF_JSET,
  jne: BPF_JNE,
  jsgt: BPF_JSGT,
  jsge: BPF_JSGE,
  jlt: BPF_JLT,
  jle: BPF_JLE,
  jslt: BPF_JSLT,
  jsle: BPF_JSLE,
} as const satisfies Record<JmpOp, number>;

/** Read-modify-write atomics (in imm, without BPF_FETCH). */
export type AtomicOp = "add" | "and" | "or" | "xor" | "xchg" | "cmpxchg";

/** Row: the imm value without the fetch bit, and whether the fetch bit is implied. */
export const ATOMIC_OPS = {
  add: { imm: BPF_ADD, alwaysFetch: false },
  and: { imm: BPF_AND, alwaysFetch: false },
  or: { imm: BPF_OR, alwaysFetch: false },
  xor: { imm: BPF_XOR, alwaysFetch: false },
  xchg: { imm: 0xe0, alwaysFetch: true },
  cmpxchg: { imm: 0xf0, alwaysFetch: true },
} as const satisfies Record<AtomicOp, { imm: number; alwaysFetch: boolean }>;

function reverse<K extends string>(rows: Record<K, number>): Map<number, K> {
  const m = new Map<number, K>();
  for (const [k, v] of Object.entries(rows) as [K, number][]) m.set(v, k);
  return m;
}

/** BPF_OP value -> unsigned AluOp (off 0 form). */
export const ALU_OP_BY_CODE: ReadonlyMap<number, AluOp> = (() => {
  const m = new Map<number, AluOp>();
  for (const [k, row] of Object.entries(ALU_OPS) as [AluOp, AluOpRow][]) if (row.off === 0) m.set(row.op, k);
  return m;
})();
export const JMP_OP_BY_CODE: ReadonlyMap<number, JmpOp> = reverse<JmpOp>(JMP_OPS);

// kernel: bpf_opcode_in_insntable — BPF_INSN_MAP plus the cBPF carry-overs,
// gotox and may_goto. Everything else is "unknown opcode %02x".
const INSN_TABLE: ReadonlySet<number> = (() => {
  const t = new Set<number>();
  const aluOps = [BPF_ADD, BPF_SUB, BPF_AND, BPF_OR, BPF_LSH, BPF_RSH, BPF_XOR, BPF_MUL, BPF_MOV, BPF_ARSH, BPF_DIV, BPF_MOD];
  for (const cls of [BPF_ALU, BPF_ALU64]) {
    for (const op of aluOps) for (const src of [BPF_K, BPF_X]) t.add(cls | op | src);
    t.add(cls | BPF_NEG);
    t.add(cls | BPF_END | BPF_K);
  }
  t.add(BPF_ALU | BPF_END | BPF_X);
  t.add(BPF_JMP | BPF_CALL);
  t.add(BPF_JMP | BPF_EXIT);
  for (const cls of [BPF_JMP, BPF_JMP32]) for (const op of Object.values(JMP_OPS)) for (const src of [BPF_K, BPF_X]) t.add(cls | op | src);
  t.add(BPF_JMP | BPF_JA);
  t.add(BPF_JMP32 | BPF_JA);
  for (const sz of [BPF_B, BPF_H, BPF_W, BPF_DW]) {
    t.add(BPF_STX | BPF_ATOMIC | sz);
    t.add(BPF_STX | BPF_MEM | sz);
    t.add(BPF_ST | BPF_MEM | sz);
    t.add(BPF_LDX | BPF_MEM | sz);
  }
  for (const sz of [BPF_B, BPF_H, BPF_W]) {
    t.add(BPF_LDX | BPF_MEMSX | sz);
    t.add(BPF_LD | BPF_ABS | sz);
    t.add(BPF_LD | BPF_IND | sz);
  }
  t.add(BPF_LD | BPF_IMM | BPF_DW);
  t.add(BPF_JMP | BPF_JA | BPF_X);
  t.add(BPF_JMP | BPF_JCOND);
  return t;
})();

/** kernel: bpf_opcode_in_insntable */
export const opcodeInInsnTable = (code: number): boolean => INSN_TABLE.has(code & 0xff);

/** Every code byte the kernel accepts, ascending (for tests and fuzzing). */
export const KNOWN_OPCODES: readonly number[] = [...INSN_TABLE].sort((a, b) => a - b);
