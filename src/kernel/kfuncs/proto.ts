// The "synthesized bpf_func_proto" of a kfunc: its prototype as the verifier
// sees it (the `_impl` one for KF_IMPLICIT_ARGS), each argument's kind and the
// return kind, for a program type or for none.
// kernel: fetch_kfunc_meta + find_kfunc_impl_proto, then check_kfunc_args / check_kfunc_call

import type { Btf } from "../../btf/index.js";
import { PROG_TYPES, progTypeByName } from "../progtypes/index.js";
import { kfuncArgKinds, kfuncRetKind } from "./argKinds.js";
import type { KfuncArgProto, KfuncRetProto } from "./argKinds.js";
import type { Kfunc } from "./catalog.js";

export interface KfuncProto {
  readonly name: string;
  /** The FUNC_PROTO the verifier checks against. */
  readonly protoId: number;
  /** KF_IMPLICIT_ARGS: the prototype is `<name>_impl`'s; args past `visibleArgs` are implicit. */
  readonly implProto: string | undefined;
  readonly visibleArgs: number;
  /** The flags used (the program type's hook, else the union over hooks). */
  readonly flags: readonly string[];
  readonly args: readonly KfuncArgProto[];
  readonly ret: KfuncRetProto;
}

/** What this needs from the profile (kept narrow so tests can pass plain objects). */
export interface KfuncProtoEnv {
  readonly vmlinuxBtf: Btf;
  kfuncFlags(kfunc: Kfunc, progType: string): readonly string[] | undefined;
}

/** The prototype id `fetch_kfunc_meta` uses, with the `_impl` name when it came from there. */
export function kfuncProtoId(k: Kfunc, flags: readonly string[]): { protoId: number; implProto: string | undefined; visibleArgs: number } {
  const func = k.btf.type(k.btfId);
  if (func.kind !== "FUNC") throw new Error(`kfunc ${k.name}: btf id ${k.btfId} is not a FUNC`);
  const own = k.btf.type(func.type);
  const visibleArgs = own.kind === "FUNC_PROTO" ? own.params.length : 0;
  if (!flags.includes("KF_IMPLICIT_ARGS")) return { protoId: func.type, implProto: undefined, visibleArgs };
  const implName = `${k.name}_impl`;
  const impl = k.btf.findByNameKind(implName, "FUNC");
  if (impl === undefined) throw new Error(`cannot find function ${implName} in BTF`);
  const implFunc = k.btf.type(impl);
  return { protoId: implFunc.kind === "FUNC" ? implFunc.type : func.type, implProto: implName, visibleArgs };
}

const ALL_PROG_CTX = [...new Set(PROG_TYPES.map((p) => p.userCtx).filter((c): c is string => c !== null && c !== "void *"))];

/**
 * The kfunc's prototype with argument and return kinds. Without `progType` the
 * flags are the union over hooks and a context argument shows up as an alternative
 * ("program type's context is ...").
 */
export function kfuncProto(env: KfuncProtoEnv, k: Kfunc, progType?: string): KfuncProto {
  // A program calls the same kfuncs again and again, and every call would walk the BTF by
  // name: the prototype depends only on (profile, kfunc, program type), so it is made once.
  let byKfunc = protoCache.get(env);
  if (!byKfunc) protoCache.set(env, (byKfunc = new WeakMap()));
  let byProgType = byKfunc.get(k);
  if (!byProgType) byKfunc.set(k, (byProgType = new Map()));
  const key = progType ?? "\0";
  let proto = byProgType.get(key);
  if (!proto) byProgType.set(key, (proto = computeKfuncProto(env, k, progType)));
  return proto;
}

const protoCache = new WeakMap<KfuncProtoEnv, WeakMap<Kfunc, Map<string, KfuncProto>>>();

function computeKfuncProto(env: KfuncProtoEnv, k: Kfunc, progType?: string): KfuncProto {
  const flags = (progType !== undefined ? env.kfuncFlags(k, progType) : undefined) ?? k.flags;
  const { protoId, implProto, visibleArgs } = kfuncProtoId(k, flags);
  const pt = progType !== undefined ? progTypeByName(progType) : undefined;
  const ctx = {
    name: k.name,
    btf: k.btf,
    vmlinux: env.vmlinuxBtf,
    isVmlinux: k.module === undefined,
    protoId,
    visibleArgs,
    flags,
    special: k.special,
    ...(progType !== undefined ? { progCtx: pt?.userCtx ?? null, progType } : {}),
    allProgCtx: ALL_PROG_CTX,
  };
  const args = kfuncArgKinds(ctx);
  return { name: k.name, protoId, implProto, visibleArgs, flags, args, ret: kfuncRetKind(ctx, args) };
}
