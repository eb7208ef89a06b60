// Printing register and stack state exactly as the 7.2 log does.
// kernel: kernel/bpf/log.c (print_reg_state, print_scalar_ranges,
// print_verifier_state, print_insn_state, tnum_strn, verbose_snum/unum)
import type { VerifierEnv } from "../env.js";
import type { FuncState, RegState, VerifierState } from "../state/types.js";
import { BPF_ADD_CONST, BPF_REG_SIZE, MAX_BPF_REG, STACK_DYNPTR, STACK_INVALID, STACK_ITER, STACK_POISON, STACK_SPILL } from "../state/types.js";
import { regTypeStr, NON_OWN_REF, MEM_ALLOC } from "../state/reg-type.js";
import type { Tnum } from "../state/scalar-bridge.js";
import { regSmin, regSmax, regUmin, regUmax, regS32Min, regS32Max, regU32Min, regU32Max, tnumIsConst, tnumIsUnknown } from "../state/scalar-bridge.js";

const U64 = (1n << 64n) - 1n;
const U32 = (1n << 32n) - 1n;
const S64_MIN = -(1n << 63n);
const S64_MAX = (1n << 63n) - 1n;
const S32_MIN = -(1n << 31n);
const S32_MAX = (1n << 31n) - 1n;

// The kernel's vsnprintf prints %#llx of 0 as "0x0" (glibc would print "0").
const hex = (v: bigint): string => "0x" + v.toString(16);

/** kernel: verbose_unum — decimal up to U16_MAX, else %#llx. */
export function fmtUnum(v: bigint): string {
  const u = v & U64;
  return u <= 0xffffn ? u.toString() : hex(u);
}

/** kernel: verbose_snum — decimal within s16, else %#llx of the u64 bits. */
export function fmtSnum(v: bigint): string {
  const s = BigInt.asIntN(64, v);
  return s >= -32768n && s <= 32767n ? s.toString() : hex(s & U64);
}

/** kernel: tnum_strn */
export function tnumStr(t: Tnum): string {
  if (t.mask === 0n) {
    const v = t.value & U64;
    if (v <= 0xffffn) return v.toString();
    const s = BigInt.asIntN(64, v);
    if (s >= -32768n && s <= 32767n) return s.toString();
    return hex(v);
  }
  return `(${hex(t.value)}; ${hex(t.mask)})`;
}

interface MinMax {
  name: string;
  val: bigint; // u64 bits
  omit: boolean;
}

/** kernel: print_scalar_ranges; returns the text and the separator state. */
function scalarRanges(reg: RegState, sepIn: string): { text: string; sep: string } {
  const s32dec = (v: bigint) => v >= -32768n && v <= 32767n;
  const smin32 = regS32Min(reg), smax32 = regS32Max(reg);
  const m: MinMax[] = [
    { name: "smin", val: regSmin(reg) & U64, omit: regSmin(reg) === S64_MIN },
    { name: "smax", val: regSmax(reg) & U64, omit: regSmax(reg) === S64_MAX },
    { name: "umin", val: regUmin(reg), omit: regUmin(reg) === 0n },
    { name: "umax", val: regUmax(reg), omit: regUmax(reg) === U64 },
    { name: "smin32", val: s32dec(smin32) ? smin32 & U64 : smin32 & U32, omit: smin32 === S32_MIN },
    { name: "smax32", val: s32dec(smax32) ? smax32 & U64 : smax32 & U32, omit: smax32 === S32_MAX },
    { name: "umin32", val: regU32Min(reg), omit: regU32Min(reg) === 0n },
    { name: "umax32", val: regU32Max(reg), omit: regU32Max(reg) === U32 },
  ];
  let text = "";
  let sep = sepIn;
  for (let i = 0; i < m.length; i++) {
    const m1 = m[i]!;
    if (m1.omit) continue;
    const neg1 = m1.name[0] === "s" && BigInt.asIntN(64, m1.val) < 0n;
    text += `${sep}${m1.name}=`;
    sep = ",";
    for (let j = i + 2; j < m.length; j += 2) {
      const m2 = m[j]!;
      if (m2.omit || m2.val !== m1.val) continue;
      const neg2 = m2.name[0] === "s" && BigInt.asIntN(64, m2.val) < 0n;
      if (neg2 !== neg1) continue;
      m2.omit = true;
      text += `${m2.name}=`;
    }
    text += m1.name[0] === "s" ? fmtSnum(m1.val) : fmtUnum(m1.val);
  }
  return { text, sep };
}

