// The __sk_buff-based program types: which fields each may read or write and
// which fields load packet pointers.
// kernel: net/core/filter.c (bpf_skb_is_valid_access, sk_filter_is_valid_access,
// cg_skb_is_valid_access, lwt_is_valid_access, tc_cls_act_is_valid_access,
// sk_skb_is_valid_access, flow_dissector_is_valid_access)
import { PTR_MAYBE_NULL } from "../state/reg-type.js";
import { narrowOk, type CtxAccess, type CtxAccessOut } from "./access-types.js";

const SKB = "__sk_buff";

/** kernel: bpf_skb_is_valid_access — the checks common to every __sk_buff user. */
function skbCommon(a: CtxAccess, out: CtxAccessOut): boolean {
  const L = a.layouts.get(SKB);
  const { off, size } = a;
  const sizeDefault = 4;
  if (off < 0 || off >= L.size) return false;
  if (off % size !== 0) return false;
  if (L.inTill(off, "cb[0]", "cb[4]")) {
    return off + size <= L.end("cb[4]");
  }
  if (L.inRange(off, "data") || L.inRange(off, "data_meta") || L.inRange(off, "data_end")) {
    return !a.ldsx && size === sizeDefault;
  }
  if (L.inTill(off, "remote_ip6[0]", "remote_ip6[3]") || L.inTill(off, "local_ip6[0]", "local_ip6[3]")
    || L.inRange(off, "remote_ip4") || L.inRange(off, "local_ip4")) {
    return size === sizeDefault;
  }
  if (L.inRange(off, "flow_keys")) return false;
  if (L.inRange(off, "hwtstamp")) return !a.write && size === 8;
  if (L.inRange(off, "tstamp")) return size === 8;
  if (L.inRange(off, "sk")) {
    if (a.write || size !== 8) return false;
    out.regType = "PTR_TO_SOCK_COMMON";
    out.regFlags = PTR_MAYBE_NULL;
    return true;
  }
  if (off === L.off("tstamp_type")) return false;
  // The padding between tstamp_type and hwtstamp.
  if (off >= L.end("tstamp_type") && off < L.off("hwtstamp")) return false;
  // Only narrow reads; writes are whole u32s.
  if (a.write) return size === sizeDefault;
  return narrowOk(size, sizeDefault);
}

function setPkt(a: CtxAccess, out: CtxAccessOut, meta: boolean): void {
  const L = a.layouts.get(SKB);
  if (L.inRange(a.off, "data")) out.regType = "PTR_TO_PACKET";
  else if (meta && L.inRange(a.off, "data_meta")) out.regType = "PTR_TO_PACKET_META";
  else if (L.inRange(a.off, "data_end")) out.regType = "PTR_TO_PACKET_END";
}

/** kernel: sk_filter_is_valid_access */
export function skFilterIsValidAccess(a: CtxAccess, out: CtxAccessOut): boolean {
  const L = a.layouts.get(SKB);
  const o = a.off;
  if (L.inRange(o, "tc_classid") || L.inRange(o, "data") || L.inRange(o, "data_meta") || L.inRange(o, "data_end")
    || L.inTill(o, "family", "local_port") || L.inRange(o, "tstamp") || L.inRange(o, "wire_len") || L.inRange(o, "hwtstamp")) {
    return false;
  }
  if (a.write && !L.inTill(o, "cb[0]", "cb[4]")) return false;
  return skbCommon(a, out);
}

/** kernel: cg_skb_is_valid_access (privileged: CAP_BPF holds) */
export function cgSkbIsValidAccess(a: CtxAccess, out: CtxAccessOut): boolean {
  const L = a.layouts.get(SKB);
  const o = a.off;
  if (L.inRange(o, "tc_classid") || L.inRange(o, "data_meta") || L.inRange(o, "wire_len")) return false;
  if (a.write && !(L.inRange(o, "mark") || L.inRange(o, "priority") || L.inTill(o, "cb[0]", "cb[4]") || L.inRange(o, "tstamp"))) {
    return false;
  }
  setPkt(a, out, false);
  return skbCommon(a, out);
}

/** kernel: lwt_is_valid_access */
export function lwtIsValidAccess(a: CtxAccess, out: CtxAccessOut): boolean {
  const L = a.layouts.get(SKB);
  const o = a.off;
  if (L.inRange(o, "tc_classid") || L.inTill(o, "family", "local_port") || L.inRange(o, "data_meta")
    || L.inRange(o, "tstamp") || L.inRange(o, "wire_len") || L.inRange(o, "hwtstamp")) {
    return false;
  }
  if (a.write && !(L.inRange(o, "mark") || L.inRange(o, "priority") || L.inTill(o, "cb[0]", "cb[4]"))) return false;
  setPkt(a, out, false);
  return skbCommon(a, out);
}

/** kernel: tc_cls_act_is_valid_access */
export function tcClsActIsValidAccess(a: CtxAccess, out: CtxAccessOut): boolean {
  const L = a.layouts.get(SKB);
  const o = a.off;
  if (a.write && !(L.inRange(o, "mark") || L.inRange(o, "tc_index") || L.inRange(o, "priority") || L.inRange(o, "tc_classid")
    || L.inTill(o, "cb[0]", "cb[4]") || L.inRange(o, "tstamp") || L.inRange(o, "queue_mapping"))) {
    return false;
  }
  setPkt(a, out, true);
  if (L.inTill(o, "family", "local_port")) return false;
  if (o === L.off("tstamp_type")) return a.size === 1;
  return skbCommon(a, out);
}

/** kernel: sk_skb_is_valid_access */
export function skSkbIsValidAccess(a: CtxAccess, out: CtxAccessOut): boolean {
  const L = a.layouts.get(SKB);
  const o = a.off;
  if (L.inRange(o, "tc_classid") || L.inRange(o, "data_meta") || L.inRange(o, "tstamp") || L.inRange(o, "wire_len")
    || L.inRange(o, "hwtstamp")) {
    return false;
  }
  if (a.write && !(L.inRange(o, "tc_index") || L.inRange(o, "priority"))) return false;
  if (L.inRange(o, "mark")) return false;
  setPkt(a, out, false);
  return skbCommon(a, out);
}

/** kernel: flow_dissector_is_valid_access */
export function flowDissectorIsValidAccess(a: CtxAccess, out: CtxAccessOut): boolean {
  const L = a.layouts.get(SKB);
  const { off, size } = a;
  if (off < 0 || off >= L.size) return false;
  if (off % size !== 0) return false;
  if (a.write) return false;
  if (L.inRange(off, "data") || L.inRange(off, "data_end")) {
    if (a.ldsx || size !== 4) return false;
    out.regType = L.inRange(off, "data") ? "PTR_TO_PACKET" : "PTR_TO_PACKET_END";
    return true;
  }
  if (L.inRange(off, "flow_keys")) {
    if (size !== 8) return false;
    out.regType = "PTR_TO_FLOW_KEYS";
    return true;
  }
  return false;
}
