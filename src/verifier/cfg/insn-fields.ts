// Instruction validity before any analysis: register numbers, ld_imm64 forms
// and their map resolution, known opcodes and reserved fields.
// kernel: check_and_resolve_insns, check_insn_fields, check_alu_fields,
// check_jmp_fields (verifier.c), bpf_opcode_in_insntable (core.c)
//
// These predicates are written here from the kernel (src/isa had no validity
// predicates when this was written); the ISA decoder may reuse them.
import type { RawInsn } from "../../isa/raw.js";
import {
  BPF_ABS, BPF_ADD, BPF_ADDR_SPACE_CAST, BPF_ALU, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_ATOMIC, BPF_B, BPF_CALL,
  BPF_DIV, BPF_DW, BPF_END, BPF_EXIT, BPF_H, BPF_IMM, BPF_IND, BPF_JA, BPF_JCOND, BPF_JEQ, BPF_JGE, BPF_JGT,
  BPF_JLE, BPF_JLT, BPF_JMP, BPF_JMP32, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_K, BPF_LD,
  BPF_LDX, BPF_LSH, BPF_MAY_GOTO, BPF_MEM, BPF_MEMSX, BPF_MOD, BPF_MOV, BPF_MUL, BPF_NEG, BPF_OR,
  BPF_PSEUDO_BTF_ID, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE, BPF_RSH, BPF_ST, BPF_STX, BPF_SUB, BPF_W,
  BPF_X, BPF_XOR, MAX_BPF_REG, bpfClass, bpfMode, bpfOp, bpfSize, bpfSrc, isStackArgLdx, isStackArgSt,
  isStackArgStx,
} from "./opcodes.js";
import type { CfgEnv, CfgReject } from "./types.js";

/** kernel: MAX_USED_MAPS */
const MAX_USED_MAPS = 64;

