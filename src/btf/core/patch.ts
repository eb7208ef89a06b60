// Applying a CO-RE result to the instruction it belongs to: check the value the
// compiler put there, write the new one, adjust a load/store's size, or poison
// the instruction. Pure: returns the replacement instruction(s).
// libbpf: bpf_core_patch_insn, bpf_core_poison_insn

import { CoreReloError, EINVAL, ERANGE } from "./common.js";
import type { CoreReloResult } from "./calc.js";

/** Structurally the same as the ISA's RawInsn (struct bpf_insn fields). */
export interface CoreInsn {
  readonly code: number;
  readonly dst: number;
  readonly src: number;
  readonly off: number;
  readonly imm: number;
}

/** imm of a poisoned instruction: "invalid func unknown#195896080" (0xbad2310, "bad relo"). */
export const CORE_POISON_IMM = 195896080;
const BPF_JMP_CALL = 0x05 | 0x80;
const BPF_LD_IMM64 = 0x18;

export interface CorePatch {
  /** Replacement for insns[insnIdx] (and insns[insnIdx + 1] for an ld_imm64). */
  readonly insns: CoreInsn[];
  readonly poisoned: boolean;
  /** libbpf's pr_warn when it poisons a bad memory-size adjustment (the load still goes on). */
  readonly warning?: string;
  /** libbpf's pr_debug lines. */
  readonly debug: string[];
}

function sizeBytes(code: number): number {
  switch (code & 0x18) {
    case 0x18:
      return 8;
    case 0x00:
      return 4;
    case 0x08:
      return 2;
    default:
      return 1;
  }
}

function sizeBits(bytes: number): number | undefined {
  switch (bytes) {
    case 8:
      return 0x18;
    case 4:
      return 0x00;
    case 2:
      return 0x08;
    case 1:
      return 0x10;
    default:
      return undefined;
  }
}

const u64 = (v: number): bigint => BigInt.asUintN(64, BigInt(v));

/**
 * Patch `insns[insnIdx]` for a resolved relocation. Throws CoreReloError where libbpf
 * fails the load (wrong old value, unexpected instruction, offset too big).
 */
