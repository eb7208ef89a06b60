// Memory arguments of kfuncs: a pointer to a fixed-size scalar object
// (KF_ARG_PTR_TO_MEM) or a pointer with a `__sz`/`__szk` size partner
// (KF_ARG_PTR_TO_MEM_SIZE). Both check a read and a write of the whole range.
// kernel: check_mem_reg, check_kfunc_mem_size_reg, check_mem_size_reg, check_helper_mem_access
//
// calls/helper.ts and calls/global.ts keep their own check_helper_mem_access
// (not exported); this one names arguments the kfunc way (R1.., *(R11-8)..).
// They should converge into one exported memory/ function.
import type { VerifierEnv } from "../../env.js";
import type { RegState } from "../../state/types.js";
import { MEM_RDONLY, PTR_MAYBE_NULL, regTypeStr } from "../../state/reg-type.js";
import { registerIsNull } from "../../state/reg-query.js";
import { regSmin, regUmax } from "../../state/scalar-bridge.js";
import { checkMapAccess, checkMapAccessType, checkMemRegionAccess } from "../../memory/region.js";
import { checkStackRangeInitialized } from "../../memory/stack.js";
import { reject, Reject } from "../../reject.js";
import { notModelled } from "../../not-modelled.js";
import { MAX_BPF_FUNC_REG_ARGS } from "../../stackargs/index.js";
import { markStackArgPrecision } from "../../stackargs/precision.js";
import { checkHelperCtxMemAccess } from "../../ctx/index.js";

const BPF_MAX_VAR_SIZ = 1n << 29n;

/** kernel: check_helper_mem_access (no raw mode: kfuncs never write through an uninit stack buffer). */
function checkHelperMemAccess(env: VerifierEnv, reg: RegState, arg: string, regno: number, size: number, isWrite: boolean, zeroSizeAllowed: boolean): void {
  switch (reg.type) {
    case "PTR_TO_PACKET":
    case "PTR_TO_PACKET_META":
      env.checkPacketAccess(reg, arg, 0, size, zeroSizeAllowed);
      return;
    case "PTR_TO_MAP_KEY":
      if (isWrite) reject(env, "EACCES", `${arg} cannot write into ${regTypeStr(reg.type, reg.flags)}\n`);
      checkMemRegionAccess(env, reg, arg, 0, size, reg.map!.keySize, false);
      return;
    case "PTR_TO_MAP_VALUE":
      checkMapAccessType(env, reg, 0, size, isWrite);
      checkMapAccess(env, reg, arg, 0, size, zeroSizeAllowed, false);
      return;
    case "PTR_TO_MEM":
      if ((reg.flags & MEM_RDONLY) && isWrite) reject(env, "EACCES", `${arg} cannot write into ${regTypeStr(reg.type, reg.flags)}\n`);
      checkMemRegionAccess(env, reg, arg, 0, size, reg.memSize, zeroSizeAllowed);
      return;
    case "PTR_TO_BUF":
      if ((reg.flags & MEM_RDONLY) && isWrite) reject(env, "EACCES", `${arg} cannot write into ${regTypeStr(reg.type, reg.flags)}\n`);
      env.checkBufferAccess(reg, arg, 0, size, (reg.flags & MEM_RDONLY) !== 0);
      return;
    case "PTR_TO_STACK":
      checkStackRangeInitialized(env, reg, arg, regno, 0, size, zeroSizeAllowed, isWrite, null);
      return;
    case "PTR_TO_BTF_ID":
      env.checkPtrToBtfAccess(reg, arg, 0, size, isWrite, -1);
      return;
    case "PTR_TO_CTX":
      // a syscall program's ctx is plain user memory: kfuncs may read/write it like helpers
      if (env.isVarCtxOffAllowed()) {
        checkHelperCtxMemAccess(env, reg, arg, size, zeroSizeAllowed);
        return;
      }
      break;
    case "PTR_TO_ARENA":
      notModelled("arena memory as a kfunc argument");
  }
  if (zeroSizeAllowed && size === 0 && registerIsNull(reg)) return;
  env.verbose(`${arg} type=${regTypeStr(reg.type, reg.flags)} `);
  reject(env, "EACCES", `expected=${regTypeStr("PTR_TO_STACK", 0)}\n`);
}

/** Run `fn` on `reg` as if it were not NULL, then restore it (kernel: saved_reg + mark_ptr_not_null_reg). */
function asNotNull(env: VerifierEnv, reg: RegState, fn: () => void): void {
  if (!(reg.flags & PTR_MAYBE_NULL)) return fn();
  const saved = { ...reg };
  // kernel: mark_ptr_not_null_reg (map values that turn into other kinds stay out of this slice)
  if (reg.type === "PTR_TO_MAP_VALUE") {
    const m = reg.map!;
    if (m.inner || m.type === "BPF_MAP_TYPE_XSKMAP" || m.type === "BPF_MAP_TYPE_SOCKMAP" || m.type === "BPF_MAP_TYPE_SOCKHASH") notModelled("a NULL-able map-in-map or socket lookup as kfunc memory");
    reg.flags = 0;
  } else {
    reg.flags &= ~PTR_MAYBE_NULL;
  }
  try {
    fn();
  } finally {
    Object.assign(reg, saved);
  }
}

/** kernel: check_mem_reg */
export function checkMemReg(env: VerifierEnv, reg: RegState, arg: string, regno: number, memSize: number): void {
  if (registerIsNull(reg)) return;
  if (memSize > 0x7fffffff) reject(env, "EACCES", `${arg} memory size ${memSize} is too large\n`);
  asNotNull(env, reg, () => {
    // a negative size tells the stack check that poisoned slots are fine
    const size = reg.type === "PTR_TO_STACK" ? -memSize : memSize;
    checkHelperMemAccess(env, reg, arg, regno, size, false, true);
    checkHelperMemAccess(env, reg, arg, regno, size, true, true);
  });
}

/** kernel: check_mem_size_reg (zero size allowed, as for every kfunc). */
function checkMemSizeReg(env: VerifierEnv, mem: RegState, size: RegState, memArg: string, memRegno: number, sizeArg: string, sizeIdx: number, isWrite: boolean): void {
  if (regSmin(size) < 0n) reject(env, "EACCES", `${sizeArg} min value is negative, either use unsigned or 'var &= const'\n`);
  if (regUmax(size) >= BPF_MAX_VAR_SIZ) reject(env, "EACCES", `${sizeArg} unbounded memory access, use 'var &= const' or 'if (var < const)'\n`);
  checkHelperMemAccess(env, mem, memArg, memRegno, Number(regUmax(size)), isWrite, true);
  if (sizeIdx < MAX_BPF_FUNC_REG_ARGS) env.markChainPrecision(sizeIdx + 1);
  else markStackArgPrecision(env, sizeIdx);
}

/**
 * kernel: check_kfunc_mem_size_reg, plus check_kfunc_args' follow-up line
 * "%s and %s memory, len pair leads to invalid memory access" on failure.
 */
export function checkKfuncMemSizeReg(env: VerifierEnv, mem: RegState, size: RegState, memArg: string, memRegno: number, sizeArg: string, sizeIdx: number): void {
  try {
    asNotNull(env, mem, () => {
      checkMemSizeReg(env, mem, size, memArg, memRegno, sizeArg, sizeIdx, false);
      checkMemSizeReg(env, mem, size, memArg, memRegno, sizeArg, sizeIdx, true);
    });
  } catch (e) {
    if (e instanceof Reject) {
      env.verbose(`${memArg} and `);
      env.verbose(`${sizeArg} memory, len pair leads to invalid memory access\n`);
    }
    throw e;
  }
}
