// The value a CO-RE relocation expects in the instruction (from the local BTF)
// and the value to put there (from the matching target type), for every
// relocation kind; poisoning when the target has no match.
// libbpf: bpf_core_calc_relo_insn, bpf_core_calc_relo, bpf_core_calc_{field,type,enumval}_relo

import type { Btf } from "../btf.js";
import type { BpfCoreRelo } from "../ext.js";
import { BTF_INT_SIGNED, BTF_KIND } from "../kinds.js";
import { libbpfKindStr } from "../naming.js";
import { CoreErrno, CoreReloError, E2BIG, EINVAL, EOPNOTSUPP, EUCLEAN, coreResolveSize, coreSkip, intEncoding, isAnyEnumKind } from "./common.js";
import { type CoreCand, type CoreCandCache, type CoreTarget, coreFindCands } from "./candidates.js";
import { type CoreSpec, coreFormatSpec, coreParseSpec, coreReloIsEnumvalBased, coreReloIsFieldBased, coreReloIsTypeBased, coreReloKindStr, coreSpecMatch } from "./spec.js";

/** libbpf: struct bpf_core_relo_res — what to check in, and write to, the instruction. */
export interface CoreReloResult {
  /** Value expected in the instruction (checked unless validate is false), as u64. */
  readonly origVal: bigint;
  /** Value to write, as u64. */
  readonly newVal: bigint;
  /** No target match: the instruction becomes an invalid call (libbpf's poisoning). */
  readonly poison: boolean;
  /** Whether the instruction's current value must equal origVal. */
  readonly validate: boolean;
  /** A load/store whose size would change in a way libbpf refuses (poisoned on LDX/ST/STX). */
  readonly failMemszAdjust: boolean;
  readonly origSz: number;
  readonly newSz: number;
  readonly origTypeId: number;
  readonly newTypeId: number;
  /** The matched target spec (undefined when nothing matched or for TYPE_ID_LOCAL). */
  readonly targetSpec?: CoreSpec;
  /** The local spec. */
  readonly localSpec: CoreSpec;
}

export interface CoreReloContext {
  /** Program name for libbpf's messages. */
  readonly progName: string;
  /** The object's .BTF. */
  readonly localBtf: Btf;
  readonly target: CoreTarget;
  /** One per object: candidate lists, pruned as relocations are resolved. */
  readonly cache: CoreCandCache;
  /** libbpf's debug lines (pr_debug), if wanted. */
  readonly debug?: (line: string) => void;
}

interface FieldVal {
  val: bigint;
  fieldSz: number;
  typeId: number;
  validate: boolean;
}

