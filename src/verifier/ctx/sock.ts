// Socket-flavoured contexts and the socket objects a program reads through
// pointers (bpf_sock, bpf_tcp_sock, bpf_xdp_sock), plus xdp_md.
// kernel: net/core/filter.c (bpf_sock_is_valid_access, bpf_sock_common_is_valid_access,
// __sock_filter_check_attach_type, sock_filter_is_valid_access, sock_addr_is_valid_access,
// sock_ops_is_valid_access, sk_msg_is_valid_access, sk_reuseport_is_valid_access,
// sk_lookup_is_valid_access, xdp_is_valid_access, bpf_tcp_sock_is_valid_access,
// bpf_xdp_sock_is_valid_access)
import { PTR_MAYBE_NULL } from "../state/reg-type.js";
import type { CtxLayouts } from "./layout.js";
import { narrowOk, wideOk, type CtxAccess, type CtxAccessOut } from "./access-types.js";

/** kernel: bpf_sock_is_valid_access (no ctx-specific info: used for PTR_TO_SOCKET too) */
export function bpfSockIsValidAccess(layouts: CtxLayouts, off: number, size: number): boolean {
  const L = layouts.get("bpf_sock");
  if (off < 0 || off >= L.size) return false;
  if (off % size !== 0) return false;
  if (off === L.off("state") || off === L.off("family") || off === L.off("type") || off === L.off("protocol")
    || off === L.off("src_port") || off === L.off("rx_queue_mapping") || L.inRange(off, "src_ip4")
    || L.inTill(off, "src_ip6[0]", "src_ip6[3]") || L.inRange(off, "dst_ip4") || L.inTill(off, "dst_ip6[0]", "dst_ip6[3]")) {
    return narrowOk(size, 4);
  }
  if (L.inRange(off, "dst_port")) {
    return narrowOk(size, size === 4 ? 4 : L.sizeOf("dst_port"));
  }
  if (off >= L.end("dst_port") && off < L.off("dst_ip4")) return false;
  return size === 4;
}

/** kernel: bpf_sock_common_is_valid_access */
export function bpfSockCommonIsValidAccess(layouts: CtxLayouts, off: number, size: number): boolean {
  const L = layouts.get("bpf_sock");
  if (L.inTill(off, "type", "priority")) return false;
  return bpfSockIsValidAccess(layouts, off, size);
}

/** kernel: bpf_tcp_sock_is_valid_access */
export function bpfTcpSockIsValidAccess(layouts: CtxLayouts, off: number, size: number): boolean {
  const L = layouts.get("bpf_tcp_sock");
  if (off < 0 || off >= L.end("icsk_retransmits")) return false;
  if (off % size !== 0) return false;
  if (off === L.off("bytes_received") || off === L.off("bytes_acked")) return size === 8;
  return size === 4;
}

/** kernel: bpf_xdp_sock_is_valid_access */
export function bpfXdpSockIsValidAccess(layouts: CtxLayouts, off: number, size: number): boolean {
  const L = layouts.get("bpf_xdp_sock");
  if (off < 0 || off >= L.end("queue_id")) return false;
  if (off % size !== 0) return false;
  return size === 4;
}

/** kernel: sock_filter_is_valid_access + __sock_filter_check_attach_type */
export function sockFilterIsValidAccess(a: CtxAccess, _out: CtxAccessOut): boolean {
  if (!bpfSockIsValidAccess(a.layouts, a.off, a.size)) return false;
  const L = a.layouts.get("bpf_sock");
  const o = a.off;
  const at = a.attach;
  if (o === L.off("bound_dev_if") || o === L.off("mark") || o === L.off("priority")) {
    return at === "BPF_CGROUP_INET_SOCK_CREATE" || at === "BPF_CGROUP_INET_SOCK_RELEASE";
  }
  if (L.inRange(o, "src_ip4")) return at === "BPF_CGROUP_INET4_POST_BIND" && !a.write;
  if (L.inTill(o, "src_ip6[0]", "src_ip6[3]")) return at === "BPF_CGROUP_INET6_POST_BIND" && !a.write;
  if (L.inRange(o, "src_port")) return (at === "BPF_CGROUP_INET4_POST_BIND" || at === "BPF_CGROUP_INET6_POST_BIND") && !a.write;
  return !a.write;
}

