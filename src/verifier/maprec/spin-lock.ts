// bpf_spin_lock / bpf_res_spin_lock arguments: the lock must sit at the
// record's lock offset; taking it adds a lock reference (REF_TYPE_LOCK...)
// and makes the region a lock region, releasing it pops it in order.
// kernel: verifier.c (process_spin_lock, acquire_lock_state,
// release_lock_state, find_lock_state)
import type { VerifierEnv } from "../env.js";
import type { RefType, RegState, VerifierState } from "../state/types.js";
import { tnumIsConst } from "../state/scalar-bridge.js";
import { reject } from "../reject.js";
import { notModelled } from "../not-modelled.js";
import { inRcuCs, invalidateRcuProtectedRefs, forEachRegInVstate, markRegInvalid } from "../kfuncs/refs.js";
import { NON_OWN_REF, MEM_ALLOC } from "../state/reg-type.js";
import { mapHasBtf, recordOf } from "./index.js";
import { regBtfRecord } from "../kfuncs/families/graph.js";
import { recordProgCompatibility } from "./prog-compat.js";

const LOCK_TYPES: ReadonlySet<RefType> = new Set(["REF_TYPE_LOCK", "REF_TYPE_RES_LOCK", "REF_TYPE_RES_LOCK_IRQ"]);

export interface SpinLockFlags {
  lock: boolean;
  res: boolean;
  irq: boolean;
}

/** kernel: find_lock_state — `types` is the kernel's type mask. */
export function findLockState(st: VerifierState, types: readonly RefType[], id: number, ptr: unknown): boolean {
  return st.refs.some((r) => types.includes(r.type) && r.id === id && r.ptr === ptr);
}

/** kernel: acquire_lock_state */
export function acquireLockState(env: VerifierEnv, insnIdx: number, type: RefType, id: number, ptr: unknown): void {
  const st = env.curState;
  st.refs.push({ type, id, insnIdx, parentId: 0, ptr });
  st.activeLocks++;
  st.activeLockId = id;
  st.activeLockPtr = ptr;
}

/** kernel: release_lock_state — false when no such lock is held. The active lock falls back to the one taken before. */
export function releaseLockState(st: VerifierState, type: RefType, id: number, ptr: unknown): boolean {
  let prevId = 0;
  let prevPtr: unknown = null;
  for (let i = 0; i < st.refs.length; i++) {
    const r = st.refs[i]!;
    if (r.type === type && r.id === id && r.ptr === ptr) {
      st.refs.splice(i, 1);
      st.activeLocks--;
      st.activeLockId = prevId;
      st.activeLockPtr = prevPtr;
      return true;
    }
    if (LOCK_TYPES.has(r.type)) {
      prevId = r.id;
      prevPtr = r.ptr;
    }
  }
  return false;
}

/** kernel: invalidate_non_owning_refs — non-owning graph references live only inside the lock. */
function invalidateNonOwningRefs(env: VerifierEnv): void {
  forEachRegInVstate(env.curState, 1 << 1 /* STACK_SPILL */, (reg) => {
    if (reg.type !== "SCALAR_VALUE" && (reg.flags & NON_OWN_REF) && (reg.flags & MEM_ALLOC)) {
      markRegInvalid(env, reg);
    }
  });
}

/** kernel: process_spin_lock. `argName` is reg_arg_name (R1...); `reg` is a map value or a program-allocated object. */
export function processSpinLock(env: VerifierEnv, reg: RegState, argName: string, flags: SpinLockFlags): void {
  const lockStr = flags.res ? "bpf_res_spin" : "bpf_spin";
  const st = env.curState;
  if (!tnumIsConst(reg.varOff)) {
    reject(env, "EINVAL", `${argName} doesn't have constant offset. ${lockStr}_lock has to be at the constant offset\n`);
  }
  const map = reg.type === "PTR_TO_MAP_VALUE" ? reg.map! : null;
  if (map) {
    if (!mapHasBtf(env, map)) reject(env, "EINVAL", `map '${map.name}' has to have BTF in order to use ${lockStr}_lock\n`);
    // The kernel refuses such programs when the map is first used, before the walk; until the pre-pass
    // hook (checkMapProgCompatibility) is wired, reaching the lock here would print the wrong line.
    if (recordProgCompatibility(recordOf(env, map), env.input.progType)) return notModelled(`check_map_prog_compatibility for map '${map.name}'`);
  }
  const rec = regBtfRecord(env, reg);
  const off = rec ? (flags.res ? rec.resSpinLockOff : rec.spinLockOff) : -1;
  if (off < 0) reject(env, "EINVAL", `${map ? "map" : "local"} '${map ? map.name : "kptr"}' has no valid ${lockStr}_lock\n`);
  const val = reg.varOff.value;
  if (BigInt(off) !== val) {
    reject(env, "EINVAL", `off ${BigInt.asIntN(64, val)} doesn't point to 'struct ${lockStr}_lock' that is at ${off}\n`);
  }
  const type: RefType = flags.res ? (flags.irq ? "REF_TYPE_RES_LOCK_IRQ" : "REF_TYPE_RES_LOCK") : "REF_TYPE_LOCK";
  // the lock is told apart by the register id and the map, or for local objects their BTF
  const ptr: unknown = map ?? reg.btf;
  if (flags.lock) {
    if (!flags.res && st.activeLocks) {
      // The kernel asks for a (id 0, NULL) record, which no lock has: helper calls inside a lock region
      // are refused before they get here, so the check stays as the kernel has it.
      if (findLockState(st, ["REF_TYPE_LOCK"], 0, null)) reject(env, "EINVAL", "Locking two bpf_spin_locks are not allowed\n");
    } else if (flags.res && st.activeLocks) {
      if (findLockState(st, ["REF_TYPE_RES_LOCK", "REF_TYPE_RES_LOCK_IRQ"], reg.id, ptr)) {
        reject(env, "EINVAL", "Acquiring the same lock again, AA deadlock detected\n");
      }
    }
    acquireLockState(env, env.insnIdx, type, reg.id, ptr);
    return;
  }
  if (!st.activeLocks) reject(env, "EINVAL", `${lockStr}_unlock without taking a lock\n`);
  if (!findLockState(st, [type], reg.id, ptr)) reject(env, "EINVAL", `${lockStr}_unlock of different lock\n`);
  if (reg.id !== st.activeLockId || ptr !== st.activeLockPtr) reject(env, "EINVAL", `${lockStr}_unlock cannot be out of order\n`);
  const wasInRcu = inRcuCs(env);
  if (!releaseLockState(st, type, reg.id, ptr)) reject(env, "EINVAL", `${lockStr}_unlock of different lock\n`);
  if (wasInRcu && !inRcuCs(env)) invalidateRcuProtectedRefs(env);
  invalidateNonOwningRefs(env);
}
