// Offsets of the UAPI context structs (__sk_buff, xdp_md, bpf_sock...) read
// from the target's BTF, so the ctx rules name fields as the kernel's
// offsetof/bpf_ctx_range do instead of carrying numbers of their own.
import type { Btf } from "../../btf/index.js";
import { arrayDims, findMemberDeep, resolveSize } from "../../btf/index.js";
import { VerifierBug } from "../../util/errors.js";

/** One C struct as the ctx rules see it. */
export interface StructLayout {
  readonly name: string;
  readonly size: number;
  /** offsetof(struct, path): `path` is "field" or "field[i]". */
  off(path: string): number;
  /** sizeof_field / the element size for "field[i]". */
  sizeOf(path: string): number;
  /** offsetofend(struct, path). */
  end(path: string): number;
  /** bpf_ctx_range(struct, path): off in [offsetof, offsetofend). */
  inRange(off: number, path: string): boolean;
  /** bpf_ctx_range_till(struct, a, b): off in [offsetof(a), offsetofend(b)). */
  inTill(off: number, a: string, b: string): boolean;
}

function buildLayout(btf: Btf, name: string): StructLayout {
  const id = btf.findByNameKind(name, "STRUCT");
  if (!id) throw new VerifierBug(`ctx layout: target BTF has no struct ${name}`);
  const size = resolveSize(btf, id) ?? 0;
  const cache = new Map<string, [number, number]>();
  const field = (path: string): [number, number] => {
    const hit = cache.get(path);
    if (hit) return hit;
    const m = /^(\w+)(?:\[(\d+)\])?$/.exec(path);
    const mp = m ? findMemberDeep(btf, id, m[1]!) : undefined;
    if (!m || !mp) throw new VerifierBug(`ctx layout: struct ${name} has no member ${path}`);
    let off = mp.bitOffset / 8;
    let sz = resolveSize(btf, mp.member.type) ?? 0;
    if (m[2] !== undefined) {
      const { dims, elemType } = arrayDims(btf, mp.member.type);
      const elem = resolveSize(btf, elemType) ?? 0;
      if (dims.length === 0) throw new VerifierBug(`ctx layout: ${name}.${m[1]} is not an array`);
      off += elem * Number(m[2]);
      sz = elem;
    }
    const r: [number, number] = [off, sz];
    cache.set(path, r);
    return r;
  };
  return {
    name,
    size,
    off: (p) => field(p)[0],
    sizeOf: (p) => field(p)[1],
    end: (p) => field(p)[0] + field(p)[1],
    inRange: (off, p) => off >= field(p)[0] && off < field(p)[0] + field(p)[1],
    inTill: (off, a, b) => off >= field(a)[0] && off < field(b)[0] + field(b)[1],
  };
}

/** Layouts of one BTF, built on first use (BTF objects are immutable). */
export class CtxLayouts {
  readonly btf: Btf;
  private readonly byName = new Map<string, StructLayout>();
  constructor(btf: Btf) {
    this.btf = btf;
  }
  /** btf_find_by_name_kind(btf, name, BTF_KIND_STRUCT), 0 when absent. */
  structId(name: string): number {
    return this.btf.findByNameKind(name, "STRUCT") ?? 0;
  }
  get(name: string): StructLayout {
    let l = this.byName.get(name);
    if (!l) {
      l = buildLayout(this.btf, name);
      this.byName.set(name, l);
    }
    return l;
  }
}
