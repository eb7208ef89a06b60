// Global subprograms: checked once against their BTF signature, then every
// call site only has to pass matching arguments. Static callees go through
// the same argument match (the kernel does it to learn whether their BTF is
// reliable), but only its EFAULT can fail them.
// kernel: verifier.c (btf_check_subprog_call, btf_check_func_arg_match,
// check_mem_reg, check_func_call's global branch, subprog_returns_void,
// do_check_common's argument setup)
import type { VerifierEnv } from "../env.js";
import type { BtfRef, FuncState, RegState } from "../state/types.js";
import { DEF_NOT_SUBREG } from "../state/types.js";
import { markRegKnownZero, markRegUnknown } from "../state/reg.js";
import { MEM_RCU, MEM_RDONLY, PTR_MAYBE_NULL, PTR_TRUSTED, PTR_UNTRUSTED, regTypeStr } from "../state/reg-type.js";
import { btfStructIdsMatch } from "../../btf/struct-walk.js";
import { clearAllPktPointers } from "../packet/index.js";
import { pushStack } from "../explore/branches.js";
import { processBpfExitFull } from "../ops/exit.js";
import type { InsnResult } from "../ops/dispatch.js";
import { curFrame } from "../state/func.js";
import { checkOutgoingStackArgs, funcArgName, getFuncArgReg, inStackArgCnt } from "../stackargs/index.js";
import { registerIsNull } from "../state/reg-query.js";
import { reject, type Errno } from "../reject.js";
import { notModelled } from "../not-modelled.js";
import { BPF_LOG_LEVEL } from "../log/vlog.js";
import { progTypeByName } from "../../kernel/progtypes/index.js";
import { checkMemRegionAccess, checkMapAccess, checkMapAccessType } from "../memory/region.js";
import { checkStackRangeInitialized } from "../memory/stack.js";
import { processDynptrFunc, type DynptrArgType } from "../kfuncs/families/dynptr.js";
import { btfFuncReturnsVoid, btfPrepareFuncArgs, type BtfArgsInput, type SubprogArg } from "./btf-args.js";

/** Per subprog: what the kernel keeps in bpf_subprog_info (args, args_cached) and func_info_aux (unreliable). */
export interface SubprogBtfAux {
  argsCached: boolean;
  args: readonly SubprogArg[];
  argCnt: number;
  unreliable: boolean;
}

const MAX_BPF_FUNC_REG_ARGS = 5;
/** A global subprog's `struct bpf_dynptr *` parameter: plain ARG_PTR_TO_DYNPTR (kernel: btf_prepare_func_args). */
const GLOBAL_DYNPTR_ARG: DynptrArgType = { uninit: false, release: false, type: null };
/** The handle PTR_TO_BTF_ID registers use for the kernel's own BTF (kernel: bpf_get_btf_vmlinux()). */
export const VMLINUX_BTF_REF: BtfRef = { name: "vmlinux" };

function aux(env: VerifierEnv, subprog: number): SubprogBtfAux {
  let a = env.subprogBtf[subprog];
  if (!a) {
    a = { argsCached: false, args: [], argCnt: 0, unreliable: false };
    env.subprogBtf[subprog] = a;
  }
  return a;
}

/** The FUNC type id func_info gives subprog `subprog` (0 when none). */
export function subprogFuncTypeId(env: VerifierEnv, subprog: number): number {
  const start = env.subprogs[subprog]!.start;
  return env.input.funcInfo.find((f) => f.insnOff === start)?.typeId ?? 0;
}

function argsInput(env: VerifierEnv): BtfArgsInput {
  const btf = env.progBtf;
  // func_info comes with the program's BTF; a caller that did not hand it over cannot be judged
  if (!btf) return notModelled("subprogram BTF signatures without the program's BTF (env.progBtf)");
  let progType = env.input.progType;
  if (progType === "BPF_PROG_TYPE_EXT") notModelled("freplace target program types");
  return {
    btf,
    vmlinux: env.vmlinuxBtf(),
    progType,
    expectedAttachType: env.input.expectedAttachType,
    ctxTypeName: progTypeByName(progType)?.userCtx ?? null,
    log: (s) => env.verbose(s),
  };
}

