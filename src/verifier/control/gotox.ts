// gotox: an indirect jump through a PTR_TO_INSN loaded from an insn_array
// map. Every distinct target the register's offset range can select is a
// branch: all but the last are queued, the walk continues at the last.
// kernel: verifier.c (check_indirect_jump, indirect_jump_min_max_index,
// mark_indirect_target), cfg.c (bpf_copy_insn_array_uniq)
import type { VerifierEnv } from "../env.js";
import type { RawInsn } from "../../isa/raw.js";
import type { MapInfo } from "../input.js";
import { curFrame } from "../state/func.js";
import { regTypeStr } from "../state/reg-type.js";
import { regUmax, regUmin } from "../state/scalar-bridge.js";
import { pushStack } from "../explore/branches.js";
import { reject } from "../reject.js";
import { verifierBug } from "../bug.js";
import type { InsnResult } from "../ops/dispatch.js";

const U32_MAX = 0xffffffffn;
/** One insn_array entry is a u64 slot. */
const SLOT = 8n;

/** kernel: indirect_jump_min_max_index — the table slots the register may select. */
function indirectJumpMinMaxIndex(env: VerifierEnv, regno: number, map: MapInfo): [number, number] {
  const reg = curFrame(env.curState).regs[regno]!;
  const umin = regUmin(reg), umax = regUmax(reg);
  if (umin > U32_MAX * SLOT) reject(env, "ERANGE", `the sum of R${regno} umin_value ${umin} is too big\n`);
  if (umax > U32_MAX * SLOT) reject(env, "ERANGE", `the sum of R${regno} umax_value ${umax} is too big\n`);
  const min = umin / SLOT, max = umax / SLOT;
  if (max >= BigInt(map.maxEntries)) {
    reject(env, "EINVAL", `R${regno} points to outside of jump table: [${min},${max}] max_entries ${map.maxEntries}\n`);
  }
  return [Number(min), Number(max)];
}

/** kernel: bpf_copy_insn_array_uniq — sorted distinct targets of slots [start, end]. */
export function insnArrayTargets(map: MapInfo, start: number, end: number): number[] {
  const offs = map.insnOffsets ?? [];
  const items: number[] = [];
  for (let i = start; i <= end; i++) items.push(offs[i] ?? 0);
  items.sort((a, b) => a - b);
  return items.filter((v, i) => i === 0 || v !== items[i - 1]);
}

/** kernel: check_indirect_jump */
export function checkIndirectJump(env: VerifierEnv, insn: RawInsn): InsnResult {
  const dst = curFrame(env.curState).regs[insn.dst]!;
  if (dst.type !== "PTR_TO_INSN") {
    reject(env, "EINVAL", `R${insn.dst} has type ${regTypeStr(dst.type, dst.flags)}, expected PTR_TO_INSN\n`);
  }
  const map = dst.map;
  if (!map) verifierBug(env, `R${insn.dst} has an empty map pointer`);
  if (map.type !== "BPF_MAP_TYPE_INSN_ARRAY") verifierBug(env, `R${insn.dst} has incorrect map type ${map.type}`);
  const [min, max] = indirectJumpMinMaxIndex(env, insn.dst, map);
  const targets = insnArrayTargets(map, min, max);
  for (let i = 0; i < targets.length - 1; i++) pushStack(env, targets[i]!, env.insnIdx, env.curState.speculative);
  env.insnIdx = targets[targets.length - 1]!;
  return { code: 2 /* INSN_IDX_UPDATED */, printState: false };
}
