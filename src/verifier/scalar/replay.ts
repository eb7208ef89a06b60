// Decoding of the insn text of level-2 verifier log lines (`12: (64) w1 <<= 2`) into scalar
// ALU/JMP transitions, and their evaluation with our domain. Used to replay the kernel's own
// logs against the domain (fixtures/regen-transitions.mjs and replay.test.ts).

import type { AluOp } from "./alu.js";
import type { JmpOp } from "./branch.js";
import { parseScalarText } from "./parse.js";
import { formatScalar } from "./format.js";
import { scalar64 as D } from "./domain.js";

const ALU: Record<number, AluOp | "BPF_MOV"> = {
  0x00: "BPF_ADD", 0x10: "BPF_SUB", 0x20: "BPF_MUL", 0x30: "BPF_DIV", 0x40: "BPF_OR", 0x50: "BPF_AND",
  0x60: "BPF_LSH", 0x70: "BPF_RSH", 0x80: "BPF_NEG", 0x90: "BPF_MOD", 0xa0: "BPF_XOR", 0xb0: "BPF_MOV",
  0xc0: "BPF_ARSH", 0xd0: "BPF_END",
};
const JMP: Record<number, JmpOp> = {
  0x10: "BPF_JEQ", 0x20: "BPF_JGT", 0x30: "BPF_JGE", 0x40: "BPF_JSET", 0x50: "BPF_JNE", 0x60: "BPF_JSGT",
  0x70: "BPF_JSGE", 0xa0: "BPF_JLT", 0xb0: "BPF_JLE", 0xc0: "BPF_JSLT", 0xd0: "BPF_JSLE",
};

export type Transition =
  | { kind: "alu"; name: AluOp; alu64: boolean; signed: boolean; dst: number; src: number | null; imm: bigint;
      end?: { toLe: boolean; imm: 16 | 32 | 64 } }
  | { kind: "mov"; alu64: boolean; dst: number; src: number; sx: number }
  | { kind: "movimm"; alu64: boolean; dst: number; imm: bigint }
  | { kind: "jmp"; name: JmpOp; jmp32: boolean; dst: number; src: number | null; imm: bigint };

/** a register text without precision mark and ids — the part the scalar domain decides */
export function strip(text: string): string | null {
  const p = parseScalarText(text);
  return p ? formatScalar(p.scalar) : null;
}

const NUM = /^-?(0x[0-9a-f]+|\d+)$/;
const imm32 = (t: string) => BigInt.asIntN(32, t.startsWith("-") ? -BigInt(t.slice(1)) : BigInt(t));

/** kernel: print_bpf_insn output for ALU/ALU64/JMP/JMP32 insns back to a transition */
export function decodeInsnText(code: number, text: string): Transition | null {
  const cls = code & 7, op = code & 0xf0, isX = (code & 8) !== 0;
  if (cls === 4 || cls === 7) {
    const alu64 = cls === 7;
    const name = ALU[op];
    const m = /^([rw])(\d+) (\S*)= (.*)$/.exec(text);
    if (!name || !m) return null;
    const dst = Number(m[2]);
    const rhs = m[4];
    if (name === "BPF_NEG") return { kind: "alu", name, alu64, signed: false, dst, src: dst, imm: 0n };
    if (name === "BPF_END") {
      const e = /^(le|be|bswap)(16|32|64) [rw]\d+$/.exec(rhs);
      if (!e) return null;
      return { kind: "alu", name, alu64, signed: false, dst, src: dst, imm: 0n,
        end: { toLe: e[1] !== "be", imm: Number(e[2]) as 16 | 32 | 64 } };
    }
    if (name === "BPF_MOV") {
      const sx = /^\(s(8|16|32)\)[rw](\d+)$/.exec(rhs);
      if (sx) return { kind: "mov", alu64, dst, src: Number(sx[2]), sx: Number(sx[1]) };
      if (isX) {
        const r = /^[rw](\d+)$/.exec(rhs);
        return r ? { kind: "mov", alu64, dst, src: Number(r[1]), sx: 0 } : null;
      }
      return NUM.test(rhs) ? { kind: "movimm", alu64, dst, imm: imm32(rhs) } : null;
    }
    const signed = m[3].startsWith("s") && (name === "BPF_DIV" || name === "BPF_MOD");
    if (isX) {
      const r = /^[rw](\d+)$/.exec(rhs);
      return r ? { kind: "alu", name, alu64, signed, dst, src: Number(r[1]), imm: 0n } : null;
    }
    return NUM.test(rhs) ? { kind: "alu", name, alu64, signed, dst, src: null, imm: imm32(rhs) } : null;
  }
  if (cls === 5 || cls === 6) {
    const name = JMP[op];
    const m = /^if ([rw])(\d+) \S+ (\S+) goto/.exec(text);
    if (!name || !m) return null;
    const r = /^[rw](\d+)$/.exec(m[3]);
    if (isX && !r) return null;
    if (!isX && !NUM.test(m[3])) return null;
    return { kind: "jmp", name, jmp32: cls === 6, dst: Number(m[2]), src: isX && r ? Number(r[1]) : null,
      imm: isX ? 0n : imm32(m[3]) };
  }
  return null;
}

/** dst text after the insn (the fall-through edge for jumps), from stripped pre-state texts */
export function replay(t: Transition, dstText: string | null, srcText: string | null): { after: string; taken: string | null } | null {
  const sc = (x: string | null) => (x === null ? null : parseScalarText(x)?.scalar ?? null);
  switch (t.kind) {
    case "movimm":
      return { after: formatScalar(D.movImm(t.imm, t.alu64)), taken: null };
    case "mov": {
      const s = sc(srcText);
      return s ? { after: formatScalar(D.mov(s, t.alu64, t.sx)), taken: null } : null;
    }
    case "alu": {
      const d = sc(dstText);
      const s = t.src === null ? D.known(t.imm) : sc(srcText);
      if (!d || !s) return null;
      return { after: formatScalar(D.adjust(d, s, { op: t.name, alu64: t.alu64, signed: t.signed, end: t.end }).value), taken: null };
    }
    case "jmp": {
      const d = sc(dstText);
      const s = t.src === null ? D.known(t.imm) : sc(srcText);
      if (!d || !s) return null;
      const out = D.branch(d, s, t.name, t.jmp32, t.src === t.dst);
      if (out.pred !== -1) return { after: formatScalar(d), taken: null };
      return { after: formatScalar(out.fallthrough[0]), taken: formatScalar(out.taken[0]) };
    }
  }
}