// libbpf: bpf_core_calc_field_relo; spec undefined = no target match
function calcFieldRelo(progName: string, relo: BpfCoreRelo, spec: CoreSpec | undefined, warn: string[]): FieldVal {
  const out: FieldVal = { val: 0n, fieldSz: 0, typeId: 0, validate: true };
  if (relo.kind === "BPF_CORE_FIELD_EXISTS") {
    out.val = spec ? 1n : 0n;
    return out;
  }
  if (!spec) throw new CoreErrno(EUCLEAN);
  const btf = spec.btf;
  const acc = spec.spec[spec.spec.length - 1]!;
  const insnIdx = Math.floor(relo.insnOff / 8);

  // element size behind (nested) arrays: loads/stores access one element
  const elemSize = (id: number): number => {
    let elem = coreSkip(btf, id);
    while (btf.kindNum(elem) === BTF_KIND.ARRAY) elem = coreSkip(btf, btf.extraWord(elem, 0));
    const sz = coreResolveSize(btf, elem);
    if (sz < 0) throw new CoreErrno(EINVAL);
    return sz;
  };

  if (acc.name === undefined) {
    // a[n]: the last step is an array index
    if (relo.kind === "BPF_CORE_FIELD_BYTE_OFFSET") {
      out.val = BigInt(Math.floor(spec.bitOffset / 8));
      out.fieldSz = elemSize(acc.typeId);
      out.typeId = acc.typeId;
    } else if (relo.kind === "BPF_CORE_FIELD_BYTE_SIZE") {
      const sz = coreResolveSize(btf, acc.typeId);
      if (sz < 0) throw new CoreErrno(EINVAL);
      out.val = BigInt(sz);
    } else {
      warn.push(`prog '${progName}': relo ${relo.kindNum} at insn #${insnIdx} can't be applied to array access`);
      throw new CoreErrno(EINVAL);
    }
    out.validate = true;
    return out;
  }

  const parent = btf.type(acc.typeId);
  if (parent.kind !== "STRUCT" && parent.kind !== "UNION") throw new CoreErrno(EINVAL);
  const m = parent.members[acc.idx]!;
  const fieldTypeId = coreSkip(btf, m.type);
  const bitOff = spec.bitOffset;
  let bitSz = m.bitfieldSize;
  const bitfield = bitSz > 0;
  let byteSz: number;
  let byteOff: number;
  if (bitfield) {
    byteSz = btf.sizeOrType(fieldTypeId);
    byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    // the smallest load that covers the whole bitfield
    while (bitOff + bitSz - byteOff * 8 > byteSz * 8) {
      if (byteSz >= 8) {
        warn.push(`prog '${progName}': relo ${relo.kindNum} at insn #${insnIdx} can't be satisfied for bitfield`);
        throw new CoreErrno(E2BIG);
      }
      byteSz *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    }
  } else {
    const sz = coreResolveSize(btf, fieldTypeId);
    if (sz < 0) throw new CoreErrno(EINVAL);
    byteSz = sz;
    byteOff = Math.floor(bitOff / 8);
    bitSz = byteSz * 8;
  }
  // bitfield offsets/sizes may legitimately differ from the compiler's choice
  out.validate = !bitfield;
  switch (relo.kind) {
    case "BPF_CORE_FIELD_BYTE_OFFSET":
      out.val = BigInt(byteOff);
      if (!bitfield) {
        out.fieldSz = elemSize(fieldTypeId);
        out.typeId = fieldTypeId;
      }
      break;
    case "BPF_CORE_FIELD_BYTE_SIZE":
      out.val = BigInt(byteSz);
      break;
    case "BPF_CORE_FIELD_SIGNED": {
      const k = btf.kindNum(fieldTypeId);
      const signed =
        (isAnyEnumKind(k) && btf.kflag(fieldTypeId)) || (k === BTF_KIND.INT && (intEncoding(btf, fieldTypeId) & BTF_INT_SIGNED) !== 0);
      out.val = signed ? 1n : 0n;
      out.validate = true;
      break;
    }
    case "BPF_CORE_FIELD_LSHIFT_U64":
      // little-endian layout
      out.val = BigInt.asUintN(64, BigInt(64 - (bitOff + bitSz - byteOff * 8)));
      break;
    case "BPF_CORE_FIELD_RSHIFT_U64":
      out.val = BigInt.asUintN(64, BigInt(64 - bitSz));
      out.validate = true;
      break;
    default:
      throw new CoreErrno(EOPNOTSUPP);
  }
  return out;
}

// libbpf: bpf_core_calc_type_relo
function calcTypeRelo(relo: BpfCoreRelo, spec: CoreSpec | undefined): { val: bigint; validate: boolean } {
  if (!spec) return { val: 0n, validate: true };
  switch (relo.kind) {
    case "BPF_CORE_TYPE_ID_TARGET":
      // ids move during linking; checking the old one is pointless
      return { val: BigInt(spec.rootTypeId), validate: false };
    case "BPF_CORE_TYPE_EXISTS":
    case "BPF_CORE_TYPE_MATCHES":
      return { val: 1n, validate: true };
    case "BPF_CORE_TYPE_SIZE": {
      const sz = coreResolveSize(spec.btf, spec.rootTypeId);
      if (sz < 0) throw new CoreErrno(EINVAL);
      return { val: BigInt(sz), validate: true };
    }
    default:
      throw new CoreErrno(EOPNOTSUPP);
  }
}

// libbpf: bpf_core_calc_enumval_relo. An ENUM value is an s32 widened to u64.
function calcEnumvalRelo(relo: BpfCoreRelo, spec: CoreSpec | undefined): bigint {
  switch (relo.kind) {
    case "BPF_CORE_ENUMVAL_EXISTS":
      return spec ? 1n : 0n;
    case "BPF_CORE_ENUMVAL_VALUE": {
      if (!spec) throw new CoreErrno(EUCLEAN);
      const acc = spec.spec[0]!;
      const t = spec.btf.type(acc.typeId);
      if (t.kind === "ENUM") return BigInt.asUintN(64, BigInt.asIntN(32, t.values[acc.idx]!.value));
      if (t.kind === "ENUM64") return BigInt.asUintN(64, t.values[acc.idx]!.value);
      throw new CoreErrno(EINVAL);
    }
    default:
      throw new CoreErrno(EOPNOTSUPP);
  }
}

