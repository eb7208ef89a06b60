// The wire form of one 8-byte BPF instruction slot, exactly as in the ELF and
// as the kernel receives it (struct bpf_insn). An ld_imm64 takes two slots.
//
//   byte 0: code (class | size/op | mode/src)
//   byte 1: dst_reg (low nibble) | src_reg (high nibble)   (little endian)
//   bytes 2-3: off (s16)   bytes 4-7: imm (s32)

export interface RawInsn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

export const INSN_SIZE = 8;

export function readRawInsn(buf: Uint8Array, byteOffset: number): RawInsn {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const regs = buf[byteOffset + 1]!;
  return {
    code: buf[byteOffset]!,
    dst: regs & 0x0f,
    src: regs >> 4,
    off: dv.getInt16(byteOffset + 2, true),
    imm: dv.getInt32(byteOffset + 4, true),
  };
}

export function writeRawInsn(buf: Uint8Array, byteOffset: number, insn: RawInsn): void {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  buf[byteOffset] = insn.code & 0xff;
  buf[byteOffset + 1] = (insn.dst & 0x0f) | ((insn.src & 0x0f) << 4);
  dv.setInt16(byteOffset + 2, insn.off, true);
  dv.setInt32(byteOffset + 4, insn.imm | 0, true);
}

export function rawInsnsFromBytes(bytes: Uint8Array): RawInsn[] {
  const n = Math.floor(bytes.length / INSN_SIZE);
  const out: RawInsn[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = readRawInsn(bytes, i * INSN_SIZE);
  return out;
}

export function rawInsnsToBytes(insns: readonly RawInsn[]): Uint8Array {
  const out = new Uint8Array(insns.length * INSN_SIZE);
  insns.forEach((ins, i) => writeRawInsn(out, i * INSN_SIZE, ins));
  return out;
}

/** Lowercase hex, 16 digits per slot, bytes in memory (little-endian) order, as the corpus records it. */
export function rawInsnsToHex(insns: readonly RawInsn[]): string {
  return Buffer.from(rawInsnsToBytes(insns)).toString("hex");
}

export function rawInsnsFromHex(hex: string): RawInsn[] {
  return rawInsnsFromBytes(Uint8Array.from(Buffer.from(hex, "hex")));
}