/** kernel: btf_prepare_func_args with its args_cached shortcut; null on success, else the errno. */
export function prepareFuncArgs(env: VerifierEnv, subprog: number): Errno | null {
  const a = aux(env, subprog);
  if (a.argsCached) return null;
  const sp = env.subprogs[subprog]!;
  const res = btfPrepareFuncArgs(argsInput(env), subprog, subprogFuncTypeId(env, subprog), sp.isGlobal);
  if (res.argCnt >= 0) {
    sp.argCnt = res.argCnt;
    a.argCnt = res.argCnt;
    if (res.argCnt > MAX_BPF_FUNC_REG_ARGS) sp.stackArgCnt = res.argCnt - MAX_BPF_FUNC_REG_ARGS;
  }
  if (!res.ok) return res.errno;
  a.args = res.args;
  a.argsCached = true;
  return null;
}

/** kernel: subprog_returns_void */
export function subprogReturnsVoid(env: VerifierEnv, subprog: number): boolean {
  const btf = env.progBtf;
  if (!btf) return notModelled("subprogram BTF signatures without the program's BTF (env.progBtf)");
  return btfFuncReturnsVoid(btf, subprogFuncTypeId(env, subprog));
}

/** Thrown inside the argument match: the kernel's bpf_log + return -errno. */
class ArgFail {
  constructor(readonly errno: Errno) {}
}
function fail(env: VerifierEnv, errno: Errno, msg: string): never {
  env.verbose(msg);
  throw new ArgFail(errno);
}

/** Run a shared check that rejects through `reject`, turning its rejection into this call's error. */
function asArgCheck(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof Error && e.name === "Reject") throw new ArgFail((e as unknown as { errno: Errno }).errno);
    throw e;
  }
}

/** kernel: check_helper_mem_access for a global subprog's memory argument (no raw mode). */
function checkArgMemAccess(env: VerifierEnv, reg: RegState, regno: number, size: number, isWrite: boolean): void {
  const arg = `R${regno}`;
  switch (reg.type) {
    case "PTR_TO_MAP_KEY":
      if (isWrite) reject(env, "EACCES", `${arg} cannot write into ${regTypeStr(reg.type, reg.flags)}\n`);
      checkMemRegionAccess(env, reg, arg, 0, size, reg.map!.keySize, false);
      return;
    case "PTR_TO_MAP_VALUE":
      checkMapAccessType(env, reg, 0, size, isWrite);
      checkMapAccess(env, reg, arg, 0, size, true, false);
      return;
    case "PTR_TO_MEM":
      if ((reg.flags & MEM_RDONLY) && isWrite) reject(env, "EACCES", `${arg} cannot write into ${regTypeStr(reg.type, reg.flags)}\n`);
      checkMemRegionAccess(env, reg, arg, 0, size, reg.memSize, true);
      return;
    case "PTR_TO_STACK":
      checkStackRangeInitialized(env, reg, arg, regno, 0, -size, true, isWrite, null);
      return;
    case "PTR_TO_PACKET": case "PTR_TO_PACKET_META":
      env.checkPacketAccess(reg, arg, 0, size, true);
      return;
    case "PTR_TO_BUF":
      if ((reg.flags & MEM_RDONLY) && isWrite) reject(env, "EACCES", `${arg} cannot write into ${regTypeStr(reg.type, reg.flags)}\n`);
      env.checkBufferAccess(reg, arg, 0, size, (reg.flags & MEM_RDONLY) !== 0);
      return;
    case "PTR_TO_BTF_ID":
      env.checkPtrToBtfAccess(reg, arg, 0, size, isWrite, -1);
      return;
    case "PTR_TO_CTX":
      // only syscall programs may hand their ctx to helpers (and subprogs) as memory
      if (env.isVarCtxOffAllowed()) notModelled("syscall ctx as a global subprogram memory argument");
      return invalidMemArg(env, reg, arg, size);
    default:
      return invalidMemArg(env, reg, arg, size);
  }
}

