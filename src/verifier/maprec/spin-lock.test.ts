// Lock records: acquire_lock_state/release_lock_state keep the active lock as
// the most recent one still held (kernel/bpf/verifier.c).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { VerifierEnv } from "../env.js";
import type { VerifierState } from "../state/types.js";
import { newFuncState } from "../state/func.js";
import { acquireLockState, findLockState, releaseLockState } from "./spin-lock.js";

function fakeEnv(): { env: VerifierEnv; st: VerifierState } {
  const st: VerifierState = {
    frame: [newFuncState(-1, 0, 0, true)], parent: null, refs: [], branches: 1, insnIdx: 0, curframe: 0,
    activeLocks: 0, activePreemptLocks: 0, activeIrqId: 0, activeLockId: 0, activeLockPtr: null, activeRcuLocks: 0,
    speculative: false, inSleepable: false, firstInsnIdx: 0, lastInsnIdx: -1,
    equalState: null, jmpHistory: [], dfsDepth: 0, callbackUnrollDepth: 0, mayGotoDepth: 0,
  } as VerifierState;
  return { env: { curState: st, idGen: 0 } as unknown as VerifierEnv, st };
}

test("releasing the newest lock falls back to the one taken before it", () => {
  const { env, st } = fakeEnv();
  const a = {}, b = {};
  acquireLockState(env, 1, "REF_TYPE_RES_LOCK", 4, a);
  acquireLockState(env, 2, "REF_TYPE_RES_LOCK_IRQ", 7, b);
  assert.equal(st.activeLocks, 2);
  assert.equal(st.activeLockId, 7);
  assert.ok(findLockState(st, ["REF_TYPE_RES_LOCK", "REF_TYPE_RES_LOCK_IRQ"], 7, b));
  assert.ok(!findLockState(st, ["REF_TYPE_LOCK"], 7, b));
  assert.ok(releaseLockState(st, "REF_TYPE_RES_LOCK_IRQ", 7, b));
  assert.equal(st.activeLocks, 1);
  assert.equal(st.activeLockId, 4);
  assert.equal(st.activeLockPtr, a);
  // the same id on another object is a different lock
  assert.ok(!releaseLockState(st, "REF_TYPE_RES_LOCK", 4, b));
  assert.ok(releaseLockState(st, "REF_TYPE_RES_LOCK", 4, a));
  assert.equal(st.activeLocks, 0);
  assert.equal(st.activeLockPtr, null);
  assert.equal(st.refs.length, 0);
});