const INET4_ADDR_ATTACH = ["BPF_CGROUP_INET4_BIND", "BPF_CGROUP_INET4_CONNECT", "BPF_CGROUP_INET4_GETPEERNAME",
  "BPF_CGROUP_INET4_GETSOCKNAME", "BPF_CGROUP_UDP4_SENDMSG", "BPF_CGROUP_UDP4_RECVMSG"];
const INET6_ADDR_ATTACH = ["BPF_CGROUP_INET6_BIND", "BPF_CGROUP_INET6_CONNECT", "BPF_CGROUP_INET6_GETPEERNAME",
  "BPF_CGROUP_INET6_GETSOCKNAME", "BPF_CGROUP_UDP6_SENDMSG", "BPF_CGROUP_UDP6_RECVMSG"];

/** kernel: sock_addr_is_valid_access */
export function sockAddrIsValidAccess(a: CtxAccess, out: CtxAccessOut): boolean {
  const L = a.layouts.get("bpf_sock_addr");
  const { off, size } = a;
  if (off < 0 || off >= L.size) return false;
  if (off % size !== 0) return false;
  // Fields of the other address family are out of reach.
  if (L.inRange(off, "user_ip4") && !INET4_ADDR_ATTACH.includes(a.attach)) return false;
  if (L.inTill(off, "user_ip6[0]", "user_ip6[3]") && !INET6_ADDR_ATTACH.includes(a.attach)) return false;
  if (L.inRange(off, "msg_src_ip4") && a.attach !== "BPF_CGROUP_UDP4_SENDMSG") return false;
  if (L.inTill(off, "msg_src_ip6[0]", "msg_src_ip6[3]") && a.attach !== "BPF_CGROUP_UDP6_SENDMSG") return false;

  if (L.inRange(off, "user_ip4") || L.inTill(off, "user_ip6[0]", "user_ip6[3]") || L.inRange(off, "msg_src_ip4")
    || L.inTill(off, "msg_src_ip6[0]", "msg_src_ip6[3]") || L.inRange(off, "user_port")) {
    if (wideOk(off, size, L.off("user_ip6"), L.end("user_ip6"))) return true;
    if (wideOk(off, size, L.off("msg_src_ip6"), L.end("msg_src_ip6"))) return true;
    return a.write ? size === 4 : narrowOk(size, 4);
  }
  if (L.inRange(off, "sk")) {
    if (a.write || size !== 8) return false;
    out.regType = "PTR_TO_SOCKET";
    return true;
  }
  if (L.inRange(off, "user_family") || L.inRange(off, "family") || L.inRange(off, "type") || L.inRange(off, "protocol")) {
    return !a.write && size === 4;
  }
  return false;
}

/** kernel: sock_ops_is_valid_access */
export function sockOpsIsValidAccess(a: CtxAccess, out: CtxAccessOut): boolean {
  const L = a.layouts.get("bpf_sock_ops");
  const { off, size } = a;
  if (off < 0 || off >= L.size) return false;
  if (off % size !== 0) return false;
  if (a.write) {
    return (off === L.off("reply") || off === L.off("sk_txhash")) && size === 4;
  }
  if (L.inTill(off, "bytes_received", "bytes_acked")) return size === 8;
  if (L.inRange(off, "sk")) {
    if (size !== 8) return false;
    out.regType = "PTR_TO_SOCKET";
    out.regFlags = PTR_MAYBE_NULL;
    return true;
  }
  if (L.inRange(off, "skb_data")) {
    if (size !== 8) return false;
    out.regType = "PTR_TO_PACKET";
    return true;
  }
  if (L.inRange(off, "skb_data_end")) {
    if (size !== 8) return false;
    out.regType = "PTR_TO_PACKET_END";
    return true;
  }
  if (off === L.off("skb_tcp_flags")) return narrowOk(size, 4);
  if (L.inRange(off, "skb_hwtstamp")) return size === 8;
  return size === 4;
}