/** check_helper_mem_access's default case: scalars and pointers that are no memory. */
function invalidMemArg(env: VerifierEnv, reg: RegState, arg: string, size: number): void {
  if (size === 0 && registerIsNull(reg)) return;
  reject(env, "EACCES", `${arg} type=${regTypeStr(reg.type, reg.flags)} expected=fp\n`);
}

/** kernel: check_mem_reg */
function checkMemReg(env: VerifierEnv, reg: RegState, regno: number, memSize: number): void {
  if (registerIsNull(reg)) return;
  if (memSize > 0x7fffffff) fail(env, "EACCES", `R${regno} memory size ${memSize} is too large\n`);
  const saved = reg.flags;
  // the non-NULL assumption is only for this check (kernel: mark_ptr_not_null_reg, then restore)
  reg.flags &= ~PTR_MAYBE_NULL;
  try {
    asArgCheck(() => {
      checkArgMemAccess(env, reg, regno, memSize, false);
      checkArgMemAccess(env, reg, regno, memSize, true);
    });
  } finally {
    reg.flags = saved;
  }
}

// kernel: btf_ptr_types (compatible_reg_types[ARG_PTR_TO_BTF_ID])
const BTF_PTR_TYPES: readonly number[] = [0, PTR_TRUSTED, MEM_RCU];

/** kernel: check_reg_type + check_func_arg_reg_off for an arg:trusted parameter (no helper, no release). */
function checkBtfIdArg(env: VerifierEnv, reg: RegState, regno: number, argFlags: number, argBtfId: number): void {
  let flags = reg.flags;
  if (argFlags & PTR_MAYBE_NULL) flags &= ~PTR_MAYBE_NULL;
  if (reg.type !== "PTR_TO_BTF_ID" || !BTF_PTR_TYPES.includes(flags)) {
    const expected = BTF_PTR_TYPES.map((f) => regTypeStr("PTR_TO_BTF_ID", f)).join(", ");
    reject(env, "EACCES", `R${regno} type=${regTypeStr(reg.type, reg.flags)} expected=${expected}\n`);
  }
  if ((reg.flags & PTR_MAYBE_NULL) && !(argFlags & PTR_MAYBE_NULL)) {
    reject(env, "EACCES", `Possibly NULL pointer passed to helper R${regno}\n`);
  }
  env.checkPtrOffReg(reg, `R${regno}`, true);
  const vm = env.vmlinuxBtf();
  if (!vm || reg.btf !== VMLINUX_BTF_REF) return notModelled("module BTF objects as global subprogram arguments");
  const off = Number(BigInt.asIntN(64, reg.varOff.value));
  if (!btfStructIdsMatch(vm, reg.btfId, off, vm, argBtfId, false, true)) {
    reject(env, "EACCES", `R${regno} is of type ${vm.typeName(reg.btfId)} but ${vm.typeName(argBtfId)} is expected\n`);
  }
  // check_func_arg_reg_off repeats the __check_ptr_off_reg(fixed_off_ok) above: nothing new to check
}

