// Function frames, the stack, and whole-state copies.
// kernel: verifier.c (init_func_state, init_reg_state, grow_stack_state,
// copy_func_state, bpf_copy_verifier_state)
import { newReg, copyReg, markRegNotInit, markRegKnownZero } from "./reg.js";
import type { FuncState, StackSlot, VerifierState } from "./types.js";
import { BPF_REG_FP, BPF_REG_SIZE, MAX_BPF_REG, DEF_NOT_SUBREG, STACK_INVALID } from "./types.js";

export function newStackSlot(): StackSlot {
  return { spilledPtr: newReg(), slotType: [STACK_INVALID, STACK_INVALID, STACK_INVALID, STACK_INVALID, STACK_INVALID, STACK_INVALID, STACK_INVALID, STACK_INVALID] };
}

/** kernel: init_func_state + init_reg_state */
export function newFuncState(callsite: number, frameno: number, subprogno: number, bpfCapable: boolean): FuncState {
  const regs = [];
  for (let i = 0; i < MAX_BPF_REG; i++) {
    const r = newReg();
    markRegNotInit(r, bpfCapable);
    r.subregDef = DEF_NOT_SUBREG;
    regs.push(r);
  }
  const fp = regs[BPF_REG_FP]!;
  fp.type = "PTR_TO_STACK";
  markRegKnownZero(fp);
  fp.frameno = frameno;
  return {
    regs,
    callsite,
    frameno,
    subprogno,
    asyncEntryCnt: 0,
    callbackRetRange: { minval: 0, maxval: 0, return32bit: false },
    inCallbackFn: false,
    inAsyncCallbackFn: false,
    inExceptionCallbackFn: false,
    noStackArgLoad: false,
    callbackDepth: 0,
    insnsSubtotal: 0,
    stack: [],
    allocatedStack: 0,
    outStackArgCnt: 0,
    stackArgRegs: [],
  };
}

function copyStackSlot(s: StackSlot): StackSlot {
  return { spilledPtr: copyReg(s.spilledPtr), slotType: s.slotType.slice() };
}

export function copyFuncState(f: FuncState): FuncState {
  return {
    ...f,
    // kernel: copy_func_state — instruction accounting is path-local, not part of the state.
    insnsSubtotal: 0,
    regs: f.regs.map(copyReg),
    callbackRetRange: { ...f.callbackRetRange },
    stack: f.stack.map(copyStackSlot),
    stackArgRegs: f.stackArgRegs.map(copyReg),
  };
}

/** kernel: bpf_copy_verifier_state (jmp history is copied, parent kept). */
export function copyVerifierState(s: VerifierState): VerifierState {
  return {
    ...s,
    frame: s.frame.map(copyFuncState),
    refs: s.refs.map((r) => ({ ...r })),
    jmpHistory: s.jmpHistory.slice(),
  };
}

/**
 * kernel: grow_stack_state — make room for `size` bytes; returns the new
 * allocated size so the caller can update the subprog's stack depth.
 */
export function growStackState(f: FuncState, size: number): number {
  const rounded = Math.ceil(size / BPF_REG_SIZE) * BPF_REG_SIZE;
  const n = rounded / BPF_REG_SIZE;
  while (f.stack.length < n) f.stack.push(newStackSlot());
  if (rounded > f.allocatedStack) f.allocatedStack = rounded;
  return f.allocatedStack;
}

export function curFrame(s: VerifierState): FuncState {
  return s.frame[s.curframe]!;
}