// libbpf: bpf_core_calc_relo
function calcRelo(ctx: CoreReloContext, relo: BpfCoreRelo, reloIdx: number, local: CoreSpec, targ: CoreSpec | undefined, warn: string[]): CoreReloResult {
  const base = { origVal: 0n, newVal: 0n, poison: false, validate: true, failMemszAdjust: false, origSz: 0, newSz: 0, origTypeId: 0, newTypeId: 0, localSpec: local, targetSpec: targ };
  try {
    if (coreReloIsFieldBased(relo.kind)) {
      const o = calcFieldRelo(ctx.progName, relo, local, warn);
      const partial = { ...base, origVal: o.val, origSz: o.fieldSz, origTypeId: o.typeId, validate: o.validate };
      let n: FieldVal;
      try {
        n = calcFieldRelo(ctx.progName, relo, targ, warn);
      } catch (e) {
        if (e instanceof CoreErrno && e.errno === EUCLEAN) return { ...partial, poison: true };
        throw e;
      }
      const res = { ...partial, newVal: n.val, newSz: n.fieldSz, newTypeId: n.typeId };
      if (res.origSz !== res.newSz && targ) {
        const ok = safeMemszAdjust(local.btf, res.origTypeId, targ.btf, res.newTypeId);
        return { ...res, failMemszAdjust: !ok };
      }
      return res;
    }
    if (coreReloIsTypeBased(relo.kind)) {
      const o = calcTypeRelo(relo, local);
      const n = calcTypeRelo(relo, targ);
      return { ...base, origVal: o.val, validate: o.validate, newVal: n.val };
    }
    if (coreReloIsEnumvalBased(relo.kind)) {
      const o = calcEnumvalRelo(relo, local);
      try {
        return { ...base, origVal: o, newVal: calcEnumvalRelo(relo, targ) };
      } catch (e) {
        if (e instanceof CoreErrno && e.errno === EUCLEAN) return { ...base, origVal: o, poison: true };
        throw e;
      }
    }
    throw new CoreErrno(EOPNOTSUPP);
  } catch (e) {
    if (e instanceof CoreErrno && e.errno === EUCLEAN) return { ...base, poison: true };
    if (e instanceof CoreErrno && e.errno === EOPNOTSUPP) {
      warn.push(
        `prog '${ctx.progName}': relo #${reloIdx}: unrecognized CO-RE relocation ${coreReloKindStr(relo.kind)} (${relo.kindNum}) at insn #${Math.floor(relo.insnOff / 8)}`,
      );
    }
    throw e;
  }
}

// A changed field size is safe for pointers (32-bit kernels) and unsigned ints,
// where zero-extension keeps the value.
function safeMemszAdjust(local: Btf, origTypeId: number, targ: Btf, newTypeId: number): boolean {
  const lk = local.kindNum(origTypeId);
  const tk = targ.kindNum(newTypeId);
  if (lk === BTF_KIND.PTR && tk === BTF_KIND.PTR) return true;
  return lk === BTF_KIND.INT && tk === BTF_KIND.INT && intEncoding(local, origTypeId) !== BTF_INT_SIGNED && intEncoding(targ, newTypeId) !== BTF_INT_SIGNED;
}

/**
 * Resolve one CO-RE relocation: local spec, candidates, target spec, values.
 * Throws CoreReloError (libbpf's warnings in libbpfLog) where libbpf fails the load.
 * libbpf: bpf_core_resolve_relo + bpf_core_calc_relo_insn
 */