export function coreApplyToInsn(
  progName: string,
  insns: readonly CoreInsn[],
  insnIdx: number,
  reloIdx: number,
  res: CoreReloResult,
): CorePatch {
  const insn = insns[insnIdx];
  const fail = (errno: number, msg: string): never => {
    throw new CoreReloError(errno, [msg]);
  };
  if (!insn) return fail(EINVAL, `prog '${progName}': relo #${reloIdx}: insn #${insnIdx} out of range`);
  const debug: string[] = [];
  const poison = (warning?: string): CorePatch => {
    const n = insn.code === BPF_LD_IMM64 ? 2 : 1;
    const out: CoreInsn[] = [];
    for (let i = 0; i < n; i++) {
      debug.push(`prog '${progName}': relo #${reloIdx}: substituting insn #${insnIdx + i} w/ invalid insn`);
      out.push({ code: BPF_JMP_CALL, dst: 0, src: 0, off: 0, imm: CORE_POISON_IMM });
    }
    return { insns: out, poisoned: true, debug, ...(warning !== undefined ? { warning } : {}) };
  };
  const cls = insn.code & 0x07;
  const { origVal, newVal } = res;
  const badInsn = (): never =>
    fail(
      EINVAL,
      `prog '${progName}': relo #${reloIdx}: trying to relocate unrecognized insn #${insnIdx}, code:0x${insn.code.toString(16)}, src:0x${insn.src.toString(16)}, dst:0x${insn.dst.toString(16)}, off:0x${(insn.off & 0xffff).toString(16)}, imm:0x${(insn.imm >>> 0).toString(16)}`,
    );
  switch (cls) {
    case 0x04: // BPF_ALU
    case 0x07: {
      // BPF_ALU64
      if (insn.code & 0x08) return badInsn(); // BPF_X
      if (res.poison) return poison();
      if (res.validate && u64(insn.imm) !== origVal) {
        fail(EINVAL, `prog '${progName}': relo #${reloIdx}: unexpected insn #${insnIdx} (ALU/ALU64) value: got ${insn.imm >>> 0}, exp ${origVal} -> ${newVal}`);
      }
      const imm = Number(BigInt.asIntN(32, newVal));
      debug.push(`prog '${progName}': relo #${reloIdx}: patched insn #${insnIdx} (ALU/ALU64) imm ${u64(insn.imm)} -> ${newVal}`);
      return { insns: [{ ...insn, imm }], poisoned: false, debug };
    }
    case 0x01: // BPF_LDX
    case 0x02: // BPF_ST
    case 0x03: {
      // BPF_STX
      if (res.poison) return poison();
      if (res.validate && u64(insn.off) !== origVal) {
        fail(EINVAL, `prog '${progName}': relo #${reloIdx}: unexpected insn #${insnIdx} (LDX/ST/STX) value: got ${insn.off >>> 0}, exp ${origVal} -> ${newVal}`);
      }
      if (newVal > 0x7fffn) fail(ERANGE, `prog '${progName}': relo #${reloIdx}: insn #${insnIdx} (LDX/ST/STX) value too big: ${newVal}`);
      if (res.failMemszAdjust) {
        return poison(
          `prog '${progName}': relo #${reloIdx}: insn #${insnIdx} (LDX/ST/STX) accesses field incorrectly. Make sure you are accessing pointers, unsigned integers, or fields of matching type and size.`,
        );
      }
      let code = insn.code;
      debug.push(`prog '${progName}': relo #${reloIdx}: patched insn #${insnIdx} (LDX/ST/STX) off ${u64(insn.off)} -> ${newVal}`);
      if (res.newSz !== res.origSz) {
        const have = sizeBytes(insn.code);
        if (have !== res.origSz) fail(EINVAL, `prog '${progName}': relo #${reloIdx}: insn #${insnIdx} (LDX/ST/STX) unexpected mem size: got ${have}, exp ${res.origSz}`);
        const bits = sizeBits(res.newSz);
        if (bits === undefined) fail(EINVAL, `prog '${progName}': relo #${reloIdx}: insn #${insnIdx} (LDX/ST/STX) invalid new mem size: ${res.newSz}`);
        code = (insn.code & 0xe0) | bits! | cls;
        debug.push(`prog '${progName}': relo #${reloIdx}: patched insn #${insnIdx} (LDX/ST/STX) mem_sz ${res.origSz} -> ${res.newSz}`);
      }
      return { insns: [{ ...insn, code, off: Number(newVal) }], poisoned: false, debug };
    }
    case 0x00: {
      // BPF_LD
      const next = insns[insnIdx + 1];
      if (insn.code !== BPF_LD_IMM64 || insn.src !== 0 || insn.off !== 0 || !next || next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) {
        fail(EINVAL, `prog '${progName}': relo #${reloIdx}: insn #${insnIdx} (LDIMM64) has unexpected form`);
      }
      if (res.poison) return poison();
      const imm = BigInt(insn.imm >>> 0) | (BigInt(next!.imm >>> 0) << 32n);
      if (res.validate && imm !== origVal) {
        fail(EINVAL, `prog '${progName}': relo #${reloIdx}: unexpected insn #${insnIdx} (LDIMM64) value: got ${imm}, exp ${origVal} -> ${newVal}`);
      }
      debug.push(`prog '${progName}': relo #${reloIdx}: patched insn #${insnIdx} (LDIMM64) imm64 ${imm} -> ${newVal}`);
      return {
        insns: [
          { ...insn, imm: Number(BigInt.asIntN(32, newVal)) },
          { ...next!, imm: Number(BigInt.asIntN(32, newVal >> 32n)) },
        ],
        poisoned: false,
        debug,
      };
    }
    default:
      return badInsn();
  }
}