/** kernel: btf_check_func_arg_match */
function funcArgMatch(env: VerifierEnv, subprog: number, regs: RegState[]): Errno | null {
  const caller = curFrame(env.curState);
  const err = prepareFuncArgs(env, subprog);
  if (err) {
    if (inStackArgCnt(env.subprogs[subprog]!) > 0) checkOutgoingStackArgs(env, caller, env.subprogs[subprog]!.argCnt);
    return err;
  }
  const a = aux(env, subprog);
  checkOutgoingStackArgs(env, caller, a.argCnt);
  try {
    for (let i = 0; i < a.argCnt; i++) {
      const regno = i + 1;
      const name = funcArgName(i);
      const reg = getFuncArgReg(caller, regs, i);
      const arg = a.args[i]!;
      switch (arg.type) {
        case "ARG_ANYTHING":
          if (reg.type !== "SCALAR_VALUE") fail(env, "EINVAL", `${name} is not a scalar\n`);
          break;
        case "ARG_PTR_TO_CTX":
          asArgCheck(() => env.checkFuncArgRegOff(reg, regno, "ARG_PTR_TO_CTX"));
          if (reg.type !== "PTR_TO_CTX") fail(env, "EINVAL", `${name} expects pointer to ctx\n`);
          break;
        case "ARG_PTR_TO_MEM": {
          // anything goes for untrusted (read-only, probe-read) memory
          if (arg.flags & PTR_UNTRUSTED) break;
          asArgCheck(() => env.checkFuncArgRegOff(reg, regno, "ARG_DONTCARE"));
          checkMemReg(env, reg, regno, arg.memSize);
          const pkt = reg.type === "PTR_TO_PACKET" || reg.type === "PTR_TO_PACKET_META" || reg.type === "PTR_TO_PACKET_END";
          if (pkt && env.subprogs[subprog]!.changesPktData) {
            fail(env, "EINVAL", `R${regno} is a packet pointer, but func#${subprog} may change packet data\n`);
          }
          if (!(arg.flags & PTR_MAYBE_NULL) && ((reg.flags & PTR_MAYBE_NULL) || registerIsNull(reg))) {
            fail(env, "EINVAL", `R${regno} is expected to be non-NULL\n`);
          }
          break;
        }
        case "ARG_PTR_TO_ARENA":
          if (reg.type !== "PTR_TO_ARENA" && reg.type !== "SCALAR_VALUE") {
            fail(env, "EINVAL", `R${regno} is not a pointer to arena or scalar.\n`);
          }
          break;
        case "ARG_PTR_TO_DYNPTR":
          asArgCheck(() => {
            env.checkFuncArgRegOff(reg, regno, "ARG_PTR_TO_DYNPTR");
            // an initialized dynptr of any type; nothing is recorded (kernel: dynptr == NULL)
            const unused = { dynptr: { type: "BPF_DYNPTR_TYPE_INVALID" as const, id: 0, parentId: 0 }, refObj: { id: 0, parentId: 0, cnt: 0 } };
            processDynptrFunc(env, unused, reg, name, -1, GLOBAL_DYNPTR_ARG);
          });
          break;
        case "ARG_PTR_TO_BTF_ID":
          if (arg.flags & PTR_UNTRUSTED) break;
          if (registerIsNull(reg) && (arg.flags & PTR_MAYBE_NULL)) break;
          asArgCheck(() => checkBtfIdArg(env, reg, regno, arg.flags, arg.btfId));
          break;
      }
    }
  } catch (e) {
    if (e instanceof ArgFail) return e.errno;
    throw e;
  }
  return null;
}

/** kernel: btf_check_subprog_call — null when the arguments match the callee's BTF. */
export function btfCheckSubprogCall(env: VerifierEnv, subprog: number, regs: RegState[]): Errno | null {
  if (env.input.funcInfo.length === 0) return "EINVAL";
  if (!env.progBtf) {
    // static callees only learn whether their BTF is reliable: without it they stay callable as before
    if (!env.subprogs[subprog]!.isGlobal) return "EINVAL";
    notModelled("subprogram BTF signatures without the program's BTF (env.progBtf)");
  }
  if (!subprogFuncTypeId(env, subprog)) return "EFAULT";
  const a = aux(env, subprog);
  if (a.unreliable) return "EINVAL";
  const err = funcArgMatch(env, subprog, regs);
  // compilers drop arguments of static functions: their BTF is then unreliable, not wrong
  if (err) a.unreliable = true;
  return err;
}

/**
 * kernel: check_func_call for a global callee — the callee is assumed valid
 * (verified later on its own); only the arguments are checked here.
 */