function typeIsMapPtr(reg: RegState): boolean {
  return reg.type === "CONST_PTR_TO_MAP" || reg.type === "PTR_TO_MAP_KEY" || reg.type === "PTR_TO_MAP_VALUE";
}

/** Name of the BTF type a PTR_TO_BTF_ID points to; supplied by the caller (needs BTF). */
export type BtfTypeNamer = (reg: RegState) => string;

/** kernel: print_reg_state */
export function regStateStr(frame: FuncState, reg: RegState, btfName: BtfTypeNamer = () => ""): string {
  let out = "";
  const t = reg.type;
  if (t === "SCALAR_VALUE" && reg.precise) out += "P";
  if (t === "SCALAR_VALUE" && tnumIsConst(reg.varOff)) return out + fmtSnum(reg.varOff.value);
  out += regTypeStr(t, reg.flags);
  if (t === "PTR_TO_ARENA") return out;
  if (t === "PTR_TO_STACK") {
    if (frame.frameno !== reg.frameno) out += `[${reg.frameno}]`;
    if (tnumIsConst(reg.varOff)) return out + fmtSnum(reg.varOff.value + BigInt(reg.delta));
  }
  if (t === "PTR_TO_BTF_ID") out += btfName(reg);
  out += "(";
  let sep = "";
  const a = (s: string) => {
    out += sep + s;
    sep = ",";
  };
  if (reg.id) a(`id=${(reg.id & ~BPF_ADD_CONST) >>> 0}`);
  if (reg.id & BPF_ADD_CONST) out += reg.delta >= 0 ? `+${reg.delta}` : `${reg.delta}`;
  if (reg.parentId) a(`parent_id=${reg.parentId}`);
  if ((reg.flags & NON_OWN_REF) && (reg.flags & MEM_ALLOC)) a("non_own_ref");
  if (typeIsMapPtr(reg) && reg.map) {
    if (reg.map.name) a(`map=${reg.map.name}`);
    a(`ks=${reg.map.keySize},vs=${reg.map.valueSize}`);
  }
  if (t !== "SCALAR_VALUE" && reg.delta) a("off=" + fmtSnum(BigInt(reg.delta)));
  if (t === "PTR_TO_PACKET" || t === "PTR_TO_PACKET_META") a("r=" + fmtUnum(BigInt(reg.range)));
  if (t === "PTR_TO_MEM") a("sz=" + fmtUnum(BigInt(reg.memSize)));
  if (t === "CONST_PTR_TO_DYNPTR") a(`type=${dynptrTypeStr(reg.dynptrType)}`);
  if (tnumIsConst(reg.varOff)) {
    if (reg.varOff.value) a("imm=" + fmtSnum(reg.varOff.value));
  } else {
    const r = scalarRanges(reg, sep);
    out += r.text;
    sep = r.sep;
    if (!tnumIsUnknown(reg.varOff)) a(`var_off=${tnumStr(reg.varOff)}`);
  }
  return out + ")";
}

export function dynptrTypeStr(t: RegState["dynptrType"]): string {
  switch (t) {
    case "BPF_DYNPTR_TYPE_LOCAL": return "local";
    case "BPF_DYNPTR_TYPE_RINGBUF": return "ringbuf";
    case "BPF_DYNPTR_TYPE_SKB": return "skb";
    case "BPF_DYNPTR_TYPE_XDP": return "xdp";
    case "BPF_DYNPTR_TYPE_SKB_META": return "skb_meta";
    case "BPF_DYNPTR_TYPE_FILE": return "file";
    case "BPF_DYNPTR_TYPE_INVALID": return "<invalid>";
  }
}

const SLOT_CHAR = ["?", "r", "m", "0", "d", "i", "f", "p"];

