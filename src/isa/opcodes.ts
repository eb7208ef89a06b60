// Opcode constants and field accessors, with the kernel's names so a grep from
// the kernel source finds them.
// kernel: include/uapi/linux/bpf_common.h, include/uapi/linux/bpf.h, include/linux/filter.h
//
// The code byte, by class:
//   ALU/ALU64/JMP/JMP32:  | op (4 bits) | src (1 bit: K=0, X=8) | class (3 bits) |
//   LD/LDX/ST/STX:        | mode (3 bits) | size (2 bits)        | class (3 bits) |

// classes
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_JMP32 = 0x06;
export const BPF_ALU64 = 0x07;

// source operand
export const BPF_K = 0x00;
export const BPF_X = 0x08;
/** BPF_ALU | BPF_END: the src bit picks the byte order. */
export const BPF_TO_LE = 0x00;
export const BPF_TO_BE = 0x08;

// size field
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_DW = 0x18;

// mode field
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_MEMSX = 0x80;
export const BPF_ATOMIC = 0xc0;
/** Internal-only ST mode (speculation barrier); the kernel's printer knows it, the UAPI does not. */
export const BPF_NOSPEC = 0xc0;

// ALU ops
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;
export const BPF_MOV = 0xb0;
export const BPF_ARSH = 0xc0;
export const BPF_END = 0xd0;

// JMP ops
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
export const BPF_JNE = 0x50;
export const BPF_JSGT = 0x60;
export const BPF_JSGE = 0x70;
export const BPF_CALL = 0x80;
export const BPF_EXIT = 0x90;
export const BPF_JLT = 0xa0;
export const BPF_JLE = 0xb0;
export const BPF_JSLT = 0xc0;
export const BPF_JSLE = 0xd0;
export const BPF_JCOND = 0xe0;

// atomic ops (in imm of BPF_STX | BPF_ATOMIC)
export const BPF_FETCH = 0x01;
export const BPF_XCHG = 0xe0 | BPF_FETCH;
export const BPF_CMPXCHG = 0xf0 | BPF_FETCH;
export const BPF_LOAD_ACQ = 0x100;
export const BPF_STORE_REL = 0x110;

/** src_reg of BPF_JMP | BPF_JCOND. */
export const BPF_MAY_GOTO = 0;

/** off of BPF_ALU64 | BPF_MOV | BPF_X: addr_space_cast. */
export const BPF_ADDR_SPACE_CAST = 1;
/** off of BPF_ALU64 | BPF_MOV | BPF_X: internal-only per-CPU address mov (rejected from user space). */
export const BPF_ADDR_PERCPU = -1;

// ld_imm64 src_reg
export const BPF_PSEUDO_MAP_FD = 1;
export const BPF_PSEUDO_MAP_VALUE = 2;
export const BPF_PSEUDO_BTF_ID = 3;
export const BPF_PSEUDO_FUNC = 4;
export const BPF_PSEUDO_MAP_IDX = 5;
export const BPF_PSEUDO_MAP_IDX_VALUE = 6;

// call src_reg
export const BPF_PSEUDO_CALL = 1;
export const BPF_PSEUDO_KFUNC_CALL = 2;

// registers
export const BPF_REG_0 = 0;
export const BPF_REG_1 = 1;
export const BPF_REG_2 = 2;
export const BPF_REG_3 = 3;
export const BPF_REG_4 = 4;
export const BPF_REG_5 = 5;
export const BPF_REG_6 = 6;
export const BPF_REG_7 = 7;
export const BPF_REG_8 = 8;
export const BPF_REG_9 = 9;
export const BPF_REG_10 = 10;
export const BPF_REG_FP = 10;
/** Number of registers a program may name directly (r0..r10). */
export const MAX_BPF_REG = 11;
/** 7.2: the stack-argument base register, r11, only in the stack-arg ld/st forms. */
export const BPF_REG_PARAMS = MAX_BPF_REG;
/** 7.2: the verifier/JIT scratch register (internal, never valid in a program). */
export const BPF_REG_AX = MAX_BPF_REG + 1;
export const MAX_BPF_EXT_REG = MAX_BPF_REG + 2;

// field accessors (kernel: BPF_CLASS, BPF_OP, BPF_SRC, BPF_SIZE, BPF_MODE)
export const bpfClass = (code: number): number => code & 0x07;
export const bpfOp = (code: number): number => code & 0xf0;
export const bpfSrc = (code: number): number => code & 0x08;
export const bpfSize = (code: number): number => code & 0x18;
export const bpfMode = (code: number): number => code & 0xe0;

/** Access width in bytes of a BPF_SIZE field value (kernel: bpf_size_to_bytes). */
export function bpfSizeToBytes(size: number): 1 | 2 | 4 | 8 {
  switch (size & 0x18) {
    case BPF_B: return 1;
    case BPF_H: return 2;
    case BPF_W: return 4;
    default: return 8;
  }
}

/** The BPF_SIZE field for an access width in bytes. */
export function bytesToBpfSize(bytes: 1 | 2 | 4 | 8): number {
  switch (bytes) {
    case 1: return BPF_B;
    case 2: return BPF_H;
    case 4: return BPF_W;
    case 8: return BPF_DW;
  }
}

/** The ld_imm64 opcode byte (0x18); it is the only insn that takes two slots. */
export const BPF_LD_IMM64_CODE = BPF_LD | BPF_IMM | BPF_DW;

/** Whether the slot at this code starts a two-slot ld_imm64 (kernel: bpf_is_ldimm64 / insn.code == BPF_LD|BPF_IMM|BPF_DW). */
export const isLdImm64Code = (code: number): boolean => code === BPF_LD_IMM64_CODE;