export function checkGlobalFuncCall(env: VerifierEnv, subprog: number, caller: FuncState, argErr: Errno | null,
  clearCallerSaved: (regs: RegState[]) => void): InsnResult {
  const sp = env.subprogs[subprog]!;
  const name = sp.name;
  if (env.curState.activeLocks) {
    reject(env, "EINVAL", "global function calls are not allowed while holding a lock,\nuse static function instead\n");
  }
  if (sp.mightSleep && !env.inSleepableContext()) {
    reject(env, "EINVAL", `sleepable global function ${name}() called in ${env.nonSleepableContextDescription()}\n`);
  }
  if (argErr) reject(env, argErr, `Caller passes invalid args into func#${subprog} ('${name}')\n`);
  if (env.log.level & BPF_LOG_LEVEL) env.verbose(`Func#${subprog} ('${name}') is global and assumed valid.\n`);
  if (sp.changesPktData) clearAllPktPointers(env);
  sp.called = true;
  clearCallerSaved(caller.regs);
  if (!subprogReturnsVoid(env, subprog)) {
    const r0 = caller.regs[0]!;
    markRegUnknown(r0, env.bpfCapable);
    r0.subregDef = DEF_NOT_SUBREG;
  }
  if (sp.mightThrow) {
    // the callee may throw: the caller also continues on a path that ends right here, as bpf_throw does
    pushStack(env, env.insnIdx + 1, env.insnIdx, false);
    return processBpfExitFull(env, true);
  }
  return { code: 0, printState: false };
}

/** kernel: do_check_common — the registers a global subprog starts with, from its prepared args. */
export function initGlobalSubprogRegs(env: VerifierEnv, subprog: number, regs: RegState[]): void {
  const a = aux(env, subprog);
  const n = Math.min(a.argCnt, MAX_BPF_FUNC_REG_ARGS);
  for (let i = 1; i <= n; i++) {
    const arg = a.args[i - 1]!;
    const reg = regs[i]!;
    switch (arg.type) {
      case "ARG_PTR_TO_CTX":
        markRegKnownZero(reg);
        reg.type = "PTR_TO_CTX";
        reg.flags = 0;
        break;
      case "ARG_ANYTHING":
        markRegUnknown(reg, env.bpfCapable);
        break;
      case "ARG_PTR_TO_DYNPTR":
        // kernel: __mark_dynptr_reg(reg, BPF_DYNPTR_TYPE_LOCAL, true, ++id_gen, 0)
        markRegKnownZero(reg);
        reg.type = "CONST_PTR_TO_DYNPTR";
        reg.flags = 0;
        reg.id = ++env.idGen;
        reg.parentId = 0;
        reg.dynptrType = "BPF_DYNPTR_TYPE_LOCAL";
        reg.dynptrFirstSlot = true;
        break;
      case "ARG_PTR_TO_MEM":
        markRegKnownZero(reg);
        reg.type = "PTR_TO_MEM";
        reg.flags = arg.flags & (PTR_MAYBE_NULL | PTR_UNTRUSTED | MEM_RDONLY);
        reg.memSize = arg.memSize;
        if (arg.flags & PTR_MAYBE_NULL) reg.id = ++env.idGen;
        break;
      case "ARG_PTR_TO_BTF_ID": {
        markRegKnownZero(reg);
        reg.type = "PTR_TO_BTF_ID";
        reg.flags = arg.flags & (PTR_MAYBE_NULL | PTR_UNTRUSTED | PTR_TRUSTED);
        reg.btf = VMLINUX_BTF_REF;
        reg.btfId = arg.btfId;
        reg.id = ++env.idGen;
        break;
      }
      case "ARG_PTR_TO_ARENA":
        markRegUnknown(reg, env.bpfCapable);
        break;
    }
  }
}

/** The prepared arguments of a subprog (after prepareFuncArgs succeeded). */
export function subprogArgs(env: VerifierEnv, subprog: number): { argCnt: number; args: readonly SubprogArg[] } {
  const a = aux(env, subprog);
  return { argCnt: a.argCnt, args: a.args };
}

/** kernel: func_info_aux[subprog].unreliable = true (main prog whose BTF does not match its ctx arg). */
export function markFuncInfoUnreliable(env: VerifierEnv, subprog: number): void {
  aux(env, subprog).unreliable = true;
}