export function coreCalcReloInsn(ctx: CoreReloContext, relo: BpfCoreRelo, reloIdx: number): CoreReloResult {
  const warn: string[] = [];
  const local = ctx.localBtf;
  const localId = relo.typeId;
  const fail = (errno: number): never => {
    throw new CoreReloError(errno, warn);
  };
  if (!local.hasType(localId)) {
    warn.push(`prog '${ctx.progName}': relo #${reloIdx}: invalid local type id ${localId}`);
    fail(EINVAL);
  }
  const localName = local.typeName(localId);
  const kindLabel = `[${localId}] ${libbpfKindStr(local, localId)}`;

  let cands: CoreCand[] | undefined;
  if (relo.kind !== "BPF_CORE_TYPE_ID_LOCAL") {
    cands = ctx.cache.get(localId);
    if (!cands) {
      try {
        cands = coreFindCands(local, localId, ctx.target);
      } catch (e) {
        if (!(e instanceof CoreErrno)) throw e;
        warn.push(`prog '${ctx.progName}': relo #${reloIdx}: target candidate search failed for ${kindLabel} ${localName}: ${-e.errno}`);
        fail(e.errno);
      }
      ctx.cache.set(localId, cands!);
    }
  }

  let localSpec: CoreSpec;
  try {
    localSpec = coreParseSpec(ctx.progName, local, relo, (m) => warn.push(m));
  } catch (e) {
    if (!(e instanceof CoreErrno)) throw e;
    warn.push(
      `prog '${ctx.progName}': relo #${reloIdx}: parsing ${kindLabel} ${localName === "" ? "<anon>" : localName} + ${relo.accessStr || "<?>"} failed: ${-e.errno}`,
    );
    return fail(EINVAL);
  }
  ctx.debug?.(`prog '${ctx.progName}': relo #${reloIdx}: ${coreFormatSpec(localSpec)}`);

  if (relo.kind === "BPF_CORE_TYPE_ID_LOCAL") {
    const id = BigInt(localSpec.rootTypeId);
    return { origVal: id, newVal: id, poison: false, validate: false, failMemszAdjust: false, origSz: 0, newSz: 0, origTypeId: 0, newTypeId: 0, localSpec };
  }
  if (localName === "") {
    warn.push(`prog '${ctx.progName}': relo #${reloIdx}: <${coreReloKindStr(relo.kind)}> (${relo.kindNum}) relocation doesn't support anonymous types`);
    fail(EOPNOTSUPP);
  }

  try {
    let res: CoreReloResult | undefined;
    const kept: CoreCand[] = [];
    const list = cands!;
    for (let i = 0; i < list.length; i++) {
      const c = list[i]!;
      let m: { matched: boolean; spec: CoreSpec };
      try {
        m = coreSpecMatch(localSpec, c.btf, c.id);
      } catch (e) {
        if (!(e instanceof CoreErrno)) throw e;
        const partial: CoreSpec = { btf: c.btf, rootTypeId: c.id, kind: relo.kind, spec: [], rawSpec: [], bitOffset: 0 };
        warn.push(`prog '${ctx.progName}': relo #${reloIdx}: error matching candidate #${i} ${coreFormatSpec(partial)}: ${-e.errno}`);
        throw e;
      }
      ctx.debug?.(`prog '${ctx.progName}': relo #${reloIdx}: ${m.matched ? "matching" : "non-matching"} candidate #${i} ${coreFormatSpec(m.spec)}`);
      if (!m.matched) continue;
      const candRes = calcRelo(ctx, relo, reloIdx, localSpec, m.spec, warn);
      if (!res) {
        res = candRes;
      } else if (m.spec.bitOffset !== res.targetSpec!.bitOffset) {
        warn.push(`prog '${ctx.progName}': relo #${reloIdx}: field offset ambiguity: ${m.spec.bitOffset} != ${res.targetSpec!.bitOffset}`);
        throw new CoreErrno(EINVAL);
      } else if (candRes.poison !== res.poison || candRes.newVal !== res.newVal) {
        warn.push(
          `prog '${ctx.progName}': relo #${reloIdx}: relocation decision ambiguity: ${candRes.poison ? "failure" : "success"} ${candRes.newVal} != ${res.poison ? "failure" : "success"} ${res.newVal}`,
        );
        throw new CoreErrno(EINVAL);
      }
      kept.push(c);
    }
    // later relocations of this type only see the candidates that matched here
    if (kept.length > 0) list.splice(0, list.length, ...kept);
    if (!res) {
      ctx.debug?.(`prog '${ctx.progName}': relo #${reloIdx}: no matching targets found`);
      res = calcRelo(ctx, relo, reloIdx, localSpec, undefined, warn);
    }
    return res;
  } catch (e) {
    if (e instanceof CoreErrno) return fail(e.errno);
    throw e;
  }
}