/** kernel: sk_msg_is_valid_access */
export function skMsgIsValidAccess(a: CtxAccess, out: CtxAccessOut): boolean {
  const L = a.layouts.get("sk_msg_md");
  const { off, size } = a;
  if (a.write) return false;
  if (off % size !== 0) return false;
  if (L.inRange(off, "data")) {
    out.regType = "PTR_TO_PACKET";
    return size === 8;
  }
  if (L.inRange(off, "data_end")) {
    out.regType = "PTR_TO_PACKET_END";
    return size === 8;
  }
  if (L.inRange(off, "sk")) {
    if (size !== 8) return false;
    out.regType = "PTR_TO_SOCKET";
    return true;
  }
  if (L.inRange(off, "family") || L.inRange(off, "remote_ip4") || L.inRange(off, "local_ip4")
    || L.inTill(off, "remote_ip6[0]", "remote_ip6[3]") || L.inTill(off, "local_ip6[0]", "local_ip6[3]")
    || L.inRange(off, "remote_port") || L.inRange(off, "local_port") || L.inRange(off, "size")) {
    return size === 4;
  }
  return false;
}

/** sizeof_field(struct sk_buff, protocol): a __be16 of the kernel-internal sk_buff. */
const SKB_PROTOCOL_SIZE = 2;

/** kernel: sk_reuseport_is_valid_access */
export function skReuseportIsValidAccess(a: CtxAccess, out: CtxAccessOut): boolean {
  const L = a.layouts.get("sk_reuseport_md");
  const { off, size } = a;
  if (off < 0 || off >= L.size || off % size !== 0 || a.write) return false;
  if (off === L.off("data")) {
    out.regType = "PTR_TO_PACKET";
    return size === 8;
  }
  if (off === L.off("data_end")) {
    out.regType = "PTR_TO_PACKET_END";
    return size === 8;
  }
  if (off === L.off("hash")) return size === 4;
  if (off === L.off("sk")) {
    out.regType = "PTR_TO_SOCKET";
    return size === 8;
  }
  if (off === L.off("migrating_sk")) {
    out.regType = "PTR_TO_SOCK_COMMON";
    out.regFlags = PTR_MAYBE_NULL;
    return size === 8;
  }
  if (L.inRange(off, "eth_protocol") && size < SKB_PROTOCOL_SIZE) return false;
  if (L.inRange(off, "eth_protocol") || L.inRange(off, "ip_protocol") || L.inRange(off, "bind_inany") || L.inRange(off, "len")) {
    return narrowOk(size, 4);
  }
  return false;
}

/** kernel: sk_lookup_is_valid_access */
export function skLookupIsValidAccess(a: CtxAccess, out: CtxAccessOut): boolean {
  const L = a.layouts.get("bpf_sk_lookup");
  const { off, size } = a;
  if (off < 0 || off >= L.size) return false;
  if (off % size !== 0) return false;
  if (a.write) return false;
  if (L.inRange(off, "sk")) {
    out.regType = "PTR_TO_SOCKET";
    out.regFlags = PTR_MAYBE_NULL;
    return size === 8;
  }
  if (L.inRange(off, "family") || L.inRange(off, "protocol") || L.inRange(off, "remote_ip4") || L.inRange(off, "local_ip4")
    || L.inTill(off, "remote_ip6[0]", "remote_ip6[3]") || L.inTill(off, "local_ip6[0]", "local_ip6[3]")
    || L.inRange(off, "local_port") || L.inRange(off, "ingress_ifindex")) {
    return narrowOk(size, 4);
  }
  if (L.inRange(off, "remote_port")) {
    // A 4-byte access to the 2-byte field stays allowed for old programs.
    if (size === 4) return true;
    return narrowOk(size, 2);
  }
  // The zero padding after remote_port, also kept for old programs.
  if (off >= L.end("remote_port") && off < L.off("local_ip4")) return narrowOk(size, 2);
  return false;
}

/** kernel: xdp_is_valid_access + __is_valid_xdp_access (not offloaded) */
export function xdpIsValidAccess(a: CtxAccess, out: CtxAccessOut): boolean {
  const L = a.layouts.get("xdp_md");
  const { off, size } = a;
  if (a.attach !== "BPF_XDP_DEVMAP" && off === L.off("egress_ifindex")) return false;
  if (a.write) return false;
  if ((off === L.off("data_meta") || off === L.off("data") || off === L.off("data_end")) && a.ldsx) return false;
  if (off === L.off("data")) out.regType = "PTR_TO_PACKET";
  else if (off === L.off("data_meta")) out.regType = "PTR_TO_PACKET_META";
  else if (off === L.off("data_end")) out.regType = "PTR_TO_PACKET_END";
  if (off < 0 || off >= L.size) return false;
  if (off % size !== 0) return false;
  return size === 4;
}