// kernel: bpf_opcode_in_insntable — the BPF_INSN_MAP list plus the cBPF
// carry-overs, gotox and may_goto.
const INSN_TABLE: ReadonlySet<number> = (() => {
  const t = new Set<number>();
  const aluOps = [BPF_ADD, BPF_SUB, BPF_AND, BPF_OR, BPF_LSH, BPF_RSH, BPF_XOR, BPF_MUL, BPF_MOV, BPF_ARSH, BPF_DIV, BPF_MOD];
  for (const cls of [BPF_ALU, BPF_ALU64]) {
    for (const op of aluOps) for (const src of [BPF_K, BPF_X]) t.add(cls | op | src);
    t.add(cls | BPF_NEG);
    t.add(cls | BPF_END | BPF_K); // TO_LE
  }
  t.add(BPF_ALU | BPF_END | BPF_X); // TO_BE, 32-bit class only
  t.add(BPF_JMP | BPF_CALL);
  t.add(BPF_JMP | BPF_EXIT);
  const jmpOps = [BPF_JEQ, BPF_JNE, BPF_JGT, BPF_JLT, BPF_JGE, BPF_JLE, BPF_JSGT, BPF_JSLT, BPF_JSGE, BPF_JSLE, BPF_JSET];
  for (const cls of [BPF_JMP, BPF_JMP32]) for (const op of jmpOps) for (const src of [BPF_K, BPF_X]) t.add(cls | op | src);
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
export const opcodeInInsnTable = (code: number): boolean => INSN_TABLE.has(code);

const EINVAL = (message: string): CfgReject => ({ errno: "EINVAL", message });

// kernel: check_alu_fields
function checkAluFields(insn: RawInsn): CfgReject | undefined {
  const cls = bpfClass(insn.code);
  const op = bpfOp(insn.code);
  const isX = bpfSrc(insn.code) === BPF_X;
  switch (op) {
    case BPF_NEG:
      if (isX || insn.src !== 0 || insn.off !== 0 || insn.imm !== 0) return EINVAL("BPF_NEG uses reserved fields\n");
      return undefined;
    case BPF_END:
      if (insn.src !== 0 || insn.off !== 0 || (insn.imm !== 16 && insn.imm !== 32 && insn.imm !== 64) ||
          (cls === BPF_ALU64 && isX)) return EINVAL("BPF_END uses reserved fields\n");
      return undefined;
    case BPF_MOV:
      if (isX) {
        if (cls === BPF_ALU) {
          if ((insn.off !== 0 && insn.off !== 8 && insn.off !== 16) || insn.imm) return EINVAL("BPF_MOV uses reserved fields\n");
        } else if (insn.off === BPF_ADDR_SPACE_CAST) {
          if (insn.imm !== 1 && insn.imm !== 1 << 16) {
            return EINVAL("addr_space_cast insn can only convert between address space 1 and 0\n");
          }
        } else if ((insn.off !== 0 && insn.off !== 8 && insn.off !== 16 && insn.off !== 32) || insn.imm) {
          return EINVAL("BPF_MOV uses reserved fields\n");
        }
      } else if (insn.src !== 0 || insn.off !== 0) {
        return EINVAL("BPF_MOV uses reserved fields\n");
      }
      return undefined;
    case BPF_ADD: case BPF_SUB: case BPF_AND: case BPF_OR: case BPF_XOR: case BPF_LSH: case BPF_RSH:
    case BPF_ARSH: case BPF_MUL: case BPF_DIV: case BPF_MOD: {
      // off=1 selects the signed div/mod; only those ops have it.
      const badOff = (insn.off !== 0 && insn.off !== 1) || (insn.off === 1 && op !== BPF_MOD && op !== BPF_DIV);
      if (isX ? insn.imm !== 0 || badOff : insn.src !== 0 || badOff) return EINVAL("BPF_ALU uses reserved fields\n");
      return undefined;
    }
    default:
      return EINVAL(`invalid BPF_ALU opcode ${op.toString(16)}\n`);
  }
}

// kernel: check_jmp_fields
function checkJmpFields(insn: RawInsn): CfgReject | undefined {
  const cls = bpfClass(insn.code);
  const isX = bpfSrc(insn.code) === BPF_X;
  switch (bpfOp(insn.code)) {
    case BPF_CALL:
      if (isX || (insn.src !== BPF_PSEUDO_KFUNC_CALL && insn.off !== 0) ||
          (insn.src !== 0 && insn.src !== BPF_PSEUDO_CALL && insn.src !== BPF_PSEUDO_KFUNC_CALL) ||
          insn.dst !== 0 || cls === BPF_JMP32) return EINVAL("BPF_CALL uses reserved fields\n");
      return undefined;
    case BPF_JA:
      if (isX) {
        if (insn.src !== 0 || insn.imm !== 0 || insn.off !== 0) return EINVAL("BPF_JA|BPF_X uses reserved fields\n");
      } else if (insn.src !== 0 || insn.dst !== 0 || (cls === BPF_JMP && insn.imm !== 0) ||
                 (cls === BPF_JMP32 && insn.off !== 0)) {
        return EINVAL("BPF_JA uses reserved fields\n");
      }
      return undefined;
    case BPF_EXIT:
      if (isX || insn.imm !== 0 || insn.src !== 0 || insn.dst !== 0 || cls === BPF_JMP32) {
        return EINVAL("BPF_EXIT uses reserved fields\n");
      }
      return undefined;
    case BPF_JCOND:
      if (insn.code !== (BPF_JMP | BPF_JCOND) || insn.src !== BPF_MAY_GOTO || insn.dst || insn.imm) {
        return EINVAL(`invalid may_goto imm ${insn.imm}\n`);
      }
      return undefined;
    default:
      if (isX ? insn.imm !== 0 : insn.src !== 0) return EINVAL("BPF_JMP/JMP32 uses reserved fields\n");
      return undefined;
  }
}

/** kernel: check_insn_fields — reserved-field checks for one (non-ld_imm64) insn. */
export function checkInsnFields(insn: RawInsn): CfgReject | undefined {
  const mode = bpfMode(insn.code);
  switch (bpfClass(insn.code)) {
    case BPF_ALU:
    case BPF_ALU64:
      return checkAluFields(insn);
    case BPF_LDX:
      if ((mode !== BPF_MEM && mode !== BPF_MEMSX) || insn.imm !== 0) return EINVAL("BPF_LDX uses reserved fields\n");
      return undefined;
    case BPF_STX:
      if (mode === BPF_ATOMIC) return undefined;
      if (mode !== BPF_MEM || insn.imm !== 0) return EINVAL("BPF_STX uses reserved fields\n");
      return undefined;
    case BPF_ST:
      if (mode !== BPF_MEM || insn.src !== 0) return EINVAL("BPF_ST uses reserved fields\n");
      return undefined;
    case BPF_JMP:
    case BPF_JMP32:
      return checkJmpFields(insn);
    case BPF_LD:
      if (mode === BPF_ABS || mode === BPF_IND) {
        if (insn.dst !== 0 || insn.off !== 0 || bpfSize(insn.code) === BPF_DW || (mode === BPF_ABS && insn.src !== 0)) {
          return EINVAL("BPF_LD_[ABS|IND] uses reserved fields\n");
        }
      } else if (mode !== BPF_IMM) {
        return EINVAL("invalid BPF_LD mode\n");
      }
      return undefined;
    default:
      return EINVAL(`unknown insn class ${bpfClass(insn.code)}\n`);
  }
}

// kernel: map->ops->map_direct_value_addr, by map type: which maps let
// ld_imm64 point into their value, and the error for a bad offset.
function directValueAddr(type: string, valueSize: number, maxEntries: number, off: number): "EINVAL" | "ENOTSUPP" | "EACCES" | "ERANGE" | undefined | null {
  switch (type) {
    case "BPF_MAP_TYPE_ARRAY":
      if (maxEntries !== 1) return "ENOTSUPP";
      return off >= valueSize ? "EINVAL" : undefined;
    case "BPF_MAP_TYPE_INSN_ARRAY":
      return off % 8 !== 0 || off / 8 >= maxEntries ? "EACCES" : undefined;
    case "BPF_MAP_TYPE_ARENA":
      // The user VM range is max_entries pages unless map_extra moves it.
      return off >= maxEntries * 4096 ? "ERANGE" : undefined;
    default:
      return null;
  }
}

export interface MapForResolve {
  type: string;
  valueSize: number;
  maxEntries: number;
  insnOffsets?: number[];
  /**
   * The fd user space passed, for the message when the entry is not a map
   * (type ""): a loader models "this fd is no map" that way.
   */
  fd?: number;
}

/**
 * kernel: check_and_resolve_insns — the validity checks, and for map
 * ld_imm64 the map index / value offset recorded in aux. The maps are
 * identified by their index in `maps` (the input's convention: imm of
 * src 1/2/5/6 loads). The kernel rewrites imm to the map address; we keep
 * the original insns so the disassembler can print what it can.
 */
export function checkAndResolveInsns(env: CfgEnv, maps: readonly MapForResolve[]): CfgReject | undefined {
  const insns = env.insns;
  const used: number[] = [];
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i]!;
    if (insn.dst >= MAX_BPF_REG && !isStackArgSt(insn) && !isStackArgStx(insn)) return EINVAL(`R${insn.dst} is invalid\n`);
    if (insn.src >= MAX_BPF_REG && !isStackArgLdx(insn)) return EINVAL(`R${insn.src} is invalid\n`);
    if (insn.code === (BPF_LD | BPF_IMM | BPF_DW)) {
      const next = insns[i + 1];
      if (!next || next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) {
        return EINVAL("invalid bpf_ld_imm64 insn\n");
      }
      if (insn.off !== 0) return EINVAL("BPF_LD_IMM64 uses reserved fields\n");
      const aux = env.aux[i]!;
      i++;
      if (insn.src === 0) continue;
      if (insn.src === BPF_PSEUDO_BTF_ID) {
        const r = env.opts.checkPseudoBtfId?.(i - 1);
        if (r) return r;
        continue;
      }
      if (insn.src === BPF_PSEUDO_FUNC) {
        aux.isPseudoFuncLoad = true;
        continue;
      }
      const isValue = insn.src === BPF_PSEUDO_MAP_VALUE || insn.src === BPF_PSEUDO_MAP_IDX_VALUE;
      const isPtr = (insn.src === BPF_PSEUDO_MAP_FD || insn.src === BPF_PSEUDO_MAP_IDX) && next.imm === 0;
      if (!isValue && !isPtr) return EINVAL("unrecognized bpf_ld_imm64 insn\n");
      const mapIdx = insn.imm;
      const map = maps[mapIdx];
      if (!map || map.type === "") {
        return { errno: "EBADF", message: `fd ${map?.fd ?? insn.imm} is not pointing to valid bpf_map\n` };
      }
      // kernel: __add_used_map
      if (!used.includes(mapIdx)) {
        if (used.length >= MAX_USED_MAPS) {
          return { errno: "E2BIG", message: `The total number of maps per program has reached the limit of ${MAX_USED_MAPS}\n` };
        }
        const r = env.opts.checkMapProgCompatibility?.(mapIdx);
        if (r) return r;
        used.push(mapIdx);
        env.usedMaps.push(mapIdx);
        if (map.type === "BPF_MAP_TYPE_INSN_ARRAY") env.insnArrays.push(map.insnOffsets ?? []);
      }
      aux.mapIndex = mapIdx;
      if (isValue) {
        const off = next.imm >>> 0;
        const err = directValueAddr(map.type, map.valueSize, map.maxEntries, off);
        if (err === null) return EINVAL("no direct value access support for this map type\n");
        if (err) {
          return { errno: err, message: `invalid access to map value pointer, value_size=${map.valueSize} off=${off}\n` };
        }
        aux.mapOff = off;
      }
      continue;
    }
    if (!opcodeInInsnTable(insn.code)) return EINVAL(`unknown opcode ${insn.code.toString(16).padStart(2, "0")}\n`);
    const r = checkInsnFields(insn);
    if (r) return r;
  }
  return undefined;
}