/** kernel: print_verifier_state — returns the text (starting with a space, ending with \n). */
export function verifierStateStr(env: VerifierEnv, vstate: VerifierState, frameno: number, printAll: boolean, btfName: BtfTypeNamer = () => ""): string {
  const state = vstate.frame[frameno]!;
  let out = "";
  if (state.frameno) out += ` frame${state.frameno}:`;
  for (let i = 0; i < MAX_BPF_REG; i++) {
    const reg = state.regs[i]!;
    if (reg.type === "NOT_INIT") continue;
    if (!printAll && !((env.scratchedRegs >>> i) & 1)) continue;
    out += ` R${i}=` + regStateStr(state, reg, btfName);
  }
  const nslots = state.allocatedStack / BPF_REG_SIZE;
  for (let i = 0; i < nslots; i++) {
    if (!printAll && !((env.scratchedStackSlots >> BigInt(i)) & 1n)) continue;
    const slot = state.stack[i]!;
    let valid = false;
    let types = "";
    for (let j = 0; j < BPF_REG_SIZE; j++) {
      const st = slot.slotType[j]!;
      if (st !== STACK_INVALID && st !== STACK_POISON) valid = true;
      types += SLOT_CHAR[st];
    }
    if (!valid) continue;
    const off = (-i - 1) * BPF_REG_SIZE;
    switch (slot.slotType[BPF_REG_SIZE - 1]) {
      case STACK_SPILL: {
        let j = 0;
        while (j < BPF_REG_SIZE && slot.slotType[j] !== STACK_SPILL) j++;
        out += ` fp${off}=${types.slice(0, j)}` + regStateStr(state, slot.spilledPtr, btfName);
        break;
      }
      case STACK_DYNPTR: {
        i += 1; // BPF_DYNPTR_NR_SLOTS - 1: skip to the main slot
        const main = state.stack[i]!.spilledPtr;
        out += ` fp${(-i - 1) * BPF_REG_SIZE}=dynptr_${dynptrTypeStr(main.dynptrType)}(`;
        let sep = "";
        if (main.id) { out += `${sep}id=${main.id}`; sep = ","; }
        if (main.parentId) out += `${sep}parent_id=${main.parentId}`;
        out += ")";
        break;
      }
      case STACK_ITER: {
        const r = slot.spilledPtr;
        if (!r.id) continue;
        const st = r.iterState === "BPF_ITER_STATE_ACTIVE" ? "active" : r.iterState === "BPF_ITER_STATE_DRAINED" ? "drained" : "<invalid>";
        const name = btfName(r).replace(/^bpf_iter_/, "") || "<invalid>";
        out += ` fp${off}=iter_${name}(id=${r.id},state=${st},depth=${r.iterDepth})`;
        break;
      }
      default:
        out += ` fp${off}=${types}`;
    }
  }
  const refs = vstate.refs;
  if (refs.length && refs[0]!.id) {
    out += ` refs=${refs[0]!.id}`;
    for (let i = 1; i < refs.length; i++) if (refs[i]!.id) out += `,${refs[i]!.id}`;
  }
  if (state.inCallbackFn) out += " cb";
  if (state.inAsyncCallbackFn) out += " async_cb";
  out += "\n";
  return out;
}

/** kernel: print_verifier_state (writes, and cleans the scratch marks unless printing all). */
export function printVerifierState(env: VerifierEnv, vstate: VerifierState, frameno: number, printAll: boolean, btfName?: BtfTypeNamer): void {
  env.verbose(verifierStateStr(env, vstate, frameno, printAll, btfName));
  if (!printAll) env.markStateClean();
}

const BPF_LOG_MIN_ALIGNMENT = 8;
const BPF_LOG_ALIGNMENT = 40;

/** kernel: bpf_vlog_alignment */
export function vlogAlignment(pos: number): number {
  const x = Math.max(pos + BPF_LOG_MIN_ALIGNMENT / 2, BPF_LOG_ALIGNMENT);
  return Math.ceil(x / BPF_LOG_MIN_ALIGNMENT) * BPF_LOG_MIN_ALIGNMENT - pos - 1;
}

/** kernel: print_insn_state — append the state to the previous insn line when nothing came between. */
export function printInsnState(env: VerifierEnv, vstate: VerifierState, frameno: number, btfName?: BtfTypeNamer): void {
  if (env.prevLogPos && env.prevLogPos === env.log.pos) {
    env.log.reset(env.prevLogPos - 1);
    // "%*c" pads one char to the width: at least one space.
    env.verbose(" ".repeat(Math.max(1, vlogAlignment(env.prevInsnPrintPos))) + ";");
  } else {
    env.verbose(`${env.insnIdx}:`);
  }
  printVerifierState(env, vstate, frameno, false, btfName);
}
