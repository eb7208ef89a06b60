// Reference records and trust: the 7.2 release cascade over parent_id
// (kernel/bpf/verifier.c release_reference) and is_trusted_reg.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { VerifierEnv } from "../env.js";
import type { RegState, VerifierState } from "../state/types.js";
import { newFuncState } from "../state/func.js";
import { newReg } from "../state/reg.js";
import { MEM_ALLOC, MEM_RCU, PTR_MAYBE_NULL, PTR_TRUSTED, PTR_UNTRUSTED } from "../state/reg-type.js";
import { Reject } from "../reject.js";
import { acquireReference, invalidateRcuProtectedRefs, isTrustedReg, releaseReference } from "./refs.js";

function fakeEnv(): { env: VerifierEnv; log: string[]; st: VerifierState } {
  const log: string[] = [];
  const st: VerifierState = {
    frame: [newFuncState(-1, 0, 0, true)], parent: null, refs: [], branches: 1, insnIdx: 0, curframe: 0,
    activeLocks: 0, activePreemptLocks: 0, activeIrqId: 0, activeLockId: 0, activeLockPtr: null, activeRcuLocks: 0,
    speculative: false, inSleepable: false, firstInsnIdx: 0, lastInsnIdx: -1,
    equalState: null, jmpHistory: [], dfsDepth: 0, callbackUnrollDepth: 0, mayGotoDepth: 0,
  };
  const env = { curState: st, idGen: 0, allowPtrLeaks: true, bpfCapable: true, verbose: (s: string) => log.push(s) };
  return { env: env as unknown as VerifierEnv, log, st };
}

function btfPtr(flags: number, id = 0, parentId = 0): RegState {
  const r = newReg();
  r.type = "PTR_TO_BTF_ID";
  r.flags = flags;
  r.id = id;
  r.parentId = parentId;
  return r;
}

test("release_reference invalidates the object and every register derived from it", () => {
  const { env, st } = fakeEnv();
  const regs = st.frame[0]!.regs;
  const id = acquireReference(env, 3, 0);
  regs[6] = btfPtr(PTR_TRUSTED, id);
  // a PTR_TO_MEM handed out by a kfunc that took the object (R0.parent_id = ref_obj.id)
  regs[7] = newReg();
  regs[7].type = "PTR_TO_MEM";
  regs[7].id = 0;
  regs[7].parentId = id;
  releaseReference(env, id);
  assert.equal(st.refs.length, 0);
  // privileged: allow_ptr_leaks, so mark_reg_invalid gives unknown scalars
  assert.equal(regs[6]!.type, "SCALAR_VALUE");
  assert.equal(regs[7]!.type, "SCALAR_VALUE");
});

test("a live child reference stops the release (Leaking reference ... Release it first.)", () => {
  const { env, log, st } = fakeEnv();
  const parent = acquireReference(env, 2, 0);
  const child = acquireReference(env, 5, parent);
  assert.throws(() => releaseReference(env, parent), (e) => e instanceof Reject && e.errno === "EINVAL");
  assert.equal(log.join(""), `Leaking reference id=${child} alloc_insn=5. Release it first.\n`);
  assert.deepEqual(st.refs.map((r) => r.id), [child]);
});

test("is_trusted_reg: referenced, trusted modifiers alone, socket types; not untrusted or maybe-NULL", () => {
  const { env } = fakeEnv();
  const id = acquireReference(env, 0, 0);
  assert.equal(isTrustedReg(env, btfPtr(0, id)), true);
  assert.equal(isTrustedReg(env, btfPtr(PTR_TRUSTED)), true);
  assert.equal(isTrustedReg(env, btfPtr(MEM_ALLOC)), true);
  assert.equal(isTrustedReg(env, btfPtr(0)), false);
  assert.equal(isTrustedReg(env, btfPtr(MEM_RCU)), false);
  assert.equal(isTrustedReg(env, btfPtr(PTR_TRUSTED | PTR_UNTRUSTED)), false);
  assert.equal(isTrustedReg(env, btfPtr(PTR_TRUSTED | PTR_MAYBE_NULL)), false);
  const sk = newReg();
  sk.type = "PTR_TO_SOCKET";
  assert.equal(isTrustedReg(env, sk), true);
  sk.flags = PTR_MAYBE_NULL;
  assert.equal(isTrustedReg(env, sk), false);
});

test("leaving the last RCU section turns MEM_RCU pointers untrusted (rcu_read_lock.c)", () => {
  const { env, st } = fakeEnv();
  st.frame[0]!.regs[6] = btfPtr(MEM_RCU | PTR_MAYBE_NULL, 7);
  invalidateRcuProtectedRefs(env);
  assert.equal(st.frame[0]!.regs[6]!.flags, PTR_UNTRUSTED);
});
