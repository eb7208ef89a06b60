// Decoded BTF types: one variant per kind, keyed by id (no pointer graph; every
// reference is a type id, as the kernel's messages and kfunc lookups need).

import type { BtfKindName } from "./kinds.js";

interface Common {
  /** Type id (0 = void). */
  readonly id: number;
  /** Offset of the name in the string section (split BTF: continues after the base's). */
  readonly nameOff: number;
  /** The name; "" when anonymous. */
  readonly name: string;
  readonly kflag: boolean;
  readonly vlen: number;
  /** Byte offset of the btf_type record inside its BTF blob (for error messages). */
  readonly offset: number;
}

export interface BtfMember {
  readonly nameOff: number;
  readonly name: string;
  readonly type: number;
  /** Bit offset from the start of the struct. */
  readonly bitOffset: number;
  /** Bitfield size in bits; 0 when not a bitfield (only with kind_flag). */
  readonly bitfieldSize: number;
}

export interface BtfParam {
  readonly nameOff: number;
  readonly name: string;
  readonly type: number;
}

export interface BtfEnumValue {
  readonly nameOff: number;
  readonly name: string;
  /** The value, read as signed when the enum's kind_flag says so (BtfEnum.signed), else unsigned. */
  readonly value: bigint;
}

export interface BtfVarSecinfo {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}

export type BtfVoid = Common & { readonly kind: "UNKN" };
export type BtfInt = Common & {
  readonly kind: "INT";
  readonly size: number;
  /** BTF_INT_ENCODING bits: SIGNED=1, CHAR=2, BOOL=4. */
  readonly encoding: number;
  readonly bitsOffset: number;
  readonly bits: number;
};
export type BtfRef = Common & {
  readonly kind: "PTR" | "TYPEDEF" | "VOLATILE" | "CONST" | "RESTRICT" | "TYPE_TAG";
  readonly type: number;
};
export type BtfArray = Common & {
  readonly kind: "ARRAY";
  readonly elemType: number;
  readonly indexType: number;
  readonly nelems: number;
};
export type BtfComposite = Common & {
  readonly kind: "STRUCT" | "UNION";
  readonly size: number;
  readonly members: readonly BtfMember[];
};
export type BtfEnum = Common & {
  readonly kind: "ENUM" | "ENUM64";
  readonly size: number;
  /** kind_flag: the values are signed. */
  readonly signed: boolean;
  readonly values: readonly BtfEnumValue[];
};
export type BtfFwd = Common & {
  readonly kind: "FWD";
  /** kind_flag: a forward-declared union (else struct). */
  readonly isUnion: boolean;
};
export type BtfFunc = Common & {
  readonly kind: "FUNC";
  /** The FUNC_PROTO id. */
  readonly type: number;
  /** btf_func_linkage (stored in vlen). */
  readonly linkage: number;
};
export type BtfFuncProto = Common & {
  readonly kind: "FUNC_PROTO";
  readonly returnType: number;
  readonly params: readonly BtfParam[];
};
export type BtfVar = Common & {
  readonly kind: "VAR";
  readonly type: number;
  readonly linkage: number;
};
export type BtfDatasec = Common & {
  readonly kind: "DATASEC";
  readonly size: number;
  readonly vars: readonly BtfVarSecinfo[];
};
export type BtfFloat = Common & { readonly kind: "FLOAT"; readonly size: number };
export type BtfDeclTag = Common & {
  readonly kind: "DECL_TAG";
  /** The tagged type (struct, union, func, var, typedef). */
  readonly type: number;
  /** -1: the type itself; else the member / parameter index. */
  readonly componentIdx: number;
};
/** A kind this parser does not know, sized through the 7.2 kind-layout section. */
export type BtfUnrecognized = Common & {
  readonly kind: "UNRECOGNIZED";
  readonly kindNum: number;
  readonly sizeOrType: number;
};

export type BtfType =
  | BtfVoid
  | BtfInt
  | BtfRef
  | BtfArray
  | BtfComposite
  | BtfEnum
  | BtfFwd
  | BtfFunc
  | BtfFuncProto
  | BtfVar
  | BtfDatasec
  | BtfFloat
  | BtfDeclTag
  | BtfUnrecognized;

export type BtfTypeKind = BtfType["kind"];

/** Narrow a BtfType by kind name. */
export type BtfTypeOf<K extends BtfTypeKind> = Extract<BtfType, { kind: K }>;

export type { BtfKindName };
